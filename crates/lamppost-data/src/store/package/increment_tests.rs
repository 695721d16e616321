//! Incremental packages: applied in one transaction, or refused with the tables unchanged.

use super::*;
use crate::demo::create_demo_database;
use crate::store::signing::{CentreKey, generate_key};

/// Every table's rows and the schema, hashed: the live database before and after a refused
/// install.
fn tables_hash(db: &Path) -> String {
    let c = Connection::open(db).unwrap();
    let mut h = Sha256::new();
    for t in [
        "meta",
        "streets",
        "poles",
        "versions",
        "pole_history",
        "sqlite_schema",
    ] {
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

/// The centre's data moves on one version: a pole changed, one removed, one added on a new
/// street, with their history rows, as an import writes them.
fn next_version(centre: &Path, version: i64) {
    let c = Connection::open(centre).unwrap();
    c.execute_batch(&format!(
        "PRAGMA foreign_keys = ON;
         INSERT INTO versions(version, applied_at, applied_by, source_name, source_sha256,
             added, changed, removed)
         VALUES ({version}, '2026-12-0{version}T00:00:00Z', 'test', 'survey.csv', '', 1, 1, 1);
         UPDATE poles SET note = 'v{version}', version = {version} WHERE code = '2450034';
         INSERT INTO pole_history(version, code, op, before, after)
             VALUES ({version}, '2450034', 'change', '{{}}', '{{\"note\":\"v{version}\"}}');
         DELETE FROM poles WHERE code = (SELECT max(code) FROM poles WHERE code <> '2450034'
             AND code NOT LIKE 'NEW%');
         INSERT INTO streets(street_code, name) VALUES ('S{version}', '新路{version}');
         INSERT INTO poles(code, code_display, street_code, pole_no, lat_deg, lon_deg, version)
             VALUES ('NEW{version}', 'NEW{version}', 'S{version}', 1, 25.05, 121.5, {version});
         INSERT INTO pole_history(version, code, op, before, after)
             VALUES ({version}, 'NEW{version}', 'add', NULL, '{{}}');
         INSERT OR REPLACE INTO meta(key, value) VALUES ('data_version', '{version}');"
    ))
    .unwrap();
}

struct Setup {
    _dir: tempfile::TempDir,
    centre: PathBuf,
    share: PathBuf,
    ws: PathBuf,
    key: CentreKey,
}

/// A centre at version 1 with a supervisor password, its signed full package v1 on the share,
/// and a workstation that pinned the centre's key and installed it.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let centre = dir.path().join("centre.sqlite");
    let (mut s, _) = create_demo_database(&centre, "test").unwrap();
    s.set_supervisor_password("centre-secret", None).unwrap();
    let key = generate_key(&dir.path().join("centre.key")).unwrap();
    let share = dir.path().join("share");
    s.export_package(&share.join("v1.sqlite"), "test", Some(&key))
        .unwrap();
    drop(s);
    let ws = dir.path().join("ws.sqlite");
    install_package(&share.join("v1.sqlite"), &ws, Install::default()).unwrap();
    Store::open(&ws, Access::ReadWrite)
        .unwrap()
        .trust_package_key(&key.public_hex())
        .unwrap();
    Setup {
        _dir: dir,
        centre,
        share,
        ws,
        key,
    }
}

impl Setup {
    fn centre(&self) -> Store {
        Store::open(&self.centre, Access::ReadOnly).unwrap()
    }

    /// Moves the centre to `version` and exports the increment from `base` (a full package
    /// on the share).
    fn increment(&self, version: i64, base: &str) -> PathBuf {
        next_version(&self.centre, version);
        let out = self.share.join(format!("v{version}-from-{base}"));
        self.centre()
            .export_increment(&self.share.join(base), &out, "test", &self.key)
            .unwrap();
        out
    }

    #[allow(clippy::unused_self)]
    fn content(&self, db: &Path) -> String {
        Store::open(db, Access::ReadOnly)
            .unwrap()
            .content_hash()
            .unwrap()
    }
}

const HOW: Install = Install {
    force: false,
    require_signature: true,
};

/// Rewrites an incremental package's manifest with `edit` and signs it again with `key`.
fn resign(pkg: &Path, key: &CentreKey, edit: impl FnOnce(&mut Manifest)) {
    let mf = manifest_path(pkg);
    let mut m: Manifest = serde_json::from_slice(&std::fs::read(&mf).unwrap()).unwrap();
    edit(&mut m);
    let bytes = std::fs::read(pkg).unwrap();
    m.bytes = bytes.len() as u64;
    m.sha256 = hash_bytes(&bytes);
    key.sign(&mut m);
    std::fs::write(&mf, serde_json::to_vec(&m).unwrap()).unwrap();
}

#[test]
fn an_increment_applies_in_one_step_to_the_centres_content_and_keeps_local_credentials() {
    let t = setup();
    let inc = t.increment(2, "v1.sqlite");
    let m = verify_package(&inc).unwrap();
    assert!(m.is_increment());
    assert_eq!((m.base_version, m.data_version), (Some(1), 2));
    assert_eq!(m.base_content, t.content(&t.share.join("v1.sqlite")));
    assert_eq!(m.content, t.content(&t.centre));
    // Far smaller than the snapshot.
    let full = std::fs::metadata(t.share.join("v1.sqlite")).unwrap().len();
    assert!(m.bytes * 10 < full, "{} vs {full}", m.bytes);

    // The full package brought the sum of its rows, current: the base check reads no row.
    let c = Connection::open(&t.ws).unwrap();
    assert_eq!(
        content::stored_rows_sum(&c, "main").unwrap(),
        Some(content::rows_sum(&c, "main").unwrap())
    );
    drop(c);
    let done = install_package(&inc, &t.ws, HOW).unwrap();
    assert_eq!((done.from_version, done.to_version), (1, 2));
    assert!(done.fallback.is_none());
    assert_eq!(done.signed_by, Some(t.key.public_hex()));
    assert_eq!(
        t.content(&t.ws),
        t.content(&t.centre),
        "same data as the centre"
    );
    let ws = Store::open(&t.ws, Access::ReadOnly).unwrap();
    assert_eq!(ws.data_version().unwrap(), 2);
    assert!(!ws.has_supervisor_password().unwrap(), "no credential came");
    assert_eq!(ws.trusted_package_key().unwrap(), Some(t.key.public_hex()));
    ws.integrity_check().unwrap();
    let n: i64 = ws
        .conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'lamppost_incoming%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0, "the staging tables are gone");
    // The row sum kept for the next increment is the one every row gives.
    assert_eq!(
        content::stored_rows_sum(&ws.conn, "main").unwrap(),
        Some(content::rows_sum(&ws.conn, "main").unwrap())
    );
    drop(ws);

    // And the next one on top of it, from the full v2 package.
    t.centre()
        .export_package(&t.share.join("v2.sqlite"), "test", Some(&t.key))
        .unwrap();
    let inc3 = t.increment(3, "v2.sqlite");
    install_package(&inc3, &t.ws, HOW).unwrap();
    assert_eq!(t.content(&t.ws), t.content(&t.centre));
}

#[test]
fn an_increment_for_another_base_is_refused_and_the_full_package_beside_it_installed() {
    let t = setup();
    next_version(&t.centre, 2);
    t.centre()
        .export_package(&t.share.join("v2.sqlite"), "test", Some(&t.key))
        .unwrap();
    let inc = t.increment(3, "v2.sqlite");
    let before = tables_hash(&t.ws);
    // The workstation is at 1: refused, nothing changed (no full v3 yet).
    let e = install_package(&inc, &t.ws, HOW).unwrap_err();
    assert!(
        matches!(
            e,
            PackageError::WrongBase {
                base: 2,
                installed: 1
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("install the full package"), "{e}");
    assert_eq!(tables_hash(&t.ws), before);
    // With the full v3 package in the folder, the install falls back to it.
    t.centre()
        .export_package(&t.share.join("v3.sqlite"), "test", Some(&t.key))
        .unwrap();
    let done = install_package(&inc, &t.ws, HOW).unwrap();
    let fb = done.fallback.unwrap();
    assert_eq!(fb.full, t.share.join("v3.sqlite"));
    assert!(
        fb.reason.contains("applies to data version 2"),
        "{}",
        fb.reason
    );
    assert_eq!(done.to_version, 3);
    assert_eq!(t.content(&t.ws), t.content(&t.centre));
}

#[test]
fn a_tampered_or_badly_signed_increment_is_refused_with_the_tables_unchanged() {
    let t = setup();
    let inc = t.increment(2, "v1.sqlite");
    let before = tables_hash(&t.ws);
    let original = std::fs::read(&inc).unwrap();
    let manifest = std::fs::read(manifest_path(&inc)).unwrap();

    // A byte of the changeset changed: the checksum fails.
    let mut bytes = original.clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&inc, &bytes).unwrap();
    let e = install_package(&inc, &t.ws, HOW).unwrap_err();
    assert!(matches!(e, PackageError::Checksum(_)), "{e}");
    assert_eq!(tables_hash(&t.ws), before);

    // ... and the manifest's hash rewritten to match, by someone without the key.
    let forger = generate_key(&t.share.join("../forger.key")).unwrap();
    resign(&inc, &forger, |_| {});
    let e = install_package(&inc, &t.ws, HOW).unwrap_err();
    assert!(matches!(e, PackageError::BadSignature(_)), "{e}");
    assert_eq!(tables_hash(&t.ws), before);

    // Unsigned.
    let mut m: Manifest = serde_json::from_slice(&manifest).unwrap();
    m.signature.clear();
    m.signer.clear();
    std::fs::write(&inc, &original).unwrap();
    std::fs::write(manifest_path(&inc), serde_json::to_vec(&m).unwrap()).unwrap();
    let e = install_package(&inc, &t.ws, HOW).unwrap_err();
    assert!(matches!(e, PackageError::Unsigned(_)), "{e}");
    // Unsigned increments are refused even where no key is pinned (--allow-unsigned).
    let fresh = t.share.join("../fresh.sqlite");
    install_package(&t.share.join("v1.sqlite"), &fresh, Install::default()).unwrap();
    std::fs::remove_file(crate::store::auth::key_file_beside(&fresh)).ok();
    let e = install_package(&inc, &fresh, Install::default()).unwrap_err();
    assert!(matches!(e, PackageError::NoTrustedKey(_)), "{e}");
    assert_eq!(tables_hash(&t.ws), before);

    // Even signed by the centre, a manifest naming another result is undone.
    std::fs::write(manifest_path(&inc), &manifest).unwrap();
    resign(&inc, &t.key, |m| m.content = "00".repeat(32));
    let e = install_package(&inc, &t.ws, HOW).unwrap_err();
    assert!(matches!(e, PackageError::ResultDiffers(_)), "{e}");
    assert_eq!(tables_hash(&t.ws), before, "rolled back");
}

#[test]
fn an_increment_over_locally_changed_data_is_refused_as_a_base_mismatch_or_a_conflict() {
    let t = setup();
    let inc = t.increment(2, "v1.sqlite");
    let sum_of = |db: &Path| {
        let c = Connection::open(db).unwrap();
        c.query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [content::SUM_KEY],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
    };
    assert!(
        !sum_of(&t.ws).is_empty(),
        "the full package brought its sum"
    );

    // The workstation's copy was changed behind Lamppost's back: the pole the increment
    // changes. The changeset's old values do not match: a conflict, the transaction undone.
    let c = Connection::open(&t.ws).unwrap();
    c.execute("UPDATE poles SET note = 'local' WHERE code = '2450034'", [])
        .unwrap();
    let before = tables_hash(&t.ws);
    let e = install_package(&inc, &t.ws, HOW).unwrap_err();
    assert!(matches!(e, PackageError::Conflict { .. }), "{e}");
    assert!(e.to_string().contains("poles"), "{e}");
    assert_eq!(tables_hash(&t.ws), before);

    // A pole the increment does not touch, changed, and the stored sum stale (no sum, as after
    // an older package): the base is read whole, and differs.
    c.execute_batch(&format!(
        "UPDATE poles SET note = '' WHERE code = '2450034';
         UPDATE poles SET note = 'local' WHERE code = (SELECT min(code) FROM poles);
         DELETE FROM meta WHERE key = '{}';",
        content::SUM_KEY
    ))
    .unwrap();
    let before = tables_hash(&t.ws);
    let e = install_package(&inc, &t.ws, HOW).unwrap_err();
    assert!(matches!(e, PackageError::BaseDiffers(_)), "{e}");
    assert_eq!(tables_hash(&t.ws), before);

    // A stored sum that does not describe the base (edited, or the rows changed with it): the
    // base differs.
    c.execute_batch(&format!(
        "UPDATE poles SET note = '' WHERE code = (SELECT min(code) FROM poles);
         INSERT INTO meta(key, value) SELECT '{}', value || ' ' || '{}' FROM meta
             WHERE key = 'content_id';",
        content::SUM_KEY,
        "0".repeat(128)
    ))
    .unwrap();
    let e = install_package(&inc, &t.ws, HOW).unwrap_err();
    assert!(matches!(e, PackageError::BaseDiffers(_)), "{e}");

    // With the right sum back, the same increment applies and gives the centre's content.
    c.execute("DELETE FROM meta WHERE key = ?1", [content::SUM_KEY])
        .unwrap();
    drop(c);
    install_package(&inc, &t.ws, HOW).unwrap();
    assert_eq!(t.content(&t.ws), t.content(&t.centre));
}

#[test]
fn an_increment_carries_no_schema_and_no_credentials() {
    let t = setup();
    // The centre's database has a trigger and a table of someone else's (the attacks on full
    // packages): a changeset is rows only, so neither reaches the workstation.
    let c = Connection::open(&t.centre).unwrap();
    c.execute_batch(
        "CREATE TABLE evil(x); INSERT INTO evil VALUES (1);
         CREATE TRIGGER t AFTER UPDATE ON poles BEGIN SELECT 1; END;",
    )
    .unwrap();
    drop(c);
    let schema = |db: &Path| {
        let c = Connection::open(db).unwrap();
        schema_objects(&c).unwrap()
    };
    let ws_schema = schema(&t.ws);
    let inc = t.increment(2, "v1.sqlite");
    install_package(&inc, &t.ws, HOW).unwrap();
    assert_eq!(schema(&t.ws), ws_schema);

    // A centre-signed changeset that writes a credential and a table not ours: refused.
    let mem = Connection::open_in_memory().unwrap();
    mem.execute_batch(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE evil(x INTEGER PRIMARY KEY);",
    )
    .unwrap();
    let mut s = crate::store::session::Session::new(&mem).unwrap();
    s.attach("meta").unwrap();
    s.attach("evil").unwrap();
    mem.execute_batch(
        "INSERT INTO meta VALUES ('trusted_package_key', 'ff');
         INSERT INTO evil VALUES (1);",
    )
    .unwrap();
    let bytes = s.changeset().unwrap();
    drop(s);
    let bad = t.share.join("bad");
    std::fs::write(&bad, &bytes).unwrap();
    std::fs::copy(manifest_path(&inc), manifest_path(&bad)).unwrap();
    let ws = Store::open(&t.ws, Access::ReadOnly).unwrap();
    let installed = ws.data_version().unwrap();
    let content = ws.content_hash().unwrap();
    drop(ws);
    resign(&bad, &t.key, |m| {
        m.base_version = Some(installed);
        m.base_content = content;
        m.data_version = installed + 1;
    });
    let before = tables_hash(&t.ws);
    let e = install_package(&bad, &t.ws, HOW).unwrap_err();
    assert!(matches!(e, PackageError::Foreign { .. }), "{e}");
    assert!(e.to_string().contains("evil"), "{e}");
    assert_eq!(tables_hash(&t.ws), before);
    let ws = Store::open(&t.ws, Access::ReadOnly).unwrap();
    assert_eq!(ws.trusted_package_key().unwrap(), Some(t.key.public_hex()));
}

#[test]
fn the_watched_folder_prefers_an_increment_that_fits_and_else_the_full_package() {
    let t = setup();
    next_version(&t.centre, 2);
    t.centre()
        .export_package(&t.share.join("v2.sqlite"), "test", Some(&t.key))
        .unwrap();
    let inc = t.share.join("v2-from-v1");
    t.centre()
        .export_increment(&t.share.join("v1.sqlite"), &inc, "test", &t.key)
        .unwrap();
    let (p, m) = newest_package_in(&t.share, 1).unwrap();
    assert_eq!((p, m.is_increment()), (inc.clone(), true));
    // At another version, the increment does not fit: the full package is offered.
    let (p, m) = newest_package_in(&t.share, 0).unwrap();
    assert_eq!((p, m.is_increment()), (t.share.join("v2.sqlite"), false));
    assert!(newest_package_in(&t.share, 2).is_none());
}
