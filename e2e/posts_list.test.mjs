// The posts list in a real browser: search, select two posts, move them a day later, undo, and
// delete one after confirming. Posts are made through the module API; the account directly in
// the database (a sandbox account, as the connect flow would leave it).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, api, launch, shot, signIn, sql, until } from "./support.mjs";

let browser;
const DAY = 86_400_000;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const minute = (ms) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString();

test("search, select two posts, move them, undo, delete one with confirmation", async () => {
  // Signed in on the calendar: the Posts tab is opened after the posts exist.
  const page = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/calendar`);
  const tag = `bulkword${Date.now()}`;
  const [[account]] = sql(
    `insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
     values ('${ACME}', 'sandbox', '${tag}', '${tag}', 'Posts list e2e') returning id`,
  );
  const made = [];
  for (const [text, days] of [[`${tag} alpha`, 3], [`${tag} beta`, 4]]) {
    const r = await api(page, "POST", `/workspaces/${ACME}/posts`, { content: text, targets: [account], schedule: { kind: "once", at: minute(Date.now() + days * DAY) } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(r.body);
  }
  const draft = await api(page, "POST", `/workspaces/${ACME}/posts`, { content: "An undated draft, not in the search", targets: [account] });
  assert.equal(draft.status, 201);
  const times = async () => Promise.all(made.map(async (p) => (await api(page, "GET", `/workspaces/${ACME}/posts/${p.id}`)).body.scheduled_at));
  const original = await times();

  await page.locator(".postiz-tab", { hasText: "Posts" }).click();
  await page.locator("table[data-table='posts']").waitFor();
  await page.locator(`tr[data-post='${draft.body.id}']`).waitFor();
  await shot(page, "posts-01-list");

  const search = page.getByLabel("Search", { exact: true });
  await search.fill(tag);
  await search.press("Enter");
  const rows = page.locator("table[data-table='posts'] tbody tr");
  await until(async () => (await rows.count()) === 2, { what: "two search results", timeout: 15_000 });
  assert.equal(await page.locator(`tr[data-post='${draft.body.id}']`).count(), 0, "the draft does not match");

  for (const p of made) await page.locator(`tr[data-post='${p.id}'] input[type='checkbox']`).check();
  await page.locator(".postiz-bulk-bar").waitFor();
  assert.match(await page.locator(".postiz-bulk-bar").textContent(), /2 selected/);
  await shot(page, "posts-02-selected");
  await page.locator(".postiz-bulk-bar button", { hasText: "Move" }).click();
  await page.locator(".postiz-undo", { hasText: "Moved 2 posts" }).waitFor();
  const moved = await times();
  moved.forEach((t, i) => assert.equal(Date.parse(t) - Date.parse(original[i]), DAY, "a day later"));
  await shot(page, "posts-03-moved-undo");

  await page.locator(".postiz-undo button", { hasText: "Undo" }).click();
  await until(async () => JSON.stringify(await times()) === JSON.stringify(original), { what: "the undo", timeout: 15_000 });
  await page.locator(".postiz-toast", { hasText: "Undid 2 posts" }).waitFor();

  await page.locator(`tr[data-post='${made[0].id}'] input[type='checkbox']`).check();
  await page.locator(".postiz-bulk-bar button", { hasText: "Delete" }).click();
  const confirm = page.getByRole("alertdialog");
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /Delete 1 post\? This cannot be undone\./);
  await shot(page, "posts-04-confirm-delete");
  await confirm.locator("button", { hasText: "Delete for good" }).click();
  await until(async () => (await rows.count()) === 1, { what: "the deleted row to go", timeout: 15_000 });
  assert.equal((await api(page, "GET", `/workspaces/${ACME}/posts/${made[0].id}`)).status, 404);
  assert.equal((await api(page, "GET", `/workspaces/${ACME}/posts/${made[1].id}`)).status, 200);
  await shot(page, "posts-05-after-delete");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
