//! Data packages: how a supervisor's new data reaches the other workstations.
//!
//! A package is two files side by side: `NAME.sqlite`, a consistent snapshot of a reference
//! database (`VACUUM INTO`, so it holds no WAL and no free pages), and `NAME.sqlite.json`, its
//! manifest: dataset, data version, schema version, size and SHA-256. A workstation installs
//! it only after the hash matches, the snapshot passes `PRAGMA integrity_check`, its data
//! version is newer than what it has, and its schema is exactly ours, object by object: a
//! package is data, never code, so a trigger, a view, a table of someone else's or bytes after
//! the last page refuse it ([`PackageError::Foreign`]). The supervisor's credential and failure
//! count are this workstation's own: an export leaves them out, and an install keeps the local
//! ones whatever the package holds. Everything is checked on a private copy of the package,
//! the copy that is then installed, so a file swapped on the share after the check is never
//! what lands.
//!
//! Installing copies the snapshot *into* the live database with SQLite's online backup, in one
//! step: another process reading the database (the window's index rebuild, a lookup from the
//! command line) sees the old data or the new, never a mix, and nothing is renamed under it
//! (which Windows would refuse while the file is open). The data it replaced is kept beside it
//! as `lamppost.sqlite.previous` (itself a snapshot).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use lamppost_core::words::{Message, Words};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::CREDENTIAL_KEYS;
use super::signing::{CentreKey, check_signature};
use super::{Access, Store, StoreError, hex, schema};

/// What a package's manifest says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `lamppost-data-package`.
    pub format: String,
    /// Manifest format version (1).
    pub format_version: u32,
    /// Dataset name (from the database's meta).
    pub dataset: String,
    /// The data version the snapshot holds.
    pub data_version: i64,
    /// The schema version (`PRAGMA user_version`) of the snapshot.
    pub schema_version: u32,
    /// Number of pole codes.
    pub poles: i64,
    /// Size of the snapshot file in bytes.
    pub bytes: u64,
    /// SHA-256 of the snapshot file, lower-case hex.
    pub sha256: String,
    /// When it was made, UTC, RFC 3339.
    pub created_at: String,
    /// Who made it.
    pub created_by: String,
    /// The public key (hex) of the centre that signed it; empty when unsigned.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signer: String,
    /// The Ed25519 signature (hex) of the fields above ([`super::signing`]); empty when unsigned.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
    /// Incremental packages only: the data version the changes apply to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<i64>,
    /// Incremental packages only: the content hash ([`Store::content_hash`]) of that base.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub base_content: String,
    /// Incremental packages only: the content hash the data must have once applied.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub content: String,
}

impl Manifest {
    /// Whether this is an incremental package (a changeset) rather than a full snapshot.
    #[must_use]
    pub fn is_increment(&self) -> bool {
        self.format == INCREMENT_FORMAT
    }
}

const FORMAT: &str = "lamppost-data-package";

mod content;
mod increment;
pub use increment::INCREMENT_FORMAT;

