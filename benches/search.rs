//! Search speed at 10k, 100k and 1M poles, each beside its baseline in the same run.
//!
//! `cargo bench --no-default-features --bench search` runs everything (the 1M database is
//! generated once into `target/bench-data/`, which takes a minute). Without `--bench` (as under
//! `cargo test`) only a 10k smoke run is made.
//!
//! Criterion measures medians for exact lookup (beside a `HashMap<String, u32>` lookup), a
//! mistyped code ranked by the noisy-channel model (default and learnt from a call log, beside
//! the unranked one-edit lookups it is made of), nearest pole (beside rstar's R-tree) and the
//! index build. Percentiles per keystroke, which criterion
//! does not give, are measured directly and printed as a table at the end, and so is the
//! nearest pole for one cold query (points asked once, beside the R-tree on the same points).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{SEED, database};
use criterion::{BenchmarkId, Criterion};
use lamppost_core::geo::LatLon;
use lamppost_data::store::{Access, Store};
use lamppost_demo_data::synth::Rng;
use lamppost_search::{ErrorModel, SearchIndex};

mod common;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

struct Workload {
    codes: Vec<String>,
    typos: Vec<String>,
    streets: Vec<String>,
    points: Vec<LatLon>,
}

fn workload(index: &SearchIndex, n: usize) -> Workload {
    let mut rng = Rng::new(SEED ^ 0xABCD);
    let mut codes = Vec::new();
    let mut typos = Vec::new();
    let mut streets = Vec::new();
    let mut points = Vec::new();
    for _ in 0..n {
        let id = rng.below(index.len() as u64) as u32;
        let p = index.pole(id);
        let code = p.code().to_owned();
        // One digit changed: the search must fall back to typos.
        let mut bytes = code.clone().into_bytes();
        let i = rng.below(bytes.len() as u64) as usize;
        bytes[i] = b'0' + ((bytes[i] - b'0' + 1 + rng.below(8) as u8) % 10);
        typos.push(String::from_utf8(bytes).unwrap());
        codes.push(code);
        let name = lamppost_core::text::fold(&p.street().name);
        let keys = lamppost_core::text::pinyin_keys(&p.street().name);
        let q = match rng.below(3) {
            0 => format!("{name} {}", p.pole_no().unwrap_or(1)),
            1 => format!("{}{}", keys.initials[0], p.pole_no().unwrap_or(1)),
            _ => name,
        };
        streets.push(q);
        points.push(p.point().unwrap_or(LatLon::new(34.0, 113.0)));
    }
    Workload {
        codes,
        typos,
        streets,
        points,
    }
}

/// Every one-edit variant of `key` (digits only) looked up exactly, unranked: what a typo
/// search must at least do before the model ranks anything.
fn one_edit_lookups(index: &SearchIndex, key: &str) -> usize {
    let k = key.as_bytes();
    let mut found = 0;
    let mut buf = Vec::with_capacity(k.len() + 1);
    let mut look = |b: &[u8]| {
        if index.lookup(std::str::from_utf8(b).unwrap()).is_some() {
            found += 1;
        }
    };
    for i in 0..k.len() {
        buf.clear();
        buf.extend_from_slice(&k[..i]);
        buf.extend_from_slice(&k[i + 1..]);
        look(&buf);
        if i + 1 < k.len() {
            buf.clear();
            buf.extend_from_slice(k);
            buf.swap(i, i + 1);
            look(&buf);
        }
        for c in b'0'..=b'9' {
            buf.clear();
            buf.extend_from_slice(k);
            buf[i] = c;
            look(&buf);
        }
    }
    for i in 0..=k.len() {
        for c in b'0'..=b'9' {
            buf.clear();
            buf.extend_from_slice(&k[..i]);
            buf.push(c);
            buf.extend_from_slice(&k[i..]);
            look(&buf);
        }
    }
    found
}

/// A model learnt from a busy workstation's log: `calls` calls, one in five mistyped (the
/// workload's typos against their codes), the rest typed right.
fn learnt_model(w: &Workload, calls: usize) -> ErrorModel {
    let pairs: Vec<(&str, &str)> = (0..calls)
        .map(|i| {
            let k = i % w.codes.len();
            let typed = if i % 5 == 0 { &w.typos[k] } else { &w.codes[k] };
            (typed.as_str(), w.codes[k].as_str())
        })
        .collect();
    ErrorModel::learnt_from(pairs)
}

