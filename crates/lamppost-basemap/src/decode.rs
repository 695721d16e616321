//! Decoding tile images (PNG, JPEG, WebP) to RGBA, and the placeholder shown for a broken tile.

use std::sync::Arc;

/// A decoded tile: 8-bit RGBA pixels, rows from the top, no padding.
#[derive(Clone, PartialEq, Eq)]
pub struct RgbaTile {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height × 4` bytes.
    pub pixels: Arc<[u8]>,
    /// True for the placeholder drawn in place of a tile that could not be decoded.
    pub is_placeholder: bool,
}

impl std::fmt::Debug for RgbaTile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RgbaTile")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("is_placeholder", &self.is_placeholder)
            .finish_non_exhaustive()
    }
}

impl RgbaTile {
    /// Bytes of memory the pixels take (what the cache counts).
    #[must_use]
    pub fn byte_size(&self) -> usize {
        self.pixels.len()
    }

    /// The RGBA value at a pixel, `None` outside the image.
    #[must_use]
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = ((y * self.width + x) * 4) as usize;
        let p = self.pixels.get(i..i + 4)?;
        Some([p[0], p[1], p[2], p[3]])
    }

    /// A light grey, diagonally hatched square: "this tile is damaged", never mistaken for land.
    #[must_use]
    pub fn placeholder(size_px: u32) -> Self {
        let size = size_px.max(1);
        let mut pixels = Vec::with_capacity((size * size * 4) as usize);
        for y in 0..size {
            for x in 0..size {
                let hatch = (x + y) % 16 < 2;
                let v = if hatch { 200 } else { 228 };
                pixels.extend_from_slice(&[v, v, v, 255]);
            }
        }
        Self {
            width: size,
            height: size,
            pixels: pixels.into(),
            is_placeholder: true,
        }
    }

    /// Wraps RGBA bytes; `None` when the length does not match the size.
    #[must_use]
    pub fn from_rgba(width: u32, height: u32, pixels: Vec<u8>) -> Option<Self> {
        (pixels.len() == (width as usize) * (height as usize) * 4).then(|| Self {
            width,
            height,
            pixels: pixels.into(),
            is_placeholder: false,
        })
    }
}

/// Decodes a PNG, JPEG or WebP tile to RGBA. The error is the decoder's message.
pub fn decode_tile(bytes: &[u8]) -> Result<RgbaTile, String> {
    let format = match super::TileFormat::sniff(bytes) {
        Some(super::TileFormat::Png) => image::ImageFormat::Png,
        Some(super::TileFormat::Jpeg) => image::ImageFormat::Jpeg,
        Some(super::TileFormat::Webp) => image::ImageFormat::WebP,
        _ => return Err("not a PNG, JPEG or WebP image".to_owned()),
    };
    let img = image::load_from_memory_with_format(bytes, format).map_err(|e| e.to_string())?;
    let rgba = img.into_rgba8();
    let (width, height) = rgba.dimensions();
    Ok(RgbaTile {
        width,
        height,
        pixels: rgba.into_raw().into(),
        is_placeholder: false,
    })
}

/// Encodes RGBA pixels as PNG (true colour with alpha), for tests and the XYZ packer.
pub fn encode_png_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(|e| e.to_string())?;
    w.write_image_data(rgba).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_round_trips_through_the_decoder() {
        let mut px = vec![0u8; 4 * 4 * 4];
        px[0..4].copy_from_slice(&[10, 20, 30, 255]);
        let bytes = encode_png_rgba(4, 4, &px).unwrap();
        let t = decode_tile(&bytes).unwrap();
        assert_eq!((t.width, t.height), (4, 4));
        assert_eq!(t.pixel(0, 0), Some([10, 20, 30, 255]));
        assert_eq!(t.pixel(4, 0), None);
    }

    #[test]
    fn garbage_bytes_are_an_error_not_a_panic() {
        assert!(decode_tile(b"hello").is_err());
        assert!(decode_tile(b"\x89PNG\r\n\x1a\nbroken").is_err());
    }

    #[test]
    fn the_placeholder_is_opaque_and_hatched() {
        let p = RgbaTile::placeholder(32);
        assert!(p.is_placeholder);
        assert_eq!(p.pixel(0, 0), Some([200, 200, 200, 255]));
        assert_eq!(p.pixel(5, 0), Some([228, 228, 228, 255]));
    }
}
