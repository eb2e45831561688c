-- Client review links: only a hash of the token at rest; admins create and revoke, editors
-- cannot, anon reads nothing; an unknown, expired or revoked token gets one answer; a link
-- reaches only the posts in its scope (not another post of the workspace, not another
-- workspace's); a reviewer's decisions and comments go into the approval log and the comment
-- thread with their name and no user, count for no approval step, and a "no" stops the post.
begin;
select plan(58);

set constraints all immediate;

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('admin', 'admin@example.com');
  perform tests.create_supabase_user('editor', 'editor@example.com');
  perform tests.create_supabase_user('viewer', 'viewer@example.com');
  perform tests.create_supabase_user('outsider', 'outsider@example.com');
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by, time_zone) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'tenant-a', tests.get_supabase_uid('owner'), 'Europe/Paris'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'tenant-b', tests.get_supabase_uid('outsider'), 'UTC');
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('admin'), 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('viewer'), 'viewer');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@a'),
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-000000000000', 'bluesky', 'b-1', '@b'),
  ('bbbbbbbb-0000-4000-8000-0000000000a1', 'bbbbbbbb-0000-4000-8000-000000000000', 'mastodon', 'm-9', '@z');
-- b1: the shared post (mastodon, with a variant); b2: same workspace, same day, not shared;
-- b3: on the bluesky account, in the range; b4: outside the range; c1: workspace B, in the range.
insert into postiz.posts (id, workspace_id, author_id, content, status, scheduled_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'),
   'spring launch', 'scheduled', '2030-03-10T08:00:00Z'),
  ('aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'),
   'internal teaser', 'scheduled', '2030-03-10T09:00:00Z'),
  ('aaaaaaaa-0000-4000-8000-0000000000b3', 'aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'),
   'bluesky only', 'scheduled', '2030-03-11T09:00:00Z'),
  -- 23:30 UTC on the 11th is the 12th in Paris: outside a range ending on the 11th.
  ('aaaaaaaa-0000-4000-8000-0000000000b4', 'aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'),
   'late night', 'scheduled', '2030-03-11T23:30:00Z'),
  ('bbbbbbbb-0000-4000-8000-0000000000c1', 'bbbbbbbb-0000-4000-8000-000000000000', tests.get_supabase_uid('outsider'),
   'other tenant', 'scheduled', '2030-03-10T08:00:00Z');
insert into postiz.post_targets (workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000a1'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'aaaaaaaa-0000-4000-8000-0000000000a2'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4', 'aaaaaaaa-0000-4000-8000-0000000000a1'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000c1', 'bbbbbbbb-0000-4000-8000-0000000000a1');
insert into postiz.post_variants (workspace_id, post_id, network, text_override) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'mastodon', 'spring launch, toot edition');
insert into postiz.post_comments (workspace_id, post_id, author_id, body) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', tests.get_supabase_uid('editor'),
   'team only: the client must not see this');

-- Who creates links ----------------------------------------------------------------------------

select tests.authenticate_as('editor');
select throws_ok(
  $$ insert into postiz.review_links (workspace_id, label, post_id, token_hash)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'sneaky', 'aaaaaaaa-0000-4000-8000-0000000000b1',
             sha256(convert_to('tok-editor', 'UTF8'))) $$,
  '42501', null, 'an editor cannot create a review link'
);

