-- Notifications: an in-app inbox per person and workspace, and email through the worker.
--
-- Every notification is written by the transaction that causes its event, by a trigger on the
-- table where the event happens, so no path (the API, the worker, host SQL through RLS) can
-- change a post or an account without telling the people concerned, and a rolled-back change
-- tells nobody:
--   approval_requested       a post waits for a decision: the members who may decide its open
--                            steps (deferred to commit, when its targets are known; again for
--                            the next step once a step is satisfied)
--   approval_decided         a reviewer approved, rejected or asked for changes: the author
--   post_failed              a target failed: the author (no author: the admins and owners)
--   post_unconfirmed         a target's outcome is unknown and needs a person: the same
--   post_published           a target was published (opt-in): the same
--   account_needs_reconnect  an account's token was refused: the admins and owners
--
-- Each person chooses per kind (postiz.notification_preferences): off, in_app (the inbox only),
-- email (the inbox and an email at once) or digest (the inbox and a daily email). A kind without
-- a row uses postiz_private.default_notification_delivery.
--
-- Emails: an email row (postiz.notification_emails, service only) and a pgmq message on queue
-- `notify` are written with the notification; the worker sends it and records the outcome. The
-- row's status is the idempotency record: the worker marks it `sending` and commits before the
-- SMTP transaction, and `sent` after; a row found `sending` by a later attempt (a crash after the
-- server may have accepted it) is marked `unconfirmed`, never sent twice. Digests are email rows
-- too, one per person, workspace and day (unique), built by
-- postiz_private.service_queue_digests.

-- Enums -----------------------------------------------------------------------------------------

create type postiz.notification_kind as enum (
  'approval_requested', 'approval_decided', 'post_failed', 'post_unconfirmed', 'post_published',
  'account_needs_reconnect'
);

create type postiz.notification_delivery as enum ('off', 'in_app', 'email', 'digest');

create type postiz.email_status as enum ('pending', 'sending', 'sent', 'failed', 'unconfirmed');

-- Tables ----------------------------------------------------------------------------------------

create table postiz.notifications (
  id bigint generated always as identity primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  -- The recipient.
  user_id uuid not null references auth.users (id) on delete cascade,
  kind postiz.notification_kind not null,
  -- How it was delivered, from the recipient's preference when it was written (never 'off').
  delivery postiz.notification_delivery not null check (delivery <> 'off'),
  post_id uuid,
  social_account_id uuid,
  -- What the inbox and the email say besides the post: network, error, decision, note, ….
  details jsonb not null default '{}' check (jsonb_typeof(details) = 'object'),
  -- Set for events that could be raised twice in one transaction (a deferred trigger fires per
  -- update): the second insert does nothing.
  event_key text,
  read_at timestamptz,
  -- The digest email that carried it (delivery 'digest').
  digest_email_id bigint,
  created_at timestamptz not null default now(),
  unique (workspace_id, user_id, event_key),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, social_account_id) references postiz.social_accounts (workspace_id, id) on delete cascade
);
-- The inbox: a person's notifications in a workspace, newest first, and the unread ones apart
-- (the count and the first page).
create index notifications_user_idx on postiz.notifications (user_id, workspace_id, id desc);
create index notifications_unread_idx on postiz.notifications (user_id, workspace_id, id desc) where read_at is null;
create index notifications_post_id_idx on postiz.notifications (post_id, workspace_id) where post_id is not null;
create index notifications_social_account_id_idx on postiz.notifications (social_account_id, workspace_id)
  where social_account_id is not null;
-- Digests to build: waiting rows per person.
create index notifications_digest_waiting_idx on postiz.notifications (workspace_id, user_id)
  where delivery = 'digest' and digest_email_id is null;
create index notifications_digest_email_id_idx on postiz.notifications (digest_email_id) where digest_email_id is not null;

create table postiz.notification_preferences (
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  kind postiz.notification_kind not null,
  delivery postiz.notification_delivery not null,
  updated_at timestamptz not null default now(),
  primary key (user_id, workspace_id, kind)
);
create index notification_preferences_workspace_id_idx on postiz.notification_preferences (workspace_id);

