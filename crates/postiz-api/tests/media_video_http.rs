//! Videos over HTTP against real PostgreSQL and a local object store: movies made in the test
//! by Debian's `ffmpeg` (`testsrc`, with and without a `sine` sound track) get their codecs, frame
//! rate, sound and a poster frame; a truncated copy and a sound-only movie are refused naming
//! `file` and leave nothing behind. The library's alt text: edited, refused naming `alt_text`,
//! and used by posts that attach the asset without their own.
//!
//! `cargo xtask test` installs ffmpeg; run alone, these tests need `apt-get install ffmpeg`.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
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
        max_upload_bytes: 8 * 1024 * 1024,
        max_image_bytes: 1024 * 1024,
        max_video_bytes: 8 * 1024 * 1024,
        max_chunk_bytes: 64 * 1024,
        max_image_side: 4000,
        max_image_pixels: postiz_api::routes::media_probe::MAX_IMAGE_PIXELS,
        thumbnail_side: 64,
        upload_ttl: Duration::from_secs(3600),
        fetch_timeout: Duration::from_secs(2),
    }
}

async fn fixture() -> Fixture {
    let mut app = TestApp::new().await;
    let dir = tempfile::tempdir().unwrap();
    let storage = MediaStorage::local(dir.path()).unwrap();
    let limits = limits();
    let fetcher = RemoteFetcher::new(limits.fetch_timeout, Vec::new()).unwrap();
    app.router = app.router.layer(axum::Extension(Arc::new(MediaState { storage, limits, fetcher })));
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    Fixture { app, dir, owner, ws }
}

/// Runs ffmpeg with `args` writing an MP4 in a scratch directory, and returns the file's bytes.
fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("out.mp4");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(&path)
        .status()
        .unwrap_or_else(|e| panic!("ffmpeg could not run ({e}): `cargo xtask test` installs it, or apt-get install ffmpeg"));
    assert!(status.success(), "ffmpeg failed: {status}");
    std::fs::read(path).unwrap()
}

