//! Mastodon: per-instance client registration (`POST /api/v1/apps`), OAuth2 on the
//! instance, `POST /api/v1/statuses` with `Idempotency-Key`, media through
//! `POST /api/v2/media` (202 → poll `GET /api/v1/media/:id`), `in_reply_to_id` threads.

use async_trait::async_trait;
use postiz_domain::{Network, NetworkSettings};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, pick, refused_post};
use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, ClientRegistration, Connection, OAuthClient};
use crate::http::{ErrorDetails, HttpClient, SendKind, generic_message, read_json};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Mastodon;
const SCOPES: [&str; 3] = ["read", "write", "profile"];

/// The Mastodon adapter. Each account names its instance (`AccountRef::server`); the base
/// URL is the default for accounts without one.
#[derive(Debug, Clone)]
pub struct MastodonProvider {
    http: HttpClient,
    default_instance: Url,
}

impl MastodonProvider {
    /// An adapter whose default instance is `https://mastodon.social`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, default_instance: static_url("https://mastodon.social") }
    }

    /// Changes the default instance (tests).
    pub fn with_base_url(mut self, instance: Url) -> Self {
        self.default_instance = instance;
        self
    }

    async fn instance(&self, server: Option<&Url>) -> Result<Url, ProviderError> {
        match server {
            Some(s) if s != &self.default_instance => {
                self.http.check_user_url(NETWORK, s).await?;
                Ok(s.clone())
            }
            _ => Ok(self.default_instance.clone()),
        }
    }

    fn status_url(account: &AccountRef, instance: &Url, v: &Value) -> Option<Url> {
        v["url"].as_str().and_then(|u| Url::parse(u).ok()).or_else(|| {
            let id = v["id"].as_str()?;
            let who = account.handle.as_deref()?;
            endpoint(NETWORK, instance, &format!("/@{who}/{id}")).ok()
        })
    }

    async fn upload(&self, instance: &Url, token: &SecretString, media: &PublishMedia) -> Result<String, ProviderError> {
        let part = reqwest::multipart::Part::bytes(media.data.to_vec())
            .file_name(media.filename.clone())
            .mime_str(&media.mime)
            .map_err(|e| ProviderError::rejected(NETWORK, format!("bad media type {}: {e}", media.mime)))?;
        let mut form = reqwest::multipart::Form::new().part("file", part);
        if let Some(alt) = media.alt.as_deref().filter(|a| !a.is_empty()) {
            form = form.text("description", alt.to_owned());
        }
        let response = self
            .http
            .send(
                NETWORK,
                bearer(self.http.client().post(endpoint(NETWORK, instance, "/api/v2/media")?), token).multipart(form),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        let processing = response.status() == StatusCode::ACCEPTED;
        let v: Value = read_json(NETWORK, response, SendKind::Safe).await?;
        let id = v["id"].as_str().ok_or_else(|| ProviderError::transient(NETWORK, "media upload returned no id"))?.to_owned();
        if processing || v["url"].is_null() {
            // 206 Partial Content while processing, 200 when done.
            let url = endpoint(NETWORK, instance, &format!("/api/v1/media/{id}"))?;
            let deadline = tokio::time::Instant::now() + self.http.settings().poll_timeout;
            loop {
                tokio::time::sleep(self.http.settings().poll_interval).await;
                let response =
                    self.http.send(NETWORK, bearer(self.http.client().get(url.clone()), token), SendKind::Safe, parse_error).await?;
                if response.status() == StatusCode::OK {
                    break;
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(ProviderError::transient(NETWORK, "media still processing"));
                }
            }
        }
        Ok(id)
    }
}

/// Mastodon errors: `{"error": "…"}` (422 validation, 401 invalid token, 404, 429).
fn parse_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    ErrorDetails { message: generic_message(body), class: None }
}

