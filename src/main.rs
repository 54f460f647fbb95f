use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    timetracker::cli::run(timetracker::cli::Cli::parse())
}
