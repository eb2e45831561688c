use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::{ApiError, AppState};

/// `GET /health`: the API is up and the database answers.
pub async fn get(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let client = state.pool.get().await?;
    client.query_one("select 1", &[]).await?;
    Ok(Json(json!({"status": "ok"})))
}
