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
    let m = src.export_package(&pkg, "王主任", None).unwrap();
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
    let done = install_package(&pkg, &db, Install::default()).unwrap();
    assert_eq!((done.from_version, done.to_version), (0, 1));
    let s = Store::open(&db, Access::ReadOnly).unwrap();
    assert_eq!(s.counts().unwrap().codes, src.counts().unwrap().codes);
}

#[test]
fn a_newer_package_replaces_the_data_and_keeps_the_previous() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_v2(&dir.path().join("supervisor.sqlite"));
    let pkg = dir.path().join("v2.sqlite");
    src.export_package(&pkg, "test", None).unwrap();

    let db = dir.path().join("lamppost.sqlite");
    create_demo_database(&db, "test").unwrap();
    // Another process has the database open for reading throughout.
    let reader = Store::open(&db, Access::ReadOnly).unwrap();
    assert_eq!(reader.data_version().unwrap(), 1);

    let done = install_package(&pkg, &db, Install::default()).unwrap();
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
    src.export_package(&pkg, "test", None).unwrap();
    let db = dir.path().join("lamppost.sqlite");
    demo_v2(&db);
    let e = install_package(&pkg, &db, Install::default()).unwrap_err();
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
    let done = install_package(&pkg, &db, FORCE).unwrap();
    assert_eq!(done.to_version, 1);
    assert_eq!(note_of(&db, "2450034"), "");
}

#[test]
fn a_damaged_package_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = demo_v2(&dir.path().join("src.sqlite"));
    let pkg = dir.path().join("v2.sqlite");
    src.export_package(&pkg, "test", None).unwrap();
    let mut bytes = std::fs::read(&pkg).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0xFF;
    std::fs::write(&pkg, &bytes).unwrap();

    let db = dir.path().join("lamppost.sqlite");
    create_demo_database(&db, "test").unwrap();
    let e = install_package(&pkg, &db, FORCE).unwrap_err();
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
    let e = install_package(&pkg, &db, FORCE).unwrap_err();
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
    src.export_package(&pkg, "test", None).unwrap();
    let db = dir.path().join("lamppost.sqlite");
    create_demo_database(&db, "test").unwrap();
    let e = install_package(&pkg, &db, Install::default()).unwrap_err();
    assert!(matches!(e, PackageError::OtherDataset { .. }), "{e}");
    assert!(install_package(&pkg, &db, FORCE).is_ok());
}

#[test]
fn exporting_never_overwrites_and_the_watcher_finds_the_newest_package() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    let (v1, _) = create_demo_database(&dir.path().join("a.sqlite"), "test").unwrap();
    v1.export_package(&share.join("v1.sqlite"), "test", None)
        .unwrap();
    assert!(matches!(
        v1.export_package(&share.join("v1.sqlite"), "test", None),
        Err(PackageError::Store(StoreError::Exists(_)))
    ));
    let v2 = demo_v2(&dir.path().join("b.sqlite"));
    v2.export_package(&share.join("v2.sqlite"), "test", None)
        .unwrap();
    std::fs::write(share.join("notes.json"), b"{\"unrelated\": true}").unwrap();

    let (found, m) = newest_package_in(&share, 1).unwrap();
    assert_eq!(found, share.join("v2.sqlite"));
    assert_eq!(m.data_version, 2);
    assert!(newest_package_in(&share, 2).is_none());
    assert!(newest_package_in(&dir.path().join("no-such-share"), 0).is_none());
}

// ---------------------------------------------------------------------------------------------
// Attacks: a package made elsewhere, with a manifest that matches it (whoever can write the
// share can write both). Each is refused, or defused, and the live database is unchanged.

/// Runs `sql` on an exported package and rewrites its manifest to match, as an attacker would.
fn tamper(pkg: &Path, sql: &str) {
    let c = Connection::open(pkg).unwrap();
    c.execute_batch(sql).unwrap();
    drop(c);
    reseal(pkg);
}

