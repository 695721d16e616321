//! Reading a supervisor's file: encoding, delimiter, CSV or GeoJSON, row by row.
//!
//! The reader knows nothing about poles or the database (atuin's importers): it decodes the file
//! and pushes a header and then rows of text into a [`TableSink`]. Problems with the file
//! itself (a line that never ends, a binary file, mixed encodings) are reported to the sink as
//! findings with a line number; only I/O errors are returned.
//!
//! Memory: CSV is decoded and parsed as a stream (one record at a time, whatever the
//! encoding: `encoding_rs` decodes incrementally), and one line may not exceed
//! [`MAX_LINE_BYTES`]. Detection reads the file once more, also as a stream, to hash it and to
//! decide its encoding. GeoJSON is streamed too, one feature at a time (each at most
//! [`MAX_FEATURE_BYTES`]), in two passes: the property names first (they are the columns,
//! which the header needs before any row), then the rows.

use std::cell::Cell;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use encoding_rs::{Encoding, GB18030, UTF_8, WINDOWS_1252};

pub mod charset;
mod shp;
mod workbook;

use sha2::{Digest, Sha256};
pub use shp::{
    GEOMETRY_X, GEOMETRY_Y, ShapefileError, ShapefileReader, cpg_encoding, ldid_encoding,
    shapefile_encoding,
};

use super::mapping::SettingError;
use super::progress::{Counting, ImportControl};
use super::{Finding, FindingKind};

/// The longest physical line accepted in a CSV file (after decoding): a real row is well under
/// a kilobyte; a 50 MB line is not a row.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The most columns accepted: real files have a few dozen.
pub const MAX_COLUMNS: usize = 1000;
/// The most bytes one GeoJSON feature may take (decoded): a pole's point and properties are
/// well under a kilobyte, and a feature is held whole in memory while it is read.
pub const MAX_FEATURE_BYTES: usize = 4 << 20;

/// A file to import, which can be read more than once (detection, then parsing).
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A file on disk.
    Path(&'a Path),
    /// Bytes in memory (tests, fuzzing).
    Bytes(&'a [u8]),
}

impl<'a> Input<'a> {
    fn open(&self) -> io::Result<Box<dyn Read + 'a>> {
        Ok(match *self {
            Input::Path(p) => Box::new(io::BufReader::with_capacity(
                64 * 1024,
                std::fs::File::open(p)?,
            )),
            Input::Bytes(b) => Box::new(b),
        })
    }

    /// The name recorded in the audit trail: the file name, or `-` for bytes.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) => p
                .file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into()),
            Input::Bytes(_) => "-".to_owned(),
        }
    }

    /// The file name's extension, lower case (empty for bytes).
    fn extension(&self) -> String {
        match self {
            Input::Path(p) => p
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default(),
            Input::Bytes(_) => String::new(),
        }
    }

    fn looks_like_geojson_by_name(&self) -> bool {
        match self {
            Input::Path(p) => p.extension().is_some_and(|e| {
                let e = e.to_string_lossy().to_ascii_lowercase();
                e == "geojson" || e == "json"
            }),
            Input::Bytes(_) => false,
        }
    }
}

/// What the detection pass learned about the bytes.
#[derive(Debug, Clone)]
pub struct Detected {
    /// The encoding the file is decoded with.
    pub encoding: &'static Encoding,
    /// True when the user chose it (`--encoding`), false when detected.
    pub forced: bool,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    /// File size in bytes.
    pub bytes: u64,
    /// A warning about the choice (Latin-1 as the last resort).
    pub warning: Option<Finding>,
    /// A reason to refuse the whole file (binary, mixed encodings, an uncertain guess).
    pub refusal: Option<Finding>,
    /// For a detected legacy encoding: the detector's confidence in percent
    /// ([`charset::Guess::confidence`]); `None` when certain (a BOM, valid UTF-8, `--encoding`,
    /// or a format that says its own encoding).
    pub confidence: Option<u8>,
    /// The other encodings the detector considered (names), when it guessed.
    pub candidates: Vec<&'static str>,
    /// Where the encoding came from for a Shapefile's `.dbf`: `cpg`, `ldid` (its language
    /// driver byte) or `detected`; `None` for other formats.
    pub encoding_source: Option<&'static str>,
    /// The workbook sheet or GeoPackage layer to read (`--sheet`/`--layer`); `None` for the
    /// first with a recognised header (a workbook) or the first point layer (GeoPackage). Set
    /// by the caller after [`detect`].
    pub sheet: Option<String>,
}

/// What a reader learned about the source beyond its rows, told to the sink before the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceInfo {
    /// The sheets (workbook) or point layers (GeoPackage) the file holds.
    pub sheets: Vec<String>,
    /// The one read.
    pub sheet: Option<String>,
    /// The line (sheet row, 1-based) of the header, when it is not the first.
    pub header_line: Option<u64>,
    /// The coordinate reference system the file declares, uninterpreted: a Shapefile's `.prj`
    /// (WKT) or `EPSG:n` from a GeoPackage's `gpkg_spatial_ref_sys`.
    pub crs_hint: Option<String>,
}

/// Parses an `--encoding` value: `auto` (None) or a WHATWG label (`utf-8`, `gbk`, `gb18030`,
/// `utf-16le`, `utf-16be`, `latin1`, `windows-1252`, `big5`…).
pub fn parse_encoding(label: &str) -> Result<Option<&'static Encoding>, SettingError> {
    let l = label.trim();
    if l.is_empty() || l.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    Encoding::for_label(l.as_bytes())
        .map(Some)
        .ok_or_else(|| SettingError::UnknownEncoding(l.to_owned()))
}

