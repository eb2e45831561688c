// Meta's webhook signature (https://developers.facebook.com/docs/graph-api/webhooks/getting-started,
// "Validating Payloads"): `X-Hub-Signature-256: sha256=<hex>`, the HMAC-SHA256 of the raw body
// keyed with the app secret. The notification carries no timestamp in the signature, so replays
// are refused by the entries' `time` (see handler.ts) and by the delivery id.

const encoder = new TextEncoder();

function hexDecode(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^([0-9a-f]{2})+$/i.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

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
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Hex SHA-256 of the body: Meta sends no delivery id, and a retry repeats the body. */
export async function deliveryId(body: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(body)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
