//! TikTok contract tests against wiremock, with the Content Posting API's documented shapes
//! (developers.tiktok.com/doc/content-posting-api-reference-query-creator-info,
//! …-reference-direct-post, …-reference-upload-video, …-reference-photo-post,
//! …-reference-get-video-status, …-media-transfer-guide, /doc/oauth-user-access-token-management,
//! /doc/tiktok-api-v2-video-query, /doc/tiktok-api-v2-get-user-info).

use std::sync::Arc;
use std::time::Duration;

use postiz_domain::{MediaKind, NetworkSettings, TikTokPostMode, TikTokPrivacy, TikTokSettings};
use postiz_providers::tiktok::TikTokProvider;
use postiz_providers::{
    AccountRef, AnalyticsQuery, FindQuery, HttpClient, MetricName as M, OAuthClient, Provider, ProviderError, PublishMedia, PublishRequest,
    SecretString,
};
use secrecy::ExposeSecret;
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, body_string_contains, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::conformance::{Auth, Case, assert_declared, client, json_fixture, png, token};
use crate::media_host::MediaHost;

const OPEN_ID: &str = "afd97af1-b87b-48b9-ac98-410aghda5344";
const VIDEO_ID: &str = "7301234567890123456";
const INIT: &str = "/v2/post/publish/video/init/";
const INBOX_INIT: &str = "/v2/post/publish/inbox/video/init/";
const PHOTO_INIT: &str = "/v2/post/publish/content/init/";
const STATUS: &str = "/v2/post/publish/status/fetch/";
const CREATOR: &str = "/v2/post/publish/creator_info/query/";

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(TikTokProvider::new(http).with_base_url(base))
}

fn account() -> AccountRef {
    AccountRef { id: OPEN_ID.into(), handle: Some("bakery.tok".into()), server: None }
}

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": data, "error": {"code": "ok", "message": "", "log_id": "2026120218301501"}}))
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"data": {}, "error": {"code": code, "message": message, "log_id": "2026120218301502"}}))
}

fn settings(privacy: TikTokPrivacy) -> TikTokSettings {
    TikTokSettings { privacy_level: Some(privacy), disable_stitch: true, ..Default::default() }
}

fn video(url: Option<&str>) -> PublishMedia {
    PublishMedia {
        kind: MediaKind::Video,
        mime: "video/mp4".into(),
        filename: "clip.mp4".into(),
        duration_ms: Some(42_000),
        public_url: url.map(|u| Url::parse(u).unwrap()),
        alt: None,
        ..png("clip.mp4")
    }
}

fn video_post(s: TikTokSettings) -> PublishRequest {
    let mut req = PublishRequest::text("k", "Sourdough in 40 seconds #bread");
    req.items[0].media.push(video(Some("https://media.example/clip.mp4")));
    req.settings = NetworkSettings::TikTok(s);
    req
}

fn complete() -> ResponseTemplate {
    ok(json!({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7_301_234_567_890_123_456_u64], "uploaded_bytes": 0}))
}

fn prelude() -> Vec<Mock> {
    vec![
        Mock::given(method("POST")).and(path(CREATOR)).respond_with(json_fixture("tiktok", "creator-info.json")),
        Mock::given(method("POST")).and(path(STATUS)).respond_with(complete()),
    ]
}

fn case() -> Case {
    Case {
        fixtures: "tiktok",
        make,
        account,
        publish: ("POST", INIT),
        ok: || ok(json!({"publish_id": "v_pub_url~v2.7301234567890123456"})),
        expected_id: VIDEO_ID,
        auth: Auth::Bearer,
        request: Some(|| video_post(settings(TikTokPrivacy::PublicToEveryone))),
        prelude: Some(prelude),
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    (vec![("retry-after", "30".into())], Duration::from_secs(30))
}

conformance_suite!();

async fn setup() -> (MockServer, Arc<dyn Provider>) {
    let server = MockServer::start().await;
    let p = make(Url::parse(&server.uri()).unwrap(), client());
    (server, p)
}

async fn mount_creator(server: &MockServer, info: serde_json::Value) {
    Mock::given(method("POST"))
        .and(path(CREATOR))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .respond_with(ok(info))
        .expect(1)
        .mount(server)
        .await;
}

fn creator(options: &[&str], comment_off: bool, duet_off: bool, stitch_off: bool, max_secs: u64) -> serde_json::Value {
    json!({"creator_username": "bakery.tok", "creator_nickname": "The Bakery", "privacy_level_options": options,
           "comment_disabled": comment_off, "duet_disabled": duet_off, "stitch_disabled": stitch_off, "max_video_post_duration_sec": max_secs})
}

/// Answers status/fetch with each of `answers` in turn, then the last one again.
struct Statuses(Vec<serde_json::Value>, std::sync::atomic::AtomicUsize);

impl wiremock::Respond for Statuses {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst).min(self.0.len() - 1);
        ok(self.0[i].clone())
    }
}

