//! The command line, through the real binary, on the real demo data.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

use std::path::Path;
use std::process::Output;

mod common;

use common::{bin, db_hash, demo, json, run};
use serde_json::Value;

#[test]
fn init_creates_the_demo_database_and_stats_counts_it() {
    let (_d, db) = demo();
    let v = json(&run(&db, &["stats", "--json"]));
    assert_eq!(v["streets"], 52);
    assert_eq!(v["surveyed"], 1026);
    let codes = v["codes"].as_u64().unwrap();
    assert!((4000..=4200).contains(&codes), "{codes}");
    assert_eq!(
        v["estimated"].as_u64().unwrap() + v["unknown"].as_u64().unwrap() + 1026,
        codes
    );
    assert_eq!(v["data_version"], 1);
    assert_eq!(v["dataset"], "台北市中心示范数据");
}

#[test]
fn init_refuses_to_overwrite_and_can_make_an_empty_database() {
    let (d, db) = demo();
    let again = run(&db, &["init"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let empty = d.path().join("empty.sqlite");
    assert!(run(&empty, &["init", "--empty"]).status.success());
    let v = json(&run(&empty, &["stats", "--json"]));
    assert_eq!(
        (v["codes"].as_u64(), v["data_version"].as_i64()),
        (Some(0), Some(0))
    );
}

#[test]
fn lookup_json_has_the_promised_fields() {
    let (_d, db) = demo();
    let v = json(&run(&db, &["lookup", "2-45-0034", "--json"]));
    assert_eq!(v["code"], "2-45-0034");
    assert_eq!(v["street"], "重慶北路一段");
    assert_eq!(v["pole_no"], 34);
    assert_eq!(v["side"], "东");
    for field in ["lat_deg", "lon_deg", "address", "jurisdiction", "readback"] {
        assert!(!v[field].is_null(), "{field} missing: {v}");
    }
    assert!(["surveyed", "estimated"].contains(&v["position"].as_str().unwrap()));
    let rb = v["readback"].as_str().unwrap();
    assert!(
        rb.starts_with("重慶北路一段 第34号灯杆（东侧），近"),
        "{rb}"
    );
}

#[test]
fn a_code_typed_with_full_width_digits_and_dashes_finds_the_pole() {
    let (_d, db) = demo();
    let v = json(&run(&db, &["lookup", "２－４５－００３４", "--json"]));
    assert_eq!(v["code"], "2-45-0034");
    let v = json(&run(&db, &["lookup", " 245 0034 ", "--json"]));
    assert_eq!(v["code"], "2-45-0034");
}

#[test]
fn an_unknown_code_exits_1_with_a_message_on_stderr() {
    let (_d, db) = demo();
    let out = run(&db, &["lookup", "9999999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("code not found"));
}

#[test]
fn an_unsurveyed_pole_is_estimated_with_a_radius() {
    let (_d, db) = demo();
    // 1-01-0002 has no surveyed point in the demo data.
    let v = json(&run(&db, &["lookup", "1010002", "--json"]));
    assert_eq!(v["position"], "estimated");
    assert!(v["error_radius_m"].as_f64().unwrap() > 0.0);
    assert!(v["lat_deg"].is_number());
}

#[test]
fn search_finds_a_traditional_street_by_simplified_name_and_number() {
    let (_d, db) = demo();
    for q in ["重庆北路 34", "重庆北路34号", "cqbl34", "chongqingbeilu 34"] {
        let v = json(&run(&db, &["search", q, "--json"]));
        let first = &v["results"][0];
        assert_eq!(first["code"], "2-45-0034", "{q}: {v}");
        assert_eq!(first["reason"], "street_number", "{q}");
        assert_eq!(first["distance_m"], 0.0);
    }
}

#[test]
fn search_offers_typo_candidates_with_distances() {
    let (_d, db) = demo();
    // 2-45-0034 with its last two digits swapped; 2450043 exists too, so use a code that
    // does not: 2-45-0340 is not a pole (the street has 58).
    let v = json(&run(&db, &["search", "2450304", "--json"]));
    let results = v["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results.iter().all(|r| r["reason"] == "typo"), "{v}");
    assert_eq!(results[0]["code"], "2-45-0034", "{v}");
    assert!(results.iter().skip(1).all(|r| r["distance_m"].is_number()));
}

#[test]
fn search_with_no_match_exits_1_and_hostile_queries_do_not_crash() {
    let (_d, db) = demo();
    let long = "灯".repeat(10_000);
    for q in [
        "",
        "'; DROP TABLE poles; --",
        "🚨🚓",
        "\u{7}\u{1b}[31m",
        long.as_str(),
        "zzzzzzzzzz",
    ] {
        let out = run(&db, &["search", q]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{q:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no match") || err.contains("too long"),
            "{q:?}: {err}"
        );
    }
    // And the database is untouched.
    assert_eq!(json(&run(&db, &["stats", "--json"]))["codes"], 4102);
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    // `lamppost search 路 | head -1`: the pipe closes after the first line, long before the
    // thousands of hits (far more than a pipe buffer) are written.
    use std::io::BufRead as _;
    use std::process::Stdio;
    let (_d, db) = demo();
    for json in [false, true] {
        let mut c = bin();
        c.arg("--db")
            .arg(&db)
            .args(["search", "路", "--limit", "100000"]);
        if json {
            c.arg("--json");
        }
        let mut child = c
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The reader is dropped here: the rest of the output meets a closed pipe.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "json {json}: {:?} {stderr}",
            out.status
        );
        assert!(stderr.is_empty(), "json {json}: {stderr}");
    }
}

#[test]
fn nearest_finds_the_pole_closest_to_a_point() {
    let (_d, db) = demo();
    let pole = json(&run(&db, &["lookup", "2450034", "--json"]));
    let (lat, lon) = (
        pole["lat_deg"].as_f64().unwrap(),
        pole["lon_deg"].as_f64().unwrap(),
    );
    let v = json(&run(
        &db,
        &["nearest", &lat.to_string(), &lon.to_string(), "--json"],
    ));
    assert_eq!(v["code"], "2-45-0034");
    assert!(v["distance_m"].as_f64().unwrap() < 0.5);
    let out = run(&db, &["nearest", "121.5", "25.0"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "longitude first is out of range"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("latitude first"));
}

#[test]
fn a_missing_database_is_an_error_that_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&dir.path().join("nope.sqlite"), &["lookup", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lamppost init"), "{err}");
    assert!(err.contains("nope.sqlite"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("poles.csv");
    std::fs::write(&path, "code,street\n1,x\n").unwrap();
    let out = run(&path, &["stats"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not an SQLite database") && err.contains("poles.csv"),
        "{err}"
    );
}

#[test]
fn the_database_can_be_chosen_by_environment_variable() {
    let (_d, db) = demo();
    let out = bin()
        .env("LAMPPOST_DB", &db)
        .args(["stats", "--json"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["streets"], 52);
}

#[test]
fn without_a_db_option_the_default_database_is_created_from_the_demo() {
    if common::skip_for_windows_exe("on Windows it is in %APPDATA% (scripts/wine-smoke.sh)") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let out = bin()
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .args(["stats", "--json"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["streets"], 52);
    let created = home.path().join("data/lamppost/lamppost.sqlite");
    assert!(created.is_file(), "expected {}", created.display());
}

fn call(code: &str, note_like_query: &str) -> lamppost_data::calllog::NewCall {
    lamppost_data::calllog::NewCall {
        operator: "张三".into(),
        query: note_like_query.into(),
        code: code.into(),
        street: "重慶北路一段".into(),
        pole_no: Some(34),
        address: "臺北市大同區重慶北路一段".into(),
        readback: "重慶北路一段 第34号灯杆（东侧）".into(),
        lat_lon_deg: Some((25.051_087, 121.513_898)),
        position: lamppost_data::calllog::PositionKind::Estimated,
        radius_m: Some(38.0),
        dataset: "台北市中心示范数据".into(),
        data_version: 1,
        caller: None,
    }
}

#[test]
fn calls_export_writes_an_excel_ready_shift_report() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.sqlite");
    let mut log = lamppost_data::calllog::CallLog::open(&calls).unwrap();
    let first = log.append(&call("2-45-0034", "2450034")).unwrap();
    log.annotate(first.id, "张三", "交通事故", "=HYPERLINK(\"http://x\")")
        .unwrap();
    log.append(&call("1-01-0002", "+1010002")).unwrap();
    drop(log);

    let out = dir.path().join("班次 报告.csv");
    let o = bin()
        .arg("--calls")
        .arg(&calls)
        .args(["calls", "export"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exported 2 calls"));
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][5], "2-45-0034", "oldest first, as a report reads");
    assert_eq!(&rows[0][16], "交通事故");
    assert_eq!(&rows[0][17], "'=HYPERLINK(\"http://x\")");
    assert_eq!(&rows[1][4], "'+1010002");
    assert_eq!(&rows[1][12], "estimated");

    // The same calls as JSON, newest first.
    let v = json(
        &bin()
            .arg("--calls")
            .arg(&calls)
            .args(["calls", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v[0]["code"], "1-01-0002");
    assert_eq!(
        v[1]["note"], "=HYPERLINK(\"http://x\")",
        "JSON keeps the text as typed"
    );
}

#[test]
fn calls_export_without_a_call_log_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = bin()
        .arg("--calls")
        .arg(dir.path().join("none.sqlite"))
        .args(["calls", "export", "-"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot open the call log"), "{err}");
    assert!(
        !dir.path().join("none.sqlite").exists(),
        "export never creates a log"
    );
}

#[test]
fn calls_list_for_a_day_without_calls_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.sqlite");
    lamppost_data::calllog::CallLog::open(&calls).unwrap();
    let o = bin()
        .arg("--calls")
        .arg(&calls)
        .args(["calls", "list", "--date", "2020-01-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_data_package_goes_from_the_supervisor_to_a_workstation() {
    let (dir, db) = demo();
    let pkg = dir.path().join("数据 包").join("台北 v1.sqlite");
    let o = run(&db, &["package", "export", pkg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(pkg.with_extension("sqlite.json").is_file());
    let o = run(&db, &["package", "verify", pkg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // A new workstation: no database yet, and no centre key pinned. An unsigned package is
    // installed only when the supervisor says so (first set-up, tests).
    let ws = dir.path().join("ws").join("lamppost.sqlite");
    let o = run(
        &ws,
        &[
            "package",
            "install",
            "--allow-unsigned",
            pkg.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no signature was checked"));
    let v = json(&run(&ws, &["lookup", "2450034", "--json"]));
    assert_eq!(v["code"], "2-45-0034");
    // The same version again is refused, and says why.
    let o = run(
        &ws,
        &[
            "package",
            "install",
            "--allow-unsigned",
            pkg.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not newer"));
}

#[test]
fn with_a_supervisor_password_a_package_install_needs_it() {
    let (dir, db) = demo();
    let pkg = dir.path().join("v1.sqlite");
    assert!(
        run(&db, &["package", "export", pkg.to_str().unwrap()])
            .status
            .success()
    );
    set_password(&db, "zhibanzhang");

    let install = [
        "package",
        "install",
        "--force",
        "--allow-unsigned",
        pkg.to_str().unwrap(),
    ];
    // No password given, no terminal: refused with what to do.
    let o = with_password(&db, None, &install);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("LAMPPOST_SUPERVISOR_PASSWORD"));
    // A wrong one is refused.
    let o = with_password(&db, Some("guess"), &install);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("wrong supervisor password"));
    // The right one works.
    let o = with_password(&db, Some("zhibanzhang"), &install);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn with_a_supervisor_password_import_and_undo_need_it_but_a_dry_run_does_not() {
    let (dir, db) = demo();
    set_password(&db, "zhibanzhang");
    let csv = dir.path().join("new.csv");
    std::fs::write(
        &csv,
        "编码,街路,杆号,纬度,经度\n9-99-0001,测试路,1,25.05,121.51\n",
    )
    .unwrap();
    let file = csv.to_str().unwrap();
    let dry = with_password(&db, None, &["import", file, "--dry-run", "--json"]);
    assert_eq!(json(&dry)["added"], 1, "a dry run needs no password");
    let refused = with_password(&db, Some("wrong"), &["import", file]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("wrong supervisor password"));
    let applied = with_password(&db, Some("zhibanzhang"), &["import", file, "--json"]);
    assert_eq!(json(&applied)["version"], 2);
    let undo = with_password(&db, None, &["undo", "2"]);
    assert_eq!(undo.status.code(), Some(2), "undo needs the password too");
}

/// Sets the supervisor password of the database at `db`.
fn set_password(db: &Path, password: &str) {
    let o = bin()
        .arg("--db")
        .arg(db)
        .args(["password", "set"])
        .env("LAMPPOST_NEW_SUPERVISOR_PASSWORD", password)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Runs a command with the supervisor password in the environment, or with none and no
/// terminal to ask on.
fn with_password(db: &Path, password: Option<&str>, args: &[&str]) -> Output {
    let mut c = bin();
    c.arg("--db").arg(db).args(args);
    match password {
        Some(p) => c.env("LAMPPOST_SUPERVISOR_PASSWORD", p),
        None => c
            .env_remove("LAMPPOST_SUPERVISOR_PASSWORD")
            .stdin(std::process::Stdio::null()),
    };
    c.output().unwrap()
}

/// The attack that worked: `calls export calls.sqlite --calls calls.sqlite` replaced the call
/// log with a CSV. Now a command never writes over a database in use, and over any other
/// existing file only with `--force`.
#[test]
fn an_export_never_writes_over_the_call_log_or_the_database() {
    let (dir, db) = demo();
    let calls = dir.path().join("calls.sqlite");
    let mut log = lamppost_data::calllog::CallLog::open(&calls).unwrap();
    log.append(&call("2-45-0034", "2450034")).unwrap();
    drop(log);
    let before = (std::fs::read(&calls).unwrap(), std::fs::read(&db).unwrap());
    for target in [&calls, &db] {
        for force in [false, true] {
            let mut c = bin();
            c.arg("--db")
                .arg(&db)
                .arg("--calls")
                .arg(&calls)
                .args(["calls", "export"])
                .arg(target);
            if force {
                c.arg("--force");
            }
            let o = c.output().unwrap();
            assert_eq!(o.status.code(), Some(2), "{}", target.display());
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("will not write over a database in use"),
                "{err}"
            );
        }
    }
    assert_eq!(
        (std::fs::read(&calls).unwrap(), std::fs::read(&db).unwrap()),
        before
    );
    let log = lamppost_data::calllog::CallLog::open_read_only(&calls).unwrap();
    assert_eq!(
        log.list(lamppost_data::calllog::Range::All).unwrap().len(),
        1
    );

    // Another existing file: only with --force.
    let out = dir.path().join("report.csv");
    std::fs::write(&out, "keep me").unwrap();
    let export = |force: bool| {
        let mut c = bin();
        c.arg("--calls")
            .arg(&calls)
            .args(["calls", "export", "--all"])
            .arg(&out);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let o = export(false);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    assert!(export(true).status.success());
    assert!(std::fs::read(&out).unwrap().starts_with(b"\xEF\xBB\xBF"));
}

/// A damaged call log used to export nothing and list nothing. Now what can be read is
/// exported, what cannot is named, and the exit status says the export is incomplete.
#[test]
fn a_damaged_call_log_exports_what_can_be_read_and_names_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let calls = dir.path().join("calls.sqlite");
    let mut log = lamppost_data::calllog::CallLog::open(&calls).unwrap();
    for i in 0..400 {
        let mut c = call("2-45-0034", "2450034");
        c.readback = format!("第 {i} 条：{}", "重慶北路一段 第34号灯杆（东侧）".repeat(3));
        log.append(&c).unwrap();
    }
    drop(log);
    // Zero the page that holds call 240, as a bad sector would.
    let mut bytes = std::fs::read(&calls).unwrap();
    let needle = "第 240 条".as_bytes();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let hit = at / 4096;
    bytes[hit * 4096..(hit + 1) * 4096].fill(0);
    std::fs::write(&calls, &bytes).unwrap();

    let out = dir.path().join("report.csv");
    let o = bin()
        .arg("--calls")
        .arg(&calls)
        .args(["calls", "export", "--all"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("the call log is damaged"), "{err}");
    assert!(!err.contains("no call recorded"), "{err}");
    let csv_bytes = std::fs::read(&out).unwrap();
    let rows = csv::Reader::from_reader(&csv_bytes[3..]).records().count();
    assert!((200..400).contains(&rows), "{rows} of 400 calls exported");
}

/// The centre makes a key once, each workstation pins its public half, and from then on a
/// package not signed with it is refused, whoever dropped it on the share.
#[test]
fn a_workstation_that_pinned_the_centre_key_installs_only_signed_packages() {
    let (dir, db) = demo();
    let key = dir.path().join("centre.key");
    let o = run(&db, &["package", "keygen", "--out", key.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8_lossy(&o.stdout).into_owned();
    let public = printed
        .split_whitespace()
        .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap()
        .to_owned();
    // The key file is never overwritten.
    let o = run(&db, &["package", "keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));

    let unsigned = dir.path().join("unsigned.sqlite");
    let signed = dir.path().join("signed.sqlite");
    let o = run(&db, &["package", "export", unsigned.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not signed"));
    let o = run(
        &db,
        &[
            "package",
            "export",
            signed.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // A new workstation pins the key first.
    let ws = dir.path().join("ws").join("lamppost.sqlite");
    assert_eq!(
        run(&ws, &["package", "trust", "not-a-key"]).status.code(),
        Some(2)
    );
    let o = run(&ws, &["package", "trust", &public]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(
        &ws,
        &["package", "install", "--force", unsigned.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not signed"));
    let o = run(&ws, &["package", "install", signed.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));
    let o = run(&ws, &["package", "verify", signed.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("signed with the centre key pinned here"));
    let v = json(&run(&ws, &["lookup", "2450034", "--json"]));
    assert_eq!(v["code"], "2-45-0034");
}

/// Two workstations' logs merged at the centre, twice: no duplicate; then the shift report over
/// the merged log, with the jurisdictions from the reference data.
#[test]
fn calls_merge_twice_then_a_shift_report_over_the_centre_log() {
    let (dir, db) = demo();
    let (a, b) = (dir.path().join("a.sqlite"), dir.path().join("b.sqlite"));
    let mut la = lamppost_data::calllog::CallLog::open(&a).unwrap();
    la.append(&call("2-45-0034", "2450034")).unwrap();
    la.append(&call("2-45-0034", "2460034")).unwrap();
    drop(la);
    let mut lb = lamppost_data::calllog::CallLog::open(&b).unwrap();
    lb.append(&call("1-01-0002", "1010002")).unwrap();
    lb.append(&call("", "9999999")).unwrap();
    drop(lb);
    let a_before = std::fs::read(&a).unwrap();
    let centre = dir.path().join("centre.sqlite");
    let merge = || {
        bin()
            .args(["--db"])
            .arg(&db)
            .args(["calls", "merge"])
            .arg(&a)
            .arg(&b)
            .arg("--out")
            .arg(&centre)
            .arg("--json")
            .output()
            .unwrap()
    };
    let v = json(&merge());
    assert_eq!(
        (v["calls_added"].as_u64(), v["calls_known"].as_u64()),
        (Some(4), Some(0))
    );
    let v = json(&merge());
    assert_eq!(
        (v["calls_added"].as_u64(), v["calls_known"].as_u64()),
        (Some(0), Some(4))
    );
    assert_eq!(
        std::fs::read(&a).unwrap(),
        a_before,
        "sources are read, not written"
    );

    let v = json(
        &bin()
            .arg("--db")
            .arg(&db)
            .arg("--calls")
            .arg(&centre)
            .args(["calls", "report", "--all", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["calls"], 4);
    assert_eq!(v["misread"], 1, "2460034 typed, 2-45-0034 confirmed");
    assert_eq!(v["not_found"], 1);
    assert_eq!(v["per_workstation"].as_object().unwrap().len(), 2);
    let lookup = json(&run(&db, &["lookup", "2450034", "--json"]));
    let place = lookup["jurisdiction"].as_str().unwrap();
    assert!(!place.is_empty());
    assert!(v["per_jurisdiction"][place].as_u64().unwrap() >= 2, "{v}");

    // Never into this workstation's own log.
    let o = bin()
        .arg("--calls")
        .arg(&a)
        .args(["calls", "merge"])
        .arg(&b)
        .arg("--out")
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("database in use"));
    assert_eq!(std::fs::read(&a).unwrap(), a_before);
}

/// `export csv` over the live database (or any existing file without --force) is refused.
#[test]
fn an_export_never_writes_over_the_reference_database() {
    let (dir, db) = demo();
    let before = std::fs::read(&db).unwrap();
    for what in ["csv", "geojson", "gpkg"] {
        for force in [false, true] {
            let mut args = vec!["export", what, db.to_str().unwrap()];
            if force {
                args.push("--force");
            }
            let o = run(&db, &args);
            assert_eq!(o.status.code(), Some(2), "{what}");
            assert!(String::from_utf8_lossy(&o.stderr).contains("database in use"));
        }
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let out = dir.path().join("poles.csv");
    assert!(
        run(&db, &["export", "csv", out.to_str().unwrap()])
            .status
            .success()
    );
    let o = run(&db, &["export", "csv", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert!(
        run(&db, &["export", "csv", out.to_str().unwrap(), "--force"])
            .status
            .success()
    );
}

/// `export gpkg`: the GeoPackage QGIS opens, with the same points as the GeoJSON and the
/// streets' centre lines; an existing file only with --force, never half-written.
#[test]
fn export_gpkg_writes_a_geopackage_with_poles_and_streets() {
    let (dir, db) = demo();
    let gpkg = dir.path().join("灯杆 poles.gpkg");
    let o = run(&db, &["export", "gpkg", gpkg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let gj = dir.path().join("poles.geojson");
    assert!(
        run(&db, &["export", "geojson", gj.to_str().unwrap()])
            .status
            .success()
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&gj).unwrap()).unwrap();
    let features = doc["features"].as_array().unwrap();

    let c =
        rusqlite::Connection::open_with_flags(&gpkg, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let app: i64 = c
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app, 0x4750_4B47, "GPKG");
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM poles") as usize, features.len());
    assert_eq!(
        count("SELECT count(*) FROM poles WHERE position = 'surveyed'"),
        1026
    );
    let streets = count("SELECT count(*) FROM streets");
    assert!(streets > 0, "street centre lines");
    assert_eq!(
        count("SELECT count(*) FROM gpkg_geometry_columns WHERE srs_id = 4326"),
        2
    );
    // The same pole in both exports, at the same point.
    let first = &features[0];
    let code = first["properties"]["code"].as_str().unwrap();
    let blob: Vec<u8> = c
        .query_row("SELECT geom FROM poles WHERE code = ?1", [code], |r| {
            r.get(0)
        })
        .unwrap();
    let x = f64::from_le_bytes(blob[13..21].try_into().unwrap());
    let y = f64::from_le_bytes(blob[21..29].try_into().unwrap());
    let at = first["geometry"]["coordinates"].as_array().unwrap();
    assert!((x - at[0].as_f64().unwrap()).abs() < 1e-9);
    assert!((y - at[1].as_f64().unwrap()).abs() < 1e-9);
    drop(c);

    let before = std::fs::read(&gpkg).unwrap();
    let o = run(&db, &["export", "gpkg", gpkg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read(&gpkg).unwrap(), before);
    let o = run(&db, &["export", "gpkg", gpkg.to_str().unwrap(), "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".lamppost-")),
        "no temporary folder left: {names:?}"
    );
}

#[test]
fn lookup_lists_the_confusable_codes_on_other_streets() {
    let (_d, db) = demo();
    let v = json(&run(&db, &["lookup", "2450034", "--json"]));
    let list = v["confusables"].as_array().unwrap();
    assert!(!list.is_empty() && list.len() <= 8, "{v}");
    // One digit of the street misread: 華陰街, about 430 m away.
    let c = list
        .iter()
        .find(|c| c["code"] == "2-46-0034")
        .unwrap_or_else(|| panic!("2-46-0034 missing: {v}"));
    assert_eq!(c["street"], "華陰街");
    assert_eq!(c["edit"], "substitute");
    let d = c["distance_m"].as_f64().unwrap();
    assert!((400.0..460.0).contains(&d), "{d}");
    for c in list {
        assert_eq!(
            c.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["code", "distance_m", "edit", "street"],
            "{c}"
        );
        assert!(
            ["substitute", "swap", "drop", "insert"].contains(&c["edit"].as_str().unwrap()),
            "{c}"
        );
        // Each is on another street, or far enough to send a car to the wrong place.
        assert!(
            c["street"] != "重慶北路一段" || c["distance_m"].as_f64().unwrap() > 300.0,
            "{c}"
        );
    }
    // A swap of two digits is found too (1-01-0002 and 1-10-0002).
    let v = json(&run(&db, &["lookup", "1010002", "--json"]));
    assert!(
        v["confusables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "1-10-0002" && c["edit"] == "swap"),
        "{v}"
    );
    // The text output lists them under the card.
    let out = run(&db, &["lookup", "2450034"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("易混编码"), "{text}");
    assert!(text.contains("2-46-0034    華陰街 #34"), "{text}");
}

/// `lamppost --db DB --calls CALLS ARGS…`.
fn run_with_calls(db: &Path, calls: &Path, args: &[&str]) -> Output {
    bin()
        .arg("--db")
        .arg(db)
        .arg("--calls")
        .arg(calls)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn lookup_near_says_how_far_the_pole_is_from_the_caller_and_whether_within() {
    let (d, db) = demo();
    let calls = d.path().join("calls.sqlite");
    let pole = json(&run(&db, &["lookup", "2450034", "--json"]));
    let (lat, lon) = (
        pole["lat_deg"].as_f64().unwrap(),
        pole["lon_deg"].as_f64().unwrap(),
    );
    // 0.001° of latitude north of the pole: about 111 m.
    let near = format!("{},{lon},150", lat + 0.001);
    let v = json(&run_with_calls(
        &db,
        &calls,
        &["lookup", "2450034", "--near", &near, "--json"],
    ));
    let n = &v["near"];
    let dist = n["distance_m"].as_f64().unwrap();
    assert!((dist - 111.2).abs() < 1.0, "{n}");
    assert_eq!(n["radius_m"], 150.0);
    assert_eq!(n["within"], true);
    assert_eq!(n["crs"], "wgs84");
    // A tighter radius: outside, and the text card warns.
    let tight = format!("{},{lon},50", lat + 0.001);
    let v = json(&run_with_calls(
        &db,
        &calls,
        &["lookup", "2450034", "--near", &tight, "--json"],
    ));
    assert_eq!(v["near"]["within"], false);
    let out = run_with_calls(&db, &calls, &["lookup", "2450034", "--near", &tight]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("outside the 50 m radius"), "{text}");
    // No radius: a distance, and no verdict.
    let v = json(&run_with_calls(
        &db,
        &calls,
        &[
            "lookup",
            "2450034",
            "--near",
            &format!("{lat},{lon}"),
            "--json",
        ],
    ));
    assert!(v["near"]["distance_m"].as_f64().unwrap() < 0.5);
    assert!(v["near"]["within"].is_null() && v["near"]["radius_m"].is_null());
    // The same place as Baidu gives it (BD-09) is the same place.
    let bd = lamppost_core::datum::gcj02_to_bd09(lamppost_core::geo::wgs84_to_gcj02(
        lamppost_core::geo::LatLon::new(lat, lon),
    ));
    let v = json(&run_with_calls(
        &db,
        &calls,
        &[
            "lookup",
            "2450034",
            "--near",
            &format!("{},{},30", bd.lat_deg, bd.lon_deg),
            "--near-crs",
            "bd09",
            "--json",
        ],
    ));
    assert!(
        v["near"]["distance_m"].as_f64().unwrap() < 1.0,
        "{}",
        v["near"]
    );
    assert_eq!(v["near"]["within"], true);
    assert_eq!(v["near"]["crs"], "bd09");
    // Longitude first, unlabelled, is refused with the rule.
    let out = run_with_calls(
        &db,
        &calls,
        &["lookup", "2450034", "--near", &format!("{lon},{lat}")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("latitude first"));
    assert!(!calls.exists(), "a lookup never creates the call log");
}

#[test]
fn nearest_takes_dms_a_datum_and_a_limit() {
    let (_d, db) = demo();
    let pole = json(&run(&db, &["lookup", "2450034", "--json"]));
    let at = lamppost_core::geo::LatLon::new(
        pole["lat_deg"].as_f64().unwrap(),
        pole["lon_deg"].as_f64().unwrap(),
    );
    let dms = lamppost_core::geo::format_latlon_dms(at);
    let (lat, lon) = dms.split_once(' ').unwrap();
    let v = json(&run(&db, &["nearest", lat, lon, "--limit", "5", "--json"]));
    assert_eq!(v["code"], "2-45-0034");
    let list = v["nearest"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    assert_eq!(list[0]["code"], "2-45-0034");
    let d: Vec<f64> = list
        .iter()
        .map(|x| x["distance_m"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert!(d[0] < 1.0, "{d:?}");
    // The same point in GCJ-02 (as Amap gives it), as one argument, labelled longitude first.
    let g = lamppost_core::geo::wgs84_to_gcj02(at);
    let v = json(&run(
        &db,
        &[
            "nearest",
            &format!("{:.7}E {:.7}N", g.lon_deg, g.lat_deg),
            "--crs",
            "gcj02",
            "--json",
        ],
    ));
    assert_eq!(v["code"], "2-45-0034");
    assert_eq!(v["from"]["crs"], "gcj02");
    assert!(v["distance_m"].as_f64().unwrap() < 1.0);
    let out = run(&db, &["nearest", "25.05", "121.51", "--crs", "mercator"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn search_lists_guesses_in_the_models_order_and_learns_from_the_call_log() {
    let (d, db) = demo();
    let calls = d.path().join("calls.sqlite");
    let guesses = |calls: &Path| {
        let v = json(&run_with_calls(
            &db,
            calls,
            &["search", "2450190", "--limit", "6", "--json"],
        ));
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r["reason"], "typo");
                (
                    r["code"].as_str().unwrap().to_owned(),
                    r["score"].as_f64().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = guesses(&calls);
    assert!(before.len() >= 3, "{before:?}");
    assert!(before.windows(2).all(|w| w[0].1 >= w[1].1), "{before:?}");
    // This workstation's callers who said 2450190 meant the third guess, again and again.
    let meant = before[2].0.clone();
    let mut log = lamppost_data::calllog::CallLog::open(&calls).unwrap();
    for _ in 0..40 {
        log.append(&call(&meant, "2450190")).unwrap();
    }
    drop(log);
    let after = guesses(&calls);
    assert_eq!(after[0].0, meant, "{before:?} → {after:?}");
}

/// The attack: anyone who can write the share drops an unsigned package, and a supervisor
/// installs it from the command line on a workstation that has no centre key pinned yet. That
/// used to install it with a warning on stderr; now it is refused and says how to pin the key
/// (or that `--allow-unsigned` is for a first set-up or tests only).
#[test]
fn without_a_pinned_key_an_unsigned_package_is_refused_unless_allowed() {
    let (dir, db) = demo();
    let supervisor = dir.path().join("supervisor.sqlite");
    assert!(run(&supervisor, &["init"]).status.success());
    let csv = dir.path().join("moved.csv");
    std::fs::write(
        &csv,
        "编码,街路,杆号,纬度,经度\n9-99-0001,测试路,1,25.05,121.51\n",
    )
    .unwrap();
    let o = run(&supervisor, &["import", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pkg = dir.path().join("share").join("v2.sqlite");
    assert!(
        run(&supervisor, &["package", "export", pkg.to_str().unwrap()])
            .status
            .success()
    );

    let before = (db_hash(&db), std::fs::read(&db).unwrap());
    for extra in [&[][..], &["--force"][..]] {
        let mut args = vec!["package", "install"];
        args.extend_from_slice(extra);
        args.push(pkg.to_str().unwrap());
        let o = run(&db, &args);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no centre key is pinned"), "{err}");
        assert!(err.contains("lamppost package trust"), "{err}");
        assert!(err.contains("--allow-unsigned"), "{err}");
        assert!(err.contains("中心公钥"), "{err}");
    }
    assert_eq!((db_hash(&db), std::fs::read(&db).unwrap()), before);
    // A new workstation gets no database from it either.
    let ws = dir.path().join("ws").join("lamppost.sqlite");
    assert_eq!(
        run(&ws, &["package", "install", pkg.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    assert!(!ws.exists());
    // Said explicitly, it is installed (with the warning).
    let o = run(
        &db,
        &[
            "package",
            "install",
            "--allow-unsigned",
            pkg.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_ne!(db_hash(&db), before.0);
}

/// The attack: `import new.csv --report lamppost.sqlite` replaced the reference database with
/// the report, and `export package lamppost.sqlite-wal` put a package where SQLite looks for
/// the database's last commits. Every path typed on the command line now goes through the
/// same guard.
#[test]
fn an_import_report_or_a_package_never_writes_over_the_database() {
    let (dir, db) = demo();
    let csv = dir.path().join("new.csv");
    std::fs::write(
        &csv,
        "编码,街路,杆号,纬度,经度\n9-99-0001,测试路,1,25.05,121.51\n",
    )
    .unwrap();
    let wal = dir.path().join("demo.sqlite-wal");
    let before = (db_hash(&db), std::fs::read(&db).unwrap());
    for target in [&db, &wal] {
        for extra in [&["--dry-run"][..], &[][..], &["--force"][..]] {
            let mut args = vec!["import", csv.to_str().unwrap(), "--report"];
            args.push(target.to_str().unwrap());
            args.extend_from_slice(extra);
            let o = run(&db, &args);
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("will not write over a database in use"),
                "{err}"
            );
        }
    }
    for what in [&["export", "package"][..], &["package", "export"][..]] {
        let o = run(&db, &[what, &[wal.to_str().unwrap()]].concat());
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("database in use"));
    }
    assert!(!wal.exists());
    assert_eq!((db_hash(&db), std::fs::read(&db).unwrap()), before);

    // Another existing file needs --force; a new one is written.
    let report = dir.path().join("report.json");
    std::fs::write(&report, "keep me").unwrap();
    let r = report.to_str().unwrap();
    let o = run(
        &db,
        &["import", csv.to_str().unwrap(), "--dry-run", "--report", r],
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "keep me");
    let o = run(
        &db,
        &[
            "import",
            csv.to_str().unwrap(),
            "--dry-run",
            "--report",
            r,
            "--force",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v["added"], 1);
}

/// A dry run against a fresh path, or an empty file at the database's path, used to write the
/// schema into it. Nothing is created or written now.
#[test]
fn a_dry_run_never_creates_or_fills_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let empty_csv = dir.path().join("empty.csv");
    std::fs::write(&empty_csv, "").unwrap();
    let bad_json = dir.path().join("bad.geojson");
    std::fs::write(&bad_json, "{\"type\":\"FeatureCollection\",\"features\":[").unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "编码,街路,杆号,纬度,经度\n9-99-0001,测试路,1,25.05,121.51\n",
    )
    .unwrap();
    let fresh = dir.path().join("new").join("lamppost.sqlite");
    let zero = dir.path().join("zero.sqlite");
    std::fs::write(&zero, "").unwrap();
    for file in [&empty_csv, &bad_json, &good] {
        let o = run(&fresh, &["import", file.to_str().unwrap(), "--dry-run"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(!fresh.exists() && !dir.path().join("new").exists());
        let o = run(&zero, &["import", file.to_str().unwrap(), "--dry-run"]);
        assert_eq!(o.status.code(), Some(2), "{}", file.display());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("the database file is empty"), "{err}");
        assert_eq!(std::fs::metadata(&zero).unwrap().len(), 0);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
}

/// A second writer while one runs used to fail with a raw `Error code 5`. Import, undo and
/// `password set` now say the database is busy and what to do, in both languages, and change
/// nothing. (`package install` says the same after its longer wait, a minute: not timed here.)
#[test]
fn a_second_writer_is_told_the_database_is_busy_and_what_to_do() {
    // The lock is taken here with Linux's locks, which a Windows program under Wine does not see.
    if common::skip_for_windows_exe("SQLite locks taken by this test are not Wine's") {
        return;
    }
    let (dir, db) = demo();
    let csv = dir.path().join("new.csv");
    std::fs::write(
        &csv,
        "编码,街路,杆号,纬度,经度\n9-99-0001,测试路,1,25.05,121.51\n",
    )
    .unwrap();
    assert!(
        run(&db, &["import", csv.to_str().unwrap()])
            .status
            .success()
    );
    let before = db_hash(&db);
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    for args in [
        &["import", csv.to_str().unwrap(), "--note", "again"][..],
        &["undo", "2"][..],
    ] {
        let o = run(&db, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("being written by another program"), "{err}");
        assert!(err.contains("数据库正被另一个程序写入"), "{err}");
        assert!(!err.contains("code 5"), "{err}");
    }
    let o = bin()
        .arg("--db")
        .arg(&db)
        .args(["password", "set"])
        .env("LAMPPOST_NEW_SUPERVISOR_PASSWORD", "zhibanzhang")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("being written by another program"));
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(db_hash(&db), before);
}

/// The index files beside the database at `db`.
fn index_files(db: &Path) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(lamppost_search::persist::dir_of(db)) else {
        return Vec::new();
    };
    let mut v: Vec<_> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "lpidx"))
        .collect();
    v.sort();
    v
}

#[test]
fn import_undo_and_package_install_write_the_index_file_and_a_stale_or_damaged_one_is_not_used() {
    let (dir, db) = demo();
    // A package installed on a new workstation comes with its index file written.
    let pkg = dir.path().join("v1.sqlite");
    assert!(
        run(&db, &["package", "export", pkg.to_str().unwrap()])
            .status
            .success()
    );
    let ws = dir.path().join("ws").join("lamppost.sqlite");
    let o = run(
        &ws,
        &[
            "package",
            "install",
            "--allow-unsigned",
            pkg.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let files = index_files(&ws);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("1-")
    );

    // A damaged file is not used: the answer is still right, and the file is written again.
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(&files[0], &bytes).unwrap();
    let v = json(&run(&ws, &["lookup", "2450034", "--json"]));
    assert_eq!(
        (v["code"].as_str(), v["pole_no"].as_u64()),
        (Some("2-45-0034"), Some(34))
    );
    assert_ne!(std::fs::read(&files[0]).unwrap(), bytes, "written again");

    // An import writes the new version's file and the old one goes; the new pole is found.
    let csv = dir.path().join("new.csv");
    std::fs::write(
        &csv,
        "编码,街路,杆号,纬度,经度\n9-99-0001,测试路,1,25.05,121.51\n",
    )
    .unwrap();
    let o = run(&ws, &["import", csv.to_str().unwrap(), "--json"]);
    assert_eq!(json(&o)["version"], 2);
    let files = index_files(&ws);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("2-")
    );
    assert_eq!(
        json(&run(&ws, &["lookup", "9990001", "--json"]))["pole_no"],
        1
    );

    // An undo too: the stale version-2 file is never used for the answer.
    assert!(run(&ws, &["undo", "2"]).status.success());
    let files = index_files(&ws);
    assert!(
        files[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("3-")
    );
    assert_eq!(run(&ws, &["lookup", "9990001"]).status.code(), Some(1));
}

/// The centre's data moves to `version`: one pole gets a note (as an import would write it).
fn centre_moves_to(db: &Path, version: i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(&format!(
        "INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
             added, changed, removed)
         VALUES ({version}, '2026-12-05T00:00:00Z', 'test', 'survey.csv', '', 0, 1, 0);
         UPDATE poles SET note = 'v{version}', version = {version} WHERE code = '2450034';
         INSERT INTO pole_history(version, code, op, before, after)
             VALUES ({version}, '2450034', 'change', '{{}}', '{{}}');
         INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', '{version}');"
    ))
    .unwrap();
}

fn data_version_of(db: &Path) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("SELECT max(version) FROM versions", [], |r| r.get(0))
        .unwrap()
}

/// `package export --since N`: an incremental package that a workstation at N applies, and one
/// at another version replaces by the full package beside it, saying so.
#[test]
fn an_incremental_package_applies_at_its_base_and_falls_back_to_the_full_package_elsewhere() {
    let (dir, db) = demo();
    let key = dir.path().join("centre.key");
    let o = run(&db, &["package", "keygen", "--out", key.to_str().unwrap()]);
    let printed = String::from_utf8_lossy(&o.stdout).into_owned();
    let public = printed
        .split_whitespace()
        .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap()
        .to_owned();
    let share = dir.path().join("共享");
    let k = key.to_str().unwrap();
    let export = |name: &str, since: Option<&str>| {
        let out = share.join(name);
        let mut args = vec!["package", "export", out.to_str().unwrap(), "--key", k];
        if let Some(s) = since {
            args.extend(["--since", s]);
        }
        let o = run(&db, &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (out, String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let (v1, _) = export("v1.sqlite", None);
    let ws = [
        dir.path().join("ws1").join("lamppost.sqlite"),
        dir.path().join("ws2").join("lamppost.sqlite"),
    ];
    for w in &ws {
        assert!(run(w, &["package", "trust", &public]).status.success());
        let o = run(w, &["package", "install", v1.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // No full package of version 7 to start from: said so.
    let o = run(
        &db,
        &[
            "package",
            "export",
            share.join("x").to_str().unwrap(),
            "--key",
            k,
            "--since",
            "7",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no full package of data version 7"));

    centre_moves_to(&db, 2);
    let (inc2, said) = export("v2-from-v1.changeset", Some("1"));
    assert!(said.contains("data version 1 → 2"), "{said}");
    let o = run(&ws[0], &["package", "verify", inc2.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("incremental 1 →"));
    let before = db_hash(&ws[0]);
    let o = run(&ws[0], &["package", "install", inc2.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("installed: data version 1 → 2"));
    assert_ne!(db_hash(&ws[0]), before);
    assert_eq!(data_version_of(&ws[0]), 2);

    export("v2.sqlite", None);
    centre_moves_to(&db, 3);
    let (inc3, _) = export("v3-from-v2.changeset", Some("2"));
    // ws2 is still at 1: refused, and nothing changed while there is no full v3.
    let before = db_hash(&ws[1]);
    let o = run(&ws[1], &["package", "install", inc3.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("install the full package"));
    assert_eq!(db_hash(&ws[1]), before);
    export("v3.sqlite", None);
    let o = run(&ws[1], &["package", "install", inc3.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("installed the full package of the same version instead")
            && err.contains("v3.sqlite"),
        "{err}"
    );
    assert_eq!(data_version_of(&ws[1]), 3);
    // ws1 at 2 takes the increment itself.
    let o = run(&ws[0], &["package", "install", inc3.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).contains("instead"));
    assert_eq!(data_version_of(&ws[0]), 3);
}

/// `calls report --pdf`: a real PDF (read back with poppler's pdftotext) with the counts and
/// the Chinese labels in it.
#[test]
fn calls_report_pdf_is_a_pdf_with_the_counts_and_the_chinese_labels() {
    let (dir, db) = demo();
    let log = dir.path().join("calls.sqlite");
    let mut l = lamppost_data::calllog::CallLog::open(&log).unwrap();
    for _ in 0..3 {
        l.append(&call("2-45-0034", "2450034")).unwrap();
    }
    l.append(&call("2-45-0034", "2460034")).unwrap();
    l.append(&call("", "9999999")).unwrap();
    drop(l);
    let pdf = dir.path().join("班次 报告.pdf");
    let report = |extra: &[&str]| {
        bin()
            .arg("--db")
            .arg(&db)
            .arg("--calls")
            .arg(&log)
            .args(["calls", "report", "--all", "--pdf"])
            .arg(&pdf)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = report(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.ends_with(b"%%EOF") || bytes.ends_with(b"%%EOF\n"));
    // An existing file only with --force.
    assert_eq!(report(&[]).status.code(), Some(2));
    assert!(report(&["--force"]).status.success());

    let Ok(o) = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
    else {
        eprintln!(
            "\n********\nSKIPPED: pdftotext (poppler-utils) is not installed; the PDF's text was not checked. apt-get install poppler-utils\n********\n"
        );
        return;
    };
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    for label in [
        "接警班次报告",
        "Shift report",
        "输错或读错编码",
        "misread",
        "张三",
    ] {
        assert!(text.contains(label), "{label} missing from:\n{text}");
    }
    // The row's label, then its count at the right margin.
    let count_of = |label: &str| -> u64 {
        text.lines()
            .filter(|l| l.trim_start().starts_with(label))
            .find_map(|l| l.split_whitespace().last()?.parse().ok())
            .unwrap_or_else(|| panic!("no row {label} in:\n{text}"))
    };
    assert_eq!(count_of("接警 calls"), 5, "{text}");
    assert_eq!(count_of("输错或读错编码 misread"), 1, "{text}");
    assert_eq!(count_of("编码未找到 not found"), 1, "{text}");
    assert_eq!(count_of("张三"), 5, "{text}");
}
