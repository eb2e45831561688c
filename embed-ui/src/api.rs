//! Everything that talks to the module API: URLs, the one request function, the session
//! (bearer token with a host refresh callback, or the host's same-origin cookie) and the DTOs.
//! Every call answers `Result<T, UiError>`: "offline" never looks like "empty".

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestCredentials, RequestInit, Response};

/// A field the server refused, with a dotted path (`variants.x.text`, `schedule.at`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct FieldError {
    /// Dotted path into the request body.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Why a call failed, sorted by what the UI does next.
#[derive(Clone, Debug, PartialEq)]
pub enum UiError {
    /// The request never got an answer (offline, server down, aborted).
    Network(String),
    /// 401: the session is missing or expired and the host could not renew it.
    Unauthorized { code: String, message: String },
    /// 403: the role (or the plan: `code` says which) does not allow it.
    Forbidden { code: String, message: String },
    /// 404 (also what another workspace's data looks like).
    NotFound,
    /// 422: fields to show next to their inputs.
    Validation { message: String, fields: Vec<FieldError> },
    /// Any other refusal (`code` is machine-readable).
    Api { status: u16, code: String, message: String, request_id: Option<String> },
    /// The answer did not have the expected shape.
    Decode(String),
}

impl fmt::Display for UiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UiError::Network(m) => write!(f, "The Postiz service could not be reached ({m}). Check your connection and retry."),
            // Signed out elsewhere: the API's sentence says so and what to do.
            UiError::Unauthorized { code, message } if code == "session_ended" => {
                let mut chars = message.chars();
                match chars.next() {
                    Some(first) => write!(f, "{}{}", first.to_uppercase(), chars.as_str()),
                    None => f.write_str("Your session has ended: sign in again to continue."),
                }
            }
            UiError::Unauthorized { message, .. } => write!(f, "Your session could not be verified: {message}"),
            UiError::Forbidden { message, .. } => write!(f, "Not allowed: {message}"),
            UiError::NotFound => f.write_str("Not found (it may have been deleted, or it belongs to another workspace)."),
            UiError::Validation { message, .. } => write!(f, "Please fix: {message}"),
            UiError::Api { message, request_id, .. } => match request_id {
                Some(id) => write!(f, "{message} (request {id})"),
                None => f.write_str(message),
            },
            UiError::Decode(m) => write!(f, "Unexpected answer from the server: {m}"),
        }
    }
}

impl std::error::Error for UiError {}

impl UiError {
    /// The field errors of a 422, else none.
    pub fn fields(&self) -> &[FieldError] {
        match self {
            UiError::Validation { fields, .. } => fields,
            _ => &[],
        }
    }

    /// The API's error code, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            UiError::Unauthorized { code, .. } | UiError::Forbidden { code, .. } | UiError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorInner,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorInner {
    code: String,
    message: String,
    #[serde(default)]
    fields: Vec<FieldError>,
}

/// How requests prove who the user is.
pub enum Session {
    /// The host's `@supabase/ssr` cookie rides along (same origin); `refresh` (optional) asks
    /// the host to renew it after a `token_expired` answer.
    Cookie { refresh: Option<js_sys::Function> },
    /// `Authorization: Bearer <token>`; `refresh` returns (a promise of) a fresh token.
    Token { token: RefCell<String>, refresh: Option<js_sys::Function> },
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the token.
        f.write_str(match self {
            Session::Cookie { .. } => "Session::Cookie",
            Session::Token { .. } => "Session::Token",
        })
    }
}

struct Inner {
    base: String,
    session: Session,
}

/// The API client, shared through context. Cheap to clone.
#[derive(Clone)]
pub struct Api(SendWrapper<Rc<Inner>>);

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the token.
        f.debug_struct("Api").field("base", &self.0.base).finish_non_exhaustive()
    }
}

