//! Schedules: those of a post, one by id, and cancelling one (e.g. an evergreen pool, or a
//! recurring post that has published and so can no longer be edited itself).

use axum::Json;
use axum::extract::State;
use uuid::Uuid;

use super::posts::{SCHEDULE_COLUMNS, ScheduleView, schedule_view};
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::Ids;
use crate::{ApiError, AppState};

/// `GET /workspaces/{ws}/posts/{id}/schedules`: the post's own schedules and the evergreen pools
/// it is in (any member; 404 for an invisible post).
pub async fn for_post(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, post)): Ids<(Uuid, Uuid)>,
) -> Result<Json<Vec<ScheduleView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    if tx.query_opt("select 1 from postiz.posts where workspace_id = $1 and id = $2", &[&ws, &post]).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let rows = tx
        .query(
            &format!(
                "select {SCHEDULE_COLUMNS} from postiz.schedules s
                 where s.workspace_id = $1 and (s.post_id = $2 or s.tag_id in (
                   select pt.tag_id from postiz.post_tags pt where pt.workspace_id = $1 and pt.post_id = $2)
                   and s.kind = 'evergreen')
                 order by s.created_at, s.id"
            ),
            &[&ws, &post],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(schedule_view).collect()))
}

/// `GET /workspaces/{ws}/schedules/{id}` (any member).
pub async fn get(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<Json<ScheduleView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let row = tx
        .query_opt(&format!("select {SCHEDULE_COLUMNS} from postiz.schedules s where s.workspace_id = $1 and s.id = $2"), &[&ws, &id])
        .await?
        .ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(schedule_view(&row)))
}

/// `POST /workspaces/{ws}/schedules/{id}/cancel` (editor+): stops the schedule; jobs queued for
/// it are canceled by the revision trigger, a job already running finishes.
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Json<ScheduleView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let n = tx.execute("update postiz.schedules set status = 'canceled' where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    let row = tx
        .query_one(&format!("select {SCHEDULE_COLUMNS} from postiz.schedules s where s.workspace_id = $1 and s.id = $2"), &[&ws, &id])
        .await?;
    tx.commit().await?;
    Ok(Json(schedule_view(&row)))
}