/// The short name shown in reports (`UTF-8`, `GB18030`, `UTF-16LE`, `windows-1252`).
#[must_use]
pub fn encoding_name(e: &'static Encoding) -> &'static str {
    e.name()
}

/// Reads the whole file once: hashes it and decides its encoding. With `forced`, only hashes.
///
/// Auto-detection: a byte-order mark (UTF-8, UTF-16LE/BE) decides; otherwise UTF-8 when every
/// byte sequence is valid UTF-8; otherwise GB18030 (a superset of GBK, what Excel on a Chinese
/// Windows writes) when it decodes without a single error; otherwise windows-1252, with a
/// warning. A file whose lines are partly UTF-8 Chinese and partly something else is refused.
pub fn detect(input: Input<'_>, forced: Option<&'static Encoding>) -> io::Result<Detected> {
    detect_watched(input, forced, None)
}

/// [`detect`], counting the bytes read into `control` and stopping early when it is
/// cancelled (the result is then incomplete: the caller checks the control).
pub fn detect_watched(
    input: Input<'_>,
    forced: Option<&'static Encoding>,
    control: Option<&ImportControl>,
) -> io::Result<Detected> {
    let mut r = input.open()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    let mut head: Vec<u8> = Vec::with_capacity(8192);
    let mut scan = Utf8Scan::default();
    let mut gb = GB18030.new_decoder_without_bom_handling();
    let mut gb_out = Vec::new();
    let mut gb_ok = true;
    let mut chardet = charset::Charset::new();
    let container = container_format(input)?;
    let text = forced.is_none() && container.is_none();
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        hasher.update(chunk);
        total += n as u64;
        if let Some(c) = control {
            c.add_bytes(n as u64);
            if c.is_cancelled() {
                break;
            }
        }
        if head.len() < 8192 {
            let take = (8192 - head.len()).min(n);
            head.extend_from_slice(&chunk[..take]);
        }
        if text {
            scan.feed(chunk);
            chardet.feed(chunk);
            if gb_ok {
                gb_ok = gb18030_clean(&mut gb, chunk, false, &mut gb_out);
            }
        }
    }
    if text && gb_ok {
        gb_ok = gb18030_clean(&mut gb, &[], true, &mut gb_out);
    }
    scan.end_line();
    // A Shapefile is its .shp and the files beside it: they are hashed together, in order.
    if container == Some(Format::Shapefile)
        && let Input::Path(p) = input
    {
        for side in shp::sidecars(p) {
            let mut r = io::BufReader::new(std::fs::File::open(&side)?);
            loop {
                let n = match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                hasher.update(&buf[..n]);
                total += n as u64;
            }
        }
    }
    let sha256 = lamppost_core::encode::hex(&hasher.finalize());
    let mut d = Detected {
        encoding: UTF_8,
        forced: forced.is_some(),
        sha256,
        bytes: total,
        warning: None,
        refusal: None,
        confidence: None,
        candidates: Vec::new(),
        encoding_source: None,
        sheet: None,
    };
    if container == Some(Format::Shapefile)
        && let Input::Path(p) = input
    {
        // The attribute table's encoding: --encoding, else the .cpg, else the .dbf's language
        // driver byte, else detected from its text.
        let (enc, source, guess) = shp::dbf_encoding(p, forced)?;
        d.encoding = enc;
        d.encoding_source = Some(source);
        if let Some(g) = guess {
            d.confidence = Some(g.confidence);
            d.candidates = g.candidates.iter().map(|e| e.name()).collect();
            if g.confidence < charset::MIN_CONFIDENCE {
                d.refusal = Some(uncertain(&g));
            }
        }
        return Ok(d);
    }
    if let Some(e) = forced {
        d.encoding = e;
        return Ok(d);
    }
    if container.is_some() {
        // Workbooks and GeoPackages store Unicode text.
        return Ok(d);
    }
    if let Some((enc, _)) = Encoding::for_bom(&head) {
        d.encoding = enc;
        return Ok(d);
    }
    if looks_binary(&head) {
        d.refusal = Some(Finding::new(1, "-", FindingKind::BinaryFile));
        return Ok(d);
    }
    if scan.invalid_lines == 0 {
        d.encoding = UTF_8;
    } else if scan.utf8_lines > 0 {
        let bad = scan.first_invalid_line.unwrap_or(1);
        let good = scan.first_utf8_line.unwrap_or(1);
        d.refusal = Some(Finding::new(
            bad,
            "-",
            FindingKind::MixedEncodings {
                good_line: good,
                bad_line: bad,
            },
        ));
    } else {
        let g = chardet.finish();
        d.confidence = Some(g.confidence);
        d.candidates = g.candidates.iter().map(|e| e.name()).collect();
        if g.encoding == GB18030 && !gb_ok {
            // The detector's GBK does not decode the whole file: Latin-1 reads every byte.
            d.encoding = WINDOWS_1252;
            d.confidence = None;
            d.warning = Some(Finding::new(
                scan.first_invalid_line.unwrap_or(1),
                "-",
                FindingKind::Latin1Fallback,
            ));
        } else {
            d.encoding = g.encoding;
            if g.confidence < charset::MIN_CONFIDENCE {
                d.refusal = Some(uncertain(&g));
            }
        }
    }
    Ok(d)
}

/// The refusal of a guess the detector is not sure of.
fn uncertain(g: &charset::Guess) -> Finding {
    Finding::new(
        0,
        "-",
        FindingKind::UncertainEncoding {
            guess: g.encoding.name(),
            confidence: g.confidence,
            candidates: g
                .candidates
                .iter()
                .map(|e| e.name())
                .collect::<Vec<_>>()
                .join(", "),
        },
    )
}

/// A format that is not text, by the file's name or its first bytes: workbooks, Shapefiles
/// and GeoPackages. `None` for text (CSV, GeoJSON).
pub fn container_format(input: Input<'_>) -> io::Result<Option<Format>> {
    let by_name = match input.extension().as_str() {
        "xlsx" | "xlsm" => Some(Format::Workbook(Workbook::Xlsx)),
        "xls" => Some(Format::Workbook(Workbook::Xls)),
        "ods" => Some(Format::Workbook(Workbook::Ods)),
        "shp" => Some(Format::Shapefile),
        "gpkg" => Some(Format::GeoPackage),
        _ => None,
    };
    if by_name.is_some() {
        return Ok(by_name);
    }
    let mut head = [0u8; 96];
    let mut r = input.open()?;
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = &head[..n];
    Ok(if head.starts_with(b"SQLite format 3\0") {
        Some(Format::GeoPackage)
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Some(Format::Workbook(Workbook::Xls))
    } else if head.starts_with(b"PK\x03\x04") {
        let ods = head
            .windows(b"opendocument.spreadsheet".len())
            .any(|w| w == b"opendocument.spreadsheet");
        Some(Format::Workbook(if ods {
            Workbook::Ods
        } else {
            Workbook::Xlsx
        }))
    } else if head.starts_with(&[0x00, 0x00, 0x27, 0x0A]) && matches!(input, Input::Path(_)) {
        Some(Format::Shapefile)
    } else {
        None
    })
}

/// Decodes `chunk` as GB18030, returning false at the first malformed sequence.
fn gb18030_clean(
    dec: &mut encoding_rs::Decoder,
    mut chunk: &[u8],
    last: bool,
    out: &mut Vec<u8>,
) -> bool {
    loop {
        let need = dec
            .max_utf8_buffer_length_without_replacement(chunk.len())
            .unwrap_or(chunk.len() * 4 + 16);
        out.resize(need.max(16), 0);
        let (res, read, _) = dec.decode_to_utf8_without_replacement(chunk, out, last);
        match res {
            encoding_rs::DecoderResult::InputEmpty => return true,
            encoding_rs::DecoderResult::Malformed(_, _) => return false,
            encoding_rs::DecoderResult::OutputFull => chunk = &chunk[read..],
        }
    }
}

/// A file is binary when more than 1 in 20 of its first bytes are control bytes other than
/// tab, CR and LF (a stray NUL in a text file is a row problem, reported with its line).
fn looks_binary(head: &[u8]) -> bool {
    if head.is_empty() {
        return false;
    }
    let ctl = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') || b == 0x7F)
        .count();
    ctl * 20 > head.len()
}

