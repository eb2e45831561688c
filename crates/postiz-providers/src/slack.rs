//! Slack: OAuth v2 with bot scopes (`oauth.v2.access`), then the Web API with the bot token:
//! `chat.postMessage` (thread items and the first comment reply with `thread_ts` = the
//! parent message's `ts`, as Slack asks), `chat.getPermalink`, `conversations.list` for the
//! channel step, `conversations.history` for reconciliation, `chat.delete`.
//!
//! Slack answers most failures with HTTP 200 and `{"ok": false, "error": "…"}`; those bodies
//! go through the same classification as HTTP errors ([`crate::http`]). Rate limits come as
//! HTTP 429 with `Retry-After`.
//!
//! Images are sent as Block Kit `image` blocks pointing at the files' public URLs (Slack
//! fetches them); the text then goes in a `section` block (3,000 characters at most) and in
//! `text` as the notification fallback.

use std::time::Duration;

use async_trait::async_trait;
use postiz_domain::{MediaKind, Network};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::common::{Part, Progress, bearer, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, OAuth2Spec, OAuthClient, Target, TokenSet};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, SendKind, error_in_body, transport_error};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Slack;
/// Bot scopes: post (also in public channels the bot has not joined), list channels for the
/// channel step, read history for reconciliation.
const SCOPES: [&str; 6] = ["chat:write", "chat:write.public", "channels:read", "groups:read", "channels:history", "groups:history"];

/// The Slack adapter. The account is a channel id (`AccountRef::id`); the token is the bot
/// token (`xoxb-…`).
#[derive(Debug, Clone)]
pub struct SlackProvider {
    http: HttpClient,
    api: Url,
}

impl SlackProvider {
    /// An adapter for `https://slack.com/api`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, api: static_url("https://slack.com/api") }
    }

    /// Points the adapter at another API base (tests).
    pub fn with_base_url(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    fn method(&self, name: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.api, &format!("/{name}"))
    }

    /// Sends once and reads Slack's envelope: `ok: false` is classified like an HTTP error.
    async fn call(&self, rb: RequestBuilder, kind: SendKind) -> Result<Value, ProviderError> {
        let response = self.http.send(NETWORK, rb, kind, parse_error).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|e| transport_error(NETWORK, e, kind))?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
            let msg = format!("unexpected response body: {e}");
            match kind {
                SendKind::Publish => ProviderError::outcome_unknown(NETWORK, msg),
                SendKind::Safe => ProviderError::transient(NETWORK, msg),
            }
        })?;
        if v["ok"].as_bool() == Some(true) { Ok(v) } else { Err(error_in_body(NETWORK, status, &headers, &bytes, kind, parse_error)) }
    }

    async fn read(&self, token: &SecretString, name: &str, query: &[(&str, &str)]) -> Result<Value, ProviderError> {
        self.call(bearer(self.http.client().get(self.method(name)?), token).query(query), SendKind::Safe).await
    }

    /// The message body: plain `text`, or with images a section block plus image blocks.
    fn message(channel: &str, text: &str, media: &[PublishMedia], thread_ts: Option<&str>) -> Result<Value, ProviderError> {
        let escaped = escape(text);
        let mut body = json!({"channel": channel, "text": escaped});
        if !media.is_empty() {
            let mut blocks = Vec::with_capacity(media.len() + 1);
            if !text.trim().is_empty() {
                blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": escaped}}));
            }
            for m in media {
                if m.kind == MediaKind::Video {
                    return Err(ProviderError::rejected(
                        NETWORK,
                        format!("Slack messages here carry images only; remove the video {}", m.filename),
                    ));
                }
                let url = m.public_url.as_ref().ok_or_else(|| {
                    ProviderError::rejected(
                        NETWORK,
                        format!("Slack shows images from a public address, and {} has none; configure public media URLs", m.filename),
                    )
                })?;
                let alt = m.alt.as_deref().filter(|a| !a.is_empty()).unwrap_or(&m.filename);
                blocks.push(json!({"type": "image", "image_url": url.as_str(), "alt_text": alt}));
            }
            body["blocks"] = json!(blocks);
        }
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        Ok(body)
    }

    async fn permalink(&self, token: &SecretString, channel: &str, ts: &str) -> Option<Url> {
        let v = self.read(token, "chat.getPermalink", &[("channel", channel), ("message_ts", ts)]).await.ok()?;
        v["permalink"].as_str().and_then(|u| Url::parse(u).ok())
    }

    /// `oauth.v2.access` (code or refresh grant). Client credentials go in the form body.
    async fn token_call(&self, form: &[(&str, &str)]) -> Result<TokenSet, ProviderError> {
        let v = self.call(self.http.client().post(self.method("oauth.v2.access")?).form(form), SendKind::Safe).await?;
        let token = v["access_token"]
            .as_str()
            .ok_or_else(|| ProviderError::transient(NETWORK, "oauth.v2.access answered without an access_token"))?;
        Ok(TokenSet {
            access_token: SecretString::from(token.to_owned()),
            // Present only when the app has token rotation turned on.
            refresh_token: v["refresh_token"].as_str().map(|t| SecretString::from(t.to_owned())),
            expires_in: v["expires_in"].as_u64().map(Duration::from_secs),
            refresh_expires_in: None,
            scopes: v["scope"].as_str().map(|s| s.split(',').map(str::to_owned).collect()).unwrap_or_default(),
        })
    }
}

