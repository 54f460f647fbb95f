//! HTTP for OpenID Connect: one ureq agent (redirects off, the configured timeout) behind
//! openidconnect's `SyncHttpClient` trait. Calls block, so callers run them on the blocking
//! pool. The resolver implements the guide's DNS options.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::{HttpRequest, HttpResponse, SyncHttpClient};
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::config::{DnsStrategy, OidcConfig};

/// The most we read from any IdP answer (discovery documents and JWKS are a few KiB).
const MAX_BODY: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(pub String);

#[derive(Clone)]
pub struct OidcHttp {
    agent: ureq::Agent,
}

impl OidcHttp {
    pub fn new(cfg: &OidcConfig) -> OidcHttp {
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(cfg.metadata_fetch_timeout.max(1))))
            .user_agent(concat!("timetracker/", env!("CARGO_PKG_VERSION")))
            // The system's trust store: self-hosted IdPs often use a company CA.
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            )
            .build();
        let agent =
            ureq::Agent::with_parts(config, DefaultConnector::default(), DnsResolver::new(cfg));
        OidcHttp { agent }
    }

    /// GET `url` with an optional bearer token; the status and body.
    pub fn get(&self, url: &str, bearer: Option<&str>) -> Result<(u16, Vec<u8>), HttpError> {
        let mut req = http::Request::get(url).header("Accept", "application/json");
        if let Some(token) = bearer {
            req = req.header("Authorization", format!("Bearer {token}"));
        }
        let req = req.body(Vec::new()).map_err(|e| HttpError(e.to_string()))?;
        let res = self.call(req)?;
        Ok((res.status().as_u16(), res.into_body()))
    }
}

impl SyncHttpClient for OidcHttp {
    type Error = HttpError;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let mut res = self
            .agent
            .run(request)
            .map_err(|e| HttpError(e.to_string()))?;
        let mut out = http::Response::builder().status(res.status());
        for (name, value) in res.headers() {
            out = out.header(name, value);
        }
        let body = res
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| HttpError(e.to_string()))?;
        out.body(body).map_err(|e| HttpError(e.to_string()))
    }
}

/// Resolved addresses by (host, port), with the time of the lookup.
type IpCache = HashMap<(String, u16), (Instant, Vec<SocketAddr>)>;

/// Resolves names as `OIDC_DNS_RESOLUTION_STRATEGY` says, caches the addresses for
/// `OIDC_IP_CACHE_TTL` when `OIDC_USE_IP_DIRECTLY` is on, and inside a container falls back to
/// the Docker service name when `OIDC_USE_DOCKER_INTERNAL` is on. The URL keeps the host name,
/// so the Host header and the TLS server name stay what the IdP expects.
#[derive(Debug)]
pub struct DnsResolver {
    strategy: DnsStrategy,
    ttl: Duration,
    cache_enabled: bool,
    docker_fallback: bool,
    cache: Arc<Mutex<IpCache>>,
}

impl DnsResolver {
    pub fn new(cfg: &OidcConfig) -> DnsResolver {
        DnsResolver {
            strategy: cfg.dns_resolution_strategy,
            ttl: Duration::from_secs(cfg.ip_cache_ttl),
            cache_enabled: cfg.use_ip_directly && cfg.ip_cache_ttl > 0,
            docker_fallback: cfg.use_docker_internal,
            cache: Arc::default(),
        }
    }

    fn addresses(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let key = (host.to_string(), port);
        if self.cache_enabled {
            if let Ok(cache) = self.cache.lock() {
                if let Some((at, addrs)) = cache.get(&key) {
                    if at.elapsed() < self.ttl {
                        return Ok(addrs.clone());
                    }
                }
            }
        }
        let found = match lookup(self.strategy, host, port) {
            Ok(a) => a,
            Err(e) => {
                match docker_service_name(host).filter(|_| self.docker_fallback && in_container()) {
                    Some(service) => {
                        tracing::warn!(
                            host,
                            service,
                            "DNS lookup failed; trying the Docker service name"
                        );
                        lookup(self.strategy, service, port).map_err(|_| e)?
                    }
                    None => return Err(e),
                }
            }
        };
        if self.cache_enabled {
            if let Ok(mut cache) = self.cache.lock() {
                cache.insert(key, (Instant::now(), found.clone()));
            }
        }
        Ok(found)
    }
}

impl Resolver for DnsResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let port = uri
            .port_u16()
            .unwrap_or(if uri.scheme_str() == Some("https") {
                443
            } else {
                80
            });
        let addrs = self
            .addresses(host, port)
            .map_err(|_| ureq::Error::HostNotFound)?;
        let mut out = self.empty();
        for a in addrs.into_iter().take(16) {
            out.push(a);
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(out)
    }
}

/// One lookup with a strategy. `socket` keeps IPv4 answers only (what the old tool's
/// `gethostbyname` returned), `getaddrinfo` keeps every answer, `auto` prefers IPv4 and falls
/// back to the rest, `both` returns all, IPv4 first.
pub fn lookup(strategy: DnsStrategy, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let all: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    let (v4, v6): (Vec<SocketAddr>, Vec<SocketAddr>) = all.iter().partition(|a| a.is_ipv4());
    let chosen = match strategy {
        DnsStrategy::Socket => v4,
        DnsStrategy::Getaddrinfo => all,
        DnsStrategy::Auto => {
            if v4.is_empty() {
                v6
            } else {
                v4
            }
        }
        DnsStrategy::Both => v4.into_iter().chain(v6).collect(),
    };
    if chosen.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no usable address for {host}"),
        ));
    }
    Ok(chosen)
}

/// `auth.example.com` → `auth`: what a Compose service of that name answers to.
fn docker_service_name(host: &str) -> Option<&str> {
    host.split_once('.')
        .map(|(first, _)| first)
        .filter(|s| !s.is_empty())
}

pub fn in_container() -> bool {
    std::path::Path::new("/.dockerenv").exists()
        || std::fs::read_to_string("/proc/1/cgroup")
            .is_ok_and(|c| c.contains("docker") || c.contains("containerd"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_filter_address_families() {
        let v4 = lookup(DnsStrategy::Socket, "127.0.0.1", 80).unwrap();
        assert!(v4.iter().all(|a| a.is_ipv4()));
        assert!(
            lookup(DnsStrategy::Socket, "::1", 80).is_err(),
            "socket keeps IPv4 only"
        );
        assert_eq!(lookup(DnsStrategy::Auto, "::1", 80).unwrap()[0].port(), 80);
    }

    #[test]
    fn docker_service_name_is_the_first_label() {
        assert_eq!(docker_service_name("auth.example.com"), Some("auth"));
        assert_eq!(docker_service_name("keycloak"), None);
    }
}
