//! Coordinate reference systems of imported files: the four lat/lon datums of [`crate::datum`]
//! and projected grids (Gauss–Krüger, UTM, Web Mercator) named by EPSG code, by a proj string
//! or by the WKT of a `.prj` file.
//!
//! Projected CRSs are computed by `proj4rs` (a pure-Rust port of PROJ: transverse Mercator with
//! the Poder/Engsager algorithm, as PROJ's default `tmerc`). They are defined here by proj
//! strings built from the EPSG parameters in [`from_epsg`]'s small table (the same strings PROJ
//! gives for those codes); `tests/fixtures/crs/` holds points converted by PROJ (pyproj) that the
//! tests compare with, to the millimetre.
//!
//! CGCS2000 and WGS-84 agree to a few centimetres, so CGCS2000 grids are read straight into
//! WGS-84. Beijing 1954 (Krassovsky ellipsoid) and Xi'an 1980 (IAG-75 ellipsoid) are other datums:
//! reaching WGS-84 needs the survey bureau's 7 parameters (`+towgs84=dx,dy,dz,rx,ry,rz,s`, position
//! vector convention, metres, arc-seconds, ppm); without them the positions may be off by up to
//! about 100 m, and [`Crs::needs_towgs84`] says so.

use std::fmt::Write as _;

use crate::datum::Datum;
use crate::geo::LatLon;
use crate::words::{Message, Words};

/// Why a CRS could not be read or used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.message())]
pub enum CrsError {
    /// Neither a datum name, an EPSG code we know, a proj string nor a WKT.
    Unknown(String),
    /// A WKT that names or defines something we cannot compute.
    Unsupported(String),
    /// `--towgs84` is not seven numbers.
    BadTowgs84(String),
    /// The projection library refused the definition or the point.
    Projection(String),
}

impl Words for CrsError {
    fn message(&self) -> Message {
        match self {
            Self::Unknown(c) => Message::new(
                format!(
                    "无法识别的坐标系 {c:?}（可用 wgs84、cgcs2000、gcj02、bd09 或 EPSG:4528 等）"
                ),
                format!(
                    "unknown coordinate system {c:?} (use wgs84, cgcs2000, gcj02, bd09 or EPSG:4528 and the like)"
                ),
            ),
            Self::Unsupported(d) => Message::new(
                "不支持的坐标系定义",
                "unsupported coordinate system definition",
            )
            .about(d),
            Self::BadTowgs84(t) => Message::new(
                "--towgs84 应为 7 个数字 dx,dy,dz,rx,ry,rz,s",
                "--towgs84 must be 7 numbers dx,dy,dz,rx,ry,rz,s",
            )
            .about(format!("{t:?}")),
            Self::Projection(d) => {
                Message::new("坐标转换失败", "coordinate conversion failed").about(d)
            }
        }
    }
}

/// The geodetic datum under a projected grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geodetic {
    /// WGS-84.
    Wgs84,
    /// CGCS2000 (GRS80 ellipsoid; equal to WGS-84 within centimetres).
    Cgcs2000,
    /// Beijing 1954 (Krassovsky 1940 ellipsoid).
    Beijing1954,
    /// Xi'an 1980 (IAG-75 ellipsoid).
    Xian1980,
}

impl Geodetic {
    /// The proj-string ellipsoid (`+a +rf`, as EPSG defines it).
    fn ellipsoid(self) -> &'static str {
        match self {
            Self::Wgs84 => "+a=6378137 +rf=298.257223563",
            Self::Cgcs2000 => "+a=6378137 +rf=298.257222101",
            Self::Beijing1954 => "+a=6378245 +rf=298.3",
            Self::Xian1980 => "+a=6378140 +rf=298.257",
        }
    }

    /// True for the old datums that need 7 parameters to reach WGS-84.
    #[must_use]
    pub fn is_legacy(self) -> bool {
        matches!(self, Self::Beijing1954 | Self::Xian1980)
    }

    /// The name used in EPSG's CRS names.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Wgs84 => "WGS 84",
            Self::Cgcs2000 => "CGCS2000",
            Self::Beijing1954 => "Beijing 1954",
            Self::Xian1980 => "Xian 1980",
        }
    }
}

/// How a projected CRS maps the ellipsoid to the plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Latitude and longitude in degrees (a geographic CRS of another datum).
    LatLon,
    /// Transverse Mercator (Gauss–Krüger, UTM).
    TransverseMercator {
        /// Latitude of origin, degrees.
        lat0_deg: f64,
        /// Central meridian, degrees.
        lon0_deg: f64,
        /// Scale factor on the central meridian.
        k0: f64,
        /// False easting, metres (with a zone prefix: zone × 1,000,000 + 500,000).
        false_easting_m: f64,
        /// False northing, metres.
        false_northing_m: f64,
    },
    /// Web (pseudo-)Mercator on the sphere of radius 6,378,137 m (EPSG:3857).
    WebMercator,
}

