// Entry point of the `meta-deauthorize` Edge Function (deployed with verify_jwt = false: Meta
// signs its requests with the app secret, not a Supabase session).
import { connect, revoker } from "./db.ts";
import { handle, secretsFromEnv } from "./handler.ts";

const url = Deno.env.get("SUPABASE_DB_URL");
if (!url) throw new Error("SUPABASE_DB_URL is not set");
const deps = { secrets: secretsFromEnv((name) => Deno.env.get(name)), revoke: revoker(connect(url)) };

Deno.serve((req) =>
  handle(req, deps).catch((e) => {
    console.error(`meta-deauthorize: ${e instanceof Error ? e.message : e}`);
    return new Response(JSON.stringify({ error: { code: "internal", message: "could not record the callback; retry" } }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  })
);
