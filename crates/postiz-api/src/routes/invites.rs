//! Invitations: create (the token is returned once), list, revoke (admin+), accept (invitee).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use crate::extract::ConfirmedUser;
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// An invitation as admins see it (never the token or its hash).
#[derive(Debug, Serialize)]
pub struct InviteView {
    /// Id.
    pub id: Uuid,
    /// Invitee's address; only that (confirmed) address can accept.
    pub email: String,
    /// Role granted on acceptance.
    pub role: Role,
    /// Who invited.
    pub invited_by: Option<Uuid>,
    /// Deadline.
    pub expires_at: DateTime<Utc>,
    /// When accepted, if so.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, email, role::text, invited_by, expires_at, accepted_at, created_at";

fn view(r: &Row) -> Result<InviteView, ApiError> {
    Ok(InviteView {
        id: r.get(0),
        email: r.get(1),
        role: r.get::<_, String>(2).parse()?,
        invited_by: r.get(3),
        expires_at: r.get(4),
        accepted_at: r.get(5),
        created_at: r.get(6),
    })
}

/// Body of `POST /workspaces/{ws}/invites`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    /// The invitee's email address.
    pub email: String,
    /// Role on acceptance (not owner: ownership is transferred). Default viewer.
    #[serde(default)]
    pub role: Option<Role>,
    /// Days until the invitation expires (1-30, default 7).
    #[serde(default)]
    pub valid_for_days: Option<i32>,
}

/// Answer of `POST /workspaces/{ws}/invites`.
#[derive(Debug, Serialize)]
pub struct CreatedInvite {
    /// The invitation.
    pub invite: InviteView,
    /// The secret to send to the invitee. Shown this once: only its hash is stored.
    pub token: String,
}

/// `POST /workspaces/{ws}/invites` (admin+; 201). One pending invitation per address (409).
pub async fn create(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<CreateInvite>,
) -> Result<(StatusCode, Json<CreatedInvite>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let role = body.role.unwrap_or(Role::Viewer);
    let days = body.valid_for_days.unwrap_or(7);
    let email = body.email.trim();
    let mut fields = Fields::default();
    let plausible = email
        .split_once('@')
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty() && !b.contains('@') && !email.contains(char::is_whitespace));
    if !plausible {
        fields.push("email", "must be an email address");
    }
    if role == Role::Owner {
        fields.push("role", "invite as admin, then transfer ownership");
    }
    if !(1..=30).contains(&days) {
        fields.push("valid_for_days", "must be between 1 and 30");
    }
    fields.finish()?;
    let token: String = tx
        .query_one(
            "select postiz.create_workspace_invite($1, $2, $3::text::postiz.workspace_role, make_interval(days => $4))",
            &[&ws, &email, &role.as_str(), &days],
        )
        .await?
        .get(0);
    let row = tx
        .query_one(
            &format!(
                "select {COLUMNS} from postiz.workspace_invites
                 where workspace_id = $1 and lower(email) = lower($2) and accepted_at is null"
            ),
            &[&ws, &email],
        )
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedInvite { invite: view(&row)?, token })))
}

/// `GET /workspaces/{ws}/invites`: pending and accepted invitations, newest first (admin+).
pub async fn list(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Vec<InviteView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let rows = tx
        .query(
            &format!("select {COLUMNS} from postiz.workspace_invites where workspace_id = $1 order by created_at desc, id"),
            &[&ws],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(view).collect::<Result<_, _>>()?))
}

/// `DELETE /workspaces/{ws}/invites/{id}`: revokes an invitation (admin+; 204).
pub async fn revoke(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let n = tx.execute("delete from postiz.workspace_invites where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /invites/accept`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// The token from the invitation.
    pub token: String,
}

/// Answer of `POST /invites/accept`.
#[derive(Debug, Serialize)]
pub struct Accepted {
    /// The workspace joined.
    pub workspace_id: Uuid,
    /// The caller's role there now.
    pub role: Role,
}

/// `POST /invites/accept`: joins the invitation's workspace. 404 when the token is unknown, used
/// or expired; 403 when it was sent to another address than the caller's confirmed email.
pub async fn accept(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody<AcceptInvite>,
) -> Result<Json<Accepted>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let ws: Uuid = match tx.query_one("select postiz.accept_workspace_invite($1)", &[&body.token.trim()]).await {
        Ok(row) => row.get(0),
        Err(e) if e.code() == Some(&SqlState::NO_DATA_FOUND) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    let role = require_role(&tx, ws, Role::Viewer).await?;
    tx.commit().await?;
    Ok(Json(Accepted { workspace_id: ws, role }))
}
