//! The public API (`{base}/public/v1`) for n8n, Make, Zapier and scripts, authenticated by a
//! workspace API key ([`key`]) with scopes and a per-key rate limit.
//!
//! Each endpoint is a thin wrapper over the UI endpoint of the same name, called with the key's
//! actor and workspace: the same validation, the same one-transaction writes (a refused request
//! changes nothing), the same JSON shapes and error body, and row-level security confining the
//! key to its workspace. Beyond Postiz's public API: single-post reads and updates, an
//! `Idempotency-Key` on create, scoped and revocable keys, and a limit on every route.
//!
//! The OpenAPI document is generated from these handlers (`utoipa`) and served unauthenticated
//! at `/public/v1/openapi.json`.

mod analytics;
mod docs;
mod key;

use axum::extract::{DefaultBodyLimit, OriginalUri, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::OpenApi;
use uuid::Uuid;

pub use self::docs::PublicApiDoc;
pub use self::key::{ApiKey, PublicApi};
use super::accounts::{self, AccountView, NextSlot, NextSlotQuery};
use super::approvals::{self, ApprovalView, Decide, Decided, Policies, Queue, SetPolicy};
use super::media::{self, FromUrl, Media, MediaLinks, MediaPage, MediaView};
use super::posts::{self, ChangeStatus, CreatePost, PostView, UpdatePost};
// An API key is checked live in the database (revoked or expired keys stop at once); it has no
// Supabase session to confirm, so the key's actor stands in for a confirmed user.
use crate::extract::ConfirmedUser;
use crate::input::{HashedJsonBody, Ids, JsonBody, Params};
use crate::{ApiError, AppState};

/// The routes, relative to `/public/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/posts", get(list_posts).post(create_post))
        .route("/posts/{id}", get(get_post).patch(update_post).delete(delete_post))
        .route("/posts/{id}/status", post(set_post_status))
        .route("/posts/{id}/approval", get(get_post_approval))
        .route("/posts/{id}/decisions", post(decide_post))
        .route("/posts/{id}/targets/{target}/resolve", post(resolve_target))
        .route("/review-queue", get(review_queue))
        .route("/approval-policy", get(get_approval_policy).put(set_approval_policy))
        // Uploads enforce their own limits while streaming (`[media]` settings).
        .route("/media", get(list_media).post(upload_media).layer(DefaultBodyLimit::disable()))
        .route("/media/from-url", post(upload_media_from_url))
        .route("/media/{id}", get(get_media))
        .route("/media/{id}/content", get(media_content))
        .route("/accounts", get(list_accounts))
        .route("/accounts/{id}/next-slot", get(next_slot))
        .route("/analytics/overview", get(analytics::overview))
        .route("/analytics/posts/{id}", get(analytics::post))
        .route("/analytics/accounts/{id}", get(analytics::account))
        .route("/analytics/top-posts", get(analytics::top_posts))
        .route("/analytics/best-time", get(analytics::best_time))
        .route("/analytics/tags/{id}", get(analytics::tag))
        .route("/analytics/export", get(analytics::export))
}

/// `GET /public/v1/openapi.json`: the OpenAPI 3.1 document, its server URL being where it was
/// fetched from.
async fn openapi(OriginalUri(uri): OriginalUri) -> Json<utoipa::openapi::OpenApi> {
    let mut doc = PublicApiDoc::openapi();
    let base = uri.path().strip_suffix("/openapi.json").unwrap_or("/public/v1").to_owned();
    doc.servers = Some(vec![utoipa::openapi::Server::new(base)]);
    Json(doc)
}

/// The key making the request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeyInfo {
    /// Key id.
    pub id: Uuid,
    /// The workspace it acts in.
    pub workspace_id: Uuid,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

/// Which workspace and scopes this key has (no scope needed): a connection test for n8n/Zapier.
#[utoipa::path(get, path = "/me", tag = "key",
    responses((status = 200, body = KeyInfo), (status = 401, body = docs::ErrorBody), (status = 429, body = docs::ErrorBody)),
    security(("api_key" = [])))]