impl Api {
    /// A client for the API at `base` (e.g. `/dashboard/postiz/api`).
    pub fn new(base: &str, session: Session) -> Self {
        Api(SendWrapper::new(Rc::new(Inner { base: base.trim_end_matches('/').to_owned(), session })))
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.0.base
    }

    /// The `Authorization` header value in token mode (for uploads through XHR).
    pub fn authorization(&self) -> Option<String> {
        match &self.0.session {
            Session::Token { token, .. } => Some(format!("Bearer {}", token.borrow())),
            Session::Cookie { .. } => None,
        }
    }

    /// A link the API gave (an absolute path such as `/dashboard/postiz/api/…/thumbnail`)
    /// resolved against the API's origin, which is not the page's when `apiBase` is a full URL.
    pub fn resolve(&self, link: &str) -> String {
        let base = &self.0.base;
        let origin = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| &base[..i + 3 + j]))
            .unwrap_or(if base.contains("://") { base } else { "" });
        if link.starts_with('/') { format!("{origin}{link}") } else { link.to_owned() }
    }

    /// An object URL (`blob:`) for the bytes at API link `link`, fetched with the session.
    /// `<img>` requests carry cookies but never an `Authorization` header, so in token mode
    /// pictures come through here. One renewal on `token_expired`, as for every request. The
    /// caller revokes the URL.
    pub async fn object_url(&self, link: &str) -> Result<String, UiError> {
        let (url, _) = self.blob_url(&self.resolve(link)).await?;
        Ok(url)
    }

    /// Downloads `GET path` (an attachment such as an export) with the session, as a file named
    /// by the answer's `Content-Disposition` (else `fallback_name`). Through `fetch` rather than
    /// a plain link so a bearer session works and a refusal is an error to show, not a saved
    /// file of JSON.
    pub async fn download(&self, path: &str, fallback_name: &str) -> Result<String, UiError> {
        let (url, disposition) = self.blob_url(&format!("{}{}", self.0.base, path)).await?;
        let name = disposition.as_deref().and_then(attachment_name).unwrap_or_else(|| fallback_name.to_owned());
        let clicked = (|| -> Option<()> {
            let document = web_sys::window()?.document()?;
            let a: web_sys::HtmlAnchorElement = document.create_element("a").ok()?.dyn_into().ok()?;
            a.set_href(&url);
            a.set_download(&name);
            a.click();
            Some(())
        })();
        // Released once the browser has taken the bytes (revoking at once can cancel the save).
        set_timeout(
            move || {
                let _ = web_sys::Url::revoke_object_url(&url);
            },
            std::time::Duration::from_secs(60),
        );
        clicked.map(|()| name).ok_or_else(|| UiError::Network("the browser refused the download".into()))
    }

    /// The bytes at `url` as an object URL, with the `Content-Disposition` header; one renewal
    /// on `token_expired`.
    async fn blob_url(&self, url: &str) -> Result<(String, Option<String>), UiError> {
        match self.fetch_blob(url).await {
            Err(UiError::Unauthorized { code, message }) if renewable(&code) => {
                if self.renew().await? {
                    self.fetch_blob(url).await
                } else {
                    Err(UiError::Unauthorized { code, message })
                }
            }
            other => other,
        }
    }

    async fn fetch_blob(&self, url: &str) -> Result<(String, Option<String>), UiError> {
        let net = |e: JsValue| UiError::Network(js_message(&e));
        let headers = Headers::new().map_err(net)?;
        let init = RequestInit::new();
        init.set_method("GET");
        match self.authorization() {
            Some(h) => {
                let _ = headers.set("authorization", &h);
                init.set_credentials(RequestCredentials::Omit);
            }
            None => init.set_credentials(RequestCredentials::SameOrigin),
        }
        init.set_headers(&headers);
        let window = web_sys::window().ok_or_else(|| UiError::Network("no window".into()))?;
        let resp: Response = JsFuture::from(window.fetch_with_str_and_init(url, &init))
            .await
            .map_err(net)?
            .dyn_into()
            .map_err(|_| UiError::Network("not a response".into()))?;
        if !resp.ok() {
            let text = match resp.text() {
                Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_string()).unwrap_or_default(),
                Err(_) => String::new(),
            };
            return Err(error_from(resp.status(), &text));
        }
        let disposition = resp.headers().get("content-disposition").ok().flatten();
        let blob: web_sys::Blob =
            JsFuture::from(resp.blob().map_err(net)?).await.map_err(net)?.dyn_into().map_err(|_| UiError::Decode("not a blob".into()))?;
        Ok((web_sys::Url::create_object_url_with_blob(&blob).map_err(net)?, disposition))
    }

    /// `GET path`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, UiError> {
        self.request("GET", path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, UiError> {
        self.request("POST", path, Some(to_json(body)?)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, UiError> {
        self.request("PATCH", path, Some(to_json(body)?)).await
    }

    /// `DELETE path` (204).
    pub async fn delete(&self, path: &str) -> Result<(), UiError> {
        self.request::<Value>("DELETE", path, None).await.map(|_| ())
    }

    /// The one request function: JSON in and out, the session attached, one renewal through the
    /// host on `token_expired`, aborted when the component that asked is disposed.
    pub async fn request<T: DeserializeOwned>(&self, method: &str, path: &str, body: Option<String>) -> Result<T, UiError> {
        match self.send(method, path, body.as_deref()).await {
            Err(UiError::Unauthorized { code, message }) if renewable(&code) => {
                if self.renew().await? {
                    self.send(method, path, body.as_deref()).await
                } else {
                    Err(UiError::Unauthorized { code, message })
                }
            }
            other => other,
        }
    }

    /// Asks the host for a fresh session (also for XHR uploads, which bypass [`Self::request`]).
    /// `Ok(false)` when there is no callback or it gave nothing.
    pub async fn renew(&self) -> Result<bool, UiError> {
        let refresh = match &self.0.session {
            Session::Cookie { refresh } | Session::Token { refresh, .. } => refresh.clone(),
        };
        let Some(refresh) = refresh else { return Ok(false) };
        let out = refresh.call0(&JsValue::NULL).map_err(|e| UiError::Network(js_message(&e)))?;
        let out = match out.dyn_into::<js_sys::Promise>() {
            Ok(p) => JsFuture::from(p).await.map_err(|e| UiError::Network(js_message(&e)))?,
            Err(v) => v,
        };
        if let Session::Token { token, .. } = &self.0.session {
            match out.as_string().filter(|t| !t.is_empty()) {
                Some(t) => *token.borrow_mut() = t,
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    async fn send<T: DeserializeOwned>(&self, method: &str, path: &str, body: Option<&str>) -> Result<T, UiError> {
        let url = format!("{}{}", self.0.base, path);
        let headers = Headers::new().map_err(|e| UiError::Network(js_message(&e)))?;
        let _ = headers.set("accept", "application/json");
        if body.is_some() {
            let _ = headers.set("content-type", "application/json");
        }
        let init = RequestInit::new();
        init.set_method(method);
        match &self.0.session {
            Session::Token { token, .. } => {
                let _ = headers.set("authorization", &format!("Bearer {}", token.borrow()));
                init.set_credentials(RequestCredentials::Omit);
            }
            Session::Cookie { .. } => init.set_credentials(RequestCredentials::SameOrigin),
        }
        init.set_headers(&headers);
        if let Some(b) = body {
            init.set_body(&JsValue::from_str(b));
        }
        let controller = AbortController::new().ok();
        if let Some(c) = &controller {
            init.set_signal(Some(&c.signal()));
        }
        // Dropping the component that asked aborts the request (hackernews' pattern).
        let abort = SendWrapper::new(controller);
        on_cleanup(move || {
            if let Some(c) = abort.take() {
                c.abort();
            }
        });
        let window = web_sys::window().ok_or_else(|| UiError::Network("no window".into()))?;
        let resp = JsFuture::from(window.fetch_with_str_and_init(&url, &init)).await.map_err(|e| UiError::Network(js_message(&e)))?;
        let resp: Response = resp.dyn_into().map_err(|_| UiError::Network("not a response".into()))?;
        let status = resp.status();
        let text = match resp.text() {
            Ok(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_string()).unwrap_or_default(),
            Err(_) => String::new(),
        };
        if (200..300).contains(&status) {
            let text = if text.trim().is_empty() { "null" } else { text.as_str() };
            return serde_json::from_str(text).map_err(|e| UiError::Decode(format!("{method} {path}: {e}")));
        }
        Err(error_from(status, &text))
    }
}

/// The error for a refused answer (`status`, body `text`); also used for XHR uploads.
pub fn error_from(status: u16, text: &str) -> UiError {
    let Ok(body) = serde_json::from_str::<ErrorBody>(text) else {
        return UiError::Api { status, code: "http_error".into(), message: format!("the server answered {status}"), request_id: None };
    };
    let ErrorInner { code, message, fields } = body.error;
    match status {
        401 => UiError::Unauthorized { code, message },
        403 => UiError::Forbidden { code, message },
        404 => UiError::NotFound,
        422 => UiError::Validation { message, fields },
        _ => UiError::Api { status, code, message, request_id: body.request_id },
    }
}

/// The file name of a `Content-Disposition: attachment; filename="…"` header.
fn attachment_name(header: &str) -> Option<String> {
    let rest = &header[header.find("filename=")? + "filename=".len()..];
    let name = rest.split(';').next()?.trim().trim_matches('"');
    // Only a bare name: never a path the browser would have to cut.
    let name = name.rsplit(['/', '\\']).next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

fn to_json(body: &impl Serialize) -> Result<String, UiError> {
    serde_json::to_string(body).map_err(|e| UiError::Decode(e.to_string()))
}

/// A readable message from a thrown JS value.
pub fn js_message(v: &JsValue) -> String {
    if let Some(e) = v.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    v.as_string().unwrap_or_else(|| "unknown error".into())
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

// ---- URLs --------------------------------------------------------------------------------

/// `/workspaces/{ws}` plus `rest`.
pub fn ws_path(ws: &str, rest: &str) -> String {
    format!("/workspaces/{ws}{rest}")
}

// ---- DTOs (only the fields the UI reads; unknown fields are ignored) ----------------------

/// `GET /session`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SessionInfo {
    pub user_id: String,
    #[serde(default)]
    pub email: Option<String>,
}

/// A workspace role, ascending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

/// `GET /workspaces`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub time_zone: String,
    #[serde(default)]
    pub plan: String,
    pub role: Role,
}

/// One account of a calendar entry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct EntryTarget {
    pub status: String,
    #[serde(default)]
    pub external_url: Option<String>,
    pub account_id: String,
    pub network: String,
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// One thing on the calendar.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CalendarEntry {
    pub at: String,
    pub kind: String,
    #[serde(default)]
    pub post_id: Option<String>,
    #[serde(default)]
    pub post_status: Option<String>,
    #[serde(default)]
    pub content_preview: Option<String>,
    #[serde(default)]
    pub schedule_id: Option<String>,
    #[serde(default)]
    pub targets: Vec<EntryTarget>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// `GET /workspaces/{ws}/calendar`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Calendar {
    pub entries: Vec<CalendarEntry>,
}

/// A last error.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ErrorView {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// The account of a target.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AccountRef {
    pub id: String,
    pub network: String,
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    pub status: String,
}

/// One publish job.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct JobView {
    pub occurrence: String,
    pub status: String,
    pub attempt: i32,
    #[serde(default)]
    pub last_error: Option<ErrorView>,
    #[serde(default)]
    pub last_error_retryable: Option<bool>,
}

/// One account a post goes to.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TargetView {
    pub id: String,
    pub account: AccountRef,
    pub status: String,
    #[serde(default)]
    pub external_url: Option<String>,
    #[serde(default)]
    pub last_error: Option<ErrorView>,
    #[serde(default)]
    pub attempts: i32,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub jobs: Vec<JobView>,
}

/// A stored variant.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct VariantView {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub thread: Vec<Value>,
    #[serde(default)]
    pub first_comment: Option<String>,
    /// Network options (`{"network": "instagram", "post_type": "story"}`), `{}` for defaults.
    #[serde(default)]
    pub settings: Value,
}

