//! The few calls of SQLite's session extension that incremental packages need, over the raw
//! C functions: a session that compares a table with the same table in an attached database
//! and hands back the changeset, two changesets joined, the changed rows' keys read out of a
//! changeset, and a changeset applied in the caller's transaction, aborting on any conflict.
//!
//! The unsafe code of the crate lives here and only here. The functions are declared by
//! `libsqlite3-sys`'s pregenerated bindings (reached as `rusqlite::ffi`, the same crate) and
//! compiled into the bundled SQLite because the workspace's `.cargo/config.toml` sets
//! `LIBSQLITE3_FLAGS = "-DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_PREUPDATE_HOOK"`: no
//! `session` feature of rusqlite, so no bindgen and no libclang at build time. Everything
//! SQLite allocates for us is freed on every path by a `Drop`.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use rusqlite::types::Value;
use rusqlite::{Connection, ffi};

/// An error code (and SQLite's message, when it gave one) as a rusqlite error.
fn failure(code: c_int, message: Option<String>) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), message)
}

/// A text for C (no NUL inside; our table and schema names never have one).
fn c_text(s: &str) -> rusqlite::Result<CString> {
    CString::new(s).map_err(|_| failure(ffi::SQLITE_MISUSE, Some(format!("NUL in {s:?}"))))
}

/// A changeset's length as C wants it.
fn c_len(bytes: &[u8]) -> rusqlite::Result<c_int> {
    c_int::try_from(bytes.len())
        .map_err(|_| failure(ffi::SQLITE_TOOBIG, Some("changeset over 2 GB".into())))
}

/// A buffer SQLite allocated with `sqlite3_malloc` (a changeset, an error message), freed on
/// drop.
struct SqliteBuf {
    ptr: *mut c_void,
    len: usize,
}

impl SqliteBuf {
    /// The bytes, copied out.
    fn to_vec(&self) -> Vec<u8> {
        if self.ptr.is_null() || self.len == 0 {
            return Vec::new();
        }
        // SAFETY: SQLite returned `ptr` with `len` valid bytes; it stays allocated until our
        // drop, and nothing else writes to it.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }.to_vec()
    }
}

impl Drop for SqliteBuf {
    fn drop(&mut self) {
        // SAFETY: `ptr` is null or was allocated by SQLite (sqlite3_malloc) and is freed once,
        // here; sqlite3_free(NULL) is a no-op.
        unsafe { ffi::sqlite3_free(self.ptr) };
    }
}

/// An error message SQLite allocated (`char *`), taken and freed.
fn take_message(msg: *mut c_char) -> Option<String> {
    if msg.is_null() {
        return None;
    }
    // SAFETY: SQLite gave a NUL-terminated string it allocated; it is read before the free.
    let text = unsafe { CStr::from_ptr(msg) }
        .to_string_lossy()
        .into_owned();
    drop(SqliteBuf {
        ptr: msg.cast(),
        len: 0,
    });
    Some(text)
}

