//! The in-memory index: one query box, ranked results, nearest pole, poles in a box.
//!
//! Built from the reference database, then written beside it as an index file that later
//! starts map and use in place ([`persist`]: milliseconds at any size); after an import it is
//! opened again in the background and swapped in whole (see [`IndexHandle`]). Compact by
//! design, so that a province of a million poles stays well under 200 MB: all text lives in one
//! arena, repeated strings (landmarks, cross streets, jurisdictions) are interned, positions
//! are 1e-7 degree integers, and every table that grows with the poles is a flat array of plain
//! values, the same in memory and in the file.

// `deny`, not `forbid`: the one map call of the persisted index (`persist/map.rs`) is allowed
// there, with its reason.
#![deny(unsafe_code)]

pub mod channel;
pub mod handle;
pub mod kdtree;
mod keytable;
pub mod names;
pub mod persist;
mod section;
pub mod typo;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use bytemuck::{Pod, Zeroable};

pub use channel::ErrorModel;
pub use handle::IndexHandle;
use kdtree::{KdPoint, KdTree};
use keytable::KeyTable;
use names::{KeyKind, NameIndex, NameIndexBuilder};
use section::{Section, text_at};

use lamppost_core::code::{MAX_CODE_LEN, is_code_like, is_separator, to_half_width};
use lamppost_core::estimate::{Basis, PoleInput, Position, estimate_street};
use lamppost_core::geo::{LatLon, LocalPlane, Polyline};
use lamppost_core::model::{PoleRecord, Side, StreetRecord};
use lamppost_core::readback::{Lang, ReadbackParts, readback, readback_confirming_street};
use lamppost_core::text::fold;
use lamppost_data::store::{RawPole, Store, StoreError};

/// Queries longer than this (in characters) are not searched: nothing real is that long, and
/// a pasted page must not cost the operator a frame.
pub const MAX_QUERY_CHARS: usize = 100;

/// Two-mistake codes looked up when some code is one mistake away ([`SearchIndex::typos`]):
/// the likeliest ones, to fill the list behind it.
const TWO_EDIT_BEHIND_ONE: usize = 512;

/// Poles listed for one landmark or cross street.
const PER_PLACE: usize = 3;

/// Default number of results.
pub const DEFAULT_LIMIT: usize = 20;

/// A pole's position in the index.
pub type PoleId = u32;

const NO_NUMBER: u32 = u32::MAX;

/// What the dataset is.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DatasetInfo {
    /// Dataset name (`台北市中心示范数据`).
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Attribution to show with the data.
    pub attribution: String,
    /// The data version the index was built from.
    pub data_version: i64,
}

/// A street in the index.
#[derive(Debug, Clone)]
pub struct StreetInfo {
    /// Street code.
    pub code: String,
    /// Name as signposted.
    pub name: String,
    /// Romanised name.
    pub name_en: String,
    /// District.
    pub district: String,
    /// Default jurisdiction of its poles.
    pub jurisdiction: String,
    /// Centre line (empty when unknown).
    pub geometry: Vec<LatLon>,
    /// Length of the centre line in metres (0 when unknown).
    pub length_m: f64,
    /// A point to show for the street: the middle of its line, or of its poles.
    pub anchor: Option<LatLon>,
    /// Number of coded poles.
    pub poles: u32,
}

impl StreetInfo {
    /// Whether this "street" is a place that groups signs with no street (a park, a scenic
    /// area): the import names it after the place and codes it `P` and the first hex digits of
    /// the SHA-256 of its name (`lamppost_import::derived_place_code`).
    #[must_use]
    pub fn is_place(&self) -> bool {
        use sha2::{Digest as _, Sha256};
        let Some(digits) = self.code.strip_prefix('P') else {
            return false;
        };
        if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        let h = lamppost_core::encode::hex(&Sha256::digest(self.name.as_bytes()));
        h.get(..digits.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(digits))
    }
}

/// One pole in the index: plain data, written to the index file as is (`persist`).
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct PoleEntry {
    /// Arena offset of key, then display spelling, then address, back to back.
    text: u32,
    key_len: u8,
    disp_len: u8,
    addr_len: u16,
    street: u32,
    pole_no: u32,
    /// The pole number as written when it has a suffix (interned; 0 for none).
    pole_label: u32,
    lat_e7: i32,
    lon_e7: i32,
    radius_m: f32,
    /// How the position is known (a [`PointKind`] as a byte).
    kind: u8,
    /// 0 none, else 1 + index in `SIDES`.
    side: u8,
    _pad: [u8; 2],
    landmark: u32,
    cross: u32,
    jurisdiction: u32,
    status: u32,
}

/// How a pole's stored point is known (one byte in the entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum PointKind {
    /// Surveyed: the point is the survey's.
    Surveyed,
    /// Estimated along its street: the point has a radius.
    Estimated,
    /// Not known: no point.
    Unknown,
}

impl PoleEntry {
    fn kind(&self) -> PointKind {
        match self.kind {
            0 => PointKind::Surveyed,
            1 => PointKind::Estimated,
            _ => PointKind::Unknown,
        }
    }
}

const SIDES: [Side; 6] = Side::ALL;

fn e7(deg: f64) -> i32 {
    (deg * 1e7).round() as i32
}

/// Why a result matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The whole code.
    Exact,
    /// The start of a code.
    Prefix,
    /// A code a few keystrokes away: `edits` edits, `likely` when every difference is a
    /// confusable digit or a swap.
    Typo {
        /// Edit distance (1 or 2).
        edits: u8,
        /// The mistakes are ones call-takers often make.
        likely: bool,
    },
    /// A street name and a pole number on it.
    StreetNumber(KeyKind),
    /// A street name alone.
    Street(KeyKind),
    /// A landmark near the pole.
    Landmark,
    /// The pole's nearest cross street.
    CrossStreet,
}

impl Reason {
    /// A short word for JSON and tables: `exact`, `prefix`, `typo`, `street`, `landmark`…
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Prefix => "prefix",
            Self::Typo { .. } => "typo",
            Self::StreetNumber(_) => "street_number",
            Self::Street(_) => "street",
            Self::Landmark => "landmark",
            Self::CrossStreet => "cross_street",
        }
    }

    /// A phrase for people.
    #[must_use]
    pub fn describe(self, lang: Lang) -> String {
        let how = |k: KeyKind| match (k, lang) {
            (KeyKind::Name, Lang::Zh) => "名称",
            (KeyKind::Pinyin, Lang::Zh) => "拼音",
            (KeyKind::Initials, Lang::Zh) => "拼音首字母",
            (KeyKind::Inside, Lang::Zh) => "名称中的一段",
            (KeyKind::Name, Lang::En) => "name",
            (KeyKind::Pinyin, Lang::En) => "pinyin",
            (KeyKind::Initials, Lang::En) => "pinyin initials",
            (KeyKind::Inside, Lang::En) => "part of the name",
        };
        match (self, lang) {
            (Self::Exact, Lang::Zh) => "编码完全匹配".into(),
            (Self::Exact, Lang::En) => "exact code".into(),
            (Self::Prefix, Lang::Zh) => "编码开头匹配".into(),
            (Self::Prefix, Lang::En) => "code prefix".into(),
            (Self::Typo { edits, likely }, Lang::Zh) => {
                format!(
                    "疑似输错 {edits} 位{}",
                    if likely { "（常见错误）" } else { "" }
                )
            }
            (Self::Typo { edits, likely }, Lang::En) => format!(
                "possible typo, {edits} edit{}{}",
                if edits == 1 { "" } else { "s" },
                if likely { " (common slip)" } else { "" }
            ),
            (Self::StreetNumber(k), Lang::Zh) => format!("街路{}+杆号", how(k)),
            (Self::StreetNumber(k), Lang::En) => format!("street {} + pole number", how(k)),
            (Self::Street(k), Lang::Zh) => format!("街路{}", how(k)),
            (Self::Street(k), Lang::En) => format!("street {}", how(k)),
            (Self::Landmark, Lang::Zh) => "地标".into(),
            (Self::Landmark, Lang::En) => "landmark".into(),
            (Self::CrossStreet, Lang::Zh) => "交叉路口".into(),
            (Self::CrossStreet, Lang::En) => "cross street".into(),
        }
    }
}