select tests.authenticate_as('admin');
select lives_ok(
  $$ insert into postiz.review_links (id, workspace_id, label, post_id, token_hash)
     values ('aaaaaaaa-0000-4000-8000-0000000000d1', 'aaaaaaaa-0000-4000-8000-000000000000', 'Acme launch',
             'aaaaaaaa-0000-4000-8000-0000000000b1', sha256(convert_to('tok-post', 'UTF8'))) $$,
  'an admin creates a link for one post'
);
select lives_ok(
  $$ insert into postiz.review_links (id, workspace_id, label, range_start, range_end, social_account_ids, token_hash)
     values ('aaaaaaaa-0000-4000-8000-0000000000d2', 'aaaaaaaa-0000-4000-8000-000000000000', 'Acme week 11',
             '2030-03-10', '2030-03-11', '{aaaaaaaa-0000-4000-8000-0000000000a2}', sha256(convert_to('tok-range', 'UTF8'))) $$,
  'an admin creates a link for a date range on one account'
);
select lives_ok(
  $$ insert into postiz.review_links (id, workspace_id, label, range_start, range_end, token_hash)
     values ('aaaaaaaa-0000-4000-8000-0000000000d3', 'aaaaaaaa-0000-4000-8000-000000000000', 'Acme all',
             '2030-03-10', '2030-03-11', sha256(convert_to('tok-all', 'UTF8'))) $$,
  'an admin creates a link for a date range on every account'
);
select throws_ok(
  $$ insert into postiz.review_links (workspace_id, label, post_id, token_hash, expires_at)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'forever', 'aaaaaaaa-0000-4000-8000-0000000000b1',
             sha256(convert_to('tok-long', 'UTF8')), now() + interval '31 days') $$,
  '23514', null, 'a link cannot live longer than 30 days'
);
select throws_ok(
  $$ insert into postiz.review_links (workspace_id, label, post_id, token_hash, created_by)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'forged', 'aaaaaaaa-0000-4000-8000-0000000000b1',
             sha256(convert_to('tok-forged', 'UTF8')), tests.get_supabase_uid('owner')) $$,
  '42501', null, 'an admin cannot create a link in someone else''s name'
);
select tests.authenticate_as('outsider');
select throws_ok(
  $$ insert into postiz.review_links (workspace_id, label, post_id, token_hash)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'intruder', 'aaaaaaaa-0000-4000-8000-0000000000b1',
             sha256(convert_to('tok-intruder', 'UTF8'))) $$,
  '42501', null, 'an outsider cannot create a link in the workspace'
);

-- Hashed at rest, who reads the table -----------------------------------------------------------

select tests.authenticate_as('viewer');
select is(
  (select token_hash from postiz.review_links where id = 'aaaaaaaa-0000-4000-8000-0000000000d1'),
  sha256(convert_to('tok-post', 'UTF8')), 'members read the link; it holds the SHA-256 of the token'
);
select is_empty(
  $$ select 1 from information_schema.columns
     where table_schema = 'postiz' and table_name = 'review_links' and column_name ~ 'token' and column_name <> 'token_hash' $$,
  'no column holds the token itself'
);
select tests.authenticate_as('outsider');
select is_empty($$ select 1 from postiz.review_links $$, 'an outsider sees no link of the workspace');
select tests.clear_authentication();
select throws_ok($$ select 1 from postiz.review_links $$, '42501', null, 'anon cannot read the review links table');
select throws_ok(
  $$ select postiz_private.service_review_link_posts('tok-post') $$,
  '42501', null, 'anon cannot call the reviewer functions'
);
select tests.authenticate_as('viewer');
select throws_ok(
  $$ select postiz_private.service_review_link_posts('tok-post') $$,
  '42501', null, 'a signed-in user cannot call the reviewer functions either (only the API, as service_role)'
);

-- What a token reaches ----------------------------------------------------------------------------

