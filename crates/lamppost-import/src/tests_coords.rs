// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Imports in projected CRSs: Gauss–Krüger with and without zone prefix, the X/Y survey
//! convention, the refusal of metres without a CRS, a `.prj` hint, Beijing 1954.

use std::fmt::Write as _;

use super::*;
use lamppost_core::crs::from_epsg;

/// Beijing poles (the seed of `tests.rs`), so the dataset's region is around 116.4°E, 39.9°N.
const SEED: &str = "code,street_code,street,pole_no,side,lat_deg,lon_deg,address,landmark,cross_street,jurisdiction,status,note
1-01-0001,01,中山路,1,东,39.9000,116.4000,中山路1号,,,,active,
1-01-0002,01,中山路,2,西,39.9003,116.4000,中山路2号,,,,active,
1-01-0003,01,中山路,3,东,39.9006,116.4000,中山路3号,,,,active,
1-02-0001,02,解放路,1,东,39.9100,116.4100,,,,,active,
";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::create(&dir.path().join("t.sqlite")).unwrap();
    s.load_canonical::<&[u8], &[u8], &[u8]>(
        None,
        None,
        lamppost_data::store::Source {
            name: "seed.csv".into(),
            reader: SEED.as_bytes(),
        },
        "test",
    )
    .unwrap();
    (dir, s)
}

fn opts() -> Options {
    Options {
        applied_by: "tester".into(),
        ..Options::default()
    }
}

fn run(s: &mut Store, text: &str, o: &Options) -> Report {
    import(s, Input::Bytes(text.as_bytes()), o).unwrap()
}

/// New poles near the seed, as WGS-84.
fn points() -> Vec<(&'static str, LatLon)> {
    vec![
        ("7-01-0001", LatLon::new(39.9012, 116.4003)),
        ("7-01-0002", LatLon::new(39.9015, 116.4006)),
        ("7-01-0003", LatLon::new(39.9018, 116.4009)),
    ]
}

/// A register in `epsg`'s grid, with the columns `header` (code, street, then the two
/// coordinate columns) and the coordinates in the order `northing_first` says.
fn grid_file(epsg: u32, header: &str, northing_first: bool) -> String {
    let conv = from_epsg(epsg).unwrap().converter().unwrap();
    let mut text = format!("{header}\n");
    for (code, p) in points() {
        let (e, n) = conv.from_wgs84(p).unwrap();
        let (a, b) = if northing_first { (n, e) } else { (e, n) };
        writeln!(text, "{code},公园路,{a:.3},{b:.3}").unwrap();
    }
    text
}

/// The stored position of the pole whose key is `key`.
fn stored(s: &Store, key: &str) -> LatLon {
    let mut found = None;
    s.for_each_pole(|p| {
        if p.code.key() == key {
            found = p.surveyed;
        }
    })
    .unwrap();
    found.unwrap()
}

fn kinds(list: &[Finding]) -> Vec<&'static str> {
    list.iter().map(|f| f.kind.name()).collect()
}

#[test]
fn gauss_kruger_with_the_zone_prefix_and_x_as_the_northing_is_read_as_surveyors_write_it() {
    let (_d, mut s) = store();
    // Beijing is in CGCS2000 3° zone 39 (117°E): EPSG:4527, eastings 39xxxxxx.
    let text = grid_file(4527, "编码,街路,X,Y", true);
    assert!(text.contains(",4418") && text.contains(",39"), "{text}");
    let o = Options {
        crs: Some(Crs::parse("EPSG:4527").unwrap()),
        ..opts()
    };
    let r = run(&mut s, &text, &o);
    assert!(r.applied, "{:?}", r.rejected);
    assert_eq!(r.added, 3);
    assert_eq!(
        (r.crs.as_str(), r.crs_source),
        ("EPSG:4527", CrsSource::Given)
    );
    assert_eq!(kinds(&r.warnings)[0], "northing_first");
    assert!(
        r.warnings[0]
            .reason_en()
            .contains("column X is the northing"),
        "{}",
        r.warnings[0].reason_en()
    );
    for (code, p) in points() {
        let got = stored(&s, &code.replace('-', ""));
        assert!(got.distance_m(p) < 0.002, "{code}: {got:?} vs {p:?}");
    }
    let v = versions(&s).unwrap();
    assert_eq!(v.last().unwrap().datum, "EPSG:4527");
}

