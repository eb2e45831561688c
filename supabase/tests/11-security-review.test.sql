-- Findings of the outside security review (issue 14), kept fixed: where a token may be sent is
-- out of clients' reach, one rule for granting roles on every path, an existing member can
-- accept an invite that raises their role, and plan triggers read nothing of a workspace the
-- caller may not write to.
begin;
select plan(25);

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('admin', 'admin@example.com');
  perform tests.create_supabase_user('editor', 'editor@example.com');
  perform tests.create_supabase_user('viewer', 'viewer@example.com');
  perform tests.create_supabase_user('newcomer', 'newcomer@example.com');
  perform tests.create_supabase_user('outsider', 'outsider@example.com');
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.plans (code, name, networks_allowed, max_social_accounts, allow_recurring, allow_evergreen)
values ('secret-plan', 'Secret', '{mastodon}', 1, false, false);
insert into postiz.workspaces (id, name, slug, created_by, plan) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'review-a', tests.get_supabase_uid('owner'), 'default'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'review-b', tests.get_supabase_uid('outsider'), 'secret-plan');
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('admin'), 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('viewer'), 'viewer');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, meta) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@a',
   '{"server_url": "https://mastodon.example"}');
insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce,
                                access_token_ciphertext, server_url)
values ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'k1',
        '\x000000000000000000000000', '\x00', 'https://mastodon.example');
insert into postiz.posts (id, workspace_id, content) values
  ('bbbbbbbb-0000-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-000000000000', 'theirs');

-- 1. Where a token may be sent ------------------------------------------------------------------

select tests.authenticate_as('owner');
select throws_ok(
  $$ update postiz.social_accounts set meta = '{"server_url": "https://attacker.example"}'
     where id = 'aaaaaaaa-0000-4000-8000-0000000000a1' $$,
  '42501', 'permission denied for table social_accounts',
  'not even an owner can rewrite an account''s meta (where its server is recorded)'
);
select throws_ok(
  $$ update postiz.social_accounts set external_page_id = 'another-page'
     where id = 'aaaaaaaa-0000-4000-8000-0000000000a1' $$,
  '42501', 'permission denied for table social_accounts',
  'nor the page or channel its token posts as'
);
select throws_ok(
  $$ insert into postiz.social_accounts (workspace_id, network, external_account_id, meta)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-9', '{"instance_app_id": "x"}') $$,
  '42501', 'permission denied for table social_accounts',
  'nor insert an account with connect-time facts of its own'
);
select throws_ok(
  $$ update postiz.credentials set server_url = 'https://attacker.example' $$,
  '42501', 'permission denied for table credentials',
  'the server stored with the credential is out of every client''s reach'
);
select results_eq(
  $$ update postiz.social_accounts set handle = '@renamed', settings = '{"note": "x"}'
     where id = 'aaaaaaaa-0000-4000-8000-0000000000a1' returning handle $$,
  $$ values ('@renamed') $$,
  'what is only shown (handle) or chosen by users (settings) stays editable'
);
select tests.authenticate_as_service_role();
select throws_ok(
  $$ update postiz.credentials set server_url = 'not a url' $$,
  '23514', null, 'a stored server is an http(s) address'
);

-- 2. One rule for granting roles: an owner any role, anyone else only below their own ----------

select tests.authenticate_as('admin');
select throws_ok(
  $$ insert into postiz.workspace_members (workspace_id, user_id, role)
     values ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('newcomer'), 'admin') $$,
  '42501', 'you cannot give the admin role in this workspace',
  'an admin cannot add a member as admin'
);
select results_eq(
  $$ delete from postiz.workspace_members where user_id = tests.get_supabase_uid('editor') returning role::text $$,
  $$ values ('editor') $$,
  'an admin can remove an editor'
);
select throws_ok(
  $$ insert into postiz.workspace_members (workspace_id, user_id, role)
     values ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'admin') $$,
  '42501', 'you cannot give the admin role in this workspace',
  'and cannot add them back as admin (delete + insert is no way around the rule)'
);
select lives_ok(
  $$ insert into postiz.workspace_members (workspace_id, user_id, role)
     values ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor') $$,
  'an admin can add a member as editor'
);
select throws_ok(
  $$ select postiz.create_workspace_invite('aaaaaaaa-0000-4000-8000-000000000000', 'someone@example.com', 'admin') $$,
  '42501', 'you cannot give the admin role in this workspace',
  'an admin cannot invite an admin'
);
select lives_ok(
  $$ select postiz.create_workspace_invite('aaaaaaaa-0000-4000-8000-000000000000', 'someone@example.com', 'editor') $$,
  'an admin can invite an editor'
);
select throws_ok(
  $$ update postiz.workspace_invites set role = 'admin' where email = 'someone@example.com' $$,
  '42501', 'you cannot give the admin role in this workspace',
  'nor raise a pending invitation to admin'
);
select throws_ok(
  $$ insert into postiz.workspace_invites (workspace_id, email, role, token_hash)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'direct@example.com', 'admin', sha256('x')) $$,
  '42501', 'you cannot give the admin role in this workspace',
  'nor write such an invitation directly'
);
select throws_ok(
  $$ update postiz.workspace_members set role = 'admin' where user_id = tests.get_supabase_uid('viewer') $$,
  '42501', 'you cannot give the admin role in this workspace',
  'nor promote a member to admin'
);

