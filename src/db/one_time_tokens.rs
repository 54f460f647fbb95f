//! The `one_time_tokens` table: first-admin setup and set-password links.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbError;

pub const SETUP: &str = "setup";
pub const PASSWORD_RESET: &str = "password_reset";

pub fn insert(
    conn: &Connection,
    token_hash: &str,
    purpose: &str,
    user_id: Option<i64>,
    now: i64,
    expires_at: i64,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash, purpose, user_id, now, expires_at],
    )?;
    Ok(())
}

/// Drops the unused tokens of a purpose (and user), so only the newest link works.
pub fn revoke_unused(
    conn: &Connection,
    purpose: &str,
    user_id: Option<i64>,
) -> Result<(), DbError> {
    conn.execute(
        "DELETE FROM one_time_tokens WHERE purpose = ?1 AND used_at IS NULL AND user_id IS ?2",
        params![purpose, user_id],
    )?;
    Ok(())
}

/// `Some(user_id)` when the token is unused and unexpired; does not consume it.
pub fn peek(
    conn: &Connection,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<Option<i64>>, DbError> {
    Ok(conn
        .query_row(
            "SELECT user_id FROM one_time_tokens
             WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3",
            params![token_hash, purpose, now],
            |r| r.get(0),
        )
        .optional()?)
}

/// Marks the token used; `Some(user_id)` only for the one caller that consumed it.
pub fn consume(
    conn: &Connection,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<Option<i64>>, DbError> {
    Ok(conn
        .query_row(
            "UPDATE one_time_tokens SET used_at = ?3
             WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3
             RETURNING user_id",
            params![token_hash, purpose, now],
            |r| r.get(0),
        )
        .optional()?)
}
