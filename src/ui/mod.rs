//! The call-taker window (egui/eframe): type a code, see the pole on the map, read back the
//! sentence. Keyboard first: typing goes to the code box, ↑/↓ choose, Enter confirms, Esc
//! clears.
//!
//! State, then draw: the frame reads the in-memory index (microseconds); the index is built on
//! a worker thread at start and swapped in when ready, so the first frame never waits on disk.

pub mod calls;
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

use egui::{Key, Modifiers, RichText, Ui};
use walkers::{Map, MapMemory};

use crate::ui::tiles::LoaderTiles;
use crate::watch::{DataWatcher, WatchEvent, WatchRequest};
use i18n::{Strings, strings};
use lamppost_basemap::loader::LoaderConfig;
use lamppost_basemap::mbtiles::MbTiles;
use lamppost_basemap::{TileSource, XyzDir};
use lamppost_core::estimate::Position;
use lamppost_core::geo::format_latlon_dms;
use lamppost_core::readback::Lang;
use lamppost_data::calllog::{Call, NewCall, PositionKind};
use lamppost_search::{IndexHandle, PoleId, Reason, SearchIndex, SearchResults, Target};

/// Results shown in the list.
const RESULT_LIMIT: usize = 20;

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
    Loading(Receiver<Result<SearchIndex, String>>),
    Ready(Arc<IndexHandle>),
    Failed(String),
}

