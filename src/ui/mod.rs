//! The call-taker window (egui/eframe).

/// Opens the window on the database at `db` (or shows why it cannot be opened).
pub fn run(db: Result<std::path::PathBuf, String>) -> eframe::Result<()> {
    let _ = db;
    Ok(())
}
