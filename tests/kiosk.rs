//! The kiosk: enabling, identification per mode, the scoped short-lived session, timer
//! actions through the shared timer service, and the W1/W11/W12 weaknesses.

mod common;

use common::*;
use rocket::http::{ContentType, Status};
use rocket::local::asynchronous::Client;
use timetracker::db;
use timetracker::kiosk::credentials::{badge_digest, normalize_badge};
use timetracker::tracking::projects::create_project;
use timetracker::tracking::Actor;

const PIN: &str = "4821";
const BADGE: &str = "0042137";

async fn kiosk_app(vars: &[(&str, &str)]) -> TestApp {
    let app = TestApp::new(vars).await;
    app.exec("INSERT INTO settings (key, value, updated_at) VALUES ('kiosk.enabled', 'true', 0), ('organisation_name', 'Workshop Ltd', 0)");
    app
}

fn project(app: &TestApp, name: &str) -> i64 {
    create_project(
        &app.db.conn().unwrap(),
        &Actor::operator(),
        name,
        None,
        true,
        db::now(),
    )
    .unwrap()
    .id
}

fn with_pin(app: &TestApp, name: &str, admin: bool) -> i64 {
    let id = app.add_user(name, Some(PASSWORD), admin);
    let hash = timetracker::auth::password::hash_sync(PIN).unwrap();
    timetracker::db::users::set_pin_hash(&app.db.conn().unwrap(), id, Some(&hash)).unwrap();
    id
}

fn with_badge(app: &TestApp, id: i64, code: &str) {
    let secret = app.config.secret_key.as_ref().unwrap().expose().to_string();
    let digest = badge_digest(&secret, &normalize_badge(code).unwrap());
    timetracker::db::users::set_badge_hash(&app.db.conn().unwrap(), id, Some(&digest)).unwrap();
}

async fn identify<'c>(
    client: &'c Client,
    fields: &[(&str, &str)],
) -> rocket::local::asynchronous::LocalResponse<'c> {
    post_form(client, "/kiosk", "/kiosk/identify", fields).await
}

/// POSTs a kiosk action with the CSRF token of the person's screen.
async fn act<'c>(
    client: &'c Client,
    fields: &[(&str, &str)],
) -> rocket::local::asynchronous::LocalResponse<'c> {
    post_form(client, "/kiosk/home", "/kiosk/action", fields).await
}

#[rocket::async_test]
async fn kiosk_says_it_is_off_until_an_admin_enables_it() {
    let app = TestApp::new(&[]).await;
    let (status, html) = app.get_html("/kiosk").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("The kiosk is off"));
    assert!(!html.contains("name=\"username\""));
    app.exec("INSERT INTO settings (key, value, updated_at) VALUES ('kiosk.enabled', 'true', 0)");
    let (_, html) = app.get_html("/kiosk").await;
    assert!(html.contains("name=\"csrf_token\"") && html.contains("/kiosk/identify"));
}

#[rocket::async_test]
async fn pin_identifies_and_opens_the_persons_screen() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    project(&app, "Workshop");
    let res = identify(&app.client, &[("username", " Alice "), ("pin", PIN)]).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/kiosk/home");
    let cookie = res
        .headers()
        .get("Set-Cookie")
        .find(|c| c.starts_with("tt_kiosk="))
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("Path=/kiosk") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    drop(res);
    let (status, html) = app.get_html("/kiosk/home").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Hello, alice") && html.contains("Workshop"));
}

#[rocket::async_test]
async fn wrong_pin_is_refused_generically_and_throttled_per_person() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    let res = identify(&app.client, &[("username", "alice"), ("pin", "0000")]).await;
    assert_eq!(res.status(), Status::Unauthorized);
    let wrong = res.into_string().await.unwrap();
    let res = identify(&app.client, &[("username", "nobody"), ("pin", "0000")]).await;
    let unknown = res.into_string().await.unwrap();
    assert!(wrong.contains("Not recognised") && unknown.contains("Not recognised"));
    for _ in 0..4 {
        identify(&app.client, &[("username", "alice"), ("pin", "1111")]).await;
    }
    let res = identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    assert_eq!(
        res.status(),
        Status::TooManyRequests,
        "throttled even with the right PIN"
    );
    assert!(
        app.sql::<i64>("SELECT count(*) FROM login_throttle WHERE key LIKE 'kiosk-terminal:%'")
            == 1
    );
}

