//! The JSON API under `/api/v1`: bearer tokens or the browser session (see
//! `auth::api_token`). Errors are `{"error": code, "message": text}` (see `error.rs`).

use rocket::http::Status;
use rocket::serde::json::{json, Value};
use rocket::{get, post, State};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::auth::api_token::{ApiAdmin, ApiRead, ApiUser, ApiWrite};
use crate::db::{self, entries, projects, tasks, users};
use crate::error::{AppError, AppResult};
use crate::tracking::entries::ManualEntry;
use crate::tracking::export::entry_json;
use crate::tracking::reports::resolve_range;
use crate::tracking::settings::OrgSettings;
use crate::tracking::timer::{self, StartRequest};
use crate::tracking::{self, Actor, Source};
use crate::AppState;

fn parse<T: DeserializeOwned + Default>(body: &str) -> AppResult<T> {
    if body.trim().is_empty() {
        return Ok(T::default());
    }
    serde_json::from_str(body).map_err(|e| {
        AppError::BadRequest(format!(
            "The request body is not valid JSON for this endpoint: {e}"
        ))
    })
}

fn actor(u: &ApiUser) -> Actor {
    Actor {
        client_ip: Some(u.client_ip.to_string()),
        ..Actor::user(u.user.id, u.is_admin())
    }
}

/// The user a request is about: the caller, or (for administrators) the named user.
fn target_user(
    conn: &rusqlite::Connection,
    caller: &ApiUser,
    name: Option<&str>,
) -> AppResult<i64> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(caller.user.id),
        Some(n) if n == caller.user.username => Ok(caller.user.id),
        Some(n) => {
            if !caller.is_admin() {
                return Err(AppError::Forbidden(
                    "Only administrators can act on another user's time.".into(),
                ));
            }
            let name =
                crate::auth::username::normalize(n).map_err(|r| AppError::BadRequest(r.into()))?;
            users::by_username(conn, &name)?
                .map(|u| u.id)
                .ok_or_else(|| AppError::Missing(format!("No user named {name:?}.")))
        }
    }
}

/// The caller (401 JSON without a session or token).
#[get("/api/v1/me")]
pub fn me(api: ApiRead) -> Value {
    let u = api.0.user;
    json!({
        "id": u.id,
        "username": u.username,
        "full_name": u.full_name,
        "email": u.email,
        "is_admin": u.is_admin,
        "auth_provider": u.auth_provider,
    })
}

#[get("/api/v1/projects")]
pub async fn list_projects(state: &State<AppState>, _api: ApiRead) -> AppResult<Value> {
    let (projects, tasks) = state
        .db
        .run(|c| -> Result<_, db::DbError> {
            Ok((projects::list(c, false)?, tasks::list(c, false)?))
        })
        .await?;
    let items: Vec<Value> = projects
        .iter()
        .map(|p| {
            let mut v = json!(p);
            v["tasks"] = json!(tasks
                .iter()
                .filter(|t| t.project_id == p.id)
                .collect::<Vec<_>>());
            v
        })
        .collect();
    Ok(json!({ "projects": items }))
}

#[derive(Deserialize, Default)]
struct NewProject {
    name: String,
    client_id: Option<i64>,
    billable: Option<bool>,
}

#[post("/api/v1/projects", data = "<body>")]
pub async fn create_project(
    state: &State<AppState>,
    api: ApiAdmin,
    body: String,
) -> AppResult<(Status, Value)> {
    let input: NewProject = parse(&body)?;
    let actor = actor(&api.0);
    let project = state
        .db
        .run(move |c| {
            tracking::projects::create_project(
                c,
                &actor,
                &input.name,
                input.client_id,
                input.billable.unwrap_or(true),
                db::now(),
            )
        })
        .await?;
    Ok((Status::Created, json!(project)))
}

#[get("/api/v1/timer")]
pub async fn timer_status(state: &State<AppState>, api: ApiRead) -> AppResult<Value> {
    let uid = api.0.user.id;
    let running = state
        .db
        .run(move |c| timer::status(c, uid, db::now()))
        .await?;
    Ok(json!({ "running": running.is_some(), "entry": running.as_ref().map(entry_json) }))
}

#[derive(Deserialize, Default)]
struct StartBody {
    project_id: Option<i64>,
    task_id: Option<i64>,
    #[serde(default)]
    notes: String,
    billable: Option<bool>,
    #[serde(default)]
    tags: Vec<String>,
    user: Option<String>,
}

fn start_request(
    conn: &rusqlite::Connection,
    api: &ApiUser,
    b: StartBody,
) -> AppResult<StartRequest> {
    let project_id = b
        .project_id
        .ok_or_else(|| AppError::BadRequest("project_id is required.".into()))?;
    Ok(StartRequest {
        user_id: target_user(conn, api, b.user.as_deref())?,
        project_id,
        task_id: b.task_id,
        notes: b.notes,
        billable: b.billable,
        tags: b.tags.join(","),
    })
}

#[post("/api/v1/timer/start", data = "<body>")]
pub async fn timer_start(
    state: &State<AppState>,
    api: ApiWrite,
    body: String,
) -> AppResult<(Status, Value)> {
    let input: StartBody = parse(&body)?;
    let actor = actor(&api.0);
    let entry = state
        .db
        .run(move |c| -> AppResult<_> {
            let req = start_request(c, &api.0, input)?;
            Ok(timer::start(c, &actor, &req, Source::Api, db::now())?)
        })
        .await?;
    Ok((Status::Created, entry_json(&entry)))
}

