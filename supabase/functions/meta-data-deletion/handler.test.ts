// The data deletion callback against a real database (a fresh migrated one, from `cargo xtask
// test`, in POSTIZ_TEST_DB_URL as a superuser): what is deleted and what is kept, the answer
// Meta needs, the status page, redeliveries, and that the login id is nowhere afterwards.
import assert from "node:assert/strict";

import { signRequest } from "../_shared/meta_signed_request.ts";
import { connect, database } from "./db.ts";
import { handle, secretsFromEnv } from "./handler.ts";

const url = Deno.env.get("POSTIZ_TEST_DB_URL");
const META_SECRET = "meta-app-secret-for-deletion-tests";
const PUBLIC_URL = "https://project.supabase.co/functions/v1/meta-data-deletion";

const post = (signed: string) =>
  new Request(PUBLIC_URL, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ signed_request: signed }).toString(),
  });

Deno.test({
  name: "meta-data-deletion deletes what the app holds about the login and answers a code and a status page",
  ignore: !url,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sql = connect(url!);
    const deps = {
      secrets: secretsFromEnv((name) => ({ POSTIZ_OAUTH_FACEBOOK_CLIENT_SECRET: META_SECRET, POSTIZ_OAUTH_INSTAGRAM_CLIENT_SECRET: META_SECRET })[name]),
      publicUrl: PUBLIC_URL,
      ...database(sql),
    };
    const suffix = crypto.randomUUID().slice(0, 8);
    const login = `3${suffix.replace(/\D/g, "")}1`;
    const workspace = async (name: string) =>
      (await sql`insert into postiz.workspaces (name, slug, time_zone) values (${name}, ${`${name}-${suffix}`}, 'Europe/Berlin') returning id`)[0].id as string;
    const [acme, globex] = [await workspace("del-acme"), await workspace("del-globex")];
    const account = async (ws: string, network: string, external: string, loginId: string | null, name: string) => {
      const meta = loginId ? { login_id: loginId, target_kind: "page" } : {};
      const [{ id }] = await sql`
        insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name, avatar_url, meta)
        values (${ws}, ${network}, ${external}, ${name}, ${name}, ${`https://cdn.example/${name}.jpg`}, ${sql.json(meta)}) returning id`;
      await sql`
        insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
        values (${id}, ${ws}, 'k1', ${new Uint8Array(12)}, ${new Uint8Array([1, 2, 3])})`;
      return id as string;
    };
    const page = await account(acme, "facebook", `page-${suffix}`, login, "Acme Bakery"); // the business's page
    const profile = await account(acme, "facebook", login, null, "Jane Doe"); // the person's own profile
    const instagram = await account(globex, "instagram", `ig-${suffix}`, login, "globex.ig");
    const other = await account(acme, "facebook", `page2-${suffix}`, `8${login}`, "Other Page");
    const [{ id: postId }] = await sql`insert into postiz.posts (workspace_id, status, content) values (${acme}, 'published', 'Fresh bread') returning id`;
    await sql`insert into postiz.post_targets (workspace_id, post_id, social_account_id, status) values (${acme}, ${postId}, ${page}, 'published')`;
    const row = async (id: string) =>
      (await sql`select status::text, handle, display_name, avatar_url, external_account_id, meta from postiz.social_accounts where id = ${id}`)[0];
    const hasToken = async (id: string) => (await sql`select count(*)::int as n from postiz.credentials where social_account_id = ${id}`)[0].n === 1;
    const requests = async () => (await sql`select count(*)::int as n from postiz.data_deletion_requests`)[0].n as number;
    const issued = Math.floor(Date.now() / 1000);
    const valid = await signRequest(META_SECRET, { algorithm: "HMAC-SHA256", issued_at: issued, user_id: login });
    const before = await requests();

    await t.step("a request no configured app signed deletes nothing", async () => {
      const forged = await signRequest("someone-elses-secret", { algorithm: "HMAC-SHA256", issued_at: issued, user_id: login });
      const res = await handle(post(forged), deps);
      assert.equal(res.status, 401);
      assert.equal((await res.json()).error.code, "bad_signature");
      assert.equal(await requests(), before);
      assert.equal((await row(profile)).handle, "Jane Doe");
    });

    let code = "";
    await t.step("a signed request is carried out and answered with a code and a status URL", async () => {
      const res = await handle(post(valid), deps);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.match(body.confirmation_code, /^[0-9a-f]{32}$/);
      assert.equal(body.url, `${PUBLIC_URL}?code=${body.confirmation_code}`);
      code = body.confirmation_code;
      for (const id of [page, profile, instagram]) {
        assert.equal((await row(id)).status, "revoked");
        assert.equal(await hasToken(id), false, "the sign-in is deleted");
        assert.equal((await row(id)).meta.login_id, undefined, "the login id is removed");
      }
      const p = await row(profile);
      assert.deepEqual([p.handle, p.display_name, p.avatar_url, p.external_account_id], [null, null, null, `deleted-${profile}`], "the person's own profile loses name, picture and id");
      assert.equal((await row(page)).display_name, "Acme Bakery", "the business's page keeps its name");
      const [target] = await sql`select status::text from postiz.post_targets where post_id = ${postId}`;
      assert.equal(target.status, "published", "the workspace's posts stay");
      assert.equal((await row(other)).status, "active", "another login is untouched");
      assert.equal(await hasToken(other), true);
      const leftovers = await sql`
        select 1 from postiz.social_accounts where external_account_id = ${login} or meta->>'login_id' = ${login}
        union all select 1 from postiz.webhook_events where payload::text like ${`%${login}%`} or external_event_id like ${`%${login}%`}
        union all select 1 from postiz.data_deletion_requests where event_key like ${`%${login}%`}`;
      assert.equal(leftovers.length, 0, "the login id is stored nowhere any more");
      const logged = await sql`select 1 from postiz.activity_logs where action = 'account.data_deleted' and entity_id in ${sql([page, profile, instagram])}`;
      assert.equal(logged.length, 3, "each workspace's activity log says so");
    });

    await t.step("the status URL shows a page the person can read", async () => {
      const res = await handle(new Request(`${PUBLIC_URL}?code=${code}`), deps);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      const html = await res.text();
      assert.match(html, /Your data was deleted/);
      assert.match(html, /3 accounts you connected from Facebook/);
      assert.ok(html.includes(code));
      const unknown = await handle(new Request(`${PUBLIC_URL}?code=${"0".repeat(32)}`), deps);
      assert.equal(unknown.status, 404);
      assert.equal((await handle(new Request(`${PUBLIC_URL}?code=<script>`), deps)).status, 404);
      assert.equal((await handle(new Request(PUBLIC_URL), deps)).status, 400);
    });

    await t.step("a redelivery answers the same code and deletes nothing more", async () => {
      const res = await handle(post(valid), deps);
      assert.deepEqual(await res.json(), { url: `${PUBLIC_URL}?code=${code}`, confirmation_code: code });
      assert.equal(await requests(), before + 1);
    });

    await sql.end();
  },
});
