//! TikTok (Content Posting API v2, open.tiktokapis.com).
//!
//! - **OAuth**: TikTok Login Kit v2. The authorization URL names the client `client_key`
//!   (`www.tiktok.com/v2/auth/authorize/`); the code exchange and the refresh go to
//!   `POST /v2/oauth/token/` as a form with `client_key` and `client_secret`, so both are this
//!   adapter's own ([`Provider::exchange_code`], [`Provider::refresh`]). Access tokens live 24
//!   hours, refresh tokens a year (developers.tiktok.com/doc/oauth-user-access-token-management).
//! - **Before every post** `POST /v2/post/publish/creator_info/query/` says which privacy levels
//!   the creator may use, whether comments, duets and stitches are off for the account, and the
//!   longest video the creator may post. A post whose settings the account cannot use is
//!   refused before anything is sent, naming the setting (content-posting-api-reference-query-creator-info).
//! - **Videos**: direct post `POST /v2/post/publish/video/init/` with `post_info` and
//!   `source_info`, or to the creator's inbox (a draft) `POST /v2/post/publish/inbox/video/init/`
//!   with `source_info` only. The source is `PULL_FROM_URL` (`video_url`, the media pipeline's
//!   signed URL; TikTok pulls only from domains verified for the app) when the file has a public
//!   URL, else `FILE_UPLOAD`: the bytes go to the returned `upload_url` in chunks
//!   (`PUT` with `Content-Range: bytes first-last/total`; chunks of 5–64 MB, the last one takes
//!   the remainder, files under 5 MB in one chunk; content-posting-api-media-transfer-guide).
//! - **Photos**: `POST /v2/post/publish/content/init/` with `media_type: PHOTO`, `post_mode`
//!   `DIRECT_POST` or `MEDIA_UPLOAD` (inbox) and `photo_images` URLs (`PULL_FROM_URL` only).
//! - **Status**: `POST /v2/post/publish/status/fetch/ {"publish_id"}` until `PUBLISH_COMPLETE`
//!   (direct posts; `publicaly_available_post_id` [sic] holds the video id once public),
//!   `SEND_TO_USER_INBOX` (drafts: TikTok has no post id until the creator posts it in the app,
//!   so the publish id is recorded as the post's id), or `FAILED` (`fail_reason`). Polling that
//!   runs out after an accepted init is `OutcomeUnknown`: the post may still appear.
//!
//! Every answer has the shape `{"data": {…}, "error": {"code": "ok", "message", "log_id"}}`;
//! errors are classified by `error.code` (see [`parse_error`]).

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use postiz_domain::{
    ComposerOptions, MediaKind, Network, NetworkSettings, TikTokCreatorOptions, TikTokPostMode, TikTokPrivacy, TikTokSettings,
};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, refused_post};
use crate::common::{bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuth2Spec, OAuthClient, TokenSet};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, SendKind, generic_message};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::TikTok;
const SCOPES: [&str; 5] = ["user.info.basic", "user.info.stats", "video.publish", "video.upload", "video.list"];
/// Smallest chunk TikTok takes (files below it go whole).
const MIN_CHUNK: usize = 5 * 1024 * 1024;
/// The chunk size this adapter uses for `FILE_UPLOAD` (TikTok: 5–64 MB).
const CHUNK: usize = 10 * 1024 * 1024;
/// TikTok's daily caps (`spam_risk_too_many_posts`, `reached_active_user_cap`) reset within a day.
const DAILY_CAP_WAIT: Duration = Duration::from_secs(24 * 3600);
/// Too many drafts waiting in the creator's inbox: wait for the creator to handle some.
const PENDING_SHARES_WAIT: Duration = Duration::from_secs(6 * 3600);

/// The TikTok adapter. The account is the user's `open_id`.
#[derive(Debug, Clone)]
pub struct TikTokProvider {
    http: HttpClient,
    api: Url,
}

