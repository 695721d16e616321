//! The master copy on PostgreSQL + PostGIS: when one supervisor's SQLite file is no longer
//! enough (many centres, many supervisors), the reference data of every dataset (a city, a
//! centre) lives in one PostgreSQL database that the province's IT department already runs,
//! and the workstations stay offline, fed by signed data packages.
//!
//! This crate speaks SQL to PostgreSQL only. The local SQLite databases are read and written
//! through `lamppost-data` (a whole dataset as a [`Replica`]), and a push runs the very same
//! checks as a local import (`lamppost-import`) against a local copy of the master's dataset:
//!
//! - [`Master::add_dataset`] takes a supervisor's database in as a new dataset (its versions
//!   and change history too);
//! - [`Master::prepare_push`] copies the dataset into a fresh local database, runs the import
//!   there (a dry run only reports), and keeps what the import changed ([`PushChanges`]);
//! - [`Master::apply`] writes those changes to the master as one transaction with its audit
//!   record, after checking that no version since the one the push was checked against
//!   touched the same poles ([`MasterError::Conflict`] otherwise: nothing is written);
//! - [`Master::publish`] writes the signed data package of a dataset, and [`Master::pull`]
//!   installs the master's version into a supervisor's database, both through a local copy
//!   and `lamppost-data`'s package writer.
//!
//! The schema ([`schema`]) uses standard SQL types and one PostGIS point column, written and
//! read as WKB ([`wkb`]), so that a PostgreSQL-compatible domestic database with a PostGIS
//! port could host it (docs/SCALE.md says what was tested).

#![forbid(unsafe_code)]

pub mod schema;
pub mod wkb;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lamppost_core::words::{Message, Words};
use lamppost_data::store::package::{Install, Installed, Manifest, PackageError, install_package};
use lamppost_data::store::replica::{HistoryRow, Replica, StoredPole, StreetRow};
use lamppost_data::store::signing::CentreKey;
use lamppost_data::store::{Access, PoleRow, Store, StoreError, VersionInfo};
use lamppost_import::{ImportError, Input, Options, Report};
use postgres::fallible_iterator::FallibleIterator as _;
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, NoTls, Transaction};

/// Why a master command could not run.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum MasterError {
    /// The server could not be reached or refused the login (the driver's words).
    Connect(String),
    /// The server refused a statement (the driver's words).
    Sql(String),
    /// The database has no Lamppost master schema (`lamppost master init`).
    NotInitialised,
    /// The schema is of another version than this program's.
    OtherSchema(String),
    /// No such dataset in the master.
    NoDataset(String),
    /// The dataset exists already.
    DatasetExists(String),
    /// Another push changed the same poles since the version this push was checked against;
    /// nothing was written.
    Conflict {
        /// The dataset.
        dataset: String,
        /// The version the push was checked against.
        base: i64,
        /// The master's version now.
        current: i64,
        /// The conflicting codes, sorted.
        codes: Vec<String>,
    },
    /// Only the master's current version can be published.
    NotCurrent {
        /// The version asked for.
        asked: i64,
        /// The master's version.
        current: i64,
    },
    /// The local database has versions the master does not (imported locally, not pushed);
    /// a pull would drop them.
    Diverged {
        /// The local data version.
        local: i64,
        /// The master's version.
        master: i64,
    },
    /// A stored geometry is not a WGS-84 point.
    BadGeometry(String),
    /// The local database said no.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The package could not be made or installed.
    #[error(transparent)]
    Package(#[from] PackageError),
    /// The import could not run.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A temporary folder could not be made.
    Io(String),
}

impl Words for MasterError {
    fn message(&self) -> Message {
        match self {
            Self::Connect(d) => {
                Message::new("无法连接主库", "cannot connect to the master database").about(d)
            }
            Self::Sql(d) => Message::new("主库拒绝了操作", "the master database refused").about(d),
            Self::NotInitialised => Message::new(
                "该数据库没有灯杆主库结构（先运行 lamppost master init）",
                "the database holds no Lamppost master (run lamppost master init first)",
            ),
            Self::OtherSchema(v) => Message::new(
                "主库结构版本与本程序不符",
                "the master's schema is of another version than this program's",
            )
            .about(v),
            Self::NoDataset(d) => {
                Message::new("主库中没有这个数据集", "no such dataset in the master").about(d)
            }
            Self::DatasetExists(d) => {
                Message::new("主库中已有这个数据集", "the master already has this dataset")
                    .about(d)
            }
            Self::Conflict {
                dataset,
                base,
                current,
                codes,
            } => Message::new(
                format!(
                    "冲突，未写入：数据集 {dataset} 在检查所依据的版本 {base} 之后已更新到版本 {current}，其中改动了同样的 {} 根灯杆（先 master pull 再重新推送）",
                    codes.len()
                ),
                format!(
                    "conflict, nothing written: since version {base}, which this push was checked against, dataset {dataset} reached version {current}, changing the same {} poles (master pull, then push again)",
                    codes.len()
                ),
            )
            .about(codes.join(", ")),
            Self::NotCurrent { asked, current } => Message::new(
                format!("只能发布主库的当前版本 {current}"),
                format!("only the master's current version, {current}, can be published"),
            )
            .about(asked),
            Self::Diverged { local, master } => Message::new(
                format!(
                    "本地数据（版本 {local}）含有主库（版本 {master}）没有的版本，拉取会丢弃它们（先推送，或用 --force）"
                ),
                format!(
                    "the local data (version {local}) holds versions the master (version {master}) does not; a pull would drop them (push them first, or use --force)"
                ),
            ),
            Self::BadGeometry(code) => Message::new(
                "主库中的几何不是 WGS-84 点",
                "a geometry in the master is not a WGS-84 point",
            )
            .about(code),
            Self::Store(e) => e.message(),
            Self::Package(e) => e.message(),
            Self::Import(e) => e.message(),
            Self::Io(d) => Message::new("无法创建临时文件", "cannot make a temporary file").about(d),
        }
    }
}

