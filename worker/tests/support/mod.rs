//! A workspace with sandbox accounts, posts scheduled through the real tables, and the worker
//! running in-process against the real database and a real sandbox server.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use postiz_providers::sandbox::SandboxProvider;
use postiz_providers::{HttpClient, HttpSettings, Registry};
use postiz_sandbox::{Sandbox, SandboxConfig};
use postiz_testkit::TestDatabase;
use postiz_vault::{Binding, Field, Keyring};
use postiz_worker::pacing::Pacer;
use postiz_worker::publish::PublishContext;
use postiz_worker::runner::{RunStats, RunnerConfig, run};
use postiz_worker::store::Store;
use secrecy::SecretString;
use tokio_postgres::Client;
use uuid::Uuid;

pub struct Fixture {
    pub db: TestDatabase,
    pub sandbox: Sandbox,
    pub admin: Client,
    pub workspace: Uuid,
    pub keyring: Arc<Keyring>,
    /// Media storage shared by the fixture and the in-process worker.
    pub media: Arc<postiz_storage::MediaStorage>,
    /// Public URLs the worker hands to adapters; none unless a test sets them.
    pub public_urls: Option<Arc<postiz_storage::public_url::PublicUrls>>,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_sandbox(SandboxConfig::default()).await
    }

    pub async fn with_sandbox(config: SandboxConfig) -> Self {
        let db = TestDatabase::new().await;
        let sandbox = Sandbox::start(config).await.unwrap();
        let admin = db.superuser().await;
        let workspace: Uuid = admin
            .query_one(
                "insert into postiz.workspaces (name, slug, time_zone) values ('Acme', $1, 'Europe/Berlin') returning id",
                &[&format!("acme-{}", &Uuid::new_v4().simple().to_string()[..8])],
            )
            .await
            .unwrap()
            .get(0);
        Self {
            db,
            sandbox,
            admin,
            workspace,
            keyring: Arc::new(Keyring::for_testing()),
            media: Arc::new(postiz_storage::MediaStorage::in_memory()),
            public_urls: None,
        }
    }

    /// A connected sandbox account with an encrypted token.
    pub async fn account(&self, handle: &str) -> Uuid {
        let id: Uuid = self
            .admin
            .query_one(
                "insert into postiz.social_accounts (workspace_id, network, external_account_id, handle, display_name)
                 values ($1, 'sandbox', $2, $2, $2) returning id",
                &[&self.workspace, &handle],
            )
            .await
            .unwrap()
            .get(0);
        let sealed = self.keyring.encrypt(
            &SecretString::from(format!("token-{handle}")),
            &Binding { workspace_id: self.workspace, social_account_id: id, field: Field::AccessToken },
        );
        self.admin
            .execute(
                "insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
                 values ($1, $2, $3, $4, $5)",
                &[&id, &self.workspace, &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
            )
            .await
            .unwrap();
        id
    }

    /// A post on `accounts`, scheduled once at `at`. Returns the post and schedule ids.
    pub async fn schedule_once(&self, text: &str, accounts: &[Uuid], at: DateTime<Utc>) -> (Uuid, Uuid) {
        let post = self.post(text, accounts, at).await;
        let schedule: Uuid = self
            .admin
            .query_one(
                "insert into postiz.schedules (workspace_id, kind, post_id, starts_at, time_zone) values ($1, 'once', $2, $3, 'Europe/Berlin') returning id",
                &[&self.workspace, &post, &at],
            )
            .await
            .unwrap()
            .get(0);
        (post, schedule)
    }

    /// A post with a recurring schedule.
    pub async fn schedule_recurring(&self, text: &str, account: Uuid, start: DateTime<Utc>, rrule: &str, zone: &str) -> (Uuid, Uuid) {
        let post = self.post(text, &[account], start).await;
        let schedule: Uuid = self
            .admin
            .query_one(
                "insert into postiz.schedules (workspace_id, kind, post_id, starts_at, rrule, time_zone) values ($1, 'recurring', $2, $3, $4, $5) returning id",
                &[&self.workspace, &post, &start, &rrule, &zone],
            )
            .await
            .unwrap()
            .get(0);
        (post, schedule)
    }

    pub async fn post(&self, text: &str, accounts: &[Uuid], at: DateTime<Utc>) -> Uuid {
        let post: Uuid = self
            .admin
            .query_one(
                "insert into postiz.posts (workspace_id, status, content, scheduled_at) values ($1, 'scheduled', $2, $3) returning id",
                &[&self.workspace, &text, &at],
            )
            .await
            .unwrap()
            .get(0);
        for account in accounts {
            self.admin
                .execute(
                    "insert into postiz.post_targets (workspace_id, post_id, social_account_id) values ($1, $2, $3)",
                    &[&self.workspace, &post, account],
                )
                .await
                .unwrap();
        }
        post
    }

    pub fn store(&self) -> Store {
        let pool = postiz_db::service_pool(&SecretString::from(self.db.url()), 8).unwrap();
        Store::new(pool, format!("test-worker-{}", Uuid::new_v4().simple()))
    }

    pub fn context(&self) -> PublishContext {
        let store = self.store();
        PublishContext {
            recorder: postiz_worker::recorder::Recorder::spawn(store.clone()),
            store,
            keyring: Arc::clone(&self.keyring),
            pacer: Arc::new(Pacer::default()),
            retry: postiz_worker::backoff::RetryPolicy { base: Duration::from_secs(1), ..Default::default() },
            lease_secs: 120.0,
            media: Some(Arc::clone(&self.media)),
            public_urls: self.public_urls.clone(),
            tokens: None,
        }
    }

    pub fn registry(&self) -> Arc<Registry> {
        let http = HttpClient::new(HttpSettings { request_timeout: Duration::from_secs(2), ..HttpSettings::for_tests() }).unwrap();
        let provider = SandboxProvider::new(http, self.sandbox.url().parse().unwrap());
        Arc::new(Registry::new().with(Arc::new(provider)))
    }

    /// Runs a worker until `done` holds (checked every 100 ms) or `limit` passes.
    pub async fn run_until<F>(&self, limit: Duration, done: F) -> RunStats
    where
        F: AsyncFn(&Client) -> bool,
    {
        self.run_with(self.registry(), limit, done).await
    }

    /// [`Self::run_until`] with the networks of `registry` instead of the sandbox.
    pub async fn run_with<F>(&self, registry: Arc<Registry>, limit: Duration, done: F) -> RunStats
    where
        F: AsyncFn(&Client) -> bool,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let config = RunnerConfig { shutdown_deadline: Duration::from_secs(5), ..RunnerConfig::default() };
        let worker = tokio::spawn(run(self.context(), registry, config, Arc::clone(&stop)));
        let started = tokio::time::Instant::now();
        while started.elapsed() < limit && !done(&self.admin).await {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.store(true, Ordering::Relaxed);
        worker.await.unwrap().unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.admin.query_one(sql, &[]).await.unwrap().get(0)
    }

    pub async fn target_status(&self, post: Uuid) -> Vec<String> {
        self.admin
            .query("select status::text from postiz.post_targets where post_id = $1 order by id", &[&post])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }
}

/// No job left in a non-final state.
pub async fn all_jobs_final(c: &Client) -> bool {
    c.query_one("select count(*) = 0 and (select count(*) > 0 from postiz.queue_jobs) from postiz.queue_jobs where status in ('pending', 'queued', 'running')", &[])
        .await
        .map(|r| r.get::<_, bool>(0))
        .unwrap_or(false)
}
