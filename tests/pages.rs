//! First-run setup, one-time set-password links, health probes and HTTP hygiene.

mod common;

use common::*;
use rocket::http::Status;
use timetracker::auth::setup;
use timetracker::db;

fn setup_token(app: &TestApp) -> String {
    let conn = app.db.conn().unwrap();
    setup::issue_setup_token(&conn, db::now())
        .unwrap()
        .expect("no admin yet")
}

#[rocket::async_test]
async fn first_admin_is_created_once_through_the_setup_link() {
    let app = TestApp::new(&[]).await;
    let token = setup_token(&app);
    let page = format!("/setup?token={token}");
    let (status, html) = app.get_html(&page).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Create the administrator"));

    let fields = [
        ("token", token.as_str()),
        ("username", "Boss"),
        ("password", "boss-password"),
        ("password_confirm", "boss-password"),
    ];
    let res = post_form(&app.client, &page, "/setup", &fields).await;
    assert_eq!(res.status(), Status::SeeOther);
    drop(res);
    let (_, me) = me(&app.client).await;
    assert_eq!(me["username"], "boss");
    assert_eq!(me["is_admin"], true);

    // The link is spent and setup is closed for everybody.
    let other = app.second_browser().await;
    let (status, _) = get_html(&other, &page).await;
    assert_eq!(status, Status::Gone);
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM users WHERE is_admin = 1"),
        1
    );
}

#[rocket::async_test]
async fn w19_setup_without_a_valid_token_is_refused() {
    let app = TestApp::new(&[]).await;
    let _real = setup_token(&app);
    for page in ["/setup", "/setup?token=guessed"] {
        let (status, html) = app.get_html(page).await;
        assert_eq!(status, Status::Forbidden, "{page}");
        assert!(html.contains("invalid"));
    }
    let (_, html) = app.get_html("/login").await;
    let token = csrf_of(&html);
    let res = app
        .client
        .post("/setup")
        .header(rocket::http::ContentType::Form)
        .body(form(&[
            ("token", "guessed"),
            ("username", "mallory"),
            ("password", "mallory-pass"),
            ("password_confirm", "mallory-pass"),
            ("csrf_token", &token),
        ]))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM users"), 0);
}

#[rocket::async_test]
async fn setup_link_expires_after_an_hour() {
    let app = TestApp::new(&[]).await;
    let token = setup_token(&app);
    app.exec("UPDATE one_time_tokens SET expires_at = strftime('%s','now') - 1");
    assert_eq!(
        app.get_html(&format!("/setup?token={token}")).await.0,
        Status::Forbidden
    );
}

