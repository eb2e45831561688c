//! Instagram business and creator accounts through Facebook Login (Instagram API with
//! Facebook Login, `graph.facebook.com`): the long-lived token exchange, Instagram accounts
//! linked to the user's Pages as targets, and the container flow of the content
//! publishing guide:
//!
//! 1. `POST /{ig-user}/media` creates a container: `image_url` (+ `alt_text`), or
//!    `media_type=REELS` + `video_url`; carousels create one container per item
//!    (`is_carousel_item=true`, videos as `media_type=VIDEO`), then a parent with
//!    `media_type=CAROUSEL` and `children`; a story (`InstagramSettings::post_type`) is
//!    `media_type=STORIES` with `image_url` or `video_url` and no caption;
//! 2. `GET /{container}?fields=status_code,status` until `FINISHED`;
//! 3. `POST /{ig-user}/media_publish {"creation_id"}` publishes it (the only step that
//!    creates the visible post).
//!
//! Instagram fetches every file from its public URL (`PublishMedia::public_url`): there
//! is no upload of bytes for feed media. No text-only posts, no threads; the first comment
//! goes to `POST /{media}/comments`.
//!
//! Numbers: the media's `like_count`/`comments_count` fields and its insights; the account's
//! counters and its daily reach (see [`Provider::analytics`]).

use async_trait::async_trait;
use postiz_domain::{InstagramPostType, MediaKind, Network};
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, refused_post};
use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuthClient, Target, TokenSet};
use crate::http::{HttpClient, SendKind};
use crate::meta::{
    ContainerState, DEFAULT_GRAPH_VERSION, exchange_long_lived, facebook_login, insight_values, parse_error, parse_time, public_url,
    wait_for_container,
};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Instagram;
/// Facebook Login permissions for publishing to an Instagram professional account linked to
/// a Page, commenting on its media, reading it back and reading its insights.
const SCOPES: [&str; 6] = [
    "instagram_basic",
    "instagram_content_publish",
    "instagram_manage_comments",
    "instagram_manage_insights",
    "pages_show_list",
    "pages_read_engagement",
];
/// Media insights asked for (Instagram Platform reference, "Instagram Media Insights").
/// `impressions`, `plays` and `video_views` are not asked: Meta retired them in 2025 and asking
/// for them errors on newer media.
const MEDIA_INSIGHTS: &str = "reach,likes,comments,shares,saved,views";
/// The fallback when the media's type does not support all of them: the API refuses the
/// whole request (code 100, "does not support the … metric for this media product type"),
/// and `views`/`shares` are the ones older or album media lack.
const MEDIA_INSIGHTS_BASIC: &str = "reach,likes,comments,saved";

/// The Instagram adapter. The account is the Instagram user id (`AccountRef::id`, from
/// [`Provider::list_targets`]); the token is the long-lived Facebook user token.
#[derive(Debug, Clone)]
pub struct InstagramProvider {
    http: HttpClient,
    graph: Url,
    version: String,
}

