//! What Lamppost draws on the map: pole dots culled to the view, the selected pole's marker
//! (with a dashed circle and 估算 when the position is an estimate), and its street neighbours.

use egui::{Align2, Color32, Pos2, Response, Shape, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

use super::theme::{self, Palette};
use lamppost_core::estimate::Position;
use lamppost_core::geo::{LatLon, gcj02_to_wgs84, wgs84_to_gcj02};
use lamppost_search::{PoleId, SearchIndex};

/// The datum of the basemap. Our positions are WGS-84; a Chinese basemap may be drawn in
/// GCJ-02, and then markers are shifted for drawing only (and clicks shifted back).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapDatum {
    /// The basemap is GCJ-02.
    pub gcj02: bool,
}

impl MapDatum {
    /// The one place where our positions become walkers positions (latitude first).
    #[must_use]
    pub fn to_map(self, p: LatLon) -> walkers::Position {
        let p = if self.gcj02 { wgs84_to_gcj02(p) } else { p };
        lat_lon(p.lat_deg, p.lon_deg)
    }

    /// And back, from a point on the map to WGS-84.
    #[must_use]
    pub fn from_map(self, p: walkers::Position) -> LatLon {
        let q = LatLon::new(p.y(), p.x());
        if self.gcj02 { gcj02_to_wgs84(q) } else { q }
    }
}

/// The pole layer for one frame.
pub struct PoleLayer<'a> {
    /// The index to draw from.
    pub index: &'a SearchIndex,
    /// The confirmed pole.
    pub selected: Option<PoleId>,
    /// Draw every pole as a dot.
    pub show_poles: bool,
    /// Colours.
    pub palette: Palette,
    /// The word for an estimate (估算 / estimated).
    pub estimated_word: &'static str,
    /// The basemap's datum.
    pub datum: MapDatum,
    /// Poles an import under review would move: where they are, where they would be.
    pub moves: &'a [(LatLon, LatLon)],
}

impl PoleLayer<'_> {
    fn screen(&self, projector: &Projector, p: LatLon) -> Pos2 {
        projector.project(self.datum.to_map(p)).to_pos2()
    }
}

