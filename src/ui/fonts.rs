//! Fonts: the bundled CJK font right after egui's Latin fonts in every family, so Chinese renders
//! with no missing glyph;
//! eframe's system-font fallback covers rare characters that come in with imported data.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{FontData, FontDefinitions, FontFamily};

/// Where the bundled assets are: beside the executable (`assets/`, a deployed folder), or in
/// the source tree (developer layout, `cargo run`).
#[must_use]
pub fn assets_dir() -> PathBuf {
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("assets")));
    match beside_exe {
        Some(d) if d.is_dir() => d,
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("assets"),
    }
}

/// The bundled font files (`assets/fonts/*.otf|ttf`), sorted by name.
#[must_use]
pub fn bundled_font_files(assets: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(assets.join("fonts"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "otf" | "ttf"))
        })
        .collect();
    v.sort();
    v
}

/// Installs the bundled CJK fonts as the first fallback after egui's defaults (which have no
/// CJK glyphs). Returns
/// the number of font files loaded.
#[must_use = "zero means no CJK font was found"]
pub fn install(ctx: &egui::Context, assets: &Path) -> usize {
    let mut defs = FontDefinitions::default();
    let mut loaded = 0;
    for (i, path) in bundled_font_files(assets).iter().enumerate() {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let name = format!("bundled-{i}");
        defs.font_data
            .insert(name.clone(), Arc::new(FontData::from_owned(bytes)));
        for family in [FontFamily::Proportional, FontFamily::Monospace] {
            defs.families.entry(family).or_default().push(name.clone());
        }
        loaded += 1;
    }
    ctx.set_fonts(defs);
    loaded
}
