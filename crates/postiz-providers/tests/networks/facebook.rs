//! Facebook Pages contract tests. Error bodies are the Graph API's documented shape
//! (`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`).

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::facebook::FacebookProvider;
use postiz_providers::{
    AccountRef, AnalyticsQuery, FindQuery, HttpClient, MetricName as M, OAuthClient, Provider, ProviderError, PublishRequest, SecretString,
    TokenSet,
};
use secrecy::ExposeSecret;
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{
    Auth, Case, EchoIds, analytics_429_is_rate_limited, assert_declared, assert_gone, client, fixture, ids_per_request, json_fixture, ok,
    outcome, png, thread, token,
};
use crate::media_host::{MediaHost, assert_all_fetch, sent_urls};

const PAGE: &str = "1029384756";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(FacebookProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef::new(PAGE)
}

fn created(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"id": id}))
}

fn case() -> Case {
    Case {
        fixtures: "facebook",
        make,
        account,
        publish: ("POST", "/v25.0/1029384756/feed"),
        ok: || created("1029384756_5566778899"),
        expected_id: "1029384756_5566778899",
        auth: Auth::Bearer,
        request: None,
        prelude: None,
        no_wait_429: "429.json",
    }
}

/// Graph throttling carries its wait in `X-Business-Use-Case-Usage` (minutes).
fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    let usage =
        json!({PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 12, "total_time": 15, "estimated_time_to_regain_access": 7}]});
    (vec![("x-business-use-case-usage", usage.to_string())], Duration::from_secs(420))
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

#[tokio::test]
async fn text_post_goes_to_the_page_feed() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v25.0/1029384756/feed"))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .and(body_json(json!({"message": "Hello Page fans 👋"})))
        .respond_with(created("1029384756_111"))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &PublishRequest::text("k", "Hello Page fans 👋")).await.unwrap();
    assert_eq!(post.id, "1029384756_111");
    assert_eq!(post.url.unwrap().as_str(), "https://www.facebook.com/1029384756/posts/111");
}

#[tokio::test]
async fn one_photo_is_uploaded_with_its_caption_and_its_post_id_is_the_post() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v25.0/1029384756/photos"))
        .and(body_string_contains("name=\"source\"; filename=\"cat.png\""))
        .and(body_string_contains("name=\"caption\"\r\n\r\nour cat"))
        .and(body_string_contains("name=\"published\"\r\n\r\ntrue"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "777", "post_id": "1029384756_222"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "our cat");
    req.items[0].media.push(png("cat.png"));
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.id, "1029384756_222");
}

#[tokio::test]
async fn several_photos_are_staged_unpublished_then_attached_to_one_feed_post() {
    let (server, p) = setup().await;
    for (file, id) in [("a.png", "901"), ("b.png", "902")] {
        Mock::given(method("POST"))
            .and(path("/v25.0/1029384756/photos"))
            .and(body_json(json!({"url": format!("https://media.example/{file}"), "published": false})))
            .respond_with(created(id))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/v25.0/1029384756/feed"))
        .and(body_json(json!({"message": "two cats", "attached_media": [{"media_fbid": "901"}, {"media_fbid": "902"}]})))
        .respond_with(created("1029384756_333"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "two cats");
    for file in ["a.png", "b.png"] {
        let mut m = png(file);
        m.public_url = Some(Url::parse(&format!("https://media.example/{file}")).unwrap());
        req.items[0].media.push(m);
    }
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, "1029384756_333");
}

#[tokio::test]
async fn a_video_goes_to_the_videos_edge_with_its_description() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v25.0/1029384756/videos"))
        .and(body_json(json!({"file_url": "https://media.example/clip.mp4", "description": "watch"})))
        .respond_with(created("4455"))
        .expect(1)
        .mount(&server)
        .await;
    let mut video = png("clip.mp4");
    video.kind = postiz_domain::MediaKind::Video;
    video.mime = "video/mp4".into();
    video.public_url = Some(Url::parse("https://media.example/clip.mp4").unwrap());
    let mut req = PublishRequest::text("k", "watch");
    req.items[0].media.push(video);
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.url.unwrap().as_str(), "https://www.facebook.com/1029384756/videos/4455");
}

/// Pages have no reply threads: a thread is refused before anything is sent. The first
/// comment is how a follow-up goes out.
#[tokio::test]
async fn threads_are_refused_and_the_first_comment_goes_to_the_post() {
    let (server, p) = setup().await;
    let err = p.publish(&token(), &account(), &thread("k", &["one", "two"])).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
    assert!(server.received_requests().await.unwrap().is_empty());

    Mock::given(method("POST")).and(path("/v25.0/1029384756/feed")).respond_with(created("1029384756_444")).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v25.0/1029384756_444/comments"))
        .and(body_json(json!({"message": "link in the first comment"})))
        .respond_with(created("444_1"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "main");
    req.first_comment = Some("link in the first comment".into());
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["1029384756_444", "444_1"]);
}

