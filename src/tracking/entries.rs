//! Manual entries: create, edit and delete, each with an audit row (before and after), and
//! a warning (not a refusal) when the time overlaps the person's other entries.

use rusqlite::Connection;
use serde_json::json;

use super::projects::{bookable, record};
use super::{check_notes, normalize_tags, Actor, Source, TrackingError, TrackingResult};
use crate::db::entries::{self, EntryRow, EntryUpdate, NewEntry};

/// A finished block of time to book.
#[derive(Clone, Debug, Default)]
pub struct ManualEntry {
    pub user_id: i64,
    pub project_id: i64,
    pub task_id: Option<i64>,
    pub start_at: i64,
    pub end_at: i64,
    pub break_seconds: i64,
    pub notes: String,
    pub billable: Option<bool>,
    pub tags: String,
}

/// The saved entry and the entries it overlaps (shown as a warning).
pub struct Saved {
    pub entry: EntryRow,
    pub overlaps: Vec<EntryRow>,
}

/// Longest single entry: a week. Anything longer is a typo.
const MAX_SECONDS: i64 = 7 * 24 * 3600;

fn check_span(start: i64, end: i64, breaks: i64) -> TrackingResult<()> {
    if end <= start {
        return Err(TrackingError::Invalid(
            "The end must be after the start.".into(),
        ));
    }
    if end - start > MAX_SECONDS {
        return Err(TrackingError::Invalid(
            "An entry can be at most 7 days long.".into(),
        ));
    }
    if breaks < 0 || breaks > end - start {
        return Err(TrackingError::Invalid(
            "The break must be between zero and the length of the entry.".into(),
        ));
    }
    Ok(())
}

fn snapshot(e: &EntryRow) -> serde_json::Value {
    json!({
        "user": e.username, "project": e.project, "task": e.task, "start_at": e.start_at,
        "end_at": e.end_at, "break_seconds": e.break_seconds, "notes": e.notes,
        "billable": e.billable, "tags": e.tags,
    })
}

fn require_user(conn: &Connection, user_id: i64) -> TrackingResult<()> {
    crate::db::users::by_id(conn, user_id)?
        .filter(|u| u.is_active)
        .ok_or(TrackingError::NotFound("No such active user."))?;
    Ok(())
}

/// Books a finished entry. Admins may book for anyone.
pub fn create(
    conn: &mut Connection,
    actor: &Actor,
    m: &ManualEntry,
    source: Source,
    now: i64,
) -> TrackingResult<Saved> {
    if !actor.may_act_for(m.user_id) {
        return Err(TrackingError::Forbidden(
            "Only administrators can book time for someone else.",
        ));
    }
    check_span(m.start_at, m.end_at, m.break_seconds)?;
    let notes = check_notes(&m.notes)?;
    let tags = normalize_tags(&m.tags);
    let tx = conn.transaction()?;
    require_user(&tx, m.user_id)?;
    let (project, _) = bookable(&tx, m.project_id, m.task_id)?;
    let id = entries::insert(
        &tx,
        &NewEntry {
            user_id: m.user_id,
            project_id: project.id,
            task_id: m.task_id,
            start_at: m.start_at,
            end_at: Some(m.end_at),
            break_seconds: m.break_seconds,
            notes: &notes,
            billable: m.billable.unwrap_or(project.billable),
            tags: &tags,
            source: source.as_str(),
        },
        now,
    )?;
    let entry =
        entries::by_id(&tx, id, now)?.ok_or(TrackingError::NotFound("The new entry vanished."))?;
    let overlaps = entries::overlapping(&tx, m.user_id, m.start_at, m.end_at, Some(id), now)?;
    record(
        &tx,
        actor,
        "entry.create",
        &format!("entry:{id}"),
        Some(json!({ "after": snapshot(&entry) })),
        now,
    )?;
    tx.commit()?;
    Ok(Saved { entry, overlaps })
}

/// An entry the actor may see and change.
pub fn owned(conn: &Connection, actor: &Actor, id: i64, now: i64) -> TrackingResult<EntryRow> {
    let entry = entries::by_id(conn, id, now)?.ok_or(TrackingError::NotFound("No such entry."))?;
    if !actor.may_act_for(entry.user_id) {
        // Someone else's entry does not exist, as far as this person can tell.
        return Err(TrackingError::NotFound("No such entry."));
    }
    Ok(entry)
}

/// The new values of an edit.
#[derive(Clone, Debug, Default)]
pub struct Edit {
    pub project_id: i64,
    pub task_id: Option<i64>,
    pub start_at: i64,
    pub end_at: i64,
    pub break_seconds: i64,
    pub notes: String,
    pub billable: bool,
    pub tags: String,
}

pub fn update(
    conn: &mut Connection,
    actor: &Actor,
    id: i64,
    e: &Edit,
    now: i64,
) -> TrackingResult<Saved> {
    let tx = conn.transaction()?;
    let before = owned(&tx, actor, id, now)?;
    if before.running() {
        return Err(TrackingError::Conflict(
            "This timer is still running; stop it before editing the entry.".into(),
        ));
    }
    check_span(e.start_at, e.end_at, e.break_seconds)?;
    // Moving time onto an archived project is new time; keeping it where it was is not.
    if e.project_id != before.project_id || e.task_id != before.task_id {
        bookable(&tx, e.project_id, e.task_id)?;
    }
    let notes = check_notes(&e.notes)?;
    let tags = normalize_tags(&e.tags);
    entries::update(
        &tx,
        id,
        &EntryUpdate {
            project_id: e.project_id,
            task_id: e.task_id,
            start_at: e.start_at,
            end_at: Some(e.end_at),
            break_seconds: e.break_seconds,
            notes: &notes,
            billable: e.billable,
            tags: &tags,
        },
        now,
    )?;
    let after = entries::by_id(&tx, id, now)?.ok_or(TrackingError::NotFound("No such entry."))?;
    let overlaps = entries::overlapping(&tx, after.user_id, e.start_at, e.end_at, Some(id), now)?;
    record(
        &tx,
        actor,
        "entry.update",
        &format!("entry:{id}"),
        Some(json!({ "before": snapshot(&before), "after": snapshot(&after) })),
        now,
    )?;
    tx.commit()?;
    Ok(Saved {
        entry: after,
        overlaps,
    })
}

pub fn delete(conn: &mut Connection, actor: &Actor, id: i64, now: i64) -> TrackingResult<EntryRow> {
    let tx = conn.transaction()?;
    let before = owned(&tx, actor, id, now)?;
    entries::delete(&tx, id)?;
    record(
        &tx,
        actor,
        "entry.delete",
        &format!("entry:{id}"),
        Some(json!({ "before": snapshot(&before) })),
        now,
    )?;
    tx.commit()?;
    Ok(before)
}

/// Clears the needs-review flag of an auto-stopped entry (admin).
pub fn mark_reviewed(conn: &Connection, actor: &Actor, id: i64, now: i64) -> TrackingResult<()> {
    if !actor.is_admin {
        return Err(TrackingError::Forbidden(
            "Only administrators review entries.",
        ));
    }
    if entries::mark_reviewed(conn, id, now)? == 0 {
        return Err(TrackingError::NotFound("No such entry waiting for review."));
    }
    record(
        conn,
        actor,
        "entry.reviewed",
        &format!("entry:{id}"),
        None,
        now,
    )
}
