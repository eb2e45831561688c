// Entry point of the `tiktok-webhooks` Edge Function (deployed with verify_jwt = false: TikTok
// signs its deliveries with the app's client secret, not a Supabase session).
import { connect, database } from "./db.ts";
import { handle } from "./handler.ts";

const url = Deno.env.get("SUPABASE_DB_URL");
if (!url) throw new Error("SUPABASE_DB_URL is not set");
const deps = {
  clientSecret: Deno.env.get("POSTIZ_OAUTH_TIKTOK_CLIENT_SECRET"),
  now: () => Math.floor(Date.now() / 1000),
  ...database(connect(url)),
};

Deno.serve((req) =>
  handle(req, deps).catch((e) => {
    console.error(`tiktok-webhooks: ${e instanceof Error ? e.message : e}`);
    return new Response(JSON.stringify({ error: { code: "internal", message: "could not record the event; retry" } }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  })
);
