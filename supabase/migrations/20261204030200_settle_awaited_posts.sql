-- A network that answers later: TikTok accepts a post with a `publish_id` and finishes it
-- minutes (sometimes hours) after, telling us by webhook (post.publish.complete / failed /
-- publicly_available / inbox_delivered). When the worker's status polling runs out first, the
-- job ends `unconfirmed` and now keeps that handle (`awaited_reference`), so the notification
-- settles it — published with its id, or failed with the network's reason — instead of leaving
-- it for a person to resolve.

-- Tables ----------------------------------------------------------------------------------------

alter table postiz.queue_jobs
  add column awaited_reference text check (char_length(awaited_reference) between 1 and 512);
comment on column postiz.queue_jobs.awaited_reference is
  'The network''s handle on a request whose outcome is unknown (TikTok''s publish_id), set when the job ends unconfirmed; the network''s notification settles the job by it.';
create index queue_jobs_awaited_reference_idx on postiz.queue_jobs (network, awaited_reference)
  where awaited_reference is not null;

-- Functions -------------------------------------------------------------------------------------

/*
 * Settles the unconfirmed job of `network` waiting for `reference`, as the network's
 * notification says, and records the delivery (`event_id`) once:
 *   outcome 'published': the job succeeds and its post becomes published, with `external_id`
 *     and the URL made from `url_pattern` ('{handle}' and '{id}' replaced by the account's
 *     handle and the id) when both are known;
 *   outcome 'failed': the job and its post fail with `reason`.
 * Answers 'settled', 'redelivery' (nothing done again), or 'not_waiting' (no unconfirmed job has
 * that reference: the worker saw the outcome itself, or a person resolved it first; recorded,
 * nothing changed). Each settlement is logged in the workspace's activity. Service-role only.
 */
create function postiz_private.service_settle_awaited_post(
  network text,
  reference text,
  outcome text,
  external_id text,
  url_pattern text,
  reason text,
  event_id text,
  payload jsonb
)
returns text
language plpgsql
security definer
set search_path = ''
as $$
declare
  event uuid;
  j record;
  url text;
begin
  if outcome not in ('published', 'failed') then
    raise exception 'outcome must be published or failed' using errcode = '22023';
  end if;
  insert into postiz.webhook_events (network, external_event_id, payload, signature_valid)
  values (service_settle_awaited_post.network, service_settle_awaited_post.event_id, service_settle_awaited_post.payload, true)
  on conflict on constraint webhook_events_network_external_event_id_key do nothing
  returning id into event;
  if event is null then
    return 'redelivery';
  end if;

  select q.id, q.workspace_id, q.target_id, t.post_id, a.handle into j
  from postiz.queue_jobs q
  join postiz.post_targets t on t.id = q.target_id
  left join postiz.social_accounts a on a.id = t.social_account_id
  where q.network = service_settle_awaited_post.network and q.awaited_reference = reference
    and q.status = 'unconfirmed' and t.status = 'unconfirmed'
  order by q.occurrence desc
  limit 1
  for update of q, t;
  if not found then
    update postiz.webhook_events set processed_at = now() where id = event;
    return 'not_waiting';
  end if;

  if outcome = 'published' then
    if external_id is not null and j.handle is not null and url_pattern is not null then
      url := replace(replace(url_pattern, '{handle}', j.handle), '{id}', external_id);
    end if;
    update postiz.queue_jobs
    set status = 'succeeded', last_error_code = 'confirmed_by_network',
        last_error_message = 'The network confirmed the post after we stopped waiting.'
    where id = j.id;
    update postiz.post_targets
    set status = 'published', external_id = coalesce(service_settle_awaited_post.external_id, post_targets.external_id),
        external_url = coalesce(url, post_targets.external_url), published_at = coalesce(post_targets.published_at, now()),
        last_error_code = null, last_error_message = null
    where id = j.target_id;
  else
    update postiz.queue_jobs
    set status = 'failed', last_error_code = 'rejected', last_error_message = reason, last_error_retryable = false
    where id = j.id;
    update postiz.post_targets
    set status = 'failed', last_error_code = 'rejected', last_error_message = reason
    where id = j.target_id;
  end if;
  insert into postiz.activity_logs (workspace_id, actor_id, action, entity_type, entity_id, details)
  values (j.workspace_id, null,
          case outcome when 'published' then 'target.confirmed' else 'target.failed' end,
          'post_target', j.target_id,
          jsonb_strip_nulls(jsonb_build_object('post_id', j.post_id, 'source', network || ' notification',
                                               'url', url, 'reason', reason)));
  update postiz.webhook_events set processed_at = now() where id = event;
  return 'settled';
end;
$$;
comment on function postiz_private.service_settle_awaited_post(text, text, text, text, text, text, text, jsonb) is
  'Settles an unconfirmed job by the network''s later notification (published or failed); records the delivery once. service_role only.';

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.service_settle_awaited_post(text, text, text, text, text, text, text, jsonb) from public, anon, authenticated;
grant execute on function postiz_private.service_settle_awaited_post(text, text, text, text, text, text, text, jsonb) to service_role;
