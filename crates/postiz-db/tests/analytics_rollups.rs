//! Analytics rollups are maintained incrementally by triggers on `analytics_events`. Whatever
//! order snapshots arrive in (late ones, corrections in the same hour, several per statement),
//! after subjects or whole accounts are removed and after the workspace's zone changes, the daily rows, the rollups and the latest values equal a computation from
//! scratch over the snapshots that are left. Several workers recording at once for the same
//! workspaces neither deadlock nor lose a reading.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::collections::BTreeSet;

use postiz_testkit::TestDatabase;
use proptest::prelude::*;
use tokio_postgres::Client;

const WS: &str = "aaaaaaaa-0000-4000-8000-000000000000";
const ACC_1: &str = "aaaaaaaa-0000-4000-8000-0000000000a1";
const ACC_2: &str = "aaaaaaaa-0000-4000-8000-0000000000a2";
const POST_1: &str = "aaaaaaaa-0000-4000-8000-0000000000b1";
const POST_2: &str = "aaaaaaaa-0000-4000-8000-0000000000b2";
/// (account, target): three post targets and the two accounts' own numbers.
const SUBJECTS: [(&str, Option<&str>); 5] = [
    (ACC_1, Some("aaaaaaaa-0000-4000-8000-0000000000d1")),
    (ACC_2, Some("aaaaaaaa-0000-4000-8000-0000000000d2")),
    (ACC_1, Some("aaaaaaaa-0000-4000-8000-0000000000d3")),
    (ACC_1, None),
    (ACC_2, None),
];
const METRICS: [&str; 2] = ["likes", "followers"];

/// One snapshot: subject index, metric index, hours after the start, value.
type Snapshot = (usize, usize, i64, i64);

async fn arrange(db: &TestDatabase) -> Client {
    let su = db.superuser().await;
    su.batch_execute(&format!(
        "insert into postiz.workspaces (id, name, slug, time_zone) values ('{WS}', 'A', 'rollups', 'Asia/Kathmandu');
         insert into postiz.social_accounts (id, workspace_id, network, external_account_id) values
           ('{ACC_1}', '{WS}', 'mastodon', 'm'), ('{ACC_2}', '{WS}', 'bluesky', 'b');
         insert into postiz.posts (id, workspace_id, content) values ('{POST_1}', '{WS}', 'one'), ('{POST_2}', '{WS}', 'two');
         insert into postiz.post_targets (id, workspace_id, post_id, social_account_id) values
           ('{t1}', '{WS}', '{POST_1}', '{ACC_1}'), ('{t2}', '{WS}', '{POST_1}', '{ACC_2}'), ('{t3}', '{WS}', '{POST_2}', '{ACC_1}');",
        t1 = SUBJECTS[0].1.unwrap(),
        t2 = SUBJECTS[1].1.unwrap(),
        t3 = SUBJECTS[2].1.unwrap(),
    ))
    .await
    .expect("fixture");
    su
}

/// Inserts one statement's worth of snapshots the way the worker does (upsert per hour).
async fn insert(c: &Client, batch: &[Snapshot]) {
    let mut seen = BTreeSet::new();
    let rows: Vec<String> = batch
        .iter()
        // One statement may not upsert the same row twice.
        .filter(|(s, m, h, _)| seen.insert((*s, *m, *h)))
        .map(|(s, m, h, v)| {
            let (account, target) = SUBJECTS[*s];
            let target = target.map_or("null".to_owned(), |t| format!("'{t}'"));
            format!(
                "('{WS}', '{account}', {target}, '{}', {v}, timestamptz '2026-03-01T00:00:00Z' + interval '{h} hours', timestamptz '2026-03-01T00:10:00Z' + interval '{h} hours')",
                METRICS[*m]
            )
        })
        .collect();
    c.batch_execute(&format!(
        "insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at) values {}
         on conflict (subject_id, metric, bucket_start) do update set value = excluded.value, observed_at = excluded.observed_at",
        rows.join(", ")
    ))
    .await
    .expect("insert snapshots");
}

