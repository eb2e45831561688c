// Meta's webhook signature (https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
// "Validating Payloads"): `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body
// keyed with the app secret. The notification carries no timestamp in the signature, so replays
// are refused by the entries' `time` (see handler.ts) and by the delivery id.

import { hexDecode, hexEncode } from "../_shared/hex.ts";
export { deliveryId } from "../_shared/hex.ts";

const encoder = new TextEncoder();


/** The signature's bytes, or null when the header is missing or not `sha256=<hex>`. */
export function parseSignature(header: string | null): Uint8Array<ArrayBuffer> | null {
  return header?.startsWith("sha256=") ? hexDecode(header.slice(7)) : null;
}

/** Whether `signature` is the body's HMAC under `secret` (WebCrypto compares in constant time). */
export async function signedWith(secret: string, signature: Uint8Array<ArrayBuffer>, body: string): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  return await crypto.subtle.verify("HMAC", key, signature, encoder.encode(body));
}

/** Signs a body as Meta does; for tests and local tooling. */
export async function sign(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(body)));
  return `sha256=${hexEncode(mac)}`;
}

