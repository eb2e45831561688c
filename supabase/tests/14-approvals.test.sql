-- Approvals are a gate: a post whose approval policy is not satisfied cannot become scheduled,
-- whoever asks (editor, admin, owner through RLS, service_role); decisions are append-only and
-- checked (who may decide, self-approval, ordered steps); edits reset approvals; policies are
-- for admins; account overrides; a stricter policy takes scheduled posts back.
begin;
select plan(62);

-- The gate is deferred to commit; here every statement is its own "commit".
set constraints all immediate;

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('admin', 'admin@example.com');
  perform tests.create_supabase_user('admin2', 'admin2@example.com');
  perform tests.create_supabase_user('editor', 'editor@example.com');
  perform tests.create_supabase_user('editor2', 'editor2@example.com');
  perform tests.create_supabase_user('viewer', 'viewer@example.com');
  perform tests.create_supabase_user('outsider', 'outsider@example.com');
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'tenant-a', tests.get_supabase_uid('owner')),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'tenant-b', tests.get_supabase_uid('outsider'));
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('admin'), 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('admin2'), 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor2'), 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('viewer'), 'viewer');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@a'),
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-000000000000', 'bluesky', 'b-1', '@b');

-- Policy off -----------------------------------------------------------------------------------

select tests.authenticate_as('editor');
select lives_ok(
  $$ insert into postiz.posts (id, workspace_id, content, status, scheduled_at)
     values ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', 'no policy yet',
             'scheduled', '2030-01-10T09:00:00Z') $$,
  'without a policy an editor schedules a post'
);
insert into postiz.post_targets (workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1');
select is(
  postiz.post_approval('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1') ->> 'required',
  'false', 'without a policy no approval is required'
);

-- Who edits the policy ----------------------------------------------------------------------------

select throws_ok(
  $$ insert into postiz.approval_policies (workspace_id, steps)
     values ('aaaaaaaa-0000-4000-8000-000000000000', '[{"min_role": "admin", "required": 1}]') $$,
  '42501', null, 'an editor cannot set the approval policy'
);
select tests.authenticate_as('viewer');
select throws_ok(
  $$ insert into postiz.approval_policies (workspace_id, steps)
     values ('aaaaaaaa-0000-4000-8000-000000000000', '[{"min_role": "admin", "required": 1}]') $$,
  '42501', null, 'a viewer cannot set the approval policy'
);
select tests.authenticate_as('admin');
select throws_ok(
  $$ insert into postiz.approval_policies (workspace_id, steps)
     values ('aaaaaaaa-0000-4000-8000-000000000000', '[{"min_role": "boss", "required": 1}]') $$,
  '23514', null, 'a step naming an unknown role is refused'
);
select throws_ok(
  $$ insert into postiz.approval_policies (workspace_id, steps)
     values ('aaaaaaaa-0000-4000-8000-000000000000', '[{"min_role": "admin", "required": 0}]') $$,
  '23514', null, 'a step needing zero approvals is refused'
);
select throws_ok(
  $$ insert into postiz.approval_policies (workspace_id, steps)
     values ('aaaaaaaa-0000-4000-8000-000000000000', '[{"required": 1}]') $$,
  '23514', null, 'a step naming nobody is refused'
);
select lives_ok(
  $$ insert into postiz.approval_policies (id, workspace_id, steps)
     values ('aaaaaaaa-0000-4000-8000-0000000000f1', 'aaaaaaaa-0000-4000-8000-000000000000',
             '[{"min_role": "admin", "required": 1}]') $$,
  'an admin sets the policy: one approval from an admin'
);
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1'),
  'pending_approval', 'a post scheduled before the policy goes back to pending approval'
);
select tests.authenticate_as('outsider');
select is_empty(
  $$ select 1 from postiz.approval_policies $$,
  'another workspace''s owner does not see the policy'
);

-- Every path to scheduled is gated -------------------------------------------------------------

