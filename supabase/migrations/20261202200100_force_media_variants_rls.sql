-- media_variants (20261202200000) enabled row-level security but did not force it, as every
-- postiz table does (so the owner role is held to the policies too; 01-schema-lint checks it).

alter table postiz.media_variants force row level security;
