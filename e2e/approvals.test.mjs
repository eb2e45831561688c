// Approvals in a real browser, against the real stack: an editor's post to an account whose
// policy needs an admin cannot be scheduled (the API answers the database's sentence), its
// detail page says what is missing and offers the author no decision; the owner sees it in the
// Review tab (with its count), approves it there, and the post is scheduled. Its calendar chip
// says "needs approval" until then.
//
// Victor (the seeded viewer) is made an editor for this file and a dedicated account gets the
// policy as an override, so the other files' posts to Acme are not gated; `after` undoes both.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, BASE, api, launch, shot, signIn, sql, until, wallDay } from "./support.mjs";

const VICTOR = "71c70000-0000-4000-8000-000000000002";
const ACCOUNT = "ac3e0000-0000-4000-8000-0000000000ab";
let browser;

before(async () => {
  browser = await launch();
  sql(`update postiz.workspace_members set role = 'editor' where workspace_id = '${ACME}' and user_id = '${VICTOR}'`);
  sql(`insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, display_name)
       values ('${ACCOUNT}', '${ACME}', 'mastodon', 'e2e-approvals', '@approvals@social.example', 'Approvals test')
       on conflict (id) do nothing`);
  sql(`insert into postiz.approval_policies (workspace_id, social_account_id, steps)
       values ('${ACME}', '${ACCOUNT}', '[{"min_role": "admin", "required": 1}]')
       on conflict (workspace_id, social_account_id) do update set steps = excluded.steps`);
});

after(async () => {
  await browser?.close();
  sql(`delete from postiz.posts p using postiz.post_targets t where t.post_id = p.id and t.social_account_id = '${ACCOUNT}'`);
  sql(`delete from postiz.social_accounts where id = '${ACCOUNT}'`);
  sql(`update postiz.workspace_members set role = 'viewer' where workspace_id = '${ACME}' and user_id = '${VICTOR}'`);
});

test("an editor's post waits for an admin's approval, then is scheduled", async () => {
  const editor = await signIn(browser, "victor@acme.test");
  const atMs = Date.now() + 3 * 86_400_000;
  const at = new Date(atMs).toISOString();
  const post = { content: "Approvals e2e: our spring launch", targets: [ACCOUNT], schedule: { kind: "once", at } };

  const refused = await api(editor, "POST", `/workspaces/${ACME}/posts`, post);
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.equal(refused.body.error.code, "approval_required");
  assert.equal(refused.body.error.message, "This post needs 1 more approval from an admin before it can be scheduled");

  const created = await api(editor, "POST", `/workspaces/${ACME}/posts`, { ...post, status: "pending_approval" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;
  const again = await api(editor, "POST", `/workspaces/${ACME}/posts/${id}/status`, { status: "scheduled" });
  assert.equal(again.status, 409, "the author cannot schedule it either");

  // Its calendar chip says it needs approval.
  await editor.goto(`${BASE}/dashboard/postiz/w/${ACME}/calendar?view=day&date=${wallDay(atMs).key}`);
  await editor.locator(`[data-post='${id}'] [data-approval='pending']`).waitFor();

  await editor.goto(`${BASE}/dashboard/postiz/w/${ACME}/posts/${id}`);
  const panel = editor.locator("[data-approval='pending']");
  await panel.waitFor();
  assert.match(await panel.locator("[data-missing]").innerText(), /needs 1 more approval from an admin/);
  assert.equal(await panel.locator("[data-action='approve']").count(), 0, "no decision buttons for the author");
  assert.match(await panel.locator("[data-refusal]").innerText(), /Authors cannot approve their own posts/);
  await shot(editor, "30-approval-waiting-author");
  assert.deepEqual(editor.errors, []);

  const admin = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/calendar`);
  const count = admin.locator(".postiz-tabs [data-review-count]");
  await count.waitFor();
  assert.ok(Number(await count.innerText()) >= 1, "the Review tab counts the post");
  await admin.locator(".postiz-tabs a", { hasText: "Review" }).click();
  const item = admin.locator(`[data-review-post='${id}']`);
  await item.waitFor();
  await shot(admin, "31-review-queue");
  await item.locator("[data-action='approve']").click();
  await until(async () => (await api(admin, "GET", `/workspaces/${ACME}/posts/${id}`)).body.status === "scheduled", { what: "the post scheduled" });
  await item.waitFor({ state: "detached" });

  await admin.goto(`${BASE}/dashboard/postiz/w/${ACME}/posts/${id}`);
  await admin.locator("[data-approval='approved']").waitFor();
  assert.equal(await admin.locator("[data-post-status]").getAttribute("data-post-status"), "scheduled");
  assert.match(await admin.locator("[data-decision='approved']").innerText(), /approved/);
  await shot(admin, "32-approved-post");
  assert.deepEqual(admin.errors, []);
});
