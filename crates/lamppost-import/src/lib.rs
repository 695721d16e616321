//! The supervisor's import: a CSV or GeoJSON file of poles, in whatever encoding, delimiter,
//! column names and datum it came in, checked, compared with the reference data, and applied
//! as one new data version that can be undone.
//!
//! Flow: [`read`] decodes the file and pushes rows → [`mapping`] picks each field's column →
//! each row is validated, converted to WGS-84 ([`datum`]) and compared with the stored pole →
//! added/changed rows are written inside one SQLite transaction as they stream by (with their
//! `pole_history` rows) → at the end the transaction is committed as a new version, or rolled
//! back (dry run, or a file with errors). Memory is bounded by the number of distinct codes in
//! the file (for duplicate detection) and the report, not by the file's size.
//!
//! See `docs/IMPORT.md` for the rules in full.

#![forbid(unsafe_code)]

pub use lamppost_core::datum;
pub mod coords;
pub mod finding;
pub mod history;
pub mod mapping;
pub mod preview;
pub mod progress;
pub mod read;
mod validate;
mod words;

use std::path::Path;

use hashbrown::{HashMap, HashSet};
use sha2::{Digest, Sha256};

use lamppost_core::geo::{LatLon, wgs84_to_gcj02};
use lamppost_core::model::pole_no_text;
use lamppost_core::words::{Message, Words};
pub use lamppost_data::store::PoleRow;
use lamppost_data::store::write::{HistoryOp, NewVersion, VersionCounts, VersionWriter};
use lamppost_data::store::{Store, StoreError};

pub use coords::{CrsChoice, CrsSource, SeenCoords, SeenCrs, choose_crs};
pub use finding::{Finding, FindingKind};
pub use history::{UndoReport, VersionInfo, undo, versions};
pub use lamppost_core::crs::Crs;
pub use mapping::{
    Field, MapSpec, Mapping, SavedMapping, SettingError, parse_map_specs, parse_set_specs,
    save_mapping,
};
pub use preview::{Preview, preview, preview_sheet};
pub use progress::{ImportControl, Progress, Stage};
pub use read::{Detected, Format, Input};
use validate::{CheckedRow, RowFindings, RowRules, Update, validate_row};

/// Longest text accepted in a field (characters); real addresses are under 100.
pub const MAX_TEXT_CHARS: usize = lamppost_core::canonical::MAX_FIELD_CHARS;
/// A pole further than this from every neighbour by number on its street is suspect.
pub const NEIGHBOUR_WARN_M: f64 = 500.0;
/// At most this many findings of each kind are kept in a report (the totals are exact).
pub const MAX_FINDINGS: usize = 10_000;
/// At most this many changes are listed in a report (the counts are exact).
pub const MAX_CHANGES: usize = 200_000;

/// Why an import, undo or export could not run at all (as opposed to findings in the file).
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum ImportError {
    /// The file could not be read.
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The database said no.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `--mapping NAME` names nothing saved.
    NoMapping(String),
    /// A saved mapping could not be read or written (the JSON's words).
    BadMapping(String),
    /// A setting cannot be used (a saved mapping's field, an encoding).
    #[error(transparent)]
    Setting(#[from] SettingError),
    /// A mapping name that is empty or holds control characters.
    BadMappingName,
    /// A change-history row could not be read (the JSON's words).
    BadHistory(String),
    /// No such data version.
    NoVersion(i64),
    /// The version has no change history (the initial load).
    NoHistory(i64),
    /// Later versions changed the same poles.
    UndoConflict {
        /// The version asked for.
        version: i64,
        /// The later versions touching the same codes.
        later: Vec<i64>,
        /// How many codes conflict.
        total: u64,
        /// A few of them.
        examples: String,
    },
    /// The watcher cancelled the import (see [`ImportControl::cancel`]); it was rolled back.
    Cancelled,
}

impl Words for ImportError {
    fn message(&self) -> Message {
        match self {
            Self::Read { path, source } => Message::new(
                format!("无法读取文件（{source}）"),
                format!("cannot read the file ({source})"),
            )
            .about(path),
            Self::Store(e) => e.message(),
            Self::NoMapping(name) => Message::new(
                "没有名为此名称的已保存映射（用 --save-mapping 保存）",
                "no saved mapping by this name (save one with --save-mapping)",
            )
            .about(name),
            Self::BadMapping(detail) => {
                Message::new("映射无法读取", "the mapping cannot be read").about(detail)
            }
            Self::Setting(e) => e.message(),
            Self::BadMappingName => Message::new(
                "映射名称不能为空或含控制字符",
                "a mapping name must not be empty or hold control characters",
            ),
            Self::BadHistory(detail) => {
                Message::new("变更记录无法读取", "a history row cannot be read").about(detail)
            }
            Self::NoVersion(v) => Message::new("没有这个数据版本", "no such data version").about(v),
            Self::NoHistory(v) => Message::new(
                "该版本没有变更记录，无法撤销（初始装载请用数据包恢复）",
                "this version has no change history and cannot be undone (restore an initial load from a data package)",
            )
            .about(v),
            Self::UndoConflict {
                version,
                later,
                total,
                examples,
            } => Message::new(
                format!("无法撤销版本 {version}：之后的版本 {later:?} 又修改了其中 {total} 个编码（如 {examples}）；请先撤销之后的版本"),
                format!("cannot undo version {version}: later versions {later:?} changed {total} of its codes again (e.g. {examples}); undo the later versions first"),
            ),
            Self::Cancelled => Message::new(
                "导入已取消，未写入任何内容",
                "the import was cancelled; nothing was written",
            ),
        }
    }
}

/// How to import.
// Independent switches, as on the command line.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--map` items (override a saved mapping field by field).
    pub map: Vec<MapSpec>,
    /// `--mapping NAME`: a saved mapping to start from.
    pub mapping_name: Option<String>,
    /// `--save-mapping NAME`: save the mapping used (when it resolves against the header).
    pub save_mapping: Option<String>,
    /// `--encoding`; `None` to detect.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// `--sheet`/`--layer`: the workbook sheet or GeoPackage layer; `None` for the first with
    /// a recognised header (workbook) or the first point layer (GeoPackage).
    pub sheet: Option<String>,
    /// The coordinates' CRS (`--crs`); `None` for the file's own, else the saved mapping's, else
    /// WGS-84 (see [`choose_crs`]).
    pub crs: Option<Crs>,
    /// The file's own CRS, as WKT (a `.prj`) or `EPSG:n`, when its reader found one.
    pub crs_hint: Option<String>,
    /// `--towgs84`: the 7 parameters from the CRS's datum to WGS-84 (Beijing 1954, Xi'an 1980).
    pub towgs84: Option<[f64; 7]>,
    /// Remove the stored poles of the file's streets that the file does not list.
    pub replace_streets: bool,
    /// Apply the good rows of a file that has bad rows.
    pub allow_partial: bool,
    /// Report only; write nothing (a saved mapping is still saved).
    pub dry_run: bool,
    /// The audit note.
    pub note: String,
    /// Who applies it (audit record).
    pub applied_by: String,
    /// The source name recorded; default: the file name.
    pub source_name: Option<String>,
    /// Progress counters and a cancel flag shared with a watcher (the window); `None` for none.
    pub control: Option<std::sync::Arc<ImportControl>>,
    /// `--allow-moves`: apply a surveyed pole's move beyond `max_move_m` or out of the
    /// dataset's region (a warning instead of an error).
    pub allow_moves: bool,
    /// `--max-move-km`, in metres: the farthest a surveyed pole may move without
    /// `allow_moves`; `None` for [`DEFAULT_MAX_MOVE_M`].
    pub max_move_m: Option<f64>,
}

