//! The reference data: streets and their coded poles, as they are stored and exchanged.

use crate::code::PoleCode;
use crate::geo::LatLon;

/// A coded street: its name and, when known, its centre line.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetRecord {
    /// The street's code in the dataset (the demo uses the two code digits, e.g. `12`).
    pub street_code: String,
    /// The name as signposted (`重慶北路一段`).
    pub name: String,
    /// A romanised or English name, when known.
    pub name_en: String,
    /// The administrative district (`大同區`).
    pub district: String,
    /// The default jurisdiction of its poles (`建成辖区`).
    pub jurisdiction: String,
    /// Centre line, WGS-84; empty when unknown.
    pub geometry: Vec<LatLon>,
}

/// Which side of the street a pole stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// 东侧
    East,
    /// 西侧
    West,
    /// 南侧
    South,
    /// 北侧
    North,
    /// 左侧 (relative to the direction of numbering)
    Left,
    /// 右侧
    Right,
}

impl Side {
    /// Every side, in a fixed order.
    pub const ALL: [Side; 6] = [
        Side::East,
        Side::West,
        Side::South,
        Side::North,
        Side::Left,
        Side::Right,
    ];

    /// Reads the spellings found in real data: `东`, `東侧`, `E`, `east`, `左`, `L` …
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim().trim_end_matches(['侧', '側', '边', '邊']);
        Some(match t.to_ascii_lowercase().as_str() {
            "东" | "東" | "e" | "east" => Self::East,
            "西" | "w" | "west" => Self::West,
            "南" | "s" | "south" => Self::South,
            "北" | "n" | "north" => Self::North,
            "左" | "l" | "left" => Self::Left,
            "右" | "r" | "right" => Self::Right,
            _ => return None,
        })
    }

    /// The one-character Chinese name (`西`), also the canonical CSV spelling.
    #[must_use]
    pub fn zh(self) -> &'static str {
        match self {
            Self::East => "东",
            Self::West => "西",
            Self::South => "南",
            Self::North => "北",
            Self::Left => "左",
            Self::Right => "右",
        }
    }

    /// The English name (`west`).
    #[must_use]
    pub fn en(self) -> &'static str {
        match self {
            Self::East => "east",
            Self::West => "west",
            Self::South => "south",
            Self::North => "north",
            Self::Left => "left",
            Self::Right => "right",
        }
    }

    /// The compass direction of this side as a unit (east, north) vector; `None` for left/right.
    #[must_use]
    pub fn compass(self) -> Option<(f64, f64)> {
        match self {
            Self::East => Some((1.0, 0.0)),
            Self::West => Some((-1.0, 0.0)),
            Self::North => Some((0.0, 1.0)),
            Self::South => Some((0.0, -1.0)),
            Self::Left | Self::Right => None,
        }
    }
}

/// One coded pole as stored and exchanged (a row of the canonical CSV).
#[derive(Debug, Clone, PartialEq)]
pub struct PoleRecord {
    /// The code on the sign.
    pub code: PoleCode,
    /// The street's code.
    pub street_code: String,
    /// The street's name.
    pub street: String,
    /// The pole's number along its street, when the scheme has one: the numeric part of a
    /// number written with a suffix (`103` of `103F`), which orders and places it.
    pub pole_no: Option<u32>,
    /// The number as written when it is more than the plain number (`103F`, `570/1`, `12-1`,
    /// `12附1`); empty otherwise. Read back as written.
    pub pole_label: String,
    /// The side of the street.
    pub side: Option<Side>,
    /// The surveyed position (WGS-84); `None` when the pole was never surveyed.
    pub surveyed: Option<LatLon>,
    /// Postal-style address.
    pub address: String,
    /// A nearby landmark (`台北車站`).
    pub landmark: String,
    /// The nearest cross street (`南京西路`).
    pub cross_street: String,
    /// The jurisdiction (police station or patrol zone); empty to use the street's.
    pub jurisdiction: String,
    /// Free status text (`active`, `damaged` …).
    pub status: String,
    /// Free note.
    pub note: String,
}

