//! `cargo xtask bench worker`: the publish worker as a separate release-built process against a
//! sandbox network process with a fixed latency, on a database of its own. Prints numbers;
//! asserts nothing.
//!
//! - **drain**: N jobs already due; jobs per second until all are published, and the worker's
//!   CPU time (user + system, from /proc) per job.
//! - **steady**: 100 posts per second for a while; lateness = started publishing − scheduled.
//! - **burst**: 10,000 posts due in the same second; lateness of each.
//! - **memory**: worker RSS when idle, and with 1,000 jobs in flight (sandbox answering slowly).
//! - **analytics**: after publishing N posts, every post's and account's first reading made due
//!   at once; snapshots recorded per second by the `ingest_analytics` job (its read budget per
//!   account and the claim's publish-first rule apply), until all are read.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine;
use clap::Args;
use postiz_testkit::TestDatabase;
use postiz_vault::{Binding, Field, Keyring};
use secrecy::SecretString;
use serde_json::json;
use tokio_postgres::Client;
use uuid::Uuid;

use crate::root;

/// Options of `bench worker`.
#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// Jobs in the drain run.
    #[arg(long, default_value_t = 100_000)]
    drain_jobs: i64,
    /// Sandbox latency for drain, steady and burst, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Social accounts the jobs are spread over.
    #[arg(long, default_value_t = 1000)]
    accounts: i64,
    /// Seconds of the steady run (100 posts per second).
    #[arg(long, default_value_t = 30)]
    steady_secs: i64,
    /// Posts due in the same second in the burst run.
    #[arg(long, default_value_t = 10_000)]
    burst_posts: i64,
    /// Posts published, then read, in the analytics run.
    #[arg(long, default_value_t = 10_000)]
    analytics_posts: i64,
    /// Run only these parts (memory, drain, steady, burst, analytics); all when absent.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

impl WorkerArgs {
    fn wants(&self, part: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|p| p == part)
    }
}

const KEY_SPEC_BYTE: u8 = 42;

fn key_spec() -> String {
    format!("bench:{}", base64::engine::general_purpose::STANDARD.encode([KEY_SPEC_BYTE; 32]))
}

pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    println!("building release binaries (postiz-worker, postiz-sandbox)…");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "-p", "postiz-worker", "-p", "postiz-sandbox"])
        .current_dir(root())
        .status()?;
    if !status.success() {
        bail!("release build failed");
    }
    let sandbox = SandboxProcess::start()?;
    sandbox.set_latency(args.latency_ms).await?;
    println!("sandbox at {} answering after {} ms", sandbox.url, args.latency_ms);

    if args.wants("memory") {
        memory(&sandbox).await?;
        sandbox.set_latency(args.latency_ms).await?;
    }
    if args.wants("drain") {
        drain(&sandbox, &args).await?;
    }
    if args.wants("steady") {
        steady(&sandbox, &args).await?;
    }
    if args.wants("burst") {
        burst(&sandbox, &args).await?;
    }
    if args.wants("analytics") {
        analytics(&sandbox, &args).await?;
    }
    Ok(())
}

async fn analytics(sandbox: &SandboxProcess, args: &WorkerArgs) -> anyhow::Result<()> {
    let bench = BenchDb::new(args.accounts).await?;
    let n = args.analytics_posts;
    bench.schedule(n, -1000, 0.0).await?;
    bench.enqueue_all(1.0).await?;
    let worker = WorkerProcess::start(&bench.db, &sandbox.url, 512)?;
    wait_done(&bench, n, 600).await?;
    worker.stop();
    let watches = bench.count("select count(*) from postiz.analytics_watches where state = 'active'").await?;
    bench
        .admin
        .batch_execute("update postiz.analytics_watches set next_fetch_at = now(), last_fetched_at = null where state = 'active'; analyze")
        .await?;
    let before = bench.count("select count(*) from postiz.analytics_events").await?;
    let worker = WorkerProcess::start(&bench.db, &sandbox.url, 512)?;
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let read = bench.count("select count(*) from postiz.analytics_watches where last_fetched_at is not null").await?;
        if read >= watches || started.elapsed() > Duration::from_secs(900) {
            break;
        }
    }
    let elapsed: f64 = bench
        .admin
        .query_one(
            "select extract(epoch from max(last_fetched_at) - min(last_fetched_at))::double precision from postiz.analytics_watches where last_fetched_at is not null",
            &[],
        )
        .await?
        .get::<_, Option<f64>>(0)
        .unwrap_or_else(|| started.elapsed().as_secs_f64())
        .max(0.001);
    let cpu = worker.cpu_ms()?;
    worker.stop();
    let read = bench.count("select count(*) from postiz.analytics_watches where last_fetched_at is not null").await?;
    let snapshots = bench.count("select count(*) from postiz.analytics_events").await? - before;
    let rolled = bench.count("select count(*) from postiz.analytics_daily").await?;
    println!(
        "\nanalytics: {read} of {watches} watches read ({n} posts, {} accounts) in {elapsed:.1} s: {:.0} readings/s, {snapshots} snapshots = {:.0} snapshots/s \
         (rolled up as they arrive: {rolled} daily rows); worker CPU {:.2} ms per reading",
        args.accounts,
        read as f64 / elapsed,
        snapshots as f64 / elapsed,
        cpu / read.max(1) as f64
    );
    Ok(())
}

