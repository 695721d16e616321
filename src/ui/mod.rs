//! The call-taker window (egui/eframe): type a code, see the pole on the map, read back the
//! sentence. Keyboard first: typing goes to the code box, ↑/↓ choose, Enter confirms, Esc
//! clears.
//!
//! State, then draw: the frame reads the in-memory index (microseconds); the index is built on
//! a worker thread at start and swapped in when ready, so the first frame never waits on disk.
//!
//! Commands, not side effects: the screens ([`call_taker::CallTaker`],
//! [`supervisor::Supervisor`]) and the map ([`map::MapView`]) own their state and return
//! [`command::Command`]s; [`App`] applies them in one place at the end of the frame.

pub mod call_taker;
pub mod calls;
pub mod command;
pub mod file_dialog;
pub mod fonts;
pub mod i18n;
pub mod map;
pub mod supervisor;
pub mod theme;
pub mod tiles;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use egui::{RichText, Ui};

use crate::ui::tiles::LoaderTiles;
use crate::watch::{DataWatcher, WatchEvent, WatchRequest};
use call_taker::{CallTaker, Operator};
use command::Command;
use i18n::{PositionWord, strings};
use lamppost_basemap::loader::LoaderConfig;
use lamppost_basemap::mbtiles::MbTiles;
use lamppost_basemap::{TileSource, XyzDir};
use lamppost_core::readback::Lang;
use lamppost_core::words::{Message, Words};
use lamppost_data::calllog::Call;
use lamppost_search::{IndexHandle, SearchIndex};
use map::MapView;

/// Preferences kept between runs (eframe storage). The database is the source of truth for
/// everything else.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Language of the window.
    pub lang: Lang,
    /// Dark theme.
    pub dark: bool,
    /// Draw every pole as a dot.
    pub show_poles: bool,
    /// The last operator name (offered at the start of the next shift), for the call log.
    pub operator: String,
    /// Last map centre (latitude, longitude) and zoom.
    pub map_view: Option<(f64, f64, f64)>,
    /// Show the call log panel.
    pub show_calls: bool,
    /// A folder (a network share) watched for newer data packages; empty: none.
    pub package_folder: String,
    /// Width of the left panel (search, results, card), points; the call-taker drags it.
    pub side_width: f32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lang: Lang::Zh,
            dark: false,
            show_poles: true,
            operator: String::new(),
            map_view: None,
            show_calls: true,
            package_folder: String::new(),
            side_width: theme::SIDE_PANEL_WIDTH,
        }
    }
}

const SETTINGS_KEY: &str = "lamppost-settings";

/// Most moved poles of an import under review drawn on the map.
const MAX_MOVES_DRAWN: usize = 5000;

/// How often the window checks whether the database changed or a package arrived.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// What the window opens: the reference database, the call log, the city basemap. A path that
/// could not be resolved carries the reason, shown in the window.
#[derive(Debug, Clone)]
pub struct Options {
    /// The reference database.
    pub db: Result<PathBuf, String>,
    /// This workstation's call log.
    pub calls: Result<PathBuf, String>,
    /// A city basemap (MBTiles file or XYZ folder) instead of the bundled one.
    pub basemap: Option<PathBuf>,
    /// Measure start-up: when set (to the moment the process started), the first frame that
    /// is ready for typing prints `startup_ms=N` to standard output and closes the window.
    pub startup_probe: Option<std::time::Instant>,
    /// The operator taking calls, when known at start (`--operator`); otherwise the window
    /// asks for the name first.
    pub operator: Option<String>,
}

enum Data {
    Loading(Receiver<Result<SearchIndex, Message>>),
    Ready(Arc<IndexHandle>),
    Failed(Message),
}

/// What the data watcher said, shown until dealt with.
#[derive(Default)]
pub struct DataNews {
    /// What changed in the data (shown in the status bar).
    pub note: Option<String>,
    /// A newer data package waiting for the call-taker's "install".
    pub offer: Option<(PathBuf, lamppost_data::store::package::Manifest)>,
    /// A data problem to show until dismissed (a failed reload or install).
    pub warning: Option<Message>,
}

/// The reference data and the background workers that load it and keep it current.
struct Background {
    data: Data,
    /// The reference database, when it could be resolved.
    db_path: Option<PathBuf>,
    /// Reloads the index when the database changes; offers packages from a watched folder.
    watcher: Option<DataWatcher>,
    /// The index the screens' selection and results refer to; replaced once per frame when
    /// new data was swapped in.
    pinned: Option<Arc<SearchIndex>>,
    /// The credits for the pinned index and the basemap.
    credits: String,
    news: DataNews,
    /// Wakes the window from worker threads.
    repaint: egui::Context,
}

