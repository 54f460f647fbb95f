//! The kiosk terminal screens: idle/identify, the person's timer screen, the confirmation.
//! Only these routes accept the kiosk session; every timer action goes through the same
//! `tracking::timer` functions as the rest of the app, with `source = kiosk`.

use super::templates::Template;
use crate::context;
use rocket::form::FromForm;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::{get, post, Either, State};
use serde::Serialize;

use crate::auth::csrf::{CsrfForm, CsrfOnly, CsrfToken};
use crate::auth::guards::{Client, KioskSession};
use crate::auth::session::{self, ClientInfo};
use crate::db::{self, projects, users, DbError};
use crate::error::{AppError, AppResult};
use crate::kiosk::identify::{self, allowed, Attempt, Method, Outcome};
use crate::kiosk::settings::KioskSettings;
use crate::tracking::settings::OrgSettings;
use crate::tracking::timer::{self, StartRequest};
use crate::tracking::{hm, Actor, Source, TrackingError};

/// "1:05" for an hour and five minutes, but "42 s" for a short run (never a bare "0:00").
fn worked(seconds: i64) -> String {
    if seconds < 60 {
        format!("{} s", seconds.max(0))
    } else {
        hm(seconds)
    }
}
use crate::{has_csrf, AppState};

type Page = (Status, Template);

#[derive(Serialize)]
struct IdleView {
    org: String,
    badge: bool,
    pin: bool,
    password: bool,
    username_only: bool,
    users: Vec<String>,
    csrf_token: String,
    assets_version: &'static str,
    /// After this long without input the page reloads, so typed names and errors vanish.
    idle_seconds: i64,
}

async fn idle_view(state: &AppState, csrf: String) -> AppResult<(KioskSettings, IdleView)> {
    let tz = state.config.timezone.clone();
    let (ks, org, names) = state
        .db
        .run(move |c| -> Result<_, DbError> {
            let ks = KioskSettings::load(c)?;
            let org = OrgSettings::load(c, tz.as_deref())?.organisation_name;
            let names = if ks.enabled && ks.show_user_list {
                users::list(c)?
                    .into_iter()
                    .filter(|u| u.is_active)
                    .map(|u| u.username)
                    .collect()
            } else {
                Vec::new()
            };
            Ok((ks, org, names))
        })
        .await?;
    let methods = allowed(state.config.auth_method, ks.auth);
    let view = IdleView {
        org,
        badge: methods.contains(&Method::Badge),
        pin: methods.contains(&Method::Pin),
        password: methods.contains(&Method::Password),
        username_only: methods.contains(&Method::UsernameOnly),
        users: names,
        csrf_token: csrf,
        assets_version: super::assets::version(),
        idle_seconds: ks.idle_seconds,
    };
    Ok((ks, view))
}

fn off_page() -> Page {
    (
        Status::Ok,
        Template::render(
            "kiosk_off.html",
            context! { assets_version: super::assets::version() },
        ),
    )
}

#[get("/kiosk")]
pub async fn index(
    state: &State<AppState>,
    csrf: CsrfToken,
    kiosk: Option<KioskSession>,
) -> AppResult<Either<Redirect, Page>> {
    if kiosk.is_some() {
        return Ok(Either::Left(Redirect::to("/kiosk/home")));
    }
    let (ks, view) = idle_view(state, csrf.0).await?;
    if !ks.enabled {
        return Ok(Either::Right(off_page()));
    }
    Ok(Either::Right((
        Status::Ok,
        Template::render(
            "kiosk_idle.html",
            context! { assets_version: view.assets_version, v: view, error: None::<&str>, username: "" },
        ),
    )))
}

#[derive(FromForm)]
pub struct IdentifyForm {
    csrf_token: String,
    username: Option<String>,
    pin: Option<String>,
    password: Option<String>,
    badge: Option<String>,
}
has_csrf!(IdentifyForm);

