//! Nostr from the connect form to a note on a real relay (`nostr-relay` from PyPI): the secret key
//! and relay go through `POST /connect/nostr/credentials`, the key is stored encrypted and never
//! answered back, the relay is fixed with the credential, and the worker publishes a scheduled
//! post there. Refusals name the form's field.

mod common;
mod connect_support;

use std::sync::Arc;
use std::time::Duration;

use connect_support::*;
use postiz_oauth::OAuthClients;
use postiz_providers::http::PrivateAllowList;
use postiz_providers::nostr::NostrProvider;
use postiz_providers::{HttpClient, HttpSettings, Registry, SecretString};
use postiz_testkit::nostr_relay::NostrRelay;
use postiz_worker::tokens::Tokens;
use serde_json::json;
use uuid::Uuid;

/// The secret key 1: its public key is secp256k1's generator's x coordinate.
const SECRET: &str = "0000000000000000000000000000000000000000000000000000000000000001";
const PUBLIC: &str = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

async fn app(allow: &[&str]) -> ConnectApp {
    let allow = PrivateAllowList::parse(allow).expect("entries");
    let http = || HttpClient::new(HttpSettings { private_allow: allow.clone(), ..HttpSettings::for_tests() }).expect("client");
    ConnectApp::with_guard(Registry::new().with(Arc::new(NostrProvider::new(http()))), OAuthClients::new(), http()).await
}

#[tokio::test]
async fn a_secret_key_and_relay_connect_and_the_worker_publishes_to_that_relay() {
    let relay = NostrRelay::start().await;
    let app = app(&["127.0.0.0/8"]).await;

    let (status, body) = app
        .post(
            &app.owner,
            "/connect/nostr/credentials",
            json!({"workspace_id": app.workspace, "secret_key": SECRET, "server_url": relay.url}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["external_id"], PUBLIC);
    assert!(!body.to_string().contains(SECRET), "the key is never answered back: {body}");
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    let stored = app
        .query_one(&format!(
            "select c.server_url, encode(c.access_token_ciphertext, 'hex') from postiz.credentials c where c.social_account_id = '{account}'"
        ))
        .await;
    assert_eq!(stored.get::<_, String>(0), relay.url.trim_end_matches('/'));
    assert!(!stored.get::<_, String>(1).contains(SECRET), "encrypted at rest");

    let post = app.schedule_now(account, "Hello from the scheduler").await;
    let pool = postiz_db::service_pool(&SecretString::from(app.app.db.url()), 4).unwrap();
    let tokens = Arc::new(Tokens::new(
        pool,
        Arc::clone(&app.keyring),
        Arc::clone(&app.registry),
        OAuthClients::new(),
        postiz_oauth::http_client(Duration::from_secs(5)),
    ));
    app.run_worker_until("nostr-worker", tokens, "select count(*) from postiz.post_targets where status = 'published'").await;
    let target =
        app.query_one(&format!("select status::text, external_id, external_url from postiz.post_targets where post_id = '{post}'")).await;
    assert_eq!(target.get::<_, String>(0), "published");
    let note_id: String = target.get(1);
    assert!(target.get::<_, String>(2).starts_with("https://njump.me/note1"));

    // The note is on the relay, signed by the account's key.
    let mut adapter_view = NostrProvider::new(HttpClient::for_tests());
    adapter_view = adapter_view.with_default_relay(relay.url.parse().unwrap());
    let found = postiz_providers::Provider::find_published(
        &adapter_view,
        &SecretString::from(SECRET.to_owned()),
        &postiz_providers::AccountRef { id: PUBLIC.into(), handle: None, server: None },
        &postiz_providers::FindQuery {
            idempotency_key: String::new(),
            text: "Hello from the scheduler".into(),
            not_before: chrono::Utc::now() - chrono::Duration::minutes(5),
            settings: Default::default(),
        },
    )
    .await
    .unwrap()
    .expect("on the relay");
    assert_eq!(found.id, note_id);
}

#[tokio::test]
async fn refusals_name_the_field_of_the_form() {
    let relay = NostrRelay::start().await;
    let strict = app(&[]).await;
    let field = |body: &serde_json::Value| {
        (body["error"]["fields"][0]["field"].as_str().unwrap_or_default().to_owned(), body["error"]["fields"][0]["message"].to_string())
    };

    let (status, body) = strict
        .post(
            &strict.owner,
            "/connect/nostr/credentials",
            json!({"workspace_id": strict.workspace, "secret_key": SECRET, "server_url": relay.url}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(field(&body).0, "server_url", "{body}");
    assert!(field(&body).1.contains("not reachable from the internet"), "{body}");

    let (status, body) = strict
        .post(
            &strict.owner,
            "/connect/nostr/credentials",
            json!({"workspace_id": strict.workspace, "secret_key": SECRET, "server_url": "https://relay.example"}),
        )
        .await;
    assert_eq!((status, field(&body).0), (422, "server_url".to_owned()), "{body}");
    assert!(field(&body).1.contains("wss://"), "{body}");

    let open = app(&["127.0.0.0/8"]).await;
    let (status, body) =
        open.post(&open.owner, "/connect/nostr/credentials", json!({"workspace_id": open.workspace, "server_url": relay.url})).await;
    assert_eq!((status, field(&body).0), (422, "secret_key".to_owned()), "{body}");

    let (status, body) = open
        .post(
            &open.owner,
            "/connect/nostr/credentials",
            json!({"workspace_id": open.workspace, "secret_key": "nsec1wrong", "server_url": relay.url}),
        )
        .await;
    assert_eq!((status, field(&body).0), (422, "secret_key".to_owned()), "{body}");
    assert!(field(&body).1.contains("secret key is not valid") && !body.to_string().contains("nsec1wrong"), "{body}");
}
