-- postiz.calendar_entries in PL/pgSQL, so that its plan is cached per session.
--
-- As a `language sql` function with `set search_path` it cannot be inlined, and its query was
-- planned again at every call (about 0.4 ms of a ~0.7 ms call at 10k posts in
-- `cargo xtask bench calendar`). Same signature, same rows, same order; `create or replace`
-- keeps the grants. Still security invoker: RLS applies to the caller.

/*
 * The calendar: posts of workspace `ws` due in [from_ts, to_ts), one row per target (a post with
 * no target yet gives one row with null target and account columns), in time order.
 * Security invoker, so RLS applies: a caller who is not a member gets no rows.
 * Plan: range scan of posts (workspace_id, scheduled_at), then targets through
 * (workspace_id, post_id, social_account_id) and accounts by id; each table's policy adds one
 * initPlan (the caller's workspaces), not a per-row check.
 * Measured by `cargo xtask bench calendar`.
 */
create or replace function postiz.calendar_entries(ws uuid, from_ts timestamptz, to_ts timestamptz)
returns table (
  post_id uuid,
  post_status postiz.post_status,
  scheduled_at timestamptz,
  content_preview text,
  target_id uuid,
  target_status postiz.target_status,
  external_url text,
  social_account_id uuid,
  network text,
  handle text,
  display_name text,
  avatar_url text
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return query
    select p.id, p.status, p.scheduled_at, left(p.content, 280),
           t.id, t.status, t.external_url,
           a.id, a.network, a.handle, a.display_name, a.avatar_url
    from postiz.posts p
    left join postiz.post_targets t on t.workspace_id = p.workspace_id and t.post_id = p.id
    left join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
    where p.workspace_id = ws
      and p.scheduled_at >= from_ts
      and p.scheduled_at < to_ts
    order by p.scheduled_at, p.id, a.network, a.id;
end;
$$;
