//! Every second: turn due occurrences into jobs, and compute the next occurrence of recurring
//! and evergreen schedules that just fired.

use std::time::Duration;

use chrono::{DateTime, Utc};
use postiz_schedule::{EvergreenCandidate, EvergreenOrder, Recurrence, pick_evergreen};
use serde_json::Value;
use uuid::Uuid;

use crate::store::Store;

/// Occurrences more than this late are skipped rather than fired in a burst (a worker that was
/// down for a day must not publish a day of recurring posts at once).
pub const CATCH_UP_GRACE: chrono::Duration = chrono::Duration::minutes(10);

/// Schedules handled per enqueue call.
const ENQUEUE_BATCH: i32 = 1000;

/// One tick: enqueue what is due within `horizon`, then advance schedules. Returns the number
/// of jobs enqueued.
pub async fn tick(store: &Store, horizon: Duration) -> anyhow::Result<i32> {
    let client = store.pool().get().await?;
    let horizon_secs = horizon.as_secs_f64();
    // A burst (thousands due in the same second) takes several calls; keep going for up to a
    // second so it is all enqueued ahead of time, then let the reader run.
    let started = std::time::Instant::now();
    let mut enqueued = 0;
    loop {
        let n: i32 = client
            .query_one(
                "select postiz_private.service_enqueue_due(make_interval(secs => $1::double precision), $2)",
                &[&horizon_secs, &ENQUEUE_BATCH],
            )
            .await?
            .get(0);
        enqueued += n;
        if n == 0 || started.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    drop(client);
    advance(store, Utc::now()).await?;
    Ok(enqueued)
}

/// Computes `next_run_at` for recurring and evergreen schedules that have none.
pub async fn advance(store: &Store, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let mut client = store.pool().get().await?;
    let tx = client.transaction().await?;
    let rows = tx
        .query(
            "select id, workspace_id, kind::text, rrule, starts_at, ends_at, time_zone, last_run_at, tag_id, evergreen
             from postiz.schedules
             where status = 'pending' and next_run_at is null and kind <> 'once'
             limit 200 for update skip locked",
            &[],
        )
        .await?;
    let n = rows.len();
    for row in rows {
        let id: Uuid = row.get(0);
        let kind: String = row.get(2);
        let rule: Option<String> = row.get(3);
        let starts_at: DateTime<Utc> = row.get(4);
        let ends_at: Option<DateTime<Utc>> = row.get(5);
        let zone: String = row.get(6);
        let last_run_at: Option<DateTime<Utc>> = row.get(7);
        let next = match next_occurrence(rule.as_deref().unwrap_or(""), starts_at, &zone, last_run_at, now) {
            Ok(next) => next.filter(|t| ends_at.is_none_or(|end| *t <= end)),
            Err(e) => {
                // Written around the API (which validates rules): say why instead of guessing.
                tracing::warn!(schedule.id = %id, error = %e, "schedule rule cannot be evaluated");
                tx.execute("update postiz.schedules set status = 'failed' where id = $1", &[&id]).await?;
                continue;
            }
        };
        let Some(next) = next else {
            // The rule has run out (COUNT, UNTIL or ends_at): the schedule is complete.
            tx.execute("update postiz.schedules set status = 'published' where id = $1", &[&id]).await?;
            continue;
        };
        let post: Option<Uuid> = if kind == "evergreen" {
            let tag: Option<Uuid> = row.get(8);
            let options: Value = row.get(9);
            pick_pool_post(&tx, id, tag, &options, next).await?
        } else {
            None
        };
        if kind == "evergreen" && post.is_none() {
            // Nothing in the pool may go out yet: try the occurrence after.
            tx.execute("update postiz.schedules set last_run_at = $2 where id = $1", &[&id, &next]).await?;
            continue;
        }
        tx.execute("update postiz.schedules set next_run_at = $2, next_post_id = $3 where id = $1", &[&id, &next, &post]).await?;
    }
    tx.commit().await?;
    Ok(n)
}

/// The next occurrence after the last one fired (or the start), never older than the grace.
/// `Ok(None)` when the rule has no more occurrences.
pub fn next_occurrence(
    rule: &str,
    starts_at: DateTime<Utc>,
    zone: &str,
    last_run_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, postiz_schedule::RecurrenceError> {
    let tz = postiz_schedule::parse_zone(zone)
        .ok_or_else(|| postiz_schedule::RecurrenceError { field: "time_zone", message: format!("{zone:?} is not an IANA time zone") })?;
    let recurrence = Recurrence::parse(rule, starts_at.with_timezone(&tz).naive_local(), zone)?;
    let after = last_run_at.unwrap_or(starts_at - chrono::Duration::seconds(1)).max(now - CATCH_UP_GRACE);
    Ok(recurrence.next_after(after))
}

async fn pick_pool_post(
    tx: &tokio_postgres::Transaction<'_>,
    schedule: Uuid,
    tag: Option<Uuid>,
    options: &Value,
    at: DateTime<Utc>,
) -> anyhow::Result<Option<Uuid>> {
    let rows = tx
        .query(
            "select p.id, (select max(q.occurrence) from postiz.queue_jobs q join postiz.post_targets t on t.id = q.target_id
                           where q.schedule_id = $1 and t.post_id = p.id and q.status = 'succeeded') as last_shared
             from postiz.post_tags pt join postiz.posts p on p.id = pt.post_id
             where pt.tag_id = $2 and p.status not in ('canceled', 'draft', 'pending_approval')
             order by p.created_at, p.id",
            &[&schedule, &tag],
        )
        .await?;
    let order = match options.get("order").and_then(Value::as_str) {
        Some("weighted") => EvergreenOrder::Weighted,
        _ => EvergreenOrder::InOrder,
    };
    let hours = |key: &str, default: i64| options.get(key).and_then(Value::as_i64).unwrap_or(default);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    let candidates: Vec<EvergreenCandidate> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| EvergreenCandidate {
            position: u32::try_from(i).unwrap_or(u32::MAX),
            weight: options
                .get("weights")
                .and_then(|w| w.get(r.get::<_, Uuid>(0).to_string()))
                .and_then(Value::as_u64)
                .map_or(1, |w| u32::try_from(w).unwrap_or(1)),
            last_shared_at: r.get(1),
        })
        .collect();
    let last_account_share = candidates.iter().filter_map(|c| c.last_shared_at).max();
    Ok(pick_evergreen(
        &candidates,
        order,
        at,
        chrono::Duration::hours(hours("min_gap_hours", 24 * 7)),
        last_account_share,
        chrono::Duration::hours(hours("account_gap_hours", 0)),
    )
    .map(|i| ids[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_worker_down_for_a_day_does_not_burst_missed_occurrences() {
        let start = utc("2026-11-01T08:00:00Z");
        let last = utc("2026-11-20T08:00:00Z");
        let now = utc("2026-11-22T09:30:00Z");
        let next = next_occurrence("FREQ=DAILY", start, "UTC", Some(last), now).unwrap().unwrap();
        assert_eq!(next, utc("2026-11-23T08:00:00Z"), "the missed 21st and 22nd are skipped");
    }

    #[test]
    fn first_occurrence_is_the_start() {
        let start = utc("2026-12-01T08:00:00Z");
        let next = next_occurrence("FREQ=DAILY", start, "Europe/Berlin", None, utc("2026-11-22T00:00:00Z")).unwrap().unwrap();
        assert_eq!(next, start);
    }
}
