//! Import speed, beside a baseline in the same run.
//!
//! `cargo bench --no-default-features --bench import` imports N synthetic poles
//! (`LAMPPOST_BENCH_ROWS`, default 100,000; set 1000000 for a million) from a canonical CSV:
//! 1. `empty/lamppost`: `import` end to end into an empty database (detection pass, decode,
//!    mapping, validation, diff, writes with `pole_history`, street checks, commit);
//! 2. `empty/baseline`: a minimal loop, csv `ByteRecord` → sort by code → `INSERT` into the
//!    same schema in one transaction, the secondary index built after (so the same primary key
//!    and indexes at the end), no validation, no history; with the import's journal and page
//!    cache size (`IMPORT_CACHE_KIB`);
//! 3. `dry_run/lamppost`: a dry run of the same file with 1% of the rows changed against the
//!    database holding all N (every row is looked up and compared, writes rolled back).
//!
//! 4. `empty/xlsx` and `empty/shapefile`: the same N rows as an Excel workbook (written with
//!    `rust_xlsxwriter`) and as a point Shapefile (UTF-8 `.dbf` with a `.cpg`, unsurveyed poles
//!    as null shapes), imported into an empty database; the goal is at most 3× the CSV import.
//!
//! Criterion reports each; a table of medians (5 runs each, `LAMPPOST_BENCH_RUNS`) and the
//! ratio, by wall time and by CPU time, is printed at the end. `LAMPPOST_BENCH_TABLE_ONLY=1`
//! skips criterion and prints only the table (for a million rows); `LAMPPOST_BENCH_CSV_ONLY=1`
//! leaves out the workbook and the Shapefile. Without `--bench` (as under `cargo test`) a 2,000-row smoke run is made.

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

/// The canonical CSV's rows as text.
fn csv_rows(csv: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut rdr = csv::Reader::from_path(csv).unwrap();
    let header = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

/// The same rows as an `.xlsx` workbook: text cells, and numbers for the pole number and the
/// coordinates (as a surveyor's sheet has them).
fn xlsx_file(dir: &Path, csv: &Path) -> PathBuf {
    let (header, rows) = csv_rows(csv);
    let path = csv.with_extension("xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            match (c, v.parse::<f64>()) {
                (3 | 5 | 6, Ok(x)) => sheet.write_number(r, c as u16, x).unwrap(),
                _ => sheet.write_string(r, c as u16, v).unwrap(),
            };
        }
    }
    book.save(&path).unwrap();
    let _ = dir;
    path
}