/// A CRS defined by parameters and computed by `proj4rs`.
#[derive(Debug, Clone, PartialEq)]
pub struct Defined {
    /// The EPSG code, when it is one of those in [`from_epsg`]'s table.
    pub epsg: Option<u32>,
    /// Its name (EPSG's, or the WKT's).
    pub name: String,
    /// The datum.
    pub geodetic: Geodetic,
    /// The projection.
    pub method: Method,
    /// The 7 parameters to WGS-84 (`+towgs84`), when given.
    pub towgs84: Option<[f64; 7]>,
}

/// The coordinate reference system of a file's coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum Crs {
    /// Latitude/longitude in one of the datums the app knows by name (WGS-84, CGCS2000, GCJ-02,
    /// BD-09).
    Datum(Datum),
    /// A CRS defined by parameters (projected grids, other datums).
    Defined(Defined),
}

impl Default for Crs {
    fn default() -> Self {
        Self::Datum(Datum::Wgs84)
    }
}

impl From<Datum> for Crs {
    fn from(d: Datum) -> Self {
        Self::Datum(d)
    }
}

impl Crs {
    /// Reads what `--crs` takes: a datum name (`wgs84`, `cgcs2000`, `gcj02`, `bd09`), `EPSG:NNNN`
    /// (optionally followed by ` +towgs84=…`), a proj string (`+proj=tmerc +lon_0=120 …`), or a
    /// WKT (the text of a `.prj` file).
    pub fn parse(text: &str) -> Result<Self, CrsError> {
        let t = text.trim();
        if let Some(d) = Datum::parse(t) {
            return Ok(Self::Datum(d));
        }
        let upper = t.to_ascii_uppercase();
        if upper.starts_with("PROJCS")
            || upper.starts_with("GEOGCS")
            || upper.starts_with("PROJCRS")
            || upper.starts_with("GEOGCRS")
            || upper.starts_with("GEODCRS")
            || upper.starts_with("COMPD_CS")
            || upper.starts_with("COMPOUNDCRS")
        {
            return Self::from_wkt(t);
        }
        if t.starts_with('+') {
            return Self::from_proj_string(t);
        }
        // EPSG:NNNN [+towgs84=…]
        let (head, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        let code = head
            .to_ascii_uppercase()
            .strip_prefix("EPSG:")
            .or_else(|| head.strip_prefix("epsg:"))
            .and_then(|c| c.trim().parse::<u32>().ok())
            .or_else(|| head.parse::<u32>().ok().filter(|c| *c >= 2000));
        let Some(code) = code else {
            return Err(CrsError::Unknown(t.to_owned()));
        };
        let mut crs = from_epsg(code).ok_or_else(|| CrsError::Unknown(t.to_owned()))?;
        let rest = rest.trim();
        if !rest.is_empty() {
            let p = rest
                .strip_prefix("+towgs84=")
                .ok_or_else(|| CrsError::Unknown(t.to_owned()))?;
            crs = crs.with_towgs84(parse_towgs84(p)?);
        }
        Ok(crs)
    }

    /// Reads a proj string of the kinds this module writes: `+proj=tmerc|utm|merc|longlat` with
    /// `+lat_0 +lon_0 +k(_0) +x_0 +y_0 +zone +south`, an ellipsoid (`+ellps=GRS80|WGS84|krass|IAU76`
    /// or `+a +rf`) and `+towgs84`.
    pub fn from_proj_string(text: &str) -> Result<Self, CrsError> {
        let mut kv = std::collections::HashMap::new();
        for item in text.split_whitespace() {
            let item = item.trim_start_matches('+');
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            kv.insert(k.to_ascii_lowercase(), v.to_owned());
        }
        let num = |k: &str, default: f64| -> Result<f64, CrsError> {
            kv.get(k).map_or(Ok(default), |v| {
                v.parse::<f64>()
                    .map_err(|_| CrsError::Unsupported(format!("+{k}={v}")))
            })
        };
        let geodetic = match (kv.get("ellps").map(String::as_str), kv.get("datum")) {
            (_, Some(d)) if d.eq_ignore_ascii_case("WGS84") => Geodetic::Wgs84,
            (Some("GRS80"), _) => Geodetic::Cgcs2000,
            (Some("WGS84"), _) => Geodetic::Wgs84,
            (Some("krass"), _) => Geodetic::Beijing1954,
            (Some("IAU76" | "IAG75"), _) => Geodetic::Xian1980,
            (None, None) => match (num("a", 0.0)?, num("rf", 0.0)?) {
                (6_378_137.0, rf) if (rf - 298.257_222_101).abs() < 1e-6 => Geodetic::Cgcs2000,
                (6_378_137.0, _) => Geodetic::Wgs84,
                (6_378_245.0, _) => Geodetic::Beijing1954,
                (6_378_140.0, _) => Geodetic::Xian1980,
                _ => return Err(CrsError::Unsupported(text.to_owned())),
            },
            _ => return Err(CrsError::Unsupported(text.to_owned())),
        };
        let method = match kv.get("proj").map(String::as_str) {
            Some("tmerc" | "etmerc") => Method::TransverseMercator {
                lat0_deg: num("lat_0", 0.0)?,
                lon0_deg: num("lon_0", 0.0)?,
                k0: num("k_0", num("k", 1.0)?)?,
                false_easting_m: num("x_0", 0.0)?,
                false_northing_m: num("y_0", 0.0)?,
            },
            Some("utm") => {
                let zone = num("zone", 0.0)?;
                if !(1.0..=60.0).contains(&zone) {
                    return Err(CrsError::Unsupported(text.to_owned()));
                }
                Method::TransverseMercator {
                    lat0_deg: 0.0,
                    lon0_deg: zone * 6.0 - 183.0,
                    k0: 0.9996,
                    false_easting_m: 500_000.0,
                    false_northing_m: if kv.contains_key("south") {
                        10_000_000.0
                    } else {
                        0.0
                    },
                }
            }
            Some("merc")
                if same(num("a", 0.0)?, 6_378_137.0) && same(num("b", 0.0)?, 6_378_137.0) =>
            {
                Method::WebMercator
            }
            Some("longlat" | "latlong" | "lonlat" | "latlon") => Method::LatLon,
            _ => return Err(CrsError::Unsupported(text.to_owned())),
        };
        let towgs84 = kv.get("towgs84").map(|v| parse_towgs84(v)).transpose()?;
        let mut d = Defined {
            epsg: None,
            name: String::new(),
            geodetic,
            method,
            towgs84: None,
        };
        d.epsg = identify(&d, "");
        d.name = d.epsg.and_then(from_epsg).map_or_else(
            || d.proj_string_without_towgs84(),
            |c| match c {
                Crs::Defined(e) => e.name,
                Crs::Datum(x) => x.word().to_owned(),
            },
        );
        if matches!(method, Method::LatLon) && !geodetic.is_legacy() && towgs84.is_none() {
            return Ok(Self::Datum(if geodetic == Geodetic::Wgs84 {
                Datum::Wgs84
            } else {
                Datum::Cgcs2000
            }));
        }
        d.towgs84 = towgs84;
        Ok(Self::Defined(d))
    }

    /// Reads the WKT of a `.prj` file (ESRI or OGC WKT 1, or WKT 2): by its EPSG code when it
    /// carries one we know, else by its parameters (transverse Mercator, Web Mercator, or a
    /// geographic CRS), else by its name (`CGCS2000_3_Degree_GK_Zone_40`, `WGS_1984_UTM_Zone_50N`…).
    pub fn from_wkt(text: &str) -> Result<Self, CrsError> {
        crate::crs_wkt::from_wkt(text)
    }

    /// The same CRS with the 7 parameters to WGS-84 (`--towgs84`).
    #[must_use]
    pub fn with_towgs84(self, p: [f64; 7]) -> Self {
        match self {
            Self::Defined(mut d) => {
                d.towgs84 = Some(p);
                Self::Defined(d)
            }
            other @ Self::Datum(_) => other,
        }
    }

    /// True for a grid in metres (as opposed to latitude/longitude).
    #[must_use]
    pub fn is_projected(&self) -> bool {
        matches!(self, Self::Defined(d) if d.method != Method::LatLon)
    }

    /// True for Beijing 1954 and Xi'an 1980 without `+towgs84`: their positions may be off by up
    /// to about 100 m.
    #[must_use]
    pub fn needs_towgs84(&self) -> bool {
        matches!(self, Self::Defined(d) if d.geodetic.is_legacy() && d.towgs84.is_none())
    }

    /// The central meridian of a transverse Mercator grid, degrees.
    #[must_use]
    pub fn central_meridian(&self) -> Option<f64> {
        match self {
            Self::Defined(Defined {
                method: Method::TransverseMercator { lon0_deg, .. },
                ..
            }) => Some(*lon0_deg),
            _ => None,
        }
    }

    /// What is recorded in `versions.datum` and in a saved mapping, and read back by
    /// [`Crs::parse`]: `wgs84`…, `EPSG:4528`, `EPSG:2415 +towgs84=…`, or a proj string.
    #[must_use]
    pub fn word(&self) -> String {
        match self {
            Self::Datum(d) => d.word().to_owned(),
            Self::Defined(d) => {
                let mut s = match d.epsg {
                    Some(c) => format!("EPSG:{c}"),
                    None => d.proj_string_without_towgs84(),
                };
                if let Some(t) = d.towgs84 {
                    let _ = write!(s, " +towgs84={}", join(&t));
                }
                s
            }
        }
    }

    /// A name for people: `EPSG:4528 CGCS2000 / 3-degree Gauss-Kruger zone 40`, `wgs84`.
    #[must_use]
    pub fn label(&self) -> String {
        match self {
            Self::Datum(d) => d.word().to_owned(),
            Self::Defined(d) => match d.epsg {
                Some(c) => format!("EPSG:{c} {}", d.name),
                None => d.name.clone(),
            },
        }
    }

    /// Its name alone: EPSG's (`CGCS2000 / 3-degree Gauss-Kruger zone 40`), the WKT's, or the
    /// datum's word.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Self::Datum(d) => d.word().to_owned(),
            Self::Defined(d) => d.name.clone(),
        }
    }

    /// Prepares the conversion of this CRS's coordinates to WGS-84.
    pub fn converter(&self) -> Result<Converter, CrsError> {
        Converter::new(self)
    }
}

