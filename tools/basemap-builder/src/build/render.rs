//! Drawing one tile with tiny-skia: land use, water, buildings, railways, roads with casing, and
//! the labels placed for its zoom.

use tiny_skia::{
    FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, StrokeDash, Transform,
};

use super::font::LabelFont;
use super::geojson::{Feature, Merc, Shape};
use super::labels::{Label, LabelKind};
use super::style::{self, RailKind, Rgba, RoadClass};
use lamppost_basemap::TileId;

/// A road ready to draw.
#[derive(Debug, Clone)]
pub struct Road {
    /// Class.
    pub class: RoadClass,
    /// OSM `layer`: tunnels below, bridges above.
    pub layer: i32,
    /// Lines.
    pub lines: Vec<Vec<Merc>>,
    /// Box, normalised Mercator.
    pub bbox: [f64; 4],
}

/// A polygon or line with its fill.
#[derive(Debug, Clone)]
pub struct Area {
    /// Fill colour.
    pub fill: Rgba,
    /// The feature.
    pub feature: Feature,
}

/// A railway line.
#[derive(Debug, Clone)]
pub struct Rail {
    /// Above or below ground.
    pub kind: RailKind,
    /// The feature.
    pub feature: Feature,
}

/// Everything to draw, in normalised Web Mercator.
#[derive(Debug, Default)]
pub struct Scene {
    /// Land use, background ones first.
    pub landuse: Vec<Area>,
    /// Water polygons and lines.
    pub water: Vec<Feature>,
    /// Buildings.
    pub buildings: Vec<Feature>,
    /// Railways.
    pub rail: Vec<Rail>,
    /// Roads, sorted by layer then by class (least important first).
    pub roads: Vec<Road>,
    /// Where the data is (normalised Mercator box): land is drawn there and the rest of a tile
    /// stays transparent, so the map beneath (the world overview) shows through.
    pub land: [f64; 4],
}

fn paint(c: Rgba) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(c.0, c.1, c.2, c.3);
    p.anti_alias = true;
    p
}

/// Maps normalised Mercator to this tile's pixels (subtracting in f64 first: at zoom 17 the
/// global pixel numbers are far beyond f32 precision).
#[derive(Clone, Copy)]
struct View {
    world: f64,
    ox: f64,
    oy: f64,
    /// The view in normalised Mercator, with a margin, for culling.
    cull: [f64; 4],
}

impl View {
    fn new(z: u8, origin: (f64, f64), tile_px: u32, size_px: u32, margin_px: f64) -> Self {
        let world = f64::from(tile_px) * f64::from(1u32 << z);
        let (ox, oy) = origin;
        let t = f64::from(size_px);
        Self {
            world,
            ox,
            oy,
            cull: [
                (ox - margin_px) / world,
                (oy - margin_px) / world,
                (ox + t + margin_px) / world,
                (oy + t + margin_px) / world,
            ],
        }
    }

    fn sees(&self, b: &[f64; 4]) -> bool {
        b[0] <= self.cull[2] && self.cull[0] <= b[2] && b[1] <= self.cull[3] && self.cull[1] <= b[3]
    }

    fn px(&self, p: Merc) -> (f32, f32) {
        (
            (p[0] * self.world - self.ox) as f32,
            (p[1] * self.world - self.oy) as f32,
        )
    }

    fn line_path(&self, lines: &[Vec<Merc>]) -> Option<tiny_skia::Path> {
        let mut pb = PathBuilder::new();
        for l in lines {
            for (i, p) in l.iter().enumerate() {
                let (x, y) = self.px(*p);
                if i == 0 {
                    pb.move_to(x, y);
                } else {
                    pb.line_to(x, y);
                }
            }
        }
        pb.finish()
    }

    fn shape_path(&self, shape: &Shape) -> Option<tiny_skia::Path> {
        match shape {
            Shape::Lines(ls) => self.line_path(ls),
            Shape::Polygons(ps) => {
                let mut pb = PathBuilder::new();
                for ring in ps.iter().flatten() {
                    for (i, p) in ring.iter().enumerate() {
                        let (x, y) = self.px(*p);
                        if i == 0 {
                            pb.move_to(x, y);
                        } else {
                            pb.line_to(x, y);
                        }
                    }
                    pb.close();
                }
                pb.finish()
            }
            Shape::Points(_) => None,
        }
    }
}

fn stroke(width: f32) -> Stroke {
    Stroke {
        width,
        line_cap: LineCap::Round,
        line_join: LineJoin::Round,
        ..Stroke::default()
    }
}

