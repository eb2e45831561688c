// Loading and live updates of the planner, measured in the browser:
// - a cold load (empty cache) with 400 ms added to every request: bytes on the wire (goal
//   ≤ 450 KB in all), the skeleton before the module starts, time until the calendar is
//   visible (goal ≤ 2.0 s); then a warm load, which takes the module from the cache;
// - the week view opens scrolled to working hours;
// - a post published by the worker changes its chip from scheduled to published without a
//   reload, within 2 s (measured from the database's publish time).
// Numbers are printed as TAP comments ("# …").
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { ACME, BASE, api, launch, shot, signIn, sql, until, wallDay } from "./support.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const LATENCY_MS = 400;
const KB = 1024;

/** Every response of `page` as CDP reports it: url, status, headers, bytes on the wire, cache. */
async function recordNetwork(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const byId = new Map();
  cdp.on("Network.responseReceived", (e) => {
    byId.set(e.requestId, { url: e.response.url, status: e.response.status, headers: e.response.headers, fromCache: e.response.fromDiskCache || e.response.fromMemoryCache || false, bytes: 0 });
  });
  cdp.on("Network.loadingFinished", (e) => {
    const r = byId.get(e.requestId);
    if (r) r.bytes = e.encodedDataLength;
  });
  return { cdp, responses: () => [...byId.values()], clear: () => byId.clear() };
}

function header(r, name) {
  const key = Object.keys(r.headers).find((k) => k.toLowerCase() === name);
  return key ? r.headers[key] : undefined;
}

test("a cold load is small and fast on a slow network, shows a skeleton first, and a warm load reuses the module", async () => {
  // Sign in once for the cookie, then load the planner in a fresh context: nothing cached.
  const signedIn = await signIn(browser, "alice@acme.test");
  const state = await signedIn.context().storageState();
  await signedIn.context().close();
  const context = await browser.newContext({ storageState: state, viewport: { width: 1400, height: 950 }, timezoneId: "Europe/Paris" });
  // Times from inside the page (ms since navigation start): when the skeleton appears and goes,
  // when the planner's header appears, when the calendar is ready and shown. The planner renders
  // into a shadow root, which a MutationObserver on the document does not see into.
  await context.addInitScript(() => {
    const attach = Element.prototype.attachShadow;
    window.__times = {};
    Element.prototype.attachShadow = function (init) {
      const root = attach.call(this, init);
      const t = window.__times;
      const check = () => {
        const now = Math.round(performance.now());
        if (t.skeleton === undefined && root.querySelector(".postiz-skeleton")) t.skeleton = now;
        if (t.skeleton !== undefined && t.skeletonGone === undefined && !root.querySelector(".postiz-skeleton")) t.skeletonGone = now;
        if (t.header === undefined && root.querySelector(".postiz-header")) t.header = now;
        const mount = root.querySelector(".postiz-mount");
        if (t.calendar === undefined && root.querySelector(".postiz-board[data-ready='1']") && mount && !mount.getAttribute("style")) t.calendar = now;
      };
      new MutationObserver(check).observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-ready", "style"] });
      return root;
    };
  });
  const page = await context.newPage();
  const net = await recordNetwork(page);
  await net.cdp.send("Network.emulateNetworkConditions", { offline: false, latency: LATENCY_MS, downloadThroughput: -1, uploadThroughput: -1 });

  await page.goto(`${BASE}/dashboard/postiz`, { waitUntil: "commit" });
  await page.locator(".postiz-board[data-ready='1']").waitFor({ timeout: 30_000 });
  await shot(page, "30-cold-load-calendar");
  // Let the calls the screen makes after the first paint finish before counting.
  await page.waitForLoadState("networkidle");
  const times = await until(() => page.evaluate(() => (window.__times.calendar !== undefined ? window.__times : null)), { timeout: 5_000, every: 100, what: "the calendar to be shown" });
  assert.ok(times.skeleton !== undefined, `a skeleton was shown: ${JSON.stringify(times)}`);
  assert.ok(times.skeleton < times.header && times.skeletonGone >= times.header, `the skeleton shows until the planner has drawn: ${JSON.stringify(times)}`);
  assert.equal(await page.locator(".postiz-skeleton").count(), 0, "the skeleton is gone");

  const cold = net.responses();
  const total = cold.reduce((s, r) => s + r.bytes, 0);
  const wasm = cold.find((r) => r.url.endsWith(".wasm"));
  assert.ok(wasm, `the module was fetched: ${cold.map((r) => r.url).join(", ")}`);
  assert.match(wasm.url, /postiz_embed_ui_bg-[0-9a-f]{10}\.wasm$/, "content-named");
  assert.equal(header(wasm, "content-encoding"), "br", "brotli on the wire");
  assert.equal(header(wasm, "content-type"), "application/wasm");
  assert.equal(header(wasm, "cache-control"), "public, max-age=31536000, immutable");
  const entry = cold.find((r) => r.url.endsWith("/pkg/postiz.js"));
  assert.equal(header(entry, "cache-control"), "no-cache");
  console.log(`# cold load at +${LATENCY_MS} ms per request: ${cold.length} responses, ${(total / KB).toFixed(1)} KB on the wire (goal ≤ 450 KB), module ${(wasm.bytes / KB).toFixed(1)} KB brotli`);
  console.log(`# cold load at +${LATENCY_MS} ms: skeleton at ${times.skeleton} ms, planner drawn at ${times.header} ms, calendar visible at ${times.calendar} ms after navigation start (goal ≤ 2000 ms)`);
  for (const r of [...cold].sort((a, b) => b.bytes - a.bytes).slice(0, 6)) {
    console.log(`#   ${(r.bytes / KB).toFixed(1).padStart(7)} KB ${r.status} ${header(r, "content-encoding") ?? "-"} ${r.url.replace(BASE, "")}`);
  }
  // The goal is 450 KB in all, reported; what fails the suite is the bundle's budget (the one
  // `cargo xtask ui` enforces), here as the bundle's files moved on the wire. The page and the
  // screen's API calls are not the bundle.
  console.log(`# cold load ${total <= 450 * KB ? "within" : "OVER"} the 450 KB goal`);
  const bundle = cold.filter((r) => new URL(r.url).pathname.startsWith("/dashboard/postiz/pkg/")).reduce((s, r) => s + r.bytes, 0);
  console.log(`# the bundle's files: ${(bundle / KB).toFixed(1)} KB on the wire (budget 600 KB)`);
  assert.ok(bundle <= 600 * KB, `the bundle's files move at most the 600 KB budget: ${(bundle / KB).toFixed(1)} KB`);
  assert.ok(times.calendar <= 5_000, `calendar shown within 5 s even on a busy machine: ${times.calendar} ms`);

  // Warm: the same context loads again; the module and glue come from the cache, the entry is
  // revalidated.
  net.clear();
  const warmStart = Date.now();
  await page.reload({ waitUntil: "commit" });
  await page.locator(".postiz-board[data-ready='1']").waitFor({ timeout: 30_000 });
  const warmAt = Date.now() - warmStart;
  await page.waitForLoadState("networkidle");
  const warm = net.responses();
  const warmWasm = warm.find((r) => r.url.endsWith(".wasm"));
  assert.ok(!warmWasm || warmWasm.fromCache, `the module comes from the cache: ${JSON.stringify(warmWasm)}`);
  const warmTotal = warm.reduce((s, r) => s + r.bytes, 0);
  console.log(`# warm load at +${LATENCY_MS} ms: ${(warmTotal / KB).toFixed(1)} KB on the wire, calendar visible after ${warmAt} ms`);
  assert.ok(warmTotal < 100 * KB, `a warm load does not download the module again: ${(warmTotal / KB).toFixed(1)} KB`);
  await context.close();
});

