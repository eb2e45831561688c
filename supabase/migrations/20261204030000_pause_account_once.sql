-- Pausing an account, once. Four places paused an account's waiting posts when the network
-- refused its credentials or its owner withdrew access — the worker on a refused token
-- (worker/src/store.rs), the token refresh (worker/src/tokens.rs), Meta's Deauthorize and Data
-- Deletion callbacks (service_revoke_login) — and they disagreed: which jobs (queued only, or
-- the running one too), which posts (those paused now, or every paused one), whether the
-- job's send marker was cleared, and whether an account already waiting for reconnection got
-- a second activity row. They all call service_pause_account now, and
-- service_resume_account_jobs (20261122400000) undoes exactly what it does.

-- Functions -------------------------------------------------------------------------------------

/*
 * Pauses `account` because its credentials no longer work:
 *   - its status becomes `new_status` (`needs_reconnect` or `revoked`) unless it is already
 *     that, or `revoked`/`disabled` when `needs_reconnect` is asked (an operator's or a
 *     stronger state stays); an account that changed gets one activity row (`account.revoked`
 *     or `account.needs_reconnect`) with `details` (at least its `reason`);
 *   - its waiting jobs (`queued`), and `running_job` when the caller is the worker running it,
 *     go back to `pending` with `account_needs_reconnect` and `message`, their lease and send
 *     marker cleared, and their posts to `pending` with the same message: nothing is attempted
 *     until the account is connected again (service_resume_account_jobs).
 * The caller archives the running job's queue message. Returns whether the account changed.
 * Cost: one row lookup by key, then proportional to the account's waiting jobs.
 */
create function postiz_private.service_pause_account(
  account uuid,
  new_status postiz.account_status,
  message text,
  details jsonb,
  running_job uuid default null
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  changed record;
begin
  if new_status not in ('needs_reconnect', 'revoked') then
    raise exception 'an account is paused as needs_reconnect or revoked, not %', new_status using errcode = '22023';
  end if;
  if jsonb_typeof(details) is distinct from 'object' or details ->> 'reason' is null then
    raise exception 'details must be a JSON object with a reason' using errcode = '22023';
  end if;

  update postiz.social_accounts a
  set status = new_status
  where a.id = account
    and a.status <> new_status
    and (a.status in ('active', 'needs_reconnect') or new_status = 'revoked' and a.status = 'disabled')
  returning a.id, a.workspace_id into changed;

  if changed.id is not null then
    insert into postiz.activity_logs (workspace_id, actor_id, action, entity_type, entity_id, details)
    values (changed.workspace_id, null,
            case new_status when 'revoked' then 'account.revoked' else 'account.needs_reconnect' end,
            'social_account', account, details);
  end if;

  with paused as (
    update postiz.queue_jobs q
    set status = 'pending', last_error_code = 'account_needs_reconnect', last_error_message = message,
        last_error_retryable = false, sending_item = null, sending_since = null, lease_until = null,
        updated_at = now()
    where q.social_account_id = account and q.completed_at is null
      and (q.status = 'queued' or q.status = 'running' and q.id = running_job)
    returning q.target_id
  )
  update postiz.post_targets t
  set status = 'pending', last_error_code = 'account_needs_reconnect', last_error_message = message
  from paused p
  where t.id = p.target_id;

  return changed.id is not null;
end;
$$;
comment on function postiz_private.service_pause_account(uuid, postiz.account_status, text, jsonb, uuid) is
  'Holds an account whose credentials no longer work (needs_reconnect or revoked) with its waiting posts; the one way to pause an account. service_role only.';

/*
 * As in 20261124120000, pausing each account through service_pause_account. Accounts already
 * revoked are left alone; the others lose their stored credentials (the network invalidated
 * them). A disabled account is revoked too: its access is gone whatever an operator decided.
 */
create or replace function postiz_private.service_revoke_login(
  network text,
  networks text[],
  login_id text,
  event_id text,
  payload jsonb
)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  event uuid;
  a record;
  revoked integer := 0;
begin
  insert into postiz.webhook_events (network, external_event_id, payload, signature_valid)
  values (service_revoke_login.network, service_revoke_login.event_id, service_revoke_login.payload, true)
  on conflict on constraint webhook_events_network_external_event_id_key do nothing
  returning id into event;
  if event is null then
    return null;
  end if;

  for a in
    select s.id, s.network from postiz.social_accounts s
    where s.network = any (service_revoke_login.networks)
      and (s.external_account_id = service_revoke_login.login_id or s.meta ->> 'login_id' = service_revoke_login.login_id)
      and s.status <> 'revoked'
    order by s.id
  loop
    perform postiz_private.service_pause_account(
      a.id, 'revoked',
      'Reconnect this account: its owner removed this app''s access on the network.',
      jsonb_build_object('reason', 'access removed on ' || a.network || ' by the account''s owner'));
    delete from postiz.credentials c where c.social_account_id = a.id;
    revoked := revoked + 1;
  end loop;

  update postiz.webhook_events set processed_at = now() where id = event;
  return revoked;
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.service_pause_account(uuid, postiz.account_status, text, jsonb, uuid) from public, anon, authenticated;
grant execute on function postiz_private.service_pause_account(uuid, postiz.account_status, text, jsonb, uuid) to service_role;
