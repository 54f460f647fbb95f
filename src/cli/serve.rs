//! `timetracker serve` and `timetracker healthcheck`.

use std::time::Duration;

use clap::Args;
use rocket::fairing::AdHoc;

use super::{CliError, CliResult};
use crate::auth::setup;
use crate::config::Config;
use crate::db;

#[derive(Args, Debug, Default, Clone)]
pub struct ServeArgs {
    /// Address to listen on [env: HOST] [default: 127.0.0.1]
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on [env: PORT] [default: 8000]
    #[arg(long)]
    pub port: Option<String>,
}

pub fn run(config: Config) -> CliResult {
    let (config, db) = crate::open(config)?;
    let base = config.base_url();
    let token = setup::issue_setup_token(&*db.conn()?, db::now())?;
    let data_dir = config.data_dir.display().to_string();
    let listen = format!("http://{}:{}", config.host, config.port);
    let rocket = crate::build_rocket(config, db).attach(AdHoc::on_liftoff("announce", move |_| {
        Box::pin(async move {
            tracing::info!(data_dir = %data_dir, "TimeTracker {} listening on {listen}", env!("CARGO_PKG_VERSION"));
            if let Some(token) = token {
                // Printed, not only logged: this link is how a new install gets its admin.
                println!(
                    "\nNo administrator exists yet. Create one within the next hour at:\n\n    {base}/setup?token={token}\n\n(or run `timetracker init --username NAME --password-stdin`)\n"
                );
            }
        })
    }));
    // Our own runtime: rocket::execute sizes its runtime from Rocket's default figment
    // (ROCKET_* variables, Rocket.toml), not from the Config built in build_rocket, so its
    // blocking pool grew to 512 threads under load.
    let runtime = rocket::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(rocket::Config::default().workers)
        .max_blocking_threads(crate::MAX_BLOCKING_THREADS)
        .thread_name("rocket-worker-thread")
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("could not start the async runtime: {e}")))?;
    runtime
        .block_on(rocket.launch())
        .map(|_| ())
        .map_err(|e| CliError::Failed(format!("the server stopped: {e}")))
}

pub fn healthcheck(config: &Config) -> CliResult {
    let url = format!("{}/readyz", config.local_url());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .build()
        .into();
    match agent.get(&url).call() {
        Ok(res) if res.status() == 200 => {
            println!("ready: {url}");
            Ok(())
        }
        Ok(res) => Err(CliError::Failed(format!("{url} answered {}", res.status()))),
        Err(e) => Err(CliError::Failed(format!("{url}: {e}"))),
    }
}