/// A database with `accounts` sandbox accounts holding encrypted tokens.
struct BenchDb {
    db: TestDatabase,
    admin: Client,
    workspace: Uuid,
}

impl BenchDb {
    async fn new(accounts: i64) -> anyhow::Result<Self> {
        let db = TestDatabase::new().await;
        let admin = db.superuser().await;
        let workspace: Uuid =
            admin.query_one("insert into postiz.workspaces (name, slug) values ('Bench', 'bench') returning id", &[]).await?.get(0);
        let ids: Vec<Uuid> = admin
            .query(
                "insert into postiz.social_accounts (workspace_id, network, external_account_id, handle)
                 select $1, 'sandbox', 'acct' || i, 'acct' || i from generate_series(1, $2::bigint) i returning id",
                &[&workspace, &accounts],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let keyring = Keyring::parse(&SecretString::from(key_spec()))?;
        let statement = admin
            .prepare(
                "insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
                 values ($1, $2, $3, $4, $5)",
            )
            .await?;
        for id in ids {
            let sealed = keyring.encrypt(
                &SecretString::from(format!("token-{id}")),
                &Binding { workspace_id: workspace, social_account_id: id, field: Field::AccessToken },
            );
            admin.execute(&statement, &[&id, &workspace, &sealed.key_id, &sealed.nonce, &sealed.ciphertext]).await?;
        }
        Ok(Self { db, admin, workspace })
    }

    /// `n` one-shot posts, round-robin over the accounts, the i-th due at
    /// `first + i * spacing_ms`. Loaded set-based with triggers off (consistent by construction).
    async fn schedule(&self, n: i64, first_in_ms: i64, spacing_ms: f64) -> anyhow::Result<()> {
        self.admin.batch_execute("set session_replication_role = replica").await?;
        self.admin
            .execute(
                "with accts as (select id, row_number() over (order by id) - 1 as k, count(*) over () as n from postiz.social_accounts where workspace_id = $1),
                      p as (
                        insert into postiz.posts (workspace_id, status, content, scheduled_at)
                        select $1, 'scheduled', 'bench post ' || i,
                               now() + make_interval(secs => ($3::double precision + i * $4::double precision) / 1000.0)
                        from generate_series(0, $2::bigint - 1) i
                        returning id, scheduled_at, (regexp_replace(content, '\\D', '', 'g'))::bigint as i),
                      t as (
                        insert into postiz.post_targets (workspace_id, post_id, social_account_id)
                        select $1, p.id, a.id from p join accts a on a.k = p.i % a.n
                        returning post_id)
                 insert into postiz.schedules (workspace_id, kind, post_id, starts_at, next_run_at, time_zone)
                 select $1, 'once', p.id, p.scheduled_at, p.scheduled_at, 'UTC' from p",
                &[&self.workspace, &n, &(first_in_ms as f64), &spacing_ms],
            )
            .await?;
        self.admin.batch_execute("set session_replication_role = origin; analyze").await?;
        Ok(())
    }

    /// Runs the enqueuer until nothing due within `horizon` is left.
    async fn enqueue_all(&self, horizon_secs: f64) -> anyhow::Result<()> {
        loop {
            let n: i32 = self
                .admin
                .query_one("select postiz_private.service_enqueue_due(make_interval(secs => $1::double precision), 5000)", &[&horizon_secs])
                .await?
                .get(0);
            if n == 0 {
                return Ok(());
            }
        }
    }

    async fn count(&self, sql: &str) -> anyhow::Result<i64> {
        Ok(self.admin.query_one(sql, &[]).await?.get(0))
    }

    /// Lateness percentiles (ms) of succeeded jobs: started − scheduled and completed − scheduled.
    async fn lateness(&self) -> anyhow::Result<String> {
        let r = self
            .admin
            .query_one(
                "with l as (select (extract(epoch from started_at - scheduled_at) * 1000)::double precision as s,
                                   (extract(epoch from completed_at - scheduled_at) * 1000)::double precision as c
                            from postiz.queue_jobs where status = 'succeeded')
                 select count(*)::bigint,
                        percentile_cont(0.5) within group (order by s), percentile_cont(0.99) within group (order by s), max(s),
                        percentile_cont(0.5) within group (order by c), percentile_cont(0.99) within group (order by c), max(c)
                 from l",
                &[],
            )
            .await?;
        let f = |i: usize| r.get::<_, Option<f64>>(i).unwrap_or(f64::NAN);
        Ok(format!(
            "{} jobs; started − scheduled: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; published − scheduled: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            r.get::<_, i64>(0),
            f(1),
            f(2),
            f(3),
            f(4),
            f(5),
            f(6)
        ))
    }
}

