//! One-time links: the first-admin setup page and the set-password page.

use super::templates::Template;
use crate::context;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::Either;
use rocket::{get, post, State};

use super::layout::Layout;
use crate::auth::csrf::CsrfForm;
use crate::auth::guards::Client;
use crate::auth::setup::{self, SetupOutcome};
use crate::auth::{password, username};
use crate::db;
use crate::error::AppResult;
use crate::{has_csrf, AppState};

type Page = (Status, Template);

fn message(status: Status, title: &str, message: &str) -> Page {
    (
        status,
        Template::render(
            "error.html",
            context! { status: status.code, title, message, assets_version: super::assets::version() },
        ),
    )
}

fn expired_setup() -> Page {
    message(
        Status::Forbidden,
        "Setup link invalid or expired",
        "This setup link is invalid, used or older than one hour. Restart timetracker (it prints a new link while no administrator exists) or run timetracker init.",
    )
}

/// Checks a new password and its confirmation.
pub(crate) fn check_new_password(password: &str, confirm: &str) -> Result<(), &'static str> {
    password::check_new(password)?;
    if password != confirm {
        return Err("The two passwords do not match.");
    }
    Ok(())
}

#[get("/setup?<token>")]
pub async fn setup_page(
    state: &State<AppState>,
    layout: Layout,
    token: Option<String>,
) -> AppResult<Page> {
    let token = token.unwrap_or_default();
    let now = db::now();
    let check = token.clone();
    let (valid, admin_exists) = state
        .db
        .run(move |c| {
            Ok::<_, db::DbError>((
                setup::setup_token_valid(c, &check, now)?,
                db::users::active_admin_exists(c)?,
            ))
        })
        .await?;
    if admin_exists {
        return Ok(message(
            Status::Gone,
            "Setup is complete",
            "An administrator already exists. Sign in instead.",
        ));
    }
    if !valid {
        return Ok(expired_setup());
    }
    Ok((
        Status::Ok,
        Template::render(
            "setup.html",
            context! { layout, token, username: "", error: None::<&str> },
        ),
    ))
}

#[derive(FromForm)]
pub struct SetupForm {
    token: String,
    username: String,
    password: String,
    password_confirm: String,
    csrf_token: String,
}
has_csrf!(SetupForm);

#[post("/setup", data = "<form>")]
pub async fn setup_submit(
    state: &State<AppState>,
    layout: Layout,
    jar: &CookieJar<'_>,
    client: Client,
    form: CsrfForm<SetupForm>,
) -> AppResult<Either<Redirect, Page>> {
    let f = form.0;
    let rerender = |layout, error: &str, username: &str, token: &str| {
        Either::Right((
            Status::BadRequest,
            Template::render("setup.html", context! { layout, token, username, error }),
        ))
    };
    let name = match username::normalize(&f.username) {
        Ok(n) => n,
        Err(rule) => return Ok(rerender(layout, rule, &f.username, &f.token)),
    };
    if let Err(why) = check_new_password(&f.password, &f.password_confirm) {
        return Ok(rerender(layout, why, &name, &f.token));
    }
    let hash = password::hash(f.password).await?;
    let (token, uname) = (f.token.clone(), name.clone());
    let outcome = state
        .db
        .run(move |c| setup::complete_setup(c, &token, &uname, &hash, db::now()))
        .await?;
    match outcome {
        SetupOutcome::Created(user) => {
            tracing::info!(user = %user.username, "first administrator created through the setup link");
            super::sign_in(state, jar, user.id, &client, None).await?;
            Ok(Either::Left(Redirect::to("/")))
        }
        SetupOutcome::UsernameTaken => Ok(rerender(
            layout,
            "That username is taken; choose another.",
            &name,
            &f.token,
        )),
        SetupOutcome::LinkInvalid => Ok(Either::Right(expired_setup())),
    }
}

fn expired_reset() -> Page {
    message(
        Status::Forbidden,
        "Link invalid or expired",
        "This set-password link is invalid, used or expired. Ask an administrator for a new one.",
    )
}

#[get("/reset-password?<token>")]
pub async fn reset_page(
    state: &State<AppState>,
    layout: Layout,
    token: Option<String>,
) -> AppResult<Page> {
    let token = token.unwrap_or_default();
    let check = token.clone();
    let user = state
        .db
        .run(move |c| setup::reset_token_user(c, &check, db::now()))
        .await?;
    let Some(user) = user else {
        return Ok(expired_reset());
    };
    Ok((
        Status::Ok,
        Template::render(
            "reset_password.html",
            context! { layout, token, username: user.username, error: None::<&str> },
        ),
    ))
}

#[derive(FromForm)]
pub struct ResetForm {
    token: String,
    password: String,
    password_confirm: String,
    csrf_token: String,
}
has_csrf!(ResetForm);

#[post("/reset-password", data = "<form>")]
pub async fn reset_submit(
    state: &State<AppState>,
    layout: Layout,
    form: CsrfForm<ResetForm>,
) -> AppResult<Either<Redirect, Page>> {
    let f = form.0;
    if let Err(why) = check_new_password(&f.password, &f.password_confirm) {
        let check = f.token.clone();
        let user = state
            .db
            .run(move |c| setup::reset_token_user(c, &check, db::now()))
            .await?;
        let Some(user) = user else {
            return Ok(Either::Right(expired_reset()));
        };
        return Ok(Either::Right((
            Status::BadRequest,
            Template::render(
                "reset_password.html",
                context! { layout, token: f.token, username: user.username, error: why },
            ),
        )));
    }
    let hash = password::hash(f.password).await?;
    let token = f.token;
    let done = state
        .db
        .run(move |c| setup::complete_reset(c, &token, &hash, db::now()))
        .await?;
    match done {
        Some(user) => {
            tracing::info!(user = %user.username, "password set through a one-time link");
            Ok(Either::Left(Redirect::to("/login?notice=password_set")))
        }
        None => Ok(Either::Right(expired_reset())),
    }
}
