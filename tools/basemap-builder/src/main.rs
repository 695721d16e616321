//! `lamppost-basemap-builder`: build a raster MBTiles basemap from GeoJSON layers, pack an XYZ
//! folder into MBTiles, render one tile to a PNG. An authoring tool for supervisors, shipped
//! beside `lamppost` in the packages; the call-taker's program only reads the tiles.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use lamppost_basemap::{Bounds, Datum, TileId};
use lamppost_basemap_builder::build::{self, BuildOptions, Progress};
use lamppost_basemap_builder::pack::{PackOptions, pack_xyz};

/// `println!` that returns the write error instead of panicking (a closed pipe ends quietly).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// How many input problems to print before summarising the rest.
const SHOWN_ISSUES: usize = 20;

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "lamppost-basemap-builder",
    version,
    about = "灯杆报警定位 底图制作 / Lamppost basemap builder: offline raster MBTiles from GeoJSON layers."
)]
struct Cli {
    /// Replace the output file if it exists (it is written beside and renamed at the end).
    #[arg(long, global = true)]
    force: bool,
    #[command(subcommand)]
    command: TilesCommand,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match check_output(&cli.command, cli.force).and_then(|()| run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Refuses to write over an existing file (a database, say) unless `--force`; and, even with
/// `--force`, over an SQLite database that is not a tile set (the reference database, a call
/// log) or over the side files (`-wal`, `-shm`, `-journal`) of a database.
fn check_output(cmd: &TilesCommand, force: bool) -> Result<()> {
    let out = match cmd {
        TilesCommand::Build(a) => &a.out,
        TilesCommand::Pack { out, .. } => out,
        TilesCommand::Render(a) => &a.out,
    };
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned());
    let side_of_a_database = name.as_deref().and_then(|n| {
        ["-wal", "-shm", "-journal"]
            .iter()
            .find_map(|s| n.strip_suffix(s))
            .map(|base| out.with_file_name(base))
            .filter(|base| is_sqlite(base))
    });
    if let Some(base) = side_of_a_database {
        bail!(
            "这是数据库的附属文件，不会写入，请换一个文件名 / this belongs to a database and will not be written; choose another file name: {} ({})",
            out.display(),
            base.display()
        );
    }
    if out.exists() && is_sqlite(out) && lamppost_basemap::MbTiles::open(out).is_err() {
        bail!(
            "这是一个 SQLite 数据库而不是底图，不会覆盖（即使加 --force）/ this is an SQLite database, not a basemap, and will not be overwritten (not even with --force): {}",
            out.display()
        );
    }
    if out.exists() && !force {
        bail!(
            "文件已存在，不会覆盖（确需覆盖请加 --force）/ the file already exists and will not be overwritten (add --force to replace it): {}",
            out.display()
        );
    }
    Ok(())
}

/// True when the file starts with SQLite's header.
fn is_sqlite(p: &std::path::Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(p)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == b"SQLite format 3\0")
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum TilesCommand {
    /// Build a raster MBTiles basemap from GeoJSON layers (WGS-84).
    Build(Box<BuildArgs>),
    /// Pack an XYZ tile folder ({z}/{x}/{y}.png) into one MBTiles file.
    Pack {
        /// The folder.
        dir: PathBuf,
        /// The MBTiles file to write.
        out: PathBuf,
        /// Attribution stored in the file and shown on the map.
        #[arg(long)]
        attribution: String,
        /// The tile set's name.
        #[arg(long, default_value = "overview")]
        name: String,
        /// The datum the tiles are drawn in: wgs84 or gcj02.
        #[arg(long, default_value = "wgs84")]
        datum: String,
    },
    /// Render one tile of a basemap build to a PNG file (to check the cartography).
    Render(Box<RenderArgs>),
}

/// Options of `build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Roads: lines, as GeoJSON (`highway`, `name`), a Shapefile (`.shp`) or a GeoPackage
    /// (`.gpkg`, or `FILE.gpkg#LAYER` to choose the layer).
    #[arg(long, value_name = "FILE")]
    roads: PathBuf,
    /// Water polygons (and waterway lines): GeoJSON, Shapefile or GeoPackage.
    #[arg(long, value_name = "FILE")]
    water: Option<PathBuf>,
    /// Land use and parks.
    #[arg(long, value_name = "GEOJSON")]
    landuse: Option<PathBuf>,
    /// Building footprints (drawn from zoom 16).
    #[arg(long, value_name = "GEOJSON")]
    buildings: Option<PathBuf>,
    /// Points of interest (labelled from zoom 17).
    #[arg(long, value_name = "GEOJSON")]
    pois: Option<PathBuf>,
    /// Railways and metro lines.
    #[arg(long, value_name = "GEOJSON")]
    transit: Option<PathBuf>,
    /// The MBTiles file to write (replaced only when the build has finished).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Zoom levels, `MIN-MAX`.
    #[arg(long, default_value = "12-17")]
    zoom: String,
    /// Area to cover, `minlon,minlat,maxlon,maxlat` (default: the roads' extent).
    #[arg(long, allow_hyphen_values = true)]
    bbox: Option<String>,
    /// Tile size in pixels: 256, or 512 for high-density screens.
    #[arg(long, default_value_t = 256)]
    tile_size: u32,
    /// The basemap's name.
    #[arg(long, default_value = "basemap")]
    name: String,
    /// Attribution stored in the file and shown on the map.
    #[arg(long, default_value = "© OpenStreetMap contributors")]
    attribution: String,
    #[command(flatten)]
    vector: VectorArgs,
}

