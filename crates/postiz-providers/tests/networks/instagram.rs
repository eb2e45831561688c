//! Instagram contract tests: the container → status → `media_publish` flow, carousels, the
//! first comment, and documented Instagram error bodies (error-codes reference).

use std::sync::Arc;
use std::time::Duration;

use postiz_domain::{InstagramPostType, InstagramSettings, MediaKind, NetworkSettings};
use postiz_providers::instagram::InstagramProvider;
use postiz_providers::{
    AccountRef, AnalyticsQuery, FindQuery, HttpClient, MetricName as M, Provider, ProviderError, PublishMedia, PublishRequest,
};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{
    Auth, Case, analytics_429_is_rate_limited, assert_declared, assert_gone, client, fixture, json_fixture, outcome, png, thread, token,
};
use crate::media_host::{MediaHost, NextId, assert_all_fetch, assert_fetches, sent_urls};

const IG: &str = "17841400000000001";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(InstagramProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef { id: IG.into(), handle: Some("bakery".into()), server: None }
}

fn image(name: &str) -> PublishMedia {
    let mut m = png(name);
    m.mime = "image/jpeg".into();
    m.public_url = Some(Url::parse(&format!("https://media.example/{name}")).unwrap());
    m
}

fn video(name: &str) -> PublishMedia {
    PublishMedia { kind: MediaKind::Video, mime: "video/mp4".into(), ..image(name) }
}

fn one_image() -> PublishRequest {
    let mut req = PublishRequest::text("conf-key", "hello conformance");
    req.items[0].media.push(image("cat.jpg"));
    req
}

fn created(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"id": id}))
}

fn finished(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"status_code": "FINISHED", "id": id}))
}

/// The container and its status, before `media_publish`.
fn prelude() -> Vec<Mock> {
    vec![
        Mock::given(method("POST")).and(path(format!("/v25.0/{IG}/media"))).respond_with(created("c1")),
        Mock::given(method("GET")).and(path("/v25.0/c1")).and(query_param("fields", "status_code,status")).respond_with(finished("c1")),
    ]
}

fn case() -> Case {
    Case {
        fixtures: "instagram",
        make,
        account,
        publish: ("POST", "/v25.0/17841400000000001/media_publish"),
        ok: || created("17920238422030506"),
        expected_id: "17920238422030506",
        auth: Auth::Bearer,
        request: Some(one_image),
        prelude: Some(prelude),
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    let usage = json!({IG: [{"type": "instagram", "call_count": 100, "total_cputime": 10, "total_time": 10, "estimated_time_to_regain_access": 3}]});
    (vec![("x-business-use-case-usage", usage.to_string())], Duration::from_secs(180))
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

async fn mount_publish(server: &MockServer, container: &str, media: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media_publish")))
        .and(body_json(json!({"creation_id": container})))
        .respond_with(created(media))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{media}")))
        .and(query_param("fields", "permalink"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"permalink": format!("https://www.instagram.com/p/{media}/"), "id": media})),
        )
        .mount(server)
        .await;
}

/// Instagram has no text-only posts: the adapter refuses one before sending anything.
#[tokio::test]
async fn a_text_post_is_refused_without_a_request() {
    let (server, p) = setup().await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "just words")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("at least one image or video"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_image_post_creates_a_container_waits_for_it_then_publishes() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media")))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .and(body_json(json!({"image_url": "https://media.example/cat.jpg", "alt_text": "a test image", "caption": "fresh bread #bakery"})))
        .respond_with(created("c9"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v25.0/c9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status_code": "IN_PROGRESS", "id": "c9"})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v25.0/c9")).respond_with(finished("c9")).expect(1).mount(&server).await;
    mount_publish(&server, "c9", "m9").await;
    let mut req = PublishRequest::text("k", "fresh bread #bakery");
    req.items[0].media.push(image("cat.jpg"));
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.id, "m9");
    assert_eq!(post.url.unwrap().as_str(), "https://www.instagram.com/p/m9/");
}

#[tokio::test]
async fn a_single_video_is_a_reel() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media")))
        .and(body_json(json!({"media_type": "REELS", "video_url": "https://media.example/clip.mp4", "caption": "watch"})))
        .respond_with(created("cv"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v25.0/cv")).respond_with(finished("cv")).expect(1).mount(&server).await;
    mount_publish(&server, "cv", "mv").await;
    let mut req = PublishRequest::text("k", "watch");
    req.items[0].media.push(video("clip.mp4"));
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "mv");
}

