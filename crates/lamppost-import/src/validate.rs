//! A row's cells checked on their own: what each field says, or what is wrong with it. Pure:
//! no store, no report; the planner decides what to do with the result.

use hashbrown::HashMap;

use lamppost_core::code::PoleCode;
use lamppost_core::geo::LatLon;
use lamppost_core::model::Side;

use crate::MAX_TEXT_CHARS;
use crate::finding::{Finding, FindingKind};
use crate::mapping::{Field, Mapping};
use crate::read::Cells;

/// Findings for one row.
#[derive(Debug, Default)]
pub(crate) struct RowFindings {
    /// Problems that refuse the row.
    pub errors: Vec<Finding>,
    /// Problems reported with the row accepted.
    pub warnings: Vec<Finding>,
}

/// What a row is checked against: the file's mapping and layout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowRules<'a> {
    /// Which column feeds each field.
    pub mapping: &'a Mapping,
    /// The header's number of columns.
    pub columns: usize,
    /// The `position` column (`estimated` marks a position that is no survey), if any.
    pub position_col: Option<usize>,
    /// The encoding the file is read with (named in findings about undecodable bytes).
    pub encoding: &'static str,
}

/// What a row does to one field of the stored pole.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Update<T> {
    /// The file has no column for it: the stored value is kept.
    Keep,
    /// The cell is empty: the stored value is cleared.
    Clear,
    /// The new value.
    Set(T),
}

/// A row whose cells passed the checks. `None` for a field the file has no column for (the
/// stored value is kept).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckedRow {
    /// The pole's code.
    pub code: PoleCode,
    /// The street code, empty when not given.
    pub street_code: String,
    /// The street name, empty when not given.
    pub street: String,
    /// The pole number: its numeric part and the number as written when it has a suffix
    /// (empty otherwise).
    pub pole_no: Update<(u32, String)>,
    /// The side in Chinese (`东`), empty for an empty cell.
    pub side: Option<String>,
    /// The position in the file's datum (kept for an estimate: see `position_col`).
    pub position: Update<LatLon>,
    /// The text fields: address, landmark, cross street, jurisdiction, status, note.
    pub others: [(Field, Option<String>); 6],
}

/// The text fields kept as they are written.
const OTHER_FIELDS: [Field; 6] = [
    Field::Address,
    Field::Landmark,
    Field::CrossStreet,
    Field::Jurisdiction,
    Field::Status,
    Field::Note,
];

