//! The reference database: loading, and every way opening a file can go wrong.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

use std::path::{Path, PathBuf};

use lamppost_data::store::{Access, Source, Store, StoreError};
use lamppost_search::SearchIndex;

const STREETS: &str = "street_code,name,name_en,district,jurisdiction,geometry_wkt\n\
01,重慶北路一段,Chongqing North Road Section 1,大同區,建成辖区,\"LINESTRING(121.5137 25.0450, 121.5137 25.0540)\"\n";

fn poles_csv(n: u32) -> String {
    let mut s = String::from(
        "code,street_code,street,pole_no,side,lat_deg,lon_deg,address,landmark,cross_street,jurisdiction,status,note\n",
    );
    for i in 1..=n {
        let side = if i % 2 == 1 { "西" } else { "东" };
        let pos = if i % 4 == 1 {
            format!("{:.7},121.5136", 25.0450 + f64::from(i / 2) * 0.0003)
        } else {
            ",".to_owned()
        };
        s.push_str(&format!(
            "2-01-{i:04},01,重慶北路一段,{i},{side},{pos},臺北市大同區重慶北路一段{i}號旁,,南京西路,,active,\n"
        ));
    }
    s
}

fn load(path: &Path, poles: &str) -> Result<Store, StoreError> {
    let mut store = Store::create(path)?;
    store.load_canonical::<&[u8], _, _>(
        None,
        Some(Source {
            name: "streets.csv".into(),
            reader: STREETS.as_bytes(),
        }),
        Source {
            name: "poles.csv".into(),
            reader: poles.as_bytes(),
        },
        "tester",
    )?;
    Ok(store)
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ref.sqlite");
    (dir, path)
}

#[test]
fn a_canonical_csv_loads_into_a_fresh_database_as_version_1() {
    let (_d, path) = tmp();
    let store = load(&path, &poles_csv(40)).unwrap();
    let c = store.counts().unwrap();
    assert_eq!(
        (c.streets, c.codes, c.surveyed, c.data_version),
        (1, 40, 10, 1)
    );
    store.integrity_check().unwrap();
    drop(store);
    let idx = SearchIndex::open(&path).unwrap();
    assert_eq!(idx.len(), 40);
    assert_eq!(idx.position_counts().estimated, 30);
}

#[test]
fn a_bad_row_stops_the_load_and_writes_nothing() {
    let (_d, path) = tmp();
    let mut csv = poles_csv(10);
    csv.push_str("2-01-0011,01,重慶北路一段,11,西,95.0,121.5,,,,,,\n");
    let err = load(&path, &csv).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("line 12") && msg.contains("lat_deg"), "{msg}");
    // Nothing was written: the file holds the schema but no poles.
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    assert_eq!(store.counts().unwrap().codes, 0);
    assert_eq!(store.data_version().unwrap(), 0);
}

#[test]
fn loading_twice_is_refused() {
    let (_d, path) = tmp();
    let mut store = load(&path, &poles_csv(4)).unwrap();
    let err = store
        .load_canonical::<&[u8], &[u8], _>(
            None,
            None,
            Source {
                name: "poles.csv".into(),
                reader: poles_csv(4).as_bytes(),
            },
            "tester",
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::NotEmpty(_)), "{err}");
}

#[test]
fn a_missing_file_says_how_to_create_it() {
    let err = Store::open(Path::new("/nonexistent/lamppost.sqlite"), Access::ReadOnly).unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)));
    let msg = err.to_string();
    assert!(
        msg.contains("lamppost init") && msg.ends_with("/nonexistent/lamppost.sqlite"),
        "{msg}"
    );
}

#[test]
fn a_file_that_is_not_sqlite_is_named_as_such() {
    let (_d, path) = tmp();
    std::fs::write(&path, "code,street\n1,x\n".repeat(100)).unwrap();
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let err = Store::open(&path, access).unwrap_err();
        assert!(matches!(err, StoreError::NotSqlite(_)), "{access:?}: {err}");
        assert!(err.to_string().contains("not an SQLite database"), "{err}");
    }
    // And the file is untouched.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "code,street\n1,x\n".repeat(100)
    );
}

#[test]
fn someone_elses_sqlite_file_is_not_taken_for_ours() {
    let (_d, path) = tmp();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);")
        .unwrap();
    drop(c);
    let err = Store::open(&path, Access::ReadWrite).unwrap_err();
    assert!(matches!(err, StoreError::NotLamppost(_)), "{err}");
}

