//! `cargo xtask bench analytics`: the analytics queries (`postiz_db::analytics`) on a large
//! history, as `authenticated` (RLS on) and as `service_role`, and the incremental rollups'
//! cost for a burst of new snapshots. Prints numbers; asserts nothing.
//!
//! Data (defaults): 100 workspaces in a few zones, 10 accounts each (1,000 accounts), 200,000
//! published posts with one target each spread over the last year, and per target readings of
//! 5 metrics at 10 points after publishing (10 M snapshots), plus every account's followers
//! daily. Loaded set-based as the superuser with triggers off, then `analytics_daily` and
//! `analytics_rollups` are computed from scratch the way the triggers would (the property test
//! `incremental_rollups_equal_a_recomputation` is what says the two agree).
//!
//! Measurement: for each sample a random workspace, its owner's claims and a random 90-day
//! range within the year; the same samples as `authenticated` and `service_role`, interleaved,
//! each parsed and planned afresh as the module API does.
//! Then the burst: 100,000 new snapshots through the real triggers, in statements of 1,000 rows
//! (a worker records a reading per statement; batching is the worst case for one statement),
//! timed until the rollups include them.

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use postiz_testkit::TestDatabase;
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

/// Options of `bench analytics`.
#[derive(Args, Debug)]
pub struct AnalyticsArgs {
    /// Workspaces (each with 10 accounts).
    #[arg(long, default_value_t = 100)]
    workspaces: u64,
    /// Published posts (one target each).
    #[arg(long, default_value_t = 200_000)]
    posts: u64,
    /// Readings per target (5 metrics each): 10 with the defaults makes 10 M snapshots.
    #[arg(long, default_value_t = 10)]
    readings: u64,
    /// Measured queries per role and query.
    #[arg(long, default_value_t = 300)]
    samples: usize,
    /// Unmeasured queries per role and query first.
    #[arg(long, default_value_t = 30)]
    warmup: usize,
    /// New snapshots in the burst.
    #[arg(long, default_value_t = 100_000)]
    burst: u64,
    /// Connections recording the burst at once.
    #[arg(long, default_value_t = 1)]
    burst_writers: usize,
    /// Posts whose readings one burst statement records (5 readings each).
    #[arg(long, default_value_t = 200)]
    burst_posts_per_statement: usize,
    /// Rows of the export measured through the API binary (0: skip).
    #[arg(long, default_value_t = 1_000_000)]
    export_rows: u64,
    /// Keep the benchmark database afterwards, as `postiz_bench_analytics` (replacing an older one).
    #[arg(long)]
    keep: bool,
    /// Measure on the kept `postiz_bench_analytics` (its pending migrations applied, no reload;
    /// kept again afterwards) instead of loading a new one. The burst adds to its history.
    #[arg(long)]
    reuse: bool,
}

const ACCOUNTS_PER_WORKSPACE: u64 = 10;
/// Name of the database `--keep` leaves and `--reuse` takes.
const KEPT: &str = "postiz_bench_analytics";
const RANGE_DAYS: i64 = 90;
const METRICS: [&str; 5] = ["impressions", "likes", "comments", "shares", "quotes"];
const ZONES: [&str; 4] = ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"];

pub async fn run(args: AnalyticsArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let reused = if args.reuse { TestDatabase::adopt_kept(KEPT).await.map_err(|e| anyhow::anyhow!("reuse {KEPT}: {e}"))? } else { None };
    if args.reuse && reused.is_none() {
        eprintln!("no {KEPT} to reuse: loading a new one");
    }
    let load_now = reused.is_none();
    let db = match reused {
        Some(db) => {
            eprintln!("benchmark database {} (the kept {KEPT}, migrated; sizes as it was loaded)", db.name());
            db
        }
        None => {
            let db = TestDatabase::new().await;
            eprintln!("benchmark database {} (cloned from the migrated template)", db.name());
            db
        }
    };
    let admin = db.superuser().await;
    admin.batch_execute("set work_mem = '256MB'; set maintenance_work_mem = '512MB'").await?;
    let t = Instant::now();
    if load_now {
        load(&admin, &args).await?;
    }
    eprintln!("loaded in {:.0} s", t.elapsed().as_secs_f64());
    // A kept database took minutes to load: it is kept whatever the measurement does.
    let measured = measure_all(&db, &admin, &args).await;
    eprintln!("total {:.0} s", started.elapsed().as_secs_f64());
    if args.keep || args.reuse {
        drop(admin);
        println!("kept database {}", db.keep_as(KEPT).await?);
    }
    measured
}

