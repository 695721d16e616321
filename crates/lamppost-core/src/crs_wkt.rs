//! Reading the WKT of a `.prj` file (ESRI and OGC WKT 1, WKT 2) into a [`Crs`].
//!
//! Order: an EPSG code the WKT carries (`AUTHORITY["EPSG","4528"]`, `ID["EPSG",4528]`) that
//! [`from_epsg`] knows; else the parameters (datum by name or ellipsoid, transverse Mercator's
//! central meridian, scale, false easting/northing, or Web Mercator), identified as an EPSG code
//! when they equal one; else the name (`CGCS2000_3_Degree_GK_Zone_40`, `WGS_1984_UTM_Zone_50N`,
//! `Beijing_1954_3_Degree_GK_CM_117E`…).

use crate::crs::{Crs, CrsError, Defined, Geodetic, Method, from_epsg, identify};
use crate::datum::Datum;

/// A WKT node: `KEYWORD["name", 1.0, CHILD[…], …]`.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    keyword: String,
    args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    Number(f64),
    Word(String),
    Node(Node),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn word(&mut self) -> String {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || matches!(self.s[self.i], b'_' | b'.'))
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn node(&mut self, depth: usize) -> Option<Node> {
        if depth > 32 {
            return None;
        }
        self.ws();
        let keyword = self.word().to_ascii_uppercase();
        if keyword.is_empty() {
            return None;
        }
        self.ws();
        let close = match self.s.get(self.i)? {
            b'[' => b']',
            b'(' => b')',
            _ => return None,
        };
        self.i += 1;
        let mut args = Vec::new();
        loop {
            self.ws();
            match *self.s.get(self.i)? {
                c if c == close => {
                    self.i += 1;
                    return Some(Node { keyword, args });
                }
                b',' => self.i += 1,
                b'"' => {
                    self.i += 1;
                    let mut bytes = Vec::new();
                    loop {
                        let c = *self.s.get(self.i)?;
                        self.i += 1;
                        if c == b'"' {
                            if self.s.get(self.i) == Some(&b'"') {
                                self.i += 1;
                                bytes.push(b'"');
                            } else {
                                break;
                            }
                        } else {
                            bytes.push(c);
                        }
                    }
                    args.push(Arg::Text(String::from_utf8_lossy(&bytes).into_owned()));
                }
                c if c == b'-' || c == b'+' || c.is_ascii_digit() => {
                    let start = self.i;
                    self.i += 1;
                    while self.i < self.s.len()
                        && (self.s[self.i].is_ascii_digit()
                            || matches!(self.s[self.i], b'.' | b'e' | b'E' | b'-' | b'+'))
                    {
                        self.i += 1;
                    }
                    let t = std::str::from_utf8(&self.s[start..self.i]).ok()?;
                    args.push(Arg::Number(t.parse().ok()?));
                }
                _ => {
                    let save = self.i;
                    let w = self.word();
                    if w.is_empty() {
                        return None;
                    }
                    self.ws();
                    if matches!(self.s.get(self.i), Some(b'[' | b'(')) {
                        self.i = save;
                        args.push(Arg::Node(self.node(depth + 1)?));
                    } else {
                        args.push(Arg::Word(w));
                    }
                }
            }
        }
    }
}

impl Node {
    fn name(&self) -> &str {
        match self.args.first() {
            Some(Arg::Text(t)) => t,
            _ => "",
        }
    }

    fn children(&self) -> impl Iterator<Item = &Node> {
        self.args.iter().filter_map(|a| match a {
            Arg::Node(n) => Some(n),
            _ => None,
        })
    }

    fn child(&self, keywords: &[&str]) -> Option<&Node> {
        self.children()
            .find(|n| keywords.contains(&n.keyword.as_str()))
    }

    /// The first node with one of these keywords, here or below (depth first).
    fn find(&self, keywords: &[&str]) -> Option<&Node> {
        if keywords.contains(&self.keyword.as_str()) {
            return Some(self);
        }
        self.children().find_map(|c| c.find(keywords))
    }

