//! The worker hands each network its variant of a library file: a 5 MB photo reaches Bluesky's
//! uploadBlob under 1,000,000 bytes as JPEG, the variant is stored once and reused by the next
//! post, a file no transform can fix fails the target at once naming the file and the post, and
//! variants go with their asset.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use postiz_media::samples;
use postiz_providers::bluesky::BlueskyProvider;
use postiz_providers::sandbox::SandboxProvider;
use postiz_providers::{HttpClient, HttpSettings, Registry};
use postiz_vault::{Binding, Field};
use secrecy::SecretString;
use support::{Fixture, all_jobs_final};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIMIT: Duration = Duration::from_secs(60);

/// A connected account on `network` with an encrypted token.
async fn account_on(f: &Fixture, network: &str, handle: &str) -> Uuid {
    let id: Uuid = f
        .admin
        .query_one(
            "insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
             values ($1, $2, $3, $3, $3) returning id",
            &[&f.workspace, &network, &handle],
        )
        .await
        .unwrap()
        .get(0);
    let sealed = f.keyring.encrypt(
        &SecretString::from(format!("token-{handle}")),
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

/// A library file holding `bytes`, as the API stores one.
async fn asset(f: &Fixture, name: &str, mime: &str, bytes: Vec<u8>) -> Uuid {
    let id = Uuid::new_v4();
    let ext = name.rsplit('.').next().unwrap_or("bin");
    let object = format!("{}/{id}/original.{ext}", f.workspace);
    let len = bytes.len() as i64;
    f.media.put(&object, bytes::Bytes::from(bytes)).await.unwrap();
    f.admin
        .execute(
            "insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256, name)
             values ($1, $2, $3, $4, $5, sha256(convert_to($3, 'UTF8')), $6)",
            &[&id, &f.workspace, &object, &mime, &len, &name],
        )
        .await
        .unwrap();
    id
}

async fn attach(f: &Fixture, post: Uuid, media: Uuid) {
    f.admin
        .execute("insert into postiz.post_media (workspace_id, post_id, media_id) values ($1, $2, $3)", &[&f.workspace, &post, &media])
        .await
        .unwrap();
}

fn registry(f: &Fixture, pds: &MockServer) -> Arc<Registry> {
    let http = HttpClient::new(HttpSettings { request_timeout: Duration::from_secs(5), ..HttpSettings::for_tests() }).unwrap();
    let bluesky = BlueskyProvider::new(http.clone()).with_base_url(pds.uri().parse().unwrap());
    let sandbox = SandboxProvider::new(http, f.sandbox.url().parse().unwrap());
    Arc::new(Registry::new().with(Arc::new(bluesky)).with(Arc::new(sandbox)))
}

/// A PDS answering uploadBlob and createRecord as the lexicons describe.
async fn pds() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.uploadBlob"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "blob": {"$type": "blob", "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"}, "mimeType": "image/jpeg", "size": 1}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.createRecord"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "uri": "at://did:plc:olga/app.bsky.feed.post/3l2s5xxv2ze2c", "cid": "bafyreig2fjxi3rptqdgylg7e5hmjl6mcke7rn2b6cugzlqq3i4zu6rq52q"
        })))
        .mount(&server)
        .await;
    server
}

async fn uploaded_blobs(server: &MockServer) -> Vec<(String, Vec<u8>)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/xrpc/com.atproto.repo.uploadBlob")
        .map(|r| {
            let mime = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            (mime, r.body)
        })
        .collect()
}

