//! Geography: WGS-84 points, distances, street centre lines, and the formats they are written in.
//!
//! Latitude/longitude order is the classic GIS bug, so every coordinate here is a named field
//! (`lat_deg`, `lon_deg`) and every distance carries its unit (`_m`). Street-scale work
//! (interpolation, projection onto a centre line) happens in a local east/north plane in metres,
//! which is exact enough over the few kilometres of one street.

use crate::words::{Message, Words};
use std::fmt::Write as _;

/// Mean Earth radius in metres (IUGG), used by the haversine distance.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS-84 position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat_deg: f64,
    /// Longitude, degrees east.
    pub lon_deg: f64,
}

impl LatLon {
    /// A position from latitude and longitude in degrees (in that order).
    #[must_use]
    pub const fn new(lat_deg: f64, lon_deg: f64) -> Self {
        Self { lat_deg, lon_deg }
    }

    /// True when both numbers are finite and within the range of the globe.
    #[must_use]
    pub fn is_valid(self) -> bool {
        self.lat_deg.is_finite()
            && self.lon_deg.is_finite()
            && self.lat_deg.abs() <= 90.0
            && self.lon_deg.abs() <= 180.0
    }

    /// Great-circle distance in metres (haversine).
    #[must_use]
    pub fn distance_m(self, other: LatLon) -> f64 {
        let (p1, p2) = (self.lat_deg.to_radians(), other.lat_deg.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon_deg - self.lon_deg).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

/// A point in a local plane: metres east and north of a chosen origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Xy {
    /// Metres east of the origin.
    pub x_m: f64,
    /// Metres north of the origin.
    pub y_m: f64,
}

impl Xy {
    fn sub(self, o: Xy) -> Xy {
        Xy {
            x_m: self.x_m - o.x_m,
            y_m: self.y_m - o.y_m,
        }
    }
    fn dot(self, o: Xy) -> f64 {
        self.x_m * o.x_m + self.y_m * o.y_m
    }
    fn len(self) -> f64 {
        self.x_m.hypot(self.y_m)
    }
}

/// An equirectangular projection around an origin: exact enough (well under 0.1 %) within a
/// city, and cheap. Converting to the plane and back is lossless up to rounding.
#[derive(Debug, Clone, Copy)]
pub struct LocalPlane {
    origin: LatLon,
    m_per_deg_lat: f64,
    m_per_deg_lon: f64,
}

impl LocalPlane {
    /// A plane centred on `origin`.
    #[must_use]
    pub fn new(origin: LatLon) -> Self {
        let m_per_deg_lat = EARTH_RADIUS_M.to_radians();
        Self {
            origin,
            m_per_deg_lat,
            m_per_deg_lon: m_per_deg_lat * origin.lat_deg.to_radians().cos(),
        }
    }

    /// Projects a position into the plane.
    #[must_use]
    pub fn to_xy(&self, p: LatLon) -> Xy {
        Xy {
            x_m: (p.lon_deg - self.origin.lon_deg) * self.m_per_deg_lon,
            y_m: (p.lat_deg - self.origin.lat_deg) * self.m_per_deg_lat,
        }
    }

    /// Back from the plane to a position.
    #[must_use]
    pub fn to_latlon(&self, p: Xy) -> LatLon {
        LatLon {
            lat_deg: self.origin.lat_deg + p.y_m / self.m_per_deg_lat,
            lon_deg: self.origin.lon_deg + p.x_m / self.m_per_deg_lon,
        }
    }
}

/// Where a point falls on a polyline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineHit {
    /// Distance along the line from its first vertex, metres.
    pub along_m: f64,
    /// Distance from the point to the line, metres.
    pub offset_m: f64,
    /// +1 when the point lies left of the line's direction, -1 when right, 0 when on it.
    pub left: i8,
}

/// A street centre line prepared for measuring along it.
#[derive(Debug, Clone)]
pub struct Polyline {
    plane: LocalPlane,
    pts: Vec<Xy>,
    /// Cumulative length at each vertex, metres.
    cum_m: Vec<f64>,
}

