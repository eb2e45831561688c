//! Unconfirmed targets resolved by a person over HTTP against real PostgreSQL: "it is on the
//! network" with a URL checked for the network, "publish again" queued exactly once, both in the
//! activity log; viewers refused.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn a_person_resolves_an_unconfirmed_post_once() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let editor = app.actor("editor@example.com").await;
    let viewer = app.actor("viewer@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &editor, "editor").await;
    app.add_member(ws, &viewer, "viewer").await;
    let mastodon = app.account(ws, "mastodon", "acme@social.example").await;
    let bluesky = app.account(ws, "bluesky", "acme.bsky.social").await;
    let when = (Utc::now() + Duration::days(1)).to_rfc3339();
    let created = app
        .call(
            &editor,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "Hello", "targets": [mastodon, bluesky], "schedule": {"kind": "once", "at": when}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let post: Uuid = created.body["id"].as_str().unwrap().parse().unwrap();

    // What the worker leaves when both requests timed out after sending.
    let su = app.db.superuser().await;
    su.execute(
        "insert into postiz.queue_jobs (workspace_id, target_id, social_account_id, schedule_id, occurrence, network, scheduled_at, run_at, status, completed_at, last_error_code)
         select t.workspace_id, t.id, t.social_account_id, s.id, s.starts_at, a.network, s.starts_at, s.starts_at, 'unconfirmed', now(), 'outcome_unknown'
         from postiz.post_targets t join postiz.social_accounts a on a.id = t.social_account_id
         join postiz.schedules s on s.post_id = t.post_id where t.post_id = $1",
        &[&post],
    )
    .await
    .unwrap();
    su.execute("update postiz.post_targets set status = 'unconfirmed', last_error_code = 'outcome_unknown' where post_id = $1", &[&post])
        .await
        .unwrap();
    let target = |network: &str| -> String {
        created.body["targets"].as_array().unwrap().iter().find(|t| t["account"]["network"] == network).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let resolve = |t: String| format!("/workspaces/{ws}/posts/{post}/targets/{t}/resolve");

    let by_viewer = app.call(&viewer, "POST", &resolve(target("mastodon")), Some(json!({"outcome": "publish_again"}))).await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN, "{}", by_viewer.body);
    let wrong_host = app
        .call(&editor, "POST", &resolve(target("bluesky")), Some(json!({"outcome": "on_network", "url": "https://evil.example/post"})))
        .await;
    assert_eq!(wrong_host.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong_host.body);
    assert_eq!(wrong_host.body["error"]["fields"][0]["field"], "url");
    assert_eq!(wrong_host.body["error"]["fields"][0]["message"], "is not a Bluesky address (expected bsky.app)");

    let confirmed = app
        .call(
            &editor,
            "POST",
            &resolve(target("bluesky")),
            Some(json!({"outcome": "on_network", "url": "https://bsky.app/profile/acme.bsky.social/post/3kabc"})),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let bsky = confirmed.body["targets"].as_array().unwrap().iter().find(|t| t["account"]["network"] == "bluesky").unwrap().clone();
    assert_eq!(bsky["status"], "published");
    assert_eq!(bsky["external_url"], "https://bsky.app/profile/acme.bsky.social/post/3kabc");

    let again = app.call(&editor, "POST", &resolve(target("mastodon")), Some(json!({"outcome": "publish_again"}))).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let masto = again.body["targets"].as_array().unwrap().iter().find(|t| t["account"]["network"] == "mastodon").unwrap().clone();
    assert_eq!(masto["status"], "queued");
    assert_eq!(masto["jobs"][0]["status"], "queued");
    let twice = app.call(&owner, "POST", &resolve(target("mastodon")), Some(json!({"outcome": "publish_again"}))).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert_eq!(twice.body["error"]["code"], "wrong_state");
    assert_eq!(twice.body["error"]["message"], "This post's outcome is no longer unconfirmed (it is queued); reload to see it");
    assert_eq!(app.count("select count(*) from pgmq.q_publish").await, 1, "one publish message: re-queued exactly once");

    let log = app.call(&viewer, "GET", &format!("/workspaces/{ws}/activity"), None).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    let text = log.body.to_string();
    assert!(text.contains("target.confirmed") && text.contains("target.requeued"), "{text}");
}
