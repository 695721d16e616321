//! Loading GeoJSON layers for the builder: geometry projected to Web Mercator, properties reduced
//! to what the cartography uses, and every defect reported as an [`Issue`] naming the feature.
//! Geometries are read by the `geojson` crate; the file is walked feature by feature here, so
//! that one broken feature is reported and skipped instead of failing the whole layer.

use std::path::Path;

use geojson::{Geometry, GeometryValue, Position};
use serde::Deserialize as _;
use serde_json::Value;

use super::BuildError;

/// Largest GeoJSON file the builder reads (it is parsed whole, in memory).
pub const MAX_FILE_BYTES: u64 = 512 << 20;

/// A point in normalised Web Mercator: x from 0 (180° W) to 1 (180° E), y from 0 (north) to 1.
pub type Merc = [f64; 2];

/// Which layer a feature came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerKind {
    /// `--roads`.
    Roads,
    /// `--water`.
    Water,
    /// `--landuse`.
    Landuse,
    /// `--buildings`.
    Buildings,
    /// `--pois`.
    Pois,
    /// `--transit`.
    Transit,
}

impl LayerKind {
    /// The option name, for messages.
    #[must_use]
    pub fn option(self) -> &'static str {
        match self {
            Self::Roads => "--roads",
            Self::Water => "--water",
            Self::Landuse => "--landuse",
            Self::Buildings => "--buildings",
            Self::Pois => "--pois",
            Self::Transit => "--transit",
        }
    }
}

/// A problem with one feature; the feature was skipped or repaired, the build goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The layer.
    pub layer: LayerKind,
    /// Index of the feature in the file (0-based).
    pub index: usize,
    /// Its `id` or `name`, when it has one.
    pub label: String,
    /// What is wrong and what was done.
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} 第 {} 个要素 / feature #{}",
            self.layer.option(),
            self.index + 1,
            self.index + 1
        )?;
        if !self.label.is_empty() {
            write!(f, " ({})", self.label)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A feature's geometry, projected.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Lines (a `LineString` or each part of a `MultiLineString`), two points or more each.
    Lines(Vec<Vec<Merc>>),
    /// Polygons: each a list of closed rings, the outer one first.
    Polygons(Vec<Vec<Vec<Merc>>>),
    /// Points.
    Points(Vec<Merc>),
}

/// One usable feature.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Its geometry.
    pub shape: Shape,
    /// Its properties, reduced to strings.
    pub props: Props,
    /// Its box: min x, min y, max x, max y (normalised Mercator).
    pub bbox: [f64; 4],
}

/// The properties the cartography reads.
#[derive(Debug, Clone, Default)]
pub struct Props {
    /// `name:zh` or `name`.
    pub name: Option<String>,
    /// `highway`, `railway`, `leisure`/`landuse`/`pmap:kind`/`amenity`/`natural`, … joined as
    /// `key=value` pairs for the style to match.
    pub tags: Vec<(String, String)>,
    /// `layer` (negative: underground).
    pub layer: i32,
}

