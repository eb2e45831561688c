-- The name a user knows a media file by: the uploaded file's name, or the last segment of the
-- URL it was imported from. Shown in the library instead of its type. Only the name: a path the
-- client sent is cut to its last segment by the API, and the check keeps separators and control
-- characters out.

alter table postiz.media_assets
  add column name text check (char_length(name) between 1 and 255 and name !~ '[/\\[:cntrl:]]');
alter table postiz.media_uploads
  add column name text check (char_length(name) between 1 and 255 and name !~ '[/\\[:cntrl:]]');

grant insert (name) on table postiz.media_assets to authenticated;
grant insert (name) on table postiz.media_uploads to authenticated;
