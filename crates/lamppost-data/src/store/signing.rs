//! Who made a data package: the centre signs each package's manifest with its Ed25519 key, and
//! each workstation pins the centre's public key when it is set up (`lamppost package trust`).
//!
//! A SHA-256 beside the file proves only that the file is whole: whoever can write the shared
//! folder can write both. The signature covers the manifest, and the manifest names the
//! snapshot's SHA-256, so it covers the data too. The secret key is a file on the supervisor's
//! machine (64 hex digits); the public key is 64 hex digits a person can read over the phone.

use std::path::Path;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use super::hex;
use super::package::{Manifest, PackageError};

/// The centre's key, read from its file.
pub struct CentreKey(SigningKey);

impl CentreKey {
    /// The public key to pin on the workstations, as 64 hex digits.
    #[must_use]
    pub fn public_hex(&self) -> String {
        hex(self.0.verifying_key().as_bytes())
    }

    /// Signs a manifest (sets its `signer` and `signature`).
    pub fn sign(&self, m: &mut Manifest) {
        m.signer = self.public_hex();
        m.signature = hex(&self.0.sign(&signed_bytes(m)).to_bytes());
    }
}

/// Makes a new key and writes it to `path` (which must not exist); returns it.
pub fn generate_key(path: &Path) -> Result<CentreKey, PackageError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| key_error(path, &e.to_string()))?;
    let key = CentreKey(SigningKey::from_bytes(&seed));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| key_error(path, &e.to_string()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .map_err(|e| key_error(path, &e.to_string()))?;
    std::io::Write::write_all(&mut f, format!("{}\n", hex(&seed)).as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| key_error(path, &e.to_string()))?;
    Ok(key)
}

/// Reads the centre's key from its file.
pub fn read_key(path: &Path) -> Result<CentreKey, PackageError> {
    let text = std::fs::read_to_string(path).map_err(|e| key_error(path, &e.to_string()))?;
    let seed: [u8; 32] = unhex(text.trim())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| key_error(path, "not 64 hex digits"))?;
    Ok(CentreKey(SigningKey::from_bytes(&seed)))
}

/// Checks that `public_hex` is an Ed25519 public key (64 hex digits); returns it normalised.
#[must_use]
pub fn parse_public_key(public_hex: &str) -> Option<String> {
    let bytes: [u8; 32] = unhex(public_hex.trim())?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()?;
    Some(hex(&bytes))
}

/// Checks a manifest's signature against the pinned public key (hex).
pub fn check_signature(m: &Manifest, pinned: &str, package: &Path) -> Result<(), PackageError> {
    if m.signature.is_empty() {
        return Err(PackageError::Unsigned(package.to_owned()));
    }
    let bad = || PackageError::BadSignature(package.to_owned());
    let key: [u8; 32] = unhex(pinned)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
    let sig: [u8; 64] = unhex(&m.signature)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    key.verify_strict(&signed_bytes(m), &Signature::from_bytes(&sig))
        .map_err(|_| bad())
}

/// What is signed: every field of the manifest but the signature, one per line (an
/// incremental package's base and content hashes too).
fn signed_bytes(m: &Manifest) -> Vec<u8> {
    let mut text = format!(
        "lamppost-data-package signature 1\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        m.format,
        m.format_version,
        m.dataset,
        m.data_version,
        m.schema_version,
        m.poles,
        m.bytes,
        m.sha256,
        m.created_at,
        m.created_by
    );
    if m.is_increment() {
        let base = m.base_version.unwrap_or(-1);
        text += &[
            "increment",
            &base.to_string(),
            &m.base_content,
            &m.content,
            "",
        ]
        .join("\n");
    }
    text.into_bytes()
}

fn key_error(path: &Path, detail: &str) -> PackageError {
    PackageError::Key {
        path: path.to_owned(),
        detail: detail.to_owned(),
    }
}

/// Bytes from hex digits, if that is what the text is.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: "lamppost-data-package".into(),
            format_version: 1,
            dataset: "台北".into(),
            data_version: 2,
            schema_version: 1,
            poles: 10,
            bytes: 4096,
            sha256: "ab".repeat(32),
            created_at: "2026-12-05T00:00:00Z".into(),
            created_by: "王主任".into(),
            signer: String::new(),
            signature: String::new(),
            base_version: None,
            base_content: String::new(),
            content: String::new(),
        }
    }

    #[test]
    fn a_signed_manifest_verifies_with_its_key_and_not_with_another_or_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let key = generate_key(&dir.path().join("centre.key")).unwrap();
        let again = read_key(&dir.path().join("centre.key")).unwrap();
        assert_eq!(key.public_hex(), again.public_hex());
        let other = generate_key(&dir.path().join("other.key")).unwrap();
        let mut m = manifest();
        key.sign(&mut m);
        let p = Path::new("p.sqlite");
        check_signature(&m, &key.public_hex(), p).unwrap();
        assert!(matches!(
            check_signature(&m, &other.public_hex(), p),
            Err(PackageError::BadSignature(_))
        ));
        let mut changed = m.clone();
        changed.data_version = 99;
        assert!(check_signature(&changed, &key.public_hex(), p).is_err());
        assert!(matches!(
            check_signature(&manifest(), &key.public_hex(), p),
            Err(PackageError::Unsigned(_))
        ));
    }

    #[test]
    fn a_key_file_is_never_overwritten_and_a_public_key_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("centre.key");
        let key = generate_key(&path).unwrap();
        assert!(generate_key(&path).is_err());
        assert_eq!(
            parse_public_key(&format!(" {} ", key.public_hex().to_uppercase())),
            Some(key.public_hex())
        );
        assert_eq!(parse_public_key("abc"), None);
    }
}
