//! Clients, projects and tasks: creation, archiving, and the check that new time may be
//! booked on a project.

use rusqlite::Connection;

use super::{Actor, TrackingError, TrackingResult};
use crate::db::clients::{self, ClientRow};
use crate::db::projects::{self, ProjectRow};
use crate::db::tasks::{self, TaskRow};
use crate::db::{self, audit};

fn clean_name(raw: &str, what: &str) -> TrackingResult<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(TrackingError::Invalid(format!(
            "A {what} name is 1 to 200 characters."
        )));
    }
    Ok(name.to_string())
}

fn require_admin(actor: &Actor) -> TrackingResult<()> {
    if actor.is_admin {
        Ok(())
    } else {
        Err(TrackingError::Forbidden(
            "Only administrators manage clients, projects and tasks.",
        ))
    }
}

pub(crate) fn record(
    conn: &Connection,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: Option<serde_json::Value>,
    now: i64,
) -> TrackingResult<()> {
    audit::record(
        conn,
        &audit::Entry {
            actor_user_id: actor.user_id,
            action,
            target: Some(target),
            detail,
            client_ip: actor.client_ip.as_deref(),
        },
        now,
    )?;
    Ok(())
}

/// The project and task new time goes to; refuses archived ones and foreign tasks.
pub fn bookable(
    conn: &Connection,
    project_id: i64,
    task_id: Option<i64>,
) -> TrackingResult<(ProjectRow, Option<TaskRow>)> {
    let project =
        projects::by_id(conn, project_id)?.ok_or(TrackingError::NotFound("No such project."))?;
    if project.archived {
        return Err(TrackingError::ProjectArchived(project.name));
    }
    let task = match task_id {
        None => None,
        Some(id) => {
            let task = tasks::by_id(conn, id)?
                .filter(|t| t.project_id == project.id)
                .ok_or_else(|| {
                    TrackingError::Invalid("That task does not belong to the project.".into())
                })?;
            if task.archived {
                return Err(TrackingError::Invalid(format!(
                    "The task {:?} is archived and takes no new time.",
                    task.name
                )));
            }
            Some(task)
        }
    };
    Ok((project, task))
}

pub fn create_client(
    conn: &Connection,
    actor: &Actor,
    name: &str,
    now: i64,
) -> TrackingResult<ClientRow> {
    require_admin(actor)?;
    let name = clean_name(name, "client")?;
    let id = match clients::insert(conn, &name, now) {
        Ok(id) => id,
        Err(e) if db::is_constraint_violation(&e) => {
            return Err(TrackingError::Conflict(format!(
                "A client named {name:?} exists already."
            )))
        }
        Err(e) => return Err(e.into()),
    };
    record(conn, actor, "client.create", &name, None, now)?;
    clients::by_id(conn, id)?.ok_or(TrackingError::NotFound("No such client."))
}

pub fn create_project(
    conn: &Connection,
    actor: &Actor,
    name: &str,
    client_id: Option<i64>,
    billable: bool,
    now: i64,
) -> TrackingResult<ProjectRow> {
    require_admin(actor)?;
    let name = clean_name(name, "project")?;
    if let Some(cid) = client_id {
        clients::by_id(conn, cid)?.ok_or(TrackingError::NotFound("No such client."))?;
    }
    let id = match projects::insert(conn, &name, client_id, billable, now) {
        Ok(id) => id,
        Err(e) if db::is_constraint_violation(&e) => {
            return Err(TrackingError::Conflict(format!(
                "A project named {name:?} exists already."
            )))
        }
        Err(e) => return Err(e.into()),
    };
    record(conn, actor, "project.create", &name, None, now)?;
    projects::by_id(conn, id)?.ok_or(TrackingError::NotFound("No such project."))
}

pub fn create_task(
    conn: &Connection,
    actor: &Actor,
    project_id: i64,
    name: &str,
    now: i64,
) -> TrackingResult<TaskRow> {
    require_admin(actor)?;
    let name = clean_name(name, "task")?;
    let project =
        projects::by_id(conn, project_id)?.ok_or(TrackingError::NotFound("No such project."))?;
    let id = match tasks::insert(conn, project.id, &name, now) {
        Ok(id) => id,
        Err(e) if db::is_constraint_violation(&e) => {
            return Err(TrackingError::Conflict(format!(
                "The project already has a task named {name:?}."
            )))
        }
        Err(e) => return Err(e.into()),
    };
    record(
        conn,
        actor,
        "task.create",
        &format!("{}/{name}", project.name),
        None,
        now,
    )?;
    tasks::by_id(conn, id)?.ok_or(TrackingError::NotFound("No such task."))
}

/// What can be archived.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Client,
    Project,
    Task,
}

/// Archives (or restores) a client, project or task. History stays; new time is refused.
pub fn set_archived(
    conn: &Connection,
    actor: &Actor,
    kind: Kind,
    id: i64,
    archived: bool,
    now: i64,
) -> TrackingResult<()> {
    require_admin(actor)?;
    let (changed, what) = match kind {
        Kind::Client => (clients::set_archived(conn, id, archived)?, "client"),
        Kind::Project => (projects::set_archived(conn, id, archived)?, "project"),
        Kind::Task => (tasks::set_archived(conn, id, archived)?, "task"),
    };
    if changed == 0 {
        return Err(TrackingError::NotFound("There is no such item."));
    }
    let action = format!("{what}.{}", if archived { "archive" } else { "restore" });
    record(conn, actor, &action, &id.to_string(), None, now)
}
