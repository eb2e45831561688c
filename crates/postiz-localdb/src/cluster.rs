use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::LocalDbError;

/// Debian's PostgreSQL 15 binaries (the versioned directory, not whatever `pg_ctl` is on PATH).
pub(crate) const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// Superuser of the local cluster. As on Supabase it is not `postgres`: `postgres` is the
/// non-superuser owner role that migrations run as.
pub const SUPERUSER: &str = "supabase_admin";

/// OS user that runs the server when we are root (initdb refuses to run as root).
const SERVER_OS_USER: &str = "postgres";

/// Server settings written at `initdb` time. Port and socket directory are passed at start, so
/// a changed `[local_db] port` applies without re-initialising.
const SERVER_CONF: &str = "
# --- postiz local development cluster ---
listen_addresses = '127.0.0.1'
max_connections = 300
shared_buffers = 256MB
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 32
# Throwaway development data: durability traded for test speed.
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_line_prefix = '%m [%p] %q%u@%d '
";

/// The project's private cluster.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    dir: PathBuf,
    port: u16,
}

impl LocalCluster {
    /// A cluster living in `dir` (absolute) and listening on 127.0.0.1:`port`.
    pub fn new(dir: impl Into<PathBuf>, port: u16) -> Self {
        Self { dir: dir.into(), port }
    }

    /// The cluster's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.join("run")
    }

    /// The server log.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// Connection string for `user` on database `db` (loopback trust auth: no password exists).
    pub fn url(&self, user: &str, db: &str) -> String {
        format!("postgresql://{user}@127.0.0.1:{}/{db}", self.port)
    }

    /// A connection as `user` to database `db`, its connection task spawned on the current
    /// runtime.
    pub async fn connect(&self, user: &str, db: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        let (client, connection) = tokio_postgres::connect(&self.url(user, db), tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "local database connection closed");
            }
        });
        Ok(client)
    }

    /// True when this cluster's server is running: its `postmaster.pid` names a live process
    /// whose command line is a postgres server on this data directory. Read from files rather
    /// than by running `pg_ctl status`, which under heavy load can fail to start at all and
    /// would then be mistaken for "not running".
    pub fn is_running(&self) -> bool {
        let Ok(pid_file) = fs::read_to_string(self.data_dir().join("postmaster.pid")) else {
            return false;
        };
        let Some(pid) = pid_file.lines().next().map(str::trim).filter(|p| !p.is_empty()) else {
            return false;
        };
        fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
            let cmdline = String::from_utf8_lossy(&cmdline);
            cmdline.contains("postgres") && cmdline.contains(&*self.data_dir().to_string_lossy())
        })
    }

    /// Initialises (when needed) and starts the cluster, reusing a running one. Serialised by a
    /// file lock so that parallel test processes start it once. Returns true when it started it.
    pub fn start(&self) -> Result<bool, LocalDbError> {
        fs::create_dir_all(&self.dir).map_err(LocalDbError::io(&self.dir))?;
        let _lock = self.lock()?;
        if self.is_running() {
            return Ok(false);
        }
        crate::ensure_packages()?;
        if !self.data_dir().join("PG_VERSION").exists() {
            self.init()?;
        }
        fs::create_dir_all(self.socket_dir()).map_err(LocalDbError::io(self.socket_dir()))?;
        self.chown_to_server_user(&self.socket_dir())?;
        let options = format!("-p {} -k {}", self.port, self.socket_dir().display());
        let started = run(self
            .pg_command("pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.log_file())
            .args(["-w", "-t", "60", "-o", &options]));
        if let Err(e) = started {
            let log = fs::read_to_string(self.log_file()).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            return Err(LocalDbError::Command {
                command: "pg_ctl start".into(),
                status: e.to_string(),
                output: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
            });
        }
        Ok(true)
    }

    /// Stops the server (fast shutdown: sessions are disconnected). Returns false when it was
    /// not running.
    pub fn stop(&self) -> Result<bool, LocalDbError> {
        if !self.is_running() {
            return Ok(false);
        }
        run(self.pg_command("pg_ctl").arg("stop").arg("-D").arg(self.data_dir()).args(["-m", "fast", "-w", "-t", "60"]))?;
        Ok(true)
    }

    fn init(&self) -> Result<(), LocalDbError> {
        let data = self.data_dir();
        fs::create_dir_all(&data).map_err(LocalDbError::io(&data))?;
        self.chown_to_server_user(&self.dir)?;
        run(self.pg_command("initdb").arg("-D").arg(&data).args(["-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"]))?;
        let conf = data.join("postgresql.conf");
        let mut file = OpenOptions::new().append(true).open(&conf).map_err(LocalDbError::io(&conf))?;
        file.write_all(SERVER_CONF.as_bytes()).map_err(LocalDbError::io(&conf))?;
        Ok(())
    }

    fn lock(&self) -> Result<File, LocalDbError> {
        let path = self.dir.with_extension("lock");
        let file = File::create(&path).map_err(LocalDbError::io(&path))?;
        file.lock().map_err(LocalDbError::io(&path))?;
        Ok(file)
    }

    /// A PostgreSQL binary, run as the server's OS user when we are root.
    fn pg_command(&self, bin: &str) -> Command {
        let path = Path::new(BIN_DIR).join(bin);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", SERVER_OS_USER, "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn chown_to_server_user(&self, path: &Path) -> Result<(), LocalDbError> {
        if is_root() {
            run(Command::new("chown").arg("-R").arg(format!("{SERVER_OS_USER}:{SERVER_OS_USER}")).arg(path))?;
        }
        Ok(())
    }
}

/// True when this process runs as root.
pub(crate) fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Runs a command to completion, turning a failure into an error that carries its output.
pub(crate) fn run(command: &mut Command) -> Result<Output, LocalDbError> {
    let line = format!("{command:?}");
    let output = command.output().map_err(|source| LocalDbError::Spawn { command: line.clone(), source })?;
    if !output.status.success() {
        return Err(LocalDbError::Command {
            command: line,
            status: output.status.to_string(),
            output: format!("{}{}", String::from_utf8_lossy(&output.stderr), String::from_utf8_lossy(&output.stdout)),
        });
    }
    Ok(output)
}
