use std::time::Duration;

use chrono::TimeZone as _;

use super::worker::{Event, LogWorker, Request};
use super::*;

fn sample(code: &str) -> NewCall {
    NewCall {
        operator: "张三".into(),
        query: "2450034".into(),
        code: code.into(),
        street: "重慶北路一段".into(),
        pole_no: Some(34),
        address: "重慶北路一段34号".into(),
        readback: "重慶北路一段 第34号灯杆（东侧）".into(),
        lat_lon_deg: Some((25.052_1, 121.513_4)),
        position: PositionKind::Surveyed,
        radius_m: None,
        dataset: "示范".into(),
        data_version: 1,
        caller: None,
    }
}

#[test]
fn an_appended_call_reads_back_as_it_was_written_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("calls.sqlite");
    let saved = CallLog::open(&path)
        .unwrap()
        .append(&sample("2-45-0034"))
        .unwrap();
    let log = CallLog::open(&path).unwrap();
    let back = log.get(saved.id).unwrap().unwrap();
    assert_eq!(back, saved);
    assert_eq!(back.call.lat_lon_deg, Some((25.052_1, 121.513_4)));
    assert!(back.at_utc.ends_with('Z'), "{}", back.at_utc);
}

#[test]
fn today_lists_only_todays_calls_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = CallLog::open(&dir.path().join("calls.sqlite")).unwrap();
    let old = Utc.with_ymd_and_hms(2020, 1, 2, 3, 4, 5).unwrap();
    log.append_at(&sample("OLD"), old).unwrap();
    let a = log.append(&sample("A")).unwrap();
    let b = log.append(&sample("B")).unwrap();
    let today: Vec<i64> = log.today().unwrap().iter().map(|c| c.id).collect();
    assert_eq!(today, vec![b.id, a.id]);
    assert_eq!(log.list(Range::All).unwrap().len(), 3);
}

#[test]
fn the_newest_annotation_is_shown_and_older_ones_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = CallLog::open(&dir.path().join("calls.sqlite")).unwrap();
    let c = log.append(&sample("A")).unwrap();
    log.annotate(c.id, "张三", "交通事故", "两车相撞").unwrap();
    let after = log
        .annotate(c.id, "张三", "交通事故", "两车相撞，无人受伤")
        .unwrap();
    assert_eq!(after.note, "两车相撞，无人受伤");
    let kept: i64 = log
        .conn
        .query_row("SELECT count(*) FROM annotations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, 2);
    assert!(matches!(
        log.annotate(999, "x", "", ""),
        Err(CallLogError::NoSuchCall(999))
    ));
}

#[test]
fn a_pasted_page_is_cut_and_control_characters_are_blanked() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = CallLog::open(&dir.path().join("calls.sqlite")).unwrap();
    let mut call = sample("A");
    call.query = format!("24\u{0}5{}", "9".repeat(10_000));
    let saved = log.append(&call).unwrap();
    assert_eq!(saved.call.query.chars().count(), MAX_TEXT_CHARS);
    assert!(saved.call.query.starts_with("24 5"));
}

#[test]
fn the_export_is_excel_ready_utf8_with_bom_and_formulas_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = CallLog::open(&dir.path().join("calls.sqlite")).unwrap();
    let c = log.append(&sample("2-45-0034")).unwrap();
    log.annotate(c.id, "张三", "=cmd|' /C calc'!A0", "@SUM(1)")
        .unwrap();
    let mut out = Vec::new();
    assert_eq!(log.export_csv(Range::All, &mut out).unwrap(), 1);
    assert!(out.starts_with(UTF8_BOM));
    let text = std::str::from_utf8(&out[3..]).unwrap();
    assert!(text.contains("\r\n"));
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(r.headers().unwrap().len(), CSV_HEADER.len());
    let row = r.records().next().unwrap().unwrap();
    assert_eq!(
        &row[5], "2-45-0034",
        "codes with dashes inside are not formulas"
    );
    assert_eq!(&row[6], "重慶北路一段");
    assert_eq!(&row[10], "25.0521000");
    assert_eq!(&row[16], "'=cmd|' /C calc'!A0");
    assert_eq!(&row[17], "'@SUM(1)");
}

