//! Storage of one flat table of the index: owned (built in memory from the database) or read in
//! place from a mapped index file ([`crate::persist`]), behind one slice type.

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use bytemuck::Pod;

/// The bytes of an index file: mapped, or read whole into 8-byte-aligned memory when mapping
/// is not possible.
pub(crate) enum Backing {
    /// A read-only map of the file ([`crate::persist::map`]).
    Map(memmap2::Mmap),
    /// The file read into memory (aligned for every table type).
    Heap(Vec<u64>),
}

impl Backing {
    /// The file's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        match self {
            Self::Map(m) => m,
            Self::Heap(v) => bytemuck::cast_slice(v),
        }
    }
}

/// A table of plain values, owned or in a mapped file.
pub(crate) struct Section<T> {
    inner: Inner<T>,
}

enum Inner<T> {
    Owned(Vec<T>),
    Mapped {
        file: Arc<Backing>,
        start: usize,
        len: usize,
        _t: PhantomData<T>,
    },
}

impl<T: Pod> Section<T> {
    /// A table held in memory.
    pub(crate) fn owned(v: Vec<T>) -> Self {
        Self {
            inner: Inner::Owned(v),
        }
    }

    /// `len` values at byte `start` of `file`, or `None` when they are not all inside the file
    /// or not aligned for `T`.
    pub(crate) fn mapped(file: &Arc<Backing>, start: usize, len: usize) -> Option<Self> {
        let end = start.checked_add(len.checked_mul(std::mem::size_of::<T>())?)?;
        let bytes = file.bytes().get(start..end)?;
        bytemuck::try_cast_slice::<u8, T>(bytes).ok()?;
        Some(Self {
            inner: Inner::Mapped {
                file: Arc::clone(file),
                start,
                len,
                _t: PhantomData,
            },
        })
    }

    /// The values as bytes (to write them to a file).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        bytemuck::cast_slice(self)
    }

    /// True when the values are read in place from a file.
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self.inner, Inner::Mapped { .. })
    }

    /// Heap bytes held (0 when mapped: those pages belong to the file cache).
    pub(crate) fn heap_bytes(&self) -> usize {
        match &self.inner {
            Inner::Owned(v) => v.capacity() * std::mem::size_of::<T>(),
            Inner::Mapped { .. } => 0,
        }
    }
}

impl<T: Pod> Deref for Section<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match &self.inner {
            Inner::Owned(v) => v,
            // Checked by `mapped`; the file never changes under a map (see `persist`), so this
            // cannot fail, and would give an empty table rather than a panic if it did.
            Inner::Mapped {
                file, start, len, ..
            } => file
                .bytes()
                .get(*start..*start + *len * std::mem::size_of::<T>())
                .and_then(|b| bytemuck::try_cast_slice(b).ok())
                .unwrap_or(&[]),
        }
    }
}

impl<T: Pod> Default for Section<T> {
    fn default() -> Self {
        Self::owned(Vec::new())
    }
}

impl<T: Pod> Clone for Section<T> {
    fn clone(&self) -> Self {
        match &self.inner {
            Inner::Owned(v) => Self::owned(v.clone()),
            Inner::Mapped {
                file, start, len, ..
            } => Self {
                inner: Inner::Mapped {
                    file: Arc::clone(file),
                    start: *start,
                    len: *len,
                    _t: PhantomData,
                },
            },
        }
    }
}

impl<T: Pod> std::fmt::Debug for Section<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match self.inner {
            Inner::Owned(_) => "owned",
            Inner::Mapped { .. } => "mapped",
        };
        write!(f, "Section({how}, {} values)", self.len())
    }
}

/// The text `len` bytes at `start` of an arena, or `""` when that is not text.
pub(crate) fn text_at(arena: &[u8], start: usize, len: usize) -> &str {
    arena
        .get(start..start.saturating_add(len))
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
}
