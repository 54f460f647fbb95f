//! The tracking CLI as an operator runs it: projects, settings, tokens, exports, timers, and
//! a served binary whose acknowledged timer writes survive SIGKILL.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_timetracker");

fn tt(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .env_clear()
        .env("HOME", dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("binary finishes")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = tt(dir, args, &[], None);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn code(dir: &Path, args: &[&str]) -> (i32, String) {
    let o = tt(dir, args, &[], None);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn sql(dir: &Path, q: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("data").join("timetracker.db")).unwrap();
    conn.query_row(q, [], |r| r.get(0)).unwrap()
}

fn exec(dir: &Path, q: &str) {
    let conn = rusqlite::Connection::open(dir.join("data").join("timetracker.db")).unwrap();
    conn.execute_batch(q).unwrap();
}

#[test]
fn help_exists_for_every_tracking_command() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["token", "--help"],
        vec!["token", "create", "--help"],
        vec!["export", "entries", "--help"],
        vec!["timers", "--help"],
        vec!["project", "add", "--help"],
        vec!["settings", "set", "--help"],
    ] {
        assert!(ok(dir.path(), &args).contains("Usage"), "{args:?}");
    }
}

#[test]
fn projects_and_settings_are_managed_and_validated() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(ok(d, &["project", "add", "Website", "--client", "Acme"])
        .contains("created project Website"));
    ok(d, &["project", "add", "Internal", "--non-billable"]);
    assert_eq!(
        code(d, &["project", "add", "website"]).0,
        1,
        "duplicate names fail"
    );
    let list: Value = serde_json::from_str(&ok(d, &["project", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[1]["client"], "Acme");

    assert_eq!(ok(d, &["settings", "get", "timezone"]).trim(), "UTC");
    assert_eq!(
        ok(d, &["settings", "set", "timezone", "Europe/Vienna"]).trim(),
        "timezone=Europe/Vienna"
    );
    assert_eq!(
        ok(d, &["settings", "set", "rounding_minutes", "15"]).trim(),
        "rounding_minutes=15"
    );
    assert_eq!(
        ok(d, &["settings", "set", "week_start", "Sun"]).trim(),
        "week_start=sunday"
    );
    for (k, v) in [
        ("timezone", "Mars/Base"),
        ("rounding_minutes", "7"),
        ("rounding_mode", "sideways"),
        ("auto_stop_hours", "-1"),
        ("allow_self_register", "maybe"),
        ("colour", "red"),
    ] {
        let (c, err) = code(d, &["settings", "set", k, v]);
        assert_eq!(c, 2, "{k}={v}: {err}");
        assert!(err.contains("error:"), "{err}");
    }
    let all = ok(d, &["settings", "list"]);
    assert!(
        all.contains("timezone=Europe/Vienna") && all.contains("auto_stop_hours=12"),
        "{all}"
    );
    assert!(
        all.contains("kiosk.enabled=false") && all.contains("kiosk.idle_seconds=60"),
        "{all}"
    );
    assert_eq!(
        ok(d, &["settings", "set", "kiosk.enabled", "true"]).trim(),
        "kiosk.enabled=true"
    );
    assert_eq!(ok(d, &["settings", "get", "kiosk.enabled"]).trim(), "true");
    for (k, v) in [
        ("kiosk.idle_seconds", "9"),
        ("kiosk.auth", "retina"),
        ("kiosk.show_user_list", "perhaps"),
    ] {
        assert_eq!(code(d, &["settings", "set", k, v]).0, 2, "{k}={v}");
    }
}

#[test]
fn tokens_are_printed_once_listed_without_secrets_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["user", "add", "alice"]);
    assert_eq!(
        code(
            d,
            &[
                "token",
                "create",
                "--user",
                "alice",
                "--name",
                "x",
                "--scopes",
                "read,delete"
            ]
        )
        .0,
        2
    );
    assert_eq!(
        code(
            d,
            &["token", "create", "--user", "alice", "--name", "x", "--scopes", "admin"]
        )
        .0,
        2,
        "alice is no admin"
    );
    assert_eq!(
        code(d, &["token", "create", "--user", "nobody", "--name", "x"]).0,
        1
    );
    let token = ok(
        d,
        &[
            "token",
            "create",
            "--user",
            "alice",
            "--name",
            "payroll",
            "--expires-days",
            "30",
        ],
    );
    let token = token.trim();
    assert!(token.starts_with("tt_"), "{token}");
    let prefix = token[3..11].to_string();
    let list = ok(d, &["token", "list"]);
    assert!(list.contains(&prefix) && list.contains("payroll") && list.contains("active"));
    assert!(!list.contains(&token[12..]), "the secret never shows again");
    ok(d, &["token", "revoke", &prefix]);
    assert!(ok(d, &["token", "list"]).contains("revoked"));
    assert_eq!(
        code(d, &["token", "revoke", &prefix]).0,
        1,
        "already revoked"
    );
}

