//! Positions for poles that were never surveyed.
//!
//! Many codes have an address but no surveyed point. Such a pole gets an estimate, always shown
//! as an estimate with an error radius, never as a survey:
//! - with the street's centre line: the surveyed poles of the street are projected onto it,
//!   giving "metres along the street" for their numbers; the pole's number is interpolated
//!   between the nearest surveyed numbers below and above (extrapolated past the last one), and
//!   the point is put on its side of the street at the surveyed poles' usual offset;
//! - without a centre line: the position is interpolated in the plane between the nearest
//!   surveyed poles by number (extrapolated from the two nearest past the ends);
//! - `Unknown` only when neither works.
//!
//! When odd numbers stand on one side and even on the other (the common Chinese scheme), poles
//! `2k-1` and `2k` face each other, so numbers are compared as `ceil(n/2)`.

use crate::geo::{LatLon, LocalPlane, Polyline, Xy};
use crate::model::Side;

/// How far from the centre line a pole stands when no surveyed pole tells us: half a
/// two-lane road plus a pavement.
pub const DEFAULT_SIDE_OFFSET_M: f64 = 8.0;

/// Where a pole is, and how sure we are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Position {
    /// Surveyed, WGS-84.
    Surveyed(LatLon),
    /// Estimated, within `radius_m` metres of `at` (a judgement, not a statistical bound).
    Estimated {
        /// The best guess.
        at: LatLon,
        /// Error radius in metres.
        radius_m: f64,
        /// How the guess was made.
        basis: Basis,
    },
    /// No position can be given.
    Unknown,
}

impl Position {
    /// The point to show, surveyed or estimated.
    #[must_use]
    pub fn point(&self) -> Option<LatLon> {
        match *self {
            Self::Surveyed(p) | Self::Estimated { at: p, .. } => Some(p),
            Self::Unknown => None,
        }
    }

    /// The word used in JSON and CSV: `surveyed`, `estimated`, `unknown`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Surveyed(_) => "surveyed",
            Self::Estimated { .. } => "estimated",
            Self::Unknown => "unknown",
        }
    }

    /// The error radius in metres: 0 for a survey, `None` when unknown.
    #[must_use]
    pub fn radius_m(&self) -> Option<f64> {
        match *self {
            Self::Surveyed(_) => Some(0.0),
            Self::Estimated { radius_m, .. } => Some(radius_m),
            Self::Unknown => None,
        }
    }
}

/// How an estimate was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// Between surveyed poles of the same street, along its centre line.
    AlongLine,
    /// Past the last surveyed pole, along the centre line.
    AlongLineBeyond,
    /// No surveyed pole on the street: placed along the centre line by number.
    LineByNumber,
    /// No number: somewhere on the street (the radius covers it).
    StreetOnly,
    /// Between surveyed poles, in a straight line (no centre line known).
    Straight,
    /// Past the surveyed poles, in a straight line.
    StraightBeyond,
}

/// What the estimator needs to know of one pole.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoleInput {
    /// Number along the street.
    pub pole_no: Option<u32>,
    /// Side of the street.
    pub side: Option<Side>,
    /// Surveyed position.
    pub surveyed: Option<LatLon>,
}

/// One surveyed pole used as an anchor: its number key and where it is.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    k: f64,
    along_m: f64,
    xy: Xy,
}

