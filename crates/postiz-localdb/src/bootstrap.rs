use crate::{LocalCluster, LocalDbError, SUPERUSER};

const ROLES_SQL: &str = include_str!("../../../supabase/local/roles.sql");
const DATABASE_SQL: &str = include_str!("../../../supabase/local/database.sql");
const PGMQ_GRANTS_SQL: &str = include_str!("../../../supabase/local/pgmq_grants.sql");
const TEST_HELPERS_SQL: &str = include_str!("../../../supabase/local/test_helpers.sql");

/// pg_cron as Supabase sets it up: the extension in the cron database, usable by `postgres`.
const CRON_SQL: &str = "
create extension if not exists pg_cron;
grant usage on schema cron to postgres;
grant all privileges on all tables in schema cron to postgres;
";

/// What to add on top of the Supabase stand-in.
#[derive(Debug, Clone, Copy, Default)]
pub struct BootstrapOptions {
    /// Install pg_cron (only possible in the database named by `cron.database_name`).
    pub cron: bool,
    /// Install pgTAP and the `tests.*` helpers (test databases only).
    pub test_helpers: bool,
}

async fn run_script(client: &tokio_postgres::Client, database: &str, script: &'static str, sql: &str) -> Result<(), LocalDbError> {
    client.batch_execute(sql).await.map_err(|e| LocalDbError::Bootstrap {
        database: database.into(),
        script,
        message: e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_owned()),
    })
}

/// Creates Supabase's roles in the cluster (idempotent).
pub async fn bootstrap_roles(cluster: &LocalCluster) -> Result<(), LocalDbError> {
    let admin = cluster.connect(SUPERUSER, "postgres").await?;
    run_script(&admin, "postgres", "roles.sql", ROLES_SQL).await
}

/// Gives database `db` what a Supabase database already has: `postgres` as owner, the `auth` and
/// `extensions` schemas, Supabase's grants and pgmq; optionally pg_cron and the test helpers.
/// Idempotent. Roles must exist ([`bootstrap_roles`]).
pub async fn bootstrap_database(cluster: &LocalCluster, db: &str, options: BootstrapOptions) -> Result<(), LocalDbError> {
    let admin = cluster.connect(SUPERUSER, db).await?;
    let owner = format!("alter database \"{}\" owner to postgres", db.replace('"', "\"\""));
    run_script(&admin, db, "owner", &owner).await?;
    run_script(&admin, db, "database.sql", DATABASE_SQL).await?;
    if options.cron {
        run_script(&admin, db, "pg_cron", CRON_SQL).await?;
    }
    install_pgmq(cluster, db).await?;
    run_script(&admin, db, "pgmq_grants.sql", PGMQ_GRANTS_SQL).await?;
    if options.test_helpers {
        run_script(&admin, db, "test_helpers.sql", TEST_HELPERS_SQL).await?;
    }
    Ok(())
}

/// pgmq has no Debian package; the pgmq crate embeds the extension's SQL install scripts and
/// tracks what it applied, so this is idempotent. Run as `postgres`, which then owns the queues
/// it creates in migrations, as on Supabase.
async fn install_pgmq(cluster: &LocalCluster, db: &str) -> Result<(), LocalDbError> {
    let fail = |message: String| LocalDbError::Bootstrap { database: db.into(), script: "pgmq", message };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&cluster.url("postgres", db))
        .await
        .map_err(|e| fail(e.to_string()))?;
    let result = pgmq::install::install_sql_from_embedded(&pool).await;
    pool.close().await;
    result.map_err(|e| fail(e.to_string()))
}
