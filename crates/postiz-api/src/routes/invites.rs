//! Invitations: create (the token is returned once), list, revoke (admin+), accept (invitee).
//!
//! How the invitee hears of one: an address without an account gets Supabase Auth's invite
//! email when the operator configured the service-role key (`auth::InviteEmails`); an address
//! with an account sees it in the module (`GET /invites/mine`); otherwise the admin passes the
//! code on. The invitation is committed, with the email's request claimed, before Auth is asked,
//! and Auth's answer is recorded after: a failure of either step loses nothing and sends
//! nothing twice.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::{AuthUser, InviteEmailOutcome, InviteEmails};
use crate::checks::Fields;
use crate::extract::ConfirmedUser;
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
    /// The inviter's name (null when they are no longer a member).
    pub invited_by_name: Option<String>,
    /// Deadline.
    pub expires_at: DateTime<Utc>,
    /// When accepted, if so.
    pub accepted_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// How the invitee hears of it.
    pub delivery: InviteDelivery,
    /// For `auth_email`: where Supabase Auth's invite email stands.
    pub email_status: Option<EmailStatus>,
    /// Why Auth did not send it, when it refused.
    pub email_error: Option<String>,
}

/// How the invitee hears of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteDelivery {
    /// The admin passes the code on.
    Code,
    /// The invitee has an account: the module shows them the invitation.
    InApp,
    /// Supabase Auth emails the invitee a sign-up link.
    AuthEmail,
}

/// Where Supabase Auth's invite email stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Asked; Auth's answer did not arrive (it may have been sent).
    Asked,
    /// Auth said it sent it.
    Sent,
    /// Auth refused: nothing was sent.
    Refused,
}

const COLUMNS: &str = "id, email, role::text, invited_by, expires_at, accepted_at, created_at, delivery::text, email_requested_at, email_sent_at, email_error,
     (select n.name from postiz_private.workspace_member_names(workspace_id) n where n.user_id = invited_by)";

fn view(r: &Row) -> Result<InviteView, ApiError> {
    let delivery = match r.get::<_, &str>(7) {
        "in_app" => InviteDelivery::InApp,
        "auth_email" => InviteDelivery::AuthEmail,
        _ => InviteDelivery::Code,
    };
    let requested: Option<DateTime<Utc>> = r.get(8);
    let sent: Option<DateTime<Utc>> = r.get(9);
    let email_error: Option<String> = r.get(10);
    let email_status = requested.map(|_| match (sent, &email_error) {
        (Some(_), _) => EmailStatus::Sent,
        (None, Some(_)) => EmailStatus::Refused,
        (None, None) => EmailStatus::Asked,
    });
    Ok(InviteView {
        id: r.get(0),
        email: r.get(1),
        role: r.get::<_, String>(2).parse()?,
        invited_by: r.get(3),
        invited_by_name: r.get(11),
        expires_at: r.get(4),
        accepted_at: r.get(5),
        created_at: r.get(6),
        delivery,
        email_status,
        email_error,
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
    emails: Option<Extension<Arc<InviteEmails>>>,
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
        fields.push("email", "Email must be an email address, like name@example.com");
    }
    if role == Role::Owner {
        fields.push("role", "Role cannot be owner: invite as admin, then transfer ownership");
    }
    if !(1..=30).contains(&days) {
        fields.push("valid_for_days", "Valid for must be between 1 and 30 days");
    }
    fields.finish()?;
    let token: String = tx
        .query_one(
            "select postiz.create_workspace_invite($1, $2, $3::text::postiz.workspace_role, make_interval(days => $4))",
            &[&ws, &email, &role.as_str(), &days],
        )
        .await?
        .get(0);
    let id: Uuid = tx
        .query_one(
            "select id from postiz.workspace_invites where workspace_id = $1 and lower(email) = lower($2) and accepted_at is null",
            &[&ws, &email],
        )
        .await?
        .get(0);
    let claim = tx.query_one("select ask_auth from postiz.claim_invite_delivery($1, $2)", &[&id, &emails.is_some()]).await?;
    let ask_auth: bool = claim.get(0);
    let workspace_name: String = tx.query_one("select name from postiz.workspaces where id = $1", &[&ws]).await?.get(0);
    // Committed before Auth is asked: the invitation exists whatever Auth answers. The
    // connection goes back to the pool while Auth is asked (up to its timeout).
    tx.commit().await?;
    drop(client);
    let outcome = match (ask_auth, emails.as_ref()) {
        (true, Some(Extension(emails))) => Some(emails.send(email, &token, &workspace_name).await),
        _ => None,
    };
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    if let Some(outcome) = &outcome {
        let (name, reason) = match outcome {
            InviteEmailOutcome::Sent => ("sent", None),
            InviteEmailOutcome::HasAccount => ("has_account", None),
            InviteEmailOutcome::Refused(why) => ("refused", Some(why.as_str())),
            InviteEmailOutcome::Unknown(_) => ("unknown", None),
        };
        if let InviteEmailOutcome::Refused(why) | InviteEmailOutcome::Unknown(why) = outcome {
            tracing::warn!(invite = %id, outcome = name, reason = %why, "Supabase Auth did not confirm the invite email");
        }
        tx.execute("select postiz.record_invite_email($1, $2, $3)", &[&id, &name, &reason]).await?;
    }
    let row = tx.query_one(&format!("select {COLUMNS} from postiz.workspace_invites where id = $1"), &[&id]).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(CreatedInvite { invite: view(&row)?, token })))
}

