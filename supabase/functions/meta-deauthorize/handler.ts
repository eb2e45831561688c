// The Deauthorize callback of a Meta app: when a user removes the app from their Facebook,
// Instagram or Threads settings, Meta POSTs `signed_request=…` (form-encoded) here. Every
// account connected through that login, in every workspace, is revoked (see
// `postiz_private.service_revoke_login`): the UI asks to reconnect it and its waiting posts
// are held until then, instead of failing one by one at their publish time.
//
// Which app signed the request says which networks it concerns: each network's app secret
// (`POSTIZ_OAUTH_<NETWORK>_CLIENT_SECRET`, the same variables the API reads) is tried, so one
// app used for Facebook and Instagram revokes both.

import { MalformedRequest, parseSignedRequest, signedWith } from "../_shared/meta_signed_request.ts";

/** Networks whose apps send this callback. */
export const NETWORKS = ["facebook", "instagram", "threads"] as const;

/** Larger bodies are not signed requests. */
const MAX_BODY_BYTES = 16 * 1024;

export interface Deps {
  /** App secrets by network; networks without one are not considered. */
  secrets: Partial<Record<string, string>>;
  /** Records the delivery and revokes; the number revoked, or null for a redelivery. */
  revoke(event: { network: string; networks: string[]; loginId: string; eventId: string; payload: unknown }): Promise<number | null>;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

function refuse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return json(status, { error: { code, message } }, headers);
}

/** The secrets from the environment (`POSTIZ_OAUTH_FACEBOOK_CLIENT_SECRET`, …). */
export function secretsFromEnv(get: (name: string) => string | undefined): Deps["secrets"] {
  const secrets: Deps["secrets"] = {};
  for (const network of NETWORKS) {
    const secret = get(`POSTIZ_OAUTH_${network.toUpperCase()}_CLIENT_SECRET`);
    if (secret) secrets[network] = secret;
  }
  return secrets;
}

export async function handle(req: Request, deps: Deps): Promise<Response> {
  if (req.method !== "POST") return refuse(405, "method_not_allowed", "POST a signed_request", { allow: "POST" });
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) return refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
  const body = await req.text();
  if (body.length > MAX_BODY_BYTES) return refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
  const signed = new URLSearchParams(body).get("signed_request");
  if (!signed) return refuse(400, "signed_request_missing", "signed_request: is missing (send it form-encoded)");

  let parsed;
  try {
    parsed = parseSignedRequest(signed);
  } catch (e) {
    if (e instanceof MalformedRequest) return refuse(400, "signed_request_malformed", `signed_request: ${e.message}`);
    throw e;
  }
  const networks: string[] = [];
  for (const network of NETWORKS) {
    const secret = deps.secrets[network];
    if (secret && (await signedWith(secret, parsed.signature, parsed.encodedPayload))) networks.push(network);
  }
  if (networks.length === 0) {
    console.warn("meta-deauthorize: a signed_request no configured app secret verifies");
    return refuse(401, "bad_signature", "signed_request: the signature does not match any configured app");
  }

  const { user_id: loginId, issued_at: issuedAt } = parsed.payload;
  const revoked = await deps.revoke({
    network: networks[0],
    networks,
    loginId,
    // Meta sends no delivery id; a retry of the same callback repeats user and time.
    eventId: `deauthorize:${loginId}:${issuedAt}`,
    payload: parsed.payload,
  });
  console.log(`meta-deauthorize: ${networks.join("+")} login ${loginId}: ${revoked === null ? "already handled" : `${revoked} account(s) revoked`}`);
  return json(200, { revoked: revoked ?? 0, redelivery: revoked === null });
}
