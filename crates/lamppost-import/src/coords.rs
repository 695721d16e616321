//! The coordinates of a file: which CRS they are in (one decision, [`choose_crs`]), which column
//! is the easting (the Chinese survey convention writes the northing as X), and their WGS-84
//! latitude/longitude.
//!
//! A projected file's rows are converted here, before the row checks: the checks then see the
//! WGS-84 degrees in the coordinate columns (see [`ConvertedCells`]), exactly as for a file in
//! degrees. A file with no CRS whose coordinates are plainly metres is refused, with the CRS it
//! most likely is ([`guess_crs`]).

use lamppost_core::crs::{Converter, Crs, from_epsg};
use lamppost_core::geo::LatLon;

use crate::finding::{Finding, FindingKind};
use crate::mapping::{Field, Mapping};
use crate::read::Cells;

/// Where the CRS of an import came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrsSource {
    /// `--crs` (or the window's choice).
    Given,
    /// The file itself (a `.prj`, the CRS of a `GeoPackage` layer).
    File,
    /// The saved mapping (`--mapping NAME`).
    Mapping,
    /// Nothing said: WGS-84 degrees, checked against the values.
    Assumed,
}

/// The CRS an import uses and why.
#[derive(Debug, Clone, PartialEq)]
pub struct CrsChoice {
    /// The CRS.
    pub crs: Crs,
    /// Where it came from.
    pub source: CrsSource,
    /// A warning to report with it (a legacy datum taken with zero parameters).
    pub warning: Option<FindingKind>,
}

/// The one place the CRS of an import is decided: `--crs` first, then the file's own CRS (`hint`:
/// WKT from a `.prj`, or `EPSG:n`), then the saved mapping's, else WGS-84 assumed (and the values
/// checked: see [`Coords`]). `towgs84` (`--towgs84`) is applied to the chosen CRS when it is a
/// defined one. Refuses (a whole-file finding) a hint it cannot read, and Beijing 1954 / Xi'an
/// 1980 without 7 parameters.
pub fn choose_crs(
    given: Option<&Crs>,
    hint: Option<&str>,
    saved: Option<&Crs>,
    towgs84: Option<[f64; 7]>,
) -> Result<CrsChoice, FindingKind> {
    let (crs, source) = if let Some(c) = given {
        (c.clone(), CrsSource::Given)
    } else if let Some(h) = hint.map(str::trim).filter(|h| !h.is_empty()) {
        match Crs::parse(h) {
            Ok(c) => (c, CrsSource::File),
            Err(e) => {
                return Err(FindingKind::UnknownCrsHint {
                    hint: h.chars().take(120).collect(),
                    detail: e.to_string(),
                });
            }
        }
    } else if let Some(c) = saved {
        (c.clone(), CrsSource::Mapping)
    } else {
        (Crs::default(), CrsSource::Assumed)
    };
    let crs = match towgs84 {
        Some(t) => crs.with_towgs84(t),
        None => crs,
    };
    if crs.needs_towgs84() {
        return Err(FindingKind::LegacyDatumNeedsTowgs84 { crs: crs.label() });
    }
    let warning = match &crs {
        Crs::Defined(d) if d.geodetic.is_legacy() && d.towgs84 == Some([0.0; 7]) => {
            Some(FindingKind::LegacyDatumNotShifted { crs: crs.label() })
        }
        _ => None,
    };
    Ok(CrsChoice {
        crs,
        source,
        warning,
    })
}

/// True for a pair of numbers that cannot be degrees: both beyond a thousand (metres of a grid).
#[must_use]
pub fn plainly_projected(a: f64, b: f64) -> bool {
    a.abs() > 1000.0 && b.abs() > 1000.0
}

/// A latitude/longitude box: (`min_lat`, `max_lat`, `min_lon`, `max_lon`).
pub type Region = [f64; 4];

fn in_region(p: LatLon, r: Option<Region>, margin_deg: f64) -> bool {
    r.is_some_and(|[a, b, c, d]| {
        (a - margin_deg..=b + margin_deg).contains(&p.lat_deg)
            && (c - margin_deg..=d + margin_deg).contains(&p.lon_deg)
    })
}

fn in_china(p: LatLon) -> bool {
    (70.0..=140.0).contains(&p.lon_deg) && (0.0..=56.0).contains(&p.lat_deg)
}

