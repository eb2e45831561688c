// Accessibility: axe-core (npm @axe-core/playwright) over every screen of the module, in the
// host's light and dark themes. axe runs on the module's content inside its open shadow root
// (the host's own header is not ours to fix); the first test proves that it does look in there,
// by planting a button without a name and seeing axe report it. Each screen is checked once
// loaded (no "Loading…" left); a table of serious and critical violations per screen is printed,
// and any serious or critical violation fails the run, listed with its rule, help text and the
// elements it was found on.
//
// The data the screens show is made here: a few posts in several states (a scheduled one with
// the calendar's chip, a draft, a failed one, a published one), accounts on the networks whose
// composer sections have their own controls (TikTok, YouTube, dev.to, Instagram), and a library
// image for the media detail.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";

import AxeBuilder from "@axe-core/playwright";

import { ACME, BASE, api, launch, shot, signIn, sql, until, wallDay } from "./support.mjs";

let browser;
const DAY = 86_400_000;
const THEMES = ["light", "dark"];
const GRAVE = new Set(["serious", "critical"]);
const stamp = Date.now();
const made = { accounts: {}, posts: {}, media: null };

/** The module's content: the `.postiz-root` inside `#postiz-host`'s shadow root. */
const MODULE = { fromShadowDom: ["#postiz-host", ".postiz-root"] };

/** axe's findings on the module in `page`, serious and critical only. */
async function graveViolations(page) {
  const results = await new AxeBuilder({ page }).include(MODULE).analyze();
  return results.violations.filter((v) => GRAVE.has(v.impact));
}