#[rocket::async_test]
async fn setup_rejects_mismatched_or_short_passwords_and_keeps_the_link() {
    let app = TestApp::new(&[]).await;
    let token = setup_token(&app);
    let page = format!("/setup?token={token}");
    let res = post_form(
        &app.client,
        &page,
        "/setup",
        &[
            ("token", &token),
            ("username", "boss"),
            ("password", "boss-password"),
            ("password_confirm", "other-password"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::BadRequest);
    assert!(res.into_string().await.unwrap().contains("do not match"));
    assert_eq!(
        app.get_html(&page).await.0,
        Status::Ok,
        "the link still works"
    );
}

#[rocket::async_test]
async fn no_passwordless_default_admin_exists_after_first_start() {
    let app = TestApp::new(&[]).await;
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM users"), 0);
}

#[rocket::async_test]
async fn w9_set_password_links_are_random_hashed_and_single_use() {
    let app = TestApp::new(&[]).await;
    let uid = app.add_user("alice", None, false);
    let token = setup::issue_reset_token(&app.db.conn().unwrap(), uid, db::now()).unwrap();
    let stored: String = app.sql("SELECT token_hash FROM one_time_tokens");
    assert!(!stored.contains(&token), "only a hash is stored");
    assert!(!app
        .sql::<String>("SELECT token_hash FROM one_time_tokens")
        .contains("argon2"));

    let page = format!("/reset-password?token={token}");
    let (status, html) = app.get_html(&page).await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Set a password for alice"));
    let fields = [
        ("token", token.as_str()),
        ("password", "new-secret-pw"),
        ("password_confirm", "new-secret-pw"),
    ];
    let res = post_form(&app.client, &page, "/reset-password", &fields).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/login?notice=password_set");
    drop(res);
    assert_eq!(
        app.login("alice", Some("new-secret-pw")).await.status(),
        Status::SeeOther
    );

    let other = app.second_browser().await;
    assert_eq!(
        get_html(&other, &page).await.0,
        Status::Forbidden,
        "used links are dead"
    );
}

#[rocket::async_test]
async fn healthz_and_readyz_answer() {
    let app = TestApp::new(&[]).await;
    assert_eq!(
        app.client.get("/healthz").dispatch().await.status(),
        Status::Ok
    );
    let res = app.client.get("/readyz").dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert!(res.into_string().await.unwrap().contains("\"ready\""));
}

#[rocket::async_test]
async fn pages_carry_security_headers_and_a_csp_without_inline_script() {
    let app = TestApp::new(&[]).await;
    let res = app.client.get("/login").dispatch().await;
    let csp = res
        .headers()
        .get_one("Content-Security-Policy")
        .expect("CSP")
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(
        res.headers().get_one("X-Content-Type-Options"),
        Some("nosniff")
    );
    assert!(res.headers().get_one("Referrer-Policy").is_some());
    assert_eq!(res.headers().get_one("Cache-Control"), Some("no-store"));
    let html = res.into_string().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains(" style=\""),
        "no inline script or style"
    );
}

#[rocket::async_test]
async fn assets_are_embedded_and_cached() {
    let app = TestApp::new(&[]).await;
    let (_, html) = app.get_html("/login").await;
    let href = unescape(&html);
    let start = href.find("/assets/app.css?v=").expect("stylesheet link");
    let url = &href[start..start + href[start..].find('"').unwrap()];
    let res = app.client.get(url.to_string()).dispatch().await;
    assert_eq!(res.status(), Status::Ok);
    assert_eq!(res.content_type(), Some(rocket::http::ContentType::CSS));
    assert!(res
        .headers()
        .get_one("Cache-Control")
        .unwrap()
        .contains("immutable"));
    assert_eq!(
        app.client
            .get("/assets/../Cargo.toml")
            .dispatch()
            .await
            .status(),
        Status::NotFound
    );
}

#[rocket::async_test]
async fn user_text_is_escaped_in_pages() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.exec("UPDATE users SET full_name = '<script>alert(1)</script>'");
    app.login("alice", Some(PASSWORD)).await;
    let (_, html) = app.get_html("/").await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;"));
}

#[rocket::async_test]
async fn unknown_pages_are_404_pages_and_api_errors_are_json() {
    let app = TestApp::new(&[]).await;
    let (status, html) = app.get_html("/no/such/page").await;
    assert_eq!(status, Status::NotFound);
    assert!(html.contains("nothing at this address"));
    let res = app.client.get("/api/v1/nothing").dispatch().await;
    assert_eq!(res.status(), Status::NotFound);
    assert!(res.into_string().await.unwrap().contains("\"error\""));
}

#[rocket::async_test]
async fn template_overrides_in_the_data_dir_replace_embedded_ones() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/dashboard.html.j2"),
        "{% extends \"base.html\" %}{% block content %}Custom office board \
         {% include \"myfooter.html\" %}{% endblock %}",
    )
    .unwrap();
    // A file with no embedded namesake is a partial that overrides can include.
    std::fs::write(
        dir.path().join("templates/myfooter.html.j2"),
        "Call {{ '<Ops>' }} on 123",
    )
    .unwrap();
    let app = TestApp::on_dir(dir, &[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    let html = app.get_html("/").await.1;
    assert!(html.contains("Custom office board"), "{html}");
    assert!(html.contains("Call &lt;Ops&gt; on 123"), "{html}");
}
