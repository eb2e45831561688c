//! The batched parts of the publish path against the real database: the claim that also marks
//! the first request in flight, successes recorded many at once, and post statuses derived
//! once per statement.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::time::Duration;

use chrono::Utc;
use postiz_providers::{PublishedItem, RemotePost};
use postiz_worker::recorder::Recorder;
use postiz_worker::store::{ClaimedJob, Store, Success};
use support::{Fixture, all_jobs_final};
use uuid::Uuid;

const LIMIT: Duration = Duration::from_secs(30);

/// Enqueues what is due and claims every message as `store`'s worker.
async fn claim_all(store: &Store) -> Vec<ClaimedJob> {
    postiz_worker::ticker::tick(store, Duration::from_secs(2)).await.unwrap();
    let (messages, malformed) = store.read(120, 1000).await.unwrap();
    assert!(malformed.is_empty());
    let ids: Vec<Uuid> = messages.iter().map(|m| m.job_id).collect();
    store.claim(&ids, 120.0).await.unwrap()
}

fn remote(job: &ClaimedJob) -> RemotePost {
    let id = format!("net-{}", job.id.simple());
    let url: url::Url = format!("https://sandbox.example/p/{id}").parse().unwrap();
    RemotePost { id: id.clone(), url: Some(url.clone()), items: vec![PublishedItem { index: 0, id, url: Some(url), cid: None }] }
}

#[tokio::test]
async fn the_claim_marks_a_text_jobs_first_request_in_flight_but_not_one_with_media_or_a_stale_one() {
    let f = Fixture::new().await;
    let a = f.account("ida").await;
    let (text_post, _) = f.schedule_once("Plain text", &[a], Utc::now()).await;
    let (media_post, _) = f.schedule_once("With a picture", &[a], Utc::now()).await;
    let media: Uuid = f
        .admin
        .query_one(
            "insert into postiz.media_assets (workspace_id, path, mime_type, bytes, sha256) values ($1::uuid, $1::uuid::text || '/pic/original.png', 'image/png', 10, sha256('p')) returning id",
            &[&f.workspace],
        )
        .await
        .unwrap()
        .get(0);
    f.admin
        .execute(
            "insert into postiz.post_media (workspace_id, post_id, media_id) values ($1, $2, $3)",
            &[&f.workspace, &media_post, &media],
        )
        .await
        .unwrap();
    let (stale_post, stale_schedule) = f.schedule_once("Edited after enqueue", &[a], Utc::now()).await;

    let store = f.store();
    postiz_worker::ticker::tick(&store, Duration::from_secs(2)).await.unwrap();
    // The schedule moves on after its job was read (the edit's own cancellation of the job is
    // bypassed here, as if it raced the claim): the job is stale.
    f.admin
        .batch_execute(&format!(
            "set session_replication_role = replica;
             update postiz.schedules set revision = revision + 1 where id = '{stale_schedule}';
             set session_replication_role = origin;"
        ))
        .await
        .unwrap();
    let jobs = claim_all(&store).await;
    assert_eq!(jobs.len(), 3);

    let by_post = |post: Uuid| jobs.iter().find(|j| j.post_id == post).unwrap();
    assert!(by_post(text_post).sending_marked, "a text job is marked at claim");
    assert!(by_post(text_post).sending_item.is_none(), "the payload carries the marker as it was before the claim");
    assert!(!by_post(media_post).sending_marked, "media is read before the request is marked");
    assert!(by_post(stale_post).stale && !by_post(stale_post).sending_marked, "a stale job is never marked");

    let row = |post: Uuid| {
        let admin = &f.admin;
        async move {
            admin
                .query_one(
                    "select q.sending_item, t.status::text, p.status::text, t.attempts
                     from postiz.queue_jobs q join postiz.post_targets t on t.id = q.target_id join postiz.posts p on p.id = t.post_id
                     where p.id = $1",
                    &[&post],
                )
                .await
                .unwrap()
        }
    };
    let text = row(text_post).await;
    assert_eq!(
        (text.get::<_, Option<i32>>(0), text.get::<_, String>(1), text.get::<_, String>(2), text.get::<_, i32>(3)),
        (Some(0), "publishing".into(), "publishing".into(), 1)
    );
    let with_media = row(media_post).await;
    assert_eq!((with_media.get::<_, Option<i32>>(0), with_media.get::<_, String>(1)), (None, "queued".into()));
    let stale = row(stale_post).await;
    assert_eq!((stale.get::<_, Option<i32>>(0), stale.get::<_, String>(1)), (None, "queued".into()));
}

