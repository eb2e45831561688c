//! X (formerly Twitter): OAuth2 with PKCE, `POST /2/tweets`, v2 chunked media upload,
//! reply threads, user-timeline reconciliation.

use std::time::Duration;

use async_trait::async_trait;
use chrono::SecondsFormat;
use postiz_domain::{MediaKind, Network, NetworkSettings};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery};
use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuth2Spec};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, SendKind, generic_message};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::X;
/// Append chunk size (the documented examples use 1 MB chunks).
const CHUNK: usize = 1024 * 1024;

/// The X adapter.
#[derive(Debug, Clone)]
pub struct XProvider {
    http: HttpClient,
    api: Url,
}

impl XProvider {
    /// An adapter for `https://api.x.com`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, api: static_url("https://api.x.com") }
    }

    /// Points the adapter at another API base (tests).
    pub fn with_base_url(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.api, path)
    }

    fn post_url(account: &AccountRef, id: &str) -> Option<Url> {
        let s = match &account.handle {
            Some(h) => format!("https://x.com/{h}/status/{id}"),
            None => format!("https://x.com/i/web/status/{id}"),
        };
        Url::parse(&s).ok()
    }

    async fn upload(&self, token: &SecretString, media: &PublishMedia) -> Result<String, ProviderError> {
        let category = match media.kind {
            MediaKind::Image => "tweet_image",
            MediaKind::Gif => "tweet_gif",
            MediaKind::Video => "tweet_video",
        };
        let init: Value = self
            .http
            .send_json(
                NETWORK,
                bearer(self.http.client().post(self.url("/2/media/upload/initialize")?), token).json(&json!({
                    "media_type": media.mime,
                    "total_bytes": media.data.len(),
                    "media_category": category,
                })),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        let id = init["data"]["id"]
            .as_str()
            .ok_or_else(|| ProviderError::transient(NETWORK, "media initialize returned no id"))?
            .to_owned();
        for (index, chunk) in media.data.chunks(CHUNK).enumerate() {
            let part = reqwest::multipart::Part::bytes(chunk.to_vec())
                .file_name(media.filename.clone())
                .mime_str("application/octet-stream")
                .map_err(|e| ProviderError::rejected(NETWORK, format!("bad media type: {e}")))?;
            let form = reqwest::multipart::Form::new().text("segment_index", index.to_string()).part("media", part);
            self.http
                .send(
                    NETWORK,
                    bearer(self.http.client().post(self.url(&format!("/2/media/upload/{id}/append"))?), token).multipart(form),
                    SendKind::Safe,
                    parse_error,
                )
                .await?;
        }
        let fin: Value = self
            .http
            .send_json(
                NETWORK,
                bearer(self.http.client().post(self.url(&format!("/2/media/upload/{id}/finalize"))?), token),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        let mut info = fin["data"]["processing_info"].clone();
        let deadline = tokio::time::Instant::now() + self.http.settings().poll_timeout;
        loop {
            match info["state"].as_str() {
                None | Some("succeeded") => break,
                Some("failed") => {
                    let msg = info["error"]["message"].as_str().unwrap_or("processing failed");
                    return Err(ProviderError::rejected(NETWORK, format!("X could not process {}: {msg}; try another file", media.filename)));
                }
                Some(_) => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(ProviderError::transient(NETWORK, "media still processing"));
                    }
                    let wait = info["check_after_secs"]
                        .as_u64()
                        .map(Duration::from_secs)
                        .unwrap_or(self.http.settings().poll_interval)
                        .min(self.http.settings().poll_timeout);
                    tokio::time::sleep(wait).await;
                    let url = self.url("/2/media/upload")?;
                    let id2 = id.clone();
                    let status: Value = self
                        .http
                        .get_json(
                            NETWORK,
                            || bearer(self.http.client().get(url.clone()), token).query(&[("command", "STATUS"), ("media_id", id2.as_str())]),
                            parse_error,
                        )
                        .await?;
                    info = status["data"]["processing_info"].clone();
                }
            }
        }
        if let Some(alt) = media.alt.as_deref().filter(|a| !a.is_empty()) {
            self.http
                .send(
                    NETWORK,
                    bearer(self.http.client().post(self.url("/2/media/metadata")?), token)
                        .json(&json!({"id": id, "metadata": {"alt_text": {"text": alt}}})),
                    SendKind::Safe,
                    parse_error,
                )
                .await?;
        }
        Ok(id)
    }

    async fn create_tweet(&self, token: &SecretString, body: Value) -> Result<String, ProviderError> {
        #[derive(Deserialize)]
        struct Created {
            data: CreatedData,
        }
        #[derive(Deserialize)]
        struct CreatedData {
            id: String,
        }
        let created: Created = self
            .http
            .send_json(NETWORK, bearer(self.http.client().post(self.url("/2/tweets")?), token).json(&body), SendKind::Publish, parse_error)
            .await?;
        Ok(created.data.id)
    }
}

