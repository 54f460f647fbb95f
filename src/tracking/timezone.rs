//! Day and week boundaries in the organisation's timezone. Instants are UTC epoch seconds;
//! only the boundaries of days and weeks depend on the zone (and move with DST).

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

/// The zone named `name` (IANA, e.g. `Europe/Berlin`), if it exists.
pub fn parse(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

/// The UTC instant at which `date` begins in `tz`. When midnight falls into a DST gap, the
/// day begins at the first instant that exists.
pub fn day_start(tz: Tz, date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(first, _) => first.timestamp(),
        LocalResult::None => {
            // Walk forward through the gap (at most a few hours) to the first real minute.
            (1..=24 * 60)
                .find_map(|m| {
                    tz.from_local_datetime(&(midnight + Duration::minutes(m)))
                        .earliest()
                })
                .map(|t| t.timestamp())
                .unwrap_or_else(|| midnight.and_utc().timestamp())
        }
    }
}

/// The local date of an instant.
pub fn local_date(tz: Tz, at: i64) -> NaiveDate {
    to_local(tz, at).date_naive()
}

pub fn to_local(tz: Tz, at: i64) -> DateTime<Tz> {
    DateTime::<Utc>::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
}

/// The first day of the week containing `date`.
pub fn week_start_date(date: NaiveDate, week_start: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() - week_start.num_days_from_monday()) % 7;
    date - Duration::days(i64::from(back))
}

/// [start, end) of the local day containing `at`.
pub fn day_bounds(tz: Tz, at: i64) -> (i64, i64) {
    let d = local_date(tz, at);
    (day_start(tz, d), day_start(tz, d + Duration::days(1)))
}

/// [start, end) of the local week containing `at`.
pub fn week_bounds(tz: Tz, week_start: Weekday, at: i64) -> (i64, i64) {
    let first = week_start_date(local_date(tz, at), week_start);
    (
        day_start(tz, first),
        day_start(tz, first + Duration::days(7)),
    )
}

/// A local wall-clock time (`YYYY-MM-DDTHH:MM`, as an HTML datetime-local field sends it)
/// as a UTC instant; in a DST overlap the earlier instant wins.
pub fn parse_local_datetime(tz: Tz, value: &str) -> Option<i64> {
    let value = value.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M"))
        .ok()
        .filter(|n| YEARS.contains(&n.year()))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp())
}

/// A day as the pages show it: `Thu 2026-12-03`. Written directly rather than through a
/// strftime pattern, which is parsed anew on every call (this runs for every listed row).
pub fn day_label(date: NaiveDate) -> String {
    format!("{} {date}", date.weekday())
}

/// The local wall-clock time of an instant, `HH:MM`.
pub fn clock(local: &DateTime<Tz>) -> String {
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// The value for an HTML datetime-local field.
pub fn format_local_input(tz: Tz, at: i64) -> String {
    to_local(tz, at).format("%Y-%m-%dT%H:%M").to_string()
}

/// Dates people may type: far enough from chrono's limits that date arithmetic can't overflow.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;

pub fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| YEARS.contains(&d.year()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn day_label_and_clock_match_the_strftime_forms() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let at = to_local(tz, 1_796_285_400); // 2026-12-03 08:10 UTC
        assert_eq!(
            day_label(at.date_naive()),
            at.format("%a %Y-%m-%d").to_string()
        );
        assert_eq!(day_label(at.date_naive()), "Thu 2026-12-03");
        assert_eq!(clock(&at), "09:10");
        assert_eq!(clock(&to_local(tz, 1_796_252_400)), "00:00"); // local midnight, zero-padded
    }

    #[test]
    fn days_around_a_dst_change_are_23_and_25_hours_long() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let spring = day_start(tz, date("2026-03-30")) - day_start(tz, date("2026-03-29"));
        let autumn = day_start(tz, date("2026-10-26")) - day_start(tz, date("2026-10-25"));
        assert_eq!(spring, 23 * 3600);
        assert_eq!(autumn, 25 * 3600);
    }

    #[test]
    fn a_day_starting_in_a_dst_gap_begins_at_the_first_real_instant() {
        // Santiago skips 00:00-01:00 on its spring-forward day.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let start = day_start(tz, date("2026-09-06"));
        assert_eq!(clock(&to_local(tz, start)), "01:00");
    }

    #[test]
    fn weeks_start_on_the_configured_day() {
        let thursday = date("2026-12-03");
        assert_eq!(week_start_date(thursday, Weekday::Mon), date("2026-11-30"));
        assert_eq!(week_start_date(thursday, Weekday::Sun), date("2026-11-29"));
        assert_eq!(week_start_date(thursday, Weekday::Thu), thursday);
    }
}