#[test]
fn easting_first_columns_without_a_prefix_are_read_as_they_are() {
    let (_d, mut s) = store();
    // 3° CM 117E (EPSG:4548): eastings around 465 km, northings around 4,417 km.
    let text = grid_file(4548, "code,street,E,N", false);
    let o = Options {
        crs: Some(Crs::parse("EPSG:4548").unwrap()),
        map: vec![(Field::Lon, "E".into()), (Field::Lat, "N".into())],
        ..opts()
    };
    let r = run(&mut s, &text, &o);
    assert!(r.applied, "{:?}", r.rejected);
    assert!(
        !kinds(&r.warnings).contains(&"northing_first"),
        "{:?}",
        r.warnings
    );
    for (code, p) in points() {
        assert!(stored(&s, &code.replace('-', "")).distance_m(p) < 0.002);
    }
}

#[test]
fn metres_without_a_crs_are_refused_naming_the_zone_of_the_prefix() {
    let (_d, mut s) = store();
    let before = s.counts().unwrap().codes;
    let text = grid_file(4527, "编码,街路,X,Y", true);
    let r = run(&mut s, &text, &opts());
    assert!(!r.applied);
    assert_eq!(kinds(&r.rejected), ["projected_without_crs"]);
    let en = r.rejected[0].reason_en();
    assert!(
        en.contains("looks like CGCS2000/3-degree Gauss-Kruger zone 39: --crs EPSG:4527"),
        "{en}"
    );
    assert!(r.rejected[0].reason_zh().contains("--crs EPSG:4527"));
    assert_eq!(s.counts().unwrap().codes, before, "nothing written");
    assert_eq!(s.data_version().unwrap(), 1);
}

#[test]
fn metres_without_a_prefix_are_refused_naming_the_zone_of_the_datasets_poles() {
    let (_d, mut s) = store();
    let text = grid_file(4548, "编码,街路,X,Y", true);
    let r = run(&mut s, &text, &opts());
    assert!(!r.applied);
    let en = r.rejected[0].reason_en();
    assert!(en.contains("--crs EPSG:4548"), "{en}");
}

