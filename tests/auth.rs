//! Sign-in, sessions and the weaknesses of the old tool that the foundation closes.

mod common;

use common::*;
use rocket::http::{ContentType, Status};

#[rocket::async_test]
async fn local_login_with_password_redirects_and_opens_a_session() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    let res = app.login("alice", Some(PASSWORD)).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/");
    let cookie = res
        .headers()
        .get("Set-Cookie")
        .find(|c| c.starts_with("tt_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP installs must keep working: {cookie}"
    );
    let (status, me) = me(&app.client).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["auth_provider"], "local");
    assert_eq!(me["is_admin"], false);
}

#[rocket::async_test]
async fn login_page_has_the_form_contract_in_each_mode() {
    for (mode, password, sso) in [("none", false, false), ("local", true, false)] {
        let app = TestApp::new(&[("AUTH_METHOD", mode)]).await;
        let (status, html) = app.get_html("/login").await;
        assert_eq!(status, Status::Ok);
        assert!(html.contains("name=\"username\""), "{mode}");
        assert!(html.contains("name=\"csrf_token\""), "{mode}");
        assert_eq!(html.contains("name=\"password\""), password, "{mode}");
        assert_eq!(html.contains("/login/oidc"), sso, "{mode}");
    }
}

fn sso_vars(mode: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("AUTH_METHOD", mode),
        ("OIDC_ISSUER", "http://127.0.0.1:1/unreachable"),
        ("OIDC_CLIENT_ID", "tt"),
        ("OIDC_CLIENT_SECRET", "s3cret"),
        (
            "OIDC_REDIRECT_URI",
            "http://127.0.0.1:8000/auth/oidc/callback",
        ),
        ("OIDC_METADATA_RETRY_ATTEMPTS", "1"),
        ("OIDC_METADATA_FETCH_TIMEOUT", "1"),
        ("OIDC_METADATA_REFRESH_INTERVAL", "0"),
    ]
}

#[rocket::async_test]
async fn both_mode_shows_the_form_and_an_sso_button() {
    let app = TestApp::new(&sso_vars("both")).await;
    let (_, html) = app.get_html("/login?next=/profile").await;
    let html = unescape(&html);
    assert!(html.contains("name=\"password\""));
    assert!(html.contains("Sign in with SSO"));
    assert!(
        html.contains("href=\"/login/oidc?next=%2Fprofile\""),
        "{html}"
    );
}

#[rocket::async_test]
async fn w7_oidc_mode_login_redirects_to_sso_but_renders_errors_without_a_loop() {
    let app = TestApp::new(&sso_vars("oidc")).await;
    let res = app.client.get("/login?next=/profile").dispatch().await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/login/oidc?next=%2Fprofile");
    let (status, html) = app.get_html("/login?sso_error=discovery_failed").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Try again"));
    assert!(html.contains("cannot be reached"));
    assert!(!html.contains("name=\"password\""));
}

#[rocket::async_test]
async fn none_mode_signs_in_by_username_and_self_registers_new_names() {
    let app = TestApp::new(&[("AUTH_METHOD", "none")]).await;
    let res = app.login("  NewPerson ", None).await;
    assert_eq!(res.status(), Status::SeeOther);
    let (_, me) = me(&app.client).await;
    assert_eq!(
        me["username"], "newperson",
        "usernames are trimmed and lowercased"
    );
    assert_eq!(
        app.sql::<i64>(
            "SELECT count(*) FROM users WHERE username = 'newperson' AND password_hash IS NULL"
        ),
        1
    );
}

#[rocket::async_test]
async fn self_registration_off_refuses_unknown_usernames_generically() {
    for mode in ["none", "local"] {
        let app = TestApp::new(&[("AUTH_METHOD", mode), ("ALLOW_SELF_REGISTER", "false")]).await;
        let res = app.login("stranger", Some(PASSWORD)).await;
        assert_eq!(res.status(), Status::Unauthorized, "{mode}");
        let html = res.into_string().await.unwrap();
        assert!(html.contains("Invalid username or password."), "{mode}");
        assert_eq!(app.sql::<i64>("SELECT count(*) FROM users"), 0, "{mode}");
    }
}

