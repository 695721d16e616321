//! Which column of the file feeds which field of a pole.
//!
//! Headers are recognised in Chinese and English, ignoring case, spaces and `_`/`-`/`.`, so the
//! canonical CSV maps with no help. `--map field=COLUMN` names a column (its name may hold
//! spaces), and `--map 'code={RD_CD}-{LAMPPOST_N}'` builds a field from a template of columns.

use std::borrow::Cow;

use super::read::Cells;
use super::{Finding, FindingKind};
use lamppost_core::words::{Message, Words};

/// A field of a pole that a file can provide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The code on the sign.
    Code,
    /// The street's code.
    StreetCode,
    /// The street's name.
    Street,
    /// The number along the street.
    PoleNo,
    /// The side of the street.
    Side,
    /// Latitude.
    Lat,
    /// Longitude.
    Lon,
    /// Address.
    Address,
    /// Landmark.
    Landmark,
    /// Cross street.
    CrossStreet,
    /// Jurisdiction.
    Jurisdiction,
    /// Status.
    Status,
    /// Note.
    Note,
}

impl Field {
    /// Every field, in canonical CSV order.
    pub const ALL: [Field; 13] = [
        Field::Code,
        Field::StreetCode,
        Field::Street,
        Field::PoleNo,
        Field::Side,
        Field::Lat,
        Field::Lon,
        Field::Address,
        Field::Landmark,
        Field::CrossStreet,
        Field::Jurisdiction,
        Field::Status,
        Field::Note,
    ];

    /// The canonical column name (`lat_deg`).
    #[must_use]
    pub fn name(self) -> &'static str {
        lamppost_core::model::CANONICAL_HEADER[self as usize]
    }

    /// Reads a field name as written in `--map` (`code`, `lat`, `lat_deg`, `street_code`…).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let t = norm(text);
        Self::ALL.into_iter().find(|f| {
            norm(f.name()) == t
                || (*f == Field::Lat && t == "lat")
                || (*f == Field::Lon && t == "lon")
        })
    }

    /// Header spellings recognised for this field (normalised with [`norm`]).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::Code => &[
                "code",
                "id",
                "polecode",
                "alarmcode",
                "编码",
                "編碼",
                "灯杆编号",
                "燈桿編號",
                "燈桿編碼",
                "報警編碼",
                "編號",
                "灯杆编码",
                "报警编码",
                "报警码",
                "编号",
                "杆编号",
                "灯杆号",
            ],
            Field::StreetCode => &[
                "streetcode",
                "roadcode",
                "街路编码",
                "道路编码",
                "路段编码",
                "街道编码",
                "街路編碼",
                "道路編碼",
            ],
            Field::Street => &[
                "street",
                "streetname",
                "road",
                "roadname",
                "街路",
                "道路",
                "路名",
                "街道",
                "街路名",
                "街路名称",
                "道路名称",
                "道路名稱",
                "街路名稱",
                "路名稱",
            ],
            Field::PoleNo => &[
                "poleno",
                "polenumber",
                "number",
                "no",
                "杆号",
                "序号",
                "桿號",
                "序號",
            ],
            Field::Side => &["side", "侧", "方位", "侧别", "位置侧", "側", "側別"],
            Field::Lat => &[
                "lat",
                "latdeg",
                "latitude",
                "y",
                "纬度",
                "緯度",
                "geometrylat",
                "geometryy",
                "wgs84lat",
                // Survey names: the role only (the northing); the CRS decides what it means.
                "northing",
                "北坐标",
                "北坐標",
                "y坐标",
                "y坐標",
                "纵坐标",
                "縱坐標",
            ],
            Field::Lon => &[
                "lon",
                "londeg",
                "lng",
                "long",
                "longitude",
                "x",
                "经度",
                "經度",
                "geometrylon",
                "geometryx",
                "wgs84lon",
                // Survey names: the role only (the easting).
                "easting",
                "东坐标",
                "東坐標",
                "x坐标",
                "x坐標",
                "横坐标",
                "橫坐標",
            ],
            Field::Address => &["address", "addr", "地址", "详细地址", "詳細地址"],
            Field::Landmark => &[
                "landmark",
                "poi",
                "地标",
                "标志物",
                "参照物",
                "地標",
                "標誌物",
                "參照物",
            ],
            Field::CrossStreet => &[
                "crossstreet",
                "cross",
                "intersection",
                "路口",
                "交叉路口",
                "相交道路",
            ],
            Field::Jurisdiction => &[
                "jurisdiction",
                "station",
                "policestation",
                "派出所",
                "辖区",
                "管辖",
                "管辖单位",
                "轄區",
                "管轄",
                "管轄單位",
            ],
            Field::Status => &["status", "state", "状态", "狀態"],
            Field::Note => &[
                "note", "notes", "remark", "remarks", "comment", "备注", "说明", "備註", "說明",
            ],
        }
    }
}