async fn error_for(status: u16, fixture_name: &str, headers: &[(&str, &str)]) -> ProviderError {
    let (server, p) = setup().await;
    let mut response = ResponseTemplate::new(status).set_body_raw(fixture("facebook", fixture_name), "application/json");
    for (k, v) in headers {
        response = response.insert_header(*k, *v);
    }
    Mock::given(method("POST")).and(path("/v25.0/1029384756/feed")).respond_with(response).expect(1).mount(&server).await;
    p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err()
}

#[tokio::test]
async fn page_throttling_on_400_is_rate_limited_with_the_buc_wait() {
    let usage =
        r#"{"1029384756":[{"type":"pages","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":12}]}"#;
    let err = error_for(400, "400-page-throttled.json", &[("x-business-use-case-usage", usage)]).await;
    assert_eq!(err.retry_after(), Some(Duration::from_secs(720)), "{err:?}");
    let err = error_for(400, "400-page-throttled.json", &[]).await;
    assert!(matches!(err, ProviderError::RateLimited { retry_after: None, .. }), "{err:?}");
    // X-App-Usage only reports percentages: throttled, wait unknown.
    let err = error_for(403, "429.json", &[("x-app-usage", r#"{"call_count":100,"total_cputime":20,"total_time":20}"#)]).await;
    assert!(matches!(err, ProviderError::RateLimited { retry_after: None, .. }), "{err:?}");
}

#[tokio::test]
async fn expired_tokens_on_400_are_unauthorized_and_unknown_errors_transient() {
    let err = error_for(400, "401.json", &[]).await;
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
    assert!(err.to_string().contains("code 190, subcode 463"), "{err}");
    let err = error_for(500, "400-unknown.json", &[]).await;
    assert!(matches!(err, ProviderError::Transient { .. }), "{err:?}");
    let err = error_for(400, "400-unknown.json", &[]).await;
    assert!(matches!(err, ProviderError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn duplicate_status_is_duplicate() {
    let err = error_for(400, "400-duplicate.json", &[]).await;
    assert!(matches!(err, ProviderError::Duplicate { .. }), "{err:?}");
}

#[tokio::test]
async fn list_targets_offers_pages_with_their_own_tokens() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/me/accounts"))
        .and(query_param("fields", "id,name,access_token,tasks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                {"id": "1", "name": "Bakery", "access_token": "page-token-1", "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]},
                {"id": "2", "name": "Read only", "access_token": "page-token-2", "tasks": ["ANALYZE"]}
            ],
            "paging": {"cursors": {"before": "b", "after": "a"}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let targets = p.list_targets(&token(), &AccountRef::new("user")).await.unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].id, "1");
    assert_eq!(targets[0].access_token.as_ref().unwrap().expose_secret(), "page-token-1");
    assert!(!format!("{targets:?}").contains("page-token-1"));
    assert!(!serde_json::to_string(&targets).unwrap().contains("page-token-1"));
}

#[tokio::test]
async fn after_code_exchange_swaps_for_a_long_lived_token() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/oauth/access_token"))
        .and(query_param("grant_type", "fb_exchange_token"))
        .and(query_param("client_id", "app-id"))
        .and(query_param("client_secret", "app-secret"))
        .and(query_param("fb_exchange_token", "short"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "long", "token_type": "bearer", "expires_in": 5183944})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = OAuthClient { client_id: "app-id".into(), client_secret: Some(SecretString::from("app-secret")) };
    let short = TokenSet {
        access_token: SecretString::from("short"),
        refresh_token: None,
        expires_in: Some(Duration::from_secs(3600)),
        refresh_expires_in: None,
        scopes: vec!["pages_manage_posts".into()],
    };
    let long = p.after_code_exchange(&client, short).await.unwrap();
    assert_eq!(long.access_token.expose_secret(), "long");
    assert_eq!(long.expires_in, Some(Duration::from_secs(5183944)));
    assert_eq!(long.scopes, vec!["pages_manage_posts".to_owned()]);
}

#[tokio::test]
async fn find_published_reads_the_page_posts_since_the_attempt() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/1029384756/published_posts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "1029384756_1", "message": "older", "created_time": "2026-11-22T09:00:00+0000"},
            {"id": "1029384756_2", "message": "launch day https://example.com", "created_time": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S+0000").to_string()}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let q = FindQuery {
        idempotency_key: "k".into(),
        text: "launch day https://example.com".into(),
        not_before: chrono::Utc::now() - chrono::Duration::seconds(30),
        settings: Default::default(),
    };
    assert_eq!(p.find_published(&token(), &account(), &q).await.unwrap().unwrap().id, "1029384756_2");
}

const FIELDS: &str = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares";
const WITH_INSIGHTS: &str = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares,insights.metric(post_media_view,post_total_media_view_unique,post_clicks)";

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn refused(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_raw(fixture("facebook", name), "application/json")
}

