//! A folder of tiles laid out as `{z}/{x}/{y}.png` (rows from the north), as `gdal2tiles --xyz`,
//! QGIS "Generate XYZ tiles (Directory)" and many tile downloaders write.

use std::path::{Path, PathBuf};

use super::{Datum, TileError, TileFormat, TileId, TileMeta, TileSource};

/// An XYZ tile folder open for reading.
#[derive(Debug)]
pub struct XyzDir {
    root: PathBuf,
    meta: TileMeta,
}

impl XyzDir {
    /// Opens a folder: zoom levels are the numeric sub-folders, the format is the extension of
    /// the first tile found.
    pub fn open(root: &Path) -> Result<Self, TileError> {
        if !root.is_dir() {
            return Err(TileError::NotFound(root.to_owned()));
        }
        let zooms = numeric_entries(root)?;
        let zooms: Vec<u8> = zooms
            .into_iter()
            .filter_map(|z| u8::try_from(z).ok())
            .filter(|z| *z <= super::MAX_ZOOM)
            .collect();
        let (Some(&min_zoom), Some(&max_zoom)) = (zooms.iter().min(), zooms.iter().max()) else {
            return Err(TileError::NotXyzFolder(root.to_owned()));
        };
        let (format, first) =
            first_tile(root, min_zoom)?.ok_or_else(|| TileError::NotXyzFolder(root.to_owned()))?;
        let tile_size_px = std::fs::read(&first)
            .ok()
            .and_then(|b| super::decode::decode_tile(&b).ok())
            .map_or(256, |t| t.width);
        Ok(Self {
            root: root.to_owned(),
            meta: TileMeta {
                name: root.file_name().map(|n| n.to_string_lossy().into_owned()),
                format,
                bounds: None,
                center: None,
                min_zoom,
                max_zoom,
                attribution: None,
                datum: Datum::Wgs84,
                tile_size_px,
            },
        })
    }

    /// Sets the attribution to show (a folder has nowhere to keep it).
    #[must_use]
    pub fn with_attribution(mut self, attribution: &str) -> Self {
        self.meta.attribution = Some(attribution.to_owned());
        self
    }

    /// Every tile in the folder, sorted, for packing into MBTiles.
    pub fn tile_ids(&self) -> Result<Vec<TileId>, TileError> {
        let ext = self.meta.format.as_str().to_owned();
        let mut out = Vec::new();
        for z in numeric_entries(&self.root)? {
            let Ok(z) = u8::try_from(z) else { continue };
            for x in numeric_entries(&self.root.join(z.to_string()))? {
                let dir = self.root.join(z.to_string()).join(x.to_string());
                let rd = std::fs::read_dir(&dir).map_err(|source| TileError::Io {
                    path: dir.clone(),
                    source,
                })?;
                for e in rd.flatten() {
                    let p = e.path();
                    let ok_ext = p
                        .extension()
                        .is_some_and(|x| TileFormat::parse(&x.to_string_lossy()).as_str() == ext);
                    let y = p
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .and_then(|s| s.parse::<u32>().ok());
                    if let (true, Some(y)) = (ok_ext, y) {
                        out.extend(TileId::new(z, x, y));
                    }
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    fn tile_path(&self, id: TileId) -> PathBuf {
        let ext = match self.meta.format {
            TileFormat::Jpeg => "jpg",
            ref f => f.as_str(),
        };
        self.root
            .join(id.z.to_string())
            .join(id.x.to_string())
            .join(format!("{}.{ext}", id.y))
    }
}

impl TileSource for XyzDir {
    fn meta(&self) -> &TileMeta {
        &self.meta
    }

    fn read(&mut self, id: TileId) -> Result<Option<Vec<u8>>, TileError> {
        let mut path = self.tile_path(id);
        if self.meta.format == TileFormat::Jpeg && !path.exists() {
            path.set_extension("jpeg");
        }
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(TileError::Io { path, source }),
        }
    }

    fn location(&self) -> &Path {
        &self.root
    }
}

/// Sub-folder names that are numbers, sorted.
fn numeric_entries(dir: &Path) -> Result<Vec<u32>, TileError> {
    let rd = std::fs::read_dir(dir).map_err(|source| TileError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut v: Vec<u32> = rd
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect();
    v.sort_unstable();
    Ok(v)
}

/// The format and path of some tile at zoom `z`.
fn first_tile(root: &Path, z: u8) -> Result<Option<(TileFormat, PathBuf)>, TileError> {
    let zdir = root.join(z.to_string());
    for x in numeric_entries(&zdir)? {
        let xdir = zdir.join(x.to_string());
        let Ok(rd) = std::fs::read_dir(&xdir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for p in files {
            let Some(ext) = p.extension().map(|e| e.to_string_lossy().into_owned()) else {
                continue;
            };
            let f = TileFormat::parse(&ext);
            if f.is_raster() {
                return Ok(Some((f, p)));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::encode_png_rgba;

    fn write_tile(root: &Path, z: u8, x: u32, y: u32, v: u8) {
        let dir = root.join(z.to_string()).join(x.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let px: Vec<u8> = (0..8 * 8).flat_map(|_| [v, v, v, 255]).collect();
        std::fs::write(
            dir.join(format!("{y}.png")),
            encode_png_rgba(8, 8, &px).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn an_xyz_folder_reads_rows_from_the_north() {
        let dir = tempfile::tempdir().unwrap();
        write_tile(dir.path(), 1, 1, 0, 10);
        write_tile(dir.path(), 1, 1, 1, 20);
        write_tile(dir.path(), 0, 0, 0, 30);
        let mut src = XyzDir::open(dir.path()).unwrap().with_attribution("© OSM");
        assert_eq!((src.meta().min_zoom, src.meta().max_zoom), (0, 1));
        assert_eq!(src.meta().tile_size_px, 8);
        let b = src.read(TileId::new(1, 1, 0).unwrap()).unwrap().unwrap();
        assert_eq!(
            crate::decode_tile(&b).unwrap().pixel(0, 0),
            Some([10, 10, 10, 255])
        );
        assert!(src.read(TileId::new(1, 0, 0).unwrap()).unwrap().is_none());
        assert_eq!(src.tile_ids().unwrap().len(), 3);
        assert_eq!(src.meta().attribution.as_deref(), Some("© OSM"));
    }

    #[test]
    fn a_folder_without_tiles_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("notes")).unwrap();
        let err = XyzDir::open(dir.path()).unwrap_err();
        assert!(matches!(err, TileError::NotXyzFolder(_)), "{err}");
        assert!(matches!(
            XyzDir::open(&dir.path().join("missing")).unwrap_err(),
            TileError::NotFound(_)
        ));
    }

    #[test]
    fn the_shared_world_overview_is_a_readable_xyz_folder() {
        let root =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/world-overview");
        let Ok(src) = XyzDir::open(&root) else {
            return; // shared data not laid out beside this checkout
        };
        assert_eq!((src.meta().min_zoom, src.meta().max_zoom), (0, 4));
        assert_eq!(src.tile_ids().unwrap().len(), 341);
    }
}
