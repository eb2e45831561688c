-- Rotating an endpoint's signing secret without dropping a delivery: the new secret signs from
-- the moment it is shown, and the one it replaces keeps signing beside it for a day, so each
-- delivery carries two signatures (`webhook-signature: v1,<new> v1,<old>`, as Standard Webhooks
-- specifies for rotation) until the receiver has the new secret. A second rotation within the
-- day replaces the older one.
--
-- The previous secret stays sealed exactly as it was (same binding: workspace and endpoint), so
-- moving it is a copy of the sealed columns. Members never read either secret; they see until
-- when the previous one is honoured. The move is done by the API on the service pool after the
-- admin check, because copying a column needs the right to read it.

alter table postiz.webhook_endpoints
  add column previous_secret_key_id text,
  add column previous_secret_nonce bytea,
  add column previous_secret_ciphertext bytea,
  add column previous_secret_expires_at timestamptz,
  add constraint webhook_endpoints_previous_secret_check check (
    (previous_secret_key_id is null) = (previous_secret_nonce is null)
    and (previous_secret_nonce is null) = (previous_secret_ciphertext is null)
    and (previous_secret_ciphertext is null) = (previous_secret_expires_at is null)
  );
comment on column postiz.webhook_endpoints.previous_secret_expires_at is
  'Until when the secret replaced by the last rotation still signs deliveries (beside the current one).';

grant select (previous_secret_expires_at) on table postiz.webhook_endpoints to authenticated;
