//! The sentence a call-taker reads back to the caller to confirm the place.
//!
//! `重慶北路一段 第34号灯杆（西侧），近南京西路口，皇后旅社附近，属建成辖区`

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::model::Side;

/// The language of user-facing text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Lang {
    /// Simplified Chinese, the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks the Chinese or English text.
    #[must_use]
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }
}

/// What the sentence is made of. Empty strings and `None` leave their clause out.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadbackParts<'a> {
    /// Street name as signposted.
    pub street: &'a str,
    /// Romanised street name, used in English when present.
    pub street_en: &'a str,
    /// Pole number along the street.
    pub pole_no: Option<u32>,
    /// The number as written when it has a suffix (`103F`, `12附1`): said instead of `pole_no`.
    pub pole_label: &'a str,
    /// The code on the sign, used when there is no pole number.
    pub code: &'a str,
    /// Side of the street.
    pub side: Option<Side>,
    /// Nearest cross street.
    pub cross_street: &'a str,
    /// Nearby landmark.
    pub landmark: &'a str,
    /// Police station or patrol zone.
    pub jurisdiction: &'a str,
    /// `street` is a place (a park, a scenic area, a riverside path) that groups signs with no
    /// street: the sign is said as an alarm post of the place (`幸福公园 3号报警桩`), not as the
    /// n-th lamp post along a street.
    pub place: bool,
}

/// Longest clause of the sentence (characters): a register's long landmark or place text is cut
/// with `…`, so that the sentence stays something to say on the phone.
pub const MAX_CLAUSE_CHARS: usize = 40;

/// The text cut to [`MAX_CLAUSE_CHARS`] characters, with `…` when cut.
fn clip(text: &str) -> Cow<'_, str> {
    if text.chars().nth(MAX_CLAUSE_CHARS).is_none() {
        return Cow::Borrowed(text);
    }
    let head: String = text.chars().take(MAX_CLAUSE_CHARS - 1).collect();
    Cow::Owned(format!("{head}…"))
}

/// Builds the read-back sentence. Each text clause is at most [`MAX_CLAUSE_CHARS`] characters.
#[must_use]
pub fn readback(p: &ReadbackParts<'_>, lang: Lang) -> String {
    let label = clip(p.pole_label);
    let (street, street_en, code, cross_street, landmark, jurisdiction) = (
        clip(p.street),
        clip(p.street_en),
        clip(p.code),
        clip(p.cross_street),
        clip(p.landmark),
        clip(p.jurisdiction),
    );
    // A place named after its landmark or jurisdiction does not say it twice.
    let same = |t: &str| p.place && t == p.street;
    let p = &ReadbackParts {
        landmark: if same(p.landmark) { "" } else { &landmark },
        jurisdiction: if same(p.jurisdiction) {
            ""
        } else {
            &jurisdiction
        },
        street: &street,
        street_en: &street_en,
        pole_label: &label,
        code: &code,
        cross_street: &cross_street,
        ..*p
    };
    match lang {
        Lang::Zh => readback_zh(p),
        Lang::En => readback_en(p),
    }
}

/// The read-back sentence, ending with a request to confirm the street with the caller: for
/// a code that another valid code one misread digit away could be mistaken for
/// (`…，属後車頭辖区。请与报警人核对街路名：是重慶北路一段吗？`). The sentence itself is
/// [`readback`]'s, unchanged.
#[must_use]
pub fn readback_confirming_street(p: &ReadbackParts<'_>, lang: Lang) -> String {
    let mut s = readback(p, lang);
    match lang {
        Lang::Zh if p.place => {
            let _ = write!(s, "。请与报警人核对地点：是{}吗？", p.street);
        }
        Lang::Zh => {
            let _ = write!(s, "。请与报警人核对街路名：是{}吗？", p.street);
        }
        Lang::En => {
            let street = if p.street_en.is_empty() {
                p.street.to_owned()
            } else {
                format!("{} ({})", p.street_en, p.street)
            };
            let what = if p.place { "place" } else { "street" };
            let _ = write!(s, ". Confirm the {what} with the caller: is it {street}?");
        }
    }
    s
}