#[derive(Deserialize, Default)]
struct StopBody {
    user: Option<String>,
}

#[post("/api/v1/timer/stop", data = "<body>")]
pub async fn timer_stop(state: &State<AppState>, api: ApiWrite, body: String) -> AppResult<Value> {
    let input: StopBody = parse(&body)?;
    let actor = actor(&api.0);
    let entry = state
        .db
        .run(move |c| -> AppResult<_> {
            let uid = target_user(c, &api.0, input.user.as_deref())?;
            Ok(timer::stop(c, &actor, uid, db::now())?)
        })
        .await?;
    Ok(entry_json(&entry))
}

#[post("/api/v1/timer/switch", data = "<body>")]
pub async fn timer_switch(
    state: &State<AppState>,
    api: ApiWrite,
    body: String,
) -> AppResult<Value> {
    let input: StartBody = parse(&body)?;
    let actor = actor(&api.0);
    let (stopped, started) = state
        .db
        .run(move |c| -> AppResult<_> {
            let req = start_request(c, &api.0, input)?;
            Ok(timer::switch(c, &actor, &req, Source::Api, db::now())?)
        })
        .await?;
    Ok(json!({ "stopped": entry_json(&stopped), "started": entry_json(&started) }))
}

fn parse_id(v: Option<&str>, what: &str) -> AppResult<Option<i64>> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::BadRequest(format!("{what} must be a number, not {v:?}."))),
    }
}

#[allow(clippy::too_many_arguments)]
#[get("/api/v1/time-entries?<from>&<to>&<project_id>&<user>&<limit>&<offset>")]
pub async fn list_entries(
    state: &State<AppState>,
    api: ApiRead,
    from: Option<&str>,
    to: Option<&str>,
    project_id: Option<&str>,
    user: Option<&str>,
    limit: Option<&str>,
    offset: Option<&str>,
) -> AppResult<Value> {
    let project_id = parse_id(project_id, "project_id")?;
    let limit = parse_id(limit, "limit")?.unwrap_or(1000).clamp(1, 10_000);
    let offset = parse_id(offset, "offset")?.unwrap_or(0).max(0);
    let (from, to, user) = (
        from.map(str::to_string),
        to.map(str::to_string),
        user.map(str::to_string),
    );
    let default_tz = state.config.timezone.clone();
    let api = api.0;
    state
        .db
        .run(move |c| -> AppResult<Value> {
            let now = db::now();
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let range = resolve_range(&s, None, from.as_deref(), to.as_deref(), "all", now)
                .map_err(AppError::BadRequest)?;
            let user_id = match user.as_deref() {
                Some("all") if api.is_admin() => None,
                other => Some(target_user(c, &api, other)?),
            };
            let filter = entries::Filter {
                from: range.from,
                to: range.to,
                user_id,
                project_id,
                ..Default::default()
            };
            let rows = entries::list(c, &filter, now, limit, offset)?;
            let totals = entries::totals(c, &filter, now)?;
            Ok(json!({
                "entries": rows.iter().map(entry_json).collect::<Vec<_>>(),
                "total_seconds": totals.seconds,
                "count": totals.count,
                "limit": limit,
                "offset": offset,
            }))
        })
        .await
}

#[derive(Deserialize, Default)]
struct EntryBody {
    project_id: Option<i64>,
    task_id: Option<i64>,
    start: Option<String>,
    end: Option<String>,
    #[serde(default)]
    notes: String,
    billable: Option<bool>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    break_seconds: i64,
    user: Option<String>,
}

fn instant(v: Option<&str>, what: &str) -> AppResult<i64> {
    let v = v.ok_or_else(|| AppError::BadRequest(format!("{what} is required (RFC 3339).")))?;
    chrono::DateTime::parse_from_rfc3339(v.trim())
        .map(|d| d.timestamp())
        .map_err(|_| {
            AppError::BadRequest(format!(
                "{what} {v:?} is not an RFC 3339 time such as 2026-12-03T09:00:00Z."
            ))
        })
}

#[post("/api/v1/time-entries", data = "<body>")]
pub async fn create_entry(
    state: &State<AppState>,
    api: ApiWrite,
    body: String,
) -> AppResult<(Status, Value)> {
    let b: EntryBody = parse(&body)?;
    let actor = actor(&api.0);
    let saved = state
        .db
        .run(move |c| -> AppResult<_> {
            let m = ManualEntry {
                user_id: target_user(c, &api.0, b.user.as_deref())?,
                project_id: b
                    .project_id
                    .ok_or_else(|| AppError::BadRequest("project_id is required.".into()))?,
                task_id: b.task_id,
                start_at: instant(b.start.as_deref(), "start")?,
                end_at: instant(b.end.as_deref(), "end")?,
                break_seconds: b.break_seconds,
                notes: b.notes,
                billable: b.billable,
                tags: b.tags.join(","),
            };
            Ok(tracking::entries::create(
                c,
                &actor,
                &m,
                Source::Api,
                db::now(),
            )?)
        })
        .await?;
    let mut v = entry_json(&saved.entry);
    v["overlaps"] = json!(saved.overlaps.iter().map(|e| e.id).collect::<Vec<_>>());
    Ok((Status::Created, v))
}
