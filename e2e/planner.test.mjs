// The embedded planner in a real browser, against the real stack: host login → module without a
// second login → connect the sandbox → compose with a per-network override → schedule → week
// view → drag to another day → the worker publishes through the sandbox → published with a link.
// Plus: a viewer cannot edit, workspaces never see each other's posts, the host's CSS does not
// change the module's layout, a month of 5,000 posts renders fast, an image uploaded from the
// composer (with progress) is attached and published, and the time-zone override offers every
// zone the browser knows.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, GLOBEX, SANDBOX, api, instantIn, launch, randomPng, shot, signIn, until, wallDay, wallTime } from "./support.mjs";

let browser;
const DAY = 86_400_000;
let acmePostId;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test("the host's login carries into the module: no second sign-in", async () => {
  const page = await signIn(browser, "alice@acme.test");
  await page.locator(".postiz-board[data-ready='1']").waitFor();
  assert.equal(await page.locator(".postiz-me").textContent(), "alice@acme.test");
  assert.match(page.url(), new RegExp(`/dashboard/postiz/w/${ACME}/calendar`));
  // The module lives in a shadow root: the host document has no postiz- elements of its own.
  assert.equal(await page.evaluate(() => document.querySelectorAll(".postiz-root").length), 0);
  assert.equal(await page.evaluate(() => !!document.getElementById("postiz-host").shadowRoot), true);
  await shot(page, "01-calendar-week-empty");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("connect, compose with an override, schedule, drag to another day, published with a link", async () => {
  const page = await signIn(browser, "alice@acme.test");

  // Connect the sandbox network (app-password style).
  await page.locator(".postiz-tab", { hasText: "Accounts" }).click();
  await page.locator("[data-connect='sandbox']").click();
  await page.locator("[data-connect-form='sandbox'] input[name='identifier']").fill("e2e");
  await page.locator("[data-connect-form='sandbox'] input[name='secret']").fill("e2e-app-password");
  await shot(page, "02-accounts-connect-form");
  await page.locator("[data-connect-form='sandbox'] [data-action='connect']").click();
  await page.locator(".postiz-toast", { hasText: "Account connected" }).waitFor();
  await page.locator(".postiz-account[data-network='sandbox']").first().waitFor();
  await shot(page, "03-accounts-connected");

  // Compose: global text, a sandbox override, tomorrow 10:00 (workspace zone Europe/Paris).
  // The account just connected (other suites add credential-less sandbox accounts by SQL).
  const accounts = (await api(page, "GET", `/workspaces/${ACME}/accounts`)).body;
  const connected = accounts
    .filter((a) => a.network === "sandbox" && a.connected && a.status === "active")
    .sort((a, b) => Date.parse(b.updated_at) - Date.parse(a.updated_at))[0];
  assert.ok(connected, JSON.stringify(accounts));
  await page.locator(".postiz-tab", { hasText: "New post" }).click();
  await page.locator(`.postiz-pick[data-network='sandbox'][data-account='${connected.id}']`).click();
  await page.locator("textarea[data-field='content']").fill("Hello from the e2e test (global text)");
  await page.locator("[data-customize='sandbox']").click();
  const override = `Sandbox-only wording ${Date.now()}`;
  await page.locator("textarea[data-override='sandbox']").fill(override);
  const counter = await page.locator("[data-counter='sandbox']").textContent();
  assert.match(counter, new RegExp(`^${[...override].length} / \\d+$`), "the live counter counts the override");
  const tomorrow = wallDay(Date.now() + DAY);
  await page.locator("input[data-field='schedule.at']").fill(`${tomorrow.key}T10:00`);
  await shot(page, "04-composer");
  await page.locator("[data-action='schedule']").click();
  await page.waitForURL(/\/posts\/[0-9a-f-]{36}$/);
  acmePostId = page.url().split("/").pop();
  await page.locator("[data-post-status='scheduled']").waitFor();
  await shot(page, "05-post-detail-scheduled");

  // Week view through a deep link, then the chip is dragged one day later (same week when possible).
  const target = tomorrow.weekday < 6 ? wallDay(Date.now() + 2 * DAY) : null;
  await page.goto(`${page.url().split("/w/")[0]}/w/${ACME}/calendar?view=week&date=${tomorrow.key}`);
  const chip = page.locator(`.postiz-chip[data-post='${acmePostId}']`);
  await chip.waitFor();
  assert.equal(await chip.evaluate((el) => el.closest(".postiz-cell").dataset.day), tomorrow.key);
  await shot(page, "06-week-with-post");
  if (target) {
    // Count the cells whose DOM changes during the drop: only the two involved may.
    await page.locator(".postiz-board").evaluate((board) => {
      window.__touched = new Set();
      window.__observer = new MutationObserver((records) => {
        for (const r of records) {
          const cell = (r.target.nodeType === 1 ? r.target : r.target.parentElement)?.closest(".postiz-cell");
          window.__touched.add(cell ? `${cell.dataset.day}/${cell.dataset.hour}` : "outside-cells");
        }
      });
      window.__observer.observe(board, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    // A past cell refuses the drop: the post stays where it was.
    const pastCell = page.locator(".postiz-cell.postiz-past").first();
    if (await pastCell.count()) {
      await chip.dragTo(pastCell);
      assert.equal(await chip.evaluate((el) => el.closest(".postiz-cell").dataset.day), tomorrow.key, "past cells refuse drops");
    }
    await chip.dragTo(page.locator(`.postiz-cell[data-day='${target.key}'][data-hour='10']`));
    await page.locator(".postiz-toast", { hasText: "Moved to" }).waitFor();
    assert.equal(await chip.evaluate((el) => el.closest(".postiz-cell").dataset.day), target.key);
    const touched = await page.evaluate(() => [...window.__touched]);
    assert.ok(touched.length <= 2 && !touched.includes("outside-cells"), `only the two cells changed: ${touched}`);
    const moved = await api(page, "GET", `/workspaces/${ACME}/posts/${acmePostId}`);
    assert.equal(wallDay(Date.parse(moved.body.scheduled_at)).key, target.key, "the server has the new day");
    await shot(page, "07-week-after-drag");
  }

  // Bring the time forward so the worker publishes now (the test does not wait a day).
  const soon = new Date(Date.now() + 8_000).toISOString();
  const patched = await api(page, "PATCH", `/workspaces/${ACME}/posts/${acmePostId}`, { schedule: { kind: "once", at: soon } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));

  // Back to the post through the chip; the detail page polls until the worker is done.
  await page.goto(`${page.url().split("/w/")[0]}/w/${ACME}/posts/${acmePostId}`);
  await page.locator("[data-post-status='published']").waitFor({ timeout: 90_000 });
  const link = page.locator("a[data-published-link]");
  await link.waitFor();
  assert.match(await link.getAttribute("href"), /^https?:\/\//);
  await shot(page, "08-post-published");
  // The sandbox received the override, not the global text.
  const posts = await (await fetch(`${SANDBOX}/_control/posts`)).json();
  assert.ok(JSON.stringify(posts).includes(override), "the sandbox got the per-network text");

  // Back button: history cooperates.
  await page.goBack();
  assert.match(page.url(), /\/calendar/);
  await page.context().close();
});

test("a viewer sees no edit controls, and the server refuses edits anyway", async () => {
  const page = await signIn(browser, "victor@acme.test");
  await page.locator(".postiz-board[data-ready='1']").waitFor();
  assert.equal(await page.locator(".postiz-tab", { hasText: "New post" }).count(), 0);
  assert.equal(await page.locator(".postiz-toolbar a", { hasText: "New post" }).count(), 0);
  assert.equal(await page.locator(".postiz-chip[draggable='true']").count(), 0);
  await shot(page, "09-viewer-calendar");
  if (acmePostId) {
    await page.goto(`${page.url().split("/w/")[0]}/w/${ACME}/posts/${acmePostId}`);
    await page.locator("[data-post-status]").waitFor();
    assert.equal(await page.locator("[data-action]").count(), 0, "no retry/cancel/edit for a viewer");
    await shot(page, "10-viewer-post");
  }
  await page.goto(`${page.url().split("/w/")[0]}/w/${ACME}/compose`);
  await page.locator("[data-denied='1']").waitFor();
  await page.goto(`${page.url().split("/w/")[0]}/w/${ACME}/accounts`);
  await page.locator(".postiz-account").first().waitFor();
  assert.equal(await page.locator("[data-connect]").count(), 0, "no connect buttons for a viewer");
  const refused = await api(page, "POST", `/workspaces/${ACME}/posts`, { content: "viewer tries" });
  assert.equal(refused.status, 403);
  await page.context().close();
});

test("two workspaces never see each other's posts", async () => {
  const page = await signIn(browser, "bob@globex.test");
  await page.locator(".postiz-board[data-ready='1']").waitFor();
  assert.match(page.url(), new RegExp(GLOBEX));
  const options = await page.locator(".postiz-ws-switch option").allTextContents();
  assert.deepEqual(options, ["Globex"]);
  assert.equal(await page.locator(".postiz-chip").count(), 0);
  if (acmePostId) {
    const r = await api(page, "GET", `/workspaces/${ACME}/posts/${acmePostId}`);
    assert.equal(r.status, 404, "another workspace's post does not exist for Bob");
    await page.goto(`${page.url().split("/w/")[0]}/w/${ACME}/posts/${acmePostId}`);
    await page.locator(".postiz-empty", { hasText: "not yours" }).waitFor();
  }
  const cal = await api(page, "GET", `/workspaces/${GLOBEX}/calendar?from=${new Date(Date.now() - 40 * DAY).toISOString()}&to=${new Date(Date.now() + 40 * DAY).toISOString()}`);
  assert.equal(cal.status, 200);
  assert.ok(cal.body.entries.every((e) => e.post_id !== acmePostId));
  await shot(page, "11-other-workspace");
  await page.context().close();
});

test("the host's CSS does not change the module's layout", async () => {
  const measure = async (query) => {
    const page = await signIn(browser, "alice@acme.test", `/dashboard/postiz/w/${ACME}/calendar?view=month${query}`);
    await page.locator(".postiz-board[data-ready='1']").waitFor();
    const boxes = await page.evaluate(() => {
      const root = document.getElementById("postiz-host").shadowRoot.querySelector(".postiz-root");
      const origin = root.getBoundingClientRect();
      return [".postiz-header", ".postiz-toolbar", ".postiz-month", ".postiz-cell", ".postiz-btn", ".postiz-select"].map((sel) => {
        const r = root.querySelector(sel).getBoundingClientRect();
        const cs = getComputedStyle(root.querySelector(sel));
        return { sel, x: r.x - origin.x, y: r.y - origin.y, w: r.width, h: r.height, font: cs.fontSize, family: cs.fontFamily };
      });
    });
    return { page, boxes };
  };
  const plain = await measure("");
  const hostile = await measure("&hostile=1");
  await shot(hostile.page, "12-hostile-host-css");
  // The host's own page changed (its rules apply to it)…
  const hostPadding = await hostile.page.evaluate(() => getComputedStyle(document.querySelector("main")).padding);
  assert.equal(hostPadding, "5px");
  // …but nothing inside the module moved or resized, up to the container width the host gives it.
  for (let i = 0; i < plain.boxes.length; i++) {
    const a = plain.boxes[i];
    const b = hostile.boxes[i];
    assert.equal(b.font, a.font, `${a.sel} font size`);
    assert.equal(b.family, a.family, `${a.sel} font family`);
    assert.ok(Math.abs(a.h - b.h) < 1, `${a.sel} height ${a.h} vs ${b.h}`);
    assert.ok(Math.abs(a.y - b.y) < 1, `${a.sel} y ${a.y} vs ${b.y}`);
  }
  await plain.page.context().close();
  await hostile.page.context().close();
});

test("a month with 5,000 posts renders in under 300 ms, and a drag updates two cells only", async () => {
  const page = await signIn(browser, "alice@acme.test");
  await page.locator(".postiz-board[data-ready='1']").waitFor();
  const now = Date.now();
  const month = wallDay(now + 7 * DAY).key.slice(0, 7);
  await page.route("**/dashboard/postiz/api/workspaces/*/calendar?*", async (route) => {
    const url = new URL(route.request().url());
    const from = Date.parse(url.searchParams.get("from"));
    const to = Date.parse(url.searchParams.get("to"));
    const entries = Array.from({ length: 5000 }, (_, i) => {
      const at = new Date(from + ((to - from) * (i + 0.5)) / 5000);
      const status = i % 97 === 0 ? "failed" : "scheduled";
      return {
        at: at.toISOString(), kind: i % 50 === 0 ? "occurrence" : "post", post_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        post_status: status, content_preview: `Post number ${i}`, schedule_id: null, tag_id: null, tags: [],
        targets: [{ target_id: "x", status: status === "failed" ? "failed" : "pending", external_url: null, account_id: "a", network: "sandbox", handle: "sandbox", display_name: "Sandbox", avatar_url: null }],
      };
    });
    await route.fulfill({ json: { from: url.searchParams.get("from"), to: url.searchParams.get("to"), entries } });
  });
  await page.route("**/dashboard/postiz/api/workspaces/*/posts/00000000-*", (route) => route.fulfill({ json: {} }));
  const started = Date.now();
  await page.goto(`${page.url().split("/w/")[0]}/w/${ACME}/calendar?view=month&date=${month}-15`);
  const board = page.locator(".postiz-board[data-ready='1'][data-count='5000']");
  await board.waitFor();
  const renderMs = Number(await board.getAttribute("data-render-ms"));
  console.log(`# month of 5000 posts: ${renderMs} ms from data to painted cells (page load ${Date.now() - started} ms)`);
  assert.ok(renderMs <= 300, `rendered in ${renderMs} ms`);
  assert.ok((await page.locator(".postiz-attention-failed").count()) > 0, "failed posts stand out");
  await shot(page, "13-month-5000");

  // Drag one future post to another future day: only those two cells change.
  const futureCells = page.locator(".postiz-day:not(.postiz-past)");
  const from = futureCells.nth(2);
  const to = futureCells.nth(5);
  const chip = from.locator(".postiz-chip.postiz-draggable").first();
  await page.locator(".postiz-board").evaluate((b) => {
    window.__touched = new Set();
    new MutationObserver((records) => {
      for (const r of records) {
        const cell = (r.target.nodeType === 1 ? r.target : r.target.parentElement)?.closest(".postiz-cell");
        window.__touched.add(cell ? cell.dataset.day : "outside-cells");
      }
    }).observe(b, { subtree: true, childList: true, attributes: true, characterData: true });
  });
  const key = await chip.getAttribute("data-key");
  await chip.dragTo(to);
  await page.locator(`.postiz-chip[data-key='${key}']`).first().waitFor();
  const touched = await page.evaluate(() => [...window.__touched]);
  assert.ok(touched.length <= 2 && !touched.includes("outside-cells"), `cells changed: ${touched}`);
  await page.context().close();
});

test("screens render: composer errors on the right field, settings, media, activity", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  await page.goto(`${base}/w/${ACME}/compose`);
  await page.locator("[data-action='schedule']").click();
  // No account picked: the server's (or the form's) error appears under the account picker.
  await page.locator(".postiz-field-error").first().waitFor();
  await shot(page, "14-composer-errors");
  await page.goto(`${base}/w/${ACME}/settings`);
  await page.locator("[data-table='members'] tr[data-member]").first().waitFor();
  assert.equal(await page.locator("[data-table='members'] tr[data-member]").count(), 2);
  await shot(page, "15-settings");
  await page.goto(`${base}/w/${ACME}/media`);
  await page.locator(".postiz-media").waitFor();
  await shot(page, "16-media");
  await page.goto(`${base}/w/${ACME}/activity`);
  await page.locator("[data-table='activity'] tbody tr").first().waitFor();
  await shot(page, "17-activity");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/** The id of Acme's sandbox account, connected through the API when no earlier test did. */
async function sandboxAccount(page) {
  const list = await api(page, "GET", `/workspaces/${ACME}/accounts`);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  const found = list.body.find((a) => a.network === "sandbox" && a.status !== "needs_reconnect");
  if (found) return found.id;
  const r = await api(page, "POST", "/connect/sandbox/credentials", { workspace_id: ACME, identifier: "e2e", password: "e2e-app-password" });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, "connected");
  return r.body.account.id;
}

test("an image uploaded from the composer shows progress, is attached, saved with the post and published", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const account = await sandboxAccount(page);
  await page.goto(`${base}/w/${ACME}/compose`);
  await page.locator(`.postiz-pick[data-account='${account}']`).click();
  const text = `Picture from the composer ${Date.now()}`;
  await page.locator("textarea[data-field='content']").fill(text);
  const media = page.locator("[data-section='media']");
  await media.locator(".postiz-attached[data-attached='0']").waitFor();

  // Every value the progress bar takes, seen from inside the shadow root.
  await page.evaluate(() => {
    const root = document.getElementById("postiz-host").shadowRoot;
    window.__progress = [];
    const record = () => {
      const bar = root.querySelector("[data-section='media'] progress.postiz-progress");
      const v = bar && Number(bar.getAttribute("value"));
      if (bar && window.__progress.at(-1) !== v) window.__progress.push(v);
    };
    new MutationObserver(record).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["value"] });
  });
  // A slow uplink (64 KiB/s for ~190 KiB), so the upload takes seconds and reports progress.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
  const png = randomPng(256, 256);
  await media.locator("input[type='file'][data-field='media-upload']").setInputFiles({ name: "e2e.png", mimeType: "image/png", buffer: png });
  const bar = media.locator("progress.postiz-progress");
  await bar.waitFor({ timeout: 5_000 });
  assert.equal(await bar.getAttribute("max"), "100");
  assert.equal(await media.locator("input[data-field='media-upload']").isDisabled(), true, "no second upload while one runs");
  await shot(page, "18-composer-upload-progress");
  await page.locator(".postiz-toast", { hasText: "Uploaded" }).waitFor({ timeout: 60_000 });
  await bar.waitFor({ state: "detached" });
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const seen = await page.evaluate(() => window.__progress);
  console.log(`# composer upload of ${png.length} bytes at 64 KiB/s: progress ${seen.join(", ")}`);
  assert.equal(seen.at(-1), 100, `progress ends at 100: ${seen}`);
  assert.ok(seen.some((v) => v > 0 && v < 100), `progress passes through values between 0 and 100: ${seen}`);
  assert.deepEqual([...seen].sort((a, b) => a - b), seen, `progress never goes back: ${seen}`);

  // The new item is attached (the strip) and marked in the library grid.
  const chip = media.locator(".postiz-attached-item");
  await media.locator(".postiz-attached[data-attached='1']").waitFor();
  const mediaId = await chip.getAttribute("data-media");
  assert.match(mediaId, /^[0-9a-f-]{36}$/);
  const thumb = chip.locator("img");
  await thumb.waitFor();
  assert.match(await thumb.getAttribute("src"), new RegExp(`/media/${mediaId}/thumbnail$`));
  await until(() => thumb.evaluate((img) => img.complete && img.naturalWidth > 0), { what: "the thumbnail to load" });
  assert.equal(await media.locator(`.postiz-media-item[data-media='${mediaId}']`).getAttribute("aria-pressed"), "true");
  const stored = await api(page, "GET", `/workspaces/${ACME}/media/${mediaId}`);
  assert.equal(stored.status, 200);
  assert.equal(stored.body.mime_type, "image/png");
  assert.equal(stored.body.bytes, png.length);
  assert.equal(stored.body.width, 256);
  await shot(page, "19-composer-attached");

  // Post now: the saved post carries the media, and the sandbox receives it.
  await page.locator("[data-action='now']").click();
  await page.waitForURL(/\/posts\/[0-9a-f-]{36}$/);
  const postId = page.url().split("/").pop();
  const saved = await api(page, "GET", `/workspaces/${ACME}/posts/${postId}`);
  assert.equal(saved.status, 200);
  assert.deepEqual(saved.body.media.map((m) => [m.id, m.mime_type, m.bytes]), [[mediaId, "image/png", png.length]]);
  await page.locator("[data-post-status='published']").waitFor({ timeout: 90_000 });
  // The post page shows the attached image.
  const shown = page.locator(`[data-post-media='1'] .postiz-attached-item[data-media='${mediaId}'] img`);
  await shown.waitFor();
  await until(() => shown.evaluate((img) => img.complete && img.naturalWidth > 0), { what: "the post's image to load" });
  await shot(page, "20-post-with-media-published");
  const report = await (await fetch(`${SANDBOX}/_control/posts`)).json();
  const received = report.posts.filter((p) => p.text === text);
  assert.equal(received.length, 1, "published once");
  assert.equal(received[0].media_ids.length, 1, "with its image");

  // The composer opens the saved post with its media attached (so saving it keeps the media).
  await page.goto(`${base}/w/${ACME}/posts/${postId}/edit`);
  await page.locator(`[data-section='media'] .postiz-attached[data-attached='1'] .postiz-attached-item[data-media='${mediaId}']`).waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("the time-zone override offers every zone the browser knows and moves the displayed times", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  // A draft at 10:00 Paris (the workspace zone) two days from now: 21:00 or 22:00 the same day in Auckland.
  const day = wallDay(Date.now() + 2 * DAY).key;
  const at = instantIn("Europe/Paris", day, 10);
  const created = await api(page, "POST", `/workspaces/${ACME}/posts`, {
    content: `Zone check ${Date.now()}`,
    status: "draft",
    schedule: { kind: "once", at: new Date(at).toISOString(), time_zone: "Europe/Paris" },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(Date.parse(created.body.scheduled_at), at);
  const postId = created.body.id;

  await page.goto(`${base}/w/${ACME}/calendar?view=week&date=${day}`);
  await page.locator(".postiz-board[data-ready='1']").waitFor();
  const chip = page.locator(`.postiz-chip[data-post='${postId}']`);
  await chip.waitFor();
  // Where the chip is (null while the board is being rebuilt for another zone).
  const place = () =>
    chip.evaluate((el) => {
      const cell = el.closest(".postiz-cell");
      return cell && { day: cell.dataset.day, hour: Number(cell.dataset.hour), time: el.querySelector(".postiz-chip-time").textContent };
    });
  const paris = wallTime(at, "Europe/Paris");
  assert.deepEqual(await place(), { day, hour: 10, time: paris.hhmm });

  const select = page.locator("select[data-filter='zone']");
  const values = await select.locator("option").evaluateAll((os) => os.map((o) => o.value));
  const browserZones = await page.evaluate(() => Intl.supportedValuesOf("timeZone"));
  assert.equal(values[0], "", "first: the workspace zone (no override)");
  // The browser zone is Paris, the workspace's own zone, so UTC comes right after.
  assert.equal(values[1], "UTC");
  assert.equal(new Set(values).size, values.length, "no zone twice");
  assert.ok(browserZones.length > 300, `the browser knows ${browserZones.length} zones`);
  const missing = browserZones.filter((z) => z !== "Europe/Paris" && !values.includes(z));
  assert.deepEqual(missing, [], "every zone the browser knows is offered (but the workspace's own)");
  assert.ok(values.includes("Pacific/Auckland"));

  await select.selectOption("Pacific/Auckland");
  const auckland = wallTime(at, "Pacific/Auckland");
  await until(async () => (await place())?.hour === auckland.hour, { timeout: 10_000, what: "the chip to move to Auckland time" });
  assert.deepEqual(await place(), { day, hour: auckland.hour, time: auckland.hhmm });
  assert.notEqual(auckland.hhmm, paris.hhmm);
  assert.equal(await page.evaluate(() => localStorage.getItem("postiz.tz_override")), "Pacific/Auckland");
  await chip.scrollIntoViewIfNeeded();
  await shot(page, "21-calendar-auckland");

  // Back to the workspace zone.
  await select.selectOption("");
  await until(async () => (await place())?.hour === 10, { timeout: 10_000, what: "the chip back at 10:00" });
  assert.equal(await page.evaluate(() => localStorage.getItem("postiz.tz_override")), null);
  assert.deepEqual(page.errors, []);
  await api(page, "DELETE", `/workspaces/${ACME}/posts/${postId}`);
  await page.context().close();
});
