//! dev.to (Forem API v1) contract tests against wiremock, with the shapes of
//! developers.forem.com/api/v1 (`createArticle`, `getUserMe`, `getUserArticles`): the key in
//! the `api-key` header, `Accept: application/vnd.forem.api-v1+json`, errors
//! `{"error", "status"}`.

use std::sync::Arc;
use std::time::Duration;

use postiz_domain::{DevToSettings, MediaKind, NetworkSettings, PostVariant};
use postiz_providers::devto::DevToProvider;
use postiz_providers::{
    AccountRef, AnalyticsQuery, Connection, FindQuery, HttpClient, MetricName as M, Provider, ProviderError, ProviderExt, PublishRequest,
};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::conformance::{Auth, Case, TOKEN, assert_declared, assert_gone, client, fixture, json_fixture, ok, outcome, png, token};

const ACCEPT: &str = "application/vnd.forem.api-v1+json";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(DevToProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef { id: "812345".into(), handle: Some("bakery".into()), server: None }
}

fn settings() -> DevToSettings {
    DevToSettings { title: "Baking with Rust".into(), tags: vec!["Rust".into(), "#baking".into()], ..Default::default() }
}

fn article(text: &str, s: DevToSettings) -> PublishRequest {
    let mut req = PublishRequest::text("k", text);
    req.settings = NetworkSettings::DevTo(s);
    req
}

fn case() -> Case {
    Case {
        fixtures: "devto",
        make,
        account,
        publish: ("POST", "/api/articles"),
        ok: || ResponseTemplate::new(201).set_body_raw(fixture("devto", "article.json"), "application/json"),
        expected_id: "1984321",
        auth: Auth::Header("api-key"),
        request: Some(|| article("hello conformance", settings())),
        prelude: None,
        no_wait_429: "429.json",
    }
}

/// Forem answers 429 with `Retry-After` (seconds).
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
async fn connects_with_an_api_key_and_reads_the_author() {
    let (server, p) = setup().await;
    assert!(matches!(p.connection(), Connection::ApiKey));
    Mock::given(method("GET"))
        .and(path("/api/users/me"))
        .and(header("api-key", TOKEN))
        .and(header("accept", ACCEPT))
        .respond_with(json_fixture("devto", "me.json"))
        .expect(2)
        .mount(&server)
        .await;
    let info = p.account_info(&token(), None).await.unwrap();
    assert_eq!(info.id, "812345");
    assert_eq!(info.handle.as_deref(), Some("bakery"));
    assert_eq!(info.name.as_deref(), Some("The Bakery"));
    assert_eq!(info.avatar.unwrap().as_str(), "https://media.dev.to/profile/bakery.png");
    // The pre-flight check is the same read.
    p.verify(&token(), &account()).await.unwrap();
}

#[tokio::test]
async fn publishes_an_article_with_title_tags_images_cover_and_canonical_address() {
    let (server, p) = setup().await;
    let mut cover = png("cover.png");
    cover.public_url = Some(Url::parse("https://media.example/cover.png").unwrap());
    let mut loaf = png("loaf.png");
    loaf.alt = Some("a loaf".into());
    loaf.public_url = Some(Url::parse("https://media.example/loaf.png").unwrap());
    let mut req = article(
        "How we bake.\n",
        DevToSettings { canonical_url: Some("https://bakery.example/rust".into()), first_image_as_cover: true, ..settings() },
    );
    req.items[0].media = vec![cover, loaf];
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .and(header("api-key", TOKEN))
        .and(header("accept", ACCEPT))
        .and(body_json(json!({"article": {
            "title": "Baking with Rust",
            "body_markdown": "How we bake.\n\n![a loaf](https://media.example/loaf.png)",
            "published": true,
            "tags": ["rust", "baking"],
            "main_image": "https://media.example/cover.png",
            "canonical_url": "https://bakery.example/rust",
        }})))
        .respond_with(ResponseTemplate::new(201).set_body_raw(fixture("devto", "article.json"), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.id, "1984321");
    assert_eq!(post.url.unwrap().as_str(), "https://dev.to/bakery/baking-with-rust-3kd9");
}

#[tokio::test]
async fn a_missing_title_is_refused_before_anything_is_sent_naming_the_field() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    // No dev.to settings at all, and settings with a blank title.
    for req in [PublishRequest::text("k", "Body only"), article("Body only", DevToSettings { title: "  ".into(), ..settings() })] {
        let err = p.publish(&token(), &account(), &req).await.expect_err("no title");
        let ProviderError::Rejected { reason, .. } = &err else { panic!("expected Rejected, got {err:?}") };
        assert_eq!(reason, "dev.to › Title: add a title for the article");
    }
    // The composer's validation says the same, on the settings field.
    let errors = p.validate(&PostVariant { text: "Body only".into(), ..Default::default() });
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "variants.devto.settings.title");
    assert_eq!(errors[0].code, "required");
    assert!(errors[0].message.starts_with("dev.to › Title"), "{}", errors[0].message);
}

#[tokio::test]
async fn more_than_four_tags_are_refused_by_the_rules_and_before_sending() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    let five = DevToSettings { tags: ["rust", "baking", "bread", "food", "cooking"].map(String::from).to_vec(), ..settings() };
    let variant = PostVariant { text: "Body".into(), settings: NetworkSettings::DevTo(five.clone()), ..Default::default() };
    let errors = p.validate(&variant);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "variants.devto.settings.tags");
    assert_eq!(errors[0].code, "too_many");
    assert_eq!(errors[0].message, "dev.to › Tags: at most 4 tags; this article has 5 (remove some)");
    let err = p.publish(&token(), &account(), &article("Body", five)).await.expect_err("five tags");
    assert!(matches!(&err, ProviderError::Rejected { reason, .. } if reason.starts_with("dev.to › Tags")), "{err:?}");
    // Four are fine.
    let four = DevToSettings { tags: ["rust", "baking", "bread", "food"].map(String::from).to_vec(), ..settings() };
    assert!(p.validate(&PostVariant { text: "Body".into(), settings: NetworkSettings::DevTo(four), ..Default::default() }).is_empty());
}

