//! Nostr (NIP-01): the user's secret key is the credential (stored in the vault like any token;
//! `nsec1…` or 64 hex characters), their relay is the account's server. A post is a kind-1 note
//! signed here (BIP-340, the `nostr` crate) and sent to the relay over a websocket; the relay
//! answers `OK` or refuses with a NIP-01 prefix (see [`relay`]).
//!
//! - Threads and the first comment are replies marked per NIP-10 (`e` tags `root` / `reply`;
//!   no `p` tag, since every note replied to is the author's own).
//! - Media are not uploaded: a note carries links, so each file's public URL goes at the end of
//!   the text with a NIP-92 `imeta` tag (type, size, alt text). A file without a public URL is
//!   refused before anything is sent.
//! - A post's link is the note's NIP-19 id on njump.me, a public viewer of any relay's notes.
//! - After `OutcomeUnknown`, `find_published` asks the relay for the author's notes since the
//!   attempt began and matches the text.
//! - Numbers: replies (kind 1), reposts (kind 6) and reactions (kind 7) that point at the note,
//!   as counted by the same relay.

mod relay;

use async_trait::async_trait;
use nostr::nips::nip19::ToBech32;
use nostr::{Event, EventBuilder, EventId, Filter, Keys, Kind, PublicKey, Tag, Timestamp};
use postiz_domain::Network;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M};
use crate::common::{Part, Progress, static_url};
use crate::connection::{AccountInfo, Connection};
use crate::http::HttpClient;
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

use relay::Relay;

const NETWORK: Network = Network::Nostr;

/// The Nostr adapter. Accounts name their relay (`AccountRef::server`); the default relay is
/// for accounts without one.
#[derive(Debug, Clone)]
pub struct NostrProvider {
    http: HttpClient,
    default_relay: Url,
    viewer: Url,
}

impl NostrProvider {
    /// An adapter whose default relay is `wss://relay.damus.io`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, default_relay: static_url("wss://relay.damus.io"), viewer: static_url("https://njump.me/") }
    }

    /// Changes the default relay (tests, or an operator's own relay).
    pub fn with_default_relay(mut self, relay: Url) -> Self {
        self.default_relay = relay;
        self
    }

    fn relay_of<'a>(&'a self, account: &'a AccountRef) -> &'a Url {
        account.server.as_ref().unwrap_or(&self.default_relay)
    }

    async fn open(&self, relay: &Url) -> Result<Relay, ProviderError> {
        Relay::open(relay, self.http.settings()).await
    }

    fn note_url(&self, id: &EventId) -> Option<Url> {
        self.viewer.join(&id.to_bech32().ok()?).ok()
    }

    /// One note: the text, the media links, and the NIP-10 reply tags.
    fn note(
        &self,
        keys: &Keys,
        relay: &Url,
        text: &str,
        media: &[PublishMedia],
        root: Option<&str>,
        parent: Option<&str>,
    ) -> Result<Event, ProviderError> {
        let mut content = text.trim_end().to_owned();
        let mut tags = Vec::new();
        // `publish` refused every file without a public URL before sending anything.
        for (m, url) in media.iter().filter_map(|m| m.public_url.as_ref().map(|u| (m, u))) {
            content.push_str(if content.is_empty() { "" } else { "\n" });
            content.push_str(url.as_str());
            let mut imeta = vec!["imeta".to_owned(), format!("url {url}"), format!("m {}", m.mime), format!("size {}", m.data.len())];
            if let (Some(w), Some(h)) = (m.width, m.height) {
                imeta.push(format!("dim {w}x{h}"));
            }
            if let Some(alt) = m.alt.as_deref().filter(|a| !a.trim().is_empty()) {
                imeta.push(format!("alt {alt}"));
            }
            tags.push(tag(imeta)?);
        }
        if let Some(root) = root {
            tags.push(tag(["e", root, relay.as_str(), "root"])?);
            if let Some(parent) = parent.filter(|p| *p != root) {
                tags.push(tag(["e", parent, relay.as_str(), "reply"])?);
            }
        }
        EventBuilder::text_note(content)
            .tags(tags)
            .sign_with_keys(keys)
            .map_err(|err| ProviderError::rejected(NETWORK, format!("the note could not be signed: {err}")))
    }
}

fn tag<I, S>(parts: I) -> Result<Tag, ProviderError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let parts: Vec<String> = parts.into_iter().map(Into::into).collect();
    Tag::parse(parts).map_err(|err| ProviderError::rejected(NETWORK, format!("a tag of the note is malformed: {err}")))
}

/// The user's keys from the stored secret. A key that does not parse is the user's to fix, so
/// it is `Unauthorized` (reconnect), worded without repeating any part of it.
fn keys(token: &SecretString) -> Result<Keys, ProviderError> {
    Keys::parse(token.expose_secret().trim()).map_err(|_| ProviderError::Unauthorized {
        network: NETWORK,
        reason: "the Nostr secret key is not valid: paste the nsec1… key (or its 64 hexadecimal characters) again".into(),
    })
}

/// How many events point at `id`, by kind (replies, reposts, reactions).
fn count_reactions(events: &[Event], id: &EventId) -> (u64, u64, u64) {
    let hex = id.to_hex();
    let points_at =
        |e: &Event| e.tags.iter().any(|t| t.as_slice().first().map(String::as_str) == Some("e") && t.as_slice().get(1) == Some(&hex));
    let count = |kind: Kind| events.iter().filter(|e| e.kind == kind && e.id != *id && points_at(e)).count() as u64;
    (count(Kind::TextNote), count(Kind::Repost), count(Kind::Reaction))
}

