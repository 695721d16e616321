//! Synthetic datasets of any size, for benchmarks and scale tests: realistic 8-digit codes
//! (district + street + pole), Chinese street names, poles on both sides of straight-ish
//! streets spread over a province, a quarter of them surveyed.
//!
//! Deterministic: the same size and seed give the same data on every machine.

use lamppost_core::code::PoleCode;
use lamppost_core::geo::{LatLon, LocalPlane, Polyline, Xy};
use lamppost_core::model::{PoleRecord, Side, StreetRecord};

const STEMS: [&str; 60] = [
    "中山", "人民", "解放", "建设", "和平", "胜利", "长江", "黄河", "新华", "文化", "北京", "上海",
    "南京", "延安", "光明", "友谊", "团结", "幸福", "东风", "红旗", "青年", "工农", "迎宾", "滨江",
    "湖滨", "学府", "科技", "体育", "公园", "花园", "建国", "复兴", "振兴", "繁荣", "富强", "民主",
    "育才", "朝阳", "金山", "银河", "凤凰", "龙泉", "松江", "桂林", "海港", "太平", "永安", "长安",
    "兴华", "昌平", "广场", "车站", "西湖", "东湖", "新民", "安宁", "吉祥", "丰收", "翠微", "锦绣",
];
const DIRS: [&str; 6] = ["", "东", "西", "南", "北", "中"];
const KINDS: [&str; 4] = ["路", "街", "大道", "大街"];
const SECTIONS: [&str; 4] = ["", "一段", "二段", "三段"];
const PLACES: [&str; 10] = [
    "中学",
    "小学",
    "医院",
    "公园",
    "小区",
    "广场",
    "派出所",
    "超市",
    "银行",
    "加油站",
];

/// Mean poles per street, which sets the number of streets.
pub const POLES_PER_STREET: usize = 112;

/// A small deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// Shuffles `v` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.range(0, i);
            v.swap(i, j);
        }
    }
}

/// The name of synthetic street `i` (unique for every `i`).
#[must_use]
pub fn street_name(i: usize) -> String {
    let combos = STEMS.len() * DIRS.len() * KINDS.len() * SECTIONS.len();
    let j = i % combos;
    let stem = STEMS[j % STEMS.len()];
    let dir = DIRS[(j / STEMS.len()) % DIRS.len()];
    let kind = KINDS[(j / (STEMS.len() * DIRS.len())) % KINDS.len()];
    let sec = SECTIONS[j / (STEMS.len() * DIRS.len() * KINDS.len())];
    let lane = i / combos;
    if lane == 0 {
        format!("{stem}{dir}{kind}{sec}")
    } else {
        format!("{stem}{dir}{kind}{sec}{lane}巷")
    }
}

/// A synthetic dataset: streets, and a way to produce its poles.
#[derive(Debug, Clone)]
pub struct Synth {
    /// The streets, with centre lines.
    pub streets: Vec<StreetRecord>,
    poles_per_street: Vec<u32>,
    seed: u64,
}

impl Synth {
    /// Plans a dataset of about `poles` poles.
    #[must_use]
    pub fn new(poles: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let n_streets = poles.div_ceil(POLES_PER_STREET).max(1);
        let plane = LocalPlane::new(LatLon::new(34.0, 113.0));
        // Streets fill a square whose side grows with the count: a city block grid for small
        // sets, a province (about 300 km) for a million poles.
        let side_m = (n_streets as f64).sqrt() * 3000.0;
        let mut streets = Vec::with_capacity(n_streets);
        let mut poles_per_street = Vec::with_capacity(n_streets);
        let mut remaining = poles;
        for i in 0..n_streets {
            let left = n_streets - i;
            let mut n = remaining / left;
            if left > 1 && n > 20 {
                n = n - 10 + rng.below(21) as usize;
            }
            let n = n.min(remaining).max(usize::from(remaining > 0));
            remaining -= n;
            poles_per_street.push(n as u32);
            let length_m = (n as f64 / 2.0).ceil().max(1.0) * 30.0;
            let x = rng.unit() * side_m - side_m / 2.0;
            let y = rng.unit() * side_m - side_m / 2.0;
            let angle = rng.unit() * std::f64::consts::PI;
            let bend = (rng.unit() - 0.5) * 0.4;
            let half = length_m / 2.0;
            let (dx, dy) = (angle.cos(), angle.sin());
            let (bx, by) = ((angle + bend).cos(), (angle + bend).sin());
            let geometry = vec![
                plane.to_latlon(Xy {
                    x_m: x - dx * half,
                    y_m: y - dy * half,
                }),
                plane.to_latlon(Xy { x_m: x, y_m: y }),
                plane.to_latlon(Xy {
                    x_m: x + bx * half,
                    y_m: y + by * half,
                }),
            ];
            streets.push(StreetRecord {
                street_code: street_code(i),
                name: street_name(i),
                name_en: String::new(),
                district: format!("第{}区", 1 + i % 9),
                jurisdiction: format!("{}派出所", STEMS[(i / 7) % STEMS.len()]),
                geometry,
            });
        }
        Self {
            streets,
            poles_per_street,
            seed,
        }
    }

