// Analytics in a real browser, against the real stack: a post goes out through the sandbox, its
// first reading is made due now (it is due an hour after publishing; the test does not wait an
// hour), the worker reads it, and the numbers show on the post page and the Analytics page; the
// exports download through the API with the session (cookie, then bearer token) and hold the
// post. A quarter of numbers from several networks (served by the test) shows every chart, the
// "not reported" metrics, accounts whose numbers stopped, on desktop, phone and dark. A plan
// without analytics gets a message, not broken charts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";

import { ACME, GLOBEX, api, launch, shot, signIn, sql, until } from "./support.mjs";

let browser;
const DAY = 86_400_000;
const PHONE = { width: 390, height: 844 };

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The id of Acme's sandbox account (the demo host seeds one). */
async function sandboxAccount(page) {
  const list = await api(page, "GET", `/workspaces/${ACME}/accounts`);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  const found = list.body.find((a) => a.network === "sandbox" && a.status !== "needs_reconnect");
  if (found) return found.id;
  const r = await api(page, "POST", "/connect/sandbox/credentials", { workspace_id: ACME, identifier: "e2e", password: "e2e-app-password" });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.account.id;
}

/** RFC 4180 rows (quoted fields may hold commas, quotes and newlines). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else if (c !== "\r") field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** Clicks an export entry and returns the downloaded file's name and text. */
async function exportFile(page, which) {
  await page.locator("[data-action='export']").click();
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), page.locator(`[data-export='${which}']`).click()]);
  const text = readFileSync(await download.path(), "utf8");
  return { name: download.suggestedFilename(), text };
}

/** Nothing inside the module is wider than the module (narrow screens scroll inside tables only). */
async function assertNoSidewaysScroll(page) {
  const { scroll, client } = await page.evaluate(() => {
    const root = document.getElementById("postiz-host").shadowRoot.querySelector(".postiz-root");
    return { scroll: root.scrollWidth, client: root.clientWidth };
  });
  assert.ok(scroll <= client + 1, `the module is ${scroll}px wide in ${client}px`);
}

