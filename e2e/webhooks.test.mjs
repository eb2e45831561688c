// Outgoing webhooks in Settings as an admin would set one up: an address that is not https is
// refused in words; the endpoint's secret is shown once; its events and account are chosen
// from words (not event names) and kept; rotating shows a new secret; a test event shows in the
// delivery log in words.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, api, launch, shot, signIn, sql, until } from "./support.mjs";

let browser;
// A public address written as an IP (nothing to resolve here); nothing answers it in the test.
const URL = "https://93.184.215.14/postiz-e2e-hook";

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  sql(`delete from postiz.webhook_endpoints where url = '${URL}'`);
});

test("an endpoint is added, limited to chosen events of one account, rotated and tested", async () => {
  const page = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/settings`);
  const card = page.locator(".postiz-card", { has: page.getByRole("heading", { name: "Webhooks" }) });
  const input = card.getByLabel("Endpoint URL");
  await input.waitFor();

  await input.fill("http://hooks.example.com/in");
  await card.getByRole("button", { name: "Add endpoint" }).click();
  await card.locator(".postiz-error", { hasText: "Endpoint URL must start with https://" }).waitFor();

  await input.fill(URL);
  await card.getByRole("button", { name: "Add endpoint" }).click();
  const shown = card.locator("p.postiz-hint", { hasText: "Signing secret, shown once" }).locator("code");
  await shown.waitFor();
  const first = await shown.textContent();
  assert.ok(first.length >= 24, "a secret is shown");
  const row = card.locator(".postiz-row", { has: page.locator(`code`, { hasText: URL }) });
  assert.equal(await row.locator("[data-webhook-filter]").textContent(), "Every event, every account");

  // Choose events and an account, in words.
  const accounts = (await api(page, "GET", `/workspaces/${ACME}/accounts`)).body;
  const sandbox = accounts.find((a) => a.network === "sandbox");
  await row.getByRole("button", { name: "Choose events…" }).click();
  const editor = card.locator("[data-section='webhook-filter']");
  await editor.getByLabel("Published", { exact: true }).check();
  await editor.getByLabel("Failed", { exact: true }).check();
  await editor.locator("[data-field='webhook-account']").selectOption(sandbox.id);
  await shot(page, "webhooks-01-filter");
  await editor.getByRole("button", { name: "Save" }).click();
  await editor.waitFor({ state: "detached" });
  const name = sandbox.display_name ?? sandbox.handle;
  await until(async () => (await row.locator("[data-webhook-filter]").textContent()) === `Published, Failed, only ${name} (Sandbox)`, { what: "the saved filter in words" });
  const saved = (await api(page, "GET", `/workspaces/${ACME}/webhooks`)).body.find((e) => e.url === URL);
  assert.deepEqual(saved.events, ["post.published", "post.failed"], "in the catalogue's order");
  assert.equal(saved.social_account_id, sandbox.id);
  // Opened again, the editor shows what was saved.
  await row.getByRole("button", { name: "Choose events…" }).click();
  assert.equal(await editor.getByLabel("Published", { exact: true }).isChecked(), true);
  assert.equal(await editor.getByLabel("Post queued").isChecked(), false);
  assert.equal(await editor.locator("[data-field='webhook-account']").inputValue(), sandbox.id, "the account chosen, not the first option");
  await editor.getByRole("button", { name: "Cancel" }).click();

  // Rotate: a new secret, shown once, and the old one's grace period in words.
  await row.getByRole("button", { name: "Rotate secret" }).click();
  const rotated = card.locator("[data-rotated]");
  await rotated.waitFor();
  const second = await rotated.locator("code").textContent();
  assert.notEqual(second, first);
  assert.match(await rotated.textContent(), /signed with the old secret too until/);

  // A test event, in the delivery log in words.
  await row.getByRole("button", { name: "Send test event" }).click();
  await row.getByRole("button", { name: "Delivery log" }).click();
  const entry = card.locator("[data-delivery-event='webhook.test']").first();
  await entry.waitFor();
  assert.equal(await entry.textContent(), "Test event");
  await shot(page, "webhooks-02-log");
  assert.deepEqual(page.errors, [], `console errors: ${page.consoleErrors.join("\n")}`);
  await page.context().close();
});
