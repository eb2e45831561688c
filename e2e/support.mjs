// Shared helpers for the end-to-end tests: the browser, sign-in on the demo host, screenshots.
// The stack (database, sandbox network, worker, demo host) is started by `cargo xtask test`,
// which passes its addresses in E2E_BASE_URL and E2E_SANDBOX_URL.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE = process.env.E2E_BASE_URL ?? "http://127.0.0.1:8787";
export const SANDBOX = process.env.E2E_SANDBOX_URL ?? "http://127.0.0.1:7979";
export const SHOTS = process.env.E2E_SHOTS ?? join(process.cwd(), "..", "target", "e2e-screenshots");
mkdirSync(SHOTS, { recursive: true });

export const ACME = "ac3e0000-0000-4000-8000-000000000001";
export const GLOBEX = "610b0000-0000-4000-8000-000000000002";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
}

/** A new page signed in on the demo host as `email` (the host's login, not the module's). */
export async function signIn(browser, email, next = "/dashboard/postiz") {
  const context = await browser.newContext({ viewport: { width: 1400, height: 950 }, timezoneId: "Europe/Paris" });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto(`${BASE}/login?next=${encodeURIComponent(next)}`);
  await page.click(`button[data-user="${email}"]`);
  await page.waitForURL((u) => u.pathname.startsWith("/dashboard/postiz"));
  await page.locator(".postiz-header").waitFor();
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Calls the module API from the page (same origin, the host's cookie). */
export async function api(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const r = await fetch(`/dashboard/postiz/api${path}`, {
        method,
        headers: body ? { "content-type": "application/json" } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    [method, path, body],
  );
}

/** `YYYY-MM-DD` and the weekday (Mon=0) of `ms` in `zone`. */
export function wallDay(ms, zone = "Europe/Paris") {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", weekday: "short" })
      .formatToParts(new Date(ms))
      .map((x) => [x.type, x.value]),
  );
  return { key: `${p.year}-${p.month}-${p.day}`, weekday: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(p.weekday) };
}

export async function until(fn, { timeout = 60_000, every = 500, what = "condition" } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
