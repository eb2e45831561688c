// The composer's TikTok section in a real browser, against the real stack: nothing is
// preselected for who can see the post, saving without choosing is refused under that control
// with the error naming it by its label, and after choosing, the settings are saved and shown
// again when the post is reopened.
//
// The demo workspace has no TikTok account, so the test adds one with SQL (E2E_DB_URL, set by
// `cargo xtask test --only e2e`), as connecting would leave it but without a stored sign-in: the
// composer then says it could not ask TikTok what the account allows and offers every level
// (the API refuses what the creator may not use when TikTok answers; crates/postiz-api/tests/
// network_settings_http.rs covers that against wiremock). A JPEG library entry is added the same
// way, since TikTok needs a video or photos.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

import { ACME, api, launch, shot, signIn, sql } from "./support.mjs";

let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the TikTok section: choose who can see the post, refused by label until chosen, saved and shown again", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const handle = `acme_tok_${Date.now()}`;
  const [[account]] = sql(`insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
                           values ('${ACME}', 'tiktok', '${handle}', '${handle}', 'Acme on TikTok') returning id`);
  const media = randomUUID();
  sql(`insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, width, height, sha256, name)
       values ('${media}', '${ACME}', '${ACME}/${media}', 'image/jpeg', 200000, 1080, 1350, decode(md5('${media}') || md5('${media}'), 'hex'), 'tiktok-photo.jpg')`);
  let postId;
  try {
    await page.goto(`${base}/w/${ACME}/compose`);
    await page.locator(`.postiz-pick[data-account='${account}']`).click();
    await page.locator("textarea[data-field='content']").fill("Sourdough, step by step");
    await page.locator(`[data-section='media'] .postiz-media-item[data-media='${media}']`).click();

    const panel = page.locator(".postiz-variant[data-network='tiktok']");
    const who = panel.getByLabel("Who can see this post");
    await who.waitFor();
    assert.equal(await who.inputValue(), "", "nothing is preselected");
    await panel.locator("[data-creator-info]").waitFor();
    const comments = panel.getByLabel("Allow comments");
    assert.equal(await comments.isChecked(), true);
    await comments.uncheck();
    await panel.getByLabel(/^Your brand/).check();
    await panel.locator("[data-disclosure='label']", { hasText: "Promotional content" }).waitFor();
    assert.match(await panel.locator("[data-disclosure='consent']").textContent(), /Music Usage Confirmation/);
    await shot(page, "tiktok-01-section");

    // Saved without choosing: refused, the reason under the control, named by its label.
    await page.locator("button[data-action='draft']").click();
    const error = panel.locator(".postiz-field-error[data-field='variants.tiktok.settings.privacy_level']");
    await error.waitFor();
    assert.equal((await error.textContent()).trim(), "TikTok › Who can see this post: choose one");
    assert.doesNotMatch(await page.locator(".postiz-composer").textContent(), /variants\.tiktok/, "no field path is shown");
    await shot(page, "tiktok-02-privacy-required");

    await who.selectOption("MUTUAL_FOLLOW_FRIENDS");
    await page.locator("button[data-action='draft']").click();
    await page.waitForURL((u) => /\/posts\/[0-9a-f-]{36}$/.test(u.pathname));
    postId = page.url().split("/posts/")[1];
    const saved = await api(page, "GET", `/workspaces/${ACME}/posts/${postId}`);
    assert.equal(saved.status, 200);
    const settings = saved.body.variants.tiktok.settings;
    assert.equal(settings.privacy_level, "MUTUAL_FOLLOW_FRIENDS");
    assert.equal(settings.disable_comment, true);
    assert.equal(settings.brand_organic_toggle, true);
    assert.equal(settings.mode, "direct");

    // Reopened: the values are there.
    await page.goto(`${base}/w/${ACME}/posts/${postId}/edit`);
    const again = page.locator(".postiz-variant[data-network='tiktok']");
    const whoAgain = again.getByLabel("Who can see this post");
    await whoAgain.waitFor();
    assert.equal(await whoAgain.inputValue(), "MUTUAL_FOLLOW_FRIENDS");
    assert.equal(await again.getByLabel("Allow comments").isChecked(), false);
    assert.equal(await again.getByLabel(/^Your brand/).isChecked(), true);
    await shot(page, "tiktok-03-reopened");
    assert.deepEqual(page.errors, [], page.consoleErrors.join("\n"));
  } finally {
    if (postId) await api(page, "DELETE", `/workspaces/${ACME}/posts/${postId}`);
    sql(`delete from postiz.post_targets where social_account_id = '${account}'; delete from postiz.social_accounts where id = '${account}';
         delete from postiz.post_media where media_id = '${media}'; delete from postiz.media_assets where id = '${media}'`);
    await page.context().close();
  }
});
