//! Every SQL statement of the publish state machine, run as `service_role`.
//!
//! Each write that records an outcome is one transaction with the matching pgmq call, so the
//! row and the message never disagree after a crash.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use postiz_db::pgmq;
use postiz_domain::Network;
use postiz_providers::{AccountRef, PublishedItem, RemotePost};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

/// The pgmq queue of publish jobs.
pub const PUBLISH_QUEUE: &str = "publish";

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no or went away.
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
    /// No connection could be had.
    #[error("connection pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// The success writer stopped (the worker is shutting down hard).
    #[error("the success recorder stopped")]
    RecorderGone,
}

/// A message read from the publish queue, with the envelope decoded.
#[derive(Debug, Clone)]
pub struct JobMessage {
    /// pgmq id.
    pub msg_id: i64,
    /// Deliveries so far.
    pub read_ct: i32,
    /// `queue_jobs.id`.
    pub job_id: Uuid,
    /// The account it publishes as (for pacing).
    pub account_id: Uuid,
    /// The network (for pacing).
    pub network: Network,
}

impl JobMessage {
    fn decode(m: &pgmq::Message) -> Option<Self> {
        let data = m.message.get("data")?;
        Some(Self {
            msg_id: m.msg_id,
            read_ct: m.read_ct,
            job_id: data.get("job_id")?.as_str()?.parse().ok()?,
            account_id: data.get("account_id")?.as_str()?.parse().ok()?,
            network: serde_json::from_value(data.get("network")?.clone()).ok()?,
        })
    }
}

/// A job this worker now holds, with everything needed to publish it.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// `queue_jobs.id`.
    pub id: Uuid,
    /// The pgmq message.
    pub msg_id: i64,
    /// Workspace.
    pub workspace_id: Uuid,
    /// `post_targets.id`.
    pub target_id: Uuid,
    /// `posts.id`.
    pub post_id: Uuid,
    /// The social account.
    pub account_id: Uuid,
    /// The network.
    pub network: Network,
    /// This attempt's number (1 on the first).
    pub attempt: i32,
    /// When the occurrence was due.
    pub scheduled_at: DateTime<Utc>,
    /// Set when a request for this item may have reached the network before a crash (the
    /// marker as it was before this claim).
    pub sending_item: Option<i32>,
    /// When that request started.
    pub sending_since: Option<DateTime<Utc>>,
    /// The schedule was edited/canceled, or the post or target canceled: do not publish.
    pub stale: bool,
    /// The claim already recorded that the next item is about to be sent and marked the target
    /// publishing: the first request goes out without a `mark_sending` of its own.
    pub sending_marked: bool,
    /// Items of this occurrence already live.
    pub published_items: Vec<PublishedItem>,
    /// Canonical text.
    pub content: String,
    /// The network's override of the text.
    pub text_override: Option<String>,
    /// Thread items (`[{"text", "media_ids"}]`).
    pub thread_items: Value,
    /// First comment.
    pub first_comment: Option<String>,
    /// Network settings.
    pub settings: Value,
    /// Who the post goes out as.
    pub account: AccountRef,
    /// `social_accounts.status`.
    pub account_status: String,
    /// The encrypted access token, if the account has credentials.
    pub token: Option<postiz_vault::Sealed>,
    /// Media of the main item, in order (`[{"id", "path", "mime", "alt", "width", "height"}]`).
    pub media: Value,
    /// Media referenced by thread items, by id.
    pub thread_media: Value,
}

/// What to do with a message whose job could not be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unclaimable {
    /// Done, canceled, paused or gone: drop the message.
    Archive,
    /// Another worker holds it, or it is not due yet: look again in this many seconds.
    Later(i32),
}

/// The database side of the worker.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    worker_id: String,
}

