//! The `time_entries` table. A NULL `end_at` is a running timer; the partial unique index
//! `one_running_timer` allows one per user.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use serde::Serialize;

use super::DbError;

/// One entry with the names a list or an export shows beside it.
#[derive(Clone, Debug, Serialize)]
pub struct EntryRow {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub project_id: i64,
    pub project: String,
    pub client_id: Option<i64>,
    pub client: Option<String>,
    pub task_id: Option<i64>,
    pub task: Option<String>,
    pub start_at: i64,
    pub end_at: Option<i64>,
    pub paused_at: Option<i64>,
    pub break_seconds: i64,
    pub notes: String,
    pub billable: bool,
    pub tags: String,
    pub source: String,
    pub needs_review: bool,
    /// Worked seconds: up to now for a running timer, pauses and breaks excluded.
    pub duration_seconds: i64,
}

impl EntryRow {
    pub fn running(&self) -> bool {
        self.end_at.is_none()
    }
}

/// Worked seconds of `e`, with `?1` bound to now (running timers count up to now).
const DURATION: &str = "max(coalesce(e.end_at, ?1) - e.start_at - e.break_seconds
    - CASE WHEN e.paused_at IS NULL THEN 0 ELSE ?1 - e.paused_at END, 0)";

fn select() -> String {
    format!(
        "SELECT e.id, e.user_id, u.username, e.project_id, p.name, p.client_id, c.name, e.task_id, t.name,
            e.start_at, e.end_at, e.paused_at, e.break_seconds, e.notes, e.billable, e.tags, e.source,
            e.needs_review, {DURATION}
         FROM time_entries e
         JOIN users u ON u.id = e.user_id
         JOIN projects p ON p.id = e.project_id
         LEFT JOIN clients c ON c.id = p.client_id
         LEFT JOIN tasks t ON t.id = e.task_id"
    )
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EntryRow> {
    Ok(EntryRow {
        id: r.get(0)?,
        user_id: r.get(1)?,
        username: r.get(2)?,
        project_id: r.get(3)?,
        project: r.get(4)?,
        client_id: r.get(5)?,
        client: r.get(6)?,
        task_id: r.get(7)?,
        task: r.get(8)?,
        start_at: r.get(9)?,
        end_at: r.get(10)?,
        paused_at: r.get(11)?,
        break_seconds: r.get(12)?,
        notes: r.get(13)?,
        billable: r.get(14)?,
        tags: r.get(15)?,
        source: r.get(16)?,
        needs_review: r.get(17)?,
        duration_seconds: r.get(18)?,
    })
}

fn one(conn: &Connection, filter: &str, arg: i64, now: i64) -> Result<Option<EntryRow>, DbError> {
    let sql = format!("{} WHERE {filter}", select());
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![now, arg], from_row)
        .optional()?)
}

pub fn by_id(conn: &Connection, id: i64, now: i64) -> Result<Option<EntryRow>, DbError> {
    one(conn, "e.id = ?2", id, now)
}

/// The user's running timer, if any.
pub fn running_for_user(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<Option<EntryRow>, DbError> {
    one(conn, "e.user_id = ?2 AND e.end_at IS NULL", user_id, now)
}

/// The user's most recently started finished entry ("repeat last").
pub fn last_finished_for_user(
    conn: &Connection,
    user_id: i64,
    now: i64,
) -> Result<Option<EntryRow>, DbError> {
    one(
        conn,
        "e.user_id = ?2 AND e.end_at IS NOT NULL ORDER BY e.start_at DESC LIMIT 1",
        user_id,
        now,
    )
}

pub struct NewEntry<'a> {
    pub user_id: i64,
    pub project_id: i64,
    pub task_id: Option<i64>,
    pub start_at: i64,
    pub end_at: Option<i64>,
    pub break_seconds: i64,
    pub notes: &'a str,
    pub billable: bool,
    pub tags: &'a str,
    pub source: &'a str,
}

