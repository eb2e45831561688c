// TikTok's webhooks against a real database (a fresh migrated one, from `cargo xtask test`, in
// POSTIZ_TEST_DB_URL as a superuser): signatures and replays, redeliveries, a post whose polling
// ran out settled by TikTok's later notification (published, or failed with the reason), and
// a removed authorization revoking the user's accounts.
import assert from "node:assert/strict";

import { connect, database } from "./db.ts";
import { handle } from "./handler.ts";
import { sign } from "./signature.ts";

const url = Deno.env.get("POSTIZ_TEST_DB_URL");
const SECRET = "tiktok-client-secret-for-tests";
const NOW = 1_790_000_000;

async function signed(body: string, opts: { secret?: string; at?: number } = {}): Promise<Request> {
  return new Request("http://127.0.0.1/functions/v1/tiktok-webhooks", {
    method: "POST",
    headers: { "content-type": "application/json", "tiktok-signature": await sign(opts.secret ?? SECRET, opts.at ?? NOW, body) },
    body,
  });
}

/** A delivery as TikTok documents it: `content` is a serialized JSON string. */
const delivery = (event: string, openId: string, content: Record<string, unknown>, at = NOW) =>
  JSON.stringify({ client_key: "aw_client_key", event, create_time: at, user_openid: openId, content: JSON.stringify(content) });

