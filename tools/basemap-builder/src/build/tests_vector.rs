//! A city's own layers as Shapefile and GeoPackage in CGCS2000 Gauss–Krüger (3° zone 40 with
//! its zone prefix, EPSG:4528), written here at test time: read through the import's readers and
//! CRS code, drawn where the WGS-84 positions they were converted from are.

use std::path::{Path, PathBuf};

use super::tests::{Z, close, home, lonlat};
use super::*;
use lamppost_core::crs::Crs;
use lamppost_core::geo::LatLon;

/// The zone's `.prj` as ArcGIS writes it.
fn prj() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/crs/prj/cgcs2000_3deg_zone40.esri.prj"),
    )
    .unwrap()
}

/// Easting/northing (EPSG:4528) of a pixel of the home tile.
fn gk(px: f64, py: f64) -> (f64, f64) {
    let (lon, lat) = lonlat(px, py);
    let conv = Crs::parse("EPSG:4528").unwrap().converter().unwrap();
    let (x, y) = conv.from_wgs84(LatLon::new(lat, lon)).unwrap();
    assert!(x > 40_000_000.0, "the zone prefix is in the easting: {x}");
    (x, y)
}

/// A Shapefile of lines or polygons with a GBK `.dbf` (`.cpg` 936) of a name (`NAME`) and a
/// class (`DLDJ`, 道路等级).
fn write_shp(
    dir: &Path,
    file: &str,
    shapes: &[(shapefile::Shape, &str, &str)],
    with_prj: bool,
) -> PathBuf {
    let path = dir.join(file);
    let table = dbase::TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(
        encoding_rs::GB18030,
    ))
    .add_character_field("NAME".try_into().unwrap(), 40)
    .add_character_field("DLDJ".try_into().unwrap(), 20);
    let mut w = shapefile::Writer::from_path(&path, table).unwrap();
    for (shape, name, class) in shapes {
        let mut rec = dbase::Record::default();
        rec.insert(
            "NAME".to_owned(),
            dbase::FieldValue::Character(Some((*name).to_owned())),
        );
        rec.insert(
            "DLDJ".to_owned(),
            dbase::FieldValue::Character(Some((*class).to_owned())),
        );
        match shape {
            shapefile::Shape::Polyline(l) => w.write_shape_and_record(l, &rec).unwrap(),
            shapefile::Shape::Polygon(p) => w.write_shape_and_record(p, &rec).unwrap(),
            _ => unreachable!(),
        }
    }
    drop(w);
    std::fs::write(path.with_extension("cpg"), "936").unwrap();
    if with_prj {
        std::fs::write(path.with_extension("prj"), prj()).unwrap();
    }
    path
}

fn line(pts: &[(f64, f64)]) -> shapefile::Shape {
    shapefile::Shape::Polyline(shapefile::Polyline::new(
        pts.iter()
            .map(|&(px, py)| {
                let (x, y) = gk(px, py);
                shapefile::Point::new(x, y)
            })
            .collect(),
    ))
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> shapefile::Shape {
    // Outer rings clockwise, as the format wants: in pixels (y down) that is counter-clockwise.
    let ring: Vec<shapefile::Point> = [(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)]
        .iter()
        .map(|&(px, py)| {
            let (x, y) = gk(px, py);
            shapefile::Point::new(x, y)
        })
        .collect();
    shapefile::Shape::Polygon(shapefile::Polygon::new(shapefile::PolygonRing::Outer(ring)))
}

/// Whether most of the tile's row `y` has the colour (a road across the tile, its name drawn
/// on a part of it).
fn row_is(tile: &RgbaTile, y: u32, colour: style::Rgba) -> bool {
    (0..256)
        .step_by(8)
        .filter(|&x| close(tile.pixel(x, y).unwrap(), colour, 2))
        .count()
        >= 16
}

fn options(roads: &Path) -> BuildOptions {
    default_options(roads, Path::new("unused.mbtiles"))
}

#[test]
fn gauss_krueger_shapefiles_of_roads_and_water_are_drawn_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let roads = write_shp(
        dir.path(),
        "道路.shp",
        &[(
            line(&[(-50.0, 100.0), (300.0, 100.0)]),
            "幸福大道",
            "主干路",
        )],
        true,
    );
    let water = write_shp(
        dir.path(),
        "水系.shp",
        &[(square(20.0, 180.0, 120.0, 240.0), "镜湖", "")],
        true,
    );
    let mut opts = options(&roads);
    opts.water = Some(water);
    let b = Basemap::load(&opts).unwrap();
    assert!(b.issues.is_empty(), "{:?}", b.issues);
    let tile = b.render(home(), 256, &b.labels(Z, 256));
    // The class 主干路 is a primary road, drawn at the pixel its WGS-84 position falls on.
    let fill = style::RoadClass::Primary.fill();
    assert!(row_is(&tile, 100, fill));
    assert!(
        close(tile.pixel(28, 188).unwrap(), style::WATER, 2),
        "{:?}",
        tile.pixel(28, 188)
    );
    assert!(!close(tile.pixel(160, 210).unwrap(), style::WATER, 2));
    // The GBK names read through the .cpg.
    assert_eq!(b.label_input.roads[0].name, "幸福大道");
    assert!(b.label_input.areas.iter().any(|a| a.name == "镜湖"));
}

