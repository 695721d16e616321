//! The noisy-channel model that ranks "did you mean" guesses and confusable codes.
//!
//! A code reaches the code box through a noisy channel: read off a faded sign, said aloud over
//! a phone line, typed on a keypad. For a code `typed` that the call-taker entered, each
//! candidate pole with the true code `c` is scored by
//!
//! ```text
//! score(c) = ln P(typed | c) + ln P(c)
//! ```
//!
//! - **The error model**, `P(typed | c)`: the likeliest way of turning `c` into `typed` with the
//!   mistakes of [`Weights`] (a digit substituted, two adjacent digits swapped, a digit dropped,
//!   doubled or inserted), each mistake costing `ln(ERROR_RATE × count / total)` where `count`
//!   is the mistake's weight and `total` the sum of the weights of every mistake the model
//!   knows. Two mistakes cost twice. Found by a weighted optimal-string-alignment
//!   (Viterbi) alignment of the two codes: about a hundred cells for two seven-digit codes.
//! - **The prior**, `P(c)`: a surveyed pole is likelier to be the one a caller stands at than
//!   an estimated one (a pole without a survey is often new or rarely reported), and a pole this
//!   workstation has already taken calls for is likelier again.
//!
//! The default weights ([`DEFAULT_WEIGHTS`], one table) are pseudo-counts. [`ErrorModel::learn`]
//! adds what this workstation's call log says (the raw text typed against the code finally
//! confirmed: [`ErrorModel::from_call_log`]), one count per observed mistake, so the defaults
//! are additive smoothing and local data takes over as it accumulates.

use std::path::Path;

use hashbrown::HashMap;

use lamppost_core::code::{MAX_CODE_LEN, is_code_like, normalize_lenient};
use lamppost_data::calllog::{CallLog, CallLogError};

/// The kinds of mistake the model knows, with their default weights (pseudo-counts), and the
/// prior over poles. One table: [`DEFAULT_WEIGHTS`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// A digit heard as another when read aloud in Chinese, per ordered pair
    /// ([`SPOKEN_PAIRS`]).
    pub spoken: f32,
    /// A digit misread on a faded or dirty sign, per ordered pair ([`FADED_PAIRS`]).
    pub faded: f32,
    /// A neighbouring key hit on the numeric keypad, per ordered pair.
    pub keypad: f32,
    /// Any other substitution of one character by another, per ordered pair.
    pub other_substitution: f32,
    /// Two adjacent different characters swapped.
    pub swap: f32,
    /// One character left out.
    pub drop: f32,
    /// One character typed twice (`22450034` for `2450034`).
    pub doubled: f32,
    /// Any other character added.
    pub insert: f32,
    /// Prior weight of a surveyed pole.
    pub surveyed: f32,
    /// Prior weight of a pole whose position is estimated along its street.
    pub estimated: f32,
    /// Prior weight of a pole with no position.
    pub unknown: f32,
    /// How much each call already logged for a pole raises its prior: the prior is multiplied
    /// by `(1 + calls) ^ per_call`.
    pub per_call: f32,
}

/// The default weights. Substitutions of a pair that is several kinds at once add up (1 and 7
/// both sound alike and look alike on a faded sign: 6 + 4 + 0.3).
///
/// | mistake                                     | weight |
/// |---------------------------------------------|-------:|
/// | spoken pair (一/七 1↔7, 六/九 6↔9, 两/六 2↔6, 零/六 0↔6) | 6 |
/// | faded-sign pair (1↔7, 3↔8, 6↔9, 0↔8)        | 4      |
/// | numeric-keypad neighbours (7 8 9 / 4 5 6 / 1 2 3 / 0) | 3 |
/// | any other substitution                      | 0.3    |
/// | two adjacent digits swapped                 | 12     |
/// | a digit dropped                             | 6      |
/// | a digit doubled                             | 4      |
/// | any other digit inserted                    | 0.5    |
/// | prior: surveyed / estimated / no position   | 1 / 0.7 / 0.4 |
/// | prior: per logged call, exponent of (1 + calls) | 0.5 |
///
/// The spoken forms 幺 (1), 两 (2) and 洞 (0) exist because 一/七, 二 and 零/六 are misheard; a
/// caller who does not use them produces exactly the spoken pairs above.
pub const DEFAULT_WEIGHTS: Weights = Weights {
    spoken: 6.0,
    faded: 4.0,
    keypad: 3.0,
    other_substitution: 0.3,
    swap: 12.0,
    drop: 6.0,
    doubled: 4.0,
    insert: 0.5,
    surveyed: 1.0,
    estimated: 0.7,
    unknown: 0.4,
    per_call: 0.5,
};

