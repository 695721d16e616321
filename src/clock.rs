//! Times shown to people, in one zone everywhere (the window and the command line): the
//! workstation's local time, with its offset from UTC written beside it. Stored times stay as
//! they are (RFC 3339; the call log keeps UTC and local, the versions UTC); JSON output keeps
//! the stored text.

use chrono::{DateTime, Local};

/// The workstation's zone as people read it, e.g. `UTC+08:00`.
#[must_use]
pub fn zone() -> String {
    Local::now().format("UTC%:z").to_string()
}

/// A stored RFC 3339 time (any offset) as local time with the zone:
/// `2026-12-05 20:32:07 UTC+08:00`. Text that is not such a time is returned as it is.
#[must_use]
pub fn local_text(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| rfc3339.to_owned(),
        |t| {
            t.with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S UTC%:z")
                .to_string()
        },
    )
}

/// A stored RFC 3339 time as the local time of day, `HH:MM:SS` (beside a heading that says
/// the zone); text that is not such a time is returned as it is.
#[must_use]
pub fn local_time_of_day(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339).map_or_else(
        |_| rfc3339.to_owned(),
        |t| t.with_timezone(&Local).format("%H:%M:%S").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_and_local_stamps_of_one_moment_read_the_same() {
        let utc = "2026-12-05T04:32:07.123Z";
        let shanghai = "2026-12-05T12:32:07.123+08:00";
        assert_eq!(local_text(utc), local_text(shanghai));
        assert_eq!(local_time_of_day(utc), local_time_of_day(shanghai));
        let expect = DateTime::parse_from_rfc3339(utc)
            .unwrap()
            .with_timezone(&Local);
        assert_eq!(
            local_text(utc),
            format!("{} {}", expect.format("%Y-%m-%d %H:%M:%S"), zone())
        );
    }

    #[test]
    fn text_that_is_not_a_time_is_kept() {
        assert_eq!(local_text("yesterday"), "yesterday");
        assert_eq!(local_time_of_day(""), "");
    }
}
