//! Tile benchmarks (placeholder).
fn main() {}
