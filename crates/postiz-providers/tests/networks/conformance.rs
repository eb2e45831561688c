//! The suite every adapter runs (object_store's integration suite is the model). Each
//! function starts its own mock server, builds the adapter against it with `Case::make`,
//! and checks one property of the contract.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use postiz_domain::MediaKind;
use postiz_providers::{
    AccountRef, Analytics, AnalyticsQuery, HttpClient, HttpSettings, PerPost, Provider, ProviderError, PublishItem, PublishMedia,
    PublishRequest, SecretString,
};
use url::Url;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

/// The token every test uses; no error may ever print it.
pub const TOKEN: &str = "tok-SECRET-123";
/// The request timeout the suite's client uses.
pub const TIMEOUT: Duration = Duration::from_millis(800);

/// How to drive one adapter through the suite.
pub struct Case {
    /// Fixture folder under `tests/fixtures`.
    pub fixtures: &'static str,
    /// Builds the adapter against a base URL.
    pub make: fn(Url, HttpClient) -> Arc<dyn Provider>,
    /// The account to publish as.
    pub account: fn() -> AccountRef,
    /// Method and path of the request that creates the post.
    pub publish: (&'static str, &'static str),
    /// A success answer to it.
    pub ok: fn() -> ResponseTemplate,
    /// The id `ok` yields.
    pub expected_id: &'static str,
    /// How the publish request carries the token.
    pub auth: Auth,
    /// The post the suite publishes; `None` is a text post ("hello conformance").
    pub request: Option<fn() -> PublishRequest>,
    /// Answers to requests that come before the publishing one (containers, status polls).
    pub prelude: Option<fn() -> Vec<Mock>>,
    /// Fixture for "429 without a wait" (networks that put the wait in every 429 body need
    /// a body without one).
    pub no_wait_429: &'static str,
}

/// How a publish request carries the token.
#[derive(Clone, Copy)]
pub enum Auth {
    /// `Authorization: Bearer {TOKEN}`.
    Bearer,
    /// `Authorization: Bot {TOKEN}` (Discord bots).
    Bot,
    /// In the path (Telegram's `/bot{TOKEN}/…`): `publish.1` already contains it.
    InPath,
    /// The token alone in this header (dev.to's `api-key`).
    Header(&'static str),
}

pub fn client() -> HttpClient {
    HttpClient::new(HttpSettings { request_timeout: TIMEOUT, ..HttpSettings::for_tests() }).unwrap()
}

pub fn token() -> SecretString {
    SecretString::from(TOKEN)
}

pub fn fixture(network: &str, name: &str) -> String {
    let p = format!("{}/tests/fixtures/{network}/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {p}: {e}"))
}

pub fn png(name: &str) -> PublishMedia {
    PublishMedia {
        kind: MediaKind::Image,
        mime: "image/png".into(),
        filename: name.into(),
        // ASCII bytes so body matchers that need UTF-8 can inspect multipart bodies.
        data: Bytes::from_static(b"PNG-fake-image-bytes"),
        alt: Some("a test image".into()),
        width: Some(800),
        height: Some(600),
        duration_ms: None,
        public_url: None,
    }
}

pub fn thread(key: &str, texts: &[&str]) -> PublishRequest {
    let mut req = PublishRequest::text(key, texts[0]);
    req.items = texts.iter().map(|t| PublishItem { text: (*t).into(), media: vec![] }).collect();
    req
}

impl Case {
    pub async fn start(&self) -> (MockServer, Arc<dyn Provider>) {
        let server = MockServer::start().await;
        if let Some(prelude) = self.prelude {
            for mock in prelude() {
                mock.mount(&server).await;
            }
        }
        let provider = (self.make)(Url::parse(&server.uri()).unwrap(), client());
        (server, provider)
    }

    fn request(&self) -> PublishRequest {
        match self.request {
            Some(make) => make(),
            None => PublishRequest::text("conf-key", "hello conformance"),
        }
    }

    fn publish_mock(&self, response: ResponseTemplate) -> Mock {
        Mock::given(method(self.publish.0)).and(path(self.publish.1)).respond_with(response)
    }

    async fn publish_text(&self, provider: &dyn Provider) -> Result<postiz_providers::RemotePost, ProviderError> {
        provider.publish(&token(), &(self.account)(), &self.request()).await
    }

