-- Workspace API keys for the public API (`/public/v1`): authenticating a key, and row-level
-- security for the requests made with one.
--
-- How a key-authenticated request reaches the database:
--   1. The API hashes the presented key and calls postiz_private.service_authenticate_api_key
--      as service_role. The function answers whether the key is usable and for which
--      workspace, scopes and actor (the member who created it), and stamps last_used_at.
--   2. The request's queries then run in one transaction as `authenticated` with synthetic
--      claims: `sub` = the key's creator, plus `postiz_api_key = {id, workspace_id}`.
--   3. With that claim present, the workspace role helpers below answer for the key rather than
--      for the whole user: only the key's workspace, only while the key is live and its creator
--      is still a member, and at most with the `editor` role (never the creator's admin or
--      owner rights). Every existing policy is written with these helpers, so every table
--      confines a key to its workspace without a policy of its own.
--
-- The key branch can only narrow: it requires the key's creator to be `auth.uid()`, so claims
-- naming a key (say, a forged or misconfigured token) never grant more than the token's own
-- user already holds. Checks made on auth.uid() alone (creating a workspace, leaving one,
-- editing one's own comments) still see the creator; no public API route reaches them.

-- Functions -------------------------------------------------------------------------------------

/*
 * Authenticates an API key by the SHA-256 of its text. Returns no row for an unknown hash, or
 * one row whose `problem` is null when the key may be used, else 'revoked', 'expired' or
 * 'creator_not_member' (the member who created it was removed, or the user deleted).
 * Stamps last_used_at on success, at most once a minute per key, so that a busy integration
 * does not turn every request into a write.
 * service_role only: clients never look keys up.
 */
create function postiz_private.service_authenticate_api_key(key_hash bytea)
returns table (key_id uuid, workspace_id uuid, scopes text[], actor_id uuid, problem text)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  k record;
  usable text;
begin
  select a.id, a.workspace_id, a.scopes, a.created_by, a.revoked_at, a.expires_at, a.last_used_at
    into k
  from postiz.api_keys a
  where a.key_hash = service_authenticate_api_key.key_hash;
  if not found then
    return;
  end if;
  usable := case
    when k.revoked_at is not null then 'revoked'
    when k.expires_at is not null and k.expires_at <= now() then 'expired'
    when k.created_by is null or not exists (
      select 1 from postiz.workspace_members m
      where m.workspace_id = k.workspace_id and m.user_id = k.created_by
    ) then 'creator_not_member'
  end;
  if usable is null and (k.last_used_at is null or k.last_used_at < now() - interval '1 minute') then
    update postiz.api_keys set last_used_at = now() where id = k.id;
  end if;
  return query select k.id, k.workspace_id, k.scopes, k.created_by, usable;
end;
$$;

/*
 * The workspaces where the caller holds at least `min_role`.
 * A user: their memberships (as before). A request made with an API key (claim
 * `postiz_api_key`): the key's workspace only, while the key is live, its creator is the
 * caller and still a member with `min_role`, and `min_role` is at most `editor`.
 * Still PL/pgSQL (plan cached per session) and called once per statement by the policies; the
 * key branch costs one extra jsonb read of the claims for ordinary users.
 */
create or replace function postiz_private.workspaces_with_role(min_role postiz.workspace_role default 'viewer')
returns setof uuid
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  key_id uuid := nullif((select auth.jwt()) -> 'postiz_api_key' ->> 'id', '')::uuid;
begin
  if key_id is null then
    return query
      select m.workspace_id
      from postiz.workspace_members m
      where m.user_id = (select auth.uid())
        and m.role >= min_role;
  elsif min_role <= 'editor' then
    return query
      select k.workspace_id
      from postiz.api_keys k
      join postiz.workspace_members m on m.workspace_id = k.workspace_id and m.user_id = k.created_by
      where k.id = key_id
        and k.created_by = (select auth.uid())
        and k.revoked_at is null
        and (k.expires_at is null or k.expires_at > now())
        and m.role >= min_role;
  end if;
end;
$$;

/*
 * Whether the caller holds at least `min_role` in workspace `ws` (same rules as
 * workspaces_with_role, including the API-key branch).
 */
create or replace function postiz_private.has_workspace_role(ws uuid, min_role postiz.workspace_role default 'viewer')
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if (select auth.jwt()) -> 'postiz_api_key' ->> 'id' is null then
    return exists (
      select 1 from postiz.workspace_members m
      where m.workspace_id = ws and m.user_id = (select auth.uid()) and m.role >= min_role
    );
  end if;
  return exists (select 1 from postiz_private.workspaces_with_role(min_role) w where w = ws);
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.service_authenticate_api_key(bytea) from public, anon, authenticated;
grant execute on function postiz_private.service_authenticate_api_key(bytea) to service_role;
