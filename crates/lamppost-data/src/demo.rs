//! The bundled demo dataset (central Taipei, from OpenStreetMap), compiled into the program so
//! that a fresh machine can create its database with no files beside the executable.
//!
//! The CSV files are built by `examples/build_demo.rs`; see `data/demo/README.md`.

use std::path::Path;

use crate::store::{LoadSummary, Source, Store, StoreError};

/// `data/demo/meta.csv`.
pub const META_CSV: &str = include_str!("../../../data/demo/meta.csv");
/// `data/demo/streets.csv`.
pub const STREETS_CSV: &str = include_str!("../../../data/demo/streets.csv");
/// `data/demo/poles.csv`.
pub const POLES_CSV: &str = include_str!("../../../data/demo/poles.csv");

/// Creates a new database at `path` holding the demo dataset.
pub fn create_demo_database(
    path: &Path,
    applied_by: &str,
) -> Result<(Store, LoadSummary), StoreError> {
    let mut store = Store::create(path)?;
    let summary = load_demo(&mut store, applied_by);
    match summary {
        Ok(s) => Ok((store, s)),
        Err(e) => {
            drop(store);
            let _ = std::fs::remove_file(path);
            Err(e)
        }
    }
}

/// Loads the demo dataset into an empty store.
pub fn load_demo(store: &mut Store, applied_by: &str) -> Result<LoadSummary, StoreError> {
    store.load_canonical(
        Some(Source {
            name: "data/demo/meta.csv".into(),
            reader: META_CSV.as_bytes(),
        }),
        Some(Source {
            name: "data/demo/streets.csv".into(),
            reader: STREETS_CSV.as_bytes(),
        }),
        Source {
            name: "data/demo/poles.csv".into(),
            reader: POLES_CSV.as_bytes(),
        },
        applied_by,
    )
}
