-- "Invite received": a person who already has an account hears of an invitation to another
-- workspace in the inbox and by email, as their preferences say.
--
-- The inbox is per person and workspace, and the invitee is not yet a member of the workspace
-- that invites them, so the notification goes to the inbox of each workspace they already belong
-- to (their preference for 'invite_received' in that workspace decides, off meaning none there).
-- Never two emails for one event: only the first of those workspaces (oldest membership first)
-- whose preference is email or digest gets it that way; the others list it in the inbox only.
-- An invitee without an account, or with one but no workspace yet, hears of it as before
-- (Supabase Auth's invite email, or the invitations listed in the module).
--
-- Written by a trigger on postiz.workspace_invites, in the transaction that creates the
-- invitation (any path: the API, host SQL). Accepting the invitation marks these notifications
-- read; withdrawing it (delete) removes them with their unsent emails.

-- Enums -----------------------------------------------------------------------------------------

alter type postiz.notification_kind add value if not exists 'invite_received';

-- Helpers ---------------------------------------------------------------------------------------

/*
 * Writes one notification for `recipient` in `ws` delivered as `chosen` (never 'off'), with the
 * email row and its pgmq message (queue `notify`) for 'email'. `event_key` makes a repeat a
 * no-op. Returns the notification id (null when it was a repeat). The one writer of
 * notifications: postiz_private.notify (which reads the recipient's preference first) and the
 * invite trigger call it. One insert (two more for an email).
 */
create function postiz_private.deliver_notification(
  ws uuid,
  recipient uuid,
  kind postiz.notification_kind,
  chosen postiz.notification_delivery,
  post uuid,
  account uuid,
  details jsonb,
  event_key text
)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  nid bigint;
  eid bigint;
begin
  insert into postiz.notifications (workspace_id, user_id, kind, delivery, post_id, social_account_id, details, event_key)
  values (ws, recipient, deliver_notification.kind, chosen, post, account, coalesce(details, '{}'), deliver_notification.event_key)
  on conflict (workspace_id, user_id, event_key) do nothing
  returning id into nid;
  if nid is not null and chosen = 'email' then
    insert into postiz.notification_emails (workspace_id, user_id, notification_id)
    values (ws, recipient, nid) returning id into eid;
    perform pgmq.send('notify', jsonb_build_object('job', 'send_notification_email', 'v', 1,
                                                   'data', jsonb_build_object('email_id', eid)));
  end if;
  return nid;
end;
$$;

/* As before (20261204000000_create_notifications.sql), now writing through deliver_notification. */
create or replace function postiz_private.notify(
  ws uuid,
  recipient uuid,
  kind postiz.notification_kind,
  post uuid,
  account uuid,
  details jsonb default '{}',
  event_key text default null
)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  chosen postiz.notification_delivery;
begin
  if recipient is null or not exists (select 1 from postiz.workspace_members m
                                      where m.workspace_id = ws and m.user_id = recipient) then
    return null;
  end if;
  select p.delivery into chosen from postiz.notification_preferences p
  where p.user_id = recipient and p.workspace_id = ws and p.kind = notify.kind;
  chosen := coalesce(chosen, postiz_private.default_notification_delivery(notify.kind));
  if chosen = 'off' then
    return null;
  end if;
  return postiz_private.deliver_notification(ws, recipient, notify.kind, chosen, post, account, details, notify.event_key);
end;
$$;

-- Event triggers --------------------------------------------------------------------------------

/*
 * A new invitation addressed to a confirmed account: a notification in each of the invitee's
 * workspaces other than the inviting one, as described at the top. Cost: one lookup of the
 * address, then one preference lookup and one insert per workspace of the invitee.
 */
create function postiz_private.notify_invite_received()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  invitee uuid;
  facts jsonb;
  m record;
  chosen postiz.notification_delivery;
  emailed boolean := false;
begin
  select u.id into invitee from auth.users u
  where lower(u.email) = lower(new.email) and u.email_confirmed_at is not null and u.deleted_at is null
  limit 1;
  if invitee is null then
    return null;
  end if;
  select jsonb_strip_nulls(jsonb_build_object(
           'invite_id', new.id,
           'workspace_name', w.name,
           'role', new.role,
           'invited_by', (select coalesce(nullif(btrim(u.raw_user_meta_data ->> 'full_name'), ''),
                                          nullif(btrim(u.raw_user_meta_data ->> 'name'), ''),
                                          u.email::text)
                          from auth.users u where u.id = new.invited_by),
           'expires_at', new.expires_at))
  into facts
  from postiz.workspaces w where w.id = new.workspace_id;
  for m in
    select wm.workspace_id, p.delivery
    from postiz.workspace_members wm
    left join postiz.notification_preferences p
      on p.user_id = wm.user_id and p.workspace_id = wm.workspace_id and p.kind = 'invite_received'
    where wm.user_id = invitee and wm.workspace_id <> new.workspace_id
    order by wm.created_at, wm.workspace_id
  loop
    chosen := coalesce(m.delivery, postiz_private.default_notification_delivery('invite_received'));
    continue when chosen = 'off';
    if chosen in ('email', 'digest') then
      if emailed then
        chosen := 'in_app';
      else
        emailed := true;
      end if;
    end if;
    perform postiz_private.deliver_notification(m.workspace_id, invitee, 'invite_received', chosen, null, null, facts,
                                                format('invite_received:%s', new.id));
  end loop;
  return null;
end;
$$;

create trigger workspace_invites_notify_received after insert on postiz.workspace_invites
  for each row execute function postiz_private.notify_invite_received();

/* An accepted invitation's notices are read; a withdrawn one's are gone (with unsent emails). */
create function postiz_private.settle_invite_notifications()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  invite postiz.workspace_invites;
  invitee uuid;
begin
  if tg_op = 'DELETE' then
    invite := old;
  else
    invite := new;
  end if;
  select u.id into invitee from auth.users u
  where lower(u.email) = lower(invite.email) and u.email_confirmed_at is not null and u.deleted_at is null
  limit 1;
  if invitee is null then
    return null;
  end if;
  if tg_op = 'DELETE' then
    delete from postiz.notifications n
    where n.user_id = invitee and n.event_key = format('invite_received:%s', invite.id);
  else
    update postiz.notifications n set read_at = now()
    where n.user_id = invitee and n.event_key = format('invite_received:%s', invite.id) and n.read_at is null;
  end if;
  return null;
end;
$$;

create trigger workspace_invites_settle_notifications_on_accept after update of accepted_at on postiz.workspace_invites
  for each row when (old.accepted_at is null and new.accepted_at is not null)
  execute function postiz_private.settle_invite_notifications();
create trigger workspace_invites_settle_notifications_on_delete after delete on postiz.workspace_invites
  for each row when (old.accepted_at is null)
  execute function postiz_private.settle_invite_notifications();

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.deliver_notification(uuid, uuid, postiz.notification_kind, postiz.notification_delivery, uuid, uuid, jsonb, text)
  from public, anon, authenticated, service_role;
revoke all on function postiz_private.notify_invite_received() from public, anon, authenticated, service_role;
revoke all on function postiz_private.settle_invite_notifications() from public, anon, authenticated, service_role;
