//! Search over a small hand-made dataset: two streets in central Taipei.

use super::*;
use lamppost_core::code::PoleCode;

fn street(code: &str, name: &str, en: &str, line: &[(f64, f64)]) -> StreetRecord {
    StreetRecord {
        street_code: code.into(),
        name: name.into(),
        name_en: en.into(),
        district: "大同區".into(),
        jurisdiction: "建成辖区".into(),
        geometry: line
            .iter()
            .map(|&(lat, lon)| LatLon::new(lat, lon))
            .collect(),
    }
}

fn pole(code: &str, street_code: &str, n: u32, side: Side, at: Option<(f64, f64)>) -> PoleRecord {
    PoleRecord {
        pole_label: String::new(),
        code: PoleCode::parse(code).unwrap(),
        street_code: street_code.into(),
        street: String::new(),
        pole_no: Some(n),
        side: Some(side),
        surveyed: at.map(|(lat, lon)| LatLon::new(lat, lon)),
        address: format!("地址{n}"),
        landmark: if street_code == "01" && n == 3 {
            "皇后旅社".into()
        } else {
            String::new()
        },
        cross_street: "南京西路".into(),
        jurisdiction: String::new(),
        status: "active".into(),
        note: String::new(),
    }
}

/// 重慶北路一段 runs north along lon 121.5137 for about 1 km; 忠孝西路一段 runs east 2 km
/// further south.
fn index() -> SearchIndex {
    let streets = vec![
        street(
            "01",
            "重慶北路一段",
            "Chongqing North Road Section 1",
            &[(25.0450, 121.5137), (25.0540, 121.5137)],
        ),
        street(
            "02",
            "忠孝西路一段",
            "",
            &[(25.0460, 121.5100), (25.0460, 121.5200)],
        ),
    ];
    let mut b = IndexBuilder::new(DatasetInfo::default(), streets);
    for n in 1..=40u32 {
        let side = if n % 2 == 1 { Side::West } else { Side::East };
        let surveyed = match n {
            1 => Some((25.0450, 121.5136)),
            21 => Some((25.0481, 121.5136)),
            _ => None,
        };
        b.push(&pole(&format!("2-01-{n:04}"), "01", n, side, surveyed));
    }
    for n in 1..=10u32 {
        let side = if n % 2 == 1 { Side::North } else { Side::South };
        b.push(&pole(&format!("1-02-{n:04}"), "02", n, side, None));
    }
    // A code one digit away from 2010043 (a swap of 2010034), on the other street, far away.
    b.push(&pole(
        "2-01-0143",
        "02",
        43,
        Side::North,
        Some((25.0460, 121.5199)),
    ));
    b.finish()
}

fn codes(idx: &SearchIndex, r: &SearchResults) -> Vec<String> {
    r.hits
        .iter()
        .map(|h| match h.target {
            Target::Pole(id) => idx.pole(id).code().to_owned(),
            Target::Street(s) => format!("street:{}", idx.streets()[s as usize].name),
        })
        .collect()
}

#[test]
fn an_exact_code_is_found_first_in_any_spelling() {
    let idx = index();
    for q in [
        "2010034",
        "2-01-0034",
        "２０１００３４",
        " 2 01 0034 ",
        "２－０１－００３４",
    ] {
        let r = idx.search(q, 10);
        assert_eq!(r.hits[0].reason, Reason::Exact, "{q}");
        assert_eq!(
            idx.pole(match r.hits[0].target {
                Target::Pole(id) => id,
                Target::Street(_) => panic!(),
            })
            .code(),
            "2-01-0034"
        );
        assert_eq!(r.hits[0].dist_m, Some(0.0));
    }
    assert_eq!(
        idx.lookup("２０１００３４").map(|id| idx.pole(id).code()),
        Some("2-01-0034")
    );
    assert_eq!(idx.lookup("9999999"), None);
}

#[test]
fn a_prefix_lists_the_codes_that_start_with_it() {
    let idx = index();
    let r = idx.search("201003", 20);
    assert_eq!(
        codes(&idx, &r),
        (30..=39)
            .map(|n| format!("2-01-{n:04}"))
            .collect::<Vec<_>>()
    );
    assert!(r.hits.iter().all(|h| h.reason == Reason::Prefix));
}

