//! What the importer finds wrong with a file: a [`Finding`] is a place (line, field) and a
//! [`FindingKind`] with the values that matter. The words a person reads are made only at the
//! edge, by [`FindingKind::words`] (in `words.rs`), when the CLI, the window or a report shows
//! the finding.

use lamppost_core::code::CodeError;
use lamppost_core::readback::Lang;
use lamppost_core::words::{Message, Words};

use crate::mapping::Field;

/// One problem with the file, at a place: the physical line of the record in a CSV file (the
/// header is line 1) or the 1-based feature number in a GeoJSON file; 0 for the file as a whole.
///
/// Serialised (the JSON report) as `line`, `field`, `reason` (`中文 / English`), `reason_zh`,
/// `reason_en` and `kind` (the `snake_case` name of the [`FindingKind`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Line (CSV) or feature number (GeoJSON).
    pub line: u64,
    /// The field (canonical name) or `-` for the row or file.
    pub field: String,
    /// What is wrong, with its values.
    pub kind: FindingKind,
    /// The file, when several files are imported as one version; `None` otherwise (shared by
    /// the file's findings).
    pub file: Option<std::sync::Arc<String>>,
}

/// What is wrong, one variant per message, carrying the values the message names.
#[derive(Debug, Clone, PartialEq)]
pub enum FindingKind {
    // The file as a whole (reading and decoding).
    /// Many control bytes: not text.
    BinaryFile,
    /// Some lines are UTF-8 and others are not.
    MixedEncodings {
        /// The first line that is valid UTF-8.
        good_line: u64,
        /// The first line that is not.
        bad_line: u64,
    },
    /// Neither UTF-8 nor GB18030: read as windows-1252.
    Latin1Fallback,
    /// The encoding detector is not sure (see `read::charset`).
    UncertainEncoding {
        /// Its best guess.
        guess: &'static str,
        /// Its confidence in percent.
        confidence: u8,
        /// The encodings it considered, comma-separated.
        candidates: String,
    },
    /// A workbook, Shapefile or GeoPackage that its reader cannot make sense of.
    UnreadableFile {
        /// `xlsx`, `shapefile`, `gpkg`…
        format: &'static str,
        /// The reader's words.
        detail: String,
    },
    /// `--sheet`/`--layer` names nothing in the file.
    NoSuchSheet {
        /// The name asked for.
        sheet: String,
        /// The sheets or layers there are, comma-separated.
        sheets: String,
    },
    /// A Shapefile without one of the files it needs beside it (`.shx`, `.dbf`).
    MissingSidecar {
        /// The missing file's name.
        file: String,
    },
    /// The bytes read differ from the bytes detection hashed.
    ChangedWhileReading,
    /// A physical line longer than the limit.
    LineTooLong {
        /// The limit in MiB.
        mb: u64,
    },
    /// The CSV reader refused the text.
    MalformedCsv {
        /// The CSV reader's description of the error.
        detail: String,
    },
    /// No bytes, or no header.
    EmptyFile,
    /// A header with more columns than the limit.
    TooManyColumns {
        /// The number of columns found.
        columns: usize,
        /// The limit.
        max: usize,
    },
    /// A GeoJSON file larger than the limit (no longer found: GeoJSON is streamed).
    GeoJsonTooLarge {
        /// The limit in MiB.
        mb: u64,
    },
    /// The GeoJSON file is not valid JSON.
    InvalidJson {
        /// The column of the error.
        column: usize,
        /// The JSON parser's description of the error.
        detail: String,
    },
    /// The GeoJSON top level is not a `FeatureCollection` with `features`.
    NotFeatureCollection,
    /// A GeoJSON feature whose type is not `Feature`.
    NotAFeature {
        /// The feature's 1-based number.
        feature: u64,
    },
    /// A GeoJSON feature whose `properties` is not an object.
    PropertiesNotObject,
    /// A GeoJSON point whose coordinates are not `[lon, lat]`.
    BadPointCoordinates,
    /// A GeoJSON geometry that is not a `Point`.
    NotAPoint {
        /// The geometry's type (`?` when it has none).
        geometry_type: String,
    },
    /// A GeoJSON feature larger than the limit (a feature is held whole while it is read).
    FeatureTooLarge {
        /// The feature's 1-based number.
        feature: u64,
        /// The limit in MiB.
        mb: u64,
    },
    /// The file has a header and no rows.
    NoDataRows,

