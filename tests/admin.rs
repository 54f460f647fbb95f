//! Projects, reports and the administrator pages: users, working-now board, settings, system.

mod common;

use common::*;
use rocket::http::Status;
use timetracker::db;
use timetracker::tracking::projects::create_project;
use timetracker::tracking::Actor;

async fn admin_app(vars: &[(&str, &str)]) -> (TestApp, i64) {
    let app = TestApp::new(vars).await;
    let uid = app.add_user("root", Some(PASSWORD), true);
    let status = app.login("root", Some(PASSWORD)).await.status();
    assert_eq!(status, Status::SeeOther);
    (app, uid)
}

fn book(app: &TestApp, user_id: i64, project_id: i64, start: i64, secs: i64) {
    app.db
        .conn()
        .unwrap()
        .execute(
            "INSERT INTO time_entries (user_id, project_id, start_at, end_at, source, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, 'manual', 0, 0)",
            rusqlite::params![user_id, project_id, start, start + secs],
        )
        .unwrap();
}

#[rocket::async_test]
async fn normal_users_cannot_reach_admin_pages_or_manage_projects() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    for path in ["/admin", "/admin/users", "/admin/settings", "/admin/system"] {
        assert_eq!(app.get_html(path).await.0, Status::Forbidden, "{path}");
    }
    let res = post_form(&app.client, "/projects", "/projects", &[("name", "Mine")]).await;
    assert_eq!(res.status(), Status::Forbidden);
    let (status, html) = app.get_html("/projects").await;
    assert_eq!(status, Status::Ok);
    assert!(!html.contains("New project"));
}

