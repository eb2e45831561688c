//! Chaos: hundreds of scheduled posts on several accounts, worker processes killed with SIGKILL
//! at random moments while the sandbox network answers 5xx, 429, slowly, or records a post and
//! never answers. Afterwards every post exists exactly once on the network, and every job is in
//! a final state in the database.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::Utc;
use postiz_sandbox::FaultMix;
use rand::{Rng, SeedableRng};
use support::Fixture;

const POSTS: usize = 500;
const ACCOUNTS: usize = 12;

fn spawn_worker(f: &Fixture) -> Child {
    let b64 = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
    Command::new(env!("CARGO_BIN_EXE_postiz-worker"))
        .args(["run", "--metrics", "127.0.0.1:0"])
        .env("SUPABASE_DB_URL", f.db.url())
        // The fixture's keyring is Keyring::for_testing(): the same two fixed keys.
        .env("POSTIZ_TOKEN_ENCRYPTION_KEYS", format!("test-current:{},test-old:{}", b64(7), b64(9)))
        .env("POSTIZ_SANDBOX_URL", f.sandbox.url())
        .env("POSTIZ_CONFIG", "/nonexistent/config.toml")
        .env("POSTIZ__WORKER__PROVIDER_TIMEOUT_SECS", "2")
        .env("POSTIZ__WORKER__VISIBILITY_TIMEOUT_SECS", "4")
        .env("POSTIZ__WORKER__RETRY_BASE_MS", "300")
        .env("POSTIZ__WORKER__MAX_ATTEMPTS", "12")
        .env("POSTIZ__DATABASE__POOL_SIZE", "8")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start postiz-worker")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_and_a_flaky_network_never_lose_or_duplicate_a_post() {
    let f = Fixture::new().await;
    f.sandbox.set_mix(Some(FaultMix { seed: 42, rate_limited: 0.05, server_error: 0.05, slow: 0.05, hang: 0.03, delay_ms: 300 }));
    let mut accounts = Vec::new();
    for i in 0..ACCOUNTS {
        accounts.push(f.account(&format!("chaos{i}")).await);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let base = Utc::now() + chrono::Duration::seconds(2);
    for i in 0..POSTS {
        let account = accounts[i % ACCOUNTS];
        let at = base + chrono::Duration::milliseconds(rng.random_range(0..15_000));
        f.schedule_once(&format!("chaos post {i}"), &[account], at).await;
    }

    let mut workers = vec![spawn_worker(&f), spawn_worker(&f)];
    let started = Instant::now();
    let mut kills = 0;
    let deadline = Duration::from_secs(240);
    while started.elapsed() < deadline {
        tokio::time::sleep(Duration::from_millis(rng.random_range(500..2_500))).await;
        if f.count("select count(*) from postiz.queue_jobs where status in ('pending', 'queued', 'running')").await == 0
            && f.count("select count(*) from postiz.schedules where status = 'pending'").await == 0
        {
            break;
        }
        // Kill one worker at a random moment and start a fresh one.
        if started.elapsed() < Duration::from_secs(40) {
            let victim = rng.random_range(0..workers.len());
            workers[victim].kill().expect("SIGKILL");
            workers[victim].wait().ok();
            kills += 1;
            workers[victim] = spawn_worker(&f);
        }
    }
    for w in &mut workers {
        w.kill().ok();
        w.wait().ok();
    }

    let report = f.sandbox.posts();
    let states = f
        .admin
        .query("select status::text, count(*) from postiz.queue_jobs group by 1 order by 1", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{}={}", r.get::<_, String>(0), r.get::<_, i64>(1)))
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("chaos: {kills} kills, {} publish attempts, {} posts, jobs: {states}", report.publish_attempts, report.posts.len());
    assert!(kills >= 10, "the workers were killed repeatedly ({kills})");
    assert!(report.publish_attempts > POSTS as u64, "faults forced retries");
    assert!(report.duplicates().is_empty(), "duplicates: {:?}", report.duplicates());
    assert_eq!(report.posts.len(), POSTS, "every post exactly once on the network; jobs: {states}");
    assert_eq!(f.count("select count(*) from postiz.queue_jobs where status = 'succeeded'").await, POSTS as i64, "{states}");
    assert_eq!(
        f.count("select count(*) from postiz.post_targets where status = 'published' and external_id is not null").await,
        POSTS as i64
    );
    assert_eq!(f.count("select count(*) from postiz.posts where status <> 'published'").await, 0, "no post left in between");
    // What the network has is what the database says it has.
    let ids: Vec<String> =
        f.admin.query("select external_id from postiz.post_targets", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    let mut on_network: Vec<String> = report.posts.iter().map(|p| p.id.clone()).collect();
    let mut recorded = ids.clone();
    on_network.sort();
    recorded.sort();
    assert_eq!(recorded, on_network);
}
