//! How an account's tokens are refreshed, by connection style.

use postiz_providers::{ClientRegistration, Connection, Provider, ProviderError, TokenSet};
use secrecy::SecretString;
use url::Url;

use crate::OAuthClients;
use crate::grant::{Endpoints, GrantError, refresh_grant};

/// Why a refresh failed, sorted by what happens to the account.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshError {
    /// The grant is gone (`invalid_grant`, or 401 on the refresh): the account is `revoked`.
    #[error("the network revoked this connection: {0}")]
    Revoked(String),
    /// There is no way to refresh (no refresh token, no client configured, a style without
    /// refresh): the user must reconnect.
    #[error("the token cannot be refreshed: {0}")]
    NotRefreshable(String),
    /// Try again later.
    #[error("the network is unavailable for a refresh: {0}")]
    Transient(String),
    /// Any other refusal: the user must reconnect.
    #[error("the refresh was refused: {0}")]
    Failed(String),
}

impl RefreshError {
    /// A short stable code for logs, metrics and job errors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Revoked(_) => "revoked",
            Self::NotRefreshable(_) => "not_refreshable",
            Self::Transient(_) => "transient",
            Self::Failed(_) => "failed",
        }
    }
}

impl From<GrantError> for RefreshError {
    fn from(e: GrantError) -> Self {
        match e {
            GrantError::InvalidGrant { .. } => Self::Revoked(e.to_string()),
            GrantError::Transient(_) => Self::Transient(e.to_string()),
            other => Self::Failed(other.to_string()),
        }
    }
}

impl From<ProviderError> for RefreshError {
    fn from(e: ProviderError) -> Self {
        match e.root() {
            ProviderError::Unauthorized { .. } => Self::Revoked(e.to_string()),
            ProviderError::Transient { .. } | ProviderError::RateLimited { .. } | ProviderError::OutcomeUnknown { .. } => {
                Self::Transient(e.to_string())
            }
            ProviderError::NotSupported { .. } => Self::NotRefreshable(e.to_string()),
            _ => Self::Failed(e.to_string()),
        }
    }
}

/// Refreshes with the refresh token, choosing the way the network's connection style needs:
/// the standard grant at the network's token endpoint, the adapter's own refresh
/// (`custom_refresh`, Bluesky sessions), or the grant with the client registered on the
/// account's instance.
pub async fn refresh_tokens(
    provider: &dyn Provider,
    clients: &OAuthClients,
    http: &reqwest::Client,
    registration: Option<&ClientRegistration>,
    refresh_token: &SecretString,
    server: Option<&Url>,
) -> Result<TokenSet, RefreshError> {
    let network = provider.network();
    match provider.connection() {
        Connection::OAuth2(spec) => {
            let client =
                clients.get(network).ok_or_else(|| RefreshError::NotRefreshable(format!("no OAuth client is configured for {network}")))?;
            if spec.custom_refresh {
                Ok(provider.refresh(Some(client), refresh_token, server).await?)
            } else {
                Ok(refresh_grant(http, &Endpoints::from_spec(&spec), client, refresh_token).await?)
            }
        }
        Connection::InstanceUrl { .. } => {
            let registration =
                registration.ok_or_else(|| RefreshError::NotRefreshable("the instance's client registration is missing".into()))?;
            Ok(refresh_grant(http, &Endpoints::from_registration(registration), &registration.client, refresh_token).await?)
        }
        Connection::AppPassword { .. } => Ok(provider.refresh(None, refresh_token, server).await?),
        _ => Err(RefreshError::NotRefreshable(format!("{network} credentials do not expire or refresh"))),
    }
}
