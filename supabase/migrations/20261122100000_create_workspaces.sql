-- Workspaces (tenants), their members and invitations, plan features, and the helpers every
-- later policy calls.
--
-- Tenancy model: a workspace is the unit of isolation. Every row of every postiz table carries
-- `workspace_id`, and every policy reduces to "is the caller a member of that workspace with at
-- least role X". Roles, ascending: viewer < editor < admin < owner.
--
-- Creating a workspace: an `authenticated` user inserts into postiz.workspaces (only name, slug,
-- time_zone and optionally id) and the after-insert trigger makes them its owner. Because the
-- owner row only exists once the statement ends, `insert … returning` cannot read the new row
-- back; call `postiz.create_workspace(name, slug, time_zone)` to get it, or pass your own `id`.
-- (supabase-js `.insert()` without `.select()` does not ask for the row.)

-- Enums -----------------------------------------------------------------------------------------

-- Declared ascending so `role >= 'editor'` means "editor or more".
create type postiz.workspace_role as enum ('viewer', 'editor', 'admin', 'owner');
comment on type postiz.workspace_role is 'Ascending: viewer < editor < admin < owner; compare with >=.';

-- Plan features ---------------------------------------------------------------------------------

-- A catalogue of plans; a workspace has one. Written by the host (service_role), read by users.
create table postiz.plans (
  code text primary key check (code ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  name text not null check (char_length(name) between 1 and 200),
  networks_allowed text[] check (networks_allowed is null or array_position(networks_allowed, null) is null),
  max_social_accounts integer check (max_social_accounts >= 0),
  allow_recurring boolean not null default true,
  allow_evergreen boolean not null default true,
  analytics_retention_days integer not null default 365 check (analytics_retention_days > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table postiz.plans is
  'Plan features: networks_allowed (null = all), max_social_accounts (null = unlimited), recurring and evergreen schedules, analytics retention.';

insert into postiz.plans (code, name) values ('default', 'Default (no limits)') on conflict (code) do nothing;

-- Tables ----------------------------------------------------------------------------------------

create table postiz.workspaces (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(name) between 1 and 200),
  slug text not null unique check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
  time_zone text not null default 'UTC',
  plan text not null default 'default' references postiz.plans (code) on update cascade on delete restrict,
  -- The host application's own tenant id, set by the host's server.
  external_ref text unique,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table postiz.workspaces is 'A tenant. time_zone is the IANA default for schedules.';
create index workspaces_plan_idx on postiz.workspaces (plan);
create index workspaces_created_by_idx on postiz.workspaces (created_by);

create table postiz.workspace_members (
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role postiz.workspace_role not null default 'viewer',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (workspace_id, user_id)
);
-- The role helpers look members up by user: this index answers them from the index alone.
create index workspace_members_user_id_idx on postiz.workspace_members (user_id) include (workspace_id, role);

create table postiz.workspace_invites (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  email text not null check (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
  -- Owners are never invited: ownership is transferred (postiz.transfer_workspace_ownership).
  role postiz.workspace_role not null default 'viewer' check (role <> 'owner'),
  -- sha256 of the secret token mailed to the invitee; the token itself is never stored.
  token_hash bytea not null unique check (octet_length(token_hash) = 32),
  invited_by uuid default auth.uid() references auth.users (id) on delete set null,
  expires_at timestamptz not null default now() + interval '7 days',
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now()
);
create index workspace_invites_workspace_id_idx on postiz.workspace_invites (workspace_id);
create unique index workspace_invites_one_pending_per_email_idx
  on postiz.workspace_invites (workspace_id, lower(email)) where accepted_at is null;
create index workspace_invites_invited_by_idx on postiz.workspace_invites (invited_by);
create index workspace_invites_accepted_by_idx on postiz.workspace_invites (accepted_by);

-- Helpers (postiz_private, security definer, empty search_path) ---------------------------------

/*
 * The workspaces where the signed-in user holds at least `min_role`.
 * Policies call it once per statement: `workspace_id = any (array(select
 * postiz_private.workspaces_with_role('editor')))` becomes an initPlan, and the row filter is
 * then a plain `= any($1)` that can use the table's workspace index.
 * Security definer so that it reads workspace_members without recursing into that table's RLS.
 */
create function postiz_private.workspaces_with_role(min_role postiz.workspace_role default 'viewer')
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.workspace_id
  from postiz.workspace_members m
  where m.user_id = (select auth.uid())
    and m.role >= min_role
$$;

/*
 * Whether the signed-in user holds at least `min_role` in workspace `ws`.
 * For checks on one known workspace (RPCs, triggers). In policies prefer workspaces_with_role:
 * this one, called with a per-row argument, runs once per row.
 */
create function postiz_private.has_workspace_role(ws uuid, min_role postiz.workspace_role default 'viewer')
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from postiz.workspace_members m
    where m.workspace_id = ws and m.user_id = (select auth.uid()) and m.role >= min_role
  )
$$;

/*
 * Whether `tz` is an IANA time-zone name PostgreSQL knows ('Europe/Paris', 'UTC',
 * 'Etc/GMT+3'). Rejects POSIX specs ('foo+3') and abbreviations ('PST') that `at time zone`
 * would also accept. Looking names up in pg_timezone_names costs ~40 ms (it reads the tz
 * directory), so this checks the shape, then lets `at time zone` prove the zone exists.
 */
create function postiz_private.is_valid_time_zone(tz text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  if tz is null then
    return null;
  end if;
  if tz !~ '^(UTC|Etc/(UTC|GMT([+-]([0-9]|1[0-4]))?)|[A-Z][A-Za-z_-]*(/[A-Z][A-Za-z_-]*)+)$' then
    return false;
  end if;
  perform now() at time zone tz;
  return true;
exception
  when invalid_parameter_value then
    return false;
end;
$$;

alter table postiz.workspaces
  add constraint workspaces_time_zone_check check (postiz_private.is_valid_time_zone(time_zone));

-- Triggers --------------------------------------------------------------------------------------

-- Generic: keeps updated_at current.
create function postiz_private.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

create trigger plans_touch_updated_at before update on postiz.plans
  for each row execute function postiz_private.touch_updated_at();
create trigger workspaces_touch_updated_at before update on postiz.workspaces
  for each row execute function postiz_private.touch_updated_at();
create trigger workspace_members_touch_updated_at before update on postiz.workspace_members
  for each row execute function postiz_private.touch_updated_at();

/*
 * The creator of a workspace becomes its owner. Security definer: the creator is not a member
 * yet, so RLS would refuse the insert. A workspace created by service_role without created_by
 * starts with no member; the host then adds an owner itself.
 */
create function postiz_private.add_workspace_creator_as_owner()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.created_by is not null then
    insert into postiz.workspace_members (workspace_id, user_id, role)
    values (new.id, new.created_by, 'owner');
  end if;
  return null;
end;
$$;

create trigger workspaces_add_creator_as_owner after insert on postiz.workspaces
  for each row execute function postiz_private.add_workspace_creator_as_owner();

/*
 * The plan (billing), the host's tenant id and the creator are the host's to set. Column grants
 * already keep clients off them; this trigger holds even if a host grants more than we do.
 */
create function postiz_private.protect_workspace_fields()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('authenticated', 'anon')
     and (new.plan, new.external_ref, new.created_by) is distinct from (old.plan, old.external_ref, old.created_by) then
    raise exception 'plan, external_ref and created_by are set by the host application'
      using errcode = '42501';
  end if;
  return new;
end;
$$;

create trigger workspaces_protect_fields before update on postiz.workspaces
  for each row execute function postiz_private.protect_workspace_fields();

/*
 * A workspace always keeps at least one owner: demoting or removing the last owner fails, for
 * every role including service_role. Deleting the workspace itself is allowed (the cascade runs
 * after the workspace row is gone, so the lookup below finds nothing). Consequence: deleting an
 * auth user who is the last owner of a workspace fails until ownership is transferred or the
 * workspace deleted (the membership's on delete cascade hits this rule).
 * Race: two owners demoting each other at once would each still see the other as owner. Locking
 * the workspace row serialises them; the second then re-reads (read committed) and fails.
 */
create function postiz_private.keep_one_workspace_owner()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.role = 'owner' and (tg_op = 'DELETE' or new.role <> 'owner' or new.workspace_id <> old.workspace_id) then
    perform 1 from postiz.workspaces w where w.id = old.workspace_id for no key update;
    if found and not exists (
      select 1 from postiz.workspace_members m
      where m.workspace_id = old.workspace_id and m.role = 'owner' and m.user_id <> old.user_id
    ) then
      raise exception 'a workspace must keep at least one owner'
        using errcode = 'P0001', hint = 'Make another member owner first, or delete the workspace.';
    end if;
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end;
$$;

create trigger workspace_members_keep_one_owner before update or delete on postiz.workspace_members
  for each row execute function postiz_private.keep_one_workspace_owner();

-- Invitations -----------------------------------------------------------------------------------

/*
 * Accepts an invitation for the signed-in user. The invite must be pending and unexpired, and
 * it must have been sent to the user's own (confirmed) email address; knowing the token is not
 * enough. An existing member is never demoted by accepting. Security definer: the invitee is not
 * a member yet and cannot see the invite. Returns the workspace id.
 */
create function postiz_private.accept_workspace_invite(token text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  user_email text;
  invite postiz.workspace_invites;
begin
  if uid is null then
    raise exception 'sign in to accept an invitation' using errcode = '42501';
  end if;
  select i.* into invite
  from postiz.workspace_invites i
  where i.token_hash = sha256(convert_to(token, 'UTF8'))
  for update;
  if not found or invite.accepted_at is not null or invite.expires_at <= now() then
    raise exception 'invitation not found, already used or expired' using errcode = 'P0002';
  end if;
  select u.email into user_email
  from auth.users u
  where u.id = uid and u.email_confirmed_at is not null;
  if user_email is null or lower(user_email) <> lower(invite.email) then
    raise exception 'this invitation was sent to another email address' using errcode = '42501';
  end if;
  insert into postiz.workspace_members as m (workspace_id, user_id, role)
  values (invite.workspace_id, uid, invite.role)
  on conflict (workspace_id, user_id) do update set role = greatest(m.role, excluded.role);
  update postiz.workspace_invites set accepted_at = now(), accepted_by = uid where id = invite.id;
  return invite.workspace_id;
end;
$$;

-- RPCs (postiz, security invoker: RLS decides) --------------------------------------------------

/*
 * Creates a workspace owned by the caller and returns it (a plain insert cannot return the row:
 * see the header of this file).
 */
create function postiz.create_workspace(name text, slug text, time_zone text default 'UTC')
returns postiz.workspaces
language plpgsql
security invoker
set search_path = ''
as $$
declare
  new_id uuid := gen_random_uuid();
  created postiz.workspaces;
begin
  insert into postiz.workspaces (id, name, slug, time_zone)
  values (new_id, create_workspace.name, create_workspace.slug, create_workspace.time_zone);
  select w.* into created from postiz.workspaces w where w.id = new_id;
  return created;
end;
$$;

/*
 * Creates an invitation (caller must be admin or owner of the workspace, enforced by RLS) and
 * returns the secret token to mail to the invitee. Only its sha256 is stored.
 */
create function postiz.create_workspace_invite(
  workspace_id uuid,
  email text,
  role postiz.workspace_role default 'viewer',
  valid_for interval default interval '7 days'
)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
declare
  token text := encode(extensions.gen_random_bytes(32), 'hex');
begin
  insert into postiz.workspace_invites (workspace_id, email, role, token_hash, expires_at)
  values (create_workspace_invite.workspace_id, create_workspace_invite.email, create_workspace_invite.role,
          sha256(convert_to(token, 'UTF8')), now() + valid_for);
  return token;
end;
$$;

/* Accepts an invitation; see postiz_private.accept_workspace_invite. Returns the workspace id. */
create function postiz.accept_workspace_invite(token text)
returns uuid
language sql
security invoker
set search_path = ''
as $$
  select postiz_private.accept_workspace_invite(token)
$$;

/*
 * Makes `new_owner` (already a member) an owner and the caller an admin, atomically. RLS allows
 * it only to an owner; the last-owner rule holds throughout because the promotion comes first.
 */
create function postiz.transfer_workspace_ownership(workspace_id uuid, new_owner uuid)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  if uid is null or new_owner = uid then
    raise exception 'transfer ownership to another member' using errcode = '22023';
  end if;
  update postiz.workspace_members m set role = 'owner'
  where m.workspace_id = transfer_workspace_ownership.workspace_id and m.user_id = new_owner;
  if not found then
    raise exception 'the new owner must be a member and you must be an owner' using errcode = '42501';
  end if;
  update postiz.workspace_members m set role = 'admin'
  where m.workspace_id = transfer_workspace_ownership.workspace_id and m.user_id = uid and m.role = 'owner';
  if not found then
    raise exception 'only an owner can transfer ownership' using errcode = '42501';
  end if;
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.plans, postiz.workspaces, postiz.workspace_members, postiz.workspace_invites
  from public, anon, authenticated, service_role;

grant select on table postiz.plans to authenticated;
grant select, insert, update, delete on table postiz.plans to service_role;

grant select on table postiz.workspaces to authenticated;
grant insert (id, name, slug, time_zone) on table postiz.workspaces to authenticated;
grant update (name, slug, time_zone) on table postiz.workspaces to authenticated;
grant delete on table postiz.workspaces to authenticated;
grant select, insert, update, delete on table postiz.workspaces to service_role;

grant select on table postiz.workspace_members to authenticated;
grant insert (workspace_id, user_id, role) on table postiz.workspace_members to authenticated;
grant update (role) on table postiz.workspace_members to authenticated;
grant delete on table postiz.workspace_members to authenticated;
grant select, insert, update, delete on table postiz.workspace_members to service_role;

grant select (id, workspace_id, email, role, invited_by, expires_at, accepted_at, accepted_by, created_at)
  on table postiz.workspace_invites to authenticated;
grant insert (id, workspace_id, email, role, token_hash, expires_at) on table postiz.workspace_invites to authenticated;
grant update (role, expires_at) on table postiz.workspace_invites to authenticated;
grant delete on table postiz.workspace_invites to authenticated;
grant select, insert, update, delete on table postiz.workspace_invites to service_role;

revoke all on function postiz_private.workspaces_with_role(postiz.workspace_role) from public, anon;
revoke all on function postiz_private.has_workspace_role(uuid, postiz.workspace_role) from public, anon;
revoke all on function postiz_private.is_valid_time_zone(text) from public, anon;
revoke all on function postiz_private.touch_updated_at() from public, anon, authenticated, service_role;
revoke all on function postiz_private.add_workspace_creator_as_owner() from public, anon, authenticated, service_role;
revoke all on function postiz_private.keep_one_workspace_owner() from public, anon, authenticated, service_role;
revoke all on function postiz_private.protect_workspace_fields() from public, anon, authenticated, service_role;
revoke all on function postiz_private.accept_workspace_invite(text) from public, anon;
revoke all on function postiz.create_workspace(text, text, text) from public, anon;
revoke all on function postiz.create_workspace_invite(uuid, text, postiz.workspace_role, interval) from public, anon;
revoke all on function postiz.accept_workspace_invite(text) from public, anon;
revoke all on function postiz.transfer_workspace_ownership(uuid, uuid) from public, anon;

grant execute on function postiz_private.workspaces_with_role(postiz.workspace_role) to authenticated, service_role;
grant execute on function postiz_private.has_workspace_role(uuid, postiz.workspace_role) to authenticated, service_role;
grant execute on function postiz_private.is_valid_time_zone(text) to authenticated, service_role;
grant execute on function postiz_private.accept_workspace_invite(text) to authenticated;
grant execute on function postiz.create_workspace(text, text, text) to authenticated;
grant execute on function postiz.create_workspace_invite(uuid, text, postiz.workspace_role, interval) to authenticated;
grant execute on function postiz.accept_workspace_invite(text) to authenticated;
grant execute on function postiz.transfer_workspace_ownership(uuid, uuid) to authenticated;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.plans enable row level security;
alter table postiz.plans force row level security;
alter table postiz.workspaces enable row level security;
alter table postiz.workspaces force row level security;
alter table postiz.workspace_members enable row level security;
alter table postiz.workspace_members force row level security;
alter table postiz.workspace_invites enable row level security;
alter table postiz.workspace_invites force row level security;

-- Plans are a public price list for signed-in users; only the host writes them.
create policy "Signed-in users can view plans" on postiz.plans
  for select to authenticated
  using (true);

create policy "Members can view their workspaces" on postiz.workspaces
  for select to authenticated
  using (id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Signed-in users can create workspaces they own" on postiz.workspaces
  for insert to authenticated
  with check (created_by = (select auth.uid()));

create policy "Admins can update workspace settings" on postiz.workspaces
  for update to authenticated
  using (id = any (array(select postiz_private.workspaces_with_role('admin'))))
  with check (id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Owners can delete their workspaces" on postiz.workspaces
  for delete to authenticated
  using (id = any (array(select postiz_private.workspaces_with_role('owner'))));

create policy "Members can view their workspace's members" on postiz.workspace_members
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

-- Admins add members below owner; owners add anyone.
create policy "Admins can add members below owner" on postiz.workspace_members
  for insert to authenticated
  with check (
    workspace_id = any (array(select postiz_private.workspaces_with_role('owner')))
    or (role <> 'owner' and workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  );

-- Admins change roles of non-owners to non-owner roles (never to or from owner); owners change any.
create policy "Admins can change roles below owner" on postiz.workspace_members
  for update to authenticated
  using (
    workspace_id = any (array(select postiz_private.workspaces_with_role('owner')))
    or (role <> 'owner' and workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  )
  with check (
    workspace_id = any (array(select postiz_private.workspaces_with_role('owner')))
    or (role <> 'owner' and workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  );

create policy "Admins can remove members below owner, anyone can leave" on postiz.workspace_members
  for delete to authenticated
  using (
    user_id = (select auth.uid())
    or workspace_id = any (array(select postiz_private.workspaces_with_role('owner')))
    or (role <> 'owner' and workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  );

create policy "Admins can view invitations" on postiz.workspace_invites
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can invite" on postiz.workspace_invites
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can change pending invitations" on postiz.workspace_invites
  for update to authenticated
  using (accepted_at is null and workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can revoke invitations" on postiz.workspace_invites
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));
