// Invitations in a real browser, against the real stack (no Supabase service key locally, so no
// Auth email): Alice (owner of Acme) invites Bob, who has an account (Globex); Settings says the
// invitation waits for him in the planner; Bob sees it above his workspace, joins with one
// click and lands in Acme. An invitation for an address without an account gives a code; its
// link opened by someone else says it was sent to another address.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, launch, shot, signIn, sql } from "./support.mjs";

let browser;

function cleanUp() {
  sql(`delete from postiz.workspace_invites where workspace_id = '${ACME}' and email in ('bob@globex.test', 'carol@example.test')`);
  sql(`delete from postiz.workspace_members where workspace_id = '${ACME}' and user_id = (select id from auth.users where email = 'bob@globex.test')`);
}

before(async () => {
  browser = await launch();
  cleanUp();
});

after(async () => {
  await browser?.close();
  cleanUp();
});

test("someone with an account is shown the invitation and joins with one click", async () => {
  const alice = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/settings`);
  await alice.locator("input[aria-label='Email']").fill("bob@globex.test");
  await alice.locator("select[aria-label='Role']").selectOption("editor");
  await alice.getByRole("button", { name: "Invite", exact: true }).click();
  const status = alice.locator("[role='status']", { hasText: "already has an account" });
  await status.waitFor();
  assert.match(await status.innerText(), /bob@globex\.test already has an account: the invitation waits for them in the planner/);
  await shot(alice, "invites-settings");

  const bob = await signIn(browser, "bob@globex.test");
  const offer = bob.locator(".postiz-invitation", { hasText: "Acme" });
  await offer.waitFor();
  assert.match(await offer.innerText(), /You are invited to Acme as editor\./);
  await shot(bob, "invites-offer");
  await offer.getByRole("button", { name: "Join Acme" }).click();
  await bob.waitForURL((u) => u.pathname === `/dashboard/postiz/w/${ACME}/calendar`);
  await bob.locator(".postiz-header").waitFor();
  const switcher = bob.locator("select[aria-label='Workspace']");
  assert.equal(await switcher.inputValue(), ACME, "Bob is in Acme now");
  assert.equal(await bob.locator(".postiz-invitation").count(), 0, "the offer is gone");
  const role = sql(`select role from postiz.workspace_members where workspace_id = '${ACME}' and user_id = (select id from auth.users where email = 'bob@globex.test')`);
  assert.deepEqual(role, [["editor"]]);
  assert.deepEqual(bob.errors, []);
});

test("an invitation link opened by another person says so, in words", async () => {
  const alice = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/settings`);
  await alice.locator("input[aria-label='Email']").fill("carol@example.test");
  await alice.getByRole("button", { name: "Invite", exact: true }).click();
  const status = alice.locator("[role='status']", { hasText: "carol@example.test" });
  await status.waitFor();
  assert.match(await status.innerText(), /Send carol@example\.test the invite code/);
  const code = (await alice.locator(".postiz-hint code").innerText()).trim();
  assert.equal(code.length, 64);

  const victor = await signIn(browser, "victor@acme.test", `/dashboard/postiz/invite?invite=${code}`);
  await victor.getByRole("heading", { name: "Join a workspace" }).waitFor();
  await victor.getByRole("button", { name: "Join workspace" }).click();
  const alert = victor.locator(".postiz-invite [role='alert']");
  await alert.waitFor();
  assert.match(await alert.innerText(), /sent to another email address\. Sign in with the address it was sent to\./);
  await shot(victor, "invites-wrong-address");
  assert.equal(new URL(victor.url()).pathname, "/dashboard/postiz/invite", "nothing joined, still on the screen");
});
