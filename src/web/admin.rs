//! Administrator pages: who is working now and what needs review, users, settings, and the
//! system page with "backup now".

use super::templates::Template;
use crate::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::response::Redirect;
use rocket::{get, post, State};
use serde::Serialize;

use super::layout::Layout;
use super::view::{actor, entry_views};
use crate::auth::csrf::{CsrfForm, CsrfOnly};
use crate::auth::guards::{AdminUser, Client};
use crate::auth::{accounts, setup, username};
use crate::db::users::{self, NewUser, User};
use crate::db::{self, audit, backup, entries, migrate};
use crate::error::{AppError, AppResult};
use crate::kiosk::settings as kiosk_keys;
use crate::tracking::settings::{self as org, all_keys, OrgSettings};
use crate::tracking::{entries as entry_service, rounding, timer};
use crate::{has_csrf, AppState};

fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "stopped" => "Timer stopped.",
        "reviewed" => "Marked as reviewed.",
        "saved" => "Settings saved.",
        "deactivated" => "Account deactivated: its sessions ended and its timer stopped.",
        "activated" => "Account activated.",
        "kiosk_cleared" => {
            "Kiosk PIN and badge removed; the person sets new ones on their profile."
        }
        "role" => "Role changed; the person's sessions were ended.",
        _ => return None,
    })
}

#[get("/admin?<notice>")]
pub async fn board(
    state: &State<AppState>,
    _admin: AdminUser,
    layout: Layout,
    notice: Option<&str>,
) -> AppResult<Template> {
    let default_tz = state.config.timezone.clone();
    let notice = self::notice(notice);
    state
        .db
        .run(move |c| -> AppResult<Template> {
            let now = db::now();
            timer::sweep(c, None, now)?;
            let s = OrgSettings::load(c, default_tz.as_deref())?;
            let working = entries::running_all(c, now)?;
            let review = entries::needing_review(c, now)?;
            Ok(Template::render(
                "admin.html",
                context! {
                    layout,
                    notice,
                    working: entry_views(&working, &s.tz),
                    review: entry_views(&review, &s.tz),
                },
            ))
        })
        .await
}

#[post("/admin/users/<id>/stop-timer", data = "<_form>")]
pub async fn stop_timer(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    id: i64,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    let actor = actor(&admin.0, &client);
    state
        .db
        .run(move |c| timer::stop(c, &actor, id, db::now()))
        .await?;
    Ok(Redirect::to("/admin?notice=stopped"))
}

#[post("/admin/entries/<id>/reviewed", data = "<_form>")]
pub async fn reviewed(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    id: i64,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    let actor = actor(&admin.0, &client);
    state
        .db
        .run(move |c| entry_service::mark_reviewed(c, &actor, id, db::now()))
        .await?;
    Ok(Redirect::to("/admin?notice=reviewed"))
}

#[derive(Serialize)]
struct UserView {
    #[serde(flatten)]
    user: User,
    has_password: bool,
    running: bool,
}

async fn users_page(
    state: &AppState,
    layout: Layout,
    status: Status,
    notice: Option<&'static str>,
    error: Option<String>,
    link: Option<(String, String)>,
) -> AppResult<(Status, Template)> {
    let list = state
        .db
        .run(|c| -> Result<Vec<UserView>, db::DbError> {
            let now = db::now();
            let running: Vec<i64> = entries::running_all(c, now)?
                .iter()
                .map(|e| e.user_id)
                .collect();
            Ok(users::list(c)?
                .into_iter()
                .map(|u| UserView {
                    has_password: u.has_password(),
                    running: running.contains(&u.id),
                    user: u,
                })
                .collect())
        })
        .await?;
    Ok((
        status,
        Template::render(
            "admin_users.html",
            context! { layout, users: list, notice, error, link_for: link.as_ref().map(|l| &l.0), link: link.as_ref().map(|l| &l.1) },
        ),
    ))
}

#[get("/admin/users?<notice>")]
pub async fn user_list(
    state: &State<AppState>,
    _admin: AdminUser,
    layout: Layout,
    notice: Option<&str>,
) -> AppResult<(Status, Template)> {
    users_page(state, layout, Status::Ok, self::notice(notice), None, None).await
}

