-- Analytics watches answer only to the worker that holds their lease.
--
-- A worker claims watches for a lease (service_claim_analytics, 120 s by default). One whose
-- fetch outlived its lease could still record after another worker had claimed and recorded
-- the same watch: the watch then moved two cadence steps for one reading (a reading skipped),
-- or a stale failure overwrote a success. The claim now returns the lease it took, and
-- recording an outcome names it: a reading from an expired lease is still stored (the numbers
-- are real) but moves the watch no further; a stale failure changes nothing. A watch recorded
-- without a claim (null lease on an unclaimed watch) is moved as before.

-- Functions -------------------------------------------------------------------------------------

drop function postiz_private.service_claim_analytics(integer, double precision);
drop function postiz_private.service_record_analytics(uuid, timestamptz, jsonb, jsonb);
drop function postiz_private.service_analytics_failed(uuid, text, text, timestamptz);

/*
 * As in 20261202130000, and it returns the lease taken (lease_until).
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
  server_url text,
  -- The lease this claim holds: recording the outcome requires it.
  lease_until timestamptz
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
         cr.access_token_key_id, cr.access_token_nonce, cr.access_token_ciphertext, cr.server_url, c.lease_until
  from claimed c
  join postiz.social_accounts a on a.id = c.social_account_id
  left join postiz.post_targets t on t.id = c.target_id
  left join postiz.credentials cr on cr.social_account_id = c.social_account_id;
end;
$$;

/*
 * As in 20261202130000, for the holder of `lease` (the value service_claim_analytics returned;
 * null for a watch that is not claimed).
 */
create function postiz_private.service_record_analytics(watch uuid, lease timestamptz, observed timestamptz, metrics jsonb, raw jsonb)
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
 * As in 20261202130000, for the holder of `lease` only.
 */
create function postiz_private.service_analytics_failed(watch uuid, lease timestamptz, outcome text, reason text, retry_at timestamptz)
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
  -- Only the holder of the current lease (see service_record_analytics).
  where id = watch and lease_until is not distinct from lease
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.service_claim_analytics(integer, double precision) from public, anon, authenticated;
revoke all on function postiz_private.service_record_analytics(uuid, timestamptz, timestamptz, jsonb, jsonb) from public, anon, authenticated;
revoke all on function postiz_private.service_analytics_failed(uuid, timestamptz, text, text, timestamptz) from public, anon, authenticated;
grant execute on function postiz_private.service_claim_analytics(integer, double precision) to service_role;
grant execute on function postiz_private.service_record_analytics(uuid, timestamptz, timestamptz, jsonb, jsonb) to service_role;
grant execute on function postiz_private.service_analytics_failed(uuid, timestamptz, text, text, timestamptz) to service_role;
