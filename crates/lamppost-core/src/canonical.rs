//! The canonical CSV: what `export csv` writes and a fresh database is loaded from.
//!
//! Strict: the header must be exactly [`CANONICAL_HEADER`], and the first bad row stops the
//! load with its line number. (The supervisor's tolerant import, with encodings, mappings and
//! reports, is a separate module.)

use std::io::Read;

use crate::code::PoleCode;
use crate::geo::{LatLon, parse_wkt_linestring};
use crate::model::{CANONICAL_HEADER, PoleRecord, STREETS_HEADER, Side, StreetRecord};
use crate::words::{Message, Words};

/// Longest text field we accept (characters). Real addresses are under 100, but registers carry
/// access directions of several thousand characters; only absurd lengths are refused.
pub const MAX_FIELD_CHARS: usize = 10_000;

/// A row that cannot be loaded, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// The column name.
    pub field: String,
    /// The reason, in Chinese.
    pub reason_zh: String,
    /// The reason, in English.
    pub reason_en: String,
}

impl Words for RowError {
    fn message(&self) -> Message {
        let (line, field) = (self.line, &self.field);
        Message::new(
            format!("第 {line} 行，字段 {field}：{}", self.reason_zh),
            format!("line {line}, field {field}: {}", self.reason_en),
        )
    }
}

impl RowError {
    fn new(line: u64, field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            line,
            field: field.to_owned(),
            reason_zh: zh.into(),
            reason_en: en.into(),
        }
    }
}

fn line_of(rec: &csv::StringRecord) -> u64 {
    rec.position().map_or(0, csv::Position::line)
}

fn csv_error(e: &csv::Error) -> RowError {
    let line = e.position().map_or(0, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => RowError::new(
            line,
            "-",
            "不是 UTF-8 编码（请用导入功能读取 GBK 文件）",
            "not UTF-8 (use the import command for GBK files)",
        ),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => RowError::new(
            line,
            "-",
            format!("列数为 {len}，应为 {expected_len}"),
            format!("{len} columns, expected {expected_len}"),
        ),
        _ => RowError::new(
            line,
            "-",
            format!("CSV 格式错误：{e}"),
            format!("malformed CSV: {e}"),
        ),
    }
}

fn reader<R: Read>(r: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(true).from_reader(r)
}

fn check_header<R: Read>(rdr: &mut csv::Reader<R>, expected: &[&str]) -> Result<(), RowError> {
    let header = rdr.headers().map_err(|e| csv_error(&e))?;
    let got: Vec<&str> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == 0 {
                h.trim_start_matches('\u{FEFF}')
            } else {
                h
            }
        })
        .collect();
    if got != expected {
        return Err(RowError::new(
            1,
            "header",
            format!("表头应为 {}", expected.join(",")),
            format!("the header must be {}", expected.join(",")),
        ));
    }
    Ok(())
}

/// Checks a text field: length and control characters.
fn text(line: u64, field: &str, value: &str) -> Result<String, RowError> {
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(RowError::new(
            line,
            field,
            format!("内容过长（超过 {MAX_FIELD_CHARS} 字）"),
            format!("longer than {MAX_FIELD_CHARS} characters"),
        ));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(RowError::new(
            line,
            field,
            format!("含有控制字符 U+{:04X}", c as u32),
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    Ok(value.trim().to_owned())
}

fn coordinate(line: u64, field: &str, value: &str, limit: f64) -> Result<Option<f64>, RowError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() <= limit => Ok(Some(x)),
        Ok(_) => Err(RowError::new(
            line,
            field,
            format!("坐标 {v} 超出范围（±{limit}）"),
            format!("coordinate {v} is out of range (±{limit})"),
        )),
        Err(_) => Err(RowError::new(
            line,
            field,
            format!("无法识别的坐标 {v:?}"),
            format!("not a number: {v:?}"),
        )),
    }
}