#[test]
fn a_database_from_a_newer_program_is_refused_with_both_versions() {
    let (_d, path) = tmp();
    drop(load(&path, &poles_csv(4)).unwrap());
    let c = rusqlite::Connection::open(&path).unwrap();
    c.pragma_update(None, "user_version", 99).unwrap();
    drop(c);
    let err = Store::open(&path, Access::ReadWrite).unwrap_err();
    match &err {
        StoreError::NewerSchema {
            found, supported, ..
        } => {
            assert_eq!(*found, 99);
            assert_eq!(*supported, lamppost_data::store::schema::latest_version());
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("upgrade the program"), "{err}");
}

#[test]
fn a_corrupt_database_is_reported_as_corrupt() {
    let (_d, path) = tmp();
    drop(load(&path, &poles_csv(2000)).unwrap());
    // Checkpoint the WAL into the file, then overwrite pages in the middle with junk.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
        .unwrap();
    drop(c);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 64 * 1024, "{}", bytes.len());
    let end = bytes.len() - 4096;
    for b in &mut bytes[8192..end] {
        *b = 0x5A;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path, Access::ReadOnly)
        .and_then(|s| SearchIndex::from_store(&s).map(|_| ()))
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("corrupt"), "{err}");
}

#[test]
fn a_truncated_header_is_not_an_sqlite_file() {
    let (_d, path) = tmp();
    drop(load(&path, &poles_csv(10)).unwrap());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..50]).unwrap();
    let err = Store::open(&path, Access::ReadOnly)
        .and_then(|s| SearchIndex::from_store(&s).map(|_| ()))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotSqlite(_) | StoreError::Corrupt { .. }),
        "{err}"
    );
}

#[test]
fn a_location_that_cannot_be_written_is_named() {
    // /proc refuses new files even to root, where permission bits would not.
    let path = Path::new("/proc/lamppost-test/ref.sqlite");
    let err = Store::create(path).unwrap_err();
    assert!(matches!(err, StoreError::Inaccessible(_)), "{err}");
    assert!(err.to_string().contains("writable"), "{err}");
}

#[test]
fn an_existing_file_is_never_overwritten_by_create() {
    let (_d, path) = tmp();
    std::fs::write(&path, "precious").unwrap();
    assert!(matches!(Store::create(&path), Err(StoreError::Exists(_))));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
}

#[test]
fn the_index_is_rebuilt_in_the_background_and_swapped_in_whole() {
    use std::sync::mpsc;
    let (_d, path) = tmp();
    drop(load(&path, &poles_csv(8)).unwrap());
    let handle = lamppost_search::IndexHandle::new(SearchIndex::open(&path).unwrap());
    let before = handle.load();
    assert_eq!(before.len(), 8);

    // A different database under the same path: the rebuild must pick it up.
    std::fs::remove_file(&path).unwrap();
    drop(load(&path, &poles_csv(20)).unwrap());
    let (tx, rx) = mpsc::channel();
    let worker = handle
        .rebuild_in_background(path.clone(), move |r| tx.send(r.is_ok()).unwrap())
        .unwrap();
    // Lookups keep answering from the old index meanwhile.
    assert!(before.lookup("2010008").is_some());
    assert!(rx.recv().unwrap());
    worker.join().unwrap();
    assert_eq!(handle.generation(), 1);
    assert_eq!(handle.load().len(), 20);
    // Whoever held the old index still has it, whole.
    assert_eq!(before.len(), 8);
}

#[test]
fn the_index_read_on_two_threads_holds_every_pole_once() {
    let (_d, path) = tmp();
    let store = load(&path, &poles_csv(2000)).unwrap();
    let mid = store
        .code_midpoint()
        .unwrap()
        .expect("2000 codes can be split");
    assert!(
        mid.as_str() > "2010001" && mid.as_str() <= "2012000",
        "{mid}"
    );
    let idx = SearchIndex::from_store(&store).unwrap();
    assert_eq!(idx.len(), 2000);
    for n in [1, 999, 1000, 1001, 2000] {
        let id = idx.lookup(&format!("2-01-{n:04}")).unwrap();
        assert_eq!(idx.pole(id).pole_no(), Some(n));
        assert_eq!(idx.pole(id).cross_street(), "南京西路");
    }
    assert_eq!(idx.position_counts().surveyed, 500);
}

