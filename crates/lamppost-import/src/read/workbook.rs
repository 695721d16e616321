//! Spreadsheet workbooks (`.xlsx`, `.xls`, `.ods`) with `calamine`, fed to the same
//! [`TableSink`] as CSV, so that validation, findings and the report are the same.
//!
//! The file is read whole (and its hash checked against detection's) and one sheet is read:
//! the one asked for, or the first whose header is recognised. The header is the first of the
//! first [`HEADER_SCAN_ROWS`] rows that names at least two known fields, so a title row above
//! it is skipped. Cells are read as they are shown: text as written (`0012` keeps its zeros), a
//! whole number without `.0`, a date as `YYYY-MM-DD`, and in an `.xlsx` a whole number in a
//! number format of digit places (`0000`, `"A-"000`, `00-0000`) as that format shows it
//! ([`formatted`]). A row's line is its sheet row number, as the spreadsheet shows it.
//!
//! Memory: an `.xlsx` sheet is streamed cell by cell (calamine's cell reader), one row at a
//! time; only the compressed file and the workbook's shared strings are held whole. An `.xls`
//! or `.ods` sheet is loaded whole by calamine (a range of cells) before its rows are read.

use std::io::{self, Cursor, Read, Seek};

use calamine::{Data, DataRef, Range, Reader as _, Sheets, Xlsx};

use super::{Detected, Input, MAX_COLUMNS, SourceInfo, TableSink, too_many_columns};
use crate::mapping::Mapping;
use crate::progress::ImportControl;
use crate::{Finding, FindingKind};

/// How many rows from the top of a sheet are searched for the header.
pub const HEADER_SCAN_ROWS: usize = 20;

/// The widest sheet Excel has (columns `A`..`XFD`): cells past it are not read.
const MAX_SHEET_COLUMNS: u32 = 16_384;

/// One sheet row: its line (the row number the spreadsheet shows) and its cells as shown,
/// from column `A` (or the range's first column).
type Row = (u64, Vec<String>);

/// The rows of one sheet, in order, as a reader gives them.
type Rows<'s> = Box<dyn Iterator<Item = Result<Row, String>> + 's>;

/// A workbook whose sheets can be read row by row.
trait Book {
    /// The sheets' names, in workbook order.
    fn names(&self) -> Vec<String>;
    /// The rows of sheet `name`.
    fn rows(&mut self, name: &str) -> Result<Rows<'_>, String>;
}

/// An `.xlsx`: each sheet streamed by calamine's cell reader.
struct Streamed<'b, RS: Read + Seek>(&'b mut Xlsx<RS>);

impl<RS: Read + Seek> Book for Streamed<'_, RS> {
    fn names(&self) -> Vec<String> {
        self.0.sheet_names()
    }

    fn rows(&mut self, name: &str) -> Result<Rows<'_>, String> {
        let reader = self
            .0
            .worksheet_cells_reader(name)
            .map_err(|e| e.to_string())?;
        Ok(Box::new(XlsxRows {
            reader,
            pending: None,
            done: false,
        }))
    }
}

/// The rows of an `.xlsx` sheet, gathered from its cells (which come in row order).
struct XlsxRows<'a, RS: Read + Seek> {
    reader: calamine::XlsxCellReader<'a, RS>,
    /// The first cell of the next row, read past the end of the current one.
    pending: Option<(u32, u32, String)>,
    done: bool,
}

impl<RS: Read + Seek> Iterator for XlsxRows<'_, RS> {
    type Item = Result<Row, String>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut row: Option<u32> = None;
        let mut cells: Vec<String> = Vec::new();
        let put = |cells: &mut Vec<String>, col: u32, text: String| {
            if col < MAX_SHEET_COLUMNS {
                let i = col as usize;
                if cells.len() <= i {
                    cells.resize(i + 1, String::new());
                }
                cells[i] = text;
            }
        };
        if let Some((r, c, text)) = self.pending.take() {
            row = Some(r);
            put(&mut cells, c, text);
        }
        while !self.done {
            match self.reader.next_cell_with_style_id() {
                Ok(Some((cell, style))) => {
                    let (r, c) = cell.get_position();
                    let format = self
                        .reader
                        .styles()
                        .get(style)
                        .and_then(|s| s.number_format.as_ref())
                        .map(|f| f.format_code.as_str());
                    let text = shown_ref(cell.get_value(), format);
                    match row {
                        Some(cur) if cur != r => {
                            self.pending = Some((r, c, text));
                            break;
                        }
                        _ => {
                            row = Some(r);
                            put(&mut cells, c, text);
                        }
                    }
                }
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.to_string()));
                }
            }
        }
        row.map(|r| Ok((u64::from(r) + 1, cells)))
    }
}