/// Classifies lines as UTF-8 Chinese (at least two valid three-byte sequences), invalid UTF-8,
/// or neither, to tell a GBK file (no UTF-8 lines) from a file with mixed encodings.
#[derive(Debug, Default)]
struct Utf8Scan {
    need: u8,
    seq_len: u8,
    line: u64,
    line_three_byte: u32,
    line_invalid: bool,
    utf8_lines: u64,
    invalid_lines: u64,
    first_invalid_line: Option<u64>,
    first_utf8_line: Option<u64>,
}

impl Utf8Scan {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.need > 0 {
                if b & 0xC0 == 0x80 {
                    self.need -= 1;
                    if self.need == 0 && self.seq_len == 3 {
                        self.line_three_byte += 1;
                    }
                    continue;
                }
                self.need = 0;
                self.line_invalid = true;
            }
            match b {
                b'\n' => self.end_line(),
                0x00..=0x7F => {}
                0xC2..=0xDF => (self.need, self.seq_len) = (1, 2),
                0xE0..=0xEF => (self.need, self.seq_len) = (2, 3),
                0xF0..=0xF4 => (self.need, self.seq_len) = (3, 4),
                _ => self.line_invalid = true,
            }
        }
    }

    fn end_line(&mut self) {
        self.line += 1;
        if self.need > 0 {
            self.line_invalid = true;
            self.need = 0;
        }
        if self.line_invalid {
            self.invalid_lines += 1;
            self.first_invalid_line.get_or_insert(self.line);
        } else if self.line_three_byte >= 2 {
            self.utf8_lines += 1;
            self.first_utf8_line.get_or_insert(self.line);
        }
        self.line_invalid = false;
        self.line_three_byte = 0;
    }
}

/// Decodes a byte stream into UTF-8 as it is read, whatever the source encoding. Replacement
/// characters (U+FFFD) mark bytes that do not belong to the encoding; rows holding one are
/// refused later.
struct DecodeReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> DecodeReader<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            raw: vec![0; 32 * 1024],
            out: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            let last = n == 0;
            let need = self
                .decoder
                .max_utf8_buffer_length(n)
                .unwrap_or(n * 4 + 16)
                .max(16);
            self.out.resize(need, 0);
            let (_, _, written, _) =
                self.decoder
                    .decode_to_utf8(&self.raw[..n], &mut self.out, last);
            self.out.truncate(written);
            self.pos = 0;
            self.done = last;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A hasher shared between the reader that feeds it and the code that checks it.
type SharedHasher = Rc<std::cell::RefCell<Sha256>>;

/// Hashes the bytes as they are read, to check that the file parsed is the file hashed.
struct Hashing<R> {
    inner: R,
    hasher: SharedHasher,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

/// The raw bytes of `input`, counted into `control` and hashed as they are read.
type Raw<'a, 'c> = Hashing<Counting<'c, Box<dyn Read + 'a>>>;

fn hashing<'a, 'c>(
    input: Input<'a>,
    control: Option<&'c ImportControl>,
) -> io::Result<(Raw<'a, 'c>, SharedHasher)> {
    let hasher = Rc::new(std::cell::RefCell::new(Sha256::new()));
    Ok((
        Hashing {
            inner: Counting {
                inner: input.open()?,
                control,
            },
            hasher: Rc::clone(&hasher),
        },
        hasher,
    ))
}

/// After a complete read: refuses the file when its bytes are not the ones detection hashed
/// (it was replaced or written to meanwhile), so the audit record's SHA-256 is the content
/// applied.
fn check_unchanged(hasher: &SharedHasher, det: &Detected, sink: &mut dyn TableSink) -> bool {
    let got = lamppost_core::encode::hex(&hasher.borrow().clone().finalize());
    let same = got == det.sha256;
    if !same {
        sink.fatal(Finding::new(1, "-", FindingKind::ChangedWhileReading));
    }
    same
}

/// Stops a stream whose physical line grows past [`MAX_LINE_BYTES`], remembering which line.
struct LineLimit<R> {
    inner: R,
    line: u64,
    since_newline: usize,
    tripped: Rc<Cell<Option<u64>>>,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bytes = &buf[..n];
        // The usual case, a buffer shorter than the limit, by whole lines (vectorised searches
        // rather than a branch per byte): only the first piece can reach the limit, since every
        // later one starts after a line break inside this buffer.
        if n <= MAX_LINE_BYTES {
            match bytes.iter().position(|&b| b == b'\n') {
                None => {
                    self.since_newline += n;
                    if self.since_newline > MAX_LINE_BYTES {
                        self.tripped.set(Some(self.line));
                        return Err(io::Error::other("line too long"));
                    }
                }
                Some(first) => {
                    if self.since_newline + first > MAX_LINE_BYTES {
                        self.tripped.set(Some(self.line));
                        return Err(io::Error::other("line too long"));
                    }
                    let last = bytes.iter().rposition(|&b| b == b'\n').unwrap_or(first);
                    // The compiler vectorises this count; a crate for it is not worth a dependency.
                    #[allow(clippy::naive_bytecount)]
                    let breaks = bytes.iter().filter(|&&b| b == b'\n').count();
                    self.line += breaks as u64;
                    self.since_newline = n - last - 1;
                }
            }
            return Ok(n);
        }
        for &b in bytes {
            if b == b'\n' {
                self.line += 1;
                self.since_newline = 0;
            } else {
                self.since_newline += 1;
                if self.since_newline > MAX_LINE_BYTES {
                    self.tripped.set(Some(self.line));
                    return Err(io::Error::other("line too long"));
                }
            }
        }
        Ok(n)
    }
}

/// The cells of one row, however the format stores them.
pub trait Cells {
    /// The cell in column `i`, if the row has it.
    fn cell(&self, i: usize) -> Option<&str>;
    /// How many cells the row has.
    fn count(&self) -> usize;
    /// True when the cell was written as a number that is not an exact integer (a GeoJSON
    /// property `9.5` or `1e300`): fine for a coordinate, never a code, which is text.
    fn inexact_number(&self, _i: usize) -> bool {
        false
    }
}

impl Cells for csv::StringRecord {
    fn cell(&self, i: usize) -> Option<&str> {
        // The CR of a CRLF line end (records end at LF, see `read_csv`).
        self.get(i).map(|c| c.strip_suffix('\r').unwrap_or(c))
    }
    fn count(&self) -> usize {
        self.len()
    }
}

impl Cells for Vec<String> {
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
    fn count(&self) -> usize {
        self.len()
    }
}

/// Where the reader pushes what it reads. Returning `false` from `header` or `row` stops the
/// read (the sink has seen enough, e.g. the header maps to nothing).
pub trait TableSink {
    /// The column names, once, before any row.
    fn header(&mut self, columns: &[String]) -> bool;
    /// One row: its line (CSV: the physical line where the record starts; GeoJSON: the
    /// feature's 1-based index) and its cells.
    fn row(&mut self, line: u64, cells: &dyn Cells) -> bool;
    /// A problem with the file at a place; the read stops after it.
    fn fatal(&mut self, finding: Finding);
    /// What the reader learned about the source (sheets, CRS hint), before the header; only
    /// workbooks, Shapefiles and GeoPackages say anything.
    fn source(&mut self, _info: SourceInfo) {}
}

