-- Connection health: an account that needs reconnecting tells its admins and owners and the
-- authors of its scheduled posts, naming the first post at risk in the workspace's zone, once per
-- change; service_warn_expiring_tokens warns once per credential expiry; account_checks is read
-- by members and written by the worker only.
begin;
select plan(13);

select tests.create_supabase_user('owner');
select tests.create_supabase_user('editor');
select tests.create_supabase_user('viewer');
select tests.create_supabase_user('outsider');
select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, time_zone, created_by) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'health-a', 'Europe/Berlin', tests.get_supabase_uid('owner'));
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('viewer'), 'viewer')
on conflict (workspace_id, user_id) do update set role = excluded.role;
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, status, connected_by) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@one', 'active', null),
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-000000000000', 'linkedin', 'l-1', 'Li', 'active',
   tests.get_supabase_uid('editor'));
-- The editor's two posts on account 1; the later one is not the first at risk.
insert into postiz.posts (id, workspace_id, author_id, content, status, scheduled_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'first', 'scheduled',
   '2030-06-01 07:30:00+00'),
  ('aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'second', 'scheduled',
   '2030-06-02 07:30:00+00');
insert into postiz.post_targets (workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000a1');

select is(postiz_private.local_time_label('2030-06-01 07:30:00+00', 'Europe/Berlin'), 'Sat 01 Jun 2030 09:30 (Europe/Berlin)',
  'a time reads in the workspace''s zone');

select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'needs_reconnect',
  'Reconnect this account.', '{"reason": "401", "source": "preflight"}');
select results_eq(
  $$ select m.role::text, n.post_id::text, n.details ->> 'scheduled_local', n.details ->> 'network'
     from postiz.notifications n
     join postiz.workspace_members m on m.workspace_id = n.workspace_id and m.user_id = n.user_id
     where n.kind = 'account_needs_reconnect' order by m.role $$,
  $$ values ('editor', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'Sat 01 Jun 2030 09:30 (Europe/Berlin)', 'mastodon'),
            ('owner', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'Sat 01 Jun 2030 09:30 (Europe/Berlin)', 'mastodon') $$,
  'the author and the owner are told of the first post at risk; the viewer is not'
);
select is(postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'needs_reconnect',
  'Reconnect this account.', '{"reason": "401 again"}'), false, 'asking again changes nothing');
select is((select count(*)::int from postiz.notifications where kind = 'account_needs_reconnect'), 2, 'and tells nobody twice');

-- Expiry warnings: account 2's LinkedIn token has no refresh token and expires in six days.
insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext, expires_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000a2', 'aaaaaaaa-0000-4000-8000-000000000000', 'k1', '\x0102030405060708090a0b0c', '\x01',
   now() + interval '6 days');
select is(postiz_private.service_warn_expiring_tokens(interval '7 days'), 1, 'a credential expiring within the week is warned of');
select is(postiz_private.service_warn_expiring_tokens(interval '7 days'), 0, 'once');
select results_eq(
  $$ select m.role::text, n.details ->> 'network' from postiz.notifications n
     join postiz.workspace_members m on m.workspace_id = n.workspace_id and m.user_id = n.user_id
     where n.kind = 'token_expiring' order by m.role $$,
  $$ values ('editor', 'linkedin'), ('owner', 'linkedin') $$,
  'to whoever connected it and the admins and owners'
);
update postiz.credentials set refresh_token_key_id = 'k1', refresh_token_nonce = '\x0102030405060708090a0b0d', refresh_token_ciphertext = '\x02',
  expires_at = now() + interval '5 days'
where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a2';
select is(postiz_private.service_warn_expiring_tokens(interval '7 days'), 0,
  'an access token that a refresh token renews is not a credential expiry');
update postiz.credentials set refresh_expires_at = now() + interval '3 days' where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a2';
select is(postiz_private.service_warn_expiring_tokens(interval '7 days'), 1, 'a refresh token''s own expiry is, once more');

-- Who may call and read what.
select tests.authenticate_as('editor');
select throws_ok($$ select postiz_private.service_warn_expiring_tokens(interval '7 days') $$, '42501', null,
  'members cannot send warnings');
select results_eq($$ select social_account_id::text from postiz.account_checks $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000a2') $$, 'members read their accounts'' checks');
select throws_ok($$ update postiz.account_checks set checked_at = now() $$, '42501', null, 'but do not write them');
select tests.authenticate_as('outsider');
select is_empty($$ select 1 from postiz.account_checks $$, 'outsiders see none');

select * from finish();
rollback;