/// X error bodies: problem details `{"title","detail","type","status"}` or
/// `{"errors":[{"message"}]}`. A 403 "duplicate content" means the post already exists;
/// `"type": ".../usage-capped"` is a rate limit.
fn parse_error(status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let detail = v["detail"].as_str().map(str::to_owned);
    let message = v["errors"][0]["message"]
        .as_str()
        .map(str::to_owned)
        .filter(|_| detail.as_deref().is_none_or(|d| d.starts_with("One or more parameters")))
        .or(detail)
        .or_else(|| generic_message(body));
    let lower = message.as_deref().unwrap_or_default().to_ascii_lowercase();
    let class = if status == StatusCode::FORBIDDEN && lower.contains("duplicate content") {
        Some(ErrorClass::Duplicate)
    } else if v["type"].as_str().is_some_and(|t| t.ends_with("usage-capped")) {
        Some(ErrorClass::RateLimited(None))
    } else {
        None
    };
    ErrorDetails { message, class }
}

#[async_trait]
impl Provider for XProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::OAuth2(OAuth2Spec {
            auth_url: static_url("https://x.com/i/oauth2/authorize"),
            token_url: static_url("https://api.x.com/2/oauth2/token"),
            scopes: ["tweet.read", "tweet.write", "users.read", "media.write", "offline.access"]
                .map(String::from)
                .to_vec(),
            scope_separator: " ",
            pkce: true,
            extra_auth_params: vec![],
            client_auth_basic: true,
            custom_refresh: false,
        })
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { delete: true, post_analytics: true, account_analytics: true, find_published: true, ..Capabilities::default() }
    }

    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/2/users/me")?;
        let v: Value = self
            .http
            .get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(&[("user.fields", "profile_image_url")]), parse_error)
            .await?;
        let d = &v["data"];
        Ok(AccountInfo {
            id: d["id"].as_str().unwrap_or_default().to_owned(),
            handle: d["username"].as_str().map(str::to_owned),
            name: d["name"].as_str().map(str::to_owned),
            avatar: d["profile_image_url"].as_str().and_then(|u| Url::parse(u).ok()),
            server: None,
        })
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
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
                let mut body = json!({ "text": text });
                if !media_ids.is_empty() {
                    body["media"] = json!({ "media_ids": media_ids });
                }
                let reply_to = match part {
                    Part::Comment(_) => progress.root(),
                    Part::Item(_) => progress.parent(),
                };
                if let Some(parent) = reply_to {
                    body["reply"] = json!({ "in_reply_to_tweet_id": parent.id });
                }
                if index == 0
                    && let NetworkSettings::X(s) = &post.settings
                    && let Some(rs) = s.reply_settings
                {
                    body["reply_settings"] = serde_json::to_value(rs).unwrap_or(Value::Null);
                }
                let id = self.create_tweet(token, body).await?;
                Ok(PublishedItem { index, url: Self::post_url(account, &id), id, cid: None })
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    async fn delete(&self, token: &SecretString, _account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        self.http
            .send(NETWORK, bearer(self.http.client().delete(self.url(&format!("/2/tweets/{id}"))?), token), SendKind::Safe, parse_error)
            .await?;
        Ok(())
    }

    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        let (url, field) = match query {
            AnalyticsQuery::Post { id } => (self.url(&format!("/2/tweets/{id}"))?, ("tweet.fields", "public_metrics")),
            AnalyticsQuery::Account => (self.url(&format!("/2/users/{}", account.id))?, ("user.fields", "public_metrics")),
        };
        let v: Value = self.http.get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(&[field]), parse_error).await?;
        let m = &v["data"]["public_metrics"];
        let n = |k: &str| m[k].as_u64();
        Ok(match query {
            AnalyticsQuery::Post { .. } => Analytics::now([
                ("likes", n("like_count")),
                ("reposts", n("retweet_count")),
                ("replies", n("reply_count")),
                ("quotes", n("quote_count")),
                ("impressions", n("impression_count")),
                ("bookmarks", n("bookmark_count")),
            ]),
            _ => Analytics::now([
                ("followers", n("followers_count")),
                ("following", n("following_count")),
                ("posts", n("tweet_count")),
            ]),
        })
    }

    /// Looks through the user's recent posts (`GET /2/users/:id/tweets`, since `not_before`)
    /// for one with the same text, links aside (X rewrites them to t.co).
    async fn find_published(&self, token: &SecretString, account: &AccountRef, query: &FindQuery) -> Result<Option<RemotePost>, ProviderError> {
        let url = self.url(&format!("/2/users/{}/tweets", account.id))?;
        let start = (query.not_before - chrono::Duration::seconds(5)).to_rfc3339_opts(SecondsFormat::Secs, true);
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    bearer(self.http.client().get(url.clone()), token).query(&[
                        ("start_time", start.as_str()),
                        ("max_results", "100"),
                        ("tweet.fields", "created_at"),
                    ])
                },
                parse_error,
            )
            .await?;
        let found = v["data"].as_array().into_iter().flatten().find(|t| t["text"].as_str().is_some_and(|s| same_text(&query.text, s)));
        Ok(found.and_then(|t| {
            let id = t["id"].as_str()?.to_owned();
            RemotePost::from_items(vec![PublishedItem { index: 0, url: Self::post_url(account, &id), id, cid: None }])
        }))
    }
}
