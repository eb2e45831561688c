-- Workspaces, members and invitations: creation, the last-owner rule, who may change roles, and
-- invitation acceptance.
begin;
select plan(44);

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('admin', 'admin@example.com');
  perform tests.create_supabase_user('editor', 'editor@example.com');
  perform tests.create_supabase_user('viewer', 'viewer@example.com');
  perform tests.create_supabase_user('invitee', 'invitee@example.com');
  perform tests.create_supabase_user('stranger', 'stranger@example.com');
end
$$;

-- Creating a workspace ---------------------------------------------------------------------------

select tests.authenticate_as('owner');

select lives_ok(
  $$ insert into postiz.workspaces (id, name, slug, time_zone)
     values ('aaaaaaaa-0000-4000-8000-000000000001', 'Acme', 'acme', 'Europe/Paris') $$,
  'a signed-in user can create a workspace'
);
select results_eq(
  $$ select user_id, role::text from postiz.workspace_members
     where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000001' $$,
  $$ values (tests.get_supabase_uid('owner'), 'owner') $$,
  'its creator becomes its only member, as owner'
);
select is(
  (select w.name from postiz.create_workspace('Beta', 'beta', 'America/New_York') w),
  'Beta',
  'postiz.create_workspace creates a workspace and returns it'
);
select throws_ok(
  $$ insert into postiz.workspaces (name, slug, time_zone) values ('Mars', 'mars', 'Mars/Olympus_Mons') $$,
  '23514', null, 'an unknown time zone is refused'
);
select throws_ok(
  $$ insert into postiz.workspaces (name, slug, time_zone) values ('Posix', 'posix', 'foo+3') $$,
  '23514', null, 'a POSIX time-zone spec is refused: IANA names only'
);
select throws_ok(
  $$ insert into postiz.workspaces (name, slug, plan) values ('Rich', 'rich', 'default') $$,
  '42501', null, 'users cannot choose their plan (the host sets it)'
);

select tests.clear_authentication();
select throws_ok(
  $$ insert into postiz.workspaces (name, slug) values ('Anon', 'anon') $$,
  '42501', null, 'anon cannot create a workspace'
);

-- Members of Acme: admin, editor, viewer (arranged as service_role).
select tests.authenticate_as_service_role();
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000001', tests.get_supabase_uid('admin'), 'admin'),
  ('aaaaaaaa-0000-4000-8000-000000000001', tests.get_supabase_uid('editor'), 'editor'),
  ('aaaaaaaa-0000-4000-8000-000000000001', tests.get_supabase_uid('viewer'), 'viewer');

-- Role changes -----------------------------------------------------------------------------------

select tests.authenticate_as('viewer');
select is_empty(
  $$ update postiz.workspace_members set role = 'admin'
     where user_id = auth.uid() returning 1 $$,
  'a viewer cannot promote themselves'
);
select tests.authenticate_as('editor');
select is_empty(
  $$ update postiz.workspace_members set role = 'editor'
     where user_id = tests.get_supabase_uid('viewer') returning 1 $$,
  'an editor cannot change roles'
);

