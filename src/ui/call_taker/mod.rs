//! The call-taker screen: the code box, the results, the card with the read-back sentence, and
//! the call log panel. It owns its state (the query, the results, the selection, the last
//! call logged); what reaches beyond it (the map, the clipboard) it returns as [`Command`]s.

mod panel;

use egui::{Key, Modifiers, Ui};

use super::calls::CallsPanel;
use super::command::Command;
use super::i18n::Strings;
use lamppost_core::estimate::Position;
use lamppost_core::geo::{LatLon, format_latlon_dms};
use lamppost_core::readback::Lang;
use lamppost_data::calllog::{Call, NewCall, PositionKind};
use lamppost_search::{PoleId, SearchIndex, SearchResults, Target};

/// Results shown in the list.
const RESULT_LIMIT: usize = 20;

/// Zoom for a street confirmed without a pole number.
const STREET_VIEW_ZOOM: f64 = 15.0;

/// The call-taker screen's state.
pub struct CallTaker {
    query: String,
    /// The query the results are for (reset when new data is swapped in).
    searched: Option<String>,
    results: SearchResults,
    highlighted: usize,
    selected: Option<PoleId>,
    /// The last call recorded: its ticket, pole and the query it was confirmed from (Enter
    /// again on the same result does not log it twice).
    logged: Option<(u64, PoleId, String)>,
    /// Today's calls, and the worker that records them.
    calls: CallsPanel,
    /// The code box's id, to tell whether the keyboard is in it.
    code_box: Option<egui::Id>,
    /// Select the code box's text in the next frame (after a confirm: the next call's first
    /// keystroke replaces it).
    select_query: bool,
}

/// Who is taking the call, and in which language, for the call log.
#[derive(Debug, Clone, Copy)]
pub struct Operator<'a> {
    /// The operator's name.
    pub name: &'a str,
    /// The window's language (the read-back sentence logged).
    pub lang: Lang,
}

impl CallTaker {
    /// An empty screen recording calls through `calls`.
    #[must_use]
    pub fn new(calls: CallsPanel) -> Self {
        Self {
            query: String::new(),
            searched: None,
            results: SearchResults::default(),
            highlighted: 0,
            selected: None,
            logged: None,
            calls,
            code_box: None,
            select_query: false,
        }
    }

    /// The text in the code box.
    #[must_use]
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The confirmed pole, if any (an id in the pinned index).
    #[must_use]
    pub fn selected(&self) -> Option<PoleId> {
        self.selected
    }

    /// Today's saved calls, newest first.
    #[must_use]
    pub fn calls_today(&self) -> &[Call] {
        self.calls.today()
    }

    /// True while a confirmed call is sent to the log and not yet on disk.
    #[must_use]
    pub fn call_pending(&self) -> bool {
        self.calls.has_pending()
    }

    /// Drains the call log worker's answers (never blocks).
    pub fn poll(&mut self) {
        self.calls.poll();
    }

    /// New data was swapped in: pole ids of the old index mean nothing, so the selection is
    /// found again by its code, and the query searched again.
    pub fn index_swapped(&mut self, old: Option<&SearchIndex>, latest: &SearchIndex) {
        let code = old
            .zip(self.selected)
            .map(|(o, id)| o.pole(id).code().to_owned());
        self.selected = code.and_then(|c| latest.lookup(&c));
        self.logged = None;
        self.results = SearchResults::default();
        self.searched = None;
        self.highlighted = 0;
        self.refresh_results(latest);
    }

    /// Searches again when the query changed since the last search (never each frame).
    fn refresh_results(&mut self, index: &SearchIndex) {
        if self.searched.as_ref() == Some(&self.query) {
            return;
        }
        self.results = index.search(&self.query, RESULT_LIMIT);
        self.highlighted = 0;
        self.searched = Some(self.query.clone());
    }

    /// Confirms result `k`: a pole is selected and its call logged, a street fills the code
    /// box. Returns where the map should look, and at which zoom.
    pub fn confirm(
        &mut self,
        index: &SearchIndex,
        k: usize,
        operator: Operator<'_>,
    ) -> Option<(LatLon, f64)> {
        self.refresh_results(index);
        let hit = self.results.hits.get(k).copied()?;
        match hit.target {
            Target::Pole(id) => {
                self.selected = Some(id);
                self.log_call(index, id, operator);
                self.select_query = true;
                index
                    .pole(id)
                    .point()
                    .map(|at| (at, super::theme::STREET_ZOOM))
            }
            Target::Street(s) => {
                let street = &index.streets()[s as usize];
                self.query = format!("{} ", street.name);
                street.anchor.map(|at| (at, STREET_VIEW_ZOOM))
            }
        }
    }

    /// Selects a pole (a map click, a call in the log) and puts its code in the code box.
    pub fn select(&mut self, index: &SearchIndex, id: PoleId) {
        self.selected = Some(id);
        index.pole(id).code().clone_into(&mut self.query);
        self.refresh_results(index);
    }

    /// Shows a call from the log again: selects its pole without logging a new call. Returns
    /// where the pole is.
    pub fn show_code(&mut self, index: &SearchIndex, code: &str) -> Option<LatLon> {
        let id = index.lookup(code)?;
        self.select(index, id);
        self.logged = None;
        index.pole(id).point()
    }

