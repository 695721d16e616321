//! `lamppost master init|datasets|push|publish|pull --url postgres://…`: the master copy of
//! every dataset on PostgreSQL + PostGIS (`lamppost-master`), for centres that outgrow one
//! supervisor's database. A push runs the local import's checks and dry run; the workstations
//! still get signed data packages.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};
use lamppost_data::store::signing::read_key;
use lamppost_data::store::{Access, Store};
use lamppost_master::{Master, MasterError, Pulled};
use serde_json::json;

use super::import::{ImportArgs, REFUSED, options_of, print_summary, with_progress_bar};
use super::output::Keep;
use super::{operator, print_json};

/// Where the master is.
#[derive(Debug, Args)]
pub struct At {
    /// The master database: `postgres://USER@HOST:PORT/DB` (or `host=… user=… dbname=…`).
    /// No TLS: the master sits on the centre's own network.
    #[arg(long, env = "LAMPPOST_MASTER_URL", value_name = "URL")]
    pub url: String,
}

/// `lamppost master …`
#[derive(Debug, Subcommand)]
pub enum MasterCommand {
    /// Create the master's tables (and PostGIS) where missing; with --dataset and --from,
    /// take a local database in as a new dataset, with its versions and history.
    Init {
        #[command(flatten)]
        at: At,
        /// The new dataset's name in the master (a city, a centre).
        #[arg(long, requires = "from")]
        dataset: Option<String>,
        /// The local database to take in as that dataset.
        #[arg(long, value_name = "DB", requires = "dataset")]
        from: Option<PathBuf>,
        /// The dataset's code format, as the centre describes it (e.g. `街路编码2位+杆号4位`).
        #[arg(long, default_value = "")]
        code_format: String,
    },
    /// The master's datasets with their versions and pole counts.
    Datasets {
        #[command(flatten)]
        at: At,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The audit record: every push (applied or refused, with the conflicting codes) and
    /// every dataset taken in.
    Log {
        #[command(flatten)]
        at: At,
        /// Only this dataset's.
        #[arg(long)]
        dataset: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a file exactly as `import` does, against the master's dataset, and apply it there
    /// as one new version with its audit record (`--dry-run` shows the changes only). A push
    /// whose poles another push changed since is refused with their codes.
    Push {
        #[command(flatten)]
        at: At,
        /// The dataset in the master.
        #[arg(long)]
        dataset: String,
        #[command(flatten)]
        import: Box<ImportArgs>,
    },
    /// Write the signed data package of a dataset's current version for its workstations.
    Publish {
        #[command(flatten)]
        at: At,
        /// The dataset in the master.
        #[arg(long)]
        dataset: String,
        /// The package file (its manifest is written beside it as FILE.json).
        out: PathBuf,
        /// The version to publish: refused unless it is the current one.
        #[arg(long)]
        version: Option<i64>,
        /// The centre's key to sign it with (default: `centre.key` in the per-user data
        /// folder, when there is one).
        #[arg(long, env = "LAMPPOST_CENTRE_KEY", value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Bring the local database (--db) up to the master's version of a dataset (needs the
    /// supervisor password when one is set).
    Pull {
        #[command(flatten)]
        at: At,
        /// The dataset in the master.
        #[arg(long)]
        dataset: String,
        /// Sign the package installed with this centre key (a database that pinned the key
        /// takes only signed packages).
        #[arg(long, env = "LAMPPOST_CENTRE_KEY", value_name = "FILE")]
        key: Option<PathBuf>,
        /// Replace local versions that the master does not have.
        #[arg(long)]
        force: bool,
    },
}

/// Exit status of a push refused because another push changed the same poles.
const CONFLICT: u8 = 3;

/// Runs a `master` subcommand; `db` is the local database (`pull`).
pub fn run(db: &Path, cmd: MasterCommand, keep: &Keep) -> Result<ExitCode> {
    match cmd {
        MasterCommand::Init {
            at,
            dataset,
            from,
            code_format,
        } => {
            let mut m = Master::connect(&at.url)?;
            m.init()?;
            outln!("主库已就绪 / the master is ready");
            if let (Some(dataset), Some(from)) = (dataset, from) {
                let store = Store::open(&from, Access::ReadOnly)?;
                let v = m.add_dataset(&dataset, &code_format, &store, &operator())?;
                outln!(
                    "已导入数据集 / took in the dataset {dataset} (数据版本 data version {v}): {}",
                    from.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        MasterCommand::Datasets { at, json } => {
            let list = Master::connect(&at.url)?.datasets()?;
            if json {
                print_json(&json!({ "datasets": list }))?;
            } else {
                outln!("数据集 dataset | 版本 version | 灯杆 poles | 编码格式 code format");
                for d in list {
                    outln!(
                        "{} | {} | {} | {}",
                        d.dataset,
                        d.version,
                        d.poles,
                        d.code_format
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MasterCommand::Log { at, dataset, json } => {
            let log = Master::connect(&at.url)?.audit_log(dataset.as_deref())?;
            if json {
                print_json(&json!({ "pushes": log }))?;
            } else {
                outln!(
                    "# | 数据集 dataset | 时间 at | 操作员 by | 来源 source | 版本 version | 结果 outcome | +added ~changed -removed | 冲突 conflicts | 备注 note"
                );
                for p in log {
                    outln!(
                        "{} | {} | {} | {} | {} | {} → {} | {} | +{} ~{} -{} | {} | {}",
                        p.id,
                        p.dataset,
                        p.pushed_at,
                        p.pushed_by,
                        p.source_name,
                        p.base_version,
                        p.version.map_or_else(|| "-".to_owned(), |v| v.to_string()),
                        p.outcome,
                        p.added,
                        p.changed,
                        p.removed,
                        p.conflicts.join(" "),
                        p.note
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MasterCommand::Push {
            at,
            dataset,
            import,
        } => push(&at.url, &dataset, &import, keep),
        MasterCommand::Publish {
            at,
            dataset,
            out,
            version,
            key,
        } => {
            for p in [
                out.clone(),
                lamppost_data::store::package::manifest_path(&out),
            ] {
                super::output::check(&p, false, keep)?;
            }
            let key_file = key.or_else(|| {
                super::package::default_key_path()
                    .ok()
                    .filter(|p| p.is_file())
            });
            let key = key_file.as_deref().map(read_key).transpose()?;
            if key.is_none() {
                eprintln!(
                    "警告：数据包未签名（没有中心密钥，见 lamppost package keygen）/ warning: the package is not signed (no centre key; see lamppost package keygen)"
                );
            }
            let mut m = Master::connect(&at.url)?;
            let man = m.publish(&dataset, version, &out, &operator(), key.as_ref())?;
            outln!(
                "已发布 / published {dataset}: {} (数据版本 data version {}, {} 个编码 codes, SHA-256 {}{})",
                out.display(),
                man.data_version,
                man.poles,
                man.sha256,
                if man.signature.is_empty() {
                    ", 未签名 unsigned"
                } else {
                    ", 已签名 signed"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        MasterCommand::Pull {
            at,
            dataset,
            key,
            force,
        } => {
            if db.exists() {
                let mut store = Store::open(db, Access::ReadWrite)?;
                super::package::require_supervisor(&mut store)?;
            }
            let key = key.as_deref().map(read_key).transpose()?;
            let mut m = Master::connect(&at.url)?;
            match m.pull(&dataset, db, &operator(), key.as_ref(), force)? {
                Pulled::UpToDate(v) => {
                    outln!("已是主库的最新版本 / already at the master's version: {dataset} {v}");
                }
                Pulled::Installed(i) => {
                    outln!(
                        "已从主库更新 / pulled {dataset} from the master: 数据版本 data version {} → {}",
                        i.from_version,
                        i.to_version
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn push(url: &str, dataset: &str, a: &ImportArgs, keep: &Keep) -> Result<ExitCode> {
    if let Some(out) = &a.report {
        super::output::check(out, a.force, keep)?;
    }
    let (files, opts) = options_of(a)?;
    let mut m = Master::connect(url)?;
    let mut prepared = with_progress_bar(opts.control.clone(), || {
        m.prepare_push(dataset, &files, &opts)
    })?;
    // The version the local copy gave it is not the master's: the master numbers it below.
    prepared.report.version = None;
    let applied = match &prepared.changes {
        None => None,
        Some(changes) => match m.apply(changes, &operator(), None) {
            Ok(applied) => Some(applied),
            Err(e @ MasterError::Conflict { .. }) => {
                if a.json {
                    print_json(&json!({
                        "report": prepared.report,
                        "applied": false,
                        "conflict": e.to_string(),
                    }))?;
                } else {
                    print_summary(&prepared.report)?;
                }
                eprintln!("错误 / error: {e}");
                return Ok(ExitCode::from(CONFLICT));
            }
            Err(e) => return Err(e.into()),
        },
    };
    if let Some(ap) = &applied {
        prepared.report.version = Some(ap.version);
    }
    let r = &prepared.report;
    if let Some(out) = &a.report {
        super::output::write_file(out, a.force, keep, |f| {
            super::import::write_report(f, out, r)
        })?;
    }
    if a.json {
        print_json(&json!({ "report": r, "master": applied }))?;
    } else {
        print_summary(r)?;
        if let Some(ap) = &applied {
            outln!(
                "主库 / master: {} 版本 version {} → {}",
                ap.dataset,
                ap.base,
                ap.version
            );
        }
    }
    let refused = r.rejected_total > 0 && !(r.applied || (a.dry_run && a.allow_partial));
    Ok(if refused {
        ExitCode::from(REFUSED)
    } else {
        ExitCode::SUCCESS
    })
}
