//! Keeping a running window's data current: a worker that notices when the reference database
//! changed (an import or undo from another program, a data package installed) and rebuilds and
//! swaps the index, and that watches a folder (a network share) for newer data packages.
//!
//! Everything here happens on the worker's thread; the window only drains [`WatchEvent`]s.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

use lamppost_core::words::{Message, Words};
use lamppost_data::store::package::{
    Install, Installed, Manifest, install_package, newest_package_in,
};
use lamppost_data::store::{Access, Store};
use lamppost_search::{IndexHandle, SearchIndex};

/// What the watcher reports.
#[derive(Debug, Clone)]
pub enum WatchEvent {
    /// The database changed and the new index is in use.
    Reloaded {
        /// Data version before.
        from: i64,
        /// Data version now.
        to: i64,
    },
    /// Reading the changed database failed; the old index stays in use.
    ReloadFailed(Message),
    /// A newer data package is in the watched folder.
    PackageOffered {
        /// The package file.
        path: PathBuf,
        /// Its manifest.
        manifest: Manifest,
    },
    /// A package was installed (a reload follows).
    Installed(Installed),
    /// Installing a package failed; nothing changed.
    InstallFailed(Message),
}

/// What the window asks of the watcher.
#[derive(Debug, Clone)]
pub enum WatchRequest {
    /// Watch this folder for packages (or none).
    SetFolder(Option<PathBuf>),
    /// Install this package now.
    Install(PathBuf),
    /// Look now instead of at the next tick.
    CheckNow,
}

/// The window's handle on the watcher thread.
#[derive(Debug)]
pub struct DataWatcher {
    requests: Sender<WatchRequest>,
    events: Receiver<WatchEvent>,
}

impl DataWatcher {
    /// Starts watching the database at `db` (whose current index is in `handle`), checking
    /// every `every`; `wake` is called after each event.
    pub fn spawn(
        db: PathBuf,
        handle: Arc<IndexHandle>,
        folder: Option<PathBuf>,
        every: Duration,
        wake: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let (requests, inbox) = channel();
        let (outbox, events) = channel();
        std::thread::Builder::new()
            .name("data-watch".into())
            .spawn(move || {
                let mut w = Worker {
                    db,
                    handle,
                    folder,
                    offered: None,
                    outbox,
                    wake: Box::new(wake),
                };
                loop {
                    match inbox.recv_timeout(every) {
                        Ok(WatchRequest::SetFolder(f)) => {
                            w.folder = f;
                            w.offered = None;
                            w.tick();
                        }
                        Ok(WatchRequest::Install(p)) => w.install(&p),
                        Ok(WatchRequest::CheckNow) | Err(RecvTimeoutError::Timeout) => w.tick(),
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            })?;
        Ok(Self { requests, events })
    }

    /// Sends a request (ignored if the worker has stopped).
    pub fn send(&self, r: WatchRequest) {
        let _ = self.requests.send(r);
    }

    /// The next event, if any.
    #[must_use]
    pub fn try_event(&self) -> Option<WatchEvent> {
        self.events.try_recv().ok()
    }

    /// Waits for the next event (tests).
    #[must_use]
    pub fn wait_event(&self, timeout: Duration) -> Option<WatchEvent> {
        self.events.recv_timeout(timeout).ok()
    }
}

struct Worker {
    db: PathBuf,
    handle: Arc<IndexHandle>,
    folder: Option<PathBuf>,
    /// The package last offered (path and version), so it is offered once.
    offered: Option<(PathBuf, i64)>,
    outbox: Sender<WatchEvent>,
    wake: Box<dyn Fn() + Send>,
}

impl Worker {
    fn send(&self, e: WatchEvent) {
        let _ = self.outbox.send(e);
        (self.wake)();
    }

    fn tick(&mut self) {
        let current = self.handle.load().info().data_version;
        if let Some(version) = data_version(&self.db)
            && version != current
        {
            match SearchIndex::open(&self.db) {
                Ok(index) => {
                    let to = index.info().data_version;
                    self.handle.swap(index);
                    self.send(WatchEvent::Reloaded { from: current, to });
                }
                Err(e) => self.send(WatchEvent::ReloadFailed(e.message())),
            }
        }
        let installed = self.handle.load().info().data_version;
        if let Some(folder) = &self.folder
            && let Some((path, manifest)) = newest_package_in(folder, installed)
        {
            let key = (path.clone(), manifest.data_version);
            if self.offered.as_ref() != Some(&key) {
                self.offered = Some(key);
                self.send(WatchEvent::PackageOffered { path, manifest });
            }
        }
    }

    fn install(&mut self, package: &Path) {
        // From the shared folder only what the centre signed: whoever can write the share
        // must not be able to replace the data (docs/SECURITY.md).
        let how = Install {
            force: false,
            require_signature: true,
        };
        match install_package(package, &self.db, how) {
            Ok(done) => {
                if let Some(fb) = &done.fallback {
                    log::warn!(
                        "incremental package not applied, full package {} installed: {}",
                        fb.full.display(),
                        fb.reason
                    );
                }
                self.send(WatchEvent::Installed(done));
                self.tick();
            }
            Err(e) => self.send(WatchEvent::InstallFailed(e.message())),
        }
    }
}

/// The database's data version, or `None` when it cannot be read right now (it is being
/// replaced, or the share is away): the next tick tries again.
fn data_version(db: &Path) -> Option<i64> {
    Store::open(db, Access::ReadOnly).ok()?.data_version().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamppost_data::demo::create_demo_database;

    #[test]
    fn a_changed_database_is_reloaded_and_a_newer_package_offered_and_installed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("lamppost.sqlite");
        create_demo_database(&db, "test").unwrap();
        // The first open writes the index file, the second maps it: the window reads from the
        // file while the package replaces the data.
        assert!(!SearchIndex::open(&db).unwrap().is_mapped());
        let handle = IndexHandle::new(SearchIndex::open(&db).unwrap());
        let old = handle.load();
        assert!(old.is_mapped());
        let index_files = || {
            std::fs::read_dir(lamppost_search::persist::dir_of(&db))
                .unwrap()
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "lpidx"))
                .count()
        };
        assert_eq!(index_files(), 1);
        let share = dir.path().join("share");
        std::fs::create_dir_all(&share).unwrap();
        let w = DataWatcher::spawn(
            db.clone(),
            Arc::clone(&handle),
            Some(share.clone()),
            Duration::from_millis(50),
            || {},
        )
        .unwrap();

