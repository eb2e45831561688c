use anyhow::Context;
use clap::Subcommand;
use postiz_localdb::{BootstrapOptions, LocalCluster};
use tokio_postgres::NoTls;

use crate::{cluster, root};

/// Database actions.
#[derive(Subcommand, Debug)]
pub enum DbAction {
    /// Starts (or reuses) the cluster, bootstraps it like Supabase and applies migrations.
    Up,
    /// Stops the cluster.
    Down,
    /// Says whether the cluster runs, where, and which migrations are applied.
    Status,
    /// Applies pending migrations to the development database.
    Migrate,
}

pub async fn run(action: DbAction) -> anyhow::Result<()> {
    match action {
        DbAction::Up => {
            let (cluster, started) = up().await?;
            print_location(&cluster, started);
        }
        DbAction::Down => {
            let cluster = cluster()?;
            let stopped = tokio::task::spawn_blocking(move || cluster.stop()).await??;
            println!("{}", if stopped { "database stopped" } else { "database was not running" });
        }
        DbAction::Status => status().await?,
        DbAction::Migrate => {
            migrate(&cluster()?).await?;
        }
    }
    Ok(())
}

/// Starts the cluster and prepares the development database (`postgres`, which has pg_cron).
/// Returns whether this call started the server.
pub async fn up() -> anyhow::Result<(LocalCluster, bool)> {
    let cluster = cluster()?;
    let starter = cluster.clone();
    let started = tokio::task::spawn_blocking(move || starter.start()).await??;
    postiz_localdb::bootstrap_roles(&cluster).await?;
    postiz_localdb::bootstrap_database(&cluster, "postgres", BootstrapOptions { cron: true, test_helpers: false })
        .await?;
    migrate(&cluster).await?;
    Ok((cluster, started))
}

/// Applies `supabase/migrations` to the development database as `postgres`.
pub async fn migrate(cluster: &LocalCluster) -> anyhow::Result<()> {
    let migrations = postiz_db::migrate::discover(&root().join("supabase/migrations"))?;
    let (mut client, connection) = tokio_postgres::connect(&cluster.url("postgres", "postgres"), NoTls)
        .await
        .context("connecting to the local cluster (is it running? `cargo xtask db up`)")?;
    tokio::spawn(connection);
    let report = postiz_db::migrate::apply(&mut client, &migrations).await?;
    if report.applied.is_empty() {
        println!("migrations: up to date ({} applied before)", report.skipped);
    } else {
        println!("migrations: applied {}", report.applied.join(", "));
    }
    Ok(())
}

pub fn print_location(cluster: &LocalCluster, started: bool) {
    println!(
        "database {}: {}\n  data directory: {}\n  server log:     {}",
        if started { "started" } else { "already running" },
        cluster.url("postgres", "postgres"),
        cluster.dir().display(),
        cluster.log_file().display(),
    );
}

async fn status() -> anyhow::Result<()> {
    let cluster = cluster()?;
    if !cluster.is_running() {
        println!("database: not running (data directory {})", cluster.dir().display());
        return Ok(());
    }
    print_location(&cluster, false);
    let (client, connection) = tokio_postgres::connect(&cluster.url("postgres", "postgres"), NoTls).await?;
    tokio::spawn(connection);
    let rows = client
        .query(
            "select version, name from supabase_migrations.schema_migrations order by version",
            &[],
        )
        .await
        .unwrap_or_default();
    println!("applied migrations: {}", rows.len());
    for row in rows {
        println!("  {} {}", row.get::<_, String>(0), row.get::<_, Option<String>>(1).unwrap_or_default());
    }
    Ok(())
}
