-- Analytics under RLS: snapshots, raw numbers, watches, daily rows, rollups and the BI views
-- show each member their own workspaces only; nobody but service_role writes them; a plan
-- without analytics hides them; snapshots roll up into days and rollups as they arrive.
begin;
select plan(36);

do $$
begin
  perform tests.create_supabase_user('alice', 'alice@example.com');  -- owner of A
  perform tests.create_supabase_user('bob', 'bob@example.com');      -- owner of B
  perform tests.create_supabase_user('vera', 'vera@example.com');    -- viewer of A
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by, time_zone) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'an-a', tests.get_supabase_uid('alice'), 'Europe/Paris'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'an-b', tests.get_supabase_uid('bob'), 'UTC');
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('aaaaaaaa-0000-4000-8000-000000000000', tests.get_supabase_uid('vera'), 'viewer');
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

-- Watches start by themselves ---------------------------------------------------------------------

select results_eq(
  $$ select count(*)::int from postiz.analytics_watches $$,
  $$ values (4) $$,
  'each published target and each connected account is watched'
);
select results_eq(
  $$ select next_fetch_at from postiz.analytics_watches where target_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' $$,
  $$ values ('2026-11-01 09:00Z'::timestamptz) $$,
  'a post is first read an hour after publishing'
);

-- Snapshots roll up as they arrive --------------------------------------------------------------

select lives_ok(
  $$ select postiz_private.service_record_analytics(w.id, w.lease_until, '2026-11-01 22:30Z', '{"likes": 4, "impressions": 100}', '{"like_count": 4}')
     from postiz.analytics_watches w where w.target_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' $$,
  'the worker records a reading'
);
select lives_ok(
  $$ select postiz_private.service_record_analytics(w.id, w.lease_until, '2026-11-02 07:00Z', '{"likes": 9}', '{}')
     from postiz.analytics_watches w where w.target_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' $$,
  'and another, a day later in Paris'
);
select results_eq(
  $$ select day, level::int, gain::int from postiz.analytics_daily
     where target_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' and metric = 'likes' order by day $$,
  $$ values ('2026-11-01'::date, 4, 4), ('2026-11-02'::date, 9, 5) $$,
  'days are the workspace''s (22:30Z is still the 1st in Paris; 07:00Z is the 2nd)'
);
select results_eq(
  $$ select sum(gain)::int from postiz.analytics_rollups
     where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' and metric = 'likes' $$,
  $$ values (9) $$,
  'the account rollups add the gains up to the latest value'
);
select results_eq(
  $$ select raw from postiz.analytics_snapshots where target_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' order by observed_at limit 1 $$,
  $$ values ('{"like_count": 4}'::jsonb) $$,
  'the network''s raw numbers are kept beside the normalized ones'
);
select results_eq(
  $$ select step, state::text, next_fetch_at from postiz.analytics_watches where target_id = 'aaaaaaaa-0000-4000-8000-0000000000e7' $$,
  $$ values (3::smallint, 'active', '2026-11-04 08:00Z'::timestamptz) $$,
  'each reading moves the cadence on, past the steps the post is already older than (read at 14.5 h and 23 h: next at 3 days)'
);
select lives_ok(
  $$ select postiz_private.service_record_analytics(w.id, w.lease_until, '2026-11-01 10:00Z', '{"likes": 3}', '{}')
     from postiz.analytics_watches w where w.target_id = 'bbbbbbbb-0000-4000-8000-0000000000e7' $$,
  'B gets a reading too'
);

-- Members see their own workspace only ------------------------------------------------------------