/// Rewrites the manifest's size and hash to match the package file.
fn reseal(pkg: &Path) {
    let mf = manifest_path(pkg);
    let mut m: Manifest = serde_json::from_slice(&std::fs::read(&mf).unwrap()).unwrap();
    let (sha, bytes) = hash_file(pkg).unwrap();
    m.sha256 = sha;
    m.bytes = bytes;
    std::fs::write(&mf, serde_json::to_vec(&m).unwrap()).unwrap();
}

/// Every table's rows, hashed: the live database before and after a refused install.
fn tables_hash(db: &Path) -> String {
    let c = Connection::open(db).unwrap();
    let mut h = Sha256::new();
    for t in ["meta", "streets", "poles", "versions", "pole_history"] {
        let mut st = c
            .prepare(&format!("SELECT * FROM {t} ORDER BY 1, 2"))
            .unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i).unwrap();
                h.update(format!("{v:?}|").as_bytes());
            }
        }
    }
    hex(&h.finalize())
}

/// A workstation at version 1, and a version-2 package of the same dataset.
fn workstation_and_package(dir: &Path) -> (PathBuf, PathBuf) {
    let src = demo_v2(&dir.join("supervisor.sqlite"));
    let pkg = dir.join("v2.sqlite");
    src.export_package(&pkg, "test", None).unwrap();
    let db = dir.join("lamppost.sqlite");
    create_demo_database(&db, "test").unwrap();
    (db, pkg)
}

#[test]
fn a_package_carrying_a_trigger_is_refused_by_verify_and_install() {
    let dir = tempfile::tempdir().unwrap();
    let (db, pkg) = workstation_and_package(dir.path());
    // The attack that worked: on the next import every surveyed pole moves to 0,0.
    tamper(
        &pkg,
        "CREATE TRIGGER t AFTER INSERT ON versions BEGIN
             UPDATE poles SET lat_deg = 0, lon_deg = 0 WHERE lat_deg IS NOT NULL;
         END;",
    );
    let before = tables_hash(&db);
    for e in [
        verify_package(&pkg).unwrap_err(),
        install_package(&pkg, &db, FORCE).unwrap_err(),
    ] {
        assert!(matches!(e, PackageError::Foreign { .. }), "{e}");
        assert!(e.to_string().contains("+trigger t"), "{e}");
        assert!(e.to_string().contains("不属于灯杆数据"), "{e}");
    }
    assert_eq!(tables_hash(&db), before);
    let live = Store::open(&db, Access::ReadOnly).unwrap();
    assert!(
        schema_objects(&live.conn)
            .unwrap()
            .iter()
            .all(|o| o.0 != "trigger"),
        "no trigger reached the live database"
    );
}

#[test]
fn a_package_with_a_view_an_extra_table_or_missing_tables_is_refused() {
    for sql in [
        "CREATE VIEW v AS SELECT * FROM poles;",
        "CREATE TABLE junk(x);",
        "DROP TABLE pole_history; DROP TABLE poles; DROP TABLE streets;",
        "DROP INDEX poles_by_street;",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (db, pkg) = workstation_and_package(dir.path());
        tamper(&pkg, sql);
        let before = tables_hash(&db);
        let e = install_package(&pkg, &db, FORCE).unwrap_err();
        assert!(matches!(e, PackageError::Foreign { .. }), "{sql}: {e}");
        assert_eq!(tables_hash(&db), before, "{sql}");
    }
}

#[test]
fn bytes_appended_after_the_database_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (db, pkg) = workstation_and_package(dir.path());
    let mut f = std::fs::OpenOptions::new().append(true).open(&pkg).unwrap();
    std::io::Write::write_all(&mut f, &[0x4d; 4096]).unwrap();
    drop(f);
    reseal(&pkg);
    let e = install_package(&pkg, &db, FORCE).unwrap_err();
    assert!(e.to_string().contains("bytes after the database"), "{e}");
}

