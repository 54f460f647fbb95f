//! `AppError`: what a handler can fail with, mapped to a status and an HTML page or JSON body
//! in one place. The cause goes to the log; the person gets a sentence.

use crate::context;
use crate::web::templates::Template;
use rocket::http::{Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::serde::json::Json;

use crate::auth::AuthError;
use crate::db::DbError;
use crate::tracking::TrackingError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Missing(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("sign-in required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("too many attempts, retry after {retry_after} s")]
    TooManyRequests { retry_after: i64 },
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl AppError {
    fn status(&self) -> Status {
        match self {
            AppError::NotFound | AppError::Missing(_) => Status::NotFound,
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Unauthorized => Status::Unauthorized,
            AppError::Forbidden(_) => Status::Forbidden,
            AppError::Conflict { .. } => Status::Conflict,
            AppError::TooManyRequests { .. } => Status::TooManyRequests,
            AppError::Db(_) | AppError::Auth(_) => Status::InternalServerError,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            AppError::NotFound | AppError::Missing(_) => "not_found",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::Conflict { code, .. } => code,
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::Db(_) | AppError::Auth(_) => "internal_error",
        }
    }

    /// The sentence shown to the person; internal causes are never echoed.
    fn public_message(&self) -> String {
        match self {
            AppError::Db(_) | AppError::Auth(_) => {
                "Something went wrong on our side. Please try again; if it keeps happening, tell your administrator.".into()
            }
            AppError::NotFound => "There is nothing at this address.".into(),
            AppError::Unauthorized => "Please sign in first.".into(),
            AppError::TooManyRequests { retry_after } => {
                format!("Too many attempts. Try again in {retry_after} s.")
            }
            other => other.to_string(),
        }
    }
}

/// Renders an error for `req`: JSON under `/api`, the error page elsewhere.
pub fn render_error(
    req: &Request<'_>,
    status: Status,
    code: &str,
    message: &str,
) -> response::Result<'static> {
    if req.uri().path().starts_with("/api/") {
        let body = serde_json::json!({ "error": code, "message": message });
        return Response::build_from(Json(body).respond_to(req)?)
            .status(status)
            .ok();
    }
    let page = Template::render(
        "error.html",
        context! {
            status: status.code,
            title: status.reason().unwrap_or("Error"),
            message,
            assets_version: crate::web::assets::version(),
        },
    );
    Response::build_from(page.respond_to(req)?)
        .status(status)
        .ok()
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        if status.code >= 500 {
            tracing::error!(path = %req.uri().path(), error = %self, "request failed");
        }
        let mut res = render_error(req, status, self.code(), &self.public_message())?;
        if let AppError::TooManyRequests { retry_after } = self {
            res.set_header(Header::new("Retry-After", retry_after.to_string()));
        }
        Ok(res)
    }
}

impl From<TrackingError> for AppError {
    fn from(e: TrackingError) -> Self {
        let message = e.to_string();
        match e {
            TrackingError::TimerAlreadyRunning => AppError::Conflict {
                code: "timer_already_running",
                message,
            },
            TrackingError::NoTimerRunning => AppError::Conflict {
                code: "no_timer_running",
                message,
            },
            TrackingError::ProjectArchived(_) => AppError::Conflict {
                code: "project_archived",
                message,
            },
            TrackingError::Conflict(_) => AppError::Conflict {
                code: "conflict",
                message,
            },
            TrackingError::NotFound(_) => AppError::Missing(message),
            TrackingError::Invalid(_) => AppError::BadRequest(message),
            TrackingError::Forbidden(_) => AppError::Forbidden(message),
            TrackingError::Db(e) => AppError::Db(e),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
