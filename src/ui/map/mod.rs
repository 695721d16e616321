//! The map: its view (memory, basemap, datum) and what is drawn on it. Each overlay is its own
//! walkers plugin ([`plugins`]); the controls return [`Command`]s.

pub mod caller;
pub mod plugins;

use egui::{Align2, Color32, Key, Modifiers, Stroke, Ui};
use walkers::{Map, MapMemory, lat_lon};

use super::command::Command;
use super::i18n::{PositionWord, Strings};
use super::theme::Palette;
use super::tiles::LoaderTiles;
use lamppost_core::estimate::Position;
use lamppost_core::geo::{LatLon, gcj02_to_wgs84, wgs84_to_gcj02};
use lamppost_core::words::Message;
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
        Self::raw(if self.gcj02 { wgs84_to_gcj02(p) } else { p })
    }

    /// A point already in the basemap's own datum (the basemap's declared centre). The only
    /// call of walkers' `lat_lon`: latitude first.
    #[must_use]
    pub fn raw(p: LatLon) -> walkers::Position {
        lat_lon(p.lat_deg, p.lon_deg)
    }

    /// And back, from a point on the map to WGS-84.
    #[must_use]
    pub fn from_map(self, p: walkers::Position) -> LatLon {
        let q = LatLon::new(p.y(), p.x());
        if self.gcj02 { gcj02_to_wgs84(q) } else { q }
    }
}

/// The map's view: where it looks, the basemap under it, and the overlays' own data.
pub struct MapView {
    memory: MapMemory,
    /// The offline basemap (world overview under the city), when its files are there.
    tiles: Option<LoaderTiles>,
    /// Why part of the basemap is missing, shown in the status bar.
    tile_warnings: Vec<Message>,
    /// The basemap's datum: markers are shifted when it is GCJ-02.
    datum: MapDatum,
    /// The map has a starting view (saved, the basemap's centre, or the dataset's).
    centred: bool,
    /// Where the map was drawn in the last frame.
    rect: Option<egui::Rect>,
    /// Where the map looks when not dragged away (the dataset's first street).
    home: walkers::Position,
    /// Poles the import under review moves (old, new), and the report generation they are for.
    moves: Vec<(LatLon, LatLon)>,
    moves_for: Option<u64>,
}

/// What the map draws this frame over the basemap.
pub struct Overlays<'a> {
    /// The index to draw from.
    pub index: &'a SearchIndex,
    /// The pole the card shows (the highlighted result, confirmed or not).
    pub selected: Option<PoleId>,
    /// Draw every pole as a dot.
    pub show_poles: bool,
    /// Colours.
    pub palette: Palette,
    /// The data's and the basemap's credits.
    pub credits: &'a str,
    /// The caller location, its circle and nearest poles, if one is entered.
    pub caller: Option<super::call_taker::caller_location::CallerOverlay>,
}

impl MapView {
    /// A map over `tiles`, looking at the `saved` view (latitude, longitude, zoom), else at the
    /// basemap's declared centre.
    #[must_use]
    pub fn new(
        tiles: Option<LoaderTiles>,
        tile_warnings: Vec<Message>,
        saved: Option<(f64, f64, f64)>,
    ) -> Self {
        let datum = MapDatum {
            gcj02: tiles.as_ref().is_some_and(|t| {
                t.loader()
                    .layers()
                    .last()
                    .is_some_and(|m| m.datum == lamppost_basemap::Datum::Gcj02)
            }),
        };
        let saved = saved.map(|(lat, lon, zoom)| (datum.to_map(LatLon::new(lat, lon)), zoom));
        let start = saved.or_else(|| {
            let c = tiles.as_ref()?.loader().start_center()?;
            Some((
                MapDatum::raw(LatLon::new(c.lat_deg, c.lon_deg)),
                f64::from(c.zoom),
            ))
        });
        let mut memory = MapMemory::default();
        if let Some((at, zoom)) = start {
            memory.center_at(at);
            let _ = memory.set_zoom(zoom);
        }
        Self {
            memory,
            tiles,
            tile_warnings,
            datum,
            centred: start.is_some(),
            rect: None,
            home: MapDatum::raw(LatLon::new(0.0, 0.0)),
            moves: Vec::new(),
            moves_for: None,
        }
    }

    /// The basemap, if it opened.
    #[must_use]
    pub fn tiles(&self) -> Option<&LoaderTiles> {
        self.tiles.as_ref()
    }

    /// Why part of the basemap is missing.
    #[must_use]
    pub fn tile_warnings(&self) -> &[Message] {
        &self.tile_warnings
    }

    /// Where the map was drawn in the last frame.
    #[must_use]
    pub fn rect(&self) -> Option<egui::Rect> {
        self.rect
    }

    /// The zoom level.
    #[must_use]
    pub fn zoom(&self) -> f64 {
        self.memory.zoom()
    }

    /// Centres the map on a point (WGS-84) at a zoom level: the one place that does it.
    pub fn centre_on(&mut self, at: LatLon, zoom: f64) {
        self.memory.center_at(self.datum.to_map(at));
        let _ = self.memory.set_zoom(zoom);
        self.centred = true;
    }

