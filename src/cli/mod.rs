//! The command line: `timetracker [--data-dir D] [--env-file F] <command>`. Exit codes: 0 done,
//! 1 failed, 2 misuse (bad flags or invalid configuration).

mod config_cmd;
mod db_cmd;
mod export;
mod init;
mod oidc;
mod project;
mod serve;
mod settings_cmd;
mod timers;
mod token;
mod user;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{CliOverrides, Config, LogFormat};

#[derive(Parser, Debug)]
#[command(
    name = "timetracker",
    version,
    about = "Self-hosted time tracker: one binary, SQLite built in.",
    long_about = "Self-hosted time tracker: one binary, SQLite built in.\n\nWithout a command, `serve` runs. Configuration comes from the environment and a .env file in the working directory; see docs/configuration.md."
)]
pub struct Cli {
    /// Where the database, secret key and backups live [env: TIMETRACKER_DATA_DIR] [default: the platform data dir]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Load this file instead of ./.env
    #[arg(long, global = true, value_name = "PATH")]
    env_file: Option<PathBuf>,
    /// `--host` and `--port` also work before any command
    #[command(flatten)]
    serve: serve::ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web application (the default command)
    Serve(serve::ServeArgs),
    /// Create the first administrator, or print a one-time setup link
    Init(init::InitArgs),
    /// Manage user accounts
    #[command(subcommand)]
    User(user::UserCommand),
    /// Show or check the effective configuration
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Database maintenance: migrations, backups, integrity
    #[command(subcommand)]
    Db(db_cmd::DbCommand),
    /// Single sign-on diagnostics
    #[command(subcommand)]
    Oidc(oidc::OidcCommand),
    /// API tokens: create (printed once), list, revoke
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Export time entries as CSV or JSON
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Running timers: list, stop
    #[command(subcommand)]
    Timers(timers::TimersCommand),
    /// Projects: add, list
    #[command(subcommand)]
    Project(project::ProjectCommand),
    /// Organisation settings: list, get, set (validated)
    #[command(subcommand)]
    Settings(settings_cmd::SettingsCommand),
    /// Exit 0 when the local server answers /readyz (for Docker HEALTHCHECK and systemd)
    Healthcheck,
    /// Print the version
    Version,
}

/// A command's failure, with the exit code it maps to.
#[derive(Debug)]
pub enum CliError {
    /// Exit 2: the operator asked for something malformed.
    Usage(String),
    /// Exit 1: a well-formed request that could not be done.
    Failed(String),
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::Failed(e.to_string())
    }
}

pub type CliResult = Result<(), CliError>;

pub fn run(cli: Cli) -> ExitCode {
    let result = dispatch(cli);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(CliError::Failed(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

fn dispatch(cli: Cli) -> CliResult {
    let top = cli.serve;
    let command = cli
        .command
        .unwrap_or(Command::Serve(serve::ServeArgs::default()));
    if let Command::Version = command {
        println!("timetracker {}", env!("CARGO_PKG_VERSION"));
        return Ok(());
    }
    let vars = load_env(cli.env_file)?;
    // `--host`/`--port` before the command count for every command (healthcheck, links).
    let sub = match &command {
        Command::Serve(a) => a.clone(),
        _ => serve::ServeArgs::default(),
    };
    let overrides = CliOverrides {
        data_dir: cli.data_dir,
        host: sub.host.or(top.host),
        port: sub.port.or(top.port),
    };
    let config = Config::from_vars(&vars, &overrides);
    if let Command::Config(c) = command {
        return config_cmd::run(c, config);
    }
    let config = config.map_err(|e| CliError::Usage(e.to_string()))?;
    let serving = matches!(command, Command::Serve(_));
    init_logging(&config, serving);
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    match command {
        Command::Serve(_) => serve::run(config),
        Command::Init(a) => init::run(a, config),
        Command::User(c) => user::run(c, config),
        Command::Db(c) => db_cmd::run(c, config),
        Command::Oidc(c) => oidc::run(c, config),
        Command::Token(c) => token::run(c, config),
        Command::Export(c) => export::run(c, config),
        Command::Timers(c) => timers::run(c, config),
        Command::Project(c) => project::run(c, config),
        Command::Settings(c) => settings_cmd::run(c, config),
        Command::Healthcheck => serve::healthcheck(&config),
        Command::Version | Command::Config(_) => Ok(()),
    }
}

/// The environment, after loading `--env-file` or `./.env` (which never override it).
fn load_env(env_file: Option<PathBuf>) -> Result<BTreeMap<String, String>, CliError> {
    match env_file {
        Some(p) => {
            dotenvy::from_path(&p)
                .map_err(|e| CliError::Usage(format!("--env-file {}: {e}", p.display())))?;
        }
        None => {
            let local = PathBuf::from(".env");
            if local.is_file() {
                dotenvy::from_path(&local).map_err(|e| CliError::Usage(format!(".env: {e}")))?;
            }
        }
    }
    Ok(std::env::vars().collect())
}

/// Logs go to stdout for the server and to stderr for other commands, whose stdout is data.
fn init_logging(config: &Config, to_stdout: bool) {
    use tracing_subscriber::filter::{filter_fn, LevelFilter, Targets};
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::prelude::*;

    // Fixed targets instead of an EnvFilter: LOG_LEVEL is one level, and EnvFilter's
    // directive parser brings a regex engine (~1 MB of binary) into the build.
    let level = config
        .log_level
        .parse::<LevelFilter>()
        .unwrap_or(LevelFilter::INFO);
    let levels = Targets::new()
        .with_default(level)
        .with_target("rocket", level.min(LevelFilter::ERROR))
        .with_target("hyper", level.min(LevelFilter::WARN));
    // Rocket logs every refused request guard under a `<module>::_` target. A refused guard
    // is ordinary flow here (the redirect to the login page), not something to warn about.
    let no_guard_noise = filter_fn(|meta| !meta.target().ends_with("::_"));
    let ansi = to_stdout && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let writer = if to_stdout {
        BoxMakeWriter::new(std::io::stdout)
    } else {
        BoxMakeWriter::new(std::io::stderr)
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_writer(writer);
    let layer = match config.log_format {
        LogFormat::Json => layer.json().boxed(),
        LogFormat::Text => layer.boxed(),
    };
    let result = tracing_subscriber::registry()
        .with(layer.with_filter(levels).with_filter(no_guard_noise))
        .try_init();
    if let Err(e) = result {
        eprintln!("warning: logging was already initialised: {e}");
    }
}

/// The account named `name` (normalised), or a clear failure.
pub(crate) fn find_user(
    conn: &rusqlite::Connection,
    name: &str,
) -> Result<crate::db::users::User, CliError> {
    let name = crate::auth::username::normalize(name).map_err(|r| CliError::Usage(r.into()))?;
    crate::db::users::by_username(conn, &name)?
        .ok_or_else(|| CliError::Failed(format!("no user named {name:?}")))
}

/// Reads one line from standard input, without its line ending (passwords never on argv).
pub(crate) fn read_secret_line(what: &str) -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Failed(format!("reading the {what} from standard input: {e}")))?;
    let line = line
        .strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(&line)
        .to_string();
    if line.is_empty() {
        return Err(CliError::Usage(format!("no {what} on standard input")));
    }
    Ok(line)
}
