//! Supervisor mode (值班长): behind the supervisor password, import a file (check first, then
//! apply), review what would change, and see or undo data versions.
//!
//! Every disk or SQLite step (checking the password, reading the file, applying, undoing)
//! runs on a worker thread; the window keeps answering lookups meanwhile. When an import or
//! undo is applied, the window's data watcher notices the new data version and swaps the
//! index in the background. When another program holds the database's write lock (an import
//! from the command line, a package install), the worker waits and retries, and the window says
//! it is waiting for the database, with the Stop button.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};

use egui::{RichText, Ui};

use super::command::Command;
use super::file_dialog::{FileDialog, Outcome};
use super::i18n::{Strings, SupervisorStrings};
use super::theme;
use lamppost_core::readback::Lang;
use lamppost_core::words::{Message, Words};
use lamppost_data::store::auth::AuthError;
use lamppost_data::store::{Access, Store, StoreError};
use lamppost_import::{
    self, Change, Crs, Field, ImportControl, ImportError, MapSpec, Options, Preview, Report,
    SavedMapping, SettingError, Stage, VersionInfo,
};

/// Encodings offered (label for [`import::read::parse_encoding`]; "auto" detects).
const ENCODINGS: [&str; 8] = [
    "auto",
    "utf-8",
    "gb18030",
    "big5",
    "shift_jis",
    "utf-16le",
    "utf-16be",
    "windows-1252",
];
/// CRSs always offered (the first is the default: the file's own CRS, else WGS-84). A check that
/// finds metres with no CRS adds the one it guesses (`crs_choices`).
const DATUMS: [&str; 4] = ["wgs84", "cgcs2000", "gcj02", "bd09"];
/// Rows shown in the preview.
const PREVIEW_ROWS: usize = 5;
/// Columns shown in the preview (a file may have up to `import::read::MAX_COLUMNS`).
const MAX_PREVIEW_COLUMNS: usize = 60;
/// Characters shown of a preview cell: a hostile file's 1 MB cell is not laid out whole.
const MAX_CELL_CHARS: usize = 120;

/// The start of a cell, with an ellipsis when cut.
/// A CRS as offered in the list: `EPSG:4528 CGCS2000 / 3-degree Gauss-Kruger zone 40`, `gcj02`.
fn crs_label(word: &str) -> String {
    Crs::parse(word).map_or_else(|_| word.to_owned(), |c| c.label())
}

/// The paths in the file box: one, or several separated by `;` (a folder stands for its files).
fn paths_of(text: &str) -> Vec<PathBuf> {
    text.split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect()
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

enum Job {
    Probe(bool),
    Unlocked,
    PasswordSet,
    Mappings(Vec<(String, SavedMapping)>),
    MappingSaved(String, Vec<(String, SavedMapping)>),
    Checked(Box<Report>),
    Applied(Box<Report>),
    Versions(Vec<VersionInfo>),
    Undone(i64, i64),
    Stopped,
    Failed(Message),
}

/// Where a field's value comes from, as chosen in the mapping table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The column recognised by its header, if any (no `--map` item).
    Auto,
    /// A column, by name.
    Column(String),
    /// A template of columns: `{RD_CD}-{LAMPPOST_N}`.
    Template(String),
}

/// The mapping table's choices as `--map` items.
#[must_use]
pub fn specs_of(sources: &[Source; 13]) -> Vec<MapSpec> {
    Field::ALL
        .into_iter()
        .zip(sources)
        .filter_map(|(f, s)| match s {
            Source::Auto => None,
            Source::Column(c) => Some((f, c.clone())),
            Source::Template(t) if t.trim().is_empty() => None,
            Source::Template(t) => Some((f, t.trim().to_owned())),
        })
        .collect()
}

/// A saved mapping's items back as the table's choices.
#[must_use]
pub fn sources_of(specs: &[MapSpec]) -> [Source; 13] {
    let mut out: [Source; 13] = std::array::from_fn(|_| Source::Auto);
    for (f, rhs) in specs {
        // A template, or a constant (`=VALUE`), is edited in the template box.
        out[*f as usize] = if rhs.contains('{') || rhs.starts_with('=') {
            Source::Template(rhs.clone())
        } else {
            Source::Column(rhs.clone())
        };
    }
    out
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

/// The review table's sort column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Line,
    Kind,
    Code,
}

/// What the review rows were made for: report generation, list, filter, sort, language.
type ReviewKey = (u64, Show, String, (SortBy, bool), Lang);

/// One line of the review table.
#[derive(Debug, Clone, PartialEq)]
struct ReviewRow {
    line: Option<u64>,
    kind: &'static str,
    code: String,
    detail: String,
}

/// Each field's values in the preview rows, or why the mapping does not fit the header.
type Sample = Result<Vec<(Field, Vec<String>)>, lamppost_import::Finding>;

/// What the preview worker sends: the preview of the first file, and every file named.
type PreviewDone = (Result<Preview, Message>, Vec<PathBuf>);

/// What the file dialog's pick does to the file box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    /// Replaces what it holds.
    Replace,
    /// Adds to the files it names (several files are one data version).
    Add,
}