#[test]
fn a_mistyped_code_offers_the_likely_poles_first() {
    let idx = index();
    // 2010034 typed with the last two digits swapped: 2010043 does not exist.
    let r = idx.search("2010043", 10);
    let got = codes(&idx, &r);
    assert!(!got.is_empty());
    assert!(
        r.hits
            .iter()
            .all(|h| matches!(h.reason, Reason::Typo { .. }))
    );
    assert_eq!(got[0], "2-01-0034", "{got:?}");
    assert_eq!(
        r.hits[0].reason,
        Reason::Typo {
            edits: 1,
            likely: true
        }
    );
    // 7 heard for 1 (幺/七): 2010037 → 2010031 ranks before unrelated one-digit changes.
    let r = idx.search("2010077", 10);
    assert_eq!(codes(&idx, &r)[0], "2-01-0017");
}

#[test]
fn a_traditional_street_is_found_by_simplified_characters_and_a_number() {
    let idx = index();
    for q in [
        "重庆北路 34",
        "重庆北路34号",
        "重慶北路一段34",
        "cqbl 34",
        "chongqingbeilu34",
        "重庆北路第34号灯杆",
    ] {
        let r = idx.search(q, 10);
        assert_eq!(
            codes(&idx, &r).first().map(String::as_str),
            Some("2-01-0034"),
            "{q}"
        );
        assert!(matches!(r.hits[0].reason, Reason::StreetNumber(_)), "{q}");
    }
}

#[test]
fn a_street_alone_is_offered_as_a_street() {
    let idx = index();
    let r = idx.search("重庆北路", 10);
    assert_eq!(codes(&idx, &r), vec!["street:重慶北路一段"]);
    assert_eq!(r.hits[0].reason, Reason::Street(KeyKind::Name));
    let r = idx.search("zxxl", 10);
    assert_eq!(codes(&idx, &r), vec!["street:忠孝西路一段"]);
}

#[test]
fn landmarks_and_cross_streets_find_poles() {
    let idx = index();
    let r = idx.search("皇后", 10);
    assert_eq!(codes(&idx, &r), vec!["2-01-0003"]);
    assert_eq!(r.hits[0].reason, Reason::Landmark);
    let r = idx.search("南京西路", 10);
    assert_eq!(r.hits.len(), PER_PLACE);
    assert!(r.hits.iter().all(|h| h.reason == Reason::CrossStreet));
}

#[test]
fn results_carry_their_distance_from_the_first() {
    let idx = index();
    let r = idx.search("2010043", 10);
    // 2-01-0143 is on the other street, about 750 m south-east of 2-01-0034's estimate.
    let far = r
        .hits
        .iter()
        .find(|h| matches!(h.target, Target::Pole(id) if idx.pole(id).code() == "2-01-0143"))
        .expect("the far candidate is listed");
    let d = far.dist_m.unwrap();
    assert!((400.0..900.0).contains(&d), "{d}");
}

#[test]
fn unsurveyed_poles_get_estimates_between_surveyed_ones() {
    let idx = index();
    let id = idx.lookup("2010011").unwrap();
    let p = idx.pole(id);
    let Position::Estimated { at, radius_m, .. } = p.position() else {
        panic!("{:?}", p.position())
    };
    // Pair 6 of 1..11 between pair 1 (25.0450) and pair 11 (25.0481): half way, 25.04655.
    assert!((at.lat_deg - 25.046_55).abs() < 0.000_02, "{at:?}");
    assert!(radius_m > 5.0 && radius_m < 50.0);
    assert_eq!(idx.position_counts().surveyed, 3);
    assert_eq!(idx.position_counts().unknown, 0);
}

#[test]
fn the_nearest_pole_to_a_point_is_found() {
    let idx = index();
    let (id, d) = idx.nearest(LatLon::new(25.0481, 121.5135)).unwrap();
    assert_eq!(idx.pole(id).code(), "2-01-0021");
    assert!(d < 15.0, "{d}");
    let mut inside = Vec::new();
    idx.within(
        LatLon::new(25.0455, 121.5190),
        LatLon::new(25.0465, 121.5210),
        |id| {
            inside.push(idx.pole(id).code().to_owned());
        },
    );
    assert!(inside.contains(&"2-01-0143".to_owned()), "{inside:?}");
}

#[test]
fn the_read_back_sentence_comes_from_the_pole() {
    let idx = index();
    let p = idx.pole(idx.lookup("2010034").unwrap());
    assert_eq!(
        p.readback(Lang::Zh),
        "重慶北路一段 第34号灯杆（东侧），近南京西路口，属建成辖区"
    );
}

#[test]
fn hostile_queries_find_nothing_and_do_not_panic() {
    let idx = index();
    let long = "1".repeat(10 * 1024);
    assert!(idx.search(&long, 10).too_long);
    assert!(idx.search(&long, 10).hits.is_empty());
    for q in [
        "",
        "   ",
        "\u{0}\u{1}\u{7f}",
        "'; DROP TABLE poles; --",
        "%_*?",
        "🚨🚓👮",
        "重庆🚨北路",
        "abcЖ中文123",
        "\u{202e}4300102",
        "0000000000000000000000000000000000000000",
    ] {
        let r = idx.search(q, 10);
        assert!(r.hits.is_empty(), "{q:?} found {:?}", codes(&idx, &r));
    }
}

