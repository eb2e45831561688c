-- Test databases only: pgTAP and our re-implementation of the supabase-test-helpers functions
-- (same names and signatures as usebasejump/supabase-test-helpers 0.0.6; written here, no dbdev).
create extension if not exists pgtap with schema extensions;

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role, postgres;

-- Creates a user in auth.users, remembered by `identifier`.
create or replace function tests.create_supabase_user(identifier text, email text default null, phone text default null, metadata jsonb default null)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  user_id uuid := extensions.uuid_generate_v4();
begin
  insert into auth.users (id, aud, role, email, phone, raw_user_meta_data, raw_app_meta_data, email_confirmed_at)
  values (
    user_id, 'authenticated', 'authenticated',
    coalesce(email, user_id::text || '@test.com'),
    phone,
    jsonb_build_object('test_identifier', identifier) || coalesce(metadata, '{}'::jsonb),
    '{"provider":"email","providers":["email"]}'::jsonb,
    now()
  );
  return user_id;
end;
$$;

create or replace function tests.get_supabase_user(identifier text) returns json
language sql security definer set search_path = '' as $$
  select json_build_object('id', u.id, 'email', u.email, 'phone', u.phone,
                           'raw_user_meta_data', u.raw_user_meta_data, 'raw_app_meta_data', u.raw_app_meta_data)
  from auth.users u where u.raw_user_meta_data ->> 'test_identifier' = identifier
$$;

create or replace function tests.get_supabase_uid(identifier text) returns uuid
language plpgsql security definer set search_path = '' as $$
declare
  found uuid;
begin
  select id into found from auth.users where raw_user_meta_data ->> 'test_identifier' = identifier;
  if found is null then
    raise exception 'User with identifier % not found', identifier;
  end if;
  return found;
end;
$$;

-- Acts as that user for the rest of the transaction. Unlike upstream, the claims also carry
-- `role` and `aud`, as a real Supabase access token does.
create or replace function tests.authenticate_as(identifier text) returns void
language plpgsql set search_path = '' as $$
declare
  u json := tests.get_supabase_user(identifier);
begin
  if u is null or u ->> 'id' is null then
    raise exception 'User with identifier % not found', identifier;
  end if;
  perform set_config('role', 'authenticated', true);
  perform set_config('request.jwt.claims', json_build_object(
    'sub', u ->> 'id', 'email', u ->> 'email', 'phone', u ->> 'phone',
    'role', 'authenticated', 'aud', 'authenticated',
    'user_metadata', u -> 'raw_user_meta_data', 'app_metadata', u -> 'raw_app_meta_data',
    'exp', extract(epoch from now() + interval '1 hour')::bigint
  )::text, true);
end;
$$;

create or replace function tests.authenticate_as_service_role() returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'service_role', true);
  perform set_config('request.jwt.claims', null, true);
end;
$$;

create or replace function tests.clear_authentication() returns void
language plpgsql set search_path = '' as $$
begin
  perform set_config('role', 'anon', true);
  perform set_config('request.jwt.claims', null, true);
end;
$$;

-- pgTAP assertion: every table of `testing_schema` has row-level security enabled.
create or replace function tests.rls_enabled(testing_schema text) returns text
language sql set search_path = extensions, pg_catalog as $$
  select extensions.is(
    (select count(*)::int from pg_catalog.pg_tables
      where schemaname = testing_schema and not rowsecurity),
    0,
    'All tables in the ' || testing_schema || ' schema should have row level security enabled'
  )
$$;

create or replace function tests.rls_enabled(testing_schema text, testing_table text) returns text
language sql set search_path = extensions, pg_catalog as $$
  select extensions.is(
    (select count(*)::int from pg_catalog.pg_tables
      where schemaname = testing_schema and tablename = testing_table and rowsecurity),
    1,
    testing_table || ' table in the ' || testing_schema || ' schema should have row level security enabled'
  )
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role, postgres;
