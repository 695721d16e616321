//! Builder tests: pixels where the roads are, labels drawn without overlaps and continuous across
//! tile edges, and degenerate input that must not crash.

use std::path::{Path, PathBuf};

use super::labels::overlaps;
use super::*;
use lamppost_basemap::{MbTiles, TileSource as _};

pub(super) const Z: u8 = 16;

/// A tile in Taipei, and helpers to put lines at known pixels of it.
pub(super) fn home() -> TileId {
    TileId::containing(25.05, 121.52, Z)
}

/// Longitude/latitude of a pixel of the home tile (256 px).
pub(super) fn lonlat(px: f64, py: f64) -> (f64, f64) {
    let t = home();
    let n = f64::from(TileId::tiles_across(Z)) * 256.0;
    let gx = f64::from(t.x) * 256.0 + px;
    let gy = f64::from(t.y) * 256.0 + py;
    let lon = gx / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * gy / n))
        .sinh()
        .atan()
        .to_degrees();
    (lon, lat)
}

fn line_feature(name: &str, highway: &str, pts: &[(f64, f64)]) -> String {
    let coords: Vec<String> = pts
        .iter()
        .map(|&(x, y)| {
            let (lon, lat) = lonlat(x, y);
            format!("[{lon},{lat}]")
        })
        .collect();
    format!(
        r#"{{"type":"Feature","properties":{{"name":"{name}","highway":"{highway}"}},"geometry":{{"type":"LineString","coordinates":[{}]}}}}"#,
        coords.join(",")
    )
}

fn write_fc(dir: &Path, file: &str, features: &[String]) -> PathBuf {
    let p = dir.join(file);
    std::fs::write(
        &p,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    p
}

fn basemap(roads: &Path) -> Basemap {
    Basemap::load(&default_options(roads, Path::new("unused.mbtiles"))).unwrap()
}

pub(super) fn close(a: [u8; 4], b: style::Rgba, tol: i32) -> bool {
    (i32::from(a[0]) - i32::from(b.0)).abs() <= tol
        && (i32::from(a[1]) - i32::from(b.1)).abs() <= tol
        && (i32::from(a[2]) - i32::from(b.2)).abs() <= tol
}

#[test]
fn a_road_pixel_is_drawn_where_the_road_is_and_land_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    // An unnamed primary road across the tile at y = 100 px.
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature(
            "",
            "primary",
            &[(-50.0, 100.0), (300.0, 100.0)],
        )],
    );
    let b = basemap(&roads);
    let labels = b.labels(Z, 256);
    let tile = b.render(home(), 256, &labels);
    let fill = style::RoadClass::Primary.fill();
    assert!(
        close(tile.pixel(128, 100).unwrap(), fill, 2),
        "{:?}",
        tile.pixel(128, 100)
    );
    let away = tile.pixel(128, 30).unwrap();
    assert!(away[3] == 0 || close(away, style::LAND, 2), "{away:?}");
    // The casing is darker than the fill, just outside it.
    let half = style::RoadClass::Primary.width(Z) / 2.0;
    let edge = tile.pixel(128, 100 + half.ceil() as u32).unwrap();
    assert!(u32::from(edge[1]) < u32::from(fill.1), "{edge:?}");
}

