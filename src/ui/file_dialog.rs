//! Choosing a file to import, inside the window.
//!
//! A native dialog would need GTK or a desktop portal on UOS/Kylin (not always installed on a
//! locked-down workstation) and cannot be driven by the GUI tests; this one is plain egui. It
//! lists folders first, then files (by default only the kinds the import reads), with the
//! home, desktop, documents and downloads folders and, on Windows, the drives as shortcuts.
//!
//! Folders are listed on a worker thread: a network share can take seconds to answer, and the
//! call-taker side of the window must not wait for it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::time::SystemTime;

use egui::{RichText, Ui};

use super::i18n::FileDialogStrings;

/// File name endings the import reads.
const DATA_EXTENSIONS: [&str; 12] = [
    "csv", "txt", "tsv", "geojson", "json", "tab", "xlsx", "xls", "ods", "shp", "gpkg", "xlsm",
];

/// One folder entry.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    path: PathBuf,
    is_dir: bool,
    bytes: u64,
    modified: Option<SystemTime>,
}

/// What a worker found in a folder.
struct Listing {
    dir: PathBuf,
    entries: Result<Vec<Entry>, String>,
    places: Vec<(String, PathBuf)>,
    /// Set when the path asked for was a file (typed in the folder box and Enter).
    picked: Option<PathBuf>,
}

/// What the dialog did this frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// Still open.
    Open,
    /// A file was chosen.
    Picked(PathBuf),
    /// Closed without a choice.
    Cancelled,
}

/// The file dialog's state.
pub struct FileDialog {
    dir: PathBuf,
    path_text: String,
    entries: Vec<Entry>,
    places: Vec<(String, PathBuf)>,
    error: Option<String>,
    only_data: bool,
    selected: Option<PathBuf>,
    listing: Option<Receiver<Listing>>,
}

impl FileDialog {
    /// Opens in the folder of `current` (a path typed before), else the home folder.
    #[must_use]
    pub fn new(current: &str, ctx: &egui::Context) -> Self {
        let current = PathBuf::from(current.trim());
        let mut d = Self {
            path_text: current.display().to_string(),
            dir: current.clone(),
            entries: Vec::new(),
            places: Vec::new(),
            error: None,
            only_data: true,
            selected: None,
            listing: None,
        };
        d.list(current, ctx, false);
        d
    }

    /// Lists every file, not only data files to import (a database, a data package).
    #[must_use]
    pub fn all_files(mut self) -> Self {
        self.only_data = false;
        self
    }

