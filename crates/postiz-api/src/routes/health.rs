use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::auth::AuthHealth;
use crate::{ApiError, AppState};

/// `GET /health`: the API is up and the database answers; `auth` says whether the host's
/// Supabase Auth answers (`ok`, `unreachable` with why, or `not_configured` when sessions are
/// not re-checked with it). An unreachable Auth does not fail the check: only sensitive
/// actions need it.
pub async fn get(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let client = state.pool.get().await?;
    client.query_one("select 1", &[]).await?;
    let auth = match state.verifier.auth_health().await {
        Some(AuthHealth::Reachable(version)) => json!({"status": "ok", "version": version}),
        Some(AuthHealth::Unreachable(why)) => json!({"status": "unreachable", "reason": why}),
        None => json!({"status": "not_configured"}),
    };
    Ok(Json(json!({"status": "ok", "auth": auth})))
}
