//! The real binary, as an operator runs it: CLI commands, exit codes, and a served instance
//! that is signed into over HTTP and killed with SIGKILL.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_timetracker");

fn tt(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("HOME", dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary runs");
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

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn version_and_help_work_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    let v = tt(dir.path(), &["version"], &[], None);
    assert_eq!(code(&v), 0);
    assert!(out(&v).starts_with("timetracker "));
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["user", "--help"],
        vec!["user", "add", "--help"],
        vec!["config", "--help"],
        vec!["db", "--help"],
        vec!["init", "--help"],
    ] {
        let o = tt(dir.path(), &args, &[], None);
        assert_eq!(code(&o), 0, "{args:?}");
        assert!(out(&o).contains("Usage"), "{args:?}");
    }
}

#[test]
fn w19_unknown_auth_method_refuses_to_start_naming_the_allowed_values() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["serve"], vec!["config", "check"]] {
        let o = tt(dir.path(), &args, &[("AUTH_METHOD", "ldap")], None);
        assert_eq!(code(&o), 2, "{args:?}");
        assert!(
            err(&o).contains("AUTH_METHOD=\"ldap\"") && err(&o).contains("none, local, oidc, both"),
            "{}",
            err(&o)
        );
    }
}

#[test]
fn config_check_reports_every_problem_and_config_show_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let o = tt(
        dir.path(),
        &["config", "check"],
        &[
            ("PORT", "http"),
            ("DATABASE_URL", "mysql://db/tt"),
            ("SECRET_KEY", "short"),
        ],
        None,
    );
    assert_eq!(code(&o), 2);
    for name in ["PORT", "DATABASE_URL", "SECRET_KEY"] {
        assert!(err(&o).contains(name), "{name} in {}", err(&o));
    }
    let secret = "a-very-long-secret-key-that-is-32-bytes-or-more";
    let o = tt(
        dir.path(),
        &["config", "show"],
        &[
            ("SECRET_KEY", secret),
            ("OIDC_CLIENT_SECRET", "idp-secret"),
            ("OIDC_CLIENTID", "typo"),
        ],
        None,
    );
    assert_eq!(code(&o), 0);
    assert!(out(&o).contains("SECRET_KEY=***"));
    assert!(!out(&o).contains(secret) && !out(&o).contains("idp-secret"));
    assert!(
        err(&o).contains("OIDC_CLIENTID"),
        "unknown OIDC_* names warn: {}",
        err(&o)
    );
}

#[test]
fn env_file_flag_and_dot_env_are_loaded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "AUTH_METHOD=none\n").unwrap();
    let o = tt(dir.path(), &["config", "show"], &[], None);
    assert!(out(&o).contains("AUTH_METHOD=none"), "{}", out(&o));
    std::fs::write(dir.path().join("other.env"), "AUTH_METHOD=both\nOIDC_ISSUER=https://idp.example\nOIDC_CLIENT_ID=x\nOIDC_CLIENT_SECRET=y\nOIDC_REDIRECT_URI=https://tt.example/auth/oidc/callback\n").unwrap();
    let o = tt(
        dir.path(),
        &["--env-file", "other.env", "config", "show"],
        &[],
        None,
    );
    assert!(out(&o).contains("AUTH_METHOD=both"), "{}", out(&o));
    let o = tt(
        dir.path(),
        &["config", "show"],
        &[("AUTH_METHOD", "local")],
        None,
    );
    assert!(
        out(&o).contains("AUTH_METHOD=local"),
        "the environment wins over .env"
    );
}