#[post("/kiosk/identify", data = "<form>")]
pub async fn identify_submit(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    client: Client,
    csrf: CsrfToken,
    form: CsrfForm<IdentifyForm>,
) -> AppResult<Either<Redirect, Page>> {
    let f = form.0;
    let (ks, view) = idle_view(state, csrf.0).await?;
    if !ks.enabled {
        return Ok(Either::Right(off_page()));
    }
    let typed = f.username.clone().unwrap_or_default();
    let attempt = Attempt {
        username: f.username,
        pin: f.pin,
        password: f.password,
        badge: f.badge,
        terminal: client.ip.to_string(),
    };
    let outcome = identify::identify(
        &state.db,
        state.config.secret(),
        state.config.auth_method,
        &ks,
        attempt,
    )
    .await?;
    let (status, error) = match outcome {
        Outcome::Identified(user) => {
            let policy = ks.session_policy();
            let (ip, ua) = (client.ip.to_string(), client.user_agent.clone());
            let issued = state
                .db
                .run(move |c| {
                    let info = ClientInfo {
                        ip: Some(&ip),
                        user_agent: ua.as_deref(),
                        id_token_hint: None,
                    };
                    session::start(c, user.id, session::KIND_KIOSK, policy, &info, db::now())
                })
                .await?;
            jar.add(
                Cookie::build((session::KIOSK_COOKIE, issued.cookie_value))
                    .http_only(true)
                    .same_site(SameSite::Strict)
                    .secure(state.config.session_cookie_secure)
                    .path("/kiosk"),
            );
            return Ok(Either::Left(Redirect::to("/kiosk/home")));
        }
        Outcome::Invalid => (
            Status::Unauthorized,
            "Not recognised. Please try again.".to_string(),
        ),
        Outcome::Throttled(wait) => (
            Status::TooManyRequests,
            format!("Too many attempts. Try again in {wait} s."),
        ),
        Outcome::NotAllowed => (
            Status::BadRequest,
            "That way of identifying is not enabled on this terminal.".to_string(),
        ),
    };
    Ok(Either::Right((
        status,
        Template::render(
            "kiosk_idle.html",
            context! { assets_version: view.assets_version, v: view, error, username: typed.trim() },
        ),
    )))
}

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "started" => "Timer started.",
        "switched" => "Switched.",
        "stopped" => "Timer stopped.",
        "paused" => "Paused.",
        "resumed" => "Resumed.",
        _ => return None,
    })
}

async fn home_page(
    state: &AppState,
    k: &KioskSession,
    status: Status,
    error: Option<String>,
    notice: Option<&str>,
) -> AppResult<Page> {
    let uid = k.user.id;
    let (running, tiles) = state
        .db
        .run(move |c| -> Result<_, TrackingError> {
            let running = timer::status(c, uid, db::now())?;
            let tiles = projects::recent_first_for_user(c, uid)?;
            Ok((running, tiles))
        })
        .await?;
    let elapsed = running.as_ref().map(|r| hm(r.duration_seconds));
    Ok((
        status,
        Template::render(
            "kiosk_home.html",
            context! {
                name: k.user.full_name.clone().unwrap_or_else(|| k.user.username.clone()),
                running,
                elapsed,
                tiles,
                csrf_token: &k.session.csrf_token,
                idle_seconds: k.settings.idle_seconds,
                assets_version: super::assets::version(),
                error,
                notice: notice_text(notice),
            },
        ),
    ))
}

#[get("/kiosk/home?<notice>")]
pub async fn home(
    state: &State<AppState>,
    kiosk: KioskSession,
    notice: Option<&str>,
) -> AppResult<Page> {
    home_page(state, &kiosk, Status::Ok, None, notice).await
}

#[derive(FromForm)]
pub struct ActionForm {
    csrf_token: String,
    action: Option<String>,
    project_id: Option<i64>,
    note: Option<String>,
    stay: Option<bool>,
}
has_csrf!(ActionForm);

/// What happened, for the confirmation screen.
struct Done {
    code: &'static str,
    message: String,
}

