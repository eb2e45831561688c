-- Cross-tenant smuggling: a row in workspace A can never point at a row of workspace B, even when
-- the writer can read B's ids (alice is a viewer of B), and even for service_role. Writing into B
-- without a role there is refused, and nothing of B is visible from A.
begin;
select plan(27);

do $$
begin
  perform tests.create_supabase_user('alice', 'alice@example.com');      -- owner of A, viewer of B
  perform tests.create_supabase_user('mallory', 'mallory@example.com');  -- owner of A only
  perform tests.create_supabase_user('bob', 'bob@example.com');          -- owner of B
end
$$;

select tests.authenticate_as_service_role();

insert into postiz.workspaces (id, name, slug, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'tenant-a', tests.get_supabase_uid('alice')),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'tenant-b', tests.get_supabase_uid('bob'));
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('mallory'), 'owner'),
  ('bbbbbbbb-0000-4000-8000-000000000000', tests.get_supabase_uid('alice'), 'viewer');

insert into postiz.social_accounts (id, workspace_id, network, external_account_id) values
  ('aaaaaaaa-0000-4000-8000-0000000000ac', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'a-1'),
  ('bbbbbbbb-0000-4000-8000-0000000000ac', 'bbbbbbbb-0000-4000-8000-000000000000', 'mastodon', 'b-1');
insert into postiz.posts (id, workspace_id, content, scheduled_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000b0', 'aaaaaaaa-0000-4000-8000-000000000000', 'post of A', now()),
  ('bbbbbbbb-0000-4000-8000-0000000000b0', 'bbbbbbbb-0000-4000-8000-000000000000', 'post of B', now());
insert into postiz.tags (id, workspace_id, name) values
  ('aaaaaaaa-0000-4000-8000-0000000000a9', 'aaaaaaaa-0000-4000-8000-000000000000', 'tag of A'),
  ('bbbbbbbb-0000-4000-8000-0000000000a9', 'bbbbbbbb-0000-4000-8000-000000000000', 'tag of B');
insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256) values
  ('aaaaaaaa-0000-4000-8000-0000000000ed', 'aaaaaaaa-0000-4000-8000-000000000000',
   'aaaaaaaa-0000-4000-8000-000000000000/a.png', 'image/png', 10, sha256('a')),
  ('bbbbbbbb-0000-4000-8000-0000000000ed', 'bbbbbbbb-0000-4000-8000-000000000000',
   'bbbbbbbb-0000-4000-8000-000000000000/b.png', 'image/png', 10, sha256('b'));
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-0000000000e7', 'aaaaaaaa-0000-4000-8000-000000000000',
   'aaaaaaaa-0000-4000-8000-0000000000b0', 'aaaaaaaa-0000-4000-8000-0000000000ac'),
  ('bbbbbbbb-0000-4000-8000-0000000000e7', 'bbbbbbbb-0000-4000-8000-000000000000',
   'bbbbbbbb-0000-4000-8000-0000000000b0', 'bbbbbbbb-0000-4000-8000-0000000000ac');

-- Alice can read B's ids, yet cannot link A's rows to them ---------------------------------------

select tests.authenticate_as('alice');

select isnt_empty(
  $$ select 1 from postiz.posts where id = 'bbbbbbbb-0000-4000-8000-0000000000b0' $$,
  'alice, a viewer of B, can see B''s post id'
);
select throws_ok(
  $$ insert into postiz.post_targets (workspace_id, post_id, social_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b0',
             'bbbbbbbb-0000-4000-8000-0000000000ac') $$,
  '23503', null, 'a target in A cannot use B''s social account'
);
select throws_ok(
  $$ insert into postiz.post_targets (workspace_id, post_id, social_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000b0',
             'aaaaaaaa-0000-4000-8000-0000000000ac') $$,
  '23503', null, 'a target in A cannot publish B''s post'
);
select throws_ok(
  $$ insert into postiz.post_targets (workspace_id, post_id, social_account_id)
     values ('bbbbbbbb-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000b0',
             'aaaaaaaa-0000-4000-8000-0000000000ac') $$,
  '42501', 'new row violates row-level security policy for table "post_targets"',
  'a viewer of B cannot add targets in B'
);
select throws_ok(
  $$ insert into postiz.post_media (workspace_id, post_id, media_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b0',
             'bbbbbbbb-0000-4000-8000-0000000000ed') $$,
  '23503', null, 'a post of A cannot use B''s media'
);
select throws_ok(
  $$ insert into postiz.post_media (workspace_id, post_id, media_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000b0',
             'aaaaaaaa-0000-4000-8000-0000000000ed') $$,
  '23503', null, 'A''s media cannot be linked to B''s post'
);
select throws_ok(
  $$ insert into postiz.schedules (workspace_id, kind, post_id, starts_at)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'once', 'bbbbbbbb-0000-4000-8000-0000000000b0', now()) $$,
  '23503', null, 'a schedule in A cannot schedule B''s post'
);
select throws_ok(
  $$ insert into postiz.schedules (workspace_id, kind, tag_id, starts_at, rrule)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'evergreen', 'bbbbbbbb-0000-4000-8000-0000000000a9',
             now(), 'FREQ=DAILY') $$,
  '23503', null, 'an evergreen schedule in A cannot draw on B''s tag'
);
select throws_ok(
  $$ insert into postiz.post_comments (workspace_id, post_id, body)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000b0', 'psst') $$,
  '23503', null, 'a comment in A cannot be attached to B''s post'
);
select throws_ok(
  $$ insert into postiz.post_comments (workspace_id, post_id, body)
     values ('bbbbbbbb-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000b0', 'psst') $$,
  '42501', 'new row violates row-level security policy for table "post_comments"',
  'a viewer of B cannot comment in B'
);
select throws_ok(
  $$ insert into postiz.post_tags (workspace_id, post_id, tag_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b0',
             'bbbbbbbb-0000-4000-8000-0000000000a9') $$,
  '23503', null, 'a post of A cannot carry B''s tag'
);
select throws_ok(
  $$ insert into postiz.post_variants (workspace_id, post_id, network)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000b0', 'mastodon') $$,
  '23503', null, 'a variant in A cannot belong to B''s post'
);
select throws_ok(
  $$ insert into postiz.media_assets (workspace_id, path, mime_type, bytes, sha256)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-000000000000/b.png',
             'image/png', 10, sha256('c')) $$,
  '23514', null, 'a media row of A cannot point into B''s storage folder'
);
select throws_ok(
  $$ update postiz.post_targets set social_account_id = 'bbbbbbbb-0000-4000-8000-0000000000ac'
     where id = 'aaaaaaaa-0000-4000-8000-0000000000e7' $$,
  '42501', null, 'a target cannot be re-pointed after creation'
);
select throws_ok(
  $$ update postiz.posts set workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000'
     where id = 'aaaaaaaa-0000-4000-8000-0000000000b0' $$,
  '42501', null, 'a post cannot be moved to another workspace'
);

