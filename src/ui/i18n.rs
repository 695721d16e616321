//! Every user-visible string of the window, in one place: Simplified Chinese and English.

use lamppost_core::estimate::Position;
use lamppost_core::model::Side;
use lamppost_core::readback::Lang;

/// How a pole's position is known, for the words that name it (实测 / 估算 / 未知).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionWord {
    /// Measured on the ground.
    Surveyed,
    /// Estimated from the street and the pole number.
    Estimated,
    /// Not known.
    Unknown,
}

impl PositionWord {
    /// The kind of a position.
    #[must_use]
    pub fn of(pos: &Position) -> Self {
        match pos {
            Position::Surveyed(_) => Self::Surveyed,
            Position::Estimated { .. } => Self::Estimated,
            Position::Unknown => Self::Unknown,
        }
    }
}

impl Strings {
    /// The word for how a position is known: the one place that spells 实测 / 估算 / 未知.
    #[must_use]
    pub fn position_word(&self, kind: PositionWord) -> &'static str {
        match kind {
            PositionWord::Surveyed => self.surveyed,
            PositionWord::Estimated => self.estimated,
            PositionWord::Unknown => self.unknown,
        }
    }

    /// A position's kind as the card says it: the word, and for an estimate its radius.
    #[must_use]
    pub fn position_kind(&self, pos: &Position) -> String {
        let word = self.position_word(PositionWord::of(pos));
        match pos {
            Position::Estimated { radius_m, .. } => {
                format!("{word} ±{radius_m:.0} {}", self.metres)
            }
            _ => word.to_owned(),
        }
    }

    /// The side of the street a pole stands on (东侧 / east).
    #[must_use]
    pub fn side(&self, side: Side) -> String {
        match self.lang {
            Lang::Zh => format!("{}侧", side.zh()),
            Lang::En => side.en().to_owned(),
        }
    }
}

