//! The master's schema: plain tables of standard SQL types, one PostGIS column
//! (`geometry(Point,4326)`) written and read as WKB, several datasets side by side. Each
//! statement is idempotent, so `master init` can run again on a master that has it.

/// The schema version `lamppost_master.schema_version` names.
pub const SCHEMA_VERSION: &str = "1";

/// The statements `master init` runs, in order.
pub const CREATE: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS postgis",
    "CREATE TABLE IF NOT EXISTS lamppost_master (
        key   VARCHAR(100) PRIMARY KEY,
        value TEXT NOT NULL
    )",
    // One row per dataset (a city, a centre): its code format and the version it is at.
    "CREATE TABLE IF NOT EXISTS lamppost_datasets (
        dataset     VARCHAR(200) PRIMARY KEY,
        code_format TEXT NOT NULL,
        version     BIGINT NOT NULL,
        created_at  TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP
    )",
    "CREATE TABLE IF NOT EXISTS lamppost_meta (
        dataset VARCHAR(200) NOT NULL REFERENCES lamppost_datasets(dataset),
        key     VARCHAR(200) NOT NULL,
        value   TEXT NOT NULL,
        PRIMARY KEY (dataset, key)
    )",
    "CREATE TABLE IF NOT EXISTS lamppost_streets (
        dataset      VARCHAR(200) NOT NULL REFERENCES lamppost_datasets(dataset),
        street_code  VARCHAR(200) NOT NULL,
        name         TEXT NOT NULL,
        name_en      TEXT NOT NULL,
        district     TEXT NOT NULL,
        jurisdiction TEXT NOT NULL,
        geometry_wkt TEXT NOT NULL,
        PRIMARY KEY (dataset, street_code)
    )",
    "CREATE TABLE IF NOT EXISTS lamppost_poles (
        dataset      VARCHAR(200) NOT NULL REFERENCES lamppost_datasets(dataset),
        code         VARCHAR(200) NOT NULL,
        code_display TEXT NOT NULL,
        street_code  VARCHAR(200) NOT NULL,
        pole_no      BIGINT,
        pole_label   TEXT NOT NULL,
        side         TEXT NOT NULL,
        geom         geometry(Point, 4326),
        address      TEXT NOT NULL,
        landmark     TEXT NOT NULL,
        cross_street TEXT NOT NULL,
        jurisdiction TEXT NOT NULL,
        status       TEXT NOT NULL,
        note         TEXT NOT NULL,
        version      BIGINT NOT NULL,
        PRIMARY KEY (dataset, code)
    )",
    "CREATE INDEX IF NOT EXISTS lamppost_poles_geom ON lamppost_poles USING GIST (geom)",
    "CREATE TABLE IF NOT EXISTS lamppost_versions (
        dataset       VARCHAR(200) NOT NULL REFERENCES lamppost_datasets(dataset),
        version       BIGINT NOT NULL,
        applied_at    VARCHAR(40) NOT NULL,
        applied_by    TEXT NOT NULL,
        source_name   TEXT NOT NULL,
        source_sha256 VARCHAR(64) NOT NULL,
        datum         TEXT NOT NULL,
        added         BIGINT NOT NULL,
        changed       BIGINT NOT NULL,
        removed       BIGINT NOT NULL,
        note          TEXT NOT NULL,
        PRIMARY KEY (dataset, version)
    )",
    "CREATE TABLE IF NOT EXISTS lamppost_pole_history (
        dataset VARCHAR(200) NOT NULL,
        version BIGINT NOT NULL,
        seq     BIGINT NOT NULL,
        code    VARCHAR(200) NOT NULL,
        op      VARCHAR(10) NOT NULL CHECK (op IN ('add', 'change', 'remove')),
        before  TEXT,
        after   TEXT,
        PRIMARY KEY (dataset, version, seq),
        FOREIGN KEY (dataset, version) REFERENCES lamppost_versions(dataset, version)
    )",
    "CREATE INDEX IF NOT EXISTS lamppost_pole_history_code
        ON lamppost_pole_history (dataset, code, version)",
    // The audit record: one row per push (applied or refused) and per dataset taken in.
    "CREATE TABLE IF NOT EXISTS lamppost_pushes (
        id            BIGSERIAL PRIMARY KEY,
        dataset       VARCHAR(200) NOT NULL,
        pushed_at     TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT CURRENT_TIMESTAMP,
        pushed_by     TEXT NOT NULL,
        source_name   TEXT NOT NULL,
        source_sha256 VARCHAR(64) NOT NULL,
        base_version  BIGINT NOT NULL,
        version       BIGINT,
        outcome       VARCHAR(20) NOT NULL CHECK (outcome IN ('applied', 'refused', 'created')),
        added         BIGINT NOT NULL,
        changed       BIGINT NOT NULL,
        removed       BIGINT NOT NULL,
        conflicts     TEXT NOT NULL,
        note          TEXT NOT NULL
    )",
];
