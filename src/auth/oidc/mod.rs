//! OpenID Connect single sign-on (SPEC §4): discovery and keys cached in memory, the
//! authorization-code flow with PKCE, state and nonce kept server-side, strict ID-token
//! validation, and accounts matched only by (issuer, subject).

pub mod accounts;
pub mod claims;
pub mod diagnostics;
pub mod flow;
pub mod http;
pub mod metadata;

use std::sync::{Arc, RwLock};

use self::http::OidcHttp;
use self::metadata::{MetadataError, Provider};
use crate::config::OidcConfig;

/// A failed SSO sign-in: a stable reason code (operators grep for it) and a detail for the
/// log that never contains tokens.
#[derive(Debug)]
pub struct Failure {
    pub reason: &'static str,
    pub detail: String,
}

impl Failure {
    pub fn new(reason: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            reason,
            detail: detail.into(),
        }
    }
}

/// The IdP as this server knows it. All methods block: call them on the blocking pool.
pub struct Oidc {
    pub cfg: OidcConfig,
    http: OidcHttp,
    current: RwLock<Option<Arc<Provider>>>,
}

impl Oidc {
    pub fn new(cfg: &OidcConfig) -> Oidc {
        Oidc {
            cfg: cfg.clone(),
            http: OidcHttp::new(cfg),
            current: RwLock::new(None),
        }
    }

    pub fn http(&self) -> &OidcHttp {
        &self.http
    }

    /// The cached metadata, if any fetch has succeeded.
    pub fn cached(&self) -> Option<Arc<Provider>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    fn store(&self, p: Provider) -> Arc<Provider> {
        let p = Arc::new(p);
        if let Ok(mut slot) = self.current.write() {
            *slot = Some(p.clone());
        }
        p
    }

    /// The cached metadata, or one fetch now when there is none yet (the IdP was down). A
    /// person is waiting, so this tries once; retries are the background refresh's job.
    pub fn provider(&self) -> Result<Arc<Provider>, MetadataError> {
        if let Some(p) = self.cached() {
            return Ok(p);
        }
        let fresh = metadata::fetch_once(&self.http, &self.cfg)?;
        tracing::info!(issuer = %fresh.issuer, "OIDC metadata loaded");
        Ok(self.store(fresh))
    }

    /// Fetches discovery and keys again; on failure the last good copy stays in use.
    pub fn refresh(&self) -> Result<Arc<Provider>, MetadataError> {
        let fresh = metadata::fetch(&self.http, &self.cfg)?;
        tracing::info!(issuer = %fresh.issuer, keys = fresh.jwks_key_count, "OIDC metadata loaded");
        Ok(self.store(fresh))
    }

    /// Fetches only the key set again (the IdP rotated its signing key).
    pub fn refresh_jwks(&self, p: &Provider) -> Result<Arc<Provider>, MetadataError> {
        let (jwks, count, took) = metadata::fetch_jwks(&self.http, &p.jwks_uri)?;
        tracing::info!(
            keys = count,
            "OIDC signing keys refetched for an unknown key id"
        );
        let mut next = p.clone();
        next.jwks = jwks;
        next.jwks_key_count = count;
        next.jwks_time = took;
        Ok(self.store(next))
    }
}
