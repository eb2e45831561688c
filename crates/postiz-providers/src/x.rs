//! X (formerly Twitter): OAuth2 with PKCE, `POST /2/tweets`, v2 chunked media upload,
//! reply threads, user-timeline reconciliation.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::SecondsFormat;
use postiz_domain::{MediaKind, Network, NetworkSettings};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{
    Analytics, AnalyticsQuery, MetricName as M, PerPost, gone, in_order, one_at_a_time, pick, refused_post, single, unique,
};
use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuth2Spec};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, Refusal, SendKind, generic_message};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::X;
/// Append chunk size (the documented examples use 1 MB chunks).
const CHUNK: usize = 1024 * 1024;
/// `GET /2/tweets` looks up to 100 posts by id (docs.x.com/x-api/posts/lookup).
const BATCH: usize = 100;
/// Post fields asked for first: the public counts, and the owner-only ones (non-public and
/// organic metrics, for posts of the last 30 days, with a user-context token;
/// docs.x.com/x-api/fundamentals/metrics).
const ALL_METRIC_FIELDS: &str = "public_metrics,non_public_metrics,organic_metrics";
/// The fallback when the owner-only fields are refused.
const PUBLIC_METRIC_FIELDS: &str = "public_metrics";

/// A tweets lookup: the posts found, and the problems reported per id.
#[derive(Default)]
struct Lookup {
    found: HashMap<String, Value>,
    errors: HashMap<String, Value>,
}

/// True for X's field-level refusal (`…/problems/not-authorized-for-field`): the post exists
/// but one of the asked fields may not be read with this token or at this post's age.
fn field_refused(error: &Value) -> bool {
    error["type"].as_str().is_some_and(|t| t.ends_with("/not-authorized-for-field"))
}

/// A post's numbers. Impressions prefer the owner-only count and fall back to the public
/// one; clicks and profile visits exist only in the owner-only objects.
fn tweet_analytics(t: &Value) -> Analytics {
    let (public, private, organic) = (&t["public_metrics"], &t["non_public_metrics"], &t["organic_metrics"]);
    let n = |v: &Value, k: &str| v[k].as_u64();
    Analytics::now(
        pick(t, &["public_metrics", "non_public_metrics", "organic_metrics"]),
        [
            (
                M::Impressions,
                n(private, "impression_count").or_else(|| n(public, "impression_count")).or_else(|| n(organic, "impression_count")),
            ),
            (M::Likes, n(public, "like_count")),
            (M::Shares, n(public, "retweet_count")),
            (M::Comments, n(public, "reply_count")),
            (M::Quotes, n(public, "quote_count")),
            (M::Saves, n(public, "bookmark_count")),
            (M::Clicks, n(private, "url_link_clicks").or_else(|| n(organic, "url_link_clicks"))),
            (M::ProfileViews, n(private, "user_profile_clicks").or_else(|| n(organic, "user_profile_clicks"))),
        ],
    )
}

/// The per-post answer for an id X reported a problem with (or left out).
fn missing_post(error: Option<&Value>) -> ProviderError {
    let detail = error.and_then(|e| e["detail"].as_str());
    match error.and_then(|e| e["type"].as_str()) {
        Some(t) if t.ends_with("/not-authorized-for-resource") => ProviderError::rejected(
            NETWORK,
            format!(
                "X no longer shows this post to this account (it may be protected, or its author suspended), so its numbers can no longer be read{}",
                detail.map(|d| format!(" ({})", d.trim_end_matches('.'))).unwrap_or_default()
            ),
        ),
        _ => gone(NETWORK, detail),
    }
}

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
        let id =
            init["data"]["id"].as_str().ok_or_else(|| ProviderError::transient(NETWORK, "media initialize returned no id"))?.to_owned();
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
                    return Err(ProviderError::rejected(
                        NETWORK,
                        format!("X could not process {}: {msg}; try another file", media.filename),
                    ));
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
                            || {
                                bearer(self.http.client().get(url.clone()), token)
                                    .query(&[("command", "STATUS"), ("media_id", id2.as_str())])
                            },
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

impl XProvider {
    /// `GET /2/tweets?ids=…&tweet.fields=…`. Posts X cannot return come back in `errors`
    /// with HTTP 200 (`resource-not-found` for deleted ones), not as a failure.
    async fn lookup(&self, token: &SecretString, ids: &[String], fields: &str) -> Result<Result<Lookup, Refusal>, ProviderError> {
        let url = self.url("/2/tweets")?;
        let joined = ids.join(",");
        let answer: Result<Value, Refusal> = self
            .http
            .get_json_or_refusal(
                NETWORK,
                || bearer(self.http.client().get(url.clone()), token).query(&[("ids", joined.as_str()), ("tweet.fields", fields)]),
                parse_error,
            )
            .await?;
        Ok(answer.map(|v| {
            let mut lookup = Lookup::default();
            for t in v["data"].as_array().into_iter().flatten() {
                if let Some(id) = t["id"].as_str() {
                    lookup.found.insert(id.to_owned(), t.clone());
                }
            }
            for e in v["errors"].as_array().into_iter().flatten() {
                if let Some(id) = e["resource_id"].as_str().or_else(|| e["value"].as_str()) {
                    lookup.errors.entry(id.to_owned()).or_insert_with(|| e.clone());
                }
            }
            lookup
        }))
    }

