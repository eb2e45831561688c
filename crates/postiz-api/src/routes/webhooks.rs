//! Outgoing webhook endpoints of a workspace: list, create (the signing secret is shown once),
//! update (turning a disabled endpoint on again queues its waiting deliveries), rotate the
//! secret (the new one shown once; the old one signs beside it for a day), delete, the delivery
//! log, redelivering one delivery and sending a test event.
//!
//! Endpoints are managed by admins and owners, read by every member (RLS,
//! `20261206020000_create_webhook_endpoints.sql`). The secret (`whsec_…`) is sealed with the
//! credential keyring, bound to the workspace and the endpoint id, and opened only by the
//! worker's `deliver_webhook` job, which signs each delivery per the Standard Webhooks
//! specification. Queueing a delivery (pgmq) is the service role's: it runs on the service pool
//! after the admin check in the user's own transaction.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use postiz_vault::{Binding, Field};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio_postgres::Row;
use url::{Host, Url};
use uuid::Uuid;

use super::connect::Connect;
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::input::{Ids, JsonBody, Params};
use crate::{ApiError, AppState};

/// The events an endpoint may subscribe to.
pub const EVENTS: [&str; 8] = [
    "post.queued",
    "post.publishing",
    "post.published",
    "post.failed",
    "post.unconfirmed",
    "post.approval_decided",
    "account.status_changed",
    "webhook.test",
];

/// Body of `POST /workspaces/{ws}/webhooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    /// Where events are POSTed (https).
    pub url: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Some of [`EVENTS`]; empty or omitted: every event.
    #[serde(default)]
    pub events: Vec<String>,
    /// Only events about this account.
    #[serde(default)]
    pub social_account_id: Option<Uuid>,
}

/// Body of `PATCH /workspaces/{ws}/webhooks/{id}`: only the fields given change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpoint {
    /// New URL.
    #[serde(default)]
    pub url: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// New event filter (empty: every event).
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// New account filter; `null` clears it.
    #[serde(default, with = "double_option")]
    pub social_account_id: Option<Option<Uuid>>,
    /// Turn off, or on again (which clears the failure count and sends what waited).
    #[serde(default)]
    pub enabled: Option<bool>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// An endpoint as listed: never its secret.