/// `GET /workspaces/{ws}/invites`: pending and accepted invitations, newest first (admin+).
pub async fn list(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Vec<InviteView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let rows = tx
        .query(&format!("select {COLUMNS} from postiz.workspace_invites where workspace_id = $1 order by created_at desc, id"), &[&ws])
        .await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(view).collect::<Result<_, _>>()?))
}

/// `DELETE /workspaces/{ws}/invites/{id}`: revokes an invitation (admin+; 204).
pub async fn revoke(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<StatusCode, ApiError> {
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
    join(&state, &user, "select postiz.accept_workspace_invite($1)", &body.token.trim()).await
}

/// `POST /invites/{id}/accept`: joins the workspace of an invitation addressed to the caller's
/// confirmed email (one listed by `GET /invites/mine`). Errors as for the token.
pub async fn accept_by_id(State(state): State<AppState>, user: AuthUser, Ids(id): Ids<Uuid>) -> Result<Json<Accepted>, ApiError> {
    join(&state, &user, "select postiz.accept_invitation($1)", &id).await
}

async fn join(
    state: &AppState,
    user: &AuthUser,
    statement: &str,
    param: &(dyn tokio_postgres::types::ToSql + Sync),
) -> Result<Json<Accepted>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, user).await?;
    let ws: Uuid = match tx.query_one(statement, &[param]).await {
        Ok(row) => row.get(0),
        Err(e) if e.code() == Some(&SqlState::NO_DATA_FOUND) => {
            return Err(ApiError::unprocessable(
                "invite_unusable",
                "This invitation was already used, revoked or has expired. Ask the person who invited you for a new one.",
            ));
        }
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            return Err(ApiError::forbidden_because(
                "invite_for_another_address",
                "This invitation was sent to another email address. Sign in with the address it was sent to.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let role = require_role(&tx, ws, Role::Viewer).await?;
    tx.commit().await?;
    Ok(Json(Accepted { workspace_id: ws, role }))
}

/// An invitation addressed to the caller.
#[derive(Debug, Serialize)]
pub struct MyInvitation {
    /// Id (accept with `POST /invites/{id}/accept`).
    pub id: Uuid,
    /// The workspace.
    pub workspace_id: Uuid,
    /// Its name.
    pub workspace_name: String,
    /// Role on acceptance.
    pub role: Role,
    /// Deadline.
    pub expires_at: DateTime<Utc>,
}

/// `GET /invites/mine`: pending invitations addressed to the caller's confirmed email.
pub async fn mine(State(state): State<AppState>, user: AuthUser) -> Result<Json<Vec<MyInvitation>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let rows = tx.query("select id, workspace_id, workspace_name, role::text, expires_at from postiz.my_invitations()", &[]).await?;
    tx.commit().await?;
    let invitations = rows
        .iter()
        .map(|r| {
            Ok(MyInvitation {
                id: r.get(0),
                workspace_id: r.get(1),
                workspace_name: r.get(2),
                role: r.get::<_, String>(3).parse()?,
                expires_at: r.get(4),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Json(invitations))
}
