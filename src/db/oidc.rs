//! The `oidc_flows` and `oidc_failures` tables.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbError;

pub struct Flow {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: Option<String>,
}

pub fn insert_flow(
    conn: &Connection,
    id_hash: &str,
    f: &Flow,
    now: i64,
    expires_at: i64,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO oidc_flows (id_hash, state, nonce, pkce_verifier, next, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id_hash, f.state, f.nonce, f.pkce_verifier, f.next, now, expires_at],
    )?;
    // Abandoned sign-ins must not pile up.
    conn.execute("DELETE FROM oidc_flows WHERE expires_at <= ?1", [now])?;
    Ok(())
}

/// Reads and deletes the flow in one statement, so a replayed callback finds nothing.
pub fn take_flow(conn: &Connection, id_hash: &str, now: i64) -> Result<Option<Flow>, DbError> {
    Ok(conn
        .query_row(
            "DELETE FROM oidc_flows WHERE id_hash = ?1 AND expires_at > ?2
             RETURNING state, nonce, pkce_verifier, next",
            params![id_hash, now],
            |r| {
                Ok(Flow {
                    state: r.get(0)?,
                    nonce: r.get(1)?,
                    pkce_verifier: r.get(2)?,
                    next: r.get(3)?,
                })
            },
        )
        .optional()?)
}

const KEEP_FAILURES: i64 = 200;

pub fn record_failure(
    conn: &Connection,
    reason: &str,
    detail: &str,
    now: i64,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO oidc_failures (at, reason, detail) VALUES (?1, ?2, ?3)",
        params![now, reason, detail],
    )?;
    conn.execute(
        "DELETE FROM oidc_failures WHERE id <= (SELECT max(id) FROM oidc_failures) - ?1",
        [KEEP_FAILURES],
    )?;
    Ok(())
}

pub struct FailureRow {
    pub at: i64,
    pub reason: String,
    pub detail: Option<String>,
}

pub fn recent_failures(conn: &Connection, limit: i64) -> Result<Vec<FailureRow>, DbError> {
    let mut stmt =
        conn.prepare("SELECT at, reason, detail FROM oidc_failures ORDER BY id DESC LIMIT ?1")?;
    let rows = stmt
        .query_map([limit], |r| {
            Ok(FailureRow {
                at: r.get(0)?,
                reason: r.get(1)?,
                detail: r.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