#[test]
fn another_sqlite_file_is_refused_not_written_into() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    let c = Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE t(x)").unwrap();
    drop(c);
    assert!(matches!(
        CallLog::open(&path),
        Err(CallLogError::NotCallLog(_))
    ));
    std::fs::write(
        dir.path().join("junk.sqlite"),
        b"not a database at all, just text",
    )
    .unwrap();
    let e = CallLog::open(&dir.path().join("junk.sqlite")).unwrap_err();
    assert!(matches!(e, CallLogError::NotCallLog(_)), "{e}");
}

#[test]
fn a_filter_finds_calls_by_code_without_dashes_street_or_note() {
    let mut c = Call {
        id: 1,
        at_utc: String::new(),
        at_local: "2026-11-28T03:04:05.000+08:00".into(),
        call: sample("2-45-0034"),
        incident_type: "交通事故".into(),
        note: String::new(),
        workstation: "w1".into(),
        uid: "w1-1".into(),
    };
    assert!(c.matches("2450034"));
    assert!(c.matches("重庆北路"), "Simplified finds Traditional");
    assert!(c.matches("交通"));
    assert!(c.matches(""));
    assert!(!c.matches("9999"));
    c.note = "Fire".into();
    assert!(c.matches("fire"));
    assert_eq!(c.local_time(), "03:04:05");
}

#[test]
fn the_worker_says_saved_only_once_the_entry_is_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.sqlite");
    let w = LogWorker::spawn(path.clone(), || {}).unwrap();
    assert!(matches!(
        w.wait_event(Duration::from_secs(10)),
        Some(Event::Today(v)) if v.is_empty()
    ));
    assert!(w.send(Request::Append {
        ticket: 7,
        call: sample("A"),
    }));
    let Some(Event::Saved { ticket: 7, call }) = w.wait_event(Duration::from_secs(10)) else {
        panic!("no Saved event");
    };
    // Another connection sees it at once.
    let other = CallLog::open_read_only(&path).unwrap();
    assert_eq!(other.get(call.id).unwrap().unwrap().call.code, "A");
}

#[test]
fn the_worker_reports_an_unwritable_log_per_entry_and_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: the log cannot be created.
    std::fs::write(dir.path().join("blocker"), b"x").unwrap();
    let w = LogWorker::spawn(dir.path().join("blocker").join("calls.sqlite"), || {}).unwrap();
    assert!(matches!(
        w.wait_event(Duration::from_secs(10)),
        Some(Event::Error(_))
    ));
    assert!(w.send(Request::Append {
        ticket: 1,
        call: sample("A"),
    }));
    let Some(Event::Failed { ticket: 1, error }) = w.wait_event(Duration::from_secs(10)) else {
        panic!("no Failed event");
    };
    assert!(error.zh.contains("接警记录"), "{error}");
}

#[test]
fn a_log_of_the_first_version_gains_the_caller_columns_and_keeps_its_calls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.sqlite");
    {
        // A log as the previous program wrote it: only the first migration, one call.
        let mut c = Connection::open(&path).unwrap();
        crate::migrate::migrate(&mut c, &MIGRATIONS[..1]).unwrap();
        c.execute(
            "INSERT INTO calls(at_utc, at_local, local_date, operator, query, code, street,
                 pole_no, address, readback, lat_deg, lon_deg, position, radius_m, dataset,
                 data_version)
             VALUES ('2026-12-05T01:00:00.000Z', '2026-12-05T09:00:00.000+08:00', '2026-12-05',
                 '张三', '2450034', '2-45-0034', '重慶北路一段', 34, '', '', NULL, NULL,
                 'unknown', NULL, '示范', 1)",
            [],
        )
        .unwrap();
    }
    let mut log = CallLog::open(&path).unwrap();
    let old = log.list(Range::All).unwrap();
    assert_eq!(old.len(), 1);
    assert_eq!(old[0].call.code, "2-45-0034");
    assert_eq!(old[0].call.caller, None);
    let mut call = sample("2-45-0035");
    call.caller = Some(Box::new(CallerLocation {
        lat_deg: 25.05,
        lon_deg: 121.51,
        datum: "gcj02",
        radius_m: Some(150.0),
        distance_m: Some(432.4),
    }));
    let saved = log.append(&call).unwrap();
    let back = CallLog::open_read_only(&path)
        .unwrap()
        .get(saved.id)
        .unwrap()
        .unwrap();
    assert_eq!(back.call.caller, call.caller);
    let mut csv = Vec::new();
    log.export_csv(Range::All, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("caller_distance_m"), "{text}");
    let last = text.lines().last().unwrap();
    assert!(
        last.contains(",25.0500000,121.5100000,gcj02,150,432,")
            && last.ends_with(&format!(",{},{}", saved.workstation, saved.uid)),
        "{last}"
    );
}