/// A tag on a post.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TagRef {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
}

/// A post's schedule.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ScheduleView {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub rrule: Option<String>,
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// `GET /workspaces/{ws}/posts/{id}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Post {
    pub id: String,
    pub status: String,
    pub content: String,
    #[serde(default)]
    pub scheduled_at: Option<String>,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub variants: BTreeMap<String, VariantView>,
    #[serde(default)]
    pub targets: Vec<TargetView>,
    #[serde(default)]
    pub tags: Vec<TagRef>,
    /// Attached media, in order.
    #[serde(default)]
    pub media: Vec<PostMedia>,
    #[serde(default)]
    pub schedule: Option<ScheduleView>,
}

/// A media item attached to a post.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PostMedia {
    pub id: String,
    #[serde(default)]
    pub alt: Option<String>,
    #[serde(default)]
    pub mime_type: Option<String>,
}

/// A connected account.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Account {
    pub id: String,
    pub network: String,
    #[serde(default)]
    pub handle: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    pub status: String,
    #[serde(default)]
    pub posting_slots: Value,
    #[serde(default)]
    pub connected: bool,
    /// The worker's last pre-flight check and the credential's hard expiry.
    #[serde(default)]
    pub health: AccountHealth,
}

/// Connection health of an account (`health` in `GET /workspaces/{ws}/accounts`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct AccountHealth {
    /// When its token was last verified.
    #[serde(default)]
    pub checked_at: Option<String>,
    /// `ok`, `needs_reconnect` or `retry`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Why the last check did not pass.
    #[serde(default)]
    pub last_error: Option<String>,
    /// When it must be reconnected by (a credential that cannot be renewed).
    #[serde(default)]
    pub reconnect_before: Option<String>,
}

