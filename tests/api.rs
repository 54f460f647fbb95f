//! The JSON API: bearer tokens and sessions, the timer endpoints and their rules, entries.

mod common;

use common::*;
use rocket::futures::future::join_all;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use serde_json::{json, Value};
use timetracker::auth::api_token::{self, Scope};
use timetracker::db;
use timetracker::tracking::projects::{create_project, create_task, set_archived, Kind};
use timetracker::tracking::Actor;

fn token(app: &TestApp, user_id: i64, scopes: &[Scope]) -> String {
    let conn = app.db.conn().unwrap();
    api_token::create(&conn, user_id, "test", scopes, None, db::now()).unwrap()
}

fn project(app: &TestApp, name: &str) -> i64 {
    let conn = app.db.conn().unwrap();
    create_project(&conn, &Actor::operator(), name, None, true, db::now())
        .unwrap()
        .id
}

fn bearer(t: &str) -> Header<'static> {
    Header::new("Authorization", format!("Bearer {t}"))
}

async fn call(
    client: &Client,
    method: &str,
    path: &str,
    tok: &str,
    body: Option<Value>,
) -> (Status, Value) {
    let req = match method {
        "GET" => client.get(path.to_string()),
        _ => client.post(path.to_string()),
    }
    .header(bearer(tok))
    .header(ContentType::JSON);
    let req = match body {
        Some(b) => req.body(b.to_string()),
        None => req,
    };
    let res = req.dispatch().await;
    let status = res.status();
    let text = res.into_string().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn setup() -> (TestApp, String, i64) {
    let app = TestApp::new(&[]).await;
    let uid = app.add_user("alice", None, false);
    let tok = token(&app, uid, &[Scope::Read, Scope::Write]);
    let pid = project(&app, "Website");
    (app, tok, pid)
}

#[rocket::async_test]
async fn me_accepts_a_bearer_token_and_refuses_a_bad_one() {
    let (app, tok, _) = setup().await;
    let (status, me) = call(&app.client, "GET", "/api/v1/me", &tok, None).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(me["username"], "alice");
    let forged = format!("{}x", tok);
    let (status, body) = call(&app.client, "GET", "/api/v1/me", &forged, None).await;
    assert_eq!(status, Status::Unauthorized);
    assert_eq!(body["error"], "unauthorized");
    assert!(
        body["message"].as_str().unwrap().contains("invalid"),
        "{body}"
    );
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM api_tokens WHERE secret_hash LIKE 'tt_%'"),
        0,
        "only a hash is stored"
    );
}

#[rocket::async_test]
async fn revoked_and_expired_tokens_stop_working() {
    let (app, tok, _) = setup().await;
    app.exec("UPDATE api_tokens SET expires_at = 1");
    assert_eq!(
        call(&app.client, "GET", "/api/v1/me", &tok, None).await.0,
        Status::Unauthorized
    );
    app.exec("UPDATE api_tokens SET expires_at = NULL, revoked_at = 1");
    assert_eq!(
        call(&app.client, "GET", "/api/v1/me", &tok, None).await.0,
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn a_read_token_cannot_start_a_timer() {
    let (app, _, pid) = setup().await;
    let uid: i64 = app.sql("SELECT id FROM users WHERE username = 'alice'");
    let read = token(&app, uid, &[Scope::Read]);
    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &read,
        Some(json!({ "project_id": pid })),
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    assert_eq!(body["error"], "forbidden");
}

#[rocket::async_test]
async fn timer_start_stop_and_status_round_trip() {
    let (app, tok, pid) = setup().await;
    let (status, body) = call(&app.client, "GET", "/api/v1/timer", &tok, None).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body, json!({ "running": false, "entry": null }));

    let (status, started) = call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &tok,
        Some(json!({ "project_id": pid, "notes": "homepage" })),
    )
    .await;
    assert_eq!(status, Status::Created, "{started}");
    assert_eq!(started["running"], true);
    assert_eq!(started["project"], "Website");
    assert_eq!(started["source"], "api");

    let (_, body) = call(&app.client, "GET", "/api/v1/timer", &tok, None).await;
    assert_eq!(body["running"], true);
    assert_eq!(body["entry"]["id"], started["id"]);

    let (status, again) = call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &tok,
        Some(json!({ "project_id": pid })),
    )
    .await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(again["error"], "timer_already_running");

    let (status, stopped) = call(&app.client, "POST", "/api/v1/timer/stop", &tok, None).await;
    assert_eq!(status, Status::Ok, "{stopped}");
    assert_eq!(stopped["running"], false);
    assert!(stopped["duration_seconds"].as_i64().unwrap() >= 1);

    let (status, body) = call(&app.client, "POST", "/api/v1/timer/stop", &tok, None).await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(body["error"], "no_timer_running");
}

