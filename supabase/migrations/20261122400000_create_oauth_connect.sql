-- Connecting accounts: single-use OAuth states, connections waiting for a second step (pick a
-- page or channel), client registrations cached per instance (Mastodon), and resuming an
-- account's paused jobs when it is reconnected.
--
-- All three tables are written and read by the API's service-role pool only, after the API has
-- checked in the user's own RLS transaction that the user is an admin of the workspace. Clients
-- have no grant and no policy on them, like postiz.credentials. Every secret in them (PKCE
-- verifier, tokens, client secret) is postiz-vault ciphertext.

-- Tables ----------------------------------------------------------------------------------------

/*
 * A started authorization-code flow. The `state` sent to the network is 32 random bytes; only
 * its SHA-256 is stored, so a database reader cannot finish someone's flow. Bound to the user,
 * workspace, network and redirect URI; used at most once (used_at), valid until expires_at.
 */
create table postiz.oauth_states (
  id uuid primary key default gen_random_uuid(),
  state_hash bytea not null unique check (octet_length(state_hash) = 32),
  user_id uuid not null references auth.users (id) on delete cascade,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  redirect_uri text not null,
  -- The user's server for instance networks (Mastodon); null otherwise.
  server_url text,
  -- The social account being reconnected, when the flow was started for one.
  reconnect_account_id uuid,
  pkce_key_id text,
  pkce_nonce bytea check (octet_length(pkce_nonce) = 12),
  pkce_ciphertext bytea,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  check ((pkce_ciphertext is null) = (pkce_nonce is null) and (pkce_ciphertext is null) = (pkce_key_id is null))
);
comment on table postiz.oauth_states is
  'Started OAuth flows (hash of the state, PKCE verifier ciphertext). service_role only.';
create index oauth_states_user_id_idx on postiz.oauth_states (user_id);
create index oauth_states_workspace_id_idx on postiz.oauth_states (workspace_id);
create index oauth_states_expires_at_idx on postiz.oauth_states (expires_at);

/*
 * An OAuth connection whose tokens are in hand but whose target (a page, a channel) the user
 * has not picked yet. The choices are listed again at completion, so target tokens (Facebook
 * Page tokens) are never stored here. Expires with the flow.
 */
create table postiz.pending_connections (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  -- The login behind the tokens (AccountInfo as JSON: id, handle, name, avatar, server).
  login jsonb not null check (jsonb_typeof(login) = 'object'),
  server_url text,
  -- What the user may choose from: [{"id", "name", "kind"}].
  targets jsonb not null default '[]' check (jsonb_typeof(targets) = 'array'),
  access_token_key_id text not null,
  access_token_nonce bytea not null check (octet_length(access_token_nonce) = 12),
  access_token_ciphertext bytea not null,
  refresh_token_key_id text,
  refresh_token_nonce bytea check (octet_length(refresh_token_nonce) = 12),
  refresh_token_ciphertext bytea,
  token_expires_at timestamptz,
  scopes text[] not null default '{}',
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  check ((refresh_token_ciphertext is null) = (refresh_token_nonce is null)
     and (refresh_token_ciphertext is null) = (refresh_token_key_id is null))
);
comment on table postiz.pending_connections is
  'Connections waiting for the user to pick a page/channel (token ciphertext). service_role only.';
create index pending_connections_user_id_idx on postiz.pending_connections (user_id);
create index pending_connections_workspace_id_idx on postiz.pending_connections (workspace_id);

/*
 * OAuth clients registered on user-named servers (Mastodon's POST /api/v1/apps), reused for
 * every later connect to the same server with the same redirect URI. The client secret is
 * vault ciphertext bound to (nil workspace, this row's id, client_secret).
 */
create table postiz.instance_apps (
  id uuid primary key default gen_random_uuid(),
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  server_url text not null,
  redirect_uri text not null,
  client_id text not null,
  client_secret_key_id text,
  client_secret_nonce bytea check (octet_length(client_secret_nonce) = 12),
  client_secret_ciphertext bytea,
  auth_url text not null,
  token_url text not null,
  scopes text[] not null default '{}',
  created_at timestamptz not null default now(),
  unique (network, server_url, redirect_uri),
  check ((client_secret_ciphertext is null) = (client_secret_nonce is null)
     and (client_secret_ciphertext is null) = (client_secret_key_id is null))
);
comment on table postiz.instance_apps is
  'OAuth client registrations per instance (client secret ciphertext). service_role only.';

-- Functions -------------------------------------------------------------------------------------

/*
 * Puts the jobs paused by a failed credential (last_error_code 'account_needs_reconnect') back
 * on the publish queue, due now or at their own time if later. Called in the transaction that
 * stores the account's new credentials, so a reconnect and its resumed jobs commit together.
 * Service-role only. Returns how many jobs were resumed.
 */
create function postiz_private.service_resume_account_jobs(account uuid)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  j record;
  resumed integer := 0;
  msg bigint;
begin
  for j in
    update postiz.queue_jobs q
    set status = 'queued', run_at = greatest(q.run_at, now()), lease_until = null, worker_id = null,
        last_error_code = null, last_error_message = null
    where q.social_account_id = account and q.status = 'pending' and q.last_error_code = 'account_needs_reconnect'
    returning q.id, q.run_at, q.social_account_id, q.network, q.target_id
  loop
    msg := pgmq.send('publish',
      jsonb_build_object('job', 'publish_post', 'v', 1, 'data',
        jsonb_build_object('job_id', j.id, 'account_id', j.social_account_id, 'network', j.network)),
      greatest(0, ceil(extract(epoch from j.run_at - now())))::integer);
    update postiz.queue_jobs set msg_id = msg where id = j.id;
    update postiz.post_targets set status = 'queued', last_error_code = null, last_error_message = null
    where id = j.target_id and status = 'pending';
    resumed := resumed + 1;
  end loop;
  return resumed;
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.oauth_states, postiz.pending_connections, postiz.instance_apps
  from public, anon, authenticated, service_role;
grant select, insert, update, delete on table postiz.oauth_states to service_role;
grant select, insert, update, delete on table postiz.pending_connections to service_role;
grant select, insert, update, delete on table postiz.instance_apps to service_role;

revoke all on function postiz_private.service_resume_account_jobs(uuid) from public, anon, authenticated;
grant execute on function postiz_private.service_resume_account_jobs(uuid) to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.oauth_states enable row level security;
alter table postiz.oauth_states force row level security;
alter table postiz.pending_connections enable row level security;
alter table postiz.pending_connections force row level security;
alter table postiz.instance_apps enable row level security;
alter table postiz.instance_apps force row level security;

-- Deliberately no policy for any client role on these tables (service_role bypasses RLS).