#[rocket::async_test]
async fn a_pin_always_needs_a_username() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    let res = identify(&app.client, &[("pin", PIN)]).await;
    assert_eq!(res.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn badge_scan_identifies_without_a_username() {
    let app = kiosk_app(&[]).await;
    let id = with_pin(&app, "bob", false);
    with_badge(&app, id, BADGE);
    let res = identify(&app.client, &[("badge", "0042137\n")]).await;
    assert_eq!(res.status(), Status::SeeOther);
    drop(res);
    assert!(app.get_html("/kiosk/home").await.1.contains("Hello, bob"));
    let stored: String = app.sql("SELECT badge_hash FROM users WHERE username = 'bob'");
    assert!(!stored.contains(BADGE), "only a keyed hash is stored");
    let other = app.second_browser().await;
    assert_eq!(
        identify(&other, &[("badge", "9999999")]).await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn w1_a_username_alone_never_opens_the_kiosk_in_oidc_or_local_mode() {
    let oidc = [
        ("AUTH_METHOD", "oidc"),
        ("OIDC_ISSUER", "http://127.0.0.1:1"),
        ("OIDC_CLIENT_ID", "x"),
        ("OIDC_CLIENT_SECRET", "y"),
        (
            "OIDC_REDIRECT_URI",
            "http://127.0.0.1:8000/auth/oidc/callback",
        ),
        ("OIDC_METADATA_RETRY_ATTEMPTS", "1"),
        ("OIDC_METADATA_REFRESH_INTERVAL", "0"),
    ];
    for vars in [&oidc[..], &[("AUTH_METHOD", "local")][..]] {
        let app = kiosk_app(vars).await;
        app.add_user("admin", Some(PASSWORD), true);
        let res = identify(&app.client, &[("username", "admin")]).await;
        assert_eq!(res.status(), Status::BadRequest, "{vars:?}");
        assert_eq!(
            app.client.get("/kiosk/home").dispatch().await.status(),
            Status::SeeOther
        );
        assert_eq!(app.sql::<i64>("SELECT count(*) FROM sessions"), 0);
    }
}

#[rocket::async_test]
async fn w1_in_oidc_mode_a_password_is_not_a_kiosk_credential_but_a_pin_is() {
    let app = kiosk_app(&[
        ("AUTH_METHOD", "oidc"),
        ("OIDC_ISSUER", "http://127.0.0.1:1"),
        ("OIDC_CLIENT_ID", "x"),
        ("OIDC_CLIENT_SECRET", "y"),
        (
            "OIDC_REDIRECT_URI",
            "http://127.0.0.1:8000/auth/oidc/callback",
        ),
        ("OIDC_METADATA_RETRY_ATTEMPTS", "1"),
        ("OIDC_METADATA_REFRESH_INTERVAL", "0"),
    ])
    .await;
    with_pin(&app, "carol", false);
    let (_, html) = app.get_html("/kiosk").await;
    assert!(html.contains("name=\"pin\"") && !html.contains("name=\"password\""));
    assert_eq!(
        identify(
            &app.client,
            &[("username", "carol"), ("password", PASSWORD)]
        )
        .await
        .status(),
        Status::BadRequest
    );
    assert_eq!(
        identify(&app.client, &[("username", "carol"), ("pin", PIN)])
            .await
            .status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn none_mode_identifies_by_username_and_local_mode_by_password() {
    let app = kiosk_app(&[("AUTH_METHOD", "none")]).await;
    app.add_user("dave", None, false);
    assert_eq!(
        identify(&app.client, &[("username", "dave")])
            .await
            .status(),
        Status::SeeOther
    );
    let app = kiosk_app(&[]).await;
    app.add_user("erin", Some(PASSWORD), false);
    assert_eq!(
        identify(&app.client, &[("username", "erin"), ("password", PASSWORD)])
            .await
            .status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn w1_the_kiosk_session_opens_nothing_but_the_kiosk() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "admin", true);
    identify(&app.client, &[("username", "admin"), ("pin", PIN)]).await;
    assert_eq!(
        app.client.get("/kiosk/home").dispatch().await.status(),
        Status::Ok
    );
    for path in [
        "/",
        "/profile",
        "/admin/oidc",
        "/api/v1/me",
        "/api/v1/timer",
        "/api/v1/projects",
    ] {
        let status = app.client.get(path).dispatch().await.status();
        assert_eq!(status, Status::Forbidden, "{path}");
    }
    // Its session id used as a normal session cookie opens nothing either.
    let kiosk_cookie = app
        .client
        .cookies()
        .get("tt_kiosk")
        .unwrap()
        .value()
        .to_string();
    let other = app.second_browser().await;
    let res = other
        .get("/api/v1/me")
        .cookie(("tt_session", kiosk_cookie))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn a_normal_session_in_the_same_browser_is_unaffected() {
    let app = kiosk_app(&[]).await;
    app.add_user("manager", Some(PASSWORD), false);
    with_pin(&app, "worker", false);
    app.login("manager", Some(PASSWORD)).await;
    identify(&app.client, &[("username", "worker"), ("pin", PIN)]).await;
    assert!(app
        .get_html("/kiosk/home")
        .await
        .1
        .contains("Hello, worker"));
    let (_, me) = me(&app.client).await;
    assert_eq!(me["username"], "manager");
}

#[rocket::async_test]
async fn start_uses_the_timer_service_with_source_kiosk_and_ends_the_session() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    let pid = project(&app, "Assembly");
    identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    let res = act(
        &app.client,
        &[("project_id", &pid.to_string()), ("note", "line 2")],
    )
    .await;
    assert_eq!(res.status(), Status::Ok);
    let html = res.into_string().await.unwrap();
    assert!(html.contains("Started Assembly.") && html.contains("http-equiv=\"refresh\""));
    assert_eq!(
        app.sql::<String>("SELECT source || ':' || notes FROM time_entries WHERE end_at IS NULL"),
        "kiosk:line 2"
    );
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM sessions"),
        0,
        "the session ended after the action"
    );
    assert_eq!(
        app.client.get("/kiosk/home").dispatch().await.status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn w11_kiosk_stop_records_a_real_duration() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    let pid = project(&app, "Assembly");
    identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    act(
        &app.client,
        &[("project_id", &pid.to_string()), ("stay", "true")],
    )
    .await;
    app.exec("UPDATE time_entries SET start_at = start_at - 5400");
    let res = act(&app.client, &[("action", "stop")]).await;
    assert_eq!(res.status(), Status::Ok);
    assert!(res
        .into_string()
        .await
        .unwrap()
        .contains("Stopped Assembly after 1:30."));
    let secs: i64 = app.sql("SELECT end_at - start_at - break_seconds FROM time_entries");
    assert!((5400..5410).contains(&secs), "{secs}");
}

#[rocket::async_test]
async fn switch_pause_and_resume_from_the_kiosk() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    let a = project(&app, "Assembly");
    let b = project(&app, "Packing");
    identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    let res = act(
        &app.client,
        &[("project_id", &a.to_string()), ("stay", "true")],
    )
    .await;
    assert_eq!(location(&res), "/kiosk/home?notice=started");
    drop(res);
    let res = act(
        &app.client,
        &[("project_id", &b.to_string()), ("stay", "true")],
    )
    .await;
    assert_eq!(location(&res), "/kiosk/home?notice=switched");
    drop(res);
    assert_eq!(app.sql::<String>("SELECT p.name FROM time_entries e JOIN projects p ON p.id = e.project_id WHERE e.end_at IS NULL"), "Packing");
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM time_entries"), 2);
    assert_eq!(
        location(&act(&app.client, &[("action", "pause"), ("stay", "true")]).await),
        "/kiosk/home?notice=paused"
    );
    assert!(app.get_html("/kiosk/home").await.1.contains("Resume"));
    assert_eq!(
        location(&act(&app.client, &[("action", "resume"), ("stay", "true")]).await),
        "/kiosk/home?notice=resumed"
    );
}

#[rocket::async_test]
async fn tiles_show_the_most_recent_projects_first() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    project(&app, "Alpha");
    let z = project(&app, "Zulu");
    identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    act(
        &app.client,
        &[("project_id", &z.to_string()), ("stay", "true")],
    )
    .await;
    let html = app.get_html("/kiosk/home").await.1;
    let tiles = &html[html.find("k-tiles").unwrap()..];
    assert!(tiles.find("Zulu").unwrap() < tiles.find("Alpha").unwrap());
}

#[rocket::async_test]
async fn w11_the_kiosk_session_ends_on_the_server_after_the_idle_time() {
    let app = kiosk_app(&[]).await;
    app.exec(
        "INSERT INTO settings (key, value, updated_at) VALUES ('kiosk.idle_seconds', '30', 0)",
    );
    with_pin(&app, "alice", false);
    identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    assert_eq!(
        app.client.get("/kiosk/home").dispatch().await.status(),
        Status::Ok
    );
    app.exec("UPDATE sessions SET last_seen_at = last_seen_at - 31");
    assert_eq!(
        app.client.get("/kiosk/home").dispatch().await.status(),
        Status::SeeOther
    );
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM sessions"), 0);
}

#[rocket::async_test]
async fn w11_the_kiosk_csrf_token_does_not_expire_during_the_session() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    let pid = project(&app, "Assembly");
    identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    let (_, html) = app.get_html("/kiosk/home").await;
    let token = csrf_of(&html);
    // Hours later the page is still open; activity kept the session alive.
    app.exec("UPDATE sessions SET created_at = created_at - 7200");
    let res = app
        .client
        .post("/kiosk/action")
        .header(ContentType::Form)
        .body(form(&[
            ("csrf_token", &token),
            ("project_id", &pid.to_string()),
            ("stay", "true"),
        ]))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::SeeOther);
    let res = app
        .client
        .post("/kiosk/action")
        .header(ContentType::Form)
        .body(form(&[("csrf_token", "forged"), ("action", "stop")]))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
}

#[rocket::async_test]
async fn w12_project_names_are_escaped_on_kiosk_screens() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    project(&app, "<img src=x onerror=alert(1)>");
    identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    let (_, html) = app.get_html("/kiosk/home").await;
    assert!(
        !html.contains("<img src=x"),
        "raw markup must not reach the page"
    );
    assert!(html.contains("&lt;img src=x"));
    let js = app
        .client
        .get("/assets/kiosk.js")
        .dispatch()
        .await
        .into_string()
        .await
        .unwrap();
    assert!(
        !js.contains("innerHTML"),
        "kiosk JS uses text-only DOM APIs"
    );
}

