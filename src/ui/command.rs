//! What the user asked for, as data. Panels draw and return commands; [`super::App`] applies
//! them once, at the end of the frame (as egui's `wrap_app.rs` and rerun's `SystemCommand`).
//! A panel changes only its own state (the text in its boxes, the highlighted row); anything
//! that reaches another part of the window, the workers or the clipboard is a command.

use std::path::PathBuf;

use lamppost_core::geo::LatLon;

/// One thing the user asked the window to do.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Enter or a click on result `k` of the list: an exact code match is confirmed, centred
    /// and its call logged; another pole is first chosen (centred, the card saying the code
    /// typed does not exist) and confirmed by a second Enter; a street fills the code box and
    /// the map shows it.
    Confirm(usize),
    /// Centre the map on the call-taker's highlighted result (↑/↓ preview it before Enter).
    PreviewHighlighted,
    /// Select the pole nearest to this point (a click on the map, WGS-84).
    SelectNearest(LatLon),
    /// Show the pole with this code (a call in the log): select it and centre the map on it.
    ShowCode(String),
    /// Centre the map on a point (WGS-84) at a zoom level (the caller location).
    CentreOn(LatLon, f64),
    /// Zoom the map in one step.
    ZoomIn,
    /// Zoom the map out one step.
    ZoomOut,
    /// Centre the map on the selected pole at street zoom.
    ZoomToSelection,
    /// Put text on the clipboard and say `said` in the status bar.
    Copy {
        /// What to copy.
        text: String,
        /// What the status bar says after it.
        said: &'static str,
    },
    /// Switch between Chinese and English.
    ToggleLanguage,
    /// Dark theme on or off.
    SetDark(bool),
    /// Draw every pole as a dot, or not.
    ShowPoles(bool),
    /// Show the call log panel, or not.
    ShowCalls(bool),
    /// Open or close the settings window.
    ToggleSettings,
    /// Watch the package folder now in the settings.
    ApplyPackageFolder,
    /// Install the offered data package from this file.
    InstallPackage(PathBuf),
    /// Forget the offered package.
    DismissOffer,
    /// Hide the data warning.
    DismissWarning,
    /// Open supervisor mode.
    OpenSupervisor,
    /// Close supervisor mode.
    CloseSupervisor,
    /// Ask for the operator's name again (another operator takes over).
    ChangeOperator,
    /// The database error screen: open the file dialog for another database or a package.
    ChooseFile(super::Pick),
}
