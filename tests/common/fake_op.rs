//! A deliberately configurable OpenID Provider on 127.0.0.1 for the negative cases: it serves
//! discovery, JWKS, token and userinfo over real HTTP and mints whatever ID token a test asks
//! for (bad signature, `none`, wrong issuer, JWE-shaped, unknown key id, …).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "timetracker";
pub const CLIENT_SECRET: &str = "fake-op-secret";

const KEYS: [&str; 2] = [
    include_str!("../fixtures/op_key_1.pem"),
    include_str!("../fixtures/op_key_2.pem"),
];

pub fn key(i: usize) -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(KEYS[i]).expect("fixture key")
}

/// What the provider does; tests change it between steps.
pub struct OpState {
    /// Key indices published in the JWKS, with kid `k<i>`.
    pub published_keys: Vec<usize>,
    /// The raw ID token the token endpoint returns next.
    pub next_id_token: Option<String>,
    /// An error answer of the token endpoint instead of tokens.
    pub token_error: Option<(u16, String)>,
    pub userinfo: Option<Value>,
    /// `issuer` in discovery when it should differ from the real URL.
    pub discovery_issuer: Option<String>,
    pub auth_methods: Vec<&'static str>,
    pub expected_challenge: Option<String>,
    pub discovery_hits: usize,
    pub jwks_hits: usize,
    pub token_hits: usize,
    pub last_token_auth: Option<String>,
    pub last_token_form: Option<String>,
}

pub struct FakeOp {
    pub issuer: String,
    pub port: u16,
    pub state: Arc<Mutex<OpState>>,
    stop: Arc<AtomicBool>,
}

impl Drop for FakeOp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

impl FakeOp {
    pub fn start() -> FakeOp {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port)
    }

    pub fn start_on(port: u16) -> FakeOp {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("fake OP port");
        let issuer = format!("http://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(OpState {
            published_keys: vec![0],
            next_id_token: None,
            token_error: None,
            userinfo: None,
            discovery_issuer: None,
            auth_methods: vec!["client_secret_basic", "client_secret_post"],
            expected_challenge: None,
            discovery_hits: 0,
            jwks_hits: 0,
            token_hits: 0,
            last_token_auth: None,
            last_token_form: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, iss, halt) = (state.clone(), issuer.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = conn {
                    let _ = handle(stream, &st, &iss);
                }
            }
        });
        FakeOp {
            issuer,
            port,
            state,
            stop,
        }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut OpState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    /// A signed compact JWS over `payload` with key `key_index`; `kid` None leaves it out.
    pub fn sign(&self, key_index: usize, kid: Option<&str>, payload: &Value) -> String {
        let mut header = json!({ "alg": "RS256", "typ": "JWT" });
        if let Some(k) = kid {
            header["kid"] = json!(k);
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes())
        );
        let sig = SigningKey::<Sha256>::new(key(key_index)).sign(input.as_bytes());
        format!("{input}.{}", b64(&sig.to_bytes()))
    }

    /// Standard, valid claims for `sub` with `nonce`.
    pub fn claims(&self, sub: &str, nonce: &str) -> Map<String, Value> {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.issuer, "sub": sub, "aud": CLIENT_ID, "exp": now + 300, "iat": now,
            "nonce": nonce, "email": format!("{sub}@example.test"), "email_verified": true,
            "name": format!("User {sub}"), "preferred_username": sub,
        })
        .as_object()
        .cloned()
        .unwrap()
    }
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn jwk(i: usize) -> Value {
    let public = key(i).to_public_key();
    json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": format!("k{i}"),
            "n": b64(&public.n().to_bytes_be()), "e": b64(&public.e().to_bytes_be()) })
}

fn handle(mut stream: TcpStream, state: &Mutex<OpState>, issuer: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    let body = String::from_utf8_lossy(&body).to_string();
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let path = path.split('?').next().unwrap_or("/").to_string();

    let mut st = state.lock().unwrap();
    match path.as_str() {
        "/.well-known/openid-configuration" => {
            st.discovery_hits += 1;
            let doc = json!({
                "issuer": st.discovery_issuer.clone().unwrap_or_else(|| issuer.to_string()),
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "userinfo_endpoint": format!("{issuer}/userinfo"),
                "jwks_uri": format!("{issuer}/jwks"),
                "end_session_endpoint": format!("{issuer}/session/end"),
                "revocation_endpoint": format!("{issuer}/revoke"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": st.auth_methods,
                "scopes_supported": ["openid", "profile", "email", "groups"],
                "claims_supported": ["sub", "iss", "email", "email_verified", "name", "preferred_username", "groups"],
            });
            respond(&mut stream, 200, &doc.to_string())
        }
        "/jwks" => {
            st.jwks_hits += 1;
            let keys: Vec<Value> = st.published_keys.iter().map(|i| jwk(*i)).collect();
            respond(&mut stream, 200, &json!({ "keys": keys }).to_string())
        }
        "/token" => {
            st.token_hits += 1;
            st.last_token_auth = header("authorization");
            st.last_token_form = Some(body.clone());
            if let Some((status, err)) = st.token_error.clone() {
                return respond(&mut stream, status, &json!({ "error": err }).to_string());
            }
            let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let basic_ok = header("authorization").is_some_and(|h| {
                h == format!(
                    "Basic {}",
                    STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
                )
            });
            let post_ok = field("client_id").as_deref() == Some(CLIENT_ID)
                && field("client_secret").as_deref() == Some(CLIENT_SECRET);
            if !(basic_ok || post_ok) {
                return respond(&mut stream, 401, r#"{"error":"invalid_client"}"#);
            }
            if let Some(challenge) = &st.expected_challenge {
                let verifier = field("code_verifier").unwrap_or_default();
                if &b64(&Sha256::digest(verifier.as_bytes())) != challenge {
                    return respond(
                        &mut stream,
                        400,
                        r#"{"error":"invalid_grant","error_description":"PKCE"}"#,
                    );
                }
            }
            let Some(id_token) = st.next_id_token.take() else {
                return respond(&mut stream, 400, r#"{"error":"invalid_grant"}"#);
            };
            let body = json!({ "access_token": "at-123", "token_type": "Bearer", "expires_in": 300, "id_token": id_token });
            respond(&mut stream, 200, &body.to_string())
        }
        "/userinfo" => match &st.userinfo {
            Some(info) if header("authorization").as_deref() == Some("Bearer at-123") => {
                let info = info.to_string();
                respond(&mut stream, 200, &info)
            }
            Some(_) => respond(&mut stream, 401, r#"{"error":"invalid_token"}"#),
            None => respond(&mut stream, 404, "{}"),
        },
        _ => respond(&mut stream, 404, "{}"),
    }
}
