//! The `login_throttle` table: failure counters keyed by account or client IP.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbError;

#[derive(Clone, Copy, Debug)]
pub struct Counter {
    pub failures: i64,
    pub last_failure_at: i64,
    pub locked_until: i64,
}

pub fn get(conn: &Connection, key: &str) -> Result<Option<Counter>, DbError> {
    Ok(conn
        .prepare_cached(
            "SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE key = ?1",
        )?
        .query_row([key], |r| {
            Ok(Counter {
                failures: r.get(0)?,
                last_failure_at: r.get(1)?,
                locked_until: r.get(2)?,
            })
        })
        .optional()?)
}

pub fn put(conn: &Connection, key: &str, c: &Counter) -> Result<(), DbError> {
    conn.prepare_cached(
        "INSERT INTO login_throttle (key, failures, last_failure_at, locked_until) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(key) DO UPDATE SET failures = ?2, last_failure_at = ?3, locked_until = ?4",
    )?
    .execute(params![key, c.failures, c.last_failure_at, c.locked_until])?;
    Ok(())
}

pub fn clear(conn: &Connection, key: &str) -> Result<(), DbError> {
    conn.prepare_cached("DELETE FROM login_throttle WHERE key = ?1")?
        .execute([key])?;
    Ok(())
}
