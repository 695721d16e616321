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
    assert!(error.contains("接警记录"), "{error}");
}

/// A damaged call log used to give the window no calls at all (and "no calls yet today").
/// Now the worker answers with the calls that can be read, then names the others.
#[test]
fn the_worker_lists_what_a_damaged_log_still_holds_and_names_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.sqlite");
    let mut log = CallLog::open(&path).unwrap();
    for i in 0..400 {
        let mut c = sample("2-45-0034");
        c.readback = format!("第 {i} 条：{}", "重慶北路一段 第34号灯杆（东侧）".repeat(3));
        log.append(&c).unwrap();
    }
    drop(log);
    // Zero one page in the middle of the file, as a bad sector would.
    let mut bytes = std::fs::read(&path).unwrap();
    let hit = bytes.len() / 4096 * 3 / 5;
    bytes[hit * 4096..(hit + 1) * 4096].fill(0);
    std::fs::write(&path, &bytes).unwrap();
    // Today's list, as the window asked for it, fails as a whole.
    assert!(CallLog::open_read_only(&path).unwrap().today().is_err());

    let w = LogWorker::spawn(path, || {}).unwrap();
    let Some(Event::Today(calls)) = w.wait_event(Duration::from_secs(30)) else {
        panic!("no Today event");
    };
    assert!((200..=400).contains(&calls.len()), "{} of 400", calls.len());
    let Some(Event::Error(e)) = w.wait_event(Duration::from_secs(10)) else {
        panic!("the damage is not named");
    };
    assert!(e.contains("the call log is damaged"), "{e}");
    assert!(e.contains("接警记录文件已损坏"), "{e}");
}