/// The file's layout, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text, with its delimiter.
    Csv(u8),
    /// A GeoJSON `FeatureCollection` of points.
    GeoJson,
    /// A spreadsheet workbook (one sheet of it is read).
    Workbook(Workbook),
    /// An ESRI Shapefile of points (`.shp` with its `.shx`, `.dbf` and `.prj` beside it).
    Shapefile,
    /// A GeoPackage (SQLite) point layer.
    GeoPackage,
}

/// The kind of spreadsheet workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workbook {
    /// Office Open XML (`.xlsx`, Excel 2007 and later).
    Xlsx,
    /// The older binary Excel format (`.xls`).
    Xls,
    /// OpenDocument (`.ods`, as LibreOffice and WPS Office save it).
    Ods,
}

impl Format {
    /// `csv`, `geojson`, `xlsx`, `xls`, `ods`, `shapefile` or `gpkg`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Format::Csv(_) => "csv",
            Format::GeoJson => "geojson",
            Format::Workbook(Workbook::Xlsx) => "xlsx",
            Format::Workbook(Workbook::Xls) => "xls",
            Format::Workbook(Workbook::Ods) => "ods",
            Format::Shapefile => "shapefile",
            Format::GeoPackage => "gpkg",
        }
    }

    /// True for the formats whose rows are not text lines (workbooks, Shapefiles, GeoPackages):
    /// they are read whole, not by their head.
    #[must_use]
    pub fn is_container(self) -> bool {
        matches!(
            self,
            Format::Workbook(_) | Format::Shapefile | Format::GeoPackage
        )
    }

    /// The delimiter, shown as text (`,` `;` `\t` `|`); `None` for GeoJSON.
    #[must_use]
    pub fn delimiter(self) -> Option<&'static str> {
        match self {
            Format::Csv(b'\t') => Some("\t"),
            Format::Csv(b';') => Some(";"),
            Format::Csv(b'|') => Some("|"),
            Format::Csv(_) => Some(","),
            _ => None,
        }
    }
}

/// Decides CSV (and its delimiter) or GeoJSON from the name and the first decoded bytes.
pub fn sniff_format(input: Input<'_>, det: &Detected) -> io::Result<Format> {
    if let Some(f) = container_format(input)? {
        return Ok(f);
    }
    let mut r = DecodeReader::new(input.open()?, det.encoding);
    let mut head = Vec::with_capacity(64 * 1024);
    r.by_ref().take(64 * 1024).read_to_end(&mut head)?;
    let text = String::from_utf8_lossy(&head);
    let text = text.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']);
    if input.looks_like_geojson_by_name() || text.starts_with('{') {
        return Ok(Format::GeoJson);
    }
    Ok(Format::Csv(sniff_delimiter(text)))
}

/// The delimiter used most in the header line (outside quotes), among `,` `;` tab `|`; `,`
/// when none appears (a one-column file).
#[must_use]
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 4];
    let cands = [b',', b';', b'\t', b'|'];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(i) = cands.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..4 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    cands[best]
}

/// Reads the file into `sink`. Only I/O errors are returned; problems with the content go to
/// the sink.
pub fn read_table(
    input: Input<'_>,
    det: &Detected,
    format: Format,
    sink: &mut dyn TableSink,
) -> io::Result<()> {
    read_table_watched(input, det, format, sink, None)
}

/// [`read_table`], counting the raw bytes read into `control` (per buffer). Cancelling is
/// the sink's business: it stops the read by returning `false` from a row.
pub fn read_table_watched(
    input: Input<'_>,
    det: &Detected,
    format: Format,
    sink: &mut dyn TableSink,
    control: Option<&ImportControl>,
) -> io::Result<()> {
    match format {
        Format::Csv(delim) => read_csv(input, det, delim, sink, control),
        Format::GeoJson => read_geojson(input, det, sink, control),
        Format::Workbook(_) => workbook::read_workbook(input, det, sink, control),
        Format::Shapefile => shp::read_shapefile(input, det, sink, control),
        Format::GeoPackage => gpkg_points(input, det, sink, control),
    }
}

/// Reads whole files, counted into `control`, and returns their bytes and the SHA-256 of all
/// of them in order (the hash [`detect`] computes).
pub(crate) fn read_whole(
    paths: &[PathBuf],
    control: Option<&ImportControl>,
) -> io::Result<(Vec<Vec<u8>>, String)> {
    let mut hasher = Sha256::new();
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let mut bytes = Vec::new();
        Counting {
            inner: std::fs::File::open(p)?,
            control,
        }
        .read_to_end(&mut bytes)?;
        hasher.update(&bytes);
        out.push(bytes);
    }
    Ok((out, lamppost_core::encode::hex(&hasher.finalize())))
}

/// The bytes of an input read whole (see [`read_whole`]); `None`, with the finding given to
/// the sink, when they are not the bytes detection hashed.
pub(crate) fn whole_unchanged(
    input: Input<'_>,
    det: &Detected,
    sink: &mut dyn TableSink,
    control: Option<&ImportControl>,
) -> io::Result<Option<Vec<u8>>> {
    let (bytes, sha) = match input {
        Input::Path(p) => {
            let (mut v, sha) = read_whole(&[p.to_path_buf()], control)?;
            (v.pop().unwrap_or_default(), sha)
        }
        Input::Bytes(b) => (b.to_vec(), lamppost_core::encode::hex(&Sha256::digest(b))),
    };
    if sha != det.sha256 {
        sink.fatal(Finding::new(1, "-", FindingKind::ChangedWhileReading));
        return Ok(None);
    }
    Ok(Some(bytes))
}

/// The SHA-256 of files read one after the other, streamed (nothing kept), as [`read_whole`]
/// computes it.
pub(crate) fn hash_files(paths: &[PathBuf], control: Option<&ImportControl>) -> io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    for p in paths {
        let mut f = Counting {
            inner: std::fs::File::open(p)?,
            control,
        };
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    Ok(lamppost_core::encode::hex(&hasher.finalize()))
}