/// How well a converted point fits: 0 when it is no point of the CRS (off its zone, off the
/// globe), more when it is in China and more again in the dataset's region.
fn fit(crs: &Crs, p: Option<LatLon>, region: Option<Region>) -> u8 {
    let Some(p) = p.filter(|p| p.is_valid()) else {
        return 0;
    };
    if let Some(lon0) = crs.central_meridian()
        && ((p.lon_deg - lon0 + 540.0) % 360.0 - 180.0).abs() > 6.0
    {
        return 0;
    }
    1 + u8::from(in_china(p)) + 2 * u8::from(in_region(p, region, 0.5))
}

/// The CRS a pair of plainly projected numbers (in either order) most likely is: a zone number
/// prefixed to the easting (CGCS2000 Gauss–Krüger 3°, zones 25–45, or 6°, zones 13–23), Web
/// Mercator's range, or the central meridian nearest the dataset's existing poles (3°, then 6°
/// Gauss–Krüger, then UTM). With a region, the first candidate that puts the point in it wins.
#[must_use]
pub fn guess_crs(a: f64, b: f64, region: Option<Region>) -> Option<Crs> {
    let mut candidates: Vec<u32> = Vec::new();
    for (e, n) in [(a, b), (b, a)] {
        if !(0.0..=10_000_000.0).contains(&n) || e <= 0.0 {
            continue;
        }
        let prefix = (e / 1e6).floor();
        if (25.0..=45.0).contains(&prefix) {
            candidates.push(4513 + (prefix as u32 - 25));
        } else if (13.0..=23.0).contains(&prefix) {
            candidates.push(4491 + (prefix as u32 - 13));
        }
    }
    for (e, n) in [(a, b), (b, a)] {
        if (8_000_000.0..=15_300_000.0).contains(&e) && (0.0..=7_500_000.0).contains(&n) {
            candidates.push(3857);
        }
    }
    if let Some([_, _, min_lon, max_lon]) = region {
        let lon = f64::midpoint(min_lon, max_lon);
        let cm3 = (lon / 3.0).round() * 3.0;
        if (75.0..=135.0).contains(&cm3) {
            candidates.push(4534 + ((cm3 - 75.0) / 3.0) as u32);
        }
        let zone6 = (lon / 6.0).floor() + 1.0;
        let cm6 = zone6 * 6.0 - 3.0;
        if (75.0..=135.0).contains(&cm6) {
            candidates.push(4502 + ((cm6 - 75.0) / 6.0) as u32);
        }
        let utm = ((lon + 180.0) / 6.0).floor() + 1.0;
        if (1.0..=60.0).contains(&utm) {
            candidates.push(32600 + utm as u32);
        }
    }
    let crss: Vec<Crs> = candidates.into_iter().filter_map(from_epsg).collect();
    if region.is_some() {
        for c in &crss {
            let Ok(conv) = c.converter() else { continue };
            for (e, n) in [(a, b), (b, a)] {
                if fit(c, conv.to_wgs84(e, n), region) >= 3 {
                    return Some(c.clone());
                }
            }
        }
    }
    // No region, or nothing lands in it: a zone prefix or Web Mercator's range that lands in
    // China.
    crss.into_iter().find(|c| {
        c.converter().is_ok_and(|conv| {
            [(a, b), (b, a)]
                .iter()
                .any(|&(e, n)| fit(c, conv.to_wgs84(e, n), None) >= 2)
        })
    })
}

