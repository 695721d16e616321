//! Spreadsheet workbooks (`.xlsx`, `.xls`, `.ods`) with `calamine`, fed to the same
//! [`TableSink`] as CSV, so that validation, findings and the report are the same.
//!
//! The file is read whole (and its hash checked against detection's) and one sheet is read:
//! the one asked for, or the first whose header is recognised. The header is the first of the
//! first [`HEADER_SCAN_ROWS`] rows that names at least two known fields, so a title row above
//! it is skipped. Cells are read as they are shown: text as written (`0012` keeps its zeros), a
//! whole number without `.0`, a date as `YYYY-MM-DD`. A row's line is its sheet row number, as
//! the spreadsheet shows it.

use std::io::{self, Cursor};

use calamine::{Data, Range, Reader as _};

use super::{Detected, Input, MAX_COLUMNS, SourceInfo, TableSink, too_many_columns};
use crate::mapping::Mapping;
use crate::progress::ImportControl;
use crate::{Finding, FindingKind};

/// How many rows from the top of a sheet are searched for the header.
pub const HEADER_SCAN_ROWS: usize = 20;

pub(super) fn read_workbook(
    input: Input<'_>,
    det: &Detected,
    sink: &mut dyn TableSink,
    control: Option<&ImportControl>,
) -> io::Result<()> {
    let Some(bytes) = super::whole_unchanged(input, det, sink, control)? else {
        return Ok(());
    };
    let unreadable = |detail: String| {
        Finding::new(
            0,
            "-",
            FindingKind::UnreadableFile {
                format: "workbook",
                detail,
            },
        )
    };
    let mut book = match calamine::open_workbook_auto_from_rs(Cursor::new(bytes.as_slice())) {
        Ok(b) => b,
        Err(e) => {
            sink.fatal(unreadable(e.to_string()));
            return Ok(());
        }
    };
    let sheets = book.sheet_names();
    let mut chosen: Option<(String, Range<Data>, Option<usize>)> = None;
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
            return Ok(());
        };
        match book.worksheet_range(name) {
            Ok(r) => {
                let h = header_row(&r);
                chosen = Some((name.clone(), r, h));
            }
            Err(e) => {
                sink.fatal(unreadable(e.to_string()));
                return Ok(());
            }
        }
    } else {
        let mut first: Option<(String, Range<Data>, Option<usize>)> = None;
        for name in &sheets {
            let Ok(r) = book.worksheet_range(name) else {
                continue;
            };
            if let Some(h) = header_row(&r) {
                chosen = Some((name.clone(), r, Some(h)));
                break;
            }
            if first.is_none() && !r.is_empty() {
                first = Some((name.clone(), r, None));
            }
        }
        if chosen.is_none() {
            chosen = first;
        }
    }
    let Some((name, range, header_at)) = chosen else {
        sink.fatal(Finding::new(1, "-", FindingKind::EmptyFile));
        return Ok(());
    };
    let top = range.start().map_or(0, |(r, _)| u64::from(r));
    // Without a recognised header: the first row that is not empty.
    let header_at = header_at.or_else(|| {
        range
            .rows()
            .position(|r| r.iter().any(|c| !shown(c).trim().is_empty()))
    });
    let Some(header_at) = header_at else {
        sink.fatal(Finding::new(1, "-", FindingKind::EmptyFile));
        return Ok(());
    };
    let line_of = |i: usize| top + i as u64 + 1;
    sink.source(SourceInfo {
        sheets: sheets.clone(),
        sheet: Some(name),
        header_line: Some(line_of(header_at)),
        crs_hint: None,
    });
    let mut rows = range.rows().enumerate().skip(header_at);
    let Some((_, header)) = rows.next() else {
        sink.fatal(Finding::new(1, "-", FindingKind::EmptyFile));
        return Ok(());
    };
    let mut columns: Vec<String> = header.iter().map(|c| shown(c).trim().to_owned()).collect();
    while columns.last().is_some_and(String::is_empty) {
        columns.pop();
    }
    if columns.len() > MAX_COLUMNS {
        sink.fatal(too_many_columns(line_of(header_at), columns.len()));
        return Ok(());
    }
    if !sink.header(&columns) {
        return Ok(());
    }
    let mut cells: Vec<String> = Vec::with_capacity(columns.len());
    for (i, row) in rows {
        cells.clear();
        cells.extend(row.iter().map(shown));
        // Every row of a sheet is as wide as the used range: empty cells past the header are
        // not cells of this row, and missing ones are empty.
        while cells.len() > columns.len() && cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        cells.resize(cells.len().max(columns.len()), String::new());
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue; // a blank row
        }
        if !sink.row(line_of(i), &cells) {
            return Ok(());
        }
    }
    Ok(())
}

/// The first row among the first [`HEADER_SCAN_ROWS`] that names at least two known fields.
fn header_row(range: &Range<Data>) -> Option<usize> {
    range.rows().take(HEADER_SCAN_ROWS).position(|r| {
        let names: Vec<String> = r.iter().map(|c| shown(c).trim().to_owned()).collect();
        Mapping::resolve(&names, &[]).is_ok_and(|m| m.used.len() >= 2)
    })
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
}