#[test]
fn export_timers_and_deactivation_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["user", "add", "alice"]);
    ok(d, &["user", "add", "bob"]);
    ok(d, &["project", "add", "Website"]);
    ok(d, &["project", "add", "Ops"]);
    exec(
        d,
        "INSERT INTO time_entries (user_id, project_id, start_at, end_at, notes, source, created_at, updated_at) VALUES
           (1, 1, 1780300800, 1780304400, '=cmd|calc', 'manual', 0, 0),
           (2, 2, 1780387200, 1780389000, 'bob, ops', 'manual', 0, 0),
           (1, 1, 1790000000, 1790003600, 'later', 'manual', 0, 0);
         INSERT INTO time_entries (user_id, project_id, start_at, source, created_at, updated_at)
           VALUES (1, 2, strftime('%s','now') - 600, 'web', 0, 0),
                  (2, 1, strftime('%s','now') - 60, 'web', 0, 0);",
    );
    let csv = ok(
        d,
        &[
            "export",
            "entries",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
        ],
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.contains("'=cmd|calc") && csv.contains("\"bob, ops\""),
        "{csv}"
    );
    let only = ok(
        d,
        &[
            "export",
            "entries",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
            "--user",
            "bob",
            "--project",
            "Ops",
        ],
    );
    assert_eq!(only.lines().count(), 2);
    let out = d.join("e.json");
    ok(
        d,
        &[
            "export",
            "entries",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["total_seconds"], 3600 + 1800);
    assert_eq!(
        code(
            d,
            &["export", "entries", "--from", "June", "--to", "2026-06-30"]
        )
        .0,
        2
    );
    assert_eq!(
        code(
            d,
            &[
                "export",
                "entries",
                "--from",
                "2026-06-30",
                "--to",
                "2026-06-01"
            ]
        )
        .0,
        2
    );

    let list = ok(d, &["timers", "list"]);
    assert!(list.contains("alice") && list.contains("bob"), "{list}");
    assert!(ok(d, &["timers", "stop", "--user", "bob"]).contains("stopped bob's timer"));
    assert_eq!(
        code(d, &["timers", "stop", "--user", "bob"]).0,
        1,
        "nothing left to stop"
    );

    let out = ok(d, &["user", "deactivate", "alice"]);
    assert!(out.contains("running timer was stopped"), "{out}");
    assert_eq!(
        sql(d, "SELECT count(*) FROM time_entries WHERE end_at IS NULL"),
        0
    );
}

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(BIN)
        .env_clear()
        .env("HOME", dir)
        .env("LOG_LEVEL", "warn")
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["serve", "--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while ureq::get(&format!("{base}/healthz")).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Server { child, base }
}

fn post(base: &str, path: &str, token: &str, body: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .post(&format!("{base}{path}"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body)
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[test]
fn acknowledged_timer_writes_survive_kill_dash_nine() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["user", "add", "alice"]);
    ok(d, &["project", "add", "Website"]);
    let token = ok(
        d,
        &["token", "create", "--user", "alice", "--name", "bench"],
    );
    let token = token.trim();
    let mut server = serve(d);
    let start = r#"{"project_id": 1}"#;
    for _ in 0..20 {
        assert_eq!(post(&server.base, "/api/v1/timer/start", token, start), 201);
        assert_eq!(post(&server.base, "/api/v1/timer/stop", token, ""), 200);
    }
    assert_eq!(post(&server.base, "/api/v1/timer/start", token, start), 201);
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    assert_eq!(
        sql(
            d,
            "SELECT count(*) FROM time_entries WHERE end_at IS NOT NULL"
        ),
        20
    );
    assert_eq!(
        sql(d, "SELECT count(*) FROM time_entries WHERE end_at IS NULL"),
        1,
        "the last start is kept"
    );
    let again = serve(d);
    assert_eq!(
        post(&again.base, "/api/v1/timer/start", token, start),
        409,
        "still running after the restart"
    );
    assert_eq!(post(&again.base, "/api/v1/timer/stop", token, ""), 200);
}
