//! Incremental data packages: the changes from one data version to a newer one, as an SQLite
//! session changeset, signed like a full package.
//!
//! The centre keeps the full packages it published. `export_increment` compares the live
//! database with one of them (the *base*) using SQLite's session extension
//! (`sqlite3session_diff`): the changed rows of `streets`, `poles` and `versions`. The tables
//! without a primary key of their own (`pole_history`, whose rows are only ever added) and the
//! `meta` rows travel through two staging tables, `lamppost_incoming_meta` and
//! `lamppost_incoming_history`, in the same changeset. The manifest names the base's data
//! version and content hash and the content hash of the result ([`Store::content_hash`], a
//! multiset hash of the rows: [`super::content`]).
//!
//! A workstation applies it in ONE write transaction: the base must be exactly what it has
//! (data version and content hash), every change must apply without a conflict, only our tables
//! may be touched, and the result's content hash must be the one the manifest names. Neither
//! hash reads the whole database: the workstation's row sum is stored with its data version
//! (from the full package, or the previous increment), and the result's is that sum with the
//! touched rows taken out before and put back after the apply; a database whose stored sum is
//! missing or stale (a local import since) is read once to compute it. Anything
//! else rolls the transaction back, so the tables are as they were, and the caller falls back
//! to the full package ([`super::install_package`]). A changeset cannot carry schema objects
//! (the staging tables are made by this code and dropped before the commit), and the local
//! credential, failure count and trusted key are never taken from it. An incremental package
//! is only installed when signed with the pinned centre key, even from the command line.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

use super::content::{self, LOCAL_KEYS, local_marks};
use super::{
    Install, Installed, Manifest, PackageError, hash_bytes, io, manifest_path, verify_package,
};
use crate::store::session::{self, Session};
use crate::store::signing::{CentreKey, check_signature};
use crate::store::{Access, Store, StoreError, classify, uri_path};

/// The `format` of an incremental package's manifest.
pub const INCREMENT_FORMAT: &str = "lamppost-data-increment";

/// The tables compared row by row, each with its primary key column.
const DIFF_TABLES: [(&str, &str); 3] = [
    ("streets", "street_code"),
    ("poles", "code"),
    ("versions", "version"),
];
const INCOMING_META: &str = "lamppost_incoming_meta";
const INCOMING_HISTORY: &str = "lamppost_incoming_history";
/// The staging tables, made on both sides (never in a package's schema).
const INCOMING_SQL: &str = "
CREATE TABLE lamppost_incoming_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE lamppost_incoming_history (
    seq INTEGER PRIMARY KEY, version INTEGER NOT NULL, code TEXT NOT NULL, op TEXT NOT NULL,
    before TEXT, after TEXT
);";

/// The alias the base package is attached under while comparing.
const BASE: &str = "lamppost_base";

impl Store {
    /// The content hash of this database's reference data ([`super::content`]), computed from
    /// every row: the same for the centre's database and a workstation's after the same
    /// packages; this machine's credential, trusted key and stored sum do not count.
    pub fn content_hash(&self) -> Result<String, StoreError> {
        content::full(&self.conn, "main").map_err(|e| self.err(e))
    }