/// Claims due, free jobs and returns their publish payload, in one statement.
///
/// `candidates` locks the free jobs (re-checked after any lock wait, so two workers never both
/// win) and decides per job whether it will be sent at once: not stale, account active, a token
/// stored, no request left in flight by a crash, and no media to read first. For those the
/// claim also records "item N is about to be sent" and marks the target publishing — the step
/// `mark_sending` would otherwise take — so a plain text job costs one write here and one in
/// the batched success. The payload returns the in-flight marker as it was *before* the claim,
/// because that is what crash recovery looks at.
const CLAIM: &str = "
with candidates as (
  select j.id, j.sending_item as prev_sending_item, j.sending_since as prev_sending_since,
         (s.id is not null and (s.revision <> j.schedule_revision or s.status = 'canceled'))
           or t.status = 'canceled' or p.status = 'canceled' as stale,
         a.status = 'active' and cr.access_token_ciphertext is not null
           and not exists (select 1 from postiz.post_media pm where pm.workspace_id = p.workspace_id and pm.post_id = p.id)
           and not coalesce(v.thread_items @? '$[*].media_ids[*]', false) as media_free_and_ready,
         t.post_id, t.social_account_id,
         p.content, v.text_override, coalesce(v.thread_items, '[]'::jsonb) as thread_items,
         v.first_comment, coalesce(v.settings, '{}'::jsonb) as settings,
         coalesce(a.external_page_id, a.external_account_id) as external_id, a.handle,
         cr.server_url, a.status::text as account_status,
         cr.access_token_key_id, cr.access_token_nonce, cr.access_token_ciphertext
  from postiz.queue_jobs j
  join postiz.post_targets t on t.id = j.target_id
  join postiz.posts p on p.id = t.post_id
  join postiz.social_accounts a on a.id = t.social_account_id
  left join postiz.post_variants v on v.workspace_id = p.workspace_id and v.post_id = p.id and v.network = j.network
  left join postiz.credentials cr on cr.social_account_id = a.id
  left join postiz.schedules s on s.id = j.schedule_id
  where j.id = any($1::uuid[])
    and j.run_at <= now() + interval '1 second'
    and (j.status = 'queued' or (j.status = 'running' and j.lease_until < now()))
  for update of j
),
claimed as (
  update postiz.queue_jobs j
  set status = 'running', attempt = j.attempt + 1, started_at = coalesce(j.started_at, now()), updated_at = now(),
      lease_until = now() + make_interval(secs => $2::double precision), worker_id = $3,
      sending_item = case when c.send_now then jsonb_array_length(j.published_items) else j.sending_item end,
      sending_since = case when c.send_now then now() else j.sending_since end
  from (select *, not stale and media_free_and_ready and prev_sending_item is null as send_now from candidates) c
  where j.id = c.id
  returning j.id, j.msg_id, j.workspace_id, j.target_id, j.network, j.attempt, j.scheduled_at, j.published_items,
            c.prev_sending_item as sending_item, c.prev_sending_since as sending_since, c.stale, c.send_now,
            c.post_id, c.social_account_id, c.content, c.text_override, c.thread_items, c.first_comment, c.settings,
            c.external_id, c.handle, c.server_url, c.account_status,
            c.access_token_key_id, c.access_token_nonce, c.access_token_ciphertext
),
publishing as (
  update postiz.post_targets t set status = 'publishing', attempts = t.attempts + 1, updated_at = now()
  from claimed c where c.send_now and t.id = c.target_id and t.status <> 'publishing'
  returning t.id
)
select c.*,
       coalesce((select jsonb_agg(jsonb_build_object('id', m.id, 'path', m.path, 'mime', m.mime_type, 'alt', coalesce(pm.alt_text, m.alt_text),
                                                     'width', m.width, 'height', m.height) order by pm.position)
                 from postiz.post_media pm
                 join postiz.media_assets m on m.workspace_id = pm.workspace_id and m.id = pm.media_id
                 where not c.send_now and pm.workspace_id = c.workspace_id and pm.post_id = c.post_id), '[]'::jsonb) as media,
       coalesce((select jsonb_object_agg(m.id::text, jsonb_build_object('id', m.id, 'path', m.path, 'mime', m.mime_type,
                                                                        'alt', m.alt_text, 'width', m.width, 'height', m.height))
                 from postiz.media_assets m
                 where not c.send_now and m.workspace_id = c.workspace_id
                   and m.id::text in (select jsonb_array_elements_text(coalesce(ti -> 'media_ids', '[]'::jsonb))
                                      from jsonb_array_elements(c.thread_items) ti)), '{}'::jsonb) as thread_media
from claimed c";

