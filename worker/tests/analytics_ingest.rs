//! Analytics ingestion end to end: publish to the sandbox network, then the `ingest_analytics`
//! job reads the post's and the account's numbers on their cadence, through the same pacing
//! and error taxonomy as publishing, against the real database and a real sandbox server.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postiz_sandbox::Fault;
use postiz_worker::jobs::ingest_analytics::{IngestAnalytics, RoundStats};
use postiz_worker::pacing::Pacer;
use support::{Fixture, all_jobs_final};
use uuid::Uuid;

const LIMIT: Duration = Duration::from_secs(30);

fn job(f: &Fixture) -> IngestAnalytics {
    IngestAnalytics {
        store: f.store(),
        registry: f.registry(),
        keyring: Arc::clone(&f.keyring),
        pacer: Arc::new(Pacer::default()),
        tokens: None,
    }
}

/// Publishes one post to a new sandbox account and returns (account, target, remote post id).
async fn published(f: &Fixture, handle: &str) -> (Uuid, Uuid, String) {
    let account = f.account(handle).await;
    let (post, _) = f.schedule_once("Numbers, please", &[account], Utc::now()).await;
    f.run_until(LIMIT, all_jobs_final).await;
    assert_eq!(f.target_status(post).await, ["published"]);
    let row = f.admin.query_one("select id, external_id from postiz.post_targets where post_id = $1", &[&post]).await.unwrap();
    (account, row.get(0), row.get(1))
}

async fn make_due(f: &Fixture) {
    f.admin
        .execute("update postiz.analytics_watches set next_fetch_at = now() - interval '1 second' where state = 'active'", &[])
        .await
        .unwrap();
}

