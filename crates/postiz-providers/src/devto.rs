//! dev.to (Forem API v1, `https://dev.to/api`): the user pastes an API key made in dev.to's
//! Settings → Extensions; it travels in the `api-key` header with
//! `Accept: application/vnd.forem.api-v1+json` on every request.
//!
//! - the account: `GET /api/users/me` (`id`, `username`, `name`, `profile_image`);
//! - a post is an article: `POST /api/articles` with `{"article": {"title", "body_markdown",
//!   "published": true, "tags", "main_image"?, "canonical_url"?}}`, answered `{id, url}`. The
//!   title and tags are the post's dev.to settings, checked before anything is sent;
//! - images are not uploaded (the API has no upload): each goes into the Markdown by its public
//!   address (`![alt](url)`), or the first one becomes the cover (`main_image`) when the
//!   settings ask for it. A file without a public address is refused before sending. dev.to
//!   shows them through its image proxy from that address, so they last as long as the address
//!   does: the worker's public media URLs expire (`media.public_url_ttl_secs`, an hour by
//!   default), which an article that stays up outlives. Until media get lasting public
//!   addresses, an article's images may stop showing once dev.to's cache lets them go;
//! - numbers and reconciliation read the author's own published articles,
//!   `GET /api/articles/me` (`page_views_count`, `public_reactions_count`, `comments_count`).
//!
//! Errors are `{"error": "…", "status": 422}`: 401 is a revoked key, 422 Forem's refusal of
//! the article (its message kept), 429 comes with `Retry-After`.

use std::collections::HashMap;

use async_trait::async_trait;
use postiz_domain::{DevToSettings, MediaKind, Network, NetworkSettings};
use reqwest::RequestBuilder;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, PerPost};
use crate::common::{endpoint, static_url};
use crate::connection::{AccountInfo, Connection};
use crate::http::{ErrorDetails, HttpClient, SendKind, generic_message};
use crate::publish::{AccountRef, FindQuery, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::DevTo;
const ACCEPT: &str = "application/vnd.forem.api-v1+json";
/// Articles per page of `GET /api/articles/me` (Forem's maximum is 1000).
const PER_PAGE: usize = 100;
/// Pages read when looking for articles (the newest come first).
const MAX_PAGES: usize = 10;

/// The dev.to adapter.
#[derive(Debug, Clone)]
pub struct DevToProvider {
    http: HttpClient,
    base: Url,
}

impl DevToProvider {
    /// An adapter for `https://dev.to`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, base: static_url("https://dev.to") }
    }

    /// Points the adapter at another Forem (tests, a self-hosted Forem community).
    pub fn with_base_url(mut self, base: Url) -> Self {
        self.base = base;
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.base, path)
    }

    /// A request carrying the key and Forem's v1 media type.
    fn request(&self, method: reqwest::Method, url: &Url, token: &SecretString) -> RequestBuilder {
        self.http.client().request(method, url.clone()).header("api-key", token.expose_secret()).header(reqwest::header::ACCEPT, ACCEPT)
    }

    /// The author's published articles, newest first, up to `MAX_PAGES` pages; stops early
    /// once `enough` says so.
    async fn my_articles(&self, token: &SecretString, enough: impl Fn(&[MyArticle]) -> bool) -> Result<Vec<MyArticle>, ProviderError> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut url = self.url("/api/articles/me")?;
            url.query_pairs_mut().append_pair("page", &page.to_string()).append_pair("per_page", &PER_PAGE.to_string());
            let batch: Vec<MyArticle> =
                self.http.get_json(NETWORK, || self.request(reqwest::Method::GET, &url, token), parse_error).await?;
            let last = batch.len() < PER_PAGE;
            all.extend(batch);
            if last || enough(&all) {
                break;
            }
        }
        Ok(all)
    }
}

