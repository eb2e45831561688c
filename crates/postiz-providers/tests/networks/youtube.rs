//! YouTube contract tests against wiremock, with the Data API's documented shapes
//! (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol,
//! …/docs/videos/insert, …/docs/thumbnails/set, …/docs/channels/list, …/docs/errors,
//! developers.google.com/identity/protocols/oauth2/web-server).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use postiz_domain::{MediaKind, NetworkSettings, YouTubePrivacy, YouTubeSettings};
use postiz_providers::youtube::{CHUNK_UNIT, YouTubeProvider};
use postiz_providers::{
    AccountRef, AnalyticsQuery, Connection, FindQuery, HttpClient, MetricName as M, Provider, ProviderError, PublishMedia, PublishRequest,
};
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::conformance::{Auth, Case, assert_declared, client, fixture, json_fixture, png, token};

const CHANNEL: &str = "UCbakery0123456789abcdef";
const VIDEO_ID: &str = "dQw4w9WgXcQ";
const INSERT: &str = "/upload/youtube/v3/videos";
const SESSION: &str = "/upload/session/abc";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(YouTubeProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef { id: CHANNEL.into(), handle: Some("@thebakery".into()), server: None }
}

fn clip(len: usize) -> PublishMedia {
    let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
    PublishMedia {
        kind: MediaKind::Video,
        mime: "video/mp4".into(),
        filename: "clip.mp4".into(),
        data: Bytes::from(data),
        alt: None,
        duration_ms: Some(60_000),
        ..png("clip.mp4")
    }
}

fn settings() -> YouTubeSettings {
    YouTubeSettings {
        title: "Baking day".into(),
        privacy: Some(YouTubePrivacy::Unlisted),
        tags: vec!["bread".into(), "sour dough".into()],
        category_id: Some("26".into()),
        made_for_kids: false,
        short: false,
    }
}

fn video_post(len: usize) -> PublishRequest {
    let mut req = PublishRequest::text("k", "How we bake.");
    req.items[0].media.push(clip(len));
    req.settings = NetworkSettings::YouTube(settings());
    req
}

/// `PUT {session}` asking where the upload stands (`Content-Range: bytes */N`).
fn status_query(r: &Request) -> bool {
    r.headers.get("content-range").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("bytes */"))
}

fn prelude() -> Vec<Mock> {
    vec![
        Mock::given(method("POST")).and(path(INSERT)).respond_with(
            ResponseTemplate::new(200).insert_header("location", "/upload/youtube/v3/videos?uploadType=resumable&upload_id=conf"),
        ),
        // In the generic suite the session cannot be asked, so a lost answer stays unknown.
        Mock::given(method("PUT")).and(path(INSERT)).and(status_query).respond_with(ResponseTemplate::new(503)),
    ]
}

fn case() -> Case {
    Case {
        fixtures: "youtube",
        make,
        account,
        publish: ("PUT", INSERT),
        ok: || json_fixture("youtube", "video.json"),
        expected_id: VIDEO_ID,
        auth: Auth::Bearer,
        request: Some(|| video_post(1000)),
        prelude: Some(prelude),
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    (vec![("retry-after", "30".into())], Duration::from_secs(30))
}

conformance_suite!();

async fn setup(chunk: usize) -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p: Arc<dyn Provider> =
        Arc::new(YouTubeProvider::new(client()).with_base_url(Url::parse(&server.uri()).unwrap()).with_chunk_size(chunk));
    (server, p)
}

async fn mount_session(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(INSERT))
        .and(query_param("uploadType", "resumable"))
        .and(query_param("part", "snippet,status"))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .respond_with(
            ResponseTemplate::new(200).insert_header("location", format!("{}{SESSION}?upload_id=xa298sd_f", server.uri()).as_str()),
        )
        .expect(1)
        .mount(server)
        .await;
}

fn range(first: usize, last: usize, total: usize) -> String {
    format!("bytes {first}-{last}/{total}")
}

