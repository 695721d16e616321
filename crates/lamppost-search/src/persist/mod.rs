//! The persisted index: one file per data version beside the database, opened by memory map,
//! so that opening costs the same at ten thousand poles as at a million.
//!
//! # Where
//! `<db>.index/<data version>-<stamp>.lpidx`, next to the database file (`lamppost.sqlite` →
//! `lamppost.sqlite.index/12-3fa94c0d1e2b7a55.lpidx`), where the stamp is the start of the
//! database's content stamp ([`lamppost_data::store::Store::content_stamp`]: SHA-256 over its
//! `meta` and `versions` rows, which every data change goes through). A new data version gets
//! a new file name; no file is ever rewritten or truncated in place.
//!
//! # When it is written
//! Whenever an index is built from the database ([`crate::SearchIndex::open`] finding no valid
//! file): after an import or an undo (the CLI writes it before it exits; the window's rebuild
//! worker right after the rebuild), after a data package is installed (the window's watcher
//! rebuilds on the new data version; the CLI `package install` writes it), and on the first
//! start after any other change. Always on a worker thread or in the CLI, never on the UI
//! thread. Writing: a temporary file in the same folder, synced, then renamed to its final
//! name (atomic on every platform we ship), then every other index file in the folder is
//! deleted, best effort: on Windows a file still mapped by another process cannot be
//! deleted, and is deleted by a later write.
//!
//! # Concurrent replacement
//! A reader that has an index mapped keeps it until it drops it: a new data version never
//! touches that file, only creates another; on Unix deleting it leaves the mapped pages alive,
//! on Windows deletion fails while it is mapped. The reader then opens the new version's file
//! (the window's watcher, on the next data version), never a half-written one (the rename).
//!
//! # Layout (little-endian, [`FORMAT`] 2)
//! A 72-byte header: magic `LPIDX\r\n\x1a` (catches text-mode copies), format version, number
//! of sections, data version, the 32-byte content stamp, the file's length and a checksum of
//! the header and the section table. Then the section table: per section its id, value size,
//! offset, length in bytes and checksum. Then the sections, each 64-byte aligned: the plain
//! arrays of [`crate::SearchIndex`] (poles, text arena, code hash table, sorted codes, street
//! and place tables, k-d tree points, the typo search's key filter, and the eight flat arrays
//! of each of the street and place name indexes: keys, offsets, kinds, targets, frequent
//! prefixes and their ranked matches), used in place through `bytemuck` casts, and one small
//! "meta" section (dataset names, streets with their lines, the key alphabet and lengths, a
//! few numbers) that is decoded at open: O(streets), not O(poles) or O(names).
//! Format 1 (name indexes decoded from the meta section, no key filter) is stale: rebuilt.

//! # What is checked, when
//! At open, before anything is used: the magic, the format, the data version and the content
//! stamp against the database's current ones (stale: another file name, or a mismatch), the
//! file length against the header (truncated), the header checksum, every section inside the
//! file, aligned and of the size its neighbours imply, and then **every section's checksum**.
//! That last check reads the whole file once: every section's checksum is a hash over the
//! hashes of its 1 MiB chunks, and the chunks of all sections are split, in file order, into
//! one run per core (up to four), each hashed by its own thread (a 4-lane multiply-rotate
//! hash at memory speed) while it faults its pages in (the map is not populated first: that
//! would fill it on one thread). Measured at 1M poles (177 MB file) with
//! `cargo bench --no-default-features --bench start` on the 2-core machine, load average
//! 1 to 2 (2026-12-05 22:40): the open 14.5 ms on one thread with the map populated first,
//! 9.0 ms on two threads populated, 10.2 ms on two threads faulting; one CLI `lookup`,
//! process start included, 17.7 ms, 16.3 ms and **14.7 ms** (the last is what ships), against
//! 0.8 to 1.3 s for the rebuild. The run before this change (load average 8 to 9) measured
//! 43.5 ms for the open and 63.5 ms for the CLI lookup: under load the time is the waiting
//! for a core, so two threads help most on an idle machine.
//!
//! Checking lazily instead would let a damaged section answer before its check, and every
//! read of a section would then have to tolerate garbage (today an index whose checksums
//! match is consistent by construction, so the readers may index it freely; the name indexes
//! read through bounds-checked slices all the same); checking it all up front keeps the rule
//! simple: a file that fails any check is never used for an answer. The caller then builds
//! the index from the database and writes a fresh file.

