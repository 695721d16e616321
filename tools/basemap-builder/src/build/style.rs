//! The cartography: colours, widths by zoom, and the order things are drawn in.
//!
//! Widths are for 256 px tiles and scale with the tile size. Colours follow OpenStreetMap Carto
//! where a call-taker expects them (green parks, blue water, orange arterials) but with stronger
//! contrast between road classes, so the hierarchy reads at a glance.

use super::geojson::Props;

/// An 8-bit RGBA colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba(pub u8, pub u8, pub u8, pub u8);

/// Land (background).
pub const LAND: Rgba = Rgba(0xF2, 0xEF, 0xE9, 0xFF);
/// Water.
pub const WATER: Rgba = Rgba(0xAA, 0xD3, 0xDF, 0xFF);
/// Building fill.
pub const BUILDING: Rgba = Rgba(0xD9, 0xD0, 0xC9, 0xFF);
/// Building outline.
pub const BUILDING_LINE: Rgba = Rgba(0xC4, 0xB6, 0xAB, 0xFF);
/// Label text.
pub const LABEL: Rgba = Rgba(0x22, 0x22, 0x22, 0xFF);
/// Label halo.
pub const HALO: Rgba = Rgba(0xFF, 0xFF, 0xFF, 0xE6);
/// POI label text.
pub const POI_LABEL: Rgba = Rgba(0x6B, 0x3D, 0x1E, 0xFF);
/// POI dot.
pub const POI_DOT: Rgba = Rgba(0xA0, 0x6A, 0x3C, 0xFF);
/// Water label.
pub const WATER_LABEL: Rgba = Rgba(0x1F, 0x5F, 0x8B, 0xFF);
/// Park label.
pub const PARK_LABEL: Rgba = Rgba(0x2F, 0x6B, 0x2F, 0xFF);

/// Road classes, from the most to the least important.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoadClass {
    /// Motorway and trunk (and their links).
    Motorway,
    /// Primary.
    Primary,
    /// Secondary.
    Secondary,
    /// Tertiary.
    Tertiary,
    /// Residential, unclassified, living street, pedestrian streets.
    Minor,
    /// Service roads, alleys.
    Service,
    /// Footways, paths, steps, cycleways.
    Path,
}

impl RoadClass {
    /// From the OSM `highway` tag; `None` for things not drawn (construction, proposed…).
    #[must_use]
    pub fn from_props(p: &Props) -> Option<Self> {
        let h = p.get("highway").unwrap_or("");
        let h = h.strip_suffix("_link").unwrap_or(h);
        Some(match h {
            "motorway" | "trunk" => Self::Motorway,
            "primary" => Self::Primary,
            "secondary" => Self::Secondary,
            "tertiary" => Self::Tertiary,
            "residential" | "unclassified" | "living_street" | "road" | "pedestrian" => Self::Minor,
            "service" | "track" => Self::Service,
            "footway" | "path" | "steps" | "cycleway" | "bridleway" | "corridor" => Self::Path,
            "" => match p.get("pmap:kind") {
                Some("highway") => Self::Motorway,
                Some("major_road") => Self::Primary,
                Some("medium_road") => Self::Secondary,
                Some("minor_road") => Self::Minor,
                Some("path") => Self::Path,
                _ => return None,
            },
            _ => return None,
        })
    }

    /// Line width in pixels (256 px tiles) at a zoom; 0 = not drawn.
    #[must_use]
    pub fn width(self, z: u8) -> f32 {
        let table: [f32; 6] = match self {
            Self::Motorway => [2.2, 3.2, 4.5, 7.0, 10.0, 15.0],
            Self::Primary => [1.8, 2.8, 4.0, 6.5, 9.5, 14.0],
            Self::Secondary => [1.4, 2.2, 3.5, 6.0, 8.5, 12.5],
            Self::Tertiary => [1.0, 1.6, 3.0, 5.0, 7.5, 11.0],
            Self::Minor => [0.0, 0.8, 1.6, 3.0, 5.0, 8.5],
            Self::Service => [0.0, 0.0, 0.8, 1.5, 2.5, 4.5],
            Self::Path => [0.0, 0.0, 0.0, 0.8, 1.0, 1.4],
        };
        let i = usize::from(z.clamp(12, 17) - 12);
        let w = table[i];
        if z > 17 {
            w * 2f32.powi(i32::from(z - 17)).min(4.0)
        } else {
            w
        }
    }

    /// Fill colour.
    #[must_use]
    pub fn fill(self) -> Rgba {
        match self {
            Self::Motorway => Rgba(0xE8, 0x7D, 0x3E, 0xFF),
            Self::Primary => Rgba(0xF3, 0xA5, 0x4E, 0xFF),
            Self::Secondary => Rgba(0xF7, 0xD0, 0x6E, 0xFF),
            Self::Tertiary => Rgba(0xFC, 0xEE, 0xA8, 0xFF),
            Self::Minor | Self::Service => Rgba(0xFF, 0xFF, 0xFF, 0xFF),
            Self::Path => Rgba(0xE0, 0x80, 0x70, 0xFF),
        }
    }