/// A confusable code this far away (or on another street) is worth a warning: a car sent
/// to it would not see the right pole from there.
pub const CONFUSABLE_FAR_M: f64 = 300.0;

/// Most confusable codes listed for one code (the window and `lookup --json`).
pub const MAX_CONFUSABLES: usize = 8;

/// How a confusable code is made from the code it can be confused with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edit {
    /// One character replaced by another (`2450034` → `2460034`).
    Substitute,
    /// Two adjacent characters swapped (`2450034` → `2450043`).
    Swap,
    /// One character left out (`2450034` → `245034`).
    Drop,
    /// One character added (`245034` → `2450034`).
    Insert,
}

impl Edit {
    /// The word for JSON: `substitute`, `swap`, `drop`, `insert`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Substitute => "substitute",
            Self::Swap => "swap",
            Self::Drop => "drop",
            Self::Insert => "insert",
        }
    }
}

/// Another existing code one edit away from a pole's code: a caller who misreads one digit
/// of the one can read out the other, and both are valid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Confusable {
    /// The other pole.
    pub id: PoleId,
    /// How its code differs.
    pub edit: Edit,
    /// The weighted typo distance between the two codes (lower: a likelier confusion).
    pub weight: f32,
    /// The noisy-channel score of this code being the true one when the other was said:
    /// `ln P(said | this) + ln P(this pole)` ([`channel`]; higher is likelier). The list is
    /// ranked by it.
    pub score: f32,
    /// Metres between the two poles' points (`None` when either has no position).
    pub dist_m: Option<f64>,
    /// Both poles are on the same street.
    pub same_street: bool,
}

impl Confusable {
    /// True when a car sent to the wrong one of the two would be at the wrong place: the
    /// other pole is on another street, or more than [`CONFUSABLE_FAR_M`] away.
    #[must_use]
    pub fn is_risky(&self) -> bool {
        !self.same_street || self.dist_m.is_some_and(|d| d > CONFUSABLE_FAR_M)
    }
}

/// What a result points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// One pole.
    Pole(PoleId),
    /// A whole street: the call-taker still has to give a pole number.
    Street(u32),
}

/// One ranked result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The pole or street.
    pub target: Target,
    /// Why it matched.
    pub reason: Reason,
    /// Metres from the first result (`None` when either has no position).
    pub dist_m: Option<f64>,
    /// For a typo guess, the noisy-channel score `ln P(typed | code) + ln P(pole)` it was
    /// ranked by ([`channel`]; higher is likelier); `None` for other results.
    pub score: Option<f32>,
}

/// The answer to one query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    /// Ranked results, best first.
    pub hits: Vec<Hit>,
    /// The query was longer than [`MAX_QUERY_CHARS`] and was not searched.
    pub too_long: bool,
}

/// The index.
///
/// Every table that grows with the number of poles is a flat array of plain values
/// ([`Section`]): built in memory from the database, or read in place from a mapped index file
/// ([`persist`]), so that opening a persisted index costs the same at 10 thousand poles as at a
/// million.
pub struct SearchIndex {
    info: DatasetInfo,
    /// [`Store::content_stamp`] of the data it was built from (zeros when not from a database:
    /// such an index is never persisted).
    stamp: [u8; 32],
    /// All text, UTF-8, back to back.
    arena: Section<u8>,
    poles: Section<PoleEntry>,
    /// Interned strings: (arena offset, length).
    strs: Section<[u32; 2]>,
    /// Notes: (pole id, arena offset, length), by pole id.
    notes: Section<[u32; 3]>,
    streets: Vec<StreetInfo>,
    /// Pole ids grouped by street, each group in pole-number order.
    street_poles: Section<u32>,
    street_start: Section<u32>,
    by_key: KeyTable,
    sorted: Section<u32>,
    /// The keys again, back to back in sorted order: prefix and typo walks then read memory
    /// in order instead of jumping through the pole table.
    sorted_keys: Section<u8>,
    sorted_off: Section<u32>,
    /// Every byte that occurs in a key: what a typo can be replaced with.
    alphabet: Vec<u8>,
    min_key_len: usize,
    /// Bit `n` set when some key is `n` bytes long (keys of 64 bytes or more are not marked).
    key_lens: u64,
    /// Which keys may exist, asked before each lookup of the two-edit typo search.
    key_filter: typo::KeyFilter,
    street_names: NameIndex,
    place_names: NameIndex,
    /// (pole id, 1 when a cross street) per interned place string, grouped.
    place_poles: Section<[u32; 2]>,
    /// (interned place string, start, end in `place_poles`), by string.
    place_start: Section<[u32; 3]>,
    /// The origin of `plane`.
    origin: LatLon,
    plane: LocalPlane,
    tree: KdTree,
    counts: PositionCounts,
    /// The error model and prior that rank typo guesses and confusable codes: the defaults
    /// until [`SearchIndex::set_model`] gives the one learnt from the call log.
    model: ArcSwap<ErrorModel>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("info", &self.info)
            .field("poles", &self.poles.len())
            .field("streets", &self.streets.len())
            .finish_non_exhaustive()
    }
}

/// How many poles have which kind of position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PositionCounts {
    /// Surveyed.
    pub surveyed: u64,
    /// Estimated.
    pub estimated: u64,
    /// Unknown.
    pub unknown: u64,
}

/// Collects streets and poles, then builds a [`SearchIndex`].
pub struct IndexBuilder {
    info: DatasetInfo,
    streets: Vec<StreetInfo>,
    street_by_code: hashbrown::HashMap<String, u32>,
    arena: String,
    poles: Vec<PoleEntry>,
    strs: Vec<(u32, u32)>,
    intern: hashbrown::HashMap<Box<str>, u32, foldhash::fast::FixedState>,
    notes: hashbrown::HashMap<u32, String>,
    /// The last string interned for each text field of a pole, and its id. Rows arrive in
    /// code order, so neighbours usually share a jurisdiction or a cross street; comparing
    /// with the last one (hot in cache) saves a hash-table probe into cold memory.
    last: [(u32, String); 4],
}

