-- Connect-flow tables: service_role only, like credentials. Members, outsiders and anon see and
-- write nothing; the job-resume function is service_role's alone.
begin;
select plan(12);

select tests.create_supabase_user('connect_owner');
select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by)
  values ('cccccccc-0000-4000-8000-000000000000', 'C', 'connect-c', tests.get_supabase_uid('connect_owner'));
insert into postiz.oauth_states (state_hash, user_id, workspace_id, network, redirect_uri, expires_at)
  values (sha256('s1'), tests.get_supabase_uid('connect_owner'), 'cccccccc-0000-4000-8000-000000000000', 'x', 'https://app/cb', now() + interval '5 minutes');
insert into postiz.pending_connections (user_id, workspace_id, network, login, access_token_key_id, access_token_nonce, access_token_ciphertext, expires_at)
  values (tests.get_supabase_uid('connect_owner'), 'cccccccc-0000-4000-8000-000000000000', 'facebook', '{}', 'k1', '\x0102030405060708090a0b0c', '\x01', now() + interval '5 minutes');
insert into postiz.instance_apps (network, server_url, redirect_uri, client_id, auth_url, token_url)
  values ('mastodon', 'https://m.example', 'https://app/cb', 'c', 'https://m.example/oauth/authorize', 'https://m.example/oauth/token');

select is((select count(*)::int from postiz.oauth_states), 1, 'service_role reads oauth_states');
select is((select count(*)::int from postiz.pending_connections), 1, 'service_role reads pending_connections');
select is((select count(*)::int from postiz.instance_apps), 1, 'service_role reads instance_apps');
select is(postiz_private.service_resume_account_jobs(gen_random_uuid()), 0, 'service_role may resume an account''s jobs');

-- The owner of the workspace: no grant at all.
select tests.authenticate_as('connect_owner');
select throws_ok($$ select * from postiz.oauth_states $$, '42501', 'permission denied for table oauth_states',
  'even the workspace owner cannot read OAuth states');
select throws_ok($$ select * from postiz.pending_connections $$, '42501', 'permission denied for table pending_connections',
  'nor pending connections (token ciphertext)');
select throws_ok($$ select * from postiz.instance_apps $$, '42501', 'permission denied for table instance_apps',
  'nor instance client registrations');
select throws_ok($$ update postiz.oauth_states set used_at = null $$, '42501', 'permission denied for table oauth_states',
  'nor un-use a state');
select throws_ok($$ select postiz_private.service_resume_account_jobs(gen_random_uuid()) $$, '42501', null,
  'nor resume jobs');

select tests.clear_authentication();
select throws_ok($$ select * from postiz.oauth_states $$, '42501', null, 'anon: no access to OAuth states');
select throws_ok($$ select * from postiz.pending_connections $$, '42501', null, 'anon: no access to pending connections');
select throws_ok($$ select * from postiz.instance_apps $$, '42501', null, 'anon: no access to instance registrations');

select * from finish();
rollback;
