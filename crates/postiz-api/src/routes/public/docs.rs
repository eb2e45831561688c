//! The OpenAPI document of the public API.
//!
//! Operations come from the handlers' `#[utoipa::path]`. Bodies shared with the UI endpoints
//! (posts, accounts) are described here by documentation types whose top-level fields mirror
//! the real ones; nested values with many shapes (variants, schedule, targets) are objects with
//! a description. Two tests keep them honest: every documented input field is accepted by the
//! real request type, and every documented output field appears in real responses
//! (`tests/public_api_http.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::security::{ApiKey as ApiKeyScheme, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use uuid::Uuid;

use super::KeyInfo;
use crate::routes::media::{FromUrl, MediaPage, MediaView};

/// The public API's OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Postiz module public API",
        version = "1",
        description = "Schedule posts, upload media, read accounts and analytics with a workspace API key \
            (`Authorization: Bearer pzk_…`, or the bare key). Each key holds scopes (posts:read, \
            posts:write, media:read, media:write, accounts:read, analytics:read), can be revoked at any time, and is \
            rate limited: over the limit, 429 with `Retry-After`. Every error has the shape \
            `{\"error\": {\"code\", \"message\", \"fields\": [{\"field\", \"message\"}]}, \"request_id\"}` and every \
            response carries `x-request-id`."
    ),
    paths(
        super::me,
        super::list_posts,
        super::create_post,
        super::get_post,
        super::update_post,
        super::delete_post,
        super::set_post_status,
        super::get_post_approval,
        super::decide_post,
        super::resolve_target,
        super::review_queue,
        super::get_approval_policy,
        super::set_approval_policy,
        super::upload_media,
        super::upload_media_from_url,
        super::list_media,
        super::get_media,
        super::media_content,
        super::list_accounts,
        super::next_slot,
        super::analytics::overview,
        super::analytics::post,
        super::analytics::account,
        super::analytics::top_posts,
        super::analytics::best_time,
        super::analytics::tag,
        super::analytics::export,
    ),
    components(schemas(
        ErrorBody, ErrorInner, FieldErrorDoc, PostInput, PostPatch, StatusInput, MediaItemDoc, PostDoc, PostPageDoc,
        PostSummaryDoc, UploadForm, AccountDoc, NextSlotDoc, MediaView, MediaPage, KeyInfo, FromUrl,
        crate::routes::approval_state::ApprovalState, crate::routes::approval_state::ApprovalStep,
        crate::routes::approval_state::StepState, crate::routes::approval_state::Blocked,
        crate::routes::approval_state::Decision, crate::routes::approvals::ApprovalView,
        crate::routes::approvals::DecisionView, crate::routes::approvals::Decide, crate::routes::approvals::Decided,
        crate::routes::approvals::Queue, crate::routes::approvals::QueueItem, crate::routes::approvals::Policies,
        crate::routes::approvals::PolicyView, crate::routes::approvals::SetPolicy, crate::routes::unconfirmed::Resolve
    )),
    modifiers(&Security),
    tags(
        (name = "posts", description = "Create, read, update, delete and (un)schedule posts"),
        (name = "approvals", description = "Approval policy, review queue and decisions (the database refuses scheduling an unapproved post: 409 approval_required)"),
        (name = "media", description = "The media library"),
        (name = "accounts", description = "Connected social accounts and posting slots"),
        (name = "analytics", description = "What posts and accounts gathered: overview, per post, per account, top posts, best time, per tag, exports"),
        (name = "key", description = "The API key itself"),
    )
)]
pub struct PublicApiDoc;

#[derive(Debug)]
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("pzk_ followed by 48 hex digits")
                    .description(Some("A workspace API key, created by an admin in the workspace settings."))
                    .build(),
            ),
        );
        // Postiz's clients send the bare key in Authorization; that works too.
        components.add_security_scheme(
            "api_key_bare",
            SecurityScheme::ApiKey(ApiKeyScheme::Header(ApiKeyValue::with_description(
                "Authorization",
                "The bare key (pzk_…) without `Bearer`.",
            ))),
        );
    }
}

