//! Supervisor mode (值班长): behind the supervisor password, import a file (check first, then
//! apply), review what would change, and see or undo data versions.
//!
//! Every disk or SQLite step (checking the password, reading the file, applying, undoing)
//! runs on a worker thread; the window keeps answering lookups meanwhile. When an import or
//! undo is applied, the window's data watcher notices the new data version and swaps the
//! index in the background.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

use egui::{RichText, Ui};

use super::i18n::{Strings, SupervisorStrings};
use super::theme;
use crate::import::{self, Change, Crs, Options, Report, VersionInfo};
use crate::readback::Lang;
use crate::store::auth::AuthError;
use crate::store::{Access, Store};

/// Encodings offered (label for [`import::read::parse_encoding`]; "auto" detects).
const ENCODINGS: [&str; 6] = [
    "auto",
    "utf-8",
    "gb18030",
    "utf-16le",
    "utf-16be",
    "windows-1252",
];
/// Datums offered.
const DATUMS: [&str; 3] = ["wgs84", "gcj02", "bd09"];

enum Job {
    Probe(bool),
    Unlocked,
    PasswordSet,
    Checked(Box<Report>),
    Applied(Box<Report>),
    Versions(Vec<VersionInfo>),
    Undone(i64, i64),
    Failed(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    /// Asking the database whether a password is set.
    Probing,
    /// No password yet: set one.
    NoPassword,
    /// Ask for it.
    Locked,
    /// Supervisor mode.
    Unlocked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Import,
    History,
}

/// Which rows of the review to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Show {
    Changes,
    Rejected,
    Warnings,
}

/// The supervisor window's state.
pub struct Supervisor {
    db: PathBuf,
    lock: Lock,
    password: String,
    again: String,
    job: Option<(Receiver<Job>, &'static str)>,
    message: Option<(String, bool)>,
    tab: Tab,
    file: String,
    encoding: usize,
    datum: usize,
    map: String,
    replace_streets: bool,
    allow_partial: bool,
    note: String,
    report: Option<Report>,
    /// The file and settings the report was made with; Apply needs a fresh check otherwise.
    checked: Option<String>,
    show: Show,
    filter: String,
    sort_by_code: bool,
    versions: Vec<VersionInfo>,
    /// Bumped whenever `report` changes.
    report_gen: u64,
    /// The review lines for `(report_gen, show, filter, sort, lang)`: a report may list
    /// 200,000 changes, too many to format each frame.
    lines: Vec<String>,
    lines_for: Option<(u64, Show, String, bool, Lang)>,
}

/// A pole whose position the report under review changes: its code and the new latitude and
/// longitude where the file gives them (the other one stays as stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    /// The code.
    pub code: String,
    /// New latitude, if it changes.
    pub lat_deg: Option<f64>,
    /// New longitude, if it changes.
    pub lon_deg: Option<f64>,
}

/// The poles of a report that move (at most a few thousand are drawn).
#[must_use]
pub fn moved_poles(r: &Report, limit: usize) -> Vec<Moved> {
    r.changes
        .iter()
        .filter(|c| c.op == "change")
        .filter_map(|c| {
            let get = |f: &str| {
                c.fields
                    .iter()
                    .find(|x| x.field == f)
                    .and_then(|x| x.after.trim().parse::<f64>().ok())
            };
            let (lat_deg, lon_deg) = (get("lat_deg"), get("lon_deg"));
            (lat_deg.is_some() || lon_deg.is_some()).then(|| Moved {
                code: c.code.clone(),
                lat_deg,
                lon_deg,
            })
        })
        .take(limit)
        .collect()
}

impl Supervisor {
    /// Opens supervisor mode on the database at `db`; asks it (on a worker) whether a
    /// password is set.
    #[must_use]
    pub fn new(db: PathBuf, ctx: &egui::Context) -> Self {
        let mut s = Self {
            db,
            lock: Lock::Probing,
            password: String::new(),
            again: String::new(),
            job: None,
            message: None,
            tab: Tab::Import,
            file: String::new(),
            encoding: 0,
            datum: 0,
            map: String::new(),
            replace_streets: false,
            allow_partial: false,
            note: String::new(),
            report: None,
            checked: None,
            show: Show::Changes,
            filter: String::new(),
            sort_by_code: false,
            versions: Vec::new(),
            report_gen: 0,
            lines: Vec::new(),
            lines_for: None,
        };
        let db = s.db.clone();
        s.spawn(ctx, "probe", move || {
            match Store::open(&db, Access::ReadOnly).and_then(|st| st.has_supervisor_password()) {
                Ok(set) => Job::Probe(set),
                Err(e) => Job::Failed(e.to_string()),
            }
        });
        s
    }

