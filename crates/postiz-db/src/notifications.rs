//! How a stored notification reads as one event: the SQL that the API's inbox and the worker's
//! emails both select, so the row is decoded once, into `postiz_domain::NotificationEvent`.

/// The `pgmq` queue of notification emails (`send_notification_email` messages).
pub const NOTIFY_QUEUE: &str = "notify";

/// A `postiz.notifications` row aliased `n` as the JSON of `postiz_domain::NotificationEvent`:
/// its `details` with its kind, post (the row's, else the one its details name: an account's
/// notice names its first post at risk there) and account, nulls dropped. Keys a kind does not use
/// (`target_id`, `step`) are ignored by the decoder; a row that does not decode is an error.
pub const EVENT_JSON: &str = "jsonb_strip_nulls(n.details || jsonb_build_object('kind', n.kind, 'post_id', coalesce(n.post_id::text, n.details ->> 'post_id'), 'account_id', n.social_account_id))";
