//! Social accounts over HTTP: credential metadata (never ciphertext), posting slots, the next free
//! slot, disconnect.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use common::*;
use serde_json::json;
use uuid::Uuid;

async fn store_credentials(app: &TestApp, ws: Uuid, account: Uuid) {
    app.db
        .superuser()
        .await
        .execute(
            "insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce,
                                             access_token_ciphertext, refresh_token_key_id, refresh_token_nonce,
                                             refresh_token_ciphertext, expires_at, scopes)
             values ($1, $2, 'k1', '\\x000102030405060708090a0b', '\\xdeadbeef', 'k1', '\\x0c0d0e0f1011121314151617', '\\xfeedface',
                     '2030-01-01T00:00:00Z', '{tweet.write,offline.access}')",
            &[&account, &ws],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn list_shows_credential_metadata_and_never_secrets() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let viewer = app.actor("viewer@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &viewer, "viewer").await;
    let x = app.account(ws, "x", "acme_x").await;
    app.account(ws, "mastodon", "acme_m").await;
    store_credentials(&app, ws, x).await;

    let a = app.call(&viewer, "GET", &format!("/workspaces/{ws}/accounts"), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let list = a.body.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let x_json = list.iter().find(|a| a["network"] == "x").unwrap();
    assert_eq!(x_json["connected"], true);
    assert_eq!(x_json["credential"]["has_refresh_token"], true);
    assert_eq!(x_json["credential"]["scopes"], json!(["tweet.write", "offline.access"]));
    assert_eq!(x_json["credential"]["expires_at"], "2030-01-01T00:00:00Z");
    let m_json = list.iter().find(|a| a["network"] == "mastodon").unwrap();
    assert_eq!(m_json["connected"], false);
    assert_eq!(m_json["credential"], serde_json::Value::Null);
    let text = a.body.to_string();
    for secret in ["ciphertext", "nonce", "key_id", "deadbeef", "feedface"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let one = app.call(&viewer, "GET", &format!("/workspaces/{ws}/accounts/{x}"), None).await;
    assert_eq!(one.body["handle"], "acme_x");
    // Connection health: not checked yet, and a token a refresh token renews has no hard expiry.
    assert_eq!(one.body["health"], json!({"checked_at": null, "outcome": null, "last_error": null, "reconnect_before": null}));
}

#[tokio::test]
async fn health_shows_the_last_check_and_when_to_reconnect_by() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let viewer = app.actor("viewer@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &viewer, "viewer").await;
    let li = app.account(ws, "linkedin", "acme_li").await;
    let su = app.db.superuser().await;
    // No refresh token: the access token's expiry is when it must be reconnected by.
    su.execute(
        "insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext, expires_at)
         values ($1, $2, 'k1', '\\x000102030405060708090a0b', '\\xdeadbeef', '2030-03-01T00:00:00Z')",
        &[&li, &ws],
    )
    .await
    .unwrap();
    su.execute(
        "insert into postiz.account_checks (social_account_id, workspace_id, checked_at, outcome) values ($1, $2, '2030-02-01T10:00:00Z', 'ok')",
        &[&li, &ws],
    )
    .await
    .unwrap();
    let one = app.call(&viewer, "GET", &format!("/workspaces/{ws}/accounts/{li}"), None).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(
        one.body["health"],
        json!({"checked_at": "2030-02-01T10:00:00Z", "outcome": "ok", "last_error": null, "reconnect_before": "2030-03-01T00:00:00Z"})
    );

    // The network refused it; the account is reconnected (as the connect flow stores it): the
    // card no longer shows the old connection's health.
    su.execute(
        "update postiz.account_checks set outcome = 'needs_reconnect', last_error = 'HTTP 401' where social_account_id = $1",
        &[&li],
    )
    .await
    .unwrap();
    let conn = postiz_oauth::store::NewConnection {
        workspace_id: ws,
        network: postiz_domain::Network::LinkedIn,
        external_account_id: "acme_li".into(),
        external_page_id: None,
        handle: None,
        display_name: None,
        avatar_url: None,
        server: None,
        instance_app_id: None,
        meta: json!({}),
    };
    let tokens = postiz_providers::TokenSet {
        access_token: secrecy::SecretString::from("new-token".to_owned()),
        refresh_token: None,
        expires_in: Some(std::time::Duration::from_secs(60 * 86_400)),
        refresh_expires_in: None,
        scopes: vec![],
    };
    let saved = postiz_oauth::store::save_connection(&su, &postiz_vault::Keyring::for_testing(), &conn, &tokens, None).await.unwrap();
    assert_eq!((saved.id, saved.reconnected), (li, true));
    let after = app.call(&viewer, "GET", &format!("/workspaces/{ws}/accounts/{li}"), None).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    let health = &after.body["health"];
    assert!(health["checked_at"].is_null() && health["outcome"].is_null() && health["last_error"].is_null(), "{health}");
}

#[tokio::test]
async fn posting_slots_are_validated_and_stored_in_order() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let editor = app.actor("editor@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &editor, "editor").await;
    let acc = app.account(ws, "x", "acme_x").await;
    let path = format!("/workspaces/{ws}/accounts/{acc}");

    let bad = app
        .call(&owner, "PATCH", &path, Some(json!({"posting_slots": [{"day": "Mon", "time": "09:00"}, {"day": "Tue", "time": "9 am"}]})))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["error"]["fields"][0]["field"], "posting_slots[1].time");
    let bad_day = app.call(&owner, "PATCH", &path, Some(json!({"posting_slots": [{"day": "Someday", "time": "09:00"}]}))).await;
    assert_eq!(bad_day.body["error"]["fields"][0]["field"], "posting_slots[0].day");
    let twice = app
        .call(&owner, "PATCH", &path, Some(json!({"posting_slots": [{"day": "Mon", "time": "09:00"}, {"day": "Mon", "time": "09:00"}]})))
        .await;
    assert_eq!(twice.body["error"]["fields"][0]["field"], "posting_slots[1]");
    let not_object = app.call(&owner, "PATCH", &path, Some(json!({"settings": [1]}))).await;
    assert_eq!(not_object.body["error"]["fields"][0]["field"], "settings");

    let ok = app
        .call(&owner, "PATCH", &path, Some(json!({"posting_slots": [{"day": "Wed", "time": "12:00"}, {"day": "Mon", "time": "17:30"}, {"day": "Mon", "time": "09:00"}], "settings": {"shorten_links": true}})))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(
        ok.body["posting_slots"],
        json!([{"day": "Mon", "time": "09:00"}, {"day": "Mon", "time": "17:30"}, {"day": "Wed", "time": "12:00"}])
    );
    assert_eq!(ok.body["settings"]["shorten_links"], true);

    // Account settings are admin business.
    let by_editor = app.call(&editor, "PATCH", &path, Some(json!({"settings": {}}))).await;
    assert_eq!(by_editor.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn next_slot_skips_taken_times_in_the_workspace_zone() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    let acc = app.account(ws, "mastodon", "acme").await;
    let path = format!("/workspaces/{ws}/accounts/{acc}");
    let empty = app.call(&owner, "GET", &format!("{path}/next-slot"), None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body["at"], serde_json::Value::Null, "no slots, no suggestion");
    assert_eq!(empty.body["slots"], 0);

    app.call(&owner, "PATCH", &path, Some(json!({"posting_slots": [{"day": "Mon", "time": "09:00"}, {"day": "Mon", "time": "17:30"}]})))
        .await;
    let after = (Utc::now() + Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let first = app.call(&owner, "GET", &format!("{path}/next-slot?after={after}"), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.body["time_zone"], "Europe/Berlin");
    let at: DateTime<Utc> = first.body["at"].as_str().unwrap().parse().unwrap();
    let local = at.with_timezone(&chrono_tz::Europe::Berlin).format("%a %H:%M").to_string();
    assert!(local == "Mon 09:00" || local == "Mon 17:30", "{local}");

    // Scheduling a post on this account at that slot takes it.
    let post = app
        .call(
            &owner,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "hi", "targets": [acc], "schedule": {"kind": "once", "at": at}})),
        )
        .await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.body);
    let second = app.call(&owner, "GET", &format!("{path}/next-slot?after={after}"), None).await;
    let next: DateTime<Utc> = second.body["at"].as_str().unwrap().parse().unwrap();
    assert!(next > at, "the taken slot is skipped: {next} vs {at}");

    let bad = app.call(&owner, "GET", &format!("{path}/next-slot?horizon_days=500"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad_after = app.call(&owner, "GET", &format!("{path}/next-slot?after=tomorrow"), None).await;
    assert_eq!(bad_after.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn disconnect_removes_the_account_with_its_credentials() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let acc = app.account(ws, "x", "acme_x").await;
    store_credentials(&app, ws, acc).await;
    assert_eq!(app.call(&owner, "DELETE", &format!("/workspaces/{ws}/accounts/{acc}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.count("select count(*) from postiz.social_accounts").await, 0);
    assert_eq!(app.count("select count(*) from postiz.credentials").await, 0);
    assert_eq!(app.call(&owner, "DELETE", &format!("/workspaces/{ws}/accounts/{acc}"), None).await.status, StatusCode::NOT_FOUND);
    let logged = app.count("select count(*) from postiz.activity_logs where action = 'account.disconnected'").await;
    assert_eq!(logged, 1);
}
