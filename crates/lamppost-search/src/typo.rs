//! Code typos. The search uses [`within_two`]: every code one mistake away and the likeliest
//! two mistakes away by the error model (`channel`), found by undoing mistakes and looking the
//! results up, so a two-edit search costs the same at any dataset size. [`within`] walks
//! sorted keys as a trie with the edit-distance rows of the query instead: exhaustive (every
//! key within the distance), but its cost grows with the dataset (about 4 ms at 1M poles).
//!
//! The distance is the optimal-string-alignment distance: insertions, deletions, substitutions
//! and swaps of two adjacent characters each count one. Candidates are then ranked by a
//! weighted distance in which the mistakes call-takers really make cost less: digits that
//! sound alike when read aloud in Chinese, and neighbours on the numeric keypad.
//!
//! Why ours and not a crate (an `fst` Levenshtein automaton, say): it counts adjacent swaps (a
//! call-taker's commonest slip) as one edit, which a Levenshtein automaton counts as two, and
//! it visits candidates in the order of the error model, so a budget cuts the least likely.
//! `benches/search.rs` measures one- and two-edit mistyped codes (README, "Search").

use crate::channel::{ErrorModel, Undo};
use crate::section::Section;

/// Two-mistake candidates [`within_two`] looks up at most: the cheapest by the error model.
/// At 1M poles a lookup costs about 0.1 µs, so this bounds a two-edit search well under a
/// millisecond whatever the dataset.
pub const TWO_EDIT_LOOKUPS: usize = 8192;

/// Two-mistake variants [`within_two`] weighs at most (the cheapest first mistakes first):
/// bounds the work for keys of letters as well as digits.
const TWO_EDIT_WEIGHED: usize = 65_536;

/// Keys one or two mistakes away from `typed`, found by undoing the error model's mistakes
/// ([`ErrorModel::each_undo`]) and looking each resulting key up (`lookup`): every key one
/// mistake away, and the likeliest [`TWO_EDIT_LOOKUPS`] keys two mistakes away (by the sum of
/// the two mistakes' costs), so the work is bounded by design and never scans the index.
/// `alphabet` holds the characters keys have, `lengths` has bit `n` set when some key is `n`
/// bytes long (other lengths are not looked up). `two_budget` gets the keys one mistake away
/// and says how many of the likeliest two-mistake keys to look up after them (at most
/// [`TWO_EDIT_LOOKUPS`]; 0 stops at one mistake): the caller gives less when the keys one
/// mistake away already outrank anything two mistakes away. The weighing of two-mistake
/// variants shrinks with it ([`TWO_EDIT_WEIGHED`] for the full budget). Each found key once,
/// with the fewest mistakes (1 or 2) that reach it; unordered.
pub fn within_two<T: Copy + Ord>(
    model: &ErrorModel,
    typed: &[u8],
    alphabet: &[u8],
    lengths: u64,
    filter: &KeyFilter,
    lookup: impl Fn(&[u8]) -> Option<T>,
    two_budget: impl FnOnce(&[(T, u8)]) -> usize,
) -> Vec<(T, u8)> {
    let fits = |len: isize| (0..64).contains(&len) && lengths & (1u64 << len) != 0;
    let mut out: Vec<(T, u8)> = Vec::new();
    // Each character no key has must be replaced or deleted: more than two, and nothing is
    // two mistakes away (a street's initials with a number, `cqbl12`, among digit codes).
    let foreign = typed.iter().filter(|c| !alphabet.contains(c)).count();
    if typed.len() > MAX_Q || foreign > 2 {
        return out;
    }
    // One mistake: every key, back to back.
    let mut bytes: Vec<u8> = Vec::new();
    let mut first: Vec<(f32, u32, u32, u32)> = Vec::new();
    let mut buf: Vec<u8> = Vec::with_capacity(MAX_Q + 2);
    model.each_undo(typed, alphabet, |u, cost| {
        u.apply(typed, &mut buf);
        first.push((cost, bytes.len() as u32, buf.len() as u32, u.pack()));
        bytes.extend_from_slice(&buf);
    });
    for &(_, at, len, _) in &first {
        let k = &bytes[at as usize..(at + len) as usize];
        if fits(k.len() as isize)
            && let Some(id) = lookup(k)
        {
            out.push((id, 1));
        }
    }
    out.sort_unstable();
    out.dedup_by_key(|x| x.0);
    let lookups = two_budget(&out).min(TWO_EDIT_LOOKUPS);
    if lookups == 0 {
        return out;
    }
    let weighed = TWO_EDIT_WEIGHED / TWO_EDIT_LOOKUPS * lookups;
    // Two mistakes: weigh every second mistake after the cheapest first ones, look up the
    // cheapest.
    first.sort_by(|a, b| a.0.total_cmp(&b.0));
    let first_undo: Vec<u32> = first.iter().map(|f| f.3).collect();
    let mut second: Vec<(f32, u32)> = Vec::new();
    for (n, &(c1, at, len, _)) in first.iter().enumerate() {
        if second.len() >= weighed {
            break;
        }
        let k = &bytes[at as usize..(at + len) as usize];
        let u1 = Undo::unpack(first_undo[n]);
        model.each_undo(k, alphabet, |u, c2| {
            if fits(k.len() as isize + u.grows()) && !repeats(u1, u) {
                second.push((c1 + c2, ((n as u32) << 16) | u.pack()));
            }
        });
    }
    if second.len() > lookups {
        second.select_nth_unstable_by(lookups, |a, b| a.0.total_cmp(&b.0));
        second.truncate(lookups);
    }
    for &(_, packed) in &second {
        let (_, at, len, _) = first[(packed >> 16) as usize];
        let k = &bytes[at as usize..(at + len) as usize];
        Undo::unpack(packed & 0xffff).apply(k, &mut buf);
        if buf.as_slice() != typed
            && filter.may_hold(&buf)
            && let Some(id) = lookup(&buf)
        {
            out.push((id, 2));
        }
    }
    out.sort_unstable();
    out.dedup_by_key(|x| x.0);
    out
}