select tests.authenticate_as('vera');
select results_eq($$ select count(*)::int from postiz.analytics_events $$, $$ values (3) $$, 'a viewer sees A''s snapshots, not B''s');
select results_eq($$ select count(distinct workspace_id)::int from postiz.analytics_daily $$, $$ values (1) $$, 'and A''s daily rows');
select results_eq($$ select count(distinct workspace_id)::int from postiz.analytics_rollups $$, $$ values (1) $$, 'and A''s rollups');
select results_eq($$ select count(distinct workspace_id)::int from postiz.analytics_watches $$, $$ values (1) $$, 'and A''s watches');
select results_eq($$ select count(*)::int from postiz.analytics_snapshots $$, $$ values (2) $$, 'and A''s raw numbers');
select results_eq(
  $$ select workspace, content_preview, metric, level::int from postiz.bi_post_metrics_daily where metric = 'likes' order by day desc limit 1 $$,
  $$ values ('A', 'post of A', 'likes', 9) $$,
  'the BI view of posts shows A''s numbers with names'
);
select is_empty($$ select 1 from postiz.bi_post_metrics_daily where workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000' $$, 'and nothing of B');
select is_empty($$ select 1 from postiz.bi_metric_readings where workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000' $$, 'nor B''s readings');
select isnt_empty($$ select 1 from postiz.bi_workspace_metrics_daily $$, 'the workspace BI view shows A''s rollups');
select throws_ok(
  $$ insert into postiz.analytics_events (workspace_id, social_account_id, metric, value, bucket_start)
     values ('aaaaaaaa-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-0000000000ac', 'likes', 1000, now()) $$,
  '42501', null, 'members cannot write snapshots (owners neither: only the worker does)'
);
select throws_ok(
  $$ update postiz.analytics_rollups set gain = 1000 $$,
  '42501', null, 'nor rollups'
);
select throws_ok(
  $$ select postiz_private.service_record_analytics(gen_random_uuid(), null, now(), '{}', '{}') $$,
  '42501', null, 'nor call the worker''s functions'
);

select tests.authenticate_as('bob');
select results_eq($$ select count(*)::int from postiz.analytics_events $$, $$ values (1) $$, 'B''s owner sees B''s one snapshot');
select is_empty($$ select 1 from postiz.bi_account_metrics_daily where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' $$, 'and nothing of A in the views');

select tests.clear_authentication();
select throws_ok($$ select 1 from postiz.bi_post_metrics_daily $$, '42501', null, 'anon cannot use the BI views');

-- The cadence is a setting --------------------------------------------------------------------------

select tests.authenticate_as_service_role();
select throws_ok(
  $$ select postiz_private.service_set_analytics_cadence(array['6 hours', '1 hour']::interval[]) $$,
  '22023', 'analytics.post_cadence_hours must list at least one number of hours, each larger than the one before',
  'a cadence out of order is refused, naming the setting'
);
select lives_ok(
  $$ select postiz_private.service_set_analytics_cadence(array['2 hours', '3 days']::interval[]) $$,
  'the worker writes the configured cadence'
);
insert into postiz.posts (id, workspace_id, content) values
  ('bbbbbbbb-0000-4000-8000-0000000000b2', 'bbbbbbbb-0000-4000-8000-000000000000', 'second post of B');
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id, status, published_at, external_id) values
  ('bbbbbbbb-0000-4000-8000-0000000000e8', 'bbbbbbbb-0000-4000-8000-000000000000',
   'bbbbbbbb-0000-4000-8000-0000000000b2', 'bbbbbbbb-0000-4000-8000-0000000000ac', 'published', '2026-11-05 08:00Z', 'r-b2');
select results_eq(
  $$ select next_fetch_at from postiz.analytics_watches where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8' $$,
  $$ values ('2026-11-05 10:00Z'::timestamptz) $$,
  'a new post is first read at the cadence''s first step'
);
select postiz_private.service_record_analytics(w.id, w.lease_until, '2026-11-05 10:00Z', '{"likes": 1}', '{}')
from postiz.analytics_watches w where w.target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8';
select results_eq(
  $$ select next_fetch_at, state::text from postiz.analytics_watches where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8' $$,
  $$ values ('2026-11-08 08:00Z'::timestamptz, 'active') $$,
  'then at its second'
);
select postiz_private.service_record_analytics(w.id, w.lease_until, '2026-11-08 08:00Z', '{"likes": 2}', '{}')
from postiz.analytics_watches w where w.target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8';
select results_eq(
  $$ select next_fetch_at, state::text from postiz.analytics_watches where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8' $$,
  $$ values (null::timestamptz, 'done') $$,
  'and after the last, reads stop'
);

-- Only the holder of a watch's lease moves it -----------------------------------------------------

select tests.authenticate_as_service_role();
update postiz.analytics_watches
set step = 0, state = 'active', next_fetch_at = '2026-11-05 10:00Z', lease_until = null
where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8';
create temp table first_claim as
  select watch_id, lease_until from postiz_private.service_claim_analytics(100, 60)
  where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8';
-- The first worker's fetch outlives its lease; another worker claims the watch.
update postiz.analytics_watches set lease_until = now() - interval '1 second'
where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8';
create temp table second_claim as
  select watch_id, lease_until from postiz_private.service_claim_analytics(100, 120)
  where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8';
select ok(
  (select f.lease_until <> s.lease_until from first_claim f, second_claim s),
  'a claim returns the lease it took, and a later claim takes another'
);
select postiz_private.service_analytics_failed(f.watch_id, f.lease_until, 'gone', 'stale', now()) from first_claim f;
select results_eq(
  $$ select state::text, last_error from postiz.analytics_watches where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8' $$,
  $$ values ('active', null::text) $$,
  'a failure reported under an expired lease changes nothing'
);
select postiz_private.service_record_analytics(s.watch_id, s.lease_until, '2026-11-05 10:00Z', '{"likes": 5}', '{}') from second_claim s;
select results_eq(
  $$ select step::int, next_fetch_at, lease_until from postiz.analytics_watches where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8' $$,
  $$ values (1, '2026-11-08 08:00Z'::timestamptz, null::timestamptz) $$,
  'the holder''s reading moves the watch one step and frees it'
);
select postiz_private.service_record_analytics(f.watch_id, f.lease_until, '2026-11-05 10:20Z', '{"likes": 6}', '{}') from first_claim f;
select results_eq(
  $$ select step::int, next_fetch_at from postiz.analytics_watches where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8' $$,
  $$ values (1, '2026-11-08 08:00Z'::timestamptz) $$,
  'a reading recorded under an expired lease does not move the watch again'
);
select results_eq(
  $$ select value::int from postiz.analytics_events
     where target_id = 'bbbbbbbb-0000-4000-8000-0000000000e8' and metric = 'likes' and bucket_start = '2026-11-05 10:00Z' $$,
  $$ values (6) $$,
  'but its numbers, a true later reading of the hour, are kept'
);

-- A plan without analytics ------------------------------------------------------------------------

select tests.authenticate_as_service_role();
insert into postiz.plans (code, name, analytics_enabled) values ('no-analytics', 'No analytics', false);
update postiz.workspaces set plan = 'no-analytics' where id = 'aaaaaaaa-0000-4000-8000-000000000000';
update postiz.analytics_watches set next_fetch_at = now() - interval '1 second' where state = 'active';
select is_empty(
  $$ select 1 from postiz_private.service_claim_analytics(100, 60) where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' $$,
  'the worker fetches nothing for a workspace whose plan has no analytics'
);
select tests.authenticate_as('alice');
select is_empty($$ select 1 from postiz.analytics_daily $$, 'and its members see no analytics rows');

select * from finish();
rollback;
