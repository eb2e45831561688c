//! Discord contract tests: the bot API runs the shared suite (`Authorization: Bot …`);
//! webhooks get their own request-shape, guard and error tests.

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::discord::DiscordProvider;
use postiz_providers::{AccountRef, FindQuery, HttpClient, HttpSettings, Provider, ProviderError, PublishRequest, SecretString};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::conformance::{Auth, Case, client, fixture, png, thread, token};

const CHANNEL: &str = "1100000000000000001";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(DiscordProvider::bot(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef::new(CHANNEL)
}

fn message(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"id": id, "channel_id": CHANNEL, "content": "…", "timestamp": chrono::Utc::now().to_rfc3339(), "type": 0}))
}

fn case() -> Case {
    Case {
        fixtures: "discord",
        make,
        account,
        publish: ("POST", "/channels/1100000000000000001/messages"),
        ok: || message("1200000000000000001"),
        expected_id: "1200000000000000001",
        auth: Auth::Bot,
        request: None,
        prelude: None,
        no_wait_429: "429-cloudflare.txt",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    (
        vec![("retry-after", "65".into()), ("x-ratelimit-scope", "user".into()), ("x-ratelimit-reset-after", "64.57".into())],
        Duration::from_secs(65),
    )
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

fn webhook_token(server: &MockServer) -> SecretString {
    SecretString::from(format!("{}/api/webhooks/1300000000000000001/wh-SECRET-token", server.uri()))
}

/// The JSON in a multipart `payload_json` part.
fn payload_json(req: &Request) -> serde_json::Value {
    let body = String::from_utf8_lossy(&req.body);
    let start = body.find("name=\"payload_json\"").expect("payload_json part");
    let json_start = start + body[start..].find("\r\n\r\n").expect("part body") + 4;
    let json_end = json_start + body[json_start..].find("\r\n--").expect("part end");
    serde_json::from_str(&body[json_start..json_end]).expect("payload json")
}

#[tokio::test]
async fn bot_text_message_carries_a_stable_nonce_and_links_to_the_guild() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/channels/{CHANNEL}/messages")))
        .and(header("authorization", "Bot tok-SECRET-123"))
        .and(body_json(json!({"content": "Hello Discord", "nonce": "pzf80b7e11d3b911e1", "enforce_nonce": true})))
        .respond_with(message("1"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/channels/{CHANNEL}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": CHANNEL, "guild_id": "900", "type": 0})))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &PublishRequest::text("post-42", "Hello Discord")).await.unwrap();
    assert_eq!(post.url.unwrap().as_str(), format!("https://discord.com/channels/900/{CHANNEL}/1"));
}

#[tokio::test]
async fn bot_media_goes_as_files_with_a_payload_json() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/channels/{CHANNEL}/messages")))
        .and(body_string_contains("name=\"files[0]\"; filename=\"cat.png\""))
        .and(body_string_contains("PNG-fake-image-bytes"))
        .respond_with(message("2"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "cat");
    req.items[0].media.push(png("cat.png"));
    p.publish(&token(), &account(), &req).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let payload = payload_json(&received[0]);
    assert_eq!(payload["content"], "cat");
    assert_eq!(payload["attachments"], json!([{"id": 0, "filename": "cat.png", "description": "a test image"}]));
}

#[tokio::test]
async fn bot_thread_items_reply_to_the_previous_message() {
    let (server, p) = setup().await;
    for (text, reply, id) in [("one", None, "1"), ("two", Some("1"), "2"), ("three", Some("2"), "3")] {
        let mut body = json!({"content": text, "enforce_nonce": true});
        if let Some(r) = reply {
            body["message_reference"] = json!({"message_id": r, "fail_if_not_exists": false});
        }
        Mock::given(method("POST"))
            .and(path(format!("/channels/{CHANNEL}/messages")))
            .and(move |req: &Request| {
                let mut got: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                got.as_object_mut().map(|o| o.remove("nonce"));
                got == body
            })
            .respond_with(message(id))
            .expect(1)
            .mount(&server)
            .await;
    }
    let post = p.publish(&token(), &account(), &thread("k", &["one", "two", "three"])).await.unwrap();
    assert_eq!(post.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["1", "2", "3"]);
}

#[tokio::test]
async fn webhook_text_and_media_post_to_the_pasted_url_with_wait() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/webhooks/1300000000000000001/wh-SECRET-token"))
        .and(query_param("wait", "true"))
        .and(body_json(json!({"content": "Hello from a webhook"})))
        .respond_with(message("10"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/webhooks/1300000000000000001/wh-SECRET-token"))
        .and(body_string_contains("name=\"files[0]\"; filename=\"cat.png\""))
        .respond_with(message("11"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/webhooks/1300000000000000001/wh-SECRET-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "1300000000000000001", "type": 1, "guild_id": "900", "channel_id": CHANNEL, "name": "Postiz"})),
        )
        .mount(&server)
        .await;
    let wh = webhook_token(&server);
    let post = p.publish(&wh, &AccountRef::new("webhook"), &PublishRequest::text("k", "Hello from a webhook")).await.unwrap();
    assert_eq!(post.url.unwrap().as_str(), format!("https://discord.com/channels/900/{CHANNEL}/10"));
    let mut req = PublishRequest::text("k", "cat");
    req.items[0].media.push(png("cat.png"));
    assert_eq!(p.publish(&wh, &AccountRef::new("webhook"), &req).await.unwrap().id, "11");
}

/// Webhooks cannot reply to a message (Execute Webhook has no `message_reference`): thread
/// items go out as follow-up messages in the same channel, in order.
#[tokio::test]
async fn webhook_threads_are_follow_up_messages() {
    let (server, p) = setup().await;
    for (text, id) in [("one", "21"), ("two", "22")] {
        Mock::given(method("POST"))
            .and(path("/api/webhooks/1300000000000000001/wh-SECRET-token"))
            .and(body_json(json!({"content": text})))
            .respond_with(message(id))
            .expect(1)
            .mount(&server)
            .await;
    }
    let post = p.publish(&webhook_token(&server), &AccountRef::new("webhook"), &thread("k", &["one", "two"])).await.unwrap();
    assert_eq!(post.items.len(), 2);
}

#[tokio::test]
async fn a_deleted_webhook_is_unauthorized_and_errors_never_show_the_url() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/webhooks/1300000000000000001/wh-SECRET-token"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(fixture("discord", "404-unknown-webhook.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.publish(&webhook_token(&server), &AccountRef::new("webhook"), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wh-SECRET-token"));
}

#[tokio::test]
async fn invalid_form_body_names_the_field() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/channels/{CHANNEL}/messages")))
        .respond_with(ResponseTemplate::new(400).set_body_raw(fixture("discord", "400.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert!(err.to_string().contains("Invalid Form Body (code 50035): content: Must be 2000 or fewer in length."), "{err}");
}

#[tokio::test]
async fn webhook_urls_off_discord_or_on_private_addresses_are_refused() {
    let strict = DiscordProvider::new(HttpClient::new(HttpSettings::default()).unwrap());
    for url in [
        "https://example.com/api/webhooks/1/abc",
        "http://127.0.0.1:8080/api/webhooks/1/abc",
        "http://discord.com/api/webhooks/1/abc",
        "https://discord.com/api/channels/1/messages",
        "https://discord.com/api/webhooks/not-a-number/abc",
        "https://evil.com@169.254.169.254/api/webhooks/1/abc",
    ] {
        let err = strict.publish(&SecretString::from(url), &AccountRef::new("w"), &PublishRequest::text("k", "x")).await.unwrap_err();
        assert!(matches!(err, ProviderError::Rejected { .. }), "{url}: {err:?}");
        assert!(!err.to_string().contains("abc"), "{url}: the error repeats the webhook token: {err}");
    }
}

#[tokio::test]
async fn bot_lists_text_channels_and_finds_a_recent_message() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/users/@me/guilds"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "900", "name": "Bakers"}])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/guilds/900/channels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": CHANNEL, "name": "general", "type": 0},
            {"id": "2", "name": "Voice", "type": 2},
            {"id": "3", "name": "news", "type": 5}
        ])))
        .mount(&server)
        .await;
    let targets = p.list_targets(&token(), &AccountRef::new("bot")).await.unwrap();
    assert_eq!(targets.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["#general (Bakers)", "#news (Bakers)"]);

    Mock::given(method("GET"))
        .and(path(format!("/channels/{CHANNEL}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "5", "content": "launch day", "timestamp": chrono::Utc::now().to_rfc3339()},
            {"id": "4", "content": "launch day", "timestamp": "2020-01-01T00:00:00+00:00"}
        ])))
        .mount(&server)
        .await;
    let q = FindQuery {
        idempotency_key: "k".into(),
        text: "launch day".into(),
        not_before: chrono::Utc::now() - chrono::Duration::seconds(30),
        settings: Default::default(),
    };
    assert_eq!(p.find_published(&token(), &account(), &q).await.unwrap().unwrap().id, "5");
    let err = p.find_published(&webhook_token(&server), &account(), &q).await.unwrap_err();
    assert!(matches!(err, ProviderError::NotSupported { .. }), "{err:?}");
}