    // The header and the mapping.
    /// The header holds bytes the encoding could not decode.
    UndecodableHeader {
        /// The encoding used.
        encoding: &'static str,
    },
    /// No column feeds the code.
    NoCodeColumn {
        /// The header's column names.
        header: Vec<String>,
    },
    /// A latitude column without a longitude column, or the other way round.
    OneCoordinateColumn {
        /// The coordinate that has a column.
        has: Field,
        /// The coordinate that lacks one.
        lacks: Field,
    },
    /// A mapping names a column the header does not have.
    NoSuchColumn {
        /// The column named.
        column: String,
        /// The header's column names.
        header: Vec<String>,
    },
    /// A mapping template with a `{` and no `}`.
    UnclosedTemplate {
        /// The template.
        template: String,
    },

    // A row's cells.
    /// The row has another number of cells than the header.
    ColumnCount {
        /// Cells in the row.
        found: usize,
        /// Columns in the header.
        expected: usize,
    },
    /// A text longer than the limit.
    TextTooLong {
        /// The limit in characters.
        max_chars: usize,
    },
    /// A text with a control character.
    ControlCharacter {
        /// The character.
        ch: char,
    },
    /// A text with a byte-order mark inside.
    ByteOrderMark,
    /// A text with bytes the encoding could not decode.
    UndecodableText {
        /// The encoding used.
        encoding: &'static str,
    },
    /// A text a spreadsheet would run as a formula.
    FormulaLike,
    /// A text with a bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069), which
    /// reorders what is displayed and read back.
    BidiControl {
        /// The character.
        ch: char,
    },
    /// A code (or street code) written as a JSON number that is not an exact integer
    /// (`9.5`, `1e300`): codes are text, and such a number is not the code written.
    InexactNumberCode {
        /// The number as read.
        value: String,
    },
    /// A coordinate beyond ±90° (latitude) or ±180° (longitude).
    CoordinateOutOfRange {
        /// The cell as written.
        value: String,
        /// The limit in degrees.
        limit_deg: u16,
        /// True when the longitude would make a valid latitude.
        maybe_swapped: bool,
    },
    /// A coordinate that is infinite or NaN.
    CoordinateNotFinite {
        /// The cell as written.
        value: String,
    },
    /// A coordinate that is not a number.
    CoordinateNotANumber {
        /// The cell as written (its first 40 characters).
        value: String,
    },
    /// One of latitude and longitude without the other.
    OnlyOneCoordinate,
    /// No code in the row.
    MissingCode,
    /// A code that is not a valid pole code.
    BadCode {
        /// Why.
        error: CodeError,
    },
    /// A code already in an earlier row.
    DuplicateCode {
        /// The code as written.
        code: String,
        /// The earlier row's line.
        first_line: u64,
    },
    /// A pole number that is not a number (with or without a suffix).
    BadPoleNo {
        /// The cell as written.
        value: String,
    },
    /// A side that is none of the known words.
    UnknownSide {
        /// The cell as written.
        value: String,
    },

    // The street.
    /// A known street code given with another name: the stored one is kept.
    StreetNameDiffers {
        /// The street code.
        street_code: String,
        /// The stored name.
        stored: String,
        /// The file's name.
        file: String,
    },
    /// A new street code given without a name.
    NewStreetNeedsName {
        /// The street code.
        street_code: String,
    },
    /// A street name matched to a stored street through its folded spelling.
    FoldedStreet {
        /// The file's name.
        name: String,
        /// The stored name.
        stored: String,
        /// The stored street's code.
        street_code: String,
    },
    /// A new code without a street name or street code.
    NewCodeNeedsStreet,
    /// A street the reference data did not have.
    NewStreet {
        /// The street's name.
        name: String,
        /// Its street code (given or derived).
        code: String,
    },

