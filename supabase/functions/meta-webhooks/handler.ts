// Meta's Webhooks for the Facebook, Instagram and Threads apps (Callback URL:
// `<project>/functions/v1/meta-webhooks`, Verify Token: POSTIZ_META_WEBHOOK_VERIFY_TOKEN).
//
// - GET is Meta's subscription check (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`):
//   the challenge is echoed when the token matches.
// - POST is a notification, signed with the app secret (`X-Hub-Signature-256`, see signature.ts);
//   which configured app secret verifies it says which networks it concerns, as for the
//   Deauthorize callback. A `permissions` notification whose change revokes a permission we
//   publish with holds the accounts it concerns for reconnection: the pages or profiles it lists
//   in `target_ids`, else every account of that login on the networks that need the permission
//   (`postiz_private.service_hold_accounts_for_reconnect`). Other objects (page, instagram,
//   user) are recorded once and not acted on.
//
// Meta sends no delivery id and signs no timestamp: a delivery is known by the SHA-256 of its
// body (a retry repeats it), and one whose entries are older than Meta's retry period is refused.
// Meta wants a 200 within seconds and retries otherwise; the database call is one short
// transaction, so the answer comes after the work, and a retry of it changes nothing.

import { json, refuse } from "../_shared/http.ts";
import { META_NETWORKS, type MetaSecrets, secretsFromEnv } from "../_shared/meta_callback.ts";
import { deliveryId, parseSignature, signedWith } from "./signature.ts";

export { secretsFromEnv };

/** Meta batches up to 1,000 changes in one notification. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Meta retries a failed delivery for up to 36 hours; older entries are replays. */
export const MAX_AGE_SECS = 48 * 60 * 60;
/** Clocks differ a little. */
const MAX_FUTURE_SECS = 5 * 60;

/** The permissions each network's accounts publish with: losing one holds them. */
export const PUBLISHING_PERMISSIONS: Record<string, readonly string[]> = {
  facebook: ["pages_manage_posts", "pages_read_engagement", "pages_show_list", "publish_video"],
  instagram: ["instagram_basic", "instagram_content_publish", "pages_show_list", "pages_read_engagement"],
  threads: ["threads_basic", "threads_content_publish"],
};

/** Accounts to hold: `accountIds` null means every account of the login on `networks`. */
export interface Hold {
  login_id: string;
  networks: string[];
  account_ids: string[] | null;
  reason: string;
}

export interface Deps {
  /** App secrets by network; networks without one are not considered. */
  secrets: MetaSecrets;
  /** The Verify Token entered in the app's Webhooks settings; without it subscription checks fail. */
  verifyToken: string | undefined;
  /** Seconds since the epoch (tests move it). */
  now(): number;
  /** Records the delivery and holds the accounts; the number held, or null for a redelivery. */
  hold(event: { network: string; networks: string[]; eventId: string; holds: Hold[]; payload: unknown }): Promise<number | null>;
  /** Records a delivery that needs nothing done; false for a redelivery. */
  record(event: { network: string; eventId: string; payload: unknown }): Promise<boolean>;
}

interface Change {
  field?: unknown;
  value?: { verb?: unknown; target_ids?: unknown } | null;
}
interface Entry {
  id?: unknown;
  time?: unknown;
  changes?: unknown;
}
interface Notification {
  object?: unknown;
  entry?: unknown;
}

