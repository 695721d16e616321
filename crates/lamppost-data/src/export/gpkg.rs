//! GeoPackage for GIS: the file QGIS and ArcGIS open directly (OGC GeoPackage 1.3).
//!
//! Two feature layers in WGS-84 (EPSG:4326):
//! - `poles`: one point per pole that has a position, with the same attributes as the GeoJSON
//!   export (`position` says `surveyed` or `estimated`, estimates carry `error_radius_m`;
//!   `pole_no` is the number, `pole_label` the number as written, `103F`);
//! - `streets`: one line string per street with a known centre line, with its code, names,
//!   district, jurisdiction and the number of coded poles.
//!
//! A GeoPackage is an SQLite file with a fixed set of metadata tables; geometries are
//! "GeoPackage binary": a small header (magic `GP`, version, flags, SRS id, bounding box)
//! followed by the geometry in little-endian WKB. The file is written whole into a new path
//! and is complete only when [`GpkgWriter::finish`] returns.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use lamppost_core::geo::LatLon;
use lamppost_core::words::{Message, Words};

use super::geojson::GeoPole;

/// `PRAGMA application_id` of a GeoPackage: "GPKG".
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.3.0.
pub const USER_VERSION: i32 = 10300;

/// WGS-84 as GeoPackage requires it in `gpkg_spatial_ref_sys` (the OGC WKT of EPSG:4326).
const WGS84_WKT: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

/// The metadata tables, the required spatial reference systems and the two layers.
const SCHEMA: &str = r"
CREATE TABLE gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL,
    srs_id INTEGER PRIMARY KEY,
    organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL,
    definition TEXT NOT NULL,
    description TEXT
);
CREATE TABLE gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY,
    data_type TEXT NOT NULL,
    identifier TEXT UNIQUE,
    description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
    srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL,
    z TINYINT NOT NULL,
    m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE poles (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    geom POINT,
    code TEXT NOT NULL,
    street_code TEXT,
    street TEXT,
    pole_no INTEGER,
    pole_label TEXT,
    side TEXT,
    address TEXT,
    landmark TEXT,
    cross_street TEXT,
    jurisdiction TEXT,
    status TEXT,
    note TEXT,
    position TEXT NOT NULL,
    error_radius_m REAL
);
CREATE TABLE streets (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    geom LINESTRING,
    street_code TEXT NOT NULL,
    name TEXT,
    name_en TEXT,
    district TEXT,
    jurisdiction TEXT,
    length_m REAL,
    poles INTEGER
);
";

/// One street to write: its centre line in WGS-84 (at least two points).
#[derive(Debug, Clone)]
pub struct GpkgStreet<'a> {
    /// Street code.
    pub code: &'a str,
    /// Name as signposted.
    pub name: &'a str,
    /// Romanised name.
    pub name_en: &'a str,
    /// District.
    pub district: &'a str,
    /// Default jurisdiction.
    pub jurisdiction: &'a str,
    /// The centre line.
    pub line: &'a [LatLon],
    /// Its length in metres.
    pub length_m: f64,
    /// Coded poles on it.
    pub poles: u32,
}

/// Why the GeoPackage could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum GpkgError {
    /// SQLite failed while writing.
    Sqlite {
        /// The file being written.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file exists already: a GeoPackage is always written into a new file.
    Exists(PathBuf),
}

impl Words for GpkgError {
    fn message(&self) -> Message {
        match self {
            Self::Sqlite { path, source } => Message::new(
                "无法写入 GeoPackage 文件",
                "cannot write the GeoPackage file",
            )
            .about(format!("{} ({source})", path.display())),
            Self::Exists(path) => Message::new(
                "文件已存在，GeoPackage 只写入新文件",
                "the file exists; a GeoPackage is only written into a new file",
            )
            .about(path.display()),
        }
    }
}

