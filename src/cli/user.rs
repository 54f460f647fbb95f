//! `timetracker user …`: account administration for operators.

use clap::{Subcommand, ValueEnum};
use rusqlite::Connection;

use super::{read_secret_line, CliError, CliResult};
use crate::auth::{accounts, password, setup, username};
use crate::config::Config;
use crate::db::users::{self, NewUser, User};
use crate::db::{self, audit};
use crate::kiosk::credentials;
use crate::tracking::Actor;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account (without --password-stdin it has no password until one is set)
    Add {
        /// The username (lowercase letters, digits, `.`, `_`, `-`)
        name: String,
        /// Make the account an administrator
        #[arg(long)]
        admin: bool,
        /// Email address
        #[arg(long, value_name = "E")]
        email: Option<String>,
        /// Full name, as shown in the app
        #[arg(long, value_name = "N")]
        full_name: Option<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts
    List {
        /// Print JSON instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Set a password (read from standard input); ends the user's sessions
    SetPassword {
        /// The username
        name: String,
        /// Read the password from the first line of standard input (required)
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Print a one-time link (valid 24 h) where the user sets a new password
    ResetPassword {
        /// The username
        name: String,
    },
    /// Make an account an administrator or a normal user
    SetRole {
        /// The username
        name: String,
        /// admin or user
        role: Role,
    },
    /// Turn an account off: it can't sign in and its sessions end
    Deactivate {
        /// The username
        name: String,
    },
    /// Turn an account back on
    Activate {
        /// The username
        name: String,
    },
    /// Link an SSO identity to an existing account on purpose (SSO never links by name or email)
    LinkOidc {
        name: String,
        /// The IdP's issuer, exactly as OIDC_ISSUER
        #[arg(long)]
        issuer: String,
        /// The user's subject (`sub`) at that issuer
        #[arg(long)]
        sub: String,
    },
    /// Set a kiosk PIN (4-8 digits, read from standard input)
    SetPin {
        /// The username
        name: String,
        /// Read the PIN from the first line of standard input (required)
        #[arg(long, required = true)]
        pin_stdin: bool,
    },
    /// Register a kiosk badge code (read from standard input); replaces the previous one
    SetBadge {
        /// The username
        name: String,
        /// Read the badge code from the first line of standard input (required)
        #[arg(long, required = true)]
        badge_stdin: bool,
    },
    /// Remove the SSO identity from an account
    UnlinkOidc {
        /// The username
        name: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Role {
    Admin,
    User,
}

pub fn run(cmd: UserCommand, config: Config) -> CliResult {
    let (config, db) = crate::open(config)?;
    let mut conn = db.conn()?;
    match cmd {
        UserCommand::Add {
            name,
            admin,
            email,
            full_name,
            password_stdin,
        } => {
            let name = username::normalize(&name).map_err(|r| CliError::Usage(r.into()))?;
            let hash = if password_stdin {
                Some(new_password_hash()?)
            } else {
                None
            };
            let new = NewUser {
                username: &name,
                full_name: full_name.as_deref(),
                email: email.as_deref(),
                password_hash: hash.as_deref(),
                auth_provider: "local",
                is_admin: admin,
            };
            match users::insert(&conn, &new, db::now()) {
                Ok(_) => {}
                Err(e) if db::is_constraint_violation(&e) => {
                    return Err(CliError::Failed(format!(
                        "a user named {name:?} already exists"
                    )))
                }
                Err(e) => return Err(e.into()),
            }
            record(&conn, "cli.user.add", &name)?;
            println!(
                "created user {name}{}",
                if admin { " (administrator)" } else { "" }
            );
            if hash.is_none() {
                println!("it has no password yet: run `timetracker user reset-password {name}` to send a set-password link");
            }
        }
        UserCommand::List { json } => list(&conn, json)?,
        UserCommand::SetPassword { name, .. } => {
            let user = find(&conn, &name)?;
            let hash = new_password_hash()?;
            let tx = conn.transaction()?;
            setup::set_password(&tx, &user, &hash, None, "cli.user.set_password", db::now())?;
            tx.commit()?;
            println!(
                "password set for {}; their sessions were ended",
                user.username
            );
        }
        UserCommand::ResetPassword { name } => {
            let user = find(&conn, &name)?;
            if !user.is_active {
                return Err(CliError::Failed(format!(
                    "{} is deactivated; activate it first",
                    user.username
                )));
            }
            let token = setup::issue_reset_token(&conn, user.id, db::now())?;
            record(&conn, "cli.user.reset_password", &user.username)?;
            println!("{}/reset-password?token={token}", config.base_url());
            eprintln!("one-time link for {}, valid for 24 hours", user.username);
        }
        UserCommand::SetRole { name, role } => {
            let user = find(&conn, &name)?;
            let admin = matches!(role, Role::Admin);
            accounts::set_admin(
                &mut conn,
                &Actor::operator(),
                &user,
                admin,
                "cli.user",
                db::now(),
            )?;
            println!(
                "{} is now {}",
                user.username,
                if admin {
                    "an administrator"
                } else {
                    "a normal user"
                }
            );
        }
        UserCommand::Deactivate { name } => {
            let user = find(&conn, &name)?;
            let done = accounts::deactivate(
                &mut conn,
                &Actor::operator(),
                &user,
                "cli.user.deactivate",
                db::now(),
            )?;
            println!(
                "{} is deactivated; {} session(s) ended{}",
                user.username,
                done.sessions_ended,
                if done.timer_stopped {
                    "; their running timer was stopped"
                } else {
                    ""
                }
            );
        }
        UserCommand::LinkOidc { name, issuer, sub } => {
            let user = find(&conn, &name)?;
            if issuer.trim().is_empty() || sub.trim().is_empty() {
                return Err(CliError::Usage(
                    "--issuer and --sub must not be empty".into(),
                ));
            }
            match users::set_oidc_identity(&conn, user.id, Some((&issuer, &sub))) {
                Ok(()) => {}
                Err(e) if db::is_constraint_violation(&e) => {
                    return Err(CliError::Failed(
                        "that identity is already linked to another account".into(),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
            if !user.has_password() {
                // Nothing but SSO signs this account in: its role follows the IdP mapping.
                conn.execute(
                    "UPDATE users SET auth_provider = 'oidc' WHERE id = ?1",
                    [user.id],
                )?;
            }
            record(&conn, "cli.user.link_oidc", &user.username)?;
            println!("{} is linked to {sub} at {issuer}", user.username);
            if config.oidc.issuer.as_deref().is_some_and(|i| i != issuer) {
                eprintln!(
                    "warning: --issuer differs from OIDC_ISSUER ({:?}); sign-ins match the issuer exactly",
                    config.oidc.issuer.as_deref().unwrap_or_default()
                );
            }
        }
        UserCommand::SetPin { name, .. } => {
            let user = find(&conn, &name)?;
            let pin = read_secret_line("PIN")?;
            credentials::check_pin(&pin).map_err(|r| CliError::Usage(r.into()))?;
            users::set_pin_hash(&conn, user.id, Some(&password::hash_sync(&pin)?))?;
            record(&conn, "cli.user.set_pin", &user.username)?;
            println!("kiosk PIN set for {}", user.username);
        }
        UserCommand::SetBadge { name, .. } => {
            let user = find(&conn, &name)?;
            let code = credentials::normalize_badge(&read_secret_line("badge code")?)
                .map_err(|r| CliError::Usage(r.into()))?;
            match users::set_badge_hash(
                &conn,
                user.id,
                Some(&credentials::badge_digest(config.secret(), &code)),
            ) {
                Ok(()) => {}
                Err(e) if db::is_constraint_violation(&e) => {
                    return Err(CliError::Failed(
                        "that badge is already registered to another account".into(),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
            record(&conn, "cli.user.set_badge", &user.username)?;
            println!("badge registered for {}", user.username);
        }
        UserCommand::UnlinkOidc { name } => {
            let user = find(&conn, &name)?;
            users::set_oidc_identity(&conn, user.id, None)?;
            record(&conn, "cli.user.unlink_oidc", &user.username)?;
            println!("{} has no SSO identity now", user.username);
        }
        UserCommand::Activate { name } => {
            let user = find(&conn, &name)?;
            accounts::activate(
                &conn,
                &Actor::operator(),
                &user,
                "cli.user.activate",
                db::now(),
            )?;
            println!("{} is active", user.username);
        }
    }
    Ok(())
}

fn new_password_hash() -> Result<String, CliError> {
    let pw = read_secret_line("password")?;
    password::check_new(&pw).map_err(|r| CliError::Usage(r.into()))?;
    Ok(password::hash_sync(&pw)?)
}

fn find(conn: &Connection, name: &str) -> Result<User, CliError> {
    super::find_user(conn, name)
}

fn record(conn: &Connection, action: &str, target: &str) -> Result<(), CliError> {
    audit::record(
        conn,
        &audit::Entry {
            actor_user_id: None,
            action,
            target: Some(target),
            detail: None,
            client_ip: None,
        },
        db::now(),
    )?;
    Ok(())
}

fn list(conn: &Connection, json: bool) -> CliResult {
    let all = users::list(conn)?;
    if json {
        let rows: Vec<_> = all
            .iter()
            .map(|u| {
                serde_json::json!({
                    "id": u.id, "username": u.username, "full_name": u.full_name, "email": u.email,
                    "is_admin": u.is_admin, "is_active": u.is_active, "auth_provider": u.auth_provider,
                    "has_password": u.has_password(), "created_at": u.created_at, "last_login_at": u.last_login_at,
                    "oidc_issuer": u.oidc_issuer, "oidc_sub": u.oidc_sub,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    println!(
        "{:<5} {:<24} {:<6} {:<7} {:<8} {:<9} EMAIL",
        "ID", "USERNAME", "ADMIN", "ACTIVE", "PROVIDER", "PASSWORD"
    );
    for u in all {
        let yn = |b: bool| if b { "yes" } else { "no" };
        println!(
            "{:<5} {:<24} {:<6} {:<7} {:<8} {:<9} {}",
            u.id,
            u.username,
            yn(u.is_admin),
            yn(u.is_active),
            u.auth_provider,
            if u.has_password() { "set" } else { "none" },
            u.email.unwrap_or_default()
        );
    }
    Ok(())
}
