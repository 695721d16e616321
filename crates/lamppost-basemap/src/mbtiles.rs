//! MBTiles: the SQLite tile format that QGIS, `TileMill`, GDAL and mb-util write (`metadata` and
//! `tiles` tables, rows in the TMS scheme, counted from the south).
//!
//! A user's file is opened read-only and `immutable=1`: this program never writes to it, and
//! SQLite takes no locks and creates no journal beside it. Files are written only by
//! [`MbTilesWriter`], which writes a temporary file beside the output and renames it at the end.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension as _, params};

use super::{Bounds, Center, Datum, TileError, TileFormat, TileId, TileMeta, TileSource};
use lamppost_core::encode::uri_path;

/// An MBTiles file open for reading.
pub struct MbTiles {
    conn: Connection,
    path: PathBuf,
    meta: TileMeta,
    /// Every metadata row, for callers that want keys we do not model.
    raw_meta: HashMap<String, String>,
}

impl std::fmt::Debug for MbTiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MbTiles")
            .field("path", &self.path)
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl MbTiles {
    /// Opens a file read-only and reads its metadata. Missing `minzoom`/`maxzoom`/`format` are
    /// taken from the tiles themselves.
    pub fn open(path: &Path) -> Result<Self, TileError> {
        if !path.is_file() {
            return Err(TileError::NotFound(path.to_owned()));
        }
        let uri = format!("file:{}?mode=ro&immutable=1", uri_path(path));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(uri, flags).map_err(|e| classify(path, e))?;
        // Memory-mapped reads: tiles are served from the page cache without copies.
        let _ = conn.pragma_update(None, "mmap_size", 268_435_456_i64);
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| classify(path, e))?;
        if !tables.iter().any(|t| t == "tiles") || !tables.iter().any(|t| t == "metadata") {
            return Err(TileError::NotMbTiles(path.to_owned()));
        }
        let raw_meta: HashMap<String, String> = conn
            .prepare("SELECT name, value FROM metadata")
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    ))
                })?
                .collect::<Result<_, _>>()
            })
            .map_err(|e| classify(path, e))?;
        let meta = read_meta(&conn, path, &raw_meta)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
            meta,
            raw_meta,
        })
    }

    /// A metadata value by key, as stored.
    #[must_use]
    pub fn raw_metadata(&self, key: &str) -> Option<&str> {
        self.raw_meta.get(key).map(String::as_str)
    }

    /// Number of tiles in the file.
    pub fn tile_count(&self) -> Result<u64, TileError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM tiles", [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| classify(&self.path, e))
    }
}

impl TileSource for MbTiles {
    fn meta(&self) -> &TileMeta {
        &self.meta
    }

    fn read(&mut self, id: TileId) -> Result<Option<Vec<u8>>, TileError> {
        read_blob(&self.conn, id).map_err(|e| classify(&self.path, e))
    }

    fn location(&self) -> &Path {
        &self.path
    }
}

fn read_blob(conn: &Connection, id: TileId) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached(
        "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
    )?
    .query_row(params![id.z, id.x, id.tms_row()], |r| {
        r.get::<_, Vec<u8>>(0)
    })
    .optional()
}

