//! The end-to-end suite of `cargo xtask test`: installs what it uses (Debian `chromium` when
//! missing and running as root; npm `playwright-core` and `@axe-core/playwright` into
//! `e2e/node_modules`, git-ignored), builds the UI bundle and the services, starts a fresh migrated database, the sandbox
//! network, the worker and the demo host on free loopback ports, runs `node --test e2e/`, and
//! stops what it started. Screenshots go to `target/e2e-screenshots/` (git-ignored). The tests
//! get the stack's addresses and the database's superuser URL (`E2E_DB_URL`, for `psql`).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::root;
use crate::scratch_db::ScratchDatabase;

/// Counts from the node test runner.
#[derive(Debug, Default)]
pub struct Outcome {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
    pub ok: bool,
}

fn ensure_chromium() -> anyhow::Result<()> {
    if Path::new("/usr/bin/chromium").exists() {
        return Ok(());
    }
    let root_user = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
    if !root_user {
        bail!("Debian chromium is missing: run `sudo apt-get install -y chromium`");
    }
    println!("installing chromium (apt-get install -y chromium)");
    Command::new("apt-get").args(["update", "-qq"]).status().context("apt-get update")?;
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "chromium"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("apt-get install chromium")?;
    if !status.success() {
        bail!("apt-get install chromium failed");
    }
    Ok(())
}

/// The npm packages `e2e/package.json` lists; when one is missing from `e2e/node_modules` (a
/// checkout made before it was added), `npm ci` installs them all from the lockfile.
const E2E_PACKAGES: &[&str] = &["playwright-core", "@axe-core/playwright"];

fn ensure_playwright() -> anyhow::Result<()> {
    let dir = root().join("e2e");
    if E2E_PACKAGES.iter().all(|p| dir.join("node_modules").join(p).join("package.json").exists()) {
        return Ok(());
    }
    println!("installing playwright-core and @axe-core/playwright into e2e/node_modules (npm ci)");
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .status()
        .context("running npm (Node.js 18+ is needed for the e2e suite)")?;
    if !status.success() {
        bail!("npm ci in e2e/ failed");
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn random_b64(n: usize) -> anyhow::Result<String> {
    use base64::Engine;
    let mut bytes = vec![0u8; n];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Processes started for the suite; killed (by their own ids) on drop.
struct Started(Vec<(&'static str, Child)>);

impl Drop for Started {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            Command::new("kill").arg(child.id().to_string()).status().ok();
        }
        for (name, child) in &mut self.0 {
            let deadline = Instant::now() + Duration::from_secs(20);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            if matches!(child.try_wait(), Ok(None)) {
                child.kill().ok();
                child.wait().ok();
                println!("{name} did not stop in time; killed");
            }
        }
    }
}

fn spawn(name: &'static str, bin: &str, args: &[&str], env: &[(&str, String)]) -> anyhow::Result<(&'static str, Child)> {
    let logs = root().join("target/e2e-logs");
    std::fs::create_dir_all(&logs)?;
    let log = std::fs::File::create(logs.join(format!("{name}.log")))?;
    let mut cmd = Command::new(root().join("target/debug").join(bin));
    cmd.args(args).current_dir(root()).stdout(Stdio::from(log.try_clone()?)).stderr(Stdio::from(log));
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ok((name, cmd.spawn().with_context(|| format!("starting {bin}"))?))
}

async fn wait_ready(url: &str, started: &mut Started) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if client.get(url).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        for (name, child) in &mut started.0 {
            if let Ok(Some(status)) = child.try_wait() {
                bail!("{name} exited ({status}); see target/e2e-logs/{name}.log");
            }
        }
        if Instant::now() > deadline {
            bail!("{url} did not answer within 60 s; see target/e2e-logs/");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs the suite.
pub async fn run() -> anyhow::Result<Outcome> {
    ensure_chromium()?;
    ensure_playwright()?;
    crate::ui::build(&crate::ui::UiArgs::default())?;
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "-p", "postiz-demo-host", "-p", "postiz-worker", "-p", "postiz-sandbox"])
        .current_dir(root())
        .status()
        .context("building the services")?;
    if !status.success() {
        bail!("building the services failed");
    }

    let database = ScratchDatabase::create("e2e").await?;
    let (host_port, sandbox_port, metrics_port) = (free_port()?, free_port()?, free_port()?);
    let origin = format!("http://127.0.0.1:{host_port}");
    let sandbox = format!("http://127.0.0.1:{sandbox_port}");
    let env = vec![
        ("SUPABASE_DB_URL", database.url()),
        ("POSTIZ_DEMO_SEED_DB_URL", database.url_for("supabase_admin")),
        ("SUPABASE_JWT_SECRET", random_b64(48)?),
        ("POSTIZ_TOKEN_ENCRYPTION_KEYS", format!("e2e1:{}", random_b64(32)?)),
        ("POSTIZ_SANDBOX_URL", sandbox.clone()),
        ("POSTIZ__SERVER__BIND", format!("127.0.0.1:{host_port}")),
        ("POSTIZ__SERVER__PUBLIC_URL", origin.clone()),
        ("POSTIZ__SUPABASE__URL", origin.clone()),
        // The import-from-URL test serves its files on loopback, which imports refuse by default.
        ("POSTIZ__PRIVATE_SERVERS__ALLOW", r#"["127.0.0.1/32"]"#.into()),
        ("RUST_LOG", "info".into()),
    ];
    let mut started = Started(vec![]);
    started.0.push(spawn("sandbox", "postiz-sandbox", &["--bind", &format!("127.0.0.1:{sandbox_port}")], &env)?);
    started.0.push(spawn("worker", "postiz-worker", &["run", "--metrics", &format!("127.0.0.1:{metrics_port}")], &env)?);
    started.0.push(spawn("demo-host", "postiz-demo-host", &[], &env)?);
    wait_ready(&format!("{origin}/dashboard/postiz/api/health"), &mut started).await?;

    let shots = root().join("target/e2e-screenshots");
    // POSTIZ_E2E_ONLY=invites.test.mjs,media.test.mjs runs just those files (while working on one).
    let only: Vec<String> = std::env::var("POSTIZ_E2E_ONLY")
        .map(|v| v.split(',').map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect())
        .unwrap_or_default();
    let mut child = Command::new("node")
        .args(["--test", "--test-reporter=tap", "--test-concurrency=1"])
        .args(&only)
        .current_dir(root().join("e2e"))
        .env("E2E_BASE_URL", &origin)
        .env("E2E_SANDBOX_URL", &sandbox)
        // Superuser URL of the suite's own database, for steps a browser cannot take (making
        // analytics readings due now instead of in an hour, switching a workspace's plan).
        .env("E2E_DB_URL", database.url_for("supabase_admin"))
        .env("E2E_SHOTS", &shots)
        .stdout(Stdio::piped())
        .spawn()
        .context("starting node --test")?;
    let stdout = child.stdout.take().context("node stdout")?;
    let mut outcome = Outcome::default();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        // The TAP reporter closes with "# pass N", "# fail N", "# skipped N".
        let count = |prefix: &str| line.strip_prefix(prefix).and_then(|n| n.trim().parse::<u64>().ok());
        if let Some(n) = count("# pass ") {
            outcome.passed = n;
        } else if let Some(n) = count("# fail ") {
            outcome.failed = n;
        } else if let Some(n) = count("# skipped ") {
            outcome.skipped = n;
        }
    }
    outcome.ok = child.wait()?.success();
    drop(started);
    database.drop_now().await;
    println!("screenshots: {}", shots.display());
    Ok(outcome)
}
