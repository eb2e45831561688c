//! Internal comments on a post (the team's discussion; never published).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// A comment.
#[derive(Debug, Serialize)]
pub struct CommentView {
    /// Id.
    pub id: Uuid,
    /// The post.
    pub post_id: Uuid,
    /// Who wrote it.
    pub author_id: Option<Uuid>,
    /// The author's name (null when they are no longer a member); a client's, as typed, for a
    /// comment made through a review link.
    pub author_name: Option<String>,
    /// Set for a comment made through a review link: "via review link <label>".
    pub via_review_link: Option<String>,
    /// The author's avatar (an https URL), if any.
    pub author_avatar_url: Option<String>,
    /// Whether the caller wrote it.
    pub is_mine: bool,
    /// Text.
    pub body: String,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Last edited.
    pub updated_at: DateTime<Utc>,
}

/// The columns [`view`] reads, with the author's name and avatar (for one workspace's rows).
const COLUMNS: &str = "id, post_id, author_id, author_id = auth.uid(), body, created_at, updated_at,
     coalesce((select n.name from postiz_private.workspace_member_names(workspace_id) n where n.user_id = author_id), reviewer_name),
     (select n.avatar_url from postiz_private.workspace_member_names(workspace_id) n where n.user_id = author_id),
     case when reviewer_name is not null then
       'via review link ' || coalesce((select l.label from postiz.review_links l
                                        where l.workspace_id = post_comments.workspace_id and l.id = post_comments.review_link_id), '(deleted)') end";

fn view(r: &Row) -> CommentView {
    CommentView {
        id: r.get(0),
        post_id: r.get(1),
        author_id: r.get(2),
        author_name: r.get(7),
        author_avatar_url: r.get(8),
        via_review_link: r.get(9),
        is_mine: r.get::<_, Option<bool>>(3).unwrap_or(false),
        body: r.get(4),
        created_at: r.get(5),
        updated_at: r.get(6),
    }
}

async fn post_visible(tx: &tokio_postgres::Transaction<'_>, ws: Uuid, post: Uuid) -> Result<(), ApiError> {
    tx.query_opt("select 1 from postiz.posts where workspace_id = $1 and id = $2", &[&ws, &post])
        .await?
        .map(|_| ())
        .ok_or_else(ApiError::not_found)
}

/// `GET /workspaces/{ws}/posts/{id}/comments`: oldest first (any member).
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, post)): Ids<(Uuid, Uuid)>,
) -> Result<Json<Vec<CommentView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    post_visible(&tx, ws, post).await?;
    let rows = tx
        .query(
            &format!("select {COLUMNS} from postiz.post_comments where workspace_id = $1 and post_id = $2 order by created_at, id"),
            &[&ws, &post],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(view).collect()))
}

/// Body of `POST /workspaces/{ws}/posts/{id}/comments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddComment {
    /// Text (1-10000 characters).
    pub body: String,
}

/// `POST /workspaces/{ws}/posts/{id}/comments` (editor+; 201).
pub async fn add(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, post)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<AddComment>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    post_visible(&tx, ws, post).await?;
    let mut fields = Fields::default();
    if body.body.trim().is_empty() {
        fields.push("body", "must not be empty");
    } else if body.body.chars().count() > 10_000 {
        fields.push("body", "must be at most 10000 characters");
    }
    fields.finish()?;
    let row = tx
        .query_one(
            &format!("insert into postiz.post_comments (workspace_id, post_id, body) values ($1, $2, $3) returning {COLUMNS}"),
            &[&ws, &post, &body.body],
        )
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(&row))))
}

/// `DELETE /workspaces/{ws}/posts/{id}/comments/{comment}` (204): the author (editor+) deletes
/// their own; admins any. Others get 403.
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, post, id)): Ids<(Uuid, Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let role = require_role(&tx, ws, Role::Editor).await?;
    let row = tx
        .query_opt(
            &format!("select {COLUMNS} from postiz.post_comments where workspace_id = $1 and post_id = $2 and id = $3"),
            &[&ws, &post, &id],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !view(&row).is_mine && role < Role::Admin {
        return Err(ApiError::forbidden("only the author or an admin can delete a comment"));
    }
    let n = tx.execute("delete from postiz.post_comments where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
