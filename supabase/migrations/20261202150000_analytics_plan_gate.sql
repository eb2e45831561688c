-- Analytics as a plan feature (plans.analytics_enabled, 20261202130000): the worker's claim
-- already skips such workspaces' watches; here members lose sight of their analytics rows too.
-- The policies below replace the members-only ones, and honour API-key scoping through
-- workspaces_with_role. Retention was already per plan (plans.analytics_retention_days).

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
