//! Username rules: trimmed, lowercased, `[a-z0-9._-]{1,64}`.

pub const RULE: &str =
    "Usernames are 1 to 64 characters: lowercase letters, digits, dot, underscore or hyphen.";

/// The canonical form of a typed username, or why it can't be one.
pub fn normalize(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim().to_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(name)
    } else {
        Err(RULE)
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn usernames_are_trimmed_and_lowercased() {
        assert_eq!(normalize("  Alice.B ").unwrap(), "alice.b");
    }

    #[test]
    fn usernames_outside_the_alphabet_are_refused() {
        for bad in ["", "a b", "al/ice", "ålice", &"x".repeat(65)] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }
}
