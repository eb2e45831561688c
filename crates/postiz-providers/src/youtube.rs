//! YouTube (Data API v3, www.googleapis.com).
//!
//! - **OAuth**: Google OAuth 2.0 for web server apps with `access_type=offline` and
//!   `prompt=consent`, so a refresh token comes back on every connect (Google sends one only
//!   on consent), PKCE S256; the standard refresh grant (Google's answer carries no new
//!   refresh token, and the stored one is kept). Scopes `youtube.upload` (videos.insert,
//!   thumbnails.set) and `youtube.readonly` (channels, statistics). Source:
//!   developers.google.com/identity/protocols/oauth2/web-server.
//! - **Channel pick**: `GET /youtube/v3/channels?part=snippet&mine=true` lists the channels of
//!   the signed-in identity; the user picks one between the steps.
//! - **Resumable upload** (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
//!   `POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status` with the
//!   metadata, `X-Upload-Content-Length` and `X-Upload-Content-Type`; the session URI comes
//!   back in `Location`. The bytes go in `PUT`s of a multiple of 256 KiB with
//!   `Content-Range: bytes first-last/total`; `308 Resume Incomplete` with `Range: bytes=0-n`
//!   acknowledges them, `200`/`201` with the video resource ends the upload. When a chunk's
//!   answer is lost (timeout, reset, 5xx), the session is asked `PUT` with
//!   `Content-Range: bytes */total`: its `Range` says where to resume, or it answers with the
//!   video when the upload had in fact completed. The video exists only once the last byte
//!   is in, so an upload that never completes leaves nothing on the channel.
//! - **Thumbnail**: an image after the video is sent to `POST /upload/youtube/v3/thumbnails/set?videoId=`;
//!   the video is live by then, so a refused thumbnail (unverified channels may not set one)
//!   is logged and the post stands.
//! - **Quota**: a project has 10,000 units a day; an upload costs 1,600 (quota calculator).
//!   `quotaExceeded` waits until the quota resets (midnight Pacific time), `uploadLimitExceeded`
//!   (the channel's own daily upload cap) a day.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Timelike, Utc};
use postiz_domain::{MediaKind, Network, NetworkSettings, YouTubePrivacy, YouTubeSettings};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use crate::analytics::{Analytics, AnalyticsQuery, MetricName as M, pick, refused_post};
use crate::common::{bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuth2Spec, Target};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, SendKind, classify, generic_message, read_json, transport_error};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::YouTube;
const SCOPES: [&str; 2] = ["https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.readonly"];
/// Upload chunks must be multiples of 256 KiB (the last one excepted).
pub const CHUNK_UNIT: usize = 256 * 1024;
/// Default chunk: 8 MiB.
const DEFAULT_CHUNK: usize = 32 * CHUNK_UNIT;
/// Times an interrupted upload is resumed within one publish before giving up.
const MAX_RESUMES: u32 = 5;
/// `uploadLimitExceeded`: the channel's daily upload cap.
const UPLOAD_CAP_WAIT: Duration = Duration::from_secs(24 * 3600);

/// The YouTube adapter. The account is the channel id (`UC…`).
#[derive(Debug, Clone)]
pub struct YouTubeProvider {
    http: HttpClient,
    api: Url,
    token_url: Url,
    chunk: usize,
}

impl YouTubeProvider {
    /// An adapter for `www.googleapis.com`.
    pub fn new(http: HttpClient) -> Self {
        Self {
            http,
            api: static_url("https://www.googleapis.com"),
            token_url: static_url("https://oauth2.googleapis.com/token"),
            chunk: DEFAULT_CHUNK,
        }
    }

    /// Points the OAuth token endpoint elsewhere (tests).
    pub fn with_token_url(mut self, token_url: Url) -> Self {
        self.token_url = token_url;
        self
    }

    /// Points the adapter at another API base (tests).
    pub fn with_base_url(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    /// Upload chunk size, rounded down to a multiple of 256 KiB (at least one unit).
    pub fn with_chunk_size(mut self, bytes: usize) -> Self {
        self.chunk = (bytes / CHUNK_UNIT).max(1) * CHUNK_UNIT;
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.api, path)
    }

