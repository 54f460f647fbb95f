//! `timetracker settings get|set|list`: the administrator settings, validated exactly as the
//! web page validates them.

use clap::Subcommand;

use super::{CliError, CliResult};
use crate::config::Config;
use crate::db::{self, audit};
use crate::tracking::settings::{self as org, all_keys, OrgSettings};

#[derive(Subcommand, Debug)]
pub enum SettingsCommand {
    /// Every setting with its effective value
    List,
    /// Print one setting's effective value
    Get { key: String },
    /// Change a setting (the value is validated)
    Set { key: String, value: String },
}

pub fn run(cmd: SettingsCommand, config: Config) -> CliResult {
    let (config, db) = crate::open(config)?;
    let conn = db.conn()?;
    let s = OrgSettings::load(&conn, config.timezone.as_deref())?;
    match cmd {
        SettingsCommand::List => {
            for (key, help) in all_keys() {
                println!(
                    "{key}={}\t# {help}",
                    org::effective(&s, key).unwrap_or_default()
                );
            }
        }
        SettingsCommand::Get { key } => {
            let v = org::effective(&s, key.trim()).ok_or_else(|| {
                CliError::Usage(format!(
                    "unknown setting {key:?}; known settings: {}",
                    all_keys().map(|(k, _)| k).collect::<Vec<_>>().join(", ")
                ))
            })?;
            println!("{v}");
        }
        SettingsCommand::Set { key, value } => {
            let key = key.trim();
            let now = db::now();
            let stored = org::set(&conn, key, &value, now)?.map_err(CliError::Usage)?;
            audit::record(
                &conn,
                &audit::Entry {
                    actor_user_id: None,
                    action: "cli.settings.set",
                    target: Some(key),
                    detail: Some(serde_json::json!({ "value": stored })),
                    client_ip: None,
                },
                now,
            )?;
            println!("{key}={stored}");
        }
    }
    Ok(())
}