impl Defined {
    /// The proj string (without `+towgs84`).
    fn proj_string_without_towgs84(&self) -> String {
        let e = self.geodetic.ellipsoid();
        match self.method {
            Method::LatLon => format!("+proj=longlat {e} +no_defs"),
            Method::TransverseMercator {
                lat0_deg,
                lon0_deg,
                k0,
                false_easting_m,
                false_northing_m,
            } => format!(
                "+proj=tmerc +lat_0={lat0_deg} +lon_0={lon0_deg} +k={k0} +x_0={false_easting_m} +y_0={false_northing_m} {e} +units=m +no_defs"
            ),
            Method::WebMercator => "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +no_defs".to_owned(),
        }
    }

    /// The proj string given to `proj4rs`.
    #[must_use]
    pub fn proj_string(&self) -> String {
        let mut s = self.proj_string_without_towgs84();
        if let Some(t) = self.towgs84 {
            let _ = write!(s, " +towgs84={}", join(&t));
        }
        s
    }
}

/// Equal within a nanometre (or a nano-degree): parameters written in decimal.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn join(v: &[f64]) -> String {
    v.iter().map(f64::to_string).collect::<Vec<_>>().join(",")
}

/// Reads `dx,dy,dz,rx,ry,rz,s` (metres, arc-seconds, ppm).
pub fn parse_towgs84(text: &str) -> Result<[f64; 7], CrsError> {
    let v: Vec<f64> = text
        .split(',')
        .map(|s| s.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| CrsError::BadTowgs84(text.to_owned()))?;
    <[f64; 7]>::try_from(v.as_slice())
        .ok()
        .filter(|a| a.iter().all(|x| x.is_finite()))
        .ok_or_else(|| CrsError::BadTowgs84(text.to_owned()))
}