#[test]
fn the_typed_text_and_the_confirmed_code_are_read_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = CallLog::open(&dir.path().join("calls.sqlite")).unwrap();
    let mut a = sample("2-45-0034");
    a.query = "2450043".into();
    log.append(&a).unwrap();
    let mut b = sample("");
    b.query = "中山北路".into();
    log.append(&b).unwrap();
    log.append(&sample("2-45-0084")).unwrap();
    assert_eq!(
        log.typed_and_confirmed().unwrap(),
        vec![
            ("2450043".to_owned(), "2-45-0034".to_owned()),
            ("2450034".to_owned(), "2-45-0084".to_owned()),
        ]
    );
}

/// A log as the program before `calls merge` wrote it (two migrations), with `n` calls.
fn old_log(path: &std::path::Path, n: usize) {
    let mut c = Connection::open(path).unwrap();
    crate::migrate::migrate(&mut c, &MIGRATIONS[..2]).unwrap();
    for i in 0..n {
        c.execute(
            "INSERT INTO calls(at_utc, at_local, local_date, operator, query, code, street,
                 pole_no, address, readback, lat_deg, lon_deg, position, radius_m, dataset,
                 data_version)
             VALUES (?1, '2026-12-05T09:00:00.000+08:00', '2026-12-05', '李四', ?2, ?2,
                 '重慶北路一段', 34, '', '', NULL, NULL, 'unknown', NULL, '示范', 1)",
            params![
                format!("2026-12-05T01:00:{i:02}.000Z"),
                format!("9-99-{i:04}")
            ],
        )
        .unwrap();
    }
}

fn uids(log: &CallLog) -> Vec<String> {
    let mut v: Vec<String> = log
        .list(Range::All)
        .unwrap()
        .into_iter()
        .map(|c| c.uid)
        .collect();
    v.sort();
    v
}

#[test]
fn every_call_has_a_stable_unique_id_made_from_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = CallLog::open(&dir.path().join("calls.sqlite")).unwrap();
    let a = log.append(&sample("A")).unwrap();
    let b = log.append(&sample("B")).unwrap();
    assert_eq!(a.workstation, b.workstation);
    assert_eq!(a.uid, format!("{}-{}", a.workstation, a.id));
    assert_ne!(a.uid, b.uid);
    let other = CallLog::open(&dir.path().join("other.sqlite"))
        .unwrap()
        .append(&sample("A"))
        .unwrap();
    assert_ne!(other.workstation, a.workstation, "each log its own id");
    // Reopening keeps it.
    let again = CallLog::open(&dir.path().join("calls.sqlite")).unwrap();
    assert_eq!(again.get(a.id).unwrap().unwrap().uid, a.uid);
}

