//! The `settings` table: admin-editable settings, the source of truth after first start.

use rusqlite::{params, Connection, OptionalExtension};

use super::DbError;

pub const ALLOW_SELF_REGISTER: &str = "allow_self_register";

pub fn get(conn: &Connection, key: &str) -> Result<Option<String>, DbError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn set(conn: &Connection, key: &str, value: &str, now: i64) -> Result<(), DbError> {
    conn.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(key) DO UPDATE SET value = ?2, updated_at = ?3",
        params![key, value, now],
    )?;
    Ok(())
}

/// Sets a value only if the key has none yet (env vars seed, the admin page decides).
pub fn seed(conn: &Connection, key: &str, value: &str, now: i64) -> Result<(), DbError> {
    conn.execute(
        "INSERT OR IGNORE INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)",
        params![key, value, now],
    )?;
    Ok(())
}

pub fn get_bool(conn: &Connection, key: &str, default: bool) -> Result<bool, DbError> {
    Ok(get(conn, key)?
        .and_then(|v| crate::config::parse_bool(&v))
        .unwrap_or(default))
}
