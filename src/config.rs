//! Typed configuration, loaded once: defaults, then `.env`, then the environment (with
//! `NAME_FILE` secrets), then CLI flags. Every problem is reported with the variable's name,
//! the value and what is allowed, so an operator can fix a `.env` without reading code.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipnet::IpNet;
use serde::Serialize;
use url::Url;

/// A value that must never reach a log line or a terminal: Debug and Display print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How people sign in (`AUTH_METHOD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    None,
    Local,
    Oidc,
    Both,
}

impl AuthMethod {
    pub const ALLOWED: &'static str = "none, local, oidc, both";

    /// Whether the login form has a password field (and passwords are required).
    pub fn uses_password(self) -> bool {
        matches!(self, AuthMethod::Local | AuthMethod::Both)
    }
    pub fn uses_sso(self) -> bool {
        matches!(self, AuthMethod::Oidc | AuthMethod::Both)
    }
    /// Whether the local username form exists at all.
    pub fn has_local_form(self) -> bool {
        !matches!(self, AuthMethod::Oidc)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::Local => "local",
            AuthMethod::Oidc => "oidc",
            AuthMethod::Both => "both",
        }
    }
}

impl FromStr for AuthMethod {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(AuthMethod::None),
            "local" => Ok(AuthMethod::Local),
            "oidc" => Ok(AuthMethod::Oidc),
            "both" => Ok(AuthMethod::Both),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SameSitePolicy {
    Lax,
    Strict,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// `DB_SYNCHRONOUS`: `normal` survives a process crash, `full` also a power cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DbSynchronous {
    Normal,
    Full,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsStrategy {
    Auto,
    Socket,
    Getaddrinfo,
    Both,
}

/// Every `OIDC_*` setting of the operator guide, with the guide's defaults.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub redirect_uri: Option<String>,
    pub scopes: Vec<String>,
    pub username_claim: String,
    pub full_name_claim: String,
    pub email_claim: String,
    pub groups_claim: String,
    pub admin_group: Option<String>,
    pub admin_emails: Vec<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub dns_resolution_strategy: DnsStrategy,
    pub ip_cache_ttl: u64,
    pub use_ip_directly: bool,
    pub use_docker_internal: bool,
    pub metadata_refresh_interval: u64,
    pub metadata_fetch_timeout: u64,
    pub metadata_retry_attempts: u32,
    pub metadata_retry_delay: u64,
    pub clock_skew_seconds: u64,
}

/// The effective configuration of one process.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_path: PathBuf,
    pub host: IpAddr,
    pub port: u16,
    /// `None` until [`Config::ensure_secret_key`] reads or generates the kept key.
    pub secret_key: Option<Secret>,
    pub auth_method: AuthMethod,
    pub allow_self_register: bool,
    pub session_cookie_secure: bool,
    pub session_cookie_samesite: SameSitePolicy,
    pub session_lifetime_secs: i64,
    pub session_idle_secs: i64,
    pub trusted_proxies: Vec<IpNet>,
    pub public_url: Option<Url>,
    pub log_level: String,
    pub log_format: LogFormat,
    pub db_synchronous: DbSynchronous,
    pub timezone: Option<String>,
    pub oidc: OidcConfig,
    /// Non-fatal findings (unknown `OIDC_*` names and the like), printed at start.
    pub warnings: Vec<String>,
}

/// Values given on the command line; they win over the environment.
#[derive(Clone, Debug, Default)]
pub struct CliOverrides {
    pub data_dir: Option<PathBuf>,
    pub host: Option<String>,
    pub port: Option<String>,
}

/// All problems found in one pass, so the operator fixes them in one go.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Variables that may be given as `NAME_FILE=/path` (Docker and Kubernetes secrets).
const SECRET_VARS: &[&str] = &["SECRET_KEY", "OIDC_CLIENT_SECRET", "DATABASE_URL"];

