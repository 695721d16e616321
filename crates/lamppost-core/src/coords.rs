//! Reading a position a person pasted: a caller location from the 110 system, a phone's
//! coordinates read out, a map application's "copy coordinates".
//!
//! The rule, in one place:
//!
//! - Two values, separated by a comma (`,` or `，`), a semicolon or spaces.
//! - Each value is decimal degrees (`31.2348`, `-0.5`) or degrees, minutes and seconds with
//!   their marks (`31°14'5.2"`, `31°14.087'`, `31度14分5.2秒`; `′ ″` and `º` too); full-width
//!   digits and marks are read as their half-width forms.
//! - A value may carry its hemisphere, before or after it: `N S E W` (`31.2348N`,
//!   `E121°28'`) or `北纬 南纬 东经 西经` (`北纬31.2348`). S and W make it negative.
//! - **Labelled values go where their label says, in either order. Unlabelled values are
//!   latitude first, then longitude**, as everywhere in Lamppost. An unlabelled first value
//!   beyond ±90° is refused, not silently swapped (a swap is a wrong place that looks right);
//!   the error says so and shows the numbers the other way round.

use crate::code::to_half_width;
use crate::geo::LatLon;
use crate::words::{Message, Words};

/// Why a pasted position was not read (the text is kept as it was given).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.message())]
pub enum CoordError {
    /// Not two values.
    NotTwoValues(String),
    /// A value is not a number or a degrees-minutes-seconds angle.
    BadValue(String),
    /// Minutes or seconds of 60 or more.
    BadMinutes(String),
    /// Both values say latitude, or both longitude.
    SameAxis(String),
    /// Out of range; with no labels, probably longitude first.
    OutOfRange(String),
}

impl Words for CoordError {
    fn message(&self) -> Message {
        let (m, text) = match self {
            Self::NotTwoValues(t) => (
                Message::new(
                    "需要纬度和经度两个数值",
                    "need two values, latitude and longitude",
                ),
                t,
            ),
            Self::BadValue(t) => (
                Message::new("无法识别的坐标值", "not a coordinate value"),
                t,
            ),
            Self::BadMinutes(t) => (
                Message::new("分、秒须小于 60", "minutes and seconds must be below 60"),
                t,
            ),
            Self::SameAxis(t) => (
                Message::new(
                    "两个数值都标为纬度或都标为经度",
                    "both values are labelled latitude, or both longitude",
                ),
                t,
            ),
            Self::OutOfRange(t) => (
                Message::new(
                    "坐标超出范围（纬度 ±90，经度 ±180；先纬度后经度，或标明 N/E）",
                    "coordinates out of range (latitude ±90, longitude ±180; latitude first, or label them N/E)",
                ),
                t,
            ),
        };
        m.about(text)
    }
}

/// Which axis a label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Axis {
    Lat,
    Lon,
}

/// One value: degrees (signed) and the axis its label names, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Value {
    deg: f64,
    axis: Option<Axis>,
}

/// Reads a pasted position (see the module's rule). The point is in whatever datum the text was
/// in; convert it with [`crate::datum::Datum::to_wgs84`].
pub fn parse_lat_lon(text: &str) -> Result<LatLon, CoordError> {
    let shown: String = text.trim().chars().take(80).collect();
    let norm: String = text
        .chars()
        .map(to_half_width)
        .map(|c| match c {
            '，' | ';' | '；' | '\t' => ',',
            '′' | '’' | '‘' | '`' => '\'',
            '″' | '”' | '“' => '"',
            'º' | '˚' => '°',
            c => c,
        })
        .collect();
    let parts = split_values(&norm);
    let [a, b] = parts.as_slice() else {
        return Err(CoordError::NotTwoValues(shown));
    };
    let a = parse_value(a).ok_or_else(|| CoordError::BadValue(a.clone()))??;
    let b = parse_value(b).ok_or_else(|| CoordError::BadValue(b.clone()))??;
    let (lat, lon) = match (a.axis, b.axis) {
        (Some(Axis::Lat), Some(Axis::Lat)) | (Some(Axis::Lon), Some(Axis::Lon)) => {
            return Err(CoordError::SameAxis(shown));
        }
        (Some(Axis::Lon), _) | (_, Some(Axis::Lat)) => (b.deg, a.deg),
        _ => (a.deg, b.deg),
    };
    let p = LatLon::new(lat, lon);
    if !p.is_valid() {
        return Err(CoordError::OutOfRange(shown));
    }
    Ok(p)
}

