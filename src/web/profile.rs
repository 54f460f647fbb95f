//! The profile page: change or set a password, sign out everywhere.

use super::templates::Template;
use crate::context;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::Either;
use rocket::{get, post, State};

use super::layout::{notice_text, Layout};
use crate::auth::csrf::{CsrfForm, CsrfOnly};
use crate::auth::guards::{Client, CurrentUser};
use crate::auth::{password, session, setup, throttle};
use crate::db::{self, DbError};
use crate::db::{audit, sessions, users};
use crate::error::AppResult;
use crate::kiosk::credentials;
use crate::{has_csrf, AppState};

/// Which form an error belongs to, so it shows beside that form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Password,
    Kiosk,
}

async fn render(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    status: Status,
    error: Option<(Section, String)>,
    notice: Option<&str>,
) -> AppResult<(Status, Template)> {
    let u = &user.user;
    let uid = u.id;
    let (has_pin, has_badge) = state
        .db
        .run(move |c| users::kiosk_credentials(c, uid))
        .await?;
    let (password_error, kiosk_error) = match error {
        Some((Section::Password, e)) => (Some(e), None),
        Some((Section::Kiosk, e)) => (None, Some(e)),
        None => (None, None),
    };
    Ok((
        status,
        Template::render(
            "profile.html",
            context! {
                layout,
                username: &u.username,
                full_name: &u.full_name,
                email: &u.email,
                auth_provider: &u.auth_provider,
                is_admin: u.is_admin,
                has_password: u.has_password(),
                has_pin,
                has_badge,
                error: password_error,
                kiosk_error,
                notice: notice_text(notice),
            },
        ),
    ))
}

#[get("/profile?<notice>")]
pub async fn profile(
    state: &State<AppState>,
    user: CurrentUser,
    layout: Layout,
    notice: Option<&str>,
) -> AppResult<(Status, Template)> {
    render(state, layout, &user, Status::Ok, None, notice).await
}

/// The profile again, with `why` beside the form of `section`.
async fn refused(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    status: Status,
    section: Section,
    why: String,
) -> AppResult<Either<Redirect, (Status, Template)>> {
    let page = render(state, layout, user, status, Some((section, why)), None).await?;
    Ok(Either::Right(page))
}

/// Re-authentication for credential changes: the current password, when the account has
/// one, checked under the sign-in throttle.
async fn reauthenticate(
    state: &AppState,
    user: &CurrentUser,
    client: &Client,
    current: Option<String>,
) -> AppResult<Result<(), String>> {
    let Some(hash) = user.user.password_hash.clone() else {
        return Ok(Ok(()));
    };
    let keys = vec![
        throttle::account_key(&user.user.username),
        throttle::ip_key(&client.ip.to_string()),
    ];
    let now = db::now();
    let k = keys.clone();
    if let Some(wait) = state
        .db
        .run(move |c| throttle::retry_after(c, &k, now))
        .await?
    {
        return Ok(Err(format!(
            "Too many failed attempts. Try again in {wait} s."
        )));
    }
    if !password::verify(current.unwrap_or_default(), Some(hash)).await? {
        state
            .db
            .run(move |c| throttle::record_failure(c, &keys, now))
            .await?;
        return Ok(Err("Your current password is not correct.".into()));
    }
    Ok(Ok(()))
}

#[derive(FromForm)]
pub struct PasswordForm {
    current_password: Option<String>,
    new_password: String,
    new_password_confirm: String,
    csrf_token: String,
}
has_csrf!(PasswordForm);

#[post("/profile/password", data = "<form>")]
pub async fn change_password(
    state: &State<AppState>,
    layout: Layout,
    jar: &CookieJar<'_>,
    client: Client,
    user: CurrentUser,
    form: CsrfForm<PasswordForm>,
) -> AppResult<Either<Redirect, (Status, Template)>> {
    let f = form.0;
    let now = db::now();
    if let Err(why) = reauthenticate(state, &user, &client, f.current_password).await? {
        return refused(
            state,
            layout,
            &user,
            Status::BadRequest,
            Section::Password,
            why,
        )
        .await;
    }
    if let Err(why) = super::setup::check_new_password(&f.new_password, &f.new_password_confirm) {
        return refused(
            state,
            layout,
            &user,
            Status::BadRequest,
            Section::Password,
            why.into(),
        )
        .await;
    }
    let hash = password::hash(f.new_password).await?;
    let target = user.user.clone();
    let this_session = user.session.id_hash.clone();
    let hint = state
        .db
        .run(move |c| -> Result<Option<String>, DbError> {
            let tx = c.transaction()?;
            // Kept for the new session, so that signing out still ends the IdP's session too.
            let hint = sessions::take(&tx, &this_session)?.flatten();
            setup::set_password(
                &tx,
                &target,
                &hash,
                Some(target.id),
                "user.password_change",
                now,
            )?;
            throttle::clear(&tx, &throttle::account_key(&target.username))?;
            tx.commit()?;
            Ok(hint)
        })
        .await?;
    // Every session ended with the change; this browser gets a fresh one.
    super::sign_in(state, jar, user.user.id, &client, hint).await?;
    tracing::info!(user = %user.user.username, "password changed");
    Ok(Either::Left(Redirect::to(
        "/profile?notice=password_changed",
    )))
}

