-- Pausing an account (service_pause_account), the one way every caller holds an account whose
-- credentials stopped working: its status, its waiting jobs and their posts, one activity row
-- per change, the running job only when its worker asks, and service_resume_account_jobs
-- undoing it.
begin;
select plan(17);

select tests.create_supabase_user('nobody');
select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, time_zone) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'pause-a', 'UTC');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', 'active'),
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-2', 'disabled');
insert into postiz.posts (id, workspace_id, content)
select ('aaaaaaaa-0000-4000-8000-0000000000b' || n)::uuid, 'aaaaaaaa-0000-4000-8000-000000000000', 'post ' || n
from generate_series(1, 4) n;
-- Targets 1 and 2 wait in the queue, 3 is being sent by a worker, 4 is the disabled account's.
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'queued'),
  ('aaaaaaaa-0000-4000-8000-0000000000e2', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'queued'),
  ('aaaaaaaa-0000-4000-8000-0000000000e3', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'publishing'),
  ('aaaaaaaa-0000-4000-8000-0000000000e4', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'aaaaaaaa-0000-4000-8000-0000000000a2', 'queued');
insert into postiz.queue_jobs (id, workspace_id, target_id, social_account_id, occurrence, network, scheduled_at, run_at, status, msg_id, sending_item) values
  ('aaaaaaaa-0000-4000-8000-0000000000f1', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-0000000000a1', now(), 'mastodon', now(), now(), 'queued', 1, null),
  ('aaaaaaaa-0000-4000-8000-0000000000f2', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e2', 'aaaaaaaa-0000-4000-8000-0000000000a1', now(), 'mastodon', now(), now(), 'queued', 2, null),
  ('aaaaaaaa-0000-4000-8000-0000000000f3', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e3', 'aaaaaaaa-0000-4000-8000-0000000000a1', now(), 'mastodon', now(), now(), 'running', 3, 0),
  ('aaaaaaaa-0000-4000-8000-0000000000f4', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e4', 'aaaaaaaa-0000-4000-8000-0000000000a2', now(), 'mastodon', now(), now(), 'queued', 4, null);

select is(
  postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'needs_reconnect',
    'Reconnect this account: the network refused its credentials (401).', '{"reason": "401"}'),
  true, 'an active account is paused'
);
select results_eq(
  $$ select status::text from postiz.social_accounts where id = 'aaaaaaaa-0000-4000-8000-0000000000a1' $$,
  $$ values ('needs_reconnect') $$, 'and asks to be reconnected'
);
select results_eq(
  $$ select id::text, status::text, last_error_code, last_error_retryable from postiz.queue_jobs
     where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a1' order by id $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000f1', 'pending', 'account_needs_reconnect', false),
            ('aaaaaaaa-0000-4000-8000-0000000000f2', 'pending', 'account_needs_reconnect', false),
            ('aaaaaaaa-0000-4000-8000-0000000000f3', 'running', null, null) $$,
  'its waiting jobs are held; the one another worker is running is left to it'
);
select results_eq(
  $$ select id::text, status::text, last_error_message from postiz.post_targets
     where id in ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-0000000000e2', 'aaaaaaaa-0000-4000-8000-0000000000e3') order by id $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000e1', 'pending', 'Reconnect this account: the network refused its credentials (401).'),
            ('aaaaaaaa-0000-4000-8000-0000000000e2', 'pending', 'Reconnect this account: the network refused its credentials (401).'),
            ('aaaaaaaa-0000-4000-8000-0000000000e3', 'publishing', null) $$,
  'their posts say why in words'
);
select results_eq(
  $$ select action, details->>'reason', actor_id is null from postiz.activity_logs where entity_id = 'aaaaaaaa-0000-4000-8000-0000000000a1' $$,
  $$ values ('account.needs_reconnect', '401', true) $$, 'one activity row, by the system'
);

-- The worker running job f3 is refused too, and pauses it: the account is already held.
select is(
  postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'needs_reconnect',
    'Reconnect this account: the network refused its credentials (401).', '{"reason": "401"}',
    'aaaaaaaa-0000-4000-8000-0000000000f3'),
  false, 'pausing a held account again changes its status not'
);
select results_eq(
  $$ select status::text, last_error_code, sending_item from postiz.queue_jobs where id = 'aaaaaaaa-0000-4000-8000-0000000000f3' $$,
  $$ values ('pending', 'account_needs_reconnect', null::integer) $$, 'the running job its worker names is held, its send marker cleared'
);
select results_eq(
  $$ select count(*)::int from postiz.activity_logs where entity_id = 'aaaaaaaa-0000-4000-8000-0000000000a1' $$,
  $$ values (1) $$, 'and no second activity row'
);

-- Revoked is stronger than needs_reconnect; disabled stays disabled.
select is(
  postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'revoked', 'Reconnect this account.', '{"reason": "access removed"}'),
  true, 'a held account can still be revoked'
);
select results_eq(
  $$ select action from postiz.activity_logs where entity_id = 'aaaaaaaa-0000-4000-8000-0000000000a1' order by id $$,
  $$ values ('account.needs_reconnect'), ('account.revoked') $$, 'which is logged'
);
select is(
  postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a2', 'needs_reconnect', 'Reconnect this account.', '{"reason": "401"}'),
  false, 'a disabled account is not made needs_reconnect'
);
select results_eq(
  $$ select (select status::text from postiz.social_accounts where id = 'aaaaaaaa-0000-4000-8000-0000000000a2'),
            (select status::text from postiz.queue_jobs where id = 'aaaaaaaa-0000-4000-8000-0000000000f4') $$,
  $$ values ('disabled', 'pending') $$, 'but its waiting jobs are held all the same'
);

select throws_ok(
  $$ select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'active', 'x', '{"reason": "x"}') $$,
  '22023', null, 'pausing to active is refused'
);
select throws_ok(
  $$ select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'revoked', 'x', '{}') $$,
  '22023', null, 'a pause says why'
);

-- Reconnecting undoes it.
update postiz.social_accounts set status = 'active' where id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
select is(postiz_private.service_resume_account_jobs('aaaaaaaa-0000-4000-8000-0000000000a1'), 3, 'the three held jobs resume on reconnect');
select results_eq(
  $$ select status::text, count(*)::int from postiz.post_targets
     where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a1' group by status $$,
  $$ values ('queued', 3) $$, 'with their posts'
);

select tests.authenticate_as('nobody');
select throws_ok(
  $$ select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'revoked', 'x', '{"reason": "x"}') $$,
  '42501', null, 'users cannot pause accounts'
);

select * from finish();
rollback;