/// How Shapefile and GeoPackage layers are read.
#[derive(Debug, Args)]
pub struct VectorArgs {
    /// The CRS of the Shapefile/GeoPackage layers (`EPSG:4527`, a proj string or WKT), when
    /// their `.prj`/SRS is missing or wrong. GeoJSON layers are always WGS-84.
    #[arg(long, value_name = "CRS")]
    crs: Option<String>,
    /// The attribute holding a feature's name (default: the first of name:zh, name, 名称,
    /// 道路名称, 路名… that the layer has).
    #[arg(long, value_name = "FIELD")]
    name_field: Option<String>,
}

impl VectorArgs {
    fn options(self) -> Result<build::vector::VectorOptions> {
        let crs = self
            .crs
            .map(|c| {
                lamppost_core::crs::Crs::parse(&c).map_err(|e| {
                    anyhow::anyhow!("--crs {c}: {}", lamppost_core::words::Words::message(&e))
                })
            })
            .transpose()?;
        Ok(build::vector::VectorOptions {
            crs,
            name_field: self.name_field,
        })
    }
}

/// Options of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Roads layer, as for `build`.
    #[arg(long, value_name = "GEOJSON")]
    roads: PathBuf,
    /// Water polygons.
    #[arg(long, value_name = "GEOJSON")]
    water: Option<PathBuf>,
    /// Land use and parks.
    #[arg(long, value_name = "GEOJSON")]
    landuse: Option<PathBuf>,
    /// Building footprints.
    #[arg(long, value_name = "GEOJSON")]
    buildings: Option<PathBuf>,
    /// Points of interest.
    #[arg(long, value_name = "GEOJSON")]
    pois: Option<PathBuf>,
    /// Railways.
    #[arg(long, value_name = "GEOJSON")]
    transit: Option<PathBuf>,
    /// The tile, `Z/X/Y`.
    tile: String,
    /// The PNG to write.
    out: PathBuf,
    /// Tile size in pixels.
    #[arg(long, default_value_t = 512)]
    tile_size: u32,
    #[command(flatten)]
    vector: VectorArgs,
}

