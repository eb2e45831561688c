-- Members by name and avatar (issue 19): the members list, invitations' inviter, activity and
-- comments show people, not user ids. Same helper as 20261206030000, with the avatar added (a
-- function's result columns cannot change in place, so it is dropped and made again).

drop function postiz_private.workspace_member_names(uuid);

/*
 * The members of workspace `ws` with the name they gave (auth.users metadata `full_name`, then
 * `name`, then their email) and their avatar (metadata `avatar_url`, then `picture`; only an
 * https URL, anything else is null). Empty unless the caller is a member of `ws`: names are shown
 * only to people of the same workspace. One membership check, then one indexed join per member:
 * join it on the ids of a page, not row by row.
 */
create function postiz_private.workspace_member_names(ws uuid)
returns table (user_id uuid, name text, avatar_url text)
language sql
stable
security definer
set search_path = ''
as $$
  select m.user_id,
         coalesce(nullif(btrim(u.raw_user_meta_data ->> 'full_name'), ''),
                  nullif(btrim(u.raw_user_meta_data ->> 'name'), ''),
                  u.email::text),
         coalesce(case when u.raw_user_meta_data ->> 'avatar_url' like 'https://%' then u.raw_user_meta_data ->> 'avatar_url' end,
                  case when u.raw_user_meta_data ->> 'picture' like 'https://%' then u.raw_user_meta_data ->> 'picture' end)
  from postiz.workspace_members m
  join auth.users u on u.id = m.user_id
  where m.workspace_id = ws and postiz_private.has_workspace_role(ws, 'viewer')
$$;

-- In postiz_private (not exposed over PostgREST); the module API calls it as the signed-in user.
revoke all on function postiz_private.workspace_member_names(uuid) from public, anon;
grant execute on function postiz_private.workspace_member_names(uuid) to authenticated, service_role;