    /// Writes an incremental package at `out` (the changeset; its manifest beside it): the
    /// changes from the full package `base` (one this centre published earlier) to this
    /// database, signed with `key`. Either both files are there afterwards, or neither.
    pub fn export_increment(
        &self,
        base: &Path,
        out: &Path,
        operator: &str,
        key: &CentreKey,
    ) -> Result<Manifest, PackageError> {
        let manifest_file = manifest_path(out);
        for p in [out, manifest_file.as_path()] {
            if p.exists() {
                return Err(StoreError::Exists(p.to_owned()).into());
            }
        }
        let bm = verify_package(base)?;
        if bm.format != super::FORMAT {
            return Err(PackageError::Manifest {
                path: manifest_path(base),
                detail: "the base must be a full package".into(),
            });
        }
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(out))?;
        }
        let sql = |e| classify(&self.path, e);
        // A connection of its own, so the base can be attached read-only and immutable (no
        // journal files appear beside it on the share).
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        conn.execute(
            &format!("ATTACH DATABASE ?1 AS {BASE}"),
            [format!("file:{}?immutable=1", uri_path(base))],
        )
        .map_err(|e| classify(base, e))?;
        // One snapshot of the live database for everything below.
        conn.execute_batch("BEGIN").map_err(sql)?;
        let result = (|| {
            let dataset: String = conn
                .query_row(
                    "SELECT coalesce((SELECT value FROM main.meta WHERE key = 'name'), '')",
                    [],
                    |r| r.get(0),
                )
                .map_err(sql)?;
            if dataset != bm.dataset {
                return Err(PackageError::OtherDataset {
                    package: bm.dataset.clone(),
                    installed: dataset,
                });
            }
            let version: i64 = conn
                .query_row(
                    "SELECT coalesce(max(version), 0) FROM main.versions",
                    [],
                    |r| r.get(0),
                )
                .map_err(sql)?;
            if version <= bm.data_version {
                return Err(PackageError::NotNewer {
                    package: version,
                    installed: bm.data_version,
                });
            }
            let schema_version: u32 = conn
                .query_row("PRAGMA main.user_version", [], |r| r.get(0))
                .map_err(sql)?;
            // History is only ever added to: the base's rows must all still be here.
            let kept: (i64, i64) = conn
                .query_row(
                    &format!(
                        "SELECT (SELECT count(*) FROM main.pole_history WHERE version <= ?1),
                                (SELECT count(*) FROM {BASE}.pole_history)"
                    ),
                    [bm.data_version],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(sql)?;
            if schema_version != bm.schema_version || kept.0 != kept.1 {
                return Err(PackageError::Manifest {
                    path: manifest_path(base),
                    detail: "the base's schema or history differs from this database's; export a full package".into(),
                });
            }
            // The base package's stored sum was written by its export and checked with the
            // file's SHA-256 (verify_package); an older package without one is read whole.
            let base_content = {
                let b = |e| classify(base, e);
                let rows = match content::stored_rows_sum(&conn, BASE).map_err(b)? {
                    Some(s) => s,
                    None => content::rows_sum(&conn, BASE).map_err(b)?,
                };
                rows.plus(content::meta_sum(&conn, BASE).map_err(b)?).hex()
            };
            let content = content::full(&conn, "main").map_err(sql)?;
            let poles: i64 = conn
                .query_row("SELECT count(*) FROM main.poles", [], |r| r.get(0))
                .map_err(sql)?;

            let changes = {
                let mut session = Session::new(&conn).map_err(sql)?;
                for (t, _) in DIFF_TABLES {
                    session.attach(t).map_err(sql)?;
                    session.diff(BASE, t).map_err(sql)?;
                }
                session.changeset().map_err(sql)?
            };
            let staged = staged_changes(&conn, bm.data_version).map_err(sql)?;
            let bytes = session::concat(&changes, &staged).map_err(sql)?;

            let mut m = Manifest {
                format: INCREMENT_FORMAT.into(),
                format_version: 1,
                dataset,
                data_version: version,
                schema_version,
                poles,
                bytes: bytes.len() as u64,
                sha256: hash_bytes(&bytes),
                created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                created_by: operator.to_owned(),
                signer: String::new(),
                signature: String::new(),
                base_version: Some(bm.data_version),
                base_content,
                content,
            };
            key.sign(&mut m);
            write_package(out, &manifest_file, &bytes, &m)?;
            Ok(m)
        })();
        let _ = conn.execute_batch("COMMIT");
        result
    }
}