/// One of the author's articles as `GET /api/articles/me` lists it.
#[derive(Debug, Clone, Deserialize)]
struct MyArticle {
    id: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    body_markdown: Option<String>,
    #[serde(default)]
    published_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    page_views_count: Option<u64>,
    #[serde(default)]
    public_reactions_count: Option<u64>,
    #[serde(default)]
    comments_count: Option<u64>,
}

impl MyArticle {
    fn item(&self) -> PublishedItem {
        PublishedItem { index: 0, id: self.id.to_string(), url: self.url.as_deref().and_then(|u| Url::parse(u).ok()), cid: None }
    }

    fn analytics(&self) -> Analytics {
        let raw = json!({
            "page_views_count": self.page_views_count,
            "public_reactions_count": self.public_reactions_count,
            "comments_count": self.comments_count,
        });
        Analytics::now(
            raw,
            [(M::Views, self.page_views_count), (M::Likes, self.public_reactions_count), (M::Comments, self.comments_count)],
        )
    }
}

/// Forem's errors: `{"error": "…", "status": n}`. The status decides the class (401
/// unauthorized, 422 rejected, 429 rate limited with `Retry-After`, 5xx transient); the
/// message is Forem's own.
fn parse_error(_status: reqwest::StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    ErrorDetails { message: generic_message(body), class: None }
}

/// The article body: the text, then each image by its public address (the cover excepted).
fn markdown(text: &str, images: &[(&str, &Url)]) -> String {
    let mut body = text.trim_end().to_owned();
    for (alt, url) in images {
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        let alt = alt.replace(['[', ']'], "");
        body.push_str(&format!("![{alt}]({url})"));
    }
    body
}

