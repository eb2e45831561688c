// Shared helpers for the end-to-end tests: the browser, sign-in on the demo host, screenshots.
// The stack (database, sandbox network, worker, demo host) is started by `cargo xtask test`,
// which passes its addresses in E2E_BASE_URL and E2E_SANDBOX_URL.
import { execFileSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

export const BASE = process.env.E2E_BASE_URL ?? "http://127.0.0.1:8787";
export const SANDBOX = process.env.E2E_SANDBOX_URL ?? "http://127.0.0.1:7979";
export const SHOTS = process.env.E2E_SHOTS ?? join(process.cwd(), "..", "target", "e2e-screenshots");
mkdirSync(SHOTS, { recursive: true });

/** The suite's own database (superuser), for what a browser cannot do; see `sql`. */
export const DB_URL = process.env.E2E_DB_URL;

/** Runs `query` with psql against the suite's database and returns the rows (tab-separated
 * fields), e.g. to make analytics readings due now instead of in an hour. */
export function sql(query) {
  if (!DB_URL) throw new Error("E2E_DB_URL is not set (cargo xtask test --only e2e sets it)");
  const out = execFileSync("psql", ["-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", DB_URL, "-c", query], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.length > 0).map((l) => l.split("\t"));
}

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
  // A wasm panic surfaces as a bare "unreachable" page error; its message is on the console.
  page.consoleErrors = [];
  page.on("console", (m) => m.type() === "error" && page.consoleErrors.push(m.text()));
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

/** A valid RGB PNG of `width`×`height` random pixels (incompressible, so its size is about
 * 3·w·h bytes and an upload of it takes measurable time). */
export function randomPng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, "ascii");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter method, no interlace
  const rows = Buffer.alloc((width * 3 + 1) * height);
  randomFillSync(rows);
  for (let y = 0; y < height; y++) rows[y * (width * 3 + 1)] = 0; // filter type "none" per row
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(rows)), chunk("IEND", Buffer.alloc(0))]);
}

/** The epoch ms of wall clock `dayKey` (`YYYY-MM-DD`) `hour`:00 in `zone`. */
export function instantIn(zone, dayKey, hour) {
  const wallAsUtc = Date.parse(`${dayKey}T${String(hour).padStart(2, "0")}:00:00Z`);
  const offset = (ms) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })
        .formatToParts(new Date(ms))
        .map((x) => [x.type, x.value]),
    );
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute) - ms;
  };
  // Twice, so a guess on the other side of a DST change corrects itself.
  const first = wallAsUtc - offset(wallAsUtc);
  return wallAsUtc - offset(first);
}

/** `HH:MM` and the hour of `ms` in `zone`. */
export function wallTime(ms, zone) {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", hour: "2-digit", minute: "2-digit" })
      .formatToParts(new Date(ms))
      .map((x) => [x.type, x.value]),
  );
  return { hhmm: `${p.hour}:${p.minute}`, hour: Number(p.hour) };
}
