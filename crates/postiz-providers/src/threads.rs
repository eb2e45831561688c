//! Threads (Meta): Threads OAuth2 with the long-lived token exchange (`th_exchange_token`)
//! and refresh (`th_refresh_token`), and the two-step publishing of the Threads posts guide:
//!
//! 1. `POST /{threads-user}/threads` creates a container: `media_type` `TEXT`, `IMAGE`
//!    (`image_url`), `VIDEO` (`video_url`) or `CAROUSEL` (`children`, made of containers
//!    with `is_carousel_item=true`), with `text`, and `reply_to_id` for a reply;
//! 2. `GET /{container}?fields=status,error_message` until `FINISHED` (the guide advises
//!    waiting before publishing; the status read replaces a blind 30 s sleep);
//! 3. `POST /{threads-user}/threads_publish {"creation_id"}` publishes it.
//!
//! Thread items reply to the previous item; the first comment replies to the main post.
//! Media are fetched by Threads from their public URLs.

use std::time::Duration;

use async_trait::async_trait;
use postiz_domain::{MediaKind, Network};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, refused_post};
use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuth2Spec, OAuthClient, TokenSet};
use crate::http::{HttpClient, SendKind};
use crate::meta::{ContainerState, insight_values, parse_error, parse_time, public_url, token_set, wait_for_container};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Threads;
/// The Threads API version in paths.
pub const DEFAULT_VERSION: &str = "v1.0";
const SCOPES: [&str; 3] = ["threads_basic", "threads_content_publish", "threads_manage_insights"];

/// The Threads adapter. The account is the Threads user id (`AccountRef::id`).
#[derive(Debug, Clone)]
pub struct ThreadsProvider {
    http: HttpClient,
    api: Url,
    version: String,
}

impl ThreadsProvider {
    /// An adapter for `graph.threads.net`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, api: static_url("https://graph.threads.net"), version: DEFAULT_VERSION.into() }
    }

    /// Points the adapter at another API base (tests).
    pub fn with_base_url(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.api, &format!("/{}{path}", self.version))
    }

    async fn container(&self, token: &SecretString, account: &AccountRef, body: Value) -> Result<String, ProviderError> {
        // A container is not a post; unused ones expire after 24 hours.
        let v: Value = self
            .http
            .send_json(
                NETWORK,
                bearer(self.http.client().post(self.url(&format!("/{}/threads", account.id))?), token).json(&body),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        let id = v["id"].as_str().ok_or_else(|| ProviderError::transient(NETWORK, "container creation returned no id"))?.to_owned();
        wait_for_container(&self.http, NETWORK, &self.url(&format!("/{id}"))?, token, "status,error_message", |v| {
            ContainerState::read(v["status"].as_str(), v["error_message"].as_str())
        })
        .await?;
        Ok(id)
    }

    fn media_body(media: &PublishMedia) -> Result<Value, ProviderError> {
        let url = public_url(NETWORK, media)?;
        let mut body = match media.kind {
            MediaKind::Image => json!({"media_type": "IMAGE", "image_url": url}),
            MediaKind::Video => json!({"media_type": "VIDEO", "video_url": url}),
            MediaKind::Gif => {
                return Err(ProviderError::rejected(
                    NETWORK,
                    format!("Threads does not accept GIF files ({}); convert it to a video", media.filename),
                ));
            }
        };
        if let Some(alt) = media.alt.as_deref().filter(|a| !a.is_empty()) {
            body["alt_text"] = json!(alt);
        }
        Ok(body)
    }

    /// The container for one item: text, one medium, or a carousel.
    async fn item_container(
        &self,
        token: &SecretString,
        account: &AccountRef,
        text: &str,
        media: &[PublishMedia],
        reply_to: Option<&str>,
    ) -> Result<String, ProviderError> {
        let mut body = match media {
            [] => json!({"media_type": "TEXT", "text": text}),
            [one] => {
                let mut b = Self::media_body(one)?;
                if !text.is_empty() {
                    b["text"] = json!(text);
                }
                b
            }
            many => {
                let mut children = Vec::with_capacity(many.len());
                for m in many {
                    let mut child = Self::media_body(m)?;
                    child["is_carousel_item"] = json!(true);
                    children.push(self.container(token, account, child).await?);
                }
                let mut b = json!({"media_type": "CAROUSEL", "children": children.join(",")});
                if !text.is_empty() {
                    b["text"] = json!(text);
                }
                b
            }
        };
        if let Some(parent) = reply_to {
            body["reply_to_id"] = json!(parent);
        }
        self.container(token, account, body).await
    }

    /// The post's `permalink`; a failure leaves the URL empty (the post is already live).
    async fn permalink(&self, token: &SecretString, id: &str) -> Option<Url> {
        let url = self.url(&format!("/{id}")).ok()?;
        let v: Value = self
            .http
            .get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(&[("fields", "permalink")]), parse_error)
            .await
            .ok()?;
        v["permalink"].as_str().and_then(|u| Url::parse(u).ok())
    }

    /// A long-lived token as a [`TokenSet`] whose refresh token is the token itself:
    /// Threads refreshes a long-lived token with that same token.
    fn long_lived(v: &Value, scopes: Vec<String>) -> Result<TokenSet, ProviderError> {
        let mut set = token_set(NETWORK, v, scopes)?;
        set.refresh_token = Some(set.access_token.clone());
        Ok(set)
    }
}

