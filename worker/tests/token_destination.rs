//! Where an account's token may be sent is the server stored with its credential at connect
//! time, never `social_accounts.meta` (security review, issue 14, finding 1).
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use postiz_domain::Network;
use postiz_oauth::store::{NewConnection, load_credentials, save_connection};
use postiz_providers::mastodon::MastodonProvider;
use postiz_providers::{HttpClient, Registry, TokenSet};
use secrecy::SecretString;
use serde_json::json;
use support::{Fixture, all_jobs_final};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn connection(f: &Fixture, server: &MockServer) -> NewConnection {
    NewConnection {
        workspace_id: f.workspace,
        network: Network::Mastodon,
        external_account_id: "109".into(),
        external_page_id: None,
        handle: Some("alice".into()),
        display_name: Some("Alice".into()),
        avatar_url: None,
        server: Some(server.uri().parse().unwrap()),
        instance_app_id: None,
        meta: json!({}),
    }
}

fn tokens(access: &str, refresh: Option<&str>) -> TokenSet {
    TokenSet {
        access_token: SecretString::from(access.to_owned()),
        refresh_token: refresh.map(|r| SecretString::from(r.to_owned())),
        expires_in: None,
        refresh_expires_in: None,
        scopes: vec![],
    }
}

#[tokio::test]
async fn a_post_goes_to_the_server_stored_with_the_credential_whatever_meta_says() {
    let f = Fixture::new().await;
    let (home, elsewhere) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(header("authorization", "Bearer home-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1", "url": format!("{}/@alice/1", home.uri())})))
        .expect(1)
        .mount(&home)
        .await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(200)).expect(0).mount(&elsewhere).await;

    let account = save_connection(&f.admin, &f.keyring, &connection(&f, &home), &tokens("home-token", None), None).await.unwrap().id;
    // The display copy is rewritten (by a host's own SQL as service role, or an old row an admin
    // edited before the fix): it must not move the token.
    f.admin
        .execute(
            "update postiz.social_accounts set meta = jsonb_build_object('server_url', $2::text) where id = $1",
            &[&account, &elsewhere.uri()],
        )
        .await
        .unwrap();
    let stored = load_credentials(&f.admin, account, false).await.unwrap().unwrap();
    assert_eq!(stored.server_url.as_deref(), Some(home.uri().as_str()), "the credential keeps its own server");

    let (post, _) = f.schedule_once("Hello home", &[account], Utc::now()).await;
    let registry = Arc::new(Registry::new().with(Arc::new(MastodonProvider::new(HttpClient::for_tests()))));
    f.run_with(registry, Duration::from_secs(30), all_jobs_final).await;

    assert_eq!(f.target_status(post).await, ["published"]);
    home.verify().await;
    elsewhere.verify().await;
}

#[tokio::test]
async fn reconnecting_on_another_server_never_keeps_the_old_servers_refresh_token() {
    let f = Fixture::new().await;
    let (first, second) = (MockServer::start().await, MockServer::start().await);
    let saved = save_connection(&f.admin, &f.keyring, &connection(&f, &first), &tokens("a1", Some("r1")), None).await.unwrap();
    let reconnect_same = save_connection(&f.admin, &f.keyring, &connection(&f, &first), &tokens("a2", None), None).await.unwrap();
    assert_eq!(reconnect_same.id, saved.id);
    let creds = load_credentials(&f.admin, saved.id, false).await.unwrap().unwrap();
    assert!(creds.refresh.is_some(), "same server, no new refresh token: the stored one is kept");

    save_connection(&f.admin, &f.keyring, &connection(&f, &second), &tokens("a3", None), None).await.unwrap();
    let creds = load_credentials(&f.admin, saved.id, false).await.unwrap().unwrap();
    assert_eq!(creds.server_url.as_deref(), Some(second.uri().as_str()));
    assert!(creds.refresh.is_none(), "the first server's refresh token is not kept for the second");
}