#[test]
fn an_index_built_while_imports_commit_holds_one_data_version_throughout() {
    let (_d, path) = tmp();
    let store = load(&path, &poles_csv(2000)).unwrap();
    assert!(
        store.code_midpoint().unwrap().is_some(),
        "read on two threads"
    );
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A writer commits new versions as fast as it can: version v sets every landmark to "vV".
    let writer = {
        let (path, stop) = (path.clone(), std::sync::Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut c = rusqlite::Connection::open(&path).unwrap();
            c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
            let mut v = 2i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let tx = c.transaction().unwrap();
                tx.execute("UPDATE poles SET landmark = ?1", [format!("v{v}")])
                    .unwrap();
                tx.execute(
                    "INSERT INTO versions(version, applied_at, applied_by, source_name,
                         source_sha256, added, changed, removed)
                     VALUES (?1, '2026-12-01T00:00:00Z', 'test', 't', '', 0, 2000, 0)",
                    [v],
                )
                .unwrap();
                tx.commit().unwrap();
                v += 1;
            }
            v
        })
    };
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let idx = SearchIndex::from_store(&store).unwrap();
        let v = idx.info().data_version;
        if v < 2 {
            continue;
        }
        seen.insert(v);
        for n in [1, 999, 1000, 1001, 2000] {
            let id = idx.lookup(&format!("2-01-{n:04}")).unwrap();
            assert_eq!(
                idx.pole(id).landmark(),
                format!("v{v}"),
                "pole {n} of an index that says data version {v}"
            );
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(written > 3, "the writer committed versions meanwhile");
    assert!(!seen.is_empty(), "indexes were built at later versions");
}

#[test]
fn a_database_of_schema_version_1_migrates_and_keeps_its_poles() {
    let (_d, path) = tmp();
    {
        // The file as the previous program wrote it: migration 1 only.
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(lamppost_data::store::schema::MIGRATIONS[0])
            .unwrap();
        c.execute_batch(
            "INSERT INTO streets(street_code, name) VALUES ('01', '中山路');
             INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
                                  added, changed, removed)
                 VALUES (1, '2026-01-01T00:00:00Z', 't', 'seed.csv', '', 1, 0, 0);
             INSERT INTO poles(code, code_display, street_code, pole_no, lat_deg, lon_deg, version)
                 VALUES ('1010012', '1-01-0012', '01', 12, 25.04, 121.51, 1);
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let poles = |s: &Store| {
        let mut out = Vec::new();
        s.for_each_pole(|p| out.push((p.code.key().to_owned(), p.pole_no, p.pole_label)))
            .unwrap();
        out
    };
    let want = vec![("1010012".to_owned(), Some(12), String::new())];
    // Read-only (a call-taker's workstation) reads it without migrating it.
    let ro = Store::open(&path, Access::ReadOnly).unwrap();
    assert_eq!(poles(&ro), want);
    assert_eq!(SearchIndex::from_store(&ro).unwrap().len(), 1);
    drop(ro);
    let version = |p: &Path| -> u32 {
        rusqlite::Connection::open(p)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&path), 1);
    // Read-write migrates it; the pole is unchanged and the new column is empty.
    let rw = Store::open(&path, Access::ReadWrite).unwrap();
    assert_eq!(poles(&rw), want);
    drop(rw);
    assert_eq!(
        version(&path),
        lamppost_data::store::schema::latest_version()
    );
    assert_eq!(version(&path), 2);
}

#[test]
fn pole_numbers_with_suffixes_load_and_keep_their_spelling() {
    let (_d, path) = tmp();
    let mut csv = poles_csv(2);
    csv.push_str(
        "2-01-0103F,01,重慶北路一段,103F,西,,,,,,,,\n2-01-5701,01,重慶北路一段,570/1,东,,,,,,,,\n",
    );
    let store = load(&path, &csv).unwrap();
    let mut got = Vec::new();
    store
        .for_each_pole(|p| got.push((p.code.display().to_owned(), p.pole_no, p.pole_label)))
        .unwrap();
    got.sort();
    assert!(
        got.contains(&("2-01-0103F".into(), Some(103), "103F".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("2-01-5701".into(), Some(570), "570/1".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("2-01-0001".into(), Some(1), String::new())),
        "{got:?}"
    );
}
