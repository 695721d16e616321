//! The bundled label font and glyph outlines as tiny-skia paths.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ab_glyph::{Font as _, FontRef, OutlineCurve};
use tiny_skia::{Path, PathBuilder};

/// Noto Sans CJK SC Regular, subset (see `assets/fonts/README.md`; SIL OFL 1.1).
pub static LABEL_FONT_BYTES: &[u8] =
    include_bytes!("../../../../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

/// A font with a cache of glyph outlines, in em units (1.0 = the font size), y down, the
/// baseline at y = 0.
pub struct LabelFont {
    font: FontRef<'static>,
    units_per_em: f32,
    glyphs: Mutex<HashMap<char, Option<Arc<Path>>>>,
}

impl std::fmt::Debug for LabelFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelFont").finish_non_exhaustive()
    }
}

impl LabelFont {
    /// The bundled font; the error is the parser's message.
    pub fn bundled() -> Result<Self, String> {
        let font = FontRef::try_from_slice(LABEL_FONT_BYTES).map_err(|e| e.to_string())?;
        let units_per_em = font.units_per_em().unwrap_or(1000.0);
        Ok(Self {
            font,
            units_per_em,
            glyphs: Mutex::new(HashMap::new()),
        })
    }

    /// Horizontal advance of a character in em.
    #[must_use]
    pub fn advance(&self, c: char) -> f32 {
        let id = self.font.glyph_id(c);
        self.font.h_advance_unscaled(id) / self.units_per_em
    }

    /// True when the font has a glyph for the character.
    #[must_use]
    pub fn has_glyph(&self, c: char) -> bool {
        c == ' ' || self.font.glyph_id(c).0 != 0
    }

    /// The outline of a character in em units (y down, baseline at 0, starting at x = 0);
    /// `None` for blanks and characters the font lacks.
    pub fn glyph(&self, c: char) -> Option<Arc<Path>> {
        let mut cache = self.glyphs.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entry(c)
            .or_insert_with(|| {
                let id = self.font.glyph_id(c);
                if id.0 == 0 {
                    return None;
                }
                let outline = self.font.outline(id)?;
                let s = 1.0 / self.units_per_em;
                let mut pb = PathBuilder::new();
                let mut last: Option<ab_glyph::Point> = None;
                for curve in &outline.curves {
                    let (start, end) = match *curve {
                        OutlineCurve::Line(a, b)
                        | OutlineCurve::Quad(a, _, b)
                        | OutlineCurve::Cubic(a, _, _, b) => (a, b),
                    };
                    if last != Some(start) {
                        if last.is_some() {
                            pb.close();
                        }
                        pb.move_to(start.x * s, -start.y * s);
                    }
                    match *curve {
                        OutlineCurve::Line(_, b) => pb.line_to(b.x * s, -b.y * s),
                        OutlineCurve::Quad(_, c1, b) => {
                            pb.quad_to(c1.x * s, -c1.y * s, b.x * s, -b.y * s);
                        }
                        OutlineCurve::Cubic(_, c1, c2, b) => {
                            pb.cubic_to(
                                c1.x * s,
                                -c1.y * s,
                                c2.x * s,
                                -c2.y * s,
                                b.x * s,
                                -b.y * s,
                            );
                        }
                    }
                    last = Some(end);
                }
                pb.close();
                pb.finish().map(Arc::new)
            })
            .clone()
    }
}