    /// The report under review, if any.
    #[must_use]
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref().filter(|r| r.dry_run)
    }

    /// Bumped whenever the report changes.
    #[must_use]
    pub fn report_generation(&self) -> u64 {
        self.report_gen
    }

    /// True once the password was given.
    #[must_use]
    pub fn unlocked(&self) -> bool {
        self.lock == Lock::Unlocked
    }

    fn spawn(
        &mut self,
        ctx: &egui::Context,
        what: &'static str,
        f: impl FnOnce() -> Job + Send + 'static,
    ) {
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let started = std::thread::Builder::new()
            .name(format!("supervisor-{what}"))
            .spawn(move || {
                let _ = tx.send(f());
                ctx.request_repaint();
            });
        match started {
            Ok(_) => self.job = Some((rx, what)),
            Err(e) => self.message = Some((e.to_string(), false)),
        }
    }

    fn poll(&mut self, t: &SupervisorStrings) {
        let Some((rx, _)) = &self.job else { return };
        let Ok(done) = rx.try_recv() else { return };
        self.job = None;
        match done {
            Job::Probe(set) => {
                self.lock = if set { Lock::Locked } else { Lock::NoPassword };
            }
            Job::Unlocked | Job::PasswordSet => {
                self.lock = Lock::Unlocked;
                self.password.clear();
                self.again.clear();
                self.message = None;
            }
            Job::Checked(r) => {
                self.message = None;
                self.report = Some(*r);
                self.report_gen += 1;
            }
            Job::Applied(r) => {
                self.message = Some(match (r.applied, r.version) {
                    (true, Some(v)) => (t.applied.replace("{v}", &v.to_string()), true),
                    _ => (
                        r.not_applied_reason
                            .clone()
                            .unwrap_or_else(|| t.not_applied.to_owned()),
                        false,
                    ),
                });
                self.report = Some(*r);
                self.report_gen += 1;
                self.checked = None;
            }
            Job::Versions(v) => self.versions = v,
            Job::Undone(undone, version) => {
                self.message = Some((
                    t.undone
                        .replace("{u}", &undone.to_string())
                        .replace("{v}", &version.to_string()),
                    true,
                ));
            }
            Job::Failed(e) => {
                self.password.clear();
                self.message = Some((e, false));
            }
        }
    }

    fn options(&self, dry_run: bool, operator: &str) -> Result<Options, String> {
        let encoding = import::read::parse_encoding(ENCODINGS[self.encoding])?;
        let map = if self.map.trim().is_empty() {
            Vec::new()
        } else {
            import::parse_map_specs(std::slice::from_ref(&self.map))?
        };
        Ok(Options {
            map,
            encoding,
            crs: Crs::parse(DATUMS[self.datum]),
            replace_streets: self.replace_streets,
            allow_partial: self.allow_partial,
            dry_run,
            note: self.note.clone(),
            applied_by: if operator.trim().is_empty() {
                "supervisor".to_owned()
            } else {
                operator.trim().to_owned()
            },
            ..Options::default()
        })
    }

    /// What the check was made with: a different file or setting needs a new check.
    fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.file.trim(),
            self.encoding,
            self.datum,
            self.map,
            self.replace_streets,
            self.allow_partial
        )
    }

    fn run_import(&mut self, ctx: &egui::Context, dry_run: bool, operator: &str) {
        let opts = match self.options(dry_run, operator) {
            Ok(o) => o,
            Err(e) => {
                self.message = Some((e, false));
                return;
            }
        };
        let file = PathBuf::from(self.file.trim());
        let db = self.db.clone();
        if dry_run {
            self.checked = Some(self.fingerprint());
        }
        self.spawn(ctx, if dry_run { "check" } else { "apply" }, move || {
            let r = Store::open(&db, Access::ReadWrite)
                .map_err(|e| e.to_string())
                .and_then(|mut st| {
                    import::import_path(&mut st, &file, &opts).map_err(|e| e.to_string())
                });
            match r {
                Ok(r) if dry_run => Job::Checked(Box::new(r)),
                Ok(r) => Job::Applied(Box::new(r)),
                Err(e) => Job::Failed(e),
            }
        });
    }

    fn load_versions(&mut self, ctx: &egui::Context) {
        let db = self.db.clone();
        self.spawn(ctx, "versions", move || {
            match Store::open(&db, Access::ReadOnly)
                .map_err(|e| e.to_string())
                .and_then(|st| import::versions(&st).map_err(|e| e.to_string()))
            {
                Ok(v) => Job::Versions(v),
                Err(e) => Job::Failed(e),
            }
        });
    }

    /// Draws supervisor mode; returns false when the supervisor closed it.
    pub fn show(&mut self, ctx: &egui::Context, t: &Strings, lang: Lang, operator: &str) -> bool {
        let s = t.sup;
        self.poll(s);
        let mut open = true;
        egui::Window::new(s.title)
            .open(&mut open)
            .default_size([860.0, 600.0])
            .collapsible(false)
            .show(ctx, |ui| {
                if let Some((what, ok)) = &self.message {
                    let pal = theme::palette(ui.visuals().dark_mode);
                    ui.colored_label(if *ok { pal.ok } else { pal.warning }, what);
                }
                if let Some((_, what)) = &self.job {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(format!("{} ({what})", s.working));
                    });
                }
                match self.lock {
                    Lock::Probing => {}
                    Lock::NoPassword => self.set_password_form(ui, s),
                    Lock::Locked => self.unlock_form(ui, s),
                    Lock::Unlocked => self.unlocked_view(ui, s, lang, operator),
                }
            });
        open
    }

    fn set_password_form(&mut self, ui: &mut Ui, s: &SupervisorStrings) {
        ui.label(s.first_time);
        let l1 = ui.label(s.new_password);
        ui.add(
            egui::TextEdit::singleline(&mut self.password)
                .password(true)
                .id_salt("sup-new"),
        )
        .labelled_by(l1.id);
        let l2 = ui.label(s.again);
        ui.add(
            egui::TextEdit::singleline(&mut self.again)
                .password(true)
                .id_salt("sup-again"),
        )
        .labelled_by(l2.id);
        if ui
            .add_enabled(self.job.is_none(), egui::Button::new(s.set_password))
            .clicked()
        {
            if self.password != self.again {
                self.message = Some((s.passwords_differ.to_owned(), false));
                return;
            }
            let (db, new) = (self.db.clone(), self.password.clone());
            self.spawn(ui.ctx(), "password", move || {
                match Store::open(&db, Access::ReadWrite)
                    .map_err(AuthError::from)
                    .and_then(|mut st| st.set_supervisor_password(&new, None))
                {
                    Ok(()) => Job::PasswordSet,
                    Err(e) => Job::Failed(e.to_string()),
                }
            });
        }
    }

    fn unlock_form(&mut self, ui: &mut Ui, s: &SupervisorStrings) {
        let l = ui.label(s.password);
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut self.password)
                    .password(true)
                    .id_salt("sup-password"),
            )
            .labelled_by(l.id);
        let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui
            .add_enabled(self.job.is_none(), egui::Button::new(s.unlock))
            .clicked()
            || enter)
            && self.job.is_none()
        {
            let (db, p) = (self.db.clone(), self.password.clone());
            self.spawn(ui.ctx(), "password", move || {
                match Store::open(&db, Access::ReadWrite)
                    .map_err(AuthError::from)
                    .and_then(|mut st| st.verify_supervisor(&p))
                {
                    Ok(()) => Job::Unlocked,
                    Err(e) => Job::Failed(e.to_string()),
                }
            });
        }
    }

    fn unlocked_view(&mut self, ui: &mut Ui, s: &SupervisorStrings, lang: Lang, operator: &str) {
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.tab, Tab::Import, s.import_tab);
            if ui
                .selectable_value(&mut self.tab, Tab::History, s.history_tab)
                .clicked()
            {
                self.load_versions(ui.ctx());
            }
        });
        ui.separator();
        match self.tab {
            Tab::Import => self.import_view(ui, s, lang, operator),
            Tab::History => self.history_view(ui, s),
        }
    }

    fn import_view(&mut self, ui: &mut Ui, s: &SupervisorStrings, lang: Lang, operator: &str) {
        let idle = self.job.is_none();
        egui::Grid::new("sup-form").num_columns(2).show(ui, |ui| {
            let l = ui.label(s.file);
            ui.add(
                egui::TextEdit::singleline(&mut self.file)
                    .hint_text(s.file_hint)
                    .desired_width(520.0)
                    .id_salt("sup-file"),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(s.encoding);
            egui::ComboBox::from_id_salt("sup-encoding")
                .selected_text(if self.encoding == 0 {
                    s.auto
                } else {
                    ENCODINGS[self.encoding]
                })
                .show_ui(ui, |ui| {
                    for (i, e) in ENCODINGS.iter().enumerate() {
                        ui.selectable_value(&mut self.encoding, i, if i == 0 { s.auto } else { e });
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(s.datum);
            egui::ComboBox::from_id_salt("sup-datum")
                .selected_text(DATUMS[self.datum])
                .show_ui(ui, |ui| {
                    for (i, d) in DATUMS.iter().enumerate() {
                        ui.selectable_value(&mut self.datum, i, *d);
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(s.mapping);
            ui.add(
                egui::TextEdit::singleline(&mut self.map)
                    .hint_text("code={RD_CD}-{LAMPPOST_N},street=路名")
                    .desired_width(520.0)
                    .id_salt("sup-map"),
            )
            .labelled_by(l.id);
            ui.end_row();
            let l = ui.label(s.note);
            ui.add(
                egui::TextEdit::singleline(&mut self.note)
                    .desired_width(520.0)
                    .id_salt("sup-note"),
            )
            .labelled_by(l.id);
            ui.end_row();
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.replace_streets, s.replace_streets);
            ui.checkbox(&mut self.allow_partial, s.allow_partial);
        });
        let fresh = self.checked.as_deref() == Some(self.fingerprint().as_str());
        let can_apply = fresh
            && self.report.as_ref().is_some_and(|r| {
                r.dry_run
                    && (r.rejected_total == 0 || self.allow_partial)
                    && r.added + r.changed + r.removed > 0
            });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    idle && !self.file.trim().is_empty(),
                    egui::Button::new(s.check),
                )
                .clicked()
            {
                self.run_import(ui.ctx(), true, operator);
            }
            if ui
                .add_enabled(idle && can_apply, egui::Button::new(s.apply))
                .on_disabled_hover_text(s.apply_needs_check)
                .clicked()
            {
                self.run_import(ui.ctx(), false, operator);
            }
            if ui
                .add_enabled(self.report.is_some(), egui::Button::new(s.cancel))
                .clicked()
            {
                self.report = None;
                self.checked = None;
            }
        });
        ui.separator();
        if self.report.is_some() {
            self.review(ui, s, lang);
        }
    }

    /// The review of a check or an apply: counts, detected format and mapping, then the
    /// filterable, sortable list of changes, errors or warnings.
    fn review(&mut self, ui: &mut Ui, s: &SupervisorStrings, lang: Lang) {
        let Some(r) = &self.report else { return };
        let show = &mut self.show;
        let filter = &mut self.filter;
        let sort_by_code = &mut self.sort_by_code;
        ui.label(
            RichText::new(
                s.summary
                    .replace("{rows}", &r.rows.to_string())
                    .replace("{added}", &r.added.to_string())
                    .replace("{changed}", &r.changed.to_string())
                    .replace("{unchanged}", &r.unchanged.to_string())
                    .replace("{removed}", &r.removed.to_string())
                    .replace("{rejected}", &r.rejected_total.to_string())
                    .replace("{warnings}", &r.warnings_total.to_string()),
            )
            .strong(),
        );
        let mapping: Vec<String> = r.mapping.iter().map(|(k, v)| format!("{k}←{v}")).collect();
        ui.label(format!(
            "{}: {} · {}: {} · {}: {} · {}: {}",
            s.detected_format,
            r.format,
            s.encoding,
            r.encoding,
            s.delimiter,
            r.delimiter.unwrap_or("-"),
            s.datum,
            r.crs
        ));
        ui.label(RichText::new(format!("{}: {}", s.mapping, mapping.join("  "))).small());
        ui.horizontal(|ui| {
            ui.selectable_value(
                show,
                Show::Changes,
                format!("{} ({})", s.changes, r.changes.len()),
            );
            ui.selectable_value(
                show,
                Show::Rejected,
                format!("{} ({})", s.rejected, r.rejected_total),
            );
            ui.selectable_value(
                show,
                Show::Warnings,
                format!("{} ({})", s.warnings, r.warnings_total),
            );
            ui.separator();
            ui.add(
                egui::TextEdit::singleline(filter)
                    .hint_text(s.filter_hint)
                    .desired_width(200.0)
                    .id_salt("sup-filter"),
            );
            ui.checkbox(sort_by_code, s.sort_by_code);
        });
        let key = (self.report_gen, *show, filter.clone(), *sort_by_code, lang);
        if self.lines_for.as_ref() != Some(&key) {
            self.lines = review_lines(r, s, lang, *show, filter, *sort_by_code);
            self.lines_for = Some(key);
        }
        let row_h = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
        egui::ScrollArea::vertical()
            .id_salt("sup-review")
            .show_rows(ui, row_h, self.lines.len(), |ui, rows| {
                for l in &self.lines[rows] {
                    ui.add(egui::Label::new(RichText::new(l).monospace()).truncate());
                }
            });
    }

    fn history_view(&mut self, ui: &mut Ui, s: &SupervisorStrings) {
        if ui
            .add_enabled(self.job.is_none(), egui::Button::new(s.refresh))
            .clicked()
        {
            self.load_versions(ui.ctx());
        }
        let mut undo = None;
        egui::ScrollArea::vertical()
            .id_salt("sup-versions")
            .show(ui, |ui| {
                egui::Grid::new("sup-versions-grid")
                    .striped(true)
                    .num_columns(6)
                    .show(ui, |ui| {
                        for h in [s.version, s.when, s.who, s.source, s.counts, ""] {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for v in self.versions.iter().rev() {
                            ui.label(v.version.to_string());
                            ui.label(v.applied_at.replace('T', " "));
                            ui.label(&v.applied_by);
                            ui.label(format!("{} {}", v.source_name, v.note));
                            ui.label(format!("+{} ~{} -{}", v.added, v.changed, v.removed));
                            if v.version > 1
                                && ui
                                    .add_enabled(self.job.is_none(), egui::Button::new(s.undo))
                                    .clicked()
                            {
                                undo = Some(v.version);
                            }
                            ui.end_row();
                        }
                    });
            });
        if let Some(version) = undo {
            let db = self.db.clone();
            self.spawn(ui.ctx(), "undo", move || {
                let r = Store::open(&db, Access::ReadWrite)
                    .map_err(|e| e.to_string())
                    .and_then(|mut st| {
                        import::undo(&mut st, version, "supervisor", "").map_err(|e| e.to_string())
                    });
                match r {
                    Ok(r) => Job::Undone(r.undone, r.version),
                    Err(e) => Job::Failed(e),
                }
            });
        }
    }
}

/// The review of a check or an apply: counts, detected format, then the filterable list.
fn review_lines(
    r: &Report,
    s: &SupervisorStrings,
    lang: Lang,
    show: Show,
    filter: &str,
    sort_by_code: bool,
) -> Vec<String> {
    let needle = filter.trim().to_lowercase();
    match show {
        Show::Changes => {
            let mut v: Vec<&Change> = r
                .changes
                .iter()
                .filter(|c| {
                    needle.is_empty()
                        || c.code.to_lowercase().contains(&needle)
                        || c.op.contains(&needle)
                })
                .collect();
            if sort_by_code {
                v.sort_by(|a, b| a.code.cmp(&b.code));
            }
            v.iter()
                .map(|c| {
                    let op = match c.op {
                        "add" => s.op_add,
                        "change" => s.op_change,
                        _ => s.op_remove,
                    };
                    let fields: Vec<String> = c
                        .fields
                        .iter()
                        .map(|f| format!("{}: {} → {}", f.field, f.before, f.after))
                        .collect();
                    format!(
                        "{:>6}  {op}  {}  {}",
                        c.line.map_or("-".into(), |l| l.to_string()),
                        c.code,
                        fields.join("; ")
                    )
                })
                .collect()
        }
        Show::Rejected | Show::Warnings => {
            let list = if show == Show::Rejected {
                &r.rejected
            } else {
                &r.warnings
            };
            list.iter()
                .map(|f| {
                    let why = match lang {
                        Lang::Zh => &f.reason_zh,
                        Lang::En => &f.reason_en,
                    };
                    format!("{:>6}  {}  {why}", f.line, f.field)
                })
                .filter(|l| needle.is_empty() || l.to_lowercase().contains(&needle))
                .collect()
        }
    }
}
