//! Tenancy over HTTP, table-driven over the routes: a member of workspace A gets 404 (never 403)
//! for every resource of workspace B, whichever workspace id the path names; a viewer gets 403
//! for every write in their own workspace and 200 for the reads.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

/// One workspace with one of everything, owned by `owner`.
struct Tenant {
    owner: Actor,
    ws: Uuid,
    account: Uuid,
    post: Uuid,
    tag: Uuid,
    schedule: Uuid,
    comment: Uuid,
    invite: Uuid,
}

async fn tenant(app: &TestApp, name: &str) -> Tenant {
    let owner = app.actor(&format!("{name}@example.com")).await;
    let ws = app.workspace(&owner, name, "UTC").await;
    let account = app.account(ws, "mastodon", &format!("{name}_m")).await;
    let tag: Uuid = app.call(&owner, "POST", &format!("/workspaces/{ws}/tags"), Some(json!({"name": "t"}))).await.body["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let at = (Utc::now() + Duration::days(3)).format("%Y-%m-%dT%H:%M:00Z").to_string();
    let post = app
        .call(
            &owner,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "hi", "targets": [account], "tags": [tag], "schedule": {"kind": "once", "at": at}})),
        )
        .await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.body);
    let schedule = post.body["schedule"]["id"].as_str().unwrap().parse().unwrap();
    let post: Uuid = post.body["id"].as_str().unwrap().parse().unwrap();
    let comment =
        app.call(&owner, "POST", &format!("/workspaces/{ws}/posts/{post}/comments"), Some(json!({"body": "looks good"}))).await.body["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
    let invite = app
        .call(&owner, "POST", &format!("/workspaces/{ws}/invites"), Some(json!({"email": format!("guest-{name}@example.com")})))
        .await
        .body["invite"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    Tenant { owner, ws, account, post, tag, schedule, comment, invite }
}

/// Every route that names a workspace resource, with a body that would be valid.
fn routes(ws: Uuid, t: &Tenant) -> Vec<(&'static str, String, Option<Value>)> {
    let (acc, post, tag, sched, comment, invite, user) = (t.account, t.post, t.tag, t.schedule, t.comment, t.invite, t.owner.user.id);
    let at = (Utc::now() + Duration::days(5)).format("%Y-%m-%dT%H:%M:00Z").to_string();
    vec![
        ("GET", format!("/workspaces/{ws}"), None),
        ("PATCH", format!("/workspaces/{ws}"), Some(json!({"name": "renamed"}))),
        ("DELETE", format!("/workspaces/{ws}"), None),
        ("GET", format!("/workspaces/{ws}/features"), None),
        ("GET", format!("/workspaces/{ws}/members"), None),
        ("PATCH", format!("/workspaces/{ws}/members/{user}"), Some(json!({"role": "viewer"}))),
        ("DELETE", format!("/workspaces/{ws}/members/{user}"), None),
        ("POST", format!("/workspaces/{ws}/transfer-ownership"), Some(json!({"user_id": user}))),
        ("GET", format!("/workspaces/{ws}/invites"), None),
        ("POST", format!("/workspaces/{ws}/invites"), Some(json!({"email": "someone@example.com"}))),
        ("DELETE", format!("/workspaces/{ws}/invites/{invite}"), None),
        ("GET", format!("/workspaces/{ws}/accounts"), None),
        ("GET", format!("/workspaces/{ws}/accounts/{acc}"), None),
        ("PATCH", format!("/workspaces/{ws}/accounts/{acc}"), Some(json!({"settings": {}}))),
        ("DELETE", format!("/workspaces/{ws}/accounts/{acc}"), None),
        ("GET", format!("/workspaces/{ws}/accounts/{acc}/next-slot"), None),
        ("GET", format!("/workspaces/{ws}/accounts/{acc}/composer-options"), None),
        ("GET", format!("/workspaces/{ws}/posts"), None),
        ("POST", format!("/workspaces/{ws}/posts"), Some(json!({"content": "x"}))),
        ("GET", format!("/workspaces/{ws}/posts/{post}"), None),
        ("PATCH", format!("/workspaces/{ws}/posts/{post}"), Some(json!({"content": "changed"}))),
        ("PATCH", format!("/workspaces/{ws}/posts/{post}"), Some(json!({"schedule": {"kind": "once", "at": at}}))),
        ("DELETE", format!("/workspaces/{ws}/posts/{post}"), None),
        ("POST", format!("/workspaces/{ws}/posts/{post}/duplicate"), None),
        ("POST", format!("/workspaces/{ws}/posts/{post}/status"), Some(json!({"status": "draft"}))),
        ("GET", format!("/workspaces/{ws}/posts/{post}/schedules"), None),
        ("GET", format!("/workspaces/{ws}/posts/{post}/comments"), None),
        ("POST", format!("/workspaces/{ws}/posts/{post}/comments"), Some(json!({"body": "hello"}))),
        ("DELETE", format!("/workspaces/{ws}/posts/{post}/comments/{comment}"), None),
        ("GET", format!("/workspaces/{ws}/schedules/{sched}"), None),
        ("POST", format!("/workspaces/{ws}/schedules/{sched}/cancel"), None),
        ("GET", format!("/workspaces/{ws}/tags"), None),
        ("POST", format!("/workspaces/{ws}/tags"), Some(json!({"name": "new"}))),
        ("PATCH", format!("/workspaces/{ws}/tags/{tag}"), Some(json!({"name": "renamed"}))),
        ("DELETE", format!("/workspaces/{ws}/tags/{tag}"), None),
        ("GET", format!("/workspaces/{ws}/activity"), None),
        ("GET", format!("/workspaces/{ws}/calendar?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z"), None),
    ]
}

/// Row counts of B's data: nothing may change when A pokes at it.
async fn snapshot(app: &TestApp, ws: Uuid) -> Vec<i64> {
    let mut out = vec![];
    for t in [
        "workspace_members",
        "workspace_invites",
        "social_accounts",
        "posts",
        "post_targets",
        "post_tags",
        "post_comments",
        "schedules",
        "tags",
    ] {
        out.push(app.count(&format!("select count(*) from postiz.{t} where workspace_id = '{ws}'")).await);
    }
    out.push(app.count(&format!("select count(*) from postiz.schedules where workspace_id = '{ws}' and status = 'pending'")).await);
    out.push(app.count(&format!("select count(*) from postiz.workspaces where id = '{ws}' and name in ('a', 'b')")).await);
    out
}

#[tokio::test]
async fn a_member_of_another_workspace_gets_404_for_everything() {
    let app = TestApp::new().await;
    let a = tenant(&app, "a").await;
    let b = tenant(&app, "b").await;
    let before = snapshot(&app, b.ws).await;
    // B's resources addressed under B's workspace id, and under A's own workspace id.
    let mut checked = 0;
    for ws in [b.ws, a.ws] {
        for (method, path, body) in routes(ws, &b) {
            if ws == a.ws
                && !path.contains(&b.post.to_string())
                && !path.contains(&b.account.to_string())
                && !path.contains(&b.tag.to_string())
                && !path.contains(&b.schedule.to_string())
                && !path.contains(&b.invite.to_string())
                && !path.contains(&b.owner.user.id.to_string())
            {
                continue; // A's own collections: not B's resources
            }
            let got = app.call(&a.owner, method, &path, body).await;
            assert_eq!(got.status, StatusCode::NOT_FOUND, "{method} {path}: {}", got.body);
            assert_eq!(got.body["error"]["code"], "not_found", "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 50, "{checked} requests checked");
    assert_eq!(snapshot(&app, b.ws).await, before, "nothing of B changed");
    // And A's own calls still work, so the 404s are not a broken setup.
    assert_eq!(app.call(&a.owner, "GET", &format!("/workspaces/{}/posts/{}", a.ws, a.post), None).await.status, StatusCode::OK);
    // Ids that are not even ids are 404 too.
    assert_eq!(app.call(&a.owner, "GET", &format!("/workspaces/{}/posts/not-an-id", a.ws), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_viewer_reads_everything_and_writes_nothing() {
    let app = TestApp::new().await;
    let t = tenant(&app, "a").await;
    let viewer = app.actor("viewer@example.com").await;
    app.add_member(t.ws, &viewer, "viewer").await;
    let before = snapshot(&app, t.ws).await;
    let mut writes = 0;
    for (method, path, body) in routes(t.ws, &t) {
        let got = app.call(&viewer, method, &path, body).await;
        if method == "GET" && path.ends_with("/invites") {
            assert_eq!(got.status, StatusCode::FORBIDDEN, "invitations are for admins: {}", got.body);
        } else if method == "GET" && path.ends_with("/composer-options") {
            assert_eq!(got.status, StatusCode::FORBIDDEN, "composing is for editors: {}", got.body);
        } else if method == "GET" {
            assert_eq!(got.status, StatusCode::OK, "{method} {path}: {}", got.body);
        } else {
            assert_eq!(got.status, StatusCode::FORBIDDEN, "{method} {path}: {}", got.body);
            assert_eq!(got.body["error"]["code"], "forbidden");
            writes += 1;
        }
    }
    assert_eq!(writes, 21, "every write route");
    assert_eq!(snapshot(&app, t.ws).await, before, "nothing changed");
}