        // A supervisor makes version 2 elsewhere and drops it on the share.
        let sup = dir.path().join("supervisor.sqlite");
        let (s, _) = create_demo_database(&sup, "test").unwrap();
        drop(s);
        {
            let c = rusqlite::Connection::open(&sup).unwrap();
            c.execute_batch(
                "INSERT INTO versions(version, applied_at, applied_by, source_name,
                     source_sha256, added, changed, removed)
                 VALUES (2, '2026-11-28T00:00:00Z', 'test', 'x.csv', '', 0, 1, 0);
                 DELETE FROM poles WHERE code = '2450034';",
            )
            .unwrap();
        }
        let pkg = share.join("v2.sqlite");
        let key =
            lamppost_data::store::signing::generate_key(&dir.path().join("centre.key")).unwrap();
        Store::open(&db, Access::ReadWrite)
            .unwrap()
            .trust_package_key(&key.public_hex())
            .unwrap();
        Store::open(&sup, Access::ReadOnly)
            .unwrap()
            .export_package(&pkg, "test", Some(&key))
            .unwrap();

        let Some(WatchEvent::PackageOffered { path, manifest }) =
            w.wait_event(Duration::from_secs(10))
        else {
            panic!("no offer");
        };
        assert_eq!((path.as_path(), manifest.data_version), (pkg.as_path(), 2));
        w.send(WatchRequest::Install(path));
        assert!(matches!(
            w.wait_event(Duration::from_secs(20)),
            Some(WatchEvent::Installed(Installed { to_version: 2, .. }))
        ));
        assert!(matches!(
            w.wait_event(Duration::from_secs(20)),
            Some(WatchEvent::Reloaded { from: 1, to: 2 })
        ));
        assert!(handle.load().lookup("2450034").is_none(), "new data in use");
        assert!(old.lookup("2450034").is_some(), "old readers keep theirs");
        let id = old.lookup("2450034").unwrap();
        assert_eq!(
            old.pole(id).key(),
            "2450034",
            "read from the old, deleted file"
        );
        assert_eq!(
            index_files(),
            1,
            "the old file replaced by the new version's"
        );
        let reopened = SearchIndex::open(&db).unwrap();
        assert!(
            reopened.is_mapped(),
            "the watcher wrote the new version's file"
        );
        assert_eq!(reopened.info().data_version, 2);
        assert!(reopened.lookup("2450034").is_none());
        // Offered once only.
        assert!(w.wait_event(Duration::from_millis(300)).is_none());
    }
}
