// TikTok's webhooks for the TikTok app (Callback URL in the app's settings on TikTok for
// Developers: `<project>/functions/v1/tiktok-webhooks`; TikTok subscribes every event).
//
// - `authorization.removed`: the user disconnected the app (or their account was deleted or
//   banned); TikTok has already revoked the token. Every account connected as that user
//   (`user_openid` is the account's id) is revoked and its waiting posts held, as for Meta's
//   Deauthorize callback (`postiz_private.service_revoke_login`).
// - `post.publish.complete`, `post.publish.publicly_available`, `post.publish.inbox_delivered`
//   and `post.publish.failed`: the outcome of a post, by its `publish_id`. A post whose status
//   polling ran out (the job ended unconfirmed with that publish id) is settled: published with
//   its post id, or failed with TikTok's reason (`postiz_private.service_settle_awaited_post`).
//   When the worker saw the outcome itself the notification is recorded and changes nothing.
// Other events are recorded once and not acted on.
//
// Every delivery is signed with the client secret (`POSTIZ_OAUTH_TIKTOK_CLIENT_SECRET`, the
// API's name) and timestamped (signature.ts). TikTok retries for 72 hours until it gets a 200;
// a delivery is known by its body's SHA-256, so a retry changes nothing.

import { json, refuse } from "../_shared/http.ts";
import { deliveryId, verify } from "./signature.ts";

const MAX_BODY_BYTES = 64 * 1024;

/** Where a published TikTok video lives. */
export const VIDEO_URL = "https://www.tiktok.com/@{handle}/video/{id}";

/** What `post.publish.failed`'s reasons mean, for the person reading the post's error. */
function failureInWords(reason: string): string {
  return `TikTok could not publish the post after accepting it (${reason})`;
}

export interface Deps {
  /** The app's client secret; without it every delivery is refused. */
  clientSecret: string | undefined;
  /** Seconds since the epoch (tests move it). */
  now(): number;
  /** Records the delivery and revokes the user's accounts; the number revoked, or null for a redelivery. */
  revoke(event: { loginId: string; eventId: string; payload: unknown }): Promise<number | null>;
  /** Records the delivery and settles the awaited post: 'settled', 'redelivery' or 'not_waiting'. */
  settle(event: {
    publishId: string;
    outcome: "published" | "failed";
    postId: string | null;
    reason: string | null;
    eventId: string;
    payload: unknown;
  }): Promise<string>;
  /** Records a delivery that needs nothing done; false for a redelivery. */
  record(event: { eventId: string; payload: unknown }): Promise<boolean>;
}

interface Delivery {
  client_key?: unknown;
  event?: unknown;
  create_time?: unknown;
  user_openid?: unknown;
  content?: unknown;
}

export async function handle(req: Request, deps: Deps): Promise<Response> {
  if (req.method !== "POST") return refuse(405, "method_not_allowed", "POST TikTok events here", { allow: "POST" });
  if (!deps.clientSecret) {
    console.error("tiktok-webhooks: POSTIZ_OAUTH_TIKTOK_CLIENT_SECRET is not set; refusing every delivery");
    return refuse(503, "not_configured", "this endpoint is not configured");
  }
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) return refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
  const body = await req.text();
  if (body.length > MAX_BODY_BYTES) return refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
  const refused = await verify(deps.clientSecret, req.headers.get("tiktok-signature"), body, deps.now());
  if (refused) {
    console.warn(`tiktok-webhooks: refused: ${refused}`);
    return refuse(401, "bad_signature", refused);
  }
  let delivery: Delivery;
  let content: Record<string, unknown>;
  try {
    delivery = JSON.parse(body);
    // `content` is itself a serialized JSON object.
    content = typeof delivery.content === "string" ? JSON.parse(delivery.content) : {};
  } catch {
    return refuse(400, "not_json", "the body, or its content, is not JSON");
  }
  if (typeof delivery?.event !== "string" || typeof delivery.user_openid !== "string") {
    return refuse(400, "not_an_event", "event and user_openid: an event has both");
  }
  const eventId = await deliveryId(body);
  const event = delivery.event;
  const payload = { ...delivery, content };

  if (event === "authorization.removed") {
    const revoked = await deps.revoke({ loginId: delivery.user_openid, eventId, payload });
    console.log(`tiktok-webhooks: ${event}: ${revoked === null ? "already handled" : `${revoked} account(s) revoked`}`);
    return json(200, { outcome: revoked === null ? "redelivery" : "revoked", revoked: revoked ?? 0 });
  }
  const settles: Record<string, "published" | "failed"> = {
    "post.publish.complete": "published",
    "post.publish.publicly_available": "published",
    "post.publish.inbox_delivered": "published",
    "post.publish.failed": "failed",
  };
  const publishId = typeof content.publish_id === "string" ? content.publish_id : null;
  if (event in settles && publishId) {
    const rawPostId = content.post_id ?? content.publicaly_available_post_id;
    const postId = typeof rawPostId === "string" || typeof rawPostId === "number" ? String(rawPostId) : null;
    const reason = settles[event] === "failed" ? failureInWords(typeof content.reason === "string" ? content.reason : "no reason given") : null;
    const outcome = await deps.settle({ publishId, outcome: settles[event], postId, reason, eventId, payload });
    console.log(`tiktok-webhooks: ${event} for publish ${publishId}: ${outcome}`);
    return json(200, { outcome });
  }
  const fresh = await deps.record({ eventId, payload });
  console.log(`tiktok-webhooks: ${event}: recorded, nothing to do`);
  return json(200, { outcome: fresh ? "recorded" : "redelivery" });
}