/// Renders one tile to RGBA pixels; `None` only for a zero tile size.
#[must_use]
pub fn render_tile(
    scene: &Scene,
    labels: &[&Label],
    font: &LabelFont,
    id: TileId,
    tile_px: u32,
) -> Option<Pixmap> {
    let origin = (
        f64::from(id.x) * f64::from(tile_px),
        f64::from(id.y) * f64::from(tile_px),
    );
    render_window(scene, labels, font, id.z, origin, tile_px)
}

/// Renders a `tile_px` square whose top-left corner is at `origin` in global pixels of zoom `z`
/// (a tile when the origin is a multiple of the tile size; tests use other windows to check
/// that neighbouring tiles agree).
///
/// The square is drawn as the middle of a larger picture, with a buffer of 32 px (×scale) all
/// round, then cut out: lines and labels are then clipped far from the visible pixels, so a tile
/// and its neighbour agree exactly where they meet.
#[must_use]
pub fn render_window(
    scene: &Scene,
    labels: &[&Label],
    font: &LabelFont,
    z: u8,
    origin: (f64, f64),
    tile_px: u32,
) -> Option<Pixmap> {
    let scale = tile_px as f32 / 256.0;
    let buffer = 32 * tile_px / 256;
    let size = tile_px + 2 * buffer;
    let mut pm = Pixmap::new(size, size)?;
    let origin = (origin.0 - f64::from(buffer), origin.1 - f64::from(buffer));
    let view = View::new(z, origin, tile_px, size, 40.0 * f64::from(scale));
    let (x0, y0) = view.px([scene.land[0], scene.land[1]]);
    let (x1, y1) = view.px([scene.land[2], scene.land[3]]);
    let (x0, y0) = (x0.floor().max(-1.0), y0.floor().max(-1.0));
    let (x1, y1) = (
        x1.ceil().min(size as f32 + 1.0),
        y1.ceil().min(size as f32 + 1.0),
    );
    if let Some(r) = tiny_skia::Rect::from_ltrb(x0, y0, x1, y1) {
        let mut land = paint(style::LAND);
        land.anti_alias = false;
        pm.fill_rect(r, &land, Transform::identity(), None);
    }
    let id_tf = Transform::identity();

    // Land use and water.
    for a in scene.landuse.iter().filter(|a| view.sees(&a.feature.bbox)) {
        if let Some(p) = view.shape_path(&a.feature.shape) {
            pm.fill_path(&p, &paint(a.fill), FillRule::EvenOdd, id_tf, None);
        }
    }
    for w in scene.water.iter().filter(|w| view.sees(&w.bbox)) {
        if let Some(p) = view.shape_path(&w.shape) {
            if let Shape::Polygons(_) = w.shape {
                pm.fill_path(&p, &paint(style::WATER), FillRule::EvenOdd, id_tf, None);
            } else {
                let s = stroke(2.0 * scale);
                pm.stroke_path(&p, &paint(style::WATER), &s, id_tf, None);
            }
        }
    }
    // Buildings from zoom 16.
    if z >= 16 {
        let outline = stroke(0.6 * scale);
        for b in scene.buildings.iter().filter(|b| view.sees(&b.bbox)) {
            if let Some(p) = view.shape_path(&b.shape) {
                pm.fill_path(&p, &paint(style::BUILDING), FillRule::EvenOdd, id_tf, None);
                pm.stroke_path(&p, &paint(style::BUILDING_LINE), &outline, id_tf, None);
            }
        }
    }
    // Railways under the roads; metro tunnels only from zoom 14.
    for r in scene.rail.iter().filter(|r| view.sees(&r.feature.bbox)) {
        let Some(p) = view.shape_path(&r.feature.shape) else {
            continue;
        };
        match r.kind {
            RailKind::Surface => {
                let w = if z >= 15 { 3.0 } else { 2.0 } * scale;
                pm.stroke_path(
                    &p,
                    &paint(Rgba(0x70, 0x70, 0x70, 0xFF)),
                    &stroke(w),
                    id_tf,
                    None,
                );
                let mut dash = stroke(w * 0.5);
                dash.line_cap = LineCap::Butt;
                dash.dash = StrokeDash::new(vec![6.0 * scale, 6.0 * scale], 0.0);
                pm.stroke_path(&p, &paint(Rgba(0xFF, 0xFF, 0xFF, 0xFF)), &dash, id_tf, None);
            }
            RailKind::Underground if z >= 14 => {
                let mut s = stroke(1.6 * scale);
                s.line_cap = LineCap::Butt;
                s.dash = StrokeDash::new(vec![5.0 * scale, 3.0 * scale], 0.0);
                pm.stroke_path(&p, &paint(Rgba(0x8C, 0x7A, 0xA8, 0x90)), &s, id_tf, None);
            }
            RailKind::Underground => {}
        }
    }
    draw_roads(&mut pm, scene, &view, z, scale);
    draw_labels(&mut pm, labels, font, &view, scale);
    let b = i32::try_from(buffer).ok()?;
    pm.clone_rect(tiny_skia::IntRect::from_xywh(b, b, tile_px, tile_px)?)
}

