//! Workspace API keys for the public API, managed by admins in the UI: create (the key is shown
//! once), list (prefix, scopes, last use; never the key or its hash), revoke.
//!
//! The key is made and hashed by `postiz.create_api_key` in the admin's RLS transaction; only
//! SHA-256(key) is stored. A key acts for its workspace with the scopes it was given, on behalf
//! of the admin who created it and never beyond `editor` (see the migration
//! `20261122350100_authenticate_api_keys.sql`).

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
use crate::extract::ConfirmedUser;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// Scopes a key may hold; each public route needs one.
pub const SCOPES: [&str; 6] = ["posts:read", "posts:write", "media:read", "media:write", "accounts:read", "analytics:read"];

/// Body of `POST /workspaces/{ws}/api-keys`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// What it is for ("n8n", "Zapier").
    pub name: String,
    /// Some of [`SCOPES`]; omitted: all of them (a key like Postiz's, still revocable).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// No use after this.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API key as listed: never the key itself.
#[derive(Debug, Serialize)]
pub struct KeyView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The key's first characters (`pzk_1a2b3c4d`), to tell keys apart.
    pub prefix: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The admin it acts for.
    pub created_by: Option<Uuid>,
    /// Last authenticated request (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// When revoked; a revoked key answers 401.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The answer to a create: the key, this once.
#[derive(Debug, Serialize)]
pub struct CreatedKey {
    /// The secret key. Shown only now; store it in the integration.
    pub key: String,
    /// Its listing.
    #[serde(flatten)]
    pub view: KeyView,
}

const COLUMNS: &str = "id, name, prefix, scopes, created_by, last_used_at, expires_at, revoked_at, created_at";

fn view(r: &Row) -> KeyView {
    KeyView {
        id: r.get(0),
        name: r.get(1),
        prefix: r.get(2),
        scopes: r.get(3),
        created_by: r.get(4),
        last_used_at: r.get(5),
        expires_at: r.get(6),
        revoked_at: r.get(7),
        created_at: r.get(8),
    }
}

/// `GET /workspaces/{ws}/api-keys` (admin+): newest first, revoked ones included.
pub async fn list(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Vec<KeyView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let rows =
        tx.query(&format!("select {COLUMNS} from postiz.api_keys where workspace_id = $1 order by created_at desc, id"), &[&ws]).await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(view).collect()))
}

/// `POST /workspaces/{ws}/api-keys` (admin+): 201 with the key, shown this once.
pub async fn create(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<CreateKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let scopes: Vec<String> = body.scopes.unwrap_or_else(|| SCOPES.iter().map(|s| (*s).to_owned()).collect());
    let mut fields = Fields::default();
    check_name(&mut fields, "name", &body.name, 100);
    if scopes.is_empty() {
        fields.push("scopes", format!("give at least one of {}", SCOPES.join(", ")));
    }
    for (i, s) in scopes.iter().enumerate() {
        if !SCOPES.contains(&s.as_str()) {
            fields.push(format!("scopes[{i}]"), format!("{s:?} is not a scope; use {}", SCOPES.join(", ")));
        } else if scopes[..i].contains(s) {
            fields.push(format!("scopes[{i}]"), "is listed twice");
        }
    }
    if body.expires_at.is_some_and(|e| e <= Utc::now()) {
        fields.push("expires_at", "must be in the future");
    }
    fields.finish()?;
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let key: String =
        tx.query_one("select postiz.create_api_key($1, $2, $3, $4)", &[&ws, &body.name.trim(), &scopes, &body.expires_at]).await?.get(0);
    let row = tx
        .query_one(
            // The hash is not readable by clients; the prefix and this transaction's start time
            // (the row's created_at) single the new row out.
            &format!("select {COLUMNS} from postiz.api_keys where workspace_id = $1 and prefix = left($2, 12) and created_at = now()"),
            &[&ws, &key],
        )
        .await?;
    tx.commit().await?;
    let view = view(&row);
    tracing::info!(workspace.id = %ws, api_key.id = %view.id, api_key.prefix = %view.prefix, "API key created");
    Ok((StatusCode::CREATED, Json(CreatedKey { key, view })))
}

/// `DELETE /workspaces/{ws}/api-keys/{id}` (admin+; 204): revokes the key at once. The row
/// stays (revoked) so the listing shows what was used; revoking twice is harmless.
pub async fn revoke(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let n = tx
        .execute("update postiz.api_keys set revoked_at = coalesce(revoked_at, now()) where workspace_id = $1 and id = $2", &[&ws, &id])
        .await?;
    tx.commit().await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tracing::info!(workspace.id = %ws, api_key.id = %id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}
