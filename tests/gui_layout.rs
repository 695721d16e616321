//! The window's layout and map (issue 12): nothing clipped on common screens and scalings, the
//! left panel resizable and remembered, the selected code drawn over every other label, 估算
//! in view, times in one zone, and a database error screen that offers what a call-taker can
//! do from the window.
#![cfg(feature = "gui")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gui_common;

use std::time::{Duration, Instant};

use egui::{Key, Modifiers, Rect, Shape};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gui_common::{
    MemStorage, confirm_and_log, demo_options, launch, launch_sized, open, press, press_with,
    step_until, type_query,
};
use lamppost::ui::{App, Options};

/// Screens (pixels) and scalings the window must fit: nothing cut off.
const SCREENS: [(f32, f32, f32); 6] = [
    (1024.0, 768.0, 1.0),
    (1366.0, 768.0, 1.0),
    (1920.0, 1080.0, 1.0),
    (1366.0, 768.0, 1.25),
    (1366.0, 768.0, 1.5),
    (1920.0, 1080.0, 1.5),
];

fn assert_inside(h: &Harness<'static, App>, what: &str, rect: Rect, within: Rect) {
    let _ = h;
    assert!(
        rect.width() > 0.0 && rect.height() > 0.0,
        "{what} has no size: {rect:?}"
    );
    assert!(
        within.expand(0.5).contains_rect(rect),
        "{what} is cut off: {rect:?} not inside {within:?}"
    );
}

#[test]
fn nothing_is_clipped_on_common_screens_and_scalings_and_the_address_wraps() {
    for (w, hgt, ppp) in SCREENS {
        let dir = tempfile::tempdir().unwrap();
        let size = egui::vec2(w / ppp, hgt / ppp);
        let mut h = launch_sized(demo_options(dir.path()), None, size, ppp);
        confirm_and_log(&mut h, "2450034", 1);
        let screen = Rect::from_min_size(egui::Pos2::ZERO, size);
        let side = Rect::from_min_max(egui::Pos2::ZERO, egui::pos2(h.state().side_width(), size.y));
        let at = format!("{w}×{hgt} at {}%", ppp * 100.0);
        for label in ["灯杆编码", "设置", "值班长", "English", "换班…"] {
            let r = h.get_by_label(label).rect();
            assert_inside(&h, &format!("{label} ({at})"), r, screen);
        }
        let heading = h.get_by_label("今日接警 (1)").rect();
        assert_inside(&h, &format!("the calls heading ({at})"), heading, screen);
        // The read-back sentence and the long address wrap inside the left panel.
        for part in ["第34号灯杆（东侧）", "臺北市大同區重慶北路一段"] {
            let r = h.get_by_label_contains(part).rect();
            assert!(
                r.right() <= side.right() + 0.5,
                "{part} runs past the left panel ({at}): {r:?}, panel {side:?}"
            );
        }
        let map = h.state().map_rect().unwrap();
        assert!(map.width() >= 300.0, "the map keeps room ({at}): {map:?}");
        assert_inside(&h, &format!("the map ({at})"), map, screen);
    }
}

