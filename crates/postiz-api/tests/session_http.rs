//! Session sharing over HTTP: bearer tokens, the host's cookie, and the error shape.

mod common;

use axum::body::Body;
use axum::http::{StatusCode, header};
use common::*;

#[tokio::test]
async fn bearer_token_runs_the_request_as_the_user() {
    let app = TestApp::new().await;
    let user = app.db.create_user("bearer@example.com").await;
    let (res, body) =
        app.send(get("/session").header(header::AUTHORIZATION, format!("Bearer {}", token_for(&user))).body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], user.id.to_string(), "auth.uid() inside the transaction is the caller");
    assert_eq!(body["db_role"], "authenticated");
    assert!(res.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn chunked_host_cookie_is_a_session_too() {
    let app = TestApp::new().await;
    let user = app.db.create_user("cookie@example.com").await;
    let value = session_cookie_value(&token_for(&user));
    let (a, b) = value.split_at(value.len() / 2);
    let (res, body) = app
        .send(get("/session").header(header::COOKIE, format!("{COOKIE}.0={a}; theme=x; {COOKIE}.1={b}")).body(Body::empty()).unwrap())
        .await;
    assert_eq!(res.status(), StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], user.id.to_string());
}

#[tokio::test]
async fn expired_token_gets_401_with_reason_and_request_id() {
    let app = TestApp::new().await;
    let user = app.db.create_user("late@example.com").await;
    let token = token_with(&user, |c| c["exp"] = (now() - 300).into());
    let (res, body) = app
        .send(
            get("/session")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header("x-request-id", "req-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "token_expired");
    assert_eq!(body["request_id"], "req-123", "the incoming request id is kept");
    assert_eq!(res.headers()["x-request-id"], "req-123");
    let challenge = res.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.contains("token_expired"), "{challenge}");
}

#[tokio::test]
async fn no_session_gets_401_session_missing() {
    let app = TestApp::new().await;
    let (res, body) = app.send(get("/session").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "session_missing");
    assert!(!body["request_id"].as_str().unwrap().is_empty(), "a request id is made when none came in");
}

#[tokio::test]
async fn wrong_audience_and_tampered_tokens_get_401() {
    let app = TestApp::new().await;
    let user = app.db.create_user("x@example.com").await;
    let aud = token_with(&user, |c| c["aud"] = "anon".into());
    let (res, body) = app.send(get("/session").header(header::AUTHORIZATION, format!("Bearer {aud}")).body(Body::empty()).unwrap()).await;
    assert_eq!((res.status(), body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_wrong_audience")));
    let mut bad = token_for(&user);
    bad.pop();
    let (res, body) = app.send(get("/session").header(header::AUTHORIZATION, format!("Bearer {bad}x")).body(Body::empty()).unwrap()).await;
    assert_eq!((res.status(), body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_invalid")));
}

#[tokio::test]
async fn health_answers_without_a_session() {
    let app = TestApp::new().await;
    let (res, body) = app.send(get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body["status"], "ok");
}
