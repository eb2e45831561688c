//! Tags: list (any member), create, rename/recolour, delete (editor+).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::{Fields, check_name};
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// A tag.
#[derive(Debug, Serialize)]
pub struct TagView {
    /// Id.
    pub id: Uuid,
    /// Name (unique in the workspace).
    pub name: String,
    /// `#rrggbb`.
    pub color: Option<String>,
    /// Posts carrying it.
    pub post_count: i64,
    /// Whether an evergreen schedule recycles its posts.
    pub evergreen: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "select t.id, t.name, t.color,
       (select count(*) from postiz.post_tags pt where pt.workspace_id = t.workspace_id and pt.tag_id = t.id),
       exists (select 1 from postiz.schedules s where s.workspace_id = t.workspace_id and s.tag_id = t.id
               and s.kind = 'evergreen' and s.status <> 'canceled'),
       t.created_at, t.updated_at
from postiz.tags t";

fn view(r: &Row) -> TagView {
    TagView {
        id: r.get(0),
        name: r.get(1),
        color: r.get(2),
        post_count: r.get(3),
        evergreen: r.get(4),
        created_at: r.get(5),
        updated_at: r.get(6),
    }
}

fn check_color(fields: &mut Fields, color: Option<&str>) {
    if let Some(c) = color
        && !(c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        fields.push("color", "must be a colour like #1a2b3c");
    }
}

/// `GET /workspaces/{ws}/tags`.
pub async fn list(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Vec<TagView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let rows = tx.query(&format!("{SELECT} where t.workspace_id = $1 order by lower(t.name), t.id"), &[&ws]).await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(view).collect()))
}

/// Body of `POST /workspaces/{ws}/tags`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTag {
    /// Name.
    pub name: String,
    /// `#rrggbb`.
    #[serde(default)]
    pub color: Option<String>,
}

/// `POST /workspaces/{ws}/tags` (201; 409 when the name is taken).
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<CreateTag>,
) -> Result<(StatusCode, Json<TagView>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let mut fields = Fields::default();
    check_name(&mut fields, "name", &body.name, 100);
    check_color(&mut fields, body.color.as_deref());
    fields.finish()?;
    let id: Uuid = tx
        .query_one(
            "insert into postiz.tags (workspace_id, name, color) values ($1, $2, $3) returning id",
            &[&ws, &body.name.trim(), &body.color],
        )
        .await?
        .get(0);
    let row = tx.query_one(&format!("{SELECT} where t.workspace_id = $1 and t.id = $2"), &[&ws, &id]).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(&row))))
}

/// Body of `PATCH /workspaces/{ws}/tags/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateTag {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New colour.
    #[serde(default)]
    pub color: Option<String>,
}

/// `PATCH /workspaces/{ws}/tags/{id}`.
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<UpdateTag>,
) -> Result<Json<TagView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let mut fields = Fields::default();
    if let Some(name) = &body.name {
        check_name(&mut fields, "name", name, 100);
    }
    check_color(&mut fields, body.color.as_deref());
    fields.finish()?;
    let name = body.name.as_deref().map(str::trim);
    let n = tx
        .execute(
            "update postiz.tags set name = coalesce($3, name), color = coalesce($4, color) where workspace_id = $1 and id = $2",
            &[&ws, &id, &name, &body.color],
        )
        .await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    let row = tx.query_one(&format!("{SELECT} where t.workspace_id = $1 and t.id = $2"), &[&ws, &id]).await?;
    tx.commit().await?;
    Ok(Json(view(&row)))
}

/// `DELETE /workspaces/{ws}/tags/{id}` (204): untags its posts; an evergreen schedule on it goes too.
pub async fn delete(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    // Cancel the pool first so its queued jobs are canceled before the cascade removes it.
    tx.execute(
        "update postiz.schedules set status = 'canceled' where workspace_id = $1 and tag_id = $2 and status <> 'canceled'",
        &[&ws, &id],
    )
    .await?;
    let n = tx.execute("delete from postiz.tags where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
