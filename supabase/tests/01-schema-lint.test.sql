-- Schema lint: rules every postiz table, policy and function must follow. Each assertion lists
-- the offenders, so a failure names what to fix.
begin;
select plan(14);

-- Row-level security ---------------------------------------------------------------------------

select is(
  array(select c.relname::text from pg_class c
        where c.relnamespace = 'postiz'::regnamespace and c.relkind in ('r', 'p')
          and not (c.relrowsecurity and c.relforcerowsecurity)
        order by 1),
  '{}'::text[],
  'every postiz table has row-level security enabled and forced'
);

select is(
  array(select c.relname::text from pg_class c
        where c.relnamespace = 'postiz_private'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
        order by 1),
  '{}'::text[],
  'postiz_private holds functions only, no tables or views'
);

select is(
  array(select c.relname::text from pg_class c
        where c.relnamespace = 'postiz'::regnamespace and c.relkind = 'v'
          and not coalesce('security_invoker=true' = any (c.reloptions), false)
        order by 1),
  '{}'::text[],
  'every postiz view is security_invoker (else it would bypass RLS as its owner)'
);

-- Policies -------------------------------------------------------------------------------------

select is(
  array(select p.tablename || ': ' || p.policyname from pg_policies p
        where p.schemaname = 'postiz'
          and (coalesce(p.qual, '') ~ '(?<!SELECT )(?<!SELECT \()auth\.(uid|jwt|role|email)\(\)'
            or coalesce(p.with_check, '') ~ '(?<!SELECT )(?<!SELECT \()auth\.(uid|jwt|role|email)\(\)')
        order by 1),
  '{}'::text[],
  'no policy calls auth.uid()/auth.jwt() per row: always (select auth.uid())'
);

select is(
  array(select p.tablename || ': ' || p.policyname from pg_policies p
        where p.schemaname = 'postiz'
          and (coalesce(p.qual, '') ~ '(?<!SELECT )postiz_private\.'
            or coalesce(p.with_check, '') ~ '(?<!SELECT )postiz_private\.'
            or coalesce(p.qual, '') || coalesce(p.with_check, '') ~ 'has_workspace_role')
        order by 1),
  '{}'::text[],
  'policies call helpers once per statement: = any (array(select postiz_private.workspaces_with_role(…)))'
);

select is(
  array(select p.tablename || ': ' || p.policyname from pg_policies p
        where p.schemaname = 'postiz' and (p.roles @> '{public}' or p.roles @> '{anon}')
        order by 1),
  '{}'::text[],
  'every policy names its role (to authenticated), none applies to public or anon'
);

-- Functions ------------------------------------------------------------------------------------

select is(
  array(select p.oid::regprocedure::text from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('postiz', 'postiz_private')
          and not coalesce('search_path=""' = any (p.proconfig), false)
        order by 1),
  '{}'::text[],
  'every postiz and postiz_private function pins search_path to empty'
);

select is(
  array(select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace = 'postiz'::regnamespace and p.prosecdef
        order by 1),
  '{}'::text[],
  'no security-definer function in the exposed postiz schema (they live in postiz_private)'
);

select is(
  array(select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace in ('postiz'::regnamespace, 'postiz_private'::regnamespace)
          and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('public', p.oid, 'execute'))
        order by 1),
  '{}'::text[],
  'no postiz or postiz_private function is executable by anon or public'
);

-- Grants ---------------------------------------------------------------------------------------

select is(
  array(select c.relname::text from pg_class c
        where c.relnamespace = 'postiz'::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
          and (has_any_column_privilege('anon', c.oid, 'select, insert, update, references')
            or has_table_privilege('anon', c.oid, 'delete, truncate, trigger'))
        order by 1),
  '{}'::text[],
  'anon holds no privilege on any postiz table or view'
);

select is(
  array(select c.relname::text from pg_class c
        where c.relnamespace = 'postiz'::regnamespace and c.relkind in ('r', 'p')
          and has_table_privilege('authenticated', c.oid, 'truncate, trigger, references')
        order by 1),
  '{}'::text[],
  'authenticated can neither truncate, add triggers nor reference postiz tables'
);

-- Indexes --------------------------------------------------------------------------------------

-- A foreign key is covered when an index's leading key columns are exactly its columns (in any
-- order), or when a unique index lies within its columns.
select is(
  array(select f.conrelid::regclass::text || ': ' || f.conname from pg_constraint f
        where f.contype = 'f' and f.connamespace = 'postiz'::regnamespace
          and not exists (
            select 1 from pg_index i,
              lateral (select (string_to_array(i.indkey::text, ' ')::int2[])[1:i.indnkeyatts] as cols) k
            where i.indrelid = f.conrelid
              and ((select array_agg(x order by x) from unnest(k.cols[1:cardinality(f.conkey)]) x)
                     = (select array_agg(x order by x) from unnest(f.conkey) x)
                   or (i.indisunique and k.cols <@ f.conkey))
          )
        order by 1),
  '{}'::text[],
  'every foreign key is indexed'
);

-- The keys policies select rows by (workspace_id, user_id, author_id, …: the uuid columns they
-- reference) lead an index. Enum refinements (status, role) ride on the workspace index.
select is(
  array(select distinct d.refobjid::regclass::text || '.' || a.attname from pg_depend d
        join pg_policy p on d.classid = 'pg_policy'::regclass and d.objid = p.oid
        join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
        where d.refobjsubid > 0 and a.atttypid = 'uuid'::regtype
          and not exists (
            select 1 from pg_index i where i.indrelid = d.refobjid and i.indkey[0] = a.attnum
          )
        order by 1),
  '{}'::text[],
  'every uuid column a policy filters on leads an index'
);

select has_index('postiz', 'posts', 'posts_workspace_id_scheduled_at_idx', array['workspace_id', 'scheduled_at'],
  'the calendar query (workspace + time window) has its index');

select * from finish();
rollback;
