//! The caller location box (报警人位置): a position pasted from the 110 system or read out by the
//! caller (decimal or DMS, read by [`lamppost_core::coords`]), its datum (WGS-84, GCJ-02,
//! BD-09) and an optional accuracy radius. The map draws the circle and the poles nearest to it
//! ([`crate::ui::map::caller`]); the box warns when the card's pole (typed or confirmed) lies
//! outside the circle; the call log records the location and the pole's distance from it.
//!
//! Also here, because it is the other thing the screen learns from the call log: the error
//! model learnt from this workstation's calls ([`LearntModel`]), read on a worker thread at
//! start and handed to every index the window uses.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use egui::{RichText, Ui};

use crate::ui::command::Command;
use crate::ui::i18n::{CallerStrings, Strings, caller_strings};
use crate::ui::theme::{self, Palette};
use lamppost_core::coords::parse_near;
use lamppost_core::datum::Datum;
use lamppost_core::geo::LatLon;
use lamppost_core::words::{Message, Words};
use lamppost_data::calllog;
use lamppost_search::{ErrorModel, PoleId, SearchIndex};

/// Poles listed (and ringed on the map) nearest the caller.
pub const NEAREST_SHOWN: usize = 3;

/// The datums a caller location can be given in, as the choice lists them.
const DATUMS: [Datum; 3] = [Datum::Wgs84, Datum::Gcj02, Datum::Bd09];

/// A caller location read from the box: WGS-84, with its radius.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// The point, converted to WGS-84.
    pub at: LatLon,
    /// The accuracy radius in metres, when given.
    pub radius_m: Option<f64>,
    /// The datum it was given in.
    pub crs: Datum,
}

impl Fix {
    /// How far `pole` is from the caller, and whether it is inside the radius (`None` without
    /// a radius).
    #[must_use]
    pub fn check(&self, pole: LatLon) -> (f64, Option<bool>) {
        let d = pole.distance_m(self.at);
        (d, self.radius_m.map(|r| d <= r))
    }
}

/// What the map draws for the caller: the circle, and the poles nearest to it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerOverlay {
    /// The caller location.
    pub fix: Fix,
    /// The poles nearest to it, nearest first.
    pub nearest: Vec<PoleId>,
    /// The card's pole lies outside the circle (the circle is drawn in the warning colour).
    pub outside: bool,
}

/// The box's state.
#[derive(Debug, Default)]
pub struct CallerLocation {
    /// The pasted position (`LAT,LON`, optionally `,RADIUS_M`).
    text: String,
    /// The radius box (wins over a radius in the position text).
    radius: String,
    /// Index into [`DATUMS`].
    datum: usize,
    /// What the box says, read once per change: the fix, or why it is not one.
    read: Option<Result<Fix, Message>>,
    read_for: Option<(String, String, usize)>,
    /// The poles nearest to the fix, for the index generation they were found in.
    nearest: Vec<PoleId>,
    nearest_for: Option<(usize, LatLon)>,
    /// The card's pole is outside the circle (as last drawn).
    outside: bool,
    /// The box's contents when a call was last logged with them.
    logged: Option<(String, String, usize)>,
}

impl CallerLocation {
    /// The caller location, when the box holds one.
    #[must_use]
    pub fn fix(&self) -> Option<Fix> {
        self.read.as_ref().and_then(|r| r.as_ref().ok()).copied()
    }

    /// Reads the box again when it changed.
    fn reread(&mut self) {
        let key = (self.text.clone(), self.radius.clone(), self.datum);
        if self.read_for.as_ref() == Some(&key) {
            return;
        }
        self.read_for = Some(key);
        self.read = if self.text.trim().is_empty() {
            None
        } else {
            let crs = DATUMS[self.datum.min(DATUMS.len() - 1)];
            Some(
                parse_near(&self.text)
                    .map_err(|e| e.message())
                    .and_then(|(given, r)| {
                        let radius = self.radius.trim();
                        let radius_m = if radius.is_empty() {
                            r
                        } else {
                            let bad = || {
                                Message::new("半径应为米数", "the radius is a number of metres")
                                    .about(radius)
                            };
                            let r: f64 = radius.parse().map_err(|_| bad())?;
                            if !(r.is_finite() && r >= 0.0) {
                                return Err(bad());
                            }
                            Some(r)
                        };
                        Ok(Fix {
                            at: crs.to_wgs84(given),
                            radius_m,
                            crs,
                        })
                    }),
            )
        };
    }

    /// The next call has started (the code box edited after a confirmed call): a location
    /// logged with the last call, and not changed since, belongs to that caller and is cleared.
    /// One pasted for the new call (changed since) stays.
    pub fn next_call(&mut self) {
        if self.logged.take() == Some((self.text.clone(), self.radius.clone(), self.datum)) {
            self.text.clear();
            self.radius.clear();
        }
    }