const KNOWN_OIDC_VARS: &[&str] = &[
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_REDIRECT_URI",
    "OIDC_SCOPES",
    "OIDC_USERNAME_CLAIM",
    "OIDC_FULL_NAME_CLAIM",
    "OIDC_EMAIL_CLAIM",
    "OIDC_GROUPS_CLAIM",
    "OIDC_ADMIN_GROUP",
    "OIDC_ADMIN_EMAILS",
    "OIDC_POST_LOGOUT_REDIRECT_URI",
    "OIDC_DNS_RESOLUTION_STRATEGY",
    "OIDC_IP_CACHE_TTL",
    "OIDC_USE_IP_DIRECTLY",
    "OIDC_USE_DOCKER_INTERNAL",
    "OIDC_METADATA_REFRESH_INTERVAL",
    "OIDC_METADATA_FETCH_TIMEOUT",
    "OIDC_METADATA_RETRY_ATTEMPTS",
    "OIDC_METADATA_RETRY_DELAY",
    "OIDC_CLOCK_SKEW_SECONDS",
];

const KNOWN_SESSION_VARS: &[&str] = &[
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_IDLE_MINUTES",
];

/// Reads variables and collects errors instead of stopping at the first one.
struct Reader<'a> {
    vars: &'a BTreeMap<String, String>,
    errors: Vec<String>,
}

impl Reader<'_> {
    /// The value of `name`, or of the file named by `name_FILE` for secrets. Empty means unset.
    fn get(&mut self, name: &str) -> Option<String> {
        if let Some(v) = self.vars.get(name).filter(|v| !v.trim().is_empty()) {
            return Some(v.trim().to_string());
        }
        if !SECRET_VARS.contains(&name) {
            return None;
        }
        let file_var = format!("{name}_FILE");
        let path = self.vars.get(&file_var).filter(|v| !v.trim().is_empty())?;
        match std::fs::read_to_string(path.trim()) {
            Ok(content) => Some(content.trim_end_matches(['\r', '\n']).to_string()),
            Err(e) => {
                self.errors
                    .push(format!("{file_var}={path:?}: cannot read the file: {e}"));
                None
            }
        }
    }

    fn string(&mut self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    fn bool(&mut self, name: &str, default: bool) -> bool {
        let Some(v) = self.get(name) else {
            return default;
        };
        match parse_bool(&v) {
            Some(b) => b,
            None => {
                self.errors.push(format!(
                    "{name}={v:?} is not a boolean; use true or false (also 1/0, yes/no, on/off)"
                ));
                default
            }
        }
    }

    fn number<T: FromStr + Copy>(&mut self, name: &str, default: T, what: &str) -> T {
        let Some(v) = self.get(name) else {
            return default;
        };
        match v.parse::<T>() {
            Ok(n) => n,
            Err(_) => {
                self.errors
                    .push(format!("{name}={v:?} is not valid; expected {what}"));
                default
            }
        }
    }

    fn choice<T: Copy>(&mut self, name: &str, default: T, options: &[(&str, T)]) -> T {
        let Some(v) = self.get(name) else {
            return default;
        };
        let lower = v.to_ascii_lowercase();
        if let Some((_, t)) = options.iter().find(|(k, _)| *k == lower) {
            return *t;
        }
        let allowed: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
        self.errors.push(format!(
            "{name}={v:?} is not valid; allowed values: {}",
            allowed.join(", ")
        ));
        default
    }

    fn url(&mut self, name: &str) -> Option<Url> {
        let v = self.get(name)?;
        match Url::parse(&v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(u),
            _ => {
                self.errors.push(format!(
                    "{name}={v:?} is not an absolute http(s) URL (example: https://time.example.com)"
                ));
                None
            }
        }
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The platform data dir (`~/.local/share/timetracker` on Linux).
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "timetracker").map(|d| d.data_dir().to_path_buf())
}

fn database_path(url: &str, data_dir: &Path) -> Result<PathBuf, String> {
    const HINT: &str = "use sqlite:///absolute/path.db or a plain file path";
    if let Some(rest) = url.strip_prefix("sqlite://") {
        if rest.is_empty() || rest.starts_with(':') {
            return Err(format!("DATABASE_URL={url:?} names no file; {HINT}"));
        }
        return Ok(PathBuf::from(rest));
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.is_empty() || rest.starts_with(':') {
            return Err(format!("DATABASE_URL={url:?} names no file; {HINT}"));
        }
        return Ok(PathBuf::from(rest));
    }
    if let Some((scheme, _)) = url.split_once("://") {
        return Err(format!(
            "DATABASE_URL uses the scheme {scheme:?}; TimeTracker stores its data in SQLite only: {HINT}"
        ));
    }
    let path = PathBuf::from(url);
    Ok(if path.as_os_str().is_empty() {
        data_dir.join("timetracker.db")
    } else {
        path
    })
}

