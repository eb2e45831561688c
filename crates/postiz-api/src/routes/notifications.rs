//! The signed-in person's notifications in a workspace (the inbox: unread first, newest first,
//! paged), the unread count, marking read, and their notification preferences. Rows are written
//! by the database's event triggers (`20261204000000_create_notifications.sql`); RLS shows each
//! person only their own.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use postiz_domain::{NotificationDelivery, NotificationEvent, NotificationKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::error::FieldError;
use crate::input::{Ids, JsonBody, Params};
use crate::{ApiError, AppState};

/// Query of `GET /workspaces/{ws}/notifications`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// The previous page's `next_cursor`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1-100 (default 20).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One notification.
#[derive(Debug, Serialize)]
pub struct NotificationView {
    /// Id (mark read with it).
    pub id: i64,
    /// What happened (`kind` and its facts).
    #[serde(flatten)]
    pub event: NotificationEvent,
    /// The event in one line, as the email's subject says it.
    pub headline: String,
    /// More to know or do, when there is.
    pub detail: Option<String>,
    /// When it was read; null while unread.
    pub read_at: Option<DateTime<Utc>>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

/// A page of the inbox.
#[derive(Debug, Serialize)]
pub struct InboxPage {
    /// Unread first, then read, each newest first.
    pub items: Vec<NotificationView>,
    /// Unread notifications in all.
    pub unread: i64,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// Where a page ends: in the unread part or the read part, before this id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    unread: bool,
    before: i64,
}

impl Cursor {
    fn parse(s: &str) -> Result<Self, ApiError> {
        let bad = || ApiError::bad_request("bad_query", "cursor must be a next_cursor this endpoint returned");
        let (part, id) = s.split_once('.').ok_or_else(bad)?;
        let unread = match part {
            "unread" => true,
            "read" => false,
            _ => return Err(bad()),
        };
        Ok(Self { unread, before: id.parse().map_err(|_| bad())? })
    }

    fn encode(self) -> String {
        format!("{}.{}", if self.unread { "unread" } else { "read" }, self.before)
    }
}

/// Decodes the event column of a row (see `postiz_db::notifications::EVENT_JSON`).
fn decode(row: &tokio_postgres::Row, id: i64, value: serde_json::Value) -> Result<NotificationView, ApiError> {
    let event: NotificationEvent =
        serde_json::from_value(value).map_err(|e| ApiError::internal(&format!("notification {id} does not decode as an event: {e}")))?;
    Ok(NotificationView {
        id,
        headline: event.headline(),
        detail: event.detail(),
        event,
        read_at: row.get("read_at"),
        created_at: row.get("created_at"),
    })
}

async fn unread_count(tx: &tokio_postgres::Transaction<'_>, ws: Uuid) -> Result<i64, ApiError> {
    Ok(tx
        .query_one("select count(*) from postiz.notifications where workspace_id = $1 and user_id = auth.uid() and read_at is null", &[&ws])
        .await?
        .get(0))
}

/// `GET /workspaces/{ws}/notifications?cursor=&limit=` (any member; their own only).
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<InboxQuery>,
) -> Result<Json<InboxPage>, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("bad_query", "limit must be between 1 and 100"));
    }
    let cursor = q.cursor.as_deref().map(Cursor::parse).transpose()?;
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    // Unread (newest first), then read (newest first); a cursor in the unread part continues
    // there and then takes the read part from its start.
    let sql = format!(
        "select n.id, n.read_at, n.created_at, {event} as event
         from postiz.notifications n
         where n.workspace_id = $1 and n.user_id = auth.uid()
           and ($2::boolean is null
                or ($2 and ((n.read_at is null and n.id < $3) or n.read_at is not null))
                or (not $2 and n.read_at is not null and n.id < $3))
         order by (n.read_at is null) desc, n.id desc
         limit $4",
        event = postiz_db::notifications::EVENT_JSON
    );
    let rows = tx.query(&sql, &[&ws, &cursor.map(|c| c.unread), &cursor.map_or(0, |c| c.before), &(limit + 1)]).await?;
    let unread = unread_count(&tx, ws).await?;
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.iter().take(usize::try_from(limit).unwrap_or(20)) {
        items.push(decode(row, row.get("id"), row.get("event"))?);
    }
    let next_cursor = if more { items.last().map(|i| Cursor { unread: i.read_at.is_none(), before: i.id }.encode()) } else { None };
    Ok(Json(InboxPage { items, unread, next_cursor }))
}

/// The unread count.
#[derive(Debug, Serialize)]
pub struct Unread {
    /// Unread notifications.
    pub unread: i64,
}

/// `GET /workspaces/{ws}/notifications/unread-count` (the nav's badge).
pub async fn count(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Unread>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let unread = unread_count(&tx, ws).await?;
    tx.commit().await?;
    Ok(Json(Unread { unread }))
}

/// `POST /workspaces/{ws}/notifications/{id}/read`: marks one read (again is a no-op); 404 for
/// someone else's. Answers the new unread count.
pub async fn mark_read(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, i64)>) -> Result<Json<Unread>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let found = tx
        .query_opt(
            "update postiz.notifications set read_at = coalesce(read_at, now())
             where workspace_id = $1 and id = $2 and user_id = auth.uid() returning id",
            &[&ws, &id],
        )
        .await?;
    if found.is_none() {
        return Err(ApiError::not_found());
    }
    let unread = unread_count(&tx, ws).await?;
    tx.commit().await?;
    Ok(Json(Unread { unread }))
}