/// Digits that sound alike when read aloud in Chinese: 一 yī / 七 qī, 六 liù / 九 jiǔ,
/// 两 liǎng / 六 liù, 零 líng / 六 liù.
pub const SPOKEN_PAIRS: [(u8, u8); 4] = [(b'1', b'7'), (b'6', b'9'), (b'2', b'6'), (b'0', b'6')];

/// Digits misread on a faded or dirty sign (a lost stroke or segment, a sign upside down).
pub const FADED_PAIRS: [(u8, u8); 4] = [(b'1', b'7'), (b'3', b'8'), (b'6', b'9'), (b'0', b'8')];

/// The share of codes that reach the code box with one mistake: the cost of each mistake in
/// the alignment (so that two mistakes are less likely than one).
pub const ERROR_RATE: f32 = 0.05;

/// How a pole's position is known, for the prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorKind {
    /// Surveyed.
    Surveyed,
    /// Estimated along its street.
    Estimated,
    /// No position.
    Unknown,
}

/// One mistake found by aligning a typed code with the true one (for learning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mistake {
    /// The true character, the character typed.
    Substitute(u8, u8),
    /// Two adjacent characters swapped.
    Swap,
    /// A character left out.
    Drop,
    /// A character typed twice.
    Doubled,
    /// Another character added.
    Insert,
}

/// One mistake undone on a typed key, to get back to a candidate true key
/// ([`ErrorModel::each_undo`]); positions are byte positions in the typed key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Undo {
    /// The character at this position was typed for this (true) one.
    Substitute(u8, u8),
    /// The characters at this position and the next were swapped.
    Swap(u8),
    /// This true character was dropped before this position.
    Insert(u8, u8),
    /// The character at this position was typed in addition (doubled or inserted).
    Delete(u8),
}

impl Undo {
    /// How much longer the true key is than the typed one.
    pub(crate) fn grows(self) -> isize {
        match self {
            Self::Substitute(..) | Self::Swap(_) => 0,
            Self::Insert(..) => 1,
            Self::Delete(_) => -1,
        }
    }

    /// Writes the true key into `out`.
    pub(crate) fn apply(self, typed: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(typed);
        match self {
            Self::Substitute(i, c) => out[usize::from(i)] = c,
            Self::Swap(i) => out.swap(usize::from(i), usize::from(i) + 1),
            Self::Insert(i, c) => out.insert(usize::from(i), c),
            Self::Delete(i) => {
                out.remove(usize::from(i));
            }
        }
    }

    /// Packed in 16 bits: `(kind << 14) | (position << 8) | character`.
    pub(crate) fn pack(self) -> u32 {
        let (k, i, c) = match self {
            Self::Substitute(i, c) => (0u32, i, c),
            Self::Swap(i) => (1, i, 0),
            Self::Insert(i, c) => (2, i, c),
            Self::Delete(i) => (3, i, 0),
        };
        (k << 14) | (u32::from(i) << 8) | u32::from(c)
    }

    /// The inverse of [`Undo::pack`].
    pub(crate) fn unpack(v: u32) -> Self {
        let (i, c) = (((v >> 8) & 0x3f) as u8, v as u8);
        match v >> 14 & 3 {
            0 => Self::Substitute(i, c),
            1 => Self::Swap(i),
            2 => Self::Insert(i, c),
            _ => Self::Delete(i),
        }
    }
}

/// The error model and the prior, with the weights learnt so far.
#[derive(Debug, Clone)]
pub struct ErrorModel {
    weights: Weights,
    /// Substitution counts of digits: `[true][typed]`.
    sub: [[f32; 10]; 10],
    /// Counts of the other kinds: swap, drop, doubled, insert.
    swap: f32,
    drop: f32,
    doubled: f32,
    insert: f32,
    /// Costs (`-ln p`) derived from the counts.
    cost_sub: [[f32; 10]; 10],
    cost_other_sub: f32,
    cost_swap: f32,
    cost_drop: f32,
    cost_doubled: f32,
    cost_insert: f32,
    /// Calls logged per code key.
    calls: HashMap<Box<str>, u32>,
    /// The most calls logged for one code.
    max_calls: u32,
    /// Mistakes learnt from the log.
    observed: u32,
}

