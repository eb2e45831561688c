//! Media over HTTP against real PostgreSQL and a local object store in a temporary directory:
//! multipart upload (type from content, limits, thumbnail, dedupe), refusals that leave no row
//! and no object, resumable uploads (order enforced, missing chunk refused, completion), imports
//! from a URL (served by wiremock; our own network refused, also through redirects), and media
//! attached to posts.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;
use http_body_util::BodyExt;
use postiz_api::routes::media::{MediaLimits, MediaState};
use postiz_api::routes::media_fetch::RemoteFetcher;
use postiz_storage::MediaStorage;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

struct Fixture {
    app: TestApp,
    dir: tempfile::TempDir,
    owner: Actor,
    ws: Uuid,
}

fn limits() -> MediaLimits {
    MediaLimits {
        max_upload_bytes: 2 * 1024 * 1024,
        max_image_bytes: 1024 * 1024,
        max_video_bytes: 4 * 1024 * 1024,
        max_chunk_bytes: 64 * 1024,
        max_image_side: 4000,
        max_image_pixels: postiz_api::routes::media_probe::MAX_IMAGE_PIXELS,
        thumbnail_side: 64,
        upload_ttl: Duration::from_secs(3600),
        fetch_timeout: Duration::from_secs(2),
    }
}

async fn fixture_with(limits: MediaLimits) -> Fixture {
    fixture_reaching(limits, &[]).await
}

/// A fixture whose imports from a URL may reach these private networks (wiremock listens on
/// 127.0.0.1).
async fn fixture_reaching(limits: MediaLimits, networks: &[&str]) -> Fixture {
    let mut app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let storage = MediaStorage::local(dir.path()).unwrap();
    let fetcher = RemoteFetcher::new(limits.fetch_timeout, networks.iter().map(|n| n.parse().unwrap()).collect()).unwrap();
    app.router = app.router.layer(axum::Extension(Arc::new(MediaState { storage, limits, fetcher })));
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    Fixture { app, dir, owner, ws }
}

async fn fixture() -> Fixture {
    fixture_with(limits()).await
}

