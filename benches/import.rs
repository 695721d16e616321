//! Import speed, beside a baseline in the same run.
//!
//! `cargo bench --no-default-features --bench import` imports N synthetic poles
//! (`LAMPPOST_BENCH_ROWS`, default 100,000; set 1000000 for a million) from a canonical CSV:
//! 1. `empty/lamppost`: `import` end to end into an empty database (detection pass, decode,
//!    mapping, validation, diff, writes with `pole_history`, street checks, commit);
//! 2. `empty/baseline`: a minimal loop, csv `ByteRecord` → sort by code → `INSERT` into the
//!    same schema in one transaction, the secondary index built after (so the same primary key
//!    and indexes at the end), no validation, no history;
//! 3. `dry_run/lamppost`: a dry run of the same file with 1% of the rows changed against the
//!    database holding all N (every row is looked up and compared, writes rolled back).
//!
//! Criterion reports each; a table of medians (5 runs each, `LAMPPOST_BENCH_RUNS`) and the
//! ratio, by wall time and by CPU time, is printed at the end. `LAMPPOST_BENCH_TABLE_ONLY=1`
//! skips criterion and prints only the table (for a million rows). Without `--bench` (as under `cargo test`) a 2,000-row smoke run is made.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cpu_time::ProcessTime;
use criterion::{BatchSize, Criterion};
use lamppost_data::store::Store;
use lamppost_demo_data::synth::Synth;
use lamppost_import::{Options, import_path};

const SEED: u64 = 20_261_128;

/// Writes the canonical CSV of `n` synthetic poles; with `changed`, every hundredth pole has a
/// different status.
fn csv_file(dir: &Path, n: usize, changed: bool) -> PathBuf {
    let path = dir.join(format!("poles-{n}-{changed}.csv"));
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    Synth::new(n, SEED)
        .write_canonical_csv(&mut w, changed.then_some(100))
        .unwrap();
    std::io::Write::flush(&mut w).unwrap();
    path
}

fn opts(dry_run: bool) -> Options {
    Options {
        applied_by: "bench".into(),
        dry_run,
        ..Options::default()
    }
}

fn fresh_db(dir: &Path) -> PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!("empty-{k}.sqlite"));
    Store::create(&path).unwrap();
    path
}

fn drop_db(path: &Path) {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
}

fn lamppost_import(db: &Path, file: &Path) -> u64 {
    let mut store = Store::open(db, lamppost_data::store::Access::ReadWrite).unwrap();
    let r = import_path(&mut store, file, &opts(false)).unwrap();
    assert!(
        r.applied && r.rejected_total == 0,
        "{:?}",
        r.rejected.first()
    );
    r.added
}