impl Config {
    /// Loads the configuration from a snapshot of the environment and the CLI flags.
    pub fn from_vars(
        vars: &BTreeMap<String, String>,
        cli: &CliOverrides,
    ) -> Result<Config, ConfigErrors> {
        let mut r = Reader {
            vars,
            errors: Vec::new(),
        };

        let data_dir = match cli
            .data_dir
            .clone()
            .or_else(|| r.get("TIMETRACKER_DATA_DIR").map(PathBuf::from))
            .or_else(default_data_dir)
        {
            Some(d) => d,
            None => {
                r.errors.push(
                    "no data directory: set --data-dir or TIMETRACKER_DATA_DIR (no home directory found)"
                        .into(),
                );
                PathBuf::from(".")
            }
        };

        let database_path = match r.get("DATABASE_URL") {
            Some(url) => database_path(&url, &data_dir).unwrap_or_else(|e| {
                r.errors.push(e);
                data_dir.join("timetracker.db")
            }),
            None => data_dir.join("timetracker.db"),
        };

        let host_raw = cli
            .host
            .clone()
            .or_else(|| r.get("HOST"))
            .unwrap_or_else(|| "127.0.0.1".into());
        let host = match host_raw.as_str() {
            "localhost" => IpAddr::from([127, 0, 0, 1]),
            h => h.parse().unwrap_or_else(|_| {
                r.errors.push(format!(
                    "HOST={h:?} is not an IP address (examples: 127.0.0.1, 0.0.0.0, ::)"
                ));
                IpAddr::from([127, 0, 0, 1])
            }),
        };
        let port = match cli.port.clone() {
            Some(p) => p.parse().unwrap_or_else(|_| {
                r.errors
                    .push(format!("--port {p:?} is not a port number (1-65535)"));
                8000
            }),
            None => r.number("PORT", 8000u16, "a port number (1-65535)"),
        };

        if port == 0 {
            r.errors
                .push("PORT=0 is not valid; expected a port number (1-65535)".into());
        }
        let secret_key = r.get("SECRET_KEY").map(Secret);
        if let Some(k) = &secret_key {
            if k.expose().len() < 32 {
                r.errors.push(format!(
                    "SECRET_KEY is {} bytes long; it must be at least 32 bytes (or unset it and one is generated and kept in the data dir)",
                    k.expose().len()
                ));
            }
        }

        let auth_method = match r.get("AUTH_METHOD") {
            None => AuthMethod::Local,
            Some(v) => v.parse().unwrap_or_else(|_| {
                r.errors.push(format!(
                    "AUTH_METHOD={v:?} is not valid; allowed values: {}",
                    AuthMethod::ALLOWED
                ));
                AuthMethod::Local
            }),
        };
        let allow_self_register = r.bool("ALLOW_SELF_REGISTER", true);

        let public_url = r.url("PUBLIC_URL");
        let session_cookie_secure = r.bool(
            "SESSION_COOKIE_SECURE",
            public_url.as_ref().is_some_and(|u| u.scheme() == "https"),
        );
        let session_cookie_samesite = r.choice(
            "SESSION_COOKIE_SAMESITE",
            SameSitePolicy::Lax,
            &[
                ("lax", SameSitePolicy::Lax),
                ("strict", SameSitePolicy::Strict),
                ("none", SameSitePolicy::None),
            ],
        );
        if session_cookie_samesite == SameSitePolicy::None && !session_cookie_secure {
            r.errors.push(
                "SESSION_COOKIE_SAMESITE=None requires SESSION_COOKIE_SECURE=true; browsers drop such cookies otherwise"
                    .into(),
            );
        }
        let session_lifetime_secs = r.number(
            "PERMANENT_SESSION_LIFETIME",
            86_400i64,
            "a number of seconds (default 86400)",
        );
        let idle_minutes = r.number(
            "SESSION_IDLE_MINUTES",
            480i64,
            "a number of minutes (default 480)",
        );
        if session_lifetime_secs <= 0 {
            r.errors
                .push("PERMANENT_SESSION_LIFETIME must be a positive number of seconds".into());
        }
        if idle_minutes <= 0 {
            r.errors
                .push("SESSION_IDLE_MINUTES must be a positive number of minutes".into());
        }

        let trusted_proxies = match r.get("TRUSTED_PROXIES") {
            None => vec![
                IpNet::from(IpAddr::from([127, 0, 0, 1])),
                IpNet::from(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1])),
            ],
            Some(v) if v.eq_ignore_ascii_case("none") => Vec::new(),
            Some(v) => parse_proxies(&v).unwrap_or_else(|e| {
                r.errors.push(e);
                Vec::new()
            }),
        };

        let log_level = r.choice(
            "LOG_LEVEL",
            "info",
            &[
                ("error", "error"),
                ("warn", "warn"),
                ("warning", "warn"),
                ("info", "info"),
                ("debug", "debug"),
                ("trace", "trace"),
            ],
        );
        let log_format = r.choice(
            "LOG_FORMAT",
            LogFormat::Text,
            &[
                ("text", LogFormat::Text),
                ("human", LogFormat::Text),
                ("json", LogFormat::Json),
            ],
        );
        let db_synchronous = r.choice(
            "DB_SYNCHRONOUS",
            DbSynchronous::Normal,
            &[
                ("normal", DbSynchronous::Normal),
                ("full", DbSynchronous::Full),
            ],
        );
        let timezone = r.get("TZ");
        let tz_warning = timezone
            .as_deref()
            .filter(|tz| crate::tracking::timezone::parse(tz).is_none())
            .map(|tz| {
                format!(
                    "TZ={tz:?} is not an IANA timezone name (like Europe/Berlin); the organisation timezone falls back to UTC until an admin sets it (settings set timezone)"
                )
            });

        let oidc = read_oidc(&mut r, auth_method, public_url.as_ref());

        let mut warnings: Vec<String> = tz_warning.into_iter().collect();
        for name in vars.keys() {
            let known = |list: &[&str]| {
                list.contains(&name.as_str())
                    || name
                        .strip_suffix("_FILE")
                        .is_some_and(|base| SECRET_VARS.contains(&base))
            };
            if name.starts_with("OIDC_") && !known(KNOWN_OIDC_VARS) {
                warnings.push(format!(
                    "unknown variable {name} is ignored (known OIDC_* names are listed in docs/oidc.md)"
                ));
            }
            if name.starts_with("SESSION_") && !known(KNOWN_SESSION_VARS) {
                warnings.push(format!(
                    "unknown variable {name} is ignored (known: {})",
                    KNOWN_SESSION_VARS.join(", ")
                ));
            }
        }

        if !r.errors.is_empty() {
            return Err(ConfigErrors(r.errors));
        }
        Ok(Config {
            data_dir,
            database_path,
            host,
            port,
            secret_key,
            auth_method,
            allow_self_register,
            session_cookie_secure,
            session_cookie_samesite,
            session_lifetime_secs,
            session_idle_secs: idle_minutes.saturating_mul(60),
            trusted_proxies,
            public_url,
            log_level: log_level.to_string(),
            log_format,
            db_synchronous,
            timezone,
            oidc,
            warnings,
        })
    }

    /// A config for tests and tools: defaults plus the given variables, on `data_dir`.
    pub fn for_data_dir(data_dir: &Path, vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        let vars = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_vars(
            &vars,
            &CliOverrides {
                data_dir: Some(data_dir.to_path_buf()),
                ..Default::default()
            },
        )
    }

    /// Reads the key kept in the data dir, or generates and keeps one (mode 0600).
    pub fn ensure_secret_key(&mut self) -> std::io::Result<()> {
        if self.secret_key.is_some() {
            return Ok(());
        }
        let path = self.data_dir.join("secret_key");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let existing = existing.trim().to_string();
            if existing.len() >= 32 {
                self.secret_key = Some(Secret(existing));
                return Ok(());
            }
        }
        std::fs::create_dir_all(&self.data_dir)?;
        let key = crate::auth::tokens::random_token(48);
        write_private_file(&path, &key)?;
        self.secret_key = Some(Secret(key));
        Ok(())
    }

    /// The server secret (empty only before [`Config::ensure_secret_key`] ran).
    pub fn secret(&self) -> &str {
        self.secret_key.as_ref().map_or("", Secret::expose)
    }

    /// The base of every absolute URL we print: `PUBLIC_URL`, else the listen address.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.as_str().trim_end_matches('/').to_string(),
            None => self.local_url(),
        }
    }

    /// How a process on this machine reaches the server (a wildcard address means loopback).
    pub fn local_url(&self) -> String {
        let host = match self.host {
            IpAddr::V4(v4) if v4.is_unspecified() => "127.0.0.1".to_string(),
            IpAddr::V6(v6) if v6.is_unspecified() => "[::1]".to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
            ip => ip.to_string(),
        };
        format!("http://{host}:{}", self.port)
    }

    /// The effective configuration as (name, value) pairs, secrets masked.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let o = &self.oidc;
        vec![
            ("TIMETRACKER_DATA_DIR", self.data_dir.display().to_string()),
            ("DATABASE_URL", self.database_path.display().to_string()),
            ("HOST", self.host.to_string()),
            ("PORT", self.port.to_string()),
            (
                "SECRET_KEY",
                match &self.secret_key {
                    Some(_) => "***".into(),
                    None => "(generated and kept in the data dir)".into(),
                },
            ),
            ("AUTH_METHOD", self.auth_method.as_str().into()),
            ("ALLOW_SELF_REGISTER", self.allow_self_register.to_string()),
            (
                "PUBLIC_URL",
                self.public_url
                    .as_ref()
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
            ),
            (
                "SESSION_COOKIE_SECURE",
                self.session_cookie_secure.to_string(),
            ),
            (
                "SESSION_COOKIE_SAMESITE",
                format!("{:?}", self.session_cookie_samesite),
            ),
            (
                "PERMANENT_SESSION_LIFETIME",
                self.session_lifetime_secs.to_string(),
            ),
            (
                "SESSION_IDLE_MINUTES",
                (self.session_idle_secs / 60).to_string(),
            ),
            (
                "TRUSTED_PROXIES",
                self.trusted_proxies
                    .iter()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("LOG_LEVEL", self.log_level.clone()),
            (
                "LOG_FORMAT",
                format!("{:?}", self.log_format).to_lowercase(),
            ),
            (
                "DB_SYNCHRONOUS",
                format!("{:?}", self.db_synchronous).to_lowercase(),
            ),
            ("TZ", opt(&self.timezone)),
            ("OIDC_ISSUER", opt(&o.issuer)),
            ("OIDC_CLIENT_ID", opt(&o.client_id)),
            (
                "OIDC_CLIENT_SECRET",
                if o.client_secret.is_some() {
                    "***".into()
                } else {
                    String::new()
                },
            ),
            ("OIDC_REDIRECT_URI", opt(&o.redirect_uri)),
            ("OIDC_SCOPES", o.scopes.join(" ")),
            ("OIDC_USERNAME_CLAIM", o.username_claim.clone()),
            ("OIDC_FULL_NAME_CLAIM", o.full_name_claim.clone()),
            ("OIDC_EMAIL_CLAIM", o.email_claim.clone()),
            ("OIDC_GROUPS_CLAIM", o.groups_claim.clone()),
            ("OIDC_ADMIN_GROUP", opt(&o.admin_group)),
            ("OIDC_ADMIN_EMAILS", o.admin_emails.join(",")),
            (
                "OIDC_POST_LOGOUT_REDIRECT_URI",
                opt(&o.post_logout_redirect_uri),
            ),
            (
                "OIDC_DNS_RESOLUTION_STRATEGY",
                format!("{:?}", o.dns_resolution_strategy).to_lowercase(),
            ),
            ("OIDC_IP_CACHE_TTL", o.ip_cache_ttl.to_string()),
            ("OIDC_USE_IP_DIRECTLY", o.use_ip_directly.to_string()),
            (
                "OIDC_USE_DOCKER_INTERNAL",
                o.use_docker_internal.to_string(),
            ),
            (
                "OIDC_METADATA_REFRESH_INTERVAL",
                o.metadata_refresh_interval.to_string(),
            ),
            (
                "OIDC_METADATA_FETCH_TIMEOUT",
                o.metadata_fetch_timeout.to_string(),
            ),
            (
                "OIDC_METADATA_RETRY_ATTEMPTS",
                o.metadata_retry_attempts.to_string(),
            ),
            (
                "OIDC_METADATA_RETRY_DELAY",
                o.metadata_retry_delay.to_string(),
            ),
            ("OIDC_CLOCK_SKEW_SECONDS", o.clock_skew_seconds.to_string()),
        ]
    }
}

