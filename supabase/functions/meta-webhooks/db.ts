// The database side of Meta's notifications, as `service_role`, each call in a transaction of its own.
import postgres from "npm:postgres@3.4.9";

import type { Deps } from "./handler.ts";

export type Sql = ReturnType<typeof postgres>;

/** A connection pool for `url` (Supabase gives Edge Functions `SUPABASE_DB_URL`). */
export function connect(url: string): Sql {
  // Statements are not prepared: the URL may point at Supabase's transaction pooler.
  return postgres(url, { prepare: false, max: 2, idle_timeout: 20, onnotice: () => {} });
}

export function database(sql: Sql): Pick<Deps, "hold" | "record"> {
  return {
    hold: async ({ network, networks, eventId, holds, payload }) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        const [row] = await tx`
          select postiz_private.service_hold_accounts_for_reconnect(${network}, ${networks}::text[], ${eventId},
            ${tx.json(holds as unknown as postgres.JSONValue)}, ${tx.json(payload as postgres.JSONValue)}) as held`;
        return row.held as number | null;
      }),
    record: async ({ network, eventId, payload }) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        const [row] = await tx`
          select postiz_private.service_record_webhook_event(${network}, ${eventId}, ${tx.json(payload as postgres.JSONValue)}) as fresh`;
        return row.fresh as boolean;
      }),
  };
}
