// The media library's detail panel in a real browser, against the real stack: an uploaded image
// gets alt text edited in the library, saved, and still there after a reload; a video made here
// with ffmpeg (which `cargo xtask test` installs) shows its poster frame, its facts (duration,
// codec, frame rate) and which of the workspace's networks take it as it is.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ACME, api, launch, randomPng, shot, signIn, sql, until } from "./support.mjs";

let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** Three seconds of ffmpeg's test pattern with a tone, as H.264/AAC in MP4. */
function movie() {
  const dir = mkdtempSync(join(tmpdir(), "postiz-e2e-"));
  try {
    const out = join(dir, "clip.mp4");
    execFileSync("ffmpeg", ["-nostdin", "-hide_banner", "-loglevel", "error", "-y",
      "-f", "lavfi", "-i", "testsrc=size=640x360:rate=30:duration=3", "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
      "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", out]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function openLibrary() {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  await page.goto(`${base}/w/${ACME}/media`);
  await page.locator(".postiz-media input[data-field='media-upload']").waitFor();
  return { page, base };
}

async function uploadFile(page, name, mimeType, buffer) {
  await page.locator("input[type='file'][data-field='media-upload']").setInputFiles({ name, mimeType, buffer });
  await page.locator(".postiz-toast", { hasText: "Uploaded" }).last().waitFor({ timeout: 60_000 });
  const list = await api(page, "GET", `/workspaces/${ACME}/media`);
  const item = list.body.items.find((m) => m.name === name && m.bytes === buffer.length);
  assert.ok(item, `${name} is in the library`);
  return item;
}

test("alt text edited in the library is saved and shown again; a video shows its poster, facts and fits", async () => {
  const { page, base } = await openLibrary();
  const picture = await uploadFile(page, "team-offsite.png", "image/png", randomPng(120, 80));
  assert.equal(picture.alt_text, null, "no alt text yet");
  const tile = page.locator(`.postiz-media-item[data-media='${picture.id}']`);
  await tile.locator(".postiz-media-noalt").waitFor();

  await tile.click();
  const panel = page.locator(`.postiz-media-detail[data-media-detail='${picture.id}']`);
  await panel.waitFor();
  const alt = panel.locator("textarea[data-field='alt-text']");
  const words = "Twelve people in rain jackets laughing on a jetty at sunrise";
  await alt.fill(words);
  await panel.locator("button[data-action='save-alt']").click();
  await page.locator(".postiz-toast", { hasText: "Alt text saved" }).waitFor({ timeout: 30_000 });
  const saved = await api(page, "GET", `/workspaces/${ACME}/media/${picture.id}`);
  assert.equal(saved.body.alt_text, words, "stored on the asset");
  await until(async () => (await tile.locator(".postiz-media-noalt").count()) === 0, { what: "the tile to stop saying 'No alt text'" });

  // A reload shows it again.
  await page.goto(`${base}/w/${ACME}/media`);
  await page.locator(`.postiz-media-item[data-media='${picture.id}']`).click();
  assert.equal(await page.locator(`.postiz-media-detail[data-media-detail='${picture.id}'] textarea[data-field='alt-text']`).inputValue(), words);

  // Too long is refused with the reason under the field.
  const again = page.locator(`.postiz-media-detail[data-media-detail='${picture.id}']`);
  await again.locator("textarea[data-field='alt-text']").evaluate((el) => el.removeAttribute("maxlength"));
  await again.locator("textarea[data-field='alt-text']").fill("x".repeat(2001));
  await again.locator("button[data-action='save-alt']").click();
  await until(async () => ((await again.locator(".postiz-field-error").textContent().catch(() => "")) ?? "").includes("at most 2000 characters"), { what: "the refusal under the alt text" });
  assert.equal((await api(page, "GET", `/workspaces/${ACME}/media/${picture.id}`)).body.alt_text, words, "the refused text changed nothing");
  await again.locator("button[data-action='close-media']").click();

  // A video: poster frame on its tile and in the panel, facts, fits per network.
  const video = await uploadFile(page, "product-demo.mp4", "video/mp4", movie());
  assert.equal(video.video_codec, "avc1");
  assert.equal(video.has_thumbnail, true, "a poster frame was made");
  const videoTile = page.locator(`.postiz-media-item[data-media='${video.id}']`);
  const poster = videoTile.locator("img");
  await until(() => poster.evaluate((img) => img.complete && img.naturalWidth > 0), { what: "the video's poster on its tile" });
  assert.equal(await videoTile.locator(".postiz-media-facts").textContent(), "0:03 · 640×360");
  await videoTile.click();
  const vpanel = page.locator(`.postiz-media-detail[data-media-detail='${video.id}']`);
  await vpanel.waitFor();
  const facts = await vpanel.locator(".postiz-facts").textContent();
  for (const fact of ["640 × 360 px", "0:03", "H.264, sound AAC", "30 fps", "video/mp4"]) {
    assert.ok(facts.includes(fact), `${fact} in ${facts}`);
  }
  const fits = await api(page, "GET", `/workspaces/${ACME}/media/${video.id}`);
  assert.ok(fits.body.fits.length > 0, "the demo workspace has accounts");
  assert.equal(await vpanel.locator(".postiz-fit").count(), fits.body.fits.length, "one line per network");
  for (const f of fits.body.fits) {
    assert.equal(await vpanel.locator(`.postiz-fit[data-network='${f.network}']`).getAttribute("data-fits"), String(f.ok));
  }
  await until(() => vpanel.locator(".postiz-media-detail-picture img").evaluate((img) => img.complete && img.naturalWidth > 0), { what: "the poster in the panel" });
  await shot(page, "24-media-library-detail");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a file is deleted from the library after confirming; one a scheduled post uses is refused in words", async () => {
  const { page } = await openLibrary();
  const used = await uploadFile(page, `in-a-post-${Date.now()}.png`, "image/png", randomPng(90, 60));
  const [[account]] = sql(
    `insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
     values ('${ACME}', 'sandbox', 'media-delete-${Date.now()}', 'media_delete', 'Media delete e2e') returning id`,
  );
  const at = new Date(Math.floor((Date.now() + 3 * 86_400_000) / 60_000) * 60_000).toISOString();
  const post = await api(page, "POST", `/workspaces/${ACME}/posts`, { content: "Uses the picture", targets: [account], media: [{ id: used.id }], schedule: { kind: "once", at } });
  assert.equal(post.status, 201, JSON.stringify(post.body));

  await page.locator(`.postiz-media-item[data-media='${used.id}']`).click();
  const panel = page.locator(`.postiz-media-detail[data-media-detail='${used.id}']`);
  await panel.locator("button[data-action='delete-media']").click();
  const confirm = panel.getByRole("alertdialog");
  assert.match(await confirm.textContent(), /Delete this file from the library\? This cannot be undone\./);
  await confirm.getByRole("button", { name: "Delete for good" }).click();
  await panel.locator(".postiz-error", { hasText: "This file is in 1 post still to go out" }).waitFor({ timeout: 15_000 });
  await shot(page, "media-delete-refused");
  assert.equal((await api(page, "GET", `/workspaces/${ACME}/media/${used.id}`)).status, 200, "still there");

  // A second upload on the same page: the first one's "Uploaded" toast may still show, so wait
  // for the library to list it instead.
  const spareName = `spare-${Date.now()}.png`;
  await page.locator("input[type='file'][data-field='media-upload']").setInputFiles({ name: spareName, mimeType: "image/png", buffer: randomPng(70, 50) });
  let spare;
  await until(async () => {
    spare = (await api(page, "GET", `/workspaces/${ACME}/media`)).body.items.find((m) => m.name === spareName);
    return spare !== undefined;
  }, { what: "the second file in the library", timeout: 60_000 });
  await page.locator(`.postiz-media-item[data-media='${spare.id}']`).click();
  const spanel = page.locator(`.postiz-media-detail[data-media-detail='${spare.id}']`);
  await spanel.locator("button[data-action='delete-media']").click();
  await spanel.getByRole("alertdialog").getByRole("button", { name: "Keep it" }).click();
  assert.equal(await spanel.getByRole("alertdialog").count(), 0, "kept: nothing asked any more");
  await spanel.locator("button[data-action='delete-media']").click();
  await spanel.getByRole("alertdialog").getByRole("button", { name: "Delete for good" }).click();
  await page.locator(".postiz-toast", { hasText: "File deleted" }).waitFor({ timeout: 15_000 });
  await until(async () => (await page.locator(`.postiz-media-item[data-media='${spare.id}']`).count()) === 0, { what: "the tile to go" });
  assert.equal((await api(page, "GET", `/workspaces/${ACME}/media/${spare.id}`)).status, 404);
  assert.deepEqual(sql(`select count(*) from postiz.storage_deletions where path like '%${spare.id}%'`), [["0"]], "its objects removed, no record left");

  await api(page, "DELETE", `/workspaces/${ACME}/posts/${post.body.id}`);
  // The account has no credentials: leave no such account for the suites that follow.
  sql(`delete from postiz.social_accounts where id = '${account}'`);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