/// `seconds` of a 320x240 test pattern at 25 fps in H.264, with a 440 Hz AAC tone when `sound`.
fn movie(seconds: u32, sound: bool) -> Vec<u8> {
    let picture = format!("testsrc=size=320x240:rate=25:duration={seconds}");
    let tone = format!("sine=frequency=440:duration={seconds}");
    let mut args = vec!["-f", "lavfi", "-i", &picture];
    if sound {
        args.extend(["-f", "lavfi", "-i", &tone, "-c:a", "aac"]);
    }
    args.extend(["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]);
    ffmpeg(&args)
}

const BOUNDARY: &str = "postiz-video-test-boundary";

async fn raw(app: &TestApp, actor: &Actor, method: &str, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> (StatusCode, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(format!("{BASE}{path}")).header("authorization", format!("Bearer {}", actor.token));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let res = app.router.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts.status, body.collect().await.unwrap().to_bytes().to_vec())
}

async fn upload(f: &Fixture, filename: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let headers = [("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))];
    let (status, body) = raw(&f.app, &f.owner, "POST", &format!("/workspaces/{}/media", f.ws), &headers, body).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
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

/// The poster at `…/thumbnail`: a JPEG fitting the 64 px square, with the pattern's 4:3 shape.
async fn assert_poster(f: &Fixture, id: &str) {
    let (status, jpeg) = raw(&f.app, &f.owner, "GET", &format!("/workspaces/{}/media/{id}/thumbnail", f.ws), &[], vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let poster = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg).expect("the poster is a JPEG");
    assert_eq!((poster.width(), poster.height()), (64, 48), "fits the thumbnail side, aspect kept");
    // testsrc is colourful: a decoded frame, not a black or blank picture.
    let rgb = poster.to_rgb8();
    let distinct: std::collections::HashSet<[u8; 3]> = rgb.pixels().map(|p| p.0.map(|c| c / 32)).collect();
    assert!(distinct.len() > 8, "a real frame has many colours, this one {}", distinct.len());
}

#[tokio::test]
async fn a_movie_with_sound_gets_its_codecs_frame_rate_and_a_poster_frame() {
    let f = fixture().await;
    let bytes = movie(2, true);
    let (status, body) = upload(&f, "launch teaser.mp4", &bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["kind"], "video");
    assert_eq!(body["video_codec"], "avc1");
    assert_eq!(body["audio_codec"], "mp4a");
    assert_eq!(body["has_audio"], true);
    assert_eq!(body["frame_rate"], 25.0);
    assert_eq!((body["width"].as_i64(), body["height"].as_i64()), (Some(320), Some(240)));
    let ms = body["duration_ms"].as_i64().unwrap();
    assert!((1900..=2200).contains(&ms), "about two seconds: {ms}");
    assert_eq!(body["has_thumbnail"], true);
    let id = body["id"].as_str().unwrap();
    assert_eq!(objects(f.dir.path()), vec![format!("{}/{id}/original.mp4", f.ws), format!("{}/{id}/poster.jpg", f.ws)]);
    assert_poster(&f, id).await;
    // The facts are stored, not only answered.
    let listed = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media", f.ws), None).await;
    assert_eq!(listed.body["items"][0]["video_codec"], "avc1");
    assert_eq!(listed.body["items"][0]["frame_rate"], 25.0);

    // Deleting the asset removes the poster with the original.
    let d = f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/media/{id}", f.ws), None).await;
    assert_eq!(d.status, StatusCode::NO_CONTENT);
    assert!(objects(f.dir.path()).is_empty(), "{:?}", objects(f.dir.path()));
}

#[tokio::test]
async fn a_silent_movie_has_no_audio_codec() {
    let f = fixture().await;
    let bytes = movie(1, false);
    let (status, body) = upload(&f, "silent.mp4", &bytes).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["has_audio"], false);
    assert_eq!(body["audio_codec"], Value::Null);
    assert_eq!(body["video_codec"], "avc1");
}

#[tokio::test]
async fn a_truncated_movie_and_a_sound_only_one_are_refused_naming_the_file_and_nothing_is_stored() {
    let f = fixture().await;
    let bytes = movie(1, true);
    let sound = ffmpeg(&["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac"]);
    let cut = &bytes[..bytes.len() * 2 / 3];
    let (status, body) = upload(&f, "cut.mp4", cut).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "file");
    assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("truncated"), "{body}");

    let (status, body) = upload(&f, "tone.mp4", &sound).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "file");
    assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains("no video track"), "{body}");

    assert_eq!(f.app.count("select count(*) from postiz.media_assets").await, 0);
    assert!(objects(f.dir.path()).is_empty(), "{:?}", objects(f.dir.path()));
}

#[tokio::test]
async fn a_resumable_upload_of_a_movie_gets_its_poster_too() {
    let f = fixture().await;
    let video = movie(3, true);
    let total = video.len();
    let s = f
        .app
        .call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads", f.ws), Some(json!({"total_bytes": total, "name": "big.mp4"})))
        .await;
    assert_eq!(s.status, StatusCode::CREATED, "{}", s.body);
    let id = s.body["id"].as_str().unwrap().to_owned();
    let chunk = 64 * 1024;
    let mut at = 0;
    while at < total {
        let end = (at + chunk).min(total);
        let range = [("content-range", format!("bytes {at}-{}/{total}", end - 1))];
        let (status, body) =
            raw(&f.app, &f.owner, "PUT", &format!("/workspaces/{}/media/uploads/{id}", f.ws), &range, video[at..end].to_vec()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        at = end;
    }
    let c = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/media/uploads/{id}/complete", f.ws), None).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    assert_eq!(c.body["video_codec"], "avc1");
    assert_eq!(c.body["has_audio"], true);
    assert_eq!(c.body["has_thumbnail"], true);
    let media_id = c.body["id"].as_str().unwrap();
    assert_eq!(objects(f.dir.path()), vec![format!("{}/{media_id}/original.mp4", f.ws), format!("{}/{media_id}/poster.jpg", f.ws)]);
    assert_poster(&f, media_id).await;
}

/// `seconds` of a flat colour at 64x64, 24 fps: long movies stay small and quick to make.
fn long_movie(seconds: u32) -> Vec<u8> {
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("color=c=0x3366cc:size=64x64:rate=24:duration={seconds}"),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    ])
}

