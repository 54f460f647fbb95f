//! HTTP routes by area. Handlers are thin: parse, call one service function, render or
//! redirect. Every route is listed here.

pub mod admin;
pub mod api;
pub mod assets;
pub mod auth;
mod catchers;
pub mod dashboard;
pub mod entries;
pub mod headers;
pub mod health;
pub mod kiosk;
pub mod layout;
pub mod metrics;
pub mod oidc;
pub mod profile;
pub mod projects;
pub mod reports;
pub mod setup;
pub mod templates;
pub mod view;

use std::sync::Arc;

use rocket::fairing::AdHoc;
use rocket::http::{Cookie, CookieJar, SameSite};
use rocket::time::Duration;
use rocket::{routes, Build, Rocket};

use crate::auth::guards::Client;
use crate::auth::session::{self, ClientInfo};
use crate::config::SameSitePolicy;
use crate::error::AppResult;
use crate::{db, AppState};

pub fn mount(rocket: Rocket<Build>, state: AppState) -> Rocket<Build> {
    let override_dir = state.config.data_dir.join("templates");
    let oidc = state.oidc.clone();
    let (db, idle) = (state.db.clone(), state.config.session_idle_secs);
    let http_metrics = Arc::new(metrics::HttpMetrics::default());
    rocket
        .manage(state)
        .attach(AdHoc::on_liftoff("housekeeping", move |_| {
            Box::pin(async move {
                rocket::tokio::spawn(keep_tidy(db, idle));
            })
        }))
        .attach(AdHoc::on_liftoff("OIDC metadata", move |_| {
            Box::pin(async move {
                if let Some(oidc) = oidc {
                    rocket::tokio::spawn(keep_metadata_fresh(oidc));
                }
            })
        }))
        .attach(AdHoc::try_on_ignite("templates", move |rocket| {
            Box::pin(async move {
                match templates::Templates::load(&override_dir) {
                    Ok(t) => Ok(rocket.manage(t)),
                    Err(e) => {
                        tracing::error!(error = %e, "a page template is invalid");
                        Err(rocket)
                    }
                }
            })
        }))
        .attach(headers::SecurityHeaders)
        .attach(metrics::RequestMetrics(http_metrics.clone()))
        .manage(http_metrics)
        .manage(metrics::StartedAt(std::time::SystemTime::now()))
        .mount(
            "/",
            routes![
                admin::board,
                admin::stop_timer,
                admin::reviewed,
                admin::user_list,
                admin::create_user,
                admin::reset_password,
                admin::set_role,
                admin::deactivate,
                admin::activate,
                admin::clear_kiosk,
                admin::settings,
                admin::save_settings,
                admin::system,
                admin::backup_now,
                assets::asset,
                auth::login_page,
                auth::login_submit,
                kiosk::index,
                kiosk::identify_submit,
                kiosk::home,
                kiosk::action,
                kiosk::logout,
                metrics::metrics,
                oidc::start,
                oidc::callback,
                oidc::admin_page,
                auth::logout_get,
                auth::logout_post,
                dashboard::dashboard,
                dashboard::start,
                dashboard::switch,
                dashboard::repeat,
                dashboard::stop,
                dashboard::pause,
                dashboard::resume,
                dashboard::adjust,
                entries::list,
                entries::csv,
                entries::new_page,
                entries::create,
                entries::edit_page,
                entries::update,
                entries::delete,
                health::healthz,
                health::readyz,
                api::me,
                api::list_projects,
                api::create_project,
                api::timer_status,
                api::timer_start,
                api::timer_stop,
                api::timer_switch,
                api::list_entries,
                api::create_entry,
                profile::profile,
                projects::page,
                reports::page,
                reports::print,
                reports::csv,
                projects::create_client,
                projects::create_project,
                projects::create_task,
                projects::archive,
                profile::change_password,
                profile::sign_out_everywhere,
                profile::set_pin,
                profile::set_badge,
                setup::setup_page,
                setup::setup_submit,
                setup::reset_page,
                setup::reset_submit,
            ],
        )
        .register("/", catchers::all())
}

/// Every ten minutes, removes rows that can no longer be used (see [`db::tidy`]).
async fn keep_tidy(database: db::Db, idle_secs: i64) {
    loop {
        match database
            .run(move |c| db::tidy(c, db::now(), idle_secs))
            .await
        {
            Ok(n) if n > 0 => tracing::debug!(rows = n, "housekeeping removed stale rows"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
        rocket::tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    }
}

/// Loads the IdP metadata at start (the server does not wait for it: a down IdP must not
/// stop local sign-in), then refreshes it every OIDC_METADATA_REFRESH_INTERVAL seconds.
async fn keep_metadata_fresh(oidc: Arc<crate::auth::oidc::Oidc>) {
    let interval = oidc.cfg.metadata_refresh_interval;
    loop {
        let o = oidc.clone();
        match rocket::tokio::task::spawn_blocking(move || o.refresh()).await {
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "OIDC metadata refresh failed; keeping the last good copy")
            }
            Err(e) => tracing::error!(error = %e, "OIDC metadata refresh task failed"),
            Ok(Ok(_)) => {}
        }
        if interval == 0 {
            return;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_secs(interval)).await;
    }
}

fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    let c = &state.config;
    Cookie::build((session::COOKIE, value))
        .http_only(true)
        .secure(c.session_cookie_secure)
        .same_site(match c.session_cookie_samesite {
            SameSitePolicy::Lax => SameSite::Lax,
            SameSitePolicy::Strict => SameSite::Strict,
            SameSitePolicy::None => SameSite::None,
        })
        .path("/")
        .max_age(Duration::seconds(c.session_lifetime_secs))
        .build()
}

/// Starts a fresh session for `user_id` (a new id at every sign-in: no fixation), ending the
/// one this browser had.
pub(crate) async fn sign_in(
    state: &AppState,
    jar: &CookieJar<'_>,
    user_id: i64,
    client: &Client,
    id_token_hint: Option<String>,
) -> AppResult<()> {
    let previous = jar.get(session::COOKIE).map(|c| c.value().to_string());
    let policy = state.session_policy();
    let (ip, ua) = (client.ip.to_string(), client.user_agent.clone());
    let issued = state
        .db
        .run(move |c| {
            if let Some(old) = previous {
                session::end(c, &old)?;
            }
            let info = ClientInfo {
                ip: Some(&ip),
                user_agent: ua.as_deref(),
                id_token_hint: id_token_hint.as_deref(),
            };
            session::start(c, user_id, session::KIND_USER, policy, &info, db::now())
        })
        .await?;
    jar.add(session_cookie(state, issued.cookie_value));
    Ok(())
}

pub(crate) fn clear_session_cookie(jar: &CookieJar<'_>) {
    jar.remove(Cookie::build(session::COOKIE).path("/"));
}
