//! Server-side sessions. The cookie carries a random 256-bit id; the row (keyed by its
//! SHA-256) carries everything else, so logout and revocation really end a session.

use rusqlite::Connection;

use super::tokens::{hash_token, random_token};
use crate::db::sessions::{self, NewSession, SessionRow};
use crate::db::users::User;
use crate::db::DbError;

pub const COOKIE: &str = "tt_session";
pub const KIND_USER: &str = "user";
pub const KIND_KIOSK: &str = "kiosk";
/// The kiosk's own cookie, scoped to /kiosk: a normal session in the same browser is untouched.
pub const KIOSK_COOKIE: &str = "tt_kiosk";

/// Idle and absolute limits, from `SESSION_IDLE_MINUTES` and `PERMANENT_SESSION_LIFETIME`.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub idle_secs: i64,
    pub lifetime_secs: i64,
    /// `last_seen_at` is written at most this often; short idle limits need every request.
    pub touch_every_secs: i64,
}

/// A live session and its (active) user.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub session: SessionRow,
    pub user: User,
}

/// What a new session hands back: the cookie value (shown once) and its CSRF token.
pub struct Issued {
    pub cookie_value: String,
    pub csrf_token: String,
}

/// For browser sessions, writing `last_seen_at` at most once a minute keeps reads from
/// turning into writes.
pub const TOUCH_EVERY_SECS: i64 = 60;

pub struct ClientInfo<'a> {
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// The raw ID token of an SSO sign-in, kept server-side for logout.
    pub id_token_hint: Option<&'a str>,
}

pub fn start(
    conn: &Connection,
    user_id: i64,
    kind: &str,
    policy: Policy,
    client: &ClientInfo<'_>,
    now: i64,
) -> Result<Issued, DbError> {
    let cookie_value = random_token(32);
    let csrf_token = random_token(32);
    sessions::insert(
        conn,
        &NewSession {
            id_hash: &hash_token(&cookie_value),
            user_id,
            kind,
            csrf_token: &csrf_token,
            expires_at: now + policy.lifetime_secs,
            client_ip: client.ip,
            user_agent: client.user_agent.map(|ua| ua.get(..256).unwrap_or(ua)),
            id_token_hint: client.id_token_hint,
        },
        now,
    )?;
    Ok(Issued {
        cookie_value,
        csrf_token,
    })
}

/// The live session behind a cookie value. Expired, idle or deactivated sessions are
/// deleted on the spot and yield `None`.
pub fn resolve(
    conn: &Connection,
    cookie_value: &str,
    policy: Policy,
    now: i64,
) -> Result<Option<Authenticated>, DbError> {
    let id_hash = hash_token(cookie_value);
    let Some((session, user)) = sessions::find_with_user(conn, &id_hash)? else {
        return Ok(None);
    };
    let idle_limit = session.last_seen_at + policy.idle_secs;
    if now >= session.expires_at || now >= idle_limit || !user.is_active {
        sessions::delete(conn, &id_hash)?;
        return Ok(None);
    }
    if now - session.last_seen_at >= policy.touch_every_secs {
        sessions::touch(conn, &id_hash, now)?;
    }
    Ok(Some(Authenticated { session, user }))
}

/// Ends the session behind a cookie value (logout); returns its ID-token hint, if any.
pub fn end(conn: &Connection, cookie_value: &str) -> Result<Option<String>, DbError> {
    Ok(sessions::take(conn, &hash_token(cookie_value))?.flatten())
}

/// Ends every session of a user (password change, deactivation, "sign out everywhere").
pub fn end_all_for_user(conn: &Connection, user_id: i64) -> Result<usize, DbError> {
    sessions::delete_for_user(conn, user_id)
}
