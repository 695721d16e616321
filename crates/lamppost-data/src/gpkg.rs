//! Reading a point layer of a GeoPackage (`.gpkg`, the OGC SQLite format QGIS saves by
//! default) for the supervisor's import: read-only, never written.
//!
//! The layer is found through `gpkg_contents` and `gpkg_geometry_columns`, its CRS through
//! `gpkg_spatial_ref_sys` (`EPSG:n`, or the WKT definition for another organisation), and each
//! feature's geometry is decoded from GeoPackage binary (the `GP` header, an optional
//! envelope, then a WKB point).

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

/// Why a GeoPackage cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    /// SQLite could not open or query it.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// It has no point layer (features whose geometry type is POINT or MULTIPOINT).
    #[error("no point layer (gpkg_geometry_columns lists {0})")]
    NoPointLayer(String),
    /// The layer asked for is not one of its point layers.
    #[error("no point layer named {layer:?} (there are: {})", layers.join(", "))]
    NoSuchLayer {
        /// The name asked for.
        layer: String,
        /// The point layers there are.
        layers: Vec<String>,
    },
    /// A feature's geometry is not a GeoPackage binary point.
    #[error("feature {feature}: {detail}")]
    Geometry {
        /// The 1-based feature number.
        feature: u64,
        /// What is wrong.
        detail: String,
    },
}

/// One feature: its point (x, y in the layer's CRS; `None` for an empty or null geometry)
/// and its attribute values as text, in [`GpkgLayer::columns`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgFeature {
    /// (x, y): longitude/latitude or easting/northing, as stored.
    pub point: Option<(f64, f64)>,
    /// The attributes as text (numbers as written by SQLite, whole reals without `.0`).
    pub values: Vec<String>,
}

/// A point layer read whole.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgLayer {
    /// The layer read.
    pub name: String,
    /// Every point layer of the file, in `gpkg_contents` order.
    pub layers: Vec<String>,
    /// The layer's CRS: `EPSG:n`, or a WKT definition; `None` when undefined.
    pub srs: Option<String>,
    /// The attribute columns (every column but the geometry).
    pub columns: Vec<String>,
    /// The features, in table order.
    pub features: Vec<GpkgFeature>,
}

/// A point layer: (table name, geometry column, srs id).
type LayerRow = (String, String, i64);

/// The point layers of a GeoPackage, and every feature layer listed (for a message).
fn point_layers(db: &Connection) -> Result<(Vec<LayerRow>, String), GpkgError> {
    let mut st = db.prepare(
        "SELECT c.table_name, g.column_name, g.geometry_type_name, g.srs_id \
         FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
         WHERE c.data_type = 'features' ORDER BY c.rowid",
    )?;
    let all: Vec<(String, String, String, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let listed = all
        .iter()
        .map(|(t, _, g, _)| format!("{t} ({g})"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        all.into_iter()
            .filter(|(_, _, g, _)| {
                matches!(
                    g.to_ascii_uppercase().as_str(),
                    "POINT" | "MULTIPOINT" | "GEOMETRY"
                )
            })
            .map(|(t, c, _, s)| (t, c, s))
            .collect(),
        listed,
    ))
}

/// The CRS of an `srs_id`: `EPSG:n` for the EPSG organisation, else the WKT definition.
fn srs(db: &Connection, srs_id: i64) -> Result<Option<String>, GpkgError> {
    let mut st = db.prepare(
        "SELECT organization, organization_coordsys_id, definition \
         FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
    )?;
    let mut rows = st.query([srs_id])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let org: String = r.get::<_, Option<String>>(0)?.unwrap_or_default();
    let id: i64 = r.get::<_, Option<i64>>(1)?.unwrap_or(0);
    let def: String = r.get::<_, Option<String>>(2)?.unwrap_or_default();
    Ok(if org.eq_ignore_ascii_case("epsg") && id > 0 {
        Some(format!("EPSG:{id}"))
    } else if !def.trim().is_empty() && !def.trim().eq_ignore_ascii_case("undefined") {
        Some(def.trim().to_owned())
    } else {
        None
    })
}

/// An SQL identifier, quoted.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Reads a point layer: `layer` by name, or the first point layer. The file is opened
/// read-only and only queried.
pub fn read_points(path: &Path, layer: Option<&str>) -> Result<GpkgLayer, GpkgError> {
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    db.pragma_update(None, "query_only", true)?;
    let (layers, listed) = point_layers(&db)?;
    let names: Vec<String> = layers.iter().map(|(t, _, _)| t.clone()).collect();
    let chosen = match layer {
        Some(want) => layers
            .iter()
            .find(|(t, _, _)| t == want)
            .or_else(|| layers.iter().find(|(t, _, _)| t.eq_ignore_ascii_case(want)))
            .ok_or_else(|| GpkgError::NoSuchLayer {
                layer: want.to_owned(),
                layers: names.clone(),
            })?,
        None => layers
            .first()
            .ok_or_else(|| GpkgError::NoPointLayer(listed.clone()))?,
    };
    let (table, geom, srs_id) = chosen.clone();
    let srs = srs(&db, srs_id)?;
    let mut columns: Vec<String> = Vec::new();
    {
        let st = db.prepare(&format!("SELECT * FROM {} LIMIT 0", ident(&table)))?;
        for c in st.column_names() {
            if c != geom {
                columns.push(c.to_owned());
            }
        }
    }
    let select = std::iter::once(ident(&geom))
        .chain(columns.iter().map(|c| ident(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut st = db.prepare(&format!("SELECT {select} FROM {}", ident(&table)))?;
    let mut rows = st.query([])?;
    let mut features = Vec::new();
    while let Some(r) = rows.next()? {
        let n = features.len() as u64 + 1;
        let point = match r.get_ref(0)? {
            ValueRef::Null => None,
            ValueRef::Blob(b) => {
                gpkg_point(b).map_err(|detail| GpkgError::Geometry { feature: n, detail })?
            }
            _ => {
                return Err(GpkgError::Geometry {
                    feature: n,
                    detail: "the geometry is not a blob".to_owned(),
                });
            }
        };
        let mut values = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            values.push(match r.get_ref(i + 1)? {
                ValueRef::Null | ValueRef::Blob(_) => String::new(),
                ValueRef::Integer(v) => v.to_string(),
                ValueRef::Real(f) => {
                    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
                        format!("{}", f as i64)
                    } else {
                        f.to_string()
                    }
                }
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
            });
        }
        features.push(GpkgFeature { point, values });
    }
    Ok(GpkgLayer {
        name: table,
        layers: names,
        srs,
        columns,
        features,
    })
}

/// Decodes a GeoPackage binary geometry holding a point (or a multipoint of one point):
/// `Some((x, y))`, or `None` when empty.
pub fn gpkg_point(b: &[u8]) -> Result<Option<(f64, f64)>, String> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err("not GeoPackage binary (no GP header)".to_owned());
    }
    let flags = b[3];
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("bad envelope indicator {e}")),
    };
    if flags & 0b1_0000 != 0 {
        return Ok(None); // the empty geometry flag
    }
    let wkb = b
        .get(8 + envelope..)
        .ok_or_else(|| "truncated GeoPackage header".to_owned())?;
    wkb_point(wkb)
}