/// True when undoing `b` after `a` makes a key that another pair (or one undo alone) makes
/// too: two substitutions are weighed in one order only, and an undo is not taken back.
fn repeats(a: Undo, b: Undo) -> bool {
    match (a, b) {
        (Undo::Substitute(i, _), Undo::Substitute(j, _)) => j <= i,
        (Undo::Swap(i), Undo::Swap(j))
        | (Undo::Insert(i, _), Undo::Delete(j))
        | (Undo::Delete(i), Undo::Insert(j, _)) => i == j,
        _ => false,
    }
}

/// A set of keys that may answer "no" wrongly never and "yes" wrongly for about 2% of other
/// keys: two bits in one 64-bit word per key, 16 bits a key (2 MiB at a million keys). The
/// two-edit search asks it before each lookup, since almost every key it tries does not exist.
/// One flat array of words.
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    /// A power of two of words (or none: then every key may be held).
    words: Section<u64>,
}

impl KeyFilter {
    /// A filter holding `keys`.
    #[must_use]
    pub fn new<'a>(keys: impl ExactSizeIterator<Item = &'a [u8]>) -> Self {
        let n = (keys.len() / 4).max(1).next_power_of_two();
        let mut words = vec![0u64; n];
        for k in keys {
            let h = filter_hash(k);
            words[(h >> 16) as usize & (n - 1)] |= (1 << (h & 63)) | (1 << ((h >> 6) & 63));
        }
        Self {
            words: Section::owned(words),
        }
    }

    /// A filter read in place from an index file; `None` when its size is not a power of two.
    pub(crate) fn from_section(words: Section<u64>) -> Option<Self> {
        (words.is_empty() || words.len().is_power_of_two()).then_some(Self { words })
    }

    /// The words (to write them to an index file).
    pub(crate) fn section(&self) -> &Section<u64> {
        &self.words
    }

    /// False when `key` is surely not held.
    #[must_use]
    pub fn may_hold(&self, key: &[u8]) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let h = filter_hash(key);
        let bits = (1u64 << (h & 63)) | (1u64 << ((h >> 6) & 63));
        self.words[(h >> 16) as usize & (self.words.len() - 1)] & bits == bits
    }

    /// Bytes held.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.words.heap_bytes()
    }
}