#[async_trait]
impl Provider for ThreadsProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::OAuth2(OAuth2Spec {
            auth_url: static_url("https://threads.net/oauth/authorize"),
            token_url: static_url("https://graph.threads.net/oauth/access_token"),
            scopes: SCOPES.map(String::from).to_vec(),
            scope_separator: ",",
            pkce: false,
            extra_auth_params: vec![],
            client_auth_basic: false,
            custom_refresh: true,
            client_id_param: "client_id",
        })
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            delete: false,
            post_metrics: &[M::Views, M::Likes, M::Comments, M::Shares, M::Quotes],
            account_metrics: &[M::Followers],
            analytics_batch: 1,
            find_published: true,
            idempotent_publish: false,
            targets: false,
        }
    }

    /// `GET /access_token?grant_type=th_exchange_token&client_secret&access_token`: the
    /// short-lived token (one hour) becomes a long-lived one (60 days).
    async fn after_code_exchange(&self, client: &OAuthClient, tokens: TokenSet) -> Result<TokenSet, ProviderError> {
        let secret = client.client_secret.as_ref().ok_or_else(|| {
            ProviderError::rejected(NETWORK, "the Threads app secret is not configured; the long-lived token exchange needs it")
        })?;
        let url = endpoint(NETWORK, &self.api, "/access_token")?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    self.http.client().get(url.clone()).query(&[
                        ("grant_type", "th_exchange_token"),
                        ("client_secret", secret.expose_secret()),
                        ("access_token", tokens.access_token.expose_secret()),
                    ])
                },
                parse_error,
            )
            .await?;
        Self::long_lived(&v, tokens.scopes)
    }

    /// `GET /refresh_access_token?grant_type=th_refresh_token&access_token`: a long-lived
    /// token at least a day old and not expired gets another 60 days.
    async fn refresh(
        &self,
        _client: Option<&OAuthClient>,
        refresh_token: &SecretString,
        _server: Option<&Url>,
    ) -> Result<TokenSet, ProviderError> {
        let url = endpoint(NETWORK, &self.api, "/refresh_access_token")?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    self.http
                        .client()
                        .get(url.clone())
                        .query(&[("grant_type", "th_refresh_token"), ("access_token", refresh_token.expose_secret())])
                },
                parse_error,
            )
            .await?;
        let mut set = Self::long_lived(&v, vec![])?;
        if set.expires_in.is_none() {
            set.expires_in = Some(Duration::from_secs(60 * 24 * 3600));
        }
        Ok(set)
    }

    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/me")?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || bearer(self.http.client().get(url.clone()), token).query(&[("fields", "id,username,name,threads_profile_picture_url")]),
                parse_error,
            )
            .await?;
        Ok(AccountInfo {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            handle: v["username"].as_str().map(str::to_owned),
            name: v["name"].as_str().map(str::to_owned),
            avatar: v["threads_profile_picture_url"].as_str().and_then(|u| Url::parse(u).ok()),
            server: None,
        })
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let mut progress = Progress::new(NETWORK, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                let (text, media, reply_to) = match part {
                    Part::Item(item) => (item.text.as_str(), item.media.as_slice(), progress.parent()),
                    Part::Comment(c) => (c, &[][..], progress.root()),
                };
                let container = self.item_container(token, account, text, media, reply_to.map(|p| p.id.as_str())).await?;
                let v: Value = self
                    .http
                    .send_json(
                        NETWORK,
                        bearer(self.http.client().post(self.url(&format!("/{}/threads_publish", account.id))?), token)
                            .json(&json!({"creation_id": container})),
                        SendKind::Publish,
                        parse_error,
                    )
                    .await?;
                let id = v["id"]
                    .as_str()
                    .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "Threads published but returned no media id"))?
                    .to_owned();
                Ok(PublishedItem { index, url: self.permalink(token, &id).await, id, cid: None })
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    /// Media: `GET /{media}/insights?metric=views,likes,replies,reposts,quotes,shares`, each
    /// as `{"name", "values": [{"value"}]}`: `views` (times played or displayed), `likes`,
    /// `replies` (`comments`), `quotes`, and `reposts` + `shares` (both ways of passing the
    /// post on, summed as `shares`; each kept apart in `raw`). A media the API no longer has
    /// is gone. Account: `GET /{user}/threads_insights?metric=followers_count` (a total value).
    /// Both need `threads_manage_insights`. Source: Threads API "Insights" (Meta for
    /// Developers, documentation/threads/insights).
    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        let (url, metric) = match query {
            AnalyticsQuery::Post { id } => (self.url(&format!("/{id}/insights"))?, "views,likes,replies,reposts,quotes,shares"),
            AnalyticsQuery::Account => (self.url(&format!("/{}/threads_insights", account.id))?, "followers_count"),
        };
        let answer: Result<Value, _> = self
            .http
            .get_json_or_refusal(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(&[("metric", metric)]), parse_error)
            .await?;
        let v = match answer {
            Ok(v) => v,
            Err(refusal) if matches!(query, AnalyticsQuery::Post { .. }) => return Err(refused_post(NETWORK, &refusal)),
            Err(refusal) => return Err(refusal.error),
        };
        let values = insight_values(&v["data"]);
        let n = |k: &str| values.get(k).and_then(Value::as_u64);
        let raw = Value::Object(values.clone());
        Ok(match query {
            AnalyticsQuery::Post { .. } => {
                let shares = match (n("reposts"), n("shares")) {
                    (None, None) => None,
                    (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
                };
                Analytics::now(
                    raw,
                    [
                        (M::Views, n("views")),
                        (M::Likes, n("likes")),
                        (M::Comments, n("replies")),
                        (M::Shares, shares),
                        (M::Quotes, n("quotes")),
                    ],
                )
            }
            AnalyticsQuery::Account => Analytics::now(raw, [(M::Followers, n("followers_count"))]),
        })
    }

    /// Looks through the user's threads since the attempt (`GET /{user}/threads?since=`)
    /// for one with the same text.
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let url = self.url(&format!("/{}/threads", account.id))?;
        let not_before = query.not_before - chrono::Duration::seconds(5);
        let since = not_before.timestamp().to_string();
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    bearer(self.http.client().get(url.clone()), token).query(&[
                        ("fields", "id,text,timestamp,permalink"),
                        ("since", since.as_str()),
                        ("limit", "25"),
                    ])
                },
                parse_error,
            )
            .await?;
        let found = v["data"].as_array().into_iter().flatten().find(|t| {
            same_text(&query.text, t["text"].as_str().unwrap_or_default())
                && t["timestamp"].as_str().and_then(parse_time).is_none_or(|ts| ts >= not_before)
        });
        Ok(found.and_then(|t| {
            let id = t["id"].as_str()?.to_owned();
            let url = t["permalink"].as_str().and_then(|u| Url::parse(u).ok());
            RemotePost::from_items(vec![PublishedItem { index: 0, url, id, cid: None }])
        }))
    }
}