mod map;

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytemuck::{Pod, Zeroable};
use lamppost_core::geo::{LatLon, LocalPlane};

use crate::kdtree::{KdPoint, KdTree};
use crate::keytable::{KeySlot, KeyTable};
use crate::names::{self, NameIndex};
use crate::section::{Backing, Section};
use crate::typo::KeyFilter;
use crate::{DatasetInfo, PoleEntry, PositionCounts, SearchIndex, StreetInfo};

/// The format version: bump it whenever the layout, a table's type or the key hash changes.
pub const FORMAT: u32 = 2;

/// The first eight bytes of every index file.
pub const MAGIC: [u8; 8] = *b"LPIDX\r\n\x1a";

/// The extension of index files.
pub const EXTENSION: &str = "lpidx";

const ALIGN: usize = 64;

#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct Header {
    magic: [u8; 8],
    format: u32,
    sections: u32,
    data_version: i64,
    stamp: [u8; 32],
    file_len: u64,
    sum: u64,
}

#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct SectionEntry {
    id: u32,
    elem: u32,
    offset: u64,
    len: u64,
    sum: u64,
}

const HEADER: usize = std::mem::size_of::<Header>();
const ENTRY: usize = std::mem::size_of::<SectionEntry>();

/// The sections, in file order.
#[derive(Debug, Clone, Copy)]
#[repr(u32)]
enum Id {
    Meta,
    Arena,
    Poles,
    Strs,
    Notes,
    StreetPoles,
    StreetStart,
    KeySlots,
    Sorted,
    SortedKeys,
    SortedOff,
    PlacePoles,
    PlaceStart,
    Tree,
    KeyFilter,
    /// The first of the street name index's [`names::PARTS`] arrays.
    StreetNames,
    /// The first of the place name index's [`names::PARTS`] arrays.
    PlaceNames = Id::StreetNames as u32 + names::PARTS as u32,
}

const SECTIONS: usize = Id::PlaceNames as usize + names::PARTS;

/// Why an index file was not used (or not written).
#[derive(Debug)]
pub enum PersistError {
    /// There is no index file for the database's current data.
    Missing,
    /// The file could not be read or written.
    Io(std::io::Error),
    /// The file is not a valid index of this data: what failed.
    Invalid(&'static str),
    /// The index was not built from a database (it has no content stamp) and is not saved.
    NotFromDatabase,
}

impl std::fmt::Display for PersistError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => write!(
                f,
                "没有当前数据的索引文件 / no index file for the current data"
            ),
            Self::Io(e) => write!(f, "索引文件读写失败 / index file read or write failed: {e}"),
            Self::Invalid(what) => write!(f, "索引文件无效 / invalid index file: {what}"),
            Self::NotFromDatabase => write!(
                f,
                "索引不是从数据库建立的 / the index was not built from a database"
            ),
        }
    }
}

impl std::error::Error for PersistError {}

impl From<std::io::Error> for PersistError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::NotFound {
            Self::Missing
        } else {
            Self::Io(e)
        }
    }
}

/// The checksum of the index file: four independent lanes of multiply-rotate over 8-byte
/// words (so it runs at memory speed), folded with the length. Catches damage, not forgery.
#[must_use]
pub fn checksum(b: &[u8]) -> u64 {
    const P: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut lane = [
        0x243F_6A88_85A3_08D3_u64,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
        0x082E_FA98_EC4E_6C89,
    ];
    let mut chunks = b.chunks_exact(32);
    for c in &mut chunks {
        for (i, l) in lane.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&c[i * 8..i * 8 + 8]);
            *l = (*l ^ u64::from_le_bytes(w)).wrapping_mul(P).rotate_left(29);
        }
    }
    let mut h = (b.len() as u64).wrapping_mul(P);
    for l in lane {
        h = (h ^ l).wrapping_mul(P).rotate_left(31);
    }
    for &x in chunks.remainder() {
        h = (h ^ u64::from(x)).wrapping_mul(P);
    }
    h ^ (h >> 32)
}

