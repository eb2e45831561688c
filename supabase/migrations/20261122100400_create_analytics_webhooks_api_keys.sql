-- Analytics samples, raw provider webhooks, and workspace API keys.
--
-- analytics_events and webhook_events are written only by service_role (the worker and the
-- webhook receiver). Members read their workspace's analytics; admins read the webhook events
-- mapped to their workspace (without the raw headers). API keys are managed by admins; only the
-- sha256 of a key is stored, and no client can read even that.

-- Enums -----------------------------------------------------------------------------------------

create type postiz.analytics_metric as enum (
  'impressions', 'reach', 'clicks', 'likes', 'comments', 'shares', 'saves', 'views', 'followers',
  'profile_views', 'video_views', 'engagement_rate'
);
create type postiz.analytics_source as enum ('api', 'webhook', 'import');

-- Tables ----------------------------------------------------------------------------------------

create table postiz.analytics_events (
  id bigint generated always as identity primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  social_account_id uuid not null,
  -- Null for account-level metrics (followers, profile views).
  target_id uuid,
  metric postiz.analytics_metric not null,
  value numeric not null,
  -- Start of the hour or day the value describes; re-fetching a bucket updates the same row.
  bucket_start timestamptz not null,
  observed_at timestamptz not null default now(),
  source postiz.analytics_source not null default 'api',
  created_at timestamptz not null default now(),
  -- One value per account/target, metric and bucket ("nulls not distinct": also for account-level).
  unique nulls not distinct (social_account_id, target_id, metric, bucket_start),
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, target_id) references postiz.post_targets (workspace_id, id) on delete cascade
);
create index analytics_events_workspace_id_account_idx
  on postiz.analytics_events (workspace_id, social_account_id, bucket_start);
create index analytics_events_target_id_idx
  on postiz.analytics_events (target_id, workspace_id) where target_id is not null;
-- Dashboards (a workspace over a period) and retention clean-up (plans.analytics_retention_days).
create index analytics_events_workspace_id_bucket_start_idx on postiz.analytics_events (workspace_id, bucket_start);

create table postiz.webhook_events (
  id uuid primary key default gen_random_uuid(),
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  -- The network's delivery id, when it sends one: a redelivery is recognised and skipped.
  external_event_id text,
  payload jsonb not null,
  headers jsonb not null default '{}' check (jsonb_typeof(headers) = 'object'),
  signature_valid boolean not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  processing_error text,
  -- What the event was mapped to; null until (or unless) the receiver recognises it.
  workspace_id uuid references postiz.workspaces (id) on delete cascade,
  social_account_id uuid,
  target_id uuid,
  unique (network, external_event_id),
  -- A mapped account or target implies a workspace (a composite key with a null member is not checked).
  check (workspace_id is not null or (social_account_id is null and target_id is null)),
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete set null (social_account_id),
  foreign key (workspace_id, target_id)
    references postiz.post_targets (workspace_id, id) on delete set null (target_id)
);
create index webhook_events_workspace_id_social_account_id_idx
  on postiz.webhook_events (workspace_id, social_account_id);
create index webhook_events_target_id_idx
  on postiz.webhook_events (target_id, workspace_id) where target_id is not null;
create index webhook_events_unprocessed_idx on postiz.webhook_events (received_at) where processed_at is null;

create table postiz.api_keys (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 100),
  -- The key's first characters ('pzk_1a2b3c4d'), shown so users can tell keys apart.
  prefix text not null check (char_length(prefix) between 4 and 32),
  -- sha256 of the whole key. The key is shown once (postiz.create_api_key) and never stored.
  key_hash bytea not null unique check (octet_length(key_hash) = 32),
  scopes text[] not null default '{}' check (array_to_string(scopes, ' ') ~ '^([a-z_]+:(read|write)( |$))*$'),
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index api_keys_workspace_id_idx on postiz.api_keys (workspace_id);
create index api_keys_created_by_idx on postiz.api_keys (created_by);

-- Triggers --------------------------------------------------------------------------------------

create trigger api_keys_touch_updated_at before update on postiz.api_keys
  for each row execute function postiz_private.touch_updated_at();

-- RPCs ------------------------------------------------------------------------------------------

/*
 * Creates an API key for a workspace (RLS: admins and owners) and returns it; this is the only
 * time the key exists in clear. The API server authenticates a request by looking up
 * sha256(key) as service_role.
 */
create function postiz.create_api_key(
  workspace_id uuid,
  name text,
  scopes text[] default '{}',
  expires_at timestamptz default null
)
returns text
language plpgsql
security invoker
set search_path = ''
as $$
declare
  api_key text := 'pzk_' || encode(extensions.gen_random_bytes(24), 'hex');
begin
  insert into postiz.api_keys (workspace_id, name, prefix, key_hash, scopes, expires_at)
  values (create_api_key.workspace_id, create_api_key.name, left(api_key, 12),
          sha256(convert_to(api_key, 'UTF8')), create_api_key.scopes, create_api_key.expires_at);
  return api_key;
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.analytics_events, postiz.webhook_events, postiz.api_keys
  from public, anon, authenticated, service_role;

grant select on table postiz.analytics_events to authenticated;
grant select, insert, update, delete on table postiz.analytics_events to service_role;

-- Not the raw headers.
grant select (id, network, external_event_id, payload, signature_valid, received_at, processed_at,
              processing_error, workspace_id, social_account_id, target_id)
  on table postiz.webhook_events to authenticated;
grant select, insert, update, delete on table postiz.webhook_events to service_role;

-- Not the hash.
grant select (id, workspace_id, name, prefix, scopes, created_by, last_used_at, expires_at, revoked_at,
              created_at, updated_at)
  on table postiz.api_keys to authenticated;
grant insert (id, workspace_id, name, prefix, key_hash, scopes, expires_at) on table postiz.api_keys to authenticated;
grant update (name, scopes, expires_at, revoked_at) on table postiz.api_keys to authenticated;
grant delete on table postiz.api_keys to authenticated;
grant select, insert, update, delete on table postiz.api_keys to service_role;

revoke all on function postiz.create_api_key(uuid, text, text[], timestamptz) from public, anon;
grant execute on function postiz.create_api_key(uuid, text, text[], timestamptz) to authenticated;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.analytics_events enable row level security;
alter table postiz.analytics_events force row level security;
alter table postiz.webhook_events enable row level security;
alter table postiz.webhook_events force row level security;
alter table postiz.api_keys enable row level security;
alter table postiz.api_keys force row level security;

create policy "Members can view their workspace's analytics" on postiz.analytics_events
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Admins can view their workspace's webhook events" on postiz.webhook_events
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can view API keys" on postiz.api_keys
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can create API keys" on postiz.api_keys
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can rename and revoke API keys" on postiz.api_keys
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins can delete API keys" on postiz.api_keys
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));