#[async_trait]
impl Provider for DevToProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::ApiKey
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            delete: false,
            post_metrics: &[M::Views, M::Likes, M::Comments],
            account_metrics: &[],
            analytics_batch: PER_PAGE,
            find_published: true,
            idempotent_publish: false,
            targets: false,
        }
    }

    /// The author behind the key (`GET /api/users/me`).
    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/api/users/me")?;
        let v: Value = self.http.get_json(NETWORK, || self.request(reqwest::Method::GET, &url, token), parse_error).await?;
        let text = |k: &str| v[k].as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(AccountInfo {
            id: v["id"].as_u64().map(|n| n.to_string()).unwrap_or_default(),
            handle: text("username"),
            name: text("name"),
            avatar: text("profile_image").and_then(|p| Url::parse(&p).ok()).filter(|u| u.scheme() == "https"),
            server: None,
        })
    }

    async fn publish(&self, token: &SecretString, _account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        if let Some(done) = RemotePost::from_items(post.already_published.clone()) {
            return Ok(done);
        }
        let [item] = post.items.as_slice() else {
            return Err(ProviderError::rejected(
                NETWORK,
                "a dev.to article is one text; remove the replies or publish them as separate articles",
            ));
        };
        if post.first_comment.is_some() {
            return Err(ProviderError::rejected(NETWORK, "dev.to cannot add a first comment through its API; remove it"));
        }
        let settings = match &post.settings {
            NetworkSettings::DevTo(s) => s.clone(),
            _ => DevToSettings::default(),
        };
        if let Some(p) = settings.problems().first() {
            return Err(ProviderError::rejected(NETWORK, p.labelled(NETWORK)));
        }
        let mut images = Vec::with_capacity(item.media.len());
        for m in &item.media {
            if m.kind == MediaKind::Video {
                return Err(ProviderError::rejected(
                    NETWORK,
                    format!("{} is a video; a dev.to article takes images (link the video in the text)", m.filename),
                ));
            }
            let Some(url) = &m.public_url else {
                return Err(ProviderError::rejected(
                    NETWORK,
                    format!("{} has no public address yet, which a dev.to article needs", m.filename),
                ));
            };
            images.push((m.alt.as_deref().unwrap_or(""), url));
        }
        let cover = if settings.first_image_as_cover && !images.is_empty() { Some(images.remove(0).1) } else { None };
        let mut article = json!({
            "title": settings.title.trim(),
            "body_markdown": markdown(&item.text, &images),
            "published": true,
            "tags": settings.normalized_tags(),
        });
        if let Some(cover) = cover {
            article["main_image"] = json!(cover.as_str());
        }
        if let Some(canonical) = settings.canonical_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            article["canonical_url"] = json!(canonical);
        }
        let rb = self.request(reqwest::Method::POST, &self.url("/api/articles")?, token).json(&json!({ "article": article }));
        let v: Value = self.http.send_json(NETWORK, rb, SendKind::Publish, parse_error).await?;
        let id =
            v["id"].as_u64().ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "dev.to created the article but returned no id"))?;
        let url = v["url"].as_str().and_then(|u| Url::parse(u).ok());
        RemotePost::from_items(vec![PublishedItem { index: 0, id: id.to_string(), url, cid: None }])
            .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "dev.to answered without the article"))
    }

    /// The author's published articles since the attempt began whose body starts with the
    /// text sent (images were appended after it).
    async fn find_published(
        &self,
        token: &SecretString,
        _account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let since = query.not_before - chrono::Duration::seconds(5);
        let older = |a: &MyArticle| a.published_at.is_some_and(|t| t < since);
        let articles = self.my_articles(token, |all| all.last().is_some_and(older)).await?;
        let sent = query.text.trim_end();
        // The title sent, when the query carries the settings: two articles may start alike.
        let title = match &query.settings {
            NetworkSettings::DevTo(s) => Some(s.title.trim()),
            _ => None,
        };
        let found = articles.iter().filter(|a| !older(a)).filter(|a| title.is_none_or(|t| a.title.trim() == t)).find(|a| {
            let body = a.body_markdown.as_deref().unwrap_or("");
            same_text(sent, body) || (!sent.is_empty() && body.starts_with(sent))
        });
        tracing::debug!(network = %NETWORK, found = found.map(|a| a.title.as_str()), "looked for the article");
        Ok(found.and_then(|a| RemotePost::from_items(vec![a.item()])))
    }

    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        let AnalyticsQuery::Post { id } = query else {
            return Err(ProviderError::not_supported(NETWORK, "account analytics"));
        };
        let mut per = self.post_analytics_many(token, account, std::slice::from_ref(id)).await?;
        per.pop().map_or_else(|| Err(ProviderError::rejected(NETWORK, "this article no longer exists on dev.to")), |(_, r)| r)
    }

    /// One listing of the author's articles answers every id; an id not among them was
    /// deleted or unpublished.
    async fn post_analytics_many(&self, token: &SecretString, _account: &AccountRef, ids: &[String]) -> Result<PerPost, ProviderError> {
        let wanted: Vec<u64> = ids.iter().filter_map(|i| i.parse().ok()).collect();
        let articles = self
            .my_articles(token, |all| {
                let seen: std::collections::HashSet<u64> = all.iter().map(|a| a.id).collect();
                wanted.iter().all(|w| seen.contains(w))
            })
            .await?;
        let by_id: HashMap<String, &MyArticle> = articles.iter().map(|a| (a.id.to_string(), a)).collect();
        Ok(ids
            .iter()
            .map(|id| {
                let answer = by_id.get(id).map(|a| a.analytics()).ok_or_else(|| {
                    ProviderError::rejected(
                        NETWORK,
                        "this article no longer exists on dev.to (deleted or unpublished), so it has no numbers",
                    )
                });
                (id.clone(), answer)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_follow_the_text_by_address() {
        let a = Url::parse("https://media.example/a.png").unwrap_or_else(|_| unreachable!());
        assert_eq!(markdown("Hello\n", &[("a [cat]", &a)]), "Hello\n\n![a cat](https://media.example/a.png)");
        assert_eq!(markdown("", &[("", &a)]), "![](https://media.example/a.png)");
    }
}
