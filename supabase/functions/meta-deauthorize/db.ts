// The database side of the callback: one call to `postiz_private.service_revoke_login` as
// `service_role`, in a transaction of its own.
import postgres from "npm:postgres@3.4.9";

import type { Deps } from "./handler.ts";

export type Sql = ReturnType<typeof postgres>;

/** A connection pool for `url` (Supabase gives Edge Functions `SUPABASE_DB_URL`). */
export function connect(url: string): Sql {
  // Statements are not prepared: the URL may point at Supabase's transaction pooler.
  return postgres(url, { prepare: false, max: 2, idle_timeout: 20, onnotice: () => {} });
}

export function revoker(sql: Sql): Deps["revoke"] {
  return async ({ network, networks, loginId, eventId, payload }) => {
    return await sql.begin(async (tx) => {
      await tx`set local role service_role`;
      const [row] = await tx`
        select postiz_private.service_revoke_login(${network}, ${networks}::text[], ${loginId}, ${eventId}, ${tx.json(payload as postgres.JSONValue)}) as revoked`;
      return row.revoked as number | null;
    });
  };
}