impl Props {
    /// The value of a tag.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Projects WGS-84 degrees to normalised Web Mercator.
#[must_use]
pub fn to_merc(lon_deg: f64, lat_deg: f64) -> Merc {
    let (x, y) = lamppost_basemap::world_px(lat_deg, lon_deg, 0, 1.0);
    [x, y]
}

/// The attributes kept as tags (the ones the style reads).
pub(super) const KEPT_TAGS: &[&str] = &[
    "highway",
    "railway",
    "leisure",
    "landuse",
    "pmap:kind",
    "amenity",
    "natural",
    "water",
    "waterway",
    "tunnel",
    "bridge",
    "shop",
    "tourism",
    "service",
];

/// Reads one GeoJSON layer. File-level problems are errors; feature-level ones are issues.
pub fn load(
    path: &Path,
    layer: LayerKind,
    issues: &mut Vec<Issue>,
) -> Result<Vec<Feature>, BuildError> {
    let input = |message: String| BuildError::Input {
        path: path.to_owned(),
        message,
    };
    let meta = std::fs::metadata(path)
        .map_err(|e| input(format!("无法读取文件 / cannot read the file ({e})")))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(input(format!(
            "文件有 {} MB，超过 {} MB 上限，请在 QGIS 中按范围裁剪或拆分 / the file is {} MB, over the {} MB limit; clip it to the area or split it in QGIS",
            meta.len() >> 20,
            MAX_FILE_BYTES >> 20,
            meta.len() >> 20,
            MAX_FILE_BYTES >> 20
        )));
    }
    let text = std::fs::read(path)
        .map_err(|e| input(format!("无法读取文件 / cannot read the file ({e})")))?;
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(input("文件是空的 / the file is empty".to_owned()));
    }
    let root: Value = serde_json::from_slice(&text).map_err(|e| {
        input(format!(
            "不是有效的 JSON（第 {} 行第 {} 列）/ not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column(),
            e.line(),
            e.column()
        ))
    })?;
    drop(text);
    let features: Vec<&Value> = match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match root.get("features").and_then(Value::as_array) {
            Some(a) => a.iter().collect(),
            None => {
                return Err(input(
                    "FeatureCollection 没有 features 数组 / the FeatureCollection has no `features` array"
                        .to_owned(),
                ));
            }
        },
        Some("Feature") => vec![&root],
        Some(t) => {
            return Err(input(format!(
                "顶层类型是 {t}，应为 FeatureCollection / the top-level type is `{t}`, expected a FeatureCollection (export the layer as GeoJSON from QGIS)"
            )));
        }
        None => {
            return Err(input(
                "不是 GeoJSON：顶层没有 type / not GeoJSON: no top-level `type`".to_owned(),
            ));
        }
    };
    let mut out = Vec::with_capacity(features.len());
    for (index, f) in features.into_iter().enumerate() {
        let props = f.get("properties").and_then(Value::as_object);
        let label = feature_label(f, props);
        let mut issue = |message: String| {
            issues.push(Issue {
                layer,
                index,
                label: label.clone(),
                message,
            });
        };
        if f.get("type").and_then(Value::as_str) != Some("Feature") {
            issue("不是 Feature，已跳过 / not a Feature; skipped".to_owned());
            continue;
        }
        let Some(geom) = f.get("geometry").filter(|g| !g.is_null()) else {
            issue("没有几何，已跳过 / has no geometry; skipped".to_owned());
            continue;
        };
        let shape = match parse_geometry(geom) {
            Ok(s) => s,
            Err(m) => {
                issue(format!("{m}，已跳过 / {m}; skipped"));
                continue;
            }
        };
        let Some(shape) = check_shape(shape, layer, &mut issue) else {
            continue;
        };
        let bbox = shape_bbox(&shape);
        out.push(Feature {
            shape,
            props: read_props(props),
            bbox,
        });
    }
    Ok(out)
}

fn feature_label(f: &Value, props: Option<&serde_json::Map<String, Value>>) -> String {
    let mut parts = Vec::new();
    if let Some(id) = f.get("id").filter(|v| !v.is_null()) {
        parts.push(format!("id={}", id.to_string().trim_matches('"')));
    }
    if let Some(n) = props.and_then(|p| p.get("name")).and_then(Value::as_str) {
        parts.push(format!("name={n}"));
    }
    parts.join(", ")
}

fn read_props(props: Option<&serde_json::Map<String, Value>>) -> Props {
    let Some(p) = props else {
        return Props::default();
    };
    let s = |k: &str| {
        p.get(k).and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    };
    let name = s("name:zh")
        .filter(|n| !n.is_empty())
        .or_else(|| s("name"))
        .filter(|n| !n.is_empty());
    let tags = KEPT_TAGS
        .iter()
        .filter_map(|k| s(k).map(|v| ((*k).to_owned(), v)))
        .collect();
    let layer = s("layer")
        .and_then(|l| l.parse::<f64>().ok())
        .map_or(0, |l| l.clamp(-10.0, 10.0) as i32);
    Props { name, tags, layer }
}

/// A coordinate pair, checked for range.
fn position(p: &Position) -> Result<Merc, String> {
    let &[lon, lat, ..] = p.as_slice() else {
        return Err("坐标不足两个数 / a coordinate has fewer than two numbers".to_owned());
    };
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!(
            "坐标超出范围（经度 {lon}，纬度 {lat}）/ a coordinate is out of range (lon {lon}, lat {lat}); is the layer in WGS-84 (EPSG:4326)?"
        ));
    }
    Ok(to_merc(lon, lat))
}

fn positions(ps: &[Position]) -> Result<Vec<Merc>, String> {
    ps.iter().map(position).collect()
}

fn rings(rs: &[Vec<Position>]) -> Result<Vec<Vec<Merc>>, String> {
    rs.iter().map(|r| positions(r)).collect()
}

