//! Shared helpers: the real app (build_rocket) on a fresh temp data dir, driven through
//! rocket::local with a cookie-tracking client.
#![allow(dead_code)]

pub mod fake_op;

use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use tempfile::TempDir;
use timetracker::auth::password;
use timetracker::config::Config;
use timetracker::db::users::{self, NewUser};
use timetracker::db::{self, Db};

pub struct TestApp {
    pub client: Client,
    pub db: Db,
    pub config: Config,
    pub dir: TempDir,
}

pub const PASSWORD: &str = "correct-horse-42";

impl TestApp {
    pub async fn new(vars: &[(&str, &str)]) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::on_dir(dir, vars).await
    }

    /// The app on an existing data dir (a "restart").
    pub async fn on_dir(dir: TempDir, vars: &[(&str, &str)]) -> TestApp {
        let config = Config::for_data_dir(dir.path(), vars).expect("valid test config");
        let (config, db) = timetracker::open(config).expect("open store");
        let client = Client::tracked(timetracker::build_rocket(config.clone(), db.clone()))
            .await
            .expect("rocket builds");
        TestApp {
            client,
            db,
            config,
            dir,
        }
    }

    /// A second browser on the same server (own cookie jar).
    pub async fn second_browser(&self) -> Client {
        Client::tracked(timetracker::build_rocket(
            self.config.clone(),
            self.db.clone(),
        ))
        .await
        .expect("rocket builds")
    }

    pub async fn restart(self, vars: &[(&str, &str)]) -> TestApp {
        let TestApp { client, dir, .. } = self;
        drop(client);
        Self::on_dir(dir, vars).await
    }

    pub fn add_user(&self, name: &str, password: Option<&str>, admin: bool) -> i64 {
        let hash = password.map(|p| password::hash_sync(p).expect("hash"));
        let conn = self.db.conn().expect("conn");
        users::insert(
            &conn,
            &NewUser {
                username: name,
                full_name: None,
                email: None,
                password_hash: hash.as_deref(),
                auth_provider: "local",
                is_admin: admin,
            },
            db::now(),
        )
        .expect("insert user")
    }

    pub fn sql<T: rusqlite::types::FromSql>(&self, sql: &str) -> T {
        self.db
            .conn()
            .expect("conn")
            .query_row(sql, [], |r| r.get(0))
            .expect("query")
    }

    pub fn exec(&self, sql: &str) {
        self.db
            .conn()
            .expect("conn")
            .execute_batch(sql)
            .expect("exec");
    }

    pub async fn get_html(&self, path: &str) -> (Status, String) {
        get_html(&self.client, path).await
    }

    pub async fn login(&self, username: &str, password: Option<&str>) -> LocalResponse<'_> {
        login_with(&self.client, username, password, None).await
    }
}

pub async fn get_html(client: &Client, path: &str) -> (Status, String) {
    let res = client.get(path).dispatch().await;
    let status = res.status();
    (status, res.into_string().await.unwrap_or_default())
}

/// The hidden CSRF token of the first form on a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a csrf_token field") + marker.len();
    let end = html[start..].find('"').expect("token ends") + start;
    html[start..end].to_string()
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// GETs `page` for its CSRF token, then POSTs `fields` (plus the token) to `action`.
pub async fn post_form<'c>(
    client: &'c Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> LocalResponse<'c> {
    let (_, html) = get_html(client, page).await;
    let token = csrf_of(&html);
    let mut all = fields.to_vec();
    all.push(("csrf_token", &token));
    client
        .post(action.to_string())
        .header(ContentType::Form)
        .body(form(&all))
        .dispatch()
        .await
}

/// Undoes the HTML escaping of attribute values (minijinja also escapes `/`).
pub fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A page with a form for this browser: the login page, or the profile when signed in.
async fn form_page(client: &Client) -> &'static str {
    let res = client.get("/login").dispatch().await;
    if res.status() == Status::Ok {
        "/login"
    } else {
        "/profile"
    }
}

pub async fn login_with<'c>(
    client: &'c Client,
    username: &str,
    password: Option<&str>,
    next: Option<&str>,
) -> LocalResponse<'c> {
    let mut fields = vec![("username", username)];
    if let Some(p) = password {
        fields.push(("password", p));
    }
    if let Some(n) = next {
        fields.push(("next", n));
    }
    let page = form_page(client).await;
    post_form(client, page, "/login", &fields).await
}

pub fn location(res: &LocalResponse<'_>) -> String {
    res.headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_string()
}

pub async fn me(client: &Client) -> (Status, serde_json::Value) {
    let res = client.get("/api/v1/me").dispatch().await;
    let status = res.status();
    let body = res.into_string().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    )
}

pub fn remote(ip: &str) -> std::net::SocketAddr {
    format!("{ip}:40000").parse().expect("socket addr")
}

pub fn header(name: &'static str, value: &str) -> Header<'static> {
    Header::new(name, value.to_string())
}
