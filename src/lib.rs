//! Lamppost (灯杆报警定位): find a street lamp post from the alarm code on its sign, offline.
//!
//! The library holds everything but the window: codes, geography, the reference database, the
//! in-memory search index, imports and exports. It never names egui; the `gui` feature adds the
//! `ui` module on top.

pub mod calllog;
pub mod canonical;
pub mod code;
pub mod demo;
pub mod estimate;
pub mod export;
pub mod geo;
pub mod import;
pub mod model;
pub mod readback;
pub mod search;
pub mod store;
pub mod synth;
pub mod text;
pub mod tiles;
#[cfg(feature = "gui")]
pub mod ui;