/// Why a package cannot be made or installed. Messages are for a supervisor: Chinese, then
/// English, ending with the file.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum PackageError {
    /// The manifest is missing or unreadable.
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The file does not match its manifest's hash or size: damaged or altered in transit.
    Checksum(PathBuf),
    /// The package is not newer than the installed data.
    NotNewer {
        /// The package's data version.
        package: i64,
        /// The installed data version.
        installed: i64,
    },
    /// The package is for another dataset.
    OtherDataset {
        /// The package's dataset.
        package: String,
        /// The installed dataset.
        installed: String,
    },
    /// The snapshot holds more than Lamppost's data: schema objects that are not ours (a
    /// trigger, a view, another table), tables of ours missing, or bytes after the database.
    Foreign {
        /// The package file.
        path: PathBuf,
        /// What differs from our schema.
        detail: String,
    },
    /// The package is not signed, and this workstation only takes signed packages.
    Unsigned(PathBuf),
    /// The signature does not match the pinned key: made or altered by someone else.
    BadSignature(PathBuf),
    /// No centre key is pinned here, and the install needs one (the watched folder).
    NoTrustedKey(PathBuf),
    /// The centre's key file cannot be made or read.
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// An incremental package is for another data version than the one installed.
    WrongBase {
        /// The data version it applies to.
        base: i64,
        /// The installed data version.
        installed: i64,
    },
    /// The installed data differ from the base the incremental package was made from (changed
    /// here since).
    BaseDiffers(PathBuf),
    /// An incremental package's changes conflict with the installed data.
    Conflict {
        /// The package file.
        path: PathBuf,
        /// The conflicts.
        detail: String,
    },
    /// Applied, an incremental package does not give the data its manifest names.
    ResultDiffers(PathBuf),
    /// The snapshot is not a usable reference database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl Words for PackageError {
    fn message(&self) -> Message {
        match self {
            Self::Manifest { path, detail } => Message::new(
                format!("数据包缺少说明文件或说明文件损坏（{detail}）"),
                format!("the package's manifest is missing or unreadable ({detail})"),
            )
            .about(path.display()),
            Self::Checksum(path) => Message::new(
                "数据包校验失败（文件损坏或被改动），未安装",
                "the package failed its checksum (damaged or altered), nothing was installed",
            )
            .about(path.display()),
            Self::NotNewer { package, installed } => Message::new(
                format!("数据包版本 {package} 不比已安装的版本 {installed} 新，未安装（确需回退请用 --force）"),
                format!("the package's data version {package} is not newer than the installed {installed}; nothing was installed (use --force to go back)"),
            ),
            Self::OtherDataset { package, installed } => Message::new(
                format!("数据包属于另一个数据集（{package}），本机是（{installed}），未安装（确需更换请用 --force）"),
                format!("the package is for another dataset ({package}; this workstation has {installed}); nothing was installed (use --force to replace it)"),
            ),
            Self::Foreign { path, detail } => Message::new(
                format!("数据包含有不属于灯杆数据的内容或缺少必要的表（{detail}），未安装"),
                format!("the package holds what is not Lamppost data, or lacks tables it needs ({detail}); nothing was installed"),
            )
            .about(path.display()),
            Self::Unsigned(path) => Message::new(
                "数据包没有签名，未安装：只安装由中心密钥签名的数据包",
                "the package is not signed; nothing was installed: only packages signed with the centre's key are installed",
            )
            .about(path.display()),
            Self::BadSignature(path) => Message::new(
                "数据包签名与本机信任的中心公钥不符（可能被伪造或篡改），未安装，请联系值班长",
                "the package's signature does not match the centre key this workstation trusts (forged or altered?); nothing was installed; call the supervisor",
            )
            .about(path.display()),
            Self::NoTrustedKey(path) => Message::new(
                "本机尚未设置信任的中心公钥（lamppost package trust 公钥），不会自动安装",
                "no centre key is pinned on this workstation (lamppost package trust KEY); packages are not installed automatically",
            )
            .about(path.display()),
            Self::Key { path, detail } => Message::new(
                format!("密钥文件不可用（{detail}）"),
                format!("the key file cannot be used ({detail})"),
            )
            .about(path.display()),
            Self::WrongBase { base, installed } => Message::new(
                format!("增量数据包基于数据版本 {base}，本机是 {installed}，未应用，请安装完整数据包"),
                format!("the incremental package applies to data version {base} and this workstation has {installed}; nothing was changed: install the full package"),
            ),
            Self::BaseDiffers(path) => Message::new(
                "本机数据与增量数据包的基础版本不一致（本机数据被改动过），未应用，请安装完整数据包",
                "this workstation's data differ from the incremental package's base (changed here); nothing was changed: install the full package",
            )
            .about(path.display()),
            Self::Conflict { path, detail } => Message::new(
                format!("增量数据包与本机数据冲突（{detail}），未应用，请安装完整数据包"),
                format!("the incremental package conflicts with this workstation's data ({detail}); nothing was changed: install the full package"),
            )
            .about(path.display()),
            Self::ResultDiffers(path) => Message::new(
                "应用增量数据包后的数据与其说明不符，已撤销，请安装完整数据包",
                "applied, the incremental package does not give the data its manifest names; undone, nothing was changed: install the full package",
            )
            .about(path.display()),
            Self::Store(e) => e.message(),
            Self::Io { path, source } => Message::new(
                format!("无法读写文件（{source}）"),
                format!("cannot read or write the file ({source})"),
            )
            .about(path.display()),
        }
    }
}

