-- What a video is, read from its container at upload (`crates/postiz-api/src/routes/video_probe.rs`),
-- so a post can be refused at schedule time when a network would refuse the file: the codecs as
-- their four-character sample entry types (`avc1`, `hvc1`, `av01`; sound `mp4a`), frames per
-- second, and whether there is sound. Null for images and for videos uploaded before.
--
-- A poster frame (`<ws>/<asset>/poster.jpg`), made with ffmpeg when it is installed: the library's
-- thumbnail for a video and a cover for networks that want one.
--
-- A default alternative text for the asset, edited in the library: a post that attaches the
-- asset without its own alt text (`post_media.alt_text` null) publishes with this one.

alter table postiz.media_assets
  add column video_codec text check (video_codec ~ '^[[:print:]]{4}$'),
  add column audio_codec text check (audio_codec ~ '^[[:print:]]{4}$'),
  add column frame_rate numeric(8, 3) check (frame_rate > 0 and frame_rate <= 10000),
  add column has_audio boolean,
  add column poster_path text
    check (split_part(poster_path, '/', 1) = workspace_id::text and poster_path !~ '(^|/)\.\.(/|$)'),
  add column alt_text text check (char_length(alt_text) between 1 and 2000);

-- Grants ----------------------------------------------------------------------------------------

-- The uploader's transaction writes the facts with the row; afterwards only the alt text changes.
grant insert (video_codec, audio_codec, frame_rate, has_audio, poster_path, alt_text)
  on table postiz.media_assets to authenticated;
grant update (alt_text) on table postiz.media_assets to authenticated;
