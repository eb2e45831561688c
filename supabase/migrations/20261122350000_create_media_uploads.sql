-- Media uploads: thumbnails for library images, and resumable upload sessions for large files.
--
-- The API stores bytes in object storage (a local directory, or Supabase Storage's S3 endpoint)
-- under `<workspace_id>/…`, then writes the row in the uploader's own RLS transaction; when the
-- row cannot be written it removes the bytes again. Rows are the API's bookkeeping: the
-- objects are reached only through the API, which checks membership first.

-- Tables ----------------------------------------------------------------------------------------

-- A downscaled copy of an image, stored next to the original (`<ws>/<asset>/thumbnail.jpg`).
-- Videos have none: making one needs a decoder we do not ship.
alter table postiz.media_assets
  add column thumbnail_path text
    check (split_part(thumbnail_path, '/', 1) = workspace_id::text and thumbnail_path !~ '(^|/)\.\.(/|$)');

/*
 * A resumable upload in progress: the client declares the size, sends the bytes in order as
 * `PUT` chunks with `Content-Range`, then asks the API to complete it. Each chunk is an object
 * `<ws>/uploads/<id>/<start offset>`; `received_bytes` is the next offset the API accepts, so a
 * chunk that skips ahead is refused and a client that lost track asks where to resume.
 * `mime_type` is sniffed from the first chunk's bytes (never taken from the client).
 * Sessions expire; the API deletes a workspace's expired sessions and their chunks when the
 * next session starts there.
 */
create table postiz.media_uploads (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  created_by uuid default auth.uid() references auth.users (id) on delete set null,
  total_bytes bigint not null check (total_bytes > 0),
  received_bytes bigint not null default 0 check (received_bytes >= 0 and received_bytes <= total_bytes),
  mime_type text check (mime_type ~ '^[a-z]+/[a-z0-9.+-]+$'),
  expires_at timestamptz not null default now() + interval '24 hours',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on table postiz.media_uploads is
  'Resumable media uploads in progress (chunks live in object storage). Editors of the workspace.';
-- Sweeping a workspace's expired sessions; also covers the workspace foreign key.
create index media_uploads_workspace_id_expires_at_idx on postiz.media_uploads (workspace_id, expires_at);
create index media_uploads_created_by_idx on postiz.media_uploads (created_by);

-- Triggers --------------------------------------------------------------------------------------

create trigger media_uploads_touch_updated_at before update on postiz.media_uploads
  for each row execute function postiz_private.touch_updated_at();

-- Grants ----------------------------------------------------------------------------------------

grant insert (thumbnail_path) on table postiz.media_assets to authenticated;

revoke all on table postiz.media_uploads from public, anon, authenticated, service_role;
grant select, delete on table postiz.media_uploads to authenticated;
grant insert (id, workspace_id, total_bytes, expires_at) on table postiz.media_uploads to authenticated;
grant update (received_bytes, mime_type) on table postiz.media_uploads to authenticated;
grant select, insert, update, delete on table postiz.media_uploads to service_role;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.media_uploads enable row level security;
alter table postiz.media_uploads force row level security;

create policy "Editors can view their workspace's uploads" on postiz.media_uploads
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can start uploads" on postiz.media_uploads
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can advance uploads" on postiz.media_uploads
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can abort uploads" on postiz.media_uploads
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));