    /// Sends the confirmed call to the log worker, unless this very result was just logged.
    fn log_call(&mut self, index: &SearchIndex, id: PoleId, operator: Operator<'_>) {
        if self
            .logged
            .as_ref()
            .is_some_and(|(_, p, q)| *p == id && *q == self.query)
        {
            return;
        }
        let p = index.pole(id);
        let pos = p.position();
        let (position, radius_m) = match pos {
            Position::Surveyed(_) => (PositionKind::Surveyed, None),
            Position::Estimated { radius_m, .. } => (PositionKind::Estimated, Some(radius_m)),
            Position::Unknown => (PositionKind::Unknown, None),
        };
        let call = NewCall {
            operator: operator.name.trim().to_owned(),
            query: self.query.clone(),
            code: p.code().to_owned(),
            street: p.street().name.clone(),
            pole_no: p.pole_no().map(i64::from),
            address: p.address().to_owned(),
            readback: p.readback(operator.lang),
            lat_lon_deg: pos.point().map(|a| (a.lat_deg, a.lon_deg)),
            position,
            radius_m,
            dataset: index.info().name.clone(),
            data_version: index.info().data_version,
        };
        let ticket = self.calls.record(call);
        self.logged = Some((ticket, id, self.query.clone()));
    }

    /// Code, address and coordinates of a pole as plain text (Ctrl+C on the card).
    fn card_text(index: &SearchIndex, id: PoleId, t: &Strings) -> String {
        let p = index.pole(id);
        let pos = p.position();
        let coords = pos.point().map_or_else(
            || t.position_kind(&Position::Unknown),
            |at| {
                format!(
                    "{:.6}, {:.6} ({})",
                    at.lat_deg,
                    at.lon_deg,
                    format_latlon_dms(at)
                )
            },
        );
        format!(
            "{}: {}\n{}: {}\n{}: {} [{}]\n{}",
            t.code,
            p.code(),
            t.address,
            if p.address().is_empty() {
                p.street().name.as_str()
            } else {
                p.address()
            },
            t.coordinates,
            coords,
            t.position_kind(&pos),
            p.readback(t.lang)
        )
    }

    /// Handles the keys the code box must not see; returns whether Enter was pressed. Enter is
    /// confirmed by the caller after the code box has taken this frame's typing, so that a fast
    /// typist's last digit and Enter in one frame confirm the result for the whole code, never
    /// the stale result of the code without its last digit. ↑/↓ and Esc change only this
    /// screen and act at once, before the code box draws.
    pub fn keys(
        &mut self,
        ui: &Ui,
        index: &SearchIndex,
        t: &Strings,
        out: &mut Vec<Command>,
    ) -> bool {
        // Another text box (operator, note, call filter) has the keyboard: leave its keys
        // alone, except Esc, which brings the keyboard back to the code box.
        let focus = ui.memory(egui::Memory::focused);
        if focus.is_some() && focus != self.code_box {
            if ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
                && let Some(id) = self.code_box
            {
                ui.memory_mut(|m| m.request_focus(id));
            }
            return false;
        }
        // A part of the code box selected by hand is what Ctrl+C copies; the whole text,
        // selected after a confirm so that the next call's typing replaces it, is not.
        let chars = self.query.chars().count();
        let has_selection = self.code_box.is_some_and(|id| {
            egui::TextEdit::load_state(ui.ctx(), id)
                .and_then(|s| s.cursor.char_range())
                .is_some_and(|r| {
                    let [a, b] = r.sorted_cursors();
                    !r.is_empty() && (a.index.0 != 0 || b.index.0 != chars)
                })
        });
        let (down, up, enter, esc, copy, copy_card) = ui.input_mut(|i| {
            let copy = i.consume_key(Modifiers::COMMAND | Modifiers::SHIFT, Key::C);
            // Ctrl+C with no text selected in the code box copies the card. Platforms send
            // it as a Copy event (or as the key, in tests); take it so the box does not
            // copy nothing over it.
            let mut copy_card = false;
            if !has_selection && self.selected.is_some() {
                copy_card = i.consume_key(Modifiers::COMMAND, Key::C);
                let before = i.events.len();
                i.events.retain(|e| !matches!(e, egui::Event::Copy));
                copy_card |= i.events.len() != before;
            }
            (
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
                i.consume_key(Modifiers::NONE, Key::Enter),
                i.consume_key(Modifiers::NONE, Key::Escape),
                copy,
                copy_card,
            )
        });
        let n = self.results.hits.len();
        if down && n > 0 {
            self.highlighted = (self.highlighted + 1).min(n - 1);
        }
        if up {
            self.highlighted = self.highlighted.saturating_sub(1);
        }
        if esc {
            self.query.clear();
            self.selected = None;
        }
        if copy && let Some(id) = self.selected {
            out.push(Command::Copy {
                text: index.pole(id).readback(t.lang),
                said: t.copied,
            });
        }
        if copy_card && let Some(id) = self.selected {
            out.push(Command::Copy {
                text: Self::card_text(index, id, t),
                said: t.card_copied,
            });
        }
        enter
    }

    /// The highlighted result (what Enter confirms).
    #[must_use]
    pub fn highlighted(&self) -> usize {
        self.highlighted
    }
}
