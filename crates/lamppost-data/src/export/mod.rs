//! Writing data for other programs: spreadsheets (CSV) and GIS (GeoJSON, GeoPackage).
//!
//! Everything written here may be opened in Excel or WPS by someone at a workstation, so text
//! cells are neutralised against formula injection ([`neutralise_formula`]).

pub mod csv_file;
pub mod geojson;
pub mod gpkg;

pub use lamppost_core::spreadsheet::{UTF8_BOM, neutralise_formula};