/// The `meta` rows (not this machine's own, [`LOCAL_KEYS`]) and the history rows newer than `base_version`, as
/// a changeset of inserts into the staging tables.
fn staged_changes(conn: &Connection, base_version: i64) -> rusqlite::Result<Vec<u8>> {
    let mem = Connection::open_in_memory()?;
    mem.execute_batch(INCOMING_SQL)?;
    let mut session = Session::new(&mem)?;
    session.attach(INCOMING_META)?;
    session.attach(INCOMING_HISTORY)?;
    {
        let mut st = conn.prepare(&format!(
            "SELECT key, value FROM main.meta WHERE key NOT IN ({}) ORDER BY key",
            local_marks()
        ))?;
        let mut ins = mem.prepare(&format!("INSERT INTO {INCOMING_META} VALUES (?1, ?2)"))?;
        let mut rows = st.query(LOCAL_KEYS)?;
        while let Some(r) = rows.next()? {
            ins.execute((r.get::<_, Value>(0)?, r.get::<_, Value>(1)?))?;
        }
        let mut st = conn.prepare(
            "SELECT version, code, op, before, after FROM main.pole_history
             WHERE version > ?1 ORDER BY rowid",
        )?;
        let mut ins = mem.prepare(&format!(
            "INSERT INTO {INCOMING_HISTORY} VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        ))?;
        let mut rows = st.query([base_version])?;
        let mut seq = 0i64;
        while let Some(r) = rows.next()? {
            seq += 1;
            ins.execute((
                seq,
                r.get::<_, Value>(0)?,
                r.get::<_, Value>(1)?,
                r.get::<_, Value>(2)?,
                r.get::<_, Value>(3)?,
                r.get::<_, Value>(4)?,
            ))?;
        }
    }
    session.changeset()
}

/// Writes the package bytes and its manifest: the manifest first, the package renamed into
/// place last; on failure neither stays.
fn write_package(
    out: &Path,
    manifest_file: &Path,
    bytes: &[u8],
    m: &Manifest,
) -> Result<(), PackageError> {
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let result = (|| {
        std::fs::write(&partial, bytes).map_err(io(&partial))?;
        let json = serde_json::to_vec_pretty(m).map_err(|e| PackageError::Manifest {
            path: manifest_file.to_owned(),
            detail: e.to_string(),
        })?;
        std::fs::write(manifest_file, json).map_err(io(manifest_file))?;
        std::fs::rename(&partial, out).map_err(io(out))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
        if !out.exists() {
            let _ = std::fs::remove_file(manifest_file);
        }
    }
    result
}

/// Checks an incremental package's file against its manifest (size and SHA-256); returns its
/// bytes, read once: what was checked is what is applied.
pub(super) fn read_checked(package: &Path, m: &Manifest) -> Result<Vec<u8>, PackageError> {
    if !package.is_file() {
        return Err(StoreError::NotFound(package.to_owned()).into());
    }
    let bytes = std::fs::read(package).map_err(io(package))?;
    if bytes.len() as u64 != m.bytes || hash_bytes(&bytes) != m.sha256 {
        return Err(PackageError::Checksum(package.to_owned()));
    }
    if m.base_version.is_none() || m.content.is_empty() || m.base_content.is_empty() {
        return Err(PackageError::Manifest {
            path: manifest_path(package),
            detail: "no base version or content hash".into(),
        });
    }
    Ok(bytes)
}

/// Applies the incremental package at `package` (manifest `m`) to the database at `db`, in one
/// transaction, or changes nothing.
pub(super) fn install_increment(
    package: &Path,
    db: &Path,
    m: &Manifest,
    _how: Install,
) -> Result<Installed, PackageError> {
    let base = m.base_version.unwrap_or(-1);
    if !db.exists() {
        return Err(PackageError::WrongBase { base, installed: 0 });
    }
    let mut current = Store::open(db, Access::ReadWrite)?;
    // Always signed, from the command line too: an increment is only ever the centre's.
    let pinned = current
        .trusted_package_key()?
        .or_else(|| crate::store::auth::key_beside(db))
        .ok_or_else(|| PackageError::NoTrustedKey(package.to_owned()))?;
    check_signature(m, &pinned, package)?;
    let bytes = read_checked(package, m)?;
    let dataset = current.meta("name")?.unwrap_or_default();
    if dataset != m.dataset {
        return Err(PackageError::OtherDataset {
            package: m.dataset.clone(),
            installed: dataset,
        });
    }
    if current.check_schema()? != m.schema_version {
        return Err(PackageError::Foreign {
            path: package.to_owned(),
            detail: format!("schema version {}", m.schema_version),
        });
    }
    let installed = current.data_version()?;
    if installed != base {
        return Err(PackageError::WrongBase { base, installed });
    }
    let path = db.to_owned();
    let conn = &mut current.conn;
    let sql = |e| classify(&path, e);
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql)?;
    let result = apply_in_transaction(conn, &bytes, m, package, &path);
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(sql)?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e);
        }
    }
    Ok(Installed {
        from_version: installed,
        to_version: m.data_version,
        previous: None,
        signed_by: Some(pinned),
        fallback: None,
    })
}

