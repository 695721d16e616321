//! The reference database (`lamppost.sqlite`): streets, poles, data versions, history, meta.
//!
//! Opening follows Mozilla application-services' `open_database`: pragmas outside the
//! transaction, schema creation and upgrades in one transaction, `PRAGMA user_version`, and a
//! clear error for a file that is newer than this program, not SQLite, corrupt, or not ours.

pub mod auth;
pub mod package;
pub mod replica;
pub mod schema;
mod session;
pub mod signing;
pub mod snapshot;
pub mod write;

pub use write::{HistoryOp, NewVersion, PoleRow, VersionCounts, VersionInfo, VersionWriter};

use lamppost_core::encode::{hex, uri_path};

use crate::migrate::SchemaError;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use sha2::{Digest, Sha256};

use lamppost_core::canonical::{self, RowError};
use lamppost_core::code::PoleCode;
use lamppost_core::geo::{LatLon, parse_wkt_linestring, to_wkt_linestring};
use lamppost_core::model::{PoleRecord, Side, StreetRecord};
use lamppost_core::words::{Message, Words};

/// Why the reference database cannot be used. Each message says what is wrong, what to do,
/// and ends with the file.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum StoreError {
    /// Another program holds the write lock (an import, an undo or a package install).
    Busy(PathBuf),
    /// A write was cancelled before its commit; nothing was written.
    Cancelled,
    /// No file at the path.
    NotFound(PathBuf),
    /// An empty file (no schema): `init` makes a database, an import or a dry run never does.
    Empty(PathBuf),
    /// Opened read-only where SQLite cannot use its write-ahead log (a read-only folder with
    /// no `-shm` file): the last changes, in the `-wal` file, would be missed.
    UnreadWal(PathBuf),
    /// The file exists and `init` would overwrite it.
    Exists(PathBuf),
    /// Not an SQLite file at all.
    NotSqlite(PathBuf),
    /// An SQLite file, but someone else's (an MBTiles file, say).
    NotLamppost(PathBuf),
    /// Damaged pages or header.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's words.
        detail: String,
    },
    /// Written by a newer program.
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its `user_version`.
        found: u32,
        /// Ours.
        supported: u32,
    },
    /// The location cannot be written (or, for reading, opened).
    Inaccessible(PathBuf),
    /// A data file could not be loaded; nothing was written.
    BadData {
        /// The data file's name.
        file: String,
        /// The first bad row.
        error: RowError,
    },
    /// Loading into a database that already holds poles.
    NotEmpty(PathBuf),
    /// Anything else SQLite said.
    Sqlite {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

impl Words for StoreError {
    fn message(&self) -> Message {
        match self {
            Self::Busy(path) => Message::new(
                "数据库正被另一个程序写入（导入、撤销或安装数据包），请等它完成后再试；若没有这样的程序在运行，请重启本机后再试",
                "the database is being written by another program (an import, an undo or a package install); try again when it has finished, or restart the workstation if none is running",
            )
            .about(path.display()),
            Self::Cancelled => Message::new("已取消，未写入任何内容", "cancelled; nothing was written"),
            Self::NotFound(path) => Message::new(
                "找不到数据库文件，请用 `lamppost init --db <文件>` 创建",
                "database file not found; create it with `lamppost init --db <file>`",
            )
            .about(path.display()),
            Self::Empty(path) => Message::new(
                "数据库文件是空的，未写入任何内容；请用 `lamppost init --db <文件>` 创建数据库",
                "the database file is empty and nothing was written to it; create a database with `lamppost init --db <file>`",
            )
            .about(path.display()),
            Self::UnreadWal(path) => Message::new(
                "数据库最近的修改保存在 -wal 文件中，但此文件夹只读，无法读取这些修改；为免显示旧数据，未打开。请让值班长在可写的位置打开一次数据库（或复制整个文件夹到可写位置）",
                "the database's latest changes are in its -wal file, which cannot be read in this read-only folder; to avoid showing old data it was not opened. Have the supervisor open the database once where it can be written (or copy the whole folder somewhere writable)",
            )
            .about(path.display()),
            Self::Exists(path) => Message::new(
                "文件已存在，不会覆盖",
                "the file already exists and will not be overwritten",
            )
            .about(path.display()),
            Self::NotSqlite(path) => Message::new(
                "这不是 SQLite 数据库文件，请检查文件路径",
                "this is not an SQLite database file; check the path",
            )
            .about(path.display()),
            Self::NotLamppost(path) => Message::new(
                "这是 SQLite 文件，但不是灯杆数据库，请检查文件路径",
                "this SQLite file is not a Lamppost database; check the path",
            )
            .about(path.display()),
            Self::Corrupt { path, detail } => Message::new(
                format!("数据库文件已损坏，请从备份或数据包恢复，或用 `lamppost init` 重建（{detail}）"),
                format!("the database file is corrupt; restore it from a backup or a data package, or rebuild it with `lamppost init` ({detail})"),
            )
            .about(path.display()),
            Self::NewerSchema { path, found, supported } => Message::new(
                format!("数据库由较新版本的灯杆程序创建（结构版本 {found}，本程序支持到 {supported}），请升级程序"),
                format!("the database was written by a newer Lamppost (schema {found}, this program knows up to {supported}); upgrade the program"),
            )
            .about(path.display()),
            Self::Inaccessible(path) => Message::new(
                "无法在此位置写入或打开（只读、无权限或目录不存在），请换一个可写的位置或检查权限",
                "cannot write or open the file there (read-only, no permission, or no such folder); choose a writable place or check permissions",
            )
            .about(path.display()),
            Self::BadData { file, error } => {
                let row = error.message();
                Message::new(
                    format!("数据文件有误，未写入任何内容：{file}：{}", row.zh),
                    format!("the data file is invalid and nothing was written: {file}: {}", row.en),
                )
            }
            Self::NotEmpty(path) => Message::new(
                "数据库中已有数据，请用 `lamppost import` 更新",
                "the database already holds data; use `lamppost import` to change it",
            )
            .about(path.display()),
            Self::Sqlite { path, source } => {
                Message::new("数据库错误", "database error").about(format!("{} ({source})", path.display()))
            }
        }
    }
}

/// How to open the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reading and writing; upgrades an older schema.
    ReadWrite,
    /// Reading only (index builds, lookups); works in read-only locations.
    ReadOnly,
}

