// Client review links in a real browser, against the real stack: the owner shares a scheduled
// post ("Share for review…", an expiry, the link shown once); a fresh browser context with no
// session opens it, sees the post as the network will show it, requests changes with a note and
// comments under a name; back in the module the post shows the decision and the comment by that
// name, via the link, and is off the schedule; after Revoke the reviewer's page says the link
// was withdrawn.
//
// A dedicated account keeps the other files' posts apart; `after` removes it with its posts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, BASE, api, launch, shot, signIn, sql, until } from "./support.mjs";

const ACCOUNT = "ac3e0000-0000-4000-8000-0000000000ce";
let browser;

before(async () => {
  browser = await launch();
  sql(`insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle, display_name)
       values ('${ACCOUNT}', '${ACME}', 'mastodon', 'e2e-review-links', '@clients@social.example', 'Client reviews')
       on conflict (id) do nothing`);
});

after(async () => {
  await browser?.close();
  sql(`delete from postiz.posts p using postiz.post_targets t where t.post_id = p.id and t.social_account_id = '${ACCOUNT}'`);
  sql(`delete from postiz.social_accounts where id = '${ACCOUNT}'`);
});

test("a client without an account reviews a post through a link, and a revoked link says so", async () => {
  const owner = await signIn(browser, "alice@acme.test");
  const at = new Date(Date.now() + 4 * 86_400_000).toISOString();
  const created = await api(owner, "POST", `/workspaces/${ACME}/posts`, {
    content: "Review links e2e: our summer collection is here",
    targets: [ACCOUNT],
    schedule: { kind: "once", at },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  // Share for review: choose an expiry, get the link once.
  await owner.goto(`${BASE}/dashboard/postiz/w/${ACME}/posts/${id}`);
  await owner.locator("[data-action='share-for-review']").click();
  await owner.locator("#postiz-share-label").fill("Summer, for Dana");
  await owner.locator("#postiz-share-days").selectOption("3");
  await shot(owner, "40-share-for-review");
  await owner.locator("[data-action='create-review-link']").click();
  const urlBox = owner.locator("[data-review-url]");
  await urlBox.waitFor();
  const url = await urlBox.inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/dashboard\/postiz\/api\/review#[A-Za-z0-9_-]{43}$/, url);
  await owner.locator("[data-review-links] [data-state='active']").waitFor();
  await shot(owner, "41-review-link-created");
  assert.deepEqual(owner.errors, []);

  // The client: a fresh context, no session, a phone-sized screen.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: "America/New_York" });
  const client = await context.newPage();
  const clientErrors = [];
  client.on("pageerror", (e) => clientErrors.push(e.message));
  const requests = [];
  client.on("request", (r) => requests.push(r.url()));
  await client.goto(url);
  const card = client.locator("article").first();
  await card.waitFor();
  assert.match(await client.locator("h1").innerText(), /Summer, for Dana/);
  assert.match(await card.innerText(), /MASTODON|Mastodon/i);
  assert.match(await card.innerText(), /Client reviews/);
  assert.match(await card.innerText(), /our summer collection is here/);
  assert.ok(!client.url().includes("#"), "the token is taken off the address bar");
  await shot(client, "42-review-page");

  // Request changes: the note is required, then the name, then it goes through.
  await card.locator("button", { hasText: "Request changes" }).click();
  assert.match(await card.locator("[role='alert']").innerText(), /Note is required/);
  await card.locator("textarea").first().fill("Please use the new logo");
  await card.locator("button", { hasText: "Request changes" }).click();
  assert.match(await card.locator("[role='alert']").innerText(), /Type your name/);
  await client.locator("#reviewer-name").fill("Dana Client");
  await card.locator("button", { hasText: "Request changes" }).click();
  await client.locator("article").first().locator("text=Saved. Thank you, Dana Client.").waitFor();
  await client.locator("article").first().locator("textarea").nth(-1).fill("Love the colours though");
  await client.locator("article").first().locator("button", { hasText: "Comment" }).click();
  await client.locator("article").first().locator("text=Dana Client commented").waitFor();
  const after = await client.locator("article").first().innerText();
  assert.match(after, /Changes requested by Dana Client/);
  assert.match(after, /Please use the new logo/);
  assert.match(after, /You answered this version/);
  assert.equal(await client.locator("article").first().locator("button", { hasText: "Approve" }).count(), 0, "no second decision offered");
  await shot(client, "43-review-page-answered");
  const token = url.split("#")[1];
  assert.ok(requests.length > 2 && requests.every((u) => !u.includes(token)), `no request carries the token: ${requests.join(" ")}`);
  assert.deepEqual(clientErrors, []);

  // Back in the module: the decision and the comment by the client's name, via the link.
  await until(async () => (await api(owner, "GET", `/workspaces/${ACME}/posts/${id}`)).body.status === "pending_approval", {
    what: "the post taken off the schedule",
  });
  await owner.goto(`${BASE}/dashboard/postiz/w/${ACME}/posts/${id}`);
  const decision = owner.locator("[data-decision='changes_requested']");
  await decision.waitFor();
  assert.match(await decision.innerText(), /Dana Client \(via review link Summer, for Dana\)/);
  assert.match(await decision.innerText(), /Please use the new logo/);
  const comment = owner.locator(".postiz-comment", { hasText: "Love the colours though" });
  await comment.waitFor();
  assert.match(await comment.innerText(), /Dana Client/);
  assert.match(await comment.innerText(), /via review link Summer, for Dana/);
  await shot(owner, "44-post-after-client-review");

  // Revoke: the client's page now says the link was withdrawn.
  await owner.locator("[data-review-links] [data-action='revoke-review-link']").click();
  await owner.locator("[data-action='confirm-revoke']").click();
  await owner.locator("[data-review-links] [data-state='revoked']").waitFor();
  await shot(owner, "45-review-link-revoked");
  await client.reload();
  await client.locator("text=This review link has expired or was withdrawn. Ask for a new one.").waitFor();
  await shot(client, "46-review-page-withdrawn");
  assert.deepEqual(owner.errors, []);
  assert.deepEqual(clientErrors, []);
  await context.close();
});
