-- A person resolves a target whose outcome the worker could not confirm ('unconfirmed': the
-- request may or may not have reached the network). Two answers, both logged in the activity log:
--   on_network    - it is there: the target becomes published with the URL the person gives;
--   publish_again - it is not: the unconfirmed job is queued once more, now.
-- Target statuses are the worker's (clients may set only pending/canceled), so this is one
-- security-definer function that checks the caller's role itself, locks the target row and
-- refuses unless it is still unconfirmed: two clicks, two tabs or two people re-queue it once.

/*
 * Resolves unconfirmed target `target` of workspace `ws` as the signed-in user (editor or more).
 * `outcome`: 'on_network' (with `url`, http(s), at most 2048 characters) or 'publish_again'.
 * Returns the target's new status. Raises 42501 below editor, P0002 when there is no such target,
 * 55000 (object not in prerequisite state) when it is not unconfirmed any more, or when the post
 * may not go out again (edited since and waiting for approval, a draft, canceled); 22023 for a
 * bad outcome or URL. Messages are written for people.
 */
create function postiz_private.resolve_unconfirmed_target(ws uuid, target uuid, outcome text, url text default null)
returns postiz.target_status
language plpgsql
security definer
set search_path = ''
as $$
declare
  t record;
  j record;
  post_status postiz.post_status;
begin
  if not postiz_private.has_workspace_role(ws, 'editor') then
    raise exception 'resolving a post''s outcome needs the editor role or higher in this workspace'
      using errcode = '42501';
  end if;
  if outcome not in ('on_network', 'publish_again') then
    raise exception 'outcome must be on_network or publish_again' using errcode = '22023';
  end if;
  select x.id, x.post_id, x.social_account_id, x.status into t
  from postiz.post_targets x where x.workspace_id = ws and x.id = target
  for update;
  if not found then
    raise exception 'there is no such post target' using errcode = 'P0002';
  end if;
  if t.status <> 'unconfirmed' then
    raise exception 'This post''s outcome is no longer unconfirmed (it is %); reload to see it', t.status
      using errcode = '55000';
  end if;

  if outcome = 'on_network' then
    if url is null or url !~ '^https?://[^[:space:]/?#]+[^[:space:]]*$' or char_length(url) > 2048 then
      raise exception 'url must be the post''s http(s) address on the network' using errcode = '22023';
    end if;
    update postiz.post_targets
    set status = 'published', external_url = url, published_at = coalesce(published_at, now()),
        last_error_code = null, last_error_message = null
    where id = t.id;
    update postiz.queue_jobs
    set status = 'succeeded', last_error_code = 'confirmed_by_person',
        last_error_message = 'A person confirmed the post is on the network.'
    where workspace_id = ws and target_id = t.id and status = 'unconfirmed';
    perform postiz_private.record_activity(ws, 'target.confirmed', 'post_target', t.id,
      jsonb_build_object('post_id', t.post_id, 'url', url));
    return 'published';
  end if;

  select p.status into post_status from postiz.posts p where p.workspace_id = ws and p.id = t.post_id;
  if post_status in ('draft', 'pending_approval', 'canceled') then
    raise exception 'This post is % now, so it cannot go out again; schedule it instead', replace(post_status::text, '_', ' ')
      using errcode = '55000';
  end if;
  if not (postiz_private.approval_state(ws, t.post_id) ->> 'approved')::boolean then
    raise exception '%', postiz_private.approval_state(ws, t.post_id) ->> 'missing' using errcode = 'PZ409';
  end if;
  select q.id, q.social_account_id, q.network into j
  from postiz.queue_jobs q
  where q.workspace_id = ws and q.target_id = t.id and q.status = 'unconfirmed'
  order by q.occurrence desc
  limit 1
  for update;
  if not found then
    raise exception 'This post has no unconfirmed attempt to run again' using errcode = '55000';
  end if;
  -- The person checked: nothing is in flight, so the job starts clean (published_items kept, so
  -- a thread resumes after the replies already live).
  update postiz.queue_jobs
  set status = 'queued', run_at = now(), completed_at = null, lease_until = null, worker_id = null,
      sending_item = null, sending_since = null,
      last_error_code = 'requeued_by_person', last_error_message = 'A person asked to publish it again.',
      msg_id = postiz_private.send_publish_message(j.id, coalesce(j.social_account_id, t.social_account_id), j.network, now())
  where id = j.id;
  update postiz.post_targets
  set status = 'queued', last_error_code = null, last_error_message = null
  where id = t.id;
  perform postiz_private.record_activity(ws, 'target.requeued', 'post_target', t.id,
    jsonb_build_object('post_id', t.post_id, 'job_id', j.id));
  return 'queued';
end;
$$;

/* The Data API entry point (security invoker; the private function checks the caller). */
create function postiz.resolve_unconfirmed_target(ws uuid, target uuid, outcome text, url text default null)
returns postiz.target_status
language sql
volatile
security invoker
set search_path = ''
as $$
  select postiz_private.resolve_unconfirmed_target(ws, target, outcome, url)
$$;

revoke all on function postiz_private.resolve_unconfirmed_target(uuid, uuid, text, text) from public, anon;
revoke all on function postiz.resolve_unconfirmed_target(uuid, uuid, text, text) from public, anon;
grant execute on function postiz_private.resolve_unconfirmed_target(uuid, uuid, text, text) to authenticated;
grant execute on function postiz.resolve_unconfirmed_target(uuid, uuid, text, text) to authenticated;
