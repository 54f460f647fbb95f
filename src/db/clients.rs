//! The `clients` table: who a project's time is billed to.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::DbError;

#[derive(Clone, Debug, Serialize)]
pub struct ClientRow {
    pub id: i64,
    pub name: String,
    pub archived: bool,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClientRow> {
    Ok(ClientRow {
        id: r.get(0)?,
        name: r.get(1)?,
        archived: r.get(2)?,
    })
}

pub fn list(conn: &Connection) -> Result<Vec<ClientRow>, DbError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, archived FROM clients ORDER BY archived, name")?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<ClientRow>, DbError> {
    Ok(conn
        .prepare_cached("SELECT id, name, archived FROM clients WHERE id = ?1")?
        .query_row([id], from_row)
        .optional()?)
}

pub fn by_name(conn: &Connection, name: &str) -> Result<Option<ClientRow>, DbError> {
    Ok(conn
        .prepare_cached("SELECT id, name, archived FROM clients WHERE name = ?1")?
        .query_row([name], from_row)
        .optional()?)
}

/// Inserts a client; a taken name surfaces as a constraint violation.
pub fn insert(conn: &Connection, name: &str, now: i64) -> Result<i64, rusqlite::Error> {
    conn.execute(
        "INSERT INTO clients (name, created_at) VALUES (?1, ?2)",
        params![name, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_archived(conn: &Connection, id: i64, archived: bool) -> Result<usize, DbError> {
    Ok(conn.execute(
        "UPDATE clients SET archived = ?2 WHERE id = ?1",
        params![id, archived],
    )?)
}
