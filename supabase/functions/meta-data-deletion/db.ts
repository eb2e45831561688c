// The database side of the data deletion callback, as `service_role`, each call in a
// transaction of its own.
import postgres from "npm:postgres@3.4.9";

import type { Deps } from "./handler.ts";

export type Sql = ReturnType<typeof postgres>;

/** A connection pool for `url` (Supabase gives Edge Functions `SUPABASE_DB_URL`). */
export function connect(url: string): Sql {
  // Statements are not prepared: the URL may point at Supabase's transaction pooler.
  return postgres(url, { prepare: false, max: 2, idle_timeout: 20, onnotice: () => {} });
}

export function database(sql: Sql): Pick<Deps, "deleteLoginData" | "status"> {
  return {
    deleteLoginData: async ({ networks, loginId, issuedAt, payload }) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        const [row] = await tx`
          select * from postiz_private.service_delete_login_data(${networks}::text[], ${loginId}, ${issuedAt}::bigint, ${tx.json(payload as postgres.JSONValue)})`;
        return { confirmationCode: row.confirmation_code as string, accounts: row.accounts as number, redelivery: row.redelivery as boolean };
      }),
    status: async (code) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        const [row] = await tx`select * from postiz_private.service_data_deletion_status(${code})`;
        return row
          ? { network: row.network as string, accounts: row.accounts as number, requestedAt: row.requested_at as Date, completedAt: (row.completed_at ?? null) as Date | null }
          : null;
      }),
  };
}