/// What marking all read did.
#[derive(Debug, Serialize)]
pub struct MarkedAll {
    /// How many were unread.
    pub marked: u64,
    /// Unread now (0).
    pub unread: i64,
}

/// `POST /workspaces/{ws}/notifications/read-all`.
pub async fn mark_all_read(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<MarkedAll>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let marked = tx
        .execute(
            "update postiz.notifications set read_at = now()
             where workspace_id = $1 and user_id = auth.uid() and read_at is null",
            &[&ws],
        )
        .await?;
    let unread = unread_count(&tx, ws).await?;
    tx.commit().await?;
    Ok(Json(MarkedAll { marked, unread }))
}

/// One kind's preference.
#[derive(Debug, Serialize)]
pub struct PreferenceView {
    /// The kind.
    pub kind: NotificationKind,
    /// What the kind is about, in words.
    pub label: &'static str,
    /// How the person hears of it.
    pub delivery: NotificationDelivery,
    /// Whether that is the default (no choice made).
    pub is_default: bool,
}

/// Every kind's preference, in [`NotificationKind::ALL`] order.
#[derive(Debug, Serialize)]
pub struct Preferences {
    /// One per kind.
    pub items: Vec<PreferenceView>,
}

/// Body of `PUT /workspaces/{ws}/notification-preferences`: kinds to set (others unchanged);
/// `null` returns a kind to its default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPreferences {
    /// Kind label → delivery (`off`, `in_app`, `email`, `digest`) or null.
    pub preferences: BTreeMap<String, Option<String>>,
}

async fn read_preferences(tx: &tokio_postgres::Transaction<'_>, ws: Uuid) -> Result<Preferences, ApiError> {
    // The defaults are the database's (postiz_private.default_notification_delivery), which the
    // event triggers use: one rule.
    let rows = tx
        .query(
            "select k.kind::text, coalesce(p.delivery, postiz_private.default_notification_delivery(k.kind))::text, p.delivery is null
             from unnest(enum_range(null::postiz.notification_kind)) as k(kind)
             left join postiz.notification_preferences p
               on p.user_id = auth.uid() and p.workspace_id = $1 and p.kind = k.kind",
            &[&ws],
        )
        .await?;
    let mut by_kind = BTreeMap::new();
    for r in &rows {
        let kind: String = r.get(0);
        let delivery: String = r.get(1);
        let kind: NotificationKind = kind.parse().map_err(|e| ApiError::internal(&format!("a stored notification kind: {e}")))?;
        let delivery: NotificationDelivery =
            delivery.parse().map_err(|e| ApiError::internal(&format!("a stored notification delivery: {e}")))?;
        by_kind.insert(kind, (delivery, r.get::<_, bool>(2)));
    }
    let items = NotificationKind::ALL
        .into_iter()
        .map(|kind| {
            let (delivery, is_default) =
                by_kind.get(&kind).copied().ok_or_else(|| ApiError::internal(&format!("no preference row for {kind}")))?;
            Ok(PreferenceView { kind, label: kind.describe(), delivery, is_default })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Preferences { items })
}

/// `GET /workspaces/{ws}/notification-preferences` (the caller's own).
pub async fn get_preferences(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Preferences>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let out = read_preferences(&tx, ws).await?;
    tx.commit().await?;
    Ok(Json(out))
}

/// `PUT /workspaces/{ws}/notification-preferences` (the caller's own).
pub async fn set_preferences(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<SetPreferences>,
) -> Result<Json<Preferences>, ApiError> {
    let mut fields = Vec::new();
    let mut chosen = Vec::new();
    for (kind, delivery) in &body.preferences {
        let Ok(k) = kind.parse::<NotificationKind>() else {
            fields.push(FieldError { field: format!("preferences.{kind}"), message: "is not a kind of notification".into() });
            continue;
        };
        match delivery.as_deref().map(str::parse::<NotificationDelivery>) {
            None => chosen.push((k, None)),
            Some(Ok(d)) => chosen.push((k, Some(d))),
            Some(Err(_)) => {
                fields.push(FieldError { field: format!("preferences.{kind}"), message: "must be off, in_app, email or digest".into() })
            }
        }
    }
    if !fields.is_empty() {
        return Err(ApiError::validation(fields));
    }
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    for (kind, delivery) in chosen {
        match delivery {
            Some(d) => {
                tx.execute(
                    "insert into postiz.notification_preferences (workspace_id, user_id, kind, delivery)
                     values ($1, auth.uid(), $2::text::postiz.notification_kind, $3::text::postiz.notification_delivery)
                     on conflict (user_id, workspace_id, kind) do update set delivery = excluded.delivery",
                    &[&ws, &kind.as_str(), &d.as_str()],
                )
                .await?;
            }
            None => {
                tx.execute(
                    "delete from postiz.notification_preferences
                     where workspace_id = $1 and user_id = auth.uid() and kind = $2::text::postiz.notification_kind",
                    &[&ws, &kind.as_str()],
                )
                .await?;
            }
        }
    }
    let out = read_preferences(&tx, ws).await?;
    tx.commit().await?;
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        for c in [Cursor { unread: true, before: 12 }, Cursor { unread: false, before: 1 }] {
            assert_eq!(Cursor::parse(&c.encode()).expect("parses"), c);
        }
        for junk in ["", "unread", "unread.x", "seen.3"] {
            assert!(Cursor::parse(junk).is_err(), "{junk}");
        }
    }
}
