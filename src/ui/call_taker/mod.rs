//! The call-taker screen: the code box, the results, the card with the read-back sentence, and
//! the call log panel. It owns its state (the query, the results, the selection, the last
//! call logged); what reaches beyond it (the map, the clipboard) it returns as [`Command`]s.

pub mod caller_location;
mod panel;

use egui::{Key, Modifiers, Ui};

use super::calls::CallsPanel;
use super::command::Command;
use super::i18n::Strings;
use lamppost_core::estimate::Position;
use lamppost_core::geo::{LatLon, format_latlon_dms};
use lamppost_core::readback::Lang;
use lamppost_data::calllog::{Call, NewCall, PositionKind};
use lamppost_search::{
    Confusable, Hit, MAX_CONFUSABLES, PoleId, Reason, SearchIndex, SearchResults, Target,
};

/// Results shown in the list.
const RESULT_LIMIT: usize = 20;

/// Zoom for a street confirmed without a pole number.
const STREET_VIEW_ZOOM: f64 = 15.0;

/// Enter pressed again on a confirmed result within this time is the same call (a double
/// press); later, it is another call for the same pole (two callers, one accident).
pub const DOUBLE_PRESS: std::time::Duration = std::time::Duration::from_secs(1);

/// The call-taker screen's state. The card always describes the highlighted result of the
/// query in the code box, never an earlier query's: it is marked confirmed only while the
/// query it was confirmed for is still in the box.
pub struct CallTaker {
    query: String,
    /// The query the results are for (reset when new data is swapped in).
    searched: Option<String>,
    results: SearchResults,
    highlighted: usize,
    /// A result that is not an exact code match, chosen by a first Enter: a second Enter on it,
    /// with the same query, confirms it.
    armed: Option<Chosen>,
    /// The last call recorded, while its query is still in the code box (Enter again on the
    /// same result within [`DOUBLE_PRESS`] does not log it twice).
    confirmed: Option<Confirmed>,
    /// The risky confusable codes of a pole, computed once per highlighted pole.
    confusables: Option<(PoleId, Vec<Confusable>)>,
    /// Today's calls, and the worker that records them.
    calls: CallsPanel,
    /// The code box's id, to tell whether the keyboard is in it.
    code_box: Option<egui::Id>,
    /// The code box had the keyboard in the last frame (egui takes the focus away on Esc
    /// before the frame's widgets run: this tells an Esc in the code box from one elsewhere).
    code_box_focused: bool,
    /// Select the code box's text in the next frame (after a confirm: the next call's first
    /// keystroke replaces it).
    select_query: bool,
    /// The caller location box, and the error model learnt from the call log.
    caller: caller_location::CallerLocation,
    learnt: caller_location::LearntModel,
    /// Put the code box's cursor at the end of its text in the next frame (after the app
    /// filled the box: a street completed, a map click, a call picked from the log), so that
    /// the next keystroke appends.
    cursor_to_end: bool,
}

/// A result chosen for a query, by its pole's code (codes outlive an index swap, ids do not).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Chosen {
    query: String,
    code: String,
}

/// A confirmed call: what was chosen, and the call log's ticket for it.
#[derive(Debug, Clone)]
struct Confirmed {
    chosen: Chosen,
    ticket: u64,
    /// When Enter confirmed it (a second Enter within [`DOUBLE_PRESS`] is the same call).
    at: std::time::Instant,
}

