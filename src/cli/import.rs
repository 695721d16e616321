//! `lamppost import`, `versions`, `undo` and `export csv|geojson|gpkg`: the supervisor's data
//! commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Args, Subcommand};
use lamppost_core::spreadsheet::{UTF8_BOM, neutralise_formula};
use lamppost_core::words::Words;
use lamppost_data::export::csv_file::write_canonical_csv;

use super::output::{self, Keep};
use lamppost_data::export::geojson::{GeoJsonWriter, GeoPole};
use lamppost_data::export::gpkg::{GpkgStreet, GpkgWriter};
use lamppost_data::store::{Access, Store};
use lamppost_import::{self, ChangeOp, Crs, Options, Report};
use lamppost_search::SearchIndex;
use serde_json::json;

use super::{operator, print_json, resolve_db};

/// `lamppost import FILE …`
// Command-line switches are independent flags by nature.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file(s): CSV (`,` `;` tab `|`), GeoJSON, Excel (`.xlsx`, `.xls`), OpenDocument
    /// (`.ods`), a Shapefile (`.shp` beside its `.shx`, `.dbf`, `.prj`) or a GeoPackage
    /// (`.gpkg`). Several files, or a folder (its files of these kinds), are imported as ONE
    /// data version: all or nothing.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// The workbook sheet or GeoPackage layer to read [default: the first sheet with a
    /// recognised header; the first point layer].
    #[arg(long, visible_alias = "layer", value_name = "NAME")]
    pub sheet: Option<String>,
    /// A constant for a field on every row, e.g. `--set street=中山南路`; `{file}` stands for
    /// the file's name without its extension (`--set street={file}` for one file per road).
    /// Repeat for several fields.
    #[arg(long, value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Column for a field, or a template: `code=灯杆编号`, `street=Road Name`,
    /// `code={RD_CD}-{LAMPPOST_N}`. Repeat or separate with commas.
    #[arg(long, value_name = "FIELD=COLUMN,...")]
    pub map: Vec<String>,
    /// Start from a mapping saved with --save-mapping.
    #[arg(long, value_name = "NAME")]
    pub mapping: Option<String>,
    /// Save the mapping used under this name (in the database) for next time.
    #[arg(long, value_name = "NAME")]
    pub save_mapping: Option<String>,
    /// The coordinates' CRS: wgs84, cgcs2000, gcj02 (Amap, Tencent), bd09 (Baidu), EPSG:NNNN
    /// (Gauss–Krüger 4491–4554, UTM 326xx/327xx, 3857, Beijing 1954 2401–2442, Xi'an 1980
    /// 2327–2390), a proj string, or a .prj file's WKT (or its path)
    /// [default: the file's own, else the saved mapping's, else wgs84].
    #[arg(long)]
    pub crs: Option<String>,
    /// The 7 parameters from Beijing 1954 / Xi'an 1980 to WGS-84 (position vector: metres,
    /// arc-seconds, ppm), from the survey bureau.
    #[arg(long, value_name = "DX,DY,DZ,RX,RY,RZ,S", allow_hyphen_values = true)]
    pub towgs84: Option<String>,
    /// The file's encoding: auto, utf-8, gbk, gb18030, big5, shift-jis, utf-16le, utf-16be,
    /// latin1 (any WHATWG label) [default: the saved mapping's, else auto].
    #[arg(long)]
    pub encoding: Option<String>,
    /// Report what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply the good rows even when some rows are refused.
    #[arg(long)]
    pub allow_partial: bool,
    /// Remove the stored poles of the file's streets that the file does not list.
    #[arg(long)]
    pub replace_streets: bool,
    /// Apply moves of surveyed poles beyond --max-move-km or out of the dataset's region
    /// (otherwise such a row is an error).
    #[arg(long)]
    pub allow_moves: bool,
    /// The farthest a surveyed pole may move without --allow-moves, in kilometres.
    #[arg(long, value_name = "KM", default_value_t = lamppost_import::DEFAULT_MAX_MOVE_M / 1000.0)]
    pub max_move_km: f64,
    /// Write the full report to this file (`.json` or `.csv`; never a database in use).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Replace the --report file if it exists.
    #[arg(long)]
    pub force: bool,
    /// A note for the audit record.
    #[arg(long, default_value = "")]
    pub note: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `lamppost export …`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The canonical CSV (UTF-8 with BOM; `import` reads it back unchanged).
    Csv {
        /// Output file (never a database in use).
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// GeoJSON points: surveyed poles, and estimated ones marked `"position":"estimated"`.
    Geojson {
        /// Output file (never a database in use).
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// A GeoPackage (`.gpkg`) that QGIS opens directly: a `poles` layer (surveyed and
    /// estimated points, like the GeoJSON) and a `streets` layer (centre lines), in WGS-84.
    Gpkg {
        /// Output file (never a database in use).
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// A data package for the other workstations (same as `lamppost package export`).
    Package {
        /// The package file (its manifest is written beside it as FILE.json).
        out: PathBuf,
    },
}

/// Exit status when the file has errors and was not (or would not be) applied.
pub(crate) const REFUSED: u8 = 1;

/// The files and the import options that `a` asks for (shared with `master push`).
pub(crate) fn options_of(a: &ImportArgs) -> Result<(Vec<PathBuf>, Options)> {
    let crs = match &a.crs {
        None => None,
        // A `.prj` file's path stands for its WKT.
        Some(c) if c.to_ascii_lowercase().ends_with(".prj") => {
            let wkt = std::fs::read_to_string(c)
                .with_context(|| format!("无法读取文件 / cannot read the file: {c}"))?;
            Some(Crs::from_wkt(&wkt)?)
        }
        Some(c) => Some(Crs::parse(c)?),
    };
    let towgs84 = match &a.towgs84 {
        None => None,
        Some(t) => Some(lamppost_core::crs::parse_towgs84(t)?),
    };
    if towgs84.is_some() && matches!(crs, Some(Crs::Datum(_))) {
        anyhow::bail!(
            "--towgs84 只用于北京54/西安80 等坐标系（--crs EPSG:…）/ --towgs84 applies to a CRS such as Beijing 1954 or Xi'an 1980 (--crs EPSG:…)"
        );
    }
    let encoding = match &a.encoding {
        None => None,
        Some(e) => lamppost_import::read::parse_encoding(e).map_err(anyhow::Error::msg)?,
    };
    let mut map = lamppost_import::parse_map_specs(&a.map)?;
    map.extend(lamppost_import::parse_set_specs(&a.set)?);
    if !(a.max_move_km.is_finite() && a.max_move_km >= 0.0) {
        anyhow::bail!(
            "--max-move-km 应为非负的公里数 / --max-move-km must be a distance in km, 0 or more: {}",
            a.max_move_km
        );
    }
    let files = expand_files(&a.files)?;
    let opts = Options {
        map,
        mapping_name: a.mapping.clone(),
        save_mapping: a.save_mapping.clone(),
        encoding,
        sheet: a.sheet.clone(),
        crs,
        crs_hint: None,
        towgs84,
        replace_streets: a.replace_streets,
        allow_partial: a.allow_partial,
        dry_run: a.dry_run,
        note: a.note.clone(),
        applied_by: operator(),
        source_name: None,
        control: Some(std::sync::Arc::new(lamppost_import::ImportControl::new())),
        allow_moves: a.allow_moves,
        max_move_m: Some(a.max_move_km * 1000.0),
    };
    Ok((files, opts))
}

/// Runs `lamppost import`.
pub fn run_import(db: Option<&Path>, a: &ImportArgs, keep: &Keep) -> Result<ExitCode> {
    // Refused before anything is read or written: the report must not replace the database.
    if let Some(out) = &a.report {
        output::check(out, a.force, keep)?;
    }
    let (files, opts) = options_of(a)?;
    let path = resolve_db(db)?;
    let mut store = Store::open(&path, Access::ReadWrite)?;
    // A dry run changes nothing (unless it saves a mapping): no password needed.
    if !a.dry_run || a.save_mapping.is_some() {
        super::package::require_supervisor(&mut store)?;
    }
    let report = with_progress_bar(opts.control.clone(), || {
        let inputs: Vec<lamppost_import::Input<'_>> = files
            .iter()
            .map(|f| lamppost_import::Input::Path(f))
            .collect();
        lamppost_import::import_many(&mut store, &inputs, &opts)
    })?;
    if let Some(out) = &a.report {
        output::write_file(out, a.force, keep, |f| write_report(f, out, &report))?;
    }
    if a.json {
        print_json(&serde_json::to_value(&report)?)?;
    } else {
        print_summary(&report)?;
    }
    let refused = report.rejected_total > 0 && !(report.applied || (a.dry_run && a.allow_partial));
    if report.applied {
        // The import's connection (and its 64 MB page cache) goes before the index is built,
        // so the two never hold memory at once: the whole command stays under 300 MB at 1M.
        drop(store);
        super::refresh_index(&path);
    }
    Ok(if refused {
        ExitCode::from(REFUSED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The files to import: each path as given, a folder replaced by its files of the kinds the
/// import reads (sorted by name; a Shapefile by its `.shp`).
fn expand_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    const KINDS: [&str; 10] = [
        "csv", "txt", "tsv", "geojson", "json", "xlsx", "xls", "ods", "shp", "gpkg",
    ];
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| {
                    format!("无法读取文件夹 / cannot read the folder: {}", p.display())
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.is_file()
                        && f.extension().is_some_and(|e| {
                            KINDS.contains(&e.to_string_lossy().to_ascii_lowercase().as_str())
                        })
                })
                .collect();
            found.sort();
            if found.is_empty() {
                anyhow::bail!(
                    "文件夹里没有可导入的文件 / the folder holds no file to import: {}",
                    p.display()
                );
            }
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            anyhow::bail!("找不到文件 / no such file: {}", p.display());
        }
    }
    Ok(out)
}

/// Runs `work` while a progress bar on stderr follows `control` (indicatif draws nothing when
/// stderr is not a terminal, so scripts and `--json` pipelines see no bar).
pub(crate) fn with_progress_bar<T>(
    control: Option<std::sync::Arc<lamppost_import::ImportControl>>,
    work: impl FnOnce() -> T,
) -> T {
    let Some(control) = control else {
        return work();
    };
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = std::sync::Arc::clone(&done);
        std::thread::Builder::new()
            .name("import-progress".into())
            .spawn(move || {
                let bar = indicatif::ProgressBar::new(1000);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} [{bar:40}] {percent:>3}% {msg} ({elapsed})",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                // Only an import that takes a while gets a bar.
                std::thread::sleep(std::time::Duration::from_millis(300));
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let p = control.progress();
                    bar.set_position((p.fraction() * 1000.0) as u64);
                    bar.set_message(format!(
                        "{} · {} 行 rows",
                        match p.stage {
                            lamppost_import::Stage::Starting
                            | lamppost_import::Stage::Detecting => "校验文件 hashing",
                            lamppost_import::Stage::Reading => "读取检查 reading",
                            lamppost_import::Stage::Checking => "检查街路 streets",
                            lamppost_import::Stage::Writing | lamppost_import::Stage::Done =>
                                "写入 writing",
                        },
                        p.rows
                    ));
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                bar.finish_and_clear();
            })
            .ok()
    };
    let out = work();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(w) = watcher {
        let _ = w.join();
    }
    out
}