    /// The folder shown.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Lists `dir` on a worker (its parent, or the home folder, when it is not a folder); with
    /// `accept_file`, a path that names a file is picked instead.
    fn list(&mut self, dir: PathBuf, ctx: &egui::Context, accept_file: bool) {
        let (tx, rx) = channel();
        let ctx = ctx.clone();
        let want_places = self.places.is_empty();
        let started = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                // Every look at the disk happens here: a network path can take seconds.
                let picked = (accept_file && dir.is_file()).then(|| dir.clone());
                let dir = if dir.is_dir() {
                    dir
                } else {
                    dir.parent()
                        .filter(|p| p.is_dir())
                        .map(Path::to_owned)
                        .or_else(|| directories::UserDirs::new().map(|u| u.home_dir().to_owned()))
                        .unwrap_or_else(|| PathBuf::from("."))
                };
                let entries = read_folder(&dir);
                let places = if want_places { places() } else { Vec::new() };
                let _ = tx.send(Listing {
                    dir,
                    entries,
                    places,
                    picked,
                });
                ctx.request_repaint();
            });
        match started {
            Ok(_) => self.listing = Some(rx),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Takes a finished listing; returns the file picked by typing its path, if so.
    fn poll(&mut self) -> Option<PathBuf> {
        let rx = self.listing.as_ref()?;
        let l = rx.try_recv().ok()?;
        self.listing = None;
        if l.picked.is_some() {
            return l.picked;
        }
        if !l.places.is_empty() {
            self.places = l.places;
        }
        match l.entries {
            Ok(e) => {
                self.path_text = l.dir.display().to_string();
                self.dir = l.dir;
                self.entries = e;
                self.error = None;
                self.selected = None;
            }
            Err(e) => self.error = Some(format!("{e}: {}", l.dir.display())),
        }
        None
    }

    /// Draws the dialog (a modal window over the supervisor's); returns what happened.
    pub fn show(&mut self, ctx: &egui::Context, t: &FileDialogStrings) -> Outcome {
        let mut outcome = self.poll().map_or(Outcome::Open, Outcome::Picked);
        let mut go: Option<PathBuf> = None;
        let mut typed: Option<PathBuf> = None;
        let modal = egui::Modal::new(egui::Id::unique("import-file-dialog")).show(ctx, |ui| {
            ui.set_width(720.0);
            ui.heading(t.title);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(self.dir.parent().is_some(), egui::Button::new(t.up))
                    .on_hover_text("Backspace")
                    .clicked()
                {
                    go = self.dir.parent().map(Path::to_owned);
                }
                let l = ui.label(t.folder);
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.path_text)
                            .desired_width(520.0)
                            .id_salt("file-dialog-path"),
                    )
                    .labelled_by(l.id);
                if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    typed = Some(PathBuf::from(self.path_text.trim()));
                }
                if self.listing.is_some() {
                    ui.spinner();
                }
            });
            ui.horizontal_wrapped(|ui| {
                for (name, path) in &self.places {
                    if ui.small_button(name).clicked() {
                        go = Some(path.clone());
                    }
                }
            });
            if let Some(e) = &self.error {
                ui.colored_label(ui.visuals().warn_fg_color, e);
            }
            ui.separator();
            self.table(ui, t, &mut go, &mut outcome);
            ui.separator();
            ui.horizontal(|ui| {
                ui.checkbox(&mut self.only_data, t.only_data);
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui.button(t.cancel).clicked() {
                        outcome = Outcome::Cancelled;
                    }
                    if ui.button(t.use_folder).clicked() {
                        outcome = Outcome::Picked(self.dir.clone());
                    }
                    let chosen = self
                        .selected
                        .as_ref()
                        .and_then(|p| self.entries.iter().find(|e| &e.path == p));
                    if ui
                        .add_enabled(chosen.is_some(), egui::Button::new(t.open))
                        .clicked()
                        && let Some(e) = chosen
                    {
                        if e.is_dir {
                            go = Some(e.path.clone());
                        } else {
                            outcome = Outcome::Picked(e.path.clone());
                        }
                    }
                });
            });
        });
        if ui_typing_nowhere(ctx) && ctx.input(|i| i.key_pressed(egui::Key::Backspace)) {
            go = self.dir.parent().map(Path::to_owned);
        }
        if modal.should_close() && outcome == Outcome::Open {
            outcome = Outcome::Cancelled;
        }
        if let Some(path) = typed {
            self.list(path, ctx, true);
        } else if let Some(dir) = go {
            self.list(dir, ctx, false);
        }
        outcome
    }

    fn table(
        &mut self,
        ui: &mut Ui,
        t: &FileDialogStrings,
        go: &mut Option<PathBuf>,
        outcome: &mut Outcome,
    ) {
        let shown: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.is_dir || !self.only_data || is_data_file(&e.path))
            .collect();
        if shown.is_empty() && self.listing.is_none() && self.error.is_none() {
            ui.label(RichText::new(t.empty).weak());
        }
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        egui_extras::TableBuilder::new(ui)
            .id_salt("file-dialog-table")
            .striped(true)
            .sense(egui::Sense::click())
            .max_scroll_height(360.0)
            .min_scrolled_height(360.0)
            .auto_shrink([false, false])
            .column(egui_extras::Column::remainder().at_least(300.0).clip(true))
            .column(egui_extras::Column::exact(90.0))
            .column(egui_extras::Column::exact(140.0))
            .header(row_h, |mut h| {
                for name in [t.name, t.size, t.modified] {
                    h.col(|ui| {
                        ui.strong(name);
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, shown.len(), |mut row| {
                    let e = shown[row.index()];
                    let selected = self.selected.as_ref() == Some(&e.path);
                    row.set_selected(selected);
                    let mut name = None;
                    row.col(|ui| {
                        // A folder ends in the path separator, as `ls -F` shows it.
                        let text = if e.is_dir {
                            format!("{}{}", e.name, std::path::MAIN_SEPARATOR)
                        } else {
                            e.name.clone()
                        };
                        name = Some(
                            ui.add(
                                egui::Button::selectable(selected, text)
                                    .frame_when_inactive(false)
                                    .truncate(),
                            ),
                        );
                    });
                    row.col(|ui| {
                        if !e.is_dir {
                            ui.label(human_size(e.bytes));
                        }
                    });
                    row.col(|ui| {
                        if let Some(m) = e.modified {
                            let local: chrono::DateTime<chrono::Local> = m.into();
                            ui.label(local.format("%Y-%m-%d %H:%M").to_string());
                        }
                    });
                    let r = row.response();
                    let name = name.unwrap_or_else(|| r.clone());
                    if r.double_clicked() || name.double_clicked() {
                        if e.is_dir {
                            *go = Some(e.path.clone());
                        } else {
                            *outcome = Outcome::Picked(e.path.clone());
                        }
                    } else if r.clicked() || name.clicked() {
                        self.selected = Some(e.path.clone());
                    }
                });
            });
    }
}

