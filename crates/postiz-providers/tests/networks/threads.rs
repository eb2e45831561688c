//! Threads contract tests: text, media and carousel containers, reply threads through
//! `reply_to_id`, container status, and Graph error bodies.

use std::sync::Arc;
use std::time::Duration;

use postiz_domain::MediaKind;
use postiz_providers::threads::ThreadsProvider;
use postiz_providers::{
    AccountRef, AnalyticsQuery, HttpClient, MetricName as M, OAuthClient, Provider, ProviderError, PublishMedia, PublishRequest,
    SecretString, TokenSet,
};
use secrecy::ExposeSecret;
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{
    Auth, Case, analytics_429_is_rate_limited, assert_declared, assert_gone, client, fixture, json_fixture, ok, outcome, png, thread, token,
};
use crate::media_host::{MediaHost, NextId, assert_all_fetch, sent_urls};

const USER: &str = "25012345678901234";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(ThreadsProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef { id: USER.into(), handle: Some("bakery".into()), server: None }
}

fn created(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"id": id}))
}

fn finished(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"status": "FINISHED", "id": id}))
}

fn image(name: &str) -> PublishMedia {
    let mut m = png(name);
    m.public_url = Some(Url::parse(&format!("https://media.example/{name}")).unwrap());
    m
}

fn prelude() -> Vec<Mock> {
    vec![
        Mock::given(method("POST")).and(path(format!("/v1.0/{USER}/threads"))).respond_with(created("c1")),
        Mock::given(method("GET")).and(path("/v1.0/c1")).and(query_param("fields", "status,error_message")).respond_with(finished("c1")),
    ]
}

fn case() -> Case {
    Case {
        fixtures: "threads",
        make,
        account,
        publish: ("POST", "/v1.0/25012345678901234/threads_publish"),
        ok: || created("18028447193193370"),
        expected_id: "18028447193193370",
        auth: Auth::Bearer,
        request: None,
        prelude: Some(prelude),
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    // Meta's wait header; a Retry-After from a proxy would be read first.
    let usage =
        json!({USER: [{"type": "threads", "call_count": 100, "total_cputime": 5, "total_time": 5, "estimated_time_to_regain_access": 2}]});
    (vec![("x-business-use-case-usage", usage.to_string())], Duration::from_secs(120))
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

/// One container (body matched exactly), its FINISHED status, its publish and permalink.
async fn expect_item(server: &MockServer, body: serde_json::Value, container: &str, media: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .and(body_json(body))
        .respond_with(created(container))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET")).and(path(format!("/v1.0/{container}"))).respond_with(finished(container)).expect(1).mount(server).await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .and(body_json(json!({"creation_id": container})))
        .respond_with(created(media))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{media}")))
        .and(query_param("fields", "permalink"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"permalink": format!("https://www.threads.net/@bakery/post/{media}"), "id": media})),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_text_post_is_a_text_container_then_threads_publish() {
    let (server, p) = setup().await;
    expect_item(&server, json!({"media_type": "TEXT", "text": "Hello Threads 👋"}), "ct", "mt").await;
    let post = p.publish(&token(), &account(), &PublishRequest::text("k", "Hello Threads 👋")).await.unwrap();
    assert_eq!(post.id, "mt");
    assert_eq!(post.url.unwrap().as_str(), "https://www.threads.net/@bakery/post/mt");
}

#[tokio::test]
async fn an_image_post_sends_the_public_url_and_alt_text() {
    let (server, p) = setup().await;
    expect_item(
        &server,
        json!({"media_type": "IMAGE", "image_url": "https://media.example/cat.png", "alt_text": "a test image", "text": "cat"}),
        "ci",
        "mi",
    )
    .await;
    let mut req = PublishRequest::text("k", "cat");
    req.items[0].media.push(image("cat.png"));
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "mi");
}

#[tokio::test]
async fn a_carousel_is_built_from_item_containers() {
    let (server, p) = setup().await;
    let mut clip = image("b.mp4");
    clip.kind = MediaKind::Video;
    clip.mime = "video/mp4".into();
    clip.alt = None;
    for (body, id) in [
        (
            json!({"media_type": "IMAGE", "image_url": "https://media.example/a.png", "alt_text": "a test image", "is_carousel_item": true}),
            "k1",
        ),
        (json!({"media_type": "VIDEO", "video_url": "https://media.example/b.mp4", "is_carousel_item": true}), "k2"),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v1.0/{USER}/threads")))
            .and(body_json(body))
            .respond_with(created(id))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET")).and(path(format!("/v1.0/{id}"))).respond_with(finished(id)).expect(1).mount(&server).await;
    }
    expect_item(&server, json!({"media_type": "CAROUSEL", "children": "k1,k2", "text": "both"}), "kc", "mc").await;
    let mut req = PublishRequest::text("k", "both");
    req.items[0].media.extend([image("a.png"), clip]);
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "mc");
}

