// Meta's Webhooks against a real database (a fresh migrated one, from `cargo xtask test`, in
// POSTIZ_TEST_DB_URL as a superuser): the subscription check, signatures, replays and
// redeliveries, and what a revoked publishing permission does to the accounts and their posts.
import assert from "node:assert/strict";

import { connect, database } from "./db.ts";
import { handle, MAX_AGE_SECS, secretsFromEnv } from "./handler.ts";
import { sign } from "./signature.ts";

const url = Deno.env.get("POSTIZ_TEST_DB_URL");
const META_SECRET = "meta-app-secret-for-tests";
const THREADS_SECRET = "threads-app-secret-for-tests";
const VERIFY_TOKEN = "verify-token-for-tests";
const NOW = 1_790_000_000;

async function signed(body: string, secret = META_SECRET): Promise<Request> {
  return new Request("http://127.0.0.1/functions/v1/meta-webhooks", {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-signature-256": await sign(secret, body) },
    body,
  });
}

/** A Permissions notification as Meta documents it: entry.id is the app-scoped user id. */
const permissions = (loginId: string, field: string, verb: string, targetIds?: string[], time = NOW) =>
  JSON.stringify({
    object: "permissions",
    entry: [{ id: loginId, time, changes: [{ field, value: targetIds ? { verb, target_ids: targetIds } : { verb } }] }],
  });

