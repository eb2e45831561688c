// TikTok's webhook signature (https://developers.tiktok.com/doc/webhooks-verification):
// `TikTok-Signature: t=<unix seconds>,s=<hex>` where <hex> is HMAC-SHA256 of `<t>.<raw body>`
// keyed with the app's client secret. The timestamp is signed, so a captured delivery cannot be
// replayed later: one more than five minutes away from now is refused.

import { hexDecode, hexEncode } from "../_shared/hex.ts";
export { deliveryId } from "../_shared/hex.ts";

const encoder = new TextEncoder();

/** How far a delivery's timestamp may be from now. */
export const MAX_SKEW_SECS = 5 * 60;


/** Why a delivery is refused, or null when its signature and time check out. */
export async function verify(secret: string, header: string | null, body: string, nowSecs: number): Promise<string | null> {
  const parts = new Map((header ?? "").split(",").map((p) => p.trim().split("=", 2) as [string, string]));
  const t = parts.get("t");
  const sent = hexDecode(parts.get("s") ?? "");
  if (!t || !/^\d{1,12}$/.test(t) || !sent) return "TikTok-Signature: is missing or not t=<timestamp>,s=<hex>";
  if (Math.abs(nowSecs - Number(t)) > MAX_SKEW_SECS) return "TikTok-Signature: its timestamp is more than five minutes from now";
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  // WebCrypto's verify compares in constant time.
  const ok = await crypto.subtle.verify("HMAC", key, sent, encoder.encode(`${t}.${body}`));
  return ok ? null : "TikTok-Signature: does not match the client secret";
}

/** Signs a body as TikTok does; for tests and local tooling. */
export async function sign(secret: string, t: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`${t}.${body}`)));
  return `t=${t},s=${hexEncode(mac)}`;
}

