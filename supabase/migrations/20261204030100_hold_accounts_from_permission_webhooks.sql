-- A network's webhook saying a permission the app publishes with was withdrawn (Meta's
-- Permissions webhooks, received by the `meta-webhooks` Edge Function) holds the accounts it
-- concerns for reconnection (`service_pause_account`, as the worker does after a refused
-- token): the account asks to be reconnected, its waiting posts are held with the reason in
-- words, and everything resumes when it is connected again (`service_resume_account_jobs`). Unlike a removed app (the Deauthorize
-- callback, `service_revoke_login`), the sign-in stays: the token is still valid for the
-- permissions that remain, and reconnecting grants the missing one again.

-- Functions -------------------------------------------------------------------------------------

/*
 * Records the delivery in `webhook_events` and, the first time only, holds the accounts of
 * `networks` named by each entry of `holds`, a JSON array of
 *   {"login_id": "<the login's id on the network>", "networks": ["instagram", …],
 *    "account_ids": ["<page or profile id>", …] | null,
 *    "reason": "<why, in words, shown in the activity log and on the held posts>"}
 * An entry's accounts are those connected through the login (the account itself, or chosen
 * through it: `meta.login_id`) on its networks that are also in `networks` (the apps whose
 * secret verified the delivery), only the listed ones when `account_ids` is given (matched on
 * the account's or its page's network id). Accounts already revoked, disabled or held stay as
 * they are. A redelivery (same `network` and `event_id`) changes nothing and returns null;
 * otherwise the number of accounts held. One transaction: the event and its effects commit
 * together. Service-role only.
 */
create function postiz_private.service_hold_accounts_for_reconnect(
  network text,
  networks text[],
  event_id text,
  holds jsonb,
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
  held integer := 0;
begin
  if jsonb_typeof(holds) is distinct from 'array' then
    raise exception 'holds must be a JSON array' using errcode = '22023';
  end if;
  insert into postiz.webhook_events (network, external_event_id, payload, signature_valid)
  values (service_hold_accounts_for_reconnect.network, service_hold_accounts_for_reconnect.event_id,
          service_hold_accounts_for_reconnect.payload, true)
  on conflict on constraint webhook_events_network_external_event_id_key do nothing
  returning id into event;
  if event is null then
    return null;
  end if;

  for a in
    with wanted as (
      select h ->> 'login_id' as login_id,
             case when jsonb_typeof(h -> 'account_ids') = 'array'
                  then array(select jsonb_array_elements_text(h -> 'account_ids')) end as account_ids,
             array(select jsonb_array_elements_text(h -> 'networks')) as networks,
             coalesce(h ->> 'reason', 'the network withdrew a permission this app publishes with') as reason
      from jsonb_array_elements(holds) h
      where h ->> 'login_id' is not null and jsonb_typeof(h -> 'networks') = 'array'
    )
    -- One reason per account, when several entries name it; in key order, as every pause.
    select distinct on (s.id) s.id, w.reason
    from postiz.social_accounts s
    join wanted w
      on (s.external_account_id = w.login_id or s.meta ->> 'login_id' = w.login_id)
     and (w.account_ids is null or s.external_account_id = any (w.account_ids) or s.external_page_id = any (w.account_ids))
     and s.network = any (w.networks)
    where s.network = any (service_hold_accounts_for_reconnect.networks)
      and s.status = 'active'
    order by s.id, w.reason
  loop
    perform postiz_private.service_pause_account(
      a.id, 'needs_reconnect', 'Reconnect this account: ' || a.reason || '.',
      jsonb_build_object('reason', a.reason, 'source', 'webhook'));
    held := held + 1;
  end loop;

  update postiz.webhook_events set processed_at = now() where id = event;
  return held;
end;
$$;
comment on function postiz_private.service_hold_accounts_for_reconnect(text, text[], text, jsonb, jsonb) is
  'Holds for reconnection the accounts a network says lost a permission the app publishes with; records the delivery once. service_role only.';

revoke all on function postiz_private.service_hold_accounts_for_reconnect(text, text[], text, jsonb, jsonb) from public, anon, authenticated;
grant execute on function postiz_private.service_hold_accounts_for_reconnect(text, text[], text, jsonb, jsonb) to service_role;
