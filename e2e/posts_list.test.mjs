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
  await page.locator(".postiz-bulk-bar").getByRole("button", { name: "Move", exact: true }).click();
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

test("filter by tag, account and author with labelled pickers; add a tag to two posts and undo", async () => {
  const page = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/calendar`);
  const word = `filterword${Date.now()}`;
  const accounts = [];
  for (const suffix of ["one", "two"]) {
    const [[id]] = sql(
      `insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
       values ('${ACME}', 'sandbox', '${word}${suffix}', '${word}${suffix}', 'Filter ${suffix} ${word}') returning id`,
    );
    accounts.push(id);
  }
  const tag = await api(page, "POST", `/workspaces/${ACME}/tags`, { name: `tag ${word}`, color: "#336699" });
  assert.equal(tag.status, 201, JSON.stringify(tag.body));
  const made = [];
  for (const [text, account] of [[`${word} first`, accounts[0]], [`${word} second`, accounts[1]]]) {
    const r = await api(page, "POST", `/workspaces/${ACME}/posts`, { content: text, targets: [account] });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.push(r.body.id);
  }
  // An unknown filter is refused in words naming it, not answered with an empty page.
  const unknown = await api(page, "GET", `/workspaces/${ACME}/posts?tag=00000000-0000-4000-8000-000000000000`);
  assert.equal(unknown.status, 422);
  assert.match(unknown.body.error.message, /^Tag: there is no such tag in this workspace/);

  await page.locator(".postiz-tab", { hasText: "Posts" }).click();
  await page.locator("table[data-table='posts']").waitFor();
  const rows = page.locator("table[data-table='posts'] tbody tr");
  const search = page.getByLabel("Search", { exact: true });
  await search.fill(word);
  await search.press("Enter");
  await until(async () => (await rows.count()) === 2, { what: "both posts found", timeout: 15_000 });

  // Pickers are labelled and filled from the workspace: accounts by name, members by name.
  for (const [filter, label] of [["tag", "Tag"], ["account", "Account"], ["author", "Author"]]) {
    const text = await page.locator(`label:has(> select[data-filter='${filter}'])`).evaluate((l) => l.firstChild.textContent);
    assert.equal(text.trim(), label, `the ${filter} picker is labelled`);
  }
  const accountPicker = page.locator("select[data-filter='account']");
  await until(async () => (await accountPicker.locator("option", { hasText: `Filter two ${word}` }).count()) === 1, { what: "the account option", timeout: 15_000 });
  await accountPicker.selectOption(accounts[1]);
  await until(async () => (await rows.count()) === 1, { what: "the account filter", timeout: 15_000 });
  await page.locator(`tr[data-post='${made[1]}']`).waitFor();
  await accountPicker.selectOption("");
  await until(async () => (await rows.count()) === 2, { what: "the account filter cleared", timeout: 15_000 });

  const authorPicker = page.locator("select[data-filter='author']");
  const alice = authorPicker.locator("option", { hasText: "Alice Owner (you)" });
  await until(async () => (await alice.count()) === 1, { what: "members by name in the Author picker", timeout: 15_000 });
  await authorPicker.selectOption({ label: "Victor Viewer" });
  await until(async () => (await rows.count()) === 0, { what: "no post by Victor", timeout: 15_000 });
  await page.locator(".postiz-empty", { hasText: "No post matches this search." }).waitFor();
  await authorPicker.selectOption({ label: "Alice Owner (you)" });
  await until(async () => (await rows.count()) === 2, { what: "Alice's posts", timeout: 15_000 });
  await shot(page, "posts-06-filters");

  // Add the tag to both, see it in the Tags column, undo, and it is gone again.
  for (const id of made) await page.locator(`tr[data-post='${id}'] input[type='checkbox']`).check();
  const bar = page.locator(".postiz-bulk-bar");
  await bar.waitFor();
  const addTag = bar.getByRole("button", { name: "Add tag" });
  assert.equal(await addTag.isDisabled(), true, "no tag chosen yet");
  await bar.locator("select[data-bulk='tag']").selectOption({ label: `tag ${word}` });
  await addTag.click();
  await page.locator(".postiz-undo", { hasText: "Tagged 2 posts" }).waitFor();
  for (const id of made) {
    await until(async () => (await page.locator(`tr[data-post='${id}'] td[data-tags]`).textContent()).includes(`tag ${word}`), { what: "the tag shown", timeout: 15_000 });
  }
  const tagged = sql(`select count(*) from postiz.post_tags where tag_id = '${tag.body.id}'`);
  assert.deepEqual(tagged, [["2"]]);
  await shot(page, "posts-07-tagged-undo");

  const tagPicker = page.locator("select[data-filter='tag']");
  await tagPicker.selectOption(tag.body.id);
  await until(async () => (await rows.count()) === 2, { what: "the tag filter", timeout: 15_000 });

  await page.locator(".postiz-undo button", { hasText: "Undo" }).click();
  await page.locator(".postiz-toast", { hasText: "Undid 2 posts" }).waitFor();
  await until(async () => (await rows.count()) === 0, { what: "no post carries the tag after the undo", timeout: 15_000 });
  assert.deepEqual(sql(`select count(*) from postiz.post_tags where tag_id = '${tag.body.id}'`), [["0"]]);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
