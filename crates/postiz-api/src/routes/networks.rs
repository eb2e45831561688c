//! What the networks accept: descriptions for the UI and content validation.

use axum::Json;
use axum::extract::State;
use postiz_domain::ComposedPost;
use postiz_providers::{FieldError, NetworkDescription};
use serde::Serialize;

use crate::auth::AuthUser;
use crate::input::JsonBody;
use crate::{ApiError, AppState};

/// `GET /networks`: every available network's connection style, content rules and capabilities.
pub async fn list(State(state): State<AppState>, _user: AuthUser) -> Json<Vec<NetworkDescription>> {
    Json(state.registry.describe())
}

/// Answer of `POST /validate`.
#[derive(Debug, Serialize)]
pub struct Validation {
    /// Whether every variant passes.
    pub valid: bool,
    /// Problems, each naming its field (`variants.x.text`), network, code and limit.
    pub errors: Vec<FieldError>,
}

/// `POST /validate` with a composed post (`{"variants": {"x": {"text": …}}}`): the networks'
/// rules applied to each variant. Always 200 for a well-formed body; `valid` says the outcome.
pub async fn validate(
    State(state): State<AppState>,
    _user: AuthUser,
    JsonBody(post): JsonBody<ComposedPost>,
) -> Result<Json<Validation>, ApiError> {
    let errors = state.registry.validate(&post);
    Ok(Json(Validation { valid: errors.is_empty(), errors }))
}
