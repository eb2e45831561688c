// Entry point of the `meta-data-deletion` Edge Function (deployed with verify_jwt = false:
// Meta signs its requests with the app secret, and people open the status URL without a session).
import { connect, database } from "./db.ts";
import { handle, secretsFromEnv } from "./handler.ts";

const url = Deno.env.get("SUPABASE_DB_URL");
if (!url) throw new Error("SUPABASE_DB_URL is not set");
// The status URL people are sent to: this function's public address.
const publicUrl = Deno.env.get("POSTIZ_DATA_DELETION_STATUS_URL") ??
  `${(Deno.env.get("SUPABASE_URL") ?? "").replace(/\/$/, "")}/functions/v1/meta-data-deletion`;
const deps = { secrets: secretsFromEnv((name) => Deno.env.get(name)), publicUrl, ...database(connect(url)) };

Deno.serve((req) =>
  handle(req, deps).catch((e) => {
    console.error(`meta-data-deletion: ${e instanceof Error ? e.message : e}`);
    return new Response(JSON.stringify({ error: { code: "internal", message: "could not carry out the request; retry" } }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  })
);