#[tokio::test]
async fn a_worker_that_died_right_after_its_claim_leaves_a_job_that_publishes_exactly_once() {
    let f = Fixture::new().await;
    let a = f.account("jay").await;
    let (post, _) = f.schedule_once("Claimed, never sent", &[a], Utc::now()).await;
    // A worker claims (marking the request in flight) and dies before sending.
    let dead = f.store();
    let jobs = claim_all(&dead).await;
    assert!(jobs[0].sending_marked);
    f.admin.execute("update postiz.queue_jobs set lease_until = now() - interval '1 second'", &[]).await.unwrap();
    f.admin.execute("update pgmq.q_publish set vt = now()", &[]).await.unwrap();

    f.run_until(LIMIT, all_jobs_final).await;

    let report = f.sandbox.posts();
    assert_eq!(report.posts.len(), 1, "looked up, found nothing, sent once: {report:?}");
    assert_eq!(f.target_status(post).await, ["published"]);
}

#[tokio::test]
async fn successes_are_recorded_many_per_statement_with_one_activity_entry_each() {
    let f = Fixture::new().await;
    let accounts = [f.account("kim").await, f.account("lee").await, f.account("max").await];
    let mut posts = Vec::new();
    for i in 0..30 {
        posts.push(f.schedule_once(&format!("Batch {i}"), &accounts[i % 3..=i % 3], Utc::now()).await.0);
    }
    // One post on all three accounts: its three targets finish in the same statement.
    let (shared, _) = f.schedule_once("Everywhere", &accounts, Utc::now()).await;
    let store = f.store();
    let jobs = claim_all(&store).await;
    assert_eq!(jobs.len(), 33);

    let done: Vec<Success> = jobs.iter().map(|j| Success::new(j, &remote(j))).collect();
    let recorded = store.succeed_many(&done).await.unwrap();

    assert_eq!(recorded.len(), 33);
    assert_eq!(
        f.count("select count(*) from postiz.queue_jobs where status = 'succeeded' and completed_at is not null and sending_item is null")
            .await,
        33
    );
    assert_eq!(f.count("select count(*) from postiz.post_targets where status = 'published' and external_id like 'net-%' and external_url like 'https://%'").await, 33);
    assert_eq!(f.count("select count(*) from postiz.activity_logs where action = 'target.published'").await, 33);
    assert_eq!(f.count("select count(*) from postiz.posts where status = 'published' and published_at is not null").await, 31);
    assert_eq!(f.count(&format!("select count(*) from postiz.posts where id = '{shared}' and status = 'published'")).await, 1);
    assert_eq!(f.count("select count(*) from pgmq.q_publish").await, 0, "every message gone from the queue");
    assert_eq!(f.count("select count(*) from pgmq.a_publish").await, 0, "the job rows are the record; nothing copied to the archive");

    // Recording the same successes again changes nothing: the jobs are no longer running.
    assert!(store.succeed_many(&done).await.unwrap().is_empty());
    assert_eq!(f.count("select count(*) from postiz.activity_logs where action = 'target.published'").await, 33);
}

#[tokio::test]
async fn a_success_for_a_job_another_worker_took_over_is_left_to_that_worker() {
    let f = Fixture::new().await;
    let a = f.account("ned").await;
    let (post, _) = f.schedule_once("Slow first worker", &[a], Utc::now()).await;
    let first = f.store();
    let job = claim_all(&first).await.remove(0);
    // The first worker's lease runs out; a second worker claims the job.
    f.admin.execute("update postiz.queue_jobs set lease_until = now() - interval '1 second'", &[]).await.unwrap();
    let second = f.store();
    let again = second.claim(&[job.id], 120.0).await.unwrap();
    assert_eq!(again.len(), 1);

    let recorder = Recorder::spawn(first.clone());
    assert!(!recorder.succeed(&job, &remote(&job)).await.unwrap(), "the old holder records nothing");
    assert_eq!(f.target_status(post).await, ["publishing"]);
    assert_eq!(f.count("select count(*) from postiz.activity_logs where action = 'target.published'").await, 0);

    assert!(second.succeed(&again[0], &remote(&again[0])).await.unwrap());
    assert_eq!(f.target_status(post).await, ["published"]);
}

