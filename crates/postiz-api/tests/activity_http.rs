//! The activity log over HTTP: what users did, newest first, paged by id.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn activity_is_paged_newest_first() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await; // member.added
    for i in 0..4 {
        let a = app.call(&owner, "POST", &format!("/workspaces/{ws}/posts"), Some(json!({"content": format!("p{i}")}))).await;
        assert_eq!(a.status, StatusCode::CREATED);
    }
    let path = format!("/workspaces/{ws}/activity");
    let page1 = app.call(&owner, "GET", &format!("{path}?limit=3"), None).await;
    assert_eq!(page1.status, StatusCode::OK, "{}", page1.body);
    let items = page1.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|i| i["action"] == "post.created" && i["actor_id"] == owner.user.id.to_string()));
    let ids: Vec<i64> = items.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let before = page1.body["next_before"].as_i64().unwrap();
    assert_eq!(before, ids[2]);

    let page2 = app.call(&owner, "GET", &format!("{path}?limit=3&before={before}"), None).await;
    let actions: Vec<&str> = page2.body["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["post.created", "member.added"]);
    assert_eq!(page2.body["next_before"], serde_json::Value::Null, "last page");

    assert_eq!(app.call(&owner, "GET", &format!("{path}?limit=0"), None).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.call(&owner, "GET", &format!("{path}?before=abc"), None).await.status, StatusCode::BAD_REQUEST);
}
