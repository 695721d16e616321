//! Offline raster basemap tiles: reading MBTiles files and XYZ folders, decoding, a memory-bounded
//! cache, a background loader with parent-tile fallback: what the window needs to show tiles.
//! The renderer that builds a basemap is an authoring tool of its own (`tools/basemap-builder`).
//!
//! Nothing here names egui or walkers (the binary adapts the loader to walkers), and nothing
//! opens a network connection: every tile comes from a local file.
//!
//! Tile ids are always in the XYZ ("slippy map") scheme, rows counted from the north; the TMS row
//! flip of MBTiles happens inside [`mbtiles`] only.

#![forbid(unsafe_code)]

pub mod cache;
pub mod decode;
pub mod loader;
pub mod mbtiles;
pub mod xyz;

use std::path::PathBuf;

use lamppost_core::words::{Message, Words};

pub use cache::TileCache;
pub use decode::{RgbaTile, decode_tile};
pub use loader::{LoaderConfig, TileLoader, TileView};
pub use mbtiles::{MbTiles, MbTilesWriter};
pub use xyz::XyzDir;

/// Highest zoom level a tile id may have (2^30 tiles across fits in `u32`).
pub const MAX_ZOOM: u8 = 30;

/// One map tile in the XYZ scheme: zoom, column from the west, row from the north.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// Zoom level, 0 = the whole world in one tile.
    pub z: u8,
    /// Column, 0 at 180° W.
    pub x: u32,
    /// Row, 0 at the north edge (≈ 85.05° N).
    pub y: u32,
}

impl TileId {
    /// A tile id, or `None` when the column or row does not exist at that zoom.
    #[must_use]
    pub fn new(z: u8, x: u32, y: u32) -> Option<Self> {
        if z > MAX_ZOOM {
            return None;
        }
        let n = 1u64 << z;
        (u64::from(x) < n && u64::from(y) < n).then_some(Self { z, x, y })
    }

    /// Number of tiles across the world at this zoom.
    #[must_use]
    pub fn tiles_across(z: u8) -> u32 {
        1u32 << z.min(MAX_ZOOM)
    }

    /// The row as MBTiles (TMS) stores it: counted from the south.
    #[must_use]
    pub fn tms_row(self) -> u32 {
        Self::tiles_across(self.z) - 1 - self.y
    }

    /// The tile one zoom level up that contains this one.
    #[must_use]
    pub fn parent(self) -> Option<Self> {
        (self.z > 0).then(|| Self {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }

    /// The ancestor at zoom `z` (≤ own zoom) and the part of it that covers this tile.
    #[must_use]
    pub fn ancestor(self, z: u8) -> Option<(Self, SubRect)> {
        if z > self.z {
            return None;
        }
        let dz = self.z - z;
        let n = 1u32 << dz;
        let anc = Self {
            z,
            x: self.x >> dz,
            y: self.y >> dz,
        };
        let size = 1.0 / n as f32;
        let min_u = (self.x - (anc.x << dz)) as f32 * size;
        let min_v = (self.y - (anc.y << dz)) as f32 * size;
        Some((
            anc,
            SubRect {
                min_u,
                min_v,
                max_u: min_u + size,
                max_v: min_v + size,
            },
        ))
    }

    /// The tile that contains a WGS-84 point at zoom `z` (Web Mercator), clamped to the world.
    #[must_use]
    pub fn containing(lat_deg: f64, lon_deg: f64, z: u8) -> Self {
        let z = z.min(MAX_ZOOM);
        let (px, py) = world_px(lat_deg, lon_deg, z, 1.0);
        let n = f64::from(Self::tiles_across(z));
        Self {
            z,
            x: px.clamp(0.0, n - 1.0) as u32,
            y: py.clamp(0.0, n - 1.0) as u32,
        }
    }

    /// The tile's edges in degrees.
    #[must_use]
    pub fn bounds(self) -> Bounds {
        let n = f64::from(Self::tiles_across(self.z));
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| {
            let m = std::f64::consts::PI * (1.0 - 2.0 * y / n);
            m.sinh().atan().to_degrees()
        };
        Bounds {
            west_deg: lon(f64::from(self.x)),
            south_deg: lat(f64::from(self.y + 1)),
            east_deg: lon(f64::from(self.x + 1)),
            north_deg: lat(f64::from(self.y)),
        }
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Web-Mercator position in "tile units × scale" at zoom `z`: with `scale` = tile size in pixels
/// this is the global pixel position used for deterministic label placement across tiles.
#[must_use]
pub fn world_px(lat_deg: f64, lon_deg: f64, z: u8, scale: f64) -> (f64, f64) {
    let lat = lat_deg.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let n = f64::from(TileId::tiles_across(z)) * scale;
    let x = (lon_deg + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

/// A part of a tile in fractions of its width and height (0..1, v downwards): which part of an
/// ancestor tile to draw in place of a missing tile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubRect {
    /// Left edge.
    pub min_u: f32,
    /// Top edge.
    pub min_v: f32,
    /// Right edge.
    pub max_u: f32,
    /// Bottom edge.
    pub max_v: f32,
}

impl SubRect {
    /// The whole tile.
    pub const FULL: Self = Self {
        min_u: 0.0,
        min_v: 0.0,
        max_u: 1.0,
        max_v: 1.0,
    };
}

/// A longitude/latitude box in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// West edge (longitude).
    pub west_deg: f64,
    /// South edge (latitude).
    pub south_deg: f64,
    /// East edge (longitude).
    pub east_deg: f64,
    /// North edge (latitude).
    pub north_deg: f64,
}

impl Bounds {
    /// Parses `west,south,east,north` (the MBTiles `bounds` and the builder's `--bbox`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let v: Vec<f64> = text
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .ok()?;
        let [w, s, e, n] = v[..] else { return None };
        let b = Self {
            west_deg: w,
            south_deg: s,
            east_deg: e,
            north_deg: n,
        };
        b.is_valid().then_some(b)
    }

    /// True when the box is finite, inside the world and not inverted.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        (-180.0..=180.0).contains(&self.west_deg)
            && (-180.0..=180.0).contains(&self.east_deg)
            && (-90.0..=90.0).contains(&self.south_deg)
            && (-90.0..=90.0).contains(&self.north_deg)
            && self.west_deg <= self.east_deg
            && self.south_deg <= self.north_deg
    }

    /// The MBTiles text form `west,south,east,north`.
    #[must_use]
    pub fn to_metadata(&self) -> String {
        format!(
            "{:.6},{:.6},{:.6},{:.6}",
            self.west_deg, self.south_deg, self.east_deg, self.north_deg
        )
    }

    /// True when the boxes share any area (or an edge).
    #[must_use]
    pub fn intersects(&self, other: &Self) -> bool {
        self.west_deg <= other.east_deg
            && other.west_deg <= self.east_deg
            && self.south_deg <= other.north_deg
            && other.south_deg <= self.north_deg
    }
}

/// Where a map should open: the MBTiles `center` (longitude, latitude, zoom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Center {
    /// Longitude in degrees.
    pub lon_deg: f64,
    /// Latitude in degrees.
    pub lat_deg: f64,
    /// Zoom level.
    pub zoom: u8,
}

/// How tile images are encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileFormat {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP.
    Webp,
    /// Something this program does not decode (`pbf` vector tiles, say).
    Other(String),
}