    /// Casing (outline) colour; `None` for paths, drawn dashed without casing.
    #[must_use]
    pub fn casing(self) -> Option<Rgba> {
        match self {
            Self::Motorway => Some(Rgba(0xB0, 0x52, 0x1E, 0xFF)),
            Self::Primary => Some(Rgba(0xC0, 0x74, 0x2A, 0xFF)),
            Self::Secondary => Some(Rgba(0xB8, 0x96, 0x3A, 0xFF)),
            Self::Tertiary | Self::Minor => Some(Rgba(0xB5, 0xAD, 0xA4, 0xFF)),
            Self::Service => Some(Rgba(0xC8, 0xC2, 0xBA, 0xFF)),
            Self::Path => None,
        }
    }

    /// Rank used to order labels (lower first).
    #[must_use]
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// Lowest zoom at which this class is labelled.
    #[must_use]
    pub fn label_min_zoom(self) -> u8 {
        match self {
            Self::Motorway | Self::Primary => 13,
            Self::Secondary => 14,
            Self::Tertiary => 15,
            Self::Minor => 16,
            Self::Service | Self::Path => 17,
        }
    }
}

/// Fill colour for a land-use polygon, `None` for land use not drawn.
#[must_use]
pub fn landuse_fill(p: &Props) -> Option<Rgba> {
    let leisure = p.get("leisure").unwrap_or("");
    let landuse = p.get("landuse").unwrap_or("");
    let kind = p.get("pmap:kind").unwrap_or("");
    let natural = p.get("natural").unwrap_or("");
    Some(match (leisure, landuse, kind, natural) {
        ("pitch" | "track", ..) => Rgba(0xAA, 0xE0, 0xCB, 0xFF),
        ("park" | "garden" | "playground" | "dog_park" | "nature_reserve", ..)
        | (_, "grass" | "recreation_ground" | "village_green" | "forest" | "meadow", ..)
        | (_, _, "park" | "forest" | "grass", _)
        | (_, _, _, "wood" | "scrub" | "grassland") => Rgba(0xC6, 0xE8, 0xB0, 0xFF),
        (_, _, "school" | "university" | "college", _) => Rgba(0xF4, 0xEE, 0xC8, 0xFF),
        (_, _, "hospital", _) => Rgba(0xF6, 0xDD, 0xDD, 0xFF),
        (_, "residential", ..) => Rgba(0xE6, 0xE2, 0xDC, 0xFF),
        (_, "commercial" | "retail", ..) => Rgba(0xF0, 0xDE, 0xDC, 0xFF),
        (_, "industrial" | "railway", ..) | (_, _, "industrial", _) => Rgba(0xE8, 0xDE, 0xE6, 0xFF),
        (_, "brownfield" | "construction", ..) => Rgba(0xDD, 0xDB, 0xC8, 0xFF),
        (_, "cemetery", ..) => Rgba(0xC8, 0xDC, 0xC0, 0xFF),
        _ => return None,
    })
}

/// True for land use drawn before the others (big, low-priority areas).
#[must_use]
pub fn landuse_is_background(p: &Props) -> bool {
    matches!(
        p.get("landuse"),
        Some("residential" | "commercial" | "retail" | "industrial" | "railway")
    )
}

/// True for a park-like area whose name is worth a label.
#[must_use]
pub fn is_park(p: &Props) -> bool {
    matches!(p.get("leisure"), Some("park" | "garden")) || p.get("pmap:kind") == Some("park")
}

/// Kind of a railway line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RailKind {
    /// Rail or light rail above ground.
    Surface,
    /// In a tunnel or underground (`layer` < 0 or `tunnel=*`), including metros.
    Underground,
}

/// The railway kind of a transit feature, `None` for disused or abandoned lines.
#[must_use]
pub fn rail_kind(p: &Props) -> Option<RailKind> {
    let r = p.get("railway")?;
    if matches!(
        r,
        "disused" | "abandoned" | "razed" | "proposed" | "construction"
    ) {
        return None;
    }
    let under = p.layer < 0 || p.get("tunnel").is_some_and(|t| t != "no") || r == "subway";
    Some(if under {
        RailKind::Underground
    } else {
        RailKind::Surface
    })
}

/// Importance of a POI for labelling (lower first): police and emergency services first.
#[must_use]
pub fn poi_rank(p: &Props) -> u8 {
    match (p.get("amenity"), p.get("tourism"), p.get("shop")) {
        (Some("police"), ..) => 0,
        (Some("hospital" | "fire_station" | "clinic"), ..) => 1,
        (Some("school" | "university" | "college" | "townhall" | "post_office"), ..) => 2,
        (_, Some("hotel" | "museum" | "attraction"), _) => 3,
        (Some("place_of_worship" | "bank" | "pharmacy"), ..) => 4,
        (Some(_), ..) => 5,
        (_, Some(_), _) => 6,
        _ => 7,
    }
}
