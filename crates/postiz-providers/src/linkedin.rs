//! LinkedIn, as the member (`urn:li:person:…`) or a company page (`urn:li:organization:…`):
//! OAuth2, `POST /rest/posts` with `LinkedIn-Version` and `X-Restli-Protocol-Version`
//! headers; images (`/rest/images?action=initializeUpload` then PUT) and videos
//! (`/rest/videos?action=initializeUpload`, PUT parts, `finalizeUpload`); the post id comes
//! back in `x-restli-id`; first comments through `/rest/socialActions/{urn}/comments`.
//!
//! Numbers (see [`Provider::analytics`]): member posts from `memberCreatorPostAnalytics`,
//! page posts from `organizationalEntityShareStatistics`, page followers from `networkSizes`.

use async_trait::async_trait;
use postiz_domain::{LinkedInVisibility, MediaKind, Network, NetworkSettings};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, gone, refused_post};
use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuth2Spec, Target};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, SendKind, generic_message};
use crate::publish::{AccountRef, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

/// The API version sent in `LinkedIn-Version` (YYYYMM). LinkedIn supports each version for
/// at least a year; override with [`LinkedInProvider::with_version`].
pub const DEFAULT_VERSION: &str = "202601";

/// Member post statistics, one request per query type (Community Management API, "Member
/// Post Statistics": `memberCreatorPostAnalytics`, entity finder, `aggregation=TOTAL`;
/// needs `r_member_postAnalytics`).
const MEMBER_QUERIES: [(&str, M); 5] = [
    ("IMPRESSION", M::Impressions),
    ("MEMBERS_REACHED", M::Reach),
    ("REACTION", M::Likes),
    ("COMMENT", M::Comments),
    ("RESHARE", M::Shares),
];

/// Percent-encodes a URN for a Rest.li 2.0 query or path (`urn%3Ali%3Ashare%3A1`).
fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// What kind of post a URN names: the member-analytics union member and the share-statistics
/// list parameter.
fn post_kind(network: Network, urn: &str) -> Result<(&'static str, &'static str), ProviderError> {
    if urn.starts_with("urn:li:share:") {
        Ok(("share", "shares"))
    } else if urn.starts_with("urn:li:ugcPost:") {
        Ok(("ugcPost", "ugcPosts"))
    } else {
        Err(ProviderError::rejected(
            network,
            format!("{urn} is not a LinkedIn post id (urn:li:share:… or urn:li:ugcPost:…), so its numbers cannot be read"),
        ))
    }
}

/// The LinkedIn adapter, for members ([`Network::LinkedIn`]) or pages ([`Network::LinkedInPage`]).
#[derive(Debug, Clone)]
pub struct LinkedInProvider {
    http: HttpClient,
    network: Network,
    api: Url,
    version: String,
}

impl LinkedInProvider {
    /// Posting as the member.
    pub fn member(http: HttpClient) -> Self {
        Self { http, network: Network::LinkedIn, api: static_url("https://api.linkedin.com"), version: DEFAULT_VERSION.into() }
    }

    /// Posting as a company page the member administers.
    pub fn page(http: HttpClient) -> Self {
        Self { network: Network::LinkedInPage, ..Self::member(http) }
    }

    /// Points the adapter at another API base (tests).
    pub fn with_base_url(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    /// Changes the `LinkedIn-Version` header.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(self.network, &self.api, path)
    }

    /// Bearer token plus the versioning headers every `/rest` call needs.
    fn rest(&self, rb: RequestBuilder, token: &SecretString) -> RequestBuilder {
        bearer(rb, token).header("LinkedIn-Version", &self.version).header("X-Restli-Protocol-Version", "2.0.0")
    }

    fn author(&self, account: &AccountRef) -> String {
        if account.id.starts_with("urn:li:") {
            return account.id.clone();
        }
        match self.network {
            Network::LinkedInPage => format!("urn:li:organization:{}", account.id),
            _ => format!("urn:li:person:{}", account.id),
        }
    }

    /// A URL with a Rest.li 2.0 query written as is: its `(`, `)`, `:` and `,` are syntax and
    /// must not be percent-encoded, while the values inside are (see [`enc`]).
    fn rest_url(&self, path: &str, query: &str) -> Result<Url, ProviderError> {
        let mut url = self.url(path)?;
        url.set_query(Some(query));
        Ok(url)
    }

    /// A member's post: one `memberCreatorPostAnalytics` request per metric. When the first
    /// is refused with 403 (the app or token lacks `r_member_postAnalytics`), likes and
    /// comments come from `socialActions` instead; any other refusal of the first means the
    /// post is gone. A later query refused on its own only leaves its metric out.
    async fn member_post(&self, token: &SecretString, urn: &str) -> Result<Analytics, ProviderError> {
        let n = self.network;
        let (kind, _) = post_kind(n, urn)?;
        let mut raw = serde_json::Map::new();
        let mut metrics = Vec::new();
        for (i, (query_type, name)) in MEMBER_QUERIES.iter().enumerate() {
            let url = self.rest_url(
                "/rest/memberCreatorPostAnalytics",
                &format!("q=entity&entity=({kind}:{})&queryType={query_type}&aggregation=TOTAL", enc(urn)),
            )?;
            let answer: Result<Value, _> =
                self.http.get_json_or_refusal(n, || self.rest(self.http.client().get(url.clone()), token), parse_error).await?;
            match answer {
                Ok(v) => {
                    let counts: Vec<u64> = v["elements"].as_array().into_iter().flatten().filter_map(|e| e["count"].as_u64()).collect();
                    let count = (!counts.is_empty()).then(|| counts.iter().sum::<u64>());
                    if let Some(c) = count {
                        raw.insert((*query_type).to_owned(), Value::from(c));
                    }
                    metrics.push((*name, count));
                }
                Err(refusal) if i == 0 && refusal.status == StatusCode::FORBIDDEN => return self.social_actions(token, urn).await,
                Err(refusal) if i == 0 => return Err(refused_post(n, &refusal)),
                Err(_) => {}
            }
        }
        Ok(Analytics::now(json!({"memberCreatorPostAnalytics": raw}), metrics))
    }

    /// `GET /rest/socialActions/{urn}`: `likesSummary.totalLikes`,
    /// `commentsSummary.aggregatedTotalComments` (the fallback for member posts).
    async fn social_actions(&self, token: &SecretString, urn: &str) -> Result<Analytics, ProviderError> {
        let url = self.url(&format!("/rest/socialActions/{}", enc(urn)))?;
        let answer: Result<Value, _> =
            self.http.get_json_or_refusal(self.network, || self.rest(self.http.client().get(url.clone()), token), parse_error).await?;
        let v = answer.map_err(|refusal| refused_post(self.network, &refusal))?;
        Ok(Analytics::now(
            json!({"likesSummary": v["likesSummary"], "commentsSummary": v["commentsSummary"]}),
            [(M::Likes, v["likesSummary"]["totalLikes"].as_u64()), (M::Comments, v["commentsSummary"]["aggregatedTotalComments"].as_u64())],
        ))
    }

    /// A page's post: `GET /rest/organizationalEntityShareStatistics?q=organizationalEntity
    /// &organizationalEntity={org}&shares=List({urn})` (or `ugcPosts=List(…)`), lifetime
    /// `totalShareStatistics` (Community Management API, "Organization Share Statistics";
    /// needs `rw_organization_admin`). No element for the post means it is gone.
    async fn page_post(&self, token: &SecretString, account: &AccountRef, urn: &str) -> Result<Analytics, ProviderError> {
        let n = self.network;
        let (_, list) = post_kind(n, urn)?;
        let url = self.rest_url(
            "/rest/organizationalEntityShareStatistics",
            &format!("q=organizationalEntity&organizationalEntity={}&{list}=List({})", enc(&self.author(account)), enc(urn)),
        )?;
        let answer: Result<Value, _> =
            self.http.get_json_or_refusal(n, || self.rest(self.http.client().get(url.clone()), token), parse_error).await?;
        let v = answer.map_err(|refusal| refused_post(n, &refusal))?;
        let elements = v["elements"].as_array().cloned().unwrap_or_default();
        let Some(element) = elements.iter().find(|e| e["share"] == urn || e["ugcPost"] == urn).or_else(|| elements.first()) else {
            return Err(gone(n, None));
        };
        let t = &element["totalShareStatistics"];
        let c = |k: &str| t[k].as_u64();
        Ok(Analytics::now(
            json!({"totalShareStatistics": t}),
            [
                (M::Impressions, c("impressionCount")),
                (M::Reach, c("uniqueImpressionsCount")),
                (M::Clicks, c("clickCount")),
                (M::Likes, c("likeCount")),
                (M::Comments, c("commentCount")),
                (M::Shares, c("shareCount")),
            ],
        ))
    }

    fn post_url(urn: &str) -> Option<Url> {
        Url::parse(&format!("https://www.linkedin.com/feed/update/{urn}/")).ok()
    }

    async fn upload(&self, token: &SecretString, owner: &str, media: &PublishMedia) -> Result<String, ProviderError> {
        let n = self.network;
        match media.kind {
            MediaKind::Image | MediaKind::Gif => {
                let v: Value = self
                    .http
                    .send_json(
                        n,
                        self.rest(self.http.client().post(self.url("/rest/images")?), token)
                            .query(&[("action", "initializeUpload")])
                            .json(&json!({"initializeUploadRequest": {"owner": owner}})),
                        SendKind::Safe,
                        parse_error,
                    )
                    .await?;
                let upload = v["value"]["uploadUrl"].as_str().and_then(|u| Url::parse(u).ok());
                let urn = v["value"]["image"].as_str();
                let (Some(upload), Some(urn)) = (upload, urn) else {
                    return Err(ProviderError::transient(n, "image initializeUpload answered without uploadUrl/image"));
                };
                self.http
                    .send(n, bearer(self.http.client().put(upload), token).body(media.data.clone()), SendKind::Safe, parse_error)
                    .await?;
                Ok(urn.to_owned())
            }
            MediaKind::Video => {
                let v: Value = self
                    .http
                    .send_json(
                        n,
                        self.rest(self.http.client().post(self.url("/rest/videos")?), token).query(&[("action", "initializeUpload")]).json(
                            &json!({"initializeUploadRequest": {
                                "owner": owner,
                                "fileSizeBytes": media.data.len(),
                                "uploadCaptions": false,
                                "uploadThumbnail": false,
                            }}),
                        ),
                        SendKind::Safe,
                        parse_error,
                    )
                    .await?;
                let value = &v["value"];
                let urn = value["video"]
                    .as_str()
                    .ok_or_else(|| ProviderError::transient(n, "video initializeUpload answered without a video urn"))?;
                let mut etags = Vec::new();
                for instr in value["uploadInstructions"].as_array().into_iter().flatten() {
                    let (Some(url), Some(first), Some(last)) = (
                        instr["uploadUrl"].as_str().and_then(|u| Url::parse(u).ok()),
                        instr["firstByte"].as_u64(),
                        instr["lastByte"].as_u64(),
                    ) else {
                        return Err(ProviderError::transient(n, "malformed video upload instruction"));
                    };
                    let (first, last) = (first as usize, (last as usize).min(media.data.len().saturating_sub(1)));
                    let chunk = media.data.slice(first..=last);
                    let resp =
                        self.http.send(n, bearer(self.http.client().put(url), token).body(chunk), SendKind::Safe, parse_error).await?;
                    let etag = resp.headers().get("etag").and_then(|e| e.to_str().ok()).unwrap_or_default().to_owned();
                    etags.push(etag);
                }
                self.http
                    .send(
                        n,
                        self.rest(self.http.client().post(self.url("/rest/videos")?), token).query(&[("action", "finalizeUpload")]).json(
                            &json!({"finalizeUploadRequest": {
                                "video": urn,
                                "uploadToken": value["uploadToken"].as_str().unwrap_or_default(),
                                "uploadedPartIds": etags,
                            }}),
                        ),
                        SendKind::Safe,
                        parse_error,
                    )
                    .await?;
                Ok(urn.to_owned())
            }
        }
    }
}

/// Escapes the characters LinkedIn's "little text" format reserves in `commentary`; left
/// unescaped, text after them can be cut off or the post refused.
pub fn escape_commentary(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '|' | '{' | '}' | '@' | '[' | ']' | '(' | ')' | '<' | '>' | '#' | '*' | '_' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// LinkedIn errors: `{"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN",
/// "message": "…"}`. A 422 "duplicate" means the post already exists.
fn parse_error(status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let message = generic_message(body);
    let code = v["code"].as_str().unwrap_or_default();
    let lower = message.as_deref().unwrap_or_default().to_ascii_lowercase();
    let class = if matches!(code, "INVALID_ACCESS_TOKEN" | "EXPIRED_ACCESS_TOKEN" | "REVOKED_ACCESS_TOKEN") {
        Some(ErrorClass::Unauthorized)
    } else if status == StatusCode::UNPROCESSABLE_ENTITY && lower.contains("duplicate") {
        Some(ErrorClass::Duplicate)
    } else {
        None
    };
    ErrorDetails { message, class }
}

#[async_trait]
impl Provider for LinkedInProvider {
    fn network(&self) -> Network {
        self.network
    }

    fn connection(&self) -> Connection {
        let mut scopes = vec!["openid", "profile", "w_member_social"];
        if self.network == Network::LinkedInPage {
            scopes.extend(["w_organization_social", "r_organization_social", "rw_organization_admin"]);
        }
        Connection::OAuth2(OAuth2Spec {
            auth_url: static_url("https://www.linkedin.com/oauth/v2/authorization"),
            token_url: static_url("https://www.linkedin.com/oauth/v2/accessToken"),
            scopes: scopes.into_iter().map(String::from).collect(),
            scope_separator: " ",
            pkce: false,
            extra_auth_params: vec![],
            client_auth_basic: false,
            custom_refresh: false,
            client_id_param: "client_id",
        })
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(self.network)
    }

    fn capabilities(&self) -> Capabilities {
        let page = self.network == Network::LinkedInPage;
        Capabilities {
            delete: true,
            post_metrics: if page {
                &[M::Impressions, M::Reach, M::Clicks, M::Likes, M::Comments, M::Shares]
            } else {
                &[M::Impressions, M::Reach, M::Likes, M::Comments, M::Shares]
            },
            // A member's follower count has no documented Community Management endpoint.
            account_metrics: if page { &[M::Followers] } else { &[] },
            analytics_batch: 1,
            targets: page,
            ..Capabilities::default()
        }
    }

    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/v2/userinfo")?;
        let v: Value = self.http.get_json(self.network, || bearer(self.http.client().get(url.clone()), token), parse_error).await?;
        Ok(AccountInfo {
            id: v["sub"].as_str().unwrap_or_default().to_owned(),
            handle: None,
            name: v["name"].as_str().map(str::to_owned),
            avatar: v["picture"].as_str().and_then(|u| Url::parse(u).ok()),
            server: None,
        })
    }

    /// Pages the member administers (`organizationAcls`, role ADMINISTRATOR, APPROVED).
    async fn list_targets(&self, token: &SecretString, _account: &AccountRef) -> Result<Vec<Target>, ProviderError> {
        if self.network != Network::LinkedInPage {
            return Err(ProviderError::not_supported(self.network, "listing targets"));
        }
        let url = self.url("/rest/organizationAcls")?;
        let v: Value = self
            .http
            .get_json(
                self.network,
                || {
                    self.rest(self.http.client().get(url.clone()), token).query(&[
                        ("q", "roleAssignee"),
                        ("role", "ADMINISTRATOR"),
                        ("state", "APPROVED"),
                    ])
                },
                parse_error,
            )
            .await?;
        Ok(v["elements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["organization"].as_str())
            .map(|urn| Target::new(urn.trim_start_matches("urn:li:organization:"), urn, "organization"))
            .collect())
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let n = self.network;
        if post.items.len() > 1 {
            return Err(ProviderError::rejected(
                n,
                "LinkedIn does not support threads; remove the replies or publish them as separate posts",
            ));
        }
        let author = self.author(account);
        let visibility = match &post.settings {
            NetworkSettings::LinkedIn(s) => s.visibility.unwrap_or(LinkedInVisibility::Public),
            _ => LinkedInVisibility::Public,
        };
        let mut progress = Progress::new(n, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                match part {
                    Part::Item(item) => {
                        let mut body = json!({
                            "author": author,
                            "commentary": escape_commentary(&item.text),
                            "visibility": visibility,
                            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
                            "lifecycleState": "PUBLISHED",
                            "isReshareDisabledByAuthor": false,
                        });
                        let mut ids = Vec::new();
                        for m in &item.media {
                            ids.push((self.upload(token, &author, m).await?, m));
                        }
                        match ids.as_slice() {
                            [] => {}
                            [(id, m)] => {
                                let mut media = json!({"id": id});
                                if m.kind == MediaKind::Video {
                                    media["title"] = json!(m.filename);
                                } else if let Some(alt) = &m.alt {
                                    media["altText"] = json!(alt);
                                }
                                body["content"] = json!({"media": media});
                            }
                            many => {
                                let images: Vec<Value> = many
                                    .iter()
                                    .map(|(id, m)| match &m.alt {
                                        Some(alt) => json!({"id": id, "altText": alt}),
                                        None => json!({"id": id}),
                                    })
                                    .collect();
                                body["content"] = json!({"multiImage": {"images": images}});
                            }
                        }
                        let resp = self
                            .http
                            .send(
                                n,
                                self.rest(self.http.client().post(self.url("/rest/posts")?), token).json(&body),
                                SendKind::Publish,
                                parse_error,
                            )
                            .await?;
                        let urn = resp
                            .headers()
                            .get("x-restli-id")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                            .ok_or_else(|| ProviderError::outcome_unknown(n, "LinkedIn accepted the post but sent no x-restli-id"))?;
                        Ok(PublishedItem { index, url: Self::post_url(&urn), id: urn, cid: None })
                    }
                    Part::Comment(text) => {
                        let root = progress.root().map(|r| r.id.clone()).unwrap_or_default();
                        let encoded: String = url::form_urlencoded::byte_serialize(root.as_bytes()).collect();
                        let resp = self
                            .http
                            .send(
                                n,
                                self.rest(self.http.client().post(self.url(&format!("/rest/socialActions/{encoded}/comments"))?), token)
                                    .json(&json!({"actor": author, "object": root, "message": {"text": text}})),
                                SendKind::Publish,
                                parse_error,
                            )
                            .await?;
                        let id = resp.headers().get("x-restli-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                        Ok(PublishedItem { index, url: Self::post_url(&root), id, cid: None })
                    }
                }
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    async fn delete(&self, token: &SecretString, _account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        let encoded: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        self.http
            .send(
                self.network,
                self.rest(self.http.client().delete(self.url(&format!("/rest/posts/{encoded}"))?), token),
                SendKind::Safe,
                parse_error,
            )
            .await?;
        Ok(())
    }

    /// Member posts: `memberCreatorPostAnalytics` (impressions, members reached, reactions,
    /// comments, reshares), or `socialActions` likes and comments without that permission.
    /// Page posts: `organizationalEntityShareStatistics` (`impressionCount`,
    /// `uniqueImpressionsCount` as reach, `clickCount`, `likeCount`, `commentCount`,
    /// `shareCount`). Page: `GET /rest/networkSizes/{org}?edgeType=COMPANY_FOLLOWED_BY_MEMBER`
    /// → `firstDegreeSize` followers (`organizationalEntityFollowerStatistics` no longer
    /// returns totals and points there). Sources: learn.microsoft.com/linkedin/marketing/
    /// community-management: members/post-statistics, organizations/share-statistics,
    /// organizations/follower-statistics, organizations/organization-lookup-api.
    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        match (query, self.network) {
            (AnalyticsQuery::Post { id }, Network::LinkedInPage) => self.page_post(token, account, id).await,
            (AnalyticsQuery::Post { id }, _) => self.member_post(token, id).await,
            (AnalyticsQuery::Account, Network::LinkedInPage) => {
                let url =
                    self.rest_url(&format!("/rest/networkSizes/{}", enc(&self.author(account))), "edgeType=COMPANY_FOLLOWED_BY_MEMBER")?;
                let v: Value =
                    self.http.get_json(self.network, || self.rest(self.http.client().get(url.clone()), token), parse_error).await?;
                Ok(Analytics::now(crate::analytics::pick(&v, &["firstDegreeSize"]), [(M::Followers, v["firstDegreeSize"].as_u64())]))
            }
            (AnalyticsQuery::Account, _) => Err(ProviderError::not_supported(self.network, "account analytics")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped_in_commentary() {
        assert_eq!(escape_commentary("Hi (all) #rust @me_too"), r"Hi \(all\) \#rust \@me\_too");
    }
}
