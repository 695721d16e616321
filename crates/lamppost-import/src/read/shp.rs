//! ESRI Shapefiles of points: the geometry from the `.shp` (with its `.shx` index, via the
//! `shapefile` crate), the attributes from the `.dbf` (via `dbase`), the CRS from the `.prj`.
//!
//! The `.dbf`'s encoding: `--encoding`, else the `.cpg` file, else the `.dbf`'s language
//! driver byte ([`ldid_encoding`]), else detected from its text (UTF-8 when it is valid UTF-8,
//! else `chardetng`). The records are read one at a time from buffered files
//! ([`ShapefileReader`]), so memory does not grow with the file; the files are hashed together
//! after the read, in the order of [`sidecars`], so the file-unchanged check covers all of them.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use encoding_rs::{
    BIG5, EUC_KR, Encoding, GB18030, IBM866, SHIFT_JIS, UTF_8, WINDOWS_874, WINDOWS_1250,
    WINDOWS_1251, WINDOWS_1252, WINDOWS_1253, WINDOWS_1254, WINDOWS_1255, WINDOWS_1256,
};

use super::charset::{self, Guess};
use super::{Detected, Input, MAX_COLUMNS, SourceInfo, TableSink, too_many_columns};
use crate::progress::ImportControl;
use crate::{Finding, FindingKind};

/// The column a Shapefile's or GeoPackage's point X (longitude or easting) is given under.
pub const GEOMETRY_X: &str = "geometry.x";
/// The column of the point's Y (latitude or northing).
pub const GEOMETRY_Y: &str = "geometry.y";

/// The files that belong with a `.shp`, in hashing order: `.shx`, `.dbf`, `.prj`, `.cpg`
/// (those that exist; the extension in lower or upper case).
#[must_use]
pub fn sidecars(shp: &Path) -> Vec<PathBuf> {
    ["shx", "dbf", "prj", "cpg"]
        .into_iter()
        .filter_map(|e| sidecar(shp, e))
        .collect()
}

/// The file beside `shp` with extension `ext` (lower or upper case), if it exists.
fn sidecar(shp: &Path, ext: &str) -> Option<PathBuf> {
    [ext.to_owned(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| shp.with_extension(e))
        .find(|p| p.is_file())
}

/// The encoding a `.dbf` language driver byte (offset 29) names, when it names one that
/// `encoding_rs` has. `0x57` ("ANSI") names the writer's code page, which is unknown, and
/// `0x00` nothing: both `None` (the text decides).
#[must_use]
pub fn ldid_encoding(ldid: u8) -> Option<&'static Encoding> {
    Some(match ldid {
        0x03 => WINDOWS_1252,
        0x4D | 0x7A => GB18030,
        0x4F | 0x78 => BIG5,
        0x13 | 0x7B => SHIFT_JIS,
        0x4E | 0x79 => EUC_KR,
        0x65 => IBM866,
        0x7C => WINDOWS_874,
        0x7D => WINDOWS_1255,
        0x7E => WINDOWS_1256,
        0xC8 => WINDOWS_1250,
        0xC9 => WINDOWS_1251,
        0xCA => WINDOWS_1254,
        0xCB => WINDOWS_1253,
        _ => return None,
    })
}

/// The encoding a `.cpg` file names: a label (`UTF-8`, `GBK`, `Big5`) or a Windows code page
/// number (`936`, `CP936`, `ANSI 936`, `65001`).
#[must_use]
pub fn cpg_encoding(text: &str) -> Option<&'static Encoding> {
    let t = text.trim().trim_start_matches('\u{FEFF}').trim();
    let num = t
        .trim_start_matches("ANSI")
        .trim_start_matches("ansi")
        .trim_start_matches("CP")
        .trim_start_matches("cp")
        .trim();
    if let Ok(n) = num.parse::<u16>() {
        return Some(match n {
            65001 => UTF_8,
            936 | 54936 => GB18030,
            950 => BIG5,
            932 => SHIFT_JIS,
            949 => EUC_KR,
            866 => IBM866,
            874 => WINDOWS_874,
            1250 => WINDOWS_1250,
            1251 => WINDOWS_1251,
            1252 | 28591 => WINDOWS_1252,
            1253 => WINDOWS_1253,
            1254 => WINDOWS_1254,
            1255 => WINDOWS_1255,
            1256 => WINDOWS_1256,
            _ => return None,
        });
    }
    Encoding::for_label(t.as_bytes()).map(|e| if e == encoding_rs::GBK { GB18030 } else { e })
}