/// An `.xls` or `.ods` (or `.xlsb`): each sheet loaded whole as a range of cells.
struct Ranged<'b, RS: Read + Seek> {
    book: &'b mut Sheets<RS>,
    /// The last sheet loaded.
    loaded: Option<(String, Range<Data>)>,
}

impl<RS: Read + Seek> Book for Ranged<'_, RS> {
    fn names(&self) -> Vec<String> {
        self.book.sheet_names()
    }

    fn rows(&mut self, name: &str) -> Result<Rows<'_>, String> {
        if self.loaded.as_ref().is_none_or(|(n, _)| n != name) {
            self.loaded = None;
            let r = self.book.worksheet_range(name).map_err(|e| e.to_string())?;
            self.loaded = Some((name.to_owned(), r));
        }
        let Some((_, range)) = self.loaded.as_ref() else {
            return Ok(Box::new(std::iter::empty()));
        };
        let top = range.start().map_or(0, |(r, _)| u64::from(r));
        Ok(Box::new(range.rows().enumerate().map(move |(i, r)| {
            Ok((top + i as u64 + 1, r.iter().map(shown).collect()))
        })))
    }
}

pub(super) fn read_workbook(
    input: Input<'_>,
    det: &Detected,
    sink: &mut dyn TableSink,
    control: Option<&ImportControl>,
) -> io::Result<()> {
    let Some(bytes) = super::whole_unchanged(input, det, sink, control)? else {
        return Ok(());
    };
    let mut book = match calamine::open_workbook_auto_from_rs(Cursor::new(bytes.as_slice())) {
        Ok(b) => b,
        Err(e) => {
            sink.fatal(unreadable(e.to_string()));
            return Ok(());
        }
    };
    match &mut book {
        Sheets::Xlsx(x) => read_book(&mut Streamed(x), det, sink),
        other => read_book(
            &mut Ranged {
                book: other,
                loaded: None,
            },
            det,
            sink,
        ),
    }
    Ok(())
}

fn unreadable(detail: String) -> Finding {
    Finding::new(
        0,
        "-",
        FindingKind::UnreadableFile {
            format: "workbook",
            detail,
        },
    )
}

/// The first [`HEADER_SCAN_ROWS`] rows of a sheet.
fn head(book: &mut dyn Book, name: &str) -> Result<Vec<Row>, String> {
    book.rows(name)?.take(HEADER_SCAN_ROWS).collect()
}

