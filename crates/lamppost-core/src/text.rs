//! Chinese text for matching: Traditional → Simplified, and pinyin keys.
//!
//! The demo's street names are Traditional (重慶北路一段) and call-takers type Simplified
//! (重庆北路) or pinyin (`chongqingbeilu`, `cqbl`). Everything that is matched is folded the same
//! way: full-width forms to half-width, Simplified characters, ASCII lower case, no spaces.

use pinyin::ToPinyinMulti;

use crate::code::to_half_width;

/// Most pinyin spellings generated for one name. Heteronyms multiply (重 is `zhong` or
/// `chong`); street names have few, and this bound keeps a pathological name cheap.
const MAX_PINYIN_VARIANTS: usize = 8;

/// Folds text for matching: half-width, Simplified, lower-case, white space and invisible
/// format characters (zero-width, direction controls, soft hyphen) removed, so that a look-alike
/// spelling (`中山南路` with a zero-width space, full-width `ＡＢ`) matches the plain one.
#[must_use]
pub fn fold(text: &str) -> String {
    let half: String = text
        .chars()
        .map(to_half_width)
        .filter(|&c| !c.is_whitespace() && !is_invisible(c))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    fast2s::convert(&half)
}

/// Characters that show nothing (or only reorder what is shown): zero-width space, joiners,
/// word joiner, soft hyphen, byte-order mark, direction marks, embeddings, overrides and
/// isolates.
#[must_use]
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// The pinyin keys of a name: full pinyin and initials, each for the likely readings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinyinKeys {
    /// Full pinyin without tones or spaces (`chongqingbeiluyiduan`).
    pub full: Vec<String>,
    /// First letters (`cqblyd`).
    pub initials: Vec<String>,
}

/// Computes the pinyin keys of a name. ASCII letters and digits are kept as they are (lower
/// case), so `松江路70巷` gives `songjianglu70xiang` and `sjl70x`; other characters are dropped.
#[must_use]
pub fn pinyin_keys(name: &str) -> PinyinKeys {
    // Each position holds the readings of one character: (full, initial).
    let mut variants: Vec<(String, String)> = vec![(String::new(), String::new())];
    for c in fold(name).chars() {
        if c.is_ascii_alphanumeric() {
            for v in &mut variants {
                v.0.push(c);
                v.1.push(c);
            }
            continue;
        }
        let Some(multi) = c.to_pinyin_multi() else {
            continue;
        };
        let mut readings: Vec<String> = Vec::new();
        for p in multi {
            let r = p.plain().replace('ü', "v");
            if !readings.contains(&r) {
                readings.push(r);
            }
        }
        let mut next = Vec::with_capacity(variants.len() * readings.len());
        for v in &variants {
            for r in &readings {
                if next.len() >= MAX_PINYIN_VARIANTS {
                    break;
                }
                let mut full = v.0.clone();
                full.push_str(r);
                let mut ini = v.1.clone();
                ini.push_str(&r[..1]);
                next.push((full, ini));
            }
        }
        variants = next;
    }
    let mut keys = PinyinKeys::default();
    for (full, ini) in variants {
        if full.is_empty() {
            continue;
        }
        if !keys.full.contains(&full) {
            keys.full.push(full);
        }
        if !keys.initials.contains(&ini) {
            keys.initials.push(ini);
        }
    }
    keys
}

/// True for a CJK ideograph (the ranges street names use).
#[must_use]
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_street_names_fold_to_simplified() {
        assert_eq!(fold("重慶北路一段"), "重庆北路一段");
        assert_eq!(fold("忠孝西路一段"), "忠孝西路一段");
        assert_eq!(fold("長安東路 二段"), "长安东路二段");
        assert_eq!(fold("ＡＢ Road"), "abroad");
    }

    #[test]
    fn invisible_and_direction_characters_fold_away() {
        assert_eq!(fold("中山\u{200B}南路"), fold("中山南路"));
        assert_eq!(fold("\u{FEFF}中山南路\u{2060}"), "中山南路");
        assert_eq!(fold("中山\u{202E}南路\u{202C}"), "中山南路");
        assert_eq!(fold("中山\u{2067}南路\u{2069}"), "中山南路");
        assert_eq!(fold("Ｚｈｏｎｇ\u{00AD}shan"), "zhongshan");
    }

    #[test]
    fn chongqing_is_found_by_its_reading_not_only_the_common_one() {
        let keys = pinyin_keys("重慶北路一段");
        assert!(
            keys.full.iter().any(|k| k == "chongqingbeiluyiduan"),
            "{keys:?}"
        );
        assert!(keys.initials.iter().any(|k| k == "cqblyd"), "{keys:?}");
    }

    #[test]
    fn digits_in_names_are_kept_in_pinyin_keys() {
        let keys = pinyin_keys("松江路70巷");
        assert!(
            keys.full.contains(&"songjianglu70xiang".to_owned()),
            "{keys:?}"
        );
        assert!(keys.initials.contains(&"sjl70x".to_owned()), "{keys:?}");
    }

    #[test]
    fn heteronyms_are_bounded() {
        let keys = pinyin_keys("重重重重重重重重重重重重");
        assert!(keys.full.len() <= MAX_PINYIN_VARIANTS);
        assert!(pinyin_keys("").full.is_empty());
        assert!(pinyin_keys("🚨!!").full.is_empty());
    }
}
