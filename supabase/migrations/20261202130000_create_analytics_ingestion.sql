-- Analytics ingestion: what the worker fetches next and when, and the snapshots it keeps.
--
-- Every published target is watched on a decaying cadence (1 h, 6 h, 24 h, 3 d, 7 d, 30 d after
-- publishing, then never again), and every connected account once a day. The worker claims due
-- watches (postiz_private.service_claim_analytics), asks the network, and records one snapshot
-- per metric in postiz.analytics_events (service_record_analytics), whose unique key
-- (account, target, metric, bucket_start) deduplicates snapshots per hour: bucket_start is the
-- hour the numbers were observed in, observed_at the instant.
--
-- A watch says why numbers stopped (the post was removed on the network, the account needs
-- reconnecting, the network offers none): members read it to show freshness and reasons.

-- Enums -----------------------------------------------------------------------------------------

-- The normalized vocabulary gains what networks report and the enum lacked. (Values added
-- here are used from the next transaction on, by the worker.)
alter type postiz.analytics_metric add value if not exists 'quotes';
alter type postiz.analytics_metric add value if not exists 'following';
alter type postiz.analytics_metric add value if not exists 'posts';

create type postiz.analytics_watch_state as enum (
  'active',      -- fetched at next_fetch_at
  'done',        -- the cadence is over (posts) — numbers stay as last seen
  'gone',        -- the network says the post no longer exists or may not be read
  'unsupported', -- the network offers no numbers for it
  'paused'       -- the account cannot be read until it is reconnected
);

-- Tables ----------------------------------------------------------------------------------------

-- A plan may leave analytics out: then nothing of its workspaces is fetched, and (see
-- 20261202150000_analytics_plan_gate.sql) nothing shown.
alter table postiz.plans add column analytics_enabled boolean not null default true;
comment on column postiz.plans.analytics_enabled is 'Whether the plan includes analytics (ingestion and reading).';

create table postiz.analytics_watches (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  social_account_id uuid not null,
  -- Null: the account's own numbers (followers, …).
  target_id uuid,
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  state postiz.analytics_watch_state not null default 'active',
  -- Posts: the cadence step reached (index into postiz_private.analytics_post_cadence()).
  step smallint not null default 0 check (step >= 0),
  -- Posts: when the target was published (the cadence counts from it).
  published_at timestamptz,
  next_fetch_at timestamptz,
  last_fetched_at timestamptz,
  -- Consecutive failures of the transient kind (backoff), reset by a success.
  failures integer not null default 0 check (failures >= 0),
  -- Why the last fetch failed, worded for the person who reads it.
  last_error text,
  -- A worker holds the watch until then (several workers on several machines).
  lease_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique nulls not distinct (social_account_id, target_id),
  check ((state = 'active') = (next_fetch_at is not null)),
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, target_id) references postiz.post_targets (workspace_id, id) on delete cascade
);
comment on table postiz.analytics_watches is
  'What the worker fetches numbers for next, and why it stopped. Members read; service_role writes.';
-- The worker's scan: active watches that are due, most overdue first.
create index analytics_watches_due_idx on postiz.analytics_watches (next_fetch_at) where state = 'active';
create index analytics_watches_workspace_id_account_idx on postiz.analytics_watches (workspace_id, social_account_id);
create index analytics_watches_target_id_idx on postiz.analytics_watches (target_id, workspace_id) where target_id is not null;

-- The network's own numbers of each fetch, as received (one row per subject and hour, like the
-- normalized snapshots in analytics_events): kept so a metric we map later, or a mapping that
-- was wrong, can be recovered from history.
create table postiz.analytics_snapshots (
  id bigint generated always as identity primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  social_account_id uuid not null,
  target_id uuid,
  bucket_start timestamptz not null,
  observed_at timestamptz not null,
  raw jsonb not null check (jsonb_typeof(raw) = 'object'),
  unique nulls not distinct (social_account_id, target_id, bucket_start),
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, target_id) references postiz.post_targets (workspace_id, id) on delete cascade
);
comment on table postiz.analytics_snapshots is
  'The network''s raw numbers of each fetch (per subject and hour). Members read; service_role writes.';
