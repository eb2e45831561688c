//! What the networks accept: descriptions for the UI and content validation.

use std::sync::Arc;

use axum::extract::State;
use axum::{Extension, Json};
use postiz_domain::ComposedPost;
use postiz_providers::{Connection, FieldError, NetworkDescription};
use serde::Serialize;

use crate::auth::AuthUser;
use crate::input::JsonBody;
use crate::routes::connect::ConnectState;
use crate::{ApiError, AppState};

/// One network as `GET /networks` lists it: its description, and whether accounts of it can
/// be connected on this server.
#[derive(Debug, Serialize)]
pub struct ListedNetwork {
    /// Connection style, rules, capabilities.
    #[serde(flatten)]
    pub description: NetworkDescription,
    /// False when this server can't connect such accounts: an OAuth network whose client the
    /// operator has not configured (`[oauth.clients.<network>]`), or no connecting at all. The
    /// UI offers no connect button then; the rules still serve accounts already connected.
    pub connectable: bool,
}

/// `GET /networks`: every available network's connection style, content rules and capabilities,
/// and whether it can be connected here.
pub async fn list(
    State(state): State<AppState>,
    connect: Option<Extension<Arc<ConnectState>>>,
    _user: AuthUser,
) -> Json<Vec<ListedNetwork>> {
    Json(
        state
            .registry
            .describe()
            .into_iter()
            .map(|description| {
                let connectable = match (&connect, &description.connection) {
                    (None, _) => false,
                    (Some(c), Connection::OAuth2(_)) => c.clients.get(description.network).is_some(),
                    (Some(_), _) => true,
                };
                ListedNetwork { description, connectable }
            })
            .collect(),
    )
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