/// The feature's geometry, read by the `geojson` crate (types and coordinates), as our shape.
fn parse_geometry(g: &Value) -> Result<Shape, String> {
    let geometry = Geometry::deserialize(g)
        .map_err(|e| format!("几何无法读取（{e}）/ the geometry cannot be read ({e})"))?;
    match &geometry.value {
        GeometryValue::Point { coordinates } => Ok(Shape::Points(vec![position(coordinates)?])),
        GeometryValue::MultiPoint { coordinates } => Ok(Shape::Points(positions(coordinates)?)),
        GeometryValue::LineString { coordinates } => {
            Ok(Shape::Lines(vec![positions(coordinates)?]))
        }
        GeometryValue::MultiLineString { coordinates } => Ok(Shape::Lines(rings(coordinates)?)),
        GeometryValue::Polygon { coordinates } => Ok(Shape::Polygons(vec![rings(coordinates)?])),
        GeometryValue::MultiPolygon { coordinates } => Ok(Shape::Polygons(
            coordinates
                .iter()
                .map(|p| rings(p))
                .collect::<Result<_, _>>()?,
        )),
        GeometryValue::GeometryCollection { .. } => {
            Err("GeometryCollection 不受支持 / GeometryCollection is not supported".to_owned())
        }
    }
}

/// Checks a shape against its layer; repairs what can be repaired. `None`: skip the feature.
pub(super) fn check_shape(
    shape: Shape,
    layer: LayerKind,
    issue: &mut impl FnMut(String),
) -> Option<Shape> {
    let wants = match layer {
        LayerKind::Roads | LayerKind::Transit => "lines",
        LayerKind::Landuse | LayerKind::Buildings => "polygons",
        LayerKind::Water => "polygons or lines",
        LayerKind::Pois => "points",
    };
    match shape {
        Shape::Lines(lines) => {
            if matches!(
                layer,
                LayerKind::Landuse | LayerKind::Buildings | LayerKind::Pois
            ) {
                issue(format!(
                    "此图层应为{}，却是线，已跳过 / this layer takes {wants}, not lines; skipped",
                    zh_kind(wants)
                ));
                return None;
            }
            let total = lines.len();
            let kept: Vec<Vec<Merc>> = lines
                .into_iter()
                .map(dedup)
                .filter(|l| l.len() >= 2)
                .collect();
            if kept.len() < total {
                issue(
                    "有少于两个不同点的线，已忽略该部分 / a line with fewer than two distinct points was ignored"
                        .to_owned(),
                );
            }
            (!kept.is_empty()).then_some(Shape::Lines(kept))
        }
        Shape::Polygons(polys) => {
            if matches!(
                layer,
                LayerKind::Roads | LayerKind::Transit | LayerKind::Pois
            ) {
                issue(format!(
                    "此图层应为{}，却是面，已跳过 / this layer takes {wants}, not polygons; skipped",
                    zh_kind(wants)
                ));
                return None;
            }
            let mut out = Vec::with_capacity(polys.len());
            for rings in polys {
                let mut kept = Vec::with_capacity(rings.len());
                for (ri, ring) in rings.into_iter().enumerate() {
                    let mut ring = dedup(ring);
                    if ring.len() >= 2 && ring.first() != ring.last() {
                        issue("面的边界没有闭合，已自动闭合 / a polygon ring is not closed; it was closed".to_owned());
                        if let Some(&first) = ring.first() {
                            ring.push(first);
                        }
                    }
                    if ring.len() < 4 {
                        issue("面的边界少于三个点，已忽略 / a polygon ring has fewer than three points; ignored".to_owned());
                        if ri == 0 {
                            kept.clear();
                            break;
                        }
                        continue;
                    }
                    if ring.len() <= 400 && self_intersects(&ring) {
                        issue("面的边界自相交，按奇偶规则填充 / a polygon ring crosses itself; filled with the even-odd rule".to_owned());
                    }
                    kept.push(ring);
                }
                if !kept.is_empty() {
                    out.push(kept);
                }
            }
            (!out.is_empty()).then_some(Shape::Polygons(out))
        }
        Shape::Points(points) => {
            if layer != LayerKind::Pois {
                issue(format!(
                    "此图层应为{}，却是点，已跳过 / this layer takes {wants}, not points; skipped",
                    zh_kind(wants)
                ));
                return None;
            }
            (!points.is_empty()).then_some(Shape::Points(points))
        }
    }
}

fn zh_kind(wants: &str) -> &'static str {
    match wants {
        "lines" => "线",
        "polygons" => "面",
        "points" => "点",
        _ => "面或线",
    }
}

/// Drops consecutive repeated points.
fn dedup(mut pts: Vec<Merc>) -> Vec<Merc> {
    pts.dedup();
    pts
}

