//! `timetracker init`: the first administrator, without a browser.

use clap::Args;

use super::{read_secret_line, CliError, CliResult};
use crate::auth::setup::{self, SetupOutcome};
use crate::auth::{password, username};
use crate::config::Config;
use crate::db::{self, users};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The administrator's username (with --password-stdin); without it, print a setup link
    #[arg(long)]
    username: Option<String>,
    /// Read the administrator's password from the first line of standard input
    #[arg(long)]
    password_stdin: bool,
    /// The administrator's email address
    #[arg(long, value_name = "E")]
    email: Option<String>,
    /// The administrator's full name
    #[arg(long, value_name = "N")]
    full_name: Option<String>,
}

pub fn run(args: InitArgs, config: Config) -> CliResult {
    let name = match (&args.username, args.password_stdin) {
        (Some(n), true) => Some(username::normalize(n).map_err(|r| CliError::Usage(r.into()))?),
        (None, false) => None,
        (Some(_), false) => return Err(CliError::Usage(
            "--username needs --password-stdin (passwords are never taken from the command line)"
                .into(),
        )),
        (None, true) => return Err(CliError::Usage("--password-stdin needs --username".into())),
    };
    let (config, db) = crate::open(config)?;
    let mut conn = db.conn()?;
    if users::active_admin_exists(&conn)? {
        return Err(CliError::Failed(
            "already initialised: an administrator exists (manage accounts with `timetracker user`)".into(),
        ));
    }
    let now = db::now();
    let Some(name) = name else {
        let token = setup::issue_setup_token(&conn, now)?.unwrap_or_default();
        println!("{}/setup?token={token}", config.base_url());
        eprintln!("open this link within one hour to create the first administrator");
        return Ok(());
    };
    let pw = read_secret_line("password")?;
    password::check_new(&pw).map_err(|r| CliError::Usage(r.into()))?;
    let hash = password::hash_sync(&pw)?;
    let token = setup::issue_setup_token(&conn, now)?.unwrap_or_default();
    match setup::complete_setup(&mut conn, &token, &name, &hash, now)? {
        SetupOutcome::Created(user) => {
            if args.email.is_some() || args.full_name.is_some() {
                conn.execute(
                    "UPDATE users SET email = ?2, full_name = ?3 WHERE id = ?1",
                    rusqlite::params![user.id, args.email, args.full_name],
                )?;
            }
            println!("created administrator {}", user.username);
            Ok(())
        }
        SetupOutcome::UsernameTaken => Err(CliError::Failed(format!(
            "a user named {name:?} already exists; make it an administrator with `timetracker user set-role {name} admin`"
        ))),
        SetupOutcome::LinkInvalid => Err(CliError::Failed("an administrator was created meanwhile".into())),
    }
}