#[rocket::async_test]
async fn the_user_list_is_hidden_unless_the_admin_enables_it() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "secretive", false);
    assert!(!app.get_html("/kiosk").await.1.contains("secretive"));
    app.exec(
        "INSERT INTO settings (key, value, updated_at) VALUES ('kiosk.show_user_list', 'true', 0)",
    );
    assert!(app.get_html("/kiosk").await.1.contains("secretive"));
}

#[rocket::async_test]
async fn done_ends_the_kiosk_session() {
    let app = kiosk_app(&[]).await;
    with_pin(&app, "alice", false);
    identify(&app.client, &[("username", "alice"), ("pin", PIN)]).await;
    let res = post_form(&app.client, "/kiosk/home", "/kiosk/logout", &[]).await;
    assert_eq!(location(&res), "/kiosk");
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM sessions"), 0);
}

#[rocket::async_test]
async fn people_set_their_pin_and_badge_on_the_profile_with_their_password() {
    let app = kiosk_app(&[]).await;
    app.add_user("frank", Some(PASSWORD), false);
    app.login("frank", Some(PASSWORD)).await;
    let res = post_form(
        &app.client,
        "/profile",
        "/profile/pin",
        &[
            ("current_password", "wrong"),
            ("pin", "2468"),
            ("pin_confirm", "2468"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::BadRequest);
    drop(res);
    let res = post_form(
        &app.client,
        "/profile",
        "/profile/pin",
        &[
            ("current_password", PASSWORD),
            ("pin", "12a4"),
            ("pin_confirm", "12a4"),
        ],
    )
    .await;
    assert!(res.into_string().await.unwrap().contains("4 to 8 digits"));
    let res = post_form(
        &app.client,
        "/profile",
        "/profile/pin",
        &[
            ("current_password", PASSWORD),
            ("pin", "2468"),
            ("pin_confirm", "2468"),
        ],
    )
    .await;
    assert_eq!(location(&res), "/profile?notice=pin_set");
    drop(res);
    let res = post_form(
        &app.client,
        "/profile",
        "/profile/badge",
        &[("current_password", PASSWORD), ("badge", "BADGE-77")],
    )
    .await;
    assert_eq!(location(&res), "/profile?notice=badge_set");
    drop(res);
    let terminal = app.second_browser().await;
    assert_eq!(
        identify(&terminal, &[("username", "frank"), ("pin", "2468")])
            .await
            .status(),
        Status::SeeOther
    );
    let terminal = app.second_browser().await;
    assert_eq!(
        identify(&terminal, &[("badge", "BADGE-77")]).await.status(),
        Status::SeeOther
    );

    // A badge is unique per person.
    app.add_user("gina", Some(PASSWORD), false);
    let gina = app.second_browser().await;
    login_with(&gina, "gina", Some(PASSWORD), None).await;
    let res = post_form(
        &gina,
        "/profile",
        "/profile/badge",
        &[("current_password", PASSWORD), ("badge", "BADGE-77")],
    )
    .await;
    assert_eq!(res.status(), Status::Conflict);
}

#[rocket::async_test]
async fn an_admin_clears_a_lost_badge_and_pin() {
    let app = kiosk_app(&[]).await;
    let id = with_pin(&app, "lost", false);
    with_badge(&app, id, BADGE);
    app.add_user("boss", Some(PASSWORD), true);
    app.login("boss", Some(PASSWORD)).await;
    let res = post_form(
        &app.client,
        "/admin/users",
        &format!("/admin/users/{id}/clear-kiosk"),
        &[],
    )
    .await;
    assert_eq!(location(&res), "/admin/users?notice=kiosk_cleared");
    drop(res);
    let terminal = app.second_browser().await;
    assert_eq!(
        identify(&terminal, &[("badge", BADGE)]).await.status(),
        Status::Unauthorized
    );
    let terminal = app.second_browser().await;
    assert_eq!(
        identify(&terminal, &[("username", "lost"), ("pin", PIN)])
            .await
            .status(),
        Status::Unauthorized
    );
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM audit_log WHERE action = 'admin.user.clear_kiosk'"),
        1
    );
}
