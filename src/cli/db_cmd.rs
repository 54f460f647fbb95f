//! `timetracker db migrate|backup|integrity`.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, CliResult};
use crate::config::Config;
use crate::db::{backup, migrate, Db};

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Apply pending schema migrations (the server also does this at start)
    Migrate,
    /// Write a consistent copy of the live database (SQLite online backup API)
    Backup {
        /// Destination file [default: <data-dir>/backups/timetracker-<UTC time>.db]
        path: Option<PathBuf>,
    },
    /// Run SQLite's integrity check; exit 1 when it finds problems
    Integrity,
}

pub fn run(cmd: DbCommand, config: Config) -> CliResult {
    if !matches!(cmd, DbCommand::Migrate) && !config.database_path.is_file() {
        return Err(CliError::Failed(format!(
            "no database at {} (check --data-dir or DATABASE_URL)",
            config.database_path.display()
        )));
    }
    let db = Db::open(&config.database_path, config.db_synchronous)?;
    let mut conn = db.conn()?;
    match cmd {
        DbCommand::Migrate => {
            let applied = migrate::migrate(&mut conn, &config.data_dir.join("backups"))?;
            if applied.is_empty() {
                println!("schema is up to date (version {})", migrate::LATEST);
            } else {
                let list: Vec<String> = applied.iter().map(u32::to_string).collect();
                println!(
                    "applied migration(s) {}; schema version {}",
                    list.join(", "),
                    migrate::LATEST
                );
            }
        }
        DbCommand::Backup { path } => {
            let dest = path.unwrap_or_else(|| backup::default_path(&config.data_dir));
            backup::backup_to(&conn, &dest)?;
            println!("{}", dest.display());
        }
        DbCommand::Integrity => {
            let problems = backup::integrity_problems(&conn)?;
            if !problems.is_empty() {
                for p in &problems {
                    eprintln!("{p}");
                }
                return Err(CliError::Failed(format!(
                    "{} integrity problem(s) found",
                    problems.len()
                )));
            }
            println!("ok");
        }
    }
    Ok(())
}
