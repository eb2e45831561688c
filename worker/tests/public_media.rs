//! The worker hands networks that fetch media by URL a public URL of each file: an Instagram
//! post with an image publishes through the (wiremock) Graph API, and the URL its container
//! creation received serves exactly the stored bytes from the module API's public media route.
//! Without public URLs the same post is refused before any request, saying what to configure.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use postiz_api::routes::media_public::{PublicMedia, routes};
use postiz_media::samples;
use postiz_providers::instagram::InstagramProvider;
use postiz_providers::{HttpClient, Registry};
use postiz_storage::media_link::MediaLinkKey;
use postiz_storage::public_url::PublicUrls;
use postiz_vault::{Binding, Field};
use secrecy::SecretString;
use serde_json::{Value, json};
use support::{Fixture, all_jobs_final};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const IG: &str = "17841400000000001";

/// An Instagram account of the fixture's workspace with an encrypted token.
async fn instagram_account(f: &Fixture) -> Uuid {
    let id: Uuid = f
        .admin
        .query_one(
            "insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
             values ($1, 'instagram', $2, 'bakery', 'Bakery') returning id",
            &[&f.workspace, &IG],
        )
        .await
        .unwrap()
        .get(0);
    let sealed = f.keyring.encrypt(
        &SecretString::from("ig-token".to_owned()),
        &Binding { workspace_id: f.workspace, social_account_id: id, field: Field::AccessToken },
    );
    f.admin
        .execute(
            "insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
             values ($1, $2, $3, $4, $5)",
            &[&id, &f.workspace, &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
        )
        .await
        .unwrap();
    id
}

/// A post due now on `account` with one 1080x1350 JPEG attached; returns the post and the asset.
async fn post_with_image(f: &Fixture, account: Uuid) -> (Uuid, Uuid) {
    let (post, _) = f.schedule_once("Fresh bread", &[account], Utc::now()).await;
    let asset = Uuid::new_v4();
    let path = format!("{}/{asset}/original.jpg", f.workspace);
    let bytes = Bytes::from(samples::jpeg(&samples::photo(1080, 1350), 90, None));
    f.media.put(&path, bytes.clone()).await.unwrap();
    f.admin
        .execute(
            "insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256, width, height)
             values ($1, $2, $3, 'image/jpeg', $4, sha256('x'), 1080, 1350)",
            &[&asset, &f.workspace, &path, &(bytes.len() as i64)],
        )
        .await
        .unwrap();
    f.admin
        .execute(
            "insert into postiz.post_media (workspace_id, post_id, media_id, alt_text) values ($1, $2, $3, 'a loaf')",
            &[&f.workspace, &post, &asset],
        )
        .await
        .unwrap();
    (post, asset)
}

/// The module API's public media route over the fixture's store, on 127.0.0.1; the worker's
/// URLs point at it.
async fn serve_public_media(f: &mut Fixture) -> tokio::task::JoinHandle<()> {
    let key = MediaLinkKey::random();
    let public = Arc::new(PublicMedia { storage: (*f.media).clone(), key: key.clone() });
    let app = axum::Router::new().nest("/dashboard/postiz/api", routes::<()>()).layer(axum::Extension(public));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/dashboard/postiz/api", listener.local_addr().unwrap());
    f.public_urls = Some(Arc::new(PublicUrls::signed(key, &base, Duration::from_secs(600)).unwrap()));
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    })
}

fn registry(graph: &MockServer) -> Arc<Registry> {
    let provider = InstagramProvider::new(HttpClient::for_tests()).with_base_url(graph.uri().parse().unwrap());
    Arc::new(Registry::new().with(Arc::new(provider)))
}

