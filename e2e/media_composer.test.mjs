// Media choices in a real browser, against the real stack: the composer's Instagram post type
// (a story) and a post's own alt text per attached file, saved with the post, refused under the
// field when too long, and shown again when the post is edited; the library's aspect choice for
// an image Instagram's feed would refuse, after which the panel says it fits.
//
// The demo workspace has no Instagram account, so each test adds one with SQL (E2E_DB_URL, set
// by `cargo xtask test --only e2e`) and removes it again.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, api, launch, randomPng, shot, signIn, sql, until } from "./support.mjs";

let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

function instagramAccount(handle) {
  const [[id]] = sql(`insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
                      values ('${ACME}', 'instagram', '${handle}', '${handle}', 'Acme on Instagram') returning id`);
  return id;
}

function removeAccount(id) {
  sql(`delete from postiz.post_targets where social_account_id = '${id}'; delete from postiz.social_accounts where id = '${id}'`);
}

test("the composer publishes to an Instagram story and saves a post's own alt text per file", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const account = instagramAccount(`acme_story_${Date.now()}`);
  let postId;
  try {
    await page.goto(`${base}/w/${ACME}/compose`);
    await page.locator(`.postiz-pick[data-account='${account}']`).click();
    await page.locator("textarea[data-field='content']").fill("Fresh from the oven");
    const panel = page.locator(".postiz-variant[data-network='instagram']");
    const postType = panel.locator("select[data-field='variants.instagram.settings.post_type']");
    await postType.waitFor();
    assert.equal(await postType.inputValue(), "feed", "the feed by default");
    await postType.selectOption("story");
    await panel.locator(".postiz-hint", { hasText: "Stories have no caption" }).waitFor();

    // A 9:16 picture uploaded from the composer is attached with an alt text field of its own.
    const media = page.locator("[data-section='media']");
    await media.locator("input[type='file'][data-field='media-upload']").setInputFiles({ name: "story-card.png", mimeType: "image/png", buffer: randomPng(90, 160) });
    await page.locator(".postiz-toast", { hasText: "Uploaded" }).waitFor({ timeout: 60_000 });
    await media.locator(".postiz-attached[data-attached='1']").waitFor();
    const mediaId = await media.locator(".postiz-attached-item").getAttribute("data-media");
    const alt = media.locator(`textarea[data-alt-for='${mediaId}']`);
    await alt.waitFor();
    assert.match(await alt.getAttribute("placeholder"), /No alt text in the library/);

    // Too long: refused by the server, the reason under the media section.
    await alt.fill("x".repeat(2001));
    await page.locator("button[data-action='draft']").click();
    await until(async () => ((await media.locator(".postiz-field-error").allTextContents()).join(" ")).includes("at most 2000 characters"), {
      what: "the alt text refusal under the media section",
    });
    const refusal = (await media.locator(".postiz-field-error").allTextContents()).join(" ");
    assert.match(refusal, /File 1, alt text: may be at most 2000 characters/, "the file is named in words");
    assert.doesNotMatch(refusal, /media\[|\.alt/, "no field paths shown to people");

    const words = "A loaf of sourdough on a wooden board, steam rising";
    await alt.fill(words);
    await shot(page, "25-composer-instagram-story-alt");
    await page.locator("button[data-action='draft']").click();
    await page.waitForURL((u) => /\/posts\/[0-9a-f-]{36}$/.test(u.pathname), { timeout: 30_000 });
    postId = page.url().split("/posts/")[1];
    const saved = await api(page, "GET", `/workspaces/${ACME}/posts/${postId}`);
    assert.equal(saved.status, 200);
    assert.deepEqual(saved.body.variants.instagram.settings, { network: "instagram", post_type: "story" });
    assert.equal(saved.body.media[0].id, mediaId);
    assert.equal(saved.body.media[0].alt, words, "the post's own alt text is stored with it");
    const library = await api(page, "GET", `/workspaces/${ACME}/media/${mediaId}`);
    assert.equal(library.body.alt_text, null, "the library's default is untouched");

    // Editing shows both again.
    await page.goto(`${base}/w/${ACME}/posts/${postId}/edit`);
    const editType = page.locator("select[data-field='variants.instagram.settings.post_type']");
    await editType.waitFor();
    assert.equal(await editType.inputValue(), "story");
    const editAlt = page.locator(`textarea[data-alt-for='${mediaId}']`);
    await editAlt.waitFor();
    assert.equal(await editAlt.inputValue(), words);
    assert.deepEqual(page.errors, []);
  } finally {
    if (postId) await api(page, "DELETE", `/workspaces/${ACME}/posts/${postId}`);
    removeAccount(account);
    await page.context().close();
  }
});

test("an image Instagram's feed refuses for its proportions fits once the library pads it", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const account = instagramAccount(`acme_fit_${Date.now()}`);
  try {
    await page.goto(`${base}/w/${ACME}/media`);
    await page.locator("input[type='file'][data-field='media-upload']").setInputFiles({ name: "tall-banner.png", mimeType: "image/png", buffer: randomPng(100, 250) });
    await page.locator(".postiz-toast", { hasText: "Uploaded" }).last().waitFor({ timeout: 60_000 });
    const list = await api(page, "GET", `/workspaces/${ACME}/media`);
    const item = list.body.items.find((m) => m.name === "tall-banner.png" && m.width === 100 && m.height === 250);
    assert.ok(item, "the banner is in the library");
    assert.equal(item.aspect_fit, "refuse");

    await page.locator(`.postiz-media-item[data-media='${item.id}']`).click();
    const panel = page.locator(`.postiz-media-detail[data-media-detail='${item.id}']`);
    await panel.waitFor();
    const ig = () => panel.locator(".postiz-fit[data-network='instagram']");
    assert.equal(await ig().getAttribute("data-fits"), "false");
    assert.match(await ig().textContent(), /width\/height ratio/);

    const choice = panel.locator("select[data-field='aspect-fit']");
    assert.equal(await choice.inputValue(), "refuse");
    await choice.selectOption("pad");
    await page.locator(".postiz-toast", { hasText: "Aspect choice saved" }).waitFor({ timeout: 30_000 });
    await until(async () => (await ig().getAttribute("data-fits").catch(() => null)) === "true", { what: "Instagram to fit after padding" });
    assert.equal(await panel.locator("select[data-field='aspect-fit']").inputValue(), "pad");
    const stored = await api(page, "GET", `/workspaces/${ACME}/media/${item.id}`);
    assert.equal(stored.body.aspect_fit, "pad");
    assert.equal(stored.body.fits.find((f) => f.network === "instagram").ok, true);
    await shot(page, "26-media-aspect-fit");
    assert.deepEqual(page.errors, []);
  } finally {
    removeAccount(account);
    await page.context().close();
  }
});
