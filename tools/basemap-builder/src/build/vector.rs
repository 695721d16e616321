//! A city's own layers as ESRI Shapefiles or GeoPackages, in their own CRS (CGCS2000
//! Gauss–Krüger, UTM, Web Mercator… or longitude/latitude), read through the import's readers
//! (`lamppost_import::read::ShapefileReader` with the `.dbf` encoding found as for an import;
//! `lamppost_data::gpkg`) and converted with the import's CRS code (`lamppost_core::crs`): no
//! detour through GeoJSON.
//!
//! The CRS is the one given (`--crs`), else the `.prj` / the GeoPackage layer's SRS. The name is
//! the attribute given (`--name-field`), else the first of [`NAME_FIELDS`] the layer has. A road
//! without an OSM `highway` attribute gets one from its class attribute ([`CLASS_FIELDS`]:
//! `fclass` of OSM extracts, `道路等级` of a survey), else it is drawn as a minor road.

use std::path::Path;

use lamppost_core::crs::{Converter, Crs};
use lamppost_data::gpkg::{self, GpkgGeometry};
use lamppost_import::read::{ShapefileError, ShapefileReader, shapefile_encoding};
use shapefile::record::traits::HasXY;

use super::BuildError;
use super::geojson::{Feature, Issue, LayerKind, Merc, Props, Shape, to_merc};

/// Attributes taken as the feature's name, in order of preference, when `--name-field` is not
/// given (compared without case).
pub const NAME_FIELDS: &[&str] = &[
    "name:zh",
    "name",
    "名称",
    "道路名称",
    "路名",
    "街路名",
    "水系名称",
    "河流名称",
    "名字",
    "mc",
    "lm",
];

/// Attributes that give a road's class when it has no `highway` attribute.
pub const CLASS_FIELDS: &[&str] = &["fclass", "道路等级", "等级", "道路类型", "class", "dldj"];

/// How to read a Shapefile or GeoPackage layer.
#[derive(Debug, Clone, Default)]
pub struct VectorOptions {
    /// The CRS of every layer, when given (`--crs`); else each layer's own.
    pub crs: Option<Crs>,
    /// The attribute holding the name (`--name-field`).
    pub name_field: Option<String>,
}

