use std::sync::atomic::{AtomicU32, Ordering};

use postiz_db::DbRole;
use postiz_localdb::{LocalCluster, SUPERUSER};
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};
use uuid::Uuid;

use crate::cluster::shared_cluster;
use crate::session::Session;
use crate::template::template;

/// A fresh, fully migrated database of its own, dropped when this value is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    cluster: &'static LocalCluster,
    name: String,
}

/// A user created in `auth.users`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    /// `auth.users.id`, the `sub` of the user's tokens.
    pub id: Uuid,
    /// The user's email.
    pub email: String,
}

impl TestUser {
    /// Claims shaped like a Supabase access token's.
    pub fn claims(&self) -> Value {
        json!({
            "sub": self.id, "email": self.email, "role": "authenticated", "aud": "authenticated",
            "app_metadata": {"provider": "email", "providers": ["email"]}, "user_metadata": {},
        })
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);
static SWEPT: OnceCell<()> = OnceCell::const_new();

/// A database name of this process, under the prefix the orphan sweep knows.
fn fresh_name() -> String {
    format!("postiz_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl TestDatabase {
    /// Creates a database from the migrated template (building the template on first use).
    pub async fn new() -> Self {
        let cluster = shared_cluster().await;
        let template = template(cluster).await;
        SWEPT.get_or_init(|| sweep_orphans(cluster)).await;
        let name = fresh_name();
        let admin = cluster.connect(SUPERUSER, "postgres").await.expect("connect as superuser");
        admin
            .batch_execute(&format!("create database \"{name}\" template \"{template}\" owner postgres"))
            .await
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        Self { cluster, name }
    }

    /// Takes over a database kept with [`TestDatabase::keep_as`] (renamed back under a test
    /// name, so it goes away unless kept again) and applies the migrations it lacks. `None`
    /// when there is no such database.
    pub async fn adopt_kept(kept: &str) -> Result<Option<Self>, Box<dyn std::error::Error>> {
        let cluster = shared_cluster().await;
        let admin = cluster.connect(SUPERUSER, "postgres").await?;
        if admin.query_opt("select 1 from pg_database where datname = $1", &[&kept]).await?.is_none() {
            return Ok(None);
        }
        let name = fresh_name();
        admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", &[&kept]).await?;
        admin.batch_execute(&format!("alter database \"{kept}\" rename to \"{name}\"")).await?;
        if let Err(e) = crate::template::apply_migrations(cluster, &name).await {
            // Keep it under its name for the next try: it took minutes to load.
            admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", &[&name]).await?;
            admin.batch_execute(&format!("alter database \"{name}\" rename to \"{kept}\"")).await?;
            return Err(e);
        }
        Ok(Some(Self { cluster, name }))
    }

    /// Keeps the database after this process ends, renamed to `name` (outside the test prefix,
    /// so that the orphan sweep of a later test run leaves it alone). Closes its connections.
    pub async fn keep_as(mut self, name: &str) -> Result<String, tokio_postgres::Error> {
        let admin = self.cluster.connect(SUPERUSER, "postgres").await.expect("connect as superuser");
        let old = std::mem::take(&mut self.name);
        admin.batch_execute(&format!("drop database if exists \"{name}\" with (force)")).await?;
        admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", &[&old]).await?;
        admin.batch_execute(&format!("alter database \"{old}\" rename to \"{name}\"")).await?;
        // `name` is empty now: dropping `self` drops nothing.
        Ok(name.to_owned())
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection string for the migration/owner role `postgres` (member of the API roles).
    pub fn url(&self) -> String {
        self.cluster.url("postgres", &self.name)
    }

    /// Connection string for a given login role.
    pub fn url_for(&self, user: &str) -> String {
        self.cluster.url(user, &self.name)
    }

    /// Superuser connection string for the cluster's maintenance database (not this one).
    pub fn maintenance_url(&self) -> String {
        self.cluster.url(SUPERUSER, "postgres")
    }

    /// A new connection as `postgres`.
    pub async fn client(&self) -> Client {
        self.cluster.connect("postgres", &self.name).await.expect("connect as postgres")
    }

    /// A new connection as the cluster superuser (for arranging fixtures RLS would forbid).
    pub async fn superuser(&self) -> Client {
        self.cluster.connect(SUPERUSER, &self.name).await.expect("connect as superuser")
    }

    /// Inserts a confirmed user into `auth.users`.
    pub async fn create_user(&self, email: &str) -> TestUser {
        let id = Uuid::new_v4();
        self.superuser()
            .await
            .execute(
                "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
                 values ($1, 'authenticated', 'authenticated', $2, now(), '{\"provider\":\"email\"}', '{}')",
                &[&id, &email],
            )
            .await
            .unwrap_or_else(|e| panic!("create user {email}: {e}"));
        TestUser { id, email: email.to_owned() }
    }

    /// A transaction acting as `user` (role `authenticated`, the user's claims).
    pub async fn as_user(&self, user: &TestUser) -> Session {
        self.session(DbRole::Authenticated, &user.claims()).await
    }

    /// A transaction as `service_role` (bypasses row-level security).
    pub async fn as_service(&self) -> Session {
        self.session(DbRole::ServiceRole, &json!({"role": "service_role"})).await
    }

    /// A transaction as `anon`.
    pub async fn as_anon(&self) -> Session {
        self.session(DbRole::Anon, &json!({"role": "anon"})).await
    }

    /// A transaction as any role with any claims.
    pub async fn session(&self, role: DbRole, claims: &Value) -> Session {
        Session::begin(self.client().await, role, claims).await.expect("begin scoped session")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs outside async context guarantees, so use a private runtime on a plain thread.
        let url = self.cluster.url(SUPERUSER, "postgres");
        let name = std::mem::take(&mut self.name);
        if name.is_empty() {
            return; // kept (`keep_as`)
        }
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let (client, connection) = tokio_postgres::connect(&url, NoTls).await?;
                tokio::spawn(connection);
                client.batch_execute(&format!("drop database if exists \"{name}\" with (force)")).await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        });
        if let Ok(Err(e)) = dropper.join() {
            eprintln!("warning: could not drop test database: {e}");
        }
    }
}

/// Drops test databases whose creating process no longer exists (a killed test run).
async fn sweep_orphans(cluster: &LocalCluster) {
    let Ok(admin) = cluster.connect(SUPERUSER, "postgres").await else { return };
    let Ok(rows) = admin.query("select datname from pg_database where datname like 'postiz\\_test\\_%'", &[]).await else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = admin.batch_execute(&format!("drop database if exists \"{name}\" with (force)")).await;
        }
    }
}
