//! Authenticating a public API request by its workspace API key, and the per-key rate limit.
//!
//! 1. The key comes as `Authorization: Bearer pzk_…`, or as the bare key (`Authorization:
//!    pzk_…`, as Postiz's clients send it). 401 when missing or malformed.
//! 2. The rate limit is checked next, keyed by the key's SHA-256, so a flood with one key is
//!    answered 429 (`Retry-After`) without touching the database.
//! 3. `postiz_private.service_authenticate_api_key(sha256)` runs as `service_role` in a short
//!    transaction of its own: unknown, revoked or expired keys, and keys whose creator has left
//!    the workspace, are 401 with a code saying which.
//! 4. The handler checks the route's scope (403 `insufficient_scope`) and runs its queries as
//!    the key's [`ApiKey::actor`]: `authenticated` with claims naming the key, which the RLS
//!    helpers confine to the key's workspace with at most the `editor` role.

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use postiz_db::{DbRole, begin_as};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::{ApiError, AppState};

/// Keys look like `pzk_` + 48 hex digits (`postiz.create_api_key`).
const KEY_PREFIX: &str = "pzk_";
const KEY_LEN: usize = 4 + 48;

/// Above this many tracked keys, limiter entries that are back to a full bucket are dropped.
const RETAIN_ABOVE: usize = 10_000;

/// What the public API needs besides [`AppState`]: the per-key rate limiter. Given to the router
/// as an extension (`router(..).layer(axum::Extension(Arc::new(PublicApi::new(..))))`); without
/// it the public API answers 503.
#[derive(Debug)]
pub struct PublicApi {
    limiter: DefaultKeyedRateLimiter<[u8; 32]>,
    per_minute: u32,
}

impl PublicApi {
    /// `per_minute` requests per key and minute on average, in bursts of up to `burst`.
    /// The limit is per process: with several API replicas each allows as much.
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Self { limiter: RateLimiter::keyed(quota), per_minute: per_minute.get() }
    }

    /// From `[public_api]` (zeros, refused by config validation, become 1).
    pub fn from_settings(p: &postiz_config::PublicApiSettings) -> Self {
        Self::new(NonZeroU32::new(p.requests_per_minute).unwrap_or(NonZeroU32::MIN), NonZeroU32::new(p.burst).unwrap_or(NonZeroU32::MIN))
    }

    /// One request by the key with this hash: `Err(429)` when over the limit.
    fn admit(&self, hash: &[u8; 32]) -> Result<(), ApiError> {
        if self.limiter.len() > RETAIN_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(hash).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::too_many_requests(
                wait,
                format!("this API key is limited to {} requests a minute; retry after the time in Retry-After", self.per_minute),
            )
        })
    }
}

/// An authenticated API key: its workspace and scopes.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// The key's id (`postiz.api_keys.id`).
    pub id: Uuid,
    /// The one workspace it may act in.
    pub workspace_id: Uuid,
    /// Granted scopes (`posts:read`, …).
    pub scopes: Vec<String>,
    /// The admin who created it.
    pub created_by: Uuid,
}

impl ApiKey {
    /// 403 unless the key holds `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden_because(
                "insufficient_scope",
                format!("this API key lacks the {scope} scope; create a key that has it"),
            ))
        }
    }

    /// Who the request's database work runs as: `authenticated`, `sub` = the key's creator, and
    /// a `postiz_api_key` claim that the RLS helpers turn into "this workspace, editor at most".
    pub fn actor(&self) -> AuthUser {
        AuthUser {
            id: self.created_by,
            email: None,
            claims: json!({
                "sub": self.created_by,
                "role": "authenticated",
                "aud": "authenticated",
                "postiz_api_key": {"id": self.id, "workspace_id": self.workspace_id},
            }),
        }
    }
}

/// The key from `Authorization: Bearer <key>` or `Authorization: <key>`.
fn presented(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::unauthorized("api_key_missing", "send the workspace API key as `Authorization: Bearer <key>`"))?;
    let key = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    let well_formed = key.len() == KEY_LEN
        && key.starts_with(KEY_PREFIX)
        && key[KEY_PREFIX.len()..].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(ApiError::unauthorized("api_key_invalid", "that is not a workspace API key (pzk_…)"));
    }
    Ok(key)
}

impl FromRequestParts<AppState> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let public = parts
            .extensions
            .get::<Arc<PublicApi>>()
            .cloned()
            .ok_or_else(|| ApiError::unavailable("the public API is not configured on this server"))?;
        let hash: [u8; 32] = Sha256::digest(presented(parts)?.as_bytes()).into();
        public.admit(&hash)?;
        let mut client = state.pool.get().await?;
        let tx = begin_as(&mut client, DbRole::ServiceRole, &json!({"role": "service_role"})).await?;
        let row = tx
            .query_opt(
                "select key_id, workspace_id, scopes, actor_id, problem from postiz_private.service_authenticate_api_key($1)",
                &[&hash.as_slice()],
            )
            .await?;
        tx.commit().await?;
        let row = row.ok_or_else(|| ApiError::unauthorized("api_key_invalid", "this API key does not exist"))?;
        match row.get::<_, Option<String>>(4).as_deref() {
            None => {}
            Some("revoked") => return Err(ApiError::unauthorized("api_key_revoked", "this API key was revoked")),
            Some("expired") => return Err(ApiError::unauthorized("api_key_expired", "this API key has expired")),
            Some(_) => {
                return Err(ApiError::unauthorized(
                    "api_key_inactive",
                    "the member who created this API key has left the workspace; create a new key",
                ));
            }
        }
        let key = ApiKey { id: row.get(0), workspace_id: row.get(1), scopes: row.get(2), created_by: row.get(3) };
        tracing::debug!(api_key.id = %key.id, workspace.id = %key.workspace_id, "API key authenticated");
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(auth: Option<&str>) -> Parts {
        let mut b = Request::builder();
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(()).expect("request").into_parts().0
    }

    #[test]
    fn bearer_and_bare_keys_are_accepted_and_anything_else_refused() {
        let key = format!("pzk_{}", "0a".repeat(24));
        assert_eq!(presented(&parts(Some(&format!("Bearer {key}")))).expect("bearer"), key);
        assert_eq!(presented(&parts(Some(&format!("bearer  {key}")))).expect("bearer"), key);
        assert_eq!(presented(&parts(Some(&key))).expect("bare"), key);
        assert_eq!(presented(&parts(None)).unwrap_err().code(), "api_key_missing");
        for bad in ["Bearer eyJhbGciOi.jwt.here", "pzk_short", &format!("pzk_{}", "0A".repeat(24)), &format!("Basic {key}")] {
            assert_eq!(presented(&parts(Some(bad))).unwrap_err().code(), "api_key_invalid", "{bad}");
        }
    }

    #[test]
    fn the_limit_is_per_key_and_says_when_to_retry() {
        let api = PublicApi::new(NonZeroU32::new(2).expect("2"), NonZeroU32::new(2).expect("2"));
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert!(api.admit(&a).is_ok() && api.admit(&a).is_ok());
        let refused = api.admit(&a).unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert!(api.admit(&b).is_ok(), "another key has its own bucket");
    }
}
