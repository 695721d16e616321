//! Writing a new data version: the only place that writes the `poles`, `streets`, `versions`
//! and `pole_history` tables after a database is loaded. The supervisor's import and undo
//! decide *what* to write (`lamppost-import`); this module says *how*, inside one transaction.
//!
//! [`Store::write_version`] opens an `IMMEDIATE` transaction, writes the version row first
//! (history rows refer to it), hands a [`VersionWriter`] to the caller, and commits only when
//! the caller returns counts; any error, or `None`, rolls everything back. The per-row
//! statements are prepared once per version, not looked up per row.

use std::path::Path;

use rusqlite::{OptionalExtension as _, Statement, Transaction, TransactionBehavior, params};

use super::{Store, StoreError, classify};

/// SQLite's page cache while a version is written, in KiB (see `write_version_checked`); the
/// import benchmark's baseline uses the same.
pub const IMPORT_CACHE_KIB: i64 = 64 * 1024;

/// A pole row as stored in `poles`, and as kept in `pole_history` (JSON).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct PoleRow {
    /// Normalised key.
    pub code: String,
    /// Spelling on the sign.
    pub code_display: String,
    /// Street code.
    pub street_code: String,
    /// Number along the street (the numeric part of a number with a suffix).
    pub pole_no: Option<u32>,
    /// The number as written when it has a suffix (`103F`); empty otherwise. Absent from the
    /// history of versions written before it existed.
    #[serde(default)]
    pub pole_label: String,
    /// Side (`西`), empty when unknown.
    pub side: String,
    /// WGS-84 latitude.
    pub lat_deg: Option<f64>,
    /// WGS-84 longitude.
    pub lon_deg: Option<f64>,
    /// Address.
    pub address: String,
    /// Landmark.
    pub landmark: String,
    /// Cross street.
    pub cross_street: String,
    /// Jurisdiction.
    pub jurisdiction: String,
    /// Status.
    pub status: String,
    /// Note.
    pub note: String,
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryOp {
    /// The pole was added.
    Add,
    /// The pole's fields changed.
    Change,
    /// The pole was removed.
    Remove,
}

impl HistoryOp {
    /// The word stored in `pole_history.op`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Change => "change",
            Self::Remove => "remove",
        }
    }

    /// The op stored as `word`, if it is one.
    #[must_use]
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "add" => Some(Self::Add),
            "change" => Some(Self::Change),
            "remove" => Some(Self::Remove),
            _ => None,
        }
    }
}

/// The audit record of a new version.
#[derive(Clone, Copy)]
pub struct NewVersion<'a> {
    /// Who applies it.
    pub applied_by: &'a str,
    /// The source file's name (or `undo N`).
    pub source_name: &'a str,
    /// SHA-256 of the source file (empty for an undo).
    pub source_sha256: &'a str,
    /// The source datum (`wgs84`, `gcj02`, …).
    pub datum: &'a str,
    /// The supervisor's note.
    pub note: &'a str,
    /// Asked once more just before the commit: true cancels the version
    /// ([`StoreError::Cancelled`]), nothing written.
    pub cancelled: Option<&'a (dyn Fn() -> bool + Sync)>,
}

/// The counts written into the version row when it is committed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionCounts {
    /// Poles added.
    pub added: u64,
    /// Poles changed.
    pub changed: u64,
    /// Poles removed.
    pub removed: u64,
    /// The source's CRS as decided while reading (a file that declares its own, a
    /// Shapefile's `.prj`), replacing [`NewVersion::datum`]; `None` keeps that.
    pub datum: Option<String>,
}

/// One data version, as `lamppost versions` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    /// The version number.
    pub version: i64,
    /// When (UTC, RFC 3339).
    pub applied_at: String,
    /// Who.
    pub applied_by: String,
    /// The source file's name.
    pub source_name: String,
    /// SHA-256 of the source file.
    pub source_sha256: String,
    /// The source datum.
    pub datum: String,
    /// Poles added.
    pub added: i64,
    /// Poles changed.
    pub changed: i64,
    /// Poles removed.
    pub removed: i64,
    /// The note.
    pub note: String,
}