impl InstagramProvider {
    /// An adapter for `graph.facebook.com`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, graph: static_url("https://graph.facebook.com"), version: DEFAULT_GRAPH_VERSION.into() }
    }

    /// Points the adapter at another Graph base (tests).
    pub fn with_base_url(mut self, base: Url) -> Self {
        self.graph = base;
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

    async fn container(&self, token: &SecretString, account: &AccountRef, body: Value) -> Result<String, ProviderError> {
        // Creating a container publishes nothing: it expires unused after 24 hours.
        let v: Value = self
            .http
            .send_json(
                NETWORK,
                bearer(self.http.client().post(self.url(&format!("/{}/media", account.id))?), token).json(&body),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        let id = v["id"].as_str().ok_or_else(|| ProviderError::transient(NETWORK, "container creation returned no id"))?.to_owned();
        let url = self.url(&format!("/{id}"))?;
        wait_for_container(&self.http, NETWORK, &url, token, "status_code,status", |v| {
            ContainerState::read(v["status_code"].as_str(), v["status"].as_str())
        })
        .await?;
        Ok(id)
    }

    fn item_body(media: &PublishMedia, carousel: bool) -> Result<Value, ProviderError> {
        let url = public_url(NETWORK, media)?;
        match media.kind {
            MediaKind::Video if carousel => Ok(json!({"media_type": "VIDEO", "video_url": url, "is_carousel_item": true})),
            MediaKind::Video => Ok(json!({"media_type": "REELS", "video_url": url})),
            MediaKind::Image if carousel => Ok(json!({"image_url": url, "is_carousel_item": true})),
            MediaKind::Image => {
                let mut body = json!({"image_url": url});
                if let Some(alt) = media.alt.as_deref().filter(|a| !a.is_empty()) {
                    body["alt_text"] = json!(alt);
                }
                Ok(body)
            }
            MediaKind::Gif => {
                Err(ProviderError::rejected(NETWORK, format!("Instagram does not accept GIFs ({}); convert it to a video", media.filename)))
            }
        }
    }

    /// The container for the main post: a single medium, or a carousel of 2–10, in the feed; one
    /// video as a reel; one image or video as a story.
    async fn main_container(
        &self,
        token: &SecretString,
        account: &AccountRef,
        post_type: InstagramPostType,
        caption: &str,
        media: &[PublishMedia],
    ) -> Result<String, ProviderError> {
        match (post_type, media) {
            (InstagramPostType::Story, [one]) => {
                // Stories have no caption: the text is not sent (the composer says so).
                let url = public_url(NETWORK, one)?;
                let body = match one.kind {
                    MediaKind::Image => json!({"media_type": "STORIES", "image_url": url}),
                    MediaKind::Video => json!({"media_type": "STORIES", "video_url": url}),
                    MediaKind::Gif => {
                        return Err(ProviderError::rejected(
                            NETWORK,
                            format!("Instagram does not accept GIFs ({}); convert it to a video", one.filename),
                        ));
                    }
                };
                return self.container(token, account, body).await;
            }
            (InstagramPostType::Story, other) => {
                return Err(ProviderError::rejected(
                    NETWORK,
                    format!("An Instagram story is one image or video; this post has {} attachments", other.len()),
                ));
            }
            (InstagramPostType::Reel, [one]) if one.kind == MediaKind::Video => {}
            (InstagramPostType::Reel, _) => {
                return Err(ProviderError::rejected(NETWORK, "An Instagram reel is one video; attach one video, or choose Feed post"));
            }
            (InstagramPostType::Feed, _) => {}
        }
        match media {
            [] => Err(ProviderError::rejected(NETWORK, "Instagram needs at least one image or video; attach one")),
            [one] => {
                let mut body = Self::item_body(one, false)?;
                body["caption"] = json!(caption);
                self.container(token, account, body).await
            }
            many if many.len() > 10 => {
                Err(ProviderError::rejected(NETWORK, format!("Instagram allows 10 items in a carousel; this post has {}", many.len())))
            }
            many => {
                let mut children = Vec::with_capacity(many.len());
                for m in many {
                    children.push(self.container(token, account, Self::item_body(m, true)?).await?);
                }
                self.container(token, account, json!({"media_type": "CAROUSEL", "children": children.join(","), "caption": caption})).await
            }
        }
    }

    /// `permalink` of a published medium. A failure here leaves the URL empty: the post is
    /// already live and must be reported as such.
    async fn permalink(&self, token: &SecretString, id: &str) -> Option<Url> {
        let url = self.url(&format!("/{id}")).ok()?;
        let v: Value = self
            .http
            .get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(&[("fields", "permalink")]), parse_error)
            .await
            .ok()?;
        v["permalink"].as_str().and_then(|u| Url::parse(u).ok())
    }
}

