//! The `next` parameter: only same-site relative paths survive, so a login link can never
//! send someone to another site (`//evil.example`, `/\evil.example`, `https://…`).

/// `Some(path)` when `next` is a safe local path to return to after sign-in.
pub fn safe_next(next: &str) -> Option<String> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && next.len() <= 2048
        && !next.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then(|| next.to_string())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn relative_paths_are_kept() {
        assert_eq!(
            safe_next("/reports?week=3").as_deref(),
            Some("/reports?week=3")
        );
    }

    #[test]
    fn absolute_and_protocol_relative_targets_are_dropped() {
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/\t/evil.example",
            "/ /evil",
            "",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