select tests.authenticate_as('editor');
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content, status)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'straight to scheduled', 'scheduled') $$,
  'PZ409', 'This post needs 1 more approval from an admin before it can be scheduled',
  'an editor cannot create a post as scheduled'
);
select lives_ok(
  $$ insert into postiz.posts (id, workspace_id, content, status)
     values ('aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-000000000000', 'for review', 'pending_approval') $$,
  'an editor submits a post for approval'
);
insert into postiz.post_targets (workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000a1');
select throws_ok(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  'PZ409', 'This post needs 1 more approval from an admin before it can be scheduled',
  'its author cannot schedule it'
);
select throws_ok(
  $$ update postiz.posts set status = 'draft' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2';
     update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  'PZ409', null, 'nor through draft'
);
select tests.authenticate_as('admin');
select throws_ok(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  'PZ409', null, 'an admin cannot schedule it without a decision either'
);
select tests.authenticate_as('owner');
select throws_ok(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  'PZ409', null, 'nor can the owner'
);
select tests.authenticate_as_service_role();
select throws_ok(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  'PZ409', null, 'nor can service_role'
);
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision, decided_by)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved',
             tests.get_supabase_uid('editor2')) $$,
  'PZ403', 'This step needs a decision from an admin',
  'service_role cannot record an approval by someone who may not approve'
);

-- Who may decide -------------------------------------------------------------------------------

select tests.authenticate_as('editor');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved') $$,
  'PZ403', 'Authors cannot approve their own posts in this workspace', 'the author cannot approve'
);
select tests.authenticate_as('editor2');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved') $$,
  'PZ403', 'This step needs a decision from an admin', 'an editor cannot approve an admin step'
);
select tests.authenticate_as('viewer');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision, note)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'rejected', 'no') $$,
  'PZ403', null, 'a viewer cannot reject'
);
select tests.authenticate_as('outsider');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved') $$,
  '42501', null, 'someone outside the workspace cannot decide'
);
select tests.authenticate_as('admin');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision, decided_by)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved',
             tests.get_supabase_uid('admin2')) $$,
  '42501', null, 'an admin cannot decide in another member''s name'
);
select lives_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved') $$,
  'an admin approves'
);
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved') $$,
  'PZ403', 'This post is already approved', 'a second approval of an approved post is refused'
);
select is(
  postiz.post_approval('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2') ->> 'approved',
  'true', 'the post is approved'
);
select is(
  (select count(*)::integer from postiz.activity_logs
   where entity_id = 'aaaaaaaa-0000-4000-8000-0000000000b2' and action = 'approval.approved' and actor_id = tests.get_supabase_uid('admin')),
  1, 'the approval is in the activity log with who made it'
);
select tests.authenticate_as('editor');
select results_eq(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2' returning status::text $$,
  $$ values ('scheduled') $$,
  'once approved, its author schedules it'
);

-- Decisions are append-only --------------------------------------------------------------------

select throws_ok(
  $$ update postiz.approval_decisions set decision = 'rejected' $$,
  '42501', null, 'an editor cannot rewrite a decision'
);
select tests.authenticate_as('owner');
select throws_ok($$ update postiz.approval_decisions set note = 'x' $$, '42501', null, 'the owner cannot rewrite a decision');
select throws_ok($$ delete from postiz.approval_decisions $$, '42501', null, 'the owner cannot delete a decision');
select tests.authenticate_as_service_role();
select throws_ok($$ update postiz.approval_decisions set note = 'x' $$, '42501', null, 'service_role cannot rewrite a decision');
select throws_ok($$ delete from postiz.approval_decisions $$, '42501', null, 'service_role cannot delete a decision');
select tests.authenticate_as('viewer');
select is(
  (select count(*)::integer from postiz.approval_decisions where post_id = 'aaaaaaaa-0000-4000-8000-0000000000b2'),
  1, 'a viewer reads the decisions'
);

-- Edits reset approvals ------------------------------------------------------------------------

select tests.authenticate_as_service_role();
insert into postiz.schedules (id, workspace_id, post_id, kind, starts_at)
values ('aaaaaaaa-0000-4000-8000-0000000000c2', 'aaaaaaaa-0000-4000-8000-000000000000',
        'aaaaaaaa-0000-4000-8000-0000000000b2', 'once', '2030-02-01T09:00:00Z');
select tests.authenticate_as('editor');
update postiz.posts set content = 'for review, edited' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2';
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b2'),
  'pending_approval', 'editing the text of an approved, scheduled post takes it back to pending approval'
);
select is(
  (select status::text from postiz.schedules where id = 'aaaaaaaa-0000-4000-8000-0000000000c2'),
  'canceled', 'and its schedule is canceled, so nothing queued goes out'
);
select is(
  postiz.post_approval('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2') ->> 'approved',
  'false', 'the old approval no longer counts'
);
select throws_ok(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  'PZ409', null, 'so it cannot be scheduled again'
);

