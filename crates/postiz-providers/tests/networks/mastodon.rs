//! Mastodon contract tests.

use std::sync::Arc;
use std::time::Duration;

use postiz_domain::{MastodonSettings, MastodonVisibility, NetworkSettings};
use postiz_providers::mastodon::MastodonProvider;
use postiz_providers::{AccountRef, AnalyticsQuery, HttpClient, HttpSettings, MetricName as M, Provider, ProviderError, PublishRequest};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{
    Auth, Case, analytics_429_is_rate_limited, assert_declared, assert_gone, client, fixture, json_fixture, ok, outcome, png, thread, token,
};

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(MastodonProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef { id: "109".into(), handle: Some("alice".into()), server: None }
}

fn status(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": id, "url": format!("https://mastodon.example/@alice/{id}"), "uri": format!("https://mastodon.example/users/alice/statuses/{id}"),
        "content": "<p>hello</p>", "created_at": "2026-11-22T10:00:00.000Z", "visibility": "public"
    }))
}

fn case() -> Case {
    Case {
        fixtures: "mastodon",
        make,
        account,
        publish: ("POST", "/api/v1/statuses"),
        ok: || status("1100"),
        expected_id: "1100",
        auth: Auth::Bearer,
        request: None,
        prelude: None,
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    let reset = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    (
        vec![("x-ratelimit-limit", "300".into()), ("x-ratelimit-remaining", "0".into()), ("x-ratelimit-reset", reset)],
        Duration::from_secs(120),
    )
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

#[tokio::test]
async fn text_post_sends_status_with_idempotency_key_and_settings() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(header("idempotency-key", "post-42-0"))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .and(body_json(json!({"status": "Hello fediverse", "visibility": "unlisted", "spoiler_text": "cw", "language": "en"})))
        .respond_with(status("1"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("post-42", "Hello fediverse");
    req.settings = NetworkSettings::Mastodon(MastodonSettings {
        visibility: Some(MastodonVisibility::Unlisted),
        spoiler_text: Some("cw".into()),
        sensitive: false,
        language: Some("en".into()),
    });
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.url.unwrap().as_str(), "https://mastodon.example/@alice/1");
}

#[tokio::test]
async fn media_post_polls_a_202_upload_until_processed() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .and(body_string_contains("name=\"file\"; filename=\"cat.png\""))
        .and(body_string_contains("name=\"description\"\r\n\r\na test image"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"id": "m1", "type": "image", "url": null})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/m1"))
        .respond_with(ResponseTemplate::new(206).set_body_json(json!({"id": "m1", "url": null})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/m1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "m1", "url": "https://files.example/m1.png"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(body_json(json!({"status": "cat", "media_ids": ["m1"]})))
        .respond_with(status("2"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "cat");
    req.items[0].media.push(png("cat.png"));
    p.publish(&token(), &account(), &req).await.unwrap();
}

#[tokio::test]
async fn thread_uses_in_reply_to_id_and_one_key_per_item() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(header("idempotency-key", "t-0"))
        .and(body_json(json!({"status": "one"})))
        .respond_with(status("1"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(header("idempotency-key", "t-1"))
        .and(body_json(json!({"status": "two", "in_reply_to_id": "1"})))
        .respond_with(status("2"))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &thread("t", &["one", "two"])).await.unwrap();
    assert_eq!(post.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["1", "2"]);
}

#[tokio::test]
async fn resending_after_outcome_unknown_reuses_the_same_keys() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(header("idempotency-key", "r-0"))
        .respond_with(status("5").set_delay(crate::conformance::TIMEOUT * 2))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .and(header("idempotency-key", "r-0"))
        .respond_with(status("5"))
        .mount(&server)
        .await;
    let req = PublishRequest::text("r", "once");
    let err = p.publish(&token(), &account(), &req).await.unwrap_err();
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }));
    assert!(p.capabilities().idempotent_publish, "the worker may re-send on Mastodon");
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "5");
}