impl Polyline {
    /// Prepares a line from at least two positions; `None` for fewer, or when it has no length.
    #[must_use]
    pub fn new(points: &[LatLon]) -> Option<Self> {
        let first = *points.first()?;
        let plane = LocalPlane::new(first);
        let mut pts: Vec<Xy> = Vec::with_capacity(points.len());
        for p in points {
            let xy = plane.to_xy(*p);
            if pts.last().is_none_or(|q| q.sub(xy).len() > 1e-6) {
                pts.push(xy);
            }
        }
        if pts.len() < 2 {
            return None;
        }
        let mut cum_m = Vec::with_capacity(pts.len());
        let mut total = 0.0;
        cum_m.push(0.0);
        for w in pts.windows(2) {
            total += w[1].sub(w[0]).len();
            cum_m.push(total);
        }
        Some(Self { plane, pts, cum_m })
    }

    /// Total length in metres.
    #[must_use]
    pub fn length_m(&self) -> f64 {
        self.cum_m.last().copied().unwrap_or(0.0)
    }

    /// The point `along_m` metres from the start (clamped to the line), moved `offset_m` metres
    /// sideways: positive to the left of the line's direction, negative to the right.
    #[must_use]
    pub fn point_at(&self, along_m: f64, offset_m: f64) -> LatLon {
        let (p, dir) = self.locate(along_m);
        let normal_left = Xy {
            x_m: -dir.y_m,
            y_m: dir.x_m,
        };
        self.plane.to_latlon(Xy {
            x_m: p.x_m + normal_left.x_m * offset_m,
            y_m: p.y_m + normal_left.y_m * offset_m,
        })
    }

    /// The unit direction of the line `along_m` metres from the start, as (east, north).
    #[must_use]
    pub fn direction_at(&self, along_m: f64) -> (f64, f64) {
        let (_, d) = self.locate(along_m);
        (d.x_m, d.y_m)
    }

    fn locate(&self, along_m: f64) -> (Xy, Xy) {
        let s = along_m.clamp(0.0, self.length_m());
        let i = self
            .cum_m
            .partition_point(|c| *c <= s)
            .clamp(1, self.pts.len() - 1);
        let (a, b) = (self.pts[i - 1], self.pts[i]);
        let seg = b.sub(a);
        let seg_len = seg.len().max(1e-9);
        let t = ((s - self.cum_m[i - 1]) / seg_len).clamp(0.0, 1.0);
        let dir = Xy {
            x_m: seg.x_m / seg_len,
            y_m: seg.y_m / seg_len,
        };
        (
            Xy {
                x_m: a.x_m + seg.x_m * t,
                y_m: a.y_m + seg.y_m * t,
            },
            dir,
        )
    }

