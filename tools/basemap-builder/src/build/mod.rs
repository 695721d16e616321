//! The basemap builder: GeoJSON layers (exported from QGIS, say) to a raster `MBTiles` basemap.
//!
//! Loading checks every feature and reports defects as [`Issue`]s naming the feature; labels are
//! placed once per zoom in global pixel space ([`labels`]); tiles are drawn in parallel
//! ([`render`]), quantised to palette PNGs and written into a temporary file that replaces the
//! output only when the build has finished.

pub mod font;
pub mod geojson;
pub mod labels;
pub mod render;
pub mod style;
pub mod vector;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use geojson::{Feature, Shape};
pub use geojson::{Issue, LayerKind};
use labels::{Label, LabelInput, NamedLine, NamedPoint};
use render::{Area, Rail, Road, Scene};

use lamppost_basemap::mbtiles::WriteMeta;
use lamppost_basemap::{
    Bounds, Center, Datum, MbTilesWriter, RgbaTile, TileError, TileFormat, TileId,
};
use lamppost_core::words::{Message, Words};

/// Most tiles one build may make (a city at zoom 12–17 is a few thousand).
pub const MAX_TILES: u64 = 500_000;

/// Why a build cannot run. Feature-level problems are [`Issue`]s, not errors.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum BuildError {
    /// A layer file that cannot be used at all.
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The roads layer has nothing to draw.
    NoRoads(PathBuf),
    /// A bad option value.
    Options(String),
    /// The bundled font cannot be read.
    Font(String),
    /// Writing the output failed.
    #[error(transparent)]
    Tiles(#[from] TileError),
}

impl Words for BuildError {
    fn message(&self) -> Message {
        match self {
            Self::Input { path, message } => {
                Message::new("无法使用图层文件", "cannot use the layer file")
                    .about(format!("{message}: {}", path.display()))
            }
            Self::NoRoads(path) => Message::new(
                "道路图层没有可用的线要素",
                "the roads layer has no usable line features",
            )
            .about(path.display()),
            Self::Options(detail) => Message::new("参数有误", "invalid option").about(detail),
            Self::Font(detail) => {
                Message::new("内置字体无法读取", "the bundled font cannot be read").about(detail)
            }
            Self::Tiles(e) => e.message(),
        }
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Roads (`LineString`s with `highway` and `name`). Required.
    pub roads: PathBuf,
    /// Water polygons (and waterway lines).
    pub water: Option<PathBuf>,
    /// Land use and parks.
    pub landuse: Option<PathBuf>,
    /// Building footprints (drawn from zoom 16).
    pub buildings: Option<PathBuf>,
    /// Points of interest (labelled from zoom 17).
    pub pois: Option<PathBuf>,
    /// Railways and metro lines.
    pub transit: Option<PathBuf>,
    /// The output file.
    pub out: PathBuf,
    /// Lowest zoom.
    pub min_zoom: u8,
    /// Highest zoom.
    pub max_zoom: u8,
    /// Area to cover; default: the roads' extent.
    pub bbox: Option<Bounds>,
    /// 256 or 512 (sharp on high-density screens).
    pub tile_px: u32,
    /// `name` metadata.
    pub name: String,
    /// `attribution` metadata: the licence of the data.
    pub attribution: String,
    /// How Shapefile and GeoPackage layers are read (their CRS, their name attribute);
    /// GeoJSON layers are WGS-84.
    pub vector: vector::VectorOptions,
}

/// What a build made.
#[derive(Debug, Clone, Default)]
pub struct BuildSummary {
    /// Tiles written.
    pub tiles: u64,
    /// Size of the output file.
    pub bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Threads used for rendering.
    pub threads: usize,
    /// Labels placed, all zooms.
    pub labels: usize,
    /// Defects found in the input, each naming its feature.
    pub issues: Vec<Issue>,
}

/// Progress reports from [`build`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Inputs are loaded; `total` tiles will be made.
    Started {
        /// Tiles to make.
        total: u64,
    },
    /// One more tile is written.
    Tile,
}

/// Loaded layers, ready to render any tile.
pub struct Basemap {
    scene: Scene,
    label_input: LabelInput,
    font: font::LabelFont,
    extent: Bounds,
    /// Defects found while loading.
    pub issues: Vec<Issue>,
}

