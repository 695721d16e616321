// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use lamppost_core::model::CANONICAL_HEADER;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("t.sqlite")).unwrap();
    s.load_canonical::<&[u8], &[u8], &[u8]>(
        None,
        None,
        lamppost_data::store::Source {
            name: "seed.csv".into(),
            reader: SEED.as_bytes(),
        },
        "test",
    )
    .unwrap();
    (dir, s)
}

const SEED: &str = "code,street_code,street,pole_no,side,lat_deg,lon_deg,address,landmark,cross_street,jurisdiction,status,note
1-01-0001,01,中山路,1,东,39.9000,116.4000,中山路1号,,,,active,
1-01-0002,01,中山路,2,西,39.9003,116.4000,中山路2号,,,,active,
1-01-0003,01,中山路,3,东,39.9006,116.4000,中山路3号,,,,active,
1-01-0004,01,中山路,4,西,39.9009,116.4000,中山路4号,,,,active,
1-02-0001,02,解放路,1,东,39.9100,116.4100,,,,,active,
";

fn opts() -> Options {
    Options {
        applied_by: "tester".into(),
        ..Options::default()
    }
}

fn run(s: &mut Store, text: &str, o: &Options) -> Report {
    import(s, Input::Bytes(text.as_bytes()), o).unwrap()
}

fn header() -> String {
    CANONICAL_HEADER.join(",")
}

#[test]
fn a_changed_position_is_reported_field_by_field_and_applied_as_a_new_version() {
    let (_d, mut s) = store();
    let text = format!(
        "{}\n1-01-0002,01,中山路,2,西,39.9004,116.4000,中山路2号,,,,active,\n",
        header()
    );
    let r = run(
        &mut s,
        &text,
        &Options {
            dry_run: true,
            ..opts()
        },
    );
    assert_eq!((r.added, r.changed, r.unchanged, r.removed), (0, 1, 0, 0));
    assert_eq!(r.changes[0].fields[0].field, "lat_deg");
    assert_eq!(r.changes[0].fields[0].before, "39.9003");
    assert_eq!(r.version, None);
    assert_eq!(s.data_version().unwrap(), 1);
    let r = run(&mut s, &text, &opts());
    assert_eq!(r.version, Some(2));
    assert_eq!(s.data_version().unwrap(), 2);
    assert_eq!(s.meta("data_version").unwrap().as_deref(), Some("2"));
    let v = versions(&s).unwrap();
    assert_eq!((v[1].changed, v[1].applied_by.as_str()), (1, "tester"));
}

#[test]
fn a_file_with_one_bad_row_writes_nothing_unless_partial_is_allowed() {
    let (_d, mut s) = store();
    let text = format!(
        "{}\n9-09-0001,09,新路,1,,39.91,116.41,,,,,,\n9-09-0002,09,新路,2,,91,116.41,,,,,,\n",
        header()
    );
    let r = run(&mut s, &text, &opts());
    assert!(!r.applied);
    assert_eq!(r.rejected[0].line, 3);
    assert_eq!(r.rejected[0].field, "lat_deg");
    assert_eq!(s.counts().unwrap().codes, 5);
    let r = run(
        &mut s,
        &text,
        &Options {
            allow_partial: true,
            ..opts()
        },
    );
    assert!(r.applied);
    assert_eq!((r.added, r.rejected_rows), (1, 1));
    assert_eq!(s.counts().unwrap().codes, 6);
}

#[test]
fn codes_that_normalise_to_the_same_key_are_duplicates() {
    let (_d, mut s) = store();
    let text = "code,street\n5-01-0001,新街\n５０１０００１,新街\n";
    let r = run(
        &mut s,
        text,
        &Options {
            dry_run: true,
            ..opts()
        },
    );
    assert_eq!(r.rejected.len(), 1);
    assert_eq!(r.rejected[0].line, 3);
    assert!(
        r.rejected[0].reason_en().contains("duplicates line 2"),
        "{:?}",
        r.rejected
    );
}