    /// Projects a position onto the line: how far along it falls, and how far off it lies.
    #[must_use]
    pub fn project(&self, p: LatLon) -> LineHit {
        let q = self.plane.to_xy(p);
        let mut best = LineHit {
            along_m: 0.0,
            offset_m: f64::INFINITY,
            left: 0,
        };
        for (i, w) in self.pts.windows(2).enumerate() {
            let seg = w[1].sub(w[0]);
            let len2 = seg.dot(seg);
            let t = if len2 > 0.0 {
                (q.sub(w[0]).dot(seg) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let foot = Xy {
                x_m: w[0].x_m + seg.x_m * t,
                y_m: w[0].y_m + seg.y_m * t,
            };
            let d = q.sub(foot).len();
            if d < best.offset_m {
                let cross = seg.x_m * (q.y_m - w[0].y_m) - seg.y_m * (q.x_m - w[0].x_m);
                best = LineHit {
                    along_m: self.cum_m[i] + t * len2.sqrt(),
                    offset_m: d,
                    left: if cross > 1e-9 {
                        1
                    } else if cross < -1e-9 {
                        -1
                    } else {
                        0
                    },
                };
            }
        }
        best
    }

    /// The vertices as positions.
    #[must_use]
    pub fn points(&self) -> Vec<LatLon> {
        self.pts.iter().map(|p| self.plane.to_latlon(*p)).collect()
    }
}

/// Formats a decimal-degree value as degrees, minutes and seconds (`25°03'12.34"N`).
#[must_use]
pub fn format_dms(value_deg: f64, positive: char, negative: char) -> String {
    let hemi = if value_deg < 0.0 { negative } else { positive };
    let total_s = (value_deg.abs() * 3600.0 * 100.0).round() / 100.0;
    let d = (total_s / 3600.0).floor();
    let m = ((total_s - d * 3600.0) / 60.0).floor();
    let s = total_s - d * 3600.0 - m * 60.0;
    format!("{d:.0}°{m:02.0}'{s:05.2}\"{hemi}")
}

/// Formats a position as `25°03'12.34"N 121°30'45.67"E`.
#[must_use]
pub fn format_latlon_dms(p: LatLon) -> String {
    format!(
        "{} {}",
        format_dms(p.lat_deg, 'N', 'S'),
        format_dms(p.lon_deg, 'E', 'W')
    )
}

/// Writes a line as WKT (`LINESTRING(lon lat, ...)`, longitude first as WKT requires).
#[must_use]
pub fn to_wkt_linestring(points: &[LatLon]) -> String {
    let mut s = String::from("LINESTRING(");
    for (i, p) in points.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{:.7} {:.7}", p.lon_deg, p.lat_deg);
    }
    s.push(')');
    s
}

/// Why a WKT string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct WktError(pub String);

impl Words for WktError {
    fn message(&self) -> Message {
        Message::new("无法解析的 WKT 线", "not a WKT LINESTRING").about(&self.0)
    }
}

/// Reads `LINESTRING(lon lat, ...)`. An empty string reads as no line.
pub fn parse_wkt_linestring(text: &str) -> Result<Vec<LatLon>, WktError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || WktError(t.chars().take(60).collect());
    let upper = t.get(..10).map(str::to_ascii_uppercase);
    if upper.as_deref() != Some("LINESTRING") {
        return Err(bad());
    }
    let body = t[10..].trim();
    let inner = body
        .strip_prefix('(')
        .and_then(|b| b.strip_suffix(')'))
        .ok_or_else(bad)?;
    let mut out = Vec::new();
    for pair in inner.split(',') {
        let mut it = pair.split_whitespace();
        let (Some(x), Some(y), None) = (it.next(), it.next(), it.next()) else {
            return Err(bad());
        };
        let lon: f64 = x.parse().map_err(|_| bad())?;
        let lat: f64 = y.parse().map_err(|_| bad())?;
        let p = LatLon::new(lat, lon);
        if !p.is_valid() {
            return Err(bad());
        }
        out.push(p);
    }
    Ok(out)
}

/// True outside the rectangle where the GCJ-02 offset is applied (it is not applied abroad).
#[must_use]
pub fn outside_gcj02_area(p: LatLon) -> bool {
    !(72.004..=137.8347).contains(&p.lon_deg) || !(0.8293..=55.8271).contains(&p.lat_deg)
}

/// The GCJ-02 offset (degrees of latitude, longitude) at a WGS-84 position: the published
/// algorithm on the Krasovsky ellipsoid.
fn gcj02_delta(p: LatLon) -> (f64, f64) {
    const A: f64 = 6_378_245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    let (x, y) = (p.lon_deg - 105.0, p.lat_deg - 35.0);
    let pi = std::f64::consts::PI;
    let common = (20.0 * (6.0 * x * pi).sin() + 20.0 * (2.0 * x * pi).sin()) * 2.0 / 3.0;
    let d_lat = -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * x.abs().sqrt()
        + common
        + (20.0 * (y * pi).sin() + 40.0 * (y / 3.0 * pi).sin()) * 2.0 / 3.0
        + (160.0 * (y / 12.0 * pi).sin() + 320.0 * (y * pi / 30.0).sin()) * 2.0 / 3.0;
    let d_lon = 300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * x.abs().sqrt()
        + common
        + (20.0 * (x * pi).sin() + 40.0 * (x / 3.0 * pi).sin()) * 2.0 / 3.0
        + (150.0 * (x / 12.0 * pi).sin() + 300.0 * (x / 30.0 * pi).sin()) * 2.0 / 3.0;
    let rad_lat = p.lat_deg.to_radians();
    let magic = 1.0 - EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    (
        d_lat * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * pi),
        d_lon * 180.0 / (A / sqrt_magic * rad_lat.cos() * pi),
    )
}