#[async_trait]
impl Provider for NostrProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::SecretKey { default_relay: self.default_relay.clone() }
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            delete: false,
            post_metrics: &[M::Comments, M::Shares, M::Likes],
            account_metrics: &[],
            analytics_batch: 1,
            find_published: true,
            idempotent_publish: false,
            targets: false,
        }
    }

    /// The public key behind the secret and, when the relay has it, the profile (kind 0).
    async fn account_info(&self, token: &SecretString, server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let keys = keys(token)?;
        let pubkey = keys.public_key();
        let relay_url = server.unwrap_or(&self.default_relay).clone();
        let mut relay = self.open(&relay_url).await?;
        let profiles = relay.query(&Filter::new().author(pubkey).kind(Kind::Metadata).limit(1)).await?;
        relay.close().await;
        let profile: serde_json::Value =
            profiles.iter().max_by_key(|e| e.created_at).and_then(|e| serde_json::from_str(&e.content).ok()).unwrap_or_default();
        let text = |k: &str| profile[k].as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(AccountInfo {
            id: pubkey.to_hex(),
            handle: Some(text("name").unwrap_or_else(|| npub_short(&pubkey))),
            name: text("display_name").or_else(|| text("name")),
            avatar: text("picture").and_then(|p| Url::parse(&p).ok()).filter(|u| u.scheme() == "https"),
            server: (relay_url != self.default_relay).then_some(relay_url),
        })
    }

    /// A secret key never expires and cannot be revoked: it only has to parse and still be
    /// this account's. No relay is contacted.
    async fn verify(&self, token: &SecretString, account: &AccountRef) -> Result<(), ProviderError> {
        if keys(token)?.public_key().to_hex() == account.id {
            Ok(())
        } else {
            Err(ProviderError::Unauthorized {
                network: NETWORK,
                reason: "the stored secret key belongs to another Nostr account; reconnect this account".into(),
            })
        }
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let keys = keys(token)?;
        if keys.public_key().to_hex() != account.id {
            return Err(ProviderError::Unauthorized {
                network: NETWORK,
                reason: "the stored secret key belongs to another Nostr account; reconnect this account".into(),
            });
        }
        // Every file needs a public link before anything goes out.
        for item in &post.items {
            if let Some(m) = item.media.iter().find(|m| m.public_url.is_none()) {
                return Err(ProviderError::rejected(
                    NETWORK,
                    format!("{} has no public address yet, which a Nostr note needs", m.filename),
                ));
            }
        }
        let relay_url = self.relay_of(account).clone();
        let mut progress = Progress::new(NETWORK, post)?;
        let mut relay = None;
        while let Some((index, part)) = progress.next() {
            let (text, media): (&str, &[PublishMedia]) = match part {
                Part::Item(item) => (&item.text, &item.media),
                Part::Comment(text) => (text, &[]),
            };
            let root = progress.root().map(|r| r.id.clone());
            let parent = match part {
                Part::Comment(_) => root.clone(),
                Part::Item(_) => progress.parent().map(|p| p.id.clone()),
            };
            let result = async {
                let event = self.note(&keys, &relay_url, text, media, root.as_deref(), parent.as_deref())?;
                if relay.is_none() {
                    relay = Some(self.open(&relay_url).await?);
                }
                let session = relay.as_mut().ok_or_else(|| ProviderError::transient(NETWORK, "no relay session"))?;
                session.publish(&event).await?;
                Ok(PublishedItem { index, id: event.id.to_hex(), url: self.note_url(&event.id), cid: None })
            }
            .await;
            progress.record(result)?;
        }
        if let Some(r) = relay {
            r.close().await;
        }
        progress.finish()
    }

    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let keys = keys(token)?;
        let since = Timestamp::from((query.not_before.timestamp() - 5).max(0) as u64);
        let mut relay = self.open(self.relay_of(account)).await?;
        let notes = relay.query(&Filter::new().author(keys.public_key()).kind(Kind::TextNote).since(since).limit(100)).await?;
        relay.close().await;
        // The main note is the one that is no reply (no `e` tag) and carries the text.
        let found = notes
            .iter()
            .filter(|e| !e.tags.iter().any(|t| t.as_slice().first().map(String::as_str) == Some("e")))
            .find(|e| same_text(&query.text, &e.content) || e.content.starts_with(query.text.trim_end()));
        Ok(found.and_then(|e| {
            RemotePost::from_items(vec![PublishedItem { index: 0, id: e.id.to_hex(), url: self.note_url(&e.id), cid: None }])
        }))
    }

    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        let AnalyticsQuery::Post { id } = query else {
            return Err(ProviderError::not_supported(NETWORK, "account analytics"));
        };
        keys(token)?;
        let event_id = EventId::from_hex(id).map_err(|_| ProviderError::rejected(NETWORK, "this post's Nostr id is not valid"))?;
        let mut relay = self.open(self.relay_of(account)).await?;
        let events = relay.query(&Filter::new().event(event_id).kinds([Kind::TextNote, Kind::Repost, Kind::Reaction]).limit(5000)).await?;
        relay.close().await;
        let (comments, shares, likes) = count_reactions(&events, &event_id);
        let raw = serde_json::json!({ "replies": comments, "reposts": shares, "reactions": likes, "events": events.len() });
        Ok(Analytics::now(raw, [(M::Comments, Some(comments)), (M::Shares, Some(shares)), (M::Likes, Some(likes))]))
    }
}

/// `npub1abcd…wxyz`: a readable stand-in for an account without a profile name.
fn npub_short(pubkey: &PublicKey) -> String {
    let full = pubkey.to_bech32().unwrap_or_else(|_| pubkey.to_hex());
    if full.len() > 20 { format!("{}…{}", &full[..12], &full[full.len() - 6..]) } else { full }
}