/// Computes the position of every pole of one street, in input order.
#[must_use]
pub fn estimate_street(line: Option<&Polyline>, poles: &[PoleInput]) -> Vec<Position> {
    let paired = odd_even_sides(poles);
    let key = |n: u32| -> f64 {
        if paired {
            f64::from(n.div_ceil(2))
        } else {
            f64::from(n)
        }
    };
    let origin = poles
        .iter()
        .find_map(|p| p.surveyed)
        .or_else(|| line.map(|l| l.point_at(0.0, 0.0)));
    let plane = origin.map(LocalPlane::new);

    let mut anchors: Vec<Anchor> = poles
        .iter()
        .filter_map(|p| {
            let (n, at) = (p.pole_no?, p.surveyed?);
            Some(Anchor {
                k: key(n),
                along_m: line.map_or(0.0, |l| l.project(at).along_m),
                xy: plane?.to_xy(at),
            })
        })
        .collect();
    anchors.sort_by(|a, b| a.k.total_cmp(&b.k));

    let offsets = SideOffsets::measure(line, poles);
    let (k_min, k_max) = poles
        .iter()
        .filter_map(|p| p.pole_no.map(key))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), k| {
            (lo.min(k), hi.max(k))
        });

    poles
        .iter()
        .map(|p| {
            if let Some(at) = p.surveyed {
                return Position::Surveyed(at);
            }
            match (line, plane) {
                (Some(l), _) => {
                    on_line(l, &anchors, &offsets, p, p.pole_no.map(key), (k_min, k_max))
                }
                (None, Some(pl)) => match p.pole_no {
                    Some(n) => straight(&pl, &anchors, key(n)),
                    None => Position::Unknown,
                },
                (None, None) => Position::Unknown,
            }
        })
        .collect()
}

/// True when the numbered poles with a side put odd numbers on one side and even on the other.
fn odd_even_sides(poles: &[PoleInput]) -> bool {
    let mut odd: Option<Side> = None;
    let mut even: Option<Side> = None;
    for p in poles {
        let (Some(n), Some(s)) = (p.pole_no, p.side) else {
            continue;
        };
        let slot = if n % 2 == 1 { &mut odd } else { &mut even };
        match slot {
            None => *slot = Some(s),
            Some(prev) if *prev == s => {}
            Some(_) => return false,
        }
    }
    matches!((odd, even), (Some(a), Some(b)) if a != b)
}

/// The usual distance of surveyed poles from the centre line, per side.
struct SideOffsets {
    by_side: Vec<(Side, f64)>,
}

impl SideOffsets {
    fn measure(line: Option<&Polyline>, poles: &[PoleInput]) -> Self {
        let mut samples: Vec<(Side, f64)> = Vec::new();
        if let Some(l) = line {
            for p in poles {
                if let (Some(s), Some(at)) = (p.side, p.surveyed) {
                    samples.push((s, l.project(at).offset_m));
                }
            }
        }
        let mut by_side = Vec::new();
        for side in Side::ALL {
            let mut v: Vec<f64> = samples
                .iter()
                .filter(|(s, _)| *s == side)
                .map(|(_, d)| *d)
                .collect();
            if !v.is_empty() {
                v.sort_by(f64::total_cmp);
                by_side.push((side, v[v.len() / 2]));
            }
        }
        Self { by_side }
    }

    fn get(&self, side: Side) -> f64 {
        self.by_side
            .iter()
            .find(|(s, _)| *s == side)
            .map_or(DEFAULT_SIDE_OFFSET_M, |(_, d)| *d)
    }
}

/// Signed sideways offset (positive = left of the line's direction) for a side at a point.
fn signed_offset(line: &Polyline, along_m: f64, side: Option<Side>, offsets: &SideOffsets) -> f64 {
    let Some(side) = side else { return 0.0 };
    let dist = offsets.get(side);
    match side {
        Side::Left => dist,
        Side::Right => -dist,
        compass => {
            let (dx, dy) = line.direction_at(along_m);
            let (cx, cy) = compass.compass().unwrap_or((0.0, 0.0));
            // The left normal is (-dy, dx); go left when it points towards the compass side.
            if -dy * cx + dx * cy >= 0.0 {
                dist
            } else {
                -dist
            }
        }
    }
}

