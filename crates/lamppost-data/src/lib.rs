//! Lamppost's storage: every SQL statement of the program lives in this crate.
//!
//! - [`store`]: the reference database (`lamppost.sqlite`): schema and migrations, reads,
//!   the supervisor's credential, data packages;
//! - [`calllog`]: the workstation's call log (`calls.sqlite`), append-only;
//! - [`export`]: the canonical CSV and GeoJSON written from the reference database;
//! - [`demo`]: the bundled demo dataset, compiled in;
//! - [`gpkg`]: a GeoPackage point layer, read-only, for the import.
// `deny`, not `forbid`: the session extension's C calls (`store/session.rs`) are allowed there,
// with a SAFETY note on each.
#![deny(unsafe_code)]

pub mod calllog;
pub mod demo;
pub mod export;
pub mod gpkg;
mod migrate;
pub mod store;
