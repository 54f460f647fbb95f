//! `timetracker token create|list|revoke`: API tokens for scripts and integrations.

use clap::Subcommand;

use super::{find_user, CliError, CliResult};
use crate::auth::api_token::{self, parse_scopes};
use crate::config::Config;
use crate::db::{self, api_tokens, audit};

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print it once (only its hash is stored)
    Create {
        /// Whose token it is; it acts with this user's rights
        #[arg(long)]
        user: String,
        /// A label to recognise it by, e.g. "payroll export"
        #[arg(long)]
        name: String,
        /// Comma-separated: read, write, admin
        #[arg(long, default_value = "read,write")]
        scopes: String,
        /// Days until it stops working [default: never]
        #[arg(long, value_name = "N")]
        expires_days: Option<u32>,
    },
    /// List tokens (never the secrets)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by id or prefix
    Revoke { id_or_prefix: String },
}

pub fn run(cmd: TokenCommand, config: Config) -> CliResult {
    let (_, db) = crate::open(config)?;
    let conn = db.conn()?;
    let now = db::now();
    match cmd {
        TokenCommand::Create {
            user,
            name,
            scopes,
            expires_days,
        } => {
            let user = find_user(&conn, &user)?;
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(CliError::Usage("--name is 1 to 100 characters".into()));
            }
            let scopes = parse_scopes(&scopes).map_err(CliError::Usage)?;
            if scopes.contains(&api_token::Scope::Admin) && !user.is_admin {
                return Err(CliError::Usage(format!(
                    "{} is not an administrator, so an admin scope would not work",
                    user.username
                )));
            }
            if expires_days == Some(0) {
                return Err(CliError::Usage("--expires-days must be at least 1".into()));
            }
            let expires_at = expires_days.map(|d| now + i64::from(d) * 86_400);
            let token = api_token::create(&conn, user.id, name, &scopes, expires_at, now)?;
            audit::record(
                &conn,
                &audit::Entry {
                    actor_user_id: None,
                    action: "cli.token.create",
                    target: Some(&user.username),
                    detail: Some(serde_json::json!({ "name": name })),
                    client_ip: None,
                },
                now,
            )?;
            println!("{token}");
            eprintln!("this is the only time the token is shown; store it now");
        }
        TokenCommand::List { json } => {
            let rows = api_tokens::list(&conn)?;
            if json {
                println!("{}", serde_json::to_string(&rows)?);
                return Ok(());
            }
            println!(
                "{:<5} {:<10} {:<16} {:<24} {:<16} {:<10} STATE",
                "ID", "PREFIX", "USER", "NAME", "SCOPES", "EXPIRES"
            );
            for t in rows {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else if t.expires_at.is_some_and(|e| e <= now) {
                    "expired"
                } else {
                    "active"
                };
                let expires = t
                    .expires_at
                    .and_then(|e| chrono::DateTime::from_timestamp(e, 0))
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{:<5} {:<10} {:<16} {:<24} {:<16} {:<10} {state}",
                    t.id, t.prefix, t.username, t.name, t.scopes, expires
                );
            }
        }
        TokenCommand::Revoke { id_or_prefix } => {
            let wanted = id_or_prefix.trim().trim_start_matches("tt_");
            if api_tokens::revoke(&conn, wanted, now)? == 0 {
                return Err(CliError::Failed(format!(
                    "no active token with id or prefix {id_or_prefix:?}"
                )));
            }
            audit::record(
                &conn,
                &audit::Entry {
                    actor_user_id: None,
                    action: "cli.token.revoke",
                    target: Some(wanted),
                    detail: None,
                    client_ip: None,
                },
                now,
            )?;
            println!("revoked {wanted}");
        }
    }
    Ok(())
}