/// The window's state.
pub struct App {
    data: Data,
    settings: Settings,
    query: String,
    /// The query the results are for (reset when new data is swapped in).
    searched: Option<String>,
    results: SearchResults,
    highlighted: usize,
    selected: Option<PoleId>,
    map: MapMemory,
    /// The offline basemap (world overview under the city), when its files are there.
    tiles: Option<LoaderTiles>,
    /// Why part of the basemap is missing, shown in the status bar.
    tile_warnings: Vec<String>,
    map_rect: Option<egui::Rect>,
    /// The basemap's datum: markers are shifted when it is GCJ-02.
    datum: map::MapDatum,
    /// The map has a starting view (saved, or the basemap's centre).
    centred: bool,
    /// The language the window title was last set in (setting it each frame would repaint
    /// forever).
    titled: Option<Lang>,
    flash: Option<(String, f64)>,
    calls: calls::CallsPanel,
    /// The last call recorded: its ticket, pole and the query it was confirmed from (Enter
    /// again on the same result does not log it twice).
    logged: Option<(u64, PoleId, String)>,
    /// Wakes the window from worker threads.
    repaint: egui::Context,
    /// The reference database, when it could be resolved.
    db_path: Option<PathBuf>,
    /// Reloads the index when the database changes; offers packages from a watched folder.
    watcher: Option<DataWatcher>,
    /// The index the selection and results refer to; replaced (and the selection found again
    /// by code) once per frame when new data was swapped in.
    pinned: Option<Arc<SearchIndex>>,
    /// The credits for the pinned index and the basemap.
    credits_text: String,
    /// What changed in the data (shown in the status bar).
    data_note: Option<String>,
    /// A newer data package waiting for the call-taker's "install".
    offer: Option<(PathBuf, lamppost_data::store::package::Manifest)>,
    /// A data problem to show until dismissed (a failed reload or install).
    data_warning: Option<String>,
    /// The settings window is open.
    settings_open: bool,
    /// Supervisor mode, while its window is open.
    supervisor: Option<supervisor::Supervisor>,
    /// Poles the import under review moves (old, new), for the map.
    moves: Vec<(lamppost_core::geo::LatLon, lamppost_core::geo::LatLon)>,
    /// The report generation `moves` was made for.
    moves_for: Option<u64>,
    /// The code box's id, to tell whether the keyboard is in it.
    code_box: Option<egui::Id>,
    /// Select the code box's text in the next frame (after a confirm: the next call's first
    /// keystroke replaces it).
    select_query: bool,
    startup_probe: Option<std::time::Instant>,
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
                            let r = SearchIndex::open(&path).map_err(|e| e.to_string());
                            let _ = tx.send(r);
                            ctx.request_repaint();
                        });
                match spawned {
                    Ok(_) => Data::Loading(rx),
                    Err(e) => Data::Failed(e.to_string()),
                }
            }
            Err(e) => Data::Failed(e),
        };
        let (tiles, tile_warnings) = open_basemap(&cc.egui_ctx, &fonts::assets_dir(), basemap);
        let mut map = MapMemory::default();
        // Where the map starts: the last view, else the basemap's declared centre, else (once
        // the index is loaded) the dataset.
        let datum = map::MapDatum {
            gcj02: tiles.as_ref().is_some_and(|t| {
                t.loader()
                    .layers()
                    .last()
                    .is_some_and(|m| m.datum == lamppost_basemap::Datum::Gcj02)
            }),
        };
        let saved = settings.map_view.map(|(lat, lon, zoom)| {
            (
                datum.to_map(lamppost_core::geo::LatLon::new(lat, lon)),
                zoom,
            )
        });
        let start = saved.or_else(|| {
            let c = tiles.as_ref()?.loader().start_center()?;
            Some((walkers::lat_lon(c.lat_deg, c.lon_deg), f64::from(c.zoom)))
        });
        if let Some((at, zoom)) = start {
            map.center_at(at);
            let _ = map.set_zoom(zoom);
        }
        let centred = start.is_some();
        let ctx = cc.egui_ctx.clone();
        let calls = calls::CallsPanel::new(calls, move || ctx.request_repaint());
        Self {
            data,
            settings,
            query: String::new(),
            searched: None,
            results: SearchResults::default(),
            highlighted: 0,
            selected: None,
            map,
            tiles,
            tile_warnings,
            map_rect: None,
            datum,
            centred,
            titled: None,
            flash: None,
            calls,
            logged: None,
            db_path,
            repaint: cc.egui_ctx.clone(),
            watcher: None,
            pinned: None,
            data_note: None,
            credits_text: String::new(),
            offer: None,
            data_warning: None,
            settings_open: false,
            supervisor: None,
            moves: Vec::new(),
            moves_for: None,
            code_box: None,
            select_query: false,
            startup_probe,
        }
    }

    /// True once the index is loaded.
    #[must_use]
    pub fn is_ready(&self) -> bool {
        matches!(self.data, Data::Ready(_))
    }

    /// The error shown instead of the map, if any.
    #[must_use]
    pub fn error(&self) -> Option<&str> {
        match &self.data {
            Data::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// The text in the code box.
    #[must_use]
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The confirmed pole's code, if any.
    #[must_use]
    pub fn selected_code(&self) -> Option<String> {
        let index = self.index()?;
        self.selected.map(|id| index.pole(id).code().to_owned())
    }

    /// Where the map was drawn in the last frame (for tests and screenshots).
    #[must_use]
    pub fn map_rect(&self) -> Option<egui::Rect> {
        self.map_rect
    }

    /// Today's saved calls, newest first (as the panel shows them).
    #[must_use]
    pub fn calls_today(&self) -> &[Call] {
        self.calls.today()
    }

    /// True while a confirmed call is sent to the log and not yet on disk.
    #[must_use]
    pub fn call_pending(&self) -> bool {
        self.calls.has_pending()
    }

    /// How many poles the import under review would move, as drawn on the map.
    #[must_use]
    pub fn moves_drawn(&self) -> usize {
        self.moves.len()
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
        match &self.data {
            Data::Ready(_) => self.pinned.clone(),
            _ => None,
        }
    }

    fn poll_loading(&mut self) {
        if let Data::Loading(rx) = &self.data {
            match rx.try_recv() {
                Ok(Ok(index)) => {
                    if !self.centred
                        && let Some(at) = index.streets().iter().find_map(|s| s.anchor)
                    {
                        self.map.center_at(self.datum.to_map(at));
                        let _ = self.map.set_zoom(14.0);
                    }
                    let handle = IndexHandle::new(index);
                    if let Some(db) = self.db_path.clone() {
                        let ctx = self.repaint.clone();
                        self.watcher = DataWatcher::spawn(
                            db,
                            Arc::clone(&handle),
                            self.package_folder(),
                            WATCH_EVERY,
                            move || ctx.request_repaint(),
                        )
                        .ok();
                    }
                    self.data = Data::Ready(handle);
                }
                Ok(Err(e)) => self.data = Data::Failed(e),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.data = Data::Failed("index loader stopped".into());
                }
            }
        }
    }

    fn package_folder(&self) -> Option<PathBuf> {
        let f = self.settings.package_folder.trim();
        (!f.is_empty()).then(|| PathBuf::from(f))
    }

    /// Drains the data watcher's news.
    fn poll_watcher(&mut self) {
        let t = strings(self.settings.lang);
        while let Some(e) = self.watcher.as_ref().and_then(DataWatcher::try_event) {
            match e {
                WatchEvent::Reloaded { to, .. } => {
                    self.data_note = Some(t.data_updated.replace("{v}", &to.to_string()));
                    self.offer = None;
                }
                WatchEvent::ReloadFailed(e) | WatchEvent::InstallFailed(e) => {
                    self.data_warning = Some(e);
                }
                WatchEvent::PackageOffered { path, manifest } => {
                    self.offer = Some((path, manifest));
                }
                WatchEvent::Installed(_) => self.offer = None,
            }
        }
    }

    /// After the index was swapped (new data), pole ids of the old index mean nothing: find
    /// the selected pole again by its code, and search again.
    fn follow_index_swap(&mut self) {
        let Data::Ready(handle) = &self.data else {
            return;
        };
        let latest = handle.load();
        if self
            .pinned
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, &latest))
        {
            return;
        }
        self.credits_text = self.credits(&latest);
        let old = self.pinned.replace(Arc::clone(&latest));
        let code = old
            .as_ref()
            .zip(self.selected)
            .map(|(o, id)| o.pole(id).code().to_owned());
        self.selected = code.and_then(|c| latest.lookup(&c));
        self.logged = None;
        self.results = SearchResults::default();
        self.searched = None;
        self.highlighted = 0;
        self.refresh_results();
    }

    fn refresh_results(&mut self) {
        let Some(index) = &self.pinned else {
            return;
        };
        if self.searched.as_ref() == Some(&self.query) {
            return;
        }
        self.results = index.search(&self.query, RESULT_LIMIT);
        self.highlighted = 0;
        self.searched = Some(self.query.clone());
    }

    fn confirm(&mut self, index: &SearchIndex, k: usize) {
        let Some(hit) = self.results.hits.get(k).copied() else {
            return;
        };
        match hit.target {
            Target::Pole(id) => {
                self.selected = Some(id);
                if let Some(at) = index.pole(id).point() {
                    self.map.center_at(self.datum.to_map(at));
                    let _ = self.map.set_zoom(theme::STREET_ZOOM);
                }
                self.log_call(index, id);
                self.select_query = true;
            }
            Target::Street(s) => {
                let street = &index.streets()[s as usize];
                self.query = format!("{} ", street.name);
                if let Some(at) = street.anchor {
                    self.map.center_at(self.datum.to_map(at));
                    let _ = self.map.set_zoom(15.0);
                }
            }
        }
    }

    /// Sends the confirmed call to the log worker, unless this very result was just logged.
    fn log_call(&mut self, index: &SearchIndex, id: PoleId) {
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
            operator: self.settings.operator.trim().to_owned(),
            query: self.query.clone(),
            code: p.code().to_owned(),
            street: p.street().name.clone(),
            pole_no: p.pole_no().map(i64::from),
            address: p.address().to_owned(),
            readback: p.readback(self.settings.lang),
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
    fn card_text(&self, index: &SearchIndex, id: PoleId) -> String {
        let p = index.pole(id);
        let t = strings(self.settings.lang);
        let pos = p.position();
        let coords = pos.point().map_or_else(
            || t.unknown.to_owned(),
            |at| {
                format!(
                    "{:.6}, {:.6} ({})",
                    at.lat_deg,
                    at.lon_deg,
                    format_latlon_dms(at)
                )
            },
        );
        let kind = match pos {
            Position::Surveyed(_) => t.surveyed.to_owned(),
            Position::Estimated { radius_m, .. } => {
                format!("{} ±{radius_m:.0} {}", t.estimated, t.metres)
            }
            Position::Unknown => t.unknown.to_owned(),
        };
        format!(
            "{}: {}\n{}: {}\n{}: {} [{kind}]\n{}",
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
            p.readback(self.settings.lang)
        )
    }

    fn select_pole(&mut self, index: &SearchIndex, id: PoleId) {
        self.selected = Some(id);
        index.pole(id).code().clone_into(&mut self.query);
        self.refresh_results();
    }

    /// Handles the keys the code box must not see; returns whether Enter was pressed. Enter is
    /// applied by the caller after the code box has taken this frame's typing, so that a fast
    /// typist's last digit and Enter in one frame confirm the result for the whole code, never
    /// the stale result of the code without its last digit.
    fn handle_keys(&mut self, ui: &Ui, index: &SearchIndex) -> bool {
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
            ui.ctx()
                .copy_text(index.pole(id).readback(self.settings.lang));
            self.flash(ui, strings(self.settings.lang).copied);
        }
        if copy_card && let Some(id) = self.selected {
            ui.ctx().copy_text(self.card_text(index, id));
            self.flash(ui, strings(self.settings.lang).card_copied);
        }
        enter
    }

    fn flash(&mut self, ui: &Ui, text: &str) {
        self.flash = Some((text.to_owned(), ui.input(|i| i.time) + 2.0));
    }

    fn side_panel(&mut self, ui: &mut Ui, index: &SearchIndex) {
        let t = strings(self.settings.lang);
        let pal = theme::palette(self.settings.dark);
        self.data_banners(ui, t, pal);
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
        self.refresh_results();
        ui.label(RichText::new(t.keys_help).small().weak());
        ui.separator();

        self.results_list(ui, index, t, pal);
        ui.separator();
        self.card(ui, index, t, pal);
    }

    fn results_list(&mut self, ui: &mut Ui, index: &SearchIndex, t: &Strings, pal: theme::Palette) {
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
                            let side =
                                p.side()
                                    .map_or(String::new(), |s| match self.settings.lang {
                                        Lang::Zh => format!("{}侧", s.zh()),
                                        Lang::En => s.en().to_owned(),
                                    });
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
                    let line = format!(
                        "{text}   · {} · {dist}",
                        h.reason.describe(self.settings.lang)
                    );
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
            self.confirm(index, k);
        }
    }

    fn card(&mut self, ui: &mut Ui, index: &SearchIndex, t: &Strings, pal: theme::Palette) {
        let Some(id) = self.selected else {
            ui.label(RichText::new(t.nothing_selected).weak());
            return;
        };
        let p = index.pole(id);
        let lang = self.settings.lang;
        ui.label(RichText::new(t.readback).strong());
        let sentence = p.readback(lang);
        ui.add(egui::Label::new(
            RichText::new(&sentence)
                .size(theme::READBACK_SIZE)
                .strong()
                .color(pal.readback),
        ));
        ui.horizontal(|ui| {
            if ui.button(t.copy).clicked() {
                ui.ctx().copy_text(sentence);
                self.flash(ui, t.copied);
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
                row(
                    t.side,
                    p.side().map_or("-".into(), |s| match lang {
                        Lang::Zh => format!("{}侧", s.zh()),
                        Lang::En => s.en().to_owned(),
                    }),
                );
                row(t.cross_street, p.cross_street().to_owned());
                row(t.landmark, p.landmark().to_owned());
                row(t.jurisdiction, p.jurisdiction().to_owned());
                row(t.address, p.address().to_owned());
                match pos {
                    Position::Surveyed(at) | Position::Estimated { at, .. } => {
                        row(
                            t.coordinates,
                            format!(
                                "{:.6}, {:.6}\n{}",
                                at.lat_deg,
                                at.lon_deg,
                                format_latlon_dms(at)
                            ),
                        );
                    }
                    Position::Unknown => row(t.coordinates, "-".into()),
                }
                let kind = match pos {
                    Position::Surveyed(_) => t.surveyed.to_owned(),
                    Position::Estimated { radius_m, .. } => {
                        format!("{} ±{radius_m:.0} {}", t.estimated, t.metres)
                    }
                    Position::Unknown => t.unknown.to_owned(),
                };
                row(t.position, kind);
                row(t.dataset, index.info().name.clone());
                row(t.data_version, index.info().data_version.to_string());
            });
    }

    /// A newer data package on offer, or a data problem, above the code box.
    fn data_banners(&mut self, ui: &mut Ui, t: &Strings, pal: theme::Palette) {
        let mut install = None;
        let mut dismiss = false;
        if let Some((path, m)) = &self.offer {
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
                    install = Some(path.clone());
                }
                dismiss = ui.button(t.dismiss).clicked();
            });
        }
        if let Some(path) = install {
            if let Some(w) = &self.watcher {
                w.send(WatchRequest::Install(path));
            }
            self.offer = None;
        }
        if dismiss {
            self.offer = None;
        }
        let mut clear = false;
        if let Some(w) = &self.data_warning {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(pal.warning, w);
                clear = ui.button(t.dismiss).clicked();
            });
        }
        if clear {
            self.data_warning = None;
        }
    }

    /// The settings window: the data package folder.
    fn settings_window(&mut self, ctx: &egui::Context) {
        let t = strings(self.settings.lang);
        let mut open = self.settings_open;
        let mut apply = false;
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
                apply = ui.button(t.apply).clicked();
            });
        if apply && let Some(w) = &self.watcher {
            w.send(WatchRequest::SetFolder(self.package_folder()));
        }
        self.settings_open = open;
    }

    fn status_bar(&mut self, ui: &mut Ui) {
        let t = strings(self.settings.lang);
        let pal = theme::palette(self.settings.dark);
        // The controls on the right come first, so that a long dataset name or warning is
        // cut short instead of pushing them out of the window.
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(t.settings).clicked() {
                self.settings_open = !self.settings_open;
            }
            if let Some(db) = &self.db_path
                && ui.button(t.sup.open).clicked()
                && self.supervisor.is_none()
            {
                self.supervisor = Some(supervisor::Supervisor::new(db.clone(), ui.ctx()));
            }
            if ui.button(t.language).clicked() {
                self.settings.lang = match self.settings.lang {
                    Lang::Zh => Lang::En,
                    Lang::En => Lang::Zh,
                };
            }
            if ui.checkbox(&mut self.settings.dark, t.dark_theme).changed() {
                ui.ctx().set_visuals(theme::visuals(self.settings.dark));
            }
            ui.checkbox(&mut self.settings.show_poles, t.show_poles);
            ui.checkbox(&mut self.settings.show_calls, t.show_calls);
            if let Some((text, until)) = &self.flash {
                if ui.input(|i| i.time) < *until {
                    ui.label(RichText::new(text).strong().color(pal.ok));
                } else {
                    self.flash = None;
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
                if let Some(index) = self.index() {
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
                        t.surveyed,
                        c.estimated,
                        t.estimated
                    ));
                }
                if let Some(note) = &self.data_note {
                    parts.push(note.clone());
                }
                ui.add(egui::Label::new(parts.join("  |  ")).truncate());
                for w in &self.tile_warnings {
                    ui.separator();
                    ui.add(egui::Label::new(RichText::new(w).color(pal.warning)).truncate());
                }
            });
        });
    }

    /// The data's and the basemap's credits, each once (they often name the same source).
    /// Made when an index is pinned, not every frame.
    fn credits(&self, index: &SearchIndex) -> String {
        let mut credits: Vec<String> = vec![index.info().attribution.clone()];
        if let Some(t) = &self.tiles {
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

    /// The moves of the import under review, resolved against the current data (once per
    /// report, not per frame).
    fn refresh_moves(&mut self, index: &SearchIndex) {
        let key = self
            .supervisor
            .as_ref()
            .and_then(|s| s.report().map(|_| s.report_generation()));
        if key == self.moves_for {
            return;
        }
        self.moves_for = key;
        self.moves.clear();
        let Some(r) = self
            .supervisor
            .as_ref()
            .and_then(supervisor::Supervisor::report)
        else {
            return;
        };
        for m in supervisor::moved_poles(r, MAX_MOVES_DRAWN) {
            let old = index.lookup(&m.code).and_then(|id| index.pole(id).point());
            let Some(old) = old else { continue };
            let new = lamppost_core::geo::LatLon::new(
                m.lat_deg.unwrap_or(old.lat_deg),
                m.lon_deg.unwrap_or(old.lon_deg),
            );
            if new.is_valid() {
                self.moves.push((old, new));
            }
        }
    }

    fn map_view(&mut self, ui: &mut Ui, index: &SearchIndex) {
        let t = strings(self.settings.lang);
        self.refresh_moves(index);
        let layer = map::PoleLayer {
            index,
            selected: self.selected,
            show_poles: self.settings.show_poles,
            palette: theme::palette(self.settings.dark),
            estimated_word: t.estimated,
            datum: self.datum,
            moves: &self.moves,
        };
        let datum = self.datum;
        let home = index
            .streets()
            .iter()
            .find_map(|s| s.anchor)
            .map_or(walkers::lat_lon(0.0, 0.0), |a| datum.to_map(a));
        let credits = self.credits_text.as_str();
        let has_selection = self.selected.is_some();
        let tiles = self.tiles.as_mut().map(|t| t as &mut dyn walkers::Tiles);
        let shown = Map::new(tiles, &mut self.map, home)
            .with_plugin(layer)
            .show(ui, |ui, response, projector, _memory| {
                let rect = response.rect;
                let centre = projector.unproject(rect.center().to_vec2());
                map::scale_bar(
                    ui,
                    rect,
                    f64::from(projector.scale_pixel_per_meter(centre)),
                    t.metres,
                    t.kilometres,
                );
                map::attribution(ui, rect, credits);
                if let Some(action) = map::controls(ui, rect, t, has_selection) {
                    return Some(action);
                }
                if response.clicked()
                    && let Some(pos) = response.interact_pointer_pos()
                {
                    Some(map::MapAction::Click(
                        datum.from_map(projector.unproject(pos.to_vec2())),
                    ))
                } else {
                    None
                }
            });
        self.map_rect = Some(shown.response.rect);
        let zoom_keys = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::COMMAND, Key::Plus)
                    | i.consume_key(Modifiers::COMMAND, Key::Equals),
                i.consume_key(Modifiers::COMMAND, Key::Minus),
                i.consume_key(Modifiers::COMMAND, Key::L),
            )
        });
        let action = shown.inner.or(match zoom_keys {
            (true, _, _) => Some(map::MapAction::ZoomIn),
            (_, true, _) => Some(map::MapAction::ZoomOut),
            (_, _, true) => Some(map::MapAction::ZoomToSelection),
            _ => None,
        });
        match action {
            Some(map::MapAction::Click(at)) => {
                if let Some((id, _)) = index.nearest(at) {
                    self.select_pole(index, id);
                }
            }
            Some(map::MapAction::ZoomIn) => {
                let _ = self.map.zoom_in();
            }
            Some(map::MapAction::ZoomOut) => {
                let _ = self.map.zoom_out();
            }
            Some(map::MapAction::ZoomToSelection) => {
                if let Some(at) = self.selected.and_then(|id| index.pole(id).point()) {
                    self.map.center_at(datum.to_map(at));
                    let _ = self.map.set_zoom(theme::STREET_ZOOM);
                }
            }
            None => {}
        }
        let centre = datum.from_map(self.map.detached().unwrap_or(home));
        self.settings.map_view = Some((centre.lat_deg, centre.lon_deg, self.map.zoom()));
    }
}