#[test]
fn a_new_street_without_a_code_gets_a_stable_derived_one_and_known_names_are_reused() {
    let (_d, mut s) = store();
    let text = "编码,路名\n7-01-0001,幸福大街\n1-01-0009,中山路\n";
    let r = run(&mut s, text, &opts());
    assert!(r.applied, "{:?}", r.rejected);
    let want = derived_street_code("幸福大街", |_| false);
    assert!(want.starts_with('S') && want.len() == 7);
    let mut streets = Vec::new();
    s.for_each_pole(|p| streets.push((p.code.key().to_owned(), p.street_code)))
        .unwrap();
    assert!(streets.contains(&("7010001".into(), want)));
    assert!(streets.contains(&("1010009".into(), "01".into())));
    assert!(
        r.warnings
            .iter()
            .any(|w| w.reason_en().contains("new street"))
    );
}

#[test]
fn a_street_written_in_traditional_or_full_width_finds_the_stored_street_not_a_new_one() {
    let (_d, mut s) = store();
    // 中山路 is stored in Simplified; the file writes it in Traditional with a full-width space.
    let text = "编码,路名\n1-01-0010,中山　路\n1-01-0011,中山　路\n1-02-0009,解放路\n";
    let r = run(&mut s, text, &opts());
    assert!(r.applied, "{:?}", r.rejected);
    let mut streets = Vec::new();
    s.for_each_pole(|p| streets.push((p.code.key().to_owned(), p.street_code)))
        .unwrap();
    assert!(
        streets.contains(&("1010010".into(), "01".into())),
        "{streets:?}"
    );
    assert!(streets.contains(&("1010011".into(), "01".into())));
    assert!(
        !r.warnings
            .iter()
            .any(|w| w.reason_en().contains("new street"))
    );
    let taken: Vec<&Finding> = r
        .warnings
        .iter()
        .filter(|w| w.reason_en().contains("is taken as the stored 中山路"))
        .collect();
    assert_eq!(taken.len(), 1, "said once per spelling: {:?}", r.warnings);
    assert_eq!(taken[0].line, 2);
    // A street made by an import in Simplified, then written in Traditional.
    let r = run(&mut s, "编码,路名\n3-01-0001,重庆北路\n", &opts());
    assert!(r.applied);
    let r = run(&mut s, "编码,路名\n3-01-0002,重慶北路\n", &opts());
    assert!(r.applied, "{:?}", r.rejected);
    assert!(
        !r.warnings
            .iter()
            .any(|w| w.reason_en().contains("new street")),
        "{:?}",
        r.warnings
    );
    let code = derived_street_code("重庆北路", |_| false);
    let mut both = Vec::new();
    s.for_each_pole(|p| both.push((p.code.key().to_owned(), p.street_code)))
        .unwrap();
    assert!(both.contains(&("3010002".into(), code)), "{both:?}");
}

