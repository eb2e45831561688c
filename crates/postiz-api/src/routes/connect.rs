//! Connecting social accounts: what every connection style shares, and the styles without a
//! browser redirect (app password, bot token, webhook URL).
//!
//! Credentials are ciphertext that only `service_role` may write. So every connect first proves,
//! in the user's own RLS-scoped transaction, that the user is an admin (or owner) of the
//! workspace, and only then writes through the service-role pool — in one transaction that
//! carries the user's claims, so the activity triggers name the user.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use deadpool_postgres::Pool;
use postiz_db::{DbRole, begin_as};
use postiz_domain::Network;
use postiz_oauth::OAuthClients;
use postiz_oauth::store::{NewConnection, SavedAccount, save_connection};
use postiz_providers::{AccountInfo, Connection, Credentials, HttpClient, Provider, ProviderError, TokenSet};
use postiz_vault::Keyring;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::extract::ConfirmedUser;
use crate::{ApiError, AppState, FieldError};

/// What connecting accounts needs besides the user's own transactions. Given to the router as
/// an extension (`router(state, base).layer(axum::Extension(Arc::new(connect)))`); without it the
/// connect endpoints answer 503.
pub struct ConnectState {
    /// The adapters that connect, look accounts up and list targets.
    pub registry: Arc<postiz_providers::Registry>,
    /// Connections as `service_role`: used only after the user's admin role was verified.
    pub service_pool: Pool,
    /// Encrypts tokens (and PKCE verifiers, instance client secrets).
    pub keyring: Arc<Keyring>,
    /// The operator's OAuth client per network.
    pub clients: OAuthClients,
    /// Client for token endpoints (no redirects).
    pub http: reqwest::Client,
    /// Checks user-supplied server URLs (Mastodon instance, Bluesky PDS, webhook).
    pub guard: HttpClient,
    /// Where networks send the browser back (the host UI's callback page).
    pub redirect_url: Url,
    /// Validity of a started flow.
    pub state_ttl: Duration,
    /// Name registered on instances.
    pub client_name: String,
}

impl std::fmt::Debug for ConnectState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectState")
            .field("keyring", &self.keyring)
            .field("clients", &self.clients)
            .field("redirect_url", &self.redirect_url.as_str())
            .field("state_ttl", &self.state_ttl)
            .finish_non_exhaustive()
    }
}

/// Extractor for the [`ConnectState`] extension: 503 when the server was started without one.
#[derive(Debug, Clone)]
pub struct Connect(pub Arc<ConnectState>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Connect {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<ConnectState>>()
            .cloned()
            .map(Connect)
            .ok_or_else(|| ApiError::unavailable("connecting accounts is not configured on this server (POSTIZ_TOKEN_ENCRYPTION_KEYS)"))
    }
}

/// `Option<Connect>`: `None` when connecting is not configured (no encryption keys).
impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Connect {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Arc<ConnectState>>().cloned().map(Connect))
    }
}

/// The network named in the path and its adapter; 404 for an unknown or disabled network.
pub(crate) fn provider_for(connect: &ConnectState, network: &str) -> Result<(Network, Arc<dyn Provider>), ApiError> {
    let network: Network = serde_json::from_value(Value::String(network.to_owned())).map_err(|_| ApiError::not_found())?;
    let provider = connect.registry.get(network).cloned().ok_or_else(ApiError::not_found)?;
    Ok((network, provider))
}

/// The connect endpoints, relative to the API base.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route("/connect/{network}/start", post(super::oauth::start))
        .route("/connect/{network}/callback", post(super::oauth::callback))
        .route("/connect/pending/{id}/complete", post(super::oauth::complete))
        .route("/connect/{network}/credentials", post(credentials))
}

/// Proves in the user's own RLS transaction that the user is an admin or owner of `ws`:
/// 404 when the workspace is not theirs (existence never leaks), 403 below admin.
pub(crate) async fn require_admin(state: &AppState, user: &AuthUser, ws: Uuid) -> Result<(), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = begin_as(&mut client, DbRole::Authenticated, &user.claims).await?;
    let row = tx
        .query_opt("select role >= 'admin' from postiz.workspace_members where workspace_id = $1 and user_id = (select auth.uid())", &[&ws])
        .await?;
    tx.commit().await?;
    match row.map(|r| r.get::<_, bool>(0)) {
        None => Err(ApiError::not_found()),
        Some(false) => Err(ApiError::forbidden("only admins and owners of the workspace can connect accounts")),
        Some(true) => Ok(()),
    }
}

