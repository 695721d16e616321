//! Names found by what a call-taker types: Simplified or Traditional characters, full pinyin,
//! pinyin initials, or a part of the name.
//!
//! Every name is folded (see [`lamppost_core::text::fold`]) and indexed under several keys in one
//! sorted array; a query is folded the same way and matched as a prefix of the keys.
//!
//! A keystroke costs the same whatever its length: every prefix shared by more than
//! [`LIGHT`] keys (the short ones: one character matches thousands of keys) is stored with its
//! best [`TOP`] matches already ranked, so it is one binary search and a copy; any other prefix
//! is a binary search and a scan of at most [`LIGHT`] keys that sit side by side in memory.
//! Everything is flat arrays of numbers and bytes (no pointers, no hashing), in sorted order.

use lamppost_core::text::{fold, pinyin_keys};

use crate::section::Section;

/// How a name matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyKind {
    /// The folded name starts with the query.
    Name = 0,
    /// Full pinyin starts with the query.
    Pinyin = 1,
    /// Pinyin initials start with the query.
    Initials = 2,
    /// A later part of the folded name starts with the query (`北路` in `重庆北路一段`).
    Inside = 3,
}

/// A prefix shared by more keys than this has its best matches stored; a query for any other
/// prefix scans its (at most this many) keys.
pub const LIGHT: usize = 48;

/// Matches stored per frequent prefix: a query asking for more scans as before.
pub const TOP: usize = 32;

/// How many keys a scan reads at most when a frequent prefix is asked for more than [`TOP`].
const SCAN_CAP: usize = 1024;

#[derive(Debug, Clone)]
struct Entry {
    key: Box<str>,
    kind: KeyKind,
    target: u32,
}

/// A match: which name, how, and how much longer the name's key is than the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameMatch {
    /// The id given to [`NameIndexBuilder::add`].
    pub target: u32,
    /// How it matched.
    pub kind: KeyKind,
    /// Bytes of the key past the query: 0 for a whole-name match.
    pub rest: u16,
}

impl NameMatch {
    /// Packed so that the integer order is the rank order (kind, remainder, target).
    fn pack(self) -> u64 {
        (u64::from(self.kind as u8) << 48) | (u64::from(self.rest) << 32) | u64::from(self.target)
    }

    fn unpack(v: u64) -> Self {
        Self {
            target: v as u32,
            kind: kind_of((v >> 48) as u8),
            rest: (v >> 32) as u16,
        }
    }
}

fn kind_of(b: u8) -> KeyKind {
    match b {
        0 => KeyKind::Name,
        1 => KeyKind::Pinyin,
        2 => KeyKind::Initials,
        _ => KeyKind::Inside,
    }
}

/// Collects names, then sorts them into a [`NameIndex`].
#[derive(Debug, Default)]
pub struct NameIndexBuilder {
    entries: Vec<Entry>,
    /// Index parts of names too (costs one entry per character).
    inside: bool,
}

impl NameIndexBuilder {
    /// A builder; `inside` also indexes every later part of each name.
    #[must_use]
    pub fn new(inside: bool) -> Self {
        Self {
            inside,
            ..Self::default()
        }
    }

    fn push(&mut self, key: &str, kind: KeyKind, target: u32) {
        if key.is_empty() || key.len() > usize::from(u16::MAX) {
            return;
        }
        self.entries.push(Entry {
            key: key.into(),
            kind,
            target,
        });
    }

    /// Indexes `name` for `target`.
    pub fn add(&mut self, name: &str, target: u32) {
        let folded = fold(name);
        if folded.is_empty() {
            return;
        }
        self.push(&folded, KeyKind::Name, target);
        if self.inside {
            for (i, _) in folded.char_indices().skip(1) {
                // Parts shorter than two characters match too much to be useful.
                if folded[i..].chars().nth(1).is_some() {
                    let part = folded[i..].to_owned();
                    self.push(&part, KeyKind::Inside, target);
                }
            }
        }
        let py = pinyin_keys(name);
        for k in &py.full {
            self.push(k, KeyKind::Pinyin, target);
        }
        for k in &py.initials {
            self.push(k, KeyKind::Initials, target);
        }
    }

