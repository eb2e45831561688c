//! The public API's analytics (`/public/v1/analytics/...`, scope `analytics:read`): the UI's
//! analytics endpoints called with the key's actor and workspace.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use super::ApiKey;
use super::docs::ErrorBody;
use crate::input::{Ids, Params};
use crate::routes::analytics::account::AccountAnalytics;
use crate::routes::analytics::best_time::BestTime;
use crate::routes::analytics::export::ExportQuery;
use crate::routes::analytics::overview::{Overview, OverviewQuery, RangeQuery};
use crate::routes::analytics::post::PostAnalytics;
use crate::routes::analytics::tag::TagAnalytics;
use crate::routes::analytics::top_posts::{TopPosts, TopPostsQuery};
use crate::routes::analytics::{account, best_time, export, overview, post, tag, top_posts};
use crate::{ApiError, AppState};

/// The scope every analytics route needs.
const SCOPE: &str = "analytics:read";

/// Totals for a range of days (with the change against the range before), a series by day,
/// per network, and how fresh the numbers are.
#[utoipa::path(get, path = "/analytics/overview", tag = "analytics",
    params(OverviewQuery),
    responses((status = 200, body = Overview), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("api_key" = ["analytics:read"])))]
pub(super) async fn overview(
    State(state): State<AppState>,
    key: ApiKey,
    params: Params<OverviewQuery>,
) -> Result<Json<Overview>, ApiError> {
    key.require(SCOPE)?;
    overview::get(State(state), key.actor(), Ids(key.workspace_id), params).await
}

/// One post's numbers: every target's readings since publishing, latest values, freshness.
#[utoipa::path(get, path = "/analytics/posts/{id}", tag = "analytics",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PostAnalytics), (status = 404, body = ErrorBody)),
    security(("api_key" = ["analytics:read"])))]
pub(super) async fn post(State(state): State<AppState>, key: ApiKey, Ids(id): Ids<Uuid>) -> Result<Json<PostAnalytics>, ApiError> {
    key.require(SCOPE)?;
    post::get(State(state), key.actor(), Ids((key.workspace_id, id))).await
}

/// An account's growth curve and what its posts gained by day.
#[utoipa::path(get, path = "/analytics/accounts/{id}", tag = "analytics",
    params(("id" = Uuid, Path), RangeQuery),
    responses((status = 200, body = AccountAnalytics), (status = 404, body = ErrorBody)),
    security(("api_key" = ["analytics:read"])))]
pub(super) async fn account(
    State(state): State<AppState>,
    key: ApiKey,
    Ids(id): Ids<Uuid>,
    params: Params<RangeQuery>,
) -> Result<Json<AccountAnalytics>, ApiError> {
    key.require(SCOPE)?;
    account::get(State(state), key.actor(), Ids((key.workspace_id, id)), params).await
}

/// The posts published in a range with the highest value of a metric.
#[utoipa::path(get, path = "/analytics/top-posts", tag = "analytics",
    params(TopPostsQuery),
    responses((status = 200, body = TopPosts), (status = 400, body = ErrorBody)),
    security(("api_key" = ["analytics:read"])))]
pub(super) async fn top_posts(
    State(state): State<AppState>,
    key: ApiKey,
    params: Params<TopPostsQuery>,
) -> Result<Json<TopPosts>, ApiError> {
    key.require(SCOPE)?;
    top_posts::get(State(state), key.actor(), Ids(key.workspace_id), params).await
}

/// Engagement by weekday and hour of publishing, from the workspace's own history.
#[utoipa::path(get, path = "/analytics/best-time", tag = "analytics",
    params(RangeQuery),
    responses((status = 200, body = BestTime), (status = 400, body = ErrorBody)),
    security(("api_key" = ["analytics:read"])))]
pub(super) async fn best_time(State(state): State<AppState>, key: ApiKey, params: Params<RangeQuery>) -> Result<Json<BestTime>, ApiError> {
    key.require(SCOPE)?;
    best_time::get(State(state), key.actor(), Ids(key.workspace_id), params).await
}

/// What a tag's posts (a campaign) gained.
#[utoipa::path(get, path = "/analytics/tags/{id}", tag = "analytics",
    params(("id" = Uuid, Path), RangeQuery),
    responses((status = 200, body = TagAnalytics), (status = 404, body = ErrorBody)),
    security(("api_key" = ["analytics:read"])))]
pub(super) async fn tag(
    State(state): State<AppState>,
    key: ApiKey,
    Ids(id): Ids<Uuid>,
    params: Params<RangeQuery>,
) -> Result<Json<TagAnalytics>, ApiError> {
    key.require(SCOPE)?;
    tag::get(State(state), key.actor(), Ids((key.workspace_id, id)), params).await
}

/// The numbers as CSV or JSON, streamed: `daily` (per post target or account and day),
/// `snapshots` (every reading) or `posts` (per post, latest values; unsupported metrics empty).
#[utoipa::path(get, path = "/analytics/export", tag = "analytics",
    params(ExportQuery),
    responses((status = 200, description = "text/csv or application/json, as an attachment"), (status = 400, body = ErrorBody)),
    security(("api_key" = ["analytics:read"])))]
pub(super) async fn export(State(state): State<AppState>, key: ApiKey, params: Params<ExportQuery>) -> Result<Response, ApiError> {
    key.require(SCOPE)?;
    export::get(State(state), key.actor(), Ids(key.workspace_id), params).await
}
