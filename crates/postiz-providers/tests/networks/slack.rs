//! Slack contract tests: `chat.postMessage` shapes, `thread_ts` replies, permalinks, and
//! Slack's HTTP 200 `{"ok": false}` errors classified like HTTP errors.

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::slack::SlackProvider;
use postiz_providers::{AccountRef, FindQuery, HttpClient, OAuthClient, Provider, ProviderError, PublishRequest, SecretString};
use secrecy::ExposeSecret;
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{Auth, Case, client, fixture, png, thread, token};
use crate::media_host::{MediaHost, assert_all_fetch, sent_urls};

const CHANNEL: &str = "C0123456789";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(SlackProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef::new(CHANNEL)
}

fn posted(ts: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({"ok": true, "channel": CHANNEL, "ts": ts, "message": {"type": "message", "text": "…", "ts": ts}}))
}

fn case() -> Case {
    Case {
        fixtures: "slack",
        make,
        account,
        publish: ("POST", "/chat.postMessage"),
        ok: || posted("1732269600.000100"),
        expected_id: "1732269600.000100",
        auth: Auth::Bearer,
        request: None,
        prelude: None,
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    (vec![("retry-after", "30".into())], Duration::from_secs(30))
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

#[tokio::test]
async fn text_message_is_escaped_and_gets_its_permalink() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .and(body_json(json!({"channel": CHANNEL, "text": "Q&amp;A at 5 &lt;today&gt; 🎉"})))
        .respond_with(posted("1.000100"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/chat.getPermalink"))
        .and(query_param("channel", CHANNEL))
        .and(query_param("message_ts", "1.000100"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"ok": true, "channel": CHANNEL, "permalink": "https://acme.slack.com/archives/C0123456789/p1000100"}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &PublishRequest::text("k", "Q&A at 5 <today> 🎉")).await.unwrap();
    assert_eq!(post.id, "1.000100");
    assert_eq!(post.url.unwrap().as_str(), "https://acme.slack.com/archives/C0123456789/p1000100");
}

#[tokio::test]
async fn images_become_image_blocks_after_a_section_with_the_text() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .and(body_json(json!({
            "channel": CHANNEL,
            "text": "our cat",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": "our cat"}},
                {"type": "image", "image_url": "https://media.example/cat.png", "alt_text": "a test image"}
            ]
        })))
        .respond_with(posted("2.000100"))
        .expect(1)
        .mount(&server)
        .await;
    let mut cat = png("cat.png");
    cat.public_url = Some(Url::parse("https://media.example/cat.png").unwrap());
    let mut req = PublishRequest::text("k", "our cat");
    req.items[0].media.push(cat);
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "2.000100");
}

/// Slack threads are flat: every reply carries the parent's `ts`, never another reply's.
#[tokio::test]
async fn thread_items_all_reply_to_the_parent_ts() {
    let (server, p) = setup().await;
    for (text, thread_ts, ts) in [("one", None, "1.1"), ("two", Some("1.1"), "1.2"), ("three", Some("1.1"), "1.3")] {
        let mut body = json!({"channel": CHANNEL, "text": text});
        if let Some(t) = thread_ts {
            body["thread_ts"] = json!(t);
        }
        Mock::given(method("POST"))
            .and(path("/chat.postMessage"))
            .and(body_json(body))
            .respond_with(posted(ts))
            .expect(1)
            .mount(&server)
            .await;
    }
    let post = p.publish(&token(), &account(), &thread("k", &["one", "two", "three"])).await.unwrap();
    assert_eq!(post.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["1.1", "1.2", "1.3"]);
}

async fn ok_false(name: &str) -> ProviderError {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("slack", name), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err()
}