/// One `pole_history` entry of a version, as stored (JSON rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The pole's key.
    pub code: String,
    /// What happened (`add`, `change`, `remove`).
    pub op: String,
    /// The row before, as JSON (none for an addition).
    pub before: Option<String>,
    /// The row after, as JSON (none for a removal, and for an addition: see [`HistoryOp`]).
    pub after: Option<String>,
}

const SELECT_ROW: &str = "SELECT code, code_display, street_code, pole_no, side, lat_deg, lon_deg,
    address, landmark, cross_street, jurisdiction, status, note, pole_label FROM poles";
const SELECT_BY_CODE: &str = "SELECT code, code_display, street_code, pole_no, side, lat_deg,
    lon_deg, address, landmark, cross_street, jurisdiction, status, note, pole_label FROM poles
    WHERE code = ?1";
/// A new pole: a plain insert (no conflict to resolve, so SQLite needs no statement journal).
const INSERT_POLE: &str = "INSERT INTO poles(code, code_display, street_code, pole_no, side,
    lat_deg, lon_deg, address, landmark, cross_street, jurisdiction, status, note, version,
    pole_label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
/// A pole that may exist already (a change, an undo).
const REPLACE_POLE: &str = "INSERT OR REPLACE INTO poles(code, code_display, street_code,
    pole_no, side, lat_deg, lon_deg, address, landmark, cross_street, jurisdiction, status, note,
    version, pole_label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
const INSERT_HISTORY: &str =
    "INSERT INTO pole_history(version, code, op, before, after) VALUES (?1, ?2, ?3, ?4, ?5)";

/// A `poles` row from the first 14 columns in `SELECT_ROW`'s order (the replica reads the
/// version after them).
pub(super) fn row_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<PoleRow> {
    Ok(PoleRow {
        code: r.get(0)?,
        code_display: r.get(1)?,
        street_code: r.get(2)?,
        pole_no: r.get(3)?,
        side: r.get(4)?,
        lat_deg: r.get(5)?,
        lon_deg: r.get(6)?,
        address: r.get(7)?,
        landmark: r.get(8)?,
        cross_street: r.get(9)?,
        jurisdiction: r.get(10)?,
        status: r.get(11)?,
        note: r.get(12)?,
        pole_label: r.get(13)?,
    })
}

fn write_row(st: &mut Statement<'_>, row: &PoleRow, version: i64) -> rusqlite::Result<()> {
    st.execute(params![
        row.code,
        row.code_display,
        row.street_code,
        row.pole_no,
        row.side,
        row.lat_deg,
        row.lon_deg,
        row.address,
        row.landmark,
        row.cross_street,
        row.jurisdiction,
        row.status,
        row.note,
        version,
        row.pole_label
    ])
    .map(|_| ())
}

/// The writes of one new data version, inside its transaction (see [`Store::write_version`]).
pub struct VersionWriter<'t> {
    tx: &'t Transaction<'t>,
    path: &'t Path,
    version: i64,
    load: Statement<'t>,
    insert: Statement<'t>,
    replace: Statement<'t>,
    history: Statement<'t>,
    deferred_index: Option<String>,
}

