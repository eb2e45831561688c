//! Analytics rollups are maintained incrementally by triggers on `analytics_events`. Whatever
//! order snapshots arrive in (late ones, corrections in the same hour, several per statement),
//! after subjects or whole accounts are removed and after the workspace's zone changes, the daily rows, the rollups and the latest values equal a computation from
//! scratch over the snapshots that are left.

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
         on conflict (social_account_id, target_id, metric, bucket_start) do update set value = excluded.value, observed_at = excluded.observed_at",
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
    let incremental_daily = rows(c, "select concat_ws('|', subject_id, metric, day, level::text, gain::text) from postiz.analytics_daily").await;
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
        "select concat_ws('|', scope, scope_key, metric, day, gain::text) from postiz.analytics_rollups where gain <> 0",
    )
    .await;
    let scratch_rollups = rows(
        c,
        "with d as (select * from postiz.analytics_daily)
         select concat_ws('|', scope, key, metric, day, g::text) from (
           select 'workspace' as scope, '' as key, metric, day, sum(gain) as g from d group by metric, day
           union all select 'network', network, metric, day, sum(gain) from d group by network, metric, day
           union all select 'account', social_account_id::text, metric, day, sum(gain) from d group by social_account_id, metric, day
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
