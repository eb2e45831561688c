//! Developer tasks. `cargo xtask run` starts the module locally; `cargo xtask test` runs every test.

mod bench;
mod bench_analytics;
mod bench_export;
mod bench_media;
mod bench_media_urls;
mod bench_worker;
mod db;
mod debian;
mod e2e;
mod edge;
mod functions;
mod lint;
mod run;
mod scratch_db;
mod services;
mod test;
mod ui;
mod ui_assets;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "xtask", about = "Developer tasks for the postiz module")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The project's private PostgreSQL 15 cluster.
    Db {
        #[command(subcommand)]
        action: db::DbAction,
    },
    /// Starts everything locally and waits; Ctrl-C (or `cargo xtask stop`) stops it all.
    Run,
    /// Stops what `run` started, including the database cluster.
    Stop,
    /// Runs every test: Rust tests, pgTAP files and the rest, against real services.
    Test(test::TestArgs),
    /// Builds the embedded UI bundle (wasm32 + bindgen) into target/ui/pkg and prints its sizes.
    Ui(ui::UiArgs),
    /// Which Edge Functions this configuration needs: the URL for each network's console and
    /// the secrets to set (`supabase/functions/`, docs/TOKENS.md).
    Functions,
    /// Benchmarks that print numbers (in a database of their own; the cluster keeps running).
    Bench {
        #[command(subcommand)]
        bench: bench::Bench,
    },
}

/// The repository root.
pub fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(PathBuf::from).unwrap_or(here)
}

/// Settings from `config.toml` and the environment.
pub fn settings() -> anyhow::Result<postiz_config::Settings> {
    Ok(postiz_config::load_from(&root().join("config.toml"))?)
}

/// The local cluster as configured.
pub fn cluster() -> anyhow::Result<postiz_localdb::LocalCluster> {
    let s = settings()?;
    Ok(postiz_localdb::LocalCluster::new(root().join(s.local_db.dir), s.local_db.port))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Db { action } => db::run(action).await,
        Command::Run => run::run().await,
        Command::Stop => run::stop().await,
        Command::Test(args) => test::run(args).await,
        Command::Bench { bench } => bench::run(bench).await,
        Command::Functions => functions::run(),
        Command::Ui(args) => ui::build(&args).map(|_| ()),
    }
}
