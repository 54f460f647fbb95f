//! The `audit_log` table: who did what to whom, with before/after detail as JSON.

use rusqlite::{params, Connection};

use super::DbError;

pub struct Entry<'a> {
    pub actor_user_id: Option<i64>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: Option<serde_json::Value>,
    pub client_ip: Option<&'a str>,
}

pub fn record(conn: &Connection, e: &Entry<'_>, now: i64) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, actor_user_id, action, target, detail, client_ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        now,
        e.actor_user_id,
        e.action,
        e.target,
        e.detail.as_ref().map(|d| d.to_string()),
        e.client_ip
    ])?;
    Ok(())
}

/// Number of audit rows with this action (used by tests and the admin pages).
pub fn count_action(conn: &Connection, action: &str) -> Result<i64, DbError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM audit_log WHERE action = ?1",
        [action],
        |r| r.get(0),
    )?)
}
