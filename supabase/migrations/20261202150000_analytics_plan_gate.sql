-- Analytics as a plan feature: a plan may leave analytics out (plans.analytics_enabled), and
-- then nothing of the workspace is fetched or shown. Enforced here, not only in the API:
-- the worker's claim skips such workspaces' watches, and members read analytics rows only of
-- workspaces whose plan includes analytics (the policies below replace the members-only ones).
-- Retention was already per plan (plans.analytics_retention_days).
--
-- The claim also stops postponing watches for jobs that are not about to be sent: a paused
-- account's jobs wait (`pending`) until it is reconnected, and its watches must be claimed so
-- that they say "reconnect" instead of waiting a minute, every minute.

-- Tables ----------------------------------------------------------------------------------------

alter table postiz.plans add column analytics_enabled boolean not null default true;
comment on column postiz.plans.analytics_enabled is 'Whether the plan includes analytics (ingestion and reading).';

-- Functions -------------------------------------------------------------------------------------

/*
 * The workspaces the caller may view (workspaces_with_role('viewer'): for an API key, its own
 * workspace while the key is live) whose plan includes analytics. Called once per statement
 * by the analytics policies (an initPlan).
 */
create function postiz_private.workspaces_with_analytics()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select w.id
  from postiz.workspaces w
  join postiz.plans p on p.code = w.plan
  where w.id = any (array(select postiz_private.workspaces_with_role('viewer'))) and p.analytics_enabled
$$;

/* See 20261202130000_create_analytics_ingestion.sql; now skips workspaces without analytics. */
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

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.workspaces_with_analytics() from public, anon;
grant execute on function postiz_private.workspaces_with_analytics() to authenticated, service_role;

-- Row-level security ----------------------------------------------------------------------------

drop policy "Members can view their workspace's analytics" on postiz.analytics_events;
drop policy "Members can view their workspace's raw analytics" on postiz.analytics_snapshots;
drop policy "Members can view their workspace's daily analytics" on postiz.analytics_daily;
drop policy "Members can view their workspace's analytics rollups" on postiz.analytics_rollups;
drop policy "Members can view their workspace's latest analytics" on postiz.analytics_latest;

create policy "Members can view their workspace's analytics when the plan includes it" on postiz.analytics_events
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_analytics())));
create policy "Members can view their workspace's raw analytics when the plan includes it" on postiz.analytics_snapshots
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_analytics())));
create policy "Members can view their workspace's daily analytics when the plan includes it" on postiz.analytics_daily
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_analytics())));
create policy "Members can view their workspace's analytics rollups when the plan includes it" on postiz.analytics_rollups
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_analytics())));
create policy "Members can view their workspace's latest analytics when the plan includes it" on postiz.analytics_latest
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_analytics())));
