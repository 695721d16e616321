//! Start-up: from nothing to the first answer, with the persisted index file beside the
//! database (`lamppost_search::persist`) and, in the same run, the baseline of rebuilding the
//! index from SQLite (what every start did before). Also one CLI `lookup` at the largest size,
//! process start included, beside `lamppost --version` (a bare process start), the index file's
//! size and the memory each way holds.
//!
//! `cargo bench --bench start` measures 10k, 100k and 1M poles; `LAMPPOST_BENCH_SIZES=10000`
//! narrows it. Without `--bench` (as `cargo test --benches` runs it) only 10k, briefly.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use lamppost_search::{SearchIndex, persist};

use common::database;

/// The first ready state of the window: the database opened, the index ready, one code found.
fn start(db: &Path, code: &str, rebuild: bool) -> usize {
    let index = if rebuild {
        SearchIndex::build(db).unwrap()
    } else {
        SearchIndex::open(db).unwrap()
    };
    assert_eq!(index.is_mapped(), !rebuild);
    index.lookup(code).unwrap() as usize + index.len()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = match std::env::var("LAMPPOST_BENCH_SIZES") {
        Ok(s) => s.split(',').filter_map(|x| x.trim().parse().ok()).collect(),
        Err(_) if full => vec![10_000, 100_000, 1_000_000],
        Err(_) => vec![10_000],
    };
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(if full { 500 } else { 50 }))
        .measurement_time(Duration::from_millis(if full { 3000 } else { 100 }));
    let bin = env!("CARGO_BIN_EXE_lamppost");

    for &n in &sizes {
        let db = database(n);
        // The file is written by the first open (not timed).
        let built = SearchIndex::build(&db).unwrap();
        let code = built.pole(built.len() as u32 / 2).code().to_owned();
        let opened = SearchIndex::open(&db).unwrap();
        let opened = if opened.is_mapped() {
            opened
        } else {
            SearchIndex::open(&db).unwrap()
        };
        let store =
            lamppost_data::store::Store::open(&db, lamppost_data::store::Access::ReadOnly).unwrap();
        let file = persist::path_for(
            &db,
            store.data_version().unwrap(),
            &store.content_stamp().unwrap(),
        );
        let file_mb = std::fs::metadata(&file).map_or(0, |m| m.len()) as f64 / 1e6;
        println!(
            "start-{n}: index file {file_mb:.1} MB; heap held: rebuilt {:.1} MB, mapped {:.1} MB \
             (the mapped file's pages are shared page cache)",
            built.heap_bytes() as f64 / 1e6,
            opened.heap_bytes() as f64 / 1e6
        );
        drop((built, opened));

        let mut g = c.benchmark_group(format!("start-{n}"));
        g.bench_function(BenchmarkId::new("open with the index file", n), |b| {
            b.iter(|| start(&db, &code, false));
        });
        g.bench_function(BenchmarkId::new("baseline rebuild from SQLite", n), |b| {
            b.iter(|| start(&db, &code, true));
        });
        if n == *sizes.iter().max().unwrap_or(&n) {
            g.bench_function(
                BenchmarkId::new("CLI lookup, process start included", n),
                |b| {
                    b.iter(|| {
                        let out = Command::new(bin)
                            .arg("--db")
                            .arg(&db)
                            .args(["lookup", &code])
                            .output()
                            .unwrap();
                        assert!(out.status.success());
                    });
                },
            );
            g.bench_function(BenchmarkId::new("baseline lamppost --version", n), |b| {
                b.iter(|| {
                    let out = Command::new(bin).arg("--version").output().unwrap();
                    assert!(out.status.success());
                });
            });
        }
        g.finish();
    }
    c.final_summary();
}