test("a published post's numbers reach its page, the Analytics page and the CSV exports", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const account = await sandboxAccount(page);

  // Compose and post now through the sandbox network.
  await page.goto(`${base}/w/${ACME}/compose`);
  await page.locator(`.postiz-pick[data-account='${account}']`).click();
  const text = `Numbers, please: "analytics" e2e ${Date.now()}`;
  await page.locator("textarea[data-field='content']").fill(text);
  await page.locator("[data-action='now']").click();
  await page.waitForURL(/\/posts\/[0-9a-f-]{36}$/);
  const postId = page.url().split("/").pop();
  await page.locator("[data-post-status='published']").waitFor({ timeout: 90_000 });
  // Published, nothing read yet: the page says when numbers come instead of showing zeros.
  await page.locator("[data-section='performance'] [data-perf='waiting']").waitFor({ timeout: 30_000 });

  // The first reading of a post is due an hour after publishing: make it due now, and the
  // account's daily reading too. The worker looks every 15 s. (The sandbox's numbers grow with
  // the post's age; a minute old, it has at least one impression.)
  const published = Date.parse((await api(page, "GET", `/workspaces/${ACME}/posts/${postId}`)).body.targets[0].published_at);
  await new Promise((r) => setTimeout(r, Math.max(0, published + 60_000 - Date.now())));
  const due = sql(
    `update postiz.analytics_watches w set next_fetch_at = now() from postiz.post_targets t
     where t.id = w.target_id and t.post_id = '${postId}' and w.state = 'active' returning w.id`,
  );
  assert.equal(due.length, 1, "one watch for the post's one target");
  sql(`update postiz.analytics_watches set next_fetch_at = now() where workspace_id = '${ACME}' and target_id is null and state = 'active'`);
  const numbers = await until(
    async () => {
      const r = await api(page, "GET", `/workspaces/${ACME}/posts/${postId}/analytics`);
      return r.status === 200 && r.body.targets[0]?.series.length > 0 && r.body;
    },
    { timeout: 90_000, every: 2_000, what: "the worker's first reading of the post" },
  );
  const target = numbers.targets[0];
  const latest = target.latest;
  console.log(`# first reading: ${JSON.stringify(latest)}`);
  assert.deepEqual(Object.keys(latest).sort(), ["comments", "impressions", "likes", "quotes", "shares"], "what the sandbox reports");
  await until(
    async () => (await api(page, "GET", `/workspaces/${ACME}/analytics/accounts/${account}`)).body?.levels?.length > 0,
    { timeout: 90_000, every: 2_000, what: "the account's reading" },
  );

  // The post page: latest numbers, a sparkline, freshness, "not reported" for the rest.
  await page.reload();
  const perf = page.locator(`[data-perf-target='${target.target_id}']`);
  await perf.locator("[data-metric='impressions'] dd").waitFor();
  for (const [metric, value] of Object.entries(latest)) {
    assert.equal(await perf.locator(`[data-metric='${metric}'] dd`).textContent(), value.toLocaleString("en-US"), metric);
  }
  assert.equal(await perf.locator("[data-metric='reach']").count(), 0, "reach is not shown as a number");
  assert.equal(await perf.locator("[data-perf='not-reported']").textContent(), "Not reported by Sandbox: reach, views, saves, clicks");
  assert.match(await perf.locator("[data-freshness='active']").textContent(), /^Updated (just now|\d+ min ago) · next in \d+ h$/);
  // One reading: no trend line yet, and it says so.
  assert.equal(await perf.locator("[data-spark='one']").textContent(), "One reading so far: the trend shows from the next one.");
  assert.ok(latest.impressions > 0, "a minute-old sandbox post has impressions");
  await shot(page, "30-post-performance");
  await page.setViewportSize(PHONE);
  await shot(page, "31-post-performance-phone");
  await page.setViewportSize({ width: 1400, height: 950 });

  // The Analytics page, through the nav.
  await page.locator(".postiz-tab", { hasText: "Analytics" }).click();
  await page.waitForURL(/\/analytics$/);
  const impressions = page.locator("[data-section='totals'] [data-metric='impressions'] .postiz-stat-value");
  await impressions.waitFor();
  assert.ok(Number(await impressions.getAttribute("data-value")) >= latest.impressions, "the post's impressions count in the period");
  assert.match(await page.locator("[data-updated]").textContent(), /^Updated (just now|\d+ min ago)$/);
  // What the sandbox reports has a card (0 when nothing was gained); the rest is "not reported".
  for (const m of ["impressions", "likes", "comments", "shares", "quotes", "followers", "following", "posts"]) {
    assert.equal(await page.locator(`[data-section='totals'] [data-metric='${m}']`).count(), 1, `a card for ${m}`);
  }
  assert.match(await page.locator("[data-metric='not-reported']").textContent(), /Reach, Views, Saves, Clicks, Profile views/);
  // The daily chart has its numbers in a table for screen readers: 30 days, today's value.
  const table = page.locator("[data-section='series'] [data-chart-table] tbody tr");
  assert.equal(await table.count(), 30);
  // Top posts: our post, linked to its page; best time says there is not enough data yet.
  const row = page.locator(`[data-table='top-posts'] tr[data-post='${postId}']`);
  await row.waitFor();
  await page.locator("[data-field='top']").selectOption("impressions");
  await until(async () => (await row.locator("td.postiz-num strong").textContent()) === latest.impressions.toLocaleString("en-US"), { what: "top posts by impressions" });
  assert.match(await page.locator("[data-best-time='fallback']").textContent(), /Only \d+ published post\(s\) with numbers/);
  // The account's growth and freshness.
  await page.locator("[data-growth='followers'] [data-followers]").waitFor();
  assert.match(await page.locator(`[data-section='sources'] li[data-account='${account}']`).textContent(), /Updated/);
  await shot(page, "32-analytics-live");
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page);
  await shot(page, "33-analytics-live-phone");
  await page.setViewportSize({ width: 1400, height: 950 });

  // The period presets change the URL and the range asked for.
  await page.locator("[data-range='7']").click();
  await page.waitForURL(/range=7/);
  await until(async () => (await table.count()) === 7, { what: "a 7-day chart" });
  await row.locator("a").click();
  await page.waitForURL(new RegExp(`/posts/${postId}$`));
  await page.goBack();
  await page.waitForURL(/\/analytics\?.*range=7/);

  // Export: daily numbers as CSV (cookie session).
  const daily = await exportFile(page, "daily-csv");
  assert.match(daily.name, /^analytics-daily-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
  const dailyRows = parseCsv(daily.text);
  assert.deepEqual(dailyRows[0], ["day", "network", "account_id", "handle", "post_id", "target_id", "metric", "level", "gain"]);
  const ours = dailyRows.filter((r) => r[4] === postId);
  assert.deepEqual(ours.map((r) => r[6]).sort(), Object.keys(latest).sort(), "a row per metric of the post");
  const imp = ours.find((r) => r[6] === "impressions");
  assert.equal(Number(imp[7]), latest.impressions, "level");
  assert.equal(Number(imp[8]), latest.impressions, "a post starts at 0: its first day gains its level");
  assert.ok(dailyRows.some((r) => r[2] === account && r[5] === "" && r[6] === "followers"), "the account's own numbers");

  // Posts as CSV in bearer-token mode, without any cookie: the download carries the token.
  await page.goto(`${base}/w/${ACME}/analytics?session=bearer`);
  await page.locator("[data-section='totals']").waitFor();
  await page.context().clearCookies();
  assert.equal((await api(page, "GET", `/workspaces/${ACME}/analytics/overview`)).status, 401, "no cookie session any more");
  const posts = await exportFile(page, "posts-csv");
  const postRows = parseCsv(posts.text);
  const head = postRows[0];
  assert.deepEqual(head.slice(0, 4), ["post_id", "published_at", "networks", "content_preview"]);
  const mine = postRows.find((r) => r[0] === postId);
  assert.ok(mine, "the post is in the export");
  assert.equal(mine[head.indexOf("content_preview")], text, "text with commas and quotes survives");
  assert.equal(mine[head.indexOf("networks")], "sandbox");
  assert.equal(Number(mine[head.indexOf("impressions")]), latest.impressions);
  assert.equal(mine[head.indexOf("reach")], "", "not reported is empty, not 0");
  assert.equal(await page.locator(".postiz-toast.postiz-toast-error").count(), 0);
  assert.deepEqual(page.errors, [], `console errors: ${page.consoleErrors.join("\n")}`);
  await page.context().close();
});

