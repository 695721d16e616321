//! One overlay, one plugin (as walkers' `demo/src/plugins.rs`): pole dots culled to the view,
//! the supervisor's import moves, the selected pole's street neighbours, the estimate circle
//! and the selection marker. Each is built for one frame from what it draws and nothing else.

use egui::{Align2, Color32, Pos2, Response, Shape, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector};

use super::MapDatum;
use crate::ui::theme::{self, Palette};
use lamppost_core::estimate::Position;
use lamppost_core::geo::LatLon;
use lamppost_search::{PoleId, SearchIndex};

/// Where a WGS-84 point is on the screen.
fn screen(datum: MapDatum, projector: &Projector, p: LatLon) -> Pos2 {
    projector.project(datum.to_map(p)).to_pos2()
}

/// Every pole in view as a dot, thinned evenly when zoomed out.
pub struct Poles<'a> {
    /// The index to draw from.
    pub index: &'a SearchIndex,
    /// Colours.
    pub palette: Palette,
    /// The basemap's datum.
    pub datum: MapDatum,
}

impl Plugin for Poles<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        let rect = projector.clip_rect();
        let sw = self
            .datum
            .from_map(projector.unproject(rect.left_bottom().to_vec2()));
        let ne = self
            .datum
            .from_map(projector.unproject(rect.right_top().to_vec2()));
        // Thin evenly when zoomed out over a large dataset, and without visiting every pole in
        // view: go deeper into the k-d tree only while the view holds few dots.
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
                Position::Surveyed(_) => self.palette.surveyed,
                _ => self.palette.estimated,
            };
            painter.circle_filled(screen(self.datum, projector, at), theme::POLE_DOT, colour);
        }
    }
}

/// The poles an import under review would move: old position (hollow), the move, new position
/// (filled).
pub struct Moves<'a> {
    /// Where each pole is, where it would be.
    pub moves: &'a [(LatLon, LatLon)],
    /// Colours.
    pub palette: Palette,
    /// The basemap's datum.
    pub datum: MapDatum,
}

impl Plugin for Moves<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        let rect = projector.clip_rect().expand(20.0);
        let ink = self.palette.warning;
        for &(old, new) in self.moves {
            let (a, b) = (
                screen(self.datum, projector, old),
                screen(self.datum, projector, new),
            );
            if !rect.contains(a) && !rect.contains(b) {
                continue;
            }
            painter.circle_stroke(a, theme::NEIGHBOUR_DOT + 1.0, Stroke::new(2.0, ink));
            painter.arrow(a, b - a, Stroke::new(2.0, ink));
            painter.circle_filled(b, theme::NEIGHBOUR_DOT + 1.0, ink);
        }
    }
}

/// The selected pole's neighbours on the same street, with their numbers.
pub struct Neighbours<'a> {
    /// The index to draw from.
    pub index: &'a SearchIndex,
    /// The selected pole.
    pub selected: PoleId,
    /// Colours.
    pub palette: Palette,
    /// The basemap's datum.
    pub datum: MapDatum,
}

impl Plugin for Neighbours<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        let pole = self.index.pole(self.selected);
        let Some(n) = pole.pole_no() else { return };
        for &id in self.index.street_pole_ids(pole.street_id()) {
            let q = self.index.pole(id);
            let (Some(m), Some(at)) = (q.pole_no(), q.point()) else {
                continue;
            };
            if id == self.selected || m.abs_diff(n) > 8 {
                continue;
            }
            let s = screen(self.datum, projector, at);
            painter.circle(
                s,
                theme::NEIGHBOUR_DOT,
                self.palette.surveyed,
                Stroke::new(1.0, self.palette.marker_outline),
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
}

/// A dashed circle, labelled 估算, around a pole whose position is an estimate.
pub struct EstimateCircle {
    /// The estimated position.
    pub at: LatLon,
    /// How far off it may be.
    pub radius_m: f64,
    /// The word for an estimate (估算 / estimated).
    pub word: &'static str,
    /// Colours.
    pub palette: Palette,
    /// The basemap's datum.
    pub datum: MapDatum,
}

impl Plugin for EstimateCircle {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        let s = screen(self.datum, projector, self.at);
        let r_px = (self.radius_m as f32
            * projector.scale_pixel_per_meter(self.datum.to_map(self.at)))
        .max(theme::MARKER * 1.5);
        let pts: Vec<Pos2> = (0..=72)
            .map(|i| {
                let a = i as f32 / 72.0 * std::f32::consts::TAU;
                s + egui::vec2(a.cos(), a.sin()) * r_px
            })
            .collect();
        painter.extend(Shape::dashed_line(
            &pts,
            Stroke::new(2.5, self.palette.estimated),
            8.0,
            6.0,
        ));
        // The word stays in view when the circle is larger than the map: at the circle's top,
        // or at the map's top edge, on a plate.
        let clip = projector.clip_rect().shrink(6.0);
        let top = s + egui::vec2(0.0, -r_px - 4.0);
        let at = Pos2::new(
            top.x.clamp(clip.left() + 30.0, clip.right() - 30.0),
            top.y.max(clip.top() + 24.0),
        );
        plated_text(
            ui,
            at,
            Align2::CENTER_BOTTOM,
            self.word,
            18.0,
            self.palette.estimated,
        );
    }
}

/// The selected pole's marker: its number inside, its code beside.
pub struct Selection<'a> {
    /// The index to draw from.
    pub index: &'a SearchIndex,
    /// The selected pole.
    pub selected: PoleId,
    /// Colours.
    pub palette: Palette,
    /// The basemap's datum.
    pub datum: MapDatum,
}

impl Plugin for Selection<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let painter = ui.painter();
        let pal = self.palette;
        let pole = self.index.pole(self.selected);
        let Some(at) = pole.point() else { return };
        let s = screen(self.datum, projector, at);
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
    }
}

/// Text on an opaque plate, so that nothing drawn before (dots, pole numbers, the basemap's
/// labels) shows through it; returns the plate.
fn plated_text(
    ui: &Ui,
    at: Pos2,
    anchor: Align2,
    text: &str,
    size: f32,
    ink: Color32,
) -> egui::Rect {
    let painter = ui.painter();
    let galley = painter.layout_no_wrap(text.to_owned(), theme::font(size), ink);
    let rect = anchor.anchor_size(at, galley.size());
    let plate = rect.expand2(egui::vec2(4.0, 1.0));
    // Light in both themes, as the basemap under it.
    let fill = Color32::from_white_alpha(235);
    painter.rect(
        plate,
        3.0,
        fill,
        Stroke::new(1.5, ink),
        egui::StrokeKind::Inside,
    );
    painter.galley(rect.min, galley, ink);
    plate
}

/// The selected pole's code beside its marker, on a plate. Drawn by the map after every
/// plugin, so that it is above every other label and pole number.
pub fn selection_label(
    ui: &Ui,
    projector: &Projector,
    index: &SearchIndex,
    selected: PoleId,
    palette: Palette,
    datum: MapDatum,
) {
    let pole = index.pole(selected);
    let Some(at) = pole.point() else { return };
    let s = screen(datum, projector, at);
    plated_text(
        ui,
        s + egui::vec2(theme::MARKER + 6.0, 0.0),
        Align2::LEFT_CENTER,
        pole.code(),
        18.0,
        palette.marker,
    );
}