impl Account {
    /// What to call it.
    pub fn label(&self) -> String {
        self.display_name.clone().or_else(|| self.handle.clone()).unwrap_or_else(|| self.id.chars().take(8).collect())
    }
}

/// A posting slot (`{"day": "Mon", "time": "09:30"}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slot {
    pub day: String,
    pub time: String,
}

/// Text limits of a network.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TextRules {
    pub max_length: u32,
    pub counting: String,
    #[serde(default)]
    pub max_bytes: Option<u32>,
}

/// Thread support.
#[derive(Clone, Debug, PartialEq, Deserialize, Default)]
pub struct ThreadRules {
    #[serde(default)]
    pub supported: bool,
    #[serde(default)]
    pub max_items: Option<u32>,
}

/// A network's rules (only what the composer shows).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Rules {
    pub text: TextRules,
    #[serde(default)]
    pub thread: ThreadRules,
}

/// How an account connects (`style`: `oauth2`, `app_password`, `instance_url`, `bot_token`, `webhook_url`, `secret_key`, `api_key`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ConnectionStyle {
    pub style: String,
}

/// Optional features.
#[derive(Clone, Debug, PartialEq, Deserialize, Default)]
pub struct Capabilities {
    #[serde(default)]
    pub targets: bool,
}

/// `GET /networks`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NetworkInfo {
    pub network: String,
    pub name: String,
    pub connection: ConnectionStyle,
    pub rules: Rules,
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Whether this server can connect accounts of the network (its OAuth app is configured).
    #[serde(default = "yes")]
    pub connectable: bool,
}

