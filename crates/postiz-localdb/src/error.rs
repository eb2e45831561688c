use std::path::PathBuf;

/// Why the local cluster could not be prepared. Each message says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalDbError {
    /// A command exited unsuccessfully.
    #[error("`{command}` failed ({status}); its output:\n{output}")]
    Command {
        /// The command line.
        command: String,
        /// Exit status.
        status: String,
        /// Captured stderr and stdout (or a pointer to the server log).
        output: String,
    },
    /// A command could not be started at all.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// Packages are missing and we may not install them.
    #[error("missing {missing}; install it with: sudo apt-get install -y {packages}")]
    MissingPackages {
        /// What is missing.
        missing: String,
        /// Debian package names.
        packages: String,
    },
    /// Filesystem trouble.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A bootstrap statement failed.
    #[error("bootstrap of database {database} failed in {script}: {message}")]
    Bootstrap {
        /// Database name.
        database: String,
        /// Which script.
        script: &'static str,
        /// Postgres's message.
        message: String,
    },
    /// Could not connect.
    #[error("cannot connect to the local cluster: {0}")]
    Connect(#[from] tokio_postgres::Error),
}

impl LocalDbError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