#[tokio::test]
async fn an_instagram_image_post_publishes_and_its_container_got_a_url_serving_the_exact_bytes() {
    let mut f = Fixture::new().await;
    let server = serve_public_media(&mut f).await;
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "c1"})))
        .expect(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v25.0/c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status_code": "FINISHED"})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "m1"})))
        .expect(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v25.0/m1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"permalink": "https://www.instagram.com/p/m1/"})))
        .mount(&graph)
        .await;
    let account = instagram_account(&f).await;
    let (post, asset) = post_with_image(&f, account).await;

    f.run_with(registry(&graph), Duration::from_secs(30), all_jobs_final).await;

    assert_eq!(f.target_status(post).await, ["published"]);
    let url: String = f.admin.query_one("select external_url from postiz.post_targets where post_id = $1", &[&post]).await.unwrap().get(0);
    assert_eq!(url, "https://www.instagram.com/p/m1/");
    let requests = graph.received_requests().await.unwrap();
    let container: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!((container["caption"].as_str(), container["alt_text"].as_str()), (Some("Fresh bread"), Some("a loaf")));
    let image_url = container["image_url"].as_str().expect("image_url");
    assert!(image_url.contains("/dashboard/postiz/api/media/public/"), "{image_url}");
    let fetched = reqwest::get(image_url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["content-type"], "image/jpeg");
    // What went out is Instagram's variant of the photo (made and stored by the worker).
    let sent: String = f.admin.query_one("select path from postiz.media_variants where media_id = $1", &[&asset]).await.unwrap().get(0);
    let stored = f.media.read(&sent).await.unwrap();
    assert!(fetched.bytes().await.unwrap() == stored, "the URL serves exactly the stored object that was sent");
    assert!(stored.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    graph.verify().await;
    server.abort();
}

#[tokio::test]
async fn without_public_urls_an_instagram_media_post_fails_before_any_request_saying_what_to_configure() {
    let f = Fixture::new().await;
    let graph = MockServer::start().await;
    let account = instagram_account(&f).await;
    let (post, _) = post_with_image(&f, account).await;

    f.run_with(registry(&graph), Duration::from_secs(30), all_jobs_final).await;

    assert_eq!(f.target_status(post).await, ["failed"]);
    let message: String = f
        .admin
        .query_one(
            "select q.last_error_message from postiz.queue_jobs q join postiz.post_targets t on t.id = q.target_id where t.post_id = $1",
            &[&post],
        )
        .await
        .unwrap()
        .get(0);
    assert!(message.contains("configure public media URLs"), "{message}");
    assert!(graph.received_requests().await.unwrap().is_empty(), "nothing was sent to Instagram");
}

/// A post due now on `account` with one PNG of `width`x`height` attached, published as
/// `settings` (`{}` for the feed); returns the post, the asset and the PNG's bytes.
async fn post_with_png(f: &Fixture, account: Uuid, width: u32, height: u32, settings: Value) -> (Uuid, Uuid, Bytes) {
    let (post, _) = f.schedule_once("Fresh bread", &[account], Utc::now()).await;
    let asset = Uuid::new_v4();
    let path = format!("{}/{asset}/original.png", f.workspace);
    let bytes = Bytes::from(samples::png(&samples::photo(width, height).into()));
    f.media.put(&path, bytes.clone()).await.unwrap();
    f.admin
        .execute(
            "insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256, width, height)
             values ($1, $2, $3, 'image/png', $4, sha256('png'), $5, $6)",
            &[&asset, &f.workspace, &path, &(bytes.len() as i64), &(width as i32), &(height as i32)],
        )
        .await
        .unwrap();
    f.admin
        .execute("insert into postiz.post_media (workspace_id, post_id, media_id) values ($1, $2, $3)", &[&f.workspace, &post, &asset])
        .await
        .unwrap();
    f.admin
        .execute(
            "insert into postiz.post_variants (workspace_id, post_id, network, settings) values ($1, $2, 'instagram', $3)",
            &[&f.workspace, &post, &settings],
        )
        .await
        .unwrap();
    (post, asset, bytes)
}