fn yes() -> bool {
    true
}

/// A tag.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Tag {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
    #[serde(default)]
    pub evergreen: bool,
}

/// A member.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Member {
    pub user_id: String,
    /// Their name (profile name or email); None when the server could not name them.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    pub role: Role,
    #[serde(default)]
    pub is_me: bool,
}

/// An invitation.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Invite {
    pub id: String,
    pub email: String,
    pub role: Role,
    /// Who invited (None: no longer a member).
    #[serde(default)]
    pub invited_by_name: Option<String>,
    pub expires_at: String,
    #[serde(default)]
    pub accepted_at: Option<String>,
    /// `code`, `in_app` or `auth_email`.
    #[serde(default)]
    pub delivery: String,
    /// For `auth_email`: `asked`, `sent` or `refused`.
    #[serde(default)]
    pub email_status: Option<String>,
    #[serde(default)]
    pub email_error: Option<String>,
}

/// `GET /invites/mine`: an invitation addressed to the signed-in user.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MyInvitation {
    pub id: String,
    pub workspace_id: String,
    pub workspace_name: String,
    pub role: Role,
    /// Who invited (None: no longer a member).
    #[serde(default)]
    pub invited_by_name: Option<String>,
    pub expires_at: String,
}

/// `POST /invites/accept` and `POST /invites/{id}/accept`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Accepted {
    pub workspace_id: String,
    pub role: Role,
}

