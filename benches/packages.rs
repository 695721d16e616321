//! Data packages at scale: a full package against an incremental one, in the same run; and the
//! centre merging its workstations' call logs.
//!
//! `cargo bench --no-default-features --bench packages` takes synthetic reference databases of
//! N poles (`LAMPPOST_BENCH_ROWS`, a comma-separated list, default `100000`; `10000,100000,1000000`
//! for the table in docs/SCALE.md), changes 1% of the poles as one new data version (as an
//! import writes it: the rows, a `versions` row, a `pole_history` row each), and measures:
//! 1. `full/export`: the full package of the new version (snapshot, credential strip,
//!    integrity check, SHA-256, signature);
//! 2. `increment/export`: the incremental package from the previous version's full package;
//! 3. `full/install`: installing the full package on a workstation at the previous version
//!    (private copy, checks, previous data kept, online backup);
//! 4. `increment/install`: applying the incremental package on such a workstation (signature,
//!    base content hash, changeset in one transaction, result content hash).
//!
//! and the package sizes. Criterion reports each for the first N; a table of medians (3 runs,
//! `LAMPPOST_BENCH_RUNS`) and the ratios is printed for every N. `LAMPPOST_BENCH_TABLE_ONLY=1`
//! skips criterion. `LAMPPOST_BENCH_CALLS=50x10000` also merges that many workstations' call
//! logs of that many calls each (`calls merge`), timed, with the merged size.
//!
//! The synthetic databases are made once by `benches/common` (in `target/bench-data`, or the
//! folder `LAMPPOST_BENCH_DATA` names: a copy is made and used, the originals are only read).
//! Without `--bench` (as under `cargo test`) a 2,000-pole smoke run is made.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use lamppost_data::store::package::{Install, install_package};
use lamppost_data::store::signing::{CentreKey, generate_key};
use lamppost_data::store::{Access, Store};

const HOW: Install = Install {
    force: false,
    require_signature: true,
};

/// A writable copy of the synthetic database of `n` poles, at the current schema.
fn centre_db(dir: &Path, n: usize) -> PathBuf {
    let src = match std::env::var_os("LAMPPOST_BENCH_DATA") {
        Some(d) => {
            let d = PathBuf::from(d);
            // The newest schema there, else an older one (migrated on open).
            (1..=lamppost_data::store::schema::latest_version())
                .rev()
                .map(|v| d.join(format!("synth-{n}-{}-v{v}.sqlite", common::SEED)))
                .find(|p| p.is_file())
                .unwrap_or_else(|| common::database(n))
        }
        None => common::database(n),
    };
    let path = dir.join("centre.sqlite");
    std::fs::copy(&src, &path).unwrap();
    drop(Store::open(&path, Access::ReadWrite).unwrap());
    path
}

/// One new data version on the centre: every hundredth pole gets a new status and note, with
/// its history row, and the version is recorded.
fn change_one_percent(db: &Path, version: i64) -> usize {
    let mut c = rusqlite::Connection::open(db).unwrap();
    let tx = c.transaction().unwrap();
    tx.execute(
        "INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
             added, changed, removed)
         VALUES (?1, '2026-12-05T00:00:00Z', 'bench', 'survey.csv', '', 0, 0, 0)",
        [version],
    )
    .unwrap();
    let n = tx
        .execute(
            "INSERT INTO pole_history(version, code, op, before, after)
             SELECT ?1, code, 'change', json_object('status', status), json_object('status', 'repaired')
             FROM (SELECT code, status, row_number() OVER (ORDER BY code) AS k FROM poles)
             WHERE k % 100 = 0",
            [version],
        )
        .unwrap();
    tx.execute(
        "UPDATE poles SET status = 'repaired', note = 'v' || ?1, version = ?1
         WHERE code IN (SELECT code FROM pole_history WHERE version = ?1)",
        [version],
    )
    .unwrap();
    tx.execute(
        "UPDATE versions SET changed = ?2 WHERE version = ?1",
        (version, n as i64),
    )
    .unwrap();
    tx.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', ?1)",
        [version.to_string()],
    )
    .unwrap();
    tx.commit().unwrap();
    n
}

/// Everything one size needs: the centre at version 2, the full packages of 1 and 2, the
/// increment 1 → 2, and a workstation at version 1 (copied for every install).
struct Setup {
    dir: tempfile::TempDir,
    centre: PathBuf,
    key: CentreKey,
    ws1: PathBuf,
    full2: PathBuf,
    inc2: PathBuf,
    changed: usize,
}

