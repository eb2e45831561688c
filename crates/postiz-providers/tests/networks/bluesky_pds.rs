//! Bluesky against a real PDS (`@atproto/pds` from npm with an in-memory PLC directory, on
//! loopback; see `postiz_testkit::bluesky_pds`). Each test connects as the API does (handle and
//! app password, the user's server), publishes as the worker does (the stored access token and
//! account), and reads what the PDS stored back with an independent XRPC client.

use bytes::Bytes;
use postiz_domain::{AspectFit, MediaId, MediaKind, MediaRef, Network, PostVariant};
use postiz_providers::bluesky::BlueskyProvider;
use postiz_providers::rules::ContentRules;
use postiz_providers::{
    AccountRef, Credentials, FindQuery, Provider, ProviderError, PublishMedia, PublishRequest, PublishedItem, SecretString, TokenSet,
    validate,
};
use postiz_testkit::bluesky_pds::{BlueskyPds, PdsAccount};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use url::Url;

use crate::conformance::{client, thread};

const APP_PASSWORD_NAME: &str = "postiz";

/// An account on the shared PDS, connected through the adapter.
struct Connected {
    pds: &'static BlueskyPds,
    owner: PdsAccount,
    app_password: String,
    provider: BlueskyProvider,
    /// What the API stores and the worker hands back: `AccountRef` and the tokens.
    account: AccountRef,
    tokens: TokenSet,
}

fn server(pds: &BlueskyPds) -> Url {
    Url::parse(&pds.url).unwrap()
}

fn credentials(c: &Connected, password: &str) -> Credentials {
    Credentials { identifier: c.owner.handle.clone(), password: SecretString::from(password.to_owned()), server: Some(server(c.pds)) }
}

/// Creates `{name}.test` with an app password and connects it as `POST /connect/bluesky/credentials`
/// does: the adapter's default server stays bsky.social, the account's server is the PDS the
/// user typed (or the one its DID document names).
async fn connect(name: &str) -> Connected {
    let pds = BlueskyPds::shared().await;
    let owner = pds.create_account(name).await;
    let app_password = pds.create_app_password(&owner, APP_PASSWORD_NAME).await;
    let provider = BlueskyProvider::new(client());
    let typed = server(pds);
    let done = provider
        .login(&Credentials {
            identifier: owner.handle.clone(),
            password: SecretString::from(app_password.clone()),
            server: Some(typed.clone()),
        })
        .await
        .unwrap();
    assert_eq!(done.account.id, owner.did);
    assert_eq!(done.account.handle.as_deref(), Some(owner.handle.as_str()));
    let account =
        AccountRef { id: done.account.id.clone(), handle: done.account.handle.clone(), server: done.account.server.or(Some(typed)) };
    Connected { pds, owner, app_password, provider, account, tokens: done.tokens }
}

impl Connected {
    async fn publish(&self, post: &PublishRequest) -> Result<postiz_providers::RemotePost, ProviderError> {
        self.provider.publish(&self.tokens.access_token, &self.account, post).await
    }

    /// The stored record of `at_uri`, checked to be in this account's repository.
    async fn stored(&self, at_uri: &str) -> Value {
        assert!(at_uri.starts_with(&format!("at://{}/app.bsky.feed.post/", self.owner.did)), "{at_uri}");
        self.pds.get_record(at_uri).await.unwrap_or_else(|| panic!("{at_uri} is not on the PDS"))
    }
}

fn strong_ref(record: &Value) -> Value {
    json!({"uri": record["uri"], "cid": record["cid"]})
}

/// The text a facet's byte range covers.
fn covered(text: &str, facet: &Value) -> String {
    let (s, e) = (facet["index"]["byteStart"].as_u64().unwrap() as usize, facet["index"]["byteEnd"].as_u64().unwrap() as usize);
    String::from_utf8(text.as_bytes()[s..e].to_vec()).unwrap()
}