fn incomplete(last: usize) -> ResponseTemplate {
    ResponseTemplate::new(308).insert_header("range", format!("bytes=0-{last}").as_str())
}

async fn video_responses(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "POST" && r.url.path() == INSERT).count()
}

#[tokio::test]
async fn a_video_is_a_resumable_session_then_chunks_then_its_thumbnail() {
    let (server, p) = setup(CHUNK_UNIT).await;
    let total = 2 * CHUNK_UNIT + 100;
    Mock::given(method("POST"))
        .and(path(INSERT))
        .and(header("x-upload-content-length", total.to_string().as_str()))
        .and(header("x-upload-content-type", "video/mp4"))
        .and(body_json(json!({
            "snippet": {"title": "Baking day", "description": "How we bake.", "tags": ["bread", "sour dough"], "categoryId": "26"},
            "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": false}
        })))
        .respond_with(ResponseTemplate::new(200).insert_header("location", format!("{}{SESSION}?upload_id=1", server.uri()).as_str()))
        .expect(1)
        .mount(&server)
        .await;
    for (first, last, answer) in [
        (0, CHUNK_UNIT - 1, incomplete(CHUNK_UNIT - 1)),
        (CHUNK_UNIT, 2 * CHUNK_UNIT - 1, incomplete(2 * CHUNK_UNIT - 1)),
        (2 * CHUNK_UNIT, total - 1, json_fixture("youtube", "video.json")),
    ] {
        Mock::given(method("PUT"))
            .and(path(SESSION))
            .and(header("content-range", range(first, last, total).as_str()))
            .respond_with(answer)
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/upload/youtube/v3/thumbnails/set"))
        .and(query_param("videoId", VIDEO_ID))
        .and(header("content-type", "image/png"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"kind": "youtube#thumbnailSetResponse", "items": []})))
        .expect(1)
        .mount(&server)
        .await;
    let mut req = video_post(total);
    req.items[0].media.push(png("cover.png"));
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.id, VIDEO_ID);
    assert_eq!(post.url.unwrap().as_str(), "https://www.youtube.com/watch?v=dQw4w9WgXcQ");
    let thumb = server.received_requests().await.unwrap().into_iter().find(|r| r.url.path().ends_with("thumbnails/set")).unwrap();
    assert_eq!(thumb.body, b"PNG-fake-image-bytes");
}

/// The answer to a chunk is lost midway (the worker's connection dies while YouTube stores
/// it): the adapter asks the session, resumes from its `Range`, and one video results.
#[tokio::test]
async fn an_upload_cut_off_midway_resumes_from_the_servers_range_and_makes_one_video() {
    let (server, p) = setup(CHUNK_UNIT).await;
    let total = 2 * CHUNK_UNIT + 7;
    mount_session(&server).await;
    Mock::given(method("PUT"))
        .and(path(SESSION))
        .and(header("content-range", range(0, CHUNK_UNIT - 1, total).as_str()))
        .respond_with(incomplete(CHUNK_UNIT - 1))
        .expect(1)
        .mount(&server)
        .await;
    // The second chunk arrives, but its answer never comes back before the client gives up.
    Mock::given(method("PUT"))
        .and(path(SESSION))
        .and(header("content-range", range(CHUNK_UNIT, 2 * CHUNK_UNIT - 1, total).as_str()))
        .respond_with(incomplete(2 * CHUNK_UNIT - 1).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(SESSION))
        .and(header("content-range", format!("bytes */{total}").as_str()))
        .respond_with(incomplete(2 * CHUNK_UNIT - 1))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(SESSION))
        .and(header("content-range", range(2 * CHUNK_UNIT, total - 1, total).as_str()))
        .respond_with(json_fixture("youtube", "video.json"))
        .expect(1)
        .mount(&server)
        .await;
    let post = p.publish(&token(), &account(), &video_post(total)).await.unwrap();
    assert_eq!(post.id, VIDEO_ID);
    assert_eq!(video_responses(&server).await, 1, "one upload session, so one video");
    let bodies: Vec<usize> =
        server.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "PUT").map(|r| r.body.len()).collect();
    assert_eq!(bodies, vec![CHUNK_UNIT, CHUNK_UNIT, 0, 7], "the acknowledged chunk is not sent again");
}

