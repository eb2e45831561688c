-- Posts, targets, schedules and jobs: what clients may set versus what only the worker sets,
-- the unique keys that make retries safe, schedule validation, plan limits and the calendar.
begin;
select plan(34);

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('admin', 'admin@example.com');
  perform tests.create_supabase_user('editor', 'editor@example.com');
  perform tests.create_supabase_user('viewer', 'viewer@example.com');
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'tenant-a', tests.get_supabase_uid('owner')),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'tenant-b', tests.get_supabase_uid('owner'));
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('admin'), 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('viewer'), 'viewer');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@a'),
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-000000000000', 'bluesky', 'b-1', '@b');

-- Posts ------------------------------------------------------------------------------------------

select tests.authenticate_as('viewer');
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content) values ('aaaaaaaa-0000-4000-8000-000000000000', 'hi') $$,
  '42501', 'new row violates row-level security policy for table "posts"', 'a viewer cannot write posts'
);

select tests.authenticate_as('editor');
select lives_ok(
  $$ insert into postiz.posts (id, workspace_id, content, scheduled_at, idempotency_key)
     values ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', 'hello',
             '2030-01-10T09:00:00Z', 'key-1') $$,
  'an editor creates a draft'
);
select is(
  (select author_id from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1'),
  tests.get_supabase_uid('editor'),
  'the author is the signed-in user'
);
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content, idempotency_key)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'hello again', 'key-1') $$,
  '23505', null, 'an idempotency key is used once per workspace'
);
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content, status)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'fake', 'published') $$,
  '42501', 'new row violates row-level security policy for table "posts"',
  'clients cannot create a post as published'
);
select throws_ok(
  $$ update postiz.posts set status = 'publishing' where id = 'aaaaaaaa-0000-4000-8000-0000000000b1' $$,
  '42501', 'new row violates row-level security policy for table "posts"',
  'clients cannot mark a post publishing'
);
select throws_ok(
  $$ update postiz.posts set author_id = null where id = 'aaaaaaaa-0000-4000-8000-0000000000b1' $$,
  '42501', null, 'the author cannot be rewritten'
);
select results_eq(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b1'
     returning status::text $$,
  $$ values ('scheduled') $$,
  'an editor schedules the post'
);
select lives_ok(
  $$ insert into postiz.post_targets (id, workspace_id, post_id, social_account_id) values
       ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000000',
        'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1'),
       ('aaaaaaaa-0000-4000-8000-0000000000e2', 'aaaaaaaa-0000-4000-8000-000000000000',
        'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a2') $$,
  'an editor targets two accounts'
);
select throws_ok(
  $$ insert into postiz.post_targets (workspace_id, post_id, social_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1',
             'aaaaaaaa-0000-4000-8000-0000000000a1') $$,
  '23505', null, 'a post targets an account once'
);
select throws_ok(
  $$ update postiz.post_targets set status = 'published' where id = 'aaaaaaaa-0000-4000-8000-0000000000e1' $$,
  '42501', 'new row violates row-level security policy for table "post_targets"',
  'clients cannot mark a target published'
);
select throws_ok(
  $$ update postiz.post_targets set external_id = '123' where id = 'aaaaaaaa-0000-4000-8000-0000000000e1' $$,
  '42501', null, 'clients cannot write external ids'
);
select results_eq(
  $$ select post_id, target_id, network, handle from postiz.calendar_entries(
       'aaaaaaaa-0000-4000-8000-000000000000', '2030-01-01T00:00:00Z', '2030-02-01T00:00:00Z') $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000b1'::uuid, 'aaaaaaaa-0000-4000-8000-0000000000e2'::uuid, 'bluesky', '@b'),
            ('aaaaaaaa-0000-4000-8000-0000000000b1'::uuid, 'aaaaaaaa-0000-4000-8000-0000000000e1'::uuid, 'mastodon', '@a') $$,
  'the calendar lists the post once per target'
);
select is_empty(
  $$ select 1 from postiz.calendar_entries('aaaaaaaa-0000-4000-8000-000000000000',
       '2030-02-01T00:00:00Z', '2030-03-01T00:00:00Z') $$,
  'and nothing outside the window'
);

select tests.authenticate_as_service_role();
update postiz.posts set status = 'published', published_at = now() where id = 'aaaaaaaa-0000-4000-8000-0000000000b1';

select tests.authenticate_as('editor');
select is_empty(
  $$ update postiz.posts set content = 'rewritten' where id = 'aaaaaaaa-0000-4000-8000-0000000000b1' returning 1 $$,
  'a published post is read-only for clients'
);
select results_eq(
  $$ update postiz.post_targets set status = 'canceled' where id = 'aaaaaaaa-0000-4000-8000-0000000000e2'
     returning status::text $$,
  $$ values ('canceled') $$,
  'an editor can cancel a target'
);

-- Jobs -------------------------------------------------------------------------------------------

select tests.authenticate_as_service_role();
select lives_ok(
  $$ insert into postiz.queue_jobs (workspace_id, target_id, occurrence, network, scheduled_at, run_at, msg_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e1',
             '2030-01-10T09:00:00Z', 'mastodon', '2030-01-10T09:00:00Z', '2030-01-10T09:00:00Z', 1) $$,
  'the worker files a job for an occurrence'
);
select throws_ok(
  $$ insert into postiz.queue_jobs (workspace_id, target_id, occurrence, network, scheduled_at, run_at)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e1',
             '2030-01-10T09:00:00Z', 'mastodon', now(), now()) $$,
  '23505', null, 'an occurrence can never be enqueued twice for a target'
);
update postiz.queue_jobs set status = 'failed', completed_at = now(), attempt = 3, last_error_code = 'rate_limited',
  last_error_message = 'slow down', last_error_retryable = true;