#[derive(FromForm)]
pub struct NewUserForm {
    csrf_token: String,
    username: String,
    full_name: Option<String>,
    email: Option<String>,
    admin: bool,
}
has_csrf!(NewUserForm);

fn audit_row(
    c: &rusqlite::Connection,
    actor: &crate::tracking::Actor,
    action: &str,
    target: &str,
) -> Result<(), db::DbError> {
    audit::record(
        c,
        &audit::Entry {
            actor_user_id: actor.user_id,
            action,
            target: Some(target),
            detail: None,
            client_ip: actor.client_ip.as_deref(),
        },
        db::now(),
    )
}

/// Creates an account without a password and shows its one-time set-password link.
#[post("/admin/users", data = "<form>")]
pub async fn create_user(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    layout: Layout,
    form: CsrfForm<NewUserForm>,
) -> AppResult<(Status, Template)> {
    let f = form.0;
    let name = match username::normalize(&f.username) {
        Ok(n) => n,
        Err(rule) => {
            return users_page(
                state,
                layout,
                Status::BadRequest,
                None,
                Some(rule.into()),
                None,
            )
            .await
        }
    };
    let actor = actor(&admin.0, &client);
    let clean = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (full_name, email) = (clean(f.full_name), clean(f.email));
    let n = name.clone();
    let token = state
        .db
        .run(move |c| -> Result<Option<String>, db::DbError> {
            let tx = c.transaction()?;
            let new = NewUser {
                username: &n,
                full_name: full_name.as_deref(),
                email: email.as_deref(),
                password_hash: None,
                auth_provider: "local",
                is_admin: f.admin,
            };
            let id = match users::insert(&tx, &new, db::now()) {
                Ok(id) => id,
                Err(e) if db::is_constraint_violation(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            audit_row(&tx, &actor, "admin.user.add", &n)?;
            let token = setup::issue_reset_token(&tx, id, db::now())?;
            tx.commit()?;
            Ok(Some(token))
        })
        .await?;
    match token {
        Some(t) => {
            let link = format!("{}/reset-password?token={t}", state.config.base_url());
            users_page(
                state,
                layout,
                Status::Ok,
                Some("Account created."),
                None,
                Some((name, link)),
            )
            .await
        }
        None => {
            users_page(
                state,
                layout,
                Status::Conflict,
                None,
                Some(format!("A user named {name:?} already exists.")),
                None,
            )
            .await
        }
    }
}

async fn target(state: &AppState, id: i64) -> AppResult<User> {
    state
        .db
        .run(move |c| users::by_id(c, id))
        .await?
        .ok_or_else(|| AppError::Missing("No such user.".into()))
}

#[post("/admin/users/<id>/reset-password", data = "<_form>")]
pub async fn reset_password(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    layout: Layout,
    id: i64,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<(Status, Template)> {
    let user = target(state, id).await?;
    if !user.is_active {
        return users_page(
            state,
            layout,
            Status::BadRequest,
            None,
            Some(format!(
                "{} is deactivated; activate the account first.",
                user.username
            )),
            None,
        )
        .await;
    }
    let actor = actor(&admin.0, &client);
    let name = user.username.clone();
    let token = state
        .db
        .run(move |c| -> Result<String, db::DbError> {
            let t = setup::issue_reset_token(c, id, db::now())?;
            audit_row(c, &actor, "admin.user.reset_password", &name)?;
            Ok(t)
        })
        .await?;
    let link = format!("{}/reset-password?token={token}", state.config.base_url());
    users_page(
        state,
        layout,
        Status::Ok,
        None,
        None,
        Some((user.username, link)),
    )
    .await
}

#[derive(FromForm)]
pub struct RoleForm {
    csrf_token: String,
    admin: bool,
}
has_csrf!(RoleForm);

#[post("/admin/users/<id>/role", data = "<form>")]
pub async fn set_role(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    id: i64,
    form: CsrfForm<RoleForm>,
) -> AppResult<Redirect> {
    let user = target(state, id).await?;
    let actor = actor(&admin.0, &client);
    let make_admin = form.0.admin;
    state
        .db
        .run(move |c| accounts::set_admin(c, &actor, &user, make_admin, "admin.user", db::now()))
        .await?;
    Ok(Redirect::to("/admin/users?notice=role"))
}

#[post("/admin/users/<id>/deactivate", data = "<_form>")]
pub async fn deactivate(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    id: i64,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    let user = target(state, id).await?;
    let actor = actor(&admin.0, &client);
    state
        .db
        .run(move |c| accounts::deactivate(c, &actor, &user, "admin.user.deactivate", db::now()))
        .await?;
    Ok(Redirect::to("/admin/users?notice=deactivated"))
}

#[post("/admin/users/<id>/activate", data = "<_form>")]
pub async fn activate(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    id: i64,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    let user = target(state, id).await?;
    let actor = actor(&admin.0, &client);
    state
        .db
        .run(move |c| accounts::activate(c, &actor, &user, "admin.user.activate", db::now()))
        .await?;
    Ok(Redirect::to("/admin/users?notice=activated"))
}

/// Removes a person's kiosk PIN and badge (a lost badge, a PIN seen by others).
#[post("/admin/users/<id>/clear-kiosk", data = "<_form>")]
pub async fn clear_kiosk(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    id: i64,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Redirect> {
    let user = target(state, id).await?;
    let (actor, ip) = (admin.0.user.id, client.ip.to_string());
    state
        .db
        .run(move |c| -> Result<(), db::DbError> {
            let tx = c.transaction()?;
            users::set_pin_hash(&tx, user.id, None)?;
            users::set_badge_hash(&tx, user.id, None)?;
            db::audit::record(
                &tx,
                &db::audit::Entry {
                    actor_user_id: Some(actor),
                    action: "admin.user.clear_kiosk",
                    target: Some(&user.username),
                    detail: None,
                    client_ip: Some(&ip),
                },
                db::now(),
            )?;
            tx.commit()?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to("/admin/users?notice=kiosk_cleared"))
}

#[derive(Serialize)]
struct SettingView {
    key: &'static str,
    help: &'static str,
    value: String,
}

async fn settings_page(
    state: &AppState,
    layout: Layout,
    status: Status,
    notice: Option<&'static str>,
    errors: Vec<String>,
) -> AppResult<(Status, Template)> {
    let default_tz = state.config.timezone.clone();
    let s = state
        .db
        .run(move |c| OrgSettings::load(c, default_tz.as_deref()))
        .await?;
    let fields: Vec<SettingView> = all_keys()
        .map(|(key, help)| SettingView {
            key,
            help,
            value: org::effective(&s, key).unwrap_or_default(),
        })
        .collect();
    Ok((
        status,
        Template::render(
            "admin_settings.html",
            context! { layout, fields, notice, errors, steps: rounding::STEPS, self_register: s.allow_self_register, kiosk: s.kiosk },
        ),
    ))
}

#[get("/admin/settings?<notice>")]
pub async fn settings(
    state: &State<AppState>,
    _admin: AdminUser,
    layout: Layout,
    notice: Option<&str>,
) -> AppResult<(Status, Template)> {
    settings_page(state, layout, Status::Ok, self::notice(notice), Vec::new()).await
}

#[derive(FromForm)]
pub struct SettingsForm {
    csrf_token: String,
    organisation_name: String,
    timezone: String,
    week_start: String,
    rounding_minutes: String,
    rounding_mode: String,
    auto_stop_hours: String,
    allow_self_register: bool,
    /// Present when the form had the kiosk fields: a form without them changes none (W19).
    kiosk_section: Option<bool>,
    kiosk_enabled: bool,
    kiosk_idle_seconds: Option<String>,
    kiosk_auth: Option<String>,
    kiosk_show_user_list: bool,
}
has_csrf!(SettingsForm);

/// Saves every setting or none: all are validated first, and the page lists every problem.
#[post("/admin/settings", data = "<form>")]
pub async fn save_settings(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    layout: Layout,
    form: CsrfForm<SettingsForm>,
) -> AppResult<Result<Redirect, (Status, Template)>> {
    let f = form.0;
    let mut pairs = vec![
        (org::ORGANISATION_NAME, f.organisation_name),
        (org::TIMEZONE, f.timezone),
        (org::WEEK_START, f.week_start),
        (org::ROUNDING_MINUTES, f.rounding_minutes),
        (org::ROUNDING_MODE, f.rounding_mode),
        (org::AUTO_STOP_HOURS, f.auto_stop_hours),
        (
            db::settings::ALLOW_SELF_REGISTER,
            f.allow_self_register.to_string(),
        ),
    ];
    if f.kiosk_section.unwrap_or(false) {
        pairs.extend([
            (kiosk_keys::ENABLED, f.kiosk_enabled.to_string()),
            (
                kiosk_keys::IDLE_SECONDS,
                f.kiosk_idle_seconds.unwrap_or_default(),
            ),
            (kiosk_keys::AUTH, f.kiosk_auth.unwrap_or_default()),
            (
                kiosk_keys::SHOW_USER_LIST,
                f.kiosk_show_user_list.to_string(),
            ),
        ]);
    }
    let mut valid = Vec::new();
    let mut errors = Vec::new();
    for (k, v) in pairs {
        match org::validate(k, &v) {
            Ok(v) => valid.push((k, v)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Ok(Err(settings_page(
            state,
            layout,
            Status::BadRequest,
            None,
            errors,
        )
        .await?));
    }
    let actor = actor(&admin.0, &client);
    state
        .db
        .run(move |c| -> Result<(), db::DbError> {
            let tx = c.transaction()?;
            let now = db::now();
            for (k, v) in &valid {
                db::settings::set(&tx, k, v, now)?;
            }
            let detail: serde_json::Map<String, serde_json::Value> = valid
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone().into()))
                .collect();
            audit::record(
                &tx,
                &audit::Entry {
                    actor_user_id: actor.user_id,
                    action: "admin.settings",
                    target: None,
                    detail: Some(detail.into()),
                    client_ip: actor.client_ip.as_deref(),
                },
                now,
            )?;
            tx.commit().map_err(db::DbError::from)
        })
        .await?;
    Ok(Ok(Redirect::to("/admin/settings?notice=saved")))
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[get("/admin/system")]
pub async fn system(
    state: &State<AppState>,
    _admin: AdminUser,
    layout: Layout,
) -> AppResult<Template> {
    system_page(state, layout, None).await
}

async fn system_page(
    state: &AppState,
    layout: Layout,
    backup_path: Option<String>,
) -> AppResult<Template> {
    let path = state.db.path().to_path_buf();
    let schema = state.db.run(|c| migrate::current_version(c)).await?;
    let wal = path.with_extension("db-wal");
    let size = file_size(&path) + file_size(&wal);
    Ok(Template::render(
        "admin_system.html",
        context! {
            layout,
            version: env!("CARGO_PKG_VERSION"),
            db_path: path.display().to_string(),
            db_size: format!("{:.1} MiB", size as f64 / 1_048_576.0),
            schema,
            schema_expected: migrate::LATEST,
            synchronous: format!("{:?}", state.config.db_synchronous).to_lowercase(),
            backup_path,
        },
    ))
}

#[post("/admin/backup", data = "<_form>")]
pub async fn backup_now(
    state: &State<AppState>,
    admin: AdminUser,
    client: Client,
    layout: Layout,
    _form: CsrfForm<CsrfOnly>,
) -> AppResult<Template> {
    let dest = backup::default_path(&state.config.data_dir);
    let shown = dest.display().to_string();
    let actor = actor(&admin.0, &client);
    state
        .db
        .run(move |c| -> Result<(), db::DbError> {
            backup::backup_to(c, &dest)?;
            audit_row(c, &actor, "admin.backup", &dest.display().to_string())
        })
        .await?;
    system_page(state, layout, Some(shown)).await
}
