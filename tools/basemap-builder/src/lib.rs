//! The basemap builder: renders roads, water, parks, buildings and Chinese labels from GeoJSON
//! layers into raster tiles ([`build`]), and packs an XYZ tile folder into MBTiles ([`pack`]).
//! An authoring tool: the call-taker's program only reads tiles (`lamppost-basemap`).
#![forbid(unsafe_code)]

pub mod build;
pub mod pack;