/// The preview of the file being set up: for which file and encoding, and what came back.
struct PreviewState {
    for_file: (String, usize, Option<String>),
    result: Option<Result<Preview, Message>>,
    /// The files the box names (a folder's files), the first previewed.
    files: Vec<PathBuf>,
    job: Option<Receiver<PreviewDone>>,
    /// The columns recognised by their headers (fixed for a preview).
    recognised: Vec<(Field, usize)>,
    /// The first row's value of each field under `specs`, made again only when the mapping
    /// table changes, not every frame.
    sample: Option<(Vec<MapSpec>, Sample)>,
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
    /// The workbook sheet or GeoPackage layer chosen in the preview; `None` for the default.
    sheet: Option<String>,
    datum: usize,
    /// The CRSs offered: [`DATUMS`], then the likely ones checks have named (`EPSG:4528`…).
    crs_choices: Vec<String>,
    /// The mapping table, one choice per field (`Field::ALL` order).
    sources: [Source; 13],
    saved: Vec<(String, SavedMapping)>,
    save_name: String,
    replace_streets: bool,
    allow_partial: bool,
    /// Apply moves of surveyed poles beyond the limit or out of the region.
    allow_moves: bool,
    note: String,
    dialog: Option<FileDialog>,
    /// What the file picked in the dialog does to the file box.
    dialog_pick: Pick,
    preview: Option<PreviewState>,
    /// Open or close the file-and-mapping section next frame.
    setup_open: Option<bool>,
    /// Progress and cancel of the running check or apply.
    control: Option<Arc<ImportControl>>,
    /// Set while the running check or apply waits for another program's write lock.
    waiting: Arc<AtomicBool>,
    report: Option<Report>,
    /// The file and settings the report was made with; Apply needs a fresh check otherwise.
    checked: Option<String>,
    show: Show,
    filter: String,
    sort: (SortBy, bool),
    versions: Vec<VersionInfo>,
    /// Bumped whenever `report` changes.
    report_gen: u64,
    /// The review rows for `(report_gen, show, filter, sort, lang)`: a report may list
    /// 200,000 changes, too many to format each frame.
    rows: Vec<ReviewRow>,
    rows_for: Option<ReviewKey>,
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
        .filter(|c| c.op == lamppost_import::ChangeOp::Change)
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
            sheet: None,
            datum: 0,
            crs_choices: DATUMS.map(str::to_owned).to_vec(),
            sources: std::array::from_fn(|_| Source::Auto),
            saved: Vec::new(),
            save_name: String::new(),
            replace_streets: false,
            allow_partial: false,
            allow_moves: false,
            note: String::new(),
            dialog: None,
            dialog_pick: Pick::Replace,
            preview: None,
            setup_open: None,
            control: None,
            waiting: Arc::new(AtomicBool::new(false)),
            report: None,
            checked: None,
            show: Show::Changes,
            filter: String::new(),
            sort: (SortBy::Line, true),
            versions: Vec::new(),
            report_gen: 0,
            rows: Vec::new(),
            rows_for: None,
        };
        let db = s.db.clone();
        s.spawn(ctx, "probe", move || {
            match Store::open(&db, Access::ReadOnly).and_then(|st| st.has_supervisor_password()) {
                Ok(set) => Job::Probe(set),
                Err(e) => Job::Failed(e.message()),
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

    fn poll(&mut self, ctx: &egui::Context, t: &SupervisorStrings) {
        self.poll_preview();
        let Some((rx, _)) = &self.job else { return };
        let Ok(done) = rx.try_recv() else { return };
        self.job = None;
        self.control = None;
        match done {
            Job::Probe(set) => {
                self.lock = if set { Lock::Locked } else { Lock::NoPassword };
            }
            Job::Unlocked | Job::PasswordSet => {
                self.lock = Lock::Unlocked;
                self.password.clear();
                self.again.clear();
                self.message = None;
                self.load_mappings(ctx);
            }
            Job::Mappings(m) => self.saved = m,
            Job::MappingSaved(name, m) => {
                self.saved = m;
                self.message = Some((t.mapping_saved.replace("{name}", &name), true));
            }
            Job::Checked(r) => {
                self.message = None;
                // Metres with no CRS: offer the CRS the check guessed.
                for f in &r.rejected {
                    if let lamppost_import::FindingKind::ProjectedWithoutCrs {
                        guess: Some(g),
                        ..
                    } = &f.kind
                    {
                        self.crs_choice(g);
                    }
                }
                self.report = Some(*r);
                self.report_gen += 1;
                self.setup_open = Some(false);
            }
            Job::Applied(r) => {
                self.message = Some(match (r.applied, r.version) {
                    (true, Some(v)) => (t.applied.replace("{v}", &v.to_string()), true),
                    _ => (
                        r.not_applied
                            .map_or_else(|| t.not_applied.to_owned(), |why| why.words(t.lang)),
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
            Job::Stopped => {
                self.checked = None;
                self.message = Some((t.stopped.to_owned(), false));
            }
            Job::Failed(e) => {
                self.password.clear();
                self.message = Some((e.in_lang(t.lang), false));
            }
        }
    }

    fn poll_preview(&mut self) {
        let Some(p) = &mut self.preview else { return };
        let Some(rx) = &p.job else { return };
        if let Ok((r, files)) = rx.try_recv() {
            p.recognised = r.as_ref().map(Preview::recognised).unwrap_or_default();
            p.sample = None;
            // The CRSs the coordinates may be in join the list to choose from.
            let likely: Vec<String> = r
                .as_ref()
                .ok()
                .and_then(Preview::coordinates)
                .map(|c| c.likely.iter().map(Crs::word).collect())
                .unwrap_or_default();
            p.result = Some(r);
            p.files = files;
            p.job = None;
            for w in likely {
                self.crs_choice(&w);
            }
        }
    }

    /// Reads the head of the file on a worker, when the file or encoding changed since the
    /// last preview.
    fn refresh_preview(&mut self, ctx: &egui::Context) {
        if self
            .preview
            .as_ref()
            .is_some_and(|p| p.for_file.0 != self.file.trim())
        {
            self.sheet = None; // another file: its own sheets
        }
        let key = (
            self.file.trim().to_owned(),
            self.encoding,
            self.sheet.clone(),
        );
        if key.0.is_empty() || self.preview.as_ref().is_some_and(|p| p.for_file == key) {
            return;
        }
        let sheet = self.sheet.clone();
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let paths = paths_of(&key.0);
        let label = ENCODINGS[self.encoding];
        let started = std::thread::Builder::new()
            .name("supervisor-preview".into())
            .spawn(move || {
                let files = lamppost_import::files_to_import(&paths)
                    .map_err(|e| Message::new("无法读取文件夹", "cannot read the folder").about(e));
                let first = files.as_ref().ok().and_then(|f| f.first().cloned());
                let r = files.as_ref().map_err(Clone::clone).and_then(|_| {
                    let file = first.unwrap_or_default();
                    lamppost_import::read::parse_encoding(label)
                        .map_err(|e| e.message())
                        .and_then(|enc| {
                            lamppost_import::preview_sheet(
                                lamppost_import::Input::Path(&file),
                                enc,
                                sheet.as_deref(),
                                PREVIEW_ROWS,
                            )
                            .map_err(|e| e.message())
                        })
                });
                let _ = tx.send((r, files.unwrap_or_default()));
                ctx.request_repaint();
            });
        self.preview = Some(PreviewState {
            for_file: key,
            result: started.as_ref().err().map(|e| {
                Err(Message::new("无法启动预览线程", "cannot start the preview").about(e))
            }),
            job: started.ok().map(|_| rx),
            files: Vec::new(),
            recognised: Vec::new(),
            sample: None,
        });
    }

    fn load_mappings(&mut self, ctx: &egui::Context) {
        let db = self.db.clone();
        self.spawn(ctx, "mappings", move || {
            match Store::open(&db, Access::ReadOnly)
                .map_err(|e| e.message())
                .and_then(|st| lamppost_import::saved_mappings(&st).map_err(|e| e.message()))
            {
                Ok(m) => Job::Mappings(m),
                Err(e) => Job::Failed(e),
            }
        });
    }

    /// The index of `word` among the CRSs offered, added when it is not there yet.
    fn crs_choice(&mut self, word: &str) -> usize {
        if let Some(i) = self.crs_choices.iter().position(|c| c == word) {
            return i;
        }
        self.crs_choices.push(word.to_owned());
        self.crs_choices.len() - 1
    }

    fn save_mapping(&mut self, ctx: &egui::Context) {
        let name = self.save_name.trim().to_owned();
        let mut saved = SavedMapping::from_specs(&specs_of(&self.sources));
        saved.crs = (self.datum != 0).then(|| self.crs_choices[self.datum].clone());
        saved.encoding = (self.encoding != 0).then(|| ENCODINGS[self.encoding].to_owned());
        let db = self.db.clone();
        self.spawn(ctx, "save-mapping", move || {
            let r = Store::open(&db, Access::ReadWrite)
                .map_err(|e| e.message())
                .and_then(|st| {
                    lamppost_import::save_mapping(&st, &name, &saved)
                        .and_then(|()| lamppost_import::saved_mappings(&st))
                        .map_err(|e| e.message())
                });
            match r {
                Ok(m) => Job::MappingSaved(name, m),
                Err(e) => Job::Failed(e),
            }
        });
    }

    /// Loads a saved mapping into the table (and its datum and encoding).
    fn use_saved(&mut self, i: usize, lang: Lang) {
        let Some((_, m)) = self.saved.get(i) else {
            return;
        };
        if let Some(c) = m.crs.clone() {
            self.datum = self.crs_choice(&c);
        }
        let Some((_, m)) = self.saved.get(i) else {
            return;
        };
        match m.to_specs() {
            Ok(specs) => self.sources = sources_of(&specs),
            Err(e) => self.message = Some((e.words(lang), false)),
        }
        if let Some(e) = m.encoding.as_deref().and_then(|e| {
            ENCODINGS
                .iter()
                .position(|x| x.eq_ignore_ascii_case(e) || (*x == "gb18030" && e == "GBK"))
        }) {
            self.encoding = e;
        }
    }

    fn options(&self, dry_run: bool, operator: &str) -> Result<Options, SettingError> {
        let encoding = lamppost_import::read::parse_encoding(ENCODINGS[self.encoding])?;
        Ok(Options {
            map: specs_of(&self.sources),
            encoding,
            sheet: self.sheet.clone(),
            // The first entry is "wgs84", the default: given as nothing, so that a file's own CRS
            // counts and metres without a CRS are refused (see `lamppost_import::choose_crs`).
            crs: (self.datum != 0)
                .then(|| Crs::parse(&self.crs_choices[self.datum]).ok())
                .flatten(),
            replace_streets: self.replace_streets,
            allow_partial: self.allow_partial,
            allow_moves: self.allow_moves,
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
            "{}|{}|{:?}|{}|{:?}|{}|{}|{}",
            self.file.trim(),
            self.encoding,
            self.sheet,
            self.datum,
            specs_of(&self.sources),
            self.replace_streets,
            self.allow_partial,
            self.allow_moves
        )
    }

    fn run_import(&mut self, ctx: &egui::Context, dry_run: bool, operator: &str, lang: Lang) {
        let mut opts = match self.options(dry_run, operator) {
            Ok(o) => o,
            Err(e) => {
                self.message = Some((e.words(lang), false));
                return;
            }
        };
        let control = Arc::new(ImportControl::new());
        opts.control = Some(Arc::clone(&control));
        let paths = paths_of(&self.file);
        let db = self.db.clone();
        if dry_run {
            self.checked = Some(self.fingerprint());
        }
        let waiting = Arc::new(AtomicBool::new(false));
        self.waiting = Arc::clone(&waiting);
        self.spawn(ctx, if dry_run { "check" } else { "apply" }, move || {
            let r = loop {
                // One file, or several (a folder's) as one data version.
                let files = match lamppost_import::files_to_import(&paths) {
                    Ok(f) => f,
                    Err(e) => {
                        return Job::Failed(
                            Message::new("无法读取文件夹", "cannot read the folder").about(e),
                        );
                    }
                };
                let r = Store::open(&db, Access::ReadWrite)
                    .map_err(ImportError::from)
                    .and_then(|mut st| match files.as_slice() {
                        [one] => lamppost_import::import_path(&mut st, one, &opts),
                        many => {
                            let inputs: Vec<lamppost_import::Input<'_>> = many
                                .iter()
                                .map(|p| lamppost_import::Input::Path(p))
                                .collect();
                            lamppost_import::import_many(&mut st, &inputs, &opts)
                        }
                    });
                // Another program writes the database: wait for it (Stop ends the wait).
                if matches!(r, Err(ImportError::Store(StoreError::Busy(_))))
                    && !opts.control.as_ref().is_some_and(|c| c.is_cancelled())
                {
                    waiting.store(true, Ordering::Relaxed);
                    std::thread::sleep(BUSY_RETRY);
                    continue;
                }
                break r;
            };
            waiting.store(false, Ordering::Relaxed);
            match r {
                Ok(r) if dry_run => Job::Checked(Box::new(r)),
                Ok(r) => Job::Applied(Box::new(r)),
                Err(ImportError::Cancelled) => Job::Stopped,
                Err(e) => Job::Failed(e.message()),
            }
        });
        if self.job.is_some() {
            self.control = Some(control);
        }
    }

    fn load_versions(&mut self, ctx: &egui::Context) {
        let db = self.db.clone();
        self.spawn(ctx, "versions", move || {
            match Store::open(&db, Access::ReadOnly)
                .map_err(|e| e.message())
                .and_then(|st| lamppost_import::versions(&st).map_err(|e| e.message()))
            {
                Ok(v) => Job::Versions(v),
                Err(e) => Job::Failed(e),
            }
        });
    }

    /// Draws supervisor mode; asks to close it when the supervisor closed its window.
    pub fn show(
        &mut self,
        ctx: &egui::Context,
        t: &Strings,
        lang: Lang,
        operator: &str,
    ) -> Option<Command> {
        let s = t.sup;
        self.poll(ctx, s);
        if let Some(d) = &mut self.dialog {
            match d.show(ctx, s.files) {
                Outcome::Open => {}
                Outcome::Cancelled => self.dialog = None,
                Outcome::Picked(p) => {
                    if self.dialog_pick == Pick::Add && !self.file.trim().is_empty() {
                        self.file = format!("{}; {}", self.file.trim(), p.display());
                    } else {
                        self.file = p.display().to_string();
                    }
                    self.dialog = None;
                    self.setup_open = Some(true);
                    self.refresh_preview(ctx);
                }
            }
        }
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
                self.progress(ui, s);
                match self.lock {
                    Lock::Probing => {}
                    Lock::NoPassword => self.set_password_form(ui, s),
                    Lock::Locked => self.unlock_form(ui, s),
                    Lock::Unlocked => self.unlocked_view(ui, s, lang, operator),
                }
            });
        (!open).then_some(Command::CloseSupervisor)
    }

    fn set_password_form(&mut self, ui: &mut Ui, s: &SupervisorStrings) {
        ui.label(s.first_time);
        let l1 = ui.label(s.new_password);
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut self.password)
                    .password(true)
                    .id_salt("sup-new"),
            )
            .labelled_by(l1.id);
        if ui.memory(|m| m.focused().is_none()) {
            r.request_focus();
        }
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
                    Err(e) => Job::Failed(e.message()),
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
        // The keyboard starts in the password box (never in the code box below).
        if ui.memory(|m| m.focused().is_none()) {
            r.request_focus();
        }
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
                    Err(e) => Job::Failed(e.message()),
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

    /// The running job: a progress bar with a Stop button for a check or apply, a spinner for
    /// the short ones.
    fn progress(&mut self, ui: &mut Ui, s: &SupervisorStrings) {
        let Some((_, what)) = &self.job else { return };
        let Some(control) = &self.control else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("{} ({what})", s.working));
            });
            return;
        };
        if self.waiting.load(Ordering::Relaxed) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(s.waiting_for_database);
                if ui
                    .add_enabled(!control.is_cancelled(), egui::Button::new(s.stop))
                    .clicked()
                {
                    control.cancel();
                }
            });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(250));
            return;
        }
        let p = control.progress();
        let stage = match p.stage {
            Stage::Starting | Stage::Detecting => s.stage_detecting,
            Stage::Reading => s.stage_reading,
            Stage::Checking => s.stage_checking,
            Stage::Writing | Stage::Done => s.stage_writing,
        };
        ui.horizontal(|ui| {
            ui.add(
                egui::ProgressBar::new(p.fraction())
                    .desired_width(420.0)
                    .show_percentage()
                    .animate(true),
            );
            ui.label(format!(
                "{stage} · {}",
                s.rows_so_far.replace("{rows}", &p.rows.to_string())
            ));
            if ui
                .add_enabled(!control.is_cancelled(), egui::Button::new(s.stop))
                .clicked()
            {
                control.cancel();
            }
        });
        // The counters move without an event of their own.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(100));
    }

    fn import_view(&mut self, ui: &mut Ui, s: &SupervisorStrings, lang: Lang, operator: &str) {
        let idle = self.job.is_none();
        ui.horizontal(|ui| {
            let l = ui.label(s.file);
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.file)
                        .hint_text(s.file_hint)
                        .desired_width(560.0)
                        .id_salt("sup-file"),
                )
                .labelled_by(l.id);
            if r.lost_focus() {
                self.refresh_preview(ui.ctx());
            }
            if ui.button(s.browse).on_hover_text("Ctrl+O").clicked()
                || ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::O))
            {
                self.dialog_pick = Pick::Replace;
                let first = paths_of(&self.file)
                    .first()
                    .map(|p| p.display().to_string());
                self.dialog = Some(FileDialog::new(&first.unwrap_or_default(), ui.ctx()));
            }
            if ui
                .add_enabled(!self.file.trim().is_empty(), egui::Button::new(s.add_file))
                .clicked()
            {
                self.dialog_pick = Pick::Add;
                let last = paths_of(&self.file).last().map(|p| p.display().to_string());
                self.dialog = Some(FileDialog::new(&last.unwrap_or_default(), ui.ctx()));
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label(s.encoding);
            let before = self.encoding;
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
            if self.encoding != before {
                self.refresh_preview(ui.ctx());
            }
            let l = ui.label(s.datum);
            egui::ComboBox::from_id_salt("sup-datum")
                .selected_text(crs_label(&self.crs_choices[self.datum]))
                .show_ui(ui, |ui| {
                    for (i, d) in self.crs_choices.iter().enumerate() {
                        ui.selectable_value(&mut self.datum, i, crs_label(d));
                    }
                })
                .response
                .labelled_by(l.id);
            let l = ui.label(s.note);
            ui.add(
                egui::TextEdit::singleline(&mut self.note)
                    .desired_width(300.0)
                    .id_salt("sup-note"),
            )
            .labelled_by(l.id);
        });
        self.saved_mappings_row(ui, s, idle);
        let mut setup = egui::CollapsingHeader::new(s.mapping)
            .id_salt("sup-setup")
            .default_open(true);
        if let Some(open) = self.setup_open.take() {
            setup = setup.open(Some(open));
        }
        setup.show(ui, |ui| {
            // Bounded, so that the buttons and the review stay on screen at 1280×800.
            egui::ScrollArea::vertical()
                .id_salt("sup-setup-scroll")
                .auto_shrink([false, true])
                .max_height(420.0)
                .show(ui, |ui| {
                    self.preview_view(ui, s);
                    self.mapping_view(ui, s);
                });
        });
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.replace_streets, s.replace_streets);
            ui.checkbox(&mut self.allow_partial, s.allow_partial);
            ui.checkbox(&mut self.allow_moves, s.allow_moves);
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
                self.run_import(ui.ctx(), true, operator, lang);
            }
            if ui
                .add_enabled(idle && can_apply, egui::Button::new(s.apply))
                .on_disabled_hover_text(s.apply_needs_check)
                .clicked()
            {
                self.run_import(ui.ctx(), false, operator, lang);
            }
            if ui
                .add_enabled(self.report.is_some(), egui::Button::new(s.cancel))
                .clicked()
            {
                self.report = None;
                self.checked = None;
                self.setup_open = Some(true);
            }
        });
        ui.separator();
        if self.report.is_some() {
            self.review(ui, s, lang);
        }
    }

    /// The detected encoding and layout, and the first rows as a table.
    fn preview_view(&mut self, ui: &mut Ui, s: &SupervisorStrings) {
        let Some(state) = &self.preview else { return };
        let p = match &state.result {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(s.previewing);
                });
                return;
            }
            Some(Err(e)) => {
                let pal = theme::palette(ui.visuals().dark_mode);
                ui.colored_label(pal.warning, e.in_lang(s.lang));
                return;
            }
            Some(Ok(p)) => p,
        };
        let pal = theme::palette(ui.visuals().dark_mode);
        ui.label(format!(
            "{}: {} · {}: {}{} · {}: {} · {}",
            s.detected_format,
            p.format.word(),
            s.encoding,
            p.encoding,
            if p.encoding_detected {
                let sure = p
                    .confidence
                    .map(|c| format!(" {}", s.confidence.replace("{p}", &c.to_string())))
                    .unwrap_or_default();
                format!(" ({}){sure}", s.auto)
            } else {
                String::new()
            },
            s.delimiter,
            match p.format.delimiter() {
                Some("\t") => "Tab",
                Some(d) => d,
                None => "-",
            },
            super::file_dialog::human_size(p.bytes),
        ));
        let mut pick = None;
        if !p.sheets.is_empty() {
            ui.horizontal(|ui| {
                let l = ui.label(s.sheet);
                let current = p.sheet.clone().unwrap_or_default();
                egui::ComboBox::from_id_salt("sup-sheet")
                    .selected_text(clip(&current))
                    .show_ui(ui, |ui| {
                        for name in &p.sheets {
                            if ui.selectable_label(*name == current, clip(name)).clicked() {
                                pick = Some(name.clone());
                            }
                        }
                    })
                    .response
                    .labelled_by(l.id);
            });
        }
        if state.files.len() > 1 {
            let names: Vec<String> = state
                .files
                .iter()
                .take(8)
                .map(|f| {
                    f.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            let more = if state.files.len() > 8 { ", …" } else { "" };
            ui.label(
                s.files_as_one
                    .replace("{n}", &state.files.len().to_string())
                    .replace("{names}", &format!("{}{more}", names.join(", "))),
            );
        }
        if let Some(crs) = &p.crs_hint {
            ui.label(format!("{}: {}", s.declared_crs, clip(crs)))
                .on_hover_text(crs.as_str());
        }
        let mut use_crs = None;
        if let Some(c) = p.coordinates() {
            ui.horizontal_wrapped(|ui| {
                let what = match (&c.crs, c.source) {
                    (None, _) => s.crs_unknown.to_owned(),
                    (Some(crs), source) => format!(
                        "{}（{}）",
                        crs.label(),
                        match source {
                            lamppost_import::SeenCrs::Declared => s.crs_declared,
                            lamppost_import::SeenCrs::Guessed => s.crs_guessed,
                            lamppost_import::SeenCrs::Degrees => s.crs_degrees,
                        }
                    ),
                };
                let axes = if c.source == lamppost_import::SeenCrs::Degrees {
                    String::new()
                } else if c.northing_first {
                    format!(
                        " · {}",
                        s.northing_first
                            .replace("{x}", &c.x_column)
                            .replace("{y}", &c.y_column)
                    )
                } else {
                    format!(
                        " · {}",
                        s.easting_first
                            .replace("{x}", &c.x_column)
                            .replace("{y}", &c.y_column)
                    )
                };
                let colour = if c.source == lamppost_import::SeenCrs::Guessed || c.crs.is_none() {
                    pal.warning
                } else {
                    ui.visuals().text_color()
                };
                ui.colored_label(colour, format!("{}: {what}{axes}", s.crs_seen));
                if c.source == lamppost_import::SeenCrs::Guessed && c.likely.len() > 1 {
                    ui.label(format!("· {}:", s.likely_crs));
                }
                if c.source == lamppost_import::SeenCrs::Guessed {
                    for l in &c.likely {
                        if ui
                            .small_button(format!("{} {}", s.use_crs, l.word()))
                            .on_hover_text(l.label())
                            .clicked()
                        {
                            use_crs = Some(l.word());
                        }
                    }
                }
            });
        }
        for f in p.warning.iter().chain(&p.problem) {
            ui.colored_label(pal.warning, f.words(s.lang));
        }
        if let Some(w) = use_crs {
            self.datum = self.crs_choice(&w);
            return;
        }
        if let Some(name) = pick {
            self.sheet = Some(name);
            self.refresh_preview(ui.ctx());
            return;
        }
        if p.header.is_empty() {
            return;
        }
        ui.label(RichText::new(s.preview.replace("{n}", &p.rows.len().to_string())).strong());
        egui::ScrollArea::horizontal()
            .id_salt("sup-preview-scroll")
            .show(ui, |ui| {
                egui::Grid::new("sup-preview")
                    .striped(true)
                    .min_col_width(40.0)
                    .max_col_width(180.0)
                    .show(ui, |ui| {
                        ui.label(RichText::new(s.col_line).weak());
                        for h in p.header.iter().take(MAX_PREVIEW_COLUMNS) {
                            ui.add(egui::Label::new(RichText::new(clip(h)).strong()).truncate());
                        }
                        ui.end_row();
                        for (line, cells) in &p.rows {
                            ui.label(RichText::new(line.to_string()).weak());
                            for c in cells.iter().take(p.header.len().min(MAX_PREVIEW_COLUMNS)) {
                                ui.add(egui::Label::new(clip(c)).truncate());
                            }
                            ui.end_row();
                        }
                    });
            });
    }

    /// Saved mappings: choose one to fill the table, or save the table under a name.
    fn saved_mappings_row(&mut self, ui: &mut Ui, s: &SupervisorStrings, idle: bool) {
        ui.horizontal(|ui| {
            let l = ui.label(s.saved_mappings);
            let mut chosen = None;
            egui::ComboBox::from_id_salt("sup-saved-mappings")
                .selected_text(s.no_saved_mapping)
                .show_ui(ui, |ui| {
                    for (i, (name, _)) in self.saved.iter().enumerate() {
                        if ui.selectable_label(false, name).clicked() {
                            chosen = Some(i);
                        }
                    }
                })
                .response
                .labelled_by(l.id);
            if let Some(i) = chosen {
                self.use_saved(i, s.lang);
                self.refresh_preview(ui.ctx());
            }
            ui.separator();
            let l = ui.label(s.save_mapping_as);
            ui.add(
                egui::TextEdit::singleline(&mut self.save_name)
                    .desired_width(160.0)
                    .id_salt("sup-save-name"),
            )
            .labelled_by(l.id);
            if ui
                .add_enabled(
                    idle && !self.save_name.trim().is_empty(),
                    egui::Button::new(s.save),
                )
                .clicked()
            {
                self.save_mapping(ui.ctx());
            }
        });
    }

    /// The column mapping as a table: each field, the column it comes from (recognised by its
    /// header, chosen, or a template), and its value in the first row; saved mappings.
    fn mapping_view(&mut self, ui: &mut Ui, s: &SupervisorStrings) {
        let specs = specs_of(&self.sources);
        // Projected metres: the latitude and longitude fields take the northing and easting.
        let projected = matches!(
            &self.preview,
            Some(PreviewState { result: Some(Ok(p)), .. })
                if p.coordinates().is_some_and(|c| c.source != lamppost_import::SeenCrs::Degrees)
        );
        let (header, recognised, sample) = match &mut self.preview {
            Some(PreviewState {
                result: Some(Ok(p)),
                recognised,
                sample,
                ..
            }) => {
                if sample
                    .as_ref()
                    .is_none_or(|(for_specs, _)| *for_specs != specs)
                {
                    *sample = Some((specs.clone(), p.sample(&specs)));
                }
                (
                    p.header.as_slice(),
                    recognised.as_slice(),
                    sample.as_ref().map(|(_, s)| s),
                )
            }
            _ => (&[][..], &[][..], None),
        };
        if let Some(Err(f)) = &sample {
            let pal = theme::palette(ui.visuals().dark_mode);
            ui.colored_label(pal.warning, f.words(s.lang));
        }
        let examples: Vec<(Field, String)> = match &sample {
            Some(Ok(v)) => v
                .iter()
                .map(|(f, vals)| (*f, vals.first().cloned().unwrap_or_default()))
                .collect(),
            _ => Vec::new(),
        };
        egui::Grid::new("sup-mapping")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                ui.label(RichText::new(s.field).strong());
                ui.label(RichText::new(s.column).strong());
                ui.label(RichText::new(s.example).strong());
                ui.end_row();
                for f in Field::ALL {
                    let name = match f {
                        Field::Lat if projected => s.projected_field_names[0],
                        Field::Lon if projected => s.projected_field_names[1],
                        _ => s.field_names[f as usize],
                    };
                    let l = ui.label(format!("{name} ({})", f.name()));
                    let auto = recognised
                        .iter()
                        .find(|(g, _)| *g == f)
                        .and_then(|(_, c)| header.get(*c));
                    let auto_text = auto.map_or_else(
                        || s.not_in_file.to_owned(),
                        |c| s.auto_column.replace("{c}", &clip(c)),
                    );
                    let src = &mut self.sources[f as usize];
                    // A template's text box goes under the list, so the column keeps its width.
                    ui.vertical(|ui| {
                        let shown = match &*src {
                            Source::Auto => auto_text.clone(),
                            Source::Column(c) => clip(c),
                            Source::Template(_) => s.template.to_owned(),
                        };
                        egui::ComboBox::from_id_salt(("sup-map", f.name()))
                            .selected_text(shown)
                            .width(200.0)
                            .show_ui(ui, |ui| {
                                ui.selectable_value(src, Source::Auto, auto_text.as_str());
                                for h in header {
                                    ui.selectable_value(src, Source::Column(h.clone()), clip(h));
                                }
                                if !matches!(src, Source::Template(_))
                                    && ui.selectable_label(false, s.template).clicked()
                                {
                                    *src = Source::Template(String::new());
                                }
                            })
                            .response
                            .labelled_by(l.id);
                        if let Source::Template(t) = src {
                            ui.horizontal(|ui| {
                                let l = ui.label(
                                    RichText::new(format!("{} {}", s.template_label, f.name()))
                                        .small()
                                        .weak(),
                                );
                                ui.add(
                                    egui::TextEdit::singleline(t)
                                        .hint_text(s.template_hint)
                                        .desired_width(150.0)
                                        .id_salt(("sup-template", f.name())),
                                )
                                .labelled_by(l.id);
                            });
                        }
                    });
                    let ex = examples
                        .iter()
                        .find(|(g, _)| *g == f)
                        .map_or("", |(_, v)| v.as_str());
                    ui.add(egui::Label::new(RichText::new(clip(ex)).monospace()).truncate());
                    ui.end_row();
                }
            });
    }

    /// The review of a check or an apply: counts, detected format and mapping, then the
    /// filterable table of changes, errors or warnings, sorted by the clicked column.
    fn review(&mut self, ui: &mut Ui, s: &SupervisorStrings, lang: Lang) {
        let Some(r) = &self.report else { return };
        let show = &mut self.show;
        let filter = &mut self.filter;
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
        });
        let key = (self.report_gen, *show, filter.clone(), self.sort, lang);
        if self.rows_for.as_ref() != Some(&key) {
            self.rows = review_rows(r, s, lang, *show, filter, self.sort);
            self.rows_for = Some(key);
        }
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        let mut sort = self.sort;
        let rows = &self.rows;
        egui_extras::TableBuilder::new(ui)
            .id_salt("sup-review")
            .striped(true)
            .column(egui_extras::Column::exact(64.0))
            .column(egui_extras::Column::exact(64.0))
            .column(
                egui_extras::Column::initial(130.0)
                    .resizable(true)
                    .clip(true),
            )
            .column(egui_extras::Column::remainder().clip(true))
            .header(row_h, |mut h| {
                for (col, title) in [
                    (Some(SortBy::Line), s.col_line),
                    (Some(SortBy::Kind), s.col_kind),
                    (Some(SortBy::Code), s.col_code),
                    (None, s.col_detail),
                ] {
                    h.col(|ui| {
                        let Some(col) = col else {
                            ui.strong(title);
                            return;
                        };
                        let arrow = match sort {
                            (c, true) if c == col => " ▲",
                            (c, false) if c == col => " ▼",
                            _ => "",
                        };
                        if ui
                            .add(
                                egui::Button::new(
                                    RichText::new(format!("{title}{arrow}")).strong(),
                                )
                                .frame(false),
                            )
                            .clicked()
                        {
                            sort = if sort.0 == col {
                                (col, !sort.1)
                            } else {
                                (col, true)
                            };
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, rows.len(), |mut row| {
                    let r = &rows[row.index()];
                    row.col(|ui| {
                        ui.label(r.line.map_or("-".into(), |l| l.to_string()));
                    });
                    row.col(|ui| {
                        ui.label(r.kind);
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&r.code).monospace()).truncate());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(r.detail.as_str()).truncate());
                    });
                });
            });
        self.sort = sort;
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
                            ui.label(crate::clock::local_text(&v.applied_at));
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
                    .map_err(|e| e.message())
                    .and_then(|mut st| {
                        lamppost_import::undo(&mut st, version, "supervisor", "")
                            .map_err(|e| e.message())
                    });
                match r {
                    Ok(r) => Job::Undone(r.undone, r.version),
                    Err(e) => Job::Failed(e),
                }
            });
        }
    }
}