/// A GeoPackage point layer, read by `lamppost-data` (the one crate that talks SQLite),
/// read-only, one feature at a time; the file's hash is checked after the read (a change
/// found then makes the whole read fatal, as for CSV).
fn gpkg_points(
    input: Input<'_>,
    det: &Detected,
    sink: &mut dyn TableSink,
    control: Option<&ImportControl>,
) -> io::Result<()> {
    use lamppost_data::gpkg::{self, GpkgError, GpkgGeometry, LayerKind};
    let unreadable = |n: u64, detail: String| {
        Finding::new(
            n,
            "-",
            FindingKind::UnreadableFile {
                format: "gpkg",
                detail,
            },
        )
    };
    let Input::Path(path) = input else {
        sink.fatal(unreadable(0, "a GeoPackage is read from a file".to_owned()));
        return Ok(());
    };
    let layer = match gpkg::layer(path, det.sheet.as_deref(), LayerKind::Points) {
        Ok(l) => l,
        Err(GpkgError::NoSuchLayer { layer, layers }) => {
            sink.fatal(Finding::new(
                0,
                "-",
                FindingKind::NoSuchSheet {
                    sheet: layer,
                    sheets: layers.join(", "),
                },
            ));
            return Ok(());
        }
        Err(e) => {
            sink.fatal(unreadable(0, e.to_string()));
            return Ok(());
        }
    };
    sink.source(SourceInfo {
        sheets: layer.layers.clone(),
        sheet: Some(layer.name.clone()),
        header_line: None,
        crs_hint: layer.srs.clone(),
    });
    let mut header = vec![GEOMETRY_X.to_owned(), GEOMETRY_Y.to_owned()];
    header.extend(layer.columns.iter().cloned());
    if !sink.header(&header) {
        return Ok(());
    }
    let mut cells: Vec<String> = Vec::with_capacity(header.len());
    let mut fatal: Option<Finding> = None;
    let read = gpkg::for_each_feature(path, &layer, |n, geometry, values| {
        let point = match geometry {
            None => None,
            Some(GpkgGeometry::Points(p)) if p.len() <= 1 => p.first().copied(),
            Some(g) => {
                let detail = match g {
                    GpkgGeometry::Points(p) => {
                        format!("a multipoint of {} points, not one", p.len())
                    }
                    GpkgGeometry::Lines(_) => "a line, not a point".to_owned(),
                    GpkgGeometry::Polygons(_) => "a polygon, not a point".to_owned(),
                };
                fatal = Some(unreadable(n, format!("feature {n}: {detail}")));
                return false;
            }
        };
        cells.clear();
        if let Some((x, y)) = point {
            cells.push(x.to_string());
            cells.push(y.to_string());
        } else {
            cells.push(String::new());
            cells.push(String::new());
        }
        cells.extend(values.iter().cloned());
        sink.row(n, &cells)
    });
    if let Err(e) = read {
        sink.fatal(unreadable(0, e.to_string()));
        return Ok(());
    }
    if let Some(f) = fatal {
        sink.fatal(f);
        return Ok(());
    }
    // The read is over: the file must still be the one hashed.
    if hash_files(&[path.to_path_buf()], control)? != det.sha256 {
        sink.fatal(Finding::new(1, "-", FindingKind::ChangedWhileReading));
    }
    Ok(())
}

fn read_csv(
    input: Input<'_>,
    det: &Detected,
    delimiter: u8,
    sink: &mut dyn TableSink,
    control: Option<&ImportControl>,
) -> io::Result<()> {
    let tripped = Rc::new(Cell::new(None));
    let (raw, hasher) = hashing(input, control)?;
    let limited = LineLimit {
        inner: DecodeReader::new(raw, det.encoding),
        line: 1,
        since_newline: 0,
        tripped: Rc::clone(&tripped),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        // Records end at LF only: with the default (CR, LF or CRLF), the csv crate counts a
        // CRLF file's lines one short. A CR left at the end of the last cell is trimmed later.
        .terminator(csv::Terminator::Any(b'\n'))
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_reader(limited);
    let mut rec = csv::StringRecord::new();
    let mut first = true;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                if let Some(line) = tripped.get() {
                    sink.fatal(Finding::new(
                        line,
                        "-",
                        FindingKind::LineTooLong {
                            mb: (MAX_LINE_BYTES >> 20) as u64,
                        },
                    ));
                    return Ok(());
                }
                let line = e.position().map_or(0, csv::Position::line);
                match e.into_kind() {
                    csv::ErrorKind::Io(io) => return Err(io),
                    other => {
                        sink.fatal(Finding::new(
                            line,
                            "-",
                            FindingKind::MalformedCsv {
                                detail: format!("{other:?}"),
                            },
                        ));
                        return Ok(());
                    }
                }
            }
        }
        let line = rec.position().map_or(0, csv::Position::line);
        if first {
            first = false;
            if rec.len() > MAX_COLUMNS {
                sink.fatal(too_many_columns(line, rec.len()));
                return Ok(());
            }
            let cols: Vec<String> = rec
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let h = if i == 0 {
                        h.trim_start_matches('\u{FEFF}')
                    } else {
                        h
                    };
                    h.trim().to_owned()
                })
                .collect();
            if !sink.header(&cols) {
                return Ok(());
            }
            continue;
        }
        if rec.len() == 1 && rec.get(0).is_some_and(|c| c.trim().is_empty()) {
            continue; // a blank line
        }
        if !sink.row(line, &rec) {
            return Ok(());
        }
    }
    if first {
        sink.fatal(Finding::new(1, "-", FindingKind::EmptyFile));
    }
    let _ = check_unchanged(&hasher, det, sink);
    Ok(())
}

fn too_many_columns(line: u64, n: usize) -> Finding {
    Finding::new(
        line,
        "-",
        FindingKind::TooManyColumns {
            columns: n,
            max: MAX_COLUMNS,
        },
    )
}

/// Column names the GeoJSON geometry is given under (and mapped to lon/lat automatically).
pub const GEOMETRY_LON: &str = "geometry.lon";
/// See [`GEOMETRY_LON`].
pub const GEOMETRY_LAT: &str = "geometry.lat";

fn read_geojson(
    input: Input<'_>,
    det: &Detected,
    sink: &mut dyn TableSink,
    control: Option<&ImportControl>,
) -> io::Result<()> {
    // Pass 1: the columns (every property name, in order of first appearance), and whether
    // the file is a well-formed FeatureCollection at all, before the sink sees any row.
    let mut columns: Vec<String> = Vec::new();
    let mut index: hashbrown::HashMap<String, usize> = hashbrown::HashMap::new();
    let mut too_many = false;
    let first = HalfCounting::new(input.open()?, control, false);
    let end = walk_geojson(DecodeReader::new(first, det.encoding), &mut |_, f| {
        if let Some(props) = f.get("properties").and_then(|p| p.as_object()) {
            for k in props.keys() {
                if !index.contains_key(k.as_str()) {
                    if columns.len() >= MAX_COLUMNS {
                        too_many = true;
                        return false;
                    }
                    index.insert(k.clone(), columns.len());
                    columns.push(k.clone());
                }
            }
        }
        true
    })?;
    match end {
        Walked::Done => {}
        Walked::Stopped => {
            sink.fatal(too_many_columns(0, columns.len() + 1));
            return Ok(());
        }
        Walked::Refused(finding) => {
            sink.fatal(finding);
            return Ok(());
        }
    }
    let lon_col = columns.len();
    columns.push(GEOMETRY_LON.to_owned());
    columns.push(GEOMETRY_LAT.to_owned());
    if !sink.header(&columns) {
        return Ok(());
    }
    // Pass 2: the rows, one feature at a time, from the bytes that are hashed.
    let hasher = Rc::new(std::cell::RefCell::new(Sha256::new()));
    let second = Hashing {
        inner: HalfCounting::new(input.open()?, control, true),
        hasher: Rc::clone(&hasher),
    };
    let mut row = GeoRow::default();
    let mut refused = false;
    let end = walk_geojson(
        DecodeReader::new(second, det.encoding),
        &mut |n, f| match geojson_row(n, &f, &index, lon_col, &mut row) {
            Ok(()) => sink.row(n, &row),
            Err(finding) => {
                sink.fatal(finding);
                refused = true;
                false
            }
        },
    )?;
    match end {
        Walked::Done => {
            let _ = check_unchanged(&hasher, det, sink);
        }
        // The same file read well a moment ago: it is being written to.
        Walked::Refused(_) if !refused => {
            sink.fatal(Finding::new(1, "-", FindingKind::ChangedWhileReading));
        }
        // Stopped by the sink, or by a finding already given.
        Walked::Stopped | Walked::Refused(_) => {}
    }
    Ok(())
}