impl From<postgres::Error> for MasterError {
    fn from(e: postgres::Error) -> Self {
        Self::Sql(match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string(),
        })
    }
}

fn io(e: &std::io::Error) -> MasterError {
    MasterError::Io(e.to_string())
}

/// A dataset in the master.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Dataset {
    /// Its name in the master.
    pub dataset: String,
    /// Its code format, as given when it was taken in.
    pub code_format: String,
    /// The version it is at.
    pub version: i64,
    /// Its number of poles.
    pub poles: i64,
}

/// What a push changes, as checked against the master's version `base`.
#[derive(Debug, Clone, Default)]
pub struct PushChanges {
    /// The dataset.
    pub dataset: String,
    /// The master's version the push was checked against.
    pub base: i64,
    /// The version row (its number is replaced by the one the master gives it).
    pub version: Option<VersionInfo>,
    /// The change history, in order (versions replaced likewise).
    pub history: Vec<HistoryRow>,
    /// Each pole touched: its row after the push, `None` when removed.
    pub poles: BTreeMap<String, Option<PoleRow>>,
    /// Streets added or changed.
    pub streets: Vec<StreetRow>,
    /// Metadata added or changed (a saved column mapping).
    pub meta: Vec<(String, String)>,
}

/// A checked push: the import's report and, when it would apply, the changes.
#[derive(Debug)]
pub struct Prepared {
    /// The import's report, as a local import prints it (its version is the local copy's).
    pub report: Report,
    /// What to write to the master; `None` for a dry run or a push the checks refused.
    pub changes: Option<PushChanges>,
}

/// What [`Master::apply`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// The dataset.
    pub dataset: String,
    /// The version the push was checked against.
    pub base: i64,
    /// The master's new version.
    pub version: i64,
    /// Poles added, changed, removed.
    pub added: i64,
    /// Poles changed.
    pub changed: i64,
    /// Poles removed.
    pub removed: i64,
}

/// What [`Master::pull`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Pulled {
    /// The local database is at the master's version already.
    UpToDate(i64),
    /// The master's version was installed.
    Installed(Installed),
}

/// One audit record: a push applied or refused, or a dataset taken in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PushRecord {
    /// Its number.
    pub id: i64,
    /// The dataset.
    pub dataset: String,
    /// When (UTC, RFC 3339).
    pub pushed_at: String,
    /// Who.
    pub pushed_by: String,
    /// The source file's name.
    pub source_name: String,
    /// SHA-256 of the source file.
    pub source_sha256: String,
    /// The version the push was checked against.
    pub base_version: i64,
    /// The version it became; `None` when refused.
    pub version: Option<i64>,
    /// `applied`, `refused` or `created`.
    pub outcome: String,
    /// Poles added.
    pub added: i64,
    /// Poles changed.
    pub changed: i64,
    /// Poles removed.
    pub removed: i64,
    /// The conflicting codes of a refused push.
    pub conflicts: Vec<String>,
    /// The note.
    pub note: String,
}

type Param = Box<dyn ToSql + Sync>;

/// Rows per multi-row `INSERT`: well under PostgreSQL's 65,535 parameters per statement.
fn batch_rows(columns: usize) -> usize {
    (30_000 / columns.max(1)).clamp(1, 1000)
}

