//! Bulk actions on a set of posts: move (by an offset or to a date), duplicate, cancel, delete,
//! add or remove a tag. All or nothing: every post goes through the single-post action (same
//! rules: roles, approval gate, published posts untouched) inside one transaction, each in its
//! own savepoint so every refusal is collected; one refusal rolls the whole request back and the
//! answer (409 `bulk_refused`) says, per post, why.
//!
//! A done request answers with `undo`, a request body that reverses it when posted back (move:
//! each post back to its time; cancel: each post back to its status; tags: the tag off the posts
//! that did not have it; duplicate: delete the copies), or null (delete cannot be undone).

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::{EditableStatus, ScheduleInput, UpdatePost, delete_in, duplicate_in, set_status_in, stored, update_in};
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::{Ids, JsonBody};
use crate::routes::composer_options::AccountRules;
use crate::{ApiError, AppState};

/// Most posts one bulk request may touch.
pub const MAX_BULK: usize = 200;

/// Body of `POST /workspaces/{ws}/posts/bulk`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// The posts (at most 200).
    pub ids: Vec<Uuid>,
    /// What to do with them.
    pub action: BulkAction,
}

/// One bulk action.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BulkAction {
    /// Move each post's time by `by_minutes`, or every post to `to` (one of the two).
    Move {
        /// Minutes later (negative: earlier).
        #[serde(default)]
        by_minutes: Option<i64>,
        /// The new time for every post.
        #[serde(default)]
        to: Option<DateTime<Utc>>,
    },
    /// Each post to its own time; null takes the date off (the undo of a move).
    Reschedule {
        /// Post id → time.
        times: BTreeMap<Uuid, Option<DateTime<Utc>>>,
    },
    /// A new undated draft copy of each post.
    Duplicate,
    /// Cancel each post.
    Cancel,
    /// Each post back to a status (the undo of a cancel).
    RestoreStatus {
        /// Post id → status.
        statuses: BTreeMap<Uuid, EditableStatus>,
    },
    /// Delete each post (cannot be undone).
    Delete,
    /// Put a tag on each post.
    AddTag {
        /// The tag.
        tag_id: Uuid,
    },
    /// Take a tag off each post.
    RemoveTag {
        /// The tag.
        tag_id: Uuid,
    },
}

/// One post a bulk request could not act on.
#[derive(Debug, Serialize)]
pub struct Refusal {
    /// The post.
    pub post_id: Uuid,
    /// Machine-readable code of the single-post refusal.
    pub code: &'static str,
    /// Why, for people.
    pub reason: String,
}

/// Answer of a done bulk request.
#[derive(Debug, Serialize)]
pub struct BulkDone {
    /// The posts acted on.
    pub ids: Vec<Uuid>,
    /// Copies made (duplicate).
    pub created: Vec<Uuid>,
    /// Post this back to undo; null when it cannot be undone.
    pub undo: Option<BulkRequest>,
}

/// What one post's action leaves for the undo.
enum Undo {
    Time(Option<DateTime<Utc>>),
    Status(EditableStatus),
    Tagged(bool),
    Created(Uuid),
    Nothing,
}

fn reason(e: &ApiError) -> String {
    if e.fields().is_empty() {
        return e.message().to_owned();
    }
    e.fields().iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; ")
}

/// The single-post status a cancel can be reversed to (a failed post comes back as a draft).
fn restorable(status: &str) -> EditableStatus {
    match status {
        "pending_approval" => EditableStatus::PendingApproval,
        "scheduled" => EditableStatus::Scheduled,
        "canceled" => EditableStatus::Canceled,
        _ => EditableStatus::Draft,
    }
}

fn once(at: DateTime<Utc>, time_zone: Option<String>) -> UpdatePost {
    UpdatePost { schedule: Some(Some(ScheduleInput::Once { at, time_zone })), ..UpdatePost::default() }
}