/// The cells of one GeoJSON feature, and which of them were JSON numbers that are not exact
/// integers ([`Cells::inexact_number`]).
#[derive(Debug, Default)]
struct GeoRow {
    cells: Vec<String>,
    inexact: Vec<bool>,
}

impl Cells for GeoRow {
    fn cell(&self, i: usize) -> Option<&str> {
        self.cells.get(i).map(String::as_str)
    }
    fn count(&self) -> usize {
        self.cells.len()
    }
    fn inexact_number(&self, i: usize) -> bool {
        self.inexact.get(i).copied().unwrap_or(false)
    }
}

/// The largest integer every `f64` below it holds exactly (2^53).
const EXACT_F64_INT: f64 = 9_007_199_254_740_992.0;

/// A JSON number as cell text. Codes are text: an integer, or a number that is exactly an
/// integer however it is written (`2450034.0`, `9.900002e6`), becomes the integer's digits
/// (`2450034`); any other number keeps its shortest exact spelling and is flagged (`false`),
/// fine for a coordinate, refused as a code.
fn number_text(x: &serde_json::Number) -> (String, bool) {
    if x.is_i64() || x.is_u64() {
        return (x.to_string(), true);
    }
    match x.as_f64() {
        // Exact: the integer is below 2^53, so the cast neither rounds nor saturates.
        #[allow(clippy::cast_possible_truncation)]
        Some(f) if f.fract() == 0.0 && f.abs() < EXACT_F64_INT => (format!("{}", f as i64), true),
        _ => (x.to_string(), false),
    }
}

/// One feature as a row of `columns` cells (`lon_col` and the next one hold the point), or
/// the finding that refuses the file.
fn geojson_row(
    n: u64,
    f: &serde_json::Value,
    index: &hashbrown::HashMap<String, usize>,
    lon_col: usize,
    row: &mut GeoRow,
) -> Result<(), Finding> {
    row.cells.clear();
    row.cells.resize(lon_col + 2, String::new());
    row.inexact.clear();
    row.inexact.resize(lon_col + 2, false);
    if f.get("type").and_then(|t| t.as_str()) != Some("Feature") {
        return Err(Finding::new(
            n,
            "type",
            FindingKind::NotAFeature { feature: n },
        ));
    }
    match f.get("properties") {
        Some(serde_json::Value::Object(props)) => {
            for (k, v) in props {
                if let Some(&c) = index.get(k.as_str()) {
                    row.cells[c] = match v {
                        serde_json::Value::Null => String::new(),
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(x) => {
                            let (text, exact) = number_text(x);
                            row.inexact[c] = !exact;
                            text
                        }
                        other => other.to_string(),
                    };
                }
            }
        }
        None | Some(serde_json::Value::Null) => {}
        Some(_) => {
            return Err(Finding::new(
                n,
                "properties",
                FindingKind::PropertiesNotObject,
            ));
        }
    }
    match f.get("geometry") {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(g) => {
            let kind = g.get("type").and_then(|t| t.as_str());
            let coords = g.get("coordinates").and_then(|c| c.as_array());
            match (kind, coords) {
                (Some("Point"), Some(c)) if c.len() >= 2 => {
                    for (j, v) in c.iter().take(2).enumerate() {
                        // A number is written back exactly; anything else is passed on as
                        // text and refused by validation with this feature's number.
                        row.cells[lon_col + j] = match v {
                            serde_json::Value::Number(x) => x.to_string(),
                            serde_json::Value::String(s) => format!("{s:?}"),
                            other => other.to_string(),
                        };
                    }
                    Ok(())
                }
                (Some("Point"), _) => Err(Finding::new(
                    n,
                    "geometry",
                    FindingKind::BadPointCoordinates,
                )),
                _ => Err(Finding::new(
                    n,
                    "geometry",
                    FindingKind::NotAPoint {
                        geometry_type: kind.unwrap_or("?").to_owned(),
                    },
                )),
            }
        }
    }
}

/// How a pass over a GeoJSON document ended.
enum Walked {
    /// Every feature was handed over, and the document is a `FeatureCollection`.
    Done,
    /// The callback asked to stop.
    Stopped,
    /// The document is refused (not JSON, not a `FeatureCollection`, a feature too large).
    Refused(Finding),
}

/// Counts the raw bytes of one of the two GeoJSON passes into the progress as half of their
/// number (the first pass rounding down, the second up), so the two together count the file
/// once.
struct HalfCounting<'c, R> {
    inner: R,
    control: Option<&'c ImportControl>,
    read: u64,
    counted: u64,
    round_up: bool,
}

impl<'c, R> HalfCounting<'c, R> {
    fn new(inner: R, control: Option<&'c ImportControl>, round_up: bool) -> Self {
        Self {
            inner,
            control,
            read: 0,
            counted: 0,
            round_up,
        }
    }
}

impl<R: Read> Read for HalfCounting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = self.control {
            self.read += n as u64;
            let half = u64::midpoint(self.read, u64::from(self.round_up));
            c.add_bytes(half - self.counted);
            self.counted = half;
        }
        Ok(n)
    }
}

/// Stops a stream when one feature grows past [`MAX_FEATURE_BYTES`] (counted from `since`,
/// which the walk resets before each feature; counted by the buffer above it, so to within
/// 64 KiB), so no feature is held whole in memory beyond that.
struct FeatureLimit<R> {
    inner: R,
    since: Rc<Cell<usize>>,
    tripped: Rc<Cell<bool>>,
}

impl<R: Read> Read for FeatureLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let since = self.since.get() + n;
        self.since.set(since);
        if since > MAX_FEATURE_BYTES {
            self.tripped.set(true);
            return Err(io::Error::other("feature too large"));
        }
        Ok(n)
    }
}

/// The state one streaming pass shares with its serde visitors.
struct Walk<'f> {
    each: &'f mut dyn FnMut(u64, serde_json::Value) -> bool,
    since: Rc<Cell<usize>>,
    features: u64,
    had_features: bool,
    stopped: bool,
}