/// WGS-84 to GCJ-02 (the datum of Amap, Tencent and most Chinese basemaps). Positions outside
/// China are returned unchanged.
#[must_use]
pub fn wgs84_to_gcj02(p: LatLon) -> LatLon {
    if outside_gcj02_area(p) {
        return p;
    }
    let (d_lat, d_lon) = gcj02_delta(p);
    LatLon::new(p.lat_deg + d_lat, p.lon_deg + d_lon)
}

/// GCJ-02 to WGS-84: the forward offset inverted by fixed-point iteration until the round trip
/// is within 1e-8 degrees (about 1 mm).
#[must_use]
pub fn gcj02_to_wgs84(g: LatLon) -> LatLon {
    if outside_gcj02_area(g) {
        return g;
    }
    let mut w = g;
    for _ in 0..30 {
        let f = wgs84_to_gcj02(w);
        let (e_lat, e_lon) = (f.lat_deg - g.lat_deg, f.lon_deg - g.lon_deg);
        w = LatLon::new(w.lat_deg - e_lat, w.lon_deg - e_lon);
        if e_lat.abs().max(e_lon.abs()) < 1e-8 {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = LatLon::new(25.0, 121.5).distance_m(LatLon::new(26.0, 121.5));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
    }

    #[test]
    fn taipei_main_station_to_ximen_is_about_1_1_km() {
        // Taipei Main Station (25.0478, 121.5170) to Ximen MRT (25.0421, 121.5081), checked on a map.
        let d = LatLon::new(25.0478, 121.5170).distance_m(LatLon::new(25.0421, 121.5081));
        assert!((d - 1_096.0).abs() < 15.0, "{d}");
    }

    #[test]
    fn the_local_plane_round_trips() {
        let plane = LocalPlane::new(LatLon::new(25.05, 121.52));
        let p = LatLon::new(25.0612, 121.5033);
        let back = plane.to_latlon(plane.to_xy(p));
        assert!((back.lat_deg - p.lat_deg).abs() < 1e-12);
        assert!((back.lon_deg - p.lon_deg).abs() < 1e-12);
    }

    #[test]
    fn a_point_is_projected_onto_a_north_running_line() {
        // A line 1 km north from (25.0, 121.5); a point 20 m east of its middle.
        let a = LatLon::new(25.0, 121.5);
        let plane = LocalPlane::new(a);
        let b = plane.to_latlon(Xy {
            x_m: 0.0,
            y_m: 1000.0,
        });
        let line = Polyline::new(&[a, b]).unwrap();
        assert!((line.length_m() - 1000.0).abs() < 1e-6);
        let p = plane.to_latlon(Xy {
            x_m: 20.0,
            y_m: 500.0,
        });
        let hit = line.project(p);
        assert!((hit.along_m - 500.0).abs() < 1e-6);
        assert!((hit.offset_m - 20.0).abs() < 1e-6);
        assert_eq!(hit.left, -1, "east of a north-running line is its right");
        // And back: 500 m along, 20 m to the right.
        let q = line.point_at(500.0, -20.0);
        assert!(q.distance_m(p) < 0.01);
    }

    #[test]
    fn point_at_follows_a_bent_line() {
        let a = LatLon::new(25.0, 121.5);
        let plane = LocalPlane::new(a);
        let pts = [
            a,
            plane.to_latlon(Xy {
                x_m: 100.0,
                y_m: 0.0,
            }),
            plane.to_latlon(Xy {
                x_m: 100.0,
                y_m: 100.0,
            }),
        ];
        let line = Polyline::new(&pts).unwrap();
        assert!((line.length_m() - 200.0).abs() < 1e-6);
        let q = plane.to_xy(line.point_at(150.0, 0.0));
        assert!((q.x_m - 100.0).abs() < 1e-6 && (q.y_m - 50.0).abs() < 1e-6);
        let beyond = plane.to_xy(line.point_at(500.0, 0.0));
        assert!((beyond.y_m - 100.0).abs() < 1e-6, "clamped to the end");
    }

    #[test]
    fn a_line_needs_two_distinct_points() {
        assert!(Polyline::new(&[]).is_none());
        let p = LatLon::new(25.0, 121.5);
        assert!(Polyline::new(&[p, p]).is_none());
    }

    #[test]
    fn dms_is_formatted_with_hemispheres() {
        assert_eq!(format_dms(25.053_587, 'N', 'S'), "25°03'12.91\"N");
        assert_eq!(format_dms(-0.5, 'N', 'S'), "0°30'00.00\"S");
        assert_eq!(format_dms(121.999_999_9, 'E', 'W'), "122°00'00.00\"E");
    }

    #[test]
    fn wgs84_to_gcj02_matches_published_reference_pairs() {
        // (wgs lat, wgs lon, gcj lat, gcj lon): the test pairs of the eviltransform and
        // coordtransform libraries (Shanghai, Shenzhen, Beijing ×2).
        let pairs = [
            (
                31.177_427_6,
                121.527_210_6,
                31.175_303_983_645_97,
                121.531_541_859_215,
            ),
            (
                22.543_847,
                113.912_316,
                22.540_796_131_694_766,
                113.917_176_480_836_3,
            ),
            (
                39.911_954,
                116.377_817,
                39.913_345_455_360_69,
                116.384_047_224_556_57,
            ),
            (
                39.915,
                116.404,
                39.916_404_281_501_64,
                116.410_244_499_169_38,
            ),
        ];
        for (wl, wo, gl, go) in pairs {
            let g = wgs84_to_gcj02(LatLon::new(wl, wo));
            assert!(
                g.distance_m(LatLon::new(gl, go)) < 0.05,
                "{g:?} vs {gl} {go}"
            );
            let back = gcj02_to_wgs84(LatLon::new(gl, go));
            assert!(
                back.distance_m(LatLon::new(wl, wo)) < 0.05,
                "{back:?} vs {wl} {wo}"
            );
        }
    }

    #[test]
    fn gcj02_leaves_positions_abroad_alone() {
        let paris = LatLon::new(48.8566, 2.3522);
        assert_eq!(wgs84_to_gcj02(paris), paris);
        assert_eq!(gcj02_to_wgs84(paris), paris);
    }

    #[test]
    fn wkt_round_trips_and_rejects_junk() {
        let pts = vec![LatLon::new(25.05, 121.51), LatLon::new(25.06, 121.52)];
        let wkt = to_wkt_linestring(&pts);
        assert_eq!(
            wkt,
            "LINESTRING(121.5100000 25.0500000, 121.5200000 25.0600000)"
        );
        assert_eq!(parse_wkt_linestring(&wkt).unwrap(), pts);
        assert_eq!(parse_wkt_linestring("").unwrap(), vec![]);
        assert!(parse_wkt_linestring("POINT(1 2)").is_err());
        assert!(parse_wkt_linestring("LINESTRING(1 2, 3)").is_err());
        assert!(parse_wkt_linestring("LINESTRING(1 95, 3 4)").is_err());
        assert!(parse_wkt_linestring("LINESTRING(1 2").is_err());
        assert!(parse_wkt_linestring("LINESTRING(a b)").is_err());
    }
}
