-- Posts list (issue 19): case-insensitive text search over posts.content and members by name.

-- pg_trgm is available on Supabase; it lives in `extensions` like the others.
create extension if not exists pg_trgm with schema extensions;

/*
 * Serves `content ilike '%word%'` (the posts list search box) without scanning every post of the
 * workspace: a trigram index answers ILIKE patterns of three or more characters.
 */
create index posts_content_trgm_idx on postiz.posts using gin (content extensions.gin_trgm_ops);

/*
 * The members of workspace `ws` with the name they gave (auth.users metadata `full_name`, then
 * `name`, then their email), for showing authors by name. Empty unless the caller is a member of
 * `ws`: names are shown only to people of the same workspace.
 */
create function postiz_private.workspace_member_names(ws uuid)
returns table (user_id uuid, name text)
language sql
stable
security definer
set search_path = ''
as $$
  select m.user_id,
         coalesce(nullif(btrim(u.raw_user_meta_data ->> 'full_name'), ''),
                  nullif(btrim(u.raw_user_meta_data ->> 'name'), ''),
                  u.email::text)
  from postiz.workspace_members m
  join auth.users u on u.id = m.user_id
  where m.workspace_id = ws and postiz_private.has_workspace_role(ws, 'viewer')
$$;

-- In postiz_private (not exposed over PostgREST); the module API calls it as the signed-in user.
revoke all on function postiz_private.workspace_member_names(uuid) from public, anon;
grant execute on function postiz_private.workspace_member_names(uuid) to authenticated, service_role;