/// Converts coordinates of one CRS to WGS-84, prepared once for a whole file.
#[derive(Debug, Clone)]
pub struct Converter {
    kind: ConverterKind,
}

#[derive(Debug, Clone)]
enum ConverterKind {
    Datum(Datum),
    Proj {
        src: Box<proj4rs::proj::Proj>,
        dst: Box<proj4rs::proj::Proj>,
        latlon: bool,
    },
}

impl Converter {
    fn new(crs: &Crs) -> Result<Self, CrsError> {
        let kind = match crs {
            Crs::Datum(d) => ConverterKind::Datum(*d),
            Crs::Defined(d) => {
                let err = |e: proj4rs::errors::Error| CrsError::Projection(e.to_string());
                let src = proj4rs::proj::Proj::from_proj_string(&d.proj_string()).map_err(err)?;
                // A legacy datum with its 7 parameters is shifted through WGS-84; otherwise the
                // datums are taken as equal (CGCS2000) or left unshifted (a legacy datum without
                // parameters, which the import reports).
                let dst_def = if d.towgs84.is_some() {
                    "+proj=longlat +datum=WGS84 +no_defs"
                } else {
                    "+proj=longlat +ellps=WGS84 +no_defs"
                };
                let dst = proj4rs::proj::Proj::from_proj_string(dst_def).map_err(err)?;
                ConverterKind::Proj {
                    src: Box::new(src),
                    dst: Box::new(dst),
                    latlon: d.method == Method::LatLon,
                }
            }
        };
        Ok(Self { kind })
    }

    /// The WGS-84 position of a point given as (easting, northing) in metres for a projected CRS,
    /// or as (longitude, latitude) in degrees for a geographic one. `None` when the point cannot
    /// be converted (not finite, or outside the projection's domain).
    #[must_use]
    pub fn to_wgs84(&self, x: f64, y: f64) -> Option<LatLon> {
        if !x.is_finite() || !y.is_finite() {
            return None;
        }
        match &self.kind {
            ConverterKind::Datum(d) => Some(d.to_wgs84(LatLon::new(y, x))),
            ConverterKind::Proj { src, dst, latlon } => {
                let mut p = if *latlon {
                    (x.to_radians(), y.to_radians(), 0.0)
                } else {
                    (x, y, 0.0)
                };
                proj4rs::transform::transform(src, dst, &mut p).ok()?;
                let out = LatLon::new(p.1.to_degrees(), p.0.to_degrees());
                out.is_valid().then_some(out)
            }
        }
    }