fn fit<'a>(item: &'a Value, network: &str) -> &'a Value {
    item["fits"].as_array().unwrap().iter().find(|f| f["network"] == network).unwrap_or_else(|| panic!("no fit for {network}: {item}"))
}

#[tokio::test]
async fn the_library_says_which_networks_a_video_fits_and_scheduling_a_too_long_one_is_refused_naming_file_and_limit() {
    let f = fixture().await;
    let instagram = f.app.account(f.ws, "instagram", "brand").await;
    f.app.account(f.ws, "x", "brand_x").await;
    let (status, short) = upload(&f, "teaser.mp4", &movie(4, true)).await;
    assert_eq!(status, StatusCode::CREATED, "{short}");
    let (status, long) = upload(&f, "keynote.mp4", &long_movie(20 * 60)).await;
    assert_eq!(status, StatusCode::CREATED, "{long}");
    assert_eq!(long["duration_ms"], 1_200_000);

    let listed = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media", f.ws), None).await;
    let items = listed.body["items"].as_array().unwrap();
    let (keynote, teaser) = (&items[0], &items[1]);
    assert_eq!(keynote["name"], "keynote.mp4");
    // Only the networks the workspace has accounts on.
    let networks: Vec<&str> = teaser["fits"].as_array().unwrap().iter().map(|f| f["network"].as_str().unwrap()).collect();
    assert_eq!(networks, ["x", "instagram"]);
    assert_eq!(fit(teaser, "instagram")["ok"], true, "{teaser}");
    assert_eq!(fit(teaser, "x")["ok"], true, "{teaser}");
    let ig = fit(keynote, "instagram");
    assert_eq!(ig["ok"], false);
    assert_eq!(ig["label"], "Instagram");
    assert_eq!(ig["reasons"], json!(["Instagram allows videos up to 15 min (maximum duration); “keynote.mp4” is 20 min: trim it"]));
    assert_eq!(fit(keynote, "x")["reasons"][0], "X allows videos up to 2 min 20 s (maximum duration); “keynote.mp4” is 20 min: trim it");
    // The single-asset answer carries the same.
    let one = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media/{}", f.ws, keynote["id"].as_str().unwrap()), None).await;
    assert_eq!(fit(&one.body, "instagram")["ok"], false);

    // Scheduling the long one to Instagram is refused before anything is written.
    let when = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let posts_before = f.app.count("select count(*) from postiz.posts").await;
    let a = f
        .app
        .call(
            &f.owner,
            "POST",
            &format!("/workspaces/{}/posts", f.ws),
            Some(json!({
                "content": "The whole keynote",
                "status": "scheduled",
                "targets": [instagram],
                "media": [{"id": keynote["id"], "alt": "Our founder on stage"}],
                "schedule": {"kind": "once", "at": when}
            })),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let fields = a.body["error"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{}", a.body);
    assert_eq!(fields[0]["field"], "variants.instagram.media[0]");
    assert_eq!(fields[0]["message"], "Instagram allows videos up to 15 min (maximum duration); “keynote.mp4” is 20 min: trim it");
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, posts_before);
    // The short one schedules.
    let ok = f
        .app
        .call(
            &f.owner,
            "POST",
            &format!("/workspaces/{}/posts", f.ws),
            Some(json!({"content": "Teaser", "status": "scheduled", "targets": [instagram], "media": [{"id": teaser["id"]}], "schedule": {"kind": "once", "at": when}})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
}

#[tokio::test]
async fn alt_text_is_edited_in_the_library_refused_naming_the_field_and_counted_against_each_network() {
    let f = fixture().await;
    f.app.account(f.ws, "x", "brand_x").await;
    let (status, asset) = upload(&f, "clip.mp4", &movie(1, false)).await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    let path = format!("/workspaces/{}/media/{}", f.ws, asset["id"].as_str().unwrap());

    let a = f.app.call(&f.owner, "PATCH", &path, Some(json!({"alt_text": "  A test pattern with a moving counter  "}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["alt_text"], "A test pattern with a moving counter", "trimmed");
    let listed = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media", f.ws), None).await;
    assert_eq!(listed.body["items"][0]["alt_text"], "A test pattern with a moving counter");

    // Within what we store but over X's 1,000: kept, and the library says X would refuse it.
    let long = "a".repeat(1200);
    let a = f.app.call(&f.owner, "PATCH", &path, Some(json!({"alt_text": long}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(fit(&a.body, "x")["reasons"], json!(["X allows alt text up to 1000 characters; this has 1200"]));

    let too_long = f.app.call(&f.owner, "PATCH", &path, Some(json!({"alt_text": "b".repeat(2001)}))).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", too_long.body);
    assert_eq!(too_long.body["error"]["fields"][0]["field"], "alt_text");
    assert_eq!(too_long.body["error"]["fields"][0]["message"], "may be at most 2000 characters; this has 2001");

    // Viewers read it but cannot change it.
    let viewer = f.app.actor("viewer@example.com").await;
    f.app.add_member(f.ws, &viewer, "viewer").await;
    let v = f.app.call(&viewer, "PATCH", &path, Some(json!({"alt_text": "vandalised"}))).await;
    assert_eq!(v.status, StatusCode::FORBIDDEN, "{}", v.body);

    // Empty clears it.
    let a = f.app.call(&f.owner, "PATCH", &path, Some(json!({"alt_text": ""}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["alt_text"], Value::Null);
    assert_eq!(f.app.count("select count(*) from postiz.media_assets where alt_text is not null").await, 0);
}

/// `seconds` of a flat colour at 90x160 (9:16), 24 fps.
fn story_movie(seconds: u32) -> Vec<u8> {
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("color=c=0xcc6633:size=90x160:rate=24:duration={seconds}"),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    ])
}

/// An Instagram story is checked against the story's limits at schedule time (a 70-second
/// video is refused naming the media and the one-minute limit; a 9:16 clip the feed would take
/// as a reel is fine), reels take one video only, and the post type is stored and read back.
#[tokio::test]
async fn instagram_stories_and_reels_are_checked_against_their_own_limits_when_scheduling() {
    let f = fixture().await;
    let instagram = f.app.account(f.ws, "instagram", "brand").await;
    let (status, long) = upload(&f, "behind-the-scenes.mp4", &story_movie(70)).await;
    assert_eq!(status, StatusCode::CREATED, "{long}");
    let (status, short) = upload(&f, "teaser.mp4", &story_movie(5)).await;
    assert_eq!(status, StatusCode::CREATED, "{short}");
    let when = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let post = |media: Value, post_type: &str, first_comment: Option<&str>| {
        json!({
            "content": "Today at the bakery",
            "status": "scheduled",
            "targets": [instagram],
            "media": media,
            "variants": {"instagram": {"settings": {"network": "instagram", "post_type": post_type}, "first_comment": first_comment}},
            "schedule": {"kind": "once", "at": when}
        })
    };
    let path = format!("/workspaces/{}/posts", f.ws);
    let posts_before = f.app.count("select count(*) from postiz.posts").await;

    // 70 s: fine for the feed (reels up to 15 min), too long for a story.
    let a = f.app.call(&f.owner, "POST", &path, Some(post(json!([long["id"]]), "story", None))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let fields = a.body["error"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{}", a.body);
    assert_eq!(fields[0]["field"], "variants.instagram.media[0]");
    assert_eq!(
        fields[0]["message"],
        "An Instagram story allows videos up to 1 min (maximum duration); “behind-the-scenes.mp4” is 1 min 10 s: trim it"
    );

    // Two files and a first comment: a story takes neither.
    let a = f.app.call(&f.owner, "POST", &path, Some(post(json!([short["id"], long["id"]]), "story", Some("first!")))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let named: Vec<&str> = a.body["error"]["fields"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(named.contains(&"variants.instagram.media"), "{}", a.body);
    assert!(named.contains(&"variants.instagram.first_comment"), "{}", a.body);

    // An unknown post type is refused naming the settings.
    let a = f.app.call(&f.owner, "POST", &path, Some(post(json!([short["id"]]), "igtv", None))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["field"], "variants.instagram.settings", "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["message"], "unknown variant `igtv`, expected one of `feed`, `reel`, `story`");
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, posts_before, "nothing written on a refusal");

    // The 5-second 9:16 clip schedules as a story and reads back with its post type.
    let ok = f.app.call(&f.owner, "POST", &path, Some(post(json!([short["id"]]), "story", None))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let read = f.app.call(&f.owner, "GET", &format!("{path}/{}", ok.body["id"].as_str().unwrap()), None).await;
    assert_eq!(read.body["variants"]["instagram"]["settings"], json!({"network": "instagram", "post_type": "story"}));

    // A reel of two videos is refused on the post type; one video is a reel.
    let a = f.app.call(&f.owner, "POST", &path, Some(post(json!([short["id"], long["id"]]), "reel", None))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["field"], "variants.instagram.settings.post_type", "{}", a.body);
    let ok = f.app.call(&f.owner, "POST", &path, Some(post(json!([long["id"]]), "reel", None))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
}

/// A post sets its own alt text per attached file, the main post's and each thread reply's:
/// stored with the post (`post_media.alt_text`, `thread_items[].media_alt`), read back, refused
/// over the 2,000 we keep naming the item's `alt`, and over a network's own limit naming the file.
#[tokio::test]
async fn a_posts_own_alt_text_per_file_and_per_reply_is_stored_read_back_and_checked() {
    let f = fixture().await;
    let x = f.app.account(f.ws, "x", "brand_x").await;
    let (status, asset) = upload(&f, "clip.mp4", &movie(1, false)).await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    let id = asset["id"].as_str().unwrap().to_owned();
    let path = format!("/workspaces/{}/posts", f.ws);
    let body = |main_alt: &str, reply_alt: &str| {
        json!({
            "content": "Launch day",
            "targets": [x],
            "media": [{"id": id, "alt": main_alt}],
            "variants": {"x": {"thread": [{"text": "And the clip again", "media": [{"id": id, "alt": reply_alt}]}, {"text": "Library alt", "media": [id]}]}}
        })
    };

    let a = f.app.call(&f.owner, "POST", &path, Some(body(&"m".repeat(2001), "fine"))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["field"], "media[0].alt", "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["message"], "may be at most 2000 characters; this has 2001");

    // Within what we keep but over X's 1,000, on the reply: named by the reply's file.
    let a = f.app.call(&f.owner, "POST", &path, Some(body("A counter ticking", &"r".repeat(1200)))).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let fields = a.body["error"]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{}", a.body);
    assert_eq!(fields[0]["field"], "variants.x.thread[0].media[0]");
    assert_eq!(fields[0]["message"], "X allows alt text up to 1000 characters; this has 1200");

    let ok = f.app.call(&f.owner, "POST", &path, Some(body("A counter ticking", "The same counter, for the reply"))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let post = ok.body["id"].as_str().unwrap();
    let read = f.app.call(&f.owner, "GET", &format!("{path}/{post}"), None).await;
    assert_eq!(read.body["media"][0]["alt"], "A counter ticking");
    let thread = &read.body["variants"]["x"]["thread"];
    assert_eq!(thread[0]["media"], json!([id]));
    assert_eq!(thread[0]["media_alt"], json!({id.clone(): "The same counter, for the reply"}));
    assert_eq!(thread[1]["media_alt"], json!({}), "the second reply keeps the library's");

    // An update that changes only the text keeps every alt text.
    let a = f.app.call(&f.owner, "PATCH", &format!("{path}/{post}"), Some(json!({"content": "Launch day!"}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["variants"]["x"]["thread"][0]["media_alt"], json!({id: "The same counter, for the reply"}));
}

/// A `w`x`h` PNG of one colour.
fn flat_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 120, 40]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// `aspect_fit` is set in the library (refused naming the field when it is not refuse, pad or
/// crop; alt text untouched), and both the library's fits and the schedule-time check honour it:
/// a 2:5 image refused for Instagram's feed while it is `refuse` fits and schedules once it is
/// `pad` (the worker sends a padded copy), and again with `crop`.
#[tokio::test]
async fn an_image_set_to_pad_or_crop_fits_and_schedules_where_its_aspect_would_be_refused() {
    let f = fixture().await;
    let instagram = f.app.account(f.ws, "instagram", "brand").await;
    let (status, asset) = upload(&f, "banner.png", &flat_png(400, 1000)).await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    let media = format!("/workspaces/{}/media/{}", f.ws, asset["id"].as_str().unwrap());
    let one = f.app.call(&f.owner, "GET", &media, None).await;
    assert_eq!(one.body["aspect_fit"], "refuse");
    let ig = fit(&one.body, "instagram");
    assert_eq!(ig["ok"], false, "{one:?}", one = one.body);
    assert!(ig["reasons"][0].as_str().unwrap().contains("width/height ratio"), "{ig}");

    let when = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let post = json!({"content": "Tall banner", "status": "scheduled", "targets": [instagram], "media": [asset["id"]], "schedule": {"kind": "once", "at": when}});
    let path = format!("/workspaces/{}/posts", f.ws);
    let a = f.app.call(&f.owner, "POST", &path, Some(post.clone())).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["fields"][0]["field"], "variants.instagram.media[0]");

    let a = f.app.call(&f.owner, "PATCH", &media, Some(json!({"alt_text": "An orange banner"}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let bad = f.app.call(&f.owner, "PATCH", &media, Some(json!({"aspect_fit": "stretch"}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["error"]["fields"][0]["field"], "aspect_fit");
    assert_eq!(bad.body["error"]["fields"][0]["message"], "must be refuse, pad or crop; got \"stretch\"");

    let padded = f.app.call(&f.owner, "PATCH", &media, Some(json!({"aspect_fit": "pad"}))).await;
    assert_eq!(padded.status, StatusCode::OK, "{}", padded.body);
    assert_eq!(padded.body["aspect_fit"], "pad");
    assert_eq!(padded.body["alt_text"], "An orange banner", "an aspect change leaves the alt text alone");
    assert_eq!(fit(&padded.body, "instagram")["ok"], true, "{}", padded.body);
    let a = f.app.call(&f.owner, "POST", &path, Some(post.clone())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);

    let cropped = f.app.call(&f.owner, "PATCH", &media, Some(json!({"aspect_fit": "crop"}))).await;
    assert_eq!(cropped.body["aspect_fit"], "crop");
    let listed = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/media", f.ws), None).await;
    assert_eq!(fit(&listed.body["items"][0], "instagram")["ok"], true);
    let a = f.app.call(&f.owner, "POST", &path, Some(post)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);

    // Viewers cannot change it.
    let viewer = f.app.actor("viewer-fit@example.com").await;
    f.app.add_member(f.ws, &viewer, "viewer").await;
    let denied = f.app.call(&viewer, "PATCH", &media, Some(json!({"aspect_fit": "refuse"}))).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "{}", denied.body);
}