async fn me(key: ApiKey) -> Json<KeyInfo> {
    Json(KeyInfo { id: key.id, workspace_id: key.workspace_id, scopes: key.scopes })
}

/// Posts of the workspace, dated or not, newest first unless sorted otherwise.
#[utoipa::path(get, path = "/posts", tag = "posts",
    params(
        ("status" = Option<String>, Query, description = "draft, pending_approval, scheduled, publishing, published, failed or canceled (comma-separated for several)"),
        ("q" = Option<String>, Query, description = "posts whose text contains this, any case"),
        ("tag" = Option<Uuid>, Query, description = "only posts with this tag"),
        ("account" = Option<Uuid>, Query, description = "only posts going to this account"),
        ("author" = Option<Uuid>, Query, description = "only posts by this member"),
        ("sort" = Option<String>, Query, description = "created (default), updated or scheduled (undated posts count as latest)"),
        ("order" = Option<String>, Query, description = "desc (default) or asc"),
        ("cursor" = Option<String>, Query, description = "the previous page's next_cursor"),
        ("before" = Option<Uuid>, Query, description = "the previous page's next_before"),
        ("limit" = Option<i64>, Query, description = "1-100, default 50"),
    ),
    responses((status = 200, body = docs::PostPageDoc), (status = 403, body = docs::ErrorBody)),
    security(("api_key" = ["posts:read"])))]
async fn list_posts(
    State(state): State<AppState>,
    key: ApiKey,
    params: Params<posts::ListQuery>,
) -> Result<Json<posts::PostPage>, ApiError> {
    key.require("posts:read")?;
    posts::list(State(state), key.actor(), Ids(key.workspace_id), params).await
}

/// Creates a post (draft, pending approval, or scheduled). With an `Idempotency-Key`, a retry
/// (the same body) answers 200 with the post the first request created, and creates nothing; a
/// different body under a key already used in the workspace is refused (422
/// `idempotency_key_reused`). Keys are scoped to the workspace, not to the API key.
#[utoipa::path(post, path = "/posts", tag = "posts",
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 characters, unique per workspace; a retried create (same body) returns the first post")),
    request_body = docs::PostInput,
    responses(
        (status = 201, description = "created", body = docs::PostDoc),
        (status = 200, description = "the post an earlier request with the same Idempotency-Key and body created", body = docs::PostDoc),
        (status = 415, description = "the body is not sent as `application/json`", body = docs::ErrorBody),
        (status = 422, description = "a field is invalid (named in `fields`), or the Idempotency-Key was used for a different body (`idempotency_key_reused`); nothing was written", body = docs::ErrorBody),
    ),
    security(("api_key" = ["posts:write"])))]
async fn create_post(
    State(state): State<AppState>,
    connect: Option<crate::routes::connect::Connect>,
    key: ApiKey,
    headers: HeaderMap,
    body: HashedJsonBody<CreatePost>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    key.require("posts:write")?;
    posts::create(State(state), connect, key.actor(), headers, Ids(key.workspace_id), body).await
}

/// One post with its variants, targets (and their publish jobs), tags, media and schedule.
#[utoipa::path(get, path = "/posts/{id}", tag = "posts",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = docs::PostDoc), (status = 404, body = docs::ErrorBody)),
    security(("api_key" = ["posts:read"])))]
async fn get_post(State(state): State<AppState>, key: ApiKey, Ids(id): Ids<Uuid>) -> Result<Json<PostView>, ApiError> {
    key.require("posts:read")?;
    posts::get(State(state), key.actor(), Ids((key.workspace_id, id))).await
}

/// Replaces the fields given; `"schedule": null` unschedules. 409 while publishing or once
/// published.
#[utoipa::path(patch, path = "/posts/{id}", tag = "posts",
    params(("id" = Uuid, Path)),
    request_body = docs::PostPatch,
    responses((status = 200, body = docs::PostDoc), (status = 404, body = docs::ErrorBody), (status = 409, body = docs::ErrorBody), (status = 422, body = docs::ErrorBody)),
    security(("api_key" = ["posts:write"])))]
