-- One rule for who may grant which role, on every path that grants one.
--
-- The rule: a signed-in user may give a role only below their own, and an owner any role. So an
-- owner makes admins, editors and viewers; an admin makes editors and viewers (and may lower an
-- admin to editor or viewer), never another admin; editors and viewers grant nothing (RLS
-- already keeps them out). It holds alike for
--   - adding a member (insert into workspace_members), so delete + insert is no way around it;
--   - changing a member's role (update), raising or lowering;
--   - inviting (insert into workspace_invites) and changing a pending invite's role (update):
--     accepting later grants what the invite says, so the invite is where the grant is judged.
--
-- 20261122230000_admins_only_lower_roles judged only updates, and by
-- `current_setting('role')`, which is still 'authenticated' inside a security definer function:
-- it refused the legitimate upgrade of an existing member accepting an invite that raises
-- their role. This rule is checked by a security invoker trigger that looks at `current_user`,
-- which is the function owner inside the security definer accept function: acceptance is
-- judged where the invite was made, not again.

-- Functions -------------------------------------------------------------------------------------

/*
 * Whether the signed-in user may give `granted` in workspace `ws`: an owner any role, anyone else
 * only roles strictly below their own. Security definer: reads the caller's own membership
 * whatever RLS shows. Cost: one index probe on workspace_members' primary key.
 */
create function postiz_private.can_grant_role(ws uuid, granted postiz.workspace_role)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((
    select m.role = 'owner' or granted < m.role
    from postiz.workspace_members m
    where m.workspace_id = ws and m.user_id = (select auth.uid())
  ), false)
$$;

/*
 * Refuses a grant the caller may not make (see the header). Security invoker on purpose:
 * `current_user` is then the role the statement runs as, 'authenticated' for a client and the
 * owner of a security definer function (accept_workspace_invite, the trigger that makes a
 * workspace's creator its owner) inside one; only clients are judged. An update that leaves the
 * role unchanged grants nothing.
 */
create function postiz_private.check_role_grant()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  if tg_op = 'UPDATE' and new.role = old.role and new.workspace_id = old.workspace_id then
    return new;
  end if;
  if not postiz_private.can_grant_role(new.workspace_id, new.role) then
    raise exception 'you cannot give the % role in this workspace', new.role
      using errcode = '42501',
            hint = 'An owner can give any role; an admin can give editor or viewer.';
  end if;
  return new;
end;
$$;

-- Triggers --------------------------------------------------------------------------------------

drop trigger workspace_members_admins_only_lower_roles on postiz.workspace_members;
drop function postiz_private.admins_only_lower_roles();

create trigger workspace_members_check_role_grant before insert or update of role on postiz.workspace_members
  for each row execute function postiz_private.check_role_grant();
create trigger workspace_invites_check_role_grant before insert or update of role on postiz.workspace_invites
  for each row execute function postiz_private.check_role_grant();

-- Pending invitations made before the rule that it would refuse (an admin inviting an admin)
-- would still grant their role when accepted, since acceptance is judged at creation. They are
-- withdrawn; an owner can invite again.
delete from postiz.workspace_invites i
where i.accepted_at is null
  and i.role = 'admin'
  and not exists (
    select 1 from postiz.workspace_members m
    where m.workspace_id = i.workspace_id and m.user_id = i.invited_by and m.role = 'owner'
  );

-- Grants ----------------------------------------------------------------------------------------

revoke all on function postiz_private.can_grant_role(uuid, postiz.workspace_role) from public, anon;
grant execute on function postiz_private.can_grant_role(uuid, postiz.workspace_role) to authenticated, service_role;
revoke all on function postiz_private.check_role_grant() from public, anon, authenticated, service_role;
