//! Reading a stored post back into a `Draft`, and writing a checked `Draft`.
//!
//! Invariant kept here: a post has at most one schedule row of its own, and that row is
//! `pending` exactly when the post is `scheduled` (otherwise `canceled`), so the enqueuer never
//! fires a draft, and un-scheduling cancels queued jobs through the revision trigger.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use postiz_domain::{Network, NetworkSettings};
use serde_json::{Value, json};
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::check::PlannedSchedule;
use super::model::{Draft, MediaInput, MediaItem, ScheduleInput, ThreadItemInput, VariantInput};
use crate::ApiError;

/// A post's own schedule row.
#[derive(Debug, Clone)]
pub(crate) struct OwnSchedule {
    pub id: Uuid,
    pub kind: String,
    pub starts_at: DateTime<Utc>,
    pub rrule: Option<String>,
    pub ends_at: Option<DateTime<Utc>>,
    pub time_zone: String,
    pub status: String,
}

/// A stored post: its draft, and where its schedule lives.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub draft: Draft,
    pub own: Option<OwnSchedule>,
    /// The evergreen pool's tag, when the post is in one.
    pub pool_tag: Option<Uuid>,
}

/// Locks the post (`for update`: the worker's status updates wait) and reads it back.
/// `None` when the caller cannot see it.
pub(crate) async fn load_for_update(tx: &Transaction<'_>, ws: Uuid, id: Uuid) -> Result<Option<Stored>, ApiError> {
    let Some(p) =
        tx.query_opt("select status::text, content, metadata from postiz.posts where workspace_id = $1 and id = $2", &[&ws, &id]).await?
    else {
        return Ok(None);
    };
    let status: String = p.get(0);
    // `for update` goes through the update policy, which hides posts the worker owns
    // (publishing, published): those are only read, and the handlers refuse to change them.
    if !matches!(status.as_str(), "publishing" | "published")
        && tx.query_opt("select 1 from postiz.posts where workspace_id = $1 and id = $2 for update", &[&ws, &id]).await?.is_none()
    {
        return Err(ApiError::conflict("post_changed", "the post is being published now; reload it"));
    }
    let mut variants = BTreeMap::new();
    for r in tx
        .query(
            "select network, text_override, thread_items, first_comment, settings from postiz.post_variants
             where workspace_id = $1 and post_id = $2",
            &[&ws, &id],
        )
        .await?
    {
        let Ok(network) = r.get::<_, String>(0).parse::<Network>() else { continue };
        let thread: Value = r.get(2);
        let thread = thread
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| ThreadItemInput {
                        text: i.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
                        media: thread_media(i),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let settings: Value = r.get(4);
        let settings = match settings {
            Value::Object(ref o) if o.is_empty() => NetworkSettings::None,
            other => serde_json::from_value(other).unwrap_or_default(),
        };
        variants.insert(network, VariantInput { text: r.get(1), thread, first_comment: r.get(3), settings });
    }
    let targets = tx
        .query(
            "select social_account_id from postiz.post_targets where workspace_id = $1 and post_id = $2 order by created_at, id",
            &[&ws, &id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let tags: Vec<Uuid> = tx
        .query("select tag_id from postiz.post_tags where workspace_id = $1 and post_id = $2 order by created_at, tag_id", &[&ws, &id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let media = tx
        .query(
            "select media_id, alt_text from postiz.post_media where workspace_id = $1 and post_id = $2 order by position, media_id",
            &[&ws, &id],
        )
        .await?
        .iter()
        .map(|r| MediaItem { id: r.get(0), alt: r.get(1) })
        .collect();
    let own = tx
        .query_opt(
            "select id, kind::text, starts_at, rrule, ends_at, time_zone, status::text from postiz.schedules
             where workspace_id = $1 and post_id = $2 order by created_at desc limit 1",
            &[&ws, &id],
        )
        .await?
        .map(|r| OwnSchedule {
            id: r.get(0),
            kind: r.get(1),
            starts_at: r.get(2),
            rrule: r.get(3),
            ends_at: r.get(4),
            time_zone: r.get(5),
            status: r.get(6),
        });
    let pool_tag: Option<Uuid> = tx
        .query_opt(
            "select s.tag_id from postiz.schedules s
             where s.workspace_id = $1 and s.kind = 'evergreen' and s.status <> 'canceled' and s.tag_id = any($2)
             order by s.created_at limit 1",
            &[&ws, &tags],
        )
        .await?
        .map(|r| r.get(0));
    let schedule = match (&own, pool_tag) {
        (Some(s), _) if s.kind == "once" => Some(ScheduleInput::Once { at: s.starts_at, time_zone: Some(s.time_zone.clone()) }),
        (Some(s), _) => Some(ScheduleInput::Recurring {
            starts_at: s.starts_at,
            rrule: s.rrule.clone().unwrap_or_default(),
            time_zone: Some(s.time_zone.clone()),
            ends_at: s.ends_at,
        }),
        (None, Some(tag_id)) => {
            Some(ScheduleInput::Evergreen { tag_id, rrule: None, starts_at: None, time_zone: None, ends_at: None, options: None })
        }
        (None, None) => None,
    };
    Ok(Some(Stored {
        draft: Draft { status, content: p.get(1), metadata: p.get(2), variants, targets, tags, media, schedule },
        own,
        pool_tag,
    }))
}

/// Inserts a new post with everything attached; returns its id, or `None` when a post with
/// this idempotency key exists already. `idempotency` is the key and the fingerprint of the
/// request that used it, stored together so that a later request under the key can be compared.
pub(crate) async fn insert(
    tx: &Transaction<'_>,
    ws: Uuid,
    draft: &Draft,
    schedule: Option<&PlannedSchedule>,
    idempotency: Option<(&str, &[u8; 32])>,
) -> Result<Option<Uuid>, ApiError> {
    let scheduled_at = schedule.and_then(PlannedSchedule::scheduled_at);
    let (idempotency_key, request_sha256) = match idempotency {
        Some((key, sha)) => (Some(key), Some(sha.as_slice())),
        None => (None, None),
    };
    // A concurrent create with the same key: the insert waits for it, then inserts nothing.
    let Some(row) = tx
        .query_opt(
            "insert into postiz.posts (workspace_id, status, content, metadata, scheduled_at, idempotency_key, idempotency_request_sha256)
             values ($1, $2::text::postiz.post_status, $3, $4, $5, $6, $7)
             on conflict (idempotency_key, workspace_id) do nothing
             returning id",
            &[&ws, &draft.status, &draft.content, &draft.metadata, &scheduled_at, &idempotency_key, &request_sha256],
        )
        .await?
    else {
        return Ok(None);
    };
    let id: Uuid = row.get(0);
    write_children(tx, ws, id, draft, true).await?;
    write_schedule(tx, ws, id, None, schedule, &draft.status).await?;
    Ok(Some(id))
}

/// Replaces variants, targets, tags and media with the draft's. Targets already published or
/// being published are kept even when left out (409 if the draft drops one).
pub(crate) async fn write_children(tx: &Transaction<'_>, ws: Uuid, post: Uuid, draft: &Draft, fresh: bool) -> Result<(), ApiError> {
    if !fresh {
        tx.execute("delete from postiz.post_variants where workspace_id = $1 and post_id = $2", &[&ws, &post]).await?;
        let live = tx
            .query(
                "select social_account_id from postiz.post_targets
                 where workspace_id = $1 and post_id = $2 and status in ('published', 'publishing')
                   and social_account_id <> all($3)",
                &[&ws, &post, &draft.targets],
            )
            .await?;
        if !live.is_empty() {
            return Err(ApiError::conflict(
                "target_published",
                "an account this post was already published to cannot be removed from it; duplicate the post instead",
            ));
        }
        tx.execute(
            "delete from postiz.post_targets where workspace_id = $1 and post_id = $2 and social_account_id <> all($3)",
            &[&ws, &post, &draft.targets],
        )
        .await?;
        tx.execute("delete from postiz.post_tags where workspace_id = $1 and post_id = $2", &[&ws, &post]).await?;
        tx.execute("delete from postiz.post_media where workspace_id = $1 and post_id = $2", &[&ws, &post]).await?;
    }
    for (network, v) in &draft.variants {
        let thread: Value = v.thread.iter().map(thread_item_json).collect();
        let settings = match &v.settings {
            NetworkSettings::None => json!({}),
            s => serde_json::to_value(s).map_err(|e| ApiError::internal(&e))?,
        };
        tx.execute(
            "insert into postiz.post_variants (workspace_id, post_id, network, text_override, thread_items, first_comment, settings)
             values ($1, $2, $3, $4, $5, $6, $7)",
            &[&ws, &post, &network.as_str(), &v.text, &thread, &v.first_comment, &settings],
        )
        .await?;
    }
    tx.execute(
        "insert into postiz.post_targets (workspace_id, post_id, social_account_id)
         select $1, $2, a from unnest($3::uuid[]) with ordinality as t(a, n) order by n
         on conflict (workspace_id, post_id, social_account_id) do nothing",
        &[&ws, &post, &draft.targets],
    )
    .await?;
    tx.execute(
        "insert into postiz.post_tags (workspace_id, post_id, tag_id) select $1, $2, t from unnest($3::uuid[]) as t",
        &[&ws, &post, &draft.tags],
    )
    .await?;
    for (i, m) in draft.media.iter().enumerate() {
        let position = i32::try_from(i).unwrap_or(i32::MAX);
        tx.execute(
            "insert into postiz.post_media (workspace_id, post_id, media_id, position, alt_text) values ($1, $2, $3, $4, $5)",
            &[&ws, &post, &m.id, &position, &m.alt],
        )
        .await?;
    }
    Ok(())
}

/// The own schedule's status for a post status: only a scheduled post's schedule may fire.
fn schedule_status(post_status: &str) -> &'static str {
    if post_status == "scheduled" { "pending" } else { "canceled" }
}

/// Cancels (so the revision trigger cancels its queued jobs), then deletes a schedule.
pub(crate) async fn drop_schedule(tx: &Transaction<'_>, id: Uuid) -> Result<(), ApiError> {
    tx.execute("update postiz.schedules set status = 'canceled' where id = $1 and status <> 'canceled'", &[&id]).await?;
    tx.execute("delete from postiz.schedules where id = $1", &[&id]).await?;
    Ok(())
}

/// Makes the stored schedule match `planned`. Editing a schedule of the same kind updates the
/// row in place, so its revision is bumped and jobs made for the old time are canceled by the
/// `schedules_bump_revision` / `schedules_cancel_stale_jobs` triggers.
pub(crate) async fn write_schedule(
    tx: &Transaction<'_>,
    ws: Uuid,
    post: Uuid,
    own: Option<&OwnSchedule>,
    planned: Option<&PlannedSchedule>,
    post_status: &str,
) -> Result<(), ApiError> {
    let status = schedule_status(post_status);
    let (kind, starts_at, rrule, ends_at, zone) = match planned {
        Some(PlannedSchedule::Once { at, time_zone }) => ("once", *at, None, None, time_zone.as_str()),
        Some(PlannedSchedule::Recurring { starts_at, rrule, time_zone, ends_at }) => {
            ("recurring", *starts_at, Some(rrule.as_str()), *ends_at, time_zone.as_str())
        }
        Some(PlannedSchedule::Evergreen { tag_id, create_pool }) => {
            if let Some(s) = own {
                drop_schedule(tx, s.id).await?;
            }
            if let Some(pool) = create_pool {
                tx.execute(
                    "insert into postiz.schedules (workspace_id, kind, tag_id, starts_at, rrule, ends_at, time_zone, evergreen, status)
                     values ($1, 'evergreen', $2, $3, $4, $5, $6, $7, 'pending')",
                    &[&ws, tag_id, &pool.starts_at, &pool.rrule, &pool.ends_at, &pool.time_zone, &pool.options],
                )
                .await?;
            }
            return Ok(());
        }
        None => {
            if let Some(s) = own {
                drop_schedule(tx, s.id).await?;
            }
            return Ok(());
        }
    };
    match own {
        Some(s) if s.kind == kind => {
            tx.execute(
                "update postiz.schedules set starts_at = $2, rrule = $3, ends_at = $4, time_zone = $5,
                        status = $6::text::postiz.schedule_status
                 where id = $1",
                &[&s.id, &starts_at, &rrule, &ends_at, &zone, &status],
            )
            .await?;
        }
        other => {
            if let Some(s) = other {
                drop_schedule(tx, s.id).await?;
            }
            tx.execute(
                "insert into postiz.schedules (workspace_id, kind, post_id, starts_at, rrule, ends_at, time_zone, status)
                 values ($1, $2::text::postiz.schedule_kind, $3, $4, $5, $6, $7, $8::text::postiz.schedule_status)",
                &[&ws, &kind, &post, &starts_at, &rrule, &ends_at, &zone, &status],
            )
            .await?;
        }
    }
    Ok(())
}

/// A reply as `post_variants.thread_items` holds it: `{"text", "media_ids": [ids],
/// "media_alt": {id: alt}}`, the alt texts only for files the reply sets its own for (the claim
/// and the "media in use" check read `media_ids`; the worker reads `media_alt`).
fn thread_item_json(t: &ThreadItemInput) -> Value {
    let items: Vec<MediaItem> = t.media_items().collect();
    let ids: Vec<Uuid> = items.iter().map(|m| m.id).collect();
    let mut item = json!({"text": t.text, "media_ids": ids});
    let alts: serde_json::Map<String, Value> = items.iter().filter_map(|m| Some((m.id.to_string(), json!(m.alt.as_ref()?)))).collect();
    if !alts.is_empty() {
        item["media_alt"] = Value::Object(alts);
    }
    item
}

/// A stored reply's media with their own alt text, back as input (for an update's draft).
fn thread_media(item: &Value) -> Vec<MediaInput> {
    let alts = item.get("media_alt").and_then(Value::as_object);
    item.get("media_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| {
            let id: Uuid = x.as_str()?.parse().ok()?;
            Some(match alts.and_then(|a| a.get(&id.to_string())).and_then(Value::as_str) {
                Some(alt) => MediaInput::Item(MediaItem { id, alt: Some(alt.to_owned()) }),
                None => MediaInput::Id(id),
            })
        })
        .collect()
}