async fn update_post(
    State(state): State<AppState>,
    connect: Option<crate::routes::connect::Connect>,
    key: ApiKey,
    Ids(id): Ids<Uuid>,
    body: JsonBody<UpdatePost>,
) -> Result<Json<PostView>, ApiError> {
    key.require("posts:write")?;
    posts::update(State(state), connect, key.actor(), Ids((key.workspace_id, id)), body).await
}

/// Deletes a post (and cancels its queued jobs). 409 while it is being published.
#[utoipa::path(delete, path = "/posts/{id}", tag = "posts",
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "deleted"), (status = 404, body = docs::ErrorBody), (status = 409, body = docs::ErrorBody)),
    security(("api_key" = ["posts:write"])))]
async fn delete_post(State(state): State<AppState>, key: ApiKey, Ids(id): Ids<Uuid>) -> Result<StatusCode, ApiError> {
    key.require("posts:write")?;
    posts::delete(State(state), key.actor(), Ids((key.workspace_id, id))).await
}

/// Sets the status: `draft`, `pending_approval`, `scheduled` (checked like a create) or `canceled`.
#[utoipa::path(post, path = "/posts/{id}/status", tag = "posts",
    params(("id" = Uuid, Path)),
    request_body = docs::StatusInput,
    responses((status = 200, body = docs::PostDoc), (status = 404, body = docs::ErrorBody), (status = 422, body = docs::ErrorBody)),
    security(("api_key" = ["posts:write"])))]
async fn set_post_status(
    State(state): State<AppState>,
    key: ApiKey,
    Ids(id): Ids<Uuid>,
    body: JsonBody<ChangeStatus>,
) -> Result<Json<PostView>, ApiError> {
    key.require("posts:write")?;
    posts::set_status(State(state), key.actor(), Ids((key.workspace_id, id)), body).await
}

/// The post's approval state (what is missing, who may decide) and its decisions, newest first.
#[utoipa::path(get, path = "/posts/{id}/approval", tag = "approvals",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ApprovalView), (status = 404, body = docs::ErrorBody)),
    security(("api_key" = ["posts:read"])))]
async fn get_post_approval(State(state): State<AppState>, key: ApiKey, Ids(id): Ids<Uuid>) -> Result<Json<ApprovalView>, ApiError> {
    key.require("posts:read")?;
    approvals::get_post(State(state), key.actor(), Ids((key.workspace_id, id))).await
}

/// Records a decision as the key's creator: `approved`, `rejected` or `changes_requested` (a
/// note is required for the last two). An approval that completes the policy schedules the post.
/// 403 `review_refused` says why the key's creator may not decide now.
#[utoipa::path(post, path = "/posts/{id}/decisions", tag = "approvals",
    params(("id" = Uuid, Path)),
    request_body = Decide,
    responses((status = 201, body = Decided), (status = 403, body = docs::ErrorBody), (status = 404, body = docs::ErrorBody), (status = 422, body = docs::ErrorBody)),
    security(("api_key" = ["posts:write"])))]
async fn decide_post(
    State(state): State<AppState>,
    key: ApiKey,
    Ids(id): Ids<Uuid>,
    body: JsonBody<Decide>,
) -> Result<(StatusCode, Json<Decided>), ApiError> {
    key.require("posts:write")?;
    approvals::decide(State(state), ConfirmedUser(key.actor()), Ids((key.workspace_id, id)), body).await
}