/// The farthest a surveyed pole may move in one import without the supervisor allowing it: a
/// resurvey moves a pole by metres, a wrong file by kilometres.
pub const DEFAULT_MAX_MOVE_M: f64 = 2000.0;

/// One field that changes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldChange {
    /// Canonical field name.
    pub field: &'static str,
    /// Stored value.
    pub before: String,
    /// Value after the import.
    pub after: String,
}

/// What the import does to a pole; serialised as `add`, `change` or `remove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeOp {
    /// A new pole.
    Add,
    /// A stored pole with at least one field changed.
    Change,
    /// A stored pole removed (`--replace-streets`).
    Remove,
}

impl ChangeOp {
    /// The word in reports: `add`, `change` or `remove`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Change => "change",
            Self::Remove => "remove",
        }
    }
}

impl From<ChangeOp> for HistoryOp {
    fn from(op: ChangeOp) -> Self {
        match op {
            ChangeOp::Add => Self::Add,
            ChangeOp::Change => Self::Change,
            ChangeOp::Remove => Self::Remove,
        }
    }
}

/// One pole that the import adds, changes or removes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// What happens to it.
    pub op: ChangeOp,
    /// The line in the file (none for a removal).
    pub line: Option<u64>,
    /// The code as displayed.
    pub code: String,
    /// For changes: the fields that differ.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// What an import found and did.
// Each flag is an independent fact the JSON report states; an enum would hide that.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// The source's name.
    pub source: String,
    /// SHA-256 of the file's bytes.
    pub source_sha256: String,
    /// `csv` or `geojson`.
    pub format: &'static str,
    /// The encoding used (`UTF-8`, `GB18030`, `UTF-16LE`, `windows-1252`…).
    pub encoding: &'static str,
    /// True when detected, false when given with `--encoding`.
    pub encoding_detected: bool,
    /// The detector's confidence in a guessed legacy encoding, in percent; null when certain.
    pub encoding_confidence: Option<u8>,
    /// The workbook sheet or GeoPackage layer read.
    pub sheet: Option<String>,
    /// The CRS the file declares (a Shapefile's `.prj` WKT, a GeoPackage's `EPSG:n`), as
    /// written; null when it declares none.
    pub crs_hint: Option<String>,
    /// The CSV delimiter; null for GeoJSON.
    pub delimiter: Option<&'static str>,
    /// The source CRS as recorded in the version (`wgs84`, `gcj02`, `EPSG:4528`…).
    pub crs: String,
    /// Its name (`EPSG:4528 CGCS2000 / 3-degree Gauss-Kruger zone 40`).
    pub crs_name: String,
    /// Where it came from: `given`, `file`, `mapping` or `assumed`.
    pub crs_source: CrsSource,
    /// Field → column or template used.
    pub mapping: std::collections::BTreeMap<&'static str, String>,
    /// Data rows read.
    pub rows: u64,
    /// New poles.
    pub added: u64,
    /// Poles with at least one field changed.
    pub changed: u64,
    /// Rows identical to the stored pole.
    pub unchanged: u64,
    /// Poles removed (`--replace-streets`).
    pub removed: u64,
    /// Rows refused.
    pub rejected_rows: u64,
    /// Errors (at most [`MAX_FINDINGS`]).
    pub rejected: Vec<Finding>,
    /// All errors, including those not listed.
    pub rejected_total: u64,
    /// Warnings (at most [`MAX_FINDINGS`]).
    pub warnings: Vec<Finding>,
    /// All warnings.
    pub warnings_total: u64,
    /// Added, changed and removed poles (at most [`MAX_CHANGES`]).
    pub changes: Vec<Change>,
    /// True when the change list was cut.
    pub changes_truncated: bool,
    /// True for a dry run.
    pub dry_run: bool,
    /// True when written.
    pub applied: bool,
    /// The new data version; null when nothing was written.
    pub version: Option<i64>,
    /// Why nothing was written, when nothing was (in the JSON report: `not_applied_reason`,
    /// in both languages).
    #[serde(rename = "not_applied_reason")]
    pub not_applied: Option<NotApplied>,
    /// Each file read, when several were imported as one version (empty for one file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileSummary>,
    /// The file being read, stamped on its findings when there are several.
    #[serde(skip)]
    current_file: Option<std::sync::Arc<String>>,
}

/// One of several files imported as one version.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileSummary {
    /// Its name.
    pub source: String,
    /// SHA-256 of its bytes (a Shapefile: of its files together).
    pub sha256: String,
    /// `csv`, `geojson`, `xlsx`, `shapefile`…
    pub format: &'static str,
    /// The encoding used.
    pub encoding: &'static str,
    /// The detector's confidence (percent), when it guessed.
    pub encoding_confidence: Option<u8>,
    /// The sheet or layer read.
    pub sheet: Option<String>,
    /// The CRS the file declares, as written.
    pub crs_hint: Option<String>,
    /// Data rows read from it.
    pub rows: u64,
}

/// Why an import wrote nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotApplied {
    /// A dry run.
    DryRun,
    /// The file as a whole is invalid.
    InvalidFile,
    /// Some rows are bad and `--allow-partial` was not given.
    BadRows,
    /// The file changes nothing.
    NothingToChange,
}

impl Words for NotApplied {
    fn message(&self) -> Message {
        match self {
            Self::DryRun => Message::new("试运行，未写入", "dry run, nothing written"),
            Self::InvalidFile => Message::new(
                "文件整体有误，未写入",
                "the file as a whole is invalid; nothing written",
            ),
            Self::BadRows => Message::new(
                "文件有错误行，未写入任何内容（可用 --allow-partial 只导入正确的行）",
                "the file has bad rows and nothing was written (--allow-partial imports the good rows only)",
            ),
            Self::NothingToChange => Message::new("没有需要更改的内容", "nothing to change"),
        }
    }
}

/// In the JSON report, in both languages (`中文 / English`), as the CLI prints it.
impl serde::Serialize for NotApplied {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.message().to_string())
    }
}

impl Report {
    fn error(&mut self, mut f: Finding) {
        self.rejected_total += 1;
        if self.rejected.len() < MAX_FINDINGS {
            if f.file.is_none() {
                f.file.clone_from(&self.current_file);
            }
            self.rejected.push(f);
        }
    }

    fn warn(&mut self, mut f: Finding) {
        self.warnings_total += 1;
        if self.warnings.len() < MAX_FINDINGS {
            if f.file.is_none() {
                f.file.clone_from(&self.current_file);
            }
            self.warnings.push(f);
        }
    }

