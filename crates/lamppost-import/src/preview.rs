//! A quick look at a file before it is checked: its encoding, layout, header and first rows,
//! and the columns recognised for each field. The supervisor's window shows this as soon as a
//! file is picked, so the column mapping can be fixed before the (slower) full check.
//!
//! Only the head of a delimited file is read ([`PREVIEW_BYTES`]), so a preview of a
//! million-row file is as quick as one of ten rows. A GeoJSON file is one JSON document and is
//! read whole (up to [`read::MAX_GEOJSON_BYTES`]).

use std::io::Read;

use super::mapping::{Field, MapSpec, Mapping};
use super::read::{self, Cells, Format, Input, TableSink};
use super::{Finding, ImportError};

/// How much of a delimited file the preview reads.
pub const PREVIEW_BYTES: usize = 1 << 20;

/// What the head of a file looks like.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The encoding the file would be read with (`UTF-8`, `GB18030`…).
    pub encoding: &'static str,
    /// True when detected, false when chosen.
    pub encoding_detected: bool,
    /// The detector's confidence in a guessed legacy encoding (percent); `None` when certain.
    pub confidence: Option<u8>,
    /// The encodings the detector considered, when it guessed.
    pub candidates: Vec<&'static str>,
    /// The sheets (workbook) or point layers (GeoPackage) to choose from.
    pub sheets: Vec<String>,
    /// The sheet or layer shown.
    pub sheet: Option<String>,
    /// The CRS the file declares (`.prj` WKT, `EPSG:n`), uninterpreted.
    pub crs_hint: Option<String>,
    /// CSV (with its delimiter) or GeoJSON.
    pub format: Format,
    /// The column names.
    pub header: Vec<String>,
    /// The first rows: (line, cells).
    pub rows: Vec<(u64, Vec<String>)>,
    /// The file's size in bytes.
    pub bytes: u64,
    /// A warning about the encoding (Latin-1 as the last resort).
    pub warning: Option<Finding>,
    /// Why the file cannot be imported at all (binary, mixed encodings, malformed), if so.
    pub problem: Option<Finding>,
}

impl Preview {
    /// What the rows shown say of the coordinates: the CRS (declared, guessed from metres, or
    /// degrees) and whether X is the northing ([`crate::coords::seen_coords`]).
    #[must_use]
    pub fn coordinates(&self) -> Option<crate::coords::SeenCoords> {
        crate::coords::seen_coords(&self.header, &self.rows, self.crs_hint.as_deref())
    }

    /// The columns each field would be read from with no mapping given: (field, column index).
    #[must_use]
    pub fn recognised(&self) -> Vec<(Field, usize)> {
        let Ok(m) = Mapping::resolve(&self.header, &[]) else {
            return Vec::new();
        };
        m.used
            .iter()
            .filter_map(|(f, col)| Some((*f, self.header.iter().position(|h| h == col)?)))
            .collect()
    }

    /// Each field's value in the first rows under `specs` (merged with the recognised
    /// columns), or the finding that says why the mapping does not fit the header.
    pub fn sample(&self, specs: &[MapSpec]) -> Result<Vec<(Field, Vec<String>)>, Finding> {
        let m = Mapping::resolve(&self.header, specs)?;
        Ok(Field::ALL
            .into_iter()
            .filter(|f| m.has(*f))
            .map(|f| {
                let values = self
                    .rows
                    .iter()
                    .map(|(_, cells)| {
                        m.value(f, cells as &dyn Cells)
                            .map(std::borrow::Cow::into_owned)
                            .unwrap_or_default()
                    })
                    .collect();
                (f, values)
            })
            .collect())
    }
}

/// Reads the head of `input` and returns its first `max_rows` rows, with `encoding` forced or
/// (`None`) detected as the import would.
pub fn preview(
    input: Input<'_>,
    encoding: Option<&'static encoding_rs::Encoding>,
    max_rows: usize,
) -> Result<Preview, ImportError> {
    preview_sheet(input, encoding, None, max_rows)
}

