//! The words of every import finding, in Chinese and English: the one place they are made.
//!
//! A [`FindingKind`] carries values; these functions put them into a sentence when the CLI, the
//! window or a report shows the finding. Users and tests rely on the texts: change them only
//! on purpose.

use lamppost_core::code::{CodeError, MAX_CODE_LEN};
use lamppost_core::readback::Lang;
use lamppost_core::words::{Message, Words};

use crate::finding::FindingKind;

impl Words for FindingKind {
    fn message(&self) -> Message {
        Message::new(self.text(Lang::Zh), self.text(Lang::En))
    }

    fn words(&self, lang: Lang) -> String {
        self.text(lang)
    }
}

impl FindingKind {
    /// The finding's reason in `lang`.
    fn text(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let s = |zh_text: &str, en_text: &str| lang.pick(zh_text, en_text).to_owned();
        match self {
            Self::BinaryFile => s(
                "这像是二进制文件（含大量控制字节），不是 CSV 或 GeoJSON 文本",
                "this looks like a binary file (many control bytes), not CSV or GeoJSON text",
            ),
            Self::MixedEncodings {
                good_line,
                bad_line,
            } => {
                if zh {
                    format!(
                        "文件混用了多种编码：第 {good_line} 行是 UTF-8，第 {bad_line} 行不是；请另存为统一的 UTF-8 后再导入"
                    )
                } else {
                    format!(
                        "the file mixes encodings: line {good_line} is UTF-8 but line {bad_line} is not; save it again as UTF-8 throughout"
                    )
                }
            }
            Self::Latin1Fallback => s(
                "既不是 UTF-8 也不是 GBK/GB18030，按 Latin-1（windows-1252）读取，中文可能是乱码；可用 --encoding 指定",
                "neither UTF-8 nor GBK/GB18030; read as Latin-1 (windows-1252), Chinese text may be garbled; use --encoding to choose",
            ),
            Self::UncertainEncoding {
                guess,
                confidence,
                candidates,
            } => {
                if zh {
                    format!(
                        "无法确定文件编码（猜测 {guess}，把握 {confidence}%；可能是 {candidates}），未写入任何内容；请用 --encoding 指定"
                    )
                } else {
                    format!(
                        "the file's encoding is uncertain (best guess {guess}, {confidence}% confident; could be {candidates}); nothing was written: choose one with --encoding"
                    )
                }
            }
            Self::UnreadableFile { format, detail } => {
                if zh {
                    format!("无法读取此 {format} 文件：{detail}")
                } else {
                    format!("cannot read this {format} file: {detail}")
                }
            }
            Self::NoSuchSheet { sheet, sheets } => {
                if zh {
                    format!("没有名为 {sheet:?} 的工作表或图层（有：{sheets}）")
                } else {
                    format!("no sheet or layer named {sheet:?} (there are: {sheets})")
                }
            }
            Self::MissingSidecar { file } => {
                if zh {
                    format!("Shapefile 缺少同名文件 {file}（.shp、.shx、.dbf 须放在一起）")
                } else {
                    format!(
                        "the Shapefile lacks {file} beside it (.shp, .shx and .dbf belong together)"
                    )
                }
            }
            Self::ChangedWhileReading => s(
                "读取期间文件被修改了，请在文件不再变化时重新导入",
                "the file changed while it was being read; import it again once it is complete",
            ),
            Self::LineTooLong { mb } => {
                if zh {
                    format!("这一行超过 {mb} MB，不是正常的数据行")
                } else {
                    format!("this line is longer than {mb} MB, not a data row")
                }
            }
            Self::MalformedCsv { detail } => {
                if zh {
                    format!("CSV 格式错误：{detail}")
                } else {
                    format!("malformed CSV: {detail}")
                }
            }
            Self::EmptyFile => s("文件是空的", "the file is empty"),
            Self::TooManyColumns { columns, max } => {
                if zh {
                    format!("有 {columns} 列，最多 {max} 列")
                } else {
                    format!("{columns} columns, at most {max}")
                }
            }
            Self::GeoJsonTooLarge { mb } => {
                if zh {
                    format!("GeoJSON 文件超过 {mb} MB")
                } else {
                    format!("the GeoJSON file is larger than {mb} MB")
                }
            }
            Self::InvalidJson { column, detail } => {
                if zh {
                    format!("不是有效的 JSON（第 {column} 列）：{detail}")
                } else {
                    format!("not valid JSON (column {column}): {detail}")
                }
            }
            Self::NotFeatureCollection => s(
                "GeoJSON 顶层应为含 features 数组的 FeatureCollection",
                "the GeoJSON top level must be a FeatureCollection with a features array",
            ),
            Self::NotAFeature { feature } => {
                if zh {
                    format!("第 {feature} 个要素不是 Feature")
                } else {
                    format!("feature {feature} is not a Feature")
                }
            }
            Self::PropertiesNotObject => s("properties 应为对象", "properties must be an object"),
            Self::BadPointCoordinates => s(
                "点坐标应为 [经度, 纬度]",
                "point coordinates must be [longitude, latitude]",
            ),
            Self::NotAPoint { geometry_type } => {
                if zh {
                    format!("几何类型 {geometry_type:?} 不是 Point")
                } else {
                    format!("geometry type {geometry_type:?} is not Point")
                }
            }
            Self::FeatureTooLarge { feature, mb } => {
                if zh {
                    format!("第 {feature} 个要素超过 {mb} MB，不是一根灯杆")
                } else {
                    format!("feature {feature} is larger than {mb} MB, which is not a lamp post")
                }
            }
            Self::NoDataRows => s(
                "文件只有表头，没有数据行",
                "the file has a header but no data rows",
            ),
            Self::UndecodableHeader { encoding } => {
                if zh {
                    format!(
                        "表头含有无法按 {encoding} 解码的字节，编码不对；请用 --encoding 指定正确的编码（如 gbk）"
                    )
                } else {
                    format!(
                        "the header holds bytes that are not valid {encoding}; the encoding is wrong, choose the right one with --encoding (e.g. gbk)"
                    )
                }
            }
            Self::NoCodeColumn { header } => {
                let header = header.join(", ");
                if zh {
                    format!("找不到编码列（表头：{header}）；请用 --map code=列名 指定")
                } else {
                    format!("no code column (header: {header}); name it with --map code=COLUMN")
                }
            }
            Self::OneCoordinateColumn { has, lacks } => {
                let (has, lacks) = (has.name(), lacks.name());
                if zh {
                    format!("有 {has} 列却没有 {lacks} 列；请用 --map {lacks}=列名 指定")
                } else {
                    format!(
                        "there is a {has} column but no {lacks} column; name it with --map {lacks}=COLUMN"
                    )
                }
            }
            Self::NoSuchColumn { column, header } => {
                let header = header.join(", ");
                if zh {
                    format!("文件中没有列 {column:?}（表头：{header}）")
                } else {
                    format!("no column {column:?} in the file (header: {header})")
                }
            }
            Self::UnclosedTemplate { template } => {
                if zh {
                    format!("模板 {template:?} 缺少 }}")
                } else {
                    format!("the template {template:?} lacks a closing }}")
                }
            }
            Self::ColumnCount { found, expected } => {
                if zh {
                    format!(
                        "这一行有 {found} 列，表头有 {expected} 列（可能有未闭合的引号或多余的分隔符）"
                    )
                } else {
                    format!(
                        "this row has {found} columns, the header {expected} (an unbalanced quote or a stray delimiter?)"
                    )
                }
            }
            Self::TextTooLong { max_chars } => {
                if zh {
                    format!("内容过长（超过 {max_chars} 字）")
                } else {
                    format!("longer than {max_chars} characters")
                }
            }
            Self::ControlCharacter { ch } => {
                let u = u32::from(*ch);
                if zh {
                    format!("含有控制字符 U+{u:04X}")
                } else {
                    format!("contains the control character U+{u:04X}")
                }
            }
            Self::ByteOrderMark => s(
                "含有字节顺序标记（BOM，U+FEFF），可能是拼接文件时混入的",
                "contains a byte-order mark (U+FEFF), probably from joining files",
            ),
            Self::UndecodableText { encoding } => {
                if zh {
                    format!(
                        "含有无法按 {encoding} 解码的字节，编码可能不对（可用 --encoding 指定）"
                    )
                } else {
                    format!(
                        "holds bytes that are not valid {encoding}; the encoding may be wrong (choose one with --encoding)"
                    )
                }
            }
            Self::FormulaLike => s(
                "内容像电子表格公式，导出时会加单引号以防执行",
                "looks like a spreadsheet formula; exports prefix it with an apostrophe so it cannot run",
            ),
            Self::BidiControl { ch } => {
                let u = u32::from(*ch);
                if zh {
                    format!(
                        "含有文字方向控制字符 U+{u:04X}，会改变显示和读回的顺序，请删除后再导入"
                    )
                } else {
                    format!(
                        "holds the text direction control U+{u:04X}, which reorders what is shown and read back; remove it and import again"
                    )
                }
            }
            Self::InexactNumberCode { value } => {
                if zh {
                    format!(
                        "编码写成了数字 {value}，不是整数，无法确定原编码；请在文件中把编码写成文本（加引号）"
                    )
                } else {
                    format!(
                        "the code is written as the number {value}, which is not a whole number, so the code written is unknown; write codes as text (in quotes)"
                    )
                }
            }
            Self::CoordinateOutOfRange {
                value,
                limit_deg,
                maybe_swapped,
            } => {
                if zh {
                    let hint = if *maybe_swapped {
                        "（纬度与经度可能对调）"
                    } else {
                        ""
                    };
                    format!("坐标 {value} 超出范围（±{limit_deg}）{hint}")
                } else {
                    let hint = if *maybe_swapped {
                        " (latitude and longitude may be swapped)"
                    } else {
                        ""
                    };
                    format!("coordinate {value} is out of range (±{limit_deg}){hint}")
                }
            }
            Self::CoordinateNotFinite { value } => {
                if zh {
                    format!("坐标 {value} 不是有限的数")
                } else {
                    format!("coordinate {value} is not a finite number")
                }
            }
            Self::CoordinateNotANumber { value } => {
                if zh {
                    format!("无法识别的坐标 {value:?}")
                } else {
                    format!("not a number: {value:?}")
                }
            }
            Self::OnlyOneCoordinate => {
                s("只有纬度或经度之一", "only one of latitude and longitude")
            }
            Self::MissingCode => s("缺少编码", "missing code"),
            Self::BadCode { error } => code_error_words(error, lang),
            Self::DuplicateCode { code, first_line } => {
                if zh {
                    format!("编码 {code} 与第 {first_line} 行重复（规范化后相同）")
                } else {
                    format!(
                        "code {code} duplicates line {first_line} (the same after normalisation)"
                    )
                }
            }
            Self::BadPoleNo { value } => {
                if zh {
                    format!("杆号 {value:?} 不是数字（可带后缀，如 103F、570/1、12-1、12附1）")
                } else {
                    format!(
                        "pole number {value:?} is not a number (a suffix is fine: 103F, 570/1, 12-1, 12附1)"
                    )
                }
            }
            Self::UnknownSide { value } => {
                if zh {
                    format!("无法识别的方位 {value:?}（应为 东/西/南/北/左/右）")
                } else {
                    format!("unknown side {value:?} (expected E/W/N/S/L/R or 东西南北左右)")
                }
            }
            Self::StreetNameDiffers {
                street_code,
                stored,
                file,
            } => {
                if zh {
                    format!("街路编码 {street_code} 的名称是 {stored}，文件中为 {file}；保留原名称")
                } else {
                    format!(
                        "street code {street_code} is named {stored}, the file says {file}; the stored name is kept"
                    )
                }
            }
            Self::NewStreetNeedsName { street_code } => {
                if zh {
                    format!("新街路编码 {street_code} 缺少街路名称")
                } else {
                    format!("the new street code {street_code} needs a street name")
                }
            }
            Self::FoldedStreet {
                name,
                stored,
                street_code,
            } => {
                if zh {
                    format!("街路 {name} 按已有的 {stored}（街路编码 {street_code}）导入")
                } else {
                    format!(
                        "street {name} is taken as the stored {stored} (street code {street_code})"
                    )
                }
            }
            Self::NewCodeNeedsStreet => s(
                "新编码缺少街路（街路名称或街路编码）",
                "a new code needs a street (a street name or street code)",
            ),
            Self::NewStreet { name, code } => {
                if zh {
                    format!("新街路 {name}（街路编码 {code}）")
                } else {
                    format!("new street {name} (street code {code})")
                }
            }
            Self::SwappedLatLon => s(
                "纬度与经度似乎对调了",
                "latitude and longitude look swapped",
            ),
            Self::OutsideRegion { lat, lon } => {
                if zh {
                    format!("位置 {lat:.5}, {lon:.5} 在数据集范围之外")
                } else {
                    format!("the position {lat:.5}, {lon:.5} is outside the dataset's region")
                }
            }
            Self::MoveTooFar {
                moved_m,
                limit_m,
                outside_region,
                allowed,
            } => {
                let km = moved_m / 1000.0;
                let limit_km = limit_m / 1000.0;
                if zh {
                    let why = if *outside_region {
                        "新位置在数据集范围以外".to_owned()
                    } else {
                        format!("超过 {limit_km:.1} 公里")
                    };
                    if *allowed {
                        format!("实测灯杆移动了 {km:.1} 公里（{why}）；已允许移动，将写入")
                    } else {
                        format!(
                            "实测灯杆移动了 {km:.1} 公里（{why}），未写入；确认无误请加 --allow-moves（导入窗口：勾选“允许移动实测灯杆”）"
                        )
                    }
                } else {
                    let why = if *outside_region {
                        "the new position is outside the dataset's region".to_owned()
                    } else {
                        format!("more than {limit_km:.1} km")
                    };
                    if *allowed {
                        format!(
                            "a surveyed pole moves {km:.1} km ({why}); moves are allowed, so it is written"
                        )
                    } else {
                        format!(
                            "a surveyed pole moved {km:.1} km ({why}) and was not written; if that is right, add --allow-moves (import window: tick \"Allow surveyed poles to move\")"
                        )
                    }
                }
            }
            Self::GcjShift { moved_m } => {
                if zh {
                    format!(
                        "新位置比原实测位置偏移 {moved_m:.0} 米，恰好是 GCJ-02 偏移量；文件可能是 GCJ-02 坐标（--crs gcj02）"
                    )
                } else {
                    format!(
                        "the new position is {moved_m:.0} m from the surveyed one, exactly the GCJ-02 shift; the file may be in GCJ-02 (--crs gcj02)"
                    )
                }
            }
            Self::FarFromNeighbours {
                code,
                dist_m,
                limit_m,
            } => {
                if zh {
                    format!(
                        "编码 {code} 距同一街路编号相邻的灯杆 {dist_m:.0} 米（超过 {limit_m:.0} 米）"
                    )
                } else {
                    format!(
                        "code {code} is {dist_m:.0} m from the poles numbered next to it on its street (more than {limit_m:.0} m)"
                    )
                }
            }
            Self::OutOfSequence { code } => {
                if zh {
                    format!("编码 {code} 的杆号与位置顺序不符（不在前后杆号的灯杆之间）")
                } else {
                    format!(
                        "code {code}: pole number out of sequence (not between the poles numbered before and after it)"
                    )
                }
            }
            Self::ProjectedWithoutCrs {
                x,
                y,
                guess,
                guess_name,
            } => {
                let guess_name = guess_name.as_deref().map(crs_words);
                let advice_zh = match (guess, &guess_name) {
                    (Some(g), Some(n)) => format!("看起来是 {n}：--crs {g}"),
                    _ => "请用 --crs 指明坐标系（如 CGCS2000 3° 高斯–克吕格带：EPSG:4513–4554）"
                        .to_owned(),
                };
                let advice_en = match (guess, &guess_name) {
                    (Some(g), Some(n)) => format!("looks like {n}: --crs {g}"),
                    _ => "give its coordinate system with --crs (e.g. CGCS2000 3° Gauss–Krüger: EPSG:4513–4554)"
                        .to_owned(),
                };
                if zh {
                    format!(
                        "{advice_zh}。坐标 {x}, {y} 是投影坐标（米），不是经纬度，文件又没有说明坐标系，未导入"
                    )
                } else {
                    format!(
                        "{advice_en}. The coordinates {x}, {y} are projected (metres), not degrees, and the file does not say its coordinate system; nothing was imported"
                    )
                }
            }
            Self::UnknownCrsHint { hint, detail } => {
                if zh {
                    format!("无法识别文件自带的坐标系 {hint:?}（{detail}）；请用 --crs 指明")
                } else {
                    format!(
                        "the file's own coordinate system {hint:?} is not understood ({detail}); give it with --crs"
                    )
                }
            }
            Self::LegacyDatumNeedsTowgs84 { crs } => {
                let crs = crs_words(crs);
                if zh {
                    format!(
                        "{crs} 是旧坐标系（北京54/西安80），与 WGS-84/CGCS2000 相差可达约 100 米，且各地转换参数不同；请向测绘部门索取七参数并用 --towgs84 dx,dy,dz,rx,ry,rz,s 给出（明知误差仍要导入可给 --towgs84 0,0,0,0,0,0,0）"
                    )
                } else {
                    format!(
                        "{crs} is an old datum (Beijing 1954 or Xi'an 1980) that differs from WGS-84/CGCS2000 by up to about 100 m, with parameters that differ by region; ask the survey bureau for its 7 parameters and give them with --towgs84 dx,dy,dz,rx,ry,rz,s (to import anyway, knowing the error, give --towgs84 0,0,0,0,0,0,0)"
                    )
                }
            }
            Self::LegacyDatumNotShifted { crs } => {
                let crs = crs_words(crs);
                if zh {
                    format!("{crs} 未做七参数转换（--towgs84 全为 0）：位置可能偏差约 100 米")
                } else {
                    format!(
                        "{crs} was taken without a datum shift (--towgs84 all zero): positions may be off by up to about 100 m"
                    )
                }
            }
            Self::NorthingFirst { x_column, y_column } => {
                if zh {
                    format!(
                        "按测量习惯读取：{x_column} 列是北坐标（纵坐标），{y_column} 列是东坐标（横坐标）"
                    )
                } else {
                    format!(
                        "read in the Chinese survey convention: column {x_column} is the northing and {y_column} the easting"
                    )
                }
            }
            Self::NotInCrs { x, y, crs } => {
                let crs = crs_words(crs);
                if zh {
                    format!(
                        "坐标 {x}, {y} 不是 {crs} 中的点（超出其投影带，或不是米）；请检查 --crs"
                    )
                } else {
                    format!(
                        "the coordinates {x}, {y} are not a point of {crs} (outside its zone, or not metres); check --crs"
                    )
                }
            }
            Self::GroupedUnderPlace { place } => {
                if zh {
                    format!("没有街路：归入地点 {place}")
                } else {
                    format!("no street: grouped under the place {place}")
                }
            }
        }
    }
}