#[tokio::test]
async fn ok_false_on_http_200_is_classified() {
    assert!(matches!(ok_false("200-token-revoked.json").await, ProviderError::Unauthorized { .. }));
    assert!(matches!(ok_false("200-missing-scope.json").await, ProviderError::Unauthorized { .. }));
    let err = ok_false("200-channel-not-found.json").await;
    let ProviderError::Rejected { reason, .. } = &err else { panic!("{err:?}") };
    assert!(reason.contains("pick the channel again (channel_not_found)"), "{reason}");
    assert!(matches!(ok_false("429.json").await, ProviderError::RateLimited { retry_after: None, .. }));
    assert!(matches!(ok_false("503.json").await, ProviderError::Transient { .. }));
    // "It's possible some aspect of the operation succeeded": the post may exist.
    let err = ok_false("200-internal-error.json").await;
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err:?}");
}

#[tokio::test]
async fn a_rate_limited_429_waits_for_retry_after() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(429).insert_header("retry-after", "45").set_body_raw(fixture("slack", "429.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(45)));
}

#[tokio::test]
async fn code_exchange_reads_ok_false_and_the_bot_token() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/oauth.v2.access"))
        .and(body_string_contains("code=good"))
        .and(body_string_contains("client_id=cid"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true, "access_token": "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy", "token_type": "bot",
            "scope": "chat:write,channels:read", "bot_user_id": "U0KRQLJ9H", "app_id": "A0KRD7HC3",
            "team": {"name": "Slack Softball Team", "id": "T9TK3CUKW"}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth.v2.access"))
        .and(body_string_contains("code=used"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": false, "error": "invalid_code"})))
        .mount(&server)
        .await;
    let client = OAuthClient { client_id: "cid".into(), client_secret: Some(SecretString::from("csecret")) };
    let redirect = Url::parse("https://app.example/callback").unwrap();
    let tokens = p.exchange_code(&client, &SecretString::from("good"), &redirect, None).await.unwrap();
    assert!(tokens.access_token.expose_secret().starts_with("xoxb-"));
    assert_eq!(tokens.scopes, ["chat:write", "channels:read"]);
    let err = p.exchange_code(&client, &SecretString::from("used"), &redirect, None).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
}

#[tokio::test]
async fn channels_are_listed_across_pages_and_history_finds_a_message() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/conversations.list"))
        .and(query_param("cursor", "dGVhbTpDMDYxRkE1UEI="))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ok": true, "channels": [{"id": "C2", "name": "random"}], "response_metadata": {"next_cursor": ""}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations.list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "channels": [{"id": CHANNEL, "name": "general"}], "response_metadata": {"next_cursor": "dGVhbTpDMDYxRkE1UEI="}})))
        .mount(&server)
        .await;
    let targets = p.list_targets(&token(), &AccountRef::new("T1")).await.unwrap();
    assert_eq!(targets.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["#general", "#random"]);

    Mock::given(method("GET"))
        .and(path("/conversations.history"))
        .and(query_param("channel", CHANNEL))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true, "messages": [
            {"type": "message", "text": "other", "ts": "9.1"},
            {"type": "message", "text": "Q&amp;A at 5", "ts": "9.2", "bot_id": "B1"}
        ], "has_more": false})))
        .mount(&server)
        .await;
    let q =
        FindQuery { idempotency_key: "k".into(), text: "Q&A at 5".into(), not_before: chrono::Utc::now(), settings: Default::default() };
    assert_eq!(p.find_published(&token(), &account(), &q).await.unwrap().unwrap().id, "9.2");
}

/// Images are image blocks pointing at the files' signed URLs; Slack fetches each, and each
/// serves exactly its stored bytes.
#[tokio::test]
async fn image_blocks_point_at_urls_that_serve_the_stored_images() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    Mock::given(method("POST")).and(path("/chat.postMessage")).respond_with(posted("3.000100")).expect(1).mount(&server).await;
    let files = vec![host.image(150_000, 21).await, host.media(postiz_domain::MediaKind::Image, "image/png", 90_000, 22).await];
    let mut req = PublishRequest::text("k", "two cats");
    req.items[0].media = files.clone();
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "3.000100");
    assert_all_fetch(&sent_urls(&server, "image_url").await, &files).await;
}
