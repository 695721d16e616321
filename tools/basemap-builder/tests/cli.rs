//! `lamppost-basemap-builder` through the real binary: build, pack, render, and clear failures.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use lamppost_basemap::{MbTiles, TileSource as _};

fn tiles(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lamppost-basemap-builder"))
        .env_remove("LAMPPOST_DB")
        .current_dir(cwd)
        .args(args)
        .output()
        .unwrap()
}

const ROADS: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"中山南路","highway":"primary"},
  "geometry":{"type":"LineString","coordinates":[[121.515,25.040],[121.525,25.041]]}},
 {"type":"Feature","properties":{"name":"斷路"},"geometry":null}]}"#;

#[test]
fn a_build_writes_an_mbtiles_file_and_names_the_bad_feature() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roads.geojson"), ROADS).unwrap();
    let out = tiles(
        &[
            "build",
            "--roads",
            "roads.geojson",
            "--out",
            "city.mbtiles",
            "--zoom",
            "14-15",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("斷路") && stderr.contains("no geometry"),
        "{stderr}"
    );
    assert!(stdout.contains("tiles/s"), "{stdout}");
    let m = MbTiles::open(&dir.path().join("city.mbtiles")).unwrap();
    assert_eq!((m.meta().min_zoom, m.meta().max_zoom), (14, 15));
    assert!(m.tile_count().unwrap() >= 2);
}

#[test]
fn an_empty_roads_file_fails_with_a_message_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roads.geojson"), "").unwrap();
    let out = tiles(
        &["build", "--roads", "roads.geojson", "--out", "city.mbtiles"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the file is empty"), "{stderr}");
    assert!(!dir.path().join("city.mbtiles").exists());
}

#[test]
fn a_bad_zoom_range_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roads.geojson"), ROADS).unwrap();
    let out = tiles(
        &[
            "build",
            "--roads",
            "roads.geojson",
            "--out",
            "c.mbtiles",
            "--zoom",
            "twelve",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--zoom"));
}

#[test]
fn pack_and_render_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roads.geojson"), ROADS).unwrap();
    let out = tiles(
        &[
            "render",
            "--roads",
            "roads.geojson",
            "15/27444/14027",
            "t.png",
            "--tile-size",
            "256",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(dir.path().join("t.png")).unwrap();
    assert_eq!(lamppost_basemap::decode_tile(&png).unwrap().width, 256);

    let xyz = dir.path().join("xyz/0/0");
    std::fs::create_dir_all(&xyz).unwrap();
    std::fs::write(xyz.join("0.png"), &png).unwrap();
    let out = tiles(
        &["pack", "xyz", "w.mbtiles", "--attribution", "© OSM"],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = MbTiles::open(&dir.path().join("w.mbtiles")).unwrap();
    assert_eq!(m.meta().attribution.as_deref(), Some("© OSM"));
}

#[test]
fn the_bundled_basemaps_open_with_their_attribution() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/basemap");
    for (file, max) in [("world.mbtiles", 4), ("taipei.mbtiles", 17)] {
        let m = MbTiles::open(&root.join(file)).unwrap();
        assert_eq!(m.meta().max_zoom, max, "{file}");
        assert!(
            m.meta()
                .attribution
                .as_deref()
                .unwrap()
                .contains("© OpenStreetMap contributors")
        );
    }
    let size = std::fs::metadata(root.join("taipei.mbtiles"))
        .unwrap()
        .len();
    assert!(
        size <= 15 << 20,
        "the demo basemap stays under 15 MB: {size}"
    );
}

#[test]
fn an_existing_file_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("roads.geojson"), ROADS).unwrap();
    std::fs::write(dir.path().join("lamppost.sqlite"), b"SQLite format 3\0keep").unwrap();
    let args = [
        "build",
        "--roads",
        "roads.geojson",
        "--out",
        "lamppost.sqlite",
        "--zoom",
        "14-14",
    ];
    let out = tiles(&args, dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        std::fs::read(dir.path().join("lamppost.sqlite")).unwrap(),
        b"SQLite format 3\0keep"
    );
    // A database that is not a basemap (the reference data, a call log): not even with --force.
    let forced = tiles(&[&args[..], &["--force"]].concat(), dir.path());
    assert_eq!(forced.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&forced.stderr).contains("not a basemap"));
    assert_eq!(
        std::fs::read(dir.path().join("lamppost.sqlite")).unwrap(),
        b"SQLite format 3\0keep"
    );
    // Nor the side file of a database, which does not exist yet.
    let wal = [&args[..3], &["--out", "lamppost.sqlite-wal", "--force"]].concat();
    let o = tiles(&wal, dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("belongs to a database"));
    assert!(!dir.path().join("lamppost.sqlite-wal").exists());
    // A basemap is replaced with --force.
    let basemap = [&args[..3], &["--out", "city.mbtiles", "--zoom", "14-14"]].concat();
    assert!(tiles(&basemap, dir.path()).status.success());
    let again = tiles(&basemap, dir.path());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let forced = tiles(&[&basemap[..], &["--force"]].concat(), dir.path());
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert!(MbTiles::open(&dir.path().join("city.mbtiles")).is_ok());
}

#[test]
fn a_gauss_krueger_shapefile_without_a_prj_builds_with_crs_and_is_refused_without() {
    use lamppost_core::crs::Crs;
    use lamppost_core::geo::LatLon;
    let dir = tempfile::tempdir().unwrap();
    // A road of the city's own layer, CGCS2000 3° Gauss–Krüger zone 40 (EPSG:4528), no .prj.
    let conv = Crs::parse("EPSG:4528").unwrap().converter().unwrap();
    let pts: Vec<shapefile::Point> = [(25.040, 121.515), (25.041, 121.525)]
        .iter()
        .map(|&(lat, lon)| {
            let (x, y) = conv.from_wgs84(LatLon::new(lat, lon)).unwrap();
            shapefile::Point::new(x, y)
        })
        .collect();
    let table =
        dbase::TableWriterBuilder::new().add_character_field("NAME".try_into().unwrap(), 20);
    let mut w = shapefile::Writer::from_path(dir.path().join("roads.shp"), table).unwrap();
    let mut rec = dbase::Record::default();
    rec.insert(
        "NAME".to_owned(),
        dbase::FieldValue::Character(Some("Zhongshan S Rd".to_owned())),
    );
    w.write_shape_and_record(&shapefile::Polyline::new(pts), &rec)
        .unwrap();
    drop(w);
    let args = [
        "build",
        "--roads",
        "roads.shp",
        "--out",
        "city.mbtiles",
        "--zoom",
        "14-15",
    ];
    let out = tiles(&args, dir.path());
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--crs"), "{stderr}");
    assert!(!dir.path().join("city.mbtiles").exists());
    let mut with_crs = args.to_vec();
    with_crs.extend(["--crs", "EPSG:4528"]);
    let out = tiles(&with_crs, dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = MbTiles::open(&dir.path().join("city.mbtiles")).unwrap();
    assert!(m.tile_count().unwrap() >= 2);
    // The road's extent is where its WGS-84 points are.
    let b = m.meta().bounds.unwrap();
    assert!(
        (b.west_deg - 121.515).abs() < 0.01 && (b.north_deg - 25.041).abs() < 0.01,
        "{b:?}"
    );
}