async fn watch(f: &Fixture, target: Option<Uuid>, account: Uuid) -> (String, i16, Option<DateTime<Utc>>, Option<String>, i32) {
    let r = f
        .admin
        .query_one(
            "select state::text, step, next_fetch_at, last_error, failures from postiz.analytics_watches
             where social_account_id = $1 and target_id is not distinct from $2",
            &[&account, &target],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
}

async fn values(f: &Fixture, target: Uuid) -> Vec<(String, i64, DateTime<Utc>)> {
    f.admin
        .query(
            "select metric::text, value::bigint, observed_at from postiz.analytics_events where target_id = $1 order by metric::text",
            &[&target],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

#[tokio::test]
async fn published_posts_and_accounts_get_numbers_on_their_cadence() {
    let f = Fixture::new().await;
    let (account, target, remote) = published(&f, "numbers").await;

    // Publishing started a watch an hour after publishing; the account is watched from now.
    let (state, step, next, _, _) = watch(&f, Some(target), account).await;
    assert_eq!((state.as_str(), step), ("active", 0));
    let published_at: DateTime<Utc> =
        f.admin.query_one("select published_at from postiz.post_targets where id = $1", &[&target]).await.unwrap().get(0);
    assert_eq!(next, Some(published_at + chrono::Duration::hours(1)));
    assert_eq!(
        job(&f).round().await.unwrap(),
        RoundStats { claimed: 1, recorded: 1, ..RoundStats::default() },
        "only the account is due yet"
    );
    let followers = f.count(&format!("select value::bigint from postiz.analytics_events where social_account_id = '{account}' and target_id is null and metric = 'followers'")).await;
    assert!(followers >= 1000, "the sandbox account's followers: {followers}");

    make_due(&f).await;
    let stats = job(&f).round().await.unwrap();
    assert_eq!((stats.claimed, stats.recorded), (2, 2), "{stats:?}");
    let got = values(&f, target).await;
    let names: Vec<&str> = got.iter().map(|(m, ..)| m.as_str()).collect();
    assert_eq!(names, ["comments", "impressions", "likes", "quotes", "shares"], "sandbox names mapped onto the vocabulary");
    // The numbers are the sandbox's deterministic curve at the time they were read.
    let created = f.sandbox.posts().posts.iter().find(|p| p.id == remote).unwrap().created_at;
    let observed = got[0].2;
    let (low, high) = (
        postiz_sandbox::post_metrics(&remote, created, observed - chrono::Duration::seconds(5)),
        postiz_sandbox::post_metrics(&remote, created, observed + chrono::Duration::seconds(1)),
    );
    let likes = got.iter().find(|(m, ..)| m == "likes").unwrap().1;
    assert!((i64::try_from(low.likes).unwrap()..=i64::try_from(high.likes).unwrap()).contains(&likes), "{likes} within {low:?}..{high:?}");

    // The cadence moved on: the next read is 6 h after publishing.
    let (state, step, next, ..) = watch(&f, Some(target), account).await;
    assert_eq!((state.as_str(), step), ("active", 1));
    assert_eq!(next, Some(published_at + chrono::Duration::hours(6)));

    // Read again within the hour: one snapshot per metric and hour, not two.
    make_due(&f).await;
    job(&f).round().await.unwrap();
    assert_eq!(f.count(&format!("select count(*) from postiz.analytics_events where target_id = '{target}'")).await, 5);

    // The last step ends the cadence.
    f.admin.execute("update postiz.analytics_watches set step = 5, next_fetch_at = now() where target_id = $1", &[&target]).await.unwrap();
    job(&f).round().await.unwrap();
    let (state, step, next, ..) = watch(&f, Some(target), account).await;
    assert_eq!((state.as_str(), step, next), ("done", 6, None));
}

#[tokio::test]
async fn a_due_publish_on_the_account_goes_first() {
    let f = Fixture::new().await;
    let (account, target, _) = published(&f, "busy").await;
    // Another post of the same account is due now; its job is queued but not yet sent.
    f.schedule_once("Me first", &[account], Utc::now()).await;
    f.admin.execute("select postiz_private.service_enqueue_due()", &[]).await.unwrap();
    let open =
        f.count(&format!("select count(*) from postiz.queue_jobs where social_account_id = '{account}' and completed_at is null")).await;
    assert!(open >= 1, "a publish job is open");
    make_due(&f).await;
    let stats = job(&f).round().await.unwrap();
    assert_eq!(stats.claimed, 0, "nothing of that account is read while it has a publish due");
    let (state, _, next, ..) = watch(&f, Some(target), account).await;
    assert_eq!(state, "active");
    assert!(next.unwrap() > Utc::now() + chrono::Duration::seconds(30), "postponed by a minute: {next:?}");
}

#[tokio::test]
async fn rate_limits_wait_deleted_posts_stop_and_refused_tokens_pause() {
    let f = Fixture::new().await;
    let (account, target, remote) = published(&f, "faults").await;
    // The account's own numbers first, so only the post is left due afterwards.
    job(&f).round().await.unwrap();

    // 429 with Retry-After: postponed by it, not counted as a failure.
    f.sandbox.push_fault(Fault::rate_limited(40));
    make_due(&f).await;
    f.admin.execute("update postiz.analytics_watches set next_fetch_at = null, state = 'done' where target_id is null", &[]).await.unwrap();
    let stats = job(&f).round().await.unwrap();
    assert_eq!(stats.postponed, 1, "{stats:?}");
    let (state, _, next, _, failures) = watch(&f, Some(target), account).await;
    assert_eq!((state.as_str(), failures), ("active", 0));
    let wait = next.unwrap() - Utc::now();
    assert!(wait > chrono::Duration::seconds(30) && wait <= chrono::Duration::seconds(40), "Retry-After honoured: {wait:?}");

    // A server error (three in a row: the adapter retries a read twice itself): retried with
    // backoff, the reason kept for the UI.
    for _ in 0..3 {
        f.sandbox.push_fault(Fault::status(503));
    }
    make_due(&f).await;
    let stats = job(&f).round().await.unwrap();
    assert_eq!(stats.retried, 1, "{stats:?}");
    let (state, _, next, error, failures) = watch(&f, Some(target), account).await;
    assert_eq!((state.as_str(), failures), ("active", 1));
    assert!(next.unwrap() > Utc::now() + chrono::Duration::seconds(50), "a minute of backoff");
    assert!(error.unwrap().contains("trying again later"));

    // 401 without a way to refresh: the watch pauses until the account is reconnected.
    f.sandbox.push_fault(Fault::status(401));
    make_due(&f).await;
    job(&f).round().await.unwrap();
    let (state, _, next, error, _) = watch(&f, Some(target), account).await;
    assert_eq!((state.as_str(), next), ("paused", None));
    assert!(error.unwrap().to_lowercase().contains("reconnect"));
    // Reconnecting (the account active again after a status change) resumes it.
    f.admin.execute("update postiz.social_accounts set status = 'needs_reconnect' where id = $1", &[&account]).await.unwrap();
    f.admin.execute("update postiz.social_accounts set status = 'active' where id = $1", &[&account]).await.unwrap();
    assert_eq!(watch(&f, Some(target), account).await.0, "active");

    // The post is deleted on the network: recorded as gone with the network's reason, not retried.
    let deleted =
        reqwest::Client::new().delete(format!("{}/api/posts/{remote}", f.sandbox.url())).bearer_auth("token-faults").send().await.unwrap();
    assert!(deleted.status().is_success());
    make_due(&f).await;
    let stats = job(&f).round().await.unwrap();
    assert_eq!(stats.stopped, 1, "{stats:?}");
    let (state, _, next, error, _) = watch(&f, Some(target), account).await;
    assert_eq!((state.as_str(), next), ("gone", None));
    assert!(error.unwrap().contains("no longer exists"));
    make_due(&f).await;
    assert_eq!(job(&f).round().await.unwrap().claimed, 0, "a gone post is never read again");
}

#[tokio::test]
async fn snapshots_older_than_the_plan_keeps_are_pruned() {
    let f = Fixture::new().await;
    let (account, target, _) = published(&f, "old").await;
    f.admin
        .batch_execute(&format!(
            "insert into postiz.plans (code, name, analytics_retention_days) values ('short', 'Short', 30);
             update postiz.workspaces set plan = 'short' where id = '{ws}';
             insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at) values
               ('{ws}', '{account}', '{target}', 'likes', 1, now() - interval '40 days', now() - interval '40 days'),
               ('{ws}', '{account}', '{target}', 'likes', 2, now() - interval '20 days', now() - interval '20 days');",
            ws = f.workspace
        ))
        .await
        .unwrap();
    let days = f.count(&format!("select count(*) from postiz.analytics_daily where target_id = '{target}'")).await;
    assert_eq!(days, 2, "both snapshots were rolled up");
    let pruned = job(&f).prune().await.unwrap();
    assert_eq!(pruned, 1 + 1 + 1, "one snapshot, its daily row, its account rollup");
    assert_eq!(f.count(&format!("select count(*) from postiz.analytics_events where target_id = '{target}'")).await, 1);
    assert_eq!(f.count(&format!("select count(*) from postiz.analytics_daily where target_id = '{target}'")).await, 1);
    let kept = f
        .count(&format!("select min(day - current_date)::bigint from postiz.analytics_rollups where workspace_id = '{}'", f.workspace))
        .await;
    assert!(kept >= -30, "nothing older than the plan keeps: {kept}");

    // Retention shorter than a post's cadence: the last value before today is gone with its
    // snapshot, yet a new reading gains only what it added (5 after 2), not its whole value.
    f.admin.execute("update postiz.plans set analytics_retention_days = 10 where code = 'short'", &[]).await.unwrap();
    job(&f).prune().await.unwrap();
    assert_eq!(f.count(&format!("select count(*) from postiz.analytics_events where target_id = '{target}'")).await, 0);
    f.admin
        .execute(
            "insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at)
             values ($1, $2, $3, 'likes', 5, date_trunc('hour', now()), now())",
            &[&f.workspace, &account, &target],
        )
        .await
        .unwrap();
    let gain = f
        .count(&format!(
            "select gain::bigint from postiz.analytics_daily where target_id = '{target}' and metric = 'likes' order by day desc limit 1"
        ))
        .await;
    assert_eq!(gain, 3, "gained from the last value kept");
}

#[tokio::test]
async fn the_configured_cadence_decides_when_posts_are_read() {
    let f = Fixture::new().await;
    job(&f).set_cadence(&[2, 48]).await.unwrap();
    let (account, target, _) = published(&f, "cadence").await;
    let published_at: DateTime<Utc> =
        f.admin.query_one("select published_at from postiz.post_targets where id = $1", &[&target]).await.unwrap().get(0);
    assert_eq!(watch(&f, Some(target), account).await.2, Some(published_at + chrono::Duration::hours(2)));
    make_due(&f).await;
    job(&f).round().await.unwrap();
    assert_eq!(watch(&f, Some(target), account).await.2, Some(published_at + chrono::Duration::hours(48)));
    make_due(&f).await;
    job(&f).round().await.unwrap();
    let (state, _, next, ..) = watch(&f, Some(target), account).await;
    assert_eq!((state.as_str(), next), ("done", None), "two steps, then reads stop");
    let refused = format!("{:?}", job(&f).set_cadence(&[6, 1]).await.unwrap_err());
    assert!(refused.contains("post_cadence_hours"), "{refused}");
}
