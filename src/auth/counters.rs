//! Sign-in outcomes since the process started, for `/metrics`. Process-wide atomics: one
//! server runs per process, and a counter must not cost a lock on the sign-in path.

use std::sync::atomic::{AtomicU64, Ordering};

use super::login::LoginOutcome;

/// (method, result) label pairs, in the order of `COUNTS`.
pub const SERIES: [(&str, &str); 6] = [
    ("local", "ok"),
    ("local", "invalid"),
    ("local", "throttled"),
    ("local", "rejected"),
    ("sso", "ok"),
    ("sso", "failed"),
];

static COUNTS: [AtomicU64; SERIES.len()] = [const { AtomicU64::new(0) }; SERIES.len()];

fn bump(i: usize) {
    COUNTS[i].fetch_add(1, Ordering::Relaxed);
}

/// One answer of the login form (password or username-only).
pub fn local(outcome: &LoginOutcome) {
    bump(match outcome {
        LoginOutcome::SignedIn { .. } => 0,
        LoginOutcome::Invalid => 1,
        LoginOutcome::Throttled { .. } => 2,
        LoginOutcome::Rejected(_) => 3,
    });
}

/// One finished single sign-on callback.
pub fn sso(ok: bool) {
    bump(if ok { 4 } else { 5 });
}

/// The current counts, paired with their labels.
pub fn snapshot() -> impl Iterator<Item = ((&'static str, &'static str), u64)> {
    SERIES
        .into_iter()
        .zip(COUNTS.iter().map(|c| c.load(Ordering::Relaxed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(method: &str, result: &str) -> u64 {
        snapshot()
            .find(|((m, r), _)| *m == method && *r == result)
            .map(|(_, n)| n)
            .expect("known series")
    }

    #[test]
    fn each_outcome_lands_in_its_own_series() {
        let before = (count("local", "throttled"), count("sso", "failed"));
        local(&LoginOutcome::Throttled { retry_after: 5 });
        sso(false);
        // Other tests may count in parallel, so only a lower bound holds.
        assert!(count("local", "throttled") > before.0);
        assert!(count("sso", "failed") > before.1);
    }
}
