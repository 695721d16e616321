//! The reference database schema, as a list of migrations.
//!
//! Migrations are added, never edited: a database at `user_version = n` has had the first `n`
//! applied. Each runs inside the upgrade transaction.

/// Migration `i` brings a database from `user_version = i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: streets, poles, data versions, the history needed to undo them, and metadata.
    r"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE streets (
    street_code  TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    name_en      TEXT NOT NULL DEFAULT '',
    district     TEXT NOT NULL DEFAULT '',
    jurisdiction TEXT NOT NULL DEFAULT '',
    geometry_wkt TEXT NOT NULL DEFAULT ''   -- centre line, WGS-84, LINESTRING(lon lat, ...)
) WITHOUT ROWID;

CREATE TABLE poles (
    code         TEXT PRIMARY KEY,           -- normalised key
    code_display TEXT NOT NULL,              -- the spelling on the sign
    street_code  TEXT NOT NULL REFERENCES streets(street_code),
    pole_no      INTEGER,
    side         TEXT NOT NULL DEFAULT '',
    lat_deg      REAL,                       -- WGS-84, NULL when never surveyed
    lon_deg      REAL,
    address      TEXT NOT NULL DEFAULT '',
    landmark     TEXT NOT NULL DEFAULT '',
    cross_street TEXT NOT NULL DEFAULT '',
    jurisdiction TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    version      INTEGER NOT NULL,
    CHECK ((lat_deg IS NULL) = (lon_deg IS NULL))
) WITHOUT ROWID;

CREATE INDEX poles_by_street ON poles(street_code, pole_no);

CREATE TABLE versions (
    version       INTEGER PRIMARY KEY,
    applied_at    TEXT NOT NULL,             -- UTC, RFC 3339
    applied_by    TEXT NOT NULL,
    source_name   TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    datum         TEXT NOT NULL DEFAULT 'wgs84',
    added         INTEGER NOT NULL,
    changed       INTEGER NOT NULL,
    removed       INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
);

CREATE TABLE pole_history (
    version INTEGER NOT NULL REFERENCES versions(version),
    code    TEXT NOT NULL,
    op      TEXT NOT NULL CHECK (op IN ('add', 'change', 'remove')),
    before  TEXT,                            -- the row as JSON, NULL for 'add'
    after   TEXT                             -- the row as JSON, NULL for 'remove'
);

CREATE INDEX pole_history_by_version ON pole_history(version);
",
    // 2: a pole number as written when it has a suffix or a sub-number (`103F`, `570/1`, `12-1`,
    // `12附1`); `pole_no` keeps its numeric part, which orders and places it.
    r"
ALTER TABLE poles ADD COLUMN pole_label TEXT NOT NULL DEFAULT '';
",
];

/// The schema version this program writes.
#[must_use]
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}
