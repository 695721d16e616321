//! The one place where tiles meet walkers and egui (feature `gui`): [`LoaderTiles`] implements
//! `walkers::Tiles` over the background [`TileLoader`].
//!
//! On the UI thread, `at` only looks up decoded tiles in memory and uploads a texture for a tile
//! it has not uploaded yet; reading and decoding happen on the loader's worker, which asks egui
//! for a repaint when a tile is ready. While a tile loads, the nearest loaded ancestor is drawn
//! (walkers takes the part to draw as `uv`), so zooming never shows holes.

use std::num::NonZeroUsize;
use std::sync::Arc;

use egui::{ColorImage, Context, TextureHandle, TextureOptions, pos2};
use lru::LruCache;
use walkers::sources::Attribution;
use walkers::{Tile, TilePiece};

use lamppost_basemap::loader::LoaderConfig;
use lamppost_basemap::{RgbaTile, TileId, TileLoader, TileSource};

/// Most textures kept on the GPU (a few screens' worth at every zoom).
const MAX_TEXTURES: usize = 512;

/// Offline raster tiles for a `walkers::Map`.
pub struct LoaderTiles {
    loader: TileLoader,
    ctx: Context,
    textures: LruCache<(usize, TileId), (Arc<RgbaTile>, TextureHandle)>,
    attribution: &'static str,
}

impl std::fmt::Debug for LoaderTiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoaderTiles")
            .field("loader", &self.loader)
            .finish_non_exhaustive()
    }
}

impl LoaderTiles {
    /// Starts a loader over `layers` (bottom first: the world overview, then the city) that
    /// repaints `ctx` whenever a tile is ready.
    #[must_use]
    pub fn new(ctx: &Context, layers: Vec<Box<dyn TileSource>>, config: LoaderConfig) -> Self {
        let repaint = ctx.clone();
        let loader = TileLoader::spawn(layers, config, Arc::new(move || repaint.request_repaint()));
        // walkers wants a `&'static str`; the text is made once per basemap opened.
        let attribution: &'static str = Box::leak(loader.attribution().into_boxed_str());
        Self {
            loader,
            ctx: ctx.clone(),
            textures: LruCache::new(NonZeroUsize::new(MAX_TEXTURES).unwrap_or(NonZeroUsize::MIN)),
            attribution,
        }
    }

    /// The loader: metadata, start centre, warnings to show.
    #[must_use]
    pub fn loader(&self) -> &TileLoader {
        &self.loader
    }

    fn texture(&mut self, layer: usize, id: TileId, image: &Arc<RgbaTile>) -> TextureHandle {
        if let Some((img, tex)) = self.textures.get(&(layer, id))
            && Arc::ptr_eq(img, image)
        {
            return tex.clone();
        }
        let color = ColorImage::from_rgba_unmultiplied(
            [image.width as usize, image.height as usize],
            &image.pixels,
        );
        let tex =
            self.ctx
                .load_texture(format!("tile-{layer}-{id}"), color, TextureOptions::LINEAR);
        self.textures
            .put((layer, id), (Arc::clone(image), tex.clone()));
        tex
    }
}

impl walkers::Tiles for LoaderTiles {
    fn at(&mut self, tile_id: walkers::TileId) -> Option<TilePiece> {
        let id = TileId::new(tile_id.zoom, tile_id.x, tile_id.y)?;
        let view = self.loader.get(id)?;
        let tex = self.texture(view.layer, view.source, &view.image);
        let uv = egui::Rect::from_min_max(
            pos2(view.uv.min_u, view.uv.min_v),
            pos2(view.uv.max_u, view.uv.max_v),
        );
        Some(TilePiece::new(Tile::Raster(tex), uv))
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: self.attribution,
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }

    fn tile_size(&self) -> u32 {
        self.loader.tile_size_px()
    }

    fn stats(&self) -> walkers::Stats {
        walkers::Stats {
            in_progress: self.loader.stats().pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use walkers::Tiles as _;

    use super::*;
    use lamppost_basemap::MbTiles;

    #[test]
    fn the_world_overview_serves_walkers_with_parent_tiles_beyond_its_zoom() {
        let ctx = Context::default();
        let world =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/basemap/world.mbtiles");
        let layers: Vec<Box<dyn TileSource>> = vec![Box::new(MbTiles::open(&world).unwrap())];
        let mut tiles = LoaderTiles::new(&ctx, layers, LoaderConfig::default());
        assert_eq!(tiles.tile_size(), 256);
        assert!(tiles.attribution().text.contains("OpenStreetMap"));
        let id = walkers::TileId {
            x: 13 * 4 + 1,
            y: 6 * 4 + 2,
            zoom: 6,
        };
        let _ = tiles.at(id);
        assert!(tiles.loader().wait_idle(Duration::from_secs(10)));
        let piece = tiles.at(id).unwrap();
        // Zoom 6 is beyond the overview's zoom 4: a quarter of a quarter of tile 4/13/6.
        assert!((piece.uv.width() - 0.25).abs() < 1e-6);
        assert!((piece.uv.min.x - 0.25).abs() < 1e-6 && (piece.uv.min.y - 0.5).abs() < 1e-6);
    }
}
