-- Media delete without orphans (issue 19): deleting a library file records its objects to remove
-- in the same transaction that deletes its row, so bytes are never left behind by a storage
-- failure or a crash between the two. The API removes them right after commit and clears its
-- records; the worker's sweep removes whatever is still recorded a minute later.

-- Tables ----------------------------------------------------------------------------------------

/*
 * Objects to remove from media storage. No foreign key to the workspace on purpose: the objects
 * outlive the rows they belonged to (that is the point), and a deleted workspace's records must
 * stay for the sweep.
 */
create table postiz.storage_deletions (
  id bigint generated always as identity primary key,
  workspace_id uuid not null,
  path text not null check (char_length(path) between 1 and 1024),
  created_at timestamptz not null default now(),
  -- An object of the workspace's own prefix (`<ws>/…`), as storage policies expect.
  check (starts_with(path, workspace_id::text || '/'))
);
comment on table postiz.storage_deletions is
  'Media storage objects whose rows are gone, waiting for removal (the API right away, the worker sweep after). Editors record and clear their workspace''s.';
-- The API's clean-up after commit (workspace + ids) and RLS filter on workspace_id.
create index storage_deletions_workspace_id_idx on postiz.storage_deletions (workspace_id, id);
-- The sweep takes the oldest first.
create index storage_deletions_created_at_idx on postiz.storage_deletions (created_at);

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.storage_deletions from public, anon, authenticated, service_role;
grant select, delete on table postiz.storage_deletions to authenticated;
grant insert (workspace_id, path) on table postiz.storage_deletions to authenticated;
-- update only because the sweep locks the rows it works on (`for update skip locked` needs it).
grant select, insert, update, delete on table postiz.storage_deletions to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.storage_deletions enable row level security;
alter table postiz.storage_deletions force row level security;

create policy "Editors can view their workspace's pending storage deletions" on postiz.storage_deletions
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can record their workspace's objects for removal" on postiz.storage_deletions
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can clear their workspace's removed objects" on postiz.storage_deletions
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));
