//! Kiosk mode (SPEC §7): a shared terminal where people identify with a badge, a PIN or a
//! password, use their timer, and leave. The kiosk session is its own kind, scoped to /kiosk,
//! and ends after each action or after a short idle time, on the server.

pub mod credentials;
pub mod identify;
pub mod settings;
