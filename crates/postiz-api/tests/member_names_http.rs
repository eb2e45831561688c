//! People by name, not user id: members (with avatars), invitations' inviter, activity's actor
//! and comments' author, all from `postiz_private.workspace_member_names`; names are shown only
//! to members of the same workspace.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn members_invitations_activity_and_comments_name_people_for_members_only() {
    let app = TestApp::new().await;
    let owner = app.actor("olivia@example.com").await;
    let editor = app.actor("ed@example.com").await;
    let stranger = app.actor("stranger@example.com").await;
    let su = app.db.superuser().await;
    su.execute(
        "update auth.users set raw_user_meta_data =
            '{\"full_name\": \"Olivia Owner\", \"avatar_url\": \"https://cdn.example/olivia.png\"}' where id = $1",
        &[&owner.user.id],
    )
    .await
    .unwrap();
    // A `javascript:` avatar is not a picture: dropped, the name stays.
    su.execute(
        "update auth.users set raw_user_meta_data = '{\"name\": \"Ed Editor\", \"avatar_url\": \"javascript:alert(1)\"}' where id = $1",
        &[&editor.user.id],
    )
    .await
    .unwrap();
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &editor, "editor").await;

    let members = app.call(&editor, "GET", &format!("/workspaces/{ws}/members"), None).await;
    assert_eq!(members.status, StatusCode::OK, "{}", members.body);
    let by_id = |id: uuid::Uuid| members.body.as_array().unwrap().iter().find(|m| m["user_id"] == json!(id)).unwrap().clone();
    assert_eq!(by_id(owner.user.id)["name"], "Olivia Owner");
    assert_eq!(by_id(owner.user.id)["avatar_url"], "https://cdn.example/olivia.png");
    assert_eq!(by_id(editor.user.id)["name"], "Ed Editor");
    assert_eq!(by_id(editor.user.id)["avatar_url"], json!(null), "only https avatars");

    let invite = app.call(&owner, "POST", &format!("/workspaces/{ws}/invites"), Some(json!({"email": "new@example.com"}))).await;
    assert_eq!(invite.status, StatusCode::CREATED, "{}", invite.body);
    let invites = app.call(&owner, "GET", &format!("/workspaces/{ws}/invites"), None).await;
    assert_eq!(invites.status, StatusCode::OK, "{}", invites.body);
    assert_eq!(invites.body[0]["invited_by_name"], "Olivia Owner");

    let x = app.account(ws, "x", "acme_x").await;
    let post = app.call(&editor, "POST", &format!("/workspaces/{ws}/posts"), Some(json!({"content": "Hello", "targets": [x]}))).await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.body);
    let post = post.body["id"].as_str().unwrap().to_owned();
    let comment = app.call(&editor, "POST", &format!("/workspaces/{ws}/posts/{post}/comments"), Some(json!({"body": "Looks good"}))).await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.body);
    assert_eq!(comment.body["author_name"], "Ed Editor");
    let comments = app.call(&owner, "GET", &format!("/workspaces/{ws}/posts/{post}/comments"), None).await;
    assert_eq!(comments.body[0]["author_name"], "Ed Editor", "{}", comments.body);

    let activity = app.call(&owner, "GET", &format!("/workspaces/{ws}/activity"), None).await;
    assert_eq!(activity.status, StatusCode::OK, "{}", activity.body);
    let items = activity.body["items"].as_array().unwrap();
    let by_editor: Vec<_> = items.iter().filter(|i| i["actor_id"] == json!(editor.user.id)).collect();
    assert!(!by_editor.is_empty(), "the editor's post is in the log: {}", activity.body);
    assert!(by_editor.iter().all(|i| i["actor_name"] == "Ed Editor"), "{}", activity.body);

    // A former member is no longer named (the id stays, the name goes).
    let left = app.call(&owner, "DELETE", &format!("/workspaces/{ws}/members/{}", editor.user.id), None).await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{}", left.body);
    let comments = app.call(&owner, "GET", &format!("/workspaces/{ws}/posts/{post}/comments"), None).await;
    assert_eq!(comments.body[0]["author_name"], json!(null), "{}", comments.body);

    // Someone of another workspace reads no names, neither over HTTP nor with the helper.
    let theirs = app.workspace(&stranger, "other", "UTC").await;
    assert_eq!(app.call(&stranger, "GET", &format!("/workspaces/{ws}/members"), None).await.status, StatusCode::NOT_FOUND);
    let s = app.db.as_user(&stranger.user).await;
    let rows = s.query("select name, avatar_url from postiz_private.workspace_member_names($1)", &[&ws]).await.unwrap();
    assert!(rows.is_empty(), "a stranger sees no names or avatars");
    let rows = s.query("select name from postiz_private.workspace_member_names($1)", &[&theirs]).await.unwrap();
    assert_eq!(rows.len(), 1, "their own workspace's members they see");
}