/// Drags the left panel's right edge by `dx` points.
fn drag_panel_edge(h: &mut Harness<'static, App>, dx: f32) {
    let x = h.state().side_width();
    let from = egui::pos2(x + 1.0, 300.0);
    h.event(egui::Event::PointerMoved(from));
    h.step();
    h.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    h.step();
    for k in 1..=10 {
        h.event(egui::Event::PointerMoved(
            from + egui::vec2(dx * k as f32 / 10.0, 0.0),
        ));
        h.step();
    }
    h.event(egui::Event::PointerButton {
        pos: from + egui::vec2(dx, 0.0),
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run();
}

#[test]
fn the_left_panel_is_resizable_and_remembers_its_width() {
    let dir = tempfile::tempdir().unwrap();
    let options = demo_options(dir.path());
    let mut h = launch(options.clone(), None);
    let before = h.state().side_width();
    drag_panel_edge(&mut h, 120.0);
    let after = h.state().side_width();
    assert!(
        (after - before - 120.0).abs() < 4.0,
        "dragged from {before} to {after}"
    );
    let mut storage = MemStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    drop(h);
    let storage: &'static MemStorage = Box::leak(Box::new(storage));
    let h = launch(options, Some(storage));
    assert!(
        (h.state().side_width() - after).abs() < 1.0,
        "the next run opens at {after}, not {}",
        h.state().side_width()
    );
}

/// The text shapes painted this frame, in paint order, with where they are.
fn texts(h: &Harness<'static, App>) -> Vec<(String, Rect)> {
    h.output()
        .shapes
        .iter()
        .filter_map(|c| match &c.shape {
            Shape::Text(t) => Some((
                t.galley.text().to_owned(),
                Rect::from_min_size(t.pos, t.galley.size()),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn the_selected_code_is_painted_over_every_pole_number_and_estimate_stays_in_view() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "2450034");
    press(h, Key::Enter);
    let map = h.state().map_rect().unwrap();
    let shown = texts(h);
    let label = shown
        .iter()
        .rposition(|(t, r)| t == "2-45-0034" && map.contains_rect(*r))
        .expect("the code is drawn on the map");
    let numbers: Vec<usize> = shown
        .iter()
        .enumerate()
        .filter(|(_, (t, r))| {
            !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) && map.intersects(*r)
        })
        .map(|(i, _)| i)
        .collect();
    assert!(numbers.len() >= 5, "the neighbours are numbered");
    assert!(
        numbers.iter().all(|&i| i < label),
        "a pole number is painted over the selected code"
    );
    // On an opaque plate: nothing painted before shows through it.
    let plated = h
        .output()
        .shapes
        .windows(2)
        .any(|w| match (&w[0].shape, &w[1].shape) {
            (Shape::Rect(plate), Shape::Text(t)) => {
                t.galley.text() == "2-45-0034"
                    && plate.fill.a() >= 200
                    && plate
                        .rect
                        .contains_rect(Rect::from_min_size(t.pos, t.galley.size()))
            }
            _ => false,
        });
    assert!(plated, "the selected code has no plate");
    // 2-45-0034 is an estimate: 估算 is drawn, and stays in view when the circle is larger
    // than the map.
    for _ in 0..6 {
        press_with(h, Modifiers::COMMAND, Key::Plus);
    }
    assert!(
        h.state().map_zoom() >= 20.0,
        "zoom {}",
        h.state().map_zoom()
    );
    let word = texts(h)
        .into_iter()
        .find(|(t, _)| t == "估算")
        .expect("估算 is drawn");
    assert!(map.contains_rect(word.1), "估算 is out of view: {word:?}");
}

#[test]
fn the_calls_panel_says_the_zone_and_versions_are_shown_in_local_time() {
    let mut f = open();
    let h = &mut f.harness;
    let zone = lamppost::clock::zone();
    assert!(h.query_by_label(&format!("时区 {zone}")).is_some());
    confirm_and_log(h, "2450034", 1);
    let call = h.state().calls_today()[0].clone();
    let shown = lamppost::clock::local_time_of_day(&call.at_utc);
    assert!(
        h.query_by_label_contains(&format!("{shown}  2-45-0034"))
            .is_some()
    );

    let applied = {
        let store = lamppost_data::store::Store::open(
            &f.dir.path().join("demo.sqlite"),
            lamppost_data::store::Access::ReadOnly,
        )
        .unwrap();
        lamppost_import::versions(&store).unwrap()[0]
            .applied_at
            .clone()
    };
    let h = &mut f.harness;
    h.get_by_label("值班长").click();
    step_until(h, "the password form", |h| {
        h.query_by_label("新密码").is_some()
    });
    for label in ["新密码", "再输入一次"] {
        h.get_by_label(label).click();
        h.run();
        h.get_by_label(label).type_text("zhibanzhang");
    }
    h.run();
    h.get_by_label("设置密码").click();
    step_until(h, "supervisor mode", |h| {
        h.query_by_label("版本历史").is_some()
    });
    h.get_by_label("版本历史").click();
    let local = lamppost::clock::local_text(&applied);
    assert!(local.ends_with(&zone), "{local}");
    step_until(h, "the versions", |h| h.query_by_label(&local).is_some());
}

/// A reference database that cannot be opened, and a call log.
fn broken(dir: &std::path::Path) -> Options {
    let db = dir.join("broken.sqlite");
    std::fs::write(&db, b"SQLite format 3\0 but then garbage, a torn copy").unwrap();
    Options {
        db: Ok(db),
        calls: Ok(dir.join("calls.sqlite")),
        basemap: None,
        startup_probe: None,
        operator: Some("测试员".into()),
    }
}

fn open_broken(options: Options) -> Harness<'static, App> {
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(500)
        .build_eframe(move |cc| App::new(cc, options));
    let started = Instant::now();
    while h.state().error().is_none() {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run();
    h
}

/// Picks `file` in the file dialog by typing its path and Enter.
fn pick_in_dialog(h: &mut Harness<'static, App>, title: &str, file: &std::path::Path) {
    step_until(h, "the file dialog", |h| h.query_by_label(title).is_some());
    let place = h.get_by_label("位置");
    place.click();
    h.run();
    press_with(h, Modifiers::COMMAND, Key::A);
    h.get_by_label("位置").type_text(file.to_str().unwrap());
    h.run();
    press(h, Key::Enter);
}

fn wait_ready(h: &mut Harness<'static, App>) {
    let started = Instant::now();
    while !h.state().is_ready() {
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    h.run();
}

#[test]
fn the_database_error_screen_opens_another_database_file_from_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("好的 数据.sqlite");
    lamppost_data::demo::create_demo_database(&good, "test").unwrap();
    let mut h = open_broken(broken(dir.path()));
    assert!(h.query_by_label("无法打开灯杆数据库").is_some());
    assert!(h.query_by_label_contains("请电话联系值班长").is_some());
    assert!(
        h.query_by_label_contains("lamppost ").is_none(),
        "no command line to type"
    );
    h.get_by_label("选择另一个数据库文件…").click();
    pick_in_dialog(&mut h, "选择灯杆数据库文件", &good);
    wait_ready(&mut h);
    type_query(&mut h, "2450034");
    press(&mut h, Key::Enter);
    assert_eq!(h.state().confirmed_code().as_deref(), Some("2-45-0034"));
}

#[test]
fn the_database_error_screen_installs_a_data_package_and_keeps_the_damaged_file() {
    let dir = tempfile::tempdir().unwrap();
    let centre = dir.path().join("centre.sqlite");
    lamppost_data::demo::create_demo_database(&centre, "test").unwrap();
    let package = dir.path().join("U盘").join("台北 v1.sqlite");
    let key = lamppost_data::store::signing::generate_key(&dir.path().join("centre.key")).unwrap();
    lamppost_data::store::Store::open(&centre, lamppost_data::store::Access::ReadOnly)
        .unwrap()
        .export_package(&package, "王主任", Some(&key))
        .unwrap();
    let options = broken(dir.path());
    let db = options.db.clone().unwrap();
    // The centre key this workstation pinned, kept beside its (now damaged) database.
    std::fs::write(
        lamppost_data::store::auth::key_file_beside(&db),
        key.public_hex(),
    )
    .unwrap();
    let mut h = open_broken(options);
    h.get_by_label("安装数据包…").click();
    pick_in_dialog(&mut h, "选择数据包文件", &package);
    wait_ready(&mut h);
    assert!(h.query_by_label_contains("损坏的数据库已另存为").is_some());
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("broken.sqlite.damaged-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept for the supervisor");
    assert!(db.is_file(), "the package is the database now");
    type_query(&mut h, "2450034");
    press(&mut h, Key::Enter);
    assert_eq!(h.state().confirmed_code().as_deref(), Some("2-45-0034"));
}

#[test]
fn a_file_that_is_no_package_installs_nothing_and_the_damaged_file_stays() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_package = dir.path().join("说明.sqlite");
    std::fs::write(&not_a_package, "not a package").unwrap();
    let options = broken(dir.path());
    let db = options.db.clone().unwrap();
    let before = std::fs::read(&db).unwrap();
    let mut h = open_broken(options);
    h.get_by_label("安装数据包…").click();
    pick_in_dialog(&mut h, "选择数据包文件", &not_a_package);
    step_until(&mut h, "the refusal", |h| {
        h.query_by_label("选择数据包文件").is_none()
            && h.query_by_label_contains("说明.sqlite").is_some()
    });
    assert!(!h.state().is_ready());
    assert!(h.query_by_label("无法打开灯杆数据库").is_some());
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the damaged file is back"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".damaged-") || n.ends_with(".installing"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The attack: a package not signed by the centre, offered on the error screen of a workstation
/// whose database is damaged. Nothing is installed, the damaged file stays where it was, and the
/// screen says why (before, anything installed from here).
#[test]
fn the_error_screen_installs_only_what_the_centre_signed() {
    let dir = tempfile::tempdir().unwrap();
    let centre = dir.path().join("centre.sqlite");
    lamppost_data::demo::create_demo_database(&centre, "test").unwrap();
    let package = dir.path().join("U盘").join("伪造 v9.sqlite");
    lamppost_data::store::Store::open(&centre, lamppost_data::store::Access::ReadOnly)
        .unwrap()
        .export_package(&package, "冒名者", None)
        .unwrap();
    let options = broken(dir.path());
    let db = options.db.clone().unwrap();
    let before = std::fs::read(&db).unwrap();
    let mut h = open_broken(options);
    h.get_by_label("安装数据包…").click();
    pick_in_dialog(&mut h, "选择数据包文件", &package);
    step_until(&mut h, "the refusal", |h| {
        h.query_by_label_contains("尚未设置信任的中心公钥")
            .is_some()
    });
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the damaged file stays"
    );
    let moved_aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains(".damaged-"));
    assert!(
        !moved_aside,
        "nothing left aside: the install was refused whole"
    );
}
