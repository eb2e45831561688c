//! Facebook Pages: Facebook Login (OAuth2) with the long-lived token exchange, Page access
//! tokens offered as targets (`/me/accounts`), and the Pages API:
//!
//! - text: `POST /{page}/feed {"message"}`;
//! - one image: `POST /{page}/photos` (`url`, or the bytes as multipart `source`) with the
//!   text as `caption`; its `post_id` is the post;
//! - several images: each `POST /{page}/photos` with `published=false`, then
//!   `POST /{page}/feed {"message", "attached_media": [{"media_fbid"}]}`;
//! - a video: `POST /{page}/videos` on `graph-video.facebook.com` (`file_url` or multipart
//!   `source`) with the text as `description`;
//! - the first comment: `POST /{post}/comments {"message"}`.
//!
//! Pages have no reply threads, so `PublishRequest`s with more than one item are refused.
//!
//! Numbers: engagement counts as fields of the post, lifetime post insights, and the Page's
//! `followers_count`; several posts are read in one `?ids=` request (see
//! [`Provider::post_analytics_many`]).

use std::collections::HashMap;

use async_trait::async_trait;
use postiz_domain::{MediaKind, Network};
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, PerPost, in_order, one_at_a_time, pick, refused_post, single, unique};
use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuthClient, Target, TokenSet};
use crate::http::{HttpClient, SendKind};
use crate::meta::{DEFAULT_GRAPH_VERSION, exchange_long_lived, facebook_login, insight_values, parse_error, parse_time};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Facebook;
/// Facebook Login permissions for publishing as a Page, reading its posts back and reading
/// their insights (`read_insights`).
const SCOPES: [&str; 5] = ["pages_show_list", "pages_manage_posts", "pages_read_engagement", "pages_manage_engagement", "read_insights"];
/// A multiple-ID read (`GET /?ids=a,b`) takes up to 50 ids (Graph API guide, "Multiple ID
/// Read Requests").
const BATCH: usize = 50;
/// Engagement counts read as fields of a Page post (Graph API reference, Page Post:
/// `reactions` and `comments` edges with `summary(total_count)`, `shares.count`).
const POST_FIELDS: &str = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares";
/// Lifetime post insights (Pages API, "Page Insights" post metrics). `post_media_view` and
/// `post_total_media_view_unique` replace `post_impressions` and `post_impressions_unique`,
/// which Meta retired for all versions in 2025 (Pages API, "Deprecated Page Insights
/// Metrics"; blog "Page Insights API Updates", 2025-08-15).
const POST_INSIGHTS: &str = "insights.metric(post_media_view,post_total_media_view_unique,post_clicks)";

/// A Page post's numbers from one object of a `?ids=` answer. The Graph leaves `shares` out
/// of a post that was never shared, so a readable post without it has zero shares.
fn post_analytics(p: &Value) -> Analytics {
    let insights = insight_values(&p["insights"]["data"]);
    let n = |k: &str| insights.get(k).and_then(Value::as_u64);
    let likes = p["reactions"]["summary"]["total_count"].as_u64();
    let mut raw = serde_json::Map::new();
    for field in ["reactions", "comments"] {
        if !p[field]["summary"].is_null() {
            raw.insert(field.to_owned(), json!({"summary": p[field]["summary"]}));
        }
    }
    if let Some(shares) = p.get("shares") {
        raw.insert("shares".to_owned(), shares.clone());
    }
    if !insights.is_empty() {
        raw.insert("insights".to_owned(), Value::Object(insights.clone()));
    }
    Analytics::now(
        Value::Object(raw),
        [
            (M::Views, n("post_media_view")),
            (M::Reach, n("post_total_media_view_unique")),
            (M::Clicks, n("post_clicks")),
            (M::Likes, likes),
            (M::Comments, p["comments"]["summary"]["total_count"].as_u64()),
            (M::Shares, p["shares"]["count"].as_u64().or(likes.map(|_| 0))),
        ],
    )
}

/// The Facebook Pages adapter. The account is a Page (`AccountRef::id` = Page id) and the
/// token is that Page's access token, as offered by [`Provider::list_targets`].
#[derive(Debug, Clone)]
pub struct FacebookProvider {
    http: HttpClient,
    graph: Url,
    video: Url,
    version: String,
}