#[test]
fn a_named_road_gets_a_label_with_dark_text_on_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature(
            "中山南路",
            "primary",
            &[(-300.0, 128.0), (600.0, 128.0)],
        )],
    );
    let b = basemap(&roads);
    let labels = b.labels(Z, 256);
    let here = labels.for_tile(home());
    assert!(!here.is_empty(), "a label touches the tile");
    let l = here[0];
    assert_eq!(l.text, "中山南路");
    assert!(
        l.glyphs.iter().all(|g| g.angle.abs() < 1e-3),
        "horizontal road, horizontal text"
    );
    let tile = b.render(home(), 256, &labels);
    // Some pixel near a glyph inside the tile is (nearly) the label colour.
    let t = home();
    let found = l.glyphs.iter().any(|g| {
        let cx = g.x - f64::from(t.x) * 256.0;
        let cy = g.y - f64::from(t.y) * 256.0;
        (-6..=6).any(|dy| {
            (-6..=6).any(|dx| {
                let (x, y) = (cx + f64::from(dx), cy + f64::from(dy));
                (0.0..256.0).contains(&x)
                    && (0.0..256.0).contains(&y)
                    && close(tile.pixel(x as u32, y as u32).unwrap(), style::LABEL, 40)
            })
        })
    });
    assert!(found, "dark label pixels are drawn");
}

#[test]
fn text_on_a_road_drawn_right_to_left_still_reads_left_to_right() {
    let dir = tempfile::tempdir().unwrap();
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature(
            "忠孝西路",
            "primary",
            &[(600.0, 140.0), (-300.0, 120.0)],
        )],
    );
    let labels = basemap(&roads).labels(Z, 256);
    assert!(!labels.labels.is_empty());
    for l in &labels.labels {
        let (first, last) = (l.glyphs[0], l.glyphs[l.glyphs.len() - 1]);
        assert!(first.x < last.x, "first character on the left");
        assert!(
            l.glyphs
                .iter()
                .all(|g| g.angle.abs() < std::f32::consts::FRAC_PI_2)
        );
    }
}

#[test]
fn a_steep_road_gets_upright_characters_from_top_to_bottom() {
    let dir = tempfile::tempdir().unwrap();
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature(
            "重慶北路",
            "secondary",
            &[(128.0, 600.0), (130.0, -300.0)],
        )],
    );
    let labels = basemap(&roads).labels(Z, 256);
    let l = &labels.labels[0];
    assert!(l.glyphs.iter().all(|g| g.angle == 0.0));
    assert!(l.glyphs[0].y < l.glyphs[1].y, "reads downwards");
}