/// Splits into values: at commas when there are any, else at the space between two values.
fn split_values(norm: &str) -> Vec<String> {
    let trimmed = norm.trim();
    if trimmed.contains(',') {
        return trimmed
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
    }
    // Spaces: a value may itself hold spaces (`31° 14' 5.2" N`), so a new value starts after a
    // word that ends one: a hemisphere letter, a seconds mark, or a plain number followed by
    // another number or a leading label.
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for w in &words {
        let starts_label = leading_label(w).is_some();
        if !cur.is_empty() && (ends_value(&cur) || starts_label) && !is_trailing_label(w) {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// True when the text so far is a whole value: it ends with a hemisphere, or it is a number
/// with no marks, or it ends with seconds.
fn ends_value(cur: &str) -> bool {
    let t = cur.trim_end();
    t.ends_with(['N', 'S', 'E', 'W', 'n', 's', 'e', 'w', '"', '秒'])
        || t.parse::<f64>().is_ok()
        || (t.ends_with(['\'', '分']) && !t.contains('°') && !t.contains('度'))
}

/// A word that is only a hemisphere letter, which belongs to the value before it.
fn is_trailing_label(w: &str) -> bool {
    matches!(w, "N" | "S" | "E" | "W" | "n" | "s" | "e" | "w")
}

/// The label at the start of a value (`N31…`, `北纬31…`), and the rest.
fn leading_label(s: &str) -> Option<(Axis, f64, &str)> {
    for (word, axis, sign) in [
        ("北纬", Axis::Lat, 1.0),
        ("南纬", Axis::Lat, -1.0),
        ("东经", Axis::Lon, 1.0),
        ("西经", Axis::Lon, -1.0),
        ("纬度", Axis::Lat, 1.0),
        ("经度", Axis::Lon, 1.0),
    ] {
        if let Some(rest) = s.strip_prefix(word) {
            return Some((axis, sign, rest.trim_start_matches([':', ' '])));
        }
    }
    let mut chars = s.chars();
    let c = chars.next()?;
    let rest = chars.as_str();
    if !rest.starts_with(|d: char| d.is_ascii_digit() || d == ' ' || d == '.') {
        return None;
    }
    match c.to_ascii_uppercase() {
        'N' => Some((Axis::Lat, 1.0, rest.trim_start())),
        'S' => Some((Axis::Lat, -1.0, rest.trim_start())),
        'E' => Some((Axis::Lon, 1.0, rest.trim_start())),
        'W' => Some((Axis::Lon, -1.0, rest.trim_start())),
        _ => None,
    }
}

/// One value; `None` when it is not a coordinate at all.
fn parse_value(s: &str) -> Option<Result<Value, CoordError>> {
    let s = s.trim();
    let (mut axis, mut sign, mut body) = match leading_label(s) {
        Some((a, sign, rest)) => (Some(a), sign, rest),
        None => (None, 1.0, s),
    };
    let last = body.chars().last()?;
    if axis.is_none() {
        let trailing = match last.to_ascii_uppercase() {
            'N' => Some((Axis::Lat, 1.0)),
            'S' => Some((Axis::Lat, -1.0)),
            'E' => Some((Axis::Lon, 1.0)),
            'W' => Some((Axis::Lon, -1.0)),
            _ => None,
        };
        if let Some((a, sg)) = trailing {
            axis = Some(a);
            sign = sg;
            body = body[..body.len() - last.len_utf8()].trim_end();
        }
    }
    let body: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    if let Ok(x) = body.parse::<f64>() {
        return x.is_finite().then_some(Ok(Value {
            deg: sign * x,
            axis,
        }));
    }
    // Degrees, minutes, seconds: each a number followed by its mark.
    let (neg, body) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body.as_str()),
    };
    let mut parts = [None::<f64>; 3];
    let mut num = String::new();
    let mut slot = 0;
    for c in body.chars() {
        let at = match c {
            '0'..='9' | '.' => {
                num.push(c);
                continue;
            }
            '°' | '度' | 'd' | 'D' => 0,
            '\'' | '分' | 'm' | 'M' => 1,
            '"' | '秒' => 2,
            _ => return None,
        };
        if at < slot || num.is_empty() {
            return None;
        }
        parts[at] = Some(num.parse().ok()?);
        num.clear();
        slot = at + 1;
    }
    if !num.is_empty() {
        // A number after the last mark has the next unit (`31°14` = 31°14').
        if slot > 2 {
            return None;
        }
        parts[slot] = Some(num.parse().ok()?);
    }
    let [d, m, sec] = parts;
    let d = d?;
    let (m, sec) = (m.unwrap_or(0.0), sec.unwrap_or(0.0));
    if m >= 60.0 || sec >= 60.0 {
        return Some(Err(CoordError::BadMinutes(s.to_owned())));
    }
    let deg = d + m / 60.0 + sec / 3600.0;
    Some(Ok(Value {
        deg: if neg { -sign * deg } else { sign * deg },
        axis,
    }))
}

/// Reads `LAT,LON[,RADIUS_M]` (the command line's `--near`, the window's caller location box):
/// a position as [`parse_lat_lon`] reads it, and an optional accuracy radius in metres after a
/// last comma (when what comes before it is a whole position).
pub fn parse_near(text: &str) -> Result<(LatLon, Option<f64>), CoordError> {
    let norm: String = text.chars().map(to_half_width).collect();
    let norm = norm.replace('，', ",");
    if let Some((head, tail)) = norm.rsplit_once(',')
        && let Ok(r) = tail.trim().parse::<f64>()
        && let Ok(p) = parse_lat_lon(head)
    {
        if !(r.is_finite() && r >= 0.0) {
            return Err(CoordError::BadValue(tail.trim().to_owned()));
        }
        return Ok((p, Some(r)));
    }
    Ok((parse_lat_lon(&norm)?, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(p: LatLon, lat: f64, lon: f64) -> bool {
        (p.lat_deg - lat).abs() < 1e-6 && (p.lon_deg - lon).abs() < 1e-6
    }

    #[test]
    fn decimal_degrees_are_latitude_then_longitude() {
        for text in [
            "31.2348,121.4667",
            "31.2348, 121.4667",
            "31.2348 121.4667",
            "31.2348；121.4667",
            "３１．２３４８，１２１．４６６７",
            "  31.2348\t121.4667 ",
        ] {
            let p = parse_lat_lon(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(close(p, 31.2348, 121.4667), "{text}: {p:?}");
        }
        let p = parse_lat_lon("-33.8568, -70.6").unwrap();
        assert!(close(p, -33.8568, -70.6), "{p:?}");
    }

    #[test]
    fn degrees_minutes_seconds_with_hemispheres_are_read() {
        let lat = 31.0 + 14.0 / 60.0 + 5.2 / 3600.0;
        let lon = 121.0 + 28.0 / 60.0;
        for text in [
            "31°14'5.2\"N 121°28'E",
            "31°14'5.2\"N, 121°28'E",
            "N31°14'5.2\" E121°28'",
            "31° 14' 5.2\" N 121° 28' E",
            "31°14′5.2″N 121°28′E",
            "北纬31°14'5.2\" 东经121°28'",
            "31度14分5.2秒N 121度28分E",
        ] {
            let p = parse_lat_lon(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(close(p, lat, lon), "{text}: {p:?}");
        }
        // Decimal minutes, and a southern, western point.
        let p = parse_lat_lon("33°51.408'S 70°36'W").unwrap();
        assert!(close(p, -(33.0 + 51.408 / 60.0), -70.6), "{p:?}");
    }

    #[test]
    fn labels_decide_the_order_and_unlabelled_longitude_first_is_refused() {
        let p = parse_lat_lon("121.4667E 31.2348N").unwrap();
        assert!(close(p, 31.2348, 121.4667), "{p:?}");
        let p = parse_lat_lon("121°28'E, 31°14'5.2\"N").unwrap();
        assert!((p.lat_deg - 31.234_78).abs() < 1e-4, "{p:?}");
        let p = parse_lat_lon("东经121.4667 北纬31.2348").unwrap();
        assert!(close(p, 31.2348, 121.4667), "{p:?}");
        // Unlabelled, longitude first: refused, never swapped behind the user's back.
        assert!(matches!(
            parse_lat_lon("121.4667 31.2348"),
            Err(CoordError::OutOfRange(_))
        ));
        let e = parse_lat_lon("121.4667, 31.2348").unwrap_err().to_string();
        assert!(e.contains("latitude first"), "{e}");
    }

    #[test]
    fn what_is_not_a_position_is_refused_with_a_reason() {
        assert!(matches!(
            parse_lat_lon("31.2"),
            Err(CoordError::NotTwoValues(_))
        ));
        assert!(matches!(
            parse_lat_lon("1, 2, 3"),
            Err(CoordError::NotTwoValues(_))
        ));
        assert!(matches!(
            parse_lat_lon(""),
            Err(CoordError::NotTwoValues(_))
        ));
        assert!(matches!(
            parse_lat_lon("abc, 121"),
            Err(CoordError::BadValue(_))
        ));
        assert!(matches!(
            parse_lat_lon("31°61'N 121°E"),
            Err(CoordError::BadMinutes(_))
        ));
        assert!(matches!(
            parse_lat_lon("31N 32N"),
            Err(CoordError::SameAxis(_))
        ));
        assert!(matches!(
            parse_lat_lon("95, 100"),
            Err(CoordError::OutOfRange(_))
        ));
        assert!(parse_lat_lon("NaN, 1").is_err());
        assert!(parse_lat_lon("inf, 1").is_err());
    }

    #[test]
    fn what_the_card_shows_reads_back_to_the_same_point() {
        for (lat, lon) in [
            (25.045_678, 121.513_7),
            (-33.85, -70.6),
            (0.0, 0.0),
            (89.9, 179.9),
        ] {
            let p = LatLon::new(lat, lon);
            let back = parse_lat_lon(&crate::geo::format_latlon_dms(p)).unwrap();
            assert!(back.distance_m(p) < 0.5, "{p:?} {back:?}");
            let back = parse_lat_lon(&format!("{lat:.7}, {lon:.7}")).unwrap();
            assert!(back.distance_m(p) < 0.05, "{p:?} {back:?}");
        }
    }

    #[test]
    fn near_takes_an_optional_radius_after_a_last_comma() {
        let (p, r) = parse_near("31.2348,121.4667,150").unwrap();
        assert!(
            close(p, 31.2348, 121.4667) && r == Some(150.0),
            "{p:?} {r:?}"
        );
        let (p, r) = parse_near("31.2348,121.4667").unwrap();
        assert!(close(p, 31.2348, 121.4667) && r.is_none());
        let (_, r) = parse_near("31°14'5.2\"N 121°28'E, 80").unwrap();
        assert_eq!(r, Some(80.0));
        assert!(parse_near("31.2348,121.4667,-5").is_err());
        let (_, r) = parse_near("31.2348 121.4667, 150").unwrap();
        assert_eq!(r, Some(150.0));
    }
}
