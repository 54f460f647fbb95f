//! `timetracker timers list|stop`: who has a timer running, and stopping one.

use clap::Subcommand;

use super::{find_user, CliResult};
use crate::config::Config;
use crate::db::{self, entries};
use crate::tracking::export::entry_json;
use crate::tracking::{hm, timer, Actor};

#[derive(Subcommand, Debug)]
pub enum TimersCommand {
    /// Running timers, longest first
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop a user's running timer
    Stop {
        #[arg(long)]
        user: String,
    },
}

pub fn run(cmd: TimersCommand, config: Config) -> CliResult {
    let (_, db) = crate::open(config)?;
    let mut conn = db.conn()?;
    let now = db::now();
    match cmd {
        TimersCommand::List { json } => {
            timer::sweep(&conn, None, now)?;
            let running = entries::running_all(&conn, now)?;
            if json {
                let rows: Vec<_> = running.iter().map(entry_json).collect();
                println!("{}", serde_json::Value::Array(rows));
                return Ok(());
            }
            println!("{:<16} {:<24} {:<10} NOTES", "USER", "PROJECT", "ELAPSED");
            for e in running {
                println!(
                    "{:<16} {:<24} {:<10} {}",
                    e.username,
                    e.project,
                    hm(e.duration_seconds),
                    e.notes
                );
            }
        }
        TimersCommand::Stop { user } => {
            let user = find_user(&conn, &user)?;
            let e = timer::stop(&mut conn, &Actor::operator(), user.id, now)?;
            println!(
                "stopped {}'s timer on {} after {}",
                user.username,
                e.project,
                hm(e.duration_seconds)
            );
        }
    }
    Ok(())
}
