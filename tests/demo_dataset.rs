//! Checks the committed demo dataset (`data/demo/`) against the rules it was built to: 52 coded
//! streets, 4,000–4,200 poles of which exactly 1,026 are surveyed, well-formed unique codes,
//! odd and even numbers on opposite sides, and surveyed points on their street.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::format_push_string)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use lamppost_core::geo::{LatLon, Polyline, parse_wkt_linestring};
use lamppost_core::model::{CANONICAL_HEADER, STREETS_HEADER, Side};

#[derive(Debug, serde::Deserialize)]
struct StreetRow {
    street_code: String,
    name: String,
    district: String,
    jurisdiction: String,
    geometry_wkt: String,
}

#[derive(Debug, serde::Deserialize)]
struct PoleRow {
    code: String,
    street_code: String,
    street: String,
    pole_no: u32,
    side: String,
    lat_deg: Option<f64>,
    lon_deg: Option<f64>,
    address: String,
    cross_street: String,
    jurisdiction: String,
    status: String,
}

fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo")
}

fn reader(file: &str) -> csv::Reader<std::fs::File> {
    let path = demo_dir().join(file);
    csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{e}: {}", path.display()))
}

fn header(file: &str) -> Vec<String> {
    let mut r = reader(file);
    let h = r.headers().unwrap_or_else(|e| panic!("{e}: {file}"));
    h.iter().map(str::to_owned).collect()
}

fn rows<T: serde::de::DeserializeOwned>(file: &str) -> Vec<T> {
    reader(file)
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {file}"))
}

fn streets() -> Vec<StreetRow> {
    rows("streets.csv")
}

fn poles() -> Vec<PoleRow> {
    rows("poles.csv")
}

fn street_map() -> BTreeMap<String, StreetRow> {
    streets()
        .into_iter()
        .map(|s| (s.street_code.clone(), s))
        .collect()
}

fn district_digit(district: &str) -> char {
    match district {
        "中正區" => '1',
        "大同區" => '2',
        "中山區" => '3',
        other => panic!("unknown district {other}"),
    }
}

fn surveyed(p: &PoleRow) -> Option<LatLon> {
    match (p.lat_deg, p.lon_deg) {
        (Some(lat), Some(lon)) => Some(LatLon::new(lat, lon)),
        (None, None) => None,
        _ => panic!("{} has only one of lat/lon", p.code),
    }
}

/// `^[123]-\d\d-\d{4}$`, without a regex crate.
fn is_well_formed_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 9
        && matches!(b[0], b'1'..=b'3')
        && b[1] == b'-'
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..].iter().all(u8::is_ascii_digit)
}

#[test]
fn the_files_have_the_canonical_headers() {
    assert_eq!(header("streets.csv"), STREETS_HEADER);
    assert_eq!(header("poles.csv"), CANONICAL_HEADER);
    assert_eq!(header("meta.csv"), ["key", "value"]);
}

#[test]
fn the_demo_has_52_streets_coded_01_to_52() {
    let streets = streets();
    assert_eq!(streets.len(), 52);
    let codes: BTreeSet<String> = streets.iter().map(|s| s.street_code.clone()).collect();
    let want: BTreeSet<String> = (1..=52).map(|i| format!("{i:02}")).collect();
    assert_eq!(codes, want);
    let names: BTreeSet<&str> = streets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 52, "street names are unique");
}

#[test]
fn every_street_is_a_named_surface_street_with_a_line() {
    for s in streets() {
        assert!(
            !s.name.trim().is_empty(),
            "street {} has no name",
            s.street_code
        );
        assert!(
            !s.name.contains("高架") && !s.name.contains("地下街"),
            "{} is not a surface street",
            s.name
        );
        district_digit(&s.district);
        assert!(s.jurisdiction.ends_with("辖区"), "{}", s.jurisdiction);
        let line = parse_wkt_linestring(&s.geometry_wkt).unwrap();
        assert!(
            Polyline::new(&line).is_some_and(|l| l.length_m() > 100.0),
            "{}",
            s.name
        );
    }
}

#[test]
fn the_demo_has_between_4000_and_4200_poles() {
    let n = poles().len();
    assert!((4000..=4200).contains(&n), "{n} poles");
}

#[test]
fn the_demo_has_exactly_1026_surveyed_poles() {
    let n = poles().iter().filter_map(surveyed).count();
    assert_eq!(n, 1026);
}

