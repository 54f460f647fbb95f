//! The timer: start, stop, switch, pause/resume, adjust start, and the auto-stop of
//! forgotten timers. Every caller (web, API, CLI, kiosk) goes through these functions.
//! Writes run in IMMEDIATE transactions so concurrent starts queue instead of deadlocking;
//! the partial unique index `one_running_timer` is the final word on "one per user".

use rusqlite::{Connection, Transaction, TransactionBehavior};
use serde_json::json;

use super::projects::{bookable, record};
use super::settings::{AUTO_STOP_HOURS, DEFAULT_AUTO_STOP_HOURS};
use super::{check_notes, normalize_tags, Actor, Source, TrackingError, TrackingResult};
use crate::db::entries::{self, EntryRow, NewEntry};
use crate::db::{self, settings, DbError};

/// What to start.
#[derive(Clone, Debug, Default)]
pub struct StartRequest {
    pub user_id: i64,
    pub project_id: i64,
    pub task_id: Option<i64>,
    pub notes: String,
    /// None: the project's default.
    pub billable: Option<bool>,
    pub tags: String,
}

fn immediate(conn: &mut Connection) -> Result<Transaction<'_>, DbError> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

fn auto_stop_limit(conn: &Connection) -> Result<Option<i64>, DbError> {
    let hours = settings::get(conn, AUTO_STOP_HOURS)?
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(DEFAULT_AUTO_STOP_HOURS);
    Ok((hours > 0).then_some(hours * 3600))
}

/// Stops timers that ran past `auto_stop_hours` (all users, or one), flagging them
/// `needs_review` and writing an audit row each. Returns how many were stopped.
pub fn sweep(conn: &Connection, user_id: Option<i64>, now: i64) -> TrackingResult<usize> {
    let Some(limit) = auto_stop_limit(conn)? else {
        return Ok(0);
    };
    let stopped = entries::auto_stop(conn, limit, user_id, now)?;
    for (entry_id, uid) in &stopped {
        record(
            conn,
            &Actor::operator(),
            "timer.auto_stop",
            &format!("entry:{entry_id}"),
            Some(json!({ "user_id": uid, "limit_hours": limit / 3600 })),
            now,
        )?;
        tracing::info!(
            entry = entry_id,
            user = uid,
            "auto-stopped a forgotten timer"
        );
    }
    Ok(stopped.len())
}

/// The user's running timer (after stopping it if it ran past the auto-stop limit).
pub fn status(conn: &mut Connection, user_id: i64, now: i64) -> TrackingResult<Option<EntryRow>> {
    // Reads stay reads unless a running timer is actually overdue.
    let Some(running) = entries::running_for_user(conn, user_id, now)? else {
        return Ok(None);
    };
    match auto_stop_limit(conn)? {
        Some(limit) if running.start_at <= now - limit => {
            let tx = immediate(conn)?;
            sweep(&tx, Some(user_id), now)?;
            let still = entries::running_for_user(&tx, user_id, now)?;
            tx.commit()?;
            Ok(still)
        }
        _ => Ok(Some(running)),
    }
}

fn check_actor(actor: &Actor, user_id: i64) -> TrackingResult<()> {
    if actor.may_act_for(user_id) {
        Ok(())
    } else {
        Err(TrackingError::Forbidden(
            "Only administrators can change another person's timer.",
        ))
    }
}

fn insert_running(
    tx: &Connection,
    req: &StartRequest,
    start_at: i64,
    source: Source,
    now: i64,
) -> TrackingResult<EntryRow> {
    let (project, _) = bookable(tx, req.project_id, req.task_id)?;
    let notes = check_notes(&req.notes)?;
    let tags = normalize_tags(&req.tags);
    if entries::running_for_user(tx, req.user_id, now)?.is_some() {
        return Err(TrackingError::TimerAlreadyRunning);
    }
    let new = NewEntry {
        user_id: req.user_id,
        project_id: project.id,
        task_id: req.task_id,
        start_at,
        end_at: None,
        break_seconds: 0,
        notes: &notes,
        billable: req.billable.unwrap_or(project.billable),
        tags: &tags,
        source: source.as_str(),
    };
    let id = match entries::insert(tx, &new, now) {
        Ok(id) => id,
        Err(e) if db::is_constraint_violation(&e) => {
            return Err(TrackingError::TimerAlreadyRunning)
        }
        Err(e) => return Err(e.into()),
    };
    entries::by_id(tx, id, now)?.ok_or(TrackingError::NotFound("The new entry vanished."))
}

/// Starts a timer; `TimerAlreadyRunning` when the user has one.
pub fn start(
    conn: &mut Connection,
    actor: &Actor,
    req: &StartRequest,
    source: Source,
    now: i64,
) -> TrackingResult<EntryRow> {
    check_actor(actor, req.user_id)?;
    let tx = immediate(conn)?;
    sweep(&tx, Some(req.user_id), now)?;
    let entry = insert_running(&tx, req, now, source, now)?;
    record_if_for_someone_else(&tx, actor, "timer.start_for", &entry, now)?;
    tx.commit()?;
    Ok(entry)
}

