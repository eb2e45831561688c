//! Throwaway databases for the suites that run outside `cargo test`.

use crate::root;

/// A database of its own for a suite run (e2e, Edge Functions): created, bootstrapped like Supabase and migrated through
/// the cluster `config.toml` names (the one `db::up` started), dropped afterwards.
pub struct ScratchDatabase {
    cluster: postiz_localdb::LocalCluster,
    name: String,
}

impl ScratchDatabase {
    /// Named `postiz_<purpose>_<random>`.
    pub async fn create(purpose: &str) -> anyhow::Result<Self> {
        let cluster = crate::cluster()?;
        let name = format!("postiz_{purpose}_{}", uuid::Uuid::new_v4().simple());
        let (admin, conn) = tokio_postgres::connect(&cluster.url("supabase_admin", "postgres"), tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        admin.batch_execute(&format!("create database {name}")).await?;
        postiz_localdb::bootstrap_database(&cluster, &name, postiz_localdb::BootstrapOptions { cron: false, test_helpers: false }).await?;
        let migrations = postiz_db::migrate::discover(&root().join("supabase/migrations"))?;
        let (mut client, conn) = tokio_postgres::connect(&cluster.url("postgres", &name), tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        postiz_db::migrate::apply(&mut client, &migrations).await?;
        Ok(Self { cluster, name })
    }

    pub fn url(&self) -> String {
        self.cluster.url("postgres", &self.name)
    }

    pub fn url_for(&self, user: &str) -> String {
        self.cluster.url(user, &self.name)
    }

    pub async fn drop_now(self) {
        if let Ok((admin, conn)) = tokio_postgres::connect(&self.cluster.url("supabase_admin", "postgres"), tokio_postgres::NoTls).await {
            tokio::spawn(conn);
            let _ = admin.batch_execute(&format!("drop database if exists {} with (force)", self.name)).await;
        }
    }
}
