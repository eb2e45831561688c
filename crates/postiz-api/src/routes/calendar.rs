//! The calendar: posts due in a window (`postiz.calendar_entries`, an indexed range scan under
//! RLS) plus the occurrences of recurring and evergreen schedules, expanded here in the
//! schedule's zone (DST-safe, as the worker fires them) into virtual entries.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::occurrences::{RecurringSpec, check_horizon, expand_all};
use crate::{ApiError, AppState};

/// The widest window one request may ask for.
pub const MAX_WINDOW_DAYS: i64 = 92;

/// Query of `GET /workspaces/{ws}/calendar`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// Window start (inclusive, RFC 3339).
    pub from: DateTime<Utc>,
    /// Window end (exclusive).
    pub to: DateTime<Utc>,
    /// Comma-separated account ids: only posts going to one of them.
    #[serde(default)]
    pub accounts: Option<String>,
    /// Comma-separated tag ids: only posts carrying one of them.
    #[serde(default)]
    pub tags: Option<String>,
    /// Comma-separated post statuses.
    #[serde(default)]
    pub statuses: Option<String>,
}

/// One account a calendar entry goes to.
#[derive(Debug, Clone, Serialize)]
pub struct EntryTarget {
    /// Target id.
    pub target_id: Uuid,
    /// Target status (for a virtual occurrence: the job's status when one exists, else the target's).
    pub status: String,
    /// Link to the published post.
    pub external_url: Option<String>,
    /// Account id.
    pub account_id: Uuid,
    /// Network wire name.
    pub network: String,
    /// Handle.
    pub handle: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Avatar.
    pub avatar_url: Option<String>,
}

/// One thing on the calendar.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// `post` (a dated post), `occurrence` (one run of a recurring schedule) or `evergreen`
    /// (one run of an evergreen pool; the post is picked when it is due).
    pub kind: &'static str,
    /// The post (for an evergreen run: the one already picked, if any).
    pub post_id: Option<Uuid>,
    /// The post's status.
    pub post_status: Option<String>,
    /// The first 280 characters of its text.
    pub content_preview: Option<String>,
    /// The schedule behind a virtual entry.
    pub schedule_id: Option<Uuid>,
    /// The pool's tag (evergreen).
    pub tag_id: Option<Uuid>,
    /// Accounts.
    pub targets: Vec<EntryTarget>,
    /// Tag ids of the post.
    pub tags: Vec<Uuid>,
}

/// Answer of `GET /workspaces/{ws}/calendar`.
#[derive(Debug, Serialize)]
pub struct Calendar {
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Entries in time order.
    pub entries: Vec<CalendarEntry>,
}

fn id_list(name: &str, value: Option<&str>) -> Result<Option<Vec<Uuid>>, ApiError> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else { return Ok(None) };
    value
        .split(',')
        .map(|s| s.trim().parse::<Uuid>().map_err(|_| ApiError::bad_request("bad_query", format!("{name}: {s:?} is not an id"))))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

const STATUSES: [&str; 7] = ["draft", "pending_approval", "scheduled", "publishing", "published", "failed", "canceled"];

/// A calendar window `[from, to)`: forwards, within the horizon, at most [`MAX_WINDOW_DAYS`]
/// (400 `bad_window` / `window_too_large`). Also the live-update window (`routes/changes.rs`).
pub(crate) fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), ApiError> {
    if to <= from {
        return Err(ApiError::bad_request("bad_window", "`to` must be after `from`"));
    }
    check_horizon("from", from)?;
    if to - from > Duration::days(MAX_WINDOW_DAYS) {
        return Err(ApiError::bad_request(
            "window_too_large",
            format!("the calendar window may span at most {MAX_WINDOW_DAYS} days; ask for several windows"),
        ));
    }
    Ok(())
}

