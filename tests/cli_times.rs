//! Times for people are in one zone everywhere: the command line writes the versions and the
//! call log in the workstation's local time with its UTC offset, as the window does
//! (`lamppost::clock`).
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, FixedOffset};
use common::{bin, demo, json};

/// The zone the tests run the program in: UTC+8, as a POSIX rule (no tzdata needed).
const TZ: &str = "CST-8";

fn shanghai(rfc3339: &str) -> String {
    let east8 = FixedOffset::east_opt(8 * 3600).unwrap();
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&east8)
        .format("%Y-%m-%d %H:%M:%S UTC+08:00")
        .to_string()
}

#[test]
fn versions_and_calls_are_listed_in_local_time_with_the_zone() {
    if common::skip_for_windows_exe("TZ names a zone for the C library, not for Windows") {
        return;
    }
    let (dir, db) = demo();
    let v = json(
        &bin()
            .arg("--db")
            .arg(&db)
            .args(["versions", "--json"])
            .output()
            .unwrap(),
    );
    let applied = v["versions"][0]["applied_at"].as_str().unwrap().to_owned();
    assert!(
        applied.ends_with('Z') || applied.ends_with("+00:00"),
        "{applied}"
    );
    let out = bin()
        .env("TZ", TZ)
        .arg("--db")
        .arg(&db)
        .arg("versions")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&shanghai(&applied)),
        "the version's time in UTC+8: {text}"
    );

    // A call logged at a known moment, listed the same way.
    let calls = dir.path().join("calls.sqlite");
    let mut log = lamppost_data::calllog::CallLog::open(&calls).unwrap();
    let at = DateTime::parse_from_rfc3339("2026-12-05T23:30:00Z")
        .unwrap()
        .to_utc();
    log.append_at(
        &lamppost_data::calllog::NewCall {
            operator: "张三".into(),
            query: "2450034".into(),
            code: "2-45-0034".into(),
            street: "重慶北路一段".into(),
            pole_no: Some(34),
            address: String::new(),
            readback: "重慶北路一段 第34号灯杆".into(),
            lat_lon_deg: None,
            position: lamppost_data::calllog::PositionKind::Unknown,
            radius_m: None,
            dataset: "示范".into(),
            data_version: 1,
            caller: None,
        },
        at,
    )
    .unwrap();
    drop(log);
    let out = bin()
        .env("TZ", TZ)
        .arg("--calls")
        .arg(&calls)
        .args(["calls", "list", "--all"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("2026-12-06 07:30:00 UTC+08:00"),
        "the call's time in UTC+8 (the next day): {text}"
    );
}