test("the skeleton is drawn in the host's colours, light and dark", async () => {
  const page = await signIn(browser, "alice@acme.test");
  // Hold the module back so the skeleton stays on screen long enough to look at.
  await page.route(/\.wasm$/, async (route) => {
    await new Promise((r) => setTimeout(r, 2_500));
    await route.continue();
  });
  for (const theme of ["light", "dark"]) {
    await page.evaluate((t) => localStorage.setItem("host-theme", t), theme);
    await page.goto(`${BASE}/dashboard/postiz`, { waitUntil: "commit" });
    const skeleton = page.locator(".postiz-skeleton");
    await skeleton.waitFor();
    assert.equal(await skeleton.getAttribute("data-theme"), theme);
    const bg = await skeleton.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(bg, theme === "dark" ? "rgb(21, 23, 26)" : "rgb(255, 255, 255)", `${theme} background`);
    await shot(page, `30-skeleton-${theme}`);
    await page.locator(".postiz-header").waitFor();
  }
  await page.evaluate(() => localStorage.setItem("host-theme", "light"));
  await page.context().close();
});

test("the week view opens at working hours", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  await page.goto(`${base}/w/${ACME}/calendar?view=week`);
  await page.locator(".postiz-board[data-ready='1']").waitFor();
  // The grid scrolls once it is laid out (a frame after it is drawn).
  const where = () =>
    page.locator(".postiz-hours-body").evaluate((body) => {
      const hours = [...body.querySelectorAll(".postiz-cell")].filter((c) => c.querySelector(".postiz-chip")).map((c) => Number(c.dataset.hour));
      const expected = Math.min(8, ...hours);
      const label = body.querySelector(`[data-hour-label='${expected}']`);
      return { expected, offset: label.getBoundingClientRect().top - body.getBoundingClientRect().top, scrollTop: body.scrollTop, max: body.scrollHeight - body.clientHeight };
    });
  let seen = await where();
  // The first hour shown is the working day's, or the grid is scrolled as far as it goes (a
  // tall window shows 08:00 to 23:00 with room to spare) with that hour in view.
  const opened = (w) => Math.abs(w.offset) <= 2 || (w.max > 0 && w.scrollTop >= w.max - 1 && w.offset > 0);
  await until(async () => opened((seen = await where())), { timeout: 5_000, every: 100, what: `the first hour shown to be the working day's: ${JSON.stringify(seen)}` });
  if (seen.expected > 0) assert.ok(seen.scrollTop > 0, "scrolled");
  console.log(`# week view opens at ${seen.expected}:00 (scrolled ${seen.scrollTop} px)`);
  await shot(page, "31-week-opens-at-working-hours");
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
  return r.body.account.id;
}

