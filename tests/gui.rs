//! The whole window, driven through `egui_kittest` with no GPU: type, press keys, click, and
//! check what the call-taker would see (the accessibility tree) and the app's state.
//!
//! The harness fails on any glyph no loaded font can draw, so these tests also prove that the
//! bundled CJK font covers the demo data and the interface.
#![cfg(feature = "gui")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use lamppost::readback::Lang;
use lamppost::ui::App;

struct Fixture {
    _dir: tempfile::TempDir,
    harness: Harness<'static, App>,
}

fn open() -> Fixture {
    open_with(None)
}

fn open_with(basemap: Option<PathBuf>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("demo.sqlite");
    lamppost::demo::create_demo_database(&db, "test").unwrap();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        // Basemap tiles arrive from the loader's worker and each asks for a repaint.
        .with_max_steps(500)
        .build_eframe(move |cc| App::with_basemap(cc, Ok(db), basemap.as_deref()));
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
    Fixture { _dir: dir, harness }
}

fn type_query(h: &mut Harness<'static, App>, text: &str) {
    h.get_by_label("灯杆编码").type_text(text);
    h.run();
}

fn press(h: &mut Harness<'static, App>, key: Key) {
    h.key_press(key);
    h.run();
}

#[test]
fn typing_a_demo_code_and_enter_shows_its_street_in_the_card() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
    f.harness
        .get_by_label("重慶北路一段 Chongqing North Road Section 1");
    assert!(
        f.harness
            .query_by_label_contains("重慶北路一段 第34号灯杆（东侧）")
            .is_some()
    );
}

#[test]
fn a_code_typed_with_full_width_digits_finds_the_pole() {
    let mut f = open();
    type_query(&mut f.harness, "２－４５－００３４");
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
}

#[test]
fn a_typo_offers_did_you_mean_with_the_true_pole_first() {
    let mut f = open();
    type_query(&mut f.harness, "2450304");
    assert!(f.harness.query_by_label_contains("您是否要找").is_some());
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
}

#[test]
fn a_street_and_number_query_selects_the_pole() {
    let mut f = open();
    type_query(&mut f.harness, "重庆北路 34");
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
}

#[test]
fn arrow_keys_choose_among_results() {
    let mut f = open();
    type_query(&mut f.harness, "245003");
    press(&mut f.harness, Key::ArrowDown);
    press(&mut f.harness, Key::ArrowDown);
    press(&mut f.harness, Key::ArrowUp);
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0031")
    );
}

#[test]
fn an_estimated_pole_says_estimated() {
    let mut f = open();
    // 1-01-0002 was never surveyed in the demo data.
    type_query(&mut f.harness, "1010002");
    press(&mut f.harness, Key::Enter);
    assert!(f.harness.query_by_label_contains("估算 ±").is_some());
}

#[test]
fn escape_clears_the_box_and_the_selection() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    press(&mut f.harness, Key::Escape);
    assert_eq!(f.harness.state().query(), "");
    assert_eq!(f.harness.state().selected_code(), None);
    // Focus is back in the code box: typing goes there.
    f.harness.key_press(Key::Num1);
    f.harness.event(egui::Event::Text("1".into()));
    f.harness.run();
    assert_eq!(f.harness.state().query(), "1");
}

#[test]
fn the_language_switches_to_english_and_back() {
    let mut f = open();
    f.harness.get_by_label("English").click();
    f.harness.run();
    assert_eq!(f.harness.state().lang(), Lang::En);
    type_query_en(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    assert!(
        f.harness
            .query_by_label_contains("Pole No. 34, Chongqing North Road Section 1")
            .is_some()
    );
    f.harness.get_by_label("中文").click();
    f.harness.run();
    assert_eq!(f.harness.state().lang(), Lang::Zh);
}

fn type_query_en(h: &mut Harness<'static, App>, text: &str) {
    h.get_by_label("Pole code").type_text(text);
    h.run();
}

#[test]
fn clicking_the_map_selects_the_nearest_pole() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    press(&mut f.harness, Key::Escape);
    assert_eq!(f.harness.state().selected_code(), None);
    // The map is centred on the pole just looked up: click the centre.
    let centre = f.harness.state().map_rect().unwrap().center();
    for pressed in [true, false] {
        f.harness.event(egui::Event::PointerButton {
            pos: centre,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        f.harness.step();
    }
    f.harness.run();
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
}

#[test]
fn a_missing_basemap_is_named_and_lookups_still_work() {
    let mut f = open_with(Some(PathBuf::from("/nonexistent/city.mbtiles")));
    assert!(f.harness.query_by_label_contains("city.mbtiles").is_some());
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
}

#[test]
fn ctrl_shift_c_copies_the_read_back_sentence() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    f.harness
        .key_press_modifiers(egui::Modifiers::COMMAND | egui::Modifiers::SHIFT, Key::C);
    f.harness.step();
    f.harness.step();
    assert!(
        f.harness.query_by_label("已复制").is_some(),
        "no copy confirmation"
    );
}

#[test]
fn the_last_digit_and_enter_in_one_frame_confirm_the_whole_code() {
    let mut f = open();
    type_query(&mut f.harness, "101000");
    // "2" and Enter arrive together, as from a fast typist or a scanner.
    f.harness.event(egui::Event::Text("2".into()));
    f.harness.key_press(Key::Enter);
    f.harness.run();
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("1-01-0002")
    );
}