/// A session on the `main` database of a connection (`sqlite3session_create`), deleted on
/// drop; it cannot outlive the connection.
pub(crate) struct Session<'c> {
    raw: NonNull<ffi::sqlite3_session>,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> Session<'c> {
    /// A new session recording changes to `main` of `conn`.
    pub(crate) fn new(conn: &'c Connection) -> rusqlite::Result<Self> {
        let mut raw = ptr::null_mut();
        // SAFETY: the handle is the open connection `conn`, borrowed for the session's life;
        // the schema name is a static NUL-terminated text; `raw` is written by SQLite.
        let rc =
            unsafe { ffi::sqlite3session_create(conn.handle(), c"main".as_ptr(), &raw mut raw) };
        match NonNull::new(raw) {
            Some(raw) if rc == ffi::SQLITE_OK => Ok(Self {
                raw,
                _conn: PhantomData,
            }),
            Some(raw) => {
                // SAFETY: a session SQLite handed out, deleted once (not kept).
                unsafe { ffi::sqlite3session_delete(raw.as_ptr()) };
                Err(failure(rc, None))
            }
            None => Err(failure(
                if rc == ffi::SQLITE_OK {
                    ffi::SQLITE_NOMEM
                } else {
                    rc
                },
                None,
            )),
        }
    }

    /// Records changes to `table` (which must have a primary key).
    pub(crate) fn attach(&mut self, table: &str) -> rusqlite::Result<()> {
        let name = c_text(table)?;
        // SAFETY: a live session; `name` outlives the call (SQLite copies it).
        let rc = unsafe { ffi::sqlite3session_attach(self.raw.as_ptr(), name.as_ptr()) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(failure(rc, None))
        }
    }

    /// Records, as changes, what differs in `table` between the attached database `from_db`
    /// and `main` (`sqlite3session_diff`): applied to `from_db`'s rows, they give `main`'s.
    pub(crate) fn diff(&mut self, from_db: &str, table: &str) -> rusqlite::Result<()> {
        let (from, name) = (c_text(from_db)?, c_text(table)?);
        let mut msg: *mut c_char = ptr::null_mut();
        // SAFETY: a live session; both texts outlive the call; `msg` is null or an allocated
        // message, freed by take_message.
        let rc = unsafe {
            ffi::sqlite3session_diff(
                self.raw.as_ptr(),
                from.as_ptr(),
                name.as_ptr(),
                &raw mut msg,
            )
        };
        let message = take_message(msg);
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(failure(rc, message))
        }
    }

    /// The changes recorded so far, as a changeset.
    pub(crate) fn changeset(&mut self) -> rusqlite::Result<Vec<u8>> {
        let mut len: c_int = 0;
        let mut buf: *mut c_void = ptr::null_mut();
        // SAFETY: a live session; SQLite writes a length and a buffer it allocated, which
        // SqliteBuf frees.
        let rc =
            unsafe { ffi::sqlite3session_changeset(self.raw.as_ptr(), &raw mut len, &raw mut buf) };
        let out = SqliteBuf {
            ptr: buf,
            len: usize::try_from(len).unwrap_or(0),
        };
        if rc == ffi::SQLITE_OK {
            Ok(out.to_vec())
        } else {
            Err(failure(rc, None))
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // SAFETY: the session was created by sqlite3session_create, is deleted once, here, and
        // its connection is still open (the borrow).
        unsafe { ffi::sqlite3session_delete(self.raw.as_ptr()) };
    }
}

/// The changes of `a` followed by those of `b`, as one changeset (`sqlite3changeset_concat`).
pub(crate) fn concat(a: &[u8], b: &[u8]) -> rusqlite::Result<Vec<u8>> {
    let (na, nb) = (c_len(a)?, c_len(b)?);
    let mut len: c_int = 0;
    let mut buf: *mut c_void = ptr::null_mut();
    // SAFETY: both inputs are valid for their lengths and only read (the API takes `void *`
    // but does not write); SQLite allocates the output, which SqliteBuf frees.
    let rc = unsafe {
        ffi::sqlite3changeset_concat(
            na,
            a.as_ptr().cast_mut().cast(),
            nb,
            b.as_ptr().cast_mut().cast(),
            &raw mut len,
            &raw mut buf,
        )
    };
    let out = SqliteBuf {
        ptr: buf,
        len: usize::try_from(len).unwrap_or(0),
    };
    if rc == ffi::SQLITE_OK {
        Ok(out.to_vec())
    } else {
        Err(failure(rc, None))
    }
}

/// An owned copy of an `sqlite3_value` (null pointer: no value there).
fn owned_value(v: *mut ffi::sqlite3_value) -> Option<Value> {
    if v.is_null() {
        return None;
    }
    // SAFETY: `v` is a value the changeset iterator handed out, valid until the iterator moves
    // on; it is copied here, before that. Text and blob pointers are valid for the number of
    // bytes sqlite3_value_bytes reports (asked after the pointer, as SQLite documents).
    unsafe {
        Some(match ffi::sqlite3_value_type(v) {
            ffi::SQLITE_INTEGER => Value::Integer(ffi::sqlite3_value_int64(v)),
            ffi::SQLITE_FLOAT => Value::Real(ffi::sqlite3_value_double(v)),
            ffi::SQLITE_TEXT => {
                let p = ffi::sqlite3_value_text(v);
                let n = usize::try_from(ffi::sqlite3_value_bytes(v)).unwrap_or(0);
                if p.is_null() {
                    Value::Text(String::new())
                } else {
                    let bytes = std::slice::from_raw_parts(p, n);
                    Value::Text(String::from_utf8_lossy(bytes).into_owned())
                }
            }
            ffi::SQLITE_BLOB => {
                let p = ffi::sqlite3_value_blob(v);
                let n = usize::try_from(ffi::sqlite3_value_bytes(v)).unwrap_or(0);
                if p.is_null() {
                    Value::Blob(Vec::new())
                } else {
                    Value::Blob(std::slice::from_raw_parts(p.cast::<u8>(), n).to_vec())
                }
            }
            _ => Value::Null,
        })
    }
}