    /// What the map draws, if there is a caller location.
    #[must_use]
    pub fn overlay(&self) -> Option<CallerOverlay> {
        self.fix().map(|fix| CallerOverlay {
            fix,
            nearest: self.nearest.clone(),
            outside: self.outside,
        })
    }

    /// What the call log records for a call at `pole` (the confirmed pole's point); the box
    /// remembers it was logged.
    pub fn log_entry(&mut self, pole: Option<LatLon>) -> Option<calllog::CallerLocation> {
        self.reread();
        let fix = self.fix()?;
        self.logged = Some((self.text.clone(), self.radius.clone(), self.datum));
        Some(calllog::CallerLocation {
            lat_deg: fix.at.lat_deg,
            lon_deg: fix.at.lon_deg,
            datum: fix.crs.word(),
            radius_m: fix.radius_m,
            distance_m: pole.map(|p| fix.check(p).0),
        })
    }

    /// Draws the box under the code box: the position, the datum, the radius; what it reads as;
    /// the nearest poles (a click shows one); and the card pole's distance, with a warning when
    /// it lies outside the circle.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        index: &SearchIndex,
        t: &Strings,
        pal: Palette,
        card: Option<PoleId>,
        out: &mut Vec<Command>,
    ) {
        let w = caller_strings(t.lang);
        egui::CollapsingHeader::new(RichText::new(w.title).strong())
            .id_salt("caller-location")
            .default_open(true)
            .show(ui, |ui| self.inputs(ui, w));
        self.reread();
        match &self.read {
            None => {
                self.nearest.clear();
                self.nearest_for = None;
                self.outside = false;
                return;
            }
            Some(Err(e)) => {
                ui.colored_label(pal.warning, e.in_lang(t.lang));
                self.outside = false;
                return;
            }
            Some(Ok(_)) => {}
        }
        let Some(fix) = self.fix() else { return };
        // The index (by address: a swapped index is another one) and the point the nearest
        // poles were found for.
        let key = (std::ptr::from_ref(index) as usize, fix.at);
        if self.nearest_for != Some(key) {
            self.nearest = index
                .nearest_k(fix.at, NEAREST_SHOWN)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            self.nearest_for = Some(key);
        }
        self.verdict(ui, index, w, pal, fix, card);
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(w.nearest).weak());
            for &id in &self.nearest {
                let p = index.pole(id);
                let d = p.point().map_or(0.0, |at| at.distance_m(fix.at));
                if ui
                    .link(format!("{} {:.0} {}", p.code(), d, w.metres))
                    .on_hover_text(&p.street().name)
                    .clicked()
                {
                    out.push(Command::ShowCode(p.code().to_owned()));
                }
            }
            if ui.small_button(w.show_on_map).clicked() {
                out.push(Command::CentreOn(fix.at, theme::STREET_ZOOM - 1.0));
            }
        });
    }

    /// The position, datum and radius boxes.
    fn inputs(&mut self, ui: &mut Ui, w: &CallerStrings) {
        let label = ui.label(RichText::new(w.position).small().weak());
        ui.add(
            egui::TextEdit::singleline(&mut self.text)
                .hint_text(w.hint)
                .desired_width(f32::INFINITY)
                .id_salt("caller-position"),
        )
        .labelled_by(label.id);
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(w.datum);
            egui::ComboBox::from_id_salt("caller-datum")
                .selected_text(w.datums[self.datum.min(2)])
                .show_ui(ui, |ui| {
                    for (k, name) in w.datums.iter().enumerate() {
                        ui.selectable_value(&mut self.datum, k, *name);
                    }
                })
                .response
                .labelled_by(l.id);
            let r = ui.label(w.radius);
            ui.add(
                egui::TextEdit::singleline(&mut self.radius)
                    .desired_width(60.0)
                    .id_salt("caller-radius"),
            )
            .labelled_by(r.id);
            if ui.small_button(w.clear).clicked() {
                self.text.clear();
                self.radius.clear();
            }
        });
    }

    /// The card's pole against the caller location.
    fn verdict(
        &mut self,
        ui: &mut Ui,
        index: &SearchIndex,
        w: &CallerStrings,
        pal: Palette,
        fix: Fix,
        card: Option<PoleId>,
    ) {
        self.outside = false;
        let Some(id) = card else { return };
        let p = index.pole(id);
        let Some(at) = p.point() else {
            ui.label(RichText::new(w.no_position).weak());
            return;
        };
        let (d, within) = fix.check(at);
        let fill = |s: &str| {
            s.replace("{c}", p.code())
                .replace("{d}", &format!("{d:.0}"))
                .replace("{r}", &format!("{:.0}", fix.radius_m.unwrap_or_default()))
        };
        match within {
            Some(false) => {
                self.outside = true;
                ui.label(
                    RichText::new(fill(w.outside))
                        .size(theme::CARD_SIZE)
                        .strong()
                        .color(pal.warning),
                );
            }
            Some(true) => {
                ui.label(RichText::new(fill(w.inside)).color(pal.ok));
            }
            None => {
                ui.label(fill(w.distance));
            }
        }
    }
}

