//! Drawing the call-taker screen: the side panel (banners, code box, results, card) and the
//! call log panel. Each returns what the user asked for as [`Command`]s.

use egui::{RichText, Ui};

use super::CallTaker;
use crate::ui::DataNews;
use crate::ui::calls;
use crate::ui::command::Command;
use crate::ui::i18n::Strings;
use crate::ui::theme::{self, Palette};
use lamppost_core::geo::format_latlon_dms;
use lamppost_search::{Reason, SearchIndex, Target};

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
        let label = ui.label(RichText::new(t.code_label).size(theme::CARD_SIZE).strong());
        let edit = egui::TextEdit::singleline(&mut self.query)
            .font(theme::font(theme::CODE_BOX_SIZE))
            .hint_text(t.code_hint)
            .desired_width(f32::INFINITY)
            .id_salt("code-box");
        let response = ui.add(edit).labelled_by(label.id);
        self.code_box = Some(response.id);
        if std::mem::take(&mut self.select_query)
            && let Some(mut state) = egui::TextEdit::load_state(ui.ctx(), response.id)
        {
            let all = egui::text::CCursorRange::two(
                egui::text::CCursor::new(0),
                egui::text::CCursor::new(self.query.chars().count()),
            );
            state.cursor.set_char_range(Some(all));
            state.store(ui.ctx(), response.id);
        }
        // Typing anywhere goes into the code box.
        if ui.memory(|m| m.focused().is_none()) {
            response.request_focus();
        }
        self.refresh_results(index);
        ui.label(RichText::new(t.keys_help).small().weak());
        ui.separator();

        self.results_list(ui, index, t, pal, out);
        ui.separator();
        self.card(ui, index, t, pal, out);
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

    fn card(
        &self,
        ui: &mut Ui,
        index: &SearchIndex,
        t: &Strings,
        pal: Palette,
        out: &mut Vec<Command>,
    ) {
        let Some(id) = self.selected else {
            ui.label(RichText::new(t.nothing_selected).weak());
            return;
        };
        let p = index.pole(id);
        ui.label(RichText::new(t.readback).strong());
        let sentence = p.readback(t.lang);
        ui.add(egui::Label::new(
            RichText::new(&sentence)
                .size(theme::READBACK_SIZE)
                .strong()
                .color(pal.readback),
        ));
        ui.horizontal(|ui| {
            if ui.button(t.copy).clicked() {
                out.push(Command::Copy {
                    text: sentence,
                    said: t.copied,
                });
            }
            if let Some((ticket, pole, _)) = &self.logged
                && *pole == id
            {
                match self.calls.status(*ticket) {
                    Some(calls::Saving::Pending) => {
                        ui.label(RichText::new(format!("… {}", t.saving)).weak());
                    }
                    Some(calls::Saving::Saved(c)) => {
                        ui.label(
                            RichText::new(format!("√ {} {}", t.saved, c.local_time()))
                                .color(pal.ok),
                        );
                    }
                    Some(calls::Saving::Failed(e)) => {
                        ui.colored_label(pal.warning, format!("× {}{e}", t.not_saved));
                    }
                    None => {}
                }
            }
        });
        ui.add_space(6.0);
        let street = p.street();
        let pos = p.position();
        egui::Grid::new("card")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                let mut row = |k: &str, v: String| {
                    ui.label(RichText::new(k).size(theme::CARD_SIZE).weak());
                    ui.label(RichText::new(v).size(theme::CARD_SIZE));
                    ui.end_row();
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
            });
    }
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
            ui.colored_label(pal.warning, w);
            if ui.button(t.dismiss).clicked() {
                out.push(Command::DismissWarning);
            }
        });
    }
}