/// Bytes per checksummed chunk of a section: the chunks are hashed on every core at open.
const CHUNK: usize = 1 << 20;

/// Threads that hash the chunks at most (the open is memory-bound beyond a few).
const MAX_THREADS: usize = 4;

/// The checksum of a section: [`checksum`] over the checksums of its [`CHUNK`]-byte chunks,
/// so that the chunks can be hashed in parallel.
#[must_use]
pub fn section_sum(b: &[u8]) -> u64 {
    let sums: Vec<u8> = b
        .chunks(CHUNK)
        .flat_map(|c| checksum(c).to_le_bytes())
        .collect();
    checksum(&sums)
}

/// True when every section's [`section_sum`] is its expected one: the chunks of all sections
/// are split, in file order, into as many runs as there are cores (up to [`MAX_THREADS`]),
/// each hashed by its own thread (the first by the calling one), so the pass over a large
/// file takes a fraction of the time on one core. Falls back to the calling thread when no
/// thread can be started.
fn sums_match(sections: &[&[u8]], expected: &[u64]) -> bool {
    let chunks: Vec<(usize, &[u8])> = sections
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.chunks(CHUNK).map(move |c| (i, c)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, MAX_THREADS)
        .min(chunks.len() / 2)
        .max(1);
    let hash =
        |part: &[(usize, &[u8])]| -> Vec<u64> { part.iter().map(|&(_, c)| checksum(c)).collect() };
    let parts: Vec<&[(usize, &[u8])]> = chunks
        .chunks(chunks.len().div_ceil(threads).max(1))
        .collect();
    let chunk_sums: Vec<u64> = std::thread::scope(|scope| {
        let mut rest = Vec::new();
        for part in parts.iter().skip(1) {
            let part: &[(usize, &[u8])] = part;
            rest.push(
                std::thread::Builder::new()
                    .name("lamppost-index-check".into())
                    .spawn_scoped(scope, move || hash(part))
                    .map_err(|_| part),
            );
        }
        let mut all = parts.first().map(|p| hash(p)).unwrap_or_default();
        for r in rest {
            match r {
                Ok(h) => all.extend(h.join().unwrap_or_default()),
                Err(part) => all.extend(hash(part)),
            }
        }
        all
    });
    if chunk_sums.len() != chunks.len() {
        return false; // a hashing thread failed
    }
    let mut per_section: Vec<Vec<u8>> = vec![Vec::new(); sections.len()];
    for (&(i, _), sum) in chunks.iter().zip(&chunk_sums) {
        per_section[i].extend_from_slice(&sum.to_le_bytes());
    }
    per_section.len() == expected.len()
        && per_section
            .iter()
            .zip(expected)
            .all(|(b, &sum)| checksum(b) == sum)
}

/// The folder of index files of the database at `db`: `<db>.index` beside it.
#[must_use]
pub fn dir_of(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".index");
    db.with_file_name(name)
}

/// The index file for one data version and content stamp of the database at `db`.
#[must_use]
pub fn path_for(db: &Path, data_version: i64, stamp: &[u8; 32]) -> PathBuf {
    let hex = lamppost_core::encode::hex(&stamp[..8]);
    dir_of(db).join(format!("{data_version}-{hex}.{EXTENSION}"))
}

/// Opens the index file of the database at `db` for its data version `data_version` and
/// content stamp `stamp`, after every check of the module docs.
pub fn load(db: &Path, data_version: i64, stamp: &[u8; 32]) -> Result<SearchIndex, PersistError> {
    load_file(&path_for(db, data_version, stamp), data_version, stamp)
}