#[tokio::test]
async fn images_need_a_public_address_and_videos_are_refused() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).expect(0).mount(&server).await;
    let mut req = article("Body", settings());
    req.items[0].media = vec![png("private.png")];
    let err = p.publish(&token(), &account(), &req).await.expect_err("no public URL");
    assert!(matches!(&err, ProviderError::Rejected { reason, .. } if reason.contains("private.png has no public address")), "{err:?}");
    let variant = PostVariant {
        text: "Body".into(),
        settings: NetworkSettings::DevTo(settings()),
        media: vec![postiz_domain::MediaRef {
            id: postiz_domain::MediaId(uuid::Uuid::nil()),
            kind: MediaKind::Video,
            mime: "video/mp4".into(),
            size_bytes: 1000,
            width: None,
            height: None,
            duration_ms: Some(1000),
            alt: None,
            name: None,
            video: postiz_domain::VideoTraits::default(),
            aspect_fit: postiz_domain::AspectFit::Refuse,
        }],
        ..Default::default()
    };
    assert_eq!(p.validate(&variant).first().map(|e| e.code), Some("media_type"), "{:?}", p.validate(&variant));
}

#[tokio::test]
async fn a_422_is_rejected_with_forems_own_message() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/api/articles"))
        .respond_with(ResponseTemplate::new(422).set_body_raw(fixture("devto", "422.json"), "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = p.publish(&token(), &account(), &article("How we bake.", settings())).await.expect_err("422");
    let ProviderError::Rejected { reason, .. } = &err else { panic!("expected Rejected, got {err:?}") };
    assert!(reason.contains("Body markdown has already been used for another article"), "{reason}");
    assert!(reason.starts_with("dev.to refused the post"), "{reason}");
    assert!(!reason.contains(TOKEN));
}

#[tokio::test]
async fn a_revoked_key_is_unauthorized_on_the_account_read_too() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/users/me"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(fixture("devto", "401.json"), "application/json"))
        .mount(&server)
        .await;
    let err = p.account_info(&token(), None).await.expect_err("401");
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
}

fn listing() -> ResponseTemplate {
    json_fixture("devto", "articles-me.json")
}

#[tokio::test]
async fn numbers_come_from_the_authors_article_list() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/api/articles/me"))
        .and(query_param("page", "1"))
        .and(header("api-key", TOKEN))
        .respond_with(listing())
        .expect(2)
        .mount(&server)
        .await;
    let query = AnalyticsQuery::Post { id: "1984321".into() };
    let a = p.analytics(&token(), &account(), &query).await.unwrap();
    assert_eq!(a.get(M::Views), Some(321));
    assert_eq!(a.get(M::Likes), Some(17));
    assert_eq!(a.get(M::Comments), Some(4));
    assert_declared(p.as_ref(), &query, &a);
    // Several posts in one listing; one that is gone says so.
    let per = p.post_analytics_many(&token(), &account(), &["1870001".into(), "999".into()]).await.unwrap();
    assert_eq!(outcome(&per), [("1870001", true), ("999", false)]);
    assert_eq!(ok(&per, "1870001").get(M::Views), Some(40));
    assert_gone(&per, "999");
}

#[tokio::test]
async fn a_rate_limited_listing_is_the_error_of_the_whole_call() {
    let (server, p) = setup().await;
    crate::conformance::analytics_429_is_rate_limited(
        p.as_ref(),
        &server,
        &account(),
        Mock::given(method("GET")).and(path("/api/articles/me")),
        AnalyticsQuery::Post { id: "1984321".into() },
        "devto",
    )
    .await;
}

#[tokio::test]
async fn find_published_matches_the_body_sent_since_the_attempt() {
    let (server, p) = setup().await;
    Mock::given(method("GET")).and(path("/api/articles/me")).respond_with(listing()).mount(&server).await;
    let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
    let q = |text: &str, since: &str| FindQuery {
        idempotency_key: "k".into(),
        text: text.into(),
        not_before: at(since),
        settings: Default::default(),
    };
    // The body sent was the text; the images followed it.
    let found = p.find_published(&token(), &account(), &q("How we bake.", "2026-12-03T15:59:00Z")).await.unwrap().expect("found");
    assert_eq!(found.id, "1984321");
    assert_eq!(found.url.unwrap().as_str(), "https://dev.to/bakery/baking-with-rust-3kd9");
    // An older article with the same text is not this attempt's.
    assert!(p.find_published(&token(), &account(), &q("Yesterday's loaf.", "2026-12-01T00:00:00Z")).await.unwrap().is_none());
    assert!(p.find_published(&token(), &account(), &q("Never written", "2026-12-01T00:00:00Z")).await.unwrap().is_none());
    // With the settings sent, the title must match too: an article that starts alike under
    // another title is not this post.
    let titled = |title: &str| FindQuery {
        settings: NetworkSettings::DevTo(DevToSettings { title: title.into(), ..settings() }),
        ..q("How we bake.", "2026-12-03T15:59:00Z")
    };
    let found = p.find_published(&token(), &account(), &titled("Baking with Rust ")).await.unwrap().expect("found by title");
    assert_eq!(found.id, "1984321");
    assert!(p.find_published(&token(), &account(), &titled("Baking with Go")).await.unwrap().is_none());
}