/// The same rows as a point Shapefile, written by hand (the format is small): `.shp` and
/// `.shx` with a point per surveyed pole and a null shape for the others, a dBase III `.dbf`
/// in UTF-8 (field names of at most 10 characters that the import recognises) and a `.cpg`.
fn shapefile(csv: &Path) -> PathBuf {
    let (_, rows) = csv_rows(csv);
    let shp = csv.with_extension("shp");
    // Attribute columns of the canonical CSV and their .dbf names (lat/lon are the geometry).
    let fields: [(usize, &str); 11] = [
        (0, "code"),
        (1, "roadcode"),
        (2, "street"),
        (3, "pole_no"),
        (4, "side"),
        (7, "address"),
        (8, "landmark"),
        (9, "cross"),
        (10, "station"),
        (11, "status"),
        (12, "note"),
    ];
    let widths: Vec<usize> = fields
        .iter()
        .map(|(c, _)| {
            rows.iter()
                .map(|r| r[*c].len())
                .max()
                .unwrap_or(1)
                .clamp(1, 254)
        })
        .collect();
    let points: Vec<Option<(f64, f64)>> = rows
        .iter()
        .map(|r| Some((r[6].parse().ok()?, r[5].parse().ok()?)))
        .collect();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (x, y) in points.iter().flatten() {
        (x0, y0, x1, y1) = (x0.min(*x), y0.min(*y), x1.max(*x), y1.max(*y));
    }
    let header = |words: usize| {
        let mut h = vec![0u8; 100];
        h[0..4].copy_from_slice(&9994i32.to_be_bytes());
        h[24..28].copy_from_slice(&(words as i32).to_be_bytes());
        h[28..32].copy_from_slice(&1000i32.to_le_bytes());
        h[32..36].copy_from_slice(&1i32.to_le_bytes());
        for (i, v) in [x0, y0, x1, y1].iter().enumerate() {
            h[36 + 8 * i..44 + 8 * i].copy_from_slice(&v.to_le_bytes());
        }
        h
    };
    // Lengths and offsets in a Shapefile count 16-bit words.
    let words = |bytes: usize| bytes / 2;
    let mut body = Vec::new();
    let mut index = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let content: Vec<u8> = match p {
            Some((x, y)) => [
                1i32.to_le_bytes().as_slice(),
                &x.to_le_bytes(),
                &y.to_le_bytes(),
            ]
            .concat(),
            None => 0i32.to_le_bytes().to_vec(),
        };
        index.extend_from_slice(&(words(100 + body.len()) as i32).to_be_bytes());
        index.extend_from_slice(&((content.len() / 2) as i32).to_be_bytes());
        body.extend_from_slice(&(i as i32 + 1).to_be_bytes());
        body.extend_from_slice(&((content.len() / 2) as i32).to_be_bytes());
        body.extend_from_slice(&content);
    }
    std::fs::write(&shp, [header(words(100 + body.len())), body].concat()).unwrap();
    std::fs::write(
        shp.with_extension("shx"),
        [header(words(100 + index.len())), index].concat(),
    )
    .unwrap();
    let record_len = 1 + widths.iter().sum::<usize>();
    let header_len = 32 + 32 * fields.len() + 1;
    let mut dbf = vec![0u8; 32];
    dbf[0] = 0x03;
    dbf[1..4].copy_from_slice(&[126, 12, 5]);
    dbf[4..8].copy_from_slice(&(rows.len() as u32).to_le_bytes());
    dbf[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
    dbf[10..12].copy_from_slice(&(record_len as u16).to_le_bytes());
    for ((_, name), w) in fields.iter().zip(&widths) {
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name.as_bytes());
        d[11] = b'C';
        d[16] = *w as u8;
        dbf.extend_from_slice(&d);
    }
    dbf.push(0x0D);
    for r in &rows {
        dbf.push(b' ');
        for ((c, _), w) in fields.iter().zip(&widths) {
            let v = r[*c].as_bytes();
            dbf.extend_from_slice(&v[..v.len().min(*w)]);
            dbf.extend(std::iter::repeat_n(b' ', w - v.len().min(*w)));
        }
    }
    dbf.push(0x1A);
    std::fs::write(shp.with_extension("dbf"), dbf).unwrap();
    std::fs::write(shp.with_extension("cpg"), "UTF-8").unwrap();
    shp
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
    // The import's settings: the same journal, the same page cache.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{};",
        lamppost_data::store::write::IMPORT_CACHE_KIB
    ))
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
    // `LAMPPOST_BENCH_CSV_ONLY=1` leaves out the workbook and the Shapefile (writing a
    // million-row workbook alone takes minutes on the shared machine).
    let csv_only = std::env::var_os("LAMPPOST_BENCH_CSV_ONLY").is_some();
    let xlsx = if csv_only {
        file.clone()
    } else {
        xlsx_file(dir.path(), &file)
    };
    let shp = if csv_only {
        file.clone()
    } else {
        shapefile(&file)
    };
    for other in [&xlsx, &shp].into_iter().filter(|_| !csv_only) {
        let db = fresh_db(dir.path());
        assert_eq!(lamppost_import(&db, other), n as u64, "{}", other.display());
        drop_db(&db);
    }

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
        for (name, path) in [("empty/xlsx", &xlsx), ("empty/shapefile", &shp)] {
            g.bench_function(name, |b| {
                b.iter_batched(
                    || fresh_db(dir.path()),
                    |db| {
                        lamppost_import(&db, path);
                        drop_db(&db);
                    },
                    BatchSize::PerIteration,
                );
            });
        }
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
    let (mut xl, mut sh) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        for (path, times) in [(&xlsx, &mut xl), (&shp, &mut sh)]
            .into_iter()
            .filter(|_| !csv_only)
        {
            let db = fresh_db(dir.path());
            let t = Instant::now();
            lamppost_import(&db, path);
            times.push(t.elapsed().as_secs_f64());
            drop_db(&db);
        }
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
    if csv_only {
        return;
    }
    let (x, s) = (median(xl), median(sh));
    println!(
        "  the same rows as .xlsx                    {x:8.3} s  ({:.2}× the CSV import; goal ≤ 3)",
        x / o
    );
    println!(
        "  the same rows as a Shapefile              {s:8.3} s  ({:.2}× the CSV import; goal ≤ 3)",
        s / o
    );
}
