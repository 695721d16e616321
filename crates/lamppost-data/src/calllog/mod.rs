//! The workstation's call log (接警记录, `calls.sqlite`): one entry per confirmed pole.
//!
//! The log is separate from the reference database: a data package replaces the reference
//! database, never this file. Entries are appended and never rewritten; a note or incident type
//! added afterwards is appended too (the newest one is shown), so the file records what was said
//! when. Every append is committed with `synchronous = FULL` before it returns, so a crash or a
//! power cut after "saved" loses nothing.
//!
//! [`CallLog`] is the file; [`worker::LogWorker`] owns one on a thread for the window, which
//! must never wait on disk.

pub mod worker;

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDate, SecondsFormat, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};
use serde::Serialize;

use lamppost_core::spreadsheet::{UTF8_BOM, neutralise_formula};
use lamppost_core::words::{Message, Words};

use crate::migrate::SchemaError;

/// Migrations of the call log, added and never edited (`PRAGMA user_version` = how many ran).
const MIGRATIONS: &[&str] = &[
    r"
CREATE TABLE calls (
    id            INTEGER PRIMARY KEY,
    at_utc        TEXT NOT NULL,      -- RFC 3339, UTC
    at_local      TEXT NOT NULL,      -- RFC 3339 with the workstation's offset
    local_date    TEXT NOT NULL,      -- YYYY-MM-DD of at_local, for 'today'
    operator      TEXT NOT NULL,
    query         TEXT NOT NULL,      -- what was typed
    code          TEXT NOT NULL,      -- the code chosen ('' when none)
    street        TEXT NOT NULL,
    pole_no       INTEGER,
    address       TEXT NOT NULL,
    readback      TEXT NOT NULL,      -- the sentence shown to read back
    lat_deg       REAL,               -- WGS-84 as shown; NULL when unknown
    lon_deg       REAL,
    position      TEXT NOT NULL,      -- surveyed | estimated | unknown
    radius_m      REAL,               -- error radius of an estimate
    dataset       TEXT NOT NULL,
    data_version  INTEGER NOT NULL,
    CHECK ((lat_deg IS NULL) = (lon_deg IS NULL))
);
CREATE INDEX calls_by_date ON calls(local_date, id);

CREATE TABLE annotations (
    id            INTEGER PRIMARY KEY,
    call_id       INTEGER NOT NULL REFERENCES calls(id),
    at_utc        TEXT NOT NULL,
    operator      TEXT NOT NULL,
    incident_type TEXT NOT NULL,
    note          TEXT NOT NULL
);
CREATE INDEX annotations_by_call ON annotations(call_id, id);
",
    r"
-- The caller's location given with the call (handset or cell location), converted to WGS-84,
-- the datum it was given in, its accuracy radius, and the confirmed pole's distance from it.
ALTER TABLE calls ADD COLUMN caller_lat_deg REAL;
ALTER TABLE calls ADD COLUMN caller_lon_deg REAL;
ALTER TABLE calls ADD COLUMN caller_datum TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN caller_radius_m REAL;
ALTER TABLE calls ADD COLUMN caller_distance_m REAL;
",
    r"
-- Every log has an id of its own, and every call and annotation a stable unique id made from it
-- and its row id: merging logs (`calls merge`) never duplicates an entry, however often the same
-- copy comes in. A merged log keeps each entry's workstation and uid as they were.
-- A new log gets a random id. A log that already holds calls gets one made from its first call's
-- UTC time, so that two copies of the same old log, upgraded apart, still agree.
CREATE TABLE workstation (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    uid  TEXT NOT NULL
);
INSERT INTO workstation VALUES (1, coalesce(
    (SELECT 'w' || replace(replace(replace(replace(replace(at_utc, '-', ''), ':', ''), 'T', ''),
                   '.', ''), 'Z', '')
     FROM calls ORDER BY id LIMIT 1),
    lower(hex(randomblob(8)))));
ALTER TABLE calls ADD COLUMN workstation TEXT NOT NULL DEFAULT '';
ALTER TABLE calls ADD COLUMN uid TEXT;
UPDATE calls SET workstation = (SELECT uid FROM workstation),
                 uid = (SELECT uid FROM workstation) || '-' || id;
CREATE UNIQUE INDEX calls_by_uid ON calls(uid);
ALTER TABLE annotations ADD COLUMN uid TEXT;
UPDATE annotations SET uid = (SELECT uid FROM workstation) || '-a' || id;
CREATE UNIQUE INDEX annotations_by_uid ON annotations(uid);
",
];