#[tokio::test]
async fn a_carousel_creates_item_containers_then_a_parent_with_children() {
    let (server, p) = setup().await;
    for (body, id) in [
        (json!({"image_url": "https://media.example/a.jpg", "is_carousel_item": true}), "ca"),
        (json!({"media_type": "VIDEO", "video_url": "https://media.example/b.mp4", "is_carousel_item": true}), "cb"),
        (json!({"media_type": "CAROUSEL", "children": "ca,cb", "caption": "two things"}), "cp"),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v25.0/{IG}/media")))
            .and(body_json(body))
            .respond_with(created(id))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET")).and(path(format!("/v25.0/{id}"))).respond_with(finished(id)).expect(1).mount(&server).await;
    }
    mount_publish(&server, "cp", "mp").await;
    let mut req = PublishRequest::text("k", "two things");
    req.items[0].media.extend([image("a.jpg"), video("b.mp4")]);
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "mp");
}

/// Instagram has no reply threads: a thread is refused before anything is sent; the first
/// comment is the documented follow-up (`POST /{media}/comments`).
#[tokio::test]
async fn threads_are_refused_and_the_first_comment_goes_to_the_media() {
    let (server, p) = setup().await;
    let mut t = thread("k", &["one", "two"]);
    t.items[0].media.push(image("a.jpg"));
    let err = p.publish(&token(), &account(), &t).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());

    for m in prelude() {
        m.mount(&server).await;
    }
    mount_publish(&server, "c1", "m1").await;
    Mock::given(method("POST"))
        .and(path("/v25.0/m1/comments"))
        .and(body_json(json!({"message": "#tags in the comment"})))
        .respond_with(created("cm1"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = one_image();
    req.first_comment = Some("#tags in the comment".into());
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["m1", "cm1"]);
}

#[tokio::test]
async fn media_without_a_public_url_is_refused_before_any_request() {
    let (server, p) = setup().await;
    let mut req = PublishRequest::text("k", "x");
    req.items[0].media.push(png("local.png"));
    let err = p.publish(&token(), &account(), &req).await.unwrap_err();
    assert!(err.to_string().contains("public address"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_container_in_error_is_rejected_with_its_reason_and_nothing_is_published() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).and(path(format!("/v25.0/{IG}/media"))).respond_with(created("ce")).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v25.0/ce"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"status_code": "ERROR", "status": "Error: Media upload has failed with error code 2207026", "id": "ce"}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media_publish")))
        .respond_with(created("never"))
        .expect(0)
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &one_image()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("2207026"), "{err}");
}

async fn publish_error(status: u16, name: &str) -> ProviderError {
    let (server, p) = setup().await;
    for m in prelude() {
        m.mount(&server).await;
    }
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media_publish")))
        .respond_with(ResponseTemplate::new(status).set_body_raw(fixture("instagram", name), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    p.publish(&token(), &account(), &one_image()).await.unwrap_err()
}

#[tokio::test]
async fn media_not_ready_is_transient_and_the_daily_limit_is_rate_limited() {
    let err = publish_error(400, "400-not-ready.json").await;
    assert!(matches!(err, ProviderError::Transient { .. }), "{err:?}");
    let err = publish_error(400, "400-publish-limit.json").await;
    assert!(matches!(err, ProviderError::RateLimited { .. }), "{err:?}");
    let err = publish_error(400, "401.json").await;
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn list_targets_offers_instagram_accounts_linked_to_pages() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/me/accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "p1", "name": "Bakery", "instagram_business_account": {"id": IG, "username": "bakery"}},
            {"id": "p2", "name": "No Instagram"}
        ]})))
        .mount(&server)
        .await;
    let targets = p.list_targets(&token(), &AccountRef::new("user")).await.unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!((targets[0].id.as_str(), targets[0].name.as_str()), (IG, "@bakery (Bakery)"));
    assert!(targets[0].access_token.is_none());
}