/// A WKB point (2D, Z, M or ZM; ISO or EWKB type codes), or a multipoint of one point.
fn wkb_point(w: &[u8]) -> Result<Option<(f64, f64)>, String> {
    let short = || "truncated WKB".to_owned();
    let le = match w.first() {
        Some(1) => true,
        Some(0) => false,
        _ => return Err("bad WKB byte order".to_owned()),
    };
    let u32_at = |i: usize| -> Result<u32, String> {
        let s: [u8; 4] = w
            .get(i..i + 4)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?;
        Ok(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    };
    let f64_at = |i: usize| -> Result<f64, String> {
        let s: [u8; 8] = w
            .get(i..i + 8)
            .ok_or_else(short)?
            .try_into()
            .map_err(|_| short())?;
        Ok(if le {
            f64::from_le_bytes(s)
        } else {
            f64::from_be_bytes(s)
        })
    };
    let ty = u32_at(1)?;
    // EWKB flags (Z, M, SRID) in the high bits; ISO adds 1000, 2000 or 3000.
    let has_srid = ty & 0x2000_0000 != 0;
    let base = (ty & 0x0FFF_FFFF) % 1000;
    let start = if has_srid { 9 } else { 5 };
    match base {
        1 => {
            let (x, y) = (f64_at(start)?, f64_at(start + 8)?);
            Ok((!x.is_nan() && !y.is_nan()).then_some((x, y)))
        }
        4 => match u32_at(start)? {
            0 => Ok(None),
            1 => wkb_point(w.get(start + 4..).ok_or_else(short)?),
            n => Err(format!("a multipoint of {n} points, not one")),
        },
        other => Err(format!("geometry type {other}, not a point")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gp_point(x: f64, y: f64, envelope: bool) -> Vec<u8> {
        let mut b = b"GP\x00".to_vec();
        b.push(if envelope { 0b0000_0011 } else { 0b0000_0001 });
        b.extend_from_slice(&4490i32.to_le_bytes());
        if envelope {
            for v in [x, x, y, y] {
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        b.push(0); // big-endian WKB
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&x.to_be_bytes());
        b.extend_from_slice(&y.to_be_bytes());
        b
    }

    #[test]
    fn geopackage_binary_points_decode_with_and_without_an_envelope() {
        assert_eq!(
            gpkg_point(&gp_point(121.5, 31.2, false)),
            Ok(Some((121.5, 31.2)))
        );
        assert_eq!(
            gpkg_point(&gp_point(500_000.0, 3_450_000.0, true)),
            Ok(Some((500_000.0, 3_450_000.0)))
        );
        assert!(gpkg_point(b"XX\x00\x01abcd").is_err());
        let mut line = gp_point(1.0, 2.0, false);
        line[8 + 4] = 2; // LineString
        assert!(gpkg_point(&line).unwrap_err().contains("not a point"));
    }
}