impl IndexBuilder {
    /// A builder for a dataset with these streets.
    #[must_use]
    pub fn new(info: DatasetInfo, streets: Vec<StreetRecord>) -> Self {
        let mut b = Self {
            info,
            streets: Vec::with_capacity(streets.len()),
            street_by_code: hashbrown::HashMap::new(),
            arena: String::new(),
            poles: Vec::new(),
            strs: vec![(0, 0)],
            intern: hashbrown::HashMap::with_hasher(foldhash::fast::FixedState::with_seed(7)),
            notes: hashbrown::HashMap::new(),
            last: Default::default(),
        };
        b.intern.insert("".into(), 0);
        for s in streets {
            b.add_street(s);
        }
        b
    }

    fn add_street(&mut self, s: StreetRecord) -> u32 {
        let id = self.streets.len() as u32;
        let line = Polyline::new(&s.geometry);
        self.street_by_code.insert(s.street_code.clone(), id);
        self.streets.push(StreetInfo {
            code: s.street_code,
            name: s.name,
            name_en: s.name_en,
            district: s.district,
            jurisdiction: s.jurisdiction,
            length_m: line.as_ref().map_or(0.0, Polyline::length_m),
            anchor: line.as_ref().map(|l| l.point_at(l.length_m() / 2.0, 0.0)),
            geometry: s.geometry,
            poles: 0,
        });
        id
    }

    /// Interns the value of text field `field` (0–3) of a pole.
    fn intern_field(&mut self, field: usize, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        if self.last[field].1 == s {
            return self.last[field].0;
        }
        let id = self.intern(s);
        let last = &mut self.last[field];
        last.0 = id;
        last.1.clear();
        last.1.push_str(s);
        id
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(id) = self.intern.get(s) {
            return *id;
        }
        let id = self.strs.len() as u32;
        let start = self.arena.len() as u32;
        self.arena.push_str(s);
        self.strs.push((start, s.len() as u32));
        self.intern.insert(s.into(), id);
        id
    }

    /// Adds a pole. Its street is created from the pole's street name when unknown.
    pub fn push(&mut self, p: &PoleRecord) {
        self.push_raw(
            &RawPole {
                key: p.code.key(),
                display: p.code.display(),
                street_code: &p.street_code,
                pole_no: p.pole_no,
                pole_label: &p.pole_label,
                side: p.side.map_or("", Side::zh),
                lat_deg: p.surveyed.map(|s| s.lat_deg),
                lon_deg: p.surveyed.map(|s| s.lon_deg),
                address: &p.address,
                landmark: &p.landmark,
                cross_street: &p.cross_street,
                jurisdiction: &p.jurisdiction,
                status: &p.status,
                note: &p.note,
            },
            &p.street,
        );
    }

    /// Adds a pole read straight from the database; `street_name` names a street the
    /// builder does not know yet.
    pub fn push_raw(&mut self, p: &RawPole<'_>, street_name: &str) {
        let street = match self.street_by_code.get(p.street_code) {
            Some(id) => *id,
            None => self.add_street(StreetRecord {
                street_code: p.street_code.to_owned(),
                name: if street_name.is_empty() {
                    p.street_code
                } else {
                    street_name
                }
                .to_owned(),
                name_en: String::new(),
                district: String::new(),
                jurisdiction: String::new(),
                geometry: Vec::new(),
            }),
        };
        let text = self.arena.len() as u32;
        let key = truncate_bytes(p.key, MAX_CODE_LEN);
        let disp = truncate_bytes(p.display, usize::from(u8::MAX));
        let addr = truncate_bytes(p.address, usize::from(u16::MAX));
        self.arena.push_str(key);
        self.arena.push_str(disp);
        self.arena.push_str(addr);
        let id = self.poles.len() as u32;
        if !p.note.is_empty() {
            self.notes.insert(id, p.note.to_owned());
        }
        let surveyed = p
            .lat_deg
            .zip(p.lon_deg)
            .map(|(a, o)| LatLon::new(a, o))
            .filter(|at| at.is_valid());
        let (lat_e7, lon_e7, kind) = match surveyed {
            Some(s) => (e7(s.lat_deg), e7(s.lon_deg), PointKind::Surveyed),
            None => (0, 0, PointKind::Unknown),
        };
        let side = Side::parse(p.side)
            .and_then(|s| SIDES.iter().position(|x| *x == s))
            .map_or(0, |i| i as u8 + 1);
        let entry = PoleEntry {
            text,
            key_len: key.len() as u8,
            disp_len: disp.len() as u8,
            addr_len: addr.len() as u16,
            street,
            pole_no: p.pole_no.unwrap_or(NO_NUMBER),
            pole_label: if p.pole_label.is_empty() {
                0
            } else {
                self.intern(p.pole_label)
            },
            lat_e7,
            lon_e7,
            radius_m: 0.0,
            kind: kind as u8,
            side,
            _pad: [0; 2],
            landmark: self.intern_field(0, p.landmark),
            cross: self.intern_field(1, p.cross_street),
            jurisdiction: self.intern_field(2, p.jurisdiction),
            status: self.intern_field(3, p.status),
        };
        self.poles.push(entry);
    }

    /// Appends the poles another builder (made with the same streets) collected.
    pub fn absorb(&mut self, other: IndexBuilder) {
        let text_shift = self.arena.len() as u32;
        self.arena.push_str(&other.arena);
        // Interned strings of the other builder, re-interned here.
        let remap: Vec<u32> = other
            .strs
            .iter()
            .map(|&(a, l)| {
                let s = &other.arena[a as usize..(a + l) as usize];
                self.intern(s)
            })
            .collect();
        let streets: Vec<u32> = other
            .streets
            .iter()
            .map(|st| match self.street_by_code.get(&st.code) {
                Some(id) => *id,
                None => self.add_street(StreetRecord {
                    street_code: st.code.clone(),
                    name: st.name.clone(),
                    name_en: st.name_en.clone(),
                    district: st.district.clone(),
                    jurisdiction: st.jurisdiction.clone(),
                    geometry: st.geometry.clone(),
                }),
            })
            .collect();
        let id_shift = self.poles.len() as u32;
        for (id, note) in other.notes {
            self.notes.insert(id + id_shift, note);
        }
        self.poles.extend(other.poles.into_iter().map(|mut p| {
            p.text += text_shift;
            p.street = streets[p.street as usize];
            p.landmark = remap[p.landmark as usize];
            p.cross = remap[p.cross as usize];
            p.jurisdiction = remap[p.jurisdiction as usize];
            p.status = remap[p.status as usize];
            p.pole_label = remap[p.pole_label as usize];
            p
        }));
    }

