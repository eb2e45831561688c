use axum::Router;
use axum::middleware;
use axum::routing::get;

use crate::{AppState, metrics, request_id, response_policy, routes};

/// The module API, mounted under `base_path` (default `/dashboard/postiz/api`). Every response
/// carries a request id and follows [`response_policy`] (not cached, one error shape); each is
/// counted and timed by route ([`metrics`]; recorded only where a recorder is installed).
pub fn router(state: AppState, base_path: &str) -> Router {
    let api = Router::new()
        .route("/health", get(routes::health::get))
        .route("/session", get(routes::session::get))
        .merge(routes::resources())
        .merge(routes::connect::routes())
        .merge(routes::media::routes())
        .merge(routes::media_public::routes())
        .nest("/public/v1", routes::public::routes())
        .with_state(state);
    let base = format!("/{}", base_path.trim_matches('/'));
    Router::new()
        .nest(&base, api)
        .layer(middleware::from_fn(response_policy::layer))
        .layer(middleware::from_fn(request_id::layer))
        .layer(middleware::from_fn(metrics::layer))
}
