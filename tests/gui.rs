//! The whole window, driven through `egui_kittest` with no GPU: type, press keys, click, and
//! check what the call-taker would see (the accessibility tree) and the app's state.
//!
//! The harness fails on any glyph no loaded font can draw, so these tests also prove that the
//! bundled CJK font covers the demo data and the interface.
#![cfg(feature = "gui")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gui_common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use gui_common::{
    Fixture, MemStorage, demo_options, launch, open, press, step_until, type_query, wait_for_log,
};
use lamppost::ui::{App, Options};
use lamppost_core::readback::Lang;
use lamppost_data::calllog::CallLog;

fn open_with(basemap: Option<PathBuf>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut options = demo_options(dir.path());
    options.basemap = basemap;
    let harness = launch(options, None);
    Fixture { dir, harness }
}

fn copied_text(h: &Harness<'static, App>) -> Option<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
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
    // An exact code is confirmed by one Enter.
    assert_eq!(
        f.harness.state().confirmed_code().as_deref(),
        Some("2-45-0034")
    );
    assert!(f.harness.query_by_label_contains("√ 已确认").is_some());
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
    // A guess needs a second Enter (enter_on_a_typo_guess_selects_and_a_second_enter_confirms).
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().confirmed_code().as_deref(),
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
    // Not a code: the card says how the pole was found, and a second Enter confirms it.
    assert!(
        f.harness
            .query_by_label_contains("“重庆北路 34”不是编码")
            .is_some()
    );
    assert_eq!(f.harness.state().confirmed_code(), None);
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().confirmed_code().as_deref(),
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
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0031")
    );
    // A prefix is not an exact code: Enter chooses it, a second Enter confirms it.
    press(&mut f.harness, Key::Enter);
    assert_eq!(f.harness.state().confirmed_code(), None);
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().confirmed_code().as_deref(),
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

#[test]
fn enter_writes_a_call_log_entry_that_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let calls = dir.path().join("calls.sqlite");
    lamppost_data::demo::create_demo_database(&db, "test").unwrap();
    let options = Options {
        db: Ok(db),
        calls: Ok(calls.clone()),
        basemap: None,
        startup_probe: None,
        operator: None,
    };
    let mut h = launch(options.clone(), None);
    // The shift starts with the operator's name.
    h.get_by_label("接警员").type_text("李四");
    h.run();
    press(&mut h, Key::Enter);
    type_query(&mut h, "2450034");
    press(&mut h, Key::Enter);
    // Enter pressed twice (within a second) is one call.
    press(&mut h, Key::Enter);
    wait_for_log(&mut h, 1);
    assert!(h.query_by_label_contains("√ 已记录").is_some());
    assert!(!h.state().call_pending());
    drop(h);

    let log = CallLog::open_read_only(&calls).unwrap();
    let today = log.today().unwrap();
    assert_eq!(today.len(), 1);
    let c = &today[0].call;
    assert_eq!(c.code, "2-45-0034");
    assert_eq!(c.query, "2450034");
    assert_eq!(c.operator, "李四");
    assert!(
        c.readback.starts_with("重慶北路一段 第34号灯杆"),
        "{}",
        c.readback
    );
    assert_eq!(c.data_version, 1);

    // The next shift opens the window and sees it in today's calls.
    let h = launch(options, None);
    let started = Instant::now();
    let mut h = h;
    while h.state().calls_today().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run();
    assert!(
        h.query_by_label_contains("2-45-0034  重慶北路一段 #34")
            .is_some()
    );
}

#[test]
fn a_note_and_incident_type_are_added_to_the_saved_call() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    wait_for_log(&mut f.harness, 1);
    f.harness.get_by_label("备注").click();
    f.harness.run();
    f.harness
        .get_by_label("备注")
        .type_text("两车相撞，无人受伤");
    f.harness.run();
    f.harness.get_by_label("事件类型").click();
    f.harness.run();
    f.harness.get_by_label("交通事故").click();
    f.harness.run();
    f.harness.get_by_label("保存备注").click();
    let started = Instant::now();
    while f.harness.state().calls_today()[0].note.is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(5));
        f.harness.step();
    }
    assert_eq!(
        f.harness.state().calls_today()[0].note,
        "两车相撞，无人受伤"
    );
}

#[test]
fn clicking_a_call_in_todays_list_shows_it_on_the_map() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    wait_for_log(&mut f.harness, 1);
    press(&mut f.harness, Key::Escape);
    assert_eq!(f.harness.state().selected_code(), None);
    f.harness
        .get_by_label_contains("2-45-0034  重慶北路一段 #34")
        .click();
    f.harness.run();
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
    assert_eq!(
        f.harness.state().calls_today().len(),
        1,
        "viewing is not a new call"
    );
}

#[test]
fn ctrl_c_copies_code_address_and_coordinates_from_the_card() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    // One frame with the key press alone, so that its output holds the copy command.
    f.harness.event(egui::Event::Key {
        key: Key::C,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::COMMAND,
    });
    f.harness.step();
    let text = copied_text(&f.harness).expect("nothing copied");
    assert!(text.contains("编码: 2-45-0034"), "{text}");
    assert!(text.contains("25.0"), "{text}");
    assert!(text.contains("121.5"), "{text}");
    assert!(
        text.contains("°03'03.91\"N"),
        "degrees-minutes-seconds too: {text}"
    );
    f.harness.step();
    assert!(f.harness.query_by_label("已复制编码、地址和坐标").is_some());
}

#[test]
fn candidates_far_apart_are_called_out_in_words() {
    let mut f = open();
    // A misread district digit: the candidates lie on different streets, over a km apart.
    type_query(&mut f.harness, "3450034");
    assert!(
        f.harness
            .query_by_label_contains("注意：前几个候选相距")
            .is_some(),
        "no far-apart warning"
    );
    // One typo of a code whose candidates are all on one spot gives no warning.
    type_query(&mut f.harness, "");
    press(&mut f.harness, Key::Escape);
    type_query(&mut f.harness, "2459034");
    assert!(
        f.harness
            .query_by_label_contains("注意：前几个候选相距")
            .is_none()
    );
}

#[test]
fn operator_language_and_layers_persist_between_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    lamppost_data::demo::create_demo_database(&db, "test").unwrap();
    let options = Options {
        db: Ok(db),
        calls: Ok(dir.path().join("calls.sqlite")),
        basemap: None,
        startup_probe: None,
        operator: None,
    };
    let mut h = launch(options.clone(), None);
    h.get_by_label("接警员").type_text("王五");
    h.run();
    press(&mut h, Key::Enter);
    h.get_by_label("English").click();
    h.run();
    h.get_by_label("Show poles").click();
    h.run();
    let mut storage = MemStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    drop(h);

    let storage: &'static MemStorage = Box::leak(Box::new(storage));
    let mut h = launch(options, Some(storage));
    // The next shift is asked for its name, the last one offered.
    assert!(h.state().asks_operator());
    press(&mut h, Key::Enter);
    assert!(!h.state().asks_operator());
    assert_eq!(h.state().operator(), "王五");
    assert_eq!(h.state().lang(), Lang::En);
    assert!(!h.state().settings().show_poles, "the pole layer stays off");
    assert!(h.query_by_label("Pole code").is_some());
}

