//! X contract tests.

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::x::XProvider;
use postiz_providers::{AccountRef, AnalyticsQuery, FindQuery, HttpClient, MetricName as M, Provider, ProviderError, PublishRequest};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, body_string_contains, header, header_regex, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{
    Auth, Case, EchoIds, analytics_429_is_rate_limited, assert_declared, assert_gone, client, fixture, ids_per_request, json_fixture, ok,
    outcome, png, thread, token,
};

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
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "777", "media_key": "3_777", "expires_after_secs": 86400}})),
        )
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
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"id": "777", "processing_info": {"state": "pending", "check_after_secs": 0}}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/media/upload"))
        .and(query_param("command", "STATUS"))
        .and(query_param("media_id", "777"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": {"id": "777", "processing_info": {"state": "succeeded", "progress_percent": 100}}})),
        )
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
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .and(body_json(json!({"text": "one"})))
        .respond_with(created("1"))
        .expect(1)
        .mount(&server)
        .await;
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
    let q = FindQuery {
        idempotency_key: "k".into(),
        text: "launch day https://example.com/blog/launch".into(),
        not_before: chrono::Utc::now(),
        settings: Default::default(),
    };
    let found = p.find_published(&token(), &account(), &q).await.unwrap().unwrap();
    assert_eq!(found.id, "10");
}

const ALL_FIELDS: &str = "public_metrics,non_public_metrics,organic_metrics";

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn post_metrics_read_public_and_owner_only_counts_in_one_lookup() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("ids", "10,11"))
        .and(query_param("tweet.fields", ALL_FIELDS))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .respond_with(json_fixture("x", "metrics-tweets.json"))
        .expect(1)
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &ids(&["10", "11"])).await.unwrap();
    assert_eq!(outcome(&per), vec![("10", true), ("11", true)]);
    let a = ok(&per, "10");
    let got: Vec<_> =
        [M::Impressions, M::Likes, M::Shares, M::Comments, M::Quotes, M::Saves, M::Clicks, M::ProfileViews].map(|m| a.get(m)).to_vec();
    // Impressions from the owner-only count (101), not the public one (99).
    assert_eq!(got, [101, 5, 2, 3, 1, 4, 7, 2].map(Some).to_vec());
    assert_eq!(a.raw["public_metrics"]["retweet_count"], 2);
    assert_eq!(a.raw["non_public_metrics"]["url_link_clicks"], 7);
    assert!(a.raw.get("text").is_none(), "raw keeps the numbers, not the post");
    assert_eq!(ok(&per, "11").get(M::Likes), Some(8));
    assert_declared(p.as_ref(), &AnalyticsQuery::Post { id: "10".into() }, a);
}

#[tokio::test]
async fn a_403_for_owner_only_fields_falls_back_to_public_metrics_and_clicks_are_absent() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("tweet.fields", ALL_FIELDS))
        .respond_with(ResponseTemplate::new(403).set_body_raw(fixture("x", "403-client-forbidden.json"), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("ids", "11"))
        .and(query_param("tweet.fields", "public_metrics"))
        .respond_with(json_fixture("x", "metrics-tweets-public.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: "11".into() }).await.unwrap();
    assert_eq!((a.get(M::Likes), a.get(M::Impressions), a.get(M::Saves)), (Some(30), Some(900), Some(3)));
    assert_eq!((a.get(M::Clicks), a.get(M::ProfileViews)), (None, None), "not readable is absent, not zero");
}

#[tokio::test]
async fn posts_whose_owner_only_fields_are_refused_are_asked_again_with_public_fields() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("ids", "10,11"))
        .and(query_param("tweet.fields", ALL_FIELDS))
        .respond_with(json_fixture("x", "metrics-tweets-field-refused.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("ids", "11"))
        .and(query_param("tweet.fields", "public_metrics"))
        .respond_with(json_fixture("x", "metrics-tweets-public.json"))
        .expect(1)
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &ids(&["10", "11"])).await.unwrap();
    assert_eq!(ok(&per, "10").get(M::Clicks), Some(7));
    let older = ok(&per, "11");
    assert_eq!((older.get(M::Likes), older.get(M::Clicks)), (Some(30), None));
}

#[tokio::test]
async fn a_deleted_post_is_gone_on_its_own_while_the_others_answer() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("ids", "10,12"))
        .respond_with(json_fixture("x", "metrics-tweets-deleted.json"))
        .expect(1)
        .mount(&server)
        .await;
    // Asked twice: one answer per id asked, in order.
    let per = p.post_analytics_many(&token(), &account(), &ids(&["10", "12", "10"])).await.unwrap();
    assert_eq!(outcome(&per), vec![("10", true), ("12", false), ("10", true)]);
    assert_gone(&per, "12");
    let ProviderError::Rejected { reason, .. } = per[1].1.as_ref().unwrap_err() else { panic!() };
    assert!(reason.contains("Could not find tweet"), "{reason}");
}

#[tokio::test]
async fn a_batch_refused_as_a_whole_is_asked_again_one_post_at_a_time() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("ids", "10,abc"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [{"parameters": {"ids": ["10,abc"]}, "message": "The `ids` query parameter value [abc] is not valid"}], "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "type": "https://api.twitter.com/2/problems/invalid-request"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("ids", "10"))
        .respond_with(json_fixture("x", "metrics-tweets-deleted.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .and(query_param("ids", "abc"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errors": [{"message": "The `ids` query parameter value [abc] is not valid"}], "title": "Invalid Request", "detail": "One or more parameters to your request was invalid."})))
        .expect(1)
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &ids(&["10", "abc"])).await.unwrap();
    assert_eq!(outcome(&per), vec![("10", true), ("abc", false)]);
    assert_gone(&per, "abc");
}

#[tokio::test]
async fn more_than_100_posts_are_split_into_lookups_of_100() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/tweets"))
        .respond_with(EchoIds {
            param: "ids",
            item: |id| json!({"id": id, "text": "t", "public_metrics": {"like_count": id.len(), "retweet_count": 0, "reply_count": 0, "quote_count": 0}}),
            wrap: |items| json!({"data": items}),
        })
        .expect(2)
        .mount(&server)
        .await;
    let many: Vec<String> = (1000..1150).map(|n| n.to_string()).collect();
    let per = p.post_analytics_many(&token(), &account(), &many).await.unwrap();
    assert_eq!(per.len(), 150);
    assert!(per.iter().all(|(_, r)| r.as_ref().is_ok_and(|a| a.get(M::Likes) == Some(4))));
    assert_eq!(ids_per_request(&server, "ids").await, vec![100, 50]);
    assert_eq!(p.capabilities().analytics_batch, 100);
}

#[tokio::test]
async fn a_rate_limited_lookup_is_the_outer_error_with_its_wait() {
    let (server, p) = setup().await;
    analytics_429_is_rate_limited(
        p.as_ref(),
        &server,
        &account(),
        Mock::given(method("GET")).and(path("/2/tweets")),
        AnalyticsQuery::Post { id: "10".into() },
        "x",
    )
    .await;
}

#[tokio::test]
async fn account_metrics_read_the_users_public_metrics() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/2/users/2244994945"))
        .and(query_param("user.fields", "public_metrics"))
        .respond_with(json_fixture("x", "metrics-user.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!((a.get(M::Followers), a.get(M::Following), a.get(M::Posts)), (Some(1520), Some(180), Some(642)));
    assert_eq!(a.raw["public_metrics"]["listed_count"], 12);
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}