#[tokio::test]
async fn post_metrics_read_counts_and_insights_of_several_posts_in_one_request() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/"))
        .and(query_param("ids", "1029384756_2,1029384756_3"))
        .and(query_param("fields", WITH_INSIGHTS))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .respond_with(json_fixture("facebook", "metrics-posts.json"))
        .expect(1)
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &ids(&["1029384756_2", "1029384756_3"])).await.unwrap();
    let a = ok(&per, "1029384756_2");
    let got = [M::Views, M::Reach, M::Clicks, M::Likes, M::Comments, M::Shares].map(|m| a.get(m));
    assert_eq!(got, [340, 210, 17, 12, 3, 2].map(Some));
    assert_eq!(a.raw["insights"]["post_clicks"], 17);
    assert!(a.raw.get("id").is_none() && a.raw["insights"].get("paging").is_none());
    assert_declared(p.as_ref(), &AnalyticsQuery::Post { id: "1029384756_2".into() }, a);
    // The Graph leaves `shares` out of a post never shared.
    assert_eq!(ok(&per, "1029384756_3").get(M::Shares), Some(0));
}

#[tokio::test]
async fn insights_this_token_may_not_read_are_left_out_not_zero() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/"))
        .and(query_param("fields", WITH_INSIGHTS))
        .respond_with(refused("400-insights-permission.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v25.0/"))
        .and(query_param("ids", "1029384756_2"))
        .and(query_param("fields", FIELDS))
        .respond_with(json_fixture("facebook", "metrics-posts-fields-only.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: "1029384756_2".into() }).await.unwrap();
    assert_eq!((a.get(M::Likes), a.get(M::Comments), a.get(M::Shares)), (Some(12), Some(3), Some(2)));
    assert_eq!((a.get(M::Views), a.get(M::Reach), a.get(M::Clicks)), (None, None, None));
}

#[tokio::test]
async fn a_deleted_post_refuses_the_batch_so_each_post_is_asked_alone_and_it_is_gone() {
    let (server, p) = setup().await;
    let both = "1029384756_2,1029384756_9";
    for fields in [WITH_INSIGHTS, FIELDS] {
        Mock::given(method("GET"))
            .and(path("/v25.0/"))
            .and(query_param("ids", both))
            .and(query_param("fields", fields))
            .respond_with(refused("400-object-missing.json"))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v25.0/"))
            .and(query_param("ids", "1029384756_9"))
            .and(query_param("fields", fields))
            .respond_with(refused("400-object-missing.json"))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/v25.0/"))
        .and(query_param("ids", "1029384756_2"))
        .and(query_param("fields", WITH_INSIGHTS))
        .respond_with(json_fixture("facebook", "metrics-posts.json"))
        .expect(1)
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &ids(&["1029384756_2", "1029384756_9"])).await.unwrap();
    assert_eq!(outcome(&per), vec![("1029384756_2", true), ("1029384756_9", false)]);
    assert_eq!(ok(&per, "1029384756_2").get(M::Views), Some(340), "the survivor keeps its insights");
    assert_gone(&per, "1029384756_9");
}

#[tokio::test]
async fn more_than_50_posts_are_split_into_requests_of_50() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v25.0/"))
        .respond_with(EchoIds {
            param: "ids",
            item: |id| json!({"id": id, "reactions": {"data": [], "summary": {"total_count": 1}}}),
            wrap: |items| serde_json::Value::Object(items.into_iter().map(|i| (i["id"].as_str().unwrap().to_owned(), i)).collect()),
        })
        .expect(2)
        .mount(&server)
        .await;
    let many: Vec<String> = (0..60).map(|n| format!("{PAGE}_{n}")).collect();
    let per = p.post_analytics_many(&token(), &account(), &many).await.unwrap();
    assert!(per.iter().all(|(_, r)| r.as_ref().is_ok_and(|a| a.get(M::Likes) == Some(1))));
    assert_eq!(ids_per_request(&server, "ids").await, vec![50, 10]);
}

#[tokio::test]
async fn a_rate_limited_metrics_request_is_the_outer_error_with_its_wait() {
    let (server, p) = setup().await;
    analytics_429_is_rate_limited(
        p.as_ref(),
        &server,
        &account(),
        Mock::given(method("GET")).and(path("/v25.0/")),
        AnalyticsQuery::Post { id: "1029384756_2".into() },
        "facebook",
    )
    .await;
}

#[tokio::test]
async fn page_metrics_read_the_follower_count() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{PAGE}")))
        .and(query_param("fields", "followers_count,fan_count"))
        .respond_with(json_fixture("facebook", "metrics-page.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!(a.get(M::Followers), Some(5321));
    assert_eq!(a.raw["fan_count"], 5100);
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}

/// A video goes to the videos edge as `file_url`: Facebook downloads it, and the URL serves
/// exactly the stored video (no bytes pass through the worker's request).
#[tokio::test]
async fn a_video_by_file_url_is_fetched_from_the_url_handed_to_facebook() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    Mock::given(method("POST")).and(path("/v25.0/1029384756/videos")).respond_with(created("4456")).expect(1).mount(&server).await;
    let clip = host.video(1_000_000, 31).await;
    let mut req = PublishRequest::text("k", "watch this");
    req.items[0].media.push(clip.clone());
    p.publish(&token(), &account(), &req).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].body.len() < 4096, "a JSON body with the URL, not the {} bytes", clip.data.len());
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["description"], "watch this");
    assert_all_fetch(&sent_urls(&server, "file_url").await, &[clip]).await;
}
