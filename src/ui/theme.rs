//! Sizes and colours of the window, in one place.

use egui::{Color32, FontId, Visuals};

/// Font size of the code box.
pub const CODE_BOX_SIZE: f32 = 30.0;
/// Font size of the read-back sentence.
pub const READBACK_SIZE: f32 = 24.0;
/// Font size of the detail card.
pub const CARD_SIZE: f32 = 16.0;
/// Font size of result rows.
pub const RESULT_SIZE: f32 = 16.0;
/// Width of the left panel (search, results, card).
pub const SIDE_PANEL_WIDTH: f32 = 470.0;
/// Narrowest the call-taker can drag the left panel.
pub const SIDE_PANEL_MIN: f32 = 340.0;
/// Widest the call-taker can drag the left panel.
pub const SIDE_PANEL_MAX: f32 = 900.0;
/// Width of the right panel (today's calls).
pub const CALLS_PANEL_WIDTH: f32 = 300.0;
/// Width of the right panel in a narrow window.
pub const CALLS_PANEL_NARROW: f32 = 240.0;
/// Windows narrower than this (points) are narrow.
pub const NARROW_WINDOW: f32 = 1100.0;
/// The map keeps at least this width (points) beside the panels.
pub const MAP_MIN_WIDTH: f32 = 320.0;
/// Radius of a pole dot on the map, in points.
pub const POLE_DOT: f32 = 2.5;
/// Radius of a neighbouring pole of the selected street.
pub const NEIGHBOUR_DOT: f32 = 4.0;
/// Radius of the selected pole's marker.
pub const MARKER: f32 = 11.0;
/// Most pole dots drawn in one frame; beyond, the dots are thinned evenly.
pub const MAX_DOTS: usize = 6000;
/// Zoom the map flies to on a selection.
pub const STREET_ZOOM: f64 = 17.0;
/// Distance between the top candidates above which the call-taker is warned, metres.
pub const FAR_APART_M: f64 = 300.0;

/// Colours of one theme.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// Surveyed pole dots.
    pub surveyed: Color32,
    /// Estimated pole dots.
    pub estimated: Color32,
    /// The selected pole.
    pub marker: Color32,
    /// Outline around markers.
    pub marker_outline: Color32,
    /// Warnings (far-apart candidates, errors).
    pub warning: Color32,
    /// The read-back sentence.
    pub readback: Color32,
    /// Highlighted result row.
    pub highlight: Color32,
    /// Confirmations (a call saved).
    pub ok: Color32,
}

/// The palette for light or dark mode. The map's colours (pole dots, the estimate circle, the
/// marker) are the same in both: the basemap's tiles are light in both themes, and pale
/// colours made for a dark window vanish on them.
#[must_use]
pub fn palette(dark: bool) -> Palette {
    if dark {
        Palette {
            surveyed: Color32::from_rgb(20, 90, 200),
            estimated: Color32::from_rgb(210, 120, 0),
            marker: Color32::from_rgb(220, 20, 30),
            marker_outline: Color32::WHITE,
            warning: Color32::from_rgb(255, 120, 90),
            readback: Color32::from_rgb(255, 255, 255),
            highlight: Color32::from_rgb(40, 80, 140),
            ok: Color32::from_rgb(110, 210, 120),
        }
    } else {
        Palette {
            surveyed: Color32::from_rgb(20, 90, 200),
            estimated: Color32::from_rgb(210, 120, 0),
            marker: Color32::from_rgb(220, 20, 30),
            marker_outline: Color32::WHITE,
            warning: Color32::from_rgb(190, 30, 20),
            readback: Color32::from_rgb(10, 10, 10),
            highlight: Color32::from_rgb(200, 225, 255),
            ok: Color32::from_rgb(20, 120, 40),
        }
    }
}

/// The egui visuals for light or dark mode.
#[must_use]
pub fn visuals(dark: bool) -> Visuals {
    if dark {
        Visuals::dark()
    } else {
        Visuals::light()
    }
}

/// A proportional font of `size` points.
#[must_use]
pub fn font(size: f32) -> FontId {
    FontId::proportional(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG relative luminance of an sRGB colour.
    fn luminance(c: Color32) -> f64 {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
    }

    fn contrast(a: Color32, b: Color32) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn the_map_colours_stand_out_on_the_light_basemap_in_both_themes() {
        // The basemap's land and its pale roads.
        for ground in [
            Color32::from_rgb(242, 239, 233),
            Color32::from_rgb(252, 214, 164),
        ] {
            for dark in [false, true] {
                let p = palette(dark);
                for (what, c) in [
                    ("surveyed", p.surveyed),
                    ("estimated", p.estimated),
                    ("marker", p.marker),
                ] {
                    let k = contrast(c, ground);
                    assert!(
                        k >= 2.0,
                        "{what} (dark {dark}) on {ground:?}: contrast {k:.2}"
                    );
                }
            }
        }
    }
}
