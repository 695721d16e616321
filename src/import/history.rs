//! Data versions: listing them, and undoing one.
//!
//! Undo restores, for every pole the version touched, the row as it was before (from
//! `pole_history`), and records that as a new version with its own history, so an undo can be
//! undone too. An `add` entry holds only the code (`before` and `after` are NULL): undoing it
//! removes the pole, and the row as added is the pole as that version stored it. It refuses when a later version changed any of the same poles: undo the later
//! one first. Streets that an import added are left in place (a street with no poles is
//! harmless, and later imports may use it).

use rusqlite::{OptionalExtension, params};

use super::{ImportError, PoleRow, history};
use crate::store::{Store, classify};

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

/// Every data version, oldest first.
pub fn versions(store: &Store) -> Result<Vec<VersionInfo>, ImportError> {
    let mut st = store
        .conn()
        .prepare(
            "SELECT version, applied_at, applied_by, source_name, source_sha256, datum, added,
                    changed, removed, note FROM versions ORDER BY version",
        )
        .map_err(|e| store.sql_error(e))?;
    let rows = st
        .query_map([], |r| {
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
        .map_err(|e| store.sql_error(e))?;
    rows.collect::<Result<_, _>>()
        .map_err(|e| ImportError::Store(store.sql_error(e)))
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UndoReport {
    /// The version undone.
    pub undone: i64,
    /// The new version recording the undo.
    pub version: i64,
    /// Poles put back (they had been removed).
    pub added: u64,
    /// Poles restored to their earlier values.
    pub changed: u64,
    /// Poles removed (they had been added).
    pub removed: u64,
}

/// Restores the data as it was before `version`, as a new version.
pub fn undo(
    store: &mut Store,
    version: i64,
    applied_by: &str,
    note: &str,
) -> Result<UndoReport, ImportError> {
    let path = store.path().to_owned();
    let sql = |e| ImportError::Store(classify(&path, e));
    let tx = store
        .conn_mut()
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(sql)?;
    let exists: Option<i64> = tx
        .query_row(
            "SELECT version FROM versions WHERE version = ?1",
            [version],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql)?;
    if exists.is_none() {
        return Err(ImportError::NoVersion(version));
    }
    let entries: Vec<(String, String, Option<String>, Option<String>)> = {
        let mut st = tx
            .prepare(
                "SELECT code, op, before, after FROM pole_history WHERE version = ?1 ORDER BY rowid",
            )
            .map_err(sql)?;
        st.query_map([version], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .map_err(sql)?
        .collect::<Result<_, _>>()
        .map_err(sql)?
    };
    if entries.is_empty() {
        return Err(ImportError::NoHistory(version));
    }
    let (later, total, examples) = {
        let mut st = tx
            .prepare(
                "SELECT h.version, h.code FROM pole_history h
                 WHERE h.version > ?1 AND h.code IN (SELECT code FROM pole_history WHERE version = ?1)
                 ORDER BY h.version, h.code",
            )
            .map_err(sql)?;
        let rows: Vec<(i64, String)> = st
            .query_map([version], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(sql)?
            .collect::<Result<_, _>>()
            .map_err(sql)?;
        let mut later: Vec<i64> = rows.iter().map(|r| r.0).collect();
        later.dedup();
        let mut codes: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        (
            later,
            codes.len() as u64,
            codes.iter().take(5).copied().collect::<Vec<_>>().join(", "),
        )
    };
    if total > 0 {
        return Err(ImportError::UndoConflict {
            version,
            later,
            total,
            examples,
        });
    }
    let new_version: i64 = 1 + tx
        .query_row("SELECT coalesce(max(version), 0) FROM versions", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(sql)?;
    tx.execute(
        "INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
                              datum, added, changed, removed, note)
         VALUES (?1, ?2, ?3, ?4, '', 'wgs84', 0, 0, 0, ?5)",
        params![
            new_version,
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            applied_by,
            format!("undo {version}"),
            note
        ],
    )
    .map_err(sql)?;
    let parse = |s: Option<String>| -> Result<Option<PoleRow>, ImportError> {
        s.map(|j| {
            serde_json::from_str::<PoleRow>(&j).map_err(|e| {
                ImportError::BadMapping(format!(
                    "变更记录无法读取 / a history row cannot be read: {e}"
                ))
            })
        })
        .transpose()
    };
    let mut rep = UndoReport {
        undone: version,
        version: new_version,
        added: 0,
        changed: 0,
        removed: 0,
    };
    for (code, op, before, _after) in entries {
        let before = parse(before)?;
        let current = PoleRow::load(&tx, &code).map_err(sql)?;
        match (op.as_str(), before) {
            ("add", _) => {
                if let Some(cur) = current {
                    tx.execute("DELETE FROM poles WHERE code = ?1", [&code])
                        .map_err(sql)?;
                    history(&tx, new_version, &code, "remove", Some(&cur), None).map_err(sql)?;
                    rep.removed += 1;
                }
            }
            (_, Some(b)) => {
                b.write(&tx, new_version).map_err(sql)?;
                let op = if current.is_some() { "change" } else { "add" };
                history(&tx, new_version, &code, op, current.as_ref(), Some(&b)).map_err(sql)?;
                if current.is_some() {
                    rep.changed += 1;
                } else {
                    rep.added += 1;
                }
            }
            (_, None) => {}
        }
    }
    tx.execute(
        "UPDATE versions SET added = ?2, changed = ?3, removed = ?4 WHERE version = ?1",
        params![
            new_version,
            rep.added as i64,
            rep.changed as i64,
            rep.removed as i64
        ],
    )
    .map_err(sql)?;
    tx.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', ?1)",
        [new_version.to_string()],
    )
    .map_err(sql)?;
    tx.commit().map_err(sql)?;
    Ok(rep)
}