    /// Asserts the error never shows the token, in Display or Debug.
    fn no_token(err: &ProviderError) {
        assert!(!err.to_string().contains(TOKEN), "token leaked in Display: {err}");
        assert!(!format!("{err:?}").contains(TOKEN), "token leaked in Debug: {err:?}");
    }

    async fn error_for(&self, response: ResponseTemplate) -> ProviderError {
        let (server, provider) = self.start().await;
        self.publish_mock(response).expect(1).mount(&server).await;
        let err = self.publish_text(provider.as_ref()).await.expect_err("publish should fail");
        Self::no_token(&err);
        assert_eq!(err.network(), provider.network());
        err
    }
}

/// A text post goes out once, with the bearer token, and returns the network's id.
pub async fn publish_text(case: &Case) {
    let (server, provider) = case.start().await;
    let mock = Mock::given(method(case.publish.0)).and(path(case.publish.1));
    let mock = match case.auth {
        Auth::Bearer => mock.and(header("authorization", format!("Bearer {TOKEN}").as_str())),
        Auth::Bot => mock.and(header("authorization", format!("Bot {TOKEN}").as_str())),
        Auth::Header(name) => mock.and(header(name, TOKEN)),
        Auth::InPath => {
            assert!(case.publish.1.contains(TOKEN), "the publish path should carry the token");
            mock
        }
    };
    mock.respond_with((case.ok)()).expect(1).mount(&server).await;
    let post = case.publish_text(provider.as_ref()).await.unwrap();
    assert_eq!(post.id, case.expected_id);
    assert_eq!(post.items.len(), 1);
    assert_eq!(post.items[0].index, 0);
}

pub async fn maps_401_to_unauthorized(case: &Case) {
    let body = fixture(case.fixtures, "401.json");
    let err = case.error_for(ResponseTemplate::new(401).set_body_raw(body, "application/json")).await;
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
}

pub async fn maps_400_to_rejected(case: &Case) {
    let body = fixture(case.fixtures, "400.json");
    let err = case.error_for(ResponseTemplate::new(400).set_body_raw(body, "application/json")).await;
    let ProviderError::Rejected { reason, .. } = &err else { panic!("expected Rejected, got {err:?}") };
    assert!(reason.contains("Edit the post"), "reason should say what to do: {reason}");
}

pub async fn maps_403_to_rejected(case: &Case) {
    let body = fixture(case.fixtures, "403.json");
    let err = case.error_for(ResponseTemplate::new(403).set_body_raw(body, "application/json")).await;
    let ProviderError::Rejected { reason, .. } = &err else { panic!("expected Rejected, got {err:?}") };
    assert!(reason.contains("permission") || reason.contains("refused"), "{reason}");
}

/// 429 with the network's reset header(s) → `RateLimited` with about `expected`.
pub async fn maps_429_to_rate_limited(case: &Case, headers: &[(&str, String)], expected: Duration) {
    let body = fixture(case.fixtures, "429.json");
    let mut response = ResponseTemplate::new(429).set_body_raw(body, "application/json");
    for (k, v) in headers {
        response = response.insert_header(*k, v.as_str());
    }
    let err = case.error_for(response).await;
    let ProviderError::RateLimited { retry_after: Some(wait), .. } = err else { panic!("expected RateLimited with a wait, got {err:?}") };
    let diff = wait.as_secs_f64() - expected.as_secs_f64();
    assert!(diff.abs() <= 2.0, "retry_after {wait:?}, expected about {expected:?}");
    assert!(err.is_retryable());
}

pub async fn maps_429_without_reset_to_unknown_wait(case: &Case) {
    let body = fixture(case.fixtures, case.no_wait_429);
    let err = case.error_for(ResponseTemplate::new(429).set_body_raw(body, "application/json")).await;
    assert!(matches!(err, ProviderError::RateLimited { retry_after: None, .. }), "{err:?}");
}

/// 5xx → `Transient`, and the publish was sent exactly once (no retry in the adapter).
pub async fn maps_5xx_to_transient(case: &Case) {
    for status in [500, 503] {
        let body = fixture(case.fixtures, "503.json");
        let err = case.error_for(ResponseTemplate::new(status).set_body_raw(body, "application/json")).await;
        assert!(matches!(err, ProviderError::Transient { .. }), "{status}: {err:?}");
    }
}

/// A gateway timeout on a publish may hide a created post.
pub async fn gateway_timeout_is_outcome_unknown(case: &Case) {
    let err = case.error_for(ResponseTemplate::new(504)).await;
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err:?}");
}