fn read_meta(
    conn: &Connection,
    path: &Path,
    raw: &HashMap<String, String>,
) -> Result<TileMeta, TileError> {
    let bad = |key: &str, value: &str| TileError::BadMetadata {
        key: key.to_owned(),
        value: value.to_owned(),
        path: path.to_owned(),
    };
    let get = |key: &str| raw.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());

    let zoom = |key: &str| -> Result<Option<u8>, TileError> {
        get(key)
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|z| (0.0..=f64::from(super::MAX_ZOOM)).contains(z))
                    .map(|z| z as u8)
                    .ok_or_else(|| bad(key, v))
            })
            .transpose()
    };
    let (mut min_zoom, mut max_zoom) = (zoom("minzoom")?, zoom("maxzoom")?);
    if min_zoom.is_none() || max_zoom.is_none() {
        let (lo, hi): (Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| classify(path, e))?;
        min_zoom = min_zoom.or(lo.map(|z| z.clamp(0, 30) as u8));
        max_zoom = max_zoom.or(hi.map(|z| z.clamp(0, 30) as u8));
    }
    let min_zoom = min_zoom.unwrap_or(0);
    let max_zoom = max_zoom.unwrap_or(min_zoom).max(min_zoom);

    let first_tile: Option<Vec<u8>> = conn
        .query_row("SELECT tile_data FROM tiles LIMIT 1", [], |r| r.get(0))
        .optional()
        .map_err(|e| classify(path, e))?;
    let format = match get("format") {
        Some(f) => TileFormat::parse(f),
        None => first_tile
            .as_deref()
            .and_then(TileFormat::sniff)
            .unwrap_or(TileFormat::Png),
    };
    if !format.is_raster() {
        return Err(TileError::UnsupportedFormat {
            format: format.as_str().to_owned(),
            path: path.to_owned(),
        });
    }
    let tile_size_px = first_tile
        .as_deref()
        .and_then(|b| super::decode::decode_tile(b).ok())
        .map_or(256, |t| t.width);

    let bounds = get("bounds")
        .map(|v| Bounds::parse(v).ok_or_else(|| bad("bounds", v)))
        .transpose()?;
    let center = get("center")
        .map(|v| parse_center(v).ok_or_else(|| bad("center", v)))
        .transpose()?
        .or_else(|| {
            bounds.map(|b| Center {
                lon_deg: f64::midpoint(b.west_deg, b.east_deg),
                lat_deg: f64::midpoint(b.south_deg, b.north_deg),
                zoom: min_zoom.max(max_zoom.saturating_sub(2)),
            })
        });
    let datum = match get("datum") {
        None => Datum::Wgs84,
        Some(v) => Datum::parse(v).ok_or_else(|| bad("datum", v))?,
    };
    Ok(TileMeta {
        name: get("name").map(str::to_owned),
        format,
        bounds,
        center,
        min_zoom,
        max_zoom,
        attribution: get("attribution").map(str::to_owned),
        datum,
        tile_size_px,
    })
}

