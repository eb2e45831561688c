//! The project's public signing keys (`{SUPABASE_URL}/auth/v1/.well-known/jwks.json`), cached.

use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use tokio::sync::Mutex;

use super::AuthError;

/// Cached JWKS. Keys are reused for `ttl`; a token with an unknown `kid` triggers a refetch, at
/// most once per `min_refetch_interval` so that garbage tokens cannot make us hammer the endpoint.
#[derive(Debug)]
pub struct JwksCache {
    url: String,
    http: reqwest::Client,
    ttl: Duration,
    min_refetch_interval: Duration,
    // One lock for state and fetching: concurrent misses wait for one fetch instead of each doing one.
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    keys: Vec<Jwk>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

impl JwksCache {
    /// A cache for the JWKS at `url`.
    pub fn new(url: impl Into<String>, http: reqwest::Client) -> Self {
        Self {
            url: url.into(),
            http,
            ttl: Duration::from_secs(600),
            min_refetch_interval: Duration::from_secs(30),
            state: Mutex::new(State::default()),
        }
    }

    /// Overrides how often an unknown `kid` may trigger a refetch.
    pub fn with_min_refetch_interval(mut self, interval: Duration) -> Self {
        self.min_refetch_interval = interval;
        self
    }

    /// The key with id `kid`, fetching or refetching the set when needed.
    pub async fn key(&self, kid: &str) -> Result<(Jwk, DecodingKey), AuthError> {
        let mut state = self.state.lock().await;
        let fresh = state.fetched_at.is_some_and(|t| t.elapsed() < self.ttl);
        if fresh && let Some(found) = find(&state.keys, kid) {
            return found;
        }
        let may_fetch = state.last_attempt.is_none_or(|t| t.elapsed() >= self.min_refetch_interval);
        if may_fetch {
            state.last_attempt = Some(Instant::now());
            match self.fetch().await {
                Ok(keys) => {
                    state.keys = keys;
                    state.fetched_at = Some(Instant::now());
                }
                Err(e) => tracing::warn!(error = %e, url = %self.url, "JWKS fetch failed"),
            }
        }
        match find(&state.keys, kid) {
            Some(found) => found,
            None if state.keys.is_empty() => Err(AuthError::KeysUnavailable),
            None => Err(AuthError::UnknownKey(kid.to_owned())),
        }
    }

    async fn fetch(&self) -> Result<Vec<Jwk>, reqwest::Error> {
        let set: JwkSet = self.http.get(&self.url).timeout(Duration::from_secs(5)).send().await?.error_for_status()?.json().await?;
        Ok(set.keys)
    }
}

fn find(keys: &[Jwk], kid: &str) -> Option<Result<(Jwk, DecodingKey), AuthError>> {
    let jwk = keys.iter().find(|k| k.common.key_id.as_deref() == Some(kid))?;
    Some(DecodingKey::from_jwk(jwk).map(|key| (jwk.clone(), key)).map_err(|e| AuthError::Invalid(format!("unusable signing key: {e}"))))
}