/// [`preview`] of one sheet or layer (`None`: the one the import would read).
pub fn preview_sheet(
    input: Input<'_>,
    encoding: Option<&'static encoding_rs::Encoding>,
    sheet: Option<&str>,
    max_rows: usize,
) -> Result<Preview, ImportError> {
    let io_err = |source| ImportError::Read {
        path: match input {
            Input::Path(p) => p.display().to_string(),
            Input::Bytes(_) => "-".to_owned(),
        },
        source,
    };
    let (head, bytes) = head_of(input).map_err(io_err)?;
    // GeoJSON is one document, workbooks, Shapefiles and GeoPackages are not text: detect and
    // read them whole. Delimited text: its head only.
    let container = read::container_format(input).map_err(io_err)?.is_some();
    let by_head = if container {
        read::detect(input, encoding).map_err(io_err)?
    } else {
        read::detect(Input::Bytes(&head), encoding).map_err(io_err)?
    };
    let format = read::sniff_format(input, &by_head).map_err(io_err)?;
    let whole = format == Format::GeoJson && (head.len() as u64) < bytes;
    // A Shapefile's sidecars and a GeoPackage's SQL need the file itself.
    let source = if whole || container {
        input
    } else {
        Input::Bytes(&head)
    };
    let mut det = if whole && !container {
        read::detect(input, encoding).map_err(io_err)?
    } else {
        by_head
    };
    det.sheet = sheet.map(str::to_owned);
    let mut sink = PreviewSink {
        header: Vec::new(),
        rows: Vec::new(),
        max_rows,
        problem: det.refusal.clone(),
        info: read::SourceInfo::default(),
    };
    if sink.problem.is_none() {
        read::read_table(source, &det, format, &mut sink).map_err(io_err)?;
    }
    Ok(Preview {
        encoding: read::encoding_name(det.encoding),
        encoding_detected: !det.forced,
        confidence: det.confidence,
        candidates: det.candidates.clone(),
        sheets: sink.info.sheets,
        sheet: sink.info.sheet,
        crs_hint: sink.info.crs_hint,
        format,
        header: sink.header,
        rows: sink.rows,
        bytes,
        warning: det.warning,
        problem: sink.problem,
    })
}

/// The first [`PREVIEW_BYTES`] of the input, cut after its last complete line (so no
/// character is split: LF never occurs inside a UTF-8 or GBK sequence; in UTF-16 the cut keeps
/// the whole code unit), and the input's full size.
fn head_of(input: Input<'_>) -> std::io::Result<(Vec<u8>, u64)> {
    let (mut head, bytes) = match input {
        Input::Bytes(b) => (b[..b.len().min(PREVIEW_BYTES)].to_vec(), b.len() as u64),
        Input::Path(p) => {
            let f = std::fs::File::open(p)?;
            let bytes = f.metadata()?.len();
            let mut head = Vec::with_capacity(PREVIEW_BYTES.min(bytes as usize));
            f.take(PREVIEW_BYTES as u64).read_to_end(&mut head)?;
            (head, bytes)
        }
    };
    if (head.len() as u64) < bytes {
        let cut = match head.get(..2) {
            Some([0xFF, 0xFE]) => (0..head.len().saturating_sub(1))
                .rev()
                .find(|&i| i % 2 == 0 && head[i] == b'\n' && head[i + 1] == 0)
                .map(|i| i + 2),
            Some([0xFE, 0xFF]) => (1..head.len())
                .rev()
                .find(|&i| i % 2 == 1 && head[i] == b'\n' && head[i - 1] == 0)
                .map(|i| i + 1),
            _ => head.iter().rposition(|&b| b == b'\n').map(|i| i + 1),
        };
        head.truncate(cut.unwrap_or(head.len()));
    }
    Ok((head, bytes))
}

struct PreviewSink {
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
    max_rows: usize,
    problem: Option<Finding>,
    info: read::SourceInfo,
}

impl TableSink for PreviewSink {
    fn header(&mut self, columns: &[String]) -> bool {
        self.header = columns.to_vec();
        self.max_rows > 0
    }

    fn row(&mut self, line: u64, cells: &dyn Cells) -> bool {
        let row = (0..cells.count())
            .map(|i| cells.cell(i).unwrap_or("").to_owned())
            .collect();
        self.rows.push((line, row));
        self.rows.len() < self.max_rows
    }

    fn fatal(&mut self, finding: Finding) {
        self.problem.get_or_insert(finding);
    }

