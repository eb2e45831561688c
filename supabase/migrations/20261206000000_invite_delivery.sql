-- How an invitee hears of an invitation.
--
-- An invitee without an account gets Supabase Auth's invite email (the API asks the host's Auth
-- with the service-role key, redirecting to the module's acceptance screen with the token); an
-- invitee who has an account sees the invitation in the module (postiz.my_invitations) and
-- joins with one click; otherwise the admin passes the code on. The request to Auth is claimed
-- here, committed before Auth is asked, so a failure of either step neither loses the invitation
-- nor sends the email twice: an answer we did not get (timeout) is never retried by itself.

create type postiz.invite_delivery as enum ('code', 'in_app', 'auth_email');

alter table postiz.workspace_invites
  add column delivery postiz.invite_delivery not null default 'code',
  -- When the API claimed the request of Auth's invite email (set before Auth is asked).
  add column email_requested_at timestamptz,
  -- When Auth said it sent the email.
  add column email_sent_at timestamptz,
  -- Why Auth did not send it (a refusal: the admin may ask again); null while unknown.
  add column email_error text check (char_length(email_error) <= 300),
  add constraint workspace_invites_email_outcome_once check (email_sent_at is null or email_error is null);

grant select (delivery, email_requested_at, email_sent_at, email_error) on table postiz.workspace_invites to authenticated;

/*
 * Decides how the invitee of `invite` hears of it (caller: admin of its workspace). Returns the
 * delivery and whether the caller now holds the one request of Auth's invite email: true only
 * when `can_email` (the API may ask Auth), the address has no account, and no request was made
 * or the last one was refused. An address with an account gets 'in_app'.
 */