/// Parses one canonical pole row (fields in [`CANONICAL_HEADER`] order).
pub fn parse_pole(line: u64, f: &csv::StringRecord) -> Result<PoleRecord, RowError> {
    let get = |i: usize| f.get(i).unwrap_or("");
    let code = PoleCode::parse(get(0))
        .map_err(|e| RowError::new(line, "code", e.to_string(), e.to_string()))?;
    let street_code = text(line, "street_code", get(1))?;
    if street_code.is_empty() {
        return Err(RowError::new(
            line,
            "street_code",
            "缺少街路编码",
            "missing street code",
        ));
    }
    let street = text(line, "street", get(2))?;
    let (pole_no, pole_label) = match get(3).trim() {
        "" => (None, String::new()),
        s => {
            let (n, label) = crate::model::parse_pole_no(s).ok_or_else(|| {
                RowError::new(
                    line,
                    "pole_no",
                    format!("杆号 {s:?} 不是数字（可带后缀，如 103F、570/1）"),
                    format!(
                        "pole number {s:?} is not a number (with a suffix, like 103F or 570/1)"
                    ),
                )
            })?;
            (Some(n), label)
        }
    };
    let side = match get(4).trim() {
        "" => None,
        s => Some(Side::parse(s).ok_or_else(|| {
            RowError::new(
                line,
                "side",
                format!("无法识别的方位 {s:?}（应为 东/西/南/北/左/右）"),
                format!("unknown side {s:?} (expected E/W/N/S/L/R or 东西南北左右)"),
            )
        })?),
    };
    let lat = coordinate(line, "lat_deg", get(5), 90.0)?;
    let lon = coordinate(line, "lon_deg", get(6), 180.0)?;
    let surveyed = match (lat, lon) {
        (Some(lat_deg), Some(lon_deg)) => Some(LatLon::new(lat_deg, lon_deg)),
        (None, None) => None,
        _ => {
            return Err(RowError::new(
                line,
                if lat.is_none() { "lat_deg" } else { "lon_deg" },
                "只有纬度或经度之一",
                "only one of latitude and longitude",
            ));
        }
    };
    Ok(PoleRecord {
        code,
        street_code,
        street,
        pole_no,
        pole_label,
        side,
        surveyed,
        address: text(line, "address", get(7))?,
        landmark: text(line, "landmark", get(8))?,
        cross_street: text(line, "cross_street", get(9))?,
        jurisdiction: text(line, "jurisdiction", get(10))?,
        status: text(line, "status", get(11))?,
        note: text(line, "note", get(12))?,
    })
}

/// Reads a canonical poles CSV, handing each valid row to `sink`; the first bad row (or a
/// duplicate code) stops the read.
pub fn read_poles<R: Read>(
    r: R,
    mut sink: impl FnMut(u64, PoleRecord) -> Result<(), RowError>,
) -> Result<u64, RowError> {
    let mut rdr = reader(r);
    check_header(&mut rdr, &CANONICAL_HEADER)?;
    let mut rec = csv::StringRecord::new();
    let mut seen = hashbrown::HashMap::<String, u64>::new();
    let mut rows = 0;
    while rdr.read_record(&mut rec).map_err(|e| csv_error(&e))? {
        let line = line_of(&rec);
        let pole = parse_pole(line, &rec)?;
        if let Some(first) = seen.insert(pole.code.key().to_owned(), line) {
            return Err(RowError::new(
                line,
                "code",
                format!("编码 {} 与第 {first} 行重复", pole.code),
                format!("code {} duplicates line {first}", pole.code),
            ));
        }
        sink(line, pole)?;
        rows += 1;
    }
    Ok(rows)
}

/// Reads the streets CSV ([`STREETS_HEADER`]).
pub fn read_streets<R: Read>(r: R) -> Result<Vec<StreetRecord>, RowError> {
    let mut rdr = reader(r);
    check_header(&mut rdr, &STREETS_HEADER)?;
    let mut out: Vec<StreetRecord> = Vec::new();
    let mut rec = csv::StringRecord::new();
    while rdr.read_record(&mut rec).map_err(|e| csv_error(&e))? {
        let line = line_of(&rec);
        let get = |i: usize| rec.get(i).unwrap_or("");
        let street_code = text(line, "street_code", get(0))?;
        let name = text(line, "name", get(1))?;
        if street_code.is_empty() || name.is_empty() {
            return Err(RowError::new(
                line,
                if street_code.is_empty() {
                    "street_code"
                } else {
                    "name"
                },
                "不能为空",
                "must not be empty",
            ));
        }
        if out.iter().any(|s| s.street_code == street_code) {
            return Err(RowError::new(
                line,
                "street_code",
                format!("街路编码 {street_code} 重复"),
                format!("street code {street_code} appears twice"),
            ));
        }
        let geometry = parse_wkt_linestring(get(5))
            .map_err(|e| RowError::new(line, "geometry_wkt", e.to_string(), e.to_string()))?;
        out.push(StreetRecord {
            street_code,
            name,
            name_en: text(line, "name_en", get(2))?,
            district: text(line, "district", get(3))?,
            jurisdiction: text(line, "jurisdiction", get(4))?,
            geometry,
        });
    }
    Ok(out)
}

