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
        Self::load_or_create_at(&root().join(".postiz/local-secrets.env"))
    }

    /// Reads the secrets at `path`, first writing new random ones when there is no file. The
    /// file is created readable by its owner only (0600, never world-readable even for an
    /// instant: the mode is set by `open`), and an existing file that others could read is
    /// narrowed to 0600 before it is read.
    fn load_or_create_at(path: &std::path::Path) -> anyhow::Result<Self> {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

        std::fs::create_dir_all(path.parent().context("secrets dir")?)?;
        let random = |n: usize| -> anyhow::Result<Vec<u8>> {
            let mut bytes = vec![0u8; n];
            std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
            Ok(bytes)
        };
        // create_new: a file appearing meanwhile (another `run`) is kept, not overwritten.
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(mut file) => {
                let b64 = base64::engine::general_purpose::STANDARD;
                let text = format!(
                    "SUPABASE_JWT_SECRET={}\nPOSTIZ_TOKEN_ENCRYPTION_KEYS=local1:{}\n",
                    b64.encode(random(48)?),
                    b64.encode(random(32)?)
                );
                file.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                        .with_context(|| format!("making {} readable by its owner only", path.display()))?;
                    eprintln!("{} was readable by others (mode {:o}); it is now 0600", path.display(), mode & 0o777);
                }
            }
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
        let text = std::fs::read_to_string(path)?;
        let get = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .map(str::to_owned)
                .with_context(|| format!("{key} missing from {}", path.display()))
        };
        Ok(Self { jwt_secret: get("SUPABASE_JWT_SECRET")?, encryption_keys: get("POSTIZ_TOKEN_ENCRYPTION_KEYS")? })
    }
}

/// 48 random bytes in base64: a fresh secret for one run (`POSTIZ_MEDIA_URL_SECRET`).
pub fn random_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 48];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::LocalSecrets;

    /// A fresh directory under the system's temporary directory, removed on drop.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("xtask-{name}-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    #[test]
    fn local_secrets_are_readable_by_their_owner_only() {
        let dir = TempDir::new("secrets");
        let path = dir.0.join(".postiz/local-secrets.env");
        let made = LocalSecrets::load_or_create_at(&path).expect("created");
        assert_eq!(mode(&path), 0o600, "a new file");
        let again = LocalSecrets::load_or_create_at(&path).expect("read back");
        assert_eq!((again.jwt_secret, again.encryption_keys), (made.jwt_secret, made.encryption_keys), "kept, not remade");

        // A file from before (written with the default umask) is narrowed, its secrets kept.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let old = LocalSecrets::load_or_create_at(&path).expect("read");
        assert_eq!(mode(&path), 0o600, "an existing file");
        assert!(old.encryption_keys.starts_with("local1:"));
    }
}
