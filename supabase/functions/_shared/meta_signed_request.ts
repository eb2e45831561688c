// Meta's `signed_request` (Facebook Login's Deauthorize and Data Deletion callbacks, Threads'
// Uninstall callback): `<signature>.<payload>`, both base64url without padding, where the
// signature is HMAC-SHA256 of the payload part (as sent, still encoded) keyed with the app
// secret, and the payload is JSON: {"algorithm": "HMAC-SHA256", "issued_at": 1700000000,
// "user_id": "<the app-scoped id of the user who removed the app>"}.

/** The decoded payload of a signed request whose signature checked out. */
export interface SignedRequest {
  algorithm: string;
  issued_at: number;
  user_id: string;
  [other: string]: unknown;
}

/** The request is not a signed request at all (as opposed to one signed with another key). */
export class MalformedRequest extends Error {}

const encoder = new TextEncoder();

function base64urlDecode(part: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new MalformedRequest("is not base64url");
  const padded = part.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (part.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/** The two parts, and the payload decoded; throws MalformedRequest. */
export function parseSignedRequest(signed: string): { signature: Uint8Array<ArrayBuffer>; encodedPayload: string; payload: SignedRequest } {
  const parts = signed.split(".");
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new MalformedRequest("must be <signature>.<payload>");
  const signature = base64urlDecode(parts[0]);
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(base64urlDecode(parts[1])));
  } catch {
    throw new MalformedRequest("payload is not JSON");
  }
  const p = payload as Partial<SignedRequest> | null;
  if (!p || typeof p !== "object") throw new MalformedRequest("payload is not an object");
  if (typeof p.algorithm !== "string" || p.algorithm.toUpperCase() !== "HMAC-SHA256") {
    throw new MalformedRequest("algorithm must be HMAC-SHA256");
  }
  if (typeof p.user_id !== "string" || !/^[0-9A-Za-z_-]{1,128}$/.test(p.user_id)) throw new MalformedRequest("user_id is missing");
  if (typeof p.issued_at !== "number" || !Number.isFinite(p.issued_at)) throw new MalformedRequest("issued_at is missing");
  return { signature, encodedPayload: parts[1], payload: p as SignedRequest };
}

/** Whether `signature` is the HMAC-SHA256 of `encodedPayload` under `secret` (constant time). */
export async function signedWith(secret: string, signature: Uint8Array<ArrayBuffer>, encodedPayload: string): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  return crypto.subtle.verify("HMAC", key, signature, encoder.encode(encodedPayload));
}

/** Makes a signed request (what Meta sends); for tests and local tooling. */
export async function signRequest(secret: string, payload: Record<string, unknown>): Promise<string> {
  const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const encodedPayload = b64url(encoder.encode(JSON.stringify(payload)));
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(encodedPayload)));
  return `${b64url(signature)}.${encodedPayload}`;
}