/// The window's own bits: its title, the status bar's flash, the settings window.
struct Chrome {
    /// The language the window title was last set in (setting it each frame would repaint
    /// forever).
    titled: Option<Lang>,
    /// A short message in the status bar, until this time.
    flash: Option<(String, f64)>,
    /// The settings window is open.
    settings_open: bool,
    startup_probe: Option<std::time::Instant>,
    /// The name being typed in the operator window, while it is open (at the start of a
    /// shift, and when the operator changes).
    operator_prompt: Option<String>,
}

/// The window's state: the two screens, the map, the data and the preferences. It routes the
/// screens' commands.
pub struct App {
    settings: Settings,
    background: Background,
    map: MapView,
    call_taker: CallTaker,
    /// Supervisor mode, while its window is open.
    supervisor: Option<supervisor::Supervisor>,
    chrome: Chrome,
    /// The database error screen's file dialog and package install.
    recovery: Recovery,
}

/// What the database error screen is doing: choosing a file, installing a package.
#[derive(Default)]
struct Recovery {
    /// The file dialog, and what the file picked is for.
    dialog: Option<(file_dialog::FileDialog, Pick)>,
    /// A package being installed on a worker thread: the database it makes, or why not.
    installing: Option<Receiver<Installed>>,
    /// Why the last install failed, shown until the next try.
    failed: Option<Message>,
}

/// A package installed on the error screen: the database made and where the damaged file
/// was kept, or why not.
type Installed = Result<(PathBuf, Option<PathBuf>), Message>;

/// What a file picked on the error screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Another reference database to open.
    Database,
    /// A data package to install as the reference database.
    Package,
}

