//! Signed public media links through the real module API router: the bytes exactly as stored,
//! with their type, length and remaining life; ranges and HEAD; and every way a link is refused
//! (expired, tampered with, another key, no token, a gone object, another workspace's object).
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use bytes::Bytes;
use common::*;
use http_body_util::BodyExt;
use postiz_api::routes::media_public::PublicMedia;
use postiz_storage::MediaStorage;
use postiz_storage::media_link::{MediaLinkKey, unix_now};
use postiz_storage::public_url::PublicUrls;
use tower::ServiceExt;
use uuid::Uuid;

struct Fixture {
    router: Router,
    storage: MediaStorage,
    key: MediaLinkKey,
    urls: PublicUrls,
    _app: TestApp,
    _dir: tempfile::TempDir,
}

/// Bytes that differ everywhere, so a shifted or partial body cannot pass for the object.
fn object_bytes(len: usize, seed: u32) -> Bytes {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    Bytes::from_iter((0..len).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x.to_le_bytes()[0]
    }))
}

impl Fixture {
    async fn new() -> Self {
        let app = TestApp::new().await;
        let dir = tempfile::tempdir().unwrap();
        let storage = MediaStorage::local(dir.path()).unwrap();
        let key = MediaLinkKey::random();
        let urls = PublicUrls::signed(key.clone(), &format!("https://app.example.com{BASE}"), Duration::from_secs(600)).unwrap();
        let router = app.router.clone().layer(axum::Extension(Arc::new(PublicMedia { storage: storage.clone(), key: key.clone() })));
        Self { router, storage, key, urls, _app: app, _dir: dir }
    }

    /// Stores `bytes` as an asset's original in workspace `ws`; returns its object path.
    async fn stored(&self, ws: Uuid, ext: &str, bytes: Bytes) -> String {
        let path = format!("{ws}/{}/original.{ext}", Uuid::new_v4());
        self.storage.put(&path, bytes).await.unwrap();
        path
    }

    /// The link the worker would hand a network, as a request target (path only).
    async fn link(&self, ws: Uuid, path: &str, mime: &str) -> String {
        let url = self.urls.url_for(ws, path, mime).await.unwrap();
        assert_eq!(url.host_str(), Some("app.example.com"), "the public address, not ours");
        url.path().to_owned()
    }

    async fn send(&self, method: Method, target: &str, range: Option<&str>) -> (StatusCode, axum::http::HeaderMap, Bytes) {
        let mut request = Request::builder().method(method).uri(target);
        if let Some(r) = range {
            request = request.header(header::RANGE, r);
        }
        let response = self.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, body.collect().await.unwrap().to_bytes())
    }
}

fn error_code(body: &Bytes) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_link_serves_exactly_the_stored_bytes_with_type_length_and_its_remaining_life() {
    let f = Fixture::new().await;
    let ws = Uuid::new_v4();
    let bytes = object_bytes(300_000, 1);
    let path = f.stored(ws, "jpg", bytes.clone()).await;
    let link = f.link(ws, &path, "image/jpeg").await;
    assert!(link.starts_with(&format!("{BASE}/media/public/")) && link.ends_with("/original.jpg"), "{link}");

    let (status, headers, body) = f.send(Method::GET, &link, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, bytes, "exactly the stored object");
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(headers[header::CONTENT_LENGTH], "300000");
    assert_eq!(headers[header::ACCEPT_RANGES], "bytes");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let cache = headers[header::CACHE_CONTROL].to_str().unwrap();
    let max_age: u64 = cache.strip_prefix("private, max-age=").unwrap().parse().unwrap();
    assert!((590..=600).contains(&max_age), "{cache}");

    let (status, headers, body) = f.send(Method::HEAD, &link, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.is_empty());
    assert_eq!(
        (&headers[header::CONTENT_LENGTH], &headers[header::CONTENT_TYPE]),
        (&"300000".parse().unwrap(), &"image/jpeg".parse().unwrap())
    );

    let (status, headers, body) = f.send(Method::GET, &link, Some("bytes=1000-1999")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body, bytes.slice(1000..2000));
    assert_eq!(headers[header::CONTENT_RANGE], "bytes 1000-1999/300000");
    assert_eq!(headers[header::CONTENT_LENGTH], "1000");
    let (status, _, body) = f.send(Method::GET, &link, Some("bytes=-10")).await;
    assert_eq!((status, body), (StatusCode::PARTIAL_CONTENT, bytes.slice(299_990..)));
    let (status, headers, _) = f.send(Method::GET, &link, Some("bytes=300000-")).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(headers[header::CONTENT_RANGE], "bytes */300000");
    let (status, _, body) = f.send(Method::GET, &link, Some("bytes=0-1,5-9")).await;
    assert_eq!((status, body.len()), (StatusCode::OK, 300_000), "several ranges: the whole object");
}