/// Records many successes at once: each target published with its ids, each job succeeded,
/// one activity entry each, and the messages deleted — one statement, so one atomic step for
/// the whole batch. Only jobs this worker still holds are touched. The job row is the record
/// of a success, so its message is deleted rather than copied to the archive table; failed,
/// canceled and unconfirmed jobs keep their message in the archive.
const SUCCEED_MANY: &str = "
with d as (
  select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::uuid[], $7::jsonb[], $8::bigint[])
    as d(job_id, target_id, external_id, external_url, items, workspace_id, details, msg_id)
),
q as (
  update postiz.queue_jobs q
  set status = 'succeeded', completed_at = now(), updated_at = now(), published_items = d.items,
      sending_item = null, sending_since = null, lease_until = null
  from d where q.id = d.job_id and q.worker_id = $9 and q.status = 'running'
  returning q.id, q.target_id, q.msg_id
),
t as (
  update postiz.post_targets t
  set status = 'published', external_id = d.external_id, external_url = d.external_url, published_items = d.items,
      published_at = now(), updated_at = now(), last_error_code = null, last_error_message = null
  from d join q on q.id = d.job_id
  where t.id = d.target_id
  returning t.id
),
l as (
  insert into postiz.activity_logs (workspace_id, actor_id, action, entity_type, entity_id, details)
  select d.workspace_id, null, 'target.published', 'post_target', d.target_id, d.details
  from d join q on q.id = d.job_id
  returning id
)
select (select array_agg(q.id) from q),
       (select count(*) from pgmq.delete($10::text, coalesce((select array_agg(q.msg_id) from q where q.msg_id is not null), '{}'::bigint[])) a)";

impl Store {
    /// A store on a `service_role` pool; `worker_id` names this process in leases.
    pub fn new(pool: Pool, worker_id: impl Into<String>) -> Self {
        Self { pool, worker_id: worker_id.into() }
    }

    /// The pool (for the ticker and metrics).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Reads up to `qty` visible publish messages, hiding them for `vt_secs`.
    pub async fn read(&self, vt_secs: i32, qty: i32) -> Result<(Vec<JobMessage>, Vec<i64>), StoreError> {
        let client = self.pool.get().await?;
        let raw = pgmq::read(&**client, PUBLISH_QUEUE, vt_secs, qty).await?;
        let mut good = Vec::with_capacity(raw.len());
        let mut malformed = Vec::new();
        for m in &raw {
            match JobMessage::decode(m) {
                Some(j) => good.push(j),
                None => malformed.push(m.msg_id),
            }
        }
        Ok((good, malformed))
    }

