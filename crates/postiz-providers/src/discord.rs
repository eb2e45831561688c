//! Discord, two ways in:
//!
//! - **Webhook** ([`Connection::WebhookUrl`]): the user pastes a channel webhook URL, which
//!   is the credential (it holds the webhook token) and is passed as the token. Messages go
//!   to `POST {webhook}?wait=true` (the answer is the created message). The URL is
//!   user-supplied: only Discord's hosts are accepted (or the configured API host in tests),
//!   only the `/api/webhooks/{id}/{token}` shape, and the host guard refuses private
//!   addresses. Webhooks cannot reply to a message, so thread items go out as follow-up
//!   messages in the same channel.
//! - **Bot** ([`Connection::BotToken`]): the operator's bot token (`Authorization: Bot …`)
//!   and a channel id as the account. `POST /channels/{id}/messages`; thread items reply
//!   to the previous message with `message_reference`; each message carries a `nonce` with
//!   `enforce_nonce`, so Discord returns the existing message instead of a duplicate when
//!   the same item is re-sent within a few minutes.
//!
//! Media go as multipart `files[n]` with a `payload_json` part.

use async_trait::async_trait;
use chrono::Utc;
use postiz_domain::Network;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::common::{Part, Progress, endpoint, static_url};
use crate::connection::{AccountInfo, Connection, Target};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, SendKind, generic_message};
use crate::publish::{AccountRef, FindQuery, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::reconcile::same_text;
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Discord;
/// Hosts a pasted webhook URL may point at.
const WEBHOOK_HOSTS: [&str; 4] = ["discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"];
/// Channel types a bot can post to: GUILD_TEXT (0) and GUILD_ANNOUNCEMENT (5).
const TEXT_CHANNELS: [u64; 2] = [0, 5];

/// Which connection this adapter offers; publishing accepts both kinds of credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Webhook,
    Bot,
}

/// The Discord adapter.
#[derive(Debug, Clone)]
pub struct DiscordProvider {
    http: HttpClient,
    api: Url,
    mode: Mode,
}

/// A parsed webhook URL. `Debug` leaves the token out.
struct Webhook {
    url: Url,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook").field("host", &self.url.host_str()).finish_non_exhaustive()
    }
}

/// The credential behind a token: a webhook URL or a bot token.
#[derive(Debug)]
enum Credential<'a> {
    Webhook(Webhook),
    Bot(&'a SecretString),
}

impl DiscordProvider {
    /// The webhook connection (users paste a channel webhook URL); bot tokens work too.
    pub fn new(http: HttpClient) -> Self {
        Self { http, api: static_url("https://discord.com/api/v10"), mode: Mode::Webhook }
    }

    /// The bot connection (the operator's bot token; users pick a channel).
    pub fn bot(http: HttpClient) -> Self {
        Self { mode: Mode::Bot, ..Self::new(http) }
    }

