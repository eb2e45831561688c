-- Schedules (when to publish) and queue jobs (one concrete publish attempt per target and
-- occurrence), plus the pgmq queues the worker consumes.
--
-- Flow (issue 6 implements it): a due schedule occurrence becomes one queue_jobs row per target,
-- inserted with `on conflict (target_id, occurrence) do nothing`, then a pgmq message whose id is
-- stored in msg_id. The unique key is what makes an occurrence impossible to enqueue twice.
-- Clients read jobs (status, errors); only service_role writes them.

-- Enums -----------------------------------------------------------------------------------------

create type postiz.schedule_kind as enum ('once', 'recurring', 'evergreen');
create type postiz.schedule_status as enum ('pending', 'queued', 'published', 'failed', 'canceled');
-- 'unconfirmed': the request went out but the outcome is unknown (timeout); the worker must look
-- the post up on the network before retrying.
create type postiz.job_status as enum (
  'pending', 'queued', 'running', 'succeeded', 'failed', 'canceled', 'unconfirmed'
);

-- Tables ----------------------------------------------------------------------------------------

create table postiz.schedules (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  kind postiz.schedule_kind not null,
  -- once and recurring: the post to publish.
  post_id uuid,
  -- evergreen: the pool is every post carrying this tag, recycled by priority and last use.
  tag_id uuid,
  -- once: the moment. recurring/evergreen: the first occurrence (DTSTART).
  starts_at timestamptz not null,
  -- RFC 5545 recurrence rule, expanded by the worker in time_zone's wall clock.
  rrule text check (rrule ~ '^(RRULE:)?FREQ=(YEARLY|MONTHLY|WEEKLY|DAILY|HOURLY)(;[A-Z]+=[A-Za-z0-9,:+-]+)*$'),
  ends_at timestamptz check (ends_at > starts_at),
  time_zone text not null default 'UTC' check (postiz_private.is_valid_time_zone(time_zone)),
  -- Higher runs first when several occurrences are due at once.
  priority smallint not null default 0 check (priority between -100 and 100),
  -- Maintained by the worker; initialised to starts_at.
  next_run_at timestamptz,
  last_run_at timestamptz,
  status postiz.schedule_status not null default 'pending',
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (
    (kind = 'once' and post_id is not null and tag_id is null and rrule is null)
    or (kind = 'recurring' and post_id is not null and tag_id is null and rrule is not null)
    or (kind = 'evergreen' and post_id is null and tag_id is not null and rrule is not null)
  ),
  unique (id, workspace_id),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, tag_id) references postiz.tags (workspace_id, id) on delete cascade
);
create index schedules_workspace_id_post_id_idx on postiz.schedules (workspace_id, post_id);
create index schedules_tag_id_idx on postiz.schedules (tag_id, workspace_id) where tag_id is not null;
create index schedules_created_by_idx on postiz.schedules (created_by);
-- The promoter's scan: pending schedules that are due, most urgent first.
create index schedules_due_idx on postiz.schedules (next_run_at, priority desc) where status = 'pending';

create table postiz.queue_jobs (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  target_id uuid not null,
  schedule_id uuid,
  -- Which occurrence this job publishes (for a one-shot schedule: its starts_at).
  occurrence timestamptz not null,
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  -- When the occurrence is due.
  scheduled_at timestamptz not null,
  -- When the next attempt may start (backoff, rate limits).
  run_at timestamptz not null,
  started_at timestamptz,
  completed_at timestamptz,
  status postiz.job_status not null default 'pending',
  attempt integer not null default 0 check (attempt >= 0),
  last_error_code text,
  last_error_message text,
  last_error_retryable boolean,
  -- What the network said about limits: {"retry_after": "…", "remaining": 12, "reset_at": "…"}.
  throttling jsonb not null default '{}' check (jsonb_typeof(throttling) = 'object'),
  -- The pgmq message carrying this job (queue 'publish').
  msg_id bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (target_id, occurrence),
  foreign key (workspace_id, target_id) references postiz.post_targets (workspace_id, id) on delete cascade,
  foreign key (workspace_id, schedule_id)
    references postiz.schedules (workspace_id, id) on delete set null (schedule_id)
);
create index queue_jobs_target_id_idx on postiz.queue_jobs (target_id, workspace_id);
create index queue_jobs_schedule_id_idx on postiz.queue_jobs (schedule_id, workspace_id) where schedule_id is not null;
create index queue_jobs_workspace_id_scheduled_at_idx on postiz.queue_jobs (workspace_id, scheduled_at);
create index queue_jobs_active_run_at_idx on postiz.queue_jobs (run_at) where status in ('pending', 'queued', 'running');
create index queue_jobs_msg_id_idx on postiz.queue_jobs (msg_id) where msg_id is not null;

