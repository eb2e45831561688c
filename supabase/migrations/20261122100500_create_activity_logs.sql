-- The activity log: who did what in a workspace.
--
-- User actions are recorded by the triggers below, for any write made with a user's claims
-- (auth.uid() set: the browser through the Data API, or our API acting for the user):
--   post.created, post.edited, post.scheduled, post.canceled, post.deleted,
--   account.connected, account.reconnected, account.disconnected,
--   member.added, member.removed, member.role_changed.
-- System actions (publish results, token refreshes) are inserted by the worker as service_role
-- with actor_kind 'system'. Clients can only read the log.

-- Tables ----------------------------------------------------------------------------------------

create table postiz.activity_logs (
  id bigint generated always as identity primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  -- Null for system actions, and for users deleted since.
  actor_id uuid references auth.users (id) on delete set null,
  actor_kind text not null default 'system' check (actor_kind in ('user', 'system')),
  action text not null check (action ~ '^[a-z_]+\.[a-z_]+$'),
  entity_type text not null check (entity_type ~ '^[a-z_]+$'),
  entity_id uuid,
  details jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
  created_at timestamptz not null default now()
);
create index activity_logs_workspace_id_created_at_idx on postiz.activity_logs (workspace_id, created_at desc);
create index activity_logs_actor_id_idx on postiz.activity_logs (actor_id);

-- Recording -------------------------------------------------------------------------------------

/*
 * Appends a user action, if there is a user (auth.uid()) and the workspace still exists: when a
 * whole workspace is deleted, the cascade removes its rows after the workspace row, and those
 * removals are not worth a log line (the log goes with the workspace).
 */
create function postiz_private.record_activity(
  ws uuid,
  action text,
  entity_type text,
  entity_id uuid,
  details jsonb default '{}'
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
begin
  if uid is null or not exists (select 1 from postiz.workspaces w where w.id = ws) then
    return;
  end if;
  insert into postiz.activity_logs (workspace_id, actor_id, actor_kind, action, entity_type, entity_id, details)
  values (ws, uid, 'user', action, entity_type, entity_id, coalesce(details, '{}'));
end;
$$;

create function postiz_private.log_post_activity()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform postiz_private.record_activity(new.workspace_id, 'post.created', 'post', new.id,
      jsonb_build_object('status', new.status, 'scheduled_at', new.scheduled_at));
  elsif tg_op = 'DELETE' then
    perform postiz_private.record_activity(old.workspace_id, 'post.deleted', 'post', old.id,
      jsonb_build_object('status', old.status));
  elsif new.status is distinct from old.status and new.status = 'scheduled' then
    perform postiz_private.record_activity(new.workspace_id, 'post.scheduled', 'post', new.id,
      jsonb_build_object('from', old.status, 'scheduled_at', new.scheduled_at));
  elsif new.status is distinct from old.status and new.status = 'canceled' then
    perform postiz_private.record_activity(new.workspace_id, 'post.canceled', 'post', new.id,
      jsonb_build_object('from', old.status));
  elsif (new.content, new.metadata, new.scheduled_at, new.status)
        is distinct from (old.content, old.metadata, old.scheduled_at, old.status) then
    perform postiz_private.record_activity(new.workspace_id, 'post.edited', 'post', new.id,
      jsonb_build_object('status', new.status, 'scheduled_at', new.scheduled_at));
  end if;
  return null;
end;
$$;

create function postiz_private.log_social_account_activity()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform postiz_private.record_activity(new.workspace_id, 'account.connected', 'social_account', new.id,
      jsonb_build_object('network', new.network, 'handle', new.handle));
  elsif tg_op = 'DELETE' then
    perform postiz_private.record_activity(old.workspace_id, 'account.disconnected', 'social_account', old.id,
      jsonb_build_object('network', old.network, 'handle', old.handle, 'removed', true));
  elsif new.status is distinct from old.status and new.status in ('revoked', 'disabled') then
    perform postiz_private.record_activity(new.workspace_id, 'account.disconnected', 'social_account', new.id,
      jsonb_build_object('network', new.network, 'handle', new.handle, 'status', new.status));
  elsif new.status is distinct from old.status and new.status = 'active' then
    perform postiz_private.record_activity(new.workspace_id, 'account.reconnected', 'social_account', new.id,
      jsonb_build_object('network', new.network, 'handle', new.handle));
  end if;
  return null;
end;
$$;

create function postiz_private.log_member_activity()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform postiz_private.record_activity(new.workspace_id, 'member.added', 'member', new.user_id,
      jsonb_build_object('role', new.role));
  elsif tg_op = 'DELETE' then
    perform postiz_private.record_activity(old.workspace_id, 'member.removed', 'member', old.user_id,
      jsonb_build_object('role', old.role));
  elsif new.role is distinct from old.role then
    perform postiz_private.record_activity(new.workspace_id, 'member.role_changed', 'member', new.user_id,
      jsonb_build_object('from', old.role, 'to', new.role));
  end if;
  return null;
end;
$$;

create trigger posts_log_activity after insert or update or delete on postiz.posts
  for each row execute function postiz_private.log_post_activity();
create trigger social_accounts_log_activity after insert or update of status or delete on postiz.social_accounts
  for each row execute function postiz_private.log_social_account_activity();
create trigger workspace_members_log_activity after insert or update of role or delete on postiz.workspace_members
  for each row execute function postiz_private.log_member_activity();

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.activity_logs from public, anon, authenticated, service_role;
grant select on table postiz.activity_logs to authenticated;
grant select, insert, update, delete on table postiz.activity_logs to service_role;

revoke all on function postiz_private.record_activity(uuid, text, text, uuid, jsonb) from public, anon, authenticated, service_role;
revoke all on function postiz_private.log_post_activity() from public, anon, authenticated, service_role;
revoke all on function postiz_private.log_social_account_activity() from public, anon, authenticated, service_role;
revoke all on function postiz_private.log_member_activity() from public, anon, authenticated, service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.activity_logs enable row level security;
alter table postiz.activity_logs force row level security;

create policy "Members can view their workspace's activity" on postiz.activity_logs
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));