/// The window's words in one language.
#[derive(Debug)]
pub struct Strings {
    /// The language these words are in.
    pub lang: Lang,
    /// Window title.
    pub title: &'static str,
    /// Label of the code box (also its accessibility name).
    pub code_label: &'static str,
    /// Hint inside the empty code box.
    pub code_hint: &'static str,
    /// Heading of the result list.
    pub results: &'static str,
    /// Shown when nothing matches.
    pub no_match: &'static str,
    /// Shown when the query is too long.
    pub too_long: &'static str,
    /// Shown when there is no exact match but candidates.
    pub did_you_mean: &'static str,
    /// Warning when the top candidates are far apart: `{m}` is replaced by metres.
    pub far_apart: &'static str,
    /// The read-back heading.
    pub readback: &'static str,
    /// Copy button.
    pub copy: &'static str,
    /// Shown after copying.
    pub copied: &'static str,
    /// Detail card labels.
    pub code: &'static str,
    /// .
    pub street: &'static str,
    /// .
    pub pole_no: &'static str,
    /// .
    pub side: &'static str,
    /// .
    pub cross_street: &'static str,
    /// .
    pub landmark: &'static str,
    /// .
    pub jurisdiction: &'static str,
    /// .
    pub address: &'static str,
    /// .
    pub coordinates: &'static str,
    /// .
    pub position: &'static str,
    /// Surveyed position.
    surveyed: &'static str,
    /// Estimated position (also drawn on the map).
    estimated: &'static str,
    /// Unknown position.
    unknown: &'static str,
    /// Dataset label.
    pub dataset: &'static str,
    /// Data version label.
    pub data_version: &'static str,
    /// Status bar: poles.
    pub poles: &'static str,
    /// Status bar: offline indicator.
    pub offline: &'static str,
    /// Shown while the index loads.
    pub loading: &'static str,
    /// Heading of the error screen.
    pub db_error: &'static str,
    /// What to do about it.
    pub db_error_help: &'static str,
    /// Error screen button: open another database file.
    pub db_choose: &'static str,
    /// Error screen button: install a data package.
    pub db_install: &'static str,
    /// Title of the file dialog for a database file.
    pub db_choose_title: &'static str,
    /// Title of the file dialog for a data package.
    pub db_package_title: &'static str,
    /// A package is being installed.
    pub db_installing: &'static str,
    /// The damaged database was kept under this name (`{p}`).
    pub db_broken_kept: &'static str,
    /// Language switch.
    pub language: &'static str,
    /// Theme switch.
    pub dark_theme: &'static str,
    /// A street result: the call-taker still needs a pole number.
    pub add_pole_number: &'static str,
    /// Keyboard help line.
    pub keys_help: &'static str,
    /// Metres.
    pub metres: &'static str,
    /// Nothing selected yet.
    pub nothing_selected: &'static str,
    /// The card's pole is shown, not yet confirmed: Enter confirms.
    pub unconfirmed: &'static str,
    /// Not an exact code match: Enter chooses it, a second Enter confirms.
    pub unconfirmed_two_enters: &'static str,
    /// Not an exact code match, chosen: Enter again confirms.
    pub unconfirmed_chosen: &'static str,
    /// The card's pole is confirmed.
    pub confirmed: &'static str,
    /// The code typed does not exist and another was chosen: `{q}` typed, `{c}` chosen.
    pub code_not_found_chosen: &'static str,
    /// The text typed is not a code; a pole was found another way: `{q}` typed, `{r}` how,
    /// `{c}` chosen.
    pub not_a_code_chosen: &'static str,
    /// Heading of the confusable codes under the card.
    pub confusable_codes: &'static str,
    /// The same heading when the card's pole is at a place (a park), not on a street.
    pub confusable_codes_place: &'static str,
    /// More confusable codes than shown: `{n}`.
    pub more_confusables: &'static str,
    /// Layer toggle.
    pub show_poles: &'static str,
    /// Heading of the call log panel.
    pub calls_today: &'static str,
    /// Before the reason the call log is unavailable.
    pub calls_error: &'static str,
    /// Before the reason a call was not saved.
    pub not_saved: &'static str,
    /// Retry saving a call.
    pub retry: &'static str,
    /// Hint of the call filter box.
    pub calls_filter_hint: &'static str,
    /// No call yet today.
    pub no_calls: &'static str,
    /// Incident type label.
    pub incident_type: &'static str,
    /// The incident types offered, "none" first (stored as '').
    pub incident_types: &'static [&'static str],
    /// Note label.
    pub note: &'static str,
    /// Hint of the note box.
    pub note_hint: &'static str,
    /// Save the note.
    pub save_note: &'static str,
    /// The note is saved.
    pub note_saved: &'static str,
    /// A call is being written.
    pub saving: &'static str,
    /// A call is on disk.
    pub saved: &'static str,
    /// Operator label.
    pub operator: &'static str,
    /// Hint of the operator box.
    pub operator_hint: &'static str,
    /// Title of the operator window (start of a shift).
    pub operator_title: &'static str,
    /// Why the name is asked.
    pub operator_why: &'static str,
    /// Button: start taking calls under this name.
    pub start_shift: &'static str,
    /// Status bar button: another operator takes over.
    pub change_operator: &'static str,
    /// Label of the time zone all times are shown in.
    pub time_zone: &'static str,
    /// Call log panel toggle.
    pub show_calls: &'static str,
    /// Kilometres.
    pub kilometres: &'static str,
    /// Map button: zoom in.
    pub zoom_in: &'static str,
    /// Map button: zoom out.
    pub zoom_out: &'static str,
    /// Map button: back to the selected pole.
    pub zoom_to_selection: &'static str,
    /// The data was reloaded: `{v}` is the new data version.
    pub data_updated: &'static str,
    /// A newer data package is offered: `{v}` version, `{d}` dataset.
    pub package_offered: &'static str,
    /// Install button.
    pub install: &'static str,
    /// Dismiss button.
    pub dismiss: &'static str,
    /// Settings button and window title.
    pub settings: &'static str,
    /// Label of the watched folder.
    pub package_folder: &'static str,
    /// Hint of the watched folder box.
    pub package_folder_hint: &'static str,
    /// Apply button.
    pub apply: &'static str,
    /// Shown after Ctrl+C on the card.
    pub card_copied: &'static str,
    /// The supervisor screen.
    pub sup: &'static SupervisorStrings,
}

