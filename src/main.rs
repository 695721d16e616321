//! `lamppost`: the call-taker window by default, and the command line.

// On Windows the GUI must not open a console window beside it; subcommands started from a
// terminal attach to that terminal instead (`attach_parent_console`).
#![cfg_attr(all(windows, feature = "gui"), windows_subsystem = "windows")]

mod cli;
#[cfg(test)]
mod no_network;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    #[cfg(all(windows, feature = "gui"))]
    attach_parent_console();
    let args = cli::Cli::parse();
    let result = match args.command {
        Some(command) => cli::run(args.db.as_deref(), args.calls.as_deref(), command),
        None => open_window(
            args.db.as_deref(),
            args.calls.as_deref(),
            args.basemap,
            args.operator,
            started,
        ),
    };
    match result {
        Ok(code) => code,
        Err(e) if cli::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "gui")]
fn open_window(
    db: Option<&std::path::Path>,
    calls: Option<&std::path::Path>,
    basemap: Option<std::path::PathBuf>,
    operator: Option<String>,
    started: std::time::Instant,
) -> anyhow::Result<ExitCode> {
    let options = lamppost::ui::Options {
        db: cli::resolve_db(db).map_err(|e| format!("{e:#}")),
        calls: cli::calls::resolve_calls(calls).map_err(|e| format!("{e:#}")),
        basemap,
        // Set by scripts/startup.sh to measure the time to the first ready frame.
        startup_probe: std::env::var_os("LAMPPOST_STARTUP_PROBE").map(|_| started),
        operator,
    };
    lamppost::ui::run(options)
        .map_err(|e| anyhow::anyhow!("无法打开窗口 / cannot open the window: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "gui"))]
fn open_window(
    _db: Option<&std::path::Path>,
    _calls: Option<&std::path::Path>,
    _basemap: Option<std::path::PathBuf>,
    _operator: Option<String>,
    _started: std::time::Instant,
) -> anyhow::Result<ExitCode> {
    use clap::CommandFactory as _;
    eprintln!(
        "此版本未包含图形界面（编译时未启用 gui 功能）/ this build has no window (built without the `gui` feature); use a subcommand:\n"
    );
    cli::Cli::command().print_help()?;
    Ok(ExitCode::from(2))
}

/// A Windows GUI-subsystem program starts with no console: started from `cmd` or PowerShell, its
/// subcommands (and `--help`, and errors) would print nothing. When the standard output is not
/// already redirected (a pipe or a file, which works as it is), attach to the console of the
/// parent process, if it has one; double-clicked from the Explorer there is none and nothing
/// changes.
///
/// `unsafe` because these are raw Win32 calls (windows-sys). Both take plain integers and no
/// pointers. Unsafe code is denied everywhere (`unsafe_code = "deny"` in Cargo.toml) except in such
/// marked places, each with its reason.
#[cfg(all(windows, feature = "gui"))]
#[allow(unsafe_code)]
fn attach_parent_console() {
    use windows_sys::Win32::System::Console::{
        ATTACH_PARENT_PROCESS, AttachConsole, GetStdHandle, STD_OUTPUT_HANDLE,
    };
    // SAFETY: GetStdHandle takes a constant and returns a handle value (or null); AttachConsole
    // takes a constant process id. Neither reads or writes memory of ours.
    unsafe {
        if GetStdHandle(STD_OUTPUT_HANDLE).is_null() {
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}