#[async_trait]
impl Provider for MastodonProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::InstanceUrl {
            authorize_path: "/oauth/authorize".into(),
            token_path: "/oauth/token".into(),
            scopes: SCOPES.map(String::from).to_vec(),
        }
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            delete: true,
            post_metrics: &[M::Likes, M::Shares, M::Comments],
            account_metrics: &[M::Followers, M::Following, M::Posts],
            analytics_batch: 1,
            find_published: true,
            idempotent_publish: true,
            targets: false,
        }
    }

    async fn register_client(&self, server: &Url, redirect_uri: &Url, client_name: &str) -> Result<ClientRegistration, ProviderError> {
        let instance = self.instance(Some(server)).await?;
        let v: Value = self
            .http
            .send_json(
                NETWORK,
                self.http.client().post(endpoint(NETWORK, &instance, "/api/v1/apps")?).json(&json!({
                    "client_name": client_name,
                    "redirect_uris": redirect_uri.as_str(),
                    "scopes": SCOPES.join(" "),
                })),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        let client_id =
            v["client_id"].as_str().ok_or_else(|| ProviderError::transient(NETWORK, "app registration returned no client_id"))?;
        Ok(ClientRegistration {
            client: OAuthClient {
                client_id: client_id.to_owned(),
                client_secret: v["client_secret"].as_str().map(|s| SecretString::from(s.to_owned())),
            },
            auth_url: endpoint(NETWORK, &instance, "/oauth/authorize")?,
            token_url: endpoint(NETWORK, &instance, "/oauth/token")?,
            scopes: SCOPES.map(String::from).to_vec(),
        })
    }

    async fn account_info(&self, token: &SecretString, server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let instance = self.instance(server).await?;
        let url = endpoint(NETWORK, &instance, "/api/v1/accounts/verify_credentials")?;
        let v: Value = self.http.get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token), parse_error).await?;
        Ok(AccountInfo {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            handle: v["username"].as_str().map(str::to_owned),
            name: v["display_name"].as_str().filter(|s| !s.is_empty()).map(str::to_owned),
            avatar: v["avatar"].as_str().and_then(|u| Url::parse(u).ok()),
            server: (instance != self.default_instance).then_some(instance),
        })
    }

    /// Each item is sent with `Idempotency-Key: {key}-{index}`: Mastodon returns the status
    /// it already created for a repeated key (kept for an hour), so re-sending a request
    /// after `OutcomeUnknown` does not duplicate it.
    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let instance = self.instance(account.server.as_ref()).await?;
        let statuses = endpoint(NETWORK, &instance, "/api/v1/statuses")?;
        let mut progress = Progress::new(NETWORK, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                let (text, media) = match part {
                    Part::Item(item) => (item.text.as_str(), item.media.as_slice()),
                    Part::Comment(c) => (c, &[][..]),
                };
                let mut media_ids = Vec::with_capacity(media.len());
                for m in media {
                    media_ids.push(self.upload(&instance, token, m).await?);
                }
                let mut body = json!({ "status": text });
                if !media_ids.is_empty() {
                    body["media_ids"] = json!(media_ids);
                }
                let reply_to = match part {
                    Part::Comment(_) => progress.root(),
                    Part::Item(_) => progress.parent(),
                };
                if let Some(parent) = reply_to {
                    body["in_reply_to_id"] = json!(parent.id);
                }
                if let NetworkSettings::Mastodon(s) = &post.settings {
                    if let Some(v) = s.visibility {
                        body["visibility"] = serde_json::to_value(v).unwrap_or(Value::Null);
                    }
                    if let Some(cw) = s.spoiler_text.as_deref().filter(|c| !c.is_empty()) {
                        body["spoiler_text"] = json!(cw);
                    }
                    if s.sensitive {
                        body["sensitive"] = json!(true);
                    }
                    if let Some(lang) = &s.language {
                        body["language"] = json!(lang);
                    }
                }
                let v: Value = self
                    .http
                    .send_json(
                        NETWORK,
                        bearer(self.http.client().post(statuses.clone()), token)
                            .header("Idempotency-Key", post.item_key(index))
                            .json(&body),
                        SendKind::Publish,
                        parse_error,
                    )
                    .await?;
                let id =
                    v["id"].as_str().ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "status created without an id"))?.to_owned();
                Ok(PublishedItem { index, url: Self::status_url(account, &instance, &v), id, cid: None })
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    async fn delete(&self, token: &SecretString, account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        let instance = self.instance(account.server.as_ref()).await?;
        self.http
            .send(
                NETWORK,
                bearer(self.http.client().delete(endpoint(NETWORK, &instance, &format!("/api/v1/statuses/{id}"))?), token),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        Ok(())
    }

    /// The counters of the Status and Account entities (docs.joinmastodon.org/entities/Status,
    /// /entities/Account): `GET /api/v1/statuses/:id` → `favourites_count`, `reblogs_count`,
    /// `replies_count`; `GET /api/v1/accounts/:id` → `followers_count`, `following_count`,
    /// `statuses_count`. A deleted status answers 404 `{"error": "Record not found"}`: gone.
    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        let instance = self.instance(account.server.as_ref()).await?;
        let path = match query {
            AnalyticsQuery::Post { id } => format!("/api/v1/statuses/{id}"),
            _ => format!("/api/v1/accounts/{}", account.id),
        };
        let url = endpoint(NETWORK, &instance, &path)?;
        let answer: Result<Value, _> =
            self.http.get_json_or_refusal(NETWORK, || bearer(self.http.client().get(url.clone()), token), parse_error).await?;
        let v = match answer {
            Ok(v) => v,
            Err(refusal) if matches!(query, AnalyticsQuery::Post { .. }) => return Err(refused_post(NETWORK, &refusal)),
            Err(refusal) => return Err(refusal.error),
        };
        let n = |k: &str| v[k].as_u64();
        Ok(match query {
            AnalyticsQuery::Post { .. } => Analytics::now(
                pick(&v, &["favourites_count", "reblogs_count", "replies_count"]),
                [(M::Likes, n("favourites_count")), (M::Shares, n("reblogs_count")), (M::Comments, n("replies_count"))],
            ),
            _ => Analytics::now(
                pick(&v, &["followers_count", "following_count", "statuses_count"]),
                [(M::Followers, n("followers_count")), (M::Following, n("following_count")), (M::Posts, n("statuses_count"))],
            ),
        })
    }

    /// Scans the account's recent statuses for the same text (HTML stripped) created since
    /// the attempt. Within an hour, re-sending with the same idempotency key is the simpler
    /// reconciliation (see `publish`).
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let instance = self.instance(account.server.as_ref()).await?;
        let url = endpoint(NETWORK, &instance, &format!("/api/v1/accounts/{}/statuses", account.id))?;
        let v: Value = self
            .http
            .get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(&[("limit", "40")]), parse_error)
            .await?;
        let not_before = query.not_before - chrono::Duration::seconds(5);
        let found = v.as_array().into_iter().flatten().find(|s| {
            s["content"].as_str().is_some_and(|c| same_text(&query.text, c))
                && s["created_at"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t.with_timezone(&chrono::Utc) >= not_before)
        });
        Ok(found.and_then(|s| {
            let id = s["id"].as_str()?.to_owned();
            RemotePost::from_items(vec![PublishedItem { index: 0, url: Self::status_url(account, &instance, s), id, cid: None }])
        }))
    }
}