impl std::fmt::Debug for Basemap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Basemap")
            .field("extent", &self.extent)
            .finish_non_exhaustive()
    }
}

/// The labels of one zoom level and the tiles each one touches.
#[derive(Debug, Default)]
pub struct ZoomLabels {
    /// All labels of the zoom.
    pub labels: Vec<Label>,
    by_tile: HashMap<(u32, u32), Vec<usize>>,
}

impl ZoomLabels {
    /// The labels that touch a tile.
    #[must_use]
    pub fn for_tile(&self, id: TileId) -> Vec<&Label> {
        self.by_tile
            .get(&(id.x, id.y))
            .map(|v| v.iter().map(|&i| &self.labels[i]).collect())
            .unwrap_or_default()
    }
}

impl Basemap {
    /// Loads the layers named in the options.
    pub fn load(opts: &BuildOptions) -> Result<Self, BuildError> {
        let mut issues = Vec::new();
        let v = &opts.vector;
        let load = |p: &Path, k, issues: &mut Vec<Issue>| {
            if vector::is_vector(p) {
                vector::load(p, k, v, issues)
            } else {
                geojson::load(p, k, issues)
            }
        };
        let roads = load(&opts.roads, LayerKind::Roads, &mut issues)?;
        if roads.is_empty() {
            return Err(BuildError::NoRoads(opts.roads.clone()));
        }
        let mut opt = |p: &Option<PathBuf>, k| -> Result<Vec<Feature>, BuildError> {
            p.as_deref()
                .map_or(Ok(Vec::new()), |p| load(p, k, &mut issues))
        };
        let water = opt(&opts.water, LayerKind::Water)?;
        let landuse = opt(&opts.landuse, LayerKind::Landuse)?;
        let buildings = opt(&opts.buildings, LayerKind::Buildings)?;
        let pois = opt(&opts.pois, LayerKind::Pois)?;
        let transit = opt(&opts.transit, LayerKind::Transit)?;
        let font = font::LabelFont::bundled().map_err(BuildError::Font)?;
        let extent = merc_extent(&roads);
        let land = [&roads, &water, &landuse, &buildings, &pois, &transit]
            .iter()
            .flat_map(|l| l.iter())
            .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |b, f| {
                [
                    b[0].min(f.bbox[0]),
                    b[1].min(f.bbox[1]),
                    b[2].max(f.bbox[2]),
                    b[3].max(f.bbox[3]),
                ]
            });
        let mut basemap = Self {
            scene: Scene::default(),
            label_input: LabelInput::default(),
            font,
            extent,
            issues,
        };
        basemap.scene.land = land;
        basemap.add_roads(roads);
        basemap.add_areas(landuse, water);
        basemap.scene.buildings = buildings;
        basemap.scene.rail = transit
            .into_iter()
            .filter_map(|f| style::rail_kind(&f.props).map(|kind| Rail { kind, feature: f }))
            .collect();
        for p in pois {
            let (Some(name), Shape::Points(pts)) = (p.props.name.clone(), &p.shape) else {
                continue;
            };
            if let Some(&at) = pts.first() {
                basemap.label_input.pois.push(NamedPoint {
                    name,
                    at,
                    rank: style::poi_rank(&p.props),
                    width: 0.0,
                    color: style::POI_LABEL,
                });
            }
        }
        Ok(basemap)
    }

    fn add_roads(&mut self, roads: Vec<Feature>) {
        let mut named = Vec::new();
        for f in roads {
            let Some(class) = style::RoadClass::from_props(&f.props) else {
                continue;
            };
            let Shape::Lines(lines) = f.shape else {
                continue;
            };
            if let Some(name) = f.props.name.clone() {
                named.extend(lines.iter().map(|l| NamedLine {
                    name: name.clone(),
                    class,
                    points: l.clone(),
                }));
            }
            let layer = if f.props.get("tunnel").is_some_and(|t| t != "no") {
                f.props.layer.min(-1)
            } else if f.props.get("bridge").is_some_and(|b| b != "no") {
                f.props.layer.max(1)
            } else {
                f.props.layer
            };
            self.scene.roads.push(Road {
                class,
                layer,
                lines,
                bbox: f.bbox,
            });
        }
        // Draw order: by layer, then the least important class first.
        self.scene
            .roads
            .sort_by(|a, b| a.layer.cmp(&b.layer).then(b.class.cmp(&a.class)));
        self.label_input.roads = labels::join_lines(named);
    }

    fn add_areas(&mut self, landuse: Vec<Feature>, water: Vec<Feature>) {
        let mut lu: Vec<(bool, Area)> = Vec::new();
        for f in landuse {
            let Some(fill) = style::landuse_fill(&f.props) else {
                continue;
            };
            if style::is_park(&f.props) {
                self.push_area_label(&f, style::PARK_LABEL);
            }
            lu.push((
                !style::landuse_is_background(&f.props),
                Area { fill, feature: f },
            ));
        }
        // Big background areas (residential…) first, then the smaller specific ones on top;
        // stable, so input order decides within each group.
        lu.sort_by_key(|(specific, _)| *specific);
        self.scene.landuse = lu.into_iter().map(|(_, a)| a).collect();
        for f in &water {
            self.push_area_label(f, style::WATER_LABEL);
        }
        self.scene.water = water;
    }

    fn push_area_label(&mut self, f: &Feature, color: style::Rgba) {
        if let (Some(name), Shape::Polygons(_)) = (f.props.name.clone(), &f.shape) {
            self.label_input.areas.push(NamedPoint {
                name,
                at: [
                    f64::midpoint(f.bbox[0], f.bbox[2]),
                    f64::midpoint(f.bbox[1], f.bbox[3]),
                ],
                rank: 0,
                width: f.bbox[2] - f.bbox[0],
                color,
            });
        }
    }

    /// The roads' extent in degrees.
    #[must_use]
    pub fn extent(&self) -> Bounds {
        self.extent
    }

    /// Places the labels of one zoom.
    #[must_use]
    pub fn labels(&self, z: u8, tile_px: u32) -> ZoomLabels {
        let labels = labels::place(&self.label_input, z, tile_px, &self.font);
        let mut by_tile: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
        let t = f64::from(tile_px);
        let n = TileId::tiles_across(z);
        for (i, l) in labels.iter().enumerate() {
            let x0 = (l.bbox[0] / t).floor().max(0.0) as u32;
            let y0 = (l.bbox[1] / t).floor().max(0.0) as u32;
            let x1 = ((l.bbox[2] / t).floor().max(0.0) as u32).min(n - 1);
            let y1 = ((l.bbox[3] / t).floor().max(0.0) as u32).min(n - 1);
            for x in x0..=x1 {
                for y in y0..=y1 {
                    by_tile.entry((x, y)).or_default().push(i);
                }
            }
        }
        ZoomLabels { labels, by_tile }
    }

    /// Renders a `tile_px` square at any global pixel position of zoom `z` (see
    /// [`render::render_window`]).
    #[must_use]
    pub fn render_window(
        &self,
        z: u8,
        origin: (f64, f64),
        tile_px: u32,
        labels: &ZoomLabels,
    ) -> RgbaTile {
        let t = f64::from(tile_px);
        let window = [origin.0, origin.1, origin.0 + t, origin.1 + t];
        let touching: Vec<&Label> = labels
            .labels
            .iter()
            .filter(|l| labels::overlaps(&l.bbox, &window))
            .collect();
        render::render_window(&self.scene, &touching, &self.font, z, origin, tile_px)
            .map_or_else(|| RgbaTile::placeholder(tile_px), |pm| to_rgba_tile(&pm))
    }

    /// Renders one tile with the labels of its zoom.
    #[must_use]
    pub fn render(&self, id: TileId, tile_px: u32, labels: &ZoomLabels) -> RgbaTile {
        render::render_tile(&self.scene, &labels.for_tile(id), &self.font, id, tile_px)
            .map_or_else(|| RgbaTile::placeholder(tile_px), |pm| to_rgba_tile(&pm))
    }
}

