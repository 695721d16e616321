//! The master on PostgreSQL + PostGIS, against a real server started for each test
//! (`common::pg`): the round trip (init, push with its dry run, publish, install on a
//! workstation, pull) through the command line, and concurrent pushes from two connections.
//! Without a PostgreSQL with PostGIS here, each test says SKIPPED and returns.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use common::pg::Pg;
use common::{demo, json, json_of, run};
use lamppost_master::{Master, MasterError};

/// The demo data as canonical CSV rows (header first).
fn exported(db: &Path) -> Vec<csv::StringRecord> {
    let out = db.with_file_name(format!(
        "export-{}.csv",
        db.file_stem().unwrap().to_string_lossy()
    ));
    let _ = std::fs::remove_file(&out);
    let o = run(db, &["export", "csv", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(&out)
        .unwrap();
    r.records().map(Result::unwrap).collect()
}

/// A file that sets the note of rows `rows` (1-based data rows) of the demo to `note`; returns
/// the file and the codes it touches.
fn edits(
    db: &Path,
    name: &str,
    rows: std::ops::Range<usize>,
    note: &str,
) -> (PathBuf, Vec<String>) {
    let all = exported(db);
    let path = db.with_file_name(name);
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&all[0]).unwrap();
    let mut codes = Vec::new();
    for rec in &all[rows] {
        let mut fields: Vec<String> = rec.iter().map(str::to_owned).collect();
        note.clone_into(fields.last_mut().unwrap());
        codes.push(fields[0].clone());
        w.write_record(&fields).unwrap();
    }
    w.flush().unwrap();
    (path, codes)
}

/// The note of each code in a local database, by its canonical export.
fn notes(db: &Path) -> std::collections::HashMap<String, String> {
    exported(db)
        .iter()
        .skip(1)
        .map(|r| (r[0].to_owned(), r[r.len() - 1].to_owned()))
        .collect()
}

fn master_init(pg: &Pg, db: &Path) {
    let o = run(
        db,
        &[
            "master",
            "init",
            "--url",
            &pg.url,
            "--dataset",
            "taipei",
            "--from",
            db.to_str().unwrap(),
            "--code-format",
            "街路2位+杆号4位",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn master_version(pg: &Pg, db: &Path) -> i64 {
    let v = json(&run(
        db,
        &["master", "datasets", "--url", &pg.url, "--json"],
    ));
    v["datasets"][0]["version"].as_i64().unwrap()
}

#[test]
fn round_trip_init_push_publish_install_pull() {
    let Some(pg) = Pg::start() else { return };
    let (dir, db) = demo();
    let keyfile = dir.path().join("centre.key");
    let o = run(
        &db,
        &["package", "keygen", "--out", keyfile.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let public = String::from_utf8_lossy(&o.stdout)
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 64)
        .unwrap()
        .to_owned();
    // The supervisor's database before any push: the workstation's and the puller's too.
    let workstation = dir.path().join("workstation.sqlite");
    let supervisor = dir.path().join("supervisor.sqlite");
    std::fs::copy(&db, &workstation).unwrap();
    std::fs::copy(&db, &supervisor).unwrap();
    master_init(&pg, &db);
    let ds = json(&run(
        &db,
        &["master", "datasets", "--url", &pg.url, "--json"],
    ));
    assert_eq!(ds["datasets"][0]["dataset"], "taipei");
    assert_eq!(ds["datasets"][0]["code_format"], "街路2位+杆号4位");
    assert_eq!(
        ds["datasets"][0]["poles"].as_u64().unwrap() + 1,
        exported(&db).len() as u64
    );
    // A second init keeps what is there and refuses to take the same dataset in twice.
    let again = run(
        &db,
        &[
            "master",
            "init",
            "--url",
            &pg.url,
            "--dataset",
            "taipei",
            "--from",
            db.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("taipei"));

    let (file, codes) = edits(&db, "notes.csv", 1..4, "复查 checked");
    let push = |args: &[&str]| {
        let mut a = vec!["master", "push", file.to_str().unwrap(), "--url", &pg.url];
        a.extend_from_slice(&["--dataset", "taipei", "--json"]);
        a.extend_from_slice(args);
        run(&db, &a)
    };
    // The dry run: the import's report (the diff), nothing written.
    let dry = json(&push(&["--dry-run"]));
    assert_eq!(dry["report"]["changed"], 3);
    assert_eq!(dry["report"]["applied"], false);
    assert_eq!(dry["report"]["changes"][0]["fields"][0]["field"], "note");
    assert!(dry["master"].is_null());
    assert_eq!(master_version(&pg, &db), 1);
    // The push: one new version in the master.
    let done = json(&push(&["--note", "round trip"]));
    assert_eq!(done["report"]["changed"], 3);
    assert_eq!(done["master"]["version"], 2);
    assert_eq!(done["master"]["base"], 1);
    assert_eq!(master_version(&pg, &db), 2);
    // A file the import's checks refuse is refused by the master push too, nothing written.
    let bad = db.with_file_name("bad.csv");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut f: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    f[5] = "95.5".into(); // a latitude out of range
    f[6] = "121.5".into();
    lines[1] = f.join(",");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let refused = run(
        &db,
        &[
            "master",
            "push",
            bad.to_str().unwrap(),
            "--url",
            &pg.url,
            "--dataset",
            "taipei",
            "--json",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let r = json_of(&refused);
    assert!(r["report"]["rejected_total"].as_u64().unwrap() >= 1);
    assert!(r["master"].is_null());
    assert_eq!(master_version(&pg, &db), 2);

    // Publish, signed; install on the workstation that pinned the centre key.
    let pkg = dir.path().join("taipei-2.sqlite");
    let o = run(
        &db,
        &[
            "master",
            "publish",
            "--url",
            &pg.url,
            "--dataset",
            "taipei",
            pkg.to_str().unwrap(),
            "--key",
            keyfile.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let old = run(
        &db,
        &[
            "master",
            "publish",
            "--url",
            &pg.url,
            "--dataset",
            "taipei",
            "--version",
            "1",
            dir.path().join("old.sqlite").to_str().unwrap(),
        ],
    );
    assert!(
        !old.status.success(),
        "only the current version is published"
    );
    assert!(
        run(&workstation, &["package", "trust", &public])
            .status
            .success()
    );
    let o = run(&workstation, &["package", "install", pkg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ws = notes(&workstation);
    for c in &codes {
        assert_eq!(ws[c], "复查 checked", "{c}");
    }
    let v = json(&run(&workstation, &["versions", "--json"]));
    assert_eq!(v["versions"][1]["note"], "round trip");

    // Pull: the other supervisor's database (still at version 1) reaches version 2, the same
    // data as the workstation's, and a second pull has nothing to do.
    let o = run(
        &supervisor,
        &["master", "pull", "--url", &pg.url, "--dataset", "taipei"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 → 2"));
    assert_eq!(notes(&supervisor), ws);
    let sv = json(&run(&supervisor, &["versions", "--json"]));
    assert_eq!(sv, v);
    let o = run(
        &supervisor,
        &["master", "pull", "--url", &pg.url, "--dataset", "taipei"],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("already at the master's version"));
    // A local import the master does not have: a pull would drop it, so it is refused.
    let (local, _) = edits(&supervisor, "local.csv", 10..11, "local only");
    assert!(
        run(&supervisor, &["import", local.to_str().unwrap()])
            .status
            .success()
    );
    let o = run(
        &supervisor,
        &["master", "pull", "--url", &pg.url, "--dataset", "taipei"],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("push them first"));

    // The audit record: the dataset taken in, the push applied (dry runs and files the checks
    // refused write nothing).
    let log = json(&run(&db, &["master", "log", "--url", &pg.url, "--json"]));
    let outcomes: Vec<&str> = log["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["created", "applied"]);
    assert_eq!(log["pushes"][1]["note"], "round trip");
    assert_eq!(log["pushes"][1]["changed"], 3);
    assert_eq!(log["pushes"][1]["pushed_by"], "test-supervisor");
}

/// Two supervisors' pushes, both checked against version 1, applied at the same time from two
/// connections: the first holds its transaction open until the second has started.
fn concurrent(a_rows: std::ops::Range<usize>, b_rows: std::ops::Range<usize>) -> Option<Outcome> {
    let pg = Pg::start()?;
    let (_dir, db) = demo();
    master_init(&pg, &db);
    let (fa, ca) = edits(&db, "a.csv", a_rows, "A");
    let (fb, cb) = edits(&db, "b.csv", b_rows, "B");
    let opts = |by: &str| lamppost_import::Options {
        applied_by: by.to_owned(),
        ..Default::default()
    };
    let mut ma = Master::connect(&pg.url).unwrap();
    let mut mb = Master::connect(&pg.url).unwrap();
    let pa = ma.prepare_push("taipei", &[fa], &opts("a")).unwrap();
    let pb = mb.prepare_push("taipei", &[fb], &opts("b")).unwrap();
    let (pa, pb) = (pa.changes.unwrap(), pb.changes.unwrap());
    assert_eq!((pa.base, pb.base), (1, 1));
    let started = Arc::new(Barrier::new(2));
    let s = started.clone();
    let a = std::thread::spawn(move || {
        let hold = move || {
            s.wait();
            std::thread::sleep(std::time::Duration::from_millis(500));
        };
        ma.apply(&pa, "a", Some(&hold))
    });
    let b = std::thread::spawn(move || {
        started.wait();
        mb.apply(&pb, "b", None)
    });
    let (ra, rb) = (a.join().unwrap(), b.join().unwrap());
    let mut m = Master::connect(&pg.url).unwrap();
    let (version, replica) = m.read_dataset("taipei").unwrap();
    let notes = replica
        .poles
        .iter()
        .map(|p| (p.row.code_display.clone(), p.row.note.clone()))
        .collect();
    let keys = replica
        .poles
        .iter()
        .map(|p| (p.row.code_display.clone(), p.row.code.clone()))
        .collect();
    let log = m.audit_log(Some("taipei")).unwrap();
    Some(Outcome {
        keys,
        a: ra,
        b: rb,
        version,
        notes,
        codes_a: ca,
        codes_b: cb,
        log,
    })
}

struct Outcome {
    a: Result<lamppost_master::Applied, MasterError>,
    b: Result<lamppost_master::Applied, MasterError>,
    version: i64,
    notes: std::collections::HashMap<String, String>,
    /// Display code → stored key.
    keys: std::collections::HashMap<String, String>,
    codes_a: Vec<String>,
    codes_b: Vec<String>,
    log: Vec<lamppost_master::PushRecord>,
}

#[test]
fn concurrent_pushes_on_the_same_poles_refuse_the_second_whole() {
    // A changes rows 1–4, B rows 3–7: rows 3 and 4 are in both.
    let Some(o) = concurrent(1..5, 3..8) else {
        return;
    };
    let a = o.a.unwrap();
    assert_eq!((a.base, a.version), (1, 2));
    let Err(MasterError::Conflict {
        base,
        current,
        codes,
        ..
    }) = o.b
    else {
        panic!("the second push was not refused: {:?}", o.b);
    };
    assert_eq!((base, current), (1, 2));
    let mut both: Vec<String> = o
        .codes_a
        .iter()
        .filter(|c| o.codes_b.contains(c))
        .cloned()
        .collect();
    both.sort();
    let mut keys: Vec<String> = both.iter().map(|c| o.keys[c].clone()).collect();
    keys.sort();
    assert_eq!(both.len(), 2);
    assert_eq!(codes, keys, "the conflicting codes, and only they");
    // Nothing of B is written, not even its poles that A did not touch.
    assert_eq!(o.version, 2);
    for c in &o.codes_a {
        assert_eq!(o.notes[c], "A", "{c}");
    }
    for c in o.codes_b.iter().filter(|c| !o.codes_a.contains(c)) {
        assert_ne!(o.notes[c], "B", "{c} was half-applied");
    }
    let outcomes: Vec<(&str, Option<i64>, usize)> = o
        .log
        .iter()
        .map(|p| (p.outcome.as_str(), p.version, p.conflicts.len()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("created", Some(1), 0),
            ("applied", Some(2), 0),
            ("refused", None, 2)
        ]
    );
    assert_eq!(o.log[2].conflicts, codes);
}

#[test]
fn concurrent_pushes_on_different_poles_both_apply() {
    let Some(o) = concurrent(1..4, 6..9) else {
        return;
    };
    let (a, b) = (o.a.unwrap(), o.b.unwrap());
    let mut versions = [a.version, b.version];
    versions.sort_unstable();
    assert_eq!(versions, [2, 3]);
    assert_eq!((a.base, b.base), (1, 1));
    assert_eq!(o.version, 3);
    for c in &o.codes_a {
        assert_eq!(o.notes[c], "A", "{c}");
    }
    for c in &o.codes_b {
        assert_eq!(o.notes[c], "B", "{c}");
    }
    assert_eq!(o.log.len(), 3);
    assert!(o.log[1..].iter().all(|p| p.outcome == "applied"));
}
