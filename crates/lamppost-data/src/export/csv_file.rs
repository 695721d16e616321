//! The canonical CSV, as `lamppost export csv` writes it: UTF-8 with a BOM (for Excel on a
//! Chinese Windows), the [`CANONICAL_HEADER`], text cells neutralised against formulas.
//! `lamppost import` reads it back with no mapping and finds nothing to change.

use std::io::Write;

use super::{UTF8_BOM, neutralise_formula};
use crate::store::{Store, StoreError};
use lamppost_core::model::{CANONICAL_HEADER, Side};
use lamppost_core::words::{Message, Words};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub enum ExportError {
    /// Reading the database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the file.
    Write(#[from] std::io::Error),
}

impl Words for ExportError {
    fn message(&self) -> Message {
        match self {
            Self::Store(e) => e.message(),
            Self::Write(e) => {
                Message::new("无法写入导出文件", "cannot write the export file").about(e)
            }
        }
    }
}

/// Writes every pole as the canonical CSV; returns the number of poles written.
pub fn write_canonical_csv<W: Write>(store: &Store, out: W) -> Result<u64, ExportError> {
    let mut out = std::io::BufWriter::new(out);
    out.write_all(UTF8_BOM)?;
    let mut w = csv::WriterBuilder::new().from_writer(out);
    w.write_record(CANONICAL_HEADER).map_err(csv_io)?;
    let mut n = 0u64;
    let mut failure: Option<csv::Error> = None;
    store.for_each_pole(|p| {
        if failure.is_some() {
            return;
        }
        let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let t = |s: &str| neutralise_formula(s).into_owned();
        let rec = [
            t(p.code.display()),
            t(&p.street_code),
            t(&p.street),
            lamppost_core::model::pole_no_text(p.pole_no, &p.pole_label),
            p.side.map_or("", Side::zh).to_owned(),
            num(p.surveyed.map(|s| s.lat_deg)),
            num(p.surveyed.map(|s| s.lon_deg)),
            t(&p.address),
            t(&p.landmark),
            t(&p.cross_street),
            t(&p.jurisdiction),
            t(&p.status),
            t(&p.note),
        ];
        if let Err(e) = w.write_record(&rec) {
            failure = Some(e);
        }
        n += 1;
    })?;
    if let Some(e) = failure {
        return Err(csv_io(e));
    }
    w.flush()?;
    Ok(n)
}

fn csv_io(e: csv::Error) -> ExportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ExportError::Write(io),
        other => ExportError::Write(std::io::Error::other(format!("{other:?}"))),
    }
}