#[test]
fn merging_twice_or_overlapping_copies_never_duplicates_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let mut la = CallLog::open(&a).unwrap();
    let c1 = la.append(&sample("A-1")).unwrap();
    la.annotate(c1.id, "张三", "交通事故", "两车相撞").unwrap();
    la.append(&sample("A-2")).unwrap();
    let mut lb = CallLog::open(&b).unwrap();
    lb.append(&sample("B-1")).unwrap();
    // A copy of A taken now, before A's third call.
    let a_copy = dir.path().join("a-copy.sqlite");
    {
        let mut dst = Connection::open(&a_copy).unwrap();
        rusqlite::backup::Backup::new(&la.conn, &mut dst)
            .unwrap()
            .run_to_completion(64, Duration::ZERO, None)
            .unwrap();
    }
    la.append(&sample("A-3")).unwrap();
    let a_bytes = std::fs::read(&a).unwrap();

    let mut centre = CallLog::open(&dir.path().join("centre.sqlite")).unwrap();
    let n = centre
        .merge_from(&[a.clone(), b.clone(), a_copy.clone()])
        .unwrap();
    assert_eq!(
        (n.files, n.calls_added, n.calls_known, n.annotations_added),
        (3, 4, 2, 1)
    );
    let again = centre.merge_from(&[a_copy, b.clone(), a.clone()]).unwrap();
    assert_eq!((again.calls_added, again.annotations_added), (0, 0));
    assert_eq!(again.calls_known, 6);

    let mut expected = uids(&CallLog::open_read_only(&a).unwrap());
    expected.extend(uids(&CallLog::open_read_only(&b).unwrap()));
    expected.sort();
    assert_eq!(uids(&centre), expected);
    // Entries are copied as they were: same times, workstation and annotation.
    let merged = centre.list(Range::All).unwrap();
    let m1 = merged.iter().find(|c| c.uid == c1.uid).unwrap();
    assert_eq!(
        (&m1.at_utc, &m1.workstation, &m1.call.code),
        (&c1.at_utc, &c1.workstation, &c1.call.code)
    );
    assert_eq!(
        (m1.incident_type.as_str(), m1.note.as_str()),
        ("交通事故", "两车相撞")
    );
    // The sources were not written.
    assert_eq!(std::fs::read(&a).unwrap(), a_bytes);
}

#[test]
fn an_old_log_merged_from_two_copies_upgraded_apart_is_one_log() {
    let dir = tempfile::tempdir().unwrap();
    let (old1, old2) = (
        dir.path().join("old1.sqlite"),
        dir.path().join("old2.sqlite"),
    );
    old_log(&old1, 3);
    std::fs::copy(&old1, &old2).unwrap();
    // One copy is upgraded in place by the program, the other is merged as it is.
    let upgraded = CallLog::open(&old2).unwrap();
    assert_eq!(upgraded.user_version().unwrap() as usize, MIGRATIONS.len());
    drop(upgraded);
    let before = std::fs::read(&old1).unwrap();
    let mut centre = CallLog::open(&dir.path().join("centre.sqlite")).unwrap();
    let n = centre.merge_from(&[old1.clone(), old2]).unwrap();
    assert_eq!((n.calls_added, n.calls_known), (3, 3));
    assert_eq!(
        std::fs::read(&old1).unwrap(),
        before,
        "the old log is read, not upgraded"
    );
    let ws: Vec<String> = centre
        .list(Range::All)
        .unwrap()
        .into_iter()
        .map(|c| c.workstation)
        .collect();
    assert!(ws.iter().all(|w| w == "w20261205010000000"), "{ws:?}");
}

#[test]
fn a_merge_that_cannot_read_one_source_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.sqlite");
    CallLog::open(&a).unwrap().append(&sample("A")).unwrap();
    let bad = dir.path().join("bad.sqlite");
    std::fs::write(&bad, b"SQLite format 3\0 and then nothing").unwrap();
    let centre_path = dir.path().join("centre.sqlite");
    let mut centre = CallLog::open(&centre_path).unwrap();
    assert!(centre.merge_from(&[a.clone(), bad]).is_err());
    assert!(centre.list(Range::All).unwrap().is_empty());
    assert!(matches!(
        centre.merge_from(std::slice::from_ref(&centre_path)),
        Err(CallLogError::MergeIntoItself(_))
    ));
}
