//! Telegram, through a bot (Bot API, `https://api.telegram.org/bot{token}/{method}`): the
//! account is the chat the bot posts to (`AccountRef::id`: a numeric chat id such as
//! `-1001234567890`, or `@channelusername`), the token is the bot token.
//!
//! - text: `sendMessage {"chat_id", "text"}` (plain text, no parse mode);
//! - one medium: `sendPhoto` / `sendVideo` / `sendAnimation` (GIF) with the text as
//!   `caption`, by public URL or uploaded as multipart;
//! - 2–10 media: `sendMediaGroup` (photos and videos; the caption on the first item);
//! - thread items reply to the previous message with `reply_parameters.message_id`.
//!
//! Errors come as `{"ok": false, "error_code": 429, "description": "…",
//! "parameters": {"retry_after": 35}}`; the wait is in the body (no header). The token is
//! part of every URL, so URLs never reach errors or logs (transport errors drop them).

use async_trait::async_trait;
use postiz_domain::{MediaKind, Network};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;

use crate::common::{Part, Progress, endpoint, static_url};
use crate::connection::{AccountInfo, Connection};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, SendKind, error_in_body, generic_message, transport_error};
use crate::publish::{AccountRef, PublishMedia, PublishRequest, PublishedItem, RemotePost};
use crate::rules::ContentRules;
use crate::{Capabilities, Provider, ProviderError};

const NETWORK: Network = Network::Telegram;

/// The Telegram bot adapter.
#[derive(Debug, Clone)]
pub struct TelegramProvider {
    http: HttpClient,
    api: Url,
}

impl TelegramProvider {
    /// An adapter for `https://api.telegram.org`.
    pub fn new(http: HttpClient) -> Self {
        Self { http, api: static_url("https://api.telegram.org") }
    }

    /// Points the adapter at another Bot API server (tests, a local Bot API server).
    pub fn with_base_url(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    fn method(&self, token: &SecretString, name: &str) -> Result<Url, ProviderError> {
        endpoint(NETWORK, &self.api, &format!("/bot{}/{name}", token.expose_secret()))
            .map_err(|_| ProviderError::rejected(NETWORK, "the bot token contains characters that cannot go in a URL; paste it again"))
    }

    /// Sends once and reads the `{"ok", "result"}` envelope.
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
        if v["ok"].as_bool() == Some(true) {
            Ok(v["result"].clone())
        } else {
            Err(error_in_body(NETWORK, status, &headers, &bytes, kind, parse_error))
        }
    }

    /// `chat_id` as Telegram wants it: a number for numeric ids, else the `@username`.
    fn chat_id(account: &AccountRef) -> Value {
        account.id.parse::<i64>().map_or_else(|_| json!(account.id), |n| json!(n))
    }

    fn reply(parent: Option<&PublishedItem>) -> Result<Option<Value>, ProviderError> {
        parent
            .map(|p| {
                p.id.parse::<i64>()
                    .map(|id| json!({"message_id": id}))
                    .map_err(|_| ProviderError::rejected(NETWORK, format!("cannot reply to message {}: not a Telegram message id", p.id)))
            })
            .transpose()
    }

    /// A file as a multipart part.
    fn file_part(media: &PublishMedia) -> Result<reqwest::multipart::Part, ProviderError> {
        reqwest::multipart::Part::bytes(media.data.to_vec())
            .file_name(media.filename.clone())
            .mime_str(&media.mime)
            .map_err(|e| ProviderError::rejected(NETWORK, format!("bad media type {}: {e}", media.mime)))
    }

    /// One message: text, one medium, or a media group. Returns the first message.
    async fn send_item(
        &self,
        token: &SecretString,
        account: &AccountRef,
        text: &str,
        media: &[PublishMedia],
        reply: Option<Value>,
    ) -> Result<Value, ProviderError> {
        let chat = Self::chat_id(account);
        match media {
            [] => {
                let mut body = json!({"chat_id": chat, "text": text});
                if let Some(r) = reply {
                    body["reply_parameters"] = r;
                }
                self.call(self.http.client().post(self.method(token, "sendMessage")?).json(&body), SendKind::Publish).await
            }
            [one] => {
                let (method, field) = match one.kind {
                    MediaKind::Image => ("sendPhoto", "photo"),
                    MediaKind::Video => ("sendVideo", "video"),
                    MediaKind::Gif => ("sendAnimation", "animation"),
                };
                let url = self.method(token, method)?;
                let rb = match &one.public_url {
                    Some(public) => {
                        let mut body = json!({"chat_id": chat, field: public.as_str()});
                        if !text.is_empty() {
                            body["caption"] = json!(text);
                        }
                        if let Some(r) = reply {
                            body["reply_parameters"] = r;
                        }
                        self.http.client().post(url).json(&body)
                    }
                    None => {
                        let mut form = reqwest::multipart::Form::new().text("chat_id", chat_text(&chat)).part(field, Self::file_part(one)?);
                        if !text.is_empty() {
                            form = form.text("caption", text.to_owned());
                        }
                        if let Some(r) = reply {
                            form = form.text("reply_parameters", r.to_string());
                        }
                        self.http.client().post(url).multipart(form)
                    }
                };
                self.call(rb, SendKind::Publish).await
            }
            many => {
                if many.iter().any(|m| m.kind == MediaKind::Gif) {
                    return Err(ProviderError::rejected(NETWORK, "Telegram sends a GIF only on its own; post it separately"));
                }
                let mut items = Vec::with_capacity(many.len());
                let mut form = reqwest::multipart::Form::new();
                let mut uploads = false;
                for (i, m) in many.iter().enumerate() {
                    let kind = if m.kind == MediaKind::Video { "video" } else { "photo" };
                    let reference = match &m.public_url {
                        Some(u) => u.as_str().to_owned(),
                        None => {
                            uploads = true;
                            let name = format!("file{i}");
                            form = form.part(name.clone(), Self::file_part(m)?);
                            format!("attach://{name}")
                        }
                    };
                    let mut item = json!({"type": kind, "media": reference});
                    if i == 0 && !text.is_empty() {
                        item["caption"] = json!(text);
                    }
                    items.push(item);
                }
                let url = self.method(token, "sendMediaGroup")?;
                let rb = if uploads {
                    let mut form = form.text("chat_id", chat_text(&chat)).text("media", Value::Array(items).to_string());
                    if let Some(r) = reply {
                        form = form.text("reply_parameters", r.to_string());
                    }
                    self.http.client().post(url).multipart(form)
                } else {
                    let mut body = json!({"chat_id": chat, "media": items});
                    if let Some(r) = reply {
                        body["reply_parameters"] = r;
                    }
                    self.http.client().post(url).json(&body)
                };
                let messages = self.call(rb, SendKind::Publish).await?;
                messages
                    .as_array()
                    .and_then(|m| m.first())
                    .cloned()
                    .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "Telegram sent the media group but returned no messages"))
            }
        }
    }

    /// `https://t.me/{username}/{id}` for public chats, `https://t.me/c/{internal}/{id}` for
    /// private supergroups and channels; none for basic groups and private chats.
    fn message_url(message: &Value, id: i64) -> Option<Url> {
        let chat = &message["chat"];
        if let Some(username) = chat["username"].as_str() {
            return Url::parse(&format!("https://t.me/{username}/{id}")).ok();
        }
        let internal = chat["id"].as_i64()?.to_string();
        let internal = internal.strip_prefix("-100")?;
        Url::parse(&format!("https://t.me/c/{internal}/{id}")).ok()
    }
}

