//! Drawing the call-taker screen: the side panel (banners, code box, results, card) and the
//! call log panel. Each returns what the user asked for as [`Command`]s.

use egui::{RichText, Ui};

use super::{CallTaker, CardState};
use crate::ui::DataNews;
use crate::ui::calls;
use crate::ui::command::Command;
use crate::ui::i18n::Strings;
use crate::ui::theme::{self, Palette};
use lamppost_core::geo::format_latlon_dms;
use lamppost_search::{Confusable, Reason, SearchIndex, Target};

/// Confusable codes listed in the card; the rest are counted.
const CARD_CONFUSABLES: usize = 3;

/// Characters of the typed text echoed in the card's warning.
const ECHO_CHARS: usize = 24;

impl CallTaker {
    /// The side panel: data banners, the code box, the results and the card.
    pub fn side_panel(
        &mut self,
        ui: &mut Ui,
        index: &SearchIndex,
        t: &Strings,
        pal: Palette,
        news: &DataNews,
        out: &mut Vec<Command>,
    ) {
        data_banners(ui, t, pal, news, out);
        // Where the cursor goes after the app changed the text: set before the box takes
        // this frame's typing, so that a keystroke in the same frame lands at the right place.
        self.place_cursor(ui.ctx());
        let label = ui.label(RichText::new(t.code_label).size(theme::CARD_SIZE).strong());
        let edit = egui::TextEdit::singleline(&mut self.query)
            .font(theme::font(theme::CODE_BOX_SIZE))
            .hint_text(t.code_hint)
            .desired_width(f32::INFINITY)
            .id_salt("code-box");
        let response = ui.add(edit).labelled_by(label.id);
        self.code_box = Some(response.id);
        self.code_box_focused = response.has_focus();
        if response.changed() {
            self.typed();
        }
        // The first frame has no id to place the cursor with yet.
        self.place_cursor(ui.ctx());
        // Typing anywhere goes into the code box (not while a window above is modal: the
        // panel is disabled then).
        if ui.is_enabled() && ui.memory(|m| m.focused().is_none()) {
            response.request_focus();
            // Back after a click elsewhere with a call confirmed: the next caller's first
            // digit replaces the code, as right after the confirm.
            if self
                .confirmed
                .as_ref()
                .is_some_and(|c| c.chosen.query == self.query)
            {
                self.select_query = true;
            }
        }
        // The error model learnt from the call log arrived, or a new index lacks it: rank the
        // results again with it, keeping the highlighted result (as after an index swap).
        if self.learnt.apply(index) {
            self.index_swapped(Some(index), index);
        }
        // A new query whose best result is an exact code: the map shows the pole the card
        // now describes (a prefix or a guess moves it only on ↑/↓ or Enter).
        if self.refresh_results(index)
            && self
                .highlighted_hit()
                .is_some_and(|h| h.reason == Reason::Exact)
        {
            out.push(Command::PreviewHighlighted);
        }
        ui.label(RichText::new(t.keys_help).small().weak());
        let card = self.selected();
        self.caller.show(ui, index, t, pal, card, out);
        ui.separator();

        self.results_list(ui, index, t, pal, out);
        ui.separator();
        self.card(ui, index, t, pal, out);
    }

    /// Selects the whole text (after a confirm) or puts the cursor at its end (after the app
    /// filled the box), as asked by the last command.
    fn place_cursor(&mut self, ctx: &egui::Context) {
        let Some(id) = self.code_box else { return };
        if !(self.select_query || self.cursor_to_end) {
            return;
        }
        let end = egui::text::CCursor::new(self.query.chars().count());
        let range = if std::mem::take(&mut self.select_query) {
            egui::text::CCursorRange::two(egui::text::CCursor::new(0), end)
        } else {
            egui::text::CCursorRange::one(end)
        };
        self.cursor_to_end = false;
        let mut state = egui::TextEdit::load_state(ctx, id).unwrap_or_default();
        state.cursor.set_char_range(Some(range));
        state.store(ctx, id);
        ctx.memory_mut(|m| m.request_focus(id));
    }