    async fn get(&self, token: &SecretString, path: &str, query: &[(&str, &str)]) -> Result<Value, ProviderError> {
        let url = self.url(path)?;
        self.http.get_json(NETWORK, || bearer(self.http.client().get(url.clone()), token).query(query), parse_error).await
    }

    /// Opens an upload session; its URI is where the bytes go.
    async fn open_session(
        &self,
        token: &SecretString,
        settings: &YouTubeSettings,
        description: &str,
        video: &PublishMedia,
    ) -> Result<Url, ProviderError> {
        let mut snippet = json!({"title": settings.title.trim(), "description": description});
        if !settings.tags.is_empty() {
            snippet["tags"] = json!(settings.tags);
        }
        if let Some(c) = &settings.category_id {
            snippet["categoryId"] = json!(c);
        }
        let body = json!({
            "snippet": snippet,
            "status": {
                "privacyStatus": settings.privacy.unwrap_or(YouTubePrivacy::Public).as_str(),
                "selfDeclaredMadeForKids": settings.made_for_kids,
            },
        });
        let request = bearer(self.http.client().post(self.url("/upload/youtube/v3/videos")?), token)
            .query(&[("uploadType", "resumable"), ("part", "snippet,status")])
            .header("x-upload-content-length", video.data.len().to_string())
            .header("x-upload-content-type", video.mime.as_str())
            .json(&body);
        // Opening a session creates nothing on the channel.
        let response = self.http.send(NETWORK, request, SendKind::Safe, parse_error).await?;
        // Google sends an absolute URI; a relative one is read against the request's.
        response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| response.url().join(l).ok())
            .ok_or_else(|| ProviderError::transient(NETWORK, "YouTube opened an upload session without a Location"))
    }

    /// Sends the bytes from `from` on, chunk by chunk; after a lost answer asks the session
    /// where it stands and resumes there. Returns the video resource.
    async fn upload(&self, token: &SecretString, session: &Url, video: &PublishMedia) -> Result<Value, ProviderError> {
        let total = video.data.len();
        let mut from = 0usize;
        let mut resumes = 0u32;
        loop {
            let last = (from + self.chunk).min(total) - 1;
            let request = bearer(self.http.client().put(session.clone()), token)
                .header("content-type", video.mime.as_str())
                .header("content-range", format!("bytes {from}-{last}/{total}"))
                .body(video.data.slice(from..=last));
            let answer = match request.send().await {
                Ok(response) => self.session_answer(response).await,
                Err(e) => Err(transport_error(NETWORK, e, SendKind::Publish)),
            };
            match answer {
                Ok(SessionState::Done(v)) => return Ok(v),
                Ok(SessionState::Received(next)) => from = next,
                Ok(SessionState::Gone) => return Err(expired()),
                // The answer was lost (timeout, reset, gateway timeout): the chunk may or may not
                // be in, and the last one may have completed the video. The session knows.
                // (A 5xx is an answer: that chunk failed and no video came of it, `Transient`.)
                Err(e @ ProviderError::OutcomeUnknown { .. }) => {
                    resumes += 1;
                    if resumes > MAX_RESUMES {
                        return Err(e);
                    }
                    tracing::warn!(network = %NETWORK, error = %e, "upload chunk unanswered; asking the session where to resume");
                    match self.ask_session(token, session, total, &e).await? {
                        SessionState::Done(v) => return Ok(v),
                        SessionState::Received(next) => from = next,
                        SessionState::Gone => return Err(expired()),
                    }
                }
                Err(e) => return Err(e),
            }
            if from >= total {
                // Every byte acknowledged but no resource: ask once more.
                return match self.ask_session(token, session, total, &ProviderError::outcome_unknown(NETWORK, "all bytes sent")).await? {
                    SessionState::Done(v) => Ok(v),
                    SessionState::Received(_) => {
                        Err(ProviderError::outcome_unknown(NETWORK, "YouTube received every byte but did not return the video"))
                    }
                    SessionState::Gone => Err(expired()),
                };
            }
        }
    }

    /// `PUT {session}` with `Content-Range: bytes */total`: how much the session holds.
    async fn ask_session(
        &self,
        token: &SecretString,
        session: &Url,
        total: usize,
        cause: &ProviderError,
    ) -> Result<SessionState, ProviderError> {
        let mut attempt = 0;
        loop {
            let request = bearer(self.http.client().put(session.clone()), token)
                .header("content-range", format!("bytes */{total}"))
                .header("content-length", "0");
            let answer = match request.send().await {
                Ok(response) => self.session_answer(response).await,
                Err(e) => Err(transport_error(NETWORK, e, SendKind::Safe)),
            };
            match answer {
                Err(ProviderError::Transient { .. }) if attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(self.http.settings().poll_interval * attempt).await;
                }
                // The session can't say: the last chunk may have completed the video.
                Err(ProviderError::Transient { source, .. }) => {
                    return Err(ProviderError::outcome_unknown(
                        NETWORK,
                        format!("the upload was interrupted ({cause}) and its session could not be asked ({source})"),
                    ));
                }
                other => return other,
            }
        }
    }

    /// Reads a session's answer: 200/201 with the video, 308 with how much it holds.
    async fn session_answer(&self, response: reqwest::Response) -> Result<SessionState, ProviderError> {
        match response.status().as_u16() {
            200 | 201 => Ok(SessionState::Done(read_json(NETWORK, response, SendKind::Publish).await?)),
            308 => {
                // `Range: bytes=0-n`, absent when nothing was received yet.
                let next = response
                    .headers()
                    .get("range")
                    .and_then(|r| r.to_str().ok())
                    .and_then(|r| r.rsplit('-').next())
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .map_or(0, |n| n + 1);
                Ok(SessionState::Received(next))
            }
            404 | 410 => Ok(SessionState::Gone),
            _ => match classify(NETWORK, response, SendKind::Publish, parse_error).await {
                Ok(_) => Err(ProviderError::outcome_unknown(NETWORK, "unexpected success status from the upload session")),
                Err(e) => Err(e),
            },
        }
    }

    /// `thumbnails.set`; the video is live, so a refusal is logged, not returned.
    async fn set_thumbnail(&self, token: &SecretString, video_id: &str, image: &PublishMedia) {
        let Ok(url) = self.url("/upload/youtube/v3/thumbnails/set") else { return };
        let request = bearer(self.http.client().post(url), token)
            .query(&[("videoId", video_id), ("uploadType", "media")])
            .header("content-type", image.mime.as_str())
            .body(image.data.clone());
        if let Err(e) = self.http.send(NETWORK, request, SendKind::Safe, parse_error).await {
            tracing::warn!(network = %NETWORK, error = %e, "the video is published; its custom thumbnail was refused");
        }
    }

    fn watch_url(id: &str, short: bool) -> Option<Url> {
        Url::parse(&if short { format!("https://www.youtube.com/shorts/{id}") } else { format!("https://www.youtube.com/watch?v={id}") })
            .ok()
    }
}

