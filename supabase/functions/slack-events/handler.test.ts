// Slack's events against a real database (a fresh migrated one, from `cargo xtask test`, in
// POSTIZ_TEST_DB_URL as a superuser): signatures and replays, the URL check, redeliveries, and
// what an uninstall or a revoked bot token does to the team's channels.
import assert from "node:assert/strict";

import { connect, database } from "./db.ts";
import { handle } from "./handler.ts";
import { sign } from "./signature.ts";

const url = Deno.env.get("POSTIZ_TEST_DB_URL");
const SECRET = "slack-signing-secret-for-tests";
const NOW = 1_790_000_000;

async function signed(body: string, opts: { secret?: string; at?: number } = {}): Promise<Request> {
  const ts = String(opts.at ?? NOW);
  return new Request("http://127.0.0.1/functions/v1/slack-events", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-slack-request-timestamp": ts,
      "x-slack-signature": await sign(opts.secret ?? SECRET, ts, body),
    },
    body,
  });
}

const callback = (teamId: string, eventId: string, event: Record<string, unknown>) =>
  JSON.stringify({ token: "legacy", team_id: teamId, api_app_id: "A0TEST", type: "event_callback", event_id: eventId, event_time: NOW, event });

Deno.test({
  name: "slack-events revokes a team's channels once when the app is uninstalled or its bot token revoked",
  ignore: !url,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sql = connect(url!);
    const deps = { signingSecret: SECRET, now: () => NOW, ...database(sql) };
    const suffix = crypto.randomUUID().slice(0, 8);
    const team = `T${suffix.toUpperCase()}`;
    const otherTeam = `T9${suffix.toUpperCase()}`;
    const workspace = async (name: string) =>
      (await sql`insert into postiz.workspaces (name, slug, time_zone) values (${name}, ${`${name}-${suffix}`}, 'Europe/Berlin') returning id`)[0].id as string;
    const [acme, globex] = [await workspace("slack-acme"), await workspace("slack-globex")];
    const channel = async (ws: string, channelId: string, teamId: string) => {
      const [{ id }] = await sql`
        insert into postiz.social_accounts (workspace_id, network, external_account_id, external_page_id, handle, meta)
        values (${ws}, 'slack', ${channelId}, ${channelId}, ${channelId}, ${sql.json({ login_id: teamId, target_kind: "channel" })}) returning id`;
      await sql`
        insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
        values (${id}, ${ws}, 'k1', ${new Uint8Array(12)}, ${new Uint8Array([1, 2, 3])})`;
      return id as string;
    };
    const general = await channel(acme, `C1${suffix}`, team);
    const news = await channel(globex, `C2${suffix}`, team); // the same Slack team, another workspace
    const elsewhere = await channel(acme, `C3${suffix}`, otherTeam);
    const status = async (id: string) => (await sql`select status::text from postiz.social_accounts where id = ${id}`)[0].status;
    const hasToken = async (id: string) => (await sql`select count(*)::int as n from postiz.credentials where social_account_id = ${id}`)[0].n === 1;
    const events = async () =>
      (await sql`select count(*)::int as n from postiz.webhook_events where network = 'slack' and payload->>'team_id' in ${sql([team, otherTeam])}`)[0].n as number;

    await t.step("refusals change nothing", async () => {
      const body = callback(team, `Ev1${suffix}`, { type: "app_uninstalled" });
      const stale = await signed(body, { at: NOW - 301 });
      const forged = await signed(body, { secret: "another-secret" });
      const unsigned = new Request("http://127.0.0.1/", { method: "POST", body });
      const cases: [Request, number, string][] = [
        [forged, 401, "bad_signature"],
        [stale, 401, "bad_signature"],
        [unsigned, 401, "bad_signature"],
        [await signed("not json"), 400, "not_json"],
        [await signed(JSON.stringify({ type: "event_callback" })), 400, "not_an_event"],
        [new Request("http://127.0.0.1/", { method: "GET" }), 405, "method_not_allowed"],
        [await signed("x".repeat(70_000)), 413, "too_large"],
      ];
      for (const [req, code, error] of cases) {
        const res = await handle(req, deps);
        assert.equal(res.status, code, error);
        assert.equal((await res.json()).error.code, error);
      }
      // A body signed with the right secret, then altered.
      const tampered = await signed(body);
      const altered = new Request(tampered.url, { method: "POST", headers: tampered.headers, body: body.replace(team, otherTeam) });
      assert.equal((await handle(altered, deps)).status, 401);
      const unconfigured = await handle(await signed(body), { ...deps, signingSecret: undefined });
      assert.equal(unconfigured.status, 503);
      assert.equal(await events(), 0, "nothing recorded");
      for (const id of [general, news, elsewhere]) assert.equal(await status(id), "active");
    });

    await t.step("the Request URL check echoes the challenge", async () => {
      const res = await handle(await signed(JSON.stringify({ token: "legacy", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" })), deps);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    });

    await t.step("a member revoking their own user token is recorded and changes nothing", async () => {
      const res = await handle(await signed(callback(team, `Ev2${suffix}`, { type: "tokens_revoked", tokens: { oauth: ["U0MEMBER"], bot: [] } })), deps);
      assert.deepEqual(await res.json(), { revoked: 0, redelivery: false });
      assert.equal(await events(), 1);
      for (const id of [general, news]) assert.equal(await status(id), "active");
    });

    await t.step("uninstalling the app revokes every channel of that team, in every workspace", async () => {
      const res = await handle(await signed(callback(team, `Ev3${suffix}`, { type: "app_uninstalled" })), deps);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { revoked: 2, redelivery: false });
      for (const id of [general, news]) {
        assert.equal(await status(id), "revoked");
        assert.equal(await hasToken(id), false, "its token is gone");
      }
      assert.equal(await status(elsewhere), "active", "another team's channel is untouched");
      assert.equal(await hasToken(elsewhere), true);
      const logged = await sql`select 1 from postiz.activity_logs where action = 'account.revoked' and entity_id in ${sql([general, news])}`;
      assert.equal(logged.length, 2, "each workspace's activity log says so");
    });

    await t.step("Slack's retry of the same event changes nothing", async () => {
      const retry = await signed(callback(team, `Ev3${suffix}`, { type: "app_uninstalled" }));
      const res = await handle(retry, deps);
      assert.deepEqual(await res.json(), { revoked: 0, redelivery: true });
      assert.equal(await events(), 2);
    });

    await t.step("a revoked bot token revokes the other team's channel", async () => {
      const res = await handle(await signed(callback(otherTeam, `Ev4${suffix}`, { type: "tokens_revoked", tokens: { oauth: [], bot: ["U0BOT"] } })), deps);
      assert.deepEqual(await res.json(), { revoked: 1, redelivery: false });
      assert.equal(await status(elsewhere), "revoked");
    });

    await sql.end();
  },
});