/// An open reference database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Counts for `lamppost stats` (estimates need the index, so they are counted there).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Coded streets.
    pub streets: u64,
    /// Pole codes.
    pub codes: u64,
    /// Poles with a surveyed position.
    pub surveyed: u64,
    /// The current data version (0 for an empty database).
    pub data_version: i64,
}

/// A pole row borrowed from SQLite's buffers (see [`Store::for_each_pole_raw`]).
#[derive(Debug, Clone, Copy)]
pub struct RawPole<'a> {
    /// Normalised code.
    pub key: &'a str,
    /// Code as on the sign.
    pub display: &'a str,
    /// Street code.
    pub street_code: &'a str,
    /// Number along the street.
    pub pole_no: Option<u32>,
    /// The number as written when it has a suffix (`103F`); empty otherwise.
    pub pole_label: &'a str,
    /// Side, as stored (`西`).
    pub side: &'a str,
    /// Surveyed latitude.
    pub lat_deg: Option<f64>,
    /// Surveyed longitude.
    pub lon_deg: Option<f64>,
    /// Address.
    pub address: &'a str,
    /// Landmark.
    pub landmark: &'a str,
    /// Cross street.
    pub cross_street: &'a str,
    /// Jurisdiction.
    pub jurisdiction: &'a str,
    /// Status.
    pub status: &'a str,
    /// Note.
    pub note: &'a str,
}

/// What a load wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadSummary {
    /// Streets written.
    pub streets: u64,
    /// Poles written.
    pub poles: u64,
    /// The data version created.
    pub version: i64,
}