/// Longest text kept in a note or in the typed query; longer input is cut (a pasted page
/// must not bloat the log).
pub const MAX_TEXT_CHARS: usize = 2000;

/// What can go wrong with the call log. Messages are for the call-taker: Chinese, then English.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum CallLogError {
    /// The file is not a call log (another SQLite file, or not SQLite).
    NotCallLog(PathBuf),
    /// Written by a newer program.
    NewerSchema(PathBuf),
    /// The folder or file cannot be written.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite failed.
    Sqlite {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// No entry with this id.
    NoSuchCall(i64),
    /// Writing an export failed.
    Export(String),
    /// No call log at the path (opening for reading never creates one).
    Missing(PathBuf),
    /// `calls merge` was asked to merge a log into itself.
    MergeIntoItself(PathBuf),
}

impl Words for CallLogError {
    fn message(&self) -> Message {
        match self {
            Self::NotCallLog(path) => {
                Message::new("不是接警记录文件", "not a call log").about(path.display())
            }
            Self::NewerSchema(path) => Message::new(
                "接警记录由更新版本的程序创建，请升级",
                "the call log was written by a newer version; upgrade the program",
            )
            .about(path.display()),
            Self::Io { path, source } => Message::new(
                "无法写入接警记录（检查文件夹权限和磁盘空间）",
                "cannot write the call log (check folder permissions and disk space)",
            )
            .about(format!("{}: {source}", path.display())),
            Self::Sqlite { path, source } => {
                Message::new("接警记录数据库错误", "call log database error")
                    .about(format!("{}: {source}", path.display()))
            }
            Self::NoSuchCall(id) => Message::new("没有这条接警记录", "no such call").about(id),
            Self::Export(detail) => Message::new("导出失败", "export failed").about(detail),
            Self::Missing(path) => {
                Message::new("找不到接警记录文件", "no call log at this path").about(path.display())
            }
            Self::MergeIntoItself(path) => Message::new(
                "不能把接警记录合并到它自己",
                "a call log cannot be merged into itself",
            )
            .about(path.display()),
        }
    }
}

/// The position a call was given, as shown to the call-taker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PositionKind {
    /// A surveyed point.
    Surveyed,
    /// An estimate with an error radius.
    Estimated,
    /// No position.
    Unknown,
}

impl PositionKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Surveyed => "surveyed",
            Self::Estimated => "estimated",
            Self::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "surveyed" => Self::Surveyed,
            "estimated" => Self::Estimated,
            _ => Self::Unknown,
        }
    }
}

/// Where the caller said (or the phone network said) the caller is, as the call-taker entered it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CallerLocation {
    /// WGS-84 latitude (converted from the datum it was given in).
    pub lat_deg: f64,
    /// WGS-84 longitude.
    pub lon_deg: f64,
    /// The datum it was given in: `wgs84`, `gcj02` or `bd09`.
    pub datum: &'static str,
    /// Its accuracy radius in metres, when given.
    pub radius_m: Option<f64>,
    /// Metres from the confirmed pole to it (`None` when the pole has no position).
    pub distance_m: Option<f64>,
}

/// The datum words a caller location is recorded with.
const CALLER_DATUMS: [&str; 3] = ["wgs84", "gcj02", "bd09"];

