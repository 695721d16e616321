//! Label placement, once per zoom level, in global pixel space: every tile then draws the labels
//! that touch it, so neighbouring tiles agree to the pixel and no label is cut at a tile edge.
//!
//! Street names follow the road: along gentle roads the characters are turned to the road's
//! direction and read left to right (never upside down); along steep roads they stand upright,
//! stacked top to bottom, as Chinese maps print them. Names repeat along long roads, no two
//! labels overlap, and more important roads are placed first.

use std::collections::{BTreeMap, HashMap};

use super::font::LabelFont;
use super::geojson::Merc;
use super::style::{self, Rgba, RoadClass};

/// One character of a label, placed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedGlyph {
    /// The character.
    pub c: char,
    /// Centre, global pixels.
    pub x: f64,
    /// Centre, global pixels.
    pub y: f64,
    /// Rotation in radians (0 = upright).
    pub angle: f32,
}

/// What a label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    /// A street.
    Road,
    /// A park or water body.
    Area,
    /// A point of interest, with a dot.
    Poi,
}

/// A placed label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The text.
    pub text: String,
    /// What it names.
    pub kind: LabelKind,
    /// Characters.
    pub glyphs: Vec<PlacedGlyph>,
    /// Font size in pixels.
    pub size_px: f32,
    /// Text colour.
    pub color: Rgba,
    /// Collision boxes `[min x, min y, max x, max y]`, global pixels.
    pub boxes: Vec<[f64; 4]>,
    /// Everything drawn, halo included.
    pub bbox: [f64; 4],
    /// A POI's dot.
    pub dot: Option<(f64, f64)>,
}

/// A road line to label.
#[derive(Debug, Clone)]
pub struct NamedLine {
    /// The name.
    pub name: String,
    /// Its class.
    pub class: RoadClass,
    /// Points, normalised Mercator.
    pub points: Vec<Merc>,
}

/// A named point (POI) or area anchor.
#[derive(Debug, Clone)]
pub struct NamedPoint {
    /// The name.
    pub name: String,
    /// Position, normalised Mercator.
    pub at: Merc,
    /// Lower = more important.
    pub rank: u8,
    /// For areas: the area's width in normalised Mercator (the label must fit in it).
    pub width: f64,
    /// Label colour.
    pub color: Rgba,
}

/// Everything the labeller needs.
#[derive(Debug, Clone, Default)]
pub struct LabelInput {
    /// Named roads.
    pub roads: Vec<NamedLine>,
    /// Named areas (parks, water), anchored at their centre.
    pub areas: Vec<NamedPoint>,
    /// Named POIs.
    pub pois: Vec<NamedPoint>,
}

/// Joins road pieces that share an end point (OSM splits streets at every junction) into longer
/// lines, per name; deterministic.
#[must_use]
pub fn join_lines(lines: Vec<NamedLine>) -> Vec<NamedLine> {
    let key = |p: &Merc| ((p[0] * 1e9).round() as i64, (p[1] * 1e9).round() as i64);
    let mut by_name: BTreeMap<String, Vec<NamedLine>> = BTreeMap::new();
    for l in lines {
        by_name.entry(l.name.clone()).or_default().push(l);
    }
    let mut out = Vec::new();
    for (_, mut group) in by_name {
        let mut used = vec![false; group.len()];
        let mut ends: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        for (i, l) in group.iter().enumerate() {
            if let (Some(a), Some(b)) = (l.points.first(), l.points.last()) {
                ends.entry(key(a)).or_default().push(i);
                ends.entry(key(b)).or_default().push(i);
            }
        }
        for start in 0..group.len() {
            if used[start] {
                continue;
            }
            used[start] = true;
            let mut chain = std::mem::take(&mut group[start].points);
            let mut class = group[start].class;
            for forward in [true, false] {
                loop {
                    let end = if forward { chain.last() } else { chain.first() };
                    let Some(end) = end.copied() else { break };
                    let next = ends
                        .get(&key(&end))
                        .and_then(|c| c.iter().copied().find(|&j| !used[j]));
                    let Some(j) = next else { break };
                    used[j] = true;
                    class = class.min(group[j].class);
                    let mut pts = std::mem::take(&mut group[j].points);
                    let joins_at_start = pts.first().map(key) == Some(key(&end));
                    if forward {
                        if !joins_at_start {
                            pts.reverse();
                        }
                        chain.extend(pts.into_iter().skip(1));
                    } else {
                        if joins_at_start {
                            pts.reverse();
                        }
                        pts.pop();
                        pts.extend(chain);
                        chain = pts;
                    }
                }
            }
            out.push(NamedLine {
                name: group[start].name.clone(),
                class,
                points: chain,
            });
        }
    }
    out
}