select tests.authenticate_as('viewer');
select results_eq(
  $$ select status::text, attempt, last_error_code from postiz.queue_jobs $$,
  $$ values ('failed', 3, 'rate_limited') $$,
  'a viewer reads job status and errors'
);
select tests.authenticate_as('owner');
select throws_ok(
  $$ update postiz.queue_jobs set status = 'succeeded' $$, '42501', null, 'not even an owner writes jobs'
);

-- Schedules --------------------------------------------------------------------------------------

select tests.authenticate_as('editor');
select throws_ok(
  $$ insert into postiz.schedules (workspace_id, kind, post_id, starts_at, rrule)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'once', 'aaaaaaaa-0000-4000-8000-0000000000b1', now(), 'FREQ=DAILY') $$,
  '23514', null, 'a one-shot schedule has no rule'
);
select throws_ok(
  $$ insert into postiz.schedules (workspace_id, kind, post_id, starts_at)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'recurring', 'aaaaaaaa-0000-4000-8000-0000000000b1', now()) $$,
  '23514', null, 'a recurring schedule needs a rule'
);
select throws_ok(
  $$ insert into postiz.schedules (workspace_id, kind, post_id, starts_at, time_zone)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'once', 'aaaaaaaa-0000-4000-8000-0000000000b1', now(), 'Europe/Atlantis') $$,
  '23514', null, 'a schedule''s time zone must be a known IANA zone'
);
select results_eq(
  $$ insert into postiz.schedules (workspace_id, kind, post_id, starts_at, rrule, time_zone, priority)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'recurring', 'aaaaaaaa-0000-4000-8000-0000000000b1',
             '2030-01-10T09:00:00Z', 'FREQ=WEEKLY;BYDAY=MO,WE', 'America/Argentina/Buenos_Aires', 5)
     returning next_run_at, status::text $$,
  $$ values ('2030-01-10T09:00:00Z'::timestamptz, 'pending') $$,
  'a new schedule is pending and first runs at its start'
);
select throws_ok(
  $$ update postiz.schedules set status = 'queued' $$,
  '42501', 'new row violates row-level security policy for table "schedules"',
  'clients cannot mark a schedule queued'
);
select throws_ok(
  $$ update postiz.schedules set next_run_at = now() $$, '42501', null, 'clients cannot move next_run_at'
);

-- Plan limits ------------------------------------------------------------------------------------

select tests.authenticate_as_service_role();
insert into postiz.plans (code, name, networks_allowed, max_social_accounts, allow_recurring, allow_evergreen)
values ('starter', 'Starter', '{mastodon,bluesky}', 2, false, false);
update postiz.workspaces set plan = 'starter' where id = 'aaaaaaaa-0000-4000-8000-000000000000';

select tests.authenticate_as('admin');
select throws_ok(
  $$ insert into postiz.social_accounts (workspace_id, network, external_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-2') $$,
  'P0001', 'the starter plan allows at most 2 social accounts', 'the plan caps the number of accounts'
);
select throws_ok(
  $$ update postiz.social_accounts set status = 'active', network = 'linkedin'
     where id = 'aaaaaaaa-0000-4000-8000-0000000000a1' $$,
  '42501', null, 'an account''s network cannot be changed by clients'
);
select tests.authenticate_as_service_role();
delete from postiz.social_accounts where id = 'aaaaaaaa-0000-4000-8000-0000000000a2';
select tests.authenticate_as('admin');
select throws_ok(
  $$ insert into postiz.social_accounts (workspace_id, network, external_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'linkedin', 'l-1') $$,
  'P0001', 'the starter plan does not include linkedin', 'the plan limits networks'
);
select lives_ok(
  $$ insert into postiz.social_accounts (workspace_id, network, external_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'bluesky', 'b-2') $$,
  'an allowed network within the cap connects'
);
select tests.authenticate_as('editor');
select throws_ok(
  $$ insert into postiz.schedules (workspace_id, kind, post_id, starts_at, rrule)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'recurring', 'aaaaaaaa-0000-4000-8000-0000000000b1', now(), 'FREQ=DAILY') $$,
  'P0001', 'the starter plan does not allow recurring schedules', 'the plan can forbid recurring schedules'
);
select lives_ok(
  $$ insert into postiz.schedules (workspace_id, kind, post_id, starts_at)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'once', 'aaaaaaaa-0000-4000-8000-0000000000b1', now()) $$,
  'one-shot schedules are always allowed'
);

select tests.authenticate_as('admin');
select throws_ok(
  $$ update postiz.workspaces set plan = 'default' where id = 'aaaaaaaa-0000-4000-8000-000000000000' $$,
  '42501', null, 'an admin cannot upgrade the plan'
);

-- Even if a host grants the whole table, the plan stays the host's.
reset role;
grant update on table postiz.workspaces to authenticated;
select tests.authenticate_as('owner');
select throws_ok(
  $$ update postiz.workspaces set plan = 'default' where id = 'aaaaaaaa-0000-4000-8000-000000000000' $$,
  '42501', 'plan, external_ref and created_by are set by the host application',
  'even with a table-wide grant, users cannot change their plan'
);

select * from finish();
rollback;