#[rocket::async_test]
async fn concurrent_starts_leave_exactly_one_running_timer() {
    let (app, tok, pid) = setup().await;
    let body = json!({ "project_id": pid }).to_string();
    let requests = (0..24).map(|_| {
        app.client
            .post("/api/v1/timer/start")
            .header(bearer(&tok))
            .header(ContentType::JSON)
            .body(body.clone())
            .dispatch()
    });
    let statuses: Vec<Status> = join_all(requests)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let created = statuses.iter().filter(|s| **s == Status::Created).count();
    let conflicts = statuses.iter().filter(|s| **s == Status::Conflict).count();
    assert_eq!((created, conflicts), (1, 23), "{statuses:?}");
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM time_entries WHERE end_at IS NULL"),
        1
    );
}

#[rocket::async_test]
async fn the_schema_itself_refuses_a_second_running_timer() {
    let (app, _, pid) = setup().await;
    let conn = app.db.conn().unwrap();
    let insert = format!(
        "INSERT INTO time_entries (user_id, project_id, start_at, source, created_at, updated_at)
         VALUES ((SELECT id FROM users WHERE username = 'alice'), {pid}, 100, 'web', 100, 100)"
    );
    conn.execute_batch(&insert).unwrap();
    let err = conn.execute_batch(&insert).unwrap_err();
    assert!(db::is_constraint_violation(&err), "{err}");
    let backwards = format!(
        "INSERT INTO time_entries (user_id, project_id, start_at, end_at, source, created_at, updated_at)
         VALUES ((SELECT id FROM users WHERE username = 'alice'), {pid}, 200, 200, 'web', 1, 1)"
    );
    assert!(conn.execute_batch(&backwards).is_err(), "CHECK end > start");
}

#[rocket::async_test]
async fn switch_stops_and_starts_at_the_same_instant_or_not_at_all() {
    let (app, tok, pid) = setup().await;
    let other = project(&app, "Support");
    call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &tok,
        Some(json!({ "project_id": pid })),
    )
    .await;
    app.exec("UPDATE time_entries SET start_at = start_at - 600");

    // A switch to an archived project fails as a whole: the first timer keeps running.
    let archived = project(&app, "Old");
    set_archived(
        &app.db.conn().unwrap(),
        &Actor::operator(),
        Kind::Project,
        archived,
        true,
        db::now(),
    )
    .unwrap();
    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/timer/switch",
        &tok,
        Some(json!({ "project_id": archived })),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{body}");
    assert_eq!(body["error"], "project_archived");
    assert_eq!(
        app.sql::<i64>(&format!(
            "SELECT count(*) FROM time_entries WHERE end_at IS NULL AND project_id = {pid}"
        )),
        1
    );

    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/timer/switch",
        &tok,
        Some(json!({ "project_id": other, "notes": "tickets" })),
    )
    .await;
    assert_eq!(status, Status::Ok, "{body}");
    assert_eq!(body["stopped"]["project"], "Website");
    assert_eq!(body["started"]["project"], "Support");
    assert_eq!(body["stopped"]["end"], body["started"]["start"]);
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM time_entries WHERE end_at IS NULL"),
        1
    );
}