/// The child half of `a_call_survives_kill_9_right_after_enter`: confirms a code in the
/// window, prints SAVED once the window says so, then waits to be killed.
#[test]
#[ignore = "run as a child process by a_call_survives_kill_9_right_after_enter"]
fn child_confirms_a_call_and_waits_to_be_killed() {
    let dir = PathBuf::from(std::env::var("LAMPPOST_TEST_DIR").unwrap());
    let mut h = launch(
        Options {
            db: Ok(dir.join("demo.sqlite")),
            calls: Ok(dir.join("calls.sqlite")),
            basemap: None,
            startup_probe: None,
            operator: Some("测试员".into()),
        },
        None,
    );
    type_query(&mut h, "2450034");
    press(&mut h, Key::Enter);
    wait_for_log(&mut h, 1);
    println!("SAVED {}", h.state().calls_today()[0].id);
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    std::thread::sleep(Duration::from_mins(2));
}

#[test]
fn a_call_survives_kill_9_right_after_enter() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    lamppost_data::demo::create_demo_database(&dir.path().join("demo.sqlite"), "test").unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "child_confirms_a_call_and_waits_to_be_killed",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env("LAMPPOST_TEST_DIR", dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut saved = None;
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(id) = line.strip_prefix("SAVED ") {
            saved = Some(id.trim().parse::<i64>().unwrap());
            break;
        }
    }
    // SIGKILL: no destructor, no flush, no clean SQLite close.
    child.kill().unwrap();
    child.wait().unwrap();
    let id = saved.expect("the child never said SAVED");
    let log = CallLog::open_read_only(&dir.path().join("calls.sqlite")).unwrap();
    let call = log.get(id).unwrap().expect("the saved call is gone");
    assert_eq!(call.call.code, "2-45-0034");
}

#[test]
fn after_a_confirm_the_next_code_typed_replaces_the_last_one() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    type_query(&mut f.harness, "1010002");
    assert_eq!(f.harness.state().query(), "1010002");
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("1-01-0002")
    );
    wait_for_log(&mut f.harness, 2);
}

#[test]
fn the_map_has_zoom_buttons_a_scale_bar_and_zooms_back_to_the_selection() {
    let mut f = open();
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    let street = f.harness.state().map_zoom();
    f.harness.get_by_label("-").click();
    f.harness.run();
    f.harness.get_by_label("-").click();
    f.harness.run();
    assert!((f.harness.state().map_zoom() - (street - 2.0)).abs() < 1e-9);
    f.harness.get_by_label("◎").click();
    f.harness.run();
    assert!((f.harness.state().map_zoom() - street).abs() < 1e-9);
    // The same from the keyboard: Ctrl+- then Ctrl+L.
    f.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, Key::Minus);
    f.harness.run();
    assert!((f.harness.state().map_zoom() - (street - 1.0)).abs() < 1e-9);
    f.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, Key::L);
    f.harness.run();
    assert!((f.harness.state().map_zoom() - street).abs() < 1e-9);
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
}

#[test]
fn a_corrupt_database_shows_what_to_do_and_the_call_log_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("broken.sqlite");
    std::fs::write(&db, b"SQLite format 3\0 but then garbage, a torn copy").unwrap();
    let calls = dir.path().join("calls.sqlite");
    let mut log = CallLog::open(&calls).unwrap();
    log.append(&lamppost_data::calllog::NewCall {
        operator: "张三".into(),
        query: "2450034".into(),
        code: "2-45-0034".into(),
        street: "重慶北路一段".into(),
        pole_no: Some(34),
        address: String::new(),
        readback: "重慶北路一段 第34号灯杆".into(),
        lat_lon_deg: None,
        position: lamppost_data::calllog::PositionKind::Unknown,
        radius_m: None,
        dataset: "示范".into(),
        data_version: 1,
        caller: None,
    })
    .unwrap();
    drop(log);
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_max_steps(500)
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
    while h.state().error().is_none() || h.state().calls_today().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    h.run();
    assert!(h.query_by_label("无法打开灯杆数据库").is_some());
    assert!(h.query_by_label_contains("broken.sqlite").is_some());
    // In the window's language only: no "中文 / English" pair.
    let shown = h.state().error().unwrap();
    assert!(
        shown.contains("数据库") && !shown.contains(" / "),
        "{shown}"
    );
    assert!(
        !shown.contains("database") && !shown.contains("SQLite database file"),
        "{shown}"
    );
    assert!(h.query_by_label("今日接警 (1)").is_some());
}

/// A damaged call log used to show an empty list and "no calls yet today". Now the panel
/// lists the calls that can be read and says the log is damaged.
#[test]
fn a_damaged_call_log_shows_what_can_be_read_and_says_it_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    lamppost_data::demo::create_demo_database(&db, "test").unwrap();
    let calls = dir.path().join("calls.sqlite");
    let mut log = CallLog::open(&calls).unwrap();
    for i in 0..400 {
        log.append(&lamppost_data::calllog::NewCall {
            operator: "张三".into(),
            query: "2450034".into(),
            code: "2-45-0034".into(),
            street: "重慶北路一段".into(),
            pole_no: Some(34),
            address: String::new(),
            readback: format!("第 {i} 条：{}", "重慶北路一段 第34号灯杆（东侧）".repeat(3)),
            lat_lon_deg: None,
            position: lamppost_data::calllog::PositionKind::Unknown,
            radius_m: None,
            dataset: "示范".into(),
            data_version: 1,
            caller: None,
        })
        .unwrap();
    }
    drop(log);
    // Zero the page that holds call 240, as a bad sector would.
    let mut bytes = std::fs::read(&calls).unwrap();
    let needle = "第 240 条".as_bytes();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let hit = at / 4096;
    bytes[hit * 4096..(hit + 1) * 4096].fill(0);
    std::fs::write(&calls, &bytes).unwrap();

    let mut h = launch(
        Options {
            db: Ok(db),
            calls: Ok(calls),
            basemap: None,
            startup_probe: None,
            operator: Some("测试员".into()),
        },
        None,
    );
    step_until(&mut h, "the damaged log", |h| {
        h.query_by_label_contains("接警记录文件已损坏").is_some()
    });
    assert!(h.query_by_label_contains("今天还没有接警记录").is_none());
    let n = h.state().calls_today().len();
    assert!((200..=400).contains(&n), "{n} of 400 calls shown");
}

