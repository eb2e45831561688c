//! Telegram bot contract tests: the token travels in the path (`/bot{token}/…`), errors are
//! `{"ok": false, "error_code", "description", "parameters"}` with the wait in the body.

use std::sync::Arc;
use std::time::Duration;

use postiz_domain::MediaKind;
use postiz_providers::telegram::TelegramProvider;
use postiz_providers::{AccountRef, HttpClient, Provider, ProviderError, PublishRequest};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{Auth, Case, client, fixture, png, thread, token};

const CHAT: &str = "-1001234567890";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(TelegramProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef::new(CHAT)
}

fn sent(id: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"ok": true, "result": {
        "message_id": id, "date": 1_732_269_600, "text": "…",
        "chat": {"id": -1001234567890_i64, "title": "Bakery news", "type": "channel"}
    }}))
}

fn case() -> Case {
    Case {
        fixtures: "telegram",
        make,
        account,
        publish: ("POST", "/bottok-SECRET-123/sendMessage"),
        ok: || sent(42),
        expected_id: "42",
        auth: Auth::InPath,
        request: None,
        prelude: None,
        no_wait_429: "429-no-parameters.json",
    }
}

/// Telegram sends no rate-limit header: the wait comes from `parameters.retry_after` in
/// the 429 body (35 s in the fixture).
fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    (vec![], Duration::from_secs(35))
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

#[tokio::test]
async fn text_message_uses_the_numeric_chat_id_and_links_to_the_private_channel() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/bottok-SECRET-123/sendMessage"))
        .and(body_json(json!({"chat_id": -1001234567890_i64, "text": "Hello Telegram 👋"})))
        .respond_with(sent(7))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &PublishRequest::text("k", "Hello Telegram 👋")).await.unwrap();
    assert_eq!(post.id, "7");
    assert_eq!(post.url.unwrap().as_str(), "https://t.me/c/1234567890/7");
}

#[tokio::test]
async fn a_public_channel_username_is_sent_as_is_and_linked_by_name() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/bottok-SECRET-123/sendMessage"))
        .and(body_json(json!({"chat_id": "@bakerynews", "text": "hi"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "result": {"message_id": 8, "date": 1, "chat": {"id": -100999, "username": "bakerynews", "type": "channel"}}})))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &AccountRef::new("@bakerynews"), &PublishRequest::text("k", "hi")).await.unwrap();
    assert_eq!(post.url.unwrap().as_str(), "https://t.me/bakerynews/8");
}

#[tokio::test]
async fn one_photo_is_uploaded_with_its_caption() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/bottok-SECRET-123/sendPhoto"))
        .and(body_string_contains("name=\"chat_id\"\r\n\r\n-1001234567890"))
        .and(body_string_contains("name=\"photo\"; filename=\"cat.png\""))
        .and(body_string_contains("name=\"caption\"\r\n\r\nour cat"))
        .respond_with(sent(9))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "our cat");
    req.items[0].media.push(png("cat.png"));
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "9");
}

#[tokio::test]
async fn several_media_go_as_one_media_group_with_the_caption_first() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/bottok-SECRET-123/sendMediaGroup"))
        .and(body_json(json!({"chat_id": -1001234567890_i64, "media": [
            {"type": "photo", "media": "https://media.example/a.png", "caption": "album"},
            {"type": "video", "media": "https://media.example/b.mp4"}
        ]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "result": [
            {"message_id": 20, "date": 1, "media_group_id": "1", "chat": {"id": -1001234567890_i64, "type": "channel"}},
            {"message_id": 21, "date": 1, "media_group_id": "1", "chat": {"id": -1001234567890_i64, "type": "channel"}}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let mut a = png("a.png");
    a.public_url = Some(Url::parse("https://media.example/a.png").unwrap());
    let mut b = png("b.mp4");
    b.kind = MediaKind::Video;
    b.mime = "video/mp4".into();
    b.public_url = Some(Url::parse("https://media.example/b.mp4").unwrap());
    let mut req = PublishRequest::text("k", "album");
    req.items[0].media.extend([a, b]);
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "20");
}

#[tokio::test]
async fn thread_items_reply_with_reply_parameters() {
    let (server, p) = setup().await;
    for (text, reply, id) in [("one", None, 1), ("two", Some(1), 2), ("three", Some(2), 3)] {
        let mut body = json!({"chat_id": -1001234567890_i64, "text": text});
        if let Some(r) = reply {
            body["reply_parameters"] = json!({"message_id": r});
        }
        Mock::given(method("POST"))
            .and(path("/bottok-SECRET-123/sendMessage"))
            .and(body_json(body))
            .respond_with(sent(id))
            .expect(1)
            .mount(&server)
            .await;
    }
    let post = p.publish(&token(), &account(), &thread("k", &["one", "two", "three"])).await.unwrap();
    assert_eq!(post.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["1", "2", "3"]);
}

#[tokio::test]
async fn a_migrated_group_is_rejected_with_the_new_chat_id() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/bottok-SECRET-123/sendMessage"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(fixture("telegram", "400-migrated.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    let ProviderError::Rejected { reason, .. } = &err else { panic!("{err:?}") };
    assert!(reason.contains("-1001234567890"), "{reason}");
}

#[tokio::test]
async fn chat_not_found_is_rejected_and_the_token_never_shows() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/bottok-SECRET-123/sendMessage"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(fixture("telegram", "400.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert!(err.to_string().contains("Bad Request: chat not found"), "{err}");
    assert!(!format!("{err} {err:?}").contains("tok-SECRET-123"));
}

#[tokio::test]
async fn get_me_names_the_bot() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/bottok-SECRET-123/getMe"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"ok": true, "result": {"id": 123456789, "is_bot": true, "first_name": "Bakery Bot", "username": "bakery_bot"}}),
        ))
        .mount(&server)
        .await;
    let info = p.account_info(&token(), None).await.unwrap();
    assert_eq!((info.id.as_str(), info.handle.as_deref()), ("123456789", Some("bakery_bot")));
}
