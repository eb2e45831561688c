-- Workspace slugs are unique per creator, not across the whole database (security review,
-- issue 14 item 10d). A globally unique slug answered "already taken" for a slug of a workspace
-- in another tenant, so anyone signed in could probe which names other tenants use. Nothing
-- looks a workspace up by slug: the API, the UI's routes (`/w/<workspace id>/…`) and the demo
-- host all use ids, and a slug is a label. What uniqueness is still worth having is that one
-- person's workspaces do not share a slug, which a user can only ever check against their own.
--
-- Workspaces without a creator (inserted by service_role, or whose creator's account was
-- deleted: created_by is set null) are not constrained against each other; the host's server
-- picks those slugs itself. The unique index leads with created_by, so it also serves the
-- foreign key and the lookups workspaces_created_by_idx served; that index stays for now.

alter table postiz.workspaces drop constraint workspaces_slug_key;
create unique index workspaces_created_by_slug_key on postiz.workspaces (created_by, slug);
comment on index postiz.workspaces_created_by_slug_key is
  'A user''s own workspaces have distinct slugs; other users'' slugs are never compared (no cross-tenant existence check).';
