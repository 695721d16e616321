//! Small encodings shared by the layers: hex digests and SQLite `file:` URIs.

use std::fmt::Write as _;
use std::path::Path;

/// Percent-encodes a path for an SQLite `file:` URI.
#[must_use]
pub fn uri_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~:".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Lower-case hex of bytes.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0xAB, 0x7f]), "00ab7f");
    }

    #[test]
    fn a_path_with_spaces_and_chinese_is_percent_encoded() {
        assert_eq!(
            uri_path(Path::new("C:\\用户\\a b.sqlite")),
            "C:/%E7%94%A8%E6%88%B7/a%20b.sqlite"
        );
    }
}
