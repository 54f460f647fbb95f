//! API authentication: `Authorization: Bearer tt_<prefix>_<secret>` tokens (stored as the
//! SHA-256 of the secret, with expiry and a scope) or the browser's session cookie. The
//! guards `ApiRead`, `ApiWrite` and `ApiAdmin` are types, so a handler states what it needs.
//! Cookie sessions must send `X-CSRF-Token` on writes; bearer tokens are exempt.

use std::net::IpAddr;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rusqlite::Connection;

use super::guards::{authenticated, client_ip, refuse, state, KIOSK_ONLY};
use super::session::KIND_USER;
use super::tokens::{constant_time_eq, hash_token, random_token};
use crate::db::api_tokens::{self, NewToken};
use crate::db::users::{self, User};
use crate::db::DbError;

/// What a token may do. Each level includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// GET endpoints.
    Read,
    /// Also start/stop timers and book entries.
    Write,
    /// Also administrator endpoints (only when the token's user is an administrator).
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

/// Parses `read,write`; the stored form is the same list, normalised.
pub fn parse_scopes(raw: &str) -> Result<Vec<Scope>, String> {
    let mut out = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let s = match part.to_ascii_lowercase().as_str() {
            "read" => Scope::Read,
            "write" => Scope::Write,
            "admin" => Scope::Admin,
            other => return Err(format!("unknown scope {other:?}; use read, write or admin")),
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err("give at least one scope: read, write or admin".into());
    }
    out.sort();
    Ok(out)
}

fn level(stored: &str) -> Option<Scope> {
    parse_scopes(stored).ok()?.into_iter().max()
}

pub const TOKEN_PREFIX: &str = "tt_";

/// Creates a token and returns it in full; only its hash is kept, so this is the one time
/// anyone sees it.
pub fn create(
    conn: &Connection,
    user_id: i64,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<i64>,
    now: i64,
) -> Result<String, DbError> {
    // Eight hex characters never contain the `_` separator; the secret may.
    let prefix: String = hash_token(&random_token(16))[..8].to_string();
    let secret = random_token(32);
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    api_tokens::insert(
        conn,
        &NewToken {
            user_id,
            name,
            prefix: &prefix,
            secret_hash: &hash_token(&secret),
            scopes: &scopes.join(","),
            expires_at,
        },
        now,
    )?;
    Ok(format!("{TOKEN_PREFIX}{prefix}_{secret}"))
}

/// The active user and scope level behind a presented token, if it is valid right now.
pub fn verify(
    conn: &Connection,
    presented: &str,
    now: i64,
) -> Result<Option<(User, Scope)>, DbError> {
    let Some((prefix, secret)) = presented
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| rest.split_once('_'))
    else {
        return Ok(None);
    };
    let Some(row) = api_tokens::by_prefix(conn, prefix)? else {
        return Ok(None);
    };
    let hash = hash_token(secret);
    if !constant_time_eq(hash.as_bytes(), row.secret_hash.as_bytes())
        || row.revoked_at.is_some()
        || row.expires_at.is_some_and(|e| e <= now)
    {
        return Ok(None);
    }
    let Some(user) = users::by_id(conn, row.user_id)?.filter(|u| u.is_active) else {
        return Ok(None);
    };
    let Some(scope) = level(&row.scopes) else {
        return Ok(None);
    };
    // Written at most once a minute, so reads by token stay reads.
    if row.last_used_at.is_none_or(|t| now - t >= 60) {
        api_tokens::touch(conn, row.id, now)?;
    }
    Ok(Some((user, scope)))
}

/// Someone calling the API: by token (with its scope) or by cookie session.
#[derive(Clone, Debug)]
pub struct ApiUser {
    pub user: User,
    pub scope: Scope,
    /// The session's CSRF token for cookie sessions; None for bearer tokens.
    session_csrf: Option<String>,
    /// Where the call came from (TRUSTED_PROXIES applied), for the audit log.
    pub client_ip: IpAddr,
}