select tests.authenticate_as('admin');
select results_eq(
  $$ update postiz.workspace_members set role = 'viewer'
     where user_id = tests.get_supabase_uid('editor') returning role::text $$,
  $$ values ('viewer') $$,
  'an admin can demote an editor'
);
select results_eq(
  $$ update postiz.workspace_members set role = 'editor'
     where user_id = tests.get_supabase_uid('editor') returning role::text $$,
  $$ values ('editor') $$,
  'an admin can give a role below their own (viewer to editor)'
);
select throws_ok(
  $$ update postiz.workspace_members set role = 'admin'
     where user_id = tests.get_supabase_uid('viewer') $$,
  '42501', 'you cannot give the admin role in this workspace',
  'an admin cannot make another admin'
);
select throws_ok(
  $$ update postiz.workspace_members set role = 'owner'
     where user_id = tests.get_supabase_uid('viewer') $$,
  '42501', null,  -- refused by the trigger (a raise) before the policy's check
  
  'an admin cannot make anyone owner'
);
select throws_ok(
  $$ update postiz.workspace_members set role = 'owner' where user_id = auth.uid() $$,
  '42501', null,  -- refused by the trigger (a raise) before the policy's check
  
  'an admin cannot make themselves owner'
);
select is_empty(
  $$ update postiz.workspace_members set role = 'viewer'
     where user_id = tests.get_supabase_uid('owner') returning 1 $$,
  'an admin cannot demote an owner'
);
select is_empty(
  $$ delete from postiz.workspace_members where user_id = tests.get_supabase_uid('owner') returning 1 $$,
  'an admin cannot remove an owner'
);
select throws_ok(
  $$ insert into postiz.workspace_members (workspace_id, user_id, role)
     values ('aaaaaaaa-0000-4000-8000-000000000001', tests.get_supabase_uid('stranger'), 'owner') $$,
  '42501', 'you cannot give the owner role in this workspace',
  'an admin cannot add an owner'
);
select lives_ok(
  $$ insert into postiz.workspace_members (workspace_id, user_id, role)
     values ('aaaaaaaa-0000-4000-8000-000000000001', tests.get_supabase_uid('stranger'), 'viewer') $$,
  'an admin can add a member below owner'
);
select results_eq(
  $$ delete from postiz.workspace_members where user_id = tests.get_supabase_uid('stranger') returning role::text $$,
  $$ values ('viewer') $$,
  'an admin can remove a member below owner'
);
select throws_ok(
  $$ select postiz.transfer_workspace_ownership('aaaaaaaa-0000-4000-8000-000000000001', tests.get_supabase_uid('editor')) $$,
  '42501', null, 'an admin cannot transfer ownership'
);

-- The last owner ---------------------------------------------------------------------------------

select tests.authenticate_as('owner');
select throws_ok(
  $$ update postiz.workspace_members set role = 'admin' where user_id = auth.uid() $$,
  'P0001', 'a workspace must keep at least one owner',
  'the last owner cannot demote themselves'
);
select throws_ok(
  $$ delete from postiz.workspace_members where user_id = auth.uid()
     and workspace_id = 'aaaaaaaa-0000-4000-8000-000000000001' $$,
  'P0001', 'a workspace must keep at least one owner',
  'the last owner cannot leave'
);
select tests.authenticate_as_service_role();
select throws_ok(
  $$ delete from postiz.workspace_members where user_id = tests.get_supabase_uid('owner')
     and workspace_id = 'aaaaaaaa-0000-4000-8000-000000000001' $$,
  'P0001', 'a workspace must keep at least one owner',
  'not even service_role can remove the last owner'
);

select tests.authenticate_as('owner');
select lives_ok(
  $$ select postiz.transfer_workspace_ownership('aaaaaaaa-0000-4000-8000-000000000001', tests.get_supabase_uid('admin')) $$,
  'an owner can transfer ownership to a member'
);
select results_eq(
  $$ select user_id, role::text from postiz.workspace_members
     where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000001' and role >= 'admin' order by role desc $$,
  $$ values (tests.get_supabase_uid('admin'), 'owner'), (tests.get_supabase_uid('owner'), 'admin') $$,
  'after a transfer the new owner is owner and the old one admin'
);

select tests.authenticate_as('admin');  -- now the owner
select results_eq(
  $$ update postiz.workspace_members set role = 'owner'
     where user_id = tests.get_supabase_uid('owner') returning role::text $$,
  $$ values ('owner') $$,
  'an owner can make another member owner'
);
select results_eq(
  $$ delete from postiz.workspace_members where user_id = auth.uid()
     and workspace_id = 'aaaaaaaa-0000-4000-8000-000000000001' returning role::text $$,
  $$ values ('owner') $$,
  'an owner may leave while another owner remains'
);

-- Invitations ------------------------------------------------------------------------------------

select tests.authenticate_as('editor');
select throws_ok(
  $$ select postiz.create_workspace_invite('aaaaaaaa-0000-4000-8000-000000000001', 'invitee@example.com') $$,
  '42501', 'new row violates row-level security policy for table "workspace_invites"',
  'an editor cannot invite'
);
select is_empty($$ select 1 from postiz.workspace_invites $$, 'an editor cannot see invitations');

