//! Pole codes: what is printed on the sign, and the normalised key used to find it.
//!
//! A code is an opaque string: deployments differ (7 digits in Harbin and Shenzhen, 8 in Xi'an,
//! letters and digits in Hong Kong). What a call-taker types is normalised once, at the edge:
//! trimmed, full-width forms from Chinese IMEs turned half-width, upper-cased, and separators
//! (spaces, dashes of every width, dots, slashes, underscores) removed. The spelling from the
//! data is kept for display.

use std::fmt;

use crate::words::{Message, Words};

/// Longest normalised code we accept. Real codes are under 20 characters; anything longer is
/// not a code, and refusing it keeps hostile input (a 10 KB paste) out of the indexes.
pub const MAX_CODE_LEN: usize = 32;

/// A pole code: the spelling from the data and its normalised matching key.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PoleCode {
    key: String,
    display: String,
}

/// Why a string is not a pole code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub enum CodeError {
    /// Nothing left after removing spaces and separators.
    Empty,
    /// Longer than [`MAX_CODE_LEN`] after normalisation.
    TooLong,
    /// Holds a character that is neither a letter, a digit nor a separator.
    BadChar(char),
}

impl Words for CodeError {
    fn message(&self) -> Message {
        match self {
            Self::Empty => Message::new("编码为空", "the code is empty"),
            Self::TooLong => Message::new(
                format!("编码过长（最多 {MAX_CODE_LEN} 个字符）"),
                format!("the code is too long (at most {MAX_CODE_LEN} characters)"),
            ),
            Self::BadChar(c) => Message::new(
                format!("编码含有非法字符 {c:?}"),
                format!("the code contains the character {c:?}, which is not a letter or digit"),
            ),
        }
    }
}

impl PoleCode {
    /// Parses a code as written in the data or typed by a person.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let key = normalize_strict(text)?;
        let display = text.trim().to_owned();
        Ok(Self { key, display })
    }

    /// Rebuilds a code read back from the database, where both forms were stored after
    /// [`PoleCode::parse`] made them.
    #[must_use]
    pub fn from_stored(key: String, display: String) -> Self {
        Self { key, display }
    }

    /// The normalised key (`1120034` for `1-12-0034` or `１１２００３４`).
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The spelling from the data, for display.
    #[must_use]
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The normalised key and the spelling, without copying them.
    #[must_use]
    pub fn into_parts(self) -> (String, String) {
        (self.key, self.display)
    }
}

impl fmt::Display for PoleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl fmt::Debug for PoleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PoleCode({:?} → {:?})", self.display, self.key)
    }
}

/// True for the characters removed when matching codes: white space and the separators people
/// and IMEs put between digit groups.
#[must_use]
pub fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '‐'
                | '‑'
                | '‒'
                | '–'
                | '—'
                | '―'
                | '−'
                | '－'
                | 'ー'
                | '_'
                | '＿'
                | '.'
                | '．'
                | '。'
                | '·'
                | '・'
                | '/'
                | '／'
                | '\\'
                | '＼'
                | '、'
                | ','
                | '，'
        )
}