fn draw_roads(pm: &mut Pixmap, scene: &Scene, view: &View, z: u8, scale: f32) {
    let id_tf = Transform::identity();
    let visible: Vec<&Road> = scene
        .roads
        .iter()
        .filter(|r| r.class.width(z) > 0.0 && view.sees(&r.bbox))
        .collect();
    // Roads are sorted by layer: draw each layer's casings, then its fills, so junctions merge
    // and bridges pass over.
    let mut i = 0;
    while i < visible.len() {
        let layer = visible[i].layer.signum();
        let j = visible[i..]
            .iter()
            .position(|r| r.layer.signum() != layer)
            .map_or(visible.len(), |k| i + k);
        let group = &visible[i..j];
        let tunnel = layer < 0;
        for r in group {
            let Some(casing) = r.class.casing() else {
                continue;
            };
            if let Some(p) = view.line_path(&r.lines) {
                let w = r.class.width(z) * scale;
                let extra = if z >= 15 { 2.0 } else { 1.2 } * scale;
                let mut s = stroke(w + extra);
                if tunnel {
                    s.line_cap = LineCap::Butt;
                    s.dash = StrokeDash::new(vec![4.0 * scale, 2.0 * scale], 0.0);
                }
                if layer > 0 {
                    s.line_cap = LineCap::Butt;
                }
                pm.stroke_path(&p, &paint(casing), &s, id_tf, None);
            }
        }
        for r in group {
            if let Some(p) = view.line_path(&r.lines) {
                let w = r.class.width(z) * scale;
                let mut s = stroke(w);
                let mut c = r.class.fill();
                if r.class == RoadClass::Path {
                    s.line_cap = LineCap::Butt;
                    s.dash = StrokeDash::new(vec![2.0 * scale, 1.5 * scale], 0.0);
                }
                if tunnel {
                    // Tunnels: a washed-out fill.
                    c = Rgba(
                        c.0 / 2 + 0x7F,
                        c.1 / 2 + 0x7F,
                        c.2 / 2 + 0x7F,
                        if r.class == RoadClass::Path {
                            0x80
                        } else {
                            0xFF
                        },
                    );
                }
                pm.stroke_path(&p, &paint(c), &s, id_tf, None);
            }
        }
        i = j;
    }
}

fn draw_labels(pm: &mut Pixmap, labels: &[&Label], font: &LabelFont, view: &View, scale: f32) {
    let halo_paint = paint(style::HALO);
    for pass in 0..2 {
        for l in labels {
            let size = l.size_px;
            if pass == 1
                && let Some((x, y)) = l.dot
            {
                let (x, y) = ((x - view.ox) as f32, (y - view.oy) as f32);
                if let Some(c) = PathBuilder::from_circle(x, y, 2.5 * scale) {
                    pm.fill_path(
                        &c,
                        &paint(style::POI_DOT),
                        FillRule::Winding,
                        Transform::identity(),
                        None,
                    );
                    let s = stroke(1.0 * scale);
                    pm.stroke_path(&c, &paint(style::HALO), &s, Transform::identity(), None);
                }
            }
            let text_paint = paint(l.color);
            for g in &l.glyphs {
                let Some(path) = font.glyph(g.c) else {
                    continue;
                };
                let adv = font.advance(g.c);
                let (x, y) = ((g.x - view.ox) as f32, (g.y - view.oy) as f32);
                // Centre the em box on the point: half the advance left, and the middle of the
                // ideographic em box (0.38 em above the baseline) on the line.
                let tf = Transform::from_translate(x, y)
                    .pre_rotate(g.angle.to_degrees())
                    .pre_scale(size, size)
                    .pre_translate(-adv / 2.0, 0.38);
                if pass == 0 {
                    let halo_w = if l.kind == LabelKind::Poi { 2.2 } else { 2.8 } * scale;
                    let s = Stroke {
                        width: halo_w * 2.0 / size,
                        line_join: LineJoin::Round,
                        ..Stroke::default()
                    };
                    pm.stroke_path(&path, &halo_paint, &s, tf, None);
                } else {
                    pm.fill_path(&path, &text_paint, FillRule::Winding, tf, None);
                }
            }
        }
    }
}