impl Default for ErrorModel {
    fn default() -> Self {
        Self::new(DEFAULT_WEIGHTS)
    }
}

fn digit(c: u8) -> Option<usize> {
    c.is_ascii_digit().then(|| usize::from(c - b'0'))
}

/// True when `typed[k]` repeats a neighbour: an extra copy of a digit, not a new one.
fn is_doubled(typed: &[u8], k: usize) -> bool {
    let c = typed[k];
    (k > 0 && typed[k - 1] == c) || typed.get(k + 1) == Some(&c)
}

fn is_pair(pairs: &[(u8, u8)], a: u8, b: u8) -> bool {
    pairs
        .iter()
        .any(|&(x, y)| (a, b) == (x, y) || (a, b) == (y, x))
}

impl ErrorModel {
    /// A model with these weights and nothing learnt.
    #[must_use]
    pub fn new(weights: Weights) -> Self {
        let mut sub = [[0f32; 10]; 10];
        for (a, row) in sub.iter_mut().enumerate() {
            for (b, v) in row.iter_mut().enumerate() {
                if a == b {
                    continue;
                }
                let (ca, cb) = (b'0' + a as u8, b'0' + b as u8);
                *v = weights.other_substitution;
                if is_pair(&SPOKEN_PAIRS, ca, cb) {
                    *v += weights.spoken;
                }
                if is_pair(&FADED_PAIRS, ca, cb) {
                    *v += weights.faded;
                }
                if crate::typo::keypad_neighbours(ca, cb) {
                    *v += weights.keypad;
                }
            }
        }
        let mut m = Self {
            weights,
            sub,
            swap: weights.swap,
            drop: weights.drop,
            doubled: weights.doubled,
            insert: weights.insert,
            cost_sub: [[0.0; 10]; 10],
            cost_other_sub: 0.0,
            cost_swap: 0.0,
            cost_drop: 0.0,
            cost_doubled: 0.0,
            cost_insert: 0.0,
            calls: HashMap::new(),
            max_calls: 0,
            observed: 0,
        };
        m.derive_costs();
        m
    }

    /// The weights the model started from.
    #[must_use]
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    /// How many mistakes were learnt from the call log.
    #[must_use]
    pub fn observed(&self) -> u32 {
        self.observed
    }

    /// The learnt weight (pseudo-count plus observations) of a mistake.
    #[must_use]
    pub fn count(&self, m: Mistake) -> f32 {
        match m {
            Mistake::Substitute(a, b) => match (digit(a), digit(b)) {
                (Some(a), Some(b)) => self.sub[a][b],
                _ => self.weights.other_substitution,
            },
            Mistake::Swap => self.swap,
            Mistake::Drop => self.drop,
            Mistake::Doubled => self.doubled,
            Mistake::Insert => self.insert,
        }
    }

    fn derive_costs(&mut self) {
        let total: f32 = self.sub.iter().flatten().sum::<f32>()
            + self.swap
            + self.drop
            + self.doubled
            + self.insert;
        let cost = |count: f32| -(ERROR_RATE * count.max(1e-6) / total).ln();
        for a in 0..10 {
            for b in 0..10 {
                self.cost_sub[a][b] = if a == b { 0.0 } else { cost(self.sub[a][b]) };
            }
        }
        self.cost_other_sub = cost(self.weights.other_substitution);
        self.cost_swap = cost(self.swap);
        self.cost_drop = cost(self.drop);
        self.cost_doubled = cost(self.doubled);
        self.cost_insert = cost(self.insert);
    }

    fn sub_cost(&self, truth: u8, typed: u8) -> f32 {
        if truth == typed {
            return 0.0;
        }
        match (digit(truth), digit(typed)) {
            (Some(a), Some(b)) => self.cost_sub[a][b],
            _ => self.cost_other_sub,
        }
    }

