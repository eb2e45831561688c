//! The publish pipeline end to end: schedules → enqueue → pgmq → worker → sandbox network →
//! recorded outcome, against the real database and a real sandbox server.

mod support;

use std::time::Duration;

use chrono::Utc;
use postiz_sandbox::{Fault, SandboxConfig};
use support::{Fixture, all_jobs_final};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn scheduled_post_goes_out_once_per_account_with_links() {
    let f = Fixture::new().await;
    let (a, b) = (f.account("alice").await, f.account("bob").await);
    let at = Utc::now() + chrono::Duration::milliseconds(1500);
    let (post, _) = f.schedule_once("Hello from the scheduler", &[a, b], at).await;

    let stats = f.run_until(LIMIT, all_jobs_final).await;

    let report = f.sandbox.posts();
    assert_eq!(report.posts.len(), 2, "one post per account: {report:?}");
    assert!(report.duplicates().is_empty());
    assert_eq!(f.target_status(post).await, ["published", "published"]);
    let urls = f
        .count(&format!(
            "select count(*) from postiz.post_targets where post_id = '{post}' and external_url like 'http%' and external_id is not null"
        ))
        .await;
    assert_eq!(urls, 2);
    assert_eq!(f.count(&format!("select count(*) from postiz.posts where id = '{post}' and status = 'published'")).await, 1);
    let row = f
        .admin
        .query_one(
            "select min(started_at - scheduled_at), bool_and(completed_at >= started_at and run_at = scheduled_at)
             from postiz.queue_jobs where status = 'succeeded'",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(1), "timings recorded in order");
    assert_eq!(stats.outcomes.get("published"), Some(&2));
}

#[tokio::test]
async fn transient_failures_are_retried_then_succeed() {
    let f = Fixture::new().await;
    let a = f.account("carol").await;
    f.sandbox.push_fault(Fault::status(503));
    f.sandbox.push_fault(Fault::status(502));
    let (post, _) = f.schedule_once("Try again", &[a], Utc::now()).await;

    f.run_until(LIMIT, all_jobs_final).await;

    assert_eq!(f.sandbox.posts().posts.len(), 1);
    assert_eq!(f.target_status(post).await, ["published"]);
    assert_eq!(f.count("select attempt::bigint from postiz.queue_jobs").await, 3, "two failures, then success");
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after() {
    let f = Fixture::new().await;
    let a = f.account("dave").await;
    f.sandbox.push_fault(Fault::rate_limited(3));
    let (post, _) = f.schedule_once("Slow down", &[a], Utc::now()).await;
    let started = std::time::Instant::now();

    f.run_until(LIMIT, all_jobs_final).await;

    assert_eq!(f.target_status(post).await, ["published"]);
    assert!(started.elapsed() >= Duration::from_secs(3), "waited for Retry-After");
    assert_eq!(f.count("select (throttling ->> 'retry_after_secs')::bigint from postiz.queue_jobs").await, 3);
}

#[tokio::test]
async fn permanent_rejection_fails_at_once_with_the_networks_reason() {
    let f = Fixture::new().await;
    let a = f.account("erin").await;
    f.sandbox.push_fault(Fault::status(400));
    let (post, _) = f.schedule_once("Refused", &[a], Utc::now()).await;

    f.run_until(LIMIT, all_jobs_final).await;

    assert_eq!(f.target_status(post).await, ["failed"]);
    let row = f.admin.query_one("select attempt, last_error_code, last_error_message from postiz.queue_jobs", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 1, "never retried");
    assert_eq!(row.get::<_, String>(1), "rejected");
    assert!(!row.get::<_, String>(2).is_empty());
    assert_eq!(f.count(&format!("select count(*) from postiz.posts where id = '{post}' and status = 'failed'")).await, 1);
}

#[tokio::test]
async fn timeout_after_the_network_accepted_is_reconciled_not_reposted() {
    let f = Fixture::new().await;
    let a = f.account("frank").await;
    // The sandbox records the post, then never answers: our request times out.
    f.sandbox.push_fault(Fault::hang().after_commit());
    let (post, _) = f.schedule_once("Did it go out?", &[a], Utc::now()).await;

    f.run_until(LIMIT, all_jobs_final).await;

    let report = f.sandbox.posts();
    assert_eq!(report.posts.len(), 1, "found by reconciliation, not posted again: {report:?}");
    assert_eq!(f.target_status(post).await, ["published"]);
    let external: String = f.admin.query_one("select external_id from postiz.post_targets", &[]).await.unwrap().get(0);
    assert_eq!(external, report.posts[0].id);
}

#[tokio::test]
async fn timeout_before_anything_was_recorded_is_retried_once_looked_up() {
    let f = Fixture::new().await;
    let a = f.account("gina").await;
    f.sandbox.push_fault(Fault::hang());
    let (post, _) = f.schedule_once("Lost in transit", &[a], Utc::now()).await;

    f.run_until(LIMIT, all_jobs_final).await;

    assert_eq!(f.sandbox.posts().posts.len(), 1);
    assert_eq!(f.target_status(post).await, ["published"]);
}

#[tokio::test]
async fn crash_while_a_request_was_out_recovers_without_duplicate() {
    let f = Fixture::new().await;
    let a = f.account("hank").await;
    let (post, _) = f.schedule_once("Crash test", &[a], Utc::now()).await;
    // Enqueue, then play a worker that claimed the job, sent the request (the network got it)
    // and died before recording anything.
    let store = f.store();
    postiz_worker::ticker::tick(&store, Duration::from_secs(2)).await.unwrap();
    let job: uuid::Uuid = f.admin.query_one("select id from postiz.queue_jobs", &[]).await.unwrap().get(0);
    f.admin
        .execute(
            "update postiz.queue_jobs set status = 'running', attempt = 1, started_at = now(), worker_id = 'dead',
                    lease_until = now() - interval '1 second', sending_item = 0, sending_since = now() where id = $1",
            &[&job],
        )
        .await
        .unwrap();
    let registry = f.registry();
    let provider = registry.get(postiz_domain::Network::Sandbox).unwrap();
    let token = secrecy::SecretString::from("token-hank".to_owned());
    provider
        .publish(&token, &postiz_providers::AccountRef::new("hank"), &postiz_providers::PublishRequest::text(job.to_string(), "Crash test"))
        .await
        .unwrap();
    assert_eq!(f.sandbox.posts().posts.len(), 1);

    f.run_until(LIMIT, all_jobs_final).await;

    assert_eq!(f.sandbox.posts().posts.len(), 1, "the recovering worker found the post instead of re-sending");
    assert_eq!(f.target_status(post).await, ["published"]);
}

#[tokio::test]
async fn editing_a_schedule_cancels_the_job_already_enqueued() {
    let f = Fixture::new().await;
    let a = f.account("ivy").await;
    let (post, schedule) = f.schedule_once("Moved", &[a], Utc::now() + chrono::Duration::seconds(1)).await;
    postiz_worker::ticker::tick(&f.store(), Duration::from_secs(2)).await.unwrap();
    assert_eq!(f.count("select count(*) from postiz.queue_jobs where status = 'queued'").await, 1);

    f.admin.execute("update postiz.schedules set starts_at = now() + interval '1 hour' where id = $1", &[&schedule]).await.unwrap();
    assert_eq!(f.count("select count(*) from postiz.queue_jobs where status = 'canceled'").await, 1, "stale job canceled at once");

    f.run_until(Duration::from_secs(4), async |_| false).await;
    assert!(f.sandbox.posts().posts.is_empty(), "nothing fired at the old time");
    assert_eq!(f.target_status(post).await, ["pending"], "target waits for the new time");
    let pending: i64 = f.count(&format!("select count(*) from postiz.schedules where id = '{schedule}' and status = 'pending' and next_run_at > now() + interval '50 minutes'")).await;
    assert_eq!(pending, 1);
}

#[tokio::test]
async fn recurring_schedule_fires_then_moves_to_its_next_occurrence() {
    let f = Fixture::new().await;
    let a = f.account("jack").await;
    let start = Utc::now() + chrono::Duration::milliseconds(500);
    let (_, schedule) = f.schedule_recurring("Daily tip", a, start, "FREQ=DAILY", "Europe/Berlin").await;

    f.run_until(LIMIT, async |c| {
        c.query_one("select count(*) = 1 from postiz.queue_jobs where status = 'succeeded'", &[]).await.unwrap().get(0)
    })
    .await;
    // Give the advancer a tick.
    postiz_worker::ticker::advance(&f.store(), Utc::now()).await.unwrap();

    assert_eq!(f.sandbox.posts().posts.len(), 1);
    let next: chrono::DateTime<Utc> =
        f.admin.query_one("select next_run_at from postiz.schedules where id = $1", &[&schedule]).await.unwrap().get(0);
    let expected = start + chrono::Duration::days(1);
    assert!((next - expected).num_seconds().abs() <= 1, "next {next} vs {expected}");
}

#[tokio::test]
async fn refused_credentials_pause_the_account_with_an_actionable_error() {
    let f = Fixture::with_sandbox(SandboxConfig::default()).await;
    let a = f.account("expired").await;
    // The sandbox refuses the token "expired"; our account's token is "token-expired", so
    // store that exact token instead.
    let sealed = f.keyring.encrypt(
        &secrecy::SecretString::from("expired".to_owned()),
        &postiz_vault::Binding { workspace_id: f.workspace, social_account_id: a, field: postiz_vault::Field::AccessToken },
    );
    f.admin
        .execute(
            "update postiz.credentials set access_token_key_id = $2, access_token_nonce = $3, access_token_ciphertext = $4 where social_account_id = $1",
            &[&a, &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
        )
        .await
        .unwrap();
    let (post, _) = f.schedule_once("Needs a token", &[a], Utc::now()).await;
    // Its author, an editor: the one whose post is at risk now.
    let author = f.db.create_user("ed@example.com").await.id;
    f.admin
        .execute("insert into postiz.workspace_members (workspace_id, user_id, role) values ($1, $2, 'editor')", &[&f.workspace, &author])
        .await
        .unwrap();
    f.admin.execute("update postiz.posts set author_id = $2 where id = $1", &[&post, &author]).await.unwrap();

    f.run_until(LIMIT, async |c| {
        c.query_one("select count(*) = 1 from postiz.queue_jobs where last_error_code = 'account_needs_reconnect'", &[])
            .await
            .unwrap()
            .get(0)
    })
    .await;

    assert!(f.sandbox.posts().posts.is_empty());
    assert_eq!(f.count(&format!("select count(*) from postiz.social_accounts where id = '{a}' and status = 'needs_reconnect'")).await, 1);
    assert_eq!(f.target_status(post).await, ["pending"]);
    let msg: String = f.admin.query_one("select last_error_message from postiz.queue_jobs", &[]).await.unwrap().get(0);
    assert!(msg.starts_with("Reconnect this account"), "{msg}");
    assert_eq!(f.count("select count(*) from postiz.activity_logs where action = 'account.needs_reconnect'").await, 1);
    // The author of the post being published is told, of that post.
    let told: Vec<Option<String>> = f
        .admin
        .query("select details ->> 'post_id' from postiz.notifications where user_id = $1 and kind = 'account_needs_reconnect'", &[&author])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(told, [Some(post.to_string())]);
}

#[tokio::test]
async fn a_thread_resumes_after_its_last_published_item() {
    let f = Fixture::new().await;
    let a = f.account("kate").await;
    let at = Utc::now();
    let (post, _) = f.schedule_once("Thread start", &[a], at).await;
    f.admin
        .execute(
            "insert into postiz.post_variants (workspace_id, post_id, network, thread_items, first_comment)
             values ($1, $2, 'sandbox', '[{\"text\": \"second\"}, {\"text\": \"third\"}]', 'comment')",
            &[&f.workspace, &post],
        )
        .await
        .unwrap();
    // Item 0 goes out, item 1 fails with a 503: the retry must not post item 0 again.
    f.sandbox.push_fault(Fault::slow(1));
    f.sandbox.push_fault(Fault::status(503));

    f.run_until(LIMIT, all_jobs_final).await;

    let report = f.sandbox.posts();
    assert!(report.duplicates().is_empty(), "{report:?}");
    let texts: Vec<&str> = report.posts.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["Thread start", "second", "third", "comment"]);
    assert_eq!(f.target_status(post).await, ["published"]);
    let items = f.count("select jsonb_array_length(published_items)::bigint from postiz.post_targets").await;
    assert_eq!(items, 4);
}

#[tokio::test]
async fn a_job_whose_message_was_lost_is_swept_back_in() {
    let f = Fixture::new().await;
    let a = f.account("liam").await;
    let (post, _) = f.schedule_once("Lost message", &[a], Utc::now()).await;
    let store = f.store();
    postiz_worker::ticker::tick(&store, Duration::from_secs(2)).await.unwrap();
    // An operator purges the queue; the job row still says queued, three minutes overdue.
    f.admin.batch_execute("delete from pgmq.q_publish; update postiz.queue_jobs set run_at = now() - interval '3 minutes'").await.unwrap();

    assert_eq!(store.sweep_lost().await.unwrap(), 1);
    f.run_until(LIMIT, all_jobs_final).await;

    assert_eq!(f.target_status(post).await, ["published"]);
    assert_eq!(f.sandbox.posts().posts.len(), 1);
}

#[tokio::test]
async fn sigterm_finishes_in_flight_jobs_before_exiting() {
    use base64::Engine;
    let f = Fixture::new().await;
    let accounts = [f.account("m1").await, f.account("m2").await, f.account("m3").await];
    for (i, a) in accounts.iter().enumerate() {
        f.schedule_once(&format!("slow {i}"), &[*a], Utc::now()).await;
    }
    f.sandbox.set_mix(Some(postiz_sandbox::FaultMix { seed: 1, slow: 1.0, delay_ms: 1500, ..Default::default() }));
    let b64 = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
    let mut worker = std::process::Command::new(env!("CARGO_BIN_EXE_postiz-worker"))
        .args(["run", "--metrics", "127.0.0.1:0"])
        .env("SUPABASE_DB_URL", f.db.url())
        .env("POSTIZ_TOKEN_ENCRYPTION_KEYS", format!("test-current:{},test-old:{}", b64(7), b64(9)))
        .env("POSTIZ_SANDBOX_URL", f.sandbox.url())
        .env("POSTIZ_CONFIG", "/nonexistent/config.toml")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until all three are in flight, then ask the worker to stop.
    let started = std::time::Instant::now();
    while f.count("select count(*) from postiz.queue_jobs where status = 'running'").await < 3 {
        assert!(started.elapsed() < Duration::from_secs(20), "jobs never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::process::Command::new("kill").arg(worker.id().to_string()).status().unwrap();
    // Wait off the test's runtime thread: the sandbox answering the in-flight requests runs on it.
    let status = tokio::task::spawn_blocking(move || worker.wait()).await.unwrap().unwrap();

    assert!(status.success(), "clean exit after SIGTERM: {status}");
    assert_eq!(f.count("select count(*) from postiz.queue_jobs where status = 'succeeded'").await, 3, "in-flight work finished");
    assert_eq!(f.sandbox.posts().posts.len(), 3);
}

#[tokio::test]
async fn a_recurring_post_stays_scheduled_and_editable_after_a_run() {
    let f = Fixture::new().await;
    let a = f.account("nora").await;
    let (post, _) = f.schedule_recurring("Weekly", a, Utc::now() + chrono::Duration::milliseconds(300), "FREQ=WEEKLY", "UTC").await;

    f.run_until(LIMIT, async |c| {
        c.query_one("select count(*) = 1 from postiz.queue_jobs where status = 'succeeded'", &[]).await.unwrap().get(0)
    })
    .await;

    let row = f.admin.query_one("select status::text, published_at is not null from postiz.posts where id = $1", &[&post]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "scheduled", "it will run again next week");
    assert!(row.get::<_, bool>(1), "the run is recorded");
    assert_eq!(f.target_status(post).await, ["published"]);
}

#[tokio::test]
async fn attached_media_is_uploaded_with_the_post_and_a_missing_file_fails_clearly() {
    let f = Fixture::new().await;
    let a = f.account("olga").await;
    let (post, _) = f.schedule_once("With a picture", &[a], Utc::now() + chrono::Duration::milliseconds(300)).await;
    let asset = uuid::Uuid::new_v4();
    let path = format!("{}/{asset}/original.png", f.workspace);
    // A real (tiny) PNG: the worker decodes it to make the network's variant.
    let png = postiz_media::samples::png(&image_of(10, 10));
    f.media.put(&path, bytes::Bytes::from(png)).await.unwrap();
    f.admin
        .execute(
            "insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256, width, height)
             values ($1, $2, $3, 'image/png', 24, sha256('x'), 10, 10)",
            &[&asset, &f.workspace, &path],
        )
        .await
        .unwrap();
    f.admin
        .execute(
            "insert into postiz.post_media (workspace_id, post_id, media_id, alt_text) values ($1, $2, $3, 'a dot')",
            &[&f.workspace, &post, &asset],
        )
        .await
        .unwrap();

    f.run_until(LIMIT, all_jobs_final).await;

    let report = f.sandbox.posts();
    assert_eq!(report.posts.len(), 1, "{report:?}");
    assert_eq!(report.posts[0].media_ids.len(), 1, "the image went up with the post");
    assert_eq!(f.target_status(post).await, ["published"]);

    // A second post whose file is gone from storage fails with a message saying so.
    let (gone, _) = f.schedule_once("Lost picture", &[a], Utc::now()).await;
    let missing = uuid::Uuid::new_v4();
    f.admin
        .execute(
            "insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256) values ($1, $2, $3, 'image/png', 1, sha256('y'))",
            &[&missing, &f.workspace, &format!("{}/{missing}/original.png", f.workspace)],
        )
        .await
        .unwrap();
    f.admin
        .execute("insert into postiz.post_media (workspace_id, post_id, media_id) values ($1, $2, $3)", &[&f.workspace, &gone, &missing])
        .await
        .unwrap();
    f.run_until(LIMIT, all_jobs_final).await;
    assert_eq!(f.target_status(gone).await, ["failed"]);
    let code: String = f
        .admin
        .query_one(
            "select q.last_error_code from postiz.queue_jobs q join postiz.post_targets t on t.id = q.target_id where t.post_id = $1",
            &[&gone],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(code, "media_missing");
    assert_eq!(f.sandbox.posts().posts.len(), 1, "nothing sent for the broken post");
}

fn image_of(width: u32, height: u32) -> postiz_media::samples::DynamicImage {
    postiz_media::samples::DynamicImage::ImageRgb8(postiz_media::samples::photo(width, height))
}