-- Mallory, who has no role in B, sees and changes nothing of it ----------------------------------

select tests.authenticate_as('mallory');

select is_empty(
  $$ select 1 from postiz.posts where id = 'bbbbbbbb-0000-4000-8000-0000000000b0' $$,
  'an owner of A cannot read B''s post, even by id'
);
select is_empty(
  $$ select 1 from postiz.calendar_entries('bbbbbbbb-0000-4000-8000-000000000000', now() - interval '1 day', now() + interval '1 day') $$,
  'nor through the calendar'
);
select isnt_empty(
  $$ select 1 from postiz.calendar_entries('aaaaaaaa-0000-4000-8000-000000000000', now() - interval '1 day', now() + interval '1 day') $$,
  'while A''s calendar shows A''s post'
);
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content) values ('bbbbbbbb-0000-4000-8000-000000000000', 'spam') $$,
  '42501', 'new row violates row-level security policy for table "posts"',
  'an owner of A cannot create posts in B'
);
select is_empty(
  $$ update postiz.posts set content = 'defaced' where id = 'bbbbbbbb-0000-4000-8000-0000000000b0' returning 1 $$,
  'an owner of A cannot edit B''s post'
);
select is_empty(
  $$ delete from postiz.social_accounts where workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000' returning 1 $$,
  'an owner of A cannot remove B''s accounts'
);
select is_empty(
  $$ delete from postiz.workspaces where id = 'bbbbbbbb-0000-4000-8000-000000000000' returning 1 $$,
  'an owner of A cannot delete B'
);

-- Not even service_role can link across workspaces -----------------------------------------------

select tests.authenticate_as_service_role();

select throws_ok(
  $$ insert into postiz.post_targets (workspace_id, post_id, social_account_id)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b0',
             'bbbbbbbb-0000-4000-8000-0000000000ac') $$,
  '23503', null, 'service_role cannot create a cross-workspace target'
);
select throws_ok(
  $$ insert into postiz.queue_jobs (workspace_id, target_id, occurrence, network, scheduled_at, run_at)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000e7',
             now(), 'mastodon', now(), now()) $$,
  '23503', null, 'service_role cannot file B''s target under A''s jobs'
);
select throws_ok(
  $$ insert into postiz.credentials (workspace_id, social_account_id, access_token_key_id,
                                     access_token_nonce, access_token_ciphertext)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000ac', 'k1',
             '\x000000000000000000000000', '\x01') $$,
  '23503', null, 'service_role cannot file B''s account credentials under A'
);
select throws_ok(
  $$ insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000ac',
             'bbbbbbbb-0000-4000-8000-0000000000e7', 'likes', 1, date_trunc('hour', now())) $$,
  '23503', null, 'service_role cannot count B''s target in A''s analytics'
);
select throws_ok(
  $$ insert into postiz.webhook_events (network, payload, signature_valid, workspace_id, social_account_id)
     values ('mastodon', '{}', true, 'aaaaaaaa-0000-4000-8000-000000000000', 'bbbbbbbb-0000-4000-8000-0000000000ac') $$,
  '23503', null, 'service_role cannot map a webhook to A with B''s account'
);

select * from finish();
rollback;
