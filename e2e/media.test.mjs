// The media library in a real browser, against the real stack: an image imported from a URL
// (served here on loopback, which the e2e stack allows) lands in the library; addresses of our
// own network and files of the wrong type are refused with the reason under the field; an
// upload whose session expired on the way is renewed through the host and sent again; in
// bearer-token mode, without any cookie, pictures still load (fetched with the token).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { ACME, api, launch, randomPng, shot, signIn, until } from "./support.mjs";

let browser;
let files;
let filesUrl;
const png = randomPng(96, 64);

before(async () => {
  browser = await launch();
  // What a CDN would serve: a picture (named as text, to show the type comes from the bytes)
  // and a web page.
  files = createServer((req, res) => {
    if (req.url === "/pictures/cat.png") {
      res.writeHead(200, { "content-type": "text/plain", "content-length": png.length });
      res.end(png);
    } else if (req.url === "/page.png") {
      res.writeHead(200, { "content-type": "image/png" });
      res.end("<html><body>not a picture</body></html>");
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => files.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${files.address().port}`;
});
after(async () => {
  await browser?.close();
  files?.close();
});

async function openLibrary() {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  await page.goto(`${base}/w/${ACME}/media`);
  await page.locator(".postiz-media input[data-field='media-url']").waitFor();
  return page;
}

test("an image imported from a URL lands in the library; our own network and wrong types are refused by name", async () => {
  const page = await openLibrary();
  const input = page.locator("input[data-field='media-url']");
  const importButton = page.locator("button[data-action='import-url']");
  const before = await page.locator(".postiz-media-item").count();

  await input.fill(`${filesUrl}/pictures/cat.png`);
  await importButton.click();
  await page.locator(".postiz-toast", { hasText: "Imported" }).waitFor({ timeout: 30_000 });
  await until(async () => (await page.locator(".postiz-media-item").count()) === before + 1, { what: "the imported item in the grid" });
  assert.equal(await input.inputValue(), "", "the field is cleared for the next import");
  const list = await api(page, "GET", `/workspaces/${ACME}/media`);
  const item = list.body.items.find((m) => m.bytes === png.length && m.width === 96);
  assert.ok(item, `the library holds the imported picture: ${JSON.stringify(list.body.items.map((m) => [m.bytes, m.width]))}`);
  assert.equal(item.mime_type, "image/png");
  assert.equal(item.name, "cat.png", "named after the URL's last segment");
  assert.equal(await page.locator(`.postiz-media-item[data-media='${item.id}'] span`).textContent(), "cat.png", "the grid shows the name");
  const thumb = page.locator(`.postiz-media-item[data-media='${item.id}'] img`);
  await until(() => thumb.evaluate((img) => img.complete && img.naturalWidth > 0), { what: "the imported item's thumbnail" });
  await shot(page, "21-media-imported-from-url");

  // Refusals: the reason shows under the field and nothing is added.
  for (const [url, says] of [
    ["http://169.254.169.254/latest/meta-data/", "169.254.169.254, a private or reserved address"],
    [`${filesUrl}/missing.png`, "answered HTTP 404"],
    [`${filesUrl}/page.png`, "not a PNG, JPEG, GIF, WebP, MP4 or QuickTime file"],
    ["", "enter the address"],
  ]) {
    await input.fill(url);
    await importButton.click();
    const error = page.locator(".postiz-import .postiz-field-error, .postiz-import .postiz-error");
    await until(async () => (await error.count()) > 0 && (await error.first().textContent()).includes(says), { timeout: 30_000, what: `the refusal of ${url || "an empty address"}` });
    assert.equal(await importButton.isDisabled(), false, "the form is usable again");
  }
  await shot(page, "22-media-import-refused");
  const after = await api(page, "GET", `/workspaces/${ACME}/media`);
  assert.equal(after.body.items.length, list.body.items.length, "no refused import added anything");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("an upload whose session expired on the way is renewed through the host and sent again", async () => {
  const page = await openLibrary();
  // The first upload answers as the API does for an expired token; later ones go through.
  let refused = 0;
  let renewed = 0;
  page.on("request", (r) => {
    if (r.url().endsWith("/auth/refresh")) renewed += 1;
  });
  await page.route("**/dashboard/postiz/api/workspaces/*/media", async (route) => {
    if (route.request().method() === "POST" && refused === 0) {
      refused += 1;
      await route.fulfill({
        status: 401,
        contentType: "application/json",
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
        body: JSON.stringify({ error: { code: "token_expired", message: "the session expired", fields: [] }, request_id: "e2e" }),
      });
    } else {
      await route.continue();
    }
  });
  const file = randomPng(48, 48);
  await page.locator("input[type='file'][data-field='media-upload']").setInputFiles({ name: "renewed.png", mimeType: "image/png", buffer: file });
  await page.locator(".postiz-toast", { hasText: "Uploaded" }).waitFor({ timeout: 30_000 });
  assert.equal(refused, 1, "the first attempt met an expired session");
  assert.equal(renewed, 1, "the host was asked once for a fresh session");
  const list = await api(page, "GET", `/workspaces/${ACME}/media`);
  assert.ok(list.body.items.some((m) => m.bytes === file.length && m.width === 48), "the second attempt stored the file");
  assert.equal(await page.locator(".postiz-toast.postiz-toast-error").count(), 0, "no error was shown");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("in bearer-token mode pictures load with the token, not a cookie", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  // The library has at least one picture (the earlier tests added some).
  const list = await api(page, "GET", `/workspaces/${ACME}/media`);
  assert.ok(list.body.items.some((m) => m.thumbnail_url), "a picture to show");
  await page.goto(`${base}/w/${ACME}/calendar?session=bearer`);
  await page.locator(".postiz-header").waitFor();
  // From here on the browser has no session cookie: only the module's bearer token works.
  await page.context().clearCookies();
  assert.equal((await api(page, "GET", `/workspaces/${ACME}/media`)).status, 401, "a cookie request is refused now");
  await page.locator(".postiz-tab", { hasText: "Media" }).click();
  const pictures = page.locator(".postiz-media-item img");
  await pictures.first().waitFor();
  await until(
    () => pictures.evaluateAll((imgs) => imgs.length > 0 && imgs.every((img) => img.src.startsWith("blob:") && img.complete && img.naturalWidth > 0)),
    { what: "every picture to load through the token" },
  );
  await shot(page, "23-media-bearer-mode");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