create index analytics_snapshots_workspace_id_account_idx on postiz.analytics_snapshots (workspace_id, social_account_id);
create index analytics_snapshots_target_id_idx on postiz.analytics_snapshots (target_id, workspace_id) where target_id is not null;
create index analytics_snapshots_bucket_start_idx on postiz.analytics_snapshots (bucket_start);

-- Functions -------------------------------------------------------------------------------------

/*
 * The post cadence: how long after publishing each fetch happens. One place, read by the
 * triggers below and the worker; change it here (a new migration) to change it everywhere.
 */
create function postiz_private.analytics_post_cadence()
returns interval[]
language sql
immutable
set search_path = ''
as $$
  select array['1 hour', '6 hours', '24 hours', '3 days', '7 days', '30 days']::interval[]
$$;

/*
 * Starts watching a target when it is published (and an account when it is connected).
 * Security definer: the status change is the worker's (service_role) or a user's trigger chain;
 * the watch row is service-owned either way.
 */
create function postiz_private.watch_published_target()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- The triggers' WHEN clauses let only targets that just became published through.
  insert into postiz.analytics_watches (workspace_id, social_account_id, target_id, network, published_at, next_fetch_at)
  select new.workspace_id, new.social_account_id, new.id, a.network, coalesce(new.published_at, now()),
         coalesce(new.published_at, now()) + (postiz_private.analytics_post_cadence())[1]
  from postiz.social_accounts a
  where a.id = new.social_account_id
  on conflict (social_account_id, target_id) do nothing;
  return null;
end;
$$;

create function postiz_private.watch_connected_account()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into postiz.analytics_watches (workspace_id, social_account_id, target_id, network, next_fetch_at)
  values (new.workspace_id, new.id, null, new.network, now())
  on conflict (social_account_id, target_id) do nothing;
  return null;
end;
$$;

/*
 * Claims up to `max_watches` due watches for `lease_secs` and returns what the worker needs to
 * fetch them: the network, the account's ids and its sealed token, the post's id at the network.
 * Skips watches whose active account has a publish about to be sent (queued or running, due
 * within a minute): publishing has priority on the account (they are tried a minute later); a
 * paused account's waiting jobs do not hold its watches back, so those get claimed and say
 * "reconnect". Watches of workspaces whose plan has no analytics wait an hour at a time.
 */
create function postiz_private.service_claim_analytics(max_watches integer, lease_secs double precision)
returns table (
  watch_id uuid,
  workspace_id uuid,
  social_account_id uuid,
  target_id uuid,
  network text,
  step smallint,
  published_at timestamptz,
  failures integer,
  external_account_id text,
  handle text,
  remote_post_id text,
  account_status text,
  access_token_key_id text,
  access_token_nonce bytea,
  access_token_ciphertext bytea,
  server_url text
)
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Postpone watches of accounts that are about to publish.
  update postiz.analytics_watches w
  set next_fetch_at = now() + interval '1 minute', updated_at = now()
  where w.state = 'active' and w.next_fetch_at <= now()
    and exists (
      select 1 from postiz.queue_jobs j
      join postiz.social_accounts a on a.id = j.social_account_id and a.status = 'active'
      where j.social_account_id = w.social_account_id
        and j.completed_at is null and j.status in ('queued', 'running')
        and j.run_at <= now() + interval '1 minute'
    );
  -- Workspaces whose plan has no analytics: checked again in an hour (the plan may change).
  update postiz.analytics_watches w
  set next_fetch_at = now() + interval '1 hour', updated_at = now()
  from postiz.workspaces ws join postiz.plans p on p.code = ws.plan
  where ws.id = w.workspace_id and not p.analytics_enabled
    and w.state = 'active' and w.next_fetch_at <= now();
  return query
  with due as (
    select w.id
    from postiz.analytics_watches w
    where w.state = 'active' and w.next_fetch_at <= now()
      and (w.lease_until is null or w.lease_until < now())
    order by w.next_fetch_at
    limit max_watches
    for update skip locked
  ),
  claimed as (
    update postiz.analytics_watches w
    set lease_until = now() + make_interval(secs => lease_secs), updated_at = now()
    from due where w.id = due.id
    returning w.*
  )
  select c.id, c.workspace_id, c.social_account_id, c.target_id, c.network, c.step, c.published_at, c.failures,
         coalesce(a.external_page_id, a.external_account_id), a.handle, t.external_id, a.status::text,
         cr.access_token_key_id, cr.access_token_nonce, cr.access_token_ciphertext, cr.server_url
  from claimed c
  join postiz.social_accounts a on a.id = c.social_account_id
  left join postiz.post_targets t on t.id = c.target_id
  left join postiz.credentials cr on cr.social_account_id = c.social_account_id;