#[test]
fn long_roads_repeat_their_name_and_crossing_roads_never_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = Vec::new();
    // A grid of long named streets: plenty of chances to collide.
    for i in 0..8 {
        let y = -400.0 + f64::from(i) * 130.0;
        f.push(line_feature(
            &format!("東西{i}路"),
            "secondary",
            &[(-1200.0, y), (1200.0, y + 40.0)],
        ));
        let x = -400.0 + f64::from(i) * 140.0;
        f.push(line_feature(
            &format!("南北{i}街"),
            "tertiary",
            &[(x, -1200.0), (x + 60.0, 1200.0)],
        ));
    }
    let roads = write_fc(dir.path(), "r.geojson", &f);
    let labels = basemap(&roads).labels(Z, 256);
    let east0 = labels.labels.iter().filter(|l| l.text == "東西0路").count();
    assert!(
        east0 >= 2,
        "a 2400 px road is labelled more than once: {east0}"
    );
    let t = home();
    for dx in -2..=2i64 {
        for dy in -2..=2i64 {
            let id = TileId::new(
                Z,
                (i64::from(t.x) + dx) as u32,
                (i64::from(t.y) + dy) as u32,
            )
            .unwrap();
            let here = labels.for_tile(id);
            for (i, a) in here.iter().enumerate() {
                for b in &here[i + 1..] {
                    for ba in &a.boxes {
                        for bb in &b.boxes {
                            assert!(!overlaps(ba, bb), "{} overlaps {} in {id}", a.text, b.text);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn a_label_across_a_tile_edge_is_drawn_identically_on_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    // Centre the road's label on the edge between the home tile and its east neighbour.
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature(
            "承德路一段",
            "primary",
            &[(56.0, 128.0), (456.0, 140.0)],
        )],
    );
    let b = basemap(&roads);
    let labels = b.labels(Z, 256);
    let t = home();
    let edge_x = f64::from(t.x + 1) * 256.0;
    let straddles = labels
        .labels
        .iter()
        .any(|l| l.bbox[0] < edge_x && edge_x < l.bbox[2]);
    assert!(straddles, "the test needs a label across the edge");
    let west = b.render(t, 256, &labels);
    let east = b.render(TileId::new(Z, t.x + 1, t.y).unwrap(), 256, &labels);
    // A window centred on the edge must equal the two halves it covers.
    let origin = (edge_x - 128.0, f64::from(t.y) * 256.0);
    let window = b.render_window(Z, origin, 256, &labels);
    let mut worst = 0;
    let mut text_pixels = 0;
    let mut ink_mismatch = 0;
    for y in 0..256 {
        for x in 0..256 {
            let w = window.pixel(x, y).unwrap();
            let tile_px = if x < 128 {
                west.pixel(x + 128, y).unwrap()
            } else {
                east.pixel(x - 128, y).unwrap()
            };
            for c in 0..3 {
                worst = worst.max((i32::from(w[c]) - i32::from(tile_px[c])).abs());
            }
            let ink = (close(w, style::LABEL, 60), close(tile_px, style::LABEL, 60));
            if ink.0 != ink.1 {
                ink_mismatch += 1;
            }
            if ink.0 && (120..136).contains(&x) {
                text_pixels += 1;
            }
        }
    }
    // Anti-aliasing is quantised to 1/16 of coverage: sub-pixel rounding may move an edge
    // pixel by one step, never more.
    assert!(worst <= 24, "tiles disagree with the window by {worst}");
    assert!(ink_mismatch <= 3, "{ink_mismatch} label pixels differ");
    assert!(text_pixels > 0, "label ink lies on the edge");
}

#[test]
fn pois_are_labelled_from_zoom_17_only() {
    let dir = tempfile::tempdir().unwrap();
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature("", "service", &[(0.0, 0.0), (10.0, 10.0)])],
    );
    let (lon, lat) = lonlat(100.0, 100.0);
    let pois = write_fc(
        dir.path(),
        "p.geojson",
        &[format!(
            r#"{{"type":"Feature","properties":{{"name":"中正一分局","amenity":"police"}},"geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}"#
        )],
    );
    let mut opts = default_options(&roads, Path::new("x.mbtiles"));
    opts.pois = Some(pois);
    let b = Basemap::load(&opts).unwrap();
    assert!(b.labels(16, 256).labels.is_empty());
    let l17 = b.labels(17, 256);
    assert_eq!(l17.labels.len(), 1);
    assert!(l17.labels[0].dot.is_some());
}

#[test]
fn a_small_build_writes_every_tile_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature(
            "中山南路",
            "primary",
            &[(-300.0, 128.0), (600.0, 128.0)],
        )],
    );
    let out = dir.path().join("out.mbtiles");
    let mut opts = default_options(&roads, &out);
    opts.min_zoom = 14;
    opts.max_zoom = 16;
    let mut events = 0;
    let s = build(&opts, &mut |_| events += 1).unwrap();
    assert!(s.tiles >= 3);
    assert_eq!(events as u64, s.tiles + 1);
    let mut m = MbTiles::open(&out).unwrap();
    assert_eq!((m.meta().min_zoom, m.meta().max_zoom), (14, 16));
    assert_eq!(
        m.meta().attribution.as_deref(),
        Some("© OpenStreetMap contributors")
    );
    let bytes = m.read(home()).unwrap().unwrap();
    let t = lamppost_basemap::decode_tile(&bytes).unwrap();
    assert_eq!(t.width, 256);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary file left"
    );
}

