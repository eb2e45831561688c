-- The analytics read policies call postiz_private.workspaces_with_analytics() once per
-- statement. As a SQL function that cannot be inlined (security definer, set-returning) it was
-- planned again on every call, which cost more than the small analytics queries themselves
-- (a post's series: ~0.3 ms of work, ~0.3 ms of policy). PL/pgSQL keeps its plan for the
-- session, as workspaces_with_role already does (20261122210000). Same rows, same rules.

-- Functions -------------------------------------------------------------------------------------

/*
 * The workspaces the caller may view (workspaces_with_role('viewer'): for an API key, its own
 * workspace while the key is live) whose plan includes analytics. Called once per statement
 * by the analytics policies (an initPlan); its plan is cached per session.
 */
create or replace function postiz_private.workspaces_with_analytics()
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return query
    select w.id
    from postiz.workspaces w
    join postiz.plans p on p.code = w.plan
    where w.id = any (array(select postiz_private.workspaces_with_role('viewer')))
      and p.analytics_enabled;
end;
$$;