#[async_trait]
impl Provider for InstagramProvider {
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
            delete: false,
            post_metrics: &[M::Reach, M::Views, M::Likes, M::Comments, M::Shares, M::Saves],
            account_metrics: &[M::Followers, M::Following, M::Posts, M::Reach],
            analytics_batch: 1,
            find_published: true,
            idempotent_publish: false,
            targets: true,
        }
    }

    /// Swaps the short-lived user token for a long-lived one (about 60 days; the user
    /// reconnects after that: Facebook Login user tokens have no refresh grant).
    async fn after_code_exchange(&self, client: &OAuthClient, tokens: TokenSet) -> Result<TokenSet, ProviderError> {
        exchange_long_lived(&self.http, NETWORK, &self.graph, &self.version, client, tokens).await
    }

    /// The Facebook user behind the token; the Instagram account is chosen in
    /// [`Provider::list_targets`].
    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/me")?;
        let v: Value = self
            .http
            .get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(&[("fields", "id,name")]), parse_error)
            .await?;
        Ok(AccountInfo {
            id: v["id"].as_str().unwrap_or_default().to_owned(),
            handle: None,
            name: v["name"].as_str().map(str::to_owned),
            avatar: None,
            server: None,
        })
    }

    /// Instagram professional accounts linked to the user's Pages
    /// (`/me/accounts?fields=…,instagram_business_account{id,username}`). They publish with
    /// the user token, so targets carry no token of their own.
    async fn list_targets(&self, token: &SecretString, _account: &AccountRef) -> Result<Vec<Target>, ProviderError> {
        let url = self.url("/me/accounts")?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    bearer(self.http.client().get(url.clone()), token)
                        .query(&[("fields", "id,name,instagram_business_account{id,username}"), ("limit", "100")])
                },
                parse_error,
            )
            .await?;
        Ok(v["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|page| {
                let ig = &page["instagram_business_account"];
                let id = ig["id"].as_str()?;
                let name = match (ig["username"].as_str(), page["name"].as_str()) {
                    (Some(u), Some(p)) => format!("@{u} ({p})"),
                    (Some(u), None) => format!("@{u}"),
                    _ => id.to_owned(),
                };
                Some(Target::new(id, name, "instagram_account"))
            })
            .collect())
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        if post.items.len() > 1 {
            return Err(ProviderError::rejected(NETWORK, "Instagram does not support threads; remove the replies or use a carousel"));
        }
        let post_type = post.settings.instagram_post_type();
        if post_type == InstagramPostType::Story && post.first_comment.is_some() {
            return Err(ProviderError::rejected(
                NETWORK,
                "Instagram stories take no comments; remove the first comment, or choose Feed post",
            ));
        }
        let mut progress = Progress::new(NETWORK, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                match part {
                    Part::Item(item) => {
                        let container = self.main_container(token, account, post_type, &item.text, &item.media).await?;
                        let v: Value = self
                            .http
                            .send_json(
                                NETWORK,
                                bearer(self.http.client().post(self.url(&format!("/{}/media_publish", account.id))?), token)
                                    .json(&json!({"creation_id": container})),
                                SendKind::Publish,
                                parse_error,
                            )
                            .await?;
                        let id = v["id"]
                            .as_str()
                            .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "Instagram published but returned no media id"))?
                            .to_owned();
                        Ok(PublishedItem { index, url: self.permalink(token, &id).await, id, cid: None })
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
                            .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "Instagram accepted the comment but returned no id"))?;
                        Ok(PublishedItem { index, id: id.to_owned(), url: root.1, cid: None })
                    }
                }
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    /// Media: the fields `like_count`, `comments_count` (IG Media reference), then
    /// `GET /{media}/insights?metric=reach,likes,comments,shares,saved,views`, retried with
    /// `reach,likes,comments,saved` when the media type refuses some of them; insights the
    /// token may not read (no `instagram_manage_insights`, "not enough viewers") are left out.
    /// A media the Graph no longer has is gone.
    ///
    /// Account: the fields `followers_count`, `follows_count`, `media_count` (IG User
    /// reference), and `GET /{ig-user}/insights?metric=reach&period=day`: the accounts reached
    /// on the last full day of Meta's default range (yesterday through today), left out when
    /// not offered (accounts under 100 followers, missing permission). Sources: Instagram
    /// Platform reference "Instagram Media Insights", "Instagram Account Insights", "IG Media",
    /// "IG User".
    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        let get = |url: Url, params: Vec<(&'static str, &'static str)>| async move {
            self.http
                .get_json_or_refusal::<Value>(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(&params), parse_error)
                .await
        };
        match query {
            AnalyticsQuery::Post { id } => {
                let fields = match get(self.url(&format!("/{id}"))?, vec![("fields", "like_count,comments_count")]).await? {
                    Ok(v) => v,
                    Err(refusal) => return Err(refused_post(NETWORK, &refusal)),
                };
                let insights_url = self.url(&format!("/{id}/insights"))?;
                let insights = match get(insights_url.clone(), vec![("metric", MEDIA_INSIGHTS)]).await? {
                    Ok(v) => insight_values(&v["data"]),
                    // Code 100: a metric this media type does not support. Anything else
                    // (code 10: no permission, or not enough viewers) would refuse the
                    // smaller set too.
                    Err(refusal) if refusal.body["error"]["code"].as_i64() == Some(100) => {
                        match get(insights_url, vec![("metric", MEDIA_INSIGHTS_BASIC)]).await? {
                            Ok(v) => insight_values(&v["data"]),
                            Err(_) => serde_json::Map::new(),
                        }
                    }
                    Err(_) => serde_json::Map::new(),
                };
                let i = |k: &str| insights.get(k).and_then(Value::as_u64);
                let f = |k: &str| fields[k].as_u64();
                let mut raw = crate::analytics::pick(&fields, &["like_count", "comments_count"]);
                if !insights.is_empty() {
                    raw["insights"] = Value::Object(insights.clone());
                }
                Ok(Analytics::now(
                    raw,
                    [
                        (M::Reach, i("reach")),
                        (M::Views, i("views")),
                        (M::Likes, f("like_count").or_else(|| i("likes"))),
                        (M::Comments, f("comments_count").or_else(|| i("comments"))),
                        (M::Shares, i("shares")),
                        (M::Saves, i("saved")),
                    ],
                ))
            }
            AnalyticsQuery::Account => {
                let url = self.url(&format!("/{}", account.id))?;
                let v: Value = self
                    .http
                    .get_json(
                        NETWORK,
                        || {
                            bearer(self.http.client().get(url.clone()), token)
                                .query(&[("fields", "followers_count,follows_count,media_count")])
                        },
                        parse_error,
                    )
                    .await?;
                let insights =
                    match get(self.url(&format!("/{}/insights", account.id))?, vec![("metric", "reach"), ("period", "day")]).await? {
                        Ok(i) => insight_values(&i["data"]),
                        Err(_) => serde_json::Map::new(),
                    };
                let n = |k: &str| v[k].as_u64();
                let mut raw = crate::analytics::pick(&v, &["followers_count", "follows_count", "media_count"]);
                if !insights.is_empty() {
                    raw["insights"] = Value::Object(insights.clone());
                }
                Ok(Analytics::now(
                    raw,
                    [
                        (M::Followers, n("followers_count")),
                        (M::Following, n("follows_count")),
                        (M::Posts, n("media_count")),
                        (M::Reach, insights.get("reach").and_then(Value::as_u64)),
                    ],
                ))
            }
        }
    }

    /// Looks through the account's recent media (`GET /{ig-user}/media`) for one with the
    /// same caption created since the attempt.
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let url = self.url(&format!("/{}/media", account.id))?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    bearer(self.http.client().get(url.clone()), token)
                        .query(&[("fields", "id,caption,timestamp,permalink"), ("limit", "25")])
                },
                parse_error,
            )
            .await?;
        let not_before = query.not_before - chrono::Duration::seconds(5);
        let found = v["data"].as_array().into_iter().flatten().find(|m| {
            same_text(&query.text, m["caption"].as_str().unwrap_or_default())
                && m["timestamp"].as_str().and_then(parse_time).is_some_and(|t| t >= not_before)
        });
        Ok(found.and_then(|m| {
            let id = m["id"].as_str()?.to_owned();
            let url = m["permalink"].as_str().and_then(|u| Url::parse(u).ok());
            RemotePost::from_items(vec![PublishedItem { index: 0, url, id, cid: None }])
        }))
    }
}
