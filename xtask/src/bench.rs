//! `cargo xtask bench calendar`: the calendar query under row-level security versus the same
//! query as service_role (which bypasses RLS), at growing data sizes. Prints numbers; asserts
//! nothing.
//!
//! Data: 1,000 workspaces, each with an owner (who is also editor and viewer of the next two
//! workspaces, so their policies' workspace lists hold three ids), three social accounts, and
//! posts spread evenly over the workspaces and over one year, two targets per post. It is loaded
//! with set-based SQL as the superuser with triggers off (`session_replication_role = replica`:
//! no activity-log rows, no foreign-key checks; the rows are consistent by construction) into a
//! database cloned from the migrated test template, then vacuumed and analysed. Sizes are
//! cumulative: the 100k run adds 90k posts to the 10k data set.
//!
//! Measurement: for each sample a random workspace and a random 31-day window; the same samples
//! run as `authenticated` (the workspace owner's claims, RLS on) and as `service_role`,
//! interleaved so that load from elsewhere on the machine hits both alike. Latency is wall time
//! at the client over loopback TCP, including transfer of the rows.

use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use clap::{Args, Subcommand};
use postiz_testkit::TestDatabase;
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

/// Benchmarks.
#[derive(Subcommand, Debug)]
pub enum Bench {
    /// The calendar query (one workspace, 31 days, joined to targets and accounts).
    Calendar(CalendarArgs),
    /// The analytics queries on a large history (authenticated vs service_role) and the
    /// incremental rollups' cost for a burst of snapshots.
    Analytics(crate::bench_analytics::AnalyticsArgs),
    /// The publish worker: drain rate, CPU per job, lateness, memory.
    Worker(crate::bench_worker::WorkerArgs),
    /// Image variants: a 24 MP photo for Instagram and for Bluesky's 1 MB cap (time, peak RSS),
    /// and a 100 MP image refused before decoding.
    Media,
    /// Signed public media links served by the release API (what networks that fetch media
    /// by URL request): requests/s, MB/s, p50/p99 at a few concurrencies.
    MediaUrls(crate::bench_media_urls::MediaUrlsArgs),
    /// Creating an isolated, migrated test database (clone of the template), as every test does.
    Testdb {
        /// Databases to create.
        #[arg(long, default_value_t = 20)]
        count: usize,
    },
}

/// Options of `bench calendar`.
#[derive(Args, Debug)]
pub struct CalendarArgs {
    /// Total post counts to measure at, ascending (data is added between steps).
    #[arg(long, value_delimiter = ',', default_values_t = [10_000u64, 100_000, 1_000_000])]
    posts: Vec<u64>,
    /// Measured queries per role, variant and size.
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Unmeasured queries per role and variant before measuring.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Keep the benchmark database afterwards (its name is printed).
    #[arg(long)]
    keep: bool,
}

const WORKSPACES: u64 = 1000;
const WINDOW_DAYS: u64 = 31;
/// 2026-01-01T00:00:00Z; posts are spread over the 365 days that follow.
const YEAR_START_UNIX: u64 = 1_767_225_600;

/// The two ways a client gets the calendar: the RPC, and the same query sent directly.
const VARIANTS: [(&str, &str); 2] = [
    ("rpc", "select * from postiz.calendar_entries($1::text::uuid, $2, $3)"),
    (
        "sql",
        "select p.id, p.status, p.scheduled_at, left(p.content, 280), t.id, t.status, t.external_url,
                a.id, a.network, a.handle, a.display_name, a.avatar_url
         from postiz.posts p
         left join postiz.post_targets t on t.workspace_id = p.workspace_id and t.post_id = p.id
         left join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
         where p.workspace_id = $1::text::uuid and p.scheduled_at >= $2 and p.scheduled_at < $3
         order by p.scheduled_at, p.id, a.network, a.id",
    ),
];

pub async fn run(bench: Bench) -> anyhow::Result<()> {
    match bench {
        Bench::Calendar(args) => calendar(args).await,
        Bench::Worker(args) => crate::bench_worker::run(args).await,
        Bench::Media => crate::bench_media::run(),
        Bench::MediaUrls(args) => crate::bench_media_urls::run(args).await,
        Bench::Analytics(args) => crate::bench_analytics::run(args).await,
        Bench::Testdb { count } => testdb(count).await,
    }
}

