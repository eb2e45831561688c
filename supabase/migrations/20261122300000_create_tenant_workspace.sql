-- Linking a workspace to the host application's tenant when a user creates it.
--
-- `postiz.workspaces.external_ref` is the host's to set (column grants and the
-- protect_workspace_fields trigger keep clients off it), because a user who could write any value
-- could claim another tenant's link. The host can still let its users create linked workspaces
-- without a service-role call: it lists the tenant ids a user may link in the user's
-- `app_metadata.postiz_external_refs` (app_metadata is written by the host's server through the
-- Auth admin API; users cannot change it), and the user's token carries that list. The function
-- below inserts the workspace with `external_ref` only when the verified claims list it.

/*
 * Creates a workspace owned by the caller and linked to the host tenant `external_ref`, which
 * must appear in the caller's `app_metadata.postiz_external_refs` (a JSON array of strings).
 * Security definer: clients have no grant on external_ref. Returns the new workspace's id.
 * Errors: 42501 when the claims do not list `external_ref`; 23505 when the tenant is linked
 * already (external_ref is unique) or the slug is taken.
 */
create function postiz_private.create_tenant_workspace(name text, slug text, time_zone text, external_ref text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  refs jsonb := auth.jwt() -> 'app_metadata' -> 'postiz_external_refs';
  new_id uuid := gen_random_uuid();
begin
  if uid is null then
    raise exception 'sign in to create a workspace' using errcode = '42501';
  end if;
  if external_ref is null or jsonb_typeof(refs) is distinct from 'array' or not (refs ? external_ref) then
    raise exception 'external_ref must be one of the tenant ids the host lists in app_metadata.postiz_external_refs'
      using errcode = '42501';
  end if;
  insert into postiz.workspaces (id, name, slug, time_zone, external_ref, created_by)
  values (new_id, create_tenant_workspace.name, create_tenant_workspace.slug,
          coalesce(create_tenant_workspace.time_zone, 'UTC'), create_tenant_workspace.external_ref, uid);
  return new_id;
end;
$$;

/*
 * The Data API entry point: creates the linked workspace (see
 * postiz_private.create_tenant_workspace) and returns it. Security invoker: the read-back goes
 * through RLS, and the caller is its owner by then.
 */
create function postiz.create_tenant_workspace(name text, slug text, time_zone text, external_ref text)
returns postiz.workspaces
language plpgsql
security invoker
set search_path = ''
as $$
declare
  new_id uuid := postiz_private.create_tenant_workspace(name, slug, time_zone, external_ref);
  created postiz.workspaces;
begin
  select w.* into created from postiz.workspaces w where w.id = new_id;
  return created;
end;
$$;

revoke all on function postiz_private.create_tenant_workspace(text, text, text, text) from public, anon;
revoke all on function postiz.create_tenant_workspace(text, text, text, text) from public, anon;
grant execute on function postiz_private.create_tenant_workspace(text, text, text, text) to authenticated;
grant execute on function postiz.create_tenant_workspace(text, text, text, text) to authenticated;
