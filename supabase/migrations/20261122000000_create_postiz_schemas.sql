-- The module's schemas.
-- `postiz` holds every table, all under row-level security; it is what clients may reach.
-- `postiz_private` holds security-definer helpers used by policies; it must never be exposed
-- through the Data API (keep it out of [api] schemas in supabase/config.toml).

create schema if not exists postiz;
create schema if not exists postiz_private;

comment on schema postiz is 'Social-media scheduler module: every table is under row-level security.';
comment on schema postiz_private is 'Security-definer helpers for postiz policies; never exposed.';

-- Deny by default: nothing for PUBLIC or anon; signed-in users and the worker may resolve names.
-- Table and function rights are granted one by one in the migration that creates each object.
revoke all on schema postiz from public, anon;
revoke all on schema postiz_private from public, anon;
grant usage on schema postiz to authenticated, service_role;
grant usage on schema postiz_private to authenticated, service_role;