/// Resolves a target the worker could not confirm (`unconfirmed`): `{"outcome": "on_network",
/// "url": "…"}` marks it published at that address (checked: http(s), on the network's own
/// hosts where it has one), `{"outcome": "publish_again"}` queues it once more. 409
/// `wrong_state` when it is no longer unconfirmed (a second request). Answers the post.
#[utoipa::path(post, path = "/posts/{id}/targets/{target}/resolve", tag = "posts",
    params(("id" = Uuid, Path), ("target" = Uuid, Path)),
    request_body = crate::routes::unconfirmed::Resolve,
    responses((status = 200, body = docs::PostDoc), (status = 404, body = docs::ErrorBody), (status = 409, body = docs::ErrorBody), (status = 422, body = docs::ErrorBody)),
    security(("api_key" = ["posts:write"])))]
async fn resolve_target(
    State(state): State<AppState>,
    key: ApiKey,
    Ids((id, target)): Ids<(Uuid, Uuid)>,
    body: JsonBody<crate::routes::unconfirmed::Resolve>,
) -> Result<Json<PostView>, ApiError> {
    key.require("posts:write")?;
    crate::routes::unconfirmed::resolve(State(state), key.actor(), Ids((key.workspace_id, id, target)), body).await
}

/// Posts waiting for a decision the key's creator may make, soonest due first.
#[utoipa::path(get, path = "/review-queue", tag = "approvals",
    responses((status = 200, body = Queue)),
    security(("api_key" = ["posts:read"])))]
async fn review_queue(State(state): State<AppState>, key: ApiKey) -> Result<Json<Queue>, ApiError> {
    key.require("posts:read")?;
    approvals::queue(State(state), key.actor(), Ids(key.workspace_id)).await
}

/// The workspace's approval policy and account overrides.
#[utoipa::path(get, path = "/approval-policy", tag = "approvals",
    responses((status = 200, body = Policies)),
    security(("api_key" = ["posts:read"])))]
async fn get_approval_policy(State(state): State<AppState>, key: ApiKey) -> Result<Json<Policies>, ApiError> {
    key.require("posts:read")?;
    approvals::get_policy(State(state), key.actor(), Ids(key.workspace_id)).await
}

/// Sets the workspace's policy (or an account's override); the key's creator must be an admin.
#[utoipa::path(put, path = "/approval-policy", tag = "approvals",
    request_body = SetPolicy,
    responses((status = 200, body = Policies), (status = 403, body = docs::ErrorBody), (status = 422, body = docs::ErrorBody)),
    security(("api_key" = ["posts:write"])))]
async fn set_approval_policy(State(state): State<AppState>, key: ApiKey, body: JsonBody<SetPolicy>) -> Result<Json<Policies>, ApiError> {
    key.require("posts:write")?;
    approvals::set_policy(State(state), ConfirmedUser(key.actor()), Ids(key.workspace_id), body).await
}

/// Uploads one file (`multipart/form-data`, field `file`). Its type is read from its bytes
/// (PNG, JPEG, GIF, WebP, MP4, QuickTime); the same bytes twice give back the first asset (200).
#[utoipa::path(post, path = "/media", tag = "media",
    request_body(content = docs::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "a new asset", body = MediaView),
        (status = 200, description = "the workspace already had these bytes", body = MediaView),
        (status = 413, description = "too large (field `file`); nothing stored", body = docs::ErrorBody),
        (status = 415, description = "not an accepted type (field `file`); nothing stored", body = docs::ErrorBody),
        (status = 422, description = "unreadable image or video, or an image too large in pixels", body = docs::ErrorBody),
    ),
    security(("api_key" = ["media:write"])))]
async fn upload_media(
    State(state): State<AppState>,
    key: ApiKey,
    media_state: Media,
    links: MediaLinks,
    request: Request,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    key.require("media:write")?;
    media::upload(State(state), key.actor(), media_state, links, Ids(key.workspace_id), request).await
}

