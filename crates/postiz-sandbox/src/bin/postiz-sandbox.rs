//! `postiz-sandbox --bind 127.0.0.1:7979`: runs the sandbox network until Ctrl-C.

use std::net::SocketAddr;

use anyhow::Context;
use clap::Parser;
use postiz_sandbox::{Sandbox, SandboxConfig};

/// A small local social network for demos and worker tests.
#[derive(Debug, Parser)]
#[command(name = "postiz-sandbox", version)]
struct Args {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:7979")]
    bind: SocketAddr,
    /// Return the first post for a repeated Idempotency-Key instead of creating another.
    #[arg(long)]
    honor_idempotency_key: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let args = Args::parse();
    let sandbox = Sandbox::start(SandboxConfig { bind: args.bind, honor_idempotency_key: args.honor_idempotency_key })
        .await
        .context("starting the sandbox")?;
    println!("postiz-sandbox listening on {}", sandbox.url());
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    sandbox.stop().await;
    Ok(())
}