fn chat_text(chat: &Value) -> String {
    chat.as_str().map_or_else(|| chat.to_string(), str::to_owned)
}

/// Telegram errors: `{"ok": false, "error_code", "description", "parameters"}`.
/// `parameters.retry_after` (seconds) makes it `RateLimited` with that wait;
/// `parameters.migrate_to_chat_id` (a group became a supergroup) is `Rejected` with the new
/// id to use. The rest follows the status: 401 `Unauthorized`, 400/403 `Rejected`
/// ("Bad Request: chat not found", "Forbidden: bot was kicked…").
fn parse_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(description) = v["description"].as_str() else {
        return ErrorDetails { message: generic_message(body), class: None };
    };
    let params = &v["parameters"];
    if let Some(new_id) = params["migrate_to_chat_id"].as_i64() {
        return ErrorDetails {
            message: Some(format!("{description}; the chat's new id is {new_id}: update the chat id")),
            class: Some(ErrorClass::Rejected),
        };
    }
    let class = match (params["retry_after"].as_u64(), v["error_code"].as_u64()) {
        (Some(secs), _) => Some(ErrorClass::RateLimited(Some(std::time::Duration::from_secs(secs)))),
        (None, Some(429)) => Some(ErrorClass::RateLimited(None)),
        (None, Some(401)) => Some(ErrorClass::Unauthorized),
        _ => None,
    };
    ErrorDetails { message: Some(description.to_owned()), class }
}

#[async_trait]
impl Provider for TelegramProvider {
    fn network(&self) -> Network {
        NETWORK
    }

    fn connection(&self) -> Connection {
        Connection::BotToken
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(NETWORK)
    }

    /// Bots cannot read a chat's history, so there is no reconciliation, and no analytics
    /// (the metric lists stay empty).
    fn capabilities(&self) -> Capabilities {
        Capabilities { delete: true, ..Capabilities::default() }
    }

    /// The bot behind the token (`getMe`).
    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let url = self.method(token, "getMe")?;
        let v = self.call(self.http.client().get(url), SendKind::Safe).await?;
        Ok(AccountInfo {
            id: v["id"].as_i64().map(|n| n.to_string()).unwrap_or_default(),
            handle: v["username"].as_str().map(str::to_owned),
            name: v["first_name"].as_str().map(str::to_owned),
            avatar: None,
            server: None,
        })
    }

    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        let mut progress = Progress::new(NETWORK, post)?;
        while let Some((index, part)) = progress.next() {
            let result = async {
                let (text, media, parent) = match part {
                    Part::Item(item) => (item.text.as_str(), item.media.as_slice(), progress.parent()),
                    Part::Comment(c) => (c, &[][..], progress.root()),
                };
                let message = self.send_item(token, account, text, media, Self::reply(parent)?).await?;
                let id = message["message_id"]
                    .as_i64()
                    .ok_or_else(|| ProviderError::outcome_unknown(NETWORK, "Telegram sent the message but returned no message_id"))?;
                Ok(PublishedItem { index, id: id.to_string(), url: Self::message_url(&message, id), cid: None })
            }
            .await;
            progress.record(result)?;
        }
        progress.finish()
    }

    /// `deleteMessage` (bots may delete their own messages for 48 hours in groups).
    async fn delete(&self, token: &SecretString, account: &AccountRef, id: &str) -> Result<(), ProviderError> {
        let message_id: i64 = id.parse().map_err(|_| ProviderError::rejected(NETWORK, format!("{id} is not a Telegram message id")))?;
        let body = json!({"chat_id": Self::chat_id(account), "message_id": message_id});
        self.call(self.http.client().post(self.method(token, "deleteMessage")?).json(&body), SendKind::Safe).await?;
        Ok(())
    }
}
