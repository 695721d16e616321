//! The supervisor's password: who may import, undo, install data packages or edit.
//!
//! It is stored in the reference database's `meta` table as an Argon2id hash (PHC string). It
//! is this workstation's: a data package never carries it out, and installing one keeps the
//! local credential and failure count ([`CREDENTIAL_KEYS`]).
//!
//! Every attempt is counted as a failure, durably, before the password is even checked, and
//! answered only after waiting for the failures in a row so far (1, 2, 4 … up to 30 seconds),
//! whether it is right or wrong: the time to the answer says nothing, and killing the process
//! while it waits still leaves the attempt counted. A right password then resets the count.

use std::path::{Path, PathBuf};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::{Store, StoreError};
use lamppost_core::words::{Message, Words};

const HASH_KEY: &str = "supervisor_password";
const FAILURES_KEY: &str = "supervisor_failures";

/// The `meta` key that holds the centre's public key this workstation trusts for packages.
const TRUSTED_KEY: &str = "trusted_package_key";

/// The `meta` keys that are this workstation's own: its credential, its failure counter and
/// the package key it trusts. They never leave in a data package and are never taken from one
/// (`store::package`).
pub(crate) const CREDENTIAL_KEYS: [&str; 3] = [HASH_KEY, FAILURES_KEY, TRUSTED_KEY];

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 6;
/// Longest wait after a wrong password.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// Why a supervisor action was refused. Messages: Chinese, then English.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum AuthError {
    /// The password is wrong.
    Wrong {
        /// Failures in a row, this one included.
        failures: u32,
    },
    /// No password has been set yet where one is needed.
    NotSet,
    /// A new password is too short.
    TooShort,
    /// The stored hash is not readable (the database was edited by hand).
    BadRecord,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Words for AuthError {
    fn message(&self) -> Message {
        match self {
            Self::Wrong { failures } => Message::new(
                format!("值班长密码错误（已连续 {failures} 次）"),
                format!("wrong supervisor password ({failures} in a row)"),
            ),
            Self::NotSet => Message::new(
                "尚未设置值班长密码，请先设置",
                "no supervisor password is set yet; set one first",
            ),
            Self::TooShort => Message::new(
                format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"),
                format!("the password needs at least {MIN_PASSWORD_CHARS} characters"),
            ),
            Self::BadRecord => Message::new(
                "数据库中的密码记录无法识别，请联系管理员",
                "the stored password record is unreadable; call the administrator",
            ),
            Self::Store(e) => e.message(),
        }
    }
}

/// How long to wait after `failures` wrong passwords in a row.
#[must_use]
pub fn delay_after(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(5)).min(MAX_DELAY)
}

fn hash(password: &str) -> Result<String, AuthError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| AuthError::BadRecord)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| AuthError::BadRecord)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AuthError::BadRecord)
}

impl Store {
    /// True when a supervisor password is set.
    pub fn has_supervisor_password(&self) -> Result<bool, StoreError> {
        Ok(self.meta(HASH_KEY)?.is_some_and(|h| !h.is_empty()))
    }

