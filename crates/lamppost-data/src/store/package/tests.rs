use super::*;
use crate::demo::create_demo_database;

/// The demo database, then a "version 2" that moves one pole and names it, as an import would.
fn demo_v2(path: &Path) -> Store {
    let (store, _) = create_demo_database(path, "test").unwrap();
    store
        .conn
        .execute_batch(
            "INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
                 added, changed, removed)
             VALUES (2, '2026-11-28T00:00:00Z', 'test', 'survey.csv', '', 0, 1, 0);
             UPDATE poles SET note = 'v2', version = 2 WHERE code = '2450034';
             INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', '2');",
        )
        .unwrap();
    store
}

fn note_of(db: &Path, code: &str) -> String {
    let s = Store::open(db, Access::ReadOnly).unwrap();
    s.conn
        .query_row("SELECT note FROM poles WHERE code = ?1", [code], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn a_package_installs_on_a_workstation_that_has_no_data_yet() {
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = create_demo_database(&dir.path().join("src.sqlite"), "test").unwrap();
    let pkg = dir.path().join("out").join("台北 v1.sqlite");
    let m = src.export_package(&pkg, "王主任").unwrap();
    assert_eq!(m.data_version, 1);
    assert_eq!(m.created_by, "王主任");
    assert!(manifest_path(&pkg).is_file());
    assert!(
        !dir.path()
            .join("out")
            .join("台北 v1.sqlite.partial")
            .exists()
    );

    let db = dir.path().join("ws").join("lamppost.sqlite");
    let done = install_package(&pkg, &db, false).unwrap();
    assert_eq!((done.from_version, done.to_version), (0, 1));
    let s = Store::open(&db, Access::ReadOnly).unwrap();
    assert_eq!(s.counts().unwrap().codes, src.counts().unwrap().codes);
}

#[test]
fn a_newer_package_replaces_the_data_and_keeps_the_previous() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_v2(&dir.path().join("supervisor.sqlite"));
    let pkg = dir.path().join("v2.sqlite");
    src.export_package(&pkg, "test").unwrap();

    let db = dir.path().join("lamppost.sqlite");
    create_demo_database(&db, "test").unwrap();
    // Another process has the database open for reading throughout.
    let reader = Store::open(&db, Access::ReadOnly).unwrap();
    assert_eq!(reader.data_version().unwrap(), 1);

    let done = install_package(&pkg, &db, false).unwrap();
    assert_eq!((done.from_version, done.to_version), (1, 2));
    assert_eq!(
        reader.data_version().unwrap(),
        2,
        "the reader sees the new data"
    );
    assert_eq!(note_of(&db, "2450034"), "v2");
    Store::open(&db, Access::ReadOnly)
        .unwrap()
        .integrity_check()
        .unwrap();
    let previous = done.previous.unwrap();
    assert_eq!(previous, previous_path(&db));
    let prev = Store::open(&previous, Access::ReadOnly).unwrap();
    assert_eq!(prev.data_version().unwrap(), 1);
    assert_eq!(note_of(&previous, "2450034"), "");
}

#[test]
fn an_equal_or_older_package_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (src, _) = create_demo_database(&dir.path().join("src.sqlite"), "test").unwrap();
    let pkg = dir.path().join("v1.sqlite");
    src.export_package(&pkg, "test").unwrap();
    let db = dir.path().join("lamppost.sqlite");
    demo_v2(&db);
    let e = install_package(&pkg, &db, false).unwrap_err();
    assert!(
        matches!(
            e,
            PackageError::NotNewer {
                package: 1,
                installed: 2
            }
        ),
        "{e}"
    );
    assert_eq!(note_of(&db, "2450034"), "v2", "nothing changed");
    let done = install_package(&pkg, &db, true).unwrap();
    assert_eq!(done.to_version, 1);
    assert_eq!(note_of(&db, "2450034"), "");
}

#[test]
fn a_damaged_package_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_v2(&dir.path().join("src.sqlite"));
    let pkg = dir.path().join("v2.sqlite");
    src.export_package(&pkg, "test").unwrap();
    let mut bytes = std::fs::read(&pkg).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xFF;
    std::fs::write(&pkg, &bytes).unwrap();

    let db = dir.path().join("lamppost.sqlite");
    create_demo_database(&db, "test").unwrap();
    let e = install_package(&pkg, &db, true).unwrap_err();
    assert!(matches!(e, PackageError::Checksum(_)), "{e}");
    assert!(e.to_string().contains("校验失败"));
    assert_eq!(
        Store::open(&db, Access::ReadOnly)
            .unwrap()
            .data_version()
            .unwrap(),
        1
    );

    std::fs::remove_file(manifest_path(&pkg)).unwrap();
    let e = install_package(&pkg, &db, true).unwrap_err();
    assert!(matches!(e, PackageError::Manifest { .. }), "{e}");
}

#[test]
fn a_package_of_another_dataset_is_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_v2(&dir.path().join("src.sqlite"));
    src.conn
        .execute("UPDATE meta SET value = '别的城市' WHERE key = 'name'", [])
        .unwrap();
    let pkg = dir.path().join("other.sqlite");
    src.export_package(&pkg, "test").unwrap();
    let db = dir.path().join("lamppost.sqlite");
    create_demo_database(&db, "test").unwrap();
    let e = install_package(&pkg, &db, false).unwrap_err();
    assert!(matches!(e, PackageError::OtherDataset { .. }), "{e}");
    assert!(install_package(&pkg, &db, true).is_ok());
}

#[test]
fn exporting_never_overwrites_and_the_watcher_finds_the_newest_package() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    let (v1, _) = create_demo_database(&dir.path().join("a.sqlite"), "test").unwrap();
    v1.export_package(&share.join("v1.sqlite"), "test").unwrap();
    assert!(matches!(
        v1.export_package(&share.join("v1.sqlite"), "test"),
        Err(PackageError::Store(StoreError::Exists(_)))
    ));
    let v2 = demo_v2(&dir.path().join("b.sqlite"));
    v2.export_package(&share.join("v2.sqlite"), "test").unwrap();
    std::fs::write(share.join("notes.json"), b"{\"unrelated\": true}").unwrap();

    let (found, m) = newest_package_in(&share, 1).unwrap();
    assert_eq!(found, share.join("v2.sqlite"));
    assert_eq!(m.data_version, 2);
    assert!(newest_package_in(&share, 2).is_none());
    assert!(newest_package_in(&dir.path().join("no-such-share"), 0).is_none());
}
