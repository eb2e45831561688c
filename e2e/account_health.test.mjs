// Connection health on the Accounts screen, from a real pre-flight round: a post scheduled
// within the pre-flight window (2 h) makes the worker verify its account's token with the
// network (the sandbox's whoami), and the account's card then says when it was checked, with
// the exact time on hover. The worker looks once a minute. Disconnecting an account and cancelling a post are asked first.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, api, launch, shot, signIn, sql, until } from "./support.mjs";

let browser;
let postId;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (postId) sql(`delete from postiz.posts where id = '${postId}'`);
});

test("an account with a post due within two hours is checked, and its card says when", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const accounts = (await api(page, "GET", `/workspaces/${ACME}/accounts`)).body;
  const account = accounts.find((a) => a.network === "sandbox" && a.status === "active" && a.connected !== false);
  assert.ok(account, "the demo host seeds a connected sandbox account");
  // Checked before (an earlier run): forget it, so what the card shows is this round's.
  sql(`delete from postiz.account_checks where social_account_id = '${account.id}'`);

  const made = await api(page, "POST", `/workspaces/${ACME}/posts`, {
    content: `Checked ahead ${Date.now()}`,
    targets: [account.id],
    schedule: { kind: "once", at: new Date(Date.now() + 60 * 60_000).toISOString() },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  postId = made.body.id;

  await page.goto(`${base}/w/${ACME}/accounts`);
  const card = page.locator(`[data-account='${account.id}']`);
  await card.waitFor();
  const checked = card.locator("[data-checked-at]");
  await until(
    async () => {
      if ((await checked.count()) > 0) return true;
      await page.reload();
      await card.waitFor();
      return false;
    },
    { timeout: 150_000, every: 5_000, what: "the worker's pre-flight check of the account" },
  );
  assert.match(await checked.textContent(), /^Checked (just now|\d+ min ago)$/);
  assert.match(await checked.getAttribute("title"), /\d{1,2}:\d{2}/, "the exact time on hover");
  assert.equal(await card.locator("[data-needs-reconnect]").count(), 0);
  const row = sql(`select outcome from postiz.account_checks where social_account_id = '${account.id}'`);
  assert.deepEqual(row, [["ok"]], "the check passed");
  await shot(page, "accounts-health-checked");

  // Disconnecting takes the account off every post: it is asked first, and "Keep it" keeps it.
  await card.getByRole("button", { name: "Disconnect…" }).click();
  const question = card.getByRole("alertdialog");
  assert.match(await question.textContent(), /^Disconnect .+\? Its sign-in is deleted, it is taken off every post, scheduled or published, and its numbers and any webhook endpoint limited to it are deleted too\./);
  await shot(page, "accounts-disconnect-confirm");
  await question.getByRole("button", { name: "Keep it" }).click();
  await question.waitFor({ state: "detached" });
  const still = (await api(page, "GET", `/workspaces/${ACME}/accounts`)).body;
  assert.ok(still.some((a) => a.id === account.id), "the account is still connected");

  // Cancelling the post is asked first too; Keep it keeps it scheduled, then it is cancelled.
  await page.goto(`${base}/w/${ACME}/posts/${postId}`);
  await page.getByRole("button", { name: "Cancel post…" }).click();
  const cancel = page.getByRole("alertdialog");
  assert.match(await cancel.textContent(), /^Cancel this post\? It will not be published/);
  await cancel.getByRole("button", { name: "Keep it" }).click();
  await cancel.waitFor({ state: "detached" });
  assert.equal((await api(page, "GET", `/workspaces/${ACME}/posts/${postId}`)).body.status, "scheduled");
  await page.getByRole("button", { name: "Cancel post…" }).click();
  await cancel.getByRole("button", { name: "Cancel the post" }).click();
  await page.locator("[data-post-status='canceled']").waitFor();
  assert.deepEqual(page.errors, [], `console errors: ${page.consoleErrors.join("\n")}`);
  await page.context().close();
});