    /// Sorts the keys and ranks the matches of every frequent prefix.
    #[must_use]
    pub fn finish(mut self) -> NameIndex {
        self.entries.sort_unstable_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then(a.kind.cmp(&b.kind))
                .then(a.target.cmp(&b.target))
        });
        let n = self.entries.len();
        let mut keys: Vec<u8> = Vec::with_capacity(self.entries.iter().map(|e| e.key.len()).sum());
        let mut key_off: Vec<u32> = Vec::with_capacity(n + 1);
        let mut kinds: Vec<u8> = Vec::with_capacity(n);
        let mut targets: Vec<u32> = Vec::with_capacity(n);
        for e in &self.entries {
            key_off.push(keys.len() as u32);
            keys.extend_from_slice(e.key.as_bytes());
            kinds.push(e.kind as u8);
            targets.push(e.target);
        }
        key_off.push(keys.len() as u32);

        // Every prefix (at a character boundary) that starts at entry i, and is not a prefix
        // of the entry before, is first met at i: its keys are i..end.
        let mut heavy: Vec<(&str, usize, usize)> = Vec::new();
        for i in 0..n {
            let key = &*self.entries[i].key;
            let shared = if i == 0 {
                0
            } else {
                common_prefix(&self.entries[i - 1].key, key)
            };
            for (b, c) in key.char_indices() {
                let b = b + c.len_utf8();
                if b <= shared {
                    continue;
                }
                let p = &key[..b];
                let end = i + self.entries[i..].partition_point(|e| e.key.starts_with(p));
                if end - i <= LIGHT {
                    // Longer prefixes have no more keys.
                    break;
                }
                heavy.push((p, i, end));
            }
        }
        heavy.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let (mut heavy_keys, mut heavy_off, mut top_off, mut top) =
            (Vec::new(), vec![0u32], vec![0u32], Vec::new());
        let mut best: Vec<(u32, u64)> = Vec::new();
        for (p, lo, hi) in heavy {
            best.clear();
            best.extend(self.entries[lo..hi].iter().map(|e| {
                let m = NameMatch {
                    target: e.target,
                    kind: e.kind,
                    rest: (e.key.len() - p.len()) as u16,
                };
                (e.target, m.pack())
            }));
            // The best match per target, then the best targets.
            best.sort_unstable();
            best.dedup_by_key(|x| x.0);
            let mut ranked: Vec<u64> = best.iter().map(|x| x.1).collect();
            if ranked.len() > TOP {
                ranked.select_nth_unstable(TOP);
                ranked.truncate(TOP);
            }
            ranked.sort_unstable();
            heavy_keys.extend_from_slice(p.as_bytes());
            heavy_off.push(heavy_keys.len() as u32);
            top.extend_from_slice(&ranked);
            top_off.push(top.len() as u32);
        }
        NameIndex {
            keys: Section::owned(keys),
            key_off: Section::owned(key_off),
            kinds: Section::owned(kinds),
            targets: Section::owned(targets),
            heavy_keys: Section::owned(heavy_keys),
            heavy_off: Section::owned(heavy_off),
            top_off: Section::owned(top_off),
            top: Section::owned(top),
        }
    }
}

/// Bytes two strings share at the start.
fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

/// Sorted name keys and the ranked matches of their frequent prefixes: flat arrays only.
#[derive(Debug, Default)]
pub struct NameIndex {
    /// The keys back to back, in sorted order.
    keys: Section<u8>,
    /// Where key `i` starts in `keys` (one more than there are keys).
    key_off: Section<u32>,
    /// [`KeyKind`] of key `i`.
    kinds: Section<u8>,
    /// Target of key `i`.
    targets: Section<u32>,
    /// The prefixes shared by more than [`LIGHT`] keys, back to back, sorted.
    heavy_keys: Section<u8>,
    heavy_off: Section<u32>,
    /// Their best matches ([`NameMatch`] packed, best first): prefix `h` owns
    /// `top[top_off[h]..top_off[h + 1]]`.
    top_off: Section<u32>,
    top: Section<u64>,
}

impl NameIndex {
    // The sizes are checked when an index is read from a file ([`NameIndex::from_parts`]);
    // offsets out of order (a file damaged past its checksum) give empty keys, never a panic.
    fn key(&self, i: usize) -> &[u8] {
        slice(&self.keys, &self.key_off, i)
    }

