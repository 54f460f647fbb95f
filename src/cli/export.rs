//! `timetracker export entries`: the same CSV (or JSON) the web pages export.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::{find_user, CliError, CliResult};
use crate::config::Config;
use crate::db::{self, entries, projects};
use crate::tracking::export;
use crate::tracking::reports::resolve_range;
use crate::tracking::settings::OrgSettings;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// Time entries that started between --from and --to (inclusive, organisation timezone)
    Entries {
        /// First day, YYYY-MM-DD
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD
        #[arg(long)]
        to: String,
        /// Only this user's entries
        #[arg(long)]
        user: Option<String>,
        /// Only this project's entries (name or id)
        #[arg(long)]
        project: Option<String>,
        #[arg(long, value_enum, default_value = "csv")]
        format: Format,
        /// Write to this file instead of standard output
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
}

pub fn run(cmd: ExportCommand, config: Config) -> CliResult {
    let ExportCommand::Entries {
        from,
        to,
        user,
        project,
        format,
        out,
    } = cmd;
    let (config, db) = crate::open(config)?;
    let conn = db.conn()?;
    let now = db::now();
    let s = OrgSettings::load(&conn, config.timezone.as_deref())?;
    let range = resolve_range(&s, Some("custom"), Some(&from), Some(&to), "custom", now)
        .map_err(CliError::Usage)?;
    let user_id = user
        .map(|u| find_user(&conn, &u).map(|u| u.id))
        .transpose()?;
    let project_id = match project {
        None => None,
        Some(p) => {
            let found = match p.trim().parse::<i64>() {
                Ok(id) => projects::by_id(&conn, id)?,
                Err(_) => projects::by_name(&conn, p.trim())?,
            };
            Some(
                found
                    .ok_or_else(|| CliError::Failed(format!("no project {p:?}")))?
                    .id,
            )
        }
    };
    let filter = entries::Filter {
        from: range.from,
        to: range.to,
        user_id,
        project_id,
        ..Default::default()
    };
    let rows = entries::all(&conn, &filter, now)?;
    let body = match format {
        Format::Csv => export::csv(&rows, &s.tz, s.rounding),
        Format::Json => format!("{}\n", export::json(&rows, s.rounding)),
    };
    match out {
        Some(path) => {
            std::fs::write(&path, body)
                .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
            let noun = if rows.len() == 1 { "entry" } else { "entries" };
            eprintln!("wrote {} {noun} to {}", rows.len(), path.display());
        }
        None => print!("{body}"),
    }
    Ok(())
}
