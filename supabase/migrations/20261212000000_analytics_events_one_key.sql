-- Fewer index entries and no row locks per recorded reading.
--
-- A burst of readings of random posts (`cargo xtask bench analytics --burst 100000
-- --burst-writers 2`, each reading a new day for its post) spends most of its time on pages of
-- indexes keyed by the post, which sit anywhere in the index: each reading added an entry to
-- two near-identical unique keys of analytics_events ((account, target, metric, hour) and
-- (subject, metric, hour), where the subject is the target, or the account for account-level
-- numbers: a target belongs to one account, so the keys say the same), to a target index on
-- analytics_events and to another on analytics_daily, and each row checked a foreign key to
-- post_targets, which also locks the target's row (a write to its page) per row.
--
-- Now:
--   - analytics_events has one unique key, (subject, metric, hour), which every writer names
--     as its conflict target; the older key and the target index go.
--   - analytics_events and analytics_daily no longer reference post_targets. Removing targets
--     removes their readings and daily rows (and so takes their gains out of the rollups) by a
--     statement trigger on post_targets that finds them by subject, as the foreign keys'
--     cascade did by target. That a recorded reading's target exists in the reading's
--     workspace is checked (and the target key-share locked) once per target and statement
--     instead of once per row.
--   - The account foreign keys stay: accounts are few and their index pages stay in memory.

-- Tables ----------------------------------------------------------------------------------------

-- The keys say the same for rows written by the recording functions; rows written otherwise
-- could disagree, so keep the latest reading of each (subject, metric, hour) before the key.
delete from postiz.analytics_events e
using postiz.analytics_events d
where d.subject_id = e.subject_id and d.metric = e.metric and d.bucket_start = e.bucket_start
  and (d.observed_at, d.id) > (e.observed_at, e.id);

create unique index analytics_events_subject_key
  on postiz.analytics_events (subject_id, metric, bucket_start) include (value);
alter table postiz.analytics_events
  drop constraint analytics_events_social_account_id_target_id_metric_bucket__key,
  drop constraint analytics_events_workspace_id_target_id_fkey;
drop index postiz.analytics_events_subject_idx;
drop index postiz.analytics_events_target_id_idx;

alter table postiz.analytics_daily drop constraint analytics_daily_workspace_id_target_id_fkey;
drop index postiz.analytics_daily_target_id_idx;

-- Functions -------------------------------------------------------------------------------------

/*
 * Removed targets' readings and daily rows (whose removal takes their gains out of the
 * rollups, see roll_down_analytics). Security definer: editors remove targets and cannot write
 * analytics.
 */
create function postiz_private.remove_targets_analytics()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from postiz.analytics_daily d using removed r where d.subject_id = r.id;
  delete from postiz.analytics_events e using removed r where e.subject_id = r.id;
  return null;
end;
$$;

/*
 * Refuses readings of a target that does not exist in the reading's workspace, as the foreign
 * key did, and like it takes a key-share lock on each target (once per target and statement,
 * not per row), so that a target removed meanwhile waits for the readings' transaction and its
 * trigger above then removes them: nothing is left behind, whoever writes the readings.
 */
create function postiz_private.check_analytics_targets()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  wanted bigint;
  found bigint;
begin
  select count(*) into wanted
  from (select distinct c.target_id, c.workspace_id from changed c where c.target_id is not null) c;
  if wanted = 0 then
    return null;
  end if;
  select count(*) into found
  from (
    select t.id
    from postiz.post_targets t
    join (select distinct c.target_id, c.workspace_id from changed c where c.target_id is not null) c
      on t.id = c.target_id and t.workspace_id = c.workspace_id
    order by t.id
    for key share of t
  ) locked;
  if found <> wanted then
    raise exception 'analytics reading of a post target that is not in its workspace'
      using errcode = '23503';
  end if;
  return null;
end;
$$;

/*
 * As in 20261203000100, with the one unique key of analytics_events as the conflict target.
 */