#[derive(Debug, Serialize)]
pub struct EndpointView {
    /// Id.
    pub id: Uuid,
    /// Where events go.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// Subscribed events; empty: every event.
    pub events: Vec<String>,
    /// The account filter.
    pub social_account_id: Option<Uuid>,
    /// Whether events are sent.
    pub enabled: bool,
    /// Why it is off.
    pub disabled_reason: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: i32,
    /// Until when the secret replaced by the last rotation still signs beside the current one.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The answer to a create: the secret, this once.
#[derive(Debug, Serialize)]
pub struct CreatedEndpoint {
    /// The signing secret (`whsec_…`). Shown only now; give it to the receiver.
    pub secret: String,
    /// Its listing.
    #[serde(flatten)]
    pub view: EndpointView,
}

/// One delivery in the log.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    /// Id (redeliver with it).
    pub id: i64,
    /// The event's id (`webhook-id` is `msg_` and it without dashes).
    pub event_id: Uuid,
    /// Event name.
    pub event_type: String,
    /// The body sent.
    pub payload: serde_json::Value,
    /// pending, delivered or failed.
    pub status: String,
    /// Attempts so far.
    pub attempts: i32,
    /// The last answer's status code.
    pub last_response_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Next attempt (pending).
    pub next_attempt_at: DateTime<Utc>,
    /// When a 2xx came.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Query of the delivery log.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Only deliveries older than this id (the previous page's last).
    #[serde(default)]
    pub before: Option<i64>,
    /// Page size, 1-100 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// The answer to a test event or a redelivery: the delivery queued.
#[derive(Debug, Serialize)]
pub struct Queued {
    /// The delivery.
    pub delivery_id: i64,
}

const COLUMNS: &str = "id, url, description, events, social_account_id, enabled, disabled_reason, consecutive_failures, created_at,
                       case when previous_secret_expires_at > now() then previous_secret_expires_at end";

/// How long the secret a rotation replaces keeps signing: a day for the receiver to switch.
const PREVIOUS_SECRET_SECS: f64 = 86_400.0;

fn view(r: &Row) -> EndpointView {
    EndpointView {
        id: r.get(0),
        url: r.get(1),
        description: r.get(2),
        events: r.get(3),
        social_account_id: r.get(4),
        enabled: r.get(5),
        disabled_reason: r.get(6),
        consecutive_failures: r.get(7),
        created_at: r.get(8),
        previous_secret_valid_until: r.get(9),
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The URL check: https (http only for a host the operator opened), at most 2,000 characters,
/// and every address it resolves to public (or allowed): the guard every user-supplied URL
/// passes. Messages name the field by its label.
async fn check_url(fields: &mut Fields, connect: &Connect, raw: &str) {
    let raw = raw.trim();
    let allow = &connect.0.guard.settings().private_allow;
    let Ok(url) = Url::parse(raw) else {
        fields.push("url", "Endpoint URL is not a valid address (https://…)");
        return;
    };
    if raw.chars().count() > 2000 {
        fields.push("url", "Endpoint URL must be at most 2,000 characters");
        return;
    }
    let opened = match url.host() {
        Some(Host::Domain(name)) => allow.lists_host(name),
        Some(Host::Ipv4(ip)) => allow.networks().iter().any(|n| n.contains(&std::net::IpAddr::V4(ip))),
        Some(Host::Ipv6(ip)) => allow.networks().iter().any(|n| n.contains(&std::net::IpAddr::V6(ip))),
        None => false,
    };
    if url.scheme() != "https" && !(opened && url.scheme() == "http") {
        fields.push("url", "Endpoint URL must start with https://");
        return;
    }
    if !url.username().is_empty() || url.password().is_some() {
        fields.push("url", "Endpoint URL must not carry a user name or password; the signature proves who sent it");
        return;
    }
    if let Err(reason) = postiz_providers::http::check_user_url(&url, allow).await {
        fields.push("url", format!("Endpoint URL is refused: {reason}"));
    }
}

fn check_events(fields: &mut Fields, events: &[String]) {
    for (i, e) in events.iter().enumerate() {
        if !EVENTS.contains(&e.as_str()) {
            fields.push(format!("events[{i}]"), format!("Events: {e:?} is not an event; use {}", EVENTS.join(", ")));
        } else if events[..i].contains(e) {
            fields.push(format!("events[{i}]"), format!("Events: {e} is listed twice"));
        }
    }
}

fn check_description(fields: &mut Fields, d: &str) {
    if d.chars().count() > 500 {
        fields.push("description", "Description must be at most 500 characters");
    }
}

async fn check_account(tx: &tokio_postgres::Transaction<'_>, fields: &mut Fields, ws: Uuid, account: Option<Uuid>) -> Result<(), ApiError> {
    if let Some(a) = account {
        let found = tx.query_opt("select 1 from postiz.social_accounts where workspace_id = $1 and id = $2", &[&ws, &a]).await?;
        if found.is_none() {
            fields.push("social_account_id", "Account is not an account of this workspace");
        }
    }
    Ok(())
}

/// `GET /workspaces/{ws}/webhooks` (members): oldest first.
pub async fn list(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Vec<EndpointView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let rows = tx
        .query(&format!("select {COLUMNS} from postiz.webhook_endpoints where workspace_id = $1 order by created_at, id"), &[&ws])
        .await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(view).collect()))
}

/// `POST /workspaces/{ws}/webhooks` (admin+): 201 with the secret, shown this once.
pub async fn create(
    State(state): State<AppState>,
    connect: Connect,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<CreateEndpoint>,
) -> Result<(StatusCode, Json<CreatedEndpoint>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let mut fields = Fields::default();
    check_url(&mut fields, &connect, &body.url).await;
    check_description(&mut fields, &body.description);
    check_events(&mut fields, &body.events);
    check_account(&tx, &mut fields, ws, body.social_account_id).await?;
    fields.finish()?;

    let id = Uuid::new_v4();
    let secret = new_secret();
    let sealed = connect
        .0
        .keyring
        .encrypt(&SecretString::from(secret.clone()), &Binding { workspace_id: ws, social_account_id: id, field: Field::WebhookSecret });
    let row = tx
        .query_one(
            &format!(
                "insert into postiz.webhook_endpoints (id, workspace_id, url, description, events, social_account_id, secret_key_id, secret_nonce, secret_ciphertext)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning {COLUMNS}"
            ),
            &[&id, &ws, &body.url.trim(), &body.description.trim(), &body.events, &body.social_account_id, &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
        )
        .await?;
    tx.commit().await?;
    tracing::info!(workspace.id = %ws, webhook.endpoint = %id, "webhook endpoint created");
    Ok((StatusCode::CREATED, Json(CreatedEndpoint { secret, view: view(&row) })))
}

/// `PATCH /workspaces/{ws}/webhooks/{id}` (admin+). Turning it on again clears its failures and
/// queues the deliveries that waited while it was off.
pub async fn update(
    State(state): State<AppState>,
    connect: Connect,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<UpdateEndpoint>,
) -> Result<Json<EndpointView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let was_enabled: bool = tx
        .query_opt("select enabled from postiz.webhook_endpoints where workspace_id = $1 and id = $2 for update", &[&ws, &id])
        .await?
        .ok_or_else(ApiError::not_found)?
        .get(0);
    let mut fields = Fields::default();
    if let Some(url) = &body.url {
        check_url(&mut fields, &connect, url).await;
    }
    if let Some(d) = &body.description {
        check_description(&mut fields, d);
    }
    if let Some(e) = &body.events {
        check_events(&mut fields, e);
    }
    if let Some(a) = body.social_account_id {
        check_account(&tx, &mut fields, ws, a).await?;
    }
    fields.finish()?;
    let reenable = body.enabled == Some(true) && !was_enabled;
    let row = tx
        .query_one(
            &format!(
                "update postiz.webhook_endpoints set
                   url = coalesce($3, url),
                   description = coalesce($4, description),
                   events = coalesce($5, events),
                   social_account_id = case when $6 then $7 else social_account_id end,
                   enabled = coalesce($8, enabled),
                   disabled_reason = case when $8 = false and enabled then 'Turned off by a person' when $8 then null else disabled_reason end,
                   consecutive_failures = case when $9 then 0 else consecutive_failures end,
                   failing_since = case when $9 then null else failing_since end
                 where workspace_id = $1 and id = $2 returning {COLUMNS}"
            ),
            &[
                &ws,
                &id,
                &body.url.as_deref().map(str::trim),
                &body.description.as_deref().map(str::trim),
                &body.events,
                &body.social_account_id.is_some(),
                &body.social_account_id.flatten(),
                &body.enabled,
                &reenable,
            ],
        )
        .await?;
    tx.commit().await?;
    if reenable {
        let service = connect.0.service_pool.get().await?;
        let n = service
            .execute(
                "select pgmq.send('webhooks', jsonb_build_object('job', 'deliver_webhook', 'v', 1, 'data', jsonb_build_object('delivery_id', d.id)))
                 from postiz.webhook_deliveries d where d.workspace_id = $1 and d.endpoint_id = $2 and d.status = 'pending'",
                &[&ws, &id],
            )
            .await?;
        tracing::info!(workspace.id = %ws, webhook.endpoint = %id, queued = n, "webhook endpoint turned on again");
    }
    Ok(Json(view(&row)))
}

/// `POST /workspaces/{ws}/webhooks/{id}/rotate-secret` (admin+): a new signing secret, shown
/// this once. The secret it replaces keeps signing beside it for a day (each delivery carries
/// both signatures), so a receiver that has not switched yet still verifies them.
pub async fn rotate_secret(
    State(state): State<AppState>,
    connect: Connect,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Json<CreatedEndpoint>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    if tx.query_opt("select 1 from postiz.webhook_endpoints where workspace_id = $1 and id = $2", &[&ws, &id]).await?.is_none() {
        return Err(ApiError::not_found());
    }
    tx.commit().await?;
    let secret = new_secret();
    let sealed = connect
        .0
        .keyring
        .encrypt(&SecretString::from(secret.clone()), &Binding { workspace_id: ws, social_account_id: id, field: Field::WebhookSecret });
    // Members cannot read the sealed secret, so the copy into `previous_*` runs as the service
    // role, for the endpoint the admin check above was made for.
    let service = connect.0.service_pool.get().await?;
    let row = service
        .query_opt(
            &format!(
                "update postiz.webhook_endpoints set
                   previous_secret_key_id = secret_key_id, previous_secret_nonce = secret_nonce,
                   previous_secret_ciphertext = secret_ciphertext,
                   previous_secret_expires_at = now() + make_interval(secs => $6),
                   secret_key_id = $3, secret_nonce = $4, secret_ciphertext = $5
                 where workspace_id = $1 and id = $2 returning {COLUMNS}"
            ),
            &[&ws, &id, &sealed.key_id, &sealed.nonce, &sealed.ciphertext, &PREVIOUS_SECRET_SECS],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    tracing::info!(workspace.id = %ws, webhook.endpoint = %id, "webhook signing secret rotated");
    Ok(Json(CreatedEndpoint { secret, view: view(&row) }))
}

/// `DELETE /workspaces/{ws}/webhooks/{id}` (admin+; 204): the endpoint and its log.
pub async fn delete(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let n = tx.execute("delete from postiz.webhook_endpoints where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    tx.commit().await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tracing::info!(workspace.id = %ws, webhook.endpoint = %id, "webhook endpoint deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /workspaces/{ws}/webhooks/{id}/deliveries` (members): newest first, paged by `before`.
pub async fn deliveries(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    Params(q): Params<LogQuery>,
) -> Result<Json<Vec<DeliveryView>>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::validation(vec![crate::FieldError {
            field: "limit".into(),
            message: "Page size must be between 1 and 100".into(),
        }]));
    }
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    if tx.query_opt("select 1 from postiz.webhook_endpoints where workspace_id = $1 and id = $2", &[&ws, &id]).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let rows = tx
        .query(
            "select id, event_id, event_type, payload, status::text, attempts, last_response_code, last_error, next_attempt_at, delivered_at, created_at
             from postiz.webhook_deliveries
             where workspace_id = $1 and endpoint_id = $2 and ($3::bigint is null or id < $3)
             order by id desc limit $4",
            &[&ws, &id, &q.before, &limit],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(
        rows.iter()
            .map(|r| DeliveryView {
                id: r.get(0),
                event_id: r.get(1),
                event_type: r.get(2),
                payload: r.get(3),
                status: r.get(4),
                attempts: r.get(5),
                last_response_code: r.get(6),
                last_error: r.get(7),
                next_attempt_at: r.get(8),
                delivered_at: r.get(9),
                created_at: r.get(10),
            })
            .collect(),
    ))
}

/// `POST /workspaces/{ws}/webhooks/{id}/deliveries/{delivery}/redeliver` (admin+; 202): sends
/// the delivery again (same event id), whatever its status.
pub async fn redeliver(
    State(state): State<AppState>,
    connect: Connect,
    user: AuthUser,
    Ids((ws, id, delivery)): Ids<(Uuid, Uuid, i64)>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let found = tx
        .query_opt(
            "select 1 from postiz.webhook_deliveries where workspace_id = $1 and endpoint_id = $2 and id = $3",
            &[&ws, &id, &delivery],
        )
        .await?;
    tx.commit().await?;
    if found.is_none() {
        return Err(ApiError::not_found());
    }
    let mut service = connect.0.service_pool.get().await?;
    let stx = service.transaction().await?;
    stx.execute("update postiz.webhook_deliveries set status = 'pending', next_attempt_at = now() where id = $1", &[&delivery]).await?;
    stx.execute(
        "select pgmq.send('webhooks', jsonb_build_object('job', 'deliver_webhook', 'v', 1, 'data', jsonb_build_object('delivery_id', $1::bigint)))",
        &[&delivery],
    )
    .await?;
    stx.commit().await?;
    tracing::info!(workspace.id = %ws, webhook.endpoint = %id, webhook.delivery = delivery, "webhook delivery queued again");
    Ok((StatusCode::ACCEPTED, Json(Queued { delivery_id: delivery })))
}

/// `POST /workspaces/{ws}/webhooks/{id}/test` (admin+; 202): a `webhook.test` event to this
/// endpoint only; a turned-off endpoint gets it too, tried once, without counting toward its
/// failures (the worker's `deliver_webhooks`), so an admin can check it before turning it on.
pub async fn send_test(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    if tx.query_opt("select 1 from postiz.webhook_endpoints where workspace_id = $1 and id = $2", &[&ws, &id]).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let delivery_id: i64 = tx.query_one("select postiz_private.send_webhook_test_event($1, $2)", &[&ws, &id]).await?.get(0);
    tx.commit().await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { delivery_id })))
}
