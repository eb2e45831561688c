//! Members of a workspace: list, change role, remove (or leave), transfer ownership.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Transaction;
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::extract::ConfirmedUser;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// One member.
#[derive(Debug, Serialize)]
pub struct MemberView {
    /// The member's user id (`auth.users.id`).
    pub user_id: Uuid,
    /// Their name (profile name, else email; `postiz_private.workspace_member_names`).
    pub name: Option<String>,
    /// Their avatar (an https URL from their profile), if any.
    pub avatar_url: Option<String>,
    /// Role in this workspace.
    pub role: Role,
    /// Whether this is the caller.
    pub is_me: bool,
    /// Joined.
    pub created_at: DateTime<Utc>,
    /// Role last changed.
    pub updated_at: DateTime<Utc>,
}

async fn member(tx: &Transaction<'_>, ws: Uuid, user_id: Uuid) -> Result<Option<MemberView>, ApiError> {
    let row = tx
        .query_opt(
            "select m.user_id, m.role::text, m.user_id = auth.uid(), m.created_at, m.updated_at, n.name, n.avatar_url
             from postiz.workspace_members m
             left join postiz_private.workspace_member_names($1) n on n.user_id = m.user_id
             where m.workspace_id = $1 and m.user_id = $2",
            &[&ws, &user_id],
        )
        .await?;
    row.map(|r| {
        Ok(MemberView {
            user_id: r.get(0),
            name: r.get(5),
            avatar_url: r.get(6),
            role: r.get::<_, String>(1).parse()?,
            is_me: r.get(2),
            created_at: r.get(3),
            updated_at: r.get(4),
        })
    })
    .transpose()
}

/// `GET /workspaces/{ws}/members`: every member, owners first (any member).
pub async fn list(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Vec<MemberView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let rows = tx
        .query(
            "select m.user_id, m.role::text, m.user_id = auth.uid(), m.created_at, m.updated_at, n.name, n.avatar_url
             from postiz.workspace_members m
             left join postiz_private.workspace_member_names($1) n on n.user_id = m.user_id
             where m.workspace_id = $1 order by m.role desc, m.created_at, m.user_id",
            &[&ws],
        )
        .await?;
    tx.commit().await?;
    let members = rows
        .iter()
        .map(|r| {
            Ok(MemberView {
                user_id: r.get(0),
                name: r.get(5),
                avatar_url: r.get(6),
                role: r.get::<_, String>(1).parse()?,
                is_me: r.get(2),
                created_at: r.get(3),
                updated_at: r.get(4),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(members))
}

/// Body of `PATCH /workspaces/{ws}/members/{user_id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    /// The new role.
    pub role: Role,
}

/// Admins may manage members below owner; only owners touch owners (or make new ones).
fn may_manage(me: Role, target: Role, new_role: Option<Role>) -> Result<(), ApiError> {
    if me == Role::Owner {
        return Ok(());
    }
    if target == Role::Owner || new_role == Some(Role::Owner) {
        return Err(ApiError::forbidden("only an owner can change an owner or make someone owner"));
    }
    Ok(())
}

/// `PATCH /workspaces/{ws}/members/{user_id}`: changes a member's role (admin+; owners for owners).
/// Demoting the last owner is refused by the database (400 `rejected`).
pub async fn change_role(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids((ws, user_id)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<ChangeRole>,
) -> Result<Json<MemberView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let me = require_role(&tx, ws, Role::Admin).await?;
    let target = member(&tx, ws, user_id).await?.ok_or_else(ApiError::not_found)?;
    may_manage(me, target.role, Some(body.role))?;
    tx.execute(
        "update postiz.workspace_members set role = $3::text::postiz.workspace_role where workspace_id = $1 and user_id = $2",
        &[&ws, &user_id, &body.role.as_str()],
    )
    .await?;
    let updated = member(&tx, ws, user_id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(updated))
}

/// `DELETE /workspaces/{ws}/members/{user_id}`: removes a member (admin+; owners for owners), or
/// leaves when `user_id` is the caller. The last owner cannot leave (400 `rejected`).
pub async fn remove(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids((ws, user_id)): Ids<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let leaving = user_id == user.id;
    let me = require_role(&tx, ws, if leaving { Role::Viewer } else { Role::Admin }).await?;
    let target = member(&tx, ws, user_id).await?.ok_or_else(ApiError::not_found)?;
    if !leaving {
        may_manage(me, target.role, None)?;
    }
    let n = tx.execute("delete from postiz.workspace_members where workspace_id = $1 and user_id = $2", &[&ws, &user_id]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /workspaces/{ws}/transfer-ownership`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferOwnership {
    /// A current member who becomes owner; the caller becomes admin.
    pub user_id: Uuid,
}

/// `POST /workspaces/{ws}/transfer-ownership`: owner only, to another member, atomically.
pub async fn transfer(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<TransferOwnership>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Owner).await?;
    if body.user_id == user.id {
        return Err(ApiError::validation(vec![crate::FieldError {
            field: "user_id".into(),
            message: "transfer ownership to another member".into(),
        }]));
    }
    let new_owner = member(&tx, ws, body.user_id).await?;
    if new_owner.is_none() {
        return Err(ApiError::validation(vec![crate::FieldError {
            field: "user_id".into(),
            message: "not a member of this workspace; invite them first".into(),
        }]));
    }
    tx.execute("select postiz.transfer_workspace_ownership($1, $2)", &[&ws, &body.user_id]).await?;
    let both = [member(&tx, ws, body.user_id).await?, member(&tx, ws, user.id).await?];
    tx.commit().await?;
    Ok(Json(both.into_iter().flatten().collect()))
}