end;
$$;

/*
 * Records one fetch: a snapshot per metric (metrics: {"likes": 3, …}, names of
 * postiz.analytics_metric; unknown names are refused), deduplicated per observed hour, the
 * network's own numbers as received (raw) beside them, and the watch advanced: a post to its
 * next cadence step (or done), an account to tomorrow.
 */
create function postiz_private.service_record_analytics(watch uuid, observed timestamptz, metrics jsonb, raw jsonb)
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
  on conflict (social_account_id, target_id, metric, bucket_start)
  do update set value = excluded.value, observed_at = excluded.observed_at
    where analytics_events.observed_at <= excluded.observed_at;
  insert into postiz.analytics_snapshots (workspace_id, social_account_id, target_id, bucket_start, observed_at, raw)
  values (w.workspace_id, w.social_account_id, w.target_id, date_trunc('hour', observed), observed, coalesce(raw, '{}'))
  on conflict (social_account_id, target_id, bucket_start)
  do update set raw = excluded.raw, observed_at = excluded.observed_at
    where analytics_snapshots.observed_at <= excluded.observed_at;
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
 * Records a fetch that did not happen: `outcome` 'retry' (a failure: again at `retry_at`,
 * failures + 1), 'postpone' (waiting for a rate limit or a busy account: again at `retry_at`),
 * or a final state ('gone', 'unsupported', 'paused') with the reason shown to users.
 */
create function postiz_private.service_analytics_failed(watch uuid, outcome text, reason text, retry_at timestamptz)
returns void
language sql
security definer
set search_path = ''
as $$
  update postiz.analytics_watches
  set last_error = case when outcome = 'postpone' then last_error else reason end,
      lease_until = null, updated_at = now(),
      failures = case when outcome = 'retry' then failures + 1 else failures end,
      state = case when outcome in ('retry', 'postpone') then 'active' else outcome::postiz.analytics_watch_state end,
      next_fetch_at = case when outcome in ('retry', 'postpone') then retry_at end
  where id = watch
$$;

/*
 * Puts an account's paused watches back when it is reconnected (it is 'active' again).
 */
create function postiz_private.resume_account_watches()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status = 'active' and old.status is distinct from 'active' then
    update postiz.analytics_watches
    set state = 'active', next_fetch_at = now(), last_error = null, updated_at = now()
    where social_account_id = new.id and state = 'paused';
  end if;
  return null;
end;
$$;

/*
 * Deletes snapshots older than each workspace's plan allows (plans.analytics_retention_days).
 * Returns how many rows went. Run daily by the worker.
 */
