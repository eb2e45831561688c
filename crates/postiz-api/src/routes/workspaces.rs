//! Workspaces: the caller's list, create (the caller becomes owner), get, settings, delete.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::{Fields, check_name, check_slug, check_time_zone};
use crate::extract::ConfirmedUser;
use crate::input::{Ids, JsonBody};
use crate::routes::media::MediaState;
use crate::{ApiError, AppState};

/// A workspace as its members see it.
#[derive(Debug, Serialize)]
pub struct WorkspaceView {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// URL-safe name, unique among the workspaces its creator made.
    pub slug: String,
    /// Default IANA zone for schedules and posting slots.
    pub time_zone: String,
    /// Plan code (see `GET /workspaces/{ws}/features`).
    pub plan: String,
    /// The host application's tenant id, when linked.
    pub external_ref: Option<String>,
    /// The caller's role.
    pub role: Role,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "w.id, w.name, w.slug, w.time_zone, w.plan, w.external_ref, m.role::text, w.created_at, w.updated_at";

fn view(row: &Row) -> Result<WorkspaceView, ApiError> {
    Ok(WorkspaceView {
        id: row.get(0),
        name: row.get(1),
        slug: row.get(2),
        time_zone: row.get(3),
        plan: row.get(4),
        external_ref: row.get(5),
        role: row.get::<_, String>(6).parse()?,
        created_at: row.get(7),
        updated_at: row.get(8),
    })
}

/// `GET /workspaces`: the caller's workspaces with the caller's role, by name.
pub async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Vec<WorkspaceView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let rows = tx
        .query(
            &format!(
                "select {COLUMNS} from postiz.workspaces w
                 join postiz.workspace_members m on m.workspace_id = w.id and m.user_id = auth.uid()
                 order by lower(w.name), w.id"
            ),
            &[],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(view).collect::<Result<_, _>>()?))
}

/// Body of `POST /workspaces`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspace {
    /// Display name.
    pub name: String,
    /// URL-safe name, unique among the workspaces its creator made.
    pub slug: String,
    /// IANA zone; `UTC` when absent.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The host's tenant id to link; it must be listed in the caller's
    /// `app_metadata.postiz_external_refs` (set by the host), else 403.
    #[serde(default)]
    pub external_ref: Option<String>,
}

/// 409 naming `slug` when the workspace's creator already has a workspace with that slug
/// (slugs are unique per creator: migration `20261202121000_workspace_slugs_per_creator.sql`);
/// any other database error as usual. The database's own detail would quote the creator's id.
fn slug_taken(e: tokio_postgres::Error) -> ApiError {
    if e.as_db_error().is_some_and(|d| d.constraint() == Some("workspaces_created_by_slug_key")) {
        return ApiError::conflict("slug_taken", "slug: the workspace's creator already has a workspace with this slug; choose another");
    }
    e.into()
}

/// `POST /workspaces`: creates a workspace owned by the caller (201).
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<CreateWorkspace>,
) -> Result<(StatusCode, Json<WorkspaceView>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let zone = body.time_zone.clone().unwrap_or_else(|| "UTC".to_owned());
    let mut fields = Fields::default();
    check_name(&mut fields, "name", &body.name, 200);
    check_slug(&mut fields, "slug", &body.slug);
    check_time_zone(&tx, &mut fields, "time_zone", &zone).await?;
    if body.external_ref.as_deref().is_some_and(|r| r.trim().is_empty()) {
        fields.push("external_ref", "must not be empty when given");
    }
    fields.finish()?;
    let name = body.name.trim();
    let id: Uuid = match &body.external_ref {
        Some(external_ref) => tx
            .query_one("select (postiz.create_tenant_workspace($1, $2, $3, $4)).id", &[&name, &body.slug, &zone, external_ref])
            .await
            .map_err(slug_taken)?
            .get(0),
        None => {
            tx.query_one("select (postiz.create_workspace($1, $2, $3)).id", &[&name, &body.slug, &zone]).await.map_err(slug_taken)?.get(0)
        }
    };
    let row = fetch(&tx, id).await?.ok_or_else(|| ApiError::internal(&"the new workspace is not visible to its owner"))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(&row)?)))
}

async fn fetch(tx: &tokio_postgres::Transaction<'_>, id: Uuid) -> Result<Option<Row>, ApiError> {
    Ok(tx
        .query_opt(
            &format!(
                "select {COLUMNS} from postiz.workspaces w
                 join postiz.workspace_members m on m.workspace_id = w.id and m.user_id = auth.uid()
                 where w.id = $1"
            ),
            &[&id],
        )
        .await?)
}

/// `GET /workspaces/{ws}`: one workspace (404 unless the caller is a member).
pub async fn get(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<WorkspaceView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let row = fetch(&tx, ws).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(view(&row)?))
}

/// Body of `PATCH /workspaces/{ws}`: only the fields given change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkspace {
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// URL-safe name, unique among the workspaces its creator made.
    #[serde(default)]
    pub slug: Option<String>,
    /// Default IANA zone.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// `PATCH /workspaces/{ws}`: settings (admin or owner).
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<UpdateWorkspace>,
) -> Result<Json<WorkspaceView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let mut fields = Fields::default();
    if let Some(name) = &body.name {
        check_name(&mut fields, "name", name, 200);
    }
    if let Some(slug) = &body.slug {
        check_slug(&mut fields, "slug", slug);
    }
    if let Some(zone) = &body.time_zone {
        check_time_zone(&tx, &mut fields, "time_zone", zone).await?;
    }
    fields.finish()?;
    let name = body.name.as_deref().map(str::trim);
    let n = tx
        .execute(
            "update postiz.workspaces set name = coalesce($2, name), slug = coalesce($3, slug),
                    time_zone = coalesce($4, time_zone)
             where id = $1",
            &[&ws, &name, &body.slug, &body.time_zone],
        )
        .await
        .map_err(slug_taken)?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    let row = fetch(&tx, ws).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(view(&row)?))
}

/// `DELETE /workspaces/{ws}`: deletes the workspace and everything in it (owner only; 204),
/// its media objects too once the rows are gone.
pub async fn delete(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    media: Option<Extension<Arc<MediaState>>>,
    Ids(ws): Ids<Uuid>,
) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Owner).await?;
    let n = tx.execute("delete from postiz.workspaces where id = $1", &[&ws]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tx.commit().await?;
    // After the commit: a failed delete must not leave rows pointing at removed bytes. Objects
    // left by a failure here are unreachable bytes, logged for an operator.
    if let Some(Extension(media)) = media
        && let Err(e) = media.storage.delete_prefix(&ws.to_string()).await
    {
        tracing::warn!(workspace.id = %ws, error = %e, "workspace deleted but some of its media objects were not removed");
    }
    Ok(StatusCode::NO_CONTENT)
}
