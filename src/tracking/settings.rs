//! The organisation settings an administrator edits (web page or `timetracker settings`),
//! each validated in one place.

use std::collections::HashMap;

use chrono::Weekday;
use rusqlite::Connection;
use serde::Serialize;

use super::rounding::{self, Rounding};
use super::timezone::{self, Zone};
use crate::db::{settings, DbError};
use crate::kiosk::settings::KioskSettings;

pub const ORGANISATION_NAME: &str = "organisation_name";
pub const TIMEZONE: &str = "timezone";
pub const WEEK_START: &str = "week_start";
pub const ROUNDING_MINUTES: &str = "rounding_minutes";
pub const ROUNDING_MODE: &str = "rounding_mode";
pub const AUTO_STOP_HOURS: &str = "auto_stop_hours";

/// Every key `settings get|set` and the admin page know, with a one-line description.
pub const KEYS: &[(&str, &str)] = &[
    (ORGANISATION_NAME, "shown in the page header and on reports"),
    (
        TIMEZONE,
        "IANA zone deciding day and week boundaries, e.g. Europe/Berlin",
    ),
    (WEEK_START, "monday, tuesday, ..., sunday"),
    (
        ROUNDING_MINUTES,
        "0 (none), 1, 5, 6, 10, 15 or 30; reports and exports only",
    ),
    (ROUNDING_MODE, "nearest, up or down"),
    (
        AUTO_STOP_HOURS,
        "stop forgotten timers after this many hours (1-168, 0 = never)",
    ),
    (
        settings::ALLOW_SELF_REGISTER,
        "true or false: unknown usernames may create accounts",
    ),
];

/// Every setting, the kiosk's included.
pub fn all_keys() -> impl Iterator<Item = (&'static str, &'static str)> {
    KEYS.iter().chain(crate::kiosk::settings::KEYS).copied()
}

pub const DEFAULT_AUTO_STOP_HOURS: i64 = 12;

/// The settings the tracking rules read, with defaults filled in.
#[derive(Clone, Debug, Serialize)]
pub struct OrgSettings {
    pub organisation_name: String,
    #[serde(serialize_with = "serialize_tz")]
    pub tz: Zone,
    #[serde(serialize_with = "serialize_weekday")]
    pub week_start: Weekday,
    pub rounding: Rounding,
    pub auto_stop_hours: i64,
    pub allow_self_register: bool,
    pub kiosk: KioskSettings,
}

fn serialize_tz<S: serde::Serializer>(tz: &Zone, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

fn serialize_weekday<S: serde::Serializer>(w: &Weekday, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(weekday_name(*w))
}

pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

fn parse_weekday(v: &str) -> Option<Weekday> {
    let v = v.trim().to_ascii_lowercase();
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .into_iter()
    .find(|w| weekday_name(*w) == v || weekday_name(*w)[..3] == v)
}

impl OrgSettings {
    /// Reads every setting in one query. `default_tz` is the `TZ` of the process config.
    pub fn load(conn: &Connection, default_tz: Option<&str>) -> Result<OrgSettings, DbError> {
        let mut stmt = conn.prepare_cached("SELECT key, value FROM settings")?;
        let map: HashMap<String, String> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let get = |k: &str| map.get(k).map(String::as_str);
        let tz = get(TIMEZONE)
            .and_then(timezone::parse)
            .or_else(|| default_tz.and_then(timezone::parse))
            .unwrap_or_else(Zone::utc);
        Ok(OrgSettings {
            organisation_name: get(ORGANISATION_NAME).unwrap_or("").to_string(),
            tz,
            week_start: get(WEEK_START)
                .and_then(parse_weekday)
                .unwrap_or(Weekday::Mon),
            rounding: Rounding {
                minutes: get(ROUNDING_MINUTES)
                    .and_then(|v| v.parse().ok())
                    .filter(|m| rounding::STEPS.contains(m))
                    .unwrap_or(0),
                mode: get(ROUNDING_MODE)
                    .and_then(rounding::Mode::parse)
                    .unwrap_or(rounding::Mode::Nearest),
            },
            auto_stop_hours: get(AUTO_STOP_HOURS)
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_AUTO_STOP_HOURS),
            allow_self_register: get(settings::ALLOW_SELF_REGISTER)
                .and_then(crate::config::parse_bool)
                .unwrap_or(true),
            kiosk: KioskSettings::from_lookup(get),
        })
    }

    /// The auto-stop limit in seconds, or None when it is off.
    pub fn auto_stop_secs(&self) -> Option<i64> {
        (self.auto_stop_hours > 0).then_some(self.auto_stop_hours * 3600)
    }
}