impl App {
    /// Creates the window's state and starts loading the database and the call log on worker
    /// threads.
    #[must_use]
    pub fn new(cc: &eframe::CreationContext<'_>, options: Options) -> Self {
        let Options {
            db,
            calls,
            basemap,
            startup_probe,
            operator,
        } = options;
        let basemap = basemap.as_deref();
        if fonts::install(&cc.egui_ctx, &fonts::assets_dir()) == 0 {
            log_missing_font();
        }
        let mut settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, SETTINGS_KEY))
            .unwrap_or_default();
        // A new shift says who is taking calls first (the last name offered).
        let operator = operator
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty());
        let operator_prompt = match operator {
            Some(name) => {
                settings.operator = name;
                None
            }
            None => Some(settings.operator.clone()),
        };
        cc.egui_ctx.set_visuals(theme::visuals(settings.dark));
        let db_path = db.as_ref().ok().cloned();
        let data = match db {
            Ok(path) => load_index(path, &cc.egui_ctx),
            Err(e) => Data::Failed(Message::new(e.clone(), e)),
        };
        let (tiles, tile_warnings) = open_basemap(&cc.egui_ctx, &fonts::assets_dir(), basemap);
        // Where the map starts: the last view, else the basemap's declared centre, else (once
        // the index is loaded) the dataset.
        let map = MapView::new(tiles, tile_warnings, settings.map_view);
        let ctx = cc.egui_ctx.clone();
        let calls = calls::CallsPanel::new(calls, move || ctx.request_repaint());
        Self {
            settings,
            background: Background {
                data,
                db_path,
                watcher: None,
                pinned: None,
                credits: String::new(),
                news: DataNews::default(),
                repaint: cc.egui_ctx.clone(),
            },
            map,
            call_taker: CallTaker::new(calls),
            supervisor: None,
            chrome: Chrome {
                titled: None,
                flash: None,
                settings_open: false,
                startup_probe,
                operator_prompt,
            },
            recovery: Recovery::default(),
        }
    }

    /// Opens another reference database (chosen on the error screen): loads its index on a
    /// worker thread, as at start.
    fn open_database(&mut self, ctx: &egui::Context, path: PathBuf) {
        self.background.watcher = None;
        self.background.pinned = None;
        self.background.db_path = Some(path.clone());
        self.background.data = load_index(path, ctx);
    }

    /// True while the operator window asks for a name.
    #[must_use]
    pub fn asks_operator(&self) -> bool {
        self.chrome.operator_prompt.is_some()
    }

    /// The width of the left panel (search, results, card), points.
    #[must_use]
    pub fn side_width(&self) -> f32 {
        self.settings.side_width
    }

    /// True once the index is loaded.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        matches!(self.background.data, Data::Ready(_))
    }

    /// The error shown instead of the map, if any, in the window's language.
    #[must_use]
    pub fn error(&self) -> Option<String> {
        match &self.background.data {
            Data::Failed(e) => Some(e.in_lang(self.settings.lang)),
            _ => None,
        }
    }

    /// The text in the code box.
    #[must_use]
    pub fn query(&self) -> &str {
        self.call_taker.query()
    }

    /// The code of the pole the card shows (the highlighted result, confirmed or not).
    #[must_use]
    pub fn selected_code(&self) -> Option<String> {
        let index = self.index()?;
        self.call_taker
            .selected()
            .map(|id| index.pole(id).code().to_owned())
    }

    /// The card's pole code when it is confirmed (and logged) for the query in the code box.
    #[must_use]
    pub fn confirmed_code(&self) -> Option<String> {
        let index = self.index()?;
        let id = self.call_taker.selected()?;
        (self.call_taker.card_state(&index) == Some(call_taker::CardState::Confirmed))
            .then(|| index.pole(id).code().to_owned())
    }

    /// Where the map was drawn in the last frame (for tests and screenshots).
    #[must_use]
    pub fn map_rect(&self) -> Option<egui::Rect> {
        self.map.rect()
    }

    /// Today's saved calls, newest first (as the panel shows them).
    #[must_use]
    pub fn calls_today(&self) -> &[Call] {
        self.call_taker.calls_today()
    }

    /// True while a confirmed call is sent to the log and not yet on disk.
    #[must_use]
    pub fn call_pending(&self) -> bool {
        self.call_taker.call_pending()
    }

    /// How many poles the import under review would move, as drawn on the map.
    #[must_use]
    pub fn moves_drawn(&self) -> usize {
        self.map.moves_drawn()
    }

    /// The preferences kept between runs.
    #[must_use]
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The operator name in the settings.
    #[must_use]
    pub fn operator(&self) -> &str {
        &self.settings.operator
    }

    /// The map's zoom level.
    #[must_use]
    pub fn map_zoom(&self) -> f64 {
        self.map.zoom()
    }

    /// The language in use.
    #[must_use]
    pub fn lang(&self) -> Lang {
        self.settings.lang
    }

    fn index(&self) -> Option<Arc<SearchIndex>> {
        match &self.background.data {
            Data::Ready(_) => self.background.pinned.clone(),
            _ => None,
        }
    }

    fn poll_loading(&mut self) {
        let bg = &mut self.background;
        if let Data::Loading(rx) = &bg.data {
            match rx.try_recv() {
                Ok(Ok(index)) => {
                    self.map.data_loaded(&index);
                    let handle = IndexHandle::new(index);
                    if let Some(db) = bg.db_path.clone() {
                        let ctx = bg.repaint.clone();
                        bg.watcher = DataWatcher::spawn(
                            db,
                            Arc::clone(&handle),
                            package_folder(&self.settings),
                            WATCH_EVERY,
                            move || ctx.request_repaint(),
                        )
                        .ok();
                    }
                    bg.data = Data::Ready(handle);
                }
                Ok(Err(e)) => bg.data = Data::Failed(e),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    bg.data = Data::Failed(Message::new(
                        "读取数据的线程意外停止",
                        "the thread that reads the data stopped",
                    ));
                }
            }
        }
    }

    /// Drains the data watcher's news.
    fn poll_watcher(&mut self) {
        let t = strings(self.settings.lang);
        let bg = &mut self.background;
        while let Some(e) = bg.watcher.as_ref().and_then(DataWatcher::try_event) {
            match e {
                WatchEvent::Reloaded { to, .. } => {
                    bg.news.note = Some(t.data_updated.replace("{v}", &to.to_string()));
                    bg.news.offer = None;
                }
                WatchEvent::ReloadFailed(e) | WatchEvent::InstallFailed(e) => {
                    bg.news.warning = Some(e);
                }
                WatchEvent::PackageOffered { path, manifest } => {
                    bg.news.offer = Some((path, manifest));
                }
                WatchEvent::Installed(_) => bg.news.offer = None,
            }
        }
    }

    /// After the index was swapped (new data), the screens find their state again in it.
    fn follow_index_swap(&mut self) {
        let Data::Ready(handle) = &self.background.data else {
            return;
        };
        let latest = handle.load();
        if self
            .background
            .pinned
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, &latest))
        {
            return;
        }
        self.background.credits = credits(&latest, self.map.tiles());
        let old = self.background.pinned.replace(Arc::clone(&latest));
        self.call_taker.index_swapped(old.as_deref(), &latest);
    }

    /// Applies what the user asked for this frame: the one place that changes the window
    /// outside the panel that was drawn.
    fn apply(&mut self, ctx: &egui::Context, index: Option<&SearchIndex>, command: Command) {
        match command {
            Command::Confirm(k) => {
                let operator = Operator {
                    name: &self.settings.operator,
                    lang: self.settings.lang,
                };
                if let Some((at, zoom)) =
                    index.and_then(|index| self.call_taker.confirm(index, k, operator))
                {
                    self.map.centre_on(at, zoom);
                }
            }
            Command::PreviewHighlighted => {
                if let Some((at, zoom)) =
                    index.and_then(|index| self.call_taker.highlighted_view(index))
                {
                    self.map.centre_on(at, zoom);
                }
            }
            Command::SelectNearest(at) => {
                if let Some(index) = index
                    && let Some((id, _)) = index.nearest(at)
                {
                    self.call_taker.select(index, id);
                }
            }
            Command::ShowCode(code) => {
                if let Some(at) = index.and_then(|index| self.call_taker.show_code(index, &code)) {
                    self.map.centre_on(at, theme::STREET_ZOOM);
                }
            }
            Command::CentreOn(at, zoom) => self.map.centre_on(at, zoom),
            Command::ZoomIn => self.map.zoom_in(),
            Command::ZoomOut => self.map.zoom_out(),
            Command::ZoomToSelection => {
                if let Some(index) = index
                    && let Some(at) = self
                        .call_taker
                        .selected()
                        .and_then(|id| index.pole(id).point())
                {
                    self.map.centre_on(at, theme::STREET_ZOOM);
                }
            }
            Command::Copy { text, said } => {
                ctx.copy_text(text);
                self.chrome.flash = Some((said.to_owned(), ctx.input(|i| i.time) + 2.0));
            }
            Command::ToggleLanguage => {
                self.settings.lang = match self.settings.lang {
                    Lang::Zh => Lang::En,
                    Lang::En => Lang::Zh,
                };
            }
            Command::SetDark(dark) => {
                self.settings.dark = dark;
                ctx.set_visuals(theme::visuals(dark));
            }
            Command::ShowPoles(on) => self.settings.show_poles = on,
            Command::ShowCalls(on) => self.settings.show_calls = on,
            Command::ToggleSettings => {
                self.chrome.settings_open = !self.chrome.settings_open;
                if !self.chrome.settings_open {
                    self.call_taker.focus_code_box(ctx);
                }
            }
            Command::ApplyPackageFolder => {
                if let Some(w) = &self.background.watcher {
                    w.send(WatchRequest::SetFolder(package_folder(&self.settings)));
                }
            }
            Command::InstallPackage(path) => {
                if let Some(w) = &self.background.watcher {
                    w.send(WatchRequest::Install(path));
                }
                self.background.news.offer = None;
            }
            Command::DismissOffer => self.background.news.offer = None,
            Command::DismissWarning => self.background.news.warning = None,
            Command::OpenSupervisor => {
                if self.supervisor.is_none()
                    && let Some(db) = &self.background.db_path
                {
                    self.supervisor = Some(supervisor::Supervisor::new(db.clone(), ctx));
                }
            }
            Command::CloseSupervisor => {
                self.supervisor = None;
                self.call_taker.focus_code_box(ctx);
            }
            Command::ChangeOperator => {
                self.chrome.operator_prompt = Some(self.settings.operator.clone());
            }
            Command::ChooseFile(pick) => {
                let start = self
                    .background
                    .db_path
                    .as_deref()
                    .and_then(Path::parent)
                    .map_or_else(String::new, |p| p.display().to_string());
                let dialog = file_dialog::FileDialog::new(&start, ctx).all_files();
                self.recovery.dialog = Some((dialog, pick));
            }
        }
    }

    /// Esc closes the window on top (supervisor, settings); a dialog of egui's own (the
    /// supervisor's file dialog) and the operator window handle their Esc themselves.
    fn close_on_escape(&mut self, ctx: &egui::Context, out: &mut Vec<Command>) {
        if self.chrome.operator_prompt.is_some()
            || ctx.memory(egui::Memory::top_modal_layer).is_some()
            || !ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
        {
            return;
        }
        if self.supervisor.is_some() {
            out.push(Command::CloseSupervisor);
        } else if self.chrome.settings_open {
            out.push(Command::ToggleSettings);
        }
    }

    /// The operator window, at the start of a shift and when the operator changes: the name
    /// goes into every call logged. Enter (or the button) starts; Esc keeps the current
    /// operator when there is one.
    fn operator_window(&mut self, ctx: &egui::Context) {
        let t = strings(self.settings.lang);
        let has_operator = !self.settings.operator.trim().is_empty();
        let Some(draft) = &mut self.chrome.operator_prompt else {
            return;
        };
        let modal = egui::Modal::new(egui::Id::unique("operator-window")).show(ctx, |ui| {
            ui.set_width(380.0);
            ui.heading(t.operator_title);
            ui.label(t.operator_why);
            ui.add_space(6.0);
            let label = ui.label(t.operator);
            let r = ui
                .add(
                    egui::TextEdit::singleline(draft)
                        .hint_text(t.operator_hint)
                        .font(theme::font(theme::CARD_SIZE + 4.0))
                        .desired_width(f32::INFINITY)
                        .char_limit(40)
                        .id_salt("operator-name"),
                )
                .labelled_by(label.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            // The keyboard stays in the name box (asked once: no repaint loop while the window
            // itself is not focused).
            if !enter && ui.memory(egui::Memory::focused) != Some(r.id) {
                r.request_focus();
            }
            ui.add_space(6.0);
            let named = !draft.trim().is_empty();
            let clicked = ui
                .add_enabled(named, egui::Button::new(t.start_shift))
                .clicked();
            named && (enter || clicked)
        });
        if modal.inner || (has_operator && modal.should_close()) {
            if modal.inner {
                self.settings.operator = draft.trim().to_owned();
            }
            self.chrome.operator_prompt = None;
            // The next keystroke is the first code of the shift.
            self.call_taker.focus_code_box(ctx);
        }
    }

    /// The screen shown when the reference database cannot be opened: why, and what the
    /// call-taker can do from the window (another database file, a data package, the
    /// supervisor's phone).
    fn error_screen(&mut self, ui: &mut Ui, e: &Message, out: &mut Vec<Command>) {
        let t = strings(self.settings.lang);
        let pal = theme::palette(self.settings.dark);
        ui.heading(RichText::new(t.db_error).color(pal.warning));
        ui.add_space(8.0);
        ui.add(egui::Label::new(RichText::new(e.in_lang(t.lang)).size(theme::CARD_SIZE)).wrap());
        ui.add_space(8.0);
        ui.add(egui::Label::new(RichText::new(t.db_error_help).size(theme::CARD_SIZE)).wrap());
        ui.add_space(12.0);
        let busy = self.recovery.installing.is_some();
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(
                    !busy,
                    egui::Button::new(RichText::new(t.db_choose).size(theme::CARD_SIZE)),
                )
                .clicked()
            {
                out.push(Command::ChooseFile(Pick::Database));
            }
            if ui
                .add_enabled(
                    !busy && self.background.db_path.is_some(),
                    egui::Button::new(RichText::new(t.db_install).size(theme::CARD_SIZE)),
                )
                .clicked()
            {
                out.push(Command::ChooseFile(Pick::Package));
            }
        });
        if busy {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(t.db_installing);
            });
        }
        if let Some(e) = &self.recovery.failed {
            ui.colored_label(pal.warning, e.in_lang(t.lang));
        }
    }

    /// The error screen's file dialog and package install: a database picked is opened, a
    /// package picked is installed on a worker thread, then opened.
    fn poll_recovery(&mut self, ctx: &egui::Context) {
        let t = strings(self.settings.lang);
        if let Some((dialog, pick)) = &mut self.recovery.dialog {
            let words = file_dialog_words(t, *pick);
            match dialog.show(ctx, &words) {
                file_dialog::Outcome::Open => {}
                file_dialog::Outcome::Cancelled => self.recovery.dialog = None,
                file_dialog::Outcome::Picked(path) => {
                    let pick = *pick;
                    self.recovery.dialog = None;
                    self.recovery.failed = None;
                    match pick {
                        Pick::Database => self.open_database(ctx, path),
                        Pick::Package => self.start_install(ctx, path),
                    }
                }
            }
        }
        if let Some(rx) = &self.recovery.installing
            && let Ok(done) = rx.try_recv()
        {
            self.recovery.installing = None;
            match done {
                Ok((db, kept)) => {
                    // Said in the status bar, once the data is open.
                    if let Some(k) = kept {
                        self.background.news.note =
                            Some(t.db_broken_kept.replace("{p}", &k.display().to_string()));
                    }
                    self.open_database(ctx, db);
                }
                Err(e) => self.recovery.failed = Some(e),
            }
        }
    }

    /// Installs the package at `package` as the reference database, on a worker thread.
    fn start_install(&mut self, ctx: &egui::Context, package: PathBuf) {
        let Some(db) = self.background.db_path.clone() else {
            return;
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("package-install".into())
            .spawn(move || {
                let r = install_first_package(&package, &db).map(|kept| (db, kept));
                let _ = tx.send(r);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.recovery.installing = Some(rx),
            Err(e) => {
                self.recovery.failed =
                    Some(Message::new("无法启动安装线程", "cannot start the install").about(e));
            }
        }
    }

    /// The settings window: the data package folder.
    fn settings_window(&mut self, ctx: &egui::Context, out: &mut Vec<Command>) {
        let t = strings(self.settings.lang);
        let mut open = self.chrome.settings_open;
        egui::Window::new(t.settings)
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                let label = ui.label(t.package_folder);
                ui.add(
                    egui::TextEdit::singleline(&mut self.settings.package_folder)
                        .hint_text(t.package_folder_hint)
                        .desired_width(360.0)
                        .id_salt("package-folder"),
                )
                .labelled_by(label.id);
                if ui.button(t.apply).clicked() {
                    out.push(Command::ApplyPackageFolder);
                }
            });
        if !open {
            out.push(Command::ToggleSettings);
        }
    }

    fn status_bar(&mut self, ui: &mut Ui, out: &mut Vec<Command>) {
        let t = strings(self.settings.lang);
        let pal = theme::palette(self.settings.dark);
        let index = self.index();
        // The controls on the right come first, so that a long dataset name or warning is
        // cut short instead of pushing them out of the window.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(t.settings).clicked() {
                out.push(Command::ToggleSettings);
            }
            if self.background.db_path.is_some() && ui.button(t.sup.open).clicked() {
                out.push(Command::OpenSupervisor);
            }
            if ui.button(t.language).clicked() {
                out.push(Command::ToggleLanguage);
            }
            let mut dark = self.settings.dark;
            if ui.checkbox(&mut dark, t.dark_theme).changed() {
                out.push(Command::SetDark(dark));
            }
            let mut show_poles = self.settings.show_poles;
            if ui.checkbox(&mut show_poles, t.show_poles).changed() {
                out.push(Command::ShowPoles(show_poles));
            }
            let mut show_calls = self.settings.show_calls;
            if ui.checkbox(&mut show_calls, t.show_calls).changed() {
                out.push(Command::ShowCalls(show_calls));
            }
            if let Some((text, until)) = &self.chrome.flash {
                if ui.input(|i| i.time) < *until {
                    ui.label(RichText::new(text).strong().color(pal.ok));
                } else {
                    self.chrome.flash = None;
                }
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.label(
                    RichText::new(format!("● {}", t.offline))
                        .color(egui::Color32::from_rgb(30, 150, 60)),
                );
                ui.separator();
                let colon = if t.lang == Lang::Zh { "：" } else { ": " };
                ui.label(format!("{}{colon}{}", t.operator, self.settings.operator));
                if ui.small_button(t.change_operator).clicked() {
                    out.push(Command::ChangeOperator);
                }
                ui.separator();
                let mut parts = Vec::new();
                if let Some(index) = &index {
                    let c = index.position_counts();
                    let info = index.info();
                    parts.push(format!(
                        "{}: {}  ·  {} {}  ·  {}: {} ({} {} / {} {})",
                        t.dataset,
                        if self.settings.lang == Lang::En && !info.name_en.is_empty() {
                            &info.name_en
                        } else {
                            &info.name
                        },
                        t.data_version,
                        info.data_version,
                        t.poles,
                        index.len(),
                        c.surveyed,
                        t.position_word(PositionWord::Surveyed),
                        c.estimated,
                        t.position_word(PositionWord::Estimated)
                    ));
                }
                if let Some(note) = &self.background.news.note {
                    parts.push(note.clone());
                }
                ui.add(egui::Label::new(parts.join("  |  ")).truncate());
                for w in self.map.tile_warnings() {
                    ui.separator();
                    let w = w.in_lang(t.lang);
                    ui.add(egui::Label::new(RichText::new(w).color(pal.warning)).truncate());
                }
            });
        });
    }

    /// The moves of the import under review, resolved against the current data (once per
    /// report, not per frame): the supervisor's report, drawn by the map.
    fn route_review_moves(&mut self, index: &SearchIndex) {
        let report = self
            .supervisor
            .as_ref()
            .and_then(|s| s.report().map(|r| (r, s.report_generation())));
        let key = report.map(|(_, generation)| generation);
        if key == self.map.moves_for() {
            return;
        }
        let mut moves = Vec::new();
        if let Some((r, _)) = report {
            for m in supervisor::moved_poles(r, MAX_MOVES_DRAWN) {
                let old = index.lookup(&m.code).and_then(|id| index.pole(id).point());
                let Some(old) = old else { continue };
                let new = lamppost_core::geo::LatLon::new(
                    m.lat_deg.unwrap_or(old.lat_deg),
                    m.lon_deg.unwrap_or(old.lon_deg),
                );
                if new.is_valid() {
                    moves.push((old, new));
                }
            }
        }
        self.map.set_moves(key, moves);
    }
}

