//! X contract tests.

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::x::XProvider;
use postiz_providers::{AccountRef, AnalyticsQuery, FindQuery, HttpClient, Provider, ProviderError, PublishRequest};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, body_string_contains, header, header_regex, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{Auth, Case, client, fixture, png, thread, token};

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(XProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef { id: "2244994945".into(), handle: Some("postiz_test".into()), server: None }
}

fn case() -> Case {
    Case {
        fixtures: "x",
        make,
        account,
        publish: ("POST", "/2/tweets"),
        ok: || ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "1445880548472328192", "text": "hello conformance"}})),
        expected_id: "1445880548472328192",
        auth: Auth::Bearer,
        request: None,
        prelude: None,
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    let reset = chrono::Utc::now().timestamp() + 900;
    (vec![("x-rate-limit-reset", reset.to_string()), ("x-rate-limit-remaining", "0".into())], Duration::from_secs(900))
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

fn created(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(json!({"data": {"id": id, "text": "…"}}))
}

#[tokio::test]
async fn text_post_sends_exactly_the_documented_body() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"text": "Hello from the scheduler 👋"})))
        .respond_with(created("100"))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &PublishRequest::text("k", "Hello from the scheduler 👋")).await.unwrap();
    assert_eq!(post.id, "100");
    assert_eq!(post.url.unwrap().as_str(), "https://x.com/postiz_test/status/100");
}

#[tokio::test]
async fn media_post_uploads_in_chunks_waits_for_processing_then_attaches_the_id() {
    let (server, p) = setup().await;
    let image = png("cat.png");
    Mock::given(method("POST"))
        .and(path("/2/media/upload/initialize"))
        .and(body_json(json!({"media_type": "image/png", "total_bytes": image.data.len(), "media_category": "tweet_image"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "777", "media_key": "3_777", "expires_after_secs": 86400}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/777/append"))
        .and(header_regex("content-type", "^multipart/form-data; boundary="))
        .and(body_string_contains("name=\"segment_index\"\r\n\r\n0"))
        .and(body_string_contains("name=\"media\"; filename=\"cat.png\""))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload/777/finalize"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "777", "processing_info": {"state": "pending", "check_after_secs": 0}}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/media/upload"))
        .and(query_param("command", "STATUS"))
        .and(query_param("media_id", "777"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "777", "processing_info": {"state": "succeeded", "progress_percent": 100}}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .and(body_json(json!({"id": "777", "metadata": {"alt_text": {"text": "a test image"}}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"associated_metadata": true}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(body_json(json!({"text": "look", "media": {"media_ids": ["777"]}})))
        .respond_with(created("200"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "look");
    req.items[0].media.push(image);
    let result = p.publish(&token(), &account(), &req).await;
    if result.is_err() {
        for r in server.received_requests().await.unwrap_or_default() {
            eprintln!("{} {}\n{:?}\n{}", r.method, r.url, r.headers, String::from_utf8_lossy(&r.body));
        }
    }
    assert_eq!(result.unwrap().id, "200");
}

#[tokio::test]
async fn thread_items_reply_to_the_previous_item() {
    let (server, p) = setup().await;
    for (body, id) in [
        (json!({"text": "one"}), "1"),
        (json!({"text": "two", "reply": {"in_reply_to_tweet_id": "1"}}), "2"),
        (json!({"text": "three", "reply": {"in_reply_to_tweet_id": "2"}}), "3"),
        (json!({"text": "first comment", "reply": {"in_reply_to_tweet_id": "1"}}), "4"),
    ] {
        Mock::given(method("POST")).and(path("/2/tweets")).and(body_json(body)).respond_with(created(id)).expect(1).mount(&server).await;
    }
    let mut req = thread("k", &["one", "two", "three"]);
    req.first_comment = Some("first comment".into());
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    let ids: Vec<_> = post.items.iter().map(|i| (i.index, i.id.as_str())).collect();
    assert_eq!(ids, vec![(0, "1"), (1, "2"), (2, "3"), (3, "4")]);
}

#[tokio::test]
async fn a_failed_reply_reports_what_went_out_and_resuming_skips_it() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).and(path("/2/tweets")).and(body_json(json!({"text": "one"}))).respond_with(created("1")).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(body_json(json!({"text": "two", "reply": {"in_reply_to_tweet_id": "1"}})))
        .respond_with(ResponseTemplate::new(503).set_body_raw(fixture("x", "503.json"), "application/json"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let req = thread("k", &["one", "two"]);
    let err = p.publish(&token(), &account(), &req).await.unwrap_err();
    let ProviderError::ThreadIncomplete { published, cause, .. } = &err else { panic!("{err:?}") };
    assert_eq!(published.len(), 1);
    assert!(matches!(**cause, ProviderError::Transient { .. }));
    assert!(err.is_retryable());

    // Resume: only "two" is sent, replying to "1".
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(body_json(json!({"text": "two", "reply": {"in_reply_to_tweet_id": "1"}})))
        .respond_with(created("2"))
        .expect(1)
        .mount(&server)
        .await;
    let mut resume = req.clone();
    resume.already_published = published.clone();
    let post = p.publish(&token(), &account(), &resume).await.unwrap();
    assert_eq!(post.id, "1");
    assert_eq!(post.items.len(), 2);
}

#[tokio::test]
async fn duplicate_content_403_is_duplicate_not_rejected() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(fixture("x", "403-duplicate.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "again")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Duplicate { .. }), "{err:?}");
    assert!(err.may_have_published());
}

#[tokio::test]
async fn exhausted_daily_user_limit_wins_over_the_window_reset() {
    let (server, p) = setup().await;
    let now = chrono::Utc::now().timestamp();
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_raw(fixture("x", "429.json"), "application/json")
                .insert_header("x-rate-limit-reset", (now + 60).to_string().as_str())
                .insert_header("x-user-limit-24hour-remaining", "0")
                .insert_header("x-user-limit-24hour-reset", (now + 3600).to_string().as_str()),
        )
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    let wait = err.retry_after().unwrap();
    assert!(wait > Duration::from_secs(3500), "{wait:?}");
}

#[tokio::test]
async fn find_published_matches_the_timeline_despite_tco_links() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/users/2244994945/tweets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "9", "text": "other post", "created_at": "2026-11-22T10:00:00.000Z"},
            {"id": "10", "text": "launch day https://t.co/abc", "created_at": "2026-11-22T10:00:01.000Z"}
        ], "meta": {"result_count": 2}})))
        .expect(1)
        .mount(&server)
        .await;
    let q = FindQuery { idempotency_key: "k".into(), text: "launch day https://example.com/blog/launch".into(), not_before: chrono::Utc::now() };
    let found = p.find_published(&token(), &account(), &q).await.unwrap().unwrap();
    assert_eq!(found.id, "10");
}

#[tokio::test]
async fn post_analytics_reads_public_metrics() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/tweets/10"))
        .and(query_param("tweet.fields", "public_metrics"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "10", "text": "t", "public_metrics": {"retweet_count": 2, "reply_count": 3, "like_count": 5, "quote_count": 1, "impression_count": 99}}})))
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: "10".into() }).await.unwrap();
    assert_eq!(a.get("likes"), Some(5));
    assert_eq!(a.get("impressions"), Some(99));
}
