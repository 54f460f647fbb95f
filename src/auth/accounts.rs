//! Account changes an administrator makes (web admin pages and the CLI share them):
//! deactivation ends sessions and stops the running timer in the same transaction.

use rusqlite::Connection;
use serde_json::json;

use super::session;
use crate::db::users::{self, User};
use crate::db::{audit, DbError};
use crate::tracking::timer;
use crate::tracking::{Actor, TrackingError, TrackingResult};

fn record(
    conn: &Connection,
    actor: &Actor,
    action: &str,
    user: &User,
    detail: Option<serde_json::Value>,
    now: i64,
) -> Result<(), DbError> {
    audit::record(
        conn,
        &audit::Entry {
            actor_user_id: actor.user_id,
            action,
            target: Some(&user.username),
            detail,
            client_ip: actor.client_ip.as_deref(),
        },
        now,
    )
}

/// What deactivation did.
pub struct Deactivated {
    pub sessions_ended: usize,
    pub timer_stopped: bool,
}

/// Turns an account off: it can't sign in, its sessions end and its timer stops, at once.
pub fn deactivate(
    conn: &mut Connection,
    actor: &Actor,
    user: &User,
    action: &str,
    now: i64,
) -> TrackingResult<Deactivated> {
    if actor.user_id == Some(user.id) {
        return Err(TrackingError::Invalid(
            "You cannot deactivate your own account.".into(),
        ));
    }
    let tx = conn.transaction()?;
    users::set_active(&tx, user.id, false)?;
    let sessions_ended = session::end_all_for_user(&tx, user.id)?;
    let stopped = timer::stop_within(&tx, user.id, now)?;
    record(
        &tx,
        actor,
        action,
        user,
        Some(
            json!({ "sessions_ended": sessions_ended, "stopped_entry": stopped.as_ref().map(|e| e.id) }),
        ),
        now,
    )?;
    tx.commit()?;
    Ok(Deactivated {
        sessions_ended,
        timer_stopped: stopped.is_some(),
    })
}

pub fn activate(
    conn: &Connection,
    actor: &Actor,
    user: &User,
    action: &str,
    now: i64,
) -> TrackingResult<()> {
    users::set_active(conn, user.id, true)?;
    record(conn, actor, action, user, None, now)?;
    Ok(())
}

/// Grants or revokes administrator rights; the user's sessions end (a privilege change gets
/// fresh sessions, like a sign-in).
pub fn set_admin(
    conn: &mut Connection,
    actor: &Actor,
    user: &User,
    admin: bool,
    prefix: &str,
    now: i64,
) -> TrackingResult<()> {
    if actor.user_id == Some(user.id) && !admin {
        return Err(TrackingError::Invalid(
            "You cannot remove your own administrator role.".into(),
        ));
    }
    let tx = conn.transaction()?;
    users::set_admin(&tx, user.id, admin)?;
    session::end_all_for_user(&tx, user.id)?;
    let action = format!(
        "{prefix}.{}",
        if admin { "grant_admin" } else { "revoke_admin" }
    );
    record(&tx, actor, &action, user, None, now)?;
    tx.commit()?;
    Ok(())
}
