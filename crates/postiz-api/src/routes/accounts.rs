//! Connected social accounts: list (with credential metadata, never ciphertext), settings and
//! posting slots, disconnect, and the next free posting slot.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use postiz_schedule::{Slot, next_free_slot};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::input::{Ids, JsonBody, Params};
use crate::occurrences::{RecurringSpec, check_horizon, expand_all};
use crate::{ApiError, AppState};

/// What members may know about an account's credentials (from `postiz.social_account_credentials`).
#[derive(Debug, Serialize)]
pub struct CredentialMeta {
    /// Access-token expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Refresh-token expiry.
    pub refresh_expires_at: Option<DateTime<Utc>>,
    /// Whether the worker can refresh without the user.
    pub has_refresh_token: bool,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Last stored.
    pub updated_at: DateTime<Utc>,
}

/// The worker's last pre-flight check of an account's token (`postiz.account_checks`).
#[derive(Debug, Serialize)]
pub struct HealthView {
    /// When its token was last verified; null: not yet.
    pub checked_at: Option<DateTime<Utc>>,
    /// `ok`, `needs_reconnect` or `retry` (could not be asked; asked again later).
    pub outcome: Option<String>,
    /// Why the last check did not pass (never a token).
    pub last_error: Option<String>,
    /// When the credential stops working and cannot be renewed without a person: the refresh
    /// token's expiry, else the access token's when there is no refresh token.
    pub reconnect_before: Option<DateTime<Utc>>,
}

/// A connected account.
#[derive(Debug, Serialize)]
pub struct AccountView {
    /// Id.
    pub id: Uuid,
    /// Network wire name.
    pub network: String,
    /// The account's id at the network.
    pub external_account_id: String,
    /// The page/organisation posted as, when distinct.
    pub external_page_id: Option<String>,
    /// Handle.
    pub handle: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Avatar.
    pub avatar_url: Option<String>,
    /// `active`, `needs_reconnect`, `revoked` or `disabled`.
    pub status: String,
    /// Weekly posting times (`[{"day": "Mon", "time": "09:30"}]`) in the workspace zone.
    pub posting_slots: Value,
    /// Account options.
    pub settings: Value,
    /// Non-secret network details (e.g. a Mastodon instance URL).
    pub meta: Value,
    /// Who connected it.
    pub connected_by: Option<Uuid>,
    /// Whether credentials are stored.
    pub connected: bool,
    /// Credential metadata, when connected.
    pub credential: Option<CredentialMeta>,
    /// Connection health: the last pre-flight check and the credential's hard expiry.
    pub health: HealthView,
    /// Connected.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

const SELECT: &str = "select a.id, a.network, a.external_account_id, a.external_page_id, a.handle, a.display_name,
       a.avatar_url, a.status::text, a.posting_slots, a.settings, a.meta, a.connected_by, a.created_at, a.updated_at,
       c.social_account_id is not null, c.expires_at, c.refresh_expires_at, coalesce(c.has_refresh_token, false),
       coalesce(c.scopes, '{}'), c.updated_at,
       k.checked_at, k.outcome, k.last_error,
       coalesce(c.refresh_expires_at, case when not c.has_refresh_token then c.expires_at end)
from postiz.social_accounts a
left join postiz.social_account_credentials c on c.social_account_id = a.id
left join postiz.account_checks k on k.social_account_id = a.id";

fn view(r: &Row) -> AccountView {
    let connected: bool = r.get(14);
    AccountView {
        id: r.get(0),
        network: r.get(1),
        external_account_id: r.get(2),
        external_page_id: r.get(3),
        handle: r.get(4),
        display_name: r.get(5),
        avatar_url: r.get(6),
        status: r.get(7),
        posting_slots: r.get(8),
        settings: r.get(9),
        meta: r.get(10),
        connected_by: r.get(11),
        created_at: r.get(12),
        updated_at: r.get(13),
        connected,
        credential: connected.then(|| CredentialMeta {
            expires_at: r.get(15),
            refresh_expires_at: r.get(16),
            has_refresh_token: r.get(17),
            scopes: r.get(18),
            updated_at: r.get(19),
        }),
        health: HealthView { checked_at: r.get(20), outcome: r.get(21), last_error: r.get(22), reconnect_before: r.get(23) },
    }
}

async fn fetch(tx: &Transaction<'_>, ws: Uuid, id: Uuid) -> Result<Option<AccountView>, ApiError> {
    Ok(tx.query_opt(&format!("{SELECT} where a.workspace_id = $1 and a.id = $2"), &[&ws, &id]).await?.as_ref().map(view))
}

/// `GET /workspaces/{ws}/accounts`: every connected account (any member).
pub async fn list(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Vec<AccountView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let rows = tx
        .query(
            &format!("{SELECT} where a.workspace_id = $1 order by a.network, lower(coalesce(a.display_name, a.handle, '')), a.id"),
            &[&ws],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(view).collect()))
}

/// `GET /workspaces/{ws}/accounts/{id}`.
pub async fn get(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<Json<AccountView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let account = fetch(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(account))
}

