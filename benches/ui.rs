//! The window's frame time on the UI thread, headless, with 1M poles: while typing codes and
//! while panning the map. Beside it, in the same run, the baseline: a frame of a minimal egui
//! window (a label and a text box) through the same harness.
//!
//! `cargo bench --bench ui` runs the demo data and the 1M synthetic database (generated once
//! into `target/bench-data/`, shared with the search benchmark). Without `--bench` (as under
//! `cargo test`) only a short smoke run on the demo data is made.
//!
//! One frame here is what the UI thread does per frame: the app's logic and layout
//! (`egui::Context::run_ui` through `egui_kittest`, which also updates an AccessKit tree, so
//! this overestimates a little) plus tessellation of the frame's shapes into triangles. Only
//! the GPU upload and drawing are left out (no GPU here). Percentiles per frame are printed
//! as a table at the end; criterion reports the medians.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use egui::{Event, Key, Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use lamppost::ui::{App, Options};
use lamppost_demo_data::synth::Synth;

mod common;

/// Runs one frame and tessellates what it drew; returns the time both took.
fn frame<S>(h: &mut Harness<'_, S>) -> Duration {
    timed_frame(h).wall
}

/// A frame's wall time and the CPU time the UI thread spent on it. On a shared machine the
/// wall time includes moments when the scheduler gave the core to another process; the
/// thread's CPU time does not, and is what the frame costs.
#[derive(Debug, Clone, Copy)]
struct Timed {
    wall: Duration,
    cpu: Duration,
}

fn timed_frame<S>(h: &mut Harness<'_, S>) -> Timed {
    let c = cpu_time::ThreadTime::now();
    let t = Instant::now();
    h.step();
    let out = h.output();
    let shapes = out.shapes.clone();
    let ppp = out.pixels_per_point;
    std::hint::black_box(h.ctx.tessellate(shapes, ppp));
    Timed {
        wall: t.elapsed(),
        cpu: c.elapsed(),
    }
}

fn open_app(db: &Path, calls: PathBuf) -> Harness<'static, App> {
    let db = db.to_owned();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            App::new(
                cc,
                Options {
                    db: Ok(db),
                    calls: Ok(calls),
                    basemap: None,
                    startup_probe: None,
                    operator: Some("测试员".into()),
                },
            )
        });
    let started = Instant::now();
    while !h.state().is_ready() {
        assert!(h.state().error().is_none(), "{:?}", h.state().error());
        assert!(started.elapsed() < Duration::from_mins(5));
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    for _ in 0..5 {
        h.step();
    }
    h
}

/// Some real codes of the dataset, to type.
fn codes(db_poles: Option<usize>) -> Vec<String> {
    match db_poles {
        None => vec![
            "2450034".into(),
            "1010002".into(),
            "3450034".into(),
            "2-45-0012".into(),
            "重庆北路 34".into(),
        ],
        Some(n) => {
            let mut v = Vec::new();
            let mut k = 0usize;
            Synth::new(n, common::SEED).for_each_pole(|p| {
                k += 1;
                if k.is_multiple_of((n / 40).max(1)) {
                    v.push(p.code.display().to_owned());
                }
            });
            v
        }
    }
}

/// One frame of typing: the next character of the next code; after the last character,
/// Enter (confirm, fly to the pole, log the call), then Esc.
struct Typist {
    script: Vec<Event>,
    at: usize,
}

impl Typist {
    fn new(codes: &[String]) -> Self {
        let key = |key| Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: Modifiers::NONE,
        };
        let mut script = Vec::new();
        for c in codes {
            for ch in c.chars() {
                script.push(Event::Text(ch.to_string()));
            }
            script.push(key(Key::Enter));
            script.push(key(Key::Escape));
        }
        Self { script, at: 0 }
    }

    fn next(&mut self) -> Event {
        let e = self.script[self.at].clone();
        self.at = (self.at + 1) % self.script.len();
        e
    }
}

/// One frame of panning: the pointer held down on the map, moving in a slow circle.
struct Panner {
    centre: Pos2,
    step: u32,
}

impl Panner {
    fn start<S>(h: &Harness<'_, S>, centre: Pos2) -> Self {
        h.event(Event::PointerMoved(centre));
        h.event(Event::PointerButton {
            pos: centre,
            button: PointerButton::Primary,
            pressed: true,
            modifiers: Modifiers::NONE,
        });
        Self { centre, step: 0 }
    }

    fn next(&mut self) -> Event {
        self.step += 1;
        let a = f32::from(u16::try_from(self.step % 360).unwrap()).to_radians();
        Event::PointerMoved(self.centre + egui::vec2(a.cos(), a.sin()) * 120.0)
    }
}