async fn testdb(count: usize) -> anyhow::Result<()> {
    // The first call may build the template; it is timed separately.
    let started = Instant::now();
    drop(TestDatabase::new().await);
    println!("first test database (template built if needed): {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let db = TestDatabase::new().await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        drop(db);
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!("test database creation over {count}: p50 {:.0} ms, p90 {:.0} ms, max {:.0} ms", pick(0.5), pick(0.9), pick(1.0));
    Ok(())
}

async fn calendar(args: CalendarArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = TestDatabase::new().await;
    eprintln!("benchmark database {} (cloned from the migrated template)", db.name());
    let admin = db.superuser().await;
    load_base(&admin).await?;
    let owners = workspace_owners(&admin).await?;

    println!(
        "calendar query: one workspace, {WINDOW_DAYS}-day window, posts ⟕ targets ⟕ accounts; \
         {WORKSPACES} workspaces, 2 targets per post; {} samples per cell (after {} warm-up)",
        args.samples, args.warmup
    );
    println!(
        "{:>9}  {:<4}  {:>11} {:>11}  {:>11} {:>11}  {:>9} {:>9}  {:>6}",
        "posts", "via", "auth p50", "auth p99", "svc p50", "svc p99", "ratio p50", "ratio p99", "rows"
    );

    let mut loaded = 0u64;
    let mut verdicts = Vec::new();
    for &size in &args.posts {
        if size > loaded {
            let t = Instant::now();
            load_posts(&admin, loaded, size).await?;
            admin.batch_execute("vacuum analyze").await.context("vacuum analyze")?;
            eprintln!("loaded posts {loaded}..{size} in {:.1} s", t.elapsed().as_secs_f64());
            loaded = size;
        }
        for (variant, sql) in VARIANTS {
            let m = measure(&db, &owners, sql, &args).await?;
            let (a50, a99) = (m.authenticated.percentile(0.50), m.authenticated.percentile(0.99));
            let (s50, s99) = (m.service.percentile(0.50), m.service.percentile(0.99));
            println!(
                "{:>9}  {:<4}  {:>8.3} ms {:>8.3} ms  {:>8.3} ms {:>8.3} ms  {:>8.2}x {:>8.2}x  {:>6.1}",
                size,
                variant,
                ms(a50),
                ms(a99),
                ms(s50),
                ms(s99),
                ms(a50) / ms(s50),
                ms(a99) / ms(s99),
                m.mean_rows
            );
            if size == *args.posts.iter().max().unwrap_or(&size) {
                verdicts.push((variant, size, ms(a99), ms(a50) / ms(s50), ms(a99) / ms(s99)));
            }
        }
    }
    for (variant, size, p99, r50, r99) in verdicts {
        println!(
            "goal at {size} posts via {variant}: p99 {p99:.2} ms (≤ 15 ms: {}), RLS/bypass p50 {r50:.2}x p99 {r99:.2}x (≤ 1.3x: {})",
            yes_no(p99 <= 15.0),
            yes_no(r50 <= 1.3 && r99 <= 1.3),
        );
    }
    eprintln!("total {:.0} s", started.elapsed().as_secs_f64());
    if args.keep {
        println!("kept database {}", db.name());
        std::mem::forget(db);
    }
    Ok(())
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Users, workspaces, memberships and accounts; ids derive from md5 so the post loader can
/// compute them.
async fn load_base(admin: &Client) -> anyhow::Result<()> {
    let n = WORKSPACES - 1;
    admin
        .batch_execute(&format!(
            "
            set session_replication_role = replica;
            insert into auth.users (id, aud, role, email, email_confirmed_at)
            select md5('user' || i)::uuid, 'authenticated', 'authenticated', 'bench' || i || '@example.com', now()
            from generate_series(0, {n}) i;
            insert into postiz.workspaces (id, name, slug, time_zone, created_by)
            select md5('ws' || i)::uuid, 'Workspace ' || i, 'ws-' || i, 'UTC', md5('user' || i)::uuid
            from generate_series(0, {n}) i;
            insert into postiz.workspace_members (workspace_id, user_id, role)
            select md5('ws' || i)::uuid, md5('user' || i)::uuid, 'owner'::postiz.workspace_role from generate_series(0, {n}) i
            union all
            select md5('ws' || ((i + 1) % {WORKSPACES}))::uuid, md5('user' || i)::uuid, 'editor' from generate_series(0, {n}) i
            union all
            select md5('ws' || ((i + 2) % {WORKSPACES}))::uuid, md5('user' || i)::uuid, 'viewer' from generate_series(0, {n}) i;
            insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, display_name, avatar_url)
            select md5('acct' || i || '-' || k)::uuid, md5('ws' || i)::uuid,
                   (array['mastodon', 'bluesky', 'linkedin'])[k + 1], 'ext-' || i || '-' || k, '@h' || i || '_' || k,
                   'Account ' || i || '/' || k, 'https://example.com/a/' || i || '/' || k || '.png'
            from generate_series(0, {n}) i, generate_series(0, 2) k;
            set session_replication_role = origin;
            "
        ))
        .await
        .context("loading workspaces, members and accounts")
}

/// Posts number `from` to `to - 1`, each with two targets.
async fn load_posts(admin: &Client, from: u64, to: u64) -> anyhow::Result<()> {
    let last = to - 1;
    admin
        .batch_execute(&format!(
            "
            set session_replication_role = replica;
            insert into postiz.posts (id, workspace_id, author_id, status, content, scheduled_at)
            select md5('post' || i)::uuid, md5('ws' || (i % {WORKSPACES}))::uuid, md5('user' || (i % {WORKSPACES}))::uuid,
                   (array['draft', 'scheduled', 'published', 'failed']::postiz.post_status[])[1 + (i % 4)],
                   repeat('Lorem ipsum dolor sit amet ', 8) || i,
                   to_timestamp({YEAR_START_UNIX}) + ((hashint8(i) & 2147483647)::float8 / 2147483647) * interval '365 days'
            from generate_series({from}::bigint, {last}) i;
            insert into postiz.post_targets (id, workspace_id, post_id, social_account_id, status)
            select md5('target' || i || '-' || k)::uuid, md5('ws' || (i % {WORKSPACES}))::uuid, md5('post' || i)::uuid,
                   md5('acct' || (i % {WORKSPACES}) || '-' || ((i + k) % 3))::uuid,
                   (array['pending', 'queued', 'published', 'failed']::postiz.target_status[])[1 + (i % 4)]
            from generate_series({from}::bigint, {last}) i, generate_series(0, 1) k;
            set session_replication_role = origin;
            "
        ))
        .await
        .with_context(|| format!("loading posts {from}..{to}"))
}

/// (workspace id, its owner's user id) for every workspace, as text.
async fn workspace_owners(admin: &Client) -> anyhow::Result<Vec<(String, String)>> {
    let rows =
        admin.query("select workspace_id::text, user_id::text from postiz.workspace_members where role = 'owner' order by 1", &[]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

async fn timed(
    client: &Client,
    statement: &tokio_postgres::Statement,
    params: &[&(dyn ToSql + Sync)],
) -> Result<(Vec<tokio_postgres::Row>, Duration), tokio_postgres::Error> {
    let t = Instant::now();
    let rows = client.query(statement, params).await?;
    Ok((rows, t.elapsed()))
}

/// Latencies of one role.
#[derive(Debug, Default)]
struct Latencies(Vec<Duration>);

impl Latencies {
    fn percentile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
        sorted.get(rank - 1).copied().unwrap_or_default()
    }
}

#[derive(Debug)]
struct Measurement {
    authenticated: Latencies,
    service: Latencies,
    mean_rows: f64,
}

/// A deterministic sample sequence (xorshift), the same for every size and variant.
struct Samples(u64);

impl Samples {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

async fn measure(db: &TestDatabase, owners: &[(String, String)], sql: &str, args: &CalendarArgs) -> anyhow::Result<Measurement> {
    // Two connections, each one long read-only transaction in its role, like PostgREST's
    // per-request `set local role` (claims change per sample on the authenticated one).
    let user = db.client().await;
    user.batch_execute("begin; set local role authenticated").await?;
    let service = db.client().await;
    service.batch_execute("begin; set local role service_role").await?;
    let user_stmt = user.prepare(sql).await.context("prepare as authenticated")?;
    let service_stmt = service.prepare(sql).await.context("prepare as service_role")?;
    let set_claims = user.prepare("select set_config('request.jwt.claims', $1, true)").await?;

    let mut samples = Samples(0x9e37_79b9_7f4a_7c15);
    let mut result = Measurement { authenticated: Latencies::default(), service: Latencies::default(), mean_rows: 0.0 };
    let mut rows_total = 0usize;
    for i in 0..args.warmup + args.samples {
        let (workspace, owner) = &owners[(samples.next() % owners.len() as u64) as usize];
        let start_day = samples.next() % (365 - WINDOW_DAYS);
        let from = SystemTime::UNIX_EPOCH + Duration::from_secs(YEAR_START_UNIX + start_day * 86_400);
        let to = from + Duration::from_secs(WINDOW_DAYS * 86_400);
        let claims = format!(r#"{{"sub":"{owner}","role":"authenticated","aud":"authenticated"}}"#);
        user.execute(&set_claims, &[&claims]).await?;
        let params: [&(dyn ToSql + Sync); 3] = [workspace, &from, &to];

        // Alternate which role goes first: the second run finds the first one's pages cached.
        let (as_user, user_time, as_service, service_time) = if i % 2 == 0 {
            let (u, ut) = timed(&user, &user_stmt, &params).await.context("calendar as authenticated")?;
            let (s, st) = timed(&service, &service_stmt, &params).await.context("calendar as service_role")?;
            (u, ut, s, st)
        } else {
            let (s, st) = timed(&service, &service_stmt, &params).await.context("calendar as service_role")?;
            let (u, ut) = timed(&user, &user_stmt, &params).await.context("calendar as authenticated")?;
            (u, ut, s, st)
        };

        anyhow::ensure!(
            as_user.len() == as_service.len(),
            "RLS changed the result for the workspace's own owner: {} rows vs {}",
            as_user.len(),
            as_service.len()
        );
        if i >= args.warmup {
            result.authenticated.0.push(user_time);
            result.service.0.push(service_time);
            rows_total += as_user.len();
        }
    }
    result.mean_rows = rows_total as f64 / args.samples.max(1) as f64;
    Ok(result)
}