    /// Claims the jobs of `ids` that are due and free (queued, or running under an expired
    /// lease) for `lease_secs`, returning them with their publish payload.
    pub async fn claim(&self, ids: &[Uuid], lease_secs: f64) -> Result<Vec<ClaimedJob>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(CLAIM).await?;
        let rows = client.query(&statement, &[&ids, &lease_secs, &self.worker_id]).await?;
        Ok(rows.iter().filter_map(claimed_from_row).collect())
    }

    /// For jobs that could not be claimed: archive or look again later.
    pub async fn unclaimable(&self, ids: &[Uuid]) -> Result<Vec<(Uuid, Unclaimable)>, StoreError> {
        let client = self.pool.get().await?;
        let rows = client
            .query(
                "select id, status::text,
                        ceil(extract(epoch from greatest(lease_until, run_at) - now()))::integer as wait
                 from postiz.queue_jobs where id = any($1::uuid[])",
                &[&ids],
            )
            .await?;
        Ok(ids
            .iter()
            .map(|id| {
                let verdict = rows.iter().find(|r| r.get::<_, Uuid>(0) == *id).map_or(Unclaimable::Archive, |r| {
                    let status: String = r.get(1);
                    let wait: Option<i32> = r.get(2);
                    match status.as_str() {
                        "running" | "queued" => Unclaimable::Later(wait.unwrap_or(1).clamp(1, 3600)),
                        _ => Unclaimable::Archive,
                    }
                });
                (*id, verdict)
            })
            .collect())
    }

    /// Archives messages (done, canceled, malformed).
    pub async fn archive(&self, msg_ids: &[i64]) -> Result<(), StoreError> {
        if msg_ids.is_empty() {
            return Ok(());
        }
        let client = self.pool.get().await?;
        pgmq::archive_many(&**client, PUBLISH_QUEUE, msg_ids).await?;
        Ok(())
    }

    /// Hides each message for its number of seconds without touching its job (pacing), in one
    /// statement.
    pub async fn postpone(&self, messages: &[(i64, i32)]) -> Result<(), StoreError> {
        if messages.is_empty() {
            return Ok(());
        }
        let (ids, secs): (Vec<i64>, Vec<i32>) = messages.iter().copied().unzip();
        let client = self.pool.get().await?;
        pgmq::set_vt_many(&**client, PUBLISH_QUEUE, &ids, &secs).await?;
        Ok(())
    }

    /// Records that the request for `item` is about to be sent (committed before sending), marks
    /// the target publishing and extends the lease — one statement.
    pub async fn mark_sending(&self, job: &ClaimedJob, item: usize, lease_secs: f64) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        let item = i32::try_from(item).unwrap_or(i32::MAX);
        let statement = client
            .prepare_cached(
                "with q as (
                   update postiz.queue_jobs
                   set sending_item = $2, sending_since = now(), updated_at = now(),
                       lease_until = now() + make_interval(secs => $4::double precision)
                   where id = $1 and worker_id = $3
                   returning target_id)
                 update postiz.post_targets t set status = 'publishing', attempts = t.attempts + 1, updated_at = now()
                 from q where t.id = q.target_id and t.status <> 'publishing'",
            )
            .await?;
        client.execute(&statement, &[&job.id, &item, &self.worker_id, &lease_secs]).await?;
        Ok(())
    }

    /// Stores a live item and clears the in-flight marker, in one statement.
    pub async fn record_item(&self, job: &ClaimedJob, item: &PublishedItem) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        let json = serde_json::to_value(item).unwrap_or(Value::Null);
        client
            .execute(
                "update postiz.queue_jobs
                 set published_items = published_items || jsonb_build_array($2::jsonb),
                     sending_item = null, sending_since = null, updated_at = now()
                 where id = $1",
                &[&job.id, &json],
            )
            .await?;
        Ok(())
    }

    /// Clears the in-flight marker after a failure that certainly sent nothing.
    pub async fn clear_sending(&self, job: &ClaimedJob) -> Result<(), StoreError> {
        let client = self.pool.get().await?;
        client.execute("update postiz.queue_jobs set sending_item = null, sending_since = null where id = $1", &[&job.id]).await?;
        Ok(())
    }

    /// The job is done: target published with the post's id and URL, job succeeded, activity
    /// logged, message deleted — one statement, so one atomic step. Returns false when the
    /// job is no longer this worker's (its lease ran out and another worker took it over).
    pub async fn succeed(&self, job: &ClaimedJob, post: &RemotePost) -> Result<bool, StoreError> {
        Ok(!self.succeed_many(&[Success::new(job, post)]).await?.is_empty())
    }

    /// [`Store::succeed`] for many jobs in one statement; returns the jobs recorded.
    pub async fn succeed_many(&self, done: &[Success]) -> Result<Vec<Uuid>, StoreError> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(SUCCEED_MANY).await?;
        let col = |f: fn(&Success) -> Value| done.iter().map(f).collect::<Vec<Value>>();
        let row = client
            .query_one(
                &statement,
                &[
                    &done.iter().map(|d| d.job_id).collect::<Vec<_>>(),
                    &done.iter().map(|d| d.target_id).collect::<Vec<_>>(),
                    &done.iter().map(|d| d.external_id.as_str()).collect::<Vec<_>>(),
                    &done.iter().map(|d| d.external_url.as_deref()).collect::<Vec<_>>(),
                    &col(|d| d.items.clone()),
                    &done.iter().map(|d| d.workspace_id).collect::<Vec<_>>(),
                    &col(|d| d.details.clone()),
                    &done.iter().map(|d| d.msg_id).collect::<Vec<_>>(),
                    &self.worker_id,
                    &PUBLISH_QUEUE,
                ],
            )
            .await?;
        Ok(row.get::<_, Option<Vec<Uuid>>>(0).unwrap_or_default())
    }

    /// Re-sends a message for jobs that are due or held by a dead worker but whose message is
    /// gone (purged by hand, or lost to an operator's mistake): nothing due stays unpublished
    /// silently. Returns how many were re-sent.
    pub async fn sweep_lost(&self) -> Result<u64, StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                "select q.id, q.social_account_id, q.network from postiz.queue_jobs q
                 where q.completed_at is null and q.status in ('queued', 'running')
                   -- run_at ≤ lease_until for a running job: the open-jobs index narrows the scan.
                   and q.run_at < now() - interval '2 minutes'
                   and coalesce(q.lease_until, q.run_at) < now() - interval '2 minutes'
                   and not exists (select 1 from pgmq.q_publish m where m.msg_id = q.msg_id)
                 limit 500 for update of q skip locked",
                &[],
            )
            .await?;
        for row in &rows {
            let id: Uuid = row.get(0);
            let account: Option<Uuid> = row.get(1);
            let network: String = row.get(2);
            let payload = serde_json::json!({"job": "publish_post", "v": 1,
                "data": {"job_id": id, "account_id": account, "network": network}});
            let msg = pgmq::send(&*tx, PUBLISH_QUEUE, &payload, 0).await?;
            tx.execute(
                "update postiz.queue_jobs set msg_id = $2, lease_until = case when status = 'running' then now() - interval '1 second' else lease_until end where id = $1",
                &[&id, &msg],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    /// Another attempt later: the job goes back to queued with its error, the message comes
    /// back after `delay_secs`.
    pub async fn retry_later(
        &self,
        job: &ClaimedJob,
        code: &str,
        message: &str,
        delay_secs: i32,
        throttling: Option<Value>,
    ) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "update postiz.queue_jobs
             set status = 'queued', run_at = now() + make_interval(secs => $2::double precision),
                 last_error_code = $3, last_error_message = $4, last_error_retryable = true,
                 sending_item = null, sending_since = null, lease_until = null,
                 throttling = coalesce($5::jsonb, throttling)
             where id = $1",
            &[&job.id, &f64::from(delay_secs), &code, &message, &throttling],
        )
        .await?;
        tx.execute(
            "update postiz.post_targets set status = 'queued', last_error_code = $2, last_error_message = $3 where id = $1",
            &[&job.target_id, &code, &message],
        )
        .await?;
        pgmq::set_vt(&*tx, PUBLISH_QUEUE, job.msg_id, delay_secs).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A final state other than success (`failed`, `unconfirmed`, `canceled`), message archived.
    pub async fn finish(&self, job: &ClaimedJob, state: Final, code: &str, message: &str) -> Result<(), StoreError> {
        self.finish_awaiting(job, state, code, message, None).await
    }

    /// Like [`Store::finish`]; an unconfirmed job also keeps `awaited`, the network's handle on
    /// the request (TikTok's `publish_id`), so that the network's later notification settles it
    /// (`postiz_private.service_settle_awaited_post`).
    pub async fn finish_awaiting(
        &self,
        job: &ClaimedJob,
        state: Final,
        code: &str,
        message: &str,
        awaited: Option<&str>,
    ) -> Result<(), StoreError> {
        let (job_status, target_status) = match state {
            Final::Failed => ("failed", "failed"),
            Final::Unconfirmed => ("unconfirmed", "unconfirmed"),
            Final::Canceled => ("canceled", "canceled"),
        };
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "update postiz.queue_jobs
             set status = $2::text::postiz.job_status, completed_at = now(), last_error_code = $3,
                 last_error_message = $4, last_error_retryable = false, lease_until = null, awaited_reference = $5
             where id = $1",
            &[&job.id, &job_status, &code, &message, &awaited.filter(|_| state == Final::Unconfirmed)],
        )
        .await?;
        if state != Final::Canceled {
            let action = if state == Final::Failed { "target.failed" } else { "target.unconfirmed" };
            log_system(&tx, job, action, serde_json::json!({"code": code, "message": message})).await?;
            tx.execute(
                "update postiz.post_targets
                 set status = $2::text::postiz.target_status, last_error_code = $3, last_error_message = $4
                 where id = $1",
                &[&job.target_id, &target_status, &code, &message],
            )
            .await?;
        }
        pgmq::archive(&*tx, PUBLISH_QUEUE, job.msg_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account's token no longer works: mark it for reconnection, pause its waiting jobs
    /// (they are re-enqueued on reconnect), log it — one transaction.
    pub async fn needs_reconnect(&self, job: &ClaimedJob, reason: &str) -> Result<(), StoreError> {
        let message = format!("Reconnect this account: the network refused its credentials ({reason}).");
        self.pause_account(job, "needs_reconnect", &message, reason).await
    }

    /// Like [`Store::needs_reconnect`], with the account's new status (`needs_reconnect` or
    /// `revoked`) and the message the paused jobs show: `postiz_private.service_pause_account`
    /// (the one way to pause an account) with this job as the running one, and its queue
    /// message archived, in one transaction.
    pub async fn pause_account(&self, job: &ClaimedJob, status: &str, message: &str, reason: &str) -> Result<(), StoreError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute(
            "select postiz_private.service_pause_account($1, $2::text::postiz.account_status, $3,
                                                         jsonb_build_object('reason', $4::text), $5)",
            &[&job.account_id, &status, &message, &reason, &job.id],
        )
        .await?;
        pgmq::archive(&*tx, PUBLISH_QUEUE, job.msg_id).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A published job waiting to be recorded (see [`Store::succeed_many`]).
#[derive(Debug, Clone)]
pub struct Success {
    job_id: Uuid,
    target_id: Uuid,
    workspace_id: Uuid,
    msg_id: i64,
    external_id: String,
    external_url: Option<String>,
    items: Value,
    details: Value,
}

impl Success {
    /// `job` went out as `post`.
    pub fn new(job: &ClaimedJob, post: &RemotePost) -> Self {
        let external_url = post.url.as_ref().map(ToString::to_string);
        Self {
            job_id: job.id,
            target_id: job.target_id,
            workspace_id: job.workspace_id,
            msg_id: job.msg_id,
            external_id: post.id.clone(),
            details: activity_details(job, serde_json::json!({"external_id": post.id, "url": external_url})),
            external_url,
            items: serde_json::to_value(&post.items).unwrap_or(Value::Null),
        }
    }

    /// The job this success belongs to.
    pub fn job_id(&self) -> Uuid {
        self.job_id
    }
}

/// Terminal states other than success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    /// Permanently refused or out of attempts.
    Failed,
    /// Sent, outcome unknown, and the network cannot tell: the user decides.
    Unconfirmed,
    /// The schedule or post changed; nothing was sent for this occurrence.
    Canceled,
}