select tests.authenticate_as_service_role();
select is(
  (select array_agg(p ->> 'id') from jsonb_array_elements(postiz_private.service_review_link_posts('tok-post') -> 'posts') p),
  array['aaaaaaaa-0000-4000-8000-0000000000b1'], 'a post link reaches its post and no other'
);
select is(
  postiz_private.service_review_link_posts('tok-post') #>> '{posts,0,targets,0,text}',
  'spring launch, toot edition', 'the reviewer sees the network''s own text'
);
select is(
  jsonb_array_length(postiz_private.service_review_link_posts('tok-post') #> '{posts,0,comments}'),
  0, 'the team''s own comments are not shown to the reviewer'
);
select is(
  (select array_agg(p ->> 'id' order by p ->> 'id') from jsonb_array_elements(postiz_private.service_review_link_posts('tok-all') -> 'posts') p),
  array['aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000b3'],
  'a range link reaches the workspace''s posts on those days in its zone, not the next day''s nor another workspace''s'
);
select is(
  (select array_agg(p ->> 'id') from jsonb_array_elements(postiz_private.service_review_link_posts('tok-range') -> 'posts') p),
  array['aaaaaaaa-0000-4000-8000-0000000000b3'], 'a range link limited to an account reaches only that account''s posts'
);
select isnt(
  (select last_used_at from postiz.review_links where id = 'aaaaaaaa-0000-4000-8000-0000000000d1'),
  null, 'a use is recorded'
);

select throws_ok(
  $$ select postiz_private.service_review_link_posts('tok-nobody') $$,
  'PZ410', 'This review link has expired or was withdrawn. Ask for a new one.', 'an unknown token is refused'
);
insert into postiz.review_links (id, workspace_id, label, post_id, token_hash, created_at, expires_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000d4', 'aaaaaaaa-0000-4000-8000-000000000000', 'old',
   'aaaaaaaa-0000-4000-8000-0000000000b1', sha256(convert_to('tok-old', 'UTF8')), now() - interval '8 days', now() - interval '1 day');
select throws_ok(
  $$ select postiz_private.service_review_link_posts('tok-old') $$,
  'PZ410', 'This review link has expired or was withdrawn. Ask for a new one.', 'an expired token gets the same answer'
);
select throws_ok(
  $$ select postiz_private.service_review_link_decide('tok-post', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved', null, 'Client', (select approval_round from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b2')) $$,
  'PZ404', 'There is no such post in this review link', 'a post link cannot decide on another post of the workspace'
);
select throws_ok(
  $$ select postiz_private.service_review_link_comment('tok-all', 'bbbbbbbb-0000-4000-8000-0000000000c1', 'hi', 'Client') $$,
  'PZ404', 'There is no such post in this review link', 'a range link cannot comment on another workspace''s post'
);
select throws_ok(
  $$ select postiz_private.service_review_link_comment('tok-range', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'hi', 'Client') $$,
  'PZ404', 'There is no such post in this review link', 'a range link limited to an account cannot reach another account''s post'
);

-- Decisions and comments -------------------------------------------------------------------------