    /// The call log panel; a click on a call shows its pole again.
    pub fn calls_panel(
        &mut self,
        ui: &mut Ui,
        t: &Strings,
        pal: Palette,
        operator: &str,
        out: &mut Vec<Command>,
    ) {
        out.extend(self.calls.show(ui, t, pal, operator));
    }

    fn results_list(
        &mut self,
        ui: &mut Ui,
        index: &SearchIndex,
        t: &Strings,
        pal: Palette,
        out: &mut Vec<Command>,
    ) {
        let r = &self.results;
        if self.query.trim().is_empty() {
            return;
        }
        if r.too_long {
            ui.colored_label(pal.warning, t.too_long);
            return;
        }
        if r.hits.is_empty() {
            ui.colored_label(
                pal.warning,
                RichText::new(t.no_match).size(theme::RESULT_SIZE),
            );
            return;
        }
        if !matches!(
            r.hits[0].reason,
            Reason::Exact | Reason::Prefix | Reason::StreetNumber(_) | Reason::Street(_)
        ) {
            ui.label(RichText::new(t.did_you_mean).strong());
        }
        let spread = r
            .hits
            .iter()
            .take(3)
            .filter_map(|h| h.dist_m)
            .fold(0.0f64, f64::max);
        if r.hits[0].reason != Reason::Exact && r.hits.len() > 1 && spread > theme::FAR_APART_M {
            ui.colored_label(
                pal.warning,
                RichText::new(t.far_apart.replace("{m}", &format!("{spread:.0}"))).strong(),
            );
        }
        let mut clicked = None;
        egui::ScrollArea::vertical()
            .id_salt("results")
            .max_height(260.0)
            .show(ui, |ui| {
                for (k, h) in r.hits.iter().enumerate() {
                    let text = match h.target {
                        Target::Pole(id) => {
                            let p = index.pole(id);
                            let side = p.side().map_or(String::new(), |s| t.side(s));
                            format!(
                                "{}  {} {} {}",
                                p.code(),
                                p.street().name,
                                p.pole_no().map_or(String::new(), |n| format!("#{n}")),
                                side
                            )
                        }
                        Target::Street(s) => {
                            let st = &index.streets()[s as usize];
                            format!("{} ({})", st.name, t.add_pole_number)
                        }
                    };
                    let dist = h
                        .dist_m
                        .map_or(String::new(), |d| format!("{d:.0} {}", t.metres));
                    let line = format!("{text}   · {} · {dist}", h.reason.describe(t.lang));
                    let mut rt = RichText::new(line).size(theme::RESULT_SIZE);
                    if k == self.highlighted {
                        rt = rt.background_color(pal.highlight).strong();
                    }
                    if ui.selectable_label(k == self.highlighted, rt).clicked() {
                        clicked = Some(k);
                    }
                }
            });
        if let Some(k) = clicked {
            self.highlighted = k;
            out.push(Command::Confirm(k));
        }
    }

