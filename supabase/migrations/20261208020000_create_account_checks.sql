-- Connection health (issue 18): a pre-flight check of each account's token before its
-- scheduled posts are due, and a warning a week before a credential that cannot be renewed
-- expires.
--
-- postiz.account_checks holds one row per account the worker has looked at: when its token was
-- last verified, the lease a worker holds while it verifies it (claimed with a conditional
-- upsert, so several workers on several machines never verify one account twice in a window;
-- with a lease id per claim that the holder's record must match), when to try again after a
-- transient failure, and which credential expiry its people were warned of. Members read it
-- (the Accounts screen's "Checked 10 min ago"); only the worker writes it, and saving a
-- connection deletes it (the new connection is unchecked).
--
-- The "account needs reconnect" notification now also goes out when an account is revoked
-- (once: not again for a needs_reconnect account then revoked), also tells the authors of the
-- account's waiting posts who are editors or above (besides its admins and owners), counting
-- the post whose publish found the token refused, and names the first post at risk with its
-- time in the workspace's zone in its details (not as the notification's post, so deleting the
-- post keeps the notice), whichever path found the refused token (the pre-flight, a publish, a
-- token refresh, a network's deauthorization callback).
--
-- New notification kind:
--   token_expiring   a credential that cannot be renewed expires within a week (LinkedIn's and
--                    Meta's 60-day tokens): the admins and owners and whoever connected it
--                    (if an editor or above), once per credential expiry

-- Enums -----------------------------------------------------------------------------------------

alter type postiz.notification_kind add value if not exists 'token_expiring';

-- Tables ----------------------------------------------------------------------------------------

create table postiz.account_checks (
  social_account_id uuid primary key,
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  -- When the token was last verified (whatever the answer); null: never.
  checked_at timestamptz,
  -- The last answer: ok, needs_reconnect (the network refused the token), retry (it could not
  -- be asked; retry_at says when to ask again).
  outcome text check (outcome in ('ok', 'needs_reconnect', 'retry')),
  -- Why the last check did not pass, for the Accounts screen (never a token).
  last_error text check (char_length(last_error) <= 1000),
  -- The worker verifying it now holds it until then.
  lease_until timestamptz,
  -- Which claim holds the lease: a new id per claim, which the holder's record must match, so
  -- a holder whose lease ran out (and was taken over) writes nothing.
  lease_id uuid,
  -- The start of the pre-flight window the current lease was taken for: a claim repeats a
  -- check only when checked_at is older than this.
  claimed_for timestamptz,
  -- Not before then, after a transient failure.
  retry_at timestamptz,
  -- The credential expiry its people were warned of (token_expiring), so a warning is sent once
  -- per expiry.
  expiry_warned_for timestamptz,
  updated_at timestamptz not null default now(),
  foreign key (workspace_id, social_account_id) references postiz.social_accounts (workspace_id, id) on delete cascade
);
comment on table postiz.account_checks is
  'Connection health per account: the worker''s pre-flight token checks and expiry warnings. Members read; service_role writes.';
create index account_checks_workspace_id_idx on postiz.account_checks (workspace_id);

create trigger account_checks_touch_updated_at before update on postiz.account_checks
  for each row execute function postiz_private.touch_updated_at();

-- Functions -------------------------------------------------------------------------------------

/* `at` as the workspace's people read it: 'Mon 14 Dec 2026 09:30 (Europe/Berlin)'. */
create function postiz_private.local_time_label(at timestamptz, zone text)
returns text
language sql
stable
set search_path = ''
as $$
  select to_char(at at time zone zone, 'Dy DD Mon YYYY HH24:MI') || ' (' || zone || ')'
$$;

/*
 * An account whose token the network refused (needs_reconnect, or revoked: a refresh answered
 * invalid_grant, or the network's deauthorization callback): its admins and owners, who can
 * reconnect it, and the authors of its waiting posts who may act on them (editors and above:
 * a viewer can neither reconnect nor reschedule). At risk are the account's targets still to
 * be published: those of posts scheduled from now on, and those of the job running now (a
 * publish that found the token refused: its post is due, so it is in the past by a moment).
 * Each is told the first post at risk (their own first one, for an author) and its time in the
 * workspace's zone. The post is named in the details, not as the notification's post: deleting
 * that post must not delete everyone's notice about the account. Keyed by account and
 * transaction time, so one change of status is told once. Cost: one pass over the account's
 * waiting targets plus the workspace's admins.
 */
create or replace function postiz_private.notify_account_needs_reconnect()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  zone text;
begin
  select w.time_zone into zone from postiz.workspaces w where w.id = new.workspace_id;
  for r in
    with at_risk as (
      select p.id, p.author_id, p.scheduled_at
      from postiz.post_targets t
      join postiz.posts p on p.workspace_id = t.workspace_id and p.id = t.post_id
      where t.workspace_id = new.workspace_id and t.social_account_id = new.id
        and t.status in ('pending', 'queued', 'publishing') and p.status in ('scheduled', 'publishing')
        and (p.scheduled_at >= now()
             or exists (select 1 from postiz.queue_jobs q
                        where q.target_id = t.id and q.workspace_id = t.workspace_id
                          and q.status = 'running' and q.completed_at is null))
    ),
    recipients as (
      select m.user_id from postiz.workspace_members m
      where m.workspace_id = new.workspace_id and m.role >= 'admin'
      union
      select m.user_id from at_risk a
      join postiz.workspace_members m on m.workspace_id = new.workspace_id and m.user_id = a.author_id
      where m.role >= 'editor'
    )
    select u.user_id, coalesce(own.id, earliest.id) as post_id, coalesce(own.scheduled_at, earliest.scheduled_at) as at
    from recipients u
    left join lateral (select a.id, a.scheduled_at from at_risk a where a.author_id = u.user_id
                       order by a.scheduled_at, a.id limit 1) own on true
    left join lateral (select a.id, a.scheduled_at from at_risk a order by a.scheduled_at, a.id limit 1) earliest on true
  loop
    perform postiz_private.notify(new.workspace_id, r.user_id, 'account_needs_reconnect', null, new.id,
      jsonb_strip_nulls(jsonb_build_object(
        'network', new.network, 'handle', new.handle, 'post_id', r.post_id, 'scheduled_at', r.at, 'time_zone', zone,
        'scheduled_local', case when r.at is not null then postiz_private.local_time_label(r.at, zone) end)),
      format('account_needs_reconnect:%s:%s', new.id, now()));
  end loop;
  return null;
end;
$$;

-- Told when the account stops working, whichever way (needs_reconnect or revoked), once: a
-- needs_reconnect account later revoked is not told of again.
drop trigger social_accounts_notify_needs_reconnect on postiz.social_accounts;
create trigger social_accounts_notify_needs_reconnect after update of status on postiz.social_accounts
  for each row when (new.status in ('needs_reconnect', 'revoked') and old.status not in ('needs_reconnect', 'revoked'))
  execute function postiz_private.notify_account_needs_reconnect();

/*
 * Warns of credentials that cannot be renewed and expire within `ahead`: the refresh token's
 * expiry where the network said it, else the access token's when there is no refresh token.
 * For each active account whose expiry is not yet warned of (postiz.account_checks
 * .expiry_warned_for, set by a conditional upsert, so a second call in this worker or another
 * adds nothing), tells its admins and owners and whoever connected it (token_expiring, keyed
 * by the account and the expiry). Returns how many accounts it warned of. Locks account_checks
 * rows in account order (as the pre-flight claim does). Service role only; one pass over the
 * credentials with an expiry.
 */
create function postiz_private.service_warn_expiring_tokens(ahead interval)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  uid uuid;
  claimed uuid;
  warned integer := 0;
begin
  for r in
    select e.* from (
      select a.id, a.workspace_id, a.network, a.handle, a.connected_by, w.time_zone,
             coalesce(c.refresh_expires_at, case when c.refresh_token_ciphertext is null then c.expires_at end) as expires_at
      from postiz.credentials c
      join postiz.social_accounts a on a.workspace_id = c.workspace_id and a.id = c.social_account_id
      join postiz.workspaces w on w.id = a.workspace_id
      where a.status = 'active'
    ) e
    left join postiz.account_checks x on x.social_account_id = e.id
    where e.expires_at > now() and e.expires_at <= now() + ahead
      and x.expiry_warned_for is distinct from e.expires_at
    -- In account order, as the pre-flight claim takes its rows: the claims below lock
    -- account_checks rows until the end of the transaction, and two callers locking them in
    -- different orders would deadlock.
    order by e.id
  loop
    -- The claim: whoever moves expiry_warned_for to this expiry warns; anyone else finds it done.
    insert into postiz.account_checks as k (social_account_id, workspace_id, expiry_warned_for)
    values (r.id, r.workspace_id, r.expires_at)
    on conflict (social_account_id) do update set expiry_warned_for = excluded.expiry_warned_for
    where k.expiry_warned_for is distinct from excluded.expiry_warned_for
    returning k.social_account_id into claimed;
    if claimed is null then
      continue;
    end if;
    for uid in
      select m.user_id from postiz.workspace_members m
      where m.workspace_id = r.workspace_id and (m.role >= 'admin' or m.user_id = r.connected_by and m.role >= 'editor')
    loop
      perform postiz_private.notify(r.workspace_id, uid, 'token_expiring', null, r.id,
        jsonb_strip_nulls(jsonb_build_object(
          'network', r.network, 'handle', r.handle, 'expires_at', r.expires_at, 'time_zone', r.time_zone,
          'expires_local', postiz_private.local_time_label(r.expires_at, r.time_zone))),
        format('token_expiring:%s:%s', r.id, r.expires_at));
    end loop;
    warned := warned + 1;
  end loop;
  return warned;
end;
$$;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.account_checks from public, anon, authenticated, service_role;
grant select on table postiz.account_checks to authenticated;
grant select, insert, update, delete on table postiz.account_checks to service_role;

revoke all on function postiz_private.local_time_label(timestamptz, text) from public, anon;
grant execute on function postiz_private.local_time_label(timestamptz, text) to authenticated, service_role;
revoke all on function postiz_private.notify_account_needs_reconnect() from public, anon, authenticated, service_role;
revoke all on function postiz_private.service_warn_expiring_tokens(interval) from public, anon, authenticated;
grant execute on function postiz_private.service_warn_expiring_tokens(interval) to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.account_checks enable row level security;
alter table postiz.account_checks force row level security;

create policy "Members see their workspace's account checks" on postiz.account_checks
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));
