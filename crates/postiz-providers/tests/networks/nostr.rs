//! Nostr against a real relay (`nostr-relay` from PyPI, SQLite storage, on loopback), checked
//! with a second client that reads the relay directly; and the relay's refusals against a
//! scripted websocket relay (the websocket counterpart of the wiremock answers elsewhere).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use nostr::nips::nip19::ToBech32;
use nostr::{Event, EventBuilder, Filter, JsonUtil, Keys, Kind, Tag};
use postiz_domain::MediaKind;
use postiz_providers::nostr::NostrProvider;
use postiz_providers::{
    AccountRef, AnalyticsQuery, FindQuery, HttpClient, HttpSettings, MetricName, Provider, ProviderError, PublishMedia, PublishRequest,
    SecretString,
};
use postiz_testkit::nostr_relay::NostrRelay;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use url::Url;

async fn real_relay() -> RealRelay {
    let relay = NostrRelay::start().await;
    let url = Url::parse(&relay.url).unwrap();
    RealRelay { url, _relay: relay }
}

/// The relay and its address as a URL.
struct RealRelay {
    url: Url,
    _relay: NostrRelay,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn provider() -> NostrProvider {
    NostrProvider::new(HttpClient::new(HttpSettings { request_timeout: Duration::from_secs(10), ..HttpSettings::for_tests() }).unwrap())
}

fn secret(keys: &Keys) -> SecretString {
    SecretString::from(keys.secret_key().to_bech32().unwrap())
}

fn account(keys: &Keys, relay: &Url) -> AccountRef {
    AccountRef { id: keys.public_key().to_hex(), handle: None, server: Some(relay.clone()) }
}

/// A second client, independent of the adapter: one websocket message out, answers in.
async fn socket(relay: &Url) -> tokio_tungstenite::WebSocketStream<TcpStream> {
    let addr: SocketAddr = format!("{}:{}", relay.host_str().unwrap(), relay.port().unwrap()).parse().unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    tokio_tungstenite::client_async(relay.as_str(), tcp).await.unwrap().0
}

/// The stored events matching `filter`, each checked (id and signature) by the `nostr` crate.
async fn read_back(relay: &Url, filter: Filter) -> Vec<Event> {
    let mut ws = socket(relay).await;
    let filter: Value = serde_json::from_str(&filter.as_json()).unwrap();
    ws.send(Message::text(json!(["REQ", "check", filter]).to_string())).await.unwrap();
    let mut events = Vec::new();
    while let Some(Ok(Message::Text(text))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap() {
        let parts: Vec<Value> = serde_json::from_str(&text).unwrap();
        match parts[0].as_str() {
            Some("EVENT") => {
                let event = Event::from_json(parts[2].to_string()).unwrap();
                event.verify().unwrap();
                events.push(event);
            }
            Some("EOSE") => break,
            _ => {}
        }
    }
    events
}

/// Sends an event as another user would, and expects the relay to store it.
async fn send_as_reader(relay: &Url, event: &Event) {
    let mut ws = socket(relay).await;
    ws.send(Message::text(json!(["EVENT", event]).to_string())).await.unwrap();
    let Some(Ok(Message::Text(text))) = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.unwrap() else { panic!("no OK") };
    let parts: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!((parts[0].as_str(), parts[2].as_bool()), (Some("OK"), Some(true)), "{text}");
}

fn e_tags(event: &Event) -> Vec<Vec<String>> {
    event.tags.iter().map(|t| t.as_slice().to_vec()).filter(|t| t.first().map(String::as_str) == Some("e")).collect()
}

fn image_at(url: &str) -> PublishMedia {
    PublishMedia {
        kind: MediaKind::Image,
        mime: "image/png".into(),
        filename: "chart.png".into(),
        data: Bytes::from_static(&[0x89, b'P', b'N', b'G']),
        alt: Some("A rising chart".into()),
        width: Some(1200),
        height: Some(800),
        duration_ms: None,
        public_url: Some(Url::parse(url).unwrap()),
    }
}

#[tokio::test]
async fn a_thread_with_media_and_a_first_comment_is_signed_and_stored_on_a_real_relay() {
    let relay = real_relay().await;
    let keys = Keys::generate();
    let nostr = provider();

    let info = nostr.account_info(&secret(&keys), Some(&relay.url)).await.unwrap();
    assert_eq!(info.id, keys.public_key().to_hex());
    assert!(info.handle.as_deref().unwrap().starts_with("npub1"), "{info:?}");
    assert_eq!(info.server.as_ref(), Some(&relay.url));

    let mut post = crate::conformance::thread("nostr-1", &["Our spring report is out", "Part two: the numbers"]);
    post.items[0].media.push(image_at("https://media.example/u/chart.png"));
    post.first_comment = Some("Questions welcome below".into());
    let published = nostr.publish(&secret(&keys), &account(&keys, &relay.url), &post).await.unwrap();
    assert_eq!(published.items.len(), 3);
    let url = published.url.clone().unwrap();
    assert!(url.as_str().starts_with("https://njump.me/note1"), "{url}");

    let stored = read_back(&relay.url, Filter::new().author(keys.public_key()).kind(Kind::TextNote)).await;
    let by_id = |id: &str| stored.iter().find(|e| e.id.to_hex() == id).unwrap_or_else(|| panic!("{id} not on the relay"));
    let (main, reply, comment) = (by_id(&published.items[0].id), by_id(&published.items[1].id), by_id(&published.items[2].id));
    assert_eq!(main.content, "Our spring report is out\nhttps://media.example/u/chart.png");
    assert!(e_tags(main).is_empty(), "the main note replies to nothing");
    let imeta: Vec<String> = main.tags.iter().find(|t| t.as_slice()[0] == "imeta").unwrap().as_slice().to_vec();
    assert!(
        imeta.contains(&"url https://media.example/u/chart.png".to_owned()) && imeta.contains(&"alt A rising chart".to_owned()),
        "{imeta:?}"
    );
    assert!(imeta.contains(&"m image/png".to_owned()) && imeta.contains(&"dim 1200x800".to_owned()), "{imeta:?}");
    // NIP-10: the reply marks the main note as its root; the comment replies to the main note.
    let root = main.id.to_hex();
    assert_eq!(e_tags(reply), vec![vec!["e".to_owned(), root.clone(), relay.url.to_string(), "root".to_owned()]]);
    assert_eq!(reply.content, "Part two: the numbers");
    assert_eq!(e_tags(comment), vec![vec!["e".to_owned(), root.clone(), relay.url.to_string(), "root".to_owned()]]);
    // No `p` tag of our own key: replies to oneself tag nobody.
    assert!(!comment.tags.iter().any(|t| t.as_slice()[0] == "p"), "{:?}", comment.tags);

    // A retry that resumes after the first item replies under the same root, not a new thread.
    let mut resumed = crate::conformance::thread("nostr-2", &["Another thread", "its second part"]);
    let first =
        nostr.publish(&secret(&keys), &account(&keys, &relay.url), &PublishRequest::text("nostr-2", "Another thread")).await.unwrap();
    resumed.already_published = first.items.clone();
    let done = nostr.publish(&secret(&keys), &account(&keys, &relay.url), &resumed).await.unwrap();
    assert_eq!(done.id, first.id);
    let second = read_back(&relay.url, Filter::new().id(nostr::EventId::from_hex(&done.items[1].id).unwrap())).await;
    assert_eq!(e_tags(&second[0])[0][1], first.id);
}

#[tokio::test]
async fn an_uncertain_attempt_is_found_on_the_relay_and_its_numbers_are_counted() {
    let relay = real_relay().await;
    let keys = Keys::generate();
    let nostr = provider();
    let me = account(&keys, &relay.url);
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    let sent = nostr.publish(&secret(&keys), &me, &PublishRequest::text("nostr-find", "Launch day! Thank you all")).await.unwrap();

    let query = |text: &str| FindQuery {
        idempotency_key: "nostr-find".into(),
        text: text.into(),
        not_before: before,
        settings: Default::default(),
    };
    let found = nostr.find_published(&secret(&keys), &me, &query("Launch day! Thank you all")).await.unwrap().expect("found");
    assert_eq!(found.id, sent.id);
    assert!(nostr.find_published(&secret(&keys), &me, &query("Something never sent")).await.unwrap().is_none());

    // Two readers react, one replies, one reposts.
    let note = read_back(&relay.url, Filter::new().id(nostr::EventId::from_hex(&sent.id).unwrap())).await.remove(0);
    let (ann, bob) = (Keys::generate(), Keys::generate());
    for reader in [&ann, &bob] {
        let like = EventBuilder::new(Kind::Reaction, "+")
            .tags([Tag::event(note.id), Tag::public_key(note.pubkey)])
            .sign_with_keys(reader)
            .unwrap();
        send_as_reader(&relay.url, &like).await;
    }
    let reply = EventBuilder::text_note("Congrats!")
        .tags([Tag::parse(["e", sent.id.as_str(), "", "root"]).unwrap(), Tag::public_key(note.pubkey)])
        .sign_with_keys(&ann)
        .unwrap();
    send_as_reader(&relay.url, &reply).await;
    let repost = EventBuilder::new(Kind::Repost, note.as_json())
        .tags([Tag::event(note.id), Tag::public_key(note.pubkey)])
        .sign_with_keys(&bob)
        .unwrap();
    send_as_reader(&relay.url, &repost).await;

    let query = AnalyticsQuery::Post { id: sent.id.clone() };
    let numbers = nostr.analytics(&secret(&keys), &me, &query).await.unwrap();
    crate::conformance::assert_declared(&nostr, &query, &numbers);
    assert_eq!(
        (numbers.get(MetricName::Likes), numbers.get(MetricName::Comments), numbers.get(MetricName::Shares)),
        (Some(2), Some(1), Some(1))
    );
}

#[tokio::test]
async fn keys_that_do_not_fit_are_refused_without_repeating_them() {
    let relay = real_relay().await;
    let nostr = provider();
    let (mine, other) = (Keys::generate(), Keys::generate());
    let err = nostr.publish(&secret(&other), &account(&mine, &relay.url), &PublishRequest::text("k", "hi")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err}");
    let bad = SecretString::from("nsec1notakey".to_owned());
    let err = nostr.account_info(&bad, Some(&relay.url)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }) && !err.to_string().contains("nsec1notakey"), "{err}");
    // A relay on a private address is refused unless the operator allowed it.
    let strict = NostrProvider::new(HttpClient::new(HttpSettings::default()).unwrap());
    let err = strict.account_info(&secret(&mine), Some(&relay.url)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }) && err.to_string().contains("private"), "{err}");
    // A file without a public address is refused before anything is sent.
    let mut post = PublishRequest::text("m", "with a picture");
    post.items[0].media.push(PublishMedia { public_url: None, ..image_at("https://media.example/x.png") });
    let err = nostr.publish(&secret(&mine), &account(&mine, &relay.url), &post).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }), "{err}");
    assert!(read_back(&relay.url, Filter::new().author(mine.public_key())).await.is_empty());
}