    /// Estimates the positions of unsurveyed poles and builds the lookup structures.
    #[must_use]
    pub fn finish(self) -> SearchIndex {
        let Self {
            info,
            mut streets,
            mut arena,
            mut poles,
            strs,
            notes,
            ..
        } = self;
        drop(self.intern);
        drop(self.street_by_code);
        // Notes go into the arena too, listed by pole id.
        let mut notes: Vec<(u32, String)> = notes.into_iter().collect();
        notes.sort_unstable_by_key(|(id, _)| *id);
        let notes: Vec<[u32; 3]> = notes
            .into_iter()
            .map(|(id, text)| {
                let start = arena.len() as u32;
                arena.push_str(&text);
                [id, start, text.len() as u32]
            })
            .collect();

        // Group by street, in pole-number order.
        let mut street_poles: Vec<u32> = (0..poles.len() as u32).collect();
        street_poles.sort_unstable_by_key(|&i| {
            let p = &poles[i as usize];
            (p.street, p.pole_no, i)
        });
        let mut street_start = vec![0u32; streets.len() + 1];
        for &i in &street_poles {
            street_start[poles[i as usize].street as usize + 1] += 1;
        }
        for s in 0..streets.len() {
            street_start[s + 1] += street_start[s];
        }

        // Estimates, street by street: computed on every core, then written back.
        let estimates: Vec<Vec<Position>> = {
            use rayon::prelude::*;
            let poles = &poles;
            let (street_poles, street_start) = (&street_poles, &street_start);
            streets
                .par_iter()
                .enumerate()
                .map(|(s, street)| {
                    let ids = &street_poles[street_start[s] as usize..street_start[s + 1] as usize];
                    let line = Polyline::new(&street.geometry);
                    let inputs: Vec<PoleInput> = ids
                        .iter()
                        .map(|&i| {
                            let p = &poles[i as usize];
                            PoleInput {
                                pole_no: (p.pole_no != NO_NUMBER).then_some(p.pole_no),
                                side: side_of(p.side),
                                surveyed: (p.kind() == PointKind::Surveyed).then(|| latlon_of(p)),
                            }
                        })
                        .collect();
                    estimate_street(line.as_ref(), &inputs)
                })
                .collect()
        };
        let mut counts = PositionCounts::default();
        for ((s, street), positions) in streets.iter_mut().enumerate().zip(estimates) {
            let ids = &street_poles[street_start[s] as usize..street_start[s + 1] as usize];
            street.poles = ids.len() as u32;
            let mut sum = (0.0, 0.0, 0u32);
            for (&i, pos) in ids.iter().zip(positions) {
                let p = &mut poles[i as usize];
                match pos {
                    Position::Surveyed(_) => counts.surveyed += 1,
                    Position::Estimated { at, radius_m, .. } => {
                        counts.estimated += 1;
                        p.lat_e7 = e7(at.lat_deg);
                        p.lon_e7 = e7(at.lon_deg);
                        p.radius_m = radius_m as f32;
                        p.kind = PointKind::Estimated as u8;
                    }
                    Position::Unknown => counts.unknown += 1,
                }
                if p.kind() != PointKind::Unknown {
                    sum = (
                        sum.0 + f64::from(p.lat_e7),
                        sum.1 + f64::from(p.lon_e7),
                        sum.2 + 1,
                    );
                }
            }
            if street.anchor.is_none() && sum.2 > 0 {
                let n = f64::from(sum.2);
                street.anchor = Some(LatLon::new(sum.0 / n / 1e7, sum.1 / n / 1e7));
            }
        }
        // The code tables and the k-d tree on one core, the name indexes (pinyin of every
        // street, landmark and cross street) on the other.
        let (codes, names) = rayon::join(
            || {
                // Codes: a hash table for exact lookups, sorted for prefixes and typos.
                let key_of = |p: &PoleEntry| -> &str {
                    &arena[p.text as usize..p.text as usize + usize::from(p.key_len)]
                };
                let by_key = KeyTable::build(
                    arena.as_bytes(),
                    poles
                        .iter()
                        .enumerate()
                        .map(|(i, p)| (p.text, p.key_len, i as u32)),
                );
                let mut sorted: Vec<u32> = (0..poles.len() as u32).collect();
                sorted.sort_unstable_by(|&a, &b| {
                    key_of(&poles[a as usize]).cmp(key_of(&poles[b as usize]))
                });
                let min_key_len = poles
                    .iter()
                    .map(|p| usize::from(p.key_len))
                    .min()
                    .unwrap_or(0);
                let key_lens = poles
                    .iter()
                    .filter(|p| p.key_len < 64)
                    .fold(0u64, |m, p| m | (1u64 << p.key_len));
                let mut sorted_keys: Vec<u8> = Vec::with_capacity(sorted.len() * 8);
                let mut sorted_off: Vec<u32> = Vec::with_capacity(sorted.len() + 1);
                for &id in &sorted {
                    sorted_off.push(sorted_keys.len() as u32);
                    sorted_keys.extend_from_slice(key_of(&poles[id as usize]).as_bytes());
                }
                sorted_off.push(sorted_keys.len() as u32);
                let key_filter = typo::KeyFilter::new(
                    sorted_off
                        .windows(2)
                        .map(|w| &sorted_keys[w[0] as usize..w[1] as usize]),
                );
                let mut seen_bytes = [false; 256];
                for &b in &sorted_keys {
                    seen_bytes[usize::from(b)] = true;
                }
                let alphabet: Vec<u8> = (0..=255u8)
                    .filter(|&b| seen_bytes[usize::from(b)])
                    .collect();
                // Space.
                let origin = poles
                    .iter()
                    .find(|p| p.kind() != PointKind::Unknown)
                    .map_or(LatLon::new(0.0, 0.0), latlon_of);
                let plane = LocalPlane::new(origin);
                let pts: Vec<KdPoint> = poles
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.kind() != PointKind::Unknown)
                    .map(|(i, p)| {
                        let xy = plane.to_xy(latlon_of(p));
                        KdPoint {
                            x: xy.x_m as f32,
                            y: xy.y_m as f32,
                            id: i as u32,
                        }
                    })
                    .collect();
                let tree = KdTree::new(pts);

                (
                    by_key,
                    sorted,
                    sorted_keys,
                    sorted_off,
                    alphabet,
                    min_key_len,
                    key_lens,
                    key_filter,
                    origin,
                    plane,
                    tree,
                )
            },
            || {
                // Names.
                let mut sb = NameIndexBuilder::new(true);
                for (i, s) in streets.iter().enumerate() {
                    sb.add(&s.name, i as u32);
                }
                let street_names = sb.finish();

                let mut place_pairs: Vec<(u32, u32, bool)> = Vec::new();
                for (i, p) in poles.iter().enumerate() {
                    if p.landmark != 0 {
                        place_pairs.push((p.landmark, i as u32, false));
                    }
                    if p.cross != 0 {
                        place_pairs.push((p.cross, i as u32, true));
                    }
                }
                place_pairs.sort_unstable();
                let mut place_start: Vec<[u32; 3]> = Vec::new();
                let mut pb = NameIndexBuilder::new(true);
                let mut k = 0;
                while k < place_pairs.len() {
                    let s = place_pairs[k].0;
                    let mut e = k;
                    while e < place_pairs.len() && place_pairs[e].0 == s {
                        e += 1;
                    }
                    place_start.push([s, k as u32, e as u32]);
                    let (a, l) = strs[s as usize];
                    pb.add(&arena[a as usize..(a + l) as usize], s);
                    k = e;
                }
                let place_names = pb.finish();
                let place_poles: Vec<[u32; 2]> = place_pairs
                    .iter()
                    .map(|&(_, p, c)| [p, u32::from(c)])
                    .collect();
                (street_names, place_names, place_poles, place_start)
            },
        );
        let (
            by_key,
            sorted,
            sorted_keys,
            sorted_off,
            alphabet,
            min_key_len,
            key_lens,
            key_filter,
            origin,
            plane,
            tree,
        ) = codes;
        let (street_names, place_names, place_poles, place_start) = names;

