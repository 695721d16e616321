//! The call-taker's keyboard, clipboard and windows (issue 12), driven through `egui_kittest`
//! (and, for the clipboard, the real program under Xvfb): what the app fills in the code box,
//! a second call for the same pole, the note by keyboard, modal windows, the operator's name.
#![cfg(feature = "gui")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod gui_common;

use std::time::Duration;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use gui_common::{
    click_at, confirm_and_log, demo_options, launch, open, press, press_with, step_until,
    type_keys, type_query, wait_for_log,
};

#[test]
fn a_map_click_puts_the_cursor_after_the_code_so_the_next_digit_appends() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "2450034");
    press(h, Key::Enter);
    press(h, Key::Escape);
    assert_eq!(h.state().query(), "");
    let centre = h.state().map_rect().unwrap().center();
    click_at(h, centre);
    assert_eq!(h.state().query(), "2-45-0034");
    type_keys(h, "9");
    assert_eq!(h.state().query(), "2-45-00349", "the digit goes at the end");
}

#[test]
fn a_street_completed_by_enter_takes_the_pole_number_after_it() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "重庆北路");
    press(h, Key::Enter);
    let filled = h.state().query().to_owned();
    assert!(
        filled.starts_with("重慶北路") && filled.ends_with(' '),
        "the street fills the box: {filled:?}"
    );
    type_keys(h, "34");
    assert_eq!(h.state().query(), format!("{filled}34"));
}

#[test]
fn a_call_picked_from_the_panel_puts_the_cursor_at_the_end() {
    let mut f = open();
    let h = &mut f.harness;
    confirm_and_log(h, "2450034", 1);
    press(h, Key::Escape);
    h.get_by_label_contains("2-45-0034  重慶北路一段 #34")
        .click();
    h.run();
    assert_eq!(h.state().query(), "2-45-0034");
    type_keys(h, "9");
    assert_eq!(h.state().query(), "2-45-00349");
}

#[test]
fn enter_twice_within_a_second_is_one_call_and_later_a_second_call_for_the_same_pole() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "2450034");
    press(h, Key::Enter);
    press(h, Key::Enter);
    wait_for_log(h, 1);
    std::thread::sleep(Duration::from_millis(300));
    h.run();
    assert_eq!(
        h.state().calls_today().len(),
        1,
        "a double press is one call"
    );
    // Two callers, one accident: Enter again, later, is a second entry.
    std::thread::sleep(lamppost::ui::call_taker::DOUBLE_PRESS);
    press(h, Key::Enter);
    wait_for_log(h, 2);
    let calls = h.state().calls_today();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|c| c.call.code == "2-45-0034"));
    assert_ne!(calls[0].id, calls[1].id);
}

#[test]
fn f2_and_arrows_choose_the_incident_type_f3_types_the_note_and_esc_keeps_the_card() {
    let mut f = open();
    let h = &mut f.harness;
    confirm_and_log(h, "2450034", 1);
    press(h, Key::F2);
    press(h, Key::ArrowDown);
    press(h, Key::ArrowDown);
    press(h, Key::ArrowUp);
    press(h, Key::F3);
    type_keys(h, "两车相撞");
    assert!(h.get_by_label("备注").is_focused());
    // Esc leaves the note: the keyboard is back in the code box, the card unchanged.
    press(h, Key::Escape);
    assert!(h.get_by_label("灯杆编码").is_focused());
    assert_eq!(h.state().query(), "2450034");
    assert_eq!(h.state().confirmed_code().as_deref(), Some("2-45-0034"));
    // F3 again and Ctrl+Enter save what was chosen and typed.
    press(h, Key::F3);
    press_with(h, Modifiers::COMMAND, Key::Enter);
    step_until(h, "the note", |h| {
        h.state().calls_today()[0].note == "两车相撞"
    });
    assert_eq!(h.state().calls_today()[0].incident_type, "交通事故");
    assert_eq!(h.state().calls_today().len(), 1);
}

/// A supervisor password that is also a valid code: if any keystroke fell through to the
/// code box, Enter would log a call for it.
const CODE_LIKE_PASSWORD: &str = "2450034";

#[test]
fn a_password_typed_in_supervisor_mode_never_reaches_the_code_box_or_the_log() {
    let mut f = open();
    let h = &mut f.harness;
    h.get_by_label("值班长").click();
    step_until(h, "the password form", |h| {
        h.query_by_label("设置密码").is_some()
    });
    // Typed straight away, without clicking a box.
    type_keys(h, CODE_LIKE_PASSWORD);
    press(h, Key::Enter);
    assert_eq!(h.state().query(), "");
    assert!(h.state().selected_code().is_none());
    assert!(!h.state().call_pending());
    // Esc closes the window; the code box takes the keyboard again.
    press(h, Key::Escape);
    assert!(h.query_by_label("设置密码").is_none(), "Esc closes it");
    assert!(h.state().calls_today().is_empty());
    type_keys(h, "1010002");
    assert_eq!(h.state().query(), "1010002");
    press(h, Key::Enter);
    wait_for_log(h, 1);
    let logged = &h.state().calls_today()[0].call;
    assert_eq!(logged.query, "1010002");
    assert!(!format!("{logged:?}").contains(CODE_LIKE_PASSWORD));
}

#[test]
fn the_settings_window_is_modal_and_closes_with_esc() {
    let mut f = open();
    let h = &mut f.harness;
    h.get_by_label("设置").click();
    h.run();
    assert!(h.query_by_label("数据包文件夹（共享目录）").is_some());
    type_keys(h, "2450034");
    press(h, Key::Enter);
    assert_eq!(h.state().query(), "");
    assert!(!h.state().call_pending() && h.state().calls_today().is_empty());
    press(h, Key::Escape);
    assert!(h.query_by_label("数据包文件夹（共享目录）").is_none());
}

#[test]
fn the_operator_is_asked_at_the_start_and_goes_into_every_call_and_can_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = demo_options(dir.path());
    options.operator = None;
    let mut h = launch(options, None);
    assert!(h.state().asks_operator());
    // Nothing reaches the code box while the name is asked.
    type_keys(&mut h, "赵六");
    press(&mut h, Key::Enter);
    assert!(!h.state().asks_operator());
    assert_eq!(h.state().operator(), "赵六");
    assert_eq!(h.state().query(), "");
    confirm_and_log(&mut h, "2450034", 1);

    h.get_by_label("换班…").click();
    h.run();
    assert!(h.state().asks_operator());
    press_with(&mut h, Modifiers::COMMAND, Key::A);
    type_keys(&mut h, "钱七");
    press(&mut h, Key::Enter);
    assert!(h.query_by_label_contains("接警员：钱七").is_some());
    press(&mut h, Key::Escape);
    confirm_and_log(&mut h, "1010002", 2);
    let ops: Vec<&str> = h
        .state()
        .calls_today()
        .iter()
        .map(|c| c.call.operator.as_str())
        .collect();
    assert_eq!(ops, ["钱七", "赵六"], "newest first");
}

#[test]
fn after_a_click_elsewhere_the_next_code_typed_still_replaces_the_confirmed_one() {
    let mut f = open();
    let h = &mut f.harness;
    type_query(h, "2450034");
    press(h, Key::Enter);
    // A click on the card's empty corner takes the keyboard from the code box.
    click_at(h, egui::pos2(300.0, 790.0));
    type_keys(h, "1010002");
    assert_eq!(h.state().query(), "1010002");
}