/// Unpremultiplies tiny-skia's pixels (the tiles are opaque, so this is a copy).
fn to_rgba_tile(pm: &tiny_skia::Pixmap) -> RgbaTile {
    let mut px = Vec::with_capacity(pm.data().len());
    for p in pm.pixels() {
        let c = p.demultiply();
        px.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    RgbaTile::from_rgba(pm.width(), pm.height(), px)
        .unwrap_or_else(|| RgbaTile::placeholder(pm.width()))
}

fn merc_extent(features: &[Feature]) -> Bounds {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for f in features {
        b = [
            b[0].min(f.bbox[0]),
            b[1].min(f.bbox[1]),
            b[2].max(f.bbox[2]),
            b[3].max(f.bbox[3]),
        ];
    }
    let lon = |x: f64| x * 360.0 - 180.0;
    let lat = |y: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * y))
            .sinh()
            .atan()
            .to_degrees()
    };
    Bounds {
        west_deg: lon(b[0]),
        south_deg: lat(b[3]),
        east_deg: lon(b[2]),
        north_deg: lat(b[1]),
    }
}

/// The tiles covering a box at a zoom, row by row.
#[must_use]
pub fn tiles_in(bounds: &Bounds, z: u8) -> Vec<TileId> {
    let a = TileId::containing(bounds.north_deg, bounds.west_deg, z);
    let b = TileId::containing(bounds.south_deg, bounds.east_deg, z);
    let mut out = Vec::new();
    for y in a.y..=b.y {
        for x in a.x..=b.x {
            out.extend(TileId::new(z, x, y));
        }
    }
    out
}