/// Maps a full-width ASCII form (`０`–`９`, `Ａ`–`Ｚ`, `ａ`–`ｚ`, the ideographic space) to its
/// half-width character; other characters are returned unchanged.
#[must_use]
pub fn to_half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Normalises free text the way codes are matched, dropping characters that cannot be part of
/// a code. Used for as-you-type search, where the query may be anything.
#[must_use]
pub fn normalize_lenient(text: &str) -> String {
    text.chars()
        .map(to_half_width)
        .filter(|c| !is_separator(*c))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Normalises a code strictly: every character must be a letter, a digit or a separator.
pub fn normalize_strict(text: &str) -> Result<String, CodeError> {
    let mut key = String::with_capacity(text.len());
    for c in text.chars().map(to_half_width) {
        if is_separator(c) {
            continue;
        }
        if !c.is_ascii_alphanumeric() {
            return Err(CodeError::BadChar(c));
        }
        key.push(c.to_ascii_uppercase());
        if key.len() > MAX_CODE_LEN {
            return Err(CodeError::TooLong);
        }
    }
    if key.is_empty() {
        return Err(CodeError::Empty);
    }
    Ok(key)
}

/// True when `key` looks like a (possibly partial) normalised code: ASCII letters and digits
/// only, within the length limit.
#[must_use]
pub fn is_code_like(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_CODE_LEN && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_code_with_dashes_and_spaces_has_the_plain_key() {
        let code = PoleCode::parse(" 1-12 0034 ").unwrap();
        assert_eq!(code.key(), "1120034");
        assert_eq!(code.display(), "1-12 0034");
    }

    #[test]
    fn full_width_digits_letters_and_dashes_from_an_ime_normalise() {
        assert_eq!(normalize_strict("１－１２－００３４").unwrap(), "1120034");
        assert_eq!(normalize_strict("ｂｅ３４８３").unwrap(), "BE3483");
        assert_eq!(normalize_strict("BE\u{3000}3483").unwrap(), "BE3483");
        assert_eq!(normalize_strict("1—12—0034").unwrap(), "1120034");
        assert_eq!(normalize_strict("1.12/0034").unwrap(), "1120034");
    }

    #[test]
    fn lower_case_letters_are_upper_cased() {
        assert_eq!(normalize_strict("abc123").unwrap(), "ABC123");
    }

    #[test]
    fn empty_too_long_and_foreign_characters_are_refused() {
        assert_eq!(normalize_strict("  - "), Err(CodeError::Empty));
        assert_eq!(normalize_strict(&"1".repeat(40)), Err(CodeError::TooLong));
        assert_eq!(normalize_strict("12路"), Err(CodeError::BadChar('路')));
        assert_eq!(normalize_strict("12🚨"), Err(CodeError::BadChar('🚨')));
    }

    #[test]
    fn lenient_normalisation_keeps_other_characters() {
        assert_eq!(normalize_lenient("重庆北路 34"), "重庆北路34");
        assert!(!is_code_like(&normalize_lenient("重庆北路 34")));
        assert!(is_code_like(&normalize_lenient("１１２ ００")));
    }

    fn full_width(c: char) -> char {
        if c.is_ascii_graphic() {
            char::from_u32(c as u32 + 0xFEE0).unwrap()
        } else {
            c
        }
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(s in "[0-9A-Za-z \\-./]{0,40}") {
            if let Ok(key) = normalize_strict(&s) {
                prop_assert_eq!(normalize_strict(&key).unwrap(), key);
            }
        }

        #[test]
        fn full_width_and_half_width_spellings_have_the_same_key(s in "[0-9A-Za-z]{1,20}") {
            let wide: String = s.chars().map(full_width).collect();
            prop_assert_eq!(normalize_strict(&wide).unwrap(), normalize_strict(&s).unwrap());
        }

        #[test]
        fn separators_anywhere_do_not_change_the_key(
            s in "[0-9A-Z]{2,20}",
            cut in 1usize..19,
            sep in prop::sample::select(vec![" ", "-", "－", "—", ".", "/", "\u{3000}", " - "]),
        ) {
            let cut = cut.min(s.len() - 1);
            let spaced = format!("{}{}{}", &s[..cut], sep, &s[cut..]);
            prop_assert_eq!(normalize_strict(&spaced).unwrap(), s);
        }

        #[test]
        fn any_string_normalises_without_panicking(s in "\\PC{0,200}") {
            let _ = normalize_strict(&s);
            let lenient = normalize_lenient(&s);
            prop_assert!(!lenient.chars().any(is_separator));
        }

        #[test]
        fn keys_are_upper_case_ascii_alphanumerics(s in "\\PC{0,60}") {
            if let Ok(key) = normalize_strict(&s) {
                prop_assert!(key.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
                prop_assert!(!key.is_empty() && key.len() <= MAX_CODE_LEN);
            }
        }
    }
}
