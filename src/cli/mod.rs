//! The command line: the same binary for scripting, tests and headless servers.

/// `println!` that returns the write error instead of panicking: `lamppost stats | head -1`
/// closes the pipe early, and `main` ends quietly on that (`is_broken_pipe`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

pub mod calls;
pub mod import;
pub mod master;
pub mod near;
pub mod output;
pub mod package;
pub mod report_pdf;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use lamppost_core::estimate::Position;
use lamppost_core::geo::format_latlon_dms;
use lamppost_core::readback::Lang;
use lamppost_data::store::Store;
use lamppost_search::{
    Confusable, DEFAULT_LIMIT, Hit, MAX_CONFUSABLES, PoleView, SearchIndex, Target,
};
use serde_json::{Value, json};

/// Exit status for "not found" / "no match".
const NOT_FOUND: u8 = 1;

#[derive(Debug, Parser)]
#[command(
    name = "lamppost",
    version,
    about = "灯杆报警定位 Lamppost: find a street lamp post from the alarm code on its sign, offline.",
    long_about = "灯杆报警定位 Lamppost: find a street lamp post from the alarm code on its sign, offline.\n\
                  With no command, opens the call-taker window."
)]
pub struct Cli {
    /// Reference database (default: lamppost.sqlite in the per-user data folder, created from
    /// the bundled demo data on first use).
    #[arg(long, global = true, env = "LAMPPOST_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// City basemap for the window: an MBTiles file or an XYZ tile folder (default: the bundled
    /// demo basemap). Drawn over the bundled world overview.
    #[arg(long, global = true, env = "LAMPPOST_BASEMAP", value_name = "PATH")]
    pub basemap: Option<PathBuf>,

    /// This workstation's call log (default: calls.sqlite in the per-user data folder).
    #[arg(long, global = true, env = "LAMPPOST_CALLS", value_name = "PATH")]
    pub calls: Option<PathBuf>,

