//! `timetracker project add|list`.

use clap::Subcommand;

use super::{CliError, CliResult};
use crate::config::Config;
use crate::db::{self, clients, projects};
use crate::tracking::projects::{create_client, create_project};
use crate::tracking::Actor;

#[derive(Subcommand, Debug)]
pub enum ProjectCommand {
    /// Create a project (and its client, if new)
    Add {
        name: String,
        /// The client it belongs to (created when it does not exist yet)
        #[arg(long)]
        client: Option<String>,
        /// Time on it is not billable by default
        #[arg(long)]
        non_billable: bool,
    },
    /// List projects
    List {
        #[arg(long)]
        json: bool,
        /// Include archived projects
        #[arg(long)]
        all: bool,
    },
}

pub fn run(cmd: ProjectCommand, config: Config) -> CliResult {
    let (_, db) = crate::open(config)?;
    let mut conn = db.conn()?;
    let now = db::now();
    let actor = Actor::operator();
    match cmd {
        ProjectCommand::Add {
            name,
            client,
            non_billable,
        } => {
            let tx = conn.transaction()?;
            let client_id = match client.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(c) => Some(match clients::by_name(&tx, c)? {
                    Some(found) => found.id,
                    None => create_client(&tx, &actor, c, now)?.id,
                }),
            };
            let p = create_project(&tx, &actor, &name, client_id, !non_billable, now)?;
            tx.commit()?;
            println!("created project {} (id {})", p.name, p.id);
        }
        ProjectCommand::List { json, all } => {
            let list = projects::list(&conn, !all)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string(&list).map_err(|e| CliError::Failed(e.to_string()))?
                );
                return Ok(());
            }
            println!(
                "{:<5} {:<32} {:<24} BILLABLE ARCHIVED",
                "ID", "NAME", "CLIENT"
            );
            for p in list {
                let yn = |b: bool| if b { "yes" } else { "no" };
                println!(
                    "{:<5} {:<32} {:<24} {:<8} {}",
                    p.id,
                    p.name,
                    p.client.unwrap_or_default(),
                    yn(p.billable),
                    yn(p.archived)
                );
            }
        }
    }
    Ok(())
}