/// A connected account, as answered to the UI.
#[derive(Debug, Serialize)]
pub struct ConnectedAccount {
    /// `social_accounts.id`.
    pub id: Uuid,
    /// Network wire name.
    pub network: Network,
    /// The id at the network.
    pub external_id: String,
    /// Handle.
    pub handle: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// True when an existing account was updated in place.
    pub reconnected: bool,
    /// Paused posts put back on the queue.
    pub resumed_jobs: i32,
}

/// The answer of every endpoint that can finish a connection.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ConnectOutcome {
    /// Stored.
    Connected {
        /// The account.
        account: ConnectedAccount,
    },
    /// The user picks one of these, then calls `POST /connect/pending/{pending_id}/complete`.
    ChooseTarget {
        /// The pending connection.
        pending_id: Uuid,
        /// Pages, channels, boards…
        targets: Vec<TargetChoice>,
        /// Until when the choice can be made.
        expires_at: chrono::DateTime<chrono::Utc>,
    },
}

/// One choice of a second step (never a token).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TargetChoice {
    /// Id at the network.
    pub id: String,
    /// Name to show.
    pub name: String,
    /// `page`, `organization`, `channel`, …
    pub kind: String,
}

/// Stores a connection through the service-role pool in one transaction carrying the user's
/// claims; `extra` runs in the same transaction (e.g. deleting the pending connection).
pub(crate) async fn store_connection(
    connect: &ConnectState,
    user: &AuthUser,
    conn: &NewConnection,
    tokens: &TokenSet,
    extra: Option<(&str, Uuid)>,
) -> Result<SavedAccount, ApiError> {
    let mut client = connect.service_pool.get().await?;
    // service_role with the user's claims: the activity triggers record the user as the actor.
    let tx = begin_as(&mut client, DbRole::ServiceRole, &user.claims).await?;
    let saved = save_connection(&tx, &connect.keyring, conn, tokens, Some(user.id)).await.map_err(store_error)?;
    if let Some((sql, id)) = extra {
        tx.execute(sql, &[&id]).await?;
    }
    tx.commit().await?;
    tracing::info!(account.id = %saved.id, network = %conn.network, reconnected = saved.reconnected,
                   resumed_jobs = saved.resumed_jobs, "social account connected");
    Ok(saved)
}

pub(crate) fn store_error(e: postiz_oauth::StoreError) -> ApiError {
    match e {
        postiz_oauth::StoreError::Db(db) => ApiError::from(db),
        other => ApiError::internal(&other),
    }
}

/// The connection built from what the network said about the account. `server` (the network's
/// own word first) and `instance_app_id` are stored with the credential: the only place the
/// worker and the token refresh take a destination from.
pub(crate) fn connection_for(
    ws: Uuid,
    network: Network,
    info: &AccountInfo,
    server: Option<&Url>,
    instance_app_id: Option<Uuid>,
    meta: Value,
) -> NewConnection {
    NewConnection {
        workspace_id: ws,
        network,
        external_account_id: info.id.clone(),
        external_page_id: None,
        handle: info.handle.clone(),
        display_name: info.name.clone(),
        avatar_url: info.avatar.as_ref().map(ToString::to_string),
        server: info.server.as_ref().or(server).cloned(),
        instance_app_id,
        meta,
    }
}

pub(crate) fn connected(network: Network, conn: &NewConnection, saved: SavedAccount) -> ConnectOutcome {
    ConnectOutcome::Connected {
        account: ConnectedAccount {
            id: saved.id,
            network,
            external_id: conn.external_page_id.clone().unwrap_or_else(|| conn.external_account_id.clone()),
            handle: conn.handle.clone(),
            display_name: conn.display_name.clone(),
            reconnected: saved.reconnected,
            resumed_jobs: saved.resumed_jobs,
        },
    }
}

