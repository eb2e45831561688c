-- The columns a video's facts, its poster, the default alt text and the aspect choice live in
-- (migrations 20261202210000 and 20261202200000): members' transactions write the facts and the
-- poster with the row at upload and never change them afterwards; only the alt text and the
-- aspect choice are edited later (editors, through RLS); anon has nothing.
begin;
select plan(15);

do $$
begin
  perform tests.create_supabase_user('olga', 'olga@example.com');   -- owner
  perform tests.create_supabase_user('eddie', 'eddie@example.com'); -- editor
  perform tests.create_supabase_user('vera', 'vera@example.com');   -- viewer
end
$$;

select tests.authenticate_as_service_role();
insert into postiz.workspaces (id, name, slug, created_by) values
  ('f0f0f0f0-0000-4000-8000-000000000000', 'Facts', 'media-facts', tests.get_supabase_uid('olga'));
insert into postiz.workspace_members (workspace_id, user_id, role) values
  ('f0f0f0f0-0000-4000-8000-000000000000', tests.get_supabase_uid('eddie'), 'editor'),
  ('f0f0f0f0-0000-4000-8000-000000000000', tests.get_supabase_uid('vera'), 'viewer');
insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256, video_codec, audio_codec, frame_rate, has_audio, poster_path) values
  ('f0f0f0f0-0000-4000-8000-0000000000a1', 'f0f0f0f0-0000-4000-8000-000000000000',
   'f0f0f0f0-0000-4000-8000-000000000000/f0f0f0f0-0000-4000-8000-0000000000a1/original.mp4', 'video/mp4', 1000, sha256('clip'),
   'avc1', 'mp4a', 25, true, 'f0f0f0f0-0000-4000-8000-000000000000/f0f0f0f0-0000-4000-8000-0000000000a1/poster.jpg');
reset role; -- back to the test runner (superuser) to read grants and rows as they are

-- Grants, column by column -------------------------------------------------------------------------

select column_privs_are('postiz', 'media_assets', c, 'authenticated', array['INSERT', 'SELECT'],
                        format('authenticated may write %s only with the row', c))
from unnest(array['video_codec', 'audio_codec', 'frame_rate', 'has_audio', 'poster_path']) as c;
select column_privs_are('postiz', 'media_assets', c, 'authenticated', array['INSERT', 'SELECT', 'UPDATE'],
                        format('authenticated may change %s later', c))
from unnest(array['alt_text', 'aspect_fit']) as c;
select column_privs_are('postiz', 'media_assets', 'alt_text', 'anon', array[]::text[], 'anon has nothing on alt_text');
select column_privs_are('postiz', 'media_assets', 'video_codec', 'anon', array[]::text[], 'anon has nothing on video_codec');

-- What that means for members ----------------------------------------------------------------------

select tests.authenticate_as('eddie');
select throws_ok(
  $$ update postiz.media_assets set video_codec = 'hvc1' where id = 'f0f0f0f0-0000-4000-8000-0000000000a1' $$,
  '42501', 'permission denied for table media_assets', 'an editor cannot rewrite a video''s codec'
);
select throws_ok(
  $$ update postiz.media_assets set poster_path = 'f0f0f0f0-0000-4000-8000-000000000000/x/poster.jpg' where id = 'f0f0f0f0-0000-4000-8000-0000000000a1' $$,
  '42501', 'permission denied for table media_assets', 'an editor cannot point the poster elsewhere'
);
select lives_ok(
  $$ update postiz.media_assets set alt_text = 'A test pattern', aspect_fit = 'pad'
     where id = 'f0f0f0f0-0000-4000-8000-0000000000a1' $$,
  'an editor sets the alt text and the aspect choice'
);
select throws_ok(
  $$ update postiz.media_assets set aspect_fit = 'stretch' where id = 'f0f0f0f0-0000-4000-8000-0000000000a1' $$,
  '23514', null, 'an aspect choice other than refuse, pad or crop is refused by the check'
);

select tests.authenticate_as('vera');
select is_empty(
  $$ update postiz.media_assets set alt_text = 'viewer was here' where id = 'f0f0f0f0-0000-4000-8000-0000000000a1' returning 1 $$,
  'a viewer''s alt text change touches no row'
);

reset role; -- back to the test runner (superuser) to read grants and rows as they are
select results_eq(
  $$ select alt_text, aspect_fit from postiz.media_assets where id = 'f0f0f0f0-0000-4000-8000-0000000000a1' $$,
  $$ values ('A test pattern'::text, 'pad'::text) $$,
  'the editor''s alt text and aspect choice stand, the viewer''s change did not land'
);

select * from finish();
rollback;
