use std::path::Path;
use std::process::Command;

use crate::LocalDbError;
use crate::cluster::{BIN_DIR, is_root, run};

/// Files that prove each Debian package is installed.
const REQUIRED: [(&str, &str); 4] = [
    ("/usr/lib/postgresql/15/bin/initdb", "postgresql-15"),
    ("/usr/share/postgresql/15/extension/pgtap.control", "postgresql-15-pgtap"),
    ("/usr/share/postgresql/15/extension/pg_cron.control", "postgresql-15-cron"),
    ("/usr/bin/pg_prove", "libtap-parser-sourcehandler-pgtap-perl"),
];

/// Makes sure PostgreSQL 15, pgTAP, pg_cron and pg_prove are installed, installing the missing
/// Debian packages when running as root.
pub fn ensure_packages() -> Result<(), LocalDbError> {
    let missing: Vec<&str> = REQUIRED.iter().filter(|(file, _)| !Path::new(file).exists()).map(|(_, package)| *package).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(LocalDbError::MissingPackages { missing: missing.join(", "), packages: missing.join(" ") });
    }
    eprintln!("installing Debian packages: {}", missing.join(" "));
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    debug_assert!(Path::new(BIN_DIR).exists());
    Ok(())
}