#[test]
fn two_mistyped_digits_are_still_found_when_nothing_is_one_edit_away() {
    let idx = index();
    let r = idx.search("9910034", 10);
    assert_eq!(
        codes(&idx, &r).first().map(String::as_str),
        Some("2-01-0034")
    );
    assert_eq!(
        r.hits[0].reason,
        Reason::Typo {
            edits: 2,
            likely: false
        }
    );
}

/// Poles whose codes are one edit from `2-01-0034` in every way: the same street close by,
/// the same street far away, another street, and codes one digit shorter or longer.
fn confusable_index() -> SearchIndex {
    let streets = vec![
        street(
            "01",
            "重慶北路一段",
            "",
            &[(25.0450, 121.5137), (25.0540, 121.5137)],
        ),
        street(
            "02",
            "忠孝西路一段",
            "",
            &[(25.0460, 121.5100), (25.0460, 121.5200)],
        ),
    ];
    let mut b = IndexBuilder::new(DatasetInfo::default(), streets);
    let at = |lat: f64| Some((lat, 121.5137));
    // The code itself, and a neighbour 30 m north on the same street (substitute, harmless).
    b.push(&pole("2-01-0034", "01", 34, Side::East, at(25.0480)));
    b.push(&pole("2-01-0035", "01", 35, Side::West, at(25.048_27)));
    // The same street, 700 m north: a swap.
    b.push(&pole("2-01-0043", "01", 43, Side::West, at(25.0543)));
    // Another street: a substitution of the street digit.
    b.push(&pole(
        "2-02-0034",
        "02",
        34,
        Side::North,
        Some((25.0460, 121.5190)),
    ));
    // Another street: one digit dropped, and one added.
    b.push(&pole(
        "2-01-034",
        "02",
        1,
        Side::North,
        Some((25.0460, 121.5110)),
    ));
    b.push(&pole(
        "2-01-00341",
        "02",
        2,
        Side::North,
        Some((25.0460, 121.5120)),
    ));
    // Two edits away: never a confusable.
    b.push(&pole(
        "2-02-0043",
        "02",
        3,
        Side::North,
        Some((25.0460, 121.5130)),
    ));
    b.finish()
}

#[test]
fn the_confusables_of_a_code_are_the_codes_one_edit_away_with_their_edit() {
    let idx = confusable_index();
    let id = idx.lookup("2010034").unwrap();
    let all: Vec<(String, Edit)> = idx
        .one_edit_codes(id)
        .iter()
        .map(|c| (idx.pole(c.id).key().to_owned(), c.edit))
        .collect();
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        sorted,
        vec![
            ("20100341".to_owned(), Edit::Insert),
            ("2010035".to_owned(), Edit::Substitute),
            ("2010043".to_owned(), Edit::Swap),
            ("201034".to_owned(), Edit::Drop),
            ("2020034".to_owned(), Edit::Substitute),
        ]
    );
    // The weight of each is its weighted typo distance, made without the table.
    for c in idx.one_edit_codes(id) {
        let w = typo::weighted_distance(idx.key(id).as_bytes(), idx.key(c.id).as_bytes());
        assert!((c.weight - w).abs() < 1e-6, "{c:?} {w}");
    }
    // A swap is the likeliest slip: it comes first.
    assert_eq!(all[0], ("2010043".to_owned(), Edit::Swap));
    assert!(!all.iter().any(|(k, _)| k == "2020043"), "two edits away");
    assert!(!all.iter().any(|(k, _)| k == "2010034"), "not itself");
}

#[test]
fn only_confusables_on_another_street_or_far_away_are_warned_about() {
    let idx = confusable_index();
    let id = idx.lookup("2-01-0034").unwrap();
    let risky = idx.confusables(id, MAX_CONFUSABLES);
    let keys: Vec<&str> = risky.iter().map(|c| idx.pole(c.id).key()).collect();
    // The neighbour 30 m away on the same street is not a risk; the rest are.
    assert!(!keys.contains(&"2010035"), "{keys:?}");
    assert!(keys.contains(&"2010043"), "same street but 700 m: {keys:?}");
    assert!(keys.contains(&"2020034"), "another street: {keys:?}");
    assert!(keys.contains(&"20100341"), "{keys:?}");
    assert!(keys.contains(&"201034"), "{keys:?}");
    let far = risky
        .iter()
        .find(|c| idx.pole(c.id).key() == "2010043")
        .unwrap();
    assert!(far.same_street);
    assert!((600.0..800.0).contains(&far.dist_m.unwrap()), "{far:?}");
    assert_eq!(idx.confusables(id, 2).len(), 2, "the limit holds");
    let other = risky
        .iter()
        .find(|c| idx.pole(c.id).key() == "2020034")
        .unwrap();
    assert_eq!(other.edit.word(), "substitute");
    assert!(!other.same_street);
}

