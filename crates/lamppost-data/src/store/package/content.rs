//! The content hash of a reference database: what an incremental package names for its base
//! and its result, and what a workstation checks without reading the whole database.
//!
//! It is a multiset hash (an "LtHash"-style sum): every row of `meta` (but this machine's own
//! keys, [`LOCAL_KEYS`]), `streets`, `poles`, `versions` and `pole_history` is hashed on its
//! own (SHA-512 of the table name and each column's name, type and exact value), and the
//! content hash is the sum of the row hashes, as eight 64-bit lanes each added modulo 2^64.
//! Two databases with the same rows have the same hash, whatever their pages, row order, file
//! size or journal. A row's hash can be taken out and another's put in, so the hash after a
//! change costs only the changed rows: a workstation keeps the sum of its rows (all tables but
//! `meta`, which is small and always read whole) in `meta` under [`SUM_KEY`], stamped with the
//! data version's random `content_id`, and an increment updates it by the rows it touches.
//!
//! This is an equality check, not the security boundary: the changeset and its manifest are
//! signed with the centre key, and the manifest names the hashes.

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Row};
use sha2::{Digest, Sha512};

use crate::store::auth::CREDENTIAL_KEYS;

/// The `meta` key holding this database's stored row sum: `CONTENT_ID HEX`.
pub(crate) const SUM_KEY: &str = "content_sum";

/// The `meta` keys that belong to this machine: never hashed, never shipped in an increment.
pub(crate) const LOCAL_KEYS: [&str; 4] = [
    CREDENTIAL_KEYS[0],
    CREDENTIAL_KEYS[1],
    CREDENTIAL_KEYS[2],
    SUM_KEY,
];

/// The tables hashed besides `meta`.
const ROW_TABLES: [&str; 4] = ["streets", "poles", "versions", "pole_history"];

/// `?, ?, ?, ?` for the local keys.
pub(crate) fn local_marks() -> String {
    vec!["?"; LOCAL_KEYS.len()].join(", ")
}

/// A sum of row hashes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Sum([u64; 8]);

impl Sum {
    fn add(&mut self, d: &[u64; 8]) {
        for (a, b) in self.0.iter_mut().zip(d) {
            *a = a.wrapping_add(*b);
        }
    }

    fn sub(&mut self, d: &[u64; 8]) {
        for (a, b) in self.0.iter_mut().zip(d) {
            *a = a.wrapping_sub(*b);
        }
    }

    /// `self + other`.
    pub(crate) fn plus(mut self, other: Sum) -> Sum {
        self.add(&other.0);
        self
    }

    /// `self - other`.
    pub(crate) fn minus(mut self, other: Sum) -> Sum {
        self.sub(&other.0);
        self
    }

    /// 128 hex digits.
    pub(crate) fn hex(&self) -> String {
        use std::fmt::Write;
        self.0.iter().fold(String::with_capacity(128), |mut s, l| {
            let _ = write!(s, "{l:016x}");
            s
        })
    }

    /// The inverse of [`Sum::hex`].
    pub(crate) fn parse(s: &str) -> Option<Sum> {
        if s.len() != 128 || !s.is_ascii() {
            return None;
        }
        let mut lanes = [0u64; 8];
        for (i, l) in lanes.iter_mut().enumerate() {
            *l = u64::from_str_radix(&s[i * 16..i * 16 + 16], 16).ok()?;
        }
        Some(Sum(lanes))
    }
}

