//! Real servers from PyPI for tests (the SMTP and Standard Webhooks receivers of the worker's
//! tests, the Nostr relay): one venv per package under `target/peers/`, installed on first use.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn root() -> PathBuf {
    crate::project_root()
}

/// The python of the venv `target/peers/{name}`, with `requirement` (e.g. `aiosmtpd==1.4.6`)
/// installed on first use; a directory lock keeps parallel test binaries from installing at once.
pub fn python(name: &str, requirement: &str) -> PathBuf {
    let venv = root().join("target/peers").join(name);
    let py = venv.join("bin/python");
    let marker = venv.join(format!(".installed-{requirement}"));
    crate::peers::install_once(&venv, &marker, Duration::from_secs(180), || {
        if !py.exists() {
            let ok =
                Command::new("python3").args(["-m", "venv"]).arg(&venv).status().expect("python3 -m venv (is python3-venv installed?)");
            assert!(ok.success(), "python3 -m venv failed");
        }
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", requirement])
            .status()
            .unwrap_or_else(|e| panic!("pip install {requirement}: {e}"));
        assert!(ok.success(), "pip install {requirement} failed");
    });
    py
}