select lives_ok(
  $$ select postiz_private.service_review_link_decide('tok-post', 'aaaaaaaa-0000-4000-8000-0000000000b1',
       'changes_requested', 'Use the new logo', 'Dana Client', (select approval_round from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1')) $$,
  'the reviewer requests changes with a note'
);
select results_eq(
  $$ select decided_by, reviewer_name, review_link_id, note from postiz.approval_decisions
     where post_id = 'aaaaaaaa-0000-4000-8000-0000000000b1' $$,
  $$ values (null::uuid, 'Dana Client'::text, 'aaaaaaaa-0000-4000-8000-0000000000d1'::uuid, 'Use the new logo'::text) $$,
  'the decision is in the approval log with the reviewer''s name and no user'
);
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1'),
  'pending_approval', 'a client''s change request takes a scheduled post off the schedule (no policy needed)'
);
select is(
  (select details ->> 'via' from postiz.activity_logs
   where entity_id = 'aaaaaaaa-0000-4000-8000-0000000000b1' and action = 'approval.changes_requested'),
  'via review link Acme launch', 'the activity log says which link it came through'
);
select is(
  (select actor_id from postiz.activity_logs
   where entity_id = 'aaaaaaaa-0000-4000-8000-0000000000b1' and action = 'approval.changes_requested'),
  null, 'and names no user'
);
select is(
  (select details ->> 'reviewer_name' from postiz.notifications
   where post_id = 'aaaaaaaa-0000-4000-8000-0000000000b1' and kind = 'approval_decided'
     and user_id = tests.get_supabase_uid('editor')),
  'Dana Client', 'the author is told, with the reviewer''s name'
);
select throws_ok(
  $$ select postiz_private.service_review_link_decide('tok-post', 'aaaaaaaa-0000-4000-8000-0000000000b1',
       'approved', null, 'dana client ', (select approval_round from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1')) $$,
  'PZ403', 'You have already reviewed this version of the post', 'one decision per reviewer name per version'
);
select throws_ok(
  $$ select postiz_private.service_review_link_decide('tok-post', 'aaaaaaaa-0000-4000-8000-0000000000b1',
       'rejected', '  ', 'Sam', (select approval_round from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1')) $$,
  '23514', null, 'a rejection needs a note'
);
select lives_ok(
  $$ select postiz_private.service_review_link_comment('tok-post', 'aaaaaaaa-0000-4000-8000-0000000000b1',
       'Love the colours though', 'Dana Client') $$,
  'the reviewer comments'
);
select results_eq(
  $$ select author_id, reviewer_name, body from postiz.post_comments
     where post_id = 'aaaaaaaa-0000-4000-8000-0000000000b1' and review_link_id is not null $$,
  $$ values (null::uuid, 'Dana Client'::text, 'Love the colours though'::text) $$,
  'the comment is in the post''s thread with the reviewer''s name'
);
select is(
  postiz_private.service_review_link_posts('tok-post') #>> '{posts,0,comments,0,body}',
  'Love the colours though', 'and the reviewer sees it, …'
);
select is(
  jsonb_array_length(postiz_private.service_review_link_posts('tok-post') #> '{posts,0,comments}'),
  1, '… and only it'
);
select is(
  (select jsonb_array_length(p -> 'comments') + jsonb_array_length(p -> 'decisions')
   from jsonb_array_elements(postiz_private.service_review_link_posts('tok-all') -> 'posts') p
   where p ->> 'id' = 'aaaaaaaa-0000-4000-8000-0000000000b1'),
  0, 'another link to the same post does not show this link''s decisions and comments'
);

-- A decision on the version the page showed ----------------------------------------------------

select throws_ok(
  $$ select postiz_private.service_review_link_decide('tok-all', 'aaaaaaaa-0000-4000-8000-0000000000b2',
       'approved', null, 'Late Client', (select approval_round - 1 from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b2')) $$,
  '55000', 'This post changed since you opened the page; reload to see the new version.',
  'a decision on a version the post no longer has is refused'
);
select is_empty(
  $$ select 1 from postiz.approval_decisions where post_id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  'and nothing is recorded'
);

-- A post being published cannot be stopped by a client ------------------------------------------

-- The worker claimed b2's job (running) and is loading its media: the post is still scheduled.
insert into postiz.queue_jobs (workspace_id, target_id, social_account_id, occurrence, network, scheduled_at, run_at, status, started_at)
select t.workspace_id, t.id, t.social_account_id, now(), 'mastodon', now(), now(), 'running', now()
from postiz.post_targets t where t.post_id = 'aaaaaaaa-0000-4000-8000-0000000000b2';
select is(
  (select (p ->> 'may_decide')::boolean from jsonb_array_elements(postiz_private.service_review_link_posts('tok-all') -> 'posts') p
   where p ->> 'id' = 'aaaaaaaa-0000-4000-8000-0000000000b2'),
  false, 'the page offers no decision on a post whose job is running'
);
select throws_ok(
  $$ select postiz_private.service_review_link_decide('tok-all', 'aaaaaaaa-0000-4000-8000-0000000000b2',
       'rejected', 'Stop!', 'Dana Client', (select approval_round from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b2')) $$,
  'PZ403', 'This post is being published now; it can no longer be stopped.',
  'a rejection is refused, in words, while the post''s job is running'
);
select results_eq(
  $$ select p.status::text, j.status::text from postiz.posts p
     join postiz.post_targets t on t.post_id = p.id join postiz.queue_jobs j on j.target_id = t.id
     where p.id = 'aaaaaaaa-0000-4000-8000-0000000000b2' $$,
  $$ values ('scheduled', 'running') $$,
  'the post and its job are as they were (no "no" that would not stop it)'
);
update postiz.queue_jobs set status = 'succeeded', completed_at = now()
where target_id in (select id from postiz.post_targets where post_id = 'aaaaaaaa-0000-4000-8000-0000000000b2');

-- A client's approval counts for no step ------------------------------------------------------------

insert into postiz.approval_policies (workspace_id, steps)
  values ('aaaaaaaa-0000-4000-8000-000000000000', '[{"min_role": "admin", "required": 1}]');
select is(
  (select status::text from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b3'),
  'pending_approval', 'the new policy takes the bluesky post back to pending approval'
);
select lives_ok(
  $$ select postiz_private.service_review_link_decide('tok-range', 'aaaaaaaa-0000-4000-8000-0000000000b3',
       'approved', null, 'Dana Client', (select approval_round from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b3')) $$,
  'the reviewer approves'
);
select tests.authenticate_as('admin');
select is(
  postiz.post_approval('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3') ->> 'approved',
  'false', 'a client''s approval does not satisfy the policy'
);
select tests.authenticate_as('editor');
select throws_ok(
  $$ update postiz.posts set status = 'scheduled' where id = 'aaaaaaaa-0000-4000-8000-0000000000b3' $$,
  'PZ409', null, 'so the post still cannot be scheduled'
);
select tests.authenticate_as('admin');
select lives_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'approved') $$,
  'an admin still approves as the policy asks'
);
select is(
  postiz.post_approval('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3') ->> 'approved',
  'true', 'and the admin''s approval does'
);

-- The team's notes stay the team's ----------------------------------------------------------------

select tests.authenticate_as('owner');
select lives_ok(
  $$ insert into postiz.approval_decisions (workspace_id, post_id, decision, note)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'rejected',
             'internal: the client overpays, keep it vague') $$,
  'a member rejects a post with a note'
);
select tests.authenticate_as_service_role();
select is(
  (select p -> 'approval' -> 'blocked' from jsonb_array_elements(postiz_private.service_review_link_posts('tok-all') -> 'posts') p
   where p ->> 'id' = 'aaaaaaaa-0000-4000-8000-0000000000b2'),
  'true'::jsonb, 'the reviewer is told the post is blocked'
);
select unalike(
  postiz_private.service_review_link_posts('tok-all')::text, '%overpays%',
  'but a member''s note never appears in the reviewer''s data'
);

-- Reviewer names ----------------------------------------------------------------------------------

select tests.authenticate_as_service_role();
select throws_ok(
  $$ select postiz_private.service_review_link_comment('tok-all', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'hi',
       'Dana ' || chr(8238) || 'tneilC') $$,
  '23514', null, 'a reviewer name with a bidi override is refused'
);
select throws_ok(
  $$ select postiz_private.service_review_link_comment('tok-all', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'hi',
       'Dana' || chr(10) || 'Admin') $$,
  '23514', null, 'a reviewer name with a control character is refused'
);
select throws_ok(
  $$ select postiz_private.service_review_link_decide('tok-all', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'approved', null,
       chr(8294) || 'Dana' || chr(8297), (select approval_round from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b2')) $$,
  '23514', null, 'a decision under a name with a bidi isolate is refused'
);

-- Revoking ---------------------------------------------------------------------------------------

select tests.authenticate_as('editor');
select is_empty(
  $$ update postiz.review_links set revoked_at = now() where id = 'aaaaaaaa-0000-4000-8000-0000000000d1' returning 1 $$,
  'an editor cannot revoke a link'
);
select tests.authenticate_as('admin');
update postiz.review_links set revoked_at = now() where id = 'aaaaaaaa-0000-4000-8000-0000000000d1';
select is(
  (select revoked_by from postiz.review_links where id = 'aaaaaaaa-0000-4000-8000-0000000000d1'),
  tests.get_supabase_uid('admin'), 'an admin revokes a link, recorded in their name'
);
select throws_ok(
  $$ update postiz.review_links set revoked_at = null where id = 'aaaaaaaa-0000-4000-8000-0000000000d1' $$,
  '55000', 'This review link was already withdrawn', 'a revoked link stays revoked'
);
select tests.authenticate_as_service_role();
select throws_ok(
  $$ select postiz_private.service_review_link_posts('tok-post') $$,
  'PZ410', 'This review link has expired or was withdrawn. Ask for a new one.', 'a revoked token gets the same answer'
);

select * from finish();
rollback;