        SearchIndex {
            info,
            stamp: [0; 32],
            arena: Section::owned(arena.into_bytes()),
            poles: Section::owned(poles),
            strs: Section::owned(strs.into_iter().map(|(a, l)| [a, l]).collect()),
            notes: Section::owned(notes),
            streets,
            street_poles: Section::owned(street_poles),
            street_start: Section::owned(street_start),
            by_key,
            sorted: Section::owned(sorted),
            sorted_keys: Section::owned(sorted_keys),
            sorted_off: Section::owned(sorted_off),
            alphabet,
            min_key_len,
            key_lens,
            key_filter,
            street_names,
            place_names,
            place_poles: Section::owned(place_poles),
            place_start: Section::owned(place_start),
            origin,
            plane,
            tree,
            counts,
            model: ArcSwap::from_pointee(ErrorModel::default()),
        }
    }
}

fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn side_of(code: u8) -> Option<Side> {
    code.checked_sub(1)
        .and_then(|i| SIDES.get(usize::from(i)).copied())
}

fn latlon_of(p: &PoleEntry) -> LatLon {
    LatLon::new(f64::from(p.lat_e7) / 1e7, f64::from(p.lon_e7) / 1e7)
}

/// A normalised query key in a stack buffer: no allocation on the lookup path.
struct KeyBuf {
    buf: [u8; MAX_CODE_LEN],
    len: usize,
}

impl KeyBuf {
    /// Normalises like [`lamppost_core::code::normalize_lenient`]; `None` when the text is not
    /// code-like (a character that is not a letter, digit or separator) or too long.
    fn new(text: &str) -> Option<Self> {
        let mut k = Self {
            buf: [0; MAX_CODE_LEN],
            len: 0,
        };
        // Fast path: plain ASCII, the usual case at a keyboard.
        if text.is_ascii() {
            for &b in text.as_bytes() {
                match b {
                    b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => {
                        if k.len == MAX_CODE_LEN {
                            return None;
                        }
                        k.buf[k.len] = b.to_ascii_uppercase();
                        k.len += 1;
                    }
                    b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c' | b'-' | b'_' | b'.'
                    | b'/' | b'\\' | b',' => {}
                    _ => return None,
                }
            }
            return (k.len > 0).then_some(k);
        }
        for c in text.chars() {
            let c = to_half_width(c);
            if is_separator(c) {
                continue;
            }
            if !c.is_ascii_alphanumeric() || k.len == MAX_CODE_LEN {
                return None;
            }
            k.buf[k.len] = c.to_ascii_uppercase() as u8;
            k.len += 1;
        }
        (k.len > 0).then_some(k)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Splits `重庆北路34号` into the street part and the pole number.
fn split_number(folded: &str) -> Option<(&str, u32)> {
    let mut s = folded;
    for suffix in ["号灯杆", "号杆", "号", "#", "杆"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest;
            break;
        }
    }
    let digits_start = s
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i)?;
    let n: u32 = s[digits_start..].parse().ok()?;
    let street = s[..digits_start].trim_end_matches(['第', ' ']);
    (!street.is_empty()).then_some((street, n))
}

impl SearchIndex {
    /// Builds the index from an open database, in one snapshot of it
    /// ([`Store::read_snapshot`]: an import or a package committed meanwhile is either wholly
    /// in the index or not at all).
    pub fn from_store(store: &Store) -> Result<Self, StoreError> {
        let (head, parts) = store.read_snapshot(
            |head, first| {
                let info = if first {
                    DatasetInfo {
                        name: head.meta("name").to_owned(),
                        name_en: head.meta("name_en").to_owned(),
                        attribution: head.meta("attribution").to_owned(),
                        data_version: head.data_version,
                    }
                } else {
                    DatasetInfo::default()
                };
                IndexBuilder::new(info, head.streets.clone())
            },
            |b, p| b.push_raw(p, ""),
        )?;
        let mut parts = parts.into_iter();
        let Some(mut a) = parts.next() else {
            return Err(StoreError::Corrupt {
                path: store.path().to_owned(),
                detail: "index snapshot".into(),
            });
        };
        for b in parts {
            a.absorb(b);
        }
        let mut index = a.finish();
        index.stamp = head.stamp;
        Ok(index)
    }

