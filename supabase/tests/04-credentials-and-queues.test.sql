-- Credentials: no client role can touch the table; members see metadata through
-- postiz.social_account_credentials; only service_role reads and writes tokens.
-- Queues: the worker's pgmq queues exist and are out of clients' reach.
begin;
select plan(21);

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('viewer', 'viewer@example.com');
  perform tests.create_supabase_user('outsider', 'outsider@example.com');
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by)
values ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'tenant-a', tests.get_supabase_uid('owner'));
insert into postiz.workspace_members (workspace_id, user_id, role)
values ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('viewer'), 'viewer');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id)
values ('aaaaaaaa-0000-4000-8000-0000000000ac', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'a-1');

select lives_ok(
  $$ insert into postiz.credentials (workspace_id, social_account_id, access_token_key_id, access_token_nonce,
                                     access_token_ciphertext, refresh_token_key_id, refresh_token_nonce,
                                     refresh_token_ciphertext, expires_at, scopes)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000ac', 'k1',
             '\x0102030405060708090a0b0c', '\xdeadbeef', 'k1', '\x0c0b0a090807060504030201', '\xfeedface',
             '2030-01-01T00:00:00Z', '{read,write}') $$,
  'service_role stores credentials'
);
select is(
  (select access_token_ciphertext from postiz.credentials),
  '\xdeadbeef'::bytea,
  'service_role reads the ciphertext'
);
select throws_ok(
  $$ insert into postiz.credentials (workspace_id, social_account_id, access_token_key_id, access_token_nonce,
                                     access_token_ciphertext)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000ac', 'k1', '\x01', '\x01') $$,
  '23514', null, 'a nonce must be 12 bytes'
);

select tests.authenticate_as('owner');
select throws_ok($$ select * from postiz.credentials $$, '42501', 'permission denied for table credentials',
  'not even an owner can select * from credentials');
select throws_ok($$ select access_token_ciphertext from postiz.credentials $$, '42501', null,
  'an owner cannot read the access token ciphertext');
select throws_ok($$ select refresh_token_ciphertext, refresh_token_nonce from postiz.credentials $$, '42501', null,
  'an owner cannot read the refresh token ciphertext');
select throws_ok($$ select access_token_key_id, access_token_nonce from postiz.credentials $$, '42501', null,
  'an owner cannot read key ids or nonces');
select throws_ok(
  $$ update postiz.credentials set expires_at = now() $$, '42501', null, 'an owner cannot change credentials');
select throws_ok($$ delete from postiz.credentials $$, '42501', null, 'an owner cannot delete credentials');
select throws_ok(
  $$ insert into postiz.credentials (workspace_id, social_account_id, access_token_key_id, access_token_nonce,
                                     access_token_ciphertext)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000ac', 'k1',
             '\x0102030405060708090a0b0c', '\x01') $$,
  '42501', null, 'an owner cannot write credentials'
);

select tests.authenticate_as('viewer');
select results_eq(
  $$ select social_account_id, connected, expires_at, has_refresh_token, scopes
     from postiz.social_account_credentials $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000ac'::uuid, true, '2030-01-01T00:00:00Z'::timestamptz, true,
             '{read,write}'::text[]) $$,
  'a viewer sees whether an account is connected, its expiry and scopes'
);
select throws_ok($$ select access_token_ciphertext from postiz.credentials $$, '42501', null,
  'a viewer cannot read the ciphertext');
select columns_are('postiz', 'social_account_credentials',
  array['social_account_id', 'workspace_id', 'connected', 'expires_at', 'refresh_expires_at',
        'has_refresh_token', 'scopes', 'updated_at'],
  'the metadata view has no token columns');

select tests.authenticate_as('outsider');
select is_empty($$ select 1 from postiz.social_account_credentials $$, 'an outsider sees no credential metadata');
select throws_ok(
  $$ select expires_at from postiz.credentials $$, '42501', null,
  'clients have no access to the table at all, not even its metadata columns'
);

select tests.clear_authentication();
select throws_ok($$ select 1 from postiz.social_account_credentials $$, '42501', null, 'anon cannot use the view');

-- Queues -----------------------------------------------------------------------------------------

select tests.authenticate_as_service_role();
select has_table('pgmq', 'q_publish', 'the publish queue exists');
select hasnt_table('pgmq', 'q_maintenance', 'the unused maintenance queue is gone: publish is the only queue');
select ok(
  (select count(*) from pgmq.send('publish', '{"job":"probe","v":1,"data":{}}')) = 1,
  'service_role can send to the publish queue'
);

select tests.authenticate_as('owner');
select throws_ok($$ select * from pgmq.q_publish $$, '42501', null, 'users cannot reach the queues');

-- A host that over-grants (Supabase's custom-schema guide grants all on all tables) still
-- exposes no token: the table has no policy for clients.
reset role;
grant all on table postiz.credentials to authenticated;
select tests.authenticate_as('owner');
select is_empty(
  $$ select access_token_ciphertext from postiz.credentials $$,
  'even with table grants, RLS shows an owner no credential row'
);

select * from finish();
rollback;
