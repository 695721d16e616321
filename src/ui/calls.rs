//! The call log in the window: recording confirmed calls through the log worker, and the
//! "today's calls" panel (searchable, newest first, with the note editor).
//!
//! Nothing here touches the disk: requests go to [`LogWorker`], answers are drained once per
//! frame in [`CallsPanel::poll`].

use std::path::PathBuf;

use egui::{RichText, Ui};

use super::command::Command;
use super::i18n::{Strings, ZH};
use super::theme;
use lamppost_core::words::Message;
use lamppost_data::calllog::worker::{Event, LogWorker, Request};
use lamppost_data::calllog::{Call, NewCall};

/// Where a recorded call stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Saving {
    /// Sent to the worker, not yet committed.
    Pending,
    /// Committed to disk with this entry.
    Saved(Box<Call>),
    /// Not saved: why. The call stays listed with a retry button.
    Failed(Message),
}

struct Unsaved {
    ticket: u64,
    call: NewCall,
    state: Saving,
}

/// The call log state of the window.
pub struct CallsPanel {
    worker: Option<LogWorker>,
    /// Why the log is not available (shown in the panel), if it is not.
    error: Option<Message>,
    today: Vec<Call>,
    /// Calls sent and not yet confirmed saved, or failed (kept to retry).
    unsaved: Vec<Unsaved>,
    /// The most recent outcome per ticket that the window asked about.
    last: Option<(u64, Saving)>,
    next_ticket: u64,
    filter: String,
    /// `(filter, today.len(), annotation generation)` the cached `shown` was computed for.
    shown_for: Option<(String, usize, u64)>,
    shown: Vec<usize>,
    generation: u64,
    /// The call whose note is being edited.
    editing: Option<i64>,
    note: String,
    incident_type: String,
}

impl CallsPanel {
    /// Starts the log worker on `path`; `wake` repaints the window when an answer arrives.
    pub fn new(path: Result<PathBuf, String>, wake: impl Fn() + Send + 'static) -> Self {
        let (worker, error) = match path.map_err(|e| Message::new(e.clone(), e)).and_then(|p| {
            LogWorker::spawn(p, wake).map_err(|e| {
                Message::new("无法启动接警记录线程", "cannot start the call log").about(e)
            })
        }) {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            worker,
            error,
            today: Vec::new(),
            unsaved: Vec::new(),
            last: None,
            next_ticket: 1,
            filter: String::new(),
            shown_for: None,
            shown: Vec::new(),
            generation: 0,
            editing: None,
            note: String::new(),
            incident_type: String::new(),
        }
    }

    /// The call log file, when its worker runs.
    #[must_use]
    pub fn log_path(&self) -> Option<PathBuf> {
        self.worker.as_ref().map(|w| w.path().to_owned())
    }

    /// Drains the worker's answers (once per frame; never blocks).
    pub fn poll(&mut self) {
        while let Some(event) = self.worker.as_ref().and_then(LogWorker::try_event) {
            match event {
                Event::Saved { ticket, call } => {
                    self.unsaved.retain(|u| u.ticket != ticket);
                    if self.last.as_ref().is_some_and(|(t, _)| *t == ticket) {
                        self.last = Some((ticket, Saving::Saved(Box::new(call.clone()))));
                        self.start_editing(&call);
                    }
                    self.today.insert(0, call);
                    self.error = None;
                }
                Event::Failed { ticket, error } => {
                    if let Some(u) = self.unsaved.iter_mut().find(|u| u.ticket == ticket) {
                        u.state = Saving::Failed(error.clone());
                    }
                    if self.last.as_ref().is_some_and(|(t, _)| *t == ticket) {
                        self.last = Some((ticket, Saving::Failed(error.clone())));
                    }
                    self.error = Some(error);
                }
                Event::Annotated(call) => {
                    if let Some(c) = self.today.iter_mut().find(|c| c.id == call.id) {
                        *c = call;
                    }
                    self.generation += 1;
                }
                Event::Today(calls) => {
                    self.today = calls;
                    self.error = None;
                }
                Event::Error(e) => self.error = Some(e),
            }
        }
    }