/// Slack's three control characters in message text (`&`, `<`, `>`), escaped as its
/// formatting guide asks, so user text is never read as a link or mention.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Slack errors: `{"ok": false, "error": "channel_not_found"}` (HTTP 200 for most, 429 for
/// rate limits).
///
/// | `error` | class |
/// |---|---|
/// | `invalid_auth`, `not_authed`, `token_revoked`, `token_expired`, `account_inactive`, `missing_scope`, `no_permission`, `team_access_not_granted` | `Unauthorized` |
/// | `ratelimited`, `rate_limited` | `RateLimited` (wait from `Retry-After`) |
/// | `internal_error`, `fatal_error` ("it's possible some aspect of the operation succeeded") | `OutcomeUnknown` when publishing, else `Transient` |
/// | `service_unavailable`, `request_timeout` | `Transient` |
/// | anything else (`channel_not_found`, `not_in_channel`, `is_archived`, `msg_too_long`, `invalid_blocks`, …) | `Rejected` |
fn parse_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(code) = v["error"].as_str() else {
        return ErrorDetails { message: crate::http::generic_message(body), class: None };
    };
    let hint = match code {
        "channel_not_found" => "the channel was not found; pick the channel again",
        "not_in_channel" => "the bot is not a member of this channel; invite it with /invite",
        "is_archived" => "the channel is archived",
        "msg_too_long" => "the message is too long",
        "no_text" => "the message has no text",
        "invalid_blocks" | "invalid_blocks_format" => "Slack could not use an image; check that its address is public",
        "missing_scope" => "the app lacks a permission; reconnect Slack",
        "restricted_action" => "a workspace setting prevents posting in this channel",
        _ => "",
    };
    let message = if hint.is_empty() { code.to_owned() } else { format!("{hint} ({code})") };
    let class = match code {
        "invalid_auth"
        | "not_authed"
        | "token_revoked"
        | "token_expired"
        | "account_inactive"
        | "missing_scope"
        | "no_permission"
        | "team_access_not_granted" => Some(ErrorClass::Unauthorized),
        "ratelimited" | "rate_limited" => Some(ErrorClass::RateLimited(None)),
        "internal_error" | "fatal_error" => Some(ErrorClass::MayHavePublished),
        "service_unavailable" | "request_timeout" => Some(ErrorClass::Transient),
        _ => Some(ErrorClass::Rejected),
    };
    ErrorDetails { message: Some(message), class }
}