/// One row a changeset inserts, updates or deletes: its table and primary key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChangedRow {
    /// The table.
    pub table: String,
    /// The primary key's values, in the key's column order.
    pub key: Vec<Value>,
}

/// A changeset iterator (`sqlite3changeset_start`), finalized on drop.
struct Iter<'a> {
    raw: *mut ffi::sqlite3_changeset_iter,
    _bytes: PhantomData<&'a [u8]>,
}

impl Drop for Iter<'_> {
    fn drop(&mut self) {
        // SAFETY: an iterator from sqlite3changeset_start, finalized once, here.
        unsafe { ffi::sqlite3changeset_finalize(self.raw) };
    }
}

/// The table an iterator's current change is for (`sqlite3changeset_op`), and its operation
/// and column count.
///
/// # Safety
/// `it` must be a live iterator positioned on a change.
unsafe fn current_op(it: *mut ffi::sqlite3_changeset_iter) -> Option<(String, c_int, c_int)> {
    let mut table: *const c_char = ptr::null();
    let (mut columns, mut op, mut indirect) = (0, 0, 0);
    // SAFETY: per the caller's promise; SQLite writes the four outputs.
    let rc = unsafe {
        ffi::sqlite3changeset_op(
            it,
            &raw mut table,
            &raw mut columns,
            &raw mut op,
            &raw mut indirect,
        )
    };
    if rc != ffi::SQLITE_OK || table.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated name owned by the iterator, copied at once.
    let name = unsafe { CStr::from_ptr(table) }
        .to_string_lossy()
        .into_owned();
    Some((name, op, columns))
}

/// Every row a changeset touches (its primary key), in the changeset's order.
pub(crate) fn changed_rows(changeset: &[u8]) -> rusqlite::Result<Vec<ChangedRow>> {
    let n = c_len(changeset)?;
    let mut raw = ptr::null_mut();
    // SAFETY: the bytes are valid for `n` and outlive the iterator (the lifetime on Iter);
    // the iterator only reads them.
    let rc = unsafe {
        ffi::sqlite3changeset_start(&raw mut raw, n, changeset.as_ptr().cast_mut().cast())
    };
    if rc != ffi::SQLITE_OK {
        if !raw.is_null() {
            drop(Iter {
                raw,
                _bytes: PhantomData::<&[u8]>,
            });
        }
        return Err(failure(rc, None));
    }
    let it = Iter {
        raw,
        _bytes: PhantomData::<&[u8]>,
    };
    let mut out = Vec::new();
    loop {
        // SAFETY: a live iterator.
        let rc = unsafe { ffi::sqlite3changeset_next(it.raw) };
        if rc == ffi::SQLITE_DONE {
            break;
        }
        if rc != ffi::SQLITE_ROW {
            return Err(failure(rc, Some("damaged changeset".into())));
        }
        // SAFETY: positioned on a change (SQLITE_ROW).
        let Some((table, op, _)) = (unsafe { current_op(it.raw) }) else {
            return Err(failure(
                ffi::SQLITE_CORRUPT,
                Some("damaged changeset".into()),
            ));
        };
        let mut pk: *mut u8 = ptr::null_mut();
        let mut columns: c_int = 0;
        // SAFETY: positioned on a change; SQLite points `pk` at `columns` flags it owns.
        let rc = unsafe { ffi::sqlite3changeset_pk(it.raw, &raw mut pk, &raw mut columns) };
        if rc != ffi::SQLITE_OK || pk.is_null() {
            return Err(failure(rc, Some("damaged changeset".into())));
        }
        let count = usize::try_from(columns).unwrap_or(0);
        // SAFETY: `columns` flags, valid until the iterator moves on; copied at once.
        let flags = unsafe { std::slice::from_raw_parts(pk, count) }.to_vec();
        let mut key = Vec::new();
        for (i, is_key) in flags.iter().enumerate() {
            if *is_key == 0 {
                continue;
            }
            let mut v = ptr::null_mut();
            let i = c_int::try_from(i).unwrap_or(c_int::MAX);
            // SAFETY: positioned on a change; an insert has only new values, an update and a
            // delete carry the key among the old ones; `v` is copied at once.
            let rc = unsafe {
                if op == ffi::SQLITE_INSERT {
                    ffi::sqlite3changeset_new(it.raw, i, &raw mut v)
                } else {
                    ffi::sqlite3changeset_old(it.raw, i, &raw mut v)
                }
            };
            match owned_value(v) {
                Some(value) if rc == ffi::SQLITE_OK => key.push(value),
                _ => {
                    return Err(failure(
                        ffi::SQLITE_CORRUPT,
                        Some("damaged changeset".into()),
                    ));
                }
            }
        }
        out.push(ChangedRow { table, key });
    }
    Ok(out)
}