    fn change(&mut self, c: Change) {
        self.change_with(|| c);
    }

    /// Lists the change `c` makes while the list has room (made only then: a million-row
    /// import lists its first [`MAX_CHANGES`] and allocates nothing for the rest).
    fn change_with(&mut self, c: impl FnOnce() -> Change) {
        if self.changes.len() < MAX_CHANGES {
            self.changes.push(c());
        } else {
            self.changes_truncated = true;
        }
    }
}

/// What a row does to its pole, by comparing it with the stored one.
#[derive(Debug, Clone, PartialEq)]
enum Comparison {
    /// No stored pole: a new one.
    Add,
    /// The stored pole differs in these fields.
    Change(Vec<FieldChange>),
    /// The stored pole is the same.
    Same,
}

/// Compares the row's pole (`after`) with the stored one.
fn compare(before: Option<&PoleRow>, after: &PoleRow) -> Comparison {
    match before {
        None => Comparison::Add,
        Some(b) => {
            let fields = diff(b, after);
            if fields.is_empty() {
                Comparison::Same
            } else {
                Comparison::Change(fields)
            }
        }
    }
}

/// The pole as the import leaves it: the stored pole (or a new one) with the fields the row
/// gives replaced, its position converted from `crs` to WGS-84.
fn merge(before: Option<&PoleRow>, row: CheckedRow, street_code: String, crs: &Crs) -> PoleRow {
    let (key, display) = row.code.into_parts();
    let mut after = before.cloned().unwrap_or_else(|| PoleRow {
        code: key,
        ..PoleRow::default()
    });
    after.code_display = display;
    after.street_code = street_code;
    match row.pole_no {
        Update::Keep => {}
        Update::Clear => (after.pole_no, after.pole_label) = (None, String::new()),
        Update::Set((n, label)) => (after.pole_no, after.pole_label) = (Some(n), label),
    }
    if let Some(s) = row.side {
        after.side = s;
    }
    for (field, v) in row.others {
        if let Some(v) = v {
            let slot = match field {
                Field::Address => &mut after.address,
                Field::Landmark => &mut after.landmark,
                Field::CrossStreet => &mut after.cross_street,
                Field::Jurisdiction => &mut after.jurisdiction,
                Field::Status => &mut after.status,
                _ => &mut after.note,
            };
            *slot = v;
        }
    }
    match row.position {
        Update::Keep => {}
        Update::Clear => (after.lat_deg, after.lon_deg) = (None, None),
        Update::Set(p) => {
            let wgs = wgs84_of(crs, p);
            (after.lat_deg, after.lon_deg) = (Some(wgs.lat_deg), Some(wgs.lon_deg));
        }
    }
    after
}

/// A row's position in WGS-84: a defined CRS was converted before the row checks (`coords`),
/// a datum (GCJ-02, BD-09) is converted here.
fn wgs84_of(crs: &Crs, p: LatLon) -> LatLon {
    match crs {
        Crs::Datum(d) => d.to_wgs84(p),
        Crs::Defined(_) => p,
    }
}

/// A stored row's position, when it was surveyed.
fn position(row: &PoleRow) -> Option<LatLon> {
    Some(LatLon::new(row.lat_deg?, row.lon_deg?))
}

/// The fields that differ between two rows, as text (coordinates equal within 1e-9°, a tenth
/// of a mm).
#[must_use]
pub fn diff(before: &PoleRow, after: &PoleRow) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut text = |field: &'static str, a: &str, b: &str| {
        if a != b {
            out.push(FieldChange {
                field,
                before: a.to_owned(),
                after: b.to_owned(),
            });
        }
    };
    let coord = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
    text("code", &before.code_display, &after.code_display);
    text("street_code", &before.street_code, &after.street_code);
    text(
        "pole_no",
        &pole_no_text(before.pole_no, &before.pole_label),
        &pole_no_text(after.pole_no, &after.pole_label),
    );
    text("side", &before.side, &after.side);
    let same = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    };
    if !same(before.lat_deg, after.lat_deg) {
        text("lat_deg", &coord(before.lat_deg), &coord(after.lat_deg));
    }
    if !same(before.lon_deg, after.lon_deg) {
        text("lon_deg", &coord(before.lon_deg), &coord(after.lon_deg));
    }
    text("address", &before.address, &after.address);
    text("landmark", &before.landmark, &after.landmark);
    text("cross_street", &before.cross_street, &after.cross_street);
    text("jurisdiction", &before.jurisdiction, &after.jurisdiction);
    text("status", &before.status, &after.status);
    text("note", &before.note, &after.note);
    out
}

/// A latitude/longitude box (degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bbox {
    min_lat: f64,
    max_lat: f64,
    min_lon: f64,
    max_lon: f64,
}

impl Bbox {
    fn contains(&self, p: LatLon) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.lat_deg)
            && (self.min_lon..=self.max_lon).contains(&p.lon_deg)
    }
}

/// The dataset's region: `meta.bbox` (`min_lon,min_lat,max_lon,max_lat`, GeoJSON order) when
/// set, else the surveyed poles' box grown by a tenth of its size (at least 0.05°, ~5 km).
fn region(db: &VersionWriter<'_>) -> Result<Option<Bbox>, StoreError> {
    if let Some(m) = db.meta("bbox")? {
        let v: Vec<f64> = m.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        if let [min_lon, min_lat, max_lon, max_lat] = v[..] {
            return Ok(Some(Bbox {
                min_lat,
                max_lat,
                min_lon,
                max_lon,
            }));
        }
    }
    let Some((a, b2, c, d)) = db.surveyed_bounds()? else {
        return Ok(None);
    };
    let m_lat = ((b2 - a) * 0.1).max(0.05);
    let m_lon = ((d - c) * 0.1).max(0.05);
    Ok(Some(Bbox {
        min_lat: a - m_lat,
        max_lat: b2 + m_lat,
        min_lon: c - m_lon,
        max_lon: d + m_lon,
    }))
}

/// The street code given to a new street named `name` when the file has no street codes:
/// `S` and the first hex digits of the SHA-256 of the name (stable across imports and
/// machines), lengthened when it would collide with another street's code.
#[must_use]
pub fn derived_street_code(name: &str, taken: impl Fn(&str) -> bool) -> String {
    derived_code('S', name, taken)
}

/// The code of a place (a park, a scenic area) that groups poles with no street: as
/// [`derived_street_code`], with `P` in front.
#[must_use]
pub fn derived_place_code(name: &str, taken: impl Fn(&str) -> bool) -> String {
    derived_code('P', name, taken)
}

fn derived_code(prefix: char, name: &str, taken: impl Fn(&str) -> bool) -> String {
    let h = lamppost_core::encode::hex(&Sha256::digest(name.as_bytes())).to_ascii_uppercase();
    let mut len = 6;
    loop {
        let code = format!("{prefix}{}", &h[..len]);
        if !taken(&code) || len >= h.len() {
            return code;
        }
        len += 2;
    }
}

