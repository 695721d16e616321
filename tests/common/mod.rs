//! What the integration tests that run the binary share (`tests/cli.rs`, `tests/import.rs`):
//! the program under test, and the helpers to run it on a fresh demo database ([`bin`],
//! [`run`], [`demo`], [`json`], [`json_of`]).
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

pub mod pg;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

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

/// `lamppost` as the tests run it: never the real per-user database or call log, no test hook
/// left on from the caller's environment, and a named operator for the audit records.
pub fn bin() -> Command {
    let mut c = lamppost();
    c.env_remove("LAMPPOST_DB");
    c.env_remove("LAMPPOST_CALLS");
    c.env_remove("LAMPPOST_TEST_PAUSE_BEFORE_COMMIT_MS");
    c.env_remove("LAMPPOST_CENTRE_KEY");
    c.env("LAMPPOST_OPERATOR", "test-supervisor");
    c
}

/// Runs `lamppost --db DB ARGS…`.
pub fn run(db: &Path, args: &[&str]) -> Output {
    bin().arg("--db").arg(db).args(args).output().unwrap()
}

/// A temp dir with the demo database in it.
pub fn demo() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let out = run(&db, &["init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, db)
}

/// The JSON a successful command printed.
pub fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "status {:?}, stderr {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The JSON a command printed, whatever its exit status (an import that refused a file).
pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): status {:?}\nstdout {}\nstderr {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A fixture's path: `rel` under `tests/fixtures`.
pub fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
        .display()
        .to_string()
}

/// `lamppost import ARGS… --json` on `db`: the report.
pub fn import_json(db: &Path, args: &[&str]) -> Value {
    let mut a = vec!["import"];
    a.extend_from_slice(args);
    a.push("--json");
    json_of(&run(db, &a))
}

/// A hash of every table's content, to prove that a refused command (an import, a package
/// install, an export over the database) wrote nothing.
pub fn db_hash(db: &Path) -> String {
    use sha2::Digest as _;
    let c = rusqlite::Connection::open(db).unwrap();
    let mut h = sha2::Sha256::new();
    for (table, order) in [
        ("poles", "code"),
        ("streets", "street_code"),
        ("versions", "version"),
        ("pole_history", "rowid"),
        ("meta", "key"),
    ] {
        let mut st = c
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i).unwrap();
                h.update(format!("{v:?}\u{1}").as_bytes());
            }
            h.update(b"\n");
        }
    }
    format!("{:x}", h.finalize())
}
