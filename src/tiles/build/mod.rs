//! The basemap builder: GeoJSON layers to a raster MBTiles basemap.
