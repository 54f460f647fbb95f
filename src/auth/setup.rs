//! Single-use links: the first-admin setup link and admin-issued set-password links.

use rusqlite::Connection;

use super::tokens::{hash_token, random_token};
use crate::db::one_time_tokens::{self, PASSWORD_RESET, SETUP};
use crate::db::users::{self, NewUser, User};
use crate::db::{self, audit, sessions, DbError};

pub const SETUP_TTL_SECS: i64 = 3600;
pub const RESET_TTL_SECS: i64 = 24 * 3600;

/// A fresh setup token when no active admin exists (older unused ones stop working).
pub fn issue_setup_token(conn: &Connection, now: i64) -> Result<Option<String>, DbError> {
    if users::active_admin_exists(conn)? {
        return Ok(None);
    }
    one_time_tokens::revoke_unused(conn, SETUP, None)?;
    let token = random_token(32);
    one_time_tokens::insert(
        conn,
        &hash_token(&token),
        SETUP,
        None,
        now,
        now + SETUP_TTL_SECS,
    )?;
    Ok(Some(token))
}

/// Whether a setup link can still be used.
pub fn setup_token_valid(conn: &Connection, token: &str, now: i64) -> Result<bool, DbError> {
    Ok(!users::active_admin_exists(conn)?
        && one_time_tokens::peek(conn, &hash_token(token), SETUP, now)?.is_some())
}

pub enum SetupOutcome {
    Created(Box<User>),
    LinkInvalid,
    UsernameTaken,
}

/// Creates the first admin, consuming the token, in one transaction.
pub fn complete_setup(
    conn: &mut Connection,
    token: &str,
    username: &str,
    password_hash: &str,
    now: i64,
) -> Result<SetupOutcome, DbError> {
    let tx = conn.transaction()?;
    if users::active_admin_exists(&tx)?
        || one_time_tokens::consume(&tx, &hash_token(token), SETUP, now)?.is_none()
    {
        return Ok(SetupOutcome::LinkInvalid);
    }
    let new = NewUser {
        username,
        full_name: None,
        email: None,
        password_hash: Some(password_hash),
        auth_provider: "local",
        is_admin: true,
    };
    let id = match users::insert(&tx, &new, now) {
        Ok(id) => id,
        Err(e) if db::is_constraint_violation(&e) => return Ok(SetupOutcome::UsernameTaken),
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &tx,
        &audit::Entry {
            actor_user_id: Some(id),
            action: "setup.first_admin",
            target: Some(username),
            detail: None,
            client_ip: None,
        },
        now,
    )?;
    let user =
        users::by_id(&tx, id)?.ok_or_else(|| DbError::Schema("new admin vanished".into()))?;
    tx.commit()?;
    Ok(SetupOutcome::Created(Box::new(user)))
}

/// A one-time set-password link token for a user (older unused ones stop working).
pub fn issue_reset_token(conn: &Connection, user_id: i64, now: i64) -> Result<String, DbError> {
    one_time_tokens::revoke_unused(conn, PASSWORD_RESET, Some(user_id))?;
    let token = random_token(32);
    one_time_tokens::insert(
        conn,
        &hash_token(&token),
        PASSWORD_RESET,
        Some(user_id),
        now,
        now + RESET_TTL_SECS,
    )?;
    Ok(token)
}

/// The user a set-password link is for, if it is still valid.
pub fn reset_token_user(conn: &Connection, token: &str, now: i64) -> Result<Option<User>, DbError> {
    match one_time_tokens::peek(conn, &hash_token(token), PASSWORD_RESET, now)? {
        Some(Some(uid)) => Ok(users::by_id(conn, uid)?.filter(|u| u.is_active)),
        _ => Ok(None),
    }
}

/// Sets the password behind a link, consuming it and ending the user's sessions.
pub fn complete_reset(
    conn: &mut Connection,
    token: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<User>, DbError> {
    let tx = conn.transaction()?;
    let Some(Some(uid)) = one_time_tokens::consume(&tx, &hash_token(token), PASSWORD_RESET, now)?
    else {
        return Ok(None);
    };
    let Some(user) = users::by_id(&tx, uid)?.filter(|u| u.is_active) else {
        return Ok(None);
    };
    set_password(
        &tx,
        &user,
        password_hash,
        Some(user.id),
        "user.password_reset",
        now,
    )?;
    tx.commit()?;
    Ok(Some(user))
}

/// Stores a new password hash, ends every session of the user and writes the audit row.
pub fn set_password(
    conn: &Connection,
    user: &User,
    password_hash: &str,
    actor: Option<i64>,
    action: &str,
    now: i64,
) -> Result<(), DbError> {
    users::set_password_hash(conn, user.id, password_hash)?;
    sessions::delete_for_user(conn, user.id)?;
    audit::record(
        conn,
        &audit::Entry {
            actor_user_id: actor,
            action,
            target: Some(&user.username),
            detail: None,
            client_ip: None,
        },
        now,
    )
}
