//! A post as the UI shows it: content, variants, targets with their publish jobs and errors,
//! tags, media and schedule.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

use crate::ApiError;
use crate::routes::approval_state::{self, ApprovalState};

/// A post with everything attached.
#[derive(Debug, Serialize)]
pub struct PostView {
    /// Id.
    pub id: Uuid,
    /// Workspace.
    pub workspace_id: Uuid,
    /// `draft`, `pending_approval`, `scheduled`, `publishing`, `published`, `failed`, `canceled`.
    pub status: String,
    /// Canonical text.
    pub content: String,
    /// UI data.
    pub metadata: Value,
    /// When due (first occurrence for recurring schedules).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When every target was live.
    pub published_at: Option<DateTime<Utc>>,
    /// Who wrote it.
    pub author_id: Option<Uuid>,
    /// The `Idempotency-Key` it was created with.
    pub idempotency_key: Option<String>,
    /// Per-network changes, by network wire name.
    pub variants: BTreeMap<String, VariantView>,
    /// Accounts it goes to.
    pub targets: Vec<TargetView>,
    /// Tags.
    pub tags: Vec<TagRef>,
    /// Media of the main post, in order.
    pub media: Vec<MediaView>,
    /// Its schedule (own, or the evergreen pool it is in).
    pub schedule: Option<ScheduleView>,
    /// Whether it needs approval, what is missing, and whether the caller may decide.
    pub approval: Option<ApprovalState>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A stored variant.
#[derive(Debug, Serialize)]
pub struct VariantView {
    /// Text override.
    pub text: Option<String>,
    /// Thread replies (`[{"text", "media": [ids], "media_alt": {id: alt}}]`; `media_alt` holds
    /// the alt texts the reply sets itself, the library's default applying to the others).
    pub thread: Vec<Value>,
    /// First comment.
    pub first_comment: Option<String>,
    /// Network settings.
    pub settings: Value,
}

/// The account a target publishes to.
#[derive(Debug, Serialize)]
pub struct AccountRef {
    /// Account id.
    pub id: Uuid,
    /// Network wire name.
    pub network: String,
    /// Handle.
    pub handle: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Avatar.
    pub avatar_url: Option<String>,
    /// Account status (`needs_reconnect` explains many failures).
    pub status: String,
}

/// A last error.
#[derive(Debug, Serialize)]
pub struct ErrorView {
    /// Machine code.
    pub code: Option<String>,
    /// Message.
    pub message: Option<String>,
}

/// One publish attempt series (a queue job) for one occurrence.
#[derive(Debug, Serialize)]
pub struct JobView {
    /// Job id.
    pub id: Uuid,
    /// The occurrence it publishes.
    pub occurrence: DateTime<Utc>,
    /// Next attempt not before.
    pub run_at: DateTime<Utc>,
    /// `pending`, `queued`, `running`, `succeeded`, `failed`, `canceled`, `unconfirmed`.
    pub status: String,
    /// Attempts so far.
    pub attempt: i32,
    /// Last error.
    pub last_error: Option<ErrorView>,
    /// Whether the last error will be retried.
    pub last_error_retryable: Option<bool>,
    /// Finished.
    pub completed_at: Option<DateTime<Utc>>,
}

/// One account the post goes to.
#[derive(Debug, Serialize)]
pub struct TargetView {
    /// Target id.
    pub id: Uuid,
    /// The account.
    pub account: AccountRef,
    /// `pending`, `queued`, `publishing`, `published`, `failed`, `canceled`, `unconfirmed`.
    pub status: String,
    /// The network's id of the published post.
    pub external_id: Option<String>,
    /// Link to the published post.
    pub external_url: Option<String>,
    /// Last error.
    pub last_error: Option<ErrorView>,
    /// Attempts so far.
    pub attempts: i32,
    /// When it went live.
    pub published_at: Option<DateTime<Utc>>,
    /// The latest jobs (newest occurrence first, at most 20).
    pub jobs: Vec<JobView>,
}

/// A tag on a post.
#[derive(Debug, Serialize)]
pub struct TagRef {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `#rrggbb`.
    pub color: Option<String>,
}

/// A media item of a post.
#[derive(Debug, Serialize)]
pub struct MediaView {
    /// Media id.
    pub id: Uuid,
    /// Position.
    pub position: i32,
    /// Alt text.
    pub alt: Option<String>,
    /// MIME type.
    pub mime_type: String,
    /// Size.
    pub bytes: i64,
}

/// A schedule.
#[derive(Debug, Serialize)]
pub struct ScheduleView {
    /// Schedule id.
    pub id: Uuid,
    /// `once`, `recurring` or `evergreen`.
    pub kind: String,
    /// The post (once/recurring).
    pub post_id: Option<Uuid>,
    /// The pool's tag (evergreen).
    pub tag_id: Option<Uuid>,
    /// First occurrence.
    pub starts_at: DateTime<Utc>,
    /// Rule.
    pub rrule: Option<String>,
    /// Last possible occurrence.
    pub ends_at: Option<DateTime<Utc>>,
    /// Zone of the wall clock.
    pub time_zone: String,
    /// `pending`, `queued`, `published`, `failed`, `canceled`.
    pub status: String,
    /// Next run the worker computed.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Last run.
    pub last_run_at: Option<DateTime<Utc>>,
    /// Bumped by each change of timing; jobs of older revisions never publish.
    pub revision: i32,
    /// Evergreen options.
    pub evergreen: Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Columns of `schedule_view`, from `postiz.schedules s`.
pub(crate) const SCHEDULE_COLUMNS: &str = "s.id, s.kind::text, s.post_id, s.tag_id, s.starts_at, s.rrule, s.ends_at, s.time_zone,
  s.status::text, s.next_run_at, s.last_run_at, s.revision, s.evergreen, s.created_at, s.updated_at";

/// A schedule from a row of [`SCHEDULE_COLUMNS`].
pub(crate) fn schedule_view(r: &Row) -> ScheduleView {
    ScheduleView {
        id: r.get(0),
        kind: r.get(1),
        post_id: r.get(2),
        tag_id: r.get(3),
        starts_at: r.get(4),
        rrule: r.get(5),
        ends_at: r.get(6),
        time_zone: r.get(7),
        status: r.get(8),
        next_run_at: r.get(9),
        last_run_at: r.get(10),
        revision: r.get(11),
        evergreen: r.get(12),
        created_at: r.get(13),
        updated_at: r.get(14),
    }
}

fn error_view(code: Option<String>, message: Option<String>) -> Option<ErrorView> {
    (code.is_some() || message.is_some()).then_some(ErrorView { code, message })
}

/// The post's own schedule, else the evergreen pool it belongs to.
pub(crate) async fn load_schedule(tx: &Transaction<'_>, ws: Uuid, post: Uuid) -> Result<Option<ScheduleView>, ApiError> {
    let own = tx
        .query_opt(
            &format!(
                "select {SCHEDULE_COLUMNS} from postiz.schedules s
                 where s.workspace_id = $1 and s.post_id = $2 order by s.created_at desc limit 1"
            ),
            &[&ws, &post],
        )
        .await?;
    if let Some(r) = own {
        return Ok(Some(schedule_view(&r)));
    }
    let pool = tx
        .query_opt(
            &format!(
                "select {SCHEDULE_COLUMNS} from postiz.schedules s
                 join postiz.post_tags pt on pt.workspace_id = s.workspace_id and pt.tag_id = s.tag_id
                 where s.workspace_id = $1 and pt.post_id = $2 and s.kind = 'evergreen' and s.status <> 'canceled'
                 order by s.created_at limit 1"
            ),
            &[&ws, &post],
        )
        .await?;
    Ok(pool.as_ref().map(schedule_view))
}

/// The whole post, or `None` when the caller cannot see it.
pub(crate) async fn load(tx: &Transaction<'_>, ws: Uuid, id: Uuid) -> Result<Option<PostView>, ApiError> {
    let Some(p) = tx
        .query_opt(
            "select id, workspace_id, status::text, content, metadata, scheduled_at, published_at, author_id,
                    idempotency_key, created_at, updated_at
             from postiz.posts where workspace_id = $1 and id = $2",
            &[&ws, &id],
        )
        .await?
    else {
        return Ok(None);
    };
    let variants = tx
        .query(
            "select network, text_override, thread_items, first_comment, settings from postiz.post_variants
             where workspace_id = $1 and post_id = $2 order by network",
            &[&ws, &id],
        )
        .await?
        .iter()
        .map(|r| {
            let thread: Value = r.get(2);
            let thread = thread
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| {
                            serde_json::json!({"text": i.get("text").cloned().unwrap_or(Value::Null),
                                                    "media": i.get("media_ids").cloned().unwrap_or_else(|| Value::Array(vec![])),
                                                    "media_alt": i.get("media_alt").cloned().unwrap_or_else(|| serde_json::json!({}))})
                        })
                        .collect()
                })
                .unwrap_or_default();
            (r.get(0), VariantView { text: r.get(1), thread, first_comment: r.get(3), settings: r.get(4) })
        })
        .collect();
    let target_rows = tx
        .query(
            "select t.id, a.id, a.network, a.handle, a.display_name, a.avatar_url, a.status::text,
                    t.status::text, t.external_id, t.external_url, t.last_error_code, t.last_error_message,
                    t.attempts, t.published_at
             from postiz.post_targets t
             join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
             where t.workspace_id = $1 and t.post_id = $2
             order by a.network, a.id",
            &[&ws, &id],
        )
        .await?;
    let target_ids: Vec<Uuid> = target_rows.iter().map(|r| r.get(0)).collect();
    let job_rows = tx
        .query(
            "select j.target_id, j.id, j.occurrence, j.run_at, j.status::text, j.attempt, j.last_error_code,
                    j.last_error_message, j.last_error_retryable, j.completed_at
             from unnest($2::uuid[]) as tid(id)
             cross join lateral (
               select * from postiz.queue_jobs q
               where q.target_id = tid.id and q.workspace_id = $1
               order by q.occurrence desc, q.created_at desc limit 20
             ) j",
            &[&ws, &target_ids],
        )
        .await?;
    let targets = target_rows
        .iter()
        .map(|r| {
            let tid: Uuid = r.get(0);
            TargetView {
                id: tid,
                account: AccountRef {
                    id: r.get(1),
                    network: r.get(2),
                    handle: r.get(3),
                    display_name: r.get(4),
                    avatar_url: r.get(5),
                    status: r.get(6),
                },
                status: r.get(7),
                external_id: r.get(8),
                external_url: r.get(9),
                last_error: error_view(r.get(10), r.get(11)),
                attempts: r.get(12),
                published_at: r.get(13),
                jobs: job_rows
                    .iter()
                    .filter(|j| j.get::<_, Uuid>(0) == tid)
                    .map(|j| JobView {
                        id: j.get(1),
                        occurrence: j.get(2),
                        run_at: j.get(3),
                        status: j.get(4),
                        attempt: j.get(5),
                        last_error: error_view(j.get(6), j.get(7)),
                        last_error_retryable: j.get(8),
                        completed_at: j.get(9),
                    })
                    .collect(),
            }
        })
        .collect();
    let tags = tx
        .query(
            "select t.id, t.name, t.color from postiz.post_tags pt
             join postiz.tags t on t.workspace_id = pt.workspace_id and t.id = pt.tag_id
             where pt.workspace_id = $1 and pt.post_id = $2 order by lower(t.name), t.id",
            &[&ws, &id],
        )
        .await?
        .iter()
        .map(|r| TagRef { id: r.get(0), name: r.get(1), color: r.get(2) })
        .collect();
    let media = tx
        .query(
            "select pm.media_id, pm.position, pm.alt_text, m.mime_type, m.bytes from postiz.post_media pm
             join postiz.media_assets m on m.workspace_id = pm.workspace_id and m.id = pm.media_id
             where pm.workspace_id = $1 and pm.post_id = $2 order by pm.position, pm.media_id",
            &[&ws, &id],
        )
        .await?
        .iter()
        .map(|r| MediaView { id: r.get(0), position: r.get(1), alt: r.get(2), mime_type: r.get(3), bytes: r.get(4) })
        .collect();
    let schedule = load_schedule(tx, ws, id).await?;
    let approval = approval_state::load(tx, ws, id).await?;
    Ok(Some(PostView {
        id: p.get(0),
        workspace_id: p.get(1),
        status: p.get(2),
        content: p.get(3),
        metadata: p.get(4),
        scheduled_at: p.get(5),
        published_at: p.get(6),
        author_id: p.get(7),
        idempotency_key: p.get(8),
        variants,
        targets,
        tags,
        media,
        schedule,
        approval,
        created_at: p.get(9),
        updated_at: p.get(10),
    }))
}
