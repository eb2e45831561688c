//! Request extractors: the signed-in user, and the same user confirmed with Supabase Auth for
//! sensitive actions.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::ApiError;
use crate::auth::{AuthError, AuthUser, access_token_from_cookie_header};
use crate::state::AppState;

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = session_token(parts, state)?;
        Ok(state.verifier.verify(&token).await?)
    }
}

/// The signed-in user of a sensitive action (connecting an account, API keys, roles,
/// decisions on posts, deleting a workspace): verified as [`AuthUser`], then confirmed with
/// the host's Supabase Auth, so that a session the host ended stops here too.
#[derive(Debug, Clone)]
pub struct ConfirmedUser(pub AuthUser);

impl FromRequestParts<AppState> for ConfirmedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = session_token(parts, state)?;
        let user = state.verifier.verify(&token).await?;
        state.verifier.confirm(&token).await?;
        Ok(Self(user))
    }
}

/// The request's access token: the bearer token, else the host's session cookie (for a write,
/// only from the host's origin).
fn session_token(parts: &Parts, state: &AppState) -> Result<String, AuthError> {
    if let Some(token) = bearer(parts) {
        return Ok(token.to_owned());
    }
    let token = state
        .session_cookie
        .as_deref()
        .and_then(|name| {
            parts
                .headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|h| access_token_from_cookie_header(h, name))
        })
        .ok_or(AuthError::Missing)?;
    // Cookies ride along on cross-site requests; writes must prove they come from the host.
    if !is_safe(&parts.method) && !same_origin(parts, &state.allowed_origins) {
        return Err(AuthError::CrossSite);
    }
    Ok(token)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_origin(parts: &Parts, allowed: &[String]) -> bool {
    if let Some(origin) = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return allowed.iter().any(|a| a.trim_end_matches('/') == origin);
    }
    parts.headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).is_some_and(|v| v == "same-origin")
}