select tests.authenticate_as('owner');
select lives_ok(
  $$ select postiz.create_workspace_invite('aaaaaaaa-0000-4000-8000-000000000000', 'newcomer@example.com', 'admin') $$,
  'an owner can invite an admin'
);
select results_eq(
  $$ update postiz.workspace_members set role = 'admin' where user_id = tests.get_supabase_uid('editor') returning role::text $$,
  $$ values ('admin') $$,
  'an owner can promote to admin'
);
select tests.authenticate_as('admin');
select results_eq(
  $$ update postiz.workspace_members set role = 'editor' where user_id = tests.get_supabase_uid('editor') returning role::text $$,
  $$ values ('editor') $$,
  'an admin can lower another admin to editor'
);

-- 3. An existing member accepts an invitation that raises their role -----------------------------

select postiz.create_workspace_invite('aaaaaaaa-0000-4000-8000-000000000000', 'viewer@example.com', 'editor') as raise_token \gset
select tests.authenticate_as('viewer');
select lives_ok(
  format('select postiz.accept_workspace_invite(%L)', :'raise_token'),
  'a viewer accepts an admin''s invitation as editor'
);
select results_eq(
  $$ select role::text from postiz.workspace_members
     where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' and user_id = auth.uid() $$,
  $$ values ('editor') $$,
  'and is an editor now'
);

-- 4. Plan triggers read nothing of a workspace the caller may not write to -----------------------

select tests.authenticate_as('admin');
select throws_ok(
  $$ insert into postiz.social_accounts (workspace_id, network, external_account_id)
     values ('bbbbbbbb-0000-4000-8000-000000000000', 'linkedin', 'l-1') $$,
  '42501', 'new row violates row-level security policy for table "social_accounts"',
  'an outsider connecting into another workspace learns nothing of its allowed networks'
);
select throws_ok(
  $$ insert into postiz.social_accounts (workspace_id, network, external_account_id)
     values ('bbbbbbbb-0000-4000-8000-000000000000', 'mastodon', 'm-1') $$,
  '42501', 'new row violates row-level security policy for table "social_accounts"',
  'nor of its account limit'
);
select throws_ok(
  $$ insert into postiz.schedules (workspace_id, kind, post_id, starts_at, rrule)
     values ('bbbbbbbb-0000-4000-8000-000000000000', 'recurring', 'bbbbbbbb-0000-4000-8000-0000000000b1', now(), 'FREQ=DAILY') $$,
  '42501', 'new row violates row-level security policy for table "schedules"',
  'nor of whether its plan allows recurring schedules'
);
select tests.authenticate_as('outsider');
select throws_ok(
  $$ insert into postiz.social_accounts (workspace_id, network, external_account_id)
     values ('bbbbbbbb-0000-4000-8000-000000000000', 'linkedin', 'l-3') $$,
  'P0001', 'the secret-plan plan does not include linkedin',
  'the workspace''s own admin still meets its plan'
);
select tests.authenticate_as_service_role();
select throws_ok(
  $$ insert into postiz.social_accounts (workspace_id, network, external_account_id)
     values ('bbbbbbbb-0000-4000-8000-000000000000', 'linkedin', 'l-4') $$,
  'P0001', 'the secret-plan plan does not include linkedin',
  'and so does service_role'
);

select * from finish();
rollback;
