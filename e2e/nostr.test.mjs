// Nostr as a user meets it: on the Accounts page, paste a secret key and a relay (a real
// `nostr-relay` from PyPI on loopback, which the e2e stack's private-servers list allows), see
// the account appear, then a post scheduled for now is published by the worker to that relay
// and its detail page links to the note.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ACME, api, launch, shot, signIn, until } from "./support.mjs";

// The venv the Rust tests use (postiz_testkit::pypi): the same marker and lock, so whichever
// suite comes first installs it once.
const REQUIREMENT = "nostr-relay==1.14";
const PEERS = join(process.cwd(), "..", "target", "peers");
const VENV = join(PEERS, "nostr-relay");
// The secret key 1 (a test key: its public key is secp256k1's generator's x coordinate).
const SECRET = "0000000000000000000000000000000000000000000000000000000000000001";
const PUBLIC = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

function install() {
  const marker = join(VENV, `.installed-${REQUIREMENT}`);
  if (existsSync(marker)) return;
  mkdirSync(PEERS, { recursive: true });
  const lock = join(PEERS, ".nostr-relay-lock");
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(marker)) return;
      if (Date.now() - started > 180_000) rmSync(lock, { recursive: true, force: true });
      spawnSync("sleep", ["0.2"]);
    }
  }
  try {
    if (!existsSync(join(VENV, "bin", "python"))) {
      assert.equal(spawnSync("python3", ["-m", "venv", VENV], { stdio: "inherit" }).status, 0, "python3 -m venv");
    }
    const pip = spawnSync(join(VENV, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", REQUIREMENT], { stdio: "inherit" });
    assert.equal(pip.status, 0, `pip install ${REQUIREMENT}`);
    writeFileSync(marker, "");
  } finally {
    rmdirSync(lock);
  }
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

let browser;
let relay;
let relayDir;
let relayUrl;

before(async () => {
  install();
  const port = await freePort();
  relayDir = mkdtempSync(join(tmpdir(), "postiz-e2e-relay-"));
  const config = join(relayDir, "config.yaml");
  writeFileSync(
    config,
    [
      "relay_name: postiz e2e relay",
      "storage:",
      `  sqlalchemy.url: sqlite+aiosqlite:///${join(relayDir, "nostr.sqlite3")}`,
      "  num_concurrent_reqs: 4",
      "  num_concurrent_adds: 1",
      "  validators:",
      "    - nostr_relay.validators.is_signed",
      "    - nostr_relay.validators.is_recent",
      "gunicorn:",
      `  bind: 127.0.0.1:${port}`,
      "  workers: 1",
      "  loglevel: warning",
      "  reload: false",
      "authentication:",
      "  enabled: false",
      "",
    ].join("\n"),
  );
  relay = spawn(join(VENV, "bin", "nostr-relay"), ["-c", config, "serve", "--use-uvicorn"], { cwd: relayDir, stdio: "ignore" });
  relayUrl = `ws://127.0.0.1:${port}/`;
  await until(async () => (await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: "application/nostr+json" } }).catch(() => null))?.ok, {
    what: "the relay to start",
    timeout: 60_000,
    every: 200,
  });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  relay?.kill();
  if (relayDir) rmSync(relayDir, { recursive: true, force: true });
});

test("connect Nostr with a secret key and a relay, then a scheduled post is published there", async () => {
  const page = await signIn(browser, "alice@acme.test");
  await page.locator(".postiz-tab", { hasText: "Accounts" }).click();
  await page.locator("[data-connect='nostr']").click();
  const form = page.locator("[data-connect-form='nostr']");
  // A key that is not one: the form says so, without repeating it.
  await form.getByLabel("Secret key (nsec…)").fill("nsec1notakey");
  await form.getByLabel("Relay (optional)").fill(relayUrl);
  await form.locator("[data-action='connect']").click();
  // Shown under the key's field.
  const refusal = form.locator(".postiz-field-error").first();
  await refusal.waitFor();
  assert.match(await refusal.textContent(), /secret key is not valid/);
  assert.doesNotMatch(await refusal.textContent(), /nsec1notakey/);
  await shot(page, "nostr-01-connect-refused");

  await form.getByLabel("Secret key (nsec…)").fill(SECRET);
  await shot(page, "nostr-02-connect-form");
  await form.locator("[data-action='connect']").click();
  await page.locator(".postiz-toast", { hasText: "Account connected" }).waitFor();
  const card = page.locator(".postiz-account[data-network='nostr']").first();
  await card.waitFor();
  assert.match(await card.textContent(), /npub1/);
  await shot(page, "nostr-03-connected");

  const accounts = await api(page, "GET", `/workspaces/${ACME}/accounts`);
  assert.equal(accounts.status, 200);
  const list = Array.isArray(accounts.body) ? accounts.body : accounts.body.accounts;
  const account = list.find((a) => a.network === "nostr");
  assert.ok(account, JSON.stringify(accounts.body));
  assert.equal(account.external_account_id, PUBLIC, "the account is the key's public key");
  assert.ok(!JSON.stringify(accounts.body).includes(SECRET), "the key is never shown again");

  const at = new Date(Math.ceil(Date.now() / 60_000) * 60_000).toISOString();
  const made = await api(page, "POST", `/workspaces/${ACME}/posts`, {
    content: `Hello Nostr from the e2e test ${Date.now()}`,
    targets: [account.id],
    schedule: { kind: "once", at },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  let post;
  await until(
    async () => {
      post = (await api(page, "GET", `/workspaces/${ACME}/posts/${made.body.id}`)).body;
      return post.targets?.every((t) => t.status === "published");
    },
    { what: "the worker to publish to the relay", timeout: 120_000, every: 1_000 },
  );
  assert.match(post.targets[0].external_url, /^https:\/\/njump\.me\/note1/);
  await page.goto(`${page.url().split("/w/")[0]}/w/${ACME}/posts/${made.body.id}`);
  await page.locator("[data-post-status='published']").waitFor();
  await shot(page, "nostr-04-published");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
