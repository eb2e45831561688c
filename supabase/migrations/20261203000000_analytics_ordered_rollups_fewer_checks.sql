-- Analytics writes, cheaper and safe to run from several workers at once
-- (measured with `cargo xtask bench analytics`):
--   - The snapshot and derived tables referenced the workspace twice: directly, and through
--     their (workspace_id, social_account_id) key to the account, whose own workspace key
--     cascades. The direct key added one check per written row (about a tenth of a reading's
--     cost) and nothing else: the account key already guarantees the workspace, and removing
--     a workspace still removes these rows through its accounts.
--   - The rollup trigger's upserts lock rows shared by concurrent recordings (a workspace's,
--     network's and account's rows of a day). They were written in whatever order the
--     aggregation produced, so two workers recording for the same workspaces could each hold
--     a row the other waited for: a deadlock, and a reading lost to the retry. They now go in
--     key order (analytics_daily too, by subject).

-- Tables ----------------------------------------------------------------------------------------

alter table postiz.analytics_events drop constraint analytics_events_workspace_id_fkey;
alter table postiz.analytics_snapshots drop constraint analytics_snapshots_workspace_id_fkey;
alter table postiz.analytics_daily drop constraint analytics_daily_workspace_id_fkey;
alter table postiz.analytics_latest drop constraint analytics_latest_workspace_id_fkey;

-- Functions -------------------------------------------------------------------------------------

/*
 * As in 20261202220100, with its upserts in key order. Recomputes the days that the changed
 * snapshots touch (and each one's next day with data) and moves the rollups by the difference
 * of each gain. Called by the statement triggers on analytics_events with the transition table
 * `changed`. Security definer: runs for the worker's inserts; clients cannot write snapshots.
 */
create or replace function postiz_private.roll_up_analytics()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- An upsert fires both the insert and the update trigger, usually with one of them empty:
  -- skip planning the statement below for nothing.
  if not exists (select from changed) then
    return null;
  end if;
  with keys as (
    select distinct c.workspace_id, c.social_account_id, c.target_id, c.subject_id, c.metric,
           (c.bucket_start at time zone w.time_zone)::date as day, w.time_zone
    from changed c join postiz.workspaces w on w.id = c.workspace_id
  ),
  days as (
    select * from keys
    union
    select k.workspace_id, k.social_account_id, k.target_id, k.subject_id, k.metric, n.day, k.time_zone
    from keys k
    cross join lateral (
      select d.day from postiz.analytics_daily d
      where d.subject_id = k.subject_id and d.metric = k.metric and d.day > k.day
      order by d.day
      limit 1
    ) n
  ),
  computed as (
    select d.workspace_id, d.social_account_id, a.network, d.target_id, d.subject_id, d.metric, d.day,
           lvl.value as level, lvl.observed_at,
           -- The last value before the day: from the snapshots, else (they were pruned by
           -- retention) the latest value kept, when it is older; a post starts at 0, an
           -- account's first day is its starting point (no gain).
           coalesce(prev.value, kept.level, case when d.target_id is null then lvl.value else 0 end) as prev_level
    from days d
    join postiz.social_accounts a on a.id = d.social_account_id
    cross join lateral (
      select e.value, e.observed_at from postiz.analytics_events e
      where e.subject_id = d.subject_id and e.metric = d.metric
        and e.bucket_start >= (d.day::timestamp at time zone d.time_zone)
        and e.bucket_start < ((d.day + 1)::timestamp at time zone d.time_zone)
      order by e.bucket_start desc
      limit 1
    ) lvl
    left join lateral (
      select e.value from postiz.analytics_events e
      where e.subject_id = d.subject_id and e.metric = d.metric
        and e.bucket_start < (d.day::timestamp at time zone d.time_zone)
      order by e.bucket_start desc
      limit 1
    ) prev on true
    left join postiz.analytics_latest kept
      on prev.value is null and kept.subject_id = d.subject_id and kept.metric = d.metric and kept.day < d.day
  ),
  latest as (
    insert into postiz.analytics_latest as l
      (workspace_id, social_account_id, target_id, subject_id, metric, level, day, observed_at, published_at)
    select distinct on (c.subject_id, c.metric) c.workspace_id, c.social_account_id, c.target_id, c.subject_id, c.metric,
           c.level, c.day, c.observed_at, t.published_at
    from computed c left join postiz.post_targets t on t.id = c.target_id
    order by c.subject_id, c.metric, c.day desc
    on conflict (subject_id, metric)
    do update set level = excluded.level, day = excluded.day, observed_at = excluded.observed_at, published_at = excluded.published_at
      where l.day <= excluded.day
  ),
  upserted as (
    insert into postiz.analytics_daily (workspace_id, social_account_id, network, target_id, subject_id, metric, day, level, gain, observed_at)
    select workspace_id, social_account_id, network, target_id, subject_id, metric, day, level, level - prev_level, observed_at
    from computed
    order by subject_id, metric, day
    on conflict (subject_id, metric, day)
    do update set level = excluded.level, gain = excluded.gain, observed_at = excluded.observed_at
  ),
  deltas as (
    select c.workspace_id, c.social_account_id::text as account, c.network, c.metric, c.day,
           c.level - c.prev_level - coalesce(o.gain, 0) as delta
    from computed c
    -- The row as it was before this statement: every part of one statement reads the same
    -- snapshot, so the upsert above is not visible here.
    left join postiz.analytics_daily o on o.subject_id = c.subject_id and o.metric = c.metric and o.day = c.day
  ),
  scoped as (
    select workspace_id, 'workspace' as scope, '' as scope_key, metric, day, sum(delta) as delta
    from deltas group by workspace_id, metric, day
    union all
    select workspace_id, 'network', network, metric, day, sum(delta) from deltas group by workspace_id, network, metric, day
    union all
    select workspace_id, 'account', account, metric, day, sum(delta) from deltas group by workspace_id, account, metric, day
  )
  insert into postiz.analytics_rollups as r (workspace_id, scope, scope_key, metric, day, gain)
  select workspace_id, scope, scope_key, metric, day, delta from scoped where delta <> 0
  -- In key order, so that concurrent recordings lock shared rows (a workspace's day) in the
  -- same order and wait for each other instead of deadlocking.
  order by workspace_id, scope, scope_key, metric, day
  on conflict (workspace_id, scope, scope_key, metric, day) do update set gain = r.gain + excluded.gain;
  return null;
end;
$$;
