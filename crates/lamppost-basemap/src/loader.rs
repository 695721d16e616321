//! The background tile loader: one worker thread reads and decodes tiles from a stack of layers
//! (a world overview under the city basemap, say); the caller (the UI thread) only looks up
//! finished tiles in memory and never waits on the disk.
//!
//! A request that is not ready yet is queued (a bounded queue: when it is full the oldest request
//! is dropped, and served newest first, since the newest is what is on screen) and, meanwhile, the
//! nearest cached ancestor is returned with the part of it to draw, so zooming in never shows a
//! hole. The worker resolves a tile the same way: the top layer that has the tile or, failing
//! that, its nearest lower-zoom ancestor (beyond a file's max zoom too) wins.

use std::collections::{HashSet, VecDeque};
use std::num::NonZeroUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lamppost_core::words::{Message, Words};
use lru::LruCache;

use super::cache::{CacheKey, TileCache};
use super::decode::{RgbaTile, decode_tile};
use super::{SubRect, TileId, TileMeta, TileSource};

/// How much the loader may hold.
#[derive(Debug, Clone, Copy)]
pub struct LoaderConfig {
    /// Memory bound of the decoded-tile cache, in bytes of pixels.
    pub cache_bytes: usize,
    /// Most requests waiting at once; older ones are dropped past it.
    pub queue_len: usize,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        Self {
            // 256 MiB: about 1000 tiles of 256 px, four screens of 512 px tiles at every zoom.
            cache_bytes: 256 << 20,
            queue_len: 96,
        }
    }
}

/// A tile ready to draw: the image of the requested tile or of an ancestor, and the part of it
/// that covers the requested tile.
#[derive(Debug, Clone)]
pub struct TileView {
    /// The decoded image.
    pub image: Arc<RgbaTile>,
    /// Which layer it came from (0 = the bottom one).
    pub layer: usize,
    /// The tile the image is of: the requested one, or an ancestor.
    pub source: TileId,
    /// The part of `image` to draw in place of the requested tile.
    pub uv: SubRect,
}

/// Counts for a status line or a benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoaderStats {
    /// Requests queued or being read.
    pub pending: usize,
    /// Decoded tiles held.
    pub cached_tiles: usize,
    /// Bytes of pixels held.
    pub cached_bytes: usize,
}

/// What the worker found for a requested tile: which layer and which tile to draw, or nothing.
type Resolution = Option<CacheKey>;

struct State {
    cache: TileCache,
    resolved: LruCache<TileId, Resolution>,
    queue: VecDeque<TileId>,
    pending: HashSet<TileId>,
    warnings: VecDeque<Message>,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    idle: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Called by the worker whenever a tile is ready (the GUI passes `ctx.request_repaint()`).
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// Tiles from a stack of layers, read and decoded on a worker thread.
pub struct TileLoader {
    shared: Arc<Shared>,
    metas: Vec<TileMeta>,
    queue_len: usize,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TileLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileLoader")
            .field("metas", &self.metas)
            .finish_non_exhaustive()
    }
}

/// Most warnings kept for the caller to show.
const MAX_WARNINGS: usize = 100;