/// Makes data version 2 in the database at `db`: a new landmark for 1-01-0002, and 2-45-0034
/// gone.
fn make_version_2(db: &std::path::Path) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(
        "INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
             added, changed, removed)
         VALUES (2, '2026-11-28T00:00:00Z', 'test', 'survey.csv', '', 0, 1, 1);
         UPDATE poles SET landmark = '新测试地标', version = 2 WHERE code = '1010002';
         DELETE FROM poles WHERE code = '2450034';",
    )
    .unwrap();
}

#[test]
fn the_window_picks_up_new_data_without_a_restart_and_keeps_the_selection() {
    let mut f = open();
    type_query(&mut f.harness, "1010002");
    press(&mut f.harness, Key::Enter);
    let db = f.dir.path().join("demo.sqlite");
    make_version_2(&db);
    step_until(&mut f.harness, "the reload", |h| {
        h.query_by_label_contains("数据已更新到版本 2").is_some()
    });
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("1-01-0002"),
        "the selection is found again in the new data"
    );
    assert!(
        f.harness.query_by_label("新测试地标").is_some(),
        "the card shows the new data"
    );
    press(&mut f.harness, Key::Escape);
    type_query(&mut f.harness, "2450034");
    assert!(
        f.harness
            .query_by_label_contains("2-45-0034  重慶北路一段")
            .is_none(),
        "the removed code is gone"
    );
}

/// A workstation (the fixture's `demo.sqlite`) set up with the centre's key, and a share with a
/// version-2 package signed with the key in `signer` (`centre.key`, or another one).
fn share_with_version_2(dir: &std::path::Path, signer: &str) -> std::path::PathBuf {
    use lamppost_data::store::{Access, Store, signing::generate_key};
    let sup = dir.join("supervisor.sqlite");
    lamppost_data::demo::create_demo_database(&sup, "test").unwrap();
    make_version_2(&sup);
    let centre = generate_key(&dir.join("centre.key")).unwrap();
    Store::open(&dir.join("demo.sqlite"), Access::ReadWrite)
        .unwrap()
        .trust_package_key(&centre.public_hex())
        .unwrap();
    let other = (signer != "centre.key").then(|| generate_key(&dir.join(signer)).unwrap());
    let share = dir.join("共享 目录");
    Store::open(&sup, Access::ReadOnly)
        .unwrap()
        .export_package(
            &share.join("台北 v2.sqlite"),
            "王主任",
            Some(other.as_ref().unwrap_or(&centre)),
        )
        .unwrap();
    share
}

/// Sets the watched folder in the settings, waits for the offer of version 2 and clicks 安装.
fn offer_and_install(f: &mut Fixture, share: &std::path::Path) {
    f.harness.get_by_label("设置").click();
    f.harness.run();
    f.harness.get_by_label("数据包文件夹（共享目录）").click();
    f.harness.run();
    f.harness
        .get_by_label("数据包文件夹（共享目录）")
        .type_text(share.to_str().unwrap());
    f.harness.run();
    f.harness.get_by_label("应用").click();
    f.harness.run();
    // The settings window is modal: Esc closes it, then the offer can be answered.
    press(&mut f.harness, Key::Escape);
    step_until(&mut f.harness, "the offer", |h| {
        h.query_by_label_contains("有新的数据包：台北市中心示范数据 版本 2")
            .is_some()
    });
    f.harness.get_by_label("安装").click();
}

#[test]
fn a_newer_package_in_the_watched_folder_is_offered_and_installed() {
    let mut f = open();
    let dir = f.dir.path().to_owned();
    let share = share_with_version_2(&dir, "centre.key");

    offer_and_install(&mut f, &share);
    step_until(&mut f.harness, "the install", |h| {
        h.query_by_label_contains("数据已更新到版本 2").is_some()
    });
    assert!(
        dir.join("demo.sqlite.previous").is_file(),
        "the old data is kept"
    );
}

/// The attack: whoever can write the shared folder drops a package there. Unsigned (or signed
/// by another key), it is refused with a message and nothing changes.
#[test]
fn a_package_in_the_watched_folder_not_signed_by_the_centre_is_refused() {
    let mut f = open();
    let dir = f.dir.path().to_owned();
    let share = share_with_version_2(&dir, "forger.key");

    offer_and_install(&mut f, &share);
    step_until(&mut f.harness, "the refusal", |h| {
        h.query_by_label_contains("签名与本机信任的中心公钥不符")
            .is_some()
    });
    assert!(
        !dir.join("demo.sqlite.previous").exists(),
        "nothing was installed"
    );
    let s = lamppost_data::store::Store::open(
        &dir.join("demo.sqlite"),
        lamppost_data::store::Access::ReadOnly,
    )
    .unwrap();
    assert_eq!(s.data_version().unwrap(), 1);
}

#[test]
fn a_supervisor_sets_the_password_checks_applies_and_undoes_an_import() {
    let mut f = open();
    let csv = f.dir.path().join("新 街路.csv");
    std::fs::write(
        &csv,
        "编码,街路,杆号,纬度,经度\n9-99-0001,测试新路,1,25.0500,121.5100\n9-99-0002,测试新路,2,25.0502,121.5102\n",
    )
    .unwrap();
    let h = &mut f.harness;
    supervisor_check(h, &csv, "新增 2，修改 0");
    assert!(
        h.query_by_label_contains("9-99-0001").is_some(),
        "the review lists the codes"
    );
    h.get_by_label("应用").click();
    step_until(h, "the apply", |h| {
        h.query_by_label_contains("已应用，数据版本 2").is_some()
    });
    // The call-taker side picks up the new street by itself.
    step_until(h, "the reload", |h| {
        h.query_by_label_contains("数据已更新到版本 2").is_some()
    });
    // Supervisor mode is modal: Esc closes it before the call-taker types again.
    press(h, Key::Escape);
    type_query(h, "9990001");
    press(h, Key::Enter);
    assert_eq!(h.state().selected_code().as_deref(), Some("9-99-0001"));

    h.get_by_label("值班长").click();
    step_until(h, "the password", |h| {
        h.query_by_label("值班长密码").is_some()
    });
    h.get_by_label("值班长密码").click();
    h.run();
    h.get_by_label("值班长密码").type_text("zhibanzhang");
    h.run();
    h.get_by_label("进入值班长模式").click();
    step_until(h, "supervisor mode", |h| {
        h.query_by_label("版本历史").is_some()
    });
    h.get_by_label("版本历史").click();
    step_until(h, "the versions", |h| h.query_by_label("撤销").is_some());
    h.get_by_label("撤销").click();
    step_until(h, "the undo", |h| {
        h.query_by_label_contains("已撤销版本 2，记为新版本 3")
            .is_some()
    });
    step_until(h, "the reload after undo", |h| {
        h.query_by_label_contains("数据已更新到版本 3").is_some()
    });
    press(h, Key::Escape);
    // The undone pole is gone: the card now shows the best guess for the code still in the
    // box, saying plainly that the code does not exist, and nothing is confirmed.
    assert_ne!(h.state().selected_code().as_deref(), Some("9-99-0001"));
    assert_eq!(h.state().confirmed_code(), None);
    assert!(
        h.query_by_label_contains("编码 9990001 不存在").is_some(),
        "the card says the code is gone"
    );
}