/// A header as compared: lower case, without spaces, `_`, `-`, `.`, and without a trailing
/// unit in brackets (`纬度(°)`).
#[must_use]
pub fn norm(header: &str) -> String {
    let h = header.split(['(', '（', '[']).next().unwrap_or(header);
    h.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '\u{FEFF}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldSource {
    Column(usize),
    Template(Vec<Piece>),
    /// The same value on every row (`--set street=中山南路`, or `=中山南路` in a mapping).
    Constant(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Column(usize),
}

/// One `--map` item as the user wrote it: the field and a column name, a template, or a
/// constant written `=VALUE` (what `--set field=VALUE` makes).
pub type MapSpec = (Field, String);

/// A setting given by the supervisor (`--map`, `--encoding`, a saved mapping) that cannot be
/// used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub enum SettingError {
    /// A `--map` item that is not `field=COLUMN`.
    BadMapItem(String),
    /// A field name this program does not know (a saved mapping from a newer program).
    UnknownField(String),
    /// An encoding label that is not one of WHATWG's.
    UnknownEncoding(String),
    /// A `--set` item that is not `field=VALUE`.
    BadConstant(String),
}

impl Words for SettingError {
    fn message(&self) -> Message {
        match self {
            Self::BadMapItem(piece) => {
                let fields = field_list();
                Message::new(
                    format!("无法识别的映射 {piece:?}，应为 字段=列名（字段：{fields}）"),
                    format!(
                        "cannot read the mapping {piece:?}; expected field=COLUMN (fields: {fields})"
                    ),
                )
            }
            Self::UnknownField(f) => {
                let fields = field_list();
                Message::new(
                    format!("未知字段（字段：{fields}）"),
                    format!("unknown field (fields: {fields})"),
                )
                .about(format!("{f:?}"))
            }
            Self::BadConstant(v) => Message::new(
                format!("无法识别的常量 {v:?}，应为 字段=值"),
                format!("cannot read the constant {v:?}; expected field=VALUE"),
            ),
            Self::UnknownEncoding(l) => Message::new(
                format!(
                    "无法识别的编码 {l:?}（可用 auto、utf-8、gbk、gb18030、utf-16le、utf-16be、latin1）"
                ),
                format!(
                    "unknown encoding {l:?} (use auto, utf-8, gbk, gb18030, utf-16le, utf-16be, latin1)"
                ),
            ),
        }
    }
}

/// In a constant, stands for the name of the file being read without its extension
/// (`--set street={file}`: a register delivered as one file per road, `AYE.xlsx`, `PIE.xlsx`).
pub const FILE_STEM: &str = "{file}";

/// Parses `--set` values: `field=VALUE`, one per option (the value is taken whole, commas
/// included), into map specs holding the constant (`=VALUE`).
pub fn parse_set_specs(values: &[String]) -> Result<Vec<MapSpec>, SettingError> {
    values
        .iter()
        .map(|v| {
            let (k, value) = v
                .split_once('=')
                .ok_or_else(|| SettingError::BadConstant(v.clone()))?;
            let f = Field::parse(k).ok_or_else(|| SettingError::UnknownField(k.to_owned()))?;
            Ok((f, format!("={}", value.trim())))
        })
        .collect()
}