/// How to install a package.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Install {
    /// Install even an older package or one of another dataset.
    pub force: bool,
    /// Refuse the package unless it is signed with the key pinned here (always, when a key is
    /// pinned; with this, also when none is: the watched folder).
    pub require_signature: bool,
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Installed {
    /// The data version before (0 for a new database).
    pub from_version: i64,
    /// The data version now.
    pub to_version: i64,
    /// Where the replaced data was kept, if there was any.
    pub previous: Option<PathBuf>,
    /// The centre key (hex) whose signature was checked; `None`: unsigned, no key pinned.
    pub signed_by: Option<String>,
    /// An incremental package that could not be applied, replaced by the full package of the
    /// same version found beside it.
    pub fallback: Option<Fallback>,
}

/// An incremental package refused, and the full package installed instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fallback {
    /// The full package installed.
    pub full: PathBuf,
    /// Why the incremental one was refused (both languages).
    pub reason: String,
}

/// The manifest file that goes with a package file.
#[must_use]
pub fn manifest_path(package: &Path) -> PathBuf {
    let mut name = package.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// Where an install keeps the data it replaced.
#[must_use]
pub fn previous_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".previous");
    PathBuf::from(name)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PackageError + '_ {
    move |source| PackageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// SHA-256 of bytes, lower-case hex.
fn hash_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 and size of a file, read in blocks.
fn hash_file(path: &Path) -> Result<(String, u64), PackageError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf).map_err(io(path))?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex(&h.finalize()), n))
}

impl Store {
    /// Writes a consistent snapshot of this database to `out` (which must not exist) with
    /// `VACUUM INTO`; readers and writers elsewhere are not disturbed.
    pub fn snapshot_into(&self, out: &Path) -> Result<(), StoreError> {
        if out.exists() {
            return Err(StoreError::Exists(out.to_owned()));
        }
        self.conn
            .execute("VACUUM INTO ?1", [out.to_string_lossy()])
            .map_err(|e| super::classify(out, e))?;
        Ok(())
    }

    /// Writes a data package: the snapshot at `out` and its manifest beside it
    /// ([`manifest_path`]). Either both are there afterwards, or neither.
    pub fn export_package(
        &self,
        out: &Path,
        operator: &str,
        key: Option<&CentreKey>,
    ) -> Result<Manifest, PackageError> {
        let manifest_file = manifest_path(out);
        for p in [out, manifest_file.as_path()] {
            if p.exists() {
                return Err(StoreError::Exists(p.to_owned()).into());
            }
        }
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(out))?;
        }
        let mut partial = out.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let result = (|| {
            self.snapshot_into(&partial)?;
            strip_credentials(&partial)?;
            store_content_sum(&partial)?;
            let snap = Store::open(&partial, Access::ReadOnly)?;
            snap.integrity_check()?;
            let counts = snap.counts()?;
            let dataset = snap.meta("name")?.unwrap_or_default();
            let schema_version = snap.check_schema()?;
            drop(snap);
            let (sha256, bytes) = hash_file(&partial)?;
            let mut m = Manifest {
                format: FORMAT.into(),
                format_version: 1,
                dataset,
                data_version: counts.data_version,
                schema_version,
                poles: i64::try_from(counts.codes).unwrap_or(i64::MAX),
                bytes,
                sha256,
                created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                created_by: operator.to_owned(),
                signer: String::new(),
                signature: String::new(),
                base_version: None,
                base_content: String::new(),
                content: String::new(),
            };
            if let Some(k) = key {
                k.sign(&mut m);
            }
            let json = serde_json::to_vec_pretty(&m).map_err(|e| PackageError::Manifest {
                path: manifest_file.clone(),
                detail: e.to_string(),
            })?;
            std::fs::write(&manifest_file, json).map_err(io(&manifest_file))?;
            std::fs::rename(&partial, out).map_err(io(out))?;
            Ok(m)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
            if !out.exists() {
                let _ = std::fs::remove_file(&manifest_file);
            }
        }
        result
    }
}

