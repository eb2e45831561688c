// Meta's Data Deletion Request callback (Facebook Login settings: "Data Deletion Request URL";
// Instagram and Threads apps have the same): when a person asks for the data this app holds
// about them to be deleted, Meta POSTs `signed_request=…` here. The deletion is carried out
// at once (`postiz_private.service_delete_login_data`: their sign-ins deleted, the accounts
// revoked and held, the login's id and their own profile's name and picture removed), and
// Meta gets what it asks for: a confirmation code and a URL where the person can check the
// status. That URL is this function with `?code=`, answering a small page.
//
// Which app signed the request says which networks it concerns, as for Deauthorize: each
// network's app secret (`POSTIZ_OAUTH_<NETWORK>_CLIENT_SECRET`) is tried.

import { json, refuse } from "../_shared/http.ts";
import { type MetaSecrets, secretsFromEnv, verifiedCallback } from "../_shared/meta_callback.ts";

export { secretsFromEnv };

export interface Deletion {
  confirmationCode: string;
  accounts: number;
  redelivery: boolean;
}

export interface Status {
  network: string;
  accounts: number;
  requestedAt: Date;
  completedAt: Date | null;
}

export interface Deps {
  /** App secrets by network; networks without one are not considered. */
  secrets: MetaSecrets;
  /** This function's public URL (the status URL is it with `?code=`). */
  publicUrl: string;
  /** Carries out the deletion (once per request; a redelivery answers the same code). */
  deleteLoginData(request: { networks: string[]; loginId: string; issuedAt: number; payload: unknown }): Promise<Deletion>;
  /** A request's status by its code, or null. */
  status(code: string): Promise<Status | null>;
}

function page(status: number, title: string, text: string): Response {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escape(title)}</title><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5">` +
    `<h1 style="font-size:1.4rem">${escape(title)}</h1><p>${escape(text)}</p></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}

const NETWORK_NAMES: Record<string, string> = { facebook: "Facebook", instagram: "Instagram", threads: "Threads" };

async function showStatus(code: string, deps: Deps): Promise<Response> {
  if (!/^[0-9a-f]{32}$/.test(code)) return page(404, "Unknown request", "No data deletion request has this confirmation code.");
  const status = await deps.status(code);
  if (!status) return page(404, "Unknown request", "No data deletion request has this confirmation code.");
  const network = NETWORK_NAMES[status.network] ?? status.network;
  const when = (status.completedAt ?? status.requestedAt).toISOString().slice(0, 16).replace("T", " ") + " UTC";
  const what = status.accounts === 0
    ? `We held no data about you from ${network}.`
    : `The sign-in to ${status.accounts} ${status.accounts === 1 ? "account" : "accounts"} you connected from ${network} was deleted, with your ${network} id and, for your own profile, its name and picture.`;
  return page(200, status.completedAt ? "Your data was deleted" : "Your request is being handled", `${what} Request ${code}, ${status.completedAt ? "completed" : "received"} ${when}.`);
}

export async function handle(req: Request, deps: Deps): Promise<Response> {
  if (req.method === "GET") {
    const code = new URL(req.url).searchParams.get("code");
    if (!code) return page(400, "Data deletion status", "Open the link you were given: it ends with ?code= and your confirmation code.");
    return await showStatus(code, deps);
  }
  if (req.method !== "POST") return refuse(405, "method_not_allowed", "POST a signed_request, or GET ?code=", { allow: "GET, POST" });
  const verified = await verifiedCallback(req, deps.secrets, "meta-data-deletion");
  if ("refusal" in verified) return verified.refusal;
  const { payload, networks } = verified;
  const deletion = await deps.deleteLoginData({
    networks,
    loginId: payload.user_id,
    issuedAt: Math.trunc(payload.issued_at),
    payload,
  });
  // Never the login id in logs: the point of the request is to forget it.
  console.log(`meta-data-deletion: ${networks.join("+")}: request ${deletion.confirmationCode}${deletion.redelivery ? " (redelivered)" : ""}, ${deletion.accounts} account(s)`);
  const url = `${deps.publicUrl}?code=${deletion.confirmationCode}`;
  return json(200, { url, confirmation_code: deletion.confirmationCode });
}