function subscriptionCheck(req: Request, deps: Deps): Response {
  const params = new URL(req.url).searchParams;
  if (params.get("hub.mode") !== "subscribe") return refuse(400, "not_a_subscription_check", "hub.mode: must be subscribe");
  const challenge = params.get("hub.challenge");
  if (!challenge) return refuse(400, "challenge_missing", "hub.challenge: is missing");
  if (!deps.verifyToken) {
    console.error("meta-webhooks: POSTIZ_META_WEBHOOK_VERIFY_TOKEN is not set; refusing the subscription check");
    return refuse(503, "not_configured", "this endpoint is not configured");
  }
  if (!timingSafeEqual(params.get("hub.verify_token") ?? "", deps.verifyToken)) {
    console.warn("meta-webhooks: a subscription check with the wrong verify token");
    return refuse(403, "bad_verify_token", "hub.verify_token: does not match");
  }
  return new Response(challenge, { status: 200, headers: { "content-type": "text/plain" } });
}

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** What a `permissions` entry's changes ask us to hold. */
function holdsOf(entry: Entry, networks: string[]): Hold[] {
  const loginId = typeof entry.id === "string" ? entry.id : typeof entry.id === "number" ? String(entry.id) : null;
  if (!loginId || !Array.isArray(entry.changes)) return [];
  const holds: Hold[] = [];
  for (const change of entry.changes as Change[]) {
    const permission = typeof change?.field === "string" ? change.field : null;
    if (!permission || change.value?.verb !== "revoked") continue;
    const concerned = networks.filter((n) => PUBLISHING_PERMISSIONS[n]?.includes(permission));
    if (concerned.length === 0) continue;
    const targets = Array.isArray(change.value?.target_ids) ? change.value.target_ids.map(String) : null;
    holds.push({
      login_id: loginId,
      networks: concerned,
      account_ids: targets && targets.length > 0 ? targets : null,
      reason: `its owner removed the permission ${permission} on Meta`,
    });
  }
  return holds;
}

export async function handle(req: Request, deps: Deps): Promise<Response> {
  if (req.method === "GET") return subscriptionCheck(req, deps);
  if (req.method !== "POST") return refuse(405, "method_not_allowed", "POST Meta notifications here", { allow: "GET, POST" });
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) return refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
  const body = await req.text();
  if (body.length > MAX_BODY_BYTES) return refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);

  const signature = parseSignature(req.headers.get("x-hub-signature-256"));
  if (!signature) return refuse(401, "bad_signature", "X-Hub-Signature-256: is missing or not sha256=<hex>");
  const networks: string[] = [];
  for (const network of META_NETWORKS) {
    const secret = deps.secrets[network];
    if (secret && (await signedWith(secret, signature, body))) networks.push(network);
  }
  if (networks.length === 0) {
    console.warn("meta-webhooks: refused: a notification no configured app secret verifies");
    return refuse(401, "bad_signature", "X-Hub-Signature-256: does not match any configured app");
  }

  let notification: Notification;
  try {
    notification = JSON.parse(body);
  } catch {
    return refuse(400, "not_json", "the body is not JSON");
  }
  if (typeof notification?.object !== "string" || !Array.isArray(notification.entry)) {
    return refuse(400, "not_a_notification", "object and entry: a notification has both");
  }
  const entries = notification.entry as Entry[];
  const now = deps.now();
  for (const entry of entries) {
    const time = typeof entry?.time === "number" ? (entry.time > 1e11 ? Math.floor(entry.time / 1000) : entry.time) : null;
    if (time === null) return refuse(400, "time_missing", "entry.time: is missing");
    if (now - time > MAX_AGE_SECS || time - now > MAX_FUTURE_SECS) {
      console.warn(`meta-webhooks: refused: an entry from ${time}, ${now - time} s ago`);
      return refuse(400, "stale", "entry.time: is outside the period Meta delivers in; a replay is refused");
    }
  }

  const eventId = await deliveryId(body);
  const holds = notification.object === "permissions" ? entries.flatMap((e) => holdsOf(e, networks)) : [];
  if (holds.length > 0) {
    const held = await deps.hold({ network: networks[0], networks, eventId, holds, payload: notification });
    console.log(`meta-webhooks: permissions revoked for ${holds.length} login(s): ${held === null ? "already handled" : `${held} account(s) held`}`);
    return json(200, { held: held ?? 0, redelivery: held === null });
  }
  const fresh = await deps.record({ network: networks[0], eventId, payload: notification });
  console.log(`meta-webhooks: ${notification.object} notification with ${entries.length} entr${entries.length === 1 ? "y" : "ies"}: recorded, nothing to do`);
  return json(200, { held: 0, redelivery: !fresh });
}