    fn heavy(&self, h: usize) -> &[u8] {
        slice(&self.heavy_keys, &self.heavy_off, h)
    }

    /// Every name matching the (already folded) query, best match per target, best first
    /// (kind, then the shortest remainder, then target), at most `limit`. One binary search,
    /// then either the stored ranking of a frequent prefix or a scan of at most [`LIGHT`] keys
    /// (a frequent prefix asked for more than [`TOP`] scans its first 1,024 keys).
    #[must_use]
    pub fn find(&self, folded_query: &str, limit: usize) -> Vec<NameMatch> {
        if folded_query.is_empty() || limit == 0 {
            return Vec::new();
        }
        let q = folded_query.as_bytes();
        let heavy_n = self.heavy_off.len().saturating_sub(1);
        let h = {
            let (mut a, mut b) = (0, heavy_n);
            while a < b {
                let mid = a + (b - a) / 2;
                if self.heavy(mid) < q {
                    a = mid + 1;
                } else {
                    b = mid;
                }
            }
            (a < heavy_n && self.heavy(a) == q).then_some(a)
        };
        if let Some(h) = h
            && limit <= TOP
        {
            let (a, b) = (self.top_off[h] as usize, self.top_off[h + 1] as usize);
            return self
                .top
                .get(a..b)
                .unwrap_or_default()
                .iter()
                .take(limit)
                .map(|&v| NameMatch::unpack(v))
                .collect();
        }
        let n = self.targets.len();
        let (mut a, mut b) = (0, n);
        while a < b {
            let mid = a + (b - a) / 2;
            if self.key(mid) < q {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        let mut all: Vec<NameMatch> = (a..n)
            .take(SCAN_CAP)
            .map_while(|i| {
                let key = self.key(i);
                key.starts_with(q).then(|| NameMatch {
                    target: self.targets[i],
                    kind: kind_of(self.kinds[i]),
                    rest: (key.len() - q.len()) as u16,
                })
            })
            .collect();
        // The best match per target: sort by target then quality, keep the first of each.
        all.sort_unstable_by_key(|m| (m.target, m.kind, m.rest));
        all.dedup_by_key(|m| m.target);
        let mut best = all;
        best.sort_unstable_by_key(|m| (m.kind, m.rest, m.target));
        best.truncate(limit);
        best
    }

    /// Number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// True when nothing is indexed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Bytes of the arrays.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.keys.heap_bytes()
            + self.key_off.heap_bytes()
            + self.kinds.heap_bytes()
            + self.targets.heap_bytes()
            + self.heavy_keys.heap_bytes()
            + self.heavy_off.heap_bytes()
            + self.top_off.heap_bytes()
            + self.top.heap_bytes()
    }
}

/// The values of `offsets` bound item `i` in `bytes`; empty when they do not.
fn slice<'a>(bytes: &'a [u8], offsets: &[u32], i: usize) -> &'a [u8] {
    match (offsets.get(i), offsets.get(i + 1)) {
        (Some(&a), Some(&b)) => bytes.get(a as usize..b as usize).unwrap_or_default(),
        _ => &[],
    }
}

/// The arrays of a [`NameIndex`] in a fixed order, each with the size of its values: what the
/// persisted index ([`crate::persist`]) stores as sections and maps back in place.
pub(crate) const PARTS: usize = 8;

/// The persisted index's seam ([`crate::persist`]): whatever the inside of [`NameIndex`]
/// becomes, only these two functions need to follow (and [`crate::persist::FORMAT`] to be
/// bumped).
impl NameIndex {
    /// The arrays as bytes with their value sizes, in the order [`NameIndex::from_parts`] takes.
    pub(crate) fn parts(&self) -> [(&[u8], usize); PARTS] {
        [
            (self.keys.as_bytes(), 1),
            (self.key_off.as_bytes(), 4),
            (self.kinds.as_bytes(), 1),
            (self.targets.as_bytes(), 4),
            (self.heavy_keys.as_bytes(), 1),
            (self.heavy_off.as_bytes(), 4),
            (self.top_off.as_bytes(), 4),
            (self.top.as_bytes(), 8),
        ]
    }