function describe(violations) {
  return violations
    .map((v) => `  ${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.failureSummary?.split("\n").slice(1).join(" ") ?? ""}`).join("\n")}`)
    .join("\n");
}

/** Waits until the screen has loaded: `ready` is shown and nothing says "Loading…". */
async function settle(page, ready) {
  await page.locator(ready).first().waitFor({ timeout: 20_000 });
  await until(async () => (await page.locator(".postiz-loading, [aria-busy='true']").count()) === 0, { what: `${ready} loaded`, timeout: 20_000, every: 200 });
  // Fonts and late layout (charts measure their box) before colours are sampled.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Every screen: its name, path under the workspace (or the module), what shows it is ready,
 * and what to do before checking it (open a section, select a post, open a dialog). */
function screens() {
  const w = `/dashboard/postiz/w/${ACME}`;
  const day = wallDay(Date.parse(made.posts.scheduled.at)).key;
  return [
    { name: "calendar week", path: `${w}/calendar?view=week&date=${day}`, ready: ".postiz-calendar[data-view='week'] .postiz-chip" },
    { name: "calendar day", path: `${w}/calendar?view=day&date=${day}`, ready: ".postiz-calendar[data-view='day'] .postiz-chip" },
    { name: "calendar month", path: `${w}/calendar?view=month&date=${day}`, ready: ".postiz-calendar[data-view='month'] .postiz-chip" },
    { name: "calendar agenda", path: `${w}/calendar?view=list&date=${day}`, ready: ".postiz-calendar[data-view='list'] .postiz-chip" },
    { name: "posts list", path: `${w}/posts`, ready: "table[data-table='posts'] tbody tr" },
    {
      name: "posts list, two selected",
      path: `${w}/posts`,
      ready: "table[data-table='posts'] tbody tr",
      act: async (page) => {
        for (const id of [made.posts.scheduled.id, made.posts.draft.id]) await page.locator(`tr[data-post='${id}'] input[type='checkbox']`).check();
        await page.locator(".postiz-bulk-bar").waitFor();
      },
    },
    {
      name: "posts list, delete question",
      path: `${w}/posts`,
      ready: "table[data-table='posts'] tbody tr",
      act: async (page) => {
        await page.locator(`tr[data-post='${made.posts.draft.id}'] input[type='checkbox']`).check();
        await page.locator(".postiz-bulk-bar button", { hasText: "Delete" }).click();
        await page.getByRole("alertdialog").waitFor();
      },
    },
    {
      name: "composer, network sections open",
      path: `${w}/compose`,
      ready: ".postiz-composer .postiz-pick",
      act: async (page) => {
        for (const net of ["sandbox", "tiktok", "youtube", "devto", "instagram"]) {
          await page.locator(`.postiz-pick[data-account='${made.accounts[net]}']`).click();
          await page.locator(`.postiz-variant[data-network='${net}']`).waitFor();
        }
        await page.locator("textarea[data-field='content']").fill("Checking the composer with every section open");
        await page.locator(".postiz-variant[data-network='sandbox'] [data-customize]").click();
      },
    },
    { name: "composer, editing a post", path: `${w}/posts/${made.posts.scheduled.id}/edit`, ready: ".postiz-composer textarea[data-field='content']" },
    { name: "post detail", path: `${w}/posts/${made.posts.scheduled.id}`, ready: ".postiz-post-head" },
    { name: "post detail, failed", path: `${w}/posts/${made.posts.failed.id}`, ready: ".postiz-post-head" },
    { name: "review queue", path: `${w}/review`, ready: `.postiz-review [data-review-post='${made.posts.pending.id}']` },
    { name: "accounts", path: `${w}/accounts`, ready: ".postiz-accounts .postiz-account" },
    { name: "media library", path: `${w}/media`, ready: ".postiz-media .postiz-media-item" },
    {
      name: "media detail",
      path: `${w}/media`,
      ready: ".postiz-media .postiz-media-item",
      act: async (page) => {
        await page.locator(`.postiz-media-item[data-media='${made.media}']`).click();
        await page.locator(".postiz-media-detail").waitFor();
      },
    },
    { name: "analytics", path: `${w}/analytics`, ready: ".postiz-analytics" },
    { name: "settings", path: `${w}/settings`, ready: ".postiz-settings [data-section='approvals']" },
    { name: "activity", path: `${w}/activity`, ready: ".postiz-activity" },
    { name: "inbox", path: `${w}/inbox`, ready: ".postiz-inbox .postiz-inbox-item" },
    { name: "invite acceptance", path: `/dashboard/postiz/invite?invite=${"ab".repeat(32)}`, ready: ".postiz-invite" },
    { name: "not found", path: `${w}/no-such-screen`, ready: ".postiz-main .postiz-empty" },
  ];
}

before(async () => {
  browser = await launch();
  for (const net of ["sandbox", "tiktok", "youtube", "devto", "instagram", "mastodon", "bluesky"]) {
    const handle = `a11y_${net}_${stamp}`;
    const [[id]] = sql(`insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
                        values ('${ACME}', '${net}', '${handle}', '${handle}', 'Acme on ${net}') returning id`);
    made.accounts[net] = id;
  }
  // Posts for the Mastodon account wait for an admin's approval (the review queue has one).
  sql(`insert into postiz.approval_policies (workspace_id, social_account_id, steps)
       values ('${ACME}', '${made.accounts.mastodon}', '[{"min_role": "admin", "required": 1}]')`);
  // An API key and a webhook endpoint that failed and was disabled, for Settings.
  sql(`insert into postiz.api_keys (workspace_id, name, prefix, key_hash, scopes)
       values ('${ACME}', 'a11y key ${stamp}', 'pzk_a11y', sha256('a11y ${stamp}'::bytea), '{posts:read}')`);
  sql(`insert into postiz.webhook_endpoints (workspace_id, url, secret_key_id, secret_nonce, secret_ciphertext, enabled, disabled_reason, consecutive_failures, failing_since)
       values ('${ACME}', 'https://hooks.example.com/a11y-${stamp}', 'none', '\\x00', '\\x00', false, 'Disabled after 20 failed deliveries', 20, now() - interval '1 day')`);
  made.media = randomUUID();
  sql(`insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, width, height, sha256, name)
       values ('${made.media}', '${ACME}', '${ACME}/${made.media}', 'image/jpeg', 200000, 1080, 1350, decode(md5('${made.media}') || md5('${made.media}'), 'hex'), 'a11y-photo.jpg')`);
});

after(async () => {
  const ids = Object.values(made.posts).map((p) => `'${p.id}'`);
  if (ids.length) sql(`delete from postiz.posts where id in (${ids.join(", ")})`);
  const accounts = Object.values(made.accounts).map((id) => `'${id}'`);
  if (accounts.length) sql(`delete from postiz.social_accounts where id in (${accounts.join(", ")})`);
  if (made.media) sql(`delete from postiz.media_assets where id = '${made.media}'`);
  sql(`delete from postiz.notifications where details->>'error' = 'The text is too long for Sandbox' or details->>'missing' = '1 more approval from an admin' or details->>'url' = 'https://sandbox.example/p/1'`);
  sql(`delete from postiz.api_keys where name = 'a11y key ${stamp}'`);
  sql(`delete from postiz.webhook_endpoints where url = 'https://hooks.example.com/a11y-${stamp}'`);
  await browser?.close();
});

/** Posts in several states, made once through the API (and SQL for states a browser cannot set). */
async function makePosts(page) {
  if (made.posts.scheduled) return;
  const at = (days, hour) => {
    const d = new Date(Date.now() + days * DAY);
    d.setUTCHours(hour, 0, 0, 0);
    return d.toISOString();
  };
  const create = async (key, body) => {
    const r = await api(page, "POST", `/workspaces/${ACME}/posts`, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    made.posts[key] = { id: r.body.id, at: body.schedule?.at };
  };
  const target = [made.accounts.sandbox];
  await create("scheduled", { content: `Scheduled, for axe ${stamp}`, targets: target, schedule: { kind: "once", at: at(2, 9) } });
  await create("draft", { content: `A draft, for axe ${stamp}`, targets: target });
  await create("failed", { content: `Failed, for axe ${stamp}`, targets: target, schedule: { kind: "once", at: at(2, 11) } });
  await create("published", { content: `Published, for axe ${stamp}`, targets: target, schedule: { kind: "once", at: at(2, 13) } });
  await create("pending", { content: `Waiting for approval, for axe ${stamp}`, targets: [made.accounts.mastodon], status: "pending_approval", schedule: { kind: "once", at: at(3, 9) } });
  // Written by Victor, so Alice (an owner) is asked to decide on it.
  sql(`update postiz.posts set author_id = (select id from auth.users where email = 'victor@acme.test') where id = '${made.posts.pending.id}'`);
  sql(`update postiz.posts set status = 'failed' where id = '${made.posts.failed.id}'`);
  const inbox = [
    ["post_failed", made.posts.failed.id, { network: "sandbox", error: "The text is too long for Sandbox" }],
    ["approval_requested", made.posts.pending.id, { missing: "1 more approval from an admin" }],
    ["post_published", made.posts.published.id, { network: "sandbox", url: "https://sandbox.example/p/1" }],
  ];
  for (const [kind, post, details] of inbox) {
    sql(`insert into postiz.notifications (workspace_id, user_id, kind, delivery, post_id, details)
         values ('${ACME}', (select id from auth.users where email = 'alice@acme.test'), '${kind}', 'in_app', '${post}', '${JSON.stringify(details)}')`);
  }
  sql(`update postiz.posts set status = 'published' where id = '${made.posts.published.id}'`);
}

test("axe looks inside the module's shadow root: a planted button without a name is reported", async () => {
  const page = await signIn(browser, "alice@acme.test");
  await page.locator(".postiz-header").waitFor();
  await page.evaluate(() => {
    const b = document.createElement("button");
    b.className = "postiz-btn postiz-axe-probe";
    document.getElementById("postiz-host").shadowRoot.querySelector(".postiz-main").append(b);
  });
  const found = await graveViolations(page);
  const nameless = found.find((v) => v.id === "button-name");
  assert.ok(nameless, `axe did not report the nameless button inside the shadow root:\n${describe(found)}`);
  assert.ok(
    nameless.nodes.some((n) => JSON.stringify(n.target).includes("postiz-axe-probe")),
    JSON.stringify(nameless.nodes.map((n) => n.target)),
  );
  await page.context().close();
});

test("no serious or critical axe violation on any screen, light and dark", async () => {
  const rows = [];
  const failures = [];
  for (const theme of THEMES) {
    const page = await signIn(browser, "alice@acme.test");
    await page.evaluate((t) => localStorage.setItem("host-theme", t), theme);
    await makePosts(page);
    for (const s of screens()) {
      await page.goto(`${BASE}${s.path}`);
      await page.locator(".postiz-header").waitFor();
      assert.equal(await page.locator(".postiz-root").getAttribute("data-theme"), theme);
      await settle(page, s.ready);
      if (s.act) {
        await s.act(page);
        await settle(page, s.ready);
      }
      const found = await graveViolations(page);
      const count = (impact) => found.filter((v) => v.impact === impact).reduce((n, v) => n + v.nodes.length, 0);
      rows.push({ screen: s.name, theme, serious: count("serious"), critical: count("critical"), rules: found.map((v) => v.id).join(" ") });
      if (found.length) failures.push(`${s.name} (${theme}):\n${describe(found)}`);
      await shot(page, `a11y-${theme}-${s.name.replace(/[^a-z0-9]+/g, "-")}`);
    }
    assert.deepEqual(page.errors, [], `page errors in ${theme}`);
    await page.context().close();
  }
  // The measurement the issue asks for, in the suite's output (TAP diagnostics).
  const width = Math.max(...rows.map((r) => r.screen.length));
  console.log("axe-core: serious/critical violations (elements) per screen");
  console.log(`${"screen".padEnd(width)}  theme  serious  critical  rules`);
  for (const r of rows) {
    console.log(`${r.screen.padEnd(width)}  ${r.theme.padEnd(5)}  ${String(r.serious).padStart(7)}  ${String(r.critical).padStart(8)}  ${r.rules}`);
  }
  const total = rows.reduce((n, r) => n + r.serious + r.critical, 0);
  console.log(`axe total serious+critical: ${total} over ${rows.length} screen checks`);
  assert.equal(failures.length, 0, `serious or critical accessibility violations:\n${failures.join("\n")}`);
});

test("a calendar chip is reached by Tab and opened with Enter", async () => {
  const page = await signIn(browser, "alice@acme.test");
  await makePosts(page);
  const day = wallDay(Date.parse(made.posts.scheduled.at)).key;
  await page.goto(`${BASE}/dashboard/postiz/w/${ACME}/calendar?view=week&date=${day}`);
  const chip = page.locator(`.postiz-chip[data-post='${made.posts.scheduled.id}']`);
  await chip.waitFor();
  assert.equal(await chip.getAttribute("role"), "button");
  // From the hours grid (itself focusable, it scrolls), Tab reaches the chip: it is in the tab order.
  await page.locator(".postiz-hours-body").focus();
  const focused = () => chip.evaluate((el) => el.getRootNode().activeElement === el);
  for (let i = 0; i < 30 && !(await focused()); i++) await page.keyboard.press("Tab");
  assert.equal(await focused(), true, "Tab reaches the chip");
  await shot(page, "a11y-chip-focused");
  await page.keyboard.press("Enter");
  await page.waitForURL((u) => u.pathname.endsWith(`/posts/${made.posts.scheduled.id}`));
  await page.locator(".postiz-post-head").waitFor();
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