/// Encodes a tile as a palette PNG: exact when it has ≤ 256 colours, otherwise quantised with
/// `NeuQuant`; transparency (outside the data) is kept with a `tRNS` chunk.
pub fn encode_palette_png(tile: &RgbaTile) -> Result<Vec<u8>, String> {
    let px = &tile.pixels;
    let mut exact: HashMap<[u8; 4], u8> = HashMap::new();
    let mut overflow = false;
    for p in px.chunks_exact(4) {
        let k = [p[0], p[1], p[2], p[3]];
        if !exact.contains_key(&k) {
            if exact.len() == 256 {
                overflow = true;
                break;
            }
            let i = exact.len() as u8;
            exact.insert(k, i);
        }
    }
    let (rgba_palette, indices): (Vec<u8>, Vec<u8>) = if overflow {
        let nq = color_quant::NeuQuant::new(10, 256, px);
        let pal = nq.color_map_rgba();
        let idx = px.chunks_exact(4).map(|p| nq.index_of(p) as u8).collect();
        (pal, idx)
    } else {
        let mut pal = vec![0u8; exact.len() * 4];
        for (k, &i) in &exact {
            pal[usize::from(i) * 4..usize::from(i) * 4 + 4].copy_from_slice(k);
        }
        let idx = px
            .chunks_exact(4)
            .map(|p| exact[&[p[0], p[1], p[2], p[3]]])
            .collect();
        (pal, idx)
    };
    let palette: Vec<u8> = rgba_palette
        .chunks_exact(4)
        .flat_map(|c| [c[0], c[1], c[2]])
        .collect();
    let alphas: Vec<u8> = rgba_palette.chunks_exact(4).map(|c| c[3]).collect();
    let opaque = alphas.iter().all(|&a| a == 255);
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, tile.width, tile.height);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(palette);
    if !opaque {
        enc.set_trns(alphas);
    }
    enc.set_compression(png::Compression::High);
    let mut w = enc.write_header().map_err(|e| e.to_string())?;
    w.write_image_data(&indices).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Checks the options; returns the area to cover.
fn check_options(opts: &BuildOptions, extent: Bounds) -> Result<Bounds, BuildError> {
    if opts.min_zoom > opts.max_zoom || opts.max_zoom > 20 {
        return Err(BuildError::Options(format!(
            "缩放级别应为 0–20 且最小不大于最大 / zoom levels must be 0–20 with min ≤ max: {}-{}",
            opts.min_zoom, opts.max_zoom
        )));
    }
    if opts.tile_px != 256 && opts.tile_px != 512 {
        return Err(BuildError::Options(format!(
            "瓦片尺寸只能是 256 或 512 / the tile size must be 256 or 512: {}",
            opts.tile_px
        )));
    }
    let area = opts.bbox.unwrap_or(extent);
    if !area.is_valid() || !area.intersects(&extent) {
        return Err(BuildError::Options(format!(
            "范围与道路数据不相交 / the box does not overlap the roads: {}",
            area.to_metadata()
        )));
    }
    Ok(area)
}