/// The row-by-row work, fed by the reader.
// Its flags are independent facts of the read (empty table, fatal, cancelled, stopped).
#[allow(clippy::struct_excessive_bools)]
struct Planner<'t, 'w> {
    db: &'t mut VersionWriter<'w>,
    specs: Vec<MapSpec>,
    mapping: Option<Mapping>,
    position_col: Option<usize>,
    columns: usize,
    was_empty: bool,
    crs: Crs,
    coords: Option<coords::Coords>,
    /// What a file's own CRS (a Shapefile's `.prj`, a GeoPackage's SRS, read before its
    /// header) may still change: the CRS was neither given (`--crs`) nor declared before.
    late_crs: Option<LateCrs>,
    header: Vec<String>,
    region: Option<Bbox>,
    /// Moves of surveyed poles beyond this (metres), or out of the region, are errors…
    max_move_m: f64,
    /// …unless the supervisor allows them.
    allow_moves: bool,
    encoding: &'static str,
    report: Report,
    /// Codes in the file: key → line.
    seen: HashMap<String, u64>,
    streets_by_code: HashMap<String, String>,
    streets_by_name: HashMap<String, String>,
    /// The same, keyed by the folded name (Simplified, half-width, no spaces, lower case), so
    /// that a file writing 重庆北路一段 finds the stored 重慶北路一段 instead of making a
    /// second street.
    streets_by_folded: HashMap<String, String>,
    /// Spellings already reported as matched through their folded name.
    folded_warned: HashSet<String>,
    new_streets: HashSet<String>,
    /// Streets whose poles the file gives positions for.
    touched_streets: HashSet<String>,
    /// Streets named by the file's accepted rows.
    file_streets: HashSet<String>,
    fatal: bool,
    failure: Option<StoreError>,
    control: Option<&'t ImportControl>,
    /// The read stopped because the control was cancelled.
    cancelled: bool,
    /// The read stopped because the file is refused as a whole (a row showed it).
    stop: bool,
    /// The name of the file being read without its extension, for `{file}` in a constant.
    file_stem: String,
}

impl read::TableSink for Planner<'_, '_> {
    fn header(&mut self, columns: &[String]) -> bool {
        if columns.iter().any(|c| c.contains('\u{FFFD}')) {
            self.fatal(Finding::new(
                1,
                "-",
                FindingKind::UndecodableHeader {
                    encoding: self.encoding,
                },
            ));
            return false;
        }
        self.columns = columns.len();
        // A constant may name the file it is read from: `--set street={file}`.
        let specs: Vec<MapSpec> = self
            .specs
            .iter()
            .map(|(f, rhs)| {
                let rhs = if rhs.starts_with('=') {
                    rhs.replace(mapping::FILE_STEM, &self.file_stem)
                } else {
                    rhs.clone()
                };
                (*f, rhs)
            })
            .collect();
        let m = match Mapping::resolve(columns, &specs) {
            Ok(m) => m,
            Err(f) => {
                self.fatal(f);
                return false;
            }
        };
        if !m.has(Field::Code) {
            self.fatal(Finding::new(
                1,
                "code",
                FindingKind::NoCodeColumn {
                    header: columns.to_vec(),
                },
            ));
            return false;
        }
        if m.has(Field::Lat) != m.has(Field::Lon) {
            let (has, lacks) = if m.has(Field::Lat) {
                (Field::Lat, Field::Lon)
            } else {
                (Field::Lon, Field::Lat)
            };
            self.fatal(Finding::new(
                1,
                lacks.name(),
                FindingKind::OneCoordinateColumn { has, lacks },
            ));
            return false;
        }
        for (f, c) in &m.used {
            self.report.mapping.insert(f.name(), c.clone());
        }
        self.position_col = columns.iter().position(|c| mapping::norm(c) == "position");
        self.header = columns.to_vec();
        self.mapping = Some(m);
        true
    }

    fn row(&mut self, line: u64, cells: &dyn read::Cells) -> bool {
        self.report.rows += 1;
        if self.report.rows.is_multiple_of(progress::ROWS_PER_UPDATE)
            && let Some(c) = self.control
        {
            c.set_rows(self.report.rows);
            if c.is_cancelled() {
                self.cancelled = true;
                return false;
            }
        }
        match self.plan_row(line, cells) {
            Ok(()) => !self.stop,
            Err(e) => {
                self.failure = Some(e);
                false
            }
        }
    }

    fn fatal(&mut self, finding: Finding) {
        self.fatal = true;
        self.report.error(finding);
    }

    fn source(&mut self, info: read::SourceInfo) {
        if let Some(f) = self.report.files.last_mut() {
            f.sheet.clone_from(&info.sheet);
            f.crs_hint.clone_from(&info.crs_hint);
        }
        if self.report.sheet.is_none() {
            self.report.sheet = info.sheet;
        }
        if let Some(hint) = &info.crs_hint {
            self.declared_crs(hint);
        }
        if self.report.crs_hint.is_none() {
            self.report.crs_hint = info.crs_hint;
        }
    }
}

/// What the CRS decision needs again when a file declares its CRS only as it is read.
struct LateCrs {
    saved: Option<Crs>,
    towgs84: Option<[f64; 7]>,
    region: Option<coords::Region>,
}

impl Planner<'_, '_> {
    /// A file declared its CRS (read before its header): when no `--crs` was given, it
    /// decides the CRS as `choose_crs` would have had the hint been known at the start, and the
    /// version records it.
    fn declared_crs(&mut self, hint: &str) {
        let Some(late) = self.late_crs.take() else {
            return;
        };
        match choose_crs(None, Some(hint), late.saved.as_ref(), late.towgs84) {
            Ok(choice) => match coords::Coords::new(&choice, late.region) {
                Ok(c) => {
                    if let Some(w) = &choice.warning {
                        self.report.warn(Finding::new(1, "-", w.clone()));
                    }
                    self.coords = Some(c);
                    self.report.crs = choice.crs.word();
                    self.report.crs_name = choice.crs.label();
                    self.report.crs_source = choice.source;
                    self.crs = choice.crs;
                }
                Err(kind) => read::TableSink::fatal(self, Finding::new(1, "-", kind)),
            },
            Err(kind) => read::TableSink::fatal(self, Finding::new(1, "-", kind)),
        }
    }

    /// Ends the row pass: the statements go, the report stays.
    fn into_report(self) -> Report {
        self.report
    }

