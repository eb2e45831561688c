// The post page keeps itself current (crate::live): each changed version fetches the post again
// and builds its body anew, while the body's own sections (performance, approval, comments) may
// still be loading. Those sections must never be read after the body that owned them is gone
// (a wasm panic: "tried to access a reactive value … already disposed"). The test publishes a
// post, then makes every focus report a new version and every section answer late.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, api, launch, signIn, sql, until } from "./support.mjs";

let browser;
let id;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (id) sql(`delete from postiz.posts where id = '${id}'`);
});

test("the post page rebuilt while its sections load: no panic, the sections still show", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const accounts = await api(page, "GET", `/workspaces/${ACME}/accounts`);
  const account = accounts.body.find((a) => a.network === "sandbox" && a.status === "active");
  assert.ok(account, "the demo host seeds a sandbox account");
  const made = await api(page, "POST", `/workspaces/${ACME}/posts`, {
    content: `Rebuilt while loading ${Date.now()}`,
    targets: [account.id],
    schedule: { kind: "once", at: new Date(Date.now() + 3_000).toISOString() },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  id = made.body.id;
  await until(async () => (await api(page, "GET", `/workspaces/${ACME}/posts/${id}`)).body.status === "published", { timeout: 90_000, what: "the post published" });

  // Every probe a new version (so every focus fetches the post again); every section late.
  let version = 0;
  await page.route((url) => url.pathname.endsWith("/changes"), (route) => route.fulfill({ json: { version: String(version++) } }));
  await page.route(
    (url) => /\/posts\/[0-9a-f-]{36}\/(analytics|comments|approval)$/.test(url.pathname),
    async (route) => {
      await new Promise((r) => setTimeout(r, Math.random() * 1_200));
      await route.continue();
    },
  );
  await page.goto(`${base}/w/${ACME}/posts/${id}`);
  await page.locator("[data-section='performance']").waitFor();
  for (let i = 0; i < 60 && page.errors.length === 0; i++) {
    await page.evaluate(() => window.dispatchEvent(new Event("focus")));
    await page.waitForTimeout(Math.random() * 400);
  }
  assert.ok(version >= 30, `the page asked for the version on each focus (${version} times)`);
  assert.deepEqual(page.errors, [], `console errors: ${page.consoleErrors.join("\n")}`);
  // Settled: the body and its sections are there.
  await page.locator("[data-post-status='published']").waitFor();
  await page.locator("[data-section='performance']").waitFor();
  await page.context().close();
});
