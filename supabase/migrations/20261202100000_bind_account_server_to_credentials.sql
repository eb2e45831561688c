-- Where an account's tokens may be sent is fixed when it is connected, and lives with the
-- credential, out of every client's reach.
--
-- Until now the worker and the token refresh read the account's server (Mastodon instance,
-- Bluesky PDS) and its instance client registration from `social_accounts.meta`, a column
-- admins may write. Setting `meta.server_url` to a host of one's choice sent the decrypted
-- access token (or the refresh token) there on the next publish or refresh. Credentials are
-- meant to be unreadable even to owners, so the destination moves into `postiz.credentials`,
-- which only service_role reads or writes; changing it means reconnecting.
--
-- Taking the class with it: no column the server trusts stays writable by clients.
-- `meta` (connect-time facts: server, instance registration, login id used by the Meta
-- deauthorize callback) and `external_page_id` (the page or channel the token posts as) are
-- written only by the connect flow, as service_role. `meta.server_url` stays as a display copy.

-- Tables ----------------------------------------------------------------------------------------

alter table postiz.credentials
  add column server_url text check (server_url ~ '^https?://[^[:space:]]+$'),
  add column instance_app_id uuid references postiz.instance_apps (id) on delete restrict;
comment on column postiz.credentials.server_url is
  'The server the tokens belong to (scheme://host[:port]); set at connect time only. Null: the network''s own API.';
comment on column postiz.credentials.instance_app_id is
  'The OAuth client registration on that server the tokens were issued to; set at connect time only.';
create index credentials_instance_app_id_idx on postiz.credentials (instance_app_id) where instance_app_id is not null;

-- Backfill ----------------------------------------------------------------------------------------

-- The values written at connect time are in meta. A value an admin may have changed since
-- cannot be told from the original, except where the account has an instance registration:
-- that registration was made on the real server, so a server that disagrees with it was
-- edited. Such accounts are not trusted: they must be reconnected.
update postiz.credentials c
set server_url = rtrim(a.meta ->> 'server_url', '/'),
    instance_app_id = case
      when a.meta ->> 'instance_app_id' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
        then (select i.id from postiz.instance_apps i where i.id = (a.meta ->> 'instance_app_id')::uuid)
    end
from postiz.social_accounts a
where a.id = c.social_account_id
  and a.meta ? 'server_url'
  and rtrim(a.meta ->> 'server_url', '/') ~ '^https?://[^[:space:]]+$'
  and not exists (
    select 1 from postiz.instance_apps i
    where a.meta ->> 'instance_app_id' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
      and i.id = (a.meta ->> 'instance_app_id')::uuid
      and rtrim(i.server_url, '/') <> rtrim(a.meta ->> 'server_url', '/')
  );

-- Accounts on a user-named server whose credential has no trusted server now: reconnect.
update postiz.social_accounts a
set status = 'needs_reconnect'
from postiz.credentials c
where c.social_account_id = a.id
  and a.meta ? 'server_url'
  and c.server_url is null
  and a.status = 'active';

-- Grants ----------------------------------------------------------------------------------------

-- Column grants are revoked column by column: what was granted per column stays otherwise.
revoke insert (external_page_id, meta) on table postiz.social_accounts from authenticated;
revoke update (external_page_id, meta) on table postiz.social_accounts from authenticated;
