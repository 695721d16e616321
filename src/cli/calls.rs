//! `lamppost calls`: the workstation's call log for the shift report.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use chrono::{Local, NaiveDate};
use clap::{Args, Subcommand};
use lamppost_core::spreadsheet::{UTF8_BOM, neutralise_formula};
use lamppost_data::calllog::report::ShiftReport;
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
    /// A shift report: calls per hour, per jurisdiction, per operator and per workstation, and
    /// how many codes were misread or not found. Works on a merged centre log too.
    Report {
        #[command(flatten)]
        range: RangeArgs,
        /// Also write it as a CSV for Excel (UTF-8 with BOM).
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Also write it as a PDF (A4, Chinese and English, the CJK font embedded).
        #[arg(long, value_name = "FILE")]
        pdf: Option<PathBuf>,
        /// Replace the CSV or PDF file if it exists.
        #[arg(long)]
        force: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Merge the call logs of several workstations into one file for the centre's reports.
    /// Every call keeps its workstation and unique id: merging again, or overlapping copies,
    /// adds only what is new. The logs given are read, never changed.
    Merge {
        /// The call logs to merge (each workstation's `calls.sqlite`).
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// The merged log (created when missing; merged into when it exists).
        #[arg(long)]
        out: PathBuf,
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
    /// The range in words, both languages (the PDF's second line).
    fn describe(&self) -> String {
        if self.all {
            return "范围 range: 全部 all".to_owned();
        }
        match self.range() {
            Ok(Range::Dates(a, b)) if a == b => format!("日期 date: {a}"),
            Ok(Range::Dates(a, b)) => format!("日期 dates: {a} – {b}"),
            _ => "范围 range: 全部 all".to_owned(),
        }
    }

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
pub fn run(
    db: Option<&Path>,
    calls: Option<&Path>,
    cmd: CallsCommand,
    keep: &Keep,
) -> Result<ExitCode> {
    let path = resolve_calls(calls)?;
    // "No call recorded yet" only when there is no log: a damaged one is said to be damaged.
    let open = || {
        CallLog::open_read_only(&path).with_context(|| {
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
        })
    };
    match cmd {
        CallsCommand::Export { out, range, force } => {
            let log = open()?;
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
            let (calls, damage) = open()?.list_salvaging(range.range()?)?;
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
        CallsCommand::Report {
            range,
            csv,
            pdf,
            force,
            json,
        } => {
            let (calls, damage) = open()?.list_salvaging(range.range()?)?;
            // The log names the pole; its jurisdiction is in the reference data. Without it
            // the report still counts everything else.
            let index = super::resolve_db(db)
                .ok()
                .and_then(|p| lamppost_search::SearchIndex::open(&p).ok());
            if index.is_none() {
                eprintln!(
                    "警告：无法打开灯杆数据库，辖区一栏留空 / warning: the reference database cannot be opened; jurisdictions are left empty"
                );
            }
            let report = ShiftReport::of(&calls, |code| {
                let index = index.as_ref()?;
                let id = index.lookup(code)?;
                Some(index.pole(id).jurisdiction().to_owned())
            });
            if let Some(out) = &csv {
                output::write_file(out, force, keep, |w| write_report_csv(&report, w))?;
            }
            if let Some(out) = &pdf {
                let bytes = super::report_pdf::write_report_pdf(
                    &report,
                    &range.describe(),
                    &format!(
                        "制表 made {} · {} 接警 calls",
                        Local::now().format("%Y-%m-%d %H:%M"),
                        report.calls
                    ),
                )?;
                output::write_file(out, force, keep, |w| Ok(w.write_all(&bytes)?))?;
            }
            let mut stdout = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut stdout, &report).map_err(std::io::Error::from)?;
                writeln!(stdout)?;
            } else {
                let mut section = "";
                for (s, key, n) in report.rows() {
                    if s != section {
                        writeln!(stdout, "{s}")?;
                        section = s;
                    }
                    let key = if key.is_empty() { "-" } else { &key };
                    writeln!(stdout, "  {key:<24} {n:>6}")?;
                }
            }
            drop(stdout);
            Ok(damaged(damage.as_ref()).unwrap_or(ExitCode::SUCCESS))
        }
        CallsCommand::Merge { logs, out, json } => merge(&logs, &out, json, keep),
    }
}

/// Writes the shift report as rows (section, key, calls) for Excel.
fn write_report_csv(report: &ShiftReport, w: &mut dyn std::io::Write) -> Result<()> {
    w.write_all(UTF8_BOM)?;
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(w);
    csv.write_record(["项目 section", "类别 key", "接警数 calls"])?;
    for (section, key, n) in report.rows() {
        csv.write_record([section, neutralise_formula(&key).as_ref(), &n.to_string()])?;
    }
    csv.flush()?;
    Ok(())
}

/// Runs `calls merge`.
fn merge(logs: &[PathBuf], out: &Path, json: bool, keep: &Keep) -> Result<ExitCode> {
    // Never into this workstation's own log or the reference database.
    output::refuse_kept(out, keep)?;
    let mut merged = CallLog::open(out).with_context(|| {
        format!(
            "无法打开或创建合并文件 / cannot open or create the merged log: {}",
            out.display()
        )
    })?;
    let n = merged.merge_from(logs)?;
    if json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, &n).map_err(std::io::Error::from)?;
        writeln!(stdout)?;
    } else {
        println!(
            "已合并 {} 个接警记录文件：新增 {} 条接警、{} 条备注，{} 条已有 / merged {} call logs: {} calls and {} notes added, {} already there: {}",
            n.files,
            n.calls_added,
            n.annotations_added,
            n.calls_known,
            n.files,
            n.calls_added,
            n.annotations_added,
            n.calls_known,
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Says on stderr which calls of a damaged log could not be read; the exit status for it.
fn damaged(damage: Option<&Damage>) -> Option<ExitCode> {
    let d = damage?;
    eprintln!("{d}");
    Some(ExitCode::from(DAMAGED))
}

/// Exit status when the log is damaged and only part of it could be read.
const DAMAGED: u8 = 3;