impl TileLoader {
    /// Starts the worker over `layers`, bottom first (the world overview, then the city).
    pub fn spawn(layers: Vec<Box<dyn TileSource>>, config: LoaderConfig, notify: Notify) -> Self {
        let metas: Vec<TileMeta> = layers.iter().map(|l| l.meta().clone()).collect();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                cache: TileCache::new(config.cache_bytes),
                resolved: LruCache::new(NonZeroUsize::new(16_384).unwrap_or(NonZeroUsize::MIN)),
                queue: VecDeque::new(),
                pending: HashSet::new(),
                warnings: VecDeque::new(),
                shutdown: false,
            }),
            wake: Condvar::new(),
            idle: Condvar::new(),
        });
        let worker_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("tile-loader".into())
            .spawn(move || worker(&worker_shared, layers, &notify))
            .ok();
        Self {
            shared,
            metas: metas.clone(),
            queue_len: config.queue_len.max(1),
            thread,
        }
    }

    /// The metadata of each layer, bottom first.
    #[must_use]
    pub fn layers(&self) -> &[TileMeta] {
        &self.metas
    }

    /// Tile size in pixels of the top layer (what walkers must be told).
    #[must_use]
    pub fn tile_size_px(&self) -> u32 {
        self.metas.last().map_or(256, |m| m.tile_size_px)
    }

    /// Where to open the map: the top layer's centre.
    #[must_use]
    pub fn start_center(&self) -> Option<super::Center> {
        self.metas.iter().rev().find_map(|m| m.center)
    }

    /// The attributions of all layers, top first, without repeats, joined with " | ".
    #[must_use]
    pub fn attribution(&self) -> String {
        let mut seen: Vec<&str> = Vec::new();
        for m in self.metas.iter().rev() {
            if let Some(a) = m.attribution.as_deref().map(str::trim)
                && !a.is_empty()
                && !seen.contains(&a)
            {
                seen.push(a);
            }
        }
        seen.join(" | ")
    }

    /// The tile to draw for `id`, never blocking on the disk: the tile itself when loaded,
    /// otherwise the nearest loaded ancestor (and the tile is queued), or `None` when nothing
    /// is loaded yet or no layer covers the place.
    #[must_use]
    pub fn get(&self, id: TileId) -> Option<TileView> {
        let mut st = self.shared.lock();
        match st.resolved.get(&id).copied() {
            Some(None) => return None,
            Some(Some(key)) => {
                if let Some(image) = st.cache.get(&key) {
                    return Some(view(id, key, image));
                }
                // Evicted since: load it again.
            }
            None => {}
        }
        self.enqueue(&mut st, id);
        for z in (0..id.z).rev() {
            let Some((anc, _)) = id.ancestor(z) else {
                continue;
            };
            if let Some(Some(key)) = st.resolved.peek(&anc).copied()
                && let Some(image) = st.cache.get(&key)
            {
                return Some(view(id, key, image));
            }
        }
        None
    }

    fn enqueue(&self, st: &mut State, id: TileId) {
        if st.pending.contains(&id) {
            return;
        }
        while st.queue.len() >= self.queue_len {
            if let Some(old) = st.queue.pop_front() {
                st.pending.remove(&old);
            }
        }
        st.queue.push_back(id);
        st.pending.insert(id);
        self.shared.wake.notify_one();
    }

    /// Waits until every queued request is done, at most `timeout`; true when idle (tests and
    /// benchmarks; never call it on the UI thread).
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.shared.lock();
        while !st.pending.is_empty() {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            st = self
                .shared
                .idle
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }

    /// Problems met since the last call (damaged tiles, unreadable files), oldest first.
    #[must_use]
    pub fn take_warnings(&self) -> Vec<Message> {
        self.shared.lock().warnings.drain(..).collect()
    }

    /// Current counts.
    #[must_use]
    pub fn stats(&self) -> LoaderStats {
        let st = self.shared.lock();
        LoaderStats {
            pending: st.pending.len(),
            cached_tiles: st.cache.len(),
            cached_bytes: st.cache.bytes(),
        }
    }
}

