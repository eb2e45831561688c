-- Rollups per account only (measured with `cargo xtask bench analytics` and backend CPU time
-- per recorded reading):
--   - The rollup trigger kept each day's gains three times: per workspace, per network and per
--     account. A batch of readings spread over many workspaces wrote about 1.8 rollup rows per
--     reading, half of them workspace and network rows. Those are sums of the account rows
--     (an account belongs to one workspace and one network), so they are now added up when
--     read: a workspace's 90-day overview reads its accounts' rows (accounts × metrics × days),
--     which is still an index range of one workspace.
--   - The account is a typed column with a foreign key (it was a text key beside a scope name),
--     so removing an account removes its rollups in the same statement.
--   - analytics_daily gets the free space per page that analytics_latest has (80%), so that its
--     in-place updates stay HOT more often. Applies to pages written from now on.

-- Tables ----------------------------------------------------------------------------------------

alter table postiz.analytics_daily set (fillfactor = 80);

-- The BI view reads the columns that change shape; it is re-created below with the same columns.
drop view postiz.bi_workspace_metrics_daily;

delete from postiz.analytics_rollups where scope <> 'account';
alter table postiz.analytics_rollups add column social_account_id uuid;
update postiz.analytics_rollups set social_account_id = scope_key::uuid;
-- Rows of accounts removed earlier (their gains were already taken out) have nothing to join.
delete from postiz.analytics_rollups r
where not exists (select from postiz.social_accounts a where a.id = r.social_account_id and a.workspace_id = r.workspace_id);
alter table postiz.analytics_rollups
  drop constraint analytics_rollups_pkey,
  drop constraint analytics_rollups_workspace_id_fkey,
  drop column scope,
  drop column scope_key,
  alter column social_account_id set not null,
  add primary key (workspace_id, social_account_id, metric, day),
  add foreign key (workspace_id, social_account_id) references postiz.social_accounts (workspace_id, id) on delete cascade;
comment on table postiz.analytics_rollups is
  'Gains per account by workspace day, maintained incrementally by triggers; a workspace''s or network''s are their sum.';

-- Functions -------------------------------------------------------------------------------------

/*
 * As in 20261203000000, with account rollups only. Recomputes the days that the changed
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
    select c.workspace_id, c.social_account_id, c.metric, c.day,
           sum(c.level - c.prev_level - coalesce(o.gain, 0)) as delta
    from computed c
    -- The row as it was before this statement: every part of one statement reads the same
    -- snapshot, so the upsert above is not visible here.
    left join postiz.analytics_daily o on o.subject_id = c.subject_id and o.metric = c.metric and o.day = c.day
    group by c.workspace_id, c.social_account_id, c.metric, c.day
  )
  insert into postiz.analytics_rollups as r (workspace_id, social_account_id, metric, day, gain)
  select workspace_id, social_account_id, metric, day, delta from deltas where delta <> 0
  -- In key order, so that concurrent recordings lock shared rows (an account's day) in the
  -- same order and wait for each other instead of deadlocking.
  order by workspace_id, social_account_id, metric, day
  on conflict (workspace_id, social_account_id, metric, day) do update set gain = r.gain + excluded.gain;
  return null;
end;
$$;

/*
 * As in 20261202140000, with account rollups only: takes removed daily rows' gains out of the
 * rollups (a post deleted, retention). Only updates: a rollup row that is already gone (pruned
 * first, or its account removed) stays gone.
 */
create or replace function postiz_private.roll_down_analytics()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  with deltas as (
    select g.workspace_id, g.social_account_id, g.metric, g.day, sum(g.gain) as gain
    from removed g
    group by g.workspace_id, g.social_account_id, g.metric, g.day
  )
  update postiz.analytics_rollups r set gain = r.gain - s.gain
  from deltas s
  where r.workspace_id = s.workspace_id and r.social_account_id = s.social_account_id
    and r.metric = s.metric and r.day = s.day;
  return null;
end;
$$;

-- Views -----------------------------------------------------------------------------------------

/* Per workspace (and network), metric and day: the gains added up (network null: the workspace). */
create view postiz.bi_workspace_metrics_daily
with (security_invoker = true)
as
  with per_network as (
    select r.day, r.workspace_id, a.network, r.metric, sum(r.gain) as gain
    from postiz.analytics_rollups r
    join postiz.social_accounts a on a.id = r.social_account_id
    group by r.day, r.workspace_id, a.network, r.metric
  )
  select p.day, p.workspace_id, w.name as workspace, p.network, p.metric::text as metric, p.gain
  from per_network p join postiz.workspaces w on w.id = p.workspace_id
  union all
  select p.day, p.workspace_id, w.name, null, p.metric::text, sum(p.gain)
  from per_network p join postiz.workspaces w on w.id = p.workspace_id
  group by p.day, p.workspace_id, w.name, p.metric;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.bi_workspace_metrics_daily from public, anon, authenticated, service_role;
grant select on table postiz.bi_workspace_metrics_daily to authenticated, service_role;