/// True when two non-adjacent edges of a closed ring cross (O(n²): small rings only).
fn self_intersects(ring: &[Merc]) -> bool {
    let n = ring.len() - 1; // edges; the last point repeats the first
    for i in 0..n {
        for j in i + 2..n {
            if i == 0 && j == n - 1 {
                continue; // these two share the closing point
            }
            if segments_cross(ring[i], ring[i + 1], ring[j], ring[j + 1]) {
                return true;
            }
        }
    }
    false
}

fn segments_cross(a: Merc, b: Merc, c: Merc, d: Merc) -> bool {
    let orient =
        |p: Merc, q: Merc, r: Merc| (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
    let (d1, d2) = (orient(a, b, c), orient(a, b, d));
    let (d3, d4) = (orient(c, d, a), orient(c, d, b));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

pub(super) fn shape_bbox(shape: &Shape) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut add = |p: &Merc| {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    };
    match shape {
        Shape::Lines(ls) => ls.iter().flatten().for_each(&mut add),
        Shape::Polygons(ps) => ps.iter().flatten().flatten().for_each(&mut add),
        Shape::Points(ps) => ps.iter().for_each(&mut add),
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str, layer: LayerKind) -> (Result<Vec<Feature>, BuildError>, Vec<Issue>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("layer.geojson");
        std::fs::write(&p, text).unwrap();
        let mut issues = Vec::new();
        let r = load(&p, layer, &mut issues);
        (r, issues)
    }

    fn fc(features: &str) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
    }

    #[test]
    fn an_empty_file_is_an_error_naming_the_file() {
        let (r, _) = load_str("  \n", LayerKind::Roads);
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("the file is empty") && e.contains("layer.geojson"),
            "{e}"
        );
    }

    #[test]
    fn broken_json_says_where() {
        let (r, _) = load_str(
            "{\"type\": \"FeatureCollection\",\n \"features\": [",
            LayerKind::Roads,
        );
        let e = r.unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn a_bare_geometry_is_the_wrong_geojson_type() {
        let (r, _) = load_str(
            r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#,
            LayerKind::Roads,
        );
        assert!(r.unwrap_err().to_string().contains("`LineString`"));
    }

    #[test]
    fn features_without_geometry_or_with_one_point_are_skipped_and_named() {
        let text = fc(r#"
            {"type":"Feature","properties":{"name":"甲路"},"geometry":null},
            {"type":"Feature","properties":{"name":"乙路"},"geometry":{"type":"LineString","coordinates":[[121.5,25.0]]}},
            {"type":"Feature","properties":{"name":"丙路"},"geometry":{"type":"LineString","coordinates":[[121.5,25.0],[121.5,25.0]]}},
            {"type":"Feature","id":7,"properties":{"name":"丁路"},"geometry":{"type":"LineString","coordinates":[[121.5,25.0],[121.6,25.0]]}}"#);
        let (r, issues) = load_str(&text, LayerKind::Roads);
        let feats = r.unwrap();
        assert_eq!(feats.len(), 1);
        assert_eq!(feats[0].props.name.as_deref(), Some("丁路"));
        assert_eq!(issues.len(), 3);
        assert!(
            issues[0].to_string().contains("甲路") && issues[0].message.contains("no geometry")
        );
        assert!(issues[1].to_string().contains("#2"));
    }

    #[test]
    fn out_of_range_coordinates_are_named() {
        let text = fc(
            r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[121.5,25.0],[12150000,2500000]]}}"#,
        );
        let (r, issues) = load_str(&text, LayerKind::Roads);
        assert!(r.unwrap().is_empty());
        assert!(issues[0].message.contains("out of range"), "{issues:?}");
    }

    #[test]
    fn unclosed_and_self_intersecting_polygons_are_repaired_or_reported() {
        let text = fc(r#"
            {"type":"Feature","properties":{"name":"open"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}},
            {"type":"Feature","properties":{"name":"bowtie"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}},
            {"type":"Feature","properties":{"name":"sliver"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}}"#);
        let (r, issues) = load_str(&text, LayerKind::Landuse);
        assert_eq!(r.unwrap().len(), 2);
        let all: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert!(
            all.iter()
                .any(|m| m.contains("open") && m.contains("not closed")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.contains("bowtie") && m.contains("crosses itself")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|m| m.contains("sliver") && m.contains("fewer than three")),
            "{all:?}"
        );
    }

    #[test]
    fn the_wrong_geometry_for_a_layer_is_skipped() {
        let text = fc(
            r#"{"type":"Feature","properties":{"name":"p"},"geometry":{"type":"Point","coordinates":[121.5,25.0]}}"#,
        );
        let (r, issues) = load_str(&text, LayerKind::Roads);
        assert!(r.unwrap().is_empty());
        assert!(issues[0].message.contains("not points"));
    }
}