/// `POST …/invites`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct CreatedInvite {
    pub invite: Invite,
    pub token: String,
}

/// An activity entry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Activity {
    pub id: i64,
    #[serde(default)]
    pub actor_id: Option<String>,
    /// The actor's name (None: the system or a former member).
    #[serde(default)]
    pub actor_name: Option<String>,
    pub actor_kind: String,
    pub action: String,
    pub entity_type: String,
    #[serde(default)]
    pub details: Value,
    pub created_at: String,
}

/// A page of activity.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ActivityPage {
    pub items: Vec<Activity>,
    #[serde(default)]
    pub next_before: Option<i64>,
}

/// `GET …/accounts/{id}/next-slot`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NextSlot {
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub slots: usize,
}

/// A second-step choice (page, channel…).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TargetChoice {
    pub id: String,
    pub name: String,
    pub kind: String,
}

/// The answer of the connect endpoints.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ConnectOutcome {
    Connected { account: Value },
    ChooseTarget { pending_id: String, targets: Vec<TargetChoice> },
}

/// `POST /connect/{network}/start`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Started {
    pub authorization_url: String,
}

/// A media library item (`GET /workspaces/{ws}/media`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MediaItem {
    pub id: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub url: Option<String>,
    /// A small picture (images only).
    #[serde(default)]
    pub thumbnail_url: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub bytes: Option<i64>,
    #[serde(default)]
    pub mime_type: Option<String>,
    #[serde(default)]
    pub width: Option<i64>,
    #[serde(default)]
    pub height: Option<i64>,
    #[serde(default)]
    pub duration_ms: Option<i64>,
    /// Videos: the picture's sample entry type (`avc1`, `hvc1`, `av01`).
    #[serde(default)]
    pub video_codec: Option<String>,
    /// Videos: the sound's (`mp4a`); none without sound.
    #[serde(default)]
    pub audio_codec: Option<String>,
    #[serde(default)]
    pub frame_rate: Option<f64>,
    #[serde(default)]
    pub has_audio: Option<bool>,
    /// The default alt text, used by posts that attach the file without their own.
    #[serde(default)]
    pub alt_text: Option<String>,
    /// Images outside a network's proportions: `refuse`, `pad` or `crop` (the copy sent).
    #[serde(default)]
    pub aspect_fit: Option<String>,
    /// Per network the workspace has an account on: can the file go there as it is.
    #[serde(default)]
    pub fits: Vec<NetworkFit>,
    /// The per-network copies the worker stored.
    #[serde(default)]
    pub variants: Vec<MediaVariant>,
}