/// A call to record: what the call-taker confirmed, as it was shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCall {
    /// Who took the call.
    pub operator: String,
    /// The raw text typed in the code box.
    pub query: String,
    /// The code chosen (display spelling).
    pub code: String,
    /// Street name.
    pub street: String,
    /// Pole number on the street.
    pub pole_no: Option<i64>,
    /// The pole's address.
    pub address: String,
    /// The read-back sentence shown.
    pub readback: String,
    /// WGS-84 latitude and longitude shown, if any.
    pub lat_lon_deg: Option<(f64, f64)>,
    /// Surveyed, estimated or unknown.
    pub position: PositionKind,
    /// Error radius of an estimate, metres.
    pub radius_m: Option<f64>,
    /// Dataset name.
    pub dataset: String,
    /// Data version of the reference database.
    pub data_version: i64,
    /// The caller's location given with the call, if one was entered (boxed: most calls have
    /// none, and the call travels through the log worker's channel).
    pub caller: Option<Box<CallerLocation>>,
}

/// One entry of the log, with its newest annotation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Call {
    /// Row id, increasing.
    pub id: i64,
    /// When, UTC (RFC 3339).
    pub at_utc: String,
    /// When, the workstation's local time (RFC 3339 with offset).
    pub at_local: String,
    /// What was recorded.
    #[serde(flatten)]
    pub call: NewCall,
    /// Incident type added afterwards ('' when none).
    pub incident_type: String,
    /// Note added afterwards ('' when none).
    pub note: String,
    /// The id of the workstation's log the call was taken on.
    pub workstation: String,
    /// The call's stable unique id (`WORKSTATION-ID`), the same in every merged copy.
    pub uid: String,
}

impl Call {
    /// The local time of day, `HH:MM:SS`.
    #[must_use]
    pub fn local_time(&self) -> &str {
        self.at_local.get(11..19).unwrap_or(&self.at_local)
    }

    /// True when `filter` (folded: case and full-width ignored) occurs in the code, street,
    /// typed text, address, operator, incident type or note.
    #[must_use]
    pub fn matches(&self, filter: &str) -> bool {
        let f = lamppost_core::text::fold(filter);
        if f.is_empty() {
            return true;
        }
        let compact = |s: &str| lamppost_core::text::fold(s).replace('-', "");
        [
            &self.call.code,
            &self.call.street,
            &self.call.query,
            &self.call.address,
            &self.call.operator,
            &self.incident_type,
            &self.note,
        ]
        .iter()
        .any(|field| {
            let folded = lamppost_core::text::fold(field);
            folded.contains(&f) || compact(field).contains(&f.replace('-', ""))
        })
    }
}

/// Which calls to list or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// Every call.
    All,
    /// Calls on these local dates, inclusive.
    Dates(NaiveDate, NaiveDate),
}

impl Range {
    /// True when the call falls in the range (by its local date).
    #[must_use]
    pub fn contains(&self, call: &Call) -> bool {
        match self {
            Self::All => true,
            Self::Dates(from, to) => call
                .at_local
                .get(..10)
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| (*from..=*to).contains(&d)),
        }
    }
}

/// The call log file.
pub struct CallLog {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for CallLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl CallLog {
    /// Opens the call log at `path`, creating it (and its folder) when missing.
    pub fn open(path: &Path) -> Result<Self, CallLogError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| CallLogError::Io {
                path: path.to_owned(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| CallLogError::Sqlite {
                path: path.to_owned(),
                source,
            })?;
        let mut log = Self {
            conn,
            path: path.to_owned(),
        };
        log.prepare()?;
        Ok(log)
    }

    /// Opens an existing call log for reading only (exports, listing); never creates one.
    pub fn open_read_only(path: &Path) -> Result<Self, CallLogError> {
        if !path.exists() {
            return Err(CallLogError::Missing(path.to_owned()));
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|source| CallLogError::Sqlite {
                path: path.to_owned(),
                source,
            })?;
        let log = Self {
            conn,
            path: path.to_owned(),
        };
        log.conn
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| log.err(e))?;
        let v = log.user_version()?;
        if v == 0 {
            return Err(CallLogError::NotCallLog(path.to_owned()));
        }
        if v as usize > MIGRATIONS.len() {
            return Err(CallLogError::NewerSchema(path.to_owned()));
        }
        Ok(log)
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> CallLogError {
        match source {
            rusqlite::Error::SqliteFailure(e, _) if e.code == rusqlite::ErrorCode::NotADatabase => {
                CallLogError::NotCallLog(self.path.clone())
            }
            source => CallLogError::Sqlite {
                path: self.path.clone(),
                source,
            },
        }
    }

