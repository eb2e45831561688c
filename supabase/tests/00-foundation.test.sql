-- The local database looks like Supabase where our migrations depend on it.
begin;
select plan(14);

select has_schema('auth');
select has_schema('extensions');
select has_schema('pgmq', 'pgmq is installed');
select has_schema('postiz');
select has_schema('postiz_private');
select has_table('supabase_migrations', 'schema_migrations', 'Supabase CLI migration history table');

select is((select rolbypassrls from pg_roles where rolname = 'service_role'), true, 'service_role bypasses RLS');
select is((select rolsuper from pg_roles where rolname = 'postgres'), false, 'postgres is not a superuser');
select ok(pg_has_role('authenticator', 'authenticated', 'member'), 'authenticator can become authenticated');

select schema_privs_are('postiz', 'anon', array[]::text[], 'anon cannot even resolve names in postiz');
select schema_privs_are('postiz_private', 'anon', array[]::text[], 'anon cannot reach postiz_private');

select tests.create_supabase_user('pgtap_user');
select tests.authenticate_as('pgtap_user');
select is(auth.uid(), tests.get_supabase_uid('pgtap_user'), 'auth.uid() is the authenticated user');
select is(current_user::text, 'authenticated', 'authenticate_as switches the role');
select tests.clear_authentication();
select is(auth.uid(), null, 'no claims, no user');

select * from finish();
rollback;
