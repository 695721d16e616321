//! Lamppost's core (灯杆报警定位): what an alarm code is, where a pole stands, and what the
//! call-taker reads back. Pure code: no files, no SQL, no window. Every other crate of the
//! workspace builds on these types.
//!
//! - [`code`]: the code printed on a sign and its normalised form;
//! - [`geo`], [`datum`], [`crs`]: WGS-84 positions, distances, street lines, the datums a file or
//!   a caller may use (GCJ-02, BD-09), and projected CRSs (Gauss–Krüger, UTM, WKT);
//! - [`model`], [`canonical`]: the reference data's rows and the canonical CSV;
//! - [`estimate`]: positions for poles that were never surveyed;
//! - [`readback`]: the sentence read back to the caller;
//! - [`text`], [`spreadsheet`], [`encode`]: Chinese text folding, safe spreadsheet cells, hex
//!   and file-URI encoding;
//! - [`words`]: errors and notices as words, in the window's language or both.
#![forbid(unsafe_code)]

pub mod canonical;
pub mod code;
pub mod coords;
pub mod crs;
mod crs_wkt;
pub mod datum;
pub mod encode;
pub mod estimate;
pub mod geo;
pub mod model;
pub mod readback;
pub mod spreadsheet;
pub mod text;
pub mod words;
