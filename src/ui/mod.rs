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

use std::path::PathBuf;
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
    /// Operator name, for the call log.
    pub operator: String,
    /// Last map centre (latitude, longitude) and zoom.
    pub map_view: Option<(f64, f64, f64)>,
    /// Show the call log panel.
    pub show_calls: bool,
    /// A folder (a network share) watched for newer data packages; empty: none.
    pub package_folder: String,
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
        } = options;
        let basemap = basemap.as_deref();
        if fonts::install(&cc.egui_ctx, &fonts::assets_dir()) == 0 {
            log_missing_font();
        }
        let settings: Settings = cc
            .storage
            .and_then(|s| eframe::get_value(s, SETTINGS_KEY))
            .unwrap_or_default();
        cc.egui_ctx.set_visuals(theme::visuals(settings.dark));
        let db_path = db.as_ref().ok().cloned();
        let data = match db {
            Ok(path) => {
                let (tx, rx) = std::sync::mpsc::channel();
                let ctx = cc.egui_ctx.clone();
                let spawned =
                    std::thread::Builder::new()
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
            },
        }
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
            Command::ToggleSettings => self.chrome.settings_open = !self.chrome.settings_open,
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
            Command::CloseSupervisor => self.supervisor = None,
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
                let label = ui.label(t.operator);
                ui.add(
                    egui::TextEdit::singleline(&mut self.settings.operator)
                        .hint_text(t.operator_hint)
                        .desired_width(90.0)
                        .char_limit(40)
                        .id_salt("operator"),
                )
                .labelled_by(label.id);
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
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui, &mut commands));
        if self.chrome.settings_open {
            self.settings_window(&ctx, &mut commands);
        }
        if let Some(sup) = &mut self.supervisor {
            commands.extend(sup.show(&ctx, t, self.settings.lang, &self.settings.operator));
        }
        let index = self.index();
        if self.settings.show_calls {
            let operator = self.settings.operator.as_str();
            let call_taker = &mut self.call_taker;
            egui::Panel::right("calls")
                .exact_size(theme::CALLS_PANEL_WIDTH)
                .show(ui, |ui| {
                    call_taker.calls_panel(ui, t, pal, operator, &mut commands);
                });
        }
        match (&self.background.data, &index) {
            (Data::Ready(_), Some(index)) => {
                let enter = self.call_taker.keys(ui, index, t, &mut commands);
                let (call_taker, news) = (&mut self.call_taker, &self.background.news);
                egui::Panel::left("search")
                    .exact_size(theme::SIDE_PANEL_WIDTH)
                    .show(ui, |ui| {
                        call_taker.side_panel(ui, index, t, pal, news, &mut commands);
                    });
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
                egui::CentralPanel::default()
                    .show(ui, |ui| map.show(ui, t, &overlays, &mut commands));
                if let Some(started) = self.chrome.startup_probe.take() {
                    // The code box has the keyboard and the index answers: ready for a call.
                    println!("startup_ms={:.1}", started.elapsed().as_secs_f64() * 1e3);
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
            (Data::Failed(e), _) => {
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.heading(RichText::new(t.db_error).color(pal.warning));
                    ui.add_space(8.0);
                    ui.label(RichText::new(e.in_lang(t.lang)).size(theme::CARD_SIZE));
                    ui.add_space(8.0);
                    ui.label(RichText::new(t.db_error_help).size(theme::CARD_SIZE));
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
            .with_min_inner_size([900.0, 600.0])
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