impl Plugin for PoleLayer<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        _response: &Response,
        projector: &Projector,
        _memory: &MapMemory,
    ) {
        let painter = ui.painter();
        let rect = projector.clip_rect();
        let pal = self.palette;

        if self.show_poles {
            let sw = self
                .datum
                .from_map(projector.unproject(rect.left_bottom().to_vec2()));
            let ne = self
                .datum
                .from_map(projector.unproject(rect.right_top().to_vec2()));
            // Thin evenly when zoomed out over a large dataset, and without visiting every
            // pole in view: go deeper into the k-d tree only while the view holds few dots.
            let mut ids: Vec<PoleId> = Vec::new();
            let mut depth = 12;
            loop {
                ids.clear();
                self.index.within_sample(sw, ne, depth, |id| ids.push(id));
                if ids.len() >= theme::MAX_DOTS / 4 || (1usize << depth) > self.index.len() {
                    break;
                }
                depth += 2;
            }
            for id in &ids {
                let p = self.index.pole(*id);
                let Some(at) = p.point() else { continue };
                let colour = match p.position() {
                    Position::Surveyed(_) => pal.surveyed,
                    _ => pal.estimated,
                };
                painter.circle_filled(self.screen(projector, at), theme::POLE_DOT, colour);
            }
        }

        // An import under review: old position (hollow), the move, new position (filled).
        for &(old, new) in self.moves {
            let (a, b) = (self.screen(projector, old), self.screen(projector, new));
            if !rect.expand(20.0).contains(a) && !rect.expand(20.0).contains(b) {
                continue;
            }
            painter.circle_stroke(a, theme::NEIGHBOUR_DOT + 1.0, Stroke::new(2.0, pal.warning));
            painter.arrow(a, b - a, Stroke::new(2.0, pal.warning));
            painter.circle_filled(b, theme::NEIGHBOUR_DOT + 1.0, pal.warning);
        }

        let Some(sel) = self.selected else { return };
        let pole = self.index.pole(sel);

        // Neighbours on the same street, with their numbers.
        let ids = self.index.street_pole_ids(pole.street_id());
        if let Some(n) = pole.pole_no() {
            for &id in ids {
                let q = self.index.pole(id);
                let (Some(m), Some(at)) = (q.pole_no(), q.point()) else {
                    continue;
                };
                if id == sel || m.abs_diff(n) > 8 {
                    continue;
                }
                let s = self.screen(projector, at);
                painter.circle(
                    s,
                    theme::NEIGHBOUR_DOT,
                    pal.surveyed,
                    Stroke::new(1.0, pal.marker_outline),
                );
                painter.text(
                    s + egui::vec2(0.0, -theme::NEIGHBOUR_DOT - 1.0),
                    Align2::CENTER_BOTTOM,
                    m.to_string(),
                    theme::font(11.0),
                    Color32::BLACK,
                );
            }
        }

        let Some(at) = pole.point() else { return };
        let s = self.screen(projector, at);
        if let Position::Estimated { radius_m, .. } = pole.position() {
            let r_px = (radius_m as f32 * projector.scale_pixel_per_meter(self.datum.to_map(at)))
                .max(theme::MARKER * 1.5);
            let pts: Vec<Pos2> = (0..=72)
                .map(|i| {
                    let a = i as f32 / 72.0 * std::f32::consts::TAU;
                    s + egui::vec2(a.cos(), a.sin()) * r_px
                })
                .collect();
            painter.extend(Shape::dashed_line(
                &pts,
                Stroke::new(2.5, pal.estimated),
                8.0,
                6.0,
            ));
            painter.text(
                s + egui::vec2(0.0, -r_px - 4.0),
                Align2::CENTER_BOTTOM,
                self.estimated_word,
                theme::font(18.0),
                pal.estimated,
            );
        }
        painter.circle(
            s,
            theme::MARKER,
            pal.marker,
            Stroke::new(3.0, pal.marker_outline),
        );
        if let Some(n) = pole.pole_no() {
            painter.text(
                s,
                Align2::CENTER_CENTER,
                n.to_string(),
                theme::font(12.0),
                Color32::WHITE,
            );
        }
        painter.text(
            s + egui::vec2(theme::MARKER + 4.0, 0.0),
            Align2::LEFT_CENTER,
            pole.code(),
            theme::font(18.0),
            pal.marker,
        );
    }
}

/// What the call-taker did on the map this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapAction {
    /// Clicked a point (WGS-84): select the nearest pole.
    Click(LatLon),
    /// Zoom in one step.
    ZoomIn,
    /// Zoom out one step.
    ZoomOut,
    /// Fly back to the selected pole.
    ZoomToSelection,
}

/// The zoom and zoom-to-selection buttons in the map's top-right corner.
pub fn controls(
    ui: &mut Ui,
    rect: egui::Rect,
    t: &super::i18n::Strings,
    has_selection: bool,
) -> Option<MapAction> {
    let size = egui::vec2(34.0, 30.0);
    let mut at = rect.right_top() + egui::vec2(-size.x - 8.0, 8.0);
    let mut action = None;
    for (text, hover, what, enabled) in [
        ("+", t.zoom_in, MapAction::ZoomIn, true),
        ("-", t.zoom_out, MapAction::ZoomOut, true),
        (
            "◎",
            t.zoom_to_selection,
            MapAction::ZoomToSelection,
            has_selection,
        ),
    ] {
        let button = egui::Button::new(egui::RichText::new(text).size(18.0).strong());
        let r = ui
            .put(egui::Rect::from_min_size(at, size), |ui: &mut Ui| {
                ui.add_enabled(enabled, button)
            })
            .on_hover_text(hover);
        if r.clicked() {
            action = Some(what);
        }
        at.y += size.y + 4.0;
    }
    action
}