/// The queries as `authenticated` and `service_role`, the burst, and the export.
async fn measure_all(db: &TestDatabase, admin: &Client, args: &AnalyticsArgs) -> anyhow::Result<()> {
    let snapshots: i64 = admin.query_one("select count(*) from postiz.analytics_events", &[]).await?.get(0);
    let daily: i64 = admin.query_one("select count(*) from postiz.analytics_daily", &[]).await?.get(0);
    let rollups: i64 = admin.query_one("select count(*) from postiz.analytics_rollups", &[]).await?.get(0);
    println!(
        "analytics: {} workspaces, {} accounts, {} posts, {snapshots} snapshots, {daily} daily rows, {rollups} rollup rows; \
         {RANGE_DAYS}-day ranges; {} samples per cell (after {} warm-up)",
        args.workspaces,
        args.workspaces * ACCOUNTS_PER_WORKSPACE,
        args.posts,
        args.samples,
        args.warmup
    );
    println!(
        "{:<16} {:>11} {:>11}  {:>11} {:>11}  {:>9} {:>9}  {:>7}",
        "query", "auth p50", "auth p99", "svc p50", "svc p99", "ratio p50", "ratio p99", "rows"
    );
    let owners = owners(admin).await?;
    let mut verdicts = Vec::new();
    for query in &QUERIES {
        let m = measure(db, &owners, query, args).await?;
        let (a50, a99, s50, s99) = (ms(m.auth.pct(0.5)), ms(m.auth.pct(0.99)), ms(m.svc.pct(0.5)), ms(m.svc.pct(0.99)));
        println!(
            "{:<16} {a50:>8.2} ms {a99:>8.2} ms  {s50:>8.2} ms {s99:>8.2} ms  {:>8.2}x {:>8.2}x  {:>7.1}",
            query.name,
            a50 / s50,
            a99 / s99,
            m.mean_rows
        );
        verdicts.push((query.name, a99, a50 / s50, a99 / s99));
    }
    for (name, p99, r50, r99) in verdicts {
        println!(
            "goal {name}: p99 {p99:.2} ms (≤ 30 ms: {}), RLS/bypass p50 {r50:.2}x p99 {r99:.2}x (≤ 1.3x: {})",
            yes_no(p99 <= 30.0),
            yes_no(r50 <= 1.3 && r99 <= 1.3)
        );
    }
    burst(db, admin, args).await?;
    if args.export_rows > 0 {
        crate::bench_export::run(admin, &db.url(), args.export_rows).await?;
    }
    Ok(())
}