fn on_line(
    line: &Polyline,
    anchors: &[Anchor],
    offsets: &SideOffsets,
    p: &PoleInput,
    k: Option<f64>,
    (k_min, k_max): (f64, f64),
) -> Position {
    let length = line.length_m();
    let Some(k) = k else {
        // Somewhere on this street: the middle, with a radius that covers the whole line.
        return Position::Estimated {
            at: line.point_at(length / 2.0, 0.0),
            radius_m: length / 2.0,
            basis: Basis::StreetOnly,
        };
    };
    let (along_m, radius_m, basis) = match bracket(anchors, k) {
        Bracket::Level(a) => (a.along_m, 5.0, Basis::AlongLine),
        Bracket::Between(a, b) => {
            let t = (k - a.k) / (b.k - a.k);
            let s = a.along_m + t * (b.along_m - a.along_m);
            let nearer = (s - a.along_m).abs().min((b.along_m - s).abs());
            (s, 5.0 + 0.2 * nearer, Basis::AlongLine)
        }
        Bracket::Beyond(a, b) => {
            // Extrapolate with the spacing between the two nearest anchors, or with the
            // average spacing of the street when there is only one.
            let per_k = match b {
                Some(b) if (b.k - a.k).abs() > 0.0 => (b.along_m - a.along_m) / (b.k - a.k),
                _ => average_spacing(length, k_min, k_max),
            };
            let s = a.along_m + (k - a.k) * per_k;
            (
                s,
                10.0 + 0.4 * (s - a.along_m).abs(),
                Basis::AlongLineBeyond,
            )
        }
        Bracket::None => {
            let t = if k_max > k_min {
                (k - k_min) / (k_max - k_min)
            } else {
                0.5
            };
            (t * length, 20.0 + 0.1 * length, Basis::LineByNumber)
        }
    };
    let along_m = along_m.clamp(0.0, length);
    let offset = signed_offset(line, along_m, p.side, offsets);
    Position::Estimated {
        at: line.point_at(along_m, offset),
        radius_m,
        basis,
    }
}

fn average_spacing(length_m: f64, k_min: f64, k_max: f64) -> f64 {
    if k_max > k_min {
        length_m / (k_max - k_min)
    } else {
        0.0
    }
}

fn straight(plane: &LocalPlane, anchors: &[Anchor], k: f64) -> Position {
    let (xy, radius_m, basis) = match bracket(anchors, k) {
        // Facing a surveyed pole across a street of unknown width.
        Bracket::Level(a) => (a.xy, 15.0, Basis::Straight),
        Bracket::Between(a, b) => {
            let t = (k - a.k) / (b.k - a.k);
            let xy = lerp(a.xy, b.xy, t);
            let span = dist(a.xy, b.xy);
            (xy, 10.0 + 0.25 * span * t.min(1.0 - t), Basis::Straight)
        }
        Bracket::Beyond(a, Some(b)) if (b.k - a.k).abs() > 0.0 => {
            let t = (k - a.k) / (b.k - a.k);
            let xy = lerp(a.xy, b.xy, t);
            (xy, 15.0 + 0.5 * dist(xy, a.xy), Basis::StraightBeyond)
        }
        _ => return Position::Unknown,
    };
    Position::Estimated {
        at: plane.to_latlon(xy),
        radius_m,
        basis,
    }
}

fn lerp(a: Xy, b: Xy, t: f64) -> Xy {
    Xy {
        x_m: a.x_m + (b.x_m - a.x_m) * t,
        y_m: a.y_m + (b.y_m - a.y_m) * t,
    }
}

fn dist(a: Xy, b: Xy) -> f64 {
    (a.x_m - b.x_m).hypot(a.y_m - b.y_m)
}

enum Bracket<'a> {
    /// An anchor with the same number key (the pole facing it across the street).
    Level(&'a Anchor),
    /// Anchors just below and just above.
    Between(&'a Anchor, &'a Anchor),
    /// Past the end: the nearest anchor and, when there is one, the next nearest.
    Beyond(&'a Anchor, Option<&'a Anchor>),
    /// No anchors.
    None,
}