/// Two mistakes made to `key` (digits), each drawn in about the proportions of the default
/// error model: a likely substitution (a digit read or heard as another), a swap, a drop, a
/// doubled digit.
fn two_mistakes(rng: &mut Rng, key: &[u8]) -> Vec<u8> {
    const LIKELY: [(u8, u8); 12] = [
        (b'1', b'7'),
        (b'6', b'9'),
        (b'2', b'6'),
        (b'0', b'6'),
        (b'3', b'8'),
        (b'0', b'8'),
        (b'4', b'5'),
        (b'5', b'6'),
        (b'2', b'5'),
        (b'8', b'9'),
        (b'1', b'2'),
        (b'7', b'8'),
    ];
    let mut out = key.to_vec();
    for _ in 0..2 {
        let i = rng.below(out.len() as u64) as usize;
        match rng.below(10) {
            0..=4 => {
                let c = out[i];
                let options: Vec<u8> = LIKELY
                    .iter()
                    .filter_map(|&(a, b)| (a == c).then_some(b).or((b == c).then_some(a)))
                    .collect();
                out[i] = if options.is_empty() || rng.below(5) == 0 {
                    b'0' + ((c - b'0' + 1 + rng.below(9) as u8) % 10)
                } else {
                    options[rng.below(options.len() as u64) as usize]
                };
            }
            5..=7 if out.len() > 1 => {
                let i = i.min(out.len() - 2);
                out.swap(i, i + 1);
            }
            8 => {
                out.remove(i);
            }
            _ => out.insert(i, out[i]),
        }
    }
    out
}

/// Sorted keys for the baseline exhaustive trie walk (the typo search before the bounded one).
struct Keys(Vec<Vec<u8>>);

impl lamppost_search::typo::SortedKeys for Keys {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn key(&self, i: usize) -> &[u8] {
        &self.0[i]
    }
}

/// Each item timed once, the first time it is asked (cold: as the call-taker meets it).
fn time_once<T>(items: &[T], mut f: impl FnMut(&T)) -> Vec<Duration> {
    items
        .iter()
        .map(|x| {
            let t = Instant::now();
            f(x);
            t.elapsed()
        })
        .collect()
}

/// Street keystrokes (the first character of a street query, and the whole query) and
/// two-mistake codes, each timed cold (once) and warm (the fastest of three more), beside
/// their baselines; and how often the true pole of a two-mistake code is in the first five.
struct Extra {
    one_char: [(Duration, Duration, Duration); 2],
    whole: [(Duration, Duration, Duration); 2],
    baseline_name: (Duration, Duration, Duration),
    two_edit: [(Duration, Duration, Duration); 2],
    two_edit_top5: (usize, usize, usize),
    baseline_walk: (Duration, Duration, Duration),
}

fn extra(index: &SearchIndex, w: &Workload) -> Extra {
    // Streets: the first character of each query, and the whole query.
    let firsts: Vec<&str> = w
        .streets
        .iter()
        .filter_map(|q| q.char_indices().nth(1).map(|(i, _)| &q[..i]))
        .collect();
    let wholes: Vec<&str> = w.streets.iter().map(String::as_str).collect();
    let one_char = [
        percentiles(time_once(&firsts, |q| {
            black_box(index.search(q, 20));
        })),
        percentiles(time_each(&firsts, |q| {
            black_box(index.search(q, 20));
        })),
    ];
    let whole = [
        percentiles(time_once(&wholes, |q| {
            black_box(index.search(q, 20));
        })),
        percentiles(time_each(&wholes, |q| {
            black_box(index.search(q, 20));
        })),
    ];
    // Baseline: one binary search in a sorted array of every street's folded name.
    let mut names: Vec<String> = index
        .streets()
        .iter()
        .map(|s| lamppost_core::text::fold(&s.name))
        .collect();
    names.sort();
    let folded: Vec<String> = firsts
        .iter()
        .chain(&wholes)
        .map(|q| lamppost_core::text::fold(q))
        .collect();
    let baseline_name = percentiles(time_each(&folded, |q| {
        black_box(names.partition_point(|n| n.as_str() < q.as_str()));
    }));

    // Two mistakes that make no code.
    let mut rng = Rng::new(SEED ^ 0x2ED1);
    let mut typed: Vec<(String, u32)> = Vec::new();
    while typed.len() < 200 {
        let id = rng.below(index.len() as u64) as u32;
        let key = index.pole(id).key().as_bytes().to_vec();
        let t = String::from_utf8(two_mistakes(&mut rng, &key)).unwrap();
        if t.len() >= key.len() - 1 && index.lookup(&t).is_none() {
            typed.push((t, id));
        }
    }
    let two_edit = [
        percentiles(time_once(&typed, |(q, _)| {
            black_box(index.search(q, 20));
        })),
        percentiles(time_each(&typed, |(q, _)| {
            black_box(index.search(q, 20));
        })),
    ];
    let top5 = typed
        .iter()
        .filter(|(q, id)| {
            index
                .search(q, 5)
                .hits
                .iter()
                .any(|h| h.target == lamppost_search::Target::Pole(*id))
        })
        .count();
    let mut keys: Vec<Vec<u8>> = (0..index.len() as u32)
        .map(|id| index.pole(id).key().as_bytes().to_vec())
        .collect();
    keys.sort_unstable();
    let keys = Keys(keys);
    let baseline_walk = percentiles(time_each(&typed, |(q, _)| {
        black_box(lamppost_search::typo::within(&keys, q.as_bytes(), 2, 512));
    }));
    // The ceiling: every code within two edits (the exhaustive walk, uncapped) scored by the
    // same model; the true pole counts when fewer than five score above it (ties for it).
    let ceiling = typed
        .iter()
        .filter(|(q, id)| {
            let truth = index.channel_score(q, *id);
            lamppost_search::typo::within(&keys, q.as_bytes(), 2, usize::MAX)
                .into_iter()
                .filter_map(|(i, _)| index.lookup(std::str::from_utf8(&keys.0[i]).unwrap()))
                .filter(|&o| o != *id && index.channel_score(q, o) > truth)
                .nth(4)
                .is_none()
        })
        .count();
    Extra {
        one_char,
        whole,
        baseline_name,
        two_edit,
        two_edit_top5: (top5, ceiling, typed.len()),
        baseline_walk,
    }
}