fn statuses(answers: Vec<serde_json::Value>) -> Statuses {
    Statuses(answers, std::sync::atomic::AtomicUsize::new(0))
}

#[tokio::test]
async fn a_direct_video_post_asks_creator_info_then_pulls_from_the_url_and_polls_to_complete() {
    let (server, p) = setup().await;
    Mock::given(method("POST")).and(path(CREATOR)).respond_with(json_fixture("tiktok", "creator-info.json")).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path(INIT))
        .and(header("authorization", "Bearer tok-SECRET-123"))
        .and(body_json(json!({
            "post_info": {"title": "Sourdough in 40 seconds #bread", "privacy_level": "MUTUAL_FOLLOW_FRIENDS", "disable_comment": false,
                          "disable_duet": false, "disable_stitch": true, "brand_content_toggle": false, "brand_organic_toggle": true},
            "source_info": {"source": "PULL_FROM_URL", "video_url": "https://media.example/clip.mp4"}
        })))
        .respond_with(ok(json!({"publish_id": "v_pub_url~v2.1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(STATUS))
        .and(body_json(json!({"publish_id": "v_pub_url~v2.1"})))
        .respond_with(statuses(vec![
            json!({"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 1000}),
            json!({"status": "PROCESSING_DOWNLOAD", "downloaded_bytes": 9000}),
            json!({"status": "PUBLISH_COMPLETE", "publicaly_available_post_id": [7_301_234_567_890_123_456_u64]}),
        ]))
        .expect(3)
        .mount(&server)
        .await;
    let s = TikTokSettings { brand_organic_toggle: true, ..settings(TikTokPrivacy::MutualFollowFriends) };
    let post = p.publish(&token(), &account(), &video_post(s)).await.unwrap();
    assert_eq!(post.id, VIDEO_ID);
    assert_eq!(post.url.unwrap().as_str(), "https://www.tiktok.com/@bakery.tok/video/7301234567890123456");
}

#[tokio::test]
async fn a_video_without_a_public_url_goes_by_file_upload_in_chunks() {
    let (server, p) = setup().await;
    mount_creator(&server, creator(&["PUBLIC_TO_EVERYONE"], false, false, false, 600)).await;
    let total: usize = 25 * 1024 * 1024;
    let chunk: usize = 10 * 1024 * 1024;
    Mock::given(method("POST"))
        .and(path(INIT))
        .and(body_string_contains(
            r#""source_info":{"chunk_size":10485760,"source":"FILE_UPLOAD","total_chunk_count":2,"video_size":26214400}"#,
        ))
        .respond_with(ok(
            json!({"publish_id": "v_inbox_file~v2.2", "upload_url": format!("{}/upload/?upload_id=67&upload_token=x", server.uri())}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    for (range, status) in [(format!("bytes 0-{}/{total}", chunk - 1), 206), (format!("bytes {chunk}-{}/{total}", total - 1), 201)] {
        Mock::given(method("PUT"))
            .and(path("/upload/"))
            .and(header("content-range", range.as_str()))
            .and(header("content-type", "video/mp4"))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST")).and(path(STATUS)).respond_with(complete()).mount(&server).await;
    let mut req = video_post(settings(TikTokPrivacy::PublicToEveryone));
    let bytes: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
    req.items[0].media = vec![PublishMedia { data: bytes.into(), public_url: None, ..video(None) }];
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, VIDEO_ID);
    let puts: Vec<usize> =
        server.received_requests().await.unwrap().iter().filter(|r| r.method.as_str() == "PUT").map(|r| r.body.len()).collect();
    assert_eq!(puts, vec![chunk, total - chunk], "the last chunk takes the remainder");
}

#[tokio::test]
async fn photos_go_to_content_init_as_urls_with_the_description_and_title() {
    let (server, p) = setup().await;
    let host = MediaHost::start().await;
    mount_creator(&server, creator(&["PUBLIC_TO_EVERYONE", "SELF_ONLY"], false, true, true, 600)).await;
    let photos = vec![host.image(50_000, 1).await, host.image(60_000, 2).await];
    let urls: Vec<String> = photos.iter().map(|m| m.public_url.as_ref().unwrap().to_string()).collect();
    Mock::given(method("POST"))
        .and(path(PHOTO_INIT))
        .and(body_json(json!({
            "post_info": {"title": "Croissant day", "description": "Fresh out of the oven", "privacy_level": "SELF_ONLY", "disable_comment": true,
                          "auto_add_music": true, "brand_content_toggle": false, "brand_organic_toggle": false},
            "source_info": {"source": "PULL_FROM_URL", "photo_cover_index": 0, "photo_images": urls.clone()},
            "post_mode": "DIRECT_POST",
            "media_type": "PHOTO"
        })))
        .respond_with(ok(json!({"publish_id": "p_pub_url~v2.3"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path(STATUS)).respond_with(complete()).expect(1).mount(&server).await;
    let mut req = PublishRequest::text("k", "Fresh out of the oven");
    req.items[0].media = photos.clone();
    // Duets and stitches are off for this account, which does not matter for photos.
    req.settings = NetworkSettings::TikTok(TikTokSettings {
        privacy_level: Some(TikTokPrivacy::SelfOnly),
        disable_comment: true,
        title: Some("Croissant day".into()),
        auto_add_music: true,
        ..Default::default()
    });
    assert_eq!(p.publish(&token(), &account(), &req).await.unwrap().id, VIDEO_ID);
    crate::media_host::assert_all_fetch(&urls, &photos).await;
}

/// A draft goes to the inbox; TikTok has no post id until the creator posts it, so the publish
/// id is the post's id. Recorded as published, a retry sends nothing again, and a lookup after
/// an uncertain attempt never says "not there, publish again".
#[tokio::test]
async fn an_inbox_draft_is_recorded_by_its_publish_id_and_never_sent_twice() {
    let (server, p) = setup().await;
    mount_creator(&server, creator(&["SELF_ONLY"], true, true, true, 60)).await;
    Mock::given(method("POST"))
        .and(path(INBOX_INIT))
        .and(body_json(json!({"source_info": {"source": "PULL_FROM_URL", "video_url": "https://media.example/clip.mp4"}})))
        .respond_with(ok(json!({"publish_id": "v_inbox_url~v2.4"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path(INIT)).respond_with(ok(json!({"publish_id": "never"}))).expect(0).mount(&server).await;
    Mock::given(method("POST"))
        .and(path(STATUS))
        .respond_with(statuses(vec![json!({"status": "PROCESSING_DOWNLOAD"}), json!({"status": "SEND_TO_USER_INBOX"})]))
        .expect(2)
        .mount(&server)
        .await;
    // A draft needs no privacy level and ignores the account's interaction switches.
    let mut req = video_post(TikTokSettings { mode: TikTokPostMode::Draft, ..Default::default() });
    req.items[0].media[0].duration_ms = Some(30_000);
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!((post.id.as_str(), post.url.is_none()), ("v_inbox_url~v2.4", true));

    // The worker retries with what it recorded: nothing is sent.
    req.already_published = post.items.clone();
    let again = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(again.id, "v_inbox_url~v2.4");

    // After an attempt whose answer was lost, a draft is not listed among public videos: the
    // lookup says it cannot tell instead of "safe to publish again".
    Mock::given(method("POST"))
        .and(path("/v2/video/list/"))
        .respond_with(ok(json!({"videos": [], "cursor": 0, "has_more": false})))
        .mount(&server)
        .await;
    let q = FindQuery {
        idempotency_key: "k".into(),
        text: req.items[0].text.clone(),
        not_before: chrono::Utc::now() - chrono::Duration::minutes(5),
        settings: Default::default(),
    };
    let err = p.find_published(&token(), &account(), &q).await.expect_err("cannot tell");
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err:?}");
}

#[tokio::test]
async fn a_lookup_finds_a_public_video_by_its_caption() {
    let (server, p) = setup().await;
    let now = chrono::Utc::now().timestamp();
    Mock::given(method("POST"))
        .and(path("/v2/video/list/"))
        .and(query_param("fields", "id,title,video_description,create_time,share_url"))
        .and(body_json(json!({"max_count": 20})))
        .respond_with(ok(json!({"videos": [
            {"id": "7300000000000000001", "title": "older", "create_time": now - 86_400},
            {"id": VIDEO_ID, "title": "Sourdough in 40 seconds #bread", "create_time": now - 30, "share_url": "https://www.tiktok.com/@bakery.tok/video/7301234567890123456"}
        ], "cursor": 0, "has_more": false})))
        .mount(&server)
        .await;
    let q = FindQuery {
        idempotency_key: "k".into(),
        text: "Sourdough in 40 seconds #bread".into(),
        not_before: chrono::Utc::now() - chrono::Duration::minutes(5),
        settings: Default::default(),
    };
    let found = p.find_published(&token(), &account(), &q).await.unwrap().unwrap();
    assert_eq!(found.id, VIDEO_ID);
}

/// Settings the account can't use are refused before anything is posted, naming the setting.
#[tokio::test]
async fn settings_the_creator_cannot_use_are_refused_by_name_before_posting() {
    let cases: Vec<(serde_json::Value, TikTokSettings, Option<u64>, &str)> = vec![
        (
            creator(&["SELF_ONLY", "FOLLOWER_OF_CREATOR"], false, false, false, 600),
            settings(TikTokPrivacy::PublicToEveryone),
            None,
            "TikTok › Who can see this post",
        ),
        (
            creator(&["PUBLIC_TO_EVERYONE"], true, false, false, 600),
            settings(TikTokPrivacy::PublicToEveryone),
            None,
            "TikTok › Allow comments",
        ),
        (creator(&["PUBLIC_TO_EVERYONE"], false, true, false, 600), settings(TikTokPrivacy::PublicToEveryone), None, "TikTok › Allow Duet"),
        (
            creator(&["PUBLIC_TO_EVERYONE"], false, false, true, 600),
            TikTokSettings { disable_stitch: false, ..settings(TikTokPrivacy::PublicToEveryone) },
            None,
            "TikTok › Allow Stitch",
        ),
        (
            creator(&["PUBLIC_TO_EVERYONE"], false, false, false, 60),
            settings(TikTokPrivacy::PublicToEveryone),
            Some(61_000),
            "TikTok › Video",
        ),
    ];
    for (info, s, duration, label) in cases {
        let (server, p) = setup().await;
        mount_creator(&server, info).await;
        Mock::given(method("POST")).and(path(INIT)).respond_with(ok(json!({"publish_id": "never"}))).expect(0).mount(&server).await;
        let mut req = video_post(s);
        if let Some(d) = duration {
            req.items[0].media[0].duration_ms = Some(d);
        }
        let err = p.publish(&token(), &account(), &req).await.expect_err(label);
        let ProviderError::Rejected { reason, .. } = &err else { panic!("{label}: {err:?}") };
        assert!(reason.starts_with(&format!("{label}: ")), "{reason}");
    }
}

#[tokio::test]
async fn a_direct_post_without_a_privacy_level_is_refused_without_a_request() {
    let (server, p) = setup().await;
    let err = p.publish(&token(), &account(), &video_post(TikTokSettings::default())).await.expect_err("no privacy");
    let ProviderError::Rejected { reason, .. } = &err else { panic!("{err:?}") };
    assert_eq!(reason, "TikTok › Who can see this post: choose one");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn polling_that_runs_out_is_outcome_unknown_naming_the_publish_id() {
    let (server, p) = setup().await;
    mount_creator(&server, creator(&["PUBLIC_TO_EVERYONE"], false, false, false, 600)).await;
    Mock::given(method("POST")).and(path(INIT)).respond_with(ok(json!({"publish_id": "v_pub_url~v2.5"}))).expect(1).mount(&server).await;
    Mock::given(method("POST")).and(path(STATUS)).respond_with(ok(json!({"status": "PROCESSING_DOWNLOAD"}))).mount(&server).await;
    let err = p.publish(&token(), &account(), &video_post(settings(TikTokPrivacy::PublicToEveryone))).await.expect_err("runs out");
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.to_string().contains("v_pub_url~v2.5"), "{err}");
    assert_eq!(err.awaited_reference(), Some("v_pub_url~v2.5"), "TikTok's notification settles it by this id");
    assert!(err.may_have_published() && !err.is_retryable());
}

#[tokio::test]
async fn a_failed_status_is_classified_by_its_fail_reason() {
    for (reason, check) in [
        (
            "video_pull_failed",
            (|e: &ProviderError| matches!(e, ProviderError::Rejected { reason, .. } if reason.contains("verified")))
                as fn(&ProviderError) -> bool,
        ),
        ("duration_check_failed", |e| matches!(e, ProviderError::Rejected { .. })),
        (
            "spam_risk_too_many_posts",
            |e| matches!(e, ProviderError::RateLimited { retry_after: Some(d), .. } if *d >= Duration::from_secs(3600)),
        ),
        ("internal", |e| matches!(e, ProviderError::Transient { .. })),
    ] {
        let (server, p) = setup().await;
        mount_creator(&server, creator(&["PUBLIC_TO_EVERYONE"], false, false, false, 600)).await;
        Mock::given(method("POST")).and(path(INIT)).respond_with(ok(json!({"publish_id": "v_pub_url~v2.6"}))).mount(&server).await;
        Mock::given(method("POST"))
            .and(path(STATUS))
            .respond_with(ok(json!({"status": "FAILED", "fail_reason": reason})))
            .mount(&server)
            .await;
        let err = p.publish(&token(), &account(), &video_post(settings(TikTokPrivacy::PublicToEveryone))).await.expect_err(reason);
        assert!(check(&err), "{reason}: {err:?}");
    }
}

/// Each error body of the Direct Post reference, as TikTok sends it on the init request.
#[tokio::test]
async fn each_documented_error_body_is_classified() {
    let day = Duration::from_secs(24 * 3600);
    type Expected = fn(&ProviderError, Duration) -> bool;
    let cases: Vec<(u16, &str, Expected)> = vec![
        (401, "access_token_invalid", |e, _| matches!(e, ProviderError::Unauthorized { .. })),
        (401, "scope_not_authorized", |e, _| matches!(e, ProviderError::Unauthorized { .. })),
        (429, "rate_limit_exceeded", |e, _| matches!(e, ProviderError::RateLimited { retry_after: None, .. })),
        (403, "spam_risk_too_many_posts", |e, day| matches!(e, ProviderError::RateLimited { retry_after: Some(d), .. } if *d == day)),
        (403, "reached_active_user_cap", |e, day| matches!(e, ProviderError::RateLimited { retry_after: Some(d), .. } if *d == day)),
        (403, "spam_risk_too_many_pending_share", |e, _| matches!(e, ProviderError::RateLimited { retry_after: Some(_), .. })),
        (403, "spam_risk_user_banned_from_posting", |e, _| matches!(e, ProviderError::Rejected { .. })),
        (
            403,
            "unaudited_client_can_only_post_to_private_accounts",
            |e, _| matches!(e, ProviderError::Rejected { reason, .. } if reason.contains("Only me") && reason.contains("audit")),
        ),
        (
            403,
            "url_ownership_unverified",
            |e, _| matches!(e, ProviderError::Rejected { reason, .. } if reason.contains("verify the media domain")),
        ),
        (
            400,
            "privacy_level_option_mismatch",
            |e, _| matches!(e, ProviderError::Rejected { reason, .. } if reason.contains("Who can see this post")),
        ),
        (400, "invalid_param", |e, _| matches!(e, ProviderError::Rejected { .. })),
        (500, "internal_error", |e, _| matches!(e, ProviderError::Transient { .. })),
    ];
    for (status, code, check) in cases {
        let (server, p) = setup().await;
        mount_creator(&server, creator(&["PUBLIC_TO_EVERYONE"], false, false, false, 600)).await;
        Mock::given(method("POST")).and(path(INIT)).respond_with(error(status, code, "As TikTok words it.")).expect(1).mount(&server).await;
        let err = p.publish(&token(), &account(), &video_post(settings(TikTokPrivacy::PublicToEveryone))).await.expect_err(code);
        assert!(check(&err, day), "{code}: {err:?}");
        assert!(!format!("{err:?}").contains("tok-SECRET-123"));
    }
}

#[tokio::test]
async fn connect_exchanges_the_code_with_client_key_and_reads_the_user() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v2/oauth/token/"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("client_key=tt-key"))
        .and(body_string_contains("client_secret=tt-secret"))
        .and(body_string_contains("grant_type=authorization_code"))
        .and(body_string_contains("code=the-code"))
        .and(body_string_contains("redirect_uri=https%3A%2F%2Fapp.example%2Fcb"))
        .respond_with(json_fixture("tiktok", "token.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/user/info/"))
        .and(query_param("fields", "open_id,union_id,avatar_url,display_name,username"))
        .respond_with(json_fixture("tiktok", "user-info.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = OAuthClient { client_id: "tt-key".into(), client_secret: Some(SecretString::from("tt-secret")) };
    let tokens =
        p.exchange_code(&client, &SecretString::from("the-code"), &Url::parse("https://app.example/cb").unwrap(), None).await.unwrap();
    assert!(tokens.access_token.expose_secret().starts_with("act."));
    assert!(tokens.refresh_token.as_ref().unwrap().expose_secret().starts_with("rft."));
    assert_eq!(tokens.expires_in, Some(Duration::from_secs(86_400)));
    assert!(tokens.scopes.contains(&"video.publish".to_owned()));
    let info = p.account_info(&tokens.access_token, None).await.unwrap();
    assert_eq!((info.id.as_str(), info.handle.as_deref()), (OPEN_ID, Some("bakery.tok")));
    // The authorization URL names the client `client_key`.
    let postiz_providers::Connection::OAuth2(spec) = p.connection() else { panic!("oauth2") };
    assert_eq!(spec.client_id_param, "client_key");
    assert!(spec.custom_refresh);
}

#[tokio::test]
async fn refresh_uses_the_refresh_grant_and_a_refused_refresh_token_means_reconnect() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v2/oauth/token/"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=rft.good"))
        .and(body_string_contains("client_key=tt-key"))
        .respond_with(json_fixture("tiktok", "token.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/oauth/token/"))
        .and(body_string_contains("refresh_token=rft.revoked"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"error": "invalid_grant", "error_description": "Refresh token is invalid or expired.", "log_id": "x"}),
            ),
        )
        .mount(&server)
        .await;
    let client = OAuthClient { client_id: "tt-key".into(), client_secret: Some(SecretString::from("tt-secret")) };
    let fresh = p.refresh(Some(&client), &SecretString::from("rft.good"), None).await.unwrap();
    assert!(fresh.access_token.expose_secret().starts_with("act."));
    let err = p.refresh(Some(&client), &SecretString::from("rft.revoked"), None).await.expect_err("revoked");
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
    assert!(!err.to_string().contains("rft.revoked"));
}

#[tokio::test]
async fn post_numbers_come_from_video_query_and_a_missing_video_is_gone() {
    let (server, p) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v2/video/query/"))
        .and(query_param("fields", "id,view_count,like_count,comment_count,share_count"))
        .and(body_json(json!({"filters": {"video_ids": [VIDEO_ID]}})))
        .respond_with(json_fixture("tiktok", "video-query.json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/video/query/"))
        .and(body_json(json!({"filters": {"video_ids": ["v_inbox_url~v2.4"]}})))
        .respond_with(ok(json!({"videos": [], "cursor": 0, "has_more": false})))
        .mount(&server)
        .await;
    let q = AnalyticsQuery::Post { id: VIDEO_ID.into() };
    let a = p.analytics(&token(), &account(), &q).await.unwrap();
    assert_eq!([M::Views, M::Likes, M::Comments, M::Shares].map(|m| a.get(m)), [10_234, 812, 57, 31].map(Some));
    assert_declared(p.as_ref(), &q, &a);
    let per = p.post_analytics_many(&token(), &account(), &["v_inbox_url~v2.4".to_owned()]).await.unwrap();
    crate::conformance::assert_gone(&per, "v_inbox_url~v2.4");
}

#[tokio::test]
async fn account_numbers_come_from_user_info_stats() {
    let (server, p) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v2/user/info/"))
        .and(query_param("fields", "follower_count,following_count,likes_count,video_count"))
        .respond_with(json_fixture("tiktok", "user-stats.json"))
        .mount(&server)
        .await;
    let a = p.analytics(&token(), &account(), &AnalyticsQuery::Account).await.unwrap();
    assert_eq!([M::Followers, M::Following, M::Likes, M::Posts].map(|m| a.get(m)), [5120, 87, 40_213, 64].map(Some));
    assert_declared(p.as_ref(), &AnalyticsQuery::Account, &a);
}

#[tokio::test]
async fn threads_and_first_comments_are_refused() {
    let (_server, p) = setup().await;
    let mut req = video_post(settings(TikTokPrivacy::PublicToEveryone));
    req.first_comment = Some("first!".into());
    assert!(matches!(p.publish(&token(), &account(), &req).await, Err(ProviderError::Rejected { .. })));
}