/// An admin acting on another person's timer leaves an audit row; one's own timer does not.
fn record_if_for_someone_else(
    tx: &Connection,
    actor: &Actor,
    action: &str,
    entry: &EntryRow,
    now: i64,
) -> TrackingResult<()> {
    if actor.user_id != Some(entry.user_id) {
        record(
            tx,
            actor,
            action,
            &format!("entry:{}", entry.id),
            Some(json!({ "user": entry.username })),
            now,
        )?;
    }
    Ok(())
}

/// Ends the running entry at `now` (or one second after its start, so it is never empty).
fn finish_running(tx: &Connection, user_id: i64, now: i64) -> TrackingResult<EntryRow> {
    let running =
        entries::running_for_user(tx, user_id, now)?.ok_or(TrackingError::NoTimerRunning)?;
    let end = now.max(running.start_at + 1);
    let mut breaks = running.break_seconds;
    if let Some(p) = running.paused_at {
        breaks += (end - p).max(0);
    }
    let breaks = breaks.min(end - running.start_at);
    entries::finish(tx, running.id, end, breaks, now)?;
    entries::by_id(tx, running.id, now)?.ok_or(TrackingError::NotFound("The entry vanished."))
}

/// Stops the user's timer, if one runs, inside the caller's transaction (deactivation).
pub fn stop_within(tx: &Connection, user_id: i64, now: i64) -> TrackingResult<Option<EntryRow>> {
    match finish_running(tx, user_id, now) {
        Ok(e) => Ok(Some(e)),
        Err(TrackingError::NoTimerRunning) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Stops the user's timer; an admin may stop anyone's (audited).
pub fn stop(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    now: i64,
) -> TrackingResult<EntryRow> {
    check_actor(actor, user_id)?;
    let tx = immediate(conn)?;
    sweep(&tx, Some(user_id), now)?;
    let entry = finish_running(&tx, user_id, now)?;
    record_if_for_someone_else(&tx, actor, "timer.stop_for", &entry, now)?;
    tx.commit()?;
    Ok(entry)
}

/// Stops the running timer and starts the next one at the same instant, in one transaction:
/// either both happen or neither.
pub fn switch(
    conn: &mut Connection,
    actor: &Actor,
    req: &StartRequest,
    source: Source,
    now: i64,
) -> TrackingResult<(EntryRow, EntryRow)> {
    check_actor(actor, req.user_id)?;
    let tx = immediate(conn)?;
    sweep(&tx, Some(req.user_id), now)?;
    let stopped = finish_running(&tx, req.user_id, now)?;
    let started = insert_running(&tx, req, stopped.end_at.unwrap_or(now), source, now)?;
    tx.commit()?;
    Ok((stopped, started))
}

/// Pauses the running timer: the time until resume counts as a break.
pub fn pause(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    now: i64,
) -> TrackingResult<EntryRow> {
    change_pause(conn, actor, user_id, now, |running| {
        match running.paused_at {
            Some(_) => Err(TrackingError::Conflict(
                "The timer is already paused.".into(),
            )),
            None => Ok((Some(now), running.break_seconds)),
        }
    })
}

pub fn resume(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    now: i64,
) -> TrackingResult<EntryRow> {
    change_pause(conn, actor, user_id, now, |running| {
        match running.paused_at {
            None => Err(TrackingError::Conflict("The timer is not paused.".into())),
            Some(paused_at) => Ok((None, running.break_seconds + (now - paused_at).max(0))),
        }
    })
}

/// Sets the running entry's pause state to what `next` computes: (paused since, break seconds).
fn change_pause(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    now: i64,
    next: impl FnOnce(&EntryRow) -> TrackingResult<(Option<i64>, i64)>,
) -> TrackingResult<EntryRow> {
    check_actor(actor, user_id)?;
    let tx = immediate(conn)?;
    let running =
        entries::running_for_user(&tx, user_id, now)?.ok_or(TrackingError::NoTimerRunning)?;
    let (paused_at, breaks) = next(&running)?;
    entries::set_pause(&tx, running.id, paused_at, breaks, now)?;
    let entry = entries::by_id(&tx, running.id, now)?
        .ok_or(TrackingError::NotFound("The entry vanished."))?;
    tx.commit()?;
    Ok(entry)
}

/// Moves the start of the running timer ("I began at 9:00, not now").
pub fn adjust_start(
    conn: &mut Connection,
    actor: &Actor,
    user_id: i64,
    new_start: i64,
    now: i64,
) -> TrackingResult<EntryRow> {
    check_actor(actor, user_id)?;
    let tx = immediate(conn)?;
    let running =
        entries::running_for_user(&tx, user_id, now)?.ok_or(TrackingError::NoTimerRunning)?;
    let latest = running.paused_at.unwrap_or(now);
    if new_start > latest {
        return Err(TrackingError::Invalid(
            "The start cannot be in the future.".into(),
        ));
    }
    if now - new_start > 7 * 24 * 3600 {
        return Err(TrackingError::Invalid(
            "The start can move back at most 7 days; book older time as a manual entry.".into(),
        ));
    }
    entries::set_start(&tx, running.id, new_start, now)?;
    record(
        &tx,
        actor,
        "timer.adjust_start",
        &format!("entry:{}", running.id),
        Some(
            json!({ "before": { "start_at": running.start_at }, "after": { "start_at": new_start } }),
        ),
        now,
    )?;
    let entry = entries::by_id(&tx, running.id, now)?
        .ok_or(TrackingError::NotFound("The entry vanished."))?;
    tx.commit()?;
    Ok(entry)
}