/// Where the card stands for the highlighted pole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState {
    /// Shown, not yet confirmed: Enter confirms (an exact code match).
    Unconfirmed,
    /// Not an exact code match, not yet chosen: Enter chooses it, a second Enter confirms.
    NeedsTwoEnters,
    /// Not an exact code match, chosen by a first Enter: Enter again confirms.
    Chosen,
    /// Confirmed and sent to the call log.
    Confirmed,
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
        let learnt = caller_location::LearntModel::spawn(calls.log_path());
        Self {
            query: String::new(),
            searched: None,
            results: SearchResults::default(),
            highlighted: 0,
            armed: None,
            confirmed: None,
            confusables: None,
            calls,
            code_box: None,
            code_box_focused: false,
            select_query: false,
            caller: caller_location::CallerLocation::default(),
            learnt,
            cursor_to_end: false,
        }
    }

    /// What the map draws for the caller location, if one is entered.
    #[must_use]
    pub fn caller_overlay(&self) -> Option<caller_location::CallerOverlay> {
        self.caller.overlay()
    }

    /// The text in the code box.
    #[must_use]
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The pole the card shows: the highlighted result, when it is a pole (an id in the
    /// pinned index). Not necessarily confirmed: see [`CallTaker::card_state`].
    #[must_use]
    pub fn selected(&self) -> Option<PoleId> {
        self.highlighted_hit().and_then(|h| match h.target {
            Target::Pole(id) => Some(id),
            Target::Street(_) => None,
        })
    }

    /// The highlighted result of the current query.
    fn highlighted_hit(&self) -> Option<Hit> {
        if self.searched.as_ref() != Some(&self.query) {
            return None;
        }
        self.results.hits.get(self.highlighted).copied()
    }

    /// Whether the card's pole is confirmed, chosen, or still waits for Enter.
    #[must_use]
    pub fn card_state(&self, index: &SearchIndex) -> Option<CardState> {
        let hit = self.highlighted_hit()?;
        let Target::Pole(id) = hit.target else {
            return None;
        };
        let chosen = Chosen {
            query: self.query.clone(),
            code: index.pole(id).code().to_owned(),
        };
        Some(
            if self.confirmed.as_ref().is_some_and(|c| c.chosen == chosen) {
                CardState::Confirmed
            } else if hit.reason == Reason::Exact {
                CardState::Unconfirmed
            } else if self.armed.as_ref() == Some(&chosen) {
                CardState::Chosen
            } else {
                CardState::NeedsTwoEnters
            },
        )
    }

    /// The confusable codes of pole `id` to warn about (another street, or far), computed
    /// once per pole.
    fn confusables_of(&mut self, index: &SearchIndex, id: PoleId) -> &[Confusable] {
        if self.confusables.as_ref().is_none_or(|(p, _)| *p != id) {
            self.confusables = Some((id, index.confusables(id, MAX_CONFUSABLES)));
        }
        self.confusables.as_ref().map_or(&[], |(_, c)| c.as_slice())
    }

    /// The read-back sentence for the highlighted pole: it asks the caller to confirm the
    /// street when the code has confusable codes elsewhere, or when it is not the code typed
    /// (a prefix, a typo guess).
    fn sentence(&mut self, index: &SearchIndex, lang: Lang) -> Option<String> {
        let hit = self.highlighted_hit()?;
        let Target::Pole(id) = hit.target else {
            return None;
        };
        let check = match hit.reason {
            Reason::Exact => !self.confusables_of(index, id).is_empty(),
            Reason::Prefix | Reason::Typo { .. } => true,
            _ => false,
        };
        Some(index.pole(id).readback_checked(lang, check))
    }

    /// Where the map should look for the highlighted result, and at which zoom.
    #[must_use]
    pub fn highlighted_view(&self, index: &SearchIndex) -> Option<(LatLon, f64)> {
        match self.highlighted_hit()?.target {
            Target::Pole(id) => index
                .pole(id)
                .point()
                .map(|at| (at, super::theme::STREET_ZOOM)),
            Target::Street(s) => index.streets()[s as usize]
                .anchor
                .map(|at| (at, STREET_VIEW_ZOOM)),
        }
    }

    /// The call-taker edited the code box: after a confirmed call that starts the next call,
    /// and a caller location logged with the last one goes with it.
    fn typed(&mut self) {
        if self.confirmed.is_some() {
            self.caller.next_call();
        }
        self.edited();
    }

    /// The code box was edited (even to the same text): the last confirmation and choice no
    /// longer answer what is being typed.
    fn edited(&mut self) {
        self.armed = None;
        self.confirmed = None;
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

    /// New data was swapped in: pole ids of the old index mean nothing, so the query is
    /// searched again and the highlighted result found again by its code.
    pub fn index_swapped(&mut self, old: Option<&SearchIndex>, latest: &SearchIndex) {
        let code = old
            .zip(self.selected())
            .map(|(o, id)| o.pole(id).code().to_owned());
        self.results = SearchResults::default();
        self.searched = None;
        self.highlighted = 0;
        self.confusables = None;
        let _ = self.refresh_results(latest);
        if let Some(code) = code
            && let Some(k) = self.results.hits.iter().position(
                |h| matches!(h.target, Target::Pole(id) if latest.pole(id).code() == code),
            )
        {
            self.highlighted = k;
        }
    }

    /// Searches again when the query changed since the last search (never each frame);
    /// returns whether it did.
    fn refresh_results(&mut self, index: &SearchIndex) -> bool {
        if self.searched.as_ref() == Some(&self.query) {
            return false;
        }
        self.results = index.search(&self.query, RESULT_LIMIT);
        self.highlighted = 0;
        self.searched = Some(self.query.clone());
        if self.armed.as_ref().is_some_and(|a| a.query != self.query) {
            self.armed = None;
        }
        if self
            .confirmed
            .as_ref()
            .is_some_and(|c| c.chosen.query != self.query)
        {
            self.confirmed = None;
        }
        true
    }

    /// Enter (or a click) on result `k`. An exact code match is confirmed: selected and its
    /// call logged. Any other pole (a prefix, a typo guess, a street and number, a landmark)
    /// is first only chosen, with the card saying the code typed does not exist; Enter again
    /// on it confirms it. A street fills the code box. Returns where the map should look, and
    /// at which zoom.
    pub fn confirm(
        &mut self,
        index: &SearchIndex,
        k: usize,
        operator: Operator<'_>,
    ) -> Option<(LatLon, f64)> {
        let _ = self.refresh_results(index);
        let hit = self.results.hits.get(k).copied()?;
        self.highlighted = k;
        match hit.target {
            Target::Pole(id) => {
                let chosen = Chosen {
                    query: self.query.clone(),
                    code: index.pole(id).code().to_owned(),
                };
                // A guess already confirmed once needs no second choosing for the next call.
                let confirmed_before = self.confirmed.as_ref().is_some_and(|c| c.chosen == chosen);
                if hit.reason != Reason::Exact
                    && self.armed.as_ref() != Some(&chosen)
                    && !confirmed_before
                {
                    self.armed = Some(chosen);
                } else {
                    self.armed = None;
                    self.log_call(index, id, chosen, operator);
                    self.select_query = true;
                }
                index
                    .pole(id)
                    .point()
                    .map(|at| (at, super::theme::STREET_ZOOM))
            }
            Target::Street(s) => {
                let street = &index.streets()[s as usize];
                self.query = format!("{} ", street.name);
                self.cursor_to_end = true;
                street.anchor.map(|at| (at, STREET_VIEW_ZOOM))
            }
        }
    }

    /// Selects a pole (a map click, a call in the log) and puts its code in the code box. The
    /// card shows it, not yet confirmed.
    pub fn select(&mut self, index: &SearchIndex, id: PoleId) {
        index.pole(id).code().clone_into(&mut self.query);
        self.cursor_to_end = true;
        let _ = self.refresh_results(index);
        if let Some(k) = self
            .results
            .hits
            .iter()
            .position(|h| h.target == Target::Pole(id))
        {
            self.highlighted = k;
        }
    }

    /// Shows a call from the log again: selects its pole without logging a new call. Returns
    /// where the pole is.
    pub fn show_code(&mut self, index: &SearchIndex, code: &str) -> Option<LatLon> {
        let id = index.lookup(code)?;
        self.select(index, id);
        self.edited();
        index.pole(id).point()
    }

    /// Sends the confirmed call to the log worker, unless this very result was logged less
    /// than [`DOUBLE_PRESS`] ago (one call, pressed twice); later, the same pole confirmed
    /// again is another call. The log keeps the raw text typed (`query`) beside the code
    /// chosen.
    fn log_call(
        &mut self,
        index: &SearchIndex,
        id: PoleId,
        chosen: Chosen,
        operator: Operator<'_>,
    ) {
        if self
            .confirmed
            .as_ref()
            .is_some_and(|c| c.chosen == chosen && c.at.elapsed() < DOUBLE_PRESS)
        {
            return;
        }
        let readback = self
            .sentence(index, operator.lang)
            .unwrap_or_else(|| index.pole(id).readback(operator.lang));
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
            readback,
            lat_lon_deg: pos.point().map(|a| (a.lat_deg, a.lon_deg)),
            position,
            radius_m,
            dataset: index.info().name.clone(),
            data_version: index.info().data_version,
            caller: self.caller.log_entry(pos.point()).map(Box::new),
        };
        let ticket = self.calls.record(call);
        self.confirmed = Some(Confirmed {
            chosen,
            ticket,
            at: std::time::Instant::now(),
        });
    }

    /// Code, address and coordinates of a pole as plain text (Ctrl+C on the card).
    fn card_text(index: &SearchIndex, id: PoleId, sentence: &str, t: &Strings) -> String {
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
            sentence
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
        // F2: the incident type of the call just logged (↑/↓ choose it), F3: its note.
        let (f2, f3) = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::F2),
                i.consume_key(Modifiers::NONE, Key::F3),
            )
        });
        if f2 {
            self.calls
                .focus_editor(super::calls::EditorField::IncidentType);
        } else if f3 {
            self.calls.focus_editor(super::calls::EditorField::Note);
        }
        // Another field (operator, incident type, note, call filter) has the keyboard: leave
        // its keys alone, except Esc, which brings the keyboard back to the code box and
        // leaves the card as it is.
        let focus = ui.memory(egui::Memory::focused);
        let elsewhere = match focus {
            Some(_) => focus != self.code_box,
            None => !self.code_box_focused,
        };
        if elsewhere {
            if ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
                && let Some(id) = self.code_box
            {
                ui.memory_mut(|m| m.request_focus(id));
                // Back with a call confirmed: the next caller's first digit replaces the
                // code, as after a click elsewhere.
                if self
                    .confirmed
                    .as_ref()
                    .is_some_and(|c| c.chosen.query == self.query)
                {
                    self.select_query = true;
                }
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
            if !has_selection && self.selected().is_some() {
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
        let before = self.highlighted;
        if down && n > 0 {
            self.highlighted = (self.highlighted + 1).min(n - 1);
        }
        if up {
            self.highlighted = self.highlighted.saturating_sub(1);
        }
        if self.highlighted != before {
            // ↑/↓ preview the highlighted result on the map.
            out.push(Command::PreviewHighlighted);
        }
        if esc {
            self.query.clear();
            self.typed();
        }
        if (copy || copy_card)
            && let Some(id) = self.selected()
            && let Some(sentence) = self.sentence(index, t.lang)
        {
            out.push(if copy {
                Command::Copy {
                    text: sentence,
                    said: t.copied,
                }
            } else {
                Command::Copy {
                    text: Self::card_text(index, id, &sentence, t),
                    said: t.card_copied,
                }
            });
        }
        enter
    }

    /// Gives the keyboard back to the code box (a window over the screen closed).
    pub fn focus_code_box(&self, ctx: &egui::Context) {
        if let Some(id) = self.code_box {
            ctx.memory_mut(|m| m.request_focus(id));
        }
    }

    /// The highlighted result (what Enter confirms).
    #[must_use]
    pub fn highlighted(&self) -> usize {
        self.highlighted
    }
}