/// The supervisor screen's words in one language.
#[derive(Debug)]
pub struct SupervisorStrings {
    /// The language these words are in.
    pub lang: Lang,
    /// Window title.
    pub title: &'static str,
    /// Status bar button.
    pub open: &'static str,
    /// Shown while a job runs.
    pub working: &'static str,
    /// Shown while a check or apply waits for another program's write lock.
    pub waiting_for_database: &'static str,
    /// First time: set a password.
    pub first_time: &'static str,
    /// New password label.
    pub new_password: &'static str,
    /// Repeat label.
    pub again: &'static str,
    /// Set button.
    pub set_password: &'static str,
    /// The two entries differ.
    pub passwords_differ: &'static str,
    /// Password label.
    pub password: &'static str,
    /// Unlock button.
    pub unlock: &'static str,
    /// Tab: import.
    pub import_tab: &'static str,
    /// Tab: versions.
    pub history_tab: &'static str,
    /// File label.
    pub file: &'static str,
    /// File hint.
    pub file_hint: &'static str,
    /// Encoding label.
    pub encoding: &'static str,
    /// Automatic encoding.
    pub auto: &'static str,
    /// Datum label.
    pub datum: &'static str,
    /// Column mapping label.
    pub mapping: &'static str,
    /// Audit note label.
    pub note: &'static str,
    /// Replace mode.
    pub replace_streets: &'static str,
    /// Partial apply.
    pub allow_partial: &'static str,
    /// Apply far moves of surveyed poles.
    pub allow_moves: &'static str,
    /// Dry run button.
    pub check: &'static str,
    /// Apply button.
    pub apply: &'static str,
    /// Why Apply is disabled.
    pub apply_needs_check: &'static str,
    /// Cancel button.
    pub cancel: &'static str,
    /// Counts: placeholders {rows} {added} {changed} {unchanged} {removed} {rejected} {warnings}.
    pub summary: &'static str,
    /// Format label.
    pub detected_format: &'static str,
    /// Delimiter label.
    pub delimiter: &'static str,
    /// Changes list.
    pub changes: &'static str,
    /// Errors list.
    pub rejected: &'static str,
    /// Warnings list.
    pub warnings: &'static str,
    /// Filter hint.
    pub filter_hint: &'static str,
    /// Sort toggle.
    pub sort_by_code: &'static str,
    /// Added.
    pub op_add: &'static str,
    /// Changed.
    pub op_change: &'static str,
    /// Removed.
    pub op_remove: &'static str,
    /// Applied: {v} version.
    pub applied: &'static str,
    /// Nothing written.
    pub not_applied: &'static str,
    /// Undone: {u} undone version, {v} new version.
    pub undone: &'static str,
    /// Refresh button.
    pub refresh: &'static str,
    /// Undo button.
    pub undo: &'static str,
    /// Column.
    pub version: &'static str,
    /// Column.
    pub when: &'static str,
    /// Column.
    pub who: &'static str,
    /// Column.
    pub source: &'static str,
    /// Column.
    pub counts: &'static str,
    /// Opens the file dialog.
    pub browse: &'static str,
    /// Preview heading: {n} rows shown.
    pub preview: &'static str,
    /// While the head of the file is read.
    pub previewing: &'static str,
    /// Column of the mapping table.
    pub field: &'static str,
    /// Column of the mapping table.
    pub column: &'static str,
    /// Column of the mapping table.
    pub example: &'static str,
    /// The field is not in the file.
    pub not_in_file: &'static str,
    /// Recognised by its header: {c} the column.
    pub auto_column: &'static str,
    /// Build the field from several columns.
    pub template: &'static str,
    /// Label of the template box (followed by the field's name).
    pub template_label: &'static str,
    /// Hint of the template box.
    pub template_hint: &'static str,
    /// Label of the sheet (workbook) or layer (GeoPackage) choice.
    pub sheet: &'static str,
    /// The detector's confidence in a guessed encoding: {p} percent.
    pub confidence: &'static str,
    /// The CRS the file declares (a Shapefile's .prj, a GeoPackage's EPSG code).
    pub declared_crs: &'static str,
    /// Adds a file to those in the file box (several files are one data version).
    pub add_file: &'static str,
    /// Several files or a folder: {n} files, {names}.
    pub files_as_one: &'static str,
    /// The coordinates' CRS as the preview sees it.
    pub crs_seen: &'static str,
    /// … declared by the file.
    pub crs_declared: &'static str,
    /// … a guess from metres (the file declares none).
    pub crs_guessed: &'static str,
    /// … degrees, WGS-84 unless chosen.
    pub crs_degrees: &'static str,
    /// Metres that match no CRS known.
    pub crs_unknown: &'static str,
    /// The survey convention: {x} is the northing, {y} the easting.
    pub northing_first: &'static str,
    /// The GIS order: {x} is the easting, {y} the northing.
    pub easting_first: &'static str,
    /// The latitude and longitude fields' names in the mapping table when the file's
    /// coordinates are projected metres (they hold the northing and the easting).
    pub projected_field_names: [&'static str; 2],
    /// Chooses the CRS seen in the CRS list.
    pub use_crs: &'static str,
    /// The short list of likely CRSs.
    pub likely_crs: &'static str,
    /// The fields, in canonical order (`import::Field::ALL`).
    pub field_names: [&'static str; 13],
    /// Saved mappings combo.
    pub saved_mappings: &'static str,
    /// Nothing chosen.
    pub no_saved_mapping: &'static str,
    /// Save-as label.
    pub save_mapping_as: &'static str,
    /// Save button.
    pub save: &'static str,
    /// Saved: {name}.
    pub mapping_saved: &'static str,
    /// Stops a running check or apply.
    pub stop: &'static str,
    /// Stopped.
    pub stopped: &'static str,
    /// Progress: first pass.
    pub stage_detecting: &'static str,
    /// Progress: reading the rows.
    pub stage_reading: &'static str,
    /// Progress: street checks.
    pub stage_checking: &'static str,
    /// Progress: writing.
    pub stage_writing: &'static str,
    /// Rows so far: {rows}.
    pub rows_so_far: &'static str,
    /// Review column.
    pub col_line: &'static str,
    /// Review column.
    pub col_kind: &'static str,
    /// Review column.
    pub col_code: &'static str,
    /// Review column.
    pub col_detail: &'static str,
    /// The file dialog.
    pub files: &'static FileDialogStrings,
}

/// The file dialog's words in one language.
#[derive(Debug, Clone, Copy)]
pub struct FileDialogStrings {
    /// Title.
    pub title: &'static str,
    /// Up one folder.
    pub up: &'static str,
    /// Folder label.
    pub folder: &'static str,
    /// Filter checkbox.
    pub only_data: &'static str,
    /// Column.
    pub name: &'static str,
    /// Column.
    pub size: &'static str,
    /// Column.
    pub modified: &'static str,
    /// Empty folder.
    pub empty: &'static str,
    /// Open button.
    pub open: &'static str,
    /// Cancel button.
    pub cancel: &'static str,
    /// Picks the folder shown: its files are imported as one data version.
    pub use_folder: &'static str,
}

/// File dialog, Simplified Chinese.
pub const FILES_ZH: FileDialogStrings = FileDialogStrings {
    title: "选择要导入的文件",
    up: "↑ 上一级",
    folder: "位置",
    only_data: "只显示可导入的文件（CSV、GeoJSON、Excel、ODS、Shapefile、GeoPackage）",
    name: "名称",
    size: "大小",
    modified: "修改时间",
    empty: "此文件夹中没有可导入的文件",
    open: "打开",
    cancel: "取消",
    use_folder: "导入此文件夹（全部文件作为一个版本）",
};

/// File dialog, English.
pub const FILES_EN: FileDialogStrings = FileDialogStrings {
    title: "Choose a file to import",
    up: "↑ Up",
    folder: "Folder",
    only_data: "Only importable files (CSV, GeoJSON, Excel, ODS, Shapefile, GeoPackage)",
    name: "Name",
    size: "Size",
    modified: "Modified",
    empty: "No importable file in this folder",
    open: "Open",
    cancel: "Cancel",
    use_folder: "Import this folder (all its files as one version)",
};

/// Supervisor screen, Simplified Chinese.
pub const SUP_ZH: SupervisorStrings = SupervisorStrings {
    lang: Lang::Zh,
    title: "值班长 · 数据导入与版本",
    open: "值班长",
    working: "正在处理…",
    waiting_for_database: "正在等待数据库：另一个程序（导入或安装数据包）正在写入，完成后自动继续…",
    first_time: "首次使用值班长模式，请设置值班长密码（至少 6 个字符）。",
    new_password: "新密码",
    again: "再输入一次",
    set_password: "设置密码",
    passwords_differ: "两次输入的密码不一致",
    password: "值班长密码",
    unlock: "进入值班长模式",
    import_tab: "导入",
    history_tab: "版本历史",
    file: "文件",
    file_hint: "CSV、GeoJSON、Excel、ODS、Shapefile（.shp）或 GeoPackage 文件的完整路径；文件夹或用 ; 分隔的多个文件作为一个版本",
    encoding: "编码",
    auto: "自动识别",
    datum: "坐标系",
    mapping: "列映射",
    note: "备注",
    replace_streets: "替换文件中的街路（删除文件未列出的灯杆）",
    allow_partial: "有错误行时导入其余正确的行",
    allow_moves: "允许移动实测灯杆（超过 2 公里或移出数据范围）",
    check: "检查（不写入）",
    apply: "应用",
    apply_needs_check: "先检查当前文件和设置；有错误时需勾选“导入其余正确的行”",
    cancel: "取消",
    summary: "共 {rows} 行：新增 {added}，修改 {changed}，不变 {unchanged}，删除 {removed}，错误 {rejected}，警告 {warnings}",
    detected_format: "格式",
    delimiter: "分隔符",
    changes: "变更",
    rejected: "错误",
    warnings: "警告",
    filter_hint: "筛选",
    sort_by_code: "按编码排序",
    op_add: "新增",
    op_change: "修改",
    op_remove: "删除",
    applied: "已应用，数据版本 {v}；各工作站将自动更新",
    not_applied: "未写入任何内容",
    undone: "已撤销版本 {u}，记为新版本 {v}",
    refresh: "刷新",
    undo: "撤销",
    version: "版本",
    when: "时间",
    who: "操作人",
    source: "来源",
    counts: "增/改/删",
    browse: "浏览…",
    preview: "文件预览（前 {n} 行）",
    previewing: "正在读取文件开头…",
    field: "字段",
    column: "文件中的列",
    example: "示例（第一行）",
    not_in_file: "（文件中没有）",
    auto_column: "{c}（自动识别）",
    template: "模板（由多列组成，或 =常量）…",
    template_label: "模板",
    template_hint: "{路段编码}-{杆号}",
    sheet: "工作表/图层",
    confidence: "把握 {p}%",
    declared_crs: "文件声明的坐标系",
    add_file: "添加文件…",
    files_as_one: "{n} 个文件，作为一个数据版本导入（预览第一个）：{names}",
    crs_seen: "识别的坐标系",
    crs_declared: "文件声明",
    crs_guessed: "推测：文件没有声明坐标系，坐标是米",
    crs_degrees: "经纬度，未选择时按 WGS-84",
    crs_unknown: "坐标是米，但推测不出坐标系：请在“坐标系”中选择",
    northing_first: "{x} 为北坐标、{y} 为东坐标（测量习惯）",
    projected_field_names: ["北坐标（纬度）", "东坐标（经度）"],
    easting_first: "{x} 为东坐标、{y} 为北坐标",
    use_crs: "采用",
    likely_crs: "可能的坐标系",
    field_names: [
        "编码",
        "街路编码",
        "街路",
        "杆号",
        "侧别",
        "纬度",
        "经度",
        "地址",
        "地标",
        "路口",
        "辖区派出所",
        "状态",
        "备注",
    ],
    saved_mappings: "已保存的映射",
    no_saved_mapping: "（不使用）",
    save_mapping_as: "映射另存为",
    save: "保存",
    mapping_saved: "已保存映射“{name}”",
    stop: "停止",
    stopped: "已停止，未写入任何内容",
    stage_detecting: "校验文件（SHA-256、编码）",
    stage_reading: "读取并检查各行",
    stage_checking: "检查街路",
    stage_writing: "写入数据库",
    rows_so_far: "已读 {rows} 行",
    col_line: "行",
    col_kind: "类型",
    col_code: "编码 / 字段",
    col_detail: "内容",
    files: &FILES_ZH,
};

/// Supervisor screen, English.
pub const SUP_EN: SupervisorStrings = SupervisorStrings {
    lang: Lang::En,
    title: "Supervisor · import and versions",
    open: "Supervisor",
    working: "Working…",
    waiting_for_database: "Waiting for the database: another program (an import or a package install) is writing it; this goes on by itself when it has finished…",
    first_time: "First use of supervisor mode: set the supervisor password (at least 6 characters).",
    new_password: "New password",
    again: "Again",
    set_password: "Set password",
    passwords_differ: "The two passwords differ",
    password: "Supervisor password",
    unlock: "Enter supervisor mode",
    import_tab: "Import",
    history_tab: "Versions",
    file: "File",
    file_hint: "Full path of a CSV, GeoJSON, Excel, ODS, Shapefile (.shp) or GeoPackage file; a folder, or several files separated by ;, is one version",
    encoding: "Encoding",
    auto: "detect",
    datum: "Datum",
    mapping: "Column mapping",
    note: "Note",
    replace_streets: "Replace the file's streets (remove poles the file does not list)",
    allow_partial: "Apply the good rows when some rows are bad",
    allow_moves: "Allow surveyed poles to move (over 2 km or out of the region)",
    check: "Check (writes nothing)",
    apply: "Apply",
    apply_needs_check: "Check the current file and settings first; with errors, tick “apply the good rows”",
    cancel: "Cancel",
    summary: "{rows} rows: {added} added, {changed} changed, {unchanged} unchanged, {removed} removed, {rejected} errors, {warnings} warnings",
    detected_format: "Format",
    delimiter: "Delimiter",
    changes: "Changes",
    rejected: "Errors",
    warnings: "Warnings",
    filter_hint: "Filter",
    sort_by_code: "Sort by code",
    op_add: "add",
    op_change: "change",
    op_remove: "remove",
    applied: "Applied as data version {v}; windows pick it up by themselves",
    not_applied: "Nothing was written",
    undone: "Undid version {u} as new version {v}",
    refresh: "Refresh",
    undo: "Undo",
    version: "Version",
    when: "When",
    who: "Who",
    source: "Source",
    counts: "Added/changed/removed",
    browse: "Browse…",
    preview: "Preview (first {n} rows)",
    previewing: "Reading the start of the file…",
    field: "Field",
    column: "Column in the file",
    example: "Example (first row)",
    not_in_file: "(not in the file)",
    auto_column: "{c} (recognised)",
    template: "Template (several columns, or =constant)…",
    template_label: "template",
    template_hint: "{RD_CD}-{LAMPPOST_N}",
    sheet: "Sheet/layer",
    confidence: "{p}% confident",
    declared_crs: "Declared CRS",
    add_file: "Add file…",
    files_as_one: "{n} files, imported as one data version (the first is previewed): {names}",
    crs_seen: "CRS seen",
    crs_declared: "declared by the file",
    crs_guessed: "a guess: the file declares no CRS and its coordinates are metres",
    crs_degrees: "degrees; WGS-84 unless chosen",
    crs_unknown: "the coordinates are metres but no CRS fits: choose one under CRS",
    northing_first: "{x} is the northing and {y} the easting (survey convention)",
    projected_field_names: ["Northing (latitude)", "Easting (longitude)"],
    easting_first: "{x} is the easting and {y} the northing",
    use_crs: "Use",
    likely_crs: "Likely CRSs",
    field_names: [
        "Code",
        "Street code",
        "Street",
        "Pole no.",
        "Side",
        "Latitude",
        "Longitude",
        "Address",
        "Landmark",
        "Cross street",
        "Jurisdiction",
        "Status",
        "Note",
    ],
    saved_mappings: "Saved mappings",
    no_saved_mapping: "(none)",
    save_mapping_as: "Save mapping as",
    save: "Save",
    mapping_saved: "Mapping “{name}” saved",
    stop: "Stop",
    stopped: "Stopped; nothing was written",
    stage_detecting: "Checking the file (SHA-256, encoding)",
    stage_reading: "Reading and checking rows",
    stage_checking: "Checking streets",
    stage_writing: "Writing to the database",
    rows_so_far: "{rows} rows read",
    col_line: "Line",
    col_kind: "Kind",
    col_code: "Code / field",
    col_detail: "Details",
    files: &FILES_EN,
};

/// Simplified Chinese.
pub const ZH: Strings = Strings {
    lang: Lang::Zh,
    title: "灯杆报警定位",
    code_label: "灯杆编码",
    code_hint: "输入灯杆编码、街路+杆号或地标…",
    results: "查询结果",
    no_match: "无匹配结果",
    too_long: "输入过长，未查询",
    did_you_mean: "没有完全匹配的编码，您是否要找：",
    far_apart: "注意：前几个候选相距 {m} 米，请与报警人核对街路！",
    readback: "向报警人复述",
    copy: "复制",
    copied: "已复制",
    code: "编码",
    street: "街路",
    pole_no: "杆号",
    side: "方位",
    cross_street: "最近路口",
    landmark: "地标",
    jurisdiction: "辖区",
    address: "地址",
    coordinates: "坐标 (WGS-84)",
    position: "位置",
    surveyed: "实测",
    estimated: "估算",
    unknown: "未知",
    dataset: "数据集",
    data_version: "数据版本",
    poles: "灯杆",
    offline: "离线运行",
    loading: "正在加载数据…",
    db_error: "无法打开灯杆数据库",
    db_error_help: "可以选择另一个数据库文件，或安装数据包（U 盘或共享文件夹中的 .sqlite 文件）。仍无法打开时，请电话联系值班长。",
    db_choose: "选择另一个数据库文件…",
    db_install: "安装数据包…",
    db_choose_title: "选择灯杆数据库文件",
    db_package_title: "选择数据包文件",
    db_installing: "正在安装数据包…",
    db_broken_kept: "损坏的数据库已另存为 {p}",
    language: "English",
    dark_theme: "深色",
    add_pole_number: "请补充杆号",
    keys_help: "↑↓ 选择并预览　Enter 确认并记录（非完全匹配按两次）　Esc 清空　Ctrl+Shift+C 复制复述　Ctrl+C 复制详情　F2 事件类型　F3 备注",
    metres: "米",
    nothing_selected: "输入编码后按 Enter 确认",
    unconfirmed: "未确认 — 核对后按 Enter 确认并记录",
    unconfirmed_two_enters: "未确认 — 按 Enter 选中，再按 Enter 确认",
    unconfirmed_chosen: "未确认 — 再按 Enter 确认并记录",
    confirmed: "已确认",
    code_not_found_chosen: "编码 {q} 不存在，已选 {c}",
    not_a_code_chosen: "“{q}”不是编码（{r}），已选 {c}",
    confusable_codes: "易混编码 — 请与报警人核对街路名：",
    confusable_codes_place: "易混编码 — 请与报警人核对地点：",
    more_confusables: "…另有 {n} 个",
    show_poles: "显示灯杆",
    calls_today: "今日接警",
    calls_error: "接警记录不可用：",
    not_saved: "未保存：",
    retry: "重试保存",
    calls_filter_hint: "筛选：编码、街路、类型、备注…",
    no_calls: "今天还没有接警记录",
    incident_type: "事件类型",
    incident_types: &[
        "（无）",
        "交通事故",
        "治安警情",
        "刑事案件",
        "火警",
        "医疗急救",
        "求助",
        "纠纷",
        "其他",
    ],
    note: "备注",
    note_hint: "Ctrl+Enter 保存",
    save_note: "保存备注",
    note_saved: "已保存",
    saving: "正在记录…",
    saved: "已记录",
    operator: "接警员",
    operator_hint: "姓名",
    operator_title: "交接班：接警员",
    operator_why: "请输入您的姓名，它将记入本班的每一条接警记录。",
    start_shift: "开始接警",
    change_operator: "换班…",
    time_zone: "时区",
    show_calls: "接警记录",
    kilometres: "公里",
    zoom_in: "放大 (Ctrl+=)",
    zoom_out: "缩小 (Ctrl+-)",
    zoom_to_selection: "回到所选灯杆 (Ctrl+L)",
    data_updated: "数据已更新到版本 {v}",
    package_offered: "有新的数据包：{d} 版本 {v}",
    install: "安装",
    dismiss: "关闭",
    settings: "设置",
    package_folder: "数据包文件夹（共享目录）",
    package_folder_hint: "例如 \\\\server\\lamppost 或 /mnt/share",
    apply: "应用",
    card_copied: "已复制编码、地址和坐标",
    sup: &SUP_ZH,
};

/// English.
pub const EN: Strings = Strings {
    lang: Lang::En,
    title: "Lamppost alarm locator",
    code_label: "Pole code",
    code_hint: "Type a pole code, street + number, or landmark…",
    results: "Results",
    no_match: "No match",
    too_long: "Too long, not searched",
    did_you_mean: "No exact code. Did you mean:",
    far_apart: "Caution: the top candidates are {m} m apart. Check the street with the caller!",
    readback: "Read back to the caller",
    copy: "Copy",
    copied: "Copied",
    code: "Code",
    street: "Street",
    pole_no: "Pole No.",
    side: "Side",
    cross_street: "Nearest junction",
    landmark: "Landmark",
    jurisdiction: "Jurisdiction",
    address: "Address",
    coordinates: "Coordinates (WGS-84)",
    position: "Position",
    surveyed: "surveyed",
    estimated: "estimated",
    unknown: "unknown",
    dataset: "Dataset",
    data_version: "Data version",
    poles: "Poles",
    offline: "Offline",
    loading: "Loading data…",
    db_error: "Cannot open the pole database",
    db_error_help: "Choose another database file, or install a data package (the .sqlite file on a USB stick or the shared folder). If it still does not open, phone the supervisor.",
    db_choose: "Choose another database file…",
    db_install: "Install a data package…",
    db_choose_title: "Choose the pole database file",
    db_package_title: "Choose the data package file",
    db_installing: "Installing the data package…",
    db_broken_kept: "The damaged database was kept as {p}",
    language: "中文",
    dark_theme: "Dark",
    add_pole_number: "add a pole number",
    keys_help: "↑↓ choose & preview   Enter confirm & log (twice if not an exact code)   Esc clear   Ctrl+Shift+C copy read-back   Ctrl+C copy details   F2 incident type   F3 note",
    metres: "m",
    nothing_selected: "Type a code and press Enter",
    unconfirmed: "Not yet confirmed — check, then press Enter to confirm and log",
    unconfirmed_two_enters: "Not yet confirmed — Enter chooses it, a second Enter confirms",
    unconfirmed_chosen: "Not yet confirmed — press Enter again to confirm and log",
    confirmed: "Confirmed",
    code_not_found_chosen: "Code {q} does not exist; {c} chosen instead",
    not_a_code_chosen: "“{q}” is not a code ({r}); {c} chosen",
    confusable_codes: "Confusable codes — check the street with the caller:",
    confusable_codes_place: "Confusable codes — check the place with the caller:",
    more_confusables: "…and {n} more",
    show_poles: "Show poles",
    calls_today: "Today's calls",
    calls_error: "Call log unavailable: ",
    not_saved: "not saved: ",
    retry: "Retry saving",
    calls_filter_hint: "Filter: code, street, type, note…",
    no_calls: "No calls yet today",
    incident_type: "Incident type",
    incident_types: &[
        "(none)",
        "Traffic accident",
        "Public order",
        "Crime",
        "Fire",
        "Medical",
        "Assistance",
        "Dispute",
        "Other",
    ],
    note: "Note",
    note_hint: "Ctrl+Enter saves",
    save_note: "Save note",
    note_saved: "Saved",
    saving: "Logging…",
    saved: "Logged",
    operator: "Operator",
    operator_hint: "name",
    operator_title: "Start of shift: operator",
    operator_why: "Type your name: it goes into every call logged in this shift.",
    start_shift: "Start taking calls",
    change_operator: "Change operator…",
    time_zone: "Time zone",
    show_calls: "Call log",
    kilometres: "km",
    zoom_in: "Zoom in (Ctrl+=)",
    zoom_out: "Zoom out (Ctrl+-)",
    zoom_to_selection: "Back to the selected pole (Ctrl+L)",
    data_updated: "Data updated to version {v}",
    package_offered: "A newer data package: {d} version {v}",
    install: "Install",
    dismiss: "Dismiss",
    settings: "Settings",
    package_folder: "Data package folder (a share)",
    package_folder_hint: "e.g. \\\\server\\lamppost or /mnt/share",
    apply: "Apply",
    card_copied: "Copied code, address and coordinates",
    sup: &SUP_EN,
};

/// The strings for a language.
#[must_use]
pub fn strings(lang: Lang) -> &'static Strings {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

/// The caller location box's words (`call_taker::caller_location`).
#[derive(Debug)]
pub struct CallerStrings {
    /// The box's title (also the position box's accessibility name).
    pub title: &'static str,
    /// Label of the position box (also its accessibility name).
    pub position: &'static str,
    /// Hint in the position box.
    pub hint: &'static str,
    /// Label of the datum choice.
    pub datum: &'static str,
    /// The datums, as listed: WGS-84, GCJ-02, BD-09.
    pub datums: [&'static str; 3],
    /// Label of the radius box (also its accessibility name).
    pub radius: &'static str,
    /// Clear the box.
    pub clear: &'static str,
    /// Centre the map on the caller.
    pub show_on_map: &'static str,
    /// Heading of the nearest poles.
    pub nearest: &'static str,
    /// The card's pole is outside the circle: `{c}` code, `{d}` metres, `{r}` radius.
    pub outside: &'static str,
    /// The card's pole is inside: `{c}`, `{d}`, `{r}`.
    pub inside: &'static str,
    /// No radius given: `{c}`, `{d}`.
    pub distance: &'static str,
    /// The card's pole has no position.
    pub no_position: &'static str,
    /// Metres.
    pub metres: &'static str,
    /// The word under the caller's cross on the map.
    pub on_map: &'static str,
}

/// Chinese.
pub const CALLER_ZH: CallerStrings = CallerStrings {
    title: "报警人位置",
    position: "报警人坐标",
    hint: "粘贴坐标：25.0478, 121.5170 或 25°02'52\"N 121°31'01\"E（先纬度后经度）",
    datum: "报警人坐标系",
    datums: [
        "WGS-84（GPS、手机定位）",
        "GCJ-02（高德、腾讯）",
        "BD-09（百度）",
    ],
    radius: "半径（米）",
    clear: "清除",
    show_on_map: "在地图上显示",
    nearest: "离报警人最近的灯杆：",
    outside: "注意：编码 {c} 距报警人位置 {d} 米，超出 {r} 米范围 — 请与报警人核对位置！",
    inside: "编码 {c} 距报警人位置 {d} 米，在 {r} 米范围内",
    distance: "编码 {c} 距报警人位置 {d} 米",
    no_position: "该灯杆没有坐标，无法与报警人位置比较",
    metres: "米",
    on_map: "报警人",
};

/// English.
pub const CALLER_EN: CallerStrings = CallerStrings {
    title: "Caller location",
    position: "Caller coordinates",
    hint: "Paste: 25.0478, 121.5170 or 25°02'52\"N 121°31'01\"E (latitude first)",
    datum: "Caller's datum",
    datums: [
        "WGS-84 (GPS, handset)",
        "GCJ-02 (Amap, Tencent)",
        "BD-09 (Baidu)",
    ],
    radius: "Radius (m)",
    clear: "Clear",
    show_on_map: "Show on map",
    nearest: "Poles nearest the caller:",
    outside: "Warning: code {c} is {d} m from the caller's location, outside the {r} m radius. Check the location with the caller!",
    inside: "Code {c} is {d} m from the caller's location, within {r} m",
    distance: "Code {c} is {d} m from the caller's location",
    no_position: "This pole has no coordinates to compare with the caller's location",
    metres: "m",
    on_map: "caller",
};

/// The caller location box's words for a language.
#[must_use]
pub fn caller_strings(lang: Lang) -> &'static CallerStrings {
    match lang {
        Lang::Zh => &CALLER_ZH,
        Lang::En => &CALLER_EN,
    }
}