/// Inserts `rows` with multi-row `VALUES` (plain SQL). `columns` are the column names and
/// `values` their expressions, `?` standing for the parameter. The rows' parameters are made
/// one statement's worth at a time (a million poles' parameters at once took about 1 GB).
fn insert_rows(
    tx: &mut Transaction<'_>,
    table: &str,
    columns: &[&str],
    values: &[&str],
    rows: impl IntoIterator<Item = Vec<Param>>,
) -> Result<(), postgres::Error> {
    let per = batch_rows(columns.len());
    let statement = |n: usize| {
        let mut sql = format!("INSERT INTO {table}({}) VALUES ", columns.join(", "));
        let mut p = 0;
        for r in 0..n {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                p += 1;
                sql.push_str(&v.replace('?', &format!("${p}")));
            }
            sql.push(')');
        }
        sql
    };
    let mut full = None;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Param>> = rows.by_ref().take(per).collect();
        let params: Vec<&(dyn ToSql + Sync)> = chunk.iter().flatten().map(AsRef::as_ref).collect();
        if chunk.len() == per {
            if full.is_none() {
                full = Some(tx.prepare(&statement(per))?);
            }
            if let Some(st) = &full {
                tx.execute(st, &params)?;
            }
        } else {
            tx.execute(statement(chunk.len()).as_str(), &params)?;
        }
    }
    Ok(())
}

const POLE_COLUMNS: &[&str] = &[
    "dataset",
    "code",
    "code_display",
    "street_code",
    "pole_no",
    "pole_label",
    "side",
    "geom",
    "address",
    "landmark",
    "cross_street",
    "jurisdiction",
    "status",
    "note",
    "version",
];
const POLE_VALUES: &[&str] = &[
    "?",
    "?",
    "?",
    "?",
    "?",
    "?",
    "?",
    "ST_GeomFromWKB(?, 4326)",
    "?",
    "?",
    "?",
    "?",
    "?",
    "?",
    "?",
];

fn pole_params(dataset: &str, p: &PoleRow, version: i64) -> Vec<Param> {
    let geom = match (p.lon_deg, p.lat_deg) {
        (Some(lon), Some(lat)) => Some(wkb::point(lon, lat)),
        _ => None,
    };
    vec![
        Box::new(dataset.to_owned()),
        Box::new(p.code.clone()),
        Box::new(p.code_display.clone()),
        Box::new(p.street_code.clone()),
        Box::new(p.pole_no.map(i64::from)),
        Box::new(p.pole_label.clone()),
        Box::new(p.side.clone()),
        Box::new(geom),
        Box::new(p.address.clone()),
        Box::new(p.landmark.clone()),
        Box::new(p.cross_street.clone()),
        Box::new(p.jurisdiction.clone()),
        Box::new(p.status.clone()),
        Box::new(p.note.clone()),
        Box::new(version),
    ]
}

fn street_params(dataset: &str, s: &StreetRow) -> Vec<Param> {
    vec![
        Box::new(dataset.to_owned()),
        Box::new(s.street_code.clone()),
        Box::new(s.name.clone()),
        Box::new(s.name_en.clone()),
        Box::new(s.district.clone()),
        Box::new(s.jurisdiction.clone()),
        Box::new(s.geometry_wkt.clone()),
    ]
}

const STREET_COLUMNS: &[&str] = &[
    "dataset",
    "street_code",
    "name",
    "name_en",
    "district",
    "jurisdiction",
    "geometry_wkt",
];

fn history_params(dataset: &str, version: i64, seq: i64, h: &HistoryRow) -> Vec<Param> {
    vec![
        Box::new(dataset.to_owned()),
        Box::new(version),
        Box::new(seq),
        Box::new(h.code.clone()),
        Box::new(h.op.clone()),
        Box::new(h.before.clone()),
        Box::new(h.after.clone()),
    ]
}

const HISTORY_COLUMNS: &[&str] = &["dataset", "version", "seq", "code", "op", "before", "after"];

fn same(n: usize) -> Vec<&'static str> {
    vec!["?"; n]
}

fn insert_version(
    tx: &mut Transaction<'_>,
    dataset: &str,
    version: i64,
    v: &VersionInfo,
) -> Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO lamppost_versions(dataset, version, applied_at, applied_by, source_name,
             source_sha256, datum, added, changed, removed, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &dataset,
            &version,
            &v.applied_at,
            &v.applied_by,
            &v.source_name,
            &v.source_sha256,
            &v.datum,
            &v.added,
            &v.changed,
            &v.removed,
            &v.note,
        ],
    )
    .map(|_| ())
}

/// The audit record of one push.
struct Audit<'a> {
    dataset: &'a str,
    by: &'a str,
    source_name: &'a str,
    source_sha256: &'a str,
    base: i64,
    version: Option<i64>,
    outcome: &'a str,
    counts: [i64; 3],
    conflicts: &'a [String],
    note: &'a str,
}

