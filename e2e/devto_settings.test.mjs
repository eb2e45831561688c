// The composer's dev.to section in a real browser, against the real stack: an article saved
// without a title is refused under the Title control, named by its label; five tags are refused
// under Tags; after fixing both, the settings are saved and shown again when the post is
// reopened.
//
// The demo workspace has no dev.to account, so the test adds one with SQL (E2E_DB_URL), as
// connecting would leave it (the connect form and publishing are covered against wiremock in
// crates/postiz-api/tests/connect_devto.rs).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, api, launch, shot, signIn, sql } from "./support.mjs";

let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the dev.to section: a title and at most four tags, refused by label, saved and shown again", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const handle = `acme_dev_${Date.now()}`;
  const [[account]] = sql(`insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
                           values ('${ACME}', 'devto', '${Date.now()}', '${handle}', 'Acme on dev.to') returning id`);
  let postId;
  try {
    await page.goto(`${base}/w/${ACME}/compose`);
    await page.locator(`.postiz-pick[data-account='${account}']`).click();
    await page.locator("textarea[data-field='content']").fill("How we bake, in **Markdown**.");

    const panel = page.locator(".postiz-variant[data-network='devto']");
    const title = panel.getByLabel("Title");
    await title.waitFor();
    await shot(page, "devto-01-section");

    // Saved without a title: refused, the reason under the control, named by its label.
    await page.locator("button[data-action='draft']").click();
    const titleError = panel.locator(".postiz-field-error[data-field='variants.devto.settings.title']");
    await titleError.waitFor();
    assert.equal((await titleError.textContent()).trim(), "dev.to › Title: add a title for the article");
    assert.doesNotMatch(await page.locator(".postiz-composer").textContent(), /variants\.devto/, "no field path is shown");

    // Five tags: refused under Tags.
    await title.fill("Baking with Rust");
    const tags = panel.getByLabel(/^Tags/);
    await tags.fill("rust, baking, bread, food, cooking");
    await tags.blur();
    await page.locator("button[data-action='draft']").click();
    const tagsError = panel.locator(".postiz-field-error[data-field='variants.devto.settings.tags']");
    await tagsError.waitFor();
    assert.equal((await tagsError.textContent()).trim(), "dev.to › Tags: at most 4 tags; this article has 5 (remove some)");
    await shot(page, "devto-02-too-many-tags");

    await tags.fill("rust, baking");
    await tags.blur();
    await panel.getByLabel("Use the first image as the cover").check();
    await page.locator("button[data-action='draft']").click();
    await page.waitForURL((u) => /\/posts\/[0-9a-f-]{36}$/.test(u.pathname));
    postId = page.url().split("/posts/")[1];
    const saved = await api(page, "GET", `/workspaces/${ACME}/posts/${postId}`);
    assert.equal(saved.status, 200);
    const settings = saved.body.variants.devto.settings;
    assert.equal(settings.title, "Baking with Rust");
    assert.deepEqual(settings.tags, ["rust", "baking"]);
    assert.equal(settings.first_image_as_cover, true);

    // Reopened: the values are there.
    await page.goto(`${base}/w/${ACME}/posts/${postId}/edit`);
    const again = page.locator(".postiz-variant[data-network='devto']");
    const titleAgain = again.getByLabel("Title");
    await titleAgain.waitFor();
    assert.equal(await titleAgain.inputValue(), "Baking with Rust");
    assert.equal(await again.getByLabel(/^Tags/).inputValue(), "rust, baking");
    assert.equal(await again.getByLabel("Use the first image as the cover").isChecked(), true);
    await shot(page, "devto-03-reopened");
    assert.deepEqual(page.errors, [], page.consoleErrors.join("\n"));
  } finally {
    if (postId) await api(page, "DELETE", `/workspaces/${ACME}/posts/${postId}`);
    sql(`delete from postiz.post_targets where social_account_id = '${account}'; delete from postiz.social_accounts where id = '${account}'`);
    await page.context().close();
  }
});
