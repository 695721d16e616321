//! `calls report`: a shift report from the call log (or a merged centre log): how many calls,
//! when, where, taken by whom, and how many codes were misread or not found.
//!
//! Pure counting over the calls read from the log; the jurisdiction of a call's pole comes from
//! the caller (the reference data), because the log records the pole, not its jurisdiction.

use std::collections::BTreeMap;

use lamppost_core::code::{is_code_like, normalize_lenient};

use super::Call;

/// What the report counts, over one range of calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ShiftReport {
    /// Calls in the range.
    pub calls: u64,
    /// Calls per local hour of the day (`"00"` … `"23"`), every hour listed.
    pub per_hour: BTreeMap<String, u64>,
    /// Calls per jurisdiction of the confirmed pole (`""` when none or unknown).
    pub per_jurisdiction: BTreeMap<String, u64>,
    /// Calls per operator.
    pub per_operator: BTreeMap<String, u64>,
    /// Calls per workstation (a merged log holds several).
    pub per_workstation: BTreeMap<String, u64>,
    /// Calls whose typed code was not the code confirmed: a misread or mistyped sign, put
    /// right by the call-taker.
    pub misread: u64,
    /// Calls logged with no pole confirmed: the code was not found.
    pub not_found: u64,
}

impl ShiftReport {
    /// Counts `calls`; `jurisdiction` names the jurisdiction of a confirmed code.
    #[must_use]
    pub fn of(calls: &[Call], jurisdiction: impl Fn(&str) -> Option<String>) -> Self {
        let mut r = Self {
            per_hour: (0..24).map(|h| (format!("{h:02}"), 0)).collect(),
            ..Self::default()
        };
        for c in calls {
            r.calls += 1;
            if let Some(h) = c
                .at_local
                .get(11..13)
                .filter(|h| r.per_hour.contains_key(*h))
            {
                *r.per_hour.entry(h.to_owned()).or_default() += 1;
            }
            *r.per_operator.entry(c.call.operator.clone()).or_default() += 1;
            *r.per_workstation.entry(c.workstation.clone()).or_default() += 1;
            let code = &c.call.code;
            if code.is_empty() {
                r.not_found += 1;
                *r.per_jurisdiction.entry(String::new()).or_default() += 1;
                continue;
            }
            let place = jurisdiction(code).unwrap_or_default();
            *r.per_jurisdiction.entry(place).or_default() += 1;
            let typed = normalize_lenient(&c.call.query);
            if is_code_like(&typed) && typed != normalize_lenient(code) {
                r.misread += 1;
            }
        }
        r
    }

    /// The report as rows for a spreadsheet: `(section, key, calls)`, sections in both
    /// languages.
    #[must_use]
    pub fn rows(&self) -> Vec<(&'static str, String, u64)> {
        let mut rows = vec![
            ("合计 total", "接警 calls".to_owned(), self.calls),
            (
                "合计 total",
                "输错或读错编码 misread".to_owned(),
                self.misread,
            ),
            (
                "合计 total",
                "编码未找到 not found".to_owned(),
                self.not_found,
            ),
        ];
        let sections: [(&'static str, &BTreeMap<String, u64>); 4] = [
            ("每小时 per hour", &self.per_hour),
            ("辖区 per jurisdiction", &self.per_jurisdiction),
            ("接警员 per operator", &self.per_operator),
            ("工作站 per workstation", &self.per_workstation),
        ];
        for (section, counts) in sections {
            rows.extend(counts.iter().map(|(k, n)| (section, k.clone(), *n)));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calllog::{NewCall, PositionKind};

    fn call(at_local: &str, operator: &str, query: &str, code: &str, ws: &str) -> Call {
        Call {
            id: 1,
            at_utc: String::new(),
            at_local: at_local.into(),
            call: NewCall {
                operator: operator.into(),
                query: query.into(),
                code: code.into(),
                street: String::new(),
                pole_no: None,
                address: String::new(),
                readback: String::new(),
                lat_lon_deg: None,
                position: PositionKind::Unknown,
                radius_m: None,
                dataset: String::new(),
                data_version: 1,
                caller: None,
            },
            incident_type: String::new(),
            note: String::new(),
            workstation: ws.into(),
            uid: String::new(),
        }
    }

    #[test]
    fn a_night_shift_is_counted_by_hour_place_operator_and_mistake() {
        let calls = [
            call(
                "2026-12-05T02:10:00.000+08:00",
                "张三",
                "2450034",
                "2-45-0034",
                "a",
            ),
            call(
                "2026-12-05T02:40:00.000+08:00",
                "张三",
                "2-46-0034",
                "2-45-0034",
                "a",
            ),
            call(
                "2026-12-05T03:05:00.000+08:00",
                "李四",
                "1010002",
                "1-01-0002",
                "b",
            ),
            call("2026-12-05T03:06:00.000+08:00", "李四", "9999999", "", "b"),
            call(
                "2026-12-05T03:07:00.000+08:00",
                "李四",
                "重庆北路",
                "2-45-0001",
                "b",
            ),
        ];
        let r = ShiftReport::of(&calls, |code| {
            Some(
                if code.starts_with("2-45") {
                    "建成"
                } else {
                    "城中"
                }
                .to_owned(),
            )
        });
        assert_eq!(r.calls, 5);
        assert_eq!(
            (r.per_hour["02"], r.per_hour["03"], r.per_hour["04"]),
            (2, 3, 0)
        );
        assert_eq!(r.per_hour.len(), 24);
        assert_eq!((r.per_operator["张三"], r.per_operator["李四"]), (2, 3));
        assert_eq!((r.per_workstation["a"], r.per_workstation["b"]), (2, 3));
        assert_eq!(r.per_jurisdiction["建成"], 3);
        assert_eq!(r.per_jurisdiction["城中"], 1);
        assert_eq!(r.per_jurisdiction[""], 1, "not found: no jurisdiction");
        assert_eq!(r.misread, 1, "a street search is not a misread code");
        assert_eq!(r.not_found, 1);
        let rows = r.rows();
        assert_eq!(rows[0], ("合计 total", "接警 calls".to_owned(), 5));
        assert!(rows.contains(&("每小时 per hour", "02".to_owned(), 2)));
    }
}
