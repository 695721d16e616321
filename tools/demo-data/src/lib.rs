//! Demo and test data for Lamppost: synthetic datasets of any size ([`synth`]), for benchmarks
//! and scale tests. The bundled demo dataset is built by the `build_demo` program of this crate
//! (`data/demo/README.md`).
#![forbid(unsafe_code)]

pub mod synth;