#[rocket::async_test]
async fn archived_projects_refuse_new_time_everywhere() {
    let (app, tok, pid) = setup().await;
    set_archived(
        &app.db.conn().unwrap(),
        &Actor::operator(),
        Kind::Project,
        pid,
        true,
        db::now(),
    )
    .unwrap();
    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &tok,
        Some(json!({ "project_id": pid })),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (Status::Conflict, Some("project_archived"))
    );
    let (status, _) = call(
        &app.client,
        "POST",
        "/api/v1/time-entries",
        &tok,
        Some(json!({ "project_id": pid, "start": "2026-01-05T09:00:00Z", "end": "2026-01-05T10:00:00Z" })),
    )
    .await;
    assert_eq!(status, Status::Conflict);
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM time_entries"), 0);
}

#[rocket::async_test]
async fn a_task_of_another_project_is_refused() {
    let (app, tok, pid) = setup().await;
    let other = project(&app, "Other");
    let task = create_task(
        &app.db.conn().unwrap(),
        &Actor::operator(),
        other,
        "Design",
        db::now(),
    )
    .unwrap();
    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &tok,
        Some(json!({ "project_id": pid, "task_id": task.id })),
    )
    .await;
    assert_eq!(status, Status::BadRequest, "{body}");
}

#[rocket::async_test]
async fn bad_input_is_a_400_with_a_clear_message_never_a_500() {
    let (app, tok, pid) = setup().await;
    for (path, body) in [
        ("/api/v1/timer/start", "{not json"),
        ("/api/v1/timer/start", "{}"),
        ("/api/v1/timer/start", r#"{"project_id": "seven"}"#),
        (
            "/api/v1/time-entries",
            &format!(
                r#"{{"project_id": {pid}, "start": "yesterday", "end": "2026-01-01T00:00:00Z"}}"#
            ),
        ),
        (
            "/api/v1/time-entries",
            &format!(
                r#"{{"project_id": {pid}, "start": "2026-01-01T10:00:00Z", "end": "2026-01-01T09:00:00Z"}}"#
            ),
        ),
    ] {
        let res = app
            .client
            .post(path)
            .header(bearer(&tok))
            .body(body)
            .dispatch()
            .await;
        assert_eq!(res.status(), Status::BadRequest, "{path} {body}");
        let v: Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
        assert_eq!(v["error"], "bad_request");
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    let (status, _) = call(
        &app.client,
        "GET",
        "/api/v1/time-entries?from=someday",
        &tok,
        None,
    )
    .await;
    assert_eq!(status, Status::BadRequest);
    let (status, _) = call(
        &app.client,
        "GET",
        "/api/v1/time-entries?project_id=x",
        &tok,
        None,
    )
    .await;
    assert_eq!(status, Status::BadRequest);
    // The edges of i64 and of RFC 3339: answers, never a panic or a 500.
    let (status, _) = call(
        &app.client,
        "GET",
        "/api/v1/time-entries?offset=9223372036854775807&limit=9223372036854775807",
        &tok,
        None,
    )
    .await;
    assert_eq!(status, Status::Ok);
    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/time-entries",
        &tok,
        Some(json!({ "project_id": pid, "start": "9999-12-31T20:00:00Z", "end": "9999-12-31T23:00:00Z", "break_seconds": i64::MAX })),
    )
    .await;
    assert_eq!(status, Status::BadRequest, "{body}");
    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/time-entries",
        &tok,
        Some(json!({ "project_id": pid, "start": "9999-12-31T20:00:00Z", "end": "9999-12-31T23:00:00Z" })),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    let (status, _) = call(&app.client, "GET", "/api/v1/time-entries", &tok, None).await;
    assert_eq!(status, Status::Ok);
    let (status, _) = call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &tok,
        Some(json!({ "project_id": 999 })),
    )
    .await;
    assert_eq!(status, Status::NotFound);
}

