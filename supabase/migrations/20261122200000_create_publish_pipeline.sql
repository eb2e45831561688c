-- The publish pipeline: due schedule occurrences become queue jobs and pgmq messages; the
-- worker's state machine columns make a crash at any instant recoverable without a duplicate.
--
-- Exactly-once, in short: a job row is claimed with a lease before anything is sent; before each
-- provider request the job records which item may be in flight (`sending_item`); after the
-- network answers, the item's id is stored in the same transaction that clears `sending_item`
-- (and, for the last item, archives the message). A job found with `sending_item` set and an
-- expired lease therefore means "a request may have reached the network": it is reconciled,
-- never blindly re-sent.

-- Columns ---------------------------------------------------------------------------------------

-- Bumped by every edit that changes when a schedule fires; jobs remember the revision they were
-- made for, and a job of an older revision never publishes.
alter table postiz.schedules
  add column revision integer not null default 0,
  -- Evergreen: the pool post the worker picked for next_run_at.
  add column next_post_id uuid,
  -- Evergreen options: {"order": "in_order" | "weighted", "min_gap_hours": 168,
  -- "account_gap_hours": 0, "weights": {"<post id>": 3}}.
  add column evergreen jsonb not null default '{}' check (jsonb_typeof(evergreen) = 'object'),
  add foreign key (workspace_id, next_post_id) references postiz.posts (workspace_id, id) on delete set null (next_post_id);
create index schedules_workspace_id_next_post_id_idx on postiz.schedules (workspace_id, next_post_id)
  where next_post_id is not null;
-- The advancer's scan: recurring and evergreen schedules whose next occurrence is not computed.
create index schedules_to_advance_idx on postiz.schedules (id)
  where status = 'pending' and next_run_at is null and kind <> 'once';

alter table postiz.queue_jobs
  add column schedule_revision integer not null default 0,
  -- Who holds the job and until when; a lease past its end means that worker died.
  add column worker_id text,
  add column lease_until timestamptz,
  -- Index of the item whose request may be in flight (items.len() = first comment), and since when.
  add column sending_item integer check (sending_item >= 0),
  add column sending_since timestamptz,
  -- Items of this occurrence already live, in order ([{"index", "id", "url", "cid"}]); a retry or
  -- a recovering worker resumes after the last one instead of posting the thread again.
  add column published_items jsonb not null default '[]' check (jsonb_typeof(published_items) = 'array'),
  -- The pgmq message carries the account so the worker can pace before touching the row.
  add column social_account_id uuid;
create index queue_jobs_running_lease_idx on postiz.queue_jobs (lease_until) where status = 'running';

-- Schedule edits -------------------------------------------------------------------------------

/*
 * An edit of when a schedule fires bumps its revision, puts a fired one-shot schedule back to
 * pending, and leaves next_run_at to be recomputed (init_schedule_next_run sets it for one-shot
 * schedules; the worker's advancer for recurring ones).
 */
create function postiz_private.bump_schedule_revision()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if (new.starts_at, new.rrule, new.ends_at, new.time_zone)
       is distinct from (old.starts_at, old.rrule, old.ends_at, old.time_zone) then
    new.revision := old.revision + 1;
    if new.status = 'queued' then
      new.status := 'pending';
    end if;
    if new.kind = 'once' then
      new.next_run_at := new.starts_at;
    else
      new.next_run_at := null;
      new.next_post_id := null;
    end if;
  elsif new.status = 'canceled' and old.status <> 'canceled' then
    new.revision := old.revision + 1;
  end if;
  return new;
end;
$$;

create trigger schedules_bump_revision before update on postiz.schedules
  for each row execute function postiz_private.bump_schedule_revision();

/*
 * Jobs made for an older revision are canceled at once, so the calendar never shows a stale
 * job and the worker finds nothing to publish. A job already running is not interrupted: an
 * edit affects future occurrences only.
 */
create function postiz_private.cancel_stale_jobs()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.revision <> old.revision then
    update postiz.queue_jobs
    set status = 'canceled', completed_at = now(), last_error_code = 'schedule_changed',
        last_error_message = 'The schedule was edited or canceled before this occurrence ran.'
    where schedule_id = new.id and status in ('pending', 'queued') and schedule_revision <> new.revision;
    -- Their targets wait for the new time again.
    update postiz.post_targets t
    set status = 'pending'
    where t.workspace_id = new.workspace_id and t.post_id = coalesce(new.post_id, t.post_id) and t.status = 'queued'
      and exists (select 1 from postiz.queue_jobs q where q.target_id = t.id and q.schedule_id = new.id and q.last_error_code = 'schedule_changed')
      and not exists (select 1 from postiz.queue_jobs q where q.target_id = t.id and q.status in ('queued', 'running'));
  end if;
  return null;
end;
$$;

create trigger schedules_cancel_stale_jobs after update on postiz.schedules
  for each row execute function postiz_private.cancel_stale_jobs();

-- Post status from its targets ------------------------------------------------------------------

/*
 * A post's status follows its targets once the worker has touched them: publishing while any
 * target is being published, published when every target is (or was canceled), failed when any
 * failed or is unconfirmed and none is still waiting. Otherwise the post keeps its status.
 */