impl FacebookProvider {
    /// An adapter for `graph.facebook.com` (videos on `graph-video.facebook.com`).
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            graph: static_url("https://graph.facebook.com"),
            video: static_url("https://graph-video.facebook.com"),
            version: DEFAULT_GRAPH_VERSION.into(),
        }
    }

    /// Points both Graph hosts at another base (tests).
    pub fn with_base_url(mut self, base: Url) -> Self {
        self.graph = base.clone();
        self.video = base;
        self
    }

    /// Changes the Graph API version (`v25.0`).
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.graph, &format!("/{}{path}", self.version))
    }

    fn video_url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.video, &format!("/{}{path}", self.version))
    }

    /// `{page}_{post}` → `https://www.facebook.com/{page}/posts/{post}`.
    fn post_url(id: &str) -> Option<Url> {
        let (page, post) = id.split_once('_')?;
        Url::parse(&format!("https://www.facebook.com/{page}/posts/{post}")).ok()
    }

    fn video_post_url(page: &str, id: &str) -> Option<Url> {
        Url::parse(&format!("https://www.facebook.com/{page}/videos/{id}")).ok()
    }

    /// A photo: by URL when the file has a public address, else the bytes as `source`.
    /// `published=false` stages it for a multi-photo post (not visible, so `Safe`).
    async fn photo(&self, token: &SecretString, page: &str, media: &PublishMedia, caption: Option<&str>) -> Result<Value, ProviderError> {
        let url = self.url(&format!("/{page}/photos"))?;
        let published = caption.is_some();
        let kind = if published { SendKind::Publish } else { SendKind::Safe };
        let rb = bearer(self.http.client().post(url), token);
        let rb = match &media.public_url {
            Some(public) => {
                let mut body = json!({"url": public.as_str(), "published": published});
                if let Some(c) = caption {
                    body["caption"] = json!(c);
                }
                rb.json(&body)
            }
            None => {
                let part = reqwest::multipart::Part::bytes(media.data.to_vec())
                    .file_name(media.filename.clone())
                    .mime_str(&media.mime)
                    .map_err(|e| ProviderError::rejected(NETWORK, format!("bad media type {}: {e}", media.mime)))?;
                let mut form = reqwest::multipart::Form::new().part("source", part).text("published", published.to_string());
                if let Some(c) = caption {
                    form = form.text("caption", c.to_owned());
                }
                rb.multipart(form)
            }
        };
        self.http.send_json(NETWORK, rb, kind, parse_error).await
    }

    async fn video(&self, token: &SecretString, page: &str, media: &PublishMedia, description: &str) -> Result<Value, ProviderError> {
        let rb = bearer(self.http.client().post(self.video_url(&format!("/{page}/videos"))?), token);
        let rb = match &media.public_url {
            Some(public) => rb.json(&json!({"file_url": public.as_str(), "description": description})),
            None => {
                let part = reqwest::multipart::Part::bytes(media.data.to_vec())
                    .file_name(media.filename.clone())
                    .mime_str(&media.mime)
                    .map_err(|e| ProviderError::rejected(NETWORK, format!("bad media type {}: {e}", media.mime)))?;
                rb.multipart(reqwest::multipart::Form::new().part("source", part).text("description", description.to_owned()))
            }
        };
        self.http.send_json(NETWORK, rb, SendKind::Publish, parse_error).await
    }

    /// Publishes the main item; returns its id and URL.
    async fn main_post(
        &self,
        token: &SecretString,
        page: &str,
        text: &str,
        media: &[PublishMedia],
    ) -> Result<(String, Option<Url>), ProviderError> {
        let missing = || ProviderError::outcome_unknown(NETWORK, "Facebook accepted the post but returned no id");
        match media {
            [] => {
                let v: Value = self
                    .http
                    .send_json(
                        NETWORK,
                        bearer(self.http.client().post(self.url(&format!("/{page}/feed"))?), token).json(&json!({"message": text})),
                        SendKind::Publish,
                        parse_error,
                    )
                    .await?;
                let id = v["id"].as_str().ok_or_else(missing)?.to_owned();
                Ok((id.clone(), Self::post_url(&id)))
            }
            [video] if video.kind == MediaKind::Video => {
                let v = self.video(token, page, video, text).await?;
                let id = v["id"].as_str().ok_or_else(missing)?.to_owned();
                Ok((id.clone(), Self::video_post_url(page, &id)))
            }
            [photo] => {
                let v = self.photo(token, page, photo, Some(text)).await?;
                let id = v["post_id"].as_str().or_else(|| v["id"].as_str()).ok_or_else(missing)?.to_owned();
                Ok((id.clone(), Self::post_url(&id)))
            }
            many => {
                if many.iter().any(|m| m.kind == MediaKind::Video) {
                    return Err(ProviderError::rejected(NETWORK, "Facebook posts a video only on its own; remove the other attachments"));
                }
                let mut attached = Vec::with_capacity(many.len());
                for m in many {
                    let v = self.photo(token, page, m, None).await?;
                    let id = v["id"].as_str().ok_or_else(|| ProviderError::transient(NETWORK, "photo upload returned no id"))?;
                    attached.push(json!({"media_fbid": id}));
                }
                let v: Value = self
                    .http
                    .send_json(
                        NETWORK,
                        bearer(self.http.client().post(self.url(&format!("/{page}/feed"))?), token)
                            .json(&json!({"message": text, "attached_media": attached})),
                        SendKind::Publish,
                        parse_error,
                    )
                    .await?;
                let id = v["id"].as_str().ok_or_else(missing)?.to_owned();
                Ok((id.clone(), Self::post_url(&id)))
            }
        }
    }

    /// `GET /{version}/?ids=a,b&fields=…`: `{"a": {…}, "b": {…}}`.
    async fn read_ids(
        &self,
        token: &SecretString,
        ids: &[String],
        fields: &str,
    ) -> Result<Result<Value, crate::http::Refusal>, ProviderError> {
        let url = self.url("/")?;
        let joined = ids.join(",");
        self.http
            .get_json_or_refusal(
                NETWORK,
                || bearer(self.http.client().get(url.clone()), token).query(&[("ids", joined.as_str()), ("fields", fields)]),
                parse_error,
            )
            .await
    }

    /// Up to 50 posts per request, counts and insights together. The Graph refuses a whole
    /// multiple-ID read when one object fails (a deleted post, or insights this token may not
    /// read), so a refused request is asked again without insights, and if that is refused
    /// too, one post at a time (each then gets its own answer: gone, or counts without
    /// insights).
    async fn post_numbers(&self, token: &SecretString, account: &AccountRef, ids: &[String]) -> Result<PerPost, ProviderError> {
        let with_insights = format!("{POST_FIELDS},{POST_INSIGHTS}");
        let mut answers: HashMap<String, Result<Analytics, ProviderError>> = HashMap::new();
        for chunk in unique(ids).chunks(BATCH) {
            let read = match self.read_ids(token, chunk, &with_insights).await? {
                Ok(v) => Ok(v),
                Err(_) => self.read_ids(token, chunk, POST_FIELDS).await?,
            };
            match read {
                Ok(v) => {
                    for id in chunk {
                        if let Some(p) = v.get(id).filter(|p| p.is_object()) {
                            answers.insert(id.clone(), Ok(post_analytics(p)));
                        }
                    }
                }
                Err(refusal) => match chunk {
                    [id] => {
                        answers.insert(id.clone(), Err(refused_post(NETWORK, &refusal)));
                    }
                    many => answers.extend(one_at_a_time(self, token, account, many).await?),
                },
            }
        }
        Ok(in_order(NETWORK, ids, &answers))
    }
}

