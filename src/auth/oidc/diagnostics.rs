//! What `timetracker oidc check` and /admin/oidc report: the effective settings, DNS per
//! strategy, discovery and key timing, issuer match, scope and claim support, end-session
//! support, and the recent failures with their fixes.

use std::time::Instant;

use serde::Serialize;

use super::http::{lookup, OidcHttp};
use super::metadata::{self, MetadataError};
use crate::auth::sso_reasons;
use crate::config::{Config, DnsStrategy};
use crate::db::oidc::FailureRow;

#[derive(Serialize)]
pub struct Setting {
    pub name: &'static str,
    pub value: String,
}

#[derive(Serialize)]
pub struct DnsCheck {
    pub strategy: &'static str,
    pub addresses: Vec<String>,
    pub millis: u128,
    pub error: Option<String>,
}

#[derive(Serialize)]
pub struct Support {
    pub name: String,
    /// `None` when the IdP does not publish the list.
    pub supported: Option<bool>,
}

#[derive(Serialize)]
pub struct FailureView {
    pub at: String,
    pub reason: String,
    pub detail: String,
    pub fix: &'static str,
}

#[derive(Serialize)]
pub struct Report {
    pub ok: bool,
    pub problems: Vec<String>,
    pub settings: Vec<Setting>,
    pub dns: Vec<DnsCheck>,
    pub discovery_millis: Option<u128>,
    pub jwks_millis: Option<u128>,
    pub jwks_keys: Option<usize>,
    pub issuer_configured: String,
    pub issuer_discovered: Option<String>,
    pub issuer_matches: bool,
    pub scopes: Vec<Support>,
    pub claims: Vec<Support>,
    pub end_session_supported: bool,
    pub post_logout_configured: bool,
    pub failures: Vec<FailureView>,
}

fn support(names: Vec<String>, published: &Option<Vec<String>>) -> Vec<Support> {
    names
        .into_iter()
        .map(|name| Support {
            supported: published.as_ref().map(|list| list.contains(&name)),
            name,
        })
        .collect()
}

/// Runs every check once, with a single attempt per fetch.
pub fn run(config: &Config, failures: Vec<FailureRow>) -> Report {
    let cfg = &config.oidc;
    let mut problems = Vec::new();
    if !config.auth_method.uses_sso() {
        problems.push(format!(
            "AUTH_METHOD is {}: single sign-on is off",
            config.auth_method.as_str()
        ));
    }
    let settings = config
        .describe()
        .into_iter()
        .filter(|(k, _)| k.starts_with("OIDC_") || *k == "AUTH_METHOD" || *k == "PUBLIC_URL")
        .map(|(name, value)| Setting { name, value })
        .collect();

    let issuer = cfg.issuer.clone().unwrap_or_default();
    let host = url::Url::parse(&issuer)
        .ok()
        .and_then(|u| Some((u.host_str()?.to_string(), u.port_or_known_default()?)));
    let dns = match &host {
        Some((h, port)) => [
            ("auto", DnsStrategy::Auto),
            ("socket", DnsStrategy::Socket),
            ("getaddrinfo", DnsStrategy::Getaddrinfo),
            ("both", DnsStrategy::Both),
        ]
        .into_iter()
        .map(|(name, s)| {
            let started = Instant::now();
            let result = lookup(s, h, *port);
            DnsCheck {
                strategy: name,
                millis: started.elapsed().as_millis(),
                addresses: result
                    .as_ref()
                    .map(|a| a.iter().map(|x| x.ip().to_string()).collect())
                    .unwrap_or_default(),
                error: result.err().map(|e| e.to_string()),
            }
        })
        .collect(),
        None => {
            problems.push("OIDC_ISSUER is not set or not a URL".into());
            Vec::new()
        }
    };

    let http = OidcHttp::new(cfg);
    let fetched = if host.is_some() {
        metadata::fetch_once(&http, cfg)
    } else {
        Err(MetadataError::Invalid("no issuer to ask".into()))
    };
    let mut scopes_claims = (Vec::new(), Vec::new());
    let (mut discovered, mut end_session, mut timing) = (None, false, (None, None, None));
    match &fetched {
        Ok(p) => {
            discovered = Some(p.issuer.clone());
            end_session = p.end_session_endpoint.is_some();
            timing = (
                Some(p.discovery_time.as_millis()),
                Some(p.jwks_time.as_millis()),
                Some(p.jwks_key_count),
            );
            let claim_names = vec![
                "sub".to_string(),
                cfg.username_claim.clone(),
                cfg.full_name_claim.clone(),
                cfg.email_claim.clone(),
                cfg.groups_claim.clone(),
            ];
            scopes_claims = (
                support(cfg.scopes.clone(), &p.scopes_supported),
                support(claim_names, &p.claims_supported),
            );
            if p.jwks_key_count == 0 {
                problems.push("the JWKS has no keys".into());
            }
        }
        Err(MetadataError::IssuerMismatch { discovered: d, .. }) => {
            discovered = Some(d.clone());
            problems.push(
                fetched
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            );
        }
        Err(e) if host.is_some() => problems.push(e.to_string()),
        Err(_) => {}
    }
    let post_logout_configured = cfg.post_logout_redirect_uri.is_some();
    if post_logout_configured && fetched.is_ok() && !end_session {
        problems.push("OIDC_POST_LOGOUT_REDIRECT_URI is set but the IdP has no end_session_endpoint: logout stays local".into());
    }
    let failures = failures
        .into_iter()
        .map(|f| FailureView {
            at: chrono::DateTime::from_timestamp(f.at, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            fix: sso_reasons::lookup(&f.reason).map_or("", |r| r.fix),
            reason: f.reason,
            detail: f.detail.unwrap_or_default(),
        })
        .collect();
    Report {
        ok: problems.is_empty(),
        problems,
        settings,
        dns,
        discovery_millis: timing.0,
        jwks_millis: timing.1,
        jwks_keys: timing.2,
        issuer_matches: discovered.as_deref() == Some(issuer.as_str()),
        issuer_configured: issuer,
        issuer_discovered: discovered,
        scopes: scopes_claims.0,
        claims: scopes_claims.1,
        end_session_supported: end_session,
        post_logout_configured,
        failures,
    }
}