    /// Records a confirmed call; returns its ticket.
    pub fn record(&mut self, call: NewCall) -> u64 {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let state = match &self.worker {
            Some(w)
                if w.send(Request::Append {
                    ticket,
                    call: call.clone(),
                }) =>
            {
                Saving::Pending
            }
            _ => Saving::Failed(
                self.error
                    .clone()
                    .unwrap_or_else(|| Message::new("接警记录线程已停止", "the call log stopped")),
            ),
        };
        self.last = Some((ticket, state.clone()));
        self.unsaved.push(Unsaved {
            ticket,
            call,
            state,
        });
        ticket
    }

    /// The state of the most recent recorded call, if it is `ticket`.
    #[must_use]
    pub fn status(&self, ticket: u64) -> Option<&Saving> {
        self.last
            .as_ref()
            .filter(|(t, _)| *t == ticket)
            .map(|(_, s)| s)
    }

    /// Today's saved calls, newest first.
    #[must_use]
    pub fn today(&self) -> &[Call] {
        &self.today
    }

    /// True while some call is sent and not yet saved.
    #[must_use]
    pub fn has_pending(&self) -> bool {
        self.unsaved.iter().any(|u| u.state == Saving::Pending)
    }

    /// Why the log is unavailable, if it is.
    #[must_use]
    pub fn error(&self) -> Option<&Message> {
        self.error.as_ref()
    }

    fn start_editing(&mut self, call: &Call) {
        self.editing = Some(call.id);
        self.note.clone_from(&call.note);
        self.incident_type.clone_from(&call.incident_type);
    }

    fn retry(&mut self, ticket: u64) {
        let Some(worker) = &self.worker else { return };
        if let Some(u) = self.unsaved.iter_mut().find(|u| u.ticket == ticket)
            && worker.send(Request::Append {
                ticket,
                call: u.call.clone(),
            })
        {
            u.state = Saving::Pending;
            self.last = Some((ticket, Saving::Pending));
        }
    }

    fn refresh_shown(&mut self) {
        let key = (self.filter.clone(), self.today.len(), self.generation);
        if self.shown_for.as_ref() == Some(&key) {
            return;
        }
        self.shown = self
            .today
            .iter()
            .enumerate()
            .filter(|(_, c)| c.matches(&self.filter))
            .map(|(i, _)| i)
            .collect();
        self.shown_for = Some(key);
    }

