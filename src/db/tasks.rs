//! The `tasks` table: optional subdivisions of a project.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::DbError;

#[derive(Clone, Debug, Serialize)]
pub struct TaskRow {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub archived: bool,
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        id: r.get(0)?,
        project_id: r.get(1)?,
        name: r.get(2)?,
        archived: r.get(3)?,
    })
}

/// Every task, grouped by project.
pub fn list(conn: &Connection, active_only: bool) -> Result<Vec<TaskRow>, DbError> {
    let filter = if active_only {
        "WHERE archived = 0"
    } else {
        ""
    };
    let sql = format!(
        "SELECT id, project_id, name, archived FROM tasks {filter} ORDER BY project_id, archived, name"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<TaskRow>, DbError> {
    Ok(conn
        .prepare_cached("SELECT id, project_id, name, archived FROM tasks WHERE id = ?1")?
        .query_row([id], from_row)
        .optional()?)
}

/// Inserts a task; a name taken within the project surfaces as a constraint violation.
pub fn insert(
    conn: &Connection,
    project_id: i64,
    name: &str,
    now: i64,
) -> Result<i64, rusqlite::Error> {
    conn.execute(
        "INSERT INTO tasks (project_id, name, created_at) VALUES (?1, ?2, ?3)",
        params![project_id, name, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_archived(conn: &Connection, id: i64, archived: bool) -> Result<usize, DbError> {
    Ok(conn.execute(
        "UPDATE tasks SET archived = ?2 WHERE id = ?1",
        params![id, archived],
    )?)
}