    /// `ln P(typed | truth)`: the likeliest way of making `typed` from `truth` with the
    /// model's mistakes (0 when they are equal; about -3 to -9 per mistake). Both are
    /// normalised keys; longer than a code can be, they are hopeless (`-inf`).
    #[must_use]
    pub fn log_likelihood(&self, typed: &[u8], truth: &[u8]) -> f32 {
        if typed == truth {
            return 0.0;
        }
        let (n, m) = (truth.len(), typed.len());
        if n > MAX_CODE_LEN || m > MAX_CODE_LEN {
            return f32::NEG_INFINITY;
        }
        // Three rows of the alignment: i-2, i-1, i.
        let mut rows = [[0f32; MAX_CODE_LEN + 1]; 3];
        for (j, v) in rows[0].iter_mut().enumerate().take(m + 1) {
            *v = self.insert_run_cost(typed, j);
        }
        for i in 1..=n {
            let (cur, prev, prev2) = (i % 3, (i + 2) % 3, (i + 1) % 3);
            rows[cur][0] = rows[prev][0] + self.cost_drop;
            for j in 1..=m {
                let (s, t) = (truth[i - 1], typed[j - 1]);
                let mut v = rows[prev][j - 1] + self.sub_cost(s, t);
                v = v.min(rows[prev][j] + self.cost_drop);
                v = v.min(rows[cur][j - 1] + self.insert_cost(typed, j - 1));
                if i > 1 && j > 1 && s != truth[i - 2] && s == typed[j - 2] && truth[i - 2] == t {
                    v = v.min(rows[prev2][j - 2] + self.cost_swap);
                }
                rows[cur][j] = v;
            }
        }
        -rows[n % 3][m]
    }

    /// The cost of `typed[..j]` all inserted (the first row of the alignment).
    fn insert_run_cost(&self, typed: &[u8], j: usize) -> f32 {
        (0..j).map(|k| self.insert_cost(typed, k)).sum()
    }

    /// The cost of `typed[k]` being an extra character: doubled when it repeats a neighbour.
    fn insert_cost(&self, typed: &[u8], k: usize) -> f32 {
        if is_doubled(typed, k) {
            self.cost_doubled
        } else {
            self.cost_insert
        }
    }

    /// Every way `typed` could have come from a true key by one mistake, undone: `f` gets each
    /// [`Undo`] with the mistake's cost (`-ln p`, as in [`ErrorModel::log_likelihood`]).
    /// `alphabet` holds the characters a true key can have. Each resulting key comes once
    /// (inserting a character beside an equal one, or deleting one of a run, is made once).
    pub(crate) fn each_undo(&self, typed: &[u8], alphabet: &[u8], mut f: impl FnMut(Undo, f32)) {
        let m = typed.len();
        for (i, &t) in typed.iter().enumerate() {
            for &c in alphabet {
                if c != t {
                    f(Undo::Substitute(i as u8, c), self.sub_cost(c, t));
                }
            }
            if i + 1 < m && typed[i + 1] != t {
                f(Undo::Swap(i as u8), self.cost_swap);
            }
            if i == 0 || typed[i - 1] != t {
                f(Undo::Delete(i as u8), self.insert_cost(typed, i));
            }
        }
        for i in 0..=m {
            for &c in alphabet {
                if i == 0 || typed[i - 1] != c {
                    f(Undo::Insert(i as u8, c), self.cost_drop);
                }
            }
        }
    }

    /// `ln P(pole)` up to a constant: by how its position is known and how many calls this
    /// workstation has logged for its code (`key`, normalised).
    #[must_use]
    pub fn log_prior(&self, kind: PriorKind, key: &str) -> f32 {
        let w = match kind {
            PriorKind::Surveyed => self.weights.surveyed,
            PriorKind::Estimated => self.weights.estimated,
            PriorKind::Unknown => self.weights.unknown,
        };
        let calls = if self.calls.is_empty() {
            0
        } else {
            self.calls.get(key).copied().unwrap_or(0)
        };
        w.max(1e-6).ln() + self.weights.per_call * (1.0 + calls as f32).ln()
    }

    /// An upper bound of [`ErrorModel::log_prior`] over every pole.
    pub(crate) fn max_log_prior(&self) -> f32 {
        let w = self
            .weights
            .surveyed
            .max(self.weights.estimated)
            .max(self.weights.unknown);
        w.max(1e-6).ln() + (self.weights.per_call * (1.0 + self.max_calls as f32).ln()).max(0.0)
    }

