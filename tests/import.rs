//! The supervisor import, through the real binary: formats, encodings, datums, the hostile
//! corpus, dry runs, undo, exports, and a process killed in the middle of an apply.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

mod common;

use common::{bin, db_hash, demo, fixture, import_json, json_of, run};

fn data_version(db: &Path) -> i64 {
    json_of(&run(db, &["stats", "--json"]))["data_version"]
        .as_i64()
        .unwrap()
}

#[test]
fn every_hostile_file_is_refused_with_a_line_and_leaves_the_database_unchanged() {
    let (dir, db) = demo();
    // Generated at run time rather than committed: a 50 MB line and 10,000 columns.
    let long_line = dir.path().join("single_line_50mb.csv");
    let mut big = b"code,street,note\n9-90-0001,x,".to_vec();
    big.resize(50 * 1024 * 1024, b'a');
    std::fs::write(&long_line, &big).unwrap();
    drop(big);
    let wide = dir.path().join("columns_10000.csv");
    let header: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
    std::fs::write(
        &wide,
        format!("code,{}\n1,{}\n", header.join(","), "x,".repeat(9_999)),
    )
    .unwrap();

    // (file, extra arguments, expected line, expected field, a word of the English reason)
    let cases: Vec<(String, Vec<&str>, u64, &str, &str)> = vec![
        (fixture("hostile/empty.csv"), vec![], 1, "-", "empty"),
        (
            fixture("hostile/header_only.csv"),
            vec![],
            1,
            "-",
            "no data rows",
        ),
        (fixture("hostile/binary_junk.csv"), vec![], 1, "-", "binary"),
        (
            fixture("hostile/nul_bytes.csv"),
            vec![],
            3,
            "address",
            "U+0000",
        ),
        (
            fixture("hostile/unbalanced_quote.csv"),
            vec![],
            3,
            "-",
            "unbalanced quote",
        ),
        (
            fixture("hostile/bom_in_middle.csv"),
            vec![],
            3,
            "code",
            "byte-order mark",
        ),
        (
            fixture("hostile/mixed_encodings.csv"),
            vec![],
            3,
            "-",
            "mixes encodings",
        ),
        (
            fixture("hostile/gbk_file.csv"),
            vec!["--encoding", "utf-8"],
            1,
            "-",
            "encoding is wrong",
        ),
        (
            fixture("hostile/formula_injection.csv"),
            vec![],
            4,
            "note",
            "control character",
        ),
        (
            fixture("hostile/nan_inf.csv"),
            vec![],
            2,
            "lat_deg",
            "not a finite number",
        ),
        (
            fixture("hostile/lat_91.csv"),
            vec![],
            3,
            "lat_deg",
            "out of range",
        ),
        (
            fixture("hostile/swapped_lat_lon.csv"),
            vec![],
            2,
            "lat_deg",
            "swapped",
        ),
        (
            fixture("hostile/duplicate_codes.csv"),
            vec![],
            3,
            "code",
            "duplicates line 2",
        ),
        (
            fixture("hostile/normalised_duplicates.csv"),
            vec![],
            3,
            "code",
            "duplicates line 2",
        ),
        (
            fixture("hostile/missing_code.csv"),
            vec![],
            3,
            "code",
            "missing code",
        ),
        (
            fixture("hostile/only_latitude.csv"),
            vec![],
            2,
            "lon_deg",
            "only one of",
        ),
        (
            fixture("hostile/long_text.csv"),
            vec![],
            2,
            "address",
            "longer than 10000",
        ),
        (
            fixture("hostile/control_chars.csv"),
            vec![],
            3,
            "address",
            "U+001B",
        ),
        (
            fixture("hostile/no_code_column.csv"),
            vec![],
            1,
            "code",
            "no code column",
        ),
        (
            fixture("hostile/bad_side.csv"),
            vec![],
            2,
            "side",
            "unknown side",
        ),
        (
            fixture("hostile/bad_pole_no.csv"),
            vec![],
            2,
            "pole_no",
            "is not a number",
        ),
        (
            fixture("hostile/bad_code_chars.csv"),
            vec![],
            2,
            "code",
            "not a letter or digit",
        ),
        (
            fixture("hostile/new_street_without_name.csv"),
            vec![],
            2,
            "street",
            "needs a street name",
        ),
        (
            fixture("hostile/extra_columns.csv"),
            vec![],
            3,
            "-",
            "15 columns",
        ),
        (
            fixture("hostile/not_a_number.csv"),
            vec![],
            2,
            "lat_deg",
            "not a number",
        ),
        (
            fixture("hostile/utf16_no_code.csv"),
            vec![],
            1,
            "code",
            "no code column",
        ),
        (
            fixture("hostile/geojson_line_geometry.geojson"),
            vec![],
            2,
            "geometry",
            "not Point",
        ),
        (
            fixture("hostile/geojson_string_coordinates.geojson"),
            vec![],
            1,
            "lon_deg",
            "not a number",
        ),
        (
            fixture("hostile/geojson_not_a_collection.geojson"),
            vec![],
            1,
            "type",
            "FeatureCollection",
        ),
        (
            fixture("hostile/geojson_truncated.geojson"),
            vec![],
            14,
            "-",
            "not valid JSON",
        ),
        (
            fixture("hostile/geojson_properties_array.geojson"),
            vec![],
            2,
            "properties",
            "object",
        ),
        (
            fixture("hostile/geojson_nan_latitude.geojson"),
            vec![],
            1,
            "lat_deg",
            "out of range",
        ),
        (
            long_line.display().to_string(),
            vec![],
            2,
            "-",
            "longer than 1 MB",
        ),
        (wide.display().to_string(), vec![], 1, "-", "10001 columns"),
    ];
    let before = db_hash(&db);
    for (file, extra, line, field, word) in cases {
        let mut args = vec!["import", file.as_str(), "--json"];
        args.extend(extra);
        let out = run(&db, &args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_of(&out);
        assert_eq!(v["version"], Value::Null, "{file}");
        let rejected = v["rejected"].as_array().unwrap();
        let hit = rejected.iter().any(|f| {
            f["line"] == line
                && f["field"] == field
                && f["reason_en"].as_str().unwrap().contains(word)
                && f["reason_zh"].as_str().is_some_and(|z| !z.is_empty())
        });
        assert!(
            hit,
            "{file}: expected line {line} field {field} {word:?}, got {rejected:#?}"
        );
        assert_eq!(db_hash(&db), before, "{file} changed the database");
    }
    // Formula-like text alone is only a warning, with its line.
    let v = import_json(
        &db,
        &[&fixture("hostile/formula_injection.csv"), "--dry-run"],
    );
    let warned: Vec<(u64, &str)> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["reason_en"].as_str().unwrap().contains("formula"))
        .map(|w| (w["line"].as_u64().unwrap(), w["field"].as_str().unwrap()))
        .collect();
    assert_eq!(warned, [(2, "address"), (3, "landmark")]);
    assert_eq!(db_hash(&db), before);
}