select tests.authenticate_as('admin');
insert into postiz.approval_decisions (workspace_id, post_id, decision)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved');
select tests.authenticate_as('editor');
update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2';
insert into postiz.post_variants (workspace_id, post_id, network, text_override)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'mastodon', 'other words');
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b2'),
  'pending_approval', 'adding a network variant resets the approvals too'
);

select tests.authenticate_as('admin');
insert into postiz.approval_decisions (workspace_id, post_id, decision)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved');
select tests.authenticate_as('editor');
update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2';
insert into postiz.post_targets (workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000a2');
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b2'),
  'pending_approval', 'adding a target resets the approvals too'
);

select tests.authenticate_as('admin');
insert into postiz.approval_decisions (workspace_id, post_id, decision)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved');
select tests.authenticate_as('editor');
update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2';
select tests.authenticate_as_service_role();
insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256)
values ('aaaaaaaa-0000-4000-8000-0000000000d1', 'aaaaaaaa-0000-4000-8000-000000000000',
        'aaaaaaaa-0000-4000-8000-000000000000/x.png', 'image/png', 10, sha256('x'));
select tests.authenticate_as('editor');
insert into postiz.post_media (workspace_id, post_id, media_id)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000d1');
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b2'),
  'pending_approval', 'attaching media resets the approvals too'
);

-- The worker's own transitions -------------------------------------------------------------------

select tests.authenticate_as('admin');
insert into postiz.approval_decisions (workspace_id, post_id, decision)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved');
select tests.authenticate_as('editor');
update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2';
select tests.authenticate_as_service_role();
select lives_ok(
  $$ update postiz.posts set status = 'publishing' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2';
     update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  'the worker puts a recurring post back to scheduled after a run'
);

-- The queue: a post waiting for approval is never enqueued, even with a due schedule.
select tests.authenticate_as('editor');
insert into postiz.posts (id, workspace_id, content, status)
values ('aaaaaaaa-0000-4000-8000-0000000000b7', 'aaaaaaaa-0000-4000-8000-000000000000', 'due but unapproved', 'pending_approval');
insert into postiz.post_targets (workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b7', 'aaaaaaaa-0000-4000-8000-0000000000a1');
select tests.authenticate_as_service_role();
insert into postiz.schedules (workspace_id, post_id, kind, starts_at)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b7', 'once', now());
select postiz_private.service_enqueue_due(interval '1 minute');
select is_empty(
  $$ select 1 from postiz.queue_jobs q join postiz.post_targets t on t.id = q.target_id
     where t.post_id = 'aaaaaaaa-0000-4000-8000-0000000000b7' $$,
  'the enqueuer queues nothing for a post waiting for approval'
);

-- Rejections and change requests ---------------------------------------------------------------

select tests.authenticate_as('editor');
insert into postiz.posts (id, workspace_id, content, status)
values ('aaaaaaaa-0000-4000-8000-0000000000b3', 'aaaaaaaa-0000-4000-8000-000000000000', 'risky', 'pending_approval');
select tests.authenticate_as('admin');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'rejected') $$,
  '23514', null, 'a rejection needs a note'
);
select lives_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision, note)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'changes_requested', 'Shorter, please') $$,
  'an admin asks for changes with a note'
);
select tests.authenticate_as('admin2');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'approved') $$,
  'PZ403', 'This post was already sent back; it can be reviewed again once it is edited',
  'a post sent back cannot be approved until it is edited'
);
select is(
  postiz.post_approval('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3') ->> 'missing',
  'A reviewer asked for changes ("Shorter, please"); edit the post to ask for a new review before it can be scheduled',
  'the state says what the reviewer asked'
);
select tests.authenticate_as('editor');
update postiz.posts set content = 'safe' where id = 'aaaaaaaa-0000-4000-8000-0000000000b3';
select tests.authenticate_as('admin2');
select lives_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'approved') $$,
  'after an edit the post can be approved'
);

-- Ordered steps ---------------------------------------------------------------------------------

