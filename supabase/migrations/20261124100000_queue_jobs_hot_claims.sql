-- The worker updates every queue job at least twice (claim, success). Before this migration
-- neither update could be heap-only (HOT): `status` sat in the predicates of two partial
-- indexes and `lease_until` was an index key, so each update wrote a new entry into all eight
-- indexes of the table. That was the largest single cost of publishing.
--
-- Now:
-- - open jobs (pending, queued, running) are indexed by `completed_at is null`, which every
--   terminal transition sets (a check enforces it). The claim touches no indexed column, so
--   with room on the page it writes no index entry at all;
-- - the sweep for dead leases uses that index too (a running job's run_at is never later than
--   its lease), so the lease index goes;
-- - the msg_id index had no reader;
-- - the unique key becomes (target_id, workspace_id, occurrence): the same rule (a target
--   belongs to one workspace), and it now also covers the (workspace_id, target_id) foreign
--   key, so the separate target index goes;
-- - pages keep room for the claim's new row version: jobs are inserted in due order and
--   claimed in due order, a page's worth in one statement (fillfactor 50).
-- The success still sets completed_at, so it writes index entries, now into four indexes
-- instead of six.

update postiz.queue_jobs
set completed_at = updated_at
where completed_at is null and status in ('succeeded', 'failed', 'canceled', 'unconfirmed');
update postiz.queue_jobs
set completed_at = null
where completed_at is not null and status in ('pending', 'queued', 'running');

alter table postiz.queue_jobs
  add constraint queue_jobs_completed_at_when_final
  check ((completed_at is not null) = (status in ('succeeded', 'failed', 'canceled', 'unconfirmed')));

create index queue_jobs_open_run_at_idx on postiz.queue_jobs (run_at) where completed_at is null;
drop index postiz.queue_jobs_active_run_at_idx;
drop index postiz.queue_jobs_running_lease_idx;
drop index postiz.queue_jobs_msg_id_idx;

alter table postiz.queue_jobs
  add constraint queue_jobs_target_id_workspace_id_occurrence_key unique (target_id, workspace_id, occurrence),
  drop constraint queue_jobs_target_id_occurrence_key;
drop index postiz.queue_jobs_target_id_idx;

alter table postiz.queue_jobs set (fillfactor = 50);

-- Every worker entry in the activity log has no actor; only rows with one need finding when a
-- user is deleted.
drop index postiz.activity_logs_actor_id_idx;
create index activity_logs_actor_id_idx on postiz.activity_logs (actor_id) where actor_id is not null;

-- updated_at: a statement that sets it itself (the worker's, on its hot path) skips the
-- plpgsql trigger call; every other update is still touched.
drop trigger queue_jobs_touch_updated_at on postiz.queue_jobs;
create trigger queue_jobs_touch_updated_at before update on postiz.queue_jobs
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function postiz_private.touch_updated_at();
drop trigger post_targets_touch_updated_at on postiz.post_targets;
create trigger post_targets_touch_updated_at before update on postiz.post_targets
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function postiz_private.touch_updated_at();
drop trigger posts_touch_updated_at on postiz.posts;
create trigger posts_touch_updated_at before update on postiz.posts
  for each row when (new.updated_at is not distinct from old.updated_at)
  execute function postiz_private.touch_updated_at();

-- Same function as before; its post updates now set updated_at themselves (see above).
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
    update postiz.posts p set status = 'publishing', updated_at = now()
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
  -- Materialized: recurring_run is read three times below and must be looked up once.
  target as materialized (
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
                          else p.published_at end,
      updated_at = now()
  from target x
  where p.id = any (changed) and p.id = x.post_id and p.workspace_id = x.workspace_id
    and (x.recurring_run or p.status is distinct from x.status);
  return null;
end;
$$;


-- Same enqueuer as before, naming the new unique key.
create or replace function postiz_private.service_enqueue_due(horizon interval default interval '2 seconds', max_schedules integer default 500)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  enqueued integer;
begin
  with due as materialized (
    select sc.id, sc.workspace_id, sc.kind, sc.revision, sc.next_run_at,
           coalesce(sc.next_post_id, sc.post_id) as post_id
    from postiz.schedules sc
    where sc.status = 'pending' and sc.next_run_at is not null and sc.next_run_at <= now() + horizon
    order by sc.next_run_at, sc.priority desc
    limit max_schedules
    for update skip locked
  ),
  -- One-shot schedules are done; recurring/evergreen ones wait for the advancer.
  advanced as (
    update postiz.schedules s
    set status = case when d.kind = 'once' then 'queued'::postiz.schedule_status else s.status end,
        last_run_at = d.next_run_at, next_run_at = null, next_post_id = null
    from due d
    where s.id = d.id
    returning d.id, d.workspace_id, d.kind, d.revision, d.next_run_at, d.post_id
  ),
  candidates as materialized (
    select gen_random_uuid() as job_id, a.workspace_id, t.id as target_id, t.social_account_id,
           a.id as schedule_id, a.revision, a.next_run_at as occurrence, acct.network
    from advanced a
    join postiz.post_targets t on t.workspace_id = a.workspace_id and t.post_id = a.post_id
    join postiz.social_accounts acct on acct.workspace_id = t.workspace_id and acct.id = t.social_account_id
    join postiz.posts p on p.workspace_id = t.workspace_id and p.id = t.post_id
    where a.post_id is not null
      and t.status <> 'canceled' and p.status not in ('canceled', 'draft', 'pending_approval')
      -- a one-shot target already live is not published again
      and not (a.kind = 'once' and t.status = 'published')
      and not exists (select 1 from postiz.queue_jobs q
                      where q.target_id = t.id and q.workspace_id = t.workspace_id and q.occurrence = a.next_run_at)
  ),
  sent as materialized (
    select c.*, postiz_private.send_publish_message(c.job_id, c.social_account_id, c.network, c.occurrence) as msg_id
    from candidates c
  ),
  inserted as (
    insert into postiz.queue_jobs
      (id, workspace_id, target_id, social_account_id, schedule_id, schedule_revision, occurrence, network,
       scheduled_at, run_at, status, msg_id)
    select job_id, workspace_id, target_id, social_account_id, schedule_id, revision, occurrence, network,
           occurrence, occurrence, 'queued', msg_id
    from sent
    -- Cannot happen under the row lock and the not-exists check; kept as the last word. A
    -- message sent for a row that was not inserted is archived by the worker (no such job).
    on conflict (target_id, workspace_id, occurrence) do nothing
    returning target_id
  ),
  queued_targets as (
    update postiz.post_targets t
    set status = 'queued'
    from inserted i
    where t.id = i.target_id and t.status in ('pending', 'failed', 'unconfirmed')
    returning t.id
  )
  select count(*) into enqueued from inserted;
  return enqueued;
end;
$$;