/// `GET /workspaces/{ws}/calendar?from&to&accounts&tags&statuses` (any member). The window may
/// span at most 92 days (400 `window_too_large`).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<CalendarQuery>,
) -> Result<Json<Calendar>, ApiError> {
    check_window(q.from, q.to)?;
    let accounts = id_list("accounts", q.accounts.as_deref())?;
    let tags = id_list("tags", q.tags.as_deref())?;
    let statuses: Option<HashSet<String>> = match q.statuses.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => Some(
            s.split(',')
                .map(|x| {
                    let x = x.trim();
                    STATUSES
                        .contains(&x)
                        .then(|| x.to_owned())
                        .ok_or_else(|| ApiError::bad_request("bad_query", format!("statuses: {x:?} is not one of {}", STATUSES.join(", "))))
                })
                .collect::<Result<_, _>>()?,
        ),
    };

    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;

    // Recurring schedules overlapping the window (their posts' own dated rows are replaced by
    // the expansion, which includes the first run). A canceled schedule is shown only for a draft
    // or a post awaiting approval (whose schedule is parked, not stopped); a schedule that
    // failed to evaluate never fires.
    let recurring = tx
        .query(
            "select s.id, s.post_id, s.starts_at, s.rrule, s.ends_at, s.time_zone, p.status::text, left(p.content, 280)
             from postiz.schedules s
             join postiz.posts p on p.workspace_id = s.workspace_id and p.id = s.post_id
             where s.workspace_id = $1 and s.kind = 'recurring'
               and (s.status in ('pending', 'queued', 'published')
                    or (s.status = 'canceled' and p.status in ('draft', 'pending_approval')))
               and s.starts_at < $3 and (s.ends_at is null or s.ends_at >= $2)",
            &[&ws, &q.from, &q.to],
        )
        .await?;
    let recurring_posts: HashSet<Uuid> = recurring.iter().map(|r| r.get(1)).collect();

    let mut by_post: BTreeMap<(DateTime<Utc>, Uuid), CalendarEntry> = BTreeMap::new();
    for r in tx
        .query(
            "select post_id, post_status::text as post_status_text, scheduled_at, content_preview, target_id,
                    target_status::text as target_status_text, external_url, social_account_id, network, handle,
                    display_name, avatar_url
             from postiz.calendar_entries($1, $2, $3)",
            &[&ws, &q.from, &q.to],
        )
        .await?
    {
        let post_id: Uuid = r.get("post_id");
        if recurring_posts.contains(&post_id) {
            continue;
        }
        let at: DateTime<Utc> = r.get("scheduled_at");
        let entry = by_post.entry((at, post_id)).or_insert_with(|| CalendarEntry {
            at,
            kind: "post",
            post_id: Some(post_id),
            post_status: Some(r.get::<_, String>("post_status_text")),
            content_preview: r.get("content_preview"),
            schedule_id: None,
            tag_id: None,
            targets: vec![],
            tags: vec![],
        });
        if let Some(target_id) = r.get::<_, Option<Uuid>>("target_id") {
            entry.targets.push(EntryTarget {
                target_id,
                status: r.get("target_status_text"),
                external_url: r.get("external_url"),
                account_id: r.get("social_account_id"),
                network: r.get("network"),
                handle: r.get("handle"),
                display_name: r.get("display_name"),
                avatar_url: r.get("avatar_url"),
            });
        }
    }
    let mut entries: Vec<CalendarEntry> = by_post.into_values().collect();

    // Targets of the recurring posts, and their jobs inside the window (for the status of past runs).
    let ids: Vec<Uuid> = recurring_posts.iter().copied().collect();
    let target_rows = tx
        .query(
            "select t.post_id, t.id, t.status::text, t.external_url, a.id, a.network, a.handle, a.display_name, a.avatar_url
             from postiz.post_targets t
             join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
             where t.workspace_id = $1 and t.post_id = any($2)
             order by a.network, a.id",
            &[&ws, &ids],
        )
        .await?;
    let job_rows = tx
        .query(
            "select q.target_id, q.occurrence, q.status::text from postiz.queue_jobs q
             where q.workspace_id = $1 and q.scheduled_at >= $2 and q.scheduled_at < $3
               and q.schedule_id = any($4)",
            &[&ws, &q.from, &q.to, &recurring.iter().map(|r| r.get::<_, Uuid>(0)).collect::<Vec<_>>()],
        )
        .await?;
    let jobs: HashMap<(Uuid, DateTime<Utc>), String> = job_rows.iter().map(|r| ((r.get(0), r.get(1)), r.get(2))).collect();
    // Evergreen pools: one entry per run; the post is picked when due (known for the next run).
    let pools = tx
        .query(
            "select s.id, s.tag_id, s.starts_at, s.rrule, s.ends_at, s.time_zone, s.next_run_at, s.next_post_id
             from postiz.schedules s
             where s.workspace_id = $1 and s.kind = 'evergreen' and s.status = 'pending'
               and s.starts_at < $3 and (s.ends_at is null or s.ends_at >= $2)",
            &[&ws, &q.from, &q.to],
        )
        .await?;
    // Both kinds expanded at once, off the async threads; a rule the worker cannot evaluate
    // never fires, so it shows nothing rather than failing the page.
    let stored = |r: &tokio_postgres::Row| RecurringSpec {
        rrule: r.get::<_, Option<String>>(3).unwrap_or_default(),
        starts_at: r.get(2),
        ends_at: r.get(4),
        time_zone: r.get(5),
    };
    let mut expanded = expand_all(recurring.iter().chain(&pools).map(stored).collect(), q.from, q.to).await?.into_iter();
    for r in &recurring {
        let (schedule_id, post_id): (Uuid, Uuid) = (r.get(0), r.get(1));
        for at in expanded.next().unwrap_or_default() {
            let targets = target_rows
                .iter()
                .filter(|t| t.get::<_, Uuid>(0) == post_id)
                .map(|t| {
                    let target_id: Uuid = t.get(1);
                    EntryTarget {
                        target_id,
                        status: jobs.get(&(target_id, at)).cloned().unwrap_or_else(|| t.get(2)),
                        external_url: None,
                        account_id: t.get(4),
                        network: t.get(5),
                        handle: t.get(6),
                        display_name: t.get(7),
                        avatar_url: t.get(8),
                    }
                })
                .collect();
            entries.push(CalendarEntry {
                at,
                kind: "occurrence",
                post_id: Some(post_id),
                post_status: Some(r.get(6)),
                content_preview: r.get(7),
                schedule_id: Some(schedule_id),
                tag_id: None,
                targets,
                tags: vec![],
            });
        }
    }

    for r in &pools {
        let next_run: Option<DateTime<Utc>> = r.get(6);
        let next_post: Option<Uuid> = r.get(7);
        let tag_id: Uuid = r.get(1);
        for at in expanded.next().unwrap_or_default() {
            entries.push(CalendarEntry {
                at,
                kind: "evergreen",
                post_id: if next_run == Some(at) { next_post } else { None },
                post_status: None,
                content_preview: None,
                schedule_id: Some(r.get(0)),
                tag_id: Some(tag_id),
                targets: vec![],
                tags: vec![tag_id],
            });
        }
    }

    // Tags of every post shown.
    let post_ids: Vec<Uuid> = entries.iter().filter_map(|e| e.post_id).collect();
    let mut post_tags: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in
        tx.query("select post_id, tag_id from postiz.post_tags where workspace_id = $1 and post_id = any($2)", &[&ws, &post_ids]).await?
    {
        post_tags.entry(r.get(0)).or_default().push(r.get(1));
    }
    tx.commit().await?;
    for e in &mut entries {
        if let Some(p) = e.post_id
            && let Some(t) = post_tags.get(&p)
        {
            for tag in t {
                if !e.tags.contains(tag) {
                    e.tags.push(*tag);
                }
            }
        }
    }

    entries.retain(|e| {
        accounts.as_ref().is_none_or(|a| e.targets.iter().any(|t| a.contains(&t.account_id)))
            && tags.as_ref().is_none_or(|t| e.tags.iter().any(|x| t.contains(x)))
            && statuses.as_ref().is_none_or(|s| e.post_status.as_ref().is_some_and(|p| s.contains(p)))
    });
    entries.sort_by_key(|e| (e.at, e.post_id, e.schedule_id));
    Ok(Json(Calendar { from: q.from, to: q.to, entries }))
}
