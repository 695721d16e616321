//! A static 2-d tree over points in a local plane: nearest point and points in a box.
//!
//! Built once per index (the index is rebuilt whole after an import), so it can be a flat,
//! implicit tree: the points sorted so that the median of each range splits it, alternating
//! x and y (the layout of kdbush). 12 bytes a point, no pointers.
//!
//! Why ours and not a crate: `benches/search.rs` measures it beside the `rstar` R-tree on the
//! same points in the same run: at a million poles the nearest pole takes about 0.25 µs (p50)
//! here against about 1.6 µs for rstar (README, "Search"), and 12 bytes a point.

use crate::section::Section;

/// One point: plane coordinates in metres and the id it stands for.
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct KdPoint {
    /// Metres east of the plane's origin.
    pub x: f32,
    /// Metres north of the plane's origin.
    pub y: f32,
    /// What the point stands for.
    pub id: u32,
}

/// Ranges this small are scanned rather than split.
const LEAF: usize = 16;

/// The tree.
#[derive(Debug, Clone, Default)]
pub struct KdTree {
    pts: Section<KdPoint>,
}

impl KdTree {
    /// Builds the tree (O(n log n)).
    #[must_use]
    pub fn new(mut pts: Vec<KdPoint>) -> Self {
        let n = pts.len();
        build(&mut pts, 0, n, 0);
        Self {
            pts: Section::owned(pts),
        }
    }

    /// A tree whose points are already in tree order (read from an index file).
    pub(crate) fn from_section(pts: Section<KdPoint>) -> Self {
        Self { pts }
    }

    /// The points in tree order (to write them).
    pub(crate) fn section(&self) -> &Section<KdPoint> {
        &self.pts
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.pts.heap_bytes()
    }

