//! The JSON API under `/api/v1`.

use rocket::get;
use rocket::serde::json::{json, Value};

use crate::auth::guards::CurrentUser;

/// The signed-in user (401 JSON otherwise, from the catcher).
#[get("/api/v1/me")]
pub fn me(current: CurrentUser) -> Value {
    let u = current.user;
    json!({
        "id": u.id,
        "username": u.username,
        "full_name": u.full_name,
        "email": u.email,
        "is_admin": u.is_admin,
        "auth_provider": u.auth_provider,
    })
}
