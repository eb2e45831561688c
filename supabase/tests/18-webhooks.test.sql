-- Outgoing webhooks: the event triggers write one delivery per enabled endpoint whose filters
-- match (and its pgmq message), admins and owners manage endpoints, members read them without
-- the sealed secret, only service_role writes deliveries, the test event and auto-disable.
begin;
select plan(22);

select tests.create_supabase_user('owner');
select tests.create_supabase_user('admin');
select tests.create_supabase_user('editor');
select tests.create_supabase_user('outsider');
select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, time_zone, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'hooks-a', 'UTC', tests.get_supabase_uid('owner'));
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('admin'), 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor')
on conflict (workspace_id, user_id) do update set role = excluded.role;
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@one', 'active'),
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-000000000000', 'bluesky', 'b-1', '@two', 'active');
insert into postiz.posts (id, workspace_id, content) values
  ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', 'post');
insert into postiz.posts (id, workspace_id, author_id, content, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-000000000000', null, 'for review', 'pending_approval');
insert into postiz.approval_policies (workspace_id, steps) values
  ('aaaaaaaa-0000-4000-8000-000000000000', '[{"min_role": "admin", "required": 1}]');
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000c1', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1', 'pending'),
  ('aaaaaaaa-0000-4000-8000-0000000000c2', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a2', 'pending');

-- Endpoints, managed by admins ------------------------------------------------------------------

select tests.authenticate_as('editor');
select throws_ok(
  $$ insert into postiz.webhook_endpoints (workspace_id, url, secret_key_id, secret_nonce, secret_ciphertext)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'https://hooks.example/x', 'k', '\x00', '\x00') $$,
  '42501', null, 'an editor cannot add an endpoint'
);

select tests.authenticate_as('admin');
-- e1: every event; e2: only published, only account a2; e3: disabled.
insert into postiz.webhook_endpoints (id, workspace_id, url, events, social_account_id, secret_key_id, secret_nonce, secret_ciphertext, enabled) values
  ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000000', 'https://hooks.example/all', '{}', null, 'k', '\x00', '\x00', true),
  ('aaaaaaaa-0000-4000-8000-0000000000e2', 'aaaaaaaa-0000-4000-8000-000000000000', 'https://hooks.example/two', '{post.published}', 'aaaaaaaa-0000-4000-8000-0000000000a2', 'k', '\x00', '\x00', true),
  ('aaaaaaaa-0000-4000-8000-0000000000e3', 'aaaaaaaa-0000-4000-8000-000000000000', 'https://hooks.example/off', '{}', null, 'k', '\x00', '\x00', false);
select is((select count(*)::int from postiz.webhook_endpoints), 3, 'an admin adds endpoints');
select throws_ok(
  $$ insert into postiz.webhook_endpoints (workspace_id, url, events, secret_key_id, secret_nonce, secret_ciphertext)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'https://hooks.example/x', '{post.exploded}', 'k', '\x00', '\x00') $$,
  '23514', null, 'an unknown event name is refused'
);
select throws_ok(
  $$ select secret_ciphertext from postiz.webhook_endpoints $$,
  '42501', null, 'nobody reads the sealed secret back, not even an admin'
);

select tests.authenticate_as('editor');
select is((select count(*)::int from postiz.webhook_endpoints), 3, 'an editor sees the endpoints');
select is_empty($$ update postiz.webhook_endpoints set url = 'https://evil.example/' returning 1 $$, 'but cannot change them');
select is_empty($$ delete from postiz.webhook_endpoints returning 1 $$, 'nor remove them');
select throws_ok(
  $$ insert into postiz.webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e1', gen_random_uuid(), 'post.failed', '{}') $$,
  '42501', null, 'members never write deliveries'
);
select throws_ok(
  $$ select postiz_private.send_webhook_test_event('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e1') $$,
  '42501', null, 'an editor cannot send a test event'
);

select tests.authenticate_as('outsider');
select is_empty($$ select 1 from postiz.webhook_endpoints $$, 'an outsider sees no endpoint');

-- Events ----------------------------------------------------------------------------------------

select tests.authenticate_as_service_role();
select is((select count(*)::int from pgmq.q_webhooks), 0, 'no message before any event');

-- Both targets queued in one statement, then a2's published.
update postiz.post_targets set status = 'queued' where post_id = 'aaaaaaaa-0000-4000-8000-0000000000b1';
update postiz.post_targets set status = 'published', external_url = 'https://bsky.app/p/1', published_at = now()
where id = 'aaaaaaaa-0000-4000-8000-0000000000c2';
-- A change that is not a status change tells nobody.
update postiz.post_targets set attempts = attempts + 1 where id = 'aaaaaaaa-0000-4000-8000-0000000000c1';

