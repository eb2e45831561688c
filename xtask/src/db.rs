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
    /// Empties the development database (module schemas, queues, history) and migrates again.
    Reset,
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
        DbAction::Reset => {
            reset().await?;
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
    postiz_localdb::bootstrap_database(&cluster, "postgres", BootstrapOptions { cron: true, test_helpers: false }).await?;
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

/// Drops everything the migrations and the pgmq install made in the development database, then
/// runs `up` again. For when a migration changed after it was applied locally.
async fn reset() -> anyhow::Result<()> {
    let cluster = cluster()?;
    let starter = cluster.clone();
    tokio::task::spawn_blocking(move || starter.start()).await??;
    let (client, connection) = tokio_postgres::connect(&cluster.url(postiz_localdb::SUPERUSER, "postgres"), NoTls).await?;
    tokio::spawn(connection);
    client
        .batch_execute(
            "do $$ begin
               if exists (select 1 from pg_namespace where nspname = 'cron') then
                 perform cron.unschedule(jobid) from cron.job where jobname like 'postiz-%';
               end if;
             end $$;
             drop schema if exists postiz cascade;
             drop schema if exists postiz_private cascade;
             drop schema if exists supabase_migrations cascade;
             drop schema if exists pgmq cascade;",
        )
        .await
        .context("emptying the development database")?;
    println!("development database emptied");
    let (cluster, started) = up().await?;
    print_location(&cluster, started);
    Ok(())
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
    let rows =
        client.query("select version, name from supabase_migrations.schema_migrations order by version", &[]).await.unwrap_or_default();
    println!("applied migrations: {}", rows.len());
    for row in rows {
        println!("  {} {}", row.get::<_, String>(0), row.get::<_, Option<String>>(1).unwrap_or_default());
    }
    Ok(())
}