/// A check started while another program writes the database (an import from the command
/// line, a package install) used to end in the busy message after 5 s. Now the window says it
/// is waiting for the database, stays usable, and goes on when the lock is released.
#[test]
fn a_check_waits_for_the_database_while_another_program_writes_it() {
    let mut f = open();
    let csv = f.dir.path().join("new.csv");
    std::fs::write(
        &csv,
        "编码,街路,杆号,纬度,经度\n9-99-0001,测试新路,1,25.0500,121.5100\n",
    )
    .unwrap();
    let holder = rusqlite::Connection::open(f.dir.path().join("demo.sqlite")).unwrap();
    let h = &mut f.harness;
    supervisor_unlock(h);
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    supervisor_file(h, &csv);
    h.get_by_label("检查（不写入）").click();
    // The spinner repaints for ever: step, never settle (`step_until` ends with a `run`).
    let started = Instant::now();
    while h.query_by_label_contains("正在等待数据库").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for the wait"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    assert!(
        h.query_by_label_contains("数据库正被另一个程序写入")
            .is_none()
    );
    holder.execute_batch("COMMIT").unwrap();
    step_until(h, "the check", |h| {
        h.query_by_label_contains("新增 1，修改 0").is_some()
    });
    assert!(h.query_by_label_contains("正在等待数据库").is_none());
}

#[test]
fn an_import_under_review_shows_the_poles_it_moves_on_the_map() {
    let mut f = open();
    let csv = f.dir.path().join("moved.csv");
    std::fs::write(&csv, "编码,纬度,经度\n1-01-0002,25.0345,121.5112\n").unwrap();
    let h = &mut f.harness;
    supervisor_check(h, &csv, "修改 1");
    assert_eq!(h.state().moves_drawn(), 1, "the moved pole is drawn");
    h.get_by_label("取消").click();
    h.run();
    assert_eq!(h.state().moves_drawn(), 0);
}

/// What the reference data holds: every pole, version and history row, as text.
fn content(db: &std::path::Path) -> String {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut out = String::new();
    for sql in [
        "SELECT * FROM poles ORDER BY code",
        "SELECT * FROM versions ORDER BY version",
        "SELECT * FROM pole_history ORDER BY rowid",
        "SELECT * FROM meta WHERE key <> 'supervisor_failures' ORDER BY key",
    ] {
        let mut st = c.prepare(sql).unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                use std::fmt::Write as _;
                let _ = write!(out, "{:?}|", r.get_ref(i).unwrap());
            }
            out.push('\n');
        }
    }
    out
}

/// Opens supervisor mode and sets the password (first use).
fn supervisor_unlock(h: &mut Harness<'static, App>) {
    h.get_by_label("值班长").click();
    step_until(h, "the password form", |h| {
        h.query_by_label("设置密码").is_some()
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
}

/// Types `csv` into the file box (in supervisor mode).
fn supervisor_file(h: &mut Harness<'static, App>, csv: &std::path::Path) {
    h.get_by_label("文件").click();
    h.run();
    h.get_by_label("文件").type_text(csv.to_str().unwrap());
    h.run();
}

/// Opens supervisor mode, sets the password on first use, and checks `csv` (a dry run);
/// returns once the review shows `expect`.
fn supervisor_check(h: &mut Harness<'static, App>, csv: &std::path::Path, expect: &str) {
    supervisor_unlock(h);
    supervisor_file(h, csv);
    h.get_by_label("检查（不写入）").click();
    step_until(h, "the check", |h| {
        h.query_by_label_contains(expect).is_some()
    });
}

#[test]
fn an_xlsx_preview_lists_its_sheets_and_another_sheet_can_be_chosen() {
    let mut f = open();
    let xlsx = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats/poles_title_row.xlsx");
    let h = &mut f.harness;
    supervisor_unlock(h);
    supervisor_file(h, &xlsx);
    press(h, Key::Tab);
    step_until(h, "the preview", |h| {
        h.query_by_label_contains("格式: xlsx").is_some()
    });
    assert_eq!(
        h.get_by_label("工作表/图层").value().as_deref(),
        Some("灯杆"),
        "the first sheet with a recognised header"
    );
    assert!(
        h.query_by_label("测试南路3号").is_some(),
        "its rows are shown"
    );
    h.get_by_label("工作表/图层").click();
    h.run();
    h.get_by_label("说明").click();
    step_until(h, "the other sheet", |h| {
        h.query_by_label("本表由测绘队提供，请勿修改格式").is_some()
    });
    assert!(h.query_by_label("测试南路3号").is_none());
}

#[test]
fn the_file_dialog_picks_a_gbk_file_and_the_preview_shows_its_encoding_and_rows() {
    let mut f = open();
    let folder = f.dir.path().join("测绘 数据");
    std::fs::create_dir_all(folder.join("旧文件")).unwrap();
    let text = "灯杆编号,路名,杆号,纬度,经度,其他\r\n9-98-0001,测试南路,1,25.0500,121.5100,甲\r\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(folder.join("灯杆 数据.csv"), &gbk).unwrap();
    std::fs::write(folder.join("说明.docx"), "not data").unwrap();
    let h = &mut f.harness;
    supervisor_unlock(h);
    h.get_by_label("浏览…").click();
    step_until(h, "the dialog", |h| {
        h.query_by_label("选择要导入的文件").is_some()
    });
    h.get_by_label("位置").click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.get_by_label("位置").type_text(folder.to_str().unwrap());
    h.run();
    press(h, Key::Enter);
    step_until(h, "the folder listing", |h| {
        h.query_by_label("灯杆 数据.csv").is_some()
    });
    assert!(h.query_by_label("旧文件/").is_some(), "folders are listed");
    assert!(
        h.query_by_label("说明.docx").is_none(),
        "files the import cannot read are hidden"
    );
    h.get_by_label("灯杆 数据.csv").click();
    h.run();
    h.get_by_label("打开").click();
    step_until(h, "the preview", |h| {
        h.query_by_label_contains("编码: gb18030 (自动识别)")
            .is_some()
    });
    assert!(
        h.query_by_label("选择要导入的文件").is_none(),
        "the dialog closed"
    );
    assert!(h.query_by_label("甲").is_some(), "the first row is shown");
    assert_eq!(
        h.get_by_label("编码 (code)").value().as_deref(),
        Some("灯杆编号（自动识别）"),
        "the code column is recognised by its header"
    );
    assert_eq!(
        h.get_by_label("备注 (note)").value().as_deref(),
        Some("（文件中没有）")
    );
    h.get_by_label("检查（不写入）").click();
    step_until(h, "the check", |h| {
        h.query_by_label_contains("新增 1").is_some()
    });
}

#[test]
fn a_mapping_chosen_in_the_table_builds_codes_from_a_template_and_is_saved_by_name() {
    let mut f = open();
    let csv = f.dir.path().join("survey.csv");
    std::fs::write(
        &csv,
        "RD_CD,LAMPPOST_N,Road Name,lat,lon\n98,0001,测试西路,25.0500,121.5100\n98,0002,测试西路,25.0502,121.5102\n",
    )
    .unwrap();
    let db = f.dir.path().join("demo.sqlite");
    let h = &mut f.harness;
    supervisor_unlock(h);
    supervisor_file(h, &csv);
    h.get_by_label("灯杆编码").click(); // the file box loses focus: the preview starts
    step_until(h, "the preview", |h| h.query_by_label("RD_CD").is_some());
    // code: a template of two columns.
    h.get_by_label("编码 (code)").click();
    h.run();
    h.get_by_label("模板（由多列组成，或 =常量）…").click();
    h.run();
    h.get_by_label("模板 code").click();
    h.run();
    h.get_by_label("模板 code")
        .type_text("9-{RD_CD}-{LAMPPOST_N}");
    h.run();
    // street: a column whose name has a space.
    h.get_by_label("街路 (street)").click();
    h.run();
    // The option in the open list (the preview's header cell has the same text).
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Road Name")
        .click();
    h.run();
    assert!(
        h.query_by_label("9-98-0001").is_some(),
        "the example shows the built code"
    );
    h.get_by_label("检查（不写入）").click();
    step_until(h, "the check", |h| {
        h.query_by_label_contains("新增 2").is_some()
    });
    h.get_by_label("映射另存为").click();
    h.run();
    h.get_by_label("映射另存为").type_text("测绘队");
    h.run();
    h.get_by_label("保存").click();
    step_until(h, "the save", |h| {
        h.query_by_label_contains("已保存映射“测绘队”").is_some()
    });
    let store =
        lamppost_data::store::Store::open(&db, lamppost_data::store::Access::ReadOnly).unwrap();
    let saved = lamppost_import::saved_mappings(&store).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].0, "测绘队");
    assert!(
        saved[0]
            .1
            .map
            .contains(&("code".to_owned(), "9-{RD_CD}-{LAMPPOST_N}".to_owned())),
        "{saved:?}"
    );
}