    fn numbers(&self) -> Vec<f64> {
        self.args
            .iter()
            .filter_map(|a| match a {
                Arg::Number(x) => Some(*x),
                Arg::Text(t) => t.trim().parse().ok(),
                _ => None,
            })
            .collect()
    }

    /// The EPSG code of this node's `AUTHORITY`/`ID`.
    fn epsg(&self) -> Option<u32> {
        let a = self.child(&["AUTHORITY", "ID"])?;
        if !a.name().eq_ignore_ascii_case("EPSG") {
            return None;
        }
        match a.args.get(1)? {
            Arg::Number(x) => Some(*x as u32),
            Arg::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Lower case, letters and digits only.
fn norm(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The number right after `pat` in `s`.
fn number_after(s: &str, pat: &str) -> Option<u32> {
    let i = s.find(pat)? + pat.len();
    let digits: String = s[i..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn geodetic_by_name(n: &str) -> Option<Geodetic> {
    let n = norm(n);
    if n.contains("cgcs2000")
        || n.contains("china2000")
        || n.contains("chinageodeticcoordinatesystem2000")
    {
        Some(Geodetic::Cgcs2000)
    } else if n.contains("beijing1954") {
        Some(Geodetic::Beijing1954)
    } else if n.contains("xian1980") {
        Some(Geodetic::Xian1980)
    } else if n.contains("wgs1984") || n.contains("wgs84") || n.contains("worldgeodeticsystem1984")
    {
        Some(Geodetic::Wgs84)
    } else {
        None
    }
}

fn geodetic_by_ellipsoid(a: f64, rf: f64) -> Option<Geodetic> {
    let close = |x: f64, y: f64, tol: f64| (x - y).abs() < tol;
    if close(a, 6_378_137.0, 0.5) && close(rf, 298.257_222_101, 1e-6) {
        Some(Geodetic::Cgcs2000)
    } else if close(a, 6_378_137.0, 0.5) && close(rf, 298.257_223_563, 1e-6) {
        Some(Geodetic::Wgs84)
    } else if close(a, 6_378_245.0, 0.5) && close(rf, 298.3, 1e-6) {
        Some(Geodetic::Beijing1954)
    } else if close(a, 6_378_140.0, 0.5) && close(rf, 298.257, 1e-6) {
        Some(Geodetic::Xian1980)
    } else {
        None
    }
}

/// See the module's documentation.
pub(crate) fn from_wkt(text: &str) -> Result<Crs, CrsError> {
    let short = || text.chars().take(120).collect::<String>();
    let mut p = Parser {
        s: text.trim().trim_start_matches('\u{FEFF}').as_bytes(),
        i: 0,
    };
    let mut top = p
        .node(0)
        .ok_or_else(|| CrsError::Unsupported(format!("WKT: {}", short())))?;
    if matches!(top.keyword.as_str(), "COMPD_CS" | "COMPOUNDCRS") {
        let inner = top
            .children()
            .find(|n| n.keyword.starts_with("PROJ") || n.keyword.starts_with("GEO"))
            .cloned()
            .ok_or_else(|| CrsError::Unsupported(short()))?;
        top = inner;
    }
    let projected = top.keyword.starts_with("PROJ");
    let name = top.name().to_owned();
    let datum_node = top.find(&["DATUM", "GEODETICDATUM", "TRF"]);
    let towgs84 = datum_node
        .and_then(|d| d.child(&["TOWGS84"]))
        .map(Node::numbers)
        .and_then(|v| <[f64; 7]>::try_from(v.as_slice()).ok());
    let with_towgs84 = |c: Crs, g: Option<Geodetic>| match towgs84 {
        // Zero parameters on a modern datum say nothing.
        Some(t) if g.is_some_and(Geodetic::is_legacy) || t.iter().any(|x| *x != 0.0) => {
            c.with_towgs84(t)
        }
        _ => c,
    };
    if let Some(code) = top.epsg()
        && let Some(c) = from_epsg(code)
    {
        let g = match &c {
            Crs::Defined(d) => Some(d.geodetic),
            Crs::Datum(_) => None,
        };
        return Ok(with_towgs84(c, g));
    }
    let ellipsoid = top.find(&["SPHEROID", "ELLIPSOID"]).map(Node::numbers);
    let geodetic = datum_node
        .and_then(|d| geodetic_by_name(d.name()))
        .or_else(|| {
            top.find(&["GEOGCS", "BASEGEOGCRS", "BASEGEODCRS"])
                .and_then(|g| geodetic_by_name(g.name()))
        })
        .or_else(|| match ellipsoid.as_deref() {
            Some([a, rf, ..]) => geodetic_by_ellipsoid(*a, *rf),
            _ => None,
        })
        .or_else(|| geodetic_by_name(&name));
    let method = if projected {
        method_of(&top)
    } else {
        Some(Method::LatLon)
    };
    if let (Some(g), Some(method)) = (geodetic, method) {
        if projected && !metre_units(&top) {
            return Err(CrsError::Unsupported(format!(
                "{name}: 坐标单位不是米 / the unit is not the metre"
            )));
        }
        let mut d = Defined {
            epsg: None,
            name: name.clone(),
            geodetic: g,
            method,
            towgs84: None,
        };
        if method == Method::LatLon && !g.is_legacy() {
            let c = Crs::Datum(if g == Geodetic::Wgs84 {
                Datum::Wgs84
            } else {
                Datum::Cgcs2000
            });
            return Ok(with_towgs84(c, Some(g)));
        }
        d.epsg = identify(&d, &name);
        let c = match d.epsg.and_then(from_epsg) {
            Some(c) => c,
            None => Crs::Defined(d),
        };
        return Ok(with_towgs84(c, Some(g)));
    }
    by_name(&name)
        .map(|c| with_towgs84(c, geodetic))
        .ok_or_else(|| CrsError::Unsupported(if name.is_empty() { short() } else { name }))
}

/// True when the projected CRS's linear unit is the metre (or not given).
fn metre_units(top: &Node) -> bool {
    let unit = top
        .child(&["UNIT", "LENGTHUNIT"])
        .or_else(|| top.child(&["CS"]).and(top.find(&["LENGTHUNIT"])));
    unit.is_none_or(|u| {
        let n = u.numbers();
        n.first().is_none_or(|f| (f - 1.0).abs() < 1e-12)
    })
}

/// The projection of a `PROJCS`/`PROJCRS` from its parameters.
fn method_of(top: &Node) -> Option<Method> {
    let proj_name = top
        .child(&["PROJECTION"])
        .map(|n| norm(n.name()))
        .or_else(|| {
            top.child(&["CONVERSION"])
                .and_then(|c| c.child(&["METHOD", "PROJECTION"]))
                .map(|m| norm(m.name()))
        })?;
    if proj_name.contains("auxiliarysphere")
        || proj_name.contains("pseudomercator")
        || (proj_name.contains("mercator") && {
            let n = norm(top.name());
            n.contains("webmercator") || n.contains("pseudomercator")
        })
    {
        return Some(Method::WebMercator);
    }
    if !(proj_name.contains("transversemercator") || proj_name.contains("gausskruger")) {
        return None;
    }
    let params_of = |n: &Node| -> Vec<(String, f64)> {
        n.children()
            .filter(|c| c.keyword == "PARAMETER")
            .filter_map(|c| Some((norm(c.name()), *c.numbers().first()?)))
            .collect()
    };
    let mut params = params_of(top);
    if let Some(c) = top.child(&["CONVERSION"]) {
        params.extend(params_of(c));
    }
    let get = |names: &[&str], default: Option<f64>| {
        params
            .iter()
            .find(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, v)| *v)
            .or(default)
    };
    Some(Method::TransverseMercator {
        lat0_deg: get(&["latitudeoforigin", "latitudeofnaturalorigin"], Some(0.0))?,
        lon0_deg: get(
            &[
                "centralmeridian",
                "longitudeofnaturalorigin",
                "longitudeofcenter",
            ],
            None,
        )?,
        k0: get(&["scalefactor", "scalefactoratnaturalorigin"], Some(1.0))?,
        false_easting_m: get(&["falseeasting"], Some(0.0))?,
        false_northing_m: get(&["falsenorthing"], Some(0.0))?,
    })
}

/// The EPSG CRS a name like `CGCS2000_3_Degree_GK_Zone_40` or `WGS_1984_UTM_Zone_50N` means.
fn by_name(name: &str) -> Option<Crs> {
    let n = norm(name);
    if n.contains("webmercator") || n.contains("pseudomercator") {
        return from_epsg(3857);
    }
    if let Some(z) = number_after(&n, "utmzone") {
        let rest = &n[n.find("utmzone")? + 7 + z.to_string().len()..];
        if !(1..=60).contains(&z) || !n.contains("wgs") {
            return None;
        }
        return from_epsg(if rest.starts_with('s') { 32700 } else { 32600 } + z);
    }
    let g = geodetic_by_name(&n)?;
    // (first code for: 6° zone, 6° CM, 3° zone, 3° CM)
    let firsts: [u32; 4] = match g {
        Geodetic::Cgcs2000 => [4491, 4502, 4513, 4534],
        Geodetic::Beijing1954 => [21413, 21453, 2401, 2422],
        Geodetic::Xian1980 => [2327, 2338, 2349, 2370],
        Geodetic::Wgs84 => return None,
    };
    let three = n.contains("3degree");
    let zone = number_after(&n, "gkzone").or_else(|| number_after(&n, "gausskrugerzone"));
    let cm = number_after(&n, "gkcm").or_else(|| number_after(&n, "gausskrugercm"));
    let code = match (three, zone, cm) {
        (false, Some(z), _) if (13..=23).contains(&z) => firsts[0] + z - 13,
        (false, _, Some(c)) if (75..=135).contains(&c) && (c - 75) % 6 == 0 => {
            firsts[1] + (c - 75) / 6
        }
        (true, Some(z), _) if (25..=45).contains(&z) => firsts[2] + z - 25,
        (true, _, Some(c)) if (75..=135).contains(&c) && (c - 75) % 3 == 0 => {
            firsts[3] + (c - 75) / 3
        }
        _ => return None,
    };
    from_epsg(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_alone_are_understood() {
        let w = |n: &str| by_name(n).map(|c| c.word());
        assert_eq!(
            w("CGCS2000_3_Degree_GK_Zone_40").as_deref(),
            Some("EPSG:4528")
        );
        assert_eq!(
            w("CGCS2000_3_Degree_GK_CM_120E").as_deref(),
            Some("EPSG:4549")
        );
        assert_eq!(w("CGCS2000_GK_Zone_20").as_deref(), Some("EPSG:4498"));
        assert_eq!(w("CGCS2000_GK_CM_117E").as_deref(), Some("EPSG:4509"));
        assert_eq!(w("WGS_1984_UTM_Zone_50N").as_deref(), Some("EPSG:32650"));
        assert_eq!(w("WGS 84 / UTM zone 50S").as_deref(), Some("EPSG:32750"));
        assert_eq!(
            w("WGS_1984_Web_Mercator_Auxiliary_Sphere").as_deref(),
            Some("EPSG:3857")
        );
        assert_eq!(
            w("Beijing_1954_3_Degree_GK_Zone_39").as_deref(),
            Some("EPSG:2415")
        );
        assert_eq!(w("Beijing_1954_GK_Zone_20").as_deref(), Some("EPSG:21420"));
        assert_eq!(
            w("Xian_1980_3_Degree_GK_CM_117E").as_deref(),
            Some("EPSG:2384")
        );
        assert_eq!(
            w("Xian 1980 / Gauss-Kruger zone 19").as_deref(),
            Some("EPSG:2333")
        );
        assert_eq!(w("Something_Else"), None);
    }

    #[test]
    fn a_wkt_that_is_not_one_is_refused() {
        assert!(from_wkt("PROJCS[").is_err());
        assert!(from_wkt("PROJCS[\"x\",PROJECTION[\"Lambert_Conformal_Conic\"]]").is_err());
    }
}