#[rocket::async_test]
async fn local_self_registration_needs_a_password_of_eight_characters() {
    let app = TestApp::new(&[]).await;
    let res = app.login("newbie", Some("short")).await;
    assert_eq!(res.status(), Status::BadRequest);
    assert!(res
        .into_string()
        .await
        .unwrap()
        .contains("at least 8 characters"));
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM users"), 0);
    let res = app.login("newbie", Some("long enough pw")).await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(me(&app.client).await.1["username"], "newbie");
}

#[rocket::async_test]
async fn self_registration_setting_is_seeded_once_and_then_the_database_decides() {
    let app = TestApp::new(&[("ALLOW_SELF_REGISTER", "false")]).await;
    app.exec("UPDATE settings SET value = 'true' WHERE key = 'allow_self_register'");
    let app = app.restart(&[("ALLOW_SELF_REGISTER", "false")]).await;
    assert_eq!(
        app.sql::<String>("SELECT value FROM settings WHERE key = 'allow_self_register'"),
        "true"
    );
    assert_eq!(
        app.login("fresh", Some(PASSWORD)).await.status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn w2_passwordless_account_cannot_be_claimed_by_typing_a_password() {
    for mode in ["local", "both"] {
        let vars = if mode == "both" {
            sso_vars("both")
        } else {
            vec![]
        };
        let app = TestApp::new(&vars).await;
        app.add_user("admin", None, true);
        let res = app.login("admin", Some("attacker-chosen-pw")).await;
        assert_eq!(res.status(), Status::Unauthorized, "{mode}");
        assert_eq!(me(&app.client).await.0, Status::Unauthorized, "{mode}");
        assert_eq!(
            app.sql::<i64>(
                "SELECT count(*) FROM users WHERE username = 'admin' AND password_hash IS NULL"
            ),
            1,
            "no password may be set at login ({mode})"
        );
        // And a second try with the same password still fails: nothing was stored.
        assert_eq!(
            app.login("admin", Some("attacker-chosen-pw"))
                .await
                .status(),
            Status::Unauthorized
        );
    }
}

#[rocket::async_test]
async fn w20_login_failure_is_the_same_for_unknown_users_and_wrong_passwords() {
    let app = TestApp::new(&[("ALLOW_SELF_REGISTER", "false")]).await;
    app.add_user("alice", Some(PASSWORD), false);
    let wrong = app.login("alice", Some("wrong-password")).await;
    let (s1, h1) = (wrong.status(), wrong.into_string().await.unwrap());
    let unknown = app.login("nobody", Some("wrong-password")).await;
    let (s2, h2) = (unknown.status(), unknown.into_string().await.unwrap());
    assert_eq!(s1, s2);
    assert!(
        h1.contains("Invalid username or password.")
            && h2.contains("Invalid username or password.")
    );
    assert!(!h2.to_lowercase().contains("not found"));
    assert!(h1.contains("value=\"alice\""), "the typed username is kept");
}

#[rocket::async_test]
async fn login_without_csrf_token_is_refused() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    let res = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body(form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", "forged"),
        ]))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Forbidden);
    assert_eq!(me(&app.client).await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn malformed_login_form_is_a_4xx_not_a_500() {
    let app = TestApp::new(&[]).await;
    let (_, html) = app.get_html("/login").await;
    let token = csrf_of(&html);
    let res = app
        .client
        .post("/login")
        .header(ContentType::Form)
        .body(form(&[("csrf_token", &token)]))
        .dispatch()
        .await;
    assert!(
        res.status().code >= 400 && res.status().code < 500,
        "{}",
        res.status()
    );
}

#[rocket::async_test]
async fn w6_next_is_honoured_only_for_local_paths() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    for evil in [
        "//evil.example/x",
        "/\\evil.example",
        "https://evil.example/",
        "/\t/evil.example",
    ] {
        let res = login_with(&app.client, "alice", Some(PASSWORD), Some(evil)).await;
        assert_eq!(res.status(), Status::SeeOther);
        assert_eq!(location(&res), "/", "{evil:?}");
    }
    let res = login_with(
        &app.client,
        "alice",
        Some(PASSWORD),
        Some("/profile?tab=password"),
    )
    .await;
    assert_eq!(location(&res), "/profile?tab=password");
}

