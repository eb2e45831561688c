//! dev.to from the connect form to a published article, against the real test database and
//! dev.to served by wiremock with the Forem API v1 shapes (the providers' fixtures): the API
//! key goes through `POST /connect/devto/credentials`, is stored encrypted and never answered
//! back, and the worker publishes a scheduled post with its dev.to settings (title, tags).
//! Refusals name the form's field.

mod common;
mod connect_support;

use std::sync::Arc;
use std::time::Duration;

use connect_support::*;
use postiz_oauth::OAuthClients;
use postiz_providers::devto::DevToProvider;
use postiz_providers::{HttpClient, Registry, SecretString};
use postiz_worker::tokens::Tokens;
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "devto-KEY-9f8e7d6c5b4a";

fn fixture(name: &str) -> String {
    let p = format!("{}/../postiz-providers/tests/fixtures/devto/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {p}: {e}"))
}

async fn app(forem: &MockServer) -> ConnectApp {
    let provider = DevToProvider::new(HttpClient::for_tests()).with_base_url(forem.uri().parse().expect("the mock server's URL"));
    ConnectApp::new(Registry::new().with(Arc::new(provider)), OAuthClients::new()).await
}

#[tokio::test]
async fn an_api_key_connects_and_the_worker_publishes_the_article() {
    let forem = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/users/me"))
        .and(header("api-key", KEY))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("me.json"), "application/json"))
        .mount(&forem)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .and(header("api-key", KEY))
        .and(body_partial_json(json!({"article": {
            "title": "Baking with Rust", "body_markdown": "How we bake.", "published": true, "tags": ["rust", "baking"]
        }})))
        .respond_with(ResponseTemplate::new(201).set_body_raw(fixture("article.json"), "application/json"))
        .expect(1)
        .mount(&forem)
        .await;
    let app = app(&forem).await;

    // Pasted with the whitespace a copy brings along.
    let (status, body) =
        app.post(&app.owner, "/connect/devto/credentials", json!({"workspace_id": app.workspace, "api_key": format!(" {KEY}\n")})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["external_id"], "812345");
    assert!(!body.to_string().contains(KEY), "the key is never answered back: {body}");
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    let stored = app
        .query_one(&format!(
            "select a.handle, encode(c.access_token_ciphertext, 'hex') from postiz.credentials c
             join postiz.social_accounts a on a.id = c.social_account_id where c.social_account_id = '{account}'"
        ))
        .await;
    assert_eq!(stored.get::<_, Option<String>>(0).as_deref(), Some("bakery"));
    assert!(!stored.get::<_, String>(1).contains(&hex(KEY)), "encrypted at rest");

    let post = app.schedule_now(account, "How we bake.").await;
    app.app
        .db
        .superuser()
        .await
        .execute(
            "insert into postiz.post_variants (workspace_id, post_id, network, settings) values ($1, $2, 'devto', $3)",
            &[&app.workspace, &post, &json!({"network": "devto", "title": "Baking with Rust", "tags": ["Rust", "#baking"]})],
        )
        .await
        .unwrap();
    let pool = postiz_db::service_pool(&SecretString::from(app.app.db.url()), 4).unwrap();
    let tokens = Arc::new(Tokens::new(
        pool,
        Arc::clone(&app.keyring),
        Arc::clone(&app.registry),
        OAuthClients::new(),
        postiz_oauth::http_client(Duration::from_secs(5)),
    ));
    app.run_worker_until("devto-worker", tokens, "select count(*) from postiz.post_targets where status = 'published'").await;
    let target =
        app.query_one(&format!("select status::text, external_id, external_url from postiz.post_targets where post_id = '{post}'")).await;
    assert_eq!(target.get::<_, String>(0), "published");
    assert_eq!(target.get::<_, String>(1), "1984321");
    assert_eq!(target.get::<_, String>(2), "https://dev.to/bakery/baking-with-rust-3kd9");
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn refusals_name_the_api_key_field() {
    let forem = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/users/me"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(fixture("401.json"), "application/json"))
        .mount(&forem)
        .await;
    let app = app(&forem).await;
    let field = |body: &serde_json::Value| {
        (body["error"]["fields"][0]["field"].as_str().unwrap_or_default().to_owned(), body["error"]["fields"][0]["message"].to_string())
    };

    let (status, body) = app.post(&app.owner, "/connect/devto/credentials", json!({"workspace_id": app.workspace, "api_key": " "})).await;
    assert_eq!((status, field(&body).0), (422, "api_key".to_owned()), "{body}");

    let (status, body) =
        app.post(&app.owner, "/connect/devto/credentials", json!({"workspace_id": app.workspace, "api_key": "wrong-key-123"})).await;
    assert_eq!((status, field(&body).0), (422, "api_key".to_owned()), "{body}");
    assert!(field(&body).1.contains("dev.to does not know this API key"), "{body}");
    assert!(!body.to_string().contains("wrong-key-123"), "{body}");
    assert_eq!(app.count("select count(*) from postiz.social_accounts where network = 'devto'").await, 0);
}
