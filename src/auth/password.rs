//! Argon2id password hashing on a few dedicated low-priority threads, so a storm of sign-ins
//! never stalls the async workers or takes CPU from other requests.

use std::sync::{mpsc, Arc, Mutex, OnceLock};

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

use super::AuthError;

pub const MIN_CHARS: usize = 8;
pub const MAX_CHARS: usize = 1024;

/// Checks a new password against the length rules (passwords are never trimmed).
pub fn check_new(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < MIN_CHARS {
        Err("Passwords must be at least 8 characters long.")
    } else if n > MAX_CHARS {
        Err("Passwords can be at most 1024 characters long.")
    } else {
        Ok(())
    }
}

/// Argon2id with the crate defaults: m=19456 KiB, t=2, p=1 (the OWASP recommendation).
pub fn hash_sync(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

pub fn verify_sync(password: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc)
        .is_ok()
}

/// A real hash to verify against when an account has none, so that the answer takes the
/// same time whether or not the username exists.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_sync("not-a-real-password-ever").unwrap_or_default())
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads: half the cores, at the lowest CPU priority, so that a storm of
/// sign-ins queues here and never takes CPU from other requests.
fn hashers() -> &'static Mutex<mpsc::Sender<Job>> {
    static HASHERS: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    HASHERS.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        for i in 0..(cores / 2).max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lowest_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        Mutex::new(tx)
    })
}

/// Linux keeps a nice value per thread: this lowers only the calling hashing thread.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory-safety preconditions; `0` means this thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

async fn on_hash_pool<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AuthError> {
    let (tx, rx) = rocket::tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    hashers()
        .lock()
        .map_err(|e| AuthError::Hash(e.to_string()))?
        .send(job)
        .map_err(|e| AuthError::Hash(e.to_string()))?;
    rx.await.map_err(|e| AuthError::Hash(e.to_string()))
}

pub async fn hash(password: String) -> Result<String, AuthError> {
    on_hash_pool(move || hash_sync(&password)).await?
}

/// Verifies `password` against `phc`; with no stored hash it burns the same time and fails.
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, AuthError> {
    on_hash_pool(move || match phc {
        Some(h) => verify_sync(&password, &h),
        None => {
            verify_sync(&password, dummy_hash());
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify() {
        let h = hash_sync("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_sync("correct horse", &h));
        assert!(!verify_sync("correct horse ", &h));
    }

    #[test]
    fn password_length_rules() {
        assert!(check_new("1234567").is_err());
        assert!(check_new("12345678").is_ok());
        assert!(check_new(&"x".repeat(1025)).is_err());
    }
}