/// Graph answers for one container `c1`, FINISHED, and its publish as `m1`.
async fn graph_for_one_container() -> MockServer {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "c1"})))
        .expect(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v25.0/c1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status_code": "FINISHED"})))
        .mount(&graph)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{IG}/media_publish")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "m1"})))
        .expect(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v25.0/m1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"permalink": "https://www.instagram.com/p/m1/"})))
        .mount(&graph)
        .await;
    graph
}

/// Fetches the `image_url` of the container Instagram was asked to create, as Instagram's
/// fetcher would, and checks it serves exactly the stored variant, a JPEG; returns the
/// container body and the decoded picture's size.
async fn fetched_variant(f: &Fixture, graph: &MockServer, asset: Uuid, original: &Bytes) -> (Value, (u32, u32)) {
    let requests = graph.received_requests().await.unwrap();
    let container: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let image_url = container["image_url"].as_str().unwrap_or_else(|| panic!("image_url in {container}"));
    let fetched = reqwest::get(image_url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.headers()["content-type"], "image/jpeg", "Instagram takes JPEG only");
    let body = fetched.bytes().await.unwrap();
    let (sent, mime): (String, String) = f
        .admin
        .query_one("select path, mime_type from postiz.media_variants where media_id = $1", &[&asset])
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!(mime, "image/jpeg");
    assert!(body == f.media.read(&sent).await.unwrap(), "the URL serves exactly the stored variant");
    assert!(body != *original, "not the PNG original");
    assert!(body.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    assert_eq!(postiz_media::sniff(&body), Some(postiz_media::Sniffed::Jpeg));
    let limits = postiz_media::ImageLimits { max_side: 8192, max_pixels: postiz_media::MAX_IMAGE_PIXELS, thumbnail_side: 16 };
    let picture = postiz_media::inspect_image(&body, postiz_media::Sniffed::Jpeg, limits).expect("decodes as JPEG");
    (container, (picture.width, picture.height))
}

/// A PNG is never handed to Instagram (which refuses PNG through the API): the worker makes
/// a JPEG variant first (scaled to the feed's 1,440 width) and the container's `image_url`
/// serves exactly that JPEG.
#[tokio::test]
async fn an_instagram_png_goes_out_as_a_jpeg_variant_served_byte_exact_from_its_url() {
    let mut f = Fixture::new().await;
    let server = serve_public_media(&mut f).await;
    let graph = graph_for_one_container().await;
    let account = instagram_account(&f).await;
    let (post, asset, png) = post_with_png(&f, account, 2000, 2000, json!({})).await;

    f.run_with(registry(&graph), Duration::from_secs(60), all_jobs_final).await;

    assert_eq!(f.target_status(post).await, ["published"]);
    let (container, size) = fetched_variant(&f, &graph, asset, &png).await;
    assert!(container.get("media_type").is_none(), "a feed image: {container}");
    assert_eq!(size, (1440, 1440));
    graph.verify().await;
    server.abort();
}

/// An Instagram story: the worker makes the variant for the story's limits (1,080 wide, JPEG),
/// a separate copy from the feed's, and the `media_type=STORIES` container gets its URL.
#[tokio::test]
async fn an_instagram_story_png_goes_out_as_a_story_sized_jpeg_in_a_stories_container() {
    let mut f = Fixture::new().await;
    let server = serve_public_media(&mut f).await;
    let graph = graph_for_one_container().await;
    let account = instagram_account(&f).await;
    let (post, asset, png) = post_with_png(&f, account, 1440, 2560, json!({"network": "instagram", "post_type": "story"})).await;

    f.run_with(registry(&graph), Duration::from_secs(60), all_jobs_final).await;

    assert_eq!(f.target_status(post).await, ["published"]);
    let (container, size) = fetched_variant(&f, &graph, asset, &png).await;
    assert_eq!(container["media_type"], "STORIES");
    assert!(container.get("caption").is_none(), "stories have no caption: {container}");
    assert_eq!(size, (1080, 1920));
    graph.verify().await;
    server.abort();
}
