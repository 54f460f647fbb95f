//! The sign-in rules of `AUTH_METHOD=none|local|both` for the login form, in one place.

use crate::auth::{counters, password, throttle, username, AuthError};
use crate::config::AuthMethod;
use crate::db::users::{self, NewUser, User};
use crate::db::{self, audit, settings, Db, DbError};

/// What happened to one sign-in attempt.
#[derive(Debug)]
pub enum LoginOutcome {
    SignedIn {
        user: User,
        created: bool,
    },
    /// Wrong username or password, unknown user, no password set: one generic answer.
    Invalid,
    Throttled {
        retry_after: i64,
    },
    /// A rule the person can act on (e.g. a new account's password is too short).
    Rejected(&'static str),
}

pub struct Attempt {
    pub username: String,
    pub password: Option<String>,
    pub client_ip: String,
}

pub async fn login(db: &Db, mode: AuthMethod, attempt: Attempt) -> Result<LoginOutcome, AuthError> {
    let outcome = decide(db, mode, attempt).await?;
    counters::local(&outcome);
    Ok(outcome)
}

async fn decide(db: &Db, mode: AuthMethod, attempt: Attempt) -> Result<LoginOutcome, AuthError> {
    if !mode.has_local_form() {
        return Ok(LoginOutcome::Rejected(
            "Sign-in with a username is turned off here; use single sign-on.",
        ));
    }
    let name = username::normalize(&attempt.username).ok();
    let mut keys = vec![throttle::ip_key(&attempt.client_ip)];
    if let Some(n) = &name {
        keys.push(throttle::account_key(n));
    }

    let now = db::now();
    let (lock, existing, self_register) = {
        let (keys, name) = (keys.clone(), name.clone());
        db.run(move |c| -> Result<_, DbError> {
            let lock = throttle::retry_after(c, &keys, now)?;
            let existing = match &name {
                Some(n) => users::by_username(c, n)?,
                None => None,
            };
            let self_register = settings::get_bool(c, settings::ALLOW_SELF_REGISTER, true)?;
            Ok((lock, existing, self_register))
        })
        .await?
    };
    if let Some(retry_after) = lock {
        return Ok(LoginOutcome::Throttled { retry_after });
    }

    let supplied = attempt.password.unwrap_or_default();
    if mode.uses_password() && supplied.is_empty() {
        return Ok(LoginOutcome::Rejected("Enter your password."));
    }

    let outcome = match (existing, name) {
        (Some(user), _) => {
            let ok = if mode.uses_password() {
                // A NULL hash verifies against a dummy and fails: no password is ever
                // "set at login" for an account that has none.
                password::verify(supplied, user.password_hash.clone()).await?
            } else {
                true
            };
            if ok && user.is_active {
                LoginOutcome::SignedIn {
                    user,
                    created: false,
                }
            } else {
                LoginOutcome::Invalid
            }
        }
        (None, Some(name)) if self_register => {
            return register(db, mode, name, supplied, attempt.client_ip).await;
        }
        (None, None) if self_register => return Ok(LoginOutcome::Rejected(username::RULE)),
        (None, _) => {
            if mode.uses_password() {
                password::verify(supplied, None).await?;
            }
            LoginOutcome::Invalid
        }
    };

    let ip = attempt.client_ip;
    match outcome {
        LoginOutcome::SignedIn { user, created } => {
            let (id, key) = (user.id, throttle::account_key(&user.username));
            db.run(move |c| -> Result<(), DbError> {
                throttle::clear(c, &key)?;
                users::touch_login(c, id, now)
            })
            .await?;
            tracing::info!(user = %user.username, ip = %ip, "login ok");
            Ok(LoginOutcome::SignedIn { user, created })
        }
        other => {
            db.run(move |c| throttle::record_failure(c, &keys, now))
                .await?;
            tracing::warn!(ip = %ip, reason = "invalid_credentials", "login failed");
            Ok(other)
        }
    }
}

/// Self-registration from the login form: a new username (and, with passwords, a valid one).
async fn register(
    db: &Db,
    mode: AuthMethod,
    name: String,
    supplied: String,
    ip: String,
) -> Result<LoginOutcome, AuthError> {
    let hash = if mode.uses_password() {
        if let Err(rule) = password::check_new(&supplied) {
            return Ok(LoginOutcome::Rejected(rule));
        }
        Some(password::hash(supplied).await?)
    } else {
        None
    };
    let now = db::now();
    let created = db
        .run(move |c| -> Result<Option<User>, DbError> {
            let tx = c.transaction()?;
            let new = NewUser {
                username: &name,
                full_name: None,
                email: None,
                password_hash: hash.as_deref(),
                auth_provider: "local",
                is_admin: false,
            };
            let id = match users::insert(&tx, &new, now) {
                Ok(id) => id,
                // Someone registered the same name a moment ago.
                Err(e) if db::is_constraint_violation(&e) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            users::touch_login(&tx, id, now)?;
            audit::record(
                &tx,
                &audit::Entry {
                    actor_user_id: Some(id),
                    action: "user.self_register",
                    target: Some(&name),
                    detail: None,
                    client_ip: Some(&ip),
                },
                now,
            )?;
            let user = users::by_id(&tx, id)?;
            tx.commit()?;
            Ok(user)
        })
        .await?;
    Ok(match created {
        Some(user) => {
            tracing::info!(user = %user.username, "login ok (self-registered)");
            LoginOutcome::SignedIn {
                user,
                created: true,
            }
        }
        None => LoginOutcome::Invalid,
    })
}
