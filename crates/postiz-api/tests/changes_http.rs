//! `GET /workspaces/{ws}/changes`: the version the UI polls changes when the worker publishes a
//! post in view (and only then), and never reflects another workspace.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use serde_json::json;
use uuid::Uuid;

fn q(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn scheduled_post(app: &TestApp, owner: &Actor, ws: Uuid, acc: Uuid, in_minutes: i64) -> Uuid {
    let at = Utc::now() + Duration::minutes(in_minutes);
    let created = app
        .call(
            owner,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "live", "targets": [acc], "schedule": {"kind": "once", "at": at}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["id"].as_str().unwrap().parse().unwrap()
}

/// What the worker does when a network accepted the post (as the service role, which the
/// superuser stands in for here): the target's status, from which the post's is derived.
async fn publish(app: &TestApp, post: Uuid) {
    app.db
        .superuser()
        .await
        .execute(
            "update postiz.post_targets set status = 'published', external_url = 'https://example.test/1' where post_id = $1",
            &[&post],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_version_moves_when_a_post_in_view_is_published_and_only_then() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let acc = app.account(ws, "mastodon", "acme").await;
    let post = scheduled_post(&app, &owner, ws, acc, 30).await;
    let (from, to) = (Utc::now() - Duration::days(1), Utc::now() + Duration::days(6));
    let window = format!("/workspaces/{ws}/changes?from={}&to={}", q(from), q(to));

    let first = app.call(&owner, "GET", &window, None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["posts"], 1);
    let again = app.call(&owner, "GET", &window, None).await;
    assert_eq!(again.body["version"], first.body["version"], "nothing changed, same version");

    publish(&app, post).await;
    let after = app.call(&owner, "GET", &window, None).await;
    assert_ne!(after.body["version"], first.body["version"], "a publish changes the version");
    assert_eq!(after.body["posts"], 1);
    // The detail screen's question about the one post sees it too.
    let detail = app.call(&owner, "GET", &format!("/workspaces/{ws}/changes?post={post}"), None).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert_eq!(detail.body["posts"], 1);
    assert_eq!(detail.body["changed_at"], after.body["changed_at"]);

    // A post outside the window does not move the window's version; a new one inside does.
    scheduled_post(&app, &owner, ws, acc, 60 * 24 * 30).await;
    assert_eq!(app.call(&owner, "GET", &window, None).await.body["version"], after.body["version"]);
    scheduled_post(&app, &owner, ws, acc, 90).await;
    let added = app.call(&owner, "GET", &window, None).await;
    assert_eq!(added.body["posts"], 2);
    assert_ne!(added.body["version"], after.body["version"]);
}

#[tokio::test]
async fn another_workspace_changes_are_never_seen_and_its_ids_answer_nothing() {
    let app = TestApp::new().await;
    let alice = app.actor("alice@example.com").await;
    let bob = app.actor("bob@example.com").await;
    let acme = app.workspace(&alice, "acme", "UTC").await;
    let globex = app.workspace(&bob, "globex", "UTC").await;
    let acme_acc = app.account(acme, "mastodon", "acme").await;
    let globex_acc = app.account(globex, "mastodon", "globex").await;
    scheduled_post(&app, &alice, acme, acme_acc, 30).await;
    let bobs = scheduled_post(&app, &bob, globex, globex_acc, 30).await;
    let (from, to) = (Utc::now() - Duration::days(1), Utc::now() + Duration::days(6));
    let window = |ws: Uuid| format!("/workspaces/{ws}/changes?from={}&to={}", q(from), q(to));

    let before = app.call(&alice, "GET", &window(acme), None).await;
    assert_eq!(before.body["posts"], 1, "only acme's post: {}", before.body);
    publish(&app, bobs).await;
    let after = app.call(&alice, "GET", &window(acme), None).await;
    assert_eq!(after.body["version"], before.body["version"], "globex's publish does not show in acme's version");

    // Alice asking about globex, or about bob's post through her own workspace, learns nothing.
    let foreign = app.call(&alice, "GET", &window(globex), None).await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{}", foreign.body);
    let through_own = app.call(&alice, "GET", &format!("/workspaces/{acme}/changes?post={bobs}"), None).await;
    assert_eq!(through_own.status, StatusCode::OK);
    assert_eq!((through_own.body["posts"].as_i64(), through_own.body["changed_at"].is_null()), (Some(0), true), "{}", through_own.body);
    let foreign_post = app.call(&alice, "GET", &format!("/workspaces/{globex}/changes?post={bobs}"), None).await;
    assert_eq!(foreign_post.status, StatusCode::NOT_FOUND);
    // Bob sees his own change.
    assert_eq!(app.call(&bob, "GET", &window(globex), None).await.body["posts"], 1);
}

#[tokio::test]
async fn a_question_without_a_window_or_post_is_refused_naming_what_is_missing() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let none = app.call(&owner, "GET", &format!("/workspaces/{ws}/changes"), None).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(none.body.to_string().contains("give a window"), "{}", none.body);
    let half = app.call(&owner, "GET", &format!("/workspaces/{ws}/changes?from={}", q(Utc::now())), None).await;
    assert_eq!(half.status, StatusCode::BAD_REQUEST);
    assert!(half.body.to_string().contains("both `from` and `to`"), "{}", half.body);
}
