-- Connection health: an account that needs reconnecting (or is revoked) tells its admins and
-- owners and the authors of its scheduled posts who are editors or above (also the author of the
-- post being published when the token was refused), naming the first post at risk in the workspace's zone, once per
-- change; service_warn_expiring_tokens warns once per credential expiry; account_checks is read
-- by members and written by the worker only.
begin;
select plan(21);

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
-- The viewer wrote a post on account 1 too (a viewer once an editor): they still cannot act on it.
insert into postiz.posts (id, workspace_id, author_id, content, status, scheduled_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000b3', 'aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('viewer'), 'by a viewer',
   'scheduled', '2030-05-31 07:30:00+00');
insert into postiz.post_targets (workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000a1'),
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'aaaaaaaa-0000-4000-8000-0000000000a1');

select is(postiz_private.local_time_label('2030-06-01 07:30:00+00', 'Europe/Berlin'), 'Sat 01 Jun 2030 09:30 (Europe/Berlin)',
  'a time reads in the workspace''s zone');

select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'needs_reconnect',
  'Reconnect this account.', '{"reason": "401", "source": "preflight"}');
select results_eq(
  $$ select m.role::text, n.details ->> 'post_id', n.details ->> 'scheduled_local', n.details ->> 'network'
     from postiz.notifications n
     join postiz.workspace_members m on m.workspace_id = n.workspace_id and m.user_id = n.user_id
     where n.kind = 'account_needs_reconnect' order by m.role $$,
  $$ values ('editor', 'aaaaaaaa-0000-4000-8000-0000000000b1', 'Sat 01 Jun 2030 09:30 (Europe/Berlin)', 'mastodon'),
            ('owner', 'aaaaaaaa-0000-4000-8000-0000000000b3', 'Fri 31 May 2030 09:30 (Europe/Berlin)', 'mastodon') $$,
  'the author (their own first post) and the owner (the first post at risk) are told; the viewer who wrote one is not'
);
select is((select count(*)::int from postiz.notifications where kind = 'account_needs_reconnect' and post_id is not null), 0,
  'the post is named in the details, not as the notification''s post');
select is(postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'needs_reconnect',
  'Reconnect this account.', '{"reason": "401 again"}'), false, 'asking again changes nothing');
select is((select count(*)::int from postiz.notifications where kind = 'account_needs_reconnect'), 2, 'and tells nobody twice');
select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a1', 'revoked',
  'Reconnect this account.', '{"reason": "invalid_grant"}');
select is((select count(*)::int from postiz.notifications where kind = 'account_needs_reconnect'), 2,
  'nor when an account that needs reconnecting is then revoked');
delete from postiz.posts where id = 'aaaaaaaa-0000-4000-8000-0000000000b1';
select is((select count(*)::int from postiz.notifications where kind = 'account_needs_reconnect'), 2,
  'deleting the post named keeps everyone''s notice about the account');

-- Account 3: a refresh answered invalid_grant revokes it: the same people are told, once.
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000a3', 'aaaaaaaa-0000-4000-8000-000000000000', 'x', 'x-1', 'ex', 'active');
insert into postiz.post_targets (workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-0000000000a3');
select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a3', 'revoked',
  'Reconnect this account: the network revoked its access.', '{"reason": "invalid_grant", "source": "token_refresh"}');
select results_eq(
  $$ select m.role::text, n.details ->> 'post_id' from postiz.notifications n
     join postiz.workspace_members m on m.workspace_id = n.workspace_id and m.user_id = n.user_id
     where n.kind = 'account_needs_reconnect' and n.social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a3' order by m.role $$,
  $$ values ('editor', 'aaaaaaaa-0000-4000-8000-0000000000b2'), ('owner', 'aaaaaaaa-0000-4000-8000-0000000000b2') $$,
  'a revoked account tells its admins and the authors of its waiting posts'
);
select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a3', 'revoked',
  'Reconnect this account: the network revoked its access.', '{"reason": "invalid_grant"}');
select is((select count(*)::int from postiz.notifications where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a3'), 2, 'once');

-- Account 4: a publish finds the token refused. Its post is due (a moment ago) and its job is
-- running: the post's author is told, of that post.
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000a4', 'aaaaaaaa-0000-4000-8000-000000000000', 'bluesky', 'b-1', 'bee', 'active');
insert into postiz.posts (id, workspace_id, author_id, content, status, scheduled_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000b4', 'aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'now',
   'publishing', now() - interval '1 minute');
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id, status) values
  ('aaaaaaaa-0000-4000-8000-0000000000c4', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000b4',
   'aaaaaaaa-0000-4000-8000-0000000000a4', 'publishing');
insert into postiz.queue_jobs (id, workspace_id, target_id, social_account_id, occurrence, network, scheduled_at, run_at, status, started_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000d4', 'aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000c4',
   'aaaaaaaa-0000-4000-8000-0000000000a4', now() - interval '1 minute', 'bluesky', now() - interval '1 minute',
   now() - interval '1 minute', 'running', now());
select postiz_private.service_pause_account('aaaaaaaa-0000-4000-8000-0000000000a4', 'needs_reconnect',
  'Reconnect this account.', '{"reason": "401"}', 'aaaaaaaa-0000-4000-8000-0000000000d4');
select results_eq(
  $$ select m.role::text, n.details ->> 'post_id' from postiz.notifications n
     join postiz.workspace_members m on m.workspace_id = n.workspace_id and m.user_id = n.user_id
     where n.kind = 'account_needs_reconnect' and n.social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a4' order by m.role $$,
  $$ values ('editor', 'aaaaaaaa-0000-4000-8000-0000000000b4'), ('owner', 'aaaaaaaa-0000-4000-8000-0000000000b4') $$,
  'the author of the post being published is told of it'
);

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

-- Account 5, connected by someone who is a viewer now: they are not warned, the owner is.
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, status, connected_by) values
  ('aaaaaaaa-0000-4000-8000-0000000000a5', 'aaaaaaaa-0000-4000-8000-000000000000', 'linkedin', 'l-5', 'Li5', 'active',
   tests.get_supabase_uid('viewer'));
insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext, expires_at) values
  ('aaaaaaaa-0000-4000-8000-0000000000a5', 'aaaaaaaa-0000-4000-8000-000000000000', 'k1', '\x0102030405060708090a0b1c', '\x01',
   now() + interval '4 days');
select is(postiz_private.service_warn_expiring_tokens(interval '7 days'), 1, 'an account a viewer connected is warned of');
select results_eq(
  $$ select m.role::text from postiz.notifications n
     join postiz.workspace_members m on m.workspace_id = n.workspace_id and m.user_id = n.user_id
     where n.kind = 'token_expiring' and n.social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000a5' $$,
  $$ values ('owner') $$,
  'to the admins and owners, not to the viewer who connected it'
);

-- Who may call and read what.
select tests.authenticate_as('editor');
select throws_ok($$ select postiz_private.service_warn_expiring_tokens(interval '7 days') $$, '42501', null,
  'members cannot send warnings');
select results_eq($$ select social_account_id::text from postiz.account_checks order by 1 $$,
  $$ values ('aaaaaaaa-0000-4000-8000-0000000000a2'), ('aaaaaaaa-0000-4000-8000-0000000000a5') $$, 'members read their accounts'' checks');
select throws_ok($$ update postiz.account_checks set checked_at = now() $$, '42501', null, 'but do not write them');
select tests.authenticate_as('outsider');
select is_empty($$ select 1 from postiz.account_checks $$, 'outsiders see none');

select * from finish();
rollback;
