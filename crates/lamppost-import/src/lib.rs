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
pub mod history;
pub mod mapping;
pub mod preview;
pub mod progress;
pub mod read;

use std::path::Path;

use hashbrown::{HashMap, HashSet};
use sha2::{Digest, Sha256};

use lamppost_core::code::PoleCode;
use lamppost_core::geo::{LatLon, wgs84_to_gcj02};
use lamppost_core::model::Side;
pub use lamppost_data::store::PoleRow;
use lamppost_data::store::write::{HistoryOp, NewVersion, VersionCounts, VersionWriter};
use lamppost_data::store::{Store, StoreError};

pub use datum::Crs;
pub use history::{UndoReport, VersionInfo, undo, versions};
pub use mapping::{Field, MapSpec, Mapping, SavedMapping, parse_map_specs, save_mapping};
pub use preview::{Preview, preview};
pub use progress::{ImportControl, Progress, Stage};
pub use read::{Detected, Format, Input};

/// Longest text accepted in a field (characters); real addresses are under 100.
pub const MAX_TEXT_CHARS: usize = lamppost_core::canonical::MAX_FIELD_CHARS;
/// A pole further than this from every neighbour by number on its street is suspect.
pub const NEIGHBOUR_WARN_M: f64 = 500.0;
/// At most this many findings of each kind are kept in a report (the totals are exact).
pub const MAX_FINDINGS: usize = 10_000;
/// At most this many changes are listed in a report (the counts are exact).
pub const MAX_CHANGES: usize = 200_000;

/// One problem with the file, at a place: the physical line of the record in a CSV file (the
/// header is line 1) or the 1-based feature number in a GeoJSON file; 0 for the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Line (CSV) or feature number (GeoJSON).
    pub line: u64,
    /// The field (canonical name) or `-` for the row or file.
    pub field: String,
    /// `中文 / English`.
    pub reason: String,
    /// The reason in Chinese.
    pub reason_zh: String,
    /// The reason in English.
    pub reason_en: String,
}

impl Finding {
    /// A finding with its reason in both languages.
    pub fn new(line: u64, field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let (zh, en) = (zh.into(), en.into());
        Self {
            line,
            field: field.to_owned(),
            reason: format!("{zh} / {en}"),
            reason_zh: zh,
            reason_en: en,
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "第 {} 行，字段 {}：{} / line {}, field {}: {}",
            self.line, self.field, self.reason_zh, self.line, self.field, self.reason_en
        )
    }
}

/// Why an import, undo or export could not run at all (as opposed to findings in the file).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("无法读取文件 / cannot read the file ({source}): {path}")]
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
    #[error(
        "没有名为此名称的已保存映射（用 --save-mapping 保存）/ no saved mapping by this name (save one with --save-mapping): {0}"
    )]
    NoMapping(String),
    /// A mapping could not be read.
    #[error("{0}")]
    BadMapping(String),
    /// No such data version.
    #[error("没有这个数据版本 / no such data version: {0}")]
    NoVersion(i64),
    /// The version has no change history (the initial load).
    #[error(
        "该版本没有变更记录，无法撤销（初始装载请用数据包恢复）/ this version has no change history and cannot be undone (restore an initial load from a data package): {0}"
    )]
    NoHistory(i64),
    /// Later versions changed the same poles.
    #[error(
        "无法撤销版本 {version}：之后的版本 {later:?} 又修改了其中 {total} 个编码（如 {examples}）；请先撤销之后的版本 / cannot undo version {version}: later versions {later:?} changed {total} of its codes again (e.g. {examples}); undo the later versions first"
    )]
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
    #[error("导入已取消，未写入任何内容 / the import was cancelled; nothing was written")]
    Cancelled,
}

/// How to import.
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
    /// The coordinates' datum; `None` for the saved mapping's, else WGS-84.
    pub crs: Option<Crs>,
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
}

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

/// One pole that the import adds, changes or removes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// `add`, `change` or `remove`.
    pub op: &'static str,
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
    /// The CSV delimiter; null for GeoJSON.
    pub delimiter: Option<&'static str>,
    /// The source datum.
    pub crs: &'static str,
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
    /// Why nothing was written, when nothing was.
    pub not_applied_reason: Option<String>,
}

impl Report {
    fn error(&mut self, f: Finding) {
        self.rejected_total += 1;
        if self.rejected.len() < MAX_FINDINGS {
            self.rejected.push(f);
        }
    }