#[tokio::test]
async fn register_client_posts_to_api_v1_apps_on_the_instance() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/apps"))
        .and(body_json(
            json!({"client_name": "Postiz module", "redirect_uris": "https://app.example/callback", "scopes": "read write profile"}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "1", "name": "Postiz module", "client_id": "cid", "client_secret": "csecret"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let base = Url::parse(&server.uri()).unwrap();
    let reg = p.register_client(&base, &Url::parse("https://app.example/callback").unwrap(), "Postiz module").await.unwrap();
    assert_eq!(reg.client.client_id, "cid");
    assert_eq!(reg.token_url.path(), "/oauth/token");
    assert!(!format!("{reg:?}").contains("csecret"));
}

#[tokio::test]
async fn instances_on_private_addresses_are_refused_unless_allowed() {
    let strict = MastodonProvider::new(HttpClient::new(HttpSettings::default()).unwrap());
    for instance in ["http://127.0.0.1:3000", "http://10.0.0.8", "http://[fd00::1]/", "http://localhost:4000"] {
        let acct = AccountRef { server: Some(Url::parse(instance).unwrap()), ..account() };
        let err = strict.publish(&token(), &acct, &PublishRequest::text("k", "x")).await.unwrap_err();
        assert!(matches!(err, ProviderError::Rejected { .. }), "{instance}: {err:?}");
    }
    // With loopback listed (HttpSettings::for_tests, as `cargo xtask run` lists it) the same instance is used.
    let (server, p) = setup().await;
    Mock::given(method("POST")).and(path("/api/v1/statuses")).respond_with(status("9")).expect(1).mount(&server).await;
    let acct = AccountRef { server: Some(Url::parse(&server.uri()).unwrap()), ..account() };
    assert_eq!(p.publish(&token(), &acct, &PublishRequest::text("k", "x")).await.unwrap().id, "9");
}

#[tokio::test]
async fn status_counters_map_onto_the_vocabulary() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/statuses/109"))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .respond_with(json_fixture("mastodon", "metrics-status.json"))
        .expect(1)
        .mount(&server)
        .await;
    let q = AnalyticsQuery::Post { id: "109".into() };
    let a = p.analytics(&token(), &account(), &q).await.unwrap();
    assert_eq!((a.get(M::Likes), a.get(M::Shares), a.get(M::Comments)), (Some(31), Some(9), Some(4)));
    assert_eq!(a.raw, json!({"favourites_count": 31, "reblogs_count": 9, "replies_count": 4}), "only the counters, not the account inside");
    assert_declared(p.as_ref(), &q, &a);
}

#[tokio::test]
async fn a_counter_the_server_leaves_out_is_absent_not_zero() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/statuses/110"))
        .respond_with(json_fixture("mastodon", "metrics-status-partial.json"))
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: "110".into() }).await.unwrap();
    assert_eq!((a.get(M::Likes), a.get(M::Comments)), (Some(5), None));
}

#[tokio::test]
async fn a_deleted_status_is_gone_while_the_others_answer() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/statuses/109"))
        .respond_with(json_fixture("mastodon", "metrics-status.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/statuses/404"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(fixture("mastodon", "404.json"), "application/json"))
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &["109".to_owned(), "404".to_owned()]).await.unwrap();
    assert_eq!(outcome(&per), vec![("109", true), ("404", false)]);
    assert_eq!(ok(&per, "109").get(M::Likes), Some(31));
    assert_gone(&per, "404");
}

#[tokio::test]
async fn a_rate_limited_status_read_is_the_outer_error_with_its_wait() {
    let (server, p) = setup().await;
    analytics_429_is_rate_limited(
        p.as_ref(),
        &server,
        &account(),
        Mock::given(method("GET")).and(path("/api/v1/statuses/109")),
        AnalyticsQuery::Post { id: "109".into() },
        "mastodon",
    )
    .await;
}

#[tokio::test]
async fn account_counters_map_onto_the_vocabulary() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/109"))
        .respond_with(json_fixture("mastodon", "metrics-account.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!((a.get(M::Followers), a.get(M::Following), a.get(M::Posts)), (Some(600), Some(80), Some(420)));
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}
