//! Single sign-on routes: /login/oidc starts, /auth/oidc/callback finishes, /admin/oidc
//! diagnoses. Every failure lands on /login?sso_error=<code>, which never redirects again.

use std::sync::Arc;

use super::templates::Template;
use crate::context;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::time::Duration;
use rocket::{get, State};

use super::layout::Layout;
use crate::auth::counters;
use crate::auth::guards::{AdminUser, Client};
use crate::auth::next::safe_next;
use crate::auth::oidc::{accounts, diagnostics, flow, Failure, Oidc};
use crate::auth::tokens::{constant_time_eq, hash_token};
use crate::db::{self, oidc as flows, DbError};
use crate::error::{AppError, AppResult};
use crate::AppState;

fn with_next(path: String, next: Option<&str>) -> String {
    match next {
        Some(n) => format!(
            "{path}{}next={}",
            if path.contains('?') { '&' } else { '?' },
            url::form_urlencoded::byte_serialize(n.as_bytes()).collect::<String>()
        ),
        None => path,
    }
}

/// Logs the reason line operators grep for, keeps it for the diagnostics, and sends the
/// browser to the explanation page.
async fn fail(state: &AppState, f: Failure, next: Option<&str>) -> Redirect {
    tracing::warn!(detail = %f.detail, "OIDC callback redirect to login: reason={}", f.reason);
    counters::sso(false);
    let (reason, detail) = (f.reason, f.detail);
    if let Err(e) = state
        .db
        .run(move |c| flows::record_failure(c, reason, &detail, db::now()))
        .await
    {
        tracing::error!(error = %e, "could not record the SSO failure");
    }
    Redirect::to(with_next(format!("/login?sso_error={reason}"), next))
}

fn sso(state: &AppState) -> AppResult<Arc<Oidc>> {
    state.oidc.clone().ok_or(AppError::NotFound)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    rocket::tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Db(DbError::Task(e.to_string())))
}

#[get("/login/oidc?<next>")]
pub async fn start(
    state: &State<AppState>,
    jar: &CookieJar<'_>,
    next: Option<&str>,
) -> AppResult<Redirect> {
    let oidc = sso(state)?;
    let next = next.and_then(safe_next);
    let begun = blocking(move || {
        let provider = oidc
            .provider()
            .map_err(|e| Failure::new("discovery_failed", e.to_string()))?;
        flow::begin(&provider, &oidc.cfg, next)
    })
    .await?;
    let begun = match begun {
        Ok(b) => b,
        Err(f) => return Ok(fail(state, f, None).await),
    };
    let id_hash = hash_token(&begun.cookie_value);
    let now = db::now();
    let flow_row = begun.flow;
    state
        .db
        .run(move |c| flows::insert_flow(c, &id_hash, &flow_row, now, now + flow::FLOW_TTL_SECS))
        .await?;
    jar.add(
        Cookie::build((flow::COOKIE, begun.cookie_value))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(state.config.session_cookie_secure)
            .path("/")
            .max_age(Duration::seconds(flow::FLOW_TTL_SECS)),
    );
    Ok(Redirect::to(begun.authorize_url))
}

#[allow(clippy::too_many_arguments)]
#[get("/auth/oidc/callback?<code>&<state>&<error>&<error_description>")]
pub async fn callback(
    app: &State<AppState>,
    jar: &CookieJar<'_>,
    client: Client,
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
) -> AppResult<Redirect> {
    let oidc = sso(app)?;
    let cookie = jar.get(flow::COOKIE).map(|c| c.value().to_string());
    jar.remove(Cookie::build(flow::COOKIE).path("/"));
    let now = db::now();
    let taken = match cookie {
        Some(value) => {
            let id_hash = hash_token(&value);
            app.db
                .run(move |c| flows::take_flow(c, &id_hash, now))
                .await?
        }
        None => None,
    };
    let next = taken
        .as_ref()
        .and_then(|f| f.next.as_deref())
        .and_then(safe_next);
    if let Some(err) = error {
        let detail = format!(
            "the IdP returned error={err} ({})",
            error_description.unwrap_or_default()
        );
        return Ok(fail(app, Failure::new("idp_error", detail), next.as_deref()).await);
    }
    let (Some(flow_row), Some(code), Some(returned_state)) = (taken, code, state) else {
        let f = Failure::new(
            flow::EXCHANGE,
            "no sign-in in progress for this browser (lost, expired or replayed state)",
        );
        return Ok(fail(app, f, None).await);
    };
    if !constant_time_eq(flow_row.state.as_bytes(), returned_state.as_bytes()) {
        let f = Failure::new(
            flow::EXCHANGE,
            "the state parameter does not match this browser's sign-in",
        );
        return Ok(fail(app, f, next.as_deref()).await);
    }
    let verifier = oidc.clone();
    let verified = match blocking(move || flow::complete(&verifier, &flow_row, &code)).await? {
        Ok(v) => v,
        Err(f) => return Ok(fail(app, f, next.as_deref()).await),
    };
    let cfg = oidc.cfg.clone();
    let id_token = verified.id_token.clone();
    let provisioned = app
        .db
        .run(move |c| accounts::provision(c, &cfg, &verified, db::now()))
        .await?;
    let user = match provisioned {
        Ok(u) => u,
        Err((refusal, detail)) => {
            return Ok(fail(app, Failure::new(refusal.reason(), detail), next.as_deref()).await);
        }
    };
    super::sign_in(app, jar, user.id, &client, Some(id_token)).await?;
    tracing::info!(user = %user.username, "login ok (sso)");
    counters::sso(true);
    Ok(Redirect::to(next.unwrap_or_else(|| "/".into())))
}

/// Where to send the browser after the local session is gone: the IdP's end-session
/// endpoint when configured and offered, else the login page.
pub(crate) fn logout_target(state: &AppState, id_token_hint: Option<String>) -> String {
    let local = "/login?notice=signed_out".to_string();
    let (Some(oidc), Some(hint)) = (&state.oidc, id_token_hint) else {
        return local;
    };
    let Some(post_logout) = &oidc.cfg.post_logout_redirect_uri else {
        return local;
    };
    let Some(endpoint) = oidc.cached().and_then(|p| p.end_session_endpoint.clone()) else {
        return local;
    };
    let Ok(mut url) = url::Url::parse(&endpoint) else {
        return local;
    };
    url.query_pairs_mut()
        .append_pair("id_token_hint", &hint)
        .append_pair("post_logout_redirect_uri", post_logout)
        .append_pair(
            "client_id",
            oidc.cfg.client_id.as_deref().unwrap_or_default(),
        )
        .append_pair("state", &crate::auth::tokens::random_token(16));
    url.into()
}

#[get("/admin/oidc")]
pub async fn admin_page(
    state: &State<AppState>,
    layout: Layout,
    _admin: AdminUser,
) -> AppResult<(Status, Template)> {
    let failures = state.db.run(|c| flows::recent_failures(c, 20)).await?;
    let config = state.config.clone();
    let report = blocking(move || diagnostics::run(&config, failures)).await?;
    Ok((
        Status::Ok,
        Template::render("admin_oidc.html", context! { layout, report }),
    ))
}
