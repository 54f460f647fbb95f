//! The `projects` table.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::DbError;

#[derive(Clone, Debug, Serialize)]
pub struct ProjectRow {
    pub id: i64,
    pub name: String,
    pub client_id: Option<i64>,
    pub client: Option<String>,
    pub billable: bool,
    pub archived: bool,
}

const SELECT: &str = "SELECT p.id, p.name, p.client_id, c.name, p.billable, p.archived
    FROM projects p LEFT JOIN clients c ON c.id = p.client_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProjectRow> {
    Ok(ProjectRow {
        id: r.get(0)?,
        name: r.get(1)?,
        client_id: r.get(2)?,
        client: r.get(3)?,
        billable: r.get(4)?,
        archived: r.get(5)?,
    })
}

/// All projects, active ones first; `active_only` hides the archived ones.
pub fn list(conn: &Connection, active_only: bool) -> Result<Vec<ProjectRow>, DbError> {
    let filter = if active_only {
        "WHERE p.archived = 0"
    } else {
        ""
    };
    let sql = format!("{SELECT} {filter} ORDER BY p.archived, p.name");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<ProjectRow>, DbError> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE p.id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn by_name(conn: &Connection, name: &str) -> Result<Option<ProjectRow>, DbError> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE p.name = ?1"))?
        .query_row([name], from_row)
        .optional()?)
}

/// Inserts a project; a taken name surfaces as a constraint violation.
pub fn insert(
    conn: &Connection,
    name: &str,
    client_id: Option<i64>,
    billable: bool,
    now: i64,
) -> Result<i64, rusqlite::Error> {
    conn.execute(
        "INSERT INTO projects (name, client_id, billable, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, client_id, billable, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_archived(conn: &Connection, id: i64, archived: bool) -> Result<usize, DbError> {
    Ok(conn.execute(
        "UPDATE projects SET archived = ?2 WHERE id = ?1",
        params![id, archived],
    )?)
}

/// Active projects for a person's kiosk tiles: the ones they used most recently first,
/// then the rest by name.
pub fn recent_first_for_user(conn: &Connection, user_id: i64) -> Result<Vec<ProjectRow>, DbError> {
    let sql = format!(
        "{SELECT} LEFT JOIN (SELECT project_id, max(start_at) AS last FROM time_entries
            WHERE user_id = ?1 GROUP BY project_id) r ON r.project_id = p.id
         WHERE p.archived = 0 ORDER BY r.last IS NULL, r.last DESC, p.name"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map([user_id], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
