//! Lamppost's offline walkers: the download machinery (HTTP client, async runtime, disk cache)
//! is removed; only what a `Tiles` implementation of our own needs is kept.

use bytes::Bytes;

use crate::tiles::{Tile, TileError};

/// Turns a tile's bytes into a [`Tile`].
pub trait TileFactory {
    fn create_tile(&self, data: &Bytes, zoom: u8) -> Result<Tile, TileError>;
}

#[derive(Clone, Default)]
pub struct Stats {
    /// Number of tiles that are currently being downloaded.
    pub in_progress: usize,
}