    fn warn(&mut self, f: Finding) {
        self.warnings_total += 1;
        if self.warnings.len() < MAX_FINDINGS {
            self.warnings.push(f);
        }
    }

    fn change(&mut self, c: Change) {
        if self.changes.len() < MAX_CHANGES {
            self.changes.push(c);
        } else {
            self.changes_truncated = true;
        }
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
    let num = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let coord = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
    text("code", &before.code_display, &after.code_display);
    text("street_code", &before.street_code, &after.street_code);
    text("pole_no", &num(before.pole_no), &num(after.pole_no));
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
    let h = lamppost_core::encode::hex(&Sha256::digest(name.as_bytes())).to_ascii_uppercase();
    let mut len = 6;
    loop {
        let code = format!("S{}", &h[..len]);
        if !taken(&code) || len >= h.len() {
            return code;
        }
        len += 2;
    }
}

/// Undoes a spreadsheet's neutralisation (`'=x` → `=x`, see
/// [`lamppost_core::spreadsheet::neutralise_formula`]), so that an exported file imports unchanged.
fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest)
            if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']) =>
        {
            rest
        }
        _ => cell,
    }
}

/// True for text a spreadsheet would run as a formula (`=cmd|' /C calc'!A0`, `@SUM(…)`).
fn formula_like(text: &str) -> bool {
    let mut cs = text.chars();
    match cs.next() {
        Some('=' | '＝' | '@' | '＠') => true,
        Some('+' | '-' | '＋' | '－') => {
            let rest = cs.as_str().trim();
            !rest.is_empty()
                && rest.parse::<f64>().is_err()
                && !rest.starts_with(|c: char| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// A cell as stored: trimmed, a neutralised formula restored, and line breaks inside a quoted
/// cell kept as spaces (one line per field on screen).
fn clean_text(raw: &str) -> String {
    let v = unneutralise(raw.trim());
    if !v.bytes().any(|b| matches!(b, b'\r' | b'\n' | b'\t')) {
        // Already trimmed: `unneutralise` leaves text that starts with `=`, `+`, `-` or `@`.
        return v.to_owned();
    }
    let v: String = v
        .chars()
        .map(|c| {
            if matches!(c, '\r' | '\n' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    v.trim().to_owned()
}

/// True when the text needs none of the checks in `Planner::text` (the common case, decided
/// on the bytes): short enough by bytes, no ASCII control byte, no lead byte of a C1 control
/// (`C2`) or of U+F000..U+FFFF (`EF`: the BOM, U+FFFD, full-width forms), and no formula sign
/// in front.
fn plain_text(v: &str) -> bool {
    v.len() <= MAX_TEXT_CHARS
        && !v.starts_with(['=', '+', '-', '@'])
        && v.bytes()
            .all(|b| b >= 0x20 && b != 0x7F && b != 0xC2 && b != 0xEF)
}

/// Findings for one row.
#[derive(Default)]
struct RowFindings {
    errors: Vec<Finding>,
    warnings: Vec<Finding>,
}

/// The row-by-row work, fed by the reader.
struct Planner<'t, 'w> {
    db: &'t mut VersionWriter<'w>,
    specs: Vec<MapSpec>,
    mapping: Option<Mapping>,
    position_col: Option<usize>,
    columns: usize,
    was_empty: bool,
    crs: Crs,
    region: Option<Bbox>,
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
}

impl read::TableSink for Planner<'_, '_> {
    fn header(&mut self, columns: &[String]) -> bool {
        if columns.iter().any(|c| c.contains('\u{FFFD}')) {
            self.fatal(Finding::new(
                1,
                "-",
                format!(
                    "表头含有无法按 {} 解码的字节，编码不对；请用 --encoding 指定正确的编码（如 gbk）",
                    self.encoding
                ),
                format!(
                    "the header holds bytes that are not valid {}; the encoding is wrong, choose the right one with --encoding (e.g. gbk)",
                    self.encoding
                ),
            ));
            return false;
        }
        self.columns = columns.len();
        let m = match Mapping::resolve(columns, &self.specs) {
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
                format!(
                    "找不到编码列（表头：{}）；请用 --map code=列名 指定",
                    columns.join(", ")
                ),
                format!(
                    "no code column (header: {}); name it with --map code=COLUMN",
                    columns.join(", ")
                ),
            ));
            return false;
        }
        if m.has(Field::Lat) != m.has(Field::Lon) {
            let (has, lacks) = if m.has(Field::Lat) {
                ("lat_deg", "lon_deg")
            } else {
                ("lon_deg", "lat_deg")
            };
            self.fatal(Finding::new(
                1,
                lacks,
                format!("有 {has} 列却没有 {lacks} 列；请用 --map {lacks}=列名 指定"),
                format!("there is a {has} column but no {lacks} column; name it with --map {lacks}=COLUMN"),
            ));
            return false;
        }
        for (f, c) in &m.used {
            self.report.mapping.insert(f.name(), c.clone());
        }
        self.position_col = columns.iter().position(|c| mapping::norm(c) == "position");
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
            Ok(()) => true,
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
}

impl Planner<'_, '_> {
    /// Ends the row pass: the statements go, the report stays.
    fn into_report(self) -> Report {
        self.report
    }

    fn text(
        &self,
        line: u64,
        field: Field,
        cells: &dyn read::Cells,
        f: &mut RowFindings,
    ) -> Option<String> {
        let raw = self.mapping.as_ref()?.value(field, cells)?;
        let v = clean_text(&raw);
        if plain_text(&v) {
            return Some(v);
        }
        let name = field.name();
        if v.chars().count() > MAX_TEXT_CHARS {
            f.errors.push(Finding::new(
                line,
                name,
                format!("内容过长（超过 {MAX_TEXT_CHARS} 字）"),
                format!("longer than {MAX_TEXT_CHARS} characters"),
            ));
        } else if let Some(c) = v.chars().find(|c| c.is_control()) {
            f.errors.push(Finding::new(
                line,
                name,
                format!("含有控制字符 U+{:04X}", c as u32),
                format!("contains the control character U+{:04X}", c as u32),
            ));
        } else if v.contains('\u{FEFF}') {
            f.errors.push(Finding::new(
                line,
                name,
                "含有字节顺序标记（BOM，U+FEFF），可能是拼接文件时混入的",
                "contains a byte-order mark (U+FEFF), probably from joining files",
            ));
        } else if v.contains('\u{FFFD}') {
            f.errors.push(Finding::new(
                line,
                name,
                format!(
                    "含有无法按 {} 解码的字节，编码可能不对（可用 --encoding 指定）",
                    self.encoding
                ),
                format!(
                    "holds bytes that are not valid {}; the encoding may be wrong (choose one with --encoding)",
                    self.encoding
                ),
            ));
        } else if formula_like(&v) {
            f.warnings.push(Finding::new(
                line,
                name,
                "内容像电子表格公式，导出时会加单引号以防执行",
                "looks like a spreadsheet formula; exports prefix it with an apostrophe so it cannot run",
            ));
        }
        Some(v)
    }

    fn coordinate(
        &self,
        line: u64,
        field: Field,
        cells: &dyn read::Cells,
        f: &mut RowFindings,
    ) -> Option<f64> {
        let raw = self.mapping.as_ref()?.value(field, cells)?;
        let v = raw.trim();
        if v.is_empty() {
            return None;
        }
        let limit = if field == Field::Lat { 90.0 } else { 180.0 };
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() <= limit => Some(x),
            Ok(x) if x.is_finite() => {
                // Swapped when the "longitude" would make a valid latitude.
                let other_fits = self
                    .mapping
                    .as_ref()
                    .and_then(|m| m.value(Field::Lon, cells))
                    .and_then(|o| o.trim().parse::<f64>().ok())
                    .is_some_and(|o| o.abs() <= 90.0);
                let hint = if field == Field::Lat && x.abs() <= 180.0 && other_fits {
                    (
                        "（纬度与经度可能对调）",
                        " (latitude and longitude may be swapped)",
                    )
                } else {
                    ("", "")
                };
                f.errors.push(Finding::new(
                    line,
                    field.name(),
                    format!("坐标 {v} 超出范围（±{limit}）{}", hint.0),
                    format!("coordinate {v} is out of range (±{limit}){}", hint.1),
                ));
                None
            }
            Ok(_) => {
                f.errors.push(Finding::new(
                    line,
                    field.name(),
                    format!("坐标 {v} 不是有限的数"),
                    format!("coordinate {v} is not a finite number"),
                ));
                None
            }
            Err(_) => {
                let shown: String = v.chars().take(40).collect();
                f.errors.push(Finding::new(
                    line,
                    field.name(),
                    format!("无法识别的坐标 {shown:?}"),
                    format!("not a number: {shown:?}"),
                ));
                None
            }
        }
    }

    fn plan_row(&mut self, line: u64, cells: &dyn read::Cells) -> Result<(), StoreError> {
        let mut f = RowFindings::default();
        if cells.count() != self.columns {
            let n = cells.count();
            let c = self.columns;
            f.errors.push(Finding::new(
                line,
                "-",
                format!("这一行有 {n} 列，表头有 {c} 列（可能有未闭合的引号或多余的分隔符）"),
                format!("this row has {n} columns, the header {c} (an unbalanced quote or a stray delimiter?)"),
            ));
            self.reject(line, f);
            return Ok(());
        }
        let code_text = self
            .text(line, Field::Code, cells, &mut f)
            .unwrap_or_default();
        let code = if code_text.is_empty() {
            f.errors
                .push(Finding::new(line, "code", "缺少编码", "missing code"));
            None
        } else {
            match PoleCode::parse(&code_text) {
                Ok(c) => Some(c),
                Err(e) => {
                    let msg = e.to_string();
                    let (zh, en) = msg.split_once(" / ").unwrap_or((&msg, &msg));
                    f.errors.push(Finding::new(line, "code", zh, en));
                    None
                }
            }
        };
        if let Some(c) = &code
            && let Some(first) = self.seen.get(c.key())
        {
            f.errors.push(Finding::new(
                line,
                "code",
                format!("编码 {c} 与第 {first} 行重复（规范化后相同）"),
                format!("code {c} duplicates line {first} (the same after normalisation)"),
            ));
        }
        let street_code = self.text(line, Field::StreetCode, cells, &mut f);
        let street = self.text(line, Field::Street, cells, &mut f);
        let pole_no_text = self.text(line, Field::PoleNo, cells, &mut f);
        let pole_no = pole_no_text.as_deref().map(|s| {
            let s = s.trim_end_matches(['号', '號']).trim();
            if s.is_empty() {
                return None;
            }
            s.parse::<u32>().ok().or_else(|| {
                f.errors.push(Finding::new(
                    line,
                    "pole_no",
                    format!("杆号 {s:?} 不是正整数"),
                    format!("pole number {s:?} is not a whole number"),
                ));
                None
            })
        });
        let side_text = self.text(line, Field::Side, cells, &mut f);
        let side = side_text.as_deref().map(|s| {
            if s.is_empty() {
                return String::new();
            }
            Side::parse(s).map_or_else(
                || {
                    f.errors.push(Finding::new(
                        line,
                        "side",
                        format!("无法识别的方位 {s:?}（应为 东/西/南/北/左/右）"),
                        format!("unknown side {s:?} (expected E/W/N/S/L/R or 东西南北左右)"),
                    ));
                    String::new()
                },
                |sd| sd.zh().to_owned(),
            )
        });
        let lat = self.coordinate(line, Field::Lat, cells, &mut f);
        let lon = self.coordinate(line, Field::Lon, cells, &mut f);
        let estimated = self.position_col.is_some_and(|c| {
            matches!(
                cells.cell(c).map(str::trim),
                Some("estimated" | "估算" | "unknown")
            )
        });
        let others = [
            Field::Address,
            Field::Landmark,
            Field::CrossStreet,
            Field::Jurisdiction,
            Field::Status,
            Field::Note,
        ]
        .map(|field| (field, self.text(line, field, cells, &mut f)));
        // Coordinates: both or neither.
        let has_position = self.mapping.as_ref().is_some_and(|m| m.has(Field::Lat));
        let position = match (lat, lon) {
            _ if !has_position => None, // no coordinate columns: keep what is stored
            (Some(a), Some(o)) => Some(Some(LatLon::new(a, o))),
            (None, None) => Some(None),
            (a, _) => {
                if f.errors
                    .iter()
                    .all(|e| e.field != "lat_deg" && e.field != "lon_deg")
                {
                    f.errors.push(Finding::new(
                        line,
                        if a.is_none() { "lat_deg" } else { "lon_deg" },
                        "只有纬度或经度之一",
                        "only one of latitude and longitude",
                    ));
                }
                None
            }
        };
        // A position the exporter marked as an estimate is not a survey: never import it as one.
        let position = if estimated { None } else { position };
        let Some(code) = code else {
            self.reject(line, f);
            return Ok(());
        };
        if !f.errors.is_empty() {
            self.reject(line, f);
            return Ok(());
        }
        let (key, display) = code.into_parts();
        // Into an empty table (a new city's first import) the only stored rows are this file's,
        // and a code seen twice was refused above: no need to look.
        let before = if self.was_empty {
            None
        } else {
            self.db.pole(&key)?
        };

        // The street (the cells are trimmed already).
        let sc = street_code.unwrap_or_default();
        let name = street.as_deref().unwrap_or("");
        let resolved_street = if !sc.is_empty() {
            match self.streets_by_code.get(&sc) {
                Some(stored) => {
                    if !name.is_empty() && stored != name {
                        f.warnings.push(Finding::new(
                            line,
                            "street",
                            format!("街路编码 {sc} 的名称是 {stored}，文件中为 {name}；保留原名称"),
                            format!("street code {sc} is named {stored}, the file says {name}; the stored name is kept"),
                        ));
                    }
                    Some(sc)
                }
                None if name.is_empty() => {
                    f.errors.push(Finding::new(
                        line,
                        "street",
                        format!("新街路编码 {sc} 缺少街路名称"),
                        format!("the new street code {sc} needs a street name"),
                    ));
                    None
                }
                None => {
                    self.new_street(line, &sc, name, &mut f)?;
                    Some(sc)
                }
            }
        } else if !name.is_empty() {
            if let Some(c) = self.streets_by_name.get(name) {
                Some(c.clone())
            } else if let Some(c) = self.streets_by_folded.get(&lamppost_core::text::fold(name)) {
                if self.folded_warned.insert(name.to_owned()) {
                    let stored = self.streets_by_code.get(c).map_or("", String::as_str);
                    f.warnings.push(Finding::new(
                        line,
                        "street",
                        format!("街路 {name} 按已有的 {stored}（街路编码 {c}）导入"),
                        format!("street {name} is taken as the stored {stored} (street code {c})"),
                    ));
                }
                Some(c.clone())
            } else {
                let by_code = &self.streets_by_code;
                let c = derived_street_code(name, |c| by_code.contains_key(c));
                self.new_street(line, &c, name, &mut f)?;
                Some(c)
            }
        } else if let Some(b) = &before {
            Some(b.street_code.clone())
        } else {
            f.errors.push(Finding::new(
                line,
                "street",
                "新编码缺少街路（街路名称或街路编码）",
                "a new code needs a street (a street name or street code)",
            ));
            None
        };
        let Some(street_code) = resolved_street else {
            self.reject(line, f);
            return Ok(());
        };

        let mut after = before.clone().unwrap_or_else(|| PoleRow {
            code: key.clone(),
            ..PoleRow::default()
        });
        after.code_display = display;
        after.street_code.clone_from(&street_code);
        if let Some(n) = pole_no {
            after.pole_no = n;
        }
        if let Some(s) = side {
            after.side = s;
        }
        for (field, v) in others {
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
        if let Some(pos) = position {
            let wgs = pos.map(|p| self.crs.to_wgs84(p));
            after.lat_deg = wgs.map(|p| p.lat_deg);
            after.lon_deg = wgs.map(|p| p.lon_deg);
            if let Some(p) = wgs {
                self.position_warnings(line, p, before.as_ref(), &mut f);
            }
        }

        if after.lat_deg.is_some() && !self.touched_streets.contains(&street_code) {
            self.touched_streets.insert(street_code.clone());
        }
        if !self.file_streets.contains(&street_code) {
            self.file_streets.insert(street_code);
        }
        for w in f.warnings {
            self.report.warn(w);
        }
        self.seen.insert(key.clone(), line);
        match &before {
            None => {
                self.report.added += 1;
                self.db.insert_pole(&after)?;
                // Into an empty table every stored pole is an addition of this version: their
                // history is written in one statement after the rows (`add_history_in_bulk`).
                if !self.was_empty {
                    self.db.record(&key, HistoryOp::Add, None, Some(&after))?;
                }
                self.report.change(Change {
                    op: "add",
                    line: Some(line),
                    code: after.code_display.clone(),
                    fields: Vec::new(),
                });
            }
            Some(b) => {
                let fields = diff(b, &after);
                if fields.is_empty() {
                    self.report.unchanged += 1;
                } else {
                    self.report.changed += 1;
                    self.db.replace_pole(&after)?;
                    self.db
                        .record(&key, HistoryOp::Change, Some(b), Some(&after))?;
                    self.report.change(Change {
                        op: "change",
                        line: Some(line),
                        code: after.code_display.clone(),
                        fields,
                    });
                }
            }
        }
        Ok(())
    }

    fn reject(&mut self, _line: u64, f: RowFindings) {
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
            format!("新街路 {name}（街路编码 {code}）"),
            format!("new street {name} (street code {code})"),
        ));
        Ok(())
    }

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
                        format!("位置 {:.5}, {:.5} 在数据集范围之外", p.lat_deg, p.lon_deg),
                        format!(
                            "the position {:.5}, {:.5} is outside the dataset's region",
                            p.lat_deg, p.lon_deg
                        ),
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
                    format!(
                        "新位置比原实测位置偏移 {moved:.0} 米，恰好是 GCJ-02 偏移量；文件可能是 GCJ-02 坐标（--crs gcj02）"
                    ),
                    format!(
                        "the new position is {moved:.0} m from the surveyed one, exactly the GCJ-02 shift; the file may be in GCJ-02 (--crs gcj02)"
                    ),
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
                        format!(
                            "编码 {} 距同一街路编号相邻的灯杆 {near:.0} 米（超过 {NEIGHBOUR_WARN_M:.0} 米）",
                            pts[i].1
                        ),
                        format!(
                            "code {} is {near:.0} m from the poles numbered next to it on its street (more than {NEIGHBOUR_WARN_M:.0} m)",
                            pts[i].1
                        ),
                    ));
                } else if i > 0 && i + 1 < pts.len() {
                    let (a, b) = (pts[i - 1].2, pts[i + 1].2);
                    let detour = a.distance_m(p) + p.distance_m(b);
                    if detour > 3.0 * a.distance_m(b) + 200.0 {
                        found.push(Finding::new(
                            line,
                            "pole_no",
                            format!(
                                "编码 {} 的杆号与位置顺序不符（不在前后杆号的灯杆之间）",
                                pts[i].1
                            ),
                            format!(
                                "code {}: pole number out of sequence (not between the poles numbered before and after it)",
                                pts[i].1
                            ),
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
                self.db.record(&r.code, HistoryOp::Remove, Some(&r), None)?;
                self.report.removed += 1;
                self.report.change(Change {
                    op: "remove",
                    line: None,
                    code: r.code_display.clone(),
                    fields: Vec::new(),
                });
            }
        }
        Ok(())
    }
}

fn swapped_warning(line: u64) -> Finding {
    Finding::new(
        line,
        "lat_deg",
        "纬度与经度似乎对调了",
        "latitude and longitude look swapped",
    )
}

/// The mapping specs, datum and encoding to use: a saved mapping (if named), overridden field by
/// field by `--map`, and by `--crs` and `--encoding` when given.
fn settings_for(
    store: &Store,
    opts: &Options,
) -> Result<(Vec<MapSpec>, Crs, Option<&'static encoding_rs::Encoding>), ImportError> {
    let mut specs: Vec<MapSpec> = Vec::new();
    let mut crs = None;
    let mut encoding = None;
    if let Some(name) = &opts.mapping_name {
        let json = store
            .meta(&format!("mapping:{name}"))?
            .ok_or_else(|| ImportError::NoMapping(name.clone()))?;
        let saved: SavedMapping = serde_json::from_str(&json)
            .map_err(|e| ImportError::BadMapping(format!("mapping:{name}: {e}")))?;
        specs = saved.to_specs().map_err(ImportError::BadMapping)?;
        crs = saved.crs.as_deref().and_then(Crs::parse);
        encoding = saved
            .encoding
            .as_deref()
            .and_then(|e| read::parse_encoding(e).ok().flatten());
    }
    for (f, r) in &opts.map {
        specs.retain(|(g, _)| g != f);
        specs.push((*f, r.clone()));
    }
    Ok((
        specs,
        opts.crs.or(crs).unwrap_or_default(),
        opts.encoding.or(encoding),
    ))
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
    let name = match input {
        Input::Path(p) => p.display().to_string(),
        Input::Bytes(_) => "-".to_owned(),
    };
    let io_err = |source| ImportError::Read {
        path: name.clone(),
        source,
    };
    let control = opts.control.as_deref();
    let cancelled = || control.is_some_and(ImportControl::is_cancelled);
    if cancelled() {
        return Err(ImportError::Cancelled);
    }
    let (specs, crs, encoding) = settings_for(store, opts)?;
    if let Some(c) = control {
        if let Input::Path(p) = input
            && let Ok(m) = std::fs::metadata(p)
        {
            c.set_total(m.len());
        } else if let Input::Bytes(b) = input {
            c.set_total(b.len() as u64);
        }
        c.set_stage(Stage::Detecting);
    }
    let det = read::detect_watched(input, encoding, control).map_err(io_err)?;
    if cancelled() {
        return Err(ImportError::Cancelled);
    }
    if let Some(c) = control {
        // The size actually read (the file may have grown since it was measured).
        c.set_total(det.bytes);
        c.set_bytes(det.bytes);
    }
    let format = read::sniff_format(input, &det).map_err(io_err)?;
    let source = opts.source_name.clone().unwrap_or_else(|| input.name());
    let mut report = Report {
        source: source.clone(),
        source_sha256: det.sha256.clone(),
        format: format.word(),
        encoding: read::encoding_name(det.encoding),
        encoding_detected: !det.forced,
        delimiter: format.delimiter(),
        crs: crs.word(),
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
        not_applied_reason: None,
    };
    if let Some(w) = det.warning.clone() {
        report.warn(w);
    }
    let new = NewVersion {
        applied_by: &opts.applied_by,
        source_name: &source,
        source_sha256: &det.sha256,
        datum: crs.word(),
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
            crs,
            region,
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
            fatal: false,
            failure: None,
            control,
            cancelled: false,
        };
        if let Some(c) = control {
            c.set_stage(Stage::Reading);
        }
        if let Some(refusal) = det.refusal.clone() {
            read::TableSink::fatal(&mut planner, refusal);
        } else {
            read::read_table_watched(input, &det, format, &mut planner, control)
                .map_err(io_err)?;
        }
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
        let mapping_resolved = planner.mapping.is_some();
        if mapping_resolved && !planner.fatal && planner.report.rows == 0 {
            read::TableSink::fatal(
                &mut planner,
                Finding::new(
                    1,
                    "-",
                    "文件只有表头，没有数据行",
                    "the file has a header but no data rows",
                ),
            );
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
        report.not_applied_reason = if opts.dry_run {
            Some("试运行，未写入 / dry run, nothing written".to_owned())
        } else if fatal {
            Some("文件整体有误，未写入 / the file as a whole is invalid; nothing written".to_owned())
        } else if has_errors && !opts.allow_partial {
            Some(
                "文件有错误行，未写入任何内容（可用 --allow-partial 只导入正确的行）/ the file has bad rows and nothing was written (--allow-partial imports the good rows only)"
                    .to_owned(),
            )
        } else if changes == 0 {
            Some("没有需要更改的内容 / nothing to change".to_owned())
        } else {
            None
        };
        if let Some(c) = control {
            c.set_stage(Stage::Writing);
        }
        let counts = report.not_applied_reason.is_none().then(|| {
            // Committed by the store right after this; a failed commit is an error instead.
            report.applied = true;
            report.version = Some(version);
            VersionCounts {
                added: report.added,
                changed: report.changed,
                removed: report.removed,
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
        saved.crs = (crs != Crs::Wgs84).then(|| crs.word().to_owned());
        saved.encoding = encoding.map(|e| e.name().to_owned());
        save_mapping(store, name, &saved)?;
    }
    if let Some(c) = control {
        c.set_rows(report.rows);
        c.set_bytes(det.bytes);
        c.set_stage(Stage::Done);
    }
    Ok(report)
}

/// Sorts the findings by line, so that the report reads top to bottom.
fn report_out(r: &mut Report) {
    r.rejected.sort_by_key(|f| f.line);
    r.warnings.sort_by_key(|f| f.line);
}

/// Imports a file on disk (see [`import`]).
pub fn import_path(store: &mut Store, path: &Path, opts: &Options) -> Result<Report, ImportError> {
    import(store, Input::Path(path), opts)
}

#[cfg(test)]
mod tests;
