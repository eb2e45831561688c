-- analytics_events has one key, (subject, metric, hour); readings and daily rows of a removed
-- target go with it (a trigger, not foreign keys); a reading of a target outside its workspace
-- is refused.
begin;
select plan(12);

do $$
begin
  perform tests.create_supabase_user('alice', 'alice@example.com');  -- owner of A
  perform tests.create_supabase_user('bob', 'bob@example.com');      -- owner of B
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by, time_zone) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'key-a', tests.get_supabase_uid('alice'), 'Europe/Paris'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'key-b', tests.get_supabase_uid('bob'), 'UTC');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id) values
  ('aaaaaaaa-0000-4000-8000-0000000000ac', 'aaaaaaaa-0000-4000-8000-000000000000', 'x', 'a-1'),
  ('bbbbbbbb-0000-4000-8000-0000000000ac', 'bbbbbbbb-0000-4000-8000-000000000000', 'x', 'b-1');
insert into postiz.posts (id, workspace_id, content) values
  ('aaaaaaaa-0000-4000-8000-0000000000b0', 'aaaaaaaa-0000-4000-8000-000000000000', 'post of A'),
  ('bbbbbbbb-0000-4000-8000-0000000000b0', 'bbbbbbbb-0000-4000-8000-000000000000', 'post of B');
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id, status, published_at, external_id) values
  ('aaaaaaaa-0000-4000-8000-0000000000e7', 'aaaaaaaa-0000-4000-8000-000000000000',
   'aaaaaaaa-0000-4000-8000-0000000000b0', 'aaaaaaaa-0000-4000-8000-0000000000ac', 'published', '2026-11-01 08:00Z', 'r-a'),
  ('bbbbbbbb-0000-4000-8000-0000000000e7', 'bbbbbbbb-0000-4000-8000-000000000000',
   'bbbbbbbb-0000-4000-8000-0000000000b0', 'bbbbbbbb-0000-4000-8000-0000000000ac', 'published', '2026-11-01 08:00Z', 'r-b');

select lives_ok(
  $$ select postiz_private.service_record_analytics(w.id, w.lease_until, '2026-11-01 22:30Z', '{"likes": 4, "impressions": 100}', '{}')
     from postiz.analytics_watches w where w.target_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' $$,
  'the worker records a post''s reading'
);
select lives_ok(
  $$ select postiz_private.service_record_analytics_batch(array_agg(w.id), array_agg(w.lease_until),
       array['2026-11-02 07:00Z'::timestamptz], array['{"likes": 9}'::jsonb], array['{}'::jsonb])
     from postiz.analytics_watches w where w.target_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' $$,
  'and another a day later in a batch'
);
select lives_ok(
  $$ select postiz_private.service_record_analytics(w.id, w.lease_until, '2026-11-02 07:00Z', '{"followers": 50}', '{}')
     from postiz.analytics_watches w where w.social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000ac' and w.target_id is null $$,
  'and the account''s followers'
);
select results_eq(
  $$ select count(*)::int, sum(value)::int from postiz.analytics_events where subject_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' $$,
  $$ values (3, 113) $$,
  'the post''s readings are kept by subject'
);
select throws_ok(
  $$ insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000ac',
             'aaaaaaaa-0000-4000-8000-0000000000e7', 'likes', 1, '2026-11-02 07:00Z') $$,
  '23505', null, 'a second value for the same subject, metric and hour is refused'
);
select throws_ok(
  $$ insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000ac',
             'bbbbbbbb-0000-4000-8000-0000000000e7', 'likes', 1, '2026-11-03 07:00Z') $$,
  '23503', 'analytics reading of a post target that is not in its workspace',
  'a reading of another workspace''s target is refused'
);

-- An owner removes the post's target: its readings, daily rows and gains go with it.
select tests.authenticate_as('alice');
delete from postiz.post_targets where id = 'aaaaaaaa-0000-4000-8000-0000000000e7';
select tests.authenticate_as_service_role();
select results_eq(
  $$ select (select count(*) from postiz.analytics_events where subject_id = 'aaaaaaaa-0000-4000-8000-0000000000e7')::int,
            (select count(*) from postiz.analytics_daily where subject_id = 'aaaaaaaa-0000-4000-8000-0000000000e7')::int $$,
  $$ values (0, 0) $$,
  'removing a target removes its readings and daily rows'
);
select results_eq(
  $$ select metric::text, sum(gain)::int from postiz.analytics_rollups
     where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000ac' group by metric order by metric $$,
  $$ values ('impressions', 0), ('likes', 0) $$,
  'and takes its gains out of the account''s rollups'
);
select results_eq(
  $$ select count(*)::int from postiz.analytics_events where subject_id = 'aaaaaaaa-0000-4000-8000-0000000000ac' $$,
  $$ values (1) $$,
  'the account''s own readings stay'
);

select throws_ok(
  $$ update postiz.analytics_events set target_id = 'bbbbbbbb-0000-4000-8000-0000000000e7'
     where subject_id = 'aaaaaaaa-0000-4000-8000-0000000000ac' $$,
  '23503', 'analytics reading of a post target that is not in its workspace',
  'nor moving a reading onto another workspace''s target'
);

-- Removing the account removes its own readings, daily rows and rollups (foreign keys).
select tests.authenticate_as('alice');
delete from postiz.social_accounts where id = 'aaaaaaaa-0000-4000-8000-0000000000ac';
select tests.authenticate_as_service_role();
select results_eq(
  $$ select (select count(*) from postiz.analytics_events where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000ac')::int,
            (select count(*) from postiz.analytics_daily where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000ac')::int,
            (select count(*) from postiz.analytics_rollups where social_account_id = 'aaaaaaaa-0000-4000-8000-0000000000ac')::int $$,
  $$ values (0, 0, 0) $$,
  'removing an account removes its readings, daily rows and rollups'
);
select results_eq(
  $$ select count(*)::int from postiz.analytics_watches where workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000' $$,
  $$ values (2) $$,
  'and leaves the other workspace''s alone'
);

select * from finish();
rollback;