/// Inserts an entry. A second running timer fails on `one_running_timer`.
pub fn insert(conn: &Connection, e: &NewEntry<'_>, now: i64) -> Result<i64, rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO time_entries (user_id, project_id, task_id, start_at, end_at, break_seconds,
            notes, billable, tags, source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
    )?
    .execute(params![
        e.user_id,
        e.project_id,
        e.task_id,
        e.start_at,
        e.end_at,
        e.break_seconds,
        e.notes,
        e.billable,
        e.tags,
        e.source,
        now
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Ends a running entry at `end_at` with its final break total.
pub fn finish(
    conn: &Connection,
    id: i64,
    end_at: i64,
    break_seconds: i64,
    now: i64,
) -> Result<(), DbError> {
    conn.prepare_cached(
        "UPDATE time_entries SET end_at = ?2, break_seconds = ?3, paused_at = NULL, updated_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![id, end_at, break_seconds, now])?;
    Ok(())
}

pub fn set_pause(
    conn: &Connection,
    id: i64,
    paused_at: Option<i64>,
    break_seconds: i64,
    now: i64,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE time_entries SET paused_at = ?2, break_seconds = ?3, updated_at = ?4 WHERE id = ?1",
        params![id, paused_at, break_seconds, now],
    )?;
    Ok(())
}

pub fn set_start(conn: &Connection, id: i64, start_at: i64, now: i64) -> Result<(), DbError> {
    conn.execute(
        "UPDATE time_entries SET start_at = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, start_at, now],
    )?;
    Ok(())
}

/// The editable fields of an entry.
pub struct EntryUpdate<'a> {
    pub project_id: i64,
    pub task_id: Option<i64>,
    pub start_at: i64,
    pub end_at: Option<i64>,
    pub break_seconds: i64,
    pub notes: &'a str,
    pub billable: bool,
    pub tags: &'a str,
}

pub fn update(conn: &Connection, id: i64, u: &EntryUpdate<'_>, now: i64) -> Result<(), DbError> {
    conn.execute(
        "UPDATE time_entries SET project_id = ?2, task_id = ?3, start_at = ?4, end_at = ?5,
            break_seconds = ?6, notes = ?7, billable = ?8, tags = ?9, needs_review = 0, updated_at = ?10
         WHERE id = ?1",
        params![
            id,
            u.project_id,
            u.task_id,
            u.start_at,
            u.end_at,
            u.break_seconds,
            u.notes,
            u.billable,
            u.tags,
            now
        ],
    )?;
    Ok(())
}

pub fn delete(conn: &Connection, id: i64) -> Result<(), DbError> {
    conn.execute("DELETE FROM time_entries WHERE id = ?1", [id])?;
    Ok(())
}

/// Stops every timer that has run `limit_secs` or longer, at the moment the limit was
/// reached, flagged for review. Returns (entry id, user id) of each.
pub fn auto_stop(
    conn: &Connection,
    limit_secs: i64,
    user_id: Option<i64>,
    now: i64,
) -> Result<Vec<(i64, i64)>, DbError> {
    // INDEXED BY: the partial index holds only running timers, so this stays a handful of
    // rows however large the history grows (the planner would otherwise range-scan start_at).
    let mut stmt = conn.prepare_cached(
        "UPDATE time_entries INDEXED BY one_running_timer SET
            end_at = start_at + ?1,
            break_seconds = min(?1, break_seconds + CASE
                WHEN paused_at IS NOT NULL AND paused_at < start_at + ?1 THEN start_at + ?1 - paused_at
                ELSE 0 END),
            paused_at = NULL, needs_review = 1, updated_at = ?2
         WHERE end_at IS NULL AND start_at <= ?2 - ?1 AND (?3 IS NULL OR user_id = ?3)
         RETURNING id, user_id",
    )?;
    let rows = stmt
        .query_map(params![limit_secs, now, user_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Finished entries that overlap [start, end) are looked for among those that started at most
/// this long before `start`, so the check reads a small index range, not the whole history.
/// Manual entries are at most 7 days long; only a timer left running for weeks with auto-stop
/// off could be longer, and then the (advisory) overlap warning may miss it.
const OVERLAP_WINDOW_SECS: i64 = 31 * 24 * 3600;

/// The user's other entries that overlap [start, end) (a running one counts up to now).
pub fn overlapping(
    conn: &Connection,
    user_id: i64,
    start: i64,
    end: i64,
    exclude_id: Option<i64>,
    now: i64,
) -> Result<Vec<EntryRow>, DbError> {
    let sql = format!(
        "{} WHERE e.user_id = ?2 AND e.start_at < ?4 AND e.start_at >= ?6
           AND coalesce(e.end_at, ?1) > ?3 AND e.id IS NOT ?5 ORDER BY e.start_at",
        select()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<EntryRow> = stmt
        .query_map(
            params![
                now,
                user_id,
                start,
                end,
                exclude_id,
                start - OVERLAP_WINDOW_SECS
            ],
            from_row,
        )?
        .collect::<Result<_, _>>()?;
    if let Some(running) = running_for_user(conn, user_id, now)? {
        let overlaps = running.start_at < end && now > start && Some(running.id) != exclude_id;
        if overlaps && !rows.iter().any(|r| r.id == running.id) {
            rows.push(running);
        }
    }
    Ok(rows)
}

/// Who has a timer running now, longest first.
pub fn running_all(conn: &Connection, now: i64) -> Result<Vec<EntryRow>, DbError> {
    let sql = format!("{} WHERE e.end_at IS NULL ORDER BY e.start_at", select());
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([now], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Entries the auto-stop flagged, oldest first.
pub fn needing_review(conn: &Connection, now: i64) -> Result<Vec<EntryRow>, DbError> {
    let sql = format!(
        "{} WHERE e.needs_review = 1 ORDER BY e.start_at LIMIT 200",
        select()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([now], from_row)?.collect::<Result<_, _>>()?;
    Ok(rows)
}

pub fn mark_reviewed(conn: &Connection, id: i64, now: i64) -> Result<usize, DbError> {
    Ok(conn.execute(
        "UPDATE time_entries SET needs_review = 0, updated_at = ?2 WHERE id = ?1 AND needs_review = 1",
        params![id, now],
    )?)
}

/// A filter over entries. Instants are UTC bounds on `start_at`: an entry belongs to the
/// day (in the organisation's timezone) it started on.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub from: Option<i64>,
    /// Exclusive.
    pub to: Option<i64>,
    pub user_id: Option<i64>,
    pub client_id: Option<i64>,
    pub project_id: Option<i64>,
    pub task_id: Option<i64>,
    pub billable: Option<bool>,
    pub text: Option<String>,
}

impl Filter {
    /// The WHERE clause and its values; `?1` stays reserved for now.
    fn clause(&self) -> (String, Vec<Value>) {
        let mut parts = vec!["1 = 1".to_string()];
        let mut values: Vec<Value> = Vec::new();
        let mut param = |v: Value| {
            values.push(v);
            format!("?{}", values.len() + 1)
        };
        if let Some(v) = self.from {
            parts.push(format!("e.start_at >= {}", param(v.into())));
        }
        if let Some(v) = self.to {
            parts.push(format!("e.start_at < {}", param(v.into())));
        }
        if let Some(v) = self.user_id {
            parts.push(format!("e.user_id = {}", param(v.into())));
        }
        if let Some(v) = self.client_id {
            parts.push(format!("p.client_id = {}", param(v.into())));
        }
        if let Some(v) = self.project_id {
            parts.push(format!("e.project_id = {}", param(v.into())));
        }
        if let Some(v) = self.task_id {
            parts.push(format!("e.task_id = {}", param(v.into())));
        }
        if let Some(v) = self.billable {
            parts.push(format!("e.billable = {}", param(i64::from(v).into())));
        }
        if let Some(text) = self.text.as_deref().filter(|t| !t.is_empty()) {
            let escaped = text
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let p = param(format!("%{escaped}%").into());
            parts.push(format!(
                "(e.notes LIKE {p} ESCAPE '\\' OR e.tags LIKE {p} ESCAPE '\\' OR p.name LIKE {p} ESCAPE '\\' \
                 OR t.name LIKE {p} ESCAPE '\\' OR c.name LIKE {p} ESCAPE '\\')"
            ));
        }
        (parts.join(" AND "), values)
    }
}

fn bind(now: i64, values: Vec<Value>) -> Vec<Value> {
    let mut all = Vec::with_capacity(values.len() + 1);
    all.push(Value::Integer(now));
    all.extend(values);
    all
}

/// One page of the filtered entries, newest first.
pub fn list(
    conn: &Connection,
    filter: &Filter,
    now: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<EntryRow>, DbError> {
    let (clause, values) = filter.clause();
    let sql = format!(
        "{} WHERE {clause} ORDER BY e.start_at DESC, e.id DESC LIMIT {limit} OFFSET {offset}",
        select()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(bind(now, values)), from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Every entry of the filter, oldest first (exports and reports).
pub fn all(conn: &Connection, filter: &Filter, now: i64) -> Result<Vec<EntryRow>, DbError> {
    let (clause, values) = filter.clause();
    let sql = format!("{} WHERE {clause} ORDER BY e.start_at, e.id", select());
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(bind(now, values)), from_row)?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Totals {
    pub count: i64,
    pub seconds: i64,
    pub billable_seconds: i64,
}

/// Count and worked seconds over the whole filtered set, not just one page.
pub fn totals(conn: &Connection, filter: &Filter, now: i64) -> Result<Totals, DbError> {
    let (clause, values) = filter.clause();
    let sql = format!(
        "SELECT count(*), coalesce(sum({DURATION}), 0),
                coalesce(sum(CASE WHEN e.billable = 1 THEN {DURATION} ELSE 0 END), 0)
         FROM time_entries e
         JOIN projects p ON p.id = e.project_id
         LEFT JOIN clients c ON c.id = p.client_id
         LEFT JOIN tasks t ON t.id = e.task_id
         WHERE {clause}"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(bind(now, values)), |r| {
            Ok(Totals {
                count: r.get(0)?,
                seconds: r.get(1)?,
                billable_seconds: r.get(2)?,
            })
        })?)
}
