-- What the provider webhook receivers (supabase/functions/) need besides service_revoke_login:
--   - service_record_webhook_event: a verified event that needs nothing done is still stored,
--     once per delivery id, so every receiver keeps the raw events and recognises retries.
--   - Meta's Data Deletion Request callback: a person who removed the app asks for the data
--     the app holds about them to be deleted. For the accounts connected through that login:
--     the sign-in (tokens) is deleted and the account revoked with its waiting posts held (as
--     for the Deauthorize callback), the login's id is removed, and an account that is the
--     person's own profile loses its handle, name, picture and network id. The workspace's
--     posts stay: they are the workspace's, not the person's. Meta wants a confirmation code
--     and a URL where the person can check the status: postiz.data_deletion_requests keeps
--     the code and the outcome, never the login id itself (only its SHA-256).

-- Tables ----------------------------------------------------------------------------------------

create table postiz.data_deletion_requests (
  id uuid primary key default gen_random_uuid(),
  -- The network whose app received the request.
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  -- Shown to the person and in the status URL: random, unguessable.
  confirmation_code text not null unique check (confirmation_code ~ '^[0-9a-f]{32}$'),
  -- 'deletion:<sha256 of the login id>:<issued_at>': a redelivered request answers the same code.
  event_key text not null unique,
  accounts integer not null check (accounts >= 0),
  requested_at timestamptz not null default now(),
  completed_at timestamptz
);
comment on table postiz.data_deletion_requests is
  'Data deletion requests received from networks (Meta''s callback): the confirmation code shown to the person and what was deleted. service_role only.';

-- Functions -------------------------------------------------------------------------------------

/*
 * Stores a verified provider event that needs nothing done, once per (network, event id).
 * True when it is new, false for a redelivery.
 */
create function postiz_private.service_record_webhook_event(network text, event_id text, payload jsonb)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  event uuid;
begin
  insert into postiz.webhook_events (network, external_event_id, payload, signature_valid, processed_at)
  values (service_record_webhook_event.network, service_record_webhook_event.event_id, service_record_webhook_event.payload, true, now())
  on conflict on constraint webhook_events_network_external_event_id_key do nothing
  returning id into event;
  return event is not null;
end;
$$;

/*
 * Carries out a data deletion request for `login_id` on `networks` (the apps whose secret
 * verified it; `networks[1]` received it) and answers its confirmation code, the accounts
 * it concerned and whether it was a redelivery (then nothing is done again). The stored
 * event carries the login id's SHA-256 instead of the id.
 */
create function postiz_private.service_delete_login_data(networks text[], login_id text, issued_at bigint, payload jsonb)
returns table (confirmation_code text, accounts integer, redelivery boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  login_hash constant text := encode(sha256(convert_to(login_id, 'UTF8')), 'hex');
  key constant text := 'deletion:' || login_hash || ':' || issued_at;
  revoked integer;
  scrubbed integer;
  code text;
begin
  revoked := postiz_private.service_revoke_login(
    networks[1], networks, login_id, key,
    (payload - 'user_id') || jsonb_build_object('user_id_sha256', login_hash, 'kind', 'data_deletion_request')
  );
  if revoked is null then
    return query select r.confirmation_code, r.accounts, true from postiz.data_deletion_requests r where r.event_key = key;
    return;
  end if;
  with scrubbed_accounts as (
    update postiz.social_accounts a
    set meta = (a.meta - 'login_id') || jsonb_build_object('login_deleted_at', now()),
        handle = case when a.external_account_id = login_id then null else a.handle end,
        display_name = case when a.external_account_id = login_id then null else a.display_name end,
        avatar_url = case when a.external_account_id = login_id then null else a.avatar_url end,
        external_account_id = case when a.external_account_id = login_id then 'deleted-' || a.id else a.external_account_id end,
        external_page_id = case when a.external_page_id = login_id then null else a.external_page_id end,
        updated_at = now()
    where a.network = any (networks)
      and (a.external_account_id = login_id or a.meta ->> 'login_id' = login_id)
    returning a.id, a.workspace_id, a.network
  ),
  logged as (
    insert into postiz.activity_logs (workspace_id, actor_id, action, entity_type, entity_id, details)
    select s.workspace_id, null, 'account.data_deleted', 'social_account', s.id,
           jsonb_build_object('reason', 'the person who connected it asked ' || s.network || ' to delete their data')
    from scrubbed_accounts s
  )
  select count(*) into scrubbed from scrubbed_accounts;
  code := replace(gen_random_uuid()::text, '-', '');
  insert into postiz.data_deletion_requests (network, confirmation_code, event_key, accounts, completed_at)
  values (networks[1], code, key, scrubbed, now());
  return query select code, scrubbed, false;
end;
$$;

/*
 * The status of a data deletion request, by its confirmation code (what the status URL shows).
 */
create function postiz_private.service_data_deletion_status(code text)
returns table (network text, accounts integer, requested_at timestamptz, completed_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select r.network, r.accounts, r.requested_at, r.completed_at
  from postiz.data_deletion_requests r
  where r.confirmation_code = code
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.data_deletion_requests from public, anon, authenticated;
grant select, insert, update on table postiz.data_deletion_requests to service_role;
revoke all on function postiz_private.service_record_webhook_event(text, text, jsonb) from public, anon, authenticated;
revoke all on function postiz_private.service_delete_login_data(text[], text, bigint, jsonb) from public, anon, authenticated;
revoke all on function postiz_private.service_data_deletion_status(text) from public, anon, authenticated;
grant execute on function postiz_private.service_record_webhook_event(text, text, jsonb) to service_role;
grant execute on function postiz_private.service_delete_login_data(text[], text, bigint, jsonb) to service_role;
grant execute on function postiz_private.service_data_deletion_status(text) to service_role;

-- Row-level security ----------------------------------------------------------------------------

-- No policy: members never read these (they concern people outside the workspace).
alter table postiz.data_deletion_requests enable row level security;
alter table postiz.data_deletion_requests force row level security;