    /// Numbers of up to any number of posts, 100 per request. Owner-only fields are asked
    /// for first; posts whose owner-only fields are refused (a 403 for the whole request, or
    /// `not-authorized-for-field` for some posts) are asked again with public fields only.
    /// A request refused as a whole (one malformed id refuses all) is retried one id at a
    /// time, so each post gets its own answer.
    async fn tweet_metrics(&self, token: &SecretString, account: &AccountRef, ids: &[String]) -> Result<PerPost, ProviderError> {
        let mut answers: HashMap<String, Result<Analytics, ProviderError>> = HashMap::new();
        for chunk in unique(ids).chunks(BATCH) {
            let (mut lookup, public_only) = match self.lookup(token, chunk, ALL_METRIC_FIELDS).await? {
                Ok(l) => {
                    let refused: Vec<String> = chunk
                        .iter()
                        .filter(|id| !l.found.contains_key(*id) && l.errors.get(*id).is_some_and(field_refused))
                        .cloned()
                        .collect();
                    (l, refused)
                }
                Err(refusal) if refusal.status == StatusCode::FORBIDDEN => (Lookup::default(), chunk.to_vec()),
                Err(refusal) => {
                    self.refused(token, account, chunk, refusal, &mut answers).await?;
                    continue;
                }
            };
            if !public_only.is_empty() {
                match self.lookup(token, &public_only, PUBLIC_METRIC_FIELDS).await? {
                    Ok(l) => {
                        for id in &public_only {
                            lookup.errors.remove(id);
                        }
                        lookup.found.extend(l.found);
                        lookup.errors.extend(l.errors);
                    }
                    Err(refusal) => {
                        self.refused(token, account, &public_only, refusal, &mut answers).await?;
                        for id in &public_only {
                            lookup.errors.remove(id);
                        }
                    }
                }
            }
            for id in chunk {
                if answers.contains_key(id) {
                    continue;
                }
                let answer = match lookup.found.get(id) {
                    Some(t) => Ok(tweet_analytics(t)),
                    None => Err(missing_post(lookup.errors.get(id))),
                };
                answers.insert(id.clone(), answer);
            }
        }
        Ok(in_order(NETWORK, ids, &answers))
    }

    /// A whole request was refused: a single post's refusal is its answer; several posts are
    /// asked for one at a time.
    async fn refused(
        &self,
        token: &SecretString,
        account: &AccountRef,
        ids: &[String],
        refusal: Refusal,
        answers: &mut HashMap<String, Result<Analytics, ProviderError>>,
    ) -> Result<(), ProviderError> {
        match ids {
            [id] => {
                answers.insert(id.clone(), Err(refused_post(NETWORK, &refusal)));
            }
            many => answers.extend(one_at_a_time(self, token, account, many).await?),
        }
        Ok(())
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
            scopes: ["tweet.read", "tweet.write", "users.read", "media.write", "offline.access"].map(String::from).to_vec(),
            scope_separator: " ",
            pkce: true,
            extra_auth_params: vec![],
            client_auth_basic: true,
            custom_refresh: false,
            client_id_param: "client_id",
        })
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            delete: true,
            post_metrics: &[M::Impressions, M::Likes, M::Shares, M::Comments, M::Quotes, M::Saves, M::Clicks, M::ProfileViews],
            account_metrics: &[M::Followers, M::Following, M::Posts],
            analytics_batch: BATCH,
            find_published: true,
            ..Capabilities::default()
        }
    }

    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/2/users/me")?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || bearer(self.http.client().get(url.clone()), token).query(&[("user.fields", "profile_image_url")]),
                parse_error,
            )
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

    /// Posts: `public_metrics` (`like_count`, `retweet_count`, `reply_count`, `quote_count`,
    /// `bookmark_count`, `impression_count`) and, where the token may read them,
    /// `non_public_metrics`/`organic_metrics` (`impression_count`, `url_link_clicks`,
    /// `user_profile_clicks`), through the same lookup as [`Provider::post_analytics_many`].
    /// Account: `GET /2/users/:id?user.fields=public_metrics` (`followers_count`,
    /// `following_count`, `tweet_count`). Sources: docs.x.com/x-api/fundamentals/metrics,
    /// docs.x.com/x-api/posts/lookup, docs.x.com/x-api/users/lookup.
    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        if let AnalyticsQuery::Post { id } = query {
            return single(NETWORK, self.tweet_metrics(token, account, std::slice::from_ref(id)).await?);
        }
        let url = self.url(&format!("/2/users/{}", account.id))?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || bearer(self.http.client().get(url.clone()), token).query(&[("user.fields", "public_metrics")]),
                parse_error,
            )
            .await?;
        if !v["data"].is_object() {
            // A suspended or deleted account comes back as HTTP 200 with only `errors`.
            let detail = v["errors"][0]["detail"].as_str().unwrap_or("no such account");
            return Err(ProviderError::rejected(
                NETWORK,
                format!("X no longer returns this account ({}); reconnect it or remove it", detail.trim_end_matches('.')),
            ));
        }
        let m = &v["data"]["public_metrics"];
        let n = |k: &str| m[k].as_u64();
        Ok(Analytics::now(
            pick(&v["data"], &["public_metrics"]),
            [(M::Followers, n("followers_count")), (M::Following, n("following_count")), (M::Posts, n("tweet_count"))],
        ))
    }

    /// Up to 100 posts per `GET /2/tweets?ids=` request; ids missing from the answer are gone.
    async fn post_analytics_many(&self, token: &SecretString, account: &AccountRef, ids: &[String]) -> Result<PerPost, ProviderError> {
        self.tweet_metrics(token, account, ids).await
    }

    /// Looks through the user's recent posts (`GET /2/users/:id/tweets`, since `not_before`)
    /// for one with the same text, links aside (X rewrites them to t.co).
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
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