#[test]
fn init_creates_the_first_admin_once_and_never_takes_a_password_on_argv() {
    let dir = tempfile::tempdir().unwrap();
    let o = tt(
        dir.path(),
        &["init", "--username", "Boss", "--password-stdin"],
        &[],
        Some("boss-password\n"),
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let o = tt(dir.path(), &["user", "list", "--json"], &[], None);
    let users: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(users[0]["username"], "boss");
    assert_eq!(users[0]["is_admin"], true);
    assert_eq!(users[0]["has_password"], true);

    let again = tt(
        dir.path(),
        &["init", "--username", "other", "--password-stdin"],
        &[],
        Some("other-password\n"),
    );
    assert_eq!(code(&again), 1);
    assert!(err(&again).contains("already initialised"));

    let argv = tt(
        dir.path(),
        &["user", "add", "bob", "--password", "on-argv"],
        &[],
        None,
    );
    assert_eq!(code(&argv), 2, "no --password flag exists");
    let no_stdin = tt(dir.path(), &["init", "--username", "x"], &[], None);
    assert_eq!(code(&no_stdin), 2);
}

#[test]
fn init_without_arguments_prints_a_setup_link() {
    let dir = tempfile::tempdir().unwrap();
    let o = tt(
        dir.path(),
        &["init"],
        &[("PUBLIC_URL", "https://time.example.com")],
        None,
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert!(
        out(&o).starts_with("https://time.example.com/setup?token="),
        "{}",
        out(&o)
    );
}

#[test]
fn user_commands_manage_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = tt(
        d,
        &[
            "user",
            "add",
            "Carol",
            "--email",
            "carol@example.test",
            "--full-name",
            "Carol C",
        ],
        &[],
        None,
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    assert_eq!(
        code(&tt(d, &["user", "add", "carol"], &[], None)),
        1,
        "duplicates fail"
    );
    assert_eq!(code(&tt(d, &["user", "add", "bad name"], &[], None)), 2);

    let list = |d| -> serde_json::Value {
        serde_json::from_str(&out(&tt(d, &["user", "list", "--json"], &[], None))).unwrap()
    };
    let u = &list(d)[0];
    assert_eq!(
        (
            u["username"].as_str(),
            u["email"].as_str(),
            u["has_password"].as_bool()
        ),
        (Some("carol"), Some("carol@example.test"), Some(false))
    );

    // Passwords: one line from stdin, trailing newline dropped, length enforced.
    assert_eq!(
        code(&tt(
            d,
            &["user", "set-password", "carol", "--password-stdin"],
            &[],
            Some("short\n")
        )),
        2
    );
    assert_eq!(
        code(&tt(
            d,
            &["user", "set-password", "carol", "--password-stdin"],
            &[],
            Some("carols password\r\n")
        )),
        0
    );
    assert_eq!(list(d)[0]["has_password"], true);

    assert_eq!(
        code(&tt(d, &["user", "set-role", "carol", "admin"], &[], None)),
        0
    );
    assert_eq!(list(d)[0]["is_admin"], true);
    assert_eq!(
        code(&tt(d, &["user", "set-role", "carol", "boss"], &[], None)),
        2
    );
    assert_eq!(
        code(&tt(d, &["user", "set-role", "nobody", "user"], &[], None)),
        1
    );

    assert_eq!(code(&tt(d, &["user", "deactivate", "carol"], &[], None)), 0);
    assert_eq!(list(d)[0]["is_active"], false);
    assert_eq!(
        code(&tt(d, &["user", "reset-password", "carol"], &[], None)),
        1,
        "no links for deactivated users"
    );
    assert_eq!(code(&tt(d, &["user", "activate", "carol"], &[], None)), 0);
    let link = tt(d, &["user", "reset-password", "carol"], &[], None);
    assert_eq!(code(&link), 0);
    assert!(
        out(&link).starts_with("http://127.0.0.1:8000/reset-password?token="),
        "{}",
        out(&link)
    );

    let text = out(&tt(d, &["user", "list"], &[], None));
    assert!(text.contains("USERNAME") && text.contains("carol"));
}

#[test]
fn db_commands_back_up_check_and_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(code(&tt(d, &["user", "add", "dave"], &[], None)), 0);
    let o = tt(d, &["db", "migrate"], &[], None);
    assert_eq!(code(&o), 0);
    assert!(out(&o).contains("up to date"));
    let o = tt(d, &["db", "integrity"], &[], None);
    assert_eq!((code(&o), out(&o).trim()), (0, "ok"));
    let dest = d.join("copy.db");
    let o = tt(d, &["db", "backup", dest.to_str().unwrap()], &[], None);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let copy = rusqlite::Connection::open(&dest).unwrap();
    let n: i64 = copy
        .query_row(
            "SELECT count(*) FROM users WHERE username = 'dave'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    let o = tt(d, &["db", "backup"], &[], None);
    assert!(out(&o).contains("/backups/timetracker-"), "{}", out(&o));
}

#[test]
fn db_commands_refuse_a_missing_database_instead_of_creating_one() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec!["db", "integrity"], vec!["db", "backup"]] {
        let o = tt(
            dir.path(),
            &args,
            &[("DATABASE_URL", "/nonexistent/dir/tt.db")],
            None,
        );
        assert_eq!(code(&o), 1, "{args:?}");
        assert!(err(&o).contains("no database at"), "{}", err(&o));
    }
}

