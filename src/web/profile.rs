//! The profile page: change or set a password, sign out everywhere.

use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::Either;
use rocket::{get, post, State};
use rocket_dyn_templates::{context, Template};

use super::layout::{notice_text, Layout};
use crate::auth::csrf::CsrfForm;
use crate::auth::guards::{Client, CurrentUser};
use crate::auth::{password, session, setup, throttle};
use crate::db::{self, DbError};
use crate::error::AppResult;
use crate::{has_csrf, AppState};

fn render(
    layout: Layout,
    user: &CurrentUser,
    status: Status,
    error: Option<String>,
    notice: Option<&str>,
) -> (Status, Template) {
    let u = &user.user;
    (
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
                error,
                notice: notice_text(notice),
            },
        ),
    )
}

#[get("/profile?<notice>")]
pub fn profile(user: CurrentUser, layout: Layout, notice: Option<&str>) -> (Status, Template) {
    render(layout, &user, Status::Ok, None, notice)
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
    let fail = |layout, status, msg: String| {
        Ok(Either::Right(render(
            layout,
            &user,
            status,
            Some(msg),
            None,
        )))
    };
    let keys = vec![
        throttle::account_key(&user.user.username),
        throttle::ip_key(&client.ip.to_string()),
    ];
    let now = db::now();

    // Re-authenticate: someone at an unlocked screen must not be able to take the account.
    if let Some(hash) = user.user.password_hash.clone() {
        let k = keys.clone();
        if let Some(wait) = state
            .db
            .run(move |c| throttle::retry_after(c, &k, now))
            .await?
        {
            return fail(
                layout,
                Status::TooManyRequests,
                format!("Too many failed attempts. Try again in {wait} s."),
            );
        }
        let current = f.current_password.unwrap_or_default();
        if !password::verify(current, Some(hash)).await? {
            let k = keys.clone();
            state
                .db
                .run(move |c| throttle::record_failure(c, &k, now))
                .await?;
            return fail(
                layout,
                Status::BadRequest,
                "Your current password is not correct.".into(),
            );
        }
    }
    if let Err(why) = super::setup::check_new_password(&f.new_password, &f.new_password_confirm) {
        return fail(layout, Status::BadRequest, why.into());
    }
    let hash = password::hash(f.new_password).await?;
    let target = user.user.clone();
    state
        .db
        .run(move |c| -> Result<(), DbError> {
            let tx = c.transaction()?;
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
            Ok(())
        })
        .await?;
    // Every session ended with the change; this browser gets a fresh one.
    super::sign_in(state, jar, user.user.id, &client, None).await?;
    tracing::info!(user = %user.user.username, "password changed");
    Ok(Either::Left(Redirect::to(
        "/profile?notice=password_changed",
    )))
}

#[derive(FromForm)]
pub struct SignOutForm {
    csrf_token: String,
}
has_csrf!(SignOutForm);

#[post("/profile/sign-out-everywhere", data = "<_form>")]
pub async fn sign_out_everywhere(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    user: CurrentUser,
    _form: CsrfForm<SignOutForm>,
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
