//! `calls merge`: the call logs of many workstations in one file, for the centre's shift
//! reports.
//!
//! Every entry keeps its workstation id and its stable unique id (`uid`, migration 3), so a
//! merge only ever adds what the merged file does not hold yet: merging the same log twice, or
//! overlapping copies of it, never duplicates a call, and no entry is changed. The sources are
//! read, never written; a source written by an older program is upgraded in a private copy. All
//! sources go in one transaction: a merge that fails on one file writes nothing.

use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::{CallLog, CallLogError, MIGRATIONS};

/// What a merge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeCounts {
    /// Source logs read.
    pub files: usize,
    /// Calls added.
    pub calls_added: u64,
    /// Calls the merged log held already (same uid).
    pub calls_known: u64,
    /// Annotations (incident type and note) added.
    pub annotations_added: u64,
}

/// The columns of a call copied as they are (everything but the row id).
const CALL_COLUMNS: &str = "at_utc, at_local, local_date, operator, query, code, street, \
     pole_no, address, readback, lat_deg, lon_deg, position, radius_m, dataset, data_version, \
     caller_lat_deg, caller_lon_deg, caller_datum, caller_radius_m, caller_distance_m, \
     workstation, uid";
const CALL_COLUMN_COUNT: usize = 23;

/// One source's entries, read whole before anything is written.
struct Source {
    calls: Vec<Vec<Value>>,
    /// (the call's uid, `at_utc`, operator, `incident_type`, note, the annotation's uid)
    annotations: Vec<[Value; 6]>,
}

impl CallLog {
    /// Adds the calls and annotations of the logs at `sources` that this log does not hold yet
    /// (by uid), in one transaction. A source that is this log itself, is not a call log or
    /// cannot be read stops the merge before anything is written.
    pub fn merge_from(&mut self, sources: &[PathBuf]) -> Result<MergeCounts, CallLogError> {
        let mut read = Vec::with_capacity(sources.len());
        for src in sources {
            if same_file(src, &self.path) {
                return Err(CallLogError::MergeIntoItself(src.clone()));
            }
            read.push(read_source(src)?);
        }
        let path = self.path.clone();
        let sqlite = |source| CallLogError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        let mut counts = MergeCounts {
            files: sources.len(),
            ..MergeCounts::default()
        };
        {
            let placeholders = vec!["?"; CALL_COLUMN_COUNT].join(", ");
            let mut insert_call = tx
                .prepare(&format!(
                    "INSERT INTO calls ({CALL_COLUMNS}) VALUES ({placeholders})
                     ON CONFLICT(uid) DO NOTHING"
                ))
                .map_err(sqlite)?;
            let mut insert_note = tx
                .prepare(
                    "INSERT INTO annotations (call_id, at_utc, operator, incident_type, note, uid)
                     SELECT id, ?2, ?3, ?4, ?5, ?6 FROM calls WHERE uid = ?1
                     ON CONFLICT(uid) DO NOTHING",
                )
                .map_err(sqlite)?;
            for source in &read {
                for call in &source.calls {
                    if insert_call
                        .execute(params_from_iter(call.iter()))
                        .map_err(sqlite)?
                        == 1
                    {
                        counts.calls_added += 1;
                    } else {
                        counts.calls_known += 1;
                    }
                }
                for note in &source.annotations {
                    counts.annotations_added += insert_note
                        .execute(params_from_iter(note.iter()))
                        .map_err(sqlite)? as u64;
                }
            }
        }
        tx.commit().map_err(sqlite)?;
        Ok(counts)
    }
}

/// True when both paths name the same file (resolved), including the same file under two names.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Reads a source log whole. One written by an older program has no uids yet: it is copied
/// (SQLite's backup, so a log in WAL mode comes whole) into a private file, upgraded there as
/// the program would upgrade it in place, and read from the copy.
fn read_source(path: &Path) -> Result<Source, CallLogError> {
    let log = CallLog::open_read_only(path)?;
    if log.user_version()? as usize == MIGRATIONS.len() {
        return read_entries(&log.conn, path);
    }
    let sqlite = |source| CallLogError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let dir = tempfile::tempdir().map_err(|source| CallLogError::Io {
        path: path.to_owned(),
        source,
    })?;
    let copy = dir.path().join("upgrading.sqlite");
    {
        let mut dst = Connection::open(&copy).map_err(sqlite)?;
        let backup = rusqlite::backup::Backup::new(&log.conn, &mut dst).map_err(sqlite)?;
        backup
            .run_to_completion(1024, std::time::Duration::ZERO, None)
            .map_err(sqlite)?;
    }
    drop(log);
    let upgraded = CallLog::open(&copy)?;
    read_entries(&upgraded.conn, path)
}

fn read_entries(conn: &Connection, path: &Path) -> Result<Source, CallLogError> {
    let sqlite = |source| CallLogError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let mut stmt = conn
        .prepare(&format!("SELECT {CALL_COLUMNS} FROM calls ORDER BY id"))
        .map_err(sqlite)?;
    let calls = stmt
        .query_map([], |r| {
            (0..CALL_COLUMN_COUNT)
                .map(|i| r.get::<_, Value>(i))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(sqlite)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sqlite)?;
    let mut stmt = conn
        .prepare(
            "SELECT c.uid, a.at_utc, a.operator, a.incident_type, a.note, a.uid
             FROM annotations a JOIN calls c ON c.id = a.call_id ORDER BY a.id",
        )
        .map_err(sqlite)?;
    let annotations = stmt
        .query_map([], |r| {
            Ok([
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ])
        })
        .map_err(sqlite)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sqlite)?;
    Ok(Source { calls, annotations })
}
