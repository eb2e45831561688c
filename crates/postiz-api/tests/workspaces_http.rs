//! Workspaces, members, invitations and ownership over HTTP, as `authenticated` under RLS.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn create_list_get_update_delete_a_workspace() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;

    let a = app.call(&owner, "POST", "/workspaces", Some(json!({"name": "Acme", "slug": "acme", "time_zone": "Europe/Berlin"}))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["role"], "owner", "the creator becomes owner");
    assert_eq!(a.body["time_zone"], "Europe/Berlin");
    assert_eq!(a.body["plan"], "default");
    let ws = a.body["id"].as_str().unwrap().to_owned();

    let list = app.call(&owner, "GET", "/workspaces", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["id"], ws.as_str());
    assert_eq!(list.body[0]["role"], "owner");

    let upd =
        app.call(&owner, "PATCH", &format!("/workspaces/{ws}"), Some(json!({"name": "Acme Inc", "time_zone": "America/New_York"}))).await;
    assert_eq!(upd.status, StatusCode::OK, "{}", upd.body);
    assert_eq!(upd.body["name"], "Acme Inc");
    assert_eq!(upd.body["slug"], "acme", "fields not given stay");
    let got = app.call(&owner, "GET", &format!("/workspaces/{ws}"), None).await;
    assert_eq!(got.body["time_zone"], "America/New_York");

    let del = app.call(&owner, "DELETE", &format!("/workspaces/{ws}"), None).await;
    assert_eq!(del.status, StatusCode::NO_CONTENT);
    assert_eq!(app.call(&owner, "GET", &format!("/workspaces/{ws}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("select count(*) from postiz.workspaces").await, 0);
}

#[tokio::test]
async fn bad_fields_are_422_naming_them_and_unknown_fields_too() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let a = app.call(&owner, "POST", "/workspaces", Some(json!({"name": " ", "slug": "Bad Slug", "time_zone": "Mars/Olympus"}))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let fields: Vec<&str> = a.body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "slug", "time_zone"]);

    let typo = app.call(&owner, "POST", "/workspaces", Some(json!({"name": "A", "slug": "a", "timezone": "UTC"}))).await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(typo.body["error"]["fields"][0]["field"], "timezone", "{}", typo.body);

    // A fixed offset is not a zone (it would drift across DST).
    let off = app.call(&owner, "POST", "/workspaces", Some(json!({"name": "A", "slug": "a", "time_zone": "+02:00"}))).await;
    assert_eq!(off.body["error"]["fields"][0]["field"], "time_zone");
    assert_eq!(app.count("select count(*) from postiz.workspaces").await, 0, "nothing written");

    app.workspace(&owner, "taken", "UTC").await;
    let dup = app.call(&owner, "POST", "/workspaces", Some(json!({"name": "B", "slug": "taken"}))).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
}

#[tokio::test]
async fn external_ref_links_only_a_tenant_the_host_listed_in_app_metadata() {
    let app = TestApp::new().await;
    let user = app.db.create_user("tenant@example.com").await;
    let vouched =
        Actor { token: token_with(&user, |c| c["app_metadata"]["postiz_external_refs"] = json!(["tenant-42"])), user: user.clone() };
    let a = app.call(&vouched, "POST", "/workspaces", Some(json!({"name": "T", "slug": "t42", "external_ref": "tenant-42"}))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["external_ref"], "tenant-42");
    assert_eq!(a.body["role"], "owner");

    let other = app.call(&vouched, "POST", "/workspaces", Some(json!({"name": "U", "slug": "u43", "external_ref": "tenant-43"}))).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.body);
    let plain = app.actor("plain@example.com").await;
    let none = app.call(&plain, "POST", "/workspaces", Some(json!({"name": "V", "slug": "v42", "external_ref": "tenant-42"}))).await;
    assert_eq!(none.status, StatusCode::FORBIDDEN, "a token without the claim cannot link anything");
    assert_eq!(app.count("select count(*) from postiz.workspaces").await, 1);
}