/// Every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorInner,
    /// Also in the `x-request-id` header; quote it when reporting a problem.
    pub request_id: String,
}

/// The error itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorInner {
    /// Machine-readable: `validation_failed`, `not_found`, `insufficient_scope`, `rate_limited`,
    /// `api_key_revoked`, `too_large`, `unsupported_type`, …
    pub code: String,
    /// For people.
    pub message: String,
    /// The request fields at fault (422, 413, 415).
    pub fields: Vec<FieldErrorDoc>,
}

/// A field at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorDoc {
    /// Dotted path into the request (`schedule.at`, `variants.x.text`, `file`).
    pub field: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

/// A media item of a post: an id, or an id with alternative text.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MediaItemDoc {
    /// Media id (from `POST /media`).
    pub id: Uuid,
    /// Alternative text.
    pub alt: Option<String>,
}

/// Body of `POST /posts`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostInput {
    /// Text used on every network without its own.
    pub content: Option<String>,
    /// Free-form data kept with the post (an object).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Per-network changes by network name (`x`, `mastodon`, …): `{"text", "thread": [{"text",
    /// "media": [ids]}], "first_comment", "settings": {"network": "…", …}}`.
    #[schema(value_type = Option<Object>)]
    pub variants: Option<BTreeMap<String, Value>>,
    /// Account ids to publish to (`GET /accounts`).
    pub targets: Option<Vec<Uuid>>,
    /// Tag ids.
    pub tags: Option<Vec<Uuid>>,
    /// Media of the post, in order.
    pub media: Option<Vec<MediaItemDoc>>,
    /// When: `{"kind": "once", "at": "2026-12-01T09:00:00Z"}`, `{"kind": "recurring",
    /// "starts_at", "rrule": "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0", "time_zone"}`, or
    /// `{"kind": "evergreen", "tag_id", …}`. None: an undated draft.
    #[schema(value_type = Option<Object>)]
    pub schedule: Option<Value>,
    /// `draft`, `pending_approval` or `scheduled` (default: scheduled with a schedule, else draft).
    pub status: Option<String>,
}

/// Body of `PATCH /posts/{id}`: each field given replaces the stored one.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostPatch {
    /// Text.
    pub content: Option<String>,
    /// Free-form data.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// Every variant (replaces all).
    #[schema(value_type = Option<Object>)]
    pub variants: Option<BTreeMap<String, Value>>,
    /// Every target.
    pub targets: Option<Vec<Uuid>>,
    /// Every tag.
    pub tags: Option<Vec<Uuid>>,
    /// Every media item.
    pub media: Option<Vec<MediaItemDoc>>,
    /// The schedule; `null` removes it.
    #[schema(value_type = Option<Object>)]
    pub schedule: Option<Value>,
}

/// Body of `POST /posts/{id}/status`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusInput {
    /// `draft`, `pending_approval`, `scheduled` or `canceled`.
    pub status: String,
}

