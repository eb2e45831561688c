//! Edits and cancels racing the enqueuer: whichever wins, an edited occurrence never fires at
//! its old time and nothing stale is left queued.

mod support;

use std::time::Duration;

use chrono::Utc;
use support::Fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_cancels_racing_the_enqueuer_leave_no_stale_job() {
    let f = Fixture::new().await;
    let account = f.account("racer").await;
    let store = f.store();
    for round in 0..40 {
        let (_, schedule) = f.schedule_once(&format!("race {round}"), &[account], Utc::now()).await;
        let editor = f.db.superuser().await;
        let cancel = round % 2 == 1;
        let edit = async move {
            let sql = if cancel {
                "update postiz.schedules set status = 'canceled' where id = $1"
            } else {
                "update postiz.schedules set starts_at = now() + interval '1 hour' where id = $1"
            };
            editor.execute(sql, &[&schedule]).await.unwrap();
        };
        let enqueue = postiz_worker::ticker::tick(&store, Duration::from_secs(2));
        let (_, enqueued) = tokio::join!(edit, enqueue);
        enqueued.unwrap();

        let stale = f
            .count(&format!(
                "select count(*) from postiz.queue_jobs q join postiz.schedules s on s.id = q.schedule_id
                 where s.id = '{schedule}' and q.status in ('queued', 'running', 'pending')
                   and (q.schedule_revision <> s.revision or s.status = 'canceled')"
            ))
            .await;
        assert_eq!(stale, 0, "round {round}: a job of an old revision is still live");
    }
    // Nothing of the old times may go out, whoever won each race.
    f.run_until(Duration::from_secs(4), async |_| false).await;
    assert!(f.sandbox.posts().posts.is_empty(), "{:?}", f.sandbox.posts());
}
