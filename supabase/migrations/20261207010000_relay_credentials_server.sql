-- Nostr accounts connect to a relay, a websocket server (`wss://relay.example`), which is where
-- their notes go: like a Mastodon instance or a Bluesky PDS, it is fixed with the credential at
-- connect time. The credential's server may now be a websocket address too.

alter table postiz.credentials
  drop constraint credentials_server_url_check,
  add constraint credentials_server_url_check check (server_url ~ '^(https?|wss?)://[^[:space:]]+$');
