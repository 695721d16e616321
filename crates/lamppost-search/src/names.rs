//! Names found by what a call-taker types: Simplified or Traditional characters, full pinyin,
//! pinyin initials, or a part of the name.
//!
//! Every name is folded (see [`lamppost_core::text::fold`]) and indexed under several keys in one
//! sorted array; a query is folded the same way and matched as a prefix of the keys, so a
//! lookup is two binary searches. Keys live in one string arena (12 bytes an entry).

use lamppost_core::text::{fold, pinyin_keys};

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

#[derive(Debug, Clone, Copy)]
struct Entry {
    start: u32,
    len: u16,
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

/// Collects names, then sorts them into a [`NameIndex`].
#[derive(Debug, Default)]
pub struct NameIndexBuilder {
    arena: String,
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
        let start = self.arena.len() as u32;
        self.arena.push_str(key);
        self.entries.push(Entry {
            start,
            len: key.len() as u16,
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

    /// Sorts the keys.
    #[must_use]
    pub fn finish(mut self) -> NameIndex {
        let arena = self.arena;
        self.entries.sort_by(|a, b| {
            key_of(&arena, a)
                .cmp(key_of(&arena, b))
                .then(a.kind.cmp(&b.kind))
                .then(a.target.cmp(&b.target))
        });
        NameIndex {
            arena,
            entries: self.entries,
        }
    }
}

fn key_of<'a>(arena: &'a str, e: &Entry) -> &'a str {
    &arena[e.start as usize..e.start as usize + usize::from(e.len)]
}

/// Sorted name keys.
#[derive(Debug, Default)]
pub struct NameIndex {
    arena: String,
    entries: Vec<Entry>,
}

impl NameIndex {
    /// Every name matching the (already folded) query, best match per target, best first
    /// (kind, then the shortest remainder, then target). At most `limit` results; the range
    /// scan stops after `scan_cap` keys so that a one-letter query stays cheap.
    #[must_use]
    pub fn find(&self, folded_query: &str, limit: usize, scan_cap: usize) -> Vec<NameMatch> {
        if folded_query.is_empty() || limit == 0 {
            return Vec::new();
        }
        let lo = self
            .entries
            .partition_point(|e| key_of(&self.arena, e) < folded_query);
        let mut all: Vec<NameMatch> = self.entries[lo..]
            .iter()
            .take(scan_cap)
            .map_while(|e| {
                let key = key_of(&self.arena, e);
                key.starts_with(folded_query).then(|| NameMatch {
                    target: e.target,
                    kind: e.kind,
                    rest: (key.len() - folded_query.len()) as u16,
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
        self.entries.len()
    }

    /// True when nothing is indexed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The serialisation seam of the persisted index ([`crate::persist`]): the index as bytes and
/// back. Whatever the inside of [`NameIndex`] becomes, only these two functions need to follow
/// (and [`crate::persist::FORMAT`] to be bumped).
impl NameIndex {
    /// Appends the index to `out`: the key arena, then each entry as start (u32), length
    /// (u16), kind (u8) and target (u32), little-endian, each part preceded by its u64 length.
    pub fn to_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.arena.len() as u64).to_le_bytes());
        out.extend_from_slice(self.arena.as_bytes());
        out.extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        for e in &self.entries {
            out.extend_from_slice(&e.start.to_le_bytes());
            out.extend_from_slice(&e.len.to_le_bytes());
            out.push(e.kind as u8);
            out.extend_from_slice(&e.target.to_le_bytes());
        }
    }

    /// Reads an index written by [`NameIndex::to_bytes`] from the start of `b`, and how many
    /// bytes it took; `None` when the bytes are not such an index (every key is checked to be
    /// text inside the arena).
    #[must_use]
    pub fn from_bytes(b: &[u8]) -> Option<(Self, usize)> {
        fn take<'a>(b: &'a [u8], at: &mut usize, n: usize) -> Option<&'a [u8]> {
            let s = b.get(*at..at.checked_add(n)?)?;
            *at += n;
            Some(s)
        }
        fn u64_at(b: &[u8], at: &mut usize) -> Option<usize> {
            let mut w = [0u8; 8];
            w.copy_from_slice(take(b, at, 8)?);
            usize::try_from(u64::from_le_bytes(w)).ok()
        }
        let mut at = 0;
        let n = u64_at(b, &mut at)?;
        let arena = std::str::from_utf8(take(b, &mut at, n)?).ok()?.to_owned();
        let n = u64_at(b, &mut at)?;
        let mut entries = Vec::with_capacity(n.min(b.len() / 11));
        for _ in 0..n {
            let e = take(b, &mut at, 11)?;
            let start = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
            let len = u16::from_le_bytes([e[4], e[5]]);
            let kind = match e[6] {
                0 => KeyKind::Name,
                1 => KeyKind::Pinyin,
                2 => KeyKind::Initials,
                3 => KeyKind::Inside,
                _ => return None,
            };
            let target = u32::from_le_bytes([e[7], e[8], e[9], e[10]]);
            arena.get(start as usize..start as usize + usize::from(len))?;
            entries.push(Entry {
                start,
                len,
                kind,
                target,
            });
        }
        Some((Self { arena, entries }, at))
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
        assert_eq!(targets(&idx.find(&fold("重庆北路"), 10, 1000)), vec![0, 1]);
        assert_eq!(targets(&idx.find(&fold("重慶北路二"), 10, 1000)), vec![1]);
    }

    #[test]
    fn pinyin_and_initials_find_names() {
        let idx = index();
        assert_eq!(targets(&idx.find("chongqingbeilu", 10, 1000)), vec![0, 1]);
        assert_eq!(targets(&idx.find("cqbl", 10, 1000)), vec![0, 1]);
        let m = idx.find("zsbl", 10, 1000);
        assert_eq!(targets(&m), vec![2]);
        assert_eq!(m[0].kind, KeyKind::Initials);
    }

    #[test]
    fn a_part_of_a_name_matches_after_whole_names() {
        let idx = index();
        let m = idx.find(&fold("北路"), 10, 1000);
        assert_eq!(targets(&m), vec![0, 1, 2]);
        assert!(m.iter().all(|x| x.kind == KeyKind::Inside));
    }

    #[test]
    fn nothing_matches_junk() {
        let idx = index();
        assert!(
            idx.find(&fold("🚨'; DROP TABLE poles;--"), 10, 1000)
                .is_empty()
        );
        assert!(idx.find("", 10, 1000).is_empty());
    }
}
