//! Bluesky contract tests.

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::bluesky::BlueskyProvider;
use postiz_providers::{
    AccountRef, AnalyticsQuery, Credentials, FindQuery, HttpClient, HttpSettings, MetricName as M, Provider, ProviderError, PublishRequest,
    SecretString,
};
use serde_json::{Value, json};
use url::Url;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::conformance::{
    Auth, Case, EchoIds, analytics_429_is_rate_limited, assert_declared, assert_gone, client, fixture, ids_per_request, json_fixture, ok,
    outcome, png, thread, token,
};

const DID: &str = "did:plc:abc123";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(BlueskyProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef { id: DID.into(), handle: Some("alice.bsky.social".into()), server: None }
}

fn created(rkey: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"uri": format!("at://{DID}/app.bsky.feed.post/{rkey}"), "cid": format!("bafy{rkey}")}))
}

fn case() -> Case {
    Case {
        fixtures: "bluesky",
        make,
        account,
        publish: ("POST", "/xrpc/com.atproto.repo.createRecord"),
        ok: || created("3k2a"),
        expected_id: "at://did:plc:abc123/app.bsky.feed.post/3k2a",
        auth: Auth::Bearer,
        request: None,
        prelude: None,
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    let reset = chrono::Utc::now().timestamp() + 300;
    (
        vec![
            ("ratelimit-limit", "5000".into()),
            ("ratelimit-remaining", "0".into()),
            ("ratelimit-reset", reset.to_string()),
            ("ratelimit-policy", "5000;w=3600".into()),
        ],
        Duration::from_secs(300),
    )
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

fn record(req: &Request) -> Value {
    serde_json::from_slice::<Value>(&req.body).unwrap()["record"].clone()
}

#[tokio::test]
async fn text_post_creates_a_feed_post_record_with_byte_offset_facets() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/xrpc/com.atproto.identity.resolveHandle"))
        .and(query_param("handle", "bob.example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"did": "did:plc:bob"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.createRecord"))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .and(body_partial_json(json!({"repo": DID, "collection": "app.bsky.feed.post"})))
        .respond_with(created("1"))
        .expect(1)
        .mount(&server)
        .await;
    let text = "🧑‍💻 ship it, @bob.example.com! https://example.com/ä #rustlang";
    let post = p.publish(&token(), &account(), &PublishRequest::text("k", text)).await.unwrap();
    assert_eq!(post.url.unwrap().as_str(), "https://bsky.app/profile/alice.bsky.social/post/1");

    let requests = server.received_requests().await.unwrap();
    let create = requests.iter().find(|r| r.url.path().ends_with("createRecord")).unwrap();
    let rec = record(create);
    assert_eq!(rec["$type"], "app.bsky.feed.post");
    assert_eq!(rec["text"], text);
    assert!(rec["createdAt"].as_str().unwrap().ends_with('Z'));
    let facets = rec["facets"].as_array().unwrap();
    let bytes = text.as_bytes();
    let slice = |f: &Value| {
        let (s, e) = (f["index"]["byteStart"].as_u64().unwrap() as usize, f["index"]["byteEnd"].as_u64().unwrap() as usize);
        String::from_utf8(bytes[s..e].to_vec()).unwrap()
    };
    assert_eq!(facets.len(), 3);
    assert_eq!(slice(&facets[0]), "@bob.example.com");
    assert_eq!(facets[0]["features"][0], json!({"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bob"}));
    assert_eq!(slice(&facets[1]), "https://example.com/ä");
    assert_eq!(facets[1]["features"][0], json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/ä"}));
    assert_eq!(slice(&facets[2]), "#rustlang");
    assert_eq!(facets[2]["features"][0], json!({"$type": "app.bsky.richtext.facet#tag", "tag": "rustlang"}));
}

#[tokio::test]
async fn an_unresolvable_mention_stays_plain_text() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/xrpc/com.atproto.identity.resolveHandle"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": "InvalidRequest", "message": "Unable to resolve handle"})))
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/xrpc/com.atproto.repo.createRecord")).respond_with(created("1")).expect(1).mount(&server).await;
    p.publish(&token(), &account(), &PublishRequest::text("k", "hi @nobody.invalid")).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    let create = requests.iter().find(|r| r.url.path().ends_with("createRecord")).unwrap();
    assert!(record(create).get("facets").is_none());
}

#[tokio::test]
async fn media_post_uploads_the_blob_and_embeds_it_with_alt_and_aspect_ratio() {
    let (server, p) = setup().await;
    let blob = json!({"$type": "blob", "ref": {"$link": "bafkreiblob"}, "mimeType": "image/png", "size": 20});
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.uploadBlob"))
        .and(header("content-type", "image/png"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"blob": blob})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.createRecord"))
        .and(body_partial_json(json!({"record": {"embed": {"$type": "app.bsky.embed.images", "images": [
            {"alt": "a test image", "image": blob, "aspectRatio": {"width": 800, "height": 600}}
        ]}}})))
        .respond_with(created("2"))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = PublishRequest::text("k", "photo");
    req.items[0].media.push(png("p.png"));
    p.publish(&token(), &account(), &req).await.unwrap();
    let uploads = server.received_requests().await.unwrap();
    assert_eq!(uploads[0].body, b"PNG-fake-image-bytes");
}