#[tokio::test]
async fn concurrent_successes_through_the_recorder_are_all_recorded_in_fewer_statements() {
    let f = Fixture::new().await;
    let a = f.account("ola").await;
    for i in 0..60 {
        f.schedule_once(&format!("Concurrent {i}"), &[a], Utc::now()).await;
    }
    let store = f.store();
    let jobs = claim_all(&store).await;
    assert_eq!(jobs.len(), 60);

    let recorder = Recorder::spawn(store.clone());
    let handles: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let recorder = recorder.clone();
            tokio::spawn(async move { recorder.succeed(&job, &remote(&job)).await.unwrap() })
        })
        .collect();
    for h in handles {
        assert!(h.await.unwrap());
    }

    assert_eq!(f.count("select count(*) from postiz.queue_jobs where status = 'succeeded'").await, 60);
    assert_eq!(f.count("select count(*) from postiz.post_targets where status = 'published'").await, 60);
    // Each statement stamps its rows with one transaction time: fewer distinct completion
    // times than jobs means several jobs shared a statement.
    let statements = f.count("select count(distinct completed_at) from postiz.queue_jobs").await;
    assert!(statements < 60, "60 concurrent successes took {statements} statements");
}

#[tokio::test]
async fn post_status_is_derived_once_per_statement_from_all_its_targets() {
    let f = Fixture::new().await;
    let accounts = [f.account("pam").await, f.account("quin").await];
    let mixed = f.post("One fails, one publishes", &accounts, Utc::now()).await;
    let both = f.post("Both publish", &accounts, Utc::now()).await;
    let started = f.post("One starts", &accounts, Utc::now()).await;
    let (recurring, _) = f.schedule_recurring("Every day", accounts[0], Utc::now(), "FREQ=DAILY", "Europe/Berlin").await;

    let set = |post: Uuid, statuses: [&'static str; 2]| {
        let admin = &f.admin;
        async move {
            admin
                .execute(
                    "update postiz.post_targets t set status = v.status::postiz.target_status
                     from (select id, (array[$2, $3])[row_number() over (order by id)] as status
                           from postiz.post_targets where post_id = $1) v
                     where t.id = v.id",
                    &[&post, &statuses[0], &statuses[1]],
                )
                .await
                .unwrap();
        }
    };
    // Several posts in one statement, as the batched recorder does.
    f.admin
        .execute("update postiz.post_targets set status = 'published' where post_id = any($1)", &[&vec![both, recurring]])
        .await
        .unwrap();
    set(mixed, ["published", "failed"]).await;
    set(started, ["publishing", "queued"]).await;

    let status = |post: Uuid| {
        let admin = &f.admin;
        async move {
            let r =
                admin.query_one("select status::text, published_at is not null from postiz.posts where id = $1", &[&post]).await.unwrap();
            (r.get::<_, String>(0), r.get::<_, bool>(1))
        }
    };
    assert_eq!(status(both).await, ("published".into(), true));
    assert_eq!(status(mixed).await, ("failed".into(), false));
    assert_eq!(status(started).await.0, "publishing");
    assert_eq!(status(recurring).await, ("scheduled".into(), true), "a recurring post stays scheduled and records the run");
}

#[tokio::test]
async fn an_unconfirmed_job_keeps_the_networks_handle_for_its_later_notification() {
    let f = Fixture::new().await;
    let a = f.account("tia").await;
    let (awaited, _) = f.schedule_once("Still processing on the network", &[a], Utc::now()).await;
    let (plain, _) = f.schedule_once("No answer at all", &[a], Utc::now()).await;
    let store = f.store();
    let jobs = claim_all(&store).await;
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        let reference = (job.post_id == awaited).then_some("v_pub_url~v2.7");
        store.finish_awaiting(job, postiz_worker::store::Final::Unconfirmed, "outcome_unknown", "may be live", reference).await.unwrap();
    }
    let kept = |post: Uuid| {
        let admin = &f.admin;
        async move {
            admin
                .query_one(
                    "select q.status::text, q.awaited_reference from postiz.queue_jobs q join postiz.post_targets t on t.id = q.target_id where t.post_id = $1",
                    &[&post],
                )
                .await
                .unwrap()
        }
    };
    let row = kept(awaited).await;
    assert_eq!((row.get::<_, String>(0), row.get::<_, Option<String>>(1)), ("unconfirmed".into(), Some("v_pub_url~v2.7".into())));
    let row = kept(plain).await;
    assert_eq!((row.get::<_, String>(0), row.get::<_, Option<String>>(1)), ("unconfirmed".into(), None));
    // The network's notification then settles the job it names, and only that one.
    let settled: String = f
        .admin
        .query_one(
            "select postiz_private.service_settle_awaited_post('sandbox', 'v_pub_url~v2.7', 'published', 'n-1', null, null, 'ev-1', '{}')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(settled, "settled");
    assert_eq!(f.target_status(awaited).await, vec!["published".to_owned()]);
    assert_eq!(f.target_status(plain).await, vec!["unconfirmed".to_owned()]);
}
