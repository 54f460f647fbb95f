//! CSRF protection: every state-changing form carries a token. Signed in, it is the
//! session's own token, which lives as long as the session (kiosk pages stay open all day).
//! Before sign-in, it is a random value bound to a cookie (double submit).

use rocket::data::{self, Data, FromData};
use rocket::form::{Form, FromForm};
use rocket::http::{Cookie, SameSite, Status};
use rocket::request::{FromRequest, Outcome, Request};

use super::guards::{authenticated, state};
use super::tokens::{constant_time_eq, random_token};

pub const ANON_COOKIE: &str = "tt_csrf";
pub const FIELD: &str = "csrf_token";

/// The token to put in the forms of this page.
pub struct CsrfToken(pub String);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for CsrfToken {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        if req.uri().path().starts_with("/kiosk") {
            if let Some(k) = super::guards::kiosk(req).await {
                return Outcome::Success(CsrfToken(k.session.csrf_token.clone()));
            }
        } else if let Ok(Some(a)) = authenticated(req).await {
            return Outcome::Success(CsrfToken(a.session.csrf_token.clone()));
        }
        if let Some(c) = req.cookies().get(ANON_COOKIE) {
            return Outcome::Success(CsrfToken(c.value().to_string()));
        }
        let token = random_token(32);
        let cookie = Cookie::build((ANON_COOKIE, token.clone()))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(state(req).config.session_cookie_secure)
            .path("/");
        req.cookies().add(cookie);
        Outcome::Success(CsrfToken(token))
    }
}

/// The token a state-changing request must carry. Kiosk screens use the kiosk session's own
/// token (valid as long as that session), never a normal session's.
async fn expected(req: &Request<'_>) -> Option<String> {
    if req.uri().path().starts_with("/kiosk") {
        return match super::guards::kiosk(req).await {
            Some(k) => Some(k.session.csrf_token.clone()),
            None => req
                .cookies()
                .get(ANON_COOKIE)
                .map(|c| c.value().to_string()),
        };
    }
    match authenticated(req).await {
        Ok(Some(a)) => Some(a.session.csrf_token.clone()),
        _ => req
            .cookies()
            .get(ANON_COOKIE)
            .map(|c| c.value().to_string()),
    }
}

pub async fn is_valid(req: &Request<'_>, submitted: &str) -> bool {
    matches!(expected(req).await, Some(exp) if constant_time_eq(exp.as_bytes(), submitted.as_bytes()))
}

/// A form that has a `csrf_token` field.
pub trait HasCsrf {
    fn csrf_token(&self) -> &str;
}

/// A parsed form whose CSRF token was checked; anything else is a 403.
pub struct CsrfForm<T>(pub T);

#[rocket::async_trait]
impl<'r, T: FromForm<'r> + HasCsrf + Send + 'r> FromData<'r> for CsrfForm<T> {
    type Error = ();

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let form = match Form::<T>::from_data(req, data).await {
            data::Outcome::Success(f) => f.into_inner(),
            data::Outcome::Error((status, _)) => return data::Outcome::Error((status, ())),
            data::Outcome::Forward(f) => return data::Outcome::Forward(f),
        };
        if is_valid(req, form.csrf_token()).await {
            data::Outcome::Success(CsrfForm(form))
        } else {
            tracing::warn!(path = %req.uri().path(), "request refused: missing or wrong CSRF token");
            req.local_cache(|| {
                super::guards::Refusal("This form has expired or did not come from this site. Go back, reload the page and try again.")
            });
            data::Outcome::Error((Status::Forbidden, ()))
        }
    }
}

/// A form that carries nothing but its token (sign out, "done", and the like).
#[derive(rocket::FromForm)]
pub struct CsrfOnly {
    csrf_token: String,
}

impl HasCsrf for CsrfOnly {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Implements [`HasCsrf`] for form structs with a `csrf_token: String` field.
#[macro_export]
macro_rules! has_csrf {
    ($($t:ty),+) => {$(
        impl $crate::auth::csrf::HasCsrf for $t {
            fn csrf_token(&self) -> &str { &self.csrf_token }
        }
    )+};
}