/// Reads a package's manifest and checks the file against it (size and SHA-256) and that the
/// snapshot is a sound Lamppost database of a schema this program reads, with nothing in it
/// but our schema's tables and indexes.
/// An incremental package is checked against its manifest (size, SHA-256, base named).
pub fn verify_package(package: &Path) -> Result<Manifest, PackageError> {
    let m = read_manifest(package)?;
    if m.is_increment() {
        increment::read_checked(package, &m)?;
    } else {
        check_package_file(package, &m)?;
    }
    Ok(m)
}

/// The manifest beside a package, with its format checked.
fn read_manifest(package: &Path) -> Result<Manifest, PackageError> {
    let manifest_file = manifest_path(package);
    let bad = |detail: String| PackageError::Manifest {
        path: manifest_file.clone(),
        detail,
    };
    let text = std::fs::read(&manifest_file).map_err(|e| bad(e.to_string()))?;
    let m: Manifest = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    if m.format != FORMAT && m.format != INCREMENT_FORMAT {
        return Err(bad(format!("format {:?}", m.format)));
    }
    Ok(m)
}

/// Checks a package file (or a private copy of it) against its manifest and our schema.
fn check_package_file(file: &Path, m: &Manifest) -> Result<(), PackageError> {
    if !file.is_file() {
        return Err(StoreError::NotFound(file.to_owned()).into());
    }
    let (sha256, bytes) = hash_file(file)?;
    if sha256 != m.sha256 || bytes != m.bytes {
        return Err(PackageError::Checksum(file.to_owned()));
    }
    // Immutable: no WAL files are created beside a snapshot on a share.
    let snap = Store::open_immutable(file)?;
    snap.integrity_check()?;
    check_schema_is_ours(&snap.conn, file, bytes)?;
    if snap.data_version()? != m.data_version {
        return Err(PackageError::Manifest {
            path: manifest_path(file),
            detail: "data version differs from the snapshot".into(),
        });
    }
    Ok(())
}

/// Every schema object of a database: (type, name, table, SQL), sorted.
fn schema_objects(conn: &Connection) -> rusqlite::Result<Vec<(String, String, String, String)>> {
    let mut st = conn.prepare(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name",
    )?;
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect()
}

/// Refuses a snapshot whose schema is not exactly what our migrations make at its version
/// (nothing added, nothing missing, nothing altered), or whose file holds bytes past its pages.
fn check_schema_is_ours(conn: &Connection, path: &Path, bytes: u64) -> Result<(), PackageError> {
    let sql = |e| super::classify(path, e);
    let foreign = |detail: String| PackageError::Foreign {
        path: path.to_owned(),
        detail,
    };
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sql)?;
    let mut ours = Connection::open_in_memory().map_err(sql)?;
    crate::migrate::migrate(&mut ours, &schema::MIGRATIONS[..version as usize])
        .map_err(|_| foreign(format!("schema version {version}")))?;
    let want = schema_objects(&ours).map_err(sql)?;
    let have = schema_objects(conn).map_err(sql)?;
    if have != want {
        let extra: Vec<String> = have
            .iter()
            .filter(|o| !want.contains(o))
            .map(|o| format!("+{} {}", o.0, o.1))
            .collect();
        let missing: Vec<String> = want
            .iter()
            .filter(|o| !have.contains(o))
            .map(|o| format!("-{} {}", o.0, o.1))
            .collect();
        return Err(foreign([extra, missing].concat().join(", ")));
    }
    let pages: u64 = conn
        .query_row(
            "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(sql)? as u64;
    if pages != bytes {
        return Err(foreign(format!(
            "{} bytes after the database",
            bytes.saturating_sub(pages)
        )));
    }
    Ok(())
}

/// Removes the credential and failure count from a snapshot (its content is overwritten).
fn strip_credentials(file: &Path) -> Result<(), StoreError> {
    let conn = Connection::open(file).map_err(|e| super::classify(file, e))?;
    conn.execute_batch("PRAGMA secure_delete = ON")
        .and_then(|()| {
            let marks = vec!["?"; CREDENTIAL_KEYS.len()].join(", ");
            conn.execute(
                &format!("DELETE FROM meta WHERE key IN ({marks})"),
                CREDENTIAL_KEYS,
            )
        })
        .map(|_| ())
        .map_err(|e| super::classify(file, e))
}

