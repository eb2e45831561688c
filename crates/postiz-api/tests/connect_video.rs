//! Connecting TikTok and YouTube through the API against wiremock: TikTok's `client_key` in the
//! authorization URL and its own code exchange; YouTube's offline Google consent and the
//! channel picked between the steps; and networks offered only when their OAuth client is
//! configured.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod common;
mod connect_support;

use std::sync::Arc;

use connect_support::*;
use postiz_oauth::OAuthClients;
use postiz_providers::tiktok::TikTokProvider;
use postiz_providers::youtube::YouTubeProvider;
use postiz_providers::{HttpClient, Network, OAuthClient, Registry};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn registry(server: &MockServer) -> Registry {
    let base: url::Url = server.uri().parse().unwrap();
    Registry::new().with(Arc::new(TikTokProvider::new(HttpClient::for_tests()).with_base_url(base.clone()))).with(Arc::new(
        YouTubeProvider::new(HttpClient::for_tests()).with_base_url(base.clone()).with_token_url(base.join("/token").unwrap()),
    ))
}

fn client(id: &str, secret: &str) -> OAuthClient {
    OAuthClient { client_id: id.into(), client_secret: Some(SecretString::from(secret.to_owned())) }
}

#[tokio::test]
async fn tiktok_connects_with_its_client_key_and_only_configured_networks_are_offered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/oauth/token/"))
        .and(body_string_contains("client_key=tt-key"))
        .and(body_string_contains("client_secret=tt-secret"))
        .and(body_string_contains("code=tt-code"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "act.tiktok-access", "expires_in": 86400, "open_id": "open-1", "refresh_expires_in": 31536000,
            "refresh_token": "rft.tiktok-refresh", "scope": "user.info.basic,video.publish", "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/user/info/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"user": {"open_id": "open-1", "username": "bakery.tok", "display_name": "The Bakery"}},
            "error": {"code": "ok", "message": "", "log_id": "l"}
        })))
        .mount(&server)
        .await;
    let clients = OAuthClients::new().with(Network::TikTok, client("tt-key", "tt-secret"));
    let app = ConnectApp::new(registry(&server), clients).await;

    let owner = common::Actor { user: app.owner.clone(), token: common::token_for(&app.owner) };
    let listed = app.app.call(&owner, "GET", "/networks", None).await;
    let connectable = |n: &str| listed.body.as_array().unwrap().iter().find(|d| d["network"] == n).map(|d| d["connectable"].clone());
    assert_eq!(connectable("tiktok"), Some(json!(true)));
    assert_eq!(connectable("youtube"), Some(json!(false)), "no YouTube client is configured");
    let (status, body) = app.post(&app.owner, "/connect/youtube/start", json!({"workspace_id": app.workspace})).await;
    assert_eq!(status, 503, "{body}");

    let url = app.start(&app.owner, "tiktok").await;
    assert!(url.as_str().starts_with("https://www.tiktok.com/v2/auth/authorize/"), "{url}");
    assert!(url.query_pairs().any(|(k, v)| k == "client_key" && v == "tt-key"), "{url}");
    assert!(!url.query_pairs().any(|(k, _)| k == "client_id"), "{url}");
    assert!(url.query_pairs().any(|(k, v)| k == "scope" && v.contains("video.publish,")), "{url}");
    let (status, body) = app.callback(&app.owner, "tiktok", "tt-code", &state_of(&url)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["external_id"], "open-1");
    let refresh: i64 = app.count("select count(*) from postiz.credentials where refresh_token_ciphertext is not null").await;
    assert_eq!(refresh, 1, "the refresh token is stored");
}

#[tokio::test]
async fn youtube_asks_for_offline_access_and_the_channel_is_picked_between_the_steps() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("code=g-code"))
        .and(body_string_contains("code_verifier="))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "ya29.access", "expires_in": 3599, "refresh_token": "1//refresh", "scope": "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly", "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/channels"))
        .and(query_param("mine", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": [
            {"id": "UCbakery0123456789abcdef", "snippet": {"title": "The Bakery", "customUrl": "@thebakery"}}
        ]})))
        .mount(&server)
        .await;
    let clients = OAuthClients::new().with(Network::YouTube, client("g-id.apps.googleusercontent.com", "g-secret"));
    let app = ConnectApp::new(registry(&server), clients).await;
    let url = app.start(&app.owner, "youtube").await;
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!((q["access_type"].as_str(), q["prompt"].as_str(), q["code_challenge_method"].as_str()), ("offline", "consent", "S256"));
    assert_eq!(q["client_id"], "g-id.apps.googleusercontent.com");
    let (status, body) = app.callback(&app.owner, "youtube", "g-code", &state_of(&url)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "choose_target");
    assert_eq!(body["targets"][0]["id"], "UCbakery0123456789abcdef");
    let pending = body["pending_id"].as_str().unwrap();
    let (status, body) =
        app.post(&app.owner, &format!("/connect/pending/{pending}/complete"), json!({"target_id": "UCbakery0123456789abcdef"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["external_id"], "UCbakery0123456789abcdef");
    assert_eq!(app.count("select count(*) from postiz.credentials where refresh_token_ciphertext is not null").await, 1);
}
