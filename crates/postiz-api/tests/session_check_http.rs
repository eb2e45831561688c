//! Sensitive actions confirm the caller's session with the host's Supabase Auth (faked with
//! wiremock, with the shapes of Supabase Auth's `GET /auth/v1/user` and `/auth/v1/health`): a
//! session the host ended is refused before its token expires, an unreachable Auth refuses the
//! action rather than letting it through unconfirmed, and ordinary reads never ask.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use postiz_api::auth::{AuthError, AuthHealth, SessionCheck};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ANON_KEY: &str = "anon-publishable-key";

/// `GET /auth/v1/user` for a signed-in user, as Supabase Auth answers it.
fn user_body(id: &str, email: &str) -> Value {
    json!({
        "id": id, "aud": "authenticated", "role": "authenticated", "email": email,
        "email_confirmed_at": "2026-11-01T10:00:00.000000Z", "phone": "",
        "confirmed_at": "2026-11-01T10:00:00.000000Z", "last_sign_in_at": "2026-12-02T08:00:00.000000Z",
        "app_metadata": {"provider": "email", "providers": ["email"]}, "user_metadata": {},
        "identities": [{
            "identity_id": "5c2b7c34-1b6c-4d4c-8e07-3b1c7f0b7d11", "id": id, "user_id": id,
            "identity_data": {"email": email, "email_verified": true, "phone_verified": false, "sub": id},
            "provider": "email", "last_sign_in_at": "2026-11-01T10:00:00.000000Z",
            "created_at": "2026-11-01T10:00:00.000000Z", "updated_at": "2026-11-01T10:00:00.000000Z", "email": email
        }],
        "created_at": "2026-11-01T10:00:00.000000Z", "updated_at": "2026-12-02T08:00:00.000000Z", "is_anonymous": false
    })
}

/// Supabase Auth's answer for a token whose session was signed out (`session_not_found`).
fn session_not_found() -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(json!({
        "code": 403, "error_code": "session_not_found", "msg": "Session from session_id claim in JWT does not exist"
    }))
}

/// The test app, its sessions confirmed with the fake Auth at `auth`.
async fn app_with_auth(auth: &MockServer) -> TestApp {
    let check = SessionCheck::new(&auth.uri(), ANON_KEY, Duration::from_secs(30)).with_timeout(Duration::from_millis(500));
    TestApp::with_verifier(|v| v.with_session_check(check)).await
}

#[tokio::test]
async fn a_session_the_host_ended_cannot_create_an_api_key_but_still_reads() {
    let auth = MockServer::start().await;
    let app = app_with_auth(&auth).await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    // The owner signed out everywhere: Supabase Auth no longer knows the session.
    Mock::given(method("GET"))
        .and(path("/auth/v1/user"))
        .and(header("apikey", ANON_KEY))
        .and(header("authorization", format!("Bearer {}", owner.token).as_str()))
        .respond_with(session_not_found())
        .expect(1)
        .mount(&auth)
        .await;

    let key = app.call(&owner, "POST", &format!("/workspaces/{ws}/api-keys"), Some(json!({"name": "CI"}))).await;
    assert_eq!(key.status, StatusCode::UNAUTHORIZED, "{}", key.body);
    assert_eq!(key.body["error"]["code"], "session_ended");
    assert!(key.body["error"]["message"].as_str().unwrap().contains("sign in again"), "{}", key.body);
    assert_eq!(app.count("select count(*) from postiz.api_keys").await, 0, "nothing written");
    // Reading is not a sensitive action: the token is verified locally as always.
    let list = app.call(&owner, "GET", &format!("/workspaces/{ws}/api-keys"), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
}

#[tokio::test]
async fn a_standing_session_is_asked_about_once_then_remembered() {
    let auth = MockServer::start().await;
    let app = app_with_auth(&auth).await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    Mock::given(method("GET"))
        .and(path("/auth/v1/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user_body(&owner.user.id.to_string(), "owner@example.com")))
        .expect(1)
        .mount(&auth)
        .await;
    for name in ["CI", "Zapier"] {
        let key = app.call(&owner, "POST", &format!("/workspaces/{ws}/api-keys"), Some(json!({"name": name}))).await;
        assert_eq!(key.status, StatusCode::CREATED, "{}", key.body);
    }
    assert_eq!(app.count("select count(*) from postiz.api_keys").await, 2);
}

#[tokio::test]
async fn an_unreachable_auth_refuses_sensitive_actions_and_health_says_so() {
    let auth = MockServer::start().await;
    let app = app_with_auth(&auth).await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    Mock::given(method("GET")).and(path("/auth/v1/user")).respond_with(ResponseTemplate::new(500)).mount(&auth).await;
    let del = app.call(&owner, "DELETE", &format!("/workspaces/{ws}"), None).await;
    assert_eq!(del.status, StatusCode::SERVICE_UNAVAILABLE, "{}", del.body);
    assert_eq!(del.body["error"]["code"], "session_unconfirmed");
    assert_eq!(app.count("select count(*) from postiz.workspaces").await, 1, "the workspace is still there");
    let health = app.call(&owner, "GET", "/health", None).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.body);
    assert_eq!(health.body["auth"]["status"], "unreachable", "{}", health.body);
}

#[tokio::test]
async fn session_check_outcomes_follow_supabase_auth_answers() {
    let auth = MockServer::start().await;
    let check = SessionCheck::new(&auth.uri(), ANON_KEY, Duration::from_secs(30)).with_timeout(Duration::from_millis(300));
    let user = "0b7d7f7e-4a3c-4c55-9a65-2f7b1d0c9e21";
    for (token, answer, expected) in [
        ("t-ok", ResponseTemplate::new(200).set_body_json(user_body(user, "a@example.com")), Ok(())),
        // A phone-only user: Auth accepts the token even if the client's model does not fit.
        ("t-phone", ResponseTemplate::new(200).set_body_json(json!({"id": user, "aud": "authenticated", "phone": "+15550100"})), Ok(())),
        ("t-signed-out", session_not_found(), Err(AuthError::SessionEnded)),
        (
            "t-deleted",
            ResponseTemplate::new(404)
                .set_body_json(json!({"code": 404, "error_code": "user_not_found", "msg": "User from sub claim in JWT does not exist"})),
            Err(AuthError::SessionEnded),
        ),
        (
            "t-bad",
            ResponseTemplate::new(401)
                .set_body_json(json!({"code": 401, "error_code": "bad_jwt", "msg": "invalid JWT: unable to parse or verify signature"})),
            Err(AuthError::SessionEnded),
        ),
        (
            "t-busy",
            ResponseTemplate::new(429)
                .set_body_json(json!({"code": 429, "error_code": "over_request_rate_limit", "msg": "Request rate limit reached"})),
            Err(AuthError::SessionUnconfirmed("Supabase Auth answered 429 Too Many Requests".into())),
        ),
        (
            "t-slow",
            ResponseTemplate::new(200).set_body_json(user_body(user, "a@example.com")).set_delay(Duration::from_secs(2)),
            Err(AuthError::SessionUnconfirmed("Supabase Auth did not answer in time".into())),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path("/auth/v1/user"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(answer)
            .mount(&auth)
            .await;
        assert_eq!(check.confirm(token).await, expected, "{token}");
    }
    Mock::given(method("GET"))
        .and(path("/auth/v1/health"))
        .and(header("apikey", ANON_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"version": "v2.170.0", "name": "GoTrue", "description": "GoTrue is a user registration and authentication API"}),
        ))
        .mount(&auth)
        .await;
    assert_eq!(check.health().await, AuthHealth::Reachable("GoTrue v2.170.0".into()));
}
