//! `timetracker oidc check`: the SSO diagnostics for operators, as text or JSON.

use clap::Subcommand;

use super::{CliError, CliResult};
use crate::auth::oidc::diagnostics;
use crate::config::Config;
use crate::db::oidc as flows;

#[derive(Subcommand, Debug)]
pub enum OidcCommand {
    /// Check DNS, discovery, keys, issuer, scopes and claims; exit 1 on any problem
    Check {
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: OidcCommand, config: Config) -> CliResult {
    let OidcCommand::Check { json } = cmd;
    let (config, db) = crate::open(config)?;
    let failures = flows::recent_failures(&*db.conn()?, 20)?;
    let report = diagnostics::run(&config, failures);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if report.ok {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{} problem(s) found",
            report.problems.len()
        )))
    }
}

fn print_report(r: &diagnostics::Report) {
    println!("Settings");
    for s in &r.settings {
        println!("  {}={}", s.name, s.value);
    }
    println!("DNS");
    for d in &r.dns {
        match &d.error {
            Some(e) => println!("  {:<12} error: {e} ({} ms)", d.strategy, d.millis),
            None => println!(
                "  {:<12} {} ({} ms)",
                d.strategy,
                d.addresses.join(", "),
                d.millis
            ),
        }
    }
    let ms = |v: Option<u128>| v.map_or("failed".to_string(), |m| format!("{m} ms"));
    println!("Discovery      {}", ms(r.discovery_millis));
    println!(
        "JWKS           {} ({} keys)",
        ms(r.jwks_millis),
        r.jwks_keys.unwrap_or(0)
    );
    println!(
        "Issuer         configured {:?}, discovered {:?}: {}",
        r.issuer_configured,
        r.issuer_discovered.as_deref().unwrap_or("-"),
        if r.issuer_matches {
            "match"
        } else {
            "MISMATCH"
        }
    );
    let support = |s: &diagnostics::Support| match s.supported {
        None => "not published",
        Some(true) => "supported",
        Some(false) => "NOT SUPPORTED",
    };
    for s in &r.scopes {
        println!("Scope          {:<20} {}", s.name, support(s));
    }
    for c in &r.claims {
        println!("Claim          {:<20} {}", c.name, support(c));
    }
    println!(
        "End-session    {} (post-logout URI {})",
        if r.end_session_supported {
            "offered"
        } else {
            "not offered"
        },
        if r.post_logout_configured {
            "set"
        } else {
            "not set"
        }
    );
    println!("Recent failures");
    if r.failures.is_empty() {
        println!("  none");
    }
    for f in &r.failures {
        println!("  {} {} {}\n    fix: {}", f.at, f.reason, f.detail, f.fix);
    }
    for p in &r.problems {
        println!("PROBLEM: {p}");
    }
}
