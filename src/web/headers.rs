//! Security headers on every response.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Request, Response};

/// No inline script or style, nothing from other origins, no framing.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

pub struct SecurityHeaders;

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_raw_header("Content-Security-Policy", CSP);
        res.set_raw_header("X-Content-Type-Options", "nosniff");
        res.set_raw_header("Referrer-Policy", "same-origin");
        res.set_raw_header("X-Frame-Options", "DENY");
        res.set_raw_header("Cross-Origin-Opener-Policy", "same-origin");
        if !req.uri().path().starts_with("/assets/") {
            // Pages carry personal data and CSRF tokens: never cache them.
            res.set_raw_header("Cache-Control", "no-store");
        }
    }
}
