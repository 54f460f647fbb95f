//! `timetracker config show|check`.

use clap::Subcommand;

use super::{CliError, CliResult};
use crate::config::{Config, ConfigErrors};

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the effective configuration (secrets masked)
    Show {
        /// Print JSON instead of NAME=value lines
        #[arg(long)]
        json: bool,
    },
    /// Validate the configuration; exit 2 when it is invalid
    Check,
}

pub fn run(cmd: ConfigCommand, config: Result<Config, ConfigErrors>) -> CliResult {
    let config = config.map_err(|e| CliError::Usage(e.to_string()))?;
    for w in &config.warnings {
        eprintln!("warning: {w}");
    }
    match cmd {
        ConfigCommand::Show { json } => {
            let pairs = config.describe();
            if json {
                let map: serde_json::Map<String, serde_json::Value> = pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.into()))
                    .collect();
                println!("{}", serde_json::Value::Object(map));
            } else {
                for (k, v) in pairs {
                    println!("{k}={v}");
                }
            }
        }
        ConfigCommand::Check => println!(
            "configuration OK (AUTH_METHOD={})",
            config.auth_method.as_str()
        ),
    }
    Ok(())
}
