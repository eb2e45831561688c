//! Posts: create (idempotent with `Idempotency-Key`), get, update, delete, duplicate, status.
//! Every handler checks the whole request before its first write and runs in one transaction,
//! so a refused request leaves nothing behind.

mod bulk;
mod check;
mod list;
pub(crate) mod model;
mod store;
mod view;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use bulk::{BulkAction, BulkDone, BulkRequest, MAX_BULK, Refusal, bulk};
pub use list::{ListQuery, PostPage, PostSummary, list};
pub use model::{ChangeStatus, CreatePost, EditableStatus, ScheduleInput, UpdatePost, VariantInput};
pub(crate) use view::load as load_view;
pub use view::{PostView, ScheduleView};
pub(crate) use view::{SCHEDULE_COLUMNS, schedule_view};

use self::check::check;
use self::model::Draft;
use self::store::{OwnSchedule, Stored};
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::input::{HashedJsonBody, Ids, JsonBody};
use crate::occurrences::RecurringSpec;
use crate::routes::composer_options::{self, AccountRules};
use crate::routes::connect::Connect;
use crate::{ApiError, AppState};

/// Header making a create safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=255).contains(&k.len()))
        .ok_or_else(|| ApiError::bad_request("bad_idempotency_key", "Idempotency-Key must be 1-255 visible ASCII characters"))?;
    Ok(Some(key.to_owned()))
}

/// Adds the evergreen pool's tag to the post's tags (being in the pool means carrying its tag).
fn tag_for_pool(draft: &mut Draft) {
    if let Some(ScheduleInput::Evergreen { tag_id, .. }) = &draft.schedule
        && !draft.tags.contains(tag_id)
    {
        draft.tags.push(*tag_id);
    }
}

/// What an `Idempotency-Key` is bound to: SHA-256 of the method, the operation and the body's
/// canonical JSON ([`HashedJsonBody`]). The operation is `POST /posts` whichever way the request
/// came (`/public/v1/posts` or `/workspaces/{ws}/posts`): keys are scoped to the workspace, and
/// both create a post in it.
fn request_fingerprint(body_sha256: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"POST /posts\n");
    h.update(body_sha256);
    h.finalize().into()
}

