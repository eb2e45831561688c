//! Alt text written once in the media library reaches the network: a post that attaches the
//! asset without alt text of its own publishes with the library's, and a post's own alt text
//! wins over it, a thread reply's too. Checked at Bluesky's createRecord (wiremock, the lexicon's shapes), where the
//! alt text is `embed.images[].alt`.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use postiz_providers::bluesky::BlueskyProvider;
use postiz_providers::sandbox::SandboxProvider;
use postiz_providers::{HttpClient, HttpSettings, Registry};
use postiz_vault::{Binding, Field};
use secrecy::SecretString;
use serde_json::Value;
use support::{Fixture, all_jobs_final};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIMIT: Duration = Duration::from_secs(60);

/// A 4x4 RGB PNG.
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x04\x00\x00\x00\x04\x08\x02\x00\x00\x00\x26\x93\x09\x29\x00\x00\x00\x27\x49\x44\x41\x54\x78\x9c\x15\x89\xc1\x11\x00\x30\x10\x44\x14\xb6\x85\x29\x4c\x81\xc9\x79\x31\x00\x87\x62\x08\x73\xd3\xd9\x7e\x9c\x1c\xfd\x4d\xae\xd3\xf2\x01\x9a\xe3\x12\xc1\x5d\x82\x66\xc3\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

async fn bluesky_account(f: &Fixture, handle: &str) -> Uuid {
    let id: Uuid = f
        .admin
        .query_one(
            "insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
             values ($1, 'bluesky', $2, $2, $2) returning id",
            &[&f.workspace, &handle],
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

/// A PDS answering uploadBlob and createRecord as the lexicons describe.
async fn pds() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.repo.uploadBlob"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "blob": {"$type": "blob", "ref": {"$link": "bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy"}, "mimeType": "image/png", "size": 96}
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

/// The alt text of each image of each record created, in order.
async fn record_alts(server: &MockServer) -> Vec<Vec<String>> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/xrpc/com.atproto.repo.createRecord")
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            body["record"]["embed"]["images"]
                .as_array()
                .map(|images| images.iter().map(|i| i["alt"].as_str().unwrap_or_default().to_owned()).collect())
                .unwrap_or_default()
        })
        .collect()
}

/// A Bluesky registry against `server`, and the library asset every test attaches (a PNG with
/// the default alt text "Sixteen coloured dots in a square").
async fn setup(f: &Fixture, server: &MockServer) -> (Arc<Registry>, Uuid, Uuid) {
    let http = HttpClient::new(HttpSettings { request_timeout: Duration::from_secs(5), ..HttpSettings::for_tests() }).unwrap();
    let bluesky = BlueskyProvider::new(http.clone()).with_base_url(server.uri().parse().unwrap());
    let sandbox = SandboxProvider::new(http, f.sandbox.url().parse().unwrap());
    let registry = Arc::new(Registry::new().with(Arc::new(bluesky)).with(Arc::new(sandbox)));
    let account = bluesky_account(f, "olga.bsky.social").await;

    let asset = Uuid::new_v4();
    let object = format!("{}/{asset}/original.png", f.workspace);
    f.media.put(&object, bytes::Bytes::from_static(PNG)).await.unwrap();
    f.admin
        .execute(
            "insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256, width, height, name, alt_text)
             values ($1, $2, $3, 'image/png', 96, sha256('dots'), 4, 4, 'dots.png', 'Sixteen coloured dots in a square')",
            &[&asset, &f.workspace, &object],
        )
        .await
        .unwrap();
    (registry, account, asset)
}

/// A thread reply's own alt text for a file (`thread_items[].media_alt`, as the API stores it)
/// goes out with that reply; a reply that sets none sends the library's.
#[tokio::test]
async fn a_thread_replys_own_alt_text_wins_over_the_librarys() {
    let f = Fixture::new().await;
    let server = pds().await;
    let (registry, account, asset) = setup(&f, &server).await;
    let (post, _) = f.schedule_once("Dots, a thread", &[account], Utc::now()).await;
    let thread = serde_json::json!([
        {"text": "The first reply", "media_ids": [asset], "media_alt": {asset.to_string(): "The dots again, described for this reply"}},
        {"text": "The second reply", "media_ids": [asset]},
    ]);
    f.admin
        .execute(
            "insert into postiz.post_variants (workspace_id, post_id, network, thread_items) values ($1, $2, 'bluesky', $3)",
            &[&f.workspace, &post, &thread],
        )
        .await
        .unwrap();
    f.run_with(registry, LIMIT, all_jobs_final).await;
    assert_eq!(f.target_status(post).await, ["published"]);
    assert_eq!(
        record_alts(&server).await,
        vec![vec![], vec!["The dots again, described for this reply".to_owned()], vec!["Sixteen coloured dots in a square".to_owned()]]
    );
}

#[tokio::test]
async fn the_librarys_alt_text_reaches_bluesky_unless_the_post_has_its_own() {
    let f = Fixture::new().await;
    let server = pds().await;
    let (registry, account, asset) = setup(&f, &server).await;

    // Attached without alt text of its own: the library's goes out.
    let (first, _) = f.schedule_once("Dots", &[account], Utc::now()).await;
    f.admin
        .execute("insert into postiz.post_media (workspace_id, post_id, media_id) values ($1, $2, $3)", &[&f.workspace, &first, &asset])
        .await
        .unwrap();
    f.run_with(registry.clone(), LIMIT, all_jobs_final).await;
    assert_eq!(f.target_status(first).await, ["published"]);
    assert_eq!(record_alts(&server).await, vec![vec!["Sixteen coloured dots in a square".to_owned()]]);

    // With its own alt text: that one wins.
    let (second, _) = f.schedule_once("Dots again", &[account], Utc::now()).await;
    f.admin
        .execute(
            "insert into postiz.post_media (workspace_id, post_id, media_id, alt_text) values ($1, $2, $3, 'Dots, described for this post')",
            &[&f.workspace, &second, &asset],
        )
        .await
        .unwrap();
    f.run_with(registry, LIMIT, all_jobs_final).await;
    assert_eq!(f.target_status(second).await, ["published"]);
    assert_eq!(record_alts(&server).await[1], vec!["Dots, described for this post".to_owned()]);
}