impl TileFormat {
    /// From the MBTiles `format` value or a file extension.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "png" => Self::Png,
            "jpg" | "jpeg" => Self::Jpeg,
            "webp" => Self::Webp,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Recognises the format from an image's first bytes.
    #[must_use]
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// The MBTiles `format` value / file extension.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Webp => "webp",
            Self::Other(s) => s,
        }
    }

    /// True for formats this program decodes.
    #[must_use]
    pub fn is_raster(&self) -> bool {
        !matches!(self, Self::Other(_))
    }
}

/// The geodetic datum a basemap is drawn in. Chinese providers' tiles are GCJ-02: markers (always
/// WGS-84) must then be shifted for drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Datum {
    /// WGS-84 (also CGCS2000 at map precision), the default.
    #[default]
    Wgs84,
    /// GCJ-02 ("Mars coordinates").
    Gcj02,
}

impl Datum {
    /// From our `datum` metadata key; `None` for an unknown value.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "wgs84" | "wgs-84" | "epsg:4326" | "cgcs2000" => Some(Self::Wgs84),
            "gcj02" | "gcj-02" => Some(Self::Gcj02),
            _ => None,
        }
    }

    /// The metadata value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wgs84 => "wgs84",
            Self::Gcj02 => "gcj02",
        }
    }
}

/// What a tile source says about itself (the MBTiles `metadata` table, or what an XYZ folder
/// shows).
#[derive(Debug, Clone, PartialEq)]
pub struct TileMeta {
    /// Human name of the tile set.
    pub name: Option<String>,
    /// Image encoding.
    pub format: TileFormat,
    /// Area covered, when known.
    pub bounds: Option<Bounds>,
    /// Where to open the map, when known.
    pub center: Option<Center>,
    /// Lowest zoom with tiles.
    pub min_zoom: u8,
    /// Highest zoom with tiles; beyond it the loader scales this zoom's tiles.
    pub max_zoom: u8,
    /// Text to show on the map (licence of the data and the tiles).
    pub attribution: Option<String>,
    /// Datum the tiles are drawn in.
    pub datum: Datum,
    /// Width of a tile image in pixels (256 or 512 usually), read from a tile.
    pub tile_size_px: u32,
}

/// A read-only store of encoded tile images.
pub trait TileSource: Send {
    /// What the source says about itself.
    fn meta(&self) -> &TileMeta;

    /// The encoded image of one tile, `None` when the source has no such tile.
    fn read(&mut self, id: TileId) -> Result<Option<Vec<u8>>, TileError>;

    /// The file or folder read, for messages.
    fn location(&self) -> &std::path::Path;
}