/// Workspaces, owners, accounts, published posts, snapshots; then the derived tables.
async fn load(admin: &Client, args: &AnalyticsArgs) -> anyhow::Result<()> {
    let (ws, posts, readings) = (args.workspaces, args.posts, args.readings);
    let last_ws = ws - 1;
    let accounts = ws * ACCOUNTS_PER_WORKSPACE;
    let zones = ZONES.iter().map(|z| format!("'{z}'")).collect::<Vec<_>>().join(",");
    let metrics = METRICS.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(",");
    let t = Instant::now();
    admin
        .batch_execute(&format!(
            "
            set session_replication_role = replica;
            insert into auth.users (id, aud, role, email, email_confirmed_at)
            select md5('user' || i)::uuid, 'authenticated', 'authenticated', 'bench' || i || '@example.com', now()
            from generate_series(0, {last_ws}) i;
            insert into postiz.workspaces (id, name, slug, time_zone, created_by)
            select md5('ws' || i)::uuid, 'Workspace ' || i, 'ws-' || i, (array[{zones}])[1 + i % {nz}], md5('user' || i)::uuid
            from generate_series(0, {last_ws}) i;
            insert into postiz.workspace_members (workspace_id, user_id, role)
            select md5('ws' || i)::uuid, md5('user' || i)::uuid, 'owner'::postiz.workspace_role from generate_series(0, {last_ws}) i
            union all
            select md5('ws' || ((i + 1) % {ws}))::uuid, md5('user' || i)::uuid, 'viewer' from generate_series(0, {last_ws}) i;
            insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle)
            select md5('acct' || a)::uuid, md5('ws' || (a % {ws}))::uuid, (array['x', 'bluesky', 'mastodon', 'linkedin'])[1 + a % 4],
                   'ext-' || a, '@h' || a
            from generate_series(0, {last_acct}) a;
            insert into postiz.posts (id, workspace_id, status, content, scheduled_at, published_at)
            select md5('post' || i)::uuid, md5('ws' || (i % {accounts} % {ws}))::uuid, 'published', 'Post number ' || i,
                   now() - ((hashint8(i) & 2147483647)::float8 / 2147483647) * interval '365 days',
                   now() - ((hashint8(i) & 2147483647)::float8 / 2147483647) * interval '365 days'
            from generate_series(0, {last_post}) i;
            insert into postiz.post_targets (id, workspace_id, post_id, social_account_id, status, published_at, external_id)
            select md5('target' || i)::uuid, p.workspace_id, p.id, md5('acct' || (i % {accounts}))::uuid, 'published', p.published_at, 'r' || i
            from generate_series(0, {last_post}) i join postiz.posts p on p.id = md5('post' || i)::uuid;
            set session_replication_role = origin;
            ",
            nz = ZONES.len(),
            last_acct = accounts - 1,
            last_post = posts - 1,
        ))
        .await
        .context("loading workspaces, accounts and posts")?;
    eprintln!("  base rows in {:.0} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    // Readings at growing ages (hours after publishing), values growing with them.
    admin
        .batch_execute(&format!(
            "
            set session_replication_role = replica;
            insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at)
            select t.workspace_id, t.social_account_id, t.id, m.name::postiz.analytics_metric,
                   ((hashint8(r) & 1023) + 10) * r * (case m.name when 'impressions' then 40 else 1 end),
                   date_trunc('hour', t.published_at + ages.h * interval '1 hour'), t.published_at + ages.h * interval '1 hour'
            from postiz.post_targets t
            cross join lateral (select r, (array[1, 3, 6, 12, 24, 48, 72, 168, 336, 720, 1440, 2160])[1 + (r - 1) % 12] + (r - 1) / 12 * 2160 as h
                                from generate_series(1, {readings}) r) ages
            cross join (select unnest(array[{metrics}]) as name) m
            where t.published_at + ages.h * interval '1 hour' < now();
            insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at)
            select a.workspace_id, a.id, null, 'followers', 1000 + d * (1 + (hashtext(a.id::text) & 7)),
                   date_trunc('hour', now() - make_interval(days => d::int)), now() - make_interval(days => d::int)
            from postiz.social_accounts a, generate_series(0, 364) d;
            set session_replication_role = origin;
            "
        ))
        .await
        .context("loading snapshots")?;
    eprintln!("  snapshots in {:.0} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    admin
        .batch_execute(
            "
            set session_replication_role = replica;
            insert into postiz.analytics_daily (workspace_id, social_account_id, network, target_id, subject_id, metric, day, level, gain, observed_at)
            select workspace_id, social_account_id, network, target_id, subject_id, metric, day, value,
                   value - coalesce(lag(value) over (partition by subject_id, metric order by day),
                                    case when target_id is null then value else 0 end),
                   observed_at
            from (
              select distinct on (e.subject_id, e.metric, (e.bucket_start at time zone w.time_zone)::date)
                     e.workspace_id, e.social_account_id, a.network, e.target_id, e.subject_id, e.metric,
                     (e.bucket_start at time zone w.time_zone)::date as day, e.value, e.observed_at
              from postiz.analytics_events e join postiz.workspaces w on w.id = e.workspace_id
              join postiz.social_accounts a on a.id = e.social_account_id
              order by e.subject_id, e.metric, (e.bucket_start at time zone w.time_zone)::date, e.bucket_start desc
            ) last_per_day;
            insert into postiz.analytics_rollups (workspace_id, social_account_id, metric, day, gain)
            select d.workspace_id, d.social_account_id, d.metric, d.day, sum(d.gain)
            from postiz.analytics_daily d group by 1, 2, 3, 4;
            insert into postiz.analytics_latest (workspace_id, social_account_id, target_id, subject_id, metric, level, day, observed_at, published_at)
            select distinct on (d.subject_id, d.metric) d.workspace_id, d.social_account_id, d.target_id, d.subject_id, d.metric,
                   d.level, d.day, d.observed_at, t.published_at
            from postiz.analytics_daily d left join postiz.post_targets t on t.id = d.target_id
            order by d.subject_id, d.metric, d.day desc;
            set session_replication_role = origin;
            ",
        )
        .await
        .context("computing daily rows and rollups")?;
    admin.batch_execute("vacuum analyze").await.context("vacuum analyze")?;
    eprintln!("  daily rows and rollups in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// (workspace, owner, zone, one account, one target of that workspace) per workspace.
type Owner = (String, String, String, String, String);

async fn owners(admin: &Client) -> anyhow::Result<Vec<Owner>> {
    let rows = admin
        .query(
            "select w.id::text, m.user_id::text, w.time_zone,
                    (select a.id::text from postiz.social_accounts a where a.workspace_id = w.id order by a.id limit 1),
                    (select t.id::text from postiz.post_targets t where t.workspace_id = w.id order by t.published_at desc limit 1)
             from postiz.workspaces w join postiz.workspace_members m on m.workspace_id = w.id and m.role = 'owner'
             order by 1",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect())
}

/// One measured query: its SQL and how to bind a sample.
struct Query {
    name: &'static str,
    sql: &'static str,
}

const QUERIES: [Query; 5] = [
    Query { name: "overview", sql: postiz_db::analytics::OVERVIEW_ROLLUPS },
    Query { name: "top posts", sql: postiz_db::analytics::TOP_POSTS },
    Query { name: "post series", sql: postiz_db::analytics::TARGET_READINGS },
    Query { name: "account growth", sql: postiz_db::analytics::ACCOUNT_LEVELS },
    Query { name: "best time", sql: postiz_db::analytics::BEST_TIME },
];

#[derive(Debug, Default)]
struct Latencies(Vec<Duration>);

impl Latencies {
    fn pct(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
        sorted.get(rank - 1).copied().unwrap_or_default()
    }
}

struct Measurement {
    auth: Latencies,
    svc: Latencies,
    mean_rows: f64,
}

async fn measure(db: &TestDatabase, owners: &[Owner], query: &Query, args: &AnalyticsArgs) -> anyhow::Result<Measurement> {
    let user = db.client().await;
    user.batch_execute("begin; set local role authenticated").await?;
    let service = db.client().await;
    service.batch_execute("begin; set local role service_role").await?;
    // Each sample parses and plans the query again, as the module API does (it passes the SQL
    // text, not a prepared statement): that time counts, and the plan is always made for the
    // sample's values. A statement prepared once would switch to a generic plan after five runs,
    // which the API never uses (and which, with the policies' extra conditions, groups the
    // overview by sorting instead of hashing).
    let set_claims = user.prepare("select set_config('request.jwt.claims', $1, true)").await?;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let today = chrono::Utc::now().date_naive();
    let engagement: Vec<String> = ["likes", "comments", "shares", "quotes", "saves"].iter().map(|s| (*s).to_owned()).collect();
    let mut m = Measurement { auth: Latencies::default(), svc: Latencies::default(), mean_rows: 0.0 };
    let mut rows_total = 0usize;
    for i in 0..args.warmup + args.samples {
        let (ws, owner, zone, account, target) = &owners[(next() % owners.len() as u64) as usize];
        let to = today - chrono::Duration::days((next() % (365 - RANGE_DAYS as u64)) as i64);
        let from = to - chrono::Duration::days(RANGE_DAYS - 1);
        let previous_from = from - chrono::Duration::days(RANGE_DAYS);
        let ws: uuid::Uuid = ws.parse()?;
        let account: uuid::Uuid = account.parse()?;
        let targets: Vec<uuid::Uuid> = vec![target.parse()?];
        let metric = "likes".to_owned();
        let limit = 10i64;
        let params: Vec<&(dyn ToSql + Sync)> = match query.name {
            "overview" => vec![&ws, &previous_from, &to],
            "top posts" => vec![&ws, &from, &to, zone, &metric, &limit],
            "post series" => vec![&ws, &targets],
            "account growth" => vec![&ws, &account, &from, &to],
            _ => vec![&ws, &from, &to, zone, &engagement],
        };
        user.execute(&set_claims, &[&format!(r#"{{"sub":"{owner}","role":"authenticated","aud":"authenticated"}}"#)]).await?;
        let run = async |c: &Client| -> anyhow::Result<(usize, Duration)> {
            let t = Instant::now();
            let rows = c.query(query.sql, &params).await.with_context(|| query.name)?;
            Ok((rows.len(), t.elapsed()))
        };
        let ((ur, ut), (sr, st)) = if i % 2 == 0 {
            let u = run(&user).await?;
            (u, run(&service).await?)
        } else {
            let s = run(&service).await?;
            (run(&user).await?, s)
        };
        anyhow::ensure!(ur == sr, "{}: RLS changed the owner's result ({ur} rows vs {sr})", query.name);
        if i >= args.warmup {
            m.auth.0.push(ut);
            m.svc.0.push(st);
            rows_total += ur;
        }
    }
    m.mean_rows = rows_total as f64 / args.samples.max(1) as f64;
    Ok(m)
}

/// New snapshots through the triggers: the rollups include them when the statements return.
/// `--burst-writers` connections record at once (as several worker processes do), each its own
/// share of the targets, so their statements touch the same workspaces' rollup rows.
async fn burst(db: &TestDatabase, admin: &Client, args: &AnalyticsArgs) -> anyhow::Result<()> {
    let targets_per_statement = args.burst_posts_per_statement.max(1);
    let per_statement = targets_per_statement as u64 * METRICS.len() as u64;
    let statements = args.burst.div_ceil(per_statement) as usize;
    // The targets read, chosen before the clock starts: a different random sample on every run
    // (so that a reused database's caches do not already hold the pages of the last burst's
    // targets), taken in id order.
    let ids: Vec<uuid::Uuid> = admin
        .query(
            "select id from (select id from postiz.post_targets order by random() limit $1) s order by id",
            &[&i64::try_from(statements * targets_per_statement)?],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let chunks: Vec<Vec<uuid::Uuid>> = ids.chunks(targets_per_statement).map(<[uuid::Uuid]>::to_vec).collect();
    let writers = args.burst_writers.max(1);
    let mut clients = Vec::with_capacity(writers);
    for _ in 0..writers {
        clients.push(db.superuser().await);
    }
    // Settled first: on a reused database the last burst's writes would otherwise have
    // autovacuum working through these tables during this one, on the same two cores.
    admin
        .batch_execute(
            "vacuum (analyze) postiz.analytics_events, postiz.analytics_daily, postiz.analytics_latest, postiz.analytics_rollups",
        )
        .await
        .context("vacuum before the burst")?;
    let sum = "select coalesce(sum(gain), 0)::bigint from postiz.analytics_rollups";
    let before: i64 = admin.query_one(sum, &[]).await?.get(0);
    let t = Instant::now();
    // New values on every run, so that a burst on a reused database moves the rollups too, on a
    // day none of these targets has a reading for yet (now, or 25 h after an earlier burst's
    // hour: a later day in every zone, DST included), so that every reading is a new snapshot on
    // a new day, the costliest case (a new daily row each, not an update of today's).
    let run = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() % 1_000_000)?;
    let bucket: chrono::DateTime<chrono::Utc> = admin
        .query_one(
            "select date_trunc('hour', greatest(now(), coalesce(max(bucket_start) + interval '25 hours', now())))
             from postiz.analytics_events where target_id = any($1)",
            &[&ids],
        )
        .await?
        .get(0);
    let mut runs = tokio::task::JoinSet::new();
    for (w, client) in clients.into_iter().enumerate() {
        let mine: Vec<Vec<uuid::Uuid>> = chunks.iter().skip(w).step_by(writers).cloned().collect();
        runs.spawn(async move {
            let insert = client
                .prepare(
                    "insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at)
                     select t.workspace_id, t.social_account_id, t.id, m.name::postiz.analytics_metric,
                            100000 + $1::bigint + $3::bigint, $4::timestamptz, $4::timestamptz
                     from postiz.post_targets t
                     cross join (select unnest(array['impressions', 'likes', 'comments', 'shares', 'quotes']) as name) m
                     where t.id = any($2)
                     on conflict (subject_id, metric, bucket_start) do update set value = excluded.value",
                )
                .await?;
            let mut took = Vec::with_capacity(mine.len());
            for (s, targets) in mine.iter().enumerate() {
                let t = Instant::now();
                client.execute(&insert, &[&i64::try_from(s)?, targets, &run, &bucket]).await.context("burst insert")?;
                took.push(t.elapsed());
            }
            anyhow::Ok(took)
        });
    }
    let mut per_statement_times = Latencies::default();
    while let Some(took) = runs.join_next().await {
        per_statement_times.0.extend(took??);
    }
    let elapsed = t.elapsed();
    let after: i64 = admin.query_one(sum, &[]).await?.get(0);
    let n = statements as u64 * per_statement;
    println!(
        "burst: {n} new snapshots in {statements} statements of {per_statement} by {writers} writer(s): {:.2} s ({:.0} snapshots/s; \
         a statement p50 {:.0} ms, p99 {:.0} ms), rollups moved by {} (goal ≤ 5 s: {})",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        ms(per_statement_times.pct(0.5)),
        ms(per_statement_times.pct(0.99)),
        after - before,
        yes_no(elapsed <= Duration::from_secs(5))
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}
