-- The post cadence becomes a setting: the hours after publishing at which a post's numbers are
-- read live in a table the worker writes from its configuration (`[analytics]
-- post_cadence_hours`) when it starts, instead of a constant in a function. Every worker, the
-- triggers that start watches and the function that advances them read the same table.
-- Watches already waiting keep their next time; the new steps apply from their next reading.

-- Tables ----------------------------------------------------------------------------------------

create table postiz.analytics_cadence (
  step smallint primary key check (step >= 1),
  after_publishing interval not null check (after_publishing > interval '0')
);
comment on table postiz.analytics_cadence is
  'When a post''s numbers are read, as offsets from publishing, in order. Written by the worker from [analytics] post_cadence_hours.';
insert into postiz.analytics_cadence (step, after_publishing) values
  (1, '1 hour'), (2, '6 hours'), (3, '24 hours'), (4, '3 days'), (5, '7 days'), (6, '30 days');

-- Functions -------------------------------------------------------------------------------------

/* The post cadence, in order (see postiz.analytics_cadence). Security definer: the table is the worker's. */
create or replace function postiz_private.analytics_post_cadence()
returns interval[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(c.after_publishing order by c.step), array['1 hour']::interval[])
  from postiz.analytics_cadence c
$$;

/*
 * Replaces the cadence with `offsets` (ascending, positive, at least one). Refuses anything
 * else with a message naming the setting.
 */
create function postiz_private.service_set_analytics_cadence(offsets interval[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if cardinality(offsets) = 0 or exists (
    select 1 from unnest(offsets) with ordinality o(v, i)
    where o.v <= interval '0' or (o.i > 1 and o.v <= offsets[o.i - 1])
  ) then
    raise exception 'analytics.post_cadence_hours must list at least one number of hours, each larger than the one before'
      using errcode = '22023';
  end if;
  delete from postiz.analytics_cadence;
  insert into postiz.analytics_cadence (step, after_publishing)
  select o.i, o.v from unnest(offsets) with ordinality o(v, i);
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.analytics_cadence from public, anon, authenticated, service_role;
grant select, insert, update, delete on table postiz.analytics_cadence to service_role;
revoke all on function postiz_private.service_set_analytics_cadence(interval[]) from public, anon, authenticated;
grant execute on function postiz_private.service_set_analytics_cadence(interval[]) to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.analytics_cadence enable row level security;
alter table postiz.analytics_cadence force row level security;
-- No policy for any client role: only the worker (service_role) reads and writes it.
