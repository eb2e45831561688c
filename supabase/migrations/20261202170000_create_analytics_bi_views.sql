-- Views for BI tools (Metabase, Lightdash, dbt, Supabase's own SQL editor): the analytics in
-- plain, named columns, one view per grain. security_invoker, as every postiz view: a query
-- sees exactly the rows its caller may see under the tables' RLS (members of a workspace whose
-- plan includes analytics). docs/ANALYTICS.md says how to point a BI tool at them.

-- Views -----------------------------------------------------------------------------------------

/* Per post target, metric and workspace day: the last value that day and what it gained. */
create view postiz.bi_post_metrics_daily
with (security_invoker = true)
as
  select d.day, d.workspace_id, w.name as workspace, a.network, a.id as account_id, a.handle,
         t.post_id, d.target_id, left(p.content, 280) as content_preview, t.published_at,
         d.metric::text as metric, d.level, d.gain
  from postiz.analytics_daily d
  join postiz.workspaces w on w.id = d.workspace_id
  join postiz.social_accounts a on a.id = d.social_account_id
  join postiz.post_targets t on t.id = d.target_id
  join postiz.posts p on p.id = t.post_id;

/* Per account, metric and day: the account's own numbers (followers, following, posts). */
create view postiz.bi_account_metrics_daily
with (security_invoker = true)
as
  select d.day, d.workspace_id, w.name as workspace, a.network, a.id as account_id, a.handle,
         d.metric::text as metric, d.level, d.gain
  from postiz.analytics_daily d
  join postiz.workspaces w on w.id = d.workspace_id
  join postiz.social_accounts a on a.id = d.social_account_id
  where d.target_id is null;

/* Per workspace (and network), metric and day: the gains added up. */
create view postiz.bi_workspace_metrics_daily
with (security_invoker = true)
as
  select r.day, r.workspace_id, w.name as workspace, nullif(r.scope_key, '') as network,
         r.metric::text as metric, r.gain
  from postiz.analytics_rollups r
  join postiz.workspaces w on w.id = r.workspace_id
  where r.scope in ('workspace', 'network');

/* Every reading as recorded (hourly at most), with the post and account it belongs to. */
create view postiz.bi_metric_readings
with (security_invoker = true)
as
  select e.observed_at, e.bucket_start, e.workspace_id, a.network, a.id as account_id, a.handle,
         t.post_id, e.target_id, e.metric::text as metric, e.value
  from postiz.analytics_events e
  join postiz.social_accounts a on a.id = e.social_account_id
  left join postiz.post_targets t on t.id = e.target_id;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.bi_post_metrics_daily, postiz.bi_account_metrics_daily,
  postiz.bi_workspace_metrics_daily, postiz.bi_metric_readings from public, anon, authenticated, service_role;
grant select on table postiz.bi_post_metrics_daily, postiz.bi_account_metrics_daily,
  postiz.bi_workspace_metrics_daily, postiz.bi_metric_readings to authenticated, service_role;