/// Finds the anchors around key `k` in `anchors`, which are sorted by key.
fn bracket(anchors: &[Anchor], k: f64) -> Bracket<'_> {
    let lo_end = anchors.partition_point(|a| a.k < k);
    let hi_start = anchors.partition_point(|a| a.k <= k);
    if hi_start > lo_end {
        return Bracket::Level(&anchors[lo_end]);
    }
    let below = lo_end.checked_sub(1).map(|i| &anchors[i]);
    let above = anchors.get(hi_start);
    match (below, above) {
        (Some(a), Some(b)) => Bracket::Between(a, b),
        (Some(a), None) => Bracket::Beyond(a, anchors[..lo_end].iter().rev().find(|x| x.k < a.k)),
        (None, Some(b)) => Bracket::Beyond(b, anchors[hi_start..].iter().find(|x| x.k > b.k)),
        (None, None) => Bracket::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A street running 1 km due north from (25.0, 121.5), and the plane to place points in.
    fn north_street() -> (Polyline, LocalPlane) {
        let a = LatLon::new(25.0, 121.5);
        let plane = LocalPlane::new(a);
        let b = plane.to_latlon(Xy {
            x_m: 0.0,
            y_m: 1000.0,
        });
        (Polyline::new(&[a, b]).unwrap(), plane)
    }

    fn at(plane: &LocalPlane, x_m: f64, y_m: f64) -> LatLon {
        plane.to_latlon(Xy { x_m, y_m })
    }

    /// Poles 1..=n with odd numbers on the west side and even on the east.
    fn paired_poles(n: u32, surveyed: &[(u32, LatLon)]) -> Vec<PoleInput> {
        (1..=n)
            .map(|i| PoleInput {
                pole_no: Some(i),
                side: Some(if i % 2 == 1 { Side::West } else { Side::East }),
                surveyed: surveyed.iter().find(|(k, _)| *k == i).map(|(_, p)| *p),
            })
            .collect()
    }

    fn assert_estimate(pos: Position, expected: LatLon, radius_m: f64, basis: Basis) {
        let Position::Estimated {
            at,
            radius_m: r,
            basis: b,
        } = pos
        else {
            panic!("expected an estimate, got {pos:?}");
        };
        assert!(
            at.distance_m(expected) < 0.05,
            "off by {} m",
            at.distance_m(expected)
        );
        assert!(
            (r - radius_m).abs() < 1e-6,
            "radius {r}, expected {radius_m}"
        );
        assert_eq!(b, basis);
    }

    #[test]
    fn a_pole_between_two_surveyed_poles_is_interpolated_along_the_street() {
        let (line, plane) = north_street();
        // Pole 1 at the start, pole 21 (the 11th pair) 350 m up, both 8 m west.
        let poles = paired_poles(
            40,
            &[(1, at(&plane, -8.0, 0.0)), (21, at(&plane, -8.0, 350.0))],
        );
        let pos = estimate_street(Some(&line), &poles);
        assert!(matches!(pos[0], Position::Surveyed(_)));
        // Pole 12 is the 6th pair: half way, 175 m up, on the east side 8 m out;
        // radius 5 m + 0.2 × 175 m to the nearer surveyed pole = 40 m.
        assert_estimate(pos[11], at(&plane, 8.0, 175.0), 40.0, Basis::AlongLine);
        // Pole 22 faces surveyed pole 21: level with it, across the street.
        assert_estimate(pos[21], at(&plane, 8.0, 350.0), 5.0, Basis::AlongLine);
    }

    #[test]
    fn a_pole_past_the_last_survey_is_extrapolated_with_the_surveyed_spacing() {
        let (line, plane) = north_street();
        let poles = paired_poles(
            40,
            &[(1, at(&plane, -8.0, 0.0)), (21, at(&plane, -8.0, 350.0))],
        );
        let pos = estimate_street(Some(&line), &poles);
        // 35 m per pair; pole 30 is the 15th pair: 350 + 4 × 35 = 490 m, east side;
        // radius 10 m + 0.4 × 140 m = 66 m.
        assert_estimate(
            pos[29],
            at(&plane, 8.0, 490.0),
            66.0,
            Basis::AlongLineBeyond,
        );
    }

    #[test]
    fn the_usual_offset_of_surveyed_poles_is_used_for_their_side() {
        let (line, plane) = north_street();
        let poles = paired_poles(
            20,
            &[(1, at(&plane, -12.0, 0.0)), (11, at(&plane, -12.0, 250.0))],
        );
        let pos = estimate_street(Some(&line), &poles);
        // Pole 5 is the 3rd pair: 2/5 of 250 m = 100 m, west, 12 m out like its neighbours.
        assert_estimate(pos[4], at(&plane, -12.0, 100.0), 25.0, Basis::AlongLine);
    }

    #[test]
    fn a_street_with_no_survey_spreads_its_numbers_along_the_centre_line() {
        let (line, plane) = north_street();
        let pos = estimate_street(Some(&line), &paired_poles(20, &[]));
        // Pairs 1..=10 over 1000 m; pole 11 is pair 6: 5/9 of the way, west side 8 m out;
        // radius 20 m + 10 % of the street.
        assert_estimate(
            pos[10],
            at(&plane, -8.0, 5000.0 / 9.0),
            120.0,
            Basis::LineByNumber,
        );
    }

    #[test]
    fn a_pole_without_a_number_is_somewhere_on_its_street() {
        let (line, plane) = north_street();
        let poles = [PoleInput {
            pole_no: None,
            side: None,
            surveyed: None,
        }];
        let pos = estimate_street(Some(&line), &poles);
        assert_estimate(pos[0], at(&plane, 0.0, 500.0), 500.0, Basis::StreetOnly);
    }

    #[test]
    fn without_a_centre_line_poles_are_interpolated_in_a_straight_line() {
        let plane = LocalPlane::new(LatLon::new(25.0, 121.5));
        let poles: Vec<PoleInput> = (1..=16)
            .map(|i| PoleInput {
                pole_no: Some(i),
                side: None,
                surveyed: match i {
                    1 => Some(at(&plane, 0.0, 0.0)),
                    11 => Some(at(&plane, 0.0, 100.0)),
                    _ => None,
                },
            })
            .collect();
        let pos = estimate_street(None, &poles);
        // Pole 6: half way, radius 10 m + 0.25 × 100 m × 0.5.
        assert_estimate(pos[5], at(&plane, 0.0, 50.0), 22.5, Basis::Straight);
        // Pole 16: 50 m past pole 11, radius 15 m + 0.5 × 50 m.
        assert_estimate(pos[15], at(&plane, 0.0, 150.0), 40.0, Basis::StraightBeyond);
    }

    #[test]
    fn without_a_centre_line_one_survey_is_not_enough() {
        let p = LatLon::new(25.0, 121.5);
        let poles = [
            PoleInput {
                pole_no: Some(1),
                side: None,
                surveyed: Some(p),
            },
            PoleInput {
                pole_no: Some(5),
                side: None,
                surveyed: None,
            },
        ];
        assert_eq!(estimate_street(None, &poles)[1], Position::Unknown);
        let lone = [PoleInput {
            pole_no: Some(5),
            side: None,
            surveyed: None,
        }];
        assert_eq!(estimate_street(None, &lone)[0], Position::Unknown);
    }

    #[test]
    fn east_west_streets_put_north_and_south_on_the_right_sides() {
        let a = LatLon::new(25.0, 121.5);
        let plane = LocalPlane::new(a);
        // Drawn from east to west: north is on the right of the direction of travel.
        let line = Polyline::new(&[at(&plane, 500.0, 0.0), a]).unwrap();
        let poles = [PoleInput {
            pole_no: Some(1),
            side: Some(Side::North),
            surveyed: None,
        }];
        let p = estimate_street(Some(&line), &poles)[0].point().unwrap();
        assert!(plane.to_xy(p).y_m > 7.9, "{:?}", plane.to_xy(p));
    }
}
