// Invitations in a real browser, against the real stack. The demo host stands in for Supabase
// Auth, as a real project's Auth would be with the service-role key set: Alice (owner of Acme)
// invites Bob, who has an account (Globex); Settings says the invitation waits for him in the
// planner; Bob sees it above his workspace, joins with one click and lands in Acme. An address
// without an account is emailed (the host's /mailbox): the invitee follows the link, is signed
// in, and joins. The invite code shown once, opened by someone else, says it was sent to another
// address.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, BASE, launch, shot, signIn, sql } from "./support.mjs";

let browser;

function cleanUp() {
  sql(`delete from postiz.workspace_invites where workspace_id = '${ACME}' and email in ('bob@globex.test', 'carol@example.test', 'dana@example.test')`);
  sql(`delete from postiz.workspace_members where workspace_id = '${ACME}' and user_id in (select id from auth.users where email in ('bob@globex.test', 'dana@example.test'))`);
  sql(`delete from auth.users where email in ('carol@example.test', 'dana@example.test')`);
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
  assert.match(await status.innerText(), /carol@example\.test was emailed an invitation\./);
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

test("someone without an account follows the invite email, is signed in, and joins", async () => {
  const alice = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/settings`);
  await alice.locator("input[aria-label='Email']").fill("dana@example.test");
  await alice.locator("select[aria-label='Role']").selectOption("editor");
  await alice.getByRole("button", { name: "Invite", exact: true }).click();
  await alice.locator("[role='status']", { hasText: "dana@example.test was emailed an invitation." }).waitFor();
  await shot(alice, "invites-emailed");

  // Dana has no account and no session: she reads her email and follows its link.
  const context = await browser.newContext({ viewport: { width: 1400, height: 950 }, timezoneId: "Europe/Paris" });
  const dana = await context.newPage();
  dana.errors = [];
  dana.on("pageerror", (e) => dana.errors.push(e.message));
  await dana.goto(`${BASE}/mailbox`);
  const mail = dana.locator(".host-mail", { hasText: "dana@example.test" }).first();
  await mail.waitFor();
  assert.match(await mail.innerText(), /You have been invited to Acme/);
  await shot(dana, "invites-mailbox");
  const link = await mail.getByRole("link", { name: "Accept the invite" }).getAttribute("href");
  assert.ok(link.startsWith(`${BASE}/auth/v1/verify?`), link);
  await mail.getByRole("link", { name: "Accept the invite" }).click();
  await dana.waitForURL((u) => u.pathname === "/dashboard/postiz/invite");
  assert.match(await dana.locator(".host-user").innerText(), /dana@example\.test/, "signed in by the link");
  await dana.getByRole("button", { name: "Join workspace" }).click();
  await dana.waitForURL((u) => u.pathname === `/dashboard/postiz/w/${ACME}/calendar`);
  await dana.locator(".postiz-header").waitFor();
  await shot(dana, "invites-joined-from-email");
  const role = sql(`select m.role from postiz.workspace_members m join auth.users u on u.id = m.user_id where m.workspace_id = '${ACME}' and u.email = 'dana@example.test'`);
  assert.deepEqual(role, [["editor"]]);
  assert.deepEqual(dana.errors, []);

  // The link works once.
  await dana.goto(link);
  await dana.locator(".host-problem", { hasText: "used already or has expired" }).waitFor();
  await context.close();
});