/// The error model learnt from this workstation's call log: read on a worker thread at start
/// (the window never waits on the log), then given to each index the window searches with.
#[derive(Debug)]
pub struct LearntModel {
    incoming: Option<Receiver<ErrorModel>>,
    model: Option<Arc<ErrorModel>>,
}

impl LearntModel {
    /// Starts learning from the call log at `path` (none: the default weights stay).
    #[must_use]
    pub fn spawn(path: Option<PathBuf>) -> Self {
        let Some(path) = path else {
            return Self {
                incoming: None,
                model: None,
            };
        };
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("learn-typos".into())
            .spawn(move || {
                // A log that cannot be read teaches nothing; the defaults stay.
                // It arrives before the index in practice (the log is small); if not, the next
                // frame (the next keystroke) picks it up before searching.
                if let Ok(m) = ErrorModel::from_call_log(&path) {
                    let _ = tx.send(m);
                }
            });
        Self {
            incoming: spawned.is_ok().then_some(rx),
            model: None,
        }
    }

    /// Hands the learnt model to `index` when it does not have it yet; true when it did (the
    /// results on screen were ranked without it).
    pub fn apply(&mut self, index: &SearchIndex) -> bool {
        if let Some(rx) = &self.incoming
            && let Ok(m) = rx.try_recv()
        {
            self.model = Some(Arc::new(m));
            self.incoming = None;
        }
        match &self.model {
            Some(m) if !index.uses_model(m) => {
                index.set_model(Arc::clone(m));
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamppost_search::{DatasetInfo, IndexBuilder};

    fn tiny() -> SearchIndex {
        IndexBuilder::new(DatasetInfo::default(), Vec::new()).finish()
    }

    #[test]
    fn the_learnt_model_is_given_once_to_each_index_even_one_swapped_in_later() {
        let (tx, rx) = channel();
        let mut l = LearntModel {
            incoming: Some(rx),
            model: None,
        };
        let a = tiny();
        assert!(!l.apply(&a), "nothing learnt yet");
        tx.send(ErrorModel::learnt_from([("2450043", "2-45-0034")]))
            .unwrap();
        assert!(l.apply(&a));
        assert!(!l.apply(&a), "once");
        assert_eq!(a.model().observed(), 1);
        let b = tiny(); // the index rebuilt after an import
        assert!(l.apply(&b));
        assert_eq!(b.model().observed(), 1);
    }

    #[test]
    fn the_box_reads_a_position_its_datum_and_a_radius() {
        let mut c = CallerLocation {
            text: "25.0478, 121.5170, 120".into(),
            ..CallerLocation::default()
        };
        c.reread();
        let fix = c.fix().unwrap();
        assert_eq!(fix.radius_m, Some(120.0));
        assert_eq!(fix.crs, Datum::Wgs84);
        // The radius box wins over a radius in the text; a bad one says so.
        c.radius = "50".into();
        c.reread();
        assert_eq!(c.fix().unwrap().radius_m, Some(50.0));
        c.radius = "-3".into();
        c.reread();
        assert!(c.fix().is_none());
        assert!(matches!(c.read, Some(Err(_))));
        // GCJ-02 is converted to WGS-84: the same text lands elsewhere.
        c.radius.clear();
        c.datum = 1;
        c.reread();
        let g = c.fix().unwrap();
        assert_eq!(g.crs, Datum::Gcj02);
        assert!(g.at.distance_m(fix.at) > 100.0, "{g:?} {fix:?}");
        // What the log records: WGS-84, the datum's word, the pole's distance.
        let pole = LatLon::new(g.at.lat_deg + 0.001, g.at.lon_deg);
        let e = c.log_entry(Some(pole)).unwrap();
        assert_eq!(e.datum, "gcj02");
        assert!((e.distance_m.unwrap() - 111.2).abs() < 1.0, "{e:?}");
        // The next call clears a location logged with the last one, unless it was changed.
        c.text = "25.05, 121.51".into();
        c.next_call();
        assert_eq!(c.text, "25.05, 121.51", "pasted for the new call: kept");
        let _ = c.log_entry(Some(pole));
        c.next_call();
        assert!(c.text.is_empty(), "logged with the last call: cleared");
        c.text = "25.0478, 121.5170".into();
        // An empty box is no location.
        c.text.clear();
        c.reread();
        assert!(c.fix().is_none() && c.log_entry(Some(pole)).is_none());
    }
}
