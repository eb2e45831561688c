// The callback against a real database (a fresh migrated one, from `cargo xtask test`, in
// POSTIZ_TEST_DB_URL as a superuser): signatures, redeliveries, and what revoking does to
// accounts, credentials, waiting jobs and the activity log.
import assert from "node:assert/strict";

import { connect, revoker } from "./db.ts";
import { handle, secretsFromEnv } from "./handler.ts";
import { signRequest } from "../_shared/meta_signed_request.ts";

const url = Deno.env.get("POSTIZ_TEST_DB_URL");
const META_SECRET = "meta-app-secret-for-tests";
const THREADS_SECRET = "threads-app-secret-for-tests";

function post(body: string, method = "POST"): Request {
  return new Request("http://127.0.0.1/functions/v1/meta-deauthorize", {
    method,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: method === "POST" ? body : undefined,
  });
}

const form = (signed: string) => new URLSearchParams({ signed_request: signed }).toString();

Deno.test({
  name: "meta-deauthorize revokes exactly the accounts of the login, once",
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
      revoke: revoker(sql),
    };
    const suffix = crypto.randomUUID().slice(0, 8);
    const workspace = async (name: string) =>
      (await sql`insert into postiz.workspaces (name, slug, time_zone) values (${name}, ${`${name}-${suffix}`}, 'Europe/Berlin') returning id`)[0].id as string;
    const [acme, globex] = [await workspace("acme"), await workspace("globex")];
    const account = async (ws: string, network: string, external: string, loginId: string | null) => {
      const meta = loginId ? { login_id: loginId, target_kind: "page" } : {};
      const [{ id }] = await sql`
        insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, meta)
        values (${ws}, ${network}, ${external}, ${external}, ${sql.json(meta)}) returning id`;
      await sql`
        insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
        values (${id}, ${ws}, 'k1', ${new Uint8Array(12)}, ${new Uint8Array([1, 2, 3])})`;
      return id as string;
    };
    const login = `1${suffix.replace(/\D/g, "")}7`;
    const page = await account(acme, "facebook", `page-${suffix}`, login); // a page chosen through the login
    const instagram = await account(globex, "instagram", `ig-${suffix}`, login); // another workspace, same login
    const profile = await account(globex, "facebook", login, null); // the login itself as the account
    const otherLogin = await account(acme, "facebook", `page2-${suffix}`, `9${login}`);
    const linkedin = await account(acme, "linkedin", login, null); // same id, another network
    const threads = await account(acme, "threads", `th-${suffix}`, login);

    // A post due in 30 s on the page, enqueued as the ticker does.
    const [{ id: postId }] = await sql`
      insert into postiz.posts (workspace_id, status, content, scheduled_at)
      values (${acme}, 'scheduled', 'Due soon', now() + interval '30 seconds') returning id`;
    await sql`insert into postiz.post_targets (workspace_id, post_id, social_account_id) values (${acme}, ${postId}, ${page})`;
    await sql`insert into postiz.schedules (workspace_id, kind, post_id, starts_at, time_zone) values (${acme}, 'once', ${postId}, now() + interval '30 seconds', 'Europe/Berlin')`;
    await sql`select postiz_private.service_enqueue_due(interval '1 minute', 100)`;
    const job = async () =>
      (await sql`select status::text, last_error_code from postiz.queue_jobs where social_account_id = ${page}`)[0];
    assert.equal((await job()).status, "queued");

    const status = async (id: string) => (await sql`select status::text from postiz.social_accounts where id = ${id}`)[0].status;
    const hasToken = async (id: string) => (await sql`select count(*)::int as n from postiz.credentials where social_account_id = ${id}`)[0].n === 1;
    // This login's deliveries only: other suites share the database.
    const events = async () =>
      (await sql`select count(*)::int as n from postiz.webhook_events where external_event_id like ${`deauthorize:${login}:%`}`)[0].n as number;
    const issued = Math.floor(Date.now() / 1000);
    const valid = await signRequest(META_SECRET, { algorithm: "HMAC-SHA256", issued_at: issued, user_id: login });

    await t.step("refusals change nothing", async () => {
      const forged = await signRequest("someone-elses-secret", { algorithm: "HMAC-SHA256", issued_at: issued, user_id: login });
      const cases: [Request, number, string][] = [
        [post(form(forged)), 401, "bad_signature"],
        // The valid signature over another user's payload.
        [post(form(valid.split(".")[0] + "." + forged.split(".")[1].replace(/./, (c) => (c === "e" ? "f" : "e")))), 400, "signed_request_malformed"],
        [post(form(valid.split(".")[0] + "." + (await signRequest(META_SECRET, { algorithm: "HMAC-SHA256", issued_at: issued, user_id: "42" })).split(".")[1])), 401, "bad_signature"],
        [post("user_id=" + login), 400, "signed_request_missing"],
        [post(form("not-a-signed-request")), 400, "signed_request_malformed"],
        [post(form(await signRequest(META_SECRET, { algorithm: "HMAC-SHA1", issued_at: issued, user_id: login }))), 400, "signed_request_malformed"],
        [post(form(await signRequest(META_SECRET, { algorithm: "HMAC-SHA256", issued_at: issued }))), 400, "signed_request_malformed"],
        [post("", "GET"), 405, "method_not_allowed"],
        [post("signed_request=" + "a".repeat(20_000)), 413, "too_large"],
      ];
      for (const [req, code, error] of cases) {
        const res = await handle(req, deps);
        assert.equal(res.status, code, error);
        assert.equal((await res.json()).error.code, error);
      }
      assert.equal(await events(), 0, "nothing recorded");
      for (const id of [page, instagram, profile, threads]) assert.equal(await status(id), "active");
    });

    await t.step("the Meta app's callback revokes the login's Facebook and Instagram accounts everywhere", async () => {
      const res = await handle(post(form(valid)), deps);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { revoked: 3, redelivery: false });
      for (const id of [page, instagram, profile]) {
        assert.equal(await status(id), "revoked");
        assert.equal(await hasToken(id), false, "its credentials are gone");
      }
      for (const id of [otherLogin, linkedin, threads]) {
        assert.equal(await status(id), "active", "another login, another network or another app is untouched");
        assert.equal(await hasToken(id), true);
      }
      assert.deepEqual(await job(), { status: "pending", last_error_code: "account_needs_reconnect" }, "the waiting post is held");
      const [target] = await sql`select status::text, last_error_message from postiz.post_targets where post_id = ${postId}`;
      assert.equal(target.status, "pending");
      assert.match(target.last_error_message, /removed this app's access/);
      const logged = await sql`
        select workspace_id, entity_id from postiz.activity_logs
        where action = 'account.revoked' and actor_id is null and entity_id in ${sql([page, instagram, profile])}`;
      assert.equal(logged.length, 3, "each workspace's activity log says so");
      const [event] = await sql`
        select network, signature_valid, processed_at, payload->>'user_id' as user_id from postiz.webhook_events
        where external_event_id like ${`deauthorize:${login}:%`}`;
      assert.deepEqual([event.network, event.signature_valid, event.user_id], ["facebook", true, login]);
      assert.ok(event.processed_at);
    });

    await t.step("a redelivery of the same callback changes nothing", async () => {
      const res = await handle(post(form(valid)), deps);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { revoked: 0, redelivery: true });
      assert.equal(await events(), 1);
    });

    await t.step("the Threads app's callback revokes only Threads accounts", async () => {
      const fromThreads = await signRequest(THREADS_SECRET, { algorithm: "HMAC-SHA256", issued_at: issued + 5, user_id: login });
      const res = await handle(post(form(fromThreads)), deps);
      assert.deepEqual(await res.json(), { revoked: 1, redelivery: false });
      assert.equal(await status(threads), "revoked");
      assert.equal(await status(linkedin), "active");
    });

    await t.step("reconnecting puts the held post back on the queue", async () => {
      await sql`update postiz.social_accounts set status = 'active' where id = ${page}`;
      const [{ resumed }] = await sql`select postiz_private.service_resume_account_jobs(${page}) as resumed`;
      assert.equal(resumed, 1);
      assert.equal((await job()).status, "queued");
    });

    await sql.end();
  },
});
