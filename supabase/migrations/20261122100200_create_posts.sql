-- Posts and everything attached to them: per-network variants, targets (post × social account),
-- tags, internal comments, media assets and their links to posts.
--
-- Same-workspace guarantee: every child row carries workspace_id and references its parents
-- through composite foreign keys (workspace_id, parent_id) → parent (workspace_id, id). A row in
-- workspace A can therefore never point at a post, account, tag or asset of workspace B, whoever
-- writes it (service_role included); RLS's `with check` makes sure the caller may write in A.
--
-- Index layout: each table has one index led by workspace_id, chosen for its main query (posts:
-- the calendar's (workspace_id, scheduled_at)); the composite keys and foreign-key indexes are led
-- by the other column. Policies add `workspace_id = any(<caller's workspaces>)`, whose selectivity
-- the planner cannot know, so its row estimates are poor; with a single workspace-led index it
-- cannot pick the wrong one (a (workspace_id, idempotency_key) index was picked for the calendar,
-- reading every post of the workspace).
--
-- Worker-owned state: clients may set a post's status only to draft, pending_approval, scheduled
-- or canceled, and a target's only to pending or canceled (the policies' `with check`);
-- publishing/published/failed/unconfirmed, external ids, errors and attempts are service_role's.
-- A post that is publishing or published cannot be changed by clients at all.

-- Enums -----------------------------------------------------------------------------------------

create type postiz.post_status as enum (
  'draft', 'pending_approval', 'scheduled', 'publishing', 'published', 'failed', 'canceled'
);

-- Status of one post on one account. 'unconfirmed': the network may or may not have published
-- (timeout after sending); the worker must check before any retry, never blindly re-post.
create type postiz.target_status as enum (
  'pending', 'queued', 'publishing', 'published', 'failed', 'canceled', 'unconfirmed'
);

-- Tables ----------------------------------------------------------------------------------------

create table postiz.posts (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  author_id uuid default auth.uid() references auth.users (id) on delete set null,
  status postiz.post_status not null default 'draft',
  -- Canonical text; networks may override it in post_variants.
  content text not null default '' check (char_length(content) <= 100000),
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  -- When the post is due (first occurrence for recurring schedules): the calendar's time axis.
  -- Null for undated drafts.
  scheduled_at timestamptz,
  published_at timestamptz,
  -- Client-chosen key making "create post" safe to retry (API `Idempotency-Key`).
  idempotency_key text check (char_length(idempotency_key) between 1 and 255),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (idempotency_key, workspace_id),
  unique (id, workspace_id)
);
-- The calendar: one workspace, a time window (postiz.calendar_entries).
create index posts_workspace_id_scheduled_at_idx on postiz.posts (workspace_id, scheduled_at);
create index posts_author_id_idx on postiz.posts (author_id);

create table postiz.post_variants (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  post_id uuid not null,
  network text not null check (network ~ '^[a-z][a-z0-9_]{0,31}$'),
  -- Replaces posts.content on this network when not null.
  text_override text check (char_length(text_override) <= 100000),
  -- A thread: [{"text": "…", "media_ids": ["…"]}, …]; empty for a single post.
  thread_items jsonb not null default '[]' check (jsonb_typeof(thread_items) = 'array'),
  first_comment text,
  settings jsonb not null default '{}' check (jsonb_typeof(settings) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (workspace_id, post_id, network),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade
);

create table postiz.post_targets (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  post_id uuid not null,
  social_account_id uuid not null,
  status postiz.target_status not null default 'pending',
  external_id text,
  external_url text,
  last_error_code text,
  last_error_message text,
  attempts integer not null default 0 check (attempts >= 0),
  -- Thread items already live, in order: [{"index": 0, "external_id": "…", "url": "…"}].
  -- A retry resumes after the last one instead of posting the thread again.
  published_items jsonb not null default '[]' check (jsonb_typeof(published_items) = 'array'),
  published_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (workspace_id, post_id, social_account_id),
  unique (id, workspace_id),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, social_account_id)
    references postiz.social_accounts (workspace_id, id) on delete cascade
);
create index post_targets_social_account_id_idx on postiz.post_targets (social_account_id, workspace_id);