fn audit(c: &mut impl postgres::GenericClient, a: &Audit<'_>) -> Result<(), postgres::Error> {
    c.execute(
        "INSERT INTO lamppost_pushes(dataset, pushed_by, source_name, source_sha256,
             base_version, version, outcome, added, changed, removed, conflicts, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            &a.dataset,
            &a.by,
            &a.source_name,
            &a.source_sha256,
            &a.base,
            &a.version,
            &a.outcome,
            &a.counts[0],
            &a.counts[1],
            &a.counts[2],
            &a.conflicts.join(" "),
            &a.note,
        ],
    )
    .map(|_| ())
}

/// Deletes the rows of `dataset` whose `key_column` is one of `keys`.
fn delete_keys(
    tx: &mut Transaction<'_>,
    table: &str,
    key_column: &str,
    dataset: &str,
    keys: &[String],
) -> Result<(), postgres::Error> {
    for chunk in keys.chunks(1000) {
        let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "DELETE FROM {table} WHERE dataset = $1 AND {key_column} IN ({})",
            marks.join(", ")
        );
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&dataset];
        params.extend(chunk.iter().map(|k| k as &(dyn ToSql + Sync)));
        tx.execute(sql.as_str(), &params)?;
    }
    Ok(())
}

/// A connection to the master.
pub struct Master {
    client: Client,
}

impl std::fmt::Debug for Master {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Master").finish_non_exhaustive()
    }
}

impl Master {
    /// Connects (`postgres://user@host:port/db`, or key=value words), without TLS: the master
    /// sits on the centre's own network.
    pub fn connect(url: &str) -> Result<Self, MasterError> {
        let client =
            Client::connect(url, NoTls).map_err(|e| MasterError::Connect(e.to_string()))?;
        Ok(Self { client })
    }

    /// Creates the schema (and the PostGIS extension) where missing; safe to run again.
    pub fn init(&mut self) -> Result<(), MasterError> {
        let mut tx = self.client.transaction()?;
        for sql in schema::CREATE {
            tx.batch_execute(sql)?;
        }
        let found: Option<String> = tx
            .query_opt(
                "SELECT value FROM lamppost_master WHERE key = 'schema_version'",
                &[],
            )?
            .map(|r| r.get(0));
        match found {
            None => {
                tx.execute(
                    "INSERT INTO lamppost_master(key, value) VALUES ('schema_version', $1)",
                    &[&schema::SCHEMA_VERSION],
                )?;
            }
            Some(v) if v != schema::SCHEMA_VERSION => return Err(MasterError::OtherSchema(v)),
            Some(_) => {}
        }
        tx.commit()?;
        Ok(())
    }

    /// The PostgreSQL and PostGIS versions of the server (for the record).
    pub fn server_versions(&mut self) -> Result<(String, String), MasterError> {
        let pg: String = self.client.query_one("SELECT version()", &[])?.get(0);
        let gis: String = self
            .client
            .query_one("SELECT postgis_full_version()", &[])?
            .get(0);
        Ok((pg, gis))
    }

