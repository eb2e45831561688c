// The inbox in a real browser, against the real stack: the sandbox network refuses a post (a
// scripted 400 from its fault injection), the worker records the failure, and the owner sees it:
// the module's nav shows one more unread, the inbox lists it in words with a link to the post,
// "Mark read" lowers the count in the inbox and in the nav, and the link opens the post.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, SANDBOX, api, launch, shot, signIn, sql, until } from "./support.mjs";

let browser;
let id;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await fetch(`${SANDBOX}/_control/faults`, { method: "DELETE" });
  if (id) sql(`delete from postiz.posts where id = '${id}'`);
});

/** The nav's unread count (0 when the badge is not shown). */
async function navCount(page) {
  const badge = page.locator(".postiz-tabs [data-inbox-count]");
  return (await badge.count()) === 0 ? 0 : Number(await badge.getAttribute("data-inbox-count"));
}

test("a failed post reaches the inbox with a link to it, and marking it read lowers the count", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  await page.goto(`${base}/w/${ACME}/calendar`);
  await page.locator(".postiz-tabs").waitFor();
  const before = await api(page, "GET", `/workspaces/${ACME}/notifications/unread-count`);
  assert.equal(before.status, 200, JSON.stringify(before.body));
  const unreadBefore = before.body.unread;
  await until(async () => (await navCount(page)) === unreadBefore, { timeout: 10_000, what: "the nav's count before" });

  // The network refuses the next publish call: a permanent 400, no retry.
  const faults = await fetch(`${SANDBOX}/_control/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ queue: [{ status: 400 }] }),
  });
  assert.equal(faults.status, 200);
  const accounts = await api(page, "GET", `/workspaces/${ACME}/accounts`);
  const account = accounts.body.find((a) => a.network === "sandbox" && a.status === "active");
  assert.ok(account, "the demo host seeds a sandbox account");
  const made = await api(page, "POST", `/workspaces/${ACME}/posts`, {
    content: `Inbox e2e: refused by the network ${Date.now()}`,
    targets: [account.id],
    schedule: { kind: "once", at: new Date(Date.now() + 3_000).toISOString() },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  id = made.body.id;
  await until(async () => (await api(page, "GET", `/workspaces/${ACME}/posts/${id}`)).body.status === "failed", {
    timeout: 90_000,
    what: "the post failed",
  });

  // The nav follows on the next screen: one more unread.
  await page.locator(".postiz-tabs a", { hasText: "Posts" }).first().click();
  await until(async () => (await navCount(page)) === unreadBefore + 1, { timeout: 10_000, what: "the nav's count after the failure" });
  await shot(page, "50-nav-unread");

  // The inbox: the failure in words, unread, with a link to the post.
  await page.locator(".postiz-tabs a", { hasText: "Inbox" }).click();
  const item = page.locator(`.postiz-inbox-item[data-kind='post_failed']:has(a[href$='/posts/${id}'])`);
  await item.waitFor();
  assert.match(await item.innerText(), /Your post failed on Sandbox/);
  assert.ok((await item.getAttribute("class")).includes("postiz-inbox-unread"), "listed unread");
  assert.equal(await page.locator("[data-inbox-unread]").getAttribute("data-inbox-unread"), String(unreadBefore + 1));
  await shot(page, "51-inbox-unread");

  // Mark read: the inbox and the nav say one fewer.
  await item.locator("button", { hasText: "Mark read" }).click();
  await until(async () => (await navCount(page)) === unreadBefore, { timeout: 10_000, what: "the nav's count after mark read" });
  const after = await api(page, "GET", `/workspaces/${ACME}/notifications/unread-count`);
  assert.equal(after.body.unread, unreadBefore);
  const read = page.locator(`.postiz-inbox-item[data-kind='post_failed']:has(a[href$='/posts/${id}'])`);
  assert.ok(!(await read.getAttribute("class")).includes("postiz-inbox-unread"), "now read");
  assert.equal(await read.locator("button", { hasText: "Mark read" }).count(), 0);
  await shot(page, "52-inbox-marked-read");

  // The link opens the post, which says it failed.
  await read.locator("a").first().click();
  await page.waitForURL((u) => u.pathname.endsWith(`/posts/${id}`));
  await page.locator("[data-post-status='failed']").waitFor();
  await shot(page, "53-post-from-inbox");
  assert.deepEqual(page.errors, [], `console errors: ${page.consoleErrors.join("\n")}`);
  await page.context().close();
});
