//! The public API (`/public/v1`) over HTTP against real PostgreSQL: keys made by admins (shown
//! once, hashed at rest), Bearer and bare keys, scopes (403), revoked/expired/orphaned keys
//! (401), idempotent create, the per-key rate limit (429 + Retry-After), the OpenAPI document,
//! and tenancy: a key of workspace A never sees B, even when its creator belongs to both.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use common::*;
use http_body_util::BodyExt;
use postiz_api::routes::media::{MediaLimits, MediaState};
use postiz_api::routes::public::PublicApi;
use postiz_db::DbRole;
use postiz_storage::MediaStorage;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

const PUBLIC: &str = "/public/v1";

struct Fixture {
    app: TestApp,
    owner: Actor,
    ws: Uuid,
    other_ws: Uuid,
    account: Uuid,
}

async fn fixture_with(per_minute: u32) -> Fixture {
    let mut app = TestApp::new().await;
    let n = NonZeroU32::new(per_minute).unwrap();
    app.router = app
        .router
        .layer(axum::Extension(Arc::new(PublicApi::new(n, n))))
        .layer(axum::Extension(Arc::new(MediaState::new(MediaStorage::in_memory(), MediaLimits::default()).unwrap())));
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    // The same admin owns a second workspace: a key of `ws` must not reach it.
    let other_ws = app.workspace(&owner, "other", "UTC").await;
    let account = app.account(ws, "mastodon", "acme@social.example").await;
    Fixture { app, owner, ws, other_ws, account }
}

async fn fixture() -> Fixture {
    fixture_with(1000).await
}

