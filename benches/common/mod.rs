//! What the benchmarks share: the synthetic databases they measure.
// Shared by several benchmarks; not each uses every item.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Instant;

use lamppost_data::store::{Source, Store};
use lamppost_demo_data::synth::Synth;

/// The seed of every synthetic dataset, so runs compare like with like.
pub const SEED: u64 = 20_261_128;

/// Writes a synthetic dataset into a database (once; reused across runs).
pub fn database(poles: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "synth-{poles}-{SEED}-v{}.sqlite",
        lamppost_data::store::schema::latest_version()
    ));
    if path.exists() {
        return path;
    }
    let started = Instant::now();
    let synth = Synth::new(poles, SEED);
    let mut streets = String::from("street_code,name,name_en,district,jurisdiction,geometry_wkt\n");
    for s in &synth.streets {
        streets.push_str(&format!(
            "{},{},,{},{},\"{}\"\n",
            s.street_code,
            s.name,
            s.district,
            s.jurisdiction,
            lamppost_core::geo::to_wkt_linestring(&s.geometry)
        ));
    }
    let mut csv = String::from(
        "code,street_code,street,pole_no,side,lat_deg,lon_deg,address,landmark,cross_street,jurisdiction,status,note\n",
    );
    synth.for_each_pole(|p| {
        let (lat, lon) = p.surveyed.map_or((String::new(), String::new()), |s| {
            (format!("{:.7}", s.lat_deg), format!("{:.7}", s.lon_deg))
        });
        csv.push_str(&format!(
            "{},{},{},{},{},{lat},{lon},{},{},{},,{},\n",
            p.code,
            p.street_code,
            p.street,
            p.pole_no.unwrap_or(0),
            p.side.map_or("", lamppost_core::model::Side::zh),
            p.address,
            p.landmark,
            p.cross_street,
            p.status
        ));
    });
    let tmp = path.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let mut store = Store::create(&tmp).unwrap();
    store
        .load_canonical::<&[u8], _, _>(
            None,
            Some(Source {
                name: "streets.csv".into(),
                reader: streets.as_bytes(),
            }),
            Source {
                name: "poles.csv".into(),
                reader: csv.as_bytes(),
            },
            "bench",
        )
        .unwrap();
    drop(store);
    std::fs::rename(&tmp, &path).unwrap();
    eprintln!(
        "generated {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    path
}