/// The `.dbf`'s encoding, where it came from (`forced`, `cpg`, `ldid`, `detected`), and the
/// detector's guess when it was asked.
pub(super) fn dbf_encoding(
    shp: &Path,
    forced: Option<&'static Encoding>,
) -> io::Result<(&'static Encoding, &'static str, Option<Guess>)> {
    if let Some(e) = forced {
        return Ok((e, "forced", None));
    }
    if let Some(cpg) = sidecar(shp, "cpg") {
        let text = std::fs::read(&cpg)?;
        if let Some(e) = cpg_encoding(&String::from_utf8_lossy(&text)) {
            return Ok((e, "cpg", None));
        }
    }
    let Some(dbf) = sidecar(shp, "dbf") else {
        return Ok((UTF_8, "detected", None));
    };
    let mut head = Vec::new();
    std::fs::File::open(&dbf)?
        .take(charset::DETECT_BYTES as u64)
        .read_to_end(&mut head)?;
    if let Some(e) = head.get(29).copied().and_then(ldid_encoding) {
        return Ok((e, "ldid", None));
    }
    // The text: field names and records (the header's binary fields would only confuse).
    let text: Vec<u8> = head
        .iter()
        .skip(32)
        .copied()
        .filter(|&b| b >= 0x20 || b == b'\t')
        .collect();
    if std::str::from_utf8(&text).is_ok() || text.is_ascii() {
        return Ok((UTF_8, "detected", None));
    }
    let g = charset::guess(&text);
    Ok((g.encoding, "detected", Some(g)))
}

/// One `.dbf` record as text, in field order.
struct Row(Vec<String>);

impl dbase::ReadableRecord for Row {
    fn read_using<S, M>(fields: &mut dbase::FieldIterator<S, M>) -> Result<Self, dbase::FieldError>
    where
        S: Read + io::Seek,
        M: Read + io::Seek,
    {
        let mut out = Vec::new();
        for v in fields {
            out.push(shown(v?.value));
        }
        Ok(Row(out))
    }
}

/// A `.dbf` value as text: numbers without a needless `.0`, dates as `YYYY-MM-DD`.
fn shown(v: dbase::FieldValue) -> String {
    use dbase::FieldValue as V;
    let num = |f: f64| {
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
            format!("{}", f as i64)
        } else {
            f.to_string()
        }
    };
    match v {
        V::Character(s) => s.unwrap_or_default(),
        V::Memo(s) => s,
        V::Numeric(n) => n.map(num).unwrap_or_default(),
        V::Float(n) => n.map(|f| num(f64::from(f))).unwrap_or_default(),
        V::Double(f) | V::Currency(f) => num(f),
        V::Integer(i) => i.to_string(),
        V::Logical(b) => b
            .map(|b| if b { "T" } else { "F" }.to_owned())
            .unwrap_or_default(),
        V::Date(d) => d
            .map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
            .unwrap_or_default(),
        V::DateTime(dt) => {
            let d = dt.date();
            let t = dt.time();
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                t.hours(),
                t.minutes(),
                t.seconds()
            )
        }
    }
}

/// The buffered files of an open Shapefile.
type Files = io::BufReader<std::fs::File>;

/// A Shapefile opened for reading one record at a time: its `.shp` and `.shx` through the
/// `shapefile` crate, its `.dbf` through `dbase` in the encoding chosen, buffered files (nothing
/// is read whole). Used by the import (points) and by the basemap builder (lines, polygons).
pub struct ShapefileReader {
    /// The `.dbf` field names, in order.
    pub fields: Vec<String>,
    /// The `.prj` text (a WKT), when there is one.
    pub prj: Option<String>,
    reader: shapefile::Reader<Files, Files>,
}

