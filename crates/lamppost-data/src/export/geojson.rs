//! GeoJSON for GIS: one Point feature per pole that has a position.
//!
//! Surveyed poles carry `"position": "surveyed"`. Estimated poles are included too, because a
//! GIS user wants to see them, but marked `"position": "estimated"` with their
//! `error_radius_m`; `lamppost import` ignores the coordinates of such features, so an estimate
//! never comes back as a survey. Poles with no position at all are left out (the CSV has them).

use std::io::Write;

use serde_json::{Map, Value, json};

/// One pole to write.
#[derive(Debug, Clone)]
pub struct GeoPole<'a> {
    /// Code as displayed.
    pub code: &'a str,
    /// Street code.
    pub street_code: &'a str,
    /// Street name.
    pub street: &'a str,
    /// Pole number.
    pub pole_no: Option<u32>,
    /// The pole number as written when it has a suffix (`103F`): written instead of the number.
    pub pole_label: &'a str,
    /// Side (`西`), empty when unknown.
    pub side: &'a str,
    /// Latitude (WGS-84).
    pub lat_deg: f64,
    /// Longitude (WGS-84).
    pub lon_deg: f64,
    /// `surveyed` or `estimated`.
    pub position: &'a str,
    /// For estimates: the error radius.
    pub error_radius_m: Option<f64>,
    /// Other text properties: (name, value).
    pub text: [(&'static str, &'a str); 6],
}

/// Writes a `FeatureCollection`, one feature per line, streaming.
pub struct GeoJsonWriter<W: Write> {
    out: std::io::BufWriter<W>,
    first: bool,
    /// Features written.
    pub count: u64,
}

impl<W: Write> GeoJsonWriter<W> {
    /// Starts the collection.
    pub fn new(out: W) -> std::io::Result<Self> {
        let mut out = std::io::BufWriter::new(out);
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        Ok(Self {
            out,
            first: true,
            count: 0,
        })
    }

    /// Writes one pole.
    pub fn pole(&mut self, p: &GeoPole<'_>) -> std::io::Result<()> {
        let mut props = Map::new();
        props.insert("code".into(), json!(p.code));
        props.insert("street_code".into(), json!(p.street_code));
        props.insert("street".into(), json!(p.street));
        if p.pole_label.is_empty() {
            props.insert("pole_no".into(), json!(p.pole_no));
        } else {
            props.insert("pole_no".into(), json!(p.pole_label));
        }
        props.insert("side".into(), json!(p.side));
        for (k, v) in p.text {
            props.insert(k.into(), json!(v));
        }
        props.insert("position".into(), json!(p.position));
        if let Some(r) = p.error_radius_m {
            props.insert("error_radius_m".into(), json!(r.round()));
        }
        let f = json!({
            "type": "Feature",
            "properties": Value::Object(props),
            "geometry": {"type": "Point", "coordinates": [p.lon_deg, p.lat_deg]},
        });
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &f)?;
        self.count += 1;
        Ok(())
    }

    /// Ends the collection and flushes.
    pub fn finish(mut self) -> std::io::Result<u64> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok(self.count)
    }
}
