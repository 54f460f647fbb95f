//! What every page's base layout needs: who is signed in, the CSRF token, the mode.

use rocket::request::{FromRequest, Outcome, Request};
use serde::Serialize;

use crate::auth::csrf::CsrfToken;
use crate::auth::guards::{authenticated, state};
use crate::auth::session::KIND_USER;

#[derive(Serialize)]
pub struct Viewer {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub has_password: bool,
}

#[derive(Serialize)]
pub struct Layout {
    pub user: Option<Viewer>,
    pub csrf_token: String,
    pub auth_method: &'static str,
    pub assets_version: &'static str,
    /// Signed in without a password in a mode that has passwords: prompt to set one.
    pub password_banner: bool,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Layout {
    type Error = ();
    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let mode = state(req).config.auth_method;
        let user = match authenticated(req).await {
            Ok(Some(a)) if a.session.kind == KIND_USER => Some(Viewer {
                username: a.user.username.clone(),
                display_name: a
                    .user
                    .full_name
                    .clone()
                    .unwrap_or_else(|| a.user.username.clone()),
                is_admin: a.user.is_admin,
                has_password: a.user.has_password(),
            }),
            _ => None,
        };
        let csrf_token = match CsrfToken::from_request(req).await {
            Outcome::Success(t) => t.0,
            _ => String::new(),
        };
        let password_banner =
            mode.uses_password() && user.as_ref().is_some_and(|u| !u.has_password);
        Outcome::Success(Layout {
            user,
            csrf_token,
            auth_method: mode.as_str(),
            assets_version: super::assets::version(),
            password_banner,
        })
    }
}

/// Fixed texts for `?notice=` codes; unknown codes show nothing (no reflected text).
pub fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "signed_out" => "You are signed out.",
        "signed_out_everywhere" => "You are signed out on every device.",
        "password_changed" => "Password changed. Your other devices were signed out.",
        "password_set" => "Your password is set. Sign in with it now.",
        "pin_set" => "Your kiosk PIN is set.",
        "badge_set" => "Your badge is registered.",
        _ => return None,
    })
}