/// Creates a key through the UI endpoint; returns (key, id).
async fn make_key(f: &Fixture, ws: Uuid, scopes: &[&str]) -> (String, String) {
    let a = f.app.call(&f.owner, "POST", &format!("/workspaces/{ws}/api-keys"), Some(json!({"name": "zapier", "scopes": scopes}))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    (a.body["key"].as_str().unwrap().to_owned(), a.body["id"].as_str().unwrap().to_owned())
}

/// Calls the public API with `authorization` as the whole header value.
async fn call_auth(
    app: &TestApp,
    authorization: Option<&str>,
    method: &str,
    path: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Answer {
    let mut req = Request::builder().method(method).uri(format!("{BASE}{PUBLIC}{path}"));
    if let Some(a) = authorization {
        req = req.header(header::AUTHORIZATION, a);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Answer { status: parts.status, headers: parts.headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

async fn call(app: &TestApp, key: &str, method: &str, path: &str, body: Option<Value>) -> Answer {
    call_auth(app, Some(&format!("Bearer {key}")), method, path, body, &[]).await
}

#[tokio::test]
async fn a_key_is_shown_once_stored_as_a_hash_and_works_as_bearer_or_bare() {
    let f = fixture().await;
    let (key, id) = make_key(&f, f.ws, &["posts:read"]).await;
    assert!(key.starts_with("pzk_") && key.len() == 52, "{key}");
    let list = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/api-keys", f.ws), None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body[0]["prefix"].as_str().unwrap(), &key[..12]);
    assert!(!list.body.to_string().contains(&key), "the key is never listed");
    let stored: i64 = f
        .app
        .count(&format!("select count(*) from postiz.api_keys where id = '{id}' and key_hash = sha256(convert_to('{key}', 'UTF8'))"))
        .await;
    assert_eq!(stored, 1, "only the hash is stored");
    assert_eq!(f.app.count("select count(*) from postiz.api_keys where last_used_at is not null").await, 0);

    for auth in [format!("Bearer {key}"), key.clone()] {
        let me = call_auth(&f.app, Some(&auth), "GET", "/me", None, &[]).await;
        assert_eq!(me.status, StatusCode::OK, "{auth}: {}", me.body);
        assert_eq!(me.body["workspace_id"], f.ws.to_string());
        assert_eq!(me.body["scopes"], json!(["posts:read"]));
    }
    assert_eq!(f.app.count("select count(*) from postiz.api_keys where last_used_at is not null").await, 1, "last use is stamped");

    // Missing, malformed and unknown keys: 401 with a challenge, in the one error shape.
    let none = call_auth(&f.app, None, "GET", "/me", None, &[]).await;
    assert_eq!((none.status, none.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("api_key_missing")));
    assert!(none.headers.contains_key(header::WWW_AUTHENTICATE));
    assert!(none.headers.contains_key("x-request-id"));
    let jwt = call_auth(&f.app, Some(&format!("Bearer {}", f.owner.token)), "GET", "/me", None, &[]).await;
    assert_eq!(jwt.body["error"]["code"], "api_key_invalid", "user sessions are not API keys");
    let unknown = call(&f.app, &format!("pzk_{}", "ab".repeat(24)), "GET", "/me", None).await;
    assert_eq!((unknown.status, unknown.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("api_key_invalid")));

    // Only admins manage keys; scopes are checked.
    let editor = f.app.actor("editor@example.com").await;
    f.app.add_member(f.ws, &editor, "editor").await;
    let a = f.app.call(&editor, "POST", &format!("/workspaces/{}/api-keys", f.ws), Some(json!({"name": "mine"}))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = f
        .app
        .call(
            &f.owner,
            "POST",
            &format!("/workspaces/{}/api-keys", f.ws),
            Some(json!({"name": "x", "scopes": ["posts:read", "admin:write"]})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.body["error"]["fields"][0]["field"], "scopes[1]");
}

#[tokio::test]
async fn responses_with_a_secret_shown_once_are_never_cached() {
    let f = fixture().await;
    let created = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/api-keys", f.ws), Some(json!({"name": "n8n"}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(created.body["key"].as_str().unwrap().starts_with("pzk_"));
    assert_eq!(created.headers[header::CACHE_CONTROL], "no-store", "the new API key");
    let invite = f
        .app
        .call(&f.owner, "POST", &format!("/workspaces/{}/invites", f.ws), Some(json!({"email": "new@example.com", "role": "editor"})))
        .await;
    assert_eq!(invite.status, StatusCode::CREATED, "{}", invite.body);
    assert!(!invite.body["token"].as_str().unwrap().is_empty());
    assert_eq!(invite.headers[header::CACHE_CONTROL], "no-store", "the invitation token");
    // One rule for every answer, errors and the public API included.
    let key = created.body["key"].as_str().unwrap();
    assert_eq!(call(&f.app, key, "GET", "/me", None).await.headers[header::CACHE_CONTROL], "no-store");
    let refused = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/api-keys", f.ws), Some(json!({"name": ""}))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn scopes_are_enforced_per_route() {
    let f = fixture().await;
    let (read_only, _) = make_key(&f, f.ws, &["posts:read"]).await;
    let a = call(&f.app, &read_only, "GET", "/posts", None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    for (method, path, body) in [
        ("POST", "/posts".to_owned(), Some(json!({"content": "hi"}))),
        ("GET", "/accounts".to_owned(), None),
        ("GET", format!("/accounts/{}/next-slot", f.account), None),
        ("GET", "/media".to_owned(), None),
        ("POST", "/media/from-url".to_owned(), Some(json!({"url": "https://cdn.example.com/a.png"}))),
    ] {
        let a = call(&f.app, &read_only, method, &path, body).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path}: {}", a.body);
        assert_eq!(a.body["error"]["code"], "insufficient_scope");
    }
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 0);

    let (accounts, _) = make_key(&f, f.ws, &["accounts:read"]).await;
    let a = call(&f.app, &accounts, "GET", "/accounts", None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body.as_array().unwrap().len(), 1);
    assert_eq!(a.body[0]["id"], f.account.to_string());
    let a = call(&f.app, &accounts, "GET", &format!("/accounts/{}/next-slot", f.account), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["time_zone"], "Europe/Berlin");
}

#[tokio::test]
async fn revoked_expired_and_orphaned_keys_get_401() {
    let f = fixture().await;
    let (key, id) = make_key(&f, f.ws, &["posts:read"]).await;
    assert_eq!(call(&f.app, &key, "GET", "/posts", None).await.status, StatusCode::OK);
    let r = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/api-keys/{id}", f.ws), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let a = call(&f.app, &key, "GET", "/posts", None).await;
    assert_eq!((a.status, a.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("api_key_revoked")));
    let list = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/api-keys", f.ws), None).await;
    assert!(list.body[0]["revoked_at"].is_string());

    let (key, id) = make_key(&f, f.ws, &["posts:read"]).await;
    f.app
        .db
        .superuser()
        .await
        .execute("update postiz.api_keys set expires_at = now() - interval '1 second' where id = $1", &[&id.parse::<Uuid>().unwrap()])
        .await
        .unwrap();
    let a = call(&f.app, &key, "GET", "/posts", None).await;
    assert_eq!((a.status, a.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("api_key_expired")));

    // An admin's key stops working when the admin leaves the workspace.
    let admin = f.app.actor("admin@example.com").await;
    f.app.add_member(f.ws, &admin, "admin").await;
    let a = f
        .app
        .call(&admin, "POST", &format!("/workspaces/{}/api-keys", f.ws), Some(json!({"name": "admin's", "scopes": ["posts:read"]})))
        .await;
    let key = a.body["key"].as_str().unwrap().to_owned();
    assert_eq!(call(&f.app, &key, "GET", "/posts", None).await.status, StatusCode::OK);
    f.app.db.superuser().await.execute("delete from postiz.workspace_members where user_id = $1", &[&admin.user.id]).await.unwrap();
    let a = call(&f.app, &key, "GET", "/posts", None).await;
    assert_eq!((a.status, a.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("api_key_inactive")));
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_returns_the_first_post() {
    let f = fixture().await;
    let (key, _) = make_key(&f, f.ws, &["posts:read", "posts:write"]).await;
    let at = (Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M:00Z").to_string();
    let body = json!({"content": "From Zapier", "targets": [f.account], "schedule": {"kind": "once", "at": at}});
    let auth = format!("Bearer {key}");
    let first = call_auth(&f.app, Some(&auth), "POST", "/posts", Some(body.clone()), &[("idempotency-key", "zap-123")]).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.body["status"], "scheduled");
    assert_eq!(first.body["author_id"], f.owner.user.id.to_string(), "posts made with a key are the key creator's");
    let again = call_auth(&f.app, Some(&auth), "POST", "/posts", Some(body.clone()), &[("idempotency-key", "zap-123")]).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.body["content"], "From Zapier");
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 1);

    // Read, update, list, status, delete: all through the key.
    let id = first.body["id"].as_str().unwrap();
    let got = call(&f.app, &key, "GET", &format!("/posts/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    let upd = call(&f.app, &key, "PATCH", &format!("/posts/{id}"), Some(json!({"content": "Edited by a script"}))).await;
    assert_eq!(upd.status, StatusCode::OK, "{}", upd.body);
    assert_eq!(upd.body["content"], "Edited by a script");
    let bad = call(&f.app, &key, "PATCH", &format!("/posts/{id}"), Some(json!({"contnet": "typo"}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["fields"][0]["field"], "contnet");
    let st = call(&f.app, &key, "POST", &format!("/posts/{id}/status"), Some(json!({"status": "draft"}))).await;
    assert_eq!(st.status, StatusCode::OK, "{}", st.body);
    assert_eq!(st.body["status"], "draft");
    let list = call(&f.app, &key, "GET", "/posts", None).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let del = call(&f.app, &key, "DELETE", &format!("/posts/{id}"), None).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 0);
}

/// POSTs `body` as it is (bytes, not re-serialized) with `content_type`.
async fn post_raw(app: &TestApp, key: &str, path: &str, content_type: Option<&str>, body: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req =
        Request::builder().method("POST").uri(format!("{BASE}{PUBLIC}{path}")).header(header::AUTHORIZATION, format!("Bearer {key}"));
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app.router.clone().oneshot(req.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Answer { status: parts.status, headers: parts.headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

#[tokio::test]
async fn an_idempotency_key_reused_for_a_different_body_is_refused_and_writes_nothing() {
    let f = fixture().await;
    let (key, _) = make_key(&f, f.ws, &["posts:read", "posts:write"]).await;
    let key_header = [("idempotency-key", "zap-7")];
    let first =
        post_raw(&f.app, &key, "/posts", Some("application/json"), r#"{"content": "Launch day", "status": "draft"}"#, &key_header).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    // The same request formatted differently (key order, whitespace) is the same request.
    let retry = post_raw(
        &f.app,
        &key,
        "/posts",
        Some("application/json; charset=utf-8"),
        r#"{"status":"draft","content":"Launch day"}"#,
        &key_header,
    )
    .await;
    assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
    assert_eq!(retry.body["id"], first.body["id"]);
    // A different body under the same key: refused, named, nothing written or changed.
    let other = post_raw(
        &f.app,
        &key,
        "/posts",
        Some("application/json"),
        r#"{"content": "Something else entirely", "status": "draft"}"#,
        &key_header,
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", other.body);
    assert_eq!(other.body["error"]["code"], "idempotency_key_reused");
    let message = other.body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("Idempotency-Key: \"zap-7\" was already used in this workspace for a different request"), "{message}");
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 1);
    let got = call(&f.app, &key, "GET", &format!("/posts/{}", first.body["id"].as_str().unwrap()), None).await;
    assert_eq!(got.body["content"], "Launch day");
    // Keys are per workspace, not per API key: another key of the workspace meets the same rule
    // (and gets the first post back with the first body), and the UI route shares the scope.
    let (second_key, _) = make_key(&f, f.ws, &["posts:write"]).await;
    let by_other_key =
        post_raw(&f.app, &second_key, "/posts", Some("application/json"), r#"{"content": "Launch day", "status": "draft"}"#, &key_header)
            .await;
    assert_eq!((by_other_key.status, by_other_key.body["id"].clone()), (StatusCode::OK, first.body["id"].clone()), "{}", by_other_key.body);
    let ui = f
        .app
        .call_with(&f.owner, "POST", &format!("/workspaces/{}/posts", f.ws), Some(json!({"content": "From the UI"})), &key_header)
        .await;
    assert_eq!(
        (ui.status, ui.body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused")),
        "{}",
        ui.body
    );
    // Another workspace has its own keys.
    let elsewhere =
        f.app.call_with(&f.owner, "POST", &format!("/workspaces/{}/posts", f.other_ws), Some(json!({"content": "B"})), &key_header).await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "{}", elsewhere.body);

    // A post from before requests were recorded (no hash) is returned for any body, as before.
    f.app
        .db
        .superuser()
        .await
        .execute("insert into postiz.posts (workspace_id, content, idempotency_key) values ($1, 'legacy', 'old-key')", &[&f.ws])
        .await
        .unwrap();
    let legacy =
        post_raw(&f.app, &key, "/posts", Some("application/json"), r#"{"content": "whatever"}"#, &[("idempotency-key", "old-key")]).await;
    assert_eq!(legacy.status, StatusCode::OK, "{}", legacy.body);
    assert_eq!(legacy.body["content"], "legacy");
}

#[tokio::test]
async fn json_endpoints_refuse_bodies_not_sent_as_json_with_415_in_the_error_shape() {
    let f = fixture().await;
    let (key, _) = make_key(&f, f.ws, &["posts:write", "media:write"]).await;
    let body = r#"{"content": "sent as a form would be"}"#;
    for ct in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data; boundary=x")] {
        for path in ["/posts", "/media/from-url"] {
            let a = post_raw(&f.app, &key, path, ct, body, &[]).await;
            assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path} {ct:?}: {}", a.body);
            assert_eq!(a.body["error"]["code"], "unsupported_content_type", "{path} {ct:?}");
            assert!(
                a.body["error"]["message"].as_str().unwrap().starts_with("Content-Type: this endpoint takes a JSON body"),
                "{}",
                a.body
            );
            assert!(!a.body["request_id"].as_str().unwrap().is_empty());
        }
    }
    // The UI endpoints too (cookie or bearer session alike).
    let a = f
        .app
        .send(
            Request::builder()
                .method("POST")
                .uri(format!("{BASE}/workspaces/{}/tags", f.ws))
                .header(header::AUTHORIZATION, format!("Bearer {}", f.owner.token))
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(r#"{"name": "x"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(a.0.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(a.1["error"]["code"], "unsupported_content_type");
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 0);
    assert_eq!(f.app.count("select count(*) from postiz.tags").await, 0);
    // A JSON type with parameters, or a +json type, is JSON.
    let ok = post_raw(&f.app, &key, "/posts", Some("application/json; charset=utf-8"), body, &[]).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
}

#[tokio::test]
async fn a_key_of_one_workspace_cannot_see_or_touch_another_even_of_its_creator() {
    let f = fixture().await;
    let (key, key_id) = make_key(&f, f.ws, &["posts:read", "posts:write", "media:read"]).await;
    // The creator owns both workspaces; B has a post.
    let theirs =
        f.app.call(&f.owner, "POST", &format!("/workspaces/{}/posts", f.other_ws), Some(json!({"content": "B's secret plan"}))).await;
    assert_eq!(theirs.status, StatusCode::CREATED);
    let b_post = theirs.body["id"].as_str().unwrap();
    for (method, body) in [("GET", None), ("PATCH", Some(json!({"content": "hijacked"}))), ("DELETE", None)] {
        let a = call(&f.app, &key, method, &format!("/posts/{b_post}"), body).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{method}: {}", a.body);
    }
    assert!(call(&f.app, &key, "GET", "/posts", None).await.body["items"].as_array().unwrap().is_empty());
    let still = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/posts/{b_post}", f.other_ws), None).await;
    assert_eq!(still.body["content"], "B's secret plan");

    // In the database itself: the key's claims reach A only, and never beyond editor.
    let claims = json!({"sub": f.owner.user.id, "role": "authenticated",
                        "postiz_api_key": {"id": key_id, "workspace_id": f.ws}});
    let s = f.app.db.session(DbRole::Authenticated, &claims).await;
    let count = |sql: &'static str| {
        let s = &s;
        async move { s.query(sql, &[]).await.unwrap()[0].get::<_, i64>(0) }
    };
    assert_eq!(count("select count(*) from postiz.posts").await, 0);
    assert_eq!(count("select count(*) from postiz.workspaces").await, 1);
    assert_eq!(count("select count(*) from postiz_private.workspaces_with_role('editor')").await, 1);
    assert_eq!(count("select count(*) from postiz_private.workspaces_with_role('admin')").await, 0, "an owner's key is an editor");
    assert_eq!(count("select count(*) from postiz.api_keys").await, 0, "a key cannot see keys (admins only)");
    // A claim naming someone else's key grants nothing.
    let stranger = f.app.actor("stranger@example.com").await;
    let forged = json!({"sub": stranger.user.id, "role": "authenticated", "postiz_api_key": {"id": key_id, "workspace_id": f.ws}});
    let s2 = f.app.db.session(DbRole::Authenticated, &forged).await;
    assert_eq!(s2.query("select count(*) from postiz.workspaces", &[]).await.unwrap()[0].get::<_, i64>(0), 0);
}

#[tokio::test]
async fn over_the_limit_a_key_gets_429_with_retry_after_and_other_keys_do_not() {
    let f = fixture_with(3).await;
    let (key, _) = make_key(&f, f.ws, &["posts:read"]).await;
    let (other, _) = make_key(&f, f.ws, &["posts:read"]).await;
    for i in 0..3 {
        assert_eq!(call(&f.app, &key, "GET", "/posts", None).await.status, StatusCode::OK, "request {i}");
    }
    let a = call(&f.app, &key, "GET", "/posts", None).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "rate_limited");
    let retry: u64 = a.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry), "3/min refills one every 20 s: {retry}");
    assert!(a.headers.contains_key("x-request-id"));
    assert_eq!(call(&f.app, &other, "GET", "/posts", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn media_upload_through_the_public_api_needs_media_write() {
    let f = fixture().await;
    let (key, _) = make_key(&f, f.ws, &["media:write", "media:read"]).await;
    let (no_media, _) = make_key(&f, f.ws, &["posts:write"]).await;
    let png = {
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([10, 200, 30]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let send = |k: String| {
        let png = png.clone();
        let app = &f.app;
        async move {
            let boundary = "b0undary";
            let mut body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.gif\"\r\nContent-Type: image/gif\r\n\r\n"
            )
            .into_bytes();
            body.extend_from_slice(&png);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let req = Request::builder()
                .method("POST")
                .uri(format!("{BASE}{PUBLIC}/media"))
                .header(header::AUTHORIZATION, k)
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
                .body(Body::from(body))
                .unwrap();
            let res = app.router.clone().oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
        }
    };
    let (status, body) = send(no_media).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = send(key.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["mime_type"], "image/png");
    let id = body["id"].as_str().unwrap();
    assert_eq!(body["url"], format!("{BASE}{PUBLIC}/media/{id}/content"));
    let got = call(&f.app, &key, "GET", &format!("/media/{id}"), None).await;
    assert_eq!(got.status, StatusCode::OK);
    let a = call_auth(&f.app, Some(&key), "GET", &format!("/media/{id}/content"), None, &[]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CONTENT_TYPE], "image/png");
}

#[tokio::test]
async fn an_import_from_a_url_through_the_public_api_refuses_our_own_network() {
    // The public fixture allows no private network: the import must refuse a loopback URL
    // before any request leaves (the reachable case is in media_http.rs).
    let f = fixture().await;
    let server = wiremock::MockServer::start().await;
    let (key, _) = make_key(&f, f.ws, &["media:write"]).await;
    let a = call(&f.app, &key, "POST", "/media/from-url", Some(json!({"url": format!("{}/a.png", server.uri())}))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["field"], "url");
    assert!(a.body["error"]["message"].as_str().unwrap().contains("127.0.0.1"), "{}", a.body);
    assert!(server.received_requests().await.unwrap().is_empty());
    let a = call(&f.app, &key, "POST", "/media/from-url", Some(json!({"link": "https://cdn.example.com/a.png"}))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(f.app.count("select count(*) from postiz.media_assets").await, 0);
}

#[tokio::test]
async fn the_openapi_document_parses_lists_the_endpoints_and_matches_real_responses() {
    let f = fixture().await;
    let doc = call_auth(&f.app, None, "GET", "/openapi.json", None, &[]).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc.body["servers"][0]["url"], format!("{BASE}{PUBLIC}"));
    let paths: Vec<&str> = doc.body["paths"].as_object().unwrap().keys().map(String::as_str).collect();
    for p in [
        "/me",
        "/posts",
        "/posts/{id}",
        "/posts/{id}/status",
        "/posts/{id}/targets/{target}/resolve",
        "/media",
        "/media/from-url",
        "/media/{id}",
        "/accounts",
        "/accounts/{id}/next-slot",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    let post = &doc.body["paths"]["/posts"]["post"];
    assert_eq!(post["security"][0]["api_key"], json!(["posts:write"]));
    assert!(post["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "Idempotency-Key"));
    assert!(doc.body["components"]["securitySchemes"]["api_key"].is_object());

    // Every documented field of a post and an account is in the real responses.
    let (key, _) = make_key(&f, f.ws, &["posts:write", "accounts:read"]).await;
    let real_post = call(&f.app, &key, "POST", "/posts", Some(json!({"content": "doc check"}))).await.body;
    let real_account = call(&f.app, &key, "GET", "/accounts", None).await.body[0].clone();
    for (schema, real) in [("PostDoc", &real_post), ("AccountDoc", &real_account)] {
        for field in doc.body["components"]["schemas"][schema]["properties"].as_object().unwrap().keys() {
            assert!(real.get(field).is_some(), "{schema}.{field} is documented but not returned: {real}");
        }
    }
    // The document is served without a key but other routes are not.
    assert_eq!(call_auth(&f.app, None, "GET", "/posts", None, &[]).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_key_resolves_an_unconfirmed_target_once_with_the_write_scope() {
    let f = fixture().await;
    let (writer, _) = make_key(&f, f.ws, &["posts:read", "posts:write"]).await;
    let (reader, _) = make_key(&f, f.ws, &["posts:read"]).await;
    let when = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let created = call(
        &f.app,
        &writer,
        "POST",
        "/posts",
        Some(json!({"content": "Hello", "targets": [f.account], "schedule": {"kind": "once", "at": when}})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let post = created.body["id"].as_str().unwrap().to_owned();
    let target = created.body["targets"][0]["id"].as_str().unwrap().to_owned();
    // What the worker leaves when a request timed out after it was sent.
    let su = f.app.db.superuser().await;
    su.batch_execute(&format!(
        "insert into postiz.queue_jobs (workspace_id, target_id, social_account_id, schedule_id, occurrence, network, scheduled_at, run_at, status, completed_at, last_error_code)
         select t.workspace_id, t.id, t.social_account_id, s.id, s.starts_at, 'mastodon', s.starts_at, s.starts_at, 'unconfirmed', now(), 'outcome_unknown'
         from postiz.post_targets t join postiz.schedules s on s.post_id = t.post_id where t.post_id = '{post}';
         update postiz.post_targets set status = 'unconfirmed', last_error_code = 'outcome_unknown' where post_id = '{post}';"
    ))
    .await
    .unwrap();
    let path = format!("/posts/{post}/targets/{target}/resolve");

    let refused = call(&f.app, &reader, "POST", &path, Some(json!({"outcome": "publish_again"}))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let again = call(&f.app, &writer, "POST", &path, Some(json!({"outcome": "publish_again"}))).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["targets"][0]["status"], "queued");
    let twice = call(&f.app, &writer, "POST", &path, Some(json!({"outcome": "publish_again"}))).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert_eq!(twice.body["error"]["code"], "wrong_state");
    assert_eq!(f.app.count("select count(*) from pgmq.q_publish").await, 1, "queued exactly once");
}