    /// Draws the panel: unsaved calls first (with retry), the note editor, then today's calls.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        t: &Strings,
        pal: theme::Palette,
        operator: &str,
    ) -> Option<Command> {
        let mut action = None;
        ui.heading(format!("{} ({})", t.calls_today, self.today.len()));
        if let Some(e) = &self.error {
            ui.colored_label(
                pal.warning,
                format!("{}{}", t.calls_error, e.in_lang(t.lang)),
            );
        }
        let mut retry = None;
        for u in &self.unsaved {
            if let Saving::Failed(e) = &u.state {
                ui.colored_label(
                    pal.warning,
                    format!(
                        "× {} {} · {}{}",
                        u.call.code,
                        u.call.street,
                        t.not_saved,
                        e.in_lang(t.lang)
                    ),
                );
                if ui.button(t.retry).clicked() {
                    retry = Some(u.ticket);
                }
            }
        }
        if let Some(ticket) = retry {
            self.retry(ticket);
        }
        self.note_editor(ui, t, operator);
        ui.separator();
        ui.add(
            egui::TextEdit::singleline(&mut self.filter)
                .hint_text(t.calls_filter_hint)
                .desired_width(f32::INFINITY)
                .id_salt("calls-filter"),
        );
        self.refresh_shown();
        if self.today.is_empty() {
            ui.label(RichText::new(t.no_calls).weak());
        }
        // Only the rows in view are laid out: a busy shift's hundreds of calls cost nothing.
        let row_height = ui
            .text_style_height(&egui::TextStyle::Body)
            .max(theme::RESULT_SIZE * 1.25)
            + ui.spacing().button_padding.y * 2.0;
        egui::ScrollArea::vertical()
            .id_salt("calls-list")
            .show_rows(ui, row_height, self.shown.len(), |ui, rows| {
                for &i in &self.shown[rows] {
                    let c = &self.today[i];
                    let kind = if c.incident_type.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", incident_label(t, &c.incident_type))
                    };
                    let line = format!(
                        "{}  {}  {} {}{kind}",
                        c.local_time(),
                        c.call.code,
                        c.call.street,
                        c.call.pole_no.map_or(String::new(), |n| format!("#{n}")),
                    );
                    let selected = self.editing == Some(c.id);
                    let r = ui
                        .add(
                            egui::Button::selectable(
                                selected,
                                RichText::new(line).size(theme::RESULT_SIZE),
                            )
                            .truncate(),
                        )
                        .on_hover_text(&c.call.readback);
                    if r.clicked() {
                        action = Some((Command::ShowCode(c.call.code.clone()), i));
                    }
                }
            });
        action.map(|(a, i)| {
            let call = self.today[i].clone();
            self.start_editing(&call);
            a
        })
    }

    fn note_editor(&mut self, ui: &mut Ui, t: &Strings, operator: &str) {
        let Some(id) = self.editing else { return };
        let Some(call) = self.today.iter().find(|c| c.id == id) else {
            return;
        };
        ui.separator();
        ui.label(
            RichText::new(format!(
                "{} · {} {}",
                call.local_time(),
                call.call.code,
                call.call.street
            ))
            .strong(),
        );
        let saved = call.note == self.note && call.incident_type == self.incident_type;
        ui.horizontal(|ui| {
            egui::ComboBox::new("incident-type", t.incident_type)
                .selected_text(if self.incident_type.is_empty() {
                    "-"
                } else {
                    incident_label(t, &self.incident_type)
                })
                .show_ui(ui, |ui| {
                    // The log stores the Chinese name whatever the window's language, so
                    // that one shift report never mixes languages.
                    // The first entry is "none", stored as ''.
                    for (i, (stored, shown)) in
                        ZH.incident_types.iter().zip(t.incident_types).enumerate()
                    {
                        let stored = if i == 0 { "" } else { *stored };
                        ui.selectable_value(&mut self.incident_type, stored.to_owned(), *shown);
                    }
                });
        });
        let label = ui.label(t.note);
        let note = ui
            .add(
                egui::TextEdit::multiline(&mut self.note)
                    .hint_text(t.note_hint)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY)
                    .id_salt("call-note"),
            )
            .labelled_by(label.id);
        let save_keys = note.has_focus()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter));
        ui.horizontal(|ui| {
            let clicked = ui
                .add_enabled(!saved, egui::Button::new(t.save_note))
                .clicked();
            if (clicked || save_keys)
                && !saved
                && let Some(w) = &self.worker
            {
                let _ = w.send(Request::Annotate {
                    id,
                    operator: operator.to_owned(),
                    incident_type: self.incident_type.clone(),
                    note: self.note.clone(),
                });
            }
            if saved && !(self.note.is_empty() && self.incident_type.is_empty()) {
                ui.label(RichText::new(t.note_saved).weak());
            }
        });
    }
}

/// The name of a stored incident type (Chinese) in the window's language; text from elsewhere
/// (an older log) is shown as it is.
fn incident_label<'a>(t: &'a Strings, stored: &'a str) -> &'a str {
    ZH.incident_types
        .iter()
        .position(|k| *k == stored)
        .and_then(|i| t.incident_types.get(i).copied())
        .unwrap_or(stored)
}
