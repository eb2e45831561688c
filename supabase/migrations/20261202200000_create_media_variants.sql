-- Per-network variants of a media asset (issue 16): the bytes actually uploaded to a network,
-- made by the worker from the original (`postiz-media`: orientation applied, metadata dropped,
-- converted, downscaled, recompressed under the network's cap). One row per asset and profile;
-- the profile key (`instagram-refuse-3fa2c1d0`) names the network, the asset's aspect choice and
-- a hash of the rules it was made for, so a variant is reused across posts and attempts exactly
-- while it is still what would be made, and rules that change simply get new rows.
--
-- Objects live beside the original (`<workspace_id>/<asset_id>/variant-<profile>.<ext>`), so
-- storage policies keyed on the first segment cover them. The worker writes the object first,
-- then inserts the row with `on conflict do nothing`; a losing racer removes its own object.
-- Rows go with their asset (cascade); the API deletes the objects where it deletes the asset's.
--
-- And the asset's choice for a wrong aspect ratio: refuse (default), pad with white bars, or
-- crop the middle, to the nearest ratio the network accepts.

-- Tables ----------------------------------------------------------------------------------------

create table postiz.media_variants (
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  media_id uuid not null,
  profile text not null check (profile ~ '^[a-z][a-z0-9_]{0,31}-[a-z]+-[0-9a-f]{8}$'),
  bucket text not null default 'media' check (bucket ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  path text not null check (split_part(path, '/', 1) = workspace_id::text and path !~ '(^|/)\.\.(/|$)'),
  mime_type text not null check (mime_type ~ '^[a-z]+/[a-z0-9.+-]+$'),
  bytes bigint not null check (bytes > 0),
  width integer not null check (width > 0),
  height integer not null check (height > 0),
  sha256 bytea not null check (octet_length(sha256) = 32),
  created_at timestamptz not null default now(),
  primary key (workspace_id, media_id, profile),
  unique (bucket, path),
  foreign key (media_id, workspace_id) references postiz.media_assets (id, workspace_id) on delete cascade
);

alter table postiz.media_assets
  add column aspect_fit text not null default 'refuse' check (aspect_fit in ('refuse', 'pad', 'crop'));

-- Grants ----------------------------------------------------------------------------------------

-- Members read variants (the library can show what each network got); only the worker writes.
revoke all on table postiz.media_variants from public, anon, authenticated, service_role;
grant select on table postiz.media_variants to authenticated;
grant select, insert, delete on table postiz.media_variants to service_role;

-- Editors choose the fit through the API or the Data API (the update policy on media_assets).
grant insert (aspect_fit) on table postiz.media_assets to authenticated;
grant update (aspect_fit) on table postiz.media_assets to authenticated;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.media_variants enable row level security;

create policy "Members can view their workspace's media variants" on postiz.media_variants
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));