fn read_oidc(r: &mut Reader<'_>, mode: AuthMethod, public_url: Option<&Url>) -> OidcConfig {
    let issuer = r.get("OIDC_ISSUER");
    if let Some(i) = &issuer {
        if !matches!(Url::parse(i), Ok(u) if matches!(u.scheme(), "http" | "https")) {
            r.errors.push(format!(
                "OIDC_ISSUER={i:?} is not an http(s) URL (example: https://idp.example.com/realms/office)"
            ));
        }
    }
    // Checked as URLs but kept exactly as written: IdPs compare redirect URIs byte for byte.
    let redirect_uri = match r.url("OIDC_REDIRECT_URI").and(r.get("OIDC_REDIRECT_URI")) {
        Some(u) => Some(u),
        // Derived only from PUBLIC_URL, never from request headers (forged hosts).
        None => {
            public_url.map(|u| format!("{}/auth/oidc/callback", u.as_str().trim_end_matches('/')))
        }
    };
    let post_logout_redirect_uri = r
        .url("OIDC_POST_LOGOUT_REDIRECT_URI")
        .map(|u| u.to_string());
    let client_id = r.get("OIDC_CLIENT_ID");
    let client_secret = r.get("OIDC_CLIENT_SECRET").map(Secret);
    let scopes: Vec<String> = r
        .string("OIDC_SCOPES", "openid profile email")
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let admin_emails = r
        .get("OIDC_ADMIN_EMAILS")
        .map(|v| {
            v.split(',')
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
                .collect()
        })
        .unwrap_or_default();

    if mode.uses_sso() {
        let mode = mode.as_str();
        if issuer.is_none() {
            r.errors
                .push(format!("OIDC_ISSUER is required when AUTH_METHOD={mode}"));
        }
        if client_id.is_none() {
            r.errors.push(format!(
                "OIDC_CLIENT_ID is required when AUTH_METHOD={mode}"
            ));
        }
        if client_secret.is_none() {
            r.errors.push(format!(
                "OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE) is required when AUTH_METHOD={mode}"
            ));
        }
        if redirect_uri.is_none() {
            r.errors.push(format!(
                "OIDC_REDIRECT_URI is required when AUTH_METHOD={mode} (or set PUBLIC_URL and it defaults to PUBLIC_URL/auth/oidc/callback)"
            ));
        }
    }

    OidcConfig {
        issuer,
        client_id,
        client_secret,
        redirect_uri,
        scopes,
        username_claim: r.string("OIDC_USERNAME_CLAIM", "preferred_username"),
        full_name_claim: r.string("OIDC_FULL_NAME_CLAIM", "name"),
        email_claim: r.string("OIDC_EMAIL_CLAIM", "email"),
        groups_claim: r.string("OIDC_GROUPS_CLAIM", "groups"),
        admin_group: r.get("OIDC_ADMIN_GROUP"),
        admin_emails,
        post_logout_redirect_uri,
        dns_resolution_strategy: r.choice(
            "OIDC_DNS_RESOLUTION_STRATEGY",
            DnsStrategy::Auto,
            &[
                ("auto", DnsStrategy::Auto),
                ("socket", DnsStrategy::Socket),
                ("getaddrinfo", DnsStrategy::Getaddrinfo),
                ("both", DnsStrategy::Both),
            ],
        ),
        ip_cache_ttl: r.number("OIDC_IP_CACHE_TTL", 300, "a number of seconds"),
        use_ip_directly: r.bool("OIDC_USE_IP_DIRECTLY", true),
        use_docker_internal: r.bool("OIDC_USE_DOCKER_INTERNAL", true),
        metadata_refresh_interval: r.number(
            "OIDC_METADATA_REFRESH_INTERVAL",
            3600,
            "a number of seconds (0 disables the refresh)",
        ),
        metadata_fetch_timeout: r.number("OIDC_METADATA_FETCH_TIMEOUT", 10, "a number of seconds"),
        metadata_retry_attempts: r.number(
            "OIDC_METADATA_RETRY_ATTEMPTS",
            3,
            "a whole number of attempts",
        ),
        metadata_retry_delay: r.number("OIDC_METADATA_RETRY_DELAY", 2, "a number of seconds"),
        clock_skew_seconds: r.number("OIDC_CLOCK_SKEW_SECONDS", 60, "a number of seconds"),
    }
}