/// Whether a library file can be posted to one network (`MediaItem::fits`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NetworkFit {
    pub network: String,
    pub label: String,
    pub ok: bool,
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// A stored per-network copy of a library file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MediaVariant {
    pub profile: String,
    pub network: String,
    pub mime_type: String,
    pub bytes: i64,
    pub width: i64,
    pub height: i64,
}

/// `GET /workspaces/{ws}/media`: a page (`{items, next_before}`) or a bare list.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum MediaList {
    /// A page.
    Page { items: Vec<MediaItem> },
    /// A list.
    List(Vec<MediaItem>),
}

impl MediaList {
    /// The items.
    pub fn items(self) -> Vec<MediaItem> {
        match self {
            MediaList::Page { items } | MediaList::List(items) => items,
        }
    }
}

/// An API key (`GET /workspaces/{ws}/api-keys`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ApiKey {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub last_used_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
    #[serde(default)]
    pub revoked_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// An outgoing webhook endpoint (`GET /workspaces/{ws}/webhooks`); never its secret.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub events: Vec<String>,
    /// Only events about this account (none: every account).
    #[serde(default)]
    pub social_account_id: Option<String>,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub disabled_reason: Option<String>,
    #[serde(default)]
    pub consecutive_failures: i32,
    /// Until when the secret replaced by the last rotation still signs beside the new one.
    #[serde(default)]
    pub previous_secret_valid_until: Option<String>,
}

/// One delivery of an endpoint's log (`GET /workspaces/{ws}/webhooks/{id}/deliveries`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct WebhookDelivery {
    pub id: i64,
    pub event_type: String,
    pub status: String,
    #[serde(default)]
    pub attempts: i32,
    #[serde(default)]
    pub last_response_code: Option<i32>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `GET /workspaces/{ws}/features`: what the plan allows (only what the UI reads).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Features {
    #[serde(default)]
    pub plan_name: String,
    /// Whether the plan includes analytics (else every analytics endpoint is 403
    /// `analytics_not_in_plan`).
    #[serde(default)]
    pub analytics_enabled: bool,
    #[serde(default)]
    pub analytics_retention_days: i32,
}

// ---- Analytics (`/workspaces/{ws}/analytics/…`, `/posts/{id}/analytics`) -----------------
// A metric absent from a `values` map is one the network does not report: never a zero.

/// Numbers by metric name.
pub type Values = BTreeMap<String, i64>;

/// A range of workspace days (both included).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DayRange {
    pub from: String,
    pub to: String,
    pub time_zone: String,
}

/// One metric's gain in the range and in the range before.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct MetricTotal {
    pub metric: String,
    pub value: i64,
    pub previous: i64,
    /// Null when the previous range had nothing.
    #[serde(default)]
    pub change_pct: Option<f64>,
}

/// One day's numbers.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DayValues {
    pub day: String,
    #[serde(default)]
    pub values: Values,
}

/// One network's gains in the range.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NetworkValues {
    pub network: String,
    #[serde(default)]
    pub values: Values,
}

/// How fresh a subject's numbers are (`state`: active, done, gone, unsupported, paused).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Freshness {
    pub state: String,
    #[serde(default)]
    pub last_fetched_at: Option<String>,
    #[serde(default)]
    pub next_fetch_at: Option<String>,
    /// Worded for the reader.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// One connected account's reads.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AccountFreshness {
    pub account_id: String,
    pub network: String,
    #[serde(default)]
    pub handle: Option<String>,
    /// The account's name as the network shows it.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub freshness: Option<Freshness>,
    /// Posts of the account whose reads stopped (removed on the network, account paused).
    #[serde(default)]
    pub posts_stopped: i64,
}