/// Parses `lon,lat[,zoom]`.
fn parse_center(text: &str) -> Option<Center> {
    let v: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    let (lon, lat, zoom) = match v[..] {
        [lon, lat] => (lon, lat, 0.0),
        [lon, lat, z] => (lon, lat, z),
        _ => return None,
    };
    ((-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
        && (0.0..=30.0).contains(&zoom))
    .then(|| Center {
        lon_deg: lon,
        lat_deg: lat,
        zoom: zoom.round() as u8,
    })
}

fn classify(path: &Path, e: rusqlite::Error) -> TileError {
    if let rusqlite::Error::SqliteFailure(f, ref msg) = e {
        match f.code {
            ErrorCode::NotADatabase => return TileError::NotSqlite(path.to_owned()),
            ErrorCode::DatabaseCorrupt => {
                return TileError::Corrupt {
                    path: path.to_owned(),
                    detail: msg
                        .clone()
                        .unwrap_or_else(|| "database disk image is malformed".into()),
                };
            }
            _ => {}
        }
    }
    TileError::Sqlite {
        path: path.to_owned(),
        source: e,
    }
}

/// Metadata to write into a new MBTiles file.
#[derive(Debug, Clone)]
pub struct WriteMeta {
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `attribution`.
    pub attribution: String,
    /// `format`.
    pub format: TileFormat,
    /// `bounds`.
    pub bounds: Bounds,
    /// `center` (zoom included).
    pub center: Center,
    /// `minzoom`.
    pub min_zoom: u8,
    /// `maxzoom`.
    pub max_zoom: u8,
    /// Our `datum` key.
    pub datum: Datum,
}

/// Writes a new MBTiles file: into a temporary file beside the output, renamed over the output
/// by [`MbTilesWriter::finish`]. Dropped unfinished (an error, Ctrl-C unwinding), it removes the
/// temporary file, so the output path never holds half a file.
pub struct MbTilesWriter {
    conn: Option<Connection>,
    tmp: PathBuf,
    out: PathBuf,
    in_tx: usize,
}

impl MbTilesWriter {
    /// Starts a new file that will replace `out` when finished.
    pub fn create(out: &Path, meta: &WriteMeta) -> Result<Self, TileError> {
        let dir = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|source| TileError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let name = out
            .file_name()
            .map_or_else(|| "basemap".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!(".{name}.part-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let conn = Connection::open(&tmp).map_err(|e| classify(&tmp, e))?;
        let w = Self {
            conn: Some(conn),
            tmp: tmp.clone(),
            out: out.to_owned(),
            in_tx: 0,
        };
        w.exec(
            "PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             PRAGMA page_size = 4096;
             CREATE TABLE metadata (name TEXT NOT NULL PRIMARY KEY, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL,
                                 tile_row INTEGER NOT NULL, tile_data BLOB NOT NULL);
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
             BEGIN;",
        )?;
        let rows = [
            ("name", meta.name.clone()),
            ("description", meta.description.clone()),
            ("attribution", meta.attribution.clone()),
            ("format", meta.format.as_str().to_owned()),
            ("type", "baselayer".to_owned()),
            ("version", "1.3".to_owned()),
            ("bounds", meta.bounds.to_metadata()),
            (
                "center",
                format!(
                    "{:.6},{:.6},{}",
                    meta.center.lon_deg, meta.center.lat_deg, meta.center.zoom
                ),
            ),
            ("minzoom", meta.min_zoom.to_string()),
            ("maxzoom", meta.max_zoom.to_string()),
            ("datum", meta.datum.as_str().to_owned()),
        ];
        for (k, v) in rows {
            w.conn()?
                .execute(
                    "INSERT INTO metadata (name, value) VALUES (?1, ?2)",
                    params![k, v],
                )
                .map_err(|e| classify(&tmp, e))?;
        }
        Ok(w)
    }

    fn conn(&self) -> Result<&Connection, TileError> {
        self.conn.as_ref().ok_or_else(|| TileError::Io {
            path: self.tmp.clone(),
            source: std::io::Error::other("writer already finished"),
        })
    }

    fn exec(&self, sql: &str) -> Result<(), TileError> {
        self.conn()?
            .execute_batch(sql)
            .map_err(|e| classify(&self.tmp, e))
    }

    /// Adds (or replaces) one tile's encoded image.
    pub fn insert(&mut self, id: TileId, data: &[u8]) -> Result<(), TileError> {
        self.conn()?
            .prepare_cached(
                "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![id.z, id.x, id.tms_row(), data]))
            .map_err(|e| classify(&self.tmp, e))?;
        self.in_tx += 1;
        if self.in_tx >= 2000 {
            self.exec("COMMIT; BEGIN;")?;
            self.in_tx = 0;
        }
        Ok(())
    }

    /// Commits, closes and renames the file over the output path; returns its size in bytes.
    pub fn finish(mut self) -> Result<u64, TileError> {
        self.exec("COMMIT; ANALYZE;")?;
        if let Some(conn) = self.conn.take() {
            conn.close().map_err(|(_, e)| classify(&self.tmp, e))?;
        }
        std::fs::rename(&self.tmp, &self.out).map_err(|source| TileError::Io {
            path: self.out.clone(),
            source,
        })?;
        std::fs::metadata(&self.out)
            .map(|m| m.len())
            .map_err(|source| TileError::Io {
                path: self.out.clone(),
                source,
            })
    }
}

impl Drop for MbTilesWriter {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn);
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::encode_png_rgba;

    fn png(rgb: [u8; 3]) -> Vec<u8> {
        let px: Vec<u8> = (0..16 * 16)
            .flat_map(|_| [rgb[0], rgb[1], rgb[2], 255])
            .collect();
        encode_png_rgba(16, 16, &px).unwrap()
    }

    /// A hand-made MBTiles file with the given metadata rows and tiles (TMS rows as given).
    fn raw_file(dir: &Path, meta: &[(&str, &str)], tiles: &[(u8, u32, u32, Vec<u8>)]) -> PathBuf {
        let path = dir.join("t.mbtiles");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);",
        )
        .unwrap();
        for (k, v) in meta {
            c.execute("INSERT INTO metadata VALUES (?1, ?2)", params![k, v])
                .unwrap();
        }
        for (z, x, row, data) in tiles {
            c.execute(
                "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                params![z, x, row, data],
            )
            .unwrap();
        }
        path
    }

    #[test]
    fn the_tms_row_is_flipped_when_reading_a_known_tile() {
        let dir = tempfile::tempdir().unwrap();
        // Zoom 2, XYZ row 0 (the north) is TMS row 3.
        let path = raw_file(
            dir.path(),
            &[("format", "png")],
            &[(2, 1, 3, png([255, 0, 0])), (2, 1, 0, png([0, 0, 255]))],
        );
        let mut m = MbTiles::open(&path).unwrap();
        let north = m.read(TileId::new(2, 1, 0).unwrap()).unwrap().unwrap();
        let t = crate::decode_tile(&north).unwrap();
        assert_eq!(t.pixel(0, 0), Some([255, 0, 0, 255]));
        let south = m.read(TileId::new(2, 1, 3).unwrap()).unwrap().unwrap();
        assert_eq!(
            crate::decode_tile(&south).unwrap().pixel(0, 0),
            Some([0, 0, 255, 255])
        );
    }

    #[test]
    fn a_missing_tile_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = raw_file(dir.path(), &[], &[(0, 0, 0, png([1, 2, 3]))]);
        let mut m = MbTiles::open(&path).unwrap();
        assert!(m.read(TileId::new(3, 1, 1).unwrap()).unwrap().is_none());
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let err = MbTiles::open(Path::new("/nonexistent/城市.mbtiles")).unwrap_err();
        assert!(matches!(err, TileError::NotFound(_)));
        assert!(err.to_string().contains("basemap file not found"));
    }

    #[test]
    fn an_sqlite_file_without_tile_tables_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.sqlite");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE poles (code TEXT);")
            .unwrap();
        let err = MbTiles::open(&path).unwrap_err();
        assert!(matches!(err, TileError::NotMbTiles(_)), "{err}");
        assert!(err.to_string().contains("不是 MBTiles"));
    }

    #[test]
    fn a_text_file_is_not_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.mbtiles");
        std::fs::write(&path, "this is not a database, just some text ".repeat(100)).unwrap();
        let err = MbTiles::open(&path).unwrap_err();
        assert!(matches!(err, TileError::NotSqlite(_)), "{err}");
    }

    #[test]
    fn full_metadata_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = raw_file(
            dir.path(),
            &[
                ("name", "Taipei"),
                ("format", "png"),
                ("bounds", "121.5,25.0,121.6,25.1"),
                ("center", "121.55,25.05,14"),
                ("minzoom", "12"),
                ("maxzoom", "17"),
                ("attribution", "© OpenStreetMap contributors"),
                ("datum", "gcj02"),
            ],
            &[(12, 3430, 2342, png([9, 9, 9]))],
        );
        let m = MbTiles::open(&path).unwrap();
        let meta = m.meta();
        assert_eq!(meta.name.as_deref(), Some("Taipei"));
        assert_eq!((meta.min_zoom, meta.max_zoom), (12, 17));
        assert_eq!(meta.center.unwrap().zoom, 14);
        assert_eq!(meta.datum, Datum::Gcj02);
        assert_eq!(meta.tile_size_px, 16);
        assert_eq!(
            meta.attribution.as_deref(),
            Some("© OpenStreetMap contributors")
        );
    }

    #[test]
    fn sparse_metadata_like_gdal_output_falls_back_to_the_tiles() {
        let dir = tempfile::tempdir().unwrap();
        let path = raw_file(
            dir.path(),
            &[("name", "qgis")],
            &[(3, 0, 0, png([1, 1, 1])), (5, 0, 0, png([1, 1, 1]))],
        );
        let meta = MbTiles::open(&path).unwrap().meta().clone();
        assert_eq!((meta.min_zoom, meta.max_zoom), (3, 5));
        assert_eq!(meta.format, TileFormat::Png);
        assert_eq!(meta.datum, Datum::Wgs84);
        assert!(meta.center.is_none() && meta.bounds.is_none());
    }

    #[test]
    fn unreadable_metadata_values_name_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = raw_file(dir.path(), &[("datum", "bd09")], &[]);
        let err = MbTiles::open(&path).unwrap_err();
        assert!(err.to_string().contains("`datum`"), "{err}");
        let dir2 = tempfile::tempdir().unwrap();
        let path = raw_file(dir2.path(), &[("bounds", "1,2")], &[]);
        assert!(
            MbTiles::open(&path)
                .unwrap_err()
                .to_string()
                .contains("`bounds`")
        );
    }

    #[test]
    fn vector_tiles_are_refused_with_the_format_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = raw_file(dir.path(), &[("format", "pbf")], &[]);
        let err = MbTiles::open(&path).unwrap_err();
        assert!(matches!(err, TileError::UnsupportedFormat { .. }));
        assert!(err.to_string().contains("pbf"));
    }

    #[test]
    fn opening_never_writes_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = raw_file(
            dir.path(),
            &[("format", "png")],
            &[(0, 0, 0, png([1, 2, 3]))],
        );
        let before = std::fs::read(&path).unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&path, perms).unwrap();
        let mut m = MbTiles::open(&path).unwrap();
        m.read(TileId::new(0, 0, 0).unwrap()).unwrap().unwrap();
        drop(m);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no journal or WAL file beside it");
    }

    #[test]
    fn the_writer_round_trips_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.mbtiles");
        let meta = WriteMeta {
            name: "t".into(),
            description: "d".into(),
            attribution: "© OpenStreetMap contributors".into(),
            format: TileFormat::Png,
            bounds: Bounds::parse("121,25,122,26").unwrap(),
            center: Center {
                lon_deg: 121.5,
                lat_deg: 25.5,
                zoom: 12,
            },
            min_zoom: 12,
            max_zoom: 13,
            datum: Datum::Wgs84,
        };
        let mut w = MbTilesWriter::create(&out, &meta).unwrap();
        let id = TileId::new(12, 3430, 1000).unwrap();
        w.insert(id, &png([5, 6, 7])).unwrap();
        assert!(!out.exists(), "nothing at the output path before finish");
        w.finish().unwrap();
        let mut m = MbTiles::open(&out).unwrap();
        assert!(m.read(id).unwrap().is_some());
        assert_eq!(m.meta().max_zoom, 13);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_abandoned_writer_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.mbtiles");
        std::fs::write(&out, b"old").unwrap();
        let meta = WriteMeta {
            name: "t".into(),
            description: String::new(),
            attribution: String::new(),
            format: TileFormat::Png,
            bounds: Bounds::parse("0,0,1,1").unwrap(),
            center: Center {
                lon_deg: 0.5,
                lat_deg: 0.5,
                zoom: 1,
            },
            min_zoom: 0,
            max_zoom: 1,
            datum: Datum::Wgs84,
        };
        let mut w = MbTilesWriter::create(&out, &meta).unwrap();
        w.insert(TileId::new(0, 0, 0).unwrap(), &png([1, 1, 1]))
            .unwrap();
        drop(w);
        assert_eq!(
            std::fs::read(&out).unwrap(),
            b"old",
            "the old file is untouched"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
