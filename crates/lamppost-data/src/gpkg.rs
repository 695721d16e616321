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
    /// It has no layer of the kind asked for (lines, polygons).
    #[error("no {kind} layer (gpkg_geometry_columns lists {listed})")]
    NoLayer {
        /// `line` or `polygon`.
        kind: &'static str,
        /// Every feature layer, with its geometry type.
        listed: String,
    },
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

/// A feature's geometry, in the layer's CRS: (x, y) pairs (longitude/latitude or
/// easting/northing, as stored).
#[derive(Debug, Clone, PartialEq)]
pub enum GpkgGeometry {
    /// Points (a `POINT`, or each point of a `MULTIPOINT`).
    Points(Vec<(f64, f64)>),
    /// Lines (a `LINESTRING`, or each part of a `MULTILINESTRING`).
    Lines(Vec<Vec<(f64, f64)>>),
    /// Polygons, each a list of rings, the outer one first.
    Polygons(Vec<Vec<Vec<(f64, f64)>>>),
}

/// The kind of layer to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// Point layers (`POINT`, `MULTIPOINT`): the import's poles.
    Points,
    /// Line layers (`LINESTRING`, `MULTILINESTRING`): roads for a basemap.
    Lines,
    /// Polygon layers (`POLYGON`, `MULTIPOLYGON`): water, land use.
    Polygons,
    /// Any feature layer.
    Any,
}

impl LayerKind {
    /// Whether a layer of `gpkg_geometry_columns.geometry_type_name` `ty` is of this kind
    /// (`GEOMETRY`, any type, is of every kind).
    fn takes(self, ty: &str) -> bool {
        let ty = ty.to_ascii_uppercase();
        let ty = ty.trim_end_matches(['Z', 'M']).trim_end();
        ty == "GEOMETRY"
            || match self {
                Self::Points => matches!(ty, "POINT" | "MULTIPOINT"),
                Self::Lines => matches!(
                    ty,
                    "LINESTRING" | "MULTILINESTRING" | "CURVE" | "MULTICURVE"
                ),
                Self::Polygons => {
                    matches!(ty, "POLYGON" | "MULTIPOLYGON" | "SURFACE" | "MULTISURFACE")
                }
                Self::Any => true,
            }
    }
}

/// A layer chosen to be read: its table, columns and CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct GpkgLayer {
    /// The layer read.
    pub name: String,
    /// Every layer of the kind asked for, in `gpkg_contents` order.
    pub layers: Vec<String>,
    /// The layer's CRS: `EPSG:n`, or a WKT definition; `None` when undefined.
    pub srs: Option<String>,
    /// The attribute columns (every column but the geometry).
    pub columns: Vec<String>,
    /// The geometry column.
    geometry: String,
}

/// A layer: (table name, geometry column, geometry type, srs id).
type LayerRow = (String, String, String, i64);

