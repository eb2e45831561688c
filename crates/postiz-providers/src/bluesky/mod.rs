//! Bluesky (AT Protocol): app-password sessions (`createSession`/`refreshSession`),
//! `createRecord` of `app.bsky.feed.post` with facets and reply refs, `uploadBlob` images,
//! `listRecords` reconciliation. Works against bsky.social or a self-hosted PDS.
//!
//! Numbers come from the AppView, not the PDS: a PDS stores records but does not count likes
//! or reposts. The AppView (`https://public.api.bsky.app` by default, set with
//! [`BlueskyProvider::with_appview`]) serves `app.bsky.feed.getPosts` and
//! `app.bsky.actor.getProfile` without authentication, so the account's token is not sent
//! there.

mod facets;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use postiz_domain::Network;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, PerPost, in_order, one_at_a_time, pick, refused_post, single, unique};
use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connected, Connection, Credentials, OAuthClient, TokenSet};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, SendKind};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Bluesky;
const POST: &str = "app.bsky.feed.post";
/// `app.bsky.feed.getPosts` takes at most 25 `uris` (lexicon `maxLength: 25`).
const BATCH: usize = 25;
/// The counts of a `postView` (lexicon `app.bsky.feed.defs#postView`).
const POST_COUNTS: [&str; 5] = ["likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount"];

/// The Bluesky adapter.
#[derive(Debug, Clone)]
pub struct BlueskyProvider {
    http: HttpClient,
    server: Url,
    appview: Url,
}

