//! Points as Well-Known Binary: the master writes and reads geometry only as WKB
//! (`ST_GeomFromWKB`, `ST_AsBinary`), which every PostGIS port and the domestic spatial
//! databases read, rather than through a client-side PostGIS type.

/// The WKB of a point (little-endian, ISO type 1): `x` is the longitude, `y` the latitude.
#[must_use]
pub fn point(lon: f64, lat: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(21);
    out.push(1);
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&lon.to_le_bytes());
    out.extend_from_slice(&lat.to_le_bytes());
    out
}

/// The `(lon, lat)` of a WKB point in either byte order; `None` for anything else (another
/// geometry type, a short buffer, an empty point).
#[must_use]
pub fn parse_point(wkb: &[u8]) -> Option<(f64, f64)> {
    if wkb.len() != 21 {
        return None;
    }
    let little = match wkb[0] {
        0 => false,
        1 => true,
        _ => return None,
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b: [u8; 4] = wkb.get(i..i + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let f64_at = |i: usize| -> Option<f64> {
        let b: [u8; 8] = wkb.get(i..i + 8)?.try_into().ok()?;
        Some(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    };
    if u32_at(1)? != 1 {
        return None;
    }
    let (x, y) = (f64_at(5)?, f64_at(13)?);
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_round_trips_exactly() {
        let (lon, lat) = (121.517_083_333_333_3, 25.047_888_888_888_9);
        assert_eq!(parse_point(&point(lon, lat)), Some((lon, lat)));
    }

    #[test]
    fn big_endian_is_read_and_other_types_are_not() {
        let mut be = vec![0u8];
        be.extend_from_slice(&1u32.to_be_bytes());
        be.extend_from_slice(&2.5f64.to_be_bytes());
        be.extend_from_slice(&(-1.25f64).to_be_bytes());
        assert_eq!(parse_point(&be), Some((2.5, -1.25)));
        let mut line = point(1.0, 2.0);
        line[1] = 2;
        assert_eq!(parse_point(&line), None);
        assert_eq!(parse_point(&point(f64::NAN, f64::NAN)), None);
        assert_eq!(parse_point(&[1, 1, 0]), None);
    }
}