/// A provider failure while connecting, worded for the user.
pub(crate) fn provider_error(e: ProviderError) -> ApiError {
    tracing::warn!(error = %e, "network call failed while connecting");
    match e.root() {
        // The network's reason is worded for the person at the form; the variant's own
        // prefix ("X: credentials rejected:") is for logs.
        ProviderError::Unauthorized { network, reason } => {
            ApiError::bad_request("credentials_rejected", format!("{network} refused these credentials: {reason}"))
        }
        ProviderError::Transient { .. } | ProviderError::RateLimited { .. } | ProviderError::OutcomeUnknown { .. } => {
            ApiError::unavailable(format!("The network is not answering; try again shortly ({e})"))
        }
        ProviderError::NotSupported { .. } => ApiError::bad_request("not_supported", e.to_string()),
        _ => ApiError::bad_request("network_refused", e.to_string()),
    }
}

/// A user-supplied server URL: parsed, reduced to its origin, and refused when it points at a
/// private address.
pub(crate) async fn user_server(connect: &ConnectState, network: Network, field: &str, raw: &str) -> Result<Url, ApiError> {
    let bad = |message: &str| ApiError::validation(vec![FieldError { field: field.into(), message: message.into() }]);
    let with_scheme = if raw.contains("://") { raw.trim().to_owned() } else { format!("https://{}", raw.trim()) };
    let url = Url::parse(&with_scheme).map_err(|_| bad("not a URL; e.g. https://mastodon.social"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(bad("must be an http(s) URL with a host"));
    }
    let origin = Url::parse(&url.origin().ascii_serialization()).map_err(|_| bad("not a URL"))?;
    connect.guard.check_user_url(network, &origin).await.map_err(|_| bad("this server is not reachable from the internet"))?;
    Ok(origin)
}

/// A relay address the user typed (`wss://relay.example`, or a bare host, taken as `wss://`),
/// refused when it points into a private network the operator has not opened.
pub(crate) async fn user_relay(connect: &ConnectState, network: Network, field: &str, raw: &str) -> Result<Url, ApiError> {
    let bad = |message: &str| ApiError::validation(vec![FieldError { field: field.into(), message: message.into() }]);
    let with_scheme = if raw.contains("://") { raw.trim().to_owned() } else { format!("wss://{}", raw.trim()) };
    let url = Url::parse(&with_scheme).map_err(|_| bad("not a relay address; e.g. wss://relay.damus.io"))?;
    let web_scheme = match url.scheme() {
        "wss" => "https",
        "ws" => "http",
        _ => return Err(bad("a relay address starts with wss://")),
    };
    if url.host_str().is_none() {
        return Err(bad("a relay address needs a host; e.g. wss://relay.damus.io"));
    }
    // The guard judges web addresses; the same host and port over https is the same server.
    let mut as_web = url.clone();
    as_web.set_scheme(web_scheme).map_err(|()| bad("not a relay address"))?;
    connect.guard.check_user_url(network, &as_web).await.map_err(|_| bad("this relay is not reachable from the internet"))?;
    Ok(url)
}

/// Body of `POST /connect/{network}/credentials`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialsBody {
    /// The workspace to connect into.
    pub workspace_id: Uuid,
    /// Handle, DID or email (app-password networks).
    pub identifier: Option<String>,
    /// App password (app-password networks).
    pub password: Option<SecretString>,
    /// The user's server (Bluesky PDS), when not the default.
    pub server_url: Option<String>,
    /// Bot token (bot-token networks).
    pub token: Option<SecretString>,
    /// Webhook URL (webhook networks).
    pub webhook_url: Option<SecretString>,
    /// Secret key (Nostr: `nsec1…` or hex); `server_url` is then the relay.
    pub secret_key: Option<SecretString>,
    /// API key (dev.to: made in Settings → Extensions).
    pub api_key: Option<SecretString>,
}

impl std::fmt::Debug for CredentialsBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsBody")
            .field("workspace_id", &self.workspace_id)
            .field("identifier", &self.identifier)
            .field("server_url", &self.server_url)
            .finish_non_exhaustive()
    }
}

fn required<T>(value: Option<T>, field: &str, message: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::validation(vec![FieldError { field: field.into(), message: message.into() }]))
}