/// Parses `--map` values: `field=COLUMN` items separated by commas (a comma that is not
/// followed by `name=` belongs to the column name or template).
pub fn parse_map_specs(values: &[String]) -> Result<Vec<MapSpec>, SettingError> {
    let mut out: Vec<MapSpec> = Vec::new();
    for v in values {
        let mut current: Option<(Field, String)> = None;
        for piece in v.split(',') {
            let starts_item = piece.split_once('=').and_then(|(k, _)| {
                Field::parse(k).filter(|_| {
                    k.trim()
                        .chars()
                        .all(|c| c.is_ascii_alphabetic() || c == '_')
                })
            });
            if let (Some(f), Some((_, rhs))) = (starts_item, piece.split_once('=')) {
                if let Some(done) = current.take() {
                    out.push(done);
                }
                current = Some((f, rhs.trim().to_owned()));
            } else if let Some((_, rhs)) = current.as_mut() {
                rhs.push(',');
                rhs.push_str(piece);
            } else if !piece.trim().is_empty() {
                return Err(SettingError::BadMapItem(piece.to_owned()));
            }
        }
        out.extend(current);
    }
    Ok(out)
}

fn field_list() -> String {
    Field::ALL.map(Field::name).join(", ")
}

/// A resolved mapping: for each field, the column or template that feeds it.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    sources: [Option<FieldSource>; 13],
    /// The columns used, for the report: (field, description).
    pub used: Vec<(Field, String)>,
}

impl Mapping {
    /// Resolves the user's specs against the header, then recognises the remaining fields
    /// from the header's names. Fails (at line 1) when a named column does not exist.
    pub fn resolve(header: &[String], specs: &[MapSpec]) -> Result<Self, Finding> {
        let normed: Vec<String> = header.iter().map(|h| norm(h)).collect();
        let find = |name: &str| -> Option<usize> {
            header
                .iter()
                .position(|h| h == name)
                .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(name)))
                .or_else(|| normed.iter().position(|h| *h == norm(name)))
        };
        let missing = |name: &str, field: Field| {
            Finding::new(
                1,
                field.name(),
                FindingKind::NoSuchColumn {
                    column: name.to_owned(),
                    header: header.to_vec(),
                },
            )
        };
        let mut m = Mapping::default();
        let mut taken = vec![false; header.len()];
        for (field, rhs) in specs {
            let src = if let Some(value) = rhs.strip_prefix('=') {
                FieldSource::Constant(value.trim().to_owned())
            } else if rhs.contains('{') {
                let mut pieces = Vec::new();
                let mut rest = rhs.as_str();
                while let Some(open) = rest.find('{') {
                    if open > 0 {
                        pieces.push(Piece::Text(rest[..open].to_owned()));
                    }
                    let Some(close) = rest[open..].find('}') else {
                        return Err(Finding::new(
                            1,
                            field.name(),
                            FindingKind::UnclosedTemplate {
                                template: rhs.clone(),
                            },
                        ));
                    };
                    let name = &rest[open + 1..open + close];
                    let col = find(name).ok_or_else(|| missing(name, *field))?;
                    taken[col] = true;
                    pieces.push(Piece::Column(col));
                    rest = &rest[open + close + 1..];
                }
                if !rest.is_empty() {
                    pieces.push(Piece::Text(rest.to_owned()));
                }
                FieldSource::Template(pieces)
            } else {
                let col = find(rhs).ok_or_else(|| missing(rhs, *field))?;
                taken[col] = true;
                FieldSource::Column(col)
            };
            m.used.push((*field, rhs.clone()));
            m.sources[*field as usize] = Some(src);
        }
        for field in Field::ALL {
            if m.sources[field as usize].is_some() {
                continue;
            }
            let aliases = field.aliases();
            if let Some(col) =
                (0..header.len()).find(|&i| !taken[i] && aliases.contains(&normed[i].as_str()))
            {
                taken[col] = true;
                m.used.push((field, header[col].clone()));
                m.sources[field as usize] = Some(FieldSource::Column(col));
            }
        }
        Ok(m)
    }

    /// True when the file provides this field.
    #[must_use]
    pub fn has(&self, field: Field) -> bool {
        self.sources[field as usize].is_some()
    }

    /// The column that feeds `field`, when it is one column (not a template).
    #[must_use]
    pub fn column(&self, field: Field) -> Option<usize> {
        match self.sources[field as usize].as_ref()? {
            FieldSource::Column(c) => Some(*c),
            FieldSource::Template(_) | FieldSource::Constant(_) => None,
        }
    }

    /// The field's text in a row: `None` when the file does not provide the field, `""` when
    /// the cell is empty or missing.
    #[must_use]
    pub fn value<'c>(&self, field: Field, cells: &'c dyn Cells) -> Option<Cow<'c, str>> {
        match self.sources[field as usize].as_ref()? {
            FieldSource::Column(c) => Some(Cow::Borrowed(cells.cell(*c).unwrap_or(""))),
            FieldSource::Constant(v) => Some(Cow::Owned(v.clone())),
            FieldSource::Template(pieces) => {
                let mut any = false;
                let mut s = String::new();
                for p in pieces {
                    match p {
                        Piece::Text(t) => s.push_str(t),
                        Piece::Column(c) => {
                            let v = cells.cell(*c).unwrap_or("").trim();
                            any |= !v.is_empty();
                            s.push_str(v);
                        }
                    }
                }
                // A template over empty cells is an empty value, not its separators.
                Some(Cow::Owned(if any { s } else { String::new() }))
            }
        }
    }
}