/// What applying a changeset found: tables it was not allowed to touch, and conflicts (the
/// first one aborts the apply).
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Tables the changeset names that `allow` refused (their changes were skipped).
    pub refused: Vec<String>,
    /// `table: kind` of each conflict.
    pub conflicts: Vec<String>,
}

/// What the two callbacks share with [`apply`].
struct ApplyContext<'f> {
    allow: &'f dyn Fn(&str) -> bool,
    found: Applied,
}

/// `xFilter`: is a table's change applied?
unsafe extern "C" fn filter(ctx: *mut c_void, table: *const c_char) -> c_int {
    if ctx.is_null() || table.is_null() {
        return 0;
    }
    // SAFETY: `ctx` is the ApplyContext `apply` passed, alive and not otherwise borrowed while
    // sqlite3changeset_apply runs; `table` is a NUL-terminated name from SQLite.
    let (cx, name) = unsafe {
        (
            &mut *ctx.cast::<ApplyContext<'_>>(),
            CStr::from_ptr(table).to_string_lossy().into_owned(),
        )
    };
    let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (cx.allow)(&name)))
        .unwrap_or(false);
    if !ok {
        cx.found.refused.push(name);
    }
    c_int::from(ok)
}

/// `xConflict`: any conflict aborts (the caller rolls back and falls back to the full package).
unsafe extern "C" fn conflict(
    ctx: *mut c_void,
    kind: c_int,
    it: *mut ffi::sqlite3_changeset_iter,
) -> c_int {
    if !ctx.is_null() {
        // SAFETY: as in `filter`; `it` is the iterator positioned on the conflicting change.
        let cx = unsafe { &mut *ctx.cast::<ApplyContext<'_>>() };
        // SAFETY: SQLite passes the iterator positioned on the change in conflict.
        let table = unsafe { current_op(it) }
            .map(|(t, _, _)| t)
            .unwrap_or_default();
        let kind = match kind {
            ffi::SQLITE_CHANGESET_DATA => "DATA",
            ffi::SQLITE_CHANGESET_NOTFOUND => "NOTFOUND",
            ffi::SQLITE_CHANGESET_CONFLICT => "CONFLICT",
            ffi::SQLITE_CHANGESET_CONSTRAINT => "CONSTRAINT",
            ffi::SQLITE_CHANGESET_FOREIGN_KEY => "FOREIGN_KEY",
            _ => "OTHER",
        };
        cx.found.conflicts.push(format!("{table}: {kind}"));
    }
    ffi::SQLITE_CHANGESET_ABORT
}

/// Applies `changeset` to `main` of `conn` (within the caller's transaction, if one is open):
/// changes to tables `allow` refuses are skipped and reported, and the first conflict aborts
/// with everything this call did undone (SQLite applies under a savepoint). The `Err` is
/// SQLite's (an aborted apply is `SQLITE_ABORT`); conflicts and refusals are in [`Applied`]
/// either way, so the `Ok`/`Err` alone does not say the changes were all applied.
pub(crate) fn apply(
    conn: &Connection,
    changeset: &[u8],
    allow: &dyn Fn(&str) -> bool,
) -> (Applied, rusqlite::Result<()>) {
    let n = match c_len(changeset) {
        Ok(n) => n,
        Err(e) => return (Applied::default(), Err(e)),
    };
    let mut cx = ApplyContext {
        allow,
        found: Applied::default(),
    };
    // SAFETY: the connection is open (borrowed); the bytes are valid for `n` and only read;
    // `cx` outlives the call and is reached only through the callbacks' context pointer
    // while the call runs; both callbacks catch panics (none unwinds into C).
    let rc = unsafe {
        ffi::sqlite3changeset_apply(
            conn.handle(),
            n,
            changeset.as_ptr().cast_mut().cast(),
            Some(filter),
            Some(conflict),
            (&raw mut cx).cast(),
        )
    };
    let result = if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(failure(rc, None))
    };
    (cx.found, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER, r REAL, b BLOB);
             INSERT INTO t VALUES ('a', 1, 0.5, x'00ff'), ('b', 2, NULL, NULL);",
        )
        .unwrap();
        c
    }

    /// The changeset from a session that records `sql` on `c`.
    fn record(c: &Connection, sql: &str) -> Vec<u8> {
        let mut s = Session::new(c).unwrap();
        s.attach("t").unwrap();
        c.execute_batch(sql).unwrap();
        s.changeset().unwrap()
    }

    #[test]
    fn a_recorded_changeset_names_its_rows_and_applies_elsewhere() {
        let a = db();
        let cs = record(
            &a,
            "UPDATE t SET v = 10 WHERE k = 'a'; DELETE FROM t WHERE k = 'b';
             INSERT INTO t VALUES ('c', 3, 1.25, x'01');",
        );
        let rows = changed_rows(&cs).unwrap();
        let mut keys: Vec<_> = rows
            .iter()
            .map(|r| (r.table.as_str(), r.key.clone()))
            .collect();
        keys.sort_by(|x, y| format!("{x:?}").cmp(&format!("{y:?}")));
        assert_eq!(
            keys,
            ["a", "b", "c"].map(|k| ("t", vec![Value::Text(k.into())]))
        );
        let b = db();
        let (found, r) = apply(&b, &cs, &|t| t == "t");
        r.unwrap();
        assert!(found.refused.is_empty() && found.conflicts.is_empty());
        let rows: Vec<(String, i64)> = b
            .prepare("SELECT k, v FROM t ORDER BY k")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, [("a".into(), 10), ("c".into(), 3)]);
    }

    #[test]
    fn a_conflict_aborts_and_undoes_the_apply_and_a_refused_table_is_reported() {
        let a = db();
        let cs = record(
            &a,
            "INSERT INTO t VALUES ('c', 3, NULL, NULL); UPDATE t SET v = 10 WHERE k = 'a';",
        );
        let b = db();
        b.execute("UPDATE t SET v = 99 WHERE k = 'a'", []).unwrap();
        let (found, r) = apply(&b, &cs, &|_| true);
        assert!(r.is_err());
        assert_eq!(found.conflicts, ["t: DATA"]);
        let n: i64 = b
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2, "the insert before the conflict was undone");

        let c = db();
        let (found, r) = apply(&c, &cs, &|_| false);
        r.unwrap();
        assert_eq!(found.refused, ["t"]);
        let n: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn a_diff_against_an_attached_copy_and_a_concat_give_one_changeset() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base.sqlite");
        db().execute("VACUUM INTO ?1", [base.to_string_lossy()])
            .unwrap();
        let live = db();
        live.execute_batch("UPDATE t SET v = 5 WHERE k = 'b'")
            .unwrap();
        live.execute("ATTACH ?1 AS old", [base.to_string_lossy()])
            .unwrap();
        let mut s = Session::new(&live).unwrap();
        s.attach("t").unwrap();
        s.diff("old", "t").unwrap();
        let one = s.changeset().unwrap();
        assert!(s.diff("nowhere", "t").is_err());
        drop(s);
        let other = record(&db(), "INSERT INTO t VALUES ('z', 0, NULL, NULL)");
        let both = concat(&one, &other).unwrap();
        assert_eq!(changed_rows(&both).unwrap().len(), 2);
        assert!(changed_rows(&both[..both.len() / 2]).is_err());
    }
}