/// The rows of our tables a changeset touches, by table (each key once); a change to a table
/// of ours keyed otherwise than by its one primary key column is refused as foreign.
fn touched_rows(bytes: &[u8], package: &Path) -> Result<Vec<(usize, Vec<Value>)>, PackageError> {
    let damaged = |detail: String| PackageError::Foreign {
        path: package.to_owned(),
        detail,
    };
    let changed = session::changed_rows(bytes).map_err(|e| damaged(e.to_string()))?;
    let mut by_table: Vec<(usize, Vec<Value>)> =
        (0..DIFF_TABLES.len()).map(|i| (i, Vec::new())).collect();
    let mut seen = HashSet::new();
    for row in changed {
        let Some(i) = DIFF_TABLES.iter().position(|(t, _)| *t == row.table) else {
            continue; // the staging tables (applied below) or a foreign one (the filter refuses it)
        };
        let [key] = <[Value; 1]>::try_from(row.key)
            .map_err(|k| damaged(format!("{}: a key of {} columns", row.table, k.len())))?;
        if seen.insert((i, format!("{key:?}"))) {
            by_table[i].1.push(key);
        }
    }
    Ok(by_table)
}

/// The sum of the touched rows as they are now.
fn touched_sum(
    conn: &Connection,
    touched: &[(usize, Vec<Value>)],
) -> rusqlite::Result<content::Sum> {
    touched
        .iter()
        .try_fold(content::Sum::default(), |acc, (i, keys)| {
            let (table, key_col) = DIFF_TABLES[*i];
            Ok(acc.plus(content::keys_sum(conn, table, key_col, keys)?))
        })
}

/// The body of the install's transaction: base check, apply, staging tables moved in and
/// dropped, result check, the new row sum stored. Any error leaves the rollback to the
/// caller. Only the rows the changeset touches are read (and `meta`, and the whole database
/// once when its stored sum is stale).
fn apply_in_transaction(
    conn: &Connection,
    bytes: &[u8],
    m: &Manifest,
    package: &Path,
    db: &Path,
) -> Result<(), PackageError> {
    let sql = |e| classify(db, e);
    let rows_before = content::current_rows_sum(conn).map_err(sql)?;
    let meta_before = content::meta_sum(conn, "main").map_err(sql)?;
    if rows_before.plus(meta_before).hex() != m.base_content {
        return Err(PackageError::BaseDiffers(package.to_owned()));
    }
    let touched = touched_rows(bytes, package)?;
    let untouched = rows_before.minus(touched_sum(conn, &touched).map_err(sql)?);
    conn.execute_batch(INCOMING_SQL).map_err(sql)?;
    let ours = |table: &str| {
        DIFF_TABLES.iter().any(|(t, _)| *t == table)
            || [INCOMING_META, INCOMING_HISTORY].contains(&table)
    };
    let (found, applied) = session::apply(conn, bytes, &ours);
    if !found.refused.is_empty() {
        return Err(PackageError::Foreign {
            path: package.to_owned(),
            detail: found.refused.join(", "),
        });
    }
    if !found.conflicts.is_empty() {
        return Err(PackageError::Conflict {
            path: package.to_owned(),
            detail: found.conflicts.join(", "),
        });
    }
    applied.map_err(|e| PackageError::Conflict {
        path: package.to_owned(),
        detail: e.to_string(),
    })?;
    let marks = local_marks();
    conn.execute(
        &format!("DELETE FROM meta WHERE key NOT IN ({marks})"),
        LOCAL_KEYS,
    )
    .map_err(sql)?;
    conn.execute(
        &format!(
            "INSERT INTO meta(key, value) SELECT key, value FROM {INCOMING_META}
             WHERE key NOT IN ({marks})"
        ),
        LOCAL_KEYS,
    )
    .map_err(sql)?;
    let last_history: i64 = conn
        .query_row(
            "SELECT coalesce(max(rowid), 0) FROM pole_history",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    conn.execute_batch(&format!(
        "INSERT INTO pole_history(version, code, op, before, after)
             SELECT version, code, op, before, after FROM {INCOMING_HISTORY} ORDER BY seq;
         DROP TABLE {INCOMING_META};
         DROP TABLE {INCOMING_HISTORY};"
    ))
    .map_err(sql)?;
    let rows_after = untouched
        .plus(touched_sum(conn, &touched).map_err(sql)?)
        .plus(content::history_after(conn, last_history).map_err(sql)?);
    let meta_after = content::meta_sum(conn, "main").map_err(sql)?;
    if rows_after.plus(meta_after).hex() != m.content {
        return Err(PackageError::ResultDiffers(package.to_owned()));
    }
    content::store_rows_sum(conn, rows_after).map_err(sql)?;
    Ok(())
}