#[tokio::test]
async fn thread_replies_carry_root_and_parent_refs() {
    let (server, p) = setup().await;
    let r = |k: &str| json!({"uri": format!("at://{DID}/app.bsky.feed.post/{k}"), "cid": format!("bafy{k}")});
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.createRecord"))
        .and(body_partial_json(json!({"record": {"text": "one"}})))
        .respond_with(created("a"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.createRecord"))
        .and(body_partial_json(json!({"record": {"text": "two", "reply": {"root": r("a"), "parent": r("a")}}})))
        .respond_with(created("b"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.createRecord"))
        .and(body_partial_json(json!({"record": {"text": "three", "reply": {"root": r("a"), "parent": r("b")}}})))
        .respond_with(created("c"))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &thread("k", &["one", "two", "three"])).await.unwrap();
    assert_eq!(post.items.len(), 3);
    assert_eq!(post.items[2].cid.as_deref(), Some("bafyc"));
}

#[tokio::test]
async fn expired_token_400_maps_to_unauthorized() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.createRecord"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(fixture("bluesky", "400-expired.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn login_and_refresh_use_create_and_refresh_session() {
    let (server, p) = setup().await;
    let session = json!({"did": DID, "handle": "alice.bsky.social", "accessJwt": "acc1", "refreshJwt": "ref1",
        "didDoc": {"service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": "https://pds.example.net"}]}});
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .and(body_partial_json(json!({"identifier": "alice.bsky.social", "password": "app-pass"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(&session))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.refreshSession"))
        .and(header("authorization", "Bearer ref1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&session))
        .expect(1)
        .mount(&server)
        .await;
    let c = p
        .login(&Credentials { identifier: "alice.bsky.social".into(), password: SecretString::from("app-pass"), server: None })
        .await
        .unwrap();
    assert_eq!(c.account.id, DID);
    assert_eq!(c.account.server.as_ref().unwrap().as_str(), "https://pds.example.net/");
    assert!(!format!("{c:?}").contains("acc1"), "tokens must not show in Debug");
    let refreshed = p.refresh(None, &SecretString::from("ref1"), None).await.unwrap();
    assert!(refreshed.refresh_token.is_some());
}

#[tokio::test]
async fn wrong_app_password_is_unauthorized() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(fixture("bluesky", "401.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.login(&Credentials { identifier: "a".into(), password: SecretString::from("nope"), server: None }).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }));
    assert!(!err.to_string().contains("nope"));
}

#[tokio::test]
async fn a_self_hosted_pds_on_a_private_address_is_refused_unless_allowed() {
    let strict = HttpClient::new(HttpSettings::default()).unwrap();
    let p = BlueskyProvider::new(strict);
    let err = p
        .login(&Credentials {
            identifier: "a".into(),
            password: SecretString::from("p"),
            server: Some(Url::parse("http://192.168.1.20:2583").unwrap()),
        })
        .await
        .unwrap_err();
    let ProviderError::Rejected { reason, .. } = err else { panic!("{err:?}") };
    assert!(reason.contains("private"), "{reason}");
}

#[tokio::test]
async fn find_published_matches_text_in_list_records() {
    let (server, p) = setup().await;
    let now = chrono::Utc::now();
    Mock::given(method("GET"))
        .and(path("/xrpc/com.atproto.repo.listRecords"))
        .and(query_param("repo", DID))
        .and(query_param("collection", "app.bsky.feed.post"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"records": [
            {"uri": format!("at://{DID}/app.bsky.feed.post/old"), "cid": "c0", "value": {"text": "same text", "createdAt": "2020-01-01T00:00:00Z"}},
            {"uri": format!("at://{DID}/app.bsky.feed.post/new"), "cid": "c1", "value": {"text": "same text", "createdAt": now.to_rfc3339()}}
        ]})))
        .mount(&server)
        .await;
    let q = FindQuery {
        idempotency_key: "k".into(),
        text: "same text".into(),
        not_before: now - chrono::Duration::seconds(1),
        settings: Default::default(),
    };
    let found = p.find_published(&token(), &account(), &q).await.unwrap().unwrap();
    assert!(found.id.ends_with("/new"));
}

fn uri(rkey: &str) -> String {
    format!("at://{DID}/app.bsky.feed.post/{rkey}")
}

/// A PDS and a separate AppView, each its own mock server.
async fn with_appview() -> (MockServer, MockServer, Arc<dyn Provider>) {
    let pds = MockServer::start().await;
    let appview = MockServer::start().await;
    let p: Arc<dyn Provider> = Arc::new(
        BlueskyProvider::new(client()).with_base_url(Url::parse(&pds.uri()).unwrap()).with_appview(Url::parse(&appview.uri()).unwrap()),
    );
    (pds, appview, p)
}

#[tokio::test]
async fn post_counts_come_from_the_appview_without_the_account_token() {
    let (pds, appview, p) = with_appview().await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.getPosts"))
        .respond_with(json_fixture("bluesky", "metrics-get-posts.json"))
        .expect(1)
        .mount(&appview)
        .await;
    let ids = vec![uri("3kaaa"), uri("3kbbb"), uri("3kccc")];
    let per = p.post_analytics_many(&token(), &account(), &ids).await.unwrap();
    assert_eq!(outcome(&per), vec![(ids[0].as_str(), true), (ids[1].as_str(), true), (ids[2].as_str(), false)]);
    let a = ok(&per, &ids[0]);
    let got = [M::Likes, M::Shares, M::Comments, M::Quotes, M::Saves].map(|m| a.get(m));
    assert_eq!(got, [40, 5, 2, 1, 3].map(Some));
    assert_eq!(a.raw, json!({"likeCount": 40, "repostCount": 5, "replyCount": 2, "quoteCount": 1, "bookmarkCount": 3}));
    assert_declared(p.as_ref(), &AnalyticsQuery::Post { id: ids[0].clone() }, a);
    // An older post view without quote or bookmark counts: absent, not zero.
    let b = ok(&per, &ids[1]);
    assert_eq!((b.get(M::Likes), b.get(M::Quotes), b.get(M::Saves)), (Some(7), None, None));
    // Missing from the answer: deleted.
    assert_gone(&per, &ids[2]);
    let requests = appview.received_requests().await.unwrap();
    let asked: Vec<String> = requests[0].url.query_pairs().filter(|(k, _)| k == "uris").map(|(_, v)| v.into_owned()).collect();
    assert_eq!(asked, ids, "one `uris` parameter per post");
    assert!(requests[0].headers.get("authorization").is_none(), "the PDS token never goes to the AppView");
    assert!(pds.received_requests().await.unwrap().is_empty(), "the PDS is not asked for counts");
}

#[tokio::test]
async fn more_than_25_posts_are_split_into_calls_of_25() {
    let (_pds, appview, p) = with_appview().await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.getPosts"))
        .respond_with(EchoIds {
            param: "uris",
            item: |u| json!({"uri": u, "cid": "c", "likeCount": 1}),
            wrap: |posts| json!({"posts": posts}),
        })
        .expect(2)
        .mount(&appview)
        .await;
    let ids: Vec<String> = (0..30).map(|n| uri(&format!("3k{n:03}"))).collect();
    let per = p.post_analytics_many(&token(), &account(), &ids).await.unwrap();
    assert!(per.iter().all(|(_, r)| r.as_ref().is_ok_and(|a| a.get(M::Likes) == Some(1))));
    assert_eq!(ids_per_request(&appview, "uris").await, vec![25, 5]);
}

#[tokio::test]
async fn a_call_refused_for_a_malformed_uri_is_asked_again_one_post_at_a_time() {
    let (_pds, appview, p) = with_appview().await;
    let bad = "not-an-at-uri".to_owned();
    let refused = || ResponseTemplate::new(400).set_body_raw(fixture("bluesky", "400-invalid-uri.json"), "application/json");
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.getPosts"))
        .and(query_param("uris", bad.as_str()))
        .respond_with(refused())
        .mount(&appview)
        .await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.feed.getPosts"))
        .respond_with(json_fixture("bluesky", "metrics-get-posts.json"))
        .mount(&appview)
        .await;
    let per = p.post_analytics_many(&token(), &account(), &[uri("3kaaa"), bad.clone()]).await.unwrap();
    assert_eq!(outcome(&per), vec![(uri("3kaaa").as_str(), true), (bad.as_str(), false)]);
}

#[tokio::test]
async fn a_rate_limited_appview_call_is_the_outer_error_with_its_wait() {
    let (_pds, appview, p) = with_appview().await;
    analytics_429_is_rate_limited(
        p.as_ref(),
        &appview,
        &account(),
        Mock::given(method("GET")).and(path("/xrpc/app.bsky.feed.getPosts")),
        AnalyticsQuery::Post { id: uri("3kaaa") },
        "bluesky",
    )
    .await;
}

#[tokio::test]
async fn account_counts_come_from_the_appview_profile() {
    let (_pds, appview, p) = with_appview().await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.actor.getProfile"))
        .and(query_param("actor", DID))
        .respond_with(json_fixture("bluesky", "metrics-profile.json"))
        .expect(1)
        .mount(&appview)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!((a.get(M::Followers), a.get(M::Following), a.get(M::Posts)), (Some(880), Some(120), Some(311)));
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}
