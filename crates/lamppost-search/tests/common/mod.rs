//! Misreads drawn from the error model, shared by the held-out tests: a fixed,
//! dependency-free random sequence and one mistake made to a code in the proportions of the
//! default weights.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use lamppost_search::SearchIndex;
use lamppost_search::channel::{FADED_PAIRS, SPOKEN_PAIRS, Weights};

/// xorshift64*: a fixed, dependency-free sequence.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn keypad_pos(d: u8) -> (i8, i8) {
    match d {
        b'7' => (0, 0),
        b'8' => (0, 1),
        b'9' => (0, 2),
        b'4' => (1, 0),
        b'5' => (1, 1),
        b'6' => (1, 2),
        b'1' => (2, 0),
        b'2' => (2, 1),
        b'3' => (2, 2),
        _ => (3, 0),
    }
}

fn pair(pairs: &[(u8, u8)], a: u8, b: u8) -> bool {
    pairs.contains(&(a, b)) || pairs.contains(&(b, a))
}

/// A digit to replace `d` with, drawn in the proportions of the weights.
fn substitute(rng: &mut Rng, d: u8, w: &Weights) -> u8 {
    let options: Vec<(u8, f32)> = (b'0'..=b'9')
        .filter(|&c| c != d)
        .map(|c| {
            let (a, b) = (keypad_pos(d), keypad_pos(c));
            let keypad = (a.0 - b.0).abs() + (a.1 - b.1).abs() == 1
                || matches!((d, c), (b'0', b'2') | (b'2', b'0'));
            let mut weight = w.other_substitution;
            if pair(&SPOKEN_PAIRS, d, c) {
                weight += w.spoken;
            }
            if pair(&FADED_PAIRS, d, c) {
                weight += w.faded;
            }
            if keypad {
                weight += w.keypad;
            }
            (c, weight)
        })
        .collect();
    let total: f32 = options.iter().map(|o| o.1).sum();
    let mut x = rng.unit() * total;
    for (c, weight) in &options {
        if x < *weight {
            return *c;
        }
        x -= weight;
    }
    options[options.len() - 1].0
}

/// One mistake made to `key`: its kind drawn by the weights (all substitutions of a digit
/// together against a swap, a drop, a doubled or an inserted digit).
pub fn garble(rng: &mut Rng, key: &[u8], w: &Weights) -> Vec<u8> {
    let mut out = key.to_vec();
    let kinds = [
        w.spoken + w.faded + w.keypad * 2.0,
        w.swap,
        w.drop,
        w.doubled,
        w.insert,
    ];
    let total: f32 = kinds.iter().sum();
    let mut x = rng.unit() * total;
    let mut kind = 0;
    while kind < kinds.len() - 1 && x >= kinds[kind] {
        x -= kinds[kind];
        kind += 1;
    }
    let i = rng.below(key.len());
    match kind {
        0 => out[i] = substitute(rng, key[i], w),
        1 => {
            let i = rng.below(key.len() - 1);
            out.swap(i, i + 1);
        }
        2 => {
            out.remove(i);
        }
        3 => out.insert(i, key[i]),
        _ => out.insert(i, b'0' + rng.below(10) as u8),
    }
    out
}

/// The demo dataset's index, in a temporary folder.
pub fn demo_index() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.sqlite");
    lamppost_data::demo::create_demo_database(&path, "test").unwrap();
    let index = SearchIndex::open(&path).unwrap();
    (dir, index)
}