/// Details of a system activity entry: which post, network and job, plus `extra`.
fn activity_details(job: &ClaimedJob, extra: Value) -> Value {
    let mut details = serde_json::json!({"post_id": job.post_id, "network": job.network, "job_id": job.id});
    if let (Value::Object(base), Value::Object(extra)) = (&mut details, extra) {
        base.extend(extra);
    }
    details
}

/// A system entry in the workspace's activity log, in the caller's transaction.
async fn log_system(
    tx: &deadpool_postgres::Transaction<'_>,
    job: &ClaimedJob,
    action: &str,
    details: Value,
) -> Result<(), tokio_postgres::Error> {
    let details = activity_details(job, details);
    tx.execute(
        "insert into postiz.activity_logs (workspace_id, actor_id, action, entity_type, entity_id, details)
         values ($1, null, $2, 'post_target', $3, $4)",
        &[&job.workspace_id, &action, &job.target_id, &details],
    )
    .await?;
    Ok(())
}

fn claimed_from_row(r: &Row) -> Option<ClaimedJob> {
    let network: String = r.get("network");
    let network: Network = serde_json::from_value(Value::String(network)).ok()?;
    let published_items: Value = r.get("published_items");
    let token =
        postiz_vault::Sealed::from_columns(r.get("access_token_key_id"), r.get("access_token_nonce"), r.get("access_token_ciphertext"));
    let server = r.get::<_, Option<String>>("server_url").and_then(|s| s.parse().ok());
    Some(ClaimedJob {
        id: r.get("id"),
        msg_id: r.get::<_, Option<i64>>("msg_id").unwrap_or_default(),
        workspace_id: r.get("workspace_id"),
        target_id: r.get("target_id"),
        post_id: r.get("post_id"),
        account_id: r.get("social_account_id"),
        network,
        attempt: r.get("attempt"),
        scheduled_at: r.get("scheduled_at"),
        sending_item: r.get("sending_item"),
        sending_since: r.get("sending_since"),
        stale: r.get::<_, Option<bool>>("stale").unwrap_or(false),
        sending_marked: r.get::<_, Option<bool>>("send_now").unwrap_or(false),
        published_items: serde_json::from_value(published_items).unwrap_or_default(),
        content: r.get("content"),
        text_override: r.get("text_override"),
        thread_items: r.get("thread_items"),
        first_comment: r.get("first_comment"),
        settings: r.get("settings"),
        account: AccountRef { id: r.get("external_id"), handle: r.get("handle"), server },
        account_status: r.get("account_status"),
        token,
        media: r.get("media"),
        thread_media: r.get("thread_media"),
    })
}