/// What the scripted relay does with the first EVENT it gets.
#[derive(Clone, Copy)]
enum Script {
    Refuse(&'static str),
    Silence,
    Hangup,
}

async fn scripted_relay(script: Script) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("ws://{}/", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                while let Some(Ok(Message::Text(text))) = ws.next().await {
                    let parts: Vec<Value> = serde_json::from_str(&text).unwrap();
                    if parts[0] != "EVENT" {
                        continue;
                    }
                    let id = parts[1]["id"].as_str().unwrap().to_owned();
                    match script {
                        Script::Refuse(message) => {
                            ws.send(Message::text(json!(["NOTICE", "hello"]).to_string())).await.unwrap();
                            ws.send(Message::text(json!(["OK", id, false, message]).to_string())).await.unwrap();
                        }
                        Script::Silence => tokio::time::sleep(Duration::from_secs(30)).await,
                        Script::Hangup => return,
                    }
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn relay_refusals_are_classified_by_their_nip01_prefix() {
    let keys = Keys::generate();
    let short = NostrProvider::new(
        HttpClient::new(HttpSettings { request_timeout: Duration::from_millis(700), ..HttpSettings::for_tests() }).unwrap(),
    );
    let publish = async |url: Url| short.publish(&secret(&keys), &account(&keys, &url), &PublishRequest::text("s", "hello relay")).await;

    let err = publish(scripted_relay(Script::Refuse("blocked: not on the allow list")).await).await.unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { .. }) && err.to_string().contains("not on the allow list"), "{err}");
    let err = publish(scripted_relay(Script::Refuse("rate-limited: slow down")).await).await.unwrap_err();
    assert!(matches!(err, ProviderError::RateLimited { .. }), "{err}");
    let err = publish(scripted_relay(Script::Refuse("error: database is locked")).await).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient { .. }), "{err}");
    // A note sent and never confirmed may be stored: the worker reconciles instead of resending.
    let err = publish(scripted_relay(Script::Silence).await).await.unwrap_err();
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err}");
    let err = publish(scripted_relay(Script::Hangup).await).await.unwrap_err();
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err}");
    // Nothing listening: nothing was sent.
    let err = publish(Url::parse(&format!("ws://127.0.0.1:{}/", free_port())).unwrap()).await.unwrap_err();
    assert!(matches!(err, ProviderError::Transient { .. }), "{err}");
    // An accepted duplicate is a success: the relay already has the note.
    let ok = publish(scripted_relay(Script::Refuse("duplicate: already have this event")).await).await.unwrap();
    assert_eq!(ok.items.len(), 1);
}
