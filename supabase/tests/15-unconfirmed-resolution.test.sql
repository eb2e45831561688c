-- A person resolves an unconfirmed target: "it is on the network" (published with its URL) or
-- "publish again" (the job queued once more, exactly once), both in the activity log; viewers
-- cannot, and nothing but an unconfirmed target can be resolved.
begin;
select plan(16);

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('editor', 'editor@example.com');
  perform tests.create_supabase_user('viewer', 'viewer@example.com');
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'tenant-a', tests.get_supabase_uid('owner'));
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('viewer'), 'viewer');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@a');
insert into postiz.posts (id, workspace_id, content, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', 'one', 'scheduled'),
  ('aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-000000000000', 'two', 'scheduled');
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-0000000000d1', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1'),
  ('aaaaaaaa-0000-4000-8000-0000000000d2', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000a1');
insert into postiz.schedules (id, workspace_id, kind, post_id, starts_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000c1', 'aaaaaaaa-0000-4000-8000-000000000000', 'once', 'aaaaaaaa-0000-4000-8000-0000000000b1', now() - interval '1 hour'),
  ('aaaaaaaa-0000-4000-8000-0000000000c2', 'aaaaaaaa-0000-4000-8000-000000000000', 'once', 'aaaaaaaa-0000-4000-8000-0000000000b2', now() - interval '1 hour');
-- What the worker leaves behind when a request timed out after sending.
insert into postiz.queue_jobs (id, workspace_id, target_id, social_account_id, schedule_id, occurrence, network, scheduled_at, run_at, status, completed_at, last_error_code) values
  ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d1', 'aaaaaaaa-0000-4000-8000-0000000000a1',
   'aaaaaaaa-0000-4000-8000-0000000000c1', now() - interval '1 hour', 'mastodon', now() - interval '1 hour', now() - interval '1 hour', 'unconfirmed', now(), 'outcome_unknown'),
  ('aaaaaaaa-0000-4000-8000-0000000000e2', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d2', 'aaaaaaaa-0000-4000-8000-0000000000a1',
   'aaaaaaaa-0000-4000-8000-0000000000c2', now() - interval '1 hour', 'mastodon', now() - interval '1 hour', now() - interval '1 hour', 'unconfirmed', now(), 'outcome_unknown');
update postiz.post_targets set status = 'unconfirmed', last_error_code = 'outcome_unknown' where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000';

select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1'),
  'failed', 'an unconfirmed target with nothing left to go makes its post failed'
);

select tests.authenticate_as('viewer');
select throws_ok(
  $$ select postiz.resolve_unconfirmed_target('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d1', 'publish_again') $$,
  '42501', null, 'a viewer cannot resolve it'
);
select tests.authenticate_as('editor');
select throws_ok(
  $$ update postiz.post_targets set status = 'published' where id = 'aaaaaaaa-0000-4000-8000-0000000000d1' $$,
  '42501', null, 'an editor still cannot write a target''s status directly'
);
select throws_ok(
  $$ select postiz.resolve_unconfirmed_target('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d1', 'on_network', 'javascript:alert(1)') $$,
  '22023', null, 'the URL must be http(s)'
);
select throws_ok(
  $$ select postiz.resolve_unconfirmed_target('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d1', 'on_network') $$,
  '22023', null, 'on the network needs its URL'
);

-- It is on the network.
select is(
  postiz.resolve_unconfirmed_target('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d1', 'on_network', 'https://social.example/@a/1')::text,
  'published', 'an editor confirms it is on the network'
);
select results_eq(
  $$ select status::text, external_url from postiz.post_targets where id = 'aaaaaaaa-0000-4000-8000-0000000000d1' $$,
  $$ values ('published', 'https://social.example/@a/1') $$,
  'the target is published with that URL'
);
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1'),
  'published', 'and so is the post'
);
select is(
  (select status::text from postiz.queue_jobs where id = 'aaaaaaaa-0000-4000-8000-0000000000e1'),
  'succeeded', 'its job is closed as succeeded'
);
select throws_ok(
  $$ select postiz.resolve_unconfirmed_target('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d1', 'publish_again') $$,
  '55000', 'This post''s outcome is no longer unconfirmed (it is published); reload to see it',
  'a resolved target cannot be resolved again'
);

-- Publish again.
select is(
  postiz.resolve_unconfirmed_target('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d2', 'publish_again')::text,
  'queued', 'an editor asks to publish it again'
);
select results_eq(
  $$ select status::text, completed_at is null, sending_item is null, msg_id is not null
     from postiz.queue_jobs where id = 'aaaaaaaa-0000-4000-8000-0000000000e2' $$,
  $$ values ('queued', true, true, true) $$,
  'its job is queued again, clean, with a new message'
);
select tests.authenticate_as_service_role();
select is(
  (select count(*)::integer from pgmq.q_publish where message -> 'data' ->> 'job_id' = 'aaaaaaaa-0000-4000-8000-0000000000e2'),
  1, 'one publish message for it'
);
select tests.authenticate_as('editor');
select throws_ok(
  $$ select postiz.resolve_unconfirmed_target('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000d2', 'publish_again') $$,
  '55000', null, 'a second "publish again" is refused: it is re-queued exactly once'
);
select tests.authenticate_as_service_role();
select is(
  (select count(*)::integer from pgmq.q_publish where message -> 'data' ->> 'job_id' = 'aaaaaaaa-0000-4000-8000-0000000000e2'),
  1, 'still one message'
);
select results_eq(
  $$ select action, actor_id from postiz.activity_logs where entity_type = 'post_target' order by id $$,
  $$ values ('target.confirmed', tests.get_supabase_uid('editor')), ('target.requeued', tests.get_supabase_uid('editor')) $$,
  'both resolutions are in the activity log with who made them'
);

select * from finish();
rollback;
