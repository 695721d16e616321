//! A least-recently-used cache of decoded tiles, bounded by the bytes their pixels take.

use std::sync::Arc;

use lru::LruCache;

use super::{RgbaTile, TileId};

/// Which tile of which layer.
pub type CacheKey = (usize, TileId);

/// Decoded tiles, evicting the least recently used ones past a memory bound.
pub struct TileCache {
    entries: LruCache<CacheKey, Arc<RgbaTile>>,
    bytes: usize,
    max_bytes: usize,
}

impl TileCache {
    /// An empty cache holding at most `max_bytes` of pixels (at least one tile is always kept).
    #[must_use]
    pub fn new(max_bytes: usize) -> Self {
        Self {
            entries: LruCache::unbounded(),
            bytes: 0,
            max_bytes,
        }
    }

    /// A tile, marked as just used.
    pub fn get(&mut self, key: &CacheKey) -> Option<Arc<RgbaTile>> {
        self.entries.get(key).cloned()
    }

    /// True when the tile is cached (does not change its age).
    #[must_use]
    pub fn contains(&self, key: &CacheKey) -> bool {
        self.entries.contains(key)
    }

    /// Adds or replaces a tile, then evicts old tiles until the cache fits its bound.
    pub fn insert(&mut self, key: CacheKey, tile: Arc<RgbaTile>) {
        self.bytes += tile.byte_size();
        if let Some(old) = self.entries.put(key, tile) {
            self.bytes -= old.byte_size();
        }
        while self.bytes > self.max_bytes && self.entries.len() > 1 {
            match self.entries.pop_lru() {
                Some((_, old)) => self.bytes -= old.byte_size(),
                None => break,
            }
        }
    }

    /// Bytes of pixels held.
    #[must_use]
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Number of tiles held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(px: u32) -> Arc<RgbaTile> {
        Arc::new(RgbaTile::placeholder(px))
    }

    fn id(x: u32) -> CacheKey {
        (0, TileId::new(10, x, 0).unwrap())
    }

    #[test]
    fn the_cache_stays_under_its_memory_bound_and_evicts_the_oldest() {
        let one = 16 * 16 * 4;
        let mut c = TileCache::new(3 * one);
        for x in 0..3 {
            c.insert(id(x), tile(16));
        }
        assert_eq!(c.len(), 3);
        assert!(c.get(&id(0)).is_some()); // 0 is now the newest
        c.insert(id(3), tile(16));
        assert_eq!(c.len(), 3);
        assert!(c.bytes() <= 3 * one);
        assert!(c.contains(&id(0)));
        assert!(
            !c.contains(&id(1)),
            "the least recently used tile goes first"
        );
    }

    #[test]
    fn replacing_a_tile_does_not_count_it_twice() {
        let mut c = TileCache::new(1 << 20);
        c.insert(id(0), tile(16));
        c.insert(id(0), tile(16));
        assert_eq!(c.bytes(), 16 * 16 * 4);
    }
}