/// Why a Shapefile cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum ShapefileError {
    /// A file that must be beside the `.shp` is missing.
    #[error("{0} is missing")]
    Missing(String),
    /// A file could not be read.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The `.shp`/`.shx` or `.dbf` is damaged.
    #[error("{0}")]
    Damaged(String),
}

impl ShapefileReader {
    /// Opens `shp` with its `.shx` and `.dbf`, the `.dbf` decoded as `encoding`.
    pub fn open(shp: &Path, encoding: &'static Encoding) -> Result<Self, ShapefileError> {
        let need = |ext: &str| {
            sidecar(shp, ext).ok_or_else(|| {
                ShapefileError::Missing(
                    shp.with_extension(ext)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                )
            })
        };
        let (shx, dbf) = (need("shx")?, need("dbf")?);
        let prj = sidecar(shp, "prj")
            .map(std::fs::read)
            .transpose()?
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .filter(|s| !s.is_empty());
        let buffered = |p: &Path| -> io::Result<Files> {
            Ok(io::BufReader::with_capacity(
                64 * 1024,
                std::fs::File::open(p)?,
            ))
        };
        let damaged = |e: &dyn std::fmt::Display| ShapefileError::Damaged(e.to_string());
        let shapes = shapefile::ShapeReader::with_shx(buffered(shp)?, buffered(&shx)?)
            .map_err(|e| damaged(&e))?;
        let table = dbase::ReaderBuilder::new()
            .with_encoding(dbase::encoding::EncodingRs::from(encoding))
            .build(buffered(&dbf)?)
            .map_err(|e| damaged(&e))?;
        let fields = table
            .fields()
            .iter()
            .map(|f| f.name().trim().to_owned())
            .collect();
        Ok(Self {
            fields,
            prj,
            reader: shapefile::Reader::new(shapes, table),
        })
    }

    /// The records in file order, one at a time: the shape and the `.dbf` values as text
    /// (numbers without a needless `.0`, dates as `YYYY-MM-DD`), in [`Self::fields`] order.
    pub fn records(
        &mut self,
    ) -> impl Iterator<Item = Result<(shapefile::Shape, Vec<String>), String>> + '_ {
        self.reader
            .iter_shapes_and_records_as::<shapefile::Shape, Row>()
            .map(|r| r.map(|(s, Row(v))| (s, v)).map_err(|e| e.to_string()))
    }
}

/// The encoding to read a Shapefile's `.dbf` in: `forced`, else its `.cpg`, else its language
/// driver byte, else detected from its text (see [`dbf_encoding`]).
pub fn shapefile_encoding(
    shp: &Path,
    forced: Option<&'static Encoding>,
) -> io::Result<&'static Encoding> {
    Ok(dbf_encoding(shp, forced)?.0)
}

