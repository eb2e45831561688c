-- Outgoing webhooks: per-workspace endpoints that receive the workspace's events as signed HTTP
-- POSTs (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).
--
-- Events are produced in Postgres, by triggers on the tables where they happen (like the
-- notifications), so every path that changes a target, decides on a post or changes an
-- account's status tells the endpoints, and a rolled-back change tells nobody:
--   post.queued, post.publishing, post.published, post.failed, post.unconfirmed
--                              a target's status became that (one event per target)
--   post.approval_decided      a reviewer approved, rejected or asked for changes
--   account.status_changed     an account became active, needs_reconnect, revoked or disabled
--   webhook.test               sent on request from the settings ("send test event")
--
-- Each event writes one row of postiz.webhook_deliveries per enabled endpoint whose filters
-- match (event names, optional account) and a pgmq message on queue `webhooks`; the worker
-- (deliver_webhook) posts it, retries with a doubling backoff until a 2xx (at-least-once: the
-- same `webhook-id` on every attempt, so receivers can drop repeats), records each answer's
-- code, and disables an endpoint after repeated consecutive failures, telling its admins.
--
-- The signing secret is encrypted by the API with the credential keyring (postiz-vault, bound
-- to the workspace and the endpoint id) and decrypted by the worker; members never read it
-- back (no column grant), the API shows it once when the endpoint is created.

-- Enums -----------------------------------------------------------------------------------------

create type postiz.webhook_delivery_status as enum ('pending', 'delivered', 'failed');

alter type postiz.notification_kind add value if not exists 'webhook_disabled';

-- Tables ----------------------------------------------------------------------------------------

create table postiz.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  url text not null check (char_length(url) between 9 and 2000 and url ~ '^https?://'),
  description text not null default '' check (char_length(description) <= 500),
  -- Event names this endpoint receives; empty: every event.
  events text[] not null default '{}' check (events <@ array[
    'post.queued', 'post.publishing', 'post.published', 'post.failed', 'post.unconfirmed',
    'post.approval_decided', 'account.status_changed', 'webhook.test']),
  -- Only events about this account (account and target events); null: every account.
  social_account_id uuid,
  -- The signing secret (`whsec_…`), sealed by postiz-vault.
  secret_key_id text not null,
  secret_nonce bytea not null,
  secret_ciphertext bytea not null,
  enabled boolean not null default true,
  -- Why it was disabled (by the worker after repeated failures, or by a person).
  disabled_reason text check (char_length(disabled_reason) <= 500),
  -- Failed attempts since the last success, and when that run of failures began.
  consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
  failing_since timestamptz,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (workspace_id, id),
  foreign key (workspace_id, social_account_id) references postiz.social_accounts (workspace_id, id) on delete cascade
);
create index webhook_endpoints_workspace_id_idx on postiz.webhook_endpoints (workspace_id);
create index webhook_endpoints_social_account_id_idx on postiz.webhook_endpoints (social_account_id, workspace_id)
  where social_account_id is not null;
create index webhook_endpoints_created_by_idx on postiz.webhook_endpoints (created_by) where created_by is not null;

create table postiz.webhook_deliveries (
  id bigint generated always as identity primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  endpoint_id uuid not null,
  -- The event (`webhook-id: msg_<event_id without dashes>`), shared by the event's deliveries
  -- to every endpoint and kept on every attempt and redelivery.
  event_id uuid not null,
  event_type text not null check (char_length(event_type) <= 100),
  -- The JSON body: {"type": …, "timestamp": …, "data": {…}}.
  payload jsonb not null check (jsonb_typeof(payload) = 'object'),
  status postiz.webhook_delivery_status not null default 'pending',
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_attempt_at timestamptz,
  delivered_at timestamptz,
  last_response_code integer check (last_response_code between 100 and 599),
  -- Why the last attempt failed, for the delivery log: short, never a secret or a body.
  last_error text check (char_length(last_error) <= 500),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (endpoint_id, event_id),
  foreign key (workspace_id, endpoint_id) references postiz.webhook_endpoints (workspace_id, id) on delete cascade
);
-- The delivery log: an endpoint's deliveries, newest first.
create index webhook_deliveries_endpoint_idx on postiz.webhook_deliveries (endpoint_id, id desc);
create index webhook_deliveries_workspace_id_idx on postiz.webhook_deliveries (workspace_id, endpoint_id);
create index webhook_deliveries_pending_idx on postiz.webhook_deliveries (endpoint_id) where status = 'pending';

create trigger webhook_endpoints_touch_updated_at before update on postiz.webhook_endpoints
  for each row execute function postiz_private.touch_updated_at();
create trigger webhook_deliveries_touch_updated_at before update on postiz.webhook_deliveries
  for each row execute function postiz_private.touch_updated_at();

