//! Client review links over HTTP against real PostgreSQL: admins create (the token shown once,
//! only its hash stored), list and revoke; editors cannot; a reviewer with no session reads the
//! link's posts with the token in a header, requests changes (the note required, named by its
//! label), comments, and reaches no post outside the link; the team sees the decision and the
//! comment under the reviewer's name; a dead link gets one sentence; the token never reaches
//! the logs.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, Utc};
use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const DEAD: &str = "This review link has expired or was withdrawn. Ask for a new one.";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A reviewer's request: no session, the token (if any) in `X-Review-Token`.
async fn reviewer(app: &TestApp, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(format!("{BASE}{path}"));
    if let Some(t) = token {
        req = req.header("x-review-token", t);
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    let (res, body) = app.send(req).await;
    (res.status(), body)
}

#[tokio::test]
async fn a_client_reviews_through_a_link_and_the_team_sees_it() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt().with_writer(capture.clone()).with_max_level(tracing::Level::TRACE).with_ansi(false).finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");

    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let admin = app.actor("admin@example.com").await;
    let editor = app.actor("editor@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Paris").await;
    app.add_member(ws, &admin, "admin").await;
    app.add_member(ws, &editor, "editor").await;
    let account = app.account(ws, "mastodon", "acme@social.example").await;
    let at = (Utc::now() + Duration::days(3)).to_rfc3339();
    let mut posts = Vec::new();
    for content in ["Spring launch", "Internal teaser"] {
        let created = app
            .call(
                &editor,
                "POST",
                &format!("/workspaces/{ws}/posts"),
                Some(json!({"content": content, "targets": [account], "schedule": {"kind": "once", "at": at}})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        posts.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let (post, other) = (&posts[0], &posts[1]);
    let links = format!("/workspaces/{ws}/review-links");

    // Editors cannot share; bad fields are named by their labels.
    let no = app.call(&editor, "POST", &links, Some(json!({"label": "Acme", "post_id": post}))).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN, "{}", no.body);
    let bad = app.call(&admin, "POST", &links, Some(json!({"label": " ", "post_id": post, "expires_in_days": 31}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let messages: Vec<&str> = bad.body["error"]["fields"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(messages, ["Label must not be empty", "Expires in must be between 1 and 30 days"]);
    let backwards =
        app.call(&admin, "POST", &links, Some(json!({"label": "Week", "range_start": "2030-03-10", "range_end": "2030-03-01"}))).await;
    assert_eq!(backwards.body["error"]["fields"][0]["message"], "To must be on or after From", "{}", backwards.body);

    // An admin shares the post: the token once, its hash only at rest.
    let created = app.call(&admin, "POST", &links, Some(json!({"label": "Acme launch", "post_id": post}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = created.body["token"].as_str().unwrap().to_owned();
    let link_id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["url"], format!("{BASE}/review#{token}"), "the token travels in the fragment");
    assert_eq!(created.body["state"], "active");
    let expires: chrono::DateTime<Utc> = created.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert!((expires - Utc::now() - Duration::days(7)).num_minutes().abs() < 5, "a week by default");
    let stored: Vec<u8> = app.db.superuser().await.query_one("select token_hash from postiz.review_links", &[]).await.unwrap().get(0);
    assert_eq!(stored, Sha256::digest(token.as_bytes()).to_vec(), "only the SHA-256 is stored");
    let listed = app.call(&editor, "GET", &links, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert_eq!(listed.body[0]["label"], "Acme launch");
    assert!(!listed.body.to_string().contains(&token), "the list never shows the token");
    assert!(listed.body[0]["created_by_name"].is_string(), "the list names who made the link: {}", listed.body);

    // The reviewer page itself is served without a session and forbids framing and referrers.
    let page = app.send(get("/review").body(Body::empty()).unwrap()).await.0;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");

    // The reviewer: no session, the token in a header.
    let (status, body) = reviewer(&app, "GET", "/review-link", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["label"], "Acme launch");
    assert_eq!(body["time_zone"], "Europe/Paris");
    assert!(body.get("workspace_id").is_none(), "internal ids stay inside");
    let shown: Vec<&str> = body["posts"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(shown, [post.as_str()], "the link shows its post and no other");
    assert_eq!(body["posts"][0]["targets"][0]["network"], "mastodon");
    assert_eq!(body["posts"][0]["targets"][0]["text"], "Spring launch");
    let round = body["posts"][0]["round"].as_i64().expect("the page says which version it shows");

    // Missing, malformed, unknown or in the query string: one answer.
    for (path, t) in [
        ("/review-link".to_owned(), None),
        ("/review-link".to_owned(), Some("not-a-token")),
        ("/review-link".to_owned(), Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
        (format!("/review-link?token={token}"), None),
    ] {
        let (status, body) = reviewer(&app, "GET", &path, t, None).await;
        assert_eq!(status, StatusCode::GONE, "{path} {t:?}: {body}");
        assert_eq!(body["error"]["message"], DEAD);
    }

    // Decisions: the note is required to request changes; another post is out of reach.
    let decide = format!("/review-link/posts/{post}/decisions");
    let (status, body) = reviewer(
        &app,
        "POST",
        &decide,
        Some(&token),
        Some(json!({"decision": "changes_requested", "note": " ", "name": "", "round": round})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let messages: Vec<&str> = body["error"]["fields"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(messages, ["Your name is required, so the team knows who answered", "Note is required: say what should change"]);
    let (status, body) = reviewer(
        &app,
        "POST",
        &format!("/review-link/posts/{other}/decisions"),
        Some(&token),
        Some(json!({"decision": "approved", "name": "Dana", "round": round})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["message"], "There is no such post in this review link");
    let (status, body) = reviewer(
        &app,
        "POST",
        &format!("/review-link/posts/{other}/comments"),
        Some(&token),
        Some(json!({"body": "sneaky", "name": "Dana"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Names are plain text: a bidi override (which would show "Dana tneilC" as "Dana Client") is
    // refused, named by its label.
    let (status, body) =
        reviewer(&app, "POST", &decide, Some(&token), Some(json!({"decision": "approved", "name": "Dana \u{202E}tneilC", "round": round})))
            .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "name");
    assert_eq!(body["error"]["fields"][0]["message"], "Your name must not contain control characters or text-direction marks");
    // A decision on a version the page no longer matches is refused, in words.
    let (status, body) = reviewer(
        &app,
        "POST",
        &decide,
        Some(&token),
        Some(json!({"decision": "rejected", "note": "No", "name": "Dana Client", "round": round - 1})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["message"], "This post changed since you opened the page; reload to see the new version.");

    let (status, body) = reviewer(
        &app,
        "POST",
        &decide,
        Some(&token),
        Some(json!({"decision": "changes_requested", "note": "Use the new logo", "name": "Dana Client", "round": round})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["posts"][0]["decisions"][0]["reviewer_name"], "Dana Client");
    assert_eq!(body["posts"][0]["status"], "pending_approval", "a client's change request takes the post off the schedule");
    let (status, body) =
        reviewer(&app, "POST", &decide, Some(&token), Some(json!({"decision": "approved", "name": "dana client", "round": round}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["message"], "You have already reviewed this version of the post");
    let (status, body) = reviewer(
        &app,
        "POST",
        &format!("/review-link/posts/{post}/comments"),
        Some(&token),
        Some(json!({"body": "Love the colours though", "name": "Dana Client"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["posts"][0]["comments"][0]["body"], "Love the colours though");

    // The team sees both under the reviewer's name, through which link, and the author is told.
    let approval = app.call(&editor, "GET", &format!("/workspaces/{ws}/posts/{post}/approval"), None).await;
    assert_eq!(approval.status, StatusCode::OK, "{}", approval.body);
    let d = &approval.body["decisions"][0];
    assert_eq!(d["decision"], "changes_requested");
    assert_eq!(d["decided_by"], Value::Null);
    assert_eq!(d["decided_by_name"], "Dana Client");
    assert_eq!(d["via_review_link"], "via review link Acme launch");
    let comments = app.call(&editor, "GET", &format!("/workspaces/{ws}/posts/{post}/comments"), None).await;
    assert_eq!(comments.body[0]["author_name"], "Dana Client", "{}", comments.body);
    assert_eq!(comments.body[0]["via_review_link"], "via review link Acme launch");
    let inbox = app.call(&editor, "GET", &format!("/workspaces/{ws}/notifications"), None).await;
    assert!(inbox.body.to_string().contains("Dana Client"), "the author is told who answered: {}", inbox.body);

    // Revoked: the same sentence; only admins revoke.
    let revoke = format!("{links}/{link_id}/revoke");
    let no = app.call(&editor, "POST", &revoke, None).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN, "{}", no.body);
    let revoked = app.call(&admin, "POST", &revoke, None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(revoked.body["state"], "revoked");
    let (status, body) = reviewer(&app, "GET", "/review-link", Some(&token), None).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["error"]["message"], DEAD);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("review-link"), "the reviewer requests were logged: {logs}");
    assert!(!logs.contains(&token), "the token never reaches the logs");
}

#[tokio::test]
async fn a_range_link_reaches_its_days_and_accounts_only() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let elsewhere = app.workspace(&owner, "other", "UTC").await;
    let masto = app.account(ws, "mastodon", "acme@social.example").await;
    let sky = app.account(ws, "bluesky", "acme.bsky.social").await;
    let foreign = app.account(elsewhere, "mastodon", "other@social.example").await;
    let day = Utc::now().date_naive() + Duration::days(5);
    let at = |h: u32| day.and_hms_opt(h, 0, 0).unwrap().and_utc().to_rfc3339();
    let mut ids = Vec::new();
    for (w, acc, when) in [
        (ws, masto, at(9)),
        (ws, sky, at(10)),
        (ws, masto, (day + Duration::days(1)).and_hms_opt(9, 0, 0).unwrap().and_utc().to_rfc3339()),
        (elsewhere, foreign, at(9)),
    ] {
        let created = app
            .call(
                &owner,
                "POST",
                &format!("/workspaces/{w}/posts"),
                Some(json!({"content": "p", "targets": [acc], "schedule": {"kind": "once", "at": when}})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let bad = app
        .call(
            &owner,
            "POST",
            &format!("/workspaces/{ws}/review-links"),
            Some(json!({"label": "Week", "range_start": day, "range_end": day, "social_account_ids": [foreign]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["error"]["fields"][0]["message"], "Accounts names an account that is not in this workspace");
    let created = app
        .call(
            &owner,
            "POST",
            &format!("/workspaces/{ws}/review-links"),
            Some(json!({"label": "Week", "range_start": day, "range_end": day, "social_account_ids": [masto], "expires_in_days": 1})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = created.body["token"].as_str().unwrap().to_owned();
    let (status, body) = reviewer(&app, "GET", "/review-link", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let shown: Vec<&str> = body["posts"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(shown, [ids[0].as_str()], "that day, that account, this workspace only");
}

#[tokio::test]
async fn junk_tokens_do_not_drain_the_shared_limit() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let account = app.account(ws, "mastodon", "acme@social.example").await;
    let created = app.call(&owner, "POST", &format!("/workspaces/{ws}/posts"), Some(json!({"content": "p", "targets": [account]}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let post = created.body["id"].as_str().unwrap().to_owned();
    let link = app.call(&owner, "POST", &format!("/workspaces/{ws}/review-links"), Some(json!({"label": "Acme", "post_id": post}))).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.body);
    let token = link.body["token"].as_str().unwrap().to_owned();

    // More junk than the total burst (200): each is a dead link, none is counted.
    for i in 0..300 {
        let (status, body) = reviewer(&app, "GET", "/review-link", Some(&format!("junk-{i}")), None).await;
        assert_eq!(status, StatusCode::GONE, "junk {i}: {body}");
    }
    let (status, body) = reviewer(&app, "GET", "/review-link", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "a real reviewer still gets in after a flood of junk: {body}");
}