/// A bounding box in degrees (min lon, min lat, max lon, max lat).
#[derive(Debug, Clone, Copy)]
struct Bounds {
    min_x: f64,
    min_y: f64,
    max_x: f64,
    max_y: f64,
}

impl Bounds {
    fn of(points: impl IntoIterator<Item = (f64, f64)>) -> Option<Self> {
        let mut b: Option<Self> = None;
        for (x, y) in points {
            let e = b.get_or_insert(Self {
                min_x: x,
                min_y: y,
                max_x: x,
                max_y: y,
            });
            e.min_x = e.min_x.min(x);
            e.min_y = e.min_y.min(y);
            e.max_x = e.max_x.max(x);
            e.max_y = e.max_y.max(y);
        }
        b
    }

    fn extend(self, o: Self) -> Self {
        Self {
            min_x: self.min_x.min(o.min_x),
            min_y: self.min_y.min(o.min_y),
            max_x: self.max_x.max(o.max_x),
            max_y: self.max_y.max(o.max_y),
        }
    }
}

/// Writes a GeoPackage: [`create`](Self::create), then poles and streets in any order, then
/// [`finish`](Self::finish). Everything goes into one transaction: a failed export leaves no
/// half-written layers behind, only a file the caller removes.
pub struct GpkgWriter {
    conn: Connection,
    path: PathBuf,
    poles: Option<Bounds>,
    streets: Option<Bounds>,
    /// Poles written.
    pub pole_count: u64,
    /// Streets written.
    pub street_count: u64,
}

impl GpkgWriter {
    /// Creates the file at `path` (which must not exist) with the GeoPackage tables.
    pub fn create(path: &Path) -> Result<Self, GpkgError> {
        if path.exists() {
            return Err(GpkgError::Exists(path.to_owned()));
        }
        let err = |source| GpkgError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID};
             PRAGMA user_version = {USER_VERSION};
             PRAGMA journal_mode = DELETE;
             BEGIN;
             {SCHEMA}"
        ))
        .map_err(err)?;
        let srs: [(&str, i64, &str, i64, &str, &str); 3] = [
            (
                "WGS 84 geodetic",
                4326,
                "EPSG",
                4326,
                WGS84_WKT,
                "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
            ),
            (
                "Undefined cartesian SRS",
                -1,
                "NONE",
                -1,
                "undefined",
                "undefined cartesian coordinate reference system",
            ),
            (
                "Undefined geographic SRS",
                0,
                "NONE",
                0,
                "undefined",
                "undefined geographic coordinate reference system",
            ),
        ];
        for (name, id, org, org_id, def, desc) in srs {
            conn.execute(
                "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, id, org, org_id, def, desc],
            )
            .map_err(err)?;
        }
        Ok(Self {
            conn,
            path: path.to_owned(),
            poles: None,
            streets: None,
            pole_count: 0,
            street_count: 0,
        })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> GpkgError + '_ {
        |source| GpkgError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes one pole (its point in WGS-84).
    pub fn pole(&mut self, p: &GeoPole<'_>) -> Result<(), GpkgError> {
        let geom = point_blob(p.lon_deg, p.lat_deg);
        let text = |name: &str| {
            p.text
                .iter()
                .find(|(k, _)| *k == name)
                .map_or("", |(_, v)| *v)
        };
        self.conn
            .prepare_cached(
                "INSERT INTO poles (geom, code, street_code, street, pole_no, pole_label, side,
                     address, landmark, cross_street, jurisdiction, status, note, position,
                     error_radius_m)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    geom,
                    p.code,
                    p.street_code,
                    p.street,
                    p.pole_no,
                    if p.pole_label.is_empty() {
                        p.pole_no.map(|n| n.to_string())
                    } else {
                        Some(p.pole_label.to_owned())
                    },
                    p.side,
                    text("address"),
                    text("landmark"),
                    text("cross_street"),
                    text("jurisdiction"),
                    text("status"),
                    text("note"),
                    p.position,
                    p.error_radius_m.map(f64::round),
                ])
            })
            .map_err(self.err())?;
        let b = Bounds::of([(p.lon_deg, p.lat_deg)]);
        self.poles = match (self.poles, b) {
            (Some(a), Some(b)) => Some(a.extend(b)),
            (a, b) => a.or(b),
        };
        self.pole_count += 1;
        Ok(())
    }

    /// Writes one street; a street with fewer than two points has no line and is left out
    /// (returns false).
    pub fn street(&mut self, s: &GpkgStreet<'_>) -> Result<bool, GpkgError> {
        if s.line.len() < 2 {
            return Ok(false);
        }
        let Some(b) = Bounds::of(s.line.iter().map(|p| (p.lon_deg, p.lat_deg))) else {
            return Ok(false);
        };
        let geom = line_blob(s.line, b);
        self.conn
            .prepare_cached(
                "INSERT INTO streets (geom, street_code, name, name_en, district, jurisdiction,
                     length_m, poles)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    geom,
                    s.code,
                    s.name,
                    s.name_en,
                    s.district,
                    s.jurisdiction,
                    (s.length_m * 10.0).round() / 10.0,
                    s.poles,
                ])
            })
            .map_err(self.err())?;
        self.streets = Some(self.streets.map_or(b, |a| a.extend(b)));
        self.street_count += 1;
        Ok(true)
    }

    /// Registers both layers with their extents and commits.
    pub fn finish(self) -> Result<(u64, u64), GpkgError> {
        let layers = [
            ("poles", "POINT", "灯杆 poles", self.poles),
            ("streets", "LINESTRING", "街路 streets", self.streets),
        ];
        for (table, kind, identifier, b) in layers {
            self.conn
                .execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,
                         min_x, min_y, max_x, max_y, srs_id)
                     VALUES (?1, 'features', ?2, ?3, ?4, ?5, ?6, ?7, 4326)",
                    params![
                        table,
                        identifier,
                        "Lamppost 灯杆报警定位",
                        b.map(|b| b.min_x),
                        b.map(|b| b.min_y),
                        b.map(|b| b.max_x),
                        b.map(|b| b.max_y),
                    ],
                )
                .map_err(self.err())?;
            self.conn
                .execute(
                    "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 4326, 0, 0)",
                    params![table, kind],
                )
                .map_err(self.err())?;
        }
        self.conn.execute_batch("COMMIT").map_err(self.err())?;
        Ok((self.pole_count, self.street_count))
    }
}