/// The minimal loop the issue names: parse each record, sort by code, insert in one
/// transaction into the same schema, and build the secondary index after (dropped first,
/// created again with its own SQL, so the final indexes are the same as the import's).
/// Streets are inserted as they appear. No validation, no diff, no history, no report.
fn baseline_import(db: &Path, file: &Path) -> u64 {
    type Row = (String, Vec<Vec<u8>>);
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .unwrap();
    let index_sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'poles_by_street'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut rdr = csv::Reader::from_path(file).unwrap();
    let mut rec = csv::ByteRecord::new();
    let mut rows: Vec<Row> = Vec::new();
    while rdr.read_byte_record(&mut rec).unwrap() {
        let key =
            lamppost_core::code::normalize_strict(std::str::from_utf8(&rec[0]).unwrap()).unwrap();
        rows.push((key, rec.iter().map(<[u8]>::to_vec).collect()));
    }
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let tx = conn.transaction().unwrap();
    tx.execute_batch("DROP INDEX poles_by_street").unwrap();
    {
        let mut ins = tx
            .prepare(
                "INSERT INTO poles(code, code_display, street_code, pole_no, side, lat_deg,
                 lon_deg, address, landmark, cross_street, jurisdiction, status, note, version)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1)",
            )
            .unwrap();
        let mut street = tx
            .prepare("INSERT OR IGNORE INTO streets(street_code, name) VALUES (?1, ?2)")
            .unwrap();
        let mut last_street = Vec::new();
        for (key, rec) in &rows {
            let f = |i: usize| std::str::from_utf8(&rec[i]).unwrap();
            if rec[1] != last_street[..] {
                street.execute([f(1), f(2)]).unwrap();
                last_street.clone_from(&rec[1]);
            }
            let num = |i: usize| f(i).parse::<f64>().ok();
            ins.execute(rusqlite::params![
                key,
                f(0),
                f(1),
                f(3).parse::<u32>().ok(),
                f(4),
                num(5),
                num(6),
                f(7),
                f(8),
                f(9),
                f(10),
                f(11),
                f(12)
            ])
            .unwrap();
        }
    }
    tx.execute_batch(&index_sql).unwrap();
    tx.commit().unwrap();
    rows.len() as u64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = if full {
        std::env::var("LAMPPOST_BENCH_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000)
    } else {
        2_000
    };
    let dir = tempfile::tempdir().unwrap();
    let file = csv_file(dir.path(), n, false);
    let edited = csv_file(dir.path(), n, true);
    let existing = fresh_db(dir.path());
    assert_eq!(lamppost_import(&existing, &file), n as u64);

    // For a million rows, where ten criterion samples of each take a quarter of an hour on the
    // shared machine: `LAMPPOST_BENCH_TABLE_ONLY=1` skips criterion and prints only the table.
    let table_only = std::env::var_os("LAMPPOST_BENCH_TABLE_ONLY").is_some();
    let mut c = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(if full { 20 } else { 1 }))
        .warm_up_time(Duration::from_millis(if full { 500 } else { 10 }))
        .configure_from_args();
    if !table_only {
        let mut g = c.benchmark_group(format!("import_{n}"));
        g.bench_function("empty/lamppost", |b| {
            b.iter_batched(
                || fresh_db(dir.path()),
                |db| {
                    lamppost_import(&db, &file);
                    drop_db(&db);
                },
                BatchSize::PerIteration,
            );
        });
        g.bench_function("empty/baseline", |b| {
            b.iter_batched(
                || fresh_db(dir.path()),
                |db| {
                    baseline_import(&db, &file);
                    drop_db(&db);
                },
                BatchSize::PerIteration,
            );
        });
        g.bench_function("dry_run/lamppost", |b| {
            let mut store =
                Store::open(&existing, lamppost_data::store::Access::ReadWrite).unwrap();
            b.iter(|| {
                let r = import_path(&mut store, &edited, &opts(true)).unwrap();
                assert_eq!(r.changed as usize, n.div_ceil(100));
            });
        });
        g.finish();
    }

    // Medians of 5 runs each, and the ratio, in one table.
    let runs = if full {
        std::env::var("LAMPPOST_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5)
    } else {
        1
    };
    // Wall time, and the process's CPU time (user + system), which a machine shared with other
    // builds disturbs much less than the wall time.
    let (mut ours, mut base, mut dry) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ours_cpu, mut base_cpu) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let db = fresh_db(dir.path());
        let (t, c) = (Instant::now(), ProcessTime::now());
        lamppost_import(&db, &file);
        ours.push(t.elapsed().as_secs_f64());
        ours_cpu.push(c.elapsed().as_secs_f64());
        drop_db(&db);
        let db = fresh_db(dir.path());
        let (t, c) = (Instant::now(), ProcessTime::now());
        baseline_import(&db, &file);
        base.push(t.elapsed().as_secs_f64());
        base_cpu.push(c.elapsed().as_secs_f64());
        drop_db(&db);
        let mut store = Store::open(&existing, lamppost_data::store::Access::ReadWrite).unwrap();
        let t = Instant::now();
        import_path(&mut store, &edited, &opts(true)).unwrap();
        dry.push(t.elapsed().as_secs_f64());
    }
    let (o, b, d) = (median(ours), median(base), median(dry));
    let (oc, bc) = (median(ours_cpu), median(base_cpu));
    println!("\nimport of {n} rows, median of {runs} runs:");
    println!(
        "  lamppost import into an empty database   {o:8.3} s  ({:.0} rows/s)",
        n as f64 / o
    );
    println!(
        "  baseline parse-and-insert loop            {b:8.3} s  ({:.0} rows/s)",
        n as f64 / b
    );
    println!("  ratio lamppost / baseline                 {:8.2}", o / b);
    println!(
        "  CPU time: lamppost {oc:.3} s, baseline {bc:.3} s, ratio {:.2}",
        oc / bc
    );
    println!(
        "  dry run against {n} stored poles       {d:8.3} s  ({:.0} rows/s)",
        n as f64 / d
    );
}