fn setup(root: &Path, n: usize) -> Setup {
    let dir = tempfile::tempdir_in(root).unwrap();
    let centre = centre_db(dir.path(), n);
    let key = generate_key(&dir.path().join("centre.key")).unwrap();
    let share = dir.path().join("share");
    let full1 = share.join("v1.sqlite");
    Store::open(&centre, Access::ReadOnly)
        .unwrap()
        .export_package(&full1, "bench", Some(&key))
        .unwrap();
    let ws1 = dir.path().join("ws1.sqlite");
    install_package(&full1, &ws1, Install::default()).unwrap();
    Store::open(&ws1, Access::ReadWrite)
        .unwrap()
        .trust_package_key(&key.public_hex())
        .unwrap();
    let version = Store::open(&centre, Access::ReadOnly)
        .unwrap()
        .data_version()
        .unwrap()
        + 1;
    let changed = change_one_percent(&centre, version);
    let full2 = share.join("v2.sqlite");
    let inc2 = share.join("v2-from-v1.changeset");
    export_full(&centre, &full2, &key);
    export_inc(&centre, &full1, &inc2, &key);
    Setup {
        dir,
        centre,
        key,
        ws1,
        full2,
        inc2,
        changed,
    }
}

fn export_full(centre: &Path, out: &Path, key: &CentreKey) {
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(lamppost_data::store::package::manifest_path(out));
    Store::open(centre, Access::ReadOnly)
        .unwrap()
        .export_package(out, "bench", Some(key))
        .unwrap();
}

fn export_inc(centre: &Path, base: &Path, out: &Path, key: &CentreKey) {
    let _ = std::fs::remove_file(out);
    let _ = std::fs::remove_file(lamppost_data::store::package::manifest_path(out));
    Store::open(centre, Access::ReadOnly)
        .unwrap()
        .export_increment(base, out, "bench", key)
        .unwrap();
}

impl Setup {
    /// A fresh workstation at version 1 (its key file beside it too).
    fn workstation(&self) -> PathBuf {
        let ws = self.dir.path().join("ws.sqlite");
        for suffix in ["", "-wal", "-shm", ".previous"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", ws.display()));
        }
        std::fs::copy(&self.ws1, &ws).unwrap();
        let beside = lamppost_data::store::auth::key_file_beside(&ws);
        std::fs::copy(
            lamppost_data::store::auth::key_file_beside(&self.ws1),
            beside,
        )
        .unwrap();
        ws
    }

    fn install(&self, package: &Path) -> f64 {
        let ws = self.workstation();
        let t = Instant::now();
        let done = install_package(package, &ws, HOW).unwrap();
        let s = t.elapsed().as_secs_f64();
        assert!(done.fallback.is_none());
        s
    }