    /// The reverse of [`Converter::to_wgs84`]: the (easting, northing) of a WGS-84 position, or
    /// its (longitude, latitude) for a geographic CRS (for tests and for writing files; the
    /// BD-09/GCJ-02 datums are not supported here).
    #[must_use]
    pub fn from_wgs84(&self, p: LatLon) -> Option<(f64, f64)> {
        match &self.kind {
            ConverterKind::Datum(d) => match d {
                Datum::Wgs84 | Datum::Cgcs2000 => Some((p.lon_deg, p.lat_deg)),
                Datum::Gcj02 | Datum::Bd09 => None,
            },
            ConverterKind::Proj { src, dst, latlon } => {
                let mut q = (p.lon_deg.to_radians(), p.lat_deg.to_radians(), 0.0);
                proj4rs::transform::transform(dst, src, &mut q).ok()?;
                if *latlon {
                    Some((q.0.to_degrees(), q.1.to_degrees()))
                } else {
                    Some((q.0, q.1))
                }
            }
        }
    }
}

/// The CRS of an EPSG code in the table below, with EPSG's name and parameters:
///
/// | codes | CRS | central meridian | false easting |
/// | --- | --- | --- | --- |
/// | 4326, 4490 | WGS 84, CGCS2000 (lat/lon) | | |
/// | 4491–4501 | CGCS2000 / Gauss-Kruger zone 13–23 (6°) | 6·zone − 3 | zone·10⁶ + 500 000 |
/// | 4502–4512 | CGCS2000 / Gauss-Kruger CM 75E–135E (6°) | 75 + 6·i | 500 000 |
/// | 4513–4533 | CGCS2000 / 3-degree Gauss-Kruger zone 25–45 | 3·zone | zone·10⁶ + 500 000 |
/// | 4534–4554 | CGCS2000 / 3-degree Gauss-Kruger CM 75E–135E | 75 + 3·i | 500 000 |
/// | 2401–2421, 2422–2442 | Beijing 1954 / 3-degree Gauss-Kruger zone 25–45, CM 75E–135E | | |
/// | 21413–21423, 21453–21463 | Beijing 1954 / Gauss-Kruger zone 13–23, CM 75E–135E | | |
/// | 2327–2337, 2338–2348 | Xian 1980 / Gauss-Kruger zone 13–23, CM 75E–135E | | |
/// | 2349–2369, 2370–2390 | Xian 1980 / 3-degree Gauss-Kruger zone 25–45, CM 75E–135E | | |
/// | 4214, 4610 | Beijing 1954, Xian 1980 (lat/lon) | | |
/// | 32601–32660, 32701–32760 | WGS 84 / UTM zone 1N–60N, 1S–60S | 6·zone − 183 | 500 000 (S: y₀ 10⁷) |
/// | 3857 (900913, 102100, 102113) | WGS 84 / Pseudo-Mercator | | |
///
/// Gauss–Krüger and UTM are transverse Mercator with latitude of origin 0 and scale 1 (UTM
/// 0.9996). EPSG defines no CGCS2000 UTM grids.
#[must_use]
pub fn from_epsg(code: u32) -> Option<Crs> {
    // (first code, datum, 3° or 6°, with zone prefix)
    const GK: [(u32, Geodetic, bool, bool); 12] = [
        (4491, Geodetic::Cgcs2000, false, true),
        (4502, Geodetic::Cgcs2000, false, false),
        (4513, Geodetic::Cgcs2000, true, true),
        (4534, Geodetic::Cgcs2000, true, false),
        (2401, Geodetic::Beijing1954, true, true),
        (2422, Geodetic::Beijing1954, true, false),
        (21413, Geodetic::Beijing1954, false, true),
        (21453, Geodetic::Beijing1954, false, false),
        (2327, Geodetic::Xian1980, false, true),
        (2338, Geodetic::Xian1980, false, false),
        (2349, Geodetic::Xian1980, true, true),
        (2370, Geodetic::Xian1980, true, false),
    ];
    let gk = |g: Geodetic, zone_prefix: Option<u32>, lon0: u32, three: bool| {
        let deg = if three { "3-degree " } else { "" };
        let name = match zone_prefix {
            Some(z) => format!("{} / {deg}Gauss-Kruger zone {z}", g.name()),
            None => format!("{} / {deg}Gauss-Kruger CM {lon0}E", g.name()),
        };
        Crs::Defined(Defined {
            epsg: Some(code),
            name,
            geodetic: g,
            method: Method::TransverseMercator {
                lat0_deg: 0.0,
                lon0_deg: f64::from(lon0),
                k0: 1.0,
                false_easting_m: f64::from(zone_prefix.unwrap_or(0)) * 1e6 + 500_000.0,
                false_northing_m: 0.0,
            },
            towgs84: None,
        })
    };
    for (first, g, three, prefix) in GK {
        let n = if three { 21 } else { 11 };
        if (first..first + n).contains(&code) {
            let i = code - first;
            let (zone, lon0) = if three {
                (25 + i, 75 + 3 * i)
            } else {
                (13 + i, 75 + 6 * i)
            };
            return Some(gk(g, prefix.then_some(zone), lon0, three));
        }
    }
    let defined = |name: String, g: Geodetic, method: Method| {
        Some(Crs::Defined(Defined {
            epsg: Some(code),
            name,
            geodetic: g,
            method,
            towgs84: None,
        }))
    };
    match code {
        4326 => Some(Crs::Datum(Datum::Wgs84)),
        4490 => Some(Crs::Datum(Datum::Cgcs2000)),
        4214 => defined("Beijing 1954".into(), Geodetic::Beijing1954, Method::LatLon),
        4610 => defined("Xian 1980".into(), Geodetic::Xian1980, Method::LatLon),
        3857 | 900_913 | 102_100 | 102_113 => {
            let mut c = defined(
                "WGS 84 / Pseudo-Mercator".into(),
                Geodetic::Wgs84,
                Method::WebMercator,
            );
            if let Some(Crs::Defined(d)) = &mut c {
                d.epsg = Some(3857);
            }
            c
        }
        32601..=32660 | 32701..=32760 => {
            let zone = code % 100;
            let south = code >= 32701;
            defined(
                format!("WGS 84 / UTM zone {zone}{}", if south { 'S' } else { 'N' }),
                Geodetic::Wgs84,
                Method::TransverseMercator {
                    lat0_deg: 0.0,
                    lon0_deg: f64::from(zone) * 6.0 - 183.0,
                    k0: 0.9996,
                    false_easting_m: 500_000.0,
                    false_northing_m: if south { 10_000_000.0 } else { 0.0 },
                },
            )
        }
        _ => None,
    }
}