/// A post.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostDoc {
    /// Id.
    pub id: Uuid,
    /// Workspace.
    pub workspace_id: Uuid,
    /// `draft`, `pending_approval`, `scheduled`, `publishing`, `published`, `failed`, `canceled`.
    pub status: String,
    /// Text.
    pub content: String,
    /// Free-form data.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// When due.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When every target was live.
    pub published_at: Option<DateTime<Utc>>,
    /// Author (the key's creator for posts made with a key).
    pub author_id: Option<Uuid>,
    /// The `Idempotency-Key` it was created with.
    pub idempotency_key: Option<String>,
    /// Per-network changes by network name.
    #[schema(value_type = Object)]
    pub variants: Value,
    /// Accounts it goes to: `{id, account: {id, network, handle, …}, status, external_url,
    /// last_error, attempts, published_at, jobs}`.
    #[schema(value_type = Vec<Object>)]
    pub targets: Vec<Value>,
    /// Tags: `{id, name, color}`.
    #[schema(value_type = Vec<Object>)]
    pub tags: Vec<Value>,
    /// Media: `{id, position, alt, mime_type, bytes}`.
    #[schema(value_type = Vec<Object>)]
    pub media: Vec<Value>,
    /// Its schedule.
    #[schema(value_type = Option<Object>)]
    pub schedule: Option<Value>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One post in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostSummaryDoc {
    /// Id.
    pub id: Uuid,
    /// Status.
    pub status: String,
    /// The first 280 characters.
    pub content_preview: String,
    /// When due.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Author.
    pub author_id: Option<Uuid>,
    /// The author's name; null when they are no longer a member.
    pub author_name: Option<String>,
    /// Networks it goes to.
    pub networks: Vec<String>,
    /// Accounts it goes to.
    pub account_ids: Vec<Uuid>,
    /// Tags.
    pub tags: Vec<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A page of posts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostPageDoc {
    /// Newest first.
    pub items: Vec<PostSummaryDoc>,
    /// Pass as `cursor` for the next page (same filters and sort).
    pub next_cursor: Option<String>,
    /// Pass as `before` for the next page.
    pub next_before: Option<Uuid>,
}

/// `multipart/form-data` upload.
#[derive(Debug, ToSchema)]
pub struct UploadForm {
    /// The file. Its name and Content-Type are ignored: the bytes decide.
    #[schema(value_type = String, format = Binary)]
    #[expect(dead_code, reason = "documentation only: the handler reads the multipart stream")]
    pub file: Vec<u8>,
}

/// A connected account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountDoc {
    /// Id (use in a post's `targets`).
    pub id: Uuid,
    /// Network name.
    pub network: String,
    /// The account's id at the network.
    pub external_account_id: String,
    /// Handle.
    pub handle: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Avatar.
    pub avatar_url: Option<String>,
    /// `active`, `needs_reconnect`, `revoked` or `disabled`.
    pub status: String,
    /// Weekly posting times: `[{"day": "Mon", "time": "09:30"}]` in the workspace's zone.
    #[schema(value_type = Vec<Object>)]
    pub posting_slots: Value,
    /// Whether credentials are stored.
    pub connected: bool,
    /// Connected.
    pub created_at: DateTime<Utc>,
}

/// Answer of `GET /accounts/{id}/next-slot`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextSlotDoc {
    /// The first free slot; null when the account has no slots or all are taken.
    pub at: Option<DateTime<Utc>>,
    /// The zone slots are read in.
    pub time_zone: String,
    /// How many weekly slots the account has.
    pub slots: usize,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::routes::posts::{ChangeStatus, CreatePost, UpdatePost};

    #[test]
    fn every_documented_input_field_is_accepted_by_the_real_request_types() {
        // All fields present: the real types deny unknown fields, so a documented name that
        // drifted would fail here.
        let media = json!([{"id": Uuid::nil(), "alt": "a"}]);
        let create = json!({
            "content": "hi", "metadata": {}, "variants": {}, "targets": [], "tags": [], "media": media,
            "schedule": {"kind": "once", "at": "2030-01-01T00:00:00Z"}, "status": "scheduled",
        });
        let schema_fields = |name: &str| -> Vec<String> {
            let doc = serde_json::to_value(PublicApiDoc::openapi()).expect("doc");
            doc["components"]["schemas"][name]["properties"].as_object().expect("properties").keys().cloned().collect()
        };
        let mut given: Vec<String> = create.as_object().expect("object").keys().cloned().collect();
        given.sort();
        let mut documented = schema_fields("PostInput");
        documented.sort();
        assert_eq!(given, documented, "the example must cover every documented field");
        serde_json::from_value::<CreatePost>(create).expect("PostInput fields are CreatePost fields");

        let patch = json!({"content": "x", "metadata": {}, "variants": {}, "targets": [], "tags": [], "media": media, "schedule": null});
        let mut given: Vec<String> = patch.as_object().expect("object").keys().cloned().collect();
        given.sort();
        let mut documented = schema_fields("PostPatch");
        documented.sort();
        assert_eq!(given, documented);
        serde_json::from_value::<UpdatePost>(patch).expect("PostPatch fields are UpdatePost fields");
        serde_json::from_value::<ChangeStatus>(json!({"status": "draft"})).expect("StatusInput");
    }
}