select tests.authenticate_as('owner');
update postiz.approval_policies
set steps = '[{"min_role": "editor", "required": 1}, {"min_role": "admin", "required": 2}]'
where id = 'aaaaaaaa-0000-4000-8000-0000000000f1';
select tests.authenticate_as('editor');
insert into postiz.posts (id, workspace_id, content, status)
values ('aaaaaaaa-0000-4000-8000-0000000000b4', 'aaaaaaaa-0000-4000-8000-000000000000', 'two steps', 'pending_approval');
select tests.authenticate_as('admin');
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content, status)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'x', 'scheduled') $$,
  'PZ409', 'This post needs 1 more approval from an editor before it can be scheduled (step 1 of 2)',
  'the message names the step'
);
insert into postiz.approval_decisions (workspace_id, post_id, decision)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'approved');
select is(
  postiz.post_approval('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4') ->> 'missing',
  'This post needs 2 more approvals from an admin before it can be scheduled (step 2 of 2)',
  'an admin''s approval fills the editor step, and counts for one step only'
);
select tests.authenticate_as('editor2');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'approved') $$,
  'PZ403', 'This step needs a decision from an admin', 'once the first step is done an editor cannot fill the second'
);
select tests.authenticate_as('admin2');
insert into postiz.approval_decisions (workspace_id, post_id, decision)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'approved');
select tests.authenticate_as('owner');
insert into postiz.approval_decisions (workspace_id, post_id, decision)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'approved');
select is(
  postiz.post_approval('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4') ->> 'approved',
  'true', 'two admins (the owner counts as one) complete the second step'
);
select tests.authenticate_as('editor');
select lives_ok(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b4' $$,
  'the two-step post can be scheduled'
);

-- Named reviewers and self-approval ---------------------------------------------------------------

select tests.authenticate_as('admin');
update postiz.approval_policies
set steps = jsonb_build_array(jsonb_build_object('members', jsonb_build_array(tests.get_supabase_uid('viewer')), 'required', 1))
where id = 'aaaaaaaa-0000-4000-8000-0000000000f1';
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b4'),
  'pending_approval', 'a changed policy takes scheduled posts it does not approve back to pending approval'
);
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'approved') $$,
  'PZ403', 'You have already reviewed this version of the post', 'one decision per person per version'
);
select tests.authenticate_as('editor2');
select throws_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'approved') $$,
  'PZ403', 'This step needs a decision from one of the named reviewers', 'only the named reviewer may approve'
);
select tests.authenticate_as('viewer');
select lives_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'approved') $$,
  'a viewer named as reviewer approves'
);

select tests.authenticate_as('admin');
update postiz.approval_policies
set steps = '[{"min_role": "editor", "required": 1}]', allow_self_approval = true
where id = 'aaaaaaaa-0000-4000-8000-0000000000f1';
select tests.authenticate_as('editor');
insert into postiz.posts (id, workspace_id, content, status)
values ('aaaaaaaa-0000-4000-8000-0000000000b5', 'aaaaaaaa-0000-4000-8000-000000000000', 'mine', 'pending_approval');
select lives_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b5', 'approved') $$,
  'where the policy allows it, an author approves their own post'
);
select lives_ok(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b5' $$,
  'and schedules it'
);

-- Account overrides ------------------------------------------------------------------------------

select tests.authenticate_as('admin');
update postiz.approval_policies set steps = '[{"min_role": "admin", "required": 1}]', allow_self_approval = false
where id = 'aaaaaaaa-0000-4000-8000-0000000000f1';
insert into postiz.approval_policies (workspace_id, social_account_id, steps)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000a2', '[]');
select tests.authenticate_as('editor');
select lives_ok(
  $$ set constraints all deferred;
     insert into postiz.posts (id, workspace_id, content, status)
     values ('aaaaaaaa-0000-4000-8000-0000000000b6', 'aaaaaaaa-0000-4000-8000-000000000000', 'bluesky only', 'scheduled');
     insert into postiz.post_targets (workspace_id, post_id, social_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b6', 'aaaaaaaa-0000-4000-8000-0000000000a2');
     set constraints all immediate $$,
  'a post created as scheduled is judged at commit, with its targets: an account whose override has no steps needs no approval'
);
select throws_ok(
  $$ insert into postiz.post_targets (workspace_id, post_id, social_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b6', 'aaaaaaaa-0000-4000-8000-0000000000a1') $$,
  'PZ409', 'This post needs 1 more approval from an admin before it can be scheduled',
  'adding an account under the workspace policy to a scheduled post needs approval'
);
select tests.authenticate_as('owner');
delete from postiz.approval_policies where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a2';
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b6'),
  'pending_approval', 'removing the override puts the account''s scheduled posts under the workspace policy'
);

select * from finish();
rollback;
