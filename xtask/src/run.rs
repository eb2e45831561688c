use std::time::Duration;

use crate::db;

/// The README's first command. Starts the database (and, as they land, the API, the worker,
/// the sandbox network and the demo host), prints where everything is, then waits for Ctrl-C
/// or for `cargo xtask stop` from another shell.
pub async fn run() -> anyhow::Result<()> {
    let (cluster, started) = db::up().await?;
    db::print_location(&cluster, started);
    println!("\nrunning; press Ctrl-C (or run `cargo xtask stop`) to stop everything");
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            signal = tokio::signal::ctrl_c() => {
                signal?;
                println!("stopping…");
                return stop().await;
            }
            _ = tick.tick() => {
                if !cluster.is_running() {
                    println!("database stopped from elsewhere; exiting");
                    return Ok(());
                }
            }
        }
    }
}

/// Stops everything `run` started.
pub async fn stop() -> anyhow::Result<()> {
    let cluster = crate::cluster()?;
    let stopped = tokio::task::spawn_blocking(move || cluster.stop()).await??;
    println!("{}", if stopped { "database stopped" } else { "database was not running" });
    Ok(())
}