#[tokio::test]
async fn expired_tampered_foreign_and_tokenless_requests_are_refused() {
    let f = Fixture::new().await;
    let ws = Uuid::new_v4();
    let path = f.stored(ws, "png", object_bytes(1000, 2)).await;
    let prefix = format!("{BASE}/media/public");

    let expired = f.key.sign(ws, &path, "image/png", unix_now() - 1).unwrap();
    let (status, headers, body) = f.send(Method::GET, &format!("{prefix}/{expired}/original.png"), None).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "media_link_expired"));
    assert!(body.len() < 300, "a short body: {}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");

    let link = f.link(ws, &path, "image/png").await;
    let token = link.split('/').rev().nth(1).unwrap().to_owned();
    for (i, c) in token.char_indices().step_by(7) {
        let swapped = if c == 'A' { 'B' } else { 'A' };
        let tampered = format!("{}{swapped}{}", &token[..i], &token[i + 1..]);
        let (status, _, body) = f.send(Method::GET, &format!("{prefix}/{tampered}/original.png"), None).await;
        assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "media_link_invalid"), "char {i}");
    }
    let foreign = MediaLinkKey::random().sign(ws, &path, "image/png", unix_now() + 600).unwrap();
    let (status, _, _) = f.send(Method::GET, &format!("{prefix}/{foreign}/original.png"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "signed with another key");
    let (status, _, _) = f.send(Method::HEAD, &format!("{prefix}/{foreign}/original.png"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "HEAD checks the token too");

    for target in [format!("{prefix}/"), format!("{prefix}/{token}"), prefix.clone(), format!("{prefix}//original.png")] {
        for method in [Method::GET, Method::HEAD] {
            let (status, _, _) = f.send(method.clone(), &target, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {target}");
        }
    }
    let (status, _, _) = f.send(Method::GET, &format!("{prefix}/garbage/original.png"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_link_reaches_its_own_object_only() {
    let f = Fixture::new().await;
    let (ws, other_ws) = (Uuid::new_v4(), Uuid::new_v4());
    let mine = object_bytes(500, 3);
    let path = f.stored(ws, "png", mine.clone()).await;
    let theirs = f.stored(other_ws, "png", object_bytes(500, 4)).await;

    // Another workspace's object cannot be linked under this workspace.
    assert!(f.urls.url_for(ws, &theirs, "image/png").await.is_err());
    // The last segment is a name only: pointing it elsewhere still serves this object.
    let link = f.link(ws, &path, "image/png").await;
    let token = link.split('/').rev().nth(1).unwrap().to_owned();
    let elsewhere = format!("{BASE}/media/public/{token}/{}", theirs.replace('/', "%2F"));
    let (status, _, body) = f.send(Method::GET, &elsewhere, None).await;
    assert_eq!((status, body), (StatusCode::OK, mine));
    // Dot segments in the request do not escape the route either.
    let (status, _, _) = f.send(Method::GET, &format!("{BASE}/media/public/{token}/../../{theirs}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A link whose object is gone (the asset was deleted): 404.
    let gone = format!("{ws}/{}/original.png", Uuid::new_v4());
    let link = f.link(ws, &gone, "image/png").await;
    for method in [Method::GET, Method::HEAD] {
        let (status, _, _) = f.send(method, &link, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _, _) = f.send(Method::GET, &link, Some("bytes=0-1")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_a_link_key_the_route_answers_404() {
    let app = TestApp::new().await;
    let key = MediaLinkKey::random();
    let ws = Uuid::new_v4();
    let token = key.sign(ws, &format!("{ws}/{}/original.png", Uuid::new_v4()), "image/png", unix_now() + 60).unwrap();
    let request = Request::get(format!("{BASE}/media/public/{token}/original.png")).body(Body::empty()).unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
