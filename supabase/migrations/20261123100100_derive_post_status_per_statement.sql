-- The worker records publish outcomes for many targets in one statement. Deriving each post's
-- status once per statement (from the transition tables) instead of once per target row turns
-- a per-row plpgsql round of lock + aggregate + update into three set-based statements.
-- Targets that only started publishing (the claim) just make their posts publishing, without
-- the lock and aggregate. Same rules as before: a target publishing makes its post
-- publishing; otherwise the post is published when every target is published or canceled (at
-- least one published), failed when a target failed or is unconfirmed and none is still to
-- go; a recurring post with a pending schedule stays scheduled and records the run in
-- published_at.

create or replace function postiz_private.derive_post_status_from_targets()
returns trigger
language plpgsql
security definer
set search_path = ''
-- It touches the few posts of one statement's targets; the planner, weighing a list of ids
-- against random page reads, would rather read every post and target. Never here.
set enable_seqscan = off
as $$
declare
  changed uuid[];
  only_started boolean;
begin
  select array_agg(distinct n.post_id order by n.post_id), bool_and(n.status = 'publishing')
    into changed, only_started
  from new_targets n join old_targets o on o.id = n.id
  where n.status is distinct from o.status;
  if changed is null then
    return null;
  end if;
  -- Targets that only started publishing (the worker's claim): their posts are publishing,
  -- whatever the other targets say. No lock or aggregate needed.
  if only_started then
    update postiz.posts p set status = 'publishing'
    where p.id = any (changed) and p.status <> 'publishing';
    return null;
  end if;

  -- Lock those posts in id order: two workers recording batches that share posts wait for
  -- each other instead of deadlocking, and the aggregate below (a new statement, so a new
  -- snapshot) sees the other's commit.
  perform 1 from postiz.posts p where p.id = any (changed) order by p.id for update of p;

  with derived as (
    select p.workspace_id, p.id as post_id,
           case
             when bool_or(t.status = 'publishing') then 'publishing'
             when bool_and(t.status in ('published', 'canceled')) and bool_or(t.status = 'published') then 'published'
             when bool_or(t.status in ('failed', 'unconfirmed')) and not bool_or(t.status in ('pending', 'queued', 'publishing')) then 'failed'
           end::postiz.post_status as status
    from postiz.posts p
    join postiz.post_targets t on t.workspace_id = p.workspace_id and t.post_id = p.id
    where p.id = any (changed)
    group by p.workspace_id, p.id
  ),
  target as (
    select d.workspace_id, d.post_id, d.status = 'published' as published,
           d.status = 'published' and exists (
             select 1 from postiz.schedules s
             where s.workspace_id = d.workspace_id and s.post_id = d.post_id and s.kind = 'recurring' and s.status = 'pending'
           ) as recurring_run,
           d.status
    from derived d
    where d.status is not null
  )
  update postiz.posts p
  set status = case when x.recurring_run then 'scheduled'::postiz.post_status else x.status end,
      published_at = case when x.recurring_run then now()
                          when x.published then coalesce(p.published_at, now())
                          else p.published_at end
  from target x
  where p.id = any (changed) and p.id = x.post_id and p.workspace_id = x.workspace_id
    and (x.recurring_run or p.status is distinct from x.status);
  return null;
end;
$$;

revoke all on function postiz_private.derive_post_status_from_targets() from public, anon, authenticated, service_role;

drop trigger post_targets_derive_post_status on postiz.post_targets;
create trigger post_targets_derive_post_status
  after update on postiz.post_targets
  referencing old table as old_targets new table as new_targets
  for each statement execute function postiz_private.derive_post_status_from_targets();

drop function postiz_private.derive_post_status();

-- Only user actions are logged by this trigger (record_activity ignores calls without a user),
-- so the worker's status updates need not fire it at all.
drop trigger posts_log_activity on postiz.posts;
create trigger posts_log_activity
  after insert or update or delete on postiz.posts
  for each row when (auth.uid() is not null)
  execute function postiz_private.log_post_activity();
