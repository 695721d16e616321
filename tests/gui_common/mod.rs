//! Helpers shared by the window tests (`tests/gui_*.rs`): open the window on a fresh demo
//! database through `egui_kittest`, type, press keys, wait for the workers.
// Each test file uses a part of these.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use lamppost::ui::{App, Options};

/// A window on a fresh demo database, in a temporary folder.
pub struct Fixture {
    /// Holds the database and the call log.
    pub dir: tempfile::TempDir,
    /// The window.
    pub harness: Harness<'static, App>,
}

/// The options for a demo database in `dir`, with a named operator (no operator window).
pub fn demo_options(dir: &std::path::Path) -> Options {
    let db: PathBuf = dir.join("demo.sqlite");
    if !db.exists() {
        lamppost_data::demo::create_demo_database(&db, "test").unwrap();
    }
    Options {
        db: Ok(db),
        calls: Ok(dir.join("calls.sqlite")),
        basemap: None,
        startup_probe: None,
        operator: Some("测试员".into()),
    }
}

/// The window on a fresh demo database at 1280×800.
pub fn open() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let harness = launch(demo_options(dir.path()), None);
    Fixture { dir, harness }
}

/// Opens the window with `options` (and saved settings, if any) and waits for the index.
pub fn launch(options: Options, storage: Option<&'static MemStorage>) -> Harness<'static, App> {
    launch_sized(options, storage, egui::vec2(1280.0, 800.0), 1.0)
}

/// As [`launch`], in a window of `size` points at `ppp` pixels per point.
pub fn launch_sized(
    options: Options,
    storage: Option<&'static MemStorage>,
    size: egui::Vec2,
    ppp: f32,
) -> Harness<'static, App> {
    let mut harness = Harness::builder()
        .with_size(size)
        .with_pixels_per_point(ppp)
        // Basemap tiles arrive from the loader's worker and each asks for a repaint.
        .with_max_steps(500)
        .build_eframe(move |cc| {
            if let Some(s) = storage {
                cc.storage = Some(s);
            }
            App::new(cc, options)
        });
    let started = Instant::now();
    while !harness.state().is_ready() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the index never loaded"
        );
        assert!(
            harness.state().error().is_none(),
            "{:?}",
            harness.state().error()
        );
        std::thread::sleep(Duration::from_millis(10));
        harness.step();
    }
    harness.run();
    harness
}

/// eframe's settings storage, in memory.
#[derive(Default)]
pub struct MemStorage(pub std::collections::HashMap<String, String>);

impl eframe::Storage for MemStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// Steps the window until the call log has written what was sent and holds `calls` calls.
pub fn wait_for_log(h: &mut Harness<'static, App>, calls: usize) {
    let started = Instant::now();
    while h.state().call_pending() || h.state().calls_today().len() < calls {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the call was never saved"
        );
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run();
}

/// Steps the window until `done` (30 s at most).
pub fn step_until(
    h: &mut Harness<'static, App>,
    what: &str,
    mut done: impl FnMut(&Harness<'static, App>) -> bool,
) {
    let started = Instant::now();
    while !done(h) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run();
}

/// Types `text` into the code box.
pub fn type_query(h: &mut Harness<'static, App>, text: &str) {
    h.get_by_label("灯杆编码").type_text(text);
    h.run();
}

/// Types `text` wherever the keyboard is (as a keyboard does).
pub fn type_keys(h: &mut Harness<'static, App>, text: &str) {
    h.event(egui::Event::Text(text.to_owned()));
    h.run();
}

/// Presses and releases `key`.
pub fn press(h: &mut Harness<'static, App>, key: Key) {
    h.key_press(key);
    h.run();
}

/// Presses `key` with `modifiers`.
pub fn press_with(h: &mut Harness<'static, App>, modifiers: egui::Modifiers, key: Key) {
    h.key_press_modifiers(modifiers, key);
    h.run();
}

/// A click with the primary button at `pos`.
pub fn click_at(h: &mut Harness<'static, App>, pos: egui::Pos2) {
    h.event(egui::Event::PointerMoved(pos));
    h.step();
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    h.run();
}

/// Confirms `code` (an exact code: one Enter) and waits until its call is saved as call
/// number `n` of the day.
pub fn confirm_and_log(h: &mut Harness<'static, App>, code: &str, n: usize) {
    type_query(h, code);
    press(h, Key::Enter);
    wait_for_log(h, n);
}
