//! Tile speed: `MBTiles` read + decode (warm) beside its baselines, the UI-thread cost of a map
//! frame that asks for 30 cached tiles, and the basemap builder's throughput.
//!
//! `cargo bench --no-default-features --bench tiles` runs everything. Without `--bench` (as
//! under `cargo test`) each benchmark runs briefly as a smoke test.
//!
//! - `read+decode` reads one 256 px PNG tile of `assets/basemap/world.mbtiles` through
//!   [`MbTiles`] and decodes it; beside it, `blob read` (the same `SQLite` query alone) and
//!   `png decode` (the same bytes decoded alone), so the overhead of our layer shows.
//! - `frame: 30 cached tiles` is what the walkers adapter does on the UI thread each frame.
//! - `build` renders and encodes tiles of the Taipei demo data in parallel; throughput is in
//!   tiles per second, printed with the core count.

// Benchmark code: a failed unwrap is a failed benchmark.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use lamppost_basemap::{LoaderConfig, MbTiles, TileId, TileLoader, TileSource as _, decode_tile};
use lamppost_basemap_builder::build::{self, Basemap};
use rayon::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let mut c = Criterion::default().configure_from_args();
    if !full {
        c = c
            .sample_size(10)
            .warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(100));
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    // --- Read + decode, warm.
    let world = root().join("assets/basemap/world.mbtiles");
    let id = TileId::new(4, 13, 6).unwrap(); // East Asia
    let mut m = MbTiles::open(&world).unwrap();
    let bytes = m.read(id).unwrap().unwrap();
    let size = decode_tile(&bytes).unwrap().width;
    let mut g = c.benchmark_group(format!("mbtiles-{size}px-png-{}B", bytes.len()));
    g.bench_function("read+decode", |b| {
        b.iter(|| {
            let blob = m.read(black_box(id)).unwrap().unwrap();
            black_box(decode_tile(&blob).unwrap())
        });
    });
    g.bench_function("baseline: blob read", |b| {
        b.iter(|| black_box(m.read(black_box(id)).unwrap()));
    });
    g.bench_function("baseline: png decode", |b| {
        b.iter(|| black_box(decode_tile(black_box(&bytes)).unwrap()));
    });
    g.finish();

    // --- A frame's worth of cached tiles, on the calling (UI) thread.
    let loader = TileLoader::spawn(
        vec![Box::new(MbTiles::open(&world).unwrap())],
        LoaderConfig::default(),
        Arc::new(|| {}),
    );
    let frame: Vec<TileId> = (0..6)
        .flat_map(|x| (0..5).map(move |y| TileId::new(4, 10 + x, 4 + y).unwrap()))
        .collect();
    for &t in &frame {
        let _ = loader.get(t);
    }
    assert!(loader.wait_idle(Duration::from_secs(30)));
    let mut g = c.benchmark_group("ui-frame");
    g.bench_function("frame: 30 cached tiles", |b| {
        b.iter(|| {
            for &t in &frame {
                black_box(loader.get(t));
            }
        });
    });
    g.finish();

    // --- Builder throughput on the Taipei demo data (shared data beside the checkout).
    let data = root().join("../shared/data/taipei-osm");
    if data.join("tpe_roads.geojson").is_file() {
        let mut opts = build::default_options(&data.join("tpe_roads.geojson"), Path::new("x"));
        opts.water = Some(data.join("tpe_water.geojson"));
        opts.landuse = Some(data.join("tpe_landuse.geojson"));
        opts.buildings = Some(data.join("tpe_buildings.geojson"));
        opts.pois = Some(data.join("tpe_pois.geojson"));
        opts.transit = Some(data.join("tpe_transit.geojson"));
        let basemap = Basemap::load(&opts).unwrap();
        let mut g = c.benchmark_group(format!("build-{cores}-cores"));
        g.sample_size(10);
        let (zooms, per_batch): (&[u8], usize) = if full { (&[14, 16], 24) } else { (&[14], 4) };
        for &z in zooms {
            let labels = basemap.labels(z, 256);
            let tiles: Vec<TileId> = build::tiles_in(&basemap.extent(), z)
                .into_iter()
                .take(per_batch)
                .collect();
            g.throughput(Throughput::Elements(tiles.len() as u64));
            g.bench_with_input(
                BenchmarkId::new("render+encode 256px", z),
                &tiles,
                |b, tiles| {
                    b.iter(|| {
                        tiles.par_iter().for_each(|&t| {
                            let img = basemap.render(t, 256, &labels);
                            black_box(build::encode_palette_png(&img).unwrap());
                        });
                    });
                },
            );
        }
        g.finish();
        let mut g = c.benchmark_group("labels");
        g.sample_size(10);
        for &z in zooms {
            g.bench_function(BenchmarkId::new("place one zoom", z), |b| {
                b.iter(|| black_box(basemap.labels(z, 256)));
            });
        }
        g.finish();

        // One whole build, timed once, for the headline tiles/s.
        if full {
            let out = root().join("target/bench-data/taipei-bench.mbtiles");
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            opts.out = out;
            let t = Instant::now();
            let s = build::build(&opts, &mut |_| {}).unwrap();
            let secs = t.elapsed().as_secs_f64();
            println!(
                "\nwhole build z12-17, 256 px: {} tiles, {:.1} MB in {:.1} s = {:.0} tiles/s on {} cores ({} threads)",
                s.tiles,
                s.bytes as f64 / 1_048_576.0,
                secs,
                s.tiles as f64 / secs,
                cores,
                s.threads
            );
        }
    } else {
        println!("taipei-osm data not found beside the checkout; builder benchmark skipped");
    }
    println!("cores: {cores}");
    c.final_summary();
}
