//! Cells for spreadsheets: every CSV the program writes may be opened in Excel or WPS by
//! someone at a workstation, so text cells are neutralised against formula injection.

use std::borrow::Cow;

/// The UTF-8 byte-order mark. Excel on a Chinese Windows reads a CSV without it as GBK and
/// shows mojibake; with it, UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Makes a text cell safe to open in a spreadsheet: a cell that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return would be read as a formula (`=cmd|' /C calc'!A0`), so it gets a
/// leading apostrophe, the convention spreadsheets display as plain text (OWASP "CSV
/// injection"). Anything else is returned as it is.
///
/// Numbers written by the program itself (coordinates such as `-33.9`) are not text cells and
/// must not pass through here.
#[must_use]
pub fn neutralise_formula(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '＝' | '＋' | '－' | '＠') => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_get_an_apostrophe() {
        for cell in ["=1+1", "+86 10", "-2", "@SUM(A1)", "\t=x", "\r=x", "＝cmd"] {
            let safe = neutralise_formula(cell);
            assert!(safe.starts_with('\''), "{cell:?} → {safe:?}");
            assert_eq!(&safe[1..], cell);
        }
    }

    #[test]
    fn ordinary_text_is_left_alone_and_not_copied() {
        for cell in ["重慶北路一段", "2-45-0034", "", "a=b", " =x"] {
            assert!(matches!(neutralise_formula(cell), Cow::Borrowed(c) if c == cell));
        }
    }
}