    /// Points the bot API at another base (tests); webhook URLs on that host are accepted.
    pub fn with_base_url(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.api, path)
    }

    /// Reads the token: a URL is a webhook (checked), anything else a bot token. Errors never
    /// repeat the URL: it contains the webhook's secret.
    async fn credential<'a>(&self, token: &'a SecretString) -> Result<Credential<'a>, ProviderError> {
        let raw = token.expose_secret().trim();
        if !(raw.starts_with("https://") || raw.starts_with("http://")) {
            return Ok(Credential::Bot(token));
        }
        let bad = |why: &str| {
            ProviderError::rejected(
                NETWORK,
                format!("the Discord webhook address {why}; copy it again from the channel's Integrations settings"),
            )
        };
        let mut url = Url::parse(raw).map_err(|_| bad("is not a valid URL"))?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let configured = self.api.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&host))
            && self.api.port_or_known_default() == url.port_or_known_default();
        if !(configured || WEBHOOK_HOSTS.contains(&host.as_str())) {
            return Err(bad("is not on discord.com"));
        }
        if url.scheme() != "https" && !configured {
            return Err(bad("must start with https://"));
        }
        let segments: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
        let rest = match segments.as_slice() {
            ["api", v, rest @ ..] if v.starts_with('v') && v[1..].chars().all(|c| c.is_ascii_digit()) => rest,
            ["api", rest @ ..] => rest,
            _ => return Err(bad("is not a webhook address")),
        };
        match rest {
            ["webhooks", id, secret] if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) && !secret.is_empty() => {}
            _ => return Err(bad("is not a webhook address")),
        }
        url.set_query(None);
        url.set_fragment(None);
        self.http.check_user_url(NETWORK, &url).await?;
        Ok(Credential::Webhook(Webhook { url }))
    }

    fn bot_auth(rb: reqwest::RequestBuilder, token: &SecretString) -> reqwest::RequestBuilder {
        rb.header(reqwest::header::AUTHORIZATION, format!("Bot {}", token.expose_secret()))
    }

    /// `content` + optional reply, nonce and attachments, as JSON or multipart.
    fn message(
        rb: reqwest::RequestBuilder,
        text: &str,
        media: &[PublishMedia],
        reply_to: Option<&str>,
        nonce: Option<String>,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        let mut payload = json!({ "content": text });
        if let Some(id) = reply_to {
            payload["message_reference"] = json!({"message_id": id, "fail_if_not_exists": false});
        }
        if let Some(n) = nonce {
            payload["nonce"] = json!(n);
            payload["enforce_nonce"] = json!(true);
        }
        if media.is_empty() {
            return Ok(rb.json(&payload));
        }
        payload["attachments"] = media
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut a = json!({"id": i, "filename": m.filename});
                if let Some(alt) = m.alt.as_deref().filter(|a| !a.is_empty()) {
                    a["description"] = json!(alt);
                }
                a
            })
            .collect();
        let mut form = reqwest::multipart::Form::new().text("payload_json", payload.to_string());
        for (i, m) in media.iter().enumerate() {
            let part = reqwest::multipart::Part::bytes(m.data.to_vec())
                .file_name(m.filename.clone())
                .mime_str(&m.mime)
                .map_err(|e| ProviderError::rejected(NETWORK, format!("bad media type {}: {e}", m.mime)))?;
            form = form.part(format!("files[{i}]"), part);
        }
        Ok(rb.multipart(form))
    }

    /// The guild of the channel, for message links. A failure only loses the link.
    async fn guild(&self, credential: &Credential<'_>, channel: &str) -> Option<String> {
        let v: Value = match credential {
            Credential::Webhook(w) => self.http.get_json(NETWORK, || self.http.client().get(w.url.clone()), parse_error).await.ok()?,
            Credential::Bot(token) => {
                let url = self.url(&format!("/channels/{channel}")).ok()?;
                self.http.get_json(NETWORK, || Self::bot_auth(self.http.client().get(url.clone()), token), parse_error).await.ok()?
            }
        };
        v["guild_id"].as_str().map(str::to_owned)
    }

    fn message_url(guild: Option<&str>, channel: &str, id: &str) -> Option<Url> {
        Url::parse(&format!("https://discord.com/channels/{}/{channel}/{id}", guild?)).ok()
    }

    fn bot_only<'a>(&self, credential: Credential<'a>, operation: &'static str) -> Result<&'a SecretString, ProviderError> {
        match credential {
            Credential::Bot(token) => Ok(token),
            Credential::Webhook(_) => Err(ProviderError::not_supported(NETWORK, operation)),
        }
    }
}

/// Discord's `nonce` is at most 25 characters: the item key is hashed (FNV-1a, 64 bits)
/// so any key length fits and the same item always gets the same nonce.
fn nonce(key: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("pz{h:016x}")
}

/// Discord errors: `{"message": "…", "code": 50013, "errors": {…}}`. Unknown Webhook
/// (10015) and Invalid Webhook Token (50027) mean the pasted credential is gone:
/// `Unauthorized`. A 429 carries `retry_after` in the body and `Retry-After` as a header;
/// the header is read (a Cloudflare 429 has no JSON body).
fn parse_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let code = v["code"].as_u64();
    let detail = first_field_error(&v["errors"], String::new()).map(|(field, msg)| format!(": {field}: {msg}")).unwrap_or_default();
    let message = match (v["message"].as_str(), code) {
        (Some(m), Some(c)) if c != 0 => Some(format!("{m} (code {c}){detail}")),
        (Some(m), _) => Some(m.to_owned()),
        _ => generic_message(body),
    };
    let class = match code {
        Some(10015 | 50027) => Some(ErrorClass::Unauthorized),
        _ => None,
    };
    ErrorDetails { message, class }
}

