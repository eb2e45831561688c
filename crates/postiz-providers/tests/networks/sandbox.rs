//! Sandbox adapter: the conformance suite against wiremock, then end-to-end against the
//! real `postiz-sandbox` server (duplicates counted, faults injected).

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::sandbox::SandboxProvider;
use postiz_providers::{AccountRef, AnalyticsQuery, FindQuery, HttpClient, MetricName as M, Provider, ProviderError, PublishRequest};
use postiz_sandbox::{Fault, Sandbox, SandboxConfig};
use serde_json::json;
use url::Url;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{
    Auth, Case, analytics_429_is_rate_limited, assert_declared, assert_gone, client, json_fixture, ok, outcome, png, thread, token,
};

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(SandboxProvider::new(http, base))
}

fn account() -> AccountRef {
    AccountRef::new("sandbox-user")
}

fn case() -> Case {
    Case {
        fixtures: "sandbox",
        make,
        account,
        publish: ("POST", "/api/posts"),
        ok: || ResponseTemplate::new(201).set_body_json(json!({"id": "1", "url": "http://127.0.0.1/posts/1"})),
        expected_id: "1",
        auth: Auth::Bearer,
        request: None,
        prelude: None,
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    (vec![("retry-after", "5".into())], Duration::from_secs(5))
}

conformance_suite!();

async fn real() -> (Sandbox, Arc<dyn Provider>) {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let p = make(Url::parse(sb.url()).unwrap(), client());
    (sb, p)
}

#[tokio::test]
async fn thread_with_media_and_comment_is_recorded_once_each() {
    let (sb, p) = real().await;
    let mut req = thread("s1", &["one", "two"]);
    req.items[0].media.push(png("a.png"));
    req.first_comment = Some("comment".into());
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.items.len(), 3);
    let report = sb.posts();
    assert_eq!(report.posts.len(), 3);
    assert_eq!(report.posts[0].media_ids.len(), 1);
    assert_eq!(report.posts[1].reply_to.as_deref(), Some(post.items[0].id.as_str()));
    assert_eq!(report.posts[2].reply_to.as_deref(), Some(post.items[0].id.as_str()));
    assert!(report.duplicates().is_empty());
}

#[tokio::test]
async fn injected_429_maps_to_rate_limited_with_the_servers_wait() {
    let (sb, p) = real().await;
    sb.push_fault(Fault::rate_limited(7));
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(sb.posts().posts.is_empty());
}

#[tokio::test]
async fn a_hang_after_commit_is_outcome_unknown_and_find_published_sees_the_post() {
    let (sb, p) = real().await;
    sb.push_fault(Fault::hang().after_commit());
    let req = PublishRequest::text("uncertain", "did it go out?");
    let err = p.publish(&token(), &account(), &req).await.unwrap_err();
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err:?}");
    let q = FindQuery {
        idempotency_key: "uncertain".into(),
        text: req.items[0].text.clone(),
        not_before: chrono::Utc::now(),
        settings: Default::default(),
    };
    let found = p.find_published(&token(), &account(), &q).await.unwrap().expect("the post exists");
    assert_eq!(found.id, sb.posts().posts[0].id);
    // A blind retry would have made a duplicate; the sandbox counts it.
    p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(sb.posts().duplicates(), vec!["uncertain-0".to_owned()]);
}

#[tokio::test]
async fn expired_token_is_unauthorized() {
    let (_sb, p) = real().await;
    let err = p.publish(&postiz_providers::SecretString::from("expired"), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
}

async fn mock() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

#[tokio::test]
async fn post_metrics_map_the_sandbox_names_onto_the_vocabulary() {
    let (server, p) = mock().await;
    Mock::given(method("GET"))
        .and(path("/api/posts/1/metrics"))
        .respond_with(json_fixture("sandbox", "metrics-post.json"))
        .expect(1)
        .mount(&server)
        .await;
    let q = AnalyticsQuery::Post { id: "1".into() };
    let a = p.analytics(&token(), &account(), &q).await.unwrap();
    let got = [M::Impressions, M::Likes, M::Shares, M::Comments, M::Quotes].map(|m| a.get(m));
    assert_eq!(got, [500, 40, 9, 6, 2].map(Some));
    assert_eq!(a.raw, json!({"impressions": 500, "likes": 40, "reposts": 9, "replies": 6, "quotes": 2}));
    assert_declared(p.as_ref(), &q, &a);
}

#[tokio::test]
async fn account_metrics_map_the_sandbox_names_onto_the_vocabulary() {
    let (server, p) = mock().await;
    Mock::given(method("GET"))
        .and(path("/api/me/metrics"))
        .respond_with(json_fixture("sandbox", "metrics-account.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!((a.get(M::Followers), a.get(M::Following), a.get(M::Posts)), (Some(1030), Some(190), Some(3)));
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}

#[tokio::test]
async fn a_rate_limited_metrics_read_is_the_outer_error_with_its_wait() {
    let (server, p) = mock().await;
    analytics_429_is_rate_limited(
        p.as_ref(),
        &server,
        &account(),
        Mock::given(method("GET")).and(path("/api/posts/1/metrics")),
        AnalyticsQuery::Post { id: "1".into() },
        "sandbox",
    )
    .await;
}

#[tokio::test]
async fn against_the_real_sandbox_live_posts_answer_and_a_deleted_one_is_gone() {
    let (sb, p) = real().await;
    let kept = p.publish(&token(), &account(), &PublishRequest::text("m1", "kept")).await.unwrap();
    let removed = p.publish(&token(), &account(), &PublishRequest::text("m2", "removed")).await.unwrap();
    p.delete(&token(), &account(), &removed.id).await.unwrap();
    let per = p.post_analytics_many(&token(), &account(), &[kept.id.clone(), removed.id.clone()]).await.unwrap();
    assert_eq!(outcome(&per), vec![(kept.id.as_str(), true), (removed.id.as_str(), false)]);
    assert_declared(p.as_ref(), &AnalyticsQuery::Post { id: kept.id.clone() }, ok(&per, &kept.id));
    assert!(ok(&per, &kept.id).get(M::Impressions).is_some());
    assert_gone(&per, &removed.id);
    let account_numbers = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!(account_numbers.get(M::Posts), Some(1));
    drop(sb);
}

#[tokio::test]
async fn against_the_real_sandbox_an_injected_429_stops_the_whole_call() {
    let (sb, p) = real().await;
    let post = p.publish(&token(), &account(), &PublishRequest::text("m3", "x")).await.unwrap();
    sb.push_fault(Fault::rate_limited(9));
    let err = p.post_analytics_many(&token(), &account(), std::slice::from_ref(&post.id)).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(9)));
}