#[rocket::async_test]
async fn w6_unauthorized_pages_redirect_with_a_relative_next_carried_through_the_form() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    let res = app.client.get("/profile").dispatch().await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/login?next=%2Fprofile");
    let html = unescape(&app.get_html("/login?next=%2Fprofile").await.1);
    assert!(html.contains("name=\"next\" value=\"/profile\""), "{html}");
    let (_, html) = app.get_html("/login?next=//evil.example").await;
    assert!(!html.contains("name=\"next\""));
}

#[rocket::async_test]
async fn w5_logout_deletes_the_session_so_a_copied_cookie_is_dead() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    let res = app.login("alice", Some(PASSWORD)).await;
    let stolen = res
        .cookies()
        .get("tt_session")
        .expect("cookie")
        .value()
        .to_string();
    drop(res);
    let (_, html) = app.get_html("/").await;
    let token = csrf_of(&html);
    let res = app
        .client
        .post("/logout")
        .header(ContentType::Form)
        .body(form(&[("csrf_token", &token)]))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM sessions"), 0);
    let other = app.second_browser().await;
    let res = other
        .get("/api/v1/me")
        .cookie(("tt_session", stolen))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Unauthorized);
}

#[rocket::async_test]
async fn get_logout_from_this_site_signs_out() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    let res = app
        .client
        .get("/logout")
        .header(header("Sec-Fetch-Site", "same-origin"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/login?notice=signed_out");
    assert_eq!(me(&app.client).await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn w14_get_logout_started_by_another_site_asks_for_confirmation() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    let res = app
        .client
        .get("/logout")
        .header(header("Sec-Fetch-Site", "cross-site"))
        .dispatch()
        .await;
    assert_eq!(res.status(), Status::Ok);
    assert!(res.into_string().await.unwrap().contains("Sign out?"));
    assert_eq!(me(&app.client).await.0, Status::Ok, "still signed in");
}

#[rocket::async_test]
async fn w5_sessions_expire_on_the_server_after_idle_time_and_absolute_lifetime() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    app.exec("UPDATE sessions SET last_seen_at = last_seen_at - 480 * 60");
    assert_eq!(
        me(&app.client).await.0,
        Status::Unauthorized,
        "idle timeout"
    );
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM sessions"), 0);

    app.login("alice", Some(PASSWORD)).await;
    app.exec("UPDATE sessions SET expires_at = strftime('%s','now') - 1");
    assert_eq!(
        me(&app.client).await.0,
        Status::Unauthorized,
        "absolute lifetime"
    );
}

#[rocket::async_test]
async fn session_id_is_rotated_at_every_login() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    let first = app
        .login("alice", Some(PASSWORD))
        .await
        .cookies()
        .get("tt_session")
        .unwrap()
        .value()
        .to_string();
    let second = app
        .login("alice", Some(PASSWORD))
        .await
        .cookies()
        .get("tt_session")
        .unwrap()
        .value()
        .to_string();
    assert_ne!(first, second);
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM sessions"),
        1,
        "the old session was ended"
    );
    let db_ids: String = app.sql("SELECT id_hash FROM sessions");
    assert_ne!(db_ids, second, "only a hash of the cookie is stored");
}