create function postiz_private.derive_post_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  derived postiz.post_status;
begin
  -- Serialise concurrent target updates of one post: without the lock, two workers finishing
  -- two targets at once each see the other still publishing, and the post stays "publishing".
  -- The aggregate below runs after the lock is granted, so it sees the other's commit.
  perform 1 from postiz.posts p where p.id = new.post_id and p.workspace_id = new.workspace_id for update;
  select case
           when bool_or(t.status = 'publishing') then 'publishing'
           when bool_and(t.status in ('published', 'canceled')) and bool_or(t.status = 'published') then 'published'
           when bool_or(t.status in ('failed', 'unconfirmed')) and not bool_or(t.status in ('pending', 'queued', 'publishing')) then 'failed'
           else null
         end
    into derived
  from postiz.post_targets t
  where t.post_id = new.post_id and t.workspace_id = new.workspace_id;
  if derived is not null then
    update postiz.posts p
    set status = derived,
        published_at = case when derived = 'published' then coalesce(p.published_at, now()) else p.published_at end
    where p.id = new.post_id and p.workspace_id = new.workspace_id and p.status is distinct from derived;
  end if;
  return null;
end;
$$;

create trigger post_targets_derive_post_status after update of status on postiz.post_targets
  for each row when (new.status is distinct from old.status)
  execute function postiz_private.derive_post_status();

-- Enqueue ---------------------------------------------------------------------------------------

/*
 * Turns due occurrences into queue jobs and pgmq messages, in one transaction, idempotently:
 * the unique (target_id, occurrence) key makes a second run a no-op. Called every second by the
 * worker (small horizon) and every minute by pg_cron on Supabase (one-minute horizon). Each
 * message is invisible until its job's run_at, so it appears at the exact time.
 * Service-role only. Locks due schedules with skip locked, so concurrent callers share work
 * and an edit in progress simply postpones that schedule to the next call.
 */
create function postiz_private.service_enqueue_due(horizon interval default interval '2 seconds', max_schedules integer default 500)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  s record;
  j record;
  enqueued integer := 0;
  exact_delay boolean := to_regprocedure('pgmq.send(text, jsonb, timestamp with time zone)') is not null;
  msg bigint;
  payload jsonb;
begin
  for s in
    select sc.id, sc.workspace_id, sc.kind, sc.revision, sc.next_run_at,
           coalesce(sc.next_post_id, sc.post_id) as post_id
    from postiz.schedules sc
    where sc.status = 'pending' and sc.next_run_at is not null and sc.next_run_at <= now() + horizon
    order by sc.next_run_at, sc.priority desc
    limit max_schedules
    for update skip locked
  loop
    if s.post_id is not null then
      for j in
        insert into postiz.queue_jobs as q
          (workspace_id, target_id, social_account_id, schedule_id, schedule_revision, occurrence, network,
           scheduled_at, run_at, status)
        select s.workspace_id, t.id, t.social_account_id, s.id, s.revision, s.next_run_at, a.network,
               s.next_run_at, s.next_run_at, 'queued'
        from postiz.post_targets t
        join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
        join postiz.posts p on p.workspace_id = t.workspace_id and p.id = t.post_id
        where t.workspace_id = s.workspace_id and t.post_id = s.post_id
          and t.status <> 'canceled' and p.status not in ('canceled', 'draft', 'pending_approval')
          -- a one-shot target already live is not published again
          and not (s.kind = 'once' and t.status = 'published')
        on conflict (target_id, occurrence) do nothing
        returning q.id, q.run_at, q.social_account_id, q.network
      loop
        payload := jsonb_build_object('job', 'publish_post', 'v', 1, 'data',
          jsonb_build_object('job_id', j.id, 'account_id', j.social_account_id, 'network', j.network));
        if exact_delay then
          execute 'select pgmq.send($1, $2, $3::timestamptz)' into msg using 'publish', payload, j.run_at;
        else
          msg := pgmq.send('publish', payload, greatest(0, ceil(extract(epoch from j.run_at - now())))::integer);
        end if;
        update postiz.queue_jobs set msg_id = msg where id = j.id;
        enqueued := enqueued + 1;
      end loop;
      update postiz.post_targets set status = 'queued'
      where workspace_id = s.workspace_id and post_id = s.post_id and status in ('pending', 'failed', 'unconfirmed')
        and exists (select 1 from postiz.queue_jobs q where q.target_id = post_targets.id and q.occurrence = s.next_run_at and q.status = 'queued');
    end if;
    if s.kind = 'once' then
      update postiz.schedules set status = 'queued', last_run_at = next_run_at, next_run_at = null where id = s.id;
    else
      -- The worker's advancer computes the next occurrence from the rule.
      update postiz.schedules set last_run_at = next_run_at, next_run_at = null, next_post_id = null where id = s.id;
    end if;
  end loop;
  return enqueued;
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

grant insert (evergreen), update (evergreen) on table postiz.schedules to authenticated;
revoke all on function postiz_private.bump_schedule_revision() from public, anon, authenticated, service_role;
revoke all on function postiz_private.cancel_stale_jobs() from public, anon, authenticated, service_role;
revoke all on function postiz_private.derive_post_status() from public, anon, authenticated, service_role;
revoke all on function postiz_private.service_enqueue_due(interval, integer) from public, anon, authenticated;
grant execute on function postiz_private.service_enqueue_due(interval, integer) to service_role;

-- pg_cron (Supabase): the same enqueue every minute with a one-minute horizon. Skipped where
-- pg_cron is not installed (test databases); the worker's own ticker runs it every second.
do $$
begin
  if exists (select 1 from pg_namespace where nspname = 'cron') then
    perform cron.schedule('postiz-enqueue-due', '* * * * *',
      $cmd$select postiz_private.service_enqueue_due(interval '60 seconds')$cmd$);
  end if;
end
$$;