// ---- A quarter of numbers from several networks, served by the test ---------------------------

function daysBetween(from, to) {
  const out = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
const wave = (i, base, amp) => Math.max(0, Math.round(base + amp * Math.sin(i / 4) + ((i * 37) % 23)));
const ago = (mins) => new Date(Date.now() - mins * 60_000).toISOString();

function overview(from, to) {
  const days = daysBetween(from, to);
  const series = days.map((day, i) => ({
    day,
    values: { impressions: wave(i, 900, 400), likes: wave(i, 60, 30), comments: wave(i, 8, 6), shares: wave(i, 12, 8), quotes: i % 3, followers: i % 9 === 4 ? -6 : (i * 7) % 5 },
  }));
  const sum = (m) => series.reduce((s, d) => s + (d.values[m] ?? 0), 0);
  return {
    range: { from, to, time_zone: "Europe/Paris" },
    previous: { from, to, time_zone: "Europe/Paris" },
    totals: [
      { metric: "impressions", value: sum("impressions"), previous: Math.round(sum("impressions") / 1.25), change_pct: 25 },
      { metric: "likes", value: sum("likes"), previous: Math.round(sum("likes") * 1.143), change_pct: -12.5 },
      { metric: "comments", value: sum("comments"), previous: 0, change_pct: null },
      { metric: "shares", value: sum("shares"), previous: sum("shares"), change_pct: 0 },
      { metric: "quotes", value: sum("quotes"), previous: 10, change_pct: 3.3 },
      { metric: "followers", value: sum("followers"), previous: 40, change_pct: -20 },
      { metric: "following", value: 3, previous: 2, change_pct: 50 },
    ],
    series,
    networks: [
      { network: "mastodon", values: { impressions: Math.round(sum("impressions") * 0.6), likes: 820, comments: 95, shares: 140, followers: 31 } },
      { network: "x", values: { impressions: Math.round(sum("impressions") * 0.4), likes: 1440, comments: 120, shares: 210, quotes: 40, followers: -9 } },
      { network: "bluesky", values: { likes: 510, comments: 40, shares: 66, quotes: 22, followers: 12 } },
    ],
    updated_at: ago(12),
    reported: [
      { network: "mastodon", post_metrics: ["impressions", "likes", "comments", "shares"], account_metrics: ["followers", "following", "posts"] },
      { network: "x", post_metrics: ["impressions", "likes", "comments", "shares", "quotes", "clicks"], account_metrics: ["followers", "following", "posts"] },
      { network: "bluesky", post_metrics: ["likes", "comments", "shares", "quotes"], account_metrics: ["followers", "following", "posts"] },
    ],
    accounts: [
      { account_id: "a1", network: "mastodon", handle: "@acme@mastodon.social", freshness: { state: "active", last_fetched_at: ago(12), next_fetch_at: ago(-300), last_error: null }, posts_stopped: 0 },
      { account_id: "a2", network: "bluesky", handle: "acme.bsky.social", freshness: { state: "paused", last_fetched_at: ago(3000), next_fetch_at: null, last_error: "Bluesky refused the app password" }, posts_stopped: 3 },
      { account_id: "a3", network: "x", handle: "acme", freshness: { state: "active", last_fetched_at: ago(200), next_fetch_at: ago(-20), last_error: "X answered 503 (service unavailable)" }, posts_stopped: 1 },
    ],
  };
}

const PREVIEWS = [
  "Our spring collection is live! Twelve new colours, recycled fabric, and free shipping until Sunday — tell us which one you'd pick.",
  "Behind the scenes at the Lyon workshop",
  "Thread: five things we learned shipping 10,000 orders in a week (and what we would do differently next time)",
  "",
  "Poll: morning coffee or afternoon tea?",
  "We're hiring a community manager in Paris or remote (EU).",
];

function topPosts(metric) {
  const posts = Array.from({ length: 8 }, (_, i) => {
    const values = { impressions: 12_000 - i * 1300, likes: 900 - i * 97, comments: 80 - i * 9, shares: 150 - i * 17 };
    if (i % 3 === 2) delete values.impressions; // a network without impressions
    return {
      post_id: `00000000-0000-4000-8000-00000000000${i}`,
      content_preview: PREVIEWS[i % PREVIEWS.length],
      published_at: ago(60 * 24 * (i * 3 + 1) + 37),
      networks: i % 2 ? ["mastodon", "x"] : ["bluesky"],
      value: values[metric] ?? 0,
      values,
    };
  }).filter((p) => metric in p.values);
  return { metric, posts };
}

function bestTime() {
  const cells = [];
  for (let weekday = 1; weekday <= 7; weekday++) {
    for (const hour of [7, 8, 9, 10, 12, 13, 17, 18, 19, 20, 21]) {
      if ((weekday * hour) % 4 === 3) continue;
      const posts = 1 + ((weekday + hour) % 4);
      const engagement = posts * (20 + ((weekday * 13 + hour * 7) % 60));
      const impressions = engagement * (25 + (hour % 5));
      cells.push({ weekday, hour, posts, engagement, impressions, engagement_per_post: engagement / posts, engagement_rate_pct: Math.round((engagement / impressions) * 10_000) / 100 });
    }
  }
  return { range: {}, sample_size: cells.reduce((s, c) => s + c.posts, 0), enough_data: true, fallback: null, cells };
}

function accountLevels(id, from, to) {
  const days = daysBetween(from, to);
  const levels = id === "a2" ? [] : days.filter((_, i) => i % 2 === 0 || i > days.length - 8).map((day, i) => ({ day, values: { followers: 1200 + i * 4 + (i % 5), following: 180, posts: 40 + i } }));
  return {
    account_id: id, network: id === "a1" ? "mastodon" : id === "a2" ? "bluesky" : "x", handle: "acme",
    range: { from, to, time_zone: "Europe/Paris" }, levels,
    gains: days.map((day, i) => ({ day, values: { followers: i % 2 ? 2 : 0 } })), freshness: { state: "active", last_fetched_at: ago(30), next_fetch_at: ago(-600), last_error: null },
  };
}

/** Serves the analytics endpoints from the functions above; returns what it served last. */
async function serveQuarter(page) {
  const served = {};
  await page.route(
    (url) => url.pathname.includes("/analytics/") && !url.pathname.endsWith("/export"),
    async (route) => {
      const url = new URL(route.request().url());
      const to = url.searchParams.get("to") ?? new Date().toISOString().slice(0, 10);
      const from = url.searchParams.get("from") ?? new Date(Date.parse(to) - 29 * DAY).toISOString().slice(0, 10);
      const what = url.pathname.split("/analytics/")[1];
      const json = what === "overview" ? overview(from, to)
        : what === "top-posts" ? topPosts(url.searchParams.get("metric") ?? "likes")
        : what === "best-time" ? { ...bestTime(), range: { from, to, time_zone: "Europe/Paris" } }
        : accountLevels(what.split("/")[1], from, to);
      served[what.split("/")[0]] = json;
      await route.fulfill({ json });
    },
  );
  return served;
}

test("a quarter of numbers from several networks: every chart, not-reported metrics, stopped accounts; phone and dark", async () => {
  const page = await signIn(browser, "alice@acme.test");
  const base = page.url().split("/w/")[0];
  const served = await serveQuarter(page);
  await page.goto(`${base}/w/${ACME}/analytics?range=90`);
  await page.locator("[data-section='totals'] [data-metric='impressions']").waitFor();

  // Cards: value, change with its arrow (and words for screen readers), nothing to compare with.
  const card = (m) => page.locator(`[data-section='totals'] [data-metric='${m}']`);
  assert.match(await card("impressions").locator(".postiz-change").textContent(), /^▲ 25%up 25% on the previous period$/);
  assert.match(await card("likes").locator(".postiz-change-down").textContent(), /^▼ 12.5%/);
  assert.match(await card("comments").textContent(), /no earlier numbers/);
  assert.equal(await card("reach").count(), 0, "no card pretends reach is 0");
  // X reports clicks and nothing was clicked: 0, not "not reported"; no network reports reach.
  assert.match(await card("clicks").textContent(), /^Clicks0no change/);
  assert.match(await card("followers").textContent(), /^Followers \(net\)/);
  assert.match(await card("not-reported").textContent(), /Not reported by your networksReach, Views, Saves, Profile views/);

  // The daily chart: 90 bars and their table; followers can go down.
  assert.equal(await page.locator("[data-section='series'] .postiz-chart-bar").count(), 90);
  assert.equal(await page.locator("[data-section='series'] [data-chart-table] tbody tr").count(), 90);
  assert.match(await page.locator("[data-section='series'] .postiz-chart-plot").getAttribute("aria-label"), /^Impressions gained per day, .+\. [\d,]+ in total; the most, [\d,]+, on \d+ \w+\.$/);
  // Networks: Bluesky does not report impressions.
  assert.equal(await page.locator("[data-section='networks'] tr[data-network='bluesky'] .postiz-bars-value").textContent(), "not reported");
  // Sources: a paused account and a failing one say why.
  const paused = page.locator("[data-section='sources'] li[data-account='a2']");
  assert.match(await paused.textContent(), /Stopped until the account is reconnected under Accounts: Bluesky refused the app password3 posts stopped updating/);
  assert.match(await page.locator("[data-section='sources'] li[data-account='a3']").textContent(), /Last read failed: X answered 503 \(service unavailable\); trying again in 20 min/);
  // Best time: a heatmap of the cells served, with its table.
  const cells = served["best-time"].cells.length;
  assert.equal(await page.locator(".postiz-heat-on").count(), cells);
  assert.equal(await page.locator("[data-section='best-time'] [data-chart-table] tbody tr").count(), cells);
  assert.equal(await page.locator("[data-best-time='fallback']").count(), 0);
  // Growth: a followers curve with a dot per reading (the test's first 90-day answer).
  await page.locator("[data-section='growth'] .postiz-chart-dot").first().waitFor();
  assert.equal(await page.locator("[data-section='growth'] .postiz-chart-dot").count(), served.accounts.levels.length);
  await shot(page, "34-analytics-quarter");

  await page.locator("[data-field='metric']").selectOption("followers");
  await page.waitForURL(/metric=followers/);
  assert.ok((await page.locator("[data-section='series'] .postiz-chart-bar-neg").count()) > 0, "lost followers are bars below zero");
  await page.locator("[data-field='account']").selectOption("a2");
  await page.locator("[data-growth='empty']").waitFor();
  await page.locator("[data-action='export']").click();
  await shot(page, "35-analytics-followers-export-menu");
  await page.locator("[data-action='export']").click();

  await page.locator("[data-field='account']").selectOption("a1");
  await page.setViewportSize(PHONE);
  await assertNoSidewaysScroll(page);
  await shot(page, "36-analytics-quarter-phone");
  await page.setViewportSize({ width: 1400, height: 950 });
  // The host's dark theme (its toggle keeps the choice in localStorage and reloads).
  await page.evaluate(() => localStorage.setItem("host-theme", "dark"));
  await page.reload();
  await page.locator("[data-section='best-time'] .postiz-heat-on").first().waitFor();
  assert.equal(await page.locator(".postiz-root").getAttribute("data-theme"), "dark");
  await shot(page, "37-analytics-quarter-dark");

  // A custom period: the days asked for are the ones typed.
  await page.locator("[data-range='custom']").click();
  await page.locator("input[data-field='from']").fill("2026-11-01");
  await page.locator("input[data-field='to']").fill("2026-11-14");
  await page.waitForURL(/range=custom&from=2026-11-01&to=2026-11-14/);
  await until(async () => (await page.locator("[data-section='series'] .postiz-chart-bar").count()) === 14, { what: "a 14-day chart" });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a plan without analytics gets a message, not broken charts", async () => {
  sql(`insert into postiz.plans (code, name, analytics_enabled) values ('e2e-basic', 'Basic', false) on conflict (code) do update set analytics_enabled = false`);
  sql(`update postiz.workspaces set plan = 'e2e-basic' where id = '${GLOBEX}'`);
  try {
    const page = await signIn(browser, "bob@globex.test");
    const base = page.url().split("/w/")[0];
    assert.equal((await api(page, "GET", `/workspaces/${GLOBEX}/analytics/overview`)).body.error.code, "analytics_not_in_plan");
    await page.goto(`${base}/w/${GLOBEX}/analytics`);
    const message = page.locator("[data-analytics='not-in-plan']");
    await message.waitFor();
    assert.match(await message.textContent(), /The Basic plan does not include analytics/);
    assert.equal(await page.locator(".postiz-chart, [data-section]").count(), 0, "no charts");
    await page.setViewportSize(PHONE);
    await shot(page, "38-analytics-not-in-plan-phone");
    assert.deepEqual(page.errors, []);
    await page.context().close();
  } finally {
    sql(`update postiz.workspaces set plan = 'default' where id = '${GLOBEX}'`);
  }
});