/// Every prefix of `q`, by characters: what the index sees as the call-taker types.
fn keystrokes(q: &str) -> impl Iterator<Item = &str> {
    q.char_indices()
        .skip(1)
        .map(|(i, _)| &q[..i])
        .chain(std::iter::once(q))
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort_unstable();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99), *v.last().unwrap())
}

/// Times `f` on each item, keeping the fastest of three runs per item: the work itself, not
/// the moments the shared machine's scheduler took the core away.
fn time_each<T>(items: &[T], mut f: impl FnMut(&T)) -> Vec<Duration> {
    items
        .iter()
        .map(|x| {
            (0..3)
                .map(|_| {
                    let t = Instant::now();
                    f(x);
                    t.elapsed()
                })
                .min()
                .unwrap_or_default()
        })
        .collect()
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if full {
        &[10_000, 100_000, 1_000_000]
    } else {
        &[10_000]
    };
    let mut c = Criterion::default().configure_from_args();
    if !full {
        c = c
            .sample_size(10)
            .warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(100));
    }
    let mut table = Vec::new();
    let mut extras = Vec::new();
    let mut nearest_cold = Vec::new();

    for &n in sizes {
        let path = database(n);
        let rss_before = rss_kib();
        let build_started = Instant::now();
        let index = SearchIndex::open(&path).unwrap();
        let build_s = build_started.elapsed().as_secs_f64();
        let rss_after = rss_kib();
        let w = workload(&index, 200);

        let mut g = c.benchmark_group(format!("search-{n}"));
        // Exact lookup beside a plain HashMap<String, u32> of the same codes.
        let mut map: HashMap<String, u32> = HashMap::with_capacity(index.len());
        for id in 0..index.len() as u32 {
            map.insert(index.pole(id).key().to_owned(), id);
        }
        let mut i = 0usize;
        g.bench_function(BenchmarkId::new("exact lookup", n), |b| {
            b.iter(|| {
                i = (i + 1) % w.codes.len();
                black_box(index.lookup(black_box(&w.codes[i])))
            });
        });
        let keys: Vec<String> = w
            .codes
            .iter()
            .map(|c| lamppost_core::code::normalize_lenient(c))
            .collect();
        g.bench_function(
            BenchmarkId::new("baseline HashMap<String,_>::get", n),
            |b| {
                b.iter(|| {
                    i = (i + 1) % keys.len();
                    black_box(map.get(black_box(keys[i].as_str())))
                });
            },
        );
        drop(map);
        // A mistyped code: the search's one-edit candidates ranked by the noisy-channel model
        // (the default weights, then weights and a prior learnt from 20,000 logged calls),
        // beside the unranked exact lookups of the one-edit variants it starts from.
        // Only the mistyped codes that are no code (in a dense dataset many are another valid
        // code, which is an exact lookup).
        let typo_norm: Vec<String> = w
            .typos
            .iter()
            .filter(|c| index.lookup(c).is_none())
            .map(|c| lamppost_core::code::normalize_lenient(c))
            .collect();
        g.bench_function(BenchmarkId::new("mistyped code, default model", n), |b| {
            b.iter(|| {
                i = (i + 1) % typo_norm.len();
                black_box(index.search(black_box(&typo_norm[i]), 20))
            });
        });
        let learnt = std::sync::Arc::new(learnt_model(&w, 20_000));
        index.set_model(std::sync::Arc::clone(&learnt));
        g.bench_function(BenchmarkId::new("mistyped code, learnt model", n), |b| {
            b.iter(|| {
                i = (i + 1) % typo_norm.len();
                black_box(index.search(black_box(&typo_norm[i]), 20))
            });
        });
        index.set_model(std::sync::Arc::new(ErrorModel::default()));
        g.bench_function(
            BenchmarkId::new("baseline one-edit variants looked up, unranked", n),
            |b| {
                b.iter(|| {
                    i = (i + 1) % typo_norm.len();
                    black_box(one_edit_lookups(&index, black_box(&typo_norm[i])))
                });
            },
        );
        // Confusable codes of an existing code: its one-edit variants looked up exactly, about
        // 150 lookups, so about 150 times the exact lookup above, at any dataset size.
        let ids: Vec<u32> = w.codes.iter().filter_map(|c| index.lookup(c)).collect();
        g.bench_function(BenchmarkId::new("confusable codes of a code", n), |b| {
            b.iter(|| {
                i = (i + 1) % ids.len();
                black_box(index.confusables(black_box(ids[i]), lamppost_search::MAX_CONFUSABLES))
            });
        });
        // Nearest pole beside an R-tree (rstar) over the same points.
        let rtree = rstar::RTree::bulk_load(
            (0..index.len() as u32)
                .filter_map(|id| {
                    index
                        .pole(id)
                        .point()
                        .map(|p| rstar::primitives::GeomWithData::new([p.lon_deg, p.lat_deg], id))
                })
                .collect(),
        );
        g.bench_function(BenchmarkId::new("nearest pole", n), |b| {
            b.iter(|| {
                i = (i + 1) % w.points.len();
                black_box(index.nearest(black_box(w.points[i])))
            });
        });
        g.bench_function(BenchmarkId::new("baseline rstar nearest", n), |b| {
            b.iter(|| {
                i = (i + 1) % w.points.len();
                let p = w.points[i];
                black_box(rtree.nearest_neighbor(&[p.lon_deg, p.lat_deg]))
            });
        });
        // Nearest pole, one cold query: 2,000 points none of the runs above asked (a random
        // pole's position moved by up to 50 m), each timed once, first by the index, then by
        // the R-tree (the baseline) on the same points.
        let mut rng = Rng::new(SEED ^ 0x4EA7);
        let fresh: Vec<LatLon> = (0..2000)
            .filter_map(|_| {
                let p = index.pole(rng.below(index.len() as u64) as u32).point()?;
                let d = |r: &mut Rng| (r.below(1001) as f64 - 500.0) * 1e-6;
                Some(LatLon::new(
                    p.lat_deg + d(&mut rng),
                    p.lon_deg + d(&mut rng),
                ))
            })
            .collect();
        let cold_index = percentiles(time_once(&fresh, |p| {
            black_box(index.nearest(*p));
        }));
        let cold_rtree = percentiles(time_once(&fresh, |p| {
            black_box(rtree.nearest_neighbor(&[p.lon_deg, p.lat_deg]));
        }));
        nearest_cold.push((n, cold_index, cold_rtree));
        drop(rtree);
        g.finish();

        // Per-keystroke percentiles.
        let code_keys: Vec<&str> = w.codes.iter().flat_map(|c| keystrokes(c)).collect();
        let street_keys: Vec<&str> = w.streets.iter().flat_map(|c| keystrokes(c)).collect();
        let typo_keys: Vec<&str> = w.typos.iter().map(String::as_str).collect();
        let as_you_type = time_each(&code_keys, |q| {
            black_box(index.search(q, 20));
        });
        let streets = time_each(&street_keys, |q| {
            black_box(index.search(q, 20));
        });
        let typos = time_each(&typo_keys, |q| {
            black_box(index.search(q, 20));
        });
        let nearest = time_each(&w.points, |p| {
            black_box(index.nearest(*p));
        });
        // Every keystroke of every code, and the mistyped codes, as the window handles them
        // with the learnt model: the search, and the confusable codes of an exact hit.
        index.set_model(std::sync::Arc::clone(&learnt));
        let mut learnt_keys = code_keys.clone();
        learnt_keys.extend(typo_keys.iter().copied());
        let with_learnt = time_each(&learnt_keys, |q| {
            let r = index.search(q, 20);
            if let Some(lamppost_search::Hit {
                target: lamppost_search::Target::Pole(id),
                reason: lamppost_search::Reason::Exact,
                ..
            }) = r.hits.first()
            {
                black_box(index.confusables(*id, lamppost_search::MAX_CONFUSABLES));
            }
            black_box(r);
        });
        index.set_model(std::sync::Arc::new(ErrorModel::default()));
        let baseline_typos = time_each(&typo_norm, |q| {
            black_box(one_edit_lookups(&index, q));
        });
        extras.push((n, extra(&index, &w)));
        table.push((
            n,
            build_s,
            rss_before.zip(rss_after).map(|(a, b)| b.saturating_sub(a)),
            index.heap_bytes(),
            percentiles(as_you_type),
            percentiles(streets),
            percentiles(typos),
            percentiles(nearest),
            percentiles(with_learnt),
            percentiles(baseline_typos),
        ));

        // The index build, from the open database.
        if n == *sizes.last().unwrap() || !full {
            let mut g = c.benchmark_group(format!("build-{n}"));
            g.sample_size(10);
            let store = Store::open(&path, Access::ReadOnly).unwrap();
            g.bench_function(BenchmarkId::new("index build from open database", n), |b| {
                b.iter(|| black_box(SearchIndex::from_store(&store).unwrap()));
            });
            // Baseline: only reading the rows (what any index build must pay).
            g.bench_function(BenchmarkId::new("baseline read all rows", n), |b| {
                b.iter(|| {
                    let mut k = 0usize;
                    store.for_each_pole_raw(|p| k += p.key.len()).unwrap();
                    black_box(k)
                });
            });
            g.finish();
        }
    }
    c.final_summary();

    println!("\nper keystroke / query (p50 / p99 / max), µs; index build wall time; memory");
    println!(
        "| poles | build s | RSS +MiB | index heap MiB | code as-you-type | street as-you-type | mistyped code (typo search) | nearest | code keystroke in the window (search + confusables), learnt model | baseline: one-edit lookups, unranked |"
    );
    println!("|---:|---:|---:|---:|---|---|---|---|---|---|");
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    for (n, build_s, rss, heap, a, s, t, ne, l, bt) in table {
        println!(
            "| {n} | {build_s:.2} | {} | {:.0} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.2} / {:.2} / {:.2} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} |",
            rss.map_or("-".into(), |k| format!("{:.0}", k as f64 / 1024.0)),
            heap as f64 / (1024.0 * 1024.0),
            us(a.0),
            us(a.1),
            us(a.2),
            us(s.0),
            us(s.1),
            us(s.2),
            us(t.0),
            us(t.1),
            us(t.2),
            us(ne.0),
            us(ne.1),
            us(ne.2),
            us(l.0),
            us(l.1),
            us(l.2),
            us(bt.0),
            us(bt.1),
            us(bt.2),
        );
    }
    println!(
        "\nstreet keystrokes and two-mistake codes (p50 / p99 / max), µs: cold = each timed once, warm = fastest of three"
    );
    println!(
        "| poles | street, 1st character, cold | warm | street, whole query, cold | warm | baseline: binary search of a sorted name array | two-mistake code, cold | warm | true pole in the first 5 (ceiling: every code within 2 edits scored) | baseline: exhaustive trie walk, unranked |"
    );
    println!("|---:|---|---|---|---|---|---|---|---:|---|");
    let f = |p: (Duration, Duration, Duration)| {
        format!("{:.1} / {:.1} / {:.1}", us(p.0), us(p.1), us(p.2))
    };
    println!("\nnearest pole, one cold query each (p50 / p99 / max), µs");
    println!("| poles | index | baseline: rstar R-tree, same points |");
    println!("|---:|---|---|");
    for (n, a, b) in nearest_cold {
        println!("| {n} | {} | {} |", f(a), f(b));
    }
    for (n, e) in extras {
        println!(
            "| {n} | {} | {} | {} | {} | {} | {} | {} | {} of {} ({}) | {} |",
            f(e.one_char[0]),
            f(e.one_char[1]),
            f(e.whole[0]),
            f(e.whole[1]),
            f(e.baseline_name),
            f(e.two_edit[0]),
            f(e.two_edit[1]),
            e.two_edit_top5.0,
            e.two_edit_top5.2,
            e.two_edit_top5.1,
            f(e.baseline_walk),
        );
    }
}
