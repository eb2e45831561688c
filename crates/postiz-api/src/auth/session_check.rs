//! A session the host ended is ended here too, for sensitive actions.
//!
//! An access token stays valid until it expires, even after its user signed out everywhere or
//! was banned. Before a sensitive action (connecting an account, creating an API key, changing
//! roles, deciding on a post, deleting a workspace) the API asks the host's Supabase Auth
//! whether the session still stands (`GET /auth/v1/user` with the caller's token). A yes is
//! remembered for a short while per token (only the token's SHA-256 is kept), so a burst of
//! sensitive requests costs one call. When Auth cannot answer, the action is refused (503):
//! a sensitive action never goes ahead unconfirmed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use supabase_auth::error::Error as AuthClientError;
use supabase_auth::models::AuthClient;

use super::AuthError;

/// Tokens remembered at most; the expired ones are dropped first.
const MAX_REMEMBERED: usize = 10_000;

/// Asks Supabase Auth whether sessions still stand.
pub struct SessionCheck {
    client: AuthClient,
    remember_for: Duration,
    timeout: Duration,
    confirmed: Mutex<HashMap<[u8; 32], Instant>>,
}

impl std::fmt::Debug for SessionCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionCheck")
            .field("project_url", &self.client.project_url())
            .field("remember_for", &self.remember_for)
            .finish_non_exhaustive()
    }
}

/// What Supabase Auth's health endpoint said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthHealth {
    /// It answered (its name and version).
    Reachable(String),
    /// It did not answer, or answered an error.
    Unreachable(String),
}

impl SessionCheck {
    /// A check against the project at `project_url` with its anon (publishable) key; a
    /// confirmed session is remembered for `remember_for`.
    pub fn new(project_url: &str, anon_key: &str, remember_for: Duration) -> Self {
        Self {
            client: AuthClient::new(project_url.trim_end_matches('/'), anon_key, ""),
            remember_for,
            timeout: Duration::from_secs(5),
            confirmed: Mutex::new(HashMap::new()),
        }
    }

    /// How long Supabase Auth may take to answer (5 s by default); past it the action is refused.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether the session of `token` still stands.
    pub async fn confirm(&self, token: &str) -> Result<(), AuthError> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = Instant::now();
        if self.confirmed.lock().unwrap_or_else(|p| p.into_inner()).get(&key).is_some_and(|until| *until > now) {
            return Ok(());
        }
        match tokio::time::timeout(self.timeout, self.client.get_user(token)).await {
            Err(_) => Err(AuthError::SessionUnconfirmed("Supabase Auth did not answer in time".into())),
            Ok(Ok(_user)) => {
                self.remember(key, now);
                Ok(())
            }
            // Auth accepted the token but its user did not fit the client's model (a user
            // without an email): the session stands.
            Ok(Err(AuthClientError::AuthError { status, .. })) if status.is_success() => {
                self.remember(key, now);
                Ok(())
            }
            // Signed out (session_not_found), banned, deleted (user_not_found), or a token Auth
            // itself refuses.
            Ok(Err(AuthClientError::AuthError { status, .. })) if matches!(status.as_u16(), 401 | 403 | 404) => {
                Err(AuthError::SessionEnded)
            }
            Ok(Err(AuthClientError::AuthError { status, .. })) => {
                Err(AuthError::SessionUnconfirmed(format!("Supabase Auth answered {status}")))
            }
            Ok(Err(e)) => Err(AuthError::SessionUnconfirmed(format!("Supabase Auth could not be asked: {e}"))),
        }
    }

    /// `GET /auth/v1/health`.
    pub async fn health(&self) -> AuthHealth {
        match tokio::time::timeout(self.timeout, self.client.get_health()).await {
            Ok(Ok(h)) => AuthHealth::Reachable(format!("{} {}", h.name, h.version)),
            Ok(Err(e)) => AuthHealth::Unreachable(e.to_string()),
            Err(_) => AuthHealth::Unreachable("no answer in time".into()),
        }
    }

    fn remember(&self, key: [u8; 32], now: Instant) {
        let mut confirmed = self.confirmed.lock().unwrap_or_else(|p| p.into_inner());
        if confirmed.len() >= MAX_REMEMBERED {
            confirmed.retain(|_, until| *until > now);
            if confirmed.len() >= MAX_REMEMBERED {
                confirmed.clear();
            }
        }
        confirmed.insert(key, now + self.remember_for);
    }
}
