// Slack's Events API for the Slack app (Request URL: `<project>/functions/v1/slack-events`,
// subscribed to `app_uninstalled` and `tokens_revoked`). When a workspace uninstalls the app,
// or the bot token we post with is revoked, every channel connected through that Slack
// workspace (team) is revoked here at once (`postiz_private.service_revoke_login`): the UI asks
// to reconnect and waiting posts are held, instead of each failing at its publish time.
//
// Every request is signed with the app's signing secret (`POSTIZ_SLACK_SIGNING_SECRET`) and
// timestamped (see signature.ts). Slack retries a delivery it did not see acknowledged within
// 3 s with the same `event_id`; the database records each event id once, so a retry changes
// nothing. Other event types are acknowledged and recorded, never acted on.

import { json, refuse } from "../_shared/http.ts";
import { verify } from "./signature.ts";

/** Larger bodies are not Slack events. */
const MAX_BODY_BYTES = 64 * 1024;

export interface Deps {
  /** The app's signing secret; without it every request is refused. */
  signingSecret: string | undefined;
  /** Seconds since the epoch (tests move it). */
  now(): number;
  /** Records the event and revokes the team's accounts; the number revoked, or null for a redelivery. */
  revokeTeam(event: { teamId: string; eventId: string; payload: unknown }): Promise<number | null>;
  /** Records an event that needs nothing done; false for a redelivery. */
  record(event: { eventId: string; payload: unknown }): Promise<boolean>;
}

interface Envelope {
  type?: string;
  challenge?: string;
  team_id?: string;
  event_id?: string;
  event?: { type?: string; tokens?: { oauth?: string[]; bot?: string[] } };
}

export async function handle(req: Request, deps: Deps): Promise<Response> {
  if (req.method !== "POST") return refuse(405, "method_not_allowed", "POST Slack events here", { allow: "POST" });
  if (!deps.signingSecret) {
    console.error("slack-events: POSTIZ_SLACK_SIGNING_SECRET is not set; refusing every request");
    return refuse(503, "not_configured", "this endpoint is not configured");
  }
  const length = Number(req.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) return refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
  const body = await req.text();
  if (body.length > MAX_BODY_BYTES) return refuse(413, "too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
  const refused = await verify(
    deps.signingSecret,
    req.headers.get("x-slack-request-timestamp"),
    req.headers.get("x-slack-signature"),
    body,
    deps.now(),
  );
  if (refused) {
    console.warn(`slack-events: refused: ${refused}`);
    return refuse(401, "bad_signature", refused);
  }
  let envelope: Envelope;
  try {
    envelope = JSON.parse(body);
  } catch {
    return refuse(400, "not_json", "the body is not JSON");
  }
  // Slack checks the Request URL once with a challenge to echo.
  if (envelope.type === "url_verification") {
    if (typeof envelope.challenge !== "string") return refuse(400, "challenge_missing", "challenge: is missing");
    return json(200, { challenge: envelope.challenge });
  }
  if (envelope.type !== "event_callback" || typeof envelope.event_id !== "string" || typeof envelope.team_id !== "string") {
    return refuse(400, "not_an_event", "type must be event_callback, with event_id and team_id");
  }
  const kind = envelope.event?.type;
  // Only the bot token posts for us: a member revoking their own user token changes nothing.
  const botRevoked = kind === "tokens_revoked" && (envelope.event?.tokens?.bot?.length ?? 0) > 0;
  if (kind === "app_uninstalled" || botRevoked) {
    const revoked = await deps.revokeTeam({ teamId: envelope.team_id, eventId: envelope.event_id, payload: envelope });
    console.log(`slack-events: ${kind} for team ${envelope.team_id}: ${revoked === null ? "already handled" : `${revoked} account(s) revoked`}`);
    return json(200, { revoked: revoked ?? 0, redelivery: revoked === null });
  }
  const fresh = await deps.record({ eventId: envelope.event_id, payload: envelope });
  console.log(`slack-events: ${kind ?? "an event without a type"} for team ${envelope.team_id}: recorded, nothing to do`);
  return json(200, { revoked: 0, redelivery: !fresh });
}