/// `POST /connect/{network}/credentials`: connects a network that needs no browser redirect —
/// app password (Bluesky, the sandbox), bot token, webhook URL, secret key (Nostr), API key
/// (dev.to) — through the same store.
pub async fn credentials(
    State(state): State<AppState>,
    Connect(connect): Connect,
    ConfirmedUser(user): ConfirmedUser,
    Path(network): Path<String>,
    Json(body): Json<CredentialsBody>,
) -> Result<Json<ConnectOutcome>, ApiError> {
    let (network, provider) = provider_for(&connect, &network)?;
    require_admin(&state, &user, body.workspace_id).await?;
    let ws = body.workspace_id;
    let (tokens, info, server) = match provider.connection() {
        Connection::AppPassword { .. } => {
            let server = match body.server_url.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(raw) => Some(user_server(&connect, network, "server_url", raw).await?),
                None => None,
            };
            let credentials = Credentials {
                identifier: required(body.identifier.filter(|i| !i.trim().is_empty()), "identifier", "your handle or email")?,
                password: required(body.password, "password", "an app password created in the network's settings")?,
                server: server.clone(),
            };
            let done = provider.login(&credentials).await.map_err(provider_error)?;
            (done.tokens, done.account, server)
        }
        Connection::BotToken => {
            let token = required(body.token, "token", "the bot token")?;
            let info = provider.account_info(&token, None).await.map_err(provider_error)?;
            (TokenSet { access_token: token, refresh_token: None, expires_in: None, refresh_expires_in: None, scopes: vec![] }, info, None)
        }
        Connection::WebhookUrl => {
            let hook = required(body.webhook_url, "webhook_url", "the webhook URL the network gave you")?;
            let parsed = Url::parse(secrecy::ExposeSecret::expose_secret(&hook))
                .map_err(|_| ApiError::validation(vec![FieldError { field: "webhook_url".into(), message: "not a URL".into() }]))?;
            connect.guard.check_user_url(network, &parsed).await.map_err(|_| {
                ApiError::validation(vec![FieldError {
                    field: "webhook_url".into(),
                    message: "this URL is not reachable from the internet".into(),
                }])
            })?;
            let info = provider.account_info(&hook, None).await.map_err(provider_error)?;
            (TokenSet { access_token: hook, refresh_token: None, expires_in: None, refresh_expires_in: None, scopes: vec![] }, info, None)
        }
        Connection::ApiKey => {
            let key = required(
                body.api_key.filter(|k| !secrecy::ExposeSecret::expose_secret(k).trim().is_empty()),
                "api_key",
                "the API key made in the network's settings",
            )?;
            let key = SecretString::from(secrecy::ExposeSecret::expose_secret(&key).trim().to_owned());
            // A key the network does not know is this field's problem: shown under it.
            let info = provider.account_info(&key, None).await.map_err(|e| match e {
                ProviderError::Unauthorized { .. } => ApiError::validation(vec![FieldError {
                    field: "api_key".into(),
                    message: format!(
                        "{} does not know this API key; make a new one in its settings and paste it again",
                        network.display_name()
                    ),
                }]),
                other => provider_error(other),
            })?;
            (TokenSet { access_token: key, refresh_token: None, expires_in: None, refresh_expires_in: None, scopes: vec![] }, info, None)
        }
        Connection::SecretKey { default_relay } => {
            let relay = match body.server_url.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(raw) => user_relay(&connect, network, "server_url", raw).await?,
                None => default_relay,
            };
            let key = required(
                body.secret_key.filter(|k| !secrecy::ExposeSecret::expose_secret(k).trim().is_empty()),
                "secret_key",
                "your secret key (nsec1…)",
            )?;
            // A key that does not parse is this field's problem: shown under it.
            let info = provider.account_info(&key, Some(&relay)).await.map_err(|e| match e {
                ProviderError::Unauthorized { reason, .. } => {
                    ApiError::validation(vec![FieldError { field: "secret_key".into(), message: reason }])
                }
                other => provider_error(other),
            })?;
            (
                TokenSet { access_token: key, refresh_token: None, expires_in: None, refresh_expires_in: None, scopes: vec![] },
                info,
                Some(relay),
            )
        }
        _ => {
            return Err(ApiError::bad_request("use_oauth", format!("{network} connects through POST /connect/{}/start", network.as_str())));
        }
    };
    if info.id.is_empty() {
        return Err(ApiError::bad_request("network_refused", "the network did not say which account this is"));
    }
    let conn = connection_for(ws, network, &info, server.as_ref(), None, json!({}));
    let saved = store_connection(&connect, &user, &conn, &tokens, None).await?;
    Ok(Json(connected(network, &conn, saved)))
}