/// Stores the snapshot's row sum in it ([`content`]): a workstation that installs it can check
/// an incremental package's base without reading every row (the file's SHA-256 and the
/// signature vouch for the sum as for every other row).
fn store_content_sum(file: &Path) -> Result<(), StoreError> {
    let conn = Connection::open(file).map_err(|e| super::classify(file, e))?;
    content::rows_sum(&conn, "main")
        .and_then(|sum| content::store_rows_sum(&conn, sum))
        .map_err(|e| super::classify(file, e))
}

/// Puts this workstation's credential rows (`local`) into a staged copy, in place of any the
/// package brought.
fn keep_local_credentials(file: &Path, local: &[(String, String)]) -> Result<(), StoreError> {
    strip_credentials(file)?;
    let conn = Connection::open(file).map_err(|e| super::classify(file, e))?;
    for (k, v) in local {
        conn.execute("INSERT INTO meta(key, value) VALUES (?1, ?2)", [k, v])
            .map_err(|e| super::classify(file, e))?;
    }
    Ok(())
}

/// Installs the package at `package` into the reference database at `db` (created when
/// missing). Refuses a package that is not newer, or is for another dataset, unless `force`.
///
/// The package is first copied beside the database, and that private copy is what is checked
/// ([`verify_package`]'s checks) and installed. The local credential and failure count stay.
///
/// An incremental package ([`Manifest::is_increment`]) is applied in one transaction
/// (`increment`); when it cannot be (wrong base, data changed here, conflict, bad signature,
/// damaged), nothing is changed and the full package of the same version and dataset in the
/// same folder, if there is one, is installed instead ([`Installed::fallback`]); with none, the
/// increment's error is returned.
pub fn install_package(package: &Path, db: &Path, how: Install) -> Result<Installed, PackageError> {
    let m = read_manifest(package)?;
    if m.is_increment() {
        return match increment::install_increment(package, db, &m, how) {
            Ok(done) => Ok(done),
            Err(e) => match full_package_for(package, &m) {
                Some(full) => {
                    let mut done = install_full(&full, db, how)?;
                    done.fallback = Some(Fallback {
                        full,
                        reason: e.to_string(),
                    });
                    Ok(done)
                }
                None => Err(e),
            },
        };
    }
    install_full(package, db, how)
}

/// The full package beside an incremental one that holds the same dataset and version.
fn full_package_for(increment: &Path, m: &Manifest) -> Option<PathBuf> {
    let folder = increment.parent().filter(|d| !d.as_os_str().is_empty());
    let folder = folder.unwrap_or_else(|| Path::new("."));
    packages_in(folder)
        .into_iter()
        .find(|(_, f)| {
            !f.is_increment() && f.dataset == m.dataset && f.data_version == m.data_version
        })
        .map(|(p, _)| p)
}

/// Installs a full package (a snapshot).
fn install_full(package: &Path, db: &Path, how: Install) -> Result<Installed, PackageError> {
    let m = read_manifest(package)?;
    if !package.is_file() {
        return Err(StoreError::NotFound(package.to_owned()).into());
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io(db))?;
    }
    let mut staged = db.as_os_str().to_owned();
    staged.push(".installing");
    let staged = PathBuf::from(staged);
    let _ = std::fs::remove_file(&staged);
    let result = install_staged(package, &staged, db, &m, how);
    let _ = std::fs::remove_file(&staged);
    result
}

