//! TikTok, YouTube and dev.to settings over HTTP against the real test database, with TikTok
//! served by wiremock: a connected TikTok account's creator options (`creator_info/query`,
//! TikTok's documented shape from the providers' fixture) for the composer; posts whose settings
//! break TikTok's, YouTube's or dev.to's rules (a title, at most 4 tags), or use a privacy level
//! the creator may not, refused with 422
//! naming the field by its label; valid settings stored and read back.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod common;
mod connect_support;

use std::sync::Arc;

use axum::http::StatusCode;
use common::Actor;
use connect_support::*;
use postiz_oauth::OAuthClients;
use postiz_providers::tiktok::TikTokProvider;
use postiz_providers::{HttpClient, Network, OAuthClient, Registry};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CREATOR_INFO: &str = include_str!("../../postiz-providers/tests/fixtures/tiktok/creator-info.json");

/// The API with a TikTok account connected through the OAuth flow (tokens sealed as in
/// production), TikTok's API on `server`.
async fn app_with_tiktok(server: &MockServer) -> (ConnectApp, Actor, Uuid) {
    let base: url::Url = server.uri().parse().unwrap();
    Mock::given(method("POST"))
        .and(path("/v2/oauth/token/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "act.tiktok-access", "expires_in": 86400, "open_id": "open-1", "refresh_expires_in": 31536000,
            "refresh_token": "rft.tiktok-refresh", "scope": "user.info.basic,video.publish", "token_type": "Bearer"
        })))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/user/info/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {"user": {"open_id": "open-1", "username": "bakery.tok", "display_name": "The Bakery"}},
            "error": {"code": "ok", "message": "", "log_id": "l"}
        })))
        .mount(server)
        .await;
    let registry = Registry::new().with(Arc::new(TikTokProvider::new(HttpClient::for_tests()).with_base_url(base)));
    let client = OAuthClient { client_id: "tt-key".into(), client_secret: Some(SecretString::from("tt-secret".to_owned())) };
    let app = ConnectApp::new(registry, OAuthClients::new().with(Network::TikTok, client)).await;
    let url = app.start(&app.owner, "tiktok").await;
    let (status, body) = app.callback(&app.owner, "tiktok", "tt-code", &state_of(&url)).await;
    assert_eq!(status, 200, "{body}");
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    let owner = Actor { user: app.owner.clone(), token: common::token_for(&app.owner) };
    (app, owner, account)
}

async fn mount_creator_info(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v2/post/publish/creator_info/query/"))
        .and(header("authorization", "Bearer act.tiktok-access"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CREATOR_INFO, "application/json"))
        .mount(server)
        .await;
}

fn tiktok_post(account: Uuid, media: Uuid, settings: Value) -> Value {
    json!({"content": "Sourdough in 40 seconds", "targets": [account], "media": [media],
           "variants": {"tiktok": {"settings": settings}}})
}

/// The fields and messages of a 422, after checking that no message shows a JSON path.
fn field_errors(body: &Value) -> Vec<(String, String)> {
    let top = body["error"]["message"].as_str().unwrap();
    assert!(!top.contains("variants."), "the summary names a JSON path: {top}");
    body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let message = f["message"].as_str().unwrap().to_owned();
            assert!(!message.contains("variants.") && !message.contains("settings."), "a JSON path in {message}");
            (f["field"].as_str().unwrap().to_owned(), message)
        })
        .collect()
}

