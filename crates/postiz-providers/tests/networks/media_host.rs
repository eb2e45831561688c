//! The module API's public media route, served for real on 127.0.0.1, so a test can check that
//! the URL an adapter handed a network serves exactly the stored bytes: what Meta's or Slack's
//! fetcher would download. Objects live in an in-memory store; links are signed as the worker
//! signs them ([`PublicUrls`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use postiz_api::routes::media_public::{PublicMedia, routes};
use postiz_domain::MediaKind;
use postiz_providers::PublishMedia;
use postiz_storage::MediaStorage;
use postiz_storage::media_link::MediaLinkKey;
use postiz_storage::public_url::PublicUrls;
use serde_json::Value;
use url::Url;
use uuid::Uuid;
use wiremock::MockServer;

/// Where the API's base path sits on the test server, as in production.
const BASE: &str = "/dashboard/postiz/api";

/// A running media route with its store.
pub struct MediaHost {
    storage: MediaStorage,
    urls: PublicUrls,
    workspace: Uuid,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for MediaHost {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl MediaHost {
    /// Binds 127.0.0.1:0 and serves the route (with the API's response policy) there.
    pub async fn start() -> Self {
        let storage = MediaStorage::in_memory();
        let key = MediaLinkKey::random();
        let public = Arc::new(PublicMedia { storage: storage.clone(), key: key.clone() });
        let app = axum::Router::new()
            .nest(BASE, routes::<()>())
            .layer(axum::middleware::from_fn(postiz_api::response_policy::layer))
            .layer(axum::Extension(public));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}{BASE}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let urls = PublicUrls::signed(key, &base, Duration::from_secs(600)).unwrap();
        Self { storage, urls, workspace: Uuid::new_v4(), server }
    }

    /// A stored file of `len` distinct bytes (`seed` picks them) as the worker hands it to an
    /// adapter: bytes and public URL.
    pub async fn media(&self, kind: MediaKind, mime: &str, len: usize, seed: u32) -> PublishMedia {
        let ext = mime.rsplit('/').next().unwrap_or("bin");
        let path = format!("{}/{}/original.{ext}", self.workspace, Uuid::new_v4());
        let data = distinct_bytes(len, seed);
        self.storage.put(&path, data.clone()).await.unwrap();
        PublishMedia {
            kind,
            mime: mime.into(),
            filename: format!("original.{ext}"),
            data,
            alt: None,
            width: Some(1080),
            height: Some(1350),
            duration_ms: (kind == MediaKind::Video).then_some(15_000),
            public_url: Some(self.urls.url_for(self.workspace, &path, mime).await.unwrap()),
        }
    }

    /// A JPEG-typed image of `len` bytes.
    pub async fn image(&self, len: usize, seed: u32) -> PublishMedia {
        self.media(MediaKind::Image, "image/jpeg", len, seed).await
    }

    /// An MP4-typed video of `len` bytes.
    pub async fn video(&self, len: usize, seed: u32) -> PublishMedia {
        self.media(MediaKind::Video, "video/mp4", len, seed).await
    }
}

/// Bytes that differ from any other seed's and along their length, so a shifted, truncated or
/// swapped body cannot pass for the object.
pub fn distinct_bytes(len: usize, seed: u32) -> Bytes {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    Bytes::from_iter((0..len).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x.to_le_bytes()[0]
    }))
}

/// Every value of `field` (e.g. `image_url`) in the JSON bodies `server` received, in order,
/// at any depth (Slack puts them inside `blocks`).
pub async fn sent_urls(server: &MockServer, field: &str) -> Vec<String> {
    fn collect(v: &Value, field: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match v.as_str() {
                        Some(s) if k == field => out.push(s.to_owned()),
                        _ => collect(v, field, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, field, out)),
            _ => {}
        }
    }
    let mut out = vec![];
    for request in server.received_requests().await.unwrap_or_default() {
        if let Ok(body) = serde_json::from_slice::<Value>(&request.body) {
            collect(&body, field, &mut out);
        }
    }
    out
}

/// Fetches `url` as a network would (a plain GET, no credentials) and checks the answer is
/// exactly `media`'s bytes with its type.
pub async fn assert_fetches(url: &str, media: &PublishMedia) {
    assert_eq!(Some(url), media.public_url.as_ref().map(Url::as_str), "the adapter sent the file's own URL");
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    assert_eq!(response.headers()["content-type"], media.mime.as_str());
    let body = response.bytes().await.unwrap();
    assert_eq!(body.len(), media.data.len(), "{url}");
    assert!(body == media.data, "{url} serves exactly the stored bytes");
}

/// [`assert_fetches`] for each URL and file, pairwise and in order.
pub async fn assert_all_fetch(urls: &[String], media: &[PublishMedia]) {
    assert_eq!(urls.len(), media.len(), "one URL per file: {urls:?}");
    for (url, m) in urls.iter().zip(media) {
        assert_fetches(url, m).await;
    }
}

/// Answers each request with the next id, `{"id": "<prefix><n>"}` from 1, as container
/// creation does (so a carousel's children are told apart).
pub struct NextId {
    prefix: &'static str,
    count: std::sync::atomic::AtomicUsize,
}

impl NextId {
    pub fn new(prefix: &'static str) -> Self {
        Self { prefix, count: std::sync::atomic::AtomicUsize::new(0) }
    }
}

impl wiremock::Respond for NextId {
    fn respond(&self, _request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let n = self.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": format!("{}{n}", self.prefix)}))
    }
}
