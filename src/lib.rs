//! Lamppost (灯杆报警定位): find a street lamp post from the alarm code on its sign, offline.
//!
//! This package is the program: the command line (`src/cli`, in the binary) and the
//! call-taker's window ([`ui`], feature `gui`). The layers below are crates of their own
//! (docs/ARCHITECTURE.md): `lamppost-core` (codes, positions, model), `lamppost-data` (every SQL
//! statement), `lamppost-search` (the index), `lamppost-import` (the supervisor's import) and
//! `lamppost-basemap` (tiles). [`watch`] keeps a running program's index current; [`clock`]
//! writes times for people, in one zone.

pub mod clock;
pub mod watch;

#[cfg(feature = "gui")]
pub mod ui;