-- Triggers --------------------------------------------------------------------------------------

create trigger schedules_touch_updated_at before update on postiz.schedules
  for each row execute function postiz_private.touch_updated_at();
create trigger queue_jobs_touch_updated_at before update on postiz.queue_jobs
  for each row execute function postiz_private.touch_updated_at();

/*
 * A pending schedule's next run starts at its first occurrence; moving starts_at moves it.
 * Later values are the worker's (it expands the rrule).
 */
create function postiz_private.init_schedule_next_run()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'pending'
     and (tg_op = 'INSERT' and new.next_run_at is null
          or tg_op = 'UPDATE' and new.starts_at is distinct from old.starts_at) then
    new.next_run_at := new.starts_at;
  end if;
  return new;
end;
$$;

create trigger schedules_init_next_run before insert or update of starts_at on postiz.schedules
  for each row execute function postiz_private.init_schedule_next_run();

/*
 * Enforces the workspace plan on schedules: recurring and evergreen schedules need a plan that
 * allows them. Security definer: reads the plan whatever the caller may see.
 */
create function postiz_private.enforce_schedule_plan_limits()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  p postiz.plans;
begin
  if new.kind = 'once' then
    return new;
  end if;
  select pl.* into p
  from postiz.workspaces w join postiz.plans pl on pl.code = w.plan
  where w.id = new.workspace_id;
  if found and (new.kind = 'recurring' and not p.allow_recurring or new.kind = 'evergreen' and not p.allow_evergreen) then
    raise exception 'the % plan does not allow % schedules', p.code, new.kind
      using errcode = 'P0001', hint = 'plan_schedule_kind';
  end if;
  return new;
end;
$$;

create trigger schedules_enforce_plan_limits before insert or update of kind on postiz.schedules
  for each row execute function postiz_private.enforce_schedule_plan_limits();

-- Queues ----------------------------------------------------------------------------------------

-- pgmq is an extension on Supabase (Database → Integrations → Queues) and a SQL install locally;
-- pgmq.create exists in both and is idempotent. Queue tables are the worker's alone.
do $$
begin
  if not exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'pgmq' and p.proname = 'create'
  ) then
    if exists (select 1 from pg_available_extensions where name = 'pgmq') then
      create extension if not exists pgmq;
    else
      raise exception 'pgmq is required: enable Supabase Queues (the pgmq extension) first';
    end if;
  end if;
  perform pgmq.create('publish');
  perform pgmq.create('maintenance');
  revoke all on table pgmq.q_publish, pgmq.a_publish, pgmq.q_maintenance, pgmq.a_maintenance
    from public, anon, authenticated;
  grant select, insert, update, delete on table pgmq.q_publish, pgmq.a_publish, pgmq.q_maintenance,
    pgmq.a_maintenance to service_role;
end
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.schedules, postiz.queue_jobs from public, anon, authenticated, service_role;

grant select, delete on table postiz.schedules to authenticated;
grant insert (id, workspace_id, kind, post_id, tag_id, starts_at, rrule, ends_at, time_zone, priority, status)
  on table postiz.schedules to authenticated;
grant update (starts_at, rrule, ends_at, time_zone, priority, status) on table postiz.schedules to authenticated;
grant select, insert, update, delete on table postiz.schedules to service_role;

grant select on table postiz.queue_jobs to authenticated;
grant select, insert, update, delete on table postiz.queue_jobs to service_role;

revoke all on function postiz_private.init_schedule_next_run() from public, anon, authenticated, service_role;
revoke all on function postiz_private.enforce_schedule_plan_limits() from public, anon, authenticated, service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.schedules enable row level security;
alter table postiz.schedules force row level security;
alter table postiz.queue_jobs enable row level security;
alter table postiz.queue_jobs force row level security;

create policy "Members can view their workspace's schedules" on postiz.schedules
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can create schedules" on postiz.schedules
  for insert to authenticated
  with check (
    status in ('pending', 'canceled')
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  );

create policy "Editors can change or cancel schedules" on postiz.schedules
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))))
  with check (
    status in ('pending', 'canceled')
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  );

create policy "Editors can delete schedules" on postiz.schedules
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Members can view their workspace's publish jobs" on postiz.queue_jobs
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));