    /// Number of points.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pts.len()
    }

    /// True when there are no points.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pts.is_empty()
    }

    /// The nearest point to (x, y) and its squared distance, or `None` when empty.
    #[must_use]
    pub fn nearest(&self, x: f32, y: f32) -> Option<(KdPoint, f32)> {
        let mut best: Option<(KdPoint, f32)> = None;
        self.nearest_in(0, self.pts.len(), 0, x, y, &mut best);
        best
    }

    fn nearest_in(
        &self,
        lo: usize,
        hi: usize,
        axis: u8,
        x: f32,
        y: f32,
        best: &mut Option<(KdPoint, f32)>,
    ) {
        if hi - lo <= LEAF {
            for p in &self.pts[lo..hi] {
                let d = (p.x - x).powi(2) + (p.y - y).powi(2);
                if best.is_none_or(|(_, b)| d < b) {
                    *best = Some((*p, d));
                }
            }
            return;
        }
        let m = lo + (hi - lo) / 2;
        let p = self.pts[m];
        let d = (p.x - x).powi(2) + (p.y - y).powi(2);
        if best.is_none_or(|(_, b)| d < b) {
            *best = Some((p, d));
        }
        let delta = if axis == 0 { x - p.x } else { y - p.y };
        let (first, second) = if delta < 0.0 {
            ((lo, m), (m + 1, hi))
        } else {
            ((m + 1, hi), (lo, m))
        };
        self.nearest_in(first.0, first.1, 1 - axis, x, y, best);
        if best.is_none_or(|(_, b)| delta * delta < b) {
            self.nearest_in(second.0, second.1, 1 - axis, x, y, best);
        }
    }

    /// The `k` nearest points to (x, y), nearest first, with their squared distances.
    #[must_use]
    pub fn nearest_k(&self, x: f32, y: f32, k: usize) -> Vec<(KdPoint, f32)> {
        let mut best: Vec<(KdPoint, f32)> = Vec::with_capacity(k + 1);
        if k > 0 {
            self.nearest_k_in(0, self.pts.len(), 0, x, y, k, &mut best);
        }
        best
    }

    /// Keeps `best` sorted, at most `k` long.
    #[allow(clippy::too_many_arguments)]
    fn nearest_k_in(
        &self,
        lo: usize,
        hi: usize,
        axis: u8,
        x: f32,
        y: f32,
        k: usize,
        best: &mut Vec<(KdPoint, f32)>,
    ) {
        let offer = |p: KdPoint, best: &mut Vec<(KdPoint, f32)>| {
            let d = (p.x - x).powi(2) + (p.y - y).powi(2);
            if best.len() < k || d < best[best.len() - 1].1 {
                let at = best.partition_point(|(_, b)| *b <= d);
                best.insert(at, (p, d));
                best.truncate(k);
            }
        };
        if hi - lo <= LEAF {
            for p in &self.pts[lo..hi] {
                offer(*p, best);
            }
            return;
        }
        let m = lo + (hi - lo) / 2;
        let p = self.pts[m];
        offer(p, best);
        let delta = if axis == 0 { x - p.x } else { y - p.y };
        let (first, second) = if delta < 0.0 {
            ((lo, m), (m + 1, hi))
        } else {
            ((m + 1, hi), (lo, m))
        };
        self.nearest_k_in(first.0, first.1, 1 - axis, x, y, k, best);
        if best.len() < k || delta * delta < best[best.len() - 1].1 {
            self.nearest_k_in(second.0, second.1, 1 - axis, x, y, k, best);
        }
    }

    /// Calls `f` for every point inside the box (edges included).
    pub fn within(&self, min_x: f32, min_y: f32, max_x: f32, max_y: f32, f: impl FnMut(KdPoint)) {
        self.within_to_depth(min_x, min_y, max_x, max_y, u32::MAX, f);
    }

    /// Like [`KdTree::within`], but descends at most `max_depth` levels: the medians of the
    /// upper levels are an evenly spread sample, so a zoomed-out map can draw a thinned set
    /// while visiting a number of points bounded by `max_depth` (under `16 · 2^(max_depth+1)`),
    /// whatever the size of the tree.
    pub fn within_to_depth(
        &self,
        min_x: f32,
        min_y: f32,
        max_x: f32,
        max_y: f32,
        max_depth: u32,
        mut f: impl FnMut(KdPoint),
    ) {
        let inside = |p: &KdPoint| p.x >= min_x && p.x <= max_x && p.y >= min_y && p.y <= max_y;
        let mut stack: Vec<(usize, usize, u8, u32)> = vec![(0, self.pts.len(), 0, 0)];
        while let Some((lo, hi, axis, depth)) = stack.pop() {
            if hi <= lo {
                continue;
            }
            let m = lo + (hi - lo) / 2;
            if depth >= max_depth {
                if inside(&self.pts[m]) {
                    f(self.pts[m]);
                }
                continue;
            }
            if hi - lo <= LEAF {
                for p in &self.pts[lo..hi] {
                    if inside(p) {
                        f(*p);
                    }
                }
                continue;
            }
            let p = self.pts[m];
            if inside(&p) {
                f(p);
            }
            let v = if axis == 0 { p.x } else { p.y };
            let (min_v, max_v) = if axis == 0 {
                (min_x, max_x)
            } else {
                (min_y, max_y)
            };
            if min_v <= v {
                stack.push((lo, m, 1 - axis, depth + 1));
            }
            if max_v >= v {
                stack.push((m + 1, hi, 1 - axis, depth + 1));
            }
        }
    }
}