#[test]
fn a_code_with_no_neighbours_has_no_confusables() {
    let idx = index();
    let id = idx.lookup("2-01-0143").unwrap();
    assert!(idx.confusables(id, MAX_CONFUSABLES).is_empty());
}

/// Three surveyed poles around the code `4110033`, which does not exist: `4-11-0303` (two
/// digits swapped), `4-11-0038` (3 read for 8) and `4-11-0053` (a digit that is neither).
fn channel_index() -> SearchIndex {
    let streets = vec![street(
        "11",
        "重慶北路一段",
        "",
        &[(25.0450, 121.5137), (25.0540, 121.5137)],
    )];
    let mut b = IndexBuilder::new(DatasetInfo::default(), streets);
    for (i, code) in ["4-11-0303", "4-11-0038", "4-11-0053"].iter().enumerate() {
        let at = Some((25.046 + i as f64 * 0.001, 121.5137));
        b.push(&pole(code, "11", 30 + i as u32, Side::East, at));
    }
    b.finish()
}

#[test]
fn a_call_log_full_of_8_read_as_3_moves_the_8_variant_up() {
    let idx = channel_index();
    let order = |idx: &SearchIndex| {
        let r = idx.search("4110033", 5);
        assert!(
            r.hits
                .iter()
                .all(|h| matches!(h.reason, Reason::Typo { .. }) && h.score.is_some())
        );
        codes(idx, &r)
    };
    // The defaults: a swap is the commonest slip, then a faded 8 read as 3, then the rest.
    assert_eq!(order(&idx), ["4-11-0303", "4-11-0038", "4-11-0053"]);
    // This workstation's log: callers keep reading 8 as 3 (and one street name, which teaches
    // nothing about codes).
    let mut log: Vec<(String, String)> = (0..30)
        .map(|i| (format!("93{i:02}3"), format!("9-3{i:02}-8")))
        .collect();
    log.push(("重慶北路 34".into(), "2-01-0034".into()));
    let model = ErrorModel::learnt_from(log.iter().map(|(t, c)| (t.as_str(), c.as_str())));
    assert_eq!(model.observed(), 30);
    idx.set_model(std::sync::Arc::new(model));
    assert_eq!(order(&idx), ["4-11-0038", "4-11-0303", "4-11-0053"]);
    // The confusable codes of an existing code are ranked by the same model.
    let id = idx.lookup("4-11-0038").unwrap();
    let scores: Vec<f32> = idx.one_edit_codes(id).iter().map(|c| c.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn calls_logged_for_a_pole_raise_its_prior() {
    let idx = channel_index();
    // 4110053 and 4110038 are both one substitution from 4110058: a faded 3 read as 8, and a
    // 3 typed as 5 (nothing in common). Many calls logged for 4-11-0038 lift it above.
    let first = |idx: &SearchIndex| codes(idx, &idx.search("4110058", 5))[0].clone();
    assert_eq!(first(&idx), "4-11-0053");
    let few = vec![("4-11-0038", "4-11-0038"); 3];
    idx.set_model(std::sync::Arc::new(ErrorModel::learnt_from(few)));
    assert_eq!(
        first(&idx),
        "4-11-0053",
        "a few calls do not outweigh the error model"
    );
    let many = vec![("4-11-0038", "4-11-0038"); 400];
    idx.set_model(std::sync::Arc::new(ErrorModel::learnt_from(many)));
    assert_eq!(first(&idx), "4-11-0038");
}

#[test]
fn the_nearest_poles_come_nearest_first() {
    let idx = confusable_index();
    let at = LatLon::new(25.0481, 121.5137);
    let near = idx.nearest_k(at, 3);
    assert_eq!(near.len(), 3);
    assert_eq!(idx.pole(near[0].0).key(), "2010034");
    assert_eq!(idx.pole(near[1].0).key(), "2010035");
    assert!(near.windows(2).all(|w| w[0].1 <= w[1].1));
    assert!((near[0].1 - 11.1).abs() < 1.0, "{near:?}");
    assert_eq!(idx.nearest_k(at, 100).len(), 7);
}
