// Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
// `X-Slack-Signature: v0=<hex>` where <hex> is HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw
// body>` keyed with the app's signing secret. A timestamp more than five minutes away from now
// is refused, so a captured request cannot be replayed later.

import { hexDecode, hexEncode } from "../_shared/hex.ts";

const encoder = new TextEncoder();

/** How far a request's timestamp may be from now. */
export const MAX_SKEW_SECS = 5 * 60;


/** Why a request is refused, or null when its signature and time check out. */
export async function verify(secret: string, timestamp: string | null, signature: string | null, body: string, nowSecs: number): Promise<string | null> {
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return "X-Slack-Request-Timestamp: is missing";
  if (Math.abs(nowSecs - Number(timestamp)) > MAX_SKEW_SECS) return "X-Slack-Request-Timestamp: is more than five minutes from now";
  const sent = signature?.startsWith("v0=") ? hexDecode(signature.slice(3)) : null;
  if (!sent) return "X-Slack-Signature: is missing or not v0=<hex>";
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  // WebCrypto's verify compares in constant time.
  const ok = await crypto.subtle.verify("HMAC", key, sent, encoder.encode(`v0:${timestamp}:${body}`));
  return ok ? null : "X-Slack-Signature: does not match the signing secret";
}

/** Signs a body as Slack does; for tests and local tooling. */
export async function sign(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`v0:${timestamp}:${body}`)));
  return `v0=${hexEncode(mac)}`;
}