/// Why tiles cannot be read or written. Each message says what is wrong and ends with the file.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum TileError {
    /// No file or folder at the path.
    NotFound(PathBuf),
    /// Not an SQLite file at all.
    NotSqlite(PathBuf),
    /// An SQLite file without the MBTiles tables.
    NotMbTiles(PathBuf),
    /// Vector tiles or another format this program cannot draw.
    UnsupportedFormat {
        /// The format found.
        format: String,
        /// The file.
        path: PathBuf,
    },
    /// A metadata value that cannot be understood.
    BadMetadata {
        /// Metadata key.
        key: String,
        /// Its value.
        value: String,
        /// The file.
        path: PathBuf,
    },
    /// Damaged pages or header.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's words.
        detail: String,
    },
    /// A folder that holds no `{z}/{x}/{y}.png` tiles.
    NotXyzFolder(PathBuf),
    /// Other SQLite failures.
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// File-system failures.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A tile image that cannot be decoded or encoded.
    BadImage {
        /// Which tile.
        tile: TileId,
        /// The decoder's words.
        detail: String,
        /// The file.
        path: PathBuf,
    },
}

impl Words for TileError {
    fn message(&self) -> Message {
        match self {
            Self::NotFound(path) => {
                Message::new("找不到底图文件", "basemap file not found").about(path.display())
            }
            Self::NotSqlite(path) => Message::new(
                "这不是 MBTiles（SQLite）文件，请检查文件路径",
                "this is not an MBTiles (SQLite) file; check the path",
            )
            .about(path.display()),
            Self::NotMbTiles(path) => Message::new(
                "这是 SQLite 文件，但不是 MBTiles 底图（缺少 tiles 或 metadata 表）",
                "this SQLite file is not an MBTiles basemap (no `tiles` or `metadata` table)",
            )
            .about(path.display()),
            Self::UnsupportedFormat { format, path } => Message::new(
                format!("底图格式 {format} 不受支持，只支持 PNG、JPEG、WebP 栅格瓦片"),
                format!(
                    "tile format {format} is not supported, only PNG, JPEG and WebP raster tiles"
                ),
            )
            .about(path.display()),
            Self::BadMetadata { key, value, path } => Message::new(
                format!("底图元数据 {key} 的值 “{value}” 无法识别"),
                format!(
                    "basemap metadata `{key}` has a value that cannot be understood (“{value}”)"
                ),
            )
            .about(path.display()),
            Self::Corrupt { path, detail } => Message::new(
                format!("底图文件已损坏（{detail}）"),
                format!("the basemap file is corrupt ({detail})"),
            )
            .about(path.display()),
            Self::NotXyzFolder(path) => Message::new(
                "文件夹中没有 {z}/{x}/{y}.png 形式的瓦片",
                "the folder holds no tiles laid out as {z}/{x}/{y}.png",
            )
            .about(path.display()),
            Self::Sqlite { path, source } => Message::new(
                "读写底图文件失败",
                "reading or writing the basemap file failed",
            )
            .about(format!("{} ({source})", path.display())),
            Self::Io { path, source } => {
                Message::new("读写文件失败", "reading or writing a file failed")
                    .about(format!("{} ({source})", path.display()))
            }
            Self::BadImage { tile, detail, path } => Message::new(
                format!("瓦片 {tile} 的图像无法解码（{detail}）"),
                format!("the image of tile {tile} cannot be decoded ({detail})"),
            )
            .about(path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tms_row_counts_from_the_south() {
        let t = TileId::new(15, 27444, 14027).unwrap();
        assert_eq!(t.tms_row(), 32767 - 14027);
        assert_eq!(TileId::new(0, 0, 0).unwrap().tms_row(), 0);
        assert_eq!(TileId::new(1, 0, 0).unwrap().tms_row(), 1);
    }

    #[test]
    fn a_tile_id_outside_the_zoom_level_is_refused() {
        assert!(TileId::new(2, 4, 0).is_none());
        assert!(TileId::new(31, 0, 0).is_none());
    }

    #[test]
    fn an_ancestor_covers_the_right_quarter() {
        let t = TileId::new(3, 5, 2).unwrap();
        let (a, r) = t.ancestor(2).unwrap();
        assert_eq!(a, TileId::new(2, 2, 1).unwrap());
        assert_eq!(
            r,
            SubRect {
                min_u: 0.5,
                min_v: 0.0,
                max_u: 1.0,
                max_v: 0.5
            }
        );
        let (same, full) = t.ancestor(3).unwrap();
        assert_eq!((same, full), (t, SubRect::FULL));
    }

    #[test]
    fn taipei_main_station_is_in_the_reference_tile() {
        let t = TileId::containing(25.0478, 121.5170, 15);
        assert_eq!((t.x, t.y), (27444, 14027));
        let b = t.bounds();
        assert!(b.west_deg < 121.5170 && 121.5170 < b.east_deg);
        assert!(b.south_deg < 25.0478 && 25.0478 < b.north_deg);
    }

    #[test]
    fn bounds_parse_and_reject_nonsense() {
        let b = Bounds::parse("121.5,25.0,121.6,25.1").unwrap();
        assert!((b.east_deg - 121.6).abs() < 1e-9);
        assert!(Bounds::parse("1,2,3").is_none());
        assert!(Bounds::parse("10,0,5,1").is_none());
        assert!(Bounds::parse("a,b,c,d").is_none());
    }
}
