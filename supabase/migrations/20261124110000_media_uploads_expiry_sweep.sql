-- Expired resumable uploads are now removed by the worker, across every workspace, on its
-- sweep cadence (before: by the API, one workspace at a time, when the next session started
-- there, so an abandoned upload in a quiet workspace kept its chunks for good).
--
-- The worker's sweep finds sessions by expiry alone; the existing (workspace_id, expires_at)
-- index stays for the workspace foreign key.
create index media_uploads_expires_at_idx on postiz.media_uploads (expires_at);

comment on table postiz.media_uploads is
  'Resumable media uploads in progress (chunks live in object storage). Editors of the workspace. '
  'The worker removes expired sessions and their chunks.';
