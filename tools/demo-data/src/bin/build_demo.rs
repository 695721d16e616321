//! Builds the bundled demo dataset (`data/demo/`) from the OpenStreetMap extract of central Taipei.
//!
//! Run from the repository root:
//!
//! ```text
//! cargo run --release -p lamppost-demo-data --bin build_demo -- ../shared/data/taipei-osm data/demo
//! ```
//!
//! Steps: read the roads, cut every feature back to its own vector tile (the two tiles overlap),
//! join the pieces of each street name into one centre line (the two carriageways of a divided
//! road become one line in the middle), keep the 52 longest, place synthetic poles on both sides
//! at one spacing, pick 1,026 of them as "surveyed", describe each pole (address, cross street,
//! landmark, patrol zone) and write `streets.csv`, `poles.csv`, `meta.csv` and `README.md`.
//! The output is byte-identical on every run: no hash-map order and no clock reach it, and the
//! randomness comes from a fixed-seed splitmix64.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use geojson::{FeatureReader, GeometryValue, Position};
use lamppost_core::geo::{
    LatLon, LocalPlane, Polyline, Xy, parse_wkt_linestring, to_wkt_linestring,
};
use lamppost_core::model::{CANONICAL_HEADER, STREETS_HEADER, Side};
use lamppost_demo_data::synth::Rng;
use serde_json::Value;

type Res<T> = Result<T, Box<dyn Error>>;

/// The command that rebuilds the dataset, recorded in `meta.csv` and the README.
const COMMAND: &str = "cargo run --release -p lamppost-demo-data --bin build_demo -- ../shared/data/taipei-osm data/demo";

const N_STREETS: usize = 52;
const POLES_MIN: usize = 4000;
const POLES_MAX: usize = 4200;
const POLES_TARGET: usize = 4100;
const SURVEYED: usize = 1026;
const NO_SURVEY_STREETS: usize = 6;
const SEED: u64 = 0x1a3b_5c7d_9e0f_2468;

/// The two zoom-14 tiles the extract was decoded from, and the latitude of their shared edge
/// (the southern edge of y = 7013 in Web Mercator). Each tile keeps only its own side of it.
const NORTH_TILE: &str = "14/13722/7013";
const SOUTH_TILE: &str = "14/13722/7014";
const TILE_EDGE_LAT_DEG: f64 = 25.045_792_240_303_44;

/// Road classes that carry a street with lamp posts. Footways, cycleways, paths, steps,
/// pedestrian areas, tracks, service roads and `*_link` ramps are left out.
const STREET_HIGHWAYS: [&str; 8] = [
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "unclassified",
    "residential",
    "living_street",
    "road",
];
/// Names that are not surface streets: elevated roads, underground malls, and the bus lane in
/// the median of 重慶北路 (it would double that street's poles).
const EXCLUDED_NAME_PARTS: [&str; 3] = ["高架", "地下街", "公車專用道"];
/// Endings of the names that can be given as a cross street.
const CROSS_NAME_ENDINGS: [&str; 7] = ["路", "街", "段", "巷", "弄", "大道", "圓環"];

/// Pieces whose ends are this close are joined (coordinates are quantised to about 0.6 m).
const JOIN_TOL_M: f64 = 4.0;
/// Sharpest bend allowed where two pieces of one street join.
const MAX_TURN_DEG: f64 = 50.0;
/// Sharpest bend allowed where the street's pieces meet with no other piece of it there.
const MAX_DOGLEG_DEG: f64 = 120.0;
/// A dead end may jump a gap this long (a roundabout or an unnamed junction) to a piece that
/// continues it straight ahead.
const MAX_GAP_M: f64 = 120.0;
const MAX_GAP_LATERAL_M: f64 = 10.0;
const MAX_GAP_TURN_DEG: f64 = 25.0;
/// Length of the end of a piece used to measure its direction there.
const END_DIR_M: f64 = 15.0;
/// Cross sections of a street: step along it, how far sideways to look for the other
/// carriageway, and how parallel a line must be to count as one.
const SECTION_STEP_M: f64 = 4.0;
const SECTION_REACH_M: f64 = 50.0;
const PARALLEL_DEG: f64 = 30.0;
const TANGENT_M: f64 = 10.0;
/// How many times the line is moved to the middle of the lines around it.
const CENTRING_PASSES: usize = 2;
/// Half-window, in sections, of the running mean that smooths the centre line's points.
const POINT_SMOOTH: usize = 3;
/// Douglas-Peucker tolerance for the written centre lines.
const SIMPLIFY_M: f64 = 1.0;
/// A pole stands half the carriageway separation plus this far from the centre line, at least
/// `MIN_OFFSET_M` (half a typical road) and at most `MAX_OFFSET_M`.
const KERB_M: f64 = 6.0;
const MIN_OFFSET_M: f64 = 8.0;
const MAX_OFFSET_M: f64 = 30.0;
/// A street ending this close to another road meets it there.
const END_REACH_M: f64 = 15.0;
/// Surveyed positions are the placed position moved by up to this much.
const SURVEY_NOISE_M: f64 = 1.0;
/// The landmark is the nearest named POI within this distance.
const LANDMARK_RADIUS_M: f64 = 150.0;
/// POI kinds that make no landmark.
const NO_LANDMARK: [&str; 5] = [
    "vending_machine",
    "parking_entrance",
    "atm",
    "information",
    "waste_basket",
];
/// Bounding box every surveyed pole must fall in (lon, lat).
const BBOX: [f64; 4] = [121.50, 25.02, 121.54, 25.07];

/// District digit and name.
const DISTRICTS: [(u8, &str); 3] = [(1, "中正區"), (2, "大同區"), (3, "中山區")];
/// The district of each place point of `tpe_places.geojson` (one patrol zone per point).
const PLACE_DISTRICT: [(&str, &str); 22] = [
    ("圓環", "大同區"),
    ("大稻埕", "大同區"),
    ("後車頭", "大同區"),
    ("延平", "大同區"),
    ("建成", "大同區"),
    ("小印尼", "中正區"),
    ("台北站前", "中正區"),
    ("南西商圈", "中山區"),
    ("三板橋", "中山區"),
    ("中庄子", "中山區"),
    ("詔安厝", "中山區"),
    ("頂厝庄仔", "中山區"),
    ("中正區", "中正區"),
    ("東門", "中正區"),
    ("光華商場", "中正區"),
    ("博愛特區", "中正區"),
    ("南海學園", "中正區"),
    ("華山", "中正區"),
    ("城內", "中正區"),
    ("龍匣口", "中正區"),
    ("螢橋", "中正區"),
    ("崁頂", "中正區"),
];

// ---------------------------------------------------------------------------------------------
// Small tools: plane vectors (the deterministic PRNG is `synth::Rng`, a splitmix64).

/// A point or vector in the local plane, metres east (`x`) and north (`y`).
#[derive(Debug, Clone, Copy, PartialEq)]
struct P {
    x: f64,
    y: f64,
}

impl P {
    const fn new(x: f64, y: f64) -> Self {
        Self { x, y }
    }
    fn add(self, o: P) -> P {
        P::new(self.x + o.x, self.y + o.y)
    }
    fn sub(self, o: P) -> P {
        P::new(self.x - o.x, self.y - o.y)
    }
    fn scale(self, k: f64) -> P {
        P::new(self.x * k, self.y * k)
    }
    fn dot(self, o: P) -> f64 {
        self.x * o.x + self.y * o.y
    }
    fn cross(self, o: P) -> f64 {
        self.x * o.y - self.y * o.x
    }
    fn len(self) -> f64 {
        self.x.hypot(self.y)
    }
    fn dist(self, o: P) -> f64 {
        self.sub(o).len()
    }
    fn unit(self) -> P {
        let l = self.len();
        if l > 1e-12 {
            self.scale(1.0 / l)
        } else {
            P::new(1.0, 0.0)
        }
    }
    /// The unit normal to the left of this direction.
    fn left(self) -> P {
        P::new(-self.y, self.x)
    }
}