    /// One row: validated ([`validate_row`], no store), its street resolved, merged with the
    /// stored pole, and written when it adds or changes one.
    fn plan_row(&mut self, line: u64, cells: &dyn read::Cells) -> Result<(), StoreError> {
        let Some(mapping) = self.mapping.as_ref() else {
            // Rows come only after a header that resolved; without one no field has a column.
            let mut f = RowFindings::default();
            f.errors
                .push(Finding::new(line, "code", FindingKind::MissingCode));
            self.reject(f);
            return Ok(());
        };
        let rules = RowRules {
            mapping,
            columns: self.columns,
            position_col: self.position_col,
            encoding: self.encoding,
        };
        let mut coord_warnings = Vec::new();
        let converted;
        let cells: &dyn read::Cells = match self
            .coords
            .as_mut()
            .map(|c| c.row(line, mapping, &self.header, cells, &mut coord_warnings))
        {
            None | Some(coords::RowCoords::AsWritten) => cells,
            Some(coords::RowCoords::Converted(c)) => {
                converted = c;
                &converted
            }
            Some(coords::RowCoords::Refused(e)) => {
                let mut f = RowFindings::default();
                f.errors.push(e);
                f.warnings = coord_warnings;
                self.reject(f);
                return Ok(());
            }
            Some(coords::RowCoords::RefuseFile(e)) => {
                self.fatal = true;
                self.report.error(e);
                self.stop = true;
                return Ok(());
            }
        };
        let (row, mut f) = validate_row(&rules, &self.seen, line, cells);
        f.warnings.splice(0..0, coord_warnings);
        let Some(row) = row else {
            self.reject(f);
            return Ok(());
        };
        // Into an empty table (a new city's first import) the only stored rows are this file's,
        // and a code seen twice was refused above: no need to look.
        let before = if self.was_empty {
            None
        } else {
            self.db.pole(row.code.key())?
        };
        if let Update::Set(p) = row.position {
            self.move_check(line, wgs84_of(&self.crs, p), before.as_ref(), &mut f);
            if !f.errors.is_empty() {
                self.reject(f);
                return Ok(());
            }
        }
        let Some(street_code) = self.resolve_street(line, &row, before.as_ref(), &mut f)? else {
            self.reject(f);
            return Ok(());
        };
        let surveyed = matches!(row.position, Update::Set(_));
        let after = merge(before.as_ref(), row, street_code, &self.crs);
        if surveyed && let Some(p) = position(&after) {
            self.position_warnings(line, p, before.as_ref(), &mut f);
        }
        if after.lat_deg.is_some() && !self.touched_streets.contains(&after.street_code) {
            self.touched_streets.insert(after.street_code.clone());
        }
        if !self.file_streets.contains(&after.street_code) {
            self.file_streets.insert(after.street_code.clone());
        }
        for w in f.warnings {
            self.report.warn(w);
        }
        self.seen.insert(after.code.clone(), line);
        self.write_change(line, before.as_ref(), &after)
    }

    /// The street code of an accepted row: the stored street its code or name names, a new
    /// street (added to the store and reported), or the stored pole's. `None`, with an error
    /// in `f`, when a new pole or a new street code lacks what it needs.
    fn resolve_street(
        &mut self,
        line: u64,
        row: &CheckedRow,
        before: Option<&PoleRow>,
        f: &mut RowFindings,
    ) -> Result<Option<String>, StoreError> {
        // The cells are trimmed already.
        let sc = &row.street_code;
        let name = row.street.as_str();
        if !sc.is_empty() {
            return Ok(match self.streets_by_code.get(sc) {
                Some(stored) => {
                    if !name.is_empty() && stored != name {
                        f.warnings.push(Finding::new(
                            line,
                            "street",
                            FindingKind::StreetNameDiffers {
                                street_code: sc.clone(),
                                stored: stored.clone(),
                                file: name.to_owned(),
                            },
                        ));
                    }
                    Some(sc.clone())
                }
                None if name.is_empty() => {
                    f.errors.push(Finding::new(
                        line,
                        "street",
                        FindingKind::NewStreetNeedsName {
                            street_code: sc.clone(),
                        },
                    ));
                    None
                }
                None => {
                    self.new_street(line, sc, name, f)?;
                    Some(sc.clone())
                }
            });
        }
        if !name.is_empty() {
            if let Some(c) = self.streets_by_name.get(name) {
                return Ok(Some(c.clone()));
            }
            if let Some(c) = self.streets_by_folded.get(&lamppost_core::text::fold(name)) {
                if self.folded_warned.insert(name.to_owned()) {
                    let stored = self.streets_by_code.get(c).map_or("", String::as_str);
                    f.warnings.push(Finding::new(
                        line,
                        "street",
                        FindingKind::FoldedStreet {
                            name: name.to_owned(),
                            stored: stored.to_owned(),
                            street_code: c.clone(),
                        },
                    ));
                }
                return Ok(Some(c.clone()));
            }
            let by_code = &self.streets_by_code;
            let c = derived_street_code(name, |c| by_code.contains_key(c));
            self.new_street(line, &c, name, f)?;
            return Ok(Some(c));
        }
        if let Some(b) = before {
            return Ok(Some(b.street_code.clone()));
        }
        // A new code with a position and no street (a park, a scenic area, a rural road): grouped
        // under its place, the landmark, else the jurisdiction, else a short address.
        if matches!(row.position, Update::Set(_))
            && let Some(place) = place_of(row)
        {
            f.warnings.push(Finding::new(
                line,
                "street",
                FindingKind::GroupedUnderPlace {
                    place: place.clone(),
                },
            ));
            if let Some(c) = self.streets_by_name.get(&place) {
                return Ok(Some(c.clone()));
            }
            let by_code = &self.streets_by_code;
            let c = derived_place_code(&place, |c| by_code.contains_key(c));
            self.new_street(line, &c, &place, f)?;
            return Ok(Some(c));
        }
        f.errors.push(Finding::new(
            line,
            "street",
            FindingKind::NewCodeNeedsStreet,
        ));
        Ok(None)
    }

    /// Writes the row's pole when it is new or differs from the stored one, and reports it.
    fn write_change(
        &mut self,
        line: u64,
        before: Option<&PoleRow>,
        after: &PoleRow,
    ) -> Result<(), StoreError> {
        match compare(before, after) {
            Comparison::Same => self.report.unchanged += 1,
            Comparison::Add => {
                self.report.added += 1;
                self.db.insert_pole(after)?;
                // Into an empty table every stored pole is an addition of this version: their
                // history is written in one statement after the rows (`record_all_as_added`).
                if !self.was_empty {
                    self.db
                        .record(&after.code, ChangeOp::Add.into(), None, Some(after))?;
                }
                self.report.change_with(|| Change {
                    op: ChangeOp::Add,
                    line: Some(line),
                    code: after.code_display.clone(),
                    fields: Vec::new(),
                });
            }
            Comparison::Change(fields) => {
                self.report.changed += 1;
                self.db.replace_pole(after)?;
                self.db
                    .record(&after.code, ChangeOp::Change.into(), before, Some(after))?;
                self.report.change(Change {
                    op: ChangeOp::Change,
                    line: Some(line),
                    code: after.code_display.clone(),
                    fields,
                });
            }
        }
        Ok(())
    }

    fn reject(&mut self, f: RowFindings) {
        self.report.rejected_rows += 1;
        for e in f.errors {
            self.report.error(e);
        }
        for w in f.warnings {
            self.report.warn(w);
        }
    }