/// Where an upload session stands.
enum SessionState {
    /// The upload is complete: the video resource.
    Done(Value),
    /// The session holds the bytes before this offset.
    Received(usize),
    /// The session expired (404/410): it never became a video.
    Gone,
}

/// An expired session: nothing was created, so starting again is safe.
fn expired() -> ProviderError {
    ProviderError::transient(NETWORK, "the upload session expired before the video was complete")
}

/// The composer's label for a YouTube settings field.
fn setting_label(field: &str) -> &'static str {
    match field {
        "title" => "Title",
        "tags" => "Tags",
        "category_id" => "Category",
        "privacy" => "Visibility",
        _ => "YouTube settings",
    }
}

/// The next reset of the daily quota: midnight Pacific time, taken as 08:00 UTC (midnight
/// PST; during daylight saving the reset comes an hour earlier and we wait an hour longer).
fn until_quota_reset(now: DateTime<Utc>) -> Duration {
    let today = now.date_naive().and_hms_opt(8, 0, 0).map(|t| t.and_utc());
    let next = match today {
        Some(t) if t > now => t,
        Some(t) => t + chrono::Duration::days(1),
        None => now + chrono::Duration::hours(24 - i64::from(now.hour())),
    };
    (next - now).to_std().unwrap_or(Duration::from_secs(3600))
}