/// A fixed (seedless) hash of a short key: 8 bytes at a time, multiplied and mixed.
fn filter_hash(k: &[u8]) -> u64 {
    const M: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (k.len() as u64).wrapping_mul(M);
    for chunk in k.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(M);
        h ^= h >> 29;
    }
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 31)
}

/// Sorted keys, viewed as a trie.
pub trait SortedKeys {
    /// Number of keys.
    fn len(&self) -> usize;
    /// True when there are no keys.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The `i`-th key in sorted order.
    fn key(&self, i: usize) -> &[u8];
}

/// Longest query the typo search accepts; longer codes than this do not exist.
const MAX_Q: usize = lamppost_core::code::MAX_CODE_LEN;

/// A distance row: entry `j` is the distance between the candidate prefix and `q[..j]`.
type Row = [u8; MAX_Q + 1];

/// Finds every key within `max_d` edits of `q`: (sorted position, distance), unordered.
/// Stops after `cap` candidates.
pub fn within<K: SortedKeys>(keys: &K, q: &[u8], max_d: u8, cap: usize) -> Vec<(usize, u8)> {
    let mut out = Vec::new();
    if q.len() > MAX_Q || keys.is_empty() {
        return out;
    }
    let mut row0: Row = [0; MAX_Q + 1];
    for (j, v) in row0.iter_mut().enumerate().take(q.len() + 1) {
        *v = j as u8;
    }
    let mut walk = Walk {
        keys,
        q,
        max_d,
        cap,
        out: &mut out,
    };
    walk.children(0, keys.len(), 0, &row0, None, 0);
    out
}

struct Walk<'a, K> {
    keys: &'a K,
    q: &'a [u8],
    max_d: u8,
    cap: usize,
    out: &'a mut Vec<(usize, u8)>,
}