-- The email outbox, the worker's alone: one row per email (a notification's, or a day's digest).
create table postiz.notification_emails (
  id bigint generated always as identity primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Exactly one of: the notification it tells of, or the local day of a digest.
  notification_id bigint unique references postiz.notifications (id) on delete cascade,
  digest_day date,
  status postiz.email_status not null default 'pending',
  attempts integer not null default 0 check (attempts >= 0),
  sending_since timestamptz,
  sent_at timestamptz,
  -- The server's reply to the message (sent) or why it was not sent, for the operator.
  last_result text check (char_length(last_result) <= 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((notification_id is null) <> (digest_day is null)),
  unique (workspace_id, user_id, digest_day)
);
create index notification_emails_user_id_idx on postiz.notification_emails (user_id);

alter table postiz.notifications
  add foreign key (digest_email_id) references postiz.notification_emails (id) on delete set null;

-- Helpers ---------------------------------------------------------------------------------------

/* What a kind does for someone who has not chosen: email for what needs a person, off for the
 * published news (opt-in). */
create function postiz_private.default_notification_delivery(kind postiz.notification_kind)
returns postiz.notification_delivery
language sql
immutable
set search_path = ''
as $$
  select case kind when 'post_published' then 'off'::postiz.notification_delivery
                   else 'email'::postiz.notification_delivery end
$$;

/*
 * Notifies `recipient` of an event in workspace `ws`, as their preference for `kind` says: no
 * row for 'off' or for someone who is not a member; a notification otherwise; with 'email' also
 * the email row and its pgmq message (queue `notify`). `event_key` makes a repeat a no-op.
 * Returns the notification id (null when none was written). Called by the event triggers;
 * one preference lookup and one insert (two more for an email).
 */
create function postiz_private.notify(
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
  nid bigint;
  eid bigint;
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
  insert into postiz.notifications (workspace_id, user_id, kind, delivery, post_id, social_account_id, details, event_key)
  values (ws, recipient, notify.kind, chosen, post, account, coalesce(details, '{}'), notify.event_key)
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

/* Who hears about a post's targets: its author while a member, else the admins and owners. */
create function postiz_private.post_recipients(ws uuid, post uuid)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select m.user_id from postiz.posts p
  join postiz.workspace_members m on m.workspace_id = p.workspace_id and m.user_id = p.author_id
  where p.workspace_id = ws and p.id = post
  union all
  select m.user_id from postiz.workspace_members m
  where m.workspace_id = ws and m.role >= 'admin'
    and not exists (select 1 from postiz.posts p
                    join postiz.workspace_members a on a.workspace_id = p.workspace_id and a.user_id = p.author_id
                    where p.workspace_id = ws and p.id = post)
$$;

/*
 * Tells the members who may decide each open approval step of post `post` (its author only where
 * the policy allows self-approval; nobody who decided in this round) that it waits for them.
 * Keyed by post, round, policy and step, so a step is announced once per round. Cost: the post's
 * approval state plus one scan of the workspace's members per open step.
 */
create function postiz_private.notify_reviewers(ws uuid, post uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  p record;
  state jsonb;
  st jsonb;
  self_ok boolean;
  uid uuid;
begin
  select x.status, x.author_id, x.approval_round into p from postiz.posts x where x.workspace_id = ws and x.id = post;
  if not found or p.status <> 'pending_approval' then
    return;
  end if;
  state := postiz_private.approval_state(ws, post);
  if not (state ->> 'required')::boolean or (state ->> 'approved')::boolean or state -> 'blocked' <> 'null'::jsonb then
    return;
  end if;
  for st in select s from jsonb_array_elements(state -> 'steps') s where (s ->> 'open')::boolean loop
    select ap.allow_self_approval into self_ok from postiz.approval_policies ap where ap.id = (st ->> 'policy_id')::uuid;
    for uid in
      select m.user_id from postiz.workspace_members m
      where m.workspace_id = ws
        and ((st -> 'min_role' <> 'null'::jsonb and m.role >= (st ->> 'min_role')::postiz.workspace_role)
             or (st -> 'members') ? m.user_id::text)
        and (self_ok or m.user_id is distinct from p.author_id)
        and not exists (select 1 from postiz.approval_decisions d
                        where d.workspace_id = ws and d.post_id = post and d.round = p.approval_round
                          and d.decided_by = m.user_id)
    loop
      perform postiz_private.notify(ws, uid, 'approval_requested', post, null,
        jsonb_build_object('missing', state ->> 'missing', 'step', (st ->> 'position')::integer),
        format('approval_requested:%s:%s:%s:%s', post, p.approval_round, st ->> 'policy_id', st ->> 'position'));
    end loop;
  end loop;
end;
$$;

-- Event triggers --------------------------------------------------------------------------------

/* A post that waits for approval at commit (created so, sent for review, or reset by an edit). */
create function postiz_private.notify_post_awaiting_approval()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform postiz_private.notify_reviewers(new.workspace_id, new.id);
  return null;
end;
$$;

-- Deferred, like the approval gate: the targets added after the post decide its policies.
create constraint trigger posts_notify_awaiting_approval after insert or update of status, approval_round on postiz.posts
  deferrable initially deferred
  for each row when (new.status = 'pending_approval')
  execute function postiz_private.notify_post_awaiting_approval();

/* A decision tells the author (unless they decided themselves), and an approval that satisfied a
 * step tells the reviewers of the next. */
create function postiz_private.notify_approval_decision()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  author uuid;
begin
  select p.author_id into author from postiz.posts p where p.workspace_id = new.workspace_id and p.id = new.post_id;
  if author is distinct from new.decided_by then
    perform postiz_private.notify(new.workspace_id, author, 'approval_decided', new.post_id, null,
      jsonb_build_object('decision', new.decision, 'note', new.note, 'decided_by', new.decided_by));
  end if;
  if new.decision = 'approved' then
    perform postiz_private.notify_reviewers(new.workspace_id, new.post_id);
  end if;
  return null;
end;
$$;

create trigger approval_decisions_notify after insert on postiz.approval_decisions
  for each row execute function postiz_private.notify_approval_decision();

/*
 * Targets that failed, became unconfirmed or were published in this statement. Statement level
 * with transition tables: the worker records a batch of outcomes in one statement, and this is
 * one join over it (a row that did not change status costs nothing more).
 */
create function postiz_private.notify_target_outcomes()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  t record;
  uid uuid;
begin
  for t in
    select n.workspace_id, n.post_id, n.social_account_id, n.id, n.status, n.last_error_message, n.external_url, a.network
    from new_rows n
    join old_rows o on o.id = n.id
    join postiz.social_accounts a on a.workspace_id = n.workspace_id and a.id = n.social_account_id
    where n.status is distinct from o.status and n.status in ('failed', 'unconfirmed', 'published')
  loop
    for uid in select postiz_private.post_recipients(t.workspace_id, t.post_id) loop
      perform postiz_private.notify(t.workspace_id, uid,
        case t.status when 'failed' then 'post_failed'::postiz.notification_kind
                      when 'unconfirmed' then 'post_unconfirmed'::postiz.notification_kind
                      else 'post_published'::postiz.notification_kind end,
        t.post_id, t.social_account_id,
        jsonb_strip_nulls(jsonb_build_object('target_id', t.id, 'network', t.network,
                                             'error', t.last_error_message, 'url', t.external_url)));
    end loop;
  end loop;
  return null;
end;
$$;

create trigger post_targets_notify_outcomes after update on postiz.post_targets
  referencing old table as old_rows new table as new_rows
  for each statement execute function postiz_private.notify_target_outcomes();

/* An account whose token the network refused: its admins and owners, who can reconnect it. */
create function postiz_private.notify_account_needs_reconnect()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid;
begin
  for uid in select m.user_id from postiz.workspace_members m
             where m.workspace_id = new.workspace_id and m.role >= 'admin' loop
    perform postiz_private.notify(new.workspace_id, uid, 'account_needs_reconnect', null, new.id,
      jsonb_strip_nulls(jsonb_build_object('network', new.network, 'handle', new.handle)));
  end loop;
  return null;
end;
$$;

create trigger social_accounts_notify_needs_reconnect after update of status on postiz.social_accounts
  for each row when (new.status = 'needs_reconnect' and old.status is distinct from new.status)
  execute function postiz_private.notify_account_needs_reconnect();

create trigger notification_preferences_touch_updated_at before update on postiz.notification_preferences
  for each row execute function postiz_private.touch_updated_at();
create trigger notification_emails_touch_updated_at before update on postiz.notification_emails
  for each row execute function postiz_private.touch_updated_at();

-- Digests ---------------------------------------------------------------------------------------

/*
 * For each person with digest notifications waiting in a workspace whose local time (the
 * workspace's zone) has reached `send_hour` today: one email row for that local day (unique, so
 * a second call, in this worker or another, adds nothing), the waiting notifications attached to
 * it, and its pgmq message. Notifications that arrive after today's digest wait for tomorrow's.
 * Returns how many digests it queued. Service role only; one pass over the waiting index.
 */
create function postiz_private.service_queue_digests(send_hour integer)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  eid bigint;
  queued integer := 0;
begin
  for r in
    select w.workspace_id, w.user_id, (now() at time zone ws.time_zone)::date as day
    from (select distinct n.workspace_id, n.user_id from postiz.notifications n
          where n.delivery = 'digest' and n.digest_email_id is null) w
    join postiz.workspaces ws on ws.id = w.workspace_id
    where extract(hour from now() at time zone ws.time_zone) >= send_hour
  loop
    insert into postiz.notification_emails (workspace_id, user_id, digest_day)
    values (r.workspace_id, r.user_id, r.day)
    on conflict (workspace_id, user_id, digest_day) do nothing
    returning id into eid;
    if eid is null then
      continue;
    end if;
    update postiz.notifications n set digest_email_id = eid
    where n.workspace_id = r.workspace_id and n.user_id = r.user_id
      and n.delivery = 'digest' and n.digest_email_id is null;
    perform pgmq.send('notify', jsonb_build_object('job', 'send_notification_email', 'v', 1,
                                                   'data', jsonb_build_object('email_id', eid)));
    queued := queued + 1;
  end loop;
  return queued;
end;
$$;

-- Queue -----------------------------------------------------------------------------------------

do $$
begin
  perform pgmq.create('notify');
  revoke all on table pgmq.q_notify, pgmq.a_notify from public, anon, authenticated;
  grant select, insert, update, delete on table pgmq.q_notify, pgmq.a_notify to service_role;
end
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.notifications, postiz.notification_preferences, postiz.notification_emails
  from public, anon, authenticated, service_role;
grant select on table postiz.notifications to authenticated;
-- Marking read is the only change a person makes.
grant update (read_at) on table postiz.notifications to authenticated;
grant select, insert, update, delete on table postiz.notifications to service_role;

grant select, delete on table postiz.notification_preferences to authenticated;
grant insert (workspace_id, user_id, kind, delivery) on table postiz.notification_preferences to authenticated;
grant update (delivery) on table postiz.notification_preferences to authenticated;
grant select, insert, update, delete on table postiz.notification_preferences to service_role;

grant select, insert, update, delete on table postiz.notification_emails to service_role;

revoke all on function postiz_private.default_notification_delivery(postiz.notification_kind) from public, anon;
grant execute on function postiz_private.default_notification_delivery(postiz.notification_kind) to authenticated, service_role;
revoke all on function postiz_private.notify(uuid, uuid, postiz.notification_kind, uuid, uuid, jsonb, text)
  from public, anon, authenticated, service_role;
revoke all on function postiz_private.post_recipients(uuid, uuid) from public, anon, authenticated, service_role;
revoke all on function postiz_private.notify_reviewers(uuid, uuid) from public, anon, authenticated, service_role;
revoke all on function postiz_private.notify_post_awaiting_approval() from public, anon, authenticated, service_role;
revoke all on function postiz_private.notify_approval_decision() from public, anon, authenticated, service_role;
revoke all on function postiz_private.notify_target_outcomes() from public, anon, authenticated, service_role;
revoke all on function postiz_private.notify_account_needs_reconnect() from public, anon, authenticated, service_role;
revoke all on function postiz_private.service_queue_digests(integer) from public, anon, authenticated;
grant execute on function postiz_private.service_queue_digests(integer) to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.notifications enable row level security;
alter table postiz.notifications force row level security;
alter table postiz.notification_preferences enable row level security;
alter table postiz.notification_preferences force row level security;
alter table postiz.notification_emails enable row level security;
alter table postiz.notification_emails force row level security;
-- notification_emails: no policy; members never read the outbox (service_role bypasses RLS).

create policy "Members see their own notifications" on postiz.notifications
  for select to authenticated
  using (user_id = (select auth.uid()) and workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Members mark their own notifications read" on postiz.notifications
  for update to authenticated
  using (user_id = (select auth.uid()) and workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))))
  with check (user_id = (select auth.uid()));

create policy "Members see their own notification preferences" on postiz.notification_preferences
  for select to authenticated
  using (user_id = (select auth.uid()) and workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Members set their own notification preferences" on postiz.notification_preferences
  for insert to authenticated
  with check (user_id = (select auth.uid()) and workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Members change their own notification preferences" on postiz.notification_preferences
  for update to authenticated
  using (user_id = (select auth.uid()) and workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))))
  with check (user_id = (select auth.uid()));

create policy "Members remove their own notification preferences" on postiz.notification_preferences
  for delete to authenticated
  using (user_id = (select auth.uid()) and workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));