    /// Opens the index of the database at `path`: its persisted index file when there is a
    /// valid one for the database's current data ([`persist`]: a memory map, milliseconds at
    /// any size); otherwise builds it from the database ([`SearchIndex::build`]) and writes
    /// the file for the next start. Call it off the UI thread.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = Store::open(path, lamppost_data::store::Access::ReadOnly)?;
        let version = store.data_version()?;
        let stamp = store.content_stamp()?;
        if let Ok(index) = persist::load(path, version, &stamp) {
            return Ok(index);
        }
        let index = Self::from_store(&store)?;
        // Best effort: a read-only folder only costs the next start a rebuild.
        let _ = persist::save(&index, path);
        Ok(index)
    }

    /// Builds the index from the database at `path`, ignoring and not writing any index file
    /// (what [`SearchIndex::open`] falls back to).
    pub fn build(path: &Path) -> Result<Self, StoreError> {
        let store = Store::open(path, lamppost_data::store::Access::ReadOnly)?;
        Self::from_store(&store)
    }

    /// True when the index is read in place from an index file, false when it was built in
    /// memory.
    #[must_use]
    pub fn is_mapped(&self) -> bool {
        self.poles.is_mapped()
    }

    /// The dataset.
    #[must_use]
    pub fn info(&self) -> &DatasetInfo {
        &self.info
    }

    /// Number of poles.
    #[must_use]
    pub fn len(&self) -> usize {
        self.poles.len()
    }

    /// True when the dataset has no poles.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.poles.is_empty()
    }

    /// The streets.
    #[must_use]
    pub fn streets(&self) -> &[StreetInfo] {
        &self.streets
    }

    /// How many poles are surveyed, estimated, unknown.
    #[must_use]
    pub fn position_counts(&self) -> PositionCounts {
        self.counts
    }

    fn key(&self, id: PoleId) -> &str {
        let p = &self.poles[id as usize];
        text_at(&self.arena, p.text as usize, usize::from(p.key_len))
    }

    fn interned(&self, id: u32) -> &str {
        let [a, l] = self.strs.get(id as usize).copied().unwrap_or_default();
        text_at(&self.arena, a as usize, l as usize)
    }

    fn note(&self, id: PoleId) -> &str {
        let notes: &[[u32; 3]] = &self.notes;
        notes
            .binary_search_by_key(&id, |n| n[0])
            .ok()
            .map_or("", |i| {
                text_at(&self.arena, notes[i][1] as usize, notes[i][2] as usize)
            })
    }

    /// A view of one pole.
    #[must_use]
    pub fn pole(&self, id: PoleId) -> PoleView<'_> {
        PoleView { index: self, id }
    }

    /// The pole with exactly this code (any spelling: full-width, dashes, spaces).
    #[must_use]
    pub fn lookup(&self, code: &str) -> Option<PoleId> {
        let k = KeyBuf::new(code)?;
        self.lookup_key(k.as_str())
    }

    fn lookup_key(&self, key: &str) -> Option<PoleId> {
        self.by_key.find(&self.arena, key.as_bytes())
    }

    /// The key at sorted position `i`.
    fn sorted_key(&self, i: usize) -> &[u8] {
        &self.sorted_keys[self.sorted_off[i] as usize..self.sorted_off[i + 1] as usize]
    }

    /// Poles whose code starts with `key` (normalised), in code order: the first `limit`, and
    /// how many there are in all.
    fn prefix(&self, key: &str, limit: usize) -> (Vec<PoleId>, usize) {
        let k = key.as_bytes();
        let n = self.sorted.len();
        let (mut a, mut b) = (0, n);
        while a < b {
            let mid = a + (b - a) / 2;
            if self.sorted_key(mid) < k {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        let lo = a;
        let mut b = n;
        while a < b {
            let mid = a + (b - a) / 2;
            if self.sorted_key(mid).starts_with(k) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        (
            self.sorted[lo..a].iter().take(limit).copied().collect(),
            a - lo,
        )
    }

    /// The pole with number `n` on street `s`.
    fn street_pole(&self, s: u32, n: u32) -> Option<PoleId> {
        let ids = self.street_pole_ids(s);
        let i = ids.partition_point(|&id| self.poles[id as usize].pole_no < n);
        ids.get(i)
            .copied()
            .filter(|&id| self.poles[id as usize].pole_no == n)
    }

    /// The poles of a street, in number order.
    #[must_use]
    pub fn street_pole_ids(&self, s: u32) -> &[PoleId] {
        let (a, b) = (
            self.street_start[s as usize] as usize,
            self.street_start[s as usize + 1] as usize,
        );
        &self.street_poles[a..b]
    }

    /// Searches: codes first (exact, prefix, typos), then street + number, streets,
    /// landmarks and cross streets. Each hit carries its distance from the first.
    #[must_use]
    pub fn search(&self, query: &str, limit: usize) -> SearchResults {
        if query.chars().count() > MAX_QUERY_CHARS {
            return SearchResults {
                hits: Vec::new(),
                too_long: true,
            };
        }
        let cleaned: String = query.chars().filter(|c| !c.is_control()).collect();
        let mut hits: Vec<Hit> = Vec::new();
        let mut seen: hashbrown::HashSet<Target> = hashbrown::HashSet::new();
        let mut push = |hits: &mut Vec<Hit>, target: Target, reason: Reason| {
            if hits.len() < limit && seen.insert(target) {
                hits.push(Hit {
                    target,
                    reason,
                    dist_m: None,
                    score: None,
                });
            }
        };

        if let Some(k) = KeyBuf::new(&cleaned) {
            let key = k.as_str();
            let exact = self.lookup_key(key);
            if let Some(id) = exact {
                push(&mut hits, Target::Pole(id), Reason::Exact);
            }
            let (pre, total) = self.prefix(key, limit);
            for id in pre {
                push(&mut hits, Target::Pole(id), Reason::Prefix);
            }
            let wants_typos = exact.is_none() && (total == 0 || key.len() >= self.min_key_len);
            if wants_typos && key.len() >= 3 && is_code_like(key) {
                for (id, reason, score) in self.typos(key, limit) {
                    push(&mut hits, Target::Pole(id), reason);
                    if let Some(h) = hits.last_mut()
                        && h.target == Target::Pole(id)
                    {
                        h.score = Some(score);
                    }
                }
            }
        }

        let folded = fold(&cleaned);
        if !folded.is_empty() {
            if let Some((street_q, n)) = split_number(&folded) {
                for m in self.street_names.find(street_q, limit) {
                    if let Some(id) = self.street_pole(m.target, n) {
                        push(&mut hits, Target::Pole(id), Reason::StreetNumber(m.kind));
                    }
                }
            }
            for m in self.street_names.find(&folded, limit) {
                push(&mut hits, Target::Street(m.target), Reason::Street(m.kind));
            }
            for m in self.place_names.find(&folded, limit) {
                let place_start: &[[u32; 3]] = &self.place_start;
                let Ok(at) = place_start.binary_search_by_key(&m.target, |p| p[0]) else {
                    continue;
                };
                let [_, a, b] = place_start[at];
                // A few poles per place: a cross street names every pole near a junction, and
                // one junction should not push every other match off the list.
                for &[id, is_cross] in self
                    .place_poles
                    .get(a as usize..b as usize)
                    .unwrap_or_default()
                    .iter()
                    .take(PER_PLACE)
                {
                    let reason = if is_cross != 0 {
                        Reason::CrossStreet
                    } else {
                        Reason::Landmark
                    };
                    push(&mut hits, Target::Pole(id), reason);
                }
            }
        }

        let first = hits.first().and_then(|h| self.target_point(h.target));
        for h in &mut hits {
            h.dist_m = first
                .zip(self.target_point(h.target))
                .map(|(a, b)| a.distance_m(b));
        }
        SearchResults {
            hits,
            too_long: false,
        }
    }

    /// Calls `f` with every key one edit away from `key` (each character dropped, each pair of
    /// different adjacent characters swapped, each character replaced by every other byte
    /// that occurs in a key, every such byte inserted anywhere) and the kind of edit: about
    /// 150 variants for a 7-digit code, never a scan of the index.
    fn each_one_edit(&self, key: &[u8], mut f: impl FnMut(&[u8], Edit)) {
        let mut buf: Vec<u8> = Vec::with_capacity(key.len() + 1);
        for i in 0..key.len() {
            buf.clear();
            buf.extend_from_slice(&key[..i]);
            buf.extend_from_slice(&key[i + 1..]);
            f(&buf, Edit::Drop);
            if i + 1 < key.len() && key[i] != key[i + 1] {
                buf.clear();
                buf.extend_from_slice(key);
                buf.swap(i, i + 1);
                f(&buf, Edit::Swap);
            }
            for &c in &self.alphabet {
                if c != key[i] {
                    buf.clear();
                    buf.extend_from_slice(key);
                    buf[i] = c;
                    f(&buf, Edit::Substitute);
                }
            }
        }
        for i in 0..=key.len() {
            for &c in &self.alphabet {
                buf.clear();
                buf.extend_from_slice(&key[..i]);
                buf.push(c);
                buf.extend_from_slice(&key[i..]);
                f(&buf, Edit::Insert);
            }
        }
    }

    /// Existing codes one edit away from `key`, each once, with the first edit that reaches
    /// it, in id order: a few hundred exact lookups, microseconds even for a province.
    fn one_edit_away_with(&self, key: &[u8]) -> Vec<(PoleId, Edit)> {
        let mut out: Vec<(PoleId, Edit)> = Vec::new();
        self.each_one_edit(key, |buf, edit| {
            if let Some(id) = std::str::from_utf8(buf)
                .ok()
                .and_then(|k| self.lookup_key(k))
            {
                out.push((id, edit));
            }
        });
        // Each code once (a dense province has dozens): a stable sort keeps the first edit.
        out.sort_by_key(|&(id, _)| id);
        out.dedup_by_key(|&mut (id, _)| id);
        out
    }

    /// Codes one edit away, found by trying every edit of `key` against the hash table.
    fn one_edit_away(&self, key: &[u8]) -> Vec<PoleId> {
        self.one_edit_away_with(key)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    /// The error model and prior in use.
    #[must_use]
    pub fn model(&self) -> Arc<ErrorModel> {
        self.model.load_full()
    }

    /// Uses `model` (learnt from the call log) from now on, for every reader of this index.
    pub fn set_model(&self, model: Arc<ErrorModel>) {
        self.model.store(model);
    }

    /// True when `model` is the one in use (the very same, not an equal copy).
    #[must_use]
    pub fn uses_model(&self, model: &Arc<ErrorModel>) -> bool {
        Arc::ptr_eq(&self.model.load(), model)
    }

    /// The noisy-channel score of pole `id` being the one meant when `typed` (a normalised
    /// key) was entered: `ln P(typed | its code) + ln P(pole)` ([`channel`]).
    #[must_use]
    pub fn channel_score(&self, typed: &str, id: PoleId) -> f32 {
        self.score_with(&self.model.load(), typed.as_bytes(), id)
    }

    fn score_with(&self, model: &ErrorModel, typed: &[u8], id: PoleId) -> f32 {
        let key = self.key(id);
        let kind = match self.poles[id as usize].kind() {
            PointKind::Surveyed => channel::PriorKind::Surveyed,
            PointKind::Estimated => channel::PriorKind::Estimated,
            PointKind::Unknown => channel::PriorKind::Unknown,
        };
        model.log_likelihood(typed, key.as_bytes()) + model.log_prior(kind, key)
    }

    /// Every existing code one edit away from pole `id`'s code (one character substituted, two
    /// adjacent characters swapped, one dropped or one added), most likely confusion first:
    /// by the noisy-channel score of the other code being the true one when this one was said
    /// ([`Confusable::score`]), then another street before the same street, then the farther
    /// first (the one that would send a car farther away is the one to check), then by code.
    /// Bounded by design: the one-edit variants of the code are looked up exactly, the index
    /// is never scanned.
    #[must_use]
    pub fn one_edit_codes(&self, id: PoleId) -> Vec<Confusable> {
        let key = self.key(id).as_bytes();
        let at = self.pole(id).point();
        let street = self.poles[id as usize].street;
        let model = self.model.load();
        let mut out: Vec<Confusable> = self
            .one_edit_away_with(key)
            .into_iter()
            .map(|(other, edit)| Confusable {
                id: other,
                edit,
                weight: typo::one_edit_weight(key, self.key(other).as_bytes(), edit),
                score: self.score_with(&model, key, other),
                dist_m: at
                    .zip(self.pole(other).point())
                    .map(|(a, b)| a.distance_m(b)),
                same_street: self.poles[other as usize].street == street,
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.same_street.cmp(&b.same_street))
                .then(
                    b.dist_m
                        .unwrap_or(f64::INFINITY)
                        .total_cmp(&a.dist_m.unwrap_or(f64::INFINITY)),
                )
                .then(self.key(a.id).cmp(self.key(b.id)))
        });
        out
    }

    /// The confusable codes of pole `id` a call-taker must be warned about: those of
    /// [`SearchIndex::one_edit_codes`] on another street or more than [`CONFUSABLE_FAR_M`]
    /// away ([`Confusable::is_risky`]), most likely first, at most `limit`.
    #[must_use]
    pub fn confusables(&self, id: PoleId, limit: usize) -> Vec<Confusable> {
        let mut all = self.one_edit_codes(id);
        all.retain(Confusable::is_risky);
        all.truncate(limit);
        all
    }

    /// Typo guesses for `key`, likeliest first by the noisy-channel score, with their reason
    /// and score.
    fn typos(&self, key: &str, limit: usize) -> Vec<(PoleId, Reason, f32)> {
        // Every code one mistake away and the likeliest two mistakes away, by undoing the
        // error model's mistakes and looking the results up (bounded: `typo::within_two`);
        // short keys (where two mistakes reach almost anything) only one mistake away.
        let model = self.model.load();
        let found: Vec<(PoleId, u8)> = if key.len() < 5 {
            self.one_edit_away(key.as_bytes())
                .into_iter()
                .map(|id| (id, 1))
                .collect()
        } else {
            typo::within_two(
                &model,
                key.as_bytes(),
                &self.alphabet,
                self.key_lens,
                &self.key_filter,
                |k| std::str::from_utf8(k).ok().and_then(|k| self.lookup_key(k)),
                |one| {
                    // Nothing two mistakes away can score above this bound: when `limit`
                    // codes one mistake away do, the list is full without looking further.
                    // When some code is one mistake away (a slip, as most misreads are), only
                    // the likeliest two-mistake codes are looked up behind it: measured on
                    // held-out two-mistake misreads (tests/two_edit_misreads.rs) the true pole
                    // is in the first five as often as with the full search. Only when no
                    // code is one mistake away is the full two-mistake search worth its cost.
                    let bound = model.max_log_prior() - 2.0 * model.cheapest_mistake();
                    let above = one
                        .iter()
                        .filter(|&&(id, _)| self.score_with(&model, key.as_bytes(), id) > bound)
                        .take(limit)
                        .count();
                    if above >= limit {
                        0
                    } else if !one.is_empty() {
                        TWO_EDIT_BEHIND_ONE
                    } else {
                        typo::TWO_EDIT_LOOKUPS
                    }
                },
            )
        };
        let mut ranked: Vec<(f32, u8, PoleId)> = found
            .into_iter()
            .map(|(id, d)| (self.score_with(&model, key.as_bytes(), id), d, id))
            .collect();
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.1.cmp(&b.1))
                .then(self.key(a.2).cmp(self.key(b.2)))
        });
        ranked
            .into_iter()
            .take(limit)
            .map(|(score, d, id)| {
                let w = typo::weighted_distance(key.as_bytes(), self.key(id).as_bytes());
                (
                    id,
                    Reason::Typo {
                        edits: d,
                        likely: w < f32::from(d),
                    },
                    score,
                )
            })
            .collect()
    }

    /// The point shown for a result.
    #[must_use]
    pub fn target_point(&self, t: Target) -> Option<LatLon> {
        match t {
            Target::Pole(id) => self.pole(id).point(),
            Target::Street(s) => self.streets.get(s as usize).and_then(|s| s.anchor),
        }
    }

    /// The pole nearest to a point (surveyed or estimated), and its distance in metres.
    #[must_use]
    pub fn nearest(&self, at: LatLon) -> Option<(PoleId, f64)> {
        let xy = self.plane.to_xy(at);
        let (p, _) = self.tree.nearest(xy.x_m as f32, xy.y_m as f32)?;
        let d = at.distance_m(latlon_of(&self.poles[p.id as usize]));
        Some((p.id, d))
    }

    /// The `k` poles nearest to a point (surveyed or estimated), nearest first, each with its
    /// distance in metres.
    #[must_use]
    pub fn nearest_k(&self, at: LatLon, k: usize) -> Vec<(PoleId, f64)> {
        let xy = self.plane.to_xy(at);
        let mut out: Vec<(PoleId, f64)> = self
            .tree
            .nearest_k(xy.x_m as f32, xy.y_m as f32, k)
            .into_iter()
            .map(|(p, _)| (p.id, at.distance_m(latlon_of(&self.poles[p.id as usize]))))
            .collect();
        // The plane is exact to centimetres over a city; the great-circle order decides ties.
        out.sort_by(|a, b| a.1.total_cmp(&b.1));
        out
    }

    /// Calls `f` for every pole with a position inside the box.
    pub fn within(&self, south_west: LatLon, north_east: LatLon, mut f: impl FnMut(PoleId)) {
        let a = self.plane.to_xy(south_west);
        let b = self.plane.to_xy(north_east);
        self.tree.within(
            a.x_m.min(b.x_m) as f32,
            a.y_m.min(b.y_m) as f32,
            a.x_m.max(b.x_m) as f32,
            a.y_m.max(b.y_m) as f32,
            |p| f(p.id),
        );
    }

    /// Like [`SearchIndex::within`], visiting a number of poles bounded by `max_depth`: an evenly spread
    /// sample for drawing a zoomed-out map of a large dataset.
    pub fn within_sample(
        &self,
        south_west: LatLon,
        north_east: LatLon,
        max_depth: u32,
        mut f: impl FnMut(PoleId),
    ) {
        let a = self.plane.to_xy(south_west);
        let b = self.plane.to_xy(north_east);
        self.tree.within_to_depth(
            a.x_m.min(b.x_m) as f32,
            a.y_m.min(b.y_m) as f32,
            a.x_m.max(b.x_m) as f32,
            a.y_m.max(b.y_m) as f32,
            max_depth,
            |p| f(p.id),
        );
    }

    /// Approximate heap bytes held by the index (for the memory report).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.arena.heap_bytes()
            + self.poles.heap_bytes()
            + self.strs.heap_bytes()
            + self.notes.heap_bytes()
            + self.street_poles.heap_bytes()
            + self.street_start.heap_bytes()
            + self.sorted.heap_bytes()
            + self.sorted_keys.heap_bytes()
            + self.sorted_off.heap_bytes()
            + self.by_key.heap_bytes()
            + self.place_poles.heap_bytes()
            + self.place_start.heap_bytes()
            + self.tree.heap_bytes()
            + self.key_filter.heap_bytes()
            + self.street_names.heap_bytes()
            + self.place_names.heap_bytes()
    }
}