#[tokio::test]
async fn find_published_matches_a_recent_caption() {
    let (server, p) = setup().await;
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S+0000").to_string();
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{IG}/media")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "old", "caption": "fresh bread", "timestamp": "2020-01-01T00:00:00+0000"},
            {"id": "new", "caption": "fresh bread", "timestamp": now, "permalink": "https://www.instagram.com/p/new/"}
        ]})))
        .mount(&server)
        .await;
    let q = FindQuery {
        idempotency_key: "k".into(),
        text: "fresh bread".into(),
        not_before: chrono::Utc::now() - chrono::Duration::seconds(30),
        settings: Default::default(),
    };
    let found = p.find_published(&token(), &account(), &q).await.unwrap().unwrap();
    assert_eq!(found.id, "new");
}

const MEDIA: &str = "17900000000000001";
const FULL_INSIGHTS: &str = "reach,likes,comments,shares,saved,views";
const BASIC_INSIGHTS: &str = "reach,likes,comments,saved";

fn media_fields(server_fixture: &str) -> Mock {
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{MEDIA}")))
        .and(query_param("fields", "like_count,comments_count"))
        .respond_with(json_fixture("instagram", server_fixture))
}

fn insights(metric: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path(format!("/v25.0/{MEDIA}/insights"))).and(query_param("metric", metric))
}

fn graph_400(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_raw(fixture("instagram", name), "application/json")
}

#[tokio::test]
async fn media_metrics_read_the_counted_fields_and_the_insights() {
    let (server, p) = setup().await;
    media_fields("metrics-media-fields.json").expect(1).mount(&server).await;
    insights(FULL_INSIGHTS)
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .respond_with(json_fixture("instagram", "metrics-media-insights.json"))
        .expect(1)
        .mount(&server)
        .await;
    let q = AnalyticsQuery::Post { id: MEDIA.into() };
    let a = p.analytics(&token(), &account(), &q).await.unwrap();
    let got = [M::Reach, M::Views, M::Likes, M::Comments, M::Shares, M::Saves].map(|m| a.get(m));
    // Likes from the media's like_count (120), insights' organic likes (118) kept in raw.
    assert_eq!(got, [800, 1450, 120, 14, 9, 31].map(Some));
    assert_eq!(a.raw["insights"]["likes"], 118);
    assert_eq!(a.get(M::Impressions), None, "impressions were retired for new media");
    assert_declared(p.as_ref(), &q, &a);
}

#[tokio::test]
async fn a_metric_the_media_type_does_not_support_falls_back_to_the_basic_set() {
    let (server, p) = setup().await;
    media_fields("metrics-media-fields.json").mount(&server).await;
    insights(FULL_INSIGHTS).respond_with(graph_400("400-unsupported-metric.json")).expect(1).mount(&server).await;
    insights(BASIC_INSIGHTS).respond_with(json_fixture("instagram", "metrics-media-insights-basic.json")).expect(1).mount(&server).await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: MEDIA.into() }).await.unwrap();
    assert_eq!((a.get(M::Reach), a.get(M::Saves), a.get(M::Likes)), (Some(640), Some(20), Some(120)));
    assert_eq!((a.get(M::Views), a.get(M::Shares)), (None, None), "unsupported for this media is absent, not zero");
}

#[tokio::test]
async fn without_the_insights_permission_only_the_counted_fields_remain() {
    let (server, p) = setup().await;
    media_fields("metrics-media-fields-hidden-likes.json").mount(&server).await;
    insights(FULL_INSIGHTS).respond_with(graph_400("400-insights-permission.json")).expect(1).mount(&server).await;
    // A permission refusal would refuse the smaller set too: not asked.
    insights(BASIC_INSIGHTS).respond_with(json_fixture("instagram", "metrics-media-insights-basic.json")).expect(0).mount(&server).await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: MEDIA.into() }).await.unwrap();
    assert_eq!(a.get(M::Comments), Some(14));
    // The owner hid like counts: no like_count field, and no insights to fall back on.
    assert_eq!((a.get(M::Likes), a.get(M::Reach)), (None, None));
}

#[tokio::test]
async fn deleted_media_is_gone_per_post() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{MEDIA}")))
        .respond_with(graph_400("400-media-missing.json"))
        .expect(1)
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &[MEDIA.to_owned()]).await.unwrap();
    assert_eq!(outcome(&per), vec![(MEDIA, false)]);
    assert_gone(&per, MEDIA);
}

