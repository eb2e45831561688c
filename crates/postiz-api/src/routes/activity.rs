//! The workspace's activity log, newest first, paged by id.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::{ApiError, AppState};

/// Query of `GET /workspaces/{ws}/activity`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// Only entries older than this id (the previous page's `next_before`).
    #[serde(default)]
    pub before: Option<i64>,
    /// Page size, 1-200 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One entry.
#[derive(Debug, Serialize)]
pub struct ActivityView {
    /// Id (the paging cursor).
    pub id: i64,
    /// Who (null for the system or a deleted user).
    pub actor_id: Option<Uuid>,
    /// The actor's name (null for the system or someone no longer a member).
    pub actor_name: Option<String>,
    /// `user`, `system`, or `review_link` (a client; `details.reviewer_name` and `details.via` say who).
    pub actor_kind: String,
    /// `post.created`, `member.role_changed`, …
    pub action: String,
    /// `post`, `social_account`, `member`, …
    pub entity_type: String,
    /// The entity.
    pub entity_id: Option<Uuid>,
    /// Details.
    pub details: Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page.
#[derive(Debug, Serialize)]
pub struct ActivityPage {
    /// Entries, newest first.
    pub items: Vec<ActivityView>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<i64>,
}

/// `GET /workspaces/{ws}/activity?before=<id>&limit=` (any member).
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<ActivityQuery>,
) -> Result<Json<ActivityPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("bad_query", "limit must be between 1 and 200"));
    }
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let rows = tx
        .query(
            "select l.id, l.actor_id, l.actor_kind, l.action, l.entity_type, l.entity_id, l.details, l.created_at, n.name
             from postiz.activity_logs l
             left join postiz_private.workspace_member_names($1) n on n.user_id = l.actor_id
             where l.workspace_id = $1 and ($2::bigint is null or l.id < $2)
             order by l.id desc limit $3",
            &[&ws, &q.before, &(limit + 1)],
        )
        .await?;
    tx.commit().await?;
    let mut items: Vec<ActivityView> = rows
        .iter()
        .map(|r| ActivityView {
            id: r.get(0),
            actor_id: r.get(1),
            actor_name: r.get(8),
            actor_kind: r.get(2),
            action: r.get(3),
            entity_type: r.get(4),
            entity_id: r.get(5),
            details: r.get(6),
            created_at: r.get(7),
        })
        .collect();
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(50));
    let next_before = if more { items.last().map(|i| i.id) } else { None };
    Ok(Json(ActivityPage { items, next_before }))
}