    /// The first data arrived: the home view is its first street, and the map looks there
    /// unless it already had a starting view.
    pub fn data_loaded(&mut self, index: &SearchIndex) {
        let anchor = index.streets().iter().find_map(|s| s.anchor);
        if let Some(at) = anchor {
            self.home = self.datum.to_map(at);
            if !self.centred {
                self.centre_on(at, 14.0);
            }
        }
    }

    /// Zooms in one step.
    pub fn zoom_in(&mut self) {
        let _ = self.memory.zoom_in();
    }

    /// Zooms out one step.
    pub fn zoom_out(&mut self) {
        let _ = self.memory.zoom_out();
    }

    /// Where the map looks: latitude and longitude (WGS-84) and zoom, for the settings.
    #[must_use]
    pub fn view(&self) -> (f64, f64, f64) {
        let c = self
            .datum
            .from_map(self.memory.detached().unwrap_or(self.home));
        (c.lat_deg, c.lon_deg, self.memory.zoom())
    }

    /// The report generation the drawn moves are for.
    #[must_use]
    pub fn moves_for(&self) -> Option<u64> {
        self.moves_for
    }

    /// The poles an import under review would move (where they are, where they would be), made
    /// for report generation `key`.
    pub fn set_moves(&mut self, key: Option<u64>, moves: Vec<(LatLon, LatLon)>) {
        self.moves_for = key;
        self.moves = moves;
    }

    /// How many moves are drawn.
    #[must_use]
    pub fn moves_drawn(&self) -> usize {
        self.moves.len()
    }

    /// Draws the map with its overlays, one plugin each; what the user asked for (a click, the
    /// zoom buttons and keys) goes into `out`.
    pub fn show(&mut self, ui: &mut Ui, t: &Strings, o: &Overlays<'_>, out: &mut Vec<Command>) {
        let datum = self.datum;
        let pal = o.palette;
        let mut map = Map::new(
            self.tiles.as_mut().map(|t| t as &mut dyn walkers::Tiles),
            &mut self.memory,
            self.home,
        );
        if o.show_poles {
            map = map.with_plugin(plugins::Poles {
                index: o.index,
                palette: pal,
                datum,
            });
        }
        map = map.with_plugin(plugins::Moves {
            moves: &self.moves,
            palette: pal,
            datum,
        });
        if let Some(overlay) = &o.caller {
            map = map.with_plugin(caller::CallerCircle {
                index: o.index,
                overlay,
                word: super::i18n::caller_strings(t.lang).on_map,
                palette: pal,
                datum,
            });
        }
        if let Some(selected) = o.selected {
            map = map.with_plugin(plugins::Neighbours {
                index: o.index,
                selected,
                palette: pal,
                datum,
            });
            if let Position::Estimated { at, radius_m, .. } = o.index.pole(selected).position() {
                map = map.with_plugin(plugins::EstimateCircle {
                    at,
                    radius_m,
                    word: t.position_word(PositionWord::Estimated),
                    palette: pal,
                    datum,
                });
            }
            map = map.with_plugin(plugins::Selection {
                index: o.index,
                selected,
                palette: pal,
                datum,
            });
        }
        let has_selection = o.selected.is_some();
        let credits = o.credits;
        let shown = map.show(ui, |ui, response, projector, _memory| {
            let rect = response.rect;
            let centre = projector.unproject(rect.center().to_vec2());
            scale_bar(
                ui,
                rect,
                f64::from(projector.scale_pixel_per_meter(centre)),
                t.metres,
                t.kilometres,
            );
            attribution(ui, rect, credits);
            if let Some(command) = controls(ui, rect, t, has_selection) {
                return Some(command);
            }
            if response.clicked()
                && let Some(pos) = response.interact_pointer_pos()
            {
                Some(Command::SelectNearest(
                    datum.from_map(projector.unproject(pos.to_vec2())),
                ))
            } else {
                None
            }
        });
        self.rect = Some(shown.response.rect);
        let zoom_keys = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::COMMAND, Key::Plus)
                    | i.consume_key(Modifiers::COMMAND, Key::Equals),
                i.consume_key(Modifiers::COMMAND, Key::Minus),
                i.consume_key(Modifiers::COMMAND, Key::L),
            )
        });
        let command = shown.inner.or(match zoom_keys {
            (true, _, _) => Some(Command::ZoomIn),
            (_, true, _) => Some(Command::ZoomOut),
            (_, _, true) => Some(Command::ZoomToSelection),
            _ => None,
        });
        out.extend(command);
    }
}

/// The zoom and zoom-to-selection buttons in the map's top-right corner.
fn controls(
    ui: &mut Ui,
    rect: egui::Rect,
    t: &super::i18n::Strings,
    has_selection: bool,
) -> Option<Command> {
    let size = egui::vec2(34.0, 30.0);
    let mut at = rect.right_top() + egui::vec2(-size.x - 8.0, 8.0);
    let mut action = None;
    for (text, hover, what, enabled) in [
        ("+", t.zoom_in, Command::ZoomIn, true),
        ("-", t.zoom_out, Command::ZoomOut, true),
        (
            "◎",
            t.zoom_to_selection,
            Command::ZoomToSelection,
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
