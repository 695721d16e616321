//! Writes a synthetic canonical CSV of N poles (the benchmark's data), for timing the real
//! binary on big files. The output is not kept in git (write it under `target/`).
//!
//! ```text
//! cargo run --release -p lamppost-demo-data --bin synth_csv -- 1000000 target/poles-1m.csv
//! cargo run --release -p lamppost-demo-data --bin synth_csv -- 1000000 target/poles-1m-edited.csv --changed
//! cargo run --release -p lamppost-demo-data --bin synth_csv -- 50000 target/city-07.csv --seed 7
//! ```
//!
//! `--changed` gives every hundredth pole the status `damaged` (1% changes for a dry run).
//! The seed is the benchmark's, so the file is the one `benches/import.rs` measures, unless
//! `--seed N` gives another (another province's streets and codes: `scripts/province.sh`
//! makes one dataset per seed).

use std::error::Error;
use std::io::{BufWriter, Write as _};

use lamppost_demo_data::synth::Synth;

/// The benchmarks' seed (`benches/common/mod.rs`).
const SEED: u64 = 20_261_128;

const USAGE: &str = "usage: synth_csv N OUT.csv [--changed] [--seed N]";

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(n), Some(out)) = (args.first(), args.get(1)) else {
        return Err(USAGE.into());
    };
    let n: usize = n.parse()?;
    let mut changed = false;
    let mut seed = SEED;
    let mut rest = args[2..].iter();
    while let Some(a) = rest.next() {
        match a.as_str() {
            "--changed" => changed = true,
            "--seed" => seed = rest.next().ok_or(USAGE)?.parse()?,
            _ => return Err(format!("{USAGE} (not understood: {a})").into()),
        }
    }
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    Synth::new(n, seed).write_canonical_csv(&mut w, changed.then_some(100))?;
    w.flush()?;
    Ok(())
}
