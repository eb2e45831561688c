-- API key authentication (service_role only) and the key branch of the RLS helpers: a key's
-- claims reach its workspace only, as an editor at most, while the key is live; claims naming a
-- key never grant its creator's other workspaces or anyone else anything. Then resumable upload
-- sessions: editors only.
begin;
select plan(19);

do $$
begin
  perform tests.create_supabase_user('alice', 'alice@example.com');    -- owner of A and B
  perform tests.create_supabase_user('victor', 'victor@example.com');  -- viewer of A
  perform tests.create_supabase_user('bob', 'bob@example.com');        -- no workspace
end
$$;

select tests.authenticate_as_service_role();

insert into postiz.workspaces (id, name, slug, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'keys-a', tests.get_supabase_uid('alice')),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'keys-b', tests.get_supabase_uid('alice'));
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('victor'), 'viewer');
insert into postiz.posts (id, workspace_id, content) values
  ('bbbbbbbb-0000-4000-8000-0000000000b0', 'bbbbbbbb-0000-4000-8000-000000000000', 'post of B');
insert into postiz.api_keys (id, workspace_id, name, prefix, key_hash, scopes, created_by, revoked_at, expires_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000000', 'live', 'pzk_live',
   sha256('live-key'), '{posts:read}', tests.get_supabase_uid('alice'), null, null),
  ('aaaaaaaa-0000-4000-8000-0000000000e2', 'aaaaaaaa-0000-4000-8000-000000000000', 'revoked', 'pzk_revk',
   sha256('revoked-key'), '{}', tests.get_supabase_uid('alice'), now(), null),
  ('aaaaaaaa-0000-4000-8000-0000000000e3', 'aaaaaaaa-0000-4000-8000-000000000000', 'expired', 'pzk_expd',
   sha256('expired-key'), '{}', tests.get_supabase_uid('alice'), null, now() - interval '1 minute'),
  ('aaaaaaaa-0000-4000-8000-0000000000e4', 'aaaaaaaa-0000-4000-8000-000000000000', 'orphan', 'pzk_orph',
   sha256('orphan-key'), '{}', tests.get_supabase_uid('bob'), null, null);

-- Authentication ---------------------------------------------------------------------------------

select is_empty(
  $$ select * from postiz_private.service_authenticate_api_key(sha256('no-such-key')) $$,
  'an unknown key hash authenticates nothing'
);
select results_eq(
  $$ select workspace_id, scopes, problem from postiz_private.service_authenticate_api_key(sha256('live-key')) $$,
  $$ values ('aaaaaaaa-0000-4000-8000-000000000000'::uuid, '{posts:read}'::text[], null::text) $$,
  'a live key answers its workspace and scopes'
);
select isnt(
  (select last_used_at from postiz.api_keys where id = 'aaaaaaaa-0000-4000-8000-0000000000e1'), null,
  'authenticating stamps last_used_at'
);
select is(
  (select problem from postiz_private.service_authenticate_api_key(sha256('revoked-key'))), 'revoked',
  'a revoked key is refused'
);
select is(
  (select problem from postiz_private.service_authenticate_api_key(sha256('expired-key'))), 'expired',
  'an expired key is refused'
);
select is(
  (select problem from postiz_private.service_authenticate_api_key(sha256('orphan-key'))), 'creator_not_member',
  'a key whose creator is not a member is refused'
);

select tests.authenticate_as('alice');
select throws_ok(
  $$ select * from postiz_private.service_authenticate_api_key(sha256('live-key')) $$,
  '42501', null, 'signed-in users cannot look keys up'
);

-- Requests made with a key ------------------------------------------------------------------------

select set_config('request.jwt.claims', json_build_object(
  'sub', tests.get_supabase_uid('alice'), 'role', 'authenticated',
  'postiz_api_key', json_build_object('id', 'aaaaaaaa-0000-4000-8000-0000000000e1'))::text, true);

select results_eq(
  $$ select * from postiz_private.workspaces_with_role('editor') $$,
  $$ values ('aaaaaaaa-0000-4000-8000-000000000000'::uuid) $$,
  'a key reaches its own workspace as an editor'
);
select is_empty(
  $$ select * from postiz_private.workspaces_with_role('admin') $$,
  'a key never has admin rights, even an owner''s'
);
select is_empty(
  $$ select 1 from postiz.posts where workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000' $$,
  'a key of A sees nothing of B, another workspace of its creator'
);
select lives_ok(
  $$ insert into postiz.posts (workspace_id, content) values ('aaaaaaaa-0000-4000-8000-000000000000', 'by key') $$,
  'a key writes posts in its workspace'
);
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content) values ('bbbbbbbb-0000-4000-8000-000000000000', 'smuggled') $$,
  '42501', null, 'a key cannot write in another workspace of its creator'
);
select is_empty(
  $$ select 1 from postiz.api_keys $$,
  'a key cannot read API keys (an admin matter)'
);

select set_config('request.jwt.claims', json_build_object(
  'sub', tests.get_supabase_uid('alice'), 'role', 'authenticated',
  'postiz_api_key', json_build_object('id', 'aaaaaaaa-0000-4000-8000-0000000000e2'))::text, true);
select is_empty(
  $$ select 1 from postiz.workspaces $$,
  'claims naming a revoked key reach nothing'
);

select set_config('request.jwt.claims', json_build_object(
  'sub', tests.get_supabase_uid('bob'), 'role', 'authenticated',
  'postiz_api_key', json_build_object('id', 'aaaaaaaa-0000-4000-8000-0000000000e1'))::text, true);
select is_empty(
  $$ select 1 from postiz.workspaces $$,
  'claims naming someone else''s key grant nothing'
);

-- Resumable upload sessions -----------------------------------------------------------------------

select tests.authenticate_as('alice');
select lives_ok(
  $$ insert into postiz.media_uploads (workspace_id, total_bytes) values ('aaaaaaaa-0000-4000-8000-000000000000', 1000) $$,
  'editors start uploads'
);
select throws_ok(
  $$ update postiz.media_uploads set received_bytes = 1001 $$,
  '23514', null, 'an upload cannot receive more than its size'
);

select tests.authenticate_as('victor');
select throws_ok(
  $$ insert into postiz.media_uploads (workspace_id, total_bytes) values ('aaaaaaaa-0000-4000-8000-000000000000', 1000) $$,
  '42501', 'new row violates row-level security policy for table "media_uploads"',
  'viewers cannot start uploads'
);
select is_empty(
  $$ select 1 from postiz.media_uploads $$,
  'viewers do not see uploads in progress'
);

select * from finish();
rollback;