#[tokio::test]
async fn thread_items_reply_to_the_previous_item_and_the_first_comment_to_the_root() {
    let (server, p) = setup().await;
    expect_item(&server, json!({"media_type": "TEXT", "text": "one"}), "c1", "m1").await;
    expect_item(&server, json!({"media_type": "TEXT", "text": "two", "reply_to_id": "m1"}), "c2", "m2").await;
    expect_item(&server, json!({"media_type": "TEXT", "text": "three", "reply_to_id": "m2"}), "c3", "m3").await;
    expect_item(&server, json!({"media_type": "TEXT", "text": "comment", "reply_to_id": "m1"}), "c4", "m4").await;
    let mut req = thread("k", &["one", "two", "three"]);
    req.first_comment = Some("comment".into());
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["m1", "m2", "m3", "m4"]);
}

#[tokio::test]
async fn a_failed_reply_is_thread_incomplete_with_the_live_items() {
    let (server, p) = setup().await;
    expect_item(&server, json!({"media_type": "TEXT", "text": "one"}), "c1", "m1").await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads")))
        .and(body_json(json!({"media_type": "TEXT", "text": "two", "reply_to_id": "m1"})))
        .respond_with(ResponseTemplate::new(400).set_body_raw(fixture("threads", "429.json"), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &thread("k", &["one", "two"])).await.unwrap_err();
    let ProviderError::ThreadIncomplete { published, cause, .. } = &err else { panic!("{err:?}") };
    assert_eq!(published.len(), 1);
    assert!(matches!(**cause, ProviderError::RateLimited { .. }), "{cause:?}");
}

#[tokio::test]
async fn a_container_that_fails_processing_is_rejected_with_the_error_message() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).and(path(format!("/v1.0/{USER}/threads"))).respond_with(created("cx")).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/cx"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "ERROR", "id": "cx", "error_message": "FAILED_DOWNLOADING_VIDEO"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .respond_with(created("never"))
        .expect(0)
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("FAILED_DOWNLOADING_VIDEO"), "{err}");
}

#[tokio::test]
async fn long_lived_exchange_and_refresh_use_the_threads_grants() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/access_token"))
        .and(query_param("grant_type", "th_exchange_token"))
        .and(query_param("client_secret", "app-secret"))
        .and(query_param("access_token", "short"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "long-1", "token_type": "bearer", "expires_in": 5183944})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/refresh_access_token"))
        .and(query_param("grant_type", "th_refresh_token"))
        .and(query_param("access_token", "long-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "long-2", "token_type": "bearer", "expires_in": 5183944})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = OAuthClient { client_id: "id".into(), client_secret: Some(SecretString::from("app-secret")) };
    let short = TokenSet {
        access_token: SecretString::from("short"),
        refresh_token: None,
        expires_in: None,
        refresh_expires_in: None,
        scopes: vec![],
    };
    let long = p.after_code_exchange(&client, short).await.unwrap();
    assert_eq!(long.access_token.expose_secret(), "long-1");
    let refresh = long.refresh_token.unwrap();
    let next = p.refresh(Some(&client), &refresh, None).await.unwrap();
    assert_eq!(next.access_token.expose_secret(), "long-2");
    assert_eq!(next.refresh_token.unwrap().expose_secret(), "long-2");
}

const MEDIA_METRICS: &str = "views,likes,replies,reposts,quotes,shares";

#[tokio::test]
async fn media_insights_map_onto_the_vocabulary() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/m1/insights"))
        .and(query_param("metric", MEDIA_METRICS))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .respond_with(json_fixture("threads", "metrics-media.json"))
        .expect(1)
        .mount(&server)
        .await;
    let q = AnalyticsQuery::Post { id: "m1".into() };
    let a = p.analytics(&token(), &account(), &q).await.unwrap();
    let got = [M::Views, M::Likes, M::Comments, M::Shares, M::Quotes].map(|m| a.get(m));
    // Shares = reposts (11) + shares (4); both kept apart in raw.
    assert_eq!(got, [4523, 187, 42, 15, 6].map(Some));
    assert_eq!((a.raw["reposts"].as_u64(), a.raw["shares"].as_u64()), (Some(11), Some(4)));
    assert_declared(p.as_ref(), &q, &a);
}