async fn memory(sandbox: &SandboxProcess) -> anyhow::Result<()> {
    let bench = BenchDb::new(1000).await?;
    let worker = WorkerProcess::start(&bench.db, &sandbox.url, 1000)?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = worker.rss_kb()?;
    // 1,000 jobs, one per account, against a sandbox that takes 5 s to answer.
    sandbox.set_latency(5_000).await?;
    bench.schedule(1000, 0, 0.0).await?;
    let started = Instant::now();
    let mut peak = 0;
    let mut peak_in_flight = 0;
    while started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let in_flight = bench.count("select count(*) from postiz.queue_jobs where status = 'running'").await?;
        if in_flight >= peak_in_flight {
            peak_in_flight = in_flight;
            peak = peak.max(worker.rss_kb()?);
        }
        if bench.count("select count(*) from postiz.queue_jobs where status = 'succeeded'").await? == 1000 {
            break;
        }
    }
    worker.stop();
    println!(
        "\nmemory: worker RSS idle {:.1} MB; with {} jobs in flight {:.1} MB",
        idle as f64 / 1024.0,
        peak_in_flight,
        peak as f64 / 1024.0
    );
    Ok(())
}

async fn drain(sandbox: &SandboxProcess, args: &WorkerArgs) -> anyhow::Result<()> {
    let bench = BenchDb::new(args.accounts).await?;
    let setup = Instant::now();
    bench.schedule(args.drain_jobs, -1000, 0.0).await?;
    bench.enqueue_all(1.0).await?;
    println!(
        "\ndrain: {} jobs enqueued in {:.1} s (setup, not measured)",
        bench.count("select count(*) from postiz.queue_jobs").await?,
        setup.elapsed().as_secs_f64()
    );
    let worker = WorkerProcess::start(&bench.db, &sandbox.url, 512)?;
    let started = Instant::now();
    let cpu_before = worker.cpu_ms()?;
    let db_cpu_before = postgres_cpu_ms();
    let sandbox_cpu_before = process_cpu_ms(sandbox.child.id())?;
    // Polled every 3 s (a count over 100k jobs costs the database too); the rate comes from
    // the jobs' own timestamps, so the polling interval does not blur it.
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let done = bench.count("select count(*) from postiz.queue_jobs where status in ('succeeded', 'failed', 'unconfirmed')").await?;
        if done >= args.drain_jobs || started.elapsed() > Duration::from_secs(1800) {
            break;
        }
    }
    let elapsed: f64 = bench
        .admin
        .query_one(
            "select extract(epoch from max(completed_at) - min(started_at))::double precision from postiz.queue_jobs where status = 'succeeded'",
            &[],
        )
        .await?
        .get::<_, Option<f64>>(0)
        .unwrap_or_else(|| started.elapsed().as_secs_f64());
    let cpu = worker.cpu_ms()? - cpu_before;
    let db_cpu = postgres_cpu_ms() - db_cpu_before;
    let sandbox_cpu = process_cpu_ms(sandbox.child.id())? - sandbox_cpu_before;
    worker.stop();
    let ok = bench.count("select count(*) from postiz.queue_jobs where status = 'succeeded'").await?;
    println!(
        "drain: {ok} published in {elapsed:.1} s = {:.0} jobs/s; worker CPU {:.2} ms per job ({:.1} s in all)",
        ok as f64 / elapsed,
        cpu / ok.max(1) as f64,
        cpu / 1000.0
    );
    println!(
        "drain: PostgreSQL CPU {:.2} ms per job (all server processes, other activity on the cluster included)",
        db_cpu / ok.max(1) as f64
    );
    println!("drain: sandbox network CPU {:.2} ms per job (the stand-in network, not our code)", sandbox_cpu / ok.max(1) as f64);
    Ok(())
}

/// User + system CPU of every `postgres` process on the machine, in milliseconds.
fn postgres_cpu_ms() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| stat.contains("(postgres)"))
        .filter_map(|stat| stat_cpu_ms(&stat))
        .sum()
}

