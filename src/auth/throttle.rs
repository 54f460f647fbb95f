//! Persisted back-off for failed sign-ins, per account and per client IP. The first five
//! failures are free; each one after that doubles the wait, up to an hour.

use rusqlite::Connection;

use crate::db::throttle::{self, Counter};
use crate::db::DbError;

pub const FREE_FAILURES: i64 = 5;
const BASE_DELAY_SECS: i64 = 30;
const MAX_DELAY_SECS: i64 = 3600;
/// Failures older than this (since the last one) no longer count.
const FORGET_AFTER_SECS: i64 = 3600;

pub fn account_key(username: &str) -> String {
    format!("user:{username}")
}

pub fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Seconds until the longest lock among `keys` ends, if any is locked.
pub fn retry_after(conn: &Connection, keys: &[String], now: i64) -> Result<Option<i64>, DbError> {
    let mut wait = 0;
    for key in keys {
        if let Some(c) = throttle::get(conn, key)? {
            wait = wait.max(c.locked_until - now);
        }
    }
    Ok((wait > 0).then_some(wait))
}

/// Counts one failure against each key and starts or extends its lock.
pub fn record_failure(conn: &Connection, keys: &[String], now: i64) -> Result<(), DbError> {
    for key in keys {
        let failures = match throttle::get(conn, key)? {
            Some(c) if now - c.last_failure_at < FORGET_AFTER_SECS => c.failures + 1,
            _ => 1,
        };
        let locked_until = if failures >= FREE_FAILURES {
            let exp = u32::try_from(failures - FREE_FAILURES)
                .unwrap_or(u32::MAX)
                .min(16);
            now + (BASE_DELAY_SECS << exp).min(MAX_DELAY_SECS)
        } else {
            0
        };
        throttle::put(
            conn,
            key,
            &Counter {
                failures,
                last_failure_at: now,
                locked_until,
            },
        )?;
    }
    Ok(())
}

pub fn clear(conn: &Connection, key: &str) -> Result<(), DbError> {
    throttle::clear(conn, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::db::migrate::migrate(&mut c, std::path::Path::new("/nonexistent")).unwrap();
        c
    }

    #[test]
    fn back_off_starts_at_the_fifth_failure_and_doubles() {
        let c = db();
        let keys = vec![account_key("bob")];
        for _ in 0..4 {
            record_failure(&c, &keys, 1000).unwrap();
        }
        assert_eq!(retry_after(&c, &keys, 1000).unwrap(), None);
        record_failure(&c, &keys, 1000).unwrap();
        assert_eq!(retry_after(&c, &keys, 1000).unwrap(), Some(30));
        record_failure(&c, &keys, 1000).unwrap();
        assert_eq!(retry_after(&c, &keys, 1000).unwrap(), Some(60));
        assert_eq!(retry_after(&c, &keys, 1060).unwrap(), None);
    }

    #[test]
    fn old_failures_are_forgotten() {
        let c = db();
        let keys = vec![ip_key("10.0.0.1")];
        for _ in 0..5 {
            record_failure(&c, &keys, 1000).unwrap();
        }
        record_failure(&c, &keys, 1000 + FORGET_AFTER_SECS + 1).unwrap();
        assert_eq!(
            retry_after(&c, &keys, 1000 + FORGET_AFTER_SECS + 1).unwrap(),
            None
        );
    }
}
