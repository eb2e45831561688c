//! Internal comments over HTTP: list, add, delete own; admins delete any; others may not.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn comments_are_added_listed_and_deleted_by_their_author_or_an_admin() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let alice = app.actor("alice@example.com").await;
    let bob = app.actor("bob@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &alice, "editor").await;
    app.add_member(ws, &bob, "editor").await;
    let post = app.call(&alice, "POST", &format!("/workspaces/{ws}/posts"), Some(json!({"content": "draft"}))).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/workspaces/{ws}/posts/{post}/comments");

    let c1 = app.call(&alice, "POST", &path, Some(json!({"body": "first"}))).await;
    assert_eq!(c1.status, StatusCode::CREATED, "{}", c1.body);
    assert_eq!(c1.body["author_id"], alice.user.id.to_string());
    assert_eq!(c1.body["is_mine"], true);
    let c2 = app.call(&bob, "POST", &path, Some(json!({"body": "second"}))).await;
    let empty = app.call(&bob, "POST", &path, Some(json!({"body": "   "}))).await;
    assert_eq!(empty.body["error"]["fields"][0]["field"], "body");

    let list = app.call(&alice, "GET", &path, None).await;
    let bodies: Vec<&str> = list.body.as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["first", "second"]);
    assert_eq!(list.body[1]["is_mine"], false);

    let c1_id = c1.body["id"].as_str().unwrap();
    let c2_id = c2.body["id"].as_str().unwrap();
    assert_eq!(app.call(&bob, "DELETE", &format!("{path}/{c1_id}"), None).await.status, StatusCode::FORBIDDEN, "not bob's");
    assert_eq!(app.call(&alice, "DELETE", &format!("{path}/{c1_id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.call(&owner, "DELETE", &format!("{path}/{c2_id}"), None).await.status, StatusCode::NO_CONTENT, "admins moderate");
    assert_eq!(app.count("select count(*) from postiz.post_comments").await, 0);
}
