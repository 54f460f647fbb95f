//! Liveness and readiness probes.

use rocket::http::Status;
use rocket::serde::json::{json, Value};
use rocket::{get, State};

use crate::db::migrate;
use crate::AppState;

/// The process is up.
#[get("/healthz")]
pub fn healthz() -> Value {
    json!({ "status": "ok" })
}

/// The database answers and its schema is current.
#[get("/readyz")]
pub async fn readyz(state: &State<AppState>) -> (Status, Value) {
    match state.db.run(|c| migrate::current_version(c)).await {
        Ok(v) if v == migrate::LATEST => (
            Status::Ok,
            json!({ "status": "ready", "schema_version": v }),
        ),
        Ok(v) => (
            Status::ServiceUnavailable,
            json!({ "status": "migrations_pending", "schema_version": v, "expected": migrate::LATEST }),
        ),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            (
                Status::ServiceUnavailable,
                json!({ "status": "database_unavailable" }),
            )
        }
    }
}