/// `POST /workspaces/{ws}/posts` (editor+): 201 with the post. With an `Idempotency-Key` used
/// before in this workspace: the same request again (same body, compared as canonical JSON)
/// answers 200 with the first post and writes nothing; a different request under that key is
/// 422 `idempotency_key_reused`. Posts created before requests were recorded with their key
/// (`idempotency_request_sha256` null) are returned for any body, as they always were.
///
/// TikTok settings are checked against what the target accounts may use (`creator_info/query`,
/// asked before the transaction opens; see [`crate::routes::composer_options::for_post`]).
pub async fn create(
    State(state): State<AppState>,
    connect: Option<Connect>,
    user: AuthUser,
    headers: HeaderMap,
    Ids(ws): Ids<Uuid>,
    HashedJsonBody { value: body, sha256 }: HashedJsonBody<CreatePost>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    let key = idempotency_key(&headers)?;
    let rules = composer_options::for_post(&state, connect.as_ref().map(|c| &*c.0), &user, ws, &Draft::from_create(body.clone())?).await?;
    let fingerprint = key.as_ref().map(|_| request_fingerprint(&sha256));
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    if let Some(existing) = find_by_key(&tx, ws, key.as_deref(), fingerprint.as_ref()).await? {
        let post = view::load(&tx, ws, existing).await?.ok_or_else(ApiError::not_found)?;
        tx.commit().await?;
        return Ok((StatusCode::OK, Json(post)));
    }
    let mut draft = Draft::from_create(body)?;
    tag_for_pool(&mut draft);
    if draft.status == EditableStatus::Canceled.as_str() {
        return Err(ApiError::validation(vec![crate::FieldError {
            field: "status".into(),
            message: "a new post is a draft, pending approval or scheduled".into(),
        }]));
    }
    let checked = check(&tx, &state.registry, &rules, ws, &draft, true, Utc::now()).await?;
    let idempotency = key.as_deref().zip(fingerprint.as_ref());
    let (status, id) = match store::insert(&tx, ws, &draft, checked.schedule.as_ref(), idempotency).await? {
        Some(id) => (StatusCode::CREATED, id),
        // Lost a race with a concurrent retry: that one committed first; answer with its post
        // (or 422 if it was a different request under the same key).
        None => (StatusCode::OK, find_by_key(&tx, ws, key.as_deref(), fingerprint.as_ref()).await?.ok_or_else(ApiError::not_found)?),
    };
    let post = view::load(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok((status, Json(post)))
}

/// The post created earlier in `ws` with this idempotency key, if any; 422 when it was created
/// by a request other than the one with `fingerprint`.
async fn find_by_key(
    tx: &tokio_postgres::Transaction<'_>,
    ws: Uuid,
    key: Option<&str>,
    fingerprint: Option<&[u8; 32]>,
) -> Result<Option<Uuid>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    let Some(row) = tx
        .query_opt("select id, idempotency_request_sha256 from postiz.posts where workspace_id = $1 and idempotency_key = $2", &[&ws, &key])
        .await?
    else {
        return Ok(None);
    };
    let stored: Option<Vec<u8>> = row.get(1);
    // Null: a post from before requests were recorded; nothing to compare with.
    if let (Some(stored), Some(fingerprint)) = (stored, fingerprint)
        && stored.as_slice() != fingerprint.as_slice()
    {
        return Err(ApiError::unprocessable(
            "idempotency_key_reused",
            format!(
                "Idempotency-Key: {key:?} was already used in this workspace for a different request; \
                 send the first request's body unchanged to get its post again, or use a new key for a new post"
            ),
        ));
    }
    Ok(Some(row.get(0)))
}

/// `GET /workspaces/{ws}/posts/{id}`: the post with variants, targets (with their jobs and
/// errors), tags, media and schedule (any member).
pub async fn get(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<Json<PostView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let post = view::load(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(post))
}

/// 409 for posts the worker owns now.
fn ensure_editable(stored: &Stored) -> Result<(), ApiError> {
    match stored.draft.status.as_str() {
        "publishing" => Err(ApiError::conflict("post_publishing", "the post is being published; wait for the outcome")),
        "published" => Err(ApiError::conflict("post_published", "the post is published; duplicate it to post again")),
        _ => Ok(()),
    }
}

/// Locks and reads the post (editor+), 404 when invisible.
async fn stored(tx: &tokio_postgres::Transaction<'_>, ws: Uuid, id: Uuid) -> Result<Stored, ApiError> {
    require_role(tx, ws, Role::Editor).await?;
    store::load_for_update(tx, ws, id).await?.ok_or_else(ApiError::not_found)
}

/// `PATCH /workspaces/{ws}/posts/{id}` (editor+): replaces the fields given. Refused with 409
/// while the post is publishing or once published. A new time for a scheduled post updates its
/// schedule row, whose revision bump cancels the jobs made for the old time.
///
/// TikTok settings are checked against the accounts as on create: the post as it would be
/// after the patch is read first, TikTok asked, then the update runs in its own transaction.
pub async fn update(
    State(state): State<AppState>,
    connect: Option<Connect>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    JsonBody(patch): JsonBody<UpdatePost>,
) -> Result<Json<PostView>, ApiError> {
    let rules = match &connect {
        Some(c) if patch.variants.is_some() || patch.targets.is_some() || patch.media.is_some() => {
            let after = {
                let mut client = state.pool.get().await?;
                let tx = user_tx(&mut client, &user).await?;
                let mut draft = stored(&tx, ws, id).await?.draft;
                tx.commit().await?;
                draft.apply(patch.clone())?;
                draft
            };
            composer_options::for_post(&state, Some(&c.0), &user, ws, &after).await?
        }
        _ => AccountRules::default(),
    };
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    update_in(&tx, &state, &rules, ws, id, patch).await?;
    let post = view::load(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(post))
}

