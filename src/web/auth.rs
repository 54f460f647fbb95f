//! Sign-in and sign-out pages.

use super::templates::Template;
use crate::context;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use rocket::Either;
use rocket::{get, post, State};

use super::layout::{notice_text, Layout};
use crate::auth::csrf::{CsrfForm, CsrfOnly};
use crate::auth::guards::{Client, CurrentUser};
use crate::auth::login::{self, Attempt, LoginOutcome};
use crate::auth::next::safe_next;
use crate::auth::{session, sso_reasons};
use crate::error::AppResult;
use crate::{has_csrf, AppState};

type Page = (Status, Template);

fn login_url(next: Option<&str>) -> String {
    match next {
        Some(n) => format!(
            "?next={}",
            url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
        ),
        None => String::new(),
    }
}

struct LoginView<'a> {
    next: Option<&'a str>,
    username: &'a str,
    error: Option<String>,
    sso_error: Option<&'a str>,
    notice: Option<&'a str>,
}

fn login_page_for(state: &AppState, layout: Layout, status: Status, v: LoginView<'_>) -> Page {
    let mode = state.config.auth_method;
    let sso_error = v
        .sso_error
        .map(|code| sso_reasons::lookup(code).unwrap_or(&sso_reasons::UNKNOWN));
    let page = Template::render(
        "login.html",
        context! {
            layout,
            has_form: mode.has_local_form(),
            has_password: mode.uses_password(),
            has_sso: mode.uses_sso(),
            sso_href: format!("/login/oidc{}", login_url(v.next)),
            next: v.next,
            username: v.username,
            error: v.error,
            sso_error,
            notice: notice_text(v.notice),
        },
    );
    (status, page)
}

#[get("/login?<next>&<sso_error>&<notice>")]
pub fn login_page(
    state: &State<AppState>,
    layout: Layout,
    user: Option<CurrentUser>,
    next: Option<&str>,
    sso_error: Option<&str>,
    notice: Option<&str>,
) -> Either<Redirect, Page> {
    let next = next.and_then(safe_next);
    if user.is_some() {
        return Either::Left(Redirect::to(next.unwrap_or_else(|| "/".into())));
    }
    let mode = state.config.auth_method;
    // SSO-only mode goes straight to the IdP, except to explain a failure (no loops).
    if !mode.has_local_form() && sso_error.is_none() && notice.is_none() {
        return Either::Left(Redirect::to(format!(
            "/login/oidc{}",
            login_url(next.as_deref())
        )));
    }
    Either::Right(login_page_for(
        state,
        layout,
        Status::Ok,
        LoginView {
            next: next.as_deref(),
            username: "",
            error: None,
            sso_error,
            notice,
        },
    ))
}

#[derive(FromForm)]
pub struct LoginForm {
    username: String,
    password: Option<String>,
    csrf_token: String,
    next: Option<String>,
}
has_csrf!(LoginForm);

#[post("/login", data = "<form>")]
pub async fn login_submit(
    state: &State<AppState>,
    layout: Layout,
    jar: &CookieJar<'_>,
    client: Client,
    form: CsrfForm<LoginForm>,
) -> AppResult<Either<Redirect, Page>> {
    let form = form.0;
    let next = form.next.as_deref().and_then(safe_next);
    let attempt = Attempt {
        username: form.username.clone(),
        password: form.password,
        client_ip: client.ip.to_string(),
    };
    let (status, error) = match login::login(&state.db, state.config.auth_method, attempt).await? {
        LoginOutcome::SignedIn { user, .. } => {
            super::sign_in(state, jar, user.id, &client, None).await?;
            return Ok(Either::Left(Redirect::to(
                next.unwrap_or_else(|| "/".into()),
            )));
        }
        LoginOutcome::Invalid => (
            Status::Unauthorized,
            "Invalid username or password.".to_string(),
        ),
        LoginOutcome::Throttled { retry_after } => (
            Status::TooManyRequests,
            format!("Too many failed attempts. Try again in {retry_after} s."),
        ),
        LoginOutcome::Rejected(why) => (Status::BadRequest, why.to_string()),
    };
    Ok(Either::Right(login_page_for(
        state,
        layout,
        status,
        LoginView {
            next: next.as_deref(),
            username: form.username.trim(),
            error: Some(error),
            sso_error: None,
            notice: None,
        },
    )))
}

/// `Sec-Fetch-Site: cross-site`: the request was started by another site.
pub struct CrossSite(bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CrossSite {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let site = req.headers().get_one("Sec-Fetch-Site").unwrap_or("none");
        Outcome::Success(CrossSite(matches!(site, "cross-site" | "same-site")))
    }
}

/// The local session is gone first; then, for SSO sessions, the IdP may end its own.
async fn end_session(
    state: &AppState,
    jar: &CookieJar<'_>,
    user: Option<CurrentUser>,
) -> AppResult<Redirect> {
    let mut hint = None;
    if let Some(value) = jar.get(session::COOKIE).map(|c| c.value().to_string()) {
        hint = state.db.run(move |c| session::end(c, &value)).await?;
    }
    super::clear_session_cookie(jar);
    if let Some(u) = user {
        tracing::info!(user = %u.user.username, "logout");
    }
    Ok(Redirect::to(super::oidc::logout_target(state, hint)))
}

/// Sign-out by link. Another site can't sign people out: it gets a confirmation page.
#[get("/logout")]
pub async fn logout_get(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    layout: Layout,
    cross_site: CrossSite,
    user: Option<CurrentUser>,
) -> AppResult<Either<Redirect, Template>> {
    if cross_site.0 && user.is_some() {
        return Ok(Either::Right(Template::render(
            "logout_confirm.html",
            context! { layout },
        )));
    }
    end_session(state, jar, user).await.map(Either::Left)
}

#[post("/logout", data = "<_form>")]
pub async fn logout_post(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    user: Option<CurrentUser>,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    end_session(state, jar, user).await
}