/// Reads a Google API error body:
/// `{"error": {"code": 403, "message", "errors": [{"domain", "reason", "message"}], "status"}}`.
///
/// | `reason` | class |
/// |---|---|
/// | `quotaExceeded` (domain `youtube.quota`) | `RateLimited` until the daily quota resets |
/// | `uploadLimitExceeded` | `RateLimited`, a day |
/// | `rateLimitExceeded`, `userRateLimitExceeded` | `RateLimited` (headers) |
/// | `authError`, `invalidCredentials`, `insufficientPermissions` | `Unauthorized` |
/// | `youtubeSignupRequired` (the Google account has no channel) | `Rejected` |
/// | `invalidTitle`, `invalidDescription`, `invalidTags`, `invalidCategoryId`, `forbidden`… | `Rejected` |
/// | `backendError`, `internalError` | `Transient` |
///
/// Sources: developers.google.com/youtube/v3/docs/errors, …/docs/videos/insert#errors.
fn parse_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let e = &v["error"];
    if !e.is_object() {
        return ErrorDetails { message: generic_message(body), class: None };
    }
    let reason = e["errors"][0]["reason"].as_str().unwrap_or_default();
    let text = e["message"].as_str().or_else(|| e["errors"][0]["message"].as_str()).unwrap_or("error").trim_end_matches('.');
    let hint = match reason {
        "quotaExceeded" => {
            ": the YouTube API quota of this server's Google project is spent for today (an upload costs 1,600 of 10,000 units); it resets at midnight Pacific time"
        }
        "uploadLimitExceeded" => ": this channel has reached its daily upload limit",
        "youtubeSignupRequired" => ": this Google account has no YouTube channel; create one, then connect again",
        "invalidTitle" => ": Title is missing, too long or has < or >",
        "invalidTags" => ": Tags are too long together",
        "invalidCategoryId" => ": Category is not one YouTube offers",
        _ => "",
    };
    let message = if reason.is_empty() { text.to_owned() } else { format!("{text} ({reason}){hint}") };
    let class = match reason {
        "quotaExceeded" => Some(ErrorClass::RateLimited(Some(until_quota_reset(Utc::now())))),
        "uploadLimitExceeded" => Some(ErrorClass::RateLimited(Some(UPLOAD_CAP_WAIT))),
        "rateLimitExceeded" | "userRateLimitExceeded" => Some(ErrorClass::RateLimited(None)),
        "authError" | "invalidCredentials" | "insufficientPermissions" => Some(ErrorClass::Unauthorized),
        "youtubeSignupRequired" | "invalidTitle" | "invalidDescription" | "invalidTags" | "invalidCategoryId" | "forbidden" => {
            Some(ErrorClass::Rejected)
        }
        "backendError" | "internalError" => Some(ErrorClass::Transient),
        _ => None,
    };
    ErrorDetails { message: Some(message), class }
}

fn channel_target(c: &Value) -> Option<Target> {
    Some(Target::new(c["id"].as_str()?, c["snippet"]["title"].as_str().unwrap_or("YouTube channel"), "channel"))
}

