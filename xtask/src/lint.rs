//! The lint suite of `cargo xtask test`: rustfmt's check (style in `rustfmt.toml`), then clippy
//! with warnings as errors over the native workspace (every target, tests included) and over the
//! embedded UI for wasm.

use std::process::Command;

use anyhow::Context;

use crate::root;

/// Each lint command and what it checks, in the order they run.
const LINTS: &[(&str, &[&str])] = &[
    ("rustfmt (every crate, check only)", &["fmt", "--all", "--check"]),
    ("clippy (native workspace, all targets)", &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]),
    ("clippy (embed-ui, wasm32)", &["clippy", "-p", "embed-ui", "--target", "wasm32-unknown-unknown", "--locked", "--", "-D", "warnings"]),
];

/// Runs every lint: each one's name and whether it passed.
pub fn run() -> anyhow::Result<Vec<(&'static str, bool)>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut outcomes = Vec::new();
    for (what, args) in LINTS {
        println!("-- {what}");
        let status = Command::new(&cargo).args(*args).current_dir(root()).status().with_context(|| format!("starting {what}"))?;
        outcomes.push((*what, status.success()));
    }
    Ok(outcomes)
}