fn readback_zh(p: &ReadbackParts<'_>) -> String {
    let mut s = String::new();
    s.push_str(p.street);
    if !s.is_empty() {
        s.push(' ');
    }
    // A place's sign is its n-th alarm post (`3号报警桩`), a street's its n-th lamp post.
    let _ = match p.pole_no {
        _ if p.place && !p.pole_label.is_empty() => write!(s, "{}号报警桩", p.pole_label),
        Some(n) if p.place => write!(s, "{n}号报警桩"),
        None if p.place => write!(s, "{}号报警桩", p.code),
        _ if !p.pole_label.is_empty() => write!(s, "第{}号灯杆", p.pole_label),
        Some(n) => write!(s, "第{n}号灯杆"),
        None => write!(s, "{}号灯杆", p.code),
    };
    if let Some(side) = p.side {
        let _ = write!(s, "（{}侧）", side.zh());
    }
    if !p.cross_street.is_empty() {
        let _ = write!(s, "，近{}口", p.cross_street);
    }
    if !p.landmark.is_empty() {
        let _ = write!(s, "，{}附近", p.landmark);
    }
    if !p.jurisdiction.is_empty() {
        let _ = write!(s, "，属{}", p.jurisdiction);
    }
    s
}

fn readback_en(p: &ReadbackParts<'_>) -> String {
    let mut s = match p.pole_no {
        _ if p.place && !p.pole_label.is_empty() => format!("Alarm post No. {}", p.pole_label),
        Some(n) if p.place => format!("Alarm post No. {n}"),
        None if p.place => format!("Alarm post {}", p.code),
        _ if !p.pole_label.is_empty() => format!("Pole No. {}", p.pole_label),
        Some(n) => format!("Pole No. {n}"),
        None => format!("Pole {}", p.code),
    };
    if p.place && !p.street.is_empty() {
        // A place is where the post stands, not a street it stands along.
        if p.street_en.is_empty() {
            let _ = write!(s, " in {}", p.street);
        } else {
            let _ = write!(s, " in {} ({})", p.street_en, p.street);
        }
    } else if !p.street.is_empty() {
        if p.street_en.is_empty() {
            let _ = write!(s, ", {}", p.street);
        } else {
            let _ = write!(s, ", {} ({})", p.street_en, p.street);
        }
    }
    if let Some(side) = p.side {
        let _ = write!(s, ", {} side", side.en());
    }
    if !p.cross_street.is_empty() {
        let _ = write!(s, ", near the junction with {}", p.cross_street);
    }
    if !p.landmark.is_empty() {
        let _ = write!(s, ", by {}", p.landmark);
    }
    if !p.jurisdiction.is_empty() {
        let _ = write!(s, ", jurisdiction {}", p.jurisdiction);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> ReadbackParts<'static> {
        ReadbackParts {
            street: "重慶北路一段",
            street_en: "Chongqing North Road Section 1",
            pole_no: Some(34),
            pole_label: "",
            code: "2-01-0034",
            side: Some(Side::West),
            cross_street: "南京西路",
            landmark: "",
            jurisdiction: "大同区",
            place: false,
        }
    }

    #[test]
    fn the_chinese_sentence_matches_the_example_in_the_issue() {
        assert_eq!(
            readback(&parts(), Lang::Zh),
            "重慶北路一段 第34号灯杆（西侧），近南京西路口，属大同区"
        );
    }

    #[test]
    fn the_english_sentence_names_the_street_both_ways() {
        assert_eq!(
            readback(&parts(), Lang::En),
            "Pole No. 34, Chongqing North Road Section 1 (重慶北路一段), west side, near the \
             junction with 南京西路, jurisdiction 大同区"
        );
    }

    #[test]
    fn a_confusable_code_ends_the_sentence_by_asking_for_the_street() {
        assert_eq!(
            readback_confirming_street(&parts(), Lang::Zh),
            "重慶北路一段 第34号灯杆（西侧），近南京西路口，属大同区。请与报警人核对街路名：是重慶北路一段吗？"
        );
        let en = readback_confirming_street(&parts(), Lang::En);
        assert!(en.starts_with(&readback(&parts(), Lang::En)), "{en}");
        assert!(
            en.ends_with(
                ". Confirm the street with the caller: is it Chongqing North Road Section 1 \
                 (重慶北路一段)?"
            ),
            "{en}"
        );
    }

    #[test]
    fn missing_parts_leave_their_clause_out() {
        let p = ReadbackParts {
            street: "中山南路",
            code: "A-12",
            landmark: "台大醫院",
            ..ReadbackParts::default()
        };
        assert_eq!(readback(&p, Lang::Zh), "中山南路 A-12号灯杆，台大醫院附近");
        assert_eq!(readback(&p, Lang::En), "Pole A-12, 中山南路, by 台大醫院");
    }

    #[test]
    fn a_pole_number_with_a_suffix_is_read_back_as_written() {
        let p = ReadbackParts {
            street: "中山路",
            pole_no: Some(12),
            pole_label: "12附1",
            ..ReadbackParts::default()
        };
        assert_eq!(readback(&p, Lang::Zh), "中山路 第12附1号灯杆");
        assert_eq!(readback(&p, Lang::En), "Pole No. 12附1, 中山路");
    }

    #[test]
    fn long_register_text_is_cut_so_the_sentence_stays_short() {
        let long = "沿河堤步道向北约八百米过第二座木桥后左转".repeat(100);
        let p = ReadbackParts {
            street: "幸福公园",
            pole_no: Some(3),
            landmark: &long,
            jurisdiction: "城关派出所",
            ..ReadbackParts::default()
        };
        let s = readback(&p, Lang::Zh);
        assert!(s.chars().count() < 80, "{s}");
        assert!(s.starts_with("幸福公园 第3号灯杆，沿河堤步道"), "{s}");
        assert!(s.contains("…附近，属城关派出所"), "{s}");
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), MAX_CLAUSE_CHARS);
        assert_eq!(clip("短"), "短");
    }

    #[test]
    fn a_sign_at_a_place_without_a_street_is_its_alarm_post() {
        let p = ReadbackParts {
            street: "幸福公园",
            pole_no: Some(3),
            code: "3",
            jurisdiction: "城关辖区",
            place: true,
            ..ReadbackParts::default()
        };
        assert_eq!(readback(&p, Lang::Zh), "幸福公园 3号报警桩，属城关辖区");
        assert_eq!(
            readback(&p, Lang::En),
            "Alarm post No. 3 in 幸福公园, jurisdiction 城关辖区"
        );
        assert_eq!(
            readback_confirming_street(&p, Lang::Zh),
            "幸福公园 3号报警桩，属城关辖区。请与报警人核对地点：是幸福公园吗？"
        );
        assert!(
            readback_confirming_street(&p, Lang::En)
                .ends_with("Confirm the place with the caller: is it 幸福公园?")
        );
        // A suffixed number as written; without a number, the code.
        let label = ReadbackParts {
            pole_label: "3附1",
            ..p
        };
        assert_eq!(
            readback(&label, Lang::Zh),
            "幸福公园 3附1号报警桩，属城关辖区"
        );
        let code = ReadbackParts {
            pole_no: None,
            code: "HX-7",
            ..p
        };
        assert_eq!(
            readback(&code, Lang::Zh),
            "幸福公园 HX-7号报警桩，属城关辖区"
        );
        assert_eq!(
            readback(&code, Lang::En),
            "Alarm post HX-7 in 幸福公园, jurisdiction 城关辖区"
        );
        // A place named after its landmark or jurisdiction does not say it twice.
        let named = ReadbackParts {
            landmark: "幸福公园",
            ..p
        };
        assert_eq!(readback(&named, Lang::Zh), "幸福公园 3号报警桩，属城关辖区");
        let zone = ReadbackParts {
            street: "城关辖区",
            ..p
        };
        assert_eq!(readback(&zone, Lang::Zh), "城关辖区 3号报警桩");
        // The same parts on a street read as before.
        let street = ReadbackParts { place: false, ..p };
        assert_eq!(
            readback(&street, Lang::Zh),
            "幸福公园 第3号灯杆，属城关辖区"
        );
    }
}