#[test]
fn a_constant_typed_in_the_template_box_gives_every_row_its_street() {
    let mut f = open();
    let csv = f.dir.path().join("AYE.csv");
    std::fs::write(
        &csv,
        "code,lat,lon\n9-97-0001,25.0500,121.5100\n9-97-0002,25.0502,121.5102\n",
    )
    .unwrap();
    let h = &mut f.harness;
    supervisor_unlock(h);
    supervisor_file(h, &csv);
    h.get_by_label("灯杆编码").click(); // the file box loses focus: the preview starts
    step_until(h, "the preview", |h| {
        h.query_by_label("9-97-0002").is_some()
    });
    h.get_by_label("街路 (street)").click();
    h.run();
    h.get_by_label("模板（由多列组成，或 =常量）…").click();
    h.run();
    h.get_by_label("模板 street").click();
    h.run();
    h.get_by_label("模板 street").type_text("=测试北路");
    h.run();
    assert!(
        h.query_by_label("测试北路").is_some(),
        "the example shows the constant"
    );
    h.get_by_label("检查（不写入）").click();
    step_until(h, "the check", |h| {
        h.query_by_label_contains("新增 2").is_some()
    });
}

#[test]
fn a_long_check_shows_progress_and_stops_when_asked_writing_nothing() {
    let mut f = open();
    let csv = f.dir.path().join("big.csv");
    let mut text = String::from("code,street,pole_no,lat,lon\n");
    for i in 0..300_000u32 {
        use std::fmt::Write as _;
        let _ = writeln!(
            text,
            "8-{:02}-{:04},测试{}路,{},25.{:04},121.{:04}",
            i / 10_000,
            i % 10_000,
            i / 10_000,
            i % 10_000,
            i % 10_000,
            i % 10_000
        );
    }
    std::fs::write(&csv, text).unwrap();
    let db = f.dir.path().join("demo.sqlite");
    let h = &mut f.harness;
    supervisor_unlock(h);
    let before = content(&db);
    supervisor_file(h, &csv);
    h.get_by_label("检查（不写入）").click();
    // The progress bar repaints by itself: step frames, never wait for the window to settle.
    let started = Instant::now();
    while h.query_by_label("停止").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no progress bar"
        );
        h.step();
    }
    assert!(
        h.query_by_label_contains("已读").is_some(),
        "the rows read so far are shown"
    );
    h.get_by_label("停止").click();
    step_until(h, "the stop", |h| {
        h.query_by_label_contains("已停止，未写入任何内容")
            .is_some()
    });
    assert!(
        h.query_by_label_contains("共 ").is_none(),
        "no review of a stopped check"
    );
    assert!(content(&db) == before, "the database is untouched");
}

#[test]
fn the_review_table_sorts_by_the_clicked_column() {
    let mut f = open();
    let csv = f.dir.path().join("two.csv");
    std::fs::write(
        &csv,
        "编码,街路,杆号,纬度,经度\n9-99-0002,测试新路,2,25.0502,121.5102\n9-99-0001,测试新路,1,25.0500,121.5100\n",
    )
    .unwrap();
    let h = &mut f.harness;
    supervisor_check(h, &csv, "新增 2");
    let order = |h: &Harness<'static, App>| {
        let a = h.get_by_label("9-99-0001").rect().min.y;
        let b = h.get_by_label("9-99-0002").rect().min.y;
        a < b
    };
    assert!(!order(h), "by line first: 0002 is on line 2");
    h.get_by_label_contains("编码 / 字段").click();
    h.run();
    assert!(order(h), "by code: 0001 first");
    h.get_by_label_contains("编码 / 字段").click();
    h.run();
    assert!(!order(h), "clicked again: descending");
}

#[test]
fn ctrl_o_opens_the_file_dialog_and_a_typed_file_path_and_enter_picks_the_file() {
    let mut f = open();
    let csv = f.dir.path().join("路径 输入.csv");
    std::fs::write(&csv, "编码,街路,杆号\n9-97-0001,测试东路,1\n").unwrap();
    let h = &mut f.harness;
    supervisor_unlock(h);
    // Ctrl+O, the shortcut on the 浏览… button, opens the same dialog.
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::O);
    step_until(h, "the dialog", |h| {
        h.query_by_label("选择要导入的文件").is_some()
    });
    h.get_by_label("位置").click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    h.get_by_label("位置").type_text(csv.to_str().unwrap());
    h.run();
    press(h, Key::Enter);
    step_until(h, "the preview", |h| {
        h.query_by_label("选择要导入的文件").is_none()
            && h.query_by_label_contains("编码: UTF-8").is_some()
    });
    assert_eq!(
        h.get_by_label("文件").value().as_deref(),
        csv.to_str(),
        "the typed file is the one to import"
    );
}