#[tokio::test]
async fn a_post_with_a_link_a_tag_and_a_mention_is_stored_with_utf8_byte_offsets() {
    let c = connect("pz-facets").await;
    let bob = c.pds.create_account("pz-facetbob").await;
    let text = "Café ✨ 🧑‍💻 ship it, @pz-facetbob.test! https://example.com/ä?q=1 #rustlang";
    let post = c.publish(&PublishRequest::text("pds-facets", text)).await.unwrap();
    let rkey = post.id.rsplit('/').next().unwrap();
    assert!(post.url.as_ref().unwrap().as_str().ends_with(&format!("/post/{rkey}")), "{:?}", post.url);

    let stored = c.stored(&post.id).await;
    assert_eq!(stored["cid"], json!(post.items[0].cid), "the cid we keep is the stored record's");
    let value = &stored["value"];
    assert_eq!(value["$type"], "app.bsky.feed.post");
    assert_eq!(value["text"], text);
    let facets = value["facets"].as_array().unwrap();
    let got: Vec<(String, Value)> = facets.iter().map(|f| (covered(text, f), f["features"][0].clone())).collect();
    assert_eq!(
        got,
        vec![
            ("@pz-facetbob.test".to_owned(), json!({"$type": "app.bsky.richtext.facet#mention", "did": bob.did})),
            ("https://example.com/ä?q=1".to_owned(), json!({"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/ä?q=1"})),
            ("#rustlang".to_owned(), json!({"$type": "app.bsky.richtext.facet#tag", "tag": "rustlang"})),
        ]
    );
    // A handle the PDS does not know stays plain text.
    let other = c.publish(&PublishRequest::text("pds-facets-2", "hello @nobody.test")).await.unwrap();
    assert!(c.stored(&other.id).await["value"].get("facets").is_none());
}

/// Publishes `full` as the worker does: one request per item, each with the items already live
/// (read back from their stored JSON, as `queue_jobs.published_items` keeps them) and only the
/// items up to this one (`worker/src/publish.rs`, `request_for`).
async fn publish_like_the_worker(c: &Connected, full: &PublishRequest, mut live: Vec<PublishedItem>) -> Vec<PublishedItem> {
    let n = full.items.len();
    let total = n + usize::from(full.first_comment.is_some());
    while live.len() < total {
        let index = live.len();
        let stored: Vec<PublishedItem> = serde_json::from_value(serde_json::to_value(&live).unwrap()).unwrap();
        let step = PublishRequest {
            idempotency_key: full.idempotency_key.clone(),
            items: full.items[..(index + 1).min(n)].to_vec(),
            first_comment: if index >= n { full.first_comment.clone() } else { None },
            settings: full.settings.clone(),
            already_published: stored,
        };
        let post = c.publish(&step).await.unwrap();
        assert_eq!(
            post.id,
            live.first().map_or_else(|| post.items[0].id.clone(), |first| first.id.clone()),
            "the thread keeps its main post"
        );
        live.push(post.items.iter().find(|i| i.index == index).cloned().unwrap());
    }
    live
}

#[tokio::test]
async fn a_thread_and_its_first_comment_carry_root_and_parent_refs_on_the_pds() {
    let c = connect("pz-thread").await;
    let mut post = thread("pds-thread", &["one: the news", "two: the details", "three: the end"]);
    post.first_comment = Some("Questions welcome".into());
    let published = publish_like_the_worker(&c, &post, vec![]).await;
    assert_eq!(published.len(), 4);
    let mut stored = Vec::new();
    for item in &published {
        let record = c.stored(&item.id).await;
        assert_eq!(record["cid"], json!(item.cid));
        stored.push(record);
    }
    let root = strong_ref(&stored[0]);
    assert!(stored[0]["value"].get("reply").is_none(), "the main post replies to nothing");
    assert_eq!(stored[1]["value"]["reply"], json!({"root": root, "parent": root}));
    assert_eq!(stored[2]["value"]["reply"], json!({"root": root, "parent": strong_ref(&stored[1])}));
    assert_eq!(stored[2]["value"]["text"], "three: the end");
    // The first comment answers the main post.
    assert_eq!(stored[3]["value"]["reply"], json!({"root": root, "parent": root}));
    assert_eq!(stored[3]["value"]["text"], "Questions welcome");

    // The adapter also publishes a whole thread in one call, with the same refs.
    let whole = c.publish(&thread("pds-thread-2", &["first", "second"])).await.unwrap();
    let (first, second) = (c.stored(&whole.items[0].id).await, c.stored(&whole.items[1].id).await);
    assert_eq!(second["value"]["reply"], json!({"root": strong_ref(&first), "parent": strong_ref(&first)}));
}