    /// The operator taking calls in the window (otherwise the window asks for the name at the
    /// start of the shift); it goes into every call logged.
    #[arg(long, env = "LAMPPOST_OPERATOR", value_name = "NAME")]
    pub operator: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new database: the demo data, or empty.
    Init {
        /// Create an empty database instead of loading the demo data.
        #[arg(long)]
        empty: bool,
    },
    /// Counts: streets, codes, surveyed, estimated, data version.
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Look up one code (any spelling: dashes, spaces, full-width digits).
    Lookup {
        /// The code on the sign.
        code: String,
        /// The caller's location given with the call: `LAT,LON[,RADIUS_M]`, decimal or DMS
        /// (`31°14'5.2"N 121°28'E, 150`); latitude first unless labelled N/S/E/W. Adds how far
        /// the pole is from it, and whether it lies within the radius.
        #[arg(long, value_name = "LAT,LON[,RADIUS_M]", allow_hyphen_values = true)]
        near: Option<String>,
        /// The datum of `--near`: wgs84 (GPS), gcj02 (Amap, Tencent) or bd09 (Baidu).
        #[arg(long, value_name = "CRS", default_value = "wgs84")]
        near_crs: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search codes, streets (with a pole number), landmarks and cross streets.
    Search {
        /// What the caller said: a code, `重庆北路 34`, `cqbl34`, a landmark…
        query: String,
        /// Most results to show.
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The poles nearest to a point: latitude then longitude (unless labelled N/S/E/W), decimal
    /// or DMS (`nearest 25.0478 121.5170`, `nearest "25°02'52\"N" "121°31'01\"E"`).
    Nearest {
        /// Latitude then longitude, in one or two arguments.
        #[arg(
            value_name = "LAT LON",
            num_args = 1..=2,
            required = true,
            allow_negative_numbers = true
        )]
        position: Vec<String>,
        /// The datum of the point: wgs84 (GPS), gcj02 (Amap, Tencent) or bd09 (Baidu).
        #[arg(long, value_name = "CRS", default_value = "wgs84")]
        crs: String,
        /// How many poles to list, nearest first.
        #[arg(long, default_value_t = 1)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// This workstation's call log (接警记录): list, export, the shift report, merging the logs
    /// of several workstations.
    Calls {
        #[command(subcommand)]
        cmd: calls::CallsCommand,
    },
    /// Data packages for the other workstations: export, verify, install.
    Package {
        #[command(subcommand)]
        cmd: package::PackageCommand,
    },
    /// The master copy of every dataset on PostgreSQL + PostGIS: init, datasets, push (the
    /// import's checks, one version with its audit record), publish (a signed package), pull.
    Master {
        #[command(subcommand)]
        cmd: master::MasterCommand,
    },
    /// The supervisor password that guards imports, undo and package installs.
    Password {
        #[command(subcommand)]
        cmd: package::PasswordCommand,
    },
    /// Import poles from CSV, GeoJSON, Excel/ODS, Shapefile or GeoPackage files (any encoding,
    /// delimiter or coordinate system) as one new data version; `--dry-run` shows what would
    /// change.
    Import(Box<import::ImportArgs>),
    /// List the data versions (imports and undos) with their audit records.
    Versions {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Undo a data version (recorded as a new version).
    Undo {
        /// The version to undo.
        version: i64,
        /// A note for the audit record.
        #[arg(long, default_value = "")]
        note: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the reference data: csv (canonical), geojson, gpkg (GeoPackage) or package.
    Export {
        #[command(subcommand)]
        what: import::ExportCommand,
    },
}

/// The default database: `lamppost.sqlite` in the per-user data folder.
pub fn default_db_path() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("cn", "Lamppost", "lamppost")
        .context("找不到用户数据目录 / cannot find the per-user data folder; pass --db PATH")?;
    Ok(dirs.data_dir().join("lamppost.sqlite"))
}

/// The database to use: `--db`, or the default one, created from the demo data when missing.
pub fn resolve_db(db: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = db {
        return Ok(p.to_owned());
    }
    let path = default_db_path()?;
    if !path.exists() {
        lamppost_data::demo::create_demo_database(&path, &operator())?;
        eprintln!(
            "已用示范数据创建数据库 / created the database from the demo data: {}",
            path.display()
        );
    }
    Ok(path)
}

/// Who is running the command, for audit records.
pub fn operator() -> String {
    std::env::var("LAMPPOST_OPERATOR")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Runs a subcommand.
pub fn run(db: Option<&Path>, calls: Option<&Path>, command: Command) -> Result<ExitCode> {
    // What no output path may name: the databases this command would use.
    let keep = output::Keep::new(
        db.map(Path::to_owned)
            .or_else(|| default_db_path().ok())
            .as_deref(),
        calls::resolve_calls(calls).ok().as_deref(),
    );
    match command {
        Command::Calls { cmd } => calls::run(db, calls, cmd, &keep),
        // Installing on a new workstation must not first create the demo database.
        Command::Package {
            cmd: cmd @ package::PackageCommand::Install { .. },
        } => package::run(
            &db.map_or_else(default_db_path, |p| Ok(p.to_owned()))?,
            cmd,
            &keep,
        ),
        Command::Package { cmd } => package::run(&resolve_db(db)?, cmd, &keep),
        Command::Password { cmd } => package::run_password(&resolve_db(db)?, cmd),
        // A pull onto a new workstation must not first create the demo database.
        Command::Master { cmd } => master::run(
            &db.map_or_else(default_db_path, |p| Ok(p.to_owned()))?,
            cmd,
            &keep,
        ),
        Command::Import(args) => import::run_import(db, &args, &keep),
        Command::Versions { json } => import::run_versions(db, json),
        Command::Undo {
            version,
            note,
            json,
        } => import::run_undo(db, version, &note, json),
        Command::Export { what } => import::run_export(db, what, &keep),
        Command::Init { empty } => init(db, empty),
        Command::Stats { json } => stats(&open_index(db)?, json),
        Command::Lookup {
            code,
            near,
            near_crs,
            json,
        } => {
            let near = near
                .map(|n| near::CallerArg::parse(&n, &near_crs))
                .transpose()?;
            lookup(&open_index_learning(db, calls)?, &code, near, json)
        }
        Command::Search { query, limit, json } => {
            search(&open_index_learning(db, calls)?, &query, limit, json)
        }
        Command::Nearest {
            position,
            crs,
            limit,
            json,
        } => {
            let at = near::CallerArg::parse(&position.join(" "), &crs)?;
            near::nearest(&open_index(db)?, &at, limit, json)
        }
    }
}

/// Writes the persisted index of a new data version (after an import, an undo, a package
/// install), so that the next command and the window open it in milliseconds; best effort
/// (a read-only folder only costs the next start a rebuild).
pub(crate) fn refresh_index(db: &Path) {
    release_freed_memory();
    let _ = SearchIndex::open(db);
}

/// Gives the memory that the finished phase of a command freed back to the system before the
/// next phase allocates its own. glibc keeps freed memory in per-thread arenas, and the index
/// build runs on other threads than the import did: without this, a 1M-row import followed by
/// the index build peaked at 345 MB although neither phase holds more than about 200 MB.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim takes an integer, touches only the allocator's own free lists and is
    // thread-safe in glibc; it never frees memory that is in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn open_index(db: Option<&Path>) -> Result<SearchIndex> {
    let path = resolve_db(db)?;
    Ok(SearchIndex::open(&path)?)
}

/// The index, ranking typo guesses and confusable codes with the error model learnt from this
/// workstation's call log (`--calls`, else the default one when it exists; a log that cannot
/// be read leaves the default weights, with a warning).
fn open_index_learning(db: Option<&Path>, calls: Option<&Path>) -> Result<SearchIndex> {
    let index = open_index(db)?;
    if let Ok(path) = calls::resolve_calls(calls)
        && path.exists()
    {
        match lamppost_search::ErrorModel::from_call_log(&path) {
            Ok(model) => index.set_model(std::sync::Arc::new(model)),
            Err(e) => eprintln!(
                "警告：未能从接警记录学习输错规律，使用默认权重 / warning: could not learn from the call log, using the default weights: {e}"
            ),
        }
    }
    Ok(index)
}

fn init(db: Option<&Path>, empty: bool) -> Result<ExitCode> {
    let path = match db {
        Some(p) => p.to_owned(),
        None => default_db_path()?,
    };
    if empty {
        Store::create(&path)?;
        outln!(
            "已创建空数据库 / created an empty database: {}",
            path.display()
        );
    } else {
        let (_, s) = lamppost_data::demo::create_demo_database(&path, &operator())?;
        outln!(
            "已创建示范数据库：{} 条街路，{} 个编码，数据版本 {} / created the demo database: {} streets, {} codes, data version {}: {}",
            s.streets,
            s.poles,
            s.version,
            s.streets,
            s.poles,
            s.version,
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn stats(index: &SearchIndex, json: bool) -> Result<ExitCode> {
    let c = index.position_counts();
    let info = index.info();
    if json {
        print_json(&json!({
            "dataset": info.name,
            "dataset_en": info.name_en,
            "streets": index.streets().len(),
            "codes": index.len(),
            "surveyed": c.surveyed,
            "estimated": c.estimated,
            "unknown": c.unknown,
            "data_version": info.data_version,
        }))?;
    } else {
        outln!("数据集 dataset:        {} {}", info.name, info.name_en);
        outln!("数据版本 data version: {}", info.data_version);
        outln!("街路 streets:          {}", index.streets().len());
        outln!("编码 codes:            {}", index.len());
        outln!("实测 surveyed:         {}", c.surveyed);
        outln!("估算 estimated:        {}", c.estimated);
        outln!("未知 unknown:          {}", c.unknown);
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON object for one pole (the fields DESIGN.md promises, and more).
pub fn pole_json(index: &SearchIndex, p: PoleView<'_>) -> Value {
    let pos = p.position();
    let at = pos.point();
    let street = p.street();
    json!({
        "code": p.code(),
        "key": p.key(),
        "street": street.name,
        "street_en": street.name_en,
        "street_code": street.code,
        "district": street.district,
        "pole_no": p.pole_no(),
        "side": p.side().map(lamppost_core::model::Side::zh),
        "lat_deg": at.map(|a| round7(a.lat_deg)),
        "lon_deg": at.map(|a| round7(a.lon_deg)),
        "position": pos.kind(),
        "error_radius_m": pos.radius_m().map(f64::round),
        "address": p.address(),
        "landmark": p.landmark(),
        "cross_street": p.cross_street(),
        "jurisdiction": p.jurisdiction(),
        "status": p.status(),
        "note": p.note(),
        "readback": p.readback(Lang::Zh),
        "readback_en": p.readback(Lang::En),
        "data_version": index.info().data_version,
    })
}

/// Rounds degrees to 1e-7 (about a centimetre), as every JSON position is written.
pub fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// Whether `e` is only a reader that stopped reading (`lamppost search … | head -1`): that is
/// not a failure, so the command ends with no message, as `cat` or `grep` would.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| {
            // std already names EPIPE and Windows' ERROR_BROKEN_PIPE and ERROR_NO_DATA so;
            // Wine reports ERROR_PIPE_NOT_CONNECTED (233), which std does not.
            io.kind() == std::io::ErrorKind::BrokenPipe
                || (cfg!(windows) && io.raw_os_error() == Some(233))
        })
}

/// Prints a JSON value, pretty, buffered.
pub fn print_json(v: &Value) -> Result<()> {
    // Buffered: stdout flushes at every line break, and an import report has one per field.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    // As an io::Error (serde_json hands back the one it met), so `is_broken_pipe` sees it.
    serde_json::to_writer_pretty(&mut out, v).map_err(std::io::Error::from)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

fn position_text(pos: &Position) -> String {
    match pos {
        Position::Surveyed(at) => format!(
            "{:.7}, {:.7}（{}）实测 surveyed",
            at.lat_deg,
            at.lon_deg,
            format_latlon_dms(*at)
        ),
        Position::Estimated { at, radius_m, .. } => format!(
            "{:.7}, {:.7}（{}）估算 estimated ±{radius_m:.0} m",
            at.lat_deg,
            at.lon_deg,
            format_latlon_dms(*at)
        ),
        Position::Unknown => "未知 unknown".to_owned(),
    }
}

/// Prints one pole as the text card.
pub fn print_card(index: &SearchIndex, p: PoleView<'_>) -> Result<()> {
    let street = p.street();
    outln!("{}  {}", p.code(), p.readback(Lang::Zh));
    outln!("  街路 street:        {} {}", street.name, street.name_en);
    if let Some(n) = p.pole_no() {
        outln!("  杆号 pole number:   {n}");
    }
    if let Some(s) = p.side() {
        outln!("  方位 side:          {}侧 {}", s.zh(), s.en());
    }
    outln!("  位置 position:      {}", position_text(&p.position()));
    outln!("  地址 address:       {}", p.address());
    outln!("  路口 cross street:  {}", p.cross_street());
    outln!("  地标 landmark:      {}", p.landmark());
    outln!("  辖区 jurisdiction:  {}", p.jurisdiction());
    outln!("  读回 read-back:     {}", p.readback(Lang::Zh));
    outln!("  Read-back (en):     {}", p.readback(Lang::En));
    outln!("  数据版本 version:   {}", index.info().data_version);
    Ok(())
}

fn lookup(
    index: &SearchIndex,
    code: &str,
    near: Option<near::CallerArg>,
    json: bool,
) -> Result<ExitCode> {
    let Some(id) = index.lookup(code) else {
        eprintln!(
            "未找到编码 / code not found: {}",
            code.chars().take(64).collect::<String>()
        );
        return Ok(ExitCode::from(NOT_FOUND));
    };
    let p = index.pole(id);
    let confusables = index.confusables(id, MAX_CONFUSABLES);
    if json {
        let mut v = pole_json(index, p);
        v["confusables"] = confusables
            .iter()
            .map(|c| confusable_json(index, c))
            .collect();
        if let Some(n) = &near {
            v["near"] = n.json(p.point());
        }
        print_json(&v)?;
    } else {
        print_card(index, p)?;
        if let Some(n) = &near {
            outln!("  {}", n.text(p.point()));
        }
        if !confusables.is_empty() {
            outln!(
                "{}",
                if p.street().is_place() {
                    "  易混编码 confusable codes (请与报警人核对地点 / check the place with the caller):"
                } else {
                    "  易混编码 confusable codes (请与报警人核对街路名 / check the street with the caller):"
                }
            );
            for c in &confusables {
                let o = index.pole(c.id);
                let dist = c
                    .dist_m
                    .map_or_else(|| "-".to_owned(), |d| format!("{d:.0} m"));
                outln!(
                    "    {:<12} {} {}  {dist}  [{}]",
                    o.code(),
                    o.street().name,
                    o.pole_no().map_or(String::new(), |n| format!("#{n}")),
                    c.edit.word()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One confusable code as `lookup --json` lists it.
fn confusable_json(index: &SearchIndex, c: &Confusable) -> Value {
    let o = index.pole(c.id);
    json!({
        "code": o.code(),
        "street": o.street().name,
        "distance_m": c.dist_m.map(f64::round),
        "edit": c.edit.word(),
    })
}

fn hit_json(index: &SearchIndex, rank: usize, h: &Hit) -> Value {
    let mut v = match h.target {
        Target::Pole(id) => {
            let mut v = pole_json(index, index.pole(id));
            v["kind"] = json!("pole");
            v
        }
        Target::Street(s) => {
            let st = &index.streets()[s as usize];
            json!({
                "kind": "street",
                "street": st.name,
                "street_en": st.name_en,
                "street_code": st.code,
                "district": st.district,
                "poles": st.poles,
                "lat_deg": st.anchor.map(|a| round7(a.lat_deg)),
                "lon_deg": st.anchor.map(|a| round7(a.lon_deg)),
            })
        }
    };
    v["rank"] = json!(rank + 1);
    v["reason"] = json!(h.reason.word());
    v["reason_text"] = json!(h.reason.describe(Lang::Zh));
    v["distance_m"] = json!(h.dist_m.map(f64::round));
    if let Some(s) = h.score {
        // ln P(typed | code) + ln P(pole): the noisy-channel score the guesses are ranked by.
        v["score"] = json!((f64::from(s) * 1000.0).round() / 1000.0);
    }
    v
}

fn search(index: &SearchIndex, query: &str, limit: usize, json: bool) -> Result<ExitCode> {
    let r = index.search(query, limit);
    if json {
        let results: Vec<Value> = r
            .hits
            .iter()
            .enumerate()
            .map(|(i, h)| hit_json(index, i, h))
            .collect();
        print_json(&json!({
            "query": query.chars().take(MAX_ECHO).collect::<String>(),
            "too_long": r.too_long,
            "results": results,
        }))?;
    } else if r.too_long {
        eprintln!("查询过长，未搜索 / the query is too long and was not searched");
    } else if r.hits.is_empty() {
        eprintln!("无匹配结果 / no match");
    } else {
        for (i, h) in r.hits.iter().enumerate() {
            let dist = h
                .dist_m
                .map_or_else(|| "-".to_owned(), |d| format!("{d:.0} m"));
            let what = match h.target {
                Target::Pole(id) => {
                    let p = index.pole(id);
                    format!("{:<12} {}", p.code(), p.readback(Lang::Zh))
                }
                Target::Street(s) => {
                    let st = &index.streets()[s as usize];
                    format!(
                        "{:<12} {}（{} 根灯杆，请补充杆号 / add a pole number）",
                        "街路", st.name, st.poles
                    )
                }
            };
            outln!(
                "{:>2}. {what}  [{}] {dist}",
                i + 1,
                h.reason.describe(Lang::Zh)
            );
        }
    }
    Ok(if r.hits.is_empty() {
        ExitCode::from(NOT_FOUND)
    } else {
        ExitCode::SUCCESS
    })
}

/// Longest query echoed back in JSON.
const MAX_ECHO: usize = 200;
