//! The program under test, for the integration tests that run the binary (`tests/cli.rs`,
//! `tests/import.rs`, `tests/tiles_cli.rs`).
//!
//! By default that is the binary cargo built beside the tests. `scripts/package.sh --test`
//! runs the same test binaries against a packaged executable instead, with no second build:
//!
//! - `LAMPPOST_TEST_EXE`: the executable, e.g. `dist/stage/lamppost-0.1.0-linux-arm64/lamppost`;
//! - `LAMPPOST_TEST_RUNNER`: what runs it, split on spaces, e.g.
//!   `qemu-aarch64 -L /usr/aarch64-linux-gnu` (so no space inside one of its words).
//!
//! A test that cannot hold for such an executable (a debug-only test hook, say) calls
//! [`skip_for_packaged`] first, which prints why; `package.sh` counts those lines.

// Each test crate that includes this module uses only part of it.
#![allow(dead_code)]

use std::ffi::OsString;
use std::process::Command;

/// The packaged executable under test, if `LAMPPOST_TEST_EXE` names one.
pub fn packaged_exe() -> Option<OsString> {
    std::env::var_os("LAMPPOST_TEST_EXE").filter(|s| !s.is_empty())
}

/// A command that runs `lamppost`: cargo's build, or the packaged executable through its runner.
pub fn lamppost() -> Command {
    let Some(exe) = packaged_exe() else {
        return Command::new(env!("CARGO_BIN_EXE_lamppost"));
    };
    let runner = std::env::var("LAMPPOST_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        None => Command::new(exe),
        Some(first) => {
            let mut c = Command::new(first);
            c.args(words).arg(exe);
            c
        }
    }
}

/// True when a packaged executable is under test, after printing (once per test, on stdout, which
/// `cargo test -- --show-output` shows) the line `SKIPPED for the packaged executable: REASON`.
/// A test calls it first and returns when it is true: it never passes without having run.
pub fn skip_for_packaged(reason: &str) -> bool {
    if packaged_exe().is_none() {
        return false;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_owned();
    println!("SKIPPED for the packaged executable: {test}: {reason}");
    true
}

/// Like [`skip_for_packaged`], for a test that cannot hold for a Windows executable (under Wine).
pub fn skip_for_windows_exe(reason: &str) -> bool {
    let windows = packaged_exe().is_some_and(|e| {
        std::path::Path::new(&e)
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("exe"))
    });
    windows && skip_for_packaged(reason)
}