/// Files in the object store, relative paths, sorted.
fn objects(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = vec![];
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    // Noisy pixels, so that the PNG's size grows with its area.
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)).wrapping_mul(2_246_822_519);
        image::Rgb([(n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(body.len() + 8).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// An MP4 as cameras write it (ftyp, a big mdat, then moov): 12.5 s at 1280x720.
fn mp4(mdat_bytes: usize) -> Vec<u8> {
    let mut mvhd = vec![0u8; 100];
    mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
    mvhd[16..20].copy_from_slice(&12_500u32.to_be_bytes());
    let mut tkhd = vec![0u8; 84];
    tkhd[76..80].copy_from_slice(&(1280u32 << 16).to_be_bytes());
    tkhd[80..84].copy_from_slice(&(720u32 << 16).to_be_bytes());
    let mut hdlr = vec![0u8; 24];
    hdlr[8..12].copy_from_slice(b"vide");
    let trak = boxed(b"trak", &[boxed(b"tkhd", &tkhd), boxed(b"mdia", &boxed(b"hdlr", &hdlr))].concat());
    let moov = [boxed(b"mvhd", &mvhd), trak].concat();
    let mdat: Vec<u8> = (0..mdat_bytes).map(|i| (i * 31 % 251) as u8).collect();
    [boxed(b"ftyp", b"isom\0\0\x02\0isomiso2avc1mp41"), boxed(b"mdat", &mdat), boxed(b"moov", &moov)].concat()
}

const BOUNDARY: &str = "postiz-test-boundary";

fn multipart(parts: &[(&str, &str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, filename, content_type, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn raw(
    app: &TestApp,
    actor: &Actor,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req =
        Request::builder().method(method).uri(format!("{BASE}{path}")).header(header::AUTHORIZATION, format!("Bearer {}", actor.token));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = app.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

async fn upload(f: &Fixture, actor: &Actor, filename: &str, content_type: &str, bytes: &[u8]) -> Answer {
    let body = multipart(&[("file", filename, content_type, bytes)]);
    let (status, headers, body) = raw(
        &f.app,
        actor,
        "POST",
        &format!("/workspaces/{}/media", f.ws),
        &[("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))],
        body,
    )
    .await;
    Answer { status, headers, body: serde_json::from_slice(&body).unwrap_or(Value::Null) }
}

async fn media_rows(app: &TestApp) -> i64 {
    app.count("select count(*) from postiz.media_assets").await
}

fn field(body: &Value) -> &str {
    body["error"]["fields"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_image_is_stored_measured_thumbnailed_and_served_with_its_sniffed_type() {
    let f = fixture().await;
    let bytes = png(300, 200);
    // The client says JPEG and .jpg; the bytes are PNG, and the bytes win.
    let a = upload(&f, &f.owner, "holiday.jpg", "image/jpeg", &bytes).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["mime_type"], "image/png");
    assert_eq!(a.body["kind"], "image");
    assert_eq!((a.body["width"].as_i64(), a.body["height"].as_i64()), (Some(300), Some(200)));
    assert_eq!(a.body["bytes"].as_i64(), Some(bytes.len() as i64));
    assert_eq!(a.body["has_thumbnail"], true);
    assert_eq!(a.body["name"], "holiday.jpg", "the library shows the name the file had");
    let id = a.body["id"].as_str().unwrap();
    assert_eq!(a.body["url"], format!("{BASE}/workspaces/{}/media/{id}/content", f.ws));
    assert_eq!(a.body["thumbnail_url"], format!("{BASE}/workspaces/{}/media/{id}/thumbnail", f.ws));
    assert_eq!(objects(f.dir.path()), vec![format!("{}/{id}/original.png", f.ws), format!("{}/{id}/thumbnail.jpg", f.ws)]);

    let (status, headers, content) = raw(&f.app, &f.owner, "GET", &format!("/workspaces/{}/media/{id}/content", f.ws), &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::CACHE_CONTROL], "private, max-age=86400, immutable", "the API's no-store default leaves it alone");
    assert_eq!(content, bytes);
    let (status, headers, thumb) = raw(&f.app, &f.owner, "GET", &format!("/workspaces/{}/media/{id}/thumbnail", f.ws), &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    let t = image::load_from_memory(&thumb).unwrap();
    assert_eq!(t.width(), 64, "fits the 64 px square");
    assert!((42..=43).contains(&t.height()), "aspect kept: {}", t.height());

    let list = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media", f.ws), None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let one = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!(one.body["sha256"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn the_same_bytes_twice_return_the_first_asset_and_store_nothing_new() {
    let f = fixture().await;
    let bytes = png(50, 50);
    let first = upload(&f, &f.owner, "a.png", "image/png", &bytes).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let stored = objects(f.dir.path());
    let again = upload(&f, &f.owner, "renamed.webp", "application/octet-stream", &bytes).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(media_rows(&f.app).await, 1);
    assert_eq!(objects(f.dir.path()), stored);
}

#[tokio::test]
async fn text_named_png_is_refused_with_415_and_nothing_is_stored() {
    let f = fixture().await;
    let a = upload(&f, &f.owner, "photo.png", "image/png", b"this is plain text, not a picture at all").await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "unsupported_type");
    assert_eq!(field(&a.body), "file");
    assert!(!a.body["request_id"].as_str().unwrap().is_empty(), "the error names the request");
    assert_eq!(a.headers["x-request-id"].to_str().unwrap(), a.body["request_id"].as_str().unwrap());
    assert_eq!(media_rows(&f.app).await, 0);
    assert!(objects(f.dir.path()).is_empty());

    // PNG magic followed by junk: the type is right, the image is not.
    let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
    fake.extend_from_slice(&[0u8; 200]);
    let a = upload(&f, &f.owner, "photo.png", "image/png", &fake).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(field(&a.body), "file");
    assert_eq!(media_rows(&f.app).await, 0);
    assert!(objects(f.dir.path()).is_empty());
}

#[tokio::test]
async fn too_large_uploads_are_refused_with_413_and_nothing_is_stored() {
    let f = fixture_with(MediaLimits { max_image_bytes: 2_000, max_upload_bytes: 40_000, ..limits() }).await;
    // Over the image limit (but under the multipart limit).
    let big = png(40, 40);
    assert!(big.len() > 2_000 && big.len() < 40_000, "{}", big.len());
    let a = upload(&f, &f.owner, "big.png", "image/png", &big).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert_eq!(field(&a.body), "file");
    // Over the multipart limit: refused while streaming.
    let a = upload(&f, &f.owner, "clip.mp4", "video/mp4", &mp4(60_000)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert_eq!(field(&a.body), "file");
    // Too many pixels for the limits is a 422 on the same field.
    let f2 = fixture_with(MediaLimits { max_image_side: 100, ..limits() }).await;
    let a = upload(&f2, &f2.owner, "wide.png", "image/png", &png(101, 10)).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body["error"]["message"].as_str().unwrap().contains("101x10"));
    for fx in [&f, &f2] {
        assert_eq!(media_rows(&fx.app).await, 0);
        assert!(objects(fx.dir.path()).is_empty());
    }
}

/// A decompression bomb: a 1-bit greyscale PNG of `w` x `h` black pixels, a few KB on the wire
/// (zeros compress about a thousandfold) that decodes to `w * h` bytes or more.
fn bomb_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&vec![0u8; (w as usize).div_ceil(8) * h as usize]).unwrap();
    writer.finish().unwrap();
    out
}

#[tokio::test]
async fn a_small_png_declaring_too_many_pixels_is_refused_naming_file_and_nothing_is_stored() {
    // The longest side allows 8192 px, as the default does: only the pixel count refuses it.
    let f = fixture_with(MediaLimits { max_image_side: 8192, ..limits() }).await;
    let bomb = bomb_png(8192, 8192);
    assert!(bomb.len() < 64 * 1024, "the bomb is small on the wire: {} bytes", bomb.len());
    let a = upload(&f, &f.owner, "bomb.png", "image/png", &bomb).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "validation_failed");
    assert_eq!(field(&a.body), "file");
    let message = a.body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("file: is 8192x8192 pixels (67.1 megapixels); images may have at most 36.1 megapixels"), "{message}");
    // Through an import from a URL, the same refusal names `url`.
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/bomb.png"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(bomb.clone(), "image/png"))
        .mount(&server)
        .await;
    let g = fixture_reaching(MediaLimits { max_image_side: 8192, ..limits() }, &["127.0.0.1/32"]).await;
    let a = g
        .app
        .call(&g.owner, "POST", &format!("/workspaces/{}/media/from-url", g.ws), Some(json!({"url": format!("{}/bomb.png", server.uri())})))
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(field(&a.body), "url");
    assert!(a.body["error"]["message"].as_str().unwrap().starts_with("url: is 8192x8192 pixels"), "{}", a.body);
    // A resumable upload is refused at completion, and its session and chunks go.
    let s = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads", f.ws), Some(json!({"total_bytes": bomb.len()}))).await;
    assert_eq!(s.status, StatusCode::CREATED, "{}", s.body);
    let id = s.body["id"].as_str().unwrap().to_owned();
    assert_eq!(put_chunk(&f, &id, &bomb, 0, bomb.len()).await.status, StatusCode::OK);
    let c = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads/{id}/complete", f.ws), None).await;
    assert_eq!(c.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", c.body);
    assert_eq!(field(&c.body), "file");
    assert!(c.body["error"]["message"].as_str().unwrap().contains("8192x8192 pixels"), "{}", c.body);
    assert_eq!(f.app.count("select count(*) from postiz.media_uploads").await, 0);
    for fx in [&f, &g] {
        assert_eq!(media_rows(&fx.app).await, 0);
        assert!(objects(fx.dir.path()).is_empty());
    }
}

#[tokio::test]
async fn viewers_and_outsiders_cannot_upload_and_nothing_is_stored() {
    let f = fixture().await;
    let viewer = f.app.actor("viewer@example.com").await;
    f.app.add_member(f.ws, &viewer, "viewer").await;
    let outsider = f.app.actor("outsider@example.com").await;
    let a = upload(&f, &viewer, "a.png", "image/png", &png(10, 10)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    let a = upload(&f, &outsider, "a.png", "image/png", &png(10, 10)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert_eq!(media_rows(&f.app).await, 0);
    assert!(objects(f.dir.path()).is_empty());
    // Malformed requests name what is wrong.
    let body = multipart(&[("attachment", "a.png", "image/png", &png(10, 10))]);
    let (status, _, body) = raw(
        &f.app,
        &f.owner,
        "POST",
        &format!("/workspaces/{}/media", f.ws),
        &[("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))],
        body,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&serde_json::from_slice(&body).unwrap()), "attachment");
}

#[tokio::test]
async fn a_video_gets_its_duration_from_the_movie_header() {
    let f = fixture().await;
    let a = upload(&f, &f.owner, "clip.bin", "application/octet-stream", &mp4(10_000)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["mime_type"], "video/mp4");
    assert_eq!(a.body["kind"], "video");
    assert_eq!(a.body["duration_ms"], 12_500);
    assert_eq!((a.body["width"].as_i64(), a.body["height"].as_i64()), (Some(1280), Some(720)));
    assert_eq!(a.body["has_thumbnail"], false);
    // A truncated movie is refused.
    let mut cut = mp4(10_001);
    cut.truncate(cut.len() - 20);
    let a = upload(&f, &f.owner, "cut.mp4", "video/mp4", &cut).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(media_rows(&f.app).await, 1);
}

async fn put_chunk(f: &Fixture, id: &str, bytes: &[u8], start: usize, total: usize) -> Answer {
    let end = start + bytes.len() - 1;
    let (status, headers, body) = raw(
        &f.app,
        &f.owner,
        "PUT",
        &format!("/workspaces/{}/media/uploads/{id}", f.ws),
        &[("content-range", format!("bytes {start}-{end}/{total}"))],
        bytes.to_vec(),
    )
    .await;
    Answer { status, headers, body: serde_json::from_slice(&body).unwrap_or(Value::Null) }
}

#[tokio::test]
async fn a_resumable_upload_refuses_a_missing_chunk_resumes_and_completes() {
    let f = fixture().await;
    let video = mp4(200_000);
    let total = video.len();
    let chunk = 64 * 1024;
    let body = json!({"total_bytes": total, "name": "C:\\Users\\me\\Summer trip.mp4"});
    let s = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads", f.ws), Some(body)).await;
    assert_eq!(s.status, StatusCode::CREATED, "{}", s.body);
    assert_eq!(s.body["offset"], 0);
    let id = s.body["id"].as_str().unwrap().to_owned();

    let a = put_chunk(&f, &id, &video[..chunk], 0, total).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["offset"].as_u64(), Some(chunk as u64));
    assert_eq!(a.body["mime_type"], "video/mp4");

    // The second chunk goes missing: the third is refused and changes nothing.
    let a = put_chunk(&f, &id, &video[2 * chunk..3 * chunk], 2 * chunk, total).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "offset_mismatch");
    // Completing now is refused too, naming the first missing byte.
    let c = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads/{id}/complete", f.ws), None).await;
    assert_eq!(c.status, StatusCode::CONFLICT, "{}", c.body);
    assert_eq!(c.body["error"]["code"], "upload_incomplete");
    assert!(c.body["error"]["message"].as_str().unwrap().contains(&format!("bytes {chunk}-")));
    // A chunk over the size limit is refused as well.
    let a = put_chunk(&f, &id, &video[chunk..chunk + 70_000], chunk, total).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);

    // The client asks where to resume, and sends the rest in order.
    let st = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media/uploads/{id}", f.ws), None).await;
    let mut at = st.body["offset"].as_u64().unwrap() as usize;
    assert_eq!(at, chunk);
    while at < total {
        let end = (at + chunk).min(total);
        let a = put_chunk(&f, &id, &video[at..end], at, total).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        at = end;
    }
    let c = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads/{id}/complete", f.ws), None).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    assert_eq!(c.body["bytes"].as_u64(), Some(total as u64));
    assert_eq!(c.body["duration_ms"], 12_500);
    assert_eq!(c.body["name"], "Summer trip.mp4", "the name given at the start, without its path");
    let media_id = c.body["id"].as_str().unwrap();
    // The chunks and the session are gone; the assembled file is exactly the video.
    assert_eq!(objects(f.dir.path()), vec![format!("{}/{media_id}/original.mp4", f.ws)]);
    assert_eq!(f.app.count("select count(*) from postiz.media_uploads").await, 0);
    let (_, _, content) = raw(&f.app, &f.owner, "GET", &format!("/workspaces/{}/media/{media_id}/content", f.ws), &[], vec![]).await;
    assert!(content == video);
    // Completing twice finds no session.
    let c = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads/{id}/complete", f.ws), None).await;
    assert_eq!(c.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_resumable_upload_of_the_wrong_type_is_dropped_at_its_first_chunk() {
    let f = fixture().await;
    let text = vec![b'x'; 1000];
    let s = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads", f.ws), Some(json!({"total_bytes": 1000}))).await;
    let id = s.body["id"].as_str().unwrap().to_owned();
    let a = put_chunk(&f, &id, &text, 0, 1000).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", a.body);
    assert_eq!(field(&a.body), "file");
    assert_eq!(f.app.count("select count(*) from postiz.media_uploads").await, 0);
    assert!(objects(f.dir.path()).is_empty());
    // Declaring a file over the limit is refused before any byte.
    let s =
        f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads", f.ws), Some(json!({"total_bytes": 5 * 1024 * 1024}))).await;
    assert_eq!(s.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(field(&s.body), "total_bytes");
    // An aborted upload leaves nothing.
    let s = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads", f.ws), Some(json!({"total_bytes": 100_000}))).await;
    let id = s.body["id"].as_str().unwrap().to_owned();
    let video = mp4(100_000);
    assert_eq!(put_chunk(&f, &id, &video[..1000], 0, 99_999).await.status, StatusCode::BAD_REQUEST, "TOTAL must match");
    assert_eq!(put_chunk(&f, &id, &video[..1000], 0, 100_000).await.status, StatusCode::OK);
    let a = raw(&f.app, &f.owner, "DELETE", &format!("/workspaces/{}/media/uploads/{id}", f.ws), &[], vec![]).await;
    assert_eq!(a.0, StatusCode::NO_CONTENT);
    assert!(objects(f.dir.path()).is_empty());
}

#[tokio::test]
async fn media_attached_to_a_post_cannot_be_deleted_until_detached() {
    let f = fixture().await;
    let a = upload(&f, &f.owner, "a.png", "image/png", &png(40, 30)).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let p = f
        .app
        .call(
            &f.owner,
            "POST",
            &format!("/workspaces/{}/posts", f.ws),
            Some(json!({"content": "with a picture", "media": [{"id": id, "alt": "a test"}]})),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    assert_eq!(p.body["media"][0]["id"], id.as_str());
    assert_eq!(f.app.count("select count(*) from postiz.post_media").await, 1);
    let d = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!(d.status, StatusCode::CONFLICT, "{}", d.body);
    assert_eq!(d.body["error"]["code"], "media_in_use");
    let post = p.body["id"].as_str().unwrap();
    let u = f.app.call(&f.owner, "PATCH", &format!("/workspaces/{}/posts/{post}", f.ws), Some(json!({"media": []}))).await;
    assert_eq!(u.status, StatusCode::OK, "{}", u.body);
    let d = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{}", d.body);
    assert_eq!(media_rows(&f.app).await, 0);
    assert!(objects(f.dir.path()).is_empty(), "the objects go with the row");
    assert_eq!(f.app.count("select count(*) from postiz.storage_deletions").await, 0, "removed, so no record is left for the sweep");
}

#[tokio::test]
async fn media_of_a_scheduled_post_is_refused_in_words_and_the_delete_leaves_no_object() {
    let f = fixture().await;
    let a = upload(&f, &f.owner, "a.png", "image/png", &png(40, 30)).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let x = f.app.account(f.ws, "x", "acme_x").await;
    let at = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%dT%H:%M:00Z").to_string();
    let body = json!({"content": "going out", "targets": [x], "media": [{"id": id}], "schedule": {"kind": "once", "at": at}});
    let p = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/posts", f.ws), Some(body)).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    assert_eq!(p.body["status"], "scheduled", "{}", p.body);
    let d = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!((d.status, d.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("media_in_use")), "{}", d.body);
    assert_eq!(
        d.body["error"]["message"], "This file is in 1 post still to go out; take it off that post or cancel it first",
        "{}",
        d.body
    );
    assert_eq!(media_rows(&f.app).await, 1, "nothing deleted");
    assert!(!objects(f.dir.path()).is_empty(), "its bytes stay");
    assert_eq!(f.app.count("select count(*) from postiz.storage_deletions").await, 0);

    // Deleted once the post goes: row, original and thumbnail at once, and no record left over.
    let post = p.body["id"].as_str().unwrap();
    let gone = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/posts/{post}", f.ws), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    let d = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{}", d.body);
    assert_eq!(media_rows(&f.app).await, 0);
    assert!(objects(f.dir.path()).is_empty(), "no object outlives its row");
    assert_eq!(f.app.count("select count(*) from postiz.storage_deletions").await, 0);
    let again = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_workspace_sees_none_of_the_media() {
    let f = fixture().await;
    let a = upload(&f, &f.owner, "a.png", "image/png", &png(20, 20)).await;
    let id = a.body["id"].as_str().unwrap();
    let other = f.app.actor("other@example.com").await;
    let ws2 = f.app.workspace(&other, "other", "UTC").await;
    for path in [format!("/workspaces/{}/media/{id}", f.ws), format!("/workspaces/{}/media/{id}/content", f.ws)] {
        assert_eq!(f.app.call(&other, "GET", &path, None).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(f.app.call(&other, "GET", &format!("/workspaces/{ws2}/media/{id}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.app.call(&other, "DELETE", &format!("/workspaces/{}/media/{id}", f.ws), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(media_rows(&f.app).await, 1);
}

/// Makes every insert into media_assets fail, as a database refusing the row would.
async fn break_inserts(app: &TestApp, on: bool) {
    let db = app.db.superuser().await;
    if on {
        db.batch_execute(
            "create function public.refuse_media() returns trigger language plpgsql as $$
             begin raise exception 'injected failure'; end $$;
             create trigger media_assets_refuse before insert on postiz.media_assets
               for each row execute function public.refuse_media();",
        )
        .await
        .unwrap();
    } else {
        db.batch_execute("drop trigger media_assets_refuse on postiz.media_assets; drop function public.refuse_media();").await.unwrap();
    }
}

#[tokio::test]
async fn when_the_row_cannot_be_written_the_stored_bytes_are_removed_again() {
    let f = fixture().await;
    break_inserts(&f.app, true).await;
    let a = upload(&f, &f.owner, "a.png", "image/png", &png(30, 20)).await;
    assert!(a.status.is_client_error() || a.status.is_server_error(), "{}", a.body);
    assert_eq!(media_rows(&f.app).await, 0);
    assert!(objects(f.dir.path()).is_empty(), "original and thumbnail removed: {:?}", objects(f.dir.path()));

    // A resumable upload: the assembled file goes, the chunks stay so that completing can be retried.
    let video = mp4(30_000);
    let s = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads", f.ws), Some(json!({"total_bytes": video.len()}))).await;
    let id = s.body["id"].as_str().unwrap().to_owned();
    assert_eq!(put_chunk(&f, &id, &video, 0, video.len()).await.status, StatusCode::OK);
    let c = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads/{id}/complete", f.ws), None).await;
    assert!(!c.status.is_success(), "{}", c.body);
    assert_eq!(objects(f.dir.path()), vec![format!("{}/uploads/{id}/{:020}", f.ws, 0)]);
    break_inserts(&f.app, false).await;
    let c = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads/{id}/complete", f.ws), None).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let media_id = c.body["id"].as_str().unwrap();
    assert_eq!(objects(f.dir.path()), vec![format!("{}/{media_id}/original.mp4", f.ws)]);
}

async fn import(f: &Fixture, actor: &Actor, url: &str) -> Answer {
    f.app.call(actor, "POST", &format!("/workspaces/{}/media/from-url", f.ws), Some(json!({ "url": url }))).await
}

fn refusal(a: &Answer) -> (StatusCode, &str, &str) {
    (a.status, field(&a.body), a.body["error"]["message"].as_str().unwrap_or_default())
}

#[tokio::test]
async fn an_image_at_a_url_is_imported_like_an_upload_and_a_redirect_to_it_gives_the_same_asset() {
    use wiremock::matchers::{header_regex, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let f = fixture_reaching(limits(), &["127.0.0.1/32"]).await;
    let server = MockServer::start().await;
    let bytes = png(120, 80);
    // The server calls it text; the bytes are PNG, and the bytes win.
    Mock::given(method("GET"))
        .and(path("/photos/a.png"))
        .and(header_regex("user-agent", "^postiz-module/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(bytes.clone(), "text/plain"))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/short/x"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{}/photos/a.png", server.uri())))
        .expect(1)
        .mount(&server)
        .await;

    let a = import(&f, &f.owner, &format!("{}/photos/a.png", server.uri())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["mime_type"], "image/png");
    assert_eq!((a.body["width"].as_i64(), a.body["height"].as_i64()), (Some(120), Some(80)));
    assert_eq!(a.body["has_thumbnail"], true);
    assert_eq!(a.body["name"], "a.png", "the URL's last segment");
    let id = a.body["id"].as_str().unwrap().to_owned();
    assert_eq!(objects(f.dir.path()), vec![format!("{}/{id}/original.png", f.ws), format!("{}/{id}/thumbnail.jpg", f.ws)]);
    let (status, _, content) = raw(&f.app, &f.owner, "GET", &format!("/workspaces/{}/media/{id}/content", f.ws), &[], vec![]).await;
    assert_eq!((status, content), (StatusCode::OK, bytes));

    let again = import(&f, &f.owner, &format!("{}/short/x", server.uri())).await;
    assert_eq!(again.status, StatusCode::OK, "the same bytes again: {}", again.body);
    assert_eq!(again.body["id"], id.as_str());
    assert_eq!(media_rows(&f.app).await, 1);
    assert_eq!(objects(f.dir.path()).len(), 2, "nothing new stored");
}

#[tokio::test]
async fn addresses_of_our_own_network_are_refused_before_any_request_and_nothing_is_stored() {
    let f = fixture().await;
    let server = wiremock::MockServer::start().await;
    let port = server.address().port();
    for (url, says) in [
        (format!("http://127.0.0.1:{port}/a.png"), "127.0.0.1"),
        (format!("http://localhost:{port}/a.png"), "url: names localhost, which resolves to"),
        (format!("http://[::1]:{port}/a.png"), "::1"),
        (format!("http://[::ffff:127.0.0.1]:{port}/a.png"), "private or reserved"),
        (format!("http://2130706433:{port}/a.png"), "127.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/".to_owned(), "169.254.169.254"),
        ("http://10.0.0.1/a.png".to_owned(), "10.0.0.1"),
        ("file:///etc/passwd".to_owned(), "http or https"),
        ("not a url".to_owned(), "is not a URL"),
    ] {
        let a = import(&f, &f.owner, &url).await;
        let (status, field, message) = refusal(&a);
        assert_eq!((status, field), (StatusCode::UNPROCESSABLE_ENTITY, "url"), "{url}: {}", a.body);
        assert!(message.contains(says), "{url}: {message}");
    }
    assert!(server.received_requests().await.unwrap().is_empty(), "no request reached the local server");
    assert_eq!(media_rows(&f.app).await, 0);
    assert!(objects(f.dir.path()).is_empty());
}

#[tokio::test]
async fn redirects_into_our_own_network_or_in_circles_are_refused() {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    // Only 127.0.0.1 is opened: other loopback addresses and the metadata service stay closed.
    let f = fixture_reaching(limits(), &["127.0.0.1/32"]).await;
    let server = MockServer::start().await;
    let port = server.address().port();
    let redirect = |to: String| ResponseTemplate::new(302).insert_header("location", to);
    Mock::given(path("/to-metadata")).respond_with(redirect("http://169.254.169.254/latest/meta-data/".into())).mount(&server).await;
    Mock::given(path("/to-loopback")).respond_with(redirect(format!("http://127.0.0.2:{port}/a.png"))).mount(&server).await;
    Mock::given(path("/to-file")).respond_with(redirect("file:///etc/passwd".into())).mount(&server).await;
    Mock::given(path("/loop")).respond_with(redirect(format!("{}/loop", server.uri()))).mount(&server).await;
    for (from, says) in [
        ("/to-metadata", "169.254.169.254"),
        ("/to-loopback", "127.0.0.2"),
        ("/to-file", "file:///etc/passwd, which cannot be followed"),
        ("/loop", "more than 5 times"),
    ] {
        let a = import(&f, &f.owner, &format!("{}{from}", server.uri())).await;
        let (status, field, message) = refusal(&a);
        assert_eq!((status, field), (StatusCode::UNPROCESSABLE_ENTITY, "url"), "{from}: {}", a.body);
        assert!(message.contains("redirects") && message.contains(says), "{from}: {message}");
    }
    let loops = server.received_requests().await.unwrap().iter().filter(|r| r.url.path() == "/loop").count();
    assert_eq!(loops, 6, "the first request and five redirects, then no more");
    assert_eq!(media_rows(&f.app).await, 0);
}

#[tokio::test]
async fn errors_wrong_types_oversized_and_slow_servers_are_refused_naming_the_url() {
    use wiremock::matchers::path;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let f = fixture_reaching(MediaLimits { fetch_timeout: Duration::from_secs(1), ..limits() }, &["127.0.0.1/32"]).await;
    let server = MockServer::start().await;
    Mock::given(path("/gone.png")).respond_with(ResponseTemplate::new(404)).mount(&server).await;
    Mock::given(path("/page.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>not an image</html>", "image/png"))
        .mount(&server)
        .await;
    let huge = vec![0x89u8; (limits().max_upload_bytes + 1) as usize];
    Mock::given(path("/huge.png")).respond_with(ResponseTemplate::new(200).set_body_raw(huge, "image/png")).mount(&server).await;
    Mock::given(path("/broken.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(png(40, 40)[..200].to_vec(), "image/png"))
        .mount(&server)
        .await;
    Mock::given(path("/slow.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(png(10, 10), "image/png").set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for (url, status, says) in [
        (format!("{}/gone.png", server.uri()), StatusCode::UNPROCESSABLE_ENTITY, "answered HTTP 404"),
        (format!("{}/page.png", server.uri()), StatusCode::UNSUPPORTED_MEDIA_TYPE, "judged from its content"),
        (format!("{}/huge.png", server.uri()), StatusCode::PAYLOAD_TOO_LARGE, "larger than 2097152 bytes"),
        (format!("{}/broken.png", server.uri()), StatusCode::UNPROCESSABLE_ENTITY, ""),
        (format!("{}/slow.png", server.uri()), StatusCode::UNPROCESSABLE_ENTITY, "did not answer within 1 s"),
        (format!("http://127.0.0.1:{closed}/a.png"), StatusCode::UNPROCESSABLE_ENTITY, "could not be fetched"),
    ] {
        let a = import(&f, &f.owner, &url).await;
        let (got, field, message) = refusal(&a);
        assert_eq!((got, field), (status, "url"), "{url}: {}", a.body);
        assert!(message.starts_with("url: ") && message.contains(says), "{url}: {message}");
    }
    assert_eq!(media_rows(&f.app).await, 0);
    assert!(objects(f.dir.path()).is_empty());
}

#[tokio::test]
async fn viewers_cannot_import_and_no_request_leaves() {
    let f = fixture_reaching(limits(), &["127.0.0.1/32"]).await;
    let server = wiremock::MockServer::start().await;
    let viewer = f.app.actor("viewer@example.com").await;
    f.app.add_member(f.ws, &viewer, "viewer").await;
    let a = import(&f, &viewer, &format!("{}/a.png", server.uri())).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_eq!(media_rows(&f.app).await, 0);
}

#[tokio::test]
async fn deleting_the_workspace_removes_its_media_objects_and_no_one_elses() {
    let f = fixture().await;
    let a = upload(&f, &f.owner, "a.png", "image/png", &png(30, 30)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let video = mp4(100_000);
    let started =
        f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads", f.ws), Some(json!({"total_bytes": video.len()}))).await;
    let upload_id = started.body["id"].as_str().unwrap().to_owned();
    let chunk = put_chunk(&f, &upload_id, &video[..65_536], 0, video.len()).await;
    assert_eq!(chunk.status, StatusCode::OK, "{}", chunk.body);
    // Another workspace of the same store keeps its media.
    let other = f.app.workspace(&f.owner, "other", "Europe/Berlin").await;
    let body = multipart(&[("file", "b.png", "image/png", &png(20, 20))]);
    let headers = [("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))];
    let (status, _, _) = raw(&f.app, &f.owner, "POST", &format!("/workspaces/{other}/media"), &headers, body).await;
    assert_eq!(status, StatusCode::CREATED);
    let mine = objects(f.dir.path()).iter().filter(|p| p.starts_with(&f.ws.to_string())).count();
    assert_eq!(mine, 3, "original, thumbnail, one chunk: {:?}", objects(f.dir.path()));

    let gone = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}", f.ws), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    let left = objects(f.dir.path());
    assert!(left.iter().all(|p| !p.starts_with(&f.ws.to_string())), "{left:?}");
    assert_eq!(
        left.iter().filter(|p| p.starts_with(&other.to_string())).count(),
        2,
        "the other workspace keeps its original and thumbnail"
    );
    assert_eq!(media_rows(&f.app).await, 1);
}

/// Stores a variant of `media` as the worker does: object first, then the row (service role).
async fn stored_variant(f: &Fixture, media: &str, profile: &str) -> String {
    let media: Uuid = media.parse().unwrap();
    let path = format!("{}/{media}/variant-{profile}.jpg", f.ws);
    let file = f.dir.path().join(&path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"variant bytes").unwrap();
    let db = f.app.db.superuser().await;
    db.batch_execute("set role service_role").await.unwrap();
    db.execute(
        "insert into postiz.media_variants (workspace_id, media_id, profile, path, mime_type, bytes, width, height, sha256)
         values ($1, $2, $3, $4, 'image/jpeg', 13, 20, 15, sha256('variant bytes'))",
        &[&f.ws, &media, &profile, &path],
    )
    .await
    .unwrap();
    path
}

#[tokio::test]
async fn variants_are_read_by_members_written_by_the_worker_only_and_deleted_with_their_asset() {
    let f = fixture().await;
    let a = upload(&f, &f.owner, "a.png", "image/png", &png(40, 30)).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let variant = stored_variant(&f, &id, "bluesky-refuse-0123abcd").await;

    // Members see it beside the asset; another workspace's user sees nothing.
    let got = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["variants"][0]["profile"], "bluesky-refuse-0123abcd", "{}", got.body);
    let other = f.app.actor("other@example.com").await;
    let db = f.app.db.superuser().await;
    db.batch_execute(&format!(
        "set role authenticated; select set_config('request.jwt.claims', '{{\"sub\":\"{}\",\"role\":\"authenticated\"}}', false)",
        other.user.id
    ))
    .await
    .unwrap();
    assert_eq!(db.query_one("select count(*) from postiz.media_variants", &[]).await.unwrap().get::<_, i64>(0), 0, "RLS hides it");
    // Authenticated users cannot write variants, even in their own workspace.
    db.batch_execute(&format!(
        "select set_config('request.jwt.claims', '{{\"sub\":\"{}\",\"role\":\"authenticated\"}}', false)",
        f.owner.user.id
    ))
    .await
    .unwrap();
    assert_eq!(db.query_one("select count(*) from postiz.media_variants", &[]).await.unwrap().get::<_, i64>(0), 1, "the owner reads it");
    let denied = db
        .execute("delete from postiz.media_variants where media_id = $1::text::uuid", &[&id])
        .await
        .expect_err("no delete grant for authenticated");
    let message = denied.as_db_error().map(|e| e.message().to_owned()).unwrap_or_default();
    assert_eq!(message, "permission denied for table media_variants", "{denied:?}");

    // Deleting the asset removes the variant's row and its object.
    let d = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT, "{}", d.body);
    assert_eq!(f.app.count("select count(*) from postiz.media_variants").await, 0);
    assert!(!objects(f.dir.path()).contains(&variant), "the variant's object is gone too");
    assert!(objects(f.dir.path()).is_empty(), "{:?}", objects(f.dir.path()));
}