/// No answer before the timeout, after the request was sent → `OutcomeUnknown`, sent once.
pub async fn timeout_after_send_is_outcome_unknown(case: &Case) {
    let err = case.error_for((case.ok)().set_delay(TIMEOUT * 2)).await;
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.may_have_published());
    assert!(!err.is_retryable());
}

/// Nothing listening → nothing sent → `Transient`.
pub async fn connection_refused_is_transient(case: &Case) {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let provider = (case.make)(Url::parse(&format!("http://{closed}")).unwrap(), client());
    let err = case.publish_text(provider.as_ref()).await.expect_err("nothing listens");
    assert!(matches!(err, ProviderError::Transient { .. }), "{err:?}");
}

/// The adapter's rules reject text one unit over the limit, naming the field and network.
pub async fn validation_rejects_over_long_text(case: &Case) {
    use postiz_providers::ProviderExt;
    let (_server, provider) = case.start().await;
    let rules = provider.rules();
    let mut variant = postiz_domain::PostVariant { text: "a".repeat(rules.text.max_length as usize + 1), ..Default::default() };
    if rules.media.required {
        // Networks that need media (Instagram) get one valid image, so only the text fails.
        let image = rules.media.image.as_ref().expect("a network that requires media accepts images");
        variant.media.push(postiz_domain::MediaRef {
            id: postiz_domain::MediaId(uuid::Uuid::nil()),
            kind: MediaKind::Image,
            mime: image.mime_types[0].clone(),
            size_bytes: 1000,
            width: Some(1000),
            height: Some(1000),
            duration_ms: None,
            alt: None,
            name: None,
            video: postiz_domain::VideoTraits::default(),
            aspect_fit: postiz_domain::AspectFit::Refuse,
        });
        if let Some(caption) = rules.text.caption_max_length {
            variant.text = "a".repeat(caption as usize + 1);
        }
    }
    // Networks whose settings have required fields get valid ones, so only the text fails.
    match provider.network() {
        postiz_domain::Network::TikTok => {
            variant.settings = postiz_domain::NetworkSettings::TikTok(postiz_domain::TikTokSettings {
                privacy_level: Some(postiz_domain::TikTokPrivacy::PublicToEveryone),
                ..Default::default()
            });
        }
        postiz_domain::Network::YouTube => {
            variant.settings =
                postiz_domain::NetworkSettings::YouTube(postiz_domain::YouTubeSettings { title: "A title".into(), ..Default::default() });
            // A YouTube post is a video.
            variant.media[0].kind = MediaKind::Video;
            variant.media[0].mime = "video/mp4".into();
            variant.media[0].duration_ms = Some(10_000);
        }
        postiz_domain::Network::DevTo => {
            variant.settings =
                postiz_domain::NetworkSettings::DevTo(postiz_domain::DevToSettings { title: "A title".into(), ..Default::default() });
        }
        _ => {}
    }
    let errors = provider.validate(&variant);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "too_long");
    assert_eq!(errors[0].field, format!("variants.{}.text", provider.network().as_str()));
    assert!(errors[0].message.starts_with(provider.network().display_name()), "{}", errors[0].message);
}

/// A JSON fixture as a 200 answer.
pub fn json_fixture(network: &str, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(network, name), "application/json")
}

/// Every number an answer carries is one the adapter declares for that kind of query, and
/// the network's own numbers came along.
pub fn assert_declared(provider: &dyn Provider, query: &AnalyticsQuery, a: &Analytics) {
    let caps = provider.capabilities();
    for m in &a.metrics {
        assert!(caps.offers(query, m.name), "{} returned {} for {query:?} but does not declare it", provider.network(), m.name);
    }
    assert!(a.raw.is_object(), "raw numbers should be an object: {}", a.raw);
    assert!(!a.raw.to_string().contains(TOKEN), "raw numbers must never carry the token");
}

/// The per-post answers as `(id, ok?)`, for compact assertions.
pub fn outcome(per: &PerPost) -> Vec<(&str, bool)> {
    per.iter().map(|(id, r)| (id.as_str(), r.is_ok())).collect()
}

/// The answer for `id`, which must be a success.
pub fn ok<'a>(per: &'a PerPost, id: &str) -> &'a Analytics {
    match per.iter().find(|(i, _)| i == id) {
        Some((_, Ok(a))) => a,
        other => panic!("expected numbers for {id}, got {other:?}"),
    }
}

