-- A round's readings recorded at once (service_record_analytics_batch) end exactly as the same
-- readings recorded one by one (service_record_analytics): the same daily rows, rollups, raw
-- numbers and watch steps. Workspace A records through the batch, B the same readings one by one.
begin;
select plan(12);

do $$
begin
  perform tests.create_supabase_user('alice', 'alice@example.com');
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by, time_zone) values
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A', 'batch-a', tests.get_supabase_uid('alice'), 'Europe/Paris'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B', 'batch-b', tests.get_supabase_uid('alice'), 'Europe/Paris');
insert into postiz.social_accounts (id, workspace_id, network, external_account_id) values
  ('aaaaaaaa-0000-4000-8000-0000000000ac', 'aaaaaaaa-0000-4000-8000-000000000000', 'x', 'a-1'),
  ('bbbbbbbb-0000-4000-8000-0000000000ac', 'bbbbbbbb-0000-4000-8000-000000000000', 'x', 'b-1');
insert into postiz.posts (id, workspace_id, content) values
  ('aaaaaaaa-0000-4000-8000-0000000000b1', 'aaaaaaaa-0000-4000-8000-000000000000', 'first'),
  ('aaaaaaaa-0000-4000-8000-0000000000b2', 'aaaaaaaa-0000-4000-8000-000000000000', 'second'),
  ('bbbbbbbb-0000-4000-8000-0000000000b1', 'bbbbbbbb-0000-4000-8000-000000000000', 'first'),
  ('bbbbbbbb-0000-4000-8000-0000000000b2', 'bbbbbbbb-0000-4000-8000-000000000000', 'second');
insert into postiz.post_targets (id, workspace_id, post_id, social_account_id, status, published_at, external_id)
select (ws || '-0000-4000-8000-0000000000e' || n)::uuid, (ws || '-0000-4000-8000-000000000000')::uuid,
       (ws || '-0000-4000-8000-0000000000b' || n)::uuid, (ws || '-0000-4000-8000-0000000000ac')::uuid, 'published', '2026-11-01 08:00Z', ws || n
from unnest(array['aaaaaaaa', 'bbbbbbbb']) ws, unnest(array['1', '2']) n;

-- The claims each worker holds: every watch of both workspaces, due now.
update postiz.analytics_watches set next_fetch_at = now() - interval '1 second', lease_until = null;
create temp table claimed as select watch_id, workspace_id, target_id, lease_until from postiz_private.service_claim_analytics(100, 60);
select results_eq($$ select count(*)::int from claimed $$, $$ values (6) $$, 'two posts and an account per workspace are claimed');

-- The readings: per post two metrics, per account followers; the second post's reading comes
-- from a worker whose lease ran out (its numbers count, its watch is not moved).
create temp table readings as
select c.watch_id, c.workspace_id,
       case when c.target_id::text like '%e2' then c.lease_until - interval '1 minute' else c.lease_until end as lease,
       case when c.target_id is null then '2026-11-02 09:00Z'::timestamptz else '2026-11-01 22:30Z'::timestamptz end as observed,
       case when c.target_id is null then '{"followers": 120}'::jsonb
            when c.target_id::text like '%e1' then '{"likes": 4, "impressions": 100}'::jsonb
            else '{"likes": 7}'::jsonb end as metrics,
       jsonb_build_object('seen', c.watch_id) as raw
from claimed c;

select results_eq(
  $$ select postiz_private.service_record_analytics_batch(
       array_agg(watch_id order by watch_id) || gen_random_uuid(), array_agg(lease order by watch_id) || now(),
       array_agg(observed order by watch_id) || now(), array_agg(metrics order by watch_id) || '{}'::jsonb,
       array_agg(raw order by watch_id) || '{}'::jsonb)
     from readings where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' $$,
  $$ values (3) $$,
  'A''s three readings are recorded in one call; a watch removed meanwhile is skipped'
);
select lives_ok(
  $$ select count(postiz_private.service_record_analytics(watch_id, lease, observed, metrics, raw))
     from readings where workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000' $$,
  'B''s same readings are recorded one by one'
);

-- Both end alike (compared with the workspace and ids taken out).
create temp view ended as
select left(d.workspace_id::text, 8) as ws, right(coalesce(d.target_id::text, 'account'), 2) as subject, d.metric::text, d.day, d.level, d.gain
from postiz.analytics_daily d;
select set_eq(
  $$ select subject, metric, day, level, gain from ended where ws = 'aaaaaaaa' $$,
  $$ select subject, metric, day, level, gain from ended where ws = 'bbbbbbbb' $$,
  'the daily rows are the same'
);
select results_eq(
  $$ select count(*)::int from ended where ws = 'aaaaaaaa' $$, $$ values (4) $$, 'and there are some: likes and impressions of the first, likes of the second, followers'
);
select set_eq(
  $$ select metric::text, day, gain from postiz.analytics_rollups where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' $$,
  $$ select metric::text, day, gain from postiz.analytics_rollups where workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000' $$,
  'the rollups are the same'
);
select results_eq(
  $$ select sum(gain)::int from postiz.analytics_rollups where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' and metric = 'likes' $$,
  $$ values (11) $$,
  'the likes of both posts are in the account''s rollup (4 + 7, the stale lease''s reading counts)'
);
select set_eq(
  $$ select right(w.target_id::text, 2) as post, w.step, w.state::text as state, w.next_fetch_at - w.published_at as next_after,
            w.lease_until is null as freed
     from postiz.analytics_watches w where w.workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' and w.target_id is not null $$,
  $$ select right(w.target_id::text, 2) as post, w.step, w.state::text as state, w.next_fetch_at - w.published_at as next_after,
            w.lease_until is null as freed
     from postiz.analytics_watches w where w.workspace_id = 'bbbbbbbb-0000-4000-8000-000000000000' and w.target_id is not null $$,
  'the posts'' watches moved the same way (only the lease holder''s)'
);
select results_eq(
  $$ select right(target_id::text, 2), lease_until is null from postiz.analytics_watches
     where workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' and target_id is not null order by target_id $$,
  $$ values ('e1', true), ('e2', false) $$,
  'the holder''s watch is freed, the one recorded under an expired lease is left to its holder'
);
select results_eq(
  $$ select next_fetch_at, raw ? 'seen' from postiz.analytics_watches w
     join postiz.analytics_snapshots s on s.social_account_id = w.social_account_id and s.target_id is null
     where w.workspace_id = 'aaaaaaaa-0000-4000-8000-000000000000' and w.target_id is null $$,
  $$ values ('2026-11-03 09:00Z'::timestamptz, true) $$,
  'the account is read again a day later, its raw numbers kept'
);

select throws_ok(
  $$ select postiz_private.service_record_analytics_batch(array[gen_random_uuid()], array[]::timestamptz[], array[now()], array['{}'::jsonb], array['{}'::jsonb]) $$,
  '22023', 'one lease, time, metrics and raw value per watch',
  'arrays of different lengths are refused'
);
select throws_ok(
  $$ select postiz_private.service_record_analytics_batch(array[gen_random_uuid()], array[now()], array[null::timestamptz], array['{}'::jsonb], array['{}'::jsonb]) $$,
  '22023', 'every reading names its watch and when it was read',
  'a reading without its time is refused'
);

select * from finish();
rollback;