#[test]
fn a_gbk_file_with_chinese_headers_is_detected_and_applied_with_an_audit_record() {
    let (_d, db) = demo();
    let v = import_json(
        &db,
        &[
            &fixture("import/gbk_chinese_headers.csv"),
            "--note",
            "月度复核",
        ],
    );
    assert_eq!(v["encoding"], "gb18030");
    assert_eq!(v["delimiter"], ",");
    assert_eq!(
        (
            v["rows"].as_u64(),
            v["added"].as_u64(),
            v["changed"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(v["version"], 2);
    let changed = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["op"] == "change")
        .unwrap();
    assert_eq!(changed["fields"][0]["field"], "note");
    assert_eq!(changed["fields"][0]["after"], "已复核");
    let vs = json_of(&run(&db, &["versions", "--json"]));
    let last = &vs["versions"][1];
    assert_eq!(last["applied_by"], "test-supervisor");
    assert_eq!(last["note"], "月度复核");
    assert_eq!(last["source_name"], "gbk_chinese_headers.csv");
    let bytes = std::fs::read(fixture("import/gbk_chinese_headers.csv")).unwrap();
    assert_eq!(
        last["source_sha256"],
        format!("{:x}", Sha256::digest(&bytes))
    );
    let p = json_of(&run(&db, &["lookup", "9-91-0001", "--json"]));
    assert_eq!(p["street"], "测试大街");
    assert_eq!(p["position"], "surveyed");
}

#[test]
fn utf16_semicolon_and_geojson_files_are_read() {
    let (_d, db) = demo();
    let v = import_json(&db, &[&fixture("import/utf16le_tabs.csv"), "--dry-run"]);
    assert_eq!(
        (
            v["encoding"].as_str(),
            v["delimiter"].as_str(),
            v["added"].as_u64()
        ),
        (Some("UTF-16LE"), Some("\t"), Some(1))
    );
    let v = import_json(&db, &[&fixture("import/semicolons.csv"), "--dry-run"]);
    assert_eq!(
        (v["delimiter"].as_str(), v["added"].as_u64()),
        (Some(";"), Some(1))
    );
    let v = import_json(&db, &[&fixture("import/points.geojson")]);
    assert_eq!(
        (
            v["format"].as_str(),
            v["delimiter"].clone(),
            v["added"].as_u64()
        ),
        (Some("geojson"), Value::Null, Some(2))
    );
    let p = json_of(&run(&db, &["lookup", "9-91-0005", "--json"]));
    assert_eq!(
        (
            p["lat_deg"].as_f64(),
            p["lon_deg"].as_f64(),
            p["pole_no"].as_u64()
        ),
        (Some(25.0405), Some(121.5105), Some(5))
    );
}

fn position_of(db: &Path, code: &str) -> lamppost_core::geo::LatLon {
    let p = json_of(&run(db, &["lookup", code, "--json"]));
    assert_eq!(p["position"], "surveyed");
    lamppost_core::geo::LatLon::new(
        p["lat_deg"].as_f64().unwrap(),
        p["lon_deg"].as_f64().unwrap(),
    )
}

#[test]
fn gcj02_and_bd09_coordinates_come_back_to_the_surveyed_wgs84_position() {
    use lamppost_core::datum::gcj02_to_bd09;
    use lamppost_core::geo::{LatLon, wgs84_to_gcj02};
    let (d, db) = demo();
    // Read as WGS-84, the GCJ-02 file is the GCJ-02 shift of pole 1-01-0001, and says so.
    let v = import_json(&db, &[&fixture("import/gcj02.csv"), "--dry-run"]);
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["line"] == 2 && w["reason_en"].as_str().unwrap().contains("GCJ-02")),
        "{v}"
    );
    // Pole 1-01-0001 was surveyed at 25.0336938, 121.5104916 (WGS-84).
    let surveyed = LatLon::new(25.033_693_8, 121.510_491_6);
    let v = import_json(&db, &[&fixture("import/gcj02.csv"), "--crs", "gcj02"]);
    // It converts back to the stored survey within 1e-9° (0.1 mm): nothing to change.
    assert_eq!(
        (v["unchanged"].as_u64(), v["version"].clone()),
        (Some(1), Value::Null),
        "{v}"
    );
    assert!(position_of(&db, "1-01-0001").distance_m(surveyed) < 0.5);

    // Pole 1-01-0003, surveyed at 25.0339534, 121.5104997, given in Baidu's BD-09 and moved 20 m
    // north first so that the import is a change.
    let moved = LatLon::new(25.033_953_4 + 0.000_18, 121.510_499_7);
    let bd = gcj02_to_bd09(wgs84_to_gcj02(moved));
    let file = d.path().join("baidu.csv");
    std::fs::write(
        &file,
        format!("code,lat,lon\n1-01-0003,{},{}\n", bd.lat_deg, bd.lon_deg),
    )
    .unwrap();
    let v = import_json(&db, &[file.to_str().unwrap(), "--crs", "bd09"]);
    assert_eq!(v["changed"], 1, "{v}");
    assert!(position_of(&db, "1-01-0003").distance_m(moved) < 0.5);
    let vs = json_of(&run(&db, &["versions", "--json"]));
    let datums: Vec<&str> = vs["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["datum"].as_str().unwrap())
        .collect();
    assert_eq!(datums, ["wgs84", "bd09"]);
}

#[test]
fn gauss_kruger_metres_are_refused_without_a_crs_and_converted_with_one() {
    use lamppost_core::crs::Crs;
    use lamppost_core::geo::LatLon;
    let (d, db) = demo();
    // Pole 1-01-0003 (121.51°E) moved 20 m north, written as a survey team writes it: CGCS2000
    // 3° Gauss–Krüger zone 41 with the zone number before the easting, X the northing.
    let moved = LatLon::new(25.033_953_4 + 0.000_18, 121.510_499_7);
    let crs = Crs::parse("EPSG:4529").unwrap();
    let (e, n) = crs.converter().unwrap().from_wgs84(moved).unwrap();
    assert!((41_000_000.0..42_000_000.0).contains(&e), "{e}");
    let file = d.path().join("survey.csv");
    std::fs::write(
        &file,
        format!("编码,X坐标,Y坐标\n1-01-0003,{n:.3},{e:.3}\n"),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    // No --crs: refused, nothing written, and the message names the zone.
    let before = db_hash(&db);
    let out = run(
        &db,
        &["import", f, "--map", "lon=X坐标,lat=Y坐标", "--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    let reason = v["rejected"][0]["reason_en"].as_str().unwrap();
    assert!(reason.contains("--crs EPSG:4529"), "{reason}");
    assert_eq!(v["rejected"][0]["kind"], "projected_without_crs");
    assert_eq!(db_hash(&db), before);
    // With it: the change, the X/Y warning, the position within a millimetre (plus the
    // 3-decimal rounding), and the EPSG code recorded in the version.
    let v = import_json(
        &db,
        &[f, "--map", "lon=X坐标,lat=Y坐标", "--crs", "EPSG:4529"],
    );
    assert_eq!(
        (v["changed"].as_u64(), v["crs"].as_str()),
        (Some(1), Some("EPSG:4529")),
        "{v}"
    );
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["kind"] == "northing_first"),
        "{v}"
    );
    assert!(position_of(&db, "1-01-0003").distance_m(moved) < 0.002);
    let vs = json_of(&run(&db, &["versions", "--json"]));
    assert_eq!(vs["versions"][1]["datum"], "EPSG:4529");
    // A .prj file's path is read as its WKT; an unknown CRS cannot run (exit 2).
    let prj = d.path().join("survey.prj");
    std::fs::write(
        &prj,
        std::fs::read_to_string(fixture("crs/prj/cgcs2000_3deg_zone40.esri.prj")).unwrap(),
    )
    .unwrap();
    let out = run(
        &db,
        &[
            "import",
            f,
            "--crs",
            prj.to_str().unwrap(),
            "--dry-run",
            "--json",
        ],
    );
    assert_eq!(json_of(&out)["crs"], "EPSG:4528");
    let out = run(&db, &["import", f, "--crs", "EPSG:99999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown coordinate system"));
    let out = run(
        &db,
        &["import", f, "--crs", "gcj02", "--towgs84", "1,2,3,0,0,0,0"],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// A code at a place that another valid code one misread digit away could be mistaken for:
/// the call-taker is asked to check the place, not a street the pole is not on.
#[test]
fn confusable_codes_at_a_place_ask_to_check_the_place() {
    let (d, db) = demo();
    let file = d.path().join("parks.csv");
    std::fs::write(
        &file,
        "编码,杆号,纬度,经度,地标,辖区\n\
         9-77-0003,3,25.0400,121.5100,幸福公园,城关派出所\n\
         9-77-0008,8,25.0600,121.5300,青年公园,城南派出所\n",
    )
    .unwrap();
    assert!(
        run(&db, &["import", file.to_str().unwrap()])
            .status
            .success()
    );
    let out = run(&db, &["lookup", "9-77-0003"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("9-77-0008"),
        "the other park's code is listed: {text}"
    );
    assert!(text.contains("核对地点 / check the place"), "{text}");
    assert!(!text.contains("核对街路名"), "{text}");
}

#[test]
fn a_sign_in_a_park_with_no_street_and_long_directions_imports_and_reads_back_short() {
    let (d, db) = demo();
    // Real registers: signs in a park with no street, and access directions of 3,000 characters.
    let directions = "由公园东门进入沿湖边步道向北行约三百米，过木桥后左转上坡，".repeat(120);
    assert!(directions.chars().count() >= 3000);
    let file = d.path().join("park.csv");
    std::fs::write(
        &file,
        format!(
            "编码,杆号,纬度,经度,地标,辖区,备注\n\
             9-77-0003,3,25.0400,121.5100,幸福公园,城关派出所,{directions}\n\
             9-77-0004,4,25.0402,121.5101,幸福公园,城关派出所,\n\
             9-77-0009,9,25.0500,121.5200,,城南派出所,\n\
             9-77-0010,10,,,,城南派出所,\n"
        ),
    )
    .unwrap();
    let out = run(
        &db,
        &[
            "import",
            file.to_str().unwrap(),
            "--allow-partial",
            "--json",
        ],
    );
    let v = json_of(&out);
    // The three with a position import; the one with neither street nor position cannot.
    assert_eq!(
        (v["added"].as_u64(), v["rejected_rows"].as_u64()),
        (Some(3), Some(1)),
        "{v}"
    );
    assert_eq!(v["rejected"][0]["kind"], "new_code_needs_street");
    let grouped: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "grouped_under_place")
        .map(|w| w["reason_en"].as_str().unwrap())
        .collect();
    assert_eq!(
        grouped,
        [
            "no street: grouped under the place 幸福公园",
            "no street: grouped under the place 幸福公园",
            "no street: grouped under the place 城南派出所"
        ]
    );
    let p = json_of(&run(&db, &["lookup", "9-77-0003", "--json"]));
    let rb = p["readback"].as_str().unwrap();
    // Said as the place's alarm post, not as a lamp post along a street.
    assert!(rb.starts_with("幸福公园 3号报警桩，"), "{rb}");
    assert!(rb.ends_with("，属城关派出所"), "{rb}");
    assert!(
        !rb.contains("幸福公园附近"),
        "the place is not said twice: {rb}"
    );
    assert!(rb.chars().count() < 80, "{rb}");
    let en = p["readback_en"].as_str().unwrap();
    assert!(en.starts_with("Alarm post No. 3 in 幸福公园"), "{en}");
    // The long directions are stored whole.
    let csv = d.path().join("out.csv");
    assert!(
        run(&db, &["export", "csv", csv.to_str().unwrap()])
            .status
            .success()
    );
    assert!(std::fs::read_to_string(&csv).unwrap().contains(&directions));
    let p = json_of(&run(&db, &["lookup", "9-77-0009", "--json"]));
    assert!(
        p["readback"]
            .as_str()
            .unwrap()
            .starts_with("城南派出所 9号报警桩"),
        "{p}"
    );
}

#[test]
fn pole_numbers_with_suffixes_import_read_back_as_written_and_export_unchanged() {
    let (d, db) = demo();
    let file = d.path().join("suffixes.csv");
    std::fs::write(
        &file,
        "编码,街路,杆号,纬度,经度\n\
         9-66-0012,插杆路,12,25.0400,121.5100\n\
         9-66-1201,插杆路,12附1,,\n\
         9-66-0103F,插杆路,103F,25.0420,121.5100\n\
         9-66-5701,插杆路,570/1,25.0430,121.5100\n\
         9-66-1211,插杆路,12-1,25.0401,121.5100\n\
         9-66-0013,插杆路,13,25.0402,121.5100\n",
    )
    .unwrap();
    let v = import_json(&db, &[file.to_str().unwrap()]);
    assert_eq!(
        (v["added"].as_u64(), v["rejected_rows"].as_u64()),
        (Some(6), Some(0)),
        "{v}"
    );
    for (code, said) in [
        ("9-66-1201", "插杆路 第12附1号灯杆"),
        ("9-66-0103F", "插杆路 第103F号灯杆"),
        ("9-66-5701", "插杆路 第570/1号灯杆"),
        ("9-66-1211", "插杆路 第12-1号灯杆"),
    ] {
        let p = json_of(&run(&db, &["lookup", code, "--json"]));
        assert!(p["readback"].as_str().unwrap().starts_with(said), "{p}");
    }
    // 12附1 was never surveyed: it is estimated by its numeric part, beside pole 12.
    let p = json_of(&run(&db, &["lookup", "9-66-1201", "--json"]));
    assert_eq!(p["position"], "estimated", "{p}");
    let at = lamppost_core::geo::LatLon::new(
        p["lat_deg"].as_f64().unwrap(),
        p["lon_deg"].as_f64().unwrap(),
    );
    assert!(
        at.distance_m(lamppost_core::geo::LatLon::new(25.04, 121.51)) < 60.0,
        "{p}"
    );
    // The exports write the numbers as written, and read back with nothing to change.
    for ext in ["csv", "geojson"] {
        let out = d.path().join(format!("out.{ext}"));
        assert!(
            run(&db, &["export", ext, out.to_str().unwrap()])
                .status
                .success()
        );
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("12附1") || ext == "geojson", "{ext}");
        assert!(text.contains("570/1"), "{ext}");
        let v = import_json(&db, &[out.to_str().unwrap(), "--dry-run"]);
        assert_eq!(
            (
                v["added"].as_u64(),
                v["changed"].as_u64(),
                v["rejected_rows"].as_u64()
            ),
            (Some(0), Some(0), Some(0)),
            "{ext}: {v}"
        );
    }
}

#[test]
fn an_exported_csv_and_geojson_import_back_with_nothing_to_change() {
    let (d, db) = demo();
    let csv = d.path().join("out.csv");
    assert!(
        run(&db, &["export", "csv", csv.to_str().unwrap()])
            .status
            .success()
    );
    assert!(std::fs::read(&csv).unwrap().starts_with(b"\xEF\xBB\xBF"));
    let v = import_json(
        &db,
        &[csv.to_str().unwrap(), "--dry-run", "--replace-streets"],
    );
    assert_eq!(
        v["rejected"].as_array().unwrap().len(),
        0,
        "{}",
        v["rejected"]
    );
    assert_eq!(
        (
            v["added"].as_u64(),
            v["changed"].as_u64(),
            v["removed"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{}",
        v["changes"]
    );
    assert_eq!(v["unchanged"], v["rows"]);

    let gj = d.path().join("out.geojson");
    let out = run(&db, &["export", "geojson", gj.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&gj).unwrap()).unwrap();
    let feats = doc["features"].as_array().unwrap();
    let surveyed = feats
        .iter()
        .filter(|f| f["properties"]["position"] == "surveyed")
        .count();
    assert_eq!(surveyed, 1026);
    assert!(
        feats
            .iter()
            .any(|f| f["properties"]["position"] == "estimated"
                && f["properties"]["error_radius_m"].is_number())
    );
    let v = import_json(&db, &[gj.to_str().unwrap(), "--dry-run"]);
    assert_eq!(
        (v["added"].as_u64(), v["changed"].as_u64()),
        (Some(0), Some(0)),
        "{}",
        v["changes"]
    );
}

#[test]
fn dry_run_reports_and_writes_nothing_then_apply_and_undo_round_trip() {
    let (d, db) = demo();
    let before = db_hash(&db);
    let file = d.path().join("edit.csv");
    std::fs::write(&file, "code,status\n1-01-0001,damaged\n1-01-0003,damaged\n").unwrap();
    let report = d.path().join("report.csv");
    let v = import_json(
        &db,
        &[
            file.to_str().unwrap(),
            "--dry-run",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(
        (v["changed"].as_u64(), v["version"].clone()),
        (Some(2), Value::Null)
    );
    let r = std::fs::read_to_string(&report).unwrap();
    assert!(
        r.contains("change,2,1-01-0001,status,active,damaged"),
        "{r}"
    );
    assert_eq!(db_hash(&db), before);
    let v = import_json(&db, &[file.to_str().unwrap()]);
    assert_eq!(v["version"], 2);
    assert_eq!(
        json_of(&run(&db, &["lookup", "1-01-0001", "--json"]))["status"],
        "damaged"
    );
    let u = json_of(&run(&db, &["undo", "2", "--json"]));
    assert_eq!(
        (u["version"].as_i64(), u["changed"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        json_of(&run(&db, &["lookup", "1-01-0001", "--json"]))["status"],
        "active"
    );
    assert_eq!(data_version(&db), 3);
    let again = run(&db, &["undo", "2"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("undo the later versions first"));
    let v = json_of(&run(&db, &["versions", "--json"]));
    assert_eq!(v["versions"].as_array().unwrap().len(), 3);
}

/// A file of `n` new poles on new streets near the demo data.
fn big_file(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("big.csv");
    let mut s = String::from("code,street_code,street,pole_no,lat_deg,lon_deg\n");
    for i in 0..n {
        let street = i / 100;
        s.push_str(&format!(
            "8{street:03}{:04},8{street:03},新区第{street}路,{},{:.7},{:.7}\n",
            i % 100,
            i % 100 + 1,
            25.03 + (street as f64) * 0.0003,
            121.50 + ((i % 100) as f64) * 0.0001
        ));
    }
    std::fs::write(&path, s).unwrap();
    path
}

fn assert_old_or_new(db: &Path, old_codes: u64, added: u64) {
    let c = rusqlite::Connection::open(db).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    drop(c);
    let v = json_of(&run(db, &["stats", "--json"]));
    let codes = v["codes"].as_u64().unwrap();
    match v["data_version"].as_i64().unwrap() {
        1 => assert_eq!(codes, old_codes),
        2 => assert_eq!(codes, old_codes + added),
        other => panic!("version {other}"),
    }
}

#[test]
fn a_process_killed_inside_the_apply_leaves_the_old_version_intact() {
    if common::skip_for_packaged("needs the debug-only hook LAMPPOST_TEST_PAUSE_BEFORE_COMMIT_MS") {
        return;
    }
    let (d, db) = demo();
    let old = json_of(&run(&db, &["stats", "--json"]))["codes"]
        .as_u64()
        .unwrap();
    let file = big_file(d.path(), 5_000);
    let mut child = bin()
        .arg("--db")
        .arg(&db)
        .args(["import", file.to_str().unwrap()])
        .env("LAMPPOST_TEST_PAUSE_BEFORE_COMMIT_MS", "60000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 && !line.contains("paused before commit") {
        line.clear();
    }
    assert!(line.contains("paused"), "the hook never ran");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_old_or_new(&db, old, 5_000);
    assert_eq!(data_version(&db), 1);

    // And killed at arbitrary moments, without the hook: the old version or the new one.
    for delay_ms in [20, 80, 200, 400] {
        let mut child = bin()
            .arg("--db")
            .arg(&db)
            .args(["import", file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        assert_old_or_new(&db, old, 5_000);
        if data_version(&db) == 2 {
            break;
        }
    }
}

fn lib_import(
    db: &Path,
    file: &Path,
    control: &std::sync::Arc<lamppost_import::ImportControl>,
    save_mapping: Option<&str>,
) -> Result<lamppost_import::Report, lamppost_import::ImportError> {
    let mut store =
        lamppost_data::store::Store::open(db, lamppost_data::store::Access::ReadWrite).unwrap();
    let opts = lamppost_import::Options {
        applied_by: "test".into(),
        save_mapping: save_mapping.map(str::to_owned),
        control: Some(std::sync::Arc::clone(control)),
        ..lamppost_import::Options::default()
    };
    lamppost_import::import_path(&mut store, file, &opts)
}

#[test]
fn progress_reaches_done_with_every_byte_and_every_row_counted() {
    use lamppost_import::{ImportControl, Stage};
    let (d, db) = demo();
    let file = big_file(d.path(), 10_000);
    let control = std::sync::Arc::new(ImportControl::new());
    let r = lib_import(&db, &file, &control, None).unwrap();
    assert!(r.applied);
    let p = control.progress();
    let size = std::fs::metadata(&file).unwrap().len();
    assert_eq!(p.stage, Stage::Done);
    assert_eq!((p.bytes_done, p.bytes_total), (size, size));
    assert_eq!(p.rows, 10_000);
    assert!((p.fraction() - 1.0).abs() < f32::EPSILON);
}

#[test]
fn the_progress_fraction_seen_from_another_thread_only_grows_and_stays_within_zero_and_one() {
    use lamppost_import::{ImportControl, Stage};
    let (d, db) = demo();
    let file = big_file(d.path(), 20_000);
    let control = std::sync::Arc::new(ImportControl::new());
    let seen = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            let mut seen = Vec::new();
            loop {
                let p = control.progress();
                seen.push(p);
                if p.stage == Stage::Done {
                    return seen;
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        });
        lib_import(&db, &file, &control, None).unwrap();
        watcher.join().unwrap()
    });
    let mut last = 0.0f32;
    for p in &seen {
        let f = p.fraction();
        assert!((0.0..=1.0).contains(&f), "{p:?}");
        assert!(f >= last, "{f} after {last}: {p:?}");
        assert!(p.bytes_done <= p.bytes_total || p.bytes_total == 0, "{p:?}");
        last = f;
    }
    assert!(
        seen.iter().any(|p| p.stage == Stage::Reading),
        "the watcher never saw the reading pass"
    );
}

#[test]
fn an_import_cancelled_before_it_starts_or_from_another_thread_writes_nothing() {
    use lamppost_import::{ImportControl, ImportError, Stage};
    let (d, db) = demo();
    let file = big_file(d.path(), 20_000);
    let before = db_hash(&db);

    let control = std::sync::Arc::new(ImportControl::new());
    control.cancel();
    let r = lib_import(&db, &file, &control, Some("cancelled"));
    assert!(matches!(r, Err(ImportError::Cancelled)), "{r:?}");
    assert_eq!(db_hash(&db), before);

    // Cancelled while the rows stream by (or, on a very fast machine, just after).
    let control = std::sync::Arc::new(ImportControl::new());
    let r = std::thread::scope(|s| {
        s.spawn(|| {
            loop {
                let p = control.progress();
                if p.rows >= 4096 || !matches!(p.stage, Stage::Starting | Stage::Detecting) {
                    control.cancel();
                    return;
                }
                std::thread::yield_now();
            }
        });
        lib_import(&db, &file, &control, Some("cancelled"))
    });
    assert!(matches!(r, Err(ImportError::Cancelled)), "{r:?}");
    assert!(r.unwrap_err().to_string().contains("cancelled"));
    assert_eq!(db_hash(&db), before);
    assert_eq!(data_version(&db), 1);
}

/// The attack corpus of issue 13 (`tests/fixtures/attacks/`): each file that must be refused
/// is, with its message in both languages, and leaves every table as it was; each look-alike
/// that must land on the existing data does.
#[test]
fn every_attack_file_is_refused_with_its_message_and_leaves_every_table_unchanged() {
    let (_dir, db) = demo();
    let before = db_hash(&db);
    for (file, line, field, zh, en) in [
        (
            "pole_moved_to_null_island.csv",
            2,
            "lat_deg",
            "数据集范围以外",
            "outside the dataset's region",
        ),
        (
            "pole_moved_1700_km.csv",
            2,
            "lat_deg",
            "实测灯杆移动了",
            "--allow-moves",
        ),
        (
            "pole_moved_5_km.csv",
            2,
            "lat_deg",
            "超过 2.0 公里",
            "more than 2.0 km",
        ),
        (
            "code_as_inexact_json_number.geojson",
            2,
            "code",
            "不是整数",
            "the number 2450034.5",
        ),
        (
            "bidi_override_in_street.csv",
            2,
            "street",
            "U+202E",
            "text direction control U+202E",
        ),
        (
            "bidi_isolate_in_landmark.csv",
            2,
            "landmark",
            "U+2067",
            "reorders what is shown",
        ),
    ] {
        for dry in [true, false] {
            let mut args = vec![fixture(&format!("attacks/{file}"))];
            if dry {
                args.push("--dry-run".into());
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let v = import_json(&db, &args);
            let errors = v["rejected"].as_array().unwrap();
            assert!(
                errors.iter().any(|e| e["line"] == line
                    && e["field"] == field
                    && e["reason_zh"].as_str().unwrap().contains(zh)
                    && e["reason_en"].as_str().unwrap().contains(en)),
                "{file}: {errors:#?}"
            );
            assert_eq!(v["applied"], false, "{file}");
            assert_eq!(db_hash(&db), before, "{file} changed the database");
        }
    }
    // The supervisor who means it: the move is applied, and still reported.
    let moved = fixture("attacks/pole_moved_5_km.csv");
    let v = import_json(&db, &[&moved, "--max-move-km", "10"]);
    assert_eq!(v["changed"], 1, "{v:#}");
    let v = import_json(&db, &[&moved, "--allow-moves", "--dry-run"]);
    assert_eq!(v["rejected_rows"], 0, "{v:#}");
}

/// Zero-width characters make a look-alike street (中山南路 with a zero-width space) and hide
/// in landmarks; they are stripped, and the row lands on the existing street. A code written
/// as a JSON number that is exactly an integer is that integer's text.
#[test]
fn look_alike_text_and_exact_json_numbers_land_on_the_existing_data() {
    let (_dir, db) = demo();
    let streets = |db: &Path| json_of(&run(db, &["stats", "--json"]))["streets"].clone();
    let n_streets = streets(&db);
    let v = import_json(&db, &[&fixture("attacks/zero_width_in_street.csv")]);
    assert_eq!(v["added"], 1, "{v:#}");
    assert_eq!(streets(&db), n_streets, "no new street");
    let p = json_of(&run(&db, &["lookup", "9-99-0001", "--json"]));
    assert_eq!(p["street_code"], "09");
    assert_eq!(p["street"], "中山南路");
    assert_eq!(p["landmark"], "便利商店");

    let v = import_json(
        &db,
        &[&fixture("attacks/code_as_exact_json_number.geojson")],
    );
    assert_eq!(
        (v["changed"].as_u64(), v["added"].as_u64()),
        (Some(2), Some(0)),
        "{v:#}"
    );
    for code in ["2-45-0034", "2-45-0035"] {
        let p = json_of(&run(&db, &["lookup", code, "--json"]));
        assert_eq!(p["landmark"], "重新测量", "{code}");
    }
}