impl TikTokProvider {
    /// An adapter for `open.tiktokapis.com`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, api: static_url("https://open.tiktokapis.com") }
    }

    /// Points the adapter at another API base (tests).
    pub fn with_base_url(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.api, path)
    }

    /// `POST {path}` with a JSON body, a read (retried on transient failures).
    async fn read(&self, token: &SecretString, path: &str, query: &[(&str, &str)], body: &Value) -> Result<Value, ProviderError> {
        let url = self.url(path)?;
        let v: Value = self
            .http
            .get_json(NETWORK, || bearer(self.http.client().post(url.clone()), token).query(query).json(body), parse_error)
            .await?;
        Ok(v["data"].clone())
    }

    /// The token endpoint, for the code exchange and the refresh.
    async fn token_request(&self, form: &[(&str, &str)]) -> Result<TokenSet, ProviderError> {
        let url = self.url("/v2/oauth/token/")?;
        let v: Value = self.http.send_json(NETWORK, self.http.client().post(url).form(form), SendKind::Safe, parse_token_error).await?;
        // TikTok answers some refusals with HTTP 200 and an `error` field.
        if v["error"].as_str().is_some_and(|c| !c.is_empty()) {
            let body = serde_json::to_vec(&v).unwrap_or_default();
            return Err(crate::http::error_in_body(
                NETWORK,
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                &body,
                SendKind::Safe,
                parse_token_error,
            ));
        }
        let access = v["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ProviderError::transient(NETWORK, "the TikTok token endpoint answered without an access_token"))?;
        Ok(TokenSet {
            access_token: SecretString::from(access.to_owned()),
            refresh_token: v["refresh_token"].as_str().filter(|t| !t.is_empty()).map(|t| SecretString::from(t.to_owned())),
            expires_in: v["expires_in"].as_u64().map(Duration::from_secs),
            refresh_expires_in: v["refresh_expires_in"].as_u64().filter(|s| *s > 0).map(Duration::from_secs),
            scopes: v["scope"].as_str().map(|s| s.split(',').map(str::to_owned).collect()).unwrap_or_default(),
        })
    }

    /// `creator_info/query`: what this creator may do right now.
    async fn creator_info(&self, token: &SecretString) -> Result<TikTokCreatorOptions, ProviderError> {
        let d = self.read(token, "/v2/post/publish/creator_info/query/", &[], &json!({})).await?;
        Ok(TikTokCreatorOptions {
            privacy_levels: d["privacy_level_options"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(TikTokPrivacy::from_api)
                .collect(),
            comment_disabled: d["comment_disabled"].as_bool().unwrap_or(false),
            duet_disabled: d["duet_disabled"].as_bool().unwrap_or(false),
            stitch_disabled: d["stitch_disabled"].as_bool().unwrap_or(false),
            max_video_secs: d["max_video_post_duration_sec"].as_u64(),
            username: d["creator_username"].as_str().map(str::to_owned),
        })
    }

    /// Uploads the bytes of a `FILE_UPLOAD` video to `upload_url` in TikTok's chunks.
    async fn upload_chunks(&self, upload_url: Url, media: &PublishMedia) -> Result<(), ProviderError> {
        let total = media.data.len();
        for (first, last) in chunks(total) {
            let chunk: Bytes = media.data.slice(first..=last);
            self.http
                .send(
                    NETWORK,
                    self.http
                        .client()
                        .put(upload_url.clone())
                        .header("content-type", media.mime.as_str())
                        .header("content-range", format!("bytes {first}-{last}/{total}"))
                        .body(chunk),
                    SendKind::Safe,
                    parse_error,
                )
                .await?;
        }
        Ok(())
    }

    /// Starts the post; returns the `publish_id`. This is the request that may create the post.
    async fn init(
        &self,
        token: &SecretString,
        settings: &TikTokSettings,
        text: &str,
        media: &[PublishMedia],
    ) -> Result<String, ProviderError> {
        let draft = settings.mode == TikTokPostMode::Draft;
        let (path, body, upload) = match media {
            [video] if video.kind == MediaKind::Video => {
                let (source, upload) = match &video.public_url {
                    Some(url) => (json!({"source": "PULL_FROM_URL", "video_url": url.as_str()}), false),
                    None => {
                        let total = video.data.len();
                        let n = chunks(total).len();
                        let chunk_size = if n == 1 { total } else { CHUNK };
                        (json!({"source": "FILE_UPLOAD", "video_size": total, "chunk_size": chunk_size, "total_chunk_count": n}), true)
                    }
                };
                if draft {
                    ("/v2/post/publish/inbox/video/init/", json!({"source_info": source}), upload)
                } else {
                    let mut post_info = post_info(settings);
                    post_info["title"] = json!(text);
                    post_info["disable_duet"] = json!(settings.disable_duet);
                    post_info["disable_stitch"] = json!(settings.disable_stitch);
                    ("/v2/post/publish/video/init/", json!({"post_info": post_info, "source_info": source}), upload)
                }
            }
            photos if !photos.is_empty() && photos.iter().all(|m| m.kind == MediaKind::Image) => {
                let mut urls = Vec::with_capacity(photos.len());
                for p in photos {
                    urls.push(p.public_url.as_ref().map(Url::to_string).ok_or_else(|| {
                        ProviderError::rejected(
                            NETWORK,
                            format!("TikTok pulls photos from a public address, and {} has none; configure public media URLs", p.filename),
                        )
                    })?);
                }
                let mut info = if draft { json!({}) } else { post_info(settings) };
                info["description"] = json!(text);
                if let Some(title) = settings.title.as_deref().filter(|t| !t.trim().is_empty()) {
                    info["title"] = json!(title);
                }
                info["auto_add_music"] = json!(settings.auto_add_music);
                let body = json!({
                    "post_info": info,
                    "source_info": {"source": "PULL_FROM_URL", "photo_cover_index": 0, "photo_images": urls},
                    "post_mode": if draft { "MEDIA_UPLOAD" } else { "DIRECT_POST" },
                    "media_type": "PHOTO",
                });
                ("/v2/post/publish/content/init/", body, false)
            }
            [] => return Err(ProviderError::rejected(NETWORK, "TikTok needs a video or photos; attach one video or up to 35 photos")),
            _ => return Err(ProviderError::rejected(NETWORK, "TikTok takes one video, or photos only; remove the other attachments")),
        };
        let v: Value = self
            .http
            .send_json(NETWORK, bearer(self.http.client().post(self.url(path)?), token).json(&body), SendKind::Publish, parse_error)
            .await?;
        let publish_id = v["data"]["publish_id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "TikTok accepted the post but returned no publish_id"))?
            .to_owned();
        if upload {
            let upload_url = v["data"]["upload_url"].as_str().and_then(|u| Url::parse(u).ok()).ok_or_else(|| {
                // Nothing is posted before the bytes arrive.
                ProviderError::transient(NETWORK, "TikTok started a file upload without an upload_url")
            })?;
            // A failed chunk leaves a publish that never completes: nothing is posted.
            self.upload_chunks(upload_url, &media[0]).await?;
        }
        Ok(publish_id)
    }

    /// Polls `status/fetch` until the post is complete, in the inbox, or failed.
    async fn wait_for(&self, token: &SecretString, publish_id: &str, draft: bool) -> Result<Option<String>, ProviderError> {
        let settings = self.http.settings();
        let deadline = tokio::time::Instant::now() + settings.poll_timeout;
        let mut pause = settings.poll_interval;
        loop {
            // A status read that fails after the init went through must not read as "nothing
            // was posted": the post may be on its way.
            let d = match self.read(token, "/v2/post/publish/status/fetch/", &[], &json!({"publish_id": publish_id})).await {
                Ok(d) => d,
                Err(e @ (ProviderError::Unauthorized { .. } | ProviderError::Transient { .. } | ProviderError::RateLimited { .. })) => {
                    return Err(ProviderError::outcome_awaited(
                        NETWORK,
                        publish_id,
                        format!("TikTok accepted publish {publish_id}, then its status could not be read ({e})"),
                    ));
                }
                Err(e) => return Err(e),
            };
            match d["status"].as_str().unwrap_or_default() {
                "PUBLISH_COMPLETE" => {
                    let id = d["publicaly_available_post_id"]
                        .as_array()
                        .and_then(|ids| ids.first())
                        .and_then(|id| id.as_u64().map(|n| n.to_string()).or_else(|| id.as_str().map(str::to_owned)));
                    return Ok(id);
                }
                "SEND_TO_USER_INBOX" if draft => return Ok(None),
                "FAILED" => return Err(failed(d["fail_reason"].as_str().unwrap_or("unknown"))),
                _ => {}
            }
            if tokio::time::Instant::now() >= deadline {
                // TikTok's post.publish.* notification settles it later (supabase/functions/tiktok-webhooks).
                return Err(ProviderError::outcome_awaited(
                    NETWORK,
                    publish_id,
                    format!("TikTok was still processing publish {publish_id} when we stopped waiting; it may still appear on the profile"),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(settings.poll_interval * 15);
        }
    }

    fn video_url(handle: Option<&str>, id: &str) -> Option<Url> {
        Url::parse(&format!("https://www.tiktok.com/@{}/video/{id}", handle?)).ok()
    }
}

/// The first setting this creator cannot use, as a refusal naming it by its label.
fn refuse(creator: &TikTokCreatorOptions, s: &TikTokSettings, media: &[PublishMedia]) -> Option<ProviderError> {
    let video = media.iter().filter(|m| m.kind == MediaKind::Video);
    let is_video = video.clone().next().is_some();
    let video_ms = video.filter_map(|m| m.duration_ms).max();
    let p = creator.problems(s, is_video, video_ms).into_iter().next()?;
    Some(ProviderError::rejected(NETWORK, p.labelled(NETWORK)))
}

/// `post_info` fields shared by video and photo direct posts.
fn post_info(s: &TikTokSettings) -> Value {
    json!({
        "privacy_level": s.privacy_level.map(TikTokPrivacy::as_str),
        "disable_comment": s.disable_comment,
        "brand_content_toggle": s.brand_content_toggle,
        "brand_organic_toggle": s.brand_organic_toggle,
    })
}

/// The byte ranges of a `FILE_UPLOAD`: whole below 5 MB, else `CHUNK`-sized with the last
/// chunk taking the remainder (TikTok counts `floor(size / chunk_size)` chunks).
fn chunks(total: usize) -> Vec<(usize, usize)> {
    if total == 0 {
        return vec![];
    }
    if total < MIN_CHUNK.max(CHUNK) {
        return vec![(0, total - 1)];
    }
    let n = total / CHUNK;
    (0..n).map(|i| (i * CHUNK, if i + 1 == n { total - 1 } else { (i + 1) * CHUNK - 1 })).collect()
}

/// A `FAILED` status, by `fail_reason` (status/fetch reference). Nothing was posted.
fn failed(reason: &str) -> ProviderError {
    match reason {
        "internal" => ProviderError::transient(NETWORK, "TikTok failed the post with an internal error"),
        "spam_risk_too_many_posts" => ProviderError::RateLimited { network: NETWORK, retry_after: Some(DAILY_CAP_WAIT) },
        "video_pull_failed" | "photo_pull_failed" => ProviderError::rejected(
            NETWORK,
            format!(
                "TikTok could not download the media ({reason}); the media address must be public, not expired, and on a domain verified for the TikTok app"
            ),
        ),
        "file_format_check_failed" | "duration_check_failed" | "frame_rate_check_failed" | "picture_size_check_failed" => {
            ProviderError::rejected(
                NETWORK,
                format!("TikTok refused the file ({reason}); check it against TikTok's format, duration, frame rate and size limits"),
            )
        }
        "auth_removed" => {
            ProviderError::Unauthorized { network: NETWORK, reason: "the creator removed this app's access on TikTok".into() }
        }
        other => ProviderError::rejected(NETWORK, format!("TikTok could not publish the post ({other})")),
    }
}

/// Reads a Content Posting API error body (`{"error": {"code", "message", "log_id"}}`).
///
/// | `error.code` | class |
/// |---|---|
/// | `access_token_invalid`, `scope_not_authorized`, `scope_permission_missed` | `Unauthorized` |
/// | `rate_limit_exceeded` | `RateLimited` (wait from headers, else unknown) |
/// | `spam_risk_too_many_posts`, `reached_active_user_cap` (daily caps) | `RateLimited`, 24 h |
/// | `spam_risk_too_many_pending_share` (5 drafts waiting in the inbox) | `RateLimited`, 6 h |
/// | `spam_risk_user_banned_from_posting`, `unaudited_client_can_only_post_to_private_accounts`, `url_ownership_unverified`, `privacy_level_option_mismatch`, `invalid_param`, … | `Rejected` |
/// | `internal_error` | `Transient` |
///
/// Source: developers.tiktok.com/doc/content-posting-api-reference-direct-post ("Error codes").
fn parse_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let e = &v["error"];
    let Some(code) = e["code"].as_str().filter(|c| !c.is_empty() && *c != "ok") else {
        return ErrorDetails { message: generic_message(body), class: None };
    };
    let text = e["message"].as_str().filter(|m| !m.is_empty()).unwrap_or(code).trim_end_matches('.');
    let hint = match code {
        "unaudited_client_can_only_post_to_private_accounts" => {
            ": this TikTok app is not audited yet, so it may only post with “Only me” as who can view; choose Only me, or have the operator pass TikTok's audit"
        }
        "url_ownership_unverified" => {
            ": TikTok pulls media only from domains verified for the app; the operator must verify the media domain in the TikTok developer portal"
        }
        "privacy_level_option_mismatch" => ": Who can see this post is not a choice this account may use; choose another",
        "spam_risk_user_banned_from_posting" => ": TikTok has stopped this account from posting",
        _ => "",
    };
    let message = format!("{text} ({code}){hint}");
    let class = match code {
        "access_token_invalid" | "scope_not_authorized" | "scope_permission_missed" => Some(ErrorClass::Unauthorized),
        "rate_limit_exceeded" => Some(ErrorClass::RateLimited(None)),
        "spam_risk_too_many_posts" | "reached_active_user_cap" => Some(ErrorClass::RateLimited(Some(DAILY_CAP_WAIT))),
        "spam_risk_too_many_pending_share" => Some(ErrorClass::RateLimited(Some(PENDING_SHARES_WAIT))),
        "internal_error" => Some(ErrorClass::Transient),
        "spam_risk_user_banned_from_posting"
        | "unaudited_client_can_only_post_to_private_accounts"
        | "url_ownership_unverified"
        | "privacy_level_option_mismatch" => Some(ErrorClass::Rejected),
        _ => None,
    };
    ErrorDetails { message: Some(message), class }
}

/// Token endpoint errors: `{"error": "invalid_grant", "error_description", "log_id"}`. A
/// refused code or refresh token means the user must connect again; a refused client is the
/// operator's to fix.
fn parse_token_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = v["error"].as_str().unwrap_or_default();
    let message = v["error_description"].as_str().map(|d| format!("{d} ({code})")).or_else(|| generic_message(body));
    let class = match code {
        "invalid_grant" => Some(ErrorClass::Unauthorized),
        "invalid_client" | "unauthorized_client" | "invalid_request" => Some(ErrorClass::Rejected),
        "rate_limit_exceeded" => Some(ErrorClass::RateLimited(None)),
        "server_error" | "temporarily_unavailable" => Some(ErrorClass::Transient),
        _ => None,
    };
    ErrorDetails { message, class }
}

#[async_trait]
impl Provider for TikTokProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::OAuth2(OAuth2Spec {
            auth_url: static_url("https://www.tiktok.com/v2/auth/authorize/"),
            token_url: static_url("https://open.tiktokapis.com/v2/oauth/token/"),
            scopes: SCOPES.map(String::from).to_vec(),
            scope_separator: ",",
            pkce: false,
            extra_auth_params: vec![],
            client_auth_basic: false,
            custom_refresh: true,
            client_id_param: "client_key",
        })
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            post_metrics: &[M::Views, M::Likes, M::Comments, M::Shares],
            account_metrics: &[M::Followers, M::Following, M::Likes, M::Posts],
            find_published: true,
            ..Capabilities::default()
        }
    }

    /// `POST /v2/oauth/token/` form: `client_key`, `client_secret`, `code`,
    /// `grant_type=authorization_code`, `redirect_uri` (and `code_verifier` when one was sent).
    async fn exchange_code(
        &self,
        client: &OAuthClient,
        code: &SecretString,
        redirect_uri: &Url,
        pkce_verifier: Option<&SecretString>,
    ) -> Result<TokenSet, ProviderError> {
        let secret = client.client_secret.as_ref().ok_or_else(|| {
            ProviderError::rejected(NETWORK, "the TikTok client secret is not configured (POSTIZ_OAUTH_TIKTOK_CLIENT_SECRET)")
        })?;
        let mut form = vec![
            ("client_key", client.client_id.as_str()),
            ("client_secret", secret.expose_secret()),
            ("code", code.expose_secret()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri.as_str()),
        ];
        if let Some(v) = pkce_verifier {
            form.push(("code_verifier", v.expose_secret()));
        }
        self.token_request(&form).await
    }

    /// `POST /v2/oauth/token/` form: `client_key`, `client_secret`, `grant_type=refresh_token`,
    /// `refresh_token`. TikTok may return a new refresh token; the old one is kept otherwise.
    async fn refresh(
        &self,
        client: Option<&OAuthClient>,
        refresh_token: &SecretString,
        _server: Option<&Url>,
    ) -> Result<TokenSet, ProviderError> {
        let client = client.ok_or_else(|| ProviderError::rejected(NETWORK, "no TikTok OAuth client is configured"))?;
        let secret = client.client_secret.as_ref().ok_or_else(|| {
            ProviderError::rejected(NETWORK, "the TikTok client secret is not configured (POSTIZ_OAUTH_TIKTOK_CLIENT_SECRET)")
        })?;
        let mut set = self
            .token_request(&[
                ("client_key", client.client_id.as_str()),
                ("client_secret", secret.expose_secret()),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose_secret()),
            ])
            .await?;
        if set.refresh_token.is_none() {
            set.refresh_token = Some(refresh_token.clone());
        }
        Ok(set)
    }

    /// `GET /v2/user/info/?fields=open_id,union_id,avatar_url,display_name,username`.
    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.url("/v2/user/info/")?;
        let v: Value = self
            .http
            .get_json(
                NETWORK,
                || {
                    bearer(self.http.client().get(url.clone()), token)
                        .query(&[("fields", "open_id,union_id,avatar_url,display_name,username")])
                },
                parse_error,
            )
            .await?;
        let u = &v["data"]["user"];
        Ok(AccountInfo {
            id: u["open_id"].as_str().unwrap_or_default().to_owned(),
            handle: u["username"].as_str().map(str::to_owned),
            name: u["display_name"].as_str().map(str::to_owned),
            avatar: u["avatar_url"].as_str().and_then(|a| Url::parse(a).ok()),
            server: None,
        })
    }

    /// `creator_info/query`: the privacy levels this creator may choose, the interactions the
    /// account has turned off, and the longest video it may post.
    async fn composer_options(&self, token: &SecretString, _account: &AccountRef) -> Result<ComposerOptions, ProviderError> {
        Ok(ComposerOptions { tiktok: Some(self.creator_info(token).await?) })
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        if post.items.len() > 1 {
            return Err(ProviderError::rejected(
                NETWORK,
                "TikTok does not support threads; remove the replies or publish them as separate posts",
            ));
        }
        if post.first_comment.is_some() {
            return Err(ProviderError::rejected(NETWORK, "TikTok does not support a first comment; remove it"));
        }
        if let Some(done) = post.already_published.first() {
            return RemotePost::from_items(vec![done.clone()])
                .ok_or_else(|| ProviderError::rejected(NETWORK, "there is nothing to publish"));
        }
        let item =
            post.items.first().ok_or_else(|| ProviderError::rejected(NETWORK, "there is nothing to publish; add a video or photos"))?;
        let settings = match &post.settings {
            NetworkSettings::TikTok(s) => s.clone(),
            _ => TikTokSettings::default(),
        };
        if let Some(p) = settings.problems().into_iter().next() {
            return Err(ProviderError::rejected(NETWORK, p.labelled(NETWORK)));
        }
        let creator = self.creator_info(token).await?;
        if let Some(refusal) = refuse(&creator, &settings, &item.media) {
            return Err(refusal);
        }
        let draft = settings.mode == TikTokPostMode::Draft;
        let publish_id = self.init(token, &settings, &item.text, &item.media).await?;
        let handle = account.handle.as_deref().or(creator.username.as_deref());
        let published = match self.wait_for(token, &publish_id, draft).await? {
            Some(video_id) => PublishedItem { index: 0, url: Self::video_url(handle, &video_id), id: video_id, cid: None },
            // A draft in the inbox, or a direct post not public (yet): TikTok has no post id,
            // so the publish id stands for the post; recorded like any id, it is never sent
            // again.
            None => PublishedItem { index: 0, url: None, id: publish_id, cid: None },
        };
        RemotePost::from_items(vec![published]).ok_or_else(|| ProviderError::rejected(NETWORK, "there is nothing to publish"))
    }

    /// Posts: `POST /v2/video/query/?fields=id,view_count,like_count,comment_count,share_count`
    /// with `{"filters": {"video_ids": [id]}}`; an id missing from `videos` is gone (a draft's
    /// publish id never has numbers). Account: `GET /v2/user/info/?fields=follower_count,
    /// following_count,likes_count,video_count` (scope `user.info.stats`). Sources:
    /// developers.tiktok.com/doc/tiktok-api-v2-video-query, /doc/tiktok-api-v2-get-user-info.
    async fn analytics(&self, token: &SecretString, _account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        match query {
            AnalyticsQuery::Post { id } => {
                let url = self.url("/v2/video/query/")?;
                let fields = "id,view_count,like_count,comment_count,share_count";
                let body = json!({"filters": {"video_ids": [id]}});
                let answer: Result<Value, _> = self
                    .http
                    .get_json_or_refusal(
                        NETWORK,
                        || bearer(self.http.client().post(url.clone()), token).query(&[("fields", fields)]).json(&body),
                        parse_error,
                    )
                    .await?;
                let v = answer.map_err(|refusal| refused_post(NETWORK, &refusal))?;
                let Some(video) = v["data"]["videos"].as_array().into_iter().flatten().find(|x| x["id"].as_str() == Some(id.as_str()))
                else {
                    return Err(crate::analytics::gone(
                        NETWORK,
                        Some("TikTok does not return it: deleted, made private, or a draft not posted yet"),
                    ));
                };
                let n = |k: &str| video[k].as_u64();
                Ok(Analytics::now(
                    crate::analytics::pick(video, &["view_count", "like_count", "comment_count", "share_count"]),
                    [
                        (M::Views, n("view_count")),
                        (M::Likes, n("like_count")),
                        (M::Comments, n("comment_count")),
                        (M::Shares, n("share_count")),
                    ],
                ))
            }
            AnalyticsQuery::Account => {
                let url = self.url("/v2/user/info/")?;
                let v: Value = self
                    .http
                    .get_json(
                        NETWORK,
                        || {
                            bearer(self.http.client().get(url.clone()), token)
                                .query(&[("fields", "follower_count,following_count,likes_count,video_count")])
                        },
                        parse_error,
                    )
                    .await?;
                let u = &v["data"]["user"];
                let n = |k: &str| u[k].as_u64();
                Ok(Analytics::now(
                    crate::analytics::pick(u, &["follower_count", "following_count", "likes_count", "video_count"]),
                    [
                        (M::Followers, n("follower_count")),
                        (M::Following, n("following_count")),
                        (M::Likes, n("likes_count")),
                        (M::Posts, n("video_count")),
                    ],
                ))
            }
        }
    }

    /// Looks through the creator's recent public videos (`POST /v2/video/list/`) for one with
    /// the same caption since the attempt. Not finding it proves nothing: a post still
    /// processing, not public, or waiting in the inbox is not listed, so that answer is an
    /// error (the worker then asks the user) rather than "safe to publish again".
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let d = self
            .read(token, "/v2/video/list/", &[("fields", "id,title,video_description,create_time,share_url")], &json!({"max_count": 20}))
            .await?;
        let since = (query.not_before - chrono::Duration::seconds(5)).timestamp();
        let found = d["videos"].as_array().into_iter().flatten().find(|v| {
            let caption = v["title"].as_str().or_else(|| v["video_description"].as_str()).unwrap_or_default();
            same_text(&query.text, caption) && v["create_time"].as_i64().is_none_or(|t| t >= since)
        });
        match found.and_then(|v| v["id"].as_str().map(|id| (id.to_owned(), v["share_url"].as_str().and_then(|u| Url::parse(u).ok())))) {
            Some((id, url)) => Ok(RemotePost::from_items(vec![PublishedItem {
                index: 0,
                url: url.or_else(|| Self::video_url(account.handle.as_deref(), &id)),
                id,
                cid: None,
            }])),
            None => Err(ProviderError::rejected(
                NETWORK,
                "TikTok lists only public videos, and none since the attempt has this caption; a post still processing, private or waiting in the inbox can't be seen from here",
            )),
        }
    }
}

/// The composer's label for a TikTok settings field.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_tiktoks_rules() {
        assert_eq!(chunks(1000), vec![(0, 999)]);
        assert_eq!(chunks(CHUNK - 1), vec![(0, CHUNK - 2)]);
        // 25 MB: two chunks of 10 MB, the last one taking the remaining 5 MB too.
        let total = 25 * 1024 * 1024;
        assert_eq!(chunks(total), vec![(0, CHUNK - 1), (CHUNK, total - 1)]);
        assert_eq!(chunks(total).len(), total / CHUNK);
    }
}