fn parse_proxies(v: &str) -> Result<Vec<IpNet>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "TRUSTED_PROXIES contains {s:?}, which is not an IP address or CIDR range (example: 127.0.0.1/32,10.0.0.0/8)"
                    )
                })
        })
        .collect()
}

/// Writes a file readable only by its owner.
pub fn write_private_file(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(content.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigErrors> {
        Config::for_data_dir(Path::new("/tmp/tt-config-test"), vars)
    }

    #[test]
    fn unknown_auth_method_is_refused_naming_allowed_values() {
        let err = load(&[("AUTH_METHOD", "ldap")]).unwrap_err().to_string();
        assert!(err.contains("AUTH_METHOD=\"ldap\""), "{err}");
        assert!(err.contains("none, local, oidc, both"), "{err}");
    }

    #[test]
    fn auth_method_is_case_insensitive_and_defaults_to_local() {
        assert_eq!(load(&[]).unwrap().auth_method, AuthMethod::Local);
        assert_eq!(
            load(&[("AUTH_METHOD", "NONE")]).unwrap().auth_method,
            AuthMethod::None
        );
    }

    #[test]
    fn short_secret_key_is_refused() {
        let err = load(&[("SECRET_KEY", "short")]).unwrap_err().to_string();
        assert!(err.contains("at least 32 bytes"), "{err}");
    }

    #[test]
    fn database_url_accepts_sqlite_urls_and_paths_and_refuses_other_schemes() {
        let c = load(&[("DATABASE_URL", "sqlite:///var/lib/tt/x.db")]).unwrap();
        assert_eq!(c.database_path, PathBuf::from("/var/lib/tt/x.db"));
        let c = load(&[("DATABASE_URL", "/srv/tt.db")]).unwrap();
        assert_eq!(c.database_path, PathBuf::from("/srv/tt.db"));
        let err = load(&[("DATABASE_URL", "postgresql://db/tt")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("DATABASE_URL") && err.contains("postgresql"),
            "{err}"
        );
    }

    #[test]
    fn cookie_secure_defaults_follow_public_url_scheme() {
        assert!(!load(&[]).unwrap().session_cookie_secure);
        let c = load(&[("PUBLIC_URL", "https://time.example.com/")]).unwrap();
        assert!(c.session_cookie_secure);
        assert_eq!(c.base_url(), "https://time.example.com");
    }

    #[test]
    fn oidc_modes_require_the_core_oidc_settings() {
        let err = load(&[("AUTH_METHOD", "oidc")]).unwrap_err().to_string();
        for v in [
            "OIDC_ISSUER",
            "OIDC_CLIENT_ID",
            "OIDC_CLIENT_SECRET",
            "OIDC_REDIRECT_URI",
        ] {
            assert!(err.contains(v), "{v} missing from {err}");
        }
    }

    #[test]
    fn unknown_oidc_and_session_variables_warn() {
        let c = load(&[("OIDC_CLIENTID", "x"), ("SESSION_TIMEOUT", "3")]).unwrap();
        assert!(c.warnings.iter().any(|w| w.contains("OIDC_CLIENTID")));
        assert!(c.warnings.iter().any(|w| w.contains("SESSION_TIMEOUT")));
    }

    #[test]
    fn file_secrets_are_read_and_trailing_newline_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, "0123456789abcdef0123456789abcdef\n").unwrap();
        let c = load(&[("SECRET_KEY_FILE", p.to_str().unwrap())]).unwrap();
        assert_eq!(
            c.secret_key.unwrap().expose(),
            "0123456789abcdef0123456789abcdef"
        );
    }

    #[test]
    fn a_timezone_that_is_not_an_iana_name_warns() {
        assert!(load(&[("TZ", "Europe/Berlin")])
            .unwrap()
            .warnings
            .is_empty());
        let c = load(&[("TZ", "Mars/Base")]).unwrap();
        assert!(
            c.warnings.iter().any(|w| w.contains("TZ=\"Mars/Base\"")),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = load(&[
            ("PORT", "eighty"),
            ("TRUSTED_PROXIES", "nope"),
            ("SESSION_COOKIE_SECURE", "maybe"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("PORT=\"eighty\""), "{err}");
        assert!(err.contains("TRUSTED_PROXIES"), "{err}");
        assert!(err.contains("SESSION_COOKIE_SECURE"), "{err}");
    }
}