select tests.authenticate_as('owner');
select throws_ok(
  $$ select postiz.create_workspace_invite('aaaaaaaa-0000-4000-8000-000000000001', 'x@example.com', 'owner') $$,
  '23514', null, 'nobody is invited as owner'
);
select postiz.create_workspace_invite('aaaaaaaa-0000-4000-8000-000000000001', 'Invitee@Example.com', 'editor') as token \gset
select postiz.create_workspace_invite('aaaaaaaa-0000-4000-8000-000000000001', 'viewer@example.com', 'viewer') as viewer_token \gset
select isnt_empty(
  $$ select 1 from postiz.workspace_invites where email = 'Invitee@Example.com' and accepted_at is null $$,
  'an admin sees pending invitations'
);

select tests.authenticate_as('stranger');
select throws_ok(
  format('select postiz.accept_workspace_invite(%L)', :'token'),
  '42501', 'this invitation was sent to another email address',
  'someone else holding the token cannot accept it'
);
select is_empty(
  $$ select 1 from postiz.workspaces where id = 'aaaaaaaa-0000-4000-8000-000000000001' $$,
  'and still sees nothing of the workspace'
);
select throws_ok(
  $$ select postiz.accept_workspace_invite('not-a-token') $$,
  'P0002', null, 'an unknown token is refused'
);

select tests.clear_authentication();
select throws_ok(
  format('select postiz.accept_workspace_invite(%L)', :'token'),
  '42501', null, 'anon cannot accept an invitation'
);

select tests.authenticate_as('invitee');
select is(
  postiz.accept_workspace_invite(:'token'),
  'aaaaaaaa-0000-4000-8000-000000000001'::uuid,
  'the invited email accepts (case-insensitively) and learns the workspace id'
);
select results_eq(
  $$ select role::text from postiz.workspace_members
     where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000001' and user_id = auth.uid() $$,
  $$ values ('editor') $$,
  'accepting makes the invitee a member with the invited role'
);
select throws_ok(
  format('select postiz.accept_workspace_invite(%L)', :'token'),
  'P0002', null, 'an invitation works once'
);

select tests.authenticate_as('viewer');
select lives_ok(format('select postiz.accept_workspace_invite(%L)', :'viewer_token'), 'an existing member may accept');

-- Make the viewer an editor and the viewer invite pending again: accepting must not demote.
select tests.authenticate_as_service_role();
update postiz.workspace_members set role = 'editor'
where user_id = tests.get_supabase_uid('viewer') and workspace_id = 'aaaaaaaa-0000-4000-8000-000000000001';
update postiz.workspace_invites set accepted_at = null, accepted_by = null where email = 'viewer@example.com';
select tests.authenticate_as('viewer');
select lives_ok(format('select postiz.accept_workspace_invite(%L)', :'viewer_token'), 'an editor accepts a viewer invitation');
select results_eq(
  $$ select role::text from postiz.workspace_members
     where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000001' and user_id = auth.uid() $$,
  $$ values ('editor') $$,
  'an invitation never demotes an existing member'
);

select tests.authenticate_as_service_role();
update postiz.workspace_invites set expires_at = now() - interval '1 second', accepted_at = null, accepted_by = null
where email = 'viewer@example.com';
select tests.authenticate_as('viewer');
select throws_ok(
  format('select postiz.accept_workspace_invite(%L)', :'viewer_token'),
  'P0002', null, 'an expired invitation is refused'
);

-- Deleting a workspace ---------------------------------------------------------------------------

select tests.authenticate_as('invitee');  -- an editor
select is_empty(
  $$ delete from postiz.workspaces where id = 'aaaaaaaa-0000-4000-8000-000000000001' returning 1 $$,
  'an editor cannot delete the workspace'
);
select tests.authenticate_as('owner');
select results_eq(
  $$ delete from postiz.workspaces where id = 'aaaaaaaa-0000-4000-8000-000000000001' returning name $$,
  $$ values ('Acme') $$,
  'an owner deletes the workspace, owners and all'
);

select * from finish();
rollback;