pub(crate) fn print_summary(r: &Report) -> Result<()> {
    let delim = match r.delimiter {
        Some("\t") => "tab".to_owned(),
        Some(d) => format!("{d:?}"),
        None => "-".to_owned(),
    };
    let confidence = r
        .encoding_confidence
        .map(|c| format!(" {c}%"))
        .unwrap_or_default();
    outln!(
        "文件 file: {}（{}，编码 encoding {}{}{confidence}，分隔符 delimiter {delim}，坐标系 CRS {}）",
        r.source,
        r.format,
        r.encoding,
        if r.encoding_detected { " auto" } else { "" },
        r.crs_name
    );
    if let Some(sheet) = &r.sheet {
        outln!("工作表/图层 sheet/layer: {sheet}");
    }
    if let Some(hint) = &r.crs_hint {
        outln!("文件声明的坐标系 declared CRS: {hint}");
    }
    for f in &r.files {
        outln!(
            "  {}（{}，{}，{} 行 rows）",
            f.source,
            f.format,
            f.encoding,
            f.rows
        );
    }
    let mapping: Vec<String> = r.mapping.iter().map(|(f, c)| format!("{f}←{c}")).collect();
    outln!("映射 mapping: {}", mapping.join(", "));
    outln!(
        "行 rows {} | 新增 added {} | 修改 changed {} | 不变 unchanged {} | 删除 removed {} | 拒绝 rejected {} | 警告 warnings {}",
        r.rows,
        r.added,
        r.changed,
        r.unchanged,
        r.removed,
        r.rejected_rows,
        r.warnings_total
    );
    for f in r.rejected.iter().take(50) {
        eprintln!("错误 error: {f}");
    }
    for f in r.warnings.iter().take(50) {
        eprintln!("警告 warning: {f}");
    }
    if r.rejected.len() + r.warnings.len() > 100 {
        eprintln!("……更多见 --report / more in --report");
    }
    for c in r
        .changes
        .iter()
        .filter(|c| c.op == ChangeOp::Change)
        .take(20)
    {
        let fields: Vec<String> = c
            .fields
            .iter()
            .map(|f| format!("{}: {:?} → {:?}", f.field, f.before, f.after))
            .collect();
        outln!("  修改 change {}: {}", c.code, fields.join("; "));
    }
    match (r.version, &r.not_applied) {
        (Some(v), _) => outln!("已写入数据版本 / applied as data version {v}"),
        (None, Some(why)) => outln!("{}", why.message()),
        (None, None) => {}
    }
    Ok(())
}