#[async_trait]
impl Provider for YouTubeProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::OAuth2(OAuth2Spec {
            auth_url: static_url("https://accounts.google.com/o/oauth2/v2/auth"),
            token_url: self.token_url.clone(),
            scopes: SCOPES.map(String::from).to_vec(),
            scope_separator: " ",
            pkce: true,
            extra_auth_params: vec![
                ("access_type".into(), "offline".into()),
                ("prompt".into(), "consent".into()),
                ("include_granted_scopes".into(), "true".into()),
            ],
            client_auth_basic: false,
            custom_refresh: false,
            client_id_param: "client_id",
        })
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            post_metrics: &[M::Views, M::Likes, M::Comments],
            account_metrics: &[M::Followers, M::Views, M::Posts],
            find_published: true,
            targets: true,
            ..Capabilities::default()
        }
    }

    /// The signed-in identity's channel (`channels.list?part=snippet&mine=true`).
    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let v = self.get(token, "/youtube/v3/channels", &[("part", "snippet"), ("mine", "true")]).await?;
        let c = v["items"].get(0).ok_or_else(|| {
            ProviderError::rejected(NETWORK, "this Google account has no YouTube channel; create one, then connect again")
        })?;
        Ok(AccountInfo {
            id: c["id"].as_str().unwrap_or_default().to_owned(),
            handle: c["snippet"]["customUrl"].as_str().map(str::to_owned),
            name: c["snippet"]["title"].as_str().map(str::to_owned),
            avatar: c["snippet"]["thumbnails"]["default"]["url"].as_str().and_then(|u| Url::parse(u).ok()),
            server: None,
        })
    }

    /// The channels the user may pick (`channels.list?part=snippet&mine=true`).
    async fn list_targets(&self, token: &SecretString, _account: &AccountRef) -> Result<Vec<Target>, ProviderError> {
        let v = self.get(token, "/youtube/v3/channels", &[("part", "snippet"), ("mine", "true"), ("maxResults", "50")]).await?;
        Ok(v["items"].as_array().into_iter().flatten().filter_map(channel_target).collect())
    }

    async fn publish(&self, token: &SecretString, _account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        if post.items.len() > 1 {
            return Err(ProviderError::rejected(NETWORK, "YouTube does not support threads; remove the replies"));
        }
        if post.first_comment.is_some() {
            return Err(ProviderError::rejected(NETWORK, "YouTube posts take no first comment here; remove it"));
        }
        if let Some(done) = post.already_published.first() {
            return RemotePost::from_items(vec![done.clone()])
                .ok_or_else(|| ProviderError::rejected(NETWORK, "there is nothing to publish"));
        }
        let item = post.items.first().ok_or_else(|| ProviderError::rejected(NETWORK, "there is nothing to publish; attach a video"))?;
        let settings = match &post.settings {
            NetworkSettings::YouTube(s) => s.clone(),
            _ => YouTubeSettings::default(),
        };
        if let Some(p) = settings.problems().into_iter().next() {
            return Err(ProviderError::rejected(NETWORK, format!("{}: {}", setting_label(p.field), p.message)));
        }
        let (video, thumbnail) = match item.media.as_slice() {
            [v] if v.kind == MediaKind::Video => (v, None),
            [v, t] if v.kind == MediaKind::Video && t.kind == MediaKind::Image => (v, Some(t)),
            _ => {
                return Err(ProviderError::rejected(
                    NETWORK,
                    "a YouTube post is one video, optionally followed by one image for its thumbnail",
                ));
            }
        };
        let session = self.open_session(token, &settings, &item.text, video).await?;
        let resource = self.upload(token, &session, video).await?;
        let id = resource["id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "YouTube finished the upload but returned no video id"))?
            .to_owned();
        if let Some(t) = thumbnail {
            self.set_thumbnail(token, &id, t).await;
        }
        RemotePost::from_items(vec![PublishedItem { index: 0, url: Self::watch_url(&id, settings.short), id, cid: None }])
            .ok_or_else(|| ProviderError::rejected(NETWORK, "there is nothing to publish"))
    }

    /// Posts: `videos.list?part=statistics&id=` (`viewCount`, `likeCount`, `commentCount`,
    /// sent as strings); a video the answer lacks is gone. Account: `channels.list?part=statistics&id=`
    /// (`subscriberCount`, `viewCount`, `videoCount`). One unit each. Sources:
    /// developers.google.com/youtube/v3/docs/videos#statistics, …/docs/channels#statistics.
    async fn analytics(&self, token: &SecretString, account: &AccountRef, query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        let n = |v: &Value, k: &str| v[k].as_str().and_then(|s| s.parse::<u64>().ok()).or_else(|| v[k].as_u64());
        match query {
            AnalyticsQuery::Post { id } => {
                let url = self.url("/youtube/v3/videos")?;
                let answer: Result<Value, _> = self
                    .http
                    .get_json_or_refusal(
                        NETWORK,
                        || bearer(self.http.client().get(url.clone()), token).query(&[("part", "statistics"), ("id", id.as_str())]),
                        parse_error,
                    )
                    .await?;
                let v = answer.map_err(|r| refused_post(NETWORK, &r))?;
                let Some(video) = v["items"].as_array().into_iter().flatten().find(|x| x["id"].as_str() == Some(id.as_str())) else {
                    return Err(crate::analytics::gone(NETWORK, Some("YouTube does not return the video")));
                };
                let s = &video["statistics"];
                Ok(Analytics::now(
                    pick(s, &["viewCount", "likeCount", "commentCount", "favoriteCount"]),
                    [(M::Views, n(s, "viewCount")), (M::Likes, n(s, "likeCount")), (M::Comments, n(s, "commentCount"))],
                ))
            }
            AnalyticsQuery::Account => {
                let v = self.get(token, "/youtube/v3/channels", &[("part", "statistics"), ("id", account.id.as_str())]).await?;
                let s = &v["items"][0]["statistics"];
                if !s.is_object() {
                    return Err(ProviderError::rejected(NETWORK, "YouTube no longer returns this channel; reconnect it or remove it"));
                }
                Ok(Analytics::now(
                    pick(s, &["subscriberCount", "viewCount", "videoCount", "hiddenSubscriberCount"]),
                    [(M::Followers, n(s, "subscriberCount")), (M::Views, n(s, "viewCount")), (M::Posts, n(s, "videoCount"))],
                ))
            }
        }
    }

    /// Looks through the channel's latest uploads (`channels.list?part=contentDetails` →
    /// the uploads playlist → `playlistItems.list?part=snippet`) for a video with the same
    /// description since the attempt. A video is listed as soon as its upload completes, and an
    /// upload that did not complete is no video, so not finding it means publishing is safe.
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let c = self.get(token, "/youtube/v3/channels", &[("part", "contentDetails"), ("id", account.id.as_str())]).await?;
        let Some(uploads) = c["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"].as_str().map(str::to_owned) else {
            return Err(ProviderError::rejected(NETWORK, "YouTube did not say where this channel's uploads are"));
        };
        let v = self
            .get(token, "/youtube/v3/playlistItems", &[("part", "snippet"), ("playlistId", uploads.as_str()), ("maxResults", "25")])
            .await?;
        let not_before = query.not_before - chrono::Duration::seconds(5);
        let found = v["items"].as_array().into_iter().flatten().find(|i| {
            let s = &i["snippet"];
            same_text(&query.text, s["description"].as_str().unwrap_or_default())
                && s["publishedAt"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).is_none_or(|t| t >= not_before)
        });
        Ok(found.and_then(|i| {
            let id = i["snippet"]["resourceId"]["videoId"].as_str()?.to_owned();
            RemotePost::from_items(vec![PublishedItem { index: 0, url: Self::watch_url(&id, false), id, cid: None }])
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_resets_at_the_next_0800_utc() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc);
        assert_eq!(until_quota_reset(at("2026-12-02T07:00:00Z")), Duration::from_secs(3600));
        assert_eq!(until_quota_reset(at("2026-12-02T09:00:00Z")), Duration::from_secs(23 * 3600));
    }

    #[test]
    fn chunk_sizes_are_whole_units() {
        let p = YouTubeProvider::new(HttpClient::for_tests()).with_chunk_size(CHUNK_UNIT * 3 + 5);
        assert_eq!(p.chunk, CHUNK_UNIT * 3);
        assert_eq!(YouTubeProvider::new(HttpClient::for_tests()).with_chunk_size(1).chunk, CHUNK_UNIT);
    }
}