impl eframe::App for App {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.poll_loading();
        self.calls.poll();
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.poll_loading();
        self.calls.poll();
        self.poll_watcher();
        self.follow_index_swap();
        let t = strings(self.settings.lang);
        if self.titled != Some(self.settings.lang) {
            self.titled = Some(self.settings.lang);
            ui.ctx()
                .send_viewport_cmd(egui::ViewportCommand::Title(format!(
                    "{} · Lamppost",
                    t.title
                )));
        }
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        if self.settings_open {
            self.settings_window(&ui.ctx().clone());
        }
        if let Some(sup) = &mut self.supervisor
            && !sup.show(
                &ui.ctx().clone(),
                t,
                self.settings.lang,
                &self.settings.operator,
            )
        {
            self.supervisor = None;
        }
        let index = self.index();
        if self.settings.show_calls {
            let pal = theme::palette(self.settings.dark);
            let operator = self.settings.operator.clone();
            let action = egui::Panel::right("calls")
                .exact_size(theme::CALLS_PANEL_WIDTH)
                .show(ui, |ui| self.calls.show(ui, t, pal, &operator))
                .inner;
            if let (Some(calls::PanelAction::ShowCode(code)), Some(index)) = (action, &index)
                && let Some(id) = index.lookup(&code)
            {
                self.select_pole(index, id);
                self.logged = None;
                if let Some(at) = index.pole(id).point() {
                    self.map.center_at(self.datum.to_map(at));
                    let _ = self.map.set_zoom(theme::STREET_ZOOM);
                }
            }
        }
        match (&self.data, index) {
            (Data::Ready(_), Some(index)) => {
                let enter = self.handle_keys(ui, &index);
                egui::Panel::left("search")
                    .exact_size(theme::SIDE_PANEL_WIDTH)
                    .show(ui, |ui| self.side_panel(ui, &index));
                if enter {
                    self.refresh_results();
                    self.confirm(&index, self.highlighted);
                }
                egui::CentralPanel::default().show(ui, |ui| self.map_view(ui, &index));
                if let Some(started) = self.startup_probe.take() {
                    // The code box has the keyboard and the index answers: ready for a call.
                    println!("startup_ms={:.1}", started.elapsed().as_secs_f64() * 1e3);
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
            (Data::Failed(e), _) => {
                let e = e.clone();
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.heading(
                        RichText::new(t.db_error).color(theme::palette(self.settings.dark).warning),
                    );
                    ui.add_space(8.0);
                    ui.label(RichText::new(e).size(theme::CARD_SIZE));
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
) -> (Option<LoaderTiles>, Vec<String>) {
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
            Err(e) => warnings.push(e.to_string()),
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