pub(super) fn read_shapefile(
    input: Input<'_>,
    det: &Detected,
    sink: &mut dyn TableSink,
    control: Option<&ImportControl>,
) -> io::Result<()> {
    let unreadable = |n: u64, detail: String| {
        Finding::new(
            n,
            "-",
            FindingKind::UnreadableFile {
                format: "shapefile",
                detail,
            },
        )
    };
    let Input::Path(shp) = input else {
        sink.fatal(unreadable(
            0,
            "a Shapefile is read from its .shp beside its .shx and .dbf".to_owned(),
        ));
        return Ok(());
    };
    let mut reader = match ShapefileReader::open(shp, det.encoding) {
        Ok(r) => r,
        Err(ShapefileError::Missing(file)) => {
            sink.fatal(Finding::new(0, "-", FindingKind::MissingSidecar { file }));
            return Ok(());
        }
        Err(ShapefileError::Io(e)) => return Err(e),
        Err(e @ ShapefileError::Damaged(_)) => {
            sink.fatal(unreadable(0, e.to_string()));
            return Ok(());
        }
    };
    let mut header = vec![GEOMETRY_X.to_owned(), GEOMETRY_Y.to_owned()];
    header.extend(reader.fields.iter().cloned());
    if header.len() > MAX_COLUMNS {
        sink.fatal(too_many_columns(1, header.len()));
        return Ok(());
    }
    sink.source(SourceInfo {
        sheets: Vec::new(),
        sheet: None,
        header_line: None,
        crs_hint: reader.prj.clone(),
    });
    if !sink.header(&header) {
        return Ok(());
    }
    let mut cells: Vec<String> = Vec::with_capacity(header.len());
    for (i, item) in reader.records().enumerate() {
        let n = i as u64 + 1;
        let (shape, values) = match item {
            Ok(x) => x,
            Err(e) => {
                sink.fatal(unreadable(n, e));
                return Ok(());
            }
        };
        let xy = match shape {
            shapefile::Shape::NullShape => None,
            shapefile::Shape::Point(p) => Some((p.x, p.y)),
            shapefile::Shape::PointM(p) => Some((p.x, p.y)),
            shapefile::Shape::PointZ(p) => Some((p.x, p.y)),
            other => {
                sink.fatal(Finding::new(
                    n,
                    "geometry",
                    FindingKind::NotAPoint {
                        geometry_type: other.shapetype().to_string(),
                    },
                ));
                return Ok(());
            }
        };
        cells.clear();
        if let Some((x, y)) = xy {
            cells.push(x.to_string());
            cells.push(y.to_string());
        } else {
            cells.push(String::new());
            cells.push(String::new());
        }
        cells.extend(values);
        if !sink.row(n, &cells) {
            return Ok(());
        }
    }
    // The read is over: the files must still be the ones detection hashed.
    let mut paths = vec![shp.to_path_buf()];
    paths.extend(sidecars(shp));
    if super::hash_files(&paths, control)? != det.sha256 {
        sink.fatal(Finding::new(1, "-", FindingKind::ChangedWhileReading));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_pages_are_read_from_cpg_text_and_ldid_bytes() {
        assert_eq!(cpg_encoding("UTF-8\n"), Some(UTF_8));
        assert_eq!(cpg_encoding("936"), Some(GB18030));
        assert_eq!(cpg_encoding("ANSI 936"), Some(GB18030));
        assert_eq!(cpg_encoding("GBK"), Some(GB18030));
        assert_eq!(cpg_encoding("big5"), Some(BIG5));
        assert_eq!(cpg_encoding("nonsense"), None);
        assert_eq!(ldid_encoding(0x4D), Some(GB18030));
        assert_eq!(ldid_encoding(0x7A), Some(GB18030));
        assert_eq!(ldid_encoding(0x78), Some(BIG5));
        assert_eq!(ldid_encoding(0x03), Some(WINDOWS_1252));
        assert_eq!(ldid_encoding(0x57), None, "ANSI: the writer's code page");
        assert_eq!(ldid_encoding(0x00), None);
    }

    #[test]
    fn the_cpg_wins_over_the_language_driver_byte_which_wins_over_detection() {
        let dir = tempfile::tempdir().unwrap();
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/formats");
        for ext in ["shp", "shx", "dbf"] {
            std::fs::copy(
                fixtures.join(format!("poles_gbk.{ext}")),
                dir.path().join(format!("p.{ext}")),
            )
            .unwrap();
        }
        let shp = dir.path().join("p.shp");
        let (e, source, guess) = dbf_encoding(&shp, None).unwrap();
        assert_eq!((e, source), (GB18030, "detected"));
        assert!(guess.is_some_and(|g| g.confidence >= charset::MIN_CONFIDENCE));
        let mut dbf = std::fs::read(dir.path().join("p.dbf")).unwrap();
        dbf[29] = 0x78;
        std::fs::write(dir.path().join("p.dbf"), &dbf).unwrap();
        let (e, source, _) = dbf_encoding(&shp, None).unwrap();
        assert_eq!((e, source), (BIG5, "ldid"));
        std::fs::write(dir.path().join("p.CPG"), "936").unwrap();
        let (e, source, _) = dbf_encoding(&shp, None).unwrap();
        assert_eq!((e, source), (GB18030, "cpg"));
        assert_eq!(dbf_encoding(&shp, Some(UTF_8)).unwrap().1, "forced");
        assert_eq!(sidecars(&shp).len(), 3, "shx, dbf and the upper-case CPG");
    }
}