/// Opens the index file at `path`, which must be of `data_version` and `stamp`.
pub fn load_file(
    path: &Path,
    data_version: i64,
    stamp: &[u8; 32],
) -> Result<SearchIndex, PersistError> {
    let mut file = File::open(path)?;
    let backing = if let Ok(m) = map::map(&file) {
        Backing::Map(m)
    } else {
        // Some file systems cannot map: one read into aligned memory instead.
        let len =
            usize::try_from(file.metadata()?.len()).map_err(|_| PersistError::Invalid("length"))?;
        let mut words = vec![0u64; len.div_ceil(8)];
        file.read_exact(&mut bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..len])?;
        Backing::Heap(words)
    };
    let len = file.metadata()?.len();
    decode(&Arc::new(backing), len, data_version, stamp)
}

fn decode(
    file: &Arc<Backing>,
    real_len: u64,
    data_version: i64,
    stamp: &[u8; 32],
) -> Result<SearchIndex, PersistError> {
    use PersistError::Invalid;
    let bytes = file.bytes();
    let bytes = bytes
        .get(..usize::try_from(real_len).map_err(|_| Invalid("length"))?)
        .ok_or(Invalid("length"))?;
    let head: Header =
        bytemuck::try_pod_read_unaligned(bytes.get(..HEADER).ok_or(Invalid("truncated header"))?)
            .map_err(|_| Invalid("header"))?;
    if head.magic != MAGIC {
        return Err(Invalid("not an index file"));
    }
    if head.format != FORMAT {
        return Err(Invalid("another format version"));
    }
    if head.data_version != data_version || head.stamp != *stamp {
        return Err(Invalid("another data version"));
    }
    if head.file_len != real_len {
        return Err(Invalid("truncated or extended"));
    }
    if head.sections as usize != SECTIONS {
        return Err(Invalid("section count"));
    }
    let table_end = HEADER + SECTIONS * ENTRY;
    let table_bytes = bytes
        .get(HEADER..table_end)
        .ok_or(Invalid("section table"))?;
    let mut unsummed = head;
    unsummed.sum = 0;
    if header_sum(&unsummed, table_bytes) != head.sum {
        return Err(Invalid("header checksum"));
    }
    let table: Vec<SectionEntry> = table_bytes
        .chunks_exact(ENTRY)
        .map(bytemuck::pod_read_unaligned)
        .collect();
    let mut slices: Vec<&[u8]> = Vec::with_capacity(SECTIONS);
    for (i, e) in table.iter().enumerate() {
        let start = usize::try_from(e.offset).map_err(|_| Invalid("section offset"))?;
        let len = usize::try_from(e.len).map_err(|_| Invalid("section length"))?;
        let s = start
            .checked_add(len)
            .and_then(|end| bytes.get(start..end))
            .ok_or(Invalid("section outside the file"))?;
        if e.id as usize != i || start % ALIGN != 0 || e.elem == 0 || len % e.elem as usize != 0 {
            return Err(Invalid("section table"));
        }
        slices.push(s);
    }
    let sums: Vec<u64> = table.iter().map(|e| e.sum).collect();
    if !sums_match(&slices, &sums) {
        return Err(Invalid("section checksum"));
    }
    let meta: Section<u8> = sec(file, &table, Id::Meta)?;
    let m = read_meta(&meta).ok_or(Invalid("meta section"))?;
    let poles: Section<PoleEntry> = sec(file, &table, Id::Poles)?;
    let n = poles.len();
    let index = SearchIndex {
        info: DatasetInfo {
            name: m.name,
            name_en: m.name_en,
            attribution: m.attribution,
            data_version,
        },
        stamp: *stamp,
        arena: sec(file, &table, Id::Arena)?,
        poles,
        strs: sec(file, &table, Id::Strs)?,
        notes: sec(file, &table, Id::Notes)?,
        streets: m.streets,
        street_poles: sec(file, &table, Id::StreetPoles)?,
        street_start: sec(file, &table, Id::StreetStart)?,
        by_key: KeyTable::from_section(sec::<KeySlot>(file, &table, Id::KeySlots)?)
            .ok_or(Invalid("key table size"))?,
        sorted: sec(file, &table, Id::Sorted)?,
        sorted_keys: sec(file, &table, Id::SortedKeys)?,
        sorted_off: sec(file, &table, Id::SortedOff)?,
        alphabet: m.alphabet,
        min_key_len: m.min_key_len,
        key_lens: m.key_lens,
        key_filter: KeyFilter::from_section(sec(file, &table, Id::KeyFilter)?)
            .ok_or(Invalid("key filter size"))?,
        street_names: name_index(file, &table, Id::StreetNames)?,
        place_names: name_index(file, &table, Id::PlaceNames)?,
        place_poles: sec(file, &table, Id::PlacePoles)?,
        place_start: sec(file, &table, Id::PlaceStart)?,
        origin: m.origin,
        plane: LocalPlane::new(m.origin),
        tree: KdTree::from_section(sec::<KdPoint>(file, &table, Id::Tree)?),
        counts: m.counts,
        model: arc_swap::ArcSwap::from_pointee(crate::ErrorModel::default()),
    };
    let consistent = index.sorted.len() == n
        && index.street_poles.len() == n
        && index.sorted_off.len() == n + 1
        && index.street_start.len() == index.streets.len() + 1
        && !index.strs.is_empty()
        && index.tree.len() <= n
        && index.sorted_off.last().map(|&o| o as usize) == Some(index.sorted_keys.len());
    if !consistent {
        return Err(Invalid("table sizes"));
    }
    Ok(index)
}