/// True when no text box has the keyboard (so Backspace means "up a folder").
fn ui_typing_nowhere(ctx: &egui::Context) -> bool {
    !ctx.egui_wants_keyboard_input()
}

fn is_data_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| {
        let e = e.to_string_lossy().to_ascii_lowercase();
        DATA_EXTENSIONS.contains(&e.as_str())
    })
}

/// The folder's entries: folders first, then files, each by name (case-insensitive); hidden
/// entries (a leading dot) are left out.
fn read_folder(dir: &Path) -> Result<Vec<Entry>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
    let mut out: Vec<Entry> = rd
        .filter_map(Result::ok)
        .filter_map(|d| {
            let name = d.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                return None;
            }
            let path = d.path();
            // Follows links, so a linked folder opens like a folder.
            let meta = std::fs::metadata(&path).ok()?;
            Some(Entry {
                name,
                path,
                is_dir: meta.is_dir(),
                bytes: meta.len(),
                modified: meta.modified().ok(),
            })
        })
        .collect();
    out.sort_by_cached_key(|e| (!e.is_dir, e.name.to_lowercase()));
    Ok(out)
}

/// Shortcuts: the user's folders and, on Windows, the drives that exist.
fn places() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Some(u) = directories::UserDirs::new() {
        out.push(("~".to_owned(), u.home_dir().to_owned()));
        for p in [u.desktop_dir(), u.document_dir(), u.download_dir()]
            .into_iter()
            .flatten()
        {
            if let Some(n) = p.file_name() {
                out.push((n.to_string_lossy().into_owned(), p.to_owned()));
            }
        }
    }
    if cfg!(windows) {
        for letter in b'A'..=b'Z' {
            let root = PathBuf::from(format!("{}:\\", letter as char));
            if root.is_dir() {
                out.push((format!("{}:", letter as char), root));
            }
        }
    } else {
        out.push(("/".to_owned(), PathBuf::from("/")));
    }
    out
}

/// A size as a file manager shows it: `12.3 MB`, `850 KB`, `120 B`.
pub(crate) fn human_size(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.0} KB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_come_first_and_hidden_entries_are_left_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("子目录")).unwrap();
        std::fs::write(dir.path().join("a 数据.csv"), "x").unwrap();
        std::fs::write(dir.path().join("B.geojson"), "x").unwrap();
        std::fs::write(dir.path().join("c.xlsx"), "x").unwrap();
        std::fs::write(dir.path().join("d.shp"), "x").unwrap();
        std::fs::write(dir.path().join("d.dbf"), "x").unwrap();
        std::fs::write(dir.path().join(".hidden.csv"), "x").unwrap();
        let e = read_folder(dir.path()).unwrap();
        let names: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "子目录",
                "a 数据.csv",
                "B.geojson",
                "c.xlsx",
                "d.dbf",
                "d.shp"
            ]
        );
        // The import's files, not a Shapefile's other parts.
        for (name, data) in [
            ("c.xlsx", true),
            ("old.XLS", true),
            ("x.ods", true),
            ("d.shp", true),
            ("q.gpkg", true),
            ("d.dbf", false),
            ("d.shx", false),
        ] {
            assert_eq!(is_data_file(Path::new(name)), data, "{name}");
        }
        assert!(e[0].is_dir);
        assert!(is_data_file(&e[2].path));
        assert!(!is_data_file(Path::new("notes.docx")));
        assert!(read_folder(&dir.path().join("missing")).is_err());
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_size(120), "120 B");
        assert_eq!(human_size(850_000), "850 KB");
        assert_eq!(human_size(12_300_000), "12.3 MB");
    }
}
