//! The held-out check of the two-edit typo search: codes of the real demo dataset garbled with
//! two of the error model's mistakes (drawn with a fixed seed, in the proportions of the
//! default weights) that are no code, then looked up as a call-taker would.
//!
//! The demo code space is dense (a 7-digit code has about 25 valid codes one mistake away), so
//! a code two mistakes away from the true one is often one mistake away from another code, and
//! even the model that made the mistakes cannot always tell which was meant. The ceiling is
//! therefore measured too: the true pole's rank when every pole of the dataset is scored by the
//! same model (what an exhaustive search would list). The bounded search must come close to
//! that ceiling, and reach the share asserted below.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Rng, demo_index, garble};
use lamppost_search::channel::DEFAULT_WEIGHTS;
use lamppost_search::{PoleId, SearchIndex, Target};

/// How two-mistake misreads fared.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    /// Misreads that are no code and no shorter than the shortest code.
    tried: usize,
    /// The true pole among the first five of `search`.
    top5: usize,
    /// The true pole first.
    first: usize,
    /// The true pole among the first five when every pole is scored (the ceiling), with the
    /// poles of the same score after it.
    ceiling_top5: usize,
    /// The same with the poles of the same score before it.
    ceiling_sure_top5: usize,
}

fn share(a: usize, n: usize) -> f64 {
    a as f64 / n.max(1) as f64
}

fn tally(index: &SearchIndex, n: usize, seed: u64, ceiling: bool) -> Tally {
    let shortest = (0..index.len() as PoleId)
        .map(|id| index.pole(id).key().len())
        .min()
        .unwrap_or(0);
    let mut rng = Rng(seed);
    let mut t = Tally::default();
    while t.tried < n {
        let id = rng.below(index.len()) as PoleId;
        let key = index.pole(id).key().as_bytes().to_vec();
        let once = garble(&mut rng, &key, &DEFAULT_WEIGHTS);
        let typed = garble(&mut rng, &once, &DEFAULT_WEIGHTS);
        let typed = String::from_utf8(typed).unwrap();
        // Two mistakes that cancel or make another code are not this test's business (the
        // confusable codes of a valid code are misreads.rs's); a code shorter than every code
        // lists the codes it starts first.
        if typed.as_bytes() == key.as_slice()
            || typed.len() < shortest
            || index.lookup(&typed).is_some()
        {
            continue;
        }
        // Exactly two mistakes by the model's own alignment: no single mistake makes it.
        if lamppost_search::channel::ErrorModel::default()
            .mistakes(typed.as_bytes(), &key)
            .len()
            != 2
        {
            continue;
        }
        t.tried += 1;
        let rank = index
            .search(&typed, 5)
            .hits
            .iter()
            .position(|h| h.target == Target::Pole(id));
        t.top5 += usize::from(rank.is_some_and(|r| r < 5));
        t.first += usize::from(rank == Some(0));
        if ceiling {
            let truth = index.channel_score(&typed, id);
            let (mut better, mut tied) = (0, 0);
            for o in (0..index.len() as PoleId).filter(|&o| o != id) {
                let s = index.channel_score(&typed, o);
                better += usize::from(s > truth);
                tied += usize::from(s.total_cmp(&truth).is_eq());
            }
            t.ceiling_top5 += usize::from(better < 5);
            t.ceiling_sure_top5 += usize::from(better + tied < 5);
        }
    }
    t
}

#[test]
fn the_true_pole_of_a_two_mistake_misread_is_listed_as_often_as_the_model_allows() {
    let (_dir, index) = demo_index();
    assert!(index.len() > 4000, "the demo dataset: {}", index.len());
    let t = tally(&index, 300, 0x2ed1_7500, true);
    let top5 = share(t.top5, t.tried);
    let ceiling = share(t.ceiling_top5, t.tried);
    let sure = share(t.ceiling_sure_top5, t.tried);
    println!(
        "two mistakes: {t:?}; top 5 {top5:.3}, first {:.3}; ceiling (every pole scored) top 5 \
         {sure:.3} to {ceiling:.3} (ties against or for the true pole)",
        share(t.first, t.tried)
    );
    // The bounded search lists the true pole whenever an exhaustive one surely would: what it
    // misses is only poles of exactly the same score listed before it (measured: 0.683 with
    // 512 two-mistake lookups behind a one-mistake code that outranks them all, 0.677 with
    // the full 8,192; the ceiling 0.650 to 0.723). The goal of 0.90 is out of reach
    // on this dense code space for any search ranked by this model.
    assert!(
        top5 >= sure,
        "top 5 {top5:.3}, ceiling {sure:.3} to {ceiling:.3}"
    );
    assert!(top5 >= 0.65, "top 5 {top5:.3}");
}