/// Reads a `key,value` metadata CSV.
pub fn read_meta<R: Read>(r: R) -> Result<Vec<(String, String)>, RowError> {
    let mut rdr = reader(r);
    check_header(&mut rdr, &["key", "value"])?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_error(&e))?;
        let line = line_of(&rec);
        let key = text(line, "key", rec.get(0).unwrap_or(""))?;
        let value = text(line, "value", rec.get(1).unwrap_or(""))?;
        out.push((key, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "code,street_code,street,pole_no,side,lat_deg,lon_deg,address,landmark,cross_street,jurisdiction,status,note\n";

    fn read(body: &str) -> Result<Vec<PoleRecord>, RowError> {
        let mut out = Vec::new();
        read_poles(format!("{HEADER}{body}").as_bytes(), |_, p| {
            out.push(p);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn a_good_row_is_read_with_every_field() {
        let rows = read("2-01-0034,01,重慶北路一段,34,西,25.0535874,121.5141964,臺北市大同區重慶北路一段,皇后旅社,南京西路,建成辖区,active,\n").unwrap();
        let p = &rows[0];
        assert_eq!(p.code.key(), "2010034");
        assert_eq!(p.code.display(), "2-01-0034");
        assert_eq!(p.pole_no, Some(34));
        assert_eq!(p.side, Some(Side::West));
        assert_eq!(p.surveyed, Some(LatLon::new(25.053_587_4, 121.514_196_4)));
        assert_eq!(p.cross_street, "南京西路");
    }

    #[test]
    fn an_unsurveyed_pole_has_no_position() {
        let rows = read("2-01-0035,01,重慶北路一段,35,东,,,,,,,,\n").unwrap();
        assert_eq!(rows[0].surveyed, None);
    }

    #[test]
    fn a_bom_before_the_header_is_accepted() {
        let mut out = 0;
        read_poles(
            format!("\u{FEFF}{HEADER}1,01,x,1,,,,,,,,,\n").as_bytes(),
            |_, _| {
                out += 1;
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(out, 1);
    }

    #[test]
    fn each_bad_row_names_its_line_and_field() {
        let cases = [
            (",01,x,1,,,,,,,,,", "code"),
            ("1,,x,1,,,,,,,,,", "street_code"),
            ("1,01,x,one,,,,,,,,,", "pole_no"),
            ("1,01,x,1,上,,,,,,,,", "side"),
            ("1,01,x,1,,91,121,,,,,,", "lat_deg"),
            ("1,01,x,1,,25,181,,,,,,", "lon_deg"),
            ("1,01,x,1,,NaN,121,,,,,,", "lat_deg"),
            ("1,01,x,1,,inf,121,,,,,,", "lat_deg"),
            ("1,01,x,1,,25,,,,,,,", "lon_deg"),
            ("1,01,x,1,,,,a\u{7}b,,,,,", "address"),
        ];
        for (row, field) in cases {
            let err = read(&format!("9,01,x,9,,,,,,,,,\n{row}\n")).unwrap_err();
            assert_eq!((err.line, err.field.as_str()), (3, field), "{row}: {err}");
        }
    }

    #[test]
    fn duplicate_codes_after_normalisation_are_refused() {
        let err = read("1-01-0001,01,x,1,,,,,,,,,\n１０１０００１,01,x,1,,,,,,,,,\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn a_wrong_header_or_column_count_is_refused() {
        let err = read_poles("code,street\n1,x\n".as_bytes(), |_, _| Ok(())).unwrap_err();
        assert_eq!(err.line, 1);
        let err = read("1,01,x\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason_en.contains("columns"), "{err}");
    }

    #[test]
    fn streets_are_read_with_their_centre_lines() {
        let csv = "street_code,name,name_en,district,jurisdiction,geometry_wkt\n\
                   01,重慶北路一段,Chongqing N. Rd. Sec. 1,大同區,建成辖区,\"LINESTRING(121.51 25.05, 121.51 25.06)\"\n\
                   02,無名路,,,,\n";
        let streets = read_streets(csv.as_bytes()).unwrap();
        assert_eq!(streets.len(), 2);
        assert_eq!(streets[0].geometry.len(), 2);
        assert!(streets[1].geometry.is_empty());
        let bad =
            "street_code,name,name_en,district,jurisdiction,geometry_wkt\n01,x,,,,POINT(1 2)\n";
        assert_eq!(
            read_streets(bad.as_bytes()).unwrap_err().field,
            "geometry_wkt"
        );
    }
}