/// The GeoPackage binary header: magic, version 0, flags (little-endian, envelope kind), SRS id
/// 4326, then the envelope (`[minx, maxx, miny, maxy]`) when there is one.
fn header(out: &mut Vec<u8>, envelope: Option<Bounds>) {
    out.extend_from_slice(b"GP");
    out.push(0);
    // Bit 0: little-endian; bits 1–3: envelope kind (0 none, 1 = [minx, maxx, miny, maxy]).
    let flags = 0b0000_0001 | if envelope.is_some() { 0b0000_0010 } else { 0 };
    out.push(flags);
    out.extend_from_slice(&4326_i32.to_le_bytes());
    if let Some(b) = envelope {
        for v in [b.min_x, b.max_x, b.min_y, b.max_y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// A point: no envelope (a point's envelope is itself), then WKB `Point`.
fn point_blob(x: f64, y: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 21);
    header(&mut out, None);
    out.push(1);
    out.extend_from_slice(&1_u32.to_le_bytes());
    out.extend_from_slice(&x.to_le_bytes());
    out.extend_from_slice(&y.to_le_bytes());
    out
}

/// A line string with its envelope, then WKB `LineString`.
fn line_blob(line: &[LatLon], b: Bounds) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 32 + 9 + 16 * line.len());
    header(&mut out, Some(b));
    out.push(1);
    out.extend_from_slice(&2_u32.to_le_bytes());
    out.extend_from_slice(&(line.len() as u32).to_le_bytes());
    for p in line {
        out.extend_from_slice(&p.lon_deg.to_le_bytes());
        out.extend_from_slice(&p.lat_deg.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pole(code: &str, lat: f64, lon: f64) -> GeoPole<'_> {
        GeoPole {
            code,
            street_code: "S1",
            street: "中山南路",
            pole_no: Some(12),
            pole_label: "",
            side: "东",
            lat_deg: lat,
            lon_deg: lon,
            position: "surveyed",
            error_radius_m: None,
            text: [
                ("address", "中山南路12号"),
                ("landmark", "=cmd"),
                ("cross_street", "忠孝西路"),
                ("jurisdiction", "城中派出所"),
                ("status", ""),
                ("note", ""),
            ],
        }
    }

    #[test]
    fn the_file_is_a_geopackage_with_both_layers_and_their_extents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.gpkg");
        let mut w = GpkgWriter::create(&path).unwrap();
        w.pole(&pole("1-01-0012", 25.04, 121.51)).unwrap();
        w.pole(&pole("1-01-0014", 25.05, 121.52)).unwrap();
        let line = [LatLon::new(25.0, 121.5), LatLon::new(25.1, 121.6)];
        assert!(
            w.street(&GpkgStreet {
                code: "S1",
                name: "中山南路",
                name_en: "Zhongshan S. Rd.",
                district: "中正区",
                jurisdiction: "城中派出所",
                line: &line,
                length_m: 1234.56,
                poles: 2,
            })
            .unwrap()
        );
        assert!(
            !w.street(&GpkgStreet {
                code: "S2",
                name: "无线路",
                name_en: "",
                district: "",
                jurisdiction: "",
                line: &line[..1],
                length_m: 0.0,
                poles: 0,
            })
            .unwrap(),
            "a street without a line is left out"
        );
        assert_eq!(w.finish().unwrap(), (2, 1));

        let c = Connection::open(&path).unwrap();
        let app: i32 = c
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap();
        let ver: i32 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!((app, ver), (APPLICATION_ID, USER_VERSION));
        let (minx, maxy): (f64, f64) = c
            .query_row(
                "SELECT min_x, max_y FROM gpkg_contents WHERE table_name = 'poles'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!((minx - 121.51).abs() < 1e-12 && (maxy - 25.05).abs() < 1e-12);
        let kinds: Vec<String> = c
            .prepare("SELECT geometry_type_name FROM gpkg_geometry_columns ORDER BY table_name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kinds, ["POINT", "LINESTRING"]);
        let blob: Vec<u8> = c
            .query_row("SELECT geom FROM poles WHERE fid = 2", [], |r| r.get(0))
            .unwrap();
        assert_eq!(&blob[..4], b"GP\x00\x01");
        assert_eq!(i32::from_le_bytes(blob[4..8].try_into().unwrap()), 4326);
        assert_eq!(blob[8], 1, "little-endian WKB");
        assert_eq!(u32::from_le_bytes(blob[9..13].try_into().unwrap()), 1);
        let x = f64::from_le_bytes(blob[13..21].try_into().unwrap());
        let y = f64::from_le_bytes(blob[21..29].try_into().unwrap());
        assert_eq!((x, y), (121.52, 25.05));
        let line: Vec<u8> = c
            .query_row("SELECT geom FROM streets", [], |r| r.get(0))
            .unwrap();
        assert_eq!(line[3], 0b11, "little-endian with an xy envelope");
        assert_eq!(line.len(), 8 + 32 + 9 + 32);
        // SQLite's own check, and the foreign keys of the metadata tables.
        let ok: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        let broken: i64 = c
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(broken, 0);
    }

    #[test]
    fn an_existing_file_is_never_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("there.gpkg");
        std::fs::write(&path, b"keep me").unwrap();
        assert!(matches!(
            GpkgWriter::create(&path),
            Err(GpkgError::Exists(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    }
}