/// Checks one row's cells. `seen` maps the codes of the file's earlier accepted rows to their
/// lines. Returns the checked row (none when the row is refused: then the findings hold at
/// least one error) and the findings.
pub(crate) fn validate_row(
    rules: &RowRules<'_>,
    seen: &HashMap<String, u64>,
    line: u64,
    cells: &dyn Cells,
) -> (Option<CheckedRow>, RowFindings) {
    let mut f = RowFindings::default();
    if cells.count() != rules.columns {
        f.errors.push(Finding::new(
            line,
            "-",
            FindingKind::ColumnCount {
                found: cells.count(),
                expected: rules.columns,
            },
        ));
        return (None, f);
    }
    let watched = Watched::new(cells);
    let code_text = rules
        .text(line, Field::Code, &watched, &mut f)
        .unwrap_or_default();
    let code = if watched.took_inexact_number() {
        f.errors.push(Finding::new(
            line,
            "code",
            FindingKind::InexactNumberCode {
                value: code_text.clone(),
            },
        ));
        None
    } else if code_text.is_empty() {
        f.errors
            .push(Finding::new(line, "code", FindingKind::MissingCode));
        None
    } else {
        match PoleCode::parse(&code_text) {
            Ok(c) => Some(c),
            Err(error) => {
                f.errors
                    .push(Finding::new(line, "code", FindingKind::BadCode { error }));
                None
            }
        }
    };
    if let Some(c) = &code
        && let Some(&first_line) = seen.get(c.key())
    {
        f.errors.push(Finding::new(
            line,
            "code",
            FindingKind::DuplicateCode {
                code: c.to_string(),
                first_line,
            },
        ));
    }
    let street_code = rules.text(line, Field::StreetCode, &watched, &mut f);
    if watched.took_inexact_number() {
        f.errors.push(Finding::new(
            line,
            "street_code",
            FindingKind::InexactNumberCode {
                value: street_code.clone().unwrap_or_default(),
            },
        ));
    }
    let street = rules.text(line, Field::Street, cells, &mut f);
    let pole_no = match rules.text(line, Field::PoleNo, cells, &mut f) {
        None => Update::Keep,
        Some(text) => {
            let s = text.trim_end_matches(['号', '號']).trim();
            if s.is_empty() {
                Update::Clear
            } else if let Some(n) = lamppost_core::model::parse_pole_no(s) {
                Update::Set(n)
            } else {
                f.errors.push(Finding::new(
                    line,
                    "pole_no",
                    FindingKind::BadPoleNo {
                        value: s.to_owned(),
                    },
                ));
                Update::Keep
            }
        }
    };
    let side_text = rules.text(line, Field::Side, cells, &mut f);
    let side = side_text.as_deref().map(|s| {
        if s.is_empty() {
            return String::new();
        }
        Side::parse(s).map_or_else(
            || {
                f.errors.push(Finding::new(
                    line,
                    "side",
                    FindingKind::UnknownSide {
                        value: s.to_owned(),
                    },
                ));
                String::new()
            },
            |sd| sd.zh().to_owned(),
        )
    });
    let lat = rules.coordinate(line, Field::Lat, cells, &mut f);
    let lon = rules.coordinate(line, Field::Lon, cells, &mut f);
    let estimated = rules.position_col.is_some_and(|c| {
        matches!(
            cells.cell(c).map(str::trim),
            Some("estimated" | "估算" | "unknown")
        )
    });
    let others = OTHER_FIELDS.map(|field| (field, rules.text(line, field, cells, &mut f)));
    // Coordinates: both or neither.
    let position = match (lat, lon) {
        _ if !rules.mapping.has(Field::Lat) => Update::Keep, // no coordinate columns
        (Some(a), Some(o)) => Update::Set(LatLon::new(a, o)),
        (None, None) => Update::Clear,
        (a, _) => {
            if f.errors
                .iter()
                .all(|e| e.field != "lat_deg" && e.field != "lon_deg")
            {
                f.errors.push(Finding::new(
                    line,
                    if a.is_none() { "lat_deg" } else { "lon_deg" },
                    FindingKind::OnlyOneCoordinate,
                ));
            }
            Update::Keep
        }
    };
    // A position the exporter marked as an estimate is not a survey: never import it as one
    // (the stored position stays).
    let position = if estimated { Update::Keep } else { position };
    let row = match code {
        Some(code) if f.errors.is_empty() => Some(CheckedRow {
            code,
            street_code: street_code.unwrap_or_default(),
            street: street.unwrap_or_default(),
            pole_no,
            side,
            position,
            others,
        }),
        _ => None,
    };
    (row, f)
}

/// The cells of a row, remembering whether a field read since the last question took a cell
/// written as a number that is not an exact integer ([`Cells::inexact_number`]).
struct Watched<'c> {
    cells: &'c dyn Cells,
    inexact: std::cell::Cell<bool>,
}

impl<'c> Watched<'c> {
    fn new(cells: &'c dyn Cells) -> Self {
        Self {
            cells,
            inexact: std::cell::Cell::new(false),
        }
    }

    /// True when a cell read since the last call was an inexact number; resets.
    fn took_inexact_number(&self) -> bool {
        self.inexact.replace(false)
    }
}

impl Cells for Watched<'_> {
    fn cell(&self, i: usize) -> Option<&str> {
        if self.cells.inexact_number(i) {
            self.inexact.set(true);
        }
        self.cells.cell(i)
    }
    fn count(&self) -> usize {
        self.cells.count()
    }
    fn inexact_number(&self, i: usize) -> bool {
        self.cells.inexact_number(i)
    }
}