async fn steady(sandbox: &SandboxProcess, args: &WorkerArgs) -> anyhow::Result<()> {
    let bench = BenchDb::new(args.accounts).await?;
    let worker = WorkerProcess::start(&bench.db, &sandbox.url, 512)?;
    let n = args.steady_secs * 100;
    bench.schedule(n, 3000, 10.0).await?;
    wait_done(&bench, n, args.steady_secs as u64 + 60).await?;
    worker.stop();
    println!("\nsteady 100 posts/s for {} s: {}", args.steady_secs, bench.lateness().await?);
    Ok(())
}

async fn burst(sandbox: &SandboxProcess, args: &WorkerArgs) -> anyhow::Result<()> {
    let bench = BenchDb::new(args.accounts).await?;
    let worker = WorkerProcess::start(&bench.db, &sandbox.url, 512)?;
    bench.schedule(args.burst_posts, 5000, 0.0).await?;
    wait_done(&bench, args.burst_posts, 300).await?;
    worker.stop();
    println!("\nburst of {} posts due in the same second: {}", args.burst_posts, bench.lateness().await?);
    Ok(())
}

async fn wait_done(bench: &BenchDb, n: i64, limit_secs: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(limit_secs) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if bench.count("select count(*) from postiz.queue_jobs where status in ('succeeded', 'failed', 'unconfirmed')").await? >= n {
            return Ok(());
        }
    }
    Ok(())
}

/// Resident memory of process `pid` in KiB (`VmRSS` of /proc).
pub(crate) fn rss_kb(pid: u32) -> anyhow::Result<u64> {
    status_kb(pid, "VmRSS")
}

/// Peak resident memory of process `pid` so far in KiB (`VmHWM` of /proc).
pub(crate) fn peak_rss_kb(pid: u32) -> anyhow::Result<u64> {
    status_kb(pid, "VmHWM")
}

fn status_kb(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.split(':').next() == Some(field)).with_context(|| field.to_owned())?;
    Ok(line.split_whitespace().nth(1).with_context(|| format!("{field} value"))?.parse()?)
}

/// User + system CPU time of process `pid` in milliseconds.
pub(crate) fn process_cpu_ms(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    stat_cpu_ms(&stat).context("unreadable /proc stat")
}

/// User + system CPU time from a `/proc/<pid>/stat` line, in milliseconds (clock ticks are
/// 1/100 s on Linux).
fn stat_cpu_ms(stat: &str) -> Option<f64> {
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) * 10.0)
}

fn release_bin(name: &str) -> PathBuf {
    root().join("target/release").join(name)
}

struct SandboxProcess {
    child: Child,
    url: String,
    http: reqwest::Client,
}

impl SandboxProcess {
    fn start() -> anyhow::Result<Self> {
        let port = free_port()?;
        let child = Command::new(release_bin("postiz-sandbox"))
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting postiz-sandbox")?;
        std::thread::sleep(Duration::from_millis(300));
        Ok(Self { child, url: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new() })
    }

    async fn set_latency(&self, ms: u64) -> anyhow::Result<()> {
        self.http.delete(format!("{}/_control/faults", self.url)).send().await?.error_for_status()?;
        self.http
            .post(format!("{}/_control/faults", self.url))
            .json(&json!({"queue": [], "mix": {"seed": 1, "slow": 1.0, "delay_ms": ms}}))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

struct WorkerProcess {
    child: Child,
}

impl WorkerProcess {
    fn start(db: &TestDatabase, sandbox: &str, max_in_flight: usize) -> anyhow::Result<Self> {
        let child = Command::new(release_bin("postiz-worker"))
            .args(["run", "--metrics", "127.0.0.1:0"])
            .env("SUPABASE_DB_URL", db.url())
            .env("POSTIZ_TOKEN_ENCRYPTION_KEYS", key_spec())
            .env("POSTIZ_SANDBOX_URL", sandbox)
            .env("POSTIZ_CONFIG", "/nonexistent/config.toml")
            .env("POSTIZ__WORKER__MAX_IN_FLIGHT", max_in_flight.to_string())
            .env("POSTIZ__WORKER__BATCH_SIZE", "256")
            .env("POSTIZ__DATABASE__POOL_SIZE", "16")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting postiz-worker")?;
        Ok(Self { child })
    }

    fn rss_kb(&self) -> anyhow::Result<u64> {
        rss_kb(self.child.id())
    }

    fn cpu_ms(&self) -> anyhow::Result<f64> {
        process_cpu_ms(self.child.id())
    }

    fn stop(mut self) {
        // SIGTERM via `kill`, then wait: the worker finishes in-flight jobs and exits.
        Command::new("kill").arg(self.child.id().to_string()).status().ok();
        self.child.wait().ok();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