test("a post the worker publishes changes from scheduled to published on the open calendar within 2 s", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const account = await sandboxAccount(page);
  const at = new Date(Date.now() + 10_000).toISOString();
  const created = await api(page, "POST", `/workspaces/${ACME}/posts`, { content: `Live chip ${Date.now()}`, targets: [account], schedule: { kind: "once", at } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id = created.body.id;

  await page.goto(`${base}/w/${ACME}/calendar?view=week`);
  const chip = page.locator(`.postiz-chip[data-post='${id}']`);
  await chip.waitFor();
  assert.equal(await chip.getAttribute("data-status"), "scheduled");
  // Note when the chip turns published, from inside the page; and that the page never reloads.
  await page.evaluate((id) => {
    window.__noReload = true;
    const seen = () => document.querySelector("#postiz-host").shadowRoot.querySelector(`.postiz-chip[data-post='${id}'][data-status='published']`);
    new MutationObserver((_, obs) => {
      if (seen()) {
        window.__publishedSeenAt = Date.now();
        obs.disconnect();
      }
    }).observe(document.querySelector("#postiz-host").shadowRoot, { subtree: true, childList: true, attributes: true });
  }, id);
  await shot(page, "32-live-chip-scheduled");
  await page.locator(`.postiz-chip[data-post='${id}'][data-status='published']`).waitFor({ timeout: 90_000 });
  const seenAt = await page.evaluate(() => window.__publishedSeenAt);
  assert.equal(await page.evaluate(() => window.__noReload), true, "no reload");
  const [[publishedMs]] = await until(() => {
    const rows = sql(`select (extract(epoch from published_at) * 1000)::bigint from postiz.posts where id = '${id}' and published_at is not null`);
    return rows.length ? rows : null;
  }, { what: "the post's published_at" });
  const latency = seenAt - Number(publishedMs);
  console.log(`# live: chip published ${latency} ms after the worker published the post (goal ≤ 2000 ms)`);
  assert.ok(latency <= 2000, `the chip changed within 2 s: ${latency} ms`);
  await shot(page, "33-live-chip-published");
  await page.context().close();
});

test("on a phone the week is an agenda of days instead of the seven-column grid", async () => {
  const signedIn = await signIn(browser, "alice@acme.test");
  const state = await signedIn.context().storageState();
  const account = await sandboxAccount(signedIn);
  // Something to show in the agenda: a post two hours from now.
  const at = new Date(Date.now() + 2 * 3600_000).toISOString();
  const created = await api(signedIn, "POST", `/workspaces/${ACME}/posts`, { content: `Agenda post ${Date.now()}`, targets: [account], schedule: { kind: "once", at } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await signedIn.context().close();
  const context = await browser.newContext({ storageState: state, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, timezoneId: "Europe/Paris" });
  const page = await context.newPage();
  await page.goto(`${BASE}/dashboard/postiz/w/${ACME}/calendar?view=week&date=${wallDay(Date.parse(at)).key}`);
  await page.locator(".postiz-board[data-ready='1']").waitFor();
  await page.locator(".postiz-agenda").waitFor();
  assert.equal(await page.locator(".postiz-hours-body").count(), 0, "no hour grid on a phone");
  assert.equal(await page.locator(".postiz-agenda-day").count(), 7, "seven days");
  await page.locator(`.postiz-agenda .postiz-chip[data-post='${created.body.id}']`).waitFor();
  await shot(page, "34-phone-week-agenda");
  // Wider again (a rotated tablet): the grid comes back.
  await page.setViewportSize({ width: 1100, height: 800 });
  await page.locator(".postiz-hours-body").waitFor();
  assert.equal(await page.locator(".postiz-agenda").count(), 0);
  await context.close();
});