/// Writes the report: JSON, or for `.csv` one row per finding and change (UTF-8 with BOM,
/// neutralised).
pub(crate) fn write_report(
    mut file: &mut dyn std::io::Write,
    out: &Path,
    r: &Report,
) -> Result<()> {
    let is_csv = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if !is_csv {
        serde_json::to_writer_pretty(&mut file, r)?;
        writeln!(file)?;
        file.flush()?;
        return Ok(());
    }
    file.write_all(UTF8_BOM)?;
    let mut w = csv::Writer::from_writer(file);
    w.write_record(["kind", "line", "code", "field", "before", "after", "reason"])?;
    let t = |s: &str| neutralise_formula(s).into_owned();
    for (kind, list) in [("error", &r.rejected), ("warning", &r.warnings)] {
        for f in list {
            w.write_record([
                kind.to_owned(),
                f.line.to_string(),
                String::new(),
                f.field.clone(),
                String::new(),
                String::new(),
                t(&f.reason_both()),
            ])?;
        }
    }
    for c in &r.changes {
        let line = c.line.map(|l| l.to_string()).unwrap_or_default();
        if c.fields.is_empty() {
            w.write_record([c.op.word(), &line, &t(&c.code), "", "", "", ""])?;
        }
        for f in &c.fields {
            w.write_record([
                c.op.word(),
                &line,
                &t(&c.code),
                f.field,
                &t(&f.before),
                &t(&f.after),
                "",
            ])?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Runs `lamppost versions`.
pub fn run_versions(db: Option<&Path>, json_out: bool) -> Result<ExitCode> {
    let store = Store::open(&resolve_db(db)?, Access::ReadOnly)?;
    let list = lamppost_import::versions(&store)?;
    if json_out {
        print_json(&json!({ "versions": list }))?;
    } else {
        outln!(
            "版本 version | 时间 applied at | 操作员 by | 来源 source | 坐标系 datum | +added ~changed -removed | 备注 note"
        );
        for v in &list {
            outln!(
                "{:>4} | {} | {} | {} | {} | +{} ~{} -{} | {}",
                v.version,
                lamppost::clock::local_text(&v.applied_at),
                v.applied_by,
                v.source_name,
                v.datum,
                v.added,
                v.changed,
                v.removed,
                v.note
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `lamppost undo VERSION`.
pub fn run_undo(db: Option<&Path>, version: i64, note: &str, json_out: bool) -> Result<ExitCode> {
    let path = resolve_db(db)?;
    let mut store = Store::open(&path, Access::ReadWrite)?;
    super::package::require_supervisor(&mut store)?;
    let r = lamppost_import::undo(&mut store, version, &operator(), note)?;
    drop(store);
    super::refresh_index(&path);
    if json_out {
        print_json(&serde_json::to_value(&r)?)?;
    } else {
        outln!(
            "已撤销版本 {}，记为新版本 {}：恢复 {}，还原 {}，移除 {} / undid version {} as new version {}: {} put back, {} restored, {} removed",
            r.undone,
            r.version,
            r.added,
            r.changed,
            r.removed,
            r.undone,
            r.version,
            r.added,
            r.changed,
            r.removed
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `lamppost export csv|geojson|gpkg|package`.
pub fn run_export(db: Option<&Path>, cmd: ExportCommand, keep: &Keep) -> Result<ExitCode> {
    let path = resolve_db(db)?;
    match cmd {
        ExportCommand::Csv { out, force } => {
            let store = Store::open(&path, Access::ReadOnly)?;
            let n = output::write_file(&out, force, keep, |f| Ok(write_canonical_csv(&store, f)?))?;
            outln!("已导出 {n} 个编码 / exported {n} codes: {}", out.display());
        }
        ExportCommand::Package { out } => {
            return super::package::run(
                &path,
                super::package::PackageCommand::Export {
                    out,
                    key: None,
                    since: None,
                    base: None,
                },
                keep,
            );
        }
        ExportCommand::Geojson { out, force } => {
            let index = SearchIndex::open(&path)?;
            let (n, skipped) = output::write_file(&out, force, keep, |f| write_geojson(&index, f))?;
            outln!(
                "已导出 {n} 个点（{skipped} 个无位置的编码未导出）/ exported {n} points ({skipped} codes with no position left out): {}",
                out.display()
            );
        }
        ExportCommand::Gpkg { out, force } => {
            let index = SearchIndex::open(&path)?;
            let (poles, streets, skipped) =
                output::write_path(&out, force, keep, |p| write_gpkg(&index, p))?;
            outln!(
                "已导出 {poles} 个点、{streets} 条街路中心线（{skipped} 个无位置的编码未导出）/ exported {poles} points and {streets} street centre lines ({skipped} codes with no position left out): {}",
                out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Each pole that has a position, street by street, as the GIS exports write it.
fn for_each_pole(
    index: &SearchIndex,
    mut write: impl FnMut(&GeoPole<'_>) -> Result<()>,
) -> Result<u64> {
    let mut skipped = 0;
    for s in 0..index.streets().len() {
        for &id in index.street_pole_ids(s as u32) {
            let p = index.pole(id);
            let pos = p.position();
            let Some(at) = pos.point() else {
                skipped += 1;
                continue;
            };
            let street = p.street();
            write(&GeoPole {
                code: p.code(),
                street_code: &street.code,
                street: &street.name,
                pole_no: p.pole_no(),
                pole_label: p.pole_label(),
                side: p.side().map_or("", lamppost_core::model::Side::zh),
                lat_deg: at.lat_deg,
                lon_deg: at.lon_deg,
                position: pos.kind(),
                error_radius_m: pos.radius_m(),
                text: [
                    ("address", p.address()),
                    ("landmark", p.landmark()),
                    ("cross_street", p.cross_street()),
                    ("jurisdiction", p.jurisdiction()),
                    ("status", p.status()),
                    ("note", p.note()),
                ],
            })?;
        }
    }
    Ok(skipped)
}

fn write_gpkg(index: &SearchIndex, path: &Path) -> Result<(u64, u64, u64)> {
    let mut w = GpkgWriter::create(path)?;
    let skipped = for_each_pole(index, |p| Ok(w.pole(p)?))?;
    for s in index.streets() {
        w.street(&GpkgStreet {
            code: &s.code,
            name: &s.name,
            name_en: &s.name_en,
            district: &s.district,
            jurisdiction: &s.jurisdiction,
            line: &s.geometry,
            length_m: s.length_m,
            poles: s.poles,
        })?;
    }
    let (poles, streets) = w.finish()?;
    Ok((poles, streets, skipped))
}

fn write_geojson(index: &SearchIndex, file: &mut dyn std::io::Write) -> Result<(u64, u64)> {
    let mut w = GeoJsonWriter::new(file)?;
    let skipped = for_each_pole(index, |p| Ok(w.pole(p)?))?;
    Ok((w.finish()?, skipped))
}