#[tokio::test]
async fn a_rate_limited_media_request_is_the_outer_error_with_its_wait() {
    let (server, p) = setup().await;
    analytics_429_is_rate_limited(
        p.as_ref(),
        &server,
        &account(),
        Mock::given(method("GET")).and(path(format!("/v25.0/{MEDIA}"))),
        AnalyticsQuery::Post { id: MEDIA.into() },
        "instagram",
    )
    .await;
}

#[tokio::test]
async fn account_metrics_read_the_counters_and_the_last_full_days_reach() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{IG}")))
        .and(query_param("fields", "followers_count,follows_count,media_count"))
        .respond_with(json_fixture("instagram", "metrics-account.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{IG}/insights")))
        .and(query_param("metric", "reach"))
        .and(query_param("period", "day"))
        .respond_with(json_fixture("instagram", "metrics-account-insights.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    let got = [M::Followers, M::Following, M::Posts, M::Reach].map(|m| a.get(m));
    assert_eq!(got, [4210, 312, 187, 1530].map(Some));
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}

#[tokio::test]
async fn account_reach_not_offered_leaves_the_counters() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{IG}")))
        .respond_with(json_fixture("instagram", "metrics-account.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{IG}/insights")))
        .respond_with(graph_400("400-insights-permission.json"))
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!((a.get(M::Followers), a.get(M::Reach)), (Some(4210), None));
}

/// Graph answers for any number of containers: `c1`, `c2`, … in creation order, all FINISHED.
async fn mount_containers(server: &MockServer) {
    Mock::given(method("POST")).and(path(format!("/v25.0/{IG}/media"))).respond_with(NextId::new("c")).mount(server).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v25\.0/c[0-9]+$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status_code": "FINISHED"})))
        .mount(server)
        .await;
}

/// The container bodies the adapter sent, in order.
async fn container_bodies(server: &MockServer) -> Vec<serde_json::Value> {
    let media = format!("/v25.0/{IG}/media");
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == media)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// A feed image: Instagram gets the file's signed URL, and that URL serves exactly the stored
/// bytes (fetched the way Instagram's fetcher does, a plain GET).
#[tokio::test]
async fn a_feed_image_is_fetched_from_the_url_handed_to_instagram() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    mount_containers(&server).await;
    mount_publish(&server, "c1", "m1").await;
    let photo = host.image(200_000, 1).await;
    let mut req = PublishRequest::text("k", "fresh bread");
    req.items[0].media.push(photo.clone());

    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "m1");
    let bodies = container_bodies(&server).await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["caption"], "fresh bread");
    assert!(bodies[0].get("media_type").is_none(), "a feed image has no media_type: {}", bodies[0]);
    assert_all_fetch(&sent_urls(&server, "image_url").await, &[photo]).await;
}

/// A carousel of the maximum ten items, images and videos mixed: ten child containers each
/// pointing at its own file, a parent listing them in order, one publish of the parent.
#[tokio::test]
async fn a_carousel_of_ten_hands_over_ten_urls_each_serving_its_own_file() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    mount_containers(&server).await;
    mount_publish(&server, "c11", "m1").await;
    let mut files = vec![];
    for i in 0..10u32 {
        files.push(if i % 4 == 3 { host.video(150_000 + i as usize, i).await } else { host.image(90_000 + i as usize, i).await });
    }
    let mut req = PublishRequest::text("k", "ten loaves");
    req.items[0].media = files.clone();

    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "m1");
    let bodies = container_bodies(&server).await;
    assert_eq!(bodies.len(), 11, "ten children and the parent");
    for (body, file) in bodies.iter().zip(&files) {
        assert_eq!(body["is_carousel_item"], true, "{body}");
        let field = if file.kind == MediaKind::Video { "video_url" } else { "image_url" };
        let url = body[field].as_str().unwrap_or_else(|| panic!("{field} in {body}"));
        assert_fetches(url, file).await;
    }
    let children: Vec<String> = (1..=10).map(|n| format!("c{n}")).collect();
    assert_eq!(bodies[10], json!({"media_type": "CAROUSEL", "children": children.join(","), "caption": "ten loaves"}));
}

/// A single video goes out as a reel; Instagram downloads the video from its URL.
#[tokio::test]
async fn a_reel_hands_over_the_video_url_which_serves_the_video() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    mount_containers(&server).await;
    mount_publish(&server, "c1", "m1").await;
    let clip = host.video(1_000_000, 7).await;
    let mut req = PublishRequest::text("k", "behind the oven");
    req.items[0].media.push(clip.clone());

    p.publish(&token(), &account(), &req).await.unwrap();
    let bodies = container_bodies(&server).await;
    assert_eq!(bodies[0]["media_type"], "REELS");
    assert_all_fetch(&sent_urls(&server, "video_url").await, &[clip]).await;
}

