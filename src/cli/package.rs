//! `lamppost package …` and `lamppost password …`: data packages for the other workstations,
//! and the supervisor's password that guards every change.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use lamppost_data::store::package::{
    Install, PackageError, full_package_in, install_package, manifest_path, verify_package,
};

use super::output::Keep;
use lamppost_data::store::signing::{generate_key, parse_public_key, read_key};
use lamppost_data::store::{Access, Store};

/// Data package subcommands.
#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Write a data package (a consistent snapshot and its manifest with SHA-256) for the
    /// other workstations.
    Export {
        /// The package file to write (its manifest is written beside it as FILE.json).
        out: PathBuf,
        /// Write an incremental package instead: only the changes since data version N (an
        /// SQLite changeset, signed), made against the full package of version N that this
        /// centre published in the same folder as FILE (or the one given with --base).
        /// Workstations at version N apply it in one step; any other falls back to the full
        /// package.
        #[arg(long, value_name = "N")]
        since: Option<i64>,
        /// The full package the incremental package starts from (default: the one of version
        /// --since in FILE's folder).
        #[arg(long, value_name = "FILE", requires = "since")]
        base: Option<PathBuf>,
        /// The centre's key to sign it with (default: `centre.key` in the per-user data
        /// folder, when there is one). Workstations that pinned the key take only signed
        /// packages.
        #[arg(long, env = "LAMPPOST_CENTRE_KEY", value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Make the centre's signing key (once, on the supervisor's machine) and print the public
    /// key to pin on every workstation with `package trust`.
    Keygen {
        /// Where to keep the key (default: `centre.key` in the per-user data folder). Never
        /// overwritten; keep a backup of it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Pin the centre's public key on this workstation: from then on only packages signed
    /// with it are installed (needs the supervisor password when one is set).
    Trust {
        /// The public key, 64 hex digits, as `package keygen` printed it.
        public_key: String,
    },
    /// Check a package against its manifest without installing it.
    Verify {
        /// The package file.
        file: PathBuf,
    },
    /// Install a package: verified, signed with the centre key pinned here (`package
    /// trust`), only if newer (unless --force), the previous data kept beside the database as
    /// `.previous`.
    Install {
        /// The package file.
        file: PathBuf,
        /// Install even an older package or one of another dataset.
        #[arg(long)]
        force: bool,
        /// Install an unsigned package on a workstation that has no centre key pinned yet. For
        /// a first set-up or tests only: pin the centre key with `package trust` instead.
        #[arg(long)]
        allow_unsigned: bool,
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

/// The centre's key file by default: `centre.key` beside the default database.
pub(crate) fn default_key_path() -> Result<PathBuf> {
    Ok(super::default_db_path()?.with_file_name("centre.key"))
}

/// Runs a `package` subcommand on the database at `db`; `keep` names what its output must
/// never replace.
pub fn run(db: &Path, cmd: PackageCommand, keep: &Keep) -> Result<ExitCode> {
    match cmd {
        PackageCommand::Export {
            out,
            key,
            since,
            base,
        } => {
            // The package and its manifest never replace a database in use or its side files
            // (`export_package` refuses any existing file itself).
            for p in [out.clone(), manifest_path(&out)] {
                super::output::check(&p, false, keep)?;
            }
            let key_file = match key {
                Some(k) => Some(k),
                None => default_key_path().ok().filter(|p| p.is_file()),
            };
            let key = key_file.as_deref().map(read_key).transpose()?;
            if key.is_none() {
                eprintln!(
                    "警告：数据包未签名（没有中心密钥，见 lamppost package keygen），设置了中心公钥的工作站不会安装它 / warning: the package is not signed (no centre key; see lamppost package keygen); workstations that pinned the centre's key will refuse it"
                );
            }
            let store = Store::open(db, Access::ReadOnly)?;
            if let Some(since) = since {
                return export_increment(&store, &out, since, base, key.as_ref());
            }
            let m = store.export_package(&out, &super::operator(), key.as_ref())?;
            outln!(
                "已导出数据包 / exported the data package: {} ({} {}, 数据版本 data version {}, {} 个编码 codes, SHA-256 {}{})",
                out.display(),
                m.dataset,
                lamppost::clock::local_text(&m.created_at),
                m.data_version,
                m.poles,
                m.sha256,
                if m.signer.is_empty() {
                    String::new()
                } else {
                    format!(", 签名 signed by {}", m.signer)
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        PackageCommand::Keygen { out } => {
            let path = match out {
                Some(p) => p,
                None => default_key_path()?,
            };
            let key = generate_key(&path)?;
            outln!(
                "已生成中心密钥 / made the centre's key: {}\n请妥善备份此文件，不要放在共享目录 / back this file up and never put it on the share.\n在每台工作站上运行 / on every workstation run:\n  lamppost package trust {}",
                path.display(),
                key.public_hex()
            );
            Ok(ExitCode::SUCCESS)
        }
        PackageCommand::Trust { public_key } => {
            let Some(public_key) = parse_public_key(&public_key) else {
                bail!(
                    "这不是中心公钥（应为 64 个十六进制数字）/ this is not a centre public key (64 hex digits expected): {public_key}"
                );
            };
            let mut store = if db.exists() {
                Store::open(db, Access::ReadWrite)?
            } else {
                // A new workstation: an empty database that the first package fills.
                Store::create(db)?
            };
            require_supervisor(&mut store)?;
            store.trust_package_key(&public_key)?;
            outln!(
                "本工作站只安装由此公钥签名的数据包 / this workstation now installs only packages signed with: {public_key}"
            );
            Ok(ExitCode::SUCCESS)
        }
        PackageCommand::Verify { file } => {
            let m = verify_package(&file)?;
            let pinned = if db.exists() {
                Store::open(db, Access::ReadOnly)?.trusted_package_key()?
            } else {
                None
            };
            if let Some(key) = &pinned {
                lamppost_data::store::signing::check_signature(&m, key, &file)?;
            }
            outln!(
                "数据包完好 / the package is sound: {}{} 数据版本 data version {}, SHA-256 {}{}",
                m.dataset,
                m.base_version
                    .map(|b| format!(" 增量 incremental {b} →"))
                    .unwrap_or_default(),
                m.data_version,
                m.sha256,
                match (&pinned, m.signer.is_empty()) {
                    (Some(_), _) =>
                        "；签名与本机信任的中心公钥相符 / signed with the centre key pinned here",
                    (None, false) =>
                        "；已签名，但本机未设置中心公钥 / signed, but no centre key is pinned here",
                    (None, true) => "；未签名 / not signed",
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        PackageCommand::Install {
            file,
            force,
            allow_unsigned,
        } => {
            if db.exists() {
                let mut store = Store::open(db, Access::ReadWrite)?;
                require_supervisor(&mut store)?;
            }
            let how = Install {
                force,
                require_signature: !allow_unsigned,
            };
            let done = match install_package(&file, db, how) {
                Err(PackageError::NoTrustedKey(p)) => bail!(
                    "本机尚未设置信任的中心公钥，未安装：请先运行 lamppost package trust 中心公钥（由 lamppost package keygen 打印）；仅在首次设置或测试时可加 --allow-unsigned 安装未签名的数据包 / no centre key is pinned on this workstation, so nothing was installed: first run lamppost package trust KEY (the public key lamppost package keygen printed); only for a first set-up or tests, --allow-unsigned installs an unsigned package: {}",
                    p.display()
                ),
                other => other?,
            };
            if let Some(fb) = &done.fallback {
                eprintln!(
                    "增量数据包未能应用，已改为安装同一版本的完整数据包 / the incremental package could not be applied; installed the full package of the same version instead: {}\n  {}",
                    fb.full.display(),
                    fb.reason
                );
            }
            if done.signed_by.is_none() {
                eprintln!(
                    "警告：本机未设置中心公钥，未核对签名；请用 lamppost package trust 设置 / warning: no centre key is pinned on this workstation, so no signature was checked; pin it with lamppost package trust"
                );
            }
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
            super::refresh_index(db);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `package export --since N`: the incremental package from the full package of version `since`.
fn export_increment(
    store: &Store,
    out: &Path,
    since: i64,
    base: Option<PathBuf>,
    key: Option<&lamppost_data::store::signing::CentreKey>,
) -> Result<ExitCode> {
    let Some(key) = key else {
        bail!(
            "增量数据包必须签名：需要中心密钥（--key 或 lamppost package keygen）/ an incremental package must be signed: the centre's key is needed (--key, or lamppost package keygen)"
        );
    };
    let base = if let Some(b) = base {
        b
    } else {
        let folder = out
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let Some(b) = full_package_in(folder, since) else {
            bail!(
                "在 {} 中找不到数据版本 {since} 的完整数据包（增量数据包以它为基础；可用 --base 指定）/ no full package of data version {since} in {} (the incremental package starts from it; name it with --base)",
                folder.display(),
                folder.display()
            );
        };
        b
    };
    let m = store.export_increment(&base, out, &super::operator(), key)?;
    outln!(
        "已导出增量数据包 / exported the incremental package: {} ({} 数据版本 data version {} → {}, {} 字节 bytes, 基础 base {}, 签名 signed by {})",
        out.display(),
        m.dataset,
        m.base_version.unwrap_or_default(),
        m.data_version,
        m.bytes,
        base.display(),
        m.signer
    );
    Ok(ExitCode::SUCCESS)
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
