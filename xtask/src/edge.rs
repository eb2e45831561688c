//! The Edge Functions suite of `cargo xtask test`: installs Deno from npm when missing
//! (`deno@DENO_VERSION` into `target/deno`, git-ignored; jsr.io and deno.land are not needed:
//! the functions import `npm:` packages only), creates a migrated database of its own, and runs
//! `deno test` over `supabase/functions/` with its superuser URL in `POSTIZ_TEST_DB_URL`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::root;
use crate::scratch_db::ScratchDatabase;

/// The Deno release the functions are tested with (Supabase's Edge Runtime is Deno 2).
const DENO_VERSION: &str = "2.9.6";

/// Counts from `deno test`.
#[derive(Debug, Default)]
pub struct Outcome {
    pub passed: u64,
    pub failed: u64,
    pub ok: bool,
}

fn deno_dir() -> PathBuf {
    root().join("target/deno")
}

/// The Deno binary, installed from npm on first use.
fn ensure_deno() -> anyhow::Result<PathBuf> {
    let bin = deno_dir().join("node_modules/@deno/linux-x64-glibc/deno");
    let installed = Command::new(&bin).arg("--version").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(DENO_VERSION));
    if installed {
        return Ok(bin);
    }
    println!("installing deno {DENO_VERSION} from npm into target/deno");
    std::fs::create_dir_all(deno_dir())?;
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
        .arg(deno_dir())
        .arg(format!("deno@{DENO_VERSION}"))
        .status()
        .context("running npm (Node.js and npm are needed to install Deno)")?;
    if !status.success() || !bin.exists() {
        bail!("npm install deno@{DENO_VERSION} failed");
    }
    Ok(bin)
}

/// Runs the suite.
pub async fn run() -> anyhow::Result<Outcome> {
    let deno = ensure_deno()?;
    // Entry points are not imported by the tests: type-check them on their own.
    let entries: Vec<PathBuf> = std::fs::read_dir(root().join("supabase/functions"))?
        .filter_map(|e| Some(e.ok()?.path().join("index.ts")))
        .filter(|p| p.exists())
        .collect();
    let checked = Command::new(&deno)
        .arg("check")
        .args(&entries)
        .current_dir(root())
        .env("DENO_DIR", deno_dir().join("cache"))
        .env("NO_COLOR", "1")
        .status()?;
    if !checked.success() {
        bail!("deno check of the Edge Function entry points failed");
    }
    let database = ScratchDatabase::create("edge").await?;
    let mut child = Command::new(&deno)
        .args(["test", "--allow-net=127.0.0.1", "--allow-env", "--allow-read", "supabase/functions/"])
        .current_dir(root())
        .env("DENO_DIR", deno_dir().join("cache"))
        .env("NO_COLOR", "1")
        .env("POSTIZ_TEST_DB_URL", database.url_for("supabase_admin"))
        .stdout(Stdio::piped())
        .spawn()
        .context("starting deno test")?;
    let stdout = child.stdout.take().context("deno stdout")?;
    let mut outcome = Outcome::default();
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some((passed, failed)) = summary(&line) {
            outcome.passed += passed;
            outcome.failed += failed;
        }
    }
    outcome.ok = child.wait()?.success();
    database.drop_now().await;
    Ok(outcome)
}

/// Passed and failed counts from Deno's closing line, `ok | 1 passed (5 steps) | 0 failed (213ms)`
/// or `FAILED | 0 passed (3 steps) | 1 failed (2 steps)`; steps count as tests.
fn summary(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("ok | ").or_else(|| line.strip_prefix("FAILED | "))?;
    let mut counts = (0, 0);
    for part in rest.split(" | ") {
        let mut words = part.split_whitespace();
        let (Some(n), Some(kind)) = (words.next().and_then(|w| w.parse::<u64>().ok()), words.next()) else { continue };
        let steps = words.next().and_then(|w| w.strip_prefix('(')?.parse::<u64>().ok()).unwrap_or(0);
        match kind {
            "passed" => counts.0 += n + steps,
            "failed" => counts.1 += n + steps,
            _ => {}
        }
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn deno_summaries_count_tests_and_steps() {
        assert_eq!(summary("ok | 1 passed (5 steps) | 0 failed (213ms)"), Some((6, 0)));
        assert_eq!(summary("FAILED | 0 passed (3 steps) | 1 failed (2 steps) (226ms)"), Some((3, 3)));
        assert_eq!(summary("ok | 4 passed | 0 failed | 1 ignored (9ms)"), Some((4, 0)));
        assert_eq!(summary("running 1 test from ./x.test.ts"), None);
    }
}
