//! Time tracking rules, one code path per action: web pages, the API, the CLI and the kiosk
//! all call these functions with their own `Source`.

pub mod entries;
pub mod export;
pub mod projects;
pub mod reports;
pub mod rounding;
pub mod settings;
pub mod timer;
pub mod timezone;

use crate::db::DbError;

/// Where a change came from; stored on new entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Web,
    Api,
    Cli,
    Kiosk,
    Manual,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Cli => "cli",
            Source::Kiosk => "kiosk",
            Source::Manual => "manual",
        }
    }
}

/// Who acts: a user (possibly an admin acting for someone else), or the operator's CLI.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub is_admin: bool,
    pub client_ip: Option<String>,
}

impl Actor {
    pub fn user(id: i64, is_admin: bool) -> Actor {
        Actor {
            user_id: Some(id),
            is_admin,
            client_ip: None,
        }
    }

    /// The command line runs with the operator's full rights.
    pub fn operator() -> Actor {
        Actor {
            user_id: None,
            is_admin: true,
            client_ip: None,
        }
    }

    /// Whether this actor may act on `user_id`'s time.
    pub fn may_act_for(&self, user_id: i64) -> bool {
        self.is_admin || self.user_id == Some(user_id)
    }
}

/// The outcomes of tracking rules that a caller shows to a person (and an internal failure).
#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    #[error("A timer is already running. Stop it or switch to the new project.")]
    TimerAlreadyRunning,
    #[error("No timer is running.")]
    NoTimerRunning,
    #[error("The project {0:?} is archived and takes no new time.")]
    ProjectArchived(String),
    #[error("{0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<rusqlite::Error> for TrackingError {
    fn from(e: rusqlite::Error) -> Self {
        TrackingError::Db(DbError::Sqlite(e))
    }
}

pub type TrackingResult<T> = Result<T, TrackingError>;

/// Normalises a tag list: split on commas, trimmed, lowercased, no duplicates or blanks.
pub fn normalize_tags(raw: &str) -> String {
    let mut tags: Vec<String> = Vec::new();
    for t in raw.split(',') {
        let t = t.trim().to_lowercase();
        if !t.is_empty() && !tags.contains(&t) {
            tags.push(t.chars().take(50).collect());
        }
    }
    tags.join(",")
}

/// Notes are free text up to 10,000 characters.
pub fn check_notes(notes: &str) -> TrackingResult<String> {
    let notes = notes.trim();
    if notes.chars().count() > 10_000 {
        return Err(TrackingError::Invalid(
            "Notes are limited to 10,000 characters.".into(),
        ));
    }
    Ok(notes.to_string())
}

/// "1:05" for 3900 seconds: hours and minutes, as the pages show durations.
pub fn hm(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// Decimal hours with two places, as exports and reports show them.
pub fn hours(seconds: i64) -> String {
    format!("{:.2}", seconds as f64 / 3600.0)
}
