// A session the host ended is ended in the module too, for sensitive actions: Alice is signed in
// in two browsers; from the second she signs out everywhere (the host's button, as
// `supabase.auth.signOut({ scope: 'global' })`). In the first, the planner still reads (her token
// has not expired), but creating an API key is refused in words, and nothing is created.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, launch, shot, signIn, sql } from "./support.mjs";

let browser;
const KEY_NAME = "e2e signed-out key";

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  sql(`delete from postiz.api_keys where name = '${KEY_NAME}'`);
});

test("signing out everywhere stops sensitive actions in an open planner", async () => {
  const laptop = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/settings`);
  await laptop.getByPlaceholder("Key name").waitFor();

  const phone = await signIn(browser, "alice@acme.test");
  await phone.getByRole("button", { name: "Sign out everywhere" }).click();
  await phone.waitForURL((u) => u.pathname === "/login");

  // Reading still works in the open planner: its token is valid until it expires.
  const tabs = laptop.locator("nav.postiz-tabs");
  await tabs.getByRole("link", { name: "Calendar" }).click();
  await laptop.locator(".postiz-cell").first().waitFor();
  await tabs.getByRole("link", { name: "Settings" }).click();
  await laptop.getByPlaceholder("Key name").fill(KEY_NAME);
  await laptop.getByRole("button", { name: "Create key" }).click();
  const toast = laptop.locator(".postiz-toast", { hasText: "session has ended" });
  await toast.waitFor();
  assert.match(await toast.innerText(), /Your session has ended \(you signed out elsewhere, or your access was removed\); sign in again to continue/);
  await shot(laptop, "session-ended-api-key");
  assert.deepEqual(sql(`select count(*) from postiz.api_keys where name = '${KEY_NAME}'`), [["0"]], "no key was created");
});