/// Section `id` of the file, as values of `T`.
fn sec<T: Pod>(
    file: &Arc<Backing>,
    table: &[SectionEntry],
    id: Id,
) -> Result<Section<T>, PersistError> {
    let e = table[id as usize];
    if e.elem as usize != std::mem::size_of::<T>() {
        return Err(PersistError::Invalid("section value size"));
    }
    Section::mapped(
        file,
        e.offset as usize,
        e.len as usize / std::mem::size_of::<T>(),
    )
    .ok_or(PersistError::Invalid("section alignment"))
}

/// The name index whose arrays are the [`names::PARTS`] sections from `first` on.
fn name_index(
    file: &Arc<Backing>,
    table: &[SectionEntry],
    first: Id,
) -> Result<NameIndex, PersistError> {
    let at = |i: usize| {
        let e = table[first as usize + i];
        (e.offset as usize, e.len as usize, e.elem as usize)
    };
    let part = |i: usize| -> Result<Section<u8>, PersistError> { raw(file, at(i), 1) };
    let part32 = |i: usize| -> Result<Section<u32>, PersistError> { raw(file, at(i), 4) };
    NameIndex::from_parts(
        part(0)?,
        part32(1)?,
        part(2)?,
        part32(3)?,
        (part(4)?, part32(5)?),
        (part32(6)?, raw(file, at(7), 8)?),
    )
    .ok_or(PersistError::Invalid("name index sizes"))
}

/// A section at `(offset, length, value size)` as values of `T` of size `size`.
fn raw<T: Pod>(
    file: &Arc<Backing>,
    (offset, len, elem): (usize, usize, usize),
    size: usize,
) -> Result<Section<T>, PersistError> {
    if elem != size || size != std::mem::size_of::<T>() {
        return Err(PersistError::Invalid("section value size"));
    }
    Section::mapped(file, offset, len / size).ok_or(PersistError::Invalid("section alignment"))
}

fn header_sum(head: &Header, table: &[u8]) -> u64 {
    let mut b = bytemuck::bytes_of(head).to_vec();
    b.extend_from_slice(table);
    checksum(&b)
}