#[rocket::async_test]
async fn w5_password_change_ends_every_other_session() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    let laptop = app.second_browser().await;
    login_with(&laptop, "alice", Some(PASSWORD), None).await;
    assert_eq!(me(&laptop).await.0, Status::Ok);

    let res = post_form(
        &app.client,
        "/profile",
        "/profile/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a brand new pw"),
            ("new_password_confirm", "a brand new pw"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(location(&res), "/profile?notice=password_changed");
    assert_eq!(
        me(&app.client).await.0,
        Status::Ok,
        "this browser stays signed in"
    );
    assert_eq!(
        me(&laptop).await.0,
        Status::Unauthorized,
        "the other session ended"
    );
    assert_eq!(
        login_with(&laptop, "alice", Some(PASSWORD), None)
            .await
            .status(),
        Status::Unauthorized
    );
    assert_eq!(
        login_with(&laptop, "alice", Some("a brand new pw"), None)
            .await
            .status(),
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn w14_password_change_requires_the_current_password() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    let res = post_form(
        &app.client,
        "/profile",
        "/profile/password",
        &[
            ("current_password", "guess"),
            ("new_password", "hijacked-pw"),
            ("new_password_confirm", "hijacked-pw"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::BadRequest);
    assert!(res
        .into_string()
        .await
        .unwrap()
        .contains("current password is not correct"));
    let other = app.second_browser().await;
    assert_eq!(
        login_with(&other, "alice", Some("hijacked-pw"), None)
            .await
            .status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn passwordless_user_can_set_a_password_while_signed_in() {
    // Signed in another way (SSO in `both`), so the account has a session but no password.
    let app = TestApp::new(&[]).await;
    app.add_user("walkin", Some(PASSWORD), false);
    app.login("walkin", Some(PASSWORD)).await;
    app.exec("UPDATE users SET password_hash = NULL");
    let (_, html) = app.get_html("/profile").await;
    assert!(html.contains("Set a password") && !html.contains("name=\"current_password\""));
    let res = post_form(
        &app.client,
        "/profile",
        "/profile/password",
        &[
            ("new_password", "finally-a-pw"),
            ("new_password_confirm", "finally-a-pw"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'"),
        1
    );
    drop(res);
    let other = app.second_browser().await;
    let res = login_with(&other, "walkin", Some("finally-a-pw"), None).await;
    assert_eq!(res.status(), Status::SeeOther);
}

#[rocket::async_test]
async fn profile_offers_no_password_form_in_modes_without_passwords() {
    let app = TestApp::new(&[("AUTH_METHOD", "none")]).await;
    app.login("walkin", None).await;
    let (_, html) = app.get_html("/profile").await;
    assert!(!html.contains("/profile/password"));
    assert!(
        html.contains("/profile/pin"),
        "the kiosk PIN is still offered"
    );
}

#[rocket::async_test]
async fn banner_prompts_passwordless_users_in_password_modes() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    assert!(!app
        .get_html("/")
        .await
        .1
        .contains("You have no password yet"));
    app.exec("UPDATE users SET password_hash = NULL");
    assert!(app
        .get_html("/")
        .await
        .1
        .contains("You have no password yet"));
}

#[rocket::async_test]
async fn sign_out_everywhere_ends_all_sessions_of_the_user() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.add_user("bob", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    let phone = app.second_browser().await;
    login_with(&phone, "alice", Some(PASSWORD), None).await;
    let bob = app.second_browser().await;
    login_with(&bob, "bob", Some(PASSWORD), None).await;

    let res = post_form(&app.client, "/profile", "/profile/sign-out-everywhere", &[]).await;
    assert_eq!(location(&res), "/login?notice=signed_out_everywhere");
    assert_eq!(me(&app.client).await.0, Status::Unauthorized);
    assert_eq!(me(&phone).await.0, Status::Unauthorized);
    assert_eq!(me(&bob).await.0, Status::Ok, "other users are untouched");
}

#[rocket::async_test]
async fn deactivated_users_lose_their_sessions_and_cannot_sign_in() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    app.exec("UPDATE users SET is_active = 0");
    assert_eq!(me(&app.client).await.0, Status::Unauthorized);
    assert_eq!(
        app.login("alice", Some(PASSWORD)).await.status(),
        Status::Unauthorized
    );
}

#[rocket::async_test]
async fn w10_password_guessing_is_throttled_per_account_and_survives_a_restart() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    for i in 0..5 {
        let res = app
            .client
            .post("/login")
            .remote(remote(&format!("198.51.100.{i}")));
        drop(res);
        let guess = format!("guess-{i}-wrong");
        let r = login_from(&app.client, "alice", &guess, &format!("198.51.100.{i}")).await;
        assert_eq!(r, Status::Unauthorized);
    }
    // From a fresh address, even the right password is refused for now.
    let res = login_from_full(&app.client, "alice", PASSWORD, "198.51.100.77").await;
    assert_eq!(res.0, Status::TooManyRequests);
    assert!(res.1.contains("Try again in"), "{}", res.1);

    let app = app.restart(&[]).await;
    assert_eq!(
        login_from(&app.client, "alice", PASSWORD, "198.51.100.78").await,
        Status::TooManyRequests
    );
    app.exec("UPDATE login_throttle SET locked_until = 0");
    assert_eq!(
        login_from(&app.client, "alice", PASSWORD, "198.51.100.78").await,
        Status::SeeOther
    );
}

async fn login_from_full(
    client: &rocket::local::asynchronous::Client,
    user: &str,
    pw: &str,
    ip: &str,
) -> (Status, String) {
    let (_, html) = get_html(client, "/login").await;
    let token = csrf_of(&html);
    let res = client
        .post("/login")
        .remote(remote(ip))
        .header(ContentType::Form)
        .body(form(&[
            ("username", user),
            ("password", pw),
            ("csrf_token", &token),
        ]))
        .dispatch()
        .await;
    let status = res.status();
    (status, res.into_string().await.unwrap_or_default())
}

async fn login_from(
    client: &rocket::local::asynchronous::Client,
    user: &str,
    pw: &str,
    ip: &str,
) -> Status {
    login_from_full(client, user, pw, ip).await.0
}

async fn login_via_proxy(
    client: &rocket::local::asynchronous::Client,
    peer: &str,
    forwarded: &str,
    user: &str,
) -> Status {
    let (_, html) = get_html(client, "/login").await;
    let token = csrf_of(&html);
    client
        .post("/login")
        .remote(remote(peer))
        .header(header("X-Forwarded-For", forwarded))
        .header(ContentType::Form)
        .body(form(&[
            ("username", user),
            ("password", "wrong-password"),
            ("csrf_token", &token),
        ]))
        .dispatch()
        .await
        .status()
}

#[rocket::async_test]
async fn w8_forwarded_for_from_an_untrusted_peer_does_not_dodge_the_ip_throttle() {
    let app = TestApp::new(&[("ALLOW_SELF_REGISTER", "false")]).await;
    for i in 0..5 {
        let s = login_via_proxy(
            &app.client,
            "203.0.113.9",
            &format!("10.9.9.{i}"),
            &format!("user{i}"),
        )
        .await;
        assert_eq!(s, Status::Unauthorized);
    }
    let s = login_via_proxy(&app.client, "203.0.113.9", "10.9.9.200", "user99").await;
    assert_eq!(
        s,
        Status::TooManyRequests,
        "spoofed X-Forwarded-For must not reset the per-IP count"
    );
}

#[rocket::async_test]
async fn w8_forwarded_for_from_a_trusted_proxy_identifies_the_client() {
    let app = TestApp::new(&[
        ("ALLOW_SELF_REGISTER", "false"),
        ("TRUSTED_PROXIES", "10.0.0.1/32"),
    ])
    .await;
    for i in 0..6 {
        let s = login_via_proxy(
            &app.client,
            "10.0.0.1",
            &format!("192.0.2.{i}"),
            &format!("user{i}"),
        )
        .await;
        assert_eq!(
            s,
            Status::Unauthorized,
            "distinct clients behind the proxy are counted apart"
        );
    }
    assert_eq!(
        app.sql::<i64>("SELECT count(*) FROM login_throttle WHERE key LIKE 'ip:192.0.2.%'"),
        6
    );
}

#[rocket::async_test]
async fn api_me_answers_json_401_without_a_session() {
    let app = TestApp::new(&[]).await;
    let res = app.client.get("/api/v1/me").dispatch().await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(res.content_type(), Some(ContentType::JSON));
    let body: serde_json::Value = serde_json::from_str(&res.into_string().await.unwrap()).unwrap();
    assert_eq!(body["error"], "unauthorized");
}

#[rocket::async_test]
async fn secure_cookie_flag_follows_configuration() {
    let app = TestApp::new(&[("SESSION_COOKIE_SECURE", "true")]).await;
    app.add_user("alice", Some(PASSWORD), false);
    let res = app.login("alice", Some(PASSWORD)).await;
    let cookie = res
        .headers()
        .get("Set-Cookie")
        .find(|c| c.starts_with("tt_session="))
        .unwrap()
        .to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[rocket::async_test]
async fn housekeeping_removes_sessions_past_their_limits() {
    let app = TestApp::new(&[]).await;
    app.add_user("alice", Some(PASSWORD), false);
    app.login("alice", Some(PASSWORD)).await;
    let other = app.second_browser().await;
    login_with(&other, "alice", Some(PASSWORD), None).await;
    app.exec(
        "UPDATE sessions SET expires_at = 0 WHERE id_hash = (SELECT id_hash FROM sessions LIMIT 1)",
    );
    let removed =
        timetracker::db::tidy(&app.db.conn().unwrap(), timetracker::db::now(), 3600).unwrap();
    assert_eq!(removed, 1);
    assert_eq!(app.sql::<i64>("SELECT count(*) FROM sessions"), 1);
}
