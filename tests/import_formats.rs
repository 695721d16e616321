//! The import of the files a supervisor really gets (issue 14), through the real binary:
//! Excel and OpenDocument workbooks, Shapefiles, GeoPackages, Big5 and Latin-1 text, an
//! encoding too uncertain to use, constants (`--set`) and several files as one version.
//! Fixtures: `tests/fixtures/formats/` (made by `tests/fixtures/make_format_fixtures.py`).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

mod common;

use common::{demo, import_json, json_of, run};

/// A fixture of `tests/fixtures/formats/`.
fn fixture(name: &str) -> String {
    common::fixture(&format!("formats/{name}"))
}

fn lookup(db: &Path, code: &str) -> Value {
    json_of(&run(db, &["lookup", code, "--json"]))
}

fn versions(db: &Path) -> usize {
    json_of(&run(db, &["versions", "--json"]))["versions"]
        .as_array()
        .unwrap()
        .len()
}

fn reasons(v: &Value) -> String {
    v["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason_en"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn codes(v: &Value) -> Vec<String> {
    v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_xlsx_register_below_a_title_row_is_read_from_its_first_sheet_with_a_header() {
    let (_d, db) = demo();
    let v = import_json(&db, &[&fixture("poles_title_row.xlsx")]);
    assert_eq!(v["format"], "xlsx");
    assert_eq!(v["sheet"], "灯杆", "the notes sheet has no header: skipped");
    assert_eq!(v["mapping"]["code"], "灯杆编号");
    assert_eq!(
        (v["rows"].as_u64(), v["added"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(v["version"], 2, "{v}");
    // Findings and changes give the sheet's row numbers (header on row 3).
    assert_eq!(v["changes"][0]["line"], 4);
    // A text code keeps its leading zeros.
    let p = lookup(&db, "0012");
    assert_eq!(p["street"], "测试南路");
    assert_eq!(p["position"], "surveyed");
    // A numeric code cell (9930001.0) reads as the number shown.
    let v = import_json(
        &db,
        &[
            &fixture("poles_title_row.xlsx"),
            "--map",
            "code=数字编号",
            "--dry-run",
        ],
    );
    assert_eq!(codes(&v), ["9930001", "9930002", "9930003"]);
}

#[test]
fn a_sheet_is_chosen_by_name_and_a_missing_one_is_named_with_the_others() {
    let (_d, db) = demo();
    let v = import_json(
        &db,
        &[
            &fixture("poles_title_row.xlsx"),
            "--sheet",
            "灯杆",
            "--dry-run",
        ],
    );
    assert_eq!(v["added"], 3);
    let v = import_json(
        &db,
        &[
            &fixture("poles_title_row.xlsx"),
            "--sheet",
            "说明",
            "--dry-run",
        ],
    );
    assert!(reasons(&v).contains("no code column"), "{}", reasons(&v));
    let v = import_json(
        &db,
        &[
            &fixture("poles_title_row.xlsx"),
            "--sheet",
            "Sheet9",
            "--dry-run",
        ],
    );
    let r = reasons(&v);
    assert!(r.contains("Sheet9") && r.contains("说明, 灯杆"), "{r}");
    assert_eq!(versions(&db), 1);
}

#[test]
fn a_number_cell_formatted_0000_reads_as_the_cell_shows_it() {
    // Written at test time: numeric code cells in the number format `0000` (Excel shows 12 as
    // `0012`), coordinates in `0.00` (shown rounded, read whole), the table from column B.
    let (d, db) = demo();
    let path = d.path().join("formatted.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("灯杆").unwrap();
    let code = rust_xlsxwriter::Format::new().set_num_format("0000");
    let dashed = rust_xlsxwriter::Format::new().set_num_format("\"9-94-\"0000");
    let rounded = rust_xlsxwriter::Format::new().set_num_format("0.00");
    sheet.write_string(0, 1, "格式测试登记表").unwrap();
    for (c, h) in ["编码", "街路", "杆号", "纬度", "经度"].iter().enumerate() {
        sheet.write_string(2, 1 + c as u16, *h).unwrap();
    }
    let rows: [(f64, &rust_xlsxwriter::Format); 3] =
        [(12.0, &code), (12_345.0, &code), (7.0, &dashed)];
    for (i, (n, f)) in rows.into_iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_number_with_format(r, 1, n, f).unwrap();
        sheet.write_string(r, 2, "格式南路").unwrap();
        sheet.write_number(r, 3, 1.0 + i as f64).unwrap();
        sheet
            .write_number_with_format(r, 4, 25.041_234_5 + i as f64 * 1e-4, &rounded)
            .unwrap();
        sheet
            .write_number_with_format(r, 5, 121.512_345_6, &rounded)
            .unwrap();
    }
    book.save(&path).unwrap();
    let v = import_json(&db, &[path.to_str().unwrap()]);
    assert_eq!(v["format"], "xlsx");
    assert_eq!(codes(&v), ["0012", "12345", "9-94-0007"], "{v}");
    assert_eq!(v["changes"][0]["line"], 4, "the sheet's row number");
    let p = lookup(&db, "0012");
    assert_eq!(p["street"], "格式南路");
    // The coordinate's format shows 25.04; the stored position keeps every digit.
    let lat = p["lat_deg"].as_f64().unwrap();
    assert!((lat - 25.041_234_5).abs() < 1e-6, "{p}");
}

#[test]
fn xls_and_ods_workbooks_are_read_with_simplified_and_traditional_headers() {
    let (_d, db) = demo();
    let v = import_json(&db, &[&fixture("poles.xls"), "--dry-run"]);
    assert_eq!(
        (v["format"].as_str(), v["added"].as_u64()),
        (Some("xls"), Some(3))
    );
    assert_eq!(codes(&v), ["9-93-0001", "0012", "9-93-0003"]);
    let v = import_json(&db, &[&fixture("poles.ods")]);
    assert_eq!(
        (v["format"].as_str(), v["added"].as_u64()),
        (Some("ods"), Some(3))
    );
    assert_eq!(v["mapping"]["street"], "街路");
    assert_eq!(v["mapping"]["lon_deg"], "經度");
    assert_eq!(lookup(&db, "9-93-0003")["street"], "測試南路");
}

#[test]
fn a_shapefile_with_gbk_attributes_and_no_cpg_is_decoded_and_carries_its_prj() {
    let (_d, db) = demo();
    let v = import_json(&db, &[&fixture("poles_gbk.shp")]);
    assert_eq!(v["format"], "shapefile");
    assert_eq!(v["encoding"], "gb18030", "{v}");
    assert!(v["encoding_confidence"].as_u64().unwrap() >= 50);
    assert!(
        v["crs_hint"].as_str().unwrap().contains("GCS_WGS_1984"),
        "{}",
        v["crs_hint"]
    );
    assert_eq!(v["mapping"]["lon_deg"], "geometry.x");
    assert_eq!(v["added"], 3, "{}", reasons(&v));
    let p = lookup(&db, "9-93-0001");
    assert_eq!(p["street"], "测试南路");
    assert!(
        p["address"]
            .as_str()
            .unwrap()
            .contains("台北市中正区测试南路1号")
    );
    assert!(
        (p["lat_deg"].as_f64().unwrap() - 25.0401).abs() < 1e-9,
        "{p}"
    );
    assert!(
        (p["lon_deg"].as_f64().unwrap() - 121.5101).abs() < 1e-9,
        "{p}"
    );
}

#[test]
fn a_shapefile_without_its_dbf_or_shx_is_refused_by_name() {
    let (dir, db) = demo();
    for missing in ["dbf", "shx"] {
        let sub = dir.path().join(format!("no_{missing}"));
        std::fs::create_dir(&sub).unwrap();
        for ext in ["shp", "shx", "dbf", "prj"] {
            if ext != missing {
                std::fs::copy(
                    fixture(&format!("poles_gbk.{ext}")),
                    sub.join(format!("poles_gbk.{ext}")),
                )
                .unwrap();
            }
        }
        let shp = sub.join("poles_gbk.shp");
        let out = run(&db, &["import", shp.to_str().unwrap(), "--json"]);
        assert_eq!(out.status.code(), Some(1));
        let r = reasons(&json_of(&out));
        assert!(r.contains(&format!("poles_gbk.{missing}")), "{r}");
    }
    assert_eq!(versions(&db), 1);
}

#[test]
fn a_geopackage_point_layer_is_read_read_only_with_its_epsg_code() {
    let (_d, db) = demo();
    let gpkg = fixture("poles.gpkg");
    let before = Sha256::digest(std::fs::read(&gpkg).unwrap());
    let v = import_json(&db, &[&gpkg]);
    assert_eq!(v["format"], "gpkg");
    assert_eq!(v["sheet"], "poles", "the line layer is not offered");
    assert_eq!(v["crs_hint"], "EPSG:4326");
    assert_eq!(v["added"], 3, "{}", reasons(&v));
    assert_eq!(lookup(&db, "9-93-0003")["street"], "测试南路");
    assert_eq!(
        Sha256::digest(std::fs::read(&gpkg).unwrap()),
        before,
        "the GeoPackage was not written"
    );
    let v = import_json(&db, &[&gpkg, "--layer", "roads", "--dry-run"]);
    assert!(reasons(&v).contains("roads"), "{}", reasons(&v));
}

#[test]
fn big5_and_windows_1252_files_are_recognised_instead_of_garbled() {
    let (_d, db) = demo();
    let v = import_json(&db, &[&fixture("big5.csv")]);
    assert_eq!(v["encoding"], "Big5", "{v}");
    assert!(v["encoding_confidence"].as_u64().unwrap() >= 50);
    assert_eq!(v["added"], 3, "{}", reasons(&v));
    let p = lookup(&db, "9-93-0001");
    assert_eq!(p["street"], "測試南路");
    assert_eq!(p["address"], "臺北市中正區測試南路1號之一");
    let v = import_json(&db, &[&fixture("windows1252.csv"), "--dry-run"]);
    assert_eq!(v["encoding"], "windows-1252");
    assert_eq!(v["encoding_confidence"], 100);
    assert_eq!(
        v["warnings_total"], 1,
        "the new street only, no Latin-1 warning: {v}"
    );
    assert_eq!(v["changes"][0]["fields"][1]["after"], "près du café n° 1");
}

#[test]
fn an_uncertain_encoding_is_refused_with_its_candidates_and_encoding_decides() {
    let (dir, db) = demo();
    let f = dir.path().join("one_char.csv");
    // One GBK character (啊) is too little to tell GBK from Big5.
    std::fs::write(
        &f,
        b"code,street,lat,lon\n9-93-0009,\xb0\xa1,25.04,121.51\n",
    )
    .unwrap();
    let out = run(&db, &["import", f.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    let r = reasons(&v);
    assert!(r.contains("--encoding") && r.contains("Big5"), "{r}");
    assert_eq!(v["applied"], false);
    assert_eq!(versions(&db), 1);
    let v = import_json(&db, &[f.to_str().unwrap(), "--encoding", "gbk"]);
    assert_eq!(v["added"], 1, "{}", reasons(&v));
    assert_eq!(lookup(&db, "9-93-0009")["street"], "啊");
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn set_gives_a_field_a_constant_even_the_file_name_and_a_folder_is_one_version_all_or_nothing() {
    let (dir, db) = demo();
    let road = write(
        dir.path(),
        "AYE.csv",
        "code,pole_no,lat,lon\n9-94-0001,1,25.0401,121.5101\n9-94-0002,2,25.0402,121.5102\n",
    );
    let v = import_json(&db, &[road.to_str().unwrap(), "--set", "street=AYE"]);
    assert_eq!(v["added"], 2, "{}", reasons(&v));
    assert_eq!(v["mapping"]["street"], "=AYE");
    assert_eq!(lookup(&db, "9-94-0002")["street"], "AYE");

    let folder = dir.path().join("register");
    std::fs::create_dir(&folder).unwrap();
    write(
        &folder,
        "a.csv",
        "code,street,lat,lon\n9-95-0001,测试东路,25.0411,121.5111\n",
    );
    write(
        &folder,
        "b.csv",
        "编码,街路,纬度,经度\n9-95-0002,测试西路,25.0412,121.5112\n",
    );
    write(&folder, "readme.md", "not imported");
    let before = versions(&db);
    let v = import_json(&db, &[folder.to_str().unwrap()]);
    assert_eq!(v["added"], 2, "{}", reasons(&v));
    assert_eq!(versions(&db), before + 1, "one version for the folder");
    assert_eq!(v["source"], "a.csv, b.csv");
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
    assert_eq!(v["files"][1]["rows"], 1);

    // One file per road, the road only in the file name.
    let roads = dir.path().join("roads");
    std::fs::create_dir(&roads).unwrap();
    write(
        &roads,
        "PIE.csv",
        "code,lat,lon\n9-96-0001,25.0421,121.5121\n",
    );
    write(
        &roads,
        "CTE.csv",
        "code,lat,lon\n9-96-0002,25.0422,121.5122\n",
    );
    let v = import_json(&db, &[roads.to_str().unwrap(), "--set", "street={file}"]);
    assert_eq!(v["added"], 2, "{}", reasons(&v));
    assert_eq!(lookup(&db, "9-96-0001")["street"], "PIE");
    assert_eq!(lookup(&db, "9-96-0002")["street"], "CTE");
    let before = versions(&db);

    // One bad file: nothing of the other is written, and the finding names its file.
    write(
        &folder,
        "c.csv",
        "code,street,lat,lon\n9-95-0003,测试北路,91,121.5\n",
    );
    write(
        &folder,
        "a.csv",
        "code,street,lat,lon\n9-95-0004,测试东路,25.0413,121.5113\n",
    );
    let out = run(&db, &["import", folder.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_of(&out);
    assert_eq!(v["rejected"][0]["file"], "c.csv", "{v}");
    assert_eq!(versions(&db), before, "nothing written");
    assert_eq!(
        run(&db, &["lookup", "9-95-0004", "--json"]).status.code(),
        Some(1),
        "nothing of a.csv was written"
    );
}

/// A Shapefile in CGCS2000 Gauss–Krüger metres whose `.prj` says so: imported with no `--crs`,
/// the CRS taken from the file, the points where they were, and the version records the CRS.
#[test]
fn a_gauss_kruger_shapefile_is_read_in_the_crs_its_prj_declares() {
    use lamppost_core::crs::Crs;
    use lamppost_core::geo::LatLon;
    let (dir, db) = demo();
    let prj =
        std::fs::read_to_string(common::fixture("crs/prj/cgcs2000_3deg_zone40.esri.prj")).unwrap();
    let conv = Crs::parse(&prj).unwrap().converter().unwrap();
    // The GBK Shapefile's three points, rewritten in the zone's metres.
    let mut shp = std::fs::read(fixture("poles_gbk.shp")).unwrap();
    let mut wgs = Vec::new();
    for k in 0..3 {
        let at = 100 + 28 * k + 12;
        let x = f64::from_le_bytes(shp[at..at + 8].try_into().unwrap());
        let y = f64::from_le_bytes(shp[at + 8..at + 16].try_into().unwrap());
        wgs.push(LatLon::new(y, x));
        let (e, n) = conv.from_wgs84(LatLon::new(y, x)).unwrap();
        shp[at..at + 8].copy_from_slice(&e.to_le_bytes());
        shp[at + 8..at + 16].copy_from_slice(&n.to_le_bytes());
    }
    let base = dir.path().join("gk");
    std::fs::write(base.with_extension("shp"), &shp).unwrap();
    for ext in ["shx", "dbf"] {
        std::fs::copy(
            fixture(&format!("poles_gbk.{ext}")),
            base.with_extension(ext),
        )
        .unwrap();
    }
    std::fs::write(base.with_extension("prj"), &prj).unwrap();

    let v = import_json(&db, &[base.with_extension("shp").to_str().unwrap()]);
    assert_eq!(v["added"], 3, "{v}");
    assert_eq!(v["crs_source"], "file", "{v}");
    assert!(v["crs"].as_str().unwrap().contains("4528"), "{v}");
    let codes: Vec<String> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    for code in &codes {
        let p = lookup(&db, code);
        let at = LatLon::new(
            p["lat_deg"].as_f64().unwrap(),
            p["lon_deg"].as_f64().unwrap(),
        );
        assert!(
            wgs.iter().any(|w| w.distance_m(at) < 0.01),
            "{code} at {at:?}, not one of {wgs:?}"
        );
    }
    let last = json_of(&run(&db, &["versions", "--json"]))["versions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last["datum"].as_str().unwrap().contains("4528"), "{last}");
}