#[tokio::test]
async fn a_main_post_whose_answer_was_lost_is_found_and_the_thread_goes_on_under_it() {
    let c = connect("pz-resume").await;
    let full = thread("pds-resume", &["Lost answer: the main post", "and its reply"]);
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    // The first request went out; the worker crashed before it stored the answer.
    let sent = c.publish(&PublishRequest::text("pds-resume", "Lost answer: the main post")).await.unwrap();
    let query = FindQuery {
        idempotency_key: full.idempotency_key.clone(),
        text: full.items[0].text.clone(),
        not_before: before,
        settings: Default::default(),
    };
    let found = c.provider.find_published(&c.tokens.access_token, &c.account, &query).await.unwrap().expect("found on the PDS");
    assert_eq!(found.items, sent.items, "found with the cid a reply needs");
    let live = publish_like_the_worker(&c, &full, found.items).await;
    let (main, reply) = (c.stored(&live[0].id).await, c.stored(&live[1].id).await);
    assert_eq!(reply["value"]["reply"], json!({"root": strong_ref(&main), "parent": strong_ref(&main)}));
    assert_eq!(c.pds.list_records(&c.owner.did, "app.bsky.feed.post").await.len(), 2, "nothing sent twice");

    // A reply whose answer was lost is found too. The lookup cannot say which item of the
    // thread it is (`FindQuery` has no index), so the worker leaves it to the user rather than
    // recording it as the main post; what matters here is that it is never "not there", which
    // would make the worker send it again.
    let query = FindQuery { text: full.items[1].text.clone(), ..query };
    let found = c.provider.find_published(&c.tokens.access_token, &c.account, &query).await.unwrap().expect("the reply is found");
    assert_eq!(found.id, live[1].id);
}

fn pixel(alt: &str) -> PublishMedia {
    let data = std::fs::read(format!("{}/tests/fixtures/bluesky/pixel.png", env!("CARGO_MANIFEST_DIR"))).unwrap();
    PublishMedia {
        kind: MediaKind::Image,
        mime: "image/png".into(),
        filename: "pixel.png".into(),
        data: Bytes::from(data),
        alt: Some(alt.into()),
        width: Some(1),
        height: Some(1),
        duration_ms: None,
        public_url: None,
    }
}

#[tokio::test]
async fn images_are_uploaded_as_blobs_and_embedded_with_their_alt_text() {
    let c = connect("pz-images").await;
    let mut post = PublishRequest::text("pds-images", "Two pictures");
    post.items[0].media = vec![pixel("A red pixel"), pixel("The same pixel, again")];
    let published = c.publish(&post).await.unwrap();
    let stored = c.stored(&published.id).await;
    let embed = &stored["value"]["embed"];
    assert_eq!(embed["$type"], "app.bsky.embed.images");
    let images = embed["images"].as_array().unwrap();
    assert_eq!(images.iter().map(|i| i["alt"].as_str().unwrap()).collect::<Vec<_>>(), ["A red pixel", "The same pixel, again"]);
    for (image, sent) in images.iter().zip(&post.items[0].media) {
        assert_eq!(image["aspectRatio"], json!({"width": 1, "height": 1}));
        assert_eq!(image["image"]["mimeType"], "image/png");
        assert_eq!(image["image"]["size"], json!(sent.data.len()));
        let cid = image["image"]["ref"]["$link"].as_str().unwrap();
        assert_eq!(c.pds.get_blob(&c.owner.did, cid).await, sent.data.to_vec(), "the stored blob is the bytes we sent");
    }
}

#[tokio::test]
async fn a_refreshed_session_publishes_and_its_account_is_the_same() {
    let c = connect("pz-refresh").await;
    let refresh = c.tokens.refresh_token.as_ref().unwrap();
    let renewed = c.provider.refresh(None, refresh, c.account.server.as_ref()).await.unwrap();
    // The refresh token rotates (its `jti` is new); the access JWT may be byte-identical when it
    // is issued within the same second as the one it replaces.
    assert_ne!(renewed.refresh_token.as_ref().unwrap().expose_secret(), refresh.expose_secret());
    let info = c.provider.account_info(&renewed.access_token, c.account.server.as_ref()).await.unwrap();
    assert_eq!((info.id.as_str(), info.handle.as_deref()), (c.owner.did.as_str(), Some(c.owner.handle.as_str())));
    let post =
        c.provider.publish(&renewed.access_token, &c.account, &PublishRequest::text("pds-refresh", "after a refresh")).await.unwrap();
    assert_eq!(c.stored(&post.id).await["value"]["text"], "after a refresh");
}