    // The position.
    /// Latitude and longitude look swapped.
    SwappedLatLon,
    /// A position outside the dataset's region.
    OutsideRegion {
        /// Latitude, WGS-84 degrees.
        lat: f64,
        /// Longitude, WGS-84 degrees.
        lon: f64,
    },
    /// A surveyed pole moved beyond the limit or out of the dataset's region: refused unless
    /// the supervisor allows moves.
    MoveTooFar {
        /// The move in metres.
        moved_m: f64,
        /// The limit in metres.
        limit_m: f64,
        /// True when the new position is outside the dataset's region.
        outside_region: bool,
        /// True when the supervisor allowed moves (then it is a warning and applied).
        allowed: bool,
    },
    /// A move by exactly the GCJ-02 shift: the file is probably in GCJ-02.
    GcjShift {
        /// The move in metres.
        moved_m: f64,
    },
    /// A pole far from the poles numbered next to it on its street.
    FarFromNeighbours {
        /// The code as displayed.
        code: String,
        /// The distance to the nearest neighbour by number, in metres.
        dist_m: f64,
        /// The warning threshold in metres.
        limit_m: f64,
    },
    /// A pole whose number does not fit between its neighbours' positions.
    OutOfSequence {
        /// The code as displayed.
        code: String,
    },
    // Coordinate systems (`coords.rs`).
    /// No CRS given and the coordinates are metres of a grid: the file is refused.
    ProjectedWithoutCrs {
        /// The first coordinate as written (the longitude/X column).
        x: f64,
        /// The second (the latitude/Y column).
        y: f64,
        /// The most likely CRS as `--crs` takes it (`EPSG:4528`), when one stands out.
        guess: Option<String>,
        /// Its name.
        guess_name: Option<String>,
    },
    /// The file's own CRS (a `.prj`) could not be read.
    UnknownCrsHint {
        /// The start of the CRS text.
        hint: String,
        /// Why.
        detail: String,
    },
    /// Beijing 1954 or Xi'an 1980 without the 7 parameters to WGS-84.
    LegacyDatumNeedsTowgs84 {
        /// The CRS.
        crs: String,
    },
    /// Beijing 1954 or Xi'an 1980 taken with zero parameters: positions may be off by ~100 m.
    LegacyDatumNotShifted {
        /// The CRS.
        crs: String,
    },
    /// The X column holds the northing and Y the easting (the Chinese survey convention).
    NorthingFirst {
        /// The column read as the northing.
        x_column: String,
        /// The column read as the easting.
        y_column: String,
    },
    /// The coordinates are no point of the CRS (off its zone, or degrees given to a grid).
    NotInCrs {
        /// The first coordinate as written.
        x: f64,
        /// The second.
        y: f64,
        /// The CRS.
        crs: String,
    },
    /// A new code with a position and no street: grouped under a place.
    GroupedUnderPlace {
        /// The place (landmark, jurisdiction or address) used as its group.
        place: String,
    },
}

impl Finding {
    /// A finding of `kind` at `line`, in `field` (a canonical field name, or `-`).
    #[must_use]
    pub fn new(line: u64, field: &str, kind: FindingKind) -> Self {
        Self {
            line,
            field: field.to_owned(),
            kind,
            file: None,
        }
    }

    /// The reason in `lang`.
    #[must_use]
    pub fn reason(&self, lang: Lang) -> String {
        self.kind.words(lang)
    }

    /// The reason in Chinese.
    #[must_use]
    pub fn reason_zh(&self) -> String {
        self.kind.words(Lang::Zh)
    }

    /// The reason in English.
    #[must_use]
    pub fn reason_en(&self) -> String {
        self.kind.words(Lang::En)
    }

    /// The reason in both languages: `中文 / English`.
    #[must_use]
    pub fn reason_both(&self) -> String {
        format!("{} / {}", self.reason_zh(), self.reason_en())
    }
}

impl Words for Finding {
    fn message(&self) -> Message {
        let (line, field) = (self.line, &self.field);
        // With several files, the file first: "AYE.xlsx: 第 3 行…".
        let file = self
            .file
            .as_ref()
            .map_or(String::new(), |f| format!("{f}: "));
        Message::new(
            format!("{file}第 {line} 行，字段 {field}：{}", self.reason_zh()),
            format!("{file}line {line}, field {field}: {}", self.reason_en()),
        )
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

impl serde::Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let zh = self.reason_zh();
        let en = self.reason_en();
        let mut st = s.serialize_struct("Finding", 7)?;
        match &self.file {
            Some(file) => st.serialize_field("file", file.as_str())?,
            None => st.skip_field("file")?,
        }
        st.serialize_field("line", &self.line)?;
        st.serialize_field("field", &self.field)?;
        st.serialize_field("reason", &format!("{zh} / {en}"))?;
        st.serialize_field("reason_zh", &zh)?;
        st.serialize_field("reason_en", &en)?;
        st.serialize_field("kind", self.kind.name())?;
        st.end()
    }
}