#[test]
fn credentials_never_travel_in_a_package() {
    let dir = tempfile::tempdir().unwrap();
    // The supervisor's own password never leaves in an export.
    let mut src = demo_v2(&dir.path().join("supervisor.sqlite"));
    src.set_supervisor_password("总部的密码123", None).unwrap();
    let pkg = dir.path().join("v2.sqlite");
    src.export_package(&pkg, "test", None).unwrap();
    let raw = std::fs::read(&pkg).unwrap();
    assert!(
        !raw.windows(b"argon2".len()).any(|w| w == b"argon2"),
        "no hash in the package's bytes"
    );

    // A crafted package with the attacker's hash does not replace the workstation's password.
    let mut attacker = Store::create(&dir.path().join("attacker.sqlite")).unwrap();
    attacker
        .set_supervisor_password("attacker-pass", None)
        .unwrap();
    let evil_hash = attacker.meta("supervisor_password").unwrap().unwrap();
    tamper(
        &pkg,
        &format!(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('supervisor_password', '{evil_hash}');
             INSERT OR REPLACE INTO meta(key, value) VALUES ('supervisor_failures', '0');"
        ),
    );
    let db = dir.path().join("lamppost.sqlite");
    let (mut ws, _) = create_demo_database(&db, "test").unwrap();
    ws.set_supervisor_password("本机的密码456", None).unwrap();
    assert!(ws.verify_supervisor("wrong").is_err());
    drop(ws);
    install_package(&pkg, &db, Install::default()).unwrap();
    let mut ws = Store::open(&db, Access::ReadWrite).unwrap();
    assert_eq!(ws.data_version().unwrap(), 2, "the data was installed");
    assert_eq!(
        ws.supervisor_failures().unwrap(),
        1,
        "the local count stays"
    );
    assert!(ws.verify_supervisor("attacker-pass").is_err());
    ws.verify_supervisor("本机的密码456").unwrap();

    // A package with no password does not remove the workstation's.
    let src3 = demo_v2(&dir.path().join("s3.sqlite"));
    src3.conn
        .execute_batch(
            "INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
                 added, changed, removed)
             VALUES (3, '2026-11-29T00:00:00Z', 'test', 'x.csv', '', 0, 0, 0);",
        )
        .unwrap();
    let pkg3 = dir.path().join("v3.sqlite");
    src3.export_package(&pkg3, "test", None).unwrap();
    drop(ws);
    install_package(&pkg3, &db, Install::default()).unwrap();
    let mut ws = Store::open(&db, Access::ReadWrite).unwrap();
    assert!(ws.has_supervisor_password().unwrap());
    ws.verify_supervisor("本机的密码456").unwrap();
}

#[test]
fn a_new_workstation_takes_no_credential_from_a_package() {
    let dir = tempfile::tempdir().unwrap();
    let (_, pkg) = workstation_and_package(dir.path());
    tamper(
        &pkg,
        "INSERT INTO meta(key, value) VALUES ('supervisor_password', '$argon2id$v=19$m=1,t=1,p=1$x$y');",
    );
    let db = dir.path().join("new").join("lamppost.sqlite");
    install_package(&pkg, &db, Install::default()).unwrap();
    let s = Store::open(&db, Access::ReadOnly).unwrap();
    assert!(!s.has_supervisor_password().unwrap());
}

const FORCE: Install = Install {
    force: true,
    require_signature: false,
};

// ---------------------------------------------------------------------------------------------
// Signatures: a workstation that pinned the centre's key takes only packages it signed.

