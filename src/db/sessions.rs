//! The `sessions` table: one row per signed-in browser (or kiosk terminal).

use rusqlite::{params, Connection, OptionalExtension};

use super::users::{self, User};
use super::DbError;

#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: i64,
    pub kind: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: i64,
    pub kind: &'a str,
    pub csrf_token: &'a str,
    pub expires_at: i64,
    pub client_ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub id_token_hint: Option<&'a str>,
}

pub fn insert(conn: &Connection, s: &NewSession<'_>, now: i64) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO sessions (id_hash, user_id, kind, csrf_token, created_at, last_seen_at, expires_at, client_ip, user_agent, id_token_hint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        s.id_hash,
        s.user_id,
        s.kind,
        s.csrf_token,
        now,
        s.expires_at,
        s.client_ip,
        s.user_agent,
        s.id_token_hint
    ])?;
    Ok(())
}

/// The session and its user in one read (the hot path of every signed-in request).
pub fn find_with_user(
    conn: &Connection,
    id_hash: &str,
) -> Result<Option<(SessionRow, User)>, DbError> {
    let sql = format!(
        "SELECT s.id_hash, s.user_id, s.kind, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, {}
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?1",
        users::COLUMNS
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id_hash], |r| {
            Ok((
                SessionRow {
                    id_hash: r.get(0)?,
                    user_id: r.get(1)?,
                    kind: r.get(2)?,
                    csrf_token: r.get(3)?,
                    created_at: r.get(4)?,
                    last_seen_at: r.get(5)?,
                    expires_at: r.get(6)?,
                },
                users::from_row(r, 7)?,
            ))
        })
        .optional()?)
}

pub fn touch(conn: &Connection, id_hash: &str, now: i64) -> Result<(), DbError> {
    conn.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1")?
        .execute(params![id_hash, now])?;
    Ok(())
}

pub fn delete(conn: &Connection, id_hash: &str) -> Result<(), DbError> {
    conn.prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
        .execute([id_hash])?;
    Ok(())
}

/// Deletes a session and hands back its ID-token hint (for RP-initiated logout).
pub fn take(conn: &Connection, id_hash: &str) -> Result<Option<Option<String>>, DbError> {
    Ok(conn
        .query_row(
            "DELETE FROM sessions WHERE id_hash = ?1 RETURNING id_token_hint",
            [id_hash],
            |r| r.get(0),
        )
        .optional()?)
}

/// Ends every session of a user; returns how many there were.
pub fn delete_for_user(conn: &Connection, user_id: i64) -> Result<usize, DbError> {
    Ok(conn.execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?)
}

pub fn count_for_user(conn: &Connection, user_id: i64) -> Result<i64, DbError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM sessions WHERE user_id = ?1",
        [user_id],
        |r| r.get(0),
    )?)
}

/// Removes sessions past their absolute lifetime or idle limit.
pub fn delete_stale(conn: &Connection, now: i64, idle_secs: i64) -> Result<usize, DbError> {
    Ok(conn.execute(
        "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?1 - ?2",
        params![now, idle_secs],
    )?)
}
