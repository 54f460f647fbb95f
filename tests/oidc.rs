//! OpenID Connect against a fake provider on 127.0.0.1 that mints good and broken tokens:
//! the flow, each RP conformance case with its reason code, account linking, admin mapping,
//! logout and metadata handling.

mod common;

use common::fake_op::{FakeOp, CLIENT_ID, CLIENT_SECRET};
use common::*;
use rocket::http::Status;
use serde_json::{json, Map, Value};

struct Sso {
    app: TestApp,
    op: FakeOp,
}

fn sso_vars(op_issuer: &str, mode: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![
        ("AUTH_METHOD", mode),
        ("OIDC_ISSUER", op_issuer),
        ("OIDC_CLIENT_ID", CLIENT_ID),
        ("OIDC_CLIENT_SECRET", CLIENT_SECRET),
        (
            "OIDC_REDIRECT_URI",
            "http://127.0.0.1:8000/auth/oidc/callback",
        ),
        ("OIDC_SCOPES", "openid profile email groups"),
        ("OIDC_METADATA_RETRY_ATTEMPTS", "1"),
        ("OIDC_METADATA_RETRY_DELAY", "0"),
        ("OIDC_METADATA_FETCH_TIMEOUT", "2"),
        ("OIDC_METADATA_REFRESH_INTERVAL", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    v.extend(
        extra
            .iter()
            .map(|(k, val)| (k.to_string(), val.to_string())),
    );
    v
}

async fn app_with(issuer: &str, mode: &str, extra: &[(&str, &str)]) -> TestApp {
    let owned = sso_vars(issuer, mode, extra);
    let vars: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    TestApp::new(&vars).await
}

async fn setup(mode: &str, extra: &[(&str, &str)]) -> Sso {
    let op = FakeOp::start();
    let app = app_with(&op.issuer, mode, extra).await;
    Sso { app, op }
}

struct Authorize {
    url: url::Url,
    state: String,
    nonce: String,
}

impl Authorize {
    fn param(&self, name: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// GET /login/oidc: the 303 to the provider's authorization endpoint.
async fn begin(client: &rocket::local::asynchronous::Client, path: &str) -> Authorize {
    let res = client.get(path.to_string()).dispatch().await;
    assert_eq!(res.status(), Status::SeeOther);
    let url = url::Url::parse(&location(&res)).expect("redirect to the IdP");
    let get = |n: &str| {
        url.query_pairs()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Authorize {
        state: get("state"),
        nonce: get("nonce"),
        url,
    }
}

/// The IdP sends the browser back with a code.
async fn callback(client: &rocket::local::asynchronous::Client, query: &str) -> String {
    let res = client
        .get(format!("/auth/oidc/callback?{query}"))
        .dispatch()
        .await;
    assert_eq!(
        res.status(),
        Status::SeeOther,
        "the callback always redirects"
    );
    location(&res)
}

impl Sso {
    /// Links the local account `uid` to the identity `sub` at this provider, as an admin would.
    fn link(&self, uid: i64, sub: &str) {
        timetracker::db::users::set_oidc_identity(
            &self.app.db.conn().unwrap(),
            uid,
            Some((&self.op.issuer, sub)),
        )
        .unwrap();
    }

    /// A whole sign-in for `sub`; `tweak` edits the ID token claims; returns where it lands.
    async fn login(&self, sub: &str, tweak: impl FnOnce(&mut Map<String, Value>)) -> String {
        let auth = begin(&self.app.client, "/login/oidc").await;
        let mut claims = self.op.claims(sub, &auth.nonce);
        tweak(&mut claims);
        let token = self.op.sign(0, Some("k0"), &Value::Object(claims));
        self.op.with(|s| s.next_id_token = Some(token));
        callback(&self.app.client, &format!("code=c1&state={}", auth.state)).await
    }

    /// A sign-in whose ID token is the raw string `make` builds from the nonce.
    async fn login_raw(&self, make: impl FnOnce(&FakeOp, &str) -> String) -> String {
        let auth = begin(&self.app.client, "/login/oidc").await;
        let token = make(&self.op, &auth.nonce);
        self.op.with(|s| s.next_id_token = Some(token));
        callback(&self.app.client, &format!("code=c1&state={}", auth.state)).await
    }

    fn failures(&self, reason: &str) -> i64 {
        self.app.sql(&format!(
            "SELECT count(*) FROM oidc_failures WHERE reason = '{reason}'"
        ))
    }

    fn user_json(&self, username: &str) -> (bool, bool, String, String) {
        self.app
            .db
            .conn()
            .unwrap()
            .query_row(
                "SELECT is_admin, is_active, coalesce(email,''), coalesce(full_name,'') FROM users WHERE username = ?1",
                [username],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap()
    }
}

fn sso_error(location: &str, code: &str) -> bool {
    location.starts_with(&format!("/login?sso_error={code}"))
}

#[rocket::async_test]
async fn sso_login_creates_the_account_and_signs_in() {
    let s = setup("oidc", &[]).await;
    let landed = s
        .login("alice", |c| {
            c.insert("groups".into(), json!(["staff"]));
        })
        .await;
    assert_eq!(landed, "/");
    let (status, me) = me(&s.app.client).await;
    assert_eq!(status, Status::Ok);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["auth_provider"], "oidc");
    assert_eq!(me["email"], "alice@example.test");
    assert_eq!(me["full_name"], "User alice");
    let linked: String = s
        .app
        .sql("SELECT oidc_issuer || '|' || oidc_sub FROM users WHERE username = 'alice'");
    assert_eq!(linked, format!("{}|alice", s.op.issuer));
    assert!(
        s.app
            .sql::<Option<String>>("SELECT id_token_hint FROM sessions")
            .is_some(),
        "hint kept server-side"
    );
}

#[rocket::async_test]
async fn authorization_request_uses_pkce_s256_state_nonce_and_basic_client_auth() {
    let s = setup("oidc", &[]).await;
    let auth = begin(&s.app.client, "/login/oidc").await;
    assert!(auth
        .url
        .as_str()
        .starts_with(&format!("{}/authorize?", s.op.issuer)));
    assert_eq!(auth.param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(auth.param("response_type").as_deref(), Some("code"));
    assert_eq!(auth.param("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        auth.param("scope").as_deref(),
        Some("openid profile email groups")
    );
    assert!(auth.state.len() >= 32 && auth.nonce.len() >= 32);
    let challenge = auth.param("code_challenge").unwrap();
    s.op.with(|st| st.expected_challenge = Some(challenge));
    let token = s.op.sign(
        0,
        Some("k0"),
        &Value::Object(s.op.claims("pkce", &auth.nonce)),
    );
    s.op.with(|st| st.next_id_token = Some(token));
    assert_eq!(
        callback(&s.app.client, &format!("code=x&state={}", auth.state)).await,
        "/"
    );
    let (basic, form) = s.op.with(|st| {
        (
            st.last_token_auth.clone(),
            st.last_token_form.clone().unwrap(),
        )
    });
    assert!(basic.unwrap().starts_with("Basic "), "client_secret_basic");
    assert!(
        !form.contains("client_secret"),
        "the secret is not in the body"
    );
    assert!(form.contains("code_verifier="));
}

#[rocket::async_test]
async fn client_secret_post_is_used_when_discovery_offers_only_that() {
    let op = FakeOp::start();
    op.with(|s| s.auth_methods = vec!["client_secret_post"]);
    let s = Sso {
        app: app_with(&op.issuer, "oidc", &[]).await,
        op,
    };
    assert_eq!(s.login("poster", |_| {}).await, "/");
    let form = s.op.with(|st| st.last_token_form.clone().unwrap());
    assert!(form.contains("client_secret=") && s.op.with(|st| st.last_token_auth.is_none()));
}

#[rocket::async_test]
async fn next_survives_the_round_trip_and_stays_local() {
    let s = setup("both", &[]).await;
    let auth = begin(&s.app.client, "/login/oidc?next=%2Fprofile").await;
    let token = s.op.sign(
        0,
        Some("k0"),
        &Value::Object(s.op.claims("nina", &auth.nonce)),
    );
    s.op.with(|st| st.next_id_token = Some(token));
    assert_eq!(
        callback(&s.app.client, &format!("code=x&state={}", auth.state)).await,
        "/profile"
    );

    let other = s.app.second_browser().await;
    let auth = begin(&other, "/login/oidc?next=//evil.example").await;
    let token = s.op.sign(
        0,
        Some("k0"),
        &Value::Object(s.op.claims("nina", &auth.nonce)),
    );
    s.op.with(|st| st.next_id_token = Some(token));
    assert_eq!(
        callback(&other, &format!("code=x&state={}", auth.state)).await,
        "/"
    );
}

#[rocket::async_test]
async fn w7_sso_failures_land_on_an_explanation_page_even_in_oidc_mode() {
    let s = setup("oidc", &[]).await;
    let landed = s
        .login("bob", |c| {
            c.insert("exp".into(), json!(1));
        })
        .await;
    assert!(sso_error(&landed, "id_token_invalid"), "{landed}");
    let (status, html) = s.app.get_html(&landed).await;
    assert_eq!(status, Status::Ok, "no redirect back to the IdP");
    assert!(
        html.contains("Try again") && html.contains("href=\"&#x2f;login&#x2f;oidc\""),
        "{html}"
    );
}

#[rocket::async_test]
async fn replayed_lost_or_tampered_state_is_token_exchange_failed() {
    let s = setup("oidc", &[]).await;
    let auth = begin(&s.app.client, "/login/oidc").await;
    let token = s.op.sign(
        0,
        Some("k0"),
        &Value::Object(s.op.claims("carl", &auth.nonce)),
    );
    s.op.with(|st| st.next_id_token = Some(token));
    let query = format!("code=x&state={}", auth.state);
    assert_eq!(callback(&s.app.client, &query).await, "/");
    // The same callback again: the flow row was consumed.
    assert!(sso_error(
        &callback(&s.app.client, &query).await,
        "token_exchange_failed"
    ));
    // No flow cookie at all.
    let stranger = s.app.second_browser().await;
    assert!(sso_error(
        &callback(&stranger, &query).await,
        "token_exchange_failed"
    ));
    // A state that is not this browser's.
    let auth = begin(&stranger, "/login/oidc").await;
    assert!(!auth.state.is_empty());
    assert!(sso_error(
        &callback(&stranger, "code=x&state=forged").await,
        "token_exchange_failed"
    ));
    assert_eq!(s.failures("token_exchange_failed"), 3);
}

#[rocket::async_test]
async fn the_flow_expires_after_ten_minutes() {
    let s = setup("oidc", &[]).await;
    let auth = begin(&s.app.client, "/login/oidc").await;
    s.app
        .exec("UPDATE oidc_flows SET expires_at = strftime('%s','now') - 1");
    assert!(sso_error(
        &callback(&s.app.client, &format!("code=x&state={}", auth.state)).await,
        "token_exchange_failed"
    ));
}

#[rocket::async_test]
async fn idp_error_on_the_callback_is_idp_error() {
    let s = setup("oidc", &[]).await;
    let auth = begin(&s.app.client, "/login/oidc").await;
    let landed = callback(
        &s.app.client,
        &format!(
            "error=access_denied&error_description=nope&state={}",
            auth.state
        ),
    )
    .await;
    assert!(sso_error(&landed, "idp_error"), "{landed}");
}

#[rocket::async_test]
async fn token_endpoint_error_is_token_exchange_failed() {
    let s = setup("oidc", &[]).await;
    s.op.with(|st| st.token_error = Some((400, "invalid_grant".into())));
    let auth = begin(&s.app.client, "/login/oidc").await;
    assert!(sso_error(
        &callback(&s.app.client, &format!("code=x&state={}", auth.state)).await,
        "token_exchange_failed"
    ));
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[rocket::async_test]
async fn rp_conformance_cases_are_refused_with_their_reason_codes() {
    let s = setup("oidc", &[]).await;
    type Case = (
        &'static str,
        &'static str,
        Box<dyn Fn(&FakeOp, &str) -> String>,
    );
    let cases: Vec<Case> = vec![
        (
            "bad signature",
            "id_token_invalid",
            Box::new(|op, n| {
                let t = op.sign(0, Some("k0"), &Value::Object(op.claims("u1", n)));
                let mut parts: Vec<&str> = t.split('.').collect();
                let forged = op.sign(0, Some("k0"), &Value::Object(op.claims("someone-else", n)));
                let forged_payload = forged.split('.').nth(1).unwrap().to_string();
                parts[1] = Box::leak(forged_payload.into_boxed_str());
                parts.join(".")
            }),
        ),
        (
            "alg none",
            "unsupported_algorithm_or_jwe",
            Box::new(|op, n| {
                format!(
                    "{}.{}.",
                    b64(&json!({"alg": "none"})),
                    b64(&Value::Object(op.claims("u2", n)))
                )
            }),
        ),
        (
            "HS256 (not offered by discovery) signed with the public key",
            "unsupported_algorithm_or_jwe",
            Box::new(|op, n| {
                format!(
                    "{}.{}.c2ln",
                    b64(&json!({"alg": "HS256", "kid": "k0"})),
                    b64(&Value::Object(op.claims("u3", n)))
                )
            }),
        ),
        (
            "wrong issuer",
            "id_token_invalid",
            Box::new(|op, n| {
                let mut c = op.claims("u4", n);
                c.insert("iss".into(), json!(format!("{}/", op.issuer)));
                op.sign(0, Some("k0"), &Value::Object(c))
            }),
        ),
        (
            "wrong audience",
            "id_token_invalid",
            Box::new(|op, n| {
                let mut c = op.claims("u5", n);
                c.insert("aud".into(), json!("someone-else"));
                op.sign(0, Some("k0"), &Value::Object(c))
            }),
        ),
        (
            "several audiences without azp",
            "id_token_invalid",
            Box::new(|op, n| {
                let mut c = op.claims("u6", n);
                c.insert("aud".into(), json!([CLIENT_ID, "other"]));
                op.sign(0, Some("k0"), &Value::Object(c))
            }),
        ),
        (
            "expired beyond the skew",
            "id_token_invalid",
            Box::new(|op, n| {
                let mut c = op.claims("u7", n);
                c.insert("exp".into(), json!(chrono::Utc::now().timestamp() - 120));
                op.sign(0, Some("k0"), &Value::Object(c))
            }),
        ),
        (
            "issued in the future",
            "id_token_invalid",
            Box::new(|op, n| {
                let mut c = op.claims("u8", n);
                c.insert("iat".into(), json!(chrono::Utc::now().timestamp() + 600));
                op.sign(0, Some("k0"), &Value::Object(c))
            }),
        ),
        (
            "missing iat",
            "id_token_invalid",
            Box::new(|op, n| {
                let mut c = op.claims("u9", n);
                c.remove("iat");
                op.sign(0, Some("k0"), &Value::Object(c))
            }),
        ),
        (
            "missing sub",
            "missing_issuer_sub",
            Box::new(|op, n| {
                let mut c = op.claims("u10", n);
                c.remove("sub");
                op.sign(0, Some("k0"), &Value::Object(c))
            }),
        ),
        (
            "missing iss",
            "missing_issuer_sub",
            Box::new(|op, n| {
                let mut c = op.claims("u11", n);
                c.remove("iss");
                op.sign(0, Some("k0"), &Value::Object(c))
            }),
        ),
        (
            "nonce mismatch",
            "id_token_invalid",
            Box::new(|op, _| {
                op.sign(
                    0,
                    Some("k0"),
                    &Value::Object(op.claims("u12", "other-nonce")),
                )
            }),
        ),
        (
            "unknown kid, not in the refetched JWKS either",
            "id_token_invalid",
            Box::new(|op, n| op.sign(1, Some("k1"), &Value::Object(op.claims("u13", n)))),
        ),
        (
            "JWE (five parts)",
            "unsupported_algorithm_or_jwe",
            Box::new(|_, _| {
                format!(
                    "{}.a.b.c.d",
                    b64(&json!({"alg": "RSA-OAEP-256", "enc": "A256GCM"}))
                )
            }),
        ),
    ];
    for (name, reason, make) in cases {
        let landed = s.login_raw(|op, nonce| make(op, nonce)).await;
        assert!(
            sso_error(&landed, reason),
            "{name}: landed on {landed}, expected {reason}"
        );
        assert_eq!(
            me(&s.app.client).await.0,
            Status::Unauthorized,
            "{name}: not signed in"
        );
    }
    assert_eq!(
        s.app.sql::<i64>("SELECT count(*) FROM users"),
        0,
        "no account was created"
    );
    assert_eq!(s.app.sql::<i64>("SELECT count(*) FROM oidc_failures"), 14);
}

#[rocket::async_test]
async fn small_clock_skew_is_tolerated() {
    let s = setup("oidc", &[]).await;
    let landed = s
        .login("skewed", |c| {
            c.insert("exp".into(), json!(chrono::Utc::now().timestamp() - 30));
            c.insert("iat".into(), json!(chrono::Utc::now().timestamp() + 30));
        })
        .await;
    assert_eq!(landed, "/");
}

#[rocket::async_test]
async fn key_rotation_refetches_the_jwks_once() {
    let s = setup("oidc", &[]).await;
    assert_eq!(s.login("first", |_| {}).await, "/");
    let before = s.op.with(|st| st.jwks_hits);
    s.op.with(|st| st.published_keys = vec![1]);
    let landed = s
        .login_raw(|op, n| op.sign(1, Some("k1"), &Value::Object(op.claims("rotated", n))))
        .await;
    assert_eq!(landed, "/");
    assert_eq!(
        s.op.with(|st| st.jwks_hits),
        before + 1,
        "exactly one refetch"
    );
}

#[rocket::async_test]
async fn a_token_without_kid_verifies_against_a_single_key() {
    let s = setup("oidc", &[]).await;
    let landed = s
        .login_raw(|op, n| op.sign(0, None, &Value::Object(op.claims("nokid", n))))
        .await;
    assert_eq!(landed, "/");
}

#[rocket::async_test]
async fn w18_userinfo_subject_must_match_the_id_token() {
    let s = setup("oidc", &[]).await;
    s.op.with(|st| st.userinfo = Some(json!({ "sub": "mallory", "email": "m@example.test" })));
    assert!(sso_error(
        &s.login("dora", |_| {}).await,
        "userinfo_sub_mismatch"
    ));
    assert_eq!(s.app.sql::<i64>("SELECT count(*) FROM users"), 0);
}

#[rocket::async_test]
async fn w18_id_token_claims_win_over_userinfo_which_only_fills_gaps() {
    let s = setup("oidc", &[("OIDC_ADMIN_GROUP", "tt-admins")]).await;
    s.op.with(|st| {
        st.userinfo =
            Some(json!({ "sub": "erin", "groups": ["tt-admins"], "name": "From Userinfo" }))
    });
    let landed = s
        .login("erin", |c| {
            c.insert("groups".into(), json!(["staff"]));
            c.remove("name");
        })
        .await;
    assert_eq!(landed, "/");
    let (admin, _, _, name) = s.user_json("erin");
    assert!(!admin, "groups from the validated ID token, not userinfo");
    assert_eq!(name, "From Userinfo");
}

#[rocket::async_test]
async fn w3_new_identity_never_takes_over_a_local_account_by_username_or_email() {
    let s = setup("both", &[]).await;
    s.app.add_user("alice", Some(PASSWORD), true);
    assert!(sso_error(
        &s.login("alice", |_| {}).await,
        "account_link_conflict"
    ));
    s.app
        .exec("UPDATE users SET email = 'Boss@Example.test' WHERE username = 'alice'");
    let landed = s
        .login("not-alice", |c| {
            c.insert("email".into(), json!("boss@example.test"));
        })
        .await;
    assert!(sso_error(&landed, "account_link_conflict"), "{landed}");
    assert_eq!(
        s.app
            .sql::<i64>("SELECT count(*) FROM users WHERE oidc_sub IS NOT NULL"),
        0
    );
    let (status, html) = s.app.get_html(&landed).await;
    assert_eq!(status, Status::Ok);
    assert!(
        html.contains("link-oidc"),
        "the page says how an admin links accounts"
    );

    // Linked on purpose by an admin, the identity signs into the account.
    let uid: i64 = s.app.sql("SELECT id FROM users WHERE username = 'alice'");
    s.link(uid, "alice");
    assert_eq!(s.login("alice", |_| {}).await, "/");
    assert_eq!(me(&s.app.client).await.1["username"], "alice");
}

#[rocket::async_test]
async fn self_registration_off_refuses_unknown_identities() {
    let s = setup("oidc", &[("ALLOW_SELF_REGISTER", "false")]).await;
    assert!(sso_error(
        &s.login("newbie", |_| {}).await,
        "self_registration_disabled"
    ));
    assert_eq!(s.app.sql::<i64>("SELECT count(*) FROM users"), 0);
}

#[rocket::async_test]
async fn w18_inactive_accounts_are_refused_before_anything_is_written() {
    let s = setup("oidc", &[("OIDC_ADMIN_GROUP", "tt-admins")]).await;
    assert_eq!(s.login("frank", |_| {}).await, "/");
    s.app
        .exec("UPDATE users SET is_active = 0 WHERE username = 'frank'");
    let landed = s
        .login("frank", |c| {
            c.insert("email".into(), json!("changed@example.test"));
            c.insert("groups".into(), json!(["tt-admins"]));
        })
        .await;
    assert!(sso_error(&landed, "user_inactive"));
    let (admin, active, email, _) = s.user_json("frank");
    assert_eq!(
        (admin, active, email.as_str()),
        (false, false, "frank@example.test")
    );
}

#[rocket::async_test]
async fn email_and_full_name_are_refreshed_at_each_login() {
    let s = setup("oidc", &[]).await;
    s.login("gina", |_| {}).await;
    s.login("gina", |c| {
        c.insert("email".into(), json!("gina@new.example"));
        c.insert("name".into(), json!("Gina New"));
    })
    .await;
    let (_, _, email, name) = s.user_json("gina");
    assert_eq!(
        (email.as_str(), name.as_str()),
        ("gina@new.example", "Gina New")
    );
}

#[rocket::async_test]
async fn a_missing_claim_does_not_erase_the_stored_profile() {
    let s = setup("oidc", &[]).await;
    s.login("hugo", |_| {}).await;
    s.login("hugo", |c| {
        c.remove("email");
        c.remove("name");
    })
    .await;
    let (_, _, email, name) = s.user_json("hugo");
    assert_eq!(
        (email.as_str(), name.as_str()),
        ("hugo@example.test", "User hugo")
    );
}

#[rocket::async_test]
async fn w4_admin_is_granted_by_group_and_revoked_when_the_group_goes() {
    let s = setup("oidc", &[("OIDC_ADMIN_GROUP", "tt-admins")]).await;
    s.login("hank", |c| {
        c.insert("groups".into(), json!(["staff", "tt-admins"]));
    })
    .await;
    assert_eq!(me(&s.app.client).await.1["is_admin"], true);
    s.login("hank", |c| {
        c.insert("groups".into(), json!(["staff"]));
    })
    .await;
    assert_eq!(
        me(&s.app.client).await.1["is_admin"],
        false,
        "revoked at the next login"
    );
    assert_eq!(
        s.app
            .sql::<i64>("SELECT count(*) FROM audit_log WHERE action = 'sso.admin_revoked'"),
        1
    );
}

#[rocket::async_test]
async fn w4_admin_email_counts_only_when_verified() {
    let s = setup(
        "oidc",
        &[("OIDC_ADMIN_EMAILS", "Ida@Example.test, other@x.y")],
    )
    .await;
    s.login("ida", |c| {
        c.insert("email_verified".into(), json!(false));
    })
    .await;
    assert_eq!(me(&s.app.client).await.1["is_admin"], false);
    s.login("ida", |_| {}).await;
    assert_eq!(
        me(&s.app.client).await.1["is_admin"],
        true,
        "case-insensitive, verified email"
    );
}

#[rocket::async_test]
async fn w4_hand_made_admins_of_linked_local_accounts_stay_admins() {
    let s = setup("both", &[("OIDC_ADMIN_GROUP", "tt-admins")]).await;
    let uid = s.app.add_user("jack", Some(PASSWORD), true);
    s.link(uid, "jack-sub");
    s.login("jack-sub", |c| {
        c.insert("groups".into(), json!(["staff"]));
    })
    .await;
    assert_eq!(me(&s.app.client).await.1["is_admin"], true);
}

#[rocket::async_test]
async fn w2_sso_accounts_cannot_sign_in_with_a_typed_password_in_both_mode() {
    let s = setup("both", &[]).await;
    s.login("kate", |_| {}).await;
    let other = s.app.second_browser().await;
    let res = login_with(&other, "kate", Some("any-password-at-all"), None).await;
    assert_eq!(res.status(), Status::Unauthorized);
    assert_eq!(
        s.app
            .sql::<i64>("SELECT count(*) FROM users WHERE password_hash IS NOT NULL"),
        0
    );
}

#[rocket::async_test]
async fn w16_steady_state_logins_fetch_no_metadata() {
    let s = setup("oidc", &[]).await;
    s.login("leo", |_| {}).await;
    let hits = s.op.with(|st| (st.discovery_hits, st.jwks_hits));
    s.login("leo", |_| {}).await;
    s.login("mia", |_| {}).await;
    assert_eq!(s.op.with(|st| (st.discovery_hits, st.jwks_hits)), hits);
}

#[rocket::async_test]
async fn w16_server_starts_while_the_idp_is_down_and_recovers_when_it_returns() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let app = app_with(&issuer, "both", &[]).await;
    app.add_user("local", Some(PASSWORD), false);
    let res = app.client.get("/login/oidc").dispatch().await;
    assert!(
        sso_error(&location(&res), "discovery_failed"),
        "{}",
        location(&res)
    );
    drop(res);
    assert_eq!(
        app.login("local", Some(PASSWORD)).await.status(),
        Status::SeeOther,
        "local login still works"
    );
    app.client.get("/logout").dispatch().await;

    let op = FakeOp::start_on(port);
    let s = Sso { app, op };
    assert_eq!(s.login("back", |_| {}).await, "/");
}

#[rocket::async_test]
async fn discovery_issuer_must_equal_oidc_issuer_exactly() {
    let op = FakeOp::start();
    let slash = format!("{}/", op.issuer);
    op.with(|s| s.discovery_issuer = Some(slash));
    let app = app_with(&op.issuer, "oidc", &[]).await;
    let res = app.client.get("/login/oidc").dispatch().await;
    assert!(sso_error(&location(&res), "discovery_failed"));
    drop(res);
    let detail: String = app.sql("SELECT detail FROM oidc_failures");
    assert!(
        detail.contains(&format!("{}/\"", op.issuer)) && detail.contains("OIDC_ISSUER"),
        "{detail}"
    );
}

#[rocket::async_test]
async fn w17_logout_ends_the_local_session_then_goes_to_end_session_with_the_hint() {
    let s = setup(
        "oidc",
        &[("OIDC_POST_LOGOUT_REDIRECT_URI", "http://127.0.0.1:8000/")],
    )
    .await;
    s.login("nora", |_| {}).await;
    let hint: String = s.app.sql("SELECT id_token_hint FROM sessions");
    let res = s.app.client.get("/logout").dispatch().await;
    let target = url::Url::parse(&location(&res)).expect("absolute IdP URL");
    drop(res);
    assert_eq!(
        s.app.sql::<i64>("SELECT count(*) FROM sessions"),
        0,
        "local session gone first"
    );
    assert!(
        target
            .as_str()
            .starts_with(&format!("{}/session/end?", s.op.issuer)),
        "{target}"
    );
    let q: std::collections::HashMap<_, _> = target.query_pairs().into_owned().collect();
    assert_eq!(q.get("id_token_hint"), Some(&hint));
    assert_eq!(
        q.get("post_logout_redirect_uri").map(String::as_str),
        Some("http://127.0.0.1:8000/")
    );
    assert_eq!(q.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert!(!target.as_str().contains("revoke"));
    assert_eq!(me(&s.app.client).await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn w17_without_a_post_logout_uri_logout_stays_local() {
    let s = setup("oidc", &[]).await;
    s.login("otto", |_| {}).await;
    let res = s.app.client.get("/logout").dispatch().await;
    assert_eq!(location(&res), "/login?notice=signed_out");
}

#[rocket::async_test]
async fn admin_oidc_page_shows_diagnostics_to_admins_only() {
    let s = setup("both", &[]).await;
    s.app.add_user("root", Some(PASSWORD), true);
    s.app.add_user("pleb", Some(PASSWORD), false);
    let landed = s
        .login("broken", |c| {
            c.insert("exp".into(), json!(1));
        })
        .await;
    assert!(
        landed.starts_with("/login?sso_error=id_token_invalid"),
        "{landed}"
    );
    s.app.login("pleb", Some(PASSWORD)).await;
    assert_eq!(
        s.app.client.get("/admin/oidc").dispatch().await.status(),
        Status::Forbidden
    );
    s.app.login("root", Some(PASSWORD)).await;
    let (status, html) = s.app.get_html("/admin/oidc").await;
    assert_eq!(status, Status::Ok);
    let html = unescape(&html);
    assert!(html.contains("All checks passed"), "{html}");
    assert!(
        html.contains("id_token_invalid")
            && html.contains("OIDC_CLIENT_SECRET")
            && !html.contains(CLIENT_SECRET)
    );
}

#[rocket::async_test]
async fn w17_a_password_change_keeps_the_hint_so_logout_still_reaches_the_idp() {
    let s = setup(
        "both",
        &[("OIDC_POST_LOGOUT_REDIRECT_URI", "http://127.0.0.1:8000/")],
    )
    .await;
    // A local account with a password, linked to an identity at the IdP.
    let uid = s.app.add_user("jack", Some(PASSWORD), false);
    s.link(uid, "jack-sub");
    s.login("jack-sub", |_| {}).await;
    let hint: String = s.app.sql("SELECT id_token_hint FROM sessions");

    let res = post_form(
        &s.app.client,
        "/profile",
        "/profile/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", "a-brand-new-passphrase"),
            ("new_password_confirm", "a-brand-new-passphrase"),
        ],
    )
    .await;
    assert_eq!(res.status(), Status::SeeOther);
    drop(res);
    assert_eq!(s.app.sql::<i64>("SELECT count(*) FROM sessions"), 1);
    assert_eq!(
        s.app.sql::<String>("SELECT id_token_hint FROM sessions"),
        hint
    );

    let res = s.app.client.get("/logout").dispatch().await;
    let target = location(&res);
    assert!(
        target.starts_with(&format!("{}/session/end?", s.op.issuer)),
        "{target}"
    );
}