/// The CRSs a pair of plainly projected numbers (in either order) may be in, the likeliest
/// first, at most four: those of [`guess_crs`]'s candidates that put the point in China (in
/// the dataset's region first, when there is one). For the window's short list.
#[must_use]
pub fn likely_crs(a: f64, b: f64, region: Option<Region>) -> Vec<Crs> {
    let mut out: Vec<Crs> = Vec::new();
    if let Some(g) = guess_crs(a, b, region) {
        out.push(g);
    }
    // Every zone prefix, Web Mercator, and (with a region) the zones around it.
    let mut codes: Vec<u32> = Vec::new();
    for (e, _) in [(a, b), (b, a)] {
        let prefix = (e / 1e6).floor();
        if (25.0..=45.0).contains(&prefix) {
            codes.push(4513 + (prefix as u32 - 25));
        } else if (13.0..=23.0).contains(&prefix) {
            codes.push(4491 + (prefix as u32 - 13));
        }
        codes.push(3857);
    }
    if let Some([_, _, min_lon, max_lon]) = region {
        let lon = f64::midpoint(min_lon, max_lon);
        let cm3 = (lon / 3.0).round() * 3.0;
        if (75.0..=135.0).contains(&cm3) {
            codes.push(4534 + ((cm3 - 75.0) / 3.0) as u32);
        }
        let cm6 = ((lon / 6.0).floor() + 1.0) * 6.0 - 3.0;
        if (75.0..=135.0).contains(&cm6) {
            codes.push(4502 + ((cm6 - 75.0) / 6.0) as u32);
        }
        let utm = ((lon + 180.0) / 6.0).floor() + 1.0;
        if (1.0..=60.0).contains(&utm) {
            codes.push(32600 + utm as u32);
        }
    }
    for c in codes.into_iter().filter_map(from_epsg) {
        if out.len() >= 4 || out.contains(&c) {
            continue;
        }
        let fits = c.converter().is_ok_and(|conv| {
            [(a, b), (b, a)]
                .iter()
                .any(|&(e, n)| fit(&c, conv.to_wgs84(e, n), region) >= 2)
        });
        if fits {
            out.push(c);
        }
    }
    out
}

/// Where the CRS a preview names comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenCrs {
    /// The file declares it (a `.prj`, a GeoPackage layer's SRS).
    Declared,
    /// The file declares none and its coordinates are metres: the likeliest CRS, a guess.
    Guessed,
    /// The file declares none and its coordinates are degrees: WGS-84 unless chosen otherwise.
    Degrees,
}

/// What a preview shows of a file's coordinates: the CRS they are in (or most likely are), and
/// whether the X column holds the northing (the Chinese survey convention).
#[derive(Debug, Clone, PartialEq)]
pub struct SeenCoords {
    /// The CRS: declared, guessed or WGS-84; `None` when metres match no CRS known.
    pub crs: Option<Crs>,
    /// Where it comes from.
    pub source: SeenCrs,
    /// The X column holds the northing and Y the easting (decided on the first row).
    pub northing_first: bool,
    /// The columns read as X (the easting or longitude) and Y, as named in the header.
    pub x_column: String,
    /// See `x_column`.
    pub y_column: String,
    /// The CRSs it may be in, the likeliest first (for a list to choose from); empty for
    /// degrees.
    pub likely: Vec<Crs>,
}

/// What the first row with two coordinates says of a file's CRS: the declared CRS (`hint`),
/// else a guess from metres, else degrees; and whether X is the northing. `None` when the
/// header has no coordinate columns or no row has two numbers in them.
#[must_use]
pub fn seen_coords(
    header: &[String],
    rows: &[(u64, Vec<String>)],
    hint: Option<&str>,
) -> Option<SeenCoords> {
    let mapping = Mapping::resolve(header, &[]).ok()?;
    let (xc, yc) = (mapping.column(Field::Lon)?, mapping.column(Field::Lat)?);
    let (x, y) = rows.iter().find_map(|(_, cells)| {
        let num = |i: usize| {
            cells
                .get(i)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        Some((num(xc)?, num(yc)?))
    })?;
    let declared = hint.and_then(|h| Crs::parse(h).ok());
    let (crs, source, likely) = if let Some(c) = declared {
        (Some(c.clone()), SeenCrs::Declared, vec![c])
    } else if plainly_projected(x, y) {
        let likely = likely_crs(x, y, None);
        (likely.first().cloned(), SeenCrs::Guessed, likely)
    } else {
        (Some(Crs::default()), SeenCrs::Degrees, Vec::new())
    };
    let northing_first = crs.as_ref().filter(|c| c.is_projected()).is_some_and(|c| {
        c.converter()
            .is_ok_and(|conv| fit(c, conv.to_wgs84(y, x), None) > fit(c, conv.to_wgs84(x, y), None))
    });
    Some(SeenCoords {
        crs,
        source,
        northing_first,
        x_column: header.get(xc).cloned().unwrap_or_default(),
        y_column: header.get(yc).cloned().unwrap_or_default(),
        likely,
    })
}

/// A row whose coordinate columns show the converted WGS-84 degrees.
pub(crate) struct ConvertedCells<'a> {
    inner: &'a dyn Cells,
    lat_col: usize,
    lon_col: usize,
    lat: String,
    lon: String,
}

