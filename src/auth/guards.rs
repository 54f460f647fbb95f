//! Request guards: handlers never read cookies. `CurrentUser` and `AdminUser` are types, so
//! a handler that forgets the check does not compile into a signed-in page.

use std::net::{IpAddr, Ipv4Addr};

use rocket::http::{Cookie, Status};
use rocket::request::{FromRequest, Outcome, Request};

use super::session::{self, Authenticated};
use crate::db::sessions::SessionRow;
use crate::db::users::User;
use crate::kiosk::settings::KioskSettings;
use crate::AppState;

/// Why a guard refused; the catchers show it (set once per request).
pub struct Refusal(pub &'static str);

pub fn refuse<T, E>(req: &Request<'_>, status: Status, why: &'static str, e: E) -> Outcome<T, E> {
    req.local_cache(|| Refusal(why));
    Outcome::Error((status, e))
}

pub fn state<'r>(req: &'r Request<'_>) -> &'r AppState {
    req.rocket()
        .state::<AppState>()
        .expect("build_rocket always manages AppState")
}

/// The client's address. `X-Forwarded-For` counts only when the peer is a trusted proxy,
/// and then the right-most address that is not itself a trusted proxy wins.
pub fn client_ip(req: &Request<'_>) -> IpAddr {
    let proxies = &state(req).config.trusted_proxies;
    let trusted = |ip: &IpAddr| proxies.iter().any(|net| net.contains(ip));
    let Some(peer) = req.remote().map(|s| s.ip()) else {
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    if !trusted(&peer) {
        return peer;
    }
    let Some(xff) = req.headers().get_one("X-Forwarded-For") else {
        return peer;
    };
    let chain: Vec<IpAddr> = xff
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    chain
        .iter()
        .rev()
        .find(|ip| !trusted(ip))
        .or(chain.first())
        .copied()
        .unwrap_or(peer)
}

/// The request's session lookup, done once and cached for every guard that asks.
struct Lookup(Result<Option<Authenticated>, ()>);

pub async fn authenticated<'r>(req: &'r Request<'_>) -> Result<Option<&'r Authenticated>, ()> {
    let lookup = req
        .local_cache_async(async {
            let Some(value) = req
                .cookies()
                .get(session::COOKIE)
                .map(|c| c.value().to_string())
            else {
                return Lookup(Ok(None));
            };
            let st = state(req);
            let policy = st.session_policy();
            let now = crate::db::now();
            match st
                .db
                .run(move |c| session::resolve(c, &value, policy, now))
                .await
            {
                Ok(found) => {
                    if found.is_none() {
                        req.cookies()
                            .remove(Cookie::build(session::COOKIE).path("/"));
                    }
                    Lookup(Ok(found))
                }
                Err(e) => {
                    tracing::error!(error = %e, "session lookup failed");
                    Lookup(Err(()))
                }
            }
        })
        .await;
    lookup.0.as_ref().map(Option::as_ref).map_err(|_| ())
}

pub(crate) const KIOSK_ONLY: &str = "A kiosk session can only use the kiosk screens.";

/// The request's kiosk session lookup (cookie `tt_kiosk`), done once.
struct KioskLookup(Option<KioskSession>);

/// The live kiosk session of this terminal, if the kiosk is enabled and one exists.
pub async fn kiosk<'r>(req: &'r Request<'_>) -> Option<&'r KioskSession> {
    req.local_cache_async(async {
        let Some(value) = req
            .cookies()
            .get(session::KIOSK_COOKIE)
            .map(|c| c.value().to_string())
        else {
            return KioskLookup(None);
        };
        let st = state(req);
        let now = crate::db::now();
        let found = st
            .db
            .run(move |c| -> Result<_, crate::db::DbError> {
                let settings = KioskSettings::load(c)?;
                if !settings.enabled {
                    return Ok(None);
                }
                let found = session::resolve(c, &value, settings.session_policy(), now)?;
                Ok(found
                    .filter(|a| a.session.kind == session::KIND_KIOSK)
                    .map(|a| KioskSession {
                        user: a.user,
                        session: a.session,
                        settings,
                    }))
            })
            .await;
        match found {
            Ok(k) => {
                if k.is_none() {
                    req.cookies()
                        .remove(Cookie::build(session::KIOSK_COOKIE).path("/kiosk"));
                }
                KioskLookup(k)
            }
            Err(e) => {
                tracing::error!(error = %e, "kiosk session lookup failed");
                KioskLookup(None)
            }
        }
    })
    .await
    .0
    .as_ref()
}

/// Someone identified at a kiosk terminal: opens /kiosk screens only.
#[derive(Clone, Debug)]
pub struct KioskSession {
    pub user: User,
    pub session: SessionRow,
    pub settings: KioskSettings,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for KioskSession {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match kiosk(req).await {
            Some(k) => Outcome::Success(k.clone()),
            None => Outcome::Error((Status::Unauthorized, ())),
        }
    }
}

/// A signed-in person with a normal (non-kiosk) session.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub session: SessionRow,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CurrentUser {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match authenticated(req).await {
            Ok(Some(a)) if a.session.kind == session::KIND_USER => Outcome::Success(CurrentUser {
                user: a.user.clone(),
                session: a.session.clone(),
            }),
            Ok(Some(_)) => refuse(req, Status::Forbidden, KIOSK_ONLY, ()),
            // A kiosk terminal's session opens the kiosk screens and nothing else.
            Ok(None) => match kiosk(req).await {
                Some(_) => refuse(req, Status::Forbidden, KIOSK_ONLY, ()),
                None => Outcome::Error((Status::Unauthorized, ())),
            },
            Err(()) => Outcome::Error((Status::InternalServerError, ())),
        }
    }
}

/// A signed-in administrator.
#[derive(Clone, Debug)]
pub struct AdminUser(pub CurrentUser);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AdminUser {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        match CurrentUser::from_request(req).await {
            Outcome::Success(u) if u.user.is_admin => Outcome::Success(AdminUser(u)),
            Outcome::Success(_) => refuse(
                req,
                Status::Forbidden,
                "This page is for administrators.",
                (),
            ),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(f) => Outcome::Forward(f),
        }
    }
}

/// Who is on the other end: address (see [`client_ip`]) and browser, for session rows.
#[derive(Clone, Debug)]
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Client {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Client {
            ip: client_ip(req),
            user_agent: req.headers().get_one("User-Agent").map(str::to_string),
        })
    }
}
