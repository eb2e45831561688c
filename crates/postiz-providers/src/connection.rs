//! How an account gets connected, and the credentials that come out of it.

use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;
use url::Url;

/// How a user connects an account on a network.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "style", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Connection {
    /// Standard OAuth2 authorization code flow, run by the API with these endpoints.
    #[serde(rename = "oauth2")]
    OAuth2(OAuth2Spec),
    /// Identifier + app password on a server (Bluesky): call [`crate::Provider::login`].
    AppPassword {
        /// Server used when the user names none.
        default_server: Url,
    },
    /// OAuth2 against a server the user names (Mastodon): register a client there with
    /// [`crate::Provider::register_client`], then run OAuth2 at these paths on that server.
    InstanceUrl {
        /// Authorization endpoint path, e.g. `/oauth/authorize`.
        authorize_path: String,
        /// Token endpoint path, e.g. `/oauth/token`.
        token_path: String,
        /// Scopes to request.
        scopes: Vec<String>,
    },
    /// A bot token configured by the operator; the user picks a chat or channel.
    BotToken,
    /// The user pastes a webhook URL.
    WebhookUrl,
    /// The user pastes an API key made in the network's settings (dev.to: Settings →
    /// Extensions); it is the account's token.
    ApiKey,
    /// The user pastes their secret key (Nostr `nsec1…`) and names their relay.
    SecretKey {
        /// Relay used when the user names none.
        default_relay: Url,
    },
}

/// OAuth2 endpoints and quirks for one network.
#[derive(Clone, Debug, Serialize)]
pub struct OAuth2Spec {
    /// Authorization endpoint.
    pub auth_url: Url,
    /// Token endpoint.
    pub token_url: Url,
    /// Scopes to request.
    pub scopes: Vec<String>,
    /// How scopes are joined in the authorization URL (space, or comma on some networks).
    pub scope_separator: &'static str,
    /// Whether PKCE (S256) is required.
    pub pkce: bool,
    /// Extra authorization-URL parameters.
    pub extra_auth_params: Vec<(String, String)>,
    /// Whether the client authenticates at the token endpoint with HTTP Basic (else in the body).
    pub client_auth_basic: bool,
    /// True when [`crate::Provider::refresh`] must be used instead of a standard refresh grant.
    pub custom_refresh: bool,
    /// The authorization-URL parameter carrying the client id: `client_id`, or TikTok's
    /// `client_key`.
    pub client_id_param: &'static str,
}

/// The operator's OAuth client on a network (or a per-instance registration).
#[derive(Clone)]
pub struct OAuthClient {
    /// Client id.
    pub client_id: String,
    /// Client secret, for confidential clients.
    pub client_secret: Option<SecretString>,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

/// Tokens for an account. `Debug` redacts the secrets.
#[derive(Clone, Debug)]
pub struct TokenSet {
    /// Bearer token for API calls.
    pub access_token: SecretString,
    /// Token to obtain a new access token, where the network issues one.
    pub refresh_token: Option<SecretString>,
    /// Lifetime of the access token, when known.
    pub expires_in: Option<Duration>,
    /// Lifetime of the refresh token, when the network says it (LinkedIn
    /// `refresh_token_expires_in`, TikTok `refresh_expires_in`): after it the account must be
    /// connected again.
    pub refresh_expires_in: Option<Duration>,
    /// Granted scopes, when the network reports them.
    pub scopes: Vec<String>,
}

/// Identifier and secret for app-password networks. `Debug` redacts the secret.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Handle, DID or email.
    pub identifier: String,
    /// The app password.
    pub password: SecretString,
    /// The user's server (PDS); `None` uses the provider's default.
    pub server: Option<Url>,
}

/// A client registered on one instance.
#[derive(Clone, Debug)]
pub struct ClientRegistration {
    /// Client id on that instance.
    pub client: OAuthClient,
    /// Authorization endpoint on that instance.
    pub auth_url: Url,
    /// Token endpoint on that instance.
    pub token_url: Url,
    /// Scopes registered.
    pub scopes: Vec<String>,
}

/// The account behind a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountInfo {
    /// The network's id (see [`crate::AccountRef::id`]).
    pub id: String,
    /// Handle or username, when the network has one.
    pub handle: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Avatar URL.
    pub avatar: Option<Url>,
    /// The account's own server (Mastodon instance, Bluesky PDS), when not the default.
    pub server: Option<Url>,
}

/// Tokens plus the account they belong to (result of an app-password login).
#[derive(Clone, Debug)]
pub struct Connected {
    /// The tokens.
    pub tokens: TokenSet,
    /// The account.
    pub account: AccountInfo,
}

/// Something a connection can publish to in a second step (a LinkedIn page, a channel…).
///
/// `Debug` redacts the token and serialization leaves it out, so a target list can be
/// shown to the user as is.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// Id to store as the account id when chosen.
    pub id: String,
    /// Name to show.
    pub name: String,
    /// Kind, e.g. `"organization"`, `"channel"`.
    pub kind: String,
    /// A token of the target's own to store instead of the connection's token when the
    /// target is chosen (Facebook Page access tokens); `None` keeps the connection's token.
    #[serde(skip)]
    pub access_token: Option<SecretString>,
}

impl Target {
    /// A target that publishes with the connection's own token.
    pub fn new(id: impl Into<String>, name: impl Into<String>, kind: impl Into<String>) -> Self {
        Self { id: id.into(), name: name.into(), kind: kind.into(), access_token: None }
    }
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        self.id == other.id
            && self.name == other.name
            && self.kind == other.kind
            && self.access_token.as_ref().map(|t| t.expose_secret()) == other.access_token.as_ref().map(|t| t.expose_secret())
    }
}

impl Eq for Target {}