/// Reads a GeoJSON document as a stream (`serde_json` over a buffered reader): the top-level
/// `type`, and each element of `features` handed to `each` with its 1-based number, one at a
/// time, so memory holds one feature whatever the size of the file. Only I/O errors are
/// returned.
fn walk_geojson(
    text: impl Read,
    each: &mut dyn FnMut(u64, serde_json::Value) -> bool,
) -> io::Result<Walked> {
    use serde::de::DeserializeSeed as _;
    let since = Rc::new(Cell::new(0));
    let tripped = Rc::new(Cell::new(false));
    let limited = FeatureLimit {
        inner: text,
        since: Rc::clone(&since),
        tripped: Rc::clone(&tripped),
    };
    let mut de =
        serde_json::Deserializer::from_reader(io::BufReader::with_capacity(64 * 1024, limited));
    let mut walk = Walk {
        each,
        since,
        features: 0,
        had_features: false,
        stopped: false,
    };
    let kind = TopSeed { walk: &mut walk }
        .deserialize(&mut de)
        .and_then(|kind| de.end().map(|()| kind));
    if walk.stopped {
        return Ok(Walked::Stopped);
    }
    let refused = |f: Finding| Ok(Walked::Refused(f));
    match kind {
        Ok(Some(k)) if k == "FeatureCollection" && walk.had_features => Ok(Walked::Done),
        Ok(_) => refused(Finding::new(1, "type", FindingKind::NotFeatureCollection)),
        Err(_) if tripped.get() => {
            let feature = walk.features + 1;
            refused(Finding::new(
                feature,
                "-",
                FindingKind::FeatureTooLarge {
                    feature,
                    mb: (MAX_FEATURE_BYTES >> 20) as u64,
                },
            ))
        }
        Err(e) => match e.classify() {
            serde_json::error::Category::Io => Err(e.into()),
            // A top level or `features` of another JSON type.
            serde_json::error::Category::Data => {
                refused(Finding::new(1, "type", FindingKind::NotFeatureCollection))
            }
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                refused(Finding::new(
                    e.line() as u64,
                    "-",
                    FindingKind::InvalidJson {
                        column: e.column(),
                        detail: e.to_string(),
                    },
                ))
            }
        },
    }
}

/// The top-level object: its `type`, its `features` (streamed), everything else skipped.
struct TopSeed<'w, 'f> {
    walk: &'w mut Walk<'f>,
}

impl<'de> serde::de::DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Option<String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TopSeed<'_, '_> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a GeoJSON FeatureCollection")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut kind = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => {
                    kind = map
                        .next_value::<serde_json::Value>()?
                        .as_str()
                        .map(str::to_owned);
                }
                "features" => {
                    map.next_value_seed(FeaturesSeed {
                        walk: &mut *self.walk,
                    })?;
                    self.walk.had_features = true;
                }
                _ => {
                    // Skipped without being held: no limit.
                    self.walk.since.set(0);
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            self.walk.since.set(0);
        }
        Ok(kind)
    }
}

/// The `features` array, one element at a time.
struct FeaturesSeed<'w, 'f> {
    walk: &'w mut Walk<'f>,
}

