//! Packing an XYZ tile folder into one `MBTiles` file (how `assets/basemap/world.mbtiles` is made).

use std::path::Path;

use lamppost_basemap::mbtiles::WriteMeta;
use lamppost_basemap::{Bounds, Center, Datum, MbTilesWriter, TileError, TileSource, XyzDir};

/// What to write into the packed file's metadata.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// `name`.
    pub name: String,
    /// `attribution`: the licence of the data and of the tiles.
    pub attribution: String,
    /// `description`.
    pub description: String,
    /// Datum the tiles are drawn in.
    pub datum: Datum,
}

/// What a pack wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackSummary {
    /// Tiles written.
    pub tiles: u64,
    /// Size of the file.
    pub bytes: u64,
}

/// Copies every tile of an XYZ folder, unchanged, into a new `MBTiles` file at `out` (written
/// beside it and renamed at the end). Bounds are those of the tiles at the highest zoom.
pub fn pack_xyz(dir: &Path, out: &Path, opts: &PackOptions) -> Result<PackSummary, TileError> {
    let mut src = XyzDir::open(dir)?;
    let ids = src.tile_ids()?;
    let meta = src.meta().clone();
    let mut bounds: Option<Bounds> = None;
    for id in ids.iter().filter(|id| id.z == meta.max_zoom) {
        let b = id.bounds();
        bounds = Some(match bounds {
            None => b,
            Some(a) => Bounds {
                west_deg: a.west_deg.min(b.west_deg),
                south_deg: a.south_deg.min(b.south_deg),
                east_deg: a.east_deg.max(b.east_deg),
                north_deg: a.north_deg.max(b.north_deg),
            },
        });
    }
    let bounds = bounds.ok_or_else(|| TileError::NotXyzFolder(dir.to_owned()))?;
    let write_meta = WriteMeta {
        name: opts.name.clone(),
        description: opts.description.clone(),
        attribution: opts.attribution.clone(),
        format: meta.format.clone(),
        bounds,
        center: Center {
            lon_deg: f64::midpoint(bounds.west_deg, bounds.east_deg),
            lat_deg: f64::midpoint(bounds.south_deg, bounds.north_deg),
            zoom: meta.min_zoom,
        },
        min_zoom: meta.min_zoom,
        max_zoom: meta.max_zoom,
        datum: opts.datum,
    };
    let mut w = MbTilesWriter::create(out, &write_meta)?;
    let mut tiles = 0;
    for id in ids {
        if let Some(bytes) = src.read(id)? {
            w.insert(id, &bytes)?;
            tiles += 1;
        }
    }
    let bytes = w.finish()?;
    Ok(PackSummary { tiles, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamppost_basemap::{MbTiles, TileId};

    #[test]
    fn a_packed_folder_reads_back_tile_for_tile() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("xyz");
        for (z, x, y) in [(0, 0, 0), (1, 0, 1), (1, 1, 0)] {
            let d = src.join(format!("{z}/{x}"));
            std::fs::create_dir_all(&d).unwrap();
            let px: Vec<u8> = (0..4 * 4)
                .flat_map(|_| [x as u8 * 100, y as u8 * 100, 0, 255])
                .collect();
            let png = lamppost_basemap::decode::encode_png_rgba(4, 4, &px).unwrap();
            std::fs::write(d.join(format!("{y}.png")), png).unwrap();
        }
        let out = dir.path().join("w.mbtiles");
        let opts = PackOptions {
            name: "world".into(),
            attribution: "© OpenStreetMap contributors".into(),
            description: String::new(),
            datum: Datum::Wgs84,
        };
        let s = pack_xyz(&src, &out, &opts).unwrap();
        assert_eq!(s.tiles, 3);
        let mut m = MbTiles::open(&out).unwrap();
        let b = m.read(TileId::new(1, 0, 1).unwrap()).unwrap().unwrap();
        let t = lamppost_basemap::decode_tile(&b).unwrap();
        assert_eq!(t.pixel(0, 0), Some([0, 100, 0, 255]));
        assert_eq!((m.meta().min_zoom, m.meta().max_zoom), (0, 1));
    }
}