#[test]
fn degenerate_inputs_fail_clearly_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mbtiles");
    let empty = dir.path().join("empty.geojson");
    std::fs::write(&empty, "").unwrap();
    let e = build(&default_options(&empty, &out), &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");

    let only_bad = write_fc(
        dir.path(),
        "bad.geojson",
        &[
            r#"{"type":"Feature","properties":{"name":"無線"},"geometry":null}"#.to_owned(),
            r#"{"type":"Feature","properties":{"name":"一點"},"geometry":{"type":"LineString","coordinates":[[121.5,25.0]]}}"#.to_owned(),
        ],
    );
    let e = build(&default_options(&only_bad, &out), &mut |_| {}).unwrap_err();
    assert!(matches!(e, BuildError::NoRoads(_)), "{e}");

    let missing = dir.path().join("missing.geojson");
    let e = build(&default_options(&missing, &out), &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("missing.geojson"), "{e}");

    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature("路", "primary", &[(0.0, 0.0), (100.0, 0.0)])],
    );
    let mut opts = default_options(&roads, &out);
    opts.min_zoom = 17;
    opts.max_zoom = 12;
    assert!(matches!(
        build(&opts, &mut |_| {}),
        Err(BuildError::Options(_))
    ));
    opts.min_zoom = 12;
    opts.max_zoom = 12;
    opts.tile_px = 300;
    assert!(matches!(
        build(&opts, &mut |_| {}),
        Err(BuildError::Options(_))
    ));
    opts.tile_px = 256;
    opts.bbox = Bounds::parse("0,0,1,1");
    assert!(matches!(
        build(&opts, &mut |_| {}),
        Err(BuildError::Options(_))
    ));
    assert!(!out.exists());
}

#[test]
fn bad_features_are_reported_and_the_rest_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[
            line_feature("好路", "primary", &[(0.0, 0.0), (200.0, 0.0)]),
            r#"{"type":"Feature","properties":{"name":"壞路"},"geometry":{"type":"LineString","coordinates":[[999,25.0],[121.5,25.0]]}}"#.to_owned(),
            r#"{"type":"Feature","properties":{"name":"點"},"geometry":{"type":"Point","coordinates":[121.5,25.0]}}"#.to_owned(),
        ],
    );
    let out = dir.path().join("out.mbtiles");
    let mut opts = default_options(&roads, &out);
    opts.min_zoom = 16;
    opts.max_zoom = 16;
    let s = build(&opts, &mut |_| {}).unwrap();
    assert_eq!(s.issues.len(), 2);
    assert!(s.issues[0].to_string().contains("壞路"));
    assert!(out.exists());
}

#[test]
fn the_palette_png_keeps_exact_colours_when_there_are_few() {
    let mut px = vec![0u8; 16 * 16 * 4];
    for (i, p) in px.chunks_exact_mut(4).enumerate() {
        p.copy_from_slice(&[(i % 7) as u8 * 30, 100, 200, 255]);
    }
    let tile = RgbaTile::from_rgba(16, 16, px.clone()).unwrap();
    let png = encode_palette_png(&tile).unwrap();
    let back = lamppost_basemap::decode_tile(&png).unwrap();
    assert_eq!(&back.pixels[..], &px[..]);
}

#[test]
fn outside_the_data_the_tile_is_transparent_and_survives_encoding() {
    let dir = tempfile::tempdir().unwrap();
    // Data only in the left half of the home tile.
    let roads = write_fc(
        dir.path(),
        "r.geojson",
        &[line_feature(
            "",
            "primary",
            &[(10.0, 100.0), (100.0, 110.0)],
        )],
    );
    let b = basemap(&roads);
    let tile = b.render(home(), 256, &b.labels(Z, 256));
    assert_eq!(tile.pixel(200, 200).unwrap()[3], 0, "no data: transparent");
    assert_eq!(tile.pixel(50, 105).unwrap()[3], 255);
    let back = lamppost_basemap::decode_tile(&encode_palette_png(&tile).unwrap()).unwrap();
    assert_eq!(back.pixel(200, 200).unwrap()[3], 0);
    assert_eq!(back.pixel(50, 105).unwrap()[3], 255);
}