-- Helpers ---------------------------------------------------------------------------------------

/*
 * Writes event `event_type` of workspace `ws` (about account `account`, or none) with `data`:
 * one delivery per enabled endpoint whose filters match, each with its pgmq message (queue
 * `webhooks`). `only_endpoint` limits it to one endpoint (the test event, which is sent to a
 * disabled endpoint too). Returns how many deliveries it wrote. One index scan of the
 * workspace's endpoints; nothing when it has none.
 */
create function postiz_private.emit_webhook_event(
  ws uuid,
  event_type text,
  account uuid,
  data jsonb,
  only_endpoint uuid default null
)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  eid uuid := gen_random_uuid();
  body jsonb;
  did bigint;
  n integer := 0;
  ep record;
begin
  body := jsonb_build_object('type', event_type,
                             'timestamp', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                             'data', coalesce(data, '{}') || jsonb_build_object('workspace_id', ws));
  for ep in
    select e.id from postiz.webhook_endpoints e
    where e.workspace_id = ws
      and (case when only_endpoint is null
                then e.enabled
                     and (e.events = '{}' or event_type = any (e.events))
                     and (e.social_account_id is null or e.social_account_id = account)
                else e.id = only_endpoint end)
  loop
    insert into postiz.webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload)
    values (ws, ep.id, eid, event_type, body)
    returning id into did;
    perform pgmq.send('webhooks', jsonb_build_object('job', 'deliver_webhook', 'v', 1,
                                                     'data', jsonb_build_object('delivery_id', did)));
    n := n + 1;
  end loop;
  return n;
end;
$$;

/*
 * The test event, on request: one delivery to endpoint `endpoint` (enabled or not) of workspace
 * `ws`. Only the workspace's admins and owners (the callers of the API's "send test event");
 * returns the delivery id.
 */
create function postiz_private.send_webhook_test_event(ws uuid, endpoint uuid)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  did bigint;
begin
  if not ws = any (array(select postiz_private.workspaces_with_role('admin'))) then
    raise exception 'only admins and owners send test events' using errcode = '42501';
  end if;
  if not exists (select 1 from postiz.webhook_endpoints e where e.workspace_id = ws and e.id = endpoint) then
    raise exception 'no such webhook endpoint' using errcode = 'P0002';
  end if;
  perform postiz_private.emit_webhook_event(ws, 'webhook.test', null,
    jsonb_build_object('message', 'This is a test event from the planner.'), endpoint);
  select max(d.id) into did from postiz.webhook_deliveries d where d.endpoint_id = endpoint;
  return did;
end;
$$;

/*
 * Endpoint `endpoint` failed again: disabled, with `reason`, and its workspace's admins and
 * owners told (notification `webhook_disabled`). Service role only (the worker). Returns false
 * when it was already disabled (nobody is told twice).
 */
create function postiz_private.service_disable_webhook_endpoint(endpoint uuid, reason text)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  ep record;
  uid uuid;
begin
  update postiz.webhook_endpoints e set enabled = false, disabled_reason = left(reason, 500)
  where e.id = endpoint and e.enabled
  returning e.workspace_id, e.url into ep;
  if not found then
    return false;
  end if;
  for uid in select m.user_id from postiz.workspace_members m
             where m.workspace_id = ep.workspace_id and m.role >= 'admin' loop
    perform postiz_private.notify(ep.workspace_id, uid, 'webhook_disabled', null, null,
      jsonb_build_object('endpoint_id', endpoint, 'url', ep.url, 'reason', left(reason, 500)),
      format('webhook_disabled:%s:%s', endpoint, now()));
  end loop;
  return true;
end;
$$;

-- Event triggers --------------------------------------------------------------------------------

/* Targets whose status became queued, publishing, published, failed or unconfirmed in this
 * statement: one event each. Statement level with transition tables, like the notifications. */
create function postiz_private.webhook_target_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  t record;
begin
  -- Nothing to do in a workspace without endpoints: one probe per statement.
  if not exists (select 1 from new_rows n join postiz.webhook_endpoints e on e.workspace_id = n.workspace_id) then
    return null;
  end if;
  for t in
    select n.workspace_id, n.post_id, n.social_account_id, n.id, n.status, n.external_id, n.external_url,
           n.last_error_code, n.last_error_message, n.published_at, a.network, a.handle, o.status as previous
    from new_rows n
    join old_rows o on o.id = n.id
    join postiz.social_accounts a on a.workspace_id = n.workspace_id and a.id = n.social_account_id
    where n.status is distinct from o.status
      and n.status in ('queued', 'publishing', 'published', 'failed', 'unconfirmed')
    order by n.id
  loop
    perform postiz_private.emit_webhook_event(t.workspace_id, 'post.' || t.status::text, t.social_account_id,
      jsonb_strip_nulls(jsonb_build_object(
        'post_id', t.post_id, 'target_id', t.id, 'social_account_id', t.social_account_id,
        'network', t.network, 'handle', t.handle, 'status', t.status, 'previous_status', t.previous,
        'external_id', t.external_id, 'url', t.external_url, 'error_code', t.last_error_code,
        'error', t.last_error_message, 'published_at', t.published_at)));
  end loop;
  return null;