impl BlueskyProvider {
    /// An adapter whose default server is `https://bsky.social`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, server: static_url("https://bsky.social"), appview: static_url("https://public.api.bsky.app") }
    }

    /// Changes the AppView that counts are read from (default `https://public.api.bsky.app`;
    /// operator configuration, tests). Independent of the PDS.
    pub fn with_appview(mut self, appview: Url) -> Self {
        self.appview = appview;
        self
    }

    /// Counts of up to 25 posts per `app.bsky.feed.getPosts` call on the AppView. Posts the
    /// AppView does not return (deleted, or taken down) are simply absent from `posts`, so
    /// they are gone. A call refused as a whole (a malformed URI refuses all) is retried one
    /// URI at a time.
    async fn post_counts(&self, token: &SecretString, account: &AccountRef, ids: &[String]) -> Result<PerPost, ProviderError> {
        let url = Self::xrpc(&self.appview, "app.bsky.feed.getPosts")?;
        let mut answers: HashMap<String, Result<Analytics, ProviderError>> = HashMap::new();
        for chunk in unique(ids).chunks(BATCH) {
            let query: Vec<(&str, &str)> = chunk.iter().map(|uri| ("uris", uri.as_str())).collect();
            let answer: Result<Value, _> =
                self.http.get_json_or_refusal(NETWORK, || self.http.client().get(url.clone()).query(&query), parse_error).await?;
            match answer {
                Ok(v) => {
                    for post in v["posts"].as_array().into_iter().flatten() {
                        let Some(uri) = post["uri"].as_str() else { continue };
                        let n = |k: &str| post[k].as_u64();
                        let a = Analytics::now(
                            pick(post, &POST_COUNTS),
                            [
                                (M::Likes, n("likeCount")),
                                (M::Shares, n("repostCount")),
                                (M::Comments, n("replyCount")),
                                (M::Quotes, n("quoteCount")),
                                (M::Saves, n("bookmarkCount")),
                            ],
                        );
                        answers.insert(uri.to_owned(), Ok(a));
                    }
                }
                Err(refusal) => match chunk {
                    [uri] => {
                        answers.insert(uri.clone(), Err(refused_post(NETWORK, &refusal)));
                    }
                    many => answers.extend(one_at_a_time(self, token, account, many).await?),
                },
            }
        }
        Ok(in_order(NETWORK, ids, &answers))
    }

    /// Changes the default server (tests, a self-hosted PDS). Accounts with their own
    /// `server` still use theirs.
    pub fn with_base_url(mut self, server: Url) -> Self {
        self.server = server;
        self
    }

    /// The server for an account: its own (checked against private addresses) or the default.
    async fn server_for(&self, server: Option<&Url>) -> Result<Url, ProviderError> {
        match server {
            Some(s) if s != &self.server => {
                self.http.check_user_url(NETWORK, s).await?;
                Ok(s.clone())
            }
            _ => Ok(self.server.clone()),
        }
    }

    fn xrpc(server: &Url, method: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, server, &format!("/xrpc/{method}"))
    }

    fn post_url(account: &AccountRef, uri: &str) -> Option<Url> {
        let rkey = uri.rsplit('/').next()?;
        let who = account.handle.as_deref().unwrap_or(&account.id);
        Url::parse(&format!("https://bsky.app/profile/{who}/post/{rkey}")).ok()
    }

    async fn upload_blob(&self, server: &Url, token: &SecretString, media: &PublishMedia) -> Result<Value, ProviderError> {
        let v: Value = self
            .http
            .send_json(
                NETWORK,
                bearer(self.http.client().post(Self::xrpc(server, "com.atproto.repo.uploadBlob")?), token)
                    .header(reqwest::header::CONTENT_TYPE, media.mime.as_str())
                    .body(media.data.clone()),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        Ok(v["blob"].clone())
    }

    /// Turns detected facets into lexicon facets, resolving mentions to DIDs. A handle that
    /// does not resolve stays plain text, as in the official app.
    async fn facets(&self, server: &Url, token: &SecretString, text: &str) -> Result<Vec<Value>, ProviderError> {
        let mut out = Vec::new();
        for f in facets::detect(text) {
            let feature = match f.kind {
                facets::Kind::Link(uri) => json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
                facets::Kind::Tag(tag) => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
                facets::Kind::Mention(handle) => {
                    let url = Self::xrpc(server, "com.atproto.identity.resolveHandle")?;
                    let resolved: Result<Value, _> = self
                        .http
                        .get_json(
                            NETWORK,
                            || bearer(self.http.client().get(url.clone()), token).query(&[("handle", handle.as_str())]),
                            parse_error,
                        )
                        .await;
                    match resolved {
                        Ok(v) => match v["did"].as_str() {
                            Some(did) => json!({"$type": "app.bsky.richtext.facet#mention", "did": did}),
                            None => continue,
                        },
                        Err(ProviderError::Rejected { .. }) => continue,
                        Err(e) => return Err(e),
                    }
                }
            };
            out.push(json!({"index": {"byteStart": f.start, "byteEnd": f.end}, "features": [feature]}));
        }
        Ok(out)
    }

    async fn session_call(&self, rb: reqwest::RequestBuilder, server: &Url) -> Result<Connected, ProviderError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Session {
            did: String,
            handle: String,
            access_jwt: String,
            refresh_jwt: String,
            #[serde(default)]
            did_doc: Value,
        }
        let s: Session = self.http.send_json(NETWORK, rb, SendKind::Safe, parse_error).await?;
        // The PDS that hosts the account, from the DID document, when it differs.
        let pds = s.did_doc["service"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|svc| svc["id"].as_str().is_some_and(|id| id.ends_with("#atproto_pds")))
            .and_then(|svc| svc["serviceEndpoint"].as_str())
            .and_then(|u| Url::parse(u).ok())
            .filter(|u| u != server);
        Ok(Connected {
            tokens: TokenSet {
                access_token: SecretString::from(s.access_jwt),
                refresh_token: Some(SecretString::from(s.refresh_jwt)),
                // Access JWTs are short-lived (about two hours on bsky.social).
                expires_in: Some(Duration::from_secs(2 * 3600)),
                refresh_expires_in: None,
                scopes: vec![],
            },
            account: AccountInfo { id: s.did, handle: Some(s.handle), name: None, avatar: None, server: pds },
        })
    }
}

/// The identifier as `createSession` takes it. Bluesky shows handles as `@alice.bsky.social`
/// and people type them so, but the PDS looks any identifier with an `@` up as an email and
/// answers "Invalid identifier or password"; an email never starts with `@`.
fn identifier(typed: &str) -> &str {
    let typed = typed.trim();
    typed.strip_prefix('@').unwrap_or(typed)
}