/// A table's columns in `db`, by name (so the hash does not depend on their order).
fn columns(conn: &Connection, db: &str, table: &str) -> rusqlite::Result<Vec<String>> {
    let mut cols: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info(?1, ?2)")?
        .query_map([table, db], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    cols.sort();
    Ok(cols)
}

/// `"a", "b", …`
fn select_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The hash of one row (`cols` selected in that order).
fn row_hash(table: &str, cols: &[String], row: &Row<'_>) -> rusqlite::Result<[u64; 8]> {
    let mut h = Sha512::new();
    h.update(table.as_bytes());
    h.update([0]);
    for (i, c) in cols.iter().enumerate() {
        h.update(c.as_bytes());
        h.update([0]);
        match row.get_ref(i)? {
            ValueRef::Null => h.update([0]),
            ValueRef::Integer(v) => {
                h.update([1]);
                h.update(v.to_le_bytes());
            }
            ValueRef::Real(v) => {
                h.update([2]);
                h.update(v.to_bits().to_le_bytes());
            }
            ValueRef::Text(t) => {
                h.update([3]);
                h.update((t.len() as u64).to_le_bytes());
                h.update(t);
            }
            ValueRef::Blob(b) => {
                h.update([4]);
                h.update((b.len() as u64).to_le_bytes());
                h.update(b);
            }
        }
    }
    let d = h.finalize();
    let mut lanes = [0u64; 8];
    for (l, chunk) in lanes.iter_mut().zip(d.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *l = u64::from_le_bytes(b);
    }
    Ok(lanes)
}

/// The sum of the rows `SELECT cols FROM db.table {tail}` gives.
fn sum_where(
    conn: &Connection,
    db: &str,
    table: &str,
    tail: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Sum> {
    let cols = columns(conn, db, table)?;
    let mut st = conn.prepare(&format!(
        "SELECT {} FROM {db}.{table} {tail}",
        select_list(&cols)
    ))?;
    let mut rows = st.query(params)?;
    let mut sum = Sum::default();
    while let Some(r) = rows.next()? {
        sum.add(&row_hash(table, &cols, r)?);
    }
    Ok(sum)
}

/// The sum of `meta` in `db` (its shared keys).
pub(crate) fn meta_sum(conn: &Connection, db: &str) -> rusqlite::Result<Sum> {
    sum_where(
        conn,
        db,
        "meta",
        &format!("WHERE key NOT IN ({})", local_marks()),
        LOCAL_KEYS,
    )
}

/// The sum of every row of the other tables in `db`: one read of the whole database.
pub(crate) fn rows_sum(conn: &Connection, db: &str) -> rusqlite::Result<Sum> {
    ROW_TABLES.iter().try_fold(Sum::default(), |acc, t| {
        Ok(acc.plus(sum_where(conn, db, t, "", [])?))
    })
}

/// The content hash of `db`, computed from every row.
pub(crate) fn full(conn: &Connection, db: &str) -> rusqlite::Result<String> {
    Ok(rows_sum(conn, db)?.plus(meta_sum(conn, db)?).hex())
}

/// The sum of the rows of `table` in `main` whose primary key column `key_col` is one of
/// `keys` (each key counted once per time it is given: give each once).
pub(crate) fn keys_sum(
    conn: &Connection,
    table: &str,
    key_col: &str,
    keys: &[Value],
) -> rusqlite::Result<Sum> {
    let cols = columns(conn, "main", table)?;
    let mut st = conn.prepare(&format!(
        "SELECT {} FROM main.{table} WHERE \"{key_col}\" = ?1",
        select_list(&cols)
    ))?;
    let mut sum = Sum::default();
    for k in keys {
        let mut rows = st.query([k])?;
        while let Some(r) = rows.next()? {
            sum.add(&row_hash(table, &cols, r)?);
        }
    }
    Ok(sum)
}

/// The sum of `pole_history` rows in `main` with a rowid above `after`.
pub(crate) fn history_after(conn: &Connection, after: i64) -> rusqlite::Result<Sum> {
    sum_where(conn, "main", "pole_history", "WHERE rowid > ?1", [after])
}

/// The `content_id` of `db`'s data version (empty when none).
fn content_id(conn: &Connection, db: &str) -> rusqlite::Result<String> {
    conn.query_row(
        &format!("SELECT coalesce((SELECT value FROM {db}.meta WHERE key = 'content_id'), '')"),
        [],
        |r| r.get(0),
    )
}

/// The row sum stored in `db`, when it was stored for the current `content_id` (a data version
/// written since, here or by a package, makes it stale: `None`). A database from before
/// `content_id` existed stamps with an empty one; its first data version writes one.
pub(crate) fn stored_rows_sum(conn: &Connection, db: &str) -> rusqlite::Result<Option<Sum>> {
    let id = content_id(conn, db)?;
    let stored: Option<String> = conn
        .query_row(
            &format!("SELECT value FROM {db}.meta WHERE key = ?1"),
            [SUM_KEY],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(stored.and_then(|s| {
        let (stamp, hex) = s.split_once(' ')?;
        (stamp == id).then_some(hex).and_then(Sum::parse)
    }))
}

/// The row sum of `main`: the stored one when current, else read from every row.
pub(crate) fn current_rows_sum(conn: &Connection) -> rusqlite::Result<Sum> {
    match stored_rows_sum(conn, "main")? {
        Some(s) => Ok(s),
        None => rows_sum(conn, "main"),
    }
}

/// Stores `sum` as `main`'s row sum for its current `content_id`.
pub(crate) fn store_rows_sum(conn: &Connection, sum: Sum) -> rusqlite::Result<()> {
    let id = content_id(conn, "main")?;
    conn.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
        [SUM_KEY, &format!("{id} {}", sum.hex())],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::create_demo_database;

    #[test]
    fn the_hash_follows_the_rows_not_their_order_and_a_row_can_be_taken_out_and_put_in() {
        let dir = tempfile::tempdir().unwrap();
        let (s, _) = create_demo_database(&dir.path().join("a.sqlite"), "test").unwrap();
        drop(s);
        let c = Connection::open(dir.path().join("a.sqlite")).unwrap();
        let before = rows_sum(&c, "main").unwrap();
        let key = [Value::Text("2450034".into())];
        let old = keys_sum(&c, "poles", "code", &key).unwrap();
        assert_ne!(old, Sum::default(), "the pole is there");
        c.execute("UPDATE poles SET note = 'x' WHERE code = '2450034'", [])
            .unwrap();
        let new = keys_sum(&c, "poles", "code", &key).unwrap();
        let after = rows_sum(&c, "main").unwrap();
        assert_ne!(after, before);
        assert_eq!(before.minus(old).plus(new), after);
        assert_eq!(Sum::parse(&after.hex()), Some(after));

        // The same rows in another order (a copy made the other way round): the same hash.
        let copy = dir.path().join("b.sqlite");
        c.execute("VACUUM INTO ?1", [copy.to_string_lossy()])
            .unwrap();
        let d = Connection::open(&copy).unwrap();
        d.execute_batch(
            "CREATE TABLE h AS SELECT * FROM pole_history ORDER BY rowid DESC;
             DELETE FROM pole_history; INSERT INTO pole_history SELECT * FROM h; DROP TABLE h;",
        )
        .unwrap();
        assert_eq!(full(&d, "main").unwrap(), full(&c, "main").unwrap());
        // A local key (the stored sum itself) does not count; a shared one does.
        store_rows_sum(&d, after).unwrap();
        assert_eq!(stored_rows_sum(&d, "main").unwrap(), Some(after));
        assert_eq!(full(&d, "main").unwrap(), full(&c, "main").unwrap());
        d.execute("UPDATE meta SET value = 'other' WHERE key = 'name'", [])
            .unwrap();
        assert_ne!(full(&d, "main").unwrap(), full(&c, "main").unwrap());
        // A new content id makes the stored sum stale.
        d.execute("UPDATE meta SET value = 'new' WHERE key = 'content_id'", [])
            .unwrap();
        assert_eq!(stored_rows_sum(&d, "main").unwrap(), None);
    }
}
