//! The analytics queries, shared by the module API (`postiz-api`, run as the caller under RLS)
//! and `cargo xtask bench analytics` (which times them as `authenticated` and as
//! `service_role`). Parameters are listed with each.

/// Gains per scope (`workspace`, `network`), metric and day, added up from the accounts' rows
/// of `analytics_rollups` (an account belongs to one workspace and one network).
/// `$1` workspace, `$2` first day, `$3` last day.
pub const OVERVIEW_ROLLUPS: &str = "with per_network as (
               select a.network, r.metric, r.day, sum(r.gain) as gain
               from postiz.analytics_rollups r
               join postiz.social_accounts a on a.workspace_id = r.workspace_id and a.id = r.social_account_id
               where r.workspace_id = $1 and r.day between $2 and $3
               group by a.network, r.metric, r.day
             )
             select 'network', network, metric::text, day, gain::bigint from per_network
             union all
             select 'workspace', '', metric::text, day, sum(gain)::bigint from per_network group by metric, day";

/// An account's gains by day. `$1` workspace, `$2` account, `$3` first day, `$4` last day.
pub const ACCOUNT_GAINS: &str = "select day, metric::text, gain::bigint from postiz.analytics_rollups
             where workspace_id = $1 and social_account_id = $2 and day between $3 and $4";

/// Posts published in a range ranked by the latest value of a metric, added up over their
/// targets. `$1` workspace, `$2` first day, `$3` last day, `$4` zone, `$5` metric, `$6` limit.
pub const TOP_POSTS: &str = "with ranked as (
               select t.post_id, sum(l.level)::bigint as value
               from postiz.analytics_latest l
               join postiz.post_targets t on t.id = l.target_id
               where l.workspace_id = $1 and l.target_id is not null and l.metric = $5::text::postiz.analytics_metric
                 and l.published_at >= ($2::date::timestamp at time zone $4)
                 and l.published_at < (($3::date + 1)::timestamp at time zone $4)
               group by t.post_id
               order by value desc, t.post_id
               limit $6
             )
             select r.post_id, left(p.content, 280), r.value,
                    (select min(t.published_at) from postiz.post_targets t where t.workspace_id = $1 and t.post_id = r.post_id),
                    (select array_agg(distinct a.network order by a.network) from postiz.post_targets t
                     join postiz.social_accounts a on a.id = t.social_account_id where t.workspace_id = $1 and t.post_id = r.post_id),
                    (select jsonb_object_agg(m.metric, m.value) from (
                       select l.metric::text as metric, sum(l.level)::bigint as value
                       from postiz.post_targets t join postiz.analytics_latest l on l.subject_id = t.id
                       where t.workspace_id = $1 and t.post_id = r.post_id group by l.metric) m)
             from ranked r join postiz.posts p on p.workspace_id = $1 and p.id = r.post_id
             order by r.value desc, r.post_id";

/// Engagement and impressions of the posts published in a range, by ISO weekday and hour of
/// publishing in the zone. `$1` workspace, `$2` first day, `$3` last day, `$4` zone,
/// `$5` the engagement metrics (text[]).
pub const BEST_TIME: &str = "with per_target as (
               select l.subject_id, min(l.published_at) as published_at,
                      coalesce(sum(l.level) filter (where l.metric::text = any($5)), 0) as engagement,
                      coalesce(sum(l.level) filter (where l.metric = 'impressions'), 0) as impressions
               from postiz.analytics_latest l
               where l.workspace_id = $1 and l.target_id is not null
                 and l.published_at >= ($2::date::timestamp at time zone $4)
                 and l.published_at < (($3::date + 1)::timestamp at time zone $4)
               group by l.subject_id
             )
             select extract(isodow from published_at at time zone $4)::int, extract(hour from published_at at time zone $4)::int,
                    count(*), sum(engagement)::bigint, sum(impressions)::bigint
             from per_target
             group by 1, 2";

/// Every reading of some targets, oldest first. `$1` workspace, `$2` target ids (uuid[]). The
/// workspace is matched on the targets (a post's readings are in its target's workspace and have
/// the target as their subject): on the readings, the planner multiplied it with the RLS
/// condition into a tiny estimate and and-ed a scan of the workspace's whole history.
pub const TARGET_READINGS: &str = "select e.target_id, e.observed_at, e.metric::text, e.value::bigint
             from postiz.post_targets t
             join postiz.analytics_events e on e.subject_id = t.id
             where t.workspace_id = $1 and t.id = any($2)
             order by e.subject_id, e.bucket_start";

/// An account's own numbers by day (its growth curve). `$1` workspace, `$2` account,
/// `$3` first day, `$4` last day.
pub const ACCOUNT_LEVELS: &str = "select day, metric::text, level::bigint from postiz.analytics_daily
             where workspace_id = $1 and subject_id = $2 and day between $3 and $4 order by day";