/// Chooses the sheet, finds its header and feeds its rows to the sink.
fn read_book(book: &mut dyn Book, det: &Detected, sink: &mut dyn TableSink) {
    let sheets = book.names();
    // The sheet, and the line of its header when one is recognised.
    let mut chosen: Option<(String, Option<u64>)> = None;
    if let Some(want) = det.sheet.as_deref() {
        let Some(name) = sheets.iter().find(|s| s.as_str() == want).or_else(|| {
            sheets
                .iter()
                .find(|s| s.trim().eq_ignore_ascii_case(want.trim()))
        }) else {
            sink.fatal(Finding::new(
                0,
                "-",
                FindingKind::NoSuchSheet {
                    sheet: want.to_owned(),
                    sheets: sheets.join(", "),
                },
            ));
            return;
        };
        match head(book, name) {
            Ok(rows) => chosen = Some((name.clone(), header_row(&rows))),
            Err(e) => {
                sink.fatal(unreadable(e));
                return;
            }
        }
    } else {
        let mut first: Option<(String, Option<u64>)> = None;
        for name in &sheets {
            let Ok(rows) = head(book, name) else {
                continue;
            };
            if let Some(h) = header_row(&rows) {
                chosen = Some((name.clone(), Some(h)));
                break;
            }
            if first.is_none() && rows.iter().any(|(_, r)| !blank(r)) {
                first = Some((name.clone(), None));
            }
        }
        if chosen.is_none() {
            chosen = first;
        }
    }
    let Some((name, header_at)) = chosen else {
        sink.fatal(Finding::new(1, "-", FindingKind::EmptyFile));
        return;
    };
    let mut rows = match book.rows(&name) {
        Ok(r) => r,
        Err(e) => {
            sink.fatal(unreadable(e));
            return;
        }
    };
    // The header: the recognised one, else the first row that is not empty.
    let header = loop {
        match rows.next() {
            Some(Ok((line, cells))) => {
                let is_it = header_at.map_or(!blank(&cells), |h| h == line);
                if is_it {
                    break Some((line, cells));
                }
            }
            Some(Err(e)) => {
                sink.fatal(unreadable(e));
                return;
            }
            None => break None,
        }
    };
    let Some((header_line, header)) = header else {
        sink.fatal(Finding::new(1, "-", FindingKind::EmptyFile));
        return;
    };
    sink.source(SourceInfo {
        sheets: sheets.clone(),
        sheet: Some(name),
        header_line: Some(header_line),
        crs_hint: None,
    });
    // Empty columns left of the header are not columns of the table.
    let skip = header
        .iter()
        .position(|c| !c.trim().is_empty())
        .unwrap_or(0);
    let mut columns: Vec<String> = header
        .iter()
        .skip(skip)
        .map(|c| c.trim().to_owned())
        .collect();
    while columns.last().is_some_and(String::is_empty) {
        columns.pop();
    }
    if columns.len() > MAX_COLUMNS {
        sink.fatal(too_many_columns(header_line, columns.len()));
        return;
    }
    if !sink.header(&columns) {
        return;
    }
    let mut cells: Vec<String> = Vec::with_capacity(columns.len());
    for row in rows {
        let (line, row) = match row {
            Ok(r) => r,
            Err(e) => {
                sink.fatal(unreadable(e));
                return;
            }
        };
        cells.clear();
        cells.extend(row.into_iter().skip(skip));
        // Empty cells past the header are not cells of this row, and missing ones are empty.
        while cells.len() > columns.len() && cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        cells.resize(cells.len().max(columns.len()), String::new());
        if blank(&cells) {
            continue; // a blank row
        }
        if !sink.row(line, &cells) {
            return;
        }
    }
}

/// Whether every cell of a row is empty or blank.
fn blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// The line of the first row among `rows` that names at least two known fields.
fn header_row(rows: &[Row]) -> Option<u64> {
    rows.iter().find_map(|(line, r)| {
        let names: Vec<String> = r.iter().map(|c| c.trim().to_owned()).collect();
        Mapping::resolve(&names, &[])
            .is_ok_and(|m| m.used.len() >= 2)
            .then_some(*line)
    })
}

/// A streamed `.xlsx` cell as the spreadsheet shows it: in its number format when that is one
/// [`formatted`] applies, else as [`shown`].
fn shown_ref(c: &DataRef<'_>, format: Option<&str>) -> String {
    match (c, format) {
        (DataRef::SharedString(s), _) => (*s).to_owned(),
        (DataRef::Float(f), Some(code)) => formatted(*f, code).unwrap_or_else(|| number(*f)),
        #[allow(clippy::cast_precision_loss)] // whole numbers under 1e15, as Excel stores them
        (DataRef::Int(i), Some(code)) => {
            formatted(*i as f64, code).unwrap_or_else(|| i.to_string())
        }
        _ => shown(&Data::from(c.clone())),
    }
}