/// XRPC errors: `{"error": "ExpiredToken", "message": "…"}`. An expired or invalid token
/// comes back as 400 with `ExpiredToken`/`InvalidToken`, so it is mapped to `Unauthorized`.
fn parse_error(status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = v["error"].as_str().unwrap_or_default();
    let message = v["message"].as_str().map(str::to_owned).or_else(|| (!code.is_empty()).then(|| code.to_owned()));
    let class = match code {
        "ExpiredToken" | "InvalidToken" | "AuthenticationRequired" | "AuthMissing" => Some(ErrorClass::Unauthorized),
        "RateLimitExceeded" => Some(ErrorClass::RateLimited(None)),
        "AccountTakedown" | "AccountDeactivated" => Some(ErrorClass::Rejected),
        _ if status == StatusCode::UNAUTHORIZED => Some(ErrorClass::Unauthorized),
        _ => None,
    };
    ErrorDetails { message, class }
}

#[async_trait]
impl Provider for BlueskyProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::AppPassword { default_server: self.server.clone() }
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            delete: true,
            post_metrics: &[M::Likes, M::Shares, M::Comments, M::Quotes, M::Saves],
            account_metrics: &[M::Followers, M::Following, M::Posts],
            analytics_batch: BATCH,
            find_published: true,
            ..Capabilities::default()
        }
    }

    async fn login(&self, credentials: &Credentials) -> Result<Connected, ProviderError> {
        use secrecy::ExposeSecret;
        let server = self.server_for(credentials.server.as_ref()).await?;
        let url = Self::xrpc(&server, "com.atproto.server.createSession")?;
        let rb = self
            .http
            .client()
            .post(url)
            .json(&json!({"identifier": identifier(&credentials.identifier), "password": credentials.password.expose_secret()}));
        self.session_call(rb, &server).await
    }

    async fn refresh(
        &self,
        _client: Option<&OAuthClient>,
        refresh_token: &SecretString,
        server: Option<&Url>,
    ) -> Result<TokenSet, ProviderError> {
        let server = self.server_for(server).await?;
        let url = Self::xrpc(&server, "com.atproto.server.refreshSession")?;
        let rb = bearer(self.http.client().post(url), refresh_token);
        Ok(self.session_call(rb, &server).await?.tokens)
    }

    async fn account_info(&self, token: &SecretString, server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let server = self.server_for(server).await?;
        let url = Self::xrpc(&server, "com.atproto.server.getSession")?;
        let v: Value = self.http.get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token), parse_error).await?;
        Ok(AccountInfo {
            id: v["did"].as_str().unwrap_or_default().to_owned(),
            handle: v["handle"].as_str().map(str::to_owned),
            name: None,
            avatar: None,
            server: None,
        })
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let server = self.server_for(account.server.as_ref()).await?;
        let mut progress = Progress::new(NETWORK, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                let (text, media) = match part {
                    Part::Item(item) => (item.text.as_str(), item.media.as_slice()),
                    Part::Comment(c) => (c, &[][..]),
                };
                let mut record = json!({
                    "$type": POST,
                    "text": text,
                    "createdAt": Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
                });
                let facets = self.facets(&server, token, text).await?;
                if !facets.is_empty() {
                    record["facets"] = Value::Array(facets);
                }
                if !media.is_empty() {
                    let mut images = Vec::with_capacity(media.len());
                    for m in media {
                        let blob = self.upload_blob(&server, token, m).await?;
                        let mut image = json!({"alt": m.alt.clone().unwrap_or_default(), "image": blob});
                        if let (Some(w), Some(h)) = (m.width, m.height) {
                            image["aspectRatio"] = json!({"width": w, "height": h});
                        }
                        images.push(image);
                    }
                    record["embed"] = json!({"$type": "app.bsky.embed.images", "images": images});
                }
                let parent = match part {
                    Part::Comment(_) => progress.root(),
                    Part::Item(_) => progress.parent(),
                };
                if let (Some(root), Some(parent)) = (progress.root(), parent) {
                    record["reply"] = json!({
                        "root": {"uri": root.id, "cid": root.cid},
                        "parent": {"uri": parent.id, "cid": parent.cid},
                    });
                }
                let created: Value = self
                    .http
                    .send_json(
                        NETWORK,
                        bearer(self.http.client().post(Self::xrpc(&server, "com.atproto.repo.createRecord")?), token)
                            .json(&json!({"repo": account.id, "collection": POST, "record": record})),
                        SendKind::Publish,
                        parse_error,
                    )
                    .await?;
                let uri = created["uri"]
                    .as_str()
                    .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "createRecord answered without a uri"))?
                    .to_owned();
                Ok(PublishedItem { index, url: Self::post_url(account, &uri), cid: created["cid"].as_str().map(str::to_owned), id: uri })
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    async fn delete(&self, token: &SecretString, account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        let server = self.server_for(account.server.as_ref()).await?;
        let rkey = id.rsplit('/').next().unwrap_or(id);
        self.http
            .send(
                NETWORK,
                bearer(self.http.client().post(Self::xrpc(&server, "com.atproto.repo.deleteRecord")?), token)
                    .json(&json!({"repo": account.id, "collection": POST, "rkey": rkey})),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        Ok(())
    }

    /// Posts: `app.bsky.feed.getPosts?uris=…` → `posts[].likeCount`, `repostCount`,
    /// `replyCount`, `quoteCount`, `bookmarkCount` (lexicon `app.bsky.feed.defs#postView`).
    /// Account: `app.bsky.actor.getProfile?actor={did}` → `followersCount`, `followsCount`,
    /// `postsCount` (`app.bsky.actor.defs#profileViewDetailed`). Both on the AppView
    /// (docs.bsky.app, "API Hosts and Auth": public endpoints are served unauthenticated by
    /// `public.api.bsky.app`).
    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        match query {
            AnalyticsQuery::Post { id } => single(NETWORK, self.post_counts(token, account, std::slice::from_ref(id)).await?),
            _ => {
                let url = Self::xrpc(&self.appview, "app.bsky.actor.getProfile")?;
                let v: Value = self
                    .http
                    .get_json(NETWORK, || self.http.client().get(url.clone()).query(&[("actor", account.id.as_str())]), parse_error)
                    .await?;
                let n = |k: &str| v[k].as_u64();
                Ok(Analytics::now(
                    pick(&v, &["followersCount", "followsCount", "postsCount"]),
                    [(M::Followers, n("followersCount")), (M::Following, n("followsCount")), (M::Posts, n("postsCount"))],
                ))
            }
        }
    }

    /// Up to 25 posts per AppView call; posts missing from its answer are gone.
    async fn post_analytics_many(&self, token: &SecretString, account: &AccountRef, ids: &[String]) -> Result<PerPost, ProviderError> {
        self.post_counts(token, account, ids).await
    }

    /// Lists the account's latest `app.bsky.feed.post` records and matches the text exactly
    /// (Bluesky stores it as sent) with `createdAt` not before the attempt.
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let server = self.server_for(account.server.as_ref()).await?;
        let url = Self::xrpc(&server, "com.atproto.repo.listRecords")?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    bearer(self.http.client().get(url.clone()), token).query(&[
                        ("repo", account.id.as_str()),
                        ("collection", POST),
                        ("limit", "50"),
                    ])
                },
                parse_error,
            )
            .await?;
        let not_before = query.not_before - chrono::Duration::seconds(5);
        let found = v["records"].as_array().into_iter().flatten().find(|r| {
            r["value"]["text"].as_str() == Some(query.text.as_str())
                && r["value"]["createdAt"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t.with_timezone(&Utc) >= not_before)
        });
        Ok(found.and_then(|r| {
            let uri = r["uri"].as_str()?.to_owned();
            RemotePost::from_items(vec![PublishedItem {
                index: 0,
                url: Self::post_url(account, &uri),
                cid: r["cid"].as_str().map(str::to_owned),
                id: uri,
            }])
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_come_from_the_public_appview_by_default_whatever_the_pds() {
        let p = BlueskyProvider::new(HttpClient::for_tests()).with_base_url(static_url("https://pds.example"));
        assert_eq!(p.appview.as_str(), "https://public.api.bsky.app/");
        assert_eq!(p.server.as_str(), "https://pds.example/");
    }
}