#[tokio::test]
async fn members_roles_and_the_rules_around_owners() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let admin = app.actor("admin@example.com").await;
    let editor = app.actor("editor@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &admin, "admin").await;
    app.add_member(ws, &editor, "editor").await;

    let list = app.call(&editor, "GET", &format!("/workspaces/{ws}/members"), None).await;
    assert_eq!(list.status, StatusCode::OK);
    let roles: Vec<&str> = list.body.as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["owner", "admin", "editor"]);

    // Admins manage members below owner…
    let to_viewer =
        app.call(&admin, "PATCH", &format!("/workspaces/{ws}/members/{}", editor.user.id), Some(json!({"role": "viewer"}))).await;
    assert_eq!(to_viewer.status, StatusCode::OK, "{}", to_viewer.body);
    assert_eq!(to_viewer.body["role"], "viewer");
    // …but cannot touch the owner or make one.
    let demote_owner =
        app.call(&admin, "PATCH", &format!("/workspaces/{ws}/members/{}", owner.user.id), Some(json!({"role": "viewer"}))).await;
    assert_eq!(demote_owner.status, StatusCode::FORBIDDEN);
    let make_owner =
        app.call(&admin, "PATCH", &format!("/workspaces/{ws}/members/{}", editor.user.id), Some(json!({"role": "owner"}))).await;
    assert_eq!(make_owner.status, StatusCode::FORBIDDEN);
    // The last owner cannot be demoted, even by themselves.
    let last = app.call(&owner, "PATCH", &format!("/workspaces/{ws}/members/{}", owner.user.id), Some(json!({"role": "admin"}))).await;
    assert_eq!(last.status, StatusCode::BAD_REQUEST, "{}", last.body);
    // Viewers cannot manage anyone.
    let by_viewer = app.call(&editor, "DELETE", &format!("/workspaces/{ws}/members/{}", admin.user.id), None).await;
    assert_eq!(by_viewer.status, StatusCode::FORBIDDEN);
    // Bad role value names the field.
    let bad = app.call(&owner, "PATCH", &format!("/workspaces/{ws}/members/{}", editor.user.id), Some(json!({"role": "boss"}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["fields"][0]["field"], "role");

    // Anyone can leave.
    assert_eq!(
        app.call(&editor, "DELETE", &format!("/workspaces/{ws}/members/{}", editor.user.id), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.call(&editor, "GET", &format!("/workspaces/{ws}"), None).await.status, StatusCode::NOT_FOUND);
    // Admin removes nobody above; owner removes the admin.
    assert_eq!(
        app.call(&owner, "DELETE", &format!("/workspaces/{ws}/members/{}", admin.user.id), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.count("select count(*) from postiz.workspace_members").await, 1);
}

#[tokio::test]
async fn transfer_ownership_swaps_roles_atomically() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let admin = app.actor("admin@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &admin, "admin").await;

    let by_admin = app.call(&admin, "POST", &format!("/workspaces/{ws}/transfer-ownership"), Some(json!({"user_id": admin.user.id}))).await;
    assert_eq!(by_admin.status, StatusCode::FORBIDDEN);
    let stranger = app.actor("stranger@example.com").await;
    let to_stranger =
        app.call(&owner, "POST", &format!("/workspaces/{ws}/transfer-ownership"), Some(json!({"user_id": stranger.user.id}))).await;
    assert_eq!(to_stranger.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(to_stranger.body["error"]["fields"][0]["field"], "user_id");

    let ok = app.call(&owner, "POST", &format!("/workspaces/{ws}/transfer-ownership"), Some(json!({"user_id": admin.user.id}))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(app.call(&admin, "GET", &format!("/workspaces/{ws}"), None).await.body["role"], "owner");
    assert_eq!(app.call(&owner, "GET", &format!("/workspaces/{ws}"), None).await.body["role"], "admin");
}

#[tokio::test]
async fn invites_are_created_listed_accepted_once_and_revoked() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let invitee = app.actor("new@example.com").await;
    let wrong = app.actor("wrong@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;

    let created =
        app.call(&owner, "POST", &format!("/workspaces/{ws}/invites"), Some(json!({"email": "NEW@example.com", "role": "editor"}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = created.body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 64);
    assert_eq!(created.body["invite"]["role"], "editor");
    assert!(created.body["invite"].get("token_hash").is_none());

    let again = app.call(&owner, "POST", &format!("/workspaces/{ws}/invites"), Some(json!({"email": "new@example.com"}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "one pending invitation per address");
    let as_owner =
        app.call(&owner, "POST", &format!("/workspaces/{ws}/invites"), Some(json!({"email": "x@example.com", "role": "owner"}))).await;
    assert_eq!(as_owner.body["error"]["fields"][0]["field"], "role");

    let list = app.call(&owner, "GET", &format!("/workspaces/{ws}/invites"), None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert!(list.body[0].get("token").is_none(), "the token is shown once only");

    let other = app.call(&wrong, "POST", "/invites/accept", Some(json!({"token": token}))).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "sent to another address");
    let ok = app.call(&invitee, "POST", "/invites/accept", Some(json!({"token": token}))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["role"], "editor");
    assert_eq!(ok.body["workspace_id"], ws.to_string());
    let twice = app.call(&invitee, "POST", "/invites/accept", Some(json!({"token": token}))).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "used");
    assert_eq!(twice.body["error"]["code"], "invite_unusable");

    // The new editor cannot list invitations (admin+).
    assert_eq!(app.call(&invitee, "GET", &format!("/workspaces/{ws}/invites"), None).await.status, StatusCode::FORBIDDEN);

    let second = app.call(&owner, "POST", &format!("/workspaces/{ws}/invites"), Some(json!({"email": "later@example.com"}))).await;
    let id = second.body["invite"]["id"].as_str().unwrap();
    assert_eq!(app.call(&owner, "DELETE", &format!("/workspaces/{ws}/invites/{id}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.call(&owner, "DELETE", &format!("/workspaces/{ws}/invites/{id}"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn features_come_from_the_plan() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.account(ws, "mastodon", "a").await;
    let su = app.db.superuser().await;
    su.batch_execute("insert into postiz.plans (code, name, allow_recurring, max_social_accounts) values ('lite', 'Lite', false, 3)")
        .await
        .unwrap();
    su.execute("update postiz.workspaces set plan = 'lite' where id = $1", &[&ws]).await.unwrap();
    let f = app.call(&owner, "GET", &format!("/workspaces/{ws}/features"), None).await;
    assert_eq!(f.status, StatusCode::OK);
    assert_eq!(f.body["plan"], "lite");
    assert_eq!(f.body["allow_recurring"], false);
    assert_eq!(f.body["max_social_accounts"], 3);
    assert_eq!(f.body["social_accounts"], 1);
}

#[tokio::test]
async fn a_slug_used_in_another_tenant_is_free_and_ones_own_clash_names_slug() {
    let app = TestApp::new().await;
    let alice = app.actor("alice@example.com").await;
    let mallory = app.actor("mallory@example.com").await;
    app.workspace(&alice, "acme", "UTC").await;
    // Another user cannot learn that "acme" exists: the slug is theirs to use too.
    let theirs = app.call(&mallory, "POST", "/workspaces", Some(json!({"name": "Mine", "slug": "acme"}))).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    let mine = theirs.body["id"].as_str().unwrap().to_owned();
    app.workspace(&mallory, "other", "UTC").await;
    let renamed = app.call(&mallory, "PATCH", &format!("/workspaces/{mine}"), Some(json!({"slug": "acme"}))).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    // Within one creator's own workspaces slugs stay distinct, refused on the field.
    let again = app.call(&alice, "POST", "/workspaces", Some(json!({"name": "Acme 2", "slug": "acme"}))).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(again.body["error"]["code"], "slug_taken");
    let message = again.body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("slug: "), "{message}");
    assert!(!message.contains(&alice.user.id.to_string()), "no ids in the message: {message}");
    let second = app.workspace(&alice, "acme-2", "UTC").await;
    let clash = app.call(&alice, "PATCH", &format!("/workspaces/{second}"), Some(json!({"slug": "acme"}))).await;
    assert_eq!((clash.status, clash.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("slug_taken")), "{}", clash.body);
    assert_eq!(app.count("select count(*) from postiz.workspaces where slug = 'acme'").await, 2);
}