#[test]
fn a_pinned_workstation_takes_only_packages_signed_by_the_centre() {
    let dir = tempfile::tempdir().unwrap();
    let centre = crate::store::signing::generate_key(&dir.path().join("centre.key")).unwrap();
    let forger = crate::store::signing::generate_key(&dir.path().join("forger.key")).unwrap();
    let src = demo_v2(&dir.path().join("supervisor.sqlite"));
    let db = dir.path().join("lamppost.sqlite");
    let (ws, _) = create_demo_database(&db, "test").unwrap();
    ws.trust_package_key(&centre.public_hex()).unwrap();
    drop(ws);
    let before = tables_hash(&db);

    // Unsigned, signed by someone else, and signed but altered afterwards: all refused.
    let unsigned = dir.path().join("unsigned.sqlite");
    src.export_package(&unsigned, "test", None).unwrap();
    let e = install_package(&unsigned, &db, FORCE).unwrap_err();
    assert!(matches!(e, PackageError::Unsigned(_)), "{e}");
    let forged = dir.path().join("forged.sqlite");
    src.export_package(&forged, "test", Some(&forger)).unwrap();
    let e = install_package(&forged, &db, FORCE).unwrap_err();
    assert!(matches!(e, PackageError::BadSignature(_)), "{e}");
    assert!(e.to_string().contains("does not match"), "{e}");
    let altered = dir.path().join("altered.sqlite");
    src.export_package(&altered, "test", Some(&centre)).unwrap();
    let c = Connection::open(&altered).unwrap();
    c.execute_batch("UPDATE poles SET lat_deg = 0, lon_deg = 0 WHERE lat_deg IS NOT NULL;")
        .unwrap();
    drop(c);
    let e = install_package(&altered, &db, FORCE).unwrap_err();
    assert!(matches!(e, PackageError::Checksum(_)), "{e}");
    // The attacker rewrites the manifest's hash too: now the signature no longer matches.
    let m: Manifest =
        serde_json::from_slice(&std::fs::read(manifest_path(&altered)).unwrap()).unwrap();
    assert!(!m.signature.is_empty());
    reseal(&altered);
    let e = install_package(&altered, &db, FORCE).unwrap_err();
    assert!(matches!(e, PackageError::BadSignature(_)), "{e}");
    assert_eq!(tables_hash(&db), before, "nothing was installed");

    // The centre's own package goes in, and the pin stays after it.
    let good = dir.path().join("good.sqlite");
    src.export_package(&good, "test", Some(&centre)).unwrap();
    let done = install_package(&good, &db, Install::default()).unwrap();
    assert_eq!(
        done.signed_by.as_deref(),
        Some(centre.public_hex().as_str())
    );
    let ws = Store::open(&db, Access::ReadOnly).unwrap();
    assert_eq!(ws.data_version().unwrap(), 2);
    assert_eq!(ws.trusted_package_key().unwrap(), Some(centre.public_hex()));
}

#[test]
fn without_a_pinned_key_the_watched_folder_installs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (db, pkg) = workstation_and_package(dir.path());
    let before = tables_hash(&db);
    let e = install_package(
        &pkg,
        &db,
        Install {
            force: false,
            require_signature: true,
        },
    )
    .unwrap_err();
    assert!(matches!(e, PackageError::NoTrustedKey(_)), "{e}");
    assert_eq!(tables_hash(&db), before);
}

#[test]
fn a_package_cannot_pin_its_own_key() {
    let dir = tempfile::tempdir().unwrap();
    let centre = crate::store::signing::generate_key(&dir.path().join("centre.key")).unwrap();
    let forger = crate::store::signing::generate_key(&dir.path().join("forger.key")).unwrap();
    let (db, pkg) = workstation_and_package(dir.path());
    let ws = Store::open(&db, Access::ReadWrite).unwrap();
    ws.trust_package_key(&centre.public_hex()).unwrap();
    drop(ws);
    // A centre-signed package whose data names the forger's key as trusted: the local pin stays.
    let src = Store::open(&dir.path().join("supervisor.sqlite"), Access::ReadWrite).unwrap();
    src.trust_package_key(&forger.public_hex()).unwrap();
    let pkg2 = dir.path().join("v2-signed.sqlite");
    src.export_package(&pkg2, "test", Some(&centre)).unwrap();
    let _ = pkg;
    install_package(&pkg2, &db, Install::default()).unwrap();
    let ws = Store::open(&db, Access::ReadOnly).unwrap();
    assert_eq!(ws.trusted_package_key().unwrap(), Some(centre.public_hex()));
}