/// Downloads a file from a public `http(s)` URL into the media library, checked like an upload
/// (Postiz's `upload-from-url`). Loopback, private, link-local and reserved addresses are refused,
/// also after a redirect.
#[utoipa::path(post, path = "/media/from-url", tag = "media",
    request_body = FromUrl,
    responses(
        (status = 201, description = "a new asset", body = MediaView),
        (status = 200, description = "the workspace already had these bytes", body = MediaView),
        (status = 413, description = "too large (field `url`); nothing stored", body = docs::ErrorBody),
        (status = 415, description = "not an accepted type (field `url`); nothing stored", body = docs::ErrorBody),
        (status = 422, description = "the URL is refused, unreachable, answers an error or holds an unreadable file (field `url`)", body = docs::ErrorBody),
    ),
    security(("api_key" = ["media:write"])))]
async fn upload_media_from_url(
    State(state): State<AppState>,
    key: ApiKey,
    media_state: Media,
    links: MediaLinks,
    body: JsonBody<FromUrl>,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    key.require("media:write")?;
    media::upload_from_url(State(state), key.actor(), media_state, links, Ids(key.workspace_id), body).await
}

/// The media library, newest first.
#[utoipa::path(get, path = "/media", tag = "media",
    params(
        ("kind" = Option<String>, Query, description = "image, gif or video"),
        ("before" = Option<Uuid>, Query, description = "the previous page's next_before"),
        ("limit" = Option<i64>, Query, description = "1-100, default 50"),
    ),
    responses((status = 200, body = MediaPage)),
    security(("api_key" = ["media:read"])))]
async fn list_media(
    State(state): State<AppState>,
    key: ApiKey,
    links: MediaLinks,
    params: Params<media::ListQuery>,
) -> Result<Json<MediaPage>, ApiError> {
    key.require("media:read")?;
    media::list(State(state), key.actor(), links, Ids(key.workspace_id), params).await
}

/// One media asset.
#[utoipa::path(get, path = "/media/{id}", tag = "media",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = MediaView), (status = 404, body = docs::ErrorBody)),
    security(("api_key" = ["media:read"])))]
async fn get_media(State(state): State<AppState>, key: ApiKey, links: MediaLinks, Ids(id): Ids<Uuid>) -> Result<Json<MediaView>, ApiError> {
    key.require("media:read")?;
    media::get(State(state), key.actor(), links, Ids((key.workspace_id, id))).await
}

/// The asset's bytes, with their sniffed type.
#[utoipa::path(get, path = "/media/{id}/content", tag = "media",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"), (status = 404, body = docs::ErrorBody)),
    security(("api_key" = ["media:read"])))]
async fn media_content(
    State(state): State<AppState>,
    key: ApiKey,
    media_state: Media,
    Ids(id): Ids<Uuid>,
) -> Result<axum::response::Response, ApiError> {
    key.require("media:read")?;
    media::content(State(state), key.actor(), media_state, Ids((key.workspace_id, id))).await
}

/// Connected social accounts (ids to use as a post's `targets`).
#[utoipa::path(get, path = "/accounts", tag = "accounts",
    responses((status = 200, body = Vec<docs::AccountDoc>)),
    security(("api_key" = ["accounts:read"])))]
async fn list_accounts(State(state): State<AppState>, key: ApiKey) -> Result<Json<Vec<AccountView>>, ApiError> {
    key.require("accounts:read")?;
    accounts::list(State(state), key.actor(), Ids(key.workspace_id)).await
}

/// The account's next posting slot not already taken by a scheduled post.
#[utoipa::path(get, path = "/accounts/{id}/next-slot", tag = "accounts",
    params(
        ("id" = Uuid, Path),
        ("after" = Option<String>, Query, description = "RFC 3339 instant; default now"),
        ("horizon_days" = Option<u32>, Query, description = "1-90, default 28"),
    ),
    responses((status = 200, body = docs::NextSlotDoc), (status = 404, body = docs::ErrorBody)),
    security(("api_key" = ["accounts:read"])))]
async fn next_slot(
    State(state): State<AppState>,
    key: ApiKey,
    Ids(id): Ids<Uuid>,
    params: Params<NextSlotQuery>,
) -> Result<Json<NextSlot>, ApiError> {
    key.require("accounts:read")?;
    accounts::next_slot(State(state), key.actor(), Ids((key.workspace_id, id)), params).await
}