fn cos_deg(deg: f64) -> f64 {
    deg.to_radians().cos()
}

/// A polyline in the plane with its cumulative lengths, for measuring along it.
struct Line {
    pts: Vec<P>,
    cum: Vec<f64>,
}

impl Line {
    fn new(pts: Vec<P>) -> Self {
        let mut cum = Vec::with_capacity(pts.len());
        let mut total = 0.0;
        for (i, p) in pts.iter().enumerate() {
            if i > 0 {
                total += p.dist(pts[i - 1]);
            }
            cum.push(total);
        }
        Self { pts, cum }
    }
    fn length(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }
    fn at(&self, along: f64) -> P {
        let n = self.pts.len();
        if n < 2 {
            return self.pts.first().copied().unwrap_or(P::new(0.0, 0.0));
        }
        let s = along.clamp(0.0, self.length());
        let i = self.cum.partition_point(|c| *c <= s).clamp(1, n - 1);
        let seg = self.cum[i] - self.cum[i - 1];
        let t = if seg > 1e-12 {
            (s - self.cum[i - 1]) / seg
        } else {
            0.0
        };
        self.pts[i - 1].add(self.pts[i].sub(self.pts[i - 1]).scale(t))
    }
    /// The direction of travel at `along`, measured over a chord of `2 * TANGENT_M`.
    fn tangent(&self, along: f64) -> P {
        let a = self.at(along - TANGENT_M);
        let b = self.at(along + TANGENT_M);
        b.sub(a).unit()
    }
    /// Along-distance and distance of the nearest point of the line to `q`.
    fn project(&self, q: P) -> (f64, f64) {
        let mut best = (0.0, f64::INFINITY);
        for i in 1..self.pts.len() {
            let start = self.pts[i - 1];
            let seg = self.pts[i].sub(start);
            let len2 = seg.dot(seg);
            let frac = if len2 > 0.0 {
                (q.sub(start).dot(seg) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let dist = q.dist(start.add(seg.scale(frac)));
            if dist < best.1 {
                best = (self.cum[i - 1] + frac * len2.sqrt(), dist);
            }
        }
        best
    }
}

/// Douglas-Peucker simplification (iterative), keeping both ends.
fn simplify(pts: &[P], tol: f64) -> Vec<P> {
    if pts.len() < 3 {
        return pts.to_vec();
    }
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0, pts.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (pa, pb) = (pts[a], pts[b]);
        let seg = pb.sub(pa);
        let l = seg.len();
        let mut worst = (0.0, a);
        for (i, p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d = if l > 1e-12 {
                (seg.cross(p.sub(pa)) / l).abs()
            } else {
                p.dist(pa)
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tol {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    pts.iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// Running median (drops spikes) followed by a running mean (smooths steps).
fn smooth(values: &[f64], median_half: usize, mean_half: usize) -> Vec<f64> {
    let n = values.len();
    let med: Vec<f64> = (0..n)
        .map(|i| {
            let mut w: Vec<f64> =
                values[i.saturating_sub(median_half)..(i + median_half + 1).min(n)].to_vec();
            w.sort_by(f64::total_cmp);
            w[w.len() / 2]
        })
        .collect();
    (0..n)
        .map(|i| {
            let w = &med[i.saturating_sub(mean_half)..(i + mean_half + 1).min(n)];
            w.iter().sum::<f64>() / w.len() as f64
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reading the GeoJSON.

enum Geom {
    Point(LatLon),
    Lines(Vec<Vec<LatLon>>),
    Other,
}

struct Feature {
    props: serde_json::Map<String, Value>,
    geom: Geom,
}

impl Feature {
    /// A property as text; numbers are written out, anything else is empty.
    fn prop(&self, key: &str) -> String {
        match self.props.get(key) {
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        }
    }
}

fn coord(p: &Position) -> Option<LatLon> {
    let &[lon, lat, ..] = p.as_slice() else {
        return None;
    };
    let p = LatLon::new(lat, lon);
    p.is_valid().then_some(p)
}

fn coords(ps: &[Position]) -> Option<Vec<LatLon>> {
    ps.iter().map(coord).collect()
}

/// The features of a GeoJSON file, read one by one by the `geojson` crate's streaming reader.
fn read_features(path: &Path) -> Res<Vec<Feature>> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for f in FeatureReader::from_reader(std::io::BufReader::new(file)).features() {
        let f = f.map_err(|e| format!("not GeoJSON: {e}: {}", path.display()))?;
        let geom = match f.geometry.map(|g| g.value) {
            Some(GeometryValue::Point { coordinates }) => {
                coord(&coordinates).map_or(Geom::Other, Geom::Point)
            }
            Some(GeometryValue::LineString { coordinates }) => {
                coords(&coordinates).map_or(Geom::Other, |l| Geom::Lines(vec![l]))
            }
            Some(GeometryValue::MultiLineString { coordinates }) => coordinates
                .iter()
                .map(|part| coords(part))
                .collect::<Option<Vec<_>>>()
                .map_or(Geom::Other, Geom::Lines),
            _ => Geom::Other,
        };
        out.push(Feature {
            props: f.properties.unwrap_or_default(),
            geom,
        });
    }
    Ok(out)
}

/// Cuts a line back to the half of the map its tile owns, so that what both tiles hold (their
/// overlap buffer) is kept once; the pieces of a way cut at the tile edge then meet end to end.
fn clip_to_own_tile(line: &[LatLon], tile: &str) -> Vec<Vec<LatLon>> {
    let inside = |p: &LatLon| match tile {
        NORTH_TILE => p.lat_deg >= TILE_EDGE_LAT_DEG,
        SOUTH_TILE => p.lat_deg <= TILE_EDGE_LAT_DEG,
        _ => true,
    };
    let cut = |a: &LatLon, b: &LatLon| {
        let t = (TILE_EDGE_LAT_DEG - a.lat_deg) / (b.lat_deg - a.lat_deg);
        LatLon::new(TILE_EDGE_LAT_DEG, a.lon_deg + (b.lon_deg - a.lon_deg) * t)
    };
    let mut out = Vec::new();
    let mut cur: Vec<LatLon> = Vec::new();
    for (i, p) in line.iter().enumerate() {
        if i == 0 {
            if inside(p) {
                cur.push(*p);
            }
            continue;
        }
        let a = &line[i - 1];
        match (inside(a), inside(p)) {
            (true, true) => cur.push(*p),
            (true, false) => {
                cur.push(cut(a, p));
                out.push(std::mem::take(&mut cur));
            }
            (false, true) => {
                cur.push(cut(a, p));
                cur.push(*p);
            }
            (false, false) => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out.retain(|l| l.len() >= 2);
    out
}

// ---------------------------------------------------------------------------------------------
// Streets: pieces of road, joined into one centre line per name.

/// One piece of a named road in the plane, after de-duplication across the tiles.
struct Piece {
    name: String,
    pts: Vec<P>,
    len: f64,
}

/// True for a surface way: not a bridge, a tunnel or anything off ground level.
fn is_on_ground(f: &Feature) -> bool {
    let flag = |k: &str| {
        let v = f.prop(k);
        !v.is_empty() && v != "no"
    };
    let layer = f.prop("layer");
    !flag("bridge") && !flag("tunnel") && (layer.is_empty() || layer == "0")
}

/// A way that can be one of the coded streets.
fn is_street_feature(f: &Feature) -> bool {
    STREET_HIGHWAYS.contains(&f.prop("highway").as_str()) && is_on_ground(f)
}

/// A way that can be named as a cross street: a street, or a lane (巷, 弄), which OSM often
/// tags as a service road. Station driveways, squares and passages are not.
fn is_cross_feature(f: &Feature) -> bool {
    let hw = f.prop("highway");
    let name = f.prop("name");
    (STREET_HIGHWAYS.contains(&hw.as_str()) || hw == "service")
        && is_on_ground(f)
        && !is_excluded_name(&name)
        && CROSS_NAME_ENDINGS.iter().any(|e| name.ends_with(e))
}

fn is_excluded_name(name: &str) -> bool {
    EXCLUDED_NAME_PARTS.iter().any(|p| name.contains(p))
}

/// The named pieces of the road layer that pass `keep`, cut back to their own tile.
fn road_pieces(roads: &[Feature], plane: &LocalPlane, keep: fn(&Feature) -> bool) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for f in roads {
        let name = f.prop("name");
        if name.is_empty() || !keep(f) {
            continue;
        }
        let Geom::Lines(lines) = &f.geom else {
            continue;
        };
        let tile = f.prop("_tile");
        for line in lines {
            for part in clip_to_own_tile(line, &tile) {
                let pts: Vec<P> = part.iter().map(|p| to_p(plane, *p)).collect();
                let len = Line::new(pts.clone()).length();
                if len > 0.5 {
                    pieces.push(Piece {
                        name: name.clone(),
                        pts,
                        len,
                    });
                }
            }
        }
    }
    pieces
}

/// The most common `name:en` of each name (on a tie, the first in sorted order).
fn english_names(roads: &[Feature]) -> BTreeMap<String, String> {
    let mut votes: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for f in roads {
        let (name, en) = (f.prop("name"), f.prop("name:en"));
        if !name.is_empty() && !en.is_empty() {
            *votes.entry(name).or_default().entry(en).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .filter_map(|(name, v)| {
            let best = v
                .into_iter()
                .fold(None::<(String, usize)>, |acc, (e, n)| match acc {
                    Some((_, m)) if m >= n => acc,
                    _ => Some((e, n)),
                })?;
            Some((name, best.0))
        })
        .collect()
}

fn to_p(plane: &LocalPlane, p: LatLon) -> P {
    let xy = plane.to_xy(p);
    P::new(xy.x_m, xy.y_m)
}

fn to_ll(plane: &LocalPlane, p: P) -> LatLon {
    plane.to_latlon(Xy { x_m: p.x, y_m: p.y })
}

/// Entry and exit of a piece travelled forwards (`rev == false`) or backwards.
struct Ends {
    entry: P,
    entry_dir: P,
    exit: P,
    exit_dir: P,
}

/// The direction of travel leaving the start (`at_end == false`) or arriving at the end.
fn end_direction(pts: &[P], at_end: bool) -> P {
    let line = Line::new(pts.to_vec());
    let l = line.length();
    if at_end {
        line.at(l).sub(line.at(l - END_DIR_M)).unit()
    } else {
        line.at(END_DIR_M).sub(line.at(0.0)).unit()
    }
}

fn piece_ends(pts: &[P], rev: bool) -> Ends {
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    let start_dir = end_direction(pts, false);
    let end_dir = end_direction(pts, true);
    if rev {
        Ends {
            entry: last,
            entry_dir: end_dir.scale(-1.0),
            exit: first,
            exit_dir: start_dir.scale(-1.0),
        }
    } else {
        Ends {
            entry: first,
            entry_dir: start_dir,
            exit: last,
            exit_dir: end_dir,
        }
    }
}

/// Which directed pieces may follow which: `succ[d]` lists `(d2, gap_m)` where a directed piece
/// is `2 * piece + (1 if reversed)`.
fn successors(pieces: &[&[P]]) -> Vec<Vec<(usize, f64)>> {
    let ends: Vec<Ends> = (0..pieces.len() * 2)
        .map(|d| piece_ends(pieces[d / 2], d % 2 == 1))
        .collect();
    // How many other pieces touch the exit of a directed piece.
    let touching = |d: usize| {
        let p = ends[d].exit;
        (0..pieces.len())
            .filter(|j| *j != d / 2)
            .filter(|j| {
                ends[2 * j].entry.dist(p) <= JOIN_TOL_M || ends[2 * j].exit.dist(p) <= JOIN_TOL_M
            })
            .count()
    };
    let mut succ = vec![Vec::new(); ends.len()];
    for (d, s) in succ.iter_mut().enumerate() {
        let (x, dir) = (ends[d].exit, ends[d].exit_dir);
        let degree = touching(d);
        // Where only one other piece goes on, the street itself bends (a dog-leg): allow a
        // sharper turn there. Where several meet, a sharp turn leads onto a connector or the
        // other carriageway, not along the street.
        let max_turn = if degree == 1 {
            MAX_DOGLEG_DEG
        } else {
            MAX_TURN_DEG
        };
        for (d2, e) in ends.iter().enumerate() {
            if d2 / 2 == d / 2 {
                continue;
            }
            let gap = e.entry.sub(x);
            let dist = gap.len();
            let turn = dir.dot(e.entry_dir);
            if dist <= JOIN_TOL_M {
                if turn >= cos_deg(max_turn) {
                    s.push((d2, dist));
                }
            } else if degree == 0
                && dist <= MAX_GAP_M
                && turn >= cos_deg(MAX_TURN_DEG)
                && gap.dot(dir) >= dist * cos_deg(MAX_GAP_TURN_DEG)
                && dir.cross(gap).abs() <= MAX_GAP_LATERAL_M
            {
                s.push((d2, dist));
            }
        }
    }
    succ
}

/// The longest chain of pieces (gaps count half), by depth-first search over simple paths.
fn longest_chain(pieces: &[&[P]], lens: &[f64]) -> Vec<(usize, f64)> {
    struct Search<'a> {
        succ: &'a [Vec<(usize, f64)>],
        lens: &'a [f64],
        used: Vec<bool>,
        path: Vec<(usize, f64)>,
        best: (f64, Vec<(usize, f64)>),
        budget: usize,
    }
    impl Search<'_> {
        fn go(&mut self, d: usize, score: f64) {
            if score > self.best.0 + 1e-9 {
                self.best = (score, self.path.clone());
            }
            if self.budget == 0 {
                return;
            }
            self.budget -= 1;
            for &(d2, gap) in &self.succ[d] {
                if self.used[d2 / 2] {
                    continue;
                }
                self.used[d2 / 2] = true;
                self.path.push((d2, gap));
                self.go(d2, score + self.lens[d2 / 2] + gap / 2.0);
                self.path.pop();
                self.used[d2 / 2] = false;
            }
        }
    }
    let succ = successors(pieces);
    let mut s = Search {
        succ: &succ,
        lens,
        used: vec![false; pieces.len()],
        path: Vec::new(),
        best: (0.0, Vec::new()),
        budget: 400_000,
    };
    for d in 0..pieces.len() * 2 {
        s.used[d / 2] = true;
        s.path.push((d, 0.0));
        s.go(d, lens[d / 2]);
        s.path.pop();
        s.used[d / 2] = false;
    }
    s.best.1
}

/// One cross section of a street: where it is, and how far the parallel lines of the same name
/// reach to the left (`hi`) and right (`lo`, negative) of it.
struct Section {
    along: f64,
    at: P,
    normal: P,
    lo: f64,
    hi: f64,
}

fn sections(line: &Line, others: &[&[P]]) -> Vec<Section> {
    let l = line.length();
    let n = (l / SECTION_STEP_M).ceil().max(1.0) as usize;
    let cos_par = cos_deg(PARALLEL_DEG);
    (0..=n)
        .map(|k| {
            let along = l * k as f64 / n as f64;
            let at = line.at(along);
            let t = line.tangent(along);
            let normal = t.left();
            let (mut lo, mut hi) = (0.0_f64, 0.0_f64);
            for o in others {
                for w in o.windows(2) {
                    let seg = w[1].sub(w[0]);
                    let sl = seg.len();
                    if sl < 1e-9 || (seg.dot(t) / sl).abs() < cos_par {
                        continue;
                    }
                    // at + lambda * normal = w0 + mu * seg
                    let denom = normal.cross(seg);
                    if denom.abs() < 1e-12 {
                        continue;
                    }
                    let r = w[0].sub(at);
                    let lambda = r.cross(seg) / denom;
                    let mu = r.cross(normal) / denom;
                    if (0.0..=1.0).contains(&mu) && lambda.abs() <= SECTION_REACH_M {
                        lo = lo.min(lambda);
                        hi = hi.max(lambda);
                    }
                }
            }
            Section {
                along,
                at,
                normal,
                lo,
                hi,
            }
        })
        .collect()
}

/// Moves a line to the middle of the parallel lines around it (see [`sections`]), smoothed.
fn recentre(line: &Line, others: &[&[P]]) -> Vec<P> {
    let secs = sections(line, others);
    let mids: Vec<f64> = secs.iter().map(|s| f64::midpoint(s.lo, s.hi)).collect();
    let mids = smooth(&mids, 3, 6);
    let moved: Vec<P> = secs
        .iter()
        .zip(&mids)
        .map(|(s, m)| s.at.add(s.normal.scale(*m)))
        .collect();
    // Where the chain hops from one carriageway to the other, the moved points can still
    // kink; a short running mean of the points irons that out (the ends stay put).
    let xs = smooth(
        &moved.iter().map(|p| p.x).collect::<Vec<_>>(),
        0,
        POINT_SMOOTH,
    );
    let ys = smooth(
        &moved.iter().map(|p| p.y).collect::<Vec<_>>(),
        0,
        POINT_SMOOTH,
    );
    let mut out: Vec<P> = xs.into_iter().zip(ys).map(|(x, y)| P::new(x, y)).collect();
    if let (Some(first), Some(last)) = (moved.first(), moved.last()) {
        let n = out.len();
        out[0] = *first;
        out[n - 1] = *last;
    }
    out
}

/// The centre line of one street name, or `None` when it has no usable piece.
fn centre_line(pieces: &[&Piece]) -> Option<Vec<P>> {
    let pts: Vec<&[P]> = pieces.iter().map(|p| p.pts.as_slice()).collect();
    let lens: Vec<f64> = pieces.iter().map(|p| p.len).collect();
    let chain = longest_chain(&pts, &lens);
    if chain.is_empty() {
        return None;
    }
    let mut line: Vec<P> = Vec::new();
    let mut in_chain = vec![false; pieces.len()];
    for (d, gap) in &chain {
        in_chain[d / 2] = true;
        let mut p = pts[d / 2].to_vec();
        if d % 2 == 1 {
            p.reverse();
        }
        let skip = usize::from(!line.is_empty() && *gap <= JOIN_TOL_M);
        line.extend_from_slice(&p[skip..]);
    }
    line.dedup_by(|a, b| a.dist(*b) < 0.05);
    // Move the chain to the middle of the parallel lines of the same name around it: first
    // measured from the chain (one carriageway), then once more from that middle, so that a
    // corridor wider than `SECTION_REACH_M` (side roads beyond the carriageways) is centred too.
    let others: Vec<&[P]> = (0..pieces.len())
        .filter(|i| !in_chain[*i])
        .map(|i| pts[i])
        .collect();
    let mut centre = recentre(&Line::new(line), &others);
    for _ in 1..CENTRING_PASSES {
        centre = recentre(&Line::new(centre), &pts);
    }
    let out = simplify(&centre, SIMPLIFY_M);
    (out.len() >= 2 && Line::new(out.clone()).length() > 1.0).then_some(out)
}

/// Orients a centre line to start at its south end (a north–south street) or west end.
fn orient(mut pts: Vec<P>) -> Vec<P> {
    let v = pts[pts.len() - 1].sub(pts[0]);
    let reverse = if v.x.abs() >= v.y.abs() {
        v.x < 0.0
    } else {
        v.y < 0.0
    };
    if reverse {
        pts.reverse();
    }
    pts
}

// ---------------------------------------------------------------------------------------------
// Places, POIs, junctions.

struct Place {
    name: String,
    at: P,
    district: &'static str,
}

fn read_places(features: &[Feature], plane: &LocalPlane) -> Res<Vec<Place>> {
    let mut out: Vec<Place> = Vec::new();
    for f in features {
        let Geom::Point(p) = f.geom else { continue };
        let name = f.prop("name");
        if name.is_empty() || out.iter().any(|q| q.name == name) {
            continue; // the same point from the other tile
        }
        let district = PLACE_DISTRICT
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| *d)
            .ok_or_else(|| format!("place point without a district in the table: {name}"))?;
        out.push(Place {
            name,
            at: to_p(plane, p),
            district,
        });
    }
    if out.len() != PLACE_DISTRICT.len() {
        return Err(format!(
            "expected {} distinct place points, found {}",
            PLACE_DISTRICT.len(),
            out.len()
        )
        .into());
    }
    Ok(out)
}

fn nearest_place(places: &[Place], p: P) -> &Place {
    let mut best = &places[0];
    for q in places {
        if q.at.dist(p) < best.at.dist(p) {
            best = q;
        }
    }
    best
}

fn district_digit(district: &str) -> Res<u8> {
    DISTRICTS
        .iter()
        .find(|(_, d)| *d == district)
        .map(|(n, _)| *n)
        .ok_or_else(|| format!("unknown district {district}").into())
}

struct Poi {
    name: String,
    at: P,
}

fn read_pois(features: &[Feature], plane: &LocalPlane) -> Vec<Poi> {
    let mut by_name: BTreeMap<String, Vec<P>> = BTreeMap::new();
    let mut out = Vec::new();
    for f in features {
        let Geom::Point(p) = f.geom else { continue };
        let name = f.prop("name");
        let kinds = [f.prop("amenity"), f.prop("tourism"), f.prop("shop")];
        if name.is_empty() || kinds.iter().any(|k| NO_LANDMARK.contains(&k.as_str())) {
            continue;
        }
        let at = to_p(plane, p);
        let seen = by_name.entry(name.clone()).or_default();
        if seen.iter().any(|q| q.dist(at) < 3.0) {
            continue; // the same POI from the other tile
        }
        seen.push(at);
        out.push(Poi { name, at });
    }
    out
}

fn landmark(pois: &[Poi], p: P) -> String {
    let mut best: Option<(&Poi, f64)> = None;
    for q in pois {
        let d = q.at.dist(p);
        if d <= LANDMARK_RADIUS_M && best.is_none_or(|(_, b)| d < b) {
            best = Some((q, d));
        }
    }
    best.map(|(q, _)| q.name.clone()).unwrap_or_default()
}

/// The name without its section (`重慶北路一段` → `重慶北路`): other sections and the lanes of
/// the same road are not its cross streets.
fn base_name(name: &str) -> &str {
    let chars: Vec<(usize, char)> = name.char_indices().collect();
    if chars.len() > 2 && name.ends_with('段') {
        &name[..chars[chars.len() - 2].0]
    } else {
        name
    }
}

/// A place where another named road crosses or meets a street.
struct Junction {
    along: f64,
    name: String,
}

/// Every junction of a street with another named road (any of the road layer, not only the
/// coded streets), by distance along its centre line.
fn junctions(
    line: &Line,
    half_width: &dyn Fn(f64) -> f64,
    name: &str,
    roads: &[Piece],
) -> Vec<Junction> {
    let base = base_name(name);
    let min_sin = 30f64.to_radians().sin();
    let mut hits: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for r in roads {
        if r.name.starts_with(base) {
            continue;
        }
        // It crosses the centre line.
        for w in r.pts.windows(2) {
            let seg = w[1].sub(w[0]);
            for i in 1..line.pts.len() {
                let (a, b) = (line.pts[i - 1], line.pts[i]);
                let ab = b.sub(a);
                let denom = ab.cross(seg);
                if denom.abs() < 1e-12 || (denom / (ab.len() * seg.len())).abs() < min_sin {
                    continue;
                }
                let r0 = w[0].sub(a);
                let t = r0.cross(seg) / denom;
                let u = r0.cross(ab) / denom;
                if (0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u) {
                    hits.entry(&r.name)
                        .or_default()
                        .push(line.cum[i - 1] + t * ab.len());
                }
            }
        }
        // Or the street ends at it.
        for along in [0.0, line.length()] {
            let e = line.at(along);
            let t = line.tangent(along);
            for w in r.pts.windows(2) {
                let seg = w[1].sub(w[0]);
                let l2 = seg.dot(seg);
                if l2 < 1e-9 || (t.cross(seg) / l2.sqrt()).abs() < min_sin {
                    continue;
                }
                let u = (e.sub(w[0]).dot(seg) / l2).clamp(0.0, 1.0);
                if e.dist(w[0].add(seg.scale(u))) <= END_REACH_M {
                    hits.entry(&r.name).or_default().push(along);
                    break;
                }
            }
        }
        // Or it ends at the kerb (a T junction, or a street meeting a divided road).
        for at_end in [false, true] {
            let q = if at_end {
                r.pts[r.pts.len() - 1]
            } else {
                r.pts[0]
            };
            let (along, dist) = line.project(q);
            let dir = end_direction(&r.pts, at_end);
            if dist <= half_width(along) + 12.0 && line.tangent(along).cross(dir).abs() >= min_sin {
                hits.entry(&r.name).or_default().push(along);
            }
        }
    }
    let mut out = Vec::new();
    for (n, mut alongs) in hits {
        alongs.sort_by(f64::total_cmp);
        let mut group: Vec<f64> = Vec::new();
        for a in alongs {
            if group.last().is_some_and(|g| a - g > 40.0) {
                out.push(Junction {
                    along: group.iter().sum::<f64>() / group.len() as f64,
                    name: n.to_owned(),
                });
                group.clear();
            }
            group.push(a);
        }
        if !group.is_empty() {
            out.push(Junction {
                along: group.iter().sum::<f64>() / group.len() as f64,
                name: n.to_owned(),
            });
        }
    }
    out.sort_by(|a, b| {
        a.along
            .total_cmp(&b.along)
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// The compass word for a direction, Traditional as in Taipei addresses.
fn compass_zh(v: P) -> &'static str {
    if v.x.abs() >= v.y.abs() {
        if v.x >= 0.0 { "東" } else { "西" }
    } else if v.y >= 0.0 {
        "北"
    } else {
        "南"
    }
}

/// The side of the street an offset vector points to.
fn compass_side(v: P) -> Side {
    if v.x.abs() >= v.y.abs() {
        if v.x >= 0.0 { Side::East } else { Side::West }
    } else if v.y >= 0.0 {
        Side::North
    } else {
        Side::South
    }
}

// ---------------------------------------------------------------------------------------------
// The dataset.

struct Street {
    code: String,
    digit: u8,
    name: String,
    name_en: String,
    district: &'static str,
    jurisdiction: String,
    line: Line,
    /// Half the separation of the parallel carriageways, per `SECTION_STEP_M`-ish step.
    half: Vec<(f64, f64)>,
    junctions: Vec<Junction>,
    surveyed_any: bool,
}

impl Street {
    fn half_at(&self, along: f64) -> f64 {
        let i = self.half.partition_point(|(a, _)| *a < along);
        let near = |j: usize| self.half.get(j).map(|(a, h)| ((a - along).abs(), *h));
        match (i.checked_sub(1).and_then(near), near(i)) {
            (Some(a), Some(b)) => {
                if a.0 <= b.0 {
                    a.1
                } else {
                    b.1
                }
            }
            (Some(a), None) | (None, Some(a)) => a.1,
            (None, None) => 0.0,
        }
    }
}

struct Pole {
    street: usize,
    no: usize,
    along: f64,
    at: P,
    side: Side,
    surveyed: Option<P>,
    address: String,
    landmark: String,
    cross: String,
    jurisdiction: String,
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(src), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: build_demo OSM_DIR OUT_DIR".into());
    };
    let (src, out) = (Path::new(src), Path::new(out));
    let plane = LocalPlane::new(LatLon::new(25.045, 121.52));
    let roads = read_features(&src.join("tpe_roads.geojson"))?;
    let pois = read_pois(&read_features(&src.join("tpe_pois.geojson"))?, &plane);
    let places = read_places(&read_features(&src.join("tpe_places.geojson"))?, &plane)?;
    let pieces = road_pieces(&roads, &plane, is_street_feature);
    let cross_pieces = road_pieces(&roads, &plane, is_cross_feature);
    let name_en = english_names(&roads);
    println!(
        "read {} road features -> {} named street pieces, {} cross-street pieces; {} POIs; \
         {} place points",
        roads.len(),
        pieces.len(),
        cross_pieces.len(),
        pois.len(),
        places.len()
    );

    let mut streets = pick_streets(&pieces, &name_en, &places)?;
    for s in &mut streets {
        let same: Vec<&[P]> = pieces
            .iter()
            .filter(|p| p.name == s.name)
            .map(|p| p.pts.as_slice())
            .collect();
        let secs = sections(&s.line, &same);
        let halves: Vec<f64> = secs.iter().map(|x| x.hi.max(-x.lo)).collect();
        let halves = smooth(&halves, 3, 6);
        s.half = secs.iter().zip(halves).map(|(x, h)| (x.along, h)).collect();
        let s_ref: &Street = s;
        let js = junctions(
            &s_ref.line,
            &|a| s_ref.half_at(a),
            &s_ref.name,
            &cross_pieces,
        );
        s.junctions = js;
        if s.junctions.is_empty() {
            return Err(format!("no cross street found for {}", s.name).into());
        }
    }

    let spacing = choose_spacing(&streets)?;
    let mut poles = place_poles(&streets, spacing);
    let mut rng = Rng::new(SEED);
    choose_survey(&mut streets, &mut poles, &mut rng)?;
    for p in &mut poles {
        describe(p, &streets[p.street], &pois, &places);
    }

    std::fs::create_dir_all(out)?;
    write_streets(&out.join("streets.csv"), &streets, &plane)?;
    write_poles(&out.join("poles.csv"), &streets, &poles, &plane)?;
    write_meta(&out.join("meta.csv"))?;
    let readme = readme(&streets, &poles, spacing);
    std::fs::write(out.join("README.md"), readme)?;
    check(&streets, &poles, &plane)?;
    summary(&streets, &poles, spacing);
    Ok(())
}

/// The 52 longest street names, numbered by district and then by length.
fn pick_streets(
    pieces: &[Piece],
    name_en: &BTreeMap<String, String>,
    places: &[Place],
) -> Res<Vec<Street>> {
    let mut by_name: BTreeMap<&str, Vec<&Piece>> = BTreeMap::new();
    for p in pieces {
        if !is_excluded_name(&p.name) {
            by_name.entry(&p.name).or_default().push(p);
        }
    }
    let mut ranked: Vec<(f64, &str, Vec<P>)> = by_name
        .iter()
        .filter_map(|(name, ps)| {
            let c = centre_line(ps)?;
            Some((Line::new(c.clone()).length(), *name, c))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    ranked.truncate(N_STREETS);
    if ranked.len() < N_STREETS {
        return Err(format!("only {} usable street names", ranked.len()).into());
    }
    let mut streets = Vec::new();
    for (_, name, pts) in ranked {
        let line = Line::new(orient(pts));
        let mid = nearest_place(places, line.at(line.length() / 2.0));
        streets.push(Street {
            code: String::new(),
            digit: district_digit(mid.district)?,
            name: name.to_owned(),
            name_en: name_en.get(name).cloned().unwrap_or_default(),
            district: mid.district,
            jurisdiction: format!("{}辖区", mid.name),
            line,
            half: Vec::new(),
            junctions: Vec::new(),
            surveyed_any: false,
        });
    }
    streets.sort_by(|a, b| {
        a.digit
            .cmp(&b.digit)
            .then_with(|| b.line.length().total_cmp(&a.line.length()))
            .then_with(|| a.name.cmp(&b.name))
    });
    for (i, s) in streets.iter_mut().enumerate() {
        s.code = format!("{:02}", i + 1);
    }
    Ok(streets)
}

/// Poles per street at a spacing: pairs at both ends and every `spacing` metres between.
fn pairs_at(len: f64, spacing: f64) -> usize {
    (len / spacing).floor() as usize + 1
}

/// The spacing (in 0.5 m steps) whose pole total is nearest the middle of the allowed range.
fn choose_spacing(streets: &[Street]) -> Res<f64> {
    let mut best: Option<(usize, f64)> = None;
    for step in 20..=160 {
        let spacing = f64::from(step) * 0.5;
        let total: usize = streets
            .iter()
            .map(|s| 2 * pairs_at(s.line.length(), spacing))
            .sum();
        if (POLES_MIN..=POLES_MAX).contains(&total) {
            let miss = total.abs_diff(POLES_TARGET);
            if best.is_none_or(|(m, _)| miss < m) {
                best = Some((miss, spacing));
            }
        }
    }
    best.map(|(_, s)| s)
        .ok_or_else(|| "no spacing between 10 and 80 m gives 4000-4200 poles".into())
}

fn place_poles(streets: &[Street], spacing: f64) -> Vec<Pole> {
    let mut poles = Vec::new();
    for (si, s) in streets.iter().enumerate() {
        let len = s.line.length();
        let k = pairs_at(len, spacing);
        let start = (len - (k - 1) as f64 * spacing) / 2.0;
        for i in 0..k {
            let along = start + i as f64 * spacing;
            let base = s.line.at(along);
            let left = s.line.tangent(along).left();
            let off = (s.half_at(along) + KERB_M).clamp(MIN_OFFSET_M, MAX_OFFSET_M);
            // Odd numbers on the left of the direction of numbering (west of a street numbered
            // northwards, north of one numbered eastwards), even numbers on the right.
            for (no, sign) in [(2 * i + 1, 1.0), (2 * i + 2, -1.0)] {
                let v = left.scale(sign * off);
                poles.push(Pole {
                    street: si,
                    no,
                    along,
                    at: base.add(v),
                    side: compass_side(v),
                    surveyed: None,
                    address: String::new(),
                    landmark: String::new(),
                    cross: String::new(),
                    jurisdiction: String::new(),
                });
            }
        }
    }
    poles
}

/// Marks exactly `SURVEYED` poles as surveyed: no survey at all on a few streets, and on the
/// others runs of poles (survey campaigns) along both sides or along one side only.
fn choose_survey(streets: &mut [Street], poles: &mut [Pole], rng: &mut Rng) -> Res<()> {
    let mut order: Vec<usize> = (0..streets.len()).collect();
    rng.shuffle(&mut order);
    let skipped: BTreeSet<usize> = order[..NO_SURVEY_STREETS].iter().copied().collect();
    let mut by_street: Vec<Vec<usize>> = vec![Vec::new(); streets.len()];
    for (i, p) in poles.iter().enumerate() {
        by_street[p.street].push(i);
    }
    let eligible: usize = (0..streets.len())
        .filter(|s| !skipped.contains(s))
        .map(|s| by_street[s].len())
        .sum();
    let share = SURVEYED as f64 / eligible as f64;
    // Each run is a start and a step within its street's poles: step 1 walks both sides,
    // step 2 one side.
    let mut runs: Vec<(usize, usize, usize, usize)> = Vec::new(); // street, first, step, count
    let mut marked = vec![false; poles.len()];
    for s in 0..streets.len() {
        if skipped.contains(&s) {
            continue;
        }
        let n = by_street[s].len();
        let mut cursor = rng.range(0, 12);
        while cursor < n {
            let both = rng.unit() < 0.6;
            let step = if both { 1 } else { 2 };
            let count = rng.range(4, 14);
            let first = if both {
                cursor
            } else {
                cursor + rng.range(0, 1)
            };
            let mut taken = 0;
            for k in 0..count {
                let j = first + k * step;
                if j < n {
                    marked[by_street[s][j]] = true;
                    taken += 1;
                }
            }
            if taken > 0 {
                runs.push((s, first, step, taken));
            }
            let span = count * step;
            let mean_gap = span as f64 * (1.0 - share) / share;
            cursor += span + rng.range((mean_gap * 0.3) as usize, (mean_gap * 1.7) as usize);
        }
    }
    // Trim or extend runs one pole at a time, in a shuffled order, to hit the exact count.
    let mut count = marked.iter().filter(|m| **m).count();
    let mut turn: Vec<usize> = (0..runs.len()).collect();
    rng.shuffle(&mut turn);
    let mut guard = 0;
    while count != SURVEYED {
        guard += 1;
        if guard > 1_000_000 || runs.is_empty() {
            return Err(format!("cannot reach {SURVEYED} surveyed poles (have {count})").into());
        }
        let r = turn[guard % turn.len()];
        let (s, first, step, taken) = runs[r];
        if count > SURVEYED && taken > 1 {
            marked[by_street[s][first + (taken - 1) * step]] = false;
            runs[r].3 -= 1;
            count -= 1;
        } else if count < SURVEYED {
            let j = first + taken * step;
            if j < by_street[s].len() && !marked[by_street[s][j]] {
                marked[by_street[s][j]] = true;
                runs[r].3 += 1;
                count += 1;
            }
        }
    }
    for (i, p) in poles.iter_mut().enumerate() {
        if marked[i] {
            let angle = rng.unit() * std::f64::consts::TAU;
            let r = rng.unit().sqrt() * SURVEY_NOISE_M;
            p.surveyed = Some(p.at.add(P::new(angle.cos() * r, angle.sin() * r)));
            streets[p.street].surveyed_any = true;
        }
    }
    Ok(())
}

/// Address, cross street, landmark and patrol zone of a pole.
fn describe(p: &mut Pole, s: &Street, pois: &[Poi], places: &[Place]) {
    let mut best = &s.junctions[0];
    for j in &s.junctions {
        if (j.along - p.along).abs() < (best.along - p.along).abs() {
            best = j;
        }
    }
    let dist = ((p.along - best.along).abs() / 10.0).round() * 10.0;
    let mut address = format!("臺北市{}{}（{}口", s.district, s.name, best.name);
    if dist > 0.0 {
        let dir = compass_zh(s.line.at(p.along).sub(s.line.at(best.along)));
        let _ = write!(address, "{dir}側約{dist:.0}米");
    }
    address.push('）');
    p.address = address;
    p.cross.clone_from(&best.name);
    p.landmark = landmark(pois, p.at);
    p.jurisdiction = format!("{}辖区", nearest_place(places, p.at).name);
}

fn csv_writer(path: &Path) -> Res<csv::Writer<std::fs::File>> {
    Ok(csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?)
}

fn line_latlon(s: &Street, plane: &LocalPlane) -> Vec<LatLon> {
    s.line.pts.iter().map(|p| to_ll(plane, *p)).collect()
}

fn write_streets(path: &Path, streets: &[Street], plane: &LocalPlane) -> Res<()> {
    let mut w = csv_writer(path)?;
    w.write_record(STREETS_HEADER)?;
    for s in streets {
        w.write_record([
            s.code.as_str(),
            &s.name,
            &s.name_en,
            s.district,
            &s.jurisdiction,
            &to_wkt_linestring(&line_latlon(s, plane)),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn pole_code(s: &Street, no: usize) -> String {
    format!("{}-{}-{no:04}", s.digit, s.code)
}

fn write_poles(path: &Path, streets: &[Street], poles: &[Pole], plane: &LocalPlane) -> Res<()> {
    let mut w = csv_writer(path)?;
    w.write_record(CANONICAL_HEADER)?;
    for p in poles {
        let s = &streets[p.street];
        let (lat, lon) = p.surveyed.map_or((String::new(), String::new()), |q| {
            let ll = to_ll(plane, q);
            (format!("{:.7}", ll.lat_deg), format!("{:.7}", ll.lon_deg))
        });
        w.write_record([
            pole_code(s, p.no).as_str(),
            &s.code,
            &s.name,
            &p.no.to_string(),
            p.side.zh(),
            &lat,
            &lon,
            &p.address,
            &p.landmark,
            &p.cross,
            &p.jurisdiction,
            "active",
            "",
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn write_meta(path: &Path) -> Res<()> {
    let mut w = csv_writer(path)?;
    w.write_record(["key", "value"])?;
    for (k, v) in [
        ("name", "台北市中心示范数据"),
        ("name_en", "Central Taipei demo"),
        ("attribution", "© OpenStreetMap contributors"),
        ("licence", "ODbL-1.0"),
        (
            "source",
            "Streets, POIs and place points from OpenStreetMap (Protomaps sample tiles \
             14/13722/7013 and 14/13722/7014 of central Taipei); pole codes and positions are \
             synthetic.",
        ),
        ("generated_by", COMMAND),
    ] {
        w.write_record([k, v])?;
    }
    w.flush()?;
    Ok(())
}

fn readme(streets: &[Street], poles: &[Pole], spacing: f64) -> String {
    let surveyed = poles.iter().filter(|p| p.surveyed.is_some()).count();
    let total_km = streets.iter().map(|s| s.line.length()).sum::<f64>() / 1000.0;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Demo dataset: central Taipei (台北市中心示范数据)\n\n\
         A small, realistic dataset to try Lamppost with: {} coded streets of central Taipei\n\
         (中正區, 大同區, 中山區) and {} lamp-post codes, {surveyed} of them with a surveyed position.\n\n\
         **The streets are real, the poles are not.** Street names and centre lines, cross streets,\n\
         landmarks and neighbourhoods come from OpenStreetMap. The pole codes, their numbers and\n\
         their positions are SYNTHETIC: placed along the real streets by a program, not taken\n\
         from real signs. Do not use them for real dispatch.\n",
        streets.len(),
        poles.len()
    );
    let _ = writeln!(
        t,
        "## Files\n\n\
         - `streets.csv`: `{}`; the centre line is WKT (`LINESTRING(lon lat, ...)`, WGS-84)\n  \
           and runs in the direction of numbering.\n\
         - `poles.csv`: the canonical CSV, `{}`.\n  \
           `lat_deg`/`lon_deg` are empty for poles that were never surveyed.\n\
         - `meta.csv`: name, attribution, licence, source, and the command that made it.\n",
        STREETS_HEADER.join(","),
        CANONICAL_HEADER.join(",")
    );
    let _ = writeln!(
        t,
        "## Rebuilding\n\n\
         From the repository root, with the OpenStreetMap extract at `../shared/data/taipei-osm`:\n\n\
         ```sh\n{COMMAND}\n```\n\n\
         The program (`examples/build_demo.rs`) is deterministic: two runs give byte-identical\n\
         files (its randomness is a fixed-seed splitmix64). It prints a summary and stops with an\n\
         error if a sanity check fails. `tests/demo_dataset.rs` checks the committed files.\n"
    );
    readme_method(&mut t, spacing, total_km);
    readme_tables(&mut t, streets, poles);
    let _ = writeln!(
        t,
        "## Licence\n\n\
         Derived from OpenStreetMap data, © OpenStreetMap contributors, available under the\n\
         Open Database License 1.0 (ODbL-1.0, <https://opendatacommons.org/licenses/odbl/1-0/>).\n\
         This dataset is a derivative database and is shared under the ODbL too: keep the\n\
         attribution, and share databases made from it under the same licence.\n\
         Source: the Protomaps sample archive `examples/tpe_sample.pmtiles` of the public\n\
         repository protomaps/PMTiles (commit c8ebe51), tiles 14/13722/7013 and 14/13722/7014."
    );
    t
}

fn readme_method(t: &mut String, spacing: f64, total_km: f64) {
    let _ = writeln!(
        t,
        "## How it was made\n\n\
         1. **Streets.** From `tpe_roads.geojson`, named ways of the classes {} (no\n   \
            footways, cycleways, paths, steps, pedestrian areas, tracks, service roads or\n   \
            `*_link` ramps), without bridges, tunnels and ways off ground level, and without\n   \
            names containing {}. (The last is the bus lane in the median of 重慶北路.)\n\
         2. **Tiles.** The data comes from two vector tiles that overlap. Each feature is cut\n   \
            back to its own tile (north or south of latitude {TILE_EDGE_LAT_DEG:.6}), so\n   \
            what both tiles hold is kept once and ways cut at the tile edge meet end to end.\n\
         3. **One line per name.** The pieces of a name are joined end to end: ends within\n   \
            {JOIN_TOL_M} m, bends under {MAX_TURN_DEG}° (up to {MAX_DOGLEG_DEG}° where nothing\n   \
            else of the name meets, a dog-leg); a dead end may jump a gap of up to {MAX_GAP_M} m\n   \
            to a piece straight ahead, e.g. across a roundabout. The longest such chain is kept,\n   \
            so a name in several far-apart parts keeps its longest part.\n\
         4. **Divided roads.** Every {SECTION_STEP_M} m along the chain, the other lines of the\n   \
            same name that run parallel to it (within {PARALLEL_DEG}°) and lie within\n   \
            {SECTION_REACH_M} m to either side are found, and the line is moved to the middle of\n   \
            the outermost ones (smoothed along the street). This is done twice, the second time\n   \
            from that middle and against all lines of the name, so both carriageways of a\n   \
            divided road, and any side roads beside them, give one line in the middle.\n   \
            Lines are simplified (Douglas-Peucker, {SIMPLIFY_M} m).\n\
         5. **The 52 streets** are the {N_STREETS} longest centre lines, {total_km:.1} km in all.\n   \
            Their district is that of the place point nearest the middle of the line (table\n   \
            below); street codes 01–52 are numbered by district digit (1 中正區, 2 大同區,\n   \
            3 中山區) and, within a district, from the longest street to the shortest.\n\
         6. **Poles.** One spacing for the whole dataset, {spacing:.1} m, chosen (in 0.5 m steps)\n   \
            to bring the total nearest {POLES_TARGET}. Numbering starts at the south end of a\n   \
            street running mainly north–south and at the west end of one running east–west.\n   \
            Poles 1 and 2 stand opposite each other at the start, 3 and 4 one spacing further,\n   \
            and so on, centred on the street. Odd numbers are on the left of the direction of\n   \
            numbering (west or north), even numbers on the right (east or south). A pole\n   \
            stands half the carriageway separation + {KERB_M} m from the centre line, at least\n   \
            {MIN_OFFSET_M} m and at most {MAX_OFFSET_M} m. Its `side` (东/西/南/北) is the compass\n   \
            direction of that offset at the pole, so it is true on the ground even where a\n   \
            street bends.\n\
         7. **Codes.** `D-SS-NNNN`: district digit, street code, pole number (`2-01-0034`).\n   \
            The normalised key is the seven digits.\n\
         8. **Surveyed positions.** Exactly {SURVEYED} poles have a position: {NO_SURVEY_STREETS}\n   \
            streets have no survey at all; on the others, runs of 4–14 poles (a survey\n   \
            campaign) along both sides or along one side, with gaps between them, so some\n   \
            unsurveyed poles lie between surveyed ones and others only have surveyed\n   \
            neighbours on one side. A surveyed position is the placed position moved by up to\n   \
            {SURVEY_NOISE_M} m (fixed-seed noise).\n\
         9. **Descriptions.** `cross_street` is the junction with another named road nearest\n   \
            to the pole along the street: any street or lane (巷, 弄; OSM often tags lanes as\n   \
            service roads) of the road layer, not only the 52, but not another section or lane\n   \
            of the same road; a road counts where it crosses the centre line, ends at the kerb,\n   \
            or where the street ends at it. `address` is built from the district, the street\n   \
            and that junction:\n   \
            `臺北市大同區重慶北路一段（南京西路口北側約80米）`, the distance\n   \
            along the street rounded to 10 m. `landmark` is the nearest named POI of\n   \
            `tpe_pois.geojson` within {LANDMARK_RADIUS_M} m (empty if none). `jurisdiction` is\n   \
            the patrol zone: the nearest place point of `tpe_places.geojson` + 辖区, i.e. one\n   \
            patrol zone per neighbourhood (the district point 中正區 counts as one too). A\n   \
            street's jurisdiction is the one at the middle of its centre line.\n",
        STREET_HIGHWAYS.join(", "),
        EXCLUDED_NAME_PARTS.join(", ")
    );
}

fn readme_tables(t: &mut String, streets: &[Street], poles: &[Pole]) {
    let _ = writeln!(
        t,
        "## Districts of the place points\n\n\
         `tpe_places.geojson` has 23 points; 台北站前 is in both tiles, leaving {} patrol zones.\n\
         District digits: 1 = 中正區, 2 = 大同區, 3 = 中山區.\n\n\
         | place point | district |\n|---|---|",
        PLACE_DISTRICT.len()
    );
    for (p, d) in PLACE_DISTRICT {
        let _ = writeln!(t, "| {p} | {d} |");
    }
    let _ = writeln!(
        t,
        "\n## The streets\n\n\
         | code | street | district | length (m) | poles | surveyed |\n|---|---|---|---:|---:|---:|"
    );
    for (i, s) in streets.iter().enumerate() {
        let n = poles.iter().filter(|p| p.street == i).count();
        let sv = poles
            .iter()
            .filter(|p| p.street == i && p.surveyed.is_some())
            .count();
        let _ = writeln!(
            t,
            "| {} | {} | {} | {:.0} | {n} | {sv} |",
            s.code,
            s.name,
            s.district,
            s.line.length()
        );
    }
    let none: Vec<String> = streets
        .iter()
        .filter(|s| !s.surveyed_any)
        .map(|s| format!("{} {}", s.code, s.name))
        .collect();
    let (between, one_side) = survey_neighbours(poles);
    let unsurveyed = poles.iter().filter(|p| p.surveyed.is_none()).count();
    let _ = writeln!(
        t,
        "\nStreets with no survey: {}.\n\n\
         Of the {unsurveyed} unsurveyed poles, {between} have surveyed poles on the same side of\n\
         their street both before and after them, {one_side} on one side only, and the rest\n\
         none (mostly the streets with no survey).\n",
        none.join(", ")
    );
}

/// Sanity checks on what was written; an error names the first problem.
fn check(streets: &[Street], poles: &[Pole], plane: &LocalPlane) -> Res<()> {
    let fail = |m: String| -> Res<()> { Err(m.into()) };
    if streets.len() != N_STREETS {
        return fail(format!("{} streets, want {N_STREETS}", streets.len()));
    }
    if !(POLES_MIN..=POLES_MAX).contains(&poles.len()) {
        return fail(format!(
            "{} poles, want {POLES_MIN}-{POLES_MAX}",
            poles.len()
        ));
    }
    let surveyed = poles.iter().filter(|p| p.surveyed.is_some()).count();
    if surveyed != SURVEYED {
        return fail(format!("{surveyed} surveyed poles, want {SURVEYED}"));
    }
    let mut codes = BTreeSet::new();
    for p in poles {
        let s = &streets[p.street];
        let code = pole_code(s, p.no);
        if !codes.insert(code.clone()) {
            return fail(format!("duplicate code {code}"));
        }
        if p.address.is_empty() || p.cross.is_empty() || p.jurisdiction.is_empty() {
            return fail(format!("pole {code} lacks a description"));
        }
        if let Some(q) = p.surveyed {
            let ll = to_ll(plane, q);
            if !(BBOX[0]..=BBOX[2]).contains(&ll.lon_deg)
                || !(BBOX[1]..=BBOX[3]).contains(&ll.lat_deg)
            {
                return fail(format!("pole {code} lies outside the sample area"));
            }
            // Measure as a reader of the files would: through the written WKT.
            let wkt = to_wkt_linestring(&line_latlon(s, plane));
            let line = Polyline::new(&parse_wkt_linestring(&wkt)?)
                .ok_or_else(|| format!("street {} has no line", s.code))?;
            let d = line.project(ll).offset_m;
            if d > MAX_OFFSET_M + 2.0 * SURVEY_NOISE_M {
                return fail(format!("pole {code} is {d:.1} m from its street"));
            }
        }
    }
    for (i, s) in streets.iter().enumerate() {
        let mine: Vec<&Pole> = poles.iter().filter(|p| p.street == i).collect();
        for (k, p) in mine.iter().enumerate() {
            if p.no != k + 1 {
                return fail(format!("street {} pole numbers are not 1..N", s.code));
            }
        }
        for pair in mine.chunks(2) {
            let [a, b] = pair else {
                return fail(format!("street {} has an odd pole count", s.code));
            };
            let opposite = matches!(
                (a.side, b.side),
                (Side::East, Side::West)
                    | (Side::West, Side::East)
                    | (Side::North, Side::South)
                    | (Side::South, Side::North)
            );
            if !opposite {
                return fail(format!(
                    "street {} poles {} and {} are not opposite",
                    s.code, a.no, b.no
                ));
            }
        }
    }
    Ok(())
}

/// Unsurveyed poles with a surveyed pole on the same side of their street both before and
/// after them, and those with one on one side only.
fn survey_neighbours(poles: &[Pole]) -> (usize, usize) {
    let (mut between, mut one_side) = (0, 0);
    for (i, p) in poles.iter().enumerate() {
        if p.surveyed.is_some() {
            continue;
        }
        let same_side = |q: &Pole| q.street == p.street && q.no % 2 == p.no % 2;
        let before = poles[..i]
            .iter()
            .rev()
            .filter(|q| same_side(q))
            .find_map(|q| q.surveyed);
        let after = poles[i + 1..]
            .iter()
            .filter(|q| same_side(q))
            .find_map(|q| q.surveyed);
        match (before.is_some(), after.is_some()) {
            (true, true) => between += 1,
            (true, false) | (false, true) => one_side += 1,
            _ => {}
        }
    }
    (between, one_side)
}

fn summary(streets: &[Street], poles: &[Pole], spacing: f64) {
    println!("spacing: {spacing:.1} m");
    println!("code  district  length_m  poles  surveyed  name");
    for (i, s) in streets.iter().enumerate() {
        let n = poles.iter().filter(|p| p.street == i).count();
        let sv = poles
            .iter()
            .filter(|p| p.street == i && p.surveyed.is_some())
            .count();
        println!(
            "{}    {}    {:>7.0}  {n:>5}  {sv:>8}  {} ({} vertices, {} junctions)",
            s.code,
            s.district,
            s.line.length(),
            s.name,
            s.line.pts.len(),
            s.junctions.len()
        );
    }
    let surveyed = poles.iter().filter(|p| p.surveyed.is_some()).count();
    let (between, one_side) = survey_neighbours(poles);
    let none: Vec<&str> = streets
        .iter()
        .filter(|s| !s.surveyed_any)
        .map(|s| s.name.as_str())
        .collect();
    println!(
        "totals: {} streets, {} poles, {surveyed} surveyed; unsurveyed between surveyed poles: \
         {between}, with surveyed poles on one side only: {one_side}",
        streets.len(),
        poles.len()
    );
    println!("streets with no survey: {}", none.join(", "));
}
