//! LinkedIn contract tests.

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::linkedin::{DEFAULT_VERSION, LinkedInProvider};
use postiz_providers::{AccountRef, AnalyticsQuery, HttpClient, MetricName as M, Provider, ProviderError, PublishRequest};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{
    Auth, Case, analytics_429_is_rate_limited, assert_declared, assert_gone, client, fixture, json_fixture, outcome, png, token,
};

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(LinkedInProvider::member(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef::new("abc123")
}

fn created(urn: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).insert_header("x-restli-id", urn)
}

fn case() -> Case {
    Case {
        fixtures: "linkedin",
        make,
        account,
        publish: ("POST", "/rest/posts"),
        ok: || created("urn:li:share:6844785523593134080"),
        expected_id: "urn:li:share:6844785523593134080",
        auth: Auth::Bearer,
        request: None,
        prelude: None,
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    // LinkedIn documents daily quotas without a reset header; a Retry-After, when a proxy
    // adds one, is honoured.
    (vec![("retry-after", "60".into())], Duration::from_secs(60))
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

fn post_body(author: &str, commentary: &str) -> serde_json::Value {
    json!({
        "author": author,
        "commentary": commentary,
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": false
    })
}

#[tokio::test]
async fn text_post_sends_versioned_headers_escaped_commentary_and_reads_x_restli_id() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .and(header("linkedin-version", DEFAULT_VERSION))
        .and(header("x-restli-protocol-version", "2.0.0"))
        .and(body_json(post_body("urn:li:person:abc123", r"Launch \(beta\) today \#rust")))
        .respond_with(created("urn:li:share:1"))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &PublishRequest::text("k", "Launch (beta) today #rust")).await.unwrap();
    assert_eq!(post.id, "urn:li:share:1");
    assert_eq!(post.url.unwrap().as_str(), "https://www.linkedin.com/feed/update/urn:li:share:1/");
}

#[tokio::test]
async fn page_posts_are_authored_by_the_organization() {
    let server = MockServer::start().await;
    let p = LinkedInProvider::page(client()).with_base_url(Url::parse(&server.uri()).unwrap());
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .and(body_json(post_body("urn:li:organization:5515715", "Company news")))
        .respond_with(created("urn:li:share:2"))
        .expect(1)
        .mount(&server)
        .await;
    p.publish(&token(), &AccountRef::new("5515715"), &PublishRequest::text("k", "Company news")).await.unwrap();
}

