//! `lamppost calls`: the workstation's call log for the shift report.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use chrono::{Local, NaiveDate};
use clap::{Args, Subcommand};
use lamppost_data::calllog::{CallLog, Damage, Range};

use super::output::{self, Keep};

/// The call log subcommands.
#[derive(Debug, Subcommand)]
pub enum CallsCommand {
    /// Write calls to a CSV file for Excel/WPS (UTF-8 with BOM; formulas neutralised).
    Export {
        /// The CSV file to write (`-` for standard output). Never a database in use.
        out: PathBuf,
        #[command(flatten)]
        range: RangeArgs,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// List calls, newest first.
    List {
        #[command(flatten)]
        range: RangeArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Which days: today by default.
#[derive(Debug, Args)]
pub struct RangeArgs {
    /// One local date (YYYY-MM-DD); default today.
    #[arg(long, conflicts_with_all = ["from", "to", "all"])]
    date: Option<NaiveDate>,
    /// First local date (YYYY-MM-DD), inclusive.
    #[arg(long, conflicts_with = "all")]
    from: Option<NaiveDate>,
    /// Last local date (YYYY-MM-DD), inclusive; default today.
    #[arg(long, conflicts_with = "all")]
    to: Option<NaiveDate>,
    /// Every call in the log.
    #[arg(long)]
    all: bool,
}

impl RangeArgs {
    fn range(&self) -> Result<Range> {
        let today = Local::now().date_naive();
        if self.all {
            return Ok(Range::All);
        }
        if let Some(d) = self.date {
            return Ok(Range::Dates(d, d));
        }
        let to = self.to.unwrap_or(today);
        let from = self
            .from
            .unwrap_or(if self.to.is_some() { to } else { today });
        if from > to {
            bail!("开始日期晚于结束日期 / --from is after --to: {from} > {to}");
        }
        Ok(Range::Dates(from, to))
    }
}

/// The default call log: `calls.sqlite` in the per-user data folder.
pub fn default_calls_path() -> Result<PathBuf> {
    Ok(super::default_db_path()?.with_file_name("calls.sqlite"))
}

/// The call log to use: `--calls`, or the default.
pub fn resolve_calls(calls: Option<&Path>) -> Result<PathBuf> {
    calls.map_or_else(default_calls_path, |p| Ok(p.to_owned()))
}

/// Runs a `calls` subcommand.
pub fn run(calls: Option<&Path>, cmd: CallsCommand, keep: &Keep) -> Result<ExitCode> {
    let path = resolve_calls(calls)?;
    // "No call recorded yet" only when there is no log: a damaged one is said to be damaged.
    let log = CallLog::open_read_only(&path).with_context(|| {
        if path.exists() {
            format!(
                "无法打开接警记录 / cannot open the call log: {}",
                path.display()
            )
        } else {
            format!(
                "无法打开接警记录（本工作站还没有记录过接警？）/ cannot open the call log (no call recorded on this workstation yet?): {}",
                path.display()
            )
        }
    })?;
    match cmd {
        CallsCommand::Export { out, range, force } => {
            let range = range.range()?;
            let (n, damage) = if out.as_os_str() == "-" {
                let mut stdout = std::io::stdout().lock();
                log.export_csv_salvaging(range, &mut stdout)?
            } else {
                output::write_file(&out, force, keep, |mut w| {
                    Ok(log.export_csv_salvaging(range, &mut w)?)
                })?
            };
            eprintln!("已导出 {n} 条接警记录 / exported {n} calls");
            Ok(damaged(damage.as_ref()).unwrap_or(ExitCode::SUCCESS))
        }
        CallsCommand::List { range, json } => {
            let (calls, damage) = log.list_salvaging(range.range()?)?;
            let mut stdout = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut stdout, &calls).map_err(std::io::Error::from)?;
                writeln!(stdout)?;
            } else {
                for c in &calls {
                    writeln!(
                        stdout,
                        "{}  {}  {}  {}  {}  {}",
                        lamppost::clock::local_text(&c.at_utc),
                        c.call.operator,
                        c.call.code,
                        c.call.readback,
                        c.incident_type,
                        c.note
                    )?;
                }
            }
            drop(stdout);
            if let Some(code) = damaged(damage.as_ref()) {
                return Ok(code);
            }
            Ok(if calls.is_empty() {
                ExitCode::from(super::NOT_FOUND)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// Says on stderr which calls of a damaged log could not be read; the exit status for it.
fn damaged(damage: Option<&Damage>) -> Option<ExitCode> {
    let d = damage?;
    eprintln!("{d}");
    Some(ExitCode::from(DAMAGED))
}

/// Exit status when the log is damaged and only part of it could be read.
const DAMAGED: u8 = 3;