#[test]
fn port_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = tt(dir.path(), &["config", "check"], &[("PORT", "0")], None);
    assert_eq!(code(&o), 2);
}

#[test]
fn generated_secret_key_is_kept_private() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(code(&tt(dir.path(), &["user", "list"], &[], None)), 0);
    let meta = std::fs::metadata(dir.path().join("data/secret_key")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let data = std::fs::metadata(dir.path().join("data")).unwrap();
    assert_eq!(
        data.permissions().mode() & 0o777,
        0o700,
        "the data dir holds password hashes"
    );
}

struct Server {
    child: Child,
    base: String,
    setup_url: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into()
}

/// Starts `timetracker serve` and waits for /healthz; reads the setup link if one is printed.
fn serve(dir: &Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .env_clear()
        .env("HOME", dir)
        .env("LOG_LEVEL", "warn")
        .envs(env.iter().copied())
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["serve", "--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let base = format!("http://127.0.0.1:{port}");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(i) = line.find("http") {
                if line.contains("/setup?token=") {
                    let _ = tx.send(line[i..].trim().to_string());
                }
            }
        }
    });
    let a = agent();
    loop {
        if let Ok(r) = a.get(&format!("{base}/healthz")).call() {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "server did not answer /healthz"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let setup_url = rx.recv_timeout(Duration::from_millis(500)).ok();
    Server {
        child,
        base,
        setup_url,
    }
}

fn cookies(res: &ureq::http::Response<ureq::Body>) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .collect()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// GETs a form page and POSTs `fields` with its CSRF token; returns (status, session cookie).
fn submit(base: &str, page: &str, action: &str, fields: &[(&str, &str)]) -> (u16, Option<String>) {
    let a = agent();
    let mut res = a.get(&format!("{base}{page}")).call().unwrap();
    let jar = cookies(&res).join("; ");
    let html = res.body_mut().read_to_string().unwrap();
    let token = csrf_of(&html);
    let mut all = fields.to_vec();
    all.push(("csrf_token", &token));
    let res = a
        .post(&format!("{base}{action}"))
        .header("Cookie", &jar)
        .send_form(all)
        .unwrap();
    let session = cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("tt_session="));
    (res.status().as_u16(), session)
}

fn me(base: &str, session: &str) -> serde_json::Value {
    let mut res = agent()
        .get(&format!("{base}/api/v1/me"))
        .header("Cookie", session)
        .call()
        .unwrap();
    serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap_or_default()
}

#[test]
fn served_binary_prints_a_setup_link_and_signs_in_the_first_admin() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let link = server
        .setup_url
        .clone()
        .expect("setup link printed on an empty database");
    let path = &link[link.find("/setup").unwrap()..];
    let token = &path[path.find("token=").unwrap() + 6..];
    let (status, session) = submit(
        &server.base,
        path,
        "/setup",
        &[
            ("token", token),
            ("username", "admin"),
            ("password", "admin-password"),
            ("password_confirm", "admin-password"),
        ],
    );
    assert_eq!(status, 303);
    let me = me(&server.base, &session.expect("signed in"));
    assert_eq!(
        (me["username"].as_str(), me["is_admin"].as_bool()),
        (Some("admin"), Some(true))
    );
    let port = server.base.rsplit(':').next().unwrap().to_string();
    let hc = tt(dir.path(), &["healthcheck"], &[("PORT", &port)], None);
    assert_eq!(code(&hc), 0, "{}", err(&hc));
    let hc = tt(dir.path(), &["--port", &port, "healthcheck"], &[], None);
    assert_eq!(
        code(&hc),
        0,
        "--port before the command counts: {}",
        err(&hc)
    );
    let hc = tt(dir.path(), &["healthcheck"], &[("PORT", "1")], None);
    assert_eq!(code(&hc), 1, "healthcheck fails when nothing answers");
}

