//! Date ranges, filters and grouped totals for the entries list, reports and exports, plus
//! the server-side SVG bar chart.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

use super::rounding::Rounding;
use super::settings::OrgSettings;
use super::timezone::{self, day_label, day_start, local_date, week_start_date};
use crate::db::entries::EntryRow;

/// The date range presets of the filter bar.
pub const PRESETS: &[(&str, &str)] = &[
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("this_week", "This week"),
    ("last_week", "Last week"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_year", "This year"),
    ("all", "All time"),
    ("custom", "Custom"),
];

/// A resolved range: local dates (inclusive) and the UTC bounds [from, to).
#[derive(Clone, Debug, Serialize)]
pub struct Range {
    pub preset: String,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    let first = month_start(d);
    (first + Duration::days(32)).with_day(1).unwrap_or(first)
}

/// Resolves a preset, or `from`/`to` dates (YYYY-MM-DD, inclusive) for `custom`. Dates that
/// don't parse are an error the caller shows.
pub fn resolve_range(
    s: &OrgSettings,
    preset: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    default_preset: &str,
    now: i64,
) -> Result<Range, String> {
    let from = from.map(str::trim).filter(|v| !v.is_empty());
    let to = to.map(str::trim).filter(|v| !v.is_empty());
    let preset = match preset.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => p,
        None if from.is_some() || to.is_some() => "custom",
        None => default_preset,
    };
    // The filter form sends the preset's own dates back; dates someone changed by hand win
    // over the preset (the form works without script, so nothing flips the select for them).
    if preset != "custom" && (from.is_some() || to.is_some()) {
        let named = resolve_range(s, Some(preset), None, None, default_preset, now)?;
        let same = |typed: Option<&str>, d: Option<NaiveDate>| {
            typed.is_none_or(|t| timezone::parse_date(t) == d)
        };
        if !same(from, named.from_date) || !same(to, named.to_date) {
            return resolve_range(s, Some("custom"), from, to, default_preset, now);
        }
        return Ok(named);
    }
    let today = local_date(&s.tz, now);
    let (a, b): (Option<NaiveDate>, Option<NaiveDate>) = match preset {
        "today" => (Some(today), Some(today)),
        "yesterday" => {
            let y = today - Duration::days(1);
            (Some(y), Some(y))
        }
        "this_week" => {
            let w = week_start_date(today, s.week_start);
            (Some(w), Some(w + Duration::days(6)))
        }
        "last_week" => {
            let w = week_start_date(today, s.week_start) - Duration::days(7);
            (Some(w), Some(w + Duration::days(6)))
        }
        "this_month" => (
            Some(month_start(today)),
            Some(next_month(today) - Duration::days(1)),
        ),
        "last_month" => {
            let last = month_start(today) - Duration::days(1);
            (Some(month_start(last)), Some(last))
        }
        "this_year" => (
            NaiveDate::from_ymd_opt(today.year(), 1, 1),
            NaiveDate::from_ymd_opt(today.year(), 12, 31),
        ),
        "all" => (None, None),
        "custom" => {
            let parse = |v: Option<&str>, what: &str| -> Result<Option<NaiveDate>, String> {
                v.map(|v| {
                    timezone::parse_date(v)
                        .ok_or_else(|| format!("The {what} date {v:?} is not a date (YYYY-MM-DD)."))
                })
                .transpose()
            };
            (parse(from, "from")?, parse(to, "to")?)
        }
        other => return Err(format!("Unknown date range {other:?}.")),
    };
    if let (Some(a), Some(b)) = (a, b) {
        if b < a {
            return Err("The range ends before it starts.".into());
        }
    }
    Ok(Range {
        preset: preset.to_string(),
        from_date: a,
        to_date: b,
        from: a.map(|d| day_start(&s.tz, d)),
        to: b.map(|d| day_start(&s.tz, d + Duration::days(1))),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Week,
    Project,
    Client,
    User,
}

impl GroupBy {
    pub const ALL: &'static [(&'static str, &'static str)] = &[
        ("day", "Day"),
        ("week", "Week"),
        ("project", "Project"),
        ("client", "Client"),
        ("user", "User"),
    ];

    pub fn parse(v: &str) -> Option<GroupBy> {
        Some(match v {
            "day" => GroupBy::Day,
            "week" => GroupBy::Week,
            "project" => GroupBy::Project,
            "client" => GroupBy::Client,
            "user" => GroupBy::User,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub label: String,
    pub entries: usize,
    pub seconds: i64,
    pub rounded_seconds: i64,
    pub billable_seconds: i64,
    pub hours: String,
    pub rounded_hours: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub groups: Vec<Group>,
    pub total_seconds: i64,
    pub total_rounded_seconds: i64,
    pub total_hours: String,
    pub total_rounded_hours: String,
    pub entries: usize,
}

/// Sums entries per group. Rounding applies to each entry, then sums (so a report's rounded
/// total equals the sum of the rounded lines of the export).
pub fn group(rows: &[EntryRow], by: GroupBy, s: &OrgSettings, rounding: Rounding) -> Report {
    let mut groups: Vec<(String, Group)> = Vec::new();
    for e in rows {
        let (key, label) = match by {
            GroupBy::Day => {
                let d = local_date(&s.tz, e.start_at);
                (d.to_string(), day_label(d))
            }
            GroupBy::Week => {
                let w = week_start_date(local_date(&s.tz, e.start_at), s.week_start);
                (w.to_string(), format!("Week of {}", w.format("%Y-%m-%d")))
            }
            GroupBy::Project => (e.project.to_lowercase(), e.project.clone()),
            GroupBy::Client => {
                let c = e.client.clone().unwrap_or_else(|| "(no client)".into());
                (c.to_lowercase(), c)
            }
            GroupBy::User => (e.username.clone(), e.username.clone()),
        };
        let idx = match groups.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                groups.push((
                    key,
                    Group {
                        label,
                        entries: 0,
                        seconds: 0,
                        rounded_seconds: 0,
                        billable_seconds: 0,
                        hours: String::new(),
                        rounded_hours: String::new(),
                    },
                ));
                groups.len() - 1
            }
        };
        let g = &mut groups[idx].1;
        g.entries += 1;
        g.seconds += e.duration_seconds;
        g.rounded_seconds += rounding.apply(e.duration_seconds);
        if e.billable {
            g.billable_seconds += e.duration_seconds;
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
    for g in &mut out {
        g.hours = super::hours(g.seconds);
        g.rounded_hours = super::hours(g.rounded_seconds);
    }
    let total_seconds = out.iter().map(|g| g.seconds).sum();
    let total_rounded_seconds = out.iter().map(|g| g.rounded_seconds).sum();
    Report {
        entries: rows.len(),
        total_hours: super::hours(total_seconds),
        total_rounded_hours: super::hours(total_rounded_seconds),
        total_seconds,
        total_rounded_seconds,
        groups: out,
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A horizontal bar chart of the groups' hours, as an SVG document (no script, no style
/// attributes beyond presentation ones, so it passes the CSP inline in the page).
pub fn svg_chart(report: &Report) -> String {
    const ROW: usize = 28;
    const LABEL_W: usize = 200;
    const BAR_W: usize = 520;
    let height = (report.groups.len().max(1)) * ROW + 10;
    let max = report
        .groups
        .iter()
        .map(|g| g.seconds)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="Hours per group" viewBox="0 0 {w} {height}" width="100%" preserveAspectRatio="xMinYMin meet">"#,
        w = LABEL_W + BAR_W + 80
    );
    if report.groups.is_empty() {
        svg.push_str(r#"<text x="0" y="20" class="chart-label">No time in this range.</text>"#);
    }
    for (i, g) in report.groups.iter().enumerate() {
        let y = i * ROW + 5;
        let w = ((g.seconds as f64 / max as f64) * BAR_W as f64).round() as usize;
        let label: String = g.label.chars().take(28).collect();
        svg.push_str(&format!(
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="chart-label">{label}</text><rect x="{LABEL_W}" y="{y}" width="{w}" height="{bh}" rx="3" class="chart-bar"><title>{title}: {h} h</title></rect><text x="{vx}" y="{ty}" class="chart-value">{h}</text>"#,
            lx = LABEL_W - 8,
            ty = y + 16,
            bh = ROW - 8,
            vx = LABEL_W + w + 6,
            label = xml_escape(&label),
            title = xml_escape(&g.label),
            h = g.hours,
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::rounding::Rounding;
    use chrono::Weekday;

    fn settings() -> OrgSettings {
        OrgSettings {
            organisation_name: String::new(),
            tz: timezone::Zone::utc(),
            week_start: Weekday::Mon,
            rounding: Rounding::NONE,
            auto_stop_hours: 12,
            allow_self_register: true,
            kiosk: crate::kiosk::settings::KioskSettings::from_lookup(|_| None),
        }
    }

    #[test]
    fn dates_changed_by_hand_override_the_preset() {
        let s = settings();
        let now = 1_796_300_000; // 2026-12-03
        let month = resolve_range(
            &s,
            Some("this_month"),
            Some("2026-12-01"),
            Some("2026-12-31"),
            "this_week",
            now,
        )
        .unwrap();
        assert_eq!(month.preset, "this_month");
        let typed = resolve_range(
            &s,
            Some("this_month"),
            Some("2026-11-15"),
            Some("2026-12-31"),
            "this_week",
            now,
        )
        .unwrap();
        assert_eq!(typed.preset, "custom");
        assert_eq!(typed.from_date, timezone::parse_date("2026-11-15"));
        let week = resolve_range(&s, None, None, None, "this_week", now).unwrap();
        assert_eq!(week.from_date, timezone::parse_date("2026-11-30"));
        assert!(resolve_range(
            &s,
            Some("custom"),
            Some("2026-12-05"),
            Some("2026-12-01"),
            "this_week",
            now
        )
        .is_err());
    }
}