    /// Produces every pole, street by street.
    pub fn for_each_pole(&self, mut f: impl FnMut(PoleRecord)) {
        let mut rng = Rng::new(self.seed ^ 0x5EED);
        for (i, s) in self.streets.iter().enumerate() {
            let Some(line) = Polyline::new(&s.geometry) else {
                continue;
            };
            let cross = &self.streets[(i * 7 + 3) % self.streets.len()].name;
            for n in 1..=self.poles_per_street[i] {
                let along = f64::from((n - 1) / 2) * 30.0;
                let left = n % 2 == 1;
                let surveyed = rng.below(4) == 0;
                let at = line.point_at(along, if left { 8.0 } else { -8.0 });
                let code = format!("{}{:04}", s.street_code, n);
                let landmark = if rng.below(3) == 0 {
                    format!(
                        "{}{}",
                        STEMS[rng.below(STEMS.len() as u64) as usize],
                        PLACES[(n as usize) % PLACES.len()]
                    )
                } else {
                    String::new()
                };
                f(PoleRecord {
                    pole_label: String::new(),
                    code: PoleCode::from_stored(code.clone(), code),
                    street_code: s.street_code.clone(),
                    street: s.name.clone(),
                    pole_no: Some(n),
                    side: Some(if left { Side::Left } else { Side::Right }),
                    surveyed: surveyed.then_some(at),
                    address: format!("{}{}{}号", s.district, s.name, n),
                    landmark,
                    cross_street: cross.clone(),
                    jurisdiction: String::new(),
                    status: "active".to_owned(),
                    note: String::new(),
                });
            }
        }
    }

    /// Number of poles.
    #[must_use]
    pub fn pole_count(&self) -> usize {
        self.poles_per_street.iter().map(|&n| n as usize).sum()
    }

    /// Writes every pole as the canonical CSV (what `lamppost import` reads with no mapping);
    /// with `changed_every = Some(k)`, every k-th pole has the status `damaged` instead.
    pub fn write_canonical_csv(
        &self,
        mut w: impl std::io::Write,
        changed_every: Option<usize>,
    ) -> std::io::Result<()> {
        writeln!(w, "{}", lamppost_core::model::CANONICAL_HEADER.join(","))?;
        let mut i = 0usize;
        let mut result = Ok(());
        self.for_each_pole(|p| {
            if result.is_err() {
                return;
            }
            let (lat, lon) = p.surveyed.map_or((String::new(), String::new()), |s| {
                (s.lat_deg.to_string(), s.lon_deg.to_string())
            });
            let status = if changed_every.is_some_and(|k| i.is_multiple_of(k)) {
                "damaged"
            } else {
                p.status.as_str()
            };
            result = writeln!(
                w,
                "{},{},{},{},{},{lat},{lon},{},{},{},,{status},",
                p.code,
                p.street_code,
                p.street,
                p.pole_no.unwrap_or(0),
                p.side.map_or("", Side::zh),
                p.address,
                p.landmark,
                p.cross_street,
            );
            i += 1;
        });
        result
    }
}

/// The 4-digit street code of street `i`: district digit and 3-digit street number.
fn street_code(i: usize) -> String {
    format!("{}{:03}", 1 + i % 9, i / 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_synthetic_set_has_the_size_asked_for_and_unique_codes() {
        let s = Synth::new(10_000, 7);
        assert_eq!(s.pole_count(), 10_000);
        let mut keys = hashbrown::HashSet::new();
        let mut n = 0;
        s.for_each_pole(|p| {
            n += 1;
            assert_eq!(p.code.key().len(), 8);
            assert!(keys.insert(p.code.key().to_owned()), "duplicate {}", p.code);
        });
        assert_eq!(n, 10_000);
        let names: hashbrown::HashSet<&str> = s.streets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.len(), s.streets.len());
    }

    #[test]
    fn the_same_seed_gives_the_same_data() {
        let a = Synth::new(500, 1);
        let b = Synth::new(500, 1);
        assert_eq!(a.streets, b.streets);
    }
}