#[post("/kiosk/action", data = "<form>")]
pub async fn action(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    kiosk: KioskSession,
    form: CsrfForm<ActionForm>,
) -> AppResult<Either<Redirect, Page>> {
    let f = form.0;
    let uid = kiosk.user.id;
    let actor = Actor::user(uid, false);
    let note = f.note.unwrap_or_default();
    let action = f.action.unwrap_or_default();
    let project = f.project_id;
    let result = state
        .db
        .run(move |c| -> Result<Done, TrackingError> {
            let now = db::now();
            let start = |project_id| StartRequest {
                user_id: uid,
                project_id,
                notes: note.clone(),
                ..StartRequest::default()
            };
            match (action.as_str(), project) {
                ("stop", _) => {
                    let e = timer::stop(c, &actor, uid, now)?;
                    Ok(Done {
                        code: "stopped",
                        message: format!(
                            "Stopped {} after {}.",
                            e.project,
                            worked(e.duration_seconds)
                        ),
                    })
                }
                ("pause", _) => {
                    let e = timer::pause(c, &actor, uid, now)?;
                    Ok(Done {
                        code: "paused",
                        message: format!("{} is paused.", e.project),
                    })
                }
                ("resume", _) => {
                    let e = timer::resume(c, &actor, uid, now)?;
                    Ok(Done {
                        code: "resumed",
                        message: format!("{} is running again.", e.project),
                    })
                }
                (_, Some(pid)) => {
                    if timer::status(c, uid, now)?.is_some() {
                        let (stopped, started) =
                            timer::switch(c, &actor, &start(pid), Source::Kiosk, now)?;
                        Ok(Done {
                            code: "switched",
                            message: format!(
                                "Stopped {} after {}. Now on {}.",
                                stopped.project,
                                worked(stopped.duration_seconds),
                                started.project
                            ),
                        })
                    } else {
                        let e = timer::start(c, &actor, &start(pid), Source::Kiosk, now)?;
                        Ok(Done {
                            code: "started",
                            message: format!("Started {}.", e.project),
                        })
                    }
                }
                _ => Err(TrackingError::Invalid(
                    "Choose a project or an action.".into(),
                )),
            }
        })
        .await;
    let done = match result {
        Ok(d) => d,
        Err(TrackingError::Db(e)) => return Err(AppError::Db(e)),
        Err(e) => {
            let status = match e {
                TrackingError::Invalid(_) => Status::BadRequest,
                TrackingError::NotFound(_) => Status::NotFound,
                _ => Status::Conflict,
            };
            return Ok(Either::Right(
                home_page(state, &kiosk, status, Some(e.to_string()), None).await?,
            ));
        }
    };
    tracing::info!(user = %kiosk.user.username, action = done.code, "kiosk action");
    if f.stay.unwrap_or(false) {
        return Ok(Either::Left(Redirect::to(format!(
            "/kiosk/home?notice={}",
            done.code
        ))));
    }
    end(state, jar, &kiosk).await?;
    Ok(Either::Right((
        Status::Ok,
        Template::render(
            "kiosk_done.html",
            context! { message: done.message, name: kiosk.user.full_name.clone().unwrap_or(kiosk.user.username.clone()), assets_version: super::assets::version() },
        ),
    )))
}

async fn end(state: &AppState, jar: &CookieJar<'_>, k: &KioskSession) -> AppResult<()> {
    let id_hash = k.session.id_hash.clone();
    state
        .db
        .run(move |c| db::sessions::delete(c, &id_hash))
        .await?;
    jar.remove(Cookie::build(session::KIOSK_COOKIE).path("/kiosk"));
    Ok(())
}

/// "Done": the person leaves without an action.
#[post("/kiosk/logout", data = "<_form>")]
pub async fn logout(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    kiosk: KioskSession,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    end(state, jar, &kiosk).await?;
    Ok(Redirect::to("/kiosk"))
}
