use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use clap::Args;

use crate::{db, root};

/// Options of the test command.
#[derive(Args, Debug)]
pub struct TestArgs {
    /// Leave the database cluster running afterwards even if this command started it.
    #[arg(long)]
    pub keep_db: bool,
    /// Run only these suites (default: all).
    #[arg(long, value_enum)]
    pub only: Vec<Suite>,
}

/// The suites of the test command.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    /// `cargo test --workspace`.
    Cargo,
    /// pgTAP files in `supabase/tests`.
    Pgtap,
    /// The Edge Functions (`supabase/functions/`) under Deno against a real database.
    Edge,
    /// The embedded UI in headless chromium against the real stack (`e2e/`).
    E2e,
    /// clippy with warnings as errors (native workspace and the wasm UI).
    Lint,
}

/// Totals over every suite, printed as the closing line.
#[derive(Debug, Default)]
struct Tally {
    passed: u64,
    failed: u64,
    skipped: u64,
    failures: Vec<String>,
}

impl Tally {
    /// Adds a suite run outside `cargo test`: its (passed, failed, skipped, exit ok), or why it
    /// could not run.
    fn record(&mut self, suite: &str, outcome: anyhow::Result<(u64, u64, u64, bool)>) {
        match outcome {
            Ok((passed, failed, skipped, ok)) => {
                self.passed += passed;
                self.failed += failed;
                self.skipped += skipped;
                if !ok {
                    self.failures.push(suite.into());
                }
            }
            Err(e) => {
                println!("{suite} suite could not run: {e:#}");
                self.failures.push(suite.into());
            }
        }
    }
}

/// The README's second command: every test, against real services.
pub async fn run(args: TestArgs) -> anyhow::Result<()> {
    // The media tests make their movies with ffmpeg, and the API makes posters with it.
    if args.only.is_empty() || args.only.iter().any(|s| matches!(s, Suite::Cargo | Suite::E2e)) {
        crate::debian::ensure(crate::debian::FFMPEG)?;
    }
    if args.only.is_empty() || args.only.contains(&Suite::Cargo) {
        crate::debian::ensure(crate::debian::BUILD_TOOLS)?;
        crate::debian::ensure(crate::debian::PYTHON)?;
    }
    let (cluster, started) = db::up().await?;
    db::print_location(&cluster, started);

    let mut tally = Tally::default();
    let outcome = suites(&args.only, &mut tally).await;

    if started && !args.keep_db {
        let c = cluster.clone();
        tokio::task::spawn_blocking(move || c.stop()).await??;
        println!("database stopped");
    }
    outcome?;
    for failure in &tally.failures {
        println!("FAILED suite: {failure}");
    }
    println!("\nsummary: {} passed, {} failed, {} skipped", tally.passed, tally.failed, tally.skipped);
    if tally.failed > 0 || !tally.failures.is_empty() {
        bail!("tests failed");
    }
    Ok(())
}

async fn suites(only: &[Suite], tally: &mut Tally) -> anyhow::Result<()> {
    let wanted = |s: Suite| only.is_empty() || only.contains(&s);
    if wanted(Suite::Lint) {
        println!("\n== lint");
        for (lint, ok) in crate::lint::run()? {
            if ok {
                tally.passed += 1;
            } else {
                tally.failed += 1;
                tally.failures.push(lint.to_owned());
            }
        }
    }
    if wanted(Suite::Cargo) {
        cargo_tests(tally)?;
    }
    if wanted(Suite::Pgtap) {
        pgtap_tests(tally).await?;
    }
    if wanted(Suite::Edge) {
        println!("\n== edge functions (deno test supabase/functions/)");
        let outcome = crate::edge::run().await.map(|o| (o.passed, o.failed, 0, o.ok));
        tally.record("edge functions", outcome);
    }
    if wanted(Suite::E2e) {
        println!("\n== e2e (headless chromium, node --test e2e/)");
        let outcome = crate::e2e::run().await.map(|o| (o.passed, o.failed, o.skipped, o.ok));
        tally.record("e2e", outcome);
    }
    Ok(())
}

/// The OAuth tests run a real authorization server (`oidc-provider`) on Node, the Bluesky
/// tests a real PDS (Node 22 and `@atproto/pds` from npm into `target/peers/bluesky-pds`); the
/// tests install them themselves, but Node and npm must exist.
fn check_node() -> anyhow::Result<()> {
    for tool in ["node", "npm"] {
        let ok = Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        if !ok {
            bail!("`{tool}` is not on PATH: the OAuth and Bluesky tests need Node.js 20+ and npm (Debian: apt-get install -y nodejs npm)");
        }
    }
    Ok(())
}

/// `cargo test` over the native workspace, echoing its output and counting its results.
fn cargo_tests(tally: &mut Tally) -> anyhow::Result<()> {
    check_node()?;
    println!("\n== cargo test --workspace");
    let mut child = Command::new(env_or("CARGO", "cargo"))
        .args(["test", "--workspace", "--locked"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting cargo test")?;
    let stdout = child.stdout.take().context("cargo test stdout")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            tally.passed += count(rest, " passed");
            tally.failed += count(rest, " failed");
            tally.skipped += count(rest, " ignored");
        }
    }
    if !child.wait()?.success() {
        tally.failures.push("cargo test".into());
    }
    Ok(())
}

/// pgTAP files in `supabase/tests`, run by `pg_prove` against a fresh migrated database.
async fn pgtap_tests(tally: &mut Tally) -> anyhow::Result<()> {
    let dir = root().join("supabase/tests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .map(|p| p.strip_prefix(root()).map(|p| p.to_path_buf()).unwrap_or(p))
        .collect();
    files.sort();
    if files.is_empty() {
        return Ok(());
    }
    println!("\n== pg_prove supabase/tests ({} files)", files.len());
    let database = postiz_testkit::TestDatabase::new().await;
    let url = database.url();
    let mut child = Command::new("pg_prove")
        .args(["--verbose", "--failures", "--dbname", &url])
        .args(&files)
        .current_dir(root())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting pg_prove")?;
    let stdout = child.stdout.take().context("pg_prove stdout")?;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        // pg_prove --verbose echoes each TAP line: "ok 3 - …" / "not ok 4 - …" / "... # SKIP".
        let trimmed = line.trim_start();
        if trimmed.starts_with("not ok ") {
            tally.failed += 1;
        } else if trimmed.starts_with("ok ") {
            if trimmed.contains("# SKIP") { tally.skipped += 1 } else { tally.passed += 1 }
        }
    }
    if !child.wait()?.success() {
        tally.failures.push("pg_prove".into());
    }
    Ok(())
}

/// The number before `label` in a cargo summary such as "ok. 12 passed; 0 failed; 1 ignored".
fn count(summary: &str, label: &str) -> u64 {
    summary
        .split(';')
        .flat_map(|part| part.split('.'))
        .find_map(|part| part.trim().strip_suffix(label.trim()).and_then(|n| n.trim().parse().ok()))
        .unwrap_or(0)
}

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.into())
}