Deno.test({
  name: "meta-webhooks answers the subscription check and holds the accounts that lost a publishing permission",
  ignore: !url,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sql = connect(url!);
    const deps = {
      // One Meta app for Facebook and Instagram, a Threads app of its own.
      secrets: secretsFromEnv((name) =>
        ({
          POSTIZ_OAUTH_FACEBOOK_CLIENT_SECRET: META_SECRET,
          POSTIZ_OAUTH_INSTAGRAM_CLIENT_SECRET: META_SECRET,
          POSTIZ_OAUTH_THREADS_CLIENT_SECRET: THREADS_SECRET,
        })[name]
      ),
      verifyToken: VERIFY_TOKEN,
      now: () => NOW,
      ...database(sql),
    };
    const suffix = crypto.randomUUID().slice(0, 8);
    const workspace = async (name: string) =>
      (await sql`insert into postiz.workspaces (name, slug, time_zone) values (${name}, ${`${name}-${suffix}`}, 'Europe/Berlin') returning id`)[0].id as string;
    const [acme, globex] = [await workspace("mw-acme"), await workspace("mw-globex")];
    const account = async (ws: string, network: string, external: string, loginId: string) => {
      const [{ id }] = await sql`
        insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, meta)
        values (${ws}, ${network}, ${external}, ${external}, ${sql.json({ login_id: loginId, target_kind: "page" })}) returning id`;
      await sql`
        insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
        values (${id}, ${ws}, 'k1', ${new Uint8Array(12)}, ${new Uint8Array([1, 2, 3])})`;
      return id as string;
    };
    const login = `1${suffix.replace(/\D/g, "")}8`;
    const pageA = await account(acme, "facebook", `pa-${suffix}`, login);
    const pageB = await account(globex, "facebook", `pb-${suffix}`, login); // same login, another workspace
    const instagram = await account(acme, "instagram", `ig-${suffix}`, login);
    const threads = await account(acme, "threads", `th-${suffix}`, login);
    const otherLogin = await account(acme, "facebook", `pc-${suffix}`, `9${login}`);

    // A post due in 30 s on page A, enqueued as the ticker does.
    const [{ id: postId }] = await sql`
      insert into postiz.posts (workspace_id, status, content, scheduled_at)
      values (${acme}, 'scheduled', 'Due soon', now() + interval '30 seconds') returning id`;
    await sql`insert into postiz.post_targets (workspace_id, post_id, social_account_id) values (${acme}, ${postId}, ${pageA})`;
    await sql`insert into postiz.schedules (workspace_id, kind, post_id, starts_at, time_zone) values (${acme}, 'once', ${postId}, now() + interval '30 seconds', 'Europe/Berlin')`;
    await sql`select postiz_private.service_enqueue_due(interval '1 minute', 100)`;
    const job = async () => (await sql`select status::text, last_error_code from postiz.queue_jobs where social_account_id = ${pageA}`)[0];
    assert.equal((await job()).status, "queued");

    const status = async (id: string) => (await sql`select status::text from postiz.social_accounts where id = ${id}`)[0].status;
    const hasToken = async (id: string) => (await sql`select count(*)::int as n from postiz.credentials where social_account_id = ${id}`)[0].n === 1;
    // This login's deliveries only: other suites share the database.
    const events = async () =>
      (await sql`select count(*)::int as n from postiz.webhook_events where payload #>> '{entry,0,id}' in ${sql([login, `9${login}`])}`)[0].n as number;

    await t.step("the subscription check echoes the challenge only with the verify token", async () => {
      const check = (token: string, mode = "subscribe") =>
        new Request(`http://127.0.0.1/functions/v1/meta-webhooks?hub.mode=${mode}&hub.challenge=1158201444&hub.verify_token=${token}`);
      const ok = await handle(check(VERIFY_TOKEN), deps);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), "1158201444");
      assert.equal((await handle(check("wrong"), deps)).status, 403);
      assert.equal((await handle(check(VERIFY_TOKEN, "unsubscribe"), deps)).status, 400);
      assert.equal((await handle(check(VERIFY_TOKEN), { ...deps, verifyToken: undefined })).status, 503);
    });

    await t.step("refusals change nothing", async () => {
      const body = permissions(login, "pages_manage_posts", "revoked");
      const unsigned = new Request("http://127.0.0.1/", { method: "POST", body });
      const tampered = await signed(body);
      const cases: [Request, number, string][] = [
        [await signed(body, "someone-elses-secret"), 401, "bad_signature"],
        [unsigned, 401, "bad_signature"],
        [new Request(tampered.url, { method: "POST", headers: tampered.headers, body: body.replace(login, `9${login}`) }), 401, "bad_signature"],
        [await signed("not json"), 400, "not_json"],
        [await signed(JSON.stringify({ object: "permissions" })), 400, "not_a_notification"],
        [await signed(JSON.stringify({ object: "permissions", entry: [{ id: login, changes: [] }] })), 400, "time_missing"],
        [await signed(permissions(login, "pages_manage_posts", "revoked", undefined, NOW - MAX_AGE_SECS - 1)), 400, "stale"],
        [await signed(permissions(login, "pages_manage_posts", "revoked", undefined, NOW + 3600)), 400, "stale"],
        [new Request("http://127.0.0.1/", { method: "PUT", body }), 405, "method_not_allowed"],
      ];
      for (const [req, code, error] of cases) {
        const res = await handle(req, deps);
        assert.equal(res.status, code, error);
        assert.equal((await res.json()).error.code, error);
      }
      assert.equal(await events(), 0, "nothing recorded");
      for (const id of [pageA, pageB, instagram, threads]) assert.equal(await status(id), "active");
    });

    await t.step("a granted permission, or one we do not publish with, is recorded and changes nothing", async () => {
      for (const body of [permissions(login, "pages_manage_posts", "granted"), permissions(login, "email", "revoked")]) {
        const res = await handle(await signed(body), deps);
        assert.deepEqual(await res.json(), { held: 0, redelivery: false });
      }
      assert.equal(await events(), 2);
      for (const id of [pageA, pageB, instagram]) assert.equal(await status(id), "active");
    });

    await t.step("a revoked page permission with target_ids holds only those pages, with their waiting posts", async () => {
      const res = await handle(await signed(permissions(login, "pages_manage_posts", "revoked", [`pa-${suffix}`])), deps);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { held: 1, redelivery: false });
      assert.equal(await status(pageA), "needs_reconnect");
      assert.equal(await hasToken(pageA), true, "the sign-in stays: reconnecting grants the permission again");
      for (const id of [pageB, instagram, threads, otherLogin]) assert.equal(await status(id), "active");
      assert.deepEqual(await job(), { status: "pending", last_error_code: "account_needs_reconnect" }, "the waiting post is held");
      const [target] = await sql`select status::text, last_error_message from postiz.post_targets where post_id = ${postId}`;
      assert.equal(target.status, "pending");
      assert.equal(target.last_error_message, "Reconnect this account: its owner removed the permission pages_manage_posts on Meta.");
      const logged = await sql`
        select details->>'reason' as reason from postiz.activity_logs
        where action = 'account.needs_reconnect' and actor_id is null and entity_id = ${pageA}`;
      assert.deepEqual(logged.map((r) => r.reason), ["its owner removed the permission pages_manage_posts on Meta"]);
    });

    await t.step("Meta's retry of the same delivery changes nothing", async () => {
      const before = await events();
      const res = await handle(await signed(permissions(login, "pages_manage_posts", "revoked", [`pa-${suffix}`])), deps);
      assert.deepEqual(await res.json(), { held: 0, redelivery: true });
      assert.equal(await events(), before);
    });

    await t.step("an Instagram permission revoked without target_ids holds the login's Instagram accounts only", async () => {
      const res = await handle(await signed(permissions(login, "instagram_content_publish", "revoked", undefined, NOW - 60)), deps);
      assert.deepEqual(await res.json(), { held: 1, redelivery: false });
      assert.equal(await status(instagram), "needs_reconnect");
      assert.equal(await status(pageB), "active", "Facebook accounts do not need that permission");
      assert.equal(await status(threads), "active", "the Threads app did not sign it");
    });

    await t.step("other objects are recorded once and not acted on", async () => {
      const body = JSON.stringify({ object: "page", entry: [{ id: `9${login}`, time: NOW, changes: [{ field: "feed", value: { verb: "add", item: "status" } }] }] });
      assert.deepEqual(await (await handle(await signed(body), deps)).json(), { held: 0, redelivery: false });
      assert.deepEqual(await (await handle(await signed(body), deps)).json(), { held: 0, redelivery: true });
      assert.equal(await status(otherLogin), "active");
    });

    await sql.end();
  },
});