/// The answer for `id` must be a per-post `Rejected` telling a person the post is gone.
pub fn assert_gone(per: &PerPost, id: &str) {
    match per.iter().find(|(i, _)| i == id) {
        Some((_, Err(ProviderError::Rejected { reason, .. }))) => {
            assert!(reason.contains("no longer exists"), "reason should say the post is gone: {reason}");
            assert!(!reason.contains(TOKEN));
        }
        other => panic!("expected {id} to be gone, got {other:?}"),
    }
}

/// A 429 with `Retry-After: 7` on the metrics request is the outer error of the whole call,
/// `RateLimited` with that wait (for posts through `post_analytics_many`).
pub async fn analytics_429_is_rate_limited(
    provider: &dyn Provider,
    server: &MockServer,
    account: &AccountRef,
    request: MockBuilder,
    query: AnalyticsQuery,
    fixture_dir: &str,
) {
    request
        .respond_with(
            ResponseTemplate::new(429).insert_header("retry-after", "7").set_body_raw(fixture(fixture_dir, "429.json"), "application/json"),
        )
        .mount(server)
        .await;
    let err = match &query {
        AnalyticsQuery::Post { id } => {
            provider.post_analytics_many(&token(), account, std::slice::from_ref(id)).await.expect_err("the whole call is rate limited")
        }
        _ => provider.analytics(&token(), account, &query).await.expect_err("rate limited"),
    };
    assert!(matches!(err, ProviderError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(7)), "{err:?}");
    assert!(!format!("{err:?}").contains(TOKEN));
}

/// Answers a batch read with one item per id it asked for (from the `param` query parameter:
/// comma-separated, or repeated), so a test can see how a long list was split.
pub struct EchoIds {
    /// The query parameter carrying the ids.
    pub param: &'static str,
    /// One answer item for an id.
    pub item: fn(&str) -> serde_json::Value,
    /// The body around the items.
    pub wrap: fn(Vec<serde_json::Value>) -> serde_json::Value,
}

impl wiremock::Respond for EchoIds {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let ids: Vec<String> = request
            .url
            .query_pairs()
            .filter(|(k, _)| k == self.param)
            .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        ResponseTemplate::new(200).set_body_json((self.wrap)(ids.iter().map(|id| (self.item)(id)).collect()))
    }
}

/// How many ids each received request asked for.
pub async fn ids_per_request(server: &MockServer, param: &str) -> Vec<usize> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.query_pairs().filter(|(k, _)| k == param).map(|(_, v)| v.split(',').count()).sum())
        .collect()
}

/// Generates one `#[tokio::test]` per generic check for a network module that defines
/// `fn case() -> Case` and `fn reset_headers() -> (Vec<(&'static str, String)>, Duration)`.
macro_rules! conformance_suite {
    () => {
        mod conformance_suite {
            use super::{case, reset_headers};
            use crate::conformance as c;

            #[tokio::test]
            async fn publish_text() {
                c::publish_text(&case()).await;
            }
            #[tokio::test]
            async fn maps_401_to_unauthorized() {
                c::maps_401_to_unauthorized(&case()).await;
            }
            #[tokio::test]
            async fn maps_400_to_rejected() {
                c::maps_400_to_rejected(&case()).await;
            }
            #[tokio::test]
            async fn maps_403_to_rejected() {
                c::maps_403_to_rejected(&case()).await;
            }
            #[tokio::test]
            async fn maps_429_to_rate_limited() {
                let (headers, wait) = reset_headers();
                c::maps_429_to_rate_limited(&case(), &headers, wait).await;
            }
            #[tokio::test]
            async fn maps_429_without_reset_to_unknown_wait() {
                c::maps_429_without_reset_to_unknown_wait(&case()).await;
            }
            #[tokio::test]
            async fn maps_5xx_to_transient() {
                c::maps_5xx_to_transient(&case()).await;
            }
            #[tokio::test]
            async fn gateway_timeout_is_outcome_unknown() {
                c::gateway_timeout_is_outcome_unknown(&case()).await;
            }
            #[tokio::test]
            async fn timeout_after_send_is_outcome_unknown() {
                c::timeout_after_send_is_outcome_unknown(&case()).await;
            }
            #[tokio::test]
            async fn connection_refused_is_transient() {
                c::connection_refused_is_transient(&case()).await;
            }
            #[tokio::test]
            async fn validation_rejects_over_long_text() {
                c::validation_rejects_over_long_text(&case()).await;
            }
        }
    };
}
