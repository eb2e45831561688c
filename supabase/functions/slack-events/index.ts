// Entry point of the `slack-events` Edge Function (deployed with verify_jwt = false: Slack signs
// its requests with the app's signing secret, not a Supabase session).
import { connect, database } from "./db.ts";
import { handle } from "./handler.ts";

const url = Deno.env.get("SUPABASE_DB_URL");
if (!url) throw new Error("SUPABASE_DB_URL is not set");
const deps = {
  signingSecret: Deno.env.get("POSTIZ_SLACK_SIGNING_SECRET"),
  now: () => Math.floor(Date.now() / 1000),
  ...database(connect(url)),
};

Deno.serve((req) =>
  handle(req, deps).catch((e) => {
    console.error(`slack-events: ${e instanceof Error ? e.message : e}`);
    return new Response(JSON.stringify({ error: { code: "internal", message: "could not record the event; retry" } }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  })
);
