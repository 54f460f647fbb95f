//! What a refused or failed request looks like: a page, or JSON under `/api`.

use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Redirect, Responder};
use rocket::{catch, catchers, Catcher};

use crate::auth::guards::Refusal;
use crate::error::render_error;

pub fn all() -> Vec<Catcher> {
    catchers![
        unauthorized,
        forbidden,
        not_found,
        unprocessable,
        bad_request,
        too_large,
        default
    ]
}

struct ErrorPage {
    status: Status,
    code: &'static str,
    message: String,
}

impl<'r> Responder<'r, 'static> for ErrorPage {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        render_error(req, self.status, self.code, &self.message)
    }
}

fn page(status: Status, code: &'static str, message: impl Into<String>) -> ErrorPage {
    ErrorPage {
        status,
        code,
        message: message.into(),
    }
}

#[catch(401)]
fn unauthorized(req: &Request<'_>) -> Result<Redirect, ErrorPage> {
    // Machines (API clients, a metrics scraper) get the status, not a login page.
    if req.uri().path().starts_with("/api/") || req.uri().path() == "/metrics" {
        let why = req.local_cache(|| {
            Refusal("Sign in, or send an API token as 'Authorization: Bearer <token>'.")
        });
        return Err(page(Status::Unauthorized, "unauthorized", why.0));
    }
    if req.uri().path().starts_with("/kiosk") {
        return Ok(Redirect::to("/kiosk"));
    }
    // A relative `next`, so the round trip works behind any proxy (and can't be poisoned).
    let here = req.uri().to_string();
    let target = if req.method() == rocket::http::Method::Get && here != "/" {
        format!(
            "/login?next={}",
            url::form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
        )
    } else {
        "/login".to_string()
    };
    Ok(Redirect::to(target))
}

#[catch(403)]
fn forbidden(req: &Request<'_>) -> ErrorPage {
    let why = req.local_cache(|| Refusal("You don't have access to this."));
    page(Status::Forbidden, "forbidden", why.0)
}

#[catch(404)]
fn not_found() -> ErrorPage {
    page(
        Status::NotFound,
        "not_found",
        "There is nothing at this address.",
    )
}

#[catch(422)]
fn unprocessable() -> ErrorPage {
    page(
        Status::UnprocessableEntity,
        "bad_request",
        "The form was incomplete or malformed. Go back, check the fields and try again.",
    )
}

#[catch(400)]
fn bad_request() -> ErrorPage {
    page(
        Status::BadRequest,
        "bad_request",
        "The request was malformed.",
    )
}

#[catch(413)]
fn too_large() -> ErrorPage {
    page(
        Status::PayloadTooLarge,
        "too_large",
        "That was more data than this form accepts.",
    )
}

#[catch(default)]
fn default(status: Status, _req: &Request<'_>) -> ErrorPage {
    let message = if status.code >= 500 {
        "Something went wrong on our side. Please try again; if it keeps happening, tell your administrator."
    } else {
        "The request could not be handled."
    };
    page(status, "error", message)
}
