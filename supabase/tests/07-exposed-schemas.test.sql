-- Nothing in postiz_private is reachable by anon (supabase/config.toml also keeps the schema out
-- of the Data API; crates/postiz-db/tests/supabase_config.rs checks that file).
begin;
select plan(2);

select is(
  (select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'postiz_private' and has_function_privilege('anon', p.oid, 'execute')),
  0,
  'anon can execute nothing in postiz_private'
);
select ok(
  not exists (select 1 from pg_namespace where nspname = 'postiz_private' and has_schema_privilege('anon', oid, 'usage')),
  'anon has no usage on postiz_private'
);

select * from finish();
rollback;
