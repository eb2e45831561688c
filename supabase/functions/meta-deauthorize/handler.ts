// The Deauthorize callback of a Meta app: when a user removes the app from their Facebook,
// Instagram or Threads settings, Meta POSTs `signed_request=…` (form-encoded) here. Every
// account connected through that login, in every workspace, is revoked (see
// `postiz_private.service_revoke_login`): the UI asks to reconnect it and its waiting posts
// are held until then, instead of failing one by one at their publish time.
//
// Which app signed the request says which networks it concerns: each network's app secret
// (`POSTIZ_OAUTH_<NETWORK>_CLIENT_SECRET`, the same variables the API reads) is tried, so one
// app used for Facebook and Instagram revokes both.

import { json, refuse } from "../_shared/http.ts";
import { META_NETWORKS, type MetaSecrets, secretsFromEnv, verifiedCallback } from "../_shared/meta_callback.ts";

/** Networks whose apps send this callback. */
export const NETWORKS = META_NETWORKS;
export { secretsFromEnv };

export interface Deps {
  /** App secrets by network; networks without one are not considered. */
  secrets: MetaSecrets;
  /** Records the delivery and revokes; the number revoked, or null for a redelivery. */
  revoke(event: { network: string; networks: string[]; loginId: string; eventId: string; payload: unknown }): Promise<number | null>;
}

export async function handle(req: Request, deps: Deps): Promise<Response> {
  if (req.method !== "POST") return refuse(405, "method_not_allowed", "POST a signed_request", { allow: "POST" });
  const verified = await verifiedCallback(req, deps.secrets, "meta-deauthorize");
  if ("refusal" in verified) return verified.refusal;
  const { payload, networks } = verified;
  const { user_id: loginId, issued_at: issuedAt } = payload;
  const revoked = await deps.revoke({
    network: networks[0],
    networks,
    loginId,
    // Meta sends no delivery id; a retry of the same callback repeats user and time.
    eventId: `deauthorize:${loginId}:${issuedAt}`,
    payload,
  });
  console.log(`meta-deauthorize: ${networks.join("+")} login ${loginId}: ${revoked === null ? "already handled" : `${revoked} account(s) revoked`}`);
  return json(200, { revoked: revoked ?? 0, redelivery: revoked === null });
}