#[async_trait]
impl Provider for FacebookProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        facebook_login(NETWORK, self.url("/oauth/access_token"), &self.version, &SCOPES)
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            delete: true,
            post_metrics: &[M::Views, M::Reach, M::Clicks, M::Likes, M::Comments, M::Shares],
            account_metrics: &[M::Followers],
            analytics_batch: BATCH,
            find_published: true,
            idempotent_publish: false,
            targets: true,
        }
    }

    /// Swaps the short-lived user token for a long-lived one, so the Page tokens read with
    /// it in [`Provider::list_targets`] do not expire.
    async fn after_code_exchange(&self, client: &OAuthClient, tokens: TokenSet) -> Result<TokenSet, ProviderError> {
        exchange_long_lived(&self.http, NETWORK, &self.graph, &self.version, client, tokens).await
    }

    /// The user (with a user token) or the Page (with a Page token).
    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/me")?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || bearer(self.http.client().get(url.clone()), token).query(&[("fields", "id,name,picture{url}")]),
                parse_error,
            )
            .await?;
        Ok(AccountInfo {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            handle: None,
            name: v["name"].as_str().map(str::to_owned),
            avatar: v["picture"]["data"]["url"].as_str().and_then(|u| Url::parse(u).ok()),
            server: None,
        })
    }

    /// Pages the user can create content on (`GET /me/accounts`), each with its Page access
    /// token: store that token, not the user's, for the chosen Page.
    async fn list_targets(&self, token: &SecretString, _account: &AccountRef) -> Result<Vec<Target>, ProviderError> {
        let url = self.url("/me/accounts")?;
        let mut targets = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..20 {
            let v: Value = self
                .http
                .get_json(
                    NETWORK,
                    || {
                        let rb = bearer(self.http.client().get(url.clone()), token)
                            .query(&[("fields", "id,name,access_token,tasks"), ("limit", "100")]);
                        match &after {
                            Some(cursor) => rb.query(&[("after", cursor.as_str())]),
                            None => rb,
                        }
                    },
                    parse_error,
                )
                .await?;
            for page in v["data"].as_array().into_iter().flatten() {
                let can_post = page["tasks"].as_array().is_none_or(|t| t.iter().any(|t| t == "CREATE_CONTENT"));
                if let (Some(id), true) = (page["id"].as_str(), can_post) {
                    targets.push(Target {
                        id: id.to_owned(),
                        name: page["name"].as_str().unwrap_or(id).to_owned(),
                        kind: "page".into(),
                        access_token: page["access_token"].as_str().map(|t| SecretString::from(t.to_owned())),
                    });
                }
            }
            match (v["paging"]["next"].as_str(), v["paging"]["cursors"]["after"].as_str()) {
                (Some(_), Some(cursor)) => after = Some(cursor.to_owned()),
                _ => break,
            }
        }
        Ok(targets)
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        if post.items.len() > 1 {
            return Err(ProviderError::rejected(
                NETWORK,
                "Facebook Pages do not support threads; remove the replies or publish them as separate posts",
            ));
        }
        let page = account.id.as_str();
        let mut progress = Progress::new(NETWORK, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                match part {
                    Part::Item(item) => {
                        let (id, url) = self.main_post(token, page, &item.text, &item.media).await?;
                        Ok(PublishedItem { index, id, url, cid: None })
                    }
                    Part::Comment(text) => {
                        let root = progress.root().map(|r| (r.id.clone(), r.url.clone())).unwrap_or_default();
                        let v: Value = self
                            .http
                            .send_json(
                                NETWORK,
                                bearer(self.http.client().post(self.url(&format!("/{}/comments", root.0))?), token)
                                    .json(&json!({"message": text})),
                                SendKind::Publish,
                                parse_error,
                            )
                            .await?;
                        let id = v["id"]
                            .as_str()
                            .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "Facebook accepted the comment but returned no id"))?;
                        Ok(PublishedItem { index, id: id.to_owned(), url: root.1, cid: None })
                    }
                }
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    async fn delete(&self, token: &SecretString, _account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        self.http
            .send(NETWORK, bearer(self.http.client().delete(self.url(&format!("/{id}"))?), token), SendKind::Safe, parse_error)
            .await?;
        Ok(())
    }

    /// Post: reactions (`likes`), comments, shares, and lifetime insights `post_media_view`
    /// (`views`), `post_total_media_view_unique` (`reach`), `post_clicks` (`clicks`); insights
    /// this token may not read are left out. Page: `followers_count` (`fan_count`, the Page's
    /// likes, when the Graph gives no follower count). Sources: Graph API reference "Page
    /// Post" and "Page" (fields), Pages API "Page Insights" (metrics).
    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        if let AnalyticsQuery::Post { id } = query {
            return single(NETWORK, self.post_numbers(token, account, std::slice::from_ref(id)).await?);
        }
        let url = self.url(&format!("/{}", account.id))?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || bearer(self.http.client().get(url.clone()), token).query(&[("fields", "followers_count,fan_count")]),
                parse_error,
            )
            .await?;
        Ok(Analytics::now(
            pick(&v, &["followers_count", "fan_count"]),
            [(M::Followers, v["followers_count"].as_u64().or_else(|| v["fan_count"].as_u64()))],
        ))
    }

    /// Up to 50 posts per `?ids=` request; posts missing from the answer are gone.
    async fn post_analytics_many(&self, token: &SecretString, account: &AccountRef, ids: &[String]) -> Result<PerPost, ProviderError> {
        self.post_numbers(token, account, ids).await
    }

    /// Looks through the Page's posts since the attempt (`GET /{page}/published_posts`) for
    /// one with the same text.
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let url = self.url(&format!("/{}/published_posts", account.id))?;
        let not_before = query.not_before - chrono::Duration::seconds(5);
        let since = not_before.timestamp().to_string();
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    bearer(self.http.client().get(url.clone()), token).query(&[
                        ("fields", "id,message,created_time"),
                        ("since", since.as_str()),
                        ("limit", "50"),
                    ])
                },
                parse_error,
            )
            .await?;
        let found = v["data"].as_array().into_iter().flatten().find(|p| {
            p["message"].as_str().is_some_and(|m| same_text(&query.text, m))
                && p["created_time"].as_str().and_then(parse_time).is_none_or(|t| t >= not_before)
        });
        Ok(found.and_then(|p| {
            let id = p["id"].as_str()?.to_owned();
            RemotePost::from_items(vec![PublishedItem { index: 0, url: Self::post_url(&id), id, cid: None }])
        }))
    }
}