#[tokio::test]
async fn image_post_initializes_uploads_then_references_the_image_urn() {
    let (server, p) = setup().await;
    let upload_url = format!("{}/dms-uploads/abc", server.uri());
    Mock::given(method("POST"))
        .and(path("/rest/images"))
        .and(query_param("action", "initializeUpload"))
        .and(body_json(json!({"initializeUploadRequest": {"owner": "urn:li:person:abc123"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"value": {"uploadUrlExpiresAt": 1_700_000_000_000_u64, "uploadUrl": upload_url, "image": "urn:li:image:C4E10AQ"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT")).and(path("/dms-uploads/abc")).respond_with(ResponseTemplate::new(201)).expect(1).mount(&server).await;
    let mut body = post_body("urn:li:person:abc123", "pic");
    body["content"] = json!({"media": {"id": "urn:li:image:C4E10AQ", "altText": "a test image"}});
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .and(body_json(body))
        .respond_with(created("urn:li:share:3"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "pic");
    req.items[0].media.push(png("p.png"));
    p.publish(&token(), &account(), &req).await.unwrap();
}

#[tokio::test]
async fn video_post_uploads_parts_finalizes_with_their_etags_then_references_the_video_urn() {
    let (server, p) = setup().await;
    // Ten bytes in two parts, as LinkedIn's upload instructions split them.
    let data = bytes::Bytes::from_static(b"0123456789");
    Mock::given(method("POST"))
        .and(path("/rest/videos"))
        .and(query_param("action", "initializeUpload"))
        .and(body_json(json!({"initializeUploadRequest": {
            "owner": "urn:li:person:abc123", "fileSizeBytes": 10, "uploadCaptions": false, "uploadThumbnail": false}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": {
            "uploadUrlsExpireAt": 1_700_000_000_000_u64,
            "video": "urn:li:video:C5F10AQ",
            "uploadInstructions": [
                {"uploadUrl": format!("{}/dms-uploads/part1", server.uri()), "firstByte": 0, "lastByte": 4},
                {"uploadUrl": format!("{}/dms-uploads/part2", server.uri()), "firstByte": 5, "lastByte": 9}
            ],
            "uploadToken": "tok-1"}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/dms-uploads/part1"))
        .and(wiremock::matchers::body_bytes(b"01234".to_vec()))
        .respond_with(ResponseTemplate::new(200).insert_header("etag", "etag-1"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/dms-uploads/part2"))
        .and(wiremock::matchers::body_bytes(b"56789".to_vec()))
        .respond_with(ResponseTemplate::new(200).insert_header("etag", "etag-2"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/videos"))
        .and(query_param("action", "finalizeUpload"))
        .and(body_json(json!({"finalizeUploadRequest": {
            "video": "urn:li:video:C5F10AQ", "uploadToken": "tok-1", "uploadedPartIds": ["etag-1", "etag-2"]}})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut body = post_body("urn:li:person:abc123", "clip");
    body["content"] = json!({"media": {"id": "urn:li:video:C5F10AQ", "title": "clip.mp4"}});
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .and(body_json(body))
        .respond_with(created("urn:li:share:9"))
        .expect(1)
        .mount(&server)
        .await;

    let mut req = PublishRequest::text("k", "clip");
    req.items[0].media.push(postiz_providers::PublishMedia {
        kind: postiz_domain::MediaKind::Video,
        mime: "video/mp4".into(),
        filename: "clip.mp4".into(),
        data,
        alt: None,
        width: None,
        height: None,
        duration_ms: None,
        public_url: None,
    });
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.id, "urn:li:share:9");
}

#[tokio::test]
async fn first_comment_goes_to_social_actions_of_the_new_post() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).and(path("/rest/posts")).respond_with(created("urn:li:share:4")).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/rest/socialActions/urn%3Ali%3Ashare%3A4/comments"))
        .and(body_json(json!({"actor": "urn:li:person:abc123", "object": "urn:li:share:4", "message": {"text": "link in comments"}})))
        .respond_with(ResponseTemplate::new(201).insert_header("x-restli-id", "urn:li:comment:(urn:li:activity:4,9)"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "post");
    req.first_comment = Some("link in comments".into());
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.items.len(), 2);
}

#[tokio::test]
async fn threads_are_refused_with_a_reason() {
    let (_server, p) = setup().await;
    let err = p.publish(&token(), &account(), &crate::conformance::thread("k", &["a", "b"])).await.unwrap_err();
    let ProviderError::Rejected { reason, .. } = err else { panic!() };
    assert!(reason.contains("does not support threads"));
}

#[tokio::test]
async fn duplicate_422_is_duplicate() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(ResponseTemplate::new(422).set_body_raw(fixture("linkedin", "422-duplicate.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "same")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Duplicate { .. }), "{err:?}");
}

#[tokio::test]
async fn a_201_without_x_restli_id_is_outcome_unknown_not_success() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).and(path("/rest/posts")).respond_with(ResponseTemplate::new(201)).mount(&server).await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err:?}");
}

const SHARE: &str = "urn:li:share:7";

fn member_query(query_type: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/rest/memberCreatorPostAnalytics"))
        .and(query_param("q", "entity"))
        .and(query_param("entity", format!("(share:{SHARE})")))
        .and(query_param("queryType", query_type))
        .and(query_param("aggregation", "TOTAL"))
        .and(header("linkedin-version", DEFAULT_VERSION))
}

fn li_error(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture("linkedin", name), "application/json")
}

async fn page_setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p: Arc<dyn Provider> = Arc::new(LinkedInProvider::page(client()).with_base_url(Url::parse(&server.uri()).unwrap()));
    (server, p)
}

#[tokio::test]
async fn member_post_metrics_come_from_member_creator_post_analytics() {
    let (server, p) = setup().await;
    for qt in ["IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT", "RESHARE"] {
        member_query(qt)
            .respond_with(json_fixture("linkedin", &format!("metrics-member-{}.json", qt.to_lowercase())))
            .expect(1)
            .mount(&server)
            .await;
    }
    let q = AnalyticsQuery::Post { id: SHARE.into() };
    let a = p.analytics(&token(), &account(), &q).await.unwrap();
    let got = [M::Impressions, M::Reach, M::Likes, M::Comments, M::Shares].map(|m| a.get(m));
    assert_eq!(got, [1234, 890, 45, 7, 3].map(Some));
    assert_eq!(a.raw["memberCreatorPostAnalytics"]["MEMBERS_REACHED"], 890);
    assert_declared(p.as_ref(), &q, &a);
    // Rest.li syntax goes out unencoded around an encoded URN.
    let url = server.received_requests().await.unwrap()[0].url.to_string();
    assert!(url.contains("entity=(share:urn%3Ali%3Ashare%3A7)"), "{url}");
}

#[tokio::test]
async fn without_post_analytics_permission_member_posts_fall_back_to_social_actions() {
    let (server, p) = setup().await;
    member_query("IMPRESSION").respond_with(li_error(403, "403-member-analytics.json")).expect(1).mount(&server).await;
    member_query("REACTION").respond_with(json_fixture("linkedin", "metrics-member-reaction.json")).expect(0).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/rest/socialActions/urn%3Ali%3Ashare%3A7"))
        .respond_with(json_fixture("linkedin", "metrics-social-actions.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: SHARE.into() }).await.unwrap();
    assert_eq!((a.get(M::Likes), a.get(M::Comments)), (Some(17), Some(5)));
    assert_eq!((a.get(M::Impressions), a.get(M::Reach)), (None, None));
}

#[tokio::test]
async fn a_later_query_refused_on_its_own_leaves_only_its_metric_out() {
    let (server, p) = setup().await;
    for qt in ["IMPRESSION", "MEMBERS_REACHED", "REACTION", "COMMENT"] {
        member_query(qt).respond_with(json_fixture("linkedin", &format!("metrics-member-{}.json", qt.to_lowercase()))).mount(&server).await;
    }
    member_query("RESHARE").respond_with(li_error(400, "400.json")).mount(&server).await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Post { id: SHARE.into() }).await.unwrap();
    assert_eq!((a.get(M::Impressions), a.get(M::Shares)), (Some(1234), None));
}

#[tokio::test]
async fn a_deleted_member_post_is_gone_per_post() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/rest/memberCreatorPostAnalytics"))
        .respond_with(li_error(404, "404-post.json"))
        .expect(1)
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &[SHARE.to_owned()]).await.unwrap();
    assert_eq!(outcome(&per), vec![(SHARE, false)]);
    assert_gone(&per, SHARE);
}

#[tokio::test]
async fn page_post_metrics_come_from_share_statistics() {
    let (server, p) = page_setup().await;
    Mock::given(method("GET"))
        .and(path("/rest/organizationalEntityShareStatistics"))
        .and(query_param("q", "organizationalEntity"))
        .and(query_param("organizationalEntity", "urn:li:organization:2414183"))
        .and(query_param("shares", format!("List({SHARE})")))
        .respond_with(json_fixture("linkedin", "metrics-share-statistics.json"))
        .expect(1)
        .mount(&server)
        .await;
    let q = AnalyticsQuery::Post { id: SHARE.into() };
    let a = p.analytics(&token(), &AccountRef::new("2414183"), &q).await.unwrap();
    let got = [M::Impressions, M::Reach, M::Clicks, M::Likes, M::Comments, M::Shares].map(|m| a.get(m));
    assert_eq!(got, [780, 410, 22, 15, 4, 3].map(Some));
    assert_eq!(a.raw["totalShareStatistics"]["engagement"], 0.0512);
    assert_declared(p.as_ref(), &q, &a);
    let url = server.received_requests().await.unwrap()[0].url.to_string();
    assert!(url.contains("shares=List(urn%3Ali%3Ashare%3A7)"), "{url}");
}

#[tokio::test]
async fn a_page_post_without_statistics_is_gone() {
    let (server, p) = page_setup().await;
    Mock::given(method("GET"))
        .and(path("/rest/organizationalEntityShareStatistics"))
        .respond_with(json_fixture("linkedin", "metrics-share-statistics-empty.json"))
        .mount(&server)
        .await;
    let per = p.post_analytics_many(&token(), &AccountRef::new("2414183"), &["urn:li:ugcPost:9".to_owned()]).await.unwrap();
    assert_gone(&per, "urn:li:ugcPost:9");
    let url = server.received_requests().await.unwrap()[0].url.to_string();
    assert!(url.contains("ugcPosts=List(urn%3Ali%3AugcPost%3A9)"), "{url}");
}

#[tokio::test]
async fn a_rate_limited_statistics_request_is_the_outer_error_with_its_wait() {
    let (server, p) = page_setup().await;
    let req = Mock::given(method("GET")).and(path("/rest/organizationalEntityShareStatistics"));
    analytics_429_is_rate_limited(
        p.as_ref(),
        &server,
        &AccountRef::new("2414183"),
        req,
        AnalyticsQuery::Post { id: SHARE.into() },
        "linkedin",
    )
    .await;
}

#[tokio::test]
async fn page_followers_come_from_network_sizes() {
    let (server, p) = page_setup().await;
    Mock::given(method("GET"))
        .and(path("/rest/networkSizes/urn%3Ali%3Aorganization%3A2414183"))
        .and(query_param("edgeType", "COMPANY_FOLLOWED_BY_MEMBER"))
        .respond_with(json_fixture("linkedin", "metrics-network-size.json"))
        .expect(1)
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &AccountRef::new("2414183"), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!(a.get(M::Followers), Some(18432));
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}

#[tokio::test]
async fn member_accounts_offer_no_account_metrics() {
    let (_server, p) = setup().await;
    assert!(!p.capabilities().account_analytics());
    let err = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap_err();
    assert!(matches!(err, ProviderError::NotSupported { .. }), "{err:?}");
}
