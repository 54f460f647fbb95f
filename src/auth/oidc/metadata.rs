//! The IdP's discovery document and signing keys: fetched with timeout, retries and
//! exponential back-off, cached, refreshed in the background, and kept when a refresh fails.

use std::time::{Duration, Instant};

use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use serde_json::Value;

use super::http::OidcHttp;
use crate::config::OidcConfig;

/// What we use from the discovery document.
#[derive(Clone, Debug)]
pub struct Provider {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
    pub signing_algs: Vec<CoreJwsSigningAlgorithm>,
    /// The token endpoint accepts only `client_secret_post` (else we use HTTP Basic).
    pub post_auth_only: bool,
    pub scopes_supported: Option<Vec<String>>,
    pub claims_supported: Option<Vec<String>>,
    pub jwks: CoreJsonWebKeySet,
    pub jwks_key_count: usize,
    pub discovery_time: Duration,
    pub jwks_time: Duration,
    pub fetched_at: i64,
}

#[derive(Clone, Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("discovery issuer {discovered:?} does not equal OIDC_ISSUER {configured:?} (they must match exactly, trailing slash included)")]
    IssuerMismatch {
        configured: String,
        discovered: String,
    },
    #[error("the discovery document is not usable: {0}")]
    Invalid(String),
}

fn get_json(http: &OidcHttp, url: &str) -> Result<(Value, Duration), MetadataError> {
    let started = Instant::now();
    let (status, body) = http
        .get(url, None)
        .map_err(|e| MetadataError::Unreachable(format!("{url}: {e}")))?;
    if status != 200 {
        return Err(MetadataError::Unreachable(format!(
            "{url} answered HTTP {status}"
        )));
    }
    let json = serde_json::from_slice(&body)
        .map_err(|e| MetadataError::Invalid(format!("{url}: not JSON: {e}")))?;
    Ok((json, started.elapsed()))
}

fn string(doc: &Value, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_string)
}

fn strings(doc: &Value, key: &str) -> Option<Vec<String>> {
    doc.get(key).and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

/// The JWKS at `url`; keys of types we can't use are skipped by the parser.
pub fn fetch_jwks(
    http: &OidcHttp,
    url: &str,
) -> Result<(CoreJsonWebKeySet, usize, Duration), MetadataError> {
    let (json, took) = get_json(http, url)?;
    let count = json
        .get("keys")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let jwks =
        serde_json::from_value(json).map_err(|e| MetadataError::Invalid(format!("JWKS: {e}")))?;
    Ok((jwks, count, took))
}

/// One attempt: discovery (issuer checked byte for byte), then the JWKS.
pub fn fetch_once(http: &OidcHttp, cfg: &OidcConfig) -> Result<Provider, MetadataError> {
    let configured = cfg.issuer.clone().unwrap_or_default();
    let url = format!(
        "{}/.well-known/openid-configuration",
        configured.trim_end_matches('/')
    );
    let (doc, discovery_time) = get_json(http, &url)?;
    let discovered = string(&doc, "issuer").unwrap_or_default();
    if discovered != configured {
        return Err(MetadataError::IssuerMismatch {
            configured,
            discovered,
        });
    }
    let need = |key: &str| {
        string(&doc, key).ok_or_else(|| MetadataError::Invalid(format!("{key} is missing")))
    };
    let signing_algs: Vec<CoreJwsSigningAlgorithm> =
        strings(&doc, "id_token_signing_alg_values_supported")
            .unwrap_or_else(|| vec!["RS256".into()])
            .into_iter()
            .filter_map(|a| serde_json::from_value(Value::String(a)).ok())
            .filter(|a| *a != CoreJwsSigningAlgorithm::None)
            .collect();
    let auth_methods = strings(&doc, "token_endpoint_auth_methods_supported");
    let post_auth_only = auth_methods.as_ref().is_some_and(|m| {
        m.iter().any(|x| x == "client_secret_post") && !m.iter().any(|x| x == "client_secret_basic")
    });
    let jwks_uri = need("jwks_uri")?;
    let (jwks, jwks_key_count, jwks_time) = fetch_jwks(http, &jwks_uri)?;
    Ok(Provider {
        issuer: discovered,
        authorization_endpoint: need("authorization_endpoint")?,
        token_endpoint: need("token_endpoint")?,
        userinfo_endpoint: string(&doc, "userinfo_endpoint"),
        jwks_uri,
        end_session_endpoint: string(&doc, "end_session_endpoint"),
        signing_algs,
        post_auth_only,
        scopes_supported: strings(&doc, "scopes_supported"),
        claims_supported: strings(&doc, "claims_supported"),
        jwks,
        jwks_key_count,
        discovery_time,
        jwks_time,
        fetched_at: crate::db::now(),
    })
}

/// Up to `OIDC_METADATA_RETRY_ATTEMPTS` attempts, waiting `OIDC_METADATA_RETRY_DELAY` s and
/// doubling after each failure. A configuration error (issuer mismatch) is not retried.
pub fn fetch(http: &OidcHttp, cfg: &OidcConfig) -> Result<Provider, MetadataError> {
    let attempts = cfg.metadata_retry_attempts.max(1);
    let mut delay = Duration::from_secs(cfg.metadata_retry_delay);
    let mut last = MetadataError::Unreachable("no attempt made".into());
    for attempt in 1..=attempts {
        match fetch_once(http, cfg) {
            Ok(p) => return Ok(p),
            Err(e @ MetadataError::IssuerMismatch { .. }) => return Err(e),
            Err(e) => {
                tracing::warn!(attempt, attempts, error = %e, "OIDC metadata fetch failed");
                last = e;
            }
        }
        if attempt < attempts {
            std::thread::sleep(delay);
            delay = delay.saturating_mul(2);
        }
    }
    Err(last)
}