#[rocket::async_test]
async fn time_entries_are_created_and_listed_with_the_total_of_the_range() {
    let (app, tok, pid) = setup().await;
    for (start, end) in [
        ("2026-01-05T09:00:00Z", "2026-01-05T10:30:00Z"),
        ("2026-01-06T09:00:00Z", "2026-01-06T09:15:00Z"),
        ("2026-02-01T09:00:00Z", "2026-02-01T17:00:00Z"),
    ] {
        let (status, body) = call(
            &app.client,
            "POST",
            "/api/v1/time-entries",
            &tok,
            Some(json!({ "project_id": pid, "start": start, "end": end, "notes": "x" })),
        )
        .await;
        assert_eq!(status, Status::Created, "{body}");
        assert_eq!(body["source"], "api");
    }
    let (status, body) = call(
        &app.client,
        "GET",
        "/api/v1/time-entries?from=2026-01-01&to=2026-01-31",
        &tok,
        None,
    )
    .await;
    assert_eq!(status, Status::Ok);
    assert_eq!(body["entries"].as_array().unwrap().len(), 2);
    assert_eq!(body["total_seconds"], 5400 + 900);
    let (_, body) = call(
        &app.client,
        "GET",
        &format!("/api/v1/time-entries?project_id={pid}&limit=1"),
        &tok,
        None,
    )
    .await;
    assert_eq!(body["entries"].as_array().unwrap().len(), 1);
    assert_eq!(
        body["total_seconds"],
        5400 + 900 + 8 * 3600,
        "totals cover the whole filtered set"
    );
}

#[rocket::async_test]
async fn only_admins_read_or_book_other_peoples_time_and_create_projects() {
    let (app, tok, pid) = setup().await;
    let admin = app.add_user("boss", None, true);
    let admin_tok = token(&app, admin, &[Scope::Admin]);
    let (status, _) = call(
        &app.client,
        "GET",
        "/api/v1/time-entries?user=boss",
        &tok,
        None,
    )
    .await;
    assert_eq!(status, Status::Forbidden);
    let (status, _) = call(
        &app.client,
        "POST",
        "/api/v1/projects",
        &tok,
        Some(json!({ "name": "X" })),
    )
    .await;
    assert_eq!(status, Status::Forbidden);

    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/projects",
        &admin_tok,
        Some(json!({ "name": "Intranet" })),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    assert!(body["id"].as_i64().is_some());
    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/projects",
        &admin_tok,
        Some(json!({ "name": "intranet" })),
    )
    .await;
    assert_eq!(status, Status::Conflict, "{body}");

    let (status, body) = call(&app.client, "POST", "/api/v1/time-entries", &admin_tok, Some(json!({ "project_id": pid, "user": "alice", "start": "2026-03-02T08:00:00Z", "end": "2026-03-02T09:00:00Z" }))).await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(body["username"], "alice");
    let (_, body) = call(&app.client, "GET", "/api/v1/projects", &tok, None).await;
    assert_eq!(body["projects"].as_array().unwrap().len(), 2);
}

#[rocket::async_test]
async fn a_cookie_session_needs_the_csrf_header_to_write() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    let pid = project(&app, "Website");
    app.login("alice", Some(PASSWORD)).await;
    let (status, _) = me(&app.client).await;
    assert_eq!(status, Status::Ok);
    let body = json!({ "project_id": pid }).to_string();
    let res = app
        .client
        .post("/api/v1/timer/start")
        .body(body.clone())
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    let (_, html) = app.get_html("/profile").await;
    let csrf = csrf_of(&html);
    let res = app
        .client
        .post("/api/v1/timer/start")
        .header(Header::new("X-CSRF-Token", csrf))
        .body(body)
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Created);
}