/// Writes the index file of `index` for the database at `db` (see the module docs: a temporary
/// file renamed into place, then the other index files deleted, best effort). Does nothing
/// when a valid file is already there. Returns the file's path.
pub fn save(index: &SearchIndex, db: &Path) -> Result<PathBuf, PersistError> {
    if index.stamp == [0; 32] {
        return Err(PersistError::NotFromDatabase);
    }
    let version = index.info.data_version;
    let path = path_for(db, version, &index.stamp);
    if path.exists() && load_file(&path, version, &index.stamp).is_ok() {
        remove_others(&path);
        return Ok(path);
    }
    let dir = dir_of(db);
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let written = write_to(index, &tmp).and_then(|()| {
        match std::fs::rename(&tmp, &path) {
            Ok(()) => Ok(()),
            // Windows: another process has the same file mapped; it is the same data.
            Err(_) if path.exists() => Ok(()),
            Err(e) => Err(PersistError::Io(e)),
        }
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    remove_others(&path);
    Ok(path)
}

/// Deletes every other index file (and temporary files older than an hour) beside `keep`,
/// ignoring failures (a file mapped by another process on Windows).
fn remove_others(keep: &Path) {
    let Some(dir) = keep.parent() else { return };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p == keep {
            continue;
        }
        let old_tmp = p.extension().is_some_and(|x| x == "tmp")
            && e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600);
        if old_tmp || p.extension().is_some_and(|x| x == EXTENSION) {
            let _ = std::fs::remove_file(&p);
        }
    }
}

fn write_to(index: &SearchIndex, tmp: &Path) -> Result<(), PersistError> {
    let meta = write_meta(index);
    let mut sections: Vec<(&[u8], usize)> = vec![
        (&meta, 1),
        (index.arena.as_bytes(), 1),
        (index.poles.as_bytes(), std::mem::size_of::<PoleEntry>()),
        (index.strs.as_bytes(), 8),
        (index.notes.as_bytes(), 12),
        (index.street_poles.as_bytes(), 4),
        (index.street_start.as_bytes(), 4),
        (
            index.by_key.section().as_bytes(),
            std::mem::size_of::<KeySlot>(),
        ),
        (index.sorted.as_bytes(), 4),
        (index.sorted_keys.as_bytes(), 1),
        (index.sorted_off.as_bytes(), 4),
        (index.place_poles.as_bytes(), 8),
        (index.place_start.as_bytes(), 12),
        (
            index.tree.section().as_bytes(),
            std::mem::size_of::<KdPoint>(),
        ),
        (index.key_filter.section().as_bytes(), 8),
    ];
    sections.extend(index.street_names.parts());
    sections.extend(index.place_names.parts());
    debug_assert_eq!(sections.len(), SECTIONS);
    let mut table: Vec<SectionEntry> = Vec::with_capacity(SECTIONS);
    let mut at = (HEADER + SECTIONS * ENTRY).next_multiple_of(ALIGN);
    for (i, (b, elem)) in sections.iter().enumerate() {
        table.push(SectionEntry {
            id: i as u32,
            elem: *elem as u32,
            offset: at as u64,
            len: b.len() as u64,
            sum: section_sum(b),
        });
        at = (at + b.len()).next_multiple_of(ALIGN);
    }
    let file_len = table.last().map_or(at, |e| (e.offset + e.len) as usize);
    let mut head = Header {
        magic: MAGIC,
        format: FORMAT,
        sections: SECTIONS as u32,
        data_version: index.info.data_version,
        stamp: index.stamp,
        file_len: file_len as u64,
        sum: 0,
    };
    let table_bytes: &[u8] = bytemuck::cast_slice(&table);
    head.sum = header_sum(&head, table_bytes);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    w.write_all(bytemuck::bytes_of(&head))?;
    w.write_all(table_bytes)?;
    let mut pos = HEADER + table_bytes.len();
    for ((b, _), e) in sections.iter().zip(&table) {
        let pad = e.offset as usize - pos;
        w.write_all(&[0u8; ALIGN][..pad])?;
        w.write_all(b)?;
        pos = e.offset as usize + b.len();
    }
    let file = w
        .into_inner()
        .map_err(|e| PersistError::Io(e.into_error()))?;
    file.sync_all()?;
    Ok(())
}

