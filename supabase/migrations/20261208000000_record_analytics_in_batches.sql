-- A round's readings recorded in one statement instead of one per post.
--
-- The rollups are maintained by statement triggers on analytics_events, whose cost is mostly per
-- statement: recording 10,000 readings post by post (2,000 statements of 5) took 8.9 s, in 10
-- statements of 1,000 1.2 s (`cargo xtask bench analytics --burst 10000
-- --burst-posts-per-statement 1` and `200`). The worker fetches a round of watches, then records
-- every reading of the round at once through this function; each reading follows the rules of
-- service_record_analytics (kept for one-off use).

/*
 * Records readings given as parallel arrays (the i-th watch, the lease its worker holds, when it
 * was read, its metrics and raw numbers), as service_record_analytics takes them one by one: the numbers are kept whoever holds the lease
 * (they are true readings); the watch moves on only for the holder of its current lease; a
 * watch removed meanwhile is skipped. Watches are locked in id order, so concurrent workers
 * wait for each other instead of deadlocking. Returns the readings recorded.
 */
create function postiz_private.service_record_analytics_batch(
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
    on conflict (social_account_id, target_id, metric, bucket_start)
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

revoke all on function postiz_private.service_record_analytics_batch(uuid[], timestamptz[], timestamptz[], jsonb[], jsonb[])
  from public, anon, authenticated;
grant execute on function postiz_private.service_record_analytics_batch(uuid[], timestamptz[], timestamptz[], jsonb[], jsonb[])
  to service_role;

/*
 * As in 20261203000100, with the two adjustments before the claim skipping watches another
 * worker holds: a batch of readings now holds a round's watches (locked in id order) until it
 * commits, and these updates, which locked watches in their own order and waited, could wait on
 * that batch while it waited on them. A leased watch is left to its holder, who sets its next
 * reading anyway.
 */
create or replace function postiz_private.service_claim_analytics(max_watches integer, lease_secs double precision)
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
  server_url text,
  lease_until timestamptz
)
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Postpone watches of accounts that are about to publish.
  with publishing as (
    select w.id from postiz.analytics_watches w
    where w.state = 'active' and w.next_fetch_at <= now()
      and (w.lease_until is null or w.lease_until < now())
      and exists (
        select 1 from postiz.queue_jobs j
        join postiz.social_accounts a on a.id = j.social_account_id and a.status = 'active'
        where j.social_account_id = w.social_account_id
          and j.completed_at is null and j.status in ('queued', 'running')
          and j.run_at <= now() + interval '1 minute'
      )
    order by w.id
    for update of w skip locked
  )
  update postiz.analytics_watches w
  set next_fetch_at = now() + interval '1 minute', updated_at = now()
  from publishing p where w.id = p.id;
  -- Workspaces whose plan has no analytics: checked again in an hour (the plan may change).
  with unplanned as (
    select w.id from postiz.analytics_watches w
    join postiz.workspaces ws on ws.id = w.workspace_id
    join postiz.plans p on p.code = ws.plan
    where not p.analytics_enabled
      and w.state = 'active' and w.next_fetch_at <= now()
      and (w.lease_until is null or w.lease_until < now())
    order by w.id
    for update of w skip locked
  )
  update postiz.analytics_watches w
  set next_fetch_at = now() + interval '1 hour', updated_at = now()
  from unplanned u where w.id = u.id;
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
         cr.access_token_key_id, cr.access_token_nonce, cr.access_token_ciphertext, cr.server_url, c.lease_until
  from claimed c
  join postiz.social_accounts a on a.id = c.social_account_id
  left join postiz.post_targets t on t.id = c.target_id
  left join postiz.credentials cr on cr.social_account_id = c.social_account_id;
end;
$$;