impl<'de> serde::de::DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.walk.since.set(0);
            let Some(feature) = seq.next_element::<serde_json::Value>()? else {
                return Ok(());
            };
            self.walk.features += 1;
            if !(self.walk.each)(self.walk.features, feature) {
                self.walk.stopped = true;
                return Err(serde::de::Error::custom("stopped"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{UTF_16BE, UTF_16LE};

    #[derive(Default)]
    struct Collect {
        header: Vec<String>,
        rows: Vec<(u64, Vec<String>)>,
        fatal: Vec<Finding>,
    }

    impl TableSink for Collect {
        fn header(&mut self, columns: &[String]) -> bool {
            self.header = columns.to_vec();
            true
        }
        fn row(&mut self, line: u64, cells: &dyn Cells) -> bool {
            let v = (0..cells.count())
                .map(|i| cells.cell(i).unwrap_or("").to_owned())
                .collect();
            self.rows.push((line, v));
            true
        }
        fn fatal(&mut self, finding: Finding) {
            self.fatal.push(finding);
        }
    }

    fn read(bytes: &[u8]) -> (Detected, Format, Collect) {
        let input = Input::Bytes(bytes);
        let det = detect(input, None).unwrap();
        let fmt = sniff_format(input, &det).unwrap();
        let mut c = Collect::default();
        read_table(input, &det, fmt, &mut c).unwrap();
        (det, fmt, c)
    }

    #[test]
    fn semicolons_tabs_and_pipes_are_sniffed_from_the_header() {
        for d in [",", ";", "\t", "|"] {
            let text = format!("code{d}street{d}note\n1{d}x{d}\"a{d}b\"\n");
            let (_, fmt, c) = read(text.as_bytes());
            assert_eq!(fmt.delimiter(), Some(d));
            assert_eq!(c.rows[0].1, ["1", "x", &format!("a{d}b")]);
        }
    }

    #[test]
    fn quoted_newlines_keep_the_line_of_the_record_start_and_crlf_works() {
        let (_, _, c) = read(b"code,note\r\n1,\"two\r\nlines\"\r\n2,x\r\n");
        assert_eq!(c.rows[0].0, 2);
        assert_eq!(c.rows[1].0, 4);
        assert_eq!(c.rows[1].1, ["2", "x"]);
        assert_eq!(c.header, ["code", "note"]);
    }

    #[test]
    fn gbk_utf16_and_bom_files_are_decoded() {
        let text = "编码,街路\n1,中山南路\n";
        let (gbk, _, _) = GB18030.encode(text);
        let (det, _, c) = read(&gbk);
        assert_eq!(det.encoding, GB18030);
        assert_eq!(c.header, ["编码", "街路"]);
        assert_eq!(c.rows[0].1[1], "中山南路");

        let mut le = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let (det, _, c) = read(&le);
        assert_eq!(det.encoding, UTF_16LE);
        assert_eq!(c.rows[0].1[1], "中山南路");

        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            be.extend_from_slice(&u.to_be_bytes());
        }
        assert_eq!(read(&be).0.encoding, UTF_16BE);

        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let (det, _, c) = read(&bom);
        assert_eq!(det.encoding, UTF_8);
        assert_eq!(c.header[0], "编码");
    }

    #[test]
    fn latin1_and_big5_are_recognised_with_a_confidence() {
        let (det, _, c) = read(b"code,note\n1,caf\xe9 pr\xe8s de l'\xe9glise,\n");
        assert_eq!(det.encoding, WINDOWS_1252);
        assert!(det.warning.is_none() && det.refusal.is_none(), "{det:?}");
        assert!(det.confidence.is_some_and(|c| c >= charset::MIN_CONFIDENCE));
        assert_eq!(c.rows[0].1[1], "café près de l'église");
        let text = "編碼,街路,地址\n1-01-0001,中山北路二段,臺北市中山區中山北路二段45號\n1-01-0002,重慶南路一段,臺北市中正區重慶南路一段122號\n";
        let (det, _, c) = read(&encoding_rs::BIG5.encode(text).0);
        assert_eq!(det.encoding, encoding_rs::BIG5, "{det:?}");
        assert_eq!(c.header, ["編碼", "街路", "地址"]);
        assert_eq!(c.rows[1].1[2], "臺北市中正區重慶南路一段122號");
    }

    #[test]
    fn an_uncertain_guess_is_refused_with_the_candidates() {
        // One GBK character (啊) is too little to tell GBK from Big5 or Latin-2.
        let det = detect(Input::Bytes(b"code,note\n1,\xb0\xa1\n"), None).unwrap();
        let refusal = det.refusal.expect("refused");
        assert!(refusal.reason_en().contains("--encoding"), "{refusal:?}");
        assert!(refusal.reason_en().contains("Big5"), "{refusal:?}");
        assert!(det.confidence.is_some_and(|c| c < charset::MIN_CONFIDENCE));
        let forced = detect(Input::Bytes(b"code,note\n1,\xb0\xa1\n"), Some(GB18030)).unwrap();
        assert!(forced.refusal.is_none());
    }

    #[test]
    fn a_file_mixing_utf8_and_gbk_lines_is_refused_at_the_first_foreign_line() {
        let (gbk, _, _) = GB18030.encode("2,中山南路北段\n");
        let bytes = [
            b"code,street\n1,\xe4\xb8\xad\xe5\xb1\xb1\n".as_slice(),
            &gbk,
        ]
        .concat();
        let det = detect(Input::Bytes(&bytes), None).unwrap();
        assert_eq!(det.refusal.unwrap().line, 3);
    }

    #[test]
    fn a_geojson_point_collection_becomes_rows_with_the_geometry_as_columns() {
        let g = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"code":"1-01-0001","n":3},"geometry":{"type":"Point","coordinates":[121.5,25.05]}},
            {"type":"Feature","properties":{"code":"1-01-0002","x":null},"geometry":null}]}"#;
        let (_, fmt, c) = read(g);
        assert_eq!(fmt, Format::GeoJson);
        assert_eq!(c.header, ["code", "n", "x", GEOMETRY_LON, GEOMETRY_LAT]);
        assert_eq!(
            c.rows[0],
            (
                1,
                vec![
                    "1-01-0001".into(),
                    "3".into(),
                    String::new(),
                    "121.5".into(),
                    "25.05".into()
                ]
            )
        );
        assert_eq!(c.rows[1].1[3], "");
    }

    #[test]
    fn geojson_with_a_line_geometry_names_the_feature() {
        let g = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}},
            {"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}}]}"#;
        let (_, _, c) = read(g);
        assert_eq!(c.fatal[0].line, 2);
        assert_eq!(c.fatal[0].field, "geometry");
    }

    #[test]
    fn json_numbers_become_code_text_only_when_they_are_exact_integers() {
        let n = |t: &str| number_text(&serde_json::from_str(t).unwrap());
        assert_eq!(n("2450034"), ("2450034".to_owned(), true));
        assert_eq!(n("2450034.0"), ("2450034".to_owned(), true));
        assert_eq!(n("9.900002e6"), ("9900002".to_owned(), true));
        assert_eq!(n("-3"), ("-3".to_owned(), true));
        assert!(!n("2450034.5").1);
        assert!(!n("1e300").1);
        assert!(!n("123456789012345678901234").1, "beyond 2^53: not exact");
        let g = br#"{"features":[{"type":"Feature","properties":{"code":9.5,"n":7.0},"geometry":null}],"type":"FeatureCollection"}"#;
        let det = detect(Input::Bytes(g), None).unwrap();
        let mut c = Inexact::default();
        read_table(Input::Bytes(g), &det, Format::GeoJson, &mut c).unwrap();
        assert_eq!(
            c.rows,
            [vec![("9.5".to_owned(), true), ("7".to_owned(), false)]]
        );
    }

    /// Records each cell with its "inexact number" flag.
    #[derive(Default)]
    struct Inexact {
        rows: Vec<Vec<(String, bool)>>,
    }

    impl TableSink for Inexact {
        fn header(&mut self, _: &[String]) -> bool {
            true
        }
        fn row(&mut self, _: u64, cells: &dyn Cells) -> bool {
            self.rows.push(
                (0..cells.count() - 2)
                    .map(|i| (cells.cell(i).unwrap().to_owned(), cells.inexact_number(i)))
                    .collect(),
            );
            true
        }
        fn fatal(&mut self, finding: Finding) {
            panic!("{finding}");
        }
    }

    #[test]
    fn geojson_is_streamed_and_what_is_not_a_collection_of_small_features_is_named() {
        // `type` after `features`, and other members skipped.
        let g = br#"{"bbox":[1,2,3,4],"features":[{"type":"Feature","properties":{"code":"1"},"geometry":null}],"type":"FeatureCollection"}"#;
        let (_, _, c) = read(g);
        assert_eq!((c.rows.len(), c.fatal.len()), (1, 0), "{:?}", c.fatal);
        for (g, kind) in [
            (
                &br#"{"type":"FeatureCollection","features":{}}"#[..],
                "not_feature_collection",
            ),
            (br"[1,2]", "not_feature_collection"),
            (
                br#"{"type":"Feature","features":[]}"#,
                "not_feature_collection",
            ),
            (br#"{"type":"FeatureCollection"}"#, "not_feature_collection"),
            (
                br#"{"type":"FeatureCollection","features":[]} junk"#,
                "invalid_json",
            ),
        ] {
            let det = detect(Input::Bytes(g), None).unwrap();
            let mut c = Collect::default();
            read_table(Input::Bytes(g), &det, Format::GeoJson, &mut c).unwrap();
            assert_eq!(
                c.fatal[0].kind.name(),
                kind,
                "{}",
                String::from_utf8_lossy(g)
            );
            assert!(c.rows.is_empty());
        }
        // One feature larger than the limit is named, and never held whole.
        let mut g = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},"geometry":null},{"type":"Feature","properties":{"note":""#.to_vec();
        // (The limit is counted by buffers of 64 KiB: give it more than one.)
        g.extend(std::iter::repeat_n(b'a', MAX_FEATURE_BYTES + 200_000));
        g.extend(br#""},"geometry":null}]}"#);
        let (_, _, c) = read(&g);
        assert_eq!(c.fatal[0].kind.name(), "feature_too_large");
        assert_eq!(c.fatal[0].line, 2);
        assert!(
            c.rows.is_empty(),
            "the columns pass refuses it before any row"
        );
    }

    #[test]
    fn a_file_that_changed_after_it_was_hashed_is_refused() {
        let bytes = b"code,note\n1,x\n";
        let mut det = detect(Input::Bytes(bytes), None).unwrap();
        det.sha256 = "0".repeat(64);
        let mut c = Collect::default();
        read_table(Input::Bytes(bytes), &det, Format::Csv(b','), &mut c).unwrap();
        assert!(
            c.fatal[0].reason_en().contains("changed while"),
            "{:?}",
            c.fatal
        );
    }

    #[test]
    fn an_overlong_line_is_stopped_with_its_number() {
        let mut bytes = b"code,note\n1,x\n2,".to_vec();
        bytes.extend(std::iter::repeat_n(b'a', MAX_LINE_BYTES + 10));
        let (_, _, c) = read(&bytes);
        assert_eq!(c.rows.len(), 1);
        assert_eq!(c.fatal[0].line, 3);
    }
}