impl<K: SortedKeys> Walk<'_, K> {
    /// Visits the children of the trie node for the common prefix of keys `lo..hi`, of length
    /// `depth`; `row` is that prefix's distance row, `prev` the row before it.
    fn children(
        &mut self,
        lo: usize,
        hi: usize,
        depth: usize,
        row: &Row,
        prev: Option<&Row>,
        last: u8,
    ) {
        let mut i = lo;
        // A key equal to the prefix sorts first; the parent has already reported it.
        if i < hi && self.keys.key(i).len() == depth {
            i += 1;
        }
        while i < hi {
            if self.out.len() >= self.cap {
                return;
            }
            let c = self.keys.key(i)[depth];
            let end = self.child_end(i, hi, depth, c);
            let next = self.step(row, prev, c, last, depth);
            if next[..=self.q.len()]
                .iter()
                .copied()
                .min()
                .unwrap_or(u8::MAX)
                <= self.max_d
            {
                let d = next[self.q.len()];
                if self.keys.key(i).len() == depth + 1 && d <= self.max_d {
                    self.out.push((i, d));
                }
                self.children(i, end, depth + 1, &next, Some(row), c);
            }
            i = end;
        }
    }

    /// The end of the child range that starts at `i` with byte `c` at `depth`: galloping, then
    /// binary search, so small children (the common case deep in the trie) cost little.
    fn child_end(&self, i: usize, hi: usize, depth: usize, c: u8) -> usize {
        let above = |k: usize| self.keys.key(k)[depth] > c;
        let mut step = 1;
        let mut lo = i + 1;
        let mut bound = hi;
        while lo < hi {
            let probe = (i + step).min(hi - 1);
            if above(probe) {
                bound = probe;
                break;
            }
            lo = probe + 1;
            step *= 2;
        }
        let (mut a, mut b) = (lo, bound);
        while a < b {
            let mid = a + (b - a) / 2;
            if above(mid) {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        a
    }

    /// The distance row after appending byte `c` at position `depth` of the candidate.
    fn step(&self, row: &Row, prev: Option<&Row>, c: u8, last: u8, depth: usize) -> Row {
        let m = self.q.len();
        let mut next: Row = [0; MAX_Q + 1];
        next[0] = row[0] + 1;
        for j in 1..=m {
            let cost = u8::from(self.q[j - 1] != c);
            let mut v = (row[j] + 1).min(next[j - 1] + 1).min(row[j - 1] + cost);
            if let Some(p) = prev
                && j > 1
                && depth > 0
                && self.q[j - 1] == last
                && self.q[j - 2] == c
            {
                v = v.min(p[j - 2] + 1);
            }
            next[j] = v.min(self.max_d + 1);
        }
        next
    }
}

/// True for two digits a call-taker is likely to confuse: misheard when read aloud in Chinese
/// (1 read as 幺 yāo against 7 七 qī; 6 六 liù against 9 九 jiǔ), or next to each other on the
/// numeric keypad (7 8 9 / 4 5 6 / 1 2 3 / 0 under 1 and 2).
#[must_use]
pub fn confusable(a: u8, b: u8) -> bool {
    const SOUND: [(u8, u8); 2] = [(b'1', b'7'), (b'6', b'9')];
    if SOUND
        .iter()
        .any(|&(x, y)| (a, b) == (x, y) || (a, b) == (y, x))
    {
        return true;
    }
    keypad_neighbours(a, b)
}

fn keypad_pos(d: u8) -> Option<(i8, i8)> {
    Some(match d {
        b'7' => (0, 0),
        b'8' => (0, 1),
        b'9' => (0, 2),
        b'4' => (1, 0),
        b'5' => (1, 1),
        b'6' => (1, 2),
        b'1' => (2, 0),
        b'2' => (2, 1),
        b'3' => (2, 2),
        // The wide 0 key sits under 1 and 2.
        b'0' => (3, 0),
        _ => return None,
    })
}

pub(crate) fn keypad_neighbours(a: u8, b: u8) -> bool {
    if (a, b) == (b'0', b'2') || (a, b) == (b'2', b'0') {
        return true;
    }
    match (keypad_pos(a), keypad_pos(b)) {
        (Some((r1, c1)), Some((r2, c2))) => (r1 - r2).abs() + (c1 - c2).abs() == 1,
        _ => false,
    }
}

/// The weighted distance used for ranking: like the edit distance, but a confusable
/// substitution costs 0.6 and a swap of adjacent characters 0.5.
#[must_use]
pub fn weighted_distance(a: &[u8], b: &[u8]) -> f32 {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0f32; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i as f32;
    }
    for (j, v) in d[0].iter_mut().enumerate() {
        *v = j as f32;
    }
    for i in 1..=n {
        for j in 1..=m {
            let sub = if a[i - 1] == b[j - 1] {
                0.0
            } else if confusable(a[i - 1], b[j - 1]) {
                0.6
            } else {
                1.0
            };
            let mut v = (d[i - 1][j] + 1.0)
                .min(d[i][j - 1] + 1.0)
                .min(d[i - 1][j - 1] + sub);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 0.5);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// [`weighted_distance`] of two keys one `edit` apart, without the table: a swap costs 0.5, a
/// confusable substitution 0.6, anything else 1.
#[must_use]
pub fn one_edit_weight(a: &[u8], b: &[u8], edit: crate::Edit) -> f32 {
    match edit {
        crate::Edit::Swap => 0.5,
        crate::Edit::Substitute => a
            .iter()
            .zip(b)
            .find(|(x, y)| x != y)
            .map_or(1.0, |(&x, &y)| if confusable(x, y) { 0.6 } else { 1.0 }),
        crate::Edit::Drop | crate::Edit::Insert => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct Keys(Vec<Vec<u8>>);
    impl SortedKeys for Keys {
        fn len(&self) -> usize {
            self.0.len()
        }
        fn key(&self, i: usize) -> &[u8] {
            &self.0[i]
        }
    }

    fn keys(v: &[&str]) -> Keys {
        let mut k: Vec<Vec<u8>> = v.iter().map(|s| s.as_bytes().to_vec()).collect();
        k.sort();
        k.dedup();
        Keys(k)
    }

    /// The optimal-string-alignment distance, the slow and obvious way.
    fn osa(a: &[u8], b: &[u8]) -> usize {
        let (n, m) = (a.len(), b.len());
        let mut d = vec![vec![0usize; m + 1]; n + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, v) in d[0].iter_mut().enumerate() {
            *v = j;
        }
        for i in 1..=n {
            for j in 1..=m {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[n][m]
    }

    fn found(k: &Keys, q: &str, max_d: u8) -> Vec<(String, u8)> {
        let mut v: Vec<(String, u8)> = within(k, q.as_bytes(), max_d, usize::MAX)
            .into_iter()
            .map(|(i, d)| (String::from_utf8(k.0[i].clone()).unwrap(), d))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_swap_of_two_digits_counts_as_one_edit() {
        let k = keys(&["1120034", "1120043", "9999999"]);
        assert_eq!(
            found(&k, "1120034", 1),
            vec![("1120034".into(), 0), ("1120043".into(), 1)]
        );
    }

    #[test]
    fn insertions_deletions_and_substitutions_are_found() {
        let k = keys(&["1120034", "112034", "11200345", "1128034", "2220034"]);
        assert_eq!(
            found(&k, "1120034", 1),
            vec![
                ("1120034".into(), 0),
                ("11200345".into(), 1),
                ("112034".into(), 1),
                ("1128034".into(), 1),
            ]
        );
        assert!(found(&k, "1120034", 2).contains(&("2220034".into(), 2)));
    }

    #[test]
    fn sounding_alike_and_keypad_neighbours_rank_first() {
        // 1 and 7 (幺/七) sound alike; 5 and 8 are keypad neighbours; 3 and 9 are neither.
        assert!(
            weighted_distance(b"1120034", b"7120034") < weighted_distance(b"1120034", b"3120034")
        );
        assert!(weighted_distance(b"1150034", b"1180034") < 1.0);
        assert!((weighted_distance(b"1120034", b"1120043") - 0.5).abs() < 1e-6);
        assert!(confusable(b'0', b'1') && confusable(b'0', b'2') && !confusable(b'0', b'3'));
    }

    fn two(keys: &[&str], q: &str) -> Vec<(String, u8)> {
        two_within(keys, q, TWO_EDIT_LOOKUPS)
    }

    fn two_within(keys: &[&str], q: &str, budget: usize) -> Vec<(String, u8)> {
        let filter = KeyFilter::new(keys.iter().map(|k| k.as_bytes()));
        let mut lens = 0u64;
        for k in keys {
            lens |= 1 << k.len();
        }
        let mut v: Vec<(String, u8)> = within_two(
            &ErrorModel::default(),
            q.as_bytes(),
            b"0123456789",
            lens,
            &filter,
            |k| keys.iter().position(|x| x.as_bytes() == k),
            |_| budget,
        )
        .into_iter()
        .map(|(i, d)| (keys[i].to_owned(), d))
        .collect();
        v.sort();
        v
    }

    #[test]
    fn codes_one_and_two_mistakes_away_are_found_and_nothing_further() {
        let keys = [
            "1120034", "1120043", "2210034", "1123", "9999999", "1102304",
        ];
        assert_eq!(
            two(&keys, "1120034"),
            vec![
                ("1102304".into(), 2), // two swaps
                ("1120043".into(), 1), // a swap
                ("2210034".into(), 2), // two substitutions
            ]
        );
        // No two-mistake budget: one mistake only.
        assert_eq!(two_within(&keys, "1120034", 0), vec![("1120043".into(), 1)]);
        // A small budget still finds the likeliest two-mistake keys (two swaps are cheaper
        // than two unrelated substitutions).
        assert!(two_within(&keys, "1120034", 64).contains(&("1102304".into(), 2)));
        // A street's initials with a number: more than two characters no code has.
        assert!(two(&keys, "cqbl1120").is_empty());
    }

    proptest! {
        #[test]
        fn the_trie_walk_finds_exactly_the_keys_a_scan_finds(
            raw in prop::collection::vec("[0-3]{1,7}", 1..60),
            q in "[0-3]{0,8}",
            max_d in 0u8..3,
        ) {
            let k = Keys({
                let mut v: Vec<Vec<u8>> = raw.iter().map(|s| s.as_bytes().to_vec()).collect();
                v.sort();
                v.dedup();
                v
            });
            let got = found(&k, &q, max_d);
            let mut want: Vec<(String, u8)> = k.0.iter()
                .map(|key| (String::from_utf8(key.clone()).unwrap(), osa(key, q.as_bytes())))
                .filter(|(_, d)| *d <= usize::from(max_d))
                .map(|(s, d)| (s, d as u8))
                .collect();
            want.sort();
            prop_assert_eq!(got, want);
        }
    }
}
