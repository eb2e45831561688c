-- Analytics rollups, maintained incrementally as snapshots arrive.
--
-- Two levels, both written only by triggers on postiz.analytics_events:
--   - analytics_daily: per subject (a post target, or an account for its own numbers), metric
--     and day in the workspace's time zone: `level`, the last value observed that day, and
--     `gain`, level minus the last value observed before that day. A post starts at 0, so the
--     gains of its days add up to its latest value; an account's first day gains nothing (its
--     history before we watched it is unknown), so its gains are its growth.
--   - analytics_rollups: the gains added up per workspace, per network and per account, by day.
--   - analytics_latest: each subject's latest value per metric (what a post has now), with the
--     post's publishing time, for rankings and best time to post.
--     Weeks and months are sums of days. Tags (campaigns) are summed at read time from
--     analytics_daily, because a post's tags change after its numbers arrive.
--
-- A snapshot (new, corrected, or late) recomputes only the days it touches and the next day
-- with data for the same subject (whose gain starts from it), and adds the difference of each
-- recomputed gain to the rollups: no refresh over history. A removed subject (its account or
-- post deleted) takes its gains out of the rollups with it. The test
-- `incremental_rollups_equal_a_recomputation` (postiz-db) checks this against a from-scratch
-- computation over random snapshot streams with late arrivals.
--
-- Days are those of the workspace's time zone, and a snapshot belongs to the day of its hour
-- bucket (bucket_start): in zones with a :30 or :45 offset the first half hour of a day counts
-- to the day before. Changing a workspace's zone rebuilds its derived rows in the new days.

-- Tables ----------------------------------------------------------------------------------------

-- One key for "the subject": the target, or the account for account-level numbers.
alter table postiz.analytics_events
  add column subject_id uuid generated always as (coalesce(target_id, social_account_id)) stored;
create index analytics_events_subject_idx on postiz.analytics_events (subject_id, metric, bucket_start) include (value);

create table postiz.analytics_daily (
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  social_account_id uuid not null,
  -- The account's network, kept here so that removing the account (whose row is gone by the
  -- time the cascade reaches these rows) still takes its gains out of the network rollup.
  network text not null,
  target_id uuid,
  subject_id uuid not null,
  metric postiz.analytics_metric not null,
  day date not null,
  level numeric not null,
  gain numeric not null,
  observed_at timestamptz not null,
  primary key (subject_id, metric, day),
  check (subject_id = coalesce(target_id, social_account_id)),
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, target_id) references postiz.post_targets (workspace_id, id) on delete cascade
);
comment on table postiz.analytics_daily is
  'Per subject (target or account), metric and workspace day: last value (level) and gain over the previous day with data. Written by triggers.';
-- Ranges of a workspace's days, in the order the export pages through them.
create index analytics_daily_workspace_id_day_idx on postiz.analytics_daily (workspace_id, day, subject_id, metric);
create index analytics_daily_workspace_id_account_idx on postiz.analytics_daily (workspace_id, social_account_id);
create index analytics_daily_target_id_idx on postiz.analytics_daily (target_id, workspace_id) where target_id is not null;

create table postiz.analytics_rollups (
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  scope text not null check (scope in ('workspace', 'network', 'account')),
  -- '' for the workspace, the network's wire name, or the account id.
  scope_key text not null,
  metric postiz.analytics_metric not null,
  day date not null,
  gain numeric not null,
  primary key (workspace_id, scope, scope_key, metric, day),
  check ((scope = 'workspace') = (scope_key = ''))
);
comment on table postiz.analytics_rollups is
  'Gains per workspace, network and account by workspace day, maintained incrementally. Written by triggers.';

-- The latest value per subject and metric (what a post has now), with the post's publishing time
-- beside it: top posts and best time read it instead of looking for the last day of each post.
create table postiz.analytics_latest (
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  social_account_id uuid not null,
  target_id uuid,
  subject_id uuid not null,
  metric postiz.analytics_metric not null,
  level numeric not null,
  day date not null,
  observed_at timestamptz not null,
  -- The target's publishing time (null for an account's own numbers).
  published_at timestamptz,
  primary key (subject_id, metric),
  check (subject_id = coalesce(target_id, social_account_id)),
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, target_id) references postiz.post_targets (workspace_id, id) on delete cascade
);
comment on table postiz.analytics_latest is
  'The latest value per subject and metric, with the target''s publishing time. Written by triggers.';
-- Top posts and best time: a workspace's posts published in a range, per metric.
create index analytics_latest_workspace_id_published_idx on postiz.analytics_latest (workspace_id, published_at, metric)
  where target_id is not null;
create index analytics_latest_workspace_id_account_idx on postiz.analytics_latest (workspace_id, social_account_id);
create index analytics_latest_target_id_idx on postiz.analytics_latest (target_id, workspace_id) where target_id is not null;

-- Functions -------------------------------------------------------------------------------------

/*
 * Recomputes the days that the changed snapshots touch (and each one's next day with data) and
 * moves the rollups by the difference of each gain. One statement, set-based, whatever the
 * batch size. Called by the statement triggers below with the transition table `changed`.
 * Security definer: runs for the worker's inserts; clients cannot write snapshots.
 */
