//! Day and week boundaries in the organisation's timezone. Instants are UTC epoch seconds;
//! only the boundaries of days and weeks depend on the zone (and move with DST).

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, Timelike, Utc,
    Weekday,
};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// An IANA timezone. The rules come from jiff's database: the system's zoneinfo when it has
/// one (so OS updates bring new rules), else a compact copy bundled into the binary. (chrono-tz
/// compiles every zone into pointer-rich tables: 1.5 MB of binary and a megabyte of
/// relocations written at every start.)
#[derive(Clone, Debug)]
pub struct Zone(TimeZone);

impl Zone {
    pub fn utc() -> Zone {
        Zone(TimeZone::UTC)
    }

    /// The zone's IANA name, as the database spells it.
    pub fn name(&self) -> &str {
        // `parse` admits only zones that have one, and UTC has one.
        self.0.iana_name().unwrap_or("UTC")
    }

    /// Seconds east of UTC at the instant `at`.
    fn offset_at(&self, at: i64) -> i64 {
        jiff::Timestamp::from_second(at)
            .map(|ts| i64::from(self.0.to_offset(ts).seconds()))
            .unwrap_or(0)
    }

    /// The earliest instant at which the wall clock here reads `local`; None when `local`
    /// falls into a gap (the hour skipped when DST begins).
    fn earliest(&self, local: &NaiveDateTime) -> Option<i64> {
        let civil = jiff::civil::DateTime::new(
            i16::try_from(local.year()).ok()?,
            i8::try_from(local.month()).ok()?,
            i8::try_from(local.day()).ok()?,
            i8::try_from(local.hour()).ok()?,
            i8::try_from(local.minute()).ok()?,
            i8::try_from(local.second()).ok()?,
            0,
        )
        .ok()?;
        let wall = local.and_utc().timestamp();
        let east = match self.0.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.seconds(),
            // In a fold the larger offset gives the earlier instant.
            AmbiguousOffset::Fold { before, after } => before.seconds().max(after.seconds()),
            AmbiguousOffset::Gap { .. } => return None,
        };
        Some(wall - i64::from(east))
    }
}

/// The zone named `name` (IANA, e.g. `Europe/Berlin`), if it exists.
pub fn parse(name: &str) -> Option<Zone> {
    let tz = TimeZone::get(name.trim()).ok()?;
    tz.iana_name()?;
    Some(Zone(tz))
}

/// The UTC instant at which `date` begins in `tz`. When midnight falls into a DST gap, the
/// day begins at the first instant that exists.
pub fn day_start(tz: &Zone, date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.earliest(&midnight).unwrap_or_else(|| {
        // Walk forward through the gap (at most a few hours) to the first real minute.
        (1..=24 * 60)
            .find_map(|m| tz.earliest(&(midnight + Duration::minutes(m))))
            .unwrap_or_else(|| midnight.and_utc().timestamp())
    })
}

/// The local date of an instant.
pub fn local_date(tz: &Zone, at: i64) -> NaiveDate {
    to_local(tz, at).date_naive()
}

/// An instant as the wall clock in `tz` shows it, with the offset in force then.
pub fn to_local(tz: &Zone, at: i64) -> DateTime<FixedOffset> {
    let utc = DateTime::<Utc>::from_timestamp(at, 0).unwrap_or_default();
    // jiff's offsets stay within ±26 h, chrono's within ±24 h: a mismatch is not a real zone.
    let offset = i32::try_from(tz.offset_at(at))
        .ok()
        .and_then(FixedOffset::east_opt)
        .unwrap_or(Utc.fix());
    utc.with_timezone(&offset)
}

/// The first day of the week containing `date`.
pub fn week_start_date(date: NaiveDate, week_start: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() - week_start.num_days_from_monday()) % 7;
    date - Duration::days(i64::from(back))
}

/// [start, end) of the local day containing `at`.
pub fn day_bounds(tz: &Zone, at: i64) -> (i64, i64) {
    let d = local_date(tz, at);
    (day_start(tz, d), day_start(tz, d + Duration::days(1)))
}