impl Cells for ConvertedCells<'_> {
    fn cell(&self, i: usize) -> Option<&str> {
        if i == self.lat_col {
            Some(&self.lat)
        } else if i == self.lon_col {
            Some(&self.lon)
        } else {
            self.inner.cell(i)
        }
    }
    fn count(&self) -> usize {
        self.inner.count()
    }
}

/// What [`Coords::row`] makes of a row's coordinates.
pub(crate) enum RowCoords<'a> {
    /// Left as they are (degrees of a named datum, empty, or not numbers: the row checks say).
    AsWritten,
    /// Converted to WGS-84.
    Converted(ConvertedCells<'a>),
    /// Not a point of the CRS: the row is refused with this finding.
    Refused(Finding),
    /// Metres with no CRS: the whole file is refused with this finding.
    RefuseFile(Finding),
}

/// The coordinate state of one import.
pub(crate) struct Coords {
    crs: Crs,
    assumed: bool,
    converter: Option<Converter>,
    region: Option<Region>,
    /// Decided on the first row with two numbers: the X column holds the northing.
    northing_first: Option<bool>,
}

impl Coords {
    /// For the chosen CRS; `region` is the dataset's, when it has one.
    pub(crate) fn new(choice: &CrsChoice, region: Option<Region>) -> Result<Self, FindingKind> {
        let converter = match &choice.crs {
            Crs::Datum(_) => None,
            c @ Crs::Defined(_) => {
                Some(c.converter().map_err(|e| FindingKind::UnknownCrsHint {
                    hint: c.label(),
                    detail: e.to_string(),
                })?)
            }
        };
        Ok(Self {
            crs: choice.crs.clone(),
            assumed: choice.source == CrsSource::Assumed,
            converter,
            region,
            northing_first: None,
        })
    }