    fn source(&mut self, info: read::SourceInfo) {
        self.info = info;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gbk_file_is_previewed_with_its_encoding_header_and_first_rows() {
        let text = "灯杆编号;路名;纬度;经度;其他\n1-01-0001;中山路;25.1;121.5;x\n1-01-0002;中山路;25.2;121.6;y\n1-01-0003;中山路;25.3;121.7;z\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let p = preview(Input::Bytes(&gbk), None, 2).unwrap();
        assert_eq!(p.encoding, "gb18030");
        assert!(p.encoding_detected);
        assert_eq!(p.format, Format::Csv(b';'));
        assert_eq!(p.header, ["灯杆编号", "路名", "纬度", "经度", "其他"]);
        assert_eq!(p.rows.len(), 2, "only the rows asked for");
        assert_eq!(p.rows[1].0, 3, "line numbers count the header");
        assert_eq!(p.rows[1].1[1], "中山路");
        assert!(p.problem.is_none());
        let rec = p.recognised();
        assert!(rec.contains(&(Field::Code, 0)));
        assert!(rec.contains(&(Field::Lon, 3)));
        assert!(!rec.iter().any(|(_, c)| *c == 4), "其他 feeds nothing");
    }

    #[test]
    fn a_sample_follows_the_mapping_and_a_missing_column_is_a_finding() {
        let csv = b"RD_CD,LAMPPOST_N,Road Name\n12,0034,Zhongshan Rd\n";
        let p = preview(Input::Bytes(csv), None, 5).unwrap();
        let specs = vec![
            (Field::Code, "{RD_CD}-{LAMPPOST_N}".to_owned()),
            (Field::Street, "Road Name".to_owned()),
        ];
        let sample = p.sample(&specs).unwrap();
        assert!(sample.contains(&(Field::Code, vec!["12-0034".to_owned()])));
        assert!(sample.contains(&(Field::Street, vec!["Zhongshan Rd".to_owned()])));
        let err = p.sample(&[(Field::Code, "NOPE".to_owned())]).unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.reason_en().contains("NOPE"), "{err:?}");
    }

    #[test]
    fn only_the_head_of_a_big_file_is_read_and_no_character_is_split() {
        let mut text = String::from("code,street\n");
        while text.len() < PREVIEW_BYTES * 2 {
            text.push_str("1-01-0001,中山南路中山南路\n");
        }
        let p = preview(Input::Bytes(text.as_bytes()), None, 3).unwrap();
        assert_eq!(
            p.encoding, "UTF-8",
            "a cut in the middle of a character would look like GBK"
        );
        assert_eq!(p.bytes, text.len() as u64);
        assert_eq!(p.rows.len(), 3);
        // encoding_rs encodes nothing to UTF-16 (WHATWG); build it by hand, with a BOM.
        let mut le = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        let p = preview(Input::Bytes(&le), None, 3).unwrap();
        assert_eq!(p.encoding, "UTF-16LE");
        assert_eq!(p.rows[2].1, ["1-01-0001", "中山南路中山南路"]);
        assert!(p.problem.is_none(), "{:?}", p.problem);
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/formats")
            .join(name)
    }

    #[test]
    fn workbooks_shapefiles_and_geopackages_show_their_sheets_encoding_and_crs() {
        let p = preview(Input::Path(&fixture("poles_title_row.xlsx")), None, 2).unwrap();
        assert_eq!(p.format.word(), "xlsx");
        assert_eq!(p.sheets, ["说明", "灯杆"]);
        assert_eq!(p.sheet.as_deref(), Some("灯杆"));
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[0].0, 4, "the sheet's row number");
        let p = preview_sheet(
            Input::Path(&fixture("poles_title_row.xlsx")),
            None,
            Some("说明"),
            2,
        )
        .unwrap();
        assert_eq!(p.header, ["本表由测绘队提供，请勿修改格式"]);

        let p = preview(Input::Path(&fixture("poles_gbk.shp")), None, 5).unwrap();
        assert!(p.problem.is_none(), "{:?}", p.problem);
        assert_eq!(p.encoding, "gb18030");
        assert!(p.confidence.is_some_and(|c| c >= 50), "{p:?}");
        assert!(
            p.crs_hint
                .as_deref()
                .is_some_and(|c| c.starts_with("GEOGCS"))
        );
        assert_eq!(p.header[..4], ["geometry.x", "geometry.y", "编码", "街路"]);
        assert_eq!(p.rows.len(), 3);
        assert!(p.recognised().contains(&(Field::Lon, 0)));

        let p = preview(Input::Path(&fixture("poles.gpkg")), None, 5).unwrap();
        assert_eq!(
            (p.sheets.clone(), p.crs_hint.as_deref()),
            (vec!["poles".to_owned()], Some("EPSG:4326"))
        );
        assert_eq!(p.rows[2].1[3], "9-93-0003");
    }

    #[test]
    fn a_binary_file_is_a_problem_not_an_error() {
        let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 32) as u8).collect();
        let p = preview(Input::Bytes(&junk), None, 5).unwrap();
        assert!(p.problem.is_some());
        assert!(p.rows.is_empty());
    }
}