/// The feature layers of a GeoPackage of a kind, and every feature layer listed (for a
/// message).
fn layers_of(db: &Connection, kind: LayerKind) -> Result<(Vec<LayerRow>, String), GpkgError> {
    let mut st = db.prepare(
        "SELECT c.table_name, g.column_name, g.geometry_type_name, g.srs_id \
         FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
         WHERE c.data_type = 'features' ORDER BY c.rowid",
    )?;
    let all: Vec<LayerRow> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let listed = all
        .iter()
        .map(|(t, _, g, _)| format!("{t} ({g})"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        all.into_iter()
            .filter(|(_, _, g, _)| kind.takes(g))
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

/// Opens a GeoPackage read-only (and query-only).
fn open(path: &Path) -> Result<Connection, GpkgError> {
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    db.pragma_update(None, "query_only", true)?;
    Ok(db)
}

/// Chooses a layer of a kind: `layer` by name, or the first one; its columns and CRS.
pub fn layer(path: &Path, layer: Option<&str>, kind: LayerKind) -> Result<GpkgLayer, GpkgError> {
    let db = open(path)?;
    let (layers, listed) = layers_of(&db, kind)?;
    let names: Vec<String> = layers.iter().map(|(t, ..)| t.clone()).collect();
    let chosen = match layer {
        Some(want) => layers
            .iter()
            .find(|(t, ..)| t == want)
            .or_else(|| layers.iter().find(|(t, ..)| t.eq_ignore_ascii_case(want)))
            .ok_or_else(|| GpkgError::NoSuchLayer {
                layer: want.to_owned(),
                layers: names.clone(),
            })?,
        None => layers.first().ok_or_else(|| match kind {
            LayerKind::Points => GpkgError::NoPointLayer(listed.clone()),
            LayerKind::Lines => GpkgError::NoLayer {
                kind: "line",
                listed: listed.clone(),
            },
            LayerKind::Polygons | LayerKind::Any => GpkgError::NoLayer {
                kind: "polygon",
                listed: listed.clone(),
            },
        })?,
    };
    let (table, geometry, _, srs_id) = chosen.clone();
    let srs = srs(&db, srs_id)?;
    let st = db.prepare(&format!("SELECT * FROM {} LIMIT 0", ident(&table)))?;
    let columns = st
        .column_names()
        .filter(|c| *c != geometry)
        .map(str::to_owned)
        .collect();
    Ok(GpkgLayer {
        name: table,
        layers: names,
        srs,
        columns,
        geometry,
    })
}

/// Reads a layer's features one at a time, in table order, without holding them: `each` gets
/// the 1-based feature number, its geometry (`None` when null or empty) and its attribute
/// values as text in [`GpkgLayer::columns`] order (numbers as SQLite writes them, whole reals
/// without `.0`), and returns `false` to stop. A geometry that cannot be decoded is an error
/// naming the feature.
pub fn for_each_feature(
    path: &Path,
    layer: &GpkgLayer,
    mut each: impl FnMut(u64, Option<GpkgGeometry>, &[String]) -> bool,
) -> Result<(), GpkgError> {
    let db = open(path)?;
    let select = std::iter::once(ident(&layer.geometry))
        .chain(layer.columns.iter().map(|c| ident(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut st = db.prepare(&format!("SELECT {select} FROM {}", ident(&layer.name)))?;
    let mut rows = st.query([])?;
    let mut values: Vec<String> = Vec::with_capacity(layer.columns.len());
    let mut n = 0;
    while let Some(r) = rows.next()? {
        n += 1;
        let geometry = match r.get_ref(0)? {
            ValueRef::Null => None,
            ValueRef::Blob(b) => {
                gpkg_geometry(b).map_err(|detail| GpkgError::Geometry { feature: n, detail })?
            }
            _ => {
                return Err(GpkgError::Geometry {
                    feature: n,
                    detail: "the geometry is not a blob".to_owned(),
                });
            }
        };
        values.clear();
        for i in 0..layer.columns.len() {
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
        if !each(n, geometry, &values) {
            break;
        }
    }
    Ok(())
}

/// Decodes a GeoPackage binary geometry holding a point (or a multipoint of one point):
/// `Some((x, y))`, or `None` when empty.
pub fn gpkg_point(b: &[u8]) -> Result<Option<(f64, f64)>, String> {
    match gpkg_geometry(b)? {
        None => Ok(None),
        Some(GpkgGeometry::Points(p)) => match p.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            more => Err(format!("a multipoint of {} points, not one", more.len())),
        },
        Some(GpkgGeometry::Lines(_)) => Err("geometry type 2, not a point".to_owned()),
        Some(GpkgGeometry::Polygons(_)) => Err("geometry type 3, not a point".to_owned()),
    }
}

/// Decodes a GeoPackage binary geometry (the `GP` header, an optional envelope, then WKB):
/// points, lines and polygons, single or multi; `None` when empty.
pub fn gpkg_geometry(b: &[u8]) -> Result<Option<GpkgGeometry>, String> {
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
    let mut r = Wkb { w: wkb, at: 0 };
    let g = r.geometry()?;
    let empty = match &g {
        GpkgGeometry::Points(p) => p.is_empty(),
        GpkgGeometry::Lines(l) => l.is_empty(),
        GpkgGeometry::Polygons(p) => p.is_empty(),
    };
    Ok((!empty).then_some(g))
}

/// Most coordinates one geometry may claim (a count read from the file, checked before any
/// allocation).
const MAX_WKB_POINTS: u32 = 50_000_000;

/// A WKB reader (2D, Z, M or ZM; ISO or EWKB type codes).
struct Wkb<'b> {
    w: &'b [u8],
    at: usize,
}

impl Wkb<'_> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s: [u8; N] = self
            .w
            .get(self.at..self.at + N)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| "truncated WKB".to_owned())?;
        self.at += N;
        Ok(s)
    }

    fn u32(&mut self, le: bool) -> Result<u32, String> {
        let s = self.bytes::<4>()?;
        Ok(if le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }

    fn f64(&mut self, le: bool) -> Result<f64, String> {
        let s = self.bytes::<8>()?;
        Ok(if le {
            f64::from_le_bytes(s)
        } else {
            f64::from_be_bytes(s)
        })
    }

    /// A count, checked against what the bytes left could hold.
    fn count(&mut self, le: bool, each: usize) -> Result<u32, String> {
        let n = self.u32(le)?;
        if n > MAX_WKB_POINTS || (n as usize).saturating_mul(each) > self.w.len() - self.at {
            return Err(format!("a count of {n} that the geometry cannot hold"));
        }
        Ok(n)
    }

    /// Byte order, base type (1..=6) and coordinates per point.
    fn head(&mut self) -> Result<(bool, u32, usize), String> {
        let le = match self.bytes::<1>()? {
            [1] => true,
            [0] => false,
            _ => return Err("bad WKB byte order".to_owned()),
        };
        let ty = self.u32(le)?;
        // EWKB flags (Z 0x8000_0000, M 0x4000_0000, SRID 0x2000_0000); ISO adds 1000 (Z),
        // 2000 (M) or 3000 (ZM).
        let iso = (ty & 0x0FFF_FFFF) / 1000;
        let mut dims = 2 + usize::from(ty & 0x8000_0000 != 0) + usize::from(ty & 0x4000_0000 != 0);
        dims += match iso {
            1 | 2 => 1,
            3 => 2,
            _ => 0,
        };
        if ty & 0x2000_0000 != 0 {
            self.bytes::<4>()?; // the SRID
        }
        Ok((le, (ty & 0x0FFF_FFFF) % 1000, dims))
    }

    fn point(&mut self, le: bool, dims: usize) -> Result<(f64, f64), String> {
        let (x, y) = (self.f64(le)?, self.f64(le)?);
        for _ in 2..dims {
            self.f64(le)?;
        }
        Ok((x, y))
    }

    fn line(&mut self, le: bool, dims: usize) -> Result<Vec<(f64, f64)>, String> {
        let n = self.count(le, 8 * dims)?;
        (0..n).map(|_| self.point(le, dims)).collect()
    }

    fn polygon(&mut self, le: bool, dims: usize) -> Result<Vec<Vec<(f64, f64)>>, String> {
        let n = self.count(le, 4)?;
        (0..n).map(|_| self.line(le, dims)).collect()
    }

    fn geometry(&mut self) -> Result<GpkgGeometry, String> {
        let (le, base, dims) = self.head()?;
        Ok(match base {
            1 => {
                let (x, y) = self.point(le, dims)?;
                GpkgGeometry::Points(if x.is_nan() || y.is_nan() {
                    Vec::new()
                } else {
                    vec![(x, y)]
                })
            }
            2 => GpkgGeometry::Lines(vec![self.line(le, dims)?]),
            3 => GpkgGeometry::Polygons(vec![self.polygon(le, dims)?]),
            4..=6 => {
                let n = self.count(le, 5)?;
                let mut points = Vec::new();
                let mut lines = Vec::new();
                let mut polys = Vec::new();
                for _ in 0..n {
                    match self.geometry()? {
                        GpkgGeometry::Points(p) if base == 4 => points.extend(p),
                        GpkgGeometry::Lines(l) if base == 5 => lines.extend(l),
                        GpkgGeometry::Polygons(p) if base == 6 => polys.extend(p),
                        _ => return Err(format!("a part of another type in geometry type {base}")),
                    }
                }
                match base {
                    4 => GpkgGeometry::Points(points),
                    5 => GpkgGeometry::Lines(lines),
                    _ => GpkgGeometry::Polygons(polys),
                }
            }
            other => {
                return Err(format!(
                    "geometry type {other}, not a point, line or polygon"
                ));
            }
        })
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
        line[8 + 4] = 2; // LineString: its count (the bytes of x) cannot be held
        assert!(gpkg_point(&line).is_err());
    }

    #[test]
    fn lines_and_polygons_decode_single_and_multi() {
        let mut b = b"GP\x00\x01".to_vec();
        b.extend_from_slice(&4527i32.to_le_bytes());
        // A little-endian MULTILINESTRING Z (ISO 1005) of one line of two points.
        b.push(1);
        b.extend_from_slice(&1005u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.push(1);
        b.extend_from_slice(&1002u32.to_le_bytes());
        b.extend_from_slice(&2u32.to_le_bytes());
        for v in [1.0f64, 2.0, 9.0, 3.0, 4.0, 9.0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(
            gpkg_geometry(&b),
            Ok(Some(GpkgGeometry::Lines(vec![vec![
                (1.0, 2.0),
                (3.0, 4.0)
            ]])))
        );
        let mut p = b"GP\x00\x01".to_vec();
        p.extend_from_slice(&0i32.to_le_bytes());
        p.push(1);
        p.extend_from_slice(&3u32.to_le_bytes());
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&4u32.to_le_bytes());
        for v in [0.0f64, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        let Ok(Some(GpkgGeometry::Polygons(polys))) = gpkg_geometry(&p) else {
            panic!("a polygon");
        };
        assert_eq!(polys[0][0].len(), 4);
        // A count larger than the bytes is refused before any allocation.
        p.truncate(p.len() - 8);
        assert!(gpkg_geometry(&p).is_err());
    }
}