/// The update inside the caller's transaction (also for bulk moves).
pub(crate) async fn update_in(
    tx: &tokio_postgres::Transaction<'_>,
    state: &AppState,
    rules: &AccountRules,
    ws: Uuid,
    id: Uuid,
    patch: UpdatePost,
) -> Result<(), ApiError> {
    let stored = stored(tx, ws, id).await?;
    ensure_editable(&stored)?;
    if stored.draft.status == "failed" {
        return Err(ApiError::conflict(
            "post_failed",
            "the post failed; set its status to draft or scheduled (POST …/status) before editing it",
        ));
    }
    let mut draft = stored.draft.clone();
    let schedule_is_new = draft.apply(patch)?;
    if schedule_is_new {
        // Leaving an evergreen pool means dropping its tag; joining one means carrying it.
        if let Some(old) = stored.pool_tag
            && !matches!(&draft.schedule, Some(ScheduleInput::Evergreen { tag_id, .. }) if *tag_id == old)
        {
            draft.tags.retain(|t| *t != old);
        }
        tag_for_pool(&mut draft);
        if draft.schedule.is_none() && draft.status == "scheduled" {
            draft.status = EditableStatus::Draft.as_str().to_owned();
        }
    }
    let checked = check(tx, &state.registry, rules, ws, &draft, schedule_is_new, Utc::now()).await?;
    let scheduled_at = checked.schedule.as_ref().and_then(check::PlannedSchedule::scheduled_at);
    tx.execute(
        "update postiz.posts set content = $3, metadata = $4,
                status = case when status::text = $5 then status else $5::text::postiz.post_status end,
                scheduled_at = case when $6 then $7 else scheduled_at end
         where workspace_id = $1 and id = $2",
        &[&ws, &id, &draft.content, &draft.metadata, &draft.status, &schedule_is_new, &scheduled_at],
    )
    .await?;
    store::write_children(tx, ws, id, &draft, false).await?;
    if schedule_is_new {
        store::write_schedule(tx, ws, id, stored.own.as_ref(), checked.schedule.as_ref(), &draft.status).await?;
    }
    Ok(())
}

/// `DELETE /workspaces/{ws}/posts/{id}` (editor+; 204). Refused with 409 while publishing.
pub async fn delete(State(state): State<AppState>, user: AuthUser, Ids((ws, id)): Ids<(Uuid, Uuid)>) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    delete_in(&tx, ws, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delete inside the caller's transaction.
pub(crate) async fn delete_in(tx: &tokio_postgres::Transaction<'_>, ws: Uuid, id: Uuid) -> Result<(), ApiError> {
    let stored = stored(tx, ws, id).await?;
    if stored.draft.status == "publishing" {
        return Err(ApiError::conflict("post_publishing", "the post is being published; wait for the outcome"));
    }
    // Cancel first, so jobs already queued for it are marked canceled before the cascade.
    if let Some(own) = &stored.own {
        store::drop_schedule(tx, own.id).await?;
    }
    let n = tx.execute("delete from postiz.posts where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    Ok(())
}

/// `POST /workspaces/{ws}/posts/{id}/duplicate` (editor+; 201): a new draft with the same
/// content, variants, targets, tags and media, and no schedule.
pub async fn duplicate(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let new_id = duplicate_in(&tx, ws, id).await?;
    let post = view::load(&tx, ws, new_id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(post)))
}

/// The duplicate inside the caller's transaction; the new post's id.
pub(crate) async fn duplicate_in(tx: &tokio_postgres::Transaction<'_>, ws: Uuid, id: Uuid) -> Result<Uuid, ApiError> {
    let stored = stored(tx, ws, id).await?;
    let mut draft = stored.draft;
    draft.status = EditableStatus::Draft.as_str().to_owned();
    draft.schedule = None;
    store::insert(tx, ws, &draft, None, None).await?.ok_or_else(|| ApiError::internal(&"duplicate not inserted"))
}

/// `POST /workspaces/{ws}/posts/{id}/status` (editor+): `draft`, `pending_approval`,
/// `scheduled` or `canceled`.
///
/// - `scheduled` checks the post like a create (content, targets, schedule) and re-arms its
///   schedule: a one-off time must still be ahead (422 `schedule.at`); a recurring schedule
///   whose start has passed restarts at its next occurrence.
/// - any other status cancels the schedule (its queued jobs are canceled by the revision
///   trigger); `canceled` also cancels the targets that have not gone out.
pub async fn set_status(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<ChangeStatus>,
) -> Result<Json<PostView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    set_status_in(&tx, &state, ws, id, body.status).await?;
    let post = view::load(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(post))
}

