//! Shared setup for in-process HTTP tests: a migrated test database, the router, signed tokens.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use postiz_api::auth::{SessionVerifier, VerifierConfig};
use postiz_api::{AppState, router};
use postiz_providers::{HttpClient, Registry};
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
        Self::with_verifier(|v| v).await
    }

    /// As [`Self::new`], with the session verifier adjusted (e.g. a Supabase Auth session check).
    pub async fn with_verifier(adjust: impl FnOnce(SessionVerifier) -> SessionVerifier) -> Self {
        let db = TestDatabase::new().await;
        let pool = postiz_db::connect_pool(&SecretString::from(db.url()), 4).unwrap();
        let verifier = adjust(SessionVerifier::new(VerifierConfig {
            hs256_secret: Some(SecretString::from(SECRET.to_owned())),
            jwks: None,
            issuer: format!("{SUPABASE_URL}/auth/v1"),
            audience: "authenticated".into(),
            leeway_secs: 30,
        }));
        let state = AppState {
            pool,
            verifier: Arc::new(verifier),
            session_cookie: Some(COOKIE.into()),
            allowed_origins: vec![ORIGIN.into()],
            registry: Arc::new(Registry::with_defaults(&HttpClient::for_tests(), None)),
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

// ---- Resource-test helpers ---------------------------------------------------------------------

/// A signed-in user of the host app and their bearer token.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: TestUser,
    pub token: String,
}

/// An HTTP answer: status, JSON body, headers.
#[derive(Debug)]
pub struct Answer {
    pub status: axum::http::StatusCode,
    pub body: Value,
    pub headers: axum::http::HeaderMap,
}

impl TestApp {
    /// A user with a token.
    pub async fn actor(&self, email: &str) -> Actor {
        let user = self.db.create_user(email).await;
        let token = token_for(&user);
        Actor { user, token }
    }

    /// Calls the API as `actor` with an optional JSON body and extra headers.
    pub async fn call_with(&self, actor: &Actor, method: &str, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{BASE}{path}"))
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {}", actor.token));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req.header(axum::http::header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let (res, body) = self.send(req).await;
        Answer { status: res.status(), body, headers: res.headers().clone() }
    }

    /// Calls the API as `actor`.
    pub async fn call(&self, actor: &Actor, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.call_with(actor, method, path, body, &[]).await
    }

    /// Creates a workspace through the API; `owner` owns it.
    pub async fn workspace(&self, owner: &Actor, slug: &str, time_zone: &str) -> uuid::Uuid {
        let a = self.call(owner, "POST", "/workspaces", Some(json!({"name": slug, "slug": slug, "time_zone": time_zone}))).await;
        assert_eq!(a.status, axum::http::StatusCode::CREATED, "{}", a.body);
        a.body["id"].as_str().unwrap().parse().unwrap()
    }

    /// Adds `actor` to `ws` with `role` (fixture: as superuser).
    pub async fn add_member(&self, ws: uuid::Uuid, actor: &Actor, role: &str) {
        self.db
            .superuser()
            .await
            .execute(
                "insert into postiz.workspace_members (workspace_id, user_id, role) values ($1, $2, $3::text::postiz.workspace_role)",
                &[&ws, &actor.user.id, &role],
            )
            .await
            .unwrap();
    }

    /// Connects an account (fixture: as superuser, as the OAuth callback would).
    pub async fn account(&self, ws: uuid::Uuid, network: &str, handle: &str) -> uuid::Uuid {
        self.db
            .superuser()
            .await
            .query_one(
                "insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
                 values ($1, $2, $3, $3, $3) returning id",
                &[&ws, &network, &handle],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// A media library entry (fixture: as superuser).
    pub async fn media(&self, ws: uuid::Uuid, mime: &str, bytes: i64) -> uuid::Uuid {
        let id = uuid::Uuid::new_v4();
        let path = format!("{ws}/{id}");
        let sha = id.as_bytes().repeat(2);
        self.db
            .superuser()
            .await
            .execute(
                "insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, width, height, sha256)
                 values ($1, $2, $3, $4, $5, 1200, 800, $6)",
                &[&id, &ws, &path, &mime, &bytes, &sha],
            )
            .await
            .unwrap();
        id
    }

    /// A number from SQL run as superuser (row counts before/after).
    pub async fn count(&self, sql: &str) -> i64 {
        self.db.superuser().await.query_one(sql, &[]).await.unwrap().get(0)
    }
}
