-- Admins may only lower a member's role; raising one (viewer → editor, editor → admin) is an
-- owner's decision. Row-level security cannot compare a row's old and new values, so a trigger
-- enforces it. Owners and service_role are unaffected; the existing policies still keep admins
-- away from owners and from the owner role.

/*
 * Refuses a role increase made by a signed-in user who is not an owner of the workspace.
 * Security definer: reads the caller's own role through the helper, whatever RLS shows.
 */
create function postiz_private.admins_only_lower_roles()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.role > old.role
     and current_setting('role', true) = 'authenticated'
     and not postiz_private.has_workspace_role(new.workspace_id, 'owner') then
    raise exception 'only an owner can raise a member''s role (from % to %)', old.role, new.role
      using errcode = '42501', hint = 'admins can lower roles; ask an owner to promote';
  end if;
  return new;
end;
$$;

create trigger workspace_members_admins_only_lower_roles before update of role on postiz.workspace_members
  for each row execute function postiz_private.admins_only_lower_roles();

revoke all on function postiz_private.admins_only_lower_roles() from public, anon, authenticated, service_role;