    fn new_street(
        &mut self,
        line: u64,
        code: &str,
        name: &str,
        f: &mut RowFindings,
    ) -> Result<(), StoreError> {
        self.db.insert_street(code, name)?;
        self.streets_by_code
            .insert(code.to_owned(), name.to_owned());
        self.streets_by_name
            .insert(name.to_owned(), code.to_owned());
        self.streets_by_folded
            .insert(lamppost_core::text::fold(name), code.to_owned());
        self.new_streets.insert(code.to_owned());
        f.warnings.push(Finding::new(
            line,
            "street",
            FindingKind::NewStreet {
                name: name.to_owned(),
                code: code.to_owned(),
            },
        ));
        Ok(())
    }

    /// A surveyed pole moved more than the limit, or out of the region from inside it: an
    /// error unless moves are allowed (then a warning). Checked before anything of the row is
    /// written (a new street, say).
    fn move_check(&self, line: u64, p: LatLon, before: Option<&PoleRow>, f: &mut RowFindings) {
        let Some(old) = before.and_then(position) else {
            return;
        };
        let moved = old.distance_m(p);
        // Out of the region from inside it (a pole already outside may be corrected).
        let outside_region = self
            .region
            .is_some_and(|r| r.contains(old) && !r.contains(p));
        if moved > self.max_move_m || (outside_region && moved > 0.0) {
            let found = Finding::new(
                line,
                "lat_deg",
                FindingKind::MoveTooFar {
                    moved_m: moved,
                    limit_m: self.max_move_m,
                    outside_region,
                    allowed: self.allow_moves,
                },
            );
            if self.allow_moves {
                f.warnings.push(found);
            } else {
                f.errors.push(found);
            }
        }
    }

    /// Findings about a surveyed position: out of the region, swapped, the GCJ-02 shift
    /// (warnings).
    fn position_warnings(
        &self,
        line: u64,
        p: LatLon,
        before: Option<&PoleRow>,
        f: &mut RowFindings,
    ) {
        let swapped = LatLon::new(p.lon_deg, p.lat_deg);
        let swapped_ok = p.lon_deg.abs() <= 90.0;
        match self.region {
            Some(r) if !r.contains(p) => {
                if swapped_ok && r.contains(swapped) {
                    f.warnings.push(swapped_warning(line));
                } else {
                    f.warnings.push(Finding::new(
                        line,
                        "lat_deg",
                        FindingKind::OutsideRegion {
                            lat: p.lat_deg,
                            lon: p.lon_deg,
                        },
                    ));
                }
            }
            // With no region yet: a "latitude" in China's longitudes and a "longitude" in its
            // latitudes is the classic swap.
            None if (73.0..=136.0).contains(&p.lat_deg) && (3.0..=54.0).contains(&p.lon_deg) => {
                f.warnings.push(swapped_warning(line));
            }
            _ => {}
        }
        if let Some(old) = before.and_then(position) {
            let moved = old.distance_m(p);
            if moved > 100.0 && wgs84_to_gcj02(old).distance_m(p) < 15.0 {
                f.warnings.push(Finding::new(
                    line,
                    "lat_deg",
                    FindingKind::GcjShift { moved_m: moved },
                ));
            }
        }
    }

    /// Street checks over the final state: a pole far from its neighbours by number, and a
    /// pole whose number does not fit between its neighbours' positions.
    fn street_warnings(&mut self) -> Result<(), StoreError> {
        let mut streets: Vec<&String> = self.touched_streets.iter().collect();
        streets.sort();
        let mut found = Vec::new();
        for s in streets {
            let pts: Vec<(String, String, LatLon)> = self
                .db
                .surveyed_poles_of_street(s)?
                .into_iter()
                .map(|(k, d, lat, lon)| (k, d, LatLon::new(lat, lon)))
                .collect();
            if pts.len() < 3 {
                continue;
            }
            for i in 0..pts.len() {
                let Some(&line) = self.seen.get(&pts[i].0) else {
                    continue;
                };
                let p = pts[i].2;
                let near = (i.saturating_sub(2)..(i + 3).min(pts.len()))
                    .filter(|&j| j != i)
                    .map(|j| p.distance_m(pts[j].2))
                    .fold(f64::INFINITY, f64::min);
                if near > NEIGHBOUR_WARN_M {
                    found.push(Finding::new(
                        line,
                        "lat_deg",
                        FindingKind::FarFromNeighbours {
                            code: pts[i].1.clone(),
                            dist_m: near,
                            limit_m: NEIGHBOUR_WARN_M,
                        },
                    ));
                } else if i > 0 && i + 1 < pts.len() {
                    let (a, b) = (pts[i - 1].2, pts[i + 1].2);
                    let detour = a.distance_m(p) + p.distance_m(b);
                    if detour > 3.0 * a.distance_m(b) + 200.0 {
                        found.push(Finding::new(
                            line,
                            "pole_no",
                            FindingKind::OutOfSequence {
                                code: pts[i].1.clone(),
                            },
                        ));
                    }
                }
            }
        }
        found.sort_by_key(|f| f.line);
        for f in found {
            self.report.warn(f);
        }
        Ok(())
    }

    /// `--replace-streets`: removes the stored poles of the file's streets that the file does
    /// not list.
    fn remove_missing(&mut self) -> Result<(), StoreError> {
        let mut streets: Vec<String> = self.file_streets.iter().cloned().collect();
        streets.sort();
        for s in streets {
            let rows = self.db.poles_of_street(&s)?;
            for r in rows {
                if self.seen.contains_key(&r.code) {
                    continue;
                }
                self.db.delete_pole(&r.code)?;
                self.db
                    .record(&r.code, ChangeOp::Remove.into(), Some(&r), None)?;
                self.report.removed += 1;
                self.report.change(Change {
                    op: ChangeOp::Remove,
                    line: None,
                    code: r.code_display.clone(),
                    fields: Vec::new(),
                });
            }
        }
        Ok(())
    }
}

/// Longest text taken as the name of a place that groups poles with no street.
const MAX_PLACE_CHARS: usize = 40;

/// The place a row with no street is grouped under: its landmark, else its jurisdiction, else
/// its address, the first that is not empty and at most [`MAX_PLACE_CHARS`] long.
fn place_of(row: &CheckedRow) -> Option<String> {
    [Field::Landmark, Field::Jurisdiction, Field::Address]
        .into_iter()
        .filter_map(|want| {
            row.others
                .iter()
                .find(|(f, _)| *f == want)
                .and_then(|(_, v)| v.as_deref())
        })
        .map(str::trim)
        .find(|v| !v.is_empty() && v.chars().count() <= MAX_PLACE_CHARS)
        .map(str::to_owned)
}

fn swapped_warning(line: u64) -> Finding {
    Finding::new(line, "lat_deg", FindingKind::SwappedLatLon)
}

/// The mapping specs, the saved mapping's CRS and the encoding.
type Settings = (
    Vec<MapSpec>,
    Option<Crs>,
    Option<&'static encoding_rs::Encoding>,
);