#[rocket::async_test]
async fn admins_manage_clients_projects_and_tasks_and_archived_projects_refuse_time() {
    let (app, _) = admin_app(&[]).await;
    let res = post_form(&app.client, "/projects", "/clients", &[("name", "Acme")]).await;
    assert_eq!(res.status(), Status::SeeOther);
    let client: i64 = app.sql("SELECT id FROM clients");
    let res = post_form(
        &app.client,
        "/projects",
        "/projects",
        &[
            ("name", "<script>alert(1)</script>"),
            ("client_id", &client.to_string()),
            ("billable", "true"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    let pid: i64 = app.sql("SELECT id FROM projects");
    let res = post_form(
        &app.client,
        "/projects",
        &format!("/projects/{pid}/tasks"),
        &[("name", "Design")],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    let (_, html) = app.get_html("/projects").await;
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            && !html.contains("<script>alert"),
        "names are escaped"
    );
    assert!(html.contains("Design") && html.contains("Acme"));

    let res = post_form(&app.client, "/projects", "/projects", &[("name", "  ")]).await;
    assert_eq!(res.status(), Status::BadRequest);
    let res = post_form(&app.client, "/projects", "/clients", &[("name", "ACME")]).await;
    assert_eq!(
        res.status(),
        Status::Conflict,
        "names are unique regardless of case"
    );

    let res = post_form(
        &app.client,
        "/projects",
        &format!("/projects/{pid}/archive"),
        &[("archived", "true")],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM audit_log WHERE action = 'project.archive'"),
        1
    );
    let res = post_form(
        &app.client,
        "/",
        "/timer/start",
        &[("project_id", &pid.to_string())],
    )
    .await;
    assert_eq!(res.status(), Status::Conflict);
    let html = res.into_string().await.unwrap();
    assert!(html.contains("archived"));
    let res = post_form(
        &app.client,
        "/projects",
        &format!("/projects/{pid}/archive"),
        &[("archived", "false")],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    let res = post_form(
        &app.client,
        "/",
        "/timer/start",
        &[("project_id", &pid.to_string())],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn reports_group_round_chart_and_export() {
    let (app, uid) = admin_app(&[("TZ", "UTC")]).await;
    let bob = app.add_user("bob", None, false);
    let conn = app.db.conn().unwrap();
    let web = create_project(&conn, &Actor::operator(), "Website", None, true, db::now())
        .unwrap()
        .id;
    let ops = create_project(&conn, &Actor::operator(), "Ops", None, true, db::now())
        .unwrap()
        .id;
    drop(conn);
    let day = 1_780_272_000; // 2026-06-01T00:00Z, a Monday
    book(&app, uid, web, day + 3600, 7 * 60 + 30); // 7.5 min
    book(&app, uid, web, day + 7200, 52 * 60); // 52 min
    book(&app, bob, ops, day + 86400, 3600 + 60); // 61 min on Tuesday
    let range = "preset=custom&from=2026-06-01&to=2026-06-07";

    let (status, html) = app
        .get_html(&format!("/reports?{range}&group=project"))
        .await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("<svg") && html.contains("class=\"chart-bar\""),
        "server-side chart"
    );
    assert!(
        html.contains("<strong id=\"total-hours\">2.01</strong>"),
        "{html}"
    );
    assert!(html.contains("<span id=\"rounding\">none</span>"));

    for (minutes, mode, expected) in [
        ("15", "nearest", "2.00"),
        ("15", "up", "2.50"),
        ("15", "down", "1.75"),
        ("6", "nearest", "2.00"),
    ] {
        app.exec(&format!(
            "INSERT INTO settings (key, value, updated_at) VALUES ('rounding_minutes', '{minutes}', 0), ('rounding_mode', '{mode}', 0)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value"
        ));
        let (_, html) = app.get_html(&format!("/reports?{range}&group=user")).await;
        assert!(
            html.contains(&format!("<strong id=\"rounded-hours\">{expected}</strong>")),
            "{minutes} {mode}: {html}"
        );
        assert!(
            html.contains("<strong id=\"total-hours\">2.01</strong>"),
            "raw seconds are kept"
        );
    }
    assert_eq!(
        app.sql::<i64>("SELECT sum(end_at - start_at) FROM time_entries"),
        450 + 3120 + 3660
    );

    let (_, html) = app.get_html(&format!("/reports?{range}&group=day")).await;
    assert!(html.contains("Mon 2026-06-01") && html.contains("Tue 2026-06-02"));
    let (_, html) = app.get_html(&format!("/reports?{range}&group=week")).await;
    assert!(html.contains("Week of 2026-06-01"));
    let (_, html) = app
        .get_html(&format!("/reports?{range}&group=client"))
        .await;
    assert!(html.contains("(no client)"));

    let res = app
        .client
        .get(format!("/reports.csv?{range}&group=project"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    let body = res.into_string().await.unwrap();
    assert!(
        body.starts_with("project,entries,hours,rounded_hours,billable_hours\r\n"),
        "{body}"
    );
    assert!(body.contains("Website,2,0.99,"), "{body}");
    assert!(body.contains("total,3,2.01,"), "{body}");
    let (status, html) = app
        .get_html(&format!("/reports/print?{range}&group=project"))
        .await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Print") && !html.contains("class=\"filters\""));
    assert_eq!(
        app.get_html("/reports?group=colour").await.0,
        Status::BadRequest
    );
}

#[rocket::async_test]
async fn admins_create_users_with_a_one_time_link_and_deactivation_ends_sessions_and_timer() {
    let (app, _) = admin_app(&[]).await;
    let res = post_form(
        &app.client,
        "/admin/users",
        "/admin/users",
        &[("username", " Carol "), ("full_name", "Carol C")],
    )
    .await;
    assert_eq!(res.status(), Status::Ok);
    let html = unescape(&res.into_string().await.unwrap());
    assert!(
        html.contains("/reset-password?token="),
        "a one-time link is shown"
    );
    assert_eq!(
        app.sql::<i64>(
            "SELECT count(*) FROM users WHERE username = 'carol' AND password_hash IS NULL"
        ),
        1
    );
    let res = post_form(
        &app.client,
        "/admin/users",
        "/admin/users",
        &[("username", "carol")],
    )
    .await;
    assert_eq!(res.status(), Status::Conflict);

    // Alice is signed in elsewhere with a running timer.
    let alice = app.add_user("alice", Some(PASSWORD), false);
    let pid = create_project(
        &app.db.conn().unwrap(),
        &Actor::operator(),
        "Website",
        None,
        true,
        db::now(),
    )
    .unwrap()
    .id;
    let other = app.second_browser().await;
    login_with(&other, "alice", Some(PASSWORD), None).await;
    post_form(
        &other,
        "/",
        "/timer/start",
        &[("project_id", &pid.to_string())],
    )
    .await;
    let (_, html) = app.get_html("/admin").await;
    assert!(
        html.contains("alice") && html.contains("Website"),
        "who is working now"
    );

    let res = post_form(
        &app.client,
        "/admin/users",
        &format!("/admin/users/{alice}/deactivate"),
        &[],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM time_entries WHERE end_at IS NULL"),
        0,
        "timer stopped"
    );
    assert_eq!(
        app.sql::<i64>(&format!(
            "SELECT count(*) FROM sessions WHERE user_id = {alice}"
        )),
        0
    );
    assert_eq!(me(&other).await.0, Status::Unauthorized);
    let detail: String =
        app.sql("SELECT detail FROM audit_log WHERE action = 'admin.user.deactivate'");
    assert!(detail.contains("stopped_entry"), "{detail}");

    let res = post_form(
        &app.client,
        "/admin/users",
        &format!("/admin/users/{alice}/reset-password"),
        &[],
    )
    .await;
    assert_eq!(
        res.status(),
        Status::BadRequest,
        "no link for a deactivated account"
    );
    let res = post_form(
        &app.client,
        "/admin/users",
        &format!("/admin/users/{alice}/activate"),
        &[],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    let res = post_form(
        &app.client,
        "/admin/users",
        &format!("/admin/users/{alice}/role"),
        &[("admin", "true")],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.sql::<i64>(&format!("SELECT is_admin FROM users WHERE id = {alice}")),
        1
    );
    let res = post_form(
        &app.client,
        "/admin/users",
        &format!("/admin/users/{alice}/reset-password"),
        &[],
    )
    .await;
    assert_eq!(res.status(), Status::Ok);

    let me_id: i64 = app.sql("SELECT id FROM users WHERE username = 'root'");
    let res = post_form(
        &app.client,
        "/admin/users",
        &format!("/admin/users/{me_id}/deactivate"),
        &[],
    )
    .await;
    assert_eq!(
        res.status(),
        Status::BadRequest,
        "admins can't lock themselves out"
    );
}

#[rocket::async_test]
async fn admins_stop_other_peoples_timers_and_clear_review_flags() {
    let (app, _) = admin_app(&[]).await;
    let alice = app.add_user("alice", None, false);
    let pid = create_project(
        &app.db.conn().unwrap(),
        &Actor::operator(),
        "Website",
        None,
        true,
        db::now(),
    )
    .unwrap()
    .id;
    app.exec(&format!(
        "INSERT INTO time_entries (user_id, project_id, start_at, source, created_at, updated_at) VALUES ({alice}, {pid}, strftime('%s','now') - 20 * 3600, 'web', 0, 0)"
    ));
    let (_, html) = app.get_html("/admin").await;
    assert!(
        !html.contains("Nothing to review"),
        "the 20 h timer was auto-stopped on the board's read path"
    );
    assert!(html.contains("Nobody has a timer running"));
    let id: i64 = app.sql("SELECT id FROM time_entries");
    let res = post_form(
        &app.client,
        "/admin",
        &format!("/admin/entries/{id}/reviewed"),
        &[],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.sql::<i64>("SELECT needs_review FROM time_entries"), 0);

    app.exec(&format!(
        "INSERT INTO time_entries (user_id, project_id, start_at, source, created_at, updated_at) VALUES ({alice}, {pid}, strftime('%s','now') - 60, 'web', 0, 0)"
    ));
    let res = post_form(
        &app.client,
        "/admin",
        &format!("/admin/users/{alice}/stop-timer"),
        &[],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM time_entries WHERE end_at IS NULL"),
        0
    );
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM audit_log WHERE action = 'timer.stop_for'"),
        1
    );
}

#[rocket::async_test]
async fn settings_are_validated_all_at_once_and_saved_with_an_audit_row() {
    let (app, _) = admin_app(&[("TZ", "Europe/Berlin")]).await;
    let (_, html) = app.get_html("/admin/settings").await;
    assert!(
        unescape(&html).contains("value=\"Europe/Berlin\""),
        "TZ is the default timezone"
    );
    let good = [
        ("organisation_name", "Acme & Co"),
        ("timezone", "America/New_York"),
        ("week_start", "sunday"),
        ("rounding_minutes", "15"),
        ("rounding_mode", "up"),
        ("auto_stop_hours", "10"),
    ];
    let mut bad = good.to_vec();
    bad[1] = ("timezone", "Mars/Olympus");
    bad[5] = ("auto_stop_hours", "1000");
    let res = post_form(&app.client, "/admin/settings", "/admin/settings", &bad).await;
    assert_eq!(res.status(), Status::BadRequest);
    let html = res.into_string().await.unwrap();
    assert!(
        html.contains("not a known timezone") && html.contains("auto-stop hours"),
        "every problem is listed"
    );
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM settings WHERE key = 'organisation_name'"),
        0,
        "nothing saved"
    );

    let res = post_form(&app.client, "/admin/settings", "/admin/settings", &good).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.sql::<String>("SELECT value FROM settings WHERE key = 'timezone'"),
        "America/New_York"
    );
    assert_eq!(
        app.sql::<String>("SELECT value FROM settings WHERE key = 'allow_self_register'"),
        "false",
        "an unticked box turns it off"
    );
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM audit_log WHERE action = 'admin.settings'"),
        1
    );
}

#[rocket::async_test]
async fn the_system_page_shows_the_schema_and_backs_up_on_request() {
    let (app, _) = admin_app(&[]).await;
    let (status, html) = app.get_html("/admin/system").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains(env!("CARGO_PKG_VERSION")));
    assert!(
        html.contains(&format!(
            "<dt>Schema version</dt><dd>{}</dd>",
            timetracker::db::migrate::LATEST
        )),
        "{html}"
    );
    let res = post_form(&app.client, "/admin/system", "/admin/backup", &[]).await;
    assert_eq!(res.status(), Status::Ok);
    let html = unescape(&res.into_string().await.unwrap());
    let start = html.find("<span id=\"backup-path\">").unwrap() + "<span id=\"backup-path\">".len();
    let path = &html[start..start + html[start..].find('<').unwrap()];
    let copy = rusqlite::Connection::open(path).unwrap();
    let users: i64 = copy
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(users, 1);
}

#[rocket::async_test]
async fn admins_book_time_for_someone_else_and_normal_users_cannot() {
    let (app, _) = admin_app(&[("TZ", "UTC")]).await;
    let alice = app.add_user("alice", Some(PASSWORD), false);
    let pid = create_project(
        &app.db.conn().unwrap(),
        &Actor::operator(),
        "Website",
        None,
        true,
        db::now(),
    )
    .unwrap()
    .id;
    let fields = [
        ("user_id", alice.to_string()),
        ("project_id", pid.to_string()),
        ("mode", "range".into()),
        ("start", "2026-06-01T09:00".into()),
        ("end", "2026-06-01T10:00".into()),
        ("billable", "true".into()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = post_form(&app.client, "/entries/new", "/entries", &pairs).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.sql::<i64>(&format!(
            "SELECT count(*) FROM time_entries WHERE user_id = {alice}"
        )),
        1
    );
    let actor: i64 = app.sql("SELECT actor_user_id FROM audit_log WHERE action = 'entry.create'");
    assert_ne!(actor, alice, "the audit row names the admin who booked it");

    let other = app.second_browser().await;
    login_with(&other, "alice", Some(PASSWORD), None).await;
    let root: i64 = app.sql("SELECT id FROM users WHERE username = 'root'");
    let mut pairs = pairs.clone();
    let root_s = root.to_string();
    pairs[0] = ("user_id", &root_s);
    let res = post_form(&other, "/entries/new", "/entries", &pairs).await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(
        app.sql::<i64>(&format!(
            "SELECT count(*) FROM time_entries WHERE user_id = {root}"
        )),
        0
    );
}

#[rocket::async_test]
async fn kiosk_settings_are_on_the_settings_page_and_w19_a_form_without_them_keeps_them() {
    let (app, _) = admin_app(&[]).await;
    let (_, html) = app.get_html("/admin/settings").await;
    assert!(
        html.contains("name=\"kiosk_enabled\"") && html.contains("name=\"kiosk_idle_seconds\"")
    );
    let base = [
        ("organisation_name", "Acme"),
        ("timezone", "UTC"),
        ("week_start", "monday"),
        ("rounding_minutes", "0"),
        ("rounding_mode", "nearest"),
        ("auto_stop_hours", "12"),
    ];
    let mut with_kiosk = base.to_vec();
    with_kiosk.extend([
        ("kiosk_section", "true"),
        ("kiosk_enabled", "true"),
        ("kiosk_idle_seconds", "5"),
        ("kiosk_auth", "pin"),
    ]);
    let res = post_form(
        &app.client,
        "/admin/settings",
        "/admin/settings",
        &with_kiosk,
    )
    .await;
    assert_eq!(
        res.status(),
        Status::BadRequest,
        "5 s is below the 10 s minimum"
    );
    drop(res);
    with_kiosk[8] = ("kiosk_idle_seconds", "45");
    let res = post_form(
        &app.client,
        "/admin/settings",
        "/admin/settings",
        &with_kiosk,
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    drop(res);
    assert_eq!(
        app.sql::<String>("SELECT value FROM settings WHERE key = 'kiosk.enabled'"),
        "true"
    );
    assert_eq!(
        app.sql::<String>("SELECT value FROM settings WHERE key = 'kiosk.auth'"),
        "pin"
    );
    let res = post_form(&app.client, "/admin/settings", "/admin/settings", &base).await;
    assert_eq!(res.status(), Status::SeeOther);
    drop(res);
    assert_eq!(
        app.sql::<String>("SELECT value FROM settings WHERE key = 'kiosk.enabled'"),
        "true",
        "not reset"
    );
    assert_eq!(
        app.sql::<String>("SELECT value FROM settings WHERE key = 'kiosk.idle_seconds'"),
        "45"
    );
}