/// Longest pole number with a suffix (characters).
pub const MAX_POLE_LABEL_CHARS: usize = 16;

/// Reads a pole number as registers write it: a whole number (`12`), or one with a suffix or a
/// sub-number for a pole added between others (`103F`, `570/1`, `12-1`, `12附1`, `12之1`).
/// Returns the numeric part and the label: the text as written, or empty when it is the plain
/// number (leading zeros and a trailing `号` are not part of it). `None` for text that does not
/// start with a number, or a suffix that is not letters, digits and `/ - . _ 附 之`.
#[must_use]
pub fn parse_pole_no(text: &str) -> Option<(u32, String)> {
    let t = text.trim().trim_end_matches(['号', '號']).trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let number: u32 = t[..digits].parse().ok()?;
    let rest = &t[digits..];
    if rest.is_empty() {
        return Some((number, String::new()));
    }
    let ok = rest.chars().count() + digits <= MAX_POLE_LABEL_CHARS
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '.' | '_' | '附' | '之'))
        && rest.chars().any(|c| c.is_ascii_alphanumeric());
    ok.then(|| (number, t.to_owned()))
}

/// The pole number as written: the label when there is one, else the number.
#[must_use]
pub fn pole_no_text(pole_no: Option<u32>, label: &str) -> String {
    if label.is_empty() {
        pole_no.map(|n| n.to_string()).unwrap_or_default()
    } else {
        label.to_owned()
    }
}

/// The canonical CSV header, in order.
pub const CANONICAL_HEADER: [&str; 13] = [
    "code",
    "street_code",
    "street",
    "pole_no",
    "side",
    "lat_deg",
    "lon_deg",
    "address",
    "landmark",
    "cross_street",
    "jurisdiction",
    "status",
    "note",
];

/// The header of the streets CSV that travels beside the canonical poles CSV.
pub const STREETS_HEADER: [&str; 6] = [
    "street_code",
    "name",
    "name_en",
    "district",
    "jurisdiction",
    "geometry_wkt",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_are_read_in_chinese_english_and_letters() {
        assert_eq!(Side::parse("西"), Some(Side::West));
        assert_eq!(Side::parse("西侧"), Some(Side::West));
        assert_eq!(Side::parse("東側"), Some(Side::East));
        assert_eq!(Side::parse(" N "), Some(Side::North));
        assert_eq!(Side::parse("South"), Some(Side::South));
        assert_eq!(Side::parse("左"), Some(Side::Left));
        assert_eq!(Side::parse(""), None);
        assert_eq!(Side::parse("中"), None);
    }

    #[test]
    fn pole_numbers_with_suffixes_keep_their_spelling_and_their_numeric_part() {
        assert_eq!(parse_pole_no("12"), Some((12, String::new())));
        assert_eq!(parse_pole_no(" 0012号 "), Some((12, String::new())));
        assert_eq!(parse_pole_no("103F"), Some((103, "103F".into())));
        assert_eq!(parse_pole_no("570/1"), Some((570, "570/1".into())));
        assert_eq!(parse_pole_no("12-1"), Some((12, "12-1".into())));
        assert_eq!(parse_pole_no("12附1号"), Some((12, "12附1".into())));
        assert_eq!(parse_pole_no("12之1"), Some((12, "12之1".into())));
        for bad in [
            "",
            "abc",
            "F103",
            "12 1",
            "12路",
            "12-",
            "1".repeat(12).as_str(),
            "12/ABCDEFGHIJKLMNOP",
        ] {
            assert_eq!(parse_pole_no(bad), None, "{bad:?}");
        }
        assert_eq!(pole_no_text(Some(12), ""), "12");
        assert_eq!(pole_no_text(Some(12), "12-1"), "12-1");
        assert_eq!(pole_no_text(None, ""), "");
    }

    #[test]
    fn every_side_reads_back_from_its_chinese_name() {
        for s in Side::ALL {
            assert_eq!(Side::parse(s.zh()), Some(s));
            assert_eq!(Side::parse(s.en()), Some(s));
        }
    }
}