#[test]
fn the_files_own_prj_decides_when_no_crs_is_given() {
    let (_d, mut s) = store();
    let text = grid_file(4527, "编码,街路,X,Y", true);
    let prj = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let o = Options {
        crs_hint: Some(prj.into()),
        ..opts()
    };
    let r = run(&mut s, &text, &o);
    assert!(r.applied, "{:?}", r.rejected);
    assert_eq!(
        (r.crs.as_str(), r.crs_source),
        ("EPSG:4527", CrsSource::File)
    );
    // A hint that cannot be read refuses the file rather than guessing.
    let (_d2, mut s2) = store();
    let o = Options {
        crs_hint: Some(r#"PROJCS["Lambert",PROJECTION["Lambert_Conformal_Conic"]]"#.into()),
        ..opts()
    };
    let r = run(&mut s2, &text, &o);
    assert!(!r.applied);
    assert_eq!(kinds(&r.rejected), ["unknown_crs_hint"]);
}

#[test]
fn beijing_1954_is_refused_without_seven_parameters_and_shifted_with_them() {
    let (_d, mut s) = store();
    // Beijing 1954 3° zone 39 (EPSG:2415), made with illustrative parameters.
    let t = [15.8, -154.4, -82.3, 0.0, 0.0, 0.0, 0.0];
    let bj = Crs::parse("EPSG:2415").unwrap().with_towgs84(t);
    let conv = bj.converter().unwrap();
    let mut text = "编码,街路,X,Y\n".to_owned();
    for (code, p) in points() {
        let (e, n) = conv.from_wgs84(p).unwrap();
        writeln!(text, "{code},公园路,{n:.3},{e:.3}").unwrap();
    }
    let o = Options {
        crs: Some(Crs::parse("EPSG:2415").unwrap()),
        ..opts()
    };
    let r = run(&mut s, &text, &o);
    assert!(!r.applied);
    assert_eq!(kinds(&r.rejected), ["legacy_datum_needs_towgs84"]);
    assert!(r.rejected[0].reason_en().contains("up to about 100 m"));
    let r = run(
        &mut s,
        &text,
        &Options {
            towgs84: Some(t),
            ..o.clone()
        },
    );
    assert!(r.applied, "{:?}", r.rejected);
    assert_eq!(r.crs, "EPSG:2415 +towgs84=15.8,-154.4,-82.3,0,0,0,0");
    for (code, p) in points() {
        assert!(stored(&s, &code.replace('-', "")).distance_m(p) < 0.002);
    }
    // Zero parameters: taken, with the warning, and the positions are off by tens of metres.
    let (_d2, mut s2) = store();
    let r = run(
        &mut s2,
        &text,
        &Options {
            towgs84: Some([0.0; 7]),
            ..o
        },
    );
    assert!(r.applied);
    assert!(kinds(&r.warnings).contains(&"legacy_datum_not_shifted"));
    let off = stored(&s2, "7010001").distance_m(points()[0].1);
    assert!(off > 10.0 && off < 200.0, "{off}");
}

#[test]
fn degrees_given_to_a_grid_are_refused_row_by_row() {
    let (_d, mut s) = store();
    let text = "code,street,lat,lon\n7-01-0001,公园路,39.9012,116.4003\n";
    let o = Options {
        crs: Some(Crs::parse("EPSG:4527").unwrap()),
        ..opts()
    };
    let r = run(&mut s, text, &o);
    assert!(!r.applied);
    assert_eq!(kinds(&r.rejected), ["not_in_crs"]);
}

#[test]
fn a_saved_mapping_keeps_its_epsg_crs() {
    let (_d, mut s) = store();
    let text = grid_file(4527, "编码,街路,X,Y", true);
    let o = Options {
        crs: Some(Crs::parse("EPSG:4527").unwrap()),
        save_mapping: Some("survey".into()),
        dry_run: true,
        ..opts()
    };
    run(&mut s, &text, &o);
    let r = run(
        &mut s,
        &text,
        &Options {
            mapping_name: Some("survey".into()),
            ..opts()
        },
    );
    assert!(r.applied, "{:?}", r.rejected);
    assert_eq!(
        (r.crs.as_str(), r.crs_source),
        ("EPSG:4527", CrsSource::Mapping)
    );
}

#[test]
fn the_x_y_order_is_decided_on_the_first_row_that_is_a_point_of_the_crs() {
    let (_d, mut s) = store();
    let text = grid_file(4527, "编码,街路,X,Y", true).replacen(
        "编码,街路,X,Y\n",
        "编码,街路,X,Y\n7-01-0009,公园路,1.5,2.5\n",
        1,
    );
    let o = Options {
        crs: Some(Crs::parse("EPSG:4527").unwrap()),
        allow_partial: true,
        ..opts()
    };
    let r = run(&mut s, &text, &o);
    assert_eq!((r.added, r.rejected_rows), (3, 1), "{:?}", r.rejected);
    assert_eq!(kinds(&r.rejected), ["not_in_crs"]);
    assert_eq!(r.warnings[0].line, 3);
    assert_eq!(kinds(&r.warnings)[0], "northing_first");
}

#[test]
fn a_preview_sees_the_crs_of_metres_and_the_survey_x_y_convention() {
    use crate::coords::{SeenCrs, seen_coords};
    // Taipei in CGCS2000 3° Gauss–Krüger zone 40 (EPSG:4528, the zone in the easting), written
    // the survey way: X the northing, Y the easting.
    let gk = from_epsg(4528).unwrap();
    let (e, n) = gk
        .converter()
        .unwrap()
        .from_wgs84(lamppost_core::geo::LatLon::new(25.05, 121.52))
        .unwrap();
    let header: Vec<String> = ["编码", "X坐标", "Y坐标"].map(str::to_owned).to_vec();
    let rows = vec![
        (2, vec!["A-1".to_owned(), String::new(), String::new()]),
        (
            3,
            vec!["A-2".to_owned(), format!("{n:.3}"), format!("{e:.3}")],
        ),
    ];
    let seen = seen_coords(&header, &rows, None).unwrap();
    assert_eq!(seen.source, SeenCrs::Guessed);
    assert_eq!(
        seen.crs.as_ref().map(Crs::word).as_deref(),
        Some("EPSG:4528")
    );
    assert!(seen.northing_first, "X holds the northing");
    assert_eq!(
        (seen.x_column.as_str(), seen.y_column.as_str()),
        ("X坐标", "Y坐标")
    );
    assert!(
        seen.likely.len() <= 4 && seen.likely[0] == gk,
        "{:?}",
        seen.likely
    );
    // The GIS order: X the easting.
    let rows = vec![(
        2,
        vec!["A-2".to_owned(), format!("{e:.3}"), format!("{n:.3}")],
    )];
    assert!(!seen_coords(&header, &rows, None).unwrap().northing_first);
    // Declared by the file.
    let seen = seen_coords(&header, &rows, Some("EPSG:4528")).unwrap();
    assert_eq!((seen.source, seen.likely.len()), (SeenCrs::Declared, 1));
    // Degrees.
    let rows = vec![(
        2,
        vec!["A-2".to_owned(), "121.52".to_owned(), "25.05".to_owned()],
    )];
    let seen = seen_coords(&header, &rows, None).unwrap();
    assert_eq!(
        (seen.source, seen.northing_first),
        (SeenCrs::Degrees, false)
    );
    assert!(seen.likely.is_empty());
    // No coordinate columns: nothing to say.
    assert!(seen_coords(&["编码".to_owned()], &rows, None).is_none());
}
