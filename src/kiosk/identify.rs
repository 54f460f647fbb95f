//! Who is at the kiosk. What counts as identification depends on AUTH_METHOD and
//! `kiosk.auth`; a username alone counts only in `none` mode, a PIN always comes with a
//! username, and failures are throttled per person and per terminal.

use super::credentials::{badge_digest, normalize_badge};
use super::settings::{KioskAuth, KioskSettings};
use crate::auth::{password, throttle, username, AuthError};
use crate::config::AuthMethod;
use crate::db::users::{self, User};
use crate::db::{self, Db, DbError};

/// The ways to identify, as the form sends them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Badge,
    Pin,
    Password,
    UsernameOnly,
}

/// The methods this terminal accepts.
pub fn allowed(mode: AuthMethod, setting: KioskAuth) -> Vec<Method> {
    match setting {
        KioskAuth::Pin => vec![Method::Pin],
        KioskAuth::Badge => vec![Method::Badge],
        KioskAuth::Password if mode.uses_password() => vec![Method::Password],
        // A password kiosk without passwords would lock everyone out; PIN is the fallback.
        KioskAuth::Password => vec![Method::Pin],
        KioskAuth::Auto => match mode {
            AuthMethod::Local | AuthMethod::Both => {
                vec![Method::Badge, Method::Pin, Method::Password]
            }
            AuthMethod::Oidc => vec![Method::Badge, Method::Pin],
            AuthMethod::None => vec![Method::Badge, Method::Pin, Method::UsernameOnly],
        },
    }
}

#[derive(Debug, Default)]
pub struct Attempt {
    pub username: Option<String>,
    pub pin: Option<String>,
    pub password: Option<String>,
    pub badge: Option<String>,
    pub terminal: String,
}

#[derive(Debug)]
pub enum Outcome {
    Identified(User),
    /// One generic answer for every wrong or unknown credential.
    Invalid,
    Throttled(i64),
    NotAllowed,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

fn terminal_key(t: &str) -> String {
    format!("kiosk-terminal:{t}")
}

fn person_key(name: &str) -> String {
    format!("kiosk-user:{name}")
}

pub async fn identify(
    db: &Db,
    secret: &str,
    mode: AuthMethod,
    ks: &KioskSettings,
    a: Attempt,
) -> Result<Outcome, AuthError> {
    let method = if filled(&a.badge).is_some() {
        Method::Badge
    } else if filled(&a.pin).is_some() {
        Method::Pin
    } else if filled(&a.password).is_some() {
        Method::Password
    } else {
        Method::UsernameOnly
    };
    if !allowed(mode, ks.auth).contains(&method) {
        return Ok(Outcome::NotAllowed);
    }
    let name = filled(&a.username).and_then(|u| username::normalize(u).ok());
    let mut keys = vec![terminal_key(&a.terminal)];
    if let Some(n) = &name {
        keys.push(person_key(n));
    }
    let now = db::now();
    let badge = match method {
        Method::Badge => match filled(&a.badge).map(normalize_badge) {
            Some(Ok(code)) => Some(badge_digest(secret, &code)),
            _ => None,
        },
        _ => None,
    };
    let (lock, user, pin_hash) = {
        let (keys, name, badge) = (keys.clone(), name.clone(), badge.clone());
        db.run(move |c| -> Result<_, DbError> {
            let lock = throttle::retry_after(c, &keys, now)?;
            let user = match (&badge, &name) {
                (Some(digest), _) => users::by_badge_hash(c, digest)?,
                (None, Some(n)) => users::by_username(c, n)?,
                (None, None) => None,
            };
            let pin_hash = match (&user, method) {
                (Some(u), Method::Pin) => users::pin_hash(c, u.id)?,
                _ => None,
            };
            Ok((lock, user, pin_hash))
        })
        .await?
    };
    if let Some(wait) = lock {
        return Ok(Outcome::Throttled(wait));
    }
    let ok = match (&user, method) {
        (Some(_), Method::Badge | Method::UsernameOnly) => true,
        (user, Method::Pin) => {
            password::verify(
                filled(&a.pin).unwrap_or_default().to_string(),
                user.as_ref().and(pin_hash),
            )
            .await?
        }
        (user, Method::Password) => {
            let hash = user.as_ref().and_then(|u| u.password_hash.clone());
            password::verify(filled(&a.password).unwrap_or_default().to_string(), hash).await?
        }
        (None, _) => false,
    };
    match user.filter(|u| ok && u.is_active) {
        Some(user) => {
            let key = person_key(&user.username);
            db.run(move |c| throttle::clear(c, &key)).await?;
            tracing::info!(user = %user.username, method = ?method, terminal = %a.terminal, "kiosk identification ok");
            Ok(Outcome::Identified(user))
        }
        None => {
            db.run(move |c| throttle::record_failure(c, &keys, now))
                .await?;
            tracing::warn!(method = ?method, terminal = %a.terminal, "kiosk identification failed");
            Ok(Outcome::Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w1_a_username_alone_never_identifies_outside_none_mode() {
        for mode in [AuthMethod::Local, AuthMethod::Oidc, AuthMethod::Both] {
            assert!(
                !allowed(mode, KioskAuth::Auto).contains(&Method::UsernameOnly),
                "{mode:?}"
            );
        }
        assert!(allowed(AuthMethod::None, KioskAuth::Auto).contains(&Method::UsernameOnly));
        assert!(!allowed(AuthMethod::Oidc, KioskAuth::Auto).contains(&Method::Password));
    }
}
