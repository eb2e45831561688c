-- Plan limits are checked only for rows the caller may write.
--
-- enforce_account_plan_limits and enforce_schedule_plan_limits are security definer BEFORE
-- triggers, and BEFORE triggers run before RLS's WITH CHECK. An outsider inserting a row with
-- another workspace's id therefore learned that workspace's plan, its allowed networks and
-- whether it was at its account limit, and row-locked the workspace until their transaction
-- ended. Both now first ask whether a signed-in caller holds the role the table's policies
-- require (admin for social accounts, editor for schedules); if not, they let the row through
-- untouched and RLS refuses it with its usual message, before any plan is read or locked.
-- service_role (the worker, the connect flow) is trusted as before.
--
-- `current_setting('role')` is the role the statement runs as even inside these security
-- definer functions (it is SET ROLE's value, not the definer).

-- Functions -------------------------------------------------------------------------------------

/*
 * Whether the statement runs for a signed-in client (role authenticated or anon) that lacks
 * `min_role` in `ws`: then a trigger must not read anything of that workspace. Cost: one index
 * probe on workspace_members.
 */
create function postiz_private.is_client_without_role(ws uuid, min_role postiz.workspace_role)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select current_setting('role', true) in ('authenticated', 'anon')
     and not postiz_private.has_workspace_role(ws, min_role)
$$;

/* See 20261122100100_create_social_accounts.sql; now refuses to look before RLS would. */
create or replace function postiz_private.enforce_account_plan_limits()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  p postiz.plans;
begin
  if postiz_private.is_client_without_role(new.workspace_id, 'admin') then
    return new;  -- RLS refuses it; nothing of the workspace is read or locked
  end if;
  select pl.* into p
  from postiz.workspaces w join postiz.plans pl on pl.code = w.plan
  where w.id = new.workspace_id
  for no key update of w;
  if not found then
    return new;
  end if;
  if p.networks_allowed is not null and not (new.network = any (p.networks_allowed)) then
    raise exception 'the % plan does not include %', p.code, new.network
      using errcode = 'P0001', hint = 'plan_network_not_allowed';
  end if;
  if tg_op = 'INSERT' and p.max_social_accounts is not null and (
    select count(*) from postiz.social_accounts a where a.workspace_id = new.workspace_id
  ) >= p.max_social_accounts then
    raise exception 'the % plan allows at most % social accounts', p.code, p.max_social_accounts
      using errcode = 'P0001', hint = 'plan_account_limit';
  end if;
  return new;
end;
$$;

/* See 20261122100300_create_schedules_and_queue_jobs.sql; now refuses to look before RLS would. */
create or replace function postiz_private.enforce_schedule_plan_limits()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  p postiz.plans;
begin
  if new.kind = 'once' or postiz_private.is_client_without_role(new.workspace_id, 'editor') then
    return new;
  end if;
  select pl.* into p
  from postiz.workspaces w join postiz.plans pl on pl.code = w.plan
  where w.id = new.workspace_id;
  if found and (new.kind = 'recurring' and not p.allow_recurring or new.kind = 'evergreen' and not p.allow_evergreen) then
    raise exception 'the % plan does not allow % schedules', p.code, new.kind
      using errcode = 'P0001', hint = 'plan_schedule_kind';
  end if;
  return new;
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.is_client_without_role(uuid, postiz.workspace_role) from public, anon, authenticated, service_role;