async fn rows(c: &Client, sql: &str) -> BTreeSet<String> {
    c.query(sql, &[]).await.expect(sql).iter().map(|r| r.get::<_, String>(0)).collect()
}

/// Daily rows and rollups, incremental and from scratch, as comparable sets of text.
async fn compare(c: &Client) -> Result<(), TestCaseError> {
    let incremental_daily =
        rows(c, "select concat_ws('|', subject_id, metric, day, level::text, gain::text) from postiz.analytics_daily").await;
    let scratch_daily = rows(
        c,
        "with ev as (
           select e.*, (e.bucket_start at time zone w.time_zone)::date as day
           from postiz.analytics_events e join postiz.workspaces w on w.id = e.workspace_id
         ),
         last_per_day as (
           select distinct on (subject_id, metric, day) subject_id, target_id, metric, day, value
           from ev order by subject_id, metric, day, bucket_start desc
         )
         select concat_ws('|', subject_id, metric, day, value::text,
                          (value - coalesce(lag(value) over (partition by subject_id, metric order by day),
                                            case when target_id is null then value else 0 end))::text)
         from last_per_day",
    )
    .await;
    prop_assert_eq!(&incremental_daily, &scratch_daily, "daily rows");
    let incremental_rollups = rows(
        c,
        "select concat_ws('|', workspace_id, social_account_id, metric, day, gain::text) from postiz.analytics_rollups where gain <> 0",
    )
    .await;
    let scratch_rollups = rows(
        c,
        "select concat_ws('|', workspace_id, social_account_id, metric, day, g::text) from (
           select workspace_id, social_account_id, metric, day, sum(gain) as g from postiz.analytics_daily
           group by workspace_id, social_account_id, metric, day
         ) s where g <> 0",
    )
    .await;
    prop_assert_eq!(&incremental_rollups, &scratch_rollups, "rollups");
    let incremental_latest = rows(c, "select concat_ws('|', subject_id, metric, day, level::text) from postiz.analytics_latest").await;
    let scratch_latest = rows(
        c,
        "select concat_ws('|', subject_id, metric, day, level::text) from (
           select distinct on (subject_id, metric) subject_id, metric, day, level
           from postiz.analytics_daily order by subject_id, metric, day desc) l",
    )
    .await;
    prop_assert_eq!(&incremental_latest, &scratch_latest, "latest values");
    Ok(())
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    (0..SUBJECTS.len(), 0..METRICS.len(), 0..(10 * 24i64), 0..1000i64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn incremental_rollups_equal_a_recomputation(
        snapshots in proptest::collection::vec(snapshot(), 1..60),
        cuts in proptest::collection::vec(1..6usize, 1..20),
        remove_target in proptest::option::of(0..3usize),
        remove_account in proptest::bool::ANY,
        rezone in proptest::bool::ANY,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let db = TestDatabase::new().await;
            let c = arrange(&db).await;
            // The snapshots arrive in the generated (unsorted) order, in batches of `cuts` sizes.
            let mut rest: &[Snapshot] = &snapshots;
            let mut sizes = cuts.iter().cycle();
            while !rest.is_empty() {
                let n = (*sizes.next().expect("cycle")).min(rest.len());
                insert(&c, &rest[..n]).await;
                rest = &rest[n..];
            }
            compare(&c).await?;
            if let Some(t) = remove_target {
                c.execute("delete from postiz.post_targets where id = $1::text::uuid", &[&SUBJECTS[t].1.expect("a target")]).await.expect("delete");
                compare(&c).await?;
            }
            // A changed time zone moves every day boundary: the derived rows follow.
            if rezone {
                c.execute("update postiz.workspaces set time_zone = 'America/Los_Angeles' where id = $1::text::uuid", &[&WS]).await.expect("rezone");
                compare(&c).await?;
            }
            // Removing an account takes its gains out of every rollup, its network's included.
            if remove_account {
                c.execute("delete from postiz.social_accounts where id = $1::text::uuid", &[&ACC_2]).await.expect("delete account");
                compare(&c).await?;
            }
            Ok::<(), TestCaseError>(())
        })?;
    }
}

