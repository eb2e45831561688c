// The database side of TikTok's events, as `service_role`, each call in a transaction of its own.
import postgres from "npm:postgres@3.4.9";

import { type Deps, VIDEO_URL } from "./handler.ts";

export type Sql = ReturnType<typeof postgres>;

/** A connection pool for `url` (Supabase gives Edge Functions `SUPABASE_DB_URL`). */
export function connect(url: string): Sql {
  // Statements are not prepared: the URL may point at Supabase's transaction pooler.
  return postgres(url, { prepare: false, max: 2, idle_timeout: 20, onnotice: () => {} });
}

const json = (tx: postgres.TransactionSql, v: unknown) => tx.json(v as postgres.JSONValue);

export function database(sql: Sql): Pick<Deps, "revoke" | "settle" | "record"> {
  return {
    revoke: async ({ loginId, eventId, payload }) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        const [row] = await tx`
          select postiz_private.service_revoke_login('tiktok', array['tiktok'], ${loginId}, ${eventId}, ${json(tx, payload)}) as revoked`;
        return row.revoked as number | null;
      }),
    settle: async ({ publishId, outcome, postId, reason, eventId, payload }) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        const [row] = await tx`
          select postiz_private.service_settle_awaited_post('tiktok', ${publishId}, ${outcome}, ${postId}, ${VIDEO_URL},
            ${reason}, ${eventId}, ${json(tx, payload)}) as outcome`;
        return row.outcome as string;
      }),
    record: async ({ eventId, payload }) =>
      await sql.begin(async (tx) => {
        await tx`set local role service_role`;
        const [row] = await tx`
          select postiz_private.service_record_webhook_event('tiktok', ${eventId}, ${json(tx, payload)}) as fresh`;
        return row.fresh as boolean;
      }),
  };
}