/// The labels of the window whose text contains `part`.
fn labels_containing(h: &Harness<'static, App>, part: &str) -> usize {
    h.query_all_by_label_contains(part).count()
}

#[test]
fn typing_a_new_code_after_a_confirmed_call_never_shows_the_old_read_back() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "2450034");
    press(h, Key::Enter);
    wait_for_log(h, 1);
    assert!(h.query_by_label_contains("√ 已记录").is_some());
    // The next caller's first digits replace the code: the old card is gone at once.
    type_query(h, "246");
    assert_eq!(h.state().query(), "246");
    assert_eq!(labels_containing(h, "重慶北路一段 第34号灯杆"), 0);
    assert_eq!(labels_containing(h, "√ 已记录"), 0);
    assert_eq!(labels_containing(h, "√ 已确认"), 0);
    assert_eq!(h.state().confirmed_code(), None);
    // The whole new code: its own card, not yet confirmed.
    type_query(h, "0034");
    assert_eq!(h.state().query(), "2460034");
    assert_eq!(h.state().selected_code().as_deref(), Some("2-46-0034"));
    assert!(h.query_by_label_contains("華陰街 第34号灯杆").is_some());
    assert!(h.query_by_label_contains("未确认").is_some());
    assert_eq!(labels_containing(h, "重慶北路一段 第34号灯杆"), 0);
    assert_eq!(h.state().confirmed_code(), None);
    // The map looks at the pole the card describes, not at the last call's.
    let index = lamppost_search::SearchIndex::open(&f.dir.path().join("demo.sqlite")).unwrap();
    let at = index
        .pole(index.lookup("2460034").unwrap())
        .point()
        .unwrap();
    let (lat, lon, _) = h.state().settings().map_view.unwrap();
    let d = at.distance_m(lamppost_core::geo::LatLon::new(lat, lon));
    assert!(d < 5.0, "the map is {d} m from 2-46-0034");
    // The last call is still in the call panel.
    assert!(
        h.query_by_label_contains("2-45-0034  重慶北路一段 #34")
            .is_some()
    );
    press(h, Key::Enter);
    assert_eq!(h.state().confirmed_code().as_deref(), Some("2-46-0034"));
    wait_for_log(h, 2);
}

#[test]
fn the_same_code_typed_again_for_a_new_call_is_not_shown_as_already_confirmed() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "2450034");
    press(h, Key::Enter);
    wait_for_log(h, 1);
    // The next caller reports the same pole: typed again, it waits for its own Enter.
    type_query(h, "2450034");
    assert_eq!(h.state().confirmed_code(), None);
    assert!(h.query_by_label_contains("未确认").is_some());
    press(h, Key::Enter);
    wait_for_log(h, 2);
}

#[test]
fn arrow_keys_preview_the_highlighted_pole_on_the_map_before_enter() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "245003");
    let first = h.state().selected_code().unwrap();
    press(h, Key::ArrowDown);
    press(h, Key::ArrowDown);
    press(h, Key::ArrowDown);
    let third = h.state().selected_code().unwrap();
    assert_ne!(first, third);
    // The card shows the highlighted pole's read-back, not confirmed.
    assert_eq!(h.state().confirmed_code(), None);
    assert!(h.query_by_label_contains("未确认").is_some());
    // The map looks at it.
    let (lat, lon, _) = h.state().settings().map_view.unwrap();
    let db = f.dir.path().join("demo.sqlite");
    let index = lamppost_search::SearchIndex::open(&db).unwrap();
    let at = index.pole(index.lookup(&third).unwrap()).point().unwrap();
    let d = at.distance_m(lamppost_core::geo::LatLon::new(lat, lon));
    assert!(d < 5.0, "the map is {d} m from {third}");
    assert!(h.state().calls_today().is_empty() && !h.state().call_pending());
}

#[test]
fn enter_on_a_typo_guess_selects_and_a_second_enter_confirms() {
    let mut f = open();
    let h = &mut f.harness;
    // Two digits swapped: 2450304 does not exist.
    type_query(h, "2450304");
    press(h, Key::Enter);
    assert_eq!(h.state().selected_code().as_deref(), Some("2-45-0034"));
    assert_eq!(h.state().confirmed_code(), None, "one Enter only chooses");
    assert!(
        h.query_by_label_contains("编码 2450304 不存在，已选 2-45-0034")
            .is_some()
    );
    assert!(h.query_by_label_contains("再按 Enter 确认").is_some());
    assert!(h.state().calls_today().is_empty() && !h.state().call_pending());
    press(h, Key::Enter);
    assert_eq!(h.state().confirmed_code().as_deref(), Some("2-45-0034"));
    wait_for_log(h, 1);
    // Still plain after the confirm: the code typed does not exist.
    assert!(
        h.query_by_label_contains("编码 2450304 不存在，已选 2-45-0034")
            .is_some()
    );
    // The log keeps both: what was typed, and what was chosen.
    let c = &h.state().calls_today()[0].call;
    assert_eq!(
        (c.query.as_str(), c.code.as_str()),
        ("2450304", "2-45-0034")
    );
    assert!(
        c.readback
            .ends_with("请与报警人核对街路名：是重慶北路一段吗？"),
        "{}",
        c.readback
    );
    // A third Enter does not log it again.
    press(h, Key::Enter);
    assert!(!h.state().call_pending());
    assert_eq!(h.state().calls_today().len(), 1);
}

#[test]
fn a_new_code_typed_after_one_enter_on_a_guess_needs_its_own_enters() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "2450304");
    press(h, Key::Enter);
    // The caller corrects a digit: the choice made for the old text is gone.
    type_query(h, "2450340");
    press(h, Key::Enter);
    assert_eq!(h.state().confirmed_code(), None);
    assert!(h.state().calls_today().is_empty() && !h.state().call_pending());
}

#[test]
fn an_exact_code_with_a_confusable_on_another_street_shows_it_and_asks_to_confirm_the_street() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "2450034");
    // Before Enter already: the codes one misread digit away, on other streets.
    assert!(h.query_by_label_contains("易混编码").is_some());
    assert!(
        h.query_by_label_contains("2-46-0034 華陰街 428 米")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("请与报警人核对街路名：是重慶北路一段吗？")
            .is_some()
    );
    press(h, Key::Enter);
    assert_eq!(h.state().confirmed_code().as_deref(), Some("2-45-0034"));
    assert!(
        h.query_by_label_contains("2-46-0034 華陰街 428 米")
            .is_some()
    );
    wait_for_log(h, 1);
    let rb = &h.state().calls_today()[0].call.readback;
    assert!(
        rb.starts_with("重慶北路一段 第34号灯杆（东侧），近"),
        "{rb}"
    );
    assert!(
        rb.ends_with("。请与报警人核对街路名：是重慶北路一段吗？"),
        "{rb}"
    );
    // In English too.
    h.get_by_label("English").click();
    h.run();
    assert!(
        h.query_by_label_contains("Confusable codes — check the street with the caller")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("2-46-0034 華陰街 428 m")
            .is_some()
    );
    assert!(
        h.query_by_label_contains(
            "Confirm the street with the caller: is it Chongqing North Road Section 1"
        )
        .is_some()
    );
}