/// What a network reports (its adapter's metrics); any other metric is "not reported" there.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Reported {
    pub network: String,
    #[serde(default)]
    pub post_metrics: Vec<String>,
    #[serde(default)]
    pub account_metrics: Vec<String>,
}

impl Reported {
    /// Whether `metric` is reported for posts or the account.
    pub fn has(&self, metric: &str) -> bool {
        self.post_metrics.iter().chain(&self.account_metrics).any(|m| m == metric)
    }
}

/// `GET …/analytics/overview`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Overview {
    pub range: DayRange,
    pub previous: DayRange,
    #[serde(default)]
    pub totals: Vec<MetricTotal>,
    #[serde(default)]
    pub series: Vec<DayValues>,
    #[serde(default)]
    pub networks: Vec<NetworkValues>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub accounts: Vec<AccountFreshness>,
    /// Per connected network.
    #[serde(default)]
    pub reported: Vec<Reported>,
}

/// One reading of a target's numbers.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Reading {
    pub observed_at: String,
    #[serde(default)]
    pub values: Values,
}

/// One target's numbers (`GET …/posts/{id}/analytics`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TargetAnalytics {
    pub target_id: String,
    pub account_id: String,
    pub network: String,
    #[serde(default)]
    pub handle: Option<String>,
    /// The account's name as the network shows it.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub external_url: Option<String>,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub latest: Values,
    #[serde(default)]
    pub series: Vec<Reading>,
    #[serde(default)]
    pub freshness: Option<Freshness>,
    /// The metrics this network reports for posts (others are "not reported", not zero).
    #[serde(default)]
    pub reported: Vec<String>,
}

/// `GET …/posts/{id}/analytics`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct PostAnalytics {
    #[serde(default)]
    pub totals: Values,
    #[serde(default)]
    pub targets: Vec<TargetAnalytics>,
}

/// `GET …/analytics/accounts/{id}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AccountAnalytics {
    pub account_id: String,
    pub network: String,
    #[serde(default)]
    pub handle: Option<String>,
    /// The account's name as the network shows it.
    #[serde(default)]
    pub display_name: Option<String>,
    pub range: DayRange,
    /// Days with a reading of the account's own numbers: the growth curve.
    #[serde(default)]
    pub levels: Vec<DayValues>,
    #[serde(default)]
    pub gains: Vec<DayValues>,
    #[serde(default)]
    pub freshness: Option<Freshness>,
}

/// One post of the ranking.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TopPost {
    pub post_id: String,
    #[serde(default)]
    pub content_preview: String,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub networks: Vec<String>,
    pub value: i64,
    #[serde(default)]
    pub values: Values,
}

/// `GET …/analytics/top-posts`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TopPosts {
    pub metric: String,
    #[serde(default)]
    pub posts: Vec<TopPost>,
}

/// One weekday × hour cell of the best-time heatmap.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BestTimeCell {
    /// ISO: 1 = Monday … 7 = Sunday.
    pub weekday: u8,
    /// 0-23, workspace zone.
    pub hour: u8,
    pub posts: i64,
    #[serde(default)]
    pub engagement: i64,
    #[serde(default)]
    pub impressions: i64,
    #[serde(default)]
    pub engagement_per_post: f64,
    #[serde(default)]
    pub engagement_rate_pct: Option<f64>,
}

/// `GET …/analytics/best-time`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BestTime {
    pub range: DayRange,
    pub sample_size: i64,
    pub enough_data: bool,
    #[serde(default)]
    pub fallback: Option<String>,
    #[serde(default)]
    pub cells: Vec<BestTimeCell>,
}

/// 401 codes after which the host is asked for a fresh session once: an expired token, or a
/// session Supabase Auth says was ended (checked before sensitive actions), where the host may
/// sign the user in again.
fn renewable(code: &str) -> bool {
    code == "token_expired" || code == "session_ended"
}