/// The mapping specs, the saved mapping's CRS and the encoding to use: a saved mapping (if
/// named), overridden field by field by `--map`, and by `--encoding` when given (`--crs` is
/// weighed against the saved CRS in [`choose_crs`]).
fn settings_for(store: &Store, opts: &Options) -> Result<Settings, ImportError> {
    let mut specs: Vec<MapSpec> = Vec::new();
    let mut crs = None;
    let mut encoding = None;
    if let Some(name) = &opts.mapping_name {
        let json = store
            .meta(&format!("mapping:{name}"))?
            .ok_or_else(|| ImportError::NoMapping(name.clone()))?;
        let saved: SavedMapping = serde_json::from_str(&json)
            .map_err(|e| ImportError::BadMapping(format!("mapping:{name}: {e}")))?;
        specs = saved.to_specs()?;
        crs = saved.crs.as_deref().and_then(|c| Crs::parse(c).ok());
        encoding = saved
            .encoding
            .as_deref()
            .and_then(|e| read::parse_encoding(e).ok().flatten());
    }
    for (f, r) in &opts.map {
        specs.retain(|(g, _)| g != f);
        specs.push((*f, r.clone()));
    }
    Ok((specs, crs, opts.encoding.or(encoding)))
}

/// Saved mappings, sorted by name: (name, mapping).
pub fn saved_mappings(store: &Store) -> Result<Vec<(String, SavedMapping)>, ImportError> {
    Ok(store
        .all_meta()?
        .into_iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("mapping:")?.to_owned();
            serde_json::from_str(&v).ok().map(|m| (name, m))
        })
        .collect())
}

/// Imports a file: reads, checks and compares it, and (unless a dry run, or the file has
/// errors and `allow_partial` is off) applies it as one new data version.
///
/// Whole-file problems (cannot be decoded, a line that never ends, no code column) are
/// findings in the report, and such a file is never applied, even with `allow_partial`.
pub fn import(store: &mut Store, input: Input<'_>, opts: &Options) -> Result<Report, ImportError> {
    import_many(store, &[input], opts)
}