/// The EPSG code of the table in [`from_epsg`] with the same datum and parameters, if any.
/// `name` (a WKT name) decides between a 3° and a 6° central-meridian grid, which are the same
/// projection when their central meridians coincide.
#[must_use]
pub fn identify(d: &Defined, name: &str) -> Option<u32> {
    let three_hint = {
        let n = name.to_ascii_lowercase();
        n.contains("3_degree") || n.contains("3-degree") || n.contains("3 degree")
    };
    match d.method {
        Method::WebMercator => Some(3857),
        Method::LatLon => match d.geodetic {
            Geodetic::Wgs84 => Some(4326),
            Geodetic::Cgcs2000 => Some(4490),
            Geodetic::Beijing1954 => Some(4214),
            Geodetic::Xian1980 => Some(4610),
        },
        Method::TransverseMercator {
            lat0_deg,
            lon0_deg,
            k0,
            false_easting_m,
            false_northing_m,
        } => {
            if lat0_deg != 0.0 || lon0_deg.fract() != 0.0 {
                return None;
            }
            let lon0 = lon0_deg as i64;
            if d.geodetic == Geodetic::Wgs84 && (k0 - 0.9996).abs() < 1e-12 {
                if !same(false_easting_m, 500_000.0) || (lon0 + 183) % 6 != 0 {
                    return None;
                }
                let zone = (lon0 + 183) / 6;
                return match false_northing_m {
                    0.0 => Some(32600 + zone as u32),
                    10_000_000.0 => Some(32700 + zone as u32),
                    _ => None,
                };
            }
            if !same(k0, 1.0) || !same(false_northing_m, 0.0) || !(75..=135).contains(&lon0) {
                return None;
            }
            let prefix = ((false_easting_m - 500_000.0) / 1e6).round();
            if (false_easting_m - 500_000.0 - prefix * 1e6).abs() > 1e-6 {
                return None;
            }
            let prefix = prefix as i64;
            // Candidate codes of the datum: (first code, 3°, with prefix).
            let firsts: [(u32, bool, bool); 4] = match d.geodetic {
                Geodetic::Cgcs2000 => [
                    (4491, false, true),
                    (4502, false, false),
                    (4513, true, true),
                    (4534, true, false),
                ],
                Geodetic::Beijing1954 => [
                    (21413, false, true),
                    (21453, false, false),
                    (2401, true, true),
                    (2422, true, false),
                ],
                Geodetic::Xian1980 => [
                    (2327, false, true),
                    (2338, false, false),
                    (2349, true, true),
                    (2370, true, false),
                ],
                Geodetic::Wgs84 => return None,
            };
            let six_ok = (lon0 - 75) % 6 == 0;
            let three_ok = (lon0 - 75) % 3 == 0;
            let mut order = firsts;
            // 3° first when the name says so, else 6° first.
            order.sort_by_key(|(_, three, _)| *three != three_hint);
            for (first, three, with_prefix) in order {
                if three && !three_ok || !three && !six_ok {
                    continue;
                }
                let i = if three {
                    (lon0 - 75) / 3
                } else {
                    (lon0 - 75) / 6
                };
                let zone = if three { 25 + i } else { 13 + i };
                match (with_prefix, prefix) {
                    (false, 0) => return Some(first + i as u32),
                    (true, p) if p == zone => return Some(first + i as u32),
                    _ => {}
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_epsg_codes_are_read() {
        assert_eq!(Crs::parse("GCJ-02"), Ok(Crs::Datum(Datum::Gcj02)));
        assert_eq!(Crs::parse("EPSG:4326"), Ok(Crs::Datum(Datum::Wgs84)));
        assert_eq!(Crs::parse("epsg:4490"), Ok(Crs::Datum(Datum::Cgcs2000)));
        let c = Crs::parse("EPSG:4528").unwrap();
        assert!(c.is_projected());
        assert_eq!(c.word(), "EPSG:4528");
        assert_eq!(
            c.label(),
            "EPSG:4528 CGCS2000 / 3-degree Gauss-Kruger zone 40"
        );
        assert_eq!(c.central_meridian(), Some(120.0));
        assert_eq!(
            Crs::parse("EPSG:4549").unwrap().label(),
            "EPSG:4549 CGCS2000 / 3-degree Gauss-Kruger CM 120E"
        );
        assert_eq!(
            Crs::parse("EPSG:4499").unwrap().label(),
            "EPSG:4499 CGCS2000 / Gauss-Kruger zone 21"
        );
        assert_eq!(
            Crs::parse("EPSG:32650").unwrap().label(),
            "EPSG:32650 WGS 84 / UTM zone 50N"
        );
        assert_eq!(Crs::parse("EPSG:3857").unwrap().word(), "EPSG:3857");
        assert!(matches!(Crs::parse("EPSG:9999"), Err(CrsError::Unknown(_))));
        assert!(matches!(Crs::parse("utm"), Err(CrsError::Unknown(_))));
    }

    #[test]
    fn legacy_datums_need_seven_parameters_and_keep_them_in_their_word() {
        let c = Crs::parse("EPSG:2415").unwrap();
        assert_eq!(
            c.label(),
            "EPSG:2415 Beijing 1954 / 3-degree Gauss-Kruger zone 39"
        );
        assert!(c.needs_towgs84());
        let with = c.with_towgs84(parse_towgs84("15.8,-154.4,-82.3,0,0,0,0").unwrap());
        assert!(!with.needs_towgs84());
        assert_eq!(with.word(), "EPSG:2415 +towgs84=15.8,-154.4,-82.3,0,0,0,0");
        assert_eq!(Crs::parse(&with.word()), Ok(with));
        assert!(matches!(
            parse_towgs84("1,2,3"),
            Err(CrsError::BadTowgs84(_))
        ));
        assert!(!Crs::parse("EPSG:4528").unwrap().needs_towgs84());
    }

    #[test]
    fn every_word_reads_back_as_the_same_crs() {
        let codes = (4491..=4554)
            .chain(2327..=2390)
            .chain(2401..=2442)
            .chain(21413..=21423)
            .chain(21453..=21463)
            .chain([4214, 4610, 3857, 32601, 32650, 32660, 32701, 32750]);
        for code in codes {
            let c = from_epsg(code).unwrap_or_else(|| panic!("EPSG:{code}"));
            assert_eq!(Crs::parse(&c.word()).as_ref(), Ok(&c), "EPSG:{code}");
            // The parameters identify the code again (3°/6° central meridians that coincide
            // are told apart by the name).
            if let Crs::Defined(d) = &c {
                assert_eq!(identify(d, &d.name), Some(code), "EPSG:{code}");
                let from_proj = Crs::from_proj_string(&d.proj_string()).unwrap();
                // Without a name a 3° grid on a 6° central meridian is the (identical) 6° one.
                let Crs::Defined(e) = &from_proj else {
                    panic!("{code}")
                };
                assert!(e.epsg.is_some(), "{code}");
                assert_eq!((e.geodetic, e.method), (d.geodetic, d.method), "{code}");
            }
        }
    }

    #[test]
    fn a_proj_string_with_no_epsg_code_is_recorded_as_itself() {
        let c =
            Crs::parse("+proj=tmerc +lat_0=0 +lon_0=120.5 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80")
                .unwrap();
        assert!(c.is_projected());
        let w = c.word();
        assert!(w.starts_with("+proj=tmerc"), "{w}");
        assert_eq!(Crs::parse(&w), Ok(c));
    }

    /// The fixtures generated by PROJ (`tests/fixtures/crs/generate.py`).
    fn fixtures() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/crs")
    }

    #[test]
    fn grid_coordinates_convert_as_proj_converts_them_to_a_millimetre() {
        let text = std::fs::read_to_string(fixtures().join("points.csv")).unwrap();
        let mut n = 0;
        let mut worst = 0.0_f64;
        for line in text.lines().skip(1).filter(|l| !l.starts_with("\"#")) {
            let f: Vec<&str> = line.split(',').collect();
            // The crs column may hold commas (+towgs84=…): the last four are the numbers.
            let k = f.len() - 4;
            let word = f[..k].join(",").trim_matches('"').to_owned();
            let v: Vec<f64> = f[k..].iter().map(|x| x.parse().unwrap()).collect();
            let crs = Crs::parse(&word).unwrap_or_else(|e| panic!("{word}: {e}"));
            let got = crs.converter().unwrap().to_wgs84(v[0], v[1]).unwrap();
            let want = LatLon::new(v[2], v[3]);
            let d = got.distance_m(want);
            assert!(
                d < 0.001,
                "{word} ({}, {}): {got:?} vs PROJ {want:?}: {d} m",
                v[0],
                v[1]
            );
            worst = worst.max(d);
            let (e, nn) = crs.converter().unwrap().from_wgs84(want).unwrap();
            assert!(
                (e - v[0]).abs() < 0.001 && (nn - v[1]).abs() < 0.001,
                "{word}: {e} {nn}"
            );
            n += 1;
        }
        assert!(n >= 100, "{n} points");
        eprintln!("{n} points, worst difference from PROJ {worst:e} m");
    }

    #[test]
    fn prj_files_as_esri_gdal_and_wkt2_write_them_are_recognised() {
        let dir = fixtures().join("prj");
        let expected = std::fs::read_to_string(dir.join("expected.csv")).unwrap();
        let mut n = 0;
        for line in expected.lines().skip(1) {
            let (stem, code) = line.split_once(',').unwrap();
            let code: u32 = code.parse().unwrap();
            for flavour in ["esri", "ogc", "wkt2"] {
                let path = dir.join(format!("{stem}.{flavour}.prj"));
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let crs = Crs::from_wkt(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                assert_eq!(crs, from_epsg(code).unwrap(), "{path:?}");
                assert_eq!(Crs::parse(&text), Ok(crs), "{path:?}");
                n += 1;
            }
        }
        assert!(n >= 20, "{n} files");
    }

    #[test]
    fn an_esri_prj_with_its_own_parameters_is_computed_from_them() {
        // A city grid: CGCS2000, Gauss–Krüger on 120.25°E, false northing −3,000 km.
        let wkt = r#"PROJCS["Hangzhou_City_2000",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",-3000000.0],PARAMETER["Central_Meridian",120.25],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        let crs = Crs::from_wkt(wkt).unwrap();
        assert_eq!(crs.central_meridian(), Some(120.25));
        assert_eq!(crs.label(), "Hangzhou_City_2000");
        assert!(crs.word().starts_with("+proj=tmerc"), "{}", crs.word());
        // On the grid's central meridian the easting is the false easting; EPSG:4549 (120°E) puts
        // the same numbers on 120°E.
        let on_cm = crs
            .converter()
            .unwrap()
            .to_wgs84(500_000.0, 351_000.0)
            .unwrap();
        assert!((on_cm.lon_deg - 120.25).abs() < 1e-9, "{on_cm:?}");
        let epsg = from_epsg(4549).unwrap().converter().unwrap();
        let on_120 = epsg.to_wgs84(500_000.0, 3_351_000.0).unwrap();
        assert!((on_120.lon_deg - 120.0).abs() < 1e-9, "{on_120:?}");
        assert!(on_cm.distance_m(on_120) > 20_000.0);
        // A grid in feet, or a projection we do not compute, is refused by name.
        let feet = wkt.replace(
            r#"UNIT["Meter",1.0]]"#,
            r#"UNIT["Foot_US",0.3048006096012192]]"#,
        );
        assert!(matches!(
            Crs::from_wkt(&feet),
            Err(CrsError::Unsupported(_))
        ));
    }

    #[test]
    fn the_common_geographic_wkt_names_are_the_datums() {
        let cgcs = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(Crs::from_wkt(cgcs), Ok(Crs::Datum(Datum::Cgcs2000)));
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(Crs::from_wkt(wgs), Ok(Crs::Datum(Datum::Wgs84)));
        let bj = r#"GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        let c = Crs::from_wkt(bj).unwrap();
        assert_eq!(c.word(), "EPSG:4214");
        assert!(c.needs_towgs84() && !c.is_projected());
        // A TOWGS84 in the .prj is taken.
        let with = bj.replace("298.3]]", "298.3],TOWGS84[15.8,-154.4,-82.3,0,0,0,0]]");
        assert!(!Crs::from_wkt(&with).unwrap().needs_towgs84());
    }
}
