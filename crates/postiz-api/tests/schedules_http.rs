//! Schedules over HTTP: a post's schedules, one schedule, cancelling one.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_posts_schedules_can_be_read_and_cancelled() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Paris").await;
    let acc = app.account(ws, "mastodon", "acme").await;
    let start = (Utc::now() + Duration::days(2)).format("%Y-%m-%dT09:00:00Z").to_string();
    let post = app
        .call(
            &owner,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "weekly", "targets": [acc],
              "schedule": {"kind": "recurring", "starts_at": start, "rrule": "FREQ=DAILY", "time_zone": "Europe/Paris"}})),
        )
        .await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.body);
    let post_id = post.body["id"].as_str().unwrap();

    let list = app.call(&owner, "GET", &format!("/workspaces/{ws}/posts/{post_id}/schedules"), None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    let s = &list.body[0];
    assert_eq!(
        (s["kind"].as_str(), s["rrule"].as_str(), s["time_zone"].as_str()),
        (Some("recurring"), Some("FREQ=DAILY"), Some("Europe/Paris"))
    );
    assert_eq!(s["status"], "pending");
    assert_eq!(s["next_run_at"], s["starts_at"], "armed for the first run");
    let id = s["id"].as_str().unwrap();

    let one = app.call(&owner, "GET", &format!("/workspaces/{ws}/schedules/{id}"), None).await;
    assert_eq!(one.body["post_id"], post_id);
    let cancel = app.call(&owner, "POST", &format!("/workspaces/{ws}/schedules/{id}/cancel"), None).await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.body);
    assert_eq!(cancel.body["status"], "canceled");
    assert_eq!(cancel.body["revision"], 1, "cancelling bumps the revision, so queued jobs are dropped");
}
