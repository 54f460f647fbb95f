//! Sign-in rules, one code path each: passwords, sessions, throttling, one-time links and the
//! request guards that hand handlers an authenticated user.

pub mod accounts;
pub mod api_token;
pub mod counters;
pub mod csrf;
pub mod guards;
pub mod login;
pub mod next;
pub mod oidc;
pub mod password;
pub mod session;
pub mod setup;
pub mod sso_reasons;
pub mod throttle;
pub mod tokens;
pub mod username;

use crate::db::DbError;

/// Errors of the auth services. Domain outcomes (wrong password, throttled) are values, not
/// errors; this is only for things that went wrong underneath.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        AuthError::Db(DbError::Sqlite(e))
    }
}
