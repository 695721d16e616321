//! Files the command line writes at a path the user typed (`export`, `calls export`,
//! `import --report`): never over what must be kept.
//!
//! A typo or a pasted path must not replace the reference database or the call log with a CSV
//! (`calls export calls.sqlite --calls calls.sqlite` once replaced 3,000 calls). So:
//! - the live reference database, this workstation's call log, the data kept from the last
//!   package install, and their SQLite side files are never written over, even with `--force`;
//! - any other SQLite database, and any existing file, only with `--force`;
//! - the file is written beside its place and renamed over it at the end, so a failed write
//!   leaves what was there.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

/// The files a command must never write over: the databases in use.
#[derive(Debug, Clone, Default)]
pub struct Keep {
    files: Vec<PathBuf>,
}

impl Keep {
    /// The reference database and the call log (either may not exist yet).
    #[must_use]
    pub fn new(db: Option<&Path>, calls: Option<&Path>) -> Self {
        let mut files = Vec::new();
        for base in [db, calls].into_iter().flatten() {
            files.push(base.to_owned());
            for side in ["-wal", "-shm", "-journal", ".previous"] {
                let mut p = base.as_os_str().to_owned();
                p.push(side);
                files.push(PathBuf::from(p));
            }
        }
        Self { files }
    }

    /// The kept file that `out` names, if any (compared as absolute, resolved paths).
    fn names(&self, out: &Path) -> Option<&Path> {
        let out = resolved(out);
        self.files
            .iter()
            .find(|k| resolved(k) == out)
            .map(PathBuf::as_path)
    }
}

/// An absolute path with its folder resolved (links, `..`), for a file that may not exist.
fn resolved(p: &Path) -> PathBuf {
    if let Ok(c) = p.canonicalize() {
        return c;
    }
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map_or(abs.clone(), |d| d.join(name)),
        _ => abs,
    }
}

/// True when the file starts with SQLite's header.
fn is_sqlite(p: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(p)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok_and(|()| &head == b"SQLite format 3\0")
}

/// Refuses `out` when it names a database in use (the reference data, this workstation's call
/// log, their side files): for commands that write into an existing file on purpose, such as
/// `calls merge --out`.
pub fn refuse_kept(out: &Path, keep: &Keep) -> Result<()> {
    if let Some(k) = keep.names(out) {
        bail!(
            "不会写入正在使用的数据库或接警记录，请换一个文件名 / will not write into a database in use (the reference data or this workstation's call log); choose another file name: {}",
            k.display()
        );
    }
    Ok(())
}

/// Refuses to write at `out` when that would replace what must be kept (see the module).
pub fn check(out: &Path, force: bool, keep: &Keep) -> Result<()> {
    if let Some(k) = keep.names(out) {
        bail!(
            "不会覆盖正在使用的数据库或接警记录，请换一个文件名 / will not write over a database in use (the reference data or the call log); choose another file name: {}",
            k.display()
        );
    }
    if out.is_dir() {
        bail!(
            "这是一个文件夹，请给出文件名 / this is a folder; give a file name: {}",
            out.display()
        );
    }
    if out.exists() && !force {
        if is_sqlite(out) {
            bail!(
                "这是一个 SQLite 数据库，不会覆盖（确需覆盖请加 --force）/ this is an SQLite database and will not be overwritten (add --force if you mean it): {}",
                out.display()
            );
        }
        bail!(
            "文件已存在，不会覆盖（确需覆盖请加 --force）/ the file already exists and will not be overwritten (add --force to replace it): {}",
            out.display()
        );
    }
    Ok(())
}

/// Checks `out` ([`check`]), then writes it through a temporary file beside it, renamed over
/// it only when `write` has succeeded.
pub fn write_file<T>(
    out: &Path,
    force: bool,
    keep: &Keep,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    check(out, force, keep)?;
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cannot = || format!("无法写入 / cannot write: {}", out.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(cannot)?;
    let value = {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        let value = write(&mut w)?;
        w.flush().with_context(cannot)?;
        value
    };
    tmp.as_file().sync_all().with_context(cannot)?;
    tmp.persist(out).with_context(cannot)?;
    Ok(value)
}

/// Like [`write_file`] for a file that another library writes by path (a GeoPackage is an
/// SQLite database): `write` gets a new path in a private folder beside `out`, and that file
/// is renamed over `out` only when `write` has succeeded.
pub fn write_path<T>(
    out: &Path,
    force: bool,
    keep: &Keep,
    write: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    check(out, force, keep)?;
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cannot = || format!("无法写入 / cannot write: {}", out.display());
    let tmp = tempfile::Builder::new()
        .prefix(".lamppost-")
        .tempdir_in(dir)
        .with_context(cannot)?;
    let file = tmp.path().join("new");
    let value = write(&file)?;
    std::fs::rename(&file, out).with_context(cannot)?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_databases_in_use_and_their_side_files_are_kept_even_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("lamppost.sqlite");
        let calls = dir.path().join("calls.sqlite");
        std::fs::write(&db, b"SQLite format 3\0rest").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let keep = Keep::new(Some(&db), Some(&calls));
        for p in [
            db.clone(),
            calls.clone(),
            dir.path().join("lamppost.sqlite-wal"),
            dir.path().join("sub").join("..").join("calls.sqlite"),
        ] {
            assert!(check(&p, true, &keep).is_err(), "{}", p.display());
        }
    }

    #[test]
    fn an_existing_file_needs_force_and_a_failed_write_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("report.csv");
        std::fs::write(&out, "old").unwrap();
        let keep = Keep::default();
        let e = write_file(&out, false, &keep, |w| Ok(w.write_all(b"new")?)).unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        let e = write_file(&out, true, &keep, |_| -> Result<()> { bail!("half-way") });
        assert!(e.is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        write_file(&out, true, &keep, |w| Ok(w.write_all(b"new")?)).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
    }

    #[test]
    fn a_file_written_by_path_replaces_the_old_one_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("poles.gpkg");
        std::fs::write(&out, "old").unwrap();
        let keep = Keep::default();
        let e = write_path(&out, true, &keep, |p| -> Result<()> {
            std::fs::write(p, "half")?;
            bail!("half-way")
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        write_path(&out, true, &keep, |p| Ok(std::fs::write(p, "new")?)).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary folder left behind");
    }

    #[test]
    fn another_sqlite_database_is_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("basemap.mbtiles");
        std::fs::write(&out, b"SQLite format 3\0...").unwrap();
        let e = check(&out, false, &Keep::default()).unwrap_err();
        assert!(e.to_string().contains("SQLite"), "{e}");
    }
}