    /// The card: the highlighted result of the query in the code box, framed in the warning
    /// colour until confirmed; what was typed and what was chosen when they differ; the
    /// read-back sentence; the confusable codes of an exact match; the details.
    fn card(
        &mut self,
        ui: &mut Ui,
        index: &SearchIndex,
        t: &Strings,
        pal: Palette,
        out: &mut Vec<Command>,
    ) {
        let Some(hit) = self.highlighted_hit() else {
            ui.label(RichText::new(t.nothing_selected).weak());
            return;
        };
        let id = match hit.target {
            Target::Pole(id) => id,
            Target::Street(s) => {
                let st = &index.streets()[s as usize];
                ui.label(
                    RichText::new(format!("{} — {}", st.name, t.add_pole_number))
                        .size(theme::CARD_SIZE)
                        .strong(),
                );
                return;
            }
        };
        let Some(state) = self.card_state(index) else {
            return;
        };
        let sentence = self.sentence(index, t.lang).unwrap_or_default();
        let confusables: Vec<Confusable> = if hit.reason == Reason::Exact {
            self.confusables_of(index, id).to_vec()
        } else {
            Vec::new()
        };
        let p = index.pole(id);
        let ink = if state == CardState::Confirmed {
            pal.ok
        } else {
            pal.warning
        };
        egui::ScrollArea::vertical()
            .id_salt("card")
            .auto_shrink([false, true])
            .show(ui, |ui| {
                egui::Frame::new()
                    .stroke(egui::Stroke::new(2.0, ink))
                    .inner_margin(8.0)
                    .corner_radius(4.0)
                    .show(ui, |ui| {
                        if hit.reason != Reason::Exact {
                            let typed: String =
                                self.query.trim().chars().take(ECHO_CHARS).collect();
                            let said = match hit.reason {
                                Reason::Prefix | Reason::Typo { .. } => t.code_not_found_chosen,
                                _ => t.not_a_code_chosen,
                            };
                            let said = said
                                .replace("{q}", &typed)
                                .replace("{r}", &hit.reason.describe(t.lang))
                                .replace("{c}", p.code());
                            ui.label(
                                RichText::new(said)
                                    .size(theme::CARD_SIZE)
                                    .strong()
                                    .color(pal.warning),
                            );
                        }
                        self.status_line(ui, t, pal, state);
                        ui.label(RichText::new(t.readback).strong());
                        ui.add(egui::Label::new(
                            RichText::new(&sentence)
                                .size(theme::READBACK_SIZE)
                                .strong()
                                .color(pal.readback),
                        ));
                        if ui.button(t.copy).clicked() {
                            out.push(Command::Copy {
                                text: sentence.clone(),
                                said: t.copied,
                            });
                        }
                        confusable_list(ui, index, id, t, pal, &confusables);
                    });
                ui.add_space(6.0);
                details(ui, index, id, t);
            });
    }

    /// Confirmed (and whether the call is saved), or what Enter will do.
    fn status_line(&self, ui: &mut Ui, t: &Strings, pal: Palette, state: CardState) {
        ui.horizontal_wrapped(|ui| {
            let waiting = match state {
                CardState::Confirmed => None,
                CardState::Unconfirmed => Some(t.unconfirmed),
                CardState::NeedsTwoEnters => Some(t.unconfirmed_two_enters),
                CardState::Chosen => Some(t.unconfirmed_chosen),
            };
            if let Some(w) = waiting {
                ui.label(
                    RichText::new(w)
                        .size(theme::CARD_SIZE)
                        .strong()
                        .color(pal.warning),
                );
                return;
            }
            ui.label(
                RichText::new(format!("√ {}", t.confirmed))
                    .size(theme::CARD_SIZE)
                    .strong()
                    .color(pal.ok),
            );
            let Some(c) = &self.confirmed else { return };
            match self.calls.status(c.ticket) {
                Some(calls::Saving::Pending) => {
                    ui.label(RichText::new(format!("… {}", t.saving)).weak());
                }
                Some(calls::Saving::Saved(c)) => {
                    ui.label(
                        RichText::new(format!(
                            "√ {} {}",
                            t.saved,
                            crate::clock::local_time_of_day(&c.at_utc)
                        ))
                        .color(pal.ok),
                    );
                }
                Some(calls::Saving::Failed(e)) => {
                    ui.colored_label(
                        pal.warning,
                        format!("× {}{}", t.not_saved, e.in_lang(t.lang)),
                    );
                }
                None => {}
            }
        });
    }
}

