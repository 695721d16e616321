//! A whole dataset copied out of or into a database at once, with its versions and change
//! history: how the master copy (`lamppost-master`, on PostgreSQL) takes a supervisor's
//! database as a new dataset, and makes a local database of its own copy (to run the import's
//! checks against, to publish a package, to pull). The local credential (supervisor password,
//! pinned centre key) never leaves the database and is never written by a replica.

use rusqlite::{OptionalExtension as _, params};

use super::auth::CREDENTIAL_KEYS;
use super::write::{PoleRow, VersionInfo};
use super::{Store, StoreError, classify};

/// A street as stored, its centre line as WKT (`LINESTRING(lon lat, …)`, empty when unknown).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreetRow {
    /// Street code.
    pub street_code: String,
    /// Name.
    pub name: String,
    /// English or romanised name.
    pub name_en: String,
    /// District.
    pub district: String,
    /// Default jurisdiction of its poles.
    pub jurisdiction: String,
    /// Centre line, WGS-84 WKT; empty when unknown.
    pub geometry_wkt: String,
}

/// One `pole_history` row, with its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The version that made the change.
    pub version: i64,
    /// The pole's key.
    pub code: String,
    /// `add`, `change` or `remove`.
    pub op: String,
    /// The row before, as JSON.
    pub before: Option<String>,
    /// The row after, as JSON.
    pub after: Option<String>,
}

/// A stored pole and the version that last wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPole {
    /// The row.
    pub row: PoleRow,
    /// The version that wrote it.
    pub version: i64,
}

/// A whole dataset: what [`Store::read_replica`] reads and [`Store::write_replica`] writes.
#[derive(Debug, Clone, Default)]
pub struct Replica {
    /// Metadata, without the local credential.
    pub meta: Vec<(String, String)>,
    /// Streets by code.
    pub streets: Vec<StreetRow>,
    /// Poles by code.
    pub poles: Vec<StoredPole>,
    /// Versions, oldest first.
    pub versions: Vec<VersionInfo>,
    /// Change history, by version.
    pub history: Vec<HistoryRow>,
}

const POLE_COLUMNS: &str = "code, code_display, street_code, pole_no, side, lat_deg, lon_deg,
    address, landmark, cross_street, jurisdiction, status, note, pole_label, version";