impl RowRules<'_> {
    /// A text cell, cleaned; findings for control characters, stray BOMs, bad bytes and
    /// formulas.
    fn text(
        &self,
        line: u64,
        field: Field,
        cells: &dyn Cells,
        f: &mut RowFindings,
    ) -> Option<String> {
        let raw = self.mapping.value(field, cells)?;
        let mut v = clean_text(&raw);
        // Lead bytes of U+2000..U+2FFF and U+F000..U+FFFF: the invisible and direction
        // characters live there.
        let suspect = v.bytes().any(|b| b == 0xE2 || b == 0xEF);
        if suspect && !matches!(field, Field::Code | Field::StreetCode) {
            // Zero-width characters make look-alike streets, landmarks and addresses: gone.
            // (In a code they stay, and the code is refused.)
            if v.contains(is_zero_width) {
                v.replace(is_zero_width, "").trim().clone_into(&mut v);
            }
        }
        let name = field.name();
        if suspect && let Some(ch) = v.chars().find(|&c| is_bidi_control(c)) {
            f.errors
                .push(Finding::new(line, name, FindingKind::BidiControl { ch }));
            return Some(v);
        }
        if plain_text(&v) {
            return Some(v);
        }
        if v.chars().count() > MAX_TEXT_CHARS {
            f.errors.push(Finding::new(
                line,
                name,
                FindingKind::TextTooLong {
                    max_chars: MAX_TEXT_CHARS,
                },
            ));
        } else if let Some(ch) = v.chars().find(|c| c.is_control()) {
            f.errors.push(Finding::new(
                line,
                name,
                FindingKind::ControlCharacter { ch },
            ));
        } else if v.contains('\u{FEFF}') {
            f.errors
                .push(Finding::new(line, name, FindingKind::ByteOrderMark));
        } else if v.contains('\u{FFFD}') {
            f.errors.push(Finding::new(
                line,
                name,
                FindingKind::UndecodableText {
                    encoding: self.encoding,
                },
            ));
        } else if formula_like(&v) {
            f.warnings
                .push(Finding::new(line, name, FindingKind::FormulaLike));
        }
        Some(v)
    }

    /// A latitude or longitude cell; `None` when empty or refused.
    fn coordinate(
        &self,
        line: u64,
        field: Field,
        cells: &dyn Cells,
        f: &mut RowFindings,
    ) -> Option<f64> {
        let raw = self.mapping.value(field, cells)?;
        let v = raw.trim();
        if v.is_empty() {
            return None;
        }
        let limit_deg: u16 = if field == Field::Lat { 90 } else { 180 };
        let limit = f64::from(limit_deg);
        let kind = match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() <= limit => return Some(x),
            Ok(x) if x.is_finite() => {
                // Swapped when the "longitude" would make a valid latitude.
                let other_fits = self
                    .mapping
                    .value(Field::Lon, cells)
                    .and_then(|o| o.trim().parse::<f64>().ok())
                    .is_some_and(|o| o.abs() <= 90.0);
                FindingKind::CoordinateOutOfRange {
                    value: v.to_owned(),
                    limit_deg,
                    maybe_swapped: field == Field::Lat && x.abs() <= 180.0 && other_fits,
                }
            }
            Ok(_) => FindingKind::CoordinateNotFinite {
                value: v.to_owned(),
            },
            Err(_) => FindingKind::CoordinateNotANumber {
                value: v.chars().take(40).collect(),
            },
        };
        f.errors.push(Finding::new(line, field.name(), kind));
        None
    }
}

/// Undoes a spreadsheet's neutralisation (`'=x` → `=x`, see
/// [`lamppost_core::spreadsheet::neutralise_formula`]), so that an exported file imports unchanged.
fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) =>
        {
            rest
        }
        _ => cell,
    }
}