/// Runs a `tiles` subcommand.
fn run(cmd: TilesCommand) -> Result<ExitCode> {
    match cmd {
        TilesCommand::Build(args) => {
            let BuildArgs {
                roads,
                water,
                landuse,
                buildings,
                pois,
                transit,
                out,
                zoom,
                bbox,
                tile_size,
                name,
                attribution,
                vector,
            } = *args;
            let (min_zoom, max_zoom) = parse_zoom(&zoom)?;
            let bbox = bbox
                .map(|b| {
                    Bounds::parse(&b).with_context(|| {
                        format!("--bbox 应为 minlon,minlat,maxlon,maxlat / --bbox must be minlon,minlat,maxlon,maxlat: {b}")
                    })
                })
                .transpose()?;
            let opts = BuildOptions {
                roads,
                water,
                landuse,
                buildings,
                pois,
                transit,
                out,
                min_zoom,
                max_zoom,
                bbox,
                tile_px: tile_size,
                name,
                attribution,
                vector: vector.options()?,
            };
            run_build(&opts)
        }
        TilesCommand::Pack {
            dir,
            out,
            attribution,
            name,
            datum,
        } => {
            let datum = Datum::parse(&datum).with_context(|| {
                format!("--datum 只能是 wgs84 或 gcj02 / --datum must be wgs84 or gcj02: {datum}")
            })?;
            let s = pack_xyz(
                &dir,
                &out,
                &PackOptions {
                    name,
                    attribution,
                    description: String::new(),
                    datum,
                },
            )?;
            outln!(
                "已打包 {} 个瓦片，{} 字节 / packed {} tiles, {} bytes: {}",
                s.tiles,
                s.bytes,
                s.tiles,
                s.bytes,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        TilesCommand::Render(args) => {
            let RenderArgs {
                roads,
                water,
                landuse,
                buildings,
                pois,
                transit,
                tile,
                out,
                tile_size,
                vector,
            } = *args;
            let id = parse_tile(&tile)?;
            let mut opts = build::default_options(&roads, &out);
            opts.water = water;
            opts.landuse = landuse;
            opts.buildings = buildings;
            opts.pois = pois;
            opts.transit = transit;
            opts.vector = vector.options()?;
            let basemap = build::Basemap::load(&opts)?;
            let labels = basemap.labels(id.z, tile_size);
            let img = basemap.render(id, tile_size, &labels);
            let png = build::encode_palette_png(&img).map_err(anyhow::Error::msg)?;
            std::fs::write(&out, png)
                .with_context(|| format!("无法写入 / cannot write: {}", out.display()))?;
            outln!("{}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_build(opts: &BuildOptions) -> Result<ExitCode> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} 瓦片/tiles  剩余/ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let result = build::build(opts, &mut |p| match p {
        Progress::Started { total } => bar.set_length(total),
        Progress::Tile => bar.inc(1),
    });
    bar.finish_and_clear();
    let summary = result?;
    let mut err = std::io::stderr().lock();
    for issue in summary.issues.iter().take(SHOWN_ISSUES) {
        writeln!(err, "警告 / warning: {issue}")?;
    }
    if summary.issues.len() > SHOWN_ISSUES {
        writeln!(
            err,
            "…另有 {} 个输入问题 / …and {} more input problems",
            summary.issues.len() - SHOWN_ISSUES,
            summary.issues.len() - SHOWN_ISSUES
        )?;
    }
    outln!(
        "完成 / done: {} 瓦片/tiles, {} 标注/labels, {:.1} MB, {:.1} s ({:.0} 瓦片/秒 tiles/s, {} 线程/threads): {}",
        summary.tiles,
        summary.labels,
        summary.bytes as f64 / 1_048_576.0,
        summary.seconds,
        summary.tiles as f64 / summary.seconds.max(1e-9),
        summary.threads,
        opts.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_zoom(text: &str) -> Result<(u8, u8)> {
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (Ok(a), Ok(b)) = (a.trim().parse::<u8>(), b.trim().parse::<u8>()) else {
        bail!("--zoom 应为 MIN-MAX，如 12-17 / --zoom must be MIN-MAX, e.g. 12-17: {text}");
    };
    Ok((a, b))
}

fn parse_tile(text: &str) -> Result<TileId> {
    let v: Vec<u32> = text
        .split('/')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("瓦片应为 Z/X/Y / the tile must be Z/X/Y: {text}"))?;
    let [z, x, y] = v[..] else {
        bail!("瓦片应为 Z/X/Y / the tile must be Z/X/Y: {text}");
    };
    u8::try_from(z)
        .ok()
        .and_then(|z| TileId::new(z, x, y))
        .with_context(|| format!("没有这个瓦片 / no such tile: {text}"))
}