/// The file dialog's words for a file picked on the error screen.
fn file_dialog_words(t: &i18n::Strings, pick: Pick) -> i18n::FileDialogStrings {
    i18n::FileDialogStrings {
        title: match pick {
            Pick::Database => t.db_choose_title,
            Pick::Package => t.db_package_title,
        },
        ..*t.sup.files
    }
}

/// Starts loading the index of the database at `path` on a worker thread.
fn load_index(path: PathBuf, ctx: &egui::Context) -> Data {
    let (tx, rx) = std::sync::mpsc::channel();
    let ctx = ctx.clone();
    let spawned = std::thread::Builder::new()
        .name("index-load".into())
        .spawn(move || {
            let r = SearchIndex::open(&path).map_err(|e| e.message());
            let _ = tx.send(r);
            ctx.request_repaint();
        });
    match spawned {
        Ok(_) => Data::Loading(rx),
        Err(e) => Data::Failed(
            Message::new(
                "无法启动读取数据的线程",
                "cannot start the thread that reads the data",
            )
            .about(e),
        ),
    }
}

/// Installs the data package `package` as the reference database `db` (on the error screen:
/// `db` cannot be opened). A damaged file at `db` is first kept aside (for the supervisor),
/// under a new name, returned. The package must be signed with the centre key pinned on this
/// workstation (kept beside the database, so a damaged database does not lose it); with no
/// key pinned, nothing is installed from the window: the supervisor installs from the CLI.
fn install_first_package(package: &Path, db: &Path) -> Result<Option<PathBuf>, Message> {
    use lamppost_data::store::package::{Install, install_package};
    use lamppost_data::store::{Access, Store};
    let mut kept = None;
    if db.exists() && Store::open(db, Access::ReadOnly).is_err() {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let mut name = db.as_os_str().to_owned();
        name.push(format!(".damaged-{stamp}"));
        let aside = PathBuf::from(name);
        std::fs::rename(db, &aside).map_err(|e| {
            Message::new(
                "无法把损坏的数据库移到一旁",
                "cannot move the damaged database aside",
            )
            .about(format!("{}: {e}", db.display()))
        })?;
        kept = Some(aside);
    }
    // Only what the centre signed: the key pinned in the damaged database is kept beside it.
    let how = Install {
        force: false,
        require_signature: true,
    };
    match install_package(package, db, how) {
        Ok(_) => Ok(kept),
        Err(e) => {
            // Nothing was installed: the damaged file goes back where it was.
            if let Some(aside) = &kept {
                let _ = std::fs::rename(aside, db);
            }
            Err(e.message())
        }
    }
}