/// A polyline in global pixels with cumulative lengths.
struct PxLine {
    pts: Vec<[f64; 2]>,
    cum: Vec<f64>,
}

impl PxLine {
    fn new(points: &[Merc], world_px: f64) -> Self {
        let pts: Vec<[f64; 2]> = points
            .iter()
            .map(|p| [p[0] * world_px, p[1] * world_px])
            .collect();
        let mut cum = Vec::with_capacity(pts.len());
        let mut acc = 0.0;
        for (i, p) in pts.iter().enumerate() {
            if i > 0 {
                acc += (p[0] - pts[i - 1][0]).hypot(p[1] - pts[i - 1][1]);
            }
            cum.push(acc);
        }
        Self { pts, cum }
    }

    fn len(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    fn at(&self, d: f64) -> [f64; 2] {
        let d = d.clamp(0.0, self.len());
        let i = self
            .cum
            .partition_point(|&c| c < d)
            .clamp(1, self.pts.len() - 1);
        let (a, b) = (self.pts[i - 1], self.pts[i]);
        let seg = self.cum[i] - self.cum[i - 1];
        let t = if seg > 0.0 {
            (d - self.cum[i - 1]) / seg
        } else {
            0.0
        };
        [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
    }
}

/// Boxes already taken, bucketed on a grid.
struct Occupied {
    cell: f64,
    grid: HashMap<(i64, i64), Vec<[f64; 4]>>,
}

impl Occupied {
    fn new(cell: f64) -> Self {
        Self {
            cell,
            grid: HashMap::new(),
        }
    }

    fn cells(&self, b: &[f64; 4]) -> impl Iterator<Item = (i64, i64)> + use<> {
        let c = self.cell;
        let (x0, y0) = ((b[0] / c).floor() as i64, (b[1] / c).floor() as i64);
        let (x1, y1) = ((b[2] / c).floor() as i64, (b[3] / c).floor() as i64);
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    }

    fn hits(&self, b: &[f64; 4]) -> bool {
        self.cells(b).any(|k| {
            self.grid
                .get(&k)
                .is_some_and(|v| v.iter().any(|o| overlaps(o, b)))
        })
    }

    fn add(&mut self, b: [f64; 4]) {
        for k in self.cells(&b).collect::<Vec<_>>() {
            self.grid.entry(k).or_default().push(b);
        }
    }
}

/// True when two boxes overlap (touching edges do not count).
#[must_use]
pub fn overlaps(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

fn union(boxes: &[[f64; 4]], pad: f64) -> [f64; 4] {
    let mut u = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for b in boxes {
        u = [
            u[0].min(b[0]),
            u[1].min(b[1]),
            u[2].max(b[2]),
            u[3].max(b[3]),
        ];
    }
    [u[0] - pad, u[1] - pad, u[2] + pad, u[3] + pad]
}

/// Font size of street labels in pixels for 256 px tiles.
fn road_font_px(class: RoadClass, z: u8) -> f32 {
    let base = if z >= 16 { 13.0 } else { 12.0 };
    if class <= RoadClass::Primary {
        base + 1.0
    } else {
        base
    }
}

/// Places every label of zoom `z` (tiles of `tile_px` pixels). Deterministic for the same input.
#[must_use]
pub fn place(input: &LabelInput, z: u8, tile_px: u32, font: &LabelFont) -> Vec<Label> {
    let scale = f64::from(tile_px) / 256.0;
    let world = f64::from(tile_px) * f64::from(1u32 << z);
    let mut occupied = Occupied::new(64.0 * scale);
    let mut same_name: HashMap<&str, Vec<(f64, f64)>> = HashMap::new();
    let mut out = Vec::new();

    // Roads: most important first, then longest, then by name.
    let mut roads: Vec<(&NamedLine, PxLine)> = input
        .roads
        .iter()
        .filter(|r| z >= r.class.label_min_zoom() && r.points.len() >= 2)
        .map(|r| (r, PxLine::new(&r.points, world)))
        .collect();
    roads.sort_by(|a, b| {
        a.0.class
            .cmp(&b.0.class)
            .then(b.1.len().total_cmp(&a.1.len()))
            .then(a.0.name.cmp(&b.0.name))
    });
    for (road, line) in &roads {
        let size = f64::from(road_font_px(road.class, z)) * scale;
        let chars: Vec<char> = road.name.chars().filter(|c| !c.is_whitespace()).collect();
        if chars.is_empty() {
            continue;
        }
        let advances: Vec<f64> = chars
            .iter()
            .map(|&c| f64::from(font.advance(c)).max(0.3) * size * 1.04)
            .collect();
        let text_len: f64 = advances.iter().sum();
        let stacked_len = size * 1.06 * chars.len() as f64;
        let len = line.len();
        if len < text_len.min(stacked_len) + size {
            continue;
        }
        let repeat = (text_len * 2.5).max(300.0 * scale);
        let count = ((len / repeat).floor() as usize).max(1);
        for i in 0..count {
            let centre = (i as f64 + 0.5) * len / count as f64;
            for shift in [0.0, 0.25, -0.25, 0.4, -0.4] {
                let c = centre + shift * repeat.min(len / count as f64);
                let Some(label) = road_label(road, line, c, &chars, &advances, size, scale) else {
                    continue;
                };
                let mid = label.glyphs[label.glyphs.len() / 2];
                let spaced = same_name.get(road.name.as_str()).is_none_or(|v| {
                    v.iter()
                        .all(|&(x, y)| (x - mid.x).hypot(y - mid.y) > repeat * 0.6)
                });
                if !spaced || label.boxes.iter().any(|b| occupied.hits(b)) {
                    continue;
                }
                for b in &label.boxes {
                    occupied.add(*b);
                }
                same_name
                    .entry(road.name.as_str())
                    .or_default()
                    .push((mid.x, mid.y));
                out.push(label);
                break;
            }
        }
    }

    // Areas from zoom 15, POIs from zoom 17.
    let mut points: Vec<(&NamedPoint, LabelKind)> = Vec::new();
    if z >= 15 {
        points.extend(input.areas.iter().map(|a| (a, LabelKind::Area)));
    }
    if z >= 17 {
        points.extend(input.pois.iter().map(|p| (p, LabelKind::Poi)));
    }
    points.sort_by(|a, b| {
        (a.1 == LabelKind::Poi)
            .cmp(&(b.1 == LabelKind::Poi))
            .then(a.0.rank.cmp(&b.0.rank))
            .then(b.0.width.total_cmp(&a.0.width))
            .then(a.0.name.cmp(&b.0.name))
            .then(a.0.at[0].total_cmp(&b.0.at[0]))
            .then(a.0.at[1].total_cmp(&b.0.at[1]))
    });
    for (p, kind) in points {
        let size = if kind == LabelKind::Poi { 11.0 } else { 12.0 } * scale;
        let chars: Vec<char> = p.name.chars().filter(|c| !c.is_whitespace()).collect();
        if chars.is_empty() || chars.len() > 16 {
            continue;
        }
        let advances: Vec<f64> = chars
            .iter()
            .map(|&c| f64::from(font.advance(c)).max(0.3) * size)
            .collect();
        let text_len: f64 = advances.iter().sum();
        let (px, py) = (p.at[0] * world, p.at[1] * world);
        if kind == LabelKind::Area && text_len > p.width * world * 0.9 {
            continue;
        }
        let (x0, dot) = if kind == LabelKind::Poi {
            (px + 5.0 * scale, Some((px, py)))
        } else {
            (px - text_len / 2.0, None)
        };
        let mut glyphs = Vec::with_capacity(chars.len());
        let mut x = x0;
        for (&c, &a) in chars.iter().zip(&advances) {
            glyphs.push(PlacedGlyph {
                c,
                x: x + a / 2.0,
                y: py,
                angle: 0.0,
            });
            x += a;
        }
        let h = size * 0.6;
        let mut b = [x0, py - h, x0 + text_len, py + h];
        if dot.is_some() {
            b[0] = px - 3.0 * scale;
        }
        if occupied.hits(&b) {
            continue;
        }
        occupied.add(b);
        out.push(Label {
            text: p.name.clone(),
            kind,
            glyphs,
            size_px: size as f32,
            color: p.color,
            bbox: union(&[b], 3.0 * scale),
            boxes: vec![b],
            dot,
        });
    }
    out
}

/// A road label centred at distance `centre` along the line, or `None` when it does not fit
/// there (too near an end, or the road bends too much under it).
fn road_label(
    road: &NamedLine,
    line: &PxLine,
    centre: f64,
    chars: &[char],
    advances: &[f64],
    size: f64,
    scale: f64,
) -> Option<Label> {
    let len = line.len();
    let text_len: f64 = advances.iter().sum();
    // Direction of the road under the label decides the mode.
    let (a, b) = (
        line.at(centre - text_len / 2.0),
        line.at(centre + text_len / 2.0),
    );
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let stacked = dy.abs() > dx.abs() * 1.3;
    let step: Vec<f64> = if stacked {
        vec![size * 1.06; chars.len()]
    } else {
        advances.to_vec()
    };
    let total: f64 = step.iter().sum();
    let start = centre - total / 2.0;
    if start < size * 0.3 || start + total > len - size * 0.3 {
        return None;
    }
    // Reading direction: left to right, or top to bottom when stacked.
    let reverse = if stacked { dy < 0.0 } else { dx < 0.0 };
    let pos = |d: f64| {
        if reverse {
            line.at(len - d)
        } else {
            line.at(d)
        }
    };
    let start = if reverse {
        len - (start + total)
    } else {
        start
    };
    let mut glyphs = Vec::with_capacity(chars.len());
    let mut boxes = Vec::with_capacity(chars.len());
    let mut d = start;
    let mut prev_angle: Option<f64> = None;
    for (&c, &s) in chars.iter().zip(&step) {
        let mid = d + s / 2.0;
        let p = pos(mid);
        let angle = if stacked {
            0.0
        } else {
            let (p0, p1) = (pos(mid - s / 2.0), pos(mid + s / 2.0));
            (p1[1] - p0[1]).atan2(p1[0] - p0[0])
        };
        if let Some(pa) = prev_angle {
            let mut diff = (angle - pa).abs();
            if diff > std::f64::consts::PI {
                diff = 2.0 * std::f64::consts::PI - diff;
            }
            if diff > 0.6 {
                return None; // a sharp bend: characters would collide or read badly
            }
        }
        prev_angle = Some(angle);
        let h = size * 0.5 * (angle.cos().abs() + angle.sin().abs()).min(1.25) + scale;
        boxes.push([p[0] - h, p[1] - h, p[0] + h, p[1] + h]);
        glyphs.push(PlacedGlyph {
            c,
            x: p[0],
            y: p[1],
            angle: angle as f32,
        });
        d += s;
    }
    if !stacked {
        // Never upside down: the whole label reads left to right.
        let first = glyphs.first()?;
        let last = glyphs.last()?;
        if last.x < first.x {
            return None;
        }
    }
    Some(Label {
        text: road.name.clone(),
        kind: LabelKind::Road,
        bbox: union(&boxes, 3.0 * scale),
        glyphs,
        size_px: size as f32,
        color: style::LABEL,
        boxes,
        dot: None,
    })
}
