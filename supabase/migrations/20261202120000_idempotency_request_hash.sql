-- An Idempotency-Key is bound to the request that first used it (security review, issue 14
-- item 8). Before, a second create under a used key answered the first post whatever its body,
-- silently dropping the second request. Now the API stores the SHA-256 of that request (method,
-- operation and canonical JSON body; `crates/postiz-api/src/routes/posts/mod.rs`,
-- `request_fingerprint`) next to the key, and answers 422 `idempotency_key_reused` when a later
-- request under the key differs. Keys stay scoped to the workspace
-- (`unique (idempotency_key, workspace_id)`).
--
-- Posts created before this migration have a key but no hash: null means "not recorded", and
-- the API returns such a post for any body, as it always did. Adding a nullable column without
-- a default rewrites nothing; the checks are added `not valid` and validated separately, so the
-- table is only briefly locked while existing rows are read.

alter table postiz.posts add column idempotency_request_sha256 bytea;
comment on column postiz.posts.idempotency_request_sha256 is
  'SHA-256 of the request that created the post under idempotency_key; null when not recorded (posts from before 2026-12).';

alter table postiz.posts
  add constraint posts_idempotency_request_sha256_length
    check (octet_length(idempotency_request_sha256) = 32) not valid,
  add constraint posts_idempotency_request_needs_key
    check (idempotency_request_sha256 is null or idempotency_key is not null) not valid;
alter table postiz.posts validate constraint posts_idempotency_request_sha256_length;
alter table postiz.posts validate constraint posts_idempotency_request_needs_key;

-- Written once, with the key, by the creating request; never updated by clients (the update
-- grant on posts stays status, content, metadata, scheduled_at).
grant insert (idempotency_request_sha256) on table postiz.posts to authenticated;