/// Imports several files (a register delivered one file per road) as ONE data version: all of
/// them are read into the same transaction, and it is applied only when all of them pass (a
/// whole-file problem in any file writes nothing). A code in two files is a duplicate. With
/// several files, each finding names its file and the report lists the files.
pub fn import_many(
    store: &mut Store,
    inputs: &[Input<'_>],
    opts: &Options,
) -> Result<Report, ImportError> {
    let path_name = |input: &Input<'_>| match input {
        Input::Path(p) => p.display().to_string(),
        Input::Bytes(_) => "-".to_owned(),
    };
    let io_err = |input: &Input<'_>| {
        let path = path_name(input);
        move |source| ImportError::Read { path, source }
    };
    let control = opts.control.as_deref();
    let cancelled = || control.is_some_and(ImportControl::is_cancelled);
    if cancelled() {
        return Err(ImportError::Cancelled);
    }
    let (specs, saved_crs, encoding) = settings_for(store, opts)?;
    // The one CRS decision: --crs > the file's own > the saved mapping's > WGS-84 assumed.
    let choice = choose_crs(
        opts.crs.as_ref(),
        opts.crs_hint.as_deref(),
        saved_crs.as_ref(),
        opts.towgs84,
    );
    let (crs, crs_source, crs_refusal) = match &choice {
        Ok(c) => (c.crs.clone(), c.source, None),
        Err(kind) => (
            opts.crs.clone().unwrap_or_default(),
            CrsSource::Given,
            Some(Finding::new(1, "-", kind.clone())),
        ),
    };
    if let Some(c) = control {
        let total: u64 = inputs
            .iter()
            .map(|i| match i {
                Input::Path(p) => std::fs::metadata(p).map_or(0, |m| m.len()),
                Input::Bytes(b) => b.len() as u64,
            })
            .sum();
        c.set_total(total);
        c.set_stage(Stage::Detecting);
    }
    let mut files: Vec<(Input<'_>, read::Detected, read::Format)> = Vec::new();
    for &input in inputs {
        let mut det = read::detect_watched(input, encoding, control).map_err(io_err(&input))?;
        det.sheet.clone_from(&opts.sheet);
        if cancelled() {
            return Err(ImportError::Cancelled);
        }
        let format = read::sniff_format(input, &det).map_err(io_err(&input))?;
        files.push((input, det, format));
    }
    let bytes: u64 = files.iter().map(|(_, d, _)| d.bytes).sum();
    if let Some(c) = control {
        // The size actually read (the files may have grown since they were measured).
        c.set_total(bytes);
        c.set_bytes(bytes);
    }
    let Some((first_input, first, first_format)) = files.first() else {
        return Err(ImportError::Read {
            path: String::new(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no file"),
        });
    };
    let many = files.len() > 1;
    let (source, sha256) = if many {
        let names: Vec<String> = files.iter().map(|(i, _, _)| i.name()).collect();
        let mut h = Sha256::new();
        for ((_, d, _), n) in files.iter().zip(&names) {
            h.update(format!("{}  {n}\n", d.sha256).as_bytes());
        }
        (
            opts.source_name.clone().unwrap_or_else(|| names.join(", ")),
            lamppost_core::encode::hex(&h.finalize()),
        )
    } else {
        (
            opts.source_name
                .clone()
                .unwrap_or_else(|| first_input.name()),
            first.sha256.clone(),
        )
    };
    let mut report = Report {
        source: source.clone(),
        source_sha256: sha256.clone(),
        format: first_format.word(),
        encoding: read::encoding_name(first.encoding),
        encoding_detected: !first.forced,
        encoding_confidence: first.confidence,
        sheet: None,
        crs_hint: None,
        delimiter: first_format.delimiter(),
        crs: crs.word(),
        crs_name: crs.label(),
        crs_source,
        mapping: std::collections::BTreeMap::new(),
        rows: 0,
        added: 0,
        changed: 0,
        unchanged: 0,
        removed: 0,
        rejected_rows: 0,
        rejected: Vec::new(),
        rejected_total: 0,
        warnings: Vec::new(),
        warnings_total: 0,
        changes: Vec::new(),
        changes_truncated: false,
        dry_run: opts.dry_run,
        applied: false,
        version: None,
        not_applied: None,
        files: Vec::new(),
        current_file: None,
    };
    if let Ok(CrsChoice {
        warning: Some(w), ..
    }) = &choice
    {
        report.warn(Finding::new(1, "-", w.clone()));
    }
    let datum = crs.word();
    let new = NewVersion {
        applied_by: &opts.applied_by,
        source_name: &source,
        source_sha256: &sha256,
        datum: &datum,
        note: &opts.note,
        cancelled: Some(&cancelled),
    };
    let written = store.write_version(&new, |db| {
        let mut streets_by_code = HashMap::new();
        let mut streets_by_name = HashMap::new();
        let mut streets_by_folded = HashMap::new();
        for (c, n) in db.streets()? {
            streets_by_folded
                .entry(lamppost_core::text::fold(&n))
                .or_insert_with(|| c.clone());
            streets_by_name
                .entry(n.clone())
                .or_insert_with(|| c.clone());
            streets_by_code.insert(c, n);
        }
        let region = region(db)?;
        let mut crs_refusal = crs_refusal;
        let coords = match coords::Coords::new(
            &CrsChoice {
                crs: crs.clone(),
                source: crs_source,
                warning: None,
            },
            region.map(|r| [r.min_lat, r.max_lat, r.min_lon, r.max_lon]),
        ) {
            Ok(c) => Some(c),
            Err(kind) => {
                crs_refusal.get_or_insert(Finding::new(1, "-", kind));
                None
            }
        };
        let was_empty = db.has_no_poles()?;
        if was_empty {
            db.defer_street_index()?;
        }
        let mut planner = Planner {
            db,
            specs,
            mapping: None,
            position_col: None,
            columns: 0,
            was_empty,
            crs: crs.clone(),
            coords,
            late_crs: (opts.crs.is_none() && opts.crs_hint.is_none()).then(|| LateCrs {
                saved: saved_crs.clone(),
                towgs84: opts.towgs84,
                region: region.map(|r| [r.min_lat, r.max_lat, r.min_lon, r.max_lon]),
            }),
            header: Vec::new(),
            region,
            max_move_m: opts.max_move_m.unwrap_or(DEFAULT_MAX_MOVE_M),
            allow_moves: opts.allow_moves,
            encoding: report.encoding,
            report,
            seen: HashMap::new(),
            streets_by_code,
            streets_by_name,
            streets_by_folded,
            folded_warned: HashSet::new(),
            new_streets: HashSet::new(),
            touched_streets: HashSet::new(),
            file_streets: HashSet::new(),
            file_stem: String::new(),
            fatal: false,
            failure: None,
            control,
            cancelled: false,
            stop: false,
        };
        if let Some(c) = control {
            c.set_stage(Stage::Reading);
        }
        let mut mapping_resolved = false;
        for (input, det, format) in &files {
            let name = input.name();
            let rows_before = planner.report.rows;
            if many {
                planner.report.current_file = Some(std::sync::Arc::new(name.clone()));
                planner.report.files.push(FileSummary {
                    source: name,
                    sha256: det.sha256.clone(),
                    format: format.word(),
                    encoding: read::encoding_name(det.encoding),
                    encoding_confidence: det.confidence,
                    sheet: None,
                    crs_hint: None,
                    rows: 0,
                });
            }
            planner.file_stem = match input {
                Input::Path(p) => p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                Input::Bytes(_) => String::new(),
            };
            planner.mapping = None;
            planner.position_col = None;
            planner.columns = 0;
            planner.encoding = read::encoding_name(det.encoding);
            if let Some(w) = det.warning.clone() {
                planner.report.warn(w);
            }
            if let Some(refusal) = det.refusal.clone().or_else(|| crs_refusal.clone()) {
                read::TableSink::fatal(&mut planner, refusal);
            } else {
                read::read_table_watched(*input, det, *format, &mut planner, control)
                    .map_err(io_err(input))?;
            }
            mapping_resolved |= planner.mapping.is_some();
            let rows = planner.report.rows - rows_before;
            if let Some(f) = planner.report.files.last_mut() {
                f.rows = rows;
            }
            if planner.failure.is_some() || planner.cancelled || planner.stop || cancelled() {
                break;
            }
        }
        planner.report.current_file = None;
        if let Some(e) = planner.failure.take() {
            return Err(ImportError::Store(e));
        }
        // An error rolls the version back.
        if planner.cancelled || cancelled() {
            return Err(ImportError::Cancelled);
        }
        if let Some(c) = control {
            c.set_rows(planner.report.rows);
            c.set_stage(Stage::Checking);
        }
        planner.db.restore_deferred_index()?;
        if was_empty && planner.report.added > 0 {
            planner.db.record_all_as_added()?;
        }
        if mapping_resolved && !planner.fatal && planner.report.rows == 0 {
            read::TableSink::fatal(&mut planner, Finding::new(1, "-", FindingKind::NoDataRows));
        }
        if !planner.fatal {
            if opts.replace_streets {
                planner.remove_missing()?;
            }
            planner.street_warnings()?;
        }
        if cancelled() {
            return Err(ImportError::Cancelled);
        }
        let fatal = planner.fatal;
        let version = planner.db.version();
        let mut report = planner.into_report();
        let has_errors = report.rejected_total > 0;
        let changes = report.added + report.changed + report.removed;
        report.not_applied = if opts.dry_run {
            Some(NotApplied::DryRun)
        } else if fatal {
            Some(NotApplied::InvalidFile)
        } else if has_errors && !opts.allow_partial {
            Some(NotApplied::BadRows)
        } else if changes == 0 {
            Some(NotApplied::NothingToChange)
        } else {
            None
        };
        if let Some(c) = control {
            c.set_stage(Stage::Writing);
        }
        let counts = report.not_applied.is_none().then(|| {
            // Committed by the store right after this; a failed commit is an error instead.
            report.applied = true;
            report.version = Some(version);
            VersionCounts {
                added: report.added,
                changed: report.changed,
                removed: report.removed,
                datum: Some(report.crs.clone()),
            }
        });
        Ok(((report, mapping_resolved), counts))
    });
    let (mut report, mapping_resolved) = match written {
        Err(ImportError::Store(StoreError::Cancelled)) => return Err(ImportError::Cancelled),
        other => other?,
    };
    report_out(&mut report);
    if let (Some(name), true) = (&opts.save_mapping, mapping_resolved) {
        let mut saved = SavedMapping::from_specs(&settings_for(store, opts)?.0);
        // The file's own CRS comes with the file: not saved.
        saved.crs = (crs != Crs::default()
            && matches!(crs_source, CrsSource::Given | CrsSource::Mapping))
        .then(|| crs.word());
        saved.encoding = encoding.map(|e| e.name().to_owned());
        save_mapping(store, name, &saved)?;
    }
    if let Some(c) = control {
        c.set_rows(report.rows);
        c.set_bytes(bytes);
        c.set_stage(Stage::Done);
    }
    Ok(report)
}

/// Sorts the findings by line, so that the report reads top to bottom.
fn report_out(r: &mut Report) {
    r.rejected.sort_by_key(|f| f.line);
    r.warnings.sort_by_key(|f| f.line);
}

/// The extensions of the files a folder is imported with (a Shapefile by its `.shp`).
pub const FOLDER_KINDS: [&str; 10] = [
    "csv", "txt", "tsv", "geojson", "json", "xlsx", "xls", "ods", "shp", "gpkg",
];

/// The files to import as one version: each file as given, a folder replaced by its files of
/// [`FOLDER_KINDS`] sorted by name. A folder with none of them is an error
/// ([`std::io::ErrorKind::NotFound`]).
pub fn files_to_import(paths: &[std::path::PathBuf]) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<std::path::PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && f.extension().is_some_and(|e| {
                            FOLDER_KINDS
                                .contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
                        })
                })
                .collect();
            if found.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "文件夹里没有可导入的文件 / the folder holds no file to import: {}",
                        p.display()
                    ),
                ));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Imports a file on disk (see [`import`]).
pub fn import_path(store: &mut Store, path: &Path, opts: &Options) -> Result<Report, ImportError> {
    import(store, Input::Path(path), opts)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_coords;