/// True for text a spreadsheet would run as a formula (`=cmd|' /C calc'!A0`, `@SUM(…)`).
fn formula_like(text: &str) -> bool {
    let mut cs = text.chars();
    match cs.next() {
        Some('=' | '＝' | '@' | '＠') => true,
        Some('+' | '-' | '＋' | '－') => {
            let rest = cs.as_str().trim();
            !rest.is_empty()
                && rest.parse::<f64>().is_err()
                && !rest.starts_with(|c: char| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// A cell as stored: trimmed, a neutralised formula restored, and line breaks inside a quoted
/// cell kept as spaces (one line per field on screen).
fn clean_text(raw: &str) -> String {
    let v = unneutralise(raw.trim());
    if !v.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'\t')) {
        // Already trimmed: `unneutralise` leaves text that starts with `=`, `+`, `-` or `@`.
        return v.to_owned();
    }
    let v: String = v
        .chars()
        .map(|c| {
            if matches!(c, '\r' | '\n' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    v.trim().to_owned()
}

/// Zero-width characters, stripped from text fields: zero-width space, non-joiner and joiner,
/// word joiner, and a byte-order mark inside the text (zero-width no-break space).
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// Bidirectional embeddings, overrides and isolates: they reorder what is displayed
/// (`U+202E` turns `路北` into `北路` on screen and in the read-back).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// True when the text needs none of the checks in `RowRules::text` (the common case, decided
/// on the bytes): short enough by bytes, no ASCII control byte, no lead byte of a C1 control
/// (`C2`) or of U+F000..U+FFFF (`EF`: the BOM, U+FFFD, full-width forms), and no formula sign
/// in front.
fn plain_text(v: &str) -> bool {
    v.len() <= MAX_TEXT_CHARS
        && !v.starts_with(['=', '+', '-', '@'])
        && v.bytes()
            .all(|b| b >= 0x20 && b != 0x7F && b != 0xC2 && b != 0xEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<String> {
        [
            "code", "street", "pole_no", "side", "lat_deg", "lon_deg", "note", "position",
        ]
        .map(String::from)
        .to_vec()
    }

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    /// Validates one row of the header above, with `seen` as the earlier rows' codes.
    fn check(seen: &[(&str, u64)], cells: &[&str]) -> (Option<CheckedRow>, RowFindings) {
        let h = header();
        let mapping = Mapping::resolve(&h, &[]).unwrap();
        let rules = RowRules {
            mapping: &mapping,
            columns: h.len(),
            position_col: h.iter().position(|c| c == "position"),
            encoding: "UTF-8",
        };
        let seen: HashMap<String, u64> = seen.iter().map(|(k, l)| ((*k).to_owned(), *l)).collect();
        validate_row(&rules, &seen, 7, &row(cells))
    }

    fn kinds(list: &[Finding]) -> Vec<(&str, &FindingKind)> {
        list.iter().map(|f| (f.field.as_str(), &f.kind)).collect()
    }

    #[test]
    fn a_good_row_is_checked_without_a_store_and_without_findings() {
        let (r, f) = check(
            &[],
            &[
                " 1-01-0001 ",
                "中山路",
                "12号",
                "东侧",
                "25.1",
                "121.5",
                "",
                "",
            ],
        );
        assert!(f.errors.is_empty() && f.warnings.is_empty(), "{f:?}");
        let r = r.unwrap();
        assert_eq!(r.code.key(), "1010001");
        assert_eq!(r.street, "中山路");
        assert_eq!(r.street_code, "", "no street code column");
        assert_eq!(r.pole_no, Update::Set((12, String::new())));
        assert_eq!(r.side.as_deref(), Some("东"));
        assert_eq!(r.position, Update::Set(LatLon::new(25.1, 121.5)));
        assert_eq!(r.others[5], (Field::Note, Some(String::new())));
        assert_eq!(r.others[0], (Field::Address, None), "no address column");
    }

    #[test]
    fn empty_cells_clear_and_an_estimated_position_keeps_the_stored_one() {
        let (r, _) = check(&[], &["1-01-0001", "中山路", "", "", "", "", "", ""]);
        let r = r.unwrap();
        assert_eq!(r.pole_no, Update::Clear);
        assert_eq!(r.position, Update::Clear);
        let (r, _) = check(
            &[],
            &[
                "1-01-0001",
                "中山路",
                "1",
                "",
                "25.1",
                "121.5",
                "",
                "estimated",
            ],
        );
        assert_eq!(r.unwrap().position, Update::Keep);
    }

    #[test]
    fn a_bad_row_is_refused_with_one_finding_per_problem_in_column_order() {
        let (r, f) = check(
            &[("1010001", 3)],
            &["1-01-0001", "中山路", "x", "up", "95", "", "=cmd()", ""],
        );
        assert!(r.is_none());
        assert_eq!(
            kinds(&f.errors),
            [
                (
                    "code",
                    &FindingKind::DuplicateCode {
                        code: "1-01-0001".into(),
                        first_line: 3
                    }
                ),
                ("pole_no", &FindingKind::BadPoleNo { value: "x".into() }),
                ("side", &FindingKind::UnknownSide { value: "up".into() }),
                (
                    "lat_deg",
                    &FindingKind::CoordinateOutOfRange {
                        value: "95".into(),
                        limit_deg: 90,
                        maybe_swapped: false
                    }
                ),
            ]
        );
        assert_eq!(kinds(&f.warnings), [("note", &FindingKind::FormulaLike)]);
        assert!(f.errors.iter().all(|e| e.line == 7));
    }

    #[test]
    fn a_row_of_the_wrong_width_or_without_a_code_is_refused() {
        let (r, f) = check(&[], &["1-01-0001", "中山路"]);
        assert!(r.is_none());
        assert_eq!(
            kinds(&f.errors),
            [(
                "-",
                &FindingKind::ColumnCount {
                    found: 2,
                    expected: 8
                }
            )]
        );
        let (r, f) = check(&[], &["", "中山路", "1", "", "25.1", "", "", ""]);
        assert!(r.is_none());
        assert_eq!(
            kinds(&f.errors),
            [
                ("code", &FindingKind::MissingCode),
                ("lon_deg", &FindingKind::OnlyOneCoordinate)
            ]
        );
    }
}
