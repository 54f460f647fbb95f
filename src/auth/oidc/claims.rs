//! Reading claims by their configured names, deriving a username, and the admin mapping.

use serde_json::{Map, Value};

use crate::auth::username;
use crate::config::OidcConfig;

pub type Claims = Map<String, Value>;

/// A string claim (numbers are accepted too, some IdPs send numeric ids).
pub fn string(claims: &Claims, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `email_verified`, which some IdPs send as a string.
pub fn email_verified(claims: &Claims) -> Option<bool> {
    match claims.get("email_verified")? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => crate::config::parse_bool(s),
        _ => None,
    }
}

/// The groups claim as a list; `None` when the claim is absent altogether.
pub fn groups(claims: &Claims, name: &str) -> Option<Vec<String>> {
    match claims.get(name)? {
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        Value::String(s) => Some(
            s.split([',', ' '])
                .filter(|g| !g.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        _ => Some(Vec::new()),
    }
}

/// Makes a claim value fit the username rules, or `None` if nothing usable is left.
pub fn sanitize(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed: String = cleaned.trim_matches(['-', '.']).chars().take(64).collect();
    username::normalize(&trimmed).ok()
}

/// The username for a new SSO account: the username claim, else the email's local part,
/// else `user-` and 8 characters of the subject.
pub fn derive_username(cfg: &OidcConfig, claims: &Claims, subject: &str) -> String {
    let from_claim = string(claims, &cfg.username_claim).and_then(|u| sanitize(&u));
    let from_email = || {
        string(claims, &cfg.email_claim)
            .and_then(|e| e.split('@').next().map(str::to_string))
            .and_then(|local| sanitize(&local))
    };
    from_claim.or_else(from_email).unwrap_or_else(|| {
        let tail: String = subject
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(8)
            .collect::<String>()
            .to_lowercase();
        format!("user-{tail}")
    })
}

/// Whether this identity is an administrator, recomputed at every SSO login. `None` means
/// "leave the account as it is": no mapping is configured, or the groups claim is missing
/// (a missing claim must not silently revoke everybody).
pub fn admin_decision(cfg: &OidcConfig, claims: &Claims) -> Option<bool> {
    if cfg.admin_group.is_none() && cfg.admin_emails.is_empty() {
        return None;
    }
    let by_email = email_verified(claims) != Some(false)
        && string(claims, &cfg.email_claim)
            .map(|e| e.to_lowercase())
            .is_some_and(|e| cfg.admin_emails.contains(&e));
    match (&cfg.admin_group, groups(claims, &cfg.groups_claim)) {
        (Some(group), Some(have)) => Some(by_email || have.iter().any(|g| g == group)),
        (Some(_), None) if !by_email => None,
        _ => Some(by_email),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cfg() -> OidcConfig {
        let c = crate::config::Config::for_data_dir(
            std::path::Path::new("/tmp/x"),
            &[
                ("OIDC_ADMIN_GROUP", "tt-admins"),
                ("OIDC_ADMIN_EMAILS", "Boss@Example.com"),
            ],
        )
        .unwrap();
        c.oidc
    }

    fn claims(v: Value) -> Claims {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn username_falls_back_from_claim_to_email_to_subject() {
        let c = cfg();
        assert_eq!(
            derive_username(&c, &claims(json!({"preferred_username": "Jane Doe"})), "s"),
            "jane-doe"
        );
        assert_eq!(
            derive_username(&c, &claims(json!({"email": "j.d@x.org"})), "s"),
            "j.d"
        );
        assert_eq!(
            derive_username(&c, &claims(json!({})), "AbC-123456789"),
            "user-abc12345"
        );
    }

    #[test]
    fn admin_by_exact_group_or_verified_email() {
        let c = cfg();
        assert_eq!(
            admin_decision(&c, &claims(json!({"groups": ["tt-admins"]}))),
            Some(true)
        );
        assert_eq!(
            admin_decision(&c, &claims(json!({"groups": ["TT-Admins"]}))),
            Some(false)
        );
        assert_eq!(
            admin_decision(
                &c,
                &claims(json!({"groups": [], "email": "boss@example.com"}))
            ),
            Some(true)
        );
        assert_eq!(
            admin_decision(
                &c,
                &claims(
                    json!({"groups": [], "email": "boss@example.com", "email_verified": false})
                )
            ),
            Some(false),
            "W4: an unverified email never makes an admin"
        );
        assert_eq!(
            admin_decision(&c, &claims(json!({"email": "x@example.com"}))),
            None,
            "no groups claim: unchanged"
        );
    }
}