/// A length that reads well on a scale bar, at most `max_m`: 1, 2 or 5 times a power of ten.
#[must_use]
pub fn nice_length_m(max_m: f64) -> f64 {
    if !(max_m.is_finite() && max_m > 0.0) {
        return 0.0;
    }
    let p = 10f64.powf(max_m.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * p)
        .find(|&l| l <= max_m)
        .unwrap_or(p)
}

/// The scale bar in the map's bottom-left corner.
pub fn scale_bar(ui: &Ui, rect: egui::Rect, px_per_m: f64, metres: &str, kilometres: &str) {
    if !(px_per_m.is_finite() && px_per_m > 0.0) {
        return;
    }
    let len_m = nice_length_m(120.0 / px_per_m);
    let len_px = (len_m * px_per_m) as f32;
    let painter = ui.painter_at(rect);
    let left = rect.left_bottom() + egui::vec2(12.0, -14.0);
    let right = left + egui::vec2(len_px, 0.0);
    let label = if len_m >= 1000.0 {
        format!("{} {kilometres}", len_m / 1000.0)
    } else {
        format!("{len_m} {metres}")
    };
    let back =
        egui::Rect::from_min_max(left + egui::vec2(-6.0, -24.0), right + egui::vec2(6.0, 6.0));
    painter.rect_filled(back, 3.0, Color32::from_white_alpha(200));
    let ink = Stroke::new(2.0, Color32::from_gray(30));
    painter.line_segment([left, right], ink);
    for x in [left, right] {
        painter.line_segment([x, x + egui::vec2(0.0, -6.0)], ink);
    }
    painter.text(
        left + egui::vec2(len_px / 2.0, -8.0),
        Align2::CENTER_BOTTOM,
        label,
        egui::FontId::proportional(12.0),
        Color32::from_gray(20),
    );
}

/// The data and basemap credits in the map's bottom-right corner, as map licences ask.
pub fn attribution(ui: &Ui, rect: egui::Rect, credits: &str) {
    if credits.is_empty() {
        return;
    }
    let painter = ui.painter_at(rect);
    let galley = painter.layout_no_wrap(
        credits.to_owned(),
        egui::FontId::proportional(11.0),
        Color32::from_gray(30),
    );
    let pos = rect.right_bottom() - galley.size() - egui::vec2(4.0, 2.0);
    painter.rect_filled(
        egui::Rect::from_min_size(pos, galley.size()).expand(2.0),
        2.0,
        Color32::from_white_alpha(200),
    );
    painter.galley(pos, galley, Color32::from_gray(30));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_a_gcj02_basemap_markers_move_and_clicks_come_back() {
        let p = LatLon::new(39.915, 116.404);
        let plain = MapDatum::default();
        assert_eq!(plain.from_map(plain.to_map(p)), p);
        let mars = MapDatum { gcj02: true };
        let shown = mars.to_map(p);
        // About 570 m east and 160 m north in Beijing (the published pair).
        assert!(
            (shown.y() - 39.916_404_281_501_64).abs() < 1e-6,
            "{shown:?}"
        );
        assert!(
            (shown.x() - 116.410_244_499_169_38).abs() < 1e-6,
            "{shown:?}"
        );
        let back = mars.from_map(shown);
        assert!(back.distance_m(p) < 0.01, "{back:?}");
    }

    #[test]
    fn scale_bar_lengths_are_one_two_or_five_times_a_power_of_ten() {
        for (max, nice) in [
            (120.0, 100.0),
            (260.0, 200.0),
            (4999.0, 2000.0),
            (5000.0, 5000.0),
            (0.7, 0.5),
            (f64::NAN, 0.0),
            (0.0, 0.0),
        ] {
            assert!((nice_length_m(max) - nice).abs() < 1e-9, "{max} → {nice}");
        }
    }
}