#[rocket::async_test]
async fn a_booked_entry_overlapping_the_running_timer_is_flagged() {
    let (app, tok, pid) = setup().await;
    let (_, running) = call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &tok,
        Some(json!({ "project_id": pid })),
    )
    .await;
    let now = chrono::Utc::now();
    let start = (now - chrono::Duration::minutes(30)).to_rfc3339();
    let end = (now + chrono::Duration::minutes(5)).to_rfc3339();
    let (status, body) = call(
        &app.client,
        "POST",
        "/api/v1/time-entries",
        &tok,
        Some(json!({ "project_id": pid, "start": start, "end": end })),
    )
    .await;
    assert_eq!(status, Status::Created, "{body}");
    assert_eq!(body["overlaps"], json!([running["id"]]));
    let old = "2020-01-01T09:00:00Z";
    let (_, body) = call(
        &app.client,
        "POST",
        "/api/v1/time-entries",
        &tok,
        Some(json!({ "project_id": pid, "start": old, "end": "2020-01-01T10:00:00Z" })),
    )
    .await;
    assert_eq!(
        body["overlaps"],
        json!([]),
        "the running timer started long after"
    );
}

async fn scrape(client: &Client, tok: Option<&str>) -> (Status, Option<String>, String) {
    let mut req = client.get("/metrics");
    if let Some(t) = tok {
        req = req.header(bearer(t));
    }
    let res = req.dispatch().await;
    let kind = res.content_type().map(|c| c.to_string());
    (
        res.status(),
        kind,
        res.into_string().await.unwrap_or_default(),
    )
}

#[rocket::async_test]
async fn metrics_are_for_administrators_and_count_what_happened() {
    let (app, tok, pid) = setup().await;
    let admin = app.add_user("boss", None, true);
    // Read scope is enough: a scraper's token need not be able to change anything.
    let scraper = token(&app, admin, &[Scope::Read]);

    let (status, _, _) = scrape(&app.client, None).await;
    assert_eq!(
        status,
        Status::Unauthorized,
        "a scraper gets 401, not a login redirect"
    );
    let (status, _, _) = scrape(&app.client, Some(&tok)).await;
    assert_eq!(status, Status::Forbidden);

    for _ in 0..2 {
        let (status, _) = call(&app.client, "GET", "/api/v1/timer", &tok, None).await;
        assert_eq!(status, Status::Ok);
    }
    let (status, _) = call(
        &app.client,
        "POST",
        "/api/v1/timer/start",
        &tok,
        Some(json!({ "project_id": pid })),
    )
    .await;
    assert_eq!(status, Status::Created);

    app.login("boss", Some("not the password")).await;

    let (status, kind, text) = scrape(&app.client, Some(&scraper)).await;
    assert_eq!(status, Status::Ok, "{text}");
    assert!(kind.unwrap_or_default().starts_with("text/plain"));
    for line in [
        "timetracker_http_requests_total{route=\"/api/v1/timer\",method=\"GET\",status=\"200\"} 2",
        "timetracker_http_requests_total{route=\"/api/v1/timer/start\",method=\"POST\",status=\"201\"} 1",
        "timetracker_http_request_duration_seconds_count{route=\"/api/v1/timer\",method=\"GET\"} 2",
        "timetracker_timers_running 1",
        "timetracker_users{state=\"active\"} 2",
        "timetracker_schema_version ",
        "timetracker_build_info{version=\"",
        "timetracker_sign_ins_total{method=\"local\",result=\"ok\"} ",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    let invalid: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("timetracker_sign_ins_total{method=\"local\",result=\"invalid\"} ")
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(invalid >= 1, "the failed sign-in was counted\n{text}");
    // The refused scrapes above were counted too, under the metrics route.
    assert!(text.contains(
        "timetracker_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"403\"} 1"
    ));
}

#[rocket::async_test]
async fn api_writes_are_audited_with_the_callers_address() {
    let (app, tok, pid) = setup().await;
    let res = app
        .client
        .post("/api/v1/time-entries")
        .remote(remote("203.0.113.7"))
        .header(bearer(&tok))
        .header(ContentType::JSON)
        .body(
            json!({ "project_id": pid, "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z" })
                .to_string(),
        )
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Created);
    let ip: String = app.sql(
        "SELECT client_ip FROM audit_log WHERE action = 'entry.create' ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(ip, "203.0.113.7");
}
