//! The processes `cargo xtask run` starts next to the database, and how `stop` finds them again.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use base64::Engine;

use crate::root;

/// Where `run` records the process ids it started, for `stop`.
fn pid_file() -> PathBuf {
    root().join(".postiz/run.pids")
}

/// Secrets of the local stack, made once per checkout and kept in `.postiz/` (git-ignored):
/// the JWT secret the demo host signs sessions with, and the token encryption key.
pub struct LocalSecrets {
    /// `SUPABASE_JWT_SECRET`.
    pub jwt_secret: String,
    /// `POSTIZ_TOKEN_ENCRYPTION_KEYS`.
    pub encryption_keys: String,
}

impl LocalSecrets {
    pub fn load_or_create() -> anyhow::Result<Self> {
        let path = root().join(".postiz/local-secrets.env");
        if !path.exists() {
            let random = |n: usize| -> anyhow::Result<Vec<u8>> {
                let mut bytes = vec![0u8; n];
                std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
                Ok(bytes)
            };
            let b64 = base64::engine::general_purpose::STANDARD;
            let text = format!(
                "SUPABASE_JWT_SECRET={}\nPOSTIZ_TOKEN_ENCRYPTION_KEYS=local1:{}\n",
                b64.encode(random(48)?),
                b64.encode(random(32)?)
            );
            std::fs::create_dir_all(path.parent().context("secrets dir")?)?;
            std::fs::write(&path, text)?;
        }
        let text = std::fs::read_to_string(&path)?;
        let get = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .map(str::to_owned)
                .with_context(|| format!("{key} missing from {}", path.display()))
        };
        Ok(Self { jwt_secret: get("SUPABASE_JWT_SECRET")?, encryption_keys: get("POSTIZ_TOKEN_ENCRYPTION_KEYS")? })
    }
}

/// Builds the service binaries (debug profile: fast to build, fine for a local demo).
pub fn build() -> anyhow::Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "-p", "postiz-api", "-p", "postiz-demo-host", "-p", "postiz-worker", "-p", "postiz-sandbox"])
        .current_dir(root())
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building the services failed");
    }
    Ok(())
}

/// A started service.
pub struct Service {
    /// Name for messages.
    pub name: &'static str,
    /// The process.
    pub child: Child,
}

/// Starts `bin` from the debug build with `args` and `env`, logging to `.postiz/logs/<name>.log`.
pub fn spawn(name: &'static str, bin: &str, args: &[&str], env: &[(&str, String)]) -> anyhow::Result<Service> {
    let logs = root().join(".postiz/logs");
    std::fs::create_dir_all(&logs)?;
    let log = std::fs::File::create(logs.join(format!("{name}.log")))?;
    let mut command = Command::new(root().join("target/debug").join(bin));
    command.args(args).current_dir(root()).stdout(Stdio::from(log.try_clone()?)).stderr(Stdio::from(log));
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.spawn().with_context(|| format!("starting {bin}"))?;
    Ok(Service { name, child })
}

/// Records the services' process ids for `stop`.
pub fn write_pids(services: &[Service]) -> anyhow::Result<()> {
    let text: String = services.iter().map(|s| format!("{} {}\n", s.name, s.child.id())).collect();
    std::fs::write(pid_file(), text)?;
    Ok(())
}

/// Sends SIGTERM to every recorded service and waits for each to exit. Returns their names.
pub fn stop_recorded() -> anyhow::Result<Vec<String>> {
    let Ok(text) = std::fs::read_to_string(pid_file()) else { return Ok(vec![]) };
    let mut stopped = Vec::new();
    for line in text.lines() {
        let Some((name, pid)) = line.split_once(' ') else { continue };
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        if !proc_dir.exists() {
            continue;
        }
        Command::new("kill").arg(pid).status().ok();
        // Wait up to 30 s for a graceful exit (the worker finishes in-flight jobs), then kill.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while proc_dir.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if proc_dir.exists() {
            Command::new("kill").args(["-9", pid]).status().ok();
        }
        stopped.push(name.to_owned());
    }
    std::fs::remove_file(pid_file()).ok();
    Ok(stopped)
}