/// What the meta section holds.
struct Meta {
    name: String,
    name_en: String,
    attribution: String,
    min_key_len: usize,
    counts: PositionCounts,
    origin: LatLon,
    alphabet: Vec<u8>,
    key_lens: u64,
    streets: Vec<StreetInfo>,
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_f64(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn write_meta(index: &SearchIndex) -> Vec<u8> {
    let mut out = Vec::new();
    let info = &index.info;
    for s in [&info.name, &info.name_en, &info.attribution] {
        put_bytes(&mut out, s.as_bytes());
    }
    put_u64(&mut out, index.min_key_len as u64);
    let c = index.counts;
    for v in [c.surveyed, c.estimated, c.unknown] {
        put_u64(&mut out, v);
    }
    put_f64(&mut out, index.origin.lat_deg);
    put_f64(&mut out, index.origin.lon_deg);
    put_bytes(&mut out, &index.alphabet);
    put_u64(&mut out, index.key_lens);
    put_u64(&mut out, index.streets.len() as u64);
    for s in &index.streets {
        for t in [&s.code, &s.name, &s.name_en, &s.district, &s.jurisdiction] {
            put_bytes(&mut out, t.as_bytes());
        }
        put_u64(&mut out, s.geometry.len() as u64);
        for p in &s.geometry {
            put_f64(&mut out, p.lat_deg);
            put_f64(&mut out, p.lon_deg);
        }
        put_f64(&mut out, s.length_m);
        match s.anchor {
            Some(a) => {
                out.push(1);
                put_f64(&mut out, a.lat_deg);
                put_f64(&mut out, a.lon_deg);
            }
            None => out.push(0),
        }
        put_u64(&mut out, u64::from(s.poles));
    }
    out
}

struct Rd<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u64(&mut self) -> Option<u64> {
        let mut w = [0u8; 8];
        w.copy_from_slice(self.take(8)?);
        Some(u64::from_le_bytes(w))
    }
    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }
    fn f64(&mut self) -> Option<f64> {
        Some(f64::from_bits(self.u64()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.usize()?;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        std::str::from_utf8(self.bytes()?).ok().map(str::to_owned)
    }
}

fn read_meta(b: &[u8]) -> Option<Meta> {
    let mut r = Rd { b, at: 0 };
    let name = r.string()?;
    let name_en = r.string()?;
    let attribution = r.string()?;
    let min_key_len = r.usize()?;
    let counts = PositionCounts {
        surveyed: r.u64()?,
        estimated: r.u64()?,
        unknown: r.u64()?,
    };
    let origin = LatLon::new(r.f64()?, r.f64()?);
    let alphabet = r.bytes()?.to_vec();
    let key_lens = r.u64()?;
    let n = r.usize()?;
    let mut streets = Vec::with_capacity(n.min(b.len() / 64));
    for _ in 0..n {
        let code = r.string()?;
        let name = r.string()?;
        let name_en = r.string()?;
        let district = r.string()?;
        let jurisdiction = r.string()?;
        let points = r.usize()?;
        let mut geometry = Vec::with_capacity(points.min(b.len() / 16));
        for _ in 0..points {
            geometry.push(LatLon::new(r.f64()?, r.f64()?));
        }
        let length_m = r.f64()?;
        let anchor = match r.take(1)?[0] {
            0 => None,
            1 => Some(LatLon::new(r.f64()?, r.f64()?)),
            _ => return None,
        };
        let poles = u32::try_from(r.u64()?).ok()?;
        streets.push(StreetInfo {
            code,
            name,
            name_en,
            district,
            jurisdiction,
            geometry,
            length_m,
            anchor,
            poles,
        });
    }
    (r.at == b.len()).then_some(Meta {
        name,
        name_en,
        attribution,
        min_key_len,
        counts,
        origin,
        alphabet,
        key_lens,
        streets,
    })
}