impl ApiUser {
    /// Whether this caller may use administrator endpoints.
    pub fn is_admin(&self) -> bool {
        self.user.is_admin && self.scope >= Scope::Admin
    }
}

struct Lookup(Result<Option<ApiUser>, &'static str>);

async fn api_user<'r>(req: &'r Request<'_>) -> &'r Lookup {
    req.local_cache_async(async {
        let client_ip = client_ip(req);
        if let Some(header) = req.headers().get_one("Authorization") {
            let Some(token) = header.strip_prefix("Bearer ").map(str::trim) else {
                return Lookup(Err(
                    "Send the API token as 'Authorization: Bearer <token>'.",
                ));
            };
            let token = token.to_string();
            let now = crate::db::now();
            return match state(req).db.run(move |c| verify(c, &token, now)).await {
                Ok(Some((user, scope))) => Lookup(Ok(Some(ApiUser {
                    user,
                    scope,
                    session_csrf: None,
                    client_ip,
                }))),
                Ok(None) => Lookup(Err("The API token is invalid, expired or revoked.")),
                Err(e) => {
                    tracing::error!(error = %e, "token lookup failed");
                    Lookup(Err("internal"))
                }
            };
        }
        match authenticated(req).await {
            Ok(Some(a)) if a.session.kind == KIND_USER => Lookup(Ok(Some(ApiUser {
                user: a.user.clone(),
                scope: Scope::Admin,
                session_csrf: Some(a.session.csrf_token.clone()),
                client_ip,
            }))),
            Ok(Some(_)) => Lookup(Err(KIOSK_ONLY)),
            Ok(None) => match super::guards::kiosk(req).await {
                Some(_) => Lookup(Err(KIOSK_ONLY)),
                None => Lookup(Ok(None)),
            },
            Err(()) => Lookup(Err("internal")),
        }
    })
    .await
}

async fn guard(req: &Request<'_>, need: Scope) -> Outcome<ApiUser, ()> {
    let found = match &api_user(req).await.0 {
        Ok(Some(u)) => u.clone(),
        Ok(None) => return Outcome::Error((Status::Unauthorized, ())),
        Err("internal") => return Outcome::Error((Status::InternalServerError, ())),
        Err(why) if *why == KIOSK_ONLY => return refuse(req, Status::Forbidden, why, ()),
        Err(why) => return refuse(req, Status::Unauthorized, why, ()),
    };
    if found.scope < need {
        return refuse(
            req,
            Status::Forbidden,
            "This API token's scope does not allow this request.",
            (),
        );
    }
    if need >= Scope::Write {
        if let Some(expected) = &found.session_csrf {
            let sent = req.headers().get_one("X-CSRF-Token").unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
                return refuse(
                    req,
                    Status::Forbidden,
                    "A signed-in browser must send the page's CSRF token in the X-CSRF-Token header.",
                    (),
                );
            }
        }
    }
    if need == Scope::Admin && !found.user.is_admin {
        return refuse(
            req,
            Status::Forbidden,
            "This request is for administrators.",
            (),
        );
    }
    Outcome::Success(found)
}

/// A caller allowed to read.
pub struct ApiRead(pub ApiUser);
/// A caller allowed to write (cookie sessions: CSRF header checked).
pub struct ApiWrite(pub ApiUser);
/// An administrator allowed to write with admin scope.
pub struct ApiAdmin(pub ApiUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiRead {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        guard(req, Scope::Read).await.map(ApiRead)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiWrite {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        guard(req, Scope::Write).await.map(ApiWrite)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiAdmin {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        guard(req, Scope::Admin).await.map(ApiAdmin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_normalise_and_refuse_unknown_names() {
        assert_eq!(
            parse_scopes(" write , read").unwrap(),
            vec![Scope::Read, Scope::Write]
        );
        assert!(parse_scopes("read,delete").is_err());
        assert!(parse_scopes("").is_err());
        assert_eq!(level("read,admin"), Some(Scope::Admin));
    }
}