/// The canonical stored form of `value` for `key`, or a sentence saying what is allowed.
pub fn validate(key: &str, value: &str) -> Result<String, String> {
    let v = value.trim();
    match key {
        ORGANISATION_NAME => {
            if v.chars().count() > 100 {
                Err("The organisation name is limited to 100 characters.".into())
            } else {
                Ok(v.to_string())
            }
        }
        TIMEZONE => timezone::parse(v)
            .map(|tz| tz.name().to_string())
            .ok_or_else(|| {
                format!(
                    "{v:?} is not a known timezone; use an IANA name such as Europe/Berlin or UTC."
                )
            }),
        WEEK_START => parse_weekday(v)
            .map(|w| weekday_name(w).to_string())
            .ok_or_else(|| format!("{v:?} is not a weekday; use monday ... sunday.")),
        ROUNDING_MINUTES => v
            .parse::<i64>()
            .ok()
            .filter(|m| rounding::STEPS.contains(m))
            .map(|m| m.to_string())
            .ok_or_else(|| {
                format!("{v:?}: rounding minutes must be one of 0, 1, 5, 6, 10, 15, 30.")
            }),
        ROUNDING_MODE => rounding::Mode::parse(v)
            .map(|m| m.as_str().to_string())
            .ok_or_else(|| format!("{v:?}: rounding mode must be nearest, up or down.")),
        AUTO_STOP_HOURS => v
            .parse::<i64>()
            .ok()
            .filter(|h| (0..=168).contains(h))
            .map(|h| h.to_string())
            .ok_or_else(|| {
                format!("{v:?}: auto-stop hours must be a whole number from 0 (never) to 168.")
            }),
        settings::ALLOW_SELF_REGISTER => crate::config::parse_bool(v)
            .map(|b| b.to_string())
            .ok_or_else(|| format!("{v:?}: use true or false.")),
        other => crate::kiosk::settings::validate(other, v).unwrap_or_else(|| {
            Err(format!(
                "unknown setting {other:?}; known settings: {}",
                all_keys().map(|(k, _)| k).collect::<Vec<_>>().join(", ")
            ))
        }),
    }
}

/// The effective value of `key` as text (defaults included).
pub fn effective(s: &OrgSettings, key: &str) -> Option<String> {
    Some(match key {
        ORGANISATION_NAME => s.organisation_name.clone(),
        TIMEZONE => s.tz.name().to_string(),
        WEEK_START => weekday_name(s.week_start).to_string(),
        ROUNDING_MINUTES => s.rounding.minutes.to_string(),
        ROUNDING_MODE => s.rounding.mode.as_str().to_string(),
        AUTO_STOP_HOURS => s.auto_stop_hours.to_string(),
        settings::ALLOW_SELF_REGISTER => s.allow_self_register.to_string(),
        other => return crate::kiosk::settings::effective(&s.kiosk, other),
    })
}

/// Validates and stores one setting; returns the stored value.
pub fn set(
    conn: &Connection,
    key: &str,
    value: &str,
    now: i64,
) -> Result<Result<String, String>, DbError> {
    match validate(key, value) {
        Ok(v) => {
            settings::set(conn, key, &v, now)?;
            Ok(Ok(v))
        }
        Err(e) => Ok(Err(e)),
    }
}