create or replace function postiz_private.service_record_analytics(watch uuid, lease timestamptz, observed timestamptz, metrics jsonb, raw jsonb)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  w postiz.analytics_watches;
  cadence interval[] := postiz_private.analytics_post_cadence();
  next_step bigint;
begin
  select * into w from postiz.analytics_watches where id = watch for update;
  if not found then
    return;  -- the account or post was removed meanwhile
  end if;
  insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at, source)
  select w.workspace_id, w.social_account_id, w.target_id, m.key::postiz.analytics_metric, m.value::numeric,
         date_trunc('hour', observed), observed, 'api'
  from jsonb_each_text(metrics) m
  on conflict (subject_id, metric, bucket_start)
  do update set value = excluded.value, observed_at = excluded.observed_at
    where analytics_events.observed_at <= excluded.observed_at;
  insert into postiz.analytics_snapshots (workspace_id, social_account_id, target_id, bucket_start, observed_at, raw)
  values (w.workspace_id, w.social_account_id, w.target_id, date_trunc('hour', observed), observed, coalesce(raw, '{}'))
  on conflict (social_account_id, target_id, bucket_start)
  do update set raw = excluded.raw, observed_at = excluded.observed_at
    where analytics_snapshots.observed_at <= excluded.observed_at;
  -- A worker whose lease ran out (another one claimed the watch since) keeps its numbers,
  -- which are true readings, but leaves the watch to the holder of the current lease.
  if w.lease_until is distinct from lease then
    return;
  end if;
  if w.target_id is null then
    update postiz.analytics_watches
    set last_fetched_at = observed, next_fetch_at = observed + interval '1 day', failures = 0, last_error = null,
        state = 'active', lease_until = null, updated_at = now()
    where id = watch;
  else
    -- The next step is the one after this reading's, and not one the post is already older
    -- than: a post read late (a backfill, a long pause) skips to the steps still ahead of it
    -- instead of being read several times a minute apart.
    select min(c.i) into next_step
    from unnest(cadence) with ordinality c(offset_after, i)
    where c.i >= w.step + 2 and w.published_at + c.offset_after > observed;
    update postiz.analytics_watches
    set last_fetched_at = observed, failures = 0, last_error = null, lease_until = null, updated_at = now(),
        step = coalesce(next_step - 1, cardinality(cadence)),
        state = case when next_step is null then 'done'::postiz.analytics_watch_state else 'active' end,
        next_fetch_at = case when next_step is null then null else w.published_at + cadence[next_step] end
    where id = watch;
  end if;
end;
$$;

/*
 * As in 20261208000000, with the one unique key of analytics_events as the conflict target.
 */
create or replace function postiz_private.service_record_analytics_batch(
  watches uuid[], leases timestamptz[], observed timestamptz[], metrics jsonb[], raw jsonb[]
)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  cadence interval[] := postiz_private.analytics_post_cadence();
  recorded integer;
