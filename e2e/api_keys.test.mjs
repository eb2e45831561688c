// API keys in Settings as an admin would use them: a key for an automation with only the
// permissions it needs and an expiry, shown once; the public API honours exactly those
// permissions; revoking (after confirming) stops the key at once, and the list says so.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, BASE, launch, shot, signIn, sql } from "./support.mjs";

let browser;
const NAME = "e2e Zapier";

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  sql(`delete from postiz.api_keys where name = '${NAME}'`);
});

async function publicApi(path, key, method = "GET", body) {
  const r = await fetch(`${BASE}/dashboard/postiz/api/public/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return r.status;
}

test("a key with chosen permissions and an expiry, used, then revoked", async () => {
  const page = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/settings`);
  const card = page.locator(".postiz-card", { has: page.getByRole("heading", { name: "API keys" }) });
  await card.getByLabel("Key name").waitFor();

  // No permission chosen: said before anything is sent.
  await card.getByLabel("Key name").fill(NAME);
  await card.getByLabel("Read posts").uncheck();
  await card.getByRole("button", { name: "Create key" }).click();
  assert.match(await card.getByRole("alert").innerText(), /Permissions: choose at least one\./);

  await card.getByLabel("Read posts").check();
  await card.getByLabel("Read analytics").check();
  await card.getByLabel("Expires").selectOption({ label: "Expires in 30 days" });
  await card.getByRole("button", { name: "Create key" }).click();
  const shown = card.getByRole("status");
  await shown.waitFor();
  const key = (await shown.locator("code").innerText()).trim();
  assert.match(key, /^pzk_/);
  const row = card.locator(".postiz-api-key", { hasText: NAME });
  await row.waitFor();
  assert.match(await row.innerText(), /Read posts, Read analytics/);
  assert.match(await row.innerText(), /Never used · expires /);
  await shot(page, "api-keys-created");

  const stored = sql(`select scopes::text, expires_at > now() + interval '29 days' and expires_at < now() + interval '31 days' from postiz.api_keys where name = '${NAME}'`);
  assert.deepEqual(stored, [["{posts:read,analytics:read}", "t"]]);
  assert.equal(await publicApi("/posts", key), 200, "reading posts is allowed");
  assert.equal(await publicApi("/accounts", key), 403, "reading accounts was not given");

  // Revoking asks first, then the key stops working at once.
  await row.getByRole("button", { name: "Revoke…" }).click();
  const ask = row.getByRole("alertdialog");
  assert.match(await ask.innerText(), /Revoke “e2e Zapier”\? What uses it stops working at once\./);
  await ask.getByRole("button", { name: "Revoke", exact: true }).click();
  await row.locator(".postiz-hint", { hasText: "Revoked" }).waitFor();
  assert.equal(await card.getByRole("status").count(), 0, "the revoked key is no longer shown");
  await shot(page, "api-keys-revoked");
  assert.equal(await publicApi("/posts", key), 401, "a revoked key is refused");
  assert.deepEqual(page.errors, []);
});
