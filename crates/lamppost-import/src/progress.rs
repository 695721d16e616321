//! Progress and cancellation of a running import, shared with whoever watches it.
//!
//! The import updates a few atomics now and then (every chunk of the file it reads, every few
//! thousand rows), and polls a cancel flag at the same places and between stages. A watcher
//! (the supervisor's window) reads a [`Progress`] snapshot whenever it redraws: no locks, no
//! channel, nothing that could slow the import or block the frame.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Rows between two progress updates (and cancel checks) while rows stream by.
pub(crate) const ROWS_PER_UPDATE: u64 = 4096;

/// The stage and the bytes done share one atomic (the stage in the top byte), so a snapshot
/// never pairs one stage with the other stage's byte count.
const STAGE_SHIFT: u32 = 56;
const BYTES_MASK: u64 = (1 << STAGE_SHIFT) - 1;

/// Shared between a running import and whoever watches it (the supervisor's window): progress
/// counters the import updates, and a cancel flag it honours.
#[derive(Debug, Default)]
pub struct ImportControl {
    /// `Stage` in the top byte, bytes done in the current pass in the rest.
    position: AtomicU64,
    bytes_total: AtomicU64,
    rows: AtomicU64,
    cancel: AtomicBool,
}

/// Where an import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Not started yet (settings, opening the file).
    Starting,
    /// The first pass over the file: its SHA-256 and its encoding.
    Detecting,
    /// The second pass: parsing, validating and comparing the rows.
    Reading,
    /// The street checks and removals after the rows.
    Checking,
    /// The commit.
    Writing,
    /// Finished (applied, or rolled back for a dry run or a refused file).
    Done,
}

impl Stage {
    fn from_bits(b: u64) -> Self {
        match b {
            1 => Stage::Detecting,
            2 => Stage::Reading,
            3 => Stage::Checking,
            4 => Stage::Writing,
            5 => Stage::Done,
            _ => Stage::Starting,
        }
    }

    fn bits(self) -> u64 {
        match self {
            Stage::Starting => 0,
            Stage::Detecting => 1,
            Stage::Reading => 2,
            Stage::Checking => 3,
            Stage::Writing => 4,
            Stage::Done => 5,
        }
    }
}

/// A snapshot of an import's progress.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The stage.
    pub stage: Stage,
    /// Raw file bytes read so far in the current pass (detection, then reading).
    pub bytes_done: u64,
    /// The file's size in bytes (0 until known).
    pub bytes_total: u64,
    /// Data rows read so far.
    pub rows: u64,
}

/// Shares of the progress bar: the detection pass is a fast scan, the reading pass does the
/// real work.
const DETECT_SHARE: f32 = 0.2;
const READ_END: f32 = 0.95;
const CHECK_AT: f32 = 0.95;
const WRITE_AT: f32 = 0.98;

impl Progress {
    /// Overall fraction 0.0..=1.0 for a progress bar (both passes over the file counted).
    #[must_use]
    pub fn fraction(&self) -> f32 {
        let pass = if self.bytes_total == 0 {
            0.0
        } else {
            (self.bytes_done as f64 / self.bytes_total as f64).clamp(0.0, 1.0) as f32
        };
        let f = match self.stage {
            Stage::Starting => 0.0,
            Stage::Detecting => DETECT_SHARE * pass,
            Stage::Reading => DETECT_SHARE + (READ_END - DETECT_SHARE) * pass,
            Stage::Checking => CHECK_AT,
            Stage::Writing => WRITE_AT,
            Stage::Done => 1.0,
        };
        f.clamp(0.0, 1.0)
    }
}

impl ImportControl {
    /// A control at [`Stage::Starting`], not cancelled.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the import to stop; it rolls back and returns `ImportError::Cancelled`.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// True once [`cancel`](Self::cancel) was called.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// A snapshot of the counters (each read atomically; stage and bytes together).
    #[must_use]
    pub fn progress(&self) -> Progress {
        let pos = self.position.load(Ordering::Acquire);
        Progress {
            stage: Stage::from_bits(pos >> STAGE_SHIFT),
            bytes_done: pos & BYTES_MASK,
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            rows: self.rows.load(Ordering::Relaxed),
        }
    }

    /// Enters a stage; a pass over the file starts again at 0 bytes.
    pub(crate) fn set_stage(&self, stage: Stage) {
        let bytes = match stage {
            Stage::Detecting | Stage::Reading => 0,
            _ => self.position.load(Ordering::Relaxed) & BYTES_MASK,
        };
        self.position
            .store((stage.bits() << STAGE_SHIFT) | bytes, Ordering::Release);
    }

    /// Sets the file's size.
    pub(crate) fn set_total(&self, bytes: u64) {
        self.bytes_total.store(bytes, Ordering::Relaxed);
    }

    /// Counts raw bytes read in the current pass (called per chunk, not per byte).
    pub(crate) fn add_bytes(&self, n: u64) {
        // Only the import's thread writes: the stage bits are not disturbed by the addition as
        // long as a pass stays under 2^56 bytes.
        self.position
            .fetch_add(n.min(BYTES_MASK), Ordering::Release);
    }

    /// Sets the bytes done in the current pass (at the end of it).
    pub(crate) fn set_bytes(&self, n: u64) {
        let stage = self.position.load(Ordering::Relaxed) >> STAGE_SHIFT;
        self.position
            .store((stage << STAGE_SHIFT) | (n & BYTES_MASK), Ordering::Release);
    }

    /// Sets the rows read so far.
    pub(crate) fn set_rows(&self, rows: u64) {
        self.rows.store(rows, Ordering::Relaxed);
    }
}

/// Counts the raw bytes read through it into a control (per read call, i.e. per buffer).
pub(crate) struct Counting<'c, R> {
    pub(crate) inner: R,
    pub(crate) control: Option<&'c ImportControl>,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = self.control {
            c.add_bytes(n as u64);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fraction_grows_through_the_stages_and_stays_within_zero_and_one() {
        let c = ImportControl::new();
        c.set_total(1000);
        let mut last = c.progress().fraction();
        assert!(last.abs() < f32::EPSILON);
        for stage in [Stage::Detecting, Stage::Reading] {
            c.set_stage(stage);
            for _ in 0..10 {
                c.add_bytes(100);
                let f = c.progress().fraction();
                assert!(f >= last && (0.0..=1.0).contains(&f), "{f} after {last}");
                last = f;
            }
            assert_eq!(c.progress().bytes_done, 1000);
        }
        for stage in [Stage::Checking, Stage::Writing, Stage::Done] {
            c.set_stage(stage);
            let f = c.progress().fraction();
            assert!(f >= last && (0.0..=1.0).contains(&f), "{f} after {last}");
            last = f;
        }
        assert!((last - 1.0).abs() < f32::EPSILON);
        assert_eq!(c.progress().stage, Stage::Done);
    }

    #[test]
    fn a_cancelled_control_says_so() {
        let c = ImportControl::new();
        assert!(!c.is_cancelled());
        c.cancel();
        assert!(c.is_cancelled());
    }
}