/// A read-only view of one pole in the index.
#[derive(Clone, Copy)]
pub struct PoleView<'a> {
    index: &'a SearchIndex,
    id: PoleId,
}

impl<'a> PoleView<'a> {
    fn entry(&self) -> &'a PoleEntry {
        &self.index.poles[self.id as usize]
    }

    fn text(&self, from: usize, len: usize) -> &'a str {
        text_at(&self.index.arena, self.entry().text as usize + from, len)
    }

    /// The id in the index.
    #[must_use]
    pub fn id(&self) -> PoleId {
        self.id
    }

    /// The normalised code.
    #[must_use]
    pub fn key(&self) -> &'a str {
        self.text(0, usize::from(self.entry().key_len))
    }

    /// The code as spelled in the data.
    #[must_use]
    pub fn code(&self) -> &'a str {
        let e = self.entry();
        self.text(usize::from(e.key_len), usize::from(e.disp_len))
    }

    /// The street.
    #[must_use]
    pub fn street(&self) -> &'a StreetInfo {
        &self.index.streets[self.entry().street as usize]
    }

    /// The street's index.
    #[must_use]
    pub fn street_id(&self) -> u32 {
        self.entry().street
    }

    /// Number along the street.
    #[must_use]
    pub fn pole_no(&self) -> Option<u32> {
        let n = self.entry().pole_no;
        (n != NO_NUMBER).then_some(n)
    }

    /// The pole number as written when it has a suffix (`103F`); empty otherwise.
    #[must_use]
    pub fn pole_label(&self) -> &'a str {
        self.index.interned(self.entry().pole_label)
    }

    /// Side of the street.
    #[must_use]
    pub fn side(&self) -> Option<Side> {
        side_of(self.entry().side)
    }

    /// Address.
    #[must_use]
    pub fn address(&self) -> &'a str {
        let e = self.entry();
        self.text(
            usize::from(e.key_len) + usize::from(e.disp_len),
            usize::from(e.addr_len),
        )
    }

    /// Nearby landmark.
    #[must_use]
    pub fn landmark(&self) -> &'a str {
        self.index.interned(self.entry().landmark)
    }

    /// Nearest cross street.
    #[must_use]
    pub fn cross_street(&self) -> &'a str {
        self.index.interned(self.entry().cross)
    }

    /// The pole's jurisdiction, or its street's when the pole has none.
    #[must_use]
    pub fn jurisdiction(&self) -> &'a str {
        let own = self.index.interned(self.entry().jurisdiction);
        if own.is_empty() {
            &self.street().jurisdiction
        } else {
            own
        }
    }

    /// Status text.
    #[must_use]
    pub fn status(&self) -> &'a str {
        self.index.interned(self.entry().status)
    }

    /// Note.
    #[must_use]
    pub fn note(&self) -> &'a str {
        self.index.note(self.id)
    }

    /// Where the pole is, and how sure we are.
    #[must_use]
    pub fn position(&self) -> Position {
        let e = self.entry();
        match e.kind() {
            PointKind::Surveyed => Position::Surveyed(latlon_of(e)),
            PointKind::Estimated => Position::Estimated {
                at: latlon_of(e),
                radius_m: f64::from(e.radius_m),
                // The basis is not kept per pole; the radius carries what matters.
                basis: Basis::AlongLine,
            },
            PointKind::Unknown => Position::Unknown,
        }
    }

    /// The point to show, surveyed or estimated.
    #[must_use]
    pub fn point(&self) -> Option<LatLon> {
        (self.entry().kind() != PointKind::Unknown).then(|| latlon_of(self.entry()))
    }

    /// The read-back sentence.
    #[must_use]
    pub fn readback(&self, lang: Lang) -> String {
        readback(&self.readback_parts(), lang)
    }

    /// The read-back sentence, asking the caller to confirm the street when `confirm_street`
    /// (the code has confusable codes elsewhere: [`SearchIndex::confusables`]).
    #[must_use]
    pub fn readback_checked(&self, lang: Lang, confirm_street: bool) -> String {
        if confirm_street {
            readback_confirming_street(&self.readback_parts(), lang)
        } else {
            self.readback(lang)
        }
    }

    fn readback_parts(&self) -> ReadbackParts<'a> {
        let street = self.street();
        ReadbackParts {
            street: &street.name,
            street_en: &street.name_en,
            pole_no: self.pole_no(),
            pole_label: self.pole_label(),
            code: self.code(),
            side: self.side(),
            cross_street: self.cross_street(),
            landmark: self.landmark(),
            jurisdiction: self.jurisdiction(),
            place: street.is_place(),
        }
    }
}

#[cfg(test)]
mod tests;
