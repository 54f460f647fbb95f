//! The authorization-code flow: the redirect to the IdP, then the callback's code exchange and
//! every check on the ID token and userinfo. Blocking; run on the blocking pool.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{TimeDelta, Utc};
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier};
use openidconnect::{
    ClaimsVerificationError, ClientId, ClientSecret, IssuerUrl, Nonce, PkceCodeChallenge,
    SignatureVerificationError, SyncHttpClient,
};
use serde_json::Value;

use super::claims::Claims;
use super::metadata::Provider;
use super::{Failure, Oidc};
use crate::auth::tokens::random_token;
use crate::config::OidcConfig;
use crate::db::oidc::Flow;

/// The cookie binding a flow to the browser (SameSite=Lax: it must survive the IdP redirect).
pub const COOKIE: &str = "tt_oidc";
/// How long a sign-in may take at the IdP.
pub const FLOW_TTL_SECS: i64 = 600;

pub const UNSUPPORTED: &str = "unsupported_algorithm_or_jwe";
pub const INVALID: &str = "id_token_invalid";
pub const MISSING_ISS_SUB: &str = "missing_issuer_sub";
pub const EXCHANGE: &str = "token_exchange_failed";

/// The redirect to the IdP and the server-side row that must come back with the browser.
pub struct Begun {
    pub authorize_url: String,
    pub cookie_value: String,
    pub flow: Flow,
}