create function postiz_private.service_prune_analytics()
returns bigint
language sql
security definer
set search_path = ''
as $$
  with raw as (
    delete from postiz.analytics_snapshots s
    using postiz.workspaces w join postiz.plans p on p.code = w.plan
    where s.workspace_id = w.id
      and s.bucket_start < now() - make_interval(days => p.analytics_retention_days)
  ),
  gone as (
    delete from postiz.analytics_events e
    using postiz.workspaces w join postiz.plans p on p.code = w.plan
    where e.workspace_id = w.id
      and e.bucket_start < now() - make_interval(days => p.analytics_retention_days)
    returning 1
  )
  select count(*) from gone
$$;

-- Triggers --------------------------------------------------------------------------------------

-- WHEN clauses, so the worker's hot updates (claims, 'publishing') never call the function.
create trigger post_targets_watch_published after update of status on postiz.post_targets
  for each row when (new.status = 'published' and old.status <> 'published')
  execute function postiz_private.watch_published_target();
create trigger post_targets_watch_inserted_published after insert on postiz.post_targets
  for each row when (new.status = 'published')
  execute function postiz_private.watch_published_target();
create trigger social_accounts_watch_connected after insert on postiz.social_accounts
  for each row execute function postiz_private.watch_connected_account();
create trigger social_accounts_resume_watches after update of status on postiz.social_accounts
  for each row execute function postiz_private.resume_account_watches();
create trigger analytics_watches_touch_updated_at before update on postiz.analytics_watches
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function postiz_private.touch_updated_at();

-- Backfill: published targets and connected accounts are watched from now on.
insert into postiz.analytics_watches (workspace_id, social_account_id, target_id, network, published_at, next_fetch_at)
select t.workspace_id, t.social_account_id, t.id, a.network, coalesce(t.published_at, t.updated_at), now()
from postiz.post_targets t join postiz.social_accounts a on a.id = t.social_account_id
where t.status = 'published'
on conflict (social_account_id, target_id) do nothing;
insert into postiz.analytics_watches (workspace_id, social_account_id, target_id, network, next_fetch_at)
select a.workspace_id, a.id, null, a.network, now() from postiz.social_accounts a
on conflict (social_account_id, target_id) do nothing;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.analytics_watches, postiz.analytics_snapshots from public, anon, authenticated, service_role;
grant select on table postiz.analytics_watches, postiz.analytics_snapshots to authenticated;
grant select, insert, update, delete on table postiz.analytics_watches, postiz.analytics_snapshots to service_role;

revoke all on function postiz_private.analytics_post_cadence() from public, anon;
grant execute on function postiz_private.analytics_post_cadence() to authenticated, service_role;
revoke all on function postiz_private.watch_published_target() from public, anon, authenticated, service_role;
revoke all on function postiz_private.watch_connected_account() from public, anon, authenticated, service_role;
revoke all on function postiz_private.resume_account_watches() from public, anon, authenticated, service_role;
revoke all on function postiz_private.service_claim_analytics(integer, double precision) from public, anon, authenticated;
revoke all on function postiz_private.service_record_analytics(uuid, timestamptz, jsonb, jsonb) from public, anon, authenticated;
revoke all on function postiz_private.service_analytics_failed(uuid, text, text, timestamptz) from public, anon, authenticated;
revoke all on function postiz_private.service_prune_analytics() from public, anon, authenticated;
grant execute on function postiz_private.service_claim_analytics(integer, double precision) to service_role;
grant execute on function postiz_private.service_record_analytics(uuid, timestamptz, jsonb, jsonb) to service_role;
grant execute on function postiz_private.service_analytics_failed(uuid, text, text, timestamptz) to service_role;
grant execute on function postiz_private.service_prune_analytics() to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.analytics_watches enable row level security;
alter table postiz.analytics_watches force row level security;
alter table postiz.analytics_snapshots enable row level security;
alter table postiz.analytics_snapshots force row level security;

create policy "Members can view their workspace's raw analytics" on postiz.analytics_snapshots
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Members can view their workspace's analytics watches" on postiz.analytics_watches
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));
