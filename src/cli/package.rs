//! `lamppost package …` and `lamppost password …`: data packages for the other workstations,
//! and the supervisor's password that guards every change.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use lamppost_data::store::package::{install_package, verify_package};
use lamppost_data::store::{Access, Store};

/// Data package subcommands.
#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Write a data package (a consistent snapshot and its manifest with SHA-256) for the
    /// other workstations.
    Export {
        /// The package file to write (its manifest is written beside it as FILE.json).
        out: PathBuf,
    },
    /// Check a package against its manifest without installing it.
    Verify {
        /// The package file.
        file: PathBuf,
    },
    /// Install a package: verified, only if newer (unless --force), the previous data kept
    /// beside the database as `.previous`.
    Install {
        /// The package file.
        file: PathBuf,
        /// Install even an older package or one of another dataset.
        #[arg(long)]
        force: bool,
    },
}

/// Supervisor password subcommands.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum PasswordCommand {
    /// Set (or change) the supervisor password. Asks on the terminal, or reads
    /// `LAMPPOST_NEW_SUPERVISOR_PASSWORD` (and, to change it, `LAMPPOST_SUPERVISOR_PASSWORD`).
    Set,
}

/// The environment variable that gives the supervisor password to scripts.
pub const PASSWORD_ENV: &str = "LAMPPOST_SUPERVISOR_PASSWORD";
const NEW_PASSWORD_ENV: &str = "LAMPPOST_NEW_SUPERVISOR_PASSWORD";

fn ask(env: &str, prompt: &str) -> Result<String> {
    if let Ok(p) = std::env::var(env) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "需要值班长密码：请在终端中运行，或设置环境变量 {env} / the supervisor password is needed: run this in a terminal, or set {env}"
        );
    }
    rpassword::prompt_password(prompt).context("无法读取密码 / cannot read the password")
}

/// When the database has a supervisor password, asks for it and checks it (slowly when
/// wrong). Every changing command calls this first.
pub fn require_supervisor(store: &mut Store) -> Result<()> {
    if !store.has_supervisor_password()? {
        return Ok(());
    }
    let p = ask(PASSWORD_ENV, "值班长密码 / supervisor password: ")?;
    store.verify_supervisor(&p)?;
    Ok(())
}

/// Runs a `package` subcommand on the database at `db`.
pub fn run(db: &Path, cmd: PackageCommand) -> Result<ExitCode> {
    match cmd {
        PackageCommand::Export { out } => {
            let store = Store::open(db, Access::ReadOnly)?;
            let m = store.export_package(&out, &super::operator())?;
            outln!(
                "已导出数据包 / exported the data package: {} ({} {}, 数据版本 data version {}, {} 个编码 codes, SHA-256 {})",
                out.display(),
                m.dataset,
                m.created_at,
                m.data_version,
                m.poles,
                m.sha256
            );
            Ok(ExitCode::SUCCESS)
        }
        PackageCommand::Verify { file } => {
            let m = verify_package(&file)?;
            outln!(
                "数据包完好 / the package is sound: {} 数据版本 data version {}, SHA-256 {}",
                m.dataset,
                m.data_version,
                m.sha256
            );
            Ok(ExitCode::SUCCESS)
        }
        PackageCommand::Install { file, force } => {
            if db.exists() {
                let mut store = Store::open(db, Access::ReadWrite)?;
                require_supervisor(&mut store)?;
            }
            let done = install_package(&file, db, force)?;
            outln!(
                "已安装：数据版本 {} → {} / installed: data version {} → {}{}",
                done.from_version,
                done.to_version,
                done.from_version,
                done.to_version,
                done.previous
                    .map(|p| format!("；原数据保存在 / previous data kept in {}", p.display()))
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs a `password` subcommand on the database at `db`.
pub fn run_password(db: &Path, cmd: PasswordCommand) -> Result<ExitCode> {
    match cmd {
        PasswordCommand::Set => {
            let mut store = Store::open(db, Access::ReadWrite)?;
            let current = if store.has_supervisor_password()? {
                Some(ask(PASSWORD_ENV, "当前密码 / current password: ")?)
            } else {
                None
            };
            let new = ask(NEW_PASSWORD_ENV, "新密码 / new password: ")?;
            if std::env::var(NEW_PASSWORD_ENV).is_err() {
                let again = ask(NEW_PASSWORD_ENV, "再输入一次 / again: ")?;
                if again != new {
                    bail!("两次输入的密码不一致 / the two passwords differ");
                }
            }
            store.set_supervisor_password(&new, current.as_deref())?;
            outln!("已设置值班长密码 / the supervisor password is set");
            Ok(ExitCode::SUCCESS)
        }
    }
}
