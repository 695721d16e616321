//! The one migration runner, for both databases (the reference database and the call log):
//! `PRAGMA user_version` counts the migrations that ran; migrations are added, never edited;
//! all pending ones run in one transaction; a file written by a newer program, or someone
//! else's SQLite file, is refused before anything is written (Mozilla application-services'
//! `open_database.rs` has the same shape).

use rusqlite::{Connection, TransactionBehavior};

/// Why a file's schema cannot be used.
#[derive(Debug)]
pub(crate) enum SchemaError {
    /// Written by a newer program: `found` migrations, we know `supported`.
    Newer {
        /// The file's `user_version`.
        found: u32,
        /// Ours.
        supported: u32,
    },
    /// An SQLite file with tables but no version of ours: not our kind of file.
    Foreign,
    /// SQLite failed.
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sqlite(e)
    }
}

/// The file's schema version, when it is ours and not newer than `migrations`.
pub(crate) fn check(conn: &Connection, migrations: &[&str]) -> Result<u32, SchemaError> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = migrations.len() as u32;
    if found > supported {
        return Err(SchemaError::Newer { found, supported });
    }
    if found == 0 {
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if tables > 0 {
            return Err(SchemaError::Foreign);
        }
    }
    Ok(found)
}

/// Brings the file up to date: the migrations it has not had, in one `IMMEDIATE` transaction.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<(), SchemaError> {
    let found = check(conn, migrations)?;
    let latest = migrations.len() as u32;
    if found == latest {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for sql in &migrations[found as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", latest)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[&str] = &[
        "CREATE TABLE a(x INTEGER)",
        "ALTER TABLE a ADD COLUMN y TEXT",
    ];

    #[test]
    fn a_new_file_gets_every_migration_and_a_second_run_changes_nothing() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, STEPS).unwrap();
        assert_eq!(check(&c, STEPS).unwrap(), 2);
        c.execute("INSERT INTO a(x, y) VALUES (1, 'one')", [])
            .unwrap();
        migrate(&mut c, STEPS).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_file_from_a_newer_program_is_refused_and_left_alone() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, STEPS).unwrap();
        assert!(matches!(
            migrate(&mut c, &STEPS[..1]),
            Err(SchemaError::Newer {
                found: 2,
                supported: 1
            })
        ));
    }

    #[test]
    fn someone_elses_sqlite_file_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE tiles(z INTEGER)").unwrap();
        assert!(matches!(migrate(&mut c, STEPS), Err(SchemaError::Foreign)));
    }

    #[test]
    fn a_failing_migration_leaves_the_file_at_its_old_version() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c, &STEPS[..1]).unwrap();
        let broken = [STEPS[0], "ALTER TABLE nowhere ADD COLUMN y TEXT"];
        assert!(matches!(
            migrate(&mut c, &broken),
            Err(SchemaError::Sqlite(_))
        ));
        assert_eq!(check(&c, &broken).unwrap(), 1);
    }
}
