//! The signed-in home page: the running timer, start/stop/switch/pause, "repeat last",
//! today's and this week's totals, and recent entries. The timer buttons post here.

use super::templates::Template;
use crate::context;
use rocket::form::FromForm;
use rocket::response::Redirect;
use rocket::{get, post, State};

use super::layout::Layout;
use super::view::{actor, entry_view, entry_views, options};
use crate::auth::csrf::{CsrfForm, CsrfOnly};
use crate::auth::guards::{Client, CurrentUser};
use crate::db::entries::{self, Filter};
use crate::db::{self};
use crate::error::{AppError, AppResult};
use crate::tracking::settings::OrgSettings;
use crate::tracking::timer::{self, StartRequest};
use crate::tracking::timezone::{self, day_bounds, week_bounds};
use crate::tracking::{hm, Source, TrackingError};
use crate::{has_csrf, AppState};

#[get("/")]
pub async fn dashboard(
    state: &State<AppState>,
    user: CurrentUser,
    layout: Layout,
) -> AppResult<Template> {
    let uid = user.user.id;
    let default_tz = state.config.timezone.clone();
    state
        .db
        .run(move |c| -> AppResult<Template> {
            let now = db::now();
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let running = timer::status(c, uid, now)?;
            let mine = |(from, to): (i64, i64)| Filter {
                from: Some(from),
                to: Some(to),
                user_id: Some(uid),
                ..Default::default()
            };
            let today = entries::totals(c, &mine(day_bounds(&s.tz, now)), now)?;
            let week = entries::totals(c, &mine(week_bounds(&s.tz, s.week_start, now)), now)?;
            let recent = entries::list(c, &Filter { user_id: Some(uid), ..Default::default() }, now, 10, 0)?;
            let last = entries::last_finished_for_user(c, uid, now)?;
            let opts = options(c, false, true)?;
            Ok(Template::render(
                "dashboard.html",
                context! {
                    layout,
                    running: running.as_ref().map(|e| entry_view(e, &s.tz)),
                    running_start_input: running.as_ref().map(|e| timezone::format_local_input(&s.tz, e.start_at)),
                    today: hm(today.seconds),
                    week: hm(week.seconds),
                    recent: entry_views(&recent, &s.tz),
                    last: last.as_ref().map(|e| entry_view(e, &s.tz)),
                    options: opts,
                    timezone: s.tz.name(),
                },
            ))
        })
        .await
}

#[derive(FromForm)]
pub struct TimerForm {
    csrf_token: String,
    project_id: Option<i64>,
    task_id: Option<i64>,
    notes: Option<String>,
}
has_csrf!(TimerForm);

fn request(user: &CurrentUser, f: TimerForm) -> AppResult<StartRequest> {
    Ok(StartRequest {
        user_id: user.user.id,
        project_id: f
            .project_id
            .ok_or_else(|| AppError::BadRequest("Pick a project.".into()))?,
        task_id: f.task_id,
        notes: f.notes.unwrap_or_default(),
        billable: None,
        tags: String::new(),
    })
}

#[post("/timer/start", data = "<form>")]
pub async fn start(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    form: CsrfForm<TimerForm>,
) -> AppResult<Redirect> {
    let req = request(&user, form.0)?;
    let actor = actor(&user, &client);
    state
        .db
        .run(move |c| timer::start(c, &actor, &req, Source::Web, db::now()))
        .await?;
    Ok(Redirect::to("/"))
}

#[post("/timer/switch", data = "<form>")]
pub async fn switch(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    form: CsrfForm<TimerForm>,
) -> AppResult<Redirect> {
    let req = request(&user, form.0)?;
    let actor = actor(&user, &client);
    state
        .db
        .run(move |c| timer::switch(c, &actor, &req, Source::Web, db::now()))
        .await?;
    Ok(Redirect::to("/"))
}

/// Starts a timer like the last finished entry (same project, task and notes).
#[post("/timer/repeat", data = "<_form>")]
pub async fn repeat(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    let actor = actor(&user, &client);
    let uid = user.user.id;
    state
        .db
        .run(move |c| -> AppResult<()> {
            let now = db::now();
            let last = entries::last_finished_for_user(c, uid, now)?.ok_or_else(|| {
                AppError::BadRequest("There is no earlier entry to repeat.".into())
            })?;
            let req = StartRequest {
                user_id: uid,
                project_id: last.project_id,
                task_id: last.task_id,
                notes: last.notes,
                billable: Some(last.billable),
                tags: last.tags,
            };
            timer::start(c, &actor, &req, Source::Web, now)?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to("/"))
}

/// stop, pause and resume: the same shape, one service call each.
async fn simple(
    state: &AppState,
    user: &CurrentUser,
    client: &Client,
    f: fn(
        &mut rusqlite::Connection,
        &crate::tracking::Actor,
        i64,
        i64,
    ) -> Result<crate::db::entries::EntryRow, TrackingError>,
) -> AppResult<Redirect> {
    let actor = actor(user, client);
    let uid = user.user.id;
    state.db.run(move |c| f(c, &actor, uid, db::now())).await?;
    Ok(Redirect::to("/"))
}

#[post("/timer/stop", data = "<_form>")]
pub async fn stop(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    simple(state, &user, &client, timer::stop).await
}

#[post("/timer/pause", data = "<_form>")]
pub async fn pause(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    simple(state, &user, &client, timer::pause).await
}

#[post("/timer/resume", data = "<_form>")]
pub async fn resume(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    simple(state, &user, &client, timer::resume).await
}

#[derive(FromForm)]
pub struct AdjustForm {
    csrf_token: String,
    start: String,
}
has_csrf!(AdjustForm);

#[post("/timer/adjust", data = "<form>")]
pub async fn adjust(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    form: CsrfForm<AdjustForm>,
) -> AppResult<Redirect> {
    let actor = actor(&user, &client);
    let uid = user.user.id;
    let default_tz = state.config.timezone.clone();
    let raw = form.0.start;
    state
        .db
        .run(move |c| -> AppResult<()> {
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let at = timezone::parse_local_datetime(&s.tz, &raw)
                .ok_or_else(|| AppError::BadRequest(format!("{raw:?} is not a date and time.")))?;
            timer::adjust_start(c, &actor, uid, at, db::now())?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to("/"))
}
