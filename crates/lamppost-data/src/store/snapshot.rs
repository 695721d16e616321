//! Reading one data version whole, in one snapshot, fast: what the search index is built from.
//!
//! Everything is read inside read transactions, so that an import or a data package committed
//! meanwhile is either wholly in the result or not at all. Reading rows is most of the work, so
//! the two halves of the table are read on two connections (two threads), each in its own
//! snapshot: when a commit falls between the two snapshots (their data versions differ), the
//! read starts again; after three such tries it reads on one connection.

use lamppost_core::model::StreetRecord;

use super::{Access, RawPole, Store, StoreError};

/// What a snapshot starts with: the dataset's meta, its version and its streets.
#[derive(Debug, Clone, Default)]
pub struct SnapshotHead {
    /// Every `meta` row, by key.
    pub meta: Vec<(String, String)>,
    /// The data version the snapshot shows.
    pub data_version: i64,
    /// Every street, by street code.
    pub streets: Vec<StreetRecord>,
    /// [`Store::content_stamp`] of the data the snapshot shows.
    pub stamp: [u8; 32],
}

impl SnapshotHead {
    /// A `meta` value, empty when unset.
    #[must_use]
    pub fn meta(&self, key: &str) -> &str {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }
}

impl Store {
    /// Reads every pole of one data version in one snapshot. `make` gives a sink for each part
    /// of the table (`true` for the first part), and `push` feeds it the part's poles in code
    /// order; the parts come back in code order too.
    pub fn read_snapshot<B: Send>(
        &self,
        make: impl Fn(&SnapshotHead, bool) -> B + Sync,
        push: impl Fn(&mut B, &RawPole<'_>) + Sync,
    ) -> Result<(SnapshotHead, Vec<B>), StoreError> {
        for _ in 0..3 {
            self.begin_read()?;
            let read = self.read_in_snapshot(&make, &push, true);
            let _ = self.end_read();
            if let Some(done) = read? {
                return Ok(done);
            }
        }
        self.begin_read()?;
        let read = self.read_in_snapshot(&make, &push, false);
        let _ = self.end_read();
        read?.ok_or_else(|| StoreError::Corrupt {
            path: self.path().to_owned(),
            detail: "snapshot".into(),
        })
    }

    /// [`Store::read_snapshot`] inside the caller's read transaction; `None` when the second
    /// connection (with `split`) saw another data version.
    fn read_in_snapshot<B: Send>(
        &self,
        make: &(impl Fn(&SnapshotHead, bool) -> B + Sync),
        push: &(impl Fn(&mut B, &RawPole<'_>) + Sync),
        split: bool,
    ) -> Result<Option<(SnapshotHead, Vec<B>)>, StoreError> {
        let head = SnapshotHead {
            meta: self.all_meta()?,
            data_version: self.data_version()?,
            streets: self.streets()?,
            stamp: self.content_stamp()?,
        };
        let mut first = make(&head, true);
        let mid = if split { self.code_midpoint()? } else { None };
        let Some(mid) = mid else {
            self.for_each_pole_raw(|p| push(&mut first, p))?;
            return Ok(Some((head, vec![first])));
        };
        let second = std::thread::scope(|scope| {
            let path = self.path().to_owned();
            let from = mid.clone();
            let head = &head;
            let worker = scope.spawn(move || -> Result<Option<B>, StoreError> {
                let other = Store::open(&path, Access::ReadOnly)?;
                other.begin_read()?;
                let same = other.data_version()? == head.data_version;
                let mut b = make(head, false);
                let read = if same {
                    other.for_each_pole_raw_in(&from, None, |p| push(&mut b, p))
                } else {
                    Ok(())
                };
                let _ = other.end_read();
                read?;
                Ok(same.then_some(b))
            });
            self.for_each_pole_raw_in("", Some(&mid), |p| push(&mut first, p))?;
            worker.join().unwrap_or_else(|_| {
                Err(StoreError::Corrupt {
                    path: self.path().to_owned(),
                    detail: "snapshot reader stopped".into(),
                })
            })
        })?;
        Ok(second.map(|b| (head, vec![first, b])))
    }
}