/// [start, end) of the local week containing `at`.
pub fn week_bounds(tz: &Zone, week_start: Weekday, at: i64) -> (i64, i64) {
    let first = week_start_date(local_date(tz, at), week_start);
    (
        day_start(tz, first),
        day_start(tz, first + Duration::days(7)),
    )
}

/// A local wall-clock time (`YYYY-MM-DDTHH:MM`, as an HTML datetime-local field sends it)
/// as a UTC instant; in a DST overlap the earlier instant wins.
pub fn parse_local_datetime(tz: &Zone, value: &str) -> Option<i64> {
    let value = value.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M"))
        .ok()
        .filter(|n| YEARS.contains(&n.year()))?;
    tz.earliest(&naive)
}

/// A day as the pages show it: `Thu 2026-12-03`. Written directly rather than through a
/// strftime pattern, which is parsed anew on every call (this runs for every listed row).
pub fn day_label(date: NaiveDate) -> String {
    format!("{} {date}", date.weekday())
}

/// The local wall-clock time of an instant, `HH:MM`.
pub fn clock(local: &DateTime<FixedOffset>) -> String {
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// The value for an HTML datetime-local field.
pub fn format_local_input(tz: &Zone, at: i64) -> String {
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
        let tz = parse("Europe/Berlin").unwrap();
        let at = to_local(&tz, 1_796_285_400); // 2026-12-03 08:10 UTC
        assert_eq!(
            day_label(at.date_naive()),
            at.format("%a %Y-%m-%d").to_string()
        );
        assert_eq!(day_label(at.date_naive()), "Thu 2026-12-03");
        assert_eq!(clock(&at), "09:10");
        assert_eq!(clock(&to_local(&tz, 1_796_252_400)), "00:00"); // local midnight, zero-padded
    }

    #[test]
    fn days_around_a_dst_change_are_23_and_25_hours_long() {
        let tz = parse("Europe/Berlin").unwrap();
        let spring = day_start(&tz, date("2026-03-30")) - day_start(&tz, date("2026-03-29"));
        let autumn = day_start(&tz, date("2026-10-26")) - day_start(&tz, date("2026-10-25"));
        assert_eq!(spring, 23 * 3600);
        assert_eq!(autumn, 25 * 3600);
    }

    #[test]
    fn a_day_starting_in_a_dst_gap_begins_at_the_first_real_instant() {
        // Santiago skips 00:00-01:00 on its spring-forward day.
        let tz = parse("America/Santiago").unwrap();
        let start = day_start(&tz, date("2026-09-06"));
        assert_eq!(clock(&to_local(&tz, start)), "01:00");
    }

    #[test]
    fn zone_names_are_checked_and_spelled_as_the_database_does() {
        assert_eq!(parse(" europe/berlin ").unwrap().name(), "Europe/Berlin");
        assert_eq!(parse("UTC").unwrap().name(), "UTC");
        for bad in [
            "",
            "Mars/Olympus",
            "../etc/passwd",
            "CET-1CEST,M3.5.0,M10.5.0/3",
        ] {
            assert!(parse(bad).is_none(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_wall_clock_time_in_the_autumn_fold_means_its_first_occurrence() {
        let tz = parse("Europe/Berlin").unwrap();
        // 02:30 happens twice on 2026-10-25: at 00:30 UTC (CEST) and 01:30 UTC (CET).
        let at = parse_local_datetime(&tz, "2026-10-25T02:30").unwrap();
        assert_eq!(at, 1_792_888_200);
        assert_eq!(to_local(&tz, at).to_rfc3339(), "2026-10-25T02:30:00+02:00");
        assert_eq!(
            to_local(&tz, at + 3600).to_rfc3339(),
            "2026-10-25T02:30:00+01:00"
        );
        // 02:30 on 2026-03-29 does not exist in Berlin.
        assert_eq!(parse_local_datetime(&tz, "2026-03-29T02:30"), None);
    }

    #[test]
    fn weeks_start_on_the_configured_day() {
        let thursday = date("2026-12-03");
        assert_eq!(week_start_date(thursday, Weekday::Mon), date("2026-11-30"));
        assert_eq!(week_start_date(thursday, Weekday::Sun), date("2026-11-29"));
        assert_eq!(week_start_date(thursday, Weekday::Thu), thursday);
    }
}