/// The first `{"_errors": [{"message"}]}` in Discord's nested form errors, with its path.
fn first_field_error(v: &Value, path: String) -> Option<(String, String)> {
    let obj = v.as_object()?;
    if let Some(msg) = obj.get("_errors").and_then(|e| e[0]["message"].as_str()) {
        return Some((path, msg.to_owned()));
    }
    obj.iter().find_map(|(k, child)| {
        let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        first_field_error(child, p)
    })
}

#[async_trait]
impl Provider for DiscordProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        match self.mode {
            Mode::Webhook => Connection::WebhookUrl,
            Mode::Bot => Connection::BotToken,
        }
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    fn capabilities(&self) -> Capabilities {
        let bot = self.mode == Mode::Bot;
        // Discord offers no message metrics: the metric lists stay empty.
        Capabilities { delete: true, find_published: bot, targets: bot, ..Capabilities::default() }
    }

    /// Webhook: the webhook itself (`GET {webhook}`: name, channel). Bot: the bot user.
    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        match self.credential(token).await? {
            Credential::Webhook(w) => {
                let v: Value = self.http.get_json(NETWORK, || self.http.client().get(w.url.clone()), parse_error).await?;
                Ok(AccountInfo {
                    id: v["channel_id"].as_str().unwrap_or_default().to_owned(),
                    handle: None,
                    name: v["name"].as_str().map(str::to_owned),
                    avatar: None,
                    server: None,
                })
            }
            Credential::Bot(token) => {
                let url = self.url("/users/@me")?;
                let v: Value =
                    self.http.get_json(NETWORK, || Self::bot_auth(self.http.client().get(url.clone()), token), parse_error).await?;
                Ok(AccountInfo {
                    id: v["id"].as_str().unwrap_or_default().to_owned(),
                    handle: v["username"].as_str().map(str::to_owned),
                    name: v["global_name"].as_str().or_else(|| v["username"].as_str()).map(str::to_owned),
                    avatar: None,
                    server: None,
                })
            }
        }
    }

    /// Bot only: text and announcement channels of the guilds the bot is in.
    async fn list_targets(&self, token: &SecretString, _account: &AccountRef) -> Result<Vec<Target>, ProviderError> {
        let token = self.bot_only(self.credential(token).await?, "listing channels (webhooks have one channel)")?;
        let url = self.url("/users/@me/guilds")?;
        let guilds: Value = self.http.get_json(NETWORK, || Self::bot_auth(self.http.client().get(url.clone()), token), parse_error).await?;
        let mut targets = Vec::new();
        for guild in guilds.as_array().into_iter().flatten() {
            let (Some(gid), gname) = (guild["id"].as_str(), guild["name"].as_str().unwrap_or_default()) else { continue };
            let url = self.url(&format!("/guilds/{gid}/channels"))?;
            let channels: Value =
                self.http.get_json(NETWORK, || Self::bot_auth(self.http.client().get(url.clone()), token), parse_error).await?;
            for c in channels.as_array().into_iter().flatten() {
                if let (Some(id), Some(kind)) = (c["id"].as_str(), c["type"].as_u64())
                    && TEXT_CHANNELS.contains(&kind)
                {
                    targets.push(Target::new(id, format!("#{} ({gname})", c["name"].as_str().unwrap_or(id)), "channel"));
                }
            }
        }
        Ok(targets)
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let credential = self.credential(token).await?;
        let mut progress = Progress::new(NETWORK, post)?;
        let mut guild: Option<Option<String>> = None;
        while let Some((index, part)) = progress.next() {
            let result = async {
                let (text, media) = match part {
                    Part::Item(item) => (item.text.as_str(), item.media.as_slice()),
                    Part::Comment(c) => (c, &[][..]),
                };
                let reply_to = match part {
                    Part::Comment(_) => progress.root(),
                    Part::Item(_) => progress.parent(),
                };
                let v: Value = match &credential {
                    Credential::Webhook(w) => {
                        let mut url = w.url.clone();
                        url.query_pairs_mut().append_pair("wait", "true");
                        let rb = Self::message(self.http.client().post(url), text, media, None, None)?;
                        self.http.send_json(NETWORK, rb, SendKind::Publish, parse_error).await?
                    }
                    Credential::Bot(token) => {
                        let url = self.url(&format!("/channels/{}/messages", account.id))?;
                        let rb = Self::bot_auth(self.http.client().post(url), token);
                        let rb = Self::message(rb, text, media, reply_to.map(|p| p.id.as_str()), Some(nonce(&post.item_key(index))))?;
                        self.http.send_json(NETWORK, rb, SendKind::Publish, parse_error).await?
                    }
                };
                let id = v["id"]
                    .as_str()
                    .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "Discord sent the message but returned no id"))?
                    .to_owned();
                let channel = v["channel_id"].as_str().unwrap_or(&account.id).to_owned();
                Ok((PublishedItem { index, id, url: None, cid: None }, channel))
            }
            .await;
            let result = match result {
                Ok((mut item, channel)) => {
                    if guild.is_none() {
                        guild = Some(self.guild(&credential, &channel).await);
                    }
                    item.url = Self::message_url(guild.as_ref().and_then(Option::as_deref), &channel, &item.id);
                    Ok(item)
                }
                Err(e) => Err(e),
            };
            progress.record(result)?;
        }
        progress.finish()
    }

    async fn delete(&self, token: &SecretString, account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        let rb = match self.credential(token).await? {
            Credential::Webhook(w) => {
                let mut url = w.url.clone();
                url.path_segments_mut().map_err(|()| ProviderError::rejected(NETWORK, "bad webhook address"))?.extend(["messages", id]);
                self.http.client().delete(url)
            }
            Credential::Bot(token) => {
                Self::bot_auth(self.http.client().delete(self.url(&format!("/channels/{}/messages/{id}", account.id))?), token)
            }
        };
        self.http.send(NETWORK, rb, SendKind::Safe, parse_error).await?;
        Ok(())
    }

    /// Bot only: the channel's last 50 messages, matched on text and time. (A webhook can
    /// read only messages it knows the id of.)
    async fn find_published(
        &self,
        token: &SecretString,
        account: &AccountRef,
        query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        let credential = self.credential(token).await?;
        let bot = self.bot_only(credential, "finding published messages with a webhook")?;
        let url = self.url(&format!("/channels/{}/messages", account.id))?;
        let v: Value = self
            .http
            .get_json(NETWORK, || Self::bot_auth(self.http.client().get(url.clone()), bot).query(&[("limit", "50")]), parse_error)
            .await?;
        let not_before = query.not_before - chrono::Duration::seconds(5);
        let found = v.as_array().into_iter().flatten().find(|m| {
            same_text(&query.text, m["content"].as_str().unwrap_or_default())
                && m["timestamp"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t.with_timezone(&Utc) >= not_before)
        });
        let Some(m) = found else { return Ok(None) };
        let Some(id) = m["id"].as_str() else { return Ok(None) };
        let guild = self.guild(&Credential::Bot(bot), &account.id).await;
        Ok(RemotePost::from_items(vec![PublishedItem {
            index: 0,
            url: Self::message_url(guild.as_deref(), &account.id, id),
            id: id.to_owned(),
            cid: None,
        }]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_short_and_stable() {
        let a = nonce("a-very-long-idempotency-key-0f8fad5b-d9cb-469f-a165-70867728950e-3");
        assert!(a.len() <= 25, "{a}");
        assert_eq!(a, nonce("a-very-long-idempotency-key-0f8fad5b-d9cb-469f-a165-70867728950e-3"));
        assert_ne!(a, nonce("another"));
    }
}