/// The confusable codes of an exact match: other valid codes one misread digit away, on
/// another street or far.
fn confusable_list(
    ui: &mut Ui,
    index: &SearchIndex,
    id: lamppost_search::PoleId,
    t: &Strings,
    pal: Palette,
    confusables: &[Confusable],
) {
    if confusables.is_empty() {
        return;
    }
    ui.add_space(4.0);
    ui.label(
        RichText::new(if index.pole(id).street().is_place() {
            t.confusable_codes_place
        } else {
            t.confusable_codes
        })
        .size(theme::CARD_SIZE)
        .strong()
        .color(pal.warning),
    );
    for c in confusables.iter().take(CARD_CONFUSABLES) {
        let o = index.pole(c.id);
        let dist = c
            .dist_m
            .map_or(String::new(), |d| format!(" {d:.0} {}", t.metres));
        ui.label(
            RichText::new(format!("{} {}{dist}", o.code(), o.street().name)).size(theme::CARD_SIZE),
        );
    }
    if confusables.len() > CARD_CONFUSABLES {
        ui.label(
            RichText::new(
                t.more_confusables
                    .replace("{n}", &(confusables.len() - CARD_CONFUSABLES).to_string()),
            )
            .weak(),
        );
    }
}

/// Width of the names in the card's detail rows.
const DETAIL_KEY_WIDTH: f32 = 112.0;

/// The pole's details, one row each: the name, then the value, wrapped to the panel's width
/// (a long address takes two lines rather than widening the panel).
fn details(ui: &mut Ui, index: &SearchIndex, id: lamppost_search::PoleId, t: &Strings) {
    let p = index.pole(id);
    let street = p.street();
    let pos = p.position();
    let mut row = |k: &str, v: String| {
        ui.horizontal_top(|ui| {
            ui.allocate_ui_with_layout(
                egui::vec2(DETAIL_KEY_WIDTH, 0.0),
                egui::Layout::left_to_right(egui::Align::TOP),
                |ui| {
                    ui.set_min_width(DETAIL_KEY_WIDTH);
                    ui.label(RichText::new(k).size(theme::CARD_SIZE).weak());
                },
            );
            ui.add(egui::Label::new(RichText::new(v).size(theme::CARD_SIZE)).wrap());
        });
    };
    row(t.code, p.code().to_owned());
    row(t.street, format!("{} {}", street.name, street.name_en));
    row(t.pole_no, p.pole_no().map_or("-".into(), |n| n.to_string()));
    row(t.side, p.side().map_or("-".into(), |s| t.side(s)));
    row(t.cross_street, p.cross_street().to_owned());
    row(t.landmark, p.landmark().to_owned());
    row(t.jurisdiction, p.jurisdiction().to_owned());
    row(t.address, p.address().to_owned());
    row(
        t.coordinates,
        pos.point().map_or("-".into(), |at| {
            format!(
                "{:.6}, {:.6}\n{}",
                at.lat_deg,
                at.lon_deg,
                format_latlon_dms(at)
            )
        }),
    );
    row(t.position, t.position_kind(&pos));
    row(t.dataset, index.info().name.clone());
    row(t.data_version, index.info().data_version.to_string());
}

/// A newer data package on offer, or a data problem, above the code box.
fn data_banners(ui: &mut Ui, t: &Strings, pal: Palette, news: &DataNews, out: &mut Vec<Command>) {
    if let Some((path, m)) = &news.offer {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(
                    t.package_offered
                        .replace("{d}", &m.dataset)
                        .replace("{v}", &m.data_version.to_string()),
                )
                .strong(),
            );
            if ui.button(t.install).clicked() {
                out.push(Command::InstallPackage(path.clone()));
            }
            if ui.button(t.dismiss).clicked() {
                out.push(Command::DismissOffer);
            }
        });
    }
    if let Some(w) = &news.warning {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(pal.warning, w.in_lang(t.lang));
            if ui.button(t.dismiss).clicked() {
                out.push(Command::DismissWarning);
            }
        });
    }
}