/// A whole number as an Excel number format of digit places shows it: `0000` pads 12 to
/// `0012`, `00-0000` shows 2450034 as `245-0034`, `"A-"000` shows 7 as `A-007`. `None` (the
/// general format decides) for any other format or number: a format with decimals, grouping,
/// a percent, an exponent, text (`@`), `General`, several sections; a number that is not
/// whole (a coordinate keeps its digits whatever its format shows) or negative.
#[must_use]
pub fn formatted(value: f64, code: &str) -> Option<String> {
    if !(value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value < 1e15) {
        return None;
    }
    // The pieces of the format: `None` a digit place (`Some(true)` for `0`), or literal text.
    let mut places: Vec<Result<bool, String>> = Vec::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '0' => places.push(Ok(true)),
            '#' => places.push(Ok(false)),
            '"' => {
                let lit: String = chars.by_ref().take_while(|&q| q != '"').collect();
                places.push(Err(lit));
            }
            '\\' => places.push(Err(chars.next()?.to_string())),
            '[' => {
                // A colour or a locale: not shown. A condition is not applied: give up.
                let inner: String = chars.by_ref().take_while(|&q| q != ']').collect();
                if inner.starts_with(['<', '>', '=']) {
                    return None;
                }
            }
            '_' => {
                chars.next()?; // the width of a character: a space
                places.push(Err(" ".to_owned()));
            }
            '-' | ' ' | '(' | ')' | '+' | '/' | ':' => places.push(Err(c.to_string())),
            _ => return None,
        }
    }
    let digit_places = places.iter().filter(|p| p.is_ok()).count();
    // A format of digit places only `0`s and `#`s that pads nothing is the general format.
    if digit_places == 0 || places.iter().all(|p| matches!(p, Ok(false))) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)] // whole and under 1e15
    let digits: Vec<char> = format!("{}", value as i64).chars().collect();
    let mut left = digits.len();
    let mut out: Vec<String> = Vec::with_capacity(places.len() + 1);
    let mut seen = 0;
    for p in places.iter().rev() {
        match p {
            Ok(zero) => {
                seen += 1;
                if seen == digit_places {
                    // The leftmost place takes every digit left.
                    let head: String = digits[..left].iter().collect();
                    out.push(if head.is_empty() && *zero {
                        "0".to_owned()
                    } else {
                        head
                    });
                    left = 0;
                } else if left > 0 {
                    left -= 1;
                    out.push(digits[left].to_string());
                } else if *zero {
                    out.push("0".to_owned());
                }
            }
            Err(lit) => out.push(lit.clone()),
        }
    }
    out.reverse();
    Some(out.concat())
}

/// A cell as the spreadsheet shows it (general format).
#[must_use]
pub fn shown(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) => {
            let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
            if d.is_duration() {
                number(d.as_f64())
            } else if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{da:02}")
            } else {
                format!("{y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A number as the general format shows it: a whole number without `.0` (a code typed as a
/// number, `2450034`), otherwise the shortest text that reads back as the same number.
fn number(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_shown() {
        assert_eq!(shown(&Data::Float(2_450_034.0)), "2450034");
        assert_eq!(shown(&Data::Float(121.510_491_6)), "121.5104916");
        assert_eq!(shown(&Data::String("0012".into())), "0012");
        assert_eq!(shown(&Data::Int(-3)), "-3");
        let d =
            calamine::ExcelDateTime::new(45_000.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(shown(&Data::DateTime(d)), "2023-03-15");
    }

    #[test]
    fn a_whole_number_is_shown_in_its_format_of_digit_places() {
        assert_eq!(formatted(12.0, "0000").as_deref(), Some("0012"));
        assert_eq!(formatted(12_345.0, "0000").as_deref(), Some("12345"));
        assert_eq!(
            formatted(2_450_034.0, "00-0000").as_deref(),
            Some("245-0034")
        );
        assert_eq!(formatted(7.0, "\"A-\"000").as_deref(), Some("A-007"));
        assert_eq!(formatted(7.0, "\\N000").as_deref(), Some("N007"));
        assert_eq!(formatted(34.0, "[Blue]000000").as_deref(), Some("000034"));
        assert_eq!(formatted(0.0, "0").as_deref(), Some("0"));
        assert_eq!(formatted(5.0, "#0").as_deref(), Some("5"));
        // Left to the general format.
        for code in [
            "General",
            "0.00",
            "#,##0",
            "0%",
            "0.0E+00",
            "@",
            "#",
            "0;[Red]-0",
            "[>100]0",
        ] {
            assert_eq!(formatted(12.0, code), None, "{code}");
        }
        // A coordinate keeps its digits whatever the format shows; a negative number too.
        assert_eq!(formatted(121.510_491_6, "0000"), None);
        assert_eq!(formatted(-12.0, "0000"), None);
    }
}