async fn one(tx: &Transaction<'_>, state: &AppState, ws: Uuid, id: Uuid, action: &BulkAction) -> Result<Undo, ApiError> {
    match action {
        BulkAction::Move { by_minutes, to } => {
            let s = stored(tx, ws, id).await?;
            if s.draft.status == "published" {
                return Err(ApiError::conflict("post_published", "it is published; duplicate it to post again"));
            }
            if s.pool_tag.is_some() {
                return Err(ApiError::conflict("post_in_pool", "it is in an evergreen pool and has no time of its own"));
            }
            let before = match &s.own {
                Some(o) if o.kind != "once" => {
                    return Err(ApiError::conflict("post_recurring", "it repeats on a schedule; change its schedule instead"));
                }
                Some(o) => Some(o.starts_at),
                None => None,
            };
            let zone = s.own.as_ref().map(|o| o.time_zone.clone());
            let at = match (to, by_minutes, before) {
                (Some(to), _, _) => *to,
                (None, Some(m), Some(b)) => b + Duration::minutes(*m),
                _ => return Err(ApiError::conflict("post_undated", "it has no date to move; move it to a date instead")),
            };
            update_in(tx, state, &AccountRules::default(), ws, id, once(at, zone)).await?;
            Ok(Undo::Time(before))
        }
        BulkAction::Reschedule { times } => {
            let at = times.get(&id).copied().flatten();
            let s = stored(tx, ws, id).await?;
            let zone = s.own.as_ref().map(|o| o.time_zone.clone());
            let patch = match at {
                Some(at) => once(at, zone),
                None => UpdatePost { schedule: Some(None), ..UpdatePost::default() },
            };
            update_in(tx, state, &AccountRules::default(), ws, id, patch).await?;
            Ok(Undo::Nothing)
        }
        BulkAction::Duplicate => Ok(Undo::Created(duplicate_in(tx, ws, id).await?)),
        BulkAction::Cancel => Ok(Undo::Status(restorable(&set_status_in(tx, state, ws, id, EditableStatus::Canceled).await?))),
        BulkAction::RestoreStatus { statuses } => {
            let status = statuses.get(&id).copied().unwrap_or(EditableStatus::Draft);
            set_status_in(tx, state, ws, id, status).await?;
            Ok(Undo::Nothing)
        }
        BulkAction::Delete => {
            let s = stored(tx, ws, id).await?;
            if s.draft.status == "published" {
                return Err(ApiError::conflict("post_published", "it is published; published posts are kept as a record"));
            }
            delete_in(tx, ws, id).await?;
            Ok(Undo::Nothing)
        }
        BulkAction::AddTag { tag_id } | BulkAction::RemoveTag { tag_id } => {
            let s = stored(tx, ws, id).await?;
            let had = s.draft.tags.contains(tag_id);
            let add = matches!(action, BulkAction::AddTag { .. });
            if had == add {
                return Ok(Undo::Tagged(false));
            }
            let mut tags = s.draft.tags.clone();
            if add {
                tags.push(*tag_id);
            } else {
                tags.retain(|t| t != tag_id);
            }
            update_in(tx, state, &AccountRules::default(), ws, id, UpdatePost { tags: Some(tags), ..UpdatePost::default() }).await?;
            Ok(Undo::Tagged(true))
        }
    }
}