/// The last chunk's answer is lost after YouTube completed the video: the session answers
/// with the video, and nothing is sent again.
#[tokio::test]
async fn a_lost_answer_to_the_last_chunk_is_read_back_from_the_session() {
    let (server, p) = setup(CHUNK_UNIT).await;
    let total = 1000;
    mount_session(&server).await;
    Mock::given(method("PUT"))
        .and(path(SESSION))
        .and(header("content-range", range(0, total - 1, total).as_str()))
        .respond_with(json_fixture("youtube", "video.json").set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(SESSION))
        .and(status_query)
        .respond_with(json_fixture("youtube", "video.json"))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(p.publish(&token(), &account(), &video_post(total)).await.unwrap().id, VIDEO_ID);
    assert_eq!(video_responses(&server).await, 1);
}

#[tokio::test]
async fn a_session_that_expired_is_transient_because_no_video_came_of_it() {
    let (server, p) = setup(CHUNK_UNIT).await;
    mount_session(&server).await;
    Mock::given(method("PUT")).and(path(SESSION)).and(status_query).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    Mock::given(method("PUT")).and(path(SESSION)).respond_with(ResponseTemplate::new(504)).mount(&server).await;
    let err = p.publish(&token(), &account(), &video_post(1000)).await.expect_err("expired");
    assert!(matches!(err, ProviderError::Transient { .. }), "{err:?}");
}

#[tokio::test]
async fn quota_and_upload_limits_are_rate_limited_with_long_waits() {
    for (status, name, at_least) in
        [(403, "quota.json", Duration::from_secs(60)), (400, "upload-limit.json", Duration::from_secs(24 * 3600))]
    {
        let (server, p) = setup(CHUNK_UNIT).await;
        Mock::given(method("POST"))
            .and(path(INSERT))
            .respond_with(ResponseTemplate::new(status).set_body_raw(fixture("youtube", name), "application/json"))
            .mount(&server)
            .await;
        let err = p.publish(&token(), &account(), &video_post(1000)).await.expect_err(name);
        let ProviderError::RateLimited { retry_after: Some(wait), .. } = err else { panic!("{name}: {err:?}") };
        assert!(wait >= at_least && wait <= Duration::from_secs(24 * 3600), "{name}: {wait:?}");
    }
}

#[tokio::test]
async fn a_google_account_without_a_channel_is_told_to_create_one() {
    let (server, p) = setup(CHUNK_UNIT).await;
    let body = json!({"error": {"code": 401, "message": "Unauthorized", "errors": [{"message": "Unauthorized", "domain": "youtube.header", "reason": "youtubeSignupRequired"}]}});
    Mock::given(method("POST")).and(path(INSERT)).respond_with(ResponseTemplate::new(401).set_body_json(body)).mount(&server).await;
    let err = p.publish(&token(), &account(), &video_post(1000)).await.expect_err("no channel");
    let ProviderError::Rejected { reason, .. } = &err else { panic!("{err:?}") };
    assert!(reason.contains("create one"), "{reason}");
}

