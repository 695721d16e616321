//! Data versions: listing them, and undoing one.
//!
//! Undo restores, for every pole the version touched, the row as it was before (from
//! `pole_history`), and records that as a new version with its own history, so an undo can be
//! undone too. An `add` entry holds only the code (`before` and `after` are NULL): undoing it
//! removes the pole, and the row as added is the pole as that version stored it. It refuses when a later version changed any of the same poles: undo the later
//! one first. Streets that an import added are left in place (a street with no poles is
//! harmless, and later imports may use it).

use super::{ImportError, PoleRow};
use lamppost_data::store::Store;
pub use lamppost_data::store::write::VersionInfo;
use lamppost_data::store::write::{HistoryOp, NewVersion, VersionCounts};

/// Every data version, oldest first.
pub fn versions(store: &Store) -> Result<Vec<VersionInfo>, ImportError> {
    Ok(store.versions()?)
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
    let source_name = format!("undo {version}");
    let new = NewVersion {
        applied_by,
        source_name: &source_name,
        source_sha256: "",
        datum: "wgs84",
        note,
        cancelled: None,
    };
    store.write_version(&new, |db| {
        if !db.has_version(version)? {
            return Err(ImportError::NoVersion(version));
        }
        let entries = db.history_of(version)?;
        if entries.is_empty() {
            return Err(ImportError::NoHistory(version));
        }
        let rows = db.later_changes_to_poles_of(version)?;
        if !rows.is_empty() {
            let mut later: Vec<i64> = rows.iter().map(|r| r.0).collect();
            later.dedup();
            let mut codes: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
            codes.sort_unstable();
            codes.dedup();
            return Err(ImportError::UndoConflict {
                version,
                later,
                total: codes.len() as u64,
                examples: codes.iter().take(5).copied().collect::<Vec<_>>().join(", "),
            });
        }
        let parse = |s: Option<String>| -> Result<Option<PoleRow>, ImportError> {
            s.map(|j| {
                serde_json::from_str::<PoleRow>(&j)
                    .map_err(|e| ImportError::BadHistory(e.to_string()))
            })
            .transpose()
        };
        let mut rep = UndoReport {
            undone: version,
            version: db.version(),
            added: 0,
            changed: 0,
            removed: 0,
        };
        for entry in entries {
            let code = entry.code;
            let before = parse(entry.before)?;
            let current = db.pole(&code)?;
            match (HistoryOp::parse(&entry.op), before) {
                (Some(HistoryOp::Add), _) => {
                    if let Some(cur) = current {
                        db.delete_pole(&code)?;
                        db.record(&code, HistoryOp::Remove, Some(&cur), None)?;
                        rep.removed += 1;
                    }
                }
                (_, Some(b)) => {
                    db.replace_pole(&b)?;
                    let op = if current.is_some() {
                        HistoryOp::Change
                    } else {
                        HistoryOp::Add
                    };
                    db.record(&code, op, current.as_ref(), Some(&b))?;
                    if current.is_some() {
                        rep.changed += 1;
                    } else {
                        rep.added += 1;
                    }
                }
                (_, None) => {}
            }
        }
        let counts = VersionCounts {
            added: rep.added,
            changed: rep.changed,
            removed: rep.removed,
            datum: None,
        };
        Ok((rep, Some(counts)))
    })
}