#[post("/profile/sign-out-everywhere", data = "<_form>")]
pub async fn sign_out_everywhere(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    user: CurrentUser,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    let uid = user.user.id;
    let n = state
        .db
        .run(move |c| session::end_all_for_user(c, uid))
        .await?;
    super::clear_session_cookie(jar);
    tracing::info!(user = %user.user.username, sessions = n, "signed out everywhere");
    Ok(Redirect::to("/login?notice=signed_out_everywhere"))
}

#[derive(FromForm)]
pub struct PinForm {
    current_password: Option<String>,
    pin: String,
    pin_confirm: String,
    csrf_token: String,
}
has_csrf!(PinForm);

#[post("/profile/pin", data = "<form>")]
pub async fn set_pin(
    state: &State<AppState>,
    layout: Layout,
    client: Client,
    user: CurrentUser,
    form: CsrfForm<PinForm>,
) -> AppResult<Either<Redirect, (Status, Template)>> {
    let f = form.0;
    let problem = match reauthenticate(state, &user, &client, f.current_password).await? {
        Err(why) => Some(why),
        Ok(()) => match credentials::check_pin(&f.pin) {
            Err(rule) => Some(rule.to_string()),
            Ok(()) if f.pin != f.pin_confirm => Some("The two PINs do not match.".into()),
            Ok(()) => None,
        },
    };
    if let Some(why) = problem {
        return refused(
            state,
            layout,
            &user,
            Status::BadRequest,
            Section::Kiosk,
            why,
        )
        .await;
    }
    let hash = password::hash(f.pin).await?;
    let (uid, name) = (user.user.id, user.user.username.clone());
    state
        .db
        .run(move |c| -> Result<(), DbError> {
            users::set_pin_hash(c, uid, Some(&hash))?;
            audit::record(
                c,
                &audit::Entry {
                    actor_user_id: Some(uid),
                    action: "user.pin_set",
                    target: Some(&name),
                    detail: None,
                    client_ip: None,
                },
                db::now(),
            )
        })
        .await?;
    Ok(Either::Left(Redirect::to("/profile?notice=pin_set")))
}

#[derive(FromForm)]
pub struct BadgeForm {
    current_password: Option<String>,
    badge: String,
    csrf_token: String,
}
has_csrf!(BadgeForm);

#[post("/profile/badge", data = "<form>")]
pub async fn set_badge(
    state: &State<AppState>,
    layout: Layout,
    client: Client,
    user: CurrentUser,
    form: CsrfForm<BadgeForm>,
) -> AppResult<Either<Redirect, (Status, Template)>> {
    let f = form.0;
    let code = match reauthenticate(state, &user, &client, f.current_password).await? {
        Err(why) => Err(why),
        Ok(()) => credentials::normalize_badge(&f.badge).map_err(str::to_string),
    };
    let code = match code {
        Ok(c) => c,
        Err(why) => {
            return refused(
                state,
                layout,
                &user,
                Status::BadRequest,
                Section::Kiosk,
                why,
            )
            .await
        }
    };
    let digest = credentials::badge_digest(state.config.secret(), &code);
    let (uid, name) = (user.user.id, user.user.username.clone());
    let taken = state
        .db
        .run(move |c| -> Result<bool, DbError> {
            match users::set_badge_hash(c, uid, Some(&digest)) {
                Err(e) if db::is_constraint_violation(&e) => return Ok(true),
                other => other?,
            }
            audit::record(
                c,
                &audit::Entry {
                    actor_user_id: Some(uid),
                    action: "user.badge_set",
                    target: Some(&name),
                    detail: None,
                    client_ip: None,
                },
                db::now(),
            )?;
            Ok(false)
        })
        .await?;
    if taken {
        let why = "That badge is already registered to another account.".to_string();
        return refused(state, layout, &user, Status::Conflict, Section::Kiosk, why).await;
    }
    Ok(Either::Left(Redirect::to("/profile?notice=badge_set")))
}