#[async_trait]
impl Provider for SlackProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::OAuth2(OAuth2Spec {
            auth_url: static_url("https://slack.com/oauth/v2/authorize"),
            token_url: static_url("https://slack.com/api/oauth.v2.access"),
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
        // Slack offers no message metrics: the metric lists stay empty.
        Capabilities { delete: true, find_published: true, targets: true, ..Capabilities::default() }
    }

    /// `oauth.v2.access` answers errors as HTTP 200 `{"ok": false}`, which a standard OAuth2
    /// client reads as a malformed token response; this exchange classifies them.
    async fn exchange_code(
        &self,
        client: &OAuthClient,
        code: &SecretString,
        redirect_uri: &Url,
        _pkce_verifier: Option<&SecretString>,
    ) -> Result<TokenSet, ProviderError> {
        let secret = client.client_secret.as_ref().map(|s| s.expose_secret().to_owned()).unwrap_or_default();
        self.token_call(&[
            ("code", code.expose_secret()),
            ("redirect_uri", redirect_uri.as_str()),
            ("client_id", client.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .await
    }

    /// Token rotation (`grant_type=refresh_token`), for apps that turned it on.
    async fn refresh(
        &self,
        client: Option<&OAuthClient>,
        refresh_token: &SecretString,
        _server: Option<&Url>,
    ) -> Result<TokenSet, ProviderError> {
        let client =
            client.ok_or_else(|| ProviderError::rejected(NETWORK, "refreshing a Slack token needs the app's client id and secret"))?;
        let secret = client.client_secret.as_ref().map(|s| s.expose_secret().to_owned()).unwrap_or_default();
        self.token_call(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
            ("client_id", client.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .await
    }

    /// The workspace and bot behind the token (`auth.test`).
    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let v = self.read(token, "auth.test", &[]).await?;
        Ok(AccountInfo {
            id: v["team_id"].as_str().unwrap_or_default().to_owned(),
            handle: v["user"].as_str().map(str::to_owned),
            name: v["team"].as_str().map(str::to_owned),
            avatar: None,
            server: v["url"].as_str().and_then(|u| Url::parse(u).ok()),
        })
    }

    /// Public and private channels the bot can see (`conversations.list`, paged).
    async fn list_targets(&self, token: &SecretString, _account: &AccountRef) -> Result<Vec<Target>, ProviderError> {
        let mut targets = Vec::new();
        let mut cursor = String::new();
        for _ in 0..20 {
            let mut query = vec![("types", "public_channel,private_channel"), ("exclude_archived", "true"), ("limit", "200")];
            if !cursor.is_empty() {
                query.push(("cursor", cursor.as_str()));
            }
            let v = self.read(token, "conversations.list", &query).await?;
            for c in v["channels"].as_array().into_iter().flatten() {
                if let Some(id) = c["id"].as_str() {
                    targets.push(Target::new(id, format!("#{}", c["name"].as_str().unwrap_or(id)), "channel"));
                }
            }
            match v["response_metadata"]["next_cursor"].as_str().filter(|c| !c.is_empty()) {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        Ok(targets)
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let url = self.method("chat.postMessage")?;
        let mut progress = Progress::new(NETWORK, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                let (text, media) = match part {
                    Part::Item(item) => (item.text.as_str(), item.media.as_slice()),
                    Part::Comment(c) => (c, &[][..]),
                };
                // Slack threads are flat: every reply names the parent message, never a reply.
                let thread_ts = progress.root().map(|r| r.id.as_str());
                let body = Self::message(&account.id, text, media, thread_ts)?;
                let v = self.call(bearer(self.http.client().post(url.clone()), token).json(&body), SendKind::Publish).await?;
                let ts = v["ts"]
                    .as_str()
                    .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "Slack posted the message but returned no ts"))?
                    .to_owned();
                let channel = v["channel"].as_str().unwrap_or(&account.id).to_owned();
                Ok(PublishedItem { index, url: self.permalink(token, &channel, &ts).await, id: ts, cid: None })
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    async fn delete(&self, token: &SecretString, account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        self.call(
            bearer(self.http.client().post(self.method("chat.delete")?), token).json(&json!({"channel": account.id, "ts": id})),
            SendKind::Safe,
        )
        .await?;
        Ok(())
    }

    /// The channel's messages since the attempt (`conversations.history?oldest=`), matched
    /// on text (Slack returns it with `&`, `<`, `>` escaped).
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let oldest = (query.not_before - chrono::Duration::seconds(5)).timestamp().to_string();
        let v = self
            .read(token, "conversations.history", &[("channel", account.id.as_str()), ("oldest", oldest.as_str()), ("limit", "100")])
            .await?;
        let found = v["messages"].as_array().into_iter().flatten().find(|m| same_text(&query.text, m["text"].as_str().unwrap_or_default()));
        let Some(ts) = found.and_then(|m| m["ts"].as_str()) else { return Ok(None) };
        Ok(RemotePost::from_items(vec![PublishedItem {
            index: 0,
            url: self.permalink(token, &account.id, ts).await,
            id: ts.to_owned(),
            cid: None,
        }]))
    }
}