#[test]
fn every_code_is_well_formed_unique_and_matches_its_street_and_number() {
    let streets = street_map();
    let mut seen = BTreeSet::new();
    for p in poles() {
        assert!(is_well_formed_code(&p.code), "bad code {}", p.code);
        assert!(seen.insert(p.code.clone()), "duplicate code {}", p.code);
        let s = streets.get(&p.street_code).unwrap();
        assert_eq!(p.street, s.name, "{}", p.code);
        let mut parts = p.code.split('-');
        let (d, ss, nnnn) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert_eq!(
            d.chars().next(),
            Some(district_digit(&s.district)),
            "{}",
            p.code
        );
        assert_eq!(ss, p.street_code, "{}", p.code);
        assert_eq!(nnnn.parse::<u32>().unwrap(), p.pole_no, "{}", p.code);
    }
}

#[test]
fn pole_numbers_run_from_1_to_n_on_every_street() {
    let mut by_street: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for p in poles() {
        by_street.entry(p.street_code).or_default().push(p.pole_no);
    }
    assert_eq!(by_street.len(), 52, "every street has poles");
    for (code, mut nos) in by_street {
        nos.sort_unstable();
        let want: Vec<u32> = (1..=nos.len() as u32).collect();
        assert_eq!(nos, want, "street {code}");
        assert!(nos.len() % 2 == 0, "street {code} has pairs of poles");
    }
}

#[test]
fn odd_and_even_numbers_of_a_street_stand_on_opposite_sides() {
    let mut by_key: BTreeMap<(String, u32), Side> = BTreeMap::new();
    for p in poles() {
        assert!(
            ["东", "西", "南", "北"].contains(&p.side.as_str()),
            "{}: {}",
            p.code,
            p.side
        );
        let side = Side::parse(&p.side).unwrap();
        by_key.insert((p.street_code, p.pole_no), side);
    }
    for ((street, no), side) in &by_key {
        if no % 2 == 1 {
            let other = by_key[&(street.clone(), no + 1)];
            let (a, b) = (side.compass().unwrap(), other.compass().unwrap());
            assert!(
                (a.0 + b.0).abs() < 1e-9 && (a.1 + b.1).abs() < 1e-9,
                "street {street}: pole {no} is {side:?}, pole {} is {other:?}",
                no + 1
            );
        }
    }
}

#[test]
fn surveyed_poles_lie_in_the_sample_area_within_40_m_of_their_street() {
    let lines: BTreeMap<String, Polyline> = streets()
        .into_iter()
        .map(|s| {
            let pts = parse_wkt_linestring(&s.geometry_wkt).unwrap();
            (s.street_code, Polyline::new(&pts).unwrap())
        })
        .collect();
    for p in poles() {
        let Some(at) = surveyed(&p) else { continue };
        assert!(
            (121.50..=121.54).contains(&at.lon_deg),
            "{}: {at:?}",
            p.code
        );
        assert!((25.02..=25.07).contains(&at.lat_deg), "{}: {at:?}", p.code);
        let hit = lines[&p.street_code].project(at);
        assert!(
            hit.offset_m <= 40.0,
            "{} is {:.1} m off",
            p.code,
            hit.offset_m
        );
    }
}

#[test]
fn every_pole_has_an_address_a_cross_street_and_a_jurisdiction() {
    for p in poles() {
        assert!(p.address.starts_with("臺北市"), "{}: {}", p.code, p.address);
        assert!(p.address.contains(&p.street), "{}: {}", p.code, p.address);
        assert!(!p.cross_street.is_empty(), "{}", p.code);
        assert!(
            p.address.contains(&p.cross_street),
            "{}: {}",
            p.code,
            p.address
        );
        assert!(
            p.jurisdiction.ends_with("辖区"),
            "{}: {}",
            p.code,
            p.jurisdiction
        );
        assert_eq!(p.status, "active", "{}", p.code);
    }
}

#[test]
fn the_meta_file_names_the_source_licence_and_command() {
    let meta: BTreeMap<String, String> = reader("meta.csv")
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_owned(), rec[1].to_owned())
        })
        .collect();
    assert_eq!(meta["name"], "台北市中心示范数据");
    assert_eq!(meta["name_en"], "Central Taipei demo");
    assert_eq!(meta["attribution"], "© OpenStreetMap contributors");
    assert_eq!(meta["licence"], "ODbL-1.0");
    assert!(!meta["source"].is_empty());
    assert!(meta["generated_by"].contains("--bin build_demo"));
}

#[test]
fn the_readme_states_the_licence_and_that_the_poles_are_synthetic() {
    let readme = std::fs::read_to_string(demo_dir().join("README.md")).unwrap();
    assert!(readme.contains("© OpenStreetMap contributors"));
    assert!(readme.contains("Open Database License"));
    assert!(readme.contains("SYNTHETIC"));
}