/// `POST /workspaces/{ws}/posts/bulk` (editor+): one action on up to 200 posts, all or
/// nothing. 200 with the undo, or 409 `bulk_refused` with `refused: [{post_id, code, reason}]`
/// and nothing changed.
pub async fn bulk(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<BulkRequest>,
) -> Result<Response, ApiError> {
    let mut seen = BTreeSet::new();
    let ids: Vec<Uuid> = body.ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    if ids.is_empty() {
        return Err(ApiError::bad_request("bad_request", "Posts: select at least one post"));
    }
    if ids.len() > MAX_BULK {
        return Err(ApiError::bad_request("bad_request", format!("Posts: at most {MAX_BULK} at once")));
    }
    if let BulkAction::Move { by_minutes, to } = &body.action
        && by_minutes.is_some() == to.is_some()
    {
        return Err(ApiError::bad_request("bad_request", "Move: give either a number of minutes or a date, not both"));
    }
    let mut client = state.pool.get().await?;
    let mut tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    if let BulkAction::AddTag { tag_id } | BulkAction::RemoveTag { tag_id } = &body.action
        && tx.query_opt("select 1 from postiz.tags where workspace_id = $1 and id = $2", &[&ws, tag_id]).await?.is_none()
    {
        return Err(ApiError::unprocessable("unknown_tag", "Tag: there is no such tag in this workspace"));
    }

    let mut refused = vec![];
    let mut undos = vec![];
    for &id in &ids {
        let sp = tx.savepoint("bulk_post").await?;
        // The approval gate is a constraint trigger deferred to commit; firing it here, after
        // this post's writes, makes its refusal this post's (every deferrable constraint is
        // initially deferred, so deferring again restores the mode).
        let done = match one(&sp, &state, ws, id, &body.action).await {
            Ok(u) => {
                sp.batch_execute("set constraints all immediate; set constraints all deferred").await.map(|()| u).map_err(ApiError::from)
            }
            Err(e) => Err(e),
        };
        match done {
            Ok(u) => {
                sp.commit().await?;
                undos.push((id, u));
            }
            Err(e) => {
                sp.rollback().await?;
                tx.batch_execute("set constraints all deferred").await?;
                let reason =
                    if e.status() == StatusCode::NOT_FOUND { "there is no such post in this workspace".to_owned() } else { reason(&e) };
                refused.push(Refusal { post_id: id, code: e.code(), reason });
            }
        }
    }
    if !refused.is_empty() {
        tx.rollback().await?;
        let message = format!("{} of {} posts cannot be changed this way; nothing was changed", refused.len(), ids.len());
        let body = json!({"error": {"code": "bulk_refused", "message": message, "fields": []}, "refused": refused});
        return Ok((StatusCode::CONFLICT, Json(body)).into_response());
    }
    tx.commit().await?;

    let created: Vec<Uuid> = undos.iter().filter_map(|(_, u)| if let Undo::Created(c) = u { Some(*c) } else { None }).collect();
    let undo = match &body.action {
        BulkAction::Move { .. } => {
            let times: BTreeMap<Uuid, Option<DateTime<Utc>>> =
                undos.iter().filter_map(|(id, u)| if let Undo::Time(t) = u { Some((*id, *t)) } else { None }).collect();
            Some(BulkRequest { ids: times.keys().copied().collect(), action: BulkAction::Reschedule { times } })
        }
        BulkAction::Cancel => {
            let statuses: BTreeMap<Uuid, EditableStatus> =
                undos.iter().filter_map(|(id, u)| if let Undo::Status(s) = u { Some((*id, *s)) } else { None }).collect();
            Some(BulkRequest { ids: statuses.keys().copied().collect(), action: BulkAction::RestoreStatus { statuses } })
        }
        BulkAction::AddTag { tag_id } | BulkAction::RemoveTag { tag_id } => {
            let changed: Vec<Uuid> = undos.iter().filter_map(|(id, u)| matches!(u, Undo::Tagged(true)).then_some(*id)).collect();
            let action = if matches!(body.action, BulkAction::AddTag { .. }) {
                BulkAction::RemoveTag { tag_id: *tag_id }
            } else {
                BulkAction::AddTag { tag_id: *tag_id }
            };
            (!changed.is_empty()).then_some(BulkRequest { ids: changed, action })
        }
        BulkAction::Duplicate => Some(BulkRequest { ids: created.clone(), action: BulkAction::Delete }),
        BulkAction::Reschedule { .. } | BulkAction::RestoreStatus { .. } | BulkAction::Delete => None,
    };
    Ok(Json(BulkDone { ids, created, undo }).into_response())
}
