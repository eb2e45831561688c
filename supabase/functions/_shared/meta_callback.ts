// The part every Meta callback shares (Deauthorize, Data Deletion): a form POST whose
// `signed_request` must verify against one of the configured app secrets. Which secrets verify
// it says which networks it concerns (one app may serve Facebook and Instagram).

import { refuse } from "./http.ts";
import { MalformedRequest, parseSignedRequest, type SignedRequest, signedWith } from "./meta_signed_request.ts";

/** Networks whose Meta apps send callbacks. */
export const META_NETWORKS = ["facebook", "instagram", "threads"] as const;

/** Larger bodies are not signed requests. */
const MAX_BODY_BYTES = 16 * 1024;

/** App secrets by network; networks without one are not considered. */
export type MetaSecrets = Partial<Record<string, string>>;

/** The secrets from the environment (`POSTIZ_OAUTH_FACEBOOK_CLIENT_SECRET`, …, the API's names). */
export function secretsFromEnv(get: (name: string) => string | undefined): MetaSecrets {
  const secrets: MetaSecrets = {};
  for (const network of META_NETWORKS) {
    const secret = get(`POSTIZ_OAUTH_${network.toUpperCase()}_CLIENT_SECRET`);
    if (secret) secrets[network] = secret;
  }
  return secrets;
}

/** A verified callback, or the refusal to answer (405, 413, 400, 401). */
export type Verified = { payload: SignedRequest; networks: string[] } | { refusal: Response };

/** Reads and verifies a POSTed `signed_request`; `label` names the function in logs. */
export async function verifiedCallback(req: Request, secrets: MetaSecrets, label: string): Promise<Verified> {
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) return { refusal: refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`) };
  const body = await req.text();
  if (body.length > MAX_BODY_BYTES) return { refusal: refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`) };
  const signed = new URLSearchParams(body).get("signed_request");
  if (!signed) return { refusal: refuse(400, "signed_request_missing", "signed_request: is missing (send it form-encoded)") };
  let parsed;
  try {
    parsed = parseSignedRequest(signed);
  } catch (e) {
    if (e instanceof MalformedRequest) return { refusal: refuse(400, "signed_request_malformed", `signed_request: ${e.message}`) };
    throw e;
  }
  const networks: string[] = [];
  for (const network of META_NETWORKS) {
    const secret = secrets[network];
    if (secret && (await signedWith(secret, parsed.signature, parsed.encodedPayload))) networks.push(network);
  }
  if (networks.length === 0) {
    console.warn(`${label}: a signed_request no configured app secret verifies`);
    return { refusal: refuse(401, "bad_signature", "signed_request: the signature does not match any configured app") };
  }
  return { payload: parsed.payload, networks };
}