/// A CRS's name without the ` / ` of EPSG's names (`CGCS2000/3-degree Gauss-Kruger zone 40`),
/// which separates the two languages in a report's `reason`.
fn crs_words(name: &str) -> String {
    name.replace(" / ", "/")
}

/// Why a cell is not a pole code, in `lang` (the two halves of [`CodeError`]'s bilingual
/// message).
fn code_error_words(error: &CodeError, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match error {
        CodeError::Empty => lang.pick("编码为空", "the code is empty").to_owned(),
        CodeError::TooLong => {
            if zh {
                format!("编码过长（最多 {MAX_CODE_LEN} 个字符）")
            } else {
                format!("the code is too long (at most {MAX_CODE_LEN} characters)")
            }
        }
        CodeError::BadChar(c) => {
            if zh {
                format!("编码含有非法字符 {c:?}")
            } else {
                format!("the code contains the character {c:?}, which is not a letter or digit")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use crate::mapping::Field;

    /// One finding of every kind. `kind_names_are_unique_and_every_kind_has_a_sample` counts
    /// them: a new variant needs a sample here.
    fn samples() -> Vec<FindingKind> {
        let s = String::from;
        vec![
            FindingKind::BinaryFile,
            FindingKind::MixedEncodings {
                good_line: 2,
                bad_line: 3,
            },
            FindingKind::Latin1Fallback,
            FindingKind::UncertainEncoding {
                guess: "Big5",
                confidence: 40,
                candidates: s("Big5, gb18030"),
            },
            FindingKind::UnreadableFile {
                format: "xlsx",
                detail: s("x"),
            },
            FindingKind::NoSuchSheet {
                sheet: s("a"),
                sheets: s("b, c"),
            },
            FindingKind::MissingSidecar { file: s("a.dbf") },
            FindingKind::ChangedWhileReading,
            FindingKind::LineTooLong { mb: 1 },
            FindingKind::MalformedCsv { detail: s("x") },
            FindingKind::EmptyFile,
            FindingKind::TooManyColumns {
                columns: 1001,
                max: 1000,
            },
            FindingKind::GeoJsonTooLarge { mb: 512 },
            FindingKind::InvalidJson {
                column: 4,
                detail: s("EOF"),
            },
            FindingKind::NotFeatureCollection,
            FindingKind::NotAFeature { feature: 2 },
            FindingKind::PropertiesNotObject,
            FindingKind::BadPointCoordinates,
            FindingKind::NotAPoint {
                geometry_type: s("LineString"),
            },
            FindingKind::FeatureTooLarge { feature: 3, mb: 4 },
            FindingKind::NoDataRows,
            FindingKind::UndecodableHeader { encoding: "UTF-8" },
            FindingKind::NoCodeColumn {
                header: vec![s("a"), s("b")],
            },
            FindingKind::OneCoordinateColumn {
                has: Field::Lat,
                lacks: Field::Lon,
            },
            FindingKind::NoSuchColumn {
                column: s("NOPE"),
                header: vec![s("a")],
            },
            FindingKind::UnclosedTemplate { template: s("{a") },
            FindingKind::ColumnCount {
                found: 3,
                expected: 4,
            },
            FindingKind::TextTooLong { max_chars: 500 },
            FindingKind::ControlCharacter { ch: '\u{7}' },
            FindingKind::ByteOrderMark,
            FindingKind::UndecodableText { encoding: "UTF-8" },
            FindingKind::FormulaLike,
            FindingKind::BidiControl { ch: '\u{202E}' },
            FindingKind::InexactNumberCode { value: s("9.5") },
            FindingKind::CoordinateOutOfRange {
                value: s("121.5"),
                limit_deg: 90,
                maybe_swapped: true,
            },
            FindingKind::CoordinateNotFinite { value: s("inf") },
            FindingKind::CoordinateNotANumber { value: s("abc") },
            FindingKind::OnlyOneCoordinate,
            FindingKind::MissingCode,
            FindingKind::BadCode {
                error: CodeError::TooLong,
            },
            FindingKind::DuplicateCode {
                code: s("1-01-0001"),
                first_line: 2,
            },
            FindingKind::BadPoleNo { value: s("x") },
            FindingKind::UnknownSide { value: s("up") },
            FindingKind::StreetNameDiffers {
                street_code: s("S1"),
                stored: s("中山路"),
                file: s("中山北路"),
            },
            FindingKind::NewStreetNeedsName {
                street_code: s("S9"),
            },
            FindingKind::FoldedStreet {
                name: s("中山路 "),
                stored: s("中山路"),
                street_code: s("S1"),
            },
            FindingKind::NewCodeNeedsStreet,
            FindingKind::NewStreet {
                name: s("测试路"),
                code: s("S1"),
            },
            FindingKind::SwappedLatLon,
            FindingKind::OutsideRegion {
                lat: 45.1,
                lon: 100.5,
            },
            FindingKind::MoveTooFar {
                moved_m: 1_700_000.0,
                limit_m: 2000.0,
                outside_region: true,
                allowed: false,
            },
            FindingKind::GcjShift { moved_m: 503.2 },
            FindingKind::FarFromNeighbours {
                code: s("1-01-0001"),
                dist_m: 521.4,
                limit_m: 500.0,
            },
            FindingKind::OutOfSequence {
                code: s("1-01-0001"),
            },
            FindingKind::ProjectedWithoutCrs {
                x: 40_512_345.0,
                y: 3_353_000.0,
                guess: Some(s("EPSG:4528")),
                guess_name: Some(s("CGCS2000 / 3-degree Gauss-Kruger zone 40")),
            },
            FindingKind::UnknownCrsHint {
                hint: s("PROJCS[\"x\"]"),
                detail: s("?"),
            },
            FindingKind::LegacyDatumNeedsTowgs84 {
                crs: s("EPSG:2415 Beijing 1954 / 3-degree Gauss-Kruger zone 39"),
            },
            FindingKind::LegacyDatumNotShifted {
                crs: s("EPSG:2415 Beijing 1954 / 3-degree Gauss-Kruger zone 39"),
            },
            FindingKind::NorthingFirst {
                x_column: s("X"),
                y_column: s("Y"),
            },
            FindingKind::NotInCrs {
                x: 120.1,
                y: 30.2,
                crs: s("EPSG:4528 CGCS2000 / 3-degree Gauss-Kruger zone 40"),
            },
            FindingKind::GroupedUnderPlace {
                place: s("幸福公园"),
            },
        ]
    }

    #[test]
    fn every_kind_has_chinese_and_english_words() {
        for k in samples() {
            let (zh, en) = (k.words(Lang::Zh), k.words(Lang::En));
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{k:?}");
            assert_ne!(zh, en, "{k:?}");
            assert!(
                !zh.contains(" / ") && !en.contains(" / "),
                "one language each: {k:?}"
            );
        }
    }

    #[test]
    fn kind_names_are_unique_and_every_kind_has_a_sample() {
        let names: std::collections::BTreeSet<&str> =
            samples().iter().map(FindingKind::name).collect();
        // The number of `FindingKind` variants.
        assert_eq!(names.len(), 61, "{names:?}");
        for n in names {
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{n}"
            );
        }
    }

    #[test]
    fn the_words_are_the_ones_users_and_tests_know() {
        let f = Finding::new(
            5,
            "lat_deg",
            FindingKind::CoordinateOutOfRange {
                value: "121.51".into(),
                limit_deg: 90,
                maybe_swapped: true,
            },
        );
        assert_eq!(
            f.reason_both(),
            "坐标 121.51 超出范围（±90）（纬度与经度可能对调） / coordinate 121.51 is out of range (±90) (latitude and longitude may be swapped)"
        );
        assert_eq!(
            f.to_string(),
            "第 5 行，字段 lat_deg：坐标 121.51 超出范围（±90）（纬度与经度可能对调） / line 5, field lat_deg: coordinate 121.51 is out of range (±90) (latitude and longitude may be swapped)"
        );
        let gcj = FindingKind::GcjShift { moved_m: 503.4 };
        assert_eq!(
            gcj.words(Lang::En),
            "the new position is 503 m from the surveyed one, exactly the GCJ-02 shift; the file may be in GCJ-02 (--crs gcj02)"
        );
        let json = serde_json::to_value(Finding::new(
            2,
            "street",
            FindingKind::NewStreet {
                name: "测试路".into(),
                code: "S1".into(),
            },
        ))
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "line": 2,
                "field": "street",
                "reason": "新街路 测试路（街路编码 S1） / new street 测试路 (street code S1)",
                "reason_zh": "新街路 测试路（街路编码 S1）",
                "reason_en": "new street 测试路 (street code S1)",
                "kind": "new_street",
            })
        );
    }

    #[test]
    fn a_bad_code_reads_as_the_two_halves_of_the_code_error() {
        for error in [
            CodeError::Empty,
            CodeError::TooLong,
            CodeError::BadChar('路'),
        ] {
            let both = error.to_string();
            let kind = FindingKind::BadCode { error };
            let (zh, en) = (kind.words(Lang::Zh), kind.words(Lang::En));
            assert!(
                both.starts_with(&zh) && both.ends_with(&en),
                "{both} | {zh} | {en}"
            );
        }
    }
}