/// Where a demo pole is (WGS-84), from the fixture's database.
fn pole_point(f: &Fixture, code: &str) -> lamppost_core::geo::LatLon {
    let index = lamppost_search::SearchIndex::open(&f.dir.path().join("demo.sqlite")).unwrap();
    let id = index.lookup(code).unwrap();
    index.pole(id).point().unwrap()
}

/// Clicks the text box labelled `label` and types `text` into it.
fn type_into(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_label(label).click();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

/// Types a caller location (and a radius) into the caller location box.
fn type_caller(h: &mut Harness<'static, App>, position: &str, radius: &str) {
    type_into(h, "报警人坐标", position);
    if !radius.is_empty() {
        type_into(h, "半径（米）", radius);
    }
    h.key_press(Key::Escape); // back to the code box
    h.run();
}

#[test]
fn the_caller_location_box_reads_dms_and_lists_the_poles_nearest_the_caller() {
    let mut f = open();
    let at = pole_point(&f, "2-45-0034");
    // The caller reads out the position in degrees, minutes and seconds.
    type_caller(
        &mut f.harness,
        &lamppost_core::geo::format_latlon_dms(at),
        "",
    );
    // The nearest pole is the one at that point, 0 m away, and a click on it shows it.
    let link = f.harness.get_by_label("2-45-0034 0 米");
    link.click();
    f.harness.run();
    assert_eq!(
        f.harness.state().selected_code().as_deref(),
        Some("2-45-0034")
    );
    // No radius: the card's pole gets a distance and no verdict.
    assert!(
        f.harness
            .query_by_label_contains("编码 2-45-0034 距报警人位置 0 米")
            .is_some()
    );
    assert!(f.harness.query_by_label_contains("超出").is_none());
    // Something that is not a position says why.
    type_into(&mut f.harness, "报警人坐标", "abc");
    assert!(
        f.harness
            .query_by_label_contains("无法识别的坐标值")
            .is_some()
    );
    assert!(
        f.harness
            .query_by_label_contains("not a coordinate value")
            .is_none(),
        "in the window's language only"
    );
}

#[test]
fn a_code_outside_the_callers_circle_is_called_out_and_inside_is_not() {
    let mut f = open();
    let at = pole_point(&f, "2-45-0034");
    // 0.001° north of the pole: about 111 m. With a 50 m radius the pole is outside.
    type_caller(
        &mut f.harness,
        &format!("{:.7}, {:.7}", at.lat_deg + 0.001, at.lon_deg),
        "50",
    );
    type_query(&mut f.harness, "2450034");
    let warning = "注意：编码 2-45-0034 距报警人位置 111 米，超出 50 米范围";
    assert!(
        f.harness.query_by_label_contains(warning).is_some(),
        "the typed code, before Enter"
    );
    press(&mut f.harness, Key::Enter);
    assert_eq!(
        f.harness.state().confirmed_code().as_deref(),
        Some("2-45-0034")
    );
    assert!(
        f.harness.query_by_label_contains(warning).is_some(),
        "the confirmed code"
    );
    // A wider radius takes the pole in: no warning.
    type_into(&mut f.harness, "半径（米）", "0"); // 500 m
    assert!(f.harness.query_by_label_contains("超出").is_none());
    assert!(
        f.harness
            .query_by_label_contains("编码 2-45-0034 距报警人位置 111 米，在 500 米范围内")
            .is_some()
    );
}

#[test]
fn the_call_log_records_the_caller_location_and_the_poles_distance() {
    let mut f = open();
    let at = pole_point(&f, "2-45-0034");
    // The caller location as Amap gives it (GCJ-02), chosen in the datum list.
    let g = lamppost_core::geo::wgs84_to_gcj02(lamppost_core::geo::LatLon::new(
        at.lat_deg + 0.001,
        at.lon_deg,
    ));
    f.harness.get_by_label("报警人坐标系").click();
    f.harness.run();
    f.harness.get_by_label("GCJ-02（高德、腾讯）").click();
    f.harness.run();
    type_caller(
        &mut f.harness,
        &format!("{:.7}, {:.7}", g.lat_deg, g.lon_deg),
        "50",
    );
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    wait_for_log(&mut f.harness, 1);
    let c = f.harness.state().calls_today()[0]
        .call
        .caller
        .as_deref()
        .copied()
        .unwrap();
    assert_eq!(c.datum, "gcj02");
    assert_eq!(c.radius_m, Some(50.0));
    // Recorded in WGS-84: the GCJ-02 offset undone.
    let back = lamppost_core::geo::LatLon::new(c.lat_deg, c.lon_deg);
    assert!(
        back.distance_m(lamppost_core::geo::LatLon::new(
            at.lat_deg + 0.001,
            at.lon_deg
        )) < 1.0,
        "{c:?}"
    );
    assert!((c.distance_m.unwrap() - 111.2).abs() < 1.0, "{c:?}");
    // And it is on disk, in the export's columns.
    let log = CallLog::open_read_only(&f.dir.path().join("calls.sqlite")).unwrap();
    let mut csv = Vec::new();
    log.export_csv(lamppost_data::calllog::Range::All, &mut csv)
        .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.lines().last().unwrap().contains(",gcj02,50,111,"),
        "{text}"
    );

    // The next call: its first keystroke clears the last caller's location, so it is neither
    // shown against the new code nor logged with it.
    type_query(&mut f.harness, "2460034");
    assert!(f.harness.query_by_label_contains("距报警人位置").is_none());
    press(&mut f.harness, Key::Enter);
    wait_for_log(&mut f.harness, 2);
    assert!(f.harness.state().calls_today()[0].call.caller.is_none());

    // A location pasted for the next call before its code is typed stays with it (in the
    // datum still chosen: GCJ-02).
    let g = lamppost_core::geo::wgs84_to_gcj02(at);
    type_caller(
        &mut f.harness,
        &format!("{:.7}, {:.7}", g.lat_deg, g.lon_deg),
        "",
    );
    type_query(&mut f.harness, "2450034");
    press(&mut f.harness, Key::Enter);
    wait_for_log(&mut f.harness, 3);
    let c = f.harness.state().calls_today()[0]
        .call
        .caller
        .as_deref()
        .copied();
    assert!(
        c.is_some_and(|c| c.distance_m.is_some_and(|d| d < 500.0)),
        "{c:?}"
    );
}