    fn content_matches(&self) {
        let ws = self.workstation();
        install_package(&self.inc2, &ws, HOW).unwrap();
        let a = Store::open(&ws, Access::ReadOnly).unwrap();
        let b = Store::open(&self.centre, Access::ReadOnly).unwrap();
        assert_eq!(a.content_hash().unwrap(), b.content_hash().unwrap());
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn size(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1e6)
}

/// Merges `logs` workstation call logs of `calls` calls each into one centre log; prints the
/// time and sizes.
fn calls_merge(root: &Path, logs: usize, calls: usize) {
    use lamppost_data::calllog::{CallLog, NewCall, PositionKind};
    let dir = root.join(format!("calllogs-{logs}x{calls}"));
    std::fs::create_dir_all(&dir).unwrap();
    let started = Instant::now();
    let mut sources = Vec::new();
    for w in 0..logs {
        let path = dir.join(format!("ws{w:02}.sqlite"));
        if !path.exists() {
            let partial = dir.join(format!("ws{w:02}.partial"));
            let _ = std::fs::remove_file(&partial);
            let mut log = CallLog::open(&partial).unwrap();
            let t0 = chrono::Utc::now() - chrono::Duration::days(1);
            for i in 0..calls {
                log.append_at(
                    &NewCall {
                        operator: format!("接警员{}", i % 7),
                        query: format!("24{:05}", i % 100_000),
                        code: format!("2-4{}-{:04}", i % 10, i % 10_000),
                        street: "重慶北路一段".into(),
                        pole_no: Some((i % 200) as i64),
                        address: "臺北市大同區重慶北路一段".into(),
                        readback: "重慶北路一段 第34号灯杆（东侧）".into(),
                        lat_lon_deg: Some((25.05, 121.51)),
                        position: PositionKind::Surveyed,
                        radius_m: None,
                        dataset: "synth".into(),
                        data_version: 1,
                        caller: None,
                    },
                    t0 + chrono::Duration::seconds(i as i64),
                )
                .unwrap();
            }
            drop(log);
            std::fs::rename(&partial, &path).unwrap();
        }
        sources.push(path);
    }
    let made = started.elapsed().as_secs_f64();
    let src_bytes: u64 = sources.iter().map(|p| size(p)).sum();
    let out = root.join("centre-calls.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", out.display()));
    }
    let mut centre = CallLog::open(&out).unwrap();
    let t = Instant::now();
    let counts = centre.merge_from(&sources).unwrap();
    let first = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let again = centre.merge_from(&sources).unwrap();
    let second = t.elapsed().as_secs_f64();
    drop(centre);
    println!(
        "\ncalls merge: {logs} workstation logs x {calls} calls ({} in all; logs made or found in {made:.1} s, {} together)",
        logs * calls,
        mb(src_bytes)
    );
    println!(
        "  first merge   {first:8.3} s  ({} calls added, {:.0} calls/s)",
        counts.calls_added,
        counts.calls_added as f64 / first
    );
    println!(
        "  merge again   {second:8.3} s  ({} added, {} known: nothing duplicated)",
        again.calls_added, again.calls_known
    );
    println!("  merged log    {}", mb(size(&out)));
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = if full {
        std::env::var("LAMPPOST_BENCH_ROWS").ok().map_or_else(
            || vec![100_000],
            |v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        )
    } else {
        vec![2_000]
    };
    let runs = if full {
        std::env::var("LAMPPOST_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3)
    } else {
        1
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tmp");
    std::fs::create_dir_all(&root).unwrap();
    let table_only = std::env::var_os("LAMPPOST_BENCH_TABLE_ONLY").is_some();
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(if full { 20 } else { 1 }))
        .warm_up_time(Duration::from_millis(if full { 500 } else { 10 }))
        .configure_from_args();

    for (i, &n) in sizes.iter().enumerate() {
        let s = setup(&root, n);
        s.content_matches();
        if i == 0 && !table_only {
            let mut g = c.benchmark_group(format!("packages_{n}"));
            g.bench_function("full/export", |b| {
                b.iter(|| export_full(&s.centre, &s.full2, &s.key));
            });
            let full1 = s.dir.path().join("share").join("v1.sqlite");
            g.bench_function("increment/export", |b| {
                b.iter(|| export_inc(&s.centre, &full1, &s.inc2, &s.key));
            });
            for (name, pkg) in [("full/install", &s.full2), ("increment/install", &s.inc2)] {
                g.bench_function(name, |b| {
                    b.iter_batched(
                        || s.workstation(),
                        |ws| install_package(pkg, &ws, HOW).unwrap(),
                        BatchSize::PerIteration,
                    );
                });
            }
            g.finish();
        }
        let full1 = s.dir.path().join("share").join("v1.sqlite");
        let (mut fe, mut ie, mut fi, mut ii) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let t = Instant::now();
            export_full(&s.centre, &s.full2, &s.key);
            fe.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            export_inc(&s.centre, &full1, &s.inc2, &s.key);
            ie.push(t.elapsed().as_secs_f64());
            fi.push(s.install(&s.full2));
            ii.push(s.install(&s.inc2));
        }
        let (fe, ie, fi, ii) = (median(fe), median(ie), median(fi), median(ii));
        let (fs, is) = (size(&s.full2), size(&s.inc2));
        println!(
            "\npackages at {n} poles, {} changed (1%), median of {runs} runs:",
            s.changed
        );
        println!("                 full          incremental   ratio");
        println!(
            "  size     {:>12}  {:>12}   {:.4}",
            mb(fs),
            mb(is),
            is as f64 / fs as f64
        );
        println!("  export   {fe:>10.3} s  {ie:>10.3} s   {:.3}", ie / fe);
        println!("  install  {fi:>10.3} s  {ii:>10.3} s   {:.3}", ii / fi);
        drop(s);
    }
    if let Some(spec) = std::env::var("LAMPPOST_BENCH_CALLS").ok().filter(|_| full) {
        let (logs, calls) = spec.split_once('x').unwrap();
        calls_merge(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"),
            logs.parse().unwrap(),
            calls.parse().unwrap(),
        );
    } else if !full {
        let dir = tempfile::tempdir_in(&root).unwrap();
        calls_merge(dir.path(), 2, 50);
    }
}