#[test]
fn acknowledged_writes_survive_kill_dash_nine() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[("AUTH_METHOD", "local")]);
    // Self-registration: the 303 acknowledges that the account row is committed.
    let (status, session) = submit(
        &server.base,
        "/login",
        "/login",
        &[("username", "durable"), ("password", "durable-password")],
    );
    assert_eq!(status, 303);
    assert!(session.is_some());
    let mut server = server;
    server.child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
    server.child.wait().unwrap();

    let o = tt(dir.path(), &["user", "list", "--json"], &[], None);
    let users: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(users[0]["username"], "durable");
    let o = tt(dir.path(), &["db", "integrity"], &[], None);
    assert_eq!(code(&o), 0);

    let again = serve(dir.path(), &[]);
    assert!(
        again.setup_url.is_some(),
        "still no admin: a new setup link is printed"
    );
    let (status, session) = submit(
        &again.base,
        "/login",
        "/login",
        &[("username", "durable"), ("password", "durable-password")],
    );
    assert_eq!(status, 303);
    assert_eq!(me(&again.base, &session.unwrap())["username"], "durable");
}

#[test]
fn link_oidc_links_an_identity_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let issuer = [("OIDC_ISSUER", "https://idp.example")];
    assert_eq!(code(&tt(d, &["user", "add", "ivan"], &[], None)), 0);
    let o = tt(
        d,
        &[
            "user",
            "link-oidc",
            "ivan",
            "--issuer",
            "https://idp.example",
            "--sub",
            "s-1",
        ],
        &issuer,
        None,
    );
    assert_eq!(code(&o), 0, "{}", err(&o));
    let users: serde_json::Value =
        serde_json::from_str(&out(&tt(d, &["user", "list", "--json"], &[], None))).unwrap();
    assert_eq!(users[0]["oidc_sub"], "s-1");
    assert_eq!(
        users[0]["auth_provider"], "oidc",
        "a passwordless account now follows the IdP"
    );
    assert_eq!(code(&tt(d, &["user", "add", "jane"], &[], None)), 0);
    let o = tt(
        d,
        &[
            "user",
            "link-oidc",
            "jane",
            "--issuer",
            "https://idp.example",
            "--sub",
            "s-1",
        ],
        &issuer,
        None,
    );
    assert_eq!(code(&o), 1, "one identity, one account");
    let o = tt(
        d,
        &[
            "user",
            "link-oidc",
            "jane",
            "--issuer",
            "https://idp.example/",
            "--sub",
            "s-2",
        ],
        &issuer,
        None,
    );
    assert!(err(&o).contains("differs from OIDC_ISSUER"), "{}", err(&o));
    assert_eq!(code(&tt(d, &["user", "unlink-oidc", "ivan"], &[], None)), 0);
}

#[test]
fn set_pin_and_set_badge_read_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(code(&tt(d, &["user", "add", "kim"], &[], None)), 0);
    assert_eq!(
        code(&tt(
            d,
            &["user", "set-pin", "kim", "--pin-stdin"],
            &[],
            Some("12ab\n")
        )),
        2
    );
    assert_eq!(
        code(&tt(
            d,
            &["user", "set-pin", "kim", "--pin-stdin"],
            &[],
            Some("1234\n")
        )),
        0
    );
    assert_eq!(
        code(&tt(
            d,
            &["user", "set-badge", "kim", "--badge-stdin"],
            &[],
            Some("CARD-123\n")
        )),
        0
    );
    assert_eq!(code(&tt(d, &["user", "add", "lee"], &[], None)), 0);
    assert_eq!(
        code(&tt(
            d,
            &["user", "set-badge", "lee", "--badge-stdin"],
            &[],
            Some("CARD-123\n")
        )),
        1,
        "badges are unique"
    );
}

#[test]
fn a_broken_template_override_stops_serve_with_exit_1_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("data/templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("login.html.j2"), "{% if %}broken").unwrap();
    let port = free_port().to_string();
    let o = tt(dir.path(), &["serve", "--port", &port], &[], None);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let logs = format!("{}{}", out(&o), String::from_utf8_lossy(&o.stderr));
    assert!(logs.contains("login.html"), "{logs}");
}

#[test]
fn log_level_decides_which_lines_are_written() {
    let quiet = tempfile::tempdir().unwrap();
    let o = tt(
        quiet.path(),
        &["project", "list"],
        &[("LOG_LEVEL", "warn")],
        None,
    );
    assert!(o.status.success(), "{o:?}");
    let logs = String::from_utf8_lossy(&o.stderr);
    assert!(!logs.contains("applied migration"), "{logs}");

    let chatty = tempfile::tempdir().unwrap();
    let o = tt(
        chatty.path(),
        &["project", "list"],
        &[("LOG_LEVEL", "info")],
        None,
    );
    let logs = String::from_utf8_lossy(&o.stderr);
    assert!(logs.contains("applied migration"), "{logs}");
}