create table postiz.tags (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  name text not null check (char_length(name) between 1 and 100),
  color text check (color ~ '^#[0-9a-fA-F]{6}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (workspace_id, name),
  unique (id, workspace_id)
);

create table postiz.post_tags (
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  post_id uuid not null,
  tag_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (workspace_id, post_id, tag_id),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade,
  foreign key (workspace_id, tag_id) references postiz.tags (workspace_id, id) on delete cascade
);
create index post_tags_tag_id_idx on postiz.post_tags (tag_id, workspace_id);

-- Internal team discussion of a post; never published.
create table postiz.post_comments (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  post_id uuid not null,
  author_id uuid default auth.uid() references auth.users (id) on delete set null,
  body text not null check (char_length(body) between 1 and 10000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade
);
create index post_comments_workspace_id_post_id_idx on postiz.post_comments (workspace_id, post_id, created_at);
create index post_comments_author_id_idx on postiz.post_comments (author_id);

-- A stored file. Objects live in Supabase Storage under `<workspace_id>/…` so that storage
-- policies can key on the first path segment; the check below keeps rows and paths aligned.
create table postiz.media_assets (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  bucket text not null default 'media' check (bucket ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  path text not null check (split_part(path, '/', 1) = workspace_id::text and path !~ '(^|/)\.\.(/|$)'),
  mime_type text not null check (mime_type ~ '^[a-z]+/[a-z0-9.+-]+$'),
  bytes bigint not null check (bytes >= 0),
  width integer check (width > 0),
  height integer check (height > 0),
  duration_ms integer check (duration_ms >= 0),
  sha256 bytea not null check (octet_length(sha256) = 32),
  uploaded_by uuid default auth.uid() references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (workspace_id, sha256),
  unique (bucket, path),
  unique (id, workspace_id)
);
create index media_assets_uploaded_by_idx on postiz.media_assets (uploaded_by);

create table postiz.post_media (
  workspace_id uuid not null references postiz.workspaces (id) on delete cascade,
  post_id uuid not null,
  media_id uuid not null,
  position integer not null default 0 check (position >= 0),
  alt_text text check (char_length(alt_text) <= 2000),
  created_at timestamptz not null default now(),
  primary key (workspace_id, post_id, media_id),
  foreign key (workspace_id, post_id) references postiz.posts (workspace_id, id) on delete cascade,
  -- No action (checked at statement end): an asset still used by a post cannot be deleted, yet
  -- deleting the whole workspace works because the links go in the same statement.
  foreign key (workspace_id, media_id) references postiz.media_assets (workspace_id, id)
);
create index post_media_media_id_idx on postiz.post_media (media_id, workspace_id);

-- Triggers --------------------------------------------------------------------------------------

create trigger posts_touch_updated_at before update on postiz.posts
  for each row execute function postiz_private.touch_updated_at();
create trigger post_variants_touch_updated_at before update on postiz.post_variants
  for each row execute function postiz_private.touch_updated_at();
create trigger post_targets_touch_updated_at before update on postiz.post_targets
  for each row execute function postiz_private.touch_updated_at();
create trigger tags_touch_updated_at before update on postiz.tags
  for each row execute function postiz_private.touch_updated_at();
create trigger post_comments_touch_updated_at before update on postiz.post_comments
  for each row execute function postiz_private.touch_updated_at();
create trigger media_assets_touch_updated_at before update on postiz.media_assets
  for each row execute function postiz_private.touch_updated_at();

-- The calendar ----------------------------------------------------------------------------------

/*
 * The calendar: posts of workspace `ws` due in [from_ts, to_ts), one row per target (a post with
 * no target yet gives one row with null target and account columns), in time order.
 * Security invoker, so RLS applies: a caller who is not a member gets no rows.
 * Plan: range scan of posts (workspace_id, scheduled_at), then targets through
 * (workspace_id, post_id, social_account_id) and accounts through (workspace_id, id); each
 * table's policy adds one initPlan (the caller's workspaces), not a per-row check.
 * Measured by `cargo xtask bench calendar`.
 */
create function postiz.calendar_entries(ws uuid, from_ts timestamptz, to_ts timestamptz)
returns table (
  post_id uuid,
  post_status postiz.post_status,
  scheduled_at timestamptz,
  content_preview text,
  target_id uuid,
  target_status postiz.target_status,
  external_url text,
  social_account_id uuid,
  network text,
  handle text,
  display_name text,
  avatar_url text
)
language sql
stable
security invoker
set search_path = ''
as $$
  select p.id, p.status, p.scheduled_at, left(p.content, 280),
         t.id, t.status, t.external_url,
         a.id, a.network, a.handle, a.display_name, a.avatar_url
  from postiz.posts p
  left join postiz.post_targets t on t.workspace_id = p.workspace_id and t.post_id = p.id
  left join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
  where p.workspace_id = ws
    and p.scheduled_at >= from_ts
    and p.scheduled_at < to_ts
  order by p.scheduled_at, p.id, a.network, a.id
$$;

revoke all on function postiz.calendar_entries(uuid, timestamptz, timestamptz) from public, anon;
grant execute on function postiz.calendar_entries(uuid, timestamptz, timestamptz) to authenticated, service_role;

-- Grants ----------------------------------------------------------------------------------------

revoke all on table postiz.posts, postiz.post_variants, postiz.post_targets, postiz.tags, postiz.post_tags,
  postiz.post_comments, postiz.media_assets, postiz.post_media
  from public, anon, authenticated, service_role;

grant select, delete on table postiz.posts, postiz.post_variants, postiz.post_targets, postiz.tags,
  postiz.post_tags, postiz.post_comments, postiz.media_assets, postiz.post_media to authenticated;
grant select, insert, update, delete on table postiz.posts, postiz.post_variants, postiz.post_targets, postiz.tags,
  postiz.post_tags, postiz.post_comments, postiz.media_assets, postiz.post_media to service_role;

grant insert (id, workspace_id, status, content, metadata, scheduled_at, idempotency_key)
  on table postiz.posts to authenticated;
grant update (status, content, metadata, scheduled_at) on table postiz.posts to authenticated;

grant insert (id, workspace_id, post_id, network, text_override, thread_items, first_comment, settings)
  on table postiz.post_variants to authenticated;
grant update (text_override, thread_items, first_comment, settings) on table postiz.post_variants to authenticated;

grant insert (id, workspace_id, post_id, social_account_id) on table postiz.post_targets to authenticated;
grant update (status) on table postiz.post_targets to authenticated;

grant insert (id, workspace_id, name, color) on table postiz.tags to authenticated;
grant update (name, color) on table postiz.tags to authenticated;

grant insert (workspace_id, post_id, tag_id) on table postiz.post_tags to authenticated;

grant insert (id, workspace_id, post_id, body) on table postiz.post_comments to authenticated;
grant update (body) on table postiz.post_comments to authenticated;

grant insert (id, workspace_id, bucket, path, mime_type, bytes, width, height, duration_ms, sha256)
  on table postiz.media_assets to authenticated;
grant update (width, height, duration_ms) on table postiz.media_assets to authenticated;

grant insert (workspace_id, post_id, media_id, position, alt_text) on table postiz.post_media to authenticated;
grant update (position, alt_text) on table postiz.post_media to authenticated;

-- Row-level security ----------------------------------------------------------------------------

alter table postiz.posts enable row level security;
alter table postiz.posts force row level security;
alter table postiz.post_variants enable row level security;
alter table postiz.post_variants force row level security;
alter table postiz.post_targets enable row level security;
alter table postiz.post_targets force row level security;
alter table postiz.tags enable row level security;
alter table postiz.tags force row level security;
alter table postiz.post_tags enable row level security;
alter table postiz.post_tags force row level security;
alter table postiz.post_comments enable row level security;
alter table postiz.post_comments force row level security;
alter table postiz.media_assets enable row level security;
alter table postiz.media_assets force row level security;
alter table postiz.post_media enable row level security;
alter table postiz.post_media force row level security;

-- posts

create policy "Members can view their workspace's posts" on postiz.posts
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can create posts" on postiz.posts
  for insert to authenticated
  with check (
    status in ('draft', 'pending_approval', 'scheduled', 'canceled')
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  );

create policy "Editors can edit posts that are not being published" on postiz.posts
  for update to authenticated
  using (
    status not in ('publishing', 'published')
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  )
  with check (
    status in ('draft', 'pending_approval', 'scheduled', 'canceled')
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  );

create policy "Editors can delete posts that are not being published" on postiz.posts
  for delete to authenticated
  using (
    status <> 'publishing'
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  );

-- post_variants

create policy "Members can view their workspace's post variants" on postiz.post_variants
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can create post variants" on postiz.post_variants
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can edit post variants" on postiz.post_variants
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can delete post variants" on postiz.post_variants
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

-- post_targets

create policy "Members can view their workspace's post targets" on postiz.post_targets
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can add post targets" on postiz.post_targets
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can cancel or reset targets not being published" on postiz.post_targets
  for update to authenticated
  using (
    status not in ('publishing', 'published')
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  )
  with check (
    status in ('pending', 'canceled')
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  );

create policy "Editors can remove post targets" on postiz.post_targets
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

-- tags

create policy "Members can view their workspace's tags" on postiz.tags
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can create tags" on postiz.tags
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can rename tags" on postiz.tags
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can delete tags" on postiz.tags
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

-- post_tags

create policy "Members can view their workspace's post tags" on postiz.post_tags
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can tag posts" on postiz.post_tags
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can untag posts" on postiz.post_tags
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

-- post_comments

create policy "Members can view their workspace's comments" on postiz.post_comments
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can comment as themselves" on postiz.post_comments
  for insert to authenticated
  with check (
    author_id = (select auth.uid())
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  );

create policy "Authors can edit their own comments" on postiz.post_comments
  for update to authenticated
  using (
    author_id = (select auth.uid())
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  )
  with check (
    author_id = (select auth.uid())
    and workspace_id = any (array(select postiz_private.workspaces_with_role('editor')))
  );

create policy "Authors and admins can delete comments" on postiz.post_comments
  for delete to authenticated
  using (
    (author_id = (select auth.uid()) and workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))))
    or workspace_id = any (array(select postiz_private.workspaces_with_role('admin')))
  );

-- media_assets

create policy "Members can view their workspace's media" on postiz.media_assets
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can add media" on postiz.media_assets
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can update media" on postiz.media_assets
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can delete media" on postiz.media_assets
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

-- post_media

create policy "Members can view their workspace's post media" on postiz.post_media
  for select to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('viewer'))));

create policy "Editors can attach media to posts" on postiz.post_media
  for insert to authenticated
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can reorder post media" on postiz.post_media
  for update to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))))
  with check (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));

create policy "Editors can detach media from posts" on postiz.post_media
  for delete to authenticated
  using (workspace_id = any (array(select postiz_private.workspaces_with_role('editor'))));
