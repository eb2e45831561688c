use axum::Json;
use axum::extract::State;
use postiz_db::{DbRole, begin_as};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::{ApiError, AppState};

/// What the UI learns about its caller.
#[derive(Debug, Serialize)]
pub struct SessionInfo {
    /// The user's id as the database sees it (`auth.uid()` inside the user's transaction).
    pub user_id: Uuid,
    /// The user's email.
    pub email: Option<String>,
    /// The database role the request ran as.
    pub db_role: String,
}

/// `GET /session`: who the caller is, as proven by a round trip through the user's own
/// RLS-scoped transaction.
pub async fn get(State(state): State<AppState>, user: AuthUser) -> Result<Json<SessionInfo>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = begin_as(&mut client, DbRole::Authenticated, &user.claims).await?;
    let row = tx.query_one("select auth.uid(), current_user::text", &[]).await?;
    tx.commit().await?;
    Ok(Json(SessionInfo { user_id: row.get(0), email: user.email, db_role: row.get(1) }))
}