create function postiz_private.roll_up_analytics()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
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
  on conflict (workspace_id, scope, scope_key, metric, day) do update set gain = r.gain + excluded.gain;
  return null;
end;
$$;

/*
 * Takes removed daily rows' gains out of the rollups (an account or post deleted, retention).
 * Only updates: a rollup row that is already gone (pruned first) stays gone.
 */
create function postiz_private.roll_down_analytics()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  with deltas as (
    select g.workspace_id, g.social_account_id::text as account, g.network, g.metric, g.day, g.gain
    from removed g
  ),
  scoped as (
    select workspace_id, 'workspace' as scope, '' as scope_key, metric, day, sum(gain) as gain
    from deltas group by workspace_id, metric, day
    union all
    select workspace_id, 'network', network, metric, day, sum(gain) from deltas group by workspace_id, network, metric, day
    union all
    select workspace_id, 'account', account, metric, day, sum(gain) from deltas group by workspace_id, account, metric, day
  )
  update postiz.analytics_rollups r set gain = r.gain - s.gain
  from scoped s
  where r.workspace_id = s.workspace_id and r.scope = s.scope and r.scope_key = s.scope_key
    and r.metric = s.metric and r.day = s.day;
  return null;
end;
$$;

/*
 * Retention for the derived tables: days older than the plan keeps. Rollups first, so that
 * removing the daily rows subtracts nothing from rows that are gone.
 */
create function postiz_private.service_prune_analytics_rollups()
returns bigint
language sql
security definer
set search_path = ''
as $$
  with r as (
    delete from postiz.analytics_rollups r
    using postiz.workspaces w join postiz.plans p on p.code = w.plan
    where r.workspace_id = w.id and r.day < (now() - make_interval(days => p.analytics_retention_days))::date
    returning 1
  ),
  d as (
    delete from postiz.analytics_daily d
    using postiz.workspaces w join postiz.plans p on p.code = w.plan
    where d.workspace_id = w.id and d.day < (now() - make_interval(days => p.analytics_retention_days))::date
    returning 1
  )
  select (select count(*) from r) + (select count(*) from d)
$$;

/*
 * A workspace's days follow its time zone: when the zone changes, its daily rows, rollups and
 * latest values are rebuilt from its snapshots in the new zone's days (the snapshots are what
 * is true; the rest is derived). Costs one pass over the workspace's snapshots.
 */
create function postiz_private.rebuild_analytics_for_zone()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from postiz.analytics_daily where workspace_id = new.id;
  delete from postiz.analytics_rollups where workspace_id = new.id;
  delete from postiz.analytics_latest where workspace_id = new.id;
  update postiz.analytics_events set value = value where workspace_id = new.id;
  return null;
end;
$$;

-- Triggers --------------------------------------------------------------------------------------

create trigger workspaces_rebuild_analytics_for_zone after update of time_zone on postiz.workspaces
  for each row when (new.time_zone is distinct from old.time_zone)
  execute function postiz_private.rebuild_analytics_for_zone();

-- Transition tables allow one event per trigger: inserts and updates each get one.
create trigger analytics_events_roll_up_inserted after insert on postiz.analytics_events
  referencing new table as changed
  for each statement execute function postiz_private.roll_up_analytics();
create trigger analytics_events_roll_up_updated after update on postiz.analytics_events
  referencing new table as changed
  for each statement execute function postiz_private.roll_up_analytics();
create trigger analytics_daily_roll_down_removed after delete on postiz.analytics_daily
  referencing old table as removed
  for each statement execute function postiz_private.roll_down_analytics();

-- Backfill from the snapshots already stored.
update postiz.analytics_events set value = value;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.analytics_daily, postiz.analytics_rollups, postiz.analytics_latest from public, anon, authenticated, service_role;
grant select on table postiz.analytics_daily, postiz.analytics_rollups, postiz.analytics_latest to authenticated;
grant select, insert, update, delete on table postiz.analytics_daily, postiz.analytics_rollups, postiz.analytics_latest to service_role;

revoke all on function postiz_private.roll_up_analytics() from public, anon, authenticated, service_role;
revoke all on function postiz_private.roll_down_analytics() from public, anon, authenticated, service_role;
revoke all on function postiz_private.rebuild_analytics_for_zone() from public, anon, authenticated, service_role;
revoke all on function postiz_private.service_prune_analytics_rollups() from public, anon, authenticated;
grant execute on function postiz_private.service_prune_analytics_rollups() to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.analytics_daily enable row level security;
alter table postiz.analytics_daily force row level security;
alter table postiz.analytics_rollups enable row level security;
alter table postiz.analytics_rollups force row level security;
alter table postiz.analytics_latest enable row level security;
alter table postiz.analytics_latest force row level security;

create policy "Members can view their workspace's daily analytics" on postiz.analytics_daily
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Members can view their workspace's analytics rollups" on postiz.analytics_rollups
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Members can view their workspace's latest analytics" on postiz.analytics_latest
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));
