//! The worker hands networks that fetch media by URL a public URL of each file: an Instagram
//! post with an image publishes through the (wiremock) Graph API, and the URL its container
//! creation received serves exactly the stored bytes from the module API's public media route.
//! Without public URLs the same post is refused before any request, saying what to configure.

mod support;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use postiz_media::samples;
use postiz_api::routes::media_public::{PublicMedia, routes};
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
        .execute("insert into postiz.post_media (workspace_id, post_id, media_id, alt_text) values ($1, $2, $3, 'a loaf')", &[&f.workspace, &post, &asset])
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
    Mock::given(method("POST")).and(path(format!("/v25.0/{IG}/media"))).respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "c1"}))).expect(1).mount(&graph).await;
    Mock::given(method("GET")).and(path("/v25.0/c1")).respond_with(ResponseTemplate::new(200).set_body_json(json!({"status_code": "FINISHED"}))).mount(&graph).await;
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
        .query_one("select q.last_error_message from postiz.queue_jobs q join postiz.post_targets t on t.id = q.target_id where t.post_id = $1", &[&post])
        .await
        .unwrap()
        .get(0);
    assert!(message.contains("configure public media URLs"), "{message}");
    assert!(graph.received_requests().await.unwrap().is_empty(), "nothing was sent to Instagram");
}
