//! Tags over HTTP: create, list with usage, rename/recolour, delete (which untags posts).
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn tags_crud() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let path = format!("/workspaces/{ws}/tags");

    let a = app.call(&owner, "POST", &path, Some(json!({"name": " Launch ", "color": "#00ff00"}))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["name"], "Launch", "trimmed");
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call(&owner, "POST", &path, Some(json!({"name": "Launch"}))).await.status, StatusCode::CONFLICT);
    let bad = app.call(&owner, "POST", &path, Some(json!({"name": "", "color": "green"}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = bad.body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "color"]);

    let post = app.call(&owner, "POST", &format!("/workspaces/{ws}/posts"), Some(json!({"content": "x", "tags": [id]}))).await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.body);
    let list = app.call(&owner, "GET", &path, None).await;
    assert_eq!(list.body[0]["post_count"], 1);
    assert_eq!(list.body[0]["evergreen"], false);

    let upd = app.call(&owner, "PATCH", &format!("{path}/{id}"), Some(json!({"color": "#123456"}))).await;
    assert_eq!(upd.status, StatusCode::OK);
    assert_eq!((upd.body["name"].as_str(), upd.body["color"].as_str()), (Some("Launch"), Some("#123456")));

    assert_eq!(app.call(&owner, "DELETE", &format!("{path}/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.call(&owner, "GET", &path, None).await.body, json!([]));
    let p = app.call(&owner, "GET", &format!("/workspaces/{ws}/posts/{}", post.body["id"].as_str().unwrap()), None).await;
    assert_eq!(p.body["tags"], json!([]), "the post lost the tag, not its life");
}