impl Drop for TileLoader {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn view(id: TileId, key: CacheKey, image: Arc<RgbaTile>) -> TileView {
    let uv = id.ancestor(key.1.z).map_or(SubRect::FULL, |(_, r)| r);
    TileView {
        image,
        layer: key.0,
        source: key.1,
        uv,
    }
}

fn worker(shared: &Shared, mut layers: Vec<Box<dyn TileSource>>, notify: &Notify) {
    loop {
        let id = {
            let mut st = shared.lock();
            loop {
                if st.shutdown {
                    return;
                }
                if let Some(id) = st.queue.pop_back() {
                    break id;
                }
                st = shared.wake.wait(st).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let mut warnings = Vec::new();
        let (resolution, image) = resolve(shared, &mut layers, id, &mut warnings);
        {
            let mut st = shared.lock();
            st.resolved.put(id, resolution);
            if let (Some(key), Some(image)) = (resolution, image) {
                st.cache.insert(key, image);
            }
            st.pending.remove(&id);
            for w in warnings {
                log::warn!("{w}");
                if st.warnings.len() >= MAX_WARNINGS {
                    st.warnings.pop_front();
                }
                st.warnings.push_back(w);
            }
            if st.pending.is_empty() {
                shared.idle.notify_all();
            }
        }
        notify();
    }
}

/// Finds the tile to draw for `id`: top layer first, the tile itself or its nearest ancestor.
/// Returns the key and, when it had to be read, the decoded image.
fn resolve(
    shared: &Shared,
    layers: &mut [Box<dyn TileSource>],
    id: TileId,
    warnings: &mut Vec<Message>,
) -> (Resolution, Option<Arc<RgbaTile>>) {
    for (li, layer) in layers.iter_mut().enumerate().rev() {
        let meta = layer.meta().clone();
        if id.z < meta.min_zoom {
            continue;
        }
        if let Some(b) = meta.bounds
            && !b.intersects(&id.bounds())
        {
            continue;
        }
        for z in (meta.min_zoom..=id.z.min(meta.max_zoom)).rev() {
            let Some((src, _)) = id.ancestor(z) else {
                continue;
            };
            let key = (li, src);
            if shared.lock().cache.contains(&key) {
                return (Some(key), None);
            }
            match layer.read(src) {
                Ok(Some(bytes)) => {
                    let mut image = decode_tile(&bytes).unwrap_or_else(|e| {
                        warnings.push(
                            Message::new(
                                format!("瓦片 {src} 无法解码，以占位图代替（{e}）"),
                                format!("tile {src} cannot be decoded and is drawn as a placeholder ({e})"),
                            )
                            .about(layer.location().display()),
                        );
                        RgbaTile::placeholder(meta.tile_size_px)
                    });
                    // Transparent parts (outside a city's data) show the layers beneath.
                    if li > 0 && image.pixels.chunks_exact(4).any(|p| p[3] < 255) {
                        let (below, below_image) =
                            resolve(shared, &mut layers[..li], src, warnings);
                        let below_image =
                            below_image.or_else(|| below.and_then(|k| shared.lock().cache.get(&k)));
                        if let (Some(bk), Some(under)) = (below, below_image) {
                            if let Some((_, uv)) = src.ancestor(bk.1.z) {
                                image = composite(&image, &under, uv);
                            }
                            shared.lock().cache.insert(bk, under);
                        }
                    }
                    return (Some(key), Some(Arc::new(image)));
                }
                Ok(None) => {}
                Err(e) => {
                    warnings.push(e.message());
                    break;
                }
            }
        }
    }
    (None, None)
}

/// Draws `top` over the part `uv` of `under`, scaled to `top`'s size (bilinear).
fn composite(top: &RgbaTile, under: &RgbaTile, uv: SubRect) -> RgbaTile {
    let (w, h) = (top.width, top.height);
    let mut out = Vec::with_capacity(top.pixels.len());
    let (uw, uh) = (under.width.max(1), under.height.max(1));
    let sample = |fx: f32, fy: f32| -> [f32; 4] {
        let x = (fx * uw as f32 - 0.5).clamp(0.0, (uw - 1) as f32);
        let y = (fy * uh as f32 - 0.5).clamp(0.0, (uh - 1) as f32);
        let (x0, y0) = (x.floor() as u32, y.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(uw - 1), (y0 + 1).min(uh - 1));
        let (tx, ty) = (x - x0 as f32, y - y0 as f32);
        let p = |xx: u32, yy: u32| under.pixel(xx, yy).unwrap_or([0, 0, 0, 0]);
        let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
        let mut v = [0f32; 4];
        for i in 0..4 {
            let top_row = f32::from(a[i]) * (1.0 - tx) + f32::from(b[i]) * tx;
            let bottom_row = f32::from(c[i]) * (1.0 - tx) + f32::from(d[i]) * tx;
            v[i] = top_row * (1.0 - ty) + bottom_row * ty;
        }
        v
    };
    for y in 0..h {
        for x in 0..w {
            let t = top.pixel(x, y).unwrap_or([0, 0, 0, 0]);
            if t[3] == 255 {
                out.extend_from_slice(&t);
                continue;
            }
            let fx = uv.min_u + (x as f32 + 0.5) / w as f32 * (uv.max_u - uv.min_u);
            let fy = uv.min_v + (y as f32 + 0.5) / h as f32 * (uv.max_v - uv.min_v);
            let u = sample(fx, fy);
            let a = f32::from(t[3]) / 255.0;
            let ua = u[3] / 255.0;
            let out_a = a + ua * (1.0 - a);
            for i in 0..3 {
                let c = if out_a > 0.0 {
                    (f32::from(t[i]) * a + u[i] * ua * (1.0 - a)) / out_a
                } else {
                    0.0
                };
                out.push(c.round().clamp(0.0, 255.0) as u8);
            }
            out.push((out_a * 255.0).round() as u8);
        }
    }
    RgbaTile::from_rgba(w, h, out).unwrap_or_else(|| top.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::decode::encode_png_rgba;
    use crate::{Datum, TileError, TileFormat};

    /// An in-memory source.
    struct Mem {
        meta: TileMeta,
        tiles: HashMap<TileId, Vec<u8>>,
        path: PathBuf,
    }

    fn png(v: u8) -> Vec<u8> {
        let px: Vec<u8> = (0..8 * 8).flat_map(|_| [v, v, v, 255]).collect();
        encode_png_rgba(8, 8, &px).unwrap()
    }

    fn mem(min_zoom: u8, max_zoom: u8, tiles: Vec<(TileId, Vec<u8>)>) -> Box<dyn TileSource> {
        Box::new(Mem {
            meta: TileMeta {
                name: None,
                format: TileFormat::Png,
                bounds: None,
                center: None,
                min_zoom,
                max_zoom,
                attribution: Some("© OpenStreetMap contributors".into()),
                datum: Datum::Wgs84,
                tile_size_px: 8,
            },
            tiles: tiles.into_iter().collect(),
            path: PathBuf::from("mem"),
        })
    }

    impl TileSource for Mem {
        fn meta(&self) -> &TileMeta {
            &self.meta
        }
        fn read(&mut self, id: TileId) -> Result<Option<Vec<u8>>, TileError> {
            Ok(self.tiles.get(&id).cloned())
        }
        fn location(&self) -> &Path {
            &self.path
        }
    }

    fn t(z: u8, x: u32, y: u32) -> TileId {
        TileId::new(z, x, y).unwrap()
    }

    fn loader(layers: Vec<Box<dyn TileSource>>) -> TileLoader {
        TileLoader::spawn(layers, LoaderConfig::default(), Arc::new(|| {}))
    }

    fn get_loaded(l: &TileLoader, id: TileId) -> Option<TileView> {
        let _ = l.get(id);
        assert!(l.wait_idle(Duration::from_secs(5)));
        l.get(id)
    }

    #[test]
    fn a_loaded_tile_comes_back_whole() {
        let l = loader(vec![mem(0, 2, vec![(t(2, 1, 1), png(50))])]);
        let v = get_loaded(&l, t(2, 1, 1)).unwrap();
        assert_eq!(v.source, t(2, 1, 1));
        assert_eq!(v.uv, SubRect::FULL);
        assert_eq!(v.image.pixel(0, 0), Some([50, 50, 50, 255]));
    }

    #[test]
    fn beyond_the_max_zoom_the_parent_tile_is_scaled() {
        let l = loader(vec![mem(0, 1, vec![(t(1, 1, 0), png(70))])]);
        let v = get_loaded(&l, t(3, 5, 2)).unwrap();
        assert_eq!(v.source, t(1, 1, 0));
        assert_eq!(
            v.uv,
            SubRect {
                min_u: 0.25,
                min_v: 0.5,
                max_u: 0.5,
                max_v: 0.75
            }
        );
    }

    #[test]
    fn a_missing_tile_falls_back_to_the_nearest_ancestor_that_exists() {
        let l = loader(vec![mem(
            0,
            5,
            vec![(t(0, 0, 0), png(1)), (t(2, 0, 0), png(2))],
        )]);
        let v = get_loaded(&l, t(4, 1, 1)).unwrap();
        assert_eq!(v.source, t(2, 0, 0));
    }

    #[test]
    fn the_city_layer_wins_over_the_world_and_the_world_fills_the_rest() {
        let world = mem(0, 1, vec![(t(0, 0, 0), png(10)), (t(1, 1, 0), png(11))]);
        let city = mem(2, 3, vec![(t(3, 6, 1), png(99))]);
        let l = loader(vec![world, city]);
        let v = get_loaded(&l, t(3, 6, 1)).unwrap();
        assert_eq!((v.layer, v.image.pixel(0, 0)), (1, Some([99, 99, 99, 255])));
        let v = get_loaded(&l, t(3, 0, 7)).unwrap();
        assert_eq!((v.layer, v.source), (0, t(0, 0, 0)));
        let v = get_loaded(&l, t(1, 1, 0)).unwrap();
        assert_eq!((v.layer, v.source), (0, t(1, 1, 0)));
        assert_eq!(l.attribution(), "© OpenStreetMap contributors");
    }

    #[test]
    fn while_a_tile_loads_a_cached_ancestor_is_shown_at_once() {
        let l = loader(vec![mem(
            0,
            3,
            vec![(t(0, 0, 0), png(1)), (t(3, 7, 7), png(2))],
        )]);
        let _ = get_loaded(&l, t(0, 0, 0)).unwrap();
        // The first call must not wait: it returns the ancestor, the tile arrives later.
        let first = l.get(t(3, 7, 7)).unwrap();
        assert!(first.source == t(0, 0, 0) || first.source == t(3, 7, 7));
        assert!(l.wait_idle(Duration::from_secs(5)));
        assert_eq!(l.get(t(3, 7, 7)).unwrap().source, t(3, 7, 7));
    }

    #[test]
    fn a_corrupt_blob_becomes_a_placeholder_and_a_warning() {
        let l = loader(vec![mem(
            0,
            0,
            vec![(t(0, 0, 0), b"\x89PNGbroken".to_vec())],
        )]);
        let v = get_loaded(&l, t(0, 0, 0)).unwrap();
        assert!(v.image.is_placeholder);
        let w = l.take_warnings();
        assert_eq!(w.len(), 1);
        let text = w[0].to_string();
        assert!(
            text.contains("0/0/0") && text.contains("placeholder") && text.contains("占位图"),
            "{w:?}"
        );
    }

    #[test]
    fn transparent_parts_of_the_city_show_the_world_beneath() {
        let mut px = Vec::new();
        for _ in 0..8 * 8 {
            px.extend_from_slice(&[0, 0, 0, 0]);
        }
        px[0..4].copy_from_slice(&[200, 0, 0, 255]);
        let city_png = encode_png_rgba(8, 8, &px).unwrap();
        let world = mem(0, 0, vec![(t(0, 0, 0), png(90))]);
        let city = mem(2, 2, vec![(t(2, 1, 1), city_png)]);
        let l = loader(vec![world, city]);
        let v = get_loaded(&l, t(2, 1, 1)).unwrap();
        assert_eq!(v.layer, 1);
        assert_eq!(
            v.image.pixel(0, 0),
            Some([200, 0, 0, 255]),
            "city pixel kept"
        );
        assert_eq!(
            v.image.pixel(5, 5),
            Some([90, 90, 90, 255]),
            "world shows through"
        );
    }

    #[test]
    fn a_place_no_layer_covers_is_none() {
        let l = loader(vec![mem(5, 6, vec![])]);
        assert!(get_loaded(&l, t(2, 0, 0)).is_none());
        assert!(get_loaded(&l, t(6, 0, 0)).is_none());
    }

    #[test]
    fn the_queue_is_bounded() {
        let l = TileLoader::spawn(
            vec![mem(0, 10, vec![])],
            LoaderConfig {
                cache_bytes: 1 << 20,
                queue_len: 4,
            },
            Arc::new(|| {}),
        );
        for x in 0..200 {
            let _ = l.get(t(10, x, 0));
        }
        assert!(l.stats().pending <= 5);
    }
}