/// p50 and p99 of the wall and CPU times, and the worst CPU time.
fn percentiles(v: &[Timed]) -> [Duration; 5] {
    let pick = |mut d: Vec<Duration>| {
        d.sort_unstable();
        let at = |p: f64| d[((d.len() - 1) as f64 * p).round() as usize];
        (at(0.5), at(0.99), *d.last().unwrap())
    };
    let (w50, w99, _) = pick(v.iter().map(|t| t.wall).collect());
    let (c50, c99, cmax) = pick(v.iter().map(|t| t.cpu).collect());
    [w50, w99, c50, c99, cmax]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let mut c = Criterion::default().configure_from_args();
    let frames = if full { 600 } else { 40 };
    if !full {
        c = c
            .sample_size(10)
            .warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(200));
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut table = Vec::new();

    // The baseline: a minimal egui window through the same harness.
    let mut text = String::new();
    let mut base = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        // The same fonts as the app (the bundled CJK font).
        .with_context_setup(|ctx| {
            let fonts = lamppost::ui::fonts::install(ctx, &lamppost::ui::fonts::assets_dir());
            assert!(fonts > 0, "no bundled font");
        })
        .build_ui(move |ui| {
            let label = ui.label("灯杆编码");
            ui.text_edit_singleline(&mut text).labelled_by(label.id);
        });
    let mut typist = Typist::new(&codes(None));
    let base_times: Vec<Timed> = (0..frames)
        .map(|_| {
            base.event(typist.next());
            timed_frame(&mut base)
        })
        .collect();
    table.push((
        "baseline: label + text box".to_owned(),
        "typing",
        percentiles(&base_times),
    ));
    let mut g = c.benchmark_group("frame");
    g.bench_function("baseline: minimal egui frame", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    base.event(typist.next());
                    frame(&mut base)
                })
                .sum()
        });
    });
    g.finish();
    drop(base);

    let mut datasets: Vec<(String, PathBuf, Option<usize>)> = Vec::new();
    let demo = tmp.path().join("demo.sqlite");
    lamppost_data::demo::create_demo_database(&demo, "bench").unwrap();
    datasets.push(("demo 4,102".into(), demo, None));
    if full {
        datasets.push(("1M".into(), common::database(1_000_000), Some(1_000_000)));
    }

    for (name, db, n) in datasets {
        let mut h = open_app(&db, tmp.path().join(format!("calls-{name}.sqlite")));
        let mut typist = Typist::new(&codes(n));
        let typing: Vec<Timed> = (0..frames)
            .map(|_| {
                h.event(typist.next());
                timed_frame(&mut h)
            })
            .collect();
        table.push((name.clone(), "typing", percentiles(&typing)));

        // Pan from a wide view, where the most dots are drawn.
        let centre = h.state().map_rect().expect("map drawn").center();
        h.event(Event::Key {
            key: Key::Escape,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: Modifiers::NONE,
        });
        for _ in 0..3 {
            h.event(Event::Key {
                key: Key::Minus,
                physical_key: None,
                pressed: true,
                repeat: false,
                modifiers: Modifiers::COMMAND,
            });
            h.step();
        }
        let mut panner = Panner::start(&h, centre);
        h.step();
        let panning: Vec<Timed> = (0..frames)
            .map(|_| {
                h.event(panner.next());
                timed_frame(&mut h)
            })
            .collect();
        table.push((name.clone(), "panning", percentiles(&panning)));

        let mut g = c.benchmark_group("frame");
        g.bench_function(BenchmarkId::new("typing", &name), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        h.event(typist.next());
                        frame(&mut h)
                    })
                    .sum()
            });
        });
        g.bench_function(BenchmarkId::new("panning", &name), |b| {
            b.iter_custom(|iters| {
                (0..iters)
                    .map(|_| {
                        h.event(panner.next());
                        frame(&mut h)
                    })
                    .sum()
            });
        });
        g.finish();
    }

    println!(
        "\nUI thread per frame ({frames} frames each; logic + layout + tessellation), wall time and the thread's CPU time:"
    );
    println!(
        "{:<28} {:<8} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "window", "while", "wall p50", "wall p99", "cpu p50", "cpu p99", "cpu max"
    );
    for (name, what, [w50, w99, c50, c99, cmax]) in table {
        println!(
            "{name:<28} {what:<8} {:>10} {:>10} {:>10} {:>10} {:>10}",
            ms(w50),
            ms(w99),
            ms(c50),
            ms(c99),
            ms(cmax)
        );
    }
    c.final_summary();
}
