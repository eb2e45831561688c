//! `GET /workspaces/{ws}/changes?from&to&post`: a version of what a screen shows, so the UI can
//! ask every second "did anything I show change?" and fetch the calendar (or the post) again
//! only when the answer is yes.
//!
//! Why polling this, not a server-sent event stream: the API runs every request as
//! `authenticated` in one short transaction, so RLS decides what it sees; a stream would either
//! hold a transaction (and a pool connection) open per open tab or need a LISTEN connection of
//! its own, which Supabase's transaction pooler does not carry, plus a second authorisation path
//! for what a notification may reveal. This is one indexed read under the same RLS as the
//! calendar, and the UI asks only while something in view is due or publishing, and when the
//! tab comes back into focus (`embed-ui/src/live.rs`). Tests: `tests/changes_http.rs`.
//!
//! The version covers the posts dated in `[from, to)` (the calendar's `posts_workspace_id_
//! scheduled_at_idx` range scan), the posts of recurring schedules overlapping the window, and
//! the post `post`: how many there are and the latest `updated_at` among them, their targets and
//! their schedules (`updated_at` is set by every update of those tables, the worker's included).
//! It names nothing of another workspace: a non-member gets 404, and RLS filters the rows anyway.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::routes::calendar::check_window;
use crate::{ApiError, AppState};

/// Query of `GET /workspaces/{ws}/changes`: a window (both ends), a post, or both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// Window start (inclusive, RFC 3339).
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Window end (exclusive).
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    /// One post (the detail screen).
    #[serde(default)]
    pub post: Option<Uuid>,
}

/// Answer of `GET /workspaces/{ws}/changes`.
#[derive(Debug, Serialize)]
pub struct Changes {
    /// Opaque; differs whenever a post in scope, its targets or its schedule changed, or a post
    /// entered or left the scope.
    pub version: String,
    /// How many posts are in scope.
    pub posts: i64,
    /// The latest change among them.
    pub changed_at: Option<DateTime<Utc>>,
}

/// `GET /workspaces/{ws}/changes?from&to&post` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<ChangesQuery>,
) -> Result<Json<Changes>, ApiError> {
    let window = match (q.from, q.to) {
        (Some(from), Some(to)) => {
            check_window(from, to)?;
            Some((from, to))
        }
        (None, None) => None,
        _ => return Err(ApiError::bad_request("bad_window", "give both `from` and `to`, or neither")),
    };
    if window.is_none() && q.post.is_none() {
        return Err(ApiError::bad_request("bad_query", "give a window (`from` and `to`), a `post`, or both"));
    }
    let (from, to) = window.map_or((None, None), |(f, t)| (Some(f), Some(t)));

    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let row = tx
        .query_one(
            "with scope as (
               select p.id, p.updated_at from postiz.posts p
               where p.workspace_id = $1 and p.scheduled_at >= $2 and p.scheduled_at < $3
               union
               select p.id, p.updated_at from postiz.posts p
               join postiz.schedules s on s.workspace_id = p.workspace_id and s.post_id = p.id
               where s.workspace_id = $1 and s.kind = 'recurring' and s.starts_at < $3 and (s.ends_at is null or s.ends_at >= $2)
               union
               select p.id, p.updated_at from postiz.posts p where p.workspace_id = $1 and p.id = $4
             )
             select count(*)::bigint,
                    greatest(
                      max(scope.updated_at),
                      (select max(t.updated_at) from postiz.post_targets t where t.workspace_id = $1 and t.post_id in (select id from scope)),
                      (select max(s.updated_at) from postiz.schedules s where s.workspace_id = $1 and s.post_id in (select id from scope))
                    )
             from scope",
            &[&ws, &from, &to, &q.post],
        )
        .await?;
    tx.commit().await?;
    let posts: i64 = row.get(0);
    let changed_at: Option<DateTime<Utc>> = row.get(1);
    let version = format!("{posts}.{}", changed_at.map_or(0, |t| t.timestamp_micros()));
    Ok(Json(Changes { version, posts, changed_at }))
}