select results_eq(
  $$ select endpoint_id::text, event_type, payload #>> '{data,target_id}' from postiz.webhook_deliveries order by id $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000e1', 'post.queued', 'aaaaaaaa-0000-4000-8000-0000000000c1'),
            ('aaaaaaaa-0000-4000-8000-0000000000e1', 'post.queued', 'aaaaaaaa-0000-4000-8000-0000000000c2'),
            ('aaaaaaaa-0000-4000-8000-0000000000e1', 'post.published', 'aaaaaaaa-0000-4000-8000-0000000000c2'),
            ('aaaaaaaa-0000-4000-8000-0000000000e2', 'post.published', 'aaaaaaaa-0000-4000-8000-0000000000c2') $$,
  'one delivery per event and matching enabled endpoint: filters by event and account, none to a disabled endpoint'
);
select is(
  (select count(distinct event_id)::int from postiz.webhook_deliveries where event_type = 'post.published'), 1,
  'an event has one id across its endpoints'
);
select results_eq(
  $$ select payload ->> 'type', payload #>> '{data,url}', payload #>> '{data,network}', payload #>> '{data,previous_status}',
            payload #>> '{data,workspace_id}', payload ? 'timestamp'
     from postiz.webhook_deliveries where endpoint_id = 'aaaaaaaa-0000-4000-8000-0000000000e2' $$,
  $$ values ('post.published', 'https://bsky.app/p/1', 'bluesky', 'queued', 'aaaaaaaa-0000-4000-8000-000000000000', true) $$,
  'the body says the type, the time and the facts'
);
select results_eq(
  $$ select count(*)::int from pgmq.q_webhooks q join postiz.webhook_deliveries d on d.id = (q.message #>> '{data,delivery_id}')::bigint
     where q.message ->> 'job' = 'deliver_webhook' $$,
  $$ values (4) $$,
  'each delivery has its pgmq message'
);

update postiz.social_accounts set status = 'needs_reconnect' where id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
select results_eq(
  $$ select endpoint_id::text, payload #>> '{data,status}', payload #>> '{data,previous_status}' from postiz.webhook_deliveries
     where event_type = 'account.status_changed' $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000e1', 'needs_reconnect', 'active') $$,
  'an account status change is an event'
);

insert into postiz.approval_decisions (workspace_id, post_id, decision, note, decided_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'rejected', 'Not this week', tests.get_supabase_uid('admin'));
select results_eq(
  $$ select endpoint_id::text, payload #>> '{data,decision}', payload #>> '{data,note}' from postiz.webhook_deliveries
     where event_type = 'post.approval_decided' $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000e1', 'rejected', 'Not this week') $$,
  'an approval decision is an event'
);

select tests.authenticate_as('editor');
select is((select count(*)::int from postiz.webhook_deliveries), 6, 'members read the delivery log');

-- The test event and auto-disable -----------------------------------------------------------------

select tests.authenticate_as('admin');
select isnt(
  postiz_private.send_webhook_test_event('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000e3'),
  null, 'an admin sends a test event'
);
select results_eq(
  $$ select endpoint_id::text, event_type from postiz.webhook_deliveries where event_type = 'webhook.test' $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000e3', 'webhook.test') $$,
  'to that endpoint only, disabled or not'
);

select tests.authenticate_as_service_role();
select is(
  array[postiz_private.service_disable_webhook_endpoint('aaaaaaaa-0000-4000-8000-0000000000e1', 'It failed 10 times in a row (last: 503).'),
        postiz_private.service_disable_webhook_endpoint('aaaaaaaa-0000-4000-8000-0000000000e1', 'again')],
  array[true, false], 'the worker disables a failing endpoint once'
);
select results_eq(
  $$ select u.user_id = any (array[tests.get_supabase_uid('owner'), tests.get_supabase_uid('admin')]), n.details ->> 'url', n.details ->> 'reason'
     from postiz.notifications n cross join lateral (select n.user_id) u where n.kind = 'webhook_disabled' order by n.user_id $$,
  $$ values (true, 'https://hooks.example/all', 'It failed 10 times in a row (last: 503).'),
            (true, 'https://hooks.example/all', 'It failed 10 times in a row (last: 503).') $$,
  'and its admins and owners are told, once each'
);

select * from finish();
rollback;