#[tokio::test]
async fn metrics_missing_from_the_insights_answer_are_absent_not_zero() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/m1/insights"))
        .respond_with(json_fixture("threads", "metrics-media-partial.json"))
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: "m1".into() }).await.unwrap();
    assert_eq!((a.get(M::Views), a.get(M::Likes), a.get(M::Comments)), (Some(4523), Some(187), Some(42)));
    assert_eq!((a.get(M::Shares), a.get(M::Quotes)), (None, None));
}

#[tokio::test]
async fn deleted_media_is_gone_per_post() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/m1/insights"))
        .respond_with(json_fixture("threads", "metrics-media.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/m9/insights"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(fixture("threads", "400-media-missing.json"), "application/json"))
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &["m1".to_owned(), "m9".to_owned()]).await.unwrap();
    assert_eq!(outcome(&per), vec![("m1", true), ("m9", false)]);
    assert_eq!(ok(&per, "m1").get(M::Likes), Some(187));
    assert_gone(&per, "m9");
}

#[tokio::test]
async fn a_rate_limited_insights_request_is_the_outer_error_with_its_wait() {
    let (server, p) = setup().await;
    analytics_429_is_rate_limited(
        p.as_ref(),
        &server,
        &account(),
        Mock::given(method("GET")).and(path("/v1.0/m1/insights")),
        AnalyticsQuery::Post { id: "m1".into() },
        "threads",
    )
    .await;
}

#[tokio::test]
async fn account_metrics_read_followers_from_threads_insights() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/{USER}/threads_insights")))
        .and(query_param("metric", "followers_count"))
        .respond_with(json_fixture("threads", "metrics-account.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!(a.get(M::Followers), Some(2481));
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}

/// Containers `c1`, `c2`, … (all FINISHED), the publish of `container` as `t1`, its permalink.
async fn mount_containers(server: &MockServer, container: &str) {
    Mock::given(method("POST")).and(path(format!("/v1.0/{USER}/threads"))).respond_with(NextId::new("c")).mount(server).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1\.0/c[0-9]+$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "FINISHED"})))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v1.0/{USER}/threads_publish")))
        .and(body_json(json!({"creation_id": container})))
        .respond_with(created("t1"))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/t1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"permalink": "https://www.threads.net/@bakery/post/t1", "id": "t1"})))
        .mount(server)
        .await;
}

/// An image post: Threads gets the file's signed URL, which serves exactly the stored bytes.
#[tokio::test]
async fn an_image_is_fetched_from_the_url_handed_to_threads() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    mount_containers(&server, "c1").await;
    let photo = host.image(120_000, 11).await;
    let mut req = PublishRequest::text("k", "crumb shot");
    req.items[0].media.push(photo.clone());
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "t1");
    assert_all_fetch(&sent_urls(&server, "image_url").await, &[photo]).await;
}

/// A video post: a VIDEO container whose `video_url` serves the video.
#[tokio::test]
async fn a_video_is_fetched_from_the_url_handed_to_threads() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    mount_containers(&server, "c1").await;
    let clip = host.video(1_000_000, 12).await;
    let mut req = PublishRequest::text("k", "oven timelapse");
    req.items[0].media.push(clip.clone());
    p.publish(&token(), &account(), &req).await.unwrap();
    assert_all_fetch(&sent_urls(&server, "video_url").await, &[clip]).await;
    let bodies = server.received_requests().await.unwrap();
    let first: serde_json::Value = serde_json::from_slice(&bodies[0].body).unwrap();
    assert_eq!(first["media_type"], "VIDEO");
}

/// A carousel: one child container per file, each URL serving its own file, then the parent.
#[tokio::test]
async fn a_carousel_hands_over_one_url_per_file_each_serving_its_own_bytes() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    mount_containers(&server, "c4").await;
    let files = vec![host.image(80_000, 13).await, host.video(300_000, 14).await, host.image(81_000, 15).await];
    let mut req = PublishRequest::text("k", "three ways");
    req.items[0].media = files.clone();
    p.publish(&token(), &account(), &req).await.unwrap();
    let images = sent_urls(&server, "image_url").await;
    let videos = sent_urls(&server, "video_url").await;
    assert_all_fetch(&images, &[files[0].clone(), files[2].clone()]).await;
    assert_all_fetch(&videos, &[files[1].clone()]).await;
}
