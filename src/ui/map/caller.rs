//! The caller's location on the map (a walkers plugin, in the style of [`super::plugins`]): the
//! accuracy circle, a cross at its centre labelled 报警人 / caller, and a ring around each of the
//! poles nearest to it. The circle turns to the warning colour when the card's pole lies
//! outside it.

use egui::{Align2, Color32, Response, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector};

use super::MapDatum;
use crate::ui::call_taker::caller_location::CallerOverlay;
use crate::ui::theme::{self, Palette};
use lamppost_search::SearchIndex;

/// The caller's colour: a violet that reads on the light and the dark basemap and is none of
/// the pole colours.
pub const CALLER_INK: Color32 = Color32::from_rgb(150, 70, 230);

/// Pixels of the circle drawn for a location given without a radius.
const NO_RADIUS_PX: f32 = 14.0;

/// The caller location, its circle and the poles nearest to it.
pub struct CallerCircle<'a> {
    /// The index the nearest poles are in.
    pub index: &'a SearchIndex,
    /// What to draw.
    pub overlay: &'a CallerOverlay,
    /// The word under the cross (报警人 / caller).
    pub word: &'static str,
    /// Colours.
    pub palette: Palette,
    /// The basemap's datum.
    pub datum: MapDatum,
}

impl Plugin for CallerCircle<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        let fix = self.overlay.fix;
        let ink = if self.overlay.outside {
            self.palette.warning
        } else {
            CALLER_INK
        };
        let centre = projector.project(self.datum.to_map(fix.at)).to_pos2();
        let r_px = fix.radius_m.map_or(NO_RADIUS_PX, |r| {
            (r as f32 * projector.scale_pixel_per_meter(self.datum.to_map(fix.at))).max(4.0)
        });
        painter.circle(
            centre,
            r_px,
            ink.gamma_multiply(0.12),
            Stroke::new(2.5, ink),
        );
        let arm = 9.0;
        for (a, b) in [
            (egui::vec2(-arm, 0.0), egui::vec2(arm, 0.0)),
            (egui::vec2(0.0, -arm), egui::vec2(0.0, arm)),
        ] {
            painter.line_segment([centre + a, centre + b], Stroke::new(3.0, ink));
        }
        painter.text(
            centre + egui::vec2(0.0, arm + 2.0),
            Align2::CENTER_TOP,
            self.word,
            theme::font(14.0),
            ink,
        );
        for &id in &self.overlay.nearest {
            let Some(at) = self.index.pole(id).point() else {
                continue;
            };
            let s = projector.project(self.datum.to_map(at)).to_pos2();
            painter.circle_stroke(s, theme::NEIGHBOUR_DOT + 4.0, Stroke::new(2.0, CALLER_INK));
        }
    }
}