Deno.test({
  name: "tiktok-webhooks settles posts whose polling ran out and revokes a removed authorization",
  ignore: !url,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sql = connect(url!);
    const deps = { clientSecret: SECRET, now: () => NOW, ...database(sql) };
    const suffix = crypto.randomUUID().slice(0, 8);
    const [{ id: ws }] = await sql`
      insert into postiz.workspaces (name, slug, time_zone) values ('tt', ${`tt-${suffix}`}, 'Europe/Berlin') returning id`;
    const openId = `act.${suffix}`;
    const [{ id: account }] = await sql`
      insert into postiz.social_accounts (workspace_id, network, external_account_id, handle)
      values (${ws}, 'tiktok', ${openId}, 'creator') returning id`;
    await sql`
      insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
      values (${account}, ${ws}, 'k1', ${new Uint8Array(12)}, ${new Uint8Array([1, 2, 3])})`;
    // Two posts whose status polling ran out: the worker ended them unconfirmed with TikTok's publish id.
    const unconfirmed = async (publishId: string) => {
      const [{ id: post }] = await sql`insert into postiz.posts (workspace_id, content) values (${ws}, ${publishId}) returning id`;
      const [{ id: target }] = await sql`
        insert into postiz.post_targets (workspace_id, post_id, social_account_id, status, last_error_code)
        values (${ws}, ${post}, ${account}, 'unconfirmed', 'outcome_unknown') returning id`;
      await sql`
        insert into postiz.queue_jobs (workspace_id, target_id, social_account_id, occurrence, network, scheduled_at, run_at, status, completed_at, awaited_reference)
        values (${ws}, ${target}, ${account}, now(), 'tiktok', now(), now(), 'unconfirmed', now(), ${publishId})`;
      return target as string;
    };
    const completed = await unconfirmed(`v_pub_a_${suffix}`);
    const refused = await unconfirmed(`v_pub_b_${suffix}`);
    const target = async (id: string) =>
      (await sql`
        select t.status::text, t.external_id, t.external_url, t.last_error_message, q.status::text as job
        from postiz.post_targets t join postiz.queue_jobs q on q.target_id = t.id where t.id = ${id}`)[0];
    const events = async () =>
      (await sql`select count(*)::int as n from postiz.webhook_events where network = 'tiktok' and payload->>'user_openid' = ${openId}`)[0].n as number;

    await t.step("refusals change nothing", async () => {
      const body = delivery("post.publish.complete", openId, { publish_id: `v_pub_a_${suffix}` });
      const tampered = await signed(body);
      const cases: [Request, number, string][] = [
        [await signed(body, { secret: "another-secret" }), 401, "bad_signature"],
        [await signed(body, { at: NOW - 301 }), 401, "bad_signature"],
        [new Request("http://127.0.0.1/", { method: "POST", body }), 401, "bad_signature"],
        [new Request(tampered.url, { method: "POST", headers: tampered.headers, body: body.replace("complete", "failed") }), 401, "bad_signature"],
        [await signed("not json"), 400, "not_json"],
        [await signed(JSON.stringify({ event: "post.publish.complete", user_openid: openId, content: "{not json" })), 400, "not_json"],
        [await signed(JSON.stringify({ client_key: "k" })), 400, "not_an_event"],
        [new Request("http://127.0.0.1/", { method: "GET" }), 405, "method_not_allowed"],
      ];
      for (const [req, code, error] of cases) {
        const res = await handle(req, deps);
        assert.equal(res.status, code, error);
        assert.equal((await res.json()).error.code, error);
      }
      assert.equal((await handle(await signed(body), { ...deps, clientSecret: undefined })).status, 503);
      assert.equal(await events(), 0, "nothing recorded");
      assert.equal((await target(completed)).status, "unconfirmed");
    });

    await t.step("a post TikTok made public after we stopped waiting becomes published with its link", async () => {
      const res = await handle(await signed(delivery("post.publish.publicly_available", openId, { publish_id: `v_pub_a_${suffix}`, post_id: "7311234567890" })), deps);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { outcome: "settled" });
      const row = await target(completed);
      assert.deepEqual([row.status, row.job, row.external_id, row.external_url], [
        "published",
        "succeeded",
        "7311234567890",
        "https://www.tiktok.com/@creator/video/7311234567890",
      ]);
      const logged = await sql`select details->>'source' as source from postiz.activity_logs where action = 'target.confirmed' and entity_id = ${completed}`;
      assert.deepEqual(logged.map((r) => r.source), ["tiktok notification"]);
    });

    await t.step("TikTok's retry, and a later event for a settled post, change nothing", async () => {
      const retry = await handle(await signed(delivery("post.publish.publicly_available", openId, { publish_id: `v_pub_a_${suffix}`, post_id: "7311234567890" })), deps);
      assert.deepEqual(await retry.json(), { outcome: "redelivery" });
      const late = await handle(await signed(delivery("post.publish.failed", openId, { publish_id: `v_pub_a_${suffix}`, reason: "late" })), deps);
      assert.deepEqual(await late.json(), { outcome: "not_waiting" });
      assert.equal((await target(completed)).status, "published");
    });

    await t.step("a failure TikTok reports later fails the post with the reason", async () => {
      const res = await handle(await signed(delivery("post.publish.failed", openId, { publish_id: `v_pub_b_${suffix}`, reason: "spam_risk_too_many_posts", publish_type: "DIRECT_PUBLISH" })), deps);
      assert.deepEqual(await res.json(), { outcome: "settled" });
      const row = await target(refused);
      assert.deepEqual([row.status, row.job], ["failed", "failed"]);
      assert.equal(row.last_error_message, "TikTok could not publish the post after accepting it (spam_risk_too_many_posts)");
    });

    await t.step("an event we do not act on is recorded once", async () => {
      const body = delivery("video.upload.failed", openId, { share_id: "video.1.x" });
      assert.deepEqual(await (await handle(await signed(body), deps)).json(), { outcome: "recorded" });
      assert.deepEqual(await (await handle(await signed(body), deps)).json(), { outcome: "redelivery" });
    });

    await t.step("a removed authorization revokes the user's account once", async () => {
      const body = delivery("authorization.removed", openId, { reason: 1 });
      assert.deepEqual(await (await handle(await signed(body), deps)).json(), { outcome: "revoked", revoked: 1 });
      const [row] = await sql`select status::text from postiz.social_accounts where id = ${account}`;
      assert.equal(row.status, "revoked");
      const [{ n }] = await sql`select count(*)::int as n from postiz.credentials where social_account_id = ${account}`;
      assert.equal(n, 0, "TikTok already revoked the token; we forget it");
      assert.deepEqual(await (await handle(await signed(body), deps)).json(), { outcome: "redelivery", revoked: 0 });
    });

    await sql.end();
  },
});