/// One data file to load: its name (for messages and the audit record) and its bytes.
pub struct Source<R> {
    /// File name as the user knows it.
    pub name: String,
    /// The content.
    pub reader: R,
}

impl Store {
    /// Opens an existing database.
    pub fn open(path: &Path, access: Access) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound(path.to_owned()));
        }
        let flags = match access {
            Access::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE,
            Access::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match Connection::open_with_flags(path, flags) {
            Ok(c) => c,
            Err(e) => return Err(classify(path, e)),
        };
        let mut store = Self {
            conn,
            path: path.to_owned(),
        };
        // An empty file is not a database to fill: nothing is written to it (no schema, no
        // journal mode), whatever the command.
        if matches!(store.check_schema(), Ok(0)) && store.has_no_tables() {
            return Err(StoreError::Empty(path.to_owned()));
        }
        if let Err(e) = store.prepare(access) {
            // A read-only folder cannot hold the WAL's shared-memory file: read the file as
            // immutable instead (nothing else may write to it there anyway).
            if access == Access::ReadOnly && matches!(e, StoreError::Inaccessible(_)) {
                return Self::open_immutable(path);
            }
            return Err(e);
        }
        Ok(store)
    }

    fn open_immutable(path: &Path) -> Result<Self, StoreError> {
        // Immutable means the `-wal` file is not read: with committed pages in it, the file
        // alone is an older version. Say so rather than answer from it.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        if std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0) {
            return Err(StoreError::UnreadWal(path.to_owned()));
        }
        let uri = format!("file:{}?immutable=1", uri_path(path));
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(uri, flags).map_err(|e| classify(path, e))?;
        let store = Self {
            conn,
            path: path.to_owned(),
        };
        store.check_schema()?;
        Ok(store)
    }

    /// Creates a new, empty database; refuses to overwrite a file.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            return Err(StoreError::Exists(path.to_owned()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|_| StoreError::Inaccessible(path.to_owned()))?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        let mut store = Self {
            conn,
            path: path.to_owned(),
        };
        if let Err(e) = store.prepare(Access::ReadWrite) {
            drop(store);
            let _ = std::fs::remove_file(path);
            return Err(e);
        }
        Ok(store)
    }

    /// The file this store reads.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        classify(&self.path, e)
    }

    fn prepare(&mut self, access: Access) -> Result<(), StoreError> {
        let c = &self.conn;
        c.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| classify(&self.path, e))?;
        if access == Access::ReadWrite {
            // Someone else's SQLite file (an MBTiles basemap named by mistake) is refused before
            // anything is written to it, not even the journal mode.
            self.check_schema()?;
            let c = &self.conn;
            // Lookups (other processes, the index rebuild) keep reading while an import writes.
            let _mode: String = c
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(|e| classify(&self.path, e))?;
            c.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
                .map_err(|e| classify(&self.path, e))?;
            self.migrate()
        } else {
            self.check_schema().map(|_| ())
        }
    }

    /// True when the file holds no table, view or index at all (an empty file).
    fn has_no_tables(&self) -> bool {
        self.conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok_and(|n| n == 0)
    }

    /// Turns a schema problem into the error a person can act on.
    fn schema_error(&self, e: SchemaError) -> StoreError {
        match e {
            SchemaError::Newer { found, supported } => StoreError::NewerSchema {
                path: self.path.clone(),
                found,
                supported,
            },
            SchemaError::Foreign => StoreError::NotLamppost(self.path.clone()),
            SchemaError::Sqlite(e) => self.err(e),
        }
    }

    /// Checks that the file is ours and not newer; returns its schema version.
    fn check_schema(&self) -> Result<u32, StoreError> {
        crate::migrate::check(&self.conn, schema::MIGRATIONS).map_err(|e| self.schema_error(e))
    }

    /// The `pole_label` column, or an empty text for a file opened read-only before migration 2
    /// added it (a read-only open never migrates).
    fn pole_label_sql(&self) -> &'static str {
        let version: u32 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap_or(0);
        if version >= 2 { "pole_label" } else { "''" }
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        crate::migrate::migrate(&mut self.conn, schema::MIGRATIONS)
            .map_err(|e| self.schema_error(e))
    }

    /// Reads a metadata value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// All metadata, sorted by key.
    pub fn all_meta(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT key, value FROM meta ORDER BY key")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The current data version: the newest applied version, 0 when none.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(version), 0) FROM versions", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }

    /// The content stamp of the current data: SHA-256 (32 bytes) over every `meta` row (among
    /// them `content_id`, a random id written with every new data version) and
    /// every `versions` row (number, time, author, source and its SHA-256, datum, counts,
    /// note). Every change of streets or poles goes through a new data version
    /// ([`Store::write_version`], [`Store::load_canonical`]), and a data package replaces the
    /// whole file with its own history, so two databases with the same stamp hold the same
    /// data. Cheap: it reads the two small tables, never the poles. What a persisted search
    /// index is checked against.
    pub fn content_stamp(&self) -> Result<[u8; 32], StoreError> {
        let mut h = Sha256::new();
        let field = |h: &mut Sha256, b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        for (k, v) in self.all_meta()? {
            field(&mut h, b"meta");
            field(&mut h, k.as_bytes());
            field(&mut h, v.as_bytes());
        }
        let mut st = self
            .conn
            .prepare(
                "SELECT version, applied_at, applied_by, source_name, source_sha256, datum, added,
                        changed, removed, note FROM versions ORDER BY version",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            field(&mut h, b"version");
            for i in 0..10 {
                let v: rusqlite::types::Value = r.get(i).map_err(|e| self.err(e))?;
                match v {
                    rusqlite::types::Value::Integer(n) => field(&mut h, &n.to_le_bytes()),
                    rusqlite::types::Value::Text(t) => field(&mut h, t.as_bytes()),
                    rusqlite::types::Value::Real(f) => field(&mut h, &f.to_le_bytes()),
                    rusqlite::types::Value::Blob(b) => field(&mut h, &b),
                    rusqlite::types::Value::Null => field(&mut h, b"\0null"),
                }
            }
        }
        Ok(h.finalize().into())
    }

    /// Starts a read transaction: until [`Store::end_read`], every read on this connection sees
    /// one snapshot of the database, whatever is committed meanwhile (WAL).
    pub(crate) fn begin_read(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))
    }

    /// Ends the read transaction of [`Store::begin_read`].
    pub(crate) fn end_read(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))
    }

    /// Counts streets, codes and surveyed poles.
    pub fn counts(&self) -> Result<Counts, StoreError> {
        let q = |sql: &str| -> Result<u64, StoreError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(|e| self.err(e))
        };
        Ok(Counts {
            streets: q("SELECT count(*) FROM streets")?,
            codes: q("SELECT count(*) FROM poles")?,
            surveyed: q("SELECT count(*) FROM poles WHERE lat_deg IS NOT NULL")?,
            data_version: self.data_version()?,
        })
    }

    /// All streets, sorted by street code.
    pub fn streets(&self) -> Result<Vec<StreetRecord>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT street_code, name, name_en, district, jurisdiction, geometry_wkt
                 FROM streets ORDER BY street_code",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| classify(&self.path, e))? {
            let wkt: String = r.get(5).map_err(|e| classify(&self.path, e))?;
            let get = |i| r.get::<_, String>(i).map_err(|e| classify(&self.path, e));
            out.push(StreetRecord {
                street_code: get(0)?,
                name: get(1)?,
                name_en: get(2)?,
                district: get(3)?,
                jurisdiction: get(4)?,
                // A damaged line only costs the estimates; the street itself still works.
                geometry: parse_wkt_linestring(&wkt).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Streams every pole (in code order) to `f`, with its street's name filled in.
    pub fn for_each_pole(&self, mut f: impl FnMut(PoleRecord)) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT p.code, p.code_display, p.street_code, coalesce(s.name, ''), p.pole_no,
                        p.side, p.lat_deg, p.lon_deg, p.address, p.landmark, p.cross_street,
                        p.jurisdiction, p.status, p.note, {}
                 FROM poles p LEFT JOIN streets s ON s.street_code = p.street_code",
                self.pole_label_sql()
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = st.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| classify(&self.path, e))? {
            f(row_to_pole(r).map_err(|e| classify(&self.path, e))?);
        }
        Ok(())
    }

    /// Streams every pole without copying its text: the fast path for index builds.
    pub fn for_each_pole_raw(&self, f: impl FnMut(&RawPole<'_>)) -> Result<(), StoreError> {
        self.for_each_pole_raw_in("", None, f)
    }

    /// Like [`Store::for_each_pole_raw`], for the codes `from <= code < to` (`to = None`: no
    /// upper bound), so that two threads can read the halves of a large table.
    pub fn for_each_pole_raw_in(
        &self,
        from: &str,
        to: Option<&str>,
        mut f: impl FnMut(&RawPole<'_>),
    ) -> Result<(), StoreError> {
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT code, code_display, street_code, pole_no, side, lat_deg, lon_deg, address,
                        landmark, cross_street, jurisdiction, status, note, {} FROM poles
                 WHERE code >= ?1 AND (?2 IS NULL OR code < ?2)",
                self.pole_label_sql()
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = st.query(params![from, to]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| classify(&self.path, e))? {
            let text =
                |i: usize| -> rusqlite::Result<&str> { Ok(r.get_ref(i)?.as_str().unwrap_or("")) };
            let raw = (|| -> rusqlite::Result<RawPole<'_>> {
                Ok(RawPole {
                    key: text(0)?,
                    display: text(1)?,
                    street_code: text(2)?,
                    pole_no: r.get(3)?,
                    side: text(4)?,
                    lat_deg: r.get(5)?,
                    lon_deg: r.get(6)?,
                    address: text(7)?,
                    landmark: text(8)?,
                    cross_street: text(9)?,
                    jurisdiction: text(10)?,
                    status: text(11)?,
                    note: text(12)?,
                    pole_label: text(13)?,
                })
            })()
            .map_err(|e| classify(&self.path, e))?;
            f(&raw);
        }
        Ok(())
    }

    /// A code that splits the table into two parts of roughly equal size when codes are spread
    /// evenly (the midpoint between the smallest and largest code, byte-wise); `None` when the
    /// table has fewer than two codes. Needs no scan: both ends come from the primary key.
    pub fn code_midpoint(&self) -> Result<Option<String>, StoreError> {
        let (lo, hi): (Option<String>, Option<String>) = self
            .conn
            .query_row("SELECT min(code), max(code) FROM poles", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.err(e))?;
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Ok(None);
        };
        if lo >= hi {
            return Ok(None);
        }
        // Keys are upper-case ASCII letters and digits: average the two as base-256 numbers
        // over their first eight bytes, then keep only characters keys can hold.
        let num = |s: &str| -> u128 {
            let mut v: u128 = 0;
            for i in 0..8 {
                v = v * 256 + u128::from(s.as_bytes().get(i).copied().unwrap_or(0));
            }
            v
        };
        let mid = u128::midpoint(num(&lo), num(&hi));
        let mut out = String::new();
        for i in (0..8).rev() {
            let b = ((mid >> (8 * i)) & 0xFF) as u8;
            if b == 0 {
                break;
            }
            out.push(char::from(b.clamp(b'0', b'Z')));
        }
        Ok((out.as_str() > lo.as_str() && out.as_str() <= hi.as_str()).then_some(out))
    }

    /// Loads the canonical CSV files into this (empty) database as data version 1, in one
    /// transaction: the first bad row stops it and nothing is written.
    pub fn load_canonical<M: Read, S: Read, P: Read>(
        &mut self,
        meta: Option<Source<M>>,
        streets: Option<Source<S>>,
        poles: Source<P>,
        applied_by: &str,
    ) -> Result<LoadSummary, StoreError> {
        let path = self.path.clone();
        let sql = |e| classify(&path, e);
        let bad = |file: &str, error| StoreError::BadData {
            file: file.to_owned(),
            error,
        };
        let meta_rows = match meta {
            Some(m) => canonical::read_meta(m.reader).map_err(|e| bad(&m.name, e))?,
            None => Vec::new(),
        };
        let street_rows = match streets {
            Some(s) => canonical::read_streets(s.reader).map_err(|e| bad(&s.name, e))?,
            None => Vec::new(),
        };

        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let existing: i64 = tx
            .query_row("SELECT count(*) FROM poles", [], |r| r.get(0))
            .map_err(sql)?;
        if existing > 0 {
            return Err(StoreError::NotEmpty(path.clone()));
        }
        let version: i64 = 1 + tx
            .query_row("SELECT coalesce(max(version), 0) FROM versions", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(sql)?;
        for (k, v) in &meta_rows {
            tx.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
                params![k, v],
            )
            .map_err(sql)?;
        }
        let mut known_streets: hashbrown::HashMap<String, String> = hashbrown::HashMap::new();
        {
            let mut ins = tx
                .prepare(
                    "INSERT INTO streets(street_code, name, name_en, district, jurisdiction, geometry_wkt)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            for s in &street_rows {
                let wkt = if s.geometry.is_empty() {
                    String::new()
                } else {
                    to_wkt_linestring(&s.geometry)
                };
                ins.execute(params![
                    s.street_code,
                    s.name,
                    s.name_en,
                    s.district,
                    s.jurisdiction,
                    wkt
                ])
                .map_err(sql)?;
                known_streets.insert(s.street_code.clone(), s.name.clone());
            }
        }

        let mut hasher = Sha256::new();
        let reader = HashingReader {
            inner: poles.reader,
            hasher: &mut hasher,
        };
        let mut pole_count = 0u64;
        let mut failure: Option<StoreError> = None;
        {
            let mut ins_pole = tx.prepare(INSERT_POLE).map_err(sql)?;
            let mut ins_street = tx
                .prepare("INSERT INTO streets(street_code, name) VALUES (?1, ?2)")
                .map_err(sql)?;
            let result = canonical::read_poles(reader, |line, p| {
                match known_streets.get(&p.street_code) {
                    Some(name) if p.street.is_empty() || *name == p.street => {}
                    Some(name) => {
                        return Err(RowError {
                            line,
                            field: "street".to_owned(),
                            reason_zh: format!(
                                "街路名 {} 与街路编码 {} 的名称 {name} 不一致",
                                p.street, p.street_code
                            ),
                            reason_en: format!(
                                "street name {} differs from {name}, the name of street code {}",
                                p.street, p.street_code
                            ),
                        });
                    }
                    None => {
                        if let Err(e) = ins_street.execute(params![p.street_code, p.street]) {
                            failure = Some(classify(&path, e));
                            return Err(RowError {
                                line,
                                field: "street_code".to_owned(),
                                reason_zh: "写入失败".to_owned(),
                                reason_en: "could not be written".to_owned(),
                            });
                        }
                        known_streets.insert(p.street_code.clone(), p.street.clone());
                    }
                }
                if let Err(e) = insert_pole(&mut ins_pole, &p, version) {
                    failure = Some(classify(&path, e));
                    return Err(RowError {
                        line,
                        field: "code".to_owned(),
                        reason_zh: "写入失败".to_owned(),
                        reason_en: "could not be written".to_owned(),
                    });
                }
                pole_count += 1;
                Ok(())
            });
            if let Some(f) = failure {
                return Err(f);
            }
            result.map_err(|e| bad(&poles.name, e))?;
        }
        let sha = hex(&hasher.finalize());
        tx.execute(
            "INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
                                  datum, added, changed, removed, note)
             VALUES (?1, ?2, ?3, ?4, ?5, 'wgs84', ?6, 0, 0, 'initial load')",
            params![
                version,
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                applied_by,
                poles.name,
                sha,
                pole_count as i64
            ],
        )
        .map_err(sql)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', ?1)",
            [version.to_string()],
        )
        .map_err(sql)?;
        // A new content id with every data version: the content stamp changes even when two
        // databases write versions with the same number in the same second.
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('content_id', ?1)",
            [new_content_id()],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(LoadSummary {
            streets: known_streets.len() as u64,
            poles: pole_count,
            version,
        })
    }

    /// Runs SQLite's full integrity check; `Ok(())` when it reports "ok".
    pub fn integrity_check(&self) -> Result<(), StoreError> {
        let res: String = self
            .conn
            .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if res == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: res,
            })
        }
    }

    /// How many rows name a street, version or pole that does not exist (0 for a sound file).
    pub fn foreign_key_problems(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// True when this connection enforces foreign keys (always, outside a version's writes).
    pub fn enforces_foreign_keys(&self) -> Result<bool, StoreError> {
        self.conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

const INSERT_POLE: &str = "INSERT INTO poles(code, code_display, street_code, pole_no, side,
    lat_deg, lon_deg, address, landmark, cross_street, jurisdiction, status, note, version,
    pole_label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

fn insert_pole(
    st: &mut rusqlite::Statement<'_>,
    p: &PoleRecord,
    version: i64,
) -> rusqlite::Result<()> {
    st.execute(params![
        p.code.key(),
        p.code.display(),
        p.street_code,
        p.pole_no,
        p.side.map_or("", Side::zh),
        p.surveyed.map(|s| s.lat_deg),
        p.surveyed.map(|s| s.lon_deg),
        p.address,
        p.landmark,
        p.cross_street,
        p.jurisdiction,
        p.status,
        p.note,
        version,
        p.pole_label
    ])
    .map(|_| ())
}

fn row_to_pole(r: &rusqlite::Row<'_>) -> rusqlite::Result<PoleRecord> {
    let lat: Option<f64> = r.get(6)?;
    let lon: Option<f64> = r.get(7)?;
    let side: String = r.get(5)?;
    Ok(PoleRecord {
        code: PoleCode::from_stored(r.get(0)?, r.get(1)?),
        street_code: r.get(2)?,
        street: r.get(3)?,
        pole_no: r.get(4)?,
        pole_label: r.get(14)?,
        side: Side::parse(&side),
        surveyed: lat.zip(lon).map(|(a, o)| LatLon::new(a, o)),
        address: r.get(8)?,
        landmark: r.get(9)?,
        cross_street: r.get(10)?,
        jurisdiction: r.get(11)?,
        status: r.get(12)?,
        note: r.get(13)?,
    })
}

/// Turns SQLite's error codes into the errors a person can act on.
pub(crate) fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, ref msg) = e {
        match f.code {
            ErrorCode::NotADatabase => return StoreError::NotSqlite(path.to_owned()),
            ErrorCode::DatabaseCorrupt => {
                return StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: msg
                        .clone()
                        .unwrap_or_else(|| "database disk image is malformed".into()),
                };
            }
            ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
                return StoreError::Inaccessible(path.to_owned());
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return StoreError::Busy(path.to_owned());
            }
            _ => {}
        }
    }
    StoreError::Sqlite {
        path: path.to_owned(),
        source: e,
    }
}

/// A fresh random id for a data version's content (`meta` key `content_id`, part of
/// [`Store::content_stamp`]); the clock and the process id when there is no randomness.
fn new_content_id() -> String {
    let mut id = [0u8; 16];
    if getrandom::fill(&mut id).is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        id = (now ^ (u128::from(std::process::id()) << 96)).to_le_bytes();
    }
    hex(&id)
}

/// Passes bytes through while hashing them, so a file is read once.
struct HashingReader<'h, R> {
    inner: R,
    hasher: &'h mut Sha256,
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}