fn build(pts: &mut [KdPoint], lo: usize, hi: usize, axis: u8) {
    if hi - lo <= LEAF {
        return;
    }
    let m = lo + (hi - lo) / 2;
    let slice = &mut pts[lo..hi];
    if axis == 0 {
        slice.select_nth_unstable_by(m - lo, |a, b| a.x.total_cmp(&b.x));
    } else {
        slice.select_nth_unstable_by(m - lo, |a, b| a.y.total_cmp(&b.y));
    }
    build(pts, lo, m, 1 - axis);
    build(pts, m + 1, hi, 1 - axis);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn brute_nearest(pts: &[KdPoint], x: f32, y: f32) -> f32 {
        pts.iter()
            .map(|p| (p.x - x).powi(2) + (p.y - y).powi(2))
            .fold(f32::INFINITY, f32::min)
    }

    #[test]
    fn an_empty_tree_has_no_nearest_point() {
        assert!(KdTree::new(Vec::new()).nearest(0.0, 0.0).is_none());
    }

    proptest! {
        #[test]
        fn the_k_nearest_agree_with_a_sorted_scan(
            raw in prop::collection::vec((-5000.0f32..5000.0, -5000.0f32..5000.0), 0..300),
            qx in -6000.0f32..6000.0,
            qy in -6000.0f32..6000.0,
            k in 0usize..40,
        ) {
            let pts: Vec<KdPoint> = raw.iter().enumerate()
                .map(|(i, (x, y))| KdPoint { x: *x, y: *y, id: i as u32 }).collect();
            let tree = KdTree::new(pts.clone());
            let got: Vec<u32> = tree.nearest_k(qx, qy, k).iter().map(|(_, d)| d.to_bits()).collect();
            let mut want: Vec<f32> = pts.iter()
                .map(|p| (p.x - qx).powi(2) + (p.y - qy).powi(2)).collect();
            want.sort_by(f32::total_cmp);
            want.truncate(k);
            let want: Vec<u32> = want.iter().map(|d| d.to_bits()).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn nearest_agrees_with_a_linear_scan(
            raw in prop::collection::vec((-5000.0f32..5000.0, -5000.0f32..5000.0), 1..400),
            qx in -6000.0f32..6000.0,
            qy in -6000.0f32..6000.0,
        ) {
            let pts: Vec<KdPoint> = raw.iter().enumerate()
                .map(|(i, (x, y))| KdPoint { x: *x, y: *y, id: i as u32 }).collect();
            let tree = KdTree::new(pts.clone());
            let (_, d) = tree.nearest(qx, qy).unwrap();
            prop_assert_eq!(d.to_bits(), brute_nearest(&pts, qx, qy).to_bits());
        }

        #[test]
        fn within_finds_exactly_the_points_in_the_box(
            raw in prop::collection::vec((-100.0f32..100.0, -100.0f32..100.0), 0..300),
            a in -120.0f32..120.0, b in -120.0f32..120.0, c in -120.0f32..120.0, d in -120.0f32..120.0,
        ) {
            let (x0, x1) = (a.min(b), a.max(b));
            let (y0, y1) = (c.min(d), c.max(d));
            let pts: Vec<KdPoint> = raw.iter().enumerate()
                .map(|(i, (x, y))| KdPoint { x: *x, y: *y, id: i as u32 }).collect();
            let tree = KdTree::new(pts.clone());
            let mut got = Vec::new();
            tree.within(x0, y0, x1, y1, |p| got.push(p.id));
            got.sort_unstable();
            let want: Vec<u32> = pts.iter()
                .filter(|p| p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1)
                .map(|p| p.id).collect();
            prop_assert_eq!(got, want);
        }

        #[test]
        fn a_depth_limited_search_is_a_bounded_subset_of_the_full_one(
            raw in prop::collection::vec((-100.0f32..100.0, -100.0f32..100.0), 0..600),
            depth in 0u32..8,
        ) {
            let pts: Vec<KdPoint> = raw.iter().enumerate()
                .map(|(i, (x, y))| KdPoint { x: *x, y: *y, id: i as u32 }).collect();
            let tree = KdTree::new(pts);
            let mut all = Vec::new();
            tree.within(-50.0, -50.0, 50.0, 50.0, |p| all.push(p.id));
            let mut some = Vec::new();
            tree.within_to_depth(-50.0, -50.0, 50.0, 50.0, depth, |p| some.push(p.id));
            prop_assert!(some.len() < LEAF << (depth + 1));
            prop_assert!(some.iter().all(|id| all.contains(id)));
        }
    }
}
