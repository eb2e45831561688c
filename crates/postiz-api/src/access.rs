//! The caller's role in a workspace, read inside the caller's own RLS-scoped transaction.
//!
//! Why a separate check when RLS already decides: an `update`/`delete` whose `using` clause hides
//! the row affects zero rows without an error, so the handler could not tell "not yours" (404)
//! from "not allowed" (403). Reading the membership first gives both answers honestly: no
//! membership row visible means the workspace does not exist for the caller (404), a role below
//! the one needed means 403. The database still enforces every write through its policies.

use std::fmt;
use std::str::FromStr;

use deadpool_postgres::Object;
use postiz_db::{DbRole, begin_as};
use serde::{Deserialize, Serialize};
use tokio_postgres::Transaction;
use uuid::Uuid;

use crate::ApiError;
use crate::auth::AuthUser;

/// A workspace role, ascending as in `postiz.workspace_role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything in the workspace.
    Viewer,
    /// Writes posts, tags, comments, media.
    Editor,
    /// Manages members, invitations, accounts and settings.
    Admin,
    /// Deletes the workspace, transfers ownership.
    Owner,
}

impl Role {
    /// The database enum label.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            other => Err(ApiError::internal(&format!("unknown workspace role {other:?} in the database"))),
        }
    }
}

/// Opens the request's one transaction as `authenticated` with the verified claims.
pub(crate) async fn user_tx<'a>(client: &'a mut Object, user: &AuthUser) -> Result<Transaction<'a>, ApiError> {
    Ok(begin_as(client, DbRole::Authenticated, &user.claims).await?)
}

/// The caller's role in `ws`: 404 when the caller is not a member (or `ws` does not exist),
/// 403 when the role is below `min`.
pub(crate) async fn require_role(tx: &Transaction<'_>, ws: Uuid, min: Role) -> Result<Role, ApiError> {
    let row =
        tx.query_opt("select role::text from postiz.workspace_members where workspace_id = $1 and user_id = auth.uid()", &[&ws]).await?;
    let role: Role = row.ok_or_else(ApiError::not_found)?.get::<_, String>(0).parse()?;
    if role < min {
        return Err(ApiError::forbidden(format!("this needs the {min} role or higher in this workspace; yours is {role}")));
    }
    Ok(role)
}
