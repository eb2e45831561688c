//! Debian packages the commands need besides PostgreSQL (which `postiz-localdb` installs):
//! installed with `apt-get` when missing and running as root, skipped when the file that proves
//! the package is already there (so a machine that has it never touches apt again).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// A package and the file that proves it is installed.
#[derive(Debug, Clone, Copy)]
pub struct Package {
    /// The Debian package name.
    pub name: &'static str,
    /// A file it installs.
    pub proof: &'static str,
    /// What it is for, said when it cannot be installed.
    pub why: &'static str,
}

/// `ffmpeg`: the API makes videos' poster frames with it; the media tests make their movies
/// with it.
pub const FFMPEG: Package = Package { name: "ffmpeg", proof: "/usr/bin/ffmpeg", why: "video poster frames" };

/// `build-essential`: the Bluesky tests' PDS needs better-sqlite3, which npm builds from source
/// (node-gyp: make and g++; prebuilt binaries come from GitHub, which may be unreachable).
pub const BUILD_TOOLS: Package =
    Package { name: "build-essential", proof: "/usr/bin/g++", why: "the native build of the Bluesky tests' PDS (better-sqlite3)" };

/// `python3`: node-gyp runs on it (the PDS's native build), and the PyPI test peers' venvs.
pub const PYTHON: Package = Package { name: "python3", proof: "/usr/bin/python3", why: "node-gyp and the PyPI test peers" };

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Installs `package` when it is missing; without root, says how to install it and fails.
pub fn ensure(package: Package) -> anyhow::Result<()> {
    if Path::new(package.proof).exists() {
        return Ok(());
    }
    if !is_root() {
        bail!("{} is missing ({}): run `sudo apt-get install -y {}`", package.name, package.why, package.name);
    }
    println!("installing {} (apt-get install -y {})", package.name, package.name);
    Command::new("apt-get").args(["update", "-qq"]).status().context("apt-get update")?;
    let status = Command::new("apt-get")
        .args(["install", "-y", "-qq", "--no-install-recommends", package.name])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .with_context(|| format!("apt-get install {}", package.name))?;
    if !status.success() || !Path::new(package.proof).exists() {
        bail!("apt-get install {} failed", package.name);
    }
    Ok(())
}

/// [`ensure`] for something the command can do without: a failure is printed, not returned.
pub fn ensure_optional(package: Package) {
    if let Err(e) = ensure(package) {
        println!("warning: {e:#}; going on without {}", package.why);
    }
}