/// The package folder in the settings, if one is set.
fn package_folder(settings: &Settings) -> Option<PathBuf> {
    let f = settings.package_folder.trim();
    (!f.is_empty()).then(|| PathBuf::from(f))
}

/// The data's and the basemap's credits, each once (they often name the same source).
/// Made when an index is pinned, not every frame.
fn credits(index: &SearchIndex, tiles: Option<&LoaderTiles>) -> String {
    let mut credits: Vec<String> = vec![index.info().attribution.clone()];
    if let Some(t) = tiles {
        credits.extend(t.loader().attribution().split(" | ").map(str::to_owned));
    }
    credits.retain(|c| !c.trim().is_empty());
    credits.sort();
    credits.dedup();
    // "© OpenStreetMap contributors" is said by "© OpenStreetMap contributors (data ODbL…)".
    let all = credits.clone();
    credits.retain(|c| !all.iter().any(|o| o != c && o.contains(c.as_str())));
    credits.join(" | ")
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_loading();
        self.call_taker.poll();
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.poll_loading();
        self.call_taker.poll();
        self.poll_watcher();
        self.follow_index_swap();
        let ctx = ui.ctx().clone();
        let t = strings(self.settings.lang);
        let pal = theme::palette(self.settings.dark);
        if self.chrome.titled != Some(self.settings.lang) {
            self.chrome.titled = Some(self.settings.lang);
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(format!(
                "{} · Lamppost",
                t.title
            )));
        }
        let mut commands = Vec::new();
        // A window over the screens (the operator's name, settings, supervisor) is modal: the
        // screens below are disabled, so no keystroke reaches the code box or the log.
        let modal = self.chrome.operator_prompt.is_some()
            || self.chrome.settings_open
            || self.supervisor.is_some();
        if modal {
            self.close_on_escape(&ctx, &mut commands);
        }
        egui::Panel::bottom("status").show(ui, |ui| {
            if modal {
                ui.disable();
            }
            self.status_bar(ui, &mut commands);
        });
        if self.chrome.settings_open {
            self.settings_window(&ctx, &mut commands);
        }
        if let Some(sup) = &mut self.supervisor {
            commands.extend(sup.show(&ctx, t, self.settings.lang, &self.settings.operator));
        }
        self.operator_window(&ctx);
        self.poll_recovery(&ctx);
        let index = self.index();
        // The call-taker's keys first: Esc in the note goes back to the code box before the
        // note sees it.
        let enter = match (&self.background.data, &index) {
            (Data::Ready(_), Some(index)) if !modal => {
                self.call_taker.keys(ui, index, t, &mut commands)
            }
            _ => false,
        };
        // A narrow window (1024 wide, or 1366 at 150 %) keeps room for the map: a narrower
        // call panel, and the left panel no wider than what leaves the map its minimum.
        let width = ui.available_width();
        let calls_width = if width < theme::NARROW_WINDOW {
            theme::CALLS_PANEL_NARROW
        } else {
            theme::CALLS_PANEL_WIDTH
        };
        let calls_shown = if self.settings.show_calls {
            calls_width
        } else {
            0.0
        };
        let side_max = (width - calls_shown - theme::MAP_MIN_WIDTH)
            .clamp(theme::SIDE_PANEL_MIN, theme::SIDE_PANEL_MAX);
        if self.settings.show_calls {
            let operator = self.settings.operator.as_str();
            let call_taker = &mut self.call_taker;
            egui::Panel::right("calls")
                .exact_size(calls_width)
                .show(ui, |ui| {
                    if modal {
                        ui.disable();
                    }
                    call_taker.calls_panel(ui, t, pal, operator, &mut commands);
                });
        }
        match (&self.background.data, &index) {
            (Data::Ready(_), Some(index)) => {
                let (call_taker, news) = (&mut self.call_taker, &self.background.news);
                let side = egui::Panel::left("search")
                    .resizable(true)
                    .default_size(self.settings.side_width.min(side_max))
                    .size_range(theme::SIDE_PANEL_MIN..=side_max)
                    .show(ui, |ui| {
                        if modal {
                            ui.disable();
                        }
                        call_taker.side_panel(ui, index, t, pal, news, &mut commands);
                    });
                // Remembered as dragged (a narrow window's squeeze is not a choice).
                if side.response.rect.width() < side_max - 0.5
                    || self.settings.side_width < side_max
                {
                    self.settings.side_width = side.response.rect.width();
                }
                if enter {
                    commands.push(Command::Confirm(self.call_taker.highlighted()));
                }
                self.route_review_moves(index);
                let overlays = map::Overlays {
                    index,
                    selected: self.call_taker.selected(),
                    show_poles: self.settings.show_poles,
                    palette: pal,
                    credits: &self.background.credits,
                    caller: self.call_taker.caller_overlay(),
                };
                let map = &mut self.map;
                egui::CentralPanel::default().show(ui, |ui| {
                    if modal {
                        ui.disable();
                    }
                    map.show(ui, t, &overlays, &mut commands);
                });
                if let Some(started) = self.chrome.startup_probe.take() {
                    // The code box has the keyboard and the index answers: ready for a call.
                    println!("startup_ms={:.1}", started.elapsed().as_secs_f64() * 1e3);
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
            (Data::Failed(e), _) => {
                let e = e.clone();
                egui::CentralPanel::default().show(ui, |ui| {
                    if modal {
                        ui.disable();
                    }
                    self.error_screen(ui, &e, &mut commands);
                });
            }
            _ => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.centered_and_justified(|ui| ui.heading(t.loading));
                });
            }
        }
        for command in commands {
            self.apply(&ctx, index.as_deref(), command);
        }
        if index.is_some() {
            self.settings.map_view = Some(self.map.view());
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}

