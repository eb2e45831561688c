//! The posts list over HTTP: every post including undated drafts, text search, filters by tag,
//! account, status and author, sorts, keyset paging, authors by name, and never another
//! workspace's posts.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn at(days: i64) -> String {
    (Utc::now() + Duration::days(days)).format("%Y-%m-%dT%H:%M:00Z").to_string()
}

async fn post(app: &TestApp, actor: &Actor, ws: Uuid, body: Value) -> Uuid {
    let a = app.call(actor, "POST", &format!("/workspaces/{ws}/posts"), Some(body)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_str().unwrap().parse().unwrap()
}

fn texts(body: &Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|p| p["content_preview"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_list_searches_filters_sorts_and_pages_every_post_of_the_workspace() {
    let app = TestApp::new().await;
    let owner = app.actor("olivia@example.com").await;
    app.db
        .superuser()
        .await
        .execute("update auth.users set raw_user_meta_data = '{\"full_name\": \"Olivia Owner\"}' where id = $1", &[&owner.user.id])
        .await
        .unwrap();
    let editor = app.actor("ed@example.com").await;
    let viewer = app.actor("vic@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    app.add_member(ws, &editor, "editor").await;
    app.add_member(ws, &viewer, "viewer").await;
    let x = app.account(ws, "x", "acme_x").await;
    let mastodon = app.account(ws, "mastodon", "acme@social.example").await;
    let tag = app.call(&owner, "POST", &format!("/workspaces/{ws}/tags"), Some(json!({"name": "launch", "color": "#ff0000"}))).await;
    assert_eq!(tag.status, StatusCode::CREATED, "{}", tag.body);
    let tag: Uuid = tag.body["id"].as_str().unwrap().parse().unwrap();

    // Another workspace with the same words: never listed here.
    let stranger = app.actor("stranger@example.com").await;
    let other = app.workspace(&stranger, "other", "UTC").await;
    let other_x = app.account(other, "x", "other_x").await;
    post(&app, &stranger, other, json!({"content": "Launch day at OTHER", "targets": [other_x]})).await;

    let undated = post(&app, &owner, ws, json!({"content": "Launch teaser, undated draft", "targets": [x], "tags": [tag]})).await;
    let later = post(&app, &editor, ws, json!({"content": "LAUNCH day!", "targets": [x, mastodon], "schedule": {"kind": "once", "at": at(5)}})).await;
    let sooner = post(&app, &owner, ws, json!({"content": "Weekly digest", "targets": [mastodon], "schedule": {"kind": "once", "at": at(2)}})).await;
    let odd = post(&app, &owner, ws, json!({"content": "100% off_today", "targets": [x]})).await;

    let path = format!("/workspaces/{ws}/posts");
    let all = app.call(&viewer, "GET", &path, None).await;
    assert_eq!(all.status, StatusCode::OK, "a viewer may list: {}", all.body);
    assert_eq!(texts(&all.body), ["100% off_today", "Weekly digest", "LAUNCH day!", "Launch teaser, undated draft"], "newest first");
    let first = &all.body["items"][3];
    assert_eq!(first["id"], undated.to_string());
    assert_eq!(first["scheduled_at"], Value::Null, "undated drafts are listed");
    assert_eq!(first["author_name"], "Olivia Owner", "authors by their profile name");
    assert_eq!(first["tags"], json!([tag]));
    assert_eq!(all.body["items"][2]["author_name"], "ed@example.com", "no profile name: the email");
    assert_eq!(all.body["items"][2]["networks"], json!(["mastodon", "x"]));

    // Search: any case, never another workspace's posts, wildcards literal.
    let found = app.call(&viewer, "GET", &format!("{path}?q=launch"), None).await;
    assert_eq!(texts(&found.body), ["LAUNCH day!", "Launch teaser, undated draft"]);
    let found = app.call(&owner, "GET", &format!("{path}?q=%25%20off_"), None).await;
    assert_eq!(texts(&found.body), ["100% off_today"]);
    let found = app.call(&owner, "GET", &format!("{path}?q=0_o"), None).await;
    assert_eq!(texts(&found.body), Vec::<String>::new(), "`_` matches only itself");
    let found = app.call(&stranger, "GET", &format!("{path}?q=launch"), None).await;
    assert_eq!(found.status, StatusCode::NOT_FOUND, "{}", found.body);

    // Filters.
    let by = |q: String| {
        let (app, owner, path) = (&app, &owner, &path);
        async move {
            let a = app.call(owner, "GET", &format!("{path}?{q}"), None).await;
            assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.body);
            texts(&a.body)
        }
    };
    assert_eq!(by(format!("tag={tag}")).await, ["Launch teaser, undated draft"]);
    assert_eq!(by(format!("account={mastodon}")).await, ["Weekly digest", "LAUNCH day!"]);
    assert_eq!(by(format!("author={}", editor.user.id)).await, ["LAUNCH day!"]);
    assert_eq!(by("status=scheduled".into()).await, ["Weekly digest", "LAUNCH day!"]);
    assert_eq!(by("status=scheduled,draft&q=day%21".into()).await, ["LAUNCH day!"]);
    assert_eq!(by(format!("account={x}&q=launch&status=draft")).await, ["Launch teaser, undated draft"]);

    // Sorts: by scheduled time undated posts count as latest.
    assert_eq!(
        by("sort=scheduled&order=asc".into()).await[..2],
        ["Weekly digest".to_owned(), "LAUNCH day!".to_owned()]
    );
    assert_eq!(by("sort=created&order=asc".into()).await[0], "Launch teaser, undated draft");
    app.call(&owner, "PATCH", &format!("{path}/{sooner}"), Some(json!({"content": "Weekly digest v2"}))).await;
    assert_eq!(by("sort=updated".into()).await[0], "Weekly digest v2");

    // Keyset paging by scheduled time, ascending, two at a time: each post exactly once.
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    for _ in 0..4 {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = app.call(&owner, "GET", &format!("{path}?sort=scheduled&order=asc&limit=2{q}"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        seen.extend(page.body["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().parse::<Uuid>().unwrap()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen[..2], [sooner, later]);
    assert_eq!(seen.len(), 4);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "no post twice: {seen:?}");
    assert!(seen.contains(&undated) && seen.contains(&odd));

    // A cursor from another sort, bad values and a page too large are refused with a reason.
    let c = cursor.unwrap();
    let a = app.call(&owner, "GET", &format!("{path}?sort=created&cursor={c}"), None).await;
    assert_eq!((a.status, a.body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_cursor")));
    for q in ["sort=title", "order=up", "limit=101", "status=done"] {
        let a = app.call(&owner, "GET", &format!("{path}?{q}"), None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}: {}", a.body);
    }
}

#[tokio::test]
async fn names_are_shown_only_to_members_of_the_same_workspace() {
    let app = TestApp::new().await;
    let owner = app.actor("olivia@example.com").await;
    let stranger = app.actor("stranger@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let s = app.db.as_user(&stranger.user).await;
    let rows = s.query("select name from postiz_private.workspace_member_names($1)", &[&ws]).await.unwrap();
    assert!(rows.is_empty(), "a stranger sees no names");
    let o = app.db.as_user(&owner.user).await;
    let rows = o.query("select name from postiz_private.workspace_member_names($1)", &[&ws]).await.unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(names, ["olivia@example.com"]);
}