/// The rows of the review table for what is shown, filtered (case-insensitive, any column)
/// and sorted.
fn review_rows(
    r: &Report,
    s: &SupervisorStrings,
    lang: Lang,
    show: Show,
    filter: &str,
    (by, ascending): (SortBy, bool),
) -> Vec<ReviewRow> {
    let needle = filter.trim().to_lowercase();
    let mut rows: Vec<ReviewRow> = match show {
        Show::Changes => r
            .changes
            .iter()
            .map(|c: &Change| ReviewRow {
                line: c.line,
                kind: match c.op {
                    lamppost_import::ChangeOp::Add => s.op_add,
                    lamppost_import::ChangeOp::Change => s.op_change,
                    lamppost_import::ChangeOp::Remove => s.op_remove,
                },
                code: c.code.clone(),
                detail: c
                    .fields
                    .iter()
                    .map(|f| format!("{}: {} → {}", f.field, f.before, f.after))
                    .collect::<Vec<_>>()
                    .join("; "),
            })
            .collect(),
        Show::Rejected | Show::Warnings => {
            let (list, kind) = if show == Show::Rejected {
                (&r.rejected, s.rejected)
            } else {
                (&r.warnings, s.warnings)
            };
            list.iter()
                .map(|f| ReviewRow {
                    line: Some(f.line),
                    kind,
                    code: f.field.clone(),
                    detail: f.reason(lang),
                })
                .collect()
        }
    };
    if !needle.is_empty() {
        rows.retain(|r| {
            r.code.to_lowercase().contains(&needle)
                || r.detail.to_lowercase().contains(&needle)
                || r.kind.contains(&needle)
                || r.line.is_some_and(|l| l.to_string() == needle)
        });
    }
    match by {
        SortBy::Line => rows.sort_by_key(|r| r.line),
        SortBy::Kind => rows.sort_by(|a, b| a.kind.cmp(b.kind).then(a.line.cmp(&b.line))),
        SortBy::Code => rows.sort_by(|a, b| a.code.cmp(&b.code).then(a.line.cmp(&b.line))),
    }
    if !ascending {
        rows.reverse();
    }
    rows
}

/// How long a check or apply waits before trying again when another program holds the
/// database's write lock (each try itself waits up to the store's busy timeout).
const BUSY_RETRY: std::time::Duration = std::time::Duration::from_millis(500);
