//! walkers adapter (to be written).