#[tokio::test]
async fn the_composer_gets_what_the_tiktok_creator_may_use() {
    let server = MockServer::start().await;
    let (app, owner, account) = app_with_tiktok(&server).await;
    mount_creator_info(&server).await;
    let ws = app.workspace;

    let a = app.app.call(&owner, "GET", &format!("/workspaces/{ws}/accounts/{account}/composer-options"), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["network"], "tiktok");
    let tiktok = &a.body["tiktok"];
    assert_eq!(tiktok["privacy_levels"], json!(["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]));
    assert_eq!(
        (tiktok["comment_disabled"].clone(), tiktok["duet_disabled"].clone(), tiktok["stitch_disabled"].clone()),
        (json!(false), json!(false), json!(true))
    );
    assert_eq!(tiktok["max_video_secs"], 300);
    assert_eq!(tiktok["username"], "bakery.tok");
    assert!(!a.body.to_string().contains("act.tiktok"), "no token in the answer");

    // A YouTube account has no account-dependent options: answered without a network call.
    let yt = app.app.account(ws, "youtube", "UCbakery").await;
    let before = server.received_requests().await.unwrap().len();
    let y = app.app.call(&owner, "GET", &format!("/workspaces/{ws}/accounts/{yt}/composer-options"), None).await;
    assert_eq!(y.status, StatusCode::OK, "{}", y.body);
    assert_eq!(y.body, json!({"account_id": yt, "network": "youtube", "tiktok": null}));
    assert_eq!(server.received_requests().await.unwrap().len(), before);

    // Another workspace's member sees nothing of it.
    let outsider = app.app.actor("outsider@example.com").await;
    let other = app.app.workspace(&outsider, "other", "UTC").await;
    let o = app.app.call(&outsider, "GET", &format!("/workspaces/{ws}/accounts/{account}/composer-options"), None).await;
    assert_eq!(o.status, StatusCode::NOT_FOUND, "{}", o.body);
    let o = app.app.call(&outsider, "GET", &format!("/workspaces/{other}/accounts/{account}/composer-options"), None).await;
    assert_eq!(o.status, StatusCode::NOT_FOUND, "{}", o.body);
}

#[tokio::test]
async fn tiktok_settings_are_checked_by_label_against_the_creator_and_round_trip() {
    let server = MockServer::start().await;
    let (app, owner, account) = app_with_tiktok(&server).await;
    mount_creator_info(&server).await;
    let ws = app.workspace;
    let video = app.app.media(ws, "video/mp4", 5_000_000).await;
    let posts = format!("/workspaces/{ws}/posts");

    // No privacy level: TikTok wants the person to choose it, so nothing is preselected.
    let a = app.app.call(&owner, "POST", &posts, Some(tiktok_post(account, video, json!({"network": "tiktok"})))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(
        field_errors(&a.body),
        [("variants.tiktok.settings.privacy_level".to_owned(), "TikTok › Who can see this post: choose one".to_owned())]
    );
    assert_eq!(a.body["error"]["message"], "TikTok › Who can see this post: choose one");
    // The same when the variant has no settings at all.
    let bare = json!({"content": "Sourdough", "targets": [account], "media": [video]});
    let a = app.app.call(&owner, "POST", &posts, Some(bare)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["field"], "variants.tiktok.settings.privacy_level");

    // Followers only: not one of this creator's levels (creator_info says so); stitches are
    // off for the account, so a post allowing them is refused too.
    let followers = json!({"network": "tiktok", "privacy_level": "FOLLOWER_OF_CREATOR"});
    let a = app.app.call(&owner, "POST", &posts, Some(tiktok_post(account, video, followers))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(field_errors(&a.body), [
        (
            "variants.tiktok.settings.privacy_level".to_owned(),
            "TikTok › Who can see this post: @bakery.tok can post to Everyone, Friends, Only me; “Followers” is not one of them, choose another"
                .to_owned()
        ),
        (
            "variants.tiktok.settings.disable_stitch".to_owned(),
            "TikTok › Allow Stitch: @bakery.tok has stitches turned off; turn them off for this post".to_owned()
        ),
    ]);
    assert_eq!(app.count("select count(*) from postiz.posts").await, 0, "nothing was written");

    // Allowed settings are stored as sent and read back.
    let settings = json!({"network": "tiktok", "privacy_level": "MUTUAL_FOLLOW_FRIENDS", "disable_comment": true,
                          "disable_duet": false, "disable_stitch": true, "mode": "direct",
                          "brand_organic_toggle": true, "brand_content_toggle": false});
    let a = app.app.call(&owner, "POST", &posts, Some(tiktok_post(account, video, settings))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_owned();
    let got = app.app.call(&owner, "GET", &format!("{posts}/{id}"), None).await;
    let stored = &got.body["variants"]["tiktok"]["settings"];
    assert_eq!(stored["privacy_level"], "MUTUAL_FOLLOW_FRIENDS");
    assert_eq!((stored["disable_comment"].clone(), stored["disable_stitch"].clone()), (json!(true), json!(true)));
    assert_eq!(stored["brand_organic_toggle"], true);

    // An edit to a level the creator may not use is refused the same way, and changes nothing.
    let patch = json!({"variants": {"tiktok": {"settings": {"network": "tiktok", "privacy_level": "FOLLOWER_OF_CREATOR", "disable_stitch": true}}}});
    let a = app.app.call(&owner, "PATCH", &format!("{posts}/{id}"), Some(patch)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["field"], "variants.tiktok.settings.privacy_level");
    let got = app.app.call(&owner, "GET", &format!("{posts}/{id}"), None).await;
    assert_eq!(got.body["variants"]["tiktok"]["settings"]["privacy_level"], "MUTUAL_FOLLOW_FRIENDS");

    // A draft for the creator's TikTok inbox needs no privacy level (chosen in the app).
    let inbox = json!({"variants": {"tiktok": {"settings": {"network": "tiktok", "mode": "draft"}}}});
    let a = app.app.call(&owner, "PATCH", &format!("{posts}/{id}"), Some(inbox)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["variants"]["tiktok"]["settings"]["mode"], "draft");
}

#[tokio::test]
async fn youtube_settings_are_refused_by_label_and_stored_when_valid() {
    let server = MockServer::start().await;
    let (app, owner, _) = app_with_tiktok(&server).await;
    let ws = app.workspace;
    let yt = app.app.account(ws, "youtube", "UCbakery").await;
    let video = app.app.media(ws, "video/mp4", 5_000_000).await;
    let posts = format!("/workspaces/{ws}/posts");
    let post = |settings: Value| json!({"content": "How we bake", "targets": [yt], "media": [video], "variants": {"youtube": {"settings": settings}}});

    let a = app.app.call(&owner, "POST", &posts, Some(post(json!({"network": "youtube", "title": "t".repeat(101)})))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(
        field_errors(&a.body),
        [("variants.youtube.settings.title".to_owned(), "YouTube › Title: at most 100 characters; this one has 101".to_owned())]
    );
    let a = app.app.call(&owner, "POST", &posts, Some(post(json!({"network": "youtube", "title": "", "category_id": "music"})))).await;
    assert_eq!(
        field_errors(&a.body),
        [
            ("variants.youtube.settings.title".to_owned(), "YouTube › Title: add a title for the video".to_owned()),
            (
                "variants.youtube.settings.category_id".to_owned(),
                "YouTube › Category: choose a category from the list (YouTube names them by number, such as 22 for People & Blogs)"
                    .to_owned()
            ),
        ]
    );

    let settings = json!({"network": "youtube", "title": "How we bake", "privacy": "unlisted", "tags": ["bread", "sour dough"],
                          "category_id": "26", "made_for_kids": true, "short": false});
    let a = app.app.call(&owner, "POST", &posts, Some(post(settings.clone()))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let got = app.app.call(&owner, "GET", &format!("{posts}/{}", a.body["id"].as_str().unwrap()), None).await;
    assert_eq!(got.body["variants"]["youtube"]["settings"], settings);
}

#[tokio::test]
async fn devto_articles_need_a_title_and_at_most_four_tags_named_by_label() {
    let server = MockServer::start().await;
    let (app, owner, _) = app_with_tiktok(&server).await;
    let ws = app.workspace;
    let devto = app.app.account(ws, "devto", "812345").await;
    let posts = format!("/workspaces/{ws}/posts");
    let article = |settings: Value| json!({"content": "How we bake.", "targets": [devto], "variants": {"devto": {"settings": settings}}});

    // No settings at all: an article without a title, which dev.to refuses.
    let bare = json!({"content": "How we bake.", "targets": [devto]});
    let a = app.app.call(&owner, "POST", &posts, Some(bare)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(
        field_errors(&a.body),
        [("variants.devto.settings.title".to_owned(), "dev.to › Title: add a title for the article".to_owned())]
    );

    let five = json!({"network": "devto", "title": "Baking with Rust", "tags": ["rust", "baking", "bread", "food", "web-dev"]});
    let a = app.app.call(&owner, "POST", &posts, Some(article(five))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(
        field_errors(&a.body),
        [
            ("variants.devto.settings.tags".to_owned(), "dev.to › Tags: at most 4 tags; this article has 5 (remove some)".to_owned()),
            (
                "variants.devto.settings.tags".to_owned(),
                "dev.to › Tags: a tag is letters a–z and digits only, without spaces, dashes or accents; change \"web-dev\"".to_owned()
            ),
        ]
    );
    assert_eq!(app.count("select count(*) from postiz.posts").await, 0, "nothing was written");

    let valid = json!({"network": "devto", "title": "Baking with Rust", "tags": ["rust", "baking"],
                       "canonical_url": "https://bakery.example/rust", "first_image_as_cover": true});
    let a = app.app.call(&owner, "POST", &posts, Some(article(valid))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_owned();
    let got = app.app.call(&owner, "GET", &format!("{posts}/{id}"), None).await;
    let stored = &got.body["variants"]["devto"]["settings"];
    assert_eq!(stored["title"], "Baking with Rust");
    assert_eq!(stored["tags"], json!(["rust", "baking"]));
    assert_eq!(stored["canonical_url"], "https://bakery.example/rust");
    assert_eq!(stored["first_image_as_cover"], true);
}