    /// The row's coordinates: converted when the CRS is a defined one, and the file refused when
    /// none was given and they are metres. `warnings` receives the X/Y finding (once).
    pub(crate) fn row<'a>(
        &mut self,
        line: u64,
        mapping: &Mapping,
        header: &[String],
        cells: &'a dyn Cells,
        warnings: &mut Vec<Finding>,
    ) -> RowCoords<'a> {
        // Degrees of a datum that was named: nothing to do (the common case, kept cheap).
        if self.converter.is_none() && !self.assumed {
            return RowCoords::AsWritten;
        }
        let num = |f: Field| {
            mapping
                .value(f, cells)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite())
        };
        let (Some(x), Some(y)) = (num(Field::Lon), num(Field::Lat)) else {
            return RowCoords::AsWritten;
        };
        let Some(conv) = &self.converter else {
            if self.assumed && plainly_projected(x, y) {
                let guess = guess_crs(x, y, self.region);
                return RowCoords::RefuseFile(Finding::new(
                    line,
                    "lat_deg",
                    FindingKind::ProjectedWithoutCrs {
                        x,
                        y,
                        guess: guess.as_ref().map(Crs::word),
                        guess_name: guess.as_ref().map(Crs::name),
                    },
                ));
            }
            return RowCoords::AsWritten;
        };
        let (Some(lat_col), Some(lon_col)) =
            (mapping.column(Field::Lat), mapping.column(Field::Lon))
        else {
            return RowCoords::AsWritten;
        };
        let swap = match self.northing_first {
            Some(decided) => decided,
            None if self.crs.is_projected() => {
                let straight = fit(&self.crs, conv.to_wgs84(x, y), self.region);
                let swapped = fit(&self.crs, conv.to_wgs84(y, x), self.region);
                let swap = swapped > straight;
                // Decided on the first row that is a point of the CRS either way.
                if straight > 0 || swapped > 0 {
                    self.northing_first = Some(swap);
                    if swap {
                        let name = |c: usize| header.get(c).cloned().unwrap_or_default();
                        warnings.push(Finding::new(
                            line,
                            "lat_deg",
                            FindingKind::NorthingFirst {
                                x_column: name(lon_col),
                                y_column: name(lat_col),
                            },
                        ));
                    }
                }
                swap
            }
            None => false,
        };
        let (e, n) = if swap { (y, x) } else { (x, y) };
        let p = conv.to_wgs84(e, n);
        if fit(&self.crs, p, None) == 0 {
            return RowCoords::Refused(Finding::new(
                line,
                "lat_deg",
                FindingKind::NotInCrs {
                    x,
                    y,
                    crs: self.crs.label(),
                },
            ));
        }
        let Some(p) = p else {
            return RowCoords::AsWritten;
        };
        RowCoords::Converted(ConvertedCells {
            inner: cells,
            lat_col,
            lon_col,
            lat: p.lat_deg.to_string(),
            lon: p.lon_deg.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(c: Option<Crs>) -> Option<String> {
        c.map(|c| c.word())
    }

    #[test]
    fn the_crs_is_given_then_the_files_then_the_mappings_then_assumed() {
        let given = Crs::parse("gcj02").unwrap();
        let saved = Crs::parse("bd09").unwrap();
        let c = choose_crs(Some(&given), Some("EPSG:4528"), Some(&saved), None).unwrap();
        assert_eq!((c.crs.word(), c.source), ("gcj02".into(), CrsSource::Given));
        let c = choose_crs(None, Some("EPSG:4528"), Some(&saved), None).unwrap();
        assert_eq!(
            (c.crs.word(), c.source),
            ("EPSG:4528".into(), CrsSource::File)
        );
        let c = choose_crs(None, Some("  "), Some(&saved), None).unwrap();
        assert_eq!(
            (c.crs.word(), c.source),
            ("bd09".into(), CrsSource::Mapping)
        );
        let c = choose_crs(None, None, None, None).unwrap();
        assert_eq!(
            (c.crs.word(), c.source),
            ("wgs84".into(), CrsSource::Assumed)
        );
        assert!(matches!(
            choose_crs(
                None,
                Some("PROJCS[\"Lambert\",PROJECTION[\"Lambert_Conformal_Conic\"]]"),
                None,
                None
            ),
            Err(FindingKind::UnknownCrsHint { .. })
        ));
    }

    #[test]
    fn a_legacy_datum_needs_seven_parameters_and_zeros_are_taken_with_a_warning() {
        let bj = Crs::parse("EPSG:2415").unwrap();
        assert!(matches!(
            choose_crs(Some(&bj), None, None, None),
            Err(FindingKind::LegacyDatumNeedsTowgs84 { .. })
        ));
        let c = choose_crs(
            Some(&bj),
            None,
            None,
            Some([15.8, -154.4, -82.3, 0.0, 0.0, 0.0, 0.0]),
        )
        .unwrap();
        assert_eq!(c.warning, None);
        assert_eq!(c.crs.word(), "EPSG:2415 +towgs84=15.8,-154.4,-82.3,0,0,0,0");
        let c = choose_crs(Some(&bj), None, None, Some([0.0; 7])).unwrap();
        assert!(matches!(
            c.warning,
            Some(FindingKind::LegacyDatumNotShifted { .. })
        ));
    }

    #[test]
    fn the_zone_prefix_names_the_zone() {
        // Hangzhou, CGCS2000 3° zone 40, in either order (X = northing, the survey habit).
        assert_eq!(
            word(guess_crs(40_512_345.0, 3_353_000.0, None)).as_deref(),
            Some("EPSG:4528")
        );
        assert_eq!(
            word(guess_crs(3_353_000.0, 40_512_345.0, None)).as_deref(),
            Some("EPSG:4528")
        );
        // 6° zone 21 (Shenyang).
        assert_eq!(
            word(guess_crs(21_540_000.0, 4_630_000.0, None)).as_deref(),
            Some("EPSG:4499")
        );
        // Web Mercator's range (Beijing).
        assert_eq!(
            word(guess_crs(12_958_000.0, 4_852_000.0, None)).as_deref(),
            Some("EPSG:3857")
        );
        // No prefix and no region: unknown central meridian.
        assert_eq!(word(guess_crs(512_345.0, 3_353_000.0, None)), None);
    }

    #[test]
    fn without_a_prefix_the_datasets_poles_name_the_zone() {
        // Poles around Hangzhou (120.1°E): a 3° grid on 120°E.
        let region = Some([30.1, 30.4, 119.9, 120.3]);
        assert_eq!(
            word(guess_crs(512_000.0, 3_350_000.0, region)).as_deref(),
            Some("EPSG:4549")
        );
        // Around Xi'an (108.9°E): 3° CM 108E.
        let region = Some([34.1, 34.4, 108.8, 109.1]);
        assert_eq!(
            word(guess_crs(582_000.0, 3_790_000.0, region)).as_deref(),
            Some("EPSG:4545")
        );
        assert!(plainly_projected(512_000.0, 3_350_000.0));
        assert!(!plainly_projected(120.1, 30.2));
    }
}