#[test]
fn the_caller_location_box_speaks_english() {
    let mut f = open();
    f.harness.get_by_label("English").click();
    f.harness.run();
    let at = pole_point(&f, "2-45-0034");
    type_into(
        &mut f.harness,
        "Caller coordinates",
        &format!("{:.7}N {:.7}E, 50", at.lat_deg + 0.001, at.lon_deg),
    );
    f.harness.key_press(Key::Escape);
    f.harness.run();
    type_query_en(&mut f.harness, "2450034");
    assert!(
        f.harness
            .query_by_label_contains(
                "Warning: code 2-45-0034 is 111 m from the caller's location, outside the 50 m radius"
            )
            .is_some()
    );
}

#[test]
fn the_window_ranks_guesses_with_what_the_call_log_taught() {
    let first_guess = |calls_before: usize| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.sqlite");
        lamppost_data::demo::create_demo_database(&db, "test").unwrap();
        let calls = dir.path().join("calls.sqlite");
        let mut log = CallLog::open(&calls).unwrap();
        // This workstation's callers who said 2450190 meant 2-45-0019, again and again.
        for _ in 0..calls_before {
            log.append(&lamppost_data::calllog::NewCall {
                operator: "张三".into(),
                query: "2450190".into(),
                code: "2-45-0019".into(),
                street: "重慶北路一段".into(),
                pole_no: Some(19),
                address: String::new(),
                readback: String::new(),
                lat_lon_deg: None,
                position: lamppost_data::calllog::PositionKind::Unknown,
                radius_m: None,
                dataset: "示范".into(),
                data_version: 1,
                caller: None,
            })
            .unwrap();
        }
        drop(log);
        let mut h = launch(
            Options {
                db: Ok(db),
                calls: Ok(calls),
                basemap: None,
                startup_probe: None,
                operator: Some("测试员".into()),
            },
            None,
        );
        // The log is learnt from on a worker thread; wait until the window has read it.
        wait_for_log(&mut h, calls_before);
        type_query(&mut h, "2450190");
        let started = Instant::now();
        while calls_before > 0 && h.state().selected_code().as_deref() != Some("2-45-0019") {
            if started.elapsed() > Duration::from_secs(10) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
            h.step();
        }
        h.state().selected_code()
    };
    assert_eq!(first_guess(0).as_deref(), Some("2-45-0009"));
    assert_eq!(first_guess(40).as_deref(), Some("2-45-0019"));
}

#[test]
fn metres_without_a_crs_are_refused_and_the_crs_list_then_offers_the_guess() {
    use lamppost_core::crs::Crs;
    use lamppost_core::geo::LatLon;
    let mut f = open();
    // A survey team's file: CGCS2000 3° Gauss–Krüger zone 41, X the northing.
    let conv = Crs::parse("EPSG:4529").unwrap().converter().unwrap();
    let (e, n) = conv.from_wgs84(LatLon::new(25.0502, 121.5102)).unwrap();
    let csv = f.dir.path().join("survey.csv");
    std::fs::write(
        &csv,
        format!("code,street,X,Y\n9-98-0001,测试北路,{n:.3},{e:.3}\n"),
    )
    .unwrap();
    let h = &mut f.harness;
    supervisor_check(h, &csv, "错误 1");
    h.get_by_label("错误 (1)").click();
    h.run();
    assert!(
        h.query_by_label_contains("--crs EPSG:4529").is_some(),
        "the refusal names the zone"
    );
    h.get_by_label("坐标系").click();
    h.run();
    h.get_by_label_contains("EPSG:4529 CGCS2000 / 3-degree Gauss-Kruger zone 41")
        .click();
    h.run();
    h.get_by_label("检查（不写入）").click();
    step_until(h, "the second check", |h| {
        h.query_by_label_contains("新增 1").is_some()
    });
}

#[test]
fn an_xlsx_preview_shows_the_crs_it_guesses_and_the_survey_x_y_and_one_click_uses_it() {
    use lamppost_core::crs::Crs;
    use lamppost_core::geo::LatLon;
    let mut f = open();
    // A survey team's workbook: CGCS2000 3° Gauss–Krüger zone 41 with the zone in the easting,
    // X the northing and Y the easting, no CRS said anywhere.
    let conv = Crs::parse("EPSG:4529").unwrap().converter().unwrap();
    let (e, n) = conv.from_wgs84(LatLon::new(25.0502, 121.5102)).unwrap();
    let xlsx = f.dir.path().join("测绘成果.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("路灯").unwrap();
    for (c, h) in ["灯杆编号", "路名", "杆号", "X坐标", "Y坐标"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "9-98-0001").unwrap();
    sheet.write_string(1, 1, "测试北路").unwrap();
    sheet.write_number(1, 2, 1.0).unwrap();
    sheet
        .write_number(1, 3, (n * 1000.0).round() / 1000.0)
        .unwrap();
    sheet
        .write_number(1, 4, (e * 1000.0).round() / 1000.0)
        .unwrap();
    book.save(&xlsx).unwrap();
    let h = &mut f.harness;
    supervisor_unlock(h);
    supervisor_file(h, &xlsx);
    press(h, Key::Tab);
    step_until(h, "the preview", |h| {
        h.query_by_label_contains("识别的坐标系").is_some()
    });
    for part in [
        "识别的坐标系: EPSG:4529",
        "推测：",
        "X坐标 为北坐标、Y坐标 为东坐标（测量习惯）",
        // The mapping table names what the latitude and longitude fields hold here.
        "北坐标（纬度） (lat_deg)",
        "东坐标（经度） (lon_deg)",
    ] {
        assert!(
            h.query_by_label_contains(part).is_some(),
            "the CRS line says {part}"
        );
    }
    h.get_by_label("采用 EPSG:4529").click();
    h.run();
    assert!(
        h.get_by_label("坐标系")
            .value()
            .is_some_and(|v| v.contains("EPSG:4529")),
        "the CRS list shows the CRS used"
    );
    h.get_by_label("检查（不写入）").click();
    step_until(h, "the check", |h| {
        h.query_by_label_contains("新增 1").is_some()
    });
}

#[test]
fn a_folder_of_files_is_previewed_and_checked_as_one_version() {
    let mut f = open();
    let folder = f.dir.path().join("各路登记");
    std::fs::create_dir_all(&folder).unwrap();
    for (file, code) in [("a.csv", "9-98-0001"), ("b.csv", "9-98-0002")] {
        std::fs::write(
            folder.join(file),
            format!("灯杆编号,路名,杆号,纬度,经度\n{code},测试南路,1,25.0500,121.5100\n"),
        )
        .unwrap();
    }
    std::fs::write(folder.join("说明.docx"), "not data").unwrap();
    let h = &mut f.harness;
    supervisor_unlock(h);
    supervisor_file(h, &folder);
    press(h, Key::Tab);
    step_until(h, "the preview", |h| {
        h.query_by_label_contains("2 个文件，作为一个数据版本导入")
            .is_some()
    });
    assert!(h.query_by_label_contains("a.csv, b.csv").is_some());
    h.get_by_label("检查（不写入）").click();
    step_until(h, "the check", |h| {
        h.query_by_label_contains("新增 2").is_some()
    });
}
