//! The sandbox network (`postiz-sandbox`): a real HTTP adapter for local demos and worker
//! tests. The server records every post and injects faults on request.

use async_trait::async_trait;
use postiz_domain::Network;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, refused_post};
use crate::common::{Part, Progress, bearer, endpoint};
use crate::connection::{AccountInfo, Connected, Connection, Credentials, TokenSet};
use crate::http::{ErrorDetails, HttpClient, SendKind, generic_message};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Sandbox;

/// The sandbox adapter.
#[derive(Debug, Clone)]
pub struct SandboxProvider {
    http: HttpClient,
    base: Url,
}

impl SandboxProvider {
    /// An adapter for the sandbox server at `base` (operator configuration, e.g.
    /// `http://127.0.0.1:7979`).
    pub fn new(http: HttpClient, base: Url) -> Self {
        Self { http, base }
    }

    /// Points the adapter at another sandbox server.
    pub fn with_base_url(mut self, base: Url) -> Self {
        self.base = base;
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.base, path)
    }

    async fn upload(&self, token: &SecretString, media: &PublishMedia) -> Result<String, ProviderError> {
        let v: Value = self
            .http
            .send_json(
                NETWORK,
                bearer(self.http.client().post(self.url("/api/media")?), token)
                    .header(reqwest::header::CONTENT_TYPE, media.mime.as_str())
                    .body(media.data.clone()),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        v["id"].as_str().map(str::to_owned).ok_or_else(|| ProviderError::transient(NETWORK, "media upload returned no id"))
    }
}

/// Sandbox errors: `{"error": {"code", "message"}}`.
fn parse_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    ErrorDetails { message: generic_message(body), class: None }
}

#[async_trait]
impl Provider for SandboxProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::AppPassword { default_server: self.base.clone() }
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            delete: true,
            find_published: true,
            post_metrics: &[M::Impressions, M::Likes, M::Shares, M::Comments, M::Quotes],
            account_metrics: &[M::Followers, M::Following, M::Posts],
            ..Capabilities::default()
        }
    }

    /// Any identifier works; the password becomes the bearer token (`expired` is refused).
    async fn login(&self, credentials: &Credentials) -> Result<Connected, ProviderError> {
        let token = SecretString::from(credentials.password.expose_secret().to_owned());
        let account = self.account_info(&token, None).await?;
        Ok(Connected {
            tokens: TokenSet { access_token: token, refresh_token: None, expires_in: None, refresh_expires_in: None, scopes: vec![] },
            account,
        })
    }

    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/api/me")?;
        let v: Value = self.http.get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token), parse_error).await?;
        Ok(AccountInfo {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            handle: v["handle"].as_str().map(str::to_owned),
            name: v["name"].as_str().map(str::to_owned),
            avatar: None,
            server: None,
        })
    }

    async fn publish(&self, token: &SecretString, _account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let mut progress = Progress::new(NETWORK, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                let (text, media) = match part {
                    Part::Item(item) => (item.text.as_str(), item.media.as_slice()),
                    Part::Comment(c) => (c, &[][..]),
                };
                let mut media_ids = Vec::with_capacity(media.len());
                for m in media {
                    media_ids.push(self.upload(token, m).await?);
                }
                let reply_to = match part {
                    Part::Comment(_) => progress.root(),
                    Part::Item(_) => progress.parent(),
                };
                let body = json!({"text": text, "media_ids": media_ids, "reply_to": reply_to.map(|p| p.id.clone())});
                let v: Value = self
                    .http
                    .send_json(
                        NETWORK,
                        bearer(self.http.client().post(self.url("/api/posts")?), token)
                            .header("Idempotency-Key", post.item_key(index))
                            .json(&body),
                        SendKind::Publish,
                        parse_error,
                    )
                    .await?;
                let id = v["id"].as_str().ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "post created without an id"))?.to_owned();
                Ok(PublishedItem { index, url: v["url"].as_str().and_then(|u| Url::parse(u).ok()), id, cid: None })
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    async fn delete(&self, token: &SecretString, _account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        self.http
            .send(NETWORK, bearer(self.http.client().delete(self.url(&format!("/api/posts/{id}"))?), token), SendKind::Safe, parse_error)
            .await?;
        Ok(())
    }

    /// Asks the sandbox for posts created with the main item's idempotency key.
    async fn find_published(
        &self,
        token: &SecretString,
        _account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let url = self.url("/api/posts")?;
        let key = format!("{}-0", query.idempotency_key);
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || bearer(self.http.client().get(url.clone()), token).query(&[("idempotency_key", key.as_str())]),
                parse_error,
            )
            .await?;
        let found = v["posts"].as_array().and_then(|a| a.first()).cloned();
        Ok(found.and_then(|p| {
            let id = p["id"].as_str()?.to_owned();
            RemotePost::from_items(vec![PublishedItem { index: 0, url: p["url"].as_str().and_then(|u| Url::parse(u).ok()), id, cid: None }])
        }))
    }

    /// `GET /api/posts/{id}/metrics` → `{"metrics": {"impressions", "likes", "reposts",
    /// "replies", "quotes"}}` or `GET /api/me/metrics` → `{"metrics": {"followers",
    /// "following", "posts"}}` (the sandbox server's own routes, `postiz-sandbox`). A deleted
    /// post answers 404: gone.
    async fn analytics(&self, token: &SecretString, _account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        let url = match query {
            AnalyticsQuery::Post { id } => self.url(&format!("/api/posts/{id}/metrics"))?,
            AnalyticsQuery::Account => self.url("/api/me/metrics")?,
        };
        let answer: Result<Value, _> =
            self.http.get_json_or_refusal(NETWORK, || bearer(self.http.client().get(url.clone()), token), parse_error).await?;
        let v = match answer {
            Ok(v) => v,
            Err(refusal) if matches!(query, AnalyticsQuery::Post { .. }) => return Err(refused_post(NETWORK, &refusal)),
            Err(refusal) => return Err(refusal.error),
        };
        let m = &v["metrics"];
        let n = |k: &str| m[k].as_u64();
        let raw = if m.is_object() { m.clone() } else { Value::Object(serde_json::Map::new()) };
        Ok(match query {
            AnalyticsQuery::Post { .. } => Analytics::now(
                raw,
                [
                    (M::Impressions, n("impressions")),
                    (M::Likes, n("likes")),
                    (M::Shares, n("reposts")),
                    (M::Comments, n("replies")),
                    (M::Quotes, n("quotes")),
                ],
            ),
            AnalyticsQuery::Account => {
                Analytics::now(raw, [(M::Followers, n("followers")), (M::Following, n("following")), (M::Posts, n("posts"))])
            }
        })
    }
}
