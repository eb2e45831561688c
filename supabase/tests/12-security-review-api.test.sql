-- Security review, issue 14 (API items): workspace slugs are unique per creator only (10d), and
-- the request hash stored with an Idempotency-Key is well-formed, needs a key and is written once
-- (8). The HTTP behaviour is tested in crates/postiz-api/tests/{workspaces_http,public_api_http}.rs.
begin;
select plan(8);

do $$
begin
  perform tests.create_supabase_user('owner', 'owner@example.com');
  perform tests.create_supabase_user('stranger', 'stranger@example.com');
end
$$;

-- Slugs ------------------------------------------------------------------------------------------

select tests.authenticate_as('owner');
select lives_ok(
  $$ insert into postiz.workspaces (id, name, slug) values ('aaaaaaaa-0000-4000-8000-000000000012', 'Acme', 'acme') $$,
  'a user creates a workspace with a slug'
);
select throws_ok(
  $$ insert into postiz.workspaces (name, slug) values ('Acme again', 'acme') $$,
  '23505', null, 'the same creator cannot use a slug twice'
);

select tests.authenticate_as('stranger');
select lives_ok(
  $$ insert into postiz.workspaces (name, slug) values ('Mine', 'acme') $$,
  'another user may use the same slug: taking it tells nothing about other tenants'
);

select tests.authenticate_as_service_role();
select lives_ok(
  $$ insert into postiz.workspaces (name, slug, created_by) values ('Host A', 'host-picked', null), ('Host B', 'host-picked', null) $$,
  'workspaces without a creator (made by the host) are not compared with each other'
);

-- Idempotency request hash -----------------------------------------------------------------------

select tests.authenticate_as('owner');
select lives_ok(
  $$ insert into postiz.posts (id, workspace_id, content, idempotency_key, idempotency_request_sha256)
     values ('bbbbbbbb-0000-4000-8000-000000000012', 'aaaaaaaa-0000-4000-8000-000000000012', 'hi', 'k-1', decode(repeat('ab', 32), 'hex')) $$,
  'an editor stores the request hash with the key'
);
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content, idempotency_key, idempotency_request_sha256)
     values ('aaaaaaaa-0000-4000-8000-000000000012', 'hi', 'k-2', decode(repeat('ab', 31), 'hex')) $$,
  '23514', null, 'the hash is a SHA-256 (32 bytes)'
);
select throws_ok(
  $$ insert into postiz.posts (workspace_id, content, idempotency_request_sha256)
     values ('aaaaaaaa-0000-4000-8000-000000000012', 'hi', decode(repeat('ab', 32), 'hex')) $$,
  '23514', null, 'a hash without a key means nothing and is refused'
);
select throws_ok(
  $$ update postiz.posts set idempotency_request_sha256 = decode(repeat('cd', 32), 'hex')
     where id = 'bbbbbbbb-0000-4000-8000-000000000012' $$,
  '42501', null, 'clients cannot rewrite the hash afterwards'
);

select * from finish();
rollback;
