//! The kiosk's admin settings (`kiosk.*`), read from the settings table with defaults.

use rusqlite::Connection;

use crate::auth::session::Policy;
use crate::db::DbError;

pub const ENABLED: &str = "kiosk.enabled";
pub const IDLE_SECONDS: &str = "kiosk.idle_seconds";
pub const AUTH: &str = "kiosk.auth";
pub const SHOW_USER_LIST: &str = "kiosk.show_user_list";

pub const KEYS: &[(&str, &str)] = &[
    (
        ENABLED,
        "true or false: the /kiosk terminal screens are available",
    ),
    (
        IDLE_SECONDS,
        "end a kiosk session after this many idle seconds (10-3600, default 60)",
    ),
    (
        AUTH,
        "auto (by AUTH_METHOD), pin, badge or password: how people identify at the kiosk",
    ),
    (
        SHOW_USER_LIST,
        "true or false: the kiosk lists usernames to tap (off by default)",
    ),
];

pub const DEFAULT_IDLE_SECONDS: i64 = 60;
/// A kiosk session never outlives this, however busy the person is.
const MAX_KIOSK_SESSION_SECS: i64 = 3600;

/// How people may identify at the kiosk (`kiosk.auth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KioskAuth {
    Auto,
    Pin,
    Badge,
    Password,
}

impl KioskAuth {
    fn parse(v: &str) -> Option<KioskAuth> {
        Some(match v.trim().to_ascii_lowercase().as_str() {
            "auto" => KioskAuth::Auto,
            "pin" => KioskAuth::Pin,
            "badge" => KioskAuth::Badge,
            "password" => KioskAuth::Password,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KioskAuth::Auto => "auto",
            KioskAuth::Pin => "pin",
            KioskAuth::Badge => "badge",
            KioskAuth::Password => "password",
        }
    }
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct KioskSettings {
    pub enabled: bool,
    pub idle_seconds: i64,
    pub auth: KioskAuth,
    pub show_user_list: bool,
}

impl KioskSettings {
    pub fn load(conn: &Connection) -> Result<KioskSettings, DbError> {
        let mut stmt =
            conn.prepare_cached("SELECT key, value FROM settings WHERE key LIKE 'kiosk.%'")?;
        let rows: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(KioskSettings::from_lookup(|k| {
            rows.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        }))
    }

    /// The settings from stored values (`lookup` gives the stored text of a key).
    pub fn from_lookup<'a>(lookup: impl Fn(&str) -> Option<&'a str>) -> KioskSettings {
        let flag = |k| {
            lookup(k)
                .and_then(crate::config::parse_bool)
                .unwrap_or(false)
        };
        KioskSettings {
            enabled: flag(ENABLED),
            idle_seconds: lookup(IDLE_SECONDS)
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_IDLE_SECONDS),
            auth: lookup(AUTH)
                .and_then(KioskAuth::parse)
                .unwrap_or(KioskAuth::Auto),
            show_user_list: flag(SHOW_USER_LIST),
        }
    }

    /// Kiosk sessions: short idle limit, activity recorded on every request.
    pub fn session_policy(&self) -> Policy {
        Policy {
            idle_secs: self.idle_seconds,
            lifetime_secs: MAX_KIOSK_SESSION_SECS,
            touch_every_secs: 0,
        }
    }
}

/// The canonical stored form of a `kiosk.*` value, or what is allowed.
pub fn validate(key: &str, value: &str) -> Option<Result<String, String>> {
    let v = value.trim();
    Some(match key {
        ENABLED | SHOW_USER_LIST => crate::config::parse_bool(v)
            .map(|b| b.to_string())
            .ok_or_else(|| format!("{v:?}: use true or false.")),
        IDLE_SECONDS => v
            .parse::<i64>()
            .ok()
            .filter(|s| (10..=3600).contains(s))
            .map(|s| s.to_string())
            .ok_or_else(|| {
                format!("{v:?}: kiosk idle seconds must be a whole number from 10 to 3600.")
            }),
        AUTH => KioskAuth::parse(v)
            .map(|a| a.as_str().to_string())
            .ok_or_else(|| format!("{v:?}: kiosk.auth must be auto, pin, badge or password.")),
        _ => return None,
    })
}

/// The effective value of a `kiosk.*` key as text (defaults included).
pub fn effective(s: &KioskSettings, key: &str) -> Option<String> {
    Some(match key {
        ENABLED => s.enabled.to_string(),
        IDLE_SECONDS => s.idle_seconds.to_string(),
        AUTH => s.auth.as_str().to_string(),
        SHOW_USER_LIST => s.show_user_list.to_string(),
        _ => return None,
    })
}