    fn check_schema(&mut self) -> Result<(), MasterError> {
        let exists: bool = self
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables
                                WHERE table_name = 'lamppost_master')",
                &[],
            )?
            .get(0);
        if !exists {
            return Err(MasterError::NotInitialised);
        }
        let v: Option<String> = self
            .client
            .query_opt(
                "SELECT value FROM lamppost_master WHERE key = 'schema_version'",
                &[],
            )?
            .map(|r| r.get(0));
        match v {
            Some(v) if v == schema::SCHEMA_VERSION => Ok(()),
            Some(v) => Err(MasterError::OtherSchema(v)),
            None => Err(MasterError::NotInitialised),
        }
    }

    /// Every dataset, by name.
    pub fn datasets(&mut self) -> Result<Vec<Dataset>, MasterError> {
        self.check_schema()?;
        Ok(self
            .client
            .query(
                "SELECT d.dataset, d.code_format, d.version,
                        (SELECT count(*) FROM lamppost_poles p WHERE p.dataset = d.dataset)
                 FROM lamppost_datasets d ORDER BY d.dataset",
                &[],
            )?
            .iter()
            .map(|r| Dataset {
                dataset: r.get(0),
                code_format: r.get(1),
                version: r.get(2),
                poles: r.get(3),
            })
            .collect())
    }

    /// The version a dataset is at.
    pub fn version(&mut self, dataset: &str) -> Result<i64, MasterError> {
        self.check_schema()?;
        self.client
            .query_opt(
                "SELECT version FROM lamppost_datasets WHERE dataset = $1",
                &[&dataset],
            )?
            .map(|r| r.get(0))
            .ok_or_else(|| MasterError::NoDataset(dataset.to_owned()))
    }

    /// The audit records of a dataset (every dataset's when `None`), oldest first.
    pub fn audit_log(&mut self, dataset: Option<&str>) -> Result<Vec<PushRecord>, MasterError> {
        self.check_schema()?;
        Ok(self
            .client
            .query(
                "SELECT id, dataset, to_char(pushed_at AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                        pushed_by, source_name, source_sha256, base_version, version, outcome,
                        added, changed, removed, conflicts, note
                 FROM lamppost_pushes WHERE $1::TEXT IS NULL OR dataset = $1 ORDER BY id",
                &[&dataset],
            )?
            .iter()
            .map(|r| PushRecord {
                id: r.get(0),
                dataset: r.get(1),
                pushed_at: r.get(2),
                pushed_by: r.get(3),
                source_name: r.get(4),
                source_sha256: r.get(5),
                base_version: r.get(6),
                version: r.get(7),
                outcome: r.get(8),
                added: r.get(9),
                changed: r.get(10),
                removed: r.get(11),
                conflicts: r
                    .get::<_, String>(12)
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                note: r.get(13),
            })
            .collect())
    }

    /// Takes a local database in as a new dataset, with its versions and change history, in
    /// one transaction with its audit record. Returns the dataset's version.
    pub fn add_dataset(
        &mut self,
        dataset: &str,
        code_format: &str,
        store: &Store,
        by: &str,
    ) -> Result<i64, MasterError> {
        self.check_schema()?;
        let r = store.read_replica()?;
        let version = r.versions.iter().map(|v| v.version).max().unwrap_or(0);
        let mut tx = self.client.transaction()?;
        let exists = tx
            .query_opt(
                "SELECT 1 FROM lamppost_datasets WHERE dataset = $1 FOR UPDATE",
                &[&dataset],
            )?
            .is_some();
        if exists {
            return Err(MasterError::DatasetExists(dataset.to_owned()));
        }
        tx.execute(
            "INSERT INTO lamppost_datasets(dataset, code_format, version) VALUES ($1, $2, $3)",
            &[&dataset, &code_format, &version],
        )?;
        write_meta(&mut tx, dataset, &r.meta)?;
        insert_rows(
            &mut tx,
            "lamppost_streets",
            STREET_COLUMNS,
            &same(STREET_COLUMNS.len()),
            r.streets.iter().map(|s| street_params(dataset, s)),
        )?;
        for v in &r.versions {
            insert_version(&mut tx, dataset, v.version, v)?;
        }
        // Numbered from 1 within each version, in the order the database gave them.
        let rows = r.history.iter().scan((None, 0i64), |(last, seq), h| {
            if *last != Some(h.version) {
                *seq = 0;
                *last = Some(h.version);
            }
            *seq += 1;
            Some(history_params(dataset, h.version, *seq, h))
        });
        insert_rows(
            &mut tx,
            "lamppost_pole_history",
            HISTORY_COLUMNS,
            &same(HISTORY_COLUMNS.len()),
            rows,
        )?;
        insert_rows(
            &mut tx,
            "lamppost_poles",
            POLE_COLUMNS,
            POLE_VALUES,
            r.poles
                .iter()
                .map(|p| pole_params(dataset, &p.row, p.version)),
        )?;
        audit(
            &mut tx,
            &Audit {
                dataset,
                by,
                source_name: &store.path().display().to_string(),
                source_sha256: "",
                base: 0,
                version: Some(version),
                outcome: "created",
                counts: [r.poles.len() as i64, 0, 0],
                conflicts: &[],
                note: "",
            },
        )?;
        tx.commit()?;
        Ok(version)
    }

    /// A read-only transaction on one consistent snapshot of the master, and `dataset`'s version
    /// in it.
    fn snapshot(&mut self, dataset: &str) -> Result<(Transaction<'_>, i64), MasterError> {
        self.check_schema()?;
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let version: i64 = tx
            .query_opt(
                "SELECT version FROM lamppost_datasets WHERE dataset = $1",
                &[&dataset],
            )?
            .map(|r| r.get(0))
            .ok_or_else(|| MasterError::NoDataset(dataset.to_owned()))?;
        Ok((tx, version))
    }

    /// Reads a dataset whole, in one consistent snapshot: `(version, replica)`.
    pub fn read_dataset(&mut self, dataset: &str) -> Result<(i64, Replica), MasterError> {
        let (mut tx, version) = self.snapshot(dataset)?;
        let meta = tx
            .query(
                "SELECT key, value FROM lamppost_meta WHERE dataset = $1 ORDER BY key",
                &[&dataset],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let streets = tx
            .query(
                "SELECT street_code, name, name_en, district, jurisdiction, geometry_wkt
                 FROM lamppost_streets WHERE dataset = $1 ORDER BY street_code",
                &[&dataset],
            )?
            .iter()
            .map(|r| StreetRow {
                street_code: r.get(0),
                name: r.get(1),
                name_en: r.get(2),
                district: r.get(3),
                jurisdiction: r.get(4),
                geometry_wkt: r.get(5),
            })
            .collect();
        // Poles and history are read row by row as they arrive (not all rows first, then
        // converted: that held a million poles twice).
        let mut poles = Vec::new();
        let mut rows = tx.query_raw(
            "SELECT code, code_display, street_code, pole_no, pole_label, side,
                    ST_AsBinary(geom), address, landmark, cross_street, jurisdiction, status,
                    note, version
             FROM lamppost_poles WHERE dataset = $1 ORDER BY code",
            [dataset],
        )?;
        while let Some(r) = rows.next()? {
            let code: String = r.get(0);
            let geom: Option<Vec<u8>> = r.get(6);
            let (lon, lat) = match geom {
                None => (None, None),
                Some(b) => match wkb::parse_point(&b) {
                    Some((x, y)) => (Some(x), Some(y)),
                    None => return Err(MasterError::BadGeometry(code)),
                },
            };
            let pole_no: Option<i64> = r.get(3);
            poles.push(StoredPole {
                row: PoleRow {
                    code,
                    code_display: r.get(1),
                    street_code: r.get(2),
                    pole_no: pole_no.and_then(|n| u32::try_from(n).ok()),
                    pole_label: r.get(4),
                    side: r.get(5),
                    lat_deg: lat,
                    lon_deg: lon,
                    address: r.get(7),
                    landmark: r.get(8),
                    cross_street: r.get(9),
                    jurisdiction: r.get(10),
                    status: r.get(11),
                    note: r.get(12),
                },
                version: r.get(13),
            });
        }
        drop(rows);
        let versions = tx
            .query(
                "SELECT version, applied_at, applied_by, source_name, source_sha256, datum,
                        added, changed, removed, note
                 FROM lamppost_versions WHERE dataset = $1 ORDER BY version",
                &[&dataset],
            )?
            .iter()
            .map(|r| VersionInfo {
                version: r.get(0),
                applied_at: r.get(1),
                applied_by: r.get(2),
                source_name: r.get(3),
                source_sha256: r.get(4),
                datum: r.get(5),
                added: r.get(6),
                changed: r.get(7),
                removed: r.get(8),
                note: r.get(9),
            })
            .collect();
        let mut history = Vec::new();
        let mut rows = tx.query_raw(
            "SELECT version, code, op, before, after FROM lamppost_pole_history
             WHERE dataset = $1 ORDER BY version, seq",
            [dataset],
        )?;
        while let Some(r) = rows.next()? {
            history.push(HistoryRow {
                version: r.get(0),
                code: r.get(1),
                op: r.get(2),
                before: r.get(3),
                after: r.get(4),
            });
        }
        drop(rows);
        tx.commit()?;
        Ok((
            version,
            Replica {
                meta,
                streets,
                poles,
                versions,
                history,
            },
        ))
    }

    /// The dataset's version and its version rows' keys (number, time, source SHA-256), in one
    /// snapshot.
    fn version_keys(&mut self, dataset: &str) -> Result<(i64, Vec<VersionKey>), MasterError> {
        let (mut tx, version) = self.snapshot(dataset)?;
        let keys = tx
            .query(
                "SELECT version, applied_at, source_sha256 FROM lamppost_versions
                 WHERE dataset = $1 ORDER BY version",
                &[&dataset],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        tx.commit()?;
        Ok((version, keys))
    }

    /// Writes the dataset into a new local database at `out` (which must not exist), through
    /// `lamppost-data`. Returns the version written.
    pub fn materialise(&mut self, dataset: &str, out: &Path) -> Result<i64, MasterError> {
        let (version, replica) = self.read_dataset(dataset)?;
        let mut store = Store::create(out)?;
        store.write_replica(&replica)?;
        Ok(version)
    }

    /// Checks `files` against the dataset exactly as a local import would (the same
    /// validation, the same report, a dry run writing nothing), on a local copy of the
    /// master's current version. The changes it would make are kept for [`Master::apply`].
    pub fn prepare_push(
        &mut self,
        dataset: &str,
        files: &[PathBuf],
        opts: &Options,
    ) -> Result<Prepared, MasterError> {
        let dir = tempfile::tempdir().map_err(|e| io(&e))?;
        let path = dir.path().join("master-copy.sqlite");
        let (base, replica) = self.read_dataset(dataset)?;
        let mut store = Store::create(&path)?;
        store.write_replica(&replica)?;
        let base_streets: BTreeMap<String, StreetRow> = replica
            .streets
            .into_iter()
            .map(|s| (s.street_code.clone(), s))
            .collect();
        let base_meta: BTreeMap<String, String> = replica.meta.into_iter().collect();
        drop(replica.poles);
        let inputs: Vec<Input<'_>> = files.iter().map(|f| Input::Path(f)).collect();
        let report = lamppost_import::import_many(&mut store, &inputs, opts)?;
        let local_version = match report.version {
            Some(v) if report.applied => v,
            _ => {
                return Ok(Prepared {
                    report,
                    changes: None,
                });
            }
        };
        let version = store
            .versions()?
            .into_iter()
            .find(|v| v.version == local_version);
        let history = store.history_rows(local_version)?;
        let mut poles = BTreeMap::new();
        for h in &history {
            let now = store.stored_pole(&h.code)?.map(|p| p.row);
            poles.insert(h.code.clone(), now);
        }
        let streets = store
            .street_rows()?
            .into_iter()
            .filter(|s| base_streets.get(&s.street_code) != Some(s))
            .collect();
        let meta = store
            .replica_meta()?
            .into_iter()
            .filter(|(k, v)| k != "data_version" && base_meta.get(k) != Some(v))
            .collect();
        Ok(Prepared {
            report,
            changes: Some(PushChanges {
                dataset: dataset.to_owned(),
                base,
                version,
                history,
                poles,
                streets,
                meta,
            }),
        })
    }

    /// Writes a checked push to the master as one transaction with its audit record. The
    /// dataset's row is locked first (pushes to one dataset take turns; readers never wait),
    /// then every version since `changes.base` is compared: if one of them touched a pole this
    /// push touches, nothing is written, the refusal is recorded, and the error names the
    /// codes. `before_commit` runs inside the transaction just before the commit (tests hold
    /// it open there).
    pub fn apply(
        &mut self,
        changes: &PushChanges,
        by: &str,
        before_commit: Option<&dyn Fn()>,
    ) -> Result<Applied, MasterError> {
        self.check_schema()?;
        let dataset = changes.dataset.as_str();
        let v = changes.version.clone().unwrap_or_else(|| VersionInfo {
            version: 0,
            applied_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            applied_by: by.to_owned(),
            source_name: String::new(),
            source_sha256: String::new(),
            datum: "wgs84".to_owned(),
            added: 0,
            changed: 0,
            removed: 0,
            note: String::new(),
        });
        let mut tx = self.client.transaction()?;
        let current: i64 = tx
            .query_opt(
                "SELECT version FROM lamppost_datasets WHERE dataset = $1 FOR UPDATE",
                &[&dataset],
            )?
            .map(|r| r.get(0))
            .ok_or_else(|| MasterError::NoDataset(dataset.to_owned()))?;
        let mut conflicts = BTreeSet::new();
        if current > changes.base {
            for r in tx.query(
                "SELECT DISTINCT code FROM lamppost_pole_history
                 WHERE dataset = $1 AND version > $2",
                &[&dataset, &changes.base],
            )? {
                let code: String = r.get(0);
                if changes.poles.contains_key(&code) {
                    conflicts.insert(code);
                }
            }
        }
        if !conflicts.is_empty() {
            tx.rollback()?;
            let codes: Vec<String> = conflicts.into_iter().collect();
            audit(
                &mut self.client,
                &Audit {
                    dataset,
                    by,
                    source_name: &v.source_name,
                    source_sha256: &v.source_sha256,
                    base: changes.base,
                    version: None,
                    outcome: "refused",
                    counts: [v.added, v.changed, v.removed],
                    conflicts: &codes,
                    note: &v.note,
                },
            )?;
            return Err(MasterError::Conflict {
                dataset: dataset.to_owned(),
                base: changes.base,
                current,
                codes,
            });
        }
        let version = current + 1;
        insert_version(&mut tx, dataset, version, &v)?;
        insert_rows(
            &mut tx,
            "lamppost_pole_history",
            HISTORY_COLUMNS,
            &same(HISTORY_COLUMNS.len()),
            changes
                .history
                .iter()
                .zip(1i64..)
                .map(|(h, seq)| history_params(dataset, version, seq, h)),
        )?;
        let codes: Vec<String> = changes.poles.keys().cloned().collect();
        delete_keys(&mut tx, "lamppost_poles", "code", dataset, &codes)?;
        insert_rows(
            &mut tx,
            "lamppost_poles",
            POLE_COLUMNS,
            POLE_VALUES,
            changes
                .poles
                .values()
                .flatten()
                .map(|p| pole_params(dataset, p, version)),
        )?;
        let street_codes: Vec<String> = changes
            .streets
            .iter()
            .map(|s| s.street_code.clone())
            .collect();
        delete_keys(
            &mut tx,
            "lamppost_streets",
            "street_code",
            dataset,
            &street_codes,
        )?;
        insert_rows(
            &mut tx,
            "lamppost_streets",
            STREET_COLUMNS,
            &same(STREET_COLUMNS.len()),
            changes.streets.iter().map(|s| street_params(dataset, s)),
        )?;
        write_meta(&mut tx, dataset, &changes.meta)?;
        tx.execute(
            "UPDATE lamppost_datasets SET version = $2 WHERE dataset = $1",
            &[&dataset, &version],
        )?;
        audit(
            &mut tx,
            &Audit {
                dataset,
                by,
                source_name: &v.source_name,
                source_sha256: &v.source_sha256,
                base: changes.base,
                version: Some(version),
                outcome: "applied",
                counts: [v.added, v.changed, v.removed],
                conflicts: &[],
                note: &v.note,
            },
        )?;
        if let Some(f) = before_commit {
            f();
        }
        tx.commit()?;
        Ok(Applied {
            dataset: dataset.to_owned(),
            base: changes.base,
            version,
            added: v.added,
            changed: v.changed,
            removed: v.removed,
        })
    }

    /// Writes the data package of a dataset's current version (`version`, when given, must
    /// be it), signed with `key` when given, through `lamppost-data`'s package writer.
    pub fn publish(
        &mut self,
        dataset: &str,
        version: Option<i64>,
        out: &Path,
        operator: &str,
        key: Option<&CentreKey>,
    ) -> Result<Manifest, MasterError> {
        let dir = tempfile::tempdir().map_err(|e| io(&e))?;
        let copy = dir.path().join("master-copy.sqlite");
        let current = self.materialise(dataset, &copy)?;
        if let Some(asked) = version.filter(|v| *v != current) {
            return Err(MasterError::NotCurrent { asked, current });
        }
        let store = Store::open(&copy, Access::ReadOnly)?;
        Ok(store.export_package(out, operator, key)?)
    }

    /// Brings the local database `db` up to the dataset's version in the master, through a
    /// package (signed with `key` when given: a database that pinned the centre's key takes
    /// only signed packages). Refuses when `db` holds versions the master does not, unless
    /// `force`.
    pub fn pull(
        &mut self,
        dataset: &str,
        db: &Path,
        operator: &str,
        key: Option<&CentreKey>,
        force: bool,
    ) -> Result<Pulled, MasterError> {
        let ours = if db.exists() {
            Some(Store::open(db, Access::ReadOnly)?.versions()?)
        } else {
            None
        };
        // The master's version rows first (a few rows): a database at the master's version
        // already, or one the master would overwrite, is answered without copying the whole
        // dataset (11.7 s for an up-to-date pull of a million poles before).
        if let Some(ours) = &ours {
            let (master, theirs) = self.version_keys(dataset)?;
            let (same_history, local) = compare_history(ours, &theirs);
            if !same_history && !force {
                return Err(MasterError::Diverged { local, master });
            }
            if same_history && local == master {
                return Ok(Pulled::UpToDate(master));
            }
        }
        let dir = tempfile::tempdir().map_err(|e| io(&e))?;
        let copy = dir.path().join("master-copy.sqlite");
        let master = self.materialise(dataset, &copy)?;
        let mut same_history = true;
        let mut local = 0;
        if let Some(ours) = &ours {
            let theirs = Store::open(&copy, Access::ReadOnly)?.versions()?;
            let theirs: Vec<VersionKey> = theirs.iter().map(version_key).collect();
            (same_history, local) = compare_history(ours, &theirs);
        }
        if !same_history && !force {
            return Err(MasterError::Diverged { local, master });
        }
        if same_history && local == master && ours.is_some() {
            return Ok(Pulled::UpToDate(master));
        }
        let package = dir.path().join("master.sqlite");
        Store::open(&copy, Access::ReadOnly)?.export_package(&package, operator, key)?;
        let installed = install_package(
            &package,
            db,
            Install {
                force: !same_history,
                require_signature: false,
            },
        )?;
        Ok(Pulled::Installed(installed))
    }
}

/// What identifies a data version across copies: its number, when it was applied and the
/// SHA-256 of its source file.
type VersionKey = (i64, String, String);

fn version_key(v: &VersionInfo) -> VersionKey {
    (v.version, v.applied_at.clone(), v.source_sha256.clone())
}

/// Whether the local versions `ours` are the start of the master's `theirs` (so a pull loses
/// nothing), and the local data version.
fn compare_history(ours: &[VersionInfo], theirs: &[VersionKey]) -> (bool, i64) {
    let local = ours.iter().map(|v| v.version).max().unwrap_or(0);
    let same =
        ours.len() <= theirs.len() && ours.iter().zip(theirs).all(|(a, b)| version_key(a) == *b);
    (same, local)
}

fn write_meta(
    tx: &mut Transaction<'_>,
    dataset: &str,
    meta: &[(String, String)],
) -> Result<(), postgres::Error> {
    let keys: Vec<String> = meta.iter().map(|(k, _)| k.clone()).collect();
    delete_keys(tx, "lamppost_meta", "key", dataset, &keys)?;
    insert_rows(
        tx,
        "lamppost_meta",
        &["dataset", "key", "value"],
        &same(3),
        meta.iter().map(|(k, v)| -> Vec<Param> {
            vec![
                Box::new(dataset.to_owned()),
                Box::new(k.clone()),
                Box::new(v.clone()),
            ]
        }),
    )
}