/// The status change inside the caller's transaction; the status the post had.
pub(crate) async fn set_status_in(
    tx: &tokio_postgres::Transaction<'_>,
    state: &AppState,
    ws: Uuid,
    id: Uuid,
    status: EditableStatus,
) -> Result<String, ApiError> {
    let stored = stored(tx, ws, id).await?;
    ensure_editable(&stored)?;
    let now = Utc::now();
    let mut scheduled_at = None;
    match status {
        EditableStatus::Scheduled => {
            let mut draft = stored.draft.clone();
            draft.status = EditableStatus::Scheduled.as_str().to_owned();
            // The adapter asks TikTok what the account allows before publishing.
            check(tx, &state.registry, &AccountRules::default(), ws, &draft, false, now).await?;
            if let Some(own) = &stored.own {
                scheduled_at = Some(rearm(tx, own, now).await?);
            }
            tx.execute(
                "update postiz.post_targets set status = 'pending' where workspace_id = $1 and post_id = $2 and status = 'canceled'",
                &[&ws, &id],
            )
            .await?;
        }
        other => {
            if let Some(own) = &stored.own
                && own.status != "canceled"
            {
                tx.execute("update postiz.schedules set status = 'canceled' where id = $1", &[&own.id]).await?;
            }
            if other == EditableStatus::Canceled {
                tx.execute(
                    "update postiz.post_targets set status = 'canceled'
                     where workspace_id = $1 and post_id = $2 and status in ('pending', 'queued')",
                    &[&ws, &id],
                )
                .await?;
            }
        }
    }
    tx.execute(
        "update postiz.posts set status = $3::text::postiz.post_status, scheduled_at = coalesce($4, scheduled_at)
         where workspace_id = $1 and id = $2",
        &[&ws, &id, &status.as_str(), &scheduled_at],
    )
    .await?;
    Ok(stored.draft.status)
}

/// Puts the post's own schedule back to `pending` at a time still ahead; returns its start.
async fn rearm(
    tx: &tokio_postgres::Transaction<'_>,
    own: &OwnSchedule,
    now: chrono::DateTime<Utc>,
) -> Result<chrono::DateTime<Utc>, ApiError> {
    let mut fields = Fields::default();
    let starts_at = if own.kind == "once" {
        if own.starts_at <= now {
            fields.push("schedule.at", "is in the past; set a new time first");
        }
        own.starts_at
    } else if own.starts_at > now {
        own.starts_at
    } else {
        let spec = RecurringSpec {
            rrule: own.rrule.clone().unwrap_or_default(),
            starts_at: own.starts_at,
            ends_at: own.ends_at,
            time_zone: own.time_zone.clone(),
        };
        match spec.recurrence().map(|r| r.next_after(now)) {
            Ok(Some(next)) if own.ends_at.is_none_or(|e| next <= e) => next,
            Ok(_) => {
                fields.push("schedule.rrule", "the rule has no occurrences left; set a new schedule");
                own.starts_at
            }
            Err(e) => {
                fields.push(format!("schedule.{}", e.field), e.message);
                own.starts_at
            }
        }
    };
    fields.finish()?;
    // Moving starts_at (when it moved) resets next_run_at through the schedule triggers.
    tx.execute("update postiz.schedules set starts_at = $2, status = 'pending' where id = $1", &[&own.id, &starts_at]).await?;
    Ok(starts_at)
}