/// Builds the basemap. `progress` is called from this thread (not from the render threads).
pub fn build(
    opts: &BuildOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<BuildSummary, BuildError> {
    let started = Instant::now();
    let basemap = Basemap::load(opts)?;
    let area = check_options(opts, basemap.extent())?;
    let mut jobs: Vec<TileId> = Vec::new();
    for z in opts.min_zoom..=opts.max_zoom {
        jobs.extend(tiles_in(&area, z));
        if jobs.len() as u64 > MAX_TILES {
            return Err(BuildError::Options(format!(
                "瓦片超过 {MAX_TILES} 个上限，请缩小范围或降低最大缩放级别 / more than {MAX_TILES} tiles; use a smaller --bbox or a lower max zoom"
            )));
        }
    }
    let total = jobs.len() as u64;
    progress(Progress::Started { total });

    // Labels for every zoom, in parallel (each zoom is independent and deterministic).
    let zooms: Vec<u8> = (opts.min_zoom..=opts.max_zoom).collect();
    let labels: HashMap<u8, ZoomLabels> = zooms
        .par_iter()
        .map(|&z| (z, basemap.labels(z, opts.tile_px)))
        .collect();
    let label_count = labels.values().map(|l| l.labels.len()).sum();

    let meta = WriteMeta {
        name: opts.name.clone(),
        description: "由 lamppost-basemap-builder 生成 / made by lamppost-basemap-builder"
            .to_owned(),
        attribution: opts.attribution.clone(),
        format: TileFormat::Png,
        bounds: area,
        center: Center {
            lon_deg: f64::midpoint(area.west_deg, area.east_deg),
            lat_deg: f64::midpoint(area.south_deg, area.north_deg),
            zoom: opts.min_zoom.max(opts.max_zoom.saturating_sub(2)),
        },
        min_zoom: opts.min_zoom,
        max_zoom: opts.max_zoom,
        datum: Datum::Wgs84,
    };
    let mut writer = MbTilesWriter::create(&opts.out, &meta)?;
    let stop = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(TileId, Result<Vec<u8>, String>)>(64);
    let mut written = 0u64;
    let mut failure: Option<BuildError> = None;
    std::thread::scope(|s| {
        let (basemap, labels, stop, jobs) = (&basemap, &labels, &stop, &jobs);
        s.spawn(move || {
            jobs.par_iter().for_each_with(tx, |tx, &id| {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let empty = ZoomLabels::default();
                let zl = labels.get(&id.z).unwrap_or(&empty);
                let tile = basemap.render(id, opts.tile_px, zl);
                let _ = tx.send((id, encode_palette_png(&tile)));
            });
        });
        for (id, png) in rx {
            let r = png
                .map_err(|detail| {
                    BuildError::Tiles(TileError::BadImage {
                        tile: id,
                        detail,
                        path: opts.out.clone(),
                    })
                })
                .and_then(|b| writer.insert(id, &b).map_err(BuildError::from));
            if let Err(e) = r {
                stop.store(true, Ordering::Relaxed);
                failure = Some(e);
                break;
            }
            written += 1;
            progress(Progress::Tile);
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    let bytes = writer.finish()?;
    Ok(BuildSummary {
        tiles: written,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        threads: rayon::current_num_threads(),
        labels: label_count,
        issues: basemap.issues,
    })
}

/// Options for the given roads file with everything else at its default (tests, benches).
#[must_use]
pub fn default_options(roads: &Path, out: &Path) -> BuildOptions {
    BuildOptions {
        roads: roads.to_owned(),
        water: None,
        landuse: None,
        buildings: None,
        pois: None,
        transit: None,
        out: out.to_owned(),
        min_zoom: 12,
        max_zoom: 17,
        bbox: None,
        tile_px: 256,
        name: "basemap".to_owned(),
        attribution: "© OpenStreetMap contributors".to_owned(),
        vector: vector::VectorOptions::default(),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_vector;