pub fn begin(p: &Provider, cfg: &OidcConfig, next: Option<String>) -> Result<Begun, Failure> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = random_token(32);
    let nonce = random_token(32);
    let mut scopes = vec!["openid".to_string()];
    scopes.extend(cfg.scopes.iter().filter(|s| *s != "openid").cloned());
    let mut url = url::Url::parse(&p.authorization_endpoint)
        .map_err(|e| Failure::new("discovery_failed", format!("authorization_endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", cfg.client_id.as_deref().unwrap_or_default())
        .append_pair(
            "redirect_uri",
            cfg.redirect_uri.as_deref().unwrap_or_default(),
        )
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256");
    Ok(Begun {
        authorize_url: url.into(),
        cookie_value: random_token(32),
        flow: Flow {
            state,
            nonce,
            pkce_verifier: verifier.secret().clone(),
            next,
        },
    })
}

/// A validated sign-in: who it is, their merged claims, and the raw ID token (for logout).
pub struct Verified {
    pub issuer: String,
    pub subject: String,
    pub claims: Claims,
    pub id_token: String,
}

/// Exchanges the code and validates everything. `flow` has already been consumed.
pub fn complete(oidc: &Oidc, flow: &Flow, code: &str) -> Result<Verified, Failure> {
    let provider = oidc
        .provider()
        .map_err(|e| Failure::new("discovery_failed", e.to_string()))?;
    let tokens = exchange(oidc, &provider, code, &flow.pkce_verifier)?;
    let raw = tokens
        .get("id_token")
        .and_then(Value::as_str)
        .ok_or_else(|| Failure::new(INVALID, "the token response has no id_token"))?
        .to_string();
    let mut claims = match verify(&oidc.cfg, &provider, &raw, &flow.nonce) {
        Err(Retry::UnknownKey) => {
            // The IdP rotated its keys: fetch the set once more, then give up.
            let fresh = oidc.refresh_jwks(&provider).map_err(|e| {
                Failure::new(
                    INVALID,
                    format!("unknown signing key and the JWKS refetch failed: {e}"),
                )
            })?;
            match verify(&oidc.cfg, &fresh, &raw, &flow.nonce) {
                Err(Retry::UnknownKey) => {
                    return Err(Failure::new(
                        INVALID,
                        "no key in the JWKS matches the ID token",
                    ))
                }
                other => other.map_err(Retry::into_failure)?,
            }
        }
        other => other.map_err(Retry::into_failure)?,
    };
    let subject = super::claims::string(&claims, "sub").unwrap_or_default();
    let issuer = super::claims::string(&claims, "iss").unwrap_or_default();

    let access_token = tokens.get("access_token").and_then(Value::as_str);
    if let (Some(endpoint), Some(token)) = (&provider.userinfo_endpoint, access_token) {
        if let Some(info) = userinfo(oidc, endpoint, token) {
            if super::claims::string(&info, "sub").as_deref() != Some(subject.as_str()) {
                return Err(Failure::new(
                    "userinfo_sub_mismatch",
                    "userinfo describes another subject",
                ));
            }
            // The validated ID token wins; userinfo only fills gaps.
            for (k, v) in info {
                claims.entry(k).or_insert(v);
            }
        }
    }
    Ok(Verified {
        issuer,
        subject,
        claims,
        id_token: raw,
    })
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// POSTs the code to the token endpoint (client_secret_basic, or _post when that's all the IdP
/// takes) with the PKCE verifier.
fn exchange(
    oidc: &Oidc,
    p: &Provider,
    code: &str,
    verifier: &str,
) -> Result<serde_json::Map<String, Value>, Failure> {
    let cfg = &oidc.cfg;
    let client_id = cfg.client_id.clone().unwrap_or_default();
    let secret = cfg
        .client_secret
        .as_ref()
        .map(|s| s.expose().to_string())
        .unwrap_or_default();
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair(
            "redirect_uri",
            cfg.redirect_uri.as_deref().unwrap_or_default(),
        )
        .append_pair("code_verifier", verifier);
    let mut req = http::Request::post(&p.token_endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json");
    if p.post_auth_only {
        form.append_pair("client_id", &client_id)
            .append_pair("client_secret", &secret);
    } else {
        let basic = STANDARD.encode(format!(
            "{}:{}",
            form_encode(&client_id),
            form_encode(&secret)
        ));
        req = req.header("Authorization", format!("Basic {basic}"));
    }
    let req = req
        .body(form.finish().into_bytes())
        .map_err(|e| Failure::new(EXCHANGE, e.to_string()))?;
    let res = oidc
        .http()
        .call(req)
        .map_err(|e| Failure::new(EXCHANGE, format!("token endpoint: {e}")))?;
    let status = res.status().as_u16();
    let body: Value = serde_json::from_slice(res.body()).unwrap_or(Value::Null);
    if status != 200 {
        let error = body
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no error code");
        return Err(Failure::new(
            EXCHANGE,
            format!("token endpoint answered HTTP {status} ({error})"),
        ));
    }
    match body {
        Value::Object(map) => Ok(map),
        _ => Err(Failure::new(
            EXCHANGE,
            "token endpoint answer is not a JSON object",
        )),
    }
}

enum Retry {
    UnknownKey,
    Fail(Failure),
}

impl Retry {
    fn into_failure(self) -> Failure {
        match self {
            Retry::UnknownKey => Failure::new(INVALID, "no key in the JWKS matches the ID token"),
            Retry::Fail(f) => f,
        }
    }
}

fn decode_segment(raw: &str, index: usize) -> Option<serde_json::Map<String, Value>> {
    let part = raw.split('.').nth(index)?;
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Signature (keys and algorithms from discovery, never `none`), issuer, audience and azp,
/// expiry and issue time with the configured skew, nonce, and subject.
fn verify(cfg: &OidcConfig, p: &Provider, raw: &str, nonce: &str) -> Result<Claims, Retry> {
    let fail = |reason, detail: String| Retry::Fail(Failure::new(reason, detail));
    if raw.split('.').count() == 5 {
        return Err(fail(UNSUPPORTED, "the ID token is encrypted (JWE)".into()));
    }
    let header =
        decode_segment(raw, 0).ok_or_else(|| fail(INVALID, "the ID token is not a JWT".into()))?;
    let payload = decode_segment(raw, 1)
        .ok_or_else(|| fail(INVALID, "the ID token payload is not JSON".into()))?;
    let missing = |k: &str| {
        payload
            .get(k)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    };
    if missing("iss") || missing("sub") {
        return Err(fail(
            MISSING_ISS_SUB,
            "the ID token has no iss or no sub".into(),
        ));
    }
    if header
        .get("alg")
        .and_then(Value::as_str)
        .is_none_or(|a| a.eq_ignore_ascii_case("none"))
    {
        return Err(fail(
            UNSUPPORTED,
            "the ID token is unsigned (alg none)".into(),
        ));
    }
    let token: CoreIdToken = serde_json::from_value(Value::String(raw.to_string()))
        .map_err(|e| fail(INVALID, format!("the ID token could not be parsed: {e}")))?;
    let client_id = cfg.client_id.clone().unwrap_or_default();
    let issuer = IssuerUrl::new(p.issuer.clone()).map_err(|e| fail(INVALID, e.to_string()))?;
    let skew = TimeDelta::seconds(i64::try_from(cfg.clock_skew_seconds).unwrap_or(60));
    let mut verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(client_id.clone()),
        issuer,
        p.jwks.clone(),
    );
    if let Some(secret) = &cfg.client_secret {
        // HMAC ID tokens are checked with the client secret, never with an IdP public key.
        verifier = CoreIdTokenVerifier::new_confidential_client(
            ClientId::new(client_id.clone()),
            ClientSecret::new(secret.expose().to_string()),
            IssuerUrl::new(p.issuer.clone()).map_err(|e| fail(INVALID, e.to_string()))?,
            p.jwks.clone(),
        );
    }
    let verifier = verifier
        .set_allowed_algs(p.signing_algs.clone())
        .set_other_audience_verifier_fn(|_| true)
        .set_time_fn(move || Utc::now() - skew)
        .set_issue_time_verifier_fn(move |iat| {
            if iat > Utc::now() + skew {
                Err(format!("issued in the future ({iat})"))
            } else {
                Ok(())
            }
        });
    if let Err(e) = token.claims(&verifier, &Nonce::new(nonce.to_string())) {
        return Err(match e {
            ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            ) => Retry::UnknownKey,
            ClaimsVerificationError::Unsupported(m) => fail(UNSUPPORTED, m),
            ClaimsVerificationError::SignatureVerification(
                s @ (SignatureVerificationError::DisallowedAlg(_)
                | SignatureVerificationError::UnsupportedAlg(_)
                | SignatureVerificationError::NoSignature),
            ) => fail(UNSUPPORTED, s.to_string()),
            other => fail(INVALID, other.to_string()),
        });
    }
    // The crate compares issuers as URLs; the spec wants the exact string.
    if payload.get("iss").and_then(Value::as_str) != Some(p.issuer.as_str()) {
        return Err(fail(
            INVALID,
            "iss differs from the discovery issuer".into(),
        ));
    }
    let audiences: Vec<&str> = match payload.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let azp = payload.get("azp").and_then(Value::as_str);
    if (audiences.len() > 1 || azp.is_some()) && azp != Some(client_id.as_str()) {
        return Err(fail(
            INVALID,
            "several audiences and azp is not this client".into(),
        ));
    }
    Ok(payload)
}

/// The userinfo claims, when the endpoint answers with a JSON object; `None` otherwise (the
/// ID token's claims are then all we have, which is logged).
fn userinfo(oidc: &Oidc, endpoint: &str, access_token: &str) -> Option<Claims> {
    match oidc.http().get(endpoint, Some(access_token)) {
        Ok((200, body)) => match serde_json::from_slice(&body) {
            Ok(Value::Object(map)) => Some(map),
            _ => {
                tracing::warn!(
                    "OIDC userinfo answer is not a JSON object; using the ID token claims only"
                );
                None
            }
        },
        Ok((status, _)) => {
            tracing::warn!(
                status,
                "OIDC userinfo request failed; using the ID token claims only"
            );
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "OIDC userinfo request failed; using the ID token claims only");
            None
        }
    }
}