#[tokio::test]
async fn a_revoked_app_password_is_unauthorized_and_a_new_one_reconnects() {
    let c = connect("pz-revoked").await;
    c.pds.revoke_app_password(&c.owner, APP_PASSWORD_NAME).await;

    // The PDS refuses the refresh token and new logins at once ("Token has been revoked")…
    let err = c.provider.refresh(None, c.tokens.refresh_token.as_ref().unwrap(), c.account.server.as_ref()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
    let err = c.provider.login(&credentials(&c, &c.app_password)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
    assert!(!err.to_string().contains(&c.app_password), "{err}");
    // …while an access JWT already issued stays valid until it expires (2 h on this PDS).
    let post = c.publish(&PublishRequest::text("pds-revoked", "still signed in")).await.unwrap();
    assert!(c.pds.get_record(&post.id).await.is_some());
    // A token the PDS never issued is refused as unauthorized too.
    let err =
        c.provider.publish(&SecretString::from("not-a-token"), &c.account, &PublishRequest::text("pds-bogus", "x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");

    // Reconnecting with a new app password gives the same account.
    let fresh = c.pds.create_app_password(&c.owner, "postiz-2").await;
    let again = c.provider.login(&credentials(&c, &fresh)).await.unwrap();
    assert_eq!(again.account.id, c.owner.did);
    c.provider.refresh(None, again.tokens.refresh_token.as_ref().unwrap(), c.account.server.as_ref()).await.unwrap();
}

#[tokio::test]
async fn an_uncertain_attempt_is_found_on_the_pds_and_a_deleted_post_is_gone() {
    let c = connect("pz-reconcile").await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let text = "Élan: did this one go out?";
    let sent = c.publish(&PublishRequest::text("pds-find", text)).await.unwrap();
    let query =
        |text: &str| FindQuery { idempotency_key: "pds-find".into(), text: text.into(), not_before: before, settings: Default::default() };
    let found = c.provider.find_published(&c.tokens.access_token, &c.account, &query(text)).await.unwrap().expect("found on the PDS");
    assert_eq!((found.id.as_str(), found.items[0].cid.as_deref()), (sent.id.as_str(), sent.items[0].cid.as_deref()));
    assert!(c.provider.find_published(&c.tokens.access_token, &c.account, &query("never sent")).await.unwrap().is_none());

    c.provider.delete(&c.tokens.access_token, &c.account, &sent.id).await.unwrap();
    assert!(c.pds.get_record(&sent.id).await.is_none(), "the record is deleted on the PDS");
    assert!(c.pds.list_records(&c.owner.did, "app.bsky.feed.post").await.is_empty());
    assert!(c.provider.find_published(&c.tokens.access_token, &c.account, &query(text)).await.unwrap().is_none());
}

fn variant(text: &str, media: Vec<MediaRef>) -> PostVariant {
    PostVariant { text: text.into(), media, ..Default::default() }
}

fn media_ref(size: usize) -> MediaRef {
    MediaRef {
        id: MediaId(uuid::Uuid::nil()),
        kind: MediaKind::Image,
        mime: "image/png".into(),
        size_bytes: size as u64,
        width: Some(1),
        height: Some(1),
        duration_ms: None,
        alt: None,
        name: None,
        video: Default::default(),
        aspect_fit: AspectFit::Refuse,
    }
}

/// A PNG of exactly `size` bytes (the pixel, then padding after its end chunk).
fn png_of(size: usize) -> PublishMedia {
    let mut m = pixel("padded");
    let mut data = m.data.to_vec();
    data.resize(size, 0);
    m.data = Bytes::from(data);
    m
}

/// The content rules are the PDS's own limits: what they accept, the PDS stores; one past
/// them, the rules refuse and so does the PDS, as a refusal (not a transient failure). An image
/// of exactly `max_bytes` (the size the worker recompresses stills to) is stored. The PDS
/// (0.5.35) does not enforce the lexicon's blob `maxSize` itself (it stored a 1,000,001-byte
/// image too): the limit is applied by apps and the AppView, so the rules are our only guard.
#[tokio::test]
async fn the_content_rules_are_the_limits_the_pds_enforces() {
    let c = connect("pz-limits").await;
    let rules = ContentRules::for_network(Network::Bluesky);
    let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
    assert_eq!(family.len(), 25);
    // 300 graphemes (600 bytes), and 3000 bytes (120 graphemes).
    for (n, text) in [(0, "ä".repeat(300)), (1, family.repeat(120))] {
        assert!(validate(&variant(&text, vec![]), rules).is_empty(), "{n}");
        let post = c.publish(&PublishRequest::text(format!("pds-limit-{n}"), text.as_str())).await.unwrap();
        assert_eq!(c.stored(&post.id).await["value"]["text"], text.as_str());
    }
    let image = png_of(1_000_000);
    assert!(validate(&variant("at the limit", vec![media_ref(image.data.len())]), rules).is_empty());
    let mut post = PublishRequest::text("pds-limit-image", "at the limit");
    post.items[0].media.push(image.clone());
    let published = c.publish(&post).await.unwrap();
    let cid = c.stored(&published.id).await["value"]["embed"]["images"][0]["image"]["ref"]["$link"].as_str().unwrap().to_owned();
    assert_eq!(c.pds.get_blob(&c.owner.did, &cid).await.len(), 1_000_000);
    assert_eq!(rules.media.image.as_ref().unwrap().max_bytes, 1_000_000);

    let before = c.pds.list_records(&c.owner.did, "app.bsky.feed.post").await.len();
    for (n, text, says) in [(0, "ä".repeat(301), "maximum 300,"), (1, family.repeat(121), "maximum 3000,")] {
        assert!(!validate(&variant(&text, vec![]), rules).is_empty(), "{n}");
        let err = c.publish(&PublishRequest::text(format!("pds-over-{n}"), text.as_str())).await.unwrap_err();
        // The PDS's own words reach the user: "grapheme too big (maximum 300, got 301)".
        assert!(matches!(err, ProviderError::Rejected { .. }) && err.to_string().contains(says), "{n}: {err:?}");
    }
    assert_eq!(c.pds.list_records(&c.owner.did, "app.bsky.feed.post").await.len(), before, "nothing over the limits was stored");
}

/// People copy their handle as Bluesky shows it, `@alice.bsky.social`; the PDS refused that
/// ("Invalid identifier or password") until the adapter dropped the `@`.
#[tokio::test]
async fn the_account_signs_in_with_its_email_or_its_handle_as_typed() {
    let c = connect("pz-signin").await;
    for typed in [format!("{}@example.test", "pz-signin"), format!("@{}", c.owner.handle), format!(" {} ", c.owner.handle.to_uppercase())] {
        let creds = Credentials { identifier: typed.clone(), ..credentials(&c, &c.app_password) };
        let done = c.provider.login(&creds).await.unwrap_or_else(|e| panic!("{typed:?}: {e}"));
        assert_eq!(done.account.id, c.owner.did, "{typed:?}");
    }
}

/// The PDS's own rate limit (`createSession`: 30 per 5 minutes per identifier, counted before
/// the password is checked) comes back as `RateLimited` with the wait its `ratelimit-reset`
/// header gives, not as bad credentials. The 30 allowed attempts go at once: the PDS makes
/// every login take at least 350 ms (against timing attacks).
#[tokio::test]
async fn the_pds_rate_limit_is_rate_limited_with_its_reset() {
    let pds = BlueskyPds::start_rate_limited().await;
    let provider = BlueskyProvider::new(client());
    let creds = Credentials {
        identifier: "pz-nobody.test".into(),
        password: SecretString::from("abcd-efgh-ijkl-mnop"),
        server: Some(server(&pds)),
    };
    let allowed = futures_util::future::join_all((0..30).map(|_| provider.login(&creds))).await;
    for (n, answer) in allowed.into_iter().enumerate() {
        let err = answer.unwrap_err();
        assert!(matches!(err, ProviderError::Unauthorized { .. }), "{n}: {err:?}");
    }
    let err = provider.login(&creds).await.unwrap_err();
    let ProviderError::RateLimited { retry_after: Some(wait), .. } = err else { panic!("{err:?}") };
    assert!(wait > std::time::Duration::from_secs(240) && wait <= std::time::Duration::from_secs(301), "{wait:?}");
}