fn install_staged(
    package: &Path,
    staged: &Path,
    db: &Path,
    m: &Manifest,
    how: Install,
) -> Result<Installed, PackageError> {
    let current = if db.exists() {
        Some(Store::open(db, Access::ReadWrite)?)
    } else {
        None
    };
    // The key pinned in the database; else the copy kept beside it (the database was
    // damaged and moved aside: the package that replaces it must still be the centre's).
    let pinned = match &current {
        Some(s) => s.trusted_package_key()?,
        None => None,
    }
    .or_else(|| super::auth::key_beside(db));
    let signed_by = match &pinned {
        Some(key) => {
            check_signature(m, key, package)?;
            Some(key.clone())
        }
        None if how.require_signature => {
            return Err(PackageError::NoTrustedKey(package.to_owned()));
        }
        None => None,
    };
    std::fs::copy(package, staged).map_err(io(staged))?;
    check_package_file(staged, m)?;
    let Some(current) = current else {
        keep_local_credentials(staged, &[])?;
        // Opened for writing: on Windows, flushing a file (FlushFileBuffers) needs write access,
        // and a read-only handle fails with "Access denied" (found under Wine, tests/cli.rs).
        std::fs::OpenOptions::new()
            .write(true)
            .open(staged)
            .and_then(|f| f.sync_all())
            .map_err(io(staged))?;
        // A new database appears whole or not at all.
        std::fs::rename(staged, db).map_err(io(db))?;
        return Ok(Installed {
            from_version: 0,
            to_version: m.data_version,
            previous: None,
            signed_by,
            fallback: None,
        });
    };
    let installed = current.data_version()?;
    let dataset = current.meta("name")?.unwrap_or_default();
    if !how.force {
        if !dataset.is_empty() && dataset != m.dataset {
            return Err(PackageError::OtherDataset {
                package: m.dataset.clone(),
                installed: dataset,
            });
        }
        if m.data_version <= installed {
            return Err(PackageError::NotNewer {
                package: m.data_version,
                installed,
            });
        }
    }
    let mut local = Vec::new();
    for k in CREDENTIAL_KEYS {
        if let Some(v) = current.meta(k)? {
            local.push((k.to_owned(), v));
        }
    }
    keep_local_credentials(staged, &local)?;
    // Keep what is replaced.
    let previous = previous_path(db);
    let mut keep = previous.as_os_str().to_owned();
    keep.push(".partial");
    let keep = PathBuf::from(keep);
    let _ = std::fs::remove_file(&keep);
    current.snapshot_into(&keep)?;
    std::fs::rename(&keep, &previous).map_err(io(&previous))?;

    // One-step online backup from the checked copy into the live database.
    let src = Connection::open_with_flags(staged, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| super::classify(staged, e))?;
    let mut dst = current.conn;
    {
        let backup =
            rusqlite::backup::Backup::new(&src, &mut dst).map_err(|e| super::classify(db, e))?;
        // All pages in one step (-1): the copy is one write transaction. A reader or writer
        // elsewhere makes SQLite answer Busy; wait for it, up to a minute.
        let started = std::time::Instant::now();
        loop {
            match backup.step(-1).map_err(|e| super::classify(db, e))? {
                rusqlite::backup::StepResult::Done => break,
                _ if started.elapsed() > std::time::Duration::from_mins(1) => {
                    return Err(StoreError::Busy(db.to_owned()).into());
                }
                _ => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        }
    }
    drop(dst);
    drop(src);
    Ok(Installed {
        from_version: installed,
        to_version: m.data_version,
        previous: Some(previous),
        signed_by,
        fallback: None,
    })
}

/// The full package of data version `version` in `folder` (by its manifest; not yet
/// verified): the base for an incremental package (`package export --since`).
#[must_use]
pub fn full_package_in(folder: &Path, version: i64) -> Option<PathBuf> {
    packages_in(folder)
        .into_iter()
        .filter(|(_, m)| !m.is_increment() && m.data_version == version)
        .max_by(|a, b| a.1.created_at.cmp(&b.1.created_at))
        .map(|(p, _)| p)
}

/// Every package in `folder` (by its manifest; not yet verified).
fn packages_in(folder: &Path) -> Vec<(PathBuf, Manifest)> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|manifest| {
            let text = std::fs::read(&manifest).ok()?;
            let m: Manifest = serde_json::from_slice(&text).ok()?;
            let package = manifest.with_extension("");
            ((m.format == FORMAT || m.format == INCREMENT_FORMAT) && package.is_file())
                .then_some((package, m))
        })
        .collect()
}

/// The newest package in `folder` that is newer than `installed` (by its manifest; not yet
/// verified). For a workstation watching a shared folder. An incremental package counts only
/// when it applies to `installed`, and is preferred to the full package of the same version
/// (installing it falls back to that full package when it cannot be applied).
#[must_use]
pub fn newest_package_in(folder: &Path, installed: i64) -> Option<(PathBuf, Manifest)> {
    packages_in(folder)
        .into_iter()
        .filter(|(_, m)| m.data_version > installed)
        .filter(|(_, m)| !m.is_increment() || m.base_version == Some(installed))
        .max_by_key(|(_, m)| (m.data_version, m.is_increment()))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod increment_tests;