/// Workers recording at once: each statement covers a different mix of targets of the same
/// workspaces, so their rollup upserts share rows (each workspace's, network's and account's
/// day). Every statement must succeed (no deadlock, no serialization failure) and the result
/// must equal the recomputation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_recordings_neither_deadlock_nor_lose_readings() {
    const WRITERS: usize = 4; // the `% 4` below
    const STATEMENTS: usize = 120;
    let db = TestDatabase::new().await;
    let su = db.superuser().await;
    // 3 workspaces x 3 accounts (two networks) x 8 published targets.
    su.batch_execute(
        "insert into postiz.workspaces (id, name, slug, time_zone)
           select md5('cw' || w)::uuid, 'W' || w, 'cw-' || w, 'Europe/Paris' from generate_series(1, 3) w;
         insert into postiz.social_accounts (id, workspace_id, network, external_account_id)
           select md5('ca' || w || '-' || a)::uuid, md5('cw' || w)::uuid, case when a = 1 then 'mastodon' else 'bluesky' end, 'x' || w || a
           from generate_series(1, 3) w, generate_series(1, 3) a;
         insert into postiz.posts (id, workspace_id, content)
           select md5('cp' || w || '-' || a || '-' || t)::uuid, md5('cw' || w)::uuid, 'post'
           from generate_series(1, 3) w, generate_series(1, 3) a, generate_series(1, 8) t;
         insert into postiz.post_targets (id, workspace_id, post_id, social_account_id)
           select md5('ct' || w || '-' || a || '-' || t)::uuid, md5('cw' || w)::uuid, md5('cp' || w || '-' || a || '-' || t)::uuid, md5('ca' || w || '-' || a)::uuid
           from generate_series(1, 3) w, generate_series(1, 3) a, generate_series(1, 8) t;",
    )
    .await
    .expect("fixture");
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let c = db.superuser().await;
        writers.spawn(async move {
            for s in 0..STATEMENTS {
                // Each writer reads its own targets (as the watches' leases give them out), a
                // different slice and order of them each time, from every workspace; readings a
                // few hours apart, so days and their successors are recomputed too.
                let offset = ((s * 5) % 18) as i64;
                let count = 3 + ((w + s) % 10) as i64;
                let hours = ((s * 7 + w * 3) % 60) as i64;
                c.execute(
                    "insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at)
                     select t.workspace_id, t.social_account_id, t.id, m.metric, 10 * $3::bigint + $4::bigint, b.at, b.at
                     from (select * from postiz.post_targets
                           where abs(hashtext(id::text)) % 4 = $4::bigint
                           order by md5(id::text || $3::bigint::text) offset $1 limit $2) t
                     cross join (values ('likes'::postiz.analytics_metric), ('impressions')) m(metric)
                     cross join (select timestamptz '2026-03-01T00:00:00Z' + make_interval(hours => $3::bigint::int) as at) b
                     on conflict (subject_id, metric, bucket_start)
                     do update set value = excluded.value, observed_at = excluded.observed_at",
                    &[&offset, &count, &hours, &i64::try_from(w).expect("small")],
                )
                .await
                .map_err(|e| format!("writer {w}, statement {s}: {e:?}"))?;
            }
            Ok::<(), String>(())
        });
    }
    while let Some(done) = writers.join_next().await {
        done.expect("writer task").expect("every recording succeeds");
    }
    let events: i64 = su.query_one("select count(*) from postiz.analytics_events", &[]).await.expect("count").get(0);
    assert!(events > 500, "the writers recorded readings ({events})");
    compare(&su).await.expect("incremental rollups equal the recomputation after concurrent writers");
}
