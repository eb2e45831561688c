//! Shared setup for in-process HTTP tests: a migrated test database, the router, signed tokens.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use postiz_api::auth::{SessionVerifier, VerifierConfig};
use postiz_api::{AppState, router};
use postiz_testkit::{TestDatabase, TestUser};
use secrecy::SecretString;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const SECRET: &str = "api-test-jwt-secret-api-test-jwt-secret";
pub const SUPABASE_URL: &str = "https://abcd.supabase.co";
pub const COOKIE: &str = "sb-abcd-auth-token";
pub const ORIGIN: &str = "https://host.example";
pub const BASE: &str = "/dashboard/postiz/api";

#[derive(Debug)]
pub struct TestApp {
    pub db: TestDatabase,
    pub router: Router,
}

impl TestApp {
    pub async fn new() -> Self {
        let db = TestDatabase::new().await;
        let pool = postiz_db::connect_pool(&SecretString::from(db.url()), 4).unwrap();
        let verifier = SessionVerifier::new(VerifierConfig {
            hs256_secret: Some(SecretString::from(SECRET.to_owned())),
            jwks: None,
            issuer: format!("{SUPABASE_URL}/auth/v1"),
            audience: "authenticated".into(),
            leeway_secs: 30,
        });
        let state = AppState {
            pool,
            verifier: Arc::new(verifier),
            session_cookie: Some(COOKIE.into()),
            allowed_origins: vec![ORIGIN.into()],
        };
        Self { router: router(state, BASE), db }
    }

    pub async fn send(&self, request: Request<Body>) -> (Response<Body>, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        (Response::from_parts(parts, Body::empty()), json)
    }
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// An access token as Supabase Auth would issue for `user`.
pub fn token_for(user: &TestUser) -> String {
    token_with(user, |_| {})
}

pub fn token_with(user: &TestUser, tweak: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({
        "iss": format!("{SUPABASE_URL}/auth/v1"), "sub": user.id, "aud": "authenticated",
        "role": "authenticated", "email": user.email, "exp": now() + 3600, "iat": now(),
        "app_metadata": {"provider": "email"}, "user_metadata": {}, "aal": "aal1",
    });
    tweak(&mut claims);
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap()
}

/// The `@supabase/ssr` cookie value for a session holding `access_token`.
pub fn session_cookie_value(access_token: &str) -> String {
    use base64::Engine;
    let session = json!({"access_token": access_token, "token_type": "bearer", "expires_in": 3600,
                         "expires_at": now() + 3600, "refresh_token": "host-owned", "user": {}});
    format!("base64-{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session.to_string()))
}

pub fn get(path: &str) -> axum::http::request::Builder {
    Request::builder().method("GET").uri(format!("{BASE}{path}"))
}