    /// Sets the supervisor password. When one is set, `current` must be it.
    pub fn set_supervisor_password(
        &mut self,
        new: &str,
        current: Option<&str>,
    ) -> Result<(), AuthError> {
        if self.has_supervisor_password()? {
            self.verify_supervisor(current.unwrap_or(""))?;
        }
        if new.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AuthError::TooShort);
        }
        let phc = hash(new)?;
        self.set_meta(HASH_KEY, &phc)?;
        self.set_meta(FAILURES_KEY, "0")?;
        Ok(())
    }

    /// Checks the supervisor password. The attempt is counted as a failure first (committed),
    /// then answered after [`delay_after`] the failures in a row before it, right or wrong; a
    /// right one resets the count.
    pub fn verify_supervisor(&mut self, password: &str) -> Result<(), AuthError> {
        let Some(stored) = self.meta(HASH_KEY)?.filter(|h| !h.is_empty()) else {
            return Err(AuthError::NotSet);
        };
        let parsed = PasswordHash::new(&stored).map_err(|_| AuthError::BadRecord)?;
        let before: u32 = self
            .meta(FAILURES_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let failures = before.saturating_add(1);
        self.set_meta(FAILURES_KEY, &failures.to_string())?;
        std::thread::sleep(delay_after(before));
        if Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
        {
            self.set_meta(FAILURES_KEY, "0")?;
            return Ok(());
        }
        Err(AuthError::Wrong { failures })
    }

    /// The centre's public key (hex) this workstation trusts for data packages, if pinned.
    pub fn trusted_package_key(&self) -> Result<Option<String>, StoreError> {
        Ok(self.meta(TRUSTED_KEY)?.filter(|k| !k.is_empty()))
    }

    /// Pins the centre's public key (64 hex digits, checked by the caller) for data packages,
    /// in the database and in a file beside it ([`key_file_beside`]): a database too damaged to
    /// open still leaves the key that a package installed in its place must be signed with.
    pub fn trust_package_key(&self, public_hex: &str) -> Result<(), StoreError> {
        self.set_meta(TRUSTED_KEY, public_hex)?;
        std::fs::write(key_file_beside(&self.path), format!("{public_hex}\n"))
            .map_err(|_| StoreError::Inaccessible(key_file_beside(&self.path)))
    }

    /// The failed attempts in a row so far (an attempt still running counts).
    pub fn supervisor_failures(&self) -> Result<u32, StoreError> {
        Ok(self
            .meta(FAILURES_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }
}

/// The file beside the database `db` that keeps the pinned centre key (`DB.centre-key`).
#[must_use]
pub fn key_file_beside(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".centre-key");
    PathBuf::from(name)
}

/// The centre key kept beside the database `db`, when there is a well-formed one.
#[must_use]
pub fn key_beside(db: &Path) -> Option<String> {
    let text = std::fs::read_to_string(key_file_beside(db)).ok()?;
    let key = text.trim();
    (key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Access;

    #[test]
    fn waits_double_after_each_failure_up_to_thirty_seconds() {
        let secs: Vec<u64> = (0..9).map(|f| delay_after(f).as_secs()).collect();
        assert_eq!(secs, vec![0, 1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_password_is_set_once_checked_and_changed_only_with_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut s = Store::create(&path).unwrap();
        assert!(!s.has_supervisor_password().unwrap());
        assert!(matches!(s.verify_supervisor("x"), Err(AuthError::NotSet)));
        assert!(matches!(
            s.set_supervisor_password("12345", None),
            Err(AuthError::TooShort)
        ));
        s.set_supervisor_password("值班长密码1", None).unwrap();
        let stored = s.meta(HASH_KEY).unwrap().unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("值班长密码1"));
        s.verify_supervisor("值班长密码1").unwrap();

        // Reopened: the same password, not another one.
        let mut s = Store::open(&path, Access::ReadWrite).unwrap();
        s.verify_supervisor("值班长密码1").unwrap();
        assert!(matches!(
            s.verify_supervisor("guess"),
            Err(AuthError::Wrong { failures: 1 })
        ));
        // After a failure every attempt waits before its answer, right or wrong.
        let started = std::time::Instant::now();
        assert!(matches!(
            s.set_supervisor_password("newpassword", Some("值班长密码1x")),
            Err(AuthError::Wrong { failures: 2 })
        ));
        assert!(started.elapsed() >= Duration::from_secs(1), "slowed down");
        s.set_supervisor_password("newpassword", Some("值班长密码1"))
            .unwrap();
        s.verify_supervisor("newpassword").unwrap();
        assert_eq!(s.meta(FAILURES_KEY).unwrap().as_deref(), Some("0"));
    }

    /// The attack: a guess answered at once when right and only after a wait when wrong lets a
    /// script kill every guess that has not answered within a moment, so the wait never
    /// applies (about 76 guesses a minute). Now the wait comes first, for every answer.
    #[test]
    fn after_a_failure_even_the_right_password_is_answered_only_after_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::create(&dir.path().join("db.sqlite")).unwrap();
        s.set_supervisor_password("值班长密码1", None).unwrap();
        assert!(s.verify_supervisor("guess").is_err());
        let started = std::time::Instant::now();
        s.verify_supervisor("值班长密码1").unwrap();
        assert!(
            started.elapsed() >= delay_after(1),
            "answered in {:?}",
            started.elapsed()
        );
        assert_eq!(s.supervisor_failures().unwrap(), 0);
    }

    /// A process killed while it waits has already counted its attempt.
    #[test]
    fn an_attempt_is_counted_before_it_is_answered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut s = Store::create(&path).unwrap();
        s.set_supervisor_password("值班长密码1", None).unwrap();
        assert!(s.verify_supervisor("guess").is_err());
        let attempt = std::thread::spawn(move || s.verify_supervisor("guess2").is_err());
        std::thread::sleep(Duration::from_millis(300));
        let other = Store::open(&path, Access::ReadOnly).unwrap();
        assert_eq!(
            other.supervisor_failures().unwrap(),
            2,
            "counted while waiting"
        );
        assert!(attempt.join().unwrap());
    }

    #[test]
    fn a_pinned_key_is_also_kept_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.sqlite");
        crate::demo::create_demo_database(&path, "test").unwrap();
        let s = Store::open(&path, Access::ReadWrite).unwrap();
        assert_eq!(key_beside(&path), None);
        let key = "ab".repeat(32);
        s.trust_package_key(&key).unwrap();
        assert_eq!(
            s.trusted_package_key().unwrap().as_deref(),
            Some(key.as_str())
        );
        assert_eq!(key_beside(&path).as_deref(), Some(key.as_str()));
        std::fs::write(key_file_beside(&path), "not a key").unwrap();
        assert_eq!(key_beside(&path), None, "only a well-formed key counts");
    }
}