/// Opens the window (or, for a database that cannot be opened, a screen saying why).
pub fn run(options: Options) -> eframe::Result<()> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("灯杆报警定位 · Lamppost")
            .with_inner_size([1280.0, 800.0])
            // 1366×768 at 150 % is 910×512 points.
            .with_min_inner_size([800.0, 500.0])
            .with_icon(window_icon()),
        ..Default::default()
    };
    eframe::run_native(
        "lamppost",
        native,
        Box::new(move |cc| Ok(Box::new(App::new(cc, options)))),
    )
}

/// The window's icon (title bar, task bar), built into the binary so it never goes missing.
fn window_icon() -> Arc<egui::IconData> {
    let png = include_bytes!("../../assets/icon/lamppost.png");
    // An undecodable PNG would only cost the icon, not the window.
    let icon = eframe::icon_data::from_png_bytes(png).unwrap_or_default();
    Arc::new(icon)
}

/// Opens the basemap layers: the bundled world overview under the city basemap (`city`, an
/// MBTiles file or an XYZ folder, or the bundled `taipei.mbtiles`). A missing or broken file
/// costs its layer, not the window: the reason is returned to show.
fn open_basemap(
    ctx: &egui::Context,
    assets: &std::path::Path,
    city: Option<&std::path::Path>,
) -> (Option<LoaderTiles>, Vec<Message>) {
    let dir = assets.join("basemap");
    let city = city.map_or_else(|| dir.join("taipei.mbtiles"), std::path::Path::to_owned);
    let mut layers: Vec<Box<dyn TileSource>> = Vec::new();
    let mut warnings = Vec::new();
    for path in [dir.join("world.mbtiles"), city] {
        let opened: Result<Box<dyn TileSource>, _> = if path.is_dir() {
            XyzDir::open(&path).map(|x| Box::new(x) as Box<dyn TileSource>)
        } else {
            MbTiles::open(&path).map(|m| Box::new(m) as Box<dyn TileSource>)
        };
        match opened {
            Ok(layer) => layers.push(layer),
            Err(e) => warnings.push(e.message()),
        }
    }
    let tiles =
        (!layers.is_empty()).then(|| LoaderTiles::new(ctx, layers, LoaderConfig::default()));
    (tiles, warnings)
}

/// Says on stderr that no bundled font was found: Chinese then relies on the system's fonts.
fn log_missing_font() {
    eprintln!(
        "警告：未找到内置中文字体（assets/fonts），将使用系统字体 / warning: the bundled CJK font \
         (assets/fonts) was not found; using the system's fonts"
    );
}
