-- Social accounts (a network profile or page connected to a workspace) and their encrypted
-- credentials.
--
-- Credentials hold token ciphertext made by postiz-vault (AES-256-GCM; key id + 12-byte nonce +
-- ciphertext, bound to workspace, account and field). Only service_role (the worker, the OAuth
-- callback) reads and writes the table. Clients have no grant and no policy on it at all, so even
-- a host that later runs `grant all on all tables in schema postiz to authenticated` exposes
-- nothing: RLS without a policy denies every row. Members see metadata only (connected, expiry,
-- scopes) through the view postiz.social_account_credentials.

-- Enums -----------------------------------------------------------------------------------------

create type postiz.account_status as enum ('active', 'needs_reconnect', 'revoked', 'disabled');

-- Tables ----------------------------------------------------------------------------------------

create table postiz.social_accounts (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  -- The network's wire name as in postiz-domain's Network ('mastodon', 'linkedin', …).
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  -- The account's id at the network (for a page: the page id).
  external_account_id text not null check (char_length(external_account_id) between 1 and 256),
  -- The page/profile/organisation this account posts as, when the network distinguishes it
  -- from the login (a LinkedIn organisation, a Facebook page, a Mastodon instance URL).
  external_page_id text,
  handle text,
  display_name text,
  avatar_url text,
  status postiz.account_status not null default 'active',
  -- Preferred posting times: [{"day": 1-7 | null, "time": "HH:MM"}], in the workspace time zone.
  posting_slots jsonb not null default '[]' check (jsonb_typeof(posting_slots) = 'array'),
  settings jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  meta jsonb not null default '{}' check (jsonb_typeof(meta) = 'object'),
  connected_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (workspace_id, network, external_account_id),
  -- Target of the composite foreign keys that keep children in the same workspace. Led by id, not
  -- workspace_id, so that the planner has one obvious workspace index per table (see posts).
  unique (id, workspace_id)
);
create index social_accounts_connected_by_idx on postiz.social_accounts (connected_by);

create table postiz.credentials (
  social_account_id uuid primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  access_token_key_id text not null,
  access_token_nonce bytea not null check (octet_length(access_token_nonce) = 12),
  access_token_ciphertext bytea not null,
  refresh_token_key_id text,
  refresh_token_nonce bytea check (octet_length(refresh_token_nonce) = 12),
  refresh_token_ciphertext bytea,
  expires_at timestamptz,
  refresh_expires_at timestamptz,
  scopes text[] not null default '{}',
  has_refresh_token boolean generated always as (refresh_token_ciphertext is not null) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((refresh_token_ciphertext is null) = (refresh_token_nonce is null)
     and (refresh_token_ciphertext is null) = (refresh_token_key_id is null)),
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete cascade
);
comment on table postiz.credentials is
  'Token ciphertext (postiz-vault). Readable only by service_role; members see postiz.social_account_credentials.';
create index credentials_workspace_id_idx on postiz.credentials (workspace_id);
-- Drives the refresh job: tokens expiring soon.
create index credentials_expires_at_idx on postiz.credentials (expires_at) where expires_at is not null;

/*
 * Credential metadata of the caller's workspaces: never a key id, nonce or ciphertext.
 * Security definer because clients have no access to postiz.credentials; it filters on the
 * caller's memberships itself. Cost: one row per connected account of the caller's workspaces.
 */
create function postiz_private.credential_metadata()
returns table (
  social_account_id uuid,
  workspace_id uuid,
  connected boolean,
  expires_at timestamptz,
  refresh_expires_at timestamptz,
  has_refresh_token boolean,
  scopes text[],
  updated_at timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  select c.social_account_id, c.workspace_id, true, c.expires_at, c.refresh_expires_at,
         c.has_refresh_token, c.scopes, c.updated_at
  from postiz.credentials c
  where c.workspace_id = any (array(select postiz_private.workspaces_with_role('viewer')))
$$;

-- Members' window on credentials. security_invoker (as every postiz view): the privileged part
-- is the function above, which lives in the unexposed schema.
create view postiz.social_account_credentials
with (security_invoker = true)
as
  select m.social_account_id, m.workspace_id, m.connected, m.expires_at, m.refresh_expires_at,
         m.has_refresh_token, m.scopes, m.updated_at
  from postiz_private.credential_metadata() m;

-- Triggers and plan limits ----------------------------------------------------------------------

create trigger social_accounts_touch_updated_at before update on postiz.social_accounts
  for each row execute function postiz_private.touch_updated_at();
create trigger credentials_touch_updated_at before update on postiz.credentials
  for each row execute function postiz_private.touch_updated_at();

/*
 * Enforces the workspace plan on connected accounts: the network must be allowed and the number
 * of accounts must stay within max_social_accounts. Security definer so that the count sees every
 * account of the workspace whatever the caller may see. Locks the workspace row so that two
 * concurrent connects cannot both take the last slot.
 */
create function postiz_private.enforce_account_plan_limits()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  p postiz.plans;
begin
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

create trigger social_accounts_enforce_plan_limits before insert or update of network on postiz.social_accounts
  for each row execute function postiz_private.enforce_account_plan_limits();

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.social_accounts, postiz.credentials, postiz.social_account_credentials
  from public, anon, authenticated, service_role;

grant select on table postiz.social_accounts to authenticated;
grant insert (id, workspace_id, network, external_account_id, external_page_id, handle, display_name,
              avatar_url, status, posting_slots, settings, meta)
  on table postiz.social_accounts to authenticated;
grant update (external_page_id, handle, display_name, avatar_url, status, posting_slots, settings, meta)
  on table postiz.social_accounts to authenticated;
grant delete on table postiz.social_accounts to authenticated;
grant select, insert, update, delete on table postiz.social_accounts to service_role;

grant select, insert, update, delete on table postiz.credentials to service_role;

revoke all on function postiz_private.credential_metadata() from public, anon;
grant execute on function postiz_private.credential_metadata() to authenticated;
grant select on table postiz.social_account_credentials to authenticated;

revoke all on function postiz_private.enforce_account_plan_limits() from public, anon, authenticated, service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.social_accounts enable row level security;
alter table postiz.social_accounts force row level security;
alter table postiz.credentials enable row level security;
alter table postiz.credentials force row level security;

create policy "Members can view their workspace's social accounts" on postiz.social_accounts
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Admins can connect social accounts" on postiz.social_accounts
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can update social accounts" on postiz.social_accounts
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can remove social accounts" on postiz.social_accounts
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

-- credentials: deliberately no policy for any client role (service_role bypasses RLS).
