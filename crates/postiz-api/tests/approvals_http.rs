//! Approvals over HTTP against real PostgreSQL: the policy (admins only, checked fields), the
//! database gate answered as 409 `approval_required` with a sentence for people, the review
//! queue, decisions (403 `review_refused` with the reason), approval scheduling the post, and an
//! edit taking an approved post back to pending approval.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use serde_json::json;

struct Fixture {
    app: TestApp,
    owner: Actor,
    admin: Actor,
    editor: Actor,
    viewer: Actor,
    ws: uuid::Uuid,
    account: uuid::Uuid,
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let admin = app.actor("admin@example.com").await;
    let editor = app.actor("editor@example.com").await;
    let viewer = app.actor("viewer@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &admin, "admin").await;
    app.add_member(ws, &editor, "editor").await;
    app.add_member(ws, &viewer, "viewer").await;
    let account = app.account(ws, "mastodon", "acme@social.example").await;
    Fixture { app, owner, admin, editor, viewer, ws, account }
}

fn in_days(days: i64) -> String {
    (Utc::now() + Duration::days(days)).to_rfc3339()
}

#[tokio::test]
async fn only_admins_set_the_policy_and_bad_steps_are_named() {
    let f = fixture().await;
    let path = format!("/workspaces/{}/approval-policy", f.ws);
    let one_admin = json!({"steps": [{"min_role": "admin", "required": 1}]});

    let off = f.app.call(&f.viewer, "GET", &path, None).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(off.body["workspace"]["steps"], json!([]), "approvals are off until set");

    for who in [&f.viewer, &f.editor] {
        let a = f.app.call(who, "PUT", &path, Some(one_admin.clone())).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
    let bad = f
        .app
        .call(
            &f.admin,
            "PUT",
            &path,
            Some(json!({"steps": [{"min_role": "admin", "required": 0}, {"members": [uuid::Uuid::new_v4()], "required": 1}, {"required": 1}]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let fields: Vec<&str> = bad.body["error"]["fields"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["steps.0.required", "steps.1.members.0", "steps.2", "steps.2.required"]);
    assert_eq!(bad.body["error"]["fields"][1]["message"], "is not a member of this workspace");
    assert_eq!(f.app.count("select count(*) from postiz.approval_policies").await, 0, "nothing stored");

    let set = f.app.call(&f.admin, "PUT", &path, Some(one_admin)).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["workspace"]["steps"][0]["min_role"], "admin");
    assert_eq!(set.body["workspace"]["updated_by"], f.admin.user.id.to_string());

    // An override exempting one account, then removed.
    let exempt = f.app.call(&f.owner, "PUT", &path, Some(json!({"social_account_id": f.account, "steps": []}))).await;
    assert_eq!(exempt.status, StatusCode::OK, "{}", exempt.body);
    assert_eq!(exempt.body["accounts"][0]["social_account_id"], f.account.to_string());
    let gone = f.app.call(&f.admin, "DELETE", &format!("{path}/accounts/{}", f.account), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.call(&f.admin, "DELETE", &format!("{path}/accounts/{}", f.account), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_editor_cannot_schedule_until_an_admin_approves() {
    let f = fixture().await;
    let ws = f.ws;
    let set = f
        .app
        .call(&f.admin, "PUT", &format!("/workspaces/{ws}/approval-policy"), Some(json!({"steps": [{"min_role": "admin", "required": 1}]})))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let when = in_days(3);

    // Straight to scheduled: the database refuses at commit; the answer is a sentence, nothing is kept.
    let direct = f
        .app
        .call(
            &f.editor,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "Launch day", "targets": [f.account], "schedule": {"kind": "once", "at": when}})),
        )
        .await;
    assert_eq!(direct.status, StatusCode::CONFLICT, "{}", direct.body);
    assert_eq!(direct.body["error"]["code"], "approval_required");
    assert_eq!(direct.body["error"]["message"], "This post needs 1 more approval from an admin before it can be scheduled");
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 0, "the refused create left nothing");

    // Submitted for approval instead.
    let created = f
        .app
        .call(
            &f.editor,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "Launch day", "targets": [f.account], "schedule": {"kind": "once", "at": when}, "status": "pending_approval"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let post = created.body["id"].as_str().unwrap().to_owned();
    let approval = &created.body["approval"];
    assert_eq!(approval["required"], true);
    assert_eq!(approval["approved"], false);
    assert_eq!(approval["may_decide"], false);
    assert_eq!(approval["refusal"], "Authors cannot approve their own posts in this workspace");
    assert_eq!(approval["steps"][0]["open"], true);

    let schedule =
        f.app.call(&f.editor, "POST", &format!("/workspaces/{ws}/posts/{post}/status"), Some(json!({"status": "scheduled"}))).await;
    assert_eq!(schedule.status, StatusCode::CONFLICT, "{}", schedule.body);
    assert_eq!(schedule.body["error"]["code"], "approval_required");
    assert_eq!(schedule.body["error"]["message"], "This post needs 1 more approval from an admin before it can be scheduled");
    let owner_try =
        f.app.call(&f.owner, "POST", &format!("/workspaces/{ws}/posts/{post}/status"), Some(json!({"status": "scheduled"}))).await;
    assert_eq!(owner_try.status, StatusCode::CONFLICT, "not even the owner skips the review: {}", owner_try.body);

    // The queue: the admin sees it, its author and the viewer do not.
    let queue = f.app.call(&f.admin, "GET", &format!("/workspaces/{ws}/review-queue"), None).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert_eq!(queue.body["count"], 1);
    assert_eq!(queue.body["posts"][0]["id"], post.as_str());
    assert_eq!(queue.body["posts"][0]["networks"], json!(["mastodon"]));
    assert_eq!(f.app.call(&f.editor, "GET", &format!("/workspaces/{ws}/review-queue"), None).await.body["count"], 0);
    assert_eq!(f.app.call(&f.viewer, "GET", &format!("/workspaces/{ws}/review-queue"), None).await.body["count"], 0);

    let decisions = format!("/workspaces/{ws}/posts/{post}/decisions");
    let no_note = f.app.call(&f.admin, "POST", &decisions, Some(json!({"decision": "rejected"}))).await;
    assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_note.body);
    assert_eq!(no_note.body["error"]["fields"][0]["field"], "note");
    let viewer_try = f.app.call(&f.viewer, "POST", &decisions, Some(json!({"decision": "approved"}))).await;
    assert_eq!(viewer_try.status, StatusCode::FORBIDDEN, "{}", viewer_try.body);
    assert_eq!(viewer_try.body["error"]["code"], "review_refused");
    assert_eq!(viewer_try.body["error"]["message"], "This step needs a decision from an admin");
    let self_try = f.app.call(&f.editor, "POST", &decisions, Some(json!({"decision": "approved"}))).await;
    assert_eq!(self_try.body["error"]["message"], "Authors cannot approve their own posts in this workspace");

    // The admin approves: the post is scheduled at its time.
    let approved = f.app.call(&f.admin, "POST", &decisions, Some(json!({"decision": "approved"}))).await;
    assert_eq!(approved.status, StatusCode::CREATED, "{}", approved.body);
    assert_eq!(approved.body["scheduled"], true, "{}", approved.body);
    assert_eq!(approved.body["post"]["status"], "scheduled");
    assert_eq!(approved.body["post"]["approval"]["approved"], true);
    assert_eq!(approved.body["post"]["schedule"]["status"], "pending", "its schedule is armed again");
    assert_eq!(f.app.count("select count(*) from postiz.approval_decisions").await, 1, "the refused decisions left no row");

    // The log, with who and when.
    let log = f.app.call(&f.viewer, "GET", &format!("/workspaces/{ws}/posts/{post}/approval"), None).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    assert_eq!(log.body["decisions"][0]["decision"], "approved");
    assert_eq!(log.body["decisions"][0]["decided_by"], f.admin.user.id.to_string());
    assert_eq!(log.body["decisions"][0]["decided_by_name"], f.admin.user.email.as_str(), "named (no profile name: the email)");
    assert_eq!(log.body["decisions"][0]["current"], true);

    // An edit of the text resets it: back to pending approval, the old approval no longer current.
    let edit = f.app.call(&f.editor, "PATCH", &format!("/workspaces/{ws}/posts/{post}"), Some(json!({"content": "Launch day!!"}))).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    assert_eq!(edit.body["status"], "pending_approval");
    assert_eq!(edit.body["approval"]["approved"], false);
    assert_eq!(edit.body["schedule"]["status"], "canceled", "nothing goes out on the old approval");
    let log = f.app.call(&f.viewer, "GET", &format!("/workspaces/{ws}/posts/{post}/approval"), None).await;
    assert_eq!(log.body["decisions"][0]["current"], false);

    // Changes requested: blocked, with the note, until the next edit.
    let changes =
        f.app.call(&f.admin, "POST", &decisions, Some(json!({"decision": "changes_requested", "note": "Fewer exclamation marks"}))).await;
    assert_eq!(changes.status, StatusCode::CREATED, "{}", changes.body);
    assert_eq!(changes.body["scheduled"], false);
    assert_eq!(changes.body["post"]["approval"]["blocked"]["note"], "Fewer exclamation marks");
    assert_eq!(
        changes.body["post"]["approval"]["missing"],
        "A reviewer asked for changes (\"Fewer exclamation marks\"); edit the post to ask for a new review before it can be scheduled"
    );
}

#[tokio::test]
async fn the_public_api_meets_the_same_gate() {
    let mut f = fixture().await;
    let n = std::num::NonZeroU32::new(1000).unwrap();
    f.app.router = f.app.router.clone().layer(axum::Extension(std::sync::Arc::new(postiz_api::routes::public::PublicApi::new(n, n))));
    let ws = f.ws;
    f.app
        .call(&f.admin, "PUT", &format!("/workspaces/{ws}/approval-policy"), Some(json!({"steps": [{"min_role": "owner", "required": 1}]})))
        .await;
    let created = f
        .app
        .call(
            &f.editor,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "Via Zapier", "targets": [f.account], "schedule": {"kind": "once", "at": in_days(2)}, "status": "pending_approval"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let post = created.body["id"].as_str().unwrap().to_owned();

    let key = f
        .app
        .call(
            &f.admin,
            "POST",
            &format!("/workspaces/{ws}/api-keys"),
            Some(json!({"name": "zapier", "scopes": ["posts:read", "posts:write"]})),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.body);
    let token = key.body["key"].as_str().unwrap().to_owned();
    let key_actor = Actor { user: f.admin.user.clone(), token };

    let got = f.app.call(&key_actor, "GET", &format!("/public/v1/posts/{post}"), None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["approval"]["missing"], "This post needs 1 more approval from an owner before it can be scheduled");
    let schedule = f.app.call(&key_actor, "POST", &format!("/public/v1/posts/{post}/status"), Some(json!({"status": "scheduled"}))).await;
    assert_eq!(schedule.status, StatusCode::CONFLICT, "{}", schedule.body);
    assert_eq!(schedule.body["error"]["code"], "approval_required");
    // The key acts as the admin who made it, who is not an owner.
    let decide = f.app.call(&key_actor, "POST", &format!("/public/v1/posts/{post}/decisions"), Some(json!({"decision": "approved"}))).await;
    assert_eq!(decide.status, StatusCode::FORBIDDEN, "{}", decide.body);
    assert_eq!(decide.body["error"]["message"], "This step needs a decision from an owner");
    let queue = f.app.call(&key_actor, "GET", "/public/v1/review-queue", None).await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    assert_eq!(queue.body["count"], 0);
    let policy = f.app.call(&key_actor, "GET", "/public/v1/approval-policy", None).await;
    assert_eq!(policy.body["workspace"]["steps"][0]["min_role"], "owner");

    let approved =
        f.app.call(&f.owner, "POST", &format!("/workspaces/{ws}/posts/{post}/decisions"), Some(json!({"decision": "approved"}))).await;
    assert_eq!(approved.body["post"]["status"], "scheduled", "{}", approved.body);
}