fn story(mut req: PublishRequest) -> PublishRequest {
    req.settings = NetworkSettings::Instagram(InstagramSettings { post_type: Some(InstagramPostType::Story) });
    req
}

/// A story image: one `media_type=STORIES` container with the file's signed `image_url` and
/// no caption (stories have none), then `media_publish` of that container; the URL serves
/// exactly the stored bytes.
#[tokio::test]
async fn a_story_image_is_a_stories_container_without_caption_fetched_from_its_url() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    mount_containers(&server).await;
    mount_publish(&server, "c1", "m1").await;
    let photo = host.image(120_000, 3).await;
    let mut req = PublishRequest::text("k", "not shown on a story");
    req.items[0].media.push(photo.clone());

    assert_eq!(p.publish(&token(), &account(), &story(req)).await.unwrap().id, "m1");
    let bodies = container_bodies(&server).await;
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0], json!({"media_type": "STORIES", "image_url": photo.public_url.as_ref().unwrap().as_str()}));
    assert_all_fetch(&sent_urls(&server, "image_url").await, &[photo]).await;
}

/// A story video: the container is polled (`status_code`) until FINISHED before the one
/// publish; the `video_url` serves the video byte for byte.
#[tokio::test]
async fn a_story_video_waits_for_processing_then_publishes_and_its_url_serves_the_video() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    Mock::given(method("POST")).and(path(format!("/v25.0/{IG}/media"))).respond_with(created("cs")).expect(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v25.0/cs"))
        .and(query_param("fields", "status_code,status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status_code": "IN_PROGRESS", "id": "cs"})))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v25.0/cs")).respond_with(finished("cs")).expect(1).mount(&server).await;
    mount_publish(&server, "cs", "ms").await;
    let clip = host.video(600_000, 9).await;
    let mut req = PublishRequest::text("k", "");
    req.items[0].media.push(clip.clone());

    assert_eq!(p.publish(&token(), &account(), &story(req)).await.unwrap().id, "ms");
    let bodies = container_bodies(&server).await;
    assert_eq!(bodies, [json!({"media_type": "STORIES", "video_url": clip.public_url.as_ref().unwrap().as_str()})]);
    assert_all_fetch(&sent_urls(&server, "video_url").await, &[clip]).await;
}

/// A story video Instagram fails to process (`status_code=ERROR`) is rejected with the
/// reason, not retried, and nothing is published.
#[tokio::test]
async fn a_story_video_that_fails_processing_is_rejected_and_nothing_is_published() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    Mock::given(method("POST")).and(path(format!("/v25.0/{IG}/media"))).respond_with(created("cx")).expect(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v25.0/cx"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"status_code": "ERROR", "status": "Error: Media upload has failed with error code 2207026", "id": "cx"}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media_publish")))
        .respond_with(created("never"))
        .expect(0)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "");
    req.items[0].media.push(host.video(300_000, 4).await);

    let err = p.publish(&token(), &account(), &story(req)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("2207026"), "{err}");
}

/// What a story cannot be is refused before any request: two files, or a first comment.
#[tokio::test]
async fn a_story_with_two_files_or_a_first_comment_is_refused_without_a_request() {
    let (server, p) = setup().await;
    let mut two = PublishRequest::text("k", "");
    two.items[0].media.extend([image("a.jpg"), image("b.jpg")]);
    let err = p.publish(&token(), &account(), &story(two)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("one image or video"), "{err}");

    let mut commented = story(one_image());
    commented.first_comment = Some("hi".into());
    let err = p.publish(&token(), &account(), &commented).await.unwrap_err();
    assert!(err.to_string().contains("no comments"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// A reel is one video: an image asked to go out as a reel is refused before any request.
#[tokio::test]
async fn a_reel_of_an_image_is_refused_without_a_request() {
    let (server, p) = setup().await;
    let mut req = one_image();
    req.settings = NetworkSettings::Instagram(InstagramSettings { post_type: Some(InstagramPostType::Reel) });
    let err = p.publish(&token(), &account(), &req).await.unwrap_err();
    assert!(err.to_string().contains("reel is one video"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
