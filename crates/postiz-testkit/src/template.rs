//! The migrated template database every test database is cloned from.

use postiz_localdb::{BootstrapOptions, LocalCluster, SUPERUSER};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::cluster::project_root;

const PREFIX: &str = "postiz_tpl_";

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// Name of the template for the current bootstrap scripts and migrations, building it on first
/// use. Safe across processes: building happens under an advisory lock, and a template counts
/// as ready only once it is marked `is_template`.
pub(crate) async fn template(cluster: &LocalCluster) -> &'static str {
    TEMPLATE.get_or_init(|| async { build(cluster).await.unwrap_or_else(|e| panic!("cannot build the test template database: {e}")) }).await
}

/// Hash of everything that shapes the template's contents.
fn fingerprint() -> Result<String, Box<dyn std::error::Error>> {
    let root = project_root();
    let mut hasher = Sha256::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("supabase/local"))?
        .chain(std::fs::read_dir(root.join("supabase/migrations"))?)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    for path in files {
        hasher.update(path.file_name().unwrap_or_default().as_encoded_bytes());
        hasher.update(std::fs::read(&path)?);
    }
    Ok(hex::encode(&hasher.finalize()[..8]))
}

async fn build(cluster: &LocalCluster) -> Result<String, Box<dyn std::error::Error>> {
    let name = format!("{PREFIX}{}", fingerprint()?);
    let admin = cluster.connect(SUPERUSER, "postgres").await?;
    // One builder at a time across all test processes; the key only has to be constant.
    admin.execute("select pg_advisory_lock(7031)", &[]).await?;
    let result = build_locked(cluster, &admin, &name).await;
    admin.execute("select pg_advisory_unlock(7031)", &[]).await?;
    result.map(|()| name)
}

async fn build_locked(cluster: &LocalCluster, admin: &tokio_postgres::Client, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let ready = admin.query_opt("select 1 from pg_database where datname = $1 and datistemplate", &[&name]).await?.is_some();
    if ready {
        return Ok(());
    }
    // Older templates (other migrations) and a half-built one of ours are dropped first.
    let stale = admin.query("select datname from pg_database where datname like $1", &[&format!("{PREFIX}%")]).await?;
    for row in stale {
        let old: String = row.get(0);
        admin.batch_execute(&format!("alter database \"{old}\" is_template false")).await?;
        admin.batch_execute(&format!("drop database if exists \"{old}\" with (force)")).await?;
    }
    admin.batch_execute(&format!("create database \"{name}\" owner postgres")).await?;
    postiz_localdb::bootstrap_database(cluster, name, BootstrapOptions { cron: false, test_helpers: true }).await?;
    apply_migrations(cluster, name).await?;
    admin.batch_execute(&format!("alter database \"{name}\" is_template true")).await?;
    Ok(())
}

/// Applies the project's migrations that database `name` lacks, as the owner role `postgres`.
pub(crate) async fn apply_migrations(cluster: &LocalCluster, name: &str) -> Result<(), Box<dyn std::error::Error>> {
    let migrations = postiz_db::migrate::discover(&project_root().join("supabase/migrations"))?;
    let mut owner = cluster.connect("postgres", name).await?;
    postiz_db::migrate::apply(&mut owner, &migrations).await?;
    Ok(())
}