    /// A lower bound of the cost (`-ln p`) of any one mistake.
    pub(crate) fn cheapest_mistake(&self) -> f32 {
        self.cost_sub
            .iter()
            .flatten()
            .copied()
            .filter(|&c| c > 0.0)
            .fold(self.cost_other_sub, f32::min)
            .min(self.cost_swap)
            .min(self.cost_drop)
            .min(self.cost_doubled)
            .min(self.cost_insert)
    }

    /// The mistakes that make `typed` from `truth` (normalised keys), by the model's likeliest
    /// alignment; empty when they are equal.
    #[must_use]
    pub fn mistakes(&self, typed: &[u8], truth: &[u8]) -> Vec<Mistake> {
        let (n, m) = (truth.len(), typed.len());
        if typed == truth || n > MAX_CODE_LEN || m > MAX_CODE_LEN {
            return Vec::new();
        }
        let mut d = vec![vec![0f32; m + 1]; n + 1];
        for (j, v) in d[0].iter_mut().enumerate().take(m + 1) {
            *v = self.insert_run_cost(typed, j);
        }
        for i in 1..=n {
            d[i][0] = d[i - 1][0] + self.cost_drop;
            for j in 1..=m {
                let (s, t) = (truth[i - 1], typed[j - 1]);
                let mut v = d[i - 1][j - 1] + self.sub_cost(s, t);
                v = v.min(d[i - 1][j] + self.cost_drop);
                v = v.min(d[i][j - 1] + self.insert_cost(typed, j - 1));
                if i > 1 && j > 1 && s != truth[i - 2] && s == typed[j - 2] && truth[i - 2] == t {
                    v = v.min(d[i - 2][j - 2] + self.cost_swap);
                }
                d[i][j] = v;
            }
        }
        let mut out = Vec::new();
        let (mut i, mut j) = (n, m);
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-4;
        while i > 0 || j > 0 {
            let here = d[i][j];
            if i > 0
                && j > 0
                && close(
                    here,
                    d[i - 1][j - 1] + self.sub_cost(truth[i - 1], typed[j - 1]),
                )
            {
                if truth[i - 1] != typed[j - 1] {
                    out.push(Mistake::Substitute(truth[i - 1], typed[j - 1]));
                }
                i -= 1;
                j -= 1;
            } else if i > 1
                && j > 1
                && truth[i - 1] != truth[i - 2]
                && truth[i - 1] == typed[j - 2]
                && truth[i - 2] == typed[j - 1]
                && close(here, d[i - 2][j - 2] + self.cost_swap)
            {
                out.push(Mistake::Swap);
                i -= 2;
                j -= 2;
            } else if i > 0 && close(here, d[i - 1][j] + self.cost_drop) {
                out.push(Mistake::Drop);
                i -= 1;
            } else if j > 0 {
                out.push(if is_doubled(typed, j - 1) {
                    Mistake::Doubled
                } else {
                    Mistake::Insert
                });
                j -= 1;
            } else {
                out.push(Mistake::Drop);
                i -= 1;
            }
        }
        out.reverse();
        out
    }

    /// Learns from one logged call: the raw text typed and the code confirmed. The call counts
    /// for the confirmed code's prior; when the typed text is a code one or two mistakes away
    /// from it, each mistake adds one to its count. Text that is not a code (a street name, a
    /// landmark) teaches nothing about mistakes. Call [`ErrorModel::finish_learning`] after the
    /// last one.
    pub fn learn(&mut self, typed: &str, confirmed: &str) {
        let truth = normalize_lenient(confirmed);
        if !is_code_like(&truth) {
            return;
        }
        let calls = self.calls.entry(truth.as_str().into()).or_insert(0);
        *calls += 1;
        self.max_calls = self.max_calls.max(*calls);
        let typed = normalize_lenient(typed);
        if !is_code_like(&typed) || typed == truth {
            return;
        }
        let found = self.mistakes(typed.as_bytes(), truth.as_bytes());
        if found.is_empty() || found.len() > 2 {
            return;
        }
        for m in found {
            self.observed += 1;
            match m {
                Mistake::Substitute(a, b) => {
                    if let (Some(a), Some(b)) = (digit(a), digit(b)) {
                        self.sub[a][b] += 1.0;
                    }
                }
                Mistake::Swap => self.swap += 1.0,
                Mistake::Drop => self.drop += 1.0,
                Mistake::Doubled => self.doubled += 1.0,
                Mistake::Insert => self.insert += 1.0,
            }
        }
    }