impl FindingKind {
    /// The kind's name in reports: its variant's name in snake case (`outside_region`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::BinaryFile => "binary_file",
            Self::MixedEncodings { .. } => "mixed_encodings",
            Self::Latin1Fallback => "latin1_fallback",
            Self::UncertainEncoding { .. } => "uncertain_encoding",
            Self::UnreadableFile { .. } => "unreadable_file",
            Self::NoSuchSheet { .. } => "no_such_sheet",
            Self::MissingSidecar { .. } => "missing_sidecar",
            Self::ChangedWhileReading => "changed_while_reading",
            Self::LineTooLong { .. } => "line_too_long",
            Self::MalformedCsv { .. } => "malformed_csv",
            Self::EmptyFile => "empty_file",
            Self::TooManyColumns { .. } => "too_many_columns",
            Self::GeoJsonTooLarge { .. } => "geojson_too_large",
            Self::InvalidJson { .. } => "invalid_json",
            Self::NotFeatureCollection => "not_feature_collection",
            Self::NotAFeature { .. } => "not_a_feature",
            Self::PropertiesNotObject => "properties_not_object",
            Self::BadPointCoordinates => "bad_point_coordinates",
            Self::NotAPoint { .. } => "not_a_point",
            Self::FeatureTooLarge { .. } => "feature_too_large",
            Self::NoDataRows => "no_data_rows",
            Self::UndecodableHeader { .. } => "undecodable_header",
            Self::NoCodeColumn { .. } => "no_code_column",
            Self::OneCoordinateColumn { .. } => "one_coordinate_column",
            Self::NoSuchColumn { .. } => "no_such_column",
            Self::UnclosedTemplate { .. } => "unclosed_template",
            Self::ColumnCount { .. } => "column_count",
            Self::TextTooLong { .. } => "text_too_long",
            Self::ControlCharacter { .. } => "control_character",
            Self::ByteOrderMark => "byte_order_mark",
            Self::UndecodableText { .. } => "undecodable_text",
            Self::FormulaLike => "formula_like",
            Self::BidiControl { .. } => "bidi_control",
            Self::InexactNumberCode { .. } => "inexact_number_code",
            Self::CoordinateOutOfRange { .. } => "coordinate_out_of_range",
            Self::CoordinateNotFinite { .. } => "coordinate_not_finite",
            Self::CoordinateNotANumber { .. } => "coordinate_not_a_number",
            Self::OnlyOneCoordinate => "only_one_coordinate",
            Self::MissingCode => "missing_code",
            Self::BadCode { .. } => "bad_code",
            Self::DuplicateCode { .. } => "duplicate_code",
            Self::BadPoleNo { .. } => "bad_pole_no",
            Self::UnknownSide { .. } => "unknown_side",
            Self::StreetNameDiffers { .. } => "street_name_differs",
            Self::NewStreetNeedsName { .. } => "new_street_needs_name",
            Self::FoldedStreet { .. } => "folded_street",
            Self::NewCodeNeedsStreet => "new_code_needs_street",
            Self::NewStreet { .. } => "new_street",
            Self::SwappedLatLon => "swapped_lat_lon",
            Self::OutsideRegion { .. } => "outside_region",
            Self::MoveTooFar { .. } => "move_too_far",
            Self::GcjShift { .. } => "gcj_shift",
            Self::FarFromNeighbours { .. } => "far_from_neighbours",
            Self::OutOfSequence { .. } => "out_of_sequence",
            Self::ProjectedWithoutCrs { .. } => "projected_without_crs",
            Self::UnknownCrsHint { .. } => "unknown_crs_hint",
            Self::LegacyDatumNeedsTowgs84 { .. } => "legacy_datum_needs_towgs84",
            Self::LegacyDatumNotShifted { .. } => "legacy_datum_not_shifted",
            Self::NorthingFirst { .. } => "northing_first",
            Self::NotInCrs { .. } => "not_in_crs",
            Self::GroupedUnderPlace { .. } => "grouped_under_place",
        }
    }
}