begin
  if cardinality(watches) is distinct from cardinality(leases) or cardinality(watches) is distinct from cardinality(observed)
     or cardinality(watches) is distinct from cardinality(metrics) or cardinality(watches) is distinct from cardinality(raw) then
    raise exception 'one lease, time, metrics and raw value per watch' using errcode = '22023';
  end if;
  if array_position(watches, null) is not null or array_position(observed, null) is not null then
    raise exception 'every reading names its watch and when it was read' using errcode = '22023';
  end if;
  with given as (
    -- One reading per watch (a watch is claimed once per round): the latest.
    select distinct on (r.watch) r.watch, r.lease, r.observed, coalesce(r.metrics, '{}') as metrics, coalesce(r.raw, '{}') as raw
    from unnest(watches, leases, observed, metrics, raw) as r(watch, lease, observed, metrics, raw)
    order by r.watch, r.observed desc nulls last
  ),
  locked as materialized (
    select w.id, w.workspace_id, w.social_account_id, w.target_id, w.step, w.published_at,
           w.lease_until is not distinct from g.lease as holds_lease, g.observed, g.metrics, g.raw
    from postiz.analytics_watches w join given g on g.watch = w.id
    order by w.id
    for update of w
  ),
  events as (
    insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at, source)
    select l.workspace_id, l.social_account_id, l.target_id, m.key::postiz.analytics_metric, m.value::numeric,
           date_trunc('hour', l.observed), l.observed, 'api'
    from locked l cross join lateral jsonb_each_text(l.metrics) m
    on conflict (subject_id, metric, bucket_start)
    do update set value = excluded.value, observed_at = excluded.observed_at
      where analytics_events.observed_at <= excluded.observed_at
  ),
  snapshots as (
    insert into postiz.analytics_snapshots (workspace_id, social_account_id, target_id, bucket_start, observed_at, raw)
    select l.workspace_id, l.social_account_id, l.target_id, date_trunc('hour', l.observed), l.observed, l.raw
    from locked l
    on conflict (social_account_id, target_id, bucket_start)
    do update set raw = excluded.raw, observed_at = excluded.observed_at
      where analytics_snapshots.observed_at <= excluded.observed_at
  ),
  moved as (
    -- The next step is the one after this reading's, and not one the post is already older
    -- than (as in service_record_analytics). Accounts are read daily.
    update postiz.analytics_watches w
    set last_fetched_at = l.observed, failures = 0, last_error = null, lease_until = null, updated_at = now(),
        step = case when l.target_id is null then w.step else coalesce(n.next_step - 1, cardinality(cadence)) end,
        state = case
          when l.target_id is null or n.next_step is not null then 'active'::postiz.analytics_watch_state
          else 'done'::postiz.analytics_watch_state
        end,
        next_fetch_at = case
          when l.target_id is null then l.observed + interval '1 day'
          when n.next_step is null then null
          else l.published_at + cadence[n.next_step]
        end
    from locked l
    left join lateral (
      select min(c.i) as next_step
      from unnest(cadence) with ordinality c(offset_after, i)
      where c.i >= l.step + 2 and l.published_at + c.offset_after > l.observed
    ) n on true
    where w.id = l.id and l.holds_lease
  )
  select count(*)::integer into recorded from locked;
  return recorded;
end;
$$;

-- Triggers --------------------------------------------------------------------------------------

create trigger post_targets_remove_analytics after delete on postiz.post_targets
  referencing old table as removed
  for each statement execute function postiz_private.remove_targets_analytics();
create trigger analytics_events_check_inserted_targets after insert on postiz.analytics_events
  referencing new table as changed
  for each statement execute function postiz_private.check_analytics_targets();
create trigger analytics_events_check_updated_targets after update on postiz.analytics_events
  referencing new table as changed
  for each statement execute function postiz_private.check_analytics_targets();

-- Views -----------------------------------------------------------------------------------------

-- As in 20261202170000, joining the targets by subject (whose key the daily rows and readings
-- have) instead of by target (whose indexes are gone): a BI query for one post or target finds
-- its rows by key. The target's id is taken from the target, which is the same value.
create or replace view postiz.bi_post_metrics_daily
with (security_invoker = true)
as
  select d.day, d.workspace_id, w.name as workspace, a.network, a.id as account_id, a.handle,
         t.post_id, t.id as target_id, left(p.content, 280) as content_preview, t.published_at,
         d.metric::text as metric, d.level, d.gain
  from postiz.analytics_daily d
  join postiz.workspaces w on w.id = d.workspace_id
  join postiz.social_accounts a on a.id = d.social_account_id
  join postiz.post_targets t on t.id = d.subject_id
  join postiz.posts p on p.id = t.post_id;

create or replace view postiz.bi_metric_readings
with (security_invoker = true)
as
  select e.observed_at, e.bucket_start, e.workspace_id, a.network, a.id as account_id, a.handle,
         t.post_id, t.id as target_id, e.metric::text as metric, e.value
  from postiz.analytics_events e
  join postiz.social_accounts a on a.id = e.social_account_id
  left join postiz.post_targets t on t.id = e.subject_id;

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.remove_targets_analytics() from public, anon, authenticated;
revoke all on function postiz_private.check_analytics_targets() from public, anon, authenticated;
