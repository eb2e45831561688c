// The database side of Slack's events, as `service_role`, each call in a transaction of its own.
import postgres from "npm:postgres@3.4.9";

import type { Deps } from "./handler.ts";

export type Sql = ReturnType<typeof postgres>;

/** A connection pool for `url` (Supabase gives Edge Functions `SUPABASE_DB_URL`). */
export function connect(url: string): Sql {
  // Statements are not prepared: the URL may point at Supabase's transaction pooler.
  return postgres(url, { prepare: false, max: 2, idle_timeout: 20, onnotice: () => {} });
}

export function database(sql: Sql): Pick<Deps, "revokeTeam" | "record"> {
  return {
    revokeTeam: async ({ teamId, eventId, payload }) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        // A Slack account's login is its team: meta.login_id (channels) or the account id.
        const [row] = await tx`
          select postiz_private.service_revoke_login('slack', array['slack'], ${teamId}, ${eventId}, ${tx.json(payload as postgres.JSONValue)}) as revoked`;
        return row.revoked as number | null;
      }),
    record: async ({ eventId, payload }) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        const [row] = await tx`
          select postiz_private.service_record_webhook_event('slack', ${eventId}, ${tx.json(payload as postgres.JSONValue)}) as fresh`;
        return row.fresh as boolean;
      }),
  };
}
