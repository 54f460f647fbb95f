//! Kiosk credentials: PINs (4-8 digits, argon2) and badge codes (HMAC-SHA256 under the
//! server secret, so a badge can be looked up without being stored readable).

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const PIN_RULE: &str = "A PIN is 4 to 8 digits.";
pub const BADGE_RULE: &str = "A badge code is 4 to 128 visible characters.";

pub fn check_pin(pin: &str) -> Result<(), &'static str> {
    if (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PIN_RULE)
    }
}

/// The badge code as scanners type it: surrounding whitespace (the Enter) removed.
pub fn normalize_badge(raw: &str) -> Result<String, &'static str> {
    let code = raw.trim();
    if (4..=128).contains(&code.chars().count()) && !code.chars().any(char::is_control) {
        Ok(code.to_string())
    } else {
        Err(BADGE_RULE)
    }
}

/// The stored, searchable digest of a badge code.
pub fn badge_digest(secret: &str, code: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"timetracker-badge:");
    mac.update(code.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_four_to_eight_digits() {
        assert!(check_pin("1234").is_ok() && check_pin("12345678").is_ok());
        for bad in ["123", "123456789", "12a4", " 1234"] {
            assert!(check_pin(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn badge_digests_depend_on_the_secret_and_ignore_the_enter() {
        let code = normalize_badge("  0042137\n").unwrap();
        assert_eq!(code, "0042137");
        assert_ne!(
            badge_digest("secret-a", &code),
            badge_digest("secret-b", &code)
        );
        assert_eq!(badge_digest("secret-a", &code).len(), 64);
    }
}