create function postiz_private.claim_invite_delivery(invite uuid, can_email boolean)
returns table (delivery postiz.invite_delivery, ask_auth boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  inv postiz.workspace_invites;
  has_account boolean;
begin
  select i.* into inv from postiz.workspace_invites i where i.id = invite for update;
  if not found or not postiz_private.has_workspace_role(inv.workspace_id, 'admin') then
    raise exception 'invitation not found' using errcode = 'P0002';
  end if;
  if inv.accepted_at is not null or inv.expires_at <= now() then
    raise exception 'this invitation was already accepted or has expired' using errcode = '22023';
  end if;
  -- A user Auth created for an invite (email not yet confirmed) has no account yet: Auth sends
  -- such a user its invite email again.
  select exists (
    select 1 from auth.users u
    where lower(u.email) = lower(inv.email) and u.email_confirmed_at is not null and u.deleted_at is null
  ) into has_account;
  if has_account then
    update postiz.workspace_invites set delivery = 'in_app' where id = inv.id;
    return query select 'in_app'::postiz.invite_delivery, false;
    return;
  end if;
  if not can_email then
    return query select inv.delivery, false;
    return;
  end if;
  if inv.email_requested_at is not null and inv.email_error is null then
    -- Sent, or asked without an answer: asking again could send a second email.
    return query select inv.delivery, false;
    return;
  end if;
  update postiz.workspace_invites
  set delivery = 'auth_email', email_requested_at = now(), email_error = null
  where id = inv.id;
  return query select 'auth_email'::postiz.invite_delivery, true;
end;
$$;

/*
 * Records Auth's answer to the claimed request: 'sent', 'has_account' (the address registered in
 * the meantime: the invitation is shown in the module), 'refused' with the reason shown to
 * admins, or 'unknown' (no answer: left as asked, never asked again by itself).
 */
create function postiz_private.record_invite_email(invite uuid, outcome text, reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  ws uuid;
begin
  select i.workspace_id into ws from postiz.workspace_invites i
  where i.id = invite and i.email_requested_at is not null for update;
  if not found or not postiz_private.has_workspace_role(ws, 'admin') then
    raise exception 'invitation not found' using errcode = 'P0002';
  end if;
  case outcome
    when 'sent' then
      update postiz.workspace_invites set email_sent_at = now(), email_error = null where id = invite;
    when 'has_account' then
      update postiz.workspace_invites set delivery = 'in_app', email_requested_at = null, email_error = null where id = invite;
    when 'refused' then
      update postiz.workspace_invites set email_error = left(coalesce(reason, 'refused'), 300) where id = invite;
    when 'unknown' then
      null;
    else
      raise exception 'unknown outcome %', outcome using errcode = '22023';
  end case;
end;
$$;

/* Joins the invitation's workspace when the caller's confirmed email is the invitee's. */
create function postiz_private.join_by_invite(invite postiz.workspace_invites)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  user_email text;
begin
  if uid is null then
    raise exception 'sign in to accept an invitation' using errcode = '42501';
  end if;
  if invite.id is null or invite.accepted_at is not null or invite.expires_at <= now() then
    raise exception 'invitation not found, already used or expired' using errcode = 'P0002';
  end if;
  select u.email into user_email
  from auth.users u
  where u.id = uid and u.email_confirmed_at is not null;
  if user_email is null or lower(user_email) <> lower(invite.email) then
    raise exception 'this invitation was sent to another email address' using errcode = '42501';
  end if;
  insert into postiz.workspace_members as m (workspace_id, user_id, role)
  values (invite.workspace_id, uid, invite.role)
  on conflict (workspace_id, user_id) do update set role = greatest(m.role, excluded.role);
  update postiz.workspace_invites set accepted_at = now(), accepted_by = uid where id = invite.id;
  return invite.workspace_id;
end;
$$;

-- The token's acceptance, now through the shared join (same checks and errors as before).
create or replace function postiz_private.accept_workspace_invite(token text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  invite postiz.workspace_invites;
begin
  if auth.uid() is null then
    raise exception 'sign in to accept an invitation' using errcode = '42501';
  end if;
  select i.* into invite from postiz.workspace_invites i
  where i.token_hash = sha256(convert_to(token, 'UTF8')) for update;
  return postiz_private.join_by_invite(invite);
end;
$$;

/* Accepts the invitation `invite` addressed to the caller's confirmed email (no token needed). */
create function postiz_private.accept_invitation(invite uuid)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  inv postiz.workspace_invites;
begin
  select i.* into inv from postiz.workspace_invites i where i.id = invite for update;
  return postiz_private.join_by_invite(inv);
end;
$$;

/* Pending invitations addressed to the caller's confirmed email, with the workspace's name. */
create function postiz_private.my_invitations()
returns table (id uuid, workspace_id uuid, workspace_name text, role postiz.workspace_role, expires_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select i.id, i.workspace_id, w.name, i.role, i.expires_at
  from auth.users u
  join postiz.workspace_invites i on lower(i.email) = lower(u.email)
  join postiz.workspaces w on w.id = i.workspace_id
  where u.id = auth.uid() and u.email_confirmed_at is not null
    and i.accepted_at is null and i.expires_at > now()
  order by i.created_at desc, i.id
$$;

create function postiz.claim_invite_delivery(invite uuid, can_email boolean)
returns table (delivery postiz.invite_delivery, ask_auth boolean)
language sql security invoker set search_path = ''
as $$ select * from postiz_private.claim_invite_delivery(invite, can_email) $$;

create function postiz.record_invite_email(invite uuid, outcome text, reason text default null)
returns void
language sql security invoker set search_path = ''
as $$ select postiz_private.record_invite_email(invite, outcome, reason) $$;

create function postiz.accept_invitation(invite uuid)
returns uuid
language sql security invoker set search_path = ''
as $$ select postiz_private.accept_invitation(invite) $$;

create function postiz.my_invitations()
returns table (id uuid, workspace_id uuid, workspace_name text, role postiz.workspace_role, expires_at timestamptz)
language sql stable security invoker set search_path = ''
as $$ select * from postiz_private.my_invitations() $$;

revoke all on function postiz_private.claim_invite_delivery(uuid, boolean) from public, anon;
revoke all on function postiz_private.record_invite_email(uuid, text, text) from public, anon;
revoke all on function postiz_private.join_by_invite(postiz.workspace_invites) from public, anon, authenticated, service_role;
revoke all on function postiz_private.accept_invitation(uuid) from public, anon;
revoke all on function postiz_private.my_invitations() from public, anon;
revoke all on function postiz.claim_invite_delivery(uuid, boolean) from public, anon;
revoke all on function postiz.record_invite_email(uuid, text, text) from public, anon;
revoke all on function postiz.accept_invitation(uuid) from public, anon;
revoke all on function postiz.my_invitations() from public, anon;

grant execute on function postiz_private.claim_invite_delivery(uuid, boolean) to authenticated;
grant execute on function postiz_private.record_invite_email(uuid, text, text) to authenticated;
grant execute on function postiz_private.accept_invitation(uuid) to authenticated;
grant execute on function postiz_private.my_invitations() to authenticated;
grant execute on function postiz.claim_invite_delivery(uuid, boolean) to authenticated;
grant execute on function postiz.record_invite_email(uuid, text, text) to authenticated;
grant execute on function postiz.accept_invitation(uuid) to authenticated;
grant execute on function postiz.my_invitations() to authenticated;