    fn user_version(&self) -> Result<u32, CallLogError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Turns a schema problem into the error a person can act on.
    fn schema_error(&self, e: SchemaError) -> CallLogError {
        match e {
            SchemaError::Newer { .. } => CallLogError::NewerSchema(self.path.clone()),
            SchemaError::Foreign => CallLogError::NotCallLog(self.path.clone()),
            SchemaError::Sqlite(e) => self.err(e),
        }
    }

    fn prepare(&mut self) -> Result<(), CallLogError> {
        self.conn
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| self.err(e))?;
        // WAL with FULL sync: a commit is on disk when it returns, and readers (an export
        // from the command line) never block the window's writes.
        let _: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.err(e))?;
        crate::migrate::migrate(&mut self.conn, MIGRATIONS).map_err(|e| self.schema_error(e))?;
        Ok(())
    }

    /// Appends a call, stamped now; returns it once it is committed to disk.
    pub fn append(&mut self, call: &NewCall) -> Result<Call, CallLogError> {
        self.append_at(call, Utc::now())
    }

    /// Appends a call stamped `at` (tests use fixed times).
    pub fn append_at(&mut self, call: &NewCall, at: DateTime<Utc>) -> Result<Call, CallLogError> {
        let local = at.with_timezone(&Local);
        let at_utc = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        let at_local = local.to_rfc3339_opts(SecondsFormat::Millis, false);
        let mut call = call.clone();
        clip(&mut call.query);
        let (lat, lon) = call.lat_lon_deg.unzip();
        let caller = call.caller.as_deref();
        let tx = self
            .conn
            .transaction()
            .map_err(|source| CallLogError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        let sqlite = |source| CallLogError::Sqlite {
            path: self.path.clone(),
            source,
        };
        tx.execute(
            "INSERT INTO calls(at_utc, at_local, local_date, operator, query, code, street,
                 pole_no, address, readback, lat_deg, lon_deg, position, radius_m, dataset,
                 data_version, caller_lat_deg, caller_lon_deg, caller_datum, caller_radius_m,
                 caller_distance_m)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20, ?21)",
            params![
                at_utc,
                at_local,
                local.date_naive().to_string(),
                call.operator,
                call.query,
                call.code,
                call.street,
                call.pole_no,
                call.address,
                call.readback,
                lat,
                lon,
                call.position.as_str(),
                call.radius_m,
                call.dataset,
                call.data_version,
                caller.map(|c| c.lat_deg),
                caller.map(|c| c.lon_deg),
                caller.map_or("", |c| c.datum),
                caller.and_then(|c| c.radius_m),
                caller.and_then(|c| c.distance_m),
            ],
        )
        .map_err(sqlite)?;
        let id = tx.last_insert_rowid();
        let (workstation, uid): (String, String) = tx
            .query_row(
                "UPDATE calls SET workstation = (SELECT uid FROM workstation),
                     uid = (SELECT uid FROM workstation) || '-' || id
                 WHERE id = ?1 RETURNING workstation, uid",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(Call {
            id,
            at_utc,
            at_local,
            call,
            incident_type: String::new(),
            note: String::new(),
            workstation,
            uid,
        })
    }

    /// Adds a note and incident type to call `id` (appended; the newest is shown).
    pub fn annotate(
        &mut self,
        id: i64,
        operator: &str,
        incident_type: &str,
        note: &str,
    ) -> Result<Call, CallLogError> {
        let mut note = note.to_owned();
        clip(&mut note);
        let mut incident_type = incident_type.to_owned();
        clip(&mut incident_type);
        let tx = self
            .conn
            .transaction()
            .map_err(|source| CallLogError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM calls WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|source| CallLogError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        if exists.is_none() {
            return Err(CallLogError::NoSuchCall(id));
        }
        tx.execute(
            "INSERT INTO annotations(call_id, at_utc, operator, incident_type, note)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                id,
                Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
                operator,
                incident_type,
                note
            ],
        )
        .map_err(|source| CallLogError::Sqlite {
            path: self.path.clone(),
            source,
        })?;
        tx.execute(
            "UPDATE annotations SET uid = (SELECT uid FROM workstation) || '-a' || id
             WHERE id = last_insert_rowid()",
            [],
        )
        .map_err(|source| CallLogError::Sqlite {
            path: self.path.clone(),
            source,
        })?;
        tx.commit().map_err(|source| CallLogError::Sqlite {
            path: self.path.clone(),
            source,
        })?;
        self.get(id)?.ok_or(CallLogError::NoSuchCall(id))
    }

    /// One call by id.
    pub fn get(&self, id: i64) -> Result<Option<Call>, CallLogError> {
        let mut found = self.query(&format!("{SELECT_CALLS} WHERE c.id = ?1"), params![id])?;
        Ok(found.pop())
    }

    /// Calls in `range`, newest first.
    pub fn list(&self, range: Range) -> Result<Vec<Call>, CallLogError> {
        match range {
            Range::All => self.query(&format!("{SELECT_CALLS} ORDER BY c.id DESC"), params![]),
            Range::Dates(from, to) => self.query(
                &format!("{SELECT_CALLS} WHERE c.local_date BETWEEN ?1 AND ?2 ORDER BY c.id DESC"),
                params![from.to_string(), to.to_string()],
            ),
        }
    }

    /// Today's calls (the workstation's local date), newest first.
    pub fn today(&self) -> Result<Vec<Call>, CallLogError> {
        let today = Local::now().date_naive();
        self.list(Range::Dates(today, today))
    }

    fn query(&self, sql: &str, args: impl rusqlite::Params) -> Result<Vec<Call>, CallLogError> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        stmt.query_map(args, row_to_call)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    /// Every call's raw typed text and the code confirmed for it, oldest first: what the search
    /// learns its error model from (`lamppost_search::channel`).
    pub fn typed_and_confirmed(&self) -> Result<Vec<(String, String)>, CallLogError> {
        let mut stmt = self
            .conn
            .prepare("SELECT query, code FROM calls WHERE code <> '' ORDER BY id")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    /// Writes the calls in `range` (oldest first, as a shift report reads) as CSV for Excel:
    /// UTF-8 with a byte-order mark, CRLF line ends, text cells neutralised against formula
    /// injection. Returns how many calls were written.
    pub fn export_csv(&self, range: Range, out: &mut impl Write) -> Result<usize, CallLogError> {
        let mut calls = self.list(range)?;
        calls.reverse();
        write_csv(&calls, out).map_err(|e| CallLogError::Export(e.to_string()))?;
        Ok(calls.len())
    }

    /// The calls in `range`, newest first, from a log that may be damaged: when the whole
    /// query fails on a damaged page, every call is read one by one, and the ones that cannot
    /// be read are named in the [`Damage`] instead of losing the others.
    pub fn list_salvaging(
        &self,
        range: Range,
    ) -> Result<(Vec<Call>, Option<Damage>), CallLogError> {
        match self.list(range) {
            Ok(calls) => Ok((calls, None)),
            Err(CallLogError::Sqlite {
                source: rusqlite::Error::SqliteFailure(f, _),
                ..
            }) if f.code == rusqlite::ErrorCode::DatabaseCorrupt => Ok(self.salvage(range)),
            Err(e) => Err(e),
        }
    }

    /// [`CallLog::export_csv`] for a log that may be damaged ([`CallLog::list_salvaging`]).
    pub fn export_csv_salvaging(
        &self,
        range: Range,
        out: &mut impl Write,
    ) -> Result<(usize, Option<Damage>), CallLogError> {
        let (mut calls, damage) = self.list_salvaging(range)?;
        calls.reverse();
        write_csv(&calls, out).map_err(|e| CallLogError::Export(e.to_string()))?;
        Ok((calls.len(), damage))
    }

    /// Reads every call by its id, the annotations too where they can be read.
    fn salvage(&self, range: Range) -> (Vec<Call>, Option<Damage>) {
        let highest: i64 = self
            .conn
            .query_row("SELECT coalesce(max(id), 0) FROM calls", [], |r| r.get(0))
            .or_else(|_| {
                self.conn.query_row(
                    "SELECT seq FROM sqlite_sequence WHERE name = 'calls'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap_or(SALVAGE_PROBE);
        let one = format!("{SELECT_CALLS} WHERE c.id = ?1");
        let bare = format!("{SELECT_CALLS_BARE} WHERE c.id = ?1");
        let mut calls = Vec::new();
        let mut unreadable = Vec::new();
        for id in (1..=highest).rev() {
            let read = self
                .conn
                .query_row(&one, [id], row_to_call)
                .or_else(|_| self.conn.query_row(&bare, [id], row_to_call));
            match read {
                Ok(c) if range.contains(&c) => calls.push(c),
                Ok(_) | Err(rusqlite::Error::QueryReturnedNoRows) => {}
                Err(_) => unreadable.push(id),
            }
        }
        unreadable.reverse();
        (
            calls,
            Some(Damage {
                path: self.path.clone(),
                unreadable,
            }),
        )
    }
}

/// How far a damaged log is read when even its highest id cannot be.
const SALVAGE_PROBE: i64 = 100_000;

/// What could not be read from a damaged call log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The log.
    pub path: PathBuf,
    /// The ids of the calls that could not be read, in order.
    pub unreadable: Vec<i64>,
}

impl Words for Damage {
    fn message(&self) -> Message {
        let shown: Vec<String> = self
            .unreadable
            .iter()
            .take(20)
            .map(i64::to_string)
            .collect();
        let more = self.unreadable.len().saturating_sub(shown.len());
        let list = if more > 0 {
            format!("{} …(+{more})", shown.join(", "))
        } else {
            shown.join(", ")
        };
        let n = self.unreadable.len();
        Message::new(
            format!("接警记录文件已损坏：{n} 条无法读取（编号 {list}），其余已读出；请保留此文件并联系管理员"),
            format!("the call log is damaged: {n} calls could not be read (ids {list}); the others were read; keep the file and call the administrator"),
        )
        .about(self.path.display())
    }
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

/// The columns of the CSV export, Chinese then English so both a Chinese Excel and a script
/// can read them.
pub const CSV_HEADER: [&str; 26] = [
    "编号 id",
    "本地时间 local_time",
    "UTC时间 utc_time",
    "接警员 operator",
    "输入 typed",
    "编码 code",
    "街路 street",
    "杆号 pole_no",
    "地址 address",
    "复述 readback",
    "纬度 lat_deg",
    "经度 lon_deg",
    "位置 position",
    "误差半径米 radius_m",
    "数据集 dataset",
    "数据版本 data_version",
    "事件类型 incident_type",
    "备注 note",
    "坐标系 datum",
    "报警人纬度 caller_lat_deg",
    "报警人经度 caller_lon_deg",
    "报警人坐标原坐标系 caller_datum",
    "报警人位置半径米 caller_radius_m",
    "灯杆距报警人米 caller_distance_m",
    "工作站 workstation",
    "记录标识 uid",
];

fn write_csv(calls: &[Call], out: &mut impl Write) -> Result<(), csv::Error> {
    out.write_all(UTF8_BOM)?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(CSV_HEADER)?;
    for c in calls {
        let n = &c.call;
        let text = |s: &str| neutralise_formula(s).into_owned();
        let caller = n.caller.as_deref();
        let (lat, lon) = n
            .lat_lon_deg
            .map_or((String::new(), String::new()), |(a, b)| {
                (format!("{a:.7}"), format!("{b:.7}"))
            });
        w.write_record([
            c.id.to_string(),
            c.at_local.clone(),
            c.at_utc.clone(),
            text(&n.operator),
            text(&n.query),
            text(&n.code),
            text(&n.street),
            n.pole_no.map_or(String::new(), |p| p.to_string()),
            text(&n.address),
            text(&n.readback),
            lat,
            lon,
            n.position.as_str().to_owned(),
            n.radius_m.map_or(String::new(), |r| format!("{r:.0}")),
            text(&n.dataset),
            n.data_version.to_string(),
            text(&c.incident_type),
            text(&c.note),
            "WGS-84".to_owned(),
            caller.map_or(String::new(), |c| format!("{:.7}", c.lat_deg)),
            caller.map_or(String::new(), |c| format!("{:.7}", c.lon_deg)),
            caller.map_or("", |c| c.datum).to_owned(),
            caller
                .and_then(|c| c.radius_m)
                .map_or(String::new(), |r| format!("{r:.0}")),
            caller
                .and_then(|c| c.distance_m)
                .map_or(String::new(), |d| format!("{d:.0}")),
            c.workstation.clone(),
            c.uid.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

const SELECT_CALLS: &str = "
SELECT c.id, c.at_utc, c.at_local, c.operator, c.query, c.code, c.street, c.pole_no, c.address,
       c.readback, c.lat_deg, c.lon_deg, c.position, c.radius_m, c.dataset, c.data_version,
       coalesce(a.incident_type, ''), coalesce(a.note, ''),
       c.caller_lat_deg, c.caller_lon_deg, c.caller_datum, c.caller_radius_m, c.caller_distance_m,
       c.workstation, coalesce(c.uid, '')
FROM calls c
LEFT JOIN annotations a ON a.id = (SELECT max(id) FROM annotations WHERE call_id = c.id)";

/// [`SELECT_CALLS`] without the annotations, for a damaged log whose annotations cannot be read.
const SELECT_CALLS_BARE: &str = "
SELECT c.id, c.at_utc, c.at_local, c.operator, c.query, c.code, c.street, c.pole_no, c.address,
       c.readback, c.lat_deg, c.lon_deg, c.position, c.radius_m, c.dataset, c.data_version,
       '', '',
       c.caller_lat_deg, c.caller_lon_deg, c.caller_datum, c.caller_radius_m, c.caller_distance_m,
       c.workstation, coalesce(c.uid, '')
FROM calls c";

fn row_to_call(r: &rusqlite::Row<'_>) -> rusqlite::Result<Call> {
    let lat: Option<f64> = r.get(10)?;
    let lon: Option<f64> = r.get(11)?;
    let position: String = r.get(12)?;
    let caller_lat: Option<f64> = r.get(18)?;
    let caller_lon: Option<f64> = r.get(19)?;
    let caller_datum: String = r.get(20)?;
    let caller = caller_lat.zip(caller_lon).map(|(lat, lon)| {
        Box::new(CallerLocation {
            lat_deg: lat,
            lon_deg: lon,
            datum: CALLER_DATUMS
                .iter()
                .find(|d| **d == caller_datum)
                .copied()
                .unwrap_or("wgs84"),
            radius_m: r.get(21).ok().flatten(),
            distance_m: r.get(22).ok().flatten(),
        })
    });
    Ok(Call {
        id: r.get(0)?,
        at_utc: r.get(1)?,
        at_local: r.get(2)?,
        call: NewCall {
            operator: r.get(3)?,
            query: r.get(4)?,
            code: r.get(5)?,
            street: r.get(6)?,
            pole_no: r.get(7)?,
            address: r.get(8)?,
            readback: r.get(9)?,
            lat_lon_deg: lat.zip(lon),
            position: PositionKind::parse(&position),
            radius_m: r.get(13)?,
            dataset: r.get(14)?,
            data_version: r.get(15)?,
            caller,
        },
        incident_type: r.get(16)?,
        note: r.get(17)?,
        workstation: r.get(23)?,
        uid: r.get(24)?,
    })
}

/// Cuts text to [`MAX_TEXT_CHARS`] characters and replaces control characters (a pasted tab
/// or NUL) by spaces, keeping line breaks out of the typed query.
fn clip(s: &mut String) {
    if s.chars().count() > MAX_TEXT_CHARS || s.chars().any(|c| c.is_control() && c != '\n') {
        *s = s
            .chars()
            .take(MAX_TEXT_CHARS)
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect();
    }
}

mod merge;
pub mod report;
pub use merge::MergeCounts;

#[cfg(test)]
mod tests;