    /// Recomputes the costs after [`ErrorModel::learn`].
    pub fn finish_learning(&mut self) {
        self.derive_costs();
    }

    /// The default model with what `pairs` (typed text, confirmed code) teach.
    #[must_use]
    pub fn learnt_from<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut m = Self::default();
        for (typed, code) in pairs {
            m.learn(typed, code);
        }
        m.finish_learning();
        m
    }

    /// The default model with what this workstation's call log teaches (read only; a missing
    /// log teaches nothing and is not an error).
    pub fn from_call_log(path: &Path) -> Result<Self, CallLogError> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let log = CallLog::open_read_only(path)?;
        let pairs = log.typed_and_confirmed()?;
        Ok(Self::learnt_from(
            pairs.iter().map(|(t, c)| (t.as_str(), c.as_str())),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ll(m: &ErrorModel, typed: &str, truth: &str) -> f32 {
        m.log_likelihood(typed.as_bytes(), truth.as_bytes())
    }

    #[test]
    fn the_kinds_of_mistake_rank_as_the_table_says() {
        let m = ErrorModel::default();
        let t = "2450034";
        // A swap beats a spoken pair, which beats a keypad neighbour, which beats any digit.
        let swap = ll(&m, "2450043", t);
        let one_seven = ll(&m, "7450034", "1450034");
        let keypad = ll(&m, "2550034", t); // 4 → 5, keypad neighbours
        let other = ll(&m, "2950034", t); // 4 → 9, nothing in common
        assert!(swap > one_seven, "{swap} {one_seven}");
        assert!(one_seven > keypad, "{one_seven} {keypad}");
        assert!(keypad > other, "{keypad} {other}");
        // A dropped digit beats an inserted one; a doubled one beats another insertion.
        assert!(ll(&m, "245034", t) > ll(&m, "24500349", t));
        assert!(ll(&m, "22450034", t) > ll(&m, "29450034", t));
        // Two mistakes are less likely than one of the same kinds.
        assert!(ll(&m, "2540043", t) < swap);
        assert!((ll(&m, t, t)).abs() < 1e-6);
        // Faded signs: 3 and 8 look alike, 3 and 9 do not.
        assert!(ll(&m, "2450084", "2450034") > ll(&m, "2450094", "2450034"));
    }

    #[test]
    fn the_alignment_names_each_mistake() {
        let m = ErrorModel::default();
        assert_eq!(m.mistakes(b"2450043", b"2450034"), vec![Mistake::Swap]);
        assert_eq!(m.mistakes(b"245034", b"2450034"), vec![Mistake::Drop]);
        assert_eq!(m.mistakes(b"22450034", b"2450034"), vec![Mistake::Doubled]);
        assert_eq!(m.mistakes(b"24590034", b"2450034"), vec![Mistake::Insert]);
        assert_eq!(
            m.mistakes(b"2450084", b"2450034"),
            vec![Mistake::Substitute(b'3', b'8')]
        );
        assert!(m.mistakes(b"2450034", b"2450034").is_empty());
    }

    #[test]
    fn the_log_moves_the_weights_it_has_seen_and_no_others() {
        let mut m = ErrorModel::default();
        let before = m.count(Mistake::Substitute(b'8', b'3'));
        let swap = m.count(Mistake::Swap);
        for _ in 0..10 {
            m.learn("2450034", "2-45-0084");
        }
        m.learn("中山北路 34", "2-45-0034");
        m.finish_learning();
        assert!((m.count(Mistake::Substitute(b'8', b'3')) - before - 10.0).abs() < 1e-6);
        assert!((m.count(Mistake::Swap) - swap).abs() < 1e-6);
        assert_eq!(m.observed(), 10);
        // Each confirmed code counted for its prior.
        assert!(
            m.log_prior(PriorKind::Surveyed, "2450084")
                > m.log_prior(PriorKind::Surveyed, "2450085")
        );
        assert!(m.log_prior(PriorKind::Surveyed, "1") > m.log_prior(PriorKind::Estimated, "1"));
    }
}