end;
$$;

create trigger post_targets_webhook_events after update on postiz.post_targets
  referencing old table as old_rows new table as new_rows
  for each statement execute function postiz_private.webhook_target_events();

/* A reviewer's decision. */
create function postiz_private.webhook_approval_decision()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform postiz_private.emit_webhook_event(new.workspace_id, 'post.approval_decided', null,
    jsonb_strip_nulls(jsonb_build_object('post_id', new.post_id, 'decision', new.decision, 'note', new.note,
                                         'decided_by', new.decided_by, 'round', new.round)));
  return null;
end;
$$;

create trigger approval_decisions_webhook_event after insert on postiz.approval_decisions
  for each row execute function postiz_private.webhook_approval_decision();

/* An account's status changed. */
create function postiz_private.webhook_account_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform postiz_private.emit_webhook_event(new.workspace_id, 'account.status_changed', new.id,
    jsonb_strip_nulls(jsonb_build_object('social_account_id', new.id, 'network', new.network, 'handle', new.handle,
                                         'status', new.status, 'previous_status', old.status)));
  return null;
end;
$$;

create trigger social_accounts_webhook_status after update of status on postiz.social_accounts
  for each row when (old.status is distinct from new.status)
  execute function postiz_private.webhook_account_status();

-- Queue -----------------------------------------------------------------------------------------

do $$
begin
  perform pgmq.create('webhooks');
  revoke all on table pgmq.q_webhooks, pgmq.a_webhooks from public, anon, authenticated;
  grant select, insert, update, delete on table pgmq.q_webhooks, pgmq.a_webhooks to service_role;
end
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.webhook_endpoints, postiz.webhook_deliveries from public, anon, authenticated, service_role;
-- Members read everything but the sealed secret.
grant select (id, workspace_id, url, description, events, social_account_id, enabled, disabled_reason,
              consecutive_failures, failing_since, created_by, created_at, updated_at)
  on table postiz.webhook_endpoints to authenticated;
grant insert (id, workspace_id, url, description, events, social_account_id, secret_key_id, secret_nonce,
              secret_ciphertext, enabled, created_by)
  on table postiz.webhook_endpoints to authenticated;
grant update (url, description, events, social_account_id, secret_key_id, secret_nonce, secret_ciphertext,
              enabled, disabled_reason, consecutive_failures, failing_since)
  on table postiz.webhook_endpoints to authenticated;
grant delete on table postiz.webhook_endpoints to authenticated;
grant select, insert, update, delete on table postiz.webhook_endpoints to service_role;

grant select on table postiz.webhook_deliveries to authenticated;
grant select, insert, update, delete on table postiz.webhook_deliveries to service_role;

revoke all on function postiz_private.emit_webhook_event(uuid, text, uuid, jsonb, uuid) from public, anon, authenticated, service_role;
revoke all on function postiz_private.webhook_target_events() from public, anon, authenticated, service_role;
revoke all on function postiz_private.webhook_approval_decision() from public, anon, authenticated, service_role;
revoke all on function postiz_private.webhook_account_status() from public, anon, authenticated, service_role;
revoke all on function postiz_private.service_disable_webhook_endpoint(uuid, text) from public, anon, authenticated;
grant execute on function postiz_private.service_disable_webhook_endpoint(uuid, text) to service_role;
revoke all on function postiz_private.send_webhook_test_event(uuid, uuid) from public, anon, service_role;
grant execute on function postiz_private.send_webhook_test_event(uuid, uuid) to authenticated;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.webhook_endpoints enable row level security;
alter table postiz.webhook_endpoints force row level security;
alter table postiz.webhook_deliveries enable row level security;
alter table postiz.webhook_deliveries force row level security;

create policy "Members see their workspace's webhook endpoints" on postiz.webhook_endpoints
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Admins add webhook endpoints" on postiz.webhook_endpoints
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins change webhook endpoints" on postiz.webhook_endpoints
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

create policy "Admins remove webhook endpoints" on postiz.webhook_endpoints
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('admin'))));

-- Deliveries: written by the triggers and the worker (service_role bypasses RLS).
create policy "Members see their workspace's webhook deliveries" on postiz.webhook_deliveries
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));
