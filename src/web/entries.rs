//! The entries list (filters, totals over the whole filtered set, pagination, CSV of exactly
//! that set) and the manual entry form (create, edit, delete).

use super::templates::Template;
use crate::context;
use rocket::form::FromForm;
use rocket::http::{ContentType, Header};
use rocket::response::{Redirect, Responder};
use rocket::{get, post, State};
use rusqlite::Connection;

use super::layout::Layout;
use super::view::{actor, entry_views, options, parse_duration, presets, ListParams};
use crate::auth::csrf::CsrfForm;
use crate::auth::guards::{Client, CurrentUser};
use crate::db::{self, entries};
use crate::error::{AppError, AppResult};
use crate::tracking::entries::{self as service, Edit, ManualEntry, Saved};
use crate::tracking::settings::OrgSettings;
use crate::tracking::{export, hm, timezone, Source};
use crate::{has_csrf, AppState};

pub const PAGE_SIZE: i64 = 50;

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "saved" => "Saved.",
        "overlap" => "Saved. Note: this entry overlaps another of the same person's entries.",
        "deleted" => "Entry deleted.",
        _ => return None,
    })
}

#[get("/entries?<p..>")]
pub async fn list(
    state: &State<AppState>,
    user: CurrentUser,
    layout: Layout,
    p: ListParams,
) -> AppResult<Template> {
    let default_tz = state.config.timezone.clone();
    let notice = self::notice(p.notice.as_deref());
    state
        .db
        .run(move |c| -> AppResult<Template> {
            let now = db::now();
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let (filter, range) = p.filter(&s, &user, now)?;
            let page = p.page()?;
            let totals = entries::totals(c, &filter, now)?;
            let rows = entries::list(c, &filter, now, PAGE_SIZE, (page - 1) * PAGE_SIZE)?;
            let pages = ((totals.count + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
            let query = p.query(&range);
            Ok(Template::render(
                "entries.html",
                context! {
                    layout,
                    notice,
                    entries: entry_views(&rows, &s.tz),
                    total: hm(totals.seconds),
                    billable_total: hm(totals.billable_seconds),
                    count: totals.count,
                    page,
                    pages,
                    query,
                    params: &p,
                    range: &range,
                    presets: presets(),
                    options: options(c, user.user.is_admin, false)?,
                    is_admin: user.user.is_admin,
                },
            ))
        })
        .await
}

/// A CSV download.
#[derive(Responder)]
pub struct Csv {
    body: String,
    content_type: ContentType,
    disposition: Header<'static>,
}

impl Csv {
    pub fn new(body: String, name: &str) -> Csv {
        Csv {
            body,
            content_type: ContentType::new("text", "csv").with_params(("charset", "utf-8")),
            disposition: Header::new(
                "Content-Disposition",
                format!("attachment; filename=\"{name}\""),
            ),
        }
    }
}

/// Exactly the filtered set of the list page, every page of it.
#[get("/entries.csv?<p..>")]
pub async fn csv(state: &State<AppState>, user: CurrentUser, p: ListParams) -> AppResult<Csv> {
    let default_tz = state.config.timezone.clone();
    let body = state
        .db
        .run(move |c| -> AppResult<String> {
            let now = db::now();
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let (filter, _) = p.filter(&s, &user, now)?;
            let rows = entries::all(c, &filter, now)?;
            Ok(export::csv(&rows, &s.tz, s.rounding))
        })
        .await?;
    Ok(Csv::new(body, "time-entries.csv"))
}

#[derive(FromForm, Default)]
pub struct EntryForm {
    csrf_token: String,
    user_id: Option<i64>,
    project_id: Option<i64>,
    task_id: Option<i64>,
    /// `range` (start and end) or `duration` (date and duration).
    mode: Option<String>,
    start: Option<String>,
    end: Option<String>,
    date: Option<String>,
    duration: Option<String>,
    break_minutes: Option<String>,
    notes: Option<String>,
    tags: Option<String>,
    billable: bool,
}
has_csrf!(EntryForm);

/// Start, end and break in seconds from the form, in the organisation's timezone.
fn span(f: &EntryForm, s: &OrgSettings) -> AppResult<(i64, i64, i64)> {
    let bad = |m: &str| AppError::BadRequest(m.to_string());
    let breaks = match f
        .break_minutes
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => 0,
        Some(v) => {
            v.parse::<i64>()
                .ok()
                .filter(|m| (0..=7 * 24 * 60).contains(m))
                .ok_or_else(|| bad("The break is a number of minutes (at most a week)."))?
                * 60
        }
    };
    if f.mode.as_deref() == Some("duration") {
        let date = f
            .date
            .as_deref()
            .and_then(timezone::parse_date)
            .ok_or_else(|| bad("Enter the date as YYYY-MM-DD."))?;
        let secs = f
            .duration
            .as_deref()
            .and_then(parse_duration)
            .ok_or_else(|| bad("Enter the duration as 1:30, 1.5 or 90m."))?;
        // A date + duration entry is booked from 09:00 local time that day.
        let start = timezone::day_start(&s.tz, date) + 9 * 3600;
        return Ok((start, start + secs + breaks, breaks));
    }
    let at = |v: &Option<String>, what: &str| {
        v.as_deref()
            .and_then(|v| timezone::parse_local_datetime(&s.tz, v))
            .ok_or_else(|| AppError::BadRequest(format!("Enter the {what} as a date and time.")))
    };
    Ok((at(&f.start, "start")?, at(&f.end, "end")?, breaks))
}

fn form_page(
    c: &Connection,
    layout: Layout,
    user: &CurrentUser,
    s: &OrgSettings,
    entry: Option<&entries::EntryRow>,
) -> AppResult<Template> {
    let (start, end) = match entry {
        Some(e) => (
            timezone::format_local_input(&s.tz, e.start_at),
            e.end_at
                .map(|t| timezone::format_local_input(&s.tz, t))
                .unwrap_or_default(),
        ),
        None => {
            let now = db::now();
            (
                timezone::format_local_input(&s.tz, now - 3600),
                timezone::format_local_input(&s.tz, now),
            )
        }
    };
    Ok(Template::render(
        "entry_form.html",
        context! {
            layout,
            entry: entry.map(|e| super::view::entry_view(e, &s.tz)),
            start,
            end,
            today: timezone::local_date(&s.tz, db::now()).to_string(),
            options: options(c, user.user.is_admin, true)?,
            is_admin: user.user.is_admin,
            me: user.user.id,
            timezone: s.tz.name(),
        },
    ))
}

#[get("/entries/new")]
pub async fn new_page(
    state: &State<AppState>,
    user: CurrentUser,
    layout: Layout,
) -> AppResult<Template> {
    let default_tz = state.config.timezone.clone();
    state
        .db
        .run(move |c| {
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            form_page(c, layout, &user, &s, None)
        })
        .await
}

fn saved_redirect(saved: &Saved) -> Redirect {
    Redirect::to(if saved.overlaps.is_empty() {
        "/entries?notice=saved"
    } else {
        "/entries?notice=overlap"
    })
}

#[post("/entries", data = "<form>")]
pub async fn create(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    form: CsrfForm<EntryForm>,
) -> AppResult<Redirect> {
    let f = form.0;
    let actor = actor(&user, &client);
    let default_tz = state.config.timezone.clone();
    let saved = state
        .db
        .run(move |c| -> AppResult<Saved> {
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let (start_at, end_at, break_seconds) = span(&f, &s)?;
            let m = ManualEntry {
                user_id: f.user_id.unwrap_or(user.user.id),
                project_id: f
                    .project_id
                    .ok_or_else(|| AppError::BadRequest("Pick a project.".into()))?,
                task_id: f.task_id,
                start_at,
                end_at,
                break_seconds,
                notes: f.notes.unwrap_or_default(),
                billable: Some(f.billable),
                tags: f.tags.unwrap_or_default(),
            };
            Ok(service::create(c, &actor, &m, Source::Manual, db::now())?)
        })
        .await?;
    Ok(saved_redirect(&saved))
}

#[get("/entries/<id>/edit")]
pub async fn edit_page(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    layout: Layout,
    id: i64,
) -> AppResult<Template> {
    let actor = actor(&user, &client);
    let default_tz = state.config.timezone.clone();
    state
        .db
        .run(move |c| {
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let entry = service::owned(c, &actor, id, db::now())?;
            form_page(c, layout, &user, &s, Some(&entry))
        })
        .await
}

#[post("/entries/<id>", data = "<form>")]
pub async fn update(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    id: i64,
    form: CsrfForm<EntryForm>,
) -> AppResult<Redirect> {
    let f = form.0;
    let actor = actor(&user, &client);
    let default_tz = state.config.timezone.clone();
    let saved = state
        .db
        .run(move |c| -> AppResult<Saved> {
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let (start_at, end_at, break_seconds) = span(&f, &s)?;
            let e = Edit {
                project_id: f
                    .project_id
                    .ok_or_else(|| AppError::BadRequest("Pick a project.".into()))?,
                task_id: f.task_id,
                start_at,
                end_at,
                break_seconds,
                notes: f.notes.unwrap_or_default(),
                billable: f.billable,
                tags: f.tags.unwrap_or_default(),
            };
            Ok(service::update(c, &actor, id, &e, db::now())?)
        })
        .await?;
    Ok(saved_redirect(&saved))
}

#[derive(FromForm)]
pub struct DeleteForm {
    csrf_token: String,
}
has_csrf!(DeleteForm);

#[post("/entries/<id>/delete", data = "<_form>")]
pub async fn delete(
    state: &State<AppState>,
    user: CurrentUser,
    client: Client,
    id: i64,
    _form: CsrfForm<DeleteForm>,
) -> AppResult<Redirect> {
    let actor = actor(&user, &client);
    state
        .db
        .run(move |c| service::delete(c, &actor, id, db::now()))
        .await?;
    Ok(Redirect::to("/entries?notice=deleted"))
}