/// Whether a path is a Shapefile or a GeoPackage (optionally `FILE.gpkg#LAYER`), which this
/// module reads; anything else is GeoJSON.
#[must_use]
pub fn is_vector(path: &Path) -> bool {
    matches!(extension(&split_layer(path).0).as_str(), "shp" | "gpkg")
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// `city.gpkg#道路` → (`city.gpkg`, `Some("道路")`).
fn split_layer(path: &Path) -> (std::path::PathBuf, Option<String>) {
    let text = path.to_string_lossy();
    if let Some((file, layer)) = text.rsplit_once('#')
        && file.to_ascii_lowercase().ends_with(".gpkg")
        && !layer.is_empty()
    {
        return (file.into(), Some(layer.to_owned()));
    }
    (path.to_owned(), None)
}

/// Reads one layer from a Shapefile or a GeoPackage. File-level problems are errors;
/// feature-level ones are issues.
pub fn load(
    path: &Path,
    layer: LayerKind,
    opts: &VectorOptions,
    issues: &mut Vec<Issue>,
) -> Result<Vec<Feature>, BuildError> {
    let (file, table) = split_layer(path);
    let input = |message: String| BuildError::Input {
        path: path.to_owned(),
        message,
    };
    // (x, y) pairs of every feature, its attributes, in file order.
    let mut raw: Vec<(GpkgGeometry, Vec<String>)> = Vec::new();
    let (fields, own_crs) = if extension(&file) == "shp" {
        let encoding = shapefile_encoding(&file, None)
            .map_err(|e| input(format!("无法读取文件 / cannot read the file ({e})")))?;
        let mut reader = ShapefileReader::open(&file, encoding).map_err(|e| match e {
            ShapefileError::Missing(f) => input(format!("缺少 {f} / {f} is missing")),
            other => input(format!(
                "无法读取 Shapefile / cannot read the Shapefile ({other})"
            )),
        })?;
        let fields = reader.fields.clone();
        let prj = reader.prj.clone();
        for (index, rec) in reader.records().enumerate() {
            let (shape, values) = rec.map_err(|e| {
                input(format!(
                    "第 {} 个要素无法读取 / feature #{} cannot be read: {e}",
                    index + 1,
                    index + 1
                ))
            })?;
            raw.push((shp_geometry(shape), values));
        }
        (fields, prj)
    } else {
        let kind = match layer {
            LayerKind::Roads | LayerKind::Transit => gpkg::LayerKind::Lines,
            LayerKind::Landuse | LayerKind::Buildings => gpkg::LayerKind::Polygons,
            LayerKind::Water => gpkg::LayerKind::Any,
            LayerKind::Pois => gpkg::LayerKind::Points,
        };
        let mut l = gpkg::layer(&file, table.as_deref(), kind);
        if layer == LayerKind::Water && table.is_none() {
            // Water: the first polygon layer, else the first layer.
            if let Ok(p) = gpkg::layer(&file, None, gpkg::LayerKind::Polygons) {
                l = Ok(p);
            }
        }
        let l = l.map_err(|e| {
            input(format!(
                "无法读取 GeoPackage / cannot read the GeoPackage ({e})"
            ))
        })?;
        gpkg::for_each_feature(&file, &l, |_, g, values| {
            raw.push((
                g.unwrap_or(GpkgGeometry::Points(Vec::new())),
                values.to_vec(),
            ));
            true
        })
        .map_err(|e| {
            input(format!(
                "无法读取 GeoPackage / cannot read the GeoPackage ({e})"
            ))
        })?;
        (l.columns.clone(), l.srs.clone())
    };
    let crs = match (&opts.crs, own_crs) {
        (Some(c), _) => c.clone(),
        (None, Some(text)) => Crs::parse(&text).map_err(|e| {
            input(format!(
                "无法识别文件的坐标系，请用 --crs 指定 / the file's CRS is not understood, give --crs: {e}"
            ))
        })?,
        (None, None) => {
            // No CRS: longitude/latitude are taken as WGS-84; metres cannot be guessed.
            let metres = raw.iter().any(|(g, _)| {
                first_point(g).is_some_and(|(x, y)| x.abs() > 180.0 || y.abs() > 90.0)
            });
            if metres {
                return Err(input(
                    "坐标是投影坐标（米），但没有 .prj 或坐标系，请用 --crs 指定（如 --crs EPSG:4527）/ the coordinates are projected (metres) and there is no .prj or SRS: give --crs (e.g. --crs EPSG:4527)"
                        .to_owned(),
                ));
            }
            Crs::default()
        }
    };
    let conv = crs
        .converter()
        .map_err(|e| BuildError::Options(format!("--crs: {e}")))?;
    let name_at = match &opts.name_field {
        Some(f) => Some(find_field(&fields, f).ok_or_else(|| {
            input(format!(
                "没有属性 {f}（有：{}）/ no attribute {f} (there are: {})",
                fields.join(", "),
                fields.join(", ")
            ))
        })?),
        None => NAME_FIELDS.iter().find_map(|n| find_field(&fields, n)),
    };
    let class_at = CLASS_FIELDS.iter().find_map(|n| find_field(&fields, n));
    let mut out = Vec::with_capacity(raw.len());
    for (index, (geometry, values)) in raw.into_iter().enumerate() {
        let name = name_at
            .and_then(|i| values.get(i))
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        let mut issue = |message: String| {
            issues.push(Issue {
                layer,
                index,
                label: name
                    .as_ref()
                    .map(|n| format!("name={n}"))
                    .unwrap_or_default(),
                message,
            });
        };
        let shape = match project(geometry, &conv) {
            Ok(Some(s)) => s,
            Ok(None) => {
                issue("没有几何，已跳过 / has no geometry; skipped".to_owned());
                continue;
            }
            Err(m) => {
                issue(format!("{m}，已跳过 / {m}; skipped"));
                continue;
            }
        };
        let Some(shape) = super::geojson::check_shape(shape, layer, &mut issue) else {
            continue;
        };
        let mut props = Props {
            name,
            ..Props::default()
        };
        for (i, f) in fields.iter().enumerate() {
            let key = f.to_ascii_lowercase();
            if super::geojson::KEPT_TAGS.contains(&key.as_str())
                && let Some(v) = values.get(i).map(|v| v.trim()).filter(|v| !v.is_empty())
            {
                props.tags.push((key, v.to_owned()));
            }
        }
        if layer == LayerKind::Roads && props.get("highway").is_none() {
            let class = class_at
                .and_then(|i| values.get(i))
                .map_or("", |v| v.trim());
            props
                .tags
                .push(("highway".to_owned(), road_class(class).to_owned()));
        }
        let bbox = super::geojson::shape_bbox(&shape);
        out.push(Feature { shape, props, bbox });
    }
    Ok(out)
}

/// The index of a field, compared without case.
fn find_field(fields: &[String], name: &str) -> Option<usize> {
    fields.iter().position(|f| f.eq_ignore_ascii_case(name))
}

/// A road's OSM `highway` value from its class attribute: OSM values as they are (`fclass` of
/// an OSM extract), Chinese road grades (城市道路等级: 快速路, 主干路, 次干路, 支路), else a
/// minor road.
#[must_use]
pub fn road_class(class: &str) -> &str {
    let c = class.trim();
    let osm = c.strip_suffix("_link").unwrap_or(c);
    if matches!(
        osm,
        "motorway"
            | "trunk"
            | "primary"
            | "secondary"
            | "tertiary"
            | "residential"
            | "unclassified"
            | "living_street"
            | "service"
            | "track"
            | "footway"
            | "path"
            | "cycleway"
            | "pedestrian"
            | "steps"
    ) {
        return c;
    }
    if c.contains("高速") || c.contains("快速") {
        "motorway"
    } else if c.contains("主干") || c.contains("国道") {
        "primary"
    } else if c.contains("次干") || c.contains("省道") {
        "secondary"
    } else if c.contains("县道") {
        "tertiary"
    } else if c.contains("步行") || c.contains("人行") {
        "footway"
    } else {
        "road"
    }
}

/// A Shapefile shape as (x, y) geometry.
fn shp_geometry(shape: shapefile::Shape) -> GpkgGeometry {
    use shapefile::Shape as S;
    match shape {
        S::Point(p) => GpkgGeometry::Points(vec![xy(&p)]),
        S::PointM(p) => GpkgGeometry::Points(vec![xy(&p)]),
        S::PointZ(p) => GpkgGeometry::Points(vec![xy(&p)]),
        S::Multipoint(m) => GpkgGeometry::Points(m.points().iter().map(xy).collect()),
        S::MultipointM(m) => GpkgGeometry::Points(m.points().iter().map(xy).collect()),
        S::MultipointZ(m) => GpkgGeometry::Points(m.points().iter().map(xy).collect()),
        S::Polyline(l) => GpkgGeometry::Lines(parts(l.parts())),
        S::PolylineM(l) => GpkgGeometry::Lines(parts(l.parts())),
        S::PolylineZ(l) => GpkgGeometry::Lines(parts(l.parts())),
        S::Polygon(p) => GpkgGeometry::Polygons(polygons(p.rings())),
        S::PolygonM(p) => GpkgGeometry::Polygons(polygons(p.rings())),
        S::PolygonZ(p) => GpkgGeometry::Polygons(polygons(p.rings())),
        S::NullShape | S::Multipatch(_) => GpkgGeometry::Points(Vec::new()),
    }
}

fn xy<P: HasXY>(p: &P) -> (f64, f64) {
    (p.x(), p.y())
}

fn parts<P: HasXY>(parts: &[Vec<P>]) -> Vec<Vec<(f64, f64)>> {
    parts.iter().map(|p| p.iter().map(xy).collect()).collect()
}

/// A Shapefile polygon's rings grouped into polygons: each outer ring starts one, the inner
/// rings after it are its holes.
fn polygons<P: HasXY>(rings: &[shapefile::PolygonRing<P>]) -> Vec<Vec<Vec<(f64, f64)>>> {
    let mut out: Vec<Vec<Vec<(f64, f64)>>> = Vec::new();
    for r in rings {
        let ring: Vec<(f64, f64)> = r.points().iter().map(xy).collect();
        match (out.last_mut(), r) {
            (Some(p), shapefile::PolygonRing::Inner(_)) => p.push(ring),
            _ => out.push(vec![ring]),
        }
    }
    out
}

fn first_point(g: &GpkgGeometry) -> Option<(f64, f64)> {
    match g {
        GpkgGeometry::Points(p) => p.first().copied(),
        GpkgGeometry::Lines(l) => l.iter().flatten().next().copied(),
        GpkgGeometry::Polygons(p) => p.iter().flatten().flatten().next().copied(),
    }
}

/// The geometry converted to WGS-84 and projected to normalised Web Mercator; `None` when empty.
fn project(g: GpkgGeometry, conv: &Converter) -> Result<Option<Shape>, String> {
    let point = |&(x, y): &(f64, f64)| -> Result<Merc, String> {
        let p = conv.to_wgs84(x, y).ok_or_else(|| {
            format!("坐标无法换算（{x}, {y}）/ a coordinate cannot be converted ({x}, {y}); is the CRS right?")
        })?;
        Ok(to_merc(p.lon_deg, p.lat_deg))
    };
    let line = |l: &Vec<(f64, f64)>| l.iter().map(point).collect::<Result<Vec<_>, _>>();
    Ok(match g {
        GpkgGeometry::Points(p) if p.is_empty() => None,
        GpkgGeometry::Lines(l) if l.is_empty() => None,
        GpkgGeometry::Polygons(p) if p.is_empty() => None,
        GpkgGeometry::Points(p) => Some(Shape::Points(
            p.iter().map(point).collect::<Result<_, _>>()?,
        )),
        GpkgGeometry::Lines(l) => Some(Shape::Lines(l.iter().map(line).collect::<Result<_, _>>()?)),
        GpkgGeometry::Polygons(p) => Some(Shape::Polygons(
            p.iter()
                .map(|rings| rings.iter().map(line).collect::<Result<Vec<_>, _>>())
                .collect::<Result<_, _>>()?,
        )),
    })
}
