-- How an invitee hears of an invitation: claim_invite_delivery hands out Auth's invite email at
-- most once per invitation (again only after a refusal), an address with a confirmed account is
-- shown the invitation in the module, only admins of its workspace claim or record, and
-- my_invitations / accept_invitation reach only the addressed user.
begin;
select plan(13);

select tests.create_supabase_user('owner', 'owner@example.com');
select tests.create_supabase_user('editor', 'editor@example.com');
select tests.create_supabase_user('known', 'known@example.com');
select tests.create_supabase_user('stranger', 'stranger@example.com');
select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, time_zone) values ('bbbbbbbb-0000-4000-8000-000000000000', 'Acme', 'invite-acme', 'UTC');
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('bbbbbbbb-0000-4000-8000-000000000000', tests.get_supabase_uid('owner'), 'owner'),
  ('bbbbbbbb-0000-4000-8000-000000000000', tests.get_supabase_uid('editor'), 'editor');
insert into postiz.workspace_invites (id, workspace_id, email, role, token_hash) values
  ('bbbbbbbb-0000-4000-8000-0000000000a1', 'bbbbbbbb-0000-4000-8000-000000000000', 'new@example.com', 'editor', sha256('t1')),
  ('bbbbbbbb-0000-4000-8000-0000000000a2', 'bbbbbbbb-0000-4000-8000-000000000000', 'KNOWN@example.com', 'viewer', sha256('t2')),
  ('bbbbbbbb-0000-4000-8000-0000000000a3', 'bbbbbbbb-0000-4000-8000-000000000000', 'fresh@example.com', 'viewer', sha256('t3'));

select tests.authenticate_as('owner');
select results_eq($$ select delivery::text, ask_auth from postiz.claim_invite_delivery('bbbbbbbb-0000-4000-8000-0000000000a1', true) $$,
  $$ values ('auth_email', true) $$, 'an address without an account: the admin asks Auth once');
select results_eq($$ select delivery::text, ask_auth from postiz.claim_invite_delivery('bbbbbbbb-0000-4000-8000-0000000000a1', true) $$,
  $$ values ('auth_email', false) $$, 'asked and unanswered: not asked again');
select postiz.record_invite_email('bbbbbbbb-0000-4000-8000-0000000000a1', 'refused', 'rate limit');
select results_eq($$ select ask_auth from postiz.claim_invite_delivery('bbbbbbbb-0000-4000-8000-0000000000a1', true) $$,
  $$ values (true) $$, 'after a refusal it may be asked again');
select postiz.record_invite_email('bbbbbbbb-0000-4000-8000-0000000000a1', 'sent');
select results_eq($$ select ask_auth from postiz.claim_invite_delivery('bbbbbbbb-0000-4000-8000-0000000000a1', true) $$,
  $$ values (false) $$, 'sent: never again');
select results_eq($$ select email_sent_at is not null, email_error from postiz.workspace_invites where id = 'bbbbbbbb-0000-4000-8000-0000000000a1' $$,
  $$ values (true, null::text) $$, 'the sent email is recorded and the old refusal cleared');
select results_eq($$ select delivery::text, ask_auth from postiz.claim_invite_delivery('bbbbbbbb-0000-4000-8000-0000000000a2', true) $$,
  $$ values ('in_app', false) $$, 'a confirmed account (any case of the address) is shown the invitation in the module');
select results_eq($$ select delivery::text, ask_auth from postiz.claim_invite_delivery('bbbbbbbb-0000-4000-8000-0000000000a3', false) $$,
  $$ values ('code', false) $$, 'without the service key nothing is claimed: the code is passed on');

select tests.authenticate_as('editor');
select throws_ok($$ select * from postiz.claim_invite_delivery('bbbbbbbb-0000-4000-8000-0000000000a1', true) $$,
  'P0002', 'invitation not found', 'an editor cannot claim');
select throws_ok($$ select postiz.record_invite_email('bbbbbbbb-0000-4000-8000-0000000000a1', 'sent') $$,
  'P0002', 'invitation not found', 'nor record');

select tests.authenticate_as('known');
select results_eq($$ select workspace_name, role::text from postiz.my_invitations() $$,
  $$ values ('Acme', 'viewer') $$, 'the addressed user sees the invitation with the workspace''s name');
select tests.authenticate_as('stranger');
select is((select count(*) from postiz.my_invitations()), 0::bigint, 'nobody else does');
select throws_ok($$ select postiz.accept_invitation('bbbbbbbb-0000-4000-8000-0000000000a2') $$,
  '42501', 'this invitation was sent to another email address', 'nor can accept it');
select tests.authenticate_as('known');
select is(postiz.accept_invitation('bbbbbbbb-0000-4000-8000-0000000000a2'), 'bbbbbbbb-0000-4000-8000-000000000000'::uuid, 'the addressed user joins');

select * from finish();
rollback;
