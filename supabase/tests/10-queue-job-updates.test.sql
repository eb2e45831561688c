-- The worker's claim of a queue job must stay a heap-only (HOT) update: it changes no column
-- that any index of queue_jobs reads (as a key, in an expression or in a predicate), so it
-- writes no index entry. An index on one of those columns would silently double the database's
-- work per published post. Also: open jobs are exactly those without completed_at, and
-- updated_at is kept current whether or not a statement sets it.
begin;
select plan(8);

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug) values ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'tenant-a');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle) values
  ('aaaaaaaa-0000-4000-8000-0000000000a1', 'aaaaaaaa-0000-4000-8000-000000000000', 'mastodon', 'm-1', '@a');
insert into postiz.posts (id, workspace_id, content) values
  ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', 'hello');
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id) values
  ('aaaaaaaa-0000-4000-8000-0000000000e1', 'aaaaaaaa-0000-4000-8000-000000000000',
   'aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-0000000000a1');
insert into postiz.queue_jobs (id, workspace_id, target_id, occurrence, network, scheduled_at, run_at, status, updated_at)
values ('aaaaaaaa-0000-4000-8000-0000000000f1', 'aaaaaaaa-0000-4000-8000-000000000000',
        'aaaaaaaa-0000-4000-8000-0000000000e1', '2030-01-10T09:00:00Z', 'mastodon',
        '2030-01-10T09:00:00Z', '2030-01-10T09:00:00Z', 'queued', '2000-01-01T00:00:00Z');

-- What the claim writes (worker/src/store.rs, CLAIM).
create temp table claim_columns (name text);
insert into claim_columns values ('status'), ('attempt'), ('started_at'), ('updated_at'), ('lease_until'),
  ('worker_id'), ('sending_item'), ('sending_since');

select is(
  array(select distinct c.relname::text || ' reads ' || col.name
        from pg_index i
        join pg_class c on c.oid = i.indexrelid
        cross join claim_columns col
        where i.indrelid = 'postiz.queue_jobs'::regclass
          and (exists (select 1 from unnest(i.indkey) k
                       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k
                       where a.attname = col.name)
               or coalesce(pg_get_expr(i.indexprs, i.indrelid), '') ~ ('\m' || col.name || '\M')
               or coalesce(pg_get_expr(i.indpred, i.indrelid), '') ~ ('\m' || col.name || '\M'))
        order by 1),
  '{}'::text[],
  'no index of queue_jobs reads a column the claim writes'
);

create temp table hot_before as
  select pg_stat_get_xact_tuples_updated('postiz.queue_jobs'::regclass) as updated,
         pg_stat_get_xact_tuples_hot_updated('postiz.queue_jobs'::regclass) as hot;
update postiz.queue_jobs
set status = 'running', attempt = attempt + 1, started_at = now(), updated_at = now(),
    lease_until = now() + interval '2 minutes', worker_id = 'worker-1', sending_item = 0, sending_since = now()
where id = 'aaaaaaaa-0000-4000-8000-0000000000f1';
select is(
  (select (pg_stat_get_xact_tuples_updated('postiz.queue_jobs'::regclass) - updated,
           pg_stat_get_xact_tuples_hot_updated('postiz.queue_jobs'::regclass) - hot)::text from hot_before),
  '(1,1)',
  'a claim is a heap-only update (no index entry written)'
);
select is(
  (select updated_at from postiz.queue_jobs where id = 'aaaaaaaa-0000-4000-8000-0000000000f1'),
  now(),
  'the claim''s own updated_at stands'
);

select throws_ok(
  $$ update postiz.queue_jobs set status = 'succeeded' where id = 'aaaaaaaa-0000-4000-8000-0000000000f1' $$,
  '23514', null, 'a finished job must say when it finished'
);
select throws_ok(
  $$ update postiz.queue_jobs set completed_at = now() where id = 'aaaaaaaa-0000-4000-8000-0000000000f1' $$,
  '23514', null, 'an open job has no completion time'
);
select lives_ok(
  $$ update postiz.queue_jobs set status = 'succeeded', completed_at = now() where id = 'aaaaaaaa-0000-4000-8000-0000000000f1' $$,
  'a job finishes with its completion time'
);

update postiz.post_targets set updated_at = '2000-01-01T00:00:00Z' where id = 'aaaaaaaa-0000-4000-8000-0000000000e1';
select is(
  (select updated_at from postiz.post_targets where id = 'aaaaaaaa-0000-4000-8000-0000000000e1'),
  '2000-01-01T00:00:00Z'::timestamptz,
  'a statement that sets updated_at itself is not overridden'
);
update postiz.post_targets set attempts = attempts + 1 where id = 'aaaaaaaa-0000-4000-8000-0000000000e1';
select is(
  (select updated_at from postiz.post_targets where id = 'aaaaaaaa-0000-4000-8000-0000000000e1'),
  now(),
  'any other update is touched'
);

select * from finish();
rollback;
