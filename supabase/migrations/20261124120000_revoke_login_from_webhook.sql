-- A network's "this user removed your app" callback (Meta's Deauthorize Callback URL), received
-- by the `meta-deauthorize` Edge Function, revokes every account connected through that login.

/*
 * Records the delivery in `webhook_events` and, the first time only, revokes the accounts of
 * `networks` connected through login `login_id` in any workspace: the account itself when the
 * login is the account (`external_account_id`), or the pages and profiles chosen through it
 * (`meta.login_id`). Revoking means:
 *   - status `revoked`, logged as `account.revoked` in each workspace's activity (by the system,
 *     as the worker logs a refused token);
 *   - the stored credentials deleted: the network has invalidated them anyway;
 *   - waiting jobs paused as after a refused token (`pending`, `account_needs_reconnect`), so
 *     nothing is attempted and everything resumes when the account is connected again
 *     (`service_resume_account_jobs`). A job a worker is running finishes on its own.
 * A redelivery (same `network` and `event_id`) changes nothing and returns null; otherwise the
 * number of accounts revoked. One transaction: the event row and its effects commit together.
 * Service-role only.
 */
create function postiz_private.service_revoke_login(
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
  revoked integer;
  paused_message constant text :=
    'Reconnect this account: its owner removed this app''s access on the network.';
begin
  insert into postiz.webhook_events (network, external_event_id, payload, signature_valid)
  values (service_revoke_login.network, service_revoke_login.event_id, service_revoke_login.payload, true)
  on conflict on constraint webhook_events_network_external_event_id_key do nothing
  returning id into event;
  if event is null then
    return null;
  end if;

  with accounts as (
    update postiz.social_accounts a
    set status = 'revoked'
    where a.network = any (service_revoke_login.networks)
      and (a.external_account_id = service_revoke_login.login_id or a.meta ->> 'login_id' = service_revoke_login.login_id)
      and a.status <> 'revoked'
    returning a.id, a.workspace_id, a.network
  ),
  logged as (
    insert into postiz.activity_logs (workspace_id, actor_id, action, entity_type, entity_id, details)
    select a.workspace_id, null, 'account.revoked', 'social_account', a.id,
           jsonb_build_object('reason', 'access removed on ' || a.network || ' by the account''s owner')
    from accounts a
  ),
  forgotten as (
    delete from postiz.credentials c using accounts a where c.social_account_id = a.id
  ),
  paused as (
    update postiz.queue_jobs q
    set status = 'pending', last_error_code = 'account_needs_reconnect', last_error_message = paused_message,
        last_error_retryable = false, lease_until = null, updated_at = now()
    from accounts a
    where q.social_account_id = a.id and q.completed_at is null and q.status = 'queued'
    returning q.target_id
  ),
  targets as (
    update postiz.post_targets t
    set status = 'pending', last_error_code = 'account_needs_reconnect', last_error_message = paused_message
    from paused p
    where t.id = p.target_id
  )
  select count(*) into revoked from accounts;

  update postiz.webhook_events set processed_at = now() where id = event;
  return revoked;
end;
$$;
comment on function postiz_private.service_revoke_login(text, text[], text, text, jsonb) is
  'Revokes the accounts connected through a login the network says withdrew its authorization; records the delivery once. service_role only.';

revoke all on function postiz_private.service_revoke_login(text, text[], text, text, jsonb) from public, anon, authenticated;
grant execute on function postiz_private.service_revoke_login(text, text[], text, text, jsonb) to service_role;
