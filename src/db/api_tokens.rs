//! The `api_tokens` table: bearer tokens, found by prefix, verified by the secret's SHA-256.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::DbError;

#[derive(Clone, Debug, Serialize)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub prefix: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub scopes: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const SELECT: &str =
    "SELECT t.id, t.user_id, u.username, t.name, t.prefix, t.secret_hash, t.scopes,
    t.expires_at, t.created_at, t.last_used_at, t.revoked_at
    FROM api_tokens t JOIN users u ON u.id = t.user_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRow> {
    Ok(TokenRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        username: r.get(2)?,
        name: r.get(3)?,
        prefix: r.get(4)?,
        secret_hash: r.get(5)?,
        scopes: r.get(6)?,
        expires_at: r.get(7)?,
        created_at: r.get(8)?,
        last_used_at: r.get(9)?,
        revoked_at: r.get(10)?,
    })
}

pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a str,
    pub expires_at: Option<i64>,
}

pub fn insert(conn: &Connection, t: &NewToken<'_>, now: i64) -> Result<i64, DbError> {
    conn.execute(
        "INSERT INTO api_tokens (user_id, name, prefix, secret_hash, scopes, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            t.user_id,
            t.name,
            t.prefix,
            t.secret_hash,
            t.scopes,
            t.expires_at,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn by_prefix(conn: &Connection, prefix: &str) -> Result<Option<TokenRow>, DbError> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE t.prefix = ?1"))?
        .query_row([prefix], from_row)
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<TokenRow>, DbError> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY t.id"))?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Revokes a live token by id or prefix; returns how many rows changed.
pub fn revoke(conn: &Connection, id_or_prefix: &str, now: i64) -> Result<usize, DbError> {
    Ok(conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2
         WHERE (prefix = ?1 OR CAST(id AS TEXT) = ?1) AND revoked_at IS NULL",
        params![id_or_prefix, now],
    )?)
}

pub fn touch(conn: &Connection, id: i64, now: i64) -> Result<(), DbError> {
    conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1")?
        .execute(params![id, now])?;
    Ok(())
}