impl VersionWriter<'_> {
    fn err(&self, e: rusqlite::Error) -> StoreError {
        classify(self.path, e)
    }

    /// The number of the version being written.
    #[must_use]
    pub fn version(&self) -> i64 {
        self.version
    }

    /// True when no pole is stored (a new city's first import).
    pub fn has_no_poles(&self) -> Result<bool, StoreError> {
        self.tx
            .query_row("SELECT NOT EXISTS (SELECT 1 FROM poles)", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Every stored street, `(street_code, name)`, by code.
    pub fn streets(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut st = self
            .tx
            .prepare("SELECT street_code, name FROM streets ORDER BY street_code")
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// A `meta` value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The box of the surveyed poles, `(min_lat, max_lat, min_lon, max_lon)`, if any is.
    pub fn surveyed_bounds(&self) -> Result<Option<(f64, f64, f64, f64)>, StoreError> {
        let b: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) = self
            .tx
            .query_row(
                "SELECT min(lat_deg), max(lat_deg), min(lon_deg), max(lon_deg) FROM poles
                 WHERE lat_deg IS NOT NULL",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(|e| self.err(e))?;
        Ok(match b {
            (Some(a), Some(b), Some(c), Some(d)) => Some((a, b, c, d)),
            _ => None,
        })
    }

    /// Into an empty table, drops the secondary index on the street, to build it once after the
    /// rows ([`VersionWriter::restore_deferred_index`]) rather than entry by entry. Inside the
    /// transaction, so a rollback brings it back too.
    pub fn defer_street_index(&mut self) -> Result<(), StoreError> {
        let sql: Option<String> = self
            .tx
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'poles_by_street'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if sql.is_some() {
            self.tx
                .execute_batch("DROP INDEX poles_by_street")
                .map_err(|e| self.err(e))?;
        }
        self.deferred_index = sql;
        Ok(())
    }

    /// Builds the index that [`VersionWriter::defer_street_index`] dropped.
    pub fn restore_deferred_index(&mut self) -> Result<(), StoreError> {
        if let Some(sql) = self.deferred_index.take() {
            self.tx.execute_batch(&sql).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// The stored pole with this key.
    pub fn pole(&mut self, key: &str) -> Result<Option<PoleRow>, StoreError> {
        self.load
            .query_row([key], row_from_sql)
            .optional()
            .map_err(|e| classify(self.path, e))
    }

    /// Writes a pole that is not stored yet.
    pub fn insert_pole(&mut self, row: &PoleRow) -> Result<(), StoreError> {
        write_row(&mut self.insert, row, self.version).map_err(|e| classify(self.path, e))
    }

    /// Writes a pole over the stored one with its key, if any.
    pub fn replace_pole(&mut self, row: &PoleRow) -> Result<(), StoreError> {
        write_row(&mut self.replace, row, self.version).map_err(|e| classify(self.path, e))
    }

    /// Removes a pole.
    pub fn delete_pole(&mut self, key: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM poles WHERE code = ?1")
            .and_then(|mut st| st.execute([key]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records what happened to a pole in this version. An added row is the pole as this
    /// version stored it (`poles.version`), and a later version that changes or removes it
    /// keeps it as its `before`: it is not repeated. Undo needs only the code of an added
    /// pole. This halves what a first import writes.
    pub fn record(
        &mut self,
        code: &str,
        op: HistoryOp,
        before: Option<&PoleRow>,
        after: Option<&PoleRow>,
    ) -> Result<(), StoreError> {
        let json = |r: Option<&PoleRow>| r.and_then(|r| serde_json::to_string(r).ok());
        let after = if op == HistoryOp::Add { None } else { after };
        self.history
            .execute(params![
                self.version,
                code,
                op.as_str(),
                json(before),
                json(after)
            ])
            .map(|_| ())
            .map_err(|e| classify(self.path, e))
    }

    /// The history of an import into an empty table: every pole now stored was added by this
    /// version (the same rows [`VersionWriter::record`] writes for an addition, in code order).
    pub fn record_all_as_added(&mut self) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO pole_history(version, code, op, before, after)
                 SELECT ?1, code, 'add', NULL, NULL FROM poles ORDER BY code",
                [self.version],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Adds a street.
    pub fn insert_street(&mut self, street_code: &str, name: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO streets(street_code, name) VALUES (?1, ?2)")
            .and_then(|mut st| st.execute(params![street_code, name]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The surveyed, numbered poles of a street by pole number: `(key, spelling, lat, lon)`.
    pub fn surveyed_poles_of_street(
        &self,
        street_code: &str,
    ) -> Result<Vec<(String, String, f64, f64)>, StoreError> {
        let mut st = self
            .tx
            .prepare_cached(
                "SELECT code, code_display, lat_deg, lon_deg FROM poles
                 WHERE street_code = ?1 AND lat_deg IS NOT NULL AND pole_no IS NOT NULL
                 ORDER BY pole_no, pole_label",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([street_code], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Every stored pole of a street, by key.
    pub fn poles_of_street(&self, street_code: &str) -> Result<Vec<PoleRow>, StoreError> {
        let mut st = self
            .tx
            .prepare_cached(&format!(
                "{SELECT_ROW} WHERE street_code = ?1 ORDER BY code"
            ))
            .map_err(|e| self.err(e))?;
        st.query_map([street_code], row_from_sql)
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// True when `version` exists.
    pub fn has_version(&self, version: i64) -> Result<bool, StoreError> {
        self.tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM versions WHERE version = ?1)",
                [version],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The history of `version`, in the order it was written.
    pub fn history_of(&self, version: i64) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut st = self
            .tx
            .prepare(
                "SELECT code, op, before, after FROM pole_history WHERE version = ?1 ORDER BY rowid",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([version], |r| {
            Ok(HistoryEntry {
                code: r.get(0)?,
                op: r.get(1)?,
                before: r.get(2)?,
                after: r.get(3)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// The later versions that touched a pole `version` touched: `(later version, key)`, by
    /// version and key.
    pub fn later_changes_to_poles_of(
        &self,
        version: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut st = self
            .tx
            .prepare(
                "SELECT h.version, h.code FROM pole_history h
                 WHERE h.version > ?1 AND h.code IN (SELECT code FROM pole_history WHERE version = ?1)
                 ORDER BY h.version, h.code",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([version], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }
}

impl Store {
    /// Writes one new data version in one transaction: `f` gets the [`VersionWriter`] and
    /// returns its result with the counts to commit, or `None` to roll everything back (a dry
    /// run, a refused file). An error from `f` rolls back too.
    ///
    /// The writer keeps the references itself (a new street before the poles on it, the
    /// version row before the history that names it; a test runs `foreign_key_check`):
    /// SQLite's own per-row checks cost a parent look-up per row and a statement journal for
    /// every insert. The setting cannot change inside a transaction, so it is switched off
    /// around it and back on after, whatever the outcome.
    pub fn write_version<T, E: From<StoreError>>(
        &mut self,
        new: &NewVersion<'_>,
        f: impl FnOnce(&mut VersionWriter<'_>) -> Result<(T, Option<VersionCounts>), E>,
    ) -> Result<T, E> {
        let path = self.path.clone();
        let err = |e| E::from(classify(&path, e));
        let fk: bool = self
            .conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap_or(false);
        if fk {
            self.conn
                .execute_batch("PRAGMA foreign_keys = OFF")
                .map_err(err)?;
        }
        let result = self.write_version_checked(new, f);
        if fk && let Err(e) = self.conn.execute_batch("PRAGMA foreign_keys = ON") {
            return Err(err(e));
        }
        result
    }

    fn write_version_checked<T, E: From<StoreError>>(
        &mut self,
        new: &NewVersion<'_>,
        f: impl FnOnce(&mut VersionWriter<'_>) -> Result<(T, Option<VersionCounts>), E>,
    ) -> Result<T, E> {
        let path = self.path.clone();
        let err = |e| E::from(classify(&path, e));
        // A big import touches many pages: with SQLite's default 2 MB cache the transaction
        // spills pages to the WAL half-way and re-reads them. 64 MB (a limit, not an
        // allocation) holds the pages a sorted import keeps touching (the right edge of the
        // code-keyed table and the inner pages) and lets the rest spill, so the import's
        // memory stays under 300 MB at any size (issue 13).
        self.conn
            .pragma_update(None, "cache_size", -IMPORT_CACHE_KIB)
            .map_err(err)?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let version: i64 = 1 + tx
            .query_row("SELECT coalesce(max(version), 0) FROM versions", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(err)?;
        // The version row comes first: history rows refer to it. Counts are filled in at the end.
        tx.execute(
            "INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
                                  datum, added, changed, removed, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0, ?7)",
            params![
                version,
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                new.applied_by,
                new.source_name,
                new.source_sha256,
                new.datum,
                new.note
            ],
        )
        .map_err(err)?;
        let (value, counts) = {
            let mut w = VersionWriter {
                tx: &tx,
                path: &path,
                version,
                load: tx.prepare(SELECT_BY_CODE).map_err(err)?,
                insert: tx.prepare(INSERT_POLE).map_err(err)?,
                replace: tx.prepare(REPLACE_POLE).map_err(err)?,
                history: tx.prepare(INSERT_HISTORY).map_err(err)?,
                deferred_index: None,
            };
            let out = f(&mut w)?;
            w.restore_deferred_index()?;
            out
        };
        let Some(c) = counts else {
            drop(tx); // rolls back
            return Ok(value);
        };
        tx.execute(
            "UPDATE versions SET added = ?2, changed = ?3, removed = ?4,
                 datum = coalesce(?5, datum)
             WHERE version = ?1",
            params![
                version,
                c.added as i64,
                c.changed as i64,
                c.removed as i64,
                c.datum
            ],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', ?1)",
            [version.to_string()],
        )
        .map_err(err)?;
        // A new content id with every data version: the content stamp changes even when two
        // databases write versions with the same number in the same second.
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('content_id', ?1)",
            [super::new_content_id()],
        )
        .map_err(err)?;
        test_pause_before_commit();
        if new.cancelled.is_some_and(|c| c()) {
            return Err(E::from(StoreError::Cancelled));
        }
        tx.commit().map_err(err)?;
        Ok(value)
    }

    /// Every data version, oldest first.
    pub fn versions(&self) -> Result<Vec<VersionInfo>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT version, applied_at, applied_by, source_name, source_sha256, datum, added,
                        changed, removed, note FROM versions ORDER BY version",
            )
            .map_err(|e| self.err(e))?;
        st.query_map([], |r| {
            Ok(VersionInfo {
                version: r.get(0)?,
                applied_at: r.get(1)?,
                applied_by: r.get(2)?,
                source_name: r.get(3)?,
                source_sha256: r.get(4)?,
                datum: r.get(5)?,
                added: r.get(6)?,
                changed: r.get(7)?,
                removed: r.get(8)?,
                note: r.get(9)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Sets a `meta` value (a saved column mapping, say).
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// A test hook: with `LAMPPOST_TEST_PAUSE_BEFORE_COMMIT_MS` set, a debug build says so on
/// stderr and sleeps inside the version's transaction, so a test can kill the process there.
#[cfg(debug_assertions)]
fn test_pause_before_commit() {
    if let Some(ms) = std::env::var("LAMPPOST_TEST_PAUSE_BEFORE_COMMIT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        eprintln!("test hook: paused before commit");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

#[cfg(not(debug_assertions))]
fn test_pause_before_commit() {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::create_demo_database;
    use crate::store::Access;

    fn new_version() -> NewVersion<'static> {
        NewVersion {
            applied_by: "test",
            source_name: "t.csv",
            source_sha256: "",
            datum: "wgs84",
            note: "",
            cancelled: None,
        }
    }

    #[test]
    fn a_version_without_counts_is_rolled_back_and_one_with_counts_is_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _) = create_demo_database(&dir.path().join("db.sqlite"), "t").unwrap();
        let before = s.data_version().unwrap();
        s.write_version(&new_version(), |w| -> Result<_, StoreError> {
            w.delete_pole("2450034")?;
            Ok(((), None))
        })
        .unwrap();
        assert_eq!(s.data_version().unwrap(), before);
        assert!(s.enforces_foreign_keys().unwrap());
        let v = s
            .write_version(&new_version(), |w| -> Result<_, StoreError> {
                let row = w.pole("2450034")?.unwrap();
                w.delete_pole(&row.code)?;
                w.record(&row.code, HistoryOp::Remove, Some(&row), None)?;
                Ok((
                    w.version(),
                    Some(VersionCounts {
                        removed: 1,
                        ..VersionCounts::default()
                    }),
                ))
            })
            .unwrap();
        assert_eq!(s.data_version().unwrap(), v);
        assert_eq!(s.foreign_key_problems().unwrap(), 0);
        assert_eq!(s.versions().unwrap().last().unwrap().removed, 1);
    }

    /// The raw `Error code 5` after 5 s is now a message that says what holds the lock.
    #[test]
    fn a_second_writer_is_told_the_database_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        create_demo_database(&path, "t").unwrap();
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let mut s = Store::open(&path, Access::ReadWrite).unwrap();
        let e = s
            .write_version(&new_version(), |_| -> Result<_, StoreError> {
                Ok(((), None))
            })
            .unwrap_err();
        assert!(matches!(e, StoreError::Busy(_)), "{e}");
        assert!(e.to_string().contains("another program"), "{e}");
    }

    /// `import --db basemap.mbtiles` switched the basemap to WAL before refusing it.
    #[test]
    fn someone_elses_sqlite_file_is_refused_without_a_byte_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("basemap.mbtiles");
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE tiles(zoom_level INTEGER, tile_data BLOB)")
            .unwrap();
        drop(c);
        let before = std::fs::read(&path).unwrap();
        let e = Store::open(&path, Access::ReadWrite).err().unwrap();
        assert!(matches!(e, StoreError::NotLamppost(_)), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!dir.path().join("basemap.mbtiles-wal").exists());
    }

    /// A database whose last commit is only in its `-wal` file, opened where SQLite cannot
    /// use the log (a read-only folder, no `-shm`): it used to answer the older version, with
    /// no word. Tests run as root, which ignores a read-only folder, so the fallback that
    /// such a folder leads to (`open_immutable`) is called directly.
    #[test]
    fn a_commit_left_in_the_wal_is_never_silently_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        create_demo_database(&path, "t").unwrap();
        let writer = rusqlite::Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA wal_autocheckpoint = 0; UPDATE meta SET value = 'newer' WHERE key = 'name'",
            )
            .unwrap();
        // The state a crash (or a copy taken meanwhile) leaves: the file and its log, no -shm.
        let share = dir.path().join("share");
        std::fs::create_dir(&share).unwrap();
        let copy = share.join("db.sqlite");
        std::fs::copy(&path, &copy).unwrap();
        std::fs::copy(
            dir.path().join("db.sqlite-wal"),
            share.join("db.sqlite-wal"),
        )
        .unwrap();
        drop(writer);
        assert!(
            std::fs::metadata(share.join("db.sqlite-wal"))
                .unwrap()
                .len()
                > 0
        );

        let e = Store::open_immutable(&copy).err().unwrap();
        assert!(matches!(e, StoreError::UnreadWal(_)), "{e}");
        assert!(e.to_string().contains("-wal"), "{e}");
        assert!(e.to_string().contains("只读"), "{e}");
        // Where the log can be used, the commit is there.
        let s = Store::open(&copy, Access::ReadOnly).unwrap();
        assert_eq!(s.meta("name").unwrap().as_deref(), Some("newer"));
        drop(s);
        // Once a writer has folded the log into the file (on closing), the file alone is the
        // database, and reading it as immutable is right.
        drop(Store::open(&copy, Access::ReadWrite).unwrap());
        assert!(std::fs::metadata(share.join("db.sqlite-wal")).map_or(true, |m| m.len() == 0));
        let s = Store::open_immutable(&copy).unwrap();
        assert_eq!(s.meta("name").unwrap().as_deref(), Some("newer"));
    }

    /// A dry run against an empty file at the database's path wrote the schema into it.
    #[test]
    fn an_empty_file_is_not_made_a_database_by_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.sqlite");
        std::fs::write(&path, b"").unwrap();
        for access in [Access::ReadWrite, Access::ReadOnly] {
            let e = Store::open(&path, access).err().unwrap();
            assert!(matches!(e, StoreError::Empty(_)), "{e}");
            assert!(e.to_string().contains("lamppost init"), "{e}");
        }
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(!dir.path().join("empty.sqlite-wal").exists());
    }
}