/// Body of `PATCH /workspaces/{ws}/accounts/{id}`: only the fields given change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    /// Weekly posting times, replacing the current list.
    #[serde(default)]
    pub posting_slots: Option<Vec<Slot>>,
    /// Account options (a JSON object), replacing the current ones.
    #[serde(default)]
    pub settings: Option<Value>,
}

/// `PATCH /workspaces/{ws}/accounts/{id}` (admin+).
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<UpdateAccount>,
) -> Result<Json<AccountView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let mut fields = Fields::default();
    if body.settings.as_ref().is_some_and(|s| !s.is_object()) {
        fields.push("settings", "must be a JSON object");
    }
    if let Some(slots) = &body.posting_slots {
        if slots.len() > 200 {
            fields.push("posting_slots", "at most 200 slots");
        }
        for (i, s) in slots.iter().enumerate() {
            if slots[..i].contains(s) {
                fields.push(format!("posting_slots[{i}]"), "is listed twice");
            }
        }
    }
    fields.finish()?;
    let slots = body
        .posting_slots
        .map(|mut s| {
            s.sort_by_key(|s| (s.day.num_days_from_monday(), s.time));
            serde_json::to_value(s)
        })
        .transpose()
        .map_err(|e| ApiError::internal(&e))?;
    let n = tx
        .execute(
            "update postiz.social_accounts set posting_slots = coalesce($3, posting_slots), settings = coalesce($4, settings)
             where workspace_id = $1 and id = $2",
            &[&ws, &id, &slots, &body.settings],
        )
        .await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    let account = fetch(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(account))
}

/// `DELETE /workspaces/{ws}/accounts/{id}`: disconnects the account (admin+; 204). Its
/// credentials and post targets go with it.
pub async fn delete(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let n = tx.execute("delete from postiz.social_accounts where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET …/next-slot`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextSlotQuery {
    /// Find a slot strictly after this instant (default: now).
    #[serde(default)]
    pub after: Option<DateTime<Utc>>,
    /// How far to look, in days (1-90, default 28).
    #[serde(default)]
    pub horizon_days: Option<u32>,
}

/// Answer of `GET …/next-slot`.
#[derive(Debug, Serialize)]
pub struct NextSlot {
    /// The first free slot, or null when the account has no slots or all are taken.
    pub at: Option<DateTime<Utc>>,
    /// The zone the slots are read in (the workspace's).
    pub time_zone: String,
    /// How many weekly slots the account has.
    pub slots: usize,
}

/// `GET /workspaces/{ws}/accounts/{id}/next-slot`: the account's next posting slot not already
/// taken by one of its scheduled posts (one-off or recurring occurrences).
pub async fn next_slot(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    Params(q): Params<NextSlotQuery>,
) -> Result<Json<NextSlot>, ApiError> {
    let horizon = q.horizon_days.unwrap_or(28);
    if !(1..=90).contains(&horizon) {
        return Err(ApiError::bad_request("bad_query", "horizon_days must be between 1 and 90"));
    }
    let after = q.after.unwrap_or_else(Utc::now);
    check_horizon("after", after)?;
    let until = after + Duration::days(i64::from(horizon) + 1);
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let row = tx
        .query_opt(
            "select a.posting_slots, w.time_zone from postiz.social_accounts a
             join postiz.workspaces w on w.id = a.workspace_id
             where a.workspace_id = $1 and a.id = $2",
            &[&ws, &id],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    let raw: Value = row.get(0);
    let zone: String = row.get(1);
    // Slots written by other clients in another shape are skipped rather than failing the lookup.
    let slots: Vec<Slot> =
        raw.as_array().map(|a| a.iter().filter_map(|s| serde_json::from_value(s.clone()).ok()).collect()).unwrap_or_default();
    let mut taken: Vec<DateTime<Utc>> = tx
        .query(
            "select p.scheduled_at from postiz.post_targets t
             join postiz.posts p on p.workspace_id = t.workspace_id and p.id = t.post_id
             where t.workspace_id = $1 and t.social_account_id = $2 and t.status <> 'canceled'
               and p.status in ('scheduled', 'pending_approval', 'publishing')
               and p.scheduled_at > $3 and p.scheduled_at <= $4",
            &[&ws, &id, &after, &until],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let recurring = tx
        .query(
            "select s.rrule, s.starts_at, s.ends_at, s.time_zone from postiz.schedules s
             join postiz.post_targets t on t.workspace_id = s.workspace_id and t.post_id = s.post_id
             where s.workspace_id = $1 and t.social_account_id = $2 and s.kind = 'recurring' and s.status = 'pending'
               and t.status <> 'canceled' and s.starts_at <= $3",
            &[&ws, &id, &until],
        )
        .await?;
    tx.commit().await?;
    // A rule the worker cannot evaluate fires nothing, so it takes no slot either.
    let schedules =
        recurring.iter().map(|r| RecurringSpec { rrule: r.get(0), starts_at: r.get(1), ends_at: r.get(2), time_zone: r.get(3) }).collect();
    taken.extend(expand_all(schedules, after, until).await?.into_iter().flatten());
    let tz = postiz_schedule::parse_zone(&zone).unwrap_or(chrono_tz::UTC);
    let at = next_free_slot(&slots, tz, after, &taken, horizon);
    Ok(Json(NextSlot { at, time_zone: zone, slots: slots.len() }))
}
