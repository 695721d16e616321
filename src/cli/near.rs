//! The caller's location on the command line: `lookup CODE --near LAT,LON[,RADIUS_M]` and
//! `nearest LAT LON [--crs] [--limit N]`. Positions are read by
//! [`lamppost_core::coords`] (decimal or DMS, latitude first unless labelled) and converted to
//! WGS-84 from the datum given.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use lamppost_core::coords::parse_near;
use lamppost_core::datum::Datum;
use lamppost_core::geo::LatLon;
use lamppost_search::SearchIndex;
use serde_json::{Value, json};

use super::{pole_json, print_card, print_json, round7};

/// A caller location from the command line, converted to WGS-84.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallerArg {
    /// The point in WGS-84.
    pub at: LatLon,
    /// The datum it was given in.
    pub crs: Datum,
    /// Its accuracy radius in metres, when given.
    pub radius_m: Option<f64>,
}

/// Reads `wgs84`, `gcj02` or `bd09` (and `cgcs2000`, which is WGS-84 here).
pub fn parse_crs(text: &str) -> Result<Datum> {
    Datum::parse(text).with_context(|| {
        format!(
            "无法识别的坐标系（可用 wgs84、gcj02、bd09）/ unknown datum (use wgs84, gcj02, bd09): {text}"
        )
    })
}

impl CallerArg {
    /// Reads `LAT,LON[,RADIUS_M]` in datum `crs`.
    pub fn parse(text: &str, crs: &str) -> Result<Self> {
        let crs = parse_crs(crs)?;
        let (given, radius_m) = parse_near(text)?;
        Ok(Self {
            at: crs.to_wgs84(given),
            crs,
            radius_m,
        })
    }

    /// How far a pole at `pole` is from the caller, and whether it is within the radius.
    #[must_use]
    pub fn check(&self, pole: Option<LatLon>) -> (Option<f64>, Option<bool>) {
        let d = pole.map(|p| p.distance_m(self.at));
        let within = d.zip(self.radius_m).map(|(d, r)| d <= r);
        (d, within)
    }

    /// `near: {distance_m, radius_m, within, lat_deg, lon_deg, crs}` for `lookup --json`.
    #[must_use]
    pub fn json(&self, pole: Option<LatLon>) -> Value {
        let (d, within) = self.check(pole);
        json!({
            "distance_m": d.map(|d| (d * 10.0).round() / 10.0),
            "radius_m": self.radius_m,
            "within": within,
            "lat_deg": round7(self.at.lat_deg),
            "lon_deg": round7(self.at.lon_deg),
            "crs": self.crs.word(),
        })
    }

    /// The line `lookup` prints under the card.
    #[must_use]
    pub fn text(&self, pole: Option<LatLon>) -> String {
        match self.check(pole) {
            (None, _) => {
                "距报警人位置 distance from the caller: - （灯杆无位置 / the pole has no position）"
                    .to_owned()
            }
            (Some(d), None) => {
                format!("距报警人位置 distance from the caller: {d:.0} m")
            }
            (Some(d), Some(true)) => format!(
                "距报警人位置 distance from the caller: {d:.0} m（在 {:.0} 米范围内 / within {:.0} m）",
                self.radius_m.unwrap_or_default(),
                self.radius_m.unwrap_or_default()
            ),
            (Some(d), Some(false)) => format!(
                "距报警人位置 distance from the caller: {d:.0} m — 警告：不在 {:.0} 米范围内，请与报警人核对 / WARNING: outside the {:.0} m radius, check with the caller",
                self.radius_m.unwrap_or_default(),
                self.radius_m.unwrap_or_default()
            ),
        }
    }
}

/// `nearest`: the `limit` poles nearest to the point, nearest first. JSON: the nearest pole's
/// object (as `lookup`) with its `distance_m`, and `nearest`: every pole listed, in order.
pub fn nearest(index: &SearchIndex, at: &CallerArg, limit: usize, json: bool) -> Result<ExitCode> {
    let found = index.nearest_k(at.at, limit.max(1));
    let Some(&(first, d)) = found.first() else {
        eprintln!("数据库中没有带位置的灯杆 / no pole in the database has a position");
        return Ok(ExitCode::from(super::NOT_FOUND));
    };
    if json {
        let mut v = pole_json(index, index.pole(first));
        v["distance_m"] = json!((d * 10.0).round() / 10.0);
        v["nearest"] = found
            .iter()
            .map(|&(id, d)| {
                let p = index.pole(id);
                let pos = p.position();
                json!({
                    "code": p.code(),
                    "street": p.street().name,
                    "pole_no": p.pole_no(),
                    "distance_m": (d * 10.0).round() / 10.0,
                    "lat_deg": pos.point().map(|a| round7(a.lat_deg)),
                    "lon_deg": pos.point().map(|a| round7(a.lon_deg)),
                    "position": pos.kind(),
                })
            })
            .collect();
        v["from"] = json!({
            "lat_deg": round7(at.at.lat_deg),
            "lon_deg": round7(at.at.lon_deg),
            "crs": at.crs.word(),
        });
        print_json(&v)?;
    } else {
        outln!("最近的灯杆 nearest pole: {d:.0} m");
        print_card(index, index.pole(first))?;
        for (k, &(id, d)) in found.iter().enumerate().skip(1) {
            let p = index.pole(id);
            outln!(
                "{:>2}. {:<12} {} {}  {d:.0} m",
                k + 1,
                p.code(),
                p.street().name,
                p.pole_no().map_or(String::new(), |n| format!("#{n}"))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_location_is_converted_and_checked_against_its_radius() {
        let c = CallerArg::parse("25.0478,121.5170,100", "wgs84").unwrap();
        let pole = LatLon::new(25.0478, 121.5180); // about 100.8 m east
        let (d, within) = c.check(Some(pole));
        assert!((d.unwrap() - 100.8).abs() < 1.0, "{d:?}");
        assert_eq!(within, Some(false));
        assert_eq!(c.check(None), (None, None));
        // The same place given in GCJ-02 lands on the same WGS-84 point.
        let g = lamppost_core::geo::wgs84_to_gcj02(LatLon::new(25.0478, 121.5170));
        let c2 = CallerArg::parse(&format!("{},{}", g.lat_deg, g.lon_deg), "gcj02").unwrap();
        assert!(c2.at.distance_m(c.at) < 0.5, "{c2:?}");
        assert!(CallerArg::parse("25,121", "mercator").is_err());
    }
}
