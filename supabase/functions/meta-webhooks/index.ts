// Entry point of the `meta-webhooks` Edge Function (deployed with verify_jwt = false: Meta signs
// its notifications with the app secret, not a Supabase session).
import { connect, database } from "./db.ts";
import { handle, secretsFromEnv } from "./handler.ts";

const url = Deno.env.get("SUPABASE_DB_URL");
if (!url) throw new Error("SUPABASE_DB_URL is not set");
const deps = {
  secrets: secretsFromEnv((name) => Deno.env.get(name)),
  verifyToken: Deno.env.get("POSTIZ_META_WEBHOOK_VERIFY_TOKEN"),
  now: () => Math.floor(Date.now() / 1000),
  ...database(connect(url)),
};

Deno.serve((req) =>
  handle(req, deps).catch((e) => {
    console.error(`meta-webhooks: ${e instanceof Error ? e.message : e}`);
    return new Response(JSON.stringify({ error: { code: "internal", message: "could not record the notification; retry" } }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  })
);
