-- The activity log records user actions through triggers; clients can only read it.
begin;
select plan(12);

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('editor', 'editor@example.com');
  perform tests.create_supabase_user('outsider', 'outsider@example.com');
end
$$;

select tests.authenticate_as('owner');
insert into postiz.workspaces (id, name, slug) values ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'tenant-a');
insert into postiz.workspace_members (workspace_id, user_id, role)
values ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'viewer');
update postiz.workspace_members set role = 'editor' where user_id = tests.get_supabase_uid('editor');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle)
values ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@a');

select tests.authenticate_as('editor');
insert into postiz.posts (id, workspace_id, content)
values ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', 'draft');
update postiz.posts set content = 'better draft' where id = 'aaaaaaaa-0000-4000-8000-0000000000b1';
update postiz.posts set status = 'scheduled', scheduled_at = '2030-01-01T00:00:00Z'
where id = 'aaaaaaaa-0000-4000-8000-0000000000b1';
update postiz.posts set status = 'canceled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b1';

-- The worker (service_role, no user) changes a post: not a user action.
select tests.authenticate_as_service_role();
update postiz.posts set status = 'failed' where id = 'aaaaaaaa-0000-4000-8000-0000000000b1';

select tests.authenticate_as('owner');
update postiz.social_accounts set status = 'revoked' where id = 'aaaaaaaa-0000-4000-8000-0000000000a1';
delete from postiz.social_accounts where id = 'aaaaaaaa-0000-4000-8000-0000000000a1';

select tests.authenticate_as('editor');
select results_eq(
  $$ select action, actor_id from postiz.activity_logs order by id $$,
  $$ values ('member.added', tests.get_supabase_uid('owner')),
            ('member.added', tests.get_supabase_uid('owner')),
            ('member.role_changed', tests.get_supabase_uid('owner')),
            ('account.connected', tests.get_supabase_uid('owner')),
            ('post.created', tests.get_supabase_uid('editor')),
            ('post.edited', tests.get_supabase_uid('editor')),
            ('post.scheduled', tests.get_supabase_uid('editor')),
            ('post.canceled', tests.get_supabase_uid('editor')),
            ('account.disconnected', tests.get_supabase_uid('owner')),
            ('account.disconnected', tests.get_supabase_uid('owner')) $$,
  'user actions are logged with their actor, in order; the worker''s update is not a user action'
);
select results_eq(
  $$ select details from postiz.activity_logs where action = 'member.role_changed' $$,
  $$ values ('{"from": "viewer", "to": "editor"}'::jsonb) $$,
  'a role change records both roles'
);

select throws_ok(
  $$ insert into postiz.activity_logs (workspace_id, action, entity_type)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'post.created', 'post') $$,
  '42501', null, 'clients cannot write log entries'
);
select throws_ok($$ update postiz.activity_logs set action = 'post.deleted' $$, '42501', null,
  'clients cannot rewrite log entries');
select throws_ok($$ delete from postiz.activity_logs $$, '42501', null, 'clients cannot erase log entries');

select tests.authenticate_as('owner');
delete from postiz.workspace_members where user_id = tests.get_supabase_uid('editor');
select results_eq(
  $$ select action, entity_id from postiz.activity_logs order by id desc limit 1 $$,
  $$ values ('member.removed', tests.get_supabase_uid('editor')) $$,
  'removing a member is logged'
);

select tests.authenticate_as('outsider');
select is_empty($$ select 1 from postiz.activity_logs $$, 'outsiders see no activity');

select tests.authenticate_as_service_role();
select lives_ok(
  $$ insert into postiz.activity_logs (workspace_id, action, entity_type, entity_id, details)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'post.failed', 'post',
             'aaaaaaaa-0000-4000-8000-0000000000b1', '{"error": "rate_limited"}') $$,
  'the worker records system actions'
);
select results_eq(
  $$ select actor_kind, actor_id from postiz.activity_logs order by id desc limit 1 $$,
  $$ values ('system', null::uuid) $$,
  'a system entry has no actor'
);

select tests.clear_authentication();
select throws_ok($$ select 1 from postiz.activity_logs $$, '42501', null, 'anon cannot read the log');

select tests.authenticate_as('owner');
select lives_ok(
  $$ delete from postiz.workspaces where id = 'aaaaaaaa-0000-4000-8000-000000000000' $$,
  'deleting a workspace takes its log along without tripping the triggers'
);
select tests.authenticate_as_service_role();
select is_empty($$ select 1 from postiz.activity_logs $$, 'no entry outlives its workspace');

select * from finish();
rollback;