#[test]
fn every_pole_and_history_row_an_import_writes_has_its_street_and_version() {
    let (_d, mut s) = store();
    let text = format!(
        "{}\n7-01-0001,71,幸福大街,1,,39.91,116.41,,,,,,\n7-01-0002,71,幸福大街,2,,,,,,,,,\n1-01-0001,01,中山路,1,东,39.9000,116.4000,中山路1号,,,,damaged,\n",
        header()
    );
    let r = run(&mut s, &text, &opts());
    assert_eq!((r.added, r.changed), (2, 1));
    assert_eq!(s.foreign_key_problems().unwrap(), 0);
    let fk = s.enforces_foreign_keys().unwrap();
    assert!(fk, "foreign keys are enforced again after the import");
    // An added pole's history names it; its row is the pole as stored by that version.
    let c = rusqlite::Connection::open(s.path()).unwrap();
    let (op, after): (String, Option<String>) = c
        .query_row(
            "SELECT op, after FROM pole_history WHERE code = '7010001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((op.as_str(), after), ("add", None));
    undo(&mut s, 2, "tester", "").unwrap();
    assert_eq!(s.counts().unwrap().codes, 5);
}

#[test]
fn replace_streets_removes_the_poles_the_file_no_longer_lists_and_undo_restores_them() {
    let (_d, mut s) = store();
    let text = format!(
        "{}\n1-01-0001,01,中山路,1,东,39.9000,116.4000,中山路1号,,,,active,\n",
        header()
    );
    let r = run(
        &mut s,
        &text,
        &Options {
            replace_streets: true,
            ..opts()
        },
    );
    assert_eq!((r.removed, r.unchanged), (3, 1));
    assert_eq!(s.counts().unwrap().codes, 2);
    let u = undo(&mut s, 2, "tester", "").unwrap();
    assert_eq!((u.added, u.version), (3, 3));
    assert_eq!(s.counts().unwrap().codes, 5);
    // Undoing the same version again conflicts with the undo itself.
    assert!(matches!(
        undo(&mut s, 2, "t", ""),
        Err(ImportError::UndoConflict { .. })
    ));
    // An undo is a version like any other: undoing it removes the poles again.
    let u = undo(&mut s, 3, "tester", "").unwrap();
    assert_eq!((u.removed, u.version), (3, 4));
    assert_eq!(s.counts().unwrap().codes, 2);
    assert_eq!(s.meta("data_version").unwrap().as_deref(), Some("4"));
    // The initial load has no history.
    assert!(matches!(
        undo(&mut s, 1, "t", ""),
        Err(ImportError::NoHistory(1))
    ));
    assert!(matches!(
        undo(&mut s, 99, "t", ""),
        Err(ImportError::NoVersion(99))
    ));
}

#[test]
fn undo_refuses_when_a_later_version_touched_the_same_poles() {
    let (_d, mut s) = store();
    let h = header();
    run(
        &mut s,
        &format!("{h}\n1-01-0001,01,中山路,1,东,39.9000,116.4000,甲,,,,active,\n"),
        &opts(),
    );
    run(
        &mut s,
        &format!("{h}\n1-01-0001,01,中山路,1,东,39.9000,116.4000,乙,,,,active,\n"),
        &opts(),
    );
    let e = undo(&mut s, 2, "t", "").unwrap_err();
    assert!(e.to_string().contains("later versions [3]"), "{e}");
    undo(&mut s, 3, "t", "").unwrap();
    let mut addr = String::new();
    s.for_each_pole(|p| {
        if p.code.key() == "1010001" {
            addr = p.address;
        }
    })
    .unwrap();
    assert_eq!(addr, "甲");
}

#[test]
fn gcj02_input_is_stored_as_wgs84_and_the_datum_is_recorded() {
    let (_d, mut s) = store();
    let w = LatLon::new(39.9012, 116.4);
    let g = wgs84_to_gcj02(w);
    let text = format!(
        "code,street,lat,lon\n1-01-0005,中山路,{},{}\n",
        g.lat_deg, g.lon_deg
    );
    let r = run(
        &mut s,
        &text,
        &Options {
            crs: Some(Crs::parse("gcj02").unwrap()),
            ..opts()
        },
    );
    assert!(r.applied);
    let mut got = None;
    s.for_each_pole(|p| {
        if p.code.key() == "1010005" {
            got = p.surveyed;
        }
    })
    .unwrap();
    assert!(got.unwrap().distance_m(w) < 0.5);
    assert_eq!(versions(&s).unwrap()[1].datum, "gcj02");
}

#[test]
fn a_gcj02_shifted_position_swapped_coordinates_and_far_poles_are_warned_about() {
    let (_d, mut s) = store();
    let g = wgs84_to_gcj02(LatLon::new(39.9003, 116.4));
    let text = format!(
        "code,lat,lon\n1-01-0002,{},{}\n1-01-0003,116.4,39.9006\n1-01-0004,39.912,116.4\n",
        g.lat_deg, g.lon_deg
    );
    let r = run(
        &mut s,
        &text,
        &Options {
            dry_run: true,
            ..opts()
        },
    );
    let reasons: Vec<(u64, String)> = r.warnings.iter().map(|w| (w.line, w.reason_en())).collect();
    assert!(
        reasons.iter().any(|(l, w)| *l == 2 && w.contains("GCJ-02")),
        "{reasons:?}"
    );
    assert!(
        r.rejected
            .iter()
            .any(|e| e.line == 3 && e.reason_en().contains("swapped")),
        "{:?}",
        r.rejected
    );
    assert!(
        reasons
            .iter()
            .any(|(l, w)| *l == 4 && w.contains("m from the poles")),
        "{reasons:?}"
    );
}

#[test]
fn a_pole_numbered_out_of_sequence_along_its_street_is_warned_about() {
    let (_d, mut s) = store();
    let r = run(
        &mut s,
        "code,lat,lon\n1-01-0002,39.9030,116.4000\n",
        &Options {
            dry_run: true,
            ..opts()
        },
    );
    assert!(
        r.warnings.iter().any(|w| w.line == 2
            && w.field == "pole_no"
            && w.reason_en().contains("out of sequence")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn formula_text_is_a_warning_and_a_neutralised_cell_comes_back_unchanged() {
    let (_d, mut s) = store();
    let text = "code,street,note\n1-01-0001,中山路,=cmd|' /C calc'!A0\n";
    let r = run(&mut s, text, &opts());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.field == "note" && w.reason_en().contains("formula"))
    );
    let again = "code,street,note\n1-01-0001,中山路,'=cmd|' /C calc'!A0\n";
    let r = run(
        &mut s,
        again,
        &Options {
            dry_run: true,
            ..opts()
        },
    );
    assert_eq!((r.changed, r.unchanged), (0, 1), "{:?}", r.changes);
}

#[test]
fn fields_the_file_does_not_have_keep_their_stored_values() {
    let (_d, mut s) = store();
    let r = run(&mut s, "code,status\n1-01-0001,damaged\n", &opts());
    assert_eq!(r.changed, 1);
    assert_eq!(r.changes[0].fields.len(), 1);
    let mut p = None;
    s.for_each_pole(|x| {
        if x.code.key() == "1010001" {
            p = Some(x);
        }
    })
    .unwrap();
    let p = p.unwrap();
    assert_eq!(
        (p.status.as_str(), p.address.as_str()),
        ("damaged", "中山路1号")
    );
    assert!(p.surveyed.is_some());
}

#[test]
fn saved_mappings_are_reused_by_name() {
    let (_d, mut s) = store();
    let text = "RD CD,LAMPPOST N,Road\n01,0007,中山路\n";
    let o = Options {
        map: parse_map_specs(&["code=1-{RD CD}-{LAMPPOST N},street=Road".into()]).unwrap(),
        save_mapping: Some("city".into()),
        dry_run: true,
        ..opts()
    };
    let r = run(&mut s, text, &o);
    assert_eq!(r.added, 1, "{:?}", r.rejected);
    assert_eq!(r.changes[0].code, "1-01-0007");
    let r = run(
        &mut s,
        text,
        &Options {
            mapping_name: Some("city".into()),
            ..opts()
        },
    );
    assert_eq!(r.added, 1);
    assert_eq!(r.crs, "wgs84");
    // The datum and encoding are saved with the mapping and reused unless given again.
    let o = Options {
        mapping_name: Some("city".into()),
        save_mapping: Some("city-amap".into()),
        crs: Some(Crs::parse("gcj02").unwrap()),
        encoding: Some(encoding_rs::UTF_8),
        dry_run: true,
        ..opts()
    };
    run(&mut s, text, &o);
    let o = Options {
        mapping_name: Some("city-amap".into()),
        dry_run: true,
        ..opts()
    };
    let r = run(&mut s, text, &o);
    assert_eq!(
        (r.crs.as_str(), r.encoding, r.encoding_detected),
        ("gcj02", "UTF-8", false)
    );
    assert_eq!(
        r.unchanged, 1,
        "the mapping still applies: {:?}",
        r.rejected
    );
    assert_eq!(saved_mappings(&s).unwrap()[0].0, "city");
    let e = import(
        &mut s,
        Input::Bytes(text.as_bytes()),
        &Options {
            mapping_name: Some("nope".into()),
            ..opts()
        },
    );
    assert!(matches!(e, Err(ImportError::NoMapping(_))));
}

#[test]
fn an_import_that_changes_nothing_creates_no_version() {
    let (_d, mut s) = store();
    let r = run(&mut s, SEED, &opts());
    assert_eq!((r.unchanged, r.version), (5, None));
    assert_eq!(s.data_version().unwrap(), 1);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn dry(bytes: &[u8]) -> Report {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::create(&dir.path().join("p.sqlite")).unwrap();
        let r = import(
            &mut s,
            Input::Bytes(bytes),
            &Options {
                dry_run: true,
                ..opts()
            },
        )
        .unwrap();
        assert_eq!(s.data_version().unwrap(), 0);
        r
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn random_bytes_never_panic_and_never_write(bytes in proptest::collection::vec(any::<u8>(), 0..4000)) {
            let r = dry(&bytes);
            prop_assert!(r.version.is_none());
        }

        #[test]
        fn random_rows_under_a_real_header_are_each_accepted_or_refused_with_a_line(
            body in proptest::collection::vec(any::<u8>(), 0..3000),
            header in prop::sample::select(vec![
                "code,street,lat,lon\n",
                "\u{FEFF}code;street;纬度;经度\r\n",
                "{\"type\":\"FeatureCollection\",\"features\":[",
            ]),
        ) {
            let bytes = [header.as_bytes(), &body].concat();
            let r = dry(&bytes);
            prop_assert!(r.rejected.iter().all(|f| !f.reason_zh().is_empty() && !f.reason_en().is_empty()));
            prop_assert!(r.added + r.rejected_rows <= r.rows.max(1) + 1);
        }

        #[test]
        fn random_text_rows_never_panic(rows in proptest::collection::vec("\\PC{0,40}(,\\PC{0,20}){0,5}", 0..30)) {
            let text = format!("code,street,lat,lon,note\n{}", rows.join("\n"));
            let r = dry(text.as_bytes());
            prop_assert!(r.version.is_none());
        }
    }
}

#[test]
fn a_far_move_of_a_surveyed_pole_is_an_error_unless_allowed_and_writes_nothing_of_its_row() {
    let (_d, mut s) = store();
    // 1-01-0002 moves about 5.5 km and onto a street the data does not have.
    let text = "code,street,lat,lon\n1-01-0002,新街,39.95,116.4\n1-01-0003,中山路,39.9007,116.4\n";
    let r = run(
        &mut s,
        text,
        &Options {
            allow_partial: true,
            ..opts()
        },
    );
    assert_eq!(r.rejected_rows, 1);
    assert_eq!(r.rejected[0].kind.name(), "move_too_far");
    assert_eq!((r.rejected[0].line, r.changed), (2, 1));
    assert!(
        r.warnings.iter().all(|w| w.kind.name() != "new_street"),
        "the refused row added no street: {:?}",
        r.warnings
    );
    // A larger limit, or the supervisor's word, lets it through (still reported).
    for o in [
        Options {
            max_move_m: Some(10_000.0),
            dry_run: true,
            ..opts()
        },
        Options {
            allow_moves: true,
            dry_run: true,
            ..opts()
        },
    ] {
        let r = run(&mut s, text, &o);
        assert_eq!(r.rejected_rows, 0, "{:?}", r.rejected);
        assert_eq!(
            r.warnings.iter().any(|w| w.kind.name() == "move_too_far"
                && w.reason_en()
                    .contains("moves are allowed, so it is written")),
            o.allow_moves
        );
    }
}
