//! The index shared between the UI and its workers: lookups read the current index without
//! ever waiting; a rebuild happens on a worker thread and is swapped in whole.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use arc_swap::ArcSwap;

use super::SearchIndex;
use lamppost_data::store::StoreError;

/// The current index, replaceable while readers hold the old one.
#[derive(Debug)]
pub struct IndexHandle {
    current: ArcSwap<SearchIndex>,
    generation: AtomicU64,
}

impl IndexHandle {
    /// Shares `index`.
    #[must_use]
    pub fn new(index: SearchIndex) -> Arc<Self> {
        Arc::new(Self {
            current: ArcSwap::from_pointee(index),
            generation: AtomicU64::new(0),
        })
    }

    /// The current index. Cheap (an atomic load); the caller keeps it alive as long as it
    /// needs, even across a swap.
    #[must_use]
    pub fn load(&self) -> Arc<SearchIndex> {
        self.current.load_full()
    }

    /// How many times the index has been replaced (lets a UI notice a swap).
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Replaces the index.
    pub fn swap(&self, index: SearchIndex) {
        self.current.store(Arc::new(index));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Rebuilds from the database at `path` on a new thread and swaps the result in; on error
    /// the current index stays. `done` is called on that thread with the outcome.
    pub fn rebuild_in_background(
        self: &Arc<Self>,
        path: PathBuf,
        done: impl FnOnce(Result<(), StoreError>) + Send + 'static,
    ) -> std::io::Result<JoinHandle<()>> {
        let me = Arc::clone(self);
        std::thread::Builder::new()
            .name("index-rebuild".into())
            .spawn(move || {
                let result = SearchIndex::open(&path).map(|index| me.swap(index));
                done(result);
            })
    }
}
