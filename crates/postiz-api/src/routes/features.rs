//! What the workspace's plan allows, for the UI to show or hide features.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::Ids;
use crate::{ApiError, AppState};

/// The plan's features and current usage.
#[derive(Debug, Serialize)]
pub struct Features {
    /// Plan code.
    pub plan: String,
    /// Plan name.
    pub plan_name: String,
    /// Networks allowed (null: all).
    pub networks_allowed: Option<Vec<String>>,
    /// Connected accounts allowed (null: unlimited).
    pub max_social_accounts: Option<i32>,
    /// Accounts connected now.
    pub social_accounts: i64,
    /// Recurring schedules allowed.
    pub allow_recurring: bool,
    /// Evergreen pools allowed.
    pub allow_evergreen: bool,
    /// Whether the plan includes analytics.
    pub analytics_enabled: bool,
    /// Days analytics are kept.
    pub analytics_retention_days: i32,
}

/// `GET /workspaces/{ws}/features` (any member).
pub async fn get(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Features>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let r = tx
        .query_opt(
            "select p.code, p.name, p.networks_allowed, p.max_social_accounts,
                    (select count(*) from postiz.social_accounts a where a.workspace_id = w.id),
                    p.allow_recurring, p.allow_evergreen, p.analytics_retention_days, p.analytics_enabled
             from postiz.workspaces w join postiz.plans p on p.code = w.plan where w.id = $1",
            &[&ws],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(Features {
        plan: r.get(0),
        plan_name: r.get(1),
        networks_allowed: r.get(2),
        max_social_accounts: r.get(3),
        social_accounts: r.get(4),
        allow_recurring: r.get(5),
        allow_evergreen: r.get(6),
        analytics_retention_days: r.get(7),
        analytics_enabled: r.get(8),
    }))
}