/// A named mapping as saved in the `meta` table (`mapping:NAME`, JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedMapping {
    /// `field` → column name or template.
    pub map: Vec<(String, String)>,
    /// The datum (`gcj02`…), when the mapping was saved with one other than WGS-84.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// The encoding label, when the mapping was saved with `--encoding`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

impl SavedMapping {
    /// From the specs.
    #[must_use]
    pub fn from_specs(specs: &[MapSpec]) -> Self {
        Self {
            map: specs
                .iter()
                .map(|(f, r)| (f.name().to_owned(), r.clone()))
                .collect(),
            crs: None,
            encoding: None,
        }
    }

    /// Back to specs; unknown field names (from a newer program) are an error.
    pub fn to_specs(&self) -> Result<Vec<MapSpec>, SettingError> {
        self.map
            .iter()
            .map(|(f, r)| {
                Field::parse(f)
                    .map(|f| (f, r.clone()))
                    .ok_or_else(|| SettingError::UnknownField(f.clone()))
            })
            .collect()
    }
}

/// Saves a mapping under `name` in the database's `meta` table (`mapping:NAME`), replacing one
/// of the same name, so the next file of the same kind can be read with `--mapping NAME`.
pub fn save_mapping(
    store: &lamppost_data::store::Store,
    name: &str,
    saved: &SavedMapping,
) -> Result<(), super::ImportError> {
    let name = name.trim();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(super::ImportError::BadMappingName);
    }
    let json =
        serde_json::to_string(saved).map_err(|e| super::ImportError::BadMapping(e.to_string()))?;
    store.set_meta(&format!("mapping:{name}"), &json)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_canonical_header_maps_every_field_with_no_help() {
        let h = header(&lamppost_core::model::CANONICAL_HEADER);
        let m = Mapping::resolve(&h, &[]).unwrap();
        for f in Field::ALL {
            assert!(m.has(f), "{f:?}");
        }
    }

    #[test]
    fn chinese_headers_and_odd_spellings_are_recognised() {
        let h = header(&[
            "灯杆编号",
            "路名",
            " Latitude ",
            "LNG",
            "派出所",
            "备注",
            "其他",
        ]);
        let m = Mapping::resolve(&h, &[]).unwrap();
        let row: Vec<String> = header(&["1-01-0001", "中山路", "25.1", "121.5", "某所", "n", "z"]);
        assert_eq!(m.value(Field::Code, &row).unwrap(), "1-01-0001");
        assert_eq!(m.value(Field::Street, &row).unwrap(), "中山路");
        assert_eq!(m.value(Field::Lat, &row).unwrap(), "25.1");
        assert_eq!(m.value(Field::Lon, &row).unwrap(), "121.5");
        assert_eq!(m.value(Field::Jurisdiction, &row).unwrap(), "某所");
        assert!(m.value(Field::Address, &row).is_none());
    }

    #[test]
    fn map_options_name_columns_with_spaces_and_build_codes_from_templates() {
        let specs = parse_map_specs(&[
            "code={RD_CD}-{LAMPPOST_N},street=Road Name, West".to_owned(),
            "lat=北纬".to_owned(),
        ])
        .unwrap();
        assert_eq!(specs[0], (Field::Code, "{RD_CD}-{LAMPPOST_N}".to_owned()));
        assert_eq!(specs[1], (Field::Street, "Road Name, West".to_owned()));
        assert_eq!(specs[2], (Field::Lat, "北纬".to_owned()));
        let h = header(&["RD_CD", "LAMPPOST_N", "Road Name, West", "北纬"]);
        let m = Mapping::resolve(&h, &specs).unwrap();
        let row = header(&["12", "0034", "中山路", "25"]);
        assert_eq!(m.value(Field::Code, &row).unwrap(), "12-0034");
        let empty = header(&["", "", "", ""]);
        assert_eq!(m.value(Field::Code, &empty).unwrap(), "");
    }

    #[test]
    fn traditional_and_survey_headers_are_recognised() {
        let h = header(&["編碼", "街路", "桿號", "經度", "緯度", "地址", "備註"]);
        let m = Mapping::resolve(&h, &[]).unwrap();
        for f in [
            Field::Code,
            Field::Street,
            Field::PoleNo,
            Field::Lon,
            Field::Lat,
            Field::Address,
            Field::Note,
        ] {
            assert!(m.has(f), "{f:?}");
        }
        for (x, y) in [
            ("X坐标", "Y坐标"),
            ("东坐标", "北坐标"),
            ("Easting", "Northing"),
        ] {
            let h = header(&["code", x, y]);
            let m = Mapping::resolve(&h, &[]).unwrap();
            let row = header(&["1", "500000", "3450000"]);
            assert_eq!(m.value(Field::Lon, &row).unwrap(), "500000", "{x}");
            assert_eq!(m.value(Field::Lat, &row).unwrap(), "3450000", "{y}");
        }
    }

    #[test]
    fn a_constant_fills_a_field_on_every_row() {
        let specs = parse_set_specs(&["street=中山南路, 北段".to_owned()]).unwrap();
        assert_eq!(specs, [(Field::Street, "=中山南路, 北段".to_owned())]);
        let m = Mapping::resolve(&header(&["code"]), &specs).unwrap();
        assert_eq!(
            m.value(Field::Street, &header(&["1"])).unwrap(),
            "中山南路, 北段"
        );
        assert!(parse_set_specs(&["nostreet".to_owned()]).is_err());
        assert!(parse_set_specs(&["colour=red".to_owned()]).is_err());
    }

    #[test]
    fn a_mapping_to_a_missing_column_is_refused_with_the_header() {
        let err = Mapping::resolve(&header(&["a", "b"]), &[(Field::Code, "c".into())]).unwrap_err();
        assert_eq!(err.field, "code");
        assert!(err.reason_en().contains("header: a, b"), "{err:?}");
        assert!(parse_map_specs(&["nonsense".into()]).is_err());
    }
}