    /// An index over the arrays [`NameIndex::parts`] gave (read in place from a file), or
    /// `None` when their sizes do not fit together. O(1): the contents are trusted (the file's
    /// checksums passed), and a read never panics whatever they hold.
    pub(crate) fn from_parts(
        keys: Section<u8>,
        key_off: Section<u32>,
        kinds: Section<u8>,
        targets: Section<u32>,
        (heavy_keys, heavy_off): (Section<u8>, Section<u32>),
        (top_off, top): (Section<u32>, Section<u64>),
    ) -> Option<Self> {
        let n = targets.len();
        let fits = kinds.len() == n
            && key_off.len() == n + 1
            && key_off.last().map(|&o| o as usize) == Some(keys.len())
            && !heavy_off.is_empty()
            && heavy_off.len() == top_off.len()
            && heavy_off.last().map(|&o| o as usize) == Some(heavy_keys.len())
            && top_off.last().map(|&o| o as usize) == Some(top.len());
        fits.then_some(Self {
            keys,
            key_off,
            kinds,
            targets,
            heavy_keys,
            heavy_off,
            top_off,
            top,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> NameIndex {
        let mut b = NameIndexBuilder::new(true);
        b.add("重慶北路一段", 0);
        b.add("重慶北路二段", 1);
        b.add("中山北路一段", 2);
        b.add("忠孝西路一段", 3);
        b.finish()
    }

    fn targets(v: &[NameMatch]) -> Vec<u32> {
        v.iter().map(|m| m.target).collect()
    }

    #[test]
    fn simplified_characters_find_traditional_names() {
        let idx = index();
        assert_eq!(targets(&idx.find(&fold("重庆北路"), 10)), vec![0, 1]);
        assert_eq!(targets(&idx.find(&fold("重慶北路二"), 10)), vec![1]);
    }

    #[test]
    fn pinyin_and_initials_find_names() {
        let idx = index();
        assert_eq!(targets(&idx.find("chongqingbeilu", 10)), vec![0, 1]);
        assert_eq!(targets(&idx.find("cqbl", 10)), vec![0, 1]);
        let m = idx.find("zsbl", 10);
        assert_eq!(targets(&m), vec![2]);
        assert_eq!(m[0].kind, KeyKind::Initials);
    }

    #[test]
    fn a_part_of_a_name_matches_after_whole_names() {
        let idx = index();
        let m = idx.find(&fold("北路"), 10);
        assert_eq!(targets(&m), vec![0, 1, 2]);
        assert!(m.iter().all(|x| x.kind == KeyKind::Inside));
    }

    #[test]
    fn nothing_matches_junk() {
        let idx = index();
        assert!(idx.find(&fold("🚨'; DROP TABLE poles;--"), 10).is_empty());
        assert!(idx.find("", 10).is_empty());
    }

    #[test]
    fn a_frequent_prefix_ranks_as_a_full_scan_does() {
        // 200 three-character names over six characters: one or two characters (and their
        // pinyin) are shared by far more than LIGHT keys, so they are answered from the stored
        // rankings; asking for more than TOP scans every key instead, and both must agree.
        let chars = ['中', '山', '北', '路', '重', '庆'];
        let mut b = NameIndexBuilder::new(true);
        let mut names = Vec::new();
        for t in 0..200u32 {
            let n = t as usize;
            let name: String = [chars[n % 6], chars[(n / 6) % 6], chars[(n / 36) % 6]]
                .iter()
                .collect();
            b.add(&name, t);
            names.push(name);
        }
        let idx = b.finish();
        assert!(idx.heavy_off.len() > 5, "some prefixes are frequent");
        let mut prefixes: Vec<String> = Vec::new();
        for name in &names {
            let f = fold(name);
            let py = pinyin_keys(name);
            for k in std::iter::once(&f).chain(&py.full).chain(&py.initials) {
                for (i, c) in k.char_indices() {
                    prefixes.push(k[..i + c.len_utf8()].to_owned());
                }
            }
        }
        prefixes.sort();
        prefixes.dedup();
        for p in &prefixes {
            for limit in [1, 5, TOP] {
                let mut scanned = idx.find(p, 1000);
                scanned.truncate(limit);
                assert_eq!(idx.find(p, limit), scanned, "prefix {p}, limit {limit}");
            }
        }
    }
}