#[tokio::test]
async fn a_five_megabyte_photo_reaches_bluesky_under_its_cap_and_its_variant_is_reused() {
    let f = Fixture::new().await;
    let server = pds().await;
    let bsky = account_on(&f, "bluesky", "olga.bsky.social").await;
    let photo = samples::jpeg(&samples::photo(3600, 2400), 97, Some(samples::exif(1, true)));
    assert!(photo.len() > 4_500_000, "a large photo: {} bytes", photo.len());
    let holiday = asset(&f, "holiday.jpg", "image/jpeg", photo).await;
    let (post, _) = f.schedule_once("Holiday", &[bsky], Utc::now()).await;
    attach(&f, post, holiday).await;

    f.run_with(registry(&f, &server), LIMIT, all_jobs_final).await;
    assert_eq!(f.target_status(post).await, ["published"]);
    let blobs = uploaded_blobs(&server).await;
    assert_eq!(blobs.len(), 1);
    let (mime, body) = &blobs[0];
    assert_eq!(mime, "image/jpeg");
    assert!(body.len() <= 1_000_000, "under Bluesky's blob maxSize: {} bytes", body.len());
    assert!(body.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG");
    assert!(!body.windows(6).any(|w| w == b"Exif\0\0"), "GPS and all EXIF gone");

    let variant = f
        .admin
        .query_one(
            "select profile, path, mime_type, bytes, sha256 = sha256($3::bytea) from postiz.media_variants where workspace_id = $1 and media_id = $2",
            &[&f.workspace, &holiday, body],
        )
        .await
        .unwrap();
    assert!(variant.get::<_, String>(0).starts_with("bluesky-refuse-"));
    let object: String = variant.get(1);
    assert!(object.starts_with(&format!("{}/{holiday}/variant-bluesky-refuse-", f.workspace)), "beside the original: {object}");
    assert_eq!(variant.get::<_, String>(2), "image/jpeg");
    assert_eq!(variant.get::<_, i64>(3), body.len() as i64);
    assert!(variant.get::<_, bool>(4), "the row's hash is of the bytes sent");
    assert_eq!(f.media.read(&object).await.unwrap().as_ref(), body.as_slice(), "the object holds them");

    // The next post with the same file reuses the variant: same bytes, still one row.
    let (again, _) = f.schedule_once("Holiday, again", &[bsky], Utc::now()).await;
    attach(&f, again, holiday).await;
    f.run_with(registry(&f, &server), LIMIT, all_jobs_final).await;
    assert_eq!(f.target_status(again).await, ["published"]);
    let blobs = uploaded_blobs(&server).await;
    assert_eq!(blobs.len(), 2);
    assert_eq!(blobs[1].1, blobs[0].1, "the stored variant, not a new transform");
    assert_eq!(f.count("select count(*) from postiz.media_variants").await, 1);

    // A removed asset takes its variants with it.
    f.admin.execute("delete from postiz.post_media where media_id = $1", &[&holiday]).await.unwrap();
    f.admin.execute("delete from postiz.media_assets where id = $1", &[&holiday]).await.unwrap();
    assert_eq!(f.count("select count(*) from postiz.media_variants").await, 0);
}

#[tokio::test]
async fn a_file_no_transform_can_fix_fails_the_target_at_once_naming_the_file_and_the_post() {
    let f = Fixture::new().await;
    let server = pds().await;
    let sandbox = account_on(&f, "sandbox", "olga").await;
    let heic = asset(&f, "IMG_0042.HEIC", "image/heic", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0".to_vec()).await;
    let (post, _) = f.schedule_once("Sunset at the pier", &[sandbox], Utc::now()).await;
    attach(&f, post, heic).await;

    f.run_with(registry(&f, &server), LIMIT, all_jobs_final).await;
    assert_eq!(f.target_status(post).await, ["failed"]);
    let row = f
        .admin
        .query_one(
            "select q.last_error_code, q.last_error_message, q.attempt from postiz.queue_jobs q
               join postiz.post_targets t on t.id = q.target_id where t.post_id = $1",
            &[&post],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "media_heic");
    let message: String = row.get(1);
    assert!(
        message.starts_with("Sandbox cannot take a file of the post “Sunset at the pier”: “IMG_0042.HEIC” is a HEIC/HEIF photo"),
        "{message}"
    );
    assert_eq!(row.get::<_, i32>(2), 1, "not retried");
    assert!(f.sandbox.posts().posts.is_empty(), "nothing sent");
    assert_eq!(f.count("select count(*) from postiz.media_variants").await, 0, "nothing stored");
}
