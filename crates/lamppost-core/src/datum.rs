//! Source datums of imported coordinates, and their conversion to WGS-84.
//!
//! GCJ-02 (Amap, Tencent) is undone with the iterated inverse in [`crate::geo`] (the round trip
//! is within 1e-8°, about 1 mm, well under the 0.5 m asked for). BD-09 (Baidu) is GCJ-02 with a
//! further published rotation and offset, undone in closed form here and then as GCJ-02.
//! CGCS2000 equals WGS-84 at the precision of a lamp-post survey (a few centimetres).

use crate::geo::{LatLon, gcj02_to_wgs84};

/// A latitude/longitude datum the app knows by name (`--crs wgs84|cgcs2000|gcj02|bd09`); the
/// other CRSs (EPSG codes, WKT) are in [`crate::crs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Datum {
    /// WGS-84 (GPS): stored as is.
    #[default]
    Wgs84,
    /// CGCS2000 (China's national datum): stored as is.
    Cgcs2000,
    /// GCJ-02 (Amap, Tencent, Google China).
    Gcj02,
    /// BD-09 (Baidu).
    Bd09,
}

impl Datum {
    /// Reads `wgs84`, `cgcs2000`, `gcj02`, `bd09` (case and `-` ignored).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_'], "")
            .as_str()
        {
            "wgs84" | "epsg4326" => Some(Self::Wgs84),
            "cgcs2000" | "epsg4490" => Some(Self::Cgcs2000),
            "gcj02" | "amap" | "mars" => Some(Self::Gcj02),
            "bd09" | "bd09ll" | "baidu" => Some(Self::Bd09),
            _ => None,
        }
    }

    /// The word recorded in `versions.datum`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Wgs84 => "wgs84",
            Self::Cgcs2000 => "cgcs2000",
            Self::Gcj02 => "gcj02",
            Self::Bd09 => "bd09",
        }
    }

    /// Converts a point in this datum to WGS-84.
    #[must_use]
    pub fn to_wgs84(self, p: LatLon) -> LatLon {
        match self {
            Self::Wgs84 | Self::Cgcs2000 => p,
            Self::Gcj02 => gcj02_to_wgs84(p),
            Self::Bd09 => gcj02_to_wgs84(bd09_to_gcj02(p)),
        }
    }
}

const X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;

/// BD-09 to GCJ-02: Baidu's published inverse (closed form).
#[must_use]
pub fn bd09_to_gcj02(p: LatLon) -> LatLon {
    let x = p.lon_deg - 0.0065;
    let y = p.lat_deg - 0.006;
    let z = x.hypot(y) - 0.000_02 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000_003 * (x * X_PI).cos();
    LatLon::new(z * theta.sin(), z * theta.cos())
}

/// GCJ-02 to BD-09 (for tests and for writing Baidu coordinates).
#[must_use]
pub fn gcj02_to_bd09(p: LatLon) -> LatLon {
    let (x, y) = (p.lon_deg, p.lat_deg);
    let z = x.hypot(y) + 0.000_02 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000_003 * (x * X_PI).cos();
    LatLon::new(z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::wgs84_to_gcj02;

    #[test]
    fn bd09_conversions_match_the_published_reference_pairs() {
        // wandergis/coordtransform's README pair, also in hutool's CoordinateUtilTest.
        let bd = gcj02_to_bd09(LatLon::new(39.915, 116.404));
        assert!((bd.lon_deg - 116.410_369_493_710_29).abs() < 1e-9, "{bd:?}");
        assert!((bd.lat_deg - 39.921_336_993_510_21).abs() < 1e-9, "{bd:?}");
        let g = bd09_to_gcj02(LatLon::new(39.915, 116.404));
        assert!((g.lon_deg - 116.397_627_291_193_15).abs() < 1e-9, "{g:?}");
        // Beijing railway station, GCJ-02 (39.90245, 116.42703) and BD-09 (39.90851, 116.43351),
        // published to five decimals (R package `cst`).
        let g = bd09_to_gcj02(LatLon::new(39.908_51, 116.433_51));
        assert!(
            (g.lat_deg - 39.902_45).abs() < 2e-5 && (g.lon_deg - 116.427_03).abs() < 2e-5,
            "{g:?}"
        );
    }

    #[test]
    fn bd09_and_gcj02_undo_to_within_half_a_metre() {
        for (lat, lon) in [
            (39.9, 116.4),
            (25.05, 121.51),
            (22.54, 114.06),
            (45.75, 126.63),
        ] {
            let w = LatLon::new(lat, lon);
            let bd = gcj02_to_bd09(wgs84_to_gcj02(w));
            assert!(Datum::Bd09.to_wgs84(bd).distance_m(w) < 0.5);
            assert!(Datum::Gcj02.to_wgs84(wgs84_to_gcj02(w)).distance_m(w) < 0.5);
            assert_eq!(Datum::Cgcs2000.to_wgs84(w), w);
        }
    }

    #[test]
    fn crs_names_are_read_loosely() {
        assert_eq!(Datum::parse("GCJ-02"), Some(Datum::Gcj02));
        assert_eq!(Datum::parse("bd09"), Some(Datum::Bd09));
        assert_eq!(Datum::parse("WGS84"), Some(Datum::Wgs84));
        assert_eq!(Datum::parse("cgcs2000"), Some(Datum::Cgcs2000));
        assert_eq!(Datum::parse("utm"), None);
    }
}
