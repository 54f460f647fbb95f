//! TimeTracker: a self-hosted time tracker in one binary. `build_rocket` is shared by the
//! binary and the integration tests, so both run exactly the same app.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod kiosk;
pub mod tracking;
pub mod web;

use rocket::config::{LogLevel, SecretKey, Shutdown};
use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket};

use crate::auth::session::Policy;
use crate::config::Config;
use crate::db::{settings, Db, DbError};

/// Shared state of the running server.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    /// Present when AUTH_METHOD has single sign-on.
    pub oidc: Option<std::sync::Arc<auth::oidc::Oidc>>,
}

impl AppState {
    pub fn session_policy(&self) -> Policy {
        Policy {
            idle_secs: self.config.session_idle_secs,
            lifetime_secs: self.config.session_lifetime_secs,
            touch_every_secs: auth::session::TOUCH_EVERY_SECS,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

/// Opens the store for `config`: data dir, secret key, database, migrations, seeded settings.
pub fn open(mut config: Config) -> Result<(Config, Db), StartupError> {
    let shown = config.data_dir.display().to_string();
    let data_dir_err = |source| StartupError::DataDir {
        path: shown.clone(),
        source,
    };
    create_private_dir(&config.data_dir).map_err(data_dir_err)?;
    std::fs::create_dir_all(config.data_dir.join("templates")).map_err(data_dir_err)?;
    config.ensure_secret_key().map_err(data_dir_err)?;
    let db = Db::open(&config.database_path, config.db_synchronous)?;
    {
        let mut conn = db.conn()?;
        db::migrate::migrate(&mut conn, &config.data_dir.join("backups"))?;
        let seed = if config.allow_self_register {
            "true"
        } else {
            "false"
        };
        settings::seed(&conn, settings::ALLOW_SELF_REGISTER, seed, db::now())?;
    }
    Ok((config, db))
}

/// Creates `dir` (and parents) readable only by the owner, when it does not exist yet.
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Threads for blocking work (database calls). The connection pool has 8 connections, so
/// more threads would only wait, each with its own stack and malloc arena.
pub const MAX_BLOCKING_THREADS: usize = 32;

/// The web application on an opened store.
pub fn build_rocket(config: Config, db: Db) -> Rocket<Build> {
    let mut rocket_config = rocket::Config {
        address: config.host,
        port: config.port,
        // Client IPs come from our ClientIp guard, which trusts only TRUSTED_PROXIES.
        ip_header: None,
        log_level: LogLevel::Critical,
        max_blocking: MAX_BLOCKING_THREADS,
        cli_colors: false,
        shutdown: Shutdown {
            grace: 5,
            mercy: 5,
            ..Shutdown::default()
        },
        ..rocket::Config::default()
    };
    if let Some(k) = &config.secret_key {
        rocket_config.secret_key = SecretKey::derive_from(k.expose().as_bytes());
    }
    let figment = Figment::from(rocket_config).merge(("ident", "TimeTracker"));
    let oidc = config
        .auth_method
        .uses_sso()
        .then(|| std::sync::Arc::new(auth::oidc::Oidc::new(&config.oidc)));
    let sweeper = db.clone();
    let state = AppState { config, db, oidc };
    web::mount(rocket::custom(figment), state).attach(AdHoc::on_liftoff(
        "auto-stop sweep",
        move |_| {
            Box::pin(async move {
                rocket::tokio::spawn(sweep_forever(sweeper));
            })
        },
    ))
}

/// Stops forgotten timers every minute, so none runs past `auto_stop_hours` even when
/// nobody looks at it (read paths also check, for the person who does look).
async fn sweep_forever(db: Db) {
    let mut every = rocket::tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        let result = db.run(|c| tracking::timer::sweep(c, None, db::now())).await;
        if let Err(e) = result {
            tracing::error!(error = %e, "auto-stop sweep failed");
        }
    }
}