#[test]
fn projected_layers_without_a_prj_need_crs_and_draw_the_same_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let roads = write_shp(
        dir.path(),
        "r.shp",
        &[(line(&[(-50.0, 100.0), (300.0, 100.0)]), "幸福大道", "")],
        false,
    );
    let Err(e) = Basemap::load(&options(&roads)) else {
        panic!("metres without a CRS must be refused");
    };
    assert!(e.to_string().contains("--crs"), "{e}");
    let mut opts = options(&roads);
    opts.vector.crs = Some(Crs::parse("EPSG:4528").unwrap());
    let b = Basemap::load(&opts).unwrap();
    let tile = b.render(home(), 256, &b.labels(Z, 256));
    // No class: a minor road, still drawn.
    let fill = style::RoadClass::Minor.fill();
    assert!(row_is(&tile, 100, fill));
    // A name attribute that is not there is named with those there are.
    opts.vector.name_field = Some("ROADNAME".to_owned());
    let Err(e) = Basemap::load(&opts) else {
        panic!("no such attribute");
    };
    assert!(e.to_string().contains("NAME, DLDJ"), "{e}");
}

/// GeoPackage binary of a little-endian WKB line string.
fn gp_line(pts: &[(f64, f64)]) -> Vec<u8> {
    let mut b = b"GP\x00\x01".to_vec();
    b.extend_from_slice(&4528i32.to_le_bytes());
    b.push(1);
    b.extend_from_slice(&2u32.to_le_bytes());
    b.extend_from_slice(&u32::try_from(pts.len()).unwrap().to_le_bytes());
    for &(px, py) in pts {
        let (x, y) = gk(px, py);
        b.extend_from_slice(&x.to_le_bytes());
        b.extend_from_slice(&y.to_le_bytes());
    }
    b
}

#[test]
fn a_geopackage_road_layer_in_gauss_krueger_is_drawn_and_its_layer_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("city.gpkg");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY,
           organization TEXT, organization_coordsys_id INTEGER, definition TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES
           ('CGCS2000 / 3-degree Gauss-Kruger zone 40', 4528, 'EPSG', 4528, 'undefined');
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT,
           geometry_type_name TEXT, srs_id INTEGER);
         INSERT INTO gpkg_contents VALUES ('路灯', 'features'), ('主路', 'features'),
           ('支路', 'features');
         INSERT INTO gpkg_geometry_columns VALUES ('路灯', 'geom', 'POINT', 4528),
           ('主路', 'geom', 'LINESTRING', 4528), ('支路', 'geom', 'MULTILINESTRING', 4528);
         CREATE TABLE 路灯 (fid INTEGER PRIMARY KEY, geom BLOB);
         CREATE TABLE 主路 (fid INTEGER PRIMARY KEY, geom BLOB, 名称 TEXT, fclass TEXT);
         CREATE TABLE 支路 (fid INTEGER PRIMARY KEY, geom BLOB, 名称 TEXT, fclass TEXT);",
    )
    .unwrap();
    db.execute(
        "INSERT INTO 主路 (geom, 名称, fclass) VALUES (?1, '幸福大道', 'secondary')",
        [gp_line(&[(-50.0, 100.0), (300.0, 100.0)])],
    )
    .unwrap();
    db.execute(
        "INSERT INTO 支路 (geom, 名称, fclass) VALUES (?1, '小巷', 'residential')",
        [gp_line(&[(-50.0, 200.0), (300.0, 200.0)])],
    )
    .unwrap();
    drop(db);
    // The first line layer (the point layer is passed over), its SRS from the file.
    let b = Basemap::load(&options(&path)).unwrap();
    let tile = b.render(home(), 256, &b.labels(Z, 256));
    let fill = style::RoadClass::Secondary.fill();
    assert!(row_is(&tile, 100, fill));
    assert!(!row_is(&tile, 200, style::RoadClass::Minor.fill()));
    assert_eq!(b.label_input.roads[0].name, "幸福大道");
    // `FILE.gpkg#LAYER` chooses the layer.
    let chosen = PathBuf::from(format!("{}#支路", path.display()));
    let b = Basemap::load(&options(&chosen)).unwrap();
    let tile = b.render(home(), 256, &b.labels(Z, 256));
    assert!(row_is(&tile, 200, style::RoadClass::Minor.fill()));
    assert!(!row_is(&tile, 100, fill));
}