fn stored_pole(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPole> {
    Ok(StoredPole {
        row: super::write::row_from_sql(r)?,
        version: r.get(14)?,
    })
}

impl Store {
    /// Reads the whole dataset (one read transaction, so one consistent state).
    pub fn read_replica(&self) -> Result<Replica, StoreError> {
        self.begin_read()?;
        let out = self.read_replica_inner();
        let end = self.end_read();
        let out = out?;
        end?;
        Ok(out)
    }

    fn read_replica_inner(&self) -> Result<Replica, StoreError> {
        let err = |e| self.err(e);
        let meta = self.replica_meta()?;
        let streets = self.street_rows()?;
        let poles = self
            .conn
            .prepare(&format!("SELECT {POLE_COLUMNS} FROM poles ORDER BY code"))
            .and_then(|mut st| {
                st.query_map([], stored_pole)?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(err)?;
        let history = self
            .conn
            .prepare(
                "SELECT version, code, op, before, after FROM pole_history
                 ORDER BY version, rowid",
            )
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok(HistoryRow {
                        version: r.get(0)?,
                        code: r.get(1)?,
                        op: r.get(2)?,
                        before: r.get(3)?,
                        after: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(err)?;
        Ok(Replica {
            meta,
            streets,
            poles,
            versions: self.versions()?,
            history,
        })
    }

    /// Writes a whole dataset into this database, which must hold no pole and no version
    /// (a fresh [`Store::create`]), in one transaction. Credential keys in `meta` are skipped.
    pub fn write_replica(&mut self, r: &Replica) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| classify(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let used: i64 = tx
            .query_row(
                "SELECT (SELECT count(*) FROM poles) + (SELECT count(*) FROM versions)",
                [],
                |row| row.get(0),
            )
            .map_err(err)?;
        if used > 0 {
            return Err(StoreError::NotEmpty(path.clone()));
        }
        {
            let mut st = tx
                .prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)")
                .map_err(err)?;
            for (k, v) in &r.meta {
                if !CREDENTIAL_KEYS.contains(&k.as_str()) {
                    st.execute(params![k, v]).map_err(err)?;
                }
            }
            let mut st = tx
                .prepare(
                    "INSERT INTO streets(street_code, name, name_en, district, jurisdiction,
                                         geometry_wkt) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(err)?;
            for s in &r.streets {
                st.execute(params![
                    s.street_code,
                    s.name,
                    s.name_en,
                    s.district,
                    s.jurisdiction,
                    s.geometry_wkt
                ])
                .map_err(err)?;
            }
            let mut st = tx
                .prepare(
                    "INSERT INTO versions(version, applied_at, applied_by, source_name,
                         source_sha256, datum, added, changed, removed, note)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(err)?;
            for v in &r.versions {
                st.execute(params![
                    v.version,
                    v.applied_at,
                    v.applied_by,
                    v.source_name,
                    v.source_sha256,
                    v.datum,
                    v.added,
                    v.changed,
                    v.removed,
                    v.note
                ])
                .map_err(err)?;
            }
            let mut st = tx
                .prepare(&format!(
                    "INSERT INTO poles({POLE_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
                ))
                .map_err(err)?;
            for p in &r.poles {
                let w = &p.row;
                st.execute(params![
                    w.code,
                    w.code_display,
                    w.street_code,
                    w.pole_no,
                    w.side,
                    w.lat_deg,
                    w.lon_deg,
                    w.address,
                    w.landmark,
                    w.cross_street,
                    w.jurisdiction,
                    w.status,
                    w.note,
                    w.pole_label,
                    p.version
                ])
                .map_err(err)?;
            }
            let mut st = tx
                .prepare(
                    "INSERT INTO pole_history(version, code, op, before, after)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(err)?;
            for h in &r.history {
                st.execute(params![h.version, h.code, h.op, h.before, h.after])
                    .map_err(err)?;
            }
        }
        let newest = r.versions.iter().map(|v| v.version).max().unwrap_or(0);
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', ?1)",
            [newest.to_string()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// The metadata a replica carries: all of it but the local credential, by key.
    pub fn replica_meta(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .all_meta()?
            .into_iter()
            .filter(|(k, _)| !CREDENTIAL_KEYS.contains(&k.as_str()))
            .collect())
    }

    /// Every street as stored, by code.
    pub fn street_rows(&self) -> Result<Vec<StreetRow>, StoreError> {
        self.conn
            .prepare(
                "SELECT street_code, name, name_en, district, jurisdiction, geometry_wkt
                 FROM streets ORDER BY street_code",
            )
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok(StreetRow {
                        street_code: r.get(0)?,
                        name: r.get(1)?,
                        name_en: r.get(2)?,
                        district: r.get(3)?,
                        jurisdiction: r.get(4)?,
                        geometry_wkt: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))
    }

    /// The stored pole with this key and the version that wrote it.
    pub fn stored_pole(&self, code: &str) -> Result<Option<StoredPole>, StoreError> {
        self.conn
            .prepare_cached(&format!("SELECT {POLE_COLUMNS} FROM poles WHERE code = ?1"))
            .and_then(|mut st| st.query_row([code], stored_pole).optional())
            .map_err(|e| self.err(e))
    }

    /// The change history of one version, in the order it was written.
    pub fn history_rows(&self, version: i64) -> Result<Vec<HistoryRow>, StoreError> {
        self.conn
            .prepare(
                "SELECT version, code, op, before, after FROM pole_history WHERE version = ?1
                 ORDER BY rowid",
            )
            .and_then(|mut st| {
                st.query_map([version], |r| {
                    Ok(HistoryRow {
                        version: r.get(0)?,
                        code: r.get(1)?,
                        op: r.get(2)?,
                        before: r.get(3)?,
                        after: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_round_trips_without_the_credential() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Store::create(&dir.path().join("a.sqlite")).unwrap();
        let new = super::super::NewVersion {
            applied_by: "tester",
            source_name: "poles.csv",
            source_sha256: "",
            datum: "wgs84",
            note: "",
            cancelled: None,
        };
        a.write_version(&new, |w| -> Result<_, StoreError> {
            w.insert_street("12", "重庆北路")?;
            for (code, lat) in [("120001", Some(25.05)), ("120002", None)] {
                let row = PoleRow {
                    code: code.into(),
                    code_display: code.into(),
                    street_code: "12".into(),
                    lat_deg: lat,
                    lon_deg: lat.map(|_| 121.51),
                    ..PoleRow::default()
                };
                w.insert_pole(&row)?;
                w.record(code, super::super::HistoryOp::Add, None, Some(&row))?;
            }
            Ok(((), Some(super::super::VersionCounts::default())))
        })
        .unwrap();
        a.set_meta("name", "测试").unwrap();
        a.set_meta(CREDENTIAL_KEYS[0], "secret").unwrap();
        let r = a.read_replica().unwrap();
        assert!(
            r.meta
                .iter()
                .all(|(k, _)| !CREDENTIAL_KEYS.contains(&k.as_str()))
        );
        assert_eq!(r.poles.len(), 2);
        assert_eq!(r.versions.len(), 1);
        let mut b = Store::create(&dir.path().join("b.sqlite")).unwrap();
        b.write_replica(&r).unwrap();
        let back = b.read_replica().unwrap();
        assert_eq!(back.poles, r.poles);
        assert_eq!(back.streets, r.streets);
        assert_eq!(back.versions, r.versions);
        assert_eq!(back.history, r.history);
        assert_eq!(b.data_version().unwrap(), 1);
        assert_eq!(b.meta(CREDENTIAL_KEYS[0]).unwrap(), None);
        assert_eq!(b.meta("name").unwrap().as_deref(), Some("测试"));
        // A second write into a used database is refused, nothing written.
        assert!(matches!(b.write_replica(&r), Err(StoreError::NotEmpty(_))));
    }
}