#[tokio::test]
async fn settings_and_media_are_checked_before_any_request() {
    let (server, p) = setup(CHUNK_UNIT).await;
    let mut no_title = video_post(1000);
    no_title.settings = NetworkSettings::YouTube(YouTubeSettings::default());
    let ProviderError::Rejected { reason, .. } = p.publish(&token(), &account(), &no_title).await.unwrap_err() else { panic!() };
    assert!(reason.starts_with("Title: "), "{reason}");
    let mut photo = video_post(1000);
    photo.items[0].media = vec![png("a.png")];
    assert!(matches!(p.publish(&token(), &account(), &photo).await, Err(ProviderError::Rejected { .. })));
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn connect_asks_for_offline_access_and_reads_the_channel_to_pick() {
    let (server, p) = setup(CHUNK_UNIT).await;
    let Connection::OAuth2(spec) = p.connection() else { panic!("oauth2") };
    assert!(spec.extra_auth_params.contains(&("access_type".into(), "offline".into())));
    assert!(spec.extra_auth_params.contains(&("prompt".into(), "consent".into())));
    assert!(spec.pkce && !spec.custom_refresh, "the standard Google refresh grant");
    assert_eq!(spec.token_url.as_str(), "https://oauth2.googleapis.com/token");
    Mock::given(method("GET"))
        .and(path("/youtube/v3/channels"))
        .and(query_param("part", "snippet"))
        .and(query_param("mine", "true"))
        .respond_with(json_fixture("youtube", "channels.json"))
        .mount(&server)
        .await;
    let info = p.account_info(&token(), None).await.unwrap();
    assert_eq!((info.id.as_str(), info.name.as_deref(), info.handle.as_deref()), (CHANNEL, Some("The Bakery"), Some("@thebakery")));
    let targets = p.list_targets(&token(), &account()).await.unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!((targets[0].id.as_str(), targets[0].kind.as_str()), (CHANNEL, "channel"));
    assert!(p.capabilities().targets);
}

#[tokio::test]
async fn numbers_come_from_statistics() {
    let (server, p) = setup(CHUNK_UNIT).await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/videos"))
        .and(query_param("part", "statistics"))
        .and(query_param("id", VIDEO_ID))
        .respond_with(json_fixture("youtube", "video-stats.json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/channels"))
        .and(query_param("part", "statistics"))
        .and(query_param("id", CHANNEL))
        .respond_with(json_fixture("youtube", "channel-stats.json"))
        .mount(&server)
        .await;
    let q = AnalyticsQuery::Post { id: VIDEO_ID.into() };
    let a = p.analytics(&token(), &account(), &q).await.unwrap();
    assert_eq!([M::Views, M::Likes, M::Comments].map(|m| a.get(m)), [15_320, 812, 64].map(Some));
    assert_declared(p.as_ref(), &q, &a);
    let c = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!([M::Followers, M::Views, M::Posts].map(|m| c.get(m)), [12_300, 987_654, 142].map(Some));
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &c);
}

#[tokio::test]
async fn a_lookup_finds_the_upload_by_its_description() {
    let (server, p) = setup(CHUNK_UNIT).await;
    Mock::given(method("GET"))
        .and(path("/youtube/v3/channels"))
        .and(query_param("part", "contentDetails"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"items": [{"id": CHANNEL, "contentDetails": {"relatedPlaylists": {"uploads": "UUbakery0123456789abcdef"}}}]}),
        ))
        .mount(&server)
        .await;
    let now = chrono::Utc::now();
    Mock::given(method("GET"))
        .and(path("/youtube/v3/playlistItems"))
        .and(query_param("playlistId", "UUbakery0123456789abcdef"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": [
            {"snippet": {"publishedAt": (now - chrono::Duration::days(3)).to_rfc3339(), "description": "How we bake.", "resourceId": {"kind": "youtube#video", "videoId": "older"}}},
            {"snippet": {"publishedAt": now.to_rfc3339(), "description": "How we bake.", "resourceId": {"kind": "youtube#video", "videoId": VIDEO_ID}}}
        ]})))
        .mount(&server)
        .await;
    let q = FindQuery {
        idempotency_key: "k".into(),
        text: "How we bake.".into(),
        not_before: now - chrono::Duration::minutes(5),
        settings: Default::default(),
    };
    assert_eq!(p.find_published(&token(), &account(), &q).await.unwrap().unwrap().id, VIDEO_ID);
    let other = FindQuery { text: "Something else".into(), ..q };
    assert!(p.find_published(&token(), &account(), &other).await.unwrap().is_none());
}
